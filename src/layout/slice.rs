//! Basic indexing: integers, Python slices (negative steps included), newaxis
//! and ellipsis. The result is always a view (FORMAT 6.9).

use super::Layout;
use crate::error::{Error, Result};

/// One item of a basic index, as in NumPy's `x[0, 1:5:2, None, ...]`.
///
/// ```
/// use strider::layout::SliceItem;
/// let idx = [SliceItem::Index(0), SliceItem::range_step(1, 5, 2), SliceItem::NewAxis, SliceItem::Ellipsis];
/// assert_eq!(idx[1], SliceItem::Slice { start: Some(1), stop: Some(5), step: Some(2) });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SliceItem {
    /// One position (negative counts from the end); drops the axis.
    Index(isize),
    /// A Python slice `start:stop:step`; `None` parts take Python's defaults.
    Slice {
        /// First position (clipped when out of range).
        start: Option<isize>,
        /// One past the last position (clipped when out of range).
        stop: Option<isize>,
        /// The step; 0 is an error, `None` means 1.
        step: Option<isize>,
    },
    /// A new axis of length 1 with stride 0 (`None` / `np.newaxis`).
    NewAxis,
    /// As many full slices as the other items leave axes (`...`; at most one).
    Ellipsis,
}

impl SliceItem {
    /// The full slice `:`.
    ///
    /// ```
    /// use strider::layout::SliceItem;
    /// assert_eq!(SliceItem::full(), SliceItem::Slice { start: None, stop: None, step: None });
    /// ```
    pub fn full() -> SliceItem {
        SliceItem::Slice {
            start: None,
            stop: None,
            step: None,
        }
    }

    /// The slice `start:stop`.
    ///
    /// ```
    /// use strider::layout::SliceItem;
    /// assert_eq!(SliceItem::range(1, -1), SliceItem::Slice { start: Some(1), stop: Some(-1), step: None });
    /// ```
    pub fn range(start: isize, stop: isize) -> SliceItem {
        SliceItem::Slice {
            start: Some(start),
            stop: Some(stop),
            step: None,
        }
    }

    /// The slice `start:stop:step`.
    ///
    /// ```
    /// use strider::layout::SliceItem;
    /// assert_eq!(SliceItem::range_step(4, 0, -2), SliceItem::Slice { start: Some(4), stop: Some(0), step: Some(-2) });
    /// ```
    pub fn range_step(start: isize, stop: isize, step: isize) -> SliceItem {
        SliceItem::Slice {
            start: Some(start),
            stop: Some(stop),
            step: Some(step),
        }
    }

    /// The slice `::step` (`step(-1)` reverses an axis).
    ///
    /// ```
    /// use strider::layout::SliceItem;
    /// assert_eq!(SliceItem::step(-1), SliceItem::Slice { start: None, stop: None, step: Some(-1) });
    /// ```
    pub fn step(step: isize) -> SliceItem {
        SliceItem::Slice {
            start: None,
            stop: None,
            step: Some(step),
        }
    }

    /// The slice `start:`.
    ///
    /// ```
    /// use strider::layout::SliceItem;
    /// assert_eq!(SliceItem::start(2), SliceItem::Slice { start: Some(2), stop: None, step: None });
    /// ```
    pub fn start(start: isize) -> SliceItem {
        SliceItem::Slice {
            start: Some(start),
            stop: None,
            step: None,
        }
    }

    /// The slice `:stop`.
    ///
    /// ```
    /// use strider::layout::SliceItem;
    /// assert_eq!(SliceItem::stop(-1), SliceItem::Slice { start: None, stop: Some(-1), step: None });
    /// ```
    pub fn stop(stop: isize) -> SliceItem {
        SliceItem::Slice {
            start: None,
            stop: Some(stop),
            step: None,
        }
    }
}

impl From<isize> for SliceItem {
    /// An integer index.
    fn from(i: isize) -> SliceItem {
        SliceItem::Index(i)
    }
}

impl From<std::ops::Range<isize>> for SliceItem {
    /// `a..b` as the slice `a:b`.
    fn from(r: std::ops::Range<isize>) -> SliceItem {
        SliceItem::range(r.start, r.end)
    }
}

