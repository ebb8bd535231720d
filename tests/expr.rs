//! The expression API: one pass and no copies, writing into views and in
//! place, errors as the eager ops give them, the eager special cases, the
//! fast scalar powers, `fuse` and its cache, and devices.

// `s![1..-1]` is NumPy's `1:-1`, not an empty Rust range.
#![allow(clippy::reversed_empty_ranges)]

mod common;

use common::Bits;

use strider::{
    fuse, s, track, Array, Axes, BinaryOp, DType, Device, Expr, ReduceOp, Scalar, UnaryOp,
};

fn f32s(v: &[f32], shape: &[usize]) -> Array {
    Array::from_vec(v.to_vec(), shape).unwrap()
}

#[test]
fn an_expression_makes_no_copy_and_one_array() {
    let a = Array::arange(0.0, 4096.0, 1.0, DType::F64)
        .unwrap()
        .reshape(&[64, 64])
        .unwrap();
    let b = a.t();
    let (r, report) = track(|| ((a.expr() * 2.0 + &b).sqrt() - 1.0).eval().unwrap());
    assert_eq!(report.copies(), 0, "{report:?}");
    let eager = ((((&a * 2.0).unwrap() + &b).unwrap()).sqrt().unwrap() - 1.0).unwrap();
    assert_eq!(r.to_vec::<f64>().unwrap(), eager.to_vec::<f64>().unwrap());
    // A fused reduction makes only its result.
    let (m, report) = track(|| (a.expr() - &b).square().mean(Axes::All).eval().unwrap());
    assert_eq!(report.copies(), 0);
    let want = ((&a - &b).unwrap().power(2).unwrap())
        .mean(Axes::All)
        .unwrap();
    assert_eq!(m.item::<f64>().unwrap(), want.item::<f64>().unwrap());
    // Ten ops, one pass over memory; eagerly, ten.
    let chain = || {
        ((((a.expr() * 1.5 + &b) * (a.expr() - 0.5)) / (b.expr() + 2.0) - &a * b.expr()) + 3.0)
            * 0.25
    };
    let before = strider::cpu::passes();
    let fused = chain().eval().unwrap();
    assert_eq!(strider::cpu::passes() - before, 1);
    let before = strider::cpu::passes();
    let l = ((&(&a * 1.5).unwrap() + &b).unwrap() * &(&a - 0.5).unwrap()).unwrap();
    let r = (&(&l / &(&b + 2.0).unwrap()).unwrap() - &(&a * &b).unwrap()).unwrap();
    let eager = (&(&r + 3.0).unwrap() * 0.25).unwrap();
    assert_eq!(strider::cpu::passes() - before, 10);
    assert_eq!(fused.bits().unwrap(), eager.bits().unwrap());
    let before = strider::cpu::passes();
    chain().sum(1).eval().unwrap();
    assert_eq!(
        strider::cpu::passes() - before,
        1,
        "a fused reduction is one pass"
    );
}

#[test]
fn a_chain_of_operators_needs_one_question_mark() -> strider::Result<()> {
    let x = Array::arange_i64(0, 12, 1)?.reshape(&[3, 4])?;
    let y = x.t().to_contiguous()?.reshape(&[3, 4])?;
    let c = Array::from_vec(vec![1i64, 2, 3, 4], &[4])?;
    let img = ((x.expr() * 3 + &y * 7 + &c * 50 + (&x * &y.expr()) % 97) % 256).astype(DType::U8);
    let got = img.eval()?;
    let eager = ((((((&x * 3)? + &(&y * 7)?)? + &(&c * 50)?)? + &((&x * &y)? % 97)?)? % 256)?)
        .astype(DType::U8)?;
    assert_eq!(got.to_vec::<u8>()?, eager.to_vec::<u8>()?);
    // Scalars of every type, on either side.
    let f = f32s(&[1.0, 2.0], &[2]);
    let r = ((2u8 * f.expr() + 1i32) * 0.5f64 - 3i64).eval()?;
    assert_eq!(r.dtype(), DType::F32);
    assert_eq!(r.to_vec::<f32>()?, vec![-1.5, -0.5]);
    assert_eq!(
        (!f.expr().greater(1.5)).eval()?.to_vec::<bool>()?,
        vec![true, false]
    );
    assert_eq!((-f.expr()).eval()?.to_vec::<f32>()?, vec![-1.0, -2.0]);
    Ok(())
}

