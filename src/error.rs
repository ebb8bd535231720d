//! The one error type of the crate.
//!
//! Every variant carries what a person needs to fix the call: the op, and the
//! shapes, axes, dtypes or devices involved. [`Error::kind`] maps each variant
//! onto the error kinds of the conformance corpus (`broadcast`, `reshape`,
//! `index`, `axis`, `shape`, `readonly`, `empty_reduction`, `dtype`, `value`).
//!
//! ```
//! use strider::{Array, ErrorKind};
//! let a = Array::zeros(&[2, 3], strider::DType::F32).unwrap();
//! let b = Array::zeros(&[4], strider::DType::F32).unwrap();
//! let err = a.add(&b).unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Broadcast);
//! assert_eq!(
//!     err.to_string(),
//!     "add: operands could not be broadcast together with shapes (2, 3) (4,)"
//! );
//! ```

use std::fmt;

/// A shape written the way NumPy prints it: `(2, 3)`, `(4,)`, `()`.
///
/// ```
/// assert_eq!(strider::error::fmt_shape(&[4]), "(4,)");
/// assert_eq!(strider::error::fmt_shape(&[2, 3]), "(2, 3)");
/// assert_eq!(strider::error::fmt_shape::<usize>(&[]), "()");
/// ```
pub fn fmt_shape<T: fmt::Display>(shape: &[T]) -> String {
    match shape {
        [] => "()".to_string(),
        [one] => format!("({one},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// The broad class of an [`Error`], matching the kinds of NumPy's behaviour
/// that the conformance corpus distinguishes, plus the kinds that only a
/// runtime with devices, files and copy tracking has.
///
/// ```
/// use strider::ErrorKind;
/// assert_eq!(ErrorKind::EmptyReduction.name(), "empty_reduction");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Shapes that cannot broadcast together.
    Broadcast,
    /// A reshape whose size does not match, or that would need a forbidden copy.
    Reshape,
    /// An index out of bounds, too many indices, or mismatched index arrays.
    Index,
    /// An axis out of range or repeated.
    Axis,
    /// Operands whose shapes do not fit together (concatenate, stack, squeeze).
    Shape,
    /// A write into a read-only view.
    ReadOnly,
    /// `max`, `min`, `argmax` or `argmin` over zero elements.
    EmptyReduction,
    /// A dtype that the operation cannot take or produce.
    DType,
    /// A bad argument value (a slice step of 0, say).
    Value,
    /// An implicit copy inside [`crate::no_copies`].
    CopyForbidden,
    /// A device that is missing, mixed with another, or cannot run the request.
    Device,
    /// A file that could not be read or written, or is not valid `.npy`.
    Io,
    /// A buffer this thread has lent out through a guard
    /// ([`crate::Array::read`], [`crate::Array::write`]) was needed again
    /// before the guard was dropped.
    Borrowed,
    /// Memory that could not be had: an allocation the host or the device
    /// refused.
    OutOfMemory,
}

impl ErrorKind {
    /// The kind's name as the conformance corpus writes it.
    ///
    /// ```
    /// assert_eq!(strider::ErrorKind::ReadOnly.name(), "readonly");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Broadcast => "broadcast",
            ErrorKind::Reshape => "reshape",
            ErrorKind::Index => "index",
            ErrorKind::Axis => "axis",
            ErrorKind::Shape => "shape",
            ErrorKind::ReadOnly => "readonly",
            ErrorKind::EmptyReduction => "empty_reduction",
            ErrorKind::DType => "dtype",
            ErrorKind::Value => "value",
            ErrorKind::CopyForbidden => "copy_forbidden",
            ErrorKind::Device => "device",
            ErrorKind::Io => "io",
            ErrorKind::Borrowed => "borrowed",
            ErrorKind::OutOfMemory => "out_of_memory",
        }
    }
}

