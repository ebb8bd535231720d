//! API fuzzing: random sequences of public calls with random and often
//! invalid arguments, checked after every call.
//!
//! Each case draws an action (creation, views, copies, casts, assignment,
//! in-place ops on overlapping views, ufuncs, reductions, indexing,
//! concatenation, transfers, `.npy`, printing, explain) over a small pool of
//! live arrays, with arguments that are often wrong on purpose (overflowing
//! and unallocatable shapes, out-of-range and repeated axes, steps of 0,
//! out-of-range indices, wrong-shape masks, float index arrays, read-only
//! broadcast views as destinations, mismatched shapes and devices). After
//! every call:
//!
//! * nothing panicked (each call runs under `catch_unwind`);
//! * where the arguments were bad in a way the test can tell on its own
//!   (broadcasting, axes, steps, bounds, read-only, sizes), the call failed
//!   with the documented error kind;
//! * every array it returned keeps its layout invariants: every reachable
//!   element inside its buffer, byte strides = element strides x itemsize,
//!   size and flags as the shape and strides say;
//! * its values equal a naive reference computed here from the operands'
//!   values in C order (independent Python-slice arithmetic, broadcasting by
//!   index, sums by loops), and the GPU's answer equals the CPU's.
//!
//! `cargo test` runs a short version (`FUZZ_CASES` per device); set
//! `STRIDER_FUZZ_CASES` for a long run and `STRIDER_FUZZ_SEED` to replay.

mod common;

use common::Rng;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use strider::{
    concatenate, stack, where_, Array, Axes, BinaryOp, DType, Device, ErrorKind, IndexItem,
    ReduceOp, SliceItem, UnaryOp,
};

/// Cases per device in a plain `cargo test`.
const FUZZ_CASES: usize = 4000;

/// The outcome of one call, for the tallies.
#[derive(Default)]
struct Tally {
    ok: usize,
    errors: BTreeMap<&'static str, usize>,
}

// ----- naive reference helpers ----------------------------------------------

fn size_of(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// C-order multi-index of linear position `lin`.
fn unravel(mut lin: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for ax in (0..shape.len()).rev() {
        idx[ax] = lin % shape[ax];
        lin /= shape[ax];
    }
    idx
}

fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(shape).fold(0, |acc, (&i, &n)| acc * n + i)
}

// The values of `a` in C order as f64 (exact for every dtype the fuzzer
// makes values for: small integers and halves).
use common::values as vals;

/// Python's `slice(start, stop, step).indices(n)` positions.
fn py_slice(start: Option<isize>, stop: Option<isize>, step: isize, n: usize) -> Vec<usize> {
    let n = n as isize;
    let (lo_def, hi_def) = if step > 0 { (0, n) } else { (n - 1, -1) };
    let clamp = |v: isize| -> isize {
        let v = if v < 0 { v + n } else { v };
        if step > 0 {
            v.clamp(0, n)
        } else {
            v.clamp(-1, n - 1)
        }
    };
    let s = start.map_or(lo_def, clamp);
    let e = stop.map_or(hi_def, clamp);
    let mut out = Vec::new();
    let mut i = s;
    while (step > 0 && i < e) || (step < 0 && i > e) {
        out.push(i as usize);
        i += step;
    }
    out
}

/// NumPy's broadcast shape, or `None`.
fn broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

/// The C-order position in an array of `shape` that broadcasting reads for
/// position `idx` of the (larger) broadcast shape.
fn broadcast_pos(idx: &[usize], shape: &[usize]) -> usize {
    let skip = idx.len() - shape.len();
    let own: Vec<usize> = shape
        .iter()
        .enumerate()
        .map(|(k, &n)| if n == 1 { 0 } else { idx[skip + k] })
        .collect();
    ravel(&own, shape)
}

/// Equal values, NaN equal to NaN, -0.0 different from 0.0.
fn same(got: &[f64], want: &[f64]) -> bool {
    got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(g, w)| g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()) || g == w)
}

/// A call the test knows is bad: it must have failed with one of `kinds`.
/// Returns the error, for the tallies.
fn refused<T: std::fmt::Debug>(
    r: Result<T, strider::Error>,
    kinds: &[ErrorKind],
    what: std::fmt::Arguments<'_>,
) -> Result<(), strider::Error> {
    let e = r.expect_err(&format!("accepted: {what}"));
    assert!(kinds.contains(&e.kind()), "{what}: {e}");
    Err(e)
}

/// Layout invariants of any array the library hands out.
fn check_layout(a: &Array, what: &str) {
    let shape = a.shape().to_vec();
    let es = a.element_strides().to_vec();
    let bs = a.strides();
    let item = a.itemsize() as isize;
    assert_eq!(es.len(), shape.len(), "{what}: strides rank");
    for (k, (&e, &b)) in es.iter().zip(&bs).enumerate() {
        assert_eq!(e * item, b, "{what}: byte stride {k}");
    }
    assert_eq!(a.size(), size_of(&shape), "{what}: size");
    assert_eq!(a.nbytes(), a.size() * a.itemsize(), "{what}: nbytes");
    if a.size() > 0 {
        let off = a.element_offset() as isize;
        let (mut lo, mut hi) = (off, off);
        for (&n, &s) in shape.iter().zip(&es) {
            let span = (n as isize - 1) * s;
            if span < 0 {
                lo += span;
            } else {
                hi += span;
            }
        }
        assert!(
            lo >= 0 && (hi as usize) < a.buffer_len(),
            "{what}: elements {lo}..={hi} reach outside a buffer of {} (shape {shape:?}, \
             strides {es:?}, offset {off})",
            a.buffer_len()
        );
    }
    // C contiguity by NumPy's rule (length-1 axes ignored, empty is contiguous).
    let mut expect = 1isize;
    let mut c = true;
    for (&n, &s) in shape.iter().zip(&es).rev() {
        if n != 1 && s != expect {
            c = false;
        }
        expect *= n as isize;
    }
    if a.size() == 0 {
        c = true;
    }
    assert_eq!(a.flags().c_contiguous, c, "{what}: c_contiguous flag");
    // F contiguity likewise, from the first axis.
    let mut expect = 1isize;
    let mut f = true;
    for (&n, &s) in shape.iter().zip(&es) {
        if n != 1 && s != expect {
            f = false;
        }
        expect *= n as isize;
    }
    if a.size() == 0 {
        f = true;
    }
    assert_eq!(a.flags().f_contiguous, f, "{what}: f_contiguous flag");
    // A writeable array never reaches one element twice: no axis longer
    // than 1 with stride 0 (a broadcast), which NumPy marks read-only.
    if a.flags().writeable && a.size() > 1 {
        for (&n, &s) in shape.iter().zip(&es) {
            assert!(
                n <= 1 || s != 0,
                "{what}: a writeable array repeats elements (shape {shape:?}, strides {es:?})"
            );
        }
    }
}

