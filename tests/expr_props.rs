//! Random expression trees against eager evaluation, bit for bit: every
//! tree is built twice from the same random choices, once as an [`Expr`]
//! and once as the eager ops it stands for, and the two results must have
//! the same dtype, shape, strides and element bits (signed zeros included;
//! a NaN must be a NaN, its sign and payload being left open by Rust's float
//! semantics, see `canonical`). Trees reach depth 6 over mixed dtypes (bool, uint8, int8,
//! int16, int32, int64, uint32, uint64, float16, bfloat16, float32, float64), views
//! with negative steps, transposes and broadcasts, weak scalars on either
//! side, casts, where and clip, with a reduction at the root in about half
//! of them. An op the eager path refuses must be refused by the expression
//! with the same message.

mod common;

use common::{Bits, Rng};
use strider::{
    binary_operands, s, where_, Array, Axes, BinaryOp, DType, Device, Expr, ExprArg, Operand,
    Order, ReduceOp, Scalar, UnaryOp,
};

const DTYPES: [DType; 12] = [
    DType::Bool,
    DType::U8,
    DType::I8,
    DType::I16,
    DType::I32,
    DType::I64,
    DType::U32,
    DType::U64,
    DType::F16,
    DType::BF16,
    DType::F32,
    DType::F64,
];

/// The shape every tree broadcasts to.
const BASE: [usize; 3] = [3, 4, 70];

/// A random value for an element of `dt`: small integers, halves, and for
/// floats now and then NaN, infinities and signed zeros.
fn value(rng: &mut Rng, dt: DType) -> f64 {
    if dt.is_float() && rng.chance(8) {
        return *rng.pick(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0]);
    }
    match dt {
        DType::Bool => rng.below(2) as f64,
        DType::U8 | DType::U32 | DType::U64 => rng.below(200) as f64,
        _ if dt.is_float() => rng.range(-40, 40) as f64 * 0.25,
        _ => rng.range(-100, 100) as f64,
    }
}

/// A random input broadcasting to [`BASE`] (or a suffix of it), on
/// `device`: contiguous, a negative-step view, a transpose of a stored
/// array, or a broadcast of a smaller one.
fn leaf(rng: &mut Rng, device: &Device) -> Array {
    let dt = *rng.pick(&DTYPES);
    let shapes: [&[usize]; 6] = [&BASE, &[4, 70], &[70], &[3, 1, 70], &[1, 4, 1], &[]];
    let shape = *rng.pick(&shapes);
    let n: usize = shape.iter().product();
    let vals: Vec<f64> = (0..n).map(|_| value(rng, dt)).collect();
    let make = |sh: &[usize]| {
        Array::from_vec(vals.clone(), sh)
            .unwrap()
            .astype(dt)
            .unwrap()
    };
    let a = match (rng.below(4), shape.len()) {
        // A reversed view of the same shape.
        (1, nd) if nd >= 1 => {
            let stored = make(shape);
            let mut items = vec![strider::SliceItem::full(); nd];
            items[nd - 1] = strider::SliceItem::Slice {
                start: None,
                stop: None,
                step: Some(-1),
            };
            stored.slice(&items[..]).unwrap()
        }
        // The transpose of an array stored the other way round.
        (2, nd) if nd >= 2 => {
            let rev: Vec<usize> = shape.iter().rev().copied().collect();
            make(&rev).t()
        }
        // A broadcast view of the last axis only.
        (3, nd) if nd >= 1 => {
            let last = shape[nd - 1];
            let small: Vec<f64> = (0..last).map(|_| value(rng, dt)).collect();
            Array::from_vec(small, &[last])
                .unwrap()
                .astype(dt)
                .unwrap()
                .broadcast_to(shape)
                .unwrap()
        }
        _ => make(shape),
    };
    a.to_device(device).unwrap()
}

fn scalar(rng: &mut Rng) -> Scalar {
    match rng.below(3) {
        0 => Scalar::Bool(rng.chance(50)),
        1 => Scalar::Int(rng.range(-5, 9) as i128),
        _ => Scalar::Float(*rng.pick(&[0.5, -1.25, 2.0, 3.0, f64::NAN, -0.0])),
    }
}

/// One side of a pair: an expression with its eager value, or a scalar.
#[derive(Clone)]
enum Side {
    Tree(Expr, Array),
    Scalar(Scalar),
}

