//! Pure layout math: shapes, element strides and offsets, and NumPy's rules for
//! views, reshapes, broadcasting and the memory order of new results.
//!
//! Nothing here touches memory. A [`Layout`] says which element of a buffer each
//! logical index names; every unit is an *element* (never a byte), so itemsize
//! never appears. Views are new layouts over the same buffer; the functions in
//! [`order`] say how a fresh result should be laid out.
//!
//! ```
//! use strider::layout::{Layout, Order, SliceItem};
//! let a = Layout::contiguous("example", &[2, 3], Order::C).unwrap();
//! let r = a.slice("example", &[SliceItem::step(-1), SliceItem::step(-1)]).unwrap();
//! assert_eq!((r.strides(), r.offset()), (&[-3, -1][..], 5));
//! ```

pub mod broadcast;
pub mod order;
pub mod plan;
pub mod reshape;
pub mod slice;

pub use broadcast::broadcast_shapes;
pub use order::Order;
pub use plan::Plan;
pub use slice::SliceItem;

use crate::error::{fmt_shape, Error, Result};
use std::fmt;

/// Where the elements of an n-d array live in a flat buffer: shape, strides and
/// offset, all in elements.
///
/// Logical index `(i0, …, in-1)` names element `offset + Σ ik·strides[k]`.
///
/// Invariants (numbered; other code refers to them):
///
/// 1. `shape.len() == strides.len()`; that length is `ndim` (0 for a scalar).
/// 2. The size, the product of `shape`, fits in `isize` (constructors that take
///    a user shape check this and fail with an error).
/// 3. Strides are signed: negative for reversed axes, 0 for broadcast axes and
///    `newaxis`. When the size is not 0, every element index the layout names
///    is `>= 0`, so with negative strides `offset` is *not* the lowest element.
/// 4. The strides of length-1 axes never change an element index. They are
///    kept as NumPy would report them but no rule may depend on them
///    (contiguity skips them, 6.1).
/// 5. A layout of size 0 names no element; its strides and offset are kept as
///    NumPy would report them but address nothing.
/// 6. A `Layout` is a value: views are new layouts, no operation mutates one.
///
/// ```
/// use strider::layout::{Layout, Order};
/// let l = Layout::contiguous("example", &[3, 4], Order::C).unwrap();
/// assert_eq!(l.strides(), &[4, 1]);
/// assert_eq!(l.element_index(&[2, 1]), 9);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Layout {
    shape: Vec<usize>,
    strides: Vec<isize>,
    offset: usize,
}

/// The size of `shape` if it fits in `isize`, counting the product of the
/// nonzero lengths (as NumPy does, so `(0, huge, huge)` still fails).
///
/// ```
/// use strider::layout::checked_size;
/// assert_eq!(checked_size(&[2, 0, 3]), Some(0));
/// assert_eq!(checked_size(&[]), Some(1));
/// assert_eq!(checked_size(&[usize::MAX, 2]), None);
/// ```
pub fn checked_size(shape: &[usize]) -> Option<usize> {
    let mut nonzero: usize = 1;
    for &d in shape.iter().filter(|&&d| d != 0) {
        nonzero = nonzero
            .checked_mul(d)
            .filter(|&n| n <= isize::MAX as usize)?;
    }
    Some(if shape.contains(&0) { 0 } else { nonzero })
}

impl Layout {
    /// A layout from its parts, unchecked (invariant 1 is a `debug_assert!`).
    ///
    /// ```
    /// let l = strider::layout::Layout::new(vec![2, 3], vec![1, 2], 0);
    /// assert!(l.is_f_contiguous());
    /// ```
    pub fn new(shape: Vec<usize>, strides: Vec<isize>, offset: usize) -> Layout {
        debug_assert_eq!(
            shape.len(),
            strides.len(),
            "shape and strides differ in length"
        );
        Layout {
            shape,
            strides,
            offset,
        }
    }

    /// A 0-d layout naming the single element at `offset`.
    ///
    /// ```
    /// let s = strider::layout::Layout::scalar(7);
    /// assert_eq!((s.ndim(), s.size(), s.element_index(&[])), (0, 1, 7));
    /// ```
    pub fn scalar(offset: usize) -> Layout {
        Layout::new(Vec::new(), Vec::new(), offset)
    }