// ----- the fuzzer -----------------------------------------------------------

struct Fuzz {
    rng: Rng,
    pool: Vec<Array>,
    gpu: Option<Device>,
    tally: BTreeMap<&'static str, Tally>,
    cases: usize,
}

const DTYPES: [DType; 7] = [
    DType::F64,
    DType::F32,
    DType::I64,
    DType::I32,
    DType::U8,
    DType::Bool,
    DType::F16,
];

impl Fuzz {
    fn shape(&mut self) -> Vec<usize> {
        let nd = self.rng.below(4);
        (0..nd)
            .map(|_| {
                if self.rng.chance(8) {
                    0
                } else {
                    1 + self.rng.below(4)
                }
            })
            .collect()
    }

    /// A fresh CPU array with small exact values.
    fn fresh(&mut self) -> Array {
        let shape = self.shape();
        let n = size_of(&shape);
        let dt = *self.rng.pick(&DTYPES);
        let v: Vec<f64> = (0..n).map(|_| self.rng.range(-8, 8) as f64 * 0.5).collect();
        let v = if dt.is_float() {
            v
        } else {
            v.iter().map(|x| x.floor().abs()).collect()
        };
        Array::from_vec(v, &shape).unwrap().astype(dt).unwrap()
    }

    fn any(&mut self) -> Array {
        if self.pool.is_empty() || self.rng.chance(15) {
            let a = self.fresh();
            self.keep(a.clone());
            a
        } else {
            let i = self.rng.below(self.pool.len());
            self.pool[i].clone()
        }
    }

    fn keep(&mut self, a: Array) {
        if self.pool.len() >= 24 {
            let i = self.rng.below(self.pool.len());
            self.pool[i] = a;
        } else {
            self.pool.push(a);
        }
    }

    fn axis(&mut self, ndim: usize) -> isize {
        if self.rng.chance(15) {
            self.rng.range(-(ndim as isize) - 3, ndim as isize + 3)
        } else if ndim == 0 {
            0
        } else {
            self.rng.range(-(ndim as isize), ndim as isize - 1)
        }
    }

    fn record(&mut self, action: &'static str, r: &Result<(), strider::Error>) {
        let t = self.tally.entry(action).or_default();
        match r {
            Ok(()) => t.ok += 1,
            Err(e) => *t.errors.entry(e.kind().name()).or_default() += 1,
        }
    }

    /// One random call and its checks. Returns the action's name and
    /// `Ok` or the library's error.
    fn step(&mut self) -> (&'static str, Result<(), strider::Error>) {
        match self.rng.below(17) {
            0 => ("create", self.create()),
            15 | 16 => ("more_views", self.more_views()),
            14 if self.gpu.is_none() => ("more_views", self.more_views()),
            1 | 2 => ("slice", self.slice()),
            3 => ("transpose", self.transpose()),
            4 => ("reshape_broadcast", self.reshape_broadcast()),
            5 | 6 => ("binary", self.binary()),
            7 => ("unary_astype", self.unary_astype()),
            8 => ("reduce", self.reduce()),
            9 => ("index", self.index()),
            10 => ("assign", self.assign()),
            11 => ("inplace_overlap", self.inplace_overlap()),
            12 => ("concat_stack_where", self.concat()),
            13 => ("npy_print", self.npy_print()),
            _ => ("transfer", self.transfer()),
        }
    }

    fn create(&mut self) -> Result<(), strider::Error> {
        let dt = *self.rng.pick(&DTYPES);
        let bad = self.rng.chance(30);
        let shape: Vec<usize> = if bad {
            match self.rng.below(3) {
                0 => vec![usize::MAX / 2, 3],
                1 => vec![1 << 40, 1 << 40],
                // 2^47 elements: more than a 64-bit process can map.
                _ => vec![1 << 47, 1],
            }
        } else {
            self.shape()
        };
        let r = match self.rng.below(6) {
            0 => Array::zeros(&shape, dt),
            1 => Array::ones(&shape, dt),
            2 => Array::full(&shape, 1, dt),
            3 => Array::empty(&shape, dt),
            4 => {
                let n = if bad { 1 << 47 } else { size_of(&shape) };
                Array::linspace(0.0, 1.0, n, dt)
            }
            _ => {
                let n = if bad {
                    1i64 << 47
                } else {
                    size_of(&shape) as i64
                };
                Array::arange_i64(0, n, 1)
            }
        };
        if bad {
            let kinds = [ErrorKind::Value, ErrorKind::OutOfMemory];
            return refused(r, &kinds, format_args!("create {shape:?}"));
        }
        let a = r?;
        check_layout(&a, "create");
        self.keep(a);
        Ok(())
    }