/// Python's `slice(start, stop, step).indices(len)` reduced to what a view
/// needs: the number of positions and the first one. Out-of-range bounds are
/// clipped. An empty slice gives `(0, 0)` (NumPy then uses start 0). `step`
/// must not be 0 (a `debug_assert!`; it gives `(0, 0)`).
///
/// ```
/// use strider::layout::slice::slice_len_and_start;
/// assert_eq!(slice_len_and_start(10, None, None, -3), (4, 9)); // 9, 6, 3, 0
/// assert_eq!(slice_len_and_start(5, Some(-100), Some(100), 2), (3, 0));
/// assert_eq!(slice_len_and_start(5, Some(3), Some(1), 1), (0, 0));
/// ```
pub fn slice_len_and_start(
    len: usize,
    start: Option<isize>,
    stop: Option<isize>,
    step: isize,
) -> (usize, isize) {
    debug_assert!(step != 0, "slice step cannot be zero");
    let n = len as isize;
    // Python's bounds: [0, n] going forward, [-1, n-1] going backward.
    let (lower, upper) = if step > 0 { (0, n) } else { (-1, n - 1) };
    let clip = |bound: Option<isize>, default: isize| match bound {
        None => default,
        Some(b) if b < 0 => (b + n).max(lower),
        Some(b) => b.min(upper),
    };
    let (first, last) = if step > 0 {
        (clip(start, lower), clip(stop, upper))
    } else {
        (clip(start, upper), clip(stop, lower))
    };
    let span = match step {
        s if s > 0 && first < last => (last - first) as usize,
        s if s < 0 && last < first => (first - last) as usize,
        _ => return (0, 0),
    };
    ((span - 1) / step.unsigned_abs() + 1, first)
}

fn index_error(op: &'static str, shape: &[usize], reason: String) -> Error {
    Error::Index {
        op,
        shape: shape.to_vec(),
        reason,
    }
}