#[test]
fn eval_into_writes_views_and_in_place_without_copies() {
    // The heat-stencil update `u[1:-1, 1:-1] = (up + down + left + right) / 4`
    // reads neighbours that the write overlaps other than element for
    // element: those reads are copied first (recorded), as NumPy's would be.
    let u = Array::arange(0.0, 36.0, 1.0, DType::F64)
        .unwrap()
        .reshape(&[6, 6])
        .unwrap();
    let before = u.to_vec::<f64>().unwrap();
    let inner = u.slice(s![1..-1, 1..-1]).unwrap();
    let nb = |r: std::ops::Range<isize>, c: std::ops::Range<isize>| u.slice(s![r, c]).unwrap();
    let e = (nb(0..4, 1..5).expr() + &nb(2..6, 1..5) + &nb(1..5, 0..4) + &nb(1..5, 2..6)) / 4.0;
    let (_, report) = track(|| e.eval_into(&inner).unwrap());
    assert!(
        report.copies() >= 1,
        "overlapping reads must be copied first"
    );
    let at = |i: usize, j: usize| before[i * 6 + j];
    let after = u.to_vec::<f64>().unwrap();
    for i in 1..5 {
        for j in 1..5 {
            let want = (at(i - 1, j) + at(i + 1, j) + at(i, j - 1) + at(i, j + 1)) / 4.0;
            assert_eq!(after[i * 6 + j], want, "({i}, {j})");
        }
    }
    // `a = a * 2 + b` in place reads each element before writing it: no copy.
    let a = Array::arange(0.0, 8.0, 1.0, DType::F64).unwrap();
    let b = Array::full(&[8], 1.0, DType::F64).unwrap();
    let (_, report) = track(|| (a.expr() * 2.0 + &b).eval_into(&a).unwrap());
    assert_eq!(report.copies(), 0);
    assert_eq!(
        a.to_vec::<f64>().unwrap(),
        (0..8).map(|i| i as f64 * 2.0 + 1.0).collect::<Vec<_>>()
    );
    // Casting into the output follows same_kind, and shapes must fit.
    let i = Array::zeros(&[8], DType::I32).unwrap();
    let err = (a.expr() * 2.0).eval_into(&i).unwrap_err();
    assert!(err.to_string().contains("same_kind"), "{err}");
    let small = Array::zeros(&[4], DType::F64).unwrap();
    assert!((a.expr() + 1.0).eval_into(&small).is_err());
    let f32_out = Array::zeros(&[8], DType::F32).unwrap();
    (a.expr() + 0.5).eval_into(&f32_out).unwrap();
    assert_eq!(f32_out.to_vec::<f32>().unwrap()[0], 1.5);
    // A broadcast result fills a larger output.
    let wide = Array::zeros(&[2, 8], DType::F64).unwrap();
    (a.expr() * 0.0 + 1.0).eval_into(&wide).unwrap();
    assert_eq!(wide.sum_all().unwrap().item::<f64>().unwrap(), 16.0);
}

#[test]
fn errors_are_the_eager_ops_errors() {
    let a = Array::zeros(&[2, 3], DType::F32).unwrap();
    let b = Array::zeros(&[4], DType::F32).unwrap();
    let u = Array::zeros(&[3], DType::U8).unwrap();
    let cases: Vec<(Expr, strider::Error)> = vec![
        (a.expr() + &b, (&a + &b).unwrap_err()),
        (a.expr() & 1, a.bitwise_and(1).unwrap_err()),
        (u.expr() + 300, u.add(300).unwrap_err()),
        (
            u.expr().astype(DType::Bool) - true,
            u.astype(DType::Bool).unwrap().subtract(true).unwrap_err(),
        ),
        (u.expr().power(-1), u.power(-1).unwrap_err()),
        (
            u.astype(DType::Bool).unwrap().expr().negative(),
            u.astype(DType::Bool).unwrap().negative().unwrap_err(),
        ),
    ];
    for (e, want) in cases {
        let got = e.eval().unwrap_err();
        assert_eq!(got.to_string(), want.to_string());
        assert_eq!(e.check().unwrap_err().to_string(), want.to_string());
    }
    // An integer power by an array with a negative element fails when run.
    let i = Array::from_vec(vec![2i32, 3], &[2]).unwrap();
    let e = Array::from_vec(vec![1i32, -1], &[2]).unwrap();
    let got = i.expr().power(e.expr() * 1).eval().unwrap_err();
    assert_eq!(got.to_string(), i.power(&e).unwrap_err().to_string());
    // A reduction's own errors come after the expression's.
    let r = a
        .expr()
        .exp()
        .reduce(ReduceOp::Sum, 5, false)
        .eval()
        .unwrap_err();
    assert_eq!(r.to_string(), a.sum(5).unwrap_err().to_string());
    let empty = Array::zeros(&[0, 3], DType::F32).unwrap();
    let r = empty.expr().abs().max(0).eval().unwrap_err();
    assert_eq!(r.to_string(), empty.max(0).unwrap_err().to_string());
    assert!(a.expr().argmax(Axes::List(vec![0])).eval().is_err());
}

