//! Property tests of the layout math against naive references that walk
//! multi-indices. Shapes have rank 0..4 with length-0 and length-1 axes;
//! views come from random chains of slices (negative steps included),
//! permutations, flips, broadcasts, reshapes and diagonals.

use proptest::prelude::*;
use strider::layout::order::{
    binary_output_layout, concat_output_layout, copy_layout, dense_layout_for_perm, flatten_perm,
    iter_perm, reduce_output_layout,
};
use strider::layout::slice::slice_len_and_start;
use strider::layout::{broadcast_shapes, Layout, Order, Plan, SliceItem};
use strider::ErrorKind;

mod common;
use common::{multi_indices, Rng};

/// The multi-indices of `shape` walked with the axes of `perm` (slowest first).
fn perm_indices(shape: &[usize], perm: &[usize]) -> Vec<Vec<usize>> {
    let permuted: Vec<usize> = perm.iter().map(|&a| shape[a]).collect();
    multi_indices(&permuted)
        .into_iter()
        .map(|p| {
            let mut idx = vec![0; shape.len()];
            for (k, &a) in perm.iter().enumerate() {
                idx[a] = p[k];
            }
            idx
        })
        .collect()
}

fn f_indices(shape: &[usize]) -> Vec<Vec<usize>> {
    perm_indices(shape, &(0..shape.len()).rev().collect::<Vec<_>>())
}

/// The element index of `idx`, computed without `Layout::element_index`.
fn addr(l: &Layout, idx: &[usize]) -> i128 {
    l.offset() as i128
        + idx
            .iter()
            .zip(l.strides())
            .map(|(&i, &s)| i as i128 * s as i128)
            .sum::<i128>()
}

fn addrs(l: &Layout, walk: &[Vec<usize>]) -> Vec<i128> {
    walk.iter().map(|i| addr(l, i)).collect()
}

fn random_shape(rng: &mut Rng, max_rank: usize) -> Vec<usize> {
    (0..rng.below(max_rank + 1)).map(|_| rng.below(5)).collect()
}

/// A random shape of exactly `size` elements (size 0: some axis is 0).
fn random_shape_of_size(rng: &mut Rng, size: usize) -> Vec<usize> {
    let mut shape = Vec::new();
    let mut rest = size;
    if size == 0 {
        shape = (0..rng.range(1, 3)).map(|_| rng.below(4)).collect();
        let k = rng.below(shape.len());
        shape[k] = 0;
        return shape;
    }
    while rest > 1 {
        let divisors: Vec<usize> = (2..=rest).filter(|d| rest % d == 0).collect();
        let d = divisors[rng.below(divisors.len())];
        shape.push(d);
        rest /= d;
    }
    rng.shuffle(&mut shape);
    for _ in 0..rng.below(3) {
        let at = rng.below(shape.len() + 1);
        shape.insert(at, 1);
    }
    shape
}

fn random_slice_items(rng: &mut Rng, shape: &[usize]) -> Vec<SliceItem> {
    let mut items = Vec::new();
    let mut ellipsis = false;
    let bound = |rng: &mut Rng, len: usize| -> Option<isize> {
        (!rng.chance(30)).then(|| rng.range(-(len as isize) - 2, len as isize + 2))
    };
    for &len in shape.iter().take(rng.below(shape.len() + 1)) {
        if rng.chance(10) {
            items.push(SliceItem::NewAxis);
        }
        if !ellipsis && rng.chance(8) {
            items.push(SliceItem::Ellipsis);
            ellipsis = true;
            continue;
        }
        if len > 0 && rng.chance(20) {
            items.push(SliceItem::Index(
                rng.range(-(len as isize), len as isize - 1),
            ));
        } else {
            let step = [
                None,
                Some(1),
                Some(2),
                Some(3),
                Some(-1),
                Some(-2),
                Some(-3),
            ][rng.below(7)];
            items.push(SliceItem::Slice {
                start: bound(rng, len),
                stop: bound(rng, len),
                step,
            });
        }
    }
    items
}

