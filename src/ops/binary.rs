//! Binary ufuncs: shape and dtype inference, dispatch to the CPU kernels,
//! `_into` and in-place variants, and the arithmetic operators.

use super::{BinaryOp, CpuBinary};
use crate::array::Array;
use crate::cpu::{self, RawOperand};
use crate::dtype::{Casting, DType, Element, Kind};
use crate::error::{Error, Result};
use crate::layout::order::ufunc_output_layout;
use crate::layout::{broadcast_shapes, Layout};
use crate::scalar::{int_fits, operand_array, operand_dtypes, Operand, Scalar};
use crate::storage::LockSet;
use std::borrow::Cow;

/// Turns a weak scalar into a 0-d array of the dtype it takes against
/// `other` (NEP 50), checked to fit that dtype.
pub(crate) fn scalar_array(op: &'static str, s: Scalar, other: DType) -> Result<Array> {
    let dt = s.weak_dtype(op, other)?;
    Ok(crate::dispatch_dtype!(dt, T => Array::scalar(s.to::<T>())))
}

/// A binary op's operands resolved for its kernel: both as arrays (weak
/// scalars as 0-d arrays of the loop dtype, checked against it), the loop
/// dtype and the result dtype.
pub(crate) struct Resolved<'o> {
    pub(crate) a: Cow<'o, Array>,
    pub(crate) b: Cow<'o, Array>,
    pub(crate) loop_dtype: DType,
    pub(crate) out_dtype: DType,
}

/// Resolves a pair of operands for `op`: the loop dtype comes from the
/// operands' dtypes, a weak scalar's taken from the array it meets (NEP
/// 50); then each scalar becomes an array of the loop dtype, so a Python
/// int is checked against the dtype the op computes in (`uint8_array / -1`
/// computes in float64; `bool_array | 2**63` does not fit int64).
pub(crate) fn resolve_pair<'o>(
    op: BinaryOp,
    x: Operand<'o>,
    y: Operand<'o>,
) -> Result<Resolved<'o>> {
    let dts = operand_dtypes(&[x, y]);
    let (loop_dtype, out_dtype) = op.types(dts[0], dts[1])?;
    Ok(Resolved {
        a: operand_array(op.name(), x, loop_dtype)?,
        b: operand_array(op.name(), y, loop_dtype)?,
        loop_dtype,
        out_dtype,
    })
}

struct BinaryRun<'a> {
    shape: &'a [usize],
    out: RawOperand<'a>,
    a: RawOperand<'a>,
    b: RawOperand<'a>,
    /// The half-precision loop dtype whose rounding a wider output must
    /// still see (`divide(f16, f16, out=f32)` rounds to f16 first).
    round_to: Option<DType>,
}

impl<T: super::math::Math> CpuBinary<T, ()> for BinaryRun<'_> {
    fn call<O: crate::Element, F: Fn(T, T) -> O + Sync + Copy>(self, f: F) {
        let (shape, out, a, b) = (self.shape, self.out, self.a, self.b);
        // SAFETY: the caller (`run_binary`) holds the locks, has checked the
        // destination is writeable and copied any overlapping source.
        unsafe {
            match self.round_to {
                Some(DType::F16) if O::DTYPE.is_float() => {
                    let g = move |x: T, y: T| Element::cast::<O>(f(x, y).cast::<half::f16>());
                    cpu::kernels::binary::<T, O, _>(shape, out, a, b, g)
                }
                Some(DType::BF16) if O::DTYPE.is_float() => {
                    let g = move |x: T, y: T| Element::cast::<O>(f(x, y).cast::<half::bf16>());
                    cpu::kernels::binary::<T, O, _>(shape, out, a, b, g)
                }
                _ => cpu::kernels::binary::<T, O, F>(shape, out, a, b, f),
            }
        }
    }
}

