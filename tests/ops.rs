//! Per-op tests, each written once as a function of the device it runs on.
//! `devices()` lists the devices present; every test runs on each.

mod common;

use strider::{where_, Array, Axes, BinaryOp, DType, Device, ErrorKind, ReduceOp, UnaryOp};

/// The devices to test: the CPU, and the GPU when an adapter is present.
/// Without one the GPU half is skipped with a message, or fails when
/// `STRIDER_REQUIRE_GPU=1` (CI sets it after installing lavapipe).
fn devices() -> Vec<Device> {
    let mut v = vec![Device::Cpu];
    v.extend(common::gpu_or_skip("the GPU half of this test"));
    v
}

/// Places a freshly made input on `dev`.
fn on(dev: &Device, a: Array) -> Array {
    a.to_device(dev).unwrap()
}

fn f64s(v: &[f64]) -> Array {
    Array::from_vec(v.to_vec(), &[v.len()]).unwrap()
}

fn each(test: impl Fn(&Device)) {
    for dev in devices() {
        test(&dev);
    }
}

#[test]
fn integer_arithmetic_wraps_and_divides_like_numpy() {
    each(|d| {
        let a = on(d, Array::from_vec(vec![200u8, 7, 0], &[3]).unwrap());
        assert_eq!(
            a.add(100)
                .unwrap()
                .to_cpu()
                .unwrap()
                .to_vec::<u8>()
                .unwrap(),
            vec![44, 107, 100]
        );
        assert_eq!(
            a.floor_divide(0)
                .unwrap()
                .to_cpu()
                .unwrap()
                .to_vec::<u8>()
                .unwrap(),
            vec![0, 0, 0]
        );
        assert_eq!(
            a.remainder(0)
                .unwrap()
                .to_cpu()
                .unwrap()
                .to_vec::<u8>()
                .unwrap(),
            vec![0, 0, 0]
        );
        let b = on(d, Array::from_vec(vec![-7i32, 7, i32::MIN], &[3]).unwrap());
        assert_eq!(
            b.floor_divide(2)
                .unwrap()
                .to_cpu()
                .unwrap()
                .to_vec::<i32>()
                .unwrap(),
            vec![-4, 3, i32::MIN / 2]
        );
        assert_eq!(
            b.remainder(-2)
                .unwrap()
                .to_cpu()
                .unwrap()
                .to_vec::<i32>()
                .unwrap(),
            vec![-1, -1, 0]
        );
        assert_eq!(
            b.floor_divide(-1)
                .unwrap()
                .to_cpu()
                .unwrap()
                .to_vec::<i32>()
                .unwrap(),
            vec![7, -7, i32::MIN]
        );
        assert_eq!(
            b.abs().unwrap().to_cpu().unwrap().to_vec::<i32>().unwrap(),
            vec![7, 7, i32::MIN]
        );
        let p = b.power(2).unwrap().to_cpu().unwrap();
        assert_eq!(p.to_vec::<i32>().unwrap(), vec![49, 49, 0]);
        assert_eq!(b.power(-1).unwrap_err().kind(), ErrorKind::Value);
        // Powers that wrap, by an exponent array (on the GPU the check for
        // negative exponents downloads its minimum).
        let e = on(d, Array::from_vec(vec![0i32, 31, 3], &[3]).unwrap());
        let p = b.power(&e).unwrap().to_cpu().unwrap();
        assert_eq!(
            p.to_vec::<i32>().unwrap(),
            vec![1, 7i32.wrapping_pow(31), 0]
        );
        let neg = on(d, Array::from_vec(vec![1i32, -2, 3], &[3]).unwrap());
        assert_eq!(b.power(&neg).unwrap_err().kind(), ErrorKind::Value);
        let u = on(d, Array::from_vec(vec![3u8, 2, 255], &[3]).unwrap());
        let p = u.power(&on(d, Array::from_vec(vec![5u8, 8, 2], &[3]).unwrap()));
        assert_eq!(
            p.unwrap().to_cpu().unwrap().to_vec::<u8>().unwrap(),
            vec![243, 0, 1]
        );
        let big = on(d, Array::from_vec(vec![3i64, -3, 1 << 40], &[3]).unwrap());
        let p = big.power(41).unwrap().to_cpu().unwrap();
        assert_eq!(
            p.to_vec::<i64>().unwrap(),
            vec![3i64.wrapping_pow(41), (-3i64).wrapping_pow(41), 0]
        );
        let f = on(d, Array::from_vec(vec![-2.0f32, 3.0], &[2]).unwrap());
        let p = f.power(2.0).unwrap().to_cpu().unwrap();
        assert_eq!(p.to_vec::<f32>().unwrap(), vec![4.0, 9.0]);
        assert_eq!(b.divide(2).unwrap().dtype(), DType::F64);
    });
}