    fn slice_items(&mut self, ndim: usize) -> (Vec<SliceItem>, bool) {
        let mut items = Vec::new();
        let mut bad = false;
        let n = if self.rng.chance(10) {
            ndim + 1
        } else {
            self.rng.below(ndim + 1)
        };
        if n > ndim {
            bad = true;
        }
        for _ in 0..n {
            match self.rng.below(6) {
                0 => {
                    let i = self.rng.range(-5, 5);
                    items.push(SliceItem::Index(i));
                }
                1 if self.rng.chance(20) => {
                    bad = true;
                    items.push(SliceItem::Slice {
                        start: None,
                        stop: None,
                        step: Some(0),
                    });
                }
                _ => {
                    let start = self.rng.chance(60).then(|| self.rng.range(-6, 6));
                    let stop = self.rng.chance(60).then(|| self.rng.range(-6, 6));
                    let step = *self.rng.pick(&[1, 1, 2, -1, -2, 3]);
                    items.push(SliceItem::Slice {
                        start,
                        stop,
                        step: Some(step),
                    });
                }
            }
        }
        (items, bad)
    }

    fn slice(&mut self) -> Result<(), strider::Error> {
        let a = self.any();
        let (items, bad) = self.slice_items(a.ndim());
        // Out-of-range integer indices are index errors.
        let mut oob = false;
        for (k, it) in items.iter().enumerate() {
            if let (SliceItem::Index(i), Some(&n)) = (it, a.shape().get(k)) {
                if *i >= n as isize || *i < -(n as isize) {
                    oob = true;
                }
            }
        }
        let r = a.slice(&items);
        if bad || oob {
            let kinds = [ErrorKind::Index, ErrorKind::Value];
            return refused(
                r,
                &kinds,
                format_args!("slice {items:?} of {:?}", a.shape()),
            );
        }
        let v = r?;
        check_layout(&v, "slice");
        // Naive reference: positions per axis.
        let mut per_axis: Vec<Option<Vec<usize>>> = Vec::new(); // None: dropped
        let mut fixed: Vec<usize> = Vec::new();
        for (k, &n) in a.shape().iter().enumerate() {
            match items.get(k) {
                Some(SliceItem::Index(i)) => {
                    let i = if *i < 0 { *i + n as isize } else { *i } as usize;
                    fixed.push(i);
                    per_axis.push(None);
                }
                Some(SliceItem::Slice { start, stop, step }) => {
                    fixed.push(0);
                    per_axis.push(Some(py_slice(*start, *stop, step.unwrap_or(1), n)));
                }
                _ => {
                    fixed.push(0);
                    per_axis.push(Some((0..n).collect()));
                }
            }
        }
        let shape: Vec<usize> = per_axis.iter().flatten().map(|p| p.len()).collect();
        assert_eq!(v.shape(), &shape[..], "slice {items:?} of {:?}", a.shape());
        let av = vals(&a);
        let got = vals(&v);
        for (lin, g) in got.iter().enumerate() {
            let idx = unravel(lin, &shape);
            let mut src = fixed.clone();
            let mut k = 0;
            for (ax, p) in per_axis.iter().enumerate() {
                if let Some(p) = p {
                    src[ax] = p[idx[k]];
                    k += 1;
                }
            }
            let want = av[ravel(&src, a.shape())];
            assert!(
                g.to_bits() == want.to_bits() || (g.is_nan() && want.is_nan()),
                "slice {items:?}: element {lin}"
            );
        }
        self.keep(v);
        Ok(())
    }

    fn transpose(&mut self) -> Result<(), strider::Error> {
        let a = self.any();
        let nd = a.ndim();
        let flip = self.rng.chance(35);
        let mut axes: Vec<isize> = (0..nd as isize).collect();
        self.rng.shuffle(&mut axes);
        if flip {
            axes.truncate(self.rng.below(nd + 1));
        }
        if self.rng.chance(20) {
            match self.rng.below(3) {
                0 => axes.push(0),
                1 if !axes.is_empty() => axes.push(axes[0]),
                _ => axes.push(nd as isize + 2),
            }
        }
        let distinct = {
            let mut s = axes.clone();
            s.sort();
            s.dedup();
            s.len() == axes.len()
        };
        let in_range = axes.iter().all(|&x| (0..nd as isize).contains(&x));
        let legal = distinct && in_range && (flip || axes.len() == nd);
        let r = if flip {
            a.flip(Some(&axes))
        } else if self.rng.chance(50) {
            a.transpose(Some(&axes))
        } else {
            a.permute(&axes)
        };
        if !legal {
            let what = format_args!("axes {axes:?} of {:?} (flip {flip})", a.shape());
            return refused(r, &[ErrorKind::Axis, ErrorKind::Value], what);
        }
        let v = r?;
        check_layout(&v, "transpose/flip");
        let av = vals(&a);
        for (lin, g) in vals(&v).iter().enumerate() {
            let idx = unravel(lin, v.shape());
            let src: Vec<usize> = if flip {
                (0..nd)
                    .map(|d| {
                        if axes.contains(&(d as isize)) {
                            a.shape()[d] - 1 - idx[d]
                        } else {
                            idx[d]
                        }
                    })
                    .collect()
            } else {
                let mut s = vec![0; nd];
                for (k, &ax) in axes.iter().enumerate() {
                    s[ax as usize] = idx[k];
                }
                s
            };
            let want = av[ravel(&src, a.shape())];
            assert!(
                g.to_bits() == want.to_bits(),
                "axes {axes:?} (flip {flip}) of {:?}: element {lin}",
                a.shape()
            );
        }
        self.keep(v);
        Ok(())
    }