/// A random view of a fresh C or F buffer of a random shape: the base, the view.
fn random_view(rng: &mut Rng) -> (Layout, Layout) {
    let shape = random_shape(rng, 4);
    let order = if rng.chance(50) { Order::C } else { Order::F };
    let base = Layout::contiguous("prop", &shape, order).unwrap();
    let mut v = base.clone();
    for _ in 0..rng.below(5) {
        let nd = v.ndim() as isize;
        let next = match rng.below(9) {
            0 | 1 => v.slice("prop", &random_slice_items(rng, v.shape())),
            2 => {
                let mut perm: Vec<usize> = (0..v.ndim()).collect();
                rng.shuffle(&mut perm);
                Ok(v.permute_axes(&perm))
            }
            3 => {
                let axes: Vec<isize> = (0..nd).filter(|_| rng.chance(50)).collect();
                v.flip("prop", Some(&axes))
            }
            4 if v.ndim() < 5 => {
                let mut target: Vec<usize> = (0..rng.below(2)).map(|_| rng.below(3)).collect();
                target.extend(
                    v.shape()
                        .iter()
                        .map(|&d| if d == 1 { rng.below(3) } else { d }),
                );
                v.broadcast_to("prop", &target)
            }
            5 => {
                let new = random_shape_of_size(rng, v.size());
                let order = if rng.chance(50) { Order::C } else { Order::F };
                Ok(v.reshape_view(&new, order).unwrap_or(v.clone()))
            }
            6 if v.ndim() < 5 => v.expand_dims("prop", &[rng.range(-nd - 1, nd)]),
            7 if nd >= 2 => v.diagonal(
                "prop",
                rng.range(-3, 3),
                rng.range(-nd, nd - 1),
                rng.range(-nd, nd - 1),
            ),
            _ => v.squeeze("prop", None),
        };
        if let Ok(next) = next {
            v = next;
        }
    }
    (base, v)
}

/// A random layout with arbitrary strides (some dense, some not, zeros and
/// negatives), with an offset that keeps every element index >= 0.
fn random_raw_layout(rng: &mut Rng) -> Layout {
    let shape = random_shape(rng, 4);
    let c = Layout::dense_strides(&shape, Order::C);
    let f = Layout::dense_strides(&shape, Order::F);
    let strides: Vec<isize> = (0..shape.len())
        .map(|k| match rng.below(6) {
            0 | 1 => c[k],
            2 => f[k],
            3 => 0,
            4 => -c[k],
            _ => rng.range(-5, 5),
        })
        .collect();
    let low: isize = shape
        .iter()
        .zip(&strides)
        .map(|(&d, &s)| (s * (d as isize - 1).max(0)).min(0))
        .sum();
    Layout::new(shape, strides, (-low) as usize + rng.below(3))
}

/// Python's list of positions selected by `start:stop:step` on `len`.
fn python_slice(len: usize, start: Option<isize>, stop: Option<isize>, step: isize) -> Vec<usize> {
    let n = len as isize;
    let mut out = Vec::new();
    if step > 0 {
        let fix = |b: isize| if b < 0 { (b + n).max(0) } else { b.min(n) };
        let mut i = start.map_or(0, fix);
        let stop = stop.map_or(n, fix);
        while i < stop {
            out.push(i as usize);
            i += step;
        }
    } else {
        let fix = |b: isize| if b < 0 { (b + n).max(-1) } else { b.min(n - 1) };
        let mut i = start.map_or(n - 1, fix);
        let stop = stop.map_or(-1, fix);
        while i > stop {
            out.push(i as usize);
            i += step;
        }
    }
    out
}

/// What one output axis of a basic index reads: a source axis through a list
/// of positions, or a new axis.
enum Picked {
    Axis(usize, Vec<usize>),
    New,
}

/// A basic index, naively: the fixed (axis, position) pairs and what each
/// output axis reads.
type NaiveIndex = (Vec<(usize, usize)>, Vec<Picked>);