#[test]
fn float_floor_divide_and_remainder_are_the_cpus_bit_for_bit() {
    // Quotients beyond the format's precision (where x - y * trunc(x / y)
    // loses the remainder), signed zeros, infinities, NaN, zero divisors,
    // tiny and huge operands, and a sweep of ordinary pairs.
    let mut pairs: Vec<(f64, f64)> = vec![
        (1e10, 3.0),
        (-1e10, 3.0),
        (1e10, -3.0),
        (3.4e38, 1.1e-38),
        (1e300, 7.0),
        (-1e300, 1e-300),
        (5.5, -2.0),
        (-5.5, 2.0),
        (-0.0, 3.0),
        (0.0, -3.0),
        (-4.0, 2.0),
        (4.0, -2.0),
        (7.0, 7.0),
        (-7.0, 7.0),
        (1e-30, 1e30),
        (-1e-30, 1e30),
        (f64::INFINITY, 2.0),
        (2.0, f64::INFINITY),
        (-2.0, f64::INFINITY),
        (2.0, f64::NEG_INFINITY),
        (f64::NAN, 1.0),
        (1.0, f64::NAN),
        (1.0, 0.0),
        (-1.0, 0.0),
        (0.0, 0.0),
        (1.0, -0.0),
    ];
    for i in 0..200 {
        let x = ((i * 7919) % 2001) as f64 * 0.37 - 370.0;
        let y = ((i * 104_729) % 97) as f64 * 0.53 - 25.0;
        pairs.push((x, y));
        pairs.push((x * 1e7, y * 1e-3));
    }
    let (xs, ys): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
    let n = xs.len();
    let bits = |a: &Array| -> Vec<u64> {
        let a = a.to_cpu().unwrap().astype(DType::F64).unwrap();
        a.to_vec::<f64>()
            .unwrap()
            .iter()
            .map(|v| if v.is_nan() { u64::MAX } else { v.to_bits() })
            .collect()
    };
    for dt in [DType::F32, DType::F64, DType::F16, DType::BF16] {
        let x = f64s(&xs).astype(dt).unwrap();
        let y = f64s(&ys).astype(dt).unwrap();
        let want_q = bits(&x.floor_divide(&y).unwrap());
        let want_r = bits(&x.remainder(&y).unwrap());
        each(|d| {
            if !d.as_gpu().is_none_or(|g| g.supports(dt)) {
                return;
            }
            let (gx, gy) = (on(d, x.clone()), on(d, y.clone()));
            let q = bits(&gx.floor_divide(&gy).unwrap());
            let r = bits(&gx.remainder(&gy).unwrap());
            for i in 0..n {
                assert_eq!(
                    q[i], want_q[i],
                    "{dt} floor_divide({}, {}) on {d}",
                    xs[i], ys[i]
                );
                assert_eq!(
                    r[i], want_r[i],
                    "{dt} remainder({}, {}) on {d}",
                    xs[i], ys[i]
                );
            }
        });
    }
}