    /// swapaxes, expand_dims, squeeze, diagonal, a reshape to a random
    /// factorisation, ravel, flatten and an F-order copy, and slices with
    /// new axes and an ellipsis.
    fn more_views(&mut self) -> Result<(), strider::Error> {
        let a = self.any();
        let nd = a.ndim();
        let av = vals(&a);
        let mut diag_args = None;
        let (what, r): (&str, Result<Array, strider::Error>) = match self.rng.below(8) {
            0 => {
                let (x, y) = (self.axis(nd), self.axis(nd));
                ("swapaxes", a.swapaxes(x, y))
            }
            1 => {
                let k = self.rng.below(3);
                let axes: Vec<isize> = (0..k).map(|_| self.axis(nd + k)).collect();
                ("expand_dims", a.expand_dims(&axes))
            }
            2 => {
                let axes: Vec<isize> = (0..self.rng.below(3)).map(|_| self.axis(nd)).collect();
                ("squeeze", a.squeeze(Some(&axes)))
            }
            3 => {
                let k = self.rng.range(-3, 3);
                let (x, y) = (self.axis(nd), self.axis(nd));
                diag_args = Some((k, x, y));
                ("diagonal", a.diagonal(k, x, y))
            }
            4 => {
                // A random factorisation of the size, in C order.
                let mut left = a.size();
                let mut shape: Vec<isize> = Vec::new();
                while left > 1 {
                    let f = (2..=left).find(|f| left % f == 0 && self.rng.chance(50));
                    let f = if shape.len() == 3 {
                        left
                    } else {
                        f.unwrap_or(left)
                    };
                    shape.push(f as isize);
                    left /= f;
                }
                if self.rng.chance(30) {
                    shape.insert(self.rng.below(shape.len() + 1), 1);
                }
                if a.size() == 0 {
                    shape = vec![0, 3];
                }
                ("reshape", a.reshape(&shape))
            }
            5 => ("ravel", a.ravel()),
            6 => ("flatten", a.flatten()),
            _ => {
                let mut items = vec![SliceItem::NewAxis];
                if self.rng.chance(50) {
                    items.push(SliceItem::Ellipsis);
                }
                if nd > 0 && self.rng.chance(50) {
                    items.push(SliceItem::Slice {
                        start: None,
                        stop: None,
                        step: Some(-1),
                    });
                }
                ("newaxis_ellipsis", a.slice(&items))
            }
        };
        let v = match r {
            Ok(v) => v,
            Err(e) => {
                assert!(
                    matches!(
                        e.kind(),
                        ErrorKind::Axis | ErrorKind::Value | ErrorKind::Shape | ErrorKind::Index
                    ),
                    "{what} of {:?}: {e}",
                    a.shape()
                );
                return Err(e);
            }
        };
        check_layout(&v, what);
        let got = vals(&v);
        match what {
            // These keep the C-order sequence of values.
            "expand_dims" | "squeeze" | "reshape" | "ravel" | "flatten" => {
                assert!(
                    same(&got, &av),
                    "{what} of {:?} reordered values",
                    a.shape()
                );
                assert_eq!(v.size(), a.size());
            }
            "diagonal" => {
                assert_eq!(v.ndim() + 1, nd, "{what}: rank");
                let (k, ax1, ax2) = diag_args.expect("diagonal arguments");
                let norm = |x: isize| if x < 0 { x + nd as isize } else { x } as usize;
                let (d1, d2) = (norm(ax1), norm(ax2));
                let rest: Vec<usize> = (0..nd).filter(|&d| d != d1 && d != d2).collect();
                let (n1, n2) = (a.shape()[d1] as isize, a.shape()[d2] as isize);
                let (o1, o2) = (k.min(0).abs(), k.max(0));
                let len = (n1 - o1).min(n2 - o2).max(0) as usize;
                assert_eq!(v.shape().last().copied(), Some(len), "diagonal length");
                for (lin, g) in got.iter().enumerate() {
                    let idx = unravel(lin, v.shape());
                    let mut src = vec![0; nd];
                    for (j, &d) in rest.iter().enumerate() {
                        src[d] = idx[j];
                    }
                    let i = idx[nd - 2] as isize;
                    src[d1] = (i + o1) as usize;
                    src[d2] = (i + o2) as usize;
                    assert!(same(&[*g], &[av[ravel(&src, a.shape())]]), "diagonal {k}");
                }
            }
            _ => assert_eq!(v.size(), a.size(), "{what} of {:?}", a.shape()),
        }
        if self.rng.chance(30) {
            let f = v.copy_order(strider::Order::F)?;
            check_layout(&f, "copy F");
            assert!(f.flags().f_contiguous);
            assert!(same(&vals(&f), &got), "an F-order copy keeps the values");
        }
        self.keep(v);
        Ok(())
    }

    fn reshape_broadcast(&mut self) -> Result<(), strider::Error> {
        let a = self.any();
        if self.rng.chance(50) {
            // reshape: sometimes -1, sometimes a wrong size.
            let n = a.size();
            let mut shape: Vec<isize> = if n > 0 && self.rng.chance(50) {
                vec![-1, 1]
            } else {
                vec![n as isize]
            };
            let bad = self.rng.chance(20);
            if bad {
                shape.push(2);
                shape.push(-1);
                shape.push(-1);
            }
            let r = a.reshape(&shape);
            if bad {
                let what = format_args!("reshape {:?} to {shape:?}", a.shape());
                return refused(r, &[ErrorKind::Reshape], what);
            }
            let v = r?;
            check_layout(&v, "reshape");
            assert!(same(&vals(&v), &vals(&a)), "reshape keeps C order");
            self.keep(v);
        } else {
            let mut target = a.shape().to_vec();
            if self.rng.chance(50) {
                target.insert(0, self.rng.below(4));
            }
            if !target.is_empty() && self.rng.chance(30) {
                let k = self.rng.below(target.len());
                target[k] = self.rng.below(4);
            }
            let r = a.broadcast_to(&target);
            let ok = broadcast(a.shape(), &target).is_some_and(|s| s == target);
            if !ok {
                let what = format_args!("broadcast {:?} to {target:?}", a.shape());
                return refused(r, &[ErrorKind::Broadcast], what);
            }
            let v = r?;
            check_layout(&v, "broadcast_to");
            assert!(!v.flags().writeable || v.size() == a.size());
            let av = vals(&a);
            for (lin, g) in vals(&v).iter().enumerate() {
                let idx = unravel(lin, &target);
                assert_eq!(g.to_bits(), av[broadcast_pos(&idx, a.shape())].to_bits());
            }
            self.keep(v);
        }
        Ok(())
    }

