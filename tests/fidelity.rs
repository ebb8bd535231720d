//! Regression tests for the classes of NumPy mismatches the ufunc corpus
//! found, one test per class, each run on every device. Every expected
//! value here was computed by NumPy 2.4.6 (and ml_dtypes 0.7.0 for
//! bfloat16); each test failed before its fix.

mod common;

use strider::half::{bf16, f16};
use strider::{
    binary_operands, Array, BinaryOp, DType, Device, ErrorKind, Operand, ReduceOp, Scalar, UnaryOp,
};

/// The CPU, and the GPU when an adapter is present (else skipped with a
/// message, or a failure under `STRIDER_REQUIRE_GPU=1`).
fn each(test: impl Fn(&Device)) {
    let mut devices = vec![Device::Cpu];
    devices.extend(common::gpu_or_skip("the GPU half of this test"));
    for dev in devices {
        test(&dev);
    }
}

fn on<T: strider::Element>(dev: &Device, v: Vec<T>) -> Array {
    let n = v.len();
    Array::from_vec(v, &[n]).unwrap().to_device(dev).unwrap()
}

fn read<T: strider::Element>(a: &Array) -> Vec<T> {
    a.to_cpu().unwrap().to_vec::<T>().unwrap()
}

fn bits_f64(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// A Python int meeting a bool array is range-checked against the loop
/// dtype: `divide(bool, 2**63)` computes in float64 (2**63 is not wrapped
/// to a negative int64); `bitwise_or(bool, 2**63)` computes in int64,
/// where 2**63 does not fit (NumPy's OverflowError).
#[test]
fn python_ints_meeting_bool_arrays_are_range_checked() {
    each(|d| {
        let b = on(d, vec![false, true]);
        let big = Scalar::Int(1 << 63);
        let q = b.binary(BinaryOp::Divide, big).unwrap();
        assert_eq!(q.dtype(), DType::F64);
        assert_eq!(read::<f64>(&q), vec![0.0, 1.0842021724855044e-19]);
        let e = b.binary(BinaryOp::BitwiseOr, big).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DType, "{e}");
        assert!(e.to_string().contains("9223372036854775808"), "{e}");
    });
}

/// uint64 against int64 compares the values exactly (NumPy 2), not
/// through float64, where 2**63 and 2**63 - 1 are the same number.
#[test]
fn uint64_and_int64_compare_exactly() {
    each(|d| {
        let u = on(d, vec![1u64 << 63, 5, u64::MAX]);
        let i = on(d, vec![i64::MAX, 5, -1]);
        let eq = u.binary(BinaryOp::Equal, &i).unwrap();
        assert_eq!(read::<bool>(&eq), vec![false, true, false]);
        let lt = i.binary(BinaryOp::Less, &u).unwrap();
        assert_eq!(read::<bool>(&lt), vec![true, false, true]);
        let ge = u.binary(BinaryOp::GreaterEqual, &i).unwrap();
        assert_eq!(read::<bool>(&ge), vec![true, true, true]);
    });
}

/// A weak Python scalar is checked against the dtype the op computes in,
/// not the array's: `uint8 / -1` is float64 -5.0; `uint8 | 300` is an
/// error; a float scalar meeting a float16 array in a logical op is not
/// rounded to float16 first (1e-8 would underflow to zero).
#[test]
fn weak_scalars_are_checked_against_the_loop_dtype() {
    each(|d| {
        let u = on(d, vec![5u8]);
        let q = u.binary(BinaryOp::Divide, -1).unwrap();
        assert_eq!((q.dtype(), read::<f64>(&q)), (DType::F64, vec![-5.0]));
        let e = u.binary(BinaryOp::BitwiseOr, 300).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DType, "{e}");
        let h = on(d, vec![f16::from_f32(1.0), f16::from_f32(0.0)]);
        let and = h.binary(BinaryOp::LogicalAnd, 1e-8).unwrap();
        assert_eq!(read::<bool>(&and), vec![true, false]);
        let or = h.binary(BinaryOp::LogicalOr, 1e-8).unwrap();
        assert_eq!(read::<bool>(&or), vec![true, true]);
        // Clip bounds are not range-checked against the array's dtype:
        // they lie beyond every element.
        let c = u.clip(-1, 300).unwrap();
        assert_eq!((c.dtype(), read::<u8>(&c)), (DType::U8, vec![5]));
    });
}

