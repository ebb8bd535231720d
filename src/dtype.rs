//! Runtime dtypes, the sealed [`Element`] trait that ties each one to a Rust
//! type, and NumPy 2's promotion and casting rules.
//!
//! | `DType` | Rust type | NumPy name | itemsize |
//! | --- | --- | --- | --- |
//! | `Bool` | `bool` | `bool` | 1 |
//! | `I8` | `i8` | `int8` | 1 |
//! | `U8` | `u8` | `uint8` | 1 |
//! | `I16` | `i16` | `int16` | 2 |
//! | `U16` | `u16` | `uint16` | 2 |
//! | `I32` | `i32` | `int32` | 4 |
//! | `U32` | `u32` | `uint32` | 4 |
//! | `I64` | `i64` | `int64` | 8 |
//! | `U64` | `u64` | `uint64` | 8 |
//! | `F16` | `half::f16` | `float16` | 2 |
//! | `BF16` | `half::bf16` | `bfloat16` (ml_dtypes) | 2 |
//! | `F32` | `f32` | `float32` | 4 |
//! | `F64` | `f64` | `float64` | 8 |
//!
//! ```
//! use strider::DType;
//! assert_eq!(DType::promote(DType::U8, DType::I32), DType::I32);
//! assert_eq!(DType::promote(DType::U32, DType::I32), DType::I64);
//! assert_eq!(DType::promote(DType::I32, DType::F32), DType::F64);
//! assert_eq!(DType::F16.itemsize(), 2);
//! ```

use half::{bf16, f16};
use std::fmt;

/// The element type of an array, chosen at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// Booleans, one byte each, always 0 or 1.
    Bool,
    /// Signed 8-bit integers.
    I8,
    /// Unsigned 8-bit integers.
    U8,
    /// Signed 16-bit integers.
    I16,
    /// Unsigned 16-bit integers.
    U16,
    /// Signed 32-bit integers.
    I32,
    /// Unsigned 32-bit integers.
    U32,
    /// Signed 64-bit integers.
    I64,
    /// Unsigned 64-bit integers (the result of summing unsigned integers).
    U64,
    /// IEEE half precision.
    F16,
    /// bfloat16: the exponent range of f32 with 8 significant bits.
    BF16,
    /// IEEE single precision.
    F32,
    /// IEEE double precision.
    F64,
}

/// The NumPy kind of a dtype: `b`, `u`, `i` or `f`, in NumPy's kind order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Booleans.
    Bool,
    /// Unsigned integers.
    UInt,
    /// Signed integers.
    Int,
    /// Floating point.
    Float,
}

/// NumPy's casting rules, from the strictest to the loosest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Casting {
    /// Only casts that preserve every value.
    Safe,
    /// Safe casts and casts within a kind (`f64 -> f32`, `i64 -> i32`, `u8 -> i32`).
    SameKind,
    /// Any cast.
    Unsafe,
}

impl DType {
    /// Every dtype, in declaration order.
    pub const ALL: [DType; 13] = [
        DType::Bool,
        DType::I8,
        DType::U8,
        DType::I16,
        DType::U16,
        DType::I32,
        DType::U32,
        DType::I64,
        DType::U64,
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::F64,
    ];

    /// Bytes per element.
    ///
    /// ```
    /// assert_eq!(strider::DType::I64.itemsize(), 8);
    /// ```
    pub fn itemsize(self) -> usize {
        match self {
            DType::Bool | DType::I8 | DType::U8 => 1,
            DType::I16 | DType::U16 | DType::F16 | DType::BF16 => 2,
            DType::I32 | DType::U32 | DType::F32 => 4,
            DType::I64 | DType::U64 | DType::F64 => 8,
        }
    }

    /// NumPy's name for the dtype (`"float32"`, `"uint8"`, ...).
    ///
    /// ```
    /// assert_eq!(strider::DType::F32.name(), "float32");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I8 => "int8",
            DType::U8 => "uint8",
            DType::I16 => "int16",
            DType::U16 => "uint16",
            DType::I32 => "int32",
            DType::U32 => "uint32",
            DType::I64 => "int64",
            DType::U64 => "uint64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }

    /// The dtype with NumPy's name `name`, or `None`.
    ///
    /// ```
    /// assert_eq!(strider::DType::from_name("int64"), Some(strider::DType::I64));
    /// assert_eq!(strider::DType::from_name("complex64"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<DType> {
        DType::ALL.into_iter().find(|d| d.name() == name)
    }

    /// The NumPy kind (`b`, `u`, `i`, `f`).
    pub fn kind(self) -> Kind {
        match self {
            DType::Bool => Kind::Bool,
            DType::U8 | DType::U16 | DType::U32 | DType::U64 => Kind::UInt,
            DType::I8 | DType::I16 | DType::I32 | DType::I64 => Kind::Int,
            DType::F16 | DType::BF16 | DType::F32 | DType::F64 => Kind::Float,
        }
    }

    /// True for the floating-point dtypes.
    pub fn is_float(self) -> bool {
        self.kind() == Kind::Float
    }

    /// The dtype CPU kernels compute in for a loop of this dtype: float32
    /// for float16 and bfloat16 (as NumPy computes half precision: every op
    /// widens exactly, computes in f32 and rounds once), itself otherwise.
    pub(crate) fn compute(self) -> DType {
        match self {
            DType::F16 | DType::BF16 => DType::F32,
            d => d,
        }
    }

    /// True for signed and unsigned integers (not bool).
    pub fn is_integer(self) -> bool {
        matches!(self.kind(), Kind::Int | Kind::UInt)
    }

    /// The WGSL type that holds one element in a shader, where one exists.
    /// The 8- and 16-bit dtypes (`bool`, `i8`, `u8`, `i16`, `u16`, `bf16`)
    /// have none: they are packed into `u32` words.
    ///
    /// ```
    /// assert_eq!(strider::DType::F16.wgsl_type(), Some("f16"));
    /// assert_eq!(strider::DType::U8.wgsl_type(), None);
    /// ```
    pub fn wgsl_type(self) -> Option<&'static str> {
        match self {
            DType::I32 => Some("i32"),
            DType::U32 => Some("u32"),
            DType::F32 => Some("f32"),
            DType::F16 => Some("f16"),
            DType::F64 => Some("f64"),
            DType::I64 => Some("i64"),
            DType::U64 => Some("u64"),
            DType::Bool | DType::I8 | DType::U8 | DType::I16 | DType::U16 | DType::BF16 => None,
        }
    }

    /// NumPy 2's `result_type` for two array dtypes (no weak scalars).
    ///
    /// bool promotes to anything; unsigned with signed goes to the next signed
    /// integer wide enough (uint64 with a signed integer goes to float64);
    /// integers with floats go to a float that holds the integer (int32 with
    /// float32 is float64); float16 with bfloat16 is float32.
    ///
    /// ```
    /// use strider::DType::*;
    /// assert_eq!(strider::DType::promote(U64, I64), F64);
    /// assert_eq!(strider::DType::promote(U8, F16), F16);
    /// assert_eq!(strider::DType::promote(Bool, Bool), Bool);
    /// ```
    pub fn promote(a: DType, b: DType) -> DType {
        use DType::*;
        if a == b {
            return a;
        }
        match (a.kind(), b.kind()) {
            (Kind::Bool, _) => b,
            (_, Kind::Bool) => a,
            (Kind::UInt, Kind::UInt) | (Kind::Int, Kind::Int) => {
                if a.itemsize() >= b.itemsize() {
                    a
                } else {
                    b
                }
            }
            (Kind::UInt, Kind::Int) | (Kind::Int, Kind::UInt) => {
                let (u, i) = if a.kind() == Kind::UInt {
                    (a, b)
                } else {
                    (b, a)
                };
                // The smallest signed integer wider than the unsigned one
                // and at least as wide as the signed one; none for uint64.
                if i.itemsize() > u.itemsize() {
                    i
                } else {
                    match u {
                        U8 => I16,
                        U16 => I32,
                        U32 => I64,
                        _ => F64,
                    }
                }
            }
            (Kind::Float, Kind::Float) => {
                if (a == F16 && b == BF16) || (a == BF16 && b == F16) {
                    F32
                } else if a.itemsize() >= b.itemsize() {
                    a
                } else {
                    b
                }
            }
            (Kind::Float, _) | (_, Kind::Float) => {
                // The smallest float of the float's kind that holds every
                // value of the integer: any float holds 8-bit integers;
                // 16-bit ones need float32 (bfloat16 with them is float32,
                // as ml_dtypes promotes); 32- and 64-bit ones float64.
                let (f, i) = if a.is_float() { (a, b) } else { (b, a) };
                match i.itemsize() {
                    1 => f,
                    2 if f == F64 => F64,
                    2 => F32,
                    _ => F64,
                }
            }
        }
    }

    /// Whether a value of dtype `from` may be cast to `to` under `casting`.
    ///
    /// ```
    /// use strider::{Casting, DType};
    /// assert!(DType::can_cast(DType::F64, DType::F32, Casting::SameKind));
    /// assert!(!DType::can_cast(DType::F64, DType::I64, Casting::SameKind));
    /// assert!(!DType::can_cast(DType::I64, DType::U8, Casting::SameKind));
    /// assert!(DType::can_cast(DType::I32, DType::F64, Casting::Safe));
    /// ```
    pub fn can_cast(from: DType, to: DType, casting: Casting) -> bool {
        if from == to {
            return true;
        }
        let safe = DType::promote(from, to) == to;
        match casting {
            Casting::Safe => safe,
            Casting::SameKind => safe || from.kind() <= to.kind(),
            Casting::Unsafe => true,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A Rust type that is the element of one [`DType`].
///
/// Sealed: it is implemented for `bool`, `i8`, `u8`, `i16`, `u16`, `i32`,
/// `u32`, `i64`, `u64`,
/// `half::f16`, `half::bf16`, `f32` and `f64`, and nothing else.
///
/// The conversions follow NumPy's `astype` with `casting="unsafe"`: floats to
/// integers truncate toward zero (saturating at the ends, where NumPy's result
/// is undefined), integers to narrower integers wrap, anything to bool is
/// `!= 0`, bool to numbers is 0 or 1.
///
/// ```
/// use strider::Element;
/// assert_eq!(<i32 as Element>::DTYPE, strider::DType::I32);
/// assert_eq!(300i64.cast::<u8>(), 44);
/// assert_eq!((-2.7f64).cast::<i32>(), -2);
/// assert!(2u8.cast::<bool>());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an element type strider stores",
    note = "the element types are bool, i8, u8, i16, u16, i32, u32, i64, u64, half::f16, half::bf16, f32 and f64; convert the values first, or use Array::astype on an array"
)]
pub trait Element:
    sealed::Sealed + Copy + Send + Sync + 'static + fmt::Debug + PartialEq + PartialOrd + Default
{
    /// The runtime dtype of this type.
    const DTYPE: DType;
    /// Zero.
    const ZERO: Self;
    /// One.
    const ONE: Self;
    /// The value as f64 (rounding for 64-bit integers beyond 2^53).
    fn to_f64(self) -> f64;
    /// The value as i64 (wrapping for u64; floats truncate).
    fn to_i64(self) -> i64;
    /// The value as u64 (wrapping for negative integers; floats truncate).
    fn to_u64(self) -> u64;
    /// `self != 0`.
    fn to_bool(self) -> bool;
    /// From f64, with NumPy's unsafe-cast rules.
    fn from_f64(v: f64) -> Self;
    /// From i64, with NumPy's unsafe-cast rules.
    fn from_i64(v: i64) -> Self;
    /// From u64, with NumPy's unsafe-cast rules.
    fn from_u64(v: u64) -> Self;
    /// From bool: 0 or 1.
    fn from_bool(v: bool) -> Self;

    /// Convert to another element type with NumPy's unsafe-cast rules.
    #[inline(always)]
    fn cast<D: Element>(self) -> D {
        match Self::DTYPE.kind() {
            Kind::Bool => D::from_bool(self.to_bool()),
            Kind::UInt => D::from_u64(self.to_u64()),
            Kind::Int => D::from_i64(self.to_i64()),
            Kind::Float => D::from_f64(self.to_f64()),
        }
    }
}