#[test]
fn the_eager_special_cases_hold_in_expressions() -> strider::Result<()> {
    // An integer array against a Python int outside its dtype.
    let u = Array::from_vec(vec![0u8, 200, 255], &[3])?;
    for op in [
        BinaryOp::Less,
        BinaryOp::Equal,
        BinaryOp::NotEqual,
        BinaryOp::GreaterEqual,
    ] {
        let e = (u.expr() + 1).binary(op, -2).eval()?;
        let w = (&u + 1)?.binary(op, -2)?;
        assert_eq!(e.to_vec::<bool>()?, w.to_vec::<bool>()?, "{}", op.name());
        assert_eq!(e.strides(), w.strides());
    }
    // int64 against uint64 compares exactly.
    let i = Array::from_vec(vec![-1i64, i64::MAX, 5], &[3])?;
    let v = Array::from_vec(vec![u64::MAX, i64::MAX as u64, 5], &[3])?;
    for op in [BinaryOp::Less, BinaryOp::Equal, BinaryOp::Greater] {
        let e = (i.expr() * 1).binary(op, &v).eval()?;
        assert_eq!(e.to_vec::<bool>()?, i.binary(op, &v)?.to_vec::<bool>()?);
    }
    // Logical ops read a scalar's truth only.
    let f = Array::from_vec(vec![0.0f32, 2.0], &[2])?;
    let e = f.expr().logical_and(1e-30).eval()?;
    assert_eq!(e.to_vec::<bool>()?, f.logical_and(1e-30)?.to_vec::<bool>()?);
    // bfloat16 sign keeps a zero's sign; clip of bfloat16 by an array
    // computes in float32.
    let h = Array::from_vec(vec![-0.0f32, 0.0, -3.0], &[3])?.astype(DType::BF16)?;
    let e = h.expr().sign().eval()?;
    assert_eq!(e.bits()?, h.sign()?.bits()?);
    let lo = Array::from_vec(vec![-1.0f32], &[1])?.astype(DType::BF16)?;
    let c = h.expr().clip(&lo, 0.5).eval()?;
    assert_eq!(c.dtype(), h.clip(&lo, 0.5)?.dtype());
    Ok(())
}

#[test]
fn scalar_powers_take_the_fast_forms_eagerly_and_fused() -> strider::Result<()> {
    let x = Array::from_vec(
        vec![
            -0.0f64,
            0.0,
            -2.5,
            3.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1e-300,
        ],
        &[8],
    )?;
    for xf in [x.clone(), x.astype(DType::F32)?] {
        for e in [
            Scalar::Float(2.0),
            Scalar::Int(2),
            Scalar::Float(0.5),
            Scalar::Float(-1.0),
            Scalar::Int(1),
            Scalar::Float(0.0),
        ] {
            let eager = xf.power(e)?;
            let fused = xf.expr().power(e).eval()?;
            assert_eq!(fused.bits()?, eager.bits()?, "{e:?}");
            assert_eq!(fused.strides(), eager.strides());
            let got = eager.astype(DType::F64)?.to_vec::<f64>()?;
            for (k, (&g, &v)) in got
                .iter()
                .zip(&x.astype(DType::F64)?.to_vec::<f64>()?)
                .enumerate()
            {
                let v = if xf.dtype() == DType::F32 {
                    v as f32 as f64
                } else {
                    v
                };
                let exact = match e {
                    Scalar::Float(0.5) => v.sqrt(),
                    Scalar::Float(-1.0) => 1.0 / v,
                    Scalar::Float(0.0) => 1.0,
                    Scalar::Int(1) => v,
                    _ => v * v,
                };
                let exact = if xf.dtype() == DType::F32 {
                    exact as f32 as f64
                } else {
                    exact
                };
                assert!(
                    g == exact || (g.is_nan() && exact.is_nan()),
                    "{e:?}[{k}]: {g} vs {exact}"
                );
            }
        }
    }
    // Into an output too.
    let out = Array::zeros(&[8], DType::F64)?;
    x.power_into(2, &out)?;
    assert_eq!(out.bits()?, x.power(2)?.bits()?);
    Ok(())
}