/// A float16 or bfloat16 loop written into a wider output rounds to the
/// loop dtype first: `divide(f16 1.75, f16 0.75, out=float32)` is
/// 2.3339844, not 2.3333333.
#[test]
fn half_precision_loops_round_before_a_wider_output() {
    each(|d| {
        let x = on(d, vec![f16::from_f32(1.75)]);
        let y = on(d, vec![f16::from_f32(0.75)]);
        let out = on(d, vec![0f32]);
        x.binary_into(BinaryOp::Divide, &y, &out).unwrap();
        assert_eq!(read::<f32>(&out), vec![2.3339844]);
        let xb = on(d, vec![bf16::from_f32(1.75)]);
        let yb = on(d, vec![bf16::from_f32(0.75)]);
        let out = on(d, vec![0f64]);
        xb.binary_into(BinaryOp::Divide, &yb, &out).unwrap();
        assert_eq!(read::<f64>(&out), vec![2.328125]);
    });
}

/// int64 and uint64 to float32 and bfloat16 round once, not through
/// float64 (which would round 2**62 + 2**38 + 1 to a tie first).
#[test]
fn wide_integers_to_narrow_floats_round_once() {
    each(|d| {
        let i = on(d, vec![(1i64 << 62) + (1 << 38) + 1]);
        let f = i.astype(DType::F32).unwrap();
        assert_eq!(read::<f32>(&f), vec![((1u64 << 62) + (1 << 39)) as f32]);
        let u = on(d, vec![(1u64 << 63) + (1 << 55) + 1]);
        let b = u.astype(DType::BF16).unwrap();
        let want = (1u64 << 63) as f64 + (1u64 << 56) as f64;
        assert_eq!(read::<bf16>(&b)[0].to_f64(), want);
        let u = on(d, vec![(1u64 << 63) + (1 << 39) + 1]);
        let uf = u.astype(DType::F32).unwrap();
        assert_eq!(read::<f32>(&uf), vec![((1u64 << 63) + (1 << 40)) as f32]);
    });
}

/// `sign(-0.0)` is +0.0 for float16, float32 and float64 (bfloat16 keeps
/// the zero's sign, as ml_dtypes), and clip takes bool arrays.
#[test]
fn sign_of_negative_zero_and_clip_of_bools() {
    each(|d| {
        let x = on(d, vec![-0.0f64, 0.0, -2.0, f64::NAN]);
        for dt in [DType::F16, DType::F32, DType::F64] {
            let s = x.astype(dt).unwrap().unary(UnaryOp::Sign).unwrap();
            let s = read::<f64>(&s.astype(DType::F64).unwrap());
            assert_eq!(s[0].to_bits(), 0.0f64.to_bits(), "{dt}");
            assert_eq!(&bits_f64(&s[1..3]), &bits_f64(&[0.0, -1.0]), "{dt}");
            assert!(s[3].is_nan(), "{dt}");
        }
        let s = x.astype(DType::BF16).unwrap().unary(UnaryOp::Sign).unwrap();
        assert!(read::<bf16>(&s)[0].is_sign_negative());
        let b = on(d, vec![true, false]);
        let c = b.clip(false, true).unwrap();
        assert_eq!(
            (c.dtype(), read::<bool>(&c)),
            (DType::Bool, vec![true, false])
        );
    });
}

/// Printing as NumPy 2's `str`: shortest digits for negatives in the
/// array's own dtype, 0-d floats as scalars, padded bools, the per-dtype
/// switch to scientific notation, unpadded scientific fractions.
#[test]
fn printing_matches_numpy() {
    let cases: Vec<(Array, &str)> = vec![
        (
            Array::from_vec(vec![-1.5f32, 2.25], &[2]).unwrap(),
            "[-1.5   2.25]",
        ),
        (Array::scalar(1.0f64), "1.0"),
        (
            Array::from_vec(vec![true, true], &[2]).unwrap(),
            "[ True  True]",
        ),
        (
            Array::from_vec(vec![1e-7f64, 1.2e-7], &[2]).unwrap(),
            "[1.0e-07 1.2e-07]",
        ),
        (
            Array::from_vec(vec![1000.5f32, 2.0], &[2])
                .unwrap()
                .astype(DType::F16)
                .unwrap(),
            "[1.0005e+03 2.0000e+00]",
        ),
        (
            Array::from_vec(vec![1.5e6f32, 1.0], &[2]).unwrap(),
            "[1.5e+06 1.0e+00]",
        ),
    ];
    for (a, want) in cases {
        assert_eq!(a.to_string(), want);
    }
}

