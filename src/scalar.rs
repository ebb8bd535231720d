//! Scalars: Python-style *weak* scalars (NEP 50) and the operand type that
//! lets an op take either an array or a scalar.

use crate::array::Array;
use crate::dtype::{DType, Element, Kind};
use crate::error::{Error, Result};
use std::fmt;

/// A scalar value with the weak typing of a Python scalar (NEP 50): it takes
/// the dtype of the array it meets when that can hold it, so
/// `uint8_array + 2` stays `uint8` and `float16_array * 2.0` stays `float16`,
/// while `int32_array * 2.0` becomes `float64`.
///
/// Every Rust number converts into a `Scalar` with `From`, so `a.add(2)`,
/// `a.add(2.5)` and `a.add(true)` all work.
///
/// ```
/// use strider::{Array, DType, Scalar};
/// let a = Array::from_vec(vec![200u8, 10], &[2]).unwrap();
/// let b = a.add(100).unwrap();
/// assert_eq!(b.dtype(), DType::U8);
/// assert_eq!(b.to_vec::<u8>().unwrap(), vec![44, 110]); // wraps like NumPy
/// assert_eq!(Scalar::from(2.5f32), Scalar::Float(2.5));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    /// A boolean.
    Bool(bool),
    /// An integer (wide enough for every int64 and uint64 value).
    Int(i128),
    /// A floating-point number.
    Float(f64),
}

impl Scalar {
    /// The Python kind of the scalar.
    pub fn kind(self) -> Kind {
        match self {
            Scalar::Bool(_) => Kind::Bool,
            Scalar::Int(_) => Kind::Int,
            Scalar::Float(_) => Kind::Float,
        }
    }

    /// The dtype NumPy gives the scalar on its own (bool, int64, float64).
    pub fn default_dtype(self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::Int(_) => DType::I64,
            Scalar::Float(_) => DType::F64,
        }
    }

    /// The scalar as an element of type `T` (NumPy's unsafe cast).
    pub fn to<T: Element>(self) -> T {
        match self {
            Scalar::Bool(b) => T::from_bool(b),
            // Beyond both 64-bit ranges: the nearest float64 first, as
            // Python's int-to-float conversion.
            Scalar::Int(i)
                if T::DTYPE.is_float() && !(i64::MIN as i128..=u64::MAX as i128).contains(&i) =>
            {
                T::from_f64(i as f64)
            }
            Scalar::Int(i) => {
                if i < 0 {
                    T::from_i64(i as i64)
                } else {
                    T::from_u64(i as u64)
                }
            }
            Scalar::Float(f) => T::from_f64(f),
        }
    }

    /// The dtype this weak scalar takes when it meets an array of dtype
    /// `array` (NEP 50), before any range check: a bool takes the array's
    /// dtype; an int takes an integer or float array's dtype and int64 with
    /// a bool array; a float takes a float array's dtype and float64
    /// otherwise.
    ///
    /// Whether an int fits is decided later, against the dtype the op
    /// computes in (its loop dtype), not against the array's: `uint8_array
    /// / -1` computes in float64 and is fine, `uint8_array | 300` computes
    /// in uint8 and is an error.
    ///
    /// ```
    /// use strider::{DType, Scalar};
    /// assert_eq!(Scalar::Int(300).weak_type(DType::U8), DType::U8);
    /// assert_eq!(Scalar::Int(1).weak_type(DType::Bool), DType::I64);
    /// assert_eq!(Scalar::Float(0.5).weak_type(DType::I32), DType::F64);
    /// ```
    pub fn weak_type(self, array: DType) -> DType {
        match (self, array.kind()) {
            (Scalar::Bool(_), _) => array,
            (Scalar::Int(_), Kind::Bool) => DType::I64,
            (Scalar::Int(_), _) => array,
            (Scalar::Float(_), Kind::Float) => array,
            (Scalar::Float(_), _) => DType::F64,
        }
    }

    /// The result dtype when this weak scalar meets an array of dtype
    /// `array` (NEP 50), with an integer checked against that dtype.
    ///
    /// # Errors
    /// An integer that does not fit the dtype it takes is a
    /// [`Error::DType`] (NumPy's `OverflowError`).
    ///
    /// ```
    /// use strider::{DType, Scalar};
    /// assert_eq!(Scalar::Int(2).weak_dtype("add", DType::U8)?, DType::U8);
    /// assert!(Scalar::Int(300).weak_dtype("add", DType::U8).is_err());
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn weak_dtype(self, op: &'static str, array: DType) -> Result<DType> {
        let dt = self.weak_type(array);
        self.check_fits(op, dt)?;
        Ok(dt)
    }

    /// Fails when an integer scalar does not fit the integer dtype `dtype`,
    /// as NumPy 2 refuses `np.full(2, -1, dtype=np.uint8)` and `x[0] = 300`
    /// for a uint8 `x` (its `OverflowError`). Floats and bools, and any
    /// scalar written into a float or bool dtype, convert with NumPy's
    /// unsafe cast instead.
    pub(crate) fn check_fits(self, op: &'static str, dtype: DType) -> Result<()> {
        match self {
            Scalar::Int(v) if dtype.is_integer() && !int_fits(v, dtype) => Err(Error::DType {
                op,
                reason: format!("Python integer {v} out of bounds for {dtype}"),
            }),
            _ => Ok(()),
        }
    }

    /// Reads element 0 of a one-element CPU array as a scalar.
    pub(crate) fn of_element<T: Element>(v: T) -> Scalar {
        match T::DTYPE.kind() {
            Kind::Bool => Scalar::Bool(v.to_bool()),
            Kind::Int => Scalar::Int(v.to_i64() as i128),
            Kind::UInt => Scalar::Int(v.to_u64() as i128),
            Kind::Float => Scalar::Float(v.to_f64()),
        }
    }
}