    fn binary(&mut self) -> Result<(), strider::Error> {
        let a = self.any();
        let b = self.any();
        let ops = [
            BinaryOp::Add,
            BinaryOp::Subtract,
            BinaryOp::Multiply,
            BinaryOp::Maximum,
            BinaryOp::Less,
        ];
        let op = *self.rng.pick(&ops);
        let r = a.binary(op, &b);
        let Some(shape) = broadcast(a.shape(), b.shape()) else {
            // (NumPy resolves dtypes first: bool - bool is a dtype error)
            let what = format_args!("{op:?} of {:?} and {:?}", a.shape(), b.shape());
            return refused(r, &[ErrorKind::Broadcast, ErrorKind::DType], what);
        };
        let c = match r {
            // bool - bool is a dtype error in NumPy, as here.
            Err(e) if e.kind() == ErrorKind::DType => return Err(e),
            other => other?,
        };
        check_layout(&c, "binary");
        assert_eq!(c.shape(), &shape[..]);
        // Values: exact where the result dtype holds the f64 answer.
        let exact = matches!(
            c.dtype(),
            DType::F64 | DType::I64 | DType::I32 | DType::Bool
        ) && a.dtype() != DType::U8
            && b.dtype() != DType::U8;
        if exact {
            let (av, bv) = (vals(&a), vals(&b));
            for (lin, g) in vals(&c).iter().enumerate() {
                let idx = unravel(lin, &shape);
                let x = av[broadcast_pos(&idx, a.shape())];
                let y = bv[broadcast_pos(&idx, b.shape())];
                let want = match op {
                    BinaryOp::Add => x + y,
                    BinaryOp::Subtract => x - y,
                    BinaryOp::Multiply => x * y,
                    // NumPy's maximum propagates NaN (f64::max drops it).
                    BinaryOp::Maximum if x.is_nan() || y.is_nan() => f64::NAN,
                    BinaryOp::Maximum => x.max(y),
                    _ => (x < y) as u8 as f64,
                };
                let want = if c.dtype() == DType::Bool {
                    (want != 0.0) as u8 as f64
                } else {
                    want
                };
                assert!(
                    same(&[*g], &[want]),
                    "{op:?} {:?} {:?} at {lin}: {g} vs {want}",
                    a.dtype(),
                    b.dtype()
                );
            }
        }
        self.mirror_gpu(&[&a, &b], &c, |x| x[0].binary(op, x[1]))?;
        self.keep(c);
        Ok(())
    }

    fn unary_astype(&mut self) -> Result<(), strider::Error> {
        let a = self.any();
        if self.rng.chance(50) {
            let dt = *self.rng.pick(&DTYPES);
            let c = a.astype(dt)?;
            check_layout(&c, "astype");
            let d = c.astype(a.dtype())?;
            // A safe cast there and back keeps every value.
            if DType::can_cast(a.dtype(), dt, strider::Casting::Safe) {
                assert!(
                    same(&vals(&d), &vals(&a)),
                    "astype {:?} -> {dt:?} and back",
                    a.dtype()
                );
            }
            if !a.dtype().is_float() || dt.is_float() {
                // (a negative float to an unsigned int is NumPy's undefined cast)
                self.mirror_gpu(&[&a], &c, |x| x[0].astype(dt))?;
            }
            self.keep(c);
        } else {
            let op = *self
                .rng
                .pick(&[UnaryOp::Negative, UnaryOp::Abs, UnaryOp::Sqrt]);
            let c = match a.unary(op) {
                Err(e) if e.kind() == ErrorKind::DType => return Err(e),
                other => other?,
            };
            check_layout(&c, "unary");
            if op == UnaryOp::Abs && a.dtype() != DType::U8 {
                let want: Vec<f64> = vals(&a).iter().map(|x| x.abs()).collect();
                assert!(same(&vals(&c), &want), "abs");
            }
            if op != UnaryOp::Sqrt {
                self.mirror_gpu(&[&a], &c, |x| x[0].unary(op))?;
            }
            self.keep(c);
        }
        Ok(())
    }

