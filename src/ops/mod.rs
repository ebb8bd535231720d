//! The op registry: every elementwise and reduction op is declared once
//! here, with its name, its dtype rule and its CPU scalar function; its
//! WGSL expression per loop dtype is `wgsl_for` in `gpu.rs`, matched
//! exhaustively on the same enums, so a new op cannot miss a backend.
//! Shape and dtype inference and dispatch live beside it: `binary.rs`,
//! `unary.rs`, `select.rs` (where, clip) and `reduce.rs`. User GPU kernels
//! (a WGSL expression over named inputs) are `user_kernel.rs`.

pub(crate) mod binary;
#[cfg(feature = "gpu")]
pub(crate) mod gpu;
pub(crate) mod math;
pub(crate) mod reduce;
pub(crate) mod select;
pub(crate) mod unary;
#[cfg(feature = "gpu")]
pub mod user_kernel;

pub use reduce::{Axes, ReduceOp};

use crate::dtype::{DType, Kind};
use crate::error::{Error, Result};

/// How an op's loop and result dtypes follow from its inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TypeRule {
    /// Loop and result in the promoted dtype (bool allowed).
    Arith,
    /// Like `Arith`, but two bool inputs compute in int8 (NumPy has no
    /// bool loop for these ops and picks its smallest signed one).
    ArithBoolInt8,
    /// Loop in the promoted dtype, integers and bool go to float64.
    TrueDivide,
    /// Loop in the promoted dtype, bool result.
    Compare,
    /// Loop in bool (truthiness), bool result.
    Logical,
    /// Integers and bool only, result in the promoted dtype.
    Bitwise,
}

macro_rules! binary_ops {
    ($($variant:ident: $name:literal, $rule:ident, |$a:ident, $b:ident| $cpu:expr;)*) => {
        /// A binary elementwise op (a NumPy ufunc with two inputs).
        ///
        /// ```
        /// assert_eq!(strider::BinaryOp::FloorDivide.name(), "floor_divide");
        /// assert_eq!(strider::BinaryOp::from_name("less"), Some(strider::BinaryOp::Less));
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum BinaryOp {
            $(
                #[doc = concat!("NumPy's `", $name, "`.")]
                $variant,
            )*
        }

        impl BinaryOp {
            /// Every binary op.
            pub const ALL: &'static [BinaryOp] = &[$(BinaryOp::$variant),*];

            /// NumPy's name of the op.
            pub fn name(self) -> &'static str {
                match self { $(BinaryOp::$variant => $name),* }
            }

            /// The op with NumPy's name `name`.
            pub fn from_name(name: &str) -> Option<BinaryOp> {
                BinaryOp::ALL.iter().copied().find(|op| op.name() == name)
            }

            pub(crate) fn rule(self) -> TypeRule {
                match self { $(BinaryOp::$variant => TypeRule::$rule),* }
            }


            /// Applies the op's CPU scalar function (in the loop type `T`,
            /// giving `O`) through `run`, which receives the function.
            pub(crate) fn with_cpu_fn<T: math::Math, R>(self, run: impl CpuBinary<T, R>) -> R {
                match self {
                    $(BinaryOp::$variant => run.call(|$a: T, $b: T| $cpu),)*
                }
            }
        }
    };
}

/// A consumer of a binary scalar function: the kernel dispatcher.
pub(crate) trait CpuBinary<T, R> {
    fn call<O: crate::dtype::Element, F: Fn(T, T) -> O + Sync + Copy>(self, f: F) -> R;
}

use math::Math;

/// The loop dtype whose rounding an output must still get when a float16
/// or bfloat16 loop (computed in f32) writes into an output of another
/// dtype: NumPy's loop rounds to its own dtype, then casts.
pub(crate) fn half_rounding(loop_dtype: DType, out: DType) -> Option<DType> {
    (loop_dtype.compute() != loop_dtype && out != loop_dtype).then_some(loop_dtype)
}