impl Side {
    fn arg(&self) -> ExprArg {
        match self {
            Side::Tree(e, _) => ExprArg::Expr(e.clone()),
            Side::Scalar(s) => ExprArg::Scalar(*s),
        }
    }
    fn operand(&self) -> Operand<'_> {
        match self {
            Side::Tree(_, a) => Operand::Array(a),
            Side::Scalar(s) => Operand::Scalar(*s),
        }
    }
}

/// The expression and eager value of a node whose eager op gave `eager`:
/// on success both; on failure the expression must fail with the same
/// message (checked here), and the caller keeps `fallback` instead.
fn settle(
    expr: Expr,
    eager: strider::Result<Array>,
    fallback: (Expr, Array),
    what: &str,
) -> (Expr, Array) {
    match eager {
        // STRIDER_EXPR_CHECK_NODES=1 checks every node as it is built, so a
        // failing tree names its smallest failing subtree.
        Ok(a) if std::env::var("STRIDER_EXPR_CHECK_NODES").as_deref() == Ok("1") => {
            let got = expr.eval().unwrap();
            if canonical(&got) != canonical(&a) {
                eprintln!("{what}: node {expr:?}");
            }
            same_bits(&got, &a, what);
            (expr, a)
        }
        Ok(a) => (expr, a),
        Err(e) => {
            let got = match expr.eval() {
                Ok(r) => panic!("{what}: eager failed with `{e}`, the expression gave {r:?}"),
                Err(g) => g,
            };
            assert_eq!(got.to_string(), e.to_string(), "{what}: different errors");
            fallback
        }
    }
}

/// A random tree of at most `depth` levels: its expression and eager value.
fn tree(rng: &mut Rng, depth: usize, device: &Device) -> (Expr, Array) {
    if depth == 0 || rng.chance(20) {
        let a = leaf(rng, device);
        return (a.expr(), a);
    }
    let (x, xa) = tree(rng, depth - 1, device);
    let fallback = (x.clone(), xa.clone());
    match rng.below(10) {
        0..=2 => {
            let op = *rng.pick(UnaryOp::ALL);
            settle(x.unary(op), xa.unary(op), fallback, op.name())
        }
        3..=6 => {
            let op = *rng.pick(BinaryOp::ALL);
            let other = if rng.chance(35) {
                Side::Scalar(scalar(rng))
            } else {
                let (e, a) = tree(rng, depth - 1, device);
                Side::Tree(e, a)
            };
            let me = Side::Tree(x, xa);
            let (l, r) = if rng.chance(30) {
                (other, me)
            } else {
                (me, other)
            };
            let expr = Expr::binary_op(op, l.arg(), r.arg());
            let eager = binary_operands(op, l.operand(), r.operand());
            settle(expr, eager, fallback, op.name())
        }
        7 => {
            let dt = *rng.pick(&DTYPES);
            settle(x.astype(dt), xa.astype(dt), fallback, "astype")
        }
        8 => {
            let (y, ya) = tree(rng, depth - 1, device);
            let z = Side::Scalar(scalar(rng));
            let (c, ca) = tree(rng, depth - 1, device);
            let expr = c.select(&y, z.arg());
            let eager = where_(&ca, &ya, z.operand());
            settle(expr, eager, fallback, "where")
        }
        _ => {
            let lo = Side::Scalar(scalar(rng));
            let (h, ha) = tree(rng, depth - 1, device);
            let expr = x.clip(lo.arg(), &h);
            let eager = xa.clip(lo.operand(), &ha);
            settle(expr, eager, fallback, "clip")
        }
    }
}

/// The element bits of `a`, every NaN made the same: which NaN an
/// operation on two NaNs returns (its sign, its payload) is left open by
/// Rust's float semantics and follows the compiled code, so two builds of
/// one function may differ there and nowhere else.
fn canonical(a: &Array) -> Vec<u64> {
    let a = a.to_cpu().unwrap();
    if !a.dtype().is_float() {
        return a.bits().unwrap().into_iter().map(u64::from).collect();
    }
    a.astype(DType::F64)
        .unwrap()
        .to_vec::<f64>()
        .unwrap()
        .into_iter()
        .map(|v| {
            if v.is_nan() {
                f64::NAN.to_bits()
            } else {
                v.to_bits()
            }
        })
        .collect()
}

/// The same dtype, shape, strides and element bits (signed zeros and
/// infinities included; NaNs as NaN).
fn same_bits(got: &Array, want: &Array, what: &str) {
    assert_eq!(got.dtype(), want.dtype(), "{what}: dtype");
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    assert_eq!(got.strides(), want.strides(), "{what}: strides");
    let (g, w) = (canonical(got), canonical(want));
    if g != w {
        let diffs: Vec<String> = (0..g.len())
            .filter(|&i| g[i] != w[i])
            .take(6)
            .map(|i| format!("[{i}] got {:x} want {:x}", g[i], w[i]))
            .collect();
        panic!("{what}: values differ ({}): {diffs:?}", got.dtype());
    }
}

