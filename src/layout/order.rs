//! Memory orders, and where NumPy puts the elements of a *new* result:
//! copies (6.3), flatten, `binary` (6.6), `reduce` and `concatenate` (6.7),
//! and advanced indexing (6.8).
//!
//! Every rule ends the same way: choose an axis order, slowest first (a
//! *perm*), then give the result dense strides in that order
//! ([`dense_layout_for_perm`]). A fresh allocation of size 0 has every stride 0.

use super::Layout;
use std::cmp::Reverse;

/// A memory order, as NumPy's `order=` argument.
///
/// ```
/// use strider::layout::Order;
/// assert_eq!(Order::default(), Order::C);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Order {
    /// Row-major: the last axis is fastest.
    #[default]
    C,
    /// Column-major: the first axis is fastest.
    F,
    /// F if the input is F-contiguous and not C-contiguous, else C.
    A,
    /// Keep the input's memory order as closely as possible.
    K,
}

/// Folds the votes of several operands on "should axis j0 move past j1?":
/// `None` abstains, the first vote decides, and a later `false` cancels a
/// move (so C order wins conflicts, as in NumPy).
fn combine(votes: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    votes
        .flatten()
        .fold(None, |acc, v| Some(v && acc.unwrap_or(true)))
}

/// NumPy's custom stable insertion sort (NpyIter and
/// `PyArray_CreateMultiSortedStridePerm`): each entry moves towards the front
/// past every entry that `decide(entry, other)` says it should, skips the
/// undecided ones, and stops at the first "no".
pub(super) fn insertion_sort(perm: &mut [usize], decide: impl Fn(usize, usize) -> Option<bool>) {
    for i0 in 1..perm.len() {
        let j0 = perm[i0];
        let mut ipos = i0;
        for i1 in (0..i0).rev() {
            match decide(j0, perm[i1]) {
                Some(true) => ipos = i1,
                Some(false) => break,
                None => {}
            }
        }
        perm[ipos..=i0].rotate_right(1);
    }
}

/// The axis order of NumPy's iterator (NpyIter, FORMAT 6.6 step 2) over
/// operands already broadcast to `shape`, slowest first. Strides of length-1
/// axes count as 0. Starting from the axes fastest first, axis `j0` moves
/// faster than `j1` when the first operand with both strides nonzero has
/// `|s[j0]| < |s[j1]|`; any later operand with `|s[j1]| <= |s[j0]|` cancels,
/// so C order wins conflicts and ties.
///
/// ```
/// use strider::layout::order::iter_perm;
/// assert_eq!(iter_perm(&[2, 3], &[&[1, 2]]), vec![1, 0]); // F input: F order
/// assert_eq!(iter_perm(&[2, 3], &[&[1, 2], &[3, 1]]), vec![0, 1]); // conflict: C
/// assert_eq!(iter_perm(&[2, 3], &[&[0, 0]]), vec![0, 1]);
/// ```
pub fn iter_perm(shape: &[usize], operand_strides: &[&[isize]]) -> Vec<usize> {
    debug_assert!(operand_strides.iter().all(|s| s.len() == shape.len()));
    let abs = |s: &[isize], ax: usize| {
        if shape[ax] == 1 {
            0
        } else {
            s[ax].unsigned_abs()
        }
    };
    let mut fastest_first: Vec<usize> = (0..shape.len()).rev().collect();
    insertion_sort(&mut fastest_first, |j0, j1| {
        combine(operand_strides.iter().map(|s| {
            let (s0, s1) = (abs(s, j0), abs(s, j1));
            (s0 != 0 && s1 != 0).then_some(s0 < s1)
        }))
    });
    fastest_first.reverse();
    fastest_first
}

