//! The scalar arithmetic of every element type with NumPy's semantics:
//! integers wrap, integer division by zero gives 0, floor division and
//! remainder follow Python's signs, `maximum`/`minimum` propagate NaN,
//! rounding is half to even, and half-precision types compute in f32.
//! exp, log, sin, cos and tanh of f32 and f64 are the vectorisable
//! versions of [`crate::cpu::vmath`] (at most 1 ulp from the exact result).

use crate::cpu::vmath;
use crate::dtype::Element;
use half::{bf16, f16};

/// Element arithmetic used by the CPU kernels. Methods that make no sense
/// for a type (bitwise ops on floats, `sqrt` on integers) are never called
/// for it: the op registry rejects or converts those dtypes first.
pub(crate) trait Math: Element {
    fn add(a: Self, b: Self) -> Self;
    fn sub(a: Self, b: Self) -> Self;
    fn mul(a: Self, b: Self) -> Self;
    fn div(a: Self, b: Self) -> Self;
    fn floor_div(a: Self, b: Self) -> Self;
    fn rem(a: Self, b: Self) -> Self;
    fn pow(a: Self, b: Self) -> Self;
    fn maximum(a: Self, b: Self) -> Self;
    fn minimum(a: Self, b: Self) -> Self;
    fn bitand(a: Self, b: Self) -> Self;
    fn bitor(a: Self, b: Self) -> Self;
    fn bitxor(a: Self, b: Self) -> Self;
    fn neg(a: Self) -> Self;
    fn abs(a: Self) -> Self;
    fn sign(a: Self) -> Self;
    fn floor(a: Self) -> Self;
    fn ceil(a: Self) -> Self;
    fn round(a: Self) -> Self;
    fn sqrt(a: Self) -> Self;
    fn exp(a: Self) -> Self;
    fn ln(a: Self) -> Self;
    fn sin(a: Self) -> Self;
    fn cos(a: Self) -> Self;
    fn tanh(a: Self) -> Self;
    /// `out[i] = exp(xs[i])` for a block (vectorised for f32 and f64).
    #[inline(always)]
    fn exp_block(out: &mut [Self], xs: &[Self]) {
        block_map(out, xs, Self::exp)
    }
    /// `out[i] = ln(xs[i])` for a block (vectorised for f32 and f64).
    #[inline(always)]
    fn ln_block(out: &mut [Self], xs: &[Self]) {
        block_map(out, xs, Self::ln)
    }
    /// `out[i] = sin(xs[i])` for a block (vectorised for f32 and f64).
    #[inline(always)]
    fn sin_block(out: &mut [Self], xs: &[Self]) {
        block_map(out, xs, Self::sin)
    }
    /// `out[i] = cos(xs[i])` for a block (vectorised for f32 and f64).
    #[inline(always)]
    fn cos_block(out: &mut [Self], xs: &[Self]) {
        block_map(out, xs, Self::cos)
    }
    /// `out[i] = tanh(xs[i])` for a block (vectorised for f32 and f64).
    #[inline(always)]
    fn tanh_block(out: &mut [Self], xs: &[Self]) {
        block_map(out, xs, Self::tanh)
    }
    /// True for NaN (floats only).
    fn is_nan(a: Self) -> bool;
}

/// `out[i] = f(xs[i])`.
#[inline(always)]
fn block_map<T: Copy>(out: &mut [T], xs: &[T], f: impl Fn(T) -> T) {
    for (o, &x) in out.iter_mut().zip(xs) {
        *o = f(x);
    }
}

