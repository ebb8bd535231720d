//! # strider
//!
//! A strided-array runtime on NumPy's memory model (work in progress).
#![warn(missing_docs)]

pub mod array;
pub(crate) mod cpu;
pub mod device;
pub mod dtype;
pub mod error;
pub mod layout;
pub mod npy;
pub mod ops;
pub mod scalar;
pub mod storage;

pub use array::copies::{concatenate, stack};
pub use array::views::{Ellipsis, IntoSliceItem, NewAxis};
pub use array::{Array, Flags, IndexItem};
pub use device::Device;
pub use dtype::{Casting, DType, Element, Kind};
pub use error::{Error, ErrorKind, Result};
pub use layout::{Layout, Order, SliceItem};
pub use ops::binary::{binary_operands, binary_operands_into};
pub use ops::select::where_;
pub use ops::{Axes, BinaryOp, ReduceOp, UnaryOp};
pub use scalar::{Operand, Scalar};
pub use storage::ledger::{self, no_copies, track};

#[doc(hidden)]
pub use half;