#[test]
fn more_inputs_than_one_pass_reads_are_cut_into_passes() -> strider::Result<()> {
    let xs: Vec<Array> = (0..11)
        .map(|k| Array::full(&[5], k as f64, DType::F64))
        .collect::<strider::Result<_>>()?;
    let mut e = xs[0].expr();
    let mut eager = xs[0].clone();
    for x in &xs[1..] {
        e = e * 0.5 + x;
        eager = ((&eager * 0.5)? + x)?;
    }
    assert_eq!(e.eval()?.to_vec::<f64>()?, eager.to_vec::<f64>()?);
    assert_eq!(
        e.sum(Axes::All).eval()?.item::<f64>()?,
        eager.sum_all()?.item::<f64>()?
    );
    Ok(())
}

#[test]
fn shared_subtrees_are_computed_once() -> strider::Result<()> {
    let a = Array::from_vec(vec![1.0f32, 2.0], &[2])?;
    let t = a.expr().exp();
    let e = &t * &t + &t;
    assert_eq!(e.node_count()?, 4);
    let want = {
        let t = a.exp()?;
        ((&t * &t)? + &t)?
    };
    assert_eq!(e.eval()?.to_vec::<f32>()?, want.to_vec::<f32>()?);
    Ok(())
}

#[test]
fn fused_kernels_compile_once_per_structure() -> strider::Result<()> {
    let mse = fuse(|[x, y]| (x - y).square().mean(Axes::All));
    let a = Array::arange(0.0, 100.0, 1.0, DType::F32)?;
    let b = Array::full(&[100], 1.0, DType::F32)?;
    let want = ((&a - &b)?.power(2)?).mean_all()?;
    assert_eq!(mse.call(&[&a, &b])?.bits()?, want.bits()?);
    assert_eq!(
        mse.call(&[&a.slice(s![..;-1])?, &b])?.shape(),
        &[] as &[usize]
    );
    assert_eq!(mse.compiled(), 1);
    // Other dtypes are another structure.
    let c = a.astype(DType::F64)?;
    mse.call(&[&c, &c])?;
    assert_eq!(mse.compiled(), 2);
    let softmax_num = fuse(|[x, m]| (x - m).exp());
    let x = Array::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2])?;
    let m = x.max_keepdims(1)?;
    let r = softmax_num.call(&[&x, &m])?;
    assert_eq!(r.to_vec::<f32>()?, (&x - &m)?.exp()?.to_vec::<f32>()?);
    assert!(softmax_num.call(&[&x]).is_err());
    let three = fuse(|[a, b, c]| a.select(b, c));
    let cond = Array::from_vec(vec![true, false], &[2])?;
    let y = Array::from_vec(vec![1i8, 2], &[2])?;
    let z = Array::from_vec(vec![10i8, 20], &[2])?;
    assert_eq!(three.call(&[&cond, &y, &z])?.to_vec::<i8>()?, vec![1, 20]);
    let four = fuse(|[a, b, c, d]| a * b + c * d);
    assert_eq!(
        four.call(&[&y, &y, &z, &z])?.to_vec::<i8>()?,
        vec![101, (4 + 400) as i8]
    );
    Ok(())
}

#[test]
fn every_unary_and_binary_op_fuses_on_every_dtype() {
    every_op_against_eager(&Device::Cpu);
}

#[test]
fn every_unary_and_binary_op_fuses_on_every_dtype_on_the_gpu() {
    if let Some(gpu) = common::gpu_or_skip("every op fused") {
        every_op_against_eager(&gpu);
    }
}

fn every_op_against_eager(device: &Device) {
    // One node per op and dtype pair, against the eager op (the property
    // test mixes them; this covers each at least once).
    let dts = [
        DType::Bool,
        DType::I8,
        DType::U8,
        DType::I16,
        DType::U16,
        DType::I32,
        DType::U32,
        DType::I64,
        DType::U64,
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::F64,
    ];
    for &d in &dts {
        if let Device::Gpu(g) = device {
            if !g.supports(d) {
                continue; // the device lacks the dtype (lavapipe has them all)
            }
        }
        let a = common::sample(d, &[5, 7], 1).to_device(device).unwrap();
        let b = common::sample(d, &[7], 2).to_device(device).unwrap();
        for &op in UnaryOp::ALL {
            match (a.expr().unary(op).eval(), a.unary(op)) {
                (Ok(f), Ok(w)) => {
                    assert_eq!(f.bits().unwrap(), w.bits().unwrap(), "{} {d}", op.name())
                }
                (Err(f), Err(w)) => assert_eq!(f.to_string(), w.to_string()),
                (f, w) => panic!("{} {d}: {f:?} vs {w:?}", op.name()),
            }
        }
        for &op in BinaryOp::ALL {
            match (a.expr().binary(op, &b).eval(), a.binary(op, &b)) {
                (Ok(f), Ok(w)) => {
                    assert_eq!(f.bits().unwrap(), w.bits().unwrap(), "{} {d}", op.name())
                }
                (Err(f), Err(w)) => assert_eq!(f.to_string(), w.to_string()),
                (f, w) => panic!("{} {d}: {f:?} vs {w:?}", op.name()),
            }
        }
    }
}