macro_rules! int_math {
    ($t:ty, signed: $signed:expr) => {
        impl Math for $t {
            #[inline(always)]
            fn add(a: Self, b: Self) -> Self {
                a.wrapping_add(b)
            }
            #[inline(always)]
            fn sub(a: Self, b: Self) -> Self {
                a.wrapping_sub(b)
            }
            #[inline(always)]
            fn mul(a: Self, b: Self) -> Self {
                a.wrapping_mul(b)
            }
            #[inline(always)]
            fn div(a: Self, b: Self) -> Self {
                Self::floor_div(a, b)
            }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn floor_div(a: Self, b: Self) -> Self {
                if b == 0 {
                    return 0;
                }
                let q = a.wrapping_div(b);
                if $signed && (a.wrapping_rem(b) != 0) && ((a < 0) != (b < 0)) {
                    q.wrapping_sub(1)
                } else {
                    q
                }
            }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn rem(a: Self, b: Self) -> Self {
                if b == 0 {
                    return 0;
                }
                let r = a.wrapping_rem(b);
                if $signed && r != 0 && ((r < 0) != (b < 0)) {
                    r.wrapping_add(b)
                } else {
                    r
                }
            }
            #[inline(always)]
            fn pow(a: Self, b: Self) -> Self {
                // Negative exponents are rejected before the kernel runs.
                let mut exp = b as u64;
                let mut base = a;
                let mut acc: Self = 1;
                while exp > 0 {
                    if exp & 1 == 1 {
                        acc = acc.wrapping_mul(base);
                    }
                    base = base.wrapping_mul(base);
                    exp >>= 1;
                }
                acc
            }
            #[inline(always)]
            fn maximum(a: Self, b: Self) -> Self {
                if a >= b {
                    a
                } else {
                    b
                }
            }
            #[inline(always)]
            fn minimum(a: Self, b: Self) -> Self {
                if a <= b {
                    a
                } else {
                    b
                }
            }
            #[inline(always)]
            fn bitand(a: Self, b: Self) -> Self {
                a & b
            }
            #[inline(always)]
            fn bitor(a: Self, b: Self) -> Self {
                a | b
            }
            #[inline(always)]
            fn bitxor(a: Self, b: Self) -> Self {
                a ^ b
            }
            #[inline(always)]
            fn neg(a: Self) -> Self {
                (0 as Self).wrapping_sub(a)
            }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn abs(a: Self) -> Self {
                if a < 0 {
                    Self::neg(a)
                } else {
                    a
                }
            }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn sign(a: Self) -> Self {
                if a > 0 {
                    1
                } else if a < 0 {
                    Self::neg(1)
                } else {
                    0
                }
            }
            #[inline(always)]
            fn floor(a: Self) -> Self {
                a
            }
            #[inline(always)]
            fn ceil(a: Self) -> Self {
                a
            }
            #[inline(always)]
            fn round(a: Self) -> Self {
                a
            }
            #[inline(always)]
            fn sqrt(a: Self) -> Self {
                a
            }
            #[inline(always)]
            fn exp(a: Self) -> Self {
                a
            }
            #[inline(always)]
            fn ln(a: Self) -> Self {
                a
            }
            #[inline(always)]
            fn sin(a: Self) -> Self {
                a
            }
            #[inline(always)]
            fn cos(a: Self) -> Self {
                a
            }
            #[inline(always)]
            fn tanh(a: Self) -> Self {
                a
            }
            #[inline(always)]
            fn is_nan(_: Self) -> bool {
                false
            }
        }
    };
}

int_math!(i8, signed: true);
int_math!(u8, signed: false);
int_math!(i16, signed: true);
int_math!(u16, signed: false);
int_math!(i32, signed: true);
int_math!(u32, signed: false);
int_math!(i64, signed: true);
int_math!(u64, signed: false);

impl Math for bool {
    #[inline(always)]
    fn add(a: Self, b: Self) -> Self {
        a | b
    }
    #[inline(always)]
    fn sub(a: Self, b: Self) -> Self {
        a ^ b
    }
    #[inline(always)]
    fn mul(a: Self, b: Self) -> Self {
        a & b
    }
    #[inline(always)]
    fn div(a: Self, b: Self) -> Self {
        a & b
    }
    #[inline(always)]
    fn floor_div(a: Self, b: Self) -> Self {
        a & b
    }
    #[inline(always)]
    fn rem(_: Self, _: Self) -> Self {
        false
    }
    #[inline(always)]
    fn pow(a: Self, b: Self) -> Self {
        a | !b
    }
    #[inline(always)]
    fn maximum(a: Self, b: Self) -> Self {
        a | b
    }
    #[inline(always)]
    fn minimum(a: Self, b: Self) -> Self {
        a & b
    }
    #[inline(always)]
    fn bitand(a: Self, b: Self) -> Self {
        a & b
    }
    #[inline(always)]
    fn bitor(a: Self, b: Self) -> Self {
        a | b
    }
    #[inline(always)]
    fn bitxor(a: Self, b: Self) -> Self {
        a ^ b
    }
    #[inline(always)]
    fn neg(a: Self) -> Self {
        a
    }
    #[inline(always)]
    fn abs(a: Self) -> Self {
        a
    }
    #[inline(always)]
    fn sign(a: Self) -> Self {
        a
    }
    #[inline(always)]
    fn floor(a: Self) -> Self {
        a
    }
    #[inline(always)]
    fn ceil(a: Self) -> Self {
        a
    }
    #[inline(always)]
    fn round(a: Self) -> Self {
        a
    }
    #[inline(always)]
    fn sqrt(a: Self) -> Self {
        a
    }
    #[inline(always)]
    fn exp(a: Self) -> Self {
        a
    }
    #[inline(always)]
    fn ln(a: Self) -> Self {
        a
    }
    #[inline(always)]
    fn sin(a: Self) -> Self {
        a
    }
    #[inline(always)]
    fn cos(a: Self) -> Self {
        a
    }
    #[inline(always)]
    fn tanh(a: Self) -> Self {
        a
    }
    #[inline(always)]
    fn is_nan(_: Self) -> bool {
        false
    }
}

