//! Property tests of the CPU kernels against a naive reference that walks
//! multi-indices one element at a time: shapes with rank 0, length-0 and
//! length-1 axes, negative steps, permutations and broadcasts.

use proptest::prelude::*;
use strider::{Array, Axes, BinaryOp, DType, Order, ReduceOp, SliceItem};

mod common;
use common::multi_indices as indices;

/// The index into an operand of shape `op_shape` broadcast to `out_idx`.
fn bcast_index(out_idx: &[usize], op_shape: &[usize]) -> Vec<usize> {
    let off = out_idx.len() - op_shape.len();
    op_shape
        .iter()
        .enumerate()
        .map(|(d, &n)| if n == 1 { 0 } else { out_idx[off + d] })
        .collect()
}

/// A strategy for a base shape and a view of it: optional step slicing
/// (negative steps included) and an optional axis permutation.
fn view_strategy() -> impl Strategy<Value = (Vec<usize>, Vec<(i64, i64)>, Vec<usize>)> {
    prop::collection::vec(0usize..5, 0..4).prop_flat_map(|shape| {
        let nd = shape.len();
        let steps = prop::collection::vec((-2i64..3, 0i64..2), nd);
        let perm = Just((0..nd).collect::<Vec<_>>()).prop_shuffle();
        (Just(shape), steps, perm)
    })
}

fn make_view(shape: &[usize], steps: &[(i64, i64)], perm: &[usize], start: i64) -> Array {
    let n: usize = shape.iter().product();
    let base = Array::arange_i64(start, start + n as i64, 1)
        .unwrap()
        .reshape(&shape.iter().map(|&d| d as isize).collect::<Vec<_>>())
        .unwrap();
    let items: Vec<SliceItem> = steps
        .iter()
        .map(|&(step, skip)| match step {
            0 => SliceItem::full(),
            s => SliceItem::Slice {
                start: if skip == 1 {
                    Some(if s > 0 { 1 } else { -2 })
                } else {
                    None
                },
                stop: None,
                step: Some(s as isize),
            },
        })
        .collect();
    let v = base.slice(&items).unwrap();
    let perm: Vec<isize> = perm.iter().map(|&p| p as isize).collect();
    v.transpose(Some(&perm)).unwrap()
}

