//! Unary ufuncs: dtype inference, dispatch, `_into` variants.

use super::{CpuUnary, UnaryOp};
use crate::array::Array;
use crate::cpu::{self, RawOperand};
use crate::dtype::{Casting, DType};
use crate::error::{Error, Result};
use crate::layout::order::ufunc_output_layout;

struct UnaryRun<'a> {
    shape: &'a [usize],
    out: RawOperand<'a>,
    a: RawOperand<'a>,
    /// The half-precision loop dtype whose rounding a wider output must
    /// still see (`sqrt(f16_array, out=f32_array)` rounds to f16 first).
    round_to: Option<DType>,
}

impl<T: super::math::Math> CpuUnary<T, ()> for UnaryRun<'_> {
    fn call<O: crate::Element, G: Fn(&mut [O], &[T]) + Sync + Copy>(self, g: G) {
        let rounded = move |out: &mut [O], xs: &[T]| {
            g(out, xs);
            super::round_half_block(self.round_to, out);
        };
        // SAFETY: the caller (`run_unary`) holds the locks, has checked the
        // destination is writeable and copied an overlapping source.
        unsafe {
            match self.round_to {
                Some(_) if O::DTYPE.is_float() => {
                    cpu::kernels::unary::<T, O, _>(self.shape, self.out, self.a, rounded)
                }
                _ => cpu::kernels::unary::<T, O, G>(self.shape, self.out, self.a, g),
            }
        }
    }
}

fn run_unary(op: UnaryOp, loop_dtype: DType, a: &Array, out: &Array) -> Result<()> {
    crate::Device::common(op.name(), &[a.device(), out.device()])?;
    #[cfg(feature = "gpu")]
    if out.gpu_buffer().is_some() {
        return super::gpu::unary(op, loop_dtype, a, out);
    }
    let sa = a.layout().broadcast_strides(out.shape());
    let so = out.layout().strides().to_vec();
    out.with_locks(op.name(), &[a], |locks| {
        let run = UnaryRun {
            shape: out.shape(),
            out: out.raw(locks, &so),
            a: a.raw(locks, &sa),
            round_to: super::half_rounding(loop_dtype, out.dtype()),
        };
        if op == UnaryOp::Sign && loop_dtype == DType::BF16 {
            // bfloat16's sign keeps a zero's sign (ml_dtypes' loop, which
            // NumPy runs); the other floats give +0.0.
            return CpuUnary::<f32, ()>::call(run, |out: &mut [f32], xs: &[f32]| {
                for (o, &x) in out.iter_mut().zip(xs) {
                    *o = if x == 0.0 {
                        x
                    } else {
                        super::math::Math::sign(x)
                    };
                }
            });
        }
        crate::dispatch_dtype!(loop_dtype.compute(), T => op.with_cpu_fn::<T, ()>(run))
    })
}

impl Array {
    /// Applies a unary ufunc; the result is new memory laid out like the
    /// input (NumPy's order K).
    ///
    /// # Errors
    /// A dtype the op does not take (`negative` of bool, say).
    ///
    /// ```
    /// use strider::{Array, UnaryOp};
    /// let a = Array::from_vec(vec![1.0f32, 4.0, 9.0], &[3]).unwrap();
    /// assert_eq!(a.unary(UnaryOp::Sqrt).unwrap().to_vec::<f32>().unwrap(), vec![1.0, 2.0, 3.0]);
    /// ```
    pub fn unary(&self, op: UnaryOp) -> Result<Array> {
        let (loop_dtype, out_dtype) = op.types(self.dtype())?;
        let out = self.alloc_like(
            op.name(),
            ufunc_output_layout(
                self.shape(),
                &[self.layout()],
                &[self.dtype() != loop_dtype],
            ),
            out_dtype,
        )?;
        run_unary(op, loop_dtype, self, &out)?;
        Ok(out)
    }