macro_rules! float_math {
    ($t:ty, $limit:ident, $exp:ident, $ln:ident, $tanh:ident, $sin:ident, $cos:ident,
     $exps:ident, $lns:ident, $tanhs:ident, $sins:ident, $coss:ident) => {
        impl Math for $t {
            #[inline(always)]
            fn add(a: Self, b: Self) -> Self {
                a + b
            }
            #[inline(always)]
            fn sub(a: Self, b: Self) -> Self {
                a - b
            }
            #[inline(always)]
            fn mul(a: Self, b: Self) -> Self {
                a * b
            }
            #[inline(always)]
            fn div(a: Self, b: Self) -> Self {
                a / b
            }
            #[inline(always)]
            fn floor_div(a: Self, b: Self) -> Self {
                if b == 0.0 {
                    return a / b;
                }
                let (div, _) = divmod(a, b);
                div
            }
            #[inline(always)]
            fn rem(a: Self, b: Self) -> Self {
                if b == 0.0 {
                    return Self::NAN;
                }
                let (_, m) = divmod(a, b);
                m
            }
            #[inline(always)]
            fn pow(a: Self, b: Self) -> Self {
                a.powf(b)
            }
            #[inline(always)]
            fn maximum(a: Self, b: Self) -> Self {
                if a.is_nan() || a >= b {
                    a
                } else {
                    b
                }
            }
            #[inline(always)]
            fn minimum(a: Self, b: Self) -> Self {
                if a.is_nan() || a <= b {
                    a
                } else {
                    b
                }
            }
            #[inline(always)]
            fn bitand(a: Self, _: Self) -> Self {
                a
            }
            #[inline(always)]
            fn bitor(a: Self, _: Self) -> Self {
                a
            }
            #[inline(always)]
            fn bitxor(a: Self, _: Self) -> Self {
                a
            }
            #[inline(always)]
            fn neg(a: Self) -> Self {
                -a
            }
            #[inline(always)]
            fn abs(a: Self) -> Self {
                a.abs()
            }
            #[inline(always)]
            fn sign(a: Self) -> Self {
                // NumPy: +0.0 for either zero, NaN for NaN.
                if a > 0.0 {
                    1.0
                } else if a < 0.0 {
                    -1.0
                } else if a == 0.0 {
                    0.0
                } else {
                    a
                }
            }
            #[inline(always)]
            fn floor(a: Self) -> Self {
                a.floor()
            }
            #[inline(always)]
            fn ceil(a: Self) -> Self {
                a.ceil()
            }
            #[inline(always)]
            fn round(a: Self) -> Self {
                a.round_ties_even()
            }
            #[inline(always)]
            fn sqrt(a: Self) -> Self {
                a.sqrt()
            }
            #[inline(always)]
            fn exp(a: Self) -> Self {
                vmath::$exp(a)
            }
            #[inline(always)]
            fn ln(a: Self) -> Self {
                vmath::$ln(a)
            }
            #[inline(always)]
            fn sin(a: Self) -> Self {
                if a.abs() <= vmath::$limit {
                    vmath::$sin(a)
                } else {
                    a.sin()
                }
            }
            #[inline(always)]
            fn cos(a: Self) -> Self {
                if a.abs() <= vmath::$limit {
                    vmath::$cos(a)
                } else {
                    a.cos()
                }
            }
            #[inline(always)]
            fn exp_block(out: &mut [Self], xs: &[Self]) {
                vmath::$exps(out, xs)
            }
            #[inline(always)]
            fn ln_block(out: &mut [Self], xs: &[Self]) {
                vmath::$lns(out, xs)
            }
            #[inline(always)]
            fn tanh_block(out: &mut [Self], xs: &[Self]) {
                vmath::$tanhs(out, xs)
            }
            #[inline(always)]
            fn sin_block(out: &mut [Self], xs: &[Self]) {
                vmath::$sins(out, xs)
            }
            #[inline(always)]
            fn cos_block(out: &mut [Self], xs: &[Self]) {
                vmath::$coss(out, xs)
            }
            #[inline(always)]
            fn tanh(a: Self) -> Self {
                vmath::$tanh(a)
            }
            #[inline(always)]
            fn is_nan(a: Self) -> bool {
                a.is_nan()
            }
        }
    };
}