    /// The layout of a fresh allocation of `shape` in C or F order (`A` and `K`
    /// count as C), FORMAT 6.2: dense strides, offset 0, and every stride 0
    /// when the size is 0.
    ///
    /// # Errors
    ///
    /// A shape whose size does not fit in `isize` (a `Value` error naming it).
    ///
    /// ```
    /// use strider::layout::{Layout, Order};
    /// assert_eq!(Layout::contiguous("zeros", &[2, 3], Order::F).unwrap().strides(), &[1, 2]);
    /// assert_eq!(Layout::contiguous("zeros", &[2, 0], Order::C).unwrap().strides(), &[0, 0]);
    /// ```
    pub fn contiguous(op: &'static str, shape: &[usize], order: Order) -> Result<Layout> {
        let size = checked_size(shape).ok_or_else(|| Error::overflow(op, shape))?;
        let strides = if size == 0 {
            vec![0; shape.len()]
        } else {
            Layout::dense_strides(shape, order)
        };
        Ok(Layout::new(shape.to_vec(), strides, 0))
    }

    /// Dense C or F strides for `shape` (`A`, `K` count as C), FORMAT 6.2
    /// *without* the size-0 zeroing: length-0 axes count as 1 in the product.
    /// This is what a reshape of existing memory gets (6.4 rule 4).
    ///
    /// ```
    /// use strider::layout::{Layout, Order};
    /// assert_eq!(Layout::dense_strides(&[2, 0, 3], Order::C), vec![3, 3, 1]);
    /// assert_eq!(Layout::dense_strides(&[2, 0, 3], Order::F), vec![1, 2, 2]);
    /// ```
    pub fn dense_strides(shape: &[usize], order: Order) -> Vec<isize> {
        let mut strides = vec![0isize; shape.len()];
        let mut next: isize = 1;
        let mut put = |ax: usize| {
            strides[ax] = next;
            next = next.saturating_mul(shape[ax].max(1) as isize);
        };
        if order == Order::F {
            (0..shape.len()).for_each(&mut put);
        } else {
            (0..shape.len()).rev().for_each(&mut put);
        }
        strides
    }

    /// The lengths of the axes.
    ///
    /// ```
    /// let l = strider::layout::Layout::new(vec![2, 3], vec![3, 1], 0);
    /// assert_eq!(l.shape(), &[2, 3]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The strides, in elements (signed).
    ///
    /// ```
    /// let l = strider::layout::Layout::new(vec![2, 3], vec![3, -1], 2);
    /// assert_eq!(l.strides(), &[3, -1]);
    /// ```
    pub fn strides(&self) -> &[isize] {
        &self.strides
    }

    /// The element index of logical index `[0, …, 0]`.
    ///
    /// ```
    /// let l = strider::layout::Layout::new(vec![3], vec![-1], 2);
    /// assert_eq!(l.offset(), 2);
    /// ```
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The number of axes.
    ///
    /// ```
    /// assert_eq!(strider::layout::Layout::scalar(0).ndim(), 0);
    /// ```
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// The number of elements: the product of the shape (1 for a scalar).
    ///
    /// ```
    /// let l = strider::layout::Layout::new(vec![2, 0], vec![0, 0], 0);
    /// assert_eq!(l.size(), 0);
    /// ```
    pub fn size(&self) -> usize {
        self.shape.iter().product()
    }

    fn is_dense_walk(&self, axes: impl Iterator<Item = usize>) -> bool {
        if self.size() == 0 {
            return true;
        }
        let mut expected: isize = 1;
        for ax in axes.filter(|&ax| self.shape[ax] != 1) {
            if self.strides[ax] != expected {
                return false;
            }
            expected *= self.shape[ax] as isize;
        }
        true
    }

    /// NumPy's C-contiguous flag (FORMAT 6.1): size 0, or each stride, skipping
    /// length-1 axes, equals the product of the lengths after it.
    ///
    /// ```
    /// use strider::layout::{Layout, Order, SliceItem};
    /// let x = Layout::contiguous("example", &[3, 4], Order::C).unwrap();
    /// assert!(x.is_c_contiguous());
    /// let col = x.slice("example", &[SliceItem::full(), SliceItem::range(0, 1)]).unwrap();
    /// assert!(!col.is_c_contiguous() && !col.is_f_contiguous());
    /// ```
    pub fn is_c_contiguous(&self) -> bool {
        self.is_dense_walk((0..self.ndim()).rev())
    }