/// Rounds a block of f32-computed results to the half-precision dtype
/// `round_to` (and back to `O`), as [`half_rounding`] asks.
pub(crate) fn round_half_block<O: crate::dtype::Element>(round_to: Option<DType>, out: &mut [O]) {
    match round_to {
        Some(DType::F16) => out
            .iter_mut()
            .for_each(|o| *o = crate::dtype::Element::cast(o.cast::<half::f16>())),
        Some(DType::BF16) => out
            .iter_mut()
            .for_each(|o| *o = crate::dtype::Element::cast(o.cast::<half::bf16>())),
        _ => {}
    }
}

binary_ops! {
    Add: "add", Arith, |a, b| Math::add(a, b);
    Subtract: "subtract", Arith, |a, b| Math::sub(a, b);
    Multiply: "multiply", Arith, |a, b| Math::mul(a, b);
    Divide: "divide", TrueDivide, |a, b| Math::div(a, b);
    FloorDivide: "floor_divide", ArithBoolInt8, |a, b| Math::floor_div(a, b);
    Remainder: "remainder", ArithBoolInt8, |a, b| Math::rem(a, b);
    Power: "power", ArithBoolInt8, |a, b| Math::pow(a, b);
    Maximum: "maximum", Arith, |a, b| Math::maximum(a, b);
    Minimum: "minimum", Arith, |a, b| Math::minimum(a, b);
    Equal: "equal", Compare, |a, b| a == b;
    NotEqual: "not_equal", Compare, |a, b| a != b;
    Less: "less", Compare, |a, b| a < b;
    LessEqual: "less_equal", Compare, |a, b| a <= b;
    Greater: "greater", Compare, |a, b| a > b;
    GreaterEqual: "greater_equal", Compare, |a, b| a >= b;
    LogicalAnd: "logical_and", Logical, |a, b| Math::bitand(a, b);
    LogicalOr: "logical_or", Logical, |a, b| Math::bitor(a, b);
    LogicalXor: "logical_xor", Logical, |a, b| Math::bitxor(a, b);
    BitwiseAnd: "bitwise_and", Bitwise, |a, b| Math::bitand(a, b);
    BitwiseOr: "bitwise_or", Bitwise, |a, b| Math::bitor(a, b);
    BitwiseXor: "bitwise_xor", Bitwise, |a, b| Math::bitxor(a, b);
}

impl BinaryOp {
    /// The loop dtype and result dtype for inputs of dtypes `a` and `b`
    /// (weak scalars already resolved).
    pub(crate) fn types(self, a: DType, b: DType) -> Result<(DType, DType)> {
        let p = DType::promote(a, b);
        let unsupported = |why: &str| Error::DType {
            op: self.name(),
            reason: format!(
                "ufunc '{}' not supported for the input types {a} and {b}{why}",
                self.name()
            ),
        };
        match self.rule() {
            TypeRule::Arith => {
                if self == BinaryOp::Subtract && p == DType::Bool {
                    return Err(Error::DType {
                        op: self.name(),
                        reason: "numpy boolean subtract, the `-` operator, is not supported, \
                                 use the bitwise_xor, the `^` operator, or the logical_xor \
                                 function instead"
                            .into(),
                    });
                }
                Ok((p, p))
            }
            TypeRule::ArithBoolInt8 => {
                let l = if p == DType::Bool { DType::I8 } else { p };
                Ok((l, l))
            }
            TypeRule::TrueDivide => {
                let l = if p.is_float() { p } else { DType::F64 };
                Ok((l, l))
            }
            TypeRule::Compare => Ok((p, DType::Bool)),
            TypeRule::Logical => Ok((DType::Bool, DType::Bool)),
            TypeRule::Bitwise => {
                if p.kind() == Kind::Float {
                    Err(unsupported(""))
                } else {
                    Ok((p, p))
                }
            }
        }
    }
}

