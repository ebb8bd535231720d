//! Creation with a fill value, as NumPy 2's `full`.

use strider::{Array, DType, ErrorKind, Order};

/// An integer that the integer dtype cannot hold is a dtype error (NumPy's
/// `OverflowError`); floats and bools convert, and float dtypes take any
/// integer.
#[test]
fn full_refuses_integers_the_dtype_cannot_hold() {
    for (v, dt) in [
        (-1i64, DType::U8),
        (256, DType::U8),
        (-2, DType::U32),
        (1 << 40, DType::I32),
    ] {
        let err = Array::full(&[2], v, dt).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::DType, "{v} as {dt}");
        let msg = err.to_string();
        assert!(msg.starts_with("full:") && msg.contains(dt.name()), "{msg}");
        let err = Array::full_order(&[2, 2], v, dt, Order::F).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::DType);
    }
    assert_eq!(
        Array::full(&[2], 255, DType::U8)
            .unwrap()
            .to_vec::<u8>()
            .unwrap(),
        vec![255; 2]
    );
    assert_eq!(
        Array::full(&[1], 2.7, DType::I32)
            .unwrap()
            .to_vec::<i32>()
            .unwrap(),
        vec![2]
    );
    assert_eq!(
        Array::full(&[1], 5, DType::Bool)
            .unwrap()
            .to_vec::<bool>()
            .unwrap(),
        vec![true]
    );
    assert_eq!(
        Array::full(&[1], 70000, DType::F16).unwrap().dtype(),
        DType::F16
    );
}