float_math!(
    f32,
    SIN_COS_LIMIT_F32,
    exp_f32,
    ln_f32,
    tanh_f32,
    sin_f32,
    cos_f32,
    exp_f32_slice,
    ln_f32_slice,
    tanh_f32_slice,
    sin_f32_slice,
    cos_f32_slice
);
float_math!(
    f64,
    SIN_COS_LIMIT_F64,
    exp_f64,
    ln_f64,
    tanh_f64,
    sin_f64,
    cos_f64,
    exp_f64_slice,
    ln_f64_slice,
    tanh_f64_slice,
    sin_f64_slice,
    cos_f64_slice
);

/// Python's float divmod: the quotient floored, the remainder with the
/// divisor's sign (NumPy's `npy_divmod`).
#[inline(always)]
fn divmod<F: num_like::Float>(a: F, b: F) -> (F, F) {
    let m = a.fmod(b);
    let mut div = (a - m) / b;
    let mut m = m;
    if m != F::ZERO {
        if (b < F::ZERO) != (m < F::ZERO) {
            m = m + b;
            div = div - F::ONE;
        }
    } else {
        m = F::ZERO.copysign(b);
    }
    let floordiv = if div != F::ZERO {
        let f = div.floor();
        if div - f > F::HALF {
            f + F::ONE
        } else {
            f
        }
    } else {
        F::ZERO.copysign(a / b)
    };
    (floordiv, m)
}

mod num_like {
    use std::ops::{Add, Div, Sub};
    pub trait Float:
        Copy + PartialOrd + Add<Output = Self> + Sub<Output = Self> + Div<Output = Self>
    {
        const ZERO: Self;
        const ONE: Self;
        const HALF: Self;
        fn fmod(self, b: Self) -> Self;
        fn floor(self) -> Self;
        fn copysign(self, sign: Self) -> Self;
    }
    macro_rules! imp {
        ($t:ty) => {
            impl Float for $t {
                const ZERO: Self = 0.0;
                const ONE: Self = 1.0;
                const HALF: Self = 0.5;
                fn fmod(self, b: Self) -> Self {
                    self % b
                }
                fn floor(self) -> Self {
                    <$t>::floor(self)
                }
                fn copysign(self, sign: Self) -> Self {
                    <$t>::copysign(self, sign)
                }
            }
        };
    }
    imp!(f32);
    imp!(f64);
}

