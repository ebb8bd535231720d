//! Conversions between strider arrays and [`ndarray`] arrays (feature
//! `ndarray`, off by default; ndarray 0.15, 0.16 and 0.17).
//!
//! | from | to | cost |
//! | --- | --- | --- |
//! | a CPU [`Array`] | `ndarray::ArrayViewD` / `ArrayViewMutD` | none: [`ArrayRead::as_ndarray`], [`ArrayWrite::as_ndarray_mut`], under the guard's lock |
//! | an [`Array`] that owns its buffer alone, C or F contiguous, offset 0 | `ndarray::ArrayD` | none: [`Array::into_ndarray`] moves the `Vec` |
//! | any other [`Array`] (views, GPU arrays) | `ndarray::ArrayD` | one copy (or transfer), recorded in the ledger |
//! | `ndarray::Array<T, D>` (any strides, offset, negative strides) | [`Array`] | none: `From` moves the `Vec` |
//! | `ndarray::ArrayView<T, D>` | [`Array`] | one copy, recorded: [`Array::from_ndarray_view`] |
//!
//! strider allows negative strides and ndarray's raw constructors do not:
//! a view points at the lowest address with every stride made positive, then
//! inverts the axes that were flipped, so the result walks the same memory.

use crate::array::access::{ArrayRead, ArrayWrite};
use crate::array::Array;
use crate::dtype::Element;
use crate::error::Result;
use crate::layout::{Layout, Order};
use crate::storage::ledger::{self, CopyEvent, EventKind, LayoutRecord};
use crate::storage::CpuData;
use ndarray::{ArrayViewD, ArrayViewMutD, Axis, IxDyn, ShapeBuilder};

/// The pointer to the lowest address of a non-empty layout, its strides
/// made non-negative, and the axes to invert afterwards.
fn lowest_first(layout: &Layout) -> (usize, Vec<usize>, Vec<usize>) {
    let lo = layout.extent().map_or(layout.offset(), |(lo, _)| lo);
    let strides = layout.strides().iter().map(|s| s.unsigned_abs()).collect();
    let flipped = (0..layout.ndim())
        .filter(|&a| layout.strides()[a] < 0 && layout.shape()[a] > 1)
        .collect();
    (lo, strides, flipped)
}

impl<T: Element> ArrayRead<'_, T> {
    /// The elements as an [`ndarray::ArrayViewD`] with the array's shape
    /// and strides (negative strides included), borrowing the guard: no
    /// copy, and the buffer stays read-locked while the view lives.
    ///
    /// ```
    /// use strider::{s, Array};
    /// let a = Array::arange_i64(0, 6, 1)?.reshape(&[2, 3])?;
    /// let v = a.slice(s![.., ..;-1])?;
    /// let guard = v.read::<i64>()?;
    /// let nd = guard.as_ndarray();
    /// assert_eq!(nd.shape(), &[2, 3]);
    /// assert_eq!(nd[[0, 0]], 2);
    /// assert_eq!(nd.strides(), &[3, -1]);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn as_ndarray(&self) -> ArrayViewD<'_, T> {
        let (shape, layout) = (self.shape().to_vec(), self.layout());
        let data = self.buffer();
        if layout.size() == 0 {
            return ArrayViewD::from_shape(IxDyn(&shape), &[][..]).unwrap_or_else(|_| {
                ArrayViewD::from_shape(IxDyn(&[0]), &[][..])
                    .expect("an empty 1-d view always fits an empty slice")
            });
        }
        let (lo, strides, flipped) = lowest_first(layout);
        // SAFETY: the guard holds the buffer's read lock for the view's
        // lifetime (the view borrows `self`); every element the shape and
        // non-negative strides reach from `lo` lies inside `data` (it is the
        // layout's own extent); lengths and strides come from a valid
        // layout, so the byte offsets fit in isize.
        let mut view = unsafe {
            ArrayViewD::from_shape_ptr(
                IxDyn(&shape).strides(IxDyn(&strides)),
                data.as_ptr().add(lo),
            )
        };
        for a in flipped {
            view.invert_axis(Axis(a));
        }
        view
    }
}