/// A fresh allocation of `shape` laid out in the axis order `perm` (slowest
/// first): the last axis of `perm` has stride 1, each earlier one the product
/// of the lengths after it. Size 0 gives every stride 0; the offset is 0.
///
/// ```
/// use strider::layout::order::dense_layout_for_perm;
/// assert_eq!(dense_layout_for_perm(&[2, 3, 4], &[1, 2, 0]).strides(), &[1, 8, 2]);
/// assert_eq!(dense_layout_for_perm(&[2, 0], &[0, 1]).strides(), &[0, 0]);
/// ```
pub fn dense_layout_for_perm(shape: &[usize], perm: &[usize]) -> Layout {
    debug_assert!(
        super::is_permutation(perm, shape.len()),
        "not a permutation"
    );
    let mut strides = vec![0isize; shape.len()];
    if !shape.contains(&0) {
        let mut next: isize = 1;
        for &ax in perm.iter().rev() {
            strides[ax] = next;
            next = next.saturating_mul(shape[ax] as isize);
        }
    }
    Layout::new(shape.to_vec(), strides, 0)
}

/// [`dense_layout_for_perm`] in C or F order, without building the
/// permutation (the common ufunc result, on every small call).
fn dense_layout_in(shape: &[usize], order: Order) -> Layout {
    let strides = if shape.contains(&0) {
        vec![0; shape.len()]
    } else {
        Layout::dense_strides(shape, order)
    };
    Layout::new(shape.to_vec(), strides, 0)
}

fn c_perm(n: usize) -> Vec<usize> {
    (0..n).collect()
}

fn f_perm(n: usize) -> Vec<usize> {
    (0..n).rev().collect()
}

/// Axes sorted by `|stride|`, largest first, stable (NumPy's
/// `PyArray_CreateSortedStridePerm`).
fn sorted_stride_perm(l: &Layout) -> Vec<usize> {
    let mut perm = c_perm(l.ndim());
    perm.sort_by_key(|&a| Reverse(l.strides()[a].unsigned_abs()));
    perm
}

/// The layout of a copy (`copy`, `astype`) of `src` in `order`, a fresh
/// allocation (6.3): C or F strides; `A` is F for an F- and not C-contiguous
/// input, else C; `K` is C for a C-contiguous input (or `ndim <= 1`), else F
/// for an F-contiguous one, else the axes sorted by `|stride|` (largest
/// first, stable) get dense strides. Never negative strides.
///
/// ```
/// use strider::layout::{Layout, Order, order::copy_layout};
/// let t = Layout::new(vec![4, 2, 3], vec![1, -12, 4], 12); // a transposed, flipped view
/// assert_eq!(copy_layout(&t, Order::K).strides(), &[1, 12, 4]);
/// assert_eq!(copy_layout(&t, Order::A).strides(), &[6, 3, 1]);
/// ```
pub fn copy_layout(src: &Layout, order: Order) -> Layout {
    let (c, f) = (src.is_c_contiguous(), src.is_f_contiguous());
    let n = src.ndim();
    let perm = match order {
        Order::F => f_perm(n),
        Order::A if f && !c => f_perm(n),
        Order::K if c || n <= 1 => c_perm(n),
        Order::K if f => f_perm(n),
        Order::K => sorted_stride_perm(src),
        _ => c_perm(n),
    };
    dense_layout_for_perm(src.shape(), &perm)
}

/// The axis order (slowest first) in which `flatten(order)`, and a `ravel`
/// that copies, visit the elements of `src`: C is the identity, F reversed,
/// `A` as F for an F- and not C-contiguous input, else C, and `K` is memory
/// order: NumPy's iterator order over `src`'s strides ([`iter_perm`]), which
/// sorts by `|stride|`, so negative strides are not reversed and broadcast
/// (stride-0) axes keep their C position.
///
/// ```
/// use strider::layout::{Layout, Order, order::flatten_perm};
/// let t = Layout::new(vec![3, 2], vec![1, -3], 3);
/// assert_eq!(flatten_perm(&t, Order::K), vec![1, 0]);
/// assert_eq!(flatten_perm(&t, Order::C), vec![0, 1]);
/// ```
pub fn flatten_perm(src: &Layout, order: Order) -> Vec<usize> {
    let n = src.ndim();
    match order {
        Order::F => f_perm(n),
        Order::A if src.is_f_contiguous() && !src.is_c_contiguous() => f_perm(n),
        Order::K => iter_perm(src.shape(), &[src.strides()]),
        _ => c_perm(n),
    }
}