/// A scalar operand of a logical op as its truth value: the op reads
/// nothing else of it. So a Python int of any size is fine (NumPy refuses
/// one beyond int64 with an OverflowError, an artefact the ufunc corpus's
/// QUIRKS.md leaves out) and a float never underflows in a narrow loop
/// (`logical_and(float16_array, 1e-8)` is true where the array is).
fn truth_scalar(op: BinaryOp, o: Operand<'_>) -> Operand<'_> {
    match (op, o) {
        (BinaryOp::LogicalAnd | BinaryOp::LogicalOr | BinaryOp::LogicalXor, Operand::Scalar(s)) => {
            Operand::Scalar(Scalar::Bool(match s {
                Scalar::Bool(b) => b,
                Scalar::Int(v) => v != 0,
                Scalar::Float(f) => f != 0.0,
            }))
        }
        _ => o,
    }
}

/// Fails when a signed-integer power has a negative exponent, as NumPy does.
///
/// The minimum is read as a scalar: no conversion array (which the ledger
/// would show as a copy) is made. For an exponent on a GPU the minimum is
/// reduced there and its one element downloaded (a transfer in the ledger,
/// and a wait for the device): a kernel cannot raise an error.
fn check_int_power(op: BinaryOp, loop_dtype: DType, exponent: &Array) -> Result<()> {
    if op != BinaryOp::Power || loop_dtype.kind() != Kind::Int || exponent.size() == 0 {
        return Ok(());
    }
    let mut min = exponent.reduce(super::ReduceOp::Min, super::Axes::All, false)?;
    if !min.device().is_cpu() {
        min = min.to_cpu()?;
    }
    let min = min.item_scalar()?;
    let min = match min {
        Scalar::Int(v) => v,
        _ => 0,
    };
    if min < 0 {
        return Err(Error::Value {
            op: "power",
            reason: "Integers to negative integer powers are not allowed.".into(),
        });
    }
    Ok(())
}

/// The device of the array operands (and of `out`, if given): scalars
/// follow the arrays; arrays on different devices are an error.
pub(crate) fn operand_device(
    op: &'static str,
    operands: &[Operand<'_>],
    out: Option<&Array>,
) -> Result<crate::Device> {
    let arrays = || operands.iter().filter_map(|o| o.array()).chain(out);
    // All on the CPU (the common case): no device list to build.
    if arrays().all(|a| a.device().is_cpu()) {
        return Ok(crate::Device::Cpu);
    }
    let devices: Vec<crate::Device> = arrays().map(Array::device).collect();
    crate::Device::common(op, &devices)
}

/// Returns `src` itself when it cannot disturb a kernel writing `dst`, or a
/// private copy of it when it overlaps `dst` other than element for element
/// (recorded as an implicit copy).
pub(crate) fn guard_overlap<'s>(
    op: &'static str,
    dst: &Array,
    src: &'s Array,
) -> Result<Cow<'s, Array>> {
    if src.buffer_id() != dst.buffer_id() {
        return Ok(Cow::Borrowed(src));
    }
    let same = src.layout().offset() == dst.layout().offset()
        && src.layout().broadcast_strides(dst.shape()) == dst.layout().strides();
    if same || !src.shares_memory(dst) {
        return Ok(Cow::Borrowed(src));
    }
    src.copy_implicit(op, "the source overlaps the destination")
        .map(Cow::Owned)
}

/// `a`'s strides broadcast to `shape`: its own when the shapes agree (no
/// allocation on the common path).
pub(crate) fn broadcast_strides_of<'s>(a: &'s Array, shape: &[usize]) -> Cow<'s, [isize]> {
    if a.shape() == shape {
        Cow::Borrowed(a.layout().strides())
    } else {
        Cow::Owned(a.layout().broadcast_strides(shape))
    }
}

/// Runs `op` over `a` and `b` (broadcast to `out`'s shape) into `out`,
/// computing in `loop_dtype`.
fn run_binary(op: BinaryOp, loop_dtype: DType, a: &Array, b: &Array, out: &Array) -> Result<()> {
    #[cfg(feature = "gpu")]
    if out.gpu_buffer().is_some() {
        return super::gpu::binary(op, loop_dtype, a, b, out);
    }
    let sa = broadcast_strides_of(a, out.shape());
    let sb = broadcast_strides_of(b, out.shape());
    let so = out.layout().strides();
    out.with_locks(op.name(), &[a, b], |locks: &mut LockSet<'_>| {
        let run = BinaryRun {
            shape: out.shape(),
            out: out.raw(locks, so),
            a: a.raw(locks, &sa),
            b: b.raw(locks, &sb),
            round_to: super::half_rounding(loop_dtype, out.dtype()),
        };
        crate::dispatch_dtype!(loop_dtype.compute(), T => op.with_cpu_fn::<T, ()>(run))
    })
}

