//! Binary ufuncs at the edges NumPy 2 pins down: comparisons with Python
//! integers outside the array's dtype, and the layout of results whose
//! operands need a cast.

use strider::{Array, BinaryOp, DType, ErrorKind, Order};

/// NumPy 2 compares an integer array with an out-of-range Python integer by
/// value (`uint8_array < -2` is all false) instead of refusing the scalar,
/// while arithmetic with it is still a dtype error.
#[test]
fn comparisons_with_out_of_range_integers_answer_by_value() {
    let a = Array::from_vec(vec![0u8, 7, 255], &[3]).unwrap();
    let cases = [
        (BinaryOp::Less, -2i64, false),
        (BinaryOp::LessEqual, -2, false),
        (BinaryOp::Greater, -2, true),
        (BinaryOp::GreaterEqual, -2, true),
        (BinaryOp::Equal, 300, false),
        (BinaryOp::NotEqual, 300, true),
        (BinaryOp::Less, 300, true),
        (BinaryOp::Greater, 300, false),
    ];
    for (op, s, want) in cases {
        let r = a.binary(op, s).unwrap();
        assert_eq!(r.dtype(), DType::Bool);
        assert_eq!(r.to_vec::<bool>().unwrap(), vec![want; 3], "{op:?} {s}");
    }
    // The scalar on the left flips the order.
    let r = strider::binary_operands(BinaryOp::Less, (-2).into(), (&a).into()).unwrap();
    assert_eq!(r.to_vec::<bool>().unwrap(), vec![true; 3]);
    // int64 against a value beyond int64.
    let b = Array::from_vec(vec![i64::MAX, i64::MIN], &[2]).unwrap();
    let r = b
        .binary(BinaryOp::Less, strider::Scalar::Int(1 << 63))
        .unwrap();
    assert_eq!(r.to_vec::<bool>().unwrap(), vec![true, true]);
    // Into an existing output, through a view, broadcasting.
    let out = Array::zeros(&[2, 3], DType::Bool).unwrap();
    a.binary_into(BinaryOp::GreaterEqual, -1, &out).unwrap();
    assert_eq!(out.to_vec::<bool>().unwrap(), vec![true; 6]);
    let small = Array::zeros(&[2], DType::Bool).unwrap();
    assert_eq!(
        a.binary_into(BinaryOp::Less, 300, &small)
            .unwrap_err()
            .kind(),
        ErrorKind::Broadcast
    );
    // Arithmetic still refuses the scalar, naming the op and the dtype.
    let err = a.add(-2).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DType);
    assert!(
        err.to_string().contains("add") && err.to_string().contains("uint8"),
        "{err}"
    );
}

/// NumPy's fast path needs every operand of two or more dimensions in the
/// loop dtype; an operand that must be cast sends the call through NumPy's
/// iterator, which leaves a length-1 axis where it is instead of giving it
/// the F stride.
#[test]
fn cast_operands_take_the_iterator_layout() {
    let f = Array::full_order(&[1, 3, 2], -2, DType::I32, Order::F).unwrap();
    let c = Array::full(&[2, 3, 1], -2.0, DType::F64).unwrap().t();
    let d = c.less(&f).unwrap();
    assert_eq!(d.strides(), vec![6, 1, 3]);
    assert!(d.is_f_contiguous());
    // Same dtypes: NumPy's fast path allocates a plain F array.
    let f64s = f.astype(DType::F64).unwrap();
    assert_eq!(c.less(&f64s).unwrap().strides(), vec![1, 1, 3]);
    // A unary op that casts its input (sqrt of int32 computes in float64).
    let s = f.unary(strider::UnaryOp::Sqrt).unwrap();
    assert_eq!((s.dtype(), s.strides()), (DType::F64, vec![48, 8, 24]));
    assert_eq!(
        f.unary(strider::UnaryOp::Negative).unwrap().strides(),
        vec![4, 4, 12]
    );
}