macro_rules! unary_ops {
    ($($variant:ident: $name:literal, $rule:ident, |$a:ident| $cpu:expr $(, block $blk:path)?;)*) => {
        /// A unary elementwise op (a NumPy ufunc with one input).
        ///
        /// ```
        /// assert_eq!(strider::UnaryOp::Sqrt.name(), "sqrt");
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum UnaryOp {
            $(
                #[doc = concat!("NumPy's `", $name, "`.")]
                $variant,
            )*
        }

        impl UnaryOp {
            /// Every unary op.
            pub const ALL: &'static [UnaryOp] = &[$(UnaryOp::$variant),*];

            /// NumPy's name of the op.
            pub fn name(self) -> &'static str {
                match self { $(UnaryOp::$variant => $name),* }
            }

            /// The op with NumPy's name `name`.
            pub fn from_name(name: &str) -> Option<UnaryOp> {
                UnaryOp::ALL.iter().copied().find(|op| op.name() == name)
            }

            pub(crate) fn rule(self) -> UnaryRule {
                match self { $(UnaryOp::$variant => UnaryRule::$rule),* }
            }


            /// Hands `run` the op's block function for loop type `T`.
            pub(crate) fn with_cpu_fn<T: Math, R>(self, run: impl CpuUnary<T, R>) -> R {
                match self {
                    $(UnaryOp::$variant => unary_block!(run, |$a: T| $cpu $(, $blk)?),)*
                }
            }
        }
    };
}

/// How a unary op's dtype follows from its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UnaryRule {
    /// Same dtype in and out (bool allowed).
    Same,
    /// Same dtype; bool is an error.
    SameNoBool,
    /// Floats keep their dtype; 1-byte integers and bool go to float16,
    /// 2-byte integers to float32, wider integers to float64 (the smallest
    /// float that holds every value).
    Float,
    /// Bool result.
    Logical,
}

/// A consumer of a unary block function: `g(out, xs)` sets `out[i]` to the
/// op applied to `xs[i]` (equal lengths), a whole block at a time.
pub(crate) trait CpuUnary<T, R> {
    fn call<O: crate::dtype::Element, G: Fn(&mut [O], &[T]) + Sync + Copy>(self, g: G) -> R;
}

/// The block function of a unary op: its own `block` function when the
/// registry names one (ops whose vectorised form needs a fix-up pass),
/// otherwise the scalar function mapped over the block.
macro_rules! unary_block {
    ($run:expr, $f:expr) => {{
        let f = $f;
        $run.call(move |out: &mut [_], xs: &[T]| {
            for (o, &x) in out.iter_mut().zip(xs) {
                *o = f(x);
            }
        })
    }};
    ($run:expr, $f:expr, $blk:path) => {
        $run.call(|out: &mut [T], xs: &[T]| $blk(out, xs))
    };
}

unary_ops! {
    Negative: "negative", SameNoBool, |a| Math::neg(a);
    Abs: "absolute", Same, |a| Math::abs(a);
    Sign: "sign", SameNoBool, |a| Math::sign(a);
    Sqrt: "sqrt", Float, |a| Math::sqrt(a);
    Exp: "exp", Float, |a| Math::exp(a), block Math::exp_block;
    Log: "log", Float, |a| Math::ln(a), block Math::ln_block;
    Sin: "sin", Float, |a| Math::sin(a), block Math::sin_block;
    Cos: "cos", Float, |a| Math::cos(a), block Math::cos_block;
    Tanh: "tanh", Float, |a| Math::tanh(a), block Math::tanh_block;
    Floor: "floor", Same, |a| Math::floor(a);
    Ceil: "ceil", Same, |a| Math::ceil(a);
    // Half to even; bool stays bool (NumPy answers float16 for it).
    Round: "round", Same, |a| Math::round(a);
    LogicalNot: "logical_not", Logical, |a| !a.to_bool();
}

impl UnaryOp {
    /// The loop dtype and result dtype for an input of dtype `a`.
    pub(crate) fn types(self, a: DType) -> Result<(DType, DType)> {
        match self.rule() {
            UnaryRule::Same => Ok((a, a)),
            UnaryRule::SameNoBool => {
                if a == DType::Bool {
                    Err(Error::DType {
                        op: self.name(),
                        reason: format!(
                            "ufunc '{}' is not supported for bool input; use logical_not or astype",
                            self.name()
                        ),
                    })
                } else {
                    Ok((a, a))
                }
            }
            UnaryRule::Float => {
                let f = if a.is_float() {
                    a
                } else {
                    match a.itemsize() {
                        1 => DType::F16,
                        2 => DType::F32,
                        _ => DType::F64,
                    }
                };
                Ok((f, f))
            }
            UnaryRule::Logical => Ok((a, DType::Bool)),
        }
    }
}