impl Array {
    /// Applies a binary ufunc with broadcasting and NumPy 2 promotion; the
    /// result is new memory laid out as NumPy lays out ufunc results.
    ///
    /// # Errors
    /// Shapes that do not broadcast; dtypes the op does not take; an integer
    /// scalar that does not fit the array's dtype.
    ///
    /// ```
    /// use strider::{Array, BinaryOp};
    /// let a = Array::arange_i64(0, 3, 1).unwrap();
    /// let b = a.binary(BinaryOp::Multiply, 2).unwrap();
    /// assert_eq!(b.to_vec::<i64>().unwrap(), vec![0, 2, 4]);
    /// ```
    pub fn binary<'a>(&self, op: BinaryOp, other: impl Into<Operand<'a>>) -> Result<Array> {
        binary_operands(op, Operand::Array(self), other.into())
    }

    /// Applies a binary ufunc writing into `out` (NumPy's `out=`): `self`
    /// and `other` broadcast to `out`'s shape, and the result is cast to
    /// `out`'s dtype under `same_kind`. If an input overlaps `out`, it is
    /// read as if copied first (a recorded implicit copy when needed).
    ///
    /// # Errors
    /// Shapes that do not broadcast to `out`; a result dtype that cannot
    /// cast to `out`'s; a read-only `out`.
    ///
    /// ```
    /// use strider::{Array, BinaryOp, DType};
    /// let a = Array::arange_i64(0, 3, 1).unwrap();
    /// let out = Array::zeros(&[2, 3], DType::F64).unwrap();
    /// a.binary_into(BinaryOp::Add, 0.5, &out).unwrap();
    /// assert_eq!(out.to_vec::<f64>().unwrap(), vec![0.5, 1.5, 2.5, 0.5, 1.5, 2.5]);
    /// ```
    pub fn binary_into<'a>(
        &self,
        op: BinaryOp,
        other: impl Into<Operand<'a>>,
        out: &Array,
    ) -> Result<()> {
        binary_operands_into(op, Operand::Array(self), other.into(), out)
    }

    /// `self[...] = op(self, other)`, writing through this array (and every
    /// view sharing its memory).
    ///
    /// # Errors
    /// `other` must broadcast to `self`'s shape, and the result must cast to
    /// `self`'s dtype under `same_kind`.
    ///
    /// ```
    /// use strider::{s, Array, BinaryOp};
    /// let a = Array::arange_i64(0, 6, 1).unwrap().reshape(&[2, 3]).unwrap();
    /// a.slice(s![1]).unwrap().binary_inplace(BinaryOp::Add, 10).unwrap();
    /// assert_eq!(a.to_vec::<i64>().unwrap(), vec![0, 1, 2, 13, 14, 15]);
    /// ```
    pub fn binary_inplace<'a>(&self, op: BinaryOp, other: impl Into<Operand<'a>>) -> Result<()> {
        binary_operands_into(op, Operand::Array(self), other.into(), self)
    }
}

/// A binary ufunc over two operands, either of which may be a scalar.
///
/// # Errors
/// As [`Array::binary`].
pub fn binary_operands(op: BinaryOp, x: Operand<'_>, y: Operand<'_>) -> Result<Array> {
    let name = op.name();
    let (x, y) = (truth_scalar(op, x), truth_scalar(op, y));
    let device = operand_device(name, &[x, y], None)?;
    if let Some((arr, answer)) = out_of_range_comparison(op, x, y) {
        let layout = ufunc_output_layout(arr.shape(), &[arr.layout()], &[false]);
        let out = Array::alloc_on(&device, name, layout, DType::Bool)?;
        out.fill(answer)?;
        return Ok(out);
    }
    let Resolved {
        a,
        b,
        loop_dtype,
        out_dtype,
    } = resolve_pair(op, x, y)?;
    check_int_power(op, loop_dtype, &b)?;
    if let Some(exact) = exact_mixed_comparison(op, &device, &a, &b)? {
        return Ok(exact);
    }
    if let Some(fast) = fast_power(op, &a, y, loop_dtype)? {
        return Ok(fast);
    }
    let shape = broadcast_shapes(name, &[a.shape(), b.shape()])?;
    let layouts: [&Layout; 2] = [a.layout(), b.layout()];
    let casts = [a.dtype() != loop_dtype, b.dtype() != loop_dtype];
    let out = Array::alloc_on(
        &device,
        name,
        ufunc_output_layout(&shape, &layouts, &casts),
        out_dtype,
    )?;
    run_binary(op, loop_dtype, &a, &b, &out)?;
    Ok(out)
}