macro_rules! int_element {
    ($t:ty, $dt:expr) => {
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = $dt;
            const ZERO: Self = 0;
            const ONE: Self = 1;
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline(always)]
            fn to_u64(self) -> u64 {
                self as u64
            }
            #[inline(always)]
            fn to_bool(self) -> bool {
                self != 0
            }
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                // Truncate toward zero first, then wrap through i64 the way
                // NumPy's C casts behave for in-range values; NaN becomes 0.
                if v.is_nan() {
                    0
                } else {
                    (v as i64) as $t
                }
            }
            #[inline(always)]
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn from_u64(v: u64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn from_bool(v: bool) -> Self {
                v as $t
            }
        }
    };
}

int_element!(i8, DType::I8);
int_element!(u8, DType::U8);
int_element!(i16, DType::I16);
int_element!(u16, DType::U16);
int_element!(i32, DType::I32);
int_element!(u32, DType::U32);
int_element!(i64, DType::I64);

impl sealed::Sealed for u64 {}
impl Element for u64 {
    const DTYPE: DType = DType::U64;
    const ZERO: Self = 0;
    const ONE: Self = 1;
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn to_i64(self) -> i64 {
        self as i64
    }
    #[inline(always)]
    fn to_u64(self) -> u64 {
        self
    }
    #[inline(always)]
    fn to_bool(self) -> bool {
        self != 0
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        if v.is_nan() {
            0
        } else if v < 0.0 {
            (v as i64) as u64
        } else {
            v as u64
        }
    }
    #[inline(always)]
    fn from_i64(v: i64) -> Self {
        v as u64
    }
    #[inline(always)]
    fn from_u64(v: u64) -> Self {
        v
    }
    #[inline(always)]
    fn from_bool(v: bool) -> Self {
        v as u64
    }
}