#[test]
fn nan_compares_unequal_and_is_true_as_a_bool() {
    // NumPy: NaN != x is True, NaN == x, NaN < x are False; NaN is truthy.
    // (On the GPU, WGSL's `!=` is an ordered comparison; strider writes
    // these as `!(a == b)`.)
    let xs = [f64::NAN, 1.0, f64::NAN, 0.0];
    let ys = [f64::NAN, f64::NAN, 2.0, 0.0];
    for dt in [DType::F32, DType::F64, DType::F16, DType::BF16] {
        each(|d| {
            if !d.as_gpu().is_none_or(|g| g.supports(dt)) {
                return;
            }
            let x = on(d, f64s(&xs).astype(dt).unwrap());
            let y = on(d, f64s(&ys).astype(dt).unwrap());
            let b = |a: Array| a.to_cpu().unwrap().to_vec::<bool>().unwrap();
            assert_eq!(
                b(x.not_equal(&y).unwrap()),
                [true, true, true, false],
                "{dt} on {d}"
            );
            assert_eq!(
                b(x.equal(&y).unwrap()),
                [false, false, false, true],
                "{dt} on {d}"
            );
            assert_eq!(
                b(x.less(&y).unwrap()),
                [false, false, false, false],
                "{dt} on {d}"
            );
            assert_eq!(
                b(x.astype(DType::Bool).unwrap()),
                [true, true, true, false],
                "{dt} on {d}"
            );
            assert_eq!(
                b(x.logical_and(&y).unwrap()),
                [true, true, true, false],
                "{dt} on {d}"
            );
            assert_eq!(
                b(x.logical_not().unwrap()),
                [false, false, false, true],
                "{dt} on {d}"
            );
            let nan = on(d, f64s(&[f64::NAN]).astype(dt).unwrap());
            for op in [ReduceOp::Any, ReduceOp::All] {
                let r = nan.reduce(op, Axes::All, false).unwrap();
                assert_eq!(b(r), [true], "{op:?} of NaN, {dt} on {d}");
            }
            let pick = where_(&nan, 1.0, 2.0).unwrap().to_cpu().unwrap();
            assert_eq!(
                pick.astype(DType::F64).unwrap().to_vec::<f64>().unwrap(),
                [1.0]
            );
        });
    }
}

#[test]
fn float_division_by_zero_gives_inf_and_nan() {
    each(|d| {
        let a = on(d, f64s(&[1.0, -1.0, 0.0]));
        let q = a
            .divide(0.0)
            .unwrap()
            .to_cpu()
            .unwrap()
            .to_vec::<f64>()
            .unwrap();
        assert_eq!(q[0], f64::INFINITY);
        assert_eq!(q[1], f64::NEG_INFINITY);
        assert!(q[2].is_nan());
        assert!(a
            .remainder(0.0)
            .unwrap()
            .to_cpu()
            .unwrap()
            .to_vec::<f64>()
            .unwrap()[0]
            .is_nan());
        let m = a
            .maximum(f64::NAN)
            .unwrap()
            .to_cpu()
            .unwrap()
            .to_vec::<f64>()
            .unwrap();
        assert!(m.iter().all(|v| v.is_nan()));
    });
}

#[test]
fn weak_scalars_follow_nep50() {
    each(|d| {
        let u = on(d, Array::from_vec(vec![1u8, 2], &[2]).unwrap());
        assert_eq!(u.add(2).unwrap().dtype(), DType::U8);
        assert_eq!(u.add(2.0).unwrap().dtype(), DType::F64);
        assert_eq!(u.add(300).unwrap_err().kind(), ErrorKind::DType);
        let h = on(d, Array::from_vec(vec![half::f16::ONE], &[1]).unwrap());
        assert_eq!(h.multiply(2.0).unwrap().dtype(), DType::F16);
        let i = on(d, Array::from_vec(vec![1i32], &[1]).unwrap());
        assert_eq!(i.multiply(2.0).unwrap().dtype(), DType::F64);
        let b = on(d, Array::from_vec(vec![true], &[1]).unwrap());
        assert_eq!(b.add(1).unwrap().dtype(), DType::I64);
        assert_eq!(b.add(true).unwrap().dtype(), DType::Bool);
    });
}