    fn reduce(&mut self) -> Result<(), strider::Error> {
        let a = self.any();
        let op = *self.rng.pick(&ReduceOp::ALL);
        let nd = a.ndim();
        let (axes, axis_list): (Axes, Option<Vec<isize>>) = match self.rng.below(3) {
            0 => (Axes::All, None),
            1 => {
                let ax = self.axis(nd);
                (Axes::One(ax), Some(vec![ax]))
            }
            _ => {
                let k = self.rng.below(3);
                let l: Vec<isize> = (0..k).map(|_| self.axis(nd)).collect();
                (Axes::List(l.clone()), Some(l))
            }
        };
        let keep = self.rng.chance(30);
        let r = a.reduce(op, axes.clone(), keep);
        let arg = matches!(op, ReduceOp::ArgMin | ReduceOp::ArgMax);
        let norm: Option<Vec<usize>> = match &axis_list {
            None => Some((0..nd).collect()),
            Some(l) => {
                let mut out = Vec::new();
                let mut ok = true;
                for &ax in l {
                    let n = if ax < 0 { ax + nd as isize } else { ax };
                    if n < 0 || n >= nd as isize || out.contains(&(n as usize)) {
                        ok = false;
                    } else {
                        out.push(n as usize);
                    }
                }
                // A 0-d array takes axis 0 / -1 for argmin/argmax only.
                ok.then_some(out)
            }
        };
        // NumPy's quirk: a 0-d array takes a lone integer axis 0 or -1.
        let zero_d_axis = nd == 0 && matches!(axes, Axes::One(0) | Axes::One(-1));
        let norm = if zero_d_axis { Some(Vec::new()) } else { norm };
        let Some(norm) = norm else {
            let what = format_args!("{op:?} over {axes:?} of {:?}", a.shape());
            return refused(r, &[ErrorKind::Axis, ErrorKind::Value], what);
        };
        let c = match r {
            Err(e)
                if matches!(e.kind(), ErrorKind::EmptyReduction | ErrorKind::DType)
                    || (arg && matches!(e.kind(), ErrorKind::Axis | ErrorKind::Value)) =>
            {
                if e.kind() == ErrorKind::EmptyReduction {
                    let empty = norm.iter().any(|&d| a.shape()[d] == 0)
                        || (a.size() == 0 && axis_list.is_none());
                    assert!(
                        empty,
                        "{op:?}: empty-reduction error on {:?}: {e}",
                        a.shape()
                    );
                }
                return Err(e);
            }
            other => other?,
        };
        check_layout(&c, "reduce");
        if op == ReduceOp::Sum && matches!(a.dtype(), DType::I64 | DType::F64) {
            let kept: Vec<usize> = (0..nd).filter(|d| !norm.contains(d)).collect();
            let out_shape: Vec<usize> = kept.iter().map(|&d| a.shape()[d]).collect();
            let mut want = vec![0f64; size_of(&out_shape)];
            for (lin, v) in vals(&a).iter().enumerate() {
                let idx = unravel(lin, a.shape());
                let o: Vec<usize> = kept.iter().map(|&d| idx[d]).collect();
                want[ravel(&o, &out_shape)] += v;
            }
            let got = vals(&c);
            // Integers exactly; floats to the rounding a different
            // summation order may give (the library sums pairwise).
            let scale: f64 = vals(&a).iter().map(|v| v.abs()).sum::<f64>().max(1.0);
            let close = got.len() == want.len()
                && got.iter().zip(&want).all(|(g, w)| {
                    same(&[*g], &[*w])
                        || (a.dtype() == DType::F64 && (g - w).abs() <= 1e-13 * scale)
                });
            assert!(
                close,
                "sum over {axes:?} of {:?}: {got:?} vs {want:?}",
                a.shape()
            );
        }
        if op != ReduceOp::Prod {
            // (a product's rounding depends on its order in f16/f32)
            self.mirror_gpu(&[&a], &c, |x| x[0].reduce(op, axes.clone(), keep))?;
        }
        self.keep(c);
        Ok(())
    }

    fn index(&mut self) -> Result<(), strider::Error> {
        let a = self.any();
        if a.ndim() == 0 {
            return Ok(());
        }
        let n = a.shape()[0];
        let kind = self.rng.below(4);
        let (item, bad_kind) = match kind {
            0 => {
                let k = self.rng.below(5);
                let idx: Vec<i64> = (0..k)
                    .map(|_| self.rng.range(-(n as isize) - 2, n as isize + 1) as i64)
                    .collect();
                let oob = idx.iter().any(|&i| i >= n as i64 || i < -(n as i64));
                (IndexItem::indices(&idx), oob.then_some(ErrorKind::Index))
            }
            1 => {
                let len = if self.rng.chance(20) { n + 1 } else { n };
                let m: Vec<bool> = (0..len).map(|_| self.rng.chance(50)).collect();
                (IndexItem::mask(&m), (len != n).then_some(ErrorKind::Index))
            }
            2 => {
                // A float index array is refused.
                let f = Array::from_vec(vec![0.0f64; 2], &[2]).unwrap();
                (IndexItem::Array(f), Some(ErrorKind::Index))
            }
            _ => {
                let idx: Vec<i64> = (0..3).map(|_| self.rng.below(n.max(1)) as i64).collect();
                (
                    IndexItem::indices(&idx),
                    (n == 0).then_some(ErrorKind::Index),
                )
            }
        };
        let desc = format!("{item:?}");
        let r = a.index(std::slice::from_ref(&item));
        if let Some(kind) = bad_kind {
            let what = format_args!("index {desc} of {:?}", a.shape());
            return refused(r, &[kind, ErrorKind::DType], what);
        }
        let c = r?;
        check_layout(&c, "index");
        // Reference: rows picked from the C-order values.
        let row = size_of(&a.shape()[1..]);
        let av = vals(&a);
        let rows: Vec<usize> = match &item {
            IndexItem::Array(arr) if arr.dtype() == DType::Bool => vals(arr)
                .iter()
                .enumerate()
                .filter(|(_, &m)| m != 0.0)
                .map(|(i, _)| i)
                .collect(),
            IndexItem::Array(arr) => vals(arr)
                .iter()
                .map(|&i| if i < 0.0 { i + n as f64 } else { i } as usize)
                .collect(),
            IndexItem::Basic(_) => unreachable!(),
        };
        let want: Vec<f64> = rows
            .iter()
            .flat_map(|&r| av[r * row..(r + 1) * row].to_vec())
            .collect();
        assert!(same(&vals(&c), &want), "index {desc} of {:?}", a.shape());
        let item2 = item.clone();
        self.mirror_gpu(&[&a], &c, move |x| x[0].index(std::slice::from_ref(&item2)))?;
        self.keep(c);
        Ok(())
    }

