//! Memory overlap between arrays: NumPy's `shares_memory` (exact) and
//! `may_share_memory` (bounds only).

use super::Array;
use crate::layout::Layout;

impl Array {
    /// True when the two arrays have some byte in common (NumPy's exact
    /// `shares_memory`). Solved as a bounded linear Diophantine problem over
    /// the two layouts; no element is visited. The search is bounded (65,536
    /// steps, reached only by layouts of many long axes with unrelated
    /// strides); past the bound the answer is `true`, where NumPy raises
    /// `TooHardError`.
    ///
    /// ```
    /// use strider::{s, Array};
    /// let x = Array::arange_i64(0, 10, 1).unwrap();
    /// let evens = x.slice(s![..;2]).unwrap();
    /// let odds = x.slice(s![1..;2]).unwrap();
    /// assert!(!evens.shares_memory(&odds));
    /// assert!(evens.may_share_memory(&odds));
    /// assert!(evens.shares_memory(&x));
    /// ```
    pub fn shares_memory(&self, other: &Array) -> bool {
        self.buffer_id() == other.buffer_id() && layouts_intersect(&self.layout, &other.layout)
    }

    /// True when the byte ranges spanned by the two arrays overlap (NumPy's
    /// `may_share_memory`): cheap, and may say true when no byte is shared.
    ///
    /// ```
    /// use strider::{s, Array};
    /// let x = Array::arange_i64(0, 10, 1).unwrap();
    /// assert!(!x.slice(s![..5]).unwrap().may_share_memory(&x.slice(s![5..]).unwrap()));
    /// ```
    pub fn may_share_memory(&self, other: &Array) -> bool {
        self.buffer_id() == other.buffer_id() && extents_overlap(&self.layout, &other.layout)
    }
}

/// Whether the element ranges spanned by two layouts of one buffer overlap.
pub(crate) fn extents_overlap(a: &Layout, b: &Layout) -> bool {
    match (a.extent(), b.extent()) {
        (Some((alo, ahi)), Some((blo, bhi))) => alo <= bhi && blo <= ahi,
        _ => false,
    }
}

/// Whether two layouts of one buffer reach a common element.
pub(crate) fn layouts_intersect(a: &Layout, b: &Layout) -> bool {
    if !extents_overlap(a, b) {
        return false;
    }
    // Find i, j in range with a.off + sum(i*sa) == b.off + sum(j*sb):
    // sum(i*sa) - sum(j*sb) = b.off - a.off, then make every coefficient
    // positive by reflecting its variable (x -> u - x).
    let mut target = b.offset() as i128 - a.offset() as i128;
    let mut terms: Vec<(i128, i128)> = Vec::new();
    let mut push = |c: i128, u: i128, target: &mut i128| {
        if c == 0 || u == 0 {
            return;
        }
        if c < 0 {
            *target -= c * u;
            terms.push((-c, u));
        } else {
            terms.push((c, u));
        }
    };
    for (&n, &s) in a.shape().iter().zip(a.strides()) {
        push(s as i128, n as i128 - 1, &mut target);
    }
    for (&n, &s) in b.shape().iter().zip(b.strides()) {
        push(-(s as i128), n as i128 - 1, &mut target);
    }
    // Equal coefficients merge: x + y over [0,u1]x[0,u2] covers [0, u1+u2].
    terms.sort_by_key(|t| std::cmp::Reverse(t.0));
    let mut merged: Vec<(i128, i128)> = Vec::with_capacity(terms.len());
    for (c, u) in terms {
        match merged.last_mut() {
            Some(last) if last.0 == c => last.1 += u,
            _ => merged.push((c, u)),
        }
    }
    let mut rest_max = vec![0i128; merged.len() + 1];
    let mut rest_gcd = vec![0i128; merged.len() + 1];
    for k in (0..merged.len()).rev() {
        rest_max[k] = rest_max[k + 1] + merged[k].0 * merged[k].1;
        rest_gcd[k] = gcd(rest_gcd[k + 1], merged[k].0);
    }
    let mut budget = SOLVE_BUDGET;
    solve(&merged, &rest_max, &rest_gcd, 0, target, &mut budget)
}

/// The most search steps [`layouts_intersect`] takes before it stops and
/// answers `true` (they may share memory). The search is exponential in the
/// number of axes at worst; NumPy's `shares_memory` bounds it too (and
/// raises `TooHardError` there). Every caller uses `true` to copy aside,
/// which is always correct, so a hostile layout costs one copy, never a hang.
const SOLVE_BUDGET: u32 = 1 << 16;

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 {
        a.abs()
    } else {
        gcd(b, a % b)
    }
}

/// Is there x with sum(c_k x_k) == target, 0 <= x_k <= u_k, for k >= at?
/// Coefficients are sorted descending, so each level tries only the values
/// that the smaller terms can still make up.
fn solve(
    terms: &[(i128, i128)],
    rest_max: &[i128],
    rest_gcd: &[i128],
    at: usize,
    target: i128,
    budget: &mut u32,
) -> bool {
    if *budget == 0 {
        return true;
    }
    *budget -= 1;
    if target < 0 || target > rest_max[at] {
        return false;
    }
    if at == terms.len() {
        return target == 0;
    }
    if rest_gcd[at] != 0 && target % rest_gcd[at] != 0 {
        return false;
    }
    let (c, u) = terms[at];
    let after = rest_max[at + 1];
    let lo = ((target - after).max(0) + c - 1) / c;
    let hi = (target / c).min(u);
    (lo..=hi)
        .rev()
        .any(|x| solve(terms, rest_max, rest_gcd, at + 1, target - c * x, budget))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::SliceItem;

    fn naive(a: &Layout, b: &Layout) -> bool {
        let elems = |l: &Layout| {
            let mut v = Vec::new();
            let n = l.size();
            for lin in 0..n {
                let mut rem = lin;
                let mut idx = vec![0; l.ndim()];
                for ax in (0..l.ndim()).rev() {
                    idx[ax] = rem % l.shape()[ax];
                    rem /= l.shape()[ax];
                }
                v.push(l.element_index(&idx));
            }
            v
        };
        let ea = elems(a);
        elems(b).iter().any(|x| ea.contains(x))
    }

    #[test]
    fn agrees_with_naive_on_slices() {
        let base = Layout::new(vec![4, 6], vec![6, 1], 0);
        let slices = [
            vec![SliceItem::Slice {
                start: None,
                stop: None,
                step: Some(2),
            }],
            vec![SliceItem::Slice {
                start: Some(1),
                stop: None,
                step: Some(2),
            }],
            vec![
                SliceItem::full(),
                SliceItem::Slice {
                    start: None,
                    stop: None,
                    step: Some(3),
                },
            ],
            vec![
                SliceItem::full(),
                SliceItem::Slice {
                    start: Some(1),
                    stop: None,
                    step: Some(3),
                },
            ],
            vec![SliceItem::Index(2)],
            vec![SliceItem::full(), SliceItem::Index(5)],
            vec![
                SliceItem::Slice {
                    start: None,
                    stop: None,
                    step: Some(-1),
                },
                SliceItem::Slice {
                    start: Some(4),
                    stop: Some(0),
                    step: Some(-2),
                },
            ],
        ];
        let views: Vec<Layout> = slices.iter().map(|s| base.slice("t", s).unwrap()).collect();
        for a in &views {
            for b in &views {
                assert_eq!(layouts_intersect(a, b), naive(a, b), "{a} vs {b}");
            }
        }
        let t = base.transpose("t", None).unwrap();
        for v in &views {
            assert_eq!(layouts_intersect(&t, v), naive(&t, v));
        }
    }
}
