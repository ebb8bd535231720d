//! [`Array`]: a shared flat buffer, a layout and a dtype.
//!
//! The methods are spread over files by what they do:
//!
//! | file | what |
//! | --- | --- |
//! | `mod.rs` | the type, metadata, creation, element access |
//! | `access.rs` | zero-copy guards over the memory, `map` and `zip_map` |
//! | `views.rs` | views: slicing, transpose, reshape, broadcast (no data copied) |
//! | `copies.rs` | copies: `copy`, `astype`, `flatten`, `concatenate`, `stack` (always recorded) |
//! | `fancy.rs` | advanced indexing with index arrays and masks |
//! | `assign.rs` | writes: `set`, `fill`, `assign`, overlap handling |
//! | `overlap.rs` | `shares_memory` and `may_share_memory` |
//! | `display.rs` | NumPy-style printing and `explain()` |

pub mod access;
mod assign;
pub mod copies;
mod display;
mod fancy;
mod index_fast;
mod npy_io;
mod overlap;
mod transfer;
pub mod views;

pub use fancy::IndexItem;

use crate::cpu::{self, RawOperand};
use crate::device::Device;
use crate::dtype::{DType, Element};
use crate::error::{fmt_shape, Error, Result};
use crate::layout::{Layout, Order};
use crate::scalar::Scalar;
use crate::storage::ledger::{self, CopyEvent, EventKind, LayoutRecord};
use crate::storage::{Buffer, CpuData, LockSet};
use std::sync::Arc;

/// An n-dimensional array: a view of one flat buffer through a layout
/// (shape, strides, offset) with a runtime dtype.
///
/// Views (slices, transposes, reshapes that NumPy does without copying,
/// broadcasts) share the buffer and change only the layout. Cloning an
/// `Array` clones the *handle*: the clone is another view of the same memory,
/// as `b = a` is in Python. [`Array::copy`] makes new memory.
///
/// `Array` is `Send + Sync`. Each buffer sits behind a read-write lock that
/// every kernel takes for the duration of the call (reads for its sources,
/// the write lock for its destination), so a write through one view is seen
/// by every other view, and two threads can never race on an element: they
/// take turns per operation.
///
/// ```
/// use strider::{s, Array};
/// let a = Array::arange_i64(0, 12, 1).unwrap().reshape(&[3, 4]).unwrap();
/// assert_eq!(a.strides(), vec![32, 8]);
/// assert_eq!(a.t().strides(), vec![8, 32]);
/// let b = a.slice(s![0]).unwrap(); // a view of the first row
/// b.set(&[0], 100i64).unwrap();
/// assert_eq!(a.get::<i64>(&[0, 0]).unwrap(), 100); // the write shows in `a`
/// ```
#[derive(Clone)]
pub struct Array {
    buf: Arc<Buffer>,
    layout: Layout,
    writeable: bool,
    owndata: bool,
}

/// NumPy's array flags.
///
/// ```
/// let a = strider::Array::zeros(&[3, 4], strider::DType::F32).unwrap();
/// let f = a.flags();
/// assert!(f.c_contiguous && !f.f_contiguous && f.writeable && f.owndata);
/// assert!(!a.t().flags().owndata);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flags {
    /// Contiguous in C (row-major) order, by NumPy's rules (length-1 axes
    /// ignored; an empty array is contiguous).
    pub c_contiguous: bool,
    /// Contiguous in Fortran (column-major) order.
    pub f_contiguous: bool,
    /// Writes are allowed (false for `broadcast_to` results and their views).
    pub writeable: bool,
    /// The array made its buffer, rather than being a view of another array.
    pub owndata: bool,
}

fn checked_size(op: &'static str, shape: &[usize]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n.checked_mul(16).is_some())
        .ok_or_else(|| Error::overflow(op, shape))
}

impl Array {
    // ----- construction helpers -----------------------------------------

    /// An array owning `data` through `layout`.
    pub(crate) fn from_parts(data: CpuData, layout: Layout) -> Array {
        Array {
            buf: Arc::new(Buffer::cpu(data)),
            layout,
            writeable: true,
            owndata: true,
        }
    }

