//! The CPU engine's fast paths against naive references, at every SIMD
//! level this CPU has: contiguous single runs, merged axes, tiled walks
//! (operands that disagree on the fastest axis), threaded splits, negative
//! strides, broadcasts, odd lengths and tails, half-precision blocks, the
//! reduction walks (rows, split, outputs) and the vectorised math.
//!
//! References are computed element by element through `Array::get`, which
//! does not use the kernels. Every level must also give bit-identical
//! results to the baseline level.

mod common;

use std::sync::Mutex;
use strider::cpu::{best_simd_level, set_simd_level, SimdLevel};
use strider::half::{bf16, f16};
use strider::{s, Array, Axes, DType, Element, UnaryOp};

/// The SIMD level is process-wide: tests here take turns.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The levels to test: every level up to the CPU's best.
fn levels() -> Vec<SimdLevel> {
    [SimdLevel::Baseline, SimdLevel::Avx2, SimdLevel::Avx512]
        .into_iter()
        .filter(|&l| l <= best_simd_level())
        .collect()
}

/// Runs `f` at every level and checks each level's output equals the
/// baseline's bit for bit; returns the baseline output.
fn at_every_level(f: impl Fn() -> Vec<u64>) -> Vec<u64> {
    let best = best_simd_level();
    let mut first: Option<Vec<u64>> = None;
    for level in levels() {
        set_simd_level(level);
        let got = f();
        match &first {
            None => first = Some(got),
            Some(want) => assert!(want == &got, "level {} differs from baseline", level.name()),
        }
    }
    set_simd_level(best);
    first.unwrap()
}

/// Elements of `a` in C order, read one by one through `get`.
fn naive<T: Element>(a: &Array) -> Vec<T> {
    common::multi_indices(a.shape())
        .iter()
        .map(|idx| a.get::<T>(idx).unwrap())
        .collect()
}

fn bits_f32(v: &[f32]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits() as u64).collect()
}