/// Float32 sums are pairwise on every device: each row of a (4096, 1000)
/// array of float32 0.1 sums to within 2e-5 of the exact value (NumPy's
/// error: 1.4e-5; the GPU's sequential sum was off by 9.5e-4).
#[test]
fn float32_row_sums_are_accurate_on_every_device() {
    let exact = 1000.0 * (0.1f32 as f64);
    each(|d| {
        let x = Array::full(&[4096, 1000], 0.1, DType::F32)
            .unwrap()
            .to_device(d)
            .unwrap();
        let s = x.reduce(ReduceOp::Sum, 1, false).unwrap();
        let worst = read::<f32>(&s)
            .iter()
            .map(|&v| (v as f64 - exact).abs())
            .fold(0.0, f64::max);
        assert!(worst <= 2e-5, "{d:?}: row sum off by {worst:e}");
        let total = x.reduce(ReduceOp::Sum, strider::Axes::All, false).unwrap();
        let err = (read::<f32>(&total)[0] as f64 - 4096.0 * exact).abs();
        assert!(err <= 4096.0 * exact * 1e-6, "{d:?}: total off by {err:e}");
    });
}

/// Integer floor_divide and remainder floor (Python's sign rules) for
/// every mix of integer dtypes, including the ones that promote to a
/// wider signed type.
#[test]
fn mixed_integer_floor_division_floors() {
    let pairs = [
        (DType::I8, DType::U8),
        (DType::I16, DType::U16),
        (DType::I32, DType::U32),
        (DType::I64, DType::U16),
        (DType::I64, DType::I32),
        (DType::I8, DType::I64),
        (DType::U8, DType::I32),
    ];
    each(|d| {
        for (a, b) in pairs {
            let x = on(d, vec![-7i64, 7, -8, 0, 5])
                .astype(a)
                .unwrap()
                .to_device(d)
                .unwrap();
            let y = on(d, vec![2i64, 3, 3, 5, 7]).astype(b).unwrap();
            let q = x.binary(BinaryOp::FloorDivide, &y).unwrap();
            let r = x.binary(BinaryOp::Remainder, &y).unwrap();
            let (q, r) = (common::values(&q), common::values(&r));
            let xs = common::values(&x);
            let want_q: Vec<f64> = xs
                .iter()
                .zip([2.0, 3.0, 3.0, 5.0, 7.0])
                .map(|(x, y)| (x / y).floor())
                .collect();
            let want_r: Vec<f64> = xs
                .iter()
                .zip([2.0, 3.0, 3.0, 5.0, 7.0])
                .map(|(x, y)| x - (x / y).floor() * y)
                .collect();
            assert_eq!((q, r), (want_q, want_r), "{a} // {b} on {d:?}");
        }
    });
}

/// Float remainder and floor_divide are exact for huge quotients.
#[test]
fn float_remainder_is_exact_for_huge_quotients() {
    each(|d| {
        let x = on(d, vec![1e300f64, -1e300]);
        let y = on(d, vec![5e-324f64, 3e-320]);
        let r = read::<f64>(&x.binary(BinaryOp::Remainder, &y).unwrap());
        assert_eq!(bits_f64(&r), bits_f64(&[0.0, 1.684e-320]));
        let q = read::<f64>(&x.binary(BinaryOp::FloorDivide, &y).unwrap());
        assert_eq!(q[0], f64::INFINITY);
        let xf = on(d, vec![1e30f32]);
        let yf = on(d, vec![1e-40f32]);
        let rf = read::<f32>(&xf.binary(BinaryOp::Remainder, &yf).unwrap());
        assert_eq!(rf[0].to_bits(), 7.121e-42f32.to_bits());
    });
}

