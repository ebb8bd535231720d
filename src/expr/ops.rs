//! The expression builders that read like NumPy: one method per ufunc and
//! reduction, and the arithmetic operators (on expressions, and with an
//! array or a scalar on the left).

use super::{binary_args, Expr, ExprArg, Reduction};
use crate::array::Array;
use crate::ops::{Axes, BinaryOp, ReduceOp, UnaryOp};

macro_rules! binary_methods {
    ($($method:ident, $op:ident;)*) => {
        impl Expr {
            $(
                #[doc = concat!("NumPy's `", stringify!($method), "` as a node (broadcasting, NEP 50 promotion); `other` is an expression, an array or a weak scalar.")]
                ///
                /// ```
                /// let a = strider::Array::from_vec(vec![6i32, 3], &[2])?;
                #[doc = concat!("let e = a.expr().", stringify!($method), "(2);")]
                #[doc = concat!("assert_eq!(e.eval()?.to_string(), a.", stringify!($method), "(2)?.to_string());")]
                /// # Ok::<(), strider::Error>(())
                /// ```
                pub fn $method(&self, other: impl Into<ExprArg>) -> Expr {
                    self.binary(BinaryOp::$op, other)
                }
            )*
        }
    };
}

binary_methods! {
    add, Add;
    subtract, Subtract;
    multiply, Multiply;
    divide, Divide;
    floor_divide, FloorDivide;
    remainder, Remainder;
    maximum, Maximum;
    minimum, Minimum;
    equal, Equal;
    not_equal, NotEqual;
    less, Less;
    less_equal, LessEqual;
    greater, Greater;
    greater_equal, GreaterEqual;
    logical_and, LogicalAnd;
    logical_or, LogicalOr;
    logical_xor, LogicalXor;
    bitwise_and, BitwiseAnd;
    bitwise_or, BitwiseOr;
    bitwise_xor, BitwiseXor;
}

macro_rules! unary_methods {
    ($($method:ident, $op:ident;)*) => {
        impl Expr {
            $(
                #[doc = concat!("NumPy's `", stringify!($method), "` as a node.")]
                ///
                /// ```
                /// let a = strider::Array::from_vec(vec![0.5f64, 2.0], &[2])?;
                #[doc = concat!("let e = a.expr().", stringify!($method), "();")]
                #[doc = concat!("assert_eq!(e.eval()?.to_string(), a.", stringify!($method), "()?.to_string());")]
                /// # Ok::<(), strider::Error>(())
                /// ```
                pub fn $method(&self) -> Expr {
                    self.unary(UnaryOp::$op)
                }
            )*
        }
    };
}

unary_methods! {
    negative, Negative;
    abs, Abs;
    sign, Sign;
    sqrt, Sqrt;
    exp, Exp;
    log, Log;
    sin, Sin;
    cos, Cos;
    tanh, Tanh;
    floor, Floor;
    ceil, Ceil;
    round, Round;
    logical_not, LogicalNot;
}

macro_rules! reduce_methods {
    ($($method:ident, $keep:ident, $op:ident;)*) => {
        impl Expr {
            $(
                #[doc = concat!("NumPy's `", stringify!($method), "` over `axes`, fused with the expression (see [`Reduction`]).")]
                ///
                /// ```
                /// use strider::Axes;
                /// let a = strider::Array::from_vec(vec![3i64, -1, 4, -1, 5, -9], &[2, 3])?;
                #[doc = concat!("let fused = (a.expr() * 2).", stringify!($method), "(Axes::All).eval()?;")]
                #[doc = concat!("let eager = (&a * 2)?.", stringify!($method), "(Axes::All)?;")]
                /// assert_eq!(fused.to_string(), eager.to_string());
                /// assert_eq!(fused.dtype(), eager.dtype());
                /// # Ok::<(), strider::Error>(())
                /// ```
                pub fn $method(&self, axes: impl Into<Axes>) -> Reduction {
                    self.reduce(ReduceOp::$op, axes, false)
                }

                #[doc = concat!("NumPy's `", stringify!($method), "(axis, keepdims=True)`, fused with the expression.")]
                ///
                /// ```
                /// let a = strider::Array::from_vec(vec![3i64, -1, 4, -1, 5, -9], &[2, 3])?;
                #[doc = concat!("assert_eq!(a.expr().", stringify!($keep), "(1).eval()?.shape(), &[2, 1]);")]
                /// # Ok::<(), strider::Error>(())
                /// ```
                pub fn $keep(&self, axes: impl Into<Axes>) -> Reduction {
                    self.reduce(ReduceOp::$op, axes, true)
                }
            )*
        }
    };
}