    /// NumPy's F-contiguous flag (FORMAT 6.1): the mirror image of
    /// [`Layout::is_c_contiguous`], walking from the first axis.
    ///
    /// ```
    /// let l = strider::layout::Layout::new(vec![1, 5], vec![5, 1], 0);
    /// assert!(l.is_f_contiguous() && l.is_c_contiguous());
    /// ```
    pub fn is_f_contiguous(&self) -> bool {
        self.is_dense_walk(0..self.ndim())
    }

    /// Whether the elements fill `offset..offset + size` exactly once: dense in
    /// some axis permutation with positive strides (no gaps, no overlap).
    /// Size 0 counts as dense.
    ///
    /// ```
    /// use strider::layout::{Layout, Order};
    /// let t = Layout::contiguous("example", &[2, 3, 4], Order::C).unwrap()
    ///     .transpose("example", Some(&[1, 0, 2])).unwrap();
    /// assert!(t.is_contiguous_any_order() && !t.is_c_contiguous());
    /// ```
    pub fn is_contiguous_any_order(&self) -> bool {
        if self.size() == 0 {
            return true;
        }
        let mut axes: Vec<usize> = (0..self.ndim()).filter(|&a| self.shape[a] != 1).collect();
        if axes.iter().any(|&a| self.strides[a] <= 0) {
            return false;
        }
        axes.sort_by_key(|&a| self.strides[a]);
        let mut expected: isize = 1;
        for a in axes {
            if self.strides[a] != expected {
                return false;
            }
            expected *= self.shape[a] as isize;
        }
        true
    }

    /// The lowest and highest element index the layout names, inclusive;
    /// `None` when the size is 0.
    ///
    /// ```
    /// use strider::layout::{Layout, Order, SliceItem};
    /// let a = Layout::contiguous("example", &[10], Order::C).unwrap();
    /// let r = a.slice("example", &[SliceItem::range_step(8, 1, -3)]).unwrap(); // 8, 5, 2
    /// assert_eq!(r.extent(), Some((2, 8)));
    /// ```
    pub fn extent(&self) -> Option<(usize, usize)> {
        if self.size() == 0 {
            return None;
        }
        let (mut lo, mut hi) = (self.offset as isize, self.offset as isize);
        for (&d, &s) in self.shape.iter().zip(&self.strides) {
            let span = s * (d as isize - 1);
            if span < 0 {
                lo += span;
            } else {
                hi += span;
            }
        }
        debug_assert!(
            lo >= 0,
            "layout names a negative element index (invariant 3)"
        );
        Some((lo as usize, hi as usize))
    }

    /// The element index of a logical index: `offset + Σ index[k]·strides[k]`.
    /// The index must be in range (a `debug_assert!`).
    ///
    /// ```
    /// let l = strider::layout::Layout::new(vec![2, 3], vec![-3, -1], 5);
    /// assert_eq!(l.element_index(&[1, 2]), 0);
    /// ```
    pub fn element_index(&self, index: &[usize]) -> usize {
        debug_assert_eq!(index.len(), self.ndim());
        debug_assert!(index.iter().zip(&self.shape).all(|(i, d)| i < d));
        let rel: isize = index
            .iter()
            .zip(&self.strides)
            .map(|(&i, &s)| i as isize * s)
            .sum();
        (self.offset as isize + rel) as usize
    }

    /// Whether two different logical indices name the same element: some axis
    /// of length > 1 has stride 0 (a broadcast). Always false for size 0.
    ///
    /// ```
    /// use strider::layout::{Layout, Order};
    /// let b = Layout::contiguous("example", &[3], Order::C).unwrap()
    ///     .broadcast_to("example", &[2, 3]).unwrap();
    /// assert!(b.has_zero_stride());
    /// ```
    pub fn has_zero_stride(&self) -> bool {
        self.size() != 0
            && self
                .shape
                .iter()
                .zip(&self.strides)
                .any(|(&d, &s)| d > 1 && s == 0)
    }

    /// An axis in `-ndim..ndim` as an index in `0..ndim`.
    ///
    /// # Errors
    ///
    /// An `Axis` error when the axis is out of range.
    ///
    /// ```
    /// use strider::layout::Layout;
    /// assert_eq!(Layout::normalize_axis("sum", -1, 3).unwrap(), 2);
    /// assert!(Layout::normalize_axis("sum", 3, 3).is_err());
    /// ```
    pub fn normalize_axis(op: &'static str, axis: isize, ndim: usize) -> Result<usize> {
        let n = ndim as isize;
        if axis < -n || axis >= n {
            return Err(Error::axis_out_of_range(op, axis, ndim));
        }
        Ok(if axis < 0 { axis + n } else { axis } as usize)
    }

