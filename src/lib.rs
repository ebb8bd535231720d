//! # strider
//!
//! A strided-array runtime on NumPy's memory model.
//!
//! ## The tour
//!
//! **A buffer and a layout.** An [`Array`] is one flat buffer, a shape, a
//! list of strides and an offset, with a runtime [`DType`]. Element
//! `[i, j]` of a 2-D array lives at byte `offset + i*strides[0] +
//! j*strides[1]` of its buffer. A (3, 4) int64 array in C order has strides
//! (32, 8): one row is 4 elements of 8 bytes.
//!
//! ```
//! use strider::{s, Array};
//! let a = Array::arange_i64(0, 12, 1)?.reshape(&[3, 4])?;
//! assert_eq!((a.shape(), a.strides()), (&[3, 4][..], vec![32, 8]));
//! # Ok::<(), strider::Error>(())
//! ```
//!
//! **Views.** Slicing (with steps, negative steps, new axes, an ellipsis),
//! transposing, reshaping where NumPy can, and broadcasting make a new
//! layout over the *same* buffer. No data moves, whatever the size.
//!
//! ```
//! # use strider::{s, Array};
//! # let a = Array::arange_i64(0, 12, 1)?.reshape(&[3, 4])?;
//! let t = a.t();                          // strides (8, 32)
//! let v = a.slice(s![.., ..;2])?;         // strides (32, 16)
//! let r = a.slice(s![..;-1, ..])?;        // strides (-32, 8), offset 64
//! assert_eq!(t.strides(), vec![8, 32]);
//! assert_eq!(v.strides(), vec![32, 16]);
//! assert_eq!((r.strides(), r.offset()), (vec![-32, 8], 64));
//! assert!(t.shares_memory(&a) && v.shares_memory(&a));
//! # Ok::<(), strider::Error>(())
//! ```
//!
//! **Writes go through.** Views share memory, so a write through one is seen
//! by all (the tutorial case `b = a[0]; b[0] = 100`):
//!
//! ```
//! # use strider::{s, Array};
//! # let a = Array::arange_i64(0, 12, 1)?.reshape(&[3, 4])?;
//! let b = a.slice(s![0])?;
//! b.set(&[0], 100i64)?;
//! assert_eq!(a.get::<i64>(&[0, 0])?, 100);
//! # Ok::<(), strider::Error>(())
//! ```
//!
//! **Copies are new memory, and recorded.** [`Array::copy`], `astype`,
//! `flatten`, advanced indexing and `concatenate` make new buffers; a
//! `reshape` or `ravel` that cannot be a view copies too. Every copy is
//! recorded in the [`ledger`]: [`track`] shows the copies of a scope and
//! [`no_copies`] turns implicit ones into errors.
//!
//! ```
//! # use strider::Array;
//! # let a = Array::arange_i64(0, 12, 1)?.reshape(&[3, 4])?;
//! let (flat, report) = strider::track(|| a.t().ravel());
//! assert_eq!(report.implicit_copies(), 1);
//! assert!(!flat?.shares_memory(&a));
//! # Ok::<(), strider::Error>(())
//! ```
//!
//! **Broadcasting** gives size-1 and missing axes a stride of 0: a row
//! added to every row of a matrix is read in place, never repeated in
//! memory.
//!
//! ```
//! # use strider::Array;
//! let m = Array::zeros(&[3, 4], strider::DType::F64)?;
//! let row = Array::arange(0.0, 4.0, 1.0, strider::DType::F64)?;
//! assert_eq!(row.broadcast_to(&[3, 4])?.strides(), vec![0, 8]);
//! let (sum, report) = strider::track(|| &m + &row);
//! assert_eq!(sum?.get::<f64>(&[2, 3])?, 3.0);
//! assert!(report.is_empty());
//! # Ok::<(), strider::Error>(())
//! ```
//!
//! **Compute.** Binary and unary ufuncs with NumPy 2's promotion, `where_`,
//! `clip`, and reductions over any axes, on the CPU through one iteration
//! plan ([`layout::Plan`]) that sorts and merges axes and splits large work
//! over threads. Errors, never panics, on bad input: every [`Error`] names
//! the op and the shapes, axes or dtypes involved.
//!
//! **Your own code over the elements.** [`Array::read`] and
//! [`Array::write`] lend a CPU array's memory as a slice or an iterator in
//! logical order, with no copy; [`Array::map`] and [`Array::zip_map`] run a
//! closure over the elements on the same threads as the built-in kernels;
//! `ElementwiseKernel` (feature `gpu`) runs a WGSL expression over GPU
//! arrays; the `ndarray` feature converts to and from ndarray without
//! copies ([`interop`]).
//!
//! The README has a NumPy -> strider table of every operation.
#![warn(missing_docs)]

pub mod array;
pub mod cpu;
pub mod device;
pub mod dtype;
pub mod error;
pub mod expr;
#[cfg(feature = "gpu")]
pub mod gpu;
pub mod interop;
pub mod layout;
pub mod npy;
pub mod ops;
pub mod scalar;
pub mod storage;

pub use array::access::{ArrayRead, ArrayWrite};
pub use array::copies::{concatenate, stack};
pub use array::views::{Ellipsis, IntoSliceItem, NewAxis};
pub use array::{Array, Flags, IndexItem};
pub use device::Device;
pub use dtype::{Casting, DType, Element, Kind};
pub use error::{Error, ErrorKind, Result};
pub use expr::{fuse, Expr, ExprArg, Fused, FusedOutput, Reduction};
pub use layout::{Layout, Order, SliceItem};
pub use ops::binary::{binary_operands, binary_operands_into};
pub use ops::select::where_;
#[cfg(feature = "gpu")]
pub use ops::user_kernel::ElementwiseKernel;
pub use ops::{Axes, BinaryOp, ReduceOp, UnaryOp};
pub use scalar::{Operand, Scalar};
pub use storage::ledger::{self, no_copies, track};

#[doc(hidden)]
pub use half;

/// The README's code blocks, compiled and run as doctests so the README
/// cannot drift from the code.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