/// Checks that a result of dtype `res_dtype` computed from operands of
/// `shapes` can be written into `out`: the dtype casts under `same_kind`,
/// `out` is writeable, and the operands broadcast to `out`'s shape.
fn check_out(name: &'static str, res_dtype: DType, shapes: &[&[usize]], out: &Array) -> Result<()> {
    if !DType::can_cast(res_dtype, out.dtype(), Casting::SameKind) {
        return Err(Error::DType {
            op: name,
            reason: format!(
                "Cannot cast ufunc '{name}' output from dtype('{res_dtype}') to dtype('{}') \
                 with casting rule 'same_kind'",
                out.dtype()
            ),
        });
    }
    out.require_writeable(name)?;
    let mut all: Vec<&[usize]> = shapes.to_vec();
    all.push(out.shape());
    let shape = broadcast_shapes(name, &all)?;
    if shape != out.shape() {
        return Err(Error::Broadcast {
            op: name,
            shapes: all.iter().map(|s| s.to_vec()).collect(),
            detail: format!(
                "the result of shape {} does not fit the output of shape {}",
                crate::error::fmt_shape(&shape),
                crate::error::fmt_shape(out.shape())
            ),
        });
    }
    Ok(())
}

/// NumPy 2 compares an integer array with a Python integer outside the
/// array's dtype by value instead of refusing the scalar (`uint8_array <
/// -2` is all false, `int32_array != 2**40` all true): the scalar lies
/// beyond every element, so one bool answers the whole comparison. Returns
/// the array and that answer for such a call, `None` otherwise.
fn out_of_range_comparison<'a>(
    op: BinaryOp,
    x: Operand<'a>,
    y: Operand<'a>,
) -> Option<(&'a Array, bool)> {
    use std::cmp::Ordering::{Greater, Less};
    let (arr, v, scalar_first) = match (x, y) {
        (Operand::Array(a), Operand::Scalar(Scalar::Int(v))) => (a, v, false),
        (Operand::Scalar(Scalar::Int(v)), Operand::Array(a)) => (a, v, true),
        _ => return None,
    };
    if !arr.dtype().is_integer() || int_fits(v, arr.dtype()) {
        return None;
    }
    // How the left operand compares with the right one, for every element.
    let left_vs_right = match (v > 0, scalar_first) {
        (true, false) | (false, true) => Less,
        (true, true) | (false, false) => Greater,
    };
    let answer = match op {
        BinaryOp::Less | BinaryOp::LessEqual => left_vs_right == Less,
        BinaryOp::Greater | BinaryOp::GreaterEqual => left_vs_right == Greater,
        BinaryOp::Equal => false,
        BinaryOp::NotEqual => true,
        _ => return None,
    };
    Some((arr, answer))
}