impl<T: Element> ArrayWrite<'_, T> {
    /// The elements as an [`ndarray::ArrayViewMutD`] with the array's shape
    /// and strides, borrowing the guard mutably: writes through it land in
    /// the strider buffer, seen by every view once the guard drops.
    ///
    /// ```
    /// use strider::{s, Array, DType};
    /// let a = Array::zeros(&[2, 3], DType::F32)?;
    /// {
    ///     let col = a.slice(s![.., 2])?;
    ///     let mut guard = col.write::<f32>()?;
    ///     guard.as_ndarray_mut().fill(7.0);
    /// }
    /// assert_eq!(a.to_vec::<f32>()?, [0.0, 0.0, 7.0, 0.0, 0.0, 7.0]);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn as_ndarray_mut(&mut self) -> ArrayViewMutD<'_, T> {
        let shape = self.shape().to_vec();
        let layout = self.layout().clone();
        let data = self.buffer_mut();
        if layout.size() == 0 {
            return ArrayViewMutD::from_shape(IxDyn(&shape), &mut [][..]).unwrap_or_else(|_| {
                ArrayViewMutD::from_shape(IxDyn(&[0]), &mut [][..])
                    .expect("an empty 1-d view always fits an empty slice")
            });
        }
        let (lo, strides, flipped) = lowest_first(&layout);
        // SAFETY: as in `as_ndarray`, with the write lock held and `self`
        // borrowed mutably for the view's lifetime; a write guard's layout
        // never names one element twice (`Array::write` checks), so the
        // mutable view does not alias itself.
        let mut view = unsafe {
            ArrayViewMutD::from_shape_ptr(
                IxDyn(&shape).strides(IxDyn(&strides)),
                data.as_mut_ptr().add(lo),
            )
        };
        for a in flipped {
            view.invert_axis(Axis(a));
        }
        view
    }
}

impl Array {
    /// An owned [`ndarray::ArrayD`] of the elements, moving the buffer when
    /// this handle is its only owner, the array spans the whole buffer from
    /// offset 0, and it is C or F contiguous; otherwise one copy (a transfer
    /// for a GPU array), recorded in the ledger, then the move.
    ///
    /// # Errors
    /// `T` must be the array's dtype.
    ///
    /// ```
    /// use strider::{s, Array};
    /// let a = Array::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[2, 2])?;
    /// let (nd, report) = strider::track(|| a.into_ndarray::<f64>());
    /// assert_eq!(nd?, ndarray::arr2(&[[1.0, 2.0], [3.0, 4.0]]).into_dyn());
    /// assert_eq!(report.copies(), 0); // the Vec moved
    ///
    /// let b = Array::arange_i64(0, 6, 1)?.reshape(&[2, 3])?;
    /// let (nd, report) = strider::track(|| b.slice(s![.., ..;-2])?.into_ndarray::<i64>());
    /// assert_eq!(nd?, ndarray::arr2(&[[2, 0], [5, 3]]).into_dyn());
    /// assert_eq!(report.copies(), 1); // a view: copied first
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn into_ndarray<T: Element>(self) -> Result<ndarray::ArrayD<T>> {
        self.check_dtype::<T>("into_ndarray")?;
        let movable = |a: &Array| {
            a.device().is_cpu()
                && a.layout().offset() == 0
                && a.size() == a.buffer_len()
                && (a.is_c_contiguous() || a.is_f_contiguous())
        };
        let this = if self.device().is_cpu() {
            self
        } else {
            self.to_cpu()?
        };
        let this = if movable(&this) {
            this
        } else {
            this.copy_order(Order::C)?
        };
        let shape = this.shape().to_vec();
        let this_is_c = this.is_c_contiguous();
        let (vec, fortran) = match this.take_buffer::<T>() {
            Ok(v) => (v, !this_is_c),
            // Another handle shares the buffer: copy (recorded) in C order.
            Err(shared) => {
                let copy = shared.copy_order(Order::C)?;
                let v = copy.take_buffer::<T>().map_err(|_| crate::Error::Value {
                    op: "into_ndarray",
                    reason: "a fresh copy was shared".into(),
                })?;
                (v, false)
            }
        };
        let dim = IxDyn(&shape);
        let made = if fortran {
            ndarray::ArrayD::from_shape_vec(dim.f(), vec)
        } else {
            ndarray::ArrayD::from_shape_vec(dim, vec)
        };
        made.map_err(|e| crate::Error::Value {
            op: "into_ndarray",
            reason: format!(
                "ndarray refused shape {}: {e}",
                crate::error::fmt_shape(&shape)
            ),
        })
    }

