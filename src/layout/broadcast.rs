//! Broadcasting: the common shape of several operands, and views that repeat
//! an operand along new or length-1 axes with stride 0.

use super::{checked_size, Layout};
use crate::error::{Error, Result};

/// The shape that all `shapes` broadcast to, by NumPy's rules: align the
/// shapes on the right; on each axis the lengths must be equal or 1, and the
/// result takes the length that is not 1 (0 included).
///
/// # Errors
///
/// A `Broadcast` error listing every shape when two lengths on one axis
/// differ and neither is 1.
///
/// ```
/// use strider::layout::broadcast_shapes;
/// assert_eq!(broadcast_shapes("add", &[&[6, 7], &[5, 6, 1], &[7]]).unwrap(), vec![5, 6, 7]);
/// assert_eq!(broadcast_shapes("add", &[&[1, 0], &[0, 0]]).unwrap(), vec![0, 0]);
/// let e = broadcast_shapes("add", &[&[2, 3], &[4]]).unwrap_err();
/// assert_eq!(e.to_string(), "add: operands could not be broadcast together with shapes (2, 3) (4,)");
/// ```
pub fn broadcast_shapes(op: &'static str, shapes: &[&[usize]]) -> Result<Vec<usize>> {
    let ndim = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1usize; ndim];
    for shape in shapes {
        for (o, &d) in out[ndim - shape.len()..].iter_mut().zip(shape.iter()) {
            if d != *o && d != 1 {
                if *o != 1 {
                    return Err(Error::broadcast(
                        op,
                        shapes.iter().map(|s| s.to_vec()).collect(),
                    ));
                }
                *o = d;
            }
        }
    }
    Ok(out)
}

impl Layout {
    /// A read-only view repeating `self` to `shape` (6.9): new leading axes
    /// and input axes of length 1 get stride 0, even when the target length is
    /// also 1; other axes keep their strides. The offset is unchanged. No data
    /// is copied (marking the result read-only is the caller's job).
    ///
    /// # Errors
    ///
    /// A `Broadcast` error naming the input and the requested shape when they
    /// do not fit (fewer axes than the input, or a length that is neither equal
    /// nor stretched from 1); a `Value` error when `shape`'s size overflows.
    ///
    /// ```
    /// use strider::layout::{Layout, Order};
    /// let a = Layout::contiguous("example", &[3, 1], Order::C).unwrap();
    /// let b = a.broadcast_to("broadcast_to", &[2, 3, 4]).unwrap();
    /// assert_eq!(b.strides(), &[0, 1, 0]);
    /// assert!(a.broadcast_to("broadcast_to", &[3]).is_err());
    /// ```
    pub fn broadcast_to(&self, op: &'static str, shape: &[usize]) -> Result<Layout> {
        let fits = shape.len() >= self.ndim()
            && self
                .shape()
                .iter()
                .zip(&shape[shape.len() - self.ndim()..])
                .all(|(&d, &t)| d == t || d == 1);
        if !fits {
            return Err(Error::Broadcast {
                op,
                shapes: vec![self.shape().to_vec(), shape.to_vec()],
                detail: "input and requested shape".into(),
            });
        }
        checked_size(shape).ok_or_else(|| Error::overflow(op, shape))?;
        Ok(Layout::new(
            shape.to_vec(),
            self.broadcast_strides(shape),
            self.offset(),
        ))
    }

    /// The strides of `self` aligned on the right to `out_shape`: 0 for new
    /// axes and for the input's length-1 axes, the input's stride elsewhere.
    /// Assumes the shapes broadcast (a `debug_assert!`).
    ///
    /// ```
    /// use strider::layout::{Layout, Order};
    /// let a = Layout::contiguous("example", &[1, 4], Order::C).unwrap();
    /// assert_eq!(a.broadcast_strides(&[2, 3, 4]), vec![0, 0, 1]);
    /// ```
    pub fn broadcast_strides(&self, out_shape: &[usize]) -> Vec<isize> {
        debug_assert!(
            out_shape.len() >= self.ndim(),
            "cannot broadcast to fewer axes"
        );
        let lead = out_shape.len().saturating_sub(self.ndim());
        let mut strides = vec![0isize; out_shape.len()];
        for (k, (&d, &s)) in self.shape().iter().zip(self.strides()).enumerate() {
            debug_assert!(
                d == 1 || d == out_shape[lead + k],
                "shapes do not broadcast"
            );
            if d != 1 {
                strides[lead + k] = s;
            }
        }
        strides
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Order;
    use crate::ErrorKind;

    fn c(shape: &[usize]) -> Layout {
        Layout::contiguous("test", shape, Order::C).unwrap()
    }

    #[test]
    fn shapes_from_numpy_tests() {
        let ok: &[(&[&[usize]], &[usize])] = &[
            (&[], &[]),
            (&[&[]], &[]),
            (&[&[7]], &[7]),
            (&[&[1, 2], &[2]], &[1, 2]),
            (&[&[1, 1], &[3, 4]], &[3, 4]),
            (&[&[1, 3], &[3, 1]], &[3, 3]),
            (&[&[0, 1], &[0, 0]], &[0, 0]),
            (&[&[0], &[1]], &[0]),
            (&[&[5, 6, 1]], &[5, 6, 1]),
        ];
        for (shapes, want) in ok {
            assert_eq!(broadcast_shapes("broadcast_shapes", shapes).unwrap(), *want);
        }
        for bad in [
            &[&[3][..], &[4]][..],
            &[&[2, 1], &[3, 3]],
            &[&[0], &[2]],
            &[&[1, 2], &[1, 1], &[3]],
        ] {
            let e = broadcast_shapes("broadcast_shapes", bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Broadcast);
            assert!(matches!(&e, Error::Broadcast { shapes, .. } if shapes.len() == bad.len()));
        }
    }

    #[test]
    fn broadcast_to_zeroes_unit_axes() {
        let b = c(&[1, 3]).broadcast_to("broadcast_to", &[1, 3]).unwrap();
        assert_eq!(b.strides(), &[0, 1]);
        let b = Layout::new(vec![3], vec![-2], 4)
            .broadcast_to("broadcast_to", &[2, 3])
            .unwrap();
        assert_eq!((b.strides(), b.offset()), (&[0, -2][..], 4));
        let b = c(&[1]).broadcast_to("broadcast_to", &[0]).unwrap();
        assert_eq!((b.shape(), b.strides()), (&[0][..], &[0][..]));
        let b = Layout::scalar(2)
            .broadcast_to("broadcast_to", &[2, 2])
            .unwrap();
        assert_eq!((b.strides(), b.offset()), (&[0, 0][..], 2));
    }

    #[test]
    fn broadcast_to_errors_name_both_shapes() {
        let e = c(&[3]).broadcast_to("broadcast_to", &[4]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "broadcast_to: operands could not be broadcast together with shapes (3,) (4,) (input and requested shape)"
        );
        assert_eq!(
            c(&[3])
                .broadcast_to("broadcast_to", &[])
                .unwrap_err()
                .kind(),
            ErrorKind::Broadcast
        );
        assert_eq!(
            c(&[0])
                .broadcast_to("broadcast_to", &[1])
                .unwrap_err()
                .kind(),
            ErrorKind::Broadcast
        );
        assert_eq!(
            c(&[1])
                .broadcast_to("broadcast_to", &[usize::MAX, 2])
                .unwrap_err()
                .kind(),
            ErrorKind::Value
        );
    }
}