/// The layout of a `binary` result of shape `out_shape` (NumPy ufunc, order
/// K, FORMAT 6.6), from the operands' layouts *before* broadcasting. Size 0:
/// every stride 0. Fast path: when every non-0-d operand has exactly
/// `out_shape` and all are contiguous in one compatible order (1-D operands
/// and operands both C- and F-contiguous fit any), the result is C, or F when
/// the operands are F. Otherwise the [`iter_perm`] order over the broadcast
/// strides. Never negative strides.
///
/// ```
/// use strider::layout::{Layout, Order, order::binary_output_layout};
/// let a = Layout::contiguous("example", &[3, 4], Order::C).unwrap();
/// let t = a.transpose("example", None).unwrap();
/// assert_eq!(binary_output_layout(&[4, 3], &[&t, &t]).strides(), &[1, 4]); // F
/// assert_eq!(binary_output_layout(&[4, 3], &[&t, &a.transpose("example", None).unwrap()]).strides(), &[1, 4]);
/// let c = Layout::contiguous("example", &[4, 3], Order::C).unwrap();
/// assert_eq!(binary_output_layout(&[4, 3], &[&t, &c]).strides(), &[3, 1]); // a.T + b: C wins
/// ```
pub fn binary_output_layout(out_shape: &[usize], operands: &[&Layout]) -> Layout {
    let mut fast_order = Some(None::<Order>);
    for l in operands.iter().filter(|l| l.ndim() > 0) {
        if l.shape() != out_shape {
            fast_order = None;
            break;
        }
        if l.ndim() == 1 {
            continue;
        }
        let this = match (l.is_c_contiguous(), l.is_f_contiguous()) {
            (true, true) => continue,
            (true, false) => Order::C,
            (false, true) => Order::F,
            (false, false) => {
                fast_order = None;
                break;
            }
        };
        match fast_order {
            Some(Some(o)) if o != this => {
                fast_order = None;
                break;
            }
            _ => fast_order = Some(Some(this)),
        }
    }
    match fast_order {
        Some(Some(Order::F)) => dense_layout_in(out_shape, Order::F),
        Some(_) => dense_layout_in(out_shape, Order::C),
        None => iter_output_layout(out_shape, operands),
    }
}

/// The layout NumPy's iterator (NpyIter) allocates for a ufunc result of
/// shape `out_shape`: dense strides in the [`iter_perm`] order of the
/// operands broadcast to `out_shape` (6.6 without the fast path). Size 0:
/// every stride 0.
///
/// ```
/// use strider::layout::{Layout, Order, order::iter_output_layout};
/// let f = Layout::contiguous("example", &[1, 3, 2], Order::F).unwrap();
/// // The length-1 axis keeps its place (an F allocation would give it stride 1).
/// assert_eq!(iter_output_layout(&[1, 3, 2], &[&f]).strides(), &[6, 1, 3]);
/// ```
pub fn iter_output_layout(out_shape: &[usize], operands: &[&Layout]) -> Layout {
    let strides: Vec<Vec<isize>> = operands
        .iter()
        .map(|l| l.broadcast_strides(out_shape))
        .collect();
    let views: Vec<&[isize]> = strides.iter().map(|s| s.as_slice()).collect();
    dense_layout_for_perm(out_shape, &iter_perm(out_shape, &views))
}

