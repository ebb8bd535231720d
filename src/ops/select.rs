//! `where` and `clip`: the elementwise ops with three operands.

use super::math::Math;
use crate::array::Array;
use crate::cpu;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::layout::broadcast_shapes;
use crate::layout::order::binary_output_layout;
use crate::scalar::Operand;

/// Resolves operands to arrays: the arrays' dtypes promote together, and
/// each weak scalar takes its dtype against that promotion.
fn resolve_all(op: &'static str, operands: &[Operand<'_>]) -> Result<Vec<Array>> {
    let arrays_dtype = operands
        .iter()
        .filter_map(|o| match o {
            Operand::Array(a) => Some(a.dtype()),
            Operand::Scalar(_) => None,
        })
        .reduce(DType::promote);
    let mut out = Vec::with_capacity(operands.len());
    let mut scalar_dtype: Option<DType> = None;
    for o in operands {
        out.push(match o {
            Operand::Array(a) => (*a).clone(),
            Operand::Scalar(s) => {
                let against = arrays_dtype.or(scalar_dtype).unwrap_or(s.default_dtype());
                let arr = super::binary::scalar_array(op, *s, against)?;
                scalar_dtype =
                    Some(scalar_dtype.map_or(arr.dtype(), |d| DType::promote(d, arr.dtype())));
                arr
            }
        });
    }
    Ok(out)
}

/// NumPy's `where(cond, x, y)`: `x` where `cond` is true (nonzero), else
/// `y`, broadcasting all three. The result dtype promotes `x` and `y`
/// (weak scalars included).
///
/// # Errors
/// Shapes that do not broadcast together.
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
    let v = resolve_all(op, &[x, y])?;
    let (x, y) = (&v[0], &v[1]);
    let dtype = DType::promote(x.dtype(), y.dtype());
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
    /// included). NaN propagates.
    ///
    /// # Errors
    /// Shapes that do not broadcast together, or a bool result dtype.
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
        let v = resolve_all(op, &[Operand::Array(self), lo, hi])?;
        let dtype = DType::promote(DType::promote(v[0].dtype(), v[1].dtype()), v[2].dtype());
        if dtype == DType::Bool {
            return Err(Error::DType {
                op,
                reason: "clip is not supported for bool arrays".into(),
            });
        }
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