    /// Applies a unary ufunc into `out` (NumPy's `out=`): `self` broadcasts
    /// to `out`'s shape and the result is cast to `out`'s dtype under
    /// `same_kind`.
    ///
    /// # Errors
    /// Shapes that do not broadcast to `out`; a result that cannot cast; a
    /// read-only `out`.
    ///
    /// ```
    /// use strider::{Array, UnaryOp};
    /// let a = Array::from_vec(vec![-1.5f64, 2.5], &[2]).unwrap();
    /// a.unary_into(UnaryOp::Abs, &a).unwrap(); // in place
    /// assert_eq!(a.to_vec::<f64>().unwrap(), vec![1.5, 2.5]);
    /// ```
    pub fn unary_into(&self, op: UnaryOp, out: &Array) -> Result<()> {
        let name = op.name();
        let (loop_dtype, res) = op.types(self.dtype())?;
        if !DType::can_cast(res, out.dtype(), Casting::SameKind) {
            return Err(Error::DType {
                op: name,
                reason: format!(
                    "Cannot cast ufunc '{name}' output from dtype('{res}') to dtype('{}') with \
                     casting rule 'same_kind'",
                    out.dtype()
                ),
            });
        }
        out.require_writeable(name)?;
        let shape = crate::layout::broadcast_shapes(name, &[self.shape(), out.shape()])?;
        if shape != out.shape() {
            return Err(Error::broadcast(
                name,
                vec![self.shape().to_vec(), out.shape().to_vec()],
            ));
        }
        let _turn = out.write_turn(name, [self])?;
        let a = super::binary::guard_overlap(name, out, self)?;
        run_unary(op, loop_dtype, &a, out)
    }
}

macro_rules! unary_methods {
    ($($method:ident, $op:ident, $example:literal;)*) => {
        impl Array {
            $(
                #[doc = concat!("NumPy's `", stringify!($method), "`, elementwise, into new memory.")]
                ///
                /// # Errors
                /// A dtype the op does not take.
                ///
                /// ```
                /// use strider::Array;
                #[doc = $example]
                /// ```
                pub fn $method(&self) -> Result<Array> {
                    self.unary(UnaryOp::$op)
                }
            )*
        }
    };
}

unary_methods! {
    negative, Negative, "assert_eq!(Array::from_vec(vec![1i32, -2], &[2]).unwrap().negative().unwrap().to_vec::<i32>().unwrap(), vec![-1, 2]);";
    abs, Abs, "assert_eq!(Array::from_vec(vec![-1.5f32, 2.0], &[2]).unwrap().abs().unwrap().to_vec::<f32>().unwrap(), vec![1.5, 2.0]);";
    sign, Sign, "assert_eq!(Array::from_vec(vec![-3i64, 0, 7], &[3]).unwrap().sign().unwrap().to_vec::<i64>().unwrap(), vec![-1, 0, 1]);";
    sqrt, Sqrt, "assert_eq!(Array::from_vec(vec![4i32], &[1]).unwrap().sqrt().unwrap().to_vec::<f64>().unwrap(), vec![2.0]);";
    exp, Exp, "assert_eq!(Array::from_vec(vec![0.0f64], &[1]).unwrap().exp().unwrap().to_vec::<f64>().unwrap(), vec![1.0]);";
    log, Log, "assert_eq!(Array::from_vec(vec![1.0f64], &[1]).unwrap().log().unwrap().to_vec::<f64>().unwrap(), vec![0.0]);";
    sin, Sin, "assert_eq!(Array::from_vec(vec![0.0f32], &[1]).unwrap().sin().unwrap().to_vec::<f32>().unwrap(), vec![0.0]);";
    cos, Cos, "assert_eq!(Array::from_vec(vec![0.0f32], &[1]).unwrap().cos().unwrap().to_vec::<f32>().unwrap(), vec![1.0]);";
    tanh, Tanh, "assert_eq!(Array::from_vec(vec![0.0f64], &[1]).unwrap().tanh().unwrap().to_vec::<f64>().unwrap(), vec![0.0]);";
    floor, Floor, "assert_eq!(Array::from_vec(vec![-1.5f64, 1.5], &[2]).unwrap().floor().unwrap().to_vec::<f64>().unwrap(), vec![-2.0, 1.0]);";
    ceil, Ceil, "assert_eq!(Array::from_vec(vec![-1.5f64, 1.5], &[2]).unwrap().ceil().unwrap().to_vec::<f64>().unwrap(), vec![-1.0, 2.0]);";
    round, Round, "assert_eq!(Array::from_vec(vec![0.5f64, 1.5, 2.5], &[3]).unwrap().round().unwrap().to_vec::<f64>().unwrap(), vec![0.0, 2.0, 2.0]);";
    logical_not, LogicalNot, "assert_eq!(Array::from_vec(vec![0u8, 3], &[2]).unwrap().logical_not().unwrap().to_vec::<bool>().unwrap(), vec![true, false]);";
}