#[test]
fn dtype_errors_name_the_op() {
    each(|d| {
        let b = on(d, Array::from_vec(vec![true, false], &[2]).unwrap());
        let e = b.subtract(&b).unwrap_err();
        assert_eq!((e.kind(), e.op()), (ErrorKind::DType, "subtract"));
        assert_eq!(b.negative().unwrap_err().kind(), ErrorKind::DType);
        let f = on(d, f64s(&[1.0]));
        let e = f.bitwise_and(&f).unwrap_err();
        assert!(e.to_string().contains("bitwise_and"), "{e}");
        let i = on(d, Array::from_vec(vec![1i32], &[1]).unwrap());
        let e = i.add_into(0.5, &i).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DType);
        assert!(e.to_string().contains("same_kind"), "{e}");
    });
}

#[test]
fn broadcast_errors_name_both_shapes() {
    each(|d| {
        let a = on(d, Array::zeros(&[2, 3], DType::F32).unwrap());
        let b = on(d, Array::zeros(&[4], DType::F32).unwrap());
        let e = a.add(&b).unwrap_err();
        assert_eq!(
            e.to_string(),
            "add: operands could not be broadcast together with shapes (2, 3) (4,)"
        );
        let row = on(d, Array::zeros(&[3], DType::F32).unwrap());
        assert_eq!(
            row.binary_inplace(BinaryOp::Add, &a).unwrap_err().kind(),
            ErrorKind::Broadcast
        );
    });
}

#[test]
fn unary_ops_and_their_dtypes() {
    each(|d| {
        let i = on(d, Array::from_vec(vec![4i32, 9], &[2]).unwrap());
        let s = i.sqrt().unwrap();
        assert_eq!(
            (s.dtype(), s.to_cpu().unwrap().to_vec::<f64>().unwrap()),
            (DType::F64, vec![2.0, 3.0])
        );
        let u = on(d, Array::from_vec(vec![4u8], &[1]).unwrap());
        assert_eq!(u.sqrt().unwrap().dtype(), DType::F16);
        assert_eq!(i.floor().unwrap().dtype(), DType::I32);
        let f = on(d, f64s(&[-2.5, -0.5, 0.5, 1.5, 2.5]));
        assert_eq!(
            f.round()
                .unwrap()
                .to_cpu()
                .unwrap()
                .to_vec::<f64>()
                .unwrap(),
            vec![-2.0, -0.0, 0.0, 2.0, 2.0]
        );
        assert_eq!(
            f.sign().unwrap().to_cpu().unwrap().to_vec::<f64>().unwrap(),
            vec![-1.0, -1.0, 1.0, 1.0, 1.0]
        );
        if d.is_cpu() {
            let e = f64s(&[0.0, 1.0]).exp().unwrap().to_vec::<f64>().unwrap();
            assert_eq!(e, vec![1.0, std::f64::consts::E]);
        }
        for op in UnaryOp::ALL {
            // f64 transcendentals: strider's own WGSL functions, within 1 ulp
            // of the CPU's.
            let got = on(d, f64s(&[0.25])).unary(*op).unwrap().to_cpu().unwrap();
            let want = f64s(&[0.25]).unary(*op).unwrap();
            if got.dtype() == DType::F64 {
                let (g, w) = (got.item::<f64>().unwrap(), want.item::<f64>().unwrap());
                assert!(
                    (g - w).abs() <= f64::EPSILON * w.abs().max(f64::MIN_POSITIVE),
                    "{op:?}: {g} vs {w}"
                );
            }
            let x = 0.25f32;
            let r = on(d, Array::from_vec(vec![x], &[1]).unwrap())
                .unary(*op)
                .unwrap();
            let got = r.to_cpu().unwrap();
            let want = Array::from_vec(vec![x], &[1]).unwrap().unary(*op).unwrap();
            if got.dtype() == DType::F32 {
                let (g, w) = (got.item::<f32>().unwrap(), want.item::<f32>().unwrap());
                // Within 4 ulp of the CPU's correctly rounded libm result.
                assert!(
                    (g - w).abs() <= 4.0 * f32::EPSILON * w.abs().max(f32::MIN_POSITIVE),
                    "{op:?}: {g} vs {w}"
                );
            }
        }
    });
}