    /// [`Layout::normalize_axis`] for each axis, in the given order.
    ///
    /// # Errors
    ///
    /// An `Axis` error for an axis out of range or a repeated axis.
    ///
    /// ```
    /// use strider::layout::Layout;
    /// assert_eq!(Layout::normalize_axes("sum", &[-1, 0], 3).unwrap(), vec![2, 0]);
    /// assert!(Layout::normalize_axes("sum", &[2, -1], 3).is_err());
    /// ```
    pub fn normalize_axes(op: &'static str, axes: &[isize], ndim: usize) -> Result<Vec<usize>> {
        let mut out = Vec::with_capacity(axes.len());
        for &axis in axes {
            let a = Layout::normalize_axis(op, axis, ndim)?;
            if out.contains(&a) {
                return Err(Error::Axis {
                    op,
                    axis,
                    ndim,
                    reason: format!("repeated axis {axis} in {}", fmt_shape(axes)),
                });
            }
            out.push(a);
        }
        Ok(out)
    }

    /// The layout with its axes in the order `perm` (axis `k` of the result is
    /// axis `perm[k]` of `self`). Unchecked: `perm` must be a permutation
    /// (a `debug_assert!`). No data is copied.
    ///
    /// ```
    /// let l = strider::layout::Layout::new(vec![2, 3, 4], vec![12, 4, 1], 0);
    /// assert_eq!(l.permute_axes(&[2, 0, 1]).strides(), &[1, 12, 4]);
    /// ```
    pub fn permute_axes(&self, perm: &[usize]) -> Layout {
        debug_assert!(is_permutation(perm, self.ndim()), "not a permutation");
        Layout::new(
            perm.iter().map(|&a| self.shape[a]).collect(),
            perm.iter().map(|&a| self.strides[a]).collect(),
            self.offset,
        )
    }

    /// A view with the axes permuted (FORMAT 6.9); `None` reverses them.
    /// The offset is unchanged. No data is copied.
    ///
    /// # Errors
    ///
    /// An `Axis` error when `axes` has the wrong length, an axis is out of
    /// range, or an axis repeats.
    ///
    /// ```
    /// use strider::layout::{Layout, Order};
    /// let a = Layout::contiguous("example", &[2, 3], Order::C).unwrap();
    /// assert_eq!(a.transpose("transpose", None).unwrap().strides(), &[1, 3]);
    /// assert!(a.transpose("transpose", Some(&[0])).is_err());
    /// ```
    pub fn transpose(&self, op: &'static str, axes: Option<&[isize]>) -> Result<Layout> {
        let ndim = self.ndim();
        let perm: Vec<usize> = match axes {
            None => (0..ndim).rev().collect(),
            Some(axes) => {
                if axes.len() != ndim {
                    return Err(Error::Axis {
                        op,
                        axis: axes.len() as isize,
                        ndim,
                        reason: format!(
                            "axes don't match array: {} given for an array of dimension {ndim}",
                            fmt_shape(axes)
                        ),
                    });
                }
                Layout::normalize_axes(op, axes, ndim)?
            }
        };
        Ok(self.permute_axes(&perm))
    }

    /// A view with two axes exchanged (FORMAT 6.9). No data is copied.
    ///
    /// # Errors
    ///
    /// An `Axis` error when either axis is out of range.
    ///
    /// ```
    /// use strider::layout::{Layout, Order};
    /// let a = Layout::contiguous("example", &[2, 3, 4], Order::C).unwrap();
    /// let s = a.swapaxes("swapaxes", 0, -1).unwrap();
    /// assert_eq!((s.shape(), s.strides()), (&[4, 3, 2][..], &[1, 4, 12][..]));
    /// ```
    pub fn swapaxes(&self, op: &'static str, a1: isize, a2: isize) -> Result<Layout> {
        let a1 = Layout::normalize_axis(op, a1, self.ndim())?;
        let a2 = Layout::normalize_axis(op, a2, self.ndim())?;
        let mut perm: Vec<usize> = (0..self.ndim()).collect();
        perm.swap(a1, a2);
        Ok(self.permute_axes(&perm))
    }