/// The layout of a ufunc result when `casts[i]` says whether operand `i`
/// must be cast to the loop dtype. NumPy copies a 0-d or 1-d operand that
/// needs a cast and keeps its fast path ([`binary_output_layout`]), but an
/// operand of two or more dimensions that needs one sends the call through
/// its iterator ([`iter_output_layout`]). The two differ only in the strides
/// of length-1 axes.
///
/// ```
/// use strider::layout::{Layout, Order, order::ufunc_output_layout};
/// let f = Layout::contiguous("example", &[1, 3, 2], Order::F).unwrap();
/// assert_eq!(ufunc_output_layout(&[1, 3, 2], &[&f, &f], &[false, false]).strides(), &[1, 1, 3]);
/// assert_eq!(ufunc_output_layout(&[1, 3, 2], &[&f, &f], &[true, false]).strides(), &[6, 1, 3]);
/// ```
pub fn ufunc_output_layout(out_shape: &[usize], operands: &[&Layout], casts: &[bool]) -> Layout {
    let cast_nd = operands
        .iter()
        .zip(casts)
        .any(|(l, &cast)| cast && l.ndim() >= 2);
    match cast_nd {
        true => iter_output_layout(out_shape, operands),
        false => binary_output_layout(out_shape, operands),
    }
}

/// The layout of a `sum`/`mean`/`max`/`min` result (6.7): the [`iter_perm`]
/// order of the input, dense strides for the kept shape (reduced axes of
/// length 1), then the reduced axes dropped unless `keepdims`. `axes` are
/// normalized, distinct and sorted. (`argmax`/`argmin` results are plain C.)
///
/// ```
/// use strider::layout::{Layout, Order, order::reduce_output_layout};
/// let f = Layout::contiguous("example", &[2, 3, 4], Order::F).unwrap();
/// assert_eq!(reduce_output_layout(&f, &[1], false).strides(), &[1, 2]);
/// assert_eq!(reduce_output_layout(&f, &[1], true).strides(), &[1, 2, 2]);
/// ```
pub fn reduce_output_layout(input: &Layout, axes: &[usize], keepdims: bool) -> Layout {
    debug_assert!(axes.windows(2).all(|w| w[0] < w[1]) && axes.iter().all(|&a| a < input.ndim()));
    let perm = iter_perm(input.shape(), &[input.strides()]);
    let kept: Vec<usize> = (0..input.ndim())
        .map(|a| {
            if axes.contains(&a) {
                1
            } else {
                input.shape()[a]
            }
        })
        .collect();
    let full = dense_layout_for_perm(&kept, &perm);
    if keepdims {
        return full;
    }
    let keep = (0..input.ndim()).filter(|a| !axes.contains(a));
    let (shape, strides) = keep.map(|a| (full.shape()[a], full.strides()[a])).unzip();
    Layout::new(shape, strides, 0)
}

/// The layout of a `concatenate` result of shape `out_shape` (6.7, NumPy's
/// `PyArray_CreateMultiSortedStridePerm`): a stable insertion sort, slowest
/// first from C order, where an input votes on a pair of axes when both have
/// length != 1 in it (moving the axis with the larger `|stride|` ahead; a
/// later "no" cancels, so C wins conflicts); then dense strides.
///
/// ```
/// use strider::layout::{Layout, Order, order::concat_output_layout};
/// let t = Layout::contiguous("example", &[3, 2], Order::C).unwrap().transpose("example", None).unwrap();
/// assert_eq!(concat_output_layout(&[&t, &t], &[4, 3]).strides(), &[1, 4]); // F
/// ```
pub fn concat_output_layout(inputs: &[&Layout], out_shape: &[usize]) -> Layout {
    debug_assert!(inputs.iter().all(|l| l.ndim() == out_shape.len()));
    let mut perm = c_perm(out_shape.len());
    insertion_sort(&mut perm, |j0, j1| {
        combine(inputs.iter().map(|l| {
            let (d, s) = (l.shape(), l.strides());
            (d[j0] != 1 && d[j1] != 1).then(|| s[j0].unsigned_abs() > s[j1].unsigned_abs())
        }))
    });
    dense_layout_for_perm(out_shape, &perm)
}