#[test]
fn where_and_clip() {
    each(|d| {
        let a = on(
            d,
            Array::arange_i64(0, 6, 1)
                .unwrap()
                .reshape(&[2, 3])
                .unwrap(),
        );
        let cond = a.remainder(2).unwrap().equal(0).unwrap();
        let r = where_(&cond, &a, 0.5).unwrap();
        assert_eq!(r.dtype(), DType::F64);
        assert_eq!(
            r.to_cpu().unwrap().to_vec::<f64>().unwrap(),
            vec![0.0, 0.5, 2.0, 0.5, 4.0, 0.5]
        );
        let lo = on(d, Array::from_vec(vec![1i64, 2, 3], &[3]).unwrap());
        assert_eq!(
            a.clip(&lo, 4)
                .unwrap()
                .to_cpu()
                .unwrap()
                .to_vec::<i64>()
                .unwrap(),
            vec![1, 2, 3, 3, 4, 4]
        );
        let n = on(d, f64s(&[f64::NAN, 5.0]))
            .clip(0.0, 1.0)
            .unwrap()
            .to_cpu()
            .unwrap()
            .to_vec::<f64>()
            .unwrap();
        assert!(n[0].is_nan());
        assert_eq!(n[1], 1.0);
    });
}

#[test]
fn reductions_dtypes_and_edge_cases() {
    each(|d| {
        let u = on(d, Array::from_vec(vec![200u8, 100], &[2]).unwrap());
        let s = u.sum(Axes::All).unwrap();
        assert_eq!(
            (s.dtype(), s.to_cpu().unwrap().item::<u64>().unwrap()),
            (DType::U64, 300)
        );
        let b = on(d, Array::from_vec(vec![true, true, false], &[3]).unwrap());
        assert_eq!(
            b.sum(Axes::All)
                .unwrap()
                .to_cpu()
                .unwrap()
                .item::<i64>()
                .unwrap(),
            2
        );
        assert!(b
            .any(Axes::All)
            .unwrap()
            .to_cpu()
            .unwrap()
            .item::<bool>()
            .unwrap());
        assert!(!b
            .all(Axes::All)
            .unwrap()
            .to_cpu()
            .unwrap()
            .item::<bool>()
            .unwrap());
        let e = on(d, Array::zeros(&[0, 3], DType::F32).unwrap());
        assert_eq!(
            e.sum(Axes::All)
                .unwrap()
                .to_cpu()
                .unwrap()
                .item::<f32>()
                .unwrap(),
            0.0
        );
        assert!(e
            .mean(Axes::All)
            .unwrap()
            .to_cpu()
            .unwrap()
            .item::<f32>()
            .unwrap()
            .is_nan());
        assert_eq!(e.max(0).unwrap_err().kind(), ErrorKind::EmptyReduction);
        assert_eq!(e.max(1).unwrap().shape(), &[0]);
        let t = on(d, f64s(&[1.0, 3.0, 3.0, f64::NAN, 3.0]));
        assert_eq!(
            t.argmax(Axes::All)
                .unwrap()
                .to_cpu()
                .unwrap()
                .item::<i64>()
                .unwrap(),
            3
        );
        let t = on(d, f64s(&[1.0, 3.0, 3.0, 0.0]));
        assert_eq!(
            t.argmax(Axes::All)
                .unwrap()
                .to_cpu()
                .unwrap()
                .item::<i64>()
                .unwrap(),
            1
        );
        assert_eq!(
            t.argmin(0)
                .unwrap()
                .to_cpu()
                .unwrap()
                .item::<i64>()
                .unwrap(),
            3
        );
        let m = on(
            d,
            Array::arange_i64(0, 6, 1)
                .unwrap()
                .reshape(&[2, 3])
                .unwrap(),
        );
        assert_eq!(
            m.mean(1)
                .unwrap()
                .to_cpu()
                .unwrap()
                .to_vec::<f64>()
                .unwrap(),
            vec![1.0, 4.0]
        );
        assert_eq!(
            m.prod(0)
                .unwrap()
                .to_cpu()
                .unwrap()
                .to_vec::<i64>()
                .unwrap(),
            vec![0, 4, 10]
        );
        assert_eq!(
            m.reduce(ReduceOp::Sum, [0, 0], false).unwrap_err().kind(),
            ErrorKind::Axis
        );
        assert_eq!(m.sum(2).unwrap_err().kind(), ErrorKind::Axis);
        let k = m.reduce(ReduceOp::ArgMax, 1, true).unwrap();
        assert_eq!(k.shape(), &[2, 1]);
        let h = on(
            d,
            Array::from_vec(vec![half::f16::from_f32(0.5); 4096], &[4096]).unwrap(),
        );
        assert_eq!(
            h.sum(Axes::All)
                .unwrap()
                .to_cpu()
                .unwrap()
                .item::<half::f16>()
                .unwrap()
                .to_f32(),
            2048.0
        );
    });
}

