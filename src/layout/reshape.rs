//! Reshape and ravel without copying, when NumPy can (FORMAT 6.4, 6.5).
//!
//! [`Layout::reshape_view`] and [`Layout::ravel_view`] answer `None` when the
//! result needs a copy; the caller decides whether to copy or to fail.

use super::{checked_size, Layout, Order};
use crate::error::{Error, Result};

/// The new shape of a reshape with its `-1` (if any) replaced, checked against
/// the size of `from` (6.4 rule 2).
///
/// # Errors
///
/// A `Reshape` error naming both shapes when there is more than one `-1`, a
/// negative length other than `-1`, or the sizes differ. As in NumPy, a `-1`
/// next to a length 0 is an error (`(0, -1)` cannot be resolved).
///
/// ```
/// use strider::layout::reshape::resolve_shape;
/// assert_eq!(resolve_shape("reshape", &[3, 4], &[2, -1]).unwrap(), vec![2, 6]);
/// assert!(resolve_shape("reshape", &[3, 4], &[5, -1]).is_err());
/// assert!(resolve_shape("reshape", &[0, 3], &[-1, 0]).is_err());
/// ```
pub fn resolve_shape(op: &'static str, from: &[usize], to: &[isize]) -> Result<Vec<usize>> {
    let size: usize = from.iter().product();
    let fail = |reason: String| Error::Reshape {
        op,
        from: from.to_vec(),
        to: to.to_vec(),
        reason,
    };
    let mut unknown = None;
    let mut known: usize = 1;
    for (i, &d) in to.iter().enumerate() {
        if d == -1 {
            if unknown.replace(i).is_some() {
                return Err(fail("can only specify one unknown dimension".into()));
            }
        } else if d < 0 {
            return Err(fail(format!("negative dimension {d} is not allowed")));
        } else {
            known = known
                .checked_mul(d as usize)
                .filter(|&k| k <= isize::MAX as usize)
                .ok_or_else(|| fail(format!("the new shape does not fit {size} elements")))?;
        }
    }
    let mut shape: Vec<usize> = to.iter().map(|&d| d.max(0) as usize).collect();
    match unknown {
        Some(i) if known != 0 && size % known == 0 => shape[i] = size / known,
        Some(_) => {
            return Err(fail(format!(
                "cannot reshape array of size {size} into a shape whose known lengths multiply to {known}"
            )))
        }
        None if known != size => {
            return Err(fail(format!(
                "cannot reshape array of size {size} into a shape of size {known}"
            )))
        }
        None => {}
    }
    Ok(shape)
}

impl Layout {
    /// The layout of `reshape(new_shape, order)` as a view, or `None` when
    /// NumPy would copy (6.4). `new_shape` is already resolved
    /// ([`resolve_shape`]); a size mismatch also gives `None`. The rules:
    /// 1. the same shape keeps the same strides;
    /// 4. a C-contiguous input (F for `Order::F`) gets fresh dense strides,
    ///    without the size-0 zeroing;
    /// 5. otherwise NumPy's `_attempt_nocopy_reshape`: old length-1 axes are
    ///    dropped, old and new axes are grouped into runs of equal product, the
    ///    old axes of a run must merge, the new ones get strides ending
    ///    (starting, for F) in the run's old stride, and trailing new length-1
    ///    axes get the last stride computed (times the last length, for F).
    ///
    /// `Order::A` means F for an F- and not C-contiguous input, else C;
    /// `Order::K` (which NumPy refuses for reshape) counts as C. No data is
    /// copied.
    ///
    /// ```
    /// use strider::layout::{Layout, Order, SliceItem};
    /// let x = Layout::contiguous("example", &[3, 4], Order::C).unwrap();
    /// let v = x.slice("example", &[SliceItem::full(), SliceItem::step(2)]).unwrap();
    /// assert_eq!(v.reshape_view(&[6], Order::C).unwrap().strides(), &[2]);
    /// let t = x.transpose("example", None).unwrap();
    /// assert_eq!(t.reshape_view(&[12], Order::C), None); // needs a copy
    /// ```
    pub fn reshape_view(&self, new_shape: &[usize], order: Order) -> Option<Layout> {
        if new_shape == self.shape() {
            return Some(self.clone());
        }
        self.reshape_view_resolved(new_shape, order)
    }

