//! Views: methods that return a new layout over the same buffer. No data is
//! copied by anything here, except the documented fallbacks of `reshape` and
//! `ravel`, which copy (and record it) when NumPy would.

use super::Array;
use crate::error::{Error, Result};
use crate::layout::reshape::resolve_shape;
use crate::layout::{Layout, Order, SliceItem};

/// Builds a list of [`SliceItem`]s for [`Array::slice`], with Python's
/// slicing syntax spelled in Rust:
///
/// | Python | `s![...]` |
/// | --- | --- |
/// | `x[1]` | `s![1]` |
/// | `x[1:3]` | `s![1..3]` |
/// | `x[::2]` | `s![..;2]` |
/// | `x[::-1]` | `s![..;-1]` |
/// | `x[1:, :3]` | `s![1.., ..3]` |
/// | `x[-1]` | `s![-1]` |
/// | `x[None]` | `s![NewAxis]` or `s![None]` |
/// | `x[..., 0]` | `s![Ellipsis, 0]` |
///
/// ```
/// use strider::{s, Array, Ellipsis, NewAxis};
/// let a = Array::arange_i64(0, 12, 1).unwrap().reshape(&[3, 4]).unwrap();
/// let v = a.slice(s![.., ..;2]).unwrap();
/// assert_eq!(v.strides(), vec![32, 16]);
/// assert_eq!(v.to_vec::<i64>().unwrap(), vec![0, 2, 4, 6, 8, 10]);
/// let r = a.slice(s![..;-1, 1..3]).unwrap();
/// assert_eq!(r.to_vec::<i64>().unwrap(), vec![9, 10, 5, 6, 1, 2]);
/// assert_eq!(a.slice(s![NewAxis, Ellipsis, -1]).unwrap().shape(), &[1, 3]);
/// ```
#[macro_export]
macro_rules! s {
    (@acc [$($acc:expr,)*]) => { [$($acc,)*] };
    (@acc [$($acc:expr,)*] $e:expr ; $step:expr) => {
        $crate::s!(@acc [$($acc,)* $crate::IntoSliceItem::stepped($e, $step as isize),])
    };
    (@acc [$($acc:expr,)*] $e:expr ; $step:expr, $($rest:tt)*) => {
        $crate::s!(@acc [$($acc,)* $crate::IntoSliceItem::stepped($e, $step as isize),] $($rest)*)
    };
    (@acc [$($acc:expr,)*] $e:expr) => {
        $crate::s!(@acc [$($acc,)* $crate::IntoSliceItem::into_item($e),])
    };
    (@acc [$($acc:expr,)*] $e:expr, $($rest:tt)*) => {
        $crate::s!(@acc [$($acc,)* $crate::IntoSliceItem::into_item($e),] $($rest)*)
    };
    ($($t:tt)*) => { $crate::s!(@acc [] $($t)*) };
}

/// The newaxis marker for [`s!`]: adds a length-1 axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewAxis;

/// The ellipsis marker for [`s!`]: stands for as many full slices as needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ellipsis;

/// Things that can be one item of a basic index (used by [`s!`]).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an item of s![...]",
    note = "an item is an integer (any Rust integer type), a range such as `1..`, `..;-1` or `2..8;2`, `..`, `None` or `NewAxis`, or `Ellipsis`"
)]
pub trait IntoSliceItem {
    /// The item itself.
    fn into_item(self) -> SliceItem;
    /// The item with a step (only meaningful for ranges).
    fn stepped(self, step: isize) -> SliceItem
    where
        Self: Sized,
    {
        match self.into_item() {
            SliceItem::Slice { start, stop, .. } => SliceItem::Slice {
                start,
                stop,
                step: Some(step),
            },
            other => other,
        }
    }
}

impl IntoSliceItem for SliceItem {
    fn into_item(self) -> SliceItem {
        self
    }
}
impl IntoSliceItem for NewAxis {
    fn into_item(self) -> SliceItem {
        SliceItem::NewAxis
    }
}
/// `None` adds a length-1 axis, as NumPy's `x[None]`.
///
/// ```
/// use strider::{s, Array};
/// let a = Array::arange_i64(0, 3, 1)?;
/// assert_eq!(a.slice(s![.., None])?.shape(), &[3, 1]);
/// assert_eq!(a.slice(s![2u8..])?.shape(), &[1]);
/// # Ok::<(), strider::Error>(())
/// ```
impl IntoSliceItem for Option<NewAxis> {
    fn into_item(self) -> SliceItem {
        SliceItem::NewAxis
    }
}