/// `count` random trees on `device`, half of them reduced at the root.
fn run(device: &Device, seed: u64, count: usize) {
    let mut rng = Rng(seed);
    for case in 0..count {
        let (e, want) = tree(&mut rng, 6, device);
        let what = format!("case {case} (seed {seed})");
        // A bare input evaluates to its copy (order K), as NumPy's
        // `np.array(x, order='K')`; anything computed is new already (a
        // reduction of a bare input reduces the input itself).
        let mapped = if e.node_count().unwrap() == 1 {
            want.astype_order(want.dtype(), Order::K).unwrap()
        } else {
            want.clone()
        };
        if rng.chance(50) {
            let op = *rng.pick(&ReduceOp::ALL);
            let nd = want.ndim() as isize;
            let axes = match rng.below(3) {
                0 => Axes::All,
                1 => Axes::One(rng.range(-nd.max(1), nd.max(1))),
                _ if nd >= 2 => Axes::List(vec![0, nd - 1]),
                _ => Axes::All,
            };
            let keep = rng.chance(30);
            let eager = want.reduce(op, axes.clone(), keep);
            let fused = e.reduce(op, axes.clone(), keep).eval();
            let what = format!("{what}: {}({axes:?}, keepdims={keep})", op.name());
            match (fused, eager) {
                (Ok(f), Ok(w)) => {
                    // The fused walk follows the eager intermediate's layout.
                    same_bits(
                        &e.eval().unwrap(),
                        &mapped,
                        &format!("{what}: the mapped part"),
                    );
                    if canonical(&f) != canonical(&w) {
                        eprintln!("{what}: tree {e:?}");
                    }
                    same_bits(&f, &w, &what)
                }
                (Err(f), Err(w)) => assert_eq!(f.to_string(), w.to_string(), "{what}"),
                (f, w) => panic!("{what}: fused {f:?}, eager {w:?}"),
            }
        } else {
            let got = e.eval().unwrap();
            if canonical(&got) != canonical(&mapped) {
                eprintln!("{what}: tree {e:?}");
            }
            same_bits(&got, &mapped, &what);
        }
    }
}

#[test]
fn random_trees_equal_eager_evaluation_on_the_cpu() {
    // STRIDER_EXPR_SEEDS=N runs N seeds of 150 trees (4 by default).
    let seeds: u64 = std::env::var("STRIDER_EXPR_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    for seed in 1..=seeds {
        run(&Device::Cpu, seed * 7919, 150);
    }
}

#[test]
fn random_trees_equal_eager_evaluation_on_the_gpu() {
    let Some(gpu) = common::gpu_or_skip("random expression trees") else {
        return;
    };
    run(&gpu, 104_729, 40);
}

#[test]
fn long_reductions_add_in_the_eager_order() {
    // Large enough for the threaded split walk, the row walk and the
    // short-axis walk, on float32, where the order of additions shows.
    let mut rng = Rng(5);
    let n = 1 << 19;
    let vals: Vec<f32> = (0..n)
        .map(|_| rng.range(-1000, 1000) as f32 * 0.37)
        .collect();
    let a = Array::from_vec(vals, &[n]).unwrap();
    let n_i = n as isize;
    for shape in [
        &[n_i][..],
        &[512, 1024],
        &[1024, 512],
        &[65536, 8],
        &[8, 65536],
    ] {
        let x = a.reshape(shape).unwrap();
        let views = [x.clone(), x.t(), x.slice(s![..;-1]).unwrap()];
        for v in views {
            let e = (v.expr() * 1.5 - 0.25).square();
            let eager = ((&v * 1.5).unwrap() - 0.25).unwrap().power(2).unwrap();
            let nd = v.ndim() as isize;
            for axes in [Axes::All, Axes::One(0), Axes::One(nd - 1)] {
                for op in [
                    ReduceOp::Sum,
                    ReduceOp::Mean,
                    ReduceOp::Max,
                    ReduceOp::ArgMin,
                ] {
                    let what = format!("{}{:?} of {:?}", op.name(), axes, v.shape());
                    let f = e.reduce(op, axes.clone(), false).eval().unwrap();
                    let w = eager.reduce(op, axes.clone(), false).unwrap();
                    same_bits(&f, &w, &what);
                }
            }
        }
    }
}