    /// A view with the given axes reversed (`None`: all axes), like slicing
    /// them with `::-1`: the stride is negated and the offset moves to the last
    /// element of the axis. A length-0 axis is left as it is (an empty slice,
    /// 6.9). No data is copied.
    ///
    /// # Errors
    ///
    /// An `Axis` error for an axis out of range or repeated.
    ///
    /// ```
    /// use strider::layout::{Layout, Order};
    /// let a = Layout::contiguous("example", &[2, 3], Order::C).unwrap();
    /// let f = a.flip("flip", Some(&[1])).unwrap();
    /// assert_eq!((f.strides(), f.offset()), (&[3, -1][..], 2));
    /// ```
    pub fn flip(&self, op: &'static str, axes: Option<&[isize]>) -> Result<Layout> {
        let axes = match axes {
            None => (0..self.ndim()).collect(),
            Some(axes) => Layout::normalize_axes(op, axes, self.ndim())?,
        };
        let mut out = self.clone();
        for ax in axes.into_iter().filter(|&ax| self.shape[ax] > 0) {
            let s = self.strides[ax];
            out.offset = (out.offset as isize + s * (self.shape[ax] as isize - 1)) as usize;
            out.strides[ax] = -s;
        }
        Ok(out)
    }

    /// A view with length-1 axes inserted at `axes` (positions in the result,
    /// normalized against `ndim + axes.len()`), done as a C reshape (6.9): the
    /// new axis of a C-contiguous input gets the product stride. No data is
    /// copied.
    ///
    /// # Errors
    ///
    /// An `Axis` error for an axis out of range or repeated.
    ///
    /// ```
    /// use strider::layout::{Layout, Order};
    /// let a = Layout::contiguous("example", &[2, 3], Order::C).unwrap();
    /// let e = a.expand_dims("expand_dims", &[0, -1]).unwrap();
    /// assert_eq!((e.shape(), e.strides()), (&[1, 2, 3, 1][..], &[6, 3, 1, 1][..]));
    /// ```
    pub fn expand_dims(&self, op: &'static str, axes: &[isize]) -> Result<Layout> {
        let out_ndim = self.ndim() + axes.len();
        let new_axes = Layout::normalize_axes(op, axes, out_ndim)?;
        let mut old = self.shape.iter().zip(&self.strides);
        let (shape, fallback): (Vec<usize>, Vec<isize>) = (0..out_ndim)
            .map(|ax| match new_axes.contains(&ax) {
                true => (1, 0),
                false => old.next().map(|(&d, &s)| (d, s)).unwrap_or((1, 0)),
            })
            .unzip();
        Ok(self
            .reshape_view(&shape, Order::C)
            .unwrap_or_else(|| Layout::new(shape, fallback, self.offset)))
    }

    /// A view without length-1 axes: the given ones, or all of them for
    /// `None` (6.9). The remaining axes keep their strides. No data is copied.
    ///
    /// # Errors
    ///
    /// An `Axis` error for an axis out of range or repeated, and a `Shape`
    /// error for an axis whose length is not 1.
    ///
    /// ```
    /// use strider::layout::{Layout, Order};
    /// let a = Layout::contiguous("example", &[1, 3, 1], Order::C).unwrap();
    /// assert_eq!(a.squeeze("squeeze", None).unwrap().shape(), &[3]);
    /// assert!(a.squeeze("squeeze", Some(&[1])).is_err());
    /// ```
    pub fn squeeze(&self, op: &'static str, axes: Option<&[isize]>) -> Result<Layout> {
        let drop: Vec<usize> = match axes {
            None => (0..self.ndim()).filter(|&a| self.shape[a] == 1).collect(),
            Some(axes) => Layout::normalize_axes(op, axes, self.ndim())?,
        };
        if let Some(&bad) = drop.iter().find(|&&a| self.shape[a] != 1) {
            return Err(Error::Shape {
                op,
                shapes: vec![self.shape.clone()],
                reason: format!(
                    "cannot select an axis to squeeze out which has size not equal to one \
                     (axis {bad} has length {})",
                    self.shape[bad]
                ),
            });
        }
        let keep: Vec<usize> = (0..self.ndim()).filter(|a| !drop.contains(a)).collect();
        Ok(self.permute_axes_subset(&keep))
    }