impl sealed::Sealed for bool {}
impl Element for bool {
    const DTYPE: DType = DType::Bool;
    const ZERO: Self = false;
    const ONE: Self = true;
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as u8 as f64
    }
    #[inline(always)]
    fn to_i64(self) -> i64 {
        self as i64
    }
    #[inline(always)]
    fn to_u64(self) -> u64 {
        self as u64
    }
    #[inline(always)]
    fn to_bool(self) -> bool {
        self
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    #[inline(always)]
    fn from_i64(v: i64) -> Self {
        v != 0
    }
    #[inline(always)]
    fn from_u64(v: u64) -> Self {
        v != 0
    }
    #[inline(always)]
    fn from_bool(v: bool) -> Self {
        v
    }
}

macro_rules! float_element {
    ($t:ty, $dt:expr, $zero:expr, $one:expr, $to64:expr, $from64:expr, $fromint:expr) => {
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = $dt;
            const ZERO: Self = $zero;
            const ONE: Self = $one;
            #[inline(always)]
            fn to_f64(self) -> f64 {
                $to64(self)
            }
            #[inline(always)]
            fn to_i64(self) -> i64 {
                $to64(self) as i64
            }
            #[inline(always)]
            fn to_u64(self) -> u64 {
                let v = $to64(self);
                if v < 0.0 {
                    (v as i64) as u64
                } else {
                    v as u64
                }
            }
            #[inline(always)]
            fn to_bool(self) -> bool {
                $to64(self) != 0.0
            }
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                $from64(v)
            }
            #[inline(always)]
            fn from_i64(v: i64) -> Self {
                $fromint(v < 0, v.unsigned_abs())
            }
            #[inline(always)]
            fn from_u64(v: u64) -> Self {
                $fromint(false, v)
            }
            #[inline(always)]
            fn from_bool(v: bool) -> Self {
                if v {
                    $one
                } else {
                    $zero
                }
            }
        }
    };
}