/// Float power's special values (C99, as NumPy) in every float dtype.
#[test]
fn float_power_special_values() {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    // (x, y, x ** y)
    let cases = [
        (nan, 1.0, nan),
        (nan, 0.0, 1.0),
        (inf, 0.0, 1.0),
        (0.0, 0.0, 1.0),
        (0.0, -1.0, inf),
        (-0.0, -1.0, -inf),
        (-0.0, -2.0, inf),
        (1.0, nan, 1.0),
        (-1.0, inf, 1.0),
        (-2.0, 3.0, -8.0),
        (-2.0, 0.5, nan),
        (0.5, -inf, inf),
        (2.0, -inf, 0.0),
        (-inf, 3.0, -inf),
        (-inf, -3.0, -0.0),
        (2.0, 10.0, 1024.0),
        (9.0, 0.5, 3.0),
    ];
    each(|d| {
        for dt in [DType::F16, DType::BF16, DType::F32, DType::F64] {
            let x = on(d, cases.iter().map(|c| c.0).collect())
                .astype(dt)
                .unwrap();
            let y = on(d, cases.iter().map(|c| c.1).collect())
                .astype(dt)
                .unwrap();
            let p = x.binary(BinaryOp::Power, &y).unwrap();
            assert_eq!(p.dtype(), dt);
            let got = common::values(&p);
            for (c, g) in cases.iter().zip(got) {
                let same = (g.is_nan() && c.2.is_nan()) || g.to_bits() == c.2.to_bits();
                assert!(
                    same,
                    "{dt} pow({}, {}) = {g}, want {} on {d:?}",
                    c.0, c.1, c.2
                );
            }
        }
    });
}

/// NumPy's round is half to even and keeps the sign of a zero result, in
/// every float dtype (lavapipe's own f64 `round` is neither).
#[test]
fn round_is_half_to_even_with_signed_zeros() {
    let xs = vec![
        0.5,
        1.5,
        2.5,
        -0.5,
        -1.5,
        -2.5,
        -0.4,
        -0.0,
        0.49999999999999994,
        4503599627370497.0,
    ];
    let want = [
        0.0,
        2.0,
        2.0,
        -0.0,
        -2.0,
        -2.0,
        -0.0,
        -0.0,
        0.0,
        4503599627370497.0,
    ];
    each(|d| {
        for dt in [DType::F16, DType::BF16, DType::F32, DType::F64] {
            let x = on(d, xs.clone()).astype(dt).unwrap();
            let got = common::values(&x.unary(UnaryOp::Round).unwrap());
            // Rust's round_ties_even is the reference, on the values as
            // the dtype holds them.
            let reference: Vec<f64> = common::values(&x)
                .iter()
                .map(|v| v.round_ties_even())
                .collect();
            assert_eq!(bits_f64(&got), bits_f64(&reference), "{dt} on {d:?}");
            if dt == DType::F64 {
                assert_eq!(bits_f64(&got), bits_f64(&want), "on {d:?}");
            }
        }
    });
}

/// bool `floor_divide`, `remainder` and `power` compute in int8 (NumPy
/// has no bool loop for them).
#[test]
fn bool_floor_divide_remainder_and_power_compute_in_int8() {
    each(|d| {
        let x = on(d, vec![false, true, false, true]);
        let y = on(d, vec![false, false, true, true]);
        let q = x.binary(BinaryOp::FloorDivide, &y).unwrap();
        assert_eq!((q.dtype(), read::<i8>(&q)), (DType::I8, vec![0, 0, 0, 1]));
        let r = x.binary(BinaryOp::Remainder, &y).unwrap();
        assert_eq!(read::<i8>(&r), vec![0, 0, 0, 0]);
        let p = x.binary(BinaryOp::Power, &y).unwrap();
        assert_eq!(read::<i8>(&p), vec![1, 1, 0, 1]);
    });
}