    /// NumPy's `diagonal(k, axis1, axis2)` as a view: both axes are removed
    /// and a last axis of length `min(len1, len2 - k)` (for `k >= 0`;
    /// mirrored for `k < 0`) with stride `s1 + s2` is appended. A `k` past
    /// either end gives an empty diagonal. No data is copied.
    ///
    /// # Errors
    ///
    /// A `Shape` error for fewer than two axes; an `Axis` error for an axis out
    /// of range or `axis1 == axis2`.
    ///
    /// ```
    /// use strider::layout::{Layout, Order};
    /// let a = Layout::contiguous("example", &[3, 4], Order::C).unwrap();
    /// let d = a.diagonal("diagonal", 1, 0, 1).unwrap(); // 1, 6, 11
    /// assert_eq!((d.shape(), d.strides(), d.offset()), (&[3][..], &[5][..], 1));
    /// ```
    pub fn diagonal(
        &self,
        op: &'static str,
        k: isize,
        axis1: isize,
        axis2: isize,
    ) -> Result<Layout> {
        let ndim = self.ndim();
        if ndim < 2 {
            return Err(Error::Shape {
                op,
                shapes: vec![self.shape.clone()],
                reason: "diag requires an array of at least two dimensions".to_string(),
            });
        }
        let a1 = Layout::normalize_axis(op, axis1, ndim)?;
        let a2 = Layout::normalize_axis(op, axis2, ndim)?;
        if a1 == a2 {
            return Err(Error::Axis {
                op,
                axis: axis2,
                ndim,
                reason: format!("axis1 and axis2 cannot be the same (both are axis {a1})"),
            });
        }
        let (d1, d2) = (self.shape[a1] as i128, self.shape[a2] as i128);
        let (s1, s2) = (self.strides[a1], self.strides[a2]);
        // NumPy: shorten the axis that k moves along, then take the shorter.
        let (len, step) = match k >= 0 {
            true => (d1.min(d2 - k as i128), s2),
            false => ((d1 + k as i128).min(d2), s1),
        };
        // NumPy moves the start only for a diagonal that is not past the end;
        // an empty one keeps the offset where moving it would go below 0.
        let moved = self.offset as i128 + k.unsigned_abs() as i128 * step as i128;
        let offset = match len >= 0 && moved >= 0 {
            true => moved as usize,
            false => self.offset,
        };
        let len = len.max(0) as usize;
        let keep: Vec<usize> = (0..ndim).filter(|&a| a != a1 && a != a2).collect();
        let mut out = self.permute_axes_subset(&keep);
        out.shape.push(len);
        out.strides.push(s1 + s2);
        out.offset = offset;
        Ok(out)
    }

    /// The axes `keep` of `self`, in that order (a sub-permutation).
    fn permute_axes_subset(&self, keep: &[usize]) -> Layout {
        Layout::new(
            keep.iter().map(|&a| self.shape[a]).collect(),
            keep.iter().map(|&a| self.strides[a]).collect(),
            self.offset,
        )
    }
}

/// Whether `perm` holds each of `0..n` exactly once.
pub(crate) fn is_permutation(perm: &[usize], n: usize) -> bool {
    let mut seen = vec![false; n];
    perm.len() == n
        && perm
            .iter()
            .all(|&p| p < n && !std::mem::replace(&mut seen[p], true))
}

impl fmt::Display for Layout {
    /// `shape (3, 4) strides (4, 1) offset 0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "shape {} strides {} offset {}",
            fmt_shape(&self.shape),
            fmt_shape(&self.strides),
            self.offset
        )
    }
}