float_element!(
    f64,
    DType::F64,
    0.0,
    1.0,
    |x: f64| x,
    |v: f64| v,
    |neg: bool, m: u64| if neg { -(m as f64) } else { m as f64 }
);
float_element!(
    f32,
    DType::F32,
    0.0,
    1.0,
    |x: f32| x as f64,
    |v: f64| v as f32,
    |neg: bool, m: u64| if neg { -(m as f32) } else { m as f32 }
);
float_element!(
    f16,
    DType::F16,
    f16::ZERO,
    f16::ONE,
    |x: f16| x.to_f64(),
    |v: f64| f16::from_f32(f64_to_f32_odd(v)),
    |neg: bool, m: u64| f16::from_f32(int_to_f32_odd(neg, m))
);
float_element!(
    bf16,
    DType::BF16,
    bf16::ZERO,
    bf16::ONE,
    |x: bf16| x.to_f64(),
    |v: f64| bf16::from_f32(f64_to_f32_odd(v)),
    |neg: bool, m: u64| bf16::from_f32(int_to_f32_odd(neg, m))
);

/// The integer `-m` (when `neg`) or `m` as f32 with round-to-odd: exact
/// when it has at most 24 significant bits, else its top 24 bits with the
/// last one set when any bit below them is. Rounding that once more to
/// f16 or bf16 rounds the integer correctly (through f64 a 64-bit integer
/// would be rounded twice: `u64 -> bf16` gave the wrong neighbour just past
/// a tie).
fn int_to_f32_odd(neg: bool, m: u64) -> f32 {
    let bits = 64 - m.leading_zeros();
    let mag = if bits <= 24 {
        m as f32
    } else {
        let shift = bits - 24;
        let top = m >> shift;
        let sticky = (m & ((1u64 << shift) - 1) != 0) as u64;
        // `top | sticky` has at most 24 bits: exact in f32, as is the scaling.
        (top | sticky) as f32 * f32::from_bits((127 + shift) << 23)
    };
    if neg {
        -mag
    } else {
        mag
    }
}

/// `v` rounded to f32 with round-to-odd: exact results stay, inexact ones
/// get the neighbour with an odd last bit (overflow gives the largest
/// finite value). Rounding that again, to nearest even, to a format with at
/// least two fewer significand bits (f16, bf16) rounds `v` correctly, which
/// `half`'s direct f64 conversions do not: they drop the low 32 bits of the
/// f64 first and so misround values just past a tie (-28.062511 to bf16
/// gave -28.0 instead of -28.125).
fn f64_to_f32_odd(v: f64) -> f32 {
    let f = v as f32;
    if v.is_nan() || f as f64 == v {
        return f;
    }
    if f.is_infinite() {
        return f32::MAX.copysign(f);
    }
    let bits = f.to_bits();
    if bits & 1 == 1 {
        return f;
    }
    // Even and inexact: step to the neighbour on v's side, which is odd.
    let grow = (f as f64).abs() < v.abs();
    f32::from_bits(if grow { bits + 1 } else { bits - 1 })
}