/// NumPy's fast scalar powers: a float32 or float64 array raised to the
/// Python scalar 0.5 computes `sqrt` (so `(-0.0) ** 0.5` is -0.0 and
/// `(-inf) ** 0.5` is NaN, where C's `pow` gives +0.0 and +inf), to 2
/// `x * x`, to -1 `1 / x`, to 1 a copy and to 0 ones (each the correctly
/// rounded power, which `pow` itself need not give). float16 and bfloat16
/// take `pow`, as NumPy's loops for them do; so does every other exponent.
/// `None` when no fast form applies. [`crate::expr`] builds the same forms.
fn fast_power(op: BinaryOp, a: &Array, y: Operand<'_>, loop_dtype: DType) -> Result<Option<Array>> {
    let e = match (op, y) {
        (BinaryOp::Power, Operand::Scalar(Scalar::Float(e))) => e,
        (BinaryOp::Power, Operand::Scalar(Scalar::Int(e))) => e as f64,
        _ => return Ok(None),
    };
    if !matches!(loop_dtype, DType::F32 | DType::F64) || a.dtype() != loop_dtype {
        return Ok(None);
    }
    let array = Operand::Array(a);
    let filled = |copy: bool| -> Result<Array> {
        let layout = ufunc_output_layout(a.shape(), &[a.layout()], &[false]);
        let out = Array::alloc_on(&a.device(), "power", layout, loop_dtype)?;
        if copy {
            out.copy_from_unchecked("power", a)?;
        } else {
            out.fill(1.0)?;
        }
        Ok(out)
    };
    Ok(Some(if e == 0.5 {
        a.unary(super::UnaryOp::Sqrt)?
    } else if e == 2.0 {
        binary_operands(BinaryOp::Multiply, array, array)?
    } else if e == -1.0 {
        binary_operands(BinaryOp::Divide, Operand::Scalar(Scalar::Float(1.0)), array)?
    } else if e == 1.0 {
        filled(true)?
    } else if e == 0.0 {
        filled(false)?
    } else {
        return Ok(None);
    }))
}

/// NumPy 2 compares int64 with uint64 exactly, where their common dtype
/// (float64) would round both (`2**63 == 2**63 - 1` would be true). The
/// comparison runs in uint64, the int64 operand wrapping, and the elements
/// where the int64 operand is negative (below every uint64) take the
/// answer they must have: three kernels, no copy. `None` for any other
/// pair of dtypes or op.
fn exact_mixed_comparison(
    op: BinaryOp,
    device: &crate::Device,
    a: &Array,
    b: &Array,
) -> Result<Option<Array>> {
    use BinaryOp::*;
    let signed_left = match (a.dtype(), b.dtype()) {
        (DType::I64, DType::U64) => true,
        (DType::U64, DType::I64) => false,
        _ => return Ok(None),
    };
    if !matches!(
        op,
        Equal | NotEqual | Less | LessEqual | Greater | GreaterEqual
    ) {
        return Ok(None);
    }
    let name = op.name();
    let shape = broadcast_shapes(name, &[a.shape(), b.shape()])?;
    let layouts: [&Layout; 2] = [a.layout(), b.layout()];
    let wrapped = Array::alloc_on(
        device,
        name,
        ufunc_output_layout(&shape, &layouts, &[signed_left, !signed_left]),
        DType::Bool,
    )?;
    run_binary(op, DType::U64, a, b, &wrapped)?;
    let negative = if signed_left { a } else { b }.less(0)?;
    // A negative int64 is below every uint64.
    let when_negative = match op {
        Equal => false,
        NotEqual => true,
        Less | LessEqual => signed_left,
        _ => !signed_left,
    };
    Ok(Some(if when_negative {
        wrapped.logical_or(&negative)?
    } else {
        wrapped.logical_and(&negative.logical_not()?)?
    }))
}