    fn assign(&mut self) -> Result<(), strider::Error> {
        let a = self.any();
        let (items, bad) = self.slice_items(a.ndim());
        if bad {
            return Ok(());
        }
        let Ok(target) = a.slice(&items) else {
            return Ok(());
        };
        let before = vals(&a);
        let readonly = !a.flags().writeable;
        let r = if self.rng.chance(50) {
            a.assign(
                &items
                    .iter()
                    .cloned()
                    .map(IndexItem::Basic)
                    .collect::<Vec<_>>(),
                3,
            )
        } else {
            let src = self.any();
            a.assign(
                &items
                    .iter()
                    .cloned()
                    .map(IndexItem::Basic)
                    .collect::<Vec<_>>(),
                &src,
            )
        };
        if readonly {
            let e = r.expect_err("write into a read-only view accepted");
            assert_eq!(e.kind(), ErrorKind::ReadOnly, "{e}");
            assert!(same(&vals(&a), &before), "a refused write changed nothing");
            return Err(e);
        }
        if r.is_err() {
            assert!(
                same(&vals(&a), &before),
                "a refused assignment changed nothing"
            );
        }
        r?;
        check_layout(&target, "assign target");
        Ok(())
    }

    /// `x[a] += x[b]` on overlapping views: as if `x[b]` were copied first.
    fn inplace_overlap(&mut self) -> Result<(), strider::Error> {
        let n = 2 + self.rng.below(10);
        let x = Array::arange_i64(0, n as i64, 1)?;
        let x = if self.rng.chance(30) {
            match &self.gpu {
                Some(g) => x.to_device(g)?,
                None => x,
            }
        } else {
            x
        };
        let k = 1 + self.rng.below(n - 1);
        let step = *self.rng.pick(&[1isize, -1]);
        let (dst, src) = if step > 0 {
            (
                x.slice([SliceItem::range(0, (n - k) as isize)])?,
                x.slice([SliceItem::range(k as isize, n as isize)])?,
            )
        } else {
            (
                x.slice([SliceItem::range(k as isize, n as isize)])?,
                x.slice([SliceItem::Slice {
                    start: None,
                    stop: None,
                    step: Some(-1),
                }])?
                .slice([SliceItem::range(0, (n - k) as isize)])?,
            )
        };
        let (dv, sv) = (vals(&dst), vals(&src));
        dst.binary_inplace(BinaryOp::Add, &src)?;
        let want: Vec<f64> = dv.iter().zip(&sv).map(|(a, b)| a + b).collect();
        assert_eq!(
            vals(&dst),
            want,
            "x[..] += overlapping x[..] (n {n}, k {k}, step {step})"
        );
        Ok(())
    }

    fn concat(&mut self) -> Result<(), strider::Error> {
        let a = self.any();
        let b = if self.rng.chance(60) {
            a.clone()
        } else {
            self.any()
        };
        match self.rng.below(3) {
            0 => {
                let ax = self.axis(a.ndim());
                let r = concatenate(&[&a, &b], Some(ax));
                let c = match r {
                    Ok(c) => c,
                    Err(e) => {
                        assert!(
                            matches!(
                                e.kind(),
                                ErrorKind::Axis | ErrorKind::Shape | ErrorKind::Value
                            ),
                            "{e}"
                        );
                        return Err(e);
                    }
                };
                check_layout(&c, "concatenate");
                assert_eq!(c.size(), a.size() + b.size());
                let d = if ax < 0 { ax + a.ndim() as isize } else { ax } as usize;
                let (av, bv) = (vals(&a), vals(&b));
                for (lin, g) in vals(&c).iter().enumerate() {
                    let mut idx = unravel(lin, c.shape());
                    let want = if idx[d] < a.shape()[d] {
                        av[ravel(&idx, a.shape())]
                    } else {
                        idx[d] -= a.shape()[d];
                        bv[ravel(&idx, b.shape())]
                    };
                    assert!(
                        same(&[*g], &[want]),
                        "concatenate along {ax}: element {lin}"
                    );
                }
                self.keep(c);
            }
            1 => {
                let ax = self.axis(a.ndim() + 1);
                let r = stack(&[&a, &b], ax);
                if a.shape() != b.shape() {
                    let what = format_args!("stack of {:?} and {:?}", a.shape(), b.shape());
                    return refused(r, &[ErrorKind::Shape, ErrorKind::Axis], what);
                }
                let c = r?;
                check_layout(&c, "stack");
                let d = if ax < 0 { ax + c.ndim() as isize } else { ax } as usize;
                let (av, bv) = (vals(&a), vals(&b));
                for (lin, g) in vals(&c).iter().enumerate() {
                    let mut idx = unravel(lin, c.shape());
                    let which = idx.remove(d);
                    let src = if which == 0 { &av } else { &bv };
                    let want = src[ravel(&idx, a.shape())];
                    assert!(same(&[*g], &[want]), "stack along {ax}: element {lin}");
                }
                self.keep(c);
            }
            _ => {
                let cond = a.less(&b);
                let Ok(cond) = cond else {
                    return cond.map(|_| ());
                };
                let c = where_(&cond, &a, &b)?;
                check_layout(&c, "where");
                let (cv, av, bv) = (vals(&cond), vals(&a), vals(&b));
                for (lin, g) in vals(&c).iter().enumerate() {
                    let idx = unravel(lin, c.shape());
                    let want = if cv[broadcast_pos(&idx, cond.shape())] != 0.0 {
                        av[broadcast_pos(&idx, a.shape())]
                    } else {
                        bv[broadcast_pos(&idx, b.shape())]
                    };
                    assert!(same(&[*g], &[want]), "where: element {lin}");
                }
                self.keep(c);
            }
        }
        Ok(())
    }

