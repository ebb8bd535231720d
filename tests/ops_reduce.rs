//! Reductions at the edges NumPy pins down: 0-d inputs with an axis, and
//! reductions without an identity over empty axes.

use strider::{Array, Axes, DType, ErrorKind, ReduceOp};

/// NumPy's ufunc reductions take the single axis 0 or -1 of a 0-d array and
/// reduce nothing (`np.sum(np.array(5.0), axis=0)` is 5.0); a list of axes
/// must name real ones, and `mean` refuses any axis.
#[test]
fn zero_d_reductions_take_a_single_axis_0_or_minus_1() {
    let x = Array::scalar(5.0f64);
    for op in [ReduceOp::Sum, ReduceOp::Prod, ReduceOp::Min, ReduceOp::Max] {
        for axis in [0isize, -1] {
            for keepdims in [false, true] {
                let r = x.reduce(op, axis, keepdims).unwrap();
                assert_eq!(r.shape(), &[] as &[usize], "{op:?} axis {axis}");
                assert_eq!(r.item::<f64>().unwrap(), 5.0);
                assert_ne!(
                    r.buffer_id(),
                    x.buffer_id(),
                    "a reduction result is new memory"
                );
            }
        }
        let err = x.reduce(op, 1, false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Axis);
        assert!(err.to_string().contains(op.name()), "{err}");
        assert_eq!(
            x.reduce(op, Axes::List(vec![0]), false).unwrap_err().kind(),
            ErrorKind::Axis
        );
        assert_eq!(
            x.reduce(op, Axes::List(vec![]), false)
                .unwrap()
                .item::<f64>()
                .unwrap(),
            5.0
        );
    }
    for op in [ReduceOp::ArgMin, ReduceOp::ArgMax] {
        let r = x.reduce(op, -1, true).unwrap();
        assert_eq!((r.shape(), r.dtype()), (&[] as &[usize], DType::I64));
        assert_eq!(r.item::<i64>().unwrap(), 0);
    }
    let b = Array::scalar(true);
    assert!(b.any(0).unwrap().item::<bool>().unwrap());
    assert!(b.all(-1).unwrap().item::<bool>().unwrap());
    for axis in [0isize, -1] {
        let err = x.mean(axis).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Axis);
        assert!(err.to_string().contains("mean"), "{err}");
    }
    assert_eq!(x.mean(Axes::All).unwrap().item::<f64>().unwrap(), 5.0);
}

/// `max`, `min`, `argmax` and `argmin` over an axis of length 0 fail even
/// when the result would be empty too, as NumPy does for `zeros((0, 0)).max(0)`.
#[test]
fn empty_reduction_axis_is_an_error_even_with_an_empty_result() {
    let z = Array::zeros(&[0, 0], DType::F32).unwrap();
    for op in [
        ReduceOp::Max,
        ReduceOp::Min,
        ReduceOp::ArgMax,
        ReduceOp::ArgMin,
    ] {
        for axis in [0isize, 1] {
            let err = z.reduce(op, axis, false).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::EmptyReduction, "{op:?} axis {axis}");
            assert!(err.to_string().contains("(0, 0)"), "{err}");
        }
    }
    // Reducing a nonempty axis of an empty array is fine: the result is empty.
    let e = Array::zeros(&[0, 3], DType::F32).unwrap();
    assert_eq!(e.max(1).unwrap().shape(), &[0]);
    assert_eq!(e.argmin(1).unwrap().shape(), &[0]);
    assert_eq!(
        e.reduce(ReduceOp::Max, Axes::List(vec![]), false)
            .unwrap()
            .shape(),
        &[0, 3]
    );
    assert_eq!(e.max(0).unwrap_err().kind(), ErrorKind::EmptyReduction);
    // Sums have an identity.
    assert_eq!(z.sum(0).unwrap().shape(), &[0]);
}

/// NumPy's float16 `mean` sums in float32 and returns a float16 copy of the
/// sum in order K, so an F-ordered sum comes back F-contiguous with the
/// length-1 axis restrided; the values are the float16 means.
#[test]
fn float16_mean_is_laid_out_as_numpy_copies_it() {
    let vals: Vec<f64> = (0..24).map(|v| (v % 5) as f64).collect();
    let a = Array::from_vec(vals, &[3, 4, 1, 2])
        .unwrap()
        .astype(DType::F16)
        .unwrap();
    let m = a.t().mean(-1).unwrap();
    assert_eq!(m.dtype(), DType::F16);
    assert_eq!(m.shape(), &[2, 1, 4]);
    assert_eq!(m.strides(), vec![2, 4, 4]);
    assert!(m.is_f_contiguous());
    let sum = a.t().astype(DType::F32).unwrap().sum(-1).unwrap();
    assert_eq!(
        sum.strides(),
        vec![4, 32, 8],
        "a float32 sum keeps the reduce order"
    );
    let want: Vec<f32> = sum
        .to_vec::<f32>()
        .unwrap()
        .iter()
        .map(|s| s / 3.0)
        .collect();
    let got: Vec<f32> = m.astype(DType::F32).unwrap().to_vec::<f32>().unwrap();
    for (g, w) in got.iter().zip(&want) {
        assert!(
            (g - w).abs() <= 1e-3 * w.abs().max(1.0),
            "{got:?} vs {want:?}"
        );
    }
}