/// The naive meaning of a basic index, or the error kind NumPy raises.
fn naive_slice(shape: &[usize], items: &[SliceItem]) -> Result<NaiveIndex, ErrorKind> {
    let consumed = items
        .iter()
        .filter(|i| matches!(i, SliceItem::Index(_) | SliceItem::Slice { .. }))
        .count();
    if items.iter().filter(|i| **i == SliceItem::Ellipsis).count() > 1 || consumed > shape.len() {
        return Err(ErrorKind::Index);
    }
    let mut fixed = Vec::new();
    let mut picked = Vec::new();
    let mut ax = 0;
    let full = |ax: usize, picked: &mut Vec<Picked>| {
        picked.push(Picked::Axis(ax, (0..shape[ax]).collect()))
    };
    for item in items {
        match *item {
            SliceItem::Index(i) => {
                let j = if i < 0 { i + shape[ax] as isize } else { i };
                if j < 0 || j >= shape[ax] as isize {
                    return Err(ErrorKind::Index);
                }
                fixed.push((ax, j as usize));
                ax += 1;
            }
            SliceItem::Slice { start, stop, step } => {
                let step = step.unwrap_or(1);
                if step == 0 {
                    return Err(ErrorKind::Value);
                }
                picked.push(Picked::Axis(ax, python_slice(shape[ax], start, stop, step)));
                ax += 1;
            }
            SliceItem::NewAxis => picked.push(Picked::New),
            SliceItem::Ellipsis => {
                for _ in 0..shape.len() - consumed {
                    full(ax, &mut picked);
                    ax += 1;
                }
            }
        }
    }
    while ax < shape.len() {
        full(ax, &mut picked);
        ax += 1;
    }
    Ok((fixed, picked))
}

/// Writes `p` (a position in `shape` walked in `order`) as a multi-index.
fn unravel(mut p: usize, shape: &[usize], fortran: bool) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    let axes: Vec<usize> = if fortran {
        (0..shape.len()).collect()
    } else {
        (0..shape.len()).rev().collect()
    };
    for a in axes {
        idx[a] = p % shape[a];
        p /= shape[a];
    }
    idx
}

/// Whether some strides make `new_shape` walk the same addresses as `l` does
/// in the given order (a view is possible at all).
fn view_exists(l: &Layout, new_shape: &[usize], fortran: bool) -> bool {
    let size = l.size();
    if size == 0 {
        return true;
    }
    let old = |p: usize| addr(l, &unravel(p, l.shape(), fortran));
    let base = old(0);
    let mut strides = vec![0i128; new_shape.len()];
    let mut unit = 1usize;
    let axes: Vec<usize> = if fortran {
        (0..new_shape.len()).collect()
    } else {
        (0..new_shape.len()).rev().collect()
    };
    for a in axes {
        if new_shape[a] > 1 {
            strides[a] = old(unit) - base;
        }
        unit *= new_shape[a];
    }
    (0..size).all(|p| {
        let idx = unravel(p, new_shape, fortran);
        old(p)
            == base
                + idx
                    .iter()
                    .zip(&strides)
                    .map(|(&i, &s)| i as i128 * s)
                    .sum::<i128>()
    })
}

/// 256 cases a property unless `PROPTEST_CASES` says otherwise.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok());
    ProptestConfig::with_cases(cases.unwrap_or(256))
}