/// A binary ufunc over two operands into `out`.
///
/// # Errors
/// As [`Array::binary_into`].
pub fn binary_operands_into(
    op: BinaryOp,
    x: Operand<'_>,
    y: Operand<'_>,
    out: &Array,
) -> Result<()> {
    let name = op.name();
    let (x, y) = (truth_scalar(op, x), truth_scalar(op, y));
    operand_device(name, &[x, y], Some(out))?;
    // From here to the kernel, no other writer of `out` runs: an overlapping
    // input's private copy and the write it feeds are one step.
    let _turn = out.write_turn(name, [x, y].into_iter().filter_map(Operand::array))?;
    if let Some((arr, answer)) = out_of_range_comparison(op, x, y) {
        check_out(name, DType::Bool, &[arr.shape()], out)?;
        return out.fill(answer);
    }
    let Resolved {
        a,
        b,
        loop_dtype,
        out_dtype: res_dtype,
    } = resolve_pair(op, x, y)?;
    check_out(name, res_dtype, &[a.shape(), b.shape()], out)?;
    check_int_power(op, loop_dtype, &b)?;
    if let Some(exact) = exact_mixed_comparison(op, &out.device(), &a, &b)? {
        return out.assign(&[], &exact);
    }
    let exponent = match (op, y) {
        (BinaryOp::Power, Operand::Scalar(Scalar::Float(e))) => Some(e),
        (BinaryOp::Power, Operand::Scalar(Scalar::Int(v))) => Some(v as f64),
        _ => None,
    };
    let fast = matches!(loop_dtype, DType::F32 | DType::F64) && a.dtype() == loop_dtype;
    if let Some(e) = exponent.filter(|_| fast) {
        // The fast forms whose bits can differ from `pow`'s (see
        // `fast_power`); `x ** 1` and `x ** 0` are exact either way.
        let x = Operand::Array(&a);
        if e == 0.5 {
            return a.unary_into(super::UnaryOp::Sqrt, out);
        }
        if e == 2.0 {
            return binary_operands_into(BinaryOp::Multiply, x, x, out);
        }
        if e == -1.0 {
            let one = Operand::Scalar(Scalar::Float(1.0));
            return binary_operands_into(BinaryOp::Divide, one, x, out);
        }
    }
    let a = guard_overlap(name, out, &a)?;
    let b = guard_overlap(name, out, &b)?;
    run_binary(op, loop_dtype, &a, &b, out)
}

macro_rules! binary_methods {
    ($($method:ident, $into:ident, $op:ident, $example:literal $(, $note:literal)?;)*) => {
        impl Array {
            $(
                #[doc = concat!("NumPy's `", stringify!($method), "` with broadcasting and promotion; `other` is an array or a weak scalar.")]
                $(
                    ///
                    #[doc = $note]
                )?
                ///
                /// # Errors
                /// Shapes that do not broadcast, or dtypes the op does not take.
                ///
                /// ```
                /// use strider::Array;
                /// let a = Array::from_vec(vec![1i64, 5, -7], &[3]).unwrap();
                #[doc = $example]
                /// ```
                pub fn $method<'a>(&self, other: impl Into<Operand<'a>>) -> Result<Array> {
                    self.binary(BinaryOp::$op, other)
                }

                #[doc = concat!("`", stringify!($method), "` written into `out` (NumPy's `out=`), cast to `out`'s dtype under `same_kind`.")]
                ///
                /// # Errors
                /// As [`Array::binary_into`].
                ///
                /// ```
                /// use strider::Array;
                /// let a = Array::from_vec(vec![1i64, 5, -7], &[3]).unwrap();
                #[doc = concat!("let out = a.", stringify!($method), "(2).unwrap();")]
                #[doc = concat!("a.", stringify!($into), "(2, &out).unwrap();")]
                /// ```
                pub fn $into<'a>(&self, other: impl Into<Operand<'a>>, out: &Array) -> Result<()> {
                    self.binary_into(BinaryOp::$op, other, out)
                }
            )*
        }
    };
}