/// Everything that can go wrong in strider.
///
/// Each variant names the op (`op`) and what was wrong with its operands.
/// Bad input is always reported through this type; strider does not panic on
/// bad input.
///
/// `Debug` prints the same text as `Display`, so `fn main() -> Result<(),
/// strider::Error>` reports the message; `{:#?}` shows kind, op and message
/// as a struct.
///
/// ```
/// let a = strider::Array::zeros(&[2], strider::DType::F32).unwrap();
/// let err = a.reshape(&[3]).unwrap_err();
/// assert_eq!(format!("{err:?}"), err.to_string());
/// assert!(format!("{err:#?}").contains("kind: Reshape"));
/// ```
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// Operand shapes cannot be broadcast together.
    Broadcast {
        /// The operation.
        op: &'static str,
        /// The shapes involved, in operand order.
        shapes: Vec<Vec<usize>>,
        /// Extra detail, empty when the shapes say it all.
        detail: String,
    },
    /// A reshape that cannot be done (size mismatch, several `-1`, or a copy
    /// that the caller forbade).
    Reshape {
        /// The operation.
        op: &'static str,
        /// The shape of the array.
        from: Vec<usize>,
        /// The requested shape, `-1` included.
        to: Vec<isize>,
        /// Why it failed.
        reason: String,
    },
    /// A bad index.
    Index {
        /// The operation.
        op: &'static str,
        /// The shape being indexed.
        shape: Vec<usize>,
        /// What was wrong.
        reason: String,
    },
    /// An axis out of range, repeated, or otherwise wrong for the array.
    Axis {
        /// The operation.
        op: &'static str,
        /// The offending axis, as given.
        axis: isize,
        /// The number of dimensions it was checked against.
        ndim: usize,
        /// What was wrong.
        reason: String,
    },
    /// Operands whose shapes do not fit together.
    Shape {
        /// The operation.
        op: &'static str,
        /// The shapes involved.
        shapes: Vec<Vec<usize>>,
        /// What was wrong.
        reason: String,
    },
    /// A write into a read-only array (a `broadcast_to` result or a view of one).
    ReadOnly {
        /// The operation.
        op: &'static str,
        /// The shape of the read-only destination.
        shape: Vec<usize>,
    },
    /// A reduction with no identity over zero elements.
    EmptyReduction {
        /// The operation.
        op: &'static str,
        /// The shape of the input.
        shape: Vec<usize>,
    },
    /// A dtype that the operation cannot take, produce or cast to.
    DType {
        /// The operation.
        op: &'static str,
        /// What was wrong, naming the dtypes.
        reason: String,
    },
    /// A bad argument value.
    Value {
        /// The operation.
        op: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// An implicit copy inside a [`crate::no_copies`] scope.
    CopyForbidden {
        /// The operation that needed the copy.
        op: &'static str,
        /// Why it needed a copy.
        reason: String,
        /// The size of the copy in bytes.
        bytes: usize,
    },
    /// A device problem: none available, operands on different devices, or a
    /// request the device cannot meet.
    Device {
        /// The operation.
        op: &'static str,
        /// What was wrong, naming the devices.
        reason: String,
    },
    /// A file problem while reading or writing `.npy`.
    Io {
        /// The operation.
        op: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The operation needed a buffer that this thread holds through a
    /// read or write guard: drop the guard first.
    Borrowed {
        /// The operation.
        op: &'static str,
        /// The shape of the array whose buffer is lent out.
        shape: Vec<usize>,
        /// `"read"` or `"write"`: the guard that holds the buffer.
        guard: &'static str,
    },
    /// An allocation the host or the device refused. The process goes on;
    /// nothing was allocated.
    ///
    /// ```
    /// use strider::{Array, DType, ErrorKind};
    /// // 2^45 f64 elements: 256 TiB, more than a 64-bit process can map.
    /// let err = Array::zeros(&[1 << 45], DType::F64).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::OutOfMemory);
    /// assert!(err.to_string().starts_with("zeros: unable to allocate 256.00 TiB"));
    /// ```
    OutOfMemory {
        /// The operation.
        op: &'static str,
        /// The bytes it asked for.
        bytes: u128,
        /// The device that refused (`cpu`, or the GPU's name).
        device: String,
        /// Why, as the allocator said it.
        reason: String,
    },
}

/// The result type of every fallible strider call.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The broad class of this error.
    ///
    /// ```
    /// let a = strider::Array::arange_i64(0, 6, 1).unwrap();
    /// let err = a.reshape(&[4, 2]).unwrap_err();
    /// assert_eq!(err.kind(), strider::ErrorKind::Reshape);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Broadcast { .. } => ErrorKind::Broadcast,
            Error::Reshape { .. } => ErrorKind::Reshape,
            Error::Index { .. } => ErrorKind::Index,
            Error::Axis { .. } => ErrorKind::Axis,
            Error::Shape { .. } => ErrorKind::Shape,
            Error::ReadOnly { .. } => ErrorKind::ReadOnly,
            Error::EmptyReduction { .. } => ErrorKind::EmptyReduction,
            Error::DType { .. } => ErrorKind::DType,
            Error::Value { .. } => ErrorKind::Value,
            Error::CopyForbidden { .. } => ErrorKind::CopyForbidden,
            Error::Device { .. } => ErrorKind::Device,
            Error::Io { .. } => ErrorKind::Io,
            Error::Borrowed { .. } => ErrorKind::Borrowed,
            Error::OutOfMemory { .. } => ErrorKind::OutOfMemory,
        }
    }

    /// The operation that failed.
    ///
    /// ```
    /// let a = strider::Array::arange_i64(0, 6, 1).unwrap();
    /// assert_eq!(a.transpose(Some(&[1])).unwrap_err().op(), "transpose");
    /// ```
    pub fn op(&self) -> &'static str {
        match self {
            Error::Broadcast { op, .. }
            | Error::Reshape { op, .. }
            | Error::Index { op, .. }
            | Error::Axis { op, .. }
            | Error::Shape { op, .. }
            | Error::ReadOnly { op, .. }
            | Error::EmptyReduction { op, .. }
            | Error::DType { op, .. }
            | Error::Value { op, .. }
            | Error::CopyForbidden { op, .. }
            | Error::Device { op, .. }
            | Error::Io { op, .. }
            | Error::Borrowed { op, .. }
            | Error::OutOfMemory { op, .. } => op,
        }
    }

    /// Helper: an axis error for `axis` out of range for `ndim` dimensions.
    pub(crate) fn axis_out_of_range(op: &'static str, axis: isize, ndim: usize) -> Error {
        Error::Axis {
            op,
            axis,
            ndim,
            reason: format!("axis {axis} is out of bounds for array of dimension {ndim}"),
        }
    }

    /// Helper: a broadcast error over the given shapes.
    pub(crate) fn broadcast(op: &'static str, shapes: Vec<Vec<usize>>) -> Error {
        Error::Broadcast {
            op,
            shapes,
            detail: String::new(),
        }
    }

    /// Helper: an allocation of `bytes` that `device` refused.
    pub(crate) fn out_of_memory(
        op: &'static str,
        bytes: u128,
        device: impl Into<String>,
        reason: impl Into<String>,
    ) -> Error {
        Error::OutOfMemory {
            op,
            bytes,
            device: device.into(),
            reason: reason.into(),
        }
    }

    /// Helper: a shape-product overflow.
    pub(crate) fn overflow(op: &'static str, shape: &[usize]) -> Error {
        Error::Value {
            op,
            reason: format!(
                "the total size of shape {} does not fit in memory addresses",
                fmt_shape(shape)
            ),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Broadcast { op, shapes, detail } => {
                let shapes: Vec<String> = shapes.iter().map(|s| fmt_shape(s)).collect();
                write!(
                    f,
                    "{op}: operands could not be broadcast together with shapes {}",
                    shapes.join(" ")
                )?;
                if !detail.is_empty() {
                    write!(f, " ({detail})")?;
                }
                Ok(())
            }
            Error::Reshape {
                op,
                from,
                to,
                reason,
            } => write!(
                f,
                "{op}: cannot reshape array of shape {} into shape {}: {reason}",
                fmt_shape(from),
                fmt_shape(to)
            ),
            Error::Index { op, shape, reason } => {
                write!(f, "{op}: {reason} (array shape {})", fmt_shape(shape))
            }
            Error::Axis { op, reason, .. } => write!(f, "{op}: {reason}"),
            Error::Shape { op, shapes, reason } => {
                let shapes: Vec<String> = shapes.iter().map(|s| fmt_shape(s)).collect();
                if shapes.is_empty() {
                    write!(f, "{op}: {reason}")
                } else {
                    write!(f, "{op}: {reason} (shapes {})", shapes.join(" "))
                }
            }
            Error::ReadOnly { op, shape } => write!(
                f,
                "{op}: assignment destination of shape {} is read-only",
                fmt_shape(shape)
            ),
            Error::EmptyReduction { op, shape } => write!(
                f,
                "{op}: zero-size array of shape {} to reduction operation which has no identity",
                fmt_shape(shape)
            ),
            Error::DType { op, reason } => write!(f, "{op}: {reason}"),
            Error::Value { op, reason } => write!(f, "{op}: {reason}"),
            Error::CopyForbidden { op, reason, bytes } => write!(
                f,
                "{op}: an implicit copy of {bytes} bytes is forbidden inside no_copies ({reason}); \
                 call copy() explicitly if the copy is intended"
            ),
            Error::Device { op, reason } => write!(f, "{op}: {reason}"),
            Error::Io { op, reason } => write!(f, "{op}: {reason}"),
            Error::Borrowed { op, shape, guard } => write!(
                f,
                "{op}: the buffer of the array of shape {} is held by a {guard} guard on this \
                 thread; drop the guard before using arrays that share its memory",
                fmt_shape(shape)
            ),
            Error::OutOfMemory {
                op,
                bytes,
                device,
                reason,
            } => write!(
                f,
                "{op}: unable to allocate {} ({bytes} bytes) on {device}: {reason}",
                human_bytes(*bytes)
            ),
        }
    }
}

/// Bytes as NumPy's allocation error writes them: `8.00 TiB`, `512 bytes`.
fn human_bytes(bytes: u128) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.2} {}", UNITS[unit])
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            f.debug_struct("Error")
                .field("kind", &self.kind())
                .field("op", &self.op())
                .field("message", &self.to_string())
                .finish()
        } else {
            fmt::Display::fmt(self, f)
        }
    }
}

impl std::error::Error for Error {}
