//! `where` and `clip`: the elementwise ops with three operands.

use super::math::Math;
use crate::array::Array;
use crate::cpu;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::layout::broadcast_shapes;
use crate::layout::order::binary_output_layout;
use crate::scalar::{int_fits, int_range, operand_array, operand_dtypes, Operand, Scalar};

/// The dtype an op over `operands` computes in: the promotion of their
/// dtypes, a weak scalar's taken against the arrays' (NEP 50).
fn promoted<const N: usize>(operands: &[Operand<'_>; N]) -> DType {
    operand_dtypes(operands)
        .into_iter()
        .reduce(DType::promote)
        .unwrap_or(DType::Bool)
}

/// An integer scalar for `clip` computing in the integer dtype `dt`, as
/// NumPy 2 takes it: a bound outside `dt` that fits int64 is clamped to
/// `dt`'s range (`clip(uint8_array, -1, 300)` leaves every element as it
/// is); one outside int64 as well is an error (NumPy's `OverflowError`).
pub(crate) fn clip_bound(s: Scalar, dt: DType) -> Result<Scalar> {
    let Scalar::Int(v) = s else {
        return Ok(s);
    };
    if !dt.is_integer() || int_fits(v, dt) {
        return Ok(s);
    }
    if !int_fits(v, DType::I64) {
        return Err(Error::DType {
            op: "clip",
            reason: format!("Python integer {v} out of bounds for int64"),
        });
    }
    let (lo, hi) = int_range(dt);
    Ok(Scalar::Int(v.clamp(lo, hi)))
}

/// NumPy's `where(cond, x, y)`: `x` where `cond` is true (nonzero), else
/// `y`, broadcasting all three. The result dtype promotes `x` and `y`
/// (weak scalars included, as NEP 50: a bfloat16 array with a Python float
/// stays bfloat16, where ml_dtypes' promotion gives float32).
///
/// # Errors
/// Shapes that do not broadcast together, or a Python int the result dtype
/// cannot hold (`where(c, int8_array, 300)`; NumPy, for which `where` is not
/// a ufunc, wraps it silently).
///
/// ```
/// use strider::{where_, Array};
/// let a = Array::arange_i64(0, 5, 1).unwrap();
/// let r = where_(&a.less(2).unwrap(), &a, -1).unwrap();
/// assert_eq!(r.to_vec::<i64>().unwrap(), vec![0, 1, -1, -1, -1]);
/// ```
pub fn where_<'a, 'b>(
    cond: &Array,
    x: impl Into<Operand<'a>>,
    y: impl Into<Operand<'b>>,
) -> Result<Array> {
    let op = "where";
    let (x, y) = (x.into(), y.into());
    let device = super::binary::operand_device(op, &[Operand::Array(cond), x, y], None)?;
    let dtype = promoted(&[x, y]);
    let (x, y) = (operand_array(op, x, dtype)?, operand_array(op, y, dtype)?);
    let (x, y): (&Array, &Array) = (&x, &y);
    let shape = broadcast_shapes(op, &[cond.shape(), x.shape(), y.shape()])?;
    let out = Array::alloc_on(
        &device,
        op,
        binary_output_layout(&shape, &[cond.layout(), x.layout(), y.layout()]),
        dtype,
    )?;
    #[cfg(feature = "gpu")]
    if !device.is_cpu() {
        // The kernel converts inputs to the result dtype, so make the
        // condition exactly 0/1 first.
        let c = if cond.dtype() == DType::Bool {
            cond.clone()
        } else {
            cond.not_equal(0)?
        };
        super::gpu::select(&c, x, y, &out)?;
        return Ok(out);
    }
    let strides: Vec<Vec<isize>> = [cond, x, y]
        .iter()
        .map(|a| a.layout().broadcast_strides(&shape))
        .collect();
    let so = out.layout().strides().to_vec();
    out.with_locks(op, &[cond, x, y], |locks| {
        let (o, c, a, b) = (
            out.raw(locks, &so),
            cond.raw(locks, &strides[0]),
            x.raw(locks, &strides[1]),
            y.raw(locks, &strides[2]),
        );
        // SAFETY: locks held; `out` is new memory, so nothing overlaps it.
        crate::dispatch_dtype!(dtype, T => unsafe { cpu::kernels::select::<T>(&shape, o, c, a, b) })
    })?;
    Ok(out)
}

impl Array {
    /// NumPy's `clip`: `minimum(maximum(self, lo), hi)` elementwise, with
    /// broadcasting; the result dtype promotes all three (weak scalars
    /// included). NaN propagates; where +0.0 meets -0.0 the earlier operand
    /// wins (`self`, then the bound), where NumPy answers either zero. A
    /// bfloat16 array with bound arrays computes in float32 (NumPy has no
    /// bfloat16 loop); with Python scalar bounds it stays bfloat16 (NEP 50,
    /// where ml_dtypes' promotion gives float32).
    ///
    /// # Errors
    /// Shapes that do not broadcast together, or an integer bound that does
    /// not fit int64.
    ///
    /// ```
    /// let a = strider::Array::arange_i64(0, 6, 1).unwrap();
    /// assert_eq!(a.clip(1, 4).unwrap().to_vec::<i64>().unwrap(), vec![1, 1, 2, 3, 4, 4]);
    /// ```
    pub fn clip<'a, 'b>(
        &self,
        lo: impl Into<Operand<'a>>,
        hi: impl Into<Operand<'b>>,
    ) -> Result<Array> {
        let op = "clip";
        let (lo, hi) = (lo.into(), hi.into());
        let device = super::binary::operand_device(op, &[Operand::Array(self), lo, hi], None)?;
        let bound_array = matches!(lo, Operand::Array(_)) || matches!(hi, Operand::Array(_));
        let dtype = match promoted(&[Operand::Array(self), lo, hi]) {
            // NumPy has no bfloat16 clip loop (ml_dtypes registers none):
            // with a bound array it computes and answers in float32. With
            // Python scalar bounds NumPy also answers float32 (ml_dtypes'
            // promotion), which NEP 50 does not: there strider stays
            // bfloat16 (the corpus's QUIRKS.md).
            DType::BF16 if bound_array => DType::F32,
            d => d,
        };
        let bound = |o: Operand<'_>| -> Result<Array> {
            let o = match o {
                Operand::Scalar(s) => Operand::Scalar(clip_bound(s, dtype)?),
                a => a,
            };
            operand_array(op, o, dtype).map(std::borrow::Cow::into_owned)
        };
        let v = [self.clone(), bound(lo)?, bound(hi)?];
        let shape = broadcast_shapes(op, &[v[0].shape(), v[1].shape(), v[2].shape()])?;
        let out = Array::alloc_on(
            &device,
            op,
            binary_output_layout(&shape, &[v[0].layout(), v[1].layout(), v[2].layout()]),
            dtype,
        )?;
        #[cfg(feature = "gpu")]
        if !device.is_cpu() {
            super::gpu::clip(&v[0], &v[1], &v[2], &out)?;
            return Ok(out);
        }
        let strides: Vec<Vec<isize>> = v
            .iter()
            .map(|a| a.layout().broadcast_strides(&shape))
            .collect();
        let so = out.layout().strides().to_vec();
        out.with_locks(op, &[&v[0], &v[1], &v[2]], |locks| {
            let (o, a, l, h) = (
                out.raw(locks, &so),
                v[0].raw(locks, &strides[0]),
                v[1].raw(locks, &strides[1]),
                v[2].raw(locks, &strides[2]),
            );
            crate::dispatch_dtype!(dtype, T => {
                // SAFETY: locks held; `out` is new memory.
                unsafe {
                    cpu::kernels::ternary::<T, T, _>(&shape, o, a, l, h, |x: T, lo: T, hi: T| {
                        <T as Math>::minimum(<T as Math>::maximum(x, lo), hi)
                    })
                }
            })
        })?;
        Ok(out)
    }
}