binary_methods! {
    add, add_into, Add, "assert_eq!(a.add(1).unwrap().to_vec::<i64>().unwrap(), vec![2, 6, -6]);";
    subtract, subtract_into, Subtract, "assert_eq!(a.subtract(1).unwrap().to_vec::<i64>().unwrap(), vec![0, 4, -8]);";
    multiply, multiply_into, Multiply, "assert_eq!(a.multiply(2).unwrap().to_vec::<i64>().unwrap(), vec![2, 10, -14]);";
    divide, divide_into, Divide, "assert_eq!(a.divide(2).unwrap().to_vec::<f64>().unwrap(), vec![0.5, 2.5, -3.5]);";
    floor_divide, floor_divide_into, FloorDivide, "assert_eq!(a.floor_divide(2).unwrap().to_vec::<i64>().unwrap(), vec![0, 2, -4]);";
    remainder, remainder_into, Remainder, "assert_eq!(a.remainder(2).unwrap().to_vec::<i64>().unwrap(), vec![1, 1, 1]);";
    power, power_into, Power, "assert_eq!(a.power(2).unwrap().to_vec::<i64>().unwrap(), vec![1, 25, 49]);";
    maximum, maximum_into, Maximum, "assert_eq!(a.maximum(2).unwrap().to_vec::<i64>().unwrap(), vec![2, 5, 2]);", "Where +0.0 meets -0.0 the result is the first operand (NumPy answers either zero, depending on its SIMD path). NaN propagates.";
    minimum, minimum_into, Minimum, "assert_eq!(a.minimum(2).unwrap().to_vec::<i64>().unwrap(), vec![1, 2, -7]);", "Where +0.0 meets -0.0 the result is the first operand (NumPy answers either zero, depending on its SIMD path). NaN propagates.";
    equal, equal_into, Equal, "assert_eq!(a.equal(5).unwrap().to_vec::<bool>().unwrap(), vec![false, true, false]);";
    not_equal, not_equal_into, NotEqual, "assert_eq!(a.not_equal(5).unwrap().to_vec::<bool>().unwrap(), vec![true, false, true]);";
    less, less_into, Less, "assert_eq!(a.less(2).unwrap().to_vec::<bool>().unwrap(), vec![true, false, true]);";
    less_equal, less_equal_into, LessEqual, "assert_eq!(a.less_equal(1).unwrap().to_vec::<bool>().unwrap(), vec![true, false, true]);";
    greater, greater_into, Greater, "assert_eq!(a.greater(1).unwrap().to_vec::<bool>().unwrap(), vec![false, true, false]);";
    greater_equal, greater_equal_into, GreaterEqual, "assert_eq!(a.greater_equal(1).unwrap().to_vec::<bool>().unwrap(), vec![true, true, false]);";
    logical_and, logical_and_into, LogicalAnd, "assert_eq!(a.logical_and(0).unwrap().to_vec::<bool>().unwrap(), vec![false; 3]);", "A scalar counts by its truth value only, so a Python int of any size is accepted (NumPy refuses one beyond int64).";
    logical_or, logical_or_into, LogicalOr, "assert_eq!(a.logical_or(0).unwrap().to_vec::<bool>().unwrap(), vec![true; 3]);", "A scalar counts by its truth value only, so a Python int of any size is accepted (NumPy refuses one beyond int64).";
    logical_xor, logical_xor_into, LogicalXor, "assert_eq!(a.logical_xor(1).unwrap().to_vec::<bool>().unwrap(), vec![false; 3]);", "A scalar counts by its truth value only, so a Python int of any size is accepted (NumPy refuses one beyond int64).";
    bitwise_and, bitwise_and_into, BitwiseAnd, "assert_eq!(a.bitwise_and(3).unwrap().to_vec::<i64>().unwrap(), vec![1, 1, 1]);";
    bitwise_or, bitwise_or_into, BitwiseOr, "assert_eq!(a.bitwise_or(2).unwrap().to_vec::<i64>().unwrap(), vec![3, 7, -5]);";
    bitwise_xor, bitwise_xor_into, BitwiseXor, "assert_eq!(a.bitwise_xor(1).unwrap().to_vec::<i64>().unwrap(), vec![0, 4, -8]);";
}

// ----- operators ---------------------------------------------------------
//
// Binary operators return `Result<Array>` (an op can fail on shapes or
// dtypes, and strider does not panic on bad input); they also accept a
// `Result<Array>` on either side next to an array, so `&a * 2.0 + &b`
// chains and a single `?` at the end reports the first error.
//
// Scalar operands of the operators are f64, i64 and bool only, so that a
// bare literal (`&a * 2.0`, `&a + 1`) has exactly one meaning; scalars are
// weak either way (`f32_array * 2.0` stays f32). Other Rust number types
// go through the methods (`a.multiply(x)`), which take any number. (Rust's
// orphan rule forbids `Result<Array> * 2.0`; write `&(...)? * 2.0`.)
//
// Compound assignment (`a += &b`) writes through `a` into shared memory.
// Rust's `AddAssign` cannot return an error, so those operators panic on a
// shape or dtype mismatch; use `binary_inplace` (or `add_into`) for a
// `Result`.