/// Makes `shape` broadcast-compatible with itself by turning some axes to
/// length 1 and dropping leading axes.
fn squash(a: &Array, mask: u8, drop: usize) -> Array {
    let mut items: Vec<SliceItem> = a
        .shape()
        .iter()
        .enumerate()
        .map(|(d, &n)| {
            if mask & (1 << d) != 0 && n > 0 {
                SliceItem::range(0, 1)
            } else {
                SliceItem::full()
            }
        })
        .collect();
    for (d, item) in items.iter_mut().enumerate().take(drop.min(a.ndim())) {
        if a.shape()[d] > 0 {
            *item = SliceItem::Index(0);
        } else {
            break;
        }
    }
    a.slice(&items).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn binary_matches_naive((shape, steps, perm) in view_strategy(), mask in 0u8..16, drop in 0usize..3) {
        let a = make_view(&shape, &steps, &perm, 0);
        let b = squash(&make_view(&shape, &steps, &perm, 7), mask, drop);
        for op in [BinaryOp::Add, BinaryOp::Subtract, BinaryOp::Multiply, BinaryOp::Maximum, BinaryOp::Less, BinaryOp::FloorDivide] {
            let out = a.binary(op, &b).unwrap();
            prop_assert_eq!(out.shape(), a.shape());
            for idx in indices(out.shape()) {
                let x = a.get::<i64>(&idx).unwrap();
                let y = b.get::<i64>(&bcast_index(&idx, b.shape())).unwrap();
                match op {
                    BinaryOp::Less => prop_assert_eq!(out.get::<bool>(&idx).unwrap(), x < y),
                    _ => {
                        let want = match op {
                            BinaryOp::Add => x + y,
                            BinaryOp::Subtract => x - y,
                            BinaryOp::Multiply => x * y,
                            BinaryOp::Maximum => x.max(y),
                            _ => if y == 0 { 0 } else { x.div_euclid(y) - if y < 0 && x.rem_euclid(y) != 0 { 1 } else { 0 } },
                        };
                        prop_assert_eq!(out.get::<i64>(&idx).unwrap(), want, "{:?} at {:?}", op, idx);
                    }
                }
            }
        }
    }

    #[test]
    fn mixed_dtypes_match_naive((shape, steps, perm) in view_strategy()) {
        let a = make_view(&shape, &steps, &perm, -3).astype(DType::I32).unwrap();
        let b = make_view(&shape, &steps, &perm, 1).astype(DType::F32).unwrap().t();
        let b = b.t();
        let out = a.multiply(&b).unwrap();
        prop_assert_eq!(out.dtype(), DType::F64);
        for idx in indices(out.shape()) {
            let want = a.get::<i32>(&idx).unwrap() as f64 * b.get::<f32>(&idx).unwrap() as f64;
            prop_assert_eq!(out.get::<f64>(&idx).unwrap(), want);
        }
    }

    #[test]
    fn inplace_through_views((shape, steps, perm) in view_strategy(), mask in 0u8..16) {
        let a = make_view(&shape, &steps, &perm, 0);
        let before: Vec<Vec<i64>> = indices(a.shape()).iter().map(|i| vec![a.get::<i64>(i).unwrap()]).collect();
        let b = squash(&a.copy().unwrap(), mask, 0);
        a.binary_inplace(BinaryOp::Add, &b).unwrap();
        for (k, idx) in indices(a.shape()).iter().enumerate() {
            let y = b.get::<i64>(&bcast_index(idx, b.shape())).unwrap();
            prop_assert_eq!(a.get::<i64>(idx).unwrap(), before[k][0] + y);
        }
    }

    #[test]
    fn overlapping_inplace_reads_source_first(n in 1usize..40, shift in 1usize..5) {
        let x = Array::arange_i64(0, n as i64, 1).unwrap();
        let naive: Vec<i64> = (0..n as i64).collect();
        if shift < n {
            let dst = x.slice([SliceItem::range(shift as isize, n as isize)]).unwrap();
            let src = x.slice([SliceItem::range(0, (n - shift) as isize)]).unwrap();
            dst.binary_inplace(BinaryOp::Add, &src).unwrap();
            let got = x.to_vec::<i64>().unwrap();
            for i in 0..n {
                let want = if i >= shift { naive[i] + naive[i - shift] } else { naive[i] };
                prop_assert_eq!(got[i], want);
            }
        }
    }

    #[test]
    fn reductions_match_naive((shape, steps, perm) in view_strategy(), axes_mask in 0u8..16, keep in any::<bool>()) {
        let a = make_view(&shape, &steps, &perm, -5);
        let nd = a.ndim();
        let axes: Vec<isize> = (0..nd).filter(|d| axes_mask & (1 << d) != 0).map(|d| d as isize).collect();
        let sum = a.reduce(ReduceOp::Sum, axes.clone(), keep).unwrap();
        let mx = a.reduce(ReduceOp::Max, axes.clone(), keep);
        let kept: Vec<usize> = (0..nd).filter(|d| !axes.contains(&(*d as isize))).collect();
        let kept_shape: Vec<usize> = kept.iter().map(|&d| a.shape()[d]).collect();
        for kidx in indices(&kept_shape) {
            let mut total = 0i64;
            let mut best: Option<i64> = None;
            for idx in indices(a.shape()) {
                if kept.iter().zip(&kidx).all(|(&d, &i)| idx[d] == i) {
                    let v = a.get::<i64>(&idx).unwrap();
                    total += v;
                    best = Some(best.map_or(v, |b| b.max(v)));
                }
            }
            let oidx: Vec<usize> = if keep {
                (0..nd).map(|d| kept.iter().position(|&k| k == d).map_or(0, |p| kidx[p])).collect()
            } else {
                kidx.clone()
            };
            prop_assert_eq!(sum.get::<i64>(&oidx).unwrap(), total);
            match (&mx, best) {
                (Ok(m), Some(b)) => prop_assert_eq!(m.get::<i64>(&oidx).unwrap(), b),
                (Err(e), None) => prop_assert_eq!(e.kind(), strider::ErrorKind::EmptyReduction),
                (Ok(m), None) => prop_assert_eq!(m.size(), 0),
                (Err(e), Some(_)) => prop_assert!(false, "unexpected error {}", e),
            }
        }
    }

    #[test]
    fn copies_keep_values((shape, steps, perm) in view_strategy()) {
        let a = make_view(&shape, &steps, &perm, 2);
        let want = a.to_vec::<i64>().unwrap();
        for order in [Order::C, Order::F, Order::A, Order::K] {
            let c = a.copy_order(order).unwrap();
            prop_assert_eq!(c.to_vec::<i64>().unwrap(), want.clone());
            prop_assert!(!c.shares_memory(&a) || a.size() == 0);
            prop_assert!(c.strides().iter().all(|&s| s >= 0));
        }
        let r = a.reshape(&[-1]).unwrap();
        prop_assert_eq!(r.to_vec::<i64>().unwrap(), want.clone());
        let f = a.astype(DType::F32).unwrap();
        prop_assert_eq!(f.to_vec::<f32>().unwrap(), want.iter().map(|&v| v as f32).collect::<Vec<_>>());
    }
}