reduce_methods! {
    sum, sum_keepdims, Sum;
    prod, prod_keepdims, Prod;
    mean, mean_keepdims, Mean;
    min, min_keepdims, Min;
    max, max_keepdims, Max;
    argmin, argmin_keepdims, ArgMin;
    argmax, argmax_keepdims, ArgMax;
    any, any_keepdims, Any;
    all, all_keepdims, All;
}

macro_rules! operators {
    ($($trait:ident, $method:ident, $op:ident;)*) => {$(
        impl<R: Into<ExprArg>> std::ops::$trait<R> for Expr {
            type Output = Expr;
            fn $method(self, rhs: R) -> Expr {
                binary_args(BinaryOp::$op, ExprArg::Expr(self), rhs.into())
            }
        }
        impl<R: Into<ExprArg>> std::ops::$trait<R> for &Expr {
            type Output = Expr;
            fn $method(self, rhs: R) -> Expr {
                binary_args(BinaryOp::$op, ExprArg::Expr(self.clone()), rhs.into())
            }
        }
        impl std::ops::$trait<Expr> for &Array {
            type Output = Expr;
            fn $method(self, rhs: Expr) -> Expr {
                binary_args(BinaryOp::$op, ExprArg::from(self), ExprArg::Expr(rhs))
            }
        }
        impl std::ops::$trait<&Expr> for &Array {
            type Output = Expr;
            fn $method(self, rhs: &Expr) -> Expr {
                binary_args(BinaryOp::$op, ExprArg::from(self), ExprArg::from(rhs))
            }
        }
        scalar_left!($trait, $method, $op: bool, i8, i16, i32, i64, isize, u8, u16, u32, u64, usize, f32, f64);
    )*};
}

macro_rules! scalar_left {
    ($trait:ident, $method:ident, $op:ident: $($t:ty),*) => {$(
        impl std::ops::$trait<Expr> for $t {
            type Output = Expr;
            fn $method(self, rhs: Expr) -> Expr {
                binary_args(BinaryOp::$op, ExprArg::from(self), ExprArg::Expr(rhs))
            }
        }
        impl std::ops::$trait<&Expr> for $t {
            type Output = Expr;
            fn $method(self, rhs: &Expr) -> Expr {
                binary_args(BinaryOp::$op, ExprArg::from(self), ExprArg::from(rhs))
            }
        }
    )*};
}

operators! {
    Add, add, Add;
    Sub, sub, Subtract;
    Mul, mul, Multiply;
    Div, div, Divide;
    Rem, rem, Remainder;
    BitAnd, bitand, BitwiseAnd;
    BitOr, bitor, BitwiseOr;
    BitXor, bitxor, BitwiseXor;
}

/// `-x` is NumPy's `negative`.
///
/// ```
/// let a = strider::Array::from_vec(vec![1i16, -2], &[2])?;
/// assert_eq!((-a.expr()).eval()?.to_vec::<i16>()?, vec![-1, 2]);
/// # Ok::<(), strider::Error>(())
/// ```
impl std::ops::Neg for Expr {
    type Output = Expr;
    fn neg(self) -> Expr {
        self.unary(UnaryOp::Negative)
    }
}
impl std::ops::Neg for &Expr {
    type Output = Expr;
    fn neg(self) -> Expr {
        self.unary(UnaryOp::Negative)
    }
}

/// `!x` is NumPy's `logical_not` (a bool result for every dtype).
///
/// ```
/// let a = strider::Array::from_vec(vec![0u8, 7], &[2])?;
/// assert_eq!((!a.expr()).eval()?.to_vec::<bool>()?, vec![true, false]);
/// # Ok::<(), strider::Error>(())
/// ```
impl std::ops::Not for Expr {
    type Output = Expr;
    fn not(self) -> Expr {
        self.unary(UnaryOp::LogicalNot)
    }
}
impl std::ops::Not for &Expr {
    type Output = Expr;
    fn not(self) -> Expr {
        self.unary(UnaryOp::LogicalNot)
    }
}