    /// [`Layout::reshape_view`] without rule 1: the view NumPy makes when the
    /// shape *as written* differs from the old one although it resolves to
    /// it (NumPy compares the requested shape before replacing its `-1`, so
    /// `x.reshape(-1)` of a 1-D `x` goes through rules 4 and 5), and after a
    /// `copy=True` copy. Only the strides of length-1 axes and of empty
    /// arrays can differ from the ones rule 1 keeps. No data is copied.
    ///
    /// ```
    /// use strider::layout::{Layout, Order, SliceItem};
    /// let x = Layout::contiguous("example", &[4], Order::C).unwrap();
    /// let last = x.slice("example", &[SliceItem::range_step(3, 4, 1)]).unwrap();
    /// let rev = last.slice("example", &[SliceItem::step(-1)]).unwrap(); // (1,), stride -1
    /// assert_eq!(rev.reshape_view(&[1], Order::C).unwrap().strides(), &[-1]);
    /// assert_eq!(rev.reshape_view_resolved(&[1], Order::C).unwrap().strides(), &[1]);
    /// ```
    pub fn reshape_view_resolved(&self, new_shape: &[usize], order: Order) -> Option<Layout> {
        if checked_size(new_shape) != Some(self.size()) {
            return None;
        }
        let (c, f) = (self.is_c_contiguous(), self.is_f_contiguous());
        let fortran = match order {
            Order::F => true,
            Order::A => f && !c,
            Order::C | Order::K => false,
        };
        let order = if fortran { Order::F } else { Order::C };
        let strides = if (fortran && f) || (!fortran && c) {
            Layout::dense_strides(new_shape, order)
        } else {
            self.attempt_nocopy_reshape(new_shape, fortran)?
        };
        Some(Layout::new(new_shape.to_vec(), strides, self.offset()))
    }

    /// NumPy's `_attempt_nocopy_reshape` (6.4 rule 5) for a non-empty,
    /// non-contiguous input of the same size.
    fn attempt_nocopy_reshape(&self, new: &[usize], fortran: bool) -> Option<Vec<isize>> {
        let old: Vec<(usize, isize)> = (0..self.ndim())
            .filter(|&a| self.shape()[a] != 1)
            .map(|a| (self.shape()[a], self.strides()[a]))
            .collect();
        let mut ns = vec![0isize; new.len()];
        // Runs: old axes oi..oj and new axes ni..nj have the same product.
        let (mut oi, mut oj, mut ni, mut nj) = (0, 1, 0, 1);
        while ni < new.len() && oi < old.len() {
            let (mut np, mut op) = (new[ni], old[oi].0);
            while np != op {
                if np < op {
                    np = np.checked_mul(*new.get(nj)?)?;
                    nj += 1;
                } else {
                    op = op.checked_mul(old.get(oj)?.0)?;
                    oj += 1;
                }
            }
            for k in oi..oj - 1 {
                let ((d0, s0), (d1, s1)) = (old[k], old[k + 1]);
                let mergeable = match fortran {
                    true => s1 == (d0 as isize).checked_mul(s0)?,
                    false => s0 == (d1 as isize).checked_mul(s1)?,
                };
                if !mergeable {
                    return None;
                }
            }
            if fortran {
                ns[ni] = old[oi].1;
                for k in ni + 1..nj {
                    ns[k] = ns[k - 1].checked_mul(new[k - 1] as isize)?;
                }
            } else {
                ns[nj - 1] = old[oj - 1].1;
                for k in (ni + 1..nj).rev() {
                    ns[k - 1] = ns[k].checked_mul(new[k] as isize)?;
                }
            }
            (ni, nj, oi, oj) = (nj, nj + 1, oj, oj + 1);
        }
        // Trailing new length-1 axes.
        let mut last = if ni >= 1 { ns[ni - 1] } else { 1 };
        if fortran && ni >= 1 {
            last = last.checked_mul(new[ni - 1] as isize)?;
        }
        ns[ni..].fill(last);
        Some(ns)
    }