/// The layout of an advanced-indexing result (6.8), as NumPy's `mapiter`
/// allocates it. The broadcast index shape B occupies result axes
/// `b_start..b_start + b_ndim`; `index_layouts` are the index arrays (0-d for
/// integers), broadcast to B here if they are not already. With no other
/// axes, the result follows the [`iter_perm`] order of the index arrays.
/// Otherwise the memory is one block B + subspace: B on top (in C order, or
/// in the index arrays' iterator order when the subspace has size 1), and the
/// subspace
/// (the remaining result axes, whose source strides are
/// `subspace_src_strides`, in result order) below it, its axes sorted by
/// `|stride|`, largest first, stable (NumPy's `PyArray_CreateSortedStridePerm`
/// on the subspace view); the block is then transposed so that B lands at
/// `b_start`.
///
/// ```
/// use strider::layout::order::fancy_output_layout;
/// // x[:, [0, 2]] of a C (3, 4) array: B = (2,) at axis 1, subspace = axis 0 (stride 4).
/// assert_eq!(fancy_output_layout(&[3, 2], 1, 1, &[], &[4]).strides(), &[1, 3]);
/// ```
pub fn fancy_output_layout(
    result_shape: &[usize],
    b_start: usize,
    b_ndim: usize,
    index_layouts: &[&Layout],
    subspace_src_strides: &[isize],
) -> Layout {
    let n = result_shape.len();
    debug_assert!(b_start + b_ndim <= n);
    let b_shape = &result_shape[b_start..b_start + b_ndim];
    let strides: Vec<Vec<isize>> = index_layouts
        .iter()
        .map(|l| l.broadcast_strides(b_shape))
        .collect();
    let views: Vec<&[isize]> = strides.iter().map(|s| s.as_slice()).collect();
    let sub: Vec<usize> = (0..n)
        .filter(|a| !(b_start..b_start + b_ndim).contains(a))
        .collect();
    let b_perm = match sub.iter().map(|&a| result_shape[a]).product::<usize>() {
        1 => iter_perm(b_shape, &views),
        _ => c_perm(b_ndim),
    };
    let b_perm = b_perm.into_iter().map(|k| b_start + k);
    debug_assert_eq!(sub.len(), subspace_src_strides.len());
    let mut sub_perm: Vec<usize> = (0..sub.len()).collect();
    sub_perm.sort_by_key(|&k| Reverse(subspace_src_strides[k].unsigned_abs()));
    let perm: Vec<usize> = b_perm.chain(sub_perm.into_iter().map(|k| sub[k])).collect();
    dense_layout_for_perm(result_shape, &perm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::SliceItem;

    fn c(shape: &[usize]) -> Layout {
        Layout::contiguous("test", shape, Order::C).unwrap()
    }

    fn f(shape: &[usize]) -> Layout {
        Layout::contiguous("test", shape, Order::F).unwrap()
    }

    #[test]
    fn dense_layout_in_is_the_c_and_f_permutations() {
        for shape in [&[][..], &[3], &[2, 3, 4], &[2, 0, 3], &[1, 5, 1]] {
            let n = shape.len();
            assert_eq!(
                dense_layout_in(shape, Order::C),
                dense_layout_for_perm(shape, &c_perm(n))
            );
            assert_eq!(
                dense_layout_in(shape, Order::F),
                dense_layout_for_perm(shape, &f_perm(n))
            );
        }
    }

    #[test]
    fn iter_perm_votes() {
        // Undecided pairs are skipped: the zero stride on axis 1 does not block.
        assert_eq!(iter_perm(&[2, 3, 4], &[&[1, 0, 2]]), vec![1, 2, 0]);
        // Later operands can cancel a move but never start one.
        assert_eq!(iter_perm(&[2, 3], &[&[3, 1], &[1, 2]]), vec![0, 1]);
        assert_eq!(iter_perm(&[2, 3], &[&[0, 0], &[1, 2]]), vec![1, 0]);
        // Length-1 axes count as stride 0.
        assert_eq!(iter_perm(&[3, 1], &[&[1, 3]]), vec![0, 1]);
        assert_eq!(iter_perm(&[], &[]), Vec::<usize>::new());
        // Negative strides sort by magnitude.
        assert_eq!(iter_perm(&[2, 3], &[&[-1, 2]]), vec![1, 0]);
    }

    #[test]
    fn copy_orders_follow_6_3() {
        let t = c(&[2, 3, 4]).transpose("t", Some(&[1, 0, 2])).unwrap(); // strides (4, 12, 1)
        assert_eq!(copy_layout(&t, Order::K).strides(), &[4, 12, 1]);
        assert_eq!(copy_layout(&t, Order::C).strides(), &[8, 4, 1]);
        assert_eq!(copy_layout(&t, Order::F).strides(), &[1, 3, 6]);
        assert_eq!(copy_layout(&t, Order::A).strides(), &[8, 4, 1]);
        assert_eq!(copy_layout(&f(&[2, 3]), Order::A).strides(), &[1, 2]);
        assert_eq!(copy_layout(&f(&[2, 3]), Order::K).strides(), &[1, 2]);
        let neg = c(&[2, 3]).flip("t", None).unwrap();
        assert_eq!(copy_layout(&neg, Order::K).strides(), &[3, 1]);
        // 1-D: always C; size 0: zeros.
        let rev = c(&[5]).slice("t", &[SliceItem::step(-2)]).unwrap();
        assert_eq!(copy_layout(&rev, Order::K).strides(), &[1]);
        assert_eq!(copy_layout(&c(&[0, 3]), Order::F).strides(), &[0, 0]);
        // Broadcast input: stride-0 axes sort last (fastest).
        let b = c(&[4]).broadcast_to("t", &[3, 4]).unwrap();
        assert_eq!(copy_layout(&b, Order::K).strides(), &[1, 3]);
    }

    #[test]
    fn flatten_orders() {
        let b = c(&[4]).broadcast_to("t", &[3, 4]).unwrap();
        assert_eq!(flatten_perm(&b, Order::K), vec![0, 1]);
        let f2 = f(&[2, 3]);
        assert_eq!(flatten_perm(&f2, Order::A), vec![1, 0]);
        assert_eq!(flatten_perm(&f2, Order::K), vec![1, 0]);
        assert_eq!(flatten_perm(&f2, Order::C), vec![0, 1]);
        assert_eq!(flatten_perm(&c(&[2, 3]), Order::F), vec![1, 0]);
    }

    #[test]
    fn binary_layouts_follow_6_6() {
        let a = c(&[3, 4]);
        let at = a.transpose("t", None).unwrap();
        // a.T + a.T is F; a.T + b (C) is C; both through any path.
        assert_eq!(
            binary_output_layout(&[4, 3], &[&at, &at]).strides(),
            &[1, 4]
        );
        assert_eq!(
            binary_output_layout(&[4, 3], &[&at, &c(&[4, 3])]).strides(),
            &[3, 1]
        );
        assert_eq!(
            binary_output_layout(&[4, 3], &[&c(&[4, 3]), &at]).strides(),
            &[3, 1]
        );
        // Broadcasting F with a row: iterator keeps F.
        assert_eq!(
            binary_output_layout(&[4, 3], &[&at, &c(&[3])]).strides(),
            &[1, 4]
        );
        // Negative strides never make negative output strides.
        let neg = a.flip("t", None).unwrap();
        assert_eq!(
            binary_output_layout(&[3, 4], &[&neg, &Layout::scalar(0)]).strides(),
            &[4, 1]
        );
        // Size 0: zeros. 0-d: 0-d.
        assert_eq!(
            binary_output_layout(&[0, 3], &[&c(&[0, 3]), &c(&[3])]).strides(),
            &[0, 0]
        );
        assert_eq!(binary_output_layout(&[], &[&Layout::scalar(3)]).ndim(), 0);
        // A sliced F operand: not contiguous, iterator order F.
        let fs = f(&[4, 6])
            .slice("t", &[SliceItem::full(), SliceItem::step(2)])
            .unwrap();
        assert_eq!(
            binary_output_layout(&[4, 3], &[&fs, &fs]).strides(),
            &[1, 4]
        );
    }

    #[test]
    fn reduce_and_concat_follow_6_7() {
        let a = c(&[2, 3, 4]);
        assert_eq!(reduce_output_layout(&a, &[1], false).strides(), &[4, 1]);
        assert_eq!(reduce_output_layout(&a, &[0, 1, 2], false).ndim(), 0);
        let t = a.transpose("t", None).unwrap(); // (4, 3, 2) strides (1, 4, 12)
        assert_eq!(reduce_output_layout(&t, &[0], false).strides(), &[1, 3]);
        assert_eq!(reduce_output_layout(&t, &[], false).strides(), &[1, 4, 12]);
        assert_eq!(
            reduce_output_layout(&c(&[0, 3]), &[0], false).strides(),
            &[1]
        );
        assert_eq!(
            reduce_output_layout(&c(&[0, 3]), &[1], true).strides(),
            &[0, 0]
        );

        let ft = c(&[3, 2]).transpose("t", None).unwrap(); // (2, 3) strides (1, 2)
        assert_eq!(
            concat_output_layout(&[&ft, &ft], &[4, 3]).strides(),
            &[1, 4]
        );
        assert_eq!(
            concat_output_layout(&[&ft, &c(&[2, 3])], &[4, 3]).strides(),
            &[3, 1]
        );
        // A length-1 axis abstains.
        let col = c(&[2, 1]);
        assert_eq!(
            concat_output_layout(&[&col, &ft], &[2, 4]).strides(),
            &[1, 2]
        );
    }

    #[test]
    fn fancy_layouts_follow_6_8() {
        // x[:, [0, 2]] of a C (3, 4): strides (1, 3) elements = (8, 24) bytes, F.
        let l = fancy_output_layout(&[3, 2], 1, 1, &[], &[4]);
        assert!(l.is_f_contiguous() && !l.is_c_contiguous());
        // x[[0, 2]] of a C (3, 4): B first, subspace fastest: C.
        assert_eq!(
            fancy_output_layout(&[2, 4], 0, 1, &[], &[1]).strides(),
            &[4, 1]
        );
        // x[[[0, 1], [1, 2]]] with an F index array and no subspace: F.
        let idx = f(&[2, 2]);
        assert_eq!(
            fancy_output_layout(&[2, 2], 0, 2, &[&idx], &[]).strides(),
            &[1, 2]
        );
        // x[0, :, [1, 0]] on (2, 3, 4): B goes first, subspace (3,) after.
        assert_eq!(
            fancy_output_layout(&[2, 3], 0, 1, &[], &[4]).strides(),
            &[3, 1]
        );
        // Subspace of a transposed source keeps its memory order.
        assert_eq!(
            fancy_output_layout(&[2, 3, 4], 0, 1, &[], &[1, 3]).strides(),
            &[12, 1, 3]
        );
        // ... including where a length-1 axis sits (sorted by raw |stride|).
        assert_eq!(
            fancy_output_layout(&[2, 1, 2, 2], 2, 2, &[&c(&[2, 2])], &[1, 2]).strides(),
            &[1, 2, 4, 2]
        );
        // B is C on top of a subspace, whatever the index arrays' order...
        let l = fancy_output_layout(&[2, 2, 3], 0, 2, &[&f(&[2, 2])], &[1]);
        assert_eq!(l.strides(), &[6, 3, 1]);
        // ... unless the subspace has size 1 (NumPy then asks the iterator).
        let l = fancy_output_layout(&[2, 2, 1], 0, 2, &[&f(&[2, 2])], &[1]);
        assert_eq!(l.strides(), &[1, 2, 1]);
    }
}