    /// An array of a given buffer and layout (used by the device layer).
    pub(crate) fn from_buffer(buf: Arc<Buffer>, layout: Layout) -> Array {
        Array {
            buf,
            layout,
            writeable: true,
            owndata: true,
        }
    }

    /// A view of the same buffer through `layout`.
    pub(crate) fn view_with(&self, layout: Layout) -> Array {
        Array {
            buf: Arc::clone(&self.buf),
            layout,
            writeable: self.writeable,
            owndata: false,
        }
    }

    /// A new zeroed array with exactly `layout` (dense, offset 0).
    pub(crate) fn alloc(op: &'static str, layout: Layout, dtype: DType) -> Result<Array> {
        let len = layout.extent().map_or(0, |(_, hi)| hi + 1);
        checked_size(op, &[len, dtype.itemsize()])?;
        Ok(Array::from_parts(
            crate::storage::pool::zeroed(op, dtype, len)?,
            layout,
        ))
    }

    /// A new zeroed C- or F-ordered array.
    pub(crate) fn alloc_order(
        op: &'static str,
        shape: &[usize],
        dtype: DType,
        order: Order,
    ) -> Result<Array> {
        checked_size(op, shape)?;
        let layout = Layout::contiguous(op, shape, order)?;
        Array::alloc(op, layout, dtype)
    }

    /// The layout in elements.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Fails with a device error unless the array lives in host memory.
    pub(crate) fn require_cpu(&self, op: &'static str) -> Result<()> {
        if self.buf.cpu_lock().is_some() {
            Ok(())
        } else {
            Err(Error::Device {
                op,
                reason: format!(
                    "this operation runs on the CPU but the array of shape {} is on {}; \
                     call to_cpu() first",
                    fmt_shape(self.shape()),
                    self.device()
                ),
            })
        }
    }

    /// Fails with a borrowed error when this thread holds a user guard on
    /// the buffer: locking it again here could deadlock.
    pub(crate) fn require_not_lent(&self, op: &'static str) -> Result<()> {
        match crate::storage::lent_on_this_thread(self.buf.id()) {
            None => Ok(()),
            Some(write) => Err(Error::Borrowed {
                op,
                shape: self.shape().to_vec(),
                guard: if write { "write" } else { "read" },
            }),
        }
    }