    /// The layout of `ravel(order)` as a view, or `None` when ravel copies
    /// (6.5): `K` becomes C for a C-contiguous input, else F for an
    /// F-contiguous one; `A` becomes F for an F- and not C-contiguous input,
    /// else C. C on a C-contiguous input or F on an F-contiguous one is a view,
    /// and so is a remaining `K` whose signed strides, sorted by `|stride|`
    /// (largest first, stable) and skipping length-1 axes, are dense and
    /// positive. The view is 1-D with stride 1 and the same offset. No data is
    /// copied.
    ///
    /// ```
    /// use strider::layout::{Layout, Order, SliceItem};
    /// let a = Layout::contiguous("example", &[10], Order::C).unwrap();
    /// let every_other = a.slice("example", &[SliceItem::step(2)]).unwrap();
    /// assert_eq!(every_other.ravel_view(Order::C), None); // ravel copies
    /// let t = Layout::contiguous("example", &[2, 3], Order::C).unwrap().transpose("example", None).unwrap();
    /// assert_eq!(t.ravel_view(Order::K).unwrap().strides(), &[1]);
    /// ```
    pub fn ravel_view(&self, order: Order) -> Option<Layout> {
        let (c, f) = (self.is_c_contiguous(), self.is_f_contiguous());
        let order = match order {
            Order::K if c => Order::C,
            Order::K if f => Order::F,
            Order::A => match f && !c {
                true => Order::F,
                false => Order::C,
            },
            other => other,
        };
        let view = match order {
            Order::C => c,
            Order::F => f,
            _ => {
                let mut axes: Vec<usize> = (0..self.ndim()).collect();
                axes.sort_by_key(|&a| std::cmp::Reverse(self.strides()[a].unsigned_abs()));
                let mut expected: isize = 1;
                axes.iter()
                    .rev()
                    .filter(|&&a| self.shape()[a] != 1)
                    .all(|&a| {
                        let dense = self.strides()[a] == expected;
                        expected = expected.saturating_mul(self.shape()[a] as isize);
                        dense
                    })
            }
        };
        view.then(|| Layout::new(vec![self.size()], vec![1], self.offset()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::SliceItem;
    use crate::ErrorKind;

    fn c(shape: &[usize]) -> Layout {
        Layout::contiguous("test", shape, Order::C).unwrap()
    }

    fn parts(l: &Layout) -> (Vec<usize>, Vec<isize>, usize) {
        (l.shape().to_vec(), l.strides().to_vec(), l.offset())
    }

    #[test]
    fn resolve_fills_minus_one_and_checks_size() {
        assert_eq!(resolve_shape("reshape", &[2, 3], &[-1]).unwrap(), vec![6]);
        assert_eq!(
            resolve_shape("reshape", &[0, 3], &[3, 0]).unwrap(),
            vec![3, 0]
        );
        assert_eq!(
            resolve_shape("reshape", &[], &[1, -1, 1]).unwrap(),
            vec![1, 1, 1]
        );
        for bad in [
            &[-1, -1][..],
            &[4, 4],
            &[5, -1],
            &[-2, 3],
            &[1],
            &[isize::MAX, 4],
        ] {
            let e = resolve_shape("reshape", &[3, 4], bad).unwrap_err();
            assert_eq!(
                (e.kind(), e.op()),
                (ErrorKind::Reshape, "reshape"),
                "{bad:?}"
            );
        }
        let e = resolve_shape("reshape", &[0, 3], &[-1, 0]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("reshape: cannot reshape array of shape (0, 3) into shape (-1, 0)"),
            "{e}"
        );
        assert!(resolve_shape("reshape", &[0, 3], &[1]).is_err());
    }

    #[test]
    fn reshape_rules_from_format_6_4() {
        // x[:, ::2] of a (3, 4) array reshapes to (6,) with stride 2.
        let x = c(&[3, 4])
            .slice("t", &[SliceItem::full(), SliceItem::step(2)])
            .unwrap();
        assert_eq!(
            parts(&x.reshape_view(&[6], Order::C).unwrap()),
            (vec![6], vec![2], 0)
        );
        // arange(4)[::-1].reshape(2,2).reshape(-1) has stride -1.
        let r = c(&[4]).slice("t", &[SliceItem::step(-1)]).unwrap();
        let r2 = r.reshape_view(&[2, 2], Order::C).unwrap();
        assert_eq!(parts(&r2), (vec![2, 2], vec![-2, -1], 3));
        assert_eq!(
            parts(&r2.reshape_view(&[4], Order::C).unwrap()),
            (vec![4], vec![-1], 3)
        );
        // Rule 1: same shape keeps even non-contiguous strides.
        assert_eq!(x.reshape_view(&[3, 2], Order::C).unwrap(), x);
        // Transposed / F inputs in C order: copy unless only splitting or adding 1s.
        let t = c(&[3, 4]).transpose("t", None).unwrap();
        assert_eq!(t.reshape_view(&[12], Order::C), None);
        assert_eq!(t.reshape_view(&[2, 6], Order::C), None);
        assert_eq!(
            parts(&t.reshape_view(&[2, 2, 1, 3], Order::C).unwrap()),
            (vec![2, 2, 1, 3], vec![2, 1, 12, 4], 0)
        );
        assert_eq!(
            parts(&t.reshape_view(&[12], Order::F).unwrap()),
            (vec![12], vec![1], 0)
        );
        assert_eq!(
            parts(&t.reshape_view(&[12], Order::A).unwrap()),
            (vec![12], vec![1], 0)
        );
        // Rule 4: C-contiguous input gets fresh strides, length-1 axes included.
        assert_eq!(
            parts(&c(&[6]).reshape_view(&[1, 2, 3, 1], Order::C).unwrap()).1,
            vec![6, 3, 1, 1]
        );
        assert_eq!(
            parts(&c(&[0, 3]).reshape_view(&[3, 0], Order::C).unwrap()).1,
            vec![1, 1]
        );
        // Trailing new 1s take the last stride (times the last length in F).
        let y = c(&[4, 6]).slice("t", &[SliceItem::step(2)]).unwrap(); // (2, 6), strides (12, 1)
        assert_eq!(
            parts(&y.reshape_view(&[2, 6, 1], Order::C).unwrap()).1,
            vec![12, 1, 1]
        );
        let z = y.transpose("t", None).unwrap(); // (6, 2), strides (1, 12)
        assert_eq!(
            parts(&z.reshape_view(&[6, 2, 1], Order::F).unwrap()).1,
            vec![1, 12, 24]
        );
        // Size mismatch is None, not a panic.
        assert_eq!(x.reshape_view(&[7], Order::C), None);
    }

    #[test]
    fn ravel_rules_from_format_6_5() {
        let every_other = c(&[10]).slice("t", &[SliceItem::step(2)]).unwrap();
        assert_eq!(every_other.ravel_view(Order::C), None);
        assert_eq!(every_other.ravel_view(Order::K), None);
        assert!(every_other.reshape_view(&[5], Order::C).is_some());
        let t = c(&[2, 3, 4]).transpose("t", Some(&[1, 0, 2])).unwrap();
        assert_eq!(t.ravel_view(Order::C), None);
        assert_eq!(t.ravel_view(Order::F), None);
        assert_eq!(t.ravel_view(Order::A), None);
        assert_eq!(
            parts(&t.ravel_view(Order::K).unwrap()),
            (vec![24], vec![1], 0)
        );
        let rev = c(&[2, 3]).flip("t", Some(&[0])).unwrap();
        assert_eq!(rev.ravel_view(Order::K), None); // negative strides are not dense
        let f = c(&[2, 3]).transpose("t", None).unwrap();
        assert!(f.ravel_view(Order::F).is_some() && f.ravel_view(Order::A).is_some());
        assert_eq!(f.ravel_view(Order::C), None);
        assert_eq!(
            parts(&Layout::scalar(4).ravel_view(Order::C).unwrap()),
            (vec![1], vec![1], 4)
        );
        let unit = Layout::new(vec![3, 1], vec![1, 9], 2);
        assert_eq!(
            parts(&unit.ravel_view(Order::C).unwrap()),
            (vec![3], vec![1], 2)
        );
    }
}