    fn npy_print(&mut self) -> Result<(), strider::Error> {
        let a = self.any();
        let _ = format!("{a}");
        let _ = format!("{a:?}");
        let _ = a.explain();
        let bytes = a.to_npy_bytes()?;
        let back = Array::from_npy_bytes(&bytes)?;
        check_layout(&back, "npy");
        assert_eq!(back.shape(), a.shape());
        assert_eq!(back.dtype(), a.dtype());
        let (x, y) = (vals(&back), vals(&a));
        assert!(x.iter().zip(&y).all(|(p, q)| p.to_bits() == q.to_bits()));
        // A damaged file: any result but a panic, and never a wrong size.
        let mut bad = bytes.clone();
        match self.rng.below(3) {
            0 => bad.truncate(self.rng.below(bytes.len())),
            1 => {
                let i = self.rng.below(bad.len());
                bad[i] ^= 1 << self.rng.below(8);
            }
            _ => {
                if let Some(p) = bad.iter().position(|&c| c == b'(') {
                    bad.splice(p + 1..p + 1, b"99999999999, ".iter().copied());
                }
            }
        }
        if let Ok(c) = Array::from_npy_bytes(&bad) {
            check_layout(&c, "npy (damaged)");
            assert!(
                c.nbytes() <= bad.len(),
                "a damaged file made more data than it holds"
            );
        }
        Ok(())
    }

    fn transfer(&mut self) -> Result<(), strider::Error> {
        let a = self.any();
        let Some(g) = self.gpu.clone() else {
            return Ok(());
        };
        let up = match a.to_device(&g) {
            Err(e) if e.kind() == ErrorKind::DType || e.kind() == ErrorKind::Device => {
                return Err(e)
            }
            other => other?,
        };
        check_layout(&up, "to_device");
        let down = up.to_cpu()?;
        check_layout(&down, "to_cpu");
        assert!(same(&vals(&down), &vals(&a)), "round trip to the GPU");
        // Mixing devices is a device error.
        if a.ndim() > 0 {
            let e = a.add(&up).expect_err("CPU + GPU accepted");
            assert_eq!(e.kind(), ErrorKind::Device, "{e}");
        }
        Ok(())
    }

    /// Runs `f` on GPU copies of `inputs` and compares with the CPU's `want`.
    fn mirror_gpu(
        &mut self,
        inputs: &[&Array],
        want: &Array,
        f: impl FnOnce(&[&Array]) -> Result<Array, strider::Error>,
    ) -> Result<(), strider::Error> {
        let Some(g) = self.gpu.clone() else {
            return Ok(());
        };
        if !self.rng.chance(35) {
            return Ok(());
        }
        let mut up = Vec::new();
        for a in inputs {
            match a.to_device(&g) {
                Ok(u) => up.push(u),
                Err(_) => return Ok(()), // a dtype this adapter lacks
            }
        }
        let refs: Vec<&Array> = up.iter().collect();
        let got = f(&refs).unwrap_or_else(|e| panic!("the GPU refused what the CPU did: {e}"));
        check_layout(&got, "gpu result");
        assert_eq!(got.shape(), want.shape(), "gpu shape");
        assert_eq!(got.dtype(), want.dtype(), "gpu dtype");
        let (x, y) = (vals(&got), vals(want));
        let same = x
            .iter()
            .zip(&y)
            .all(|(p, q)| p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()));
        assert!(same, "GPU and CPU differ: {x:?} vs {y:?}");
        Ok(())
    }
}

fn run(gpu: Option<Device>, label: &str) {
    let cases: usize = std::env::var("STRIDER_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(FUZZ_CASES);
    let seed: u64 = std::env::var("STRIDER_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_0001);
    let mut f = Fuzz {
        rng: Rng(seed),
        pool: Vec::new(),
        gpu,
        tally: BTreeMap::new(),
        cases: 0,
    };
    for case in 0..cases {
        let state = f.rng.0;
        let outcome = catch_unwind(AssertUnwindSafe(|| f.step()));
        match outcome {
            Ok((action, r)) => {
                f.record(action, &r);
                f.cases += 1;
            }
            Err(p) => {
                let msg = common::panic_message(&*p);
                panic!(
                    "{label}: case {case} (rng state {state:#x}, seed {seed:#x}) panicked: {msg}"
                );
            }
        }
    }
    eprintln!("{label}: {} fuzz cases, no panic", f.cases);
    for (action, t) in &f.tally {
        eprintln!("  {action:>20}: {} ok, errors {:?}", t.ok, t.errors);
    }
}

#[test]
fn fuzz_cpu() {
    run(None, "cpu");
}

#[test]
fn fuzz_gpu() {
    let Some(g) = common::gpu_or_skip("fuzz_gpu") else {
        return;
    };
    run(Some(g), "gpu");
}

/// Found by the fuzzer: a transfer keeps the source's layout, and a
/// broadcast view (zero strides) came back writeable on the other device,
/// so a write would land in several elements at once.
#[test]
fn regression_a_transferred_broadcast_view_stays_read_only() {
    let Some(g) = common::gpu_or_skip("transfer of a broadcast view") else {
        return;
    };
    let b = Array::from_vec(vec![1.0f32, 2.0], &[2, 1])
        .unwrap()
        .broadcast_to(&[2, 3])
        .unwrap();
    let up = b.to_device(&g).unwrap();
    assert!(!up.flags().writeable);
    assert_eq!(up.fill(0.0).unwrap_err().kind(), ErrorKind::ReadOnly);
    let down = up.to_cpu().unwrap();
    assert!(!down.flags().writeable);
    assert_eq!(vals(&down), [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
    // A copy is new, dense, writeable memory.
    let c = up.copy().unwrap();
    assert!(c.flags().writeable);
    c.fill(5.0).unwrap();
    assert_eq!(vals(&up), [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
    // Transfers of arrays without repeated elements stay writeable.
    let t = Array::ones(&[2, 3], DType::F32)
        .unwrap()
        .t()
        .to_device(&g)
        .unwrap();
    assert!(t.flags().writeable);
}