/// The smallest and largest values of the integer (or bool) dtype `dt`;
/// the whole i128 range for floats.
pub(crate) fn int_range(dt: DType) -> (i128, i128) {
    match dt {
        DType::Bool => (0, 1),
        DType::I8 => (i8::MIN as i128, i8::MAX as i128),
        DType::U8 => (0, u8::MAX as i128),
        DType::I16 => (i16::MIN as i128, i16::MAX as i128),
        DType::U16 => (0, u16::MAX as i128),
        DType::I32 => (i32::MIN as i128, i32::MAX as i128),
        DType::U32 => (0, u32::MAX as i128),
        DType::I64 => (i64::MIN as i128, i64::MAX as i128),
        DType::U64 => (0, u64::MAX as i128),
        _ => (i128::MIN, i128::MAX),
    }
}

/// Whether the integer `v` is representable in the integer dtype `dt`.
pub(crate) fn int_fits(v: i128, dt: DType) -> bool {
    let (lo, hi) = int_range(dt);
    (lo..=hi).contains(&v)
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Bool(b) => write!(f, "{}", if *b { "True" } else { "False" }),
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float(x) => write!(f, "{x:?}"),
        }
    }
}

macro_rules! scalar_from {
    ($variant:ident, $conv:ty: $($t:ty),*) => {
        $(impl From<$t> for Scalar {
            fn from(v: $t) -> Scalar {
                Scalar::$variant(v as $conv)
            }
        })*
    };
}
scalar_from!(Int, i128: i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);
scalar_from!(Float, f64: f32, f64);

impl From<bool> for Scalar {
    fn from(v: bool) -> Scalar {
        Scalar::Bool(v)
    }
}

impl From<half::f16> for Scalar {
    fn from(v: half::f16) -> Scalar {
        Scalar::Float(v.to_f64())
    }
}

impl From<half::bf16> for Scalar {
    fn from(v: half::bf16) -> Scalar {
        Scalar::Float(v.to_f64())
    }
}

/// The dtypes that type resolution sees for `operands`: an array's own
/// dtype; a weak scalar's [`Scalar::weak_type`] against the promoted dtype
/// of the array operands (with no arrays, the first scalar takes its
/// default dtype and the others meet that).
pub(crate) fn operand_dtypes<const N: usize>(operands: &[Operand<'_>; N]) -> [DType; N] {
    let mut against = operands
        .iter()
        .filter_map(|o| o.array().map(Array::dtype))
        .reduce(DType::promote);
    let mut dts = [DType::Bool; N];
    for (dt, o) in dts.iter_mut().zip(operands) {
        *dt = match o {
            Operand::Array(a) => a.dtype(),
            Operand::Scalar(s) => {
                let d = against.map_or(s.default_dtype(), |d| s.weak_type(d));
                against.get_or_insert(d);
                d
            }
        };
    }
    dts
}

/// An operand as an array for a kernel computing in `loop_dtype`: an array
/// as it is, a weak scalar as a 0-d array of the loop dtype (NumPy converts
/// a Python scalar to the loop's dtype).
///
/// # Errors
/// An integer scalar that does not fit an integer loop dtype (NumPy's
/// `OverflowError`).
pub(crate) fn operand_array<'a>(
    op: &'static str,
    o: Operand<'a>,
    loop_dtype: DType,
) -> Result<std::borrow::Cow<'a, Array>> {
    use std::borrow::Cow;
    match o {
        Operand::Array(a) => Ok(Cow::Borrowed(a)),
        Operand::Scalar(s) => {
            s.check_fits(op, loop_dtype)?;
            Ok(Cow::Owned(
                crate::dispatch_dtype!(loop_dtype, T => Array::scalar(s.to::<T>())),
            ))
        }
    }
}

/// The right-hand side of a binary op: an array or a weak scalar.
///
/// ```
/// use strider::{Array, Operand};
/// let a = Array::arange_i64(0, 3, 1).unwrap();
/// let by_array: Operand = (&a).into();
/// let by_scalar: Operand = 2.into();
/// assert!(matches!(by_array, Operand::Array(_)));
/// assert!(matches!(by_scalar, Operand::Scalar(_)));
/// ```
#[derive(Clone, Copy, Debug)]
pub enum Operand<'a> {
    /// An array operand.
    Array(&'a Array),
    /// A weak scalar operand.
    Scalar(Scalar),
}

impl<'a> Operand<'a> {
    /// The array, or `None` for a scalar.
    pub(crate) fn array(self) -> Option<&'a Array> {
        match self {
            Operand::Array(a) => Some(a),
            Operand::Scalar(_) => None,
        }
    }
}

impl<'a> From<&'a Array> for Operand<'a> {
    fn from(a: &'a Array) -> Operand<'a> {
        Operand::Array(a)
    }
}

impl<'a, T: Into<Scalar>> From<T> for Operand<'a> {
    fn from(v: T) -> Operand<'a> {
        Operand::Scalar(v.into())
    }
}