proptest! {
    #![proptest_config(config())]

    /// (1) Every address a view touches lies within its extent, the extent is
    /// tight, and it lies inside the base buffer.
    #[test]
    fn views_stay_inside_extent_and_base(seed in any::<u64>()) {
        let (base, v) = random_view(&mut Rng(seed));
        let all = addrs(&v, &multi_indices(v.shape()));
        match v.extent() {
            None => prop_assert!(all.is_empty()),
            Some((lo, hi)) => {
                prop_assert_eq!(*all.iter().min().unwrap(), lo as i128);
                prop_assert_eq!(*all.iter().max().unwrap(), hi as i128);
                prop_assert!(hi < base.size(), "{} escapes base {}", v, base);
                let walk = multi_indices(v.shape());
                prop_assert!(walk.iter().all(|i| v.element_index(i) as i128 == addr(&v, i)));
            }
        }
    }

    /// (2) Slicing equals the naive index mapping, and fails exactly when
    /// NumPy does, with the same kind.
    #[test]
    fn slicing_matches_naive_mapping(seed in any::<u64>()) {
        let mut rng = Rng(seed);
        let (_, src) = random_view(&mut rng);
        let mut items = random_slice_items(&mut rng, src.shape());
        if rng.chance(10) {
            // Sometimes break it: extra index, bad integer, zero step, two ellipses.
            items.push(match rng.below(4) {
                0 => SliceItem::Index(0),
                1 => SliceItem::Index(rng.range(-8, 8)),
                2 => SliceItem::step(0),
                _ => SliceItem::Ellipsis,
            });
        }
        let got = src.slice("prop", &items);
        match naive_slice(src.shape(), &items) {
            Err(kind) => prop_assert_eq!(got.map_err(|e| e.kind()).err(), Some(kind)),
            Ok((fixed, picked)) => {
                let v = got.unwrap();
                let want: Vec<usize> = picked.iter().map(|p| match p { Picked::Axis(_, l) => l.len(), Picked::New => 1 }).collect();
                prop_assert_eq!(v.shape(), want.as_slice());
                for out in multi_indices(v.shape()) {
                    let mut idx = vec![0; src.ndim()];
                    for &(a, i) in &fixed { idx[a] = i; }
                    for (k, p) in picked.iter().enumerate() {
                        if let Picked::Axis(a, list) = p { idx[*a] = list[out[k]]; }
                    }
                    prop_assert_eq!(addr(&v, &out), addr(&src, &idx));
                }
                // slice_len_and_start agrees with the naive list.
                for item in &items {
                    if let SliceItem::Slice { start, stop, step } = *item {
                        let len = rng.below(6);
                        let step = step.unwrap_or(1);
                        let list = python_slice(len, start, stop, step);
                        let (n, first) = slice_len_and_start(len, start, stop, step);
                        prop_assert_eq!(n, list.len());
                        if n > 0 { prop_assert_eq!(first, list[0] as isize); }
                    }
                }
            }
        }
    }

    /// (3) reshape_view, when it answers, walks the same addresses as the
    /// source in that order (a reshape of a copy); it answers for every
    /// contiguous source and whenever any view is possible.
    #[test]
    fn reshape_view_equals_copy_then_reshape(seed in any::<u64>()) {
        let mut rng = Rng(seed);
        let (_, src) = random_view(&mut rng);
        let new = random_shape_of_size(&mut rng, src.size());
        for (order, fortran) in [(Order::C, false), (Order::F, true)] {
            let walk_old = if fortran { f_indices(src.shape()) } else { multi_indices(src.shape()) };
            let walk_new = if fortran { f_indices(&new) } else { multi_indices(&new) };
            match src.reshape_view(&new, order) {
                Some(r) => {
                    prop_assert_eq!(r.shape(), new.as_slice());
                    prop_assert_eq!(addrs(&r, &walk_new), addrs(&src, &walk_old), "{} -> {}", src, r);
                }
                None => {
                    let contiguous = if fortran { src.is_f_contiguous() } else { src.is_c_contiguous() };
                    prop_assert!(!contiguous, "{} is contiguous", src);
                    prop_assert!(!view_exists(&src, &new, fortran), "{} to {:?} ({:?}) could be a view", src, new, order);
                }
            }
        }
    }

    /// (4) A plan visits exactly the (out, in...) offset tuples of a naive walk.
    #[test]
    fn plan_visits_like_naive_walk(
        shape in prop::collection::vec(0usize..5, 0..5),
        raw in prop::collection::vec(prop::collection::vec(-6isize..7, 4), 1..4),
        split in 0usize..50,
    ) {
        let strides: Vec<Vec<isize>> = raw.iter().map(|s| s[..shape.len()].to_vec()).collect();
        let views: Vec<&[isize]> = strides.iter().map(|s| s.as_slice()).collect();
        let plan = Plan::new(&shape, &views);
        let mut want: Vec<Vec<isize>> = multi_indices(&shape)
            .iter()
            .map(|idx| views.iter().map(|s| idx.iter().zip(*s).map(|(&i, &st)| i as isize * st).sum()).collect())
            .collect();
        let mut got = Vec::new();
        let mid = split.min(plan.outer_size());
        for (a, b) in [(0, mid), (mid, plan.outer_size())] {
            plan.for_each_outer(a, b, |offs| {
                for i in 0..plan.inner_len() as isize {
                    got.push((0..views.len()).map(|k| offs[k] + i * plan.inner_stride(k)).collect::<Vec<_>>());
                }
            });
        }
        prop_assert_eq!(plan.size(), want.len());
        prop_assert_eq!(plan.outer_size() * plan.inner_len(), want.len());
        want.sort();
        got.sort();
        prop_assert_eq!(got, want);
    }

    /// (5) The contiguity flags agree with their naive definitions.
    #[test]
    fn flags_match_naive_definitions(seed in any::<u64>()) {
        let mut rng = Rng(seed);
        let l = if rng.chance(50) { random_raw_layout(&mut rng) } else { random_view(&mut rng).1 };
        let off = l.offset() as i128;
        let dense = |walk: Vec<Vec<usize>>| addrs(&l, &walk).iter().enumerate().all(|(p, &a)| a == off + p as i128);
        let size0 = l.size() == 0;
        prop_assert_eq!(l.is_c_contiguous(), size0 || dense(multi_indices(l.shape())), "{}", l);
        prop_assert_eq!(l.is_f_contiguous(), size0 || dense(f_indices(l.shape())), "{}", l);
        let mut sorted = addrs(&l, &multi_indices(l.shape()));
        sorted.sort();
        let any = sorted.iter().enumerate().all(|(p, &a)| a == off + p as i128);
        prop_assert_eq!(l.is_contiguous_any_order(), any, "{}", l);
        let aliased = sorted.windows(2).any(|w| w[0] == w[1]);
        prop_assert!(!l.has_zero_stride() || aliased, "{}", l);
        if let Some((lo, _)) = l.extent() {
            prop_assert_eq!(lo as i128, sorted[0]);
        }
    }

    /// (6) ravel_view, when it answers, is 1-D with stride 1 and walks the
    /// addresses of the naive ravel in that order; C and F answer whenever
    /// that walk is already consecutive.
    #[test]
    fn ravel_view_is_contiguous_naive_ravel(seed in any::<u64>()) {
        let mut rng = Rng(seed);
        let l = if rng.chance(30) { random_raw_layout(&mut rng) } else { random_view(&mut rng).1 };
        let (c, f) = (l.is_c_contiguous(), l.is_f_contiguous());
        for order in [Order::C, Order::F, Order::A, Order::K] {
            let perm = flatten_perm(&l, order);
            let walk = perm_indices(l.shape(), &perm);
            let naive = addrs(&l, &walk);
            let consecutive = naive.iter().enumerate().all(|(p, &a)| a == l.offset() as i128 + p as i128);
            match l.ravel_view(order) {
                Some(r) => {
                    prop_assert_eq!(r.shape(), &[l.size()][..]);
                    prop_assert_eq!(r.strides(), &[1][..]);
                    prop_assert_eq!(addrs(&r, &multi_indices(r.shape())), naive, "{} {:?}", l, order);
                }
                None => {
                    let must = match order {
                        Order::C => c,
                        Order::F => f,
                        Order::A => c || f,
                        Order::K => false,
                    };
                    prop_assert!(!must && !consecutive, "{} {:?}", l, order);
                }
            }
        }
    }

    /// (7) Every fresh result layout is dense, non-negative, offset 0, and all
    /// zeros when empty.
    #[test]
    fn fresh_layouts_are_dense(seed in any::<u64>()) {
        let mut rng = Rng(seed);
        let (_, a) = random_view(&mut rng);
        let b = random_raw_layout(&mut rng);
        let mut fresh = vec![
            copy_layout(&a, [Order::C, Order::F, Order::A, Order::K][rng.below(4)]),
            copy_layout(&b, Order::K),
            dense_layout_for_perm(a.shape(), &iter_perm(a.shape(), &[a.strides()])),
        ];
        if let Ok(shape) = broadcast_shapes("prop", &[a.shape(), b.shape()]) {
            fresh.push(binary_output_layout(&shape, &[&a, &b]));
        }
        let axes: Vec<usize> = (0..a.ndim()).filter(|_| rng.chance(50)).collect();
        fresh.push(reduce_output_layout(&a, &axes, rng.chance(50)));
        let mut out = a.shape().to_vec();
        if let Some(first) = out.first_mut() {
            *first *= 2;
            fresh.push(concat_output_layout(&[&a, &copy_layout(&a, Order::F)], &out));
        }
        for l in fresh {
            prop_assert_eq!(l.offset(), 0);
            prop_assert!(l.strides().iter().all(|&s| s >= 0));
            if l.size() == 0 {
                prop_assert!(l.strides().iter().all(|&s| s == 0));
            } else {
                prop_assert!(l.is_contiguous_any_order(), "{}", l);
            }
        }
    }

    /// (8) broadcast_to and broadcast_shapes agree with the naive rule, and a
    /// broadcast view reads the source element its index maps to.
    #[test]
    fn broadcasting_matches_naive_rule(seed in any::<u64>()) {
        let mut rng = Rng(seed);
        let (_, a) = random_view(&mut rng);
        let target: Vec<usize> = {
            let mut t: Vec<usize> = (0..rng.below(3)).map(|_| rng.below(4)).collect();
            t.extend(a.shape().iter().map(|&d| if d == 1 || rng.chance(10) { rng.below(4) } else { d }));
            t
        };
        let lead = target.len() - a.ndim();
        let fits = a.shape().iter().zip(&target[lead..]).all(|(&d, &t)| d == t || d == 1);
        match a.broadcast_to("prop", &target) {
            Err(e) => prop_assert!(!fits && e.kind() == ErrorKind::Broadcast),
            Ok(b) => {
                prop_assert!(fits);
                for idx in multi_indices(&target) {
                    let src: Vec<usize> = a.shape().iter().zip(&idx[lead..]).map(|(&d, &i)| if d == 1 { 0 } else { i }).collect();
                    prop_assert_eq!(addr(&b, &idx), addr(&a, &src));
                }
                let bs = broadcast_shapes("prop", &[a.shape(), &target]).unwrap();
                prop_assert_eq!(bs, target.clone());
            }
        }
    }

    /// (9) Inverse movements give the layout back.
    #[test]
    fn movements_invert(seed in any::<u64>()) {
        let mut rng = Rng(seed);
        let (_, a) = random_view(&mut rng);
        let mut perm: Vec<usize> = (0..a.ndim()).collect();
        rng.shuffle(&mut perm);
        let mut inverse = vec![0isize; perm.len()];
        for (k, &p) in perm.iter().enumerate() { inverse[p] = k as isize; }
        let t = a.permute_axes(&perm);
        prop_assert_eq!(t.transpose("prop", Some(&inverse)).unwrap(), a.clone());
        prop_assert_eq!(a.flip("prop", None).unwrap().flip("prop", None).unwrap(), a.clone());
        let nd = a.ndim() as isize;
        let ax = rng.range(-nd - 1, nd);
        let e = a.expand_dims("prop", &[ax]).unwrap();
        let back = e.squeeze("prop", Some(&[ax])).unwrap();
        prop_assert_eq!(addrs(&back, &multi_indices(back.shape())), addrs(&a, &multi_indices(a.shape())));
        prop_assert_eq!(back.shape(), a.shape());
    }
}