#[test]
fn out_variants_write_through_views() {
    each(|d| {
        let base = on(d, Array::zeros(&[3, 4], DType::F32).unwrap());
        let col = base.slice(strider::s![.., 1]).unwrap();
        let x = on(d, Array::from_vec(vec![1.0f32, 2.0, 3.0], &[3]).unwrap());
        x.multiply_into(2.0, &col).unwrap();
        assert_eq!(
            base.to_cpu().unwrap().to_vec::<f32>().unwrap()[..6],
            [0.0, 2.0, 0.0, 0.0, 0.0, 4.0]
        );
        let mut y = x.clone();
        y += &x;
        assert_eq!(
            x.to_cpu().unwrap().to_vec::<f32>().unwrap(),
            vec![2.0, 4.0, 6.0]
        );
        let ro = x.broadcast_to(&[2, 3]).unwrap();
        assert_eq!(ro.fill(1.0).unwrap_err().kind(), ErrorKind::ReadOnly);
        assert_eq!(
            x.add_into(1.0, &ro).unwrap_err().kind(),
            ErrorKind::ReadOnly
        );
    });
}

#[test]
fn transpose_add_overlap_matches_copy_first() {
    each(|d| {
        // x += x.T must act as if x.T were copied first.
        let x = on(
            d,
            Array::arange_i64(0, 9, 1)
                .unwrap()
                .reshape(&[3, 3])
                .unwrap(),
        );
        let want = x
            .add(&x.t().copy().unwrap())
            .unwrap()
            .to_cpu()
            .unwrap()
            .to_vec::<i64>()
            .unwrap();
        let (res, report) = strider::track(|| x.binary_inplace(BinaryOp::Add, &x.t()));
        res.unwrap();
        assert_eq!(x.to_cpu().unwrap().to_vec::<i64>().unwrap(), want);
        assert_eq!(report.implicit_copies(), 1);
        // Disjoint views of one buffer need no copy.
        let y = on(d, Array::arange_i64(0, 8, 1).unwrap());
        let (ev, od) = (
            y.slice(strider::s![..;2]).unwrap(),
            y.slice(strider::s![1..;2]).unwrap(),
        );
        let (res, report) = strider::track(|| ev.binary_inplace(BinaryOp::Add, &od));
        res.unwrap();
        assert!(report.is_empty());
        assert_eq!(
            y.to_cpu().unwrap().to_vec::<i64>().unwrap(),
            vec![1, 1, 5, 3, 9, 5, 13, 7]
        );
    });
}