macro_rules! operators {
    ($($trait:ident, $method:ident, $assign_trait:ident, $assign_method:ident, $op:ident;)*) => {$(
        impl std::ops::$trait<&Array> for &Array {
            type Output = Result<Array>;
            fn $method(self, rhs: &Array) -> Result<Array> {
                self.binary(BinaryOp::$op, rhs)
            }
        }
        impl std::ops::$trait<&Array> for Array {
            type Output = Result<Array>;
            fn $method(self, rhs: &Array) -> Result<Array> {
                self.binary(BinaryOp::$op, rhs)
            }
        }
        impl std::ops::$trait<Array> for Array {
            type Output = Result<Array>;
            fn $method(self, rhs: Array) -> Result<Array> {
                self.binary(BinaryOp::$op, &rhs)
            }
        }
        impl std::ops::$trait<Array> for &Array {
            type Output = Result<Array>;
            fn $method(self, rhs: Array) -> Result<Array> {
                self.binary(BinaryOp::$op, &rhs)
            }
        }
        impl std::ops::$trait<&Array> for Result<Array> {
            type Output = Result<Array>;
            fn $method(self, rhs: &Array) -> Result<Array> {
                self?.binary(BinaryOp::$op, rhs)
            }
        }
        impl std::ops::$trait<Result<Array>> for &Array {
            type Output = Result<Array>;
            fn $method(self, rhs: Result<Array>) -> Result<Array> {
                self.binary(BinaryOp::$op, &rhs?)
            }
        }
        impl std::ops::$assign_trait<&Array> for Array {
            /// # Panics
            /// On shapes that do not broadcast to `self` or a result that
            /// cannot cast to `self`'s dtype; `binary_inplace` returns the
            /// error instead. The panic names the caller's line.
            #[track_caller]
            fn $assign_method(&mut self, rhs: &Array) {
                if let Err(e) = self.binary_inplace(BinaryOp::$op, rhs) {
                    panic!("{e}");
                }
            }
        }
        operators!(@scalars $trait, $method, $assign_trait, $assign_method, $op; f64, i64, bool);
    )*};
    (@scalars $trait:ident, $method:ident, $assign_trait:ident, $assign_method:ident, $op:ident; $($t:ty),*) => {$(
        impl std::ops::$trait<$t> for &Array {
            type Output = Result<Array>;
            fn $method(self, rhs: $t) -> Result<Array> {
                self.binary(BinaryOp::$op, rhs)
            }
        }
        impl std::ops::$trait<$t> for Array {
            type Output = Result<Array>;
            fn $method(self, rhs: $t) -> Result<Array> {
                self.binary(BinaryOp::$op, rhs)
            }
        }
        impl std::ops::$trait<&Array> for $t {
            type Output = Result<Array>;
            fn $method(self, rhs: &Array) -> Result<Array> {
                binary_operands(BinaryOp::$op, Operand::Scalar(self.into()), Operand::Array(rhs))
            }
        }
        impl std::ops::$assign_trait<$t> for Array {
            /// # Panics
            /// On a result that cannot cast to `self`'s dtype (or an integer
            /// scalar out of range); `binary_inplace` returns the error instead.
            /// The panic names the caller's line.
            #[track_caller]
            fn $assign_method(&mut self, rhs: $t) {
                if let Err(e) = self.binary_inplace(BinaryOp::$op, rhs) {
                    panic!("{e}");
                }
            }
        }
    )*};
}

operators! {
    Add, add, AddAssign, add_assign, Add;
    Sub, sub, SubAssign, sub_assign, Subtract;
    Mul, mul, MulAssign, mul_assign, Multiply;
    Div, div, DivAssign, div_assign, Divide;
    Rem, rem, RemAssign, rem_assign, Remainder;
    BitAnd, bitand, BitAndAssign, bitand_assign, BitwiseAnd;
    BitOr, bitor, BitOrAssign, bitor_assign, BitwiseOr;
    BitXor, bitxor, BitXorAssign, bitxor_assign, BitwiseXor;
}

impl std::ops::Neg for &Array {
    type Output = Result<Array>;
    fn neg(self) -> Result<Array> {
        self.negative()
    }
}