impl IntoSliceItem for Ellipsis {
    fn into_item(self) -> SliceItem {
        SliceItem::Ellipsis
    }
}
impl IntoSliceItem for std::ops::RangeFull {
    fn into_item(self) -> SliceItem {
        SliceItem::Slice {
            start: None,
            stop: None,
            step: None,
        }
    }
}

macro_rules! int_slice_items {
    ($($t:ty),*) => {$(
        impl IntoSliceItem for $t {
            fn into_item(self) -> SliceItem {
                SliceItem::Index(self as isize)
            }
        }
        impl IntoSliceItem for std::ops::Range<$t> {
            fn into_item(self) -> SliceItem {
                SliceItem::Slice { start: Some(self.start as isize), stop: Some(self.end as isize), step: None }
            }
        }
        impl IntoSliceItem for std::ops::RangeFrom<$t> {
            fn into_item(self) -> SliceItem {
                SliceItem::Slice { start: Some(self.start as isize), stop: None, step: None }
            }
        }
        impl IntoSliceItem for std::ops::RangeTo<$t> {
            fn into_item(self) -> SliceItem {
                SliceItem::Slice { start: None, stop: Some(self.end as isize), step: None }
            }
        }
        impl IntoSliceItem for std::ops::RangeInclusive<$t> {
            fn into_item(self) -> SliceItem {
                let stop = *self.end() as isize + 1;
                SliceItem::Slice { start: Some(*self.start() as isize), stop: if stop == 0 { None } else { Some(stop) }, step: None }
            }
        }
    )*};
}
int_slice_items!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl Array {
    /// Basic indexing: integers, `start..stop;step` ranges (negative steps
    /// included), [`NewAxis`] and [`Ellipsis`]. Always a view; no data is
    /// copied.
    ///
    /// # Errors
    /// An integer out of range or too many indices is an index error; a
    /// step of 0 is a value error.
    ///
    /// ```
    /// use strider::{s, Array};
    /// let a = Array::arange_i64(0, 10, 1).unwrap();
    /// assert_eq!(a.slice(s![..;-3]).unwrap().to_vec::<i64>().unwrap(), vec![9, 6, 3, 0]);
    /// assert_eq!(a.slice(s![-1]).unwrap().item::<i64>().unwrap(), 9);
    /// ```
    pub fn slice(&self, items: impl AsRef<[SliceItem]>) -> Result<Array> {
        Ok(self.view_with(self.layout.slice("slice", items.as_ref())?))
    }

    /// The transpose: axes reversed. No data is copied.
    ///
    /// ```
    /// let a = strider::Array::zeros(&[3, 4], strider::DType::I64).unwrap();
    /// assert_eq!(a.t().shape(), &[4, 3]);
    /// assert_eq!(a.t().strides(), vec![8, 32]);
    /// ```
    pub fn t(&self) -> Array {
        let ndim = self.ndim();
        let perm: Vec<usize> = (0..ndim).rev().collect();
        self.view_with(self.layout.permute_axes(&perm))
    }

    /// Permutes the axes (`None` reverses them). No data is copied.
    ///
    /// # Errors
    /// `axes` must be a permutation of `0..ndim` (negative axes count from
    /// the end).
    ///
    /// ```
    /// let a = strider::Array::zeros(&[2, 3, 4], strider::DType::U8).unwrap();
    /// assert_eq!(a.transpose(Some(&[1, 0, 2])).unwrap().shape(), &[3, 2, 4]);
    /// ```
    pub fn transpose(&self, axes: Option<&[isize]>) -> Result<Array> {
        Ok(self.view_with(self.layout.transpose("transpose", axes)?))
    }

    /// Permutes the axes, as PyTorch's `permute`. No data is copied.
    ///
    /// # Errors
    /// `axes` must be a permutation of `0..ndim`.
    ///
    /// ```
    /// let a = strider::Array::zeros(&[2, 3, 4], strider::DType::U8).unwrap();
    /// assert_eq!(a.permute(&[2, 0, 1]).unwrap().shape(), &[4, 2, 3]);
    /// ```
    pub fn permute(&self, axes: &[isize]) -> Result<Array> {
        Ok(self.view_with(self.layout.transpose("permute", Some(axes))?))
    }

    /// Swaps two axes. No data is copied.
    ///
    /// # Errors
    /// Both axes must be in range.
    ///
    /// ```
    /// let a = strider::Array::zeros(&[2, 3, 4], strider::DType::U8).unwrap();
    /// assert_eq!(a.swapaxes(0, -1).unwrap().shape(), &[4, 3, 2]);
    /// ```
    pub fn swapaxes(&self, axis1: isize, axis2: isize) -> Result<Array> {
        Ok(self.view_with(self.layout.swapaxes("swapaxes", axis1, axis2)?))
    }

    /// Reverses the order of elements along `axes` (all axes when `None`)
    /// with negative strides. No data is copied.
    ///
    /// # Errors
    /// Each axis must be in range and appear once.
    ///
    /// ```
    /// let a = strider::Array::arange_i64(0, 4, 1).unwrap();
    /// let f = a.flip(None).unwrap();
    /// assert_eq!(f.to_vec::<i64>().unwrap(), vec![3, 2, 1, 0]);
    /// assert_eq!(f.strides(), vec![-8]);
    /// ```
    pub fn flip(&self, axes: Option<&[isize]>) -> Result<Array> {
        Ok(self.view_with(self.layout.flip("flip", axes)?))
    }

    /// Reverses every axis (NumPy's `np.flip(x)`), the plain form of
    /// `flip(None)`. No data is copied.
    ///
    /// ```
    /// let a = strider::Array::arange_i64(0, 4, 1)?.reshape(&[2, 2])?;
    /// assert_eq!(a.flip_all().to_vec::<i64>()?, [3, 2, 1, 0]);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn flip_all(&self) -> Array {
        // Reversing every axis cannot fail.
        self.flip(None).unwrap_or_else(|_| self.clone())
    }

    /// Inserts length-1 axes at `axes` (positions in the result). No data is
    /// copied.
    ///
    /// # Errors
    /// Each axis must be in range of the result and appear once.
    ///
    /// ```
    /// let a = strider::Array::zeros(&[3], strider::DType::F32).unwrap();
    /// assert_eq!(a.expand_dims(&[0, -1]).unwrap().shape(), &[1, 3, 1]);
    /// ```
    pub fn expand_dims(&self, axes: &[isize]) -> Result<Array> {
        Ok(self.view_with(self.layout.expand_dims("expand_dims", axes)?))
    }

    /// Removes length-1 axes (all of them when `axes` is `None`). No data is
    /// copied.
    ///
    /// # Errors
    /// Squeezing an axis whose length is not 1 is a shape error.
    ///
    /// ```
    /// let a = strider::Array::zeros(&[1, 3, 1], strider::DType::F32).unwrap();
    /// assert_eq!(a.squeeze(None).unwrap().shape(), &[3]);
    /// assert!(a.squeeze(Some(&[1])).is_err());
    /// ```
    pub fn squeeze(&self, axes: Option<&[isize]>) -> Result<Array> {
        Ok(self.view_with(self.layout.squeeze("squeeze", axes)?))
    }

    /// Removes every length-1 axis (NumPy's `x.squeeze()`), the plain form
    /// of `squeeze(None)`. No data is copied.
    ///
    /// ```
    /// let a = strider::Array::zeros(&[1, 3, 1], strider::DType::F32)?;
    /// assert_eq!(a.squeeze_all().shape(), &[3]);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn squeeze_all(&self) -> Array {
        // Dropping every length-1 axis cannot fail.
        self.squeeze(None).unwrap_or_else(|_| self.clone())
    }

    /// The `k`-th diagonal over `axis1` and `axis2`, as the last axis of the
    /// result. A view, writeable like its base (NumPy returns a read-only
    /// view here; strider allows writes, which is what `fill_diagonal`-style
    /// code wants).
    ///
    /// # Errors
    /// The axes must be distinct and in range.
    ///
    /// ```
    /// let a = strider::Array::arange_i64(0, 9, 1).unwrap().reshape(&[3, 3]).unwrap();
    /// assert_eq!(a.diagonal(0, 0, 1).unwrap().to_vec::<i64>().unwrap(), vec![0, 4, 8]);
    /// assert_eq!(a.diagonal(1, 0, 1).unwrap().to_vec::<i64>().unwrap(), vec![1, 5]);
    /// ```
    pub fn diagonal(&self, k: isize, axis1: isize, axis2: isize) -> Result<Array> {
        Ok(self.view_with(self.layout.diagonal("diagonal", k, axis1, axis2)?))
    }

    /// Broadcasts to `shape` with zero strides. The result is a read-only
    /// view; no data is copied.
    ///
    /// # Errors
    /// Incompatible shapes are a broadcast error.
    ///
    /// ```
    /// let row = strider::Array::arange_i64(0, 3, 1).unwrap();
    /// let b = row.broadcast_to(&[2, 3]).unwrap();
    /// assert_eq!(b.strides(), vec![0, 8]);
    /// assert!(!b.flags().writeable);
    /// ```
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Array> {
        let mut v = self.view_with(self.layout.broadcast_to("broadcast_to", shape)?);
        v.writeable = false;
        Ok(v)
    }

    /// Gives the array a new shape (one entry may be `-1`), in C order. A
    /// view when NumPy's rules allow one; otherwise the data is copied and
    /// the copy is recorded as implicit (and refused inside
    /// [`no_copies`](crate::no_copies)).
    ///
    /// # Errors
    /// A size mismatch or more than one `-1` is a reshape error.
    ///
    /// ```
    /// let a = strider::Array::arange_i64(0, 6, 1).unwrap();
    /// let b = a.reshape(&[2, -1]).unwrap();
    /// assert_eq!(b.shape(), &[2, 3]);
    /// assert_eq!(b.buffer_id(), a.buffer_id()); // a view
    /// ```
    pub fn reshape(&self, shape: &[isize]) -> Result<Array> {
        self.reshape_with(shape, Order::C, None)
    }

    /// Reshape in C or F order; a view when possible, else a recorded copy.
    ///
    /// # Errors
    /// A size mismatch or more than one `-1` is a reshape error.
    ///
    /// ```
    /// use strider::{Array, Order};
    /// let a = Array::arange_i64(0, 6, 1).unwrap();
    /// let b = a.reshape_order(&[2, 3], Order::F).unwrap();
    /// assert_eq!(b.to_vec::<i64>().unwrap(), vec![0, 2, 4, 1, 3, 5]);
    /// ```
    pub fn reshape_order(&self, shape: &[isize], order: Order) -> Result<Array> {
        self.reshape_with(shape, order, None)
    }

    /// Reshape that never copies: fails when the result cannot be a view.
    ///
    /// # Errors
    /// A reshape error when a copy would be needed or the size differs.
    ///
    /// ```
    /// let a = strider::Array::arange_i64(0, 6, 1).unwrap().reshape(&[2, 3]).unwrap();
    /// assert!(a.reshape_view(&[3, 2]).is_ok());
    /// assert!(a.t().reshape_view(&[6]).is_err());
    /// ```
    pub fn reshape_view(&self, shape: &[isize]) -> Result<Array> {
        self.reshape_with(shape, Order::C, Some(false))
    }

    /// NumPy's `reshape(shape, order, copy)`: `copy = None` copies only when
    /// needed, `Some(true)` always copies (explicitly), `Some(false)` never
    /// copies and fails instead.
    ///
    /// # Errors
    /// A size mismatch, more than one `-1`, or `Some(false)` when a copy is
    /// needed is a reshape error.
    ///
    /// ```
    /// use strider::{Array, Order};
    /// let a = Array::arange_i64(0, 6, 1).unwrap();
    /// let c = a.reshape_with(&[3, 2], Order::C, Some(true)).unwrap();
    /// assert_ne!(c.buffer_id(), a.buffer_id());
    /// ```
    pub fn reshape_with(&self, shape: &[isize], order: Order, copy: Option<bool>) -> Result<Array> {
        let op = "reshape";
        let order = match order {
            Order::F => Order::F,
            Order::A if self.is_f_contiguous() && !self.is_c_contiguous() => Order::F,
            _ => Order::C,
        };
        // Rule 1 (same shape, same strides) compares the shape as written,
        // as NumPy does before it replaces the `-1`: `reshape(&[-1])` of a
        // 1-D array goes on to the contiguity rules, which can give a
        // length-1 axis or an empty array other strides.
        let as_written = shape.len() == self.ndim()
            && shape
                .iter()
                .zip(self.shape())
                .all(|(&s, &d)| s >= 0 && s as usize == d);
        let new_shape = resolve_shape(op, self.shape(), shape)?;
        if copy == Some(true) {
            let c = self.copy_order(order)?;
            return match c.layout.reshape_view_resolved(&new_shape, order) {
                Some(layout) => Ok(c.view_with(layout)),
                None => c.reshape_with(shape, order, Some(false)),
            };
        }
        let view = match as_written {
            true => Some(self.layout.clone()),
            false => self.layout.reshape_view_resolved(&new_shape, order),
        };
        if let Some(layout) = view {
            return Ok(self.view_with(layout));
        }
        if copy == Some(false) {
            return Err(Error::Reshape {
                op,
                from: self.shape().to_vec(),
                to: shape.to_vec(),
                reason: "the data cannot be viewed in that shape without a copy, \
                         and copy=false forbids one"
                    .into(),
            });
        }
        let reason = "the layout cannot be reshaped as a view";
        self.copy_implicit_reshaped(op, reason, &new_shape, order)
    }

    /// Copies `self` into a new `order`-contiguous array of `new_shape`,
    /// reading in `order`; an implicit, recorded copy.
    fn copy_implicit_reshaped(
        &self,
        op: &'static str,
        reason: &str,
        new_shape: &[usize],
        order: Order,
    ) -> Result<Array> {
        crate::storage::ledger::check_implicit(op, reason, self.nbytes())?;
        let out = self.alloc_like(op, Layout::contiguous(op, new_shape, order)?, self.dtype())?;
        let dst = out
            .layout
            .reshape_view(self.shape(), order)
            .unwrap_or_else(|| {
                Layout::contiguous(op, self.shape(), order).unwrap_or(out.layout.clone())
            });
        out.view_with(dst).copy_from_unchecked(op, self)?;
        self.record_copy(op, reason, true, &out);
        Ok(out)
    }

    /// Flattens to 1-D in C order: a view when the data is already
    /// contiguous in that order, otherwise an implicit, recorded copy.
    ///
    /// # Errors
    /// Fails only inside [`no_copies`](crate::no_copies) when a copy is needed.
    ///
    /// ```
    /// let a = strider::Array::arange_i64(0, 6, 1).unwrap().reshape(&[2, 3]).unwrap();
    /// assert_eq!(a.ravel().unwrap().buffer_id(), a.buffer_id());
    /// assert_ne!(a.t().ravel().unwrap().buffer_id(), a.buffer_id());
    /// ```
    pub fn ravel(&self) -> Result<Array> {
        self.ravel_order(Order::C)
    }

    /// Flattens to 1-D in C, F, A or K order (NumPy's `ravel`): a view only
    /// when the result is contiguous, else an implicit, recorded copy.
    ///
    /// # Errors
    /// Fails only inside [`no_copies`](crate::no_copies) when a copy is needed.
    ///
    /// ```
    /// use strider::{Array, Order};
    /// let a = Array::arange_i64(0, 6, 1).unwrap().reshape(&[2, 3]).unwrap();
    /// let k = a.t().ravel_order(Order::K).unwrap();
    /// assert_eq!(k.buffer_id(), a.buffer_id()); // memory order is contiguous
    /// assert_eq!(k.to_vec::<i64>().unwrap(), vec![0, 1, 2, 3, 4, 5]);
    /// ```
    pub fn ravel_order(&self, order: Order) -> Result<Array> {
        if let Some(layout) = self.layout.ravel_view(order) {
            return Ok(self.view_with(layout));
        }
        let reason = "the data is not contiguous in the requested order";
        crate::storage::ledger::check_implicit("ravel", reason, self.nbytes())?;
        let out = self.flatten_into_new("ravel", order)?;
        self.record_copy("ravel", reason, true, &out);
        Ok(out)
    }
}