/// Calls `f(offset)` for every position of `shape` under element
/// `strides`, in C order, with offsets relative to the first position; no
/// allocation for up to 8 axes. The one odometer over a strided layout:
/// CPU reductions, `Array::to_vec` and advanced indexing walk with it.
///
/// ```
/// let mut seen = Vec::new();
/// strider::layout::for_each_offset(&[2, 3], &[1, 2], |o| seen.push(o));
/// assert_eq!(seen, [0, 2, 4, 1, 3, 5]);
/// ```
pub fn for_each_offset(shape: &[usize], strides: &[isize], mut f: impl FnMut(isize)) {
    let nd = shape.len();
    if nd == 0 {
        return f(0);
    }
    if shape.contains(&0) {
        return;
    }
    let mut small = [0usize; 8];
    let mut big = Vec::new();
    let idx: &mut [usize] = if nd <= 8 {
        &mut small[..nd]
    } else {
        big.resize(nd, 0);
        &mut big
    };
    let mut pos = 0isize;
    loop {
        f(pos);
        let mut ax = nd;
        loop {
            if ax == 0 {
                return;
            }
            ax -= 1;
            idx[ax] += 1;
            pos += strides[ax];
            if idx[ax] < shape[ax] {
                break;
            }
            pos -= strides[ax] * shape[ax] as isize;
            idx[ax] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(shape: &[usize]) -> Layout {
        Layout::contiguous("test", shape, Order::C).unwrap()
    }

    #[test]
    fn fresh_strides_follow_6_2() {
        assert_eq!(c(&[3, 4]).strides(), &[4, 1]);
        assert_eq!(
            Layout::contiguous("t", &[3, 4], Order::F)
                .unwrap()
                .strides(),
            &[1, 3]
        );
        assert_eq!(
            Layout::contiguous("t", &[3, 4], Order::K)
                .unwrap()
                .strides(),
            &[4, 1]
        );
        assert_eq!(c(&[0, 4]).strides(), &[0, 0]);
        assert_eq!(c(&[]).strides(), &[] as &[isize]);
        assert_eq!(Layout::dense_strides(&[0, 4], Order::C), vec![4, 1]);
        let err = Layout::contiguous("zeros", &[usize::MAX, 2], Order::C).unwrap_err();
        assert_eq!(err.op(), "zeros");
        assert!(err.to_string().contains("18446744073709551615"), "{err}");
        assert!(Layout::contiguous("zeros", &[0, usize::MAX, 2], Order::C).is_err());
    }

    #[test]
    fn flags_follow_6_1() {
        let l =
            |shape: &[usize], strides: &[isize]| Layout::new(shape.to_vec(), strides.to_vec(), 0);
        assert!(l(&[1, 5], &[5, 1]).is_c_contiguous() && l(&[1, 5], &[5, 1]).is_f_contiguous());
        assert!(l(&[5, 1], &[1, 1]).is_c_contiguous() && l(&[5, 1], &[1, 1]).is_f_contiguous());
        assert!(l(&[], &[]).is_c_contiguous() && l(&[], &[]).is_f_contiguous());
        assert!(l(&[2, 0], &[40, 8]).is_c_contiguous() && l(&[2, 0], &[40, 8]).is_f_contiguous());
        // x[:, :1] of a (3, 4) array: strides (4, 1), shape (3, 1).
        assert!(!l(&[3, 1], &[4, 1]).is_c_contiguous() && !l(&[3, 1], &[4, 1]).is_f_contiguous());
        assert!(!l(&[3], &[-1]).is_contiguous_any_order());
        assert!(!l(&[3, 2], &[1, 2]).is_contiguous_any_order());
        assert!(l(&[3, 2], &[1, 3]).is_contiguous_any_order());
    }

    #[test]
    fn extent_and_aliasing() {
        let r = Layout::new(vec![2, 3], vec![-3, -1], 5);
        assert_eq!(r.extent(), Some((0, 5)));
        assert_eq!(Layout::new(vec![0, 3], vec![3, 1], 4).extent(), None);
        assert!(!Layout::new(vec![0, 3], vec![0, 0], 0).has_zero_stride());
        assert!(!Layout::new(vec![1, 3], vec![0, 1], 0).has_zero_stride());
        assert!(Layout::new(vec![2, 3], vec![0, 1], 0).has_zero_stride());
    }

    #[test]
    fn axes_errors_name_op_and_axis() {
        let e = Layout::normalize_axis("sum", 1000, 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "sum: axis 1000 is out of bounds for array of dimension 1"
        );
        let e = Layout::normalize_axes("sum", &[0, -2], 2).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Axis);
        assert!(e.to_string().contains("repeated axis"), "{e}");
        let a = c(&[2, 3, 4]);
        assert_eq!(
            a.transpose("transpose", Some(&[0, 1])).unwrap_err().kind(),
            crate::ErrorKind::Axis
        );
        assert_eq!(
            a.transpose("transpose", Some(&[0, 1, 1]))
                .unwrap_err()
                .kind(),
            crate::ErrorKind::Axis
        );
        assert!(a.swapaxes("swapaxes", -4, 0).is_err() && a.swapaxes("swapaxes", 0, 3).is_err());
    }

    #[test]
    fn transpose_swapaxes_keep_offset() {
        let a = c(&[2, 3, 4]).flip("flip", Some(&[0])).unwrap();
        let t = a.transpose("transpose", Some(&[2, -3, 1])).unwrap();
        assert_eq!(
            (t.shape(), t.strides(), t.offset()),
            (&[4, 2, 3][..], &[1, -12, 4][..], 12)
        );
        assert_eq!(
            a.transpose("transpose", None).unwrap().strides(),
            &[1, 4, -12]
        );
        let s = c(&[]).transpose("transpose", None).unwrap();
        assert_eq!(s, c(&[]));
    }

    #[test]
    fn flip_moves_offset_to_last_element() {
        let f = c(&[2, 3]).flip("flip", None).unwrap();
        assert_eq!((f.strides(), f.offset()), (&[-3, -1][..], 5));
        let e = c(&[0, 3]).flip("flip", None).unwrap();
        assert_eq!((e.strides(), e.offset()), (&[0, 0][..], 0));
        assert!(c(&[2]).flip("flip", Some(&[0, -1])).is_err());
    }

    #[test]
    fn expand_dims_follows_reshape() {
        // C-contiguous input: the new axis gets the product stride (6.9).
        let e = c(&[3]).expand_dims("expand_dims", &[0]).unwrap();
        assert_eq!(e.strides(), &[3, 1]);
        // Non-contiguous input goes through the no-copy reshape.
        let x = c(&[3, 4])
            .slice("t", &[SliceItem::full(), SliceItem::step(2)])
            .unwrap();
        let e = x.expand_dims("expand_dims", &[1]).unwrap();
        assert_eq!((e.shape(), e.strides()), (&[3, 1, 2][..], &[4, 4, 2][..]));
        let err = c(&[2, 3]).expand_dims("expand_dims", &[0, 0]).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Axis);
        assert!(c(&[2, 3]).expand_dims("expand_dims", &[2]).is_ok());
        assert!(c(&[2, 3]).expand_dims("expand_dims", &[-3]).is_ok());
        assert!(c(&[2, 3]).expand_dims("expand_dims", &[3]).is_err());
        assert!(c(&[2, 3]).expand_dims("expand_dims", &[-4]).is_err());
    }

    #[test]
    fn squeeze_drops_unit_axes() {
        let a = Layout::new(vec![1, 3, 1], vec![7, 2, 5], 1);
        let s = a.squeeze("squeeze", Some(&[-1])).unwrap();
        assert_eq!(
            (s.shape(), s.strides(), s.offset()),
            (&[1, 3][..], &[7, 2][..], 1)
        );
        let e = a.squeeze("squeeze", Some(&[1])).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Shape);
        assert!(
            e.to_string().contains("squeeze: cannot select an axis"),
            "{e}"
        );
        assert_eq!(c(&[]).squeeze("squeeze", None).unwrap(), c(&[]));
    }

    #[test]
    fn diagonal_matches_numpy() {
        let a = c(&[3, 4]);
        let d = a.diagonal("diagonal", 0, 0, 1).unwrap();
        assert_eq!(
            (d.shape(), d.strides(), d.offset()),
            (&[3][..], &[5][..], 0)
        );
        let d = a.diagonal("diagonal", -1, 0, 1).unwrap(); // 4, 9
        assert_eq!((d.shape(), d.offset()), (&[2][..], 4));
        let d = a.diagonal("diagonal", 5, 0, 1).unwrap();
        assert_eq!((d.shape(), d.offset()), (&[0][..], 0));
        let b = c(&[2, 3, 4]).diagonal("diagonal", 0, 2, 0).unwrap();
        assert_eq!((b.shape(), b.strides()), (&[3, 2][..], &[4, 13][..]));
        let r = a.flip("flip", Some(&[0])).unwrap(); // rows reversed: offset 8, stride -4
        let d = r.diagonal("diagonal", -3, 0, 1).unwrap();
        assert_eq!((d.shape(), d.offset()), (&[0][..], 8));
        let d = r.diagonal("diagonal", -1, 0, 1).unwrap(); // 4, 1
        assert_eq!(
            (d.shape(), d.strides(), d.offset()),
            (&[2][..], &[-3][..], 4)
        );
        assert!(a.diagonal("diagonal", 0, 1, -1).is_err());
        assert!(c(&[3]).diagonal("diagonal", 0, 0, 1).is_err());
    }

    #[test]
    fn display_reads_like_numpy() {
        let l = Layout::new(vec![3], vec![-1], 2);
        assert_eq!(l.to_string(), "shape (3,) strides (-1,) offset 2");
        assert_eq!(
            c(&[3, 4]).to_string(),
            "shape (3, 4) strides (4, 1) offset 0"
        );
    }
}