impl Layout {
    /// A view selected by basic indexing (FORMAT 6.9), always a view, 0-d
    /// included. Missing trailing items are full slices. An integer adds
    /// `i·stride` to the offset and drops the axis; a slice with `n > 0`
    /// positions adds `start·stride` and multiplies the stride by the step;
    /// an empty slice keeps the offset and the stride; newaxis adds a length-1
    /// axis with stride 0. No data is copied.
    ///
    /// # Errors
    ///
    /// An `Index` error for an integer out of bounds, too many indices or more
    /// than one ellipsis; a `Value` error for a step of 0. Items are checked in
    /// order, as NumPy does.
    ///
    /// ```
    /// use strider::layout::{Layout, Order, SliceItem};
    /// let a = Layout::contiguous("example", &[3, 4], Order::C).unwrap();
    /// let v = a.slice("slice", &[SliceItem::Index(-1), SliceItem::step(-2)]).unwrap();
    /// assert_eq!((v.shape(), v.strides(), v.offset()), (&[2][..], &[-2][..], 11));
    /// let e = a.slice("slice", &[SliceItem::Index(5)]).unwrap_err();
    /// assert_eq!(e.to_string(), "slice: index 5 is out of bounds for axis 0 with size 3 (array shape (3, 4))");
    /// ```
    pub fn slice(&self, op: &'static str, items: &[SliceItem]) -> Result<Layout> {
        let ndim = self.ndim();
        if items
            .iter()
            .filter(|it| **it == SliceItem::Ellipsis)
            .count()
            > 1
        {
            return Err(index_error(
                op,
                &self.shape,
                "an index can only have a single ellipsis ('...')".to_string(),
            ));
        }
        let consumed = items
            .iter()
            .filter(|it| matches!(it, SliceItem::Index(_) | SliceItem::Slice { .. }))
            .count();
        if consumed > ndim {
            return Err(index_error(
                op,
                &self.shape,
                format!(
                    "too many indices for array: array is {ndim}-dimensional, but {consumed} were indexed"
                ),
            ));
        }
        let mut out = Layout::new(Vec::with_capacity(ndim), Vec::with_capacity(ndim), 0);
        let mut offset = self.offset as isize;
        let mut ax = 0;
        for item in items {
            match *item {
                SliceItem::Index(i) => {
                    let len = self.shape[ax] as isize;
                    let j = if i < 0 { i + len } else { i };
                    if !(0..len).contains(&j) {
                        return Err(index_error(
                            op,
                            &self.shape,
                            format!("index {i} is out of bounds for axis {ax} with size {len}"),
                        ));
                    }
                    offset += j * self.strides[ax];
                    ax += 1;
                }
                SliceItem::Slice { start, stop, step } => {
                    let step = step.unwrap_or(1);
                    if step == 0 {
                        return Err(Error::Value {
                            op,
                            reason: format!("slice step cannot be zero (axis {ax})"),
                        });
                    }
                    let stride = self.strides[ax];
                    let (n, first) = slice_len_and_start(self.shape[ax], start, stop, step);
                    out.shape.push(n);
                    if n == 0 {
                        out.strides.push(stride);
                    } else {
                        offset += first * stride;
                        // Only a single position can make the product overflow,
                        // and then the stride never moves.
                        out.strides.push(stride.checked_mul(step).unwrap_or(stride));
                    }
                    ax += 1;
                }
                SliceItem::NewAxis => {
                    out.shape.push(1);
                    out.strides.push(0);
                }
                SliceItem::Ellipsis => {
                    for _ in 0..ndim - consumed {
                        out.shape.push(self.shape[ax]);
                        out.strides.push(self.strides[ax]);
                        ax += 1;
                    }
                }
            }
        }
        out.shape.extend_from_slice(&self.shape[ax..]);
        out.strides.extend_from_slice(&self.strides[ax..]);
        out.offset = offset as usize;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Order;
    use crate::ErrorKind;
    use SliceItem::*;

    fn c(shape: &[usize]) -> Layout {
        Layout::contiguous("test", shape, Order::C).unwrap()
    }

    #[test]
    fn python_slice_indices() {
        let s = slice_len_and_start;
        assert_eq!(s(5, None, None, 1), (5, 0));
        assert_eq!(s(5, None, None, -1), (5, 4));
        assert_eq!(s(5, Some(-2), None, 1), (2, 3));
        assert_eq!(s(5, Some(10), None, -1), (5, 4));
        assert_eq!(s(5, None, Some(-10), -2), (3, 4));
        assert_eq!(s(5, Some(1), Some(1), 1), (0, 0));
        assert_eq!(s(0, None, None, -1), (0, 0));
        assert_eq!(s(5, Some(isize::MIN), Some(isize::MAX), isize::MAX), (1, 0));
        assert_eq!(s(5, Some(isize::MAX), Some(isize::MIN), isize::MIN), (1, 4));
        assert_eq!(s(7, Some(6), Some(0), -4), (2, 6));
    }

    #[test]
    fn negative_steps_point_offset_at_last_address() {
        // arange(6).reshape(2,3)[::-1, ::-1]: offset 40 bytes = 5 elements.
        let v = c(&[2, 3])
            .slice("t", &[SliceItem::step(-1), SliceItem::step(-1)])
            .unwrap();
        assert_eq!((v.strides(), v.offset()), (&[-3, -1][..], 5));
        assert!(!v.is_c_contiguous());
    }

    #[test]
    fn empty_slice_keeps_offset_and_stride() {
        let v = c(&[4, 3])
            .slice("t", &[SliceItem::range_step(3, 3, -2), SliceItem::start(1)])
            .unwrap();
        assert_eq!(
            (v.shape(), v.strides(), v.offset()),
            (&[0, 2][..], &[3, 1][..], 1)
        );
    }

    #[test]
    fn newaxis_ellipsis_and_integers() {
        let a = c(&[2, 3, 4]);
        let v = a
            .slice("t", &[NewAxis, Ellipsis, Index(-1), NewAxis])
            .unwrap();
        assert_eq!(
            (v.shape(), v.strides(), v.offset()),
            (&[1, 2, 3, 1][..], &[0, 12, 4, 0][..], 3)
        );
        let v = a.slice("t", &[Index(1), Index(2), Index(3)]).unwrap();
        assert_eq!((v.ndim(), v.offset()), (0, 23));
        let v = a.slice("t", &[Ellipsis]).unwrap();
        assert_eq!(v, a);
        let s = Layout::scalar(3).slice("t", &[NewAxis, Ellipsis]).unwrap();
        assert_eq!(
            (s.shape(), s.strides(), s.offset()),
            (&[1][..], &[0][..], 3)
        );
        assert_eq!(a.slice("t", &[]).unwrap(), a);
        let v = a.slice("t", &[Ellipsis, 0.into(), (1..3).into()]).unwrap();
        assert_eq!((v.shape(), v.offset()), (&[2, 2][..], 1));
    }

    #[test]
    fn errors_match_numpy_kinds() {
        let a = c(&[3]);
        let e = a.slice("slice", &[Index(1 << 30)]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Index);
        assert!(e
            .to_string()
            .contains("index 1073741824 is out of bounds for axis 0 with size 3"));
        let e = a.slice("slice", &[Index(-4)]).unwrap_err();
        assert!(e.to_string().contains("index -4 is out of bounds"), "{e}");
        let e = c(&[2, 2, 2]).slice("slice", &[Index(0); 4]).unwrap_err();
        assert!(
            e.to_string()
                .contains("array is 3-dimensional, but 4 were indexed"),
            "{e}"
        );
        assert_eq!(
            a.slice("slice", &[Ellipsis, Ellipsis]).unwrap_err().kind(),
            ErrorKind::Index
        );
        let e = a.slice("slice", &[SliceItem::step(0)]).unwrap_err();
        assert_eq!((e.kind(), e.op()), (ErrorKind::Value, "slice"));
        assert_eq!(
            Layout::scalar(0)
                .slice("slice", &[Index(0)])
                .unwrap_err()
                .kind(),
            ErrorKind::Index
        );
        assert_eq!(
            c(&[0]).slice("slice", &[Index(0)]).unwrap_err().kind(),
            ErrorKind::Index
        );
    }

    #[test]
    fn huge_step_on_single_position_does_not_overflow() {
        let v = c(&[5, 4])
            .slice("t", &[SliceItem::range_step(0, 5, isize::MAX)])
            .unwrap();
        assert_eq!(v.shape(), &[1, 4]);
    }
}