#[test]
fn expressions_run_on_the_gpu_and_refuse_mixed_devices() {
    let Some(gpu) = common::gpu_or_skip("expressions") else {
        return;
    };
    let a = f32s(&[1.0, 2.0, 3.0], &[3]);
    let g = a.to_device(&gpu).unwrap();
    let r = (g.expr() * 2.0 + 1.0).eval().unwrap();
    assert_eq!(r.device(), gpu);
    assert_eq!(common::values(&r), vec![3.0, 5.0, 7.0]);
    let s = (g.expr() - 1.0).square().sum(Axes::All).eval().unwrap();
    assert_eq!(common::values(&s), vec![5.0]);
    let out = Array::zeros(&[3], DType::F32)
        .unwrap()
        .to_device(&gpu)
        .unwrap();
    (g.expr() + &g).eval_into(&out).unwrap();
    assert_eq!(common::values(&out), vec![2.0, 4.0, 6.0]);
    assert!((g.expr() + &a).eval().is_err());
    assert!((a.expr() + 1.0).eval_into(&out).is_err());
    let _ = Device::Cpu;
}

#[test]
fn an_expression_is_one_kernel_on_the_gpu() -> strider::Result<()> {
    let Some(gpu) = common::gpu_or_skip("one kernel per expression") else {
        return Ok(());
    };
    let Device::Gpu(dev) = &gpu else {
        unreachable!("gpu_or_skip gives a GPU")
    };
    let a = Array::arange(0.0, 24.0, 1.0, DType::F32)?
        .reshape(&[4, 6])?
        .to_device(&gpu)?;
    let v = a.slice(s![.., ..;-2])?; // (4, 3), a negative step
    let w = Array::from_vec(vec![1u8, 2, 3], &[3])?.to_device(&gpu)?; // broadcast
    let build = |v: &Array, w: &Array| {
        ((v.expr() * w + 0.5).exp().log() - w)
            .clip(-1.0, 30.0)
            .astype(DType::F16)
    };
    let eager = (((&v * &w)? + 0.5)?
        .unary(UnaryOp::Exp)?
        .unary(UnaryOp::Log)?
        - &w)?
        .clip(-1.0, 30.0)?
        .astype(DType::F16)?;
    let v2 = (&a * 3.0)?.slice(s![.., ..;-2])?;
    build(&v, &w).eval()?; // constants uploaded, pipeline built
    let (pipelines, before) = (dev.cached_pipelines(), dev.dispatches());
    let r = build(&v, &w).eval()?;
    assert_eq!(dev.dispatches() - before, 1, "one kernel for seven ops");
    assert_eq!(r.bits()?, eager.bits()?);
    // Other inputs of the same dtypes and layouts: the same pipeline.
    let r2 = build(&v2, &w).eval()?;
    assert_eq!(dev.cached_pipelines(), pipelines);
    let eager2 = build(&v2.to_cpu()?, &w.to_cpu()?).eval()?;
    assert_eq!(r2.bits()?, eager2.bits()?);
    // Into a view, in place, and a reduction at the root.
    let out = Array::zeros(&[4, 6], DType::F32)?.to_device(&gpu)?;
    let cols = out.slice(s![.., 1..4])?;
    (v.expr() * 2.0 + &w).eval_into(&cols)?;
    (cols.expr() - 1.0).eval_into(&cols)?;
    let want = ((&v * 2.0)? + &w)? - 1.0;
    assert_eq!(cols.bits()?, want?.bits()?);
    let m = (v.expr() - &w).square().mean(Axes::All).eval()?;
    let d = (&v - &w)?;
    assert_eq!(m.bits()?, (&d * &d)?.mean_all()?.bits()?);
    Ok(())
}