macro_rules! half_math {
    ($t:ty) => {
        impl Math for $t {
            #[inline(always)]
            fn add(a: Self, b: Self) -> Self {
                <$t>::from_f32(a.to_f32() + b.to_f32())
            }
            #[inline(always)]
            fn sub(a: Self, b: Self) -> Self {
                <$t>::from_f32(a.to_f32() - b.to_f32())
            }
            #[inline(always)]
            fn mul(a: Self, b: Self) -> Self {
                <$t>::from_f32(a.to_f32() * b.to_f32())
            }
            #[inline(always)]
            fn div(a: Self, b: Self) -> Self {
                <$t>::from_f32(a.to_f32() / b.to_f32())
            }
            #[inline(always)]
            fn floor_div(a: Self, b: Self) -> Self {
                <$t>::from_f32(<f32 as Math>::floor_div(a.to_f32(), b.to_f32()))
            }
            #[inline(always)]
            fn rem(a: Self, b: Self) -> Self {
                <$t>::from_f32(<f32 as Math>::rem(a.to_f32(), b.to_f32()))
            }
            #[inline(always)]
            fn pow(a: Self, b: Self) -> Self {
                <$t>::from_f32(a.to_f32().powf(b.to_f32()))
            }
            #[inline(always)]
            fn maximum(a: Self, b: Self) -> Self {
                if a.is_nan() || a >= b {
                    a
                } else {
                    b
                }
            }
            #[inline(always)]
            fn minimum(a: Self, b: Self) -> Self {
                if a.is_nan() || a <= b {
                    a
                } else {
                    b
                }
            }
            #[inline(always)]
            fn bitand(a: Self, _: Self) -> Self {
                a
            }
            #[inline(always)]
            fn bitor(a: Self, _: Self) -> Self {
                a
            }
            #[inline(always)]
            fn bitxor(a: Self, _: Self) -> Self {
                a
            }
            #[inline(always)]
            fn neg(a: Self) -> Self {
                -a
            }
            #[inline(always)]
            fn abs(a: Self) -> Self {
                <$t>::from_bits(a.to_bits() & 0x7fff)
            }
            #[inline(always)]
            fn sign(a: Self) -> Self {
                <$t>::from_f32(<f32 as Math>::sign(a.to_f32()))
            }
            #[inline(always)]
            fn floor(a: Self) -> Self {
                <$t>::from_f32(a.to_f32().floor())
            }
            #[inline(always)]
            fn ceil(a: Self) -> Self {
                <$t>::from_f32(a.to_f32().ceil())
            }
            #[inline(always)]
            fn round(a: Self) -> Self {
                <$t>::from_f32(a.to_f32().round_ties_even())
            }
            #[inline(always)]
            fn sqrt(a: Self) -> Self {
                <$t>::from_f32(a.to_f32().sqrt())
            }
            #[inline(always)]
            fn exp(a: Self) -> Self {
                <$t>::from_f32(<f32 as Math>::exp(a.to_f32()))
            }
            #[inline(always)]
            fn ln(a: Self) -> Self {
                <$t>::from_f32(<f32 as Math>::ln(a.to_f32()))
            }
            #[inline(always)]
            fn sin(a: Self) -> Self {
                <$t>::from_f32(<f32 as Math>::sin(a.to_f32()))
            }
            #[inline(always)]
            fn cos(a: Self) -> Self {
                <$t>::from_f32(<f32 as Math>::cos(a.to_f32()))
            }
            #[inline(always)]
            fn tanh(a: Self) -> Self {
                <$t>::from_f32(<f32 as Math>::tanh(a.to_f32()))
            }
            #[inline(always)]
            fn is_nan(a: Self) -> bool {
                a.is_nan()
            }
        }
    };
}

half_math!(f16);
half_math!(bf16);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_division_signs() {
        assert_eq!(<i32 as Math>::floor_div(-7, 2), -4);
        assert_eq!(<i32 as Math>::rem(-7, 2), 1);
        assert_eq!(<i32 as Math>::rem(7, -2), -1);
        assert_eq!(<i64 as Math>::floor_div(i64::MIN, -1), i64::MIN);
        assert_eq!(<u8 as Math>::floor_div(7, 0), 0);
        assert_eq!(<f64 as Math>::floor_div(-7.0, 2.0), -4.0);
        assert_eq!(<f64 as Math>::rem(-7.0, 2.0), 1.0);
        assert!(<f64 as Math>::rem(1.0, 0.0).is_nan());
        assert_eq!(<f64 as Math>::floor_div(1.0, 0.0), f64::INFINITY);
    }

    #[test]
    fn wrapping_and_nan() {
        assert_eq!(<u8 as Math>::add(200, 100), 44);
        assert_eq!(<i32 as Math>::pow(3, 4), 81);
        assert_eq!(<i32 as Math>::abs(i32::MIN), i32::MIN);
        assert!(<f32 as Math>::maximum(f32::NAN, 1.0).is_nan());
        assert!(<f32 as Math>::maximum(1.0, f32::NAN).is_nan());
        assert_eq!(<f64 as Math>::round(2.5), 2.0);
        assert_eq!(<f64 as Math>::round(-0.5), -0.0);
        assert_eq!(<u32 as Math>::sign(5), 1);
        assert_eq!(<i32 as Math>::sign(-5), -1);
    }
}