fn bits_f64(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// f32 data with fractions, signs and a wide range, `n` elements.
fn data_f32(n: usize, seed: u32) -> Vec<f32> {
    (0..n as u32)
        .map(|i| {
            let h = (i.wrapping_add(seed)).wrapping_mul(0x9E37_79B1) >> 8;
            (h as f32 / (1 << 24) as f32 - 0.5) * 64.0
        })
        .collect()
}

/// The views every elementwise check runs on: contiguous, transposed,
/// reversed, stepped, and a broadcast row and column; odd lengths so tails
/// and tile edges are hit.
fn views(rows: usize, cols: usize, seed: u32) -> Vec<(&'static str, Array)> {
    let base = Array::from_vec(data_f32(rows * cols, seed), &[rows, cols]).unwrap();
    let square = Array::from_vec(data_f32(cols * rows, seed + 7), &[cols, rows]).unwrap();
    let wide = Array::from_vec(data_f32(rows * cols * 2, seed + 3), &[rows, cols * 2]).unwrap();
    let row = Array::from_vec(data_f32(cols, seed + 11), &[1, cols]).unwrap();
    let col = Array::from_vec(data_f32(rows, seed + 13), &[rows, 1]).unwrap();
    vec![
        ("contiguous", base.clone()),
        ("transposed", square.t()),
        ("reversed", base.slice(s![..;-1, ..;-1]).unwrap()),
        ("stepped", wide.slice(s![.., ..;2]).unwrap()),
        ("row", row.broadcast_to(&[rows, cols]).unwrap()),
        ("col", col.broadcast_to(&[rows, cols]).unwrap()),
    ]
}

#[test]
fn binary_ops_on_every_walk_match_naive() {
    let _turn = serial();
    // 37 x 45: small, single-threaded; 613 x 307: above the thread
    // threshold, tiles with ragged edges.
    for (rows, cols) in [(1, 1), (3, 1), (37, 45), (613, 307)] {
        let xs = views(rows, cols, 1);
        let ys = views(rows, cols, 2);
        for (xn, x) in &xs {
            for (yn, y) in &ys {
                let want: Vec<f32> = naive::<f32>(x)
                    .iter()
                    .zip(naive::<f32>(y))
                    .map(|(a, b)| a * 0.5 + b)
                    .collect();
                let got = at_every_level(|| {
                    let r = x.multiply(0.5).unwrap().add(y).unwrap();
                    bits_f32(&r.to_vec::<f32>().unwrap())
                });
                assert_eq!(got, bits_f32(&want), "{rows}x{cols} {xn} + {yn}");
                // Into a transposed (F-ordered) output too.
                let out = Array::zeros(&[cols, rows], DType::F32).unwrap().t();
                x.add_into(y, &out).unwrap();
                let sum: Vec<f32> = naive::<f32>(x)
                    .iter()
                    .zip(naive::<f32>(y))
                    .map(|(a, b)| a + b)
                    .collect();
                assert_eq!(naive::<f32>(&out), sum, "{rows}x{cols} {xn} + {yn} into F");
            }
        }
    }
}

#[test]
fn copies_and_casts_on_every_walk_match_naive() {
    let _turn = serial();
    for (rows, cols) in [(5, 3), (129, 67), (700, 333)] {
        for (name, v) in views(rows, cols, 5) {
            let want = naive::<f32>(&v);
            let got =
                at_every_level(|| bits_f32(&v.to_contiguous().unwrap().to_vec::<f32>().unwrap()));
            assert_eq!(got, bits_f32(&want), "{rows}x{cols} {name} copy");
            for dt in [
                DType::F64,
                DType::I32,
                DType::F16,
                DType::BF16,
                DType::U8,
                DType::I8,
                DType::I16,
                DType::U16,
            ] {
                let got = at_every_level(|| {
                    let c = v.astype(dt).unwrap().astype(DType::F64).unwrap();
                    bits_f64(&c.to_vec::<f64>().unwrap())
                });
                let want: Vec<f64> = want
                    .iter()
                    .map(|&x| match dt {
                        DType::F64 => x as f64,
                        DType::I32 => x as i32 as f64,
                        DType::F16 => f16::from_f32(x).to_f64(),
                        DType::BF16 => bf16::from_f32(x).to_f64(),
                        DType::I8 => (x as i64 as i8) as f64,
                        DType::I16 => (x as i64 as i16) as f64,
                        DType::U16 => (x as i64 as u16) as f64,
                        _ => (x as i64 as u8) as f64,
                    })
                    .collect();
                assert_eq!(got, bits_f64(&want), "{rows}x{cols} {name} as {dt}");
            }
        }
    }
}

#[test]
fn half_precision_blocks_round_once_from_f32() {
    for dt in [DType::F16, DType::BF16] {
        for (name, v) in views(33, 1031, 9) {
            let h = v.astype(dt).unwrap();
            let w = views(33, 1031, 4)[0].1.astype(dt).unwrap();
            let hx = naive::<f64>(&h.astype(DType::F64).unwrap());
            let wx = naive::<f64>(&w.astype(DType::F64).unwrap());
            let round = |x: f32| match dt {
                DType::F16 => f16::from_f32(x).to_f64(),
                _ => bf16::from_f32(x).to_f64(),
            };
            let got = at_every_level(|| {
                let r = h.multiply(&w).unwrap().subtract(1.5).unwrap();
                bits_f64(&r.astype(DType::F64).unwrap().to_vec::<f64>().unwrap())
            });
            // NumPy's half loops: widen, compute in f32, round once per op.
            let want: Vec<f64> = hx
                .iter()
                .zip(&wx)
                .map(|(&a, &b)| round(round((a as f32) * (b as f32)) as f32 - 1.5))
                .collect();
            assert_eq!(got, bits_f64(&want), "{dt} {name}");
            let sq = h.unary(UnaryOp::Sqrt).unwrap();
            let want: Vec<f64> = hx.iter().map(|&a| round((a as f32).sqrt())).collect();
            let got = naive::<f64>(&sq.astype(DType::F64).unwrap());
            assert_eq!(bits_f64(&got), bits_f64(&want), "{dt} {name} sqrt");
        }
    }
}

#[test]
fn vectorised_math_is_close_to_libm_on_every_walk() {
    let _turn = serial();
    // Mixed magnitudes, including sin/cos arguments past the vector
    // range (the fix-up pass), infinities and NaN.
    let mut v = data_f32(4099, 17);
    v[5] = 3.0e7;
    v[600] = f32::INFINITY;
    v[601] = f32::NEG_INFINITY;
    v[602] = f32::NAN;
    v[4098] = -1.0e9;
    let a = Array::from_vec(v.clone(), &[4099]).unwrap();
    let rev = a.slice(s![..;-1]).unwrap();
    for op in [
        UnaryOp::Exp,
        UnaryOp::Log,
        UnaryOp::Sin,
        UnaryOp::Cos,
        UnaryOp::Tanh,
    ] {
        for (name, x) in [("contiguous", &a), ("reversed", &rev)] {
            let xs = naive::<f32>(x);
            let got = at_every_level(|| bits_f32(&x.unary(op).unwrap().to_vec::<f32>().unwrap()));
            for (i, (&g, &x)) in got.iter().zip(&xs).enumerate() {
                let g = f32::from_bits(g as u32) as f64;
                let x = x as f64;
                let want = match op {
                    UnaryOp::Exp => x.exp(),
                    UnaryOp::Log => x.ln(),
                    UnaryOp::Sin => x.sin(),
                    UnaryOp::Cos => x.cos(),
                    _ => x.tanh(),
                };
                let want32 = want as f32;
                let ulp = (want32.abs().max(f32::MIN_POSITIVE) * f32::EPSILON) as f64;
                let ok = (g.is_nan() && want.is_nan())
                    || g == want32 as f64
                    || (g - want).abs() <= 1.0 * ulp;
                assert!(ok, "{} {name}[{i}]: {x} -> {g}, libm {want}", op.name());
            }
        }
    }
}

#[test]
fn reductions_on_every_walk_match_naive() {
    let _turn = serial();
    // Integer-valued floats: every order of summation is exact, so the
    // row, split and output walks must agree with the naive sum exactly.
    for (rows, cols) in [
        (1, 1),
        (7, 3),
        (513, 37),
        (3, 70_001),
        (600, 301),
        (70_001, 3),
        (1, 600_001),
    ] {
        let n = rows * cols;
        let v: Vec<f64> = (0..n).map(|i| ((i * 7919) % 1013) as f64 - 500.0).collect();
        let base = Array::from_vec(v, &[rows, cols]).unwrap();
        for (name, a) in [
            ("C", base.clone()),
            ("T", base.t()),
            ("reversed", base.slice(s![..;-1, ..]).unwrap()),
        ] {
            let (r, c) = (a.shape()[0], a.shape()[1]);
            let x = naive::<f64>(&a);
            let col: Vec<f64> = (0..c).map(|j| (0..r).map(|i| x[i * c + j]).sum()).collect();
            let row: Vec<f64> = (0..r).map(|i| x[i * c..(i + 1) * c].iter().sum()).collect();
            let all: f64 = x.iter().sum();
            let got = at_every_level(|| {
                let mut out = bits_f64(&a.sum(0).unwrap().to_vec::<f64>().unwrap());
                out.extend(bits_f64(&a.sum(1).unwrap().to_vec::<f64>().unwrap()));
                out.push(a.sum(Axes::All).unwrap().item::<f64>().unwrap().to_bits());
                out
            });
            let mut want = bits_f64(&col);
            want.extend(bits_f64(&row));
            want.push(all.to_bits());
            assert_eq!(got, want, "{rows}x{cols} {name} sums");
            // f32 and int32 inputs through the same walks.
            let a32 = a.astype(DType::F32).unwrap();
            assert_eq!(
                a32.sum(0).unwrap().to_vec::<f32>().unwrap(),
                col.iter().map(|&s| s as f32).collect::<Vec<_>>()
            );
            let ai = a.astype(DType::I32).unwrap();
            assert_eq!(
                ai.sum(1).unwrap().to_vec::<i64>().unwrap(),
                row.iter().map(|&s| s as i64).collect::<Vec<_>>()
            );
            // argmax/argmin: the first index of the extreme, every walk.
            let firsts = |axis: usize, max: bool| -> Vec<i64> {
                let (outer, len) = if axis == 0 { (c, r) } else { (r, c) };
                (0..outer)
                    .map(|o| {
                        let at = |k: usize| {
                            if axis == 0 {
                                x[k * c + o]
                            } else {
                                x[o * c + k]
                            }
                        };
                        let mut best = 0;
                        for k in 1..len {
                            if (max && at(k) > at(best)) || (!max && at(k) < at(best)) {
                                best = k;
                            }
                        }
                        best as i64
                    })
                    .collect()
            };
            for axis in [0usize, 1] {
                assert_eq!(
                    a.argmax(axis as isize).unwrap().to_vec::<i64>().unwrap(),
                    firsts(axis, true),
                    "{name} argmax {axis}"
                );
                assert_eq!(
                    a.argmin(axis as isize).unwrap().to_vec::<i64>().unwrap(),
                    firsts(axis, false),
                    "{name} argmin {axis}"
                );
            }
            let whole = naive::<f64>(&a);
            let first_max = whole
                .iter()
                .enumerate()
                .fold(0, |b, (i, &v)| if v > whole[b] { i } else { b });
            assert_eq!(
                a.argmax(Axes::All).unwrap().item::<i64>().unwrap(),
                first_max as i64
            );
            let mx = whole.iter().cloned().fold(f64::MIN, f64::max);
            assert_eq!(a.max(Axes::All).unwrap().item::<f64>().unwrap(), mx);
        }
    }
}

#[test]
fn nan_propagates_through_split_and_row_walks() {
    let _turn = serial();
    let mut v = vec![1.0f32; 600 * 301];
    v[301 * 450 + 7] = f32::NAN;
    let a = Array::from_vec(v, &[600, 301]).unwrap();
    assert!(a.sum(Axes::All).unwrap().item::<f32>().unwrap().is_nan());
    assert!(a.max(Axes::All).unwrap().item::<f32>().unwrap().is_nan());
    assert_eq!(
        a.argmax(Axes::All).unwrap().item::<i64>().unwrap(),
        301 * 450 + 7
    );
    let s0 = a.sum(0).unwrap().to_vec::<f32>().unwrap();
    assert!(s0[7].is_nan() && s0[6] == 600.0);
    let m0 = a.max(0).unwrap().to_vec::<f32>().unwrap();
    assert!(m0[7].is_nan() && m0[8] == 1.0);
    assert_eq!(a.argmin(0).unwrap().to_vec::<i64>().unwrap()[7], 450);
}

#[test]
fn axis_sums_are_at_least_as_accurate_as_pairwise() {
    let _turn = serial();
    // 0.1-ish values: naive f32 summation down 4096 rows drifts by about
    // 1e-5 relative; the row walk's Kahan accumulators stay near 1e-7.
    let (r, c) = (4096, 64);
    let v: Vec<f32> = (0..r * c).map(|i| 0.1 + (i % 13) as f32 * 1e-3).collect();
    let a = Array::from_vec(v.clone(), &[r, c]).unwrap();
    let s0 = a.sum(0).unwrap().to_vec::<f32>().unwrap();
    for j in 0..c {
        let exact: f64 = (0..r).map(|i| v[i * c + j] as f64).sum();
        let rel = ((s0[j] as f64 - exact) / exact).abs();
        assert!(rel < 2e-7, "column {j}: relative error {rel}");
    }
}

// ----- index kernels (issue 12) ------------------------------------------------

/// The same index through the general walk: an `Ellipsis` after the array
/// item selects the same elements but is not one of the forms the index
/// kernels take.
fn general(item: &strider::IndexItem) -> Vec<strider::IndexItem> {
    vec![item.clone(), strider::SliceItem::Ellipsis.into()]
}

/// Shape, strides, dtype and values of an array.
type Seen = (Vec<usize>, Vec<isize>, DType, Vec<f64>);

/// What an index call gave: the result as [`Seen`], or its error message.
fn outcome(r: strider::Result<Array>) -> Result<Seen, String> {
    r.map(|a| {
        (
            a.shape().to_vec(),
            a.strides(),
            a.dtype(),
            common::values(&a),
        )
    })
    .map_err(|e| e.to_string())
}

/// `x[item]` (one array item: the index kernels) gives what the general
/// walk gives for the same selection.
fn same_as_general(x: &Array, item: &strider::IndexItem, what: &str) {
    let fast = outcome(x.index(std::slice::from_ref(item)));
    assert_eq!(fast, outcome(x.index(&general(item))), "{what}");
}

/// Masks and index arrays over C-contiguous sources of every dtype, with
/// odd lengths, rows of several elements, negative and repeated indices,
/// out-of-bounds indices and mismatched values: the kernels give what the
/// general walk gives (values, result layout, errors), and assignments
/// leave the same array behind.
#[test]
fn index_kernels_match_the_general_walk() {
    use strider::IndexItem;
    let dtypes = [
        DType::Bool,
        DType::U8,
        DType::I16,
        DType::I32,
        DType::F32,
        DType::I64,
        DType::F64,
        DType::F16,
    ];
    let shapes: [&[usize]; 6] = [&[0], &[1], &[37], &[9, 5], &[4, 3, 2], &[70_001]];
    let mut rng = common::Rng(12);
    for (case, &dt) in dtypes.iter().cycle().take(48).enumerate() {
        let shape = shapes[case % shapes.len()];
        let x = common::sample(dt, shape, case);
        // A mask over the leading 1..=ndim axes.
        let k = 1 + rng.below(shape.len());
        let m: Vec<bool> = (0..shape[..k].iter().product::<usize>())
            .map(|_| rng.chance(30))
            .collect();
        let mask = Array::from_vec(m.clone(), &shape[..k]).unwrap();
        same_as_general(
            &x,
            &IndexItem::from(&mask),
            &format!("x[mask] {dt} {shape:?} k={k}"),
        );
        // Indices in -n..n plus, sometimes, one out of bounds.
        let n = shape[0] as i64;
        let mut idx: Vec<i64> = (0..rng.below(40))
            .map(|_| rng.range(-(n as isize), n as isize - 1) as i64)
            .collect();
        if n == 0 {
            idx.clear();
        }
        if rng.chance(20) {
            idx.push(if rng.chance(50) { n } else { -n - 1 });
        }
        for idt in [DType::I64, DType::I32, DType::U8] {
            if idt == DType::U8 && idx.iter().any(|&v| v < 0) {
                continue;
            }
            let ia = Array::from_vec(idx.clone(), &[idx.len()])
                .unwrap()
                .astype(idt)
                .unwrap();
            same_as_general(
                &x,
                &IndexItem::from(&ia),
                &format!("x[idx] {dt} {shape:?} {idt}"),
            );
        }
        // Assignments: a scalar, a value of the full selected shape, a
        // broadcast row, a value of another dtype, a wrong shape.
        let ia = Array::from_vec(idx.clone(), &[idx.len()]).unwrap();
        for item in [IndexItem::from(&mask), IndexItem::from(&ia)] {
            let sel = match x.index(&general(&item)) {
                Ok(s) => s,
                Err(_) => continue,
            };
            let rows = sel.shape().to_vec();
            let mut values = vec![
                Array::scalar(3i64),
                common::sample(dt, &rows, case + 1),
                common::sample(DType::F64, &rows, case + 2),
                common::sample(dt, &[rows.len() + 3], case),
            ];
            if rows.len() > 1 {
                values.push(common::sample(dt, &rows[1..], case + 3));
            }
            for v in values {
                let (a, b) = (x.copy().unwrap(), x.copy().unwrap());
                let ra = a
                    .assign(std::slice::from_ref(&item), &v)
                    .map_err(|e| e.to_string());
                let rb = b.assign(&general(&item), &v).map_err(|e| e.to_string());
                assert_eq!(ra, rb, "assign {dt} {shape:?} value {:?}", v.shape());
                assert_eq!(
                    common::values(&a),
                    common::values(&b),
                    "assign {dt} {shape:?}"
                );
            }
        }
    }
}

/// Repeated destinations keep the last value on every thread count, and a
/// long mask splits into blocks whose parts join in order.
#[test]
fn scatter_keeps_the_last_write_and_masks_join_in_order() {
    use strider::IndexItem;
    let n = 300_000usize;
    let x = Array::zeros(&[n], DType::I64).unwrap();
    let idx: Vec<i64> = (0..400_000i64)
        .map(|k| (k * 7919) % n as i64 - (k % 2) * n as i64)
        .collect();
    let vals: Vec<i64> = (0..400_000i64).collect();
    x.assign(
        &[IndexItem::indices(&idx)],
        &Array::from_vec(vals.clone(), &[vals.len()]).unwrap(),
    )
    .unwrap();
    let mut want = vec![0i64; n];
    for (&i, &v) in idx.iter().zip(&vals) {
        want[(i + if i < 0 { n as i64 } else { 0 }) as usize] = v;
    }
    assert_eq!(x.to_vec::<i64>().unwrap(), want);
    let mask = x.greater(200_000).unwrap();
    let sel = x
        .index(&[IndexItem::from(&mask)])
        .unwrap()
        .to_vec::<i64>()
        .unwrap();
    let expect: Vec<i64> = want.iter().copied().filter(|&v| v > 200_000).collect();
    assert_eq!(sel, expect);
}

/// argmax/argmin over all and per axis against a naive first-index scan,
/// with NaN (first wins), ties, signed zeros and every walk.
#[test]
fn arg_reductions_match_naive() {
    let _g = serial();
    let naive_arg = |xs: &[f64], max: bool| -> i64 {
        let mut best = 0usize;
        for (i, &x) in xs.iter().enumerate() {
            let b = xs[best];
            if b.is_nan() {
                break;
            }
            if x.is_nan() || (max && x > b) || (!max && x < b) {
                best = i;
            }
        }
        best as i64
    };
    let mut rng = common::Rng(5);
    for &(rows, cols) in &[
        (1usize, 1usize),
        (3, 4097),
        (33, 17),
        (700, 300),
        (1, 70_000),
    ] {
        for dt in [
            DType::F32,
            DType::F64,
            DType::I64,
            DType::U8,
            DType::F16,
            DType::Bool,
        ] {
            let n = rows * cols;
            let mut v: Vec<f64> = (0..n).map(|_| (rng.below(50) as f64) - 25.0).collect();
            if dt.is_float() && n > 10 {
                for _ in 0..3 {
                    v[rng.below(n)] = f64::NAN;
                }
                v[rng.below(n)] = -0.0;
            }
            let a = Array::from_vec(v, &[rows, cols])
                .unwrap()
                .astype(dt)
                .unwrap();
            for view in [a.clone(), a.t(), a.slice(s![..;-1, ..]).unwrap()] {
                let vals = common::values(&view);
                let (r, c) = (view.shape()[0], view.shape()[1]);
                for max in [true, false] {
                    let arg = |ax: strider::Axes| {
                        if max {
                            view.argmax(ax)
                        } else {
                            view.argmin(ax)
                        }
                        .unwrap()
                        .to_vec::<i64>()
                        .unwrap()
                    };
                    assert_eq!(
                        arg(strider::Axes::All),
                        vec![naive_arg(&vals, max)],
                        "{dt} all {r}x{c}"
                    );
                    let per_row: Vec<i64> = (0..r)
                        .map(|i| naive_arg(&vals[i * c..(i + 1) * c], max))
                        .collect();
                    assert_eq!(
                        arg(strider::Axes::from(1isize)),
                        per_row,
                        "{dt} axis 1 {r}x{c} max={max}"
                    );
                    let per_col: Vec<i64> = (0..c)
                        .map(|j| {
                            naive_arg(&(0..r).map(|i| vals[i * c + j]).collect::<Vec<_>>(), max)
                        })
                        .collect();
                    assert_eq!(
                        arg(strider::Axes::from(0isize)),
                        per_col,
                        "{dt} axis 0 {r}x{c} max={max}"
                    );
                }
            }
        }
    }
}

/// Short inner runs joined across the next axis (a repeating operand read
/// from a tile): RGB-like and point-like last axes, broadcasts on either
/// side, mixed dtypes, a reversed operand, threaded sizes; against a naive
/// element-by-element reference, bit for bit, at every SIMD level.
#[test]
fn joined_short_runs_match_naive() {
    let _turn = serial();
    for (n, m, c) in [
        (5usize, 7usize, 3usize),
        (2000, 8, 2),
        (300, 700, 3),
        (1, 1, 1),
    ] {
        let img = Array::from_vec(data_f32(n * m * c, 3), &[n, m, c]).unwrap();
        let img_u8 = img.multiply(4.0).unwrap().astype(DType::U8).unwrap();
        let w = Array::from_vec(data_f32(c, 9), &[c]).unwrap();
        let pts = Array::from_vec(data_f32(n * c, 5), &[n, 1, c]).unwrap();
        let cen = Array::from_vec(data_f32(m * c, 6), &[1, m, c]).unwrap();
        let rev = img.slice(s![..;-1, .., ..]).unwrap();
        let cases: Vec<(&str, &Array, &Array)> = vec![
            ("img * w", &img, &w),
            ("u8 img * w", &img_u8, &w),
            ("pts - cen", &pts, &cen),
            ("w - reversed", &w, &rev),
        ];
        for (name, x, y) in cases {
            let got = at_every_level(|| {
                let r = x.subtract(y).unwrap();
                bits_f32(&r.to_vec::<f32>().unwrap())
            });
            let shape = strider::layout::broadcast_shapes("test", &[x.shape(), y.shape()]).unwrap();
            let as_f32 = |a: &Array| a.broadcast_to(&shape).unwrap().astype(DType::F32).unwrap();
            let (xb, yb) = (as_f32(x), as_f32(y));
            let want: Vec<f32> = common::multi_indices(&shape)
                .iter()
                .map(|i| xb.get::<f32>(i).unwrap() - yb.get::<f32>(i).unwrap())
                .collect();
            assert_eq!(got, bits_f32(&want), "{name} ({n}, {m}, {c})");
        }
    }
}

/// Reductions over a short last axis (the short walk): arg-reductions, max,
/// sum, mean and any, with a NaN, on contiguous and reversed inputs and an
/// empty axis, against a reference that reduces each output's few elements
/// one by one (sums within a relative bound: the walks add in different
/// orders).
#[test]
fn short_reductions_match_naive() {
    let _turn = serial();
    for (n, c) in [(9usize, 2usize), (1000, 3), (70_000, 8), (513, 16), (40, 0)] {
        let mut v = data_f32(n * c, 21);
        if n * c > 10 {
            v[7] = f32::NAN;
        }
        let base = Array::from_vec(v, &[n, c]).unwrap();
        let views = [
            base.clone(),
            base.slice(s![..;-1, ..]).unwrap(),
            base.slice(s![.., ..;-1]).unwrap(),
        ];
        for x in &views {
            let vals = naive::<f32>(x);
            let rows: Vec<&[f32]> = (0..n).map(|i| &vals[i * c..(i + 1) * c]).collect();
            let first_extreme = |r: &[f32], max: bool| -> i64 {
                let mut best = 0;
                for (i, &v) in r.iter().enumerate() {
                    if r[best].is_nan() {
                        break;
                    }
                    if v.is_nan() || (max && v > r[best]) || (!max && v < r[best]) {
                        best = i;
                    }
                }
                best as i64
            };
            if c > 0 {
                let am: Vec<i64> = rows.iter().map(|r| first_extreme(r, false)).collect();
                assert_eq!(
                    x.argmin(1isize).unwrap().to_vec::<i64>().unwrap(),
                    am,
                    "argmin ({n}, {c})"
                );
                let ax: Vec<i64> = rows.iter().map(|r| first_extreme(r, true)).collect();
                assert_eq!(
                    x.argmax(1isize).unwrap().to_vec::<i64>().unwrap(),
                    ax,
                    "argmax ({n}, {c})"
                );
                let mx: Vec<u64> = rows
                    .iter()
                    .map(|r| {
                        r.iter()
                            .copied()
                            .fold(r[0], |a, b| {
                                if a.is_nan() || b.is_nan() {
                                    f32::NAN
                                } else {
                                    a.max(b)
                                }
                            })
                            .to_bits() as u64
                    })
                    .collect();
                let got_mx = bits_f32(&x.max(1isize).unwrap().to_vec::<f32>().unwrap());
                let canon = |v: Vec<u64>| {
                    v.into_iter()
                        .map(|b| {
                            if f32::from_bits(b as u32).is_nan() {
                                0x7fc0_0000
                            } else {
                                b
                            }
                        })
                        .collect::<Vec<_>>()
                };
                assert_eq!(canon(got_mx), canon(mx), "max ({n}, {c})");
            }
            let sums = x.sum(1isize).unwrap().to_vec::<f32>().unwrap();
            let means = x.mean(1isize).unwrap().to_vec::<f32>().unwrap();
            for (i, r) in rows.iter().enumerate() {
                let exact: f64 = r.iter().map(|&v| v as f64).sum();
                let tol = 1e-5 * r.iter().map(|v| v.abs() as f64).sum::<f64>() + 1e-30;
                if exact.is_nan() {
                    assert!(
                        sums[i].is_nan() && means[i].is_nan(),
                        "NaN row {i} ({n}, {c})"
                    );
                    continue;
                }
                assert!(
                    (sums[i] as f64 - exact).abs() <= tol,
                    "sum row {i} ({n}, {c}): {} vs {exact}",
                    sums[i]
                );
                if c > 0 {
                    let m = exact / c as f64;
                    assert!(
                        (means[i] as f64 - m).abs() <= tol,
                        "mean row {i} ({n}, {c})"
                    );
                } else {
                    assert!(means[i].is_nan(), "mean of nothing ({n}, {c})");
                }
            }
            let any = x.any(1isize).unwrap().to_vec::<bool>().unwrap();
            let want_any: Vec<bool> = rows.iter().map(|r| r.iter().any(|&v| v != 0.0)).collect();
            assert_eq!(any, want_any, "any ({n}, {c})");
        }
    }
}