    /// Takes the write turn of this array's buffer for an operation that
    /// writes it after reading `reads` (see
    /// [`WriteTurn`](crate::storage::WriteTurn)). Operands this thread has
    /// lent out through a guard are refused first, so the wait for the turn
    /// can never be a wait on this thread's own guard.
    pub(crate) fn write_turn<'r>(
        &self,
        op: &'static str,
        reads: impl IntoIterator<Item = &'r Array>,
    ) -> Result<crate::storage::TurnGuard<'_>> {
        self.require_not_lent(op)?;
        for r in reads {
            r.require_not_lent(op)?;
        }
        Ok(self.buf.write_turn())
    }

    /// The read guard of the CPU buffer.
    pub(crate) fn cpu_read(
        &self,
        op: &'static str,
    ) -> Result<std::sync::RwLockReadGuard<'_, CpuData>> {
        self.require_cpu(op)?;
        self.require_not_lent(op)?;
        self.buf.read().ok_or_else(|| {
            self.require_cpu(op).err().unwrap_or(Error::Device {
                op,
                reason: "buffer is not in host memory".into(),
            })
        })
    }

    /// The write guard of the CPU buffer.
    pub(crate) fn cpu_write(
        &self,
        op: &'static str,
    ) -> Result<std::sync::RwLockWriteGuard<'_, CpuData>> {
        self.require_cpu(op)?;
        self.require_not_lent(op)?;
        self.buf.write().ok_or_else(|| {
            self.require_cpu(op).err().unwrap_or(Error::Device {
                op,
                reason: "buffer is not in host memory".into(),
            })
        })
    }

    /// Fails with a read-only error unless writes are allowed.
    pub(crate) fn require_writeable(&self, op: &'static str) -> Result<()> {
        if self.writeable {
            Ok(())
        } else {
            Err(Error::ReadOnly {
                op,
                shape: self.shape().to_vec(),
            })
        }
    }

    /// The raw operand of this array for a kernel, with `strides` (usually
    /// the array's own, or broadcast ones).
    pub(crate) fn raw<'s>(&self, locks: &mut LockSet<'_>, strides: &'s [isize]) -> RawOperand<'s> {
        RawOperand {
            ptr: locks.ptr(self.buf.id()),
            dtype: self.dtype(),
            offset: self.layout.offset(),
            strides,
        }
    }

    /// Records a copy of `self` into `result`.
    pub(crate) fn record_copy(
        &self,
        op: &'static str,
        reason: &str,
        implicit: bool,
        result: &Array,
    ) {
        let bytes = result.size() * result.itemsize();
        ledger::record(EventKind::Copy { implicit }, bytes, || CopyEvent {
            op,
            reason: reason.to_string(),
            kind: EventKind::Copy { implicit },
            bytes,
            source: LayoutRecord::of(&self.layout, self.itemsize()),
            result: LayoutRecord::of(&result.layout, result.itemsize()),
            src_device: self.device().to_string(),
            dst_device: result.device().to_string(),
        });
    }

    // ----- metadata -------------------------------------------------------

    /// The runtime dtype.
    pub fn dtype(&self) -> DType {
        self.buf.dtype()
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        self.layout.shape()
    }

    /// The strides in bytes, as NumPy's `strides`.
    ///
    /// ```
    /// let a = strider::Array::zeros(&[3, 4], strider::DType::I64).unwrap();
    /// assert_eq!(a.strides(), vec![32, 8]);
    /// ```
    pub fn strides(&self) -> Vec<isize> {
        let item = self.itemsize() as isize;
        self.layout.strides().iter().map(|&s| s * item).collect()
    }

    /// The strides in elements.
    ///
    /// ```
    /// let a = strider::Array::zeros(&[3, 4], strider::DType::I64).unwrap();
    /// assert_eq!(a.element_strides(), &[4, 1]);
    /// ```
    pub fn element_strides(&self) -> &[isize] {
        self.layout.strides()
    }

    /// Byte offset of element `[0, ..., 0]` from the start of the buffer.
    ///
    /// ```
    /// use strider::{s, Array};
    /// let a = Array::arange_i64(0, 6, 1).unwrap().reshape(&[2, 3]).unwrap();
    /// assert_eq!(a.slice(s![..;-1, ..;-1]).unwrap().offset(), 40);
    /// ```
    pub fn offset(&self) -> usize {
        self.layout.offset() * self.itemsize()
    }

    /// Offset of element `[0, ..., 0]` in elements.
    pub fn element_offset(&self) -> usize {
        self.layout.offset()
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.layout.ndim()
    }

    /// Number of elements.
    pub fn size(&self) -> usize {
        self.layout.size()
    }

    /// Bytes per element.
    pub fn itemsize(&self) -> usize {
        self.dtype().itemsize()
    }

    /// Bytes of the elements of this view (`size * itemsize`), as NumPy's
    /// `nbytes`.
    pub fn nbytes(&self) -> usize {
        self.size() * self.itemsize()
    }

    /// NumPy's flags.
    pub fn flags(&self) -> Flags {
        Flags {
            c_contiguous: self.layout.is_c_contiguous(),
            f_contiguous: self.layout.is_f_contiguous(),
            writeable: self.writeable,
            owndata: self.owndata,
        }
    }

    /// True when the array is C-contiguous.
    pub fn is_c_contiguous(&self) -> bool {
        self.layout.is_c_contiguous()
    }

    /// True when the array is F-contiguous.
    pub fn is_f_contiguous(&self) -> bool {
        self.layout.is_f_contiguous()
    }

    /// True when writes are allowed.
    pub fn is_writeable(&self) -> bool {
        self.writeable
    }

    /// The id of the buffer; arrays with equal ids are views of one allocation.
    ///
    /// ```
    /// let a = strider::Array::zeros(&[4], strider::DType::U8).unwrap();
    /// assert_eq!(a.buffer_id(), a.t().buffer_id());
    /// assert_ne!(a.buffer_id(), a.copy().unwrap().buffer_id());
    /// ```
    pub fn buffer_id(&self) -> u64 {
        self.buf.id()
    }

    /// Length of the buffer in elements.
    pub fn buffer_len(&self) -> usize {
        self.buf.len()
    }

    /// True when this array is a view of memory another array made.
    pub fn is_view(&self) -> bool {
        !self.owndata
    }

    /// The device the buffer lives on.
    pub fn device(&self) -> Device {
        Device::of_buffer(&self.buf)
    }

    // ----- creation -------------------------------------------------------

    /// An array of zeros.
    ///
    /// # Errors
    /// A shape whose size overflows is an error.
    ///
    /// ```
    /// let a = strider::Array::zeros(&[2, 3], strider::DType::F64).unwrap();
    /// assert_eq!(a.to_vec::<f64>().unwrap(), vec![0.0; 6]);
    /// ```
    pub fn zeros(shape: &[usize], dtype: DType) -> Result<Array> {
        Array::alloc_order("zeros", shape, dtype, Order::C)
    }

    /// An array of zeros in C or F order.
    ///
    /// # Errors
    /// A shape whose size overflows is an error.
    ///
    /// ```
    /// use strider::{Array, DType, Order};
    /// let a = Array::zeros_order(&[2, 3], DType::I32, Order::F).unwrap();
    /// assert_eq!(a.strides(), vec![4, 8]);
    /// ```
    pub fn zeros_order(shape: &[usize], dtype: DType, order: Order) -> Result<Array> {
        Array::alloc_order("zeros", shape, dtype, order)
    }

    /// An "uninitialised" array, as NumPy's `empty`. strider never exposes
    /// uninitialised memory, so the elements are zero: the allocation is
    /// requested zeroed, which the OS provides from fresh pages at no extra
    /// cost for large arrays.
    ///
    /// # Errors
    /// A shape whose size overflows is an error.
    ///
    /// ```
    /// let a = strider::Array::empty(&[3], strider::DType::F32).unwrap();
    /// assert_eq!(a.to_vec::<f32>().unwrap(), vec![0.0; 3]);
    /// ```
    pub fn empty(shape: &[usize], dtype: DType) -> Result<Array> {
        Array::alloc_order("empty", shape, dtype, Order::C)
    }

    /// An array of ones.
    ///
    /// # Errors
    /// A shape whose size overflows is an error.
    ///
    /// ```
    /// let a = strider::Array::ones(&[2], strider::DType::U8).unwrap();
    /// assert_eq!(a.to_vec::<u8>().unwrap(), vec![1, 1]);
    /// ```
    pub fn ones(shape: &[usize], dtype: DType) -> Result<Array> {
        Array::full(shape, 1, dtype)
    }

    /// An array filled with `value` converted to `dtype`.
    ///
    /// # Errors
    /// A shape whose size overflows is an error, and so is an integer
    /// `value` that an integer `dtype` cannot hold (a dtype error, as NumPy's
    /// `OverflowError`: `-1` does not fit `uint8`).
    ///
    /// ```
    /// let a = strider::Array::full(&[2, 2], 7, strider::DType::I32).unwrap();
    /// assert_eq!(a.to_vec::<i32>().unwrap(), vec![7; 4]);
    /// ```
    pub fn full(shape: &[usize], value: impl Into<Scalar>, dtype: DType) -> Result<Array> {
        Array::full_order(shape, value, dtype, Order::C)
    }

    /// An array filled with `value` in C or F order.
    ///
    /// # Errors
    /// As [`Array::full`]: a size overflow, or an integer `value` that an
    /// integer `dtype` cannot hold.
    ///
    /// ```
    /// use strider::{Array, DType, Order};
    /// let a = Array::full_order(&[2, 3], 1.5, DType::F32, Order::F).unwrap();
    /// assert!(a.flags().f_contiguous);
    /// ```
    pub fn full_order(
        shape: &[usize],
        value: impl Into<Scalar>,
        dtype: DType,
        order: Order,
    ) -> Result<Array> {
        let value = value.into();
        value.check_fits("full", dtype)?;
        let size = checked_size("full", shape)?;
        let layout = Layout::contiguous("full", shape, order)?;
        let data = crate::dispatch_dtype!(dtype, T => {
            let v = value.to::<T>();
            CpuData::from_vec(crate::storage::pool::vec_from_fn("full", size, |_| v)?)
        });
        Ok(Array::from_parts(data, layout))
    }

    /// A 1-D array from a vector, without copying it. `shape` must have
    /// `data.len()` elements; the data is read in C order.
    ///
    /// # Errors
    /// A shape whose size differs from `data.len()` is a reshape error.
    ///
    /// ```
    /// let a = strider::Array::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
    /// assert_eq!(a.get::<f32>(&[1, 0]).unwrap(), 3.0);
    /// ```
    pub fn from_vec<T: Element>(data: Vec<T>, shape: &[usize]) -> Result<Array> {
        Array::from_vec_order(data, shape, Order::C)
    }

    /// An array from a vector whose elements are in C or F order.
    ///
    /// # Errors
    /// A shape whose size differs from `data.len()` is a reshape error.
    ///
    /// ```
    /// use strider::{Array, Order};
    /// let a = Array::from_vec_order(vec![1i64, 2, 3, 4, 5, 6], &[2, 3], Order::F).unwrap();
    /// assert_eq!(a.to_vec::<i64>().unwrap(), vec![1, 3, 5, 2, 4, 6]);
    /// assert_eq!(a.strides(), vec![8, 16]);
    /// ```
    pub fn from_vec_order<T: Element>(
        data: Vec<T>,
        shape: &[usize],
        order: Order,
    ) -> Result<Array> {
        let size = checked_size("from_vec", shape)?;
        if size != data.len() {
            return Err(Error::Reshape {
                op: "from_vec",
                from: vec![data.len()],
                to: shape.iter().map(|&d| d as isize).collect(),
                reason: format!(
                    "{} elements do not fill shape {}",
                    data.len(),
                    fmt_shape(shape)
                ),
            });
        }
        let layout = Layout::contiguous("from_vec", shape, order)?;
        Ok(Array::from_parts(CpuData::from_vec(data), layout))
    }

    /// An array copied from a slice (C order).
    ///
    /// # Errors
    /// A shape whose size differs from `data.len()` is a reshape error.
    ///
    /// ```
    /// let a = strider::Array::from_slice(&[true, false], &[2]).unwrap();
    /// assert_eq!(a.dtype(), strider::DType::Bool);
    /// ```
    pub fn from_slice<T: Element>(data: &[T], shape: &[usize]) -> Result<Array> {
        Array::from_vec(data.to_vec(), shape)
    }

    /// A 0-d array holding one value.
    ///
    /// ```
    /// let a = strider::Array::scalar(3.5f64);
    /// assert_eq!(a.ndim(), 0);
    /// assert_eq!(a.item::<f64>().unwrap(), 3.5);
    /// ```
    pub fn scalar<T: Element>(value: T) -> Array {
        Array::from_parts(CpuData::from_vec(vec![value]), Layout::scalar(0))
    }

    /// Evenly spaced int64 values `start, start+step, ...` below `stop`.
    ///
    /// # Errors
    /// A step of 0 is a value error.
    ///
    /// ```
    /// let a = strider::Array::arange_i64(10, 0, -3).unwrap();
    /// assert_eq!(a.to_vec::<i64>().unwrap(), vec![10, 7, 4, 1]);
    /// ```
    pub fn arange_i64(start: i64, stop: i64, step: i64) -> Result<Array> {
        if step == 0 {
            return Err(Error::Value {
                op: "arange",
                reason: "step must not be zero".into(),
            });
        }
        let span = stop as i128 - start as i128;
        let n = if (span > 0) == (step > 0) && span != 0 {
            ((span.abs() + step.unsigned_abs() as i128 - 1) / step.unsigned_abs() as i128) as usize
        } else {
            0
        };
        checked_size("arange", &[n])?;
        let data: Vec<i64> = crate::storage::pool::vec_from_fn("arange", n, |i| {
            start.wrapping_add((i as i64).wrapping_mul(step))
        })?;
        Array::from_vec(data, &[n])
    }

    /// Evenly spaced values `start + i*step` below `stop`, in `dtype`
    /// (NumPy's `arange(start, stop, step, dtype=...)`). Integer dtypes
    /// compute in int64 when every argument is a whole number, floats in f64.
    ///
    /// # Errors
    /// A step of 0 or a non-finite argument is a value error.
    ///
    /// ```
    /// use strider::{Array, DType};
    /// let a = Array::arange(0.0, 1.0, 0.25, DType::F32).unwrap();
    /// assert_eq!(a.to_vec::<f32>().unwrap(), vec![0.0, 0.25, 0.5, 0.75]);
    /// ```
    pub fn arange(start: f64, stop: f64, step: f64, dtype: DType) -> Result<Array> {
        if step == 0.0 || !start.is_finite() || !stop.is_finite() || !step.is_finite() {
            return Err(Error::Value {
                op: "arange",
                reason: format!(
                    "arange({start}, {stop}, {step}) needs finite bounds and a nonzero step"
                ),
            });
        }
        let n = ((stop - start) / step).ceil().max(0.0);
        if n > usize::MAX as f64 / 16.0 {
            return Err(Error::overflow("arange", &[usize::MAX]));
        }
        let n = n as usize;
        let data = crate::dispatch_dtype!(dtype, T => {
            let v: Vec<T> = crate::storage::pool::vec_from_fn("arange", n, |i| {
                <T as Element>::from_f64(start + i as f64 * step)
            })?;
            CpuData::from_vec(v)
        });
        Ok(Array::from_parts(
            data,
            Layout::contiguous("arange", &[n], Order::C)?,
        ))
    }

    /// `num` evenly spaced values from `start` to `stop` inclusive, as
    /// NumPy's `linspace` (computed in f64, then cast to `dtype`).
    ///
    /// # Errors
    /// A shape whose size overflows is an error.
    ///
    /// ```
    /// use strider::{Array, DType};
    /// let a = Array::linspace(0.0, 1.0, 5, DType::F64).unwrap();
    /// assert_eq!(a.to_vec::<f64>().unwrap(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    /// ```
    pub fn linspace(start: f64, stop: f64, num: usize, dtype: DType) -> Result<Array> {
        checked_size("linspace", &[num])?;
        let step = if num > 1 {
            (stop - start) / (num - 1) as f64
        } else {
            0.0
        };
        let data = crate::dispatch_dtype!(dtype, T => {
            let v: Vec<T> = crate::storage::pool::vec_from_fn("linspace", num, |i| {
                let x = if num > 1 && i == num - 1 { stop } else { start + i as f64 * step };
                <T as Element>::from_f64(x)
            })?;
            CpuData::from_vec(v)
        });
        Ok(Array::from_parts(
            data,
            Layout::contiguous("linspace", &[num], Order::C)?,
        ))
    }

    /// A 2-D array with ones on the `k`-th diagonal and zeros elsewhere.
    ///
    /// # Errors
    /// A shape whose size overflows is an error.
    ///
    /// ```
    /// use strider::{Array, DType};
    /// let a = Array::eye(2, 3, 1, DType::I32).unwrap();
    /// assert_eq!(a.to_vec::<i32>().unwrap(), vec![0, 1, 0, 0, 0, 1]);
    /// ```
    pub fn eye(n: usize, m: usize, k: isize, dtype: DType) -> Result<Array> {
        let a = Array::zeros(&[n, m], dtype)?;
        let d = a.diagonal(k, 0, 1)?;
        d.fill(1)?;
        Ok(a)
    }

    // ----- element access -------------------------------------------------

    pub(crate) fn check_dtype<T: Element>(&self, op: &'static str) -> Result<()> {
        if T::DTYPE == self.dtype() {
            Ok(())
        } else {
            Err(Error::DType {
                op,
                reason: format!(
                    "the array has dtype {} but {} was requested; use astype() to convert",
                    self.dtype(),
                    T::DTYPE
                ),
            })
        }
    }

    fn element_at(&self, op: &'static str, index: &[usize]) -> Result<usize> {
        if index.len() != self.ndim() || index.iter().zip(self.shape()).any(|(&i, &d)| i >= d) {
            return Err(Error::Index {
                op,
                shape: self.shape().to_vec(),
                reason: format!("index {} is not inside the array", fmt_shape(index)),
            });
        }
        Ok(self.layout.element_index(index))
    }

    /// The elements in logical C order as a vector of `T`.
    ///
    /// # Errors
    /// `T` must be the array's dtype; the array must be on the CPU.
    ///
    /// ```
    /// use strider::Array;
    /// let a = Array::arange_i64(0, 6, 1).unwrap().reshape(&[2, 3]).unwrap();
    /// assert_eq!(a.t().to_vec::<i64>().unwrap(), vec![0, 3, 1, 4, 2, 5]);
    /// ```
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        self.check_dtype::<T>("to_vec")?;
        let guard = self.cpu_read("to_vec")?;
        let data = guard.as_slice::<T>().unwrap_or(&[]);
        let mut out = Vec::with_capacity(self.size());
        if self.size() == 0 {
            return Ok(out);
        }
        if self.layout.is_c_contiguous() {
            let start = self.layout.offset();
            out.extend_from_slice(&data[start..start + self.size()]);
            return Ok(out);
        }
        let base = self.layout.offset() as isize;
        crate::layout::for_each_offset(self.shape(), self.layout.strides(), |o| {
            out.push(data[(base + o) as usize]);
        });
        Ok(out)
    }

    /// The only element of a one-element array.
    ///
    /// # Errors
    /// The array must have exactly one element and dtype `T`.
    ///
    /// ```
    /// let a = strider::Array::from_vec(vec![5u32], &[1, 1]).unwrap();
    /// assert_eq!(a.item::<u32>().unwrap(), 5);
    /// ```
    pub fn item<T: Element>(&self) -> Result<T> {
        if self.size() != 1 {
            return Err(Error::Value {
                op: "item",
                reason: format!(
                    "can only convert an array of size 1, not of shape {}",
                    fmt_shape(self.shape())
                ),
            });
        }
        Ok(self.to_vec::<T>()?[0])
    }

    /// The only element as a dynamically typed [`Scalar`].
    ///
    /// # Errors
    /// The array must have exactly one element and be on the CPU.
    ///
    /// ```
    /// let a = strider::Array::scalar(2.5f32);
    /// assert_eq!(a.item_scalar().unwrap(), strider::Scalar::Float(2.5));
    /// ```
    pub fn item_scalar(&self) -> Result<Scalar> {
        crate::dispatch_dtype!(self.dtype(), T => Ok(Scalar::of_element(self.item::<T>()?)))
    }

    /// The element at `index`.
    ///
    /// # Errors
    /// The index must be inside the shape and `T` the dtype.
    ///
    /// ```
    /// let a = strider::Array::arange_i64(0, 6, 1).unwrap().reshape(&[2, 3]).unwrap();
    /// assert_eq!(a.get::<i64>(&[1, 2]).unwrap(), 5);
    /// assert!(a.get::<i64>(&[2, 0]).is_err());
    /// ```
    pub fn get<T: Element>(&self, index: &[usize]) -> Result<T> {
        self.check_dtype::<T>("get")?;
        let at = self.element_at("get", index)?;
        let guard = self.cpu_read("get")?;
        Ok(guard.as_slice::<T>().map(|d| d[at]).unwrap_or(T::ZERO))
    }

    /// Writes `value` at `index`; the write shows in every array sharing the
    /// buffer.
    ///
    /// # Errors
    /// The index must be inside the shape, `T` the dtype, and the array
    /// writeable.
    ///
    /// ```
    /// let a = strider::Array::zeros(&[2, 2], strider::DType::F32).unwrap();
    /// a.t().set(&[0, 1], 9.0f32).unwrap();
    /// assert_eq!(a.get::<f32>(&[1, 0]).unwrap(), 9.0);
    /// ```
    pub fn set<T: Element>(&self, index: &[usize], value: T) -> Result<()> {
        self.check_dtype::<T>("set")?;
        self.require_writeable("set")?;
        let at = self.element_at("set", index)?;
        self.require_cpu("set")?;
        let _turn = self.write_turn("set", [])?;
        let mut guard = self.cpu_write("set")?;
        if let Some(d) = guard.as_mut_slice::<T>() {
            d[at] = value;
        }
        Ok(())
    }

    /// The buffer's elements as a `Vec`, moved out without a copy, when this
    /// handle is the buffer's only owner and it is a CPU buffer of `T`;
    /// otherwise the array back, untouched.
    #[cfg(feature = "ndarray")]
    pub(crate) fn take_buffer<T: Element>(self) -> std::result::Result<Vec<T>, Array> {
        let Array {
            buf,
            layout,
            writeable,
            owndata,
        } = self;
        let back = |buf| Array {
            buf,
            layout,
            writeable,
            owndata,
        };
        match Arc::try_unwrap(buf) {
            Ok(mut b) => match b.take_cpu_vec::<T>() {
                Some(v) => Ok(v),
                None => Err(back(Arc::new(b))),
            },
            Err(buf) => Err(back(buf)),
        }
    }

    /// Runs a CPU kernel that writes into `self` (with `dst_strides`) and
    /// reads `srcs`, holding all the locks.
    pub(crate) fn with_locks<R>(
        &self,
        op: &'static str,
        srcs: &[&Array],
        f: impl FnOnce(&mut LockSet<'_>) -> R,
    ) -> Result<R> {
        self.require_cpu(op)?;
        self.require_not_lent(op)?;
        for s in srcs {
            s.require_cpu(op)?;
            s.require_not_lent(op)?;
        }
        // Up to four sources are listed on the stack (every kernel's case).
        let mut few: [&Buffer; 4] = [&self.buf; 4];
        let many: Vec<&Buffer>;
        let bufs: &[&Buffer] = if srcs.len() <= few.len() {
            for (b, s) in few.iter_mut().zip(srcs) {
                *b = &s.buf;
            }
            &few[..srcs.len()]
        } else {
            many = srcs.iter().map(|s| &*s.buf).collect();
            &many
        };
        let mut locks = LockSet::new(Some(&self.buf), bufs).ok_or_else(|| Error::Device {
            op,
            reason: "an operand is not in host memory".into(),
        })?;
        Ok(f(&mut locks))
    }

    /// Copies `src` (broadcast to `self`'s shape) into `self`, casting, with
    /// no overlap handling: the caller has ruled overlap out.
    pub(crate) fn copy_from_unchecked(&self, op: &'static str, src: &Array) -> Result<()> {
        // A one-element host array (a scalar) may feed a device kernel.
        if !(src.device().is_cpu() && src.ndim() == 0) {
            crate::Device::common(op, &[self.device(), src.device()])?;
        }
        #[cfg(feature = "gpu")]
        if self.gpu_buffer().is_some() {
            return crate::ops::gpu::copy(self, src);
        }
        let src_strides = src.layout.broadcast_strides(self.shape());
        let dst_strides = self.layout.strides().to_vec();
        self.with_locks(op, &[src], |locks| {
            let d = self.raw(locks, &dst_strides);
            let s = src.raw(locks, &src_strides);
            // SAFETY: locks held; layouts from the layout module; `self` is
            // writeable (checked by callers) and does not overlap `src`
            // except element for element (checked by callers).
            unsafe { cpu::kernels::copy_cast(self.shape(), d, s) }
        })
    }
}

impl std::fmt::Debug for Array {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Array(dtype={}, shape={}, strides={}, offset={}, buffer={})",
            self.dtype(),
            fmt_shape(self.shape()),
            fmt_shape(&self.strides()),
            self.offset(),
            self.buffer_id()
        )
    }
}