/// Large operands go through the threaded path of the driver; the result
/// must equal the single-element reference.
#[test]
fn threaded_paths_match_reference() {
    let n = 700;
    let a = Array::arange(0.0, (n * n) as f64, 1.0, DType::F64)
        .unwrap()
        .reshape(&[n as isize, n as isize])
        .unwrap();
    let b = a.t();
    let c = a.add(&b).unwrap();
    for &(i, j) in &[(0, 0), (1, 2), (699, 3), (350, 699), (698, 697)] {
        assert_eq!(
            c.get::<f64>(&[i, j]).unwrap(),
            (i * n + j + j * n + i) as f64
        );
    }
    let s0 = a.sum(0).unwrap().to_vec::<f64>().unwrap();
    let s1 = a.sum(1).unwrap().to_vec::<f64>().unwrap();
    for j in [0, 5, 699] {
        let col: f64 = (0..n).map(|i| (i * n + j) as f64).sum();
        let row: f64 = (0..n).map(|k| (j * n + k) as f64).sum();
        assert_eq!(s0[j], col);
        assert_eq!(s1[j], row);
    }
    let total = a.sum(Axes::All).unwrap().item::<f64>().unwrap();
    let nn = (n * n) as f64;
    assert_eq!(total, nn * (nn - 1.0) / 2.0);
    let am = a.argmax(Axes::All).unwrap().item::<i64>().unwrap();
    assert_eq!(am, (n * n - 1) as i64);
}

/// Float sums are at least as accurate as pairwise summation.
#[test]
fn float_sum_accuracy() {
    let n = 1 << 20;
    let v: Vec<f32> = (0..n).map(|i| 0.1 + (i % 7) as f32 * 1e-3).collect();
    let exact: f64 = v.iter().map(|&x| x as f64).sum();
    let a = Array::from_vec(v, &[n]).unwrap();
    let got = a.sum(Axes::All).unwrap().item::<f32>().unwrap() as f64;
    assert!(
        ((got - exact) / exact).abs() < 1e-6,
        "relative error {}",
        (got - exact) / exact
    );
    let h = a.astype(DType::F16).unwrap();
    let hs = h.sum(Axes::All).unwrap();
    assert_eq!(hs.dtype(), DType::F16);
}