/// A Python int beyond int64 meeting an int8 array in a float loop keeps
/// its value (not wrapped to int64).
#[test]
fn python_ints_beyond_int64_keep_their_value_in_float_loops() {
    each(|d| {
        let x = on(d, vec![-128i8, 1]);
        let huge = Operand::Scalar(Scalar::Int(-(1i128 << 63) - 1));
        let q = binary_operands(BinaryOp::Divide, (&x).into(), huge).unwrap();
        let q = read::<f64>(&q);
        assert!(q[0] > 0.0 && q[1] < 0.0, "{q:?}");
        let r = x.binary(BinaryOp::Divide, Scalar::Int(1 << 64)).unwrap();
        assert_eq!(read::<f64>(&r)[1], 1.0 / 18446744073709551616.0);
    });
}

/// Where NumPy's answer is an artefact of its implementation (the ufunc
/// corpus's QUIRKS.md), strider gives the documented answer instead, on
/// every device.
#[test]
fn quirks_have_the_documented_answers() {
    each(|d| {
        // maximum / minimum / clip where +0.0 meets -0.0: the first operand.
        let p = on(d, vec![0.0f64, -0.0]);
        let m = on(d, vec![-0.0f64, 0.0]);
        for op in [BinaryOp::Maximum, BinaryOp::Minimum] {
            let r = read::<f64>(&p.binary(op, &m).unwrap());
            assert_eq!(bits_f64(&r), bits_f64(&[0.0, -0.0]), "{op:?} on {d:?}");
        }
        let c = read::<f64>(&p.clip(-0.0, -0.0).unwrap());
        assert_eq!(bits_f64(&c), bits_f64(&[0.0, -0.0]), "clip on {d:?}");
        // bfloat16 with Python scalars stays bfloat16 (NEP 50).
        let b = on(d, vec![bf16::from_f32(0.5), bf16::from_f32(3.0)]);
        let c = b.clip(1.0, 2.0).unwrap();
        assert_eq!(c.dtype(), DType::BF16);
        assert_eq!(common::values(&c), vec![1.0, 2.0]);
        let cond = on(d, vec![true, false]);
        let w = strider::where_(&cond, &b, 7.0).unwrap();
        assert_eq!(
            (w.dtype(), common::values(&w)),
            (DType::BF16, vec![0.5, 7.0])
        );
        // Logical ops take the truth value of any Python int.
        let i = on(d, vec![0i64, 5]);
        let l = i
            .binary(BinaryOp::LogicalAnd, Scalar::Int(1 << 64))
            .unwrap();
        assert_eq!(read::<bool>(&l), vec![false, true]);
        // `where` refuses a Python int its result dtype cannot hold.
        let s = on(d, vec![1i8, 2]);
        let e = strider::where_(&cond, &s, 300).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DType, "{e}");
        // round of bool is bool.
        let r = cond.unary(UnaryOp::Round).unwrap();
        assert_eq!(
            (r.dtype(), read::<bool>(&r)),
            (DType::Bool, vec![true, false])
        );
    });
}

/// `max` and `min` over zeros of both signs answer the first zero in C
/// order, on every walk and device (QUIRKS.md: NumPy answers either zero).
#[test]
fn max_and_min_reductions_over_signed_zeros() {
    each(|d| {
        for n in [2usize, 7, 300, 5000, 300_000] {
            for first_negative in [false, true] {
                let v: Vec<f64> = (0..n)
                    .map(|i| {
                        if (i % 2 == 0) == first_negative {
                            -0.0
                        } else {
                            0.0
                        }
                    })
                    .collect();
                let first = v[0].to_bits();
                let x = on(d, v.clone());
                for op in [ReduceOp::Max, ReduceOp::Min] {
                    let r = read::<f64>(&x.reduce(op, strider::Axes::All, false).unwrap());
                    assert_eq!(r[0].to_bits(), first, "{op:?} n={n} on {d:?}");
                }
                if n % 2 == 1 {
                    continue;
                }
                // Over axis 0 of (2, n / 2): the first row's zero.
                let m = x.reshape(&[2, n as isize / 2]).unwrap();
                for op in [ReduceOp::Max, ReduceOp::Min] {
                    let r = read::<f64>(&m.reduce(op, 0, false).unwrap());
                    assert_eq!(
                        bits_f64(&r),
                        bits_f64(&v[..n / 2]),
                        "{op:?} axis 0 n={n} on {d:?}"
                    );
                }
            }
        }
    });
}