/// Calls `$body` with the type alias `$T` bound to the Rust element type of
/// the runtime dtype `$dt`.
///
/// ```
/// use strider::{dispatch_dtype, DType, Element};
/// let size = dispatch_dtype!(DType::F16, T => std::mem::size_of::<T>());
/// assert_eq!(size, 2);
/// ```
#[macro_export]
macro_rules! dispatch_dtype {
    ($dt:expr, $T:ident => $body:expr) => {
        match $dt {
            $crate::DType::Bool => {
                type $T = bool;
                $body
            }
            $crate::DType::I8 => {
                type $T = i8;
                $body
            }
            $crate::DType::U8 => {
                type $T = u8;
                $body
            }
            $crate::DType::I16 => {
                type $T = i16;
                $body
            }
            $crate::DType::U16 => {
                type $T = u16;
                $body
            }
            $crate::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::DType::U32 => {
                type $T = u32;
                $body
            }
            $crate::DType::I64 => {
                type $T = i64;
                $body
            }
            $crate::DType::U64 => {
                type $T = u64;
                $body
            }
            $crate::DType::F16 => {
                type $T = $crate::half::f16;
                $body
            }
            $crate::DType::BF16 => {
                type $T = $crate::half::bf16;
                $body
            }
            $crate::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                type $T = f64;
                $body
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use DType::*;

    #[test]
    fn promotion_matches_numpy_table() {
        // (a, b, numpy.result_type(a, b)) for the dtypes NumPy has.
        let table = [
            (Bool, U8, U8),
            (U8, I32, I32),
            (U8, U32, U32),
            (U32, I32, I64),
            (U32, I64, I64),
            (I32, I64, I64),
            (U64, I32, F64),
            (U64, I64, F64),
            (U8, F16, F16),
            (I32, F16, F64),
            (U8, F32, F32),
            (I32, F32, F64),
            (I64, F32, F64),
            (U32, F32, F64),
            (F16, F32, F32),
            (F32, F64, F64),
            (Bool, F16, F16),
            (F16, BF16, F32),
            (U8, BF16, BF16),
        ];
        for (a, b, want) in table {
            assert_eq!(DType::promote(a, b), want, "{a} + {b}");
            assert_eq!(DType::promote(b, a), want, "{b} + {a}");
        }
    }

    #[test]
    fn same_kind_casting() {
        assert!(DType::can_cast(U8, I32, Casting::SameKind));
        assert!(DType::can_cast(U64, I32, Casting::SameKind));
        assert!(!DType::can_cast(I32, U8, Casting::SameKind));
        assert!(!DType::can_cast(F32, I32, Casting::SameKind));
        assert!(DType::can_cast(I64, F16, Casting::SameKind));
        assert!(!DType::can_cast(I64, Bool, Casting::SameKind));
        assert!(!DType::can_cast(I64, I32, Casting::Safe));
    }

    #[test]
    fn casts_follow_numpy() {
        assert_eq!(200u8.cast::<i32>(), 200);
        assert_eq!((-1i32).cast::<u8>(), 255);
        assert_eq!(3.9f32.cast::<i64>(), 3);
        assert_eq!((-3.9f64).cast::<i32>(), -3);
        assert_eq!(true.cast::<f32>(), 1.0);
        assert!(0.5f64.cast::<bool>());
        assert_eq!(u64::MAX.cast::<f64>(), 18446744073709551615.0);
        assert_eq!(2049i32.cast::<f16>(), f16::from_f32(2048.0));
        assert_eq!(f16::from_f32(1.5).cast::<bf16>(), bf16::from_f32(1.5));
        // Just past a tie: one correct rounding, not two.
        assert_eq!((-28.062511f32).cast::<bf16>(), bf16::from_f32(-28.062511));
        let past_tie = 1.0f64 + 2f64.powi(-11) + 2f64.powi(-40);
        assert_eq!(past_tie.cast::<f16>().to_f64(), 1.0 + 2f64.powi(-10));
        assert_eq!(1e300f64.cast::<f16>(), f16::INFINITY);
        assert_eq!((-1e-300f64).cast::<bf16>().to_bits(), 0x8000);
        assert!(f64::NAN.cast::<bf16>().is_nan());
    }

    #[test]
    fn wide_integers_round_once_to_narrow_floats() {
        // 2^62 + 2^38 + 1: nearest f32 is 2^62 + 2^39 (just past the tie
        // at 2^38); through f64 the +1 is lost and the tie goes to even.
        let v: i64 = (1 << 62) + (1 << 38) + 1;
        assert_eq!(v.cast::<f32>(), 4611686568183201792.0f32);
        assert_eq!((-v).cast::<f32>(), -4611686568183201792.0f32);
        // bfloat16 of 2^63 + 2^55 + 1 (past the tie between 2^63 and
        // 2^63 + 2^56) rounds up.
        let u: u64 = (1 << 63) + (1 << 55) + 1;
        assert_eq!(u.cast::<bf16>().to_f64(), 9295429630892703744.0);
        assert_eq!(u64::MAX.cast::<f32>(), 18446744073709551616.0f32);
        assert_eq!(16777217u64.cast::<f32>(), 16777216.0);
        assert_eq!(int_to_f32_odd(false, 16777217), 16777218.0);
        assert_eq!(int_to_f32_odd(true, 5), -5.0);
        assert_eq!(i64::MIN.cast::<f16>(), f16::NEG_INFINITY);
    }
}