    /// An [`Array`] copied from an ndarray view of any layout (one
    /// recorded explicit copy; C order).
    ///
    /// ```
    /// use ndarray::{arr2, s};
    /// let nd = arr2(&[[1u8, 2, 3], [4, 5, 6]]);
    /// let (a, report) = strider::track(|| strider::Array::from_ndarray_view(nd.slice(s![.., ..;2])));
    /// assert_eq!(a.to_vec::<u8>()?, [1, 3, 4, 6]);
    /// assert_eq!(report.copies(), 1);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn from_ndarray_view<T: Element, D: ndarray::Dimension>(
        view: ndarray::ArrayView<'_, T, D>,
    ) -> Array {
        let shape = view.shape().to_vec();
        let data: Vec<T> = view.iter().copied().collect();
        let layout = Layout::new(shape.clone(), Layout::dense_strides(&shape, Order::C), 0);
        let source = Layout::new(shape, view.strides().to_vec(), 0);
        let out = Array::from_parts(CpuData::from_vec(data), layout);
        let bytes = out.nbytes();
        ledger::record(EventKind::Copy { implicit: false }, bytes, || CopyEvent {
            op: "from_ndarray_view",
            reason: "an ndarray view is copied into memory strider owns".into(),
            kind: EventKind::Copy { implicit: false },
            bytes,
            source: LayoutRecord::of(&source, out.itemsize()),
            result: LayoutRecord::of(out.layout(), out.itemsize()),
            src_device: "ndarray".into(),
            dst_device: out.device().to_string(),
        });
        out
    }
}

/// Takes an owned ndarray array without copying: its `Vec` becomes the
/// buffer, and its strides and the offset of its first element become the
/// layout, so standard, Fortran, sliced and inverted arrays all move as they
/// are.
///
/// ```
/// use strider::Array;
/// let nd = ndarray::Array::from_shape_vec((2, 3), vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
/// let first = nd.as_ptr();
/// let a = Array::from(nd.reversed_axes());
/// assert_eq!(a.shape(), &[3, 2]);
/// assert_eq!(a.to_vec::<f32>()?, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
/// assert!(a.is_f_contiguous());
/// assert_eq!(a.read::<f32>()?.buffer().as_ptr(), first); // the same memory
/// # Ok::<(), strider::Error>(())
/// ```
impl<T: Element, D: ndarray::Dimension> From<ndarray::Array<T, D>> for Array {
    fn from(a: ndarray::Array<T, D>) -> Array {
        let shape = a.shape().to_vec();
        let strides = a.strides().to_vec();
        let first = a.as_ptr() as usize;
        #[allow(deprecated)] // `into_raw_vec_and_offset` is missing before 0.16
        let vec = a.into_raw_vec();
        let size: usize = shape.iter().product();
        if size == 0 {
            let layout = Layout::new(shape.clone(), Layout::dense_strides(&shape, Order::C), 0);
            return Array::from_parts(CpuData::from_vec(Vec::<T>::new()), layout);
        }
        let item = std::mem::size_of::<T>().max(1);
        let offset = first.wrapping_sub(vec.as_ptr() as usize) / item;
        Array::from_parts(CpuData::from_vec(vec), Layout::new(shape, strides, offset))
    }
}
