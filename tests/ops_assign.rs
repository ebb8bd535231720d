//! `assign` (NumPy's `x[index] = value`) and how the value is fitted to the
//! destination.

use strider::{s, Array, DType, ErrorKind, IndexItem, SliceItem};

/// As NumPy, a value may carry leading length-1 axes that the destination
/// lacks: `a[...] = ones((1, 3, 2))` fills a (3, 2) array, through basic and
/// advanced indices alike.
#[test]
fn value_with_extra_leading_unit_axes_fills_the_destination() {
    let ones = Array::full(&[1, 3, 2], 1.0, DType::F64).unwrap();
    let a = Array::zeros(&[3, 2], DType::F64).unwrap();
    a.assign(&[], &ones).unwrap();
    assert_eq!(a.to_vec::<f64>().unwrap(), vec![1.0; 6]);

    let b = Array::zeros(&[3, 2], DType::F64).unwrap();
    b.assign(
        &[IndexItem::indices(&[0, 1, 2]), SliceItem::full().into()],
        &ones,
    )
    .unwrap();
    assert_eq!(b.to_vec::<f64>().unwrap(), vec![1.0; 6]);

    // Several leading ones, and a value that still broadcasts afterwards.
    let row = Array::from_vec(vec![1i64, 2], &[1, 1, 1, 2]).unwrap();
    let c = Array::zeros(&[3, 2], DType::I64).unwrap();
    c.slice(s![1..]).unwrap().assign(&[], &row).unwrap();
    assert_eq!(c.to_vec::<i64>().unwrap(), vec![0, 0, 1, 2, 1, 2]);
    let d = Array::zeros(&[3, 2], DType::I64).unwrap();
    d.assign(&[IndexItem::indices(&[2, 0])], &row).unwrap();
    assert_eq!(d.to_vec::<i64>().unwrap(), vec![1, 2, 0, 0, 1, 2]);
}

/// A leading axis longer than 1 is not dropped: that is a broadcast error
/// naming the op and both shapes.
#[test]
fn value_with_extra_leading_axis_longer_than_one_is_a_broadcast_error() {
    let a = Array::zeros(&[3, 2], DType::F64).unwrap();
    let two = Array::zeros(&[2, 3, 2], DType::F64).unwrap();
    for index in [vec![], vec![IndexItem::indices(&[0, 1, 2])]] {
        let err = a.assign(&index, &two).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Broadcast);
        let msg = err.to_string();
        assert!(msg.starts_with("assign:"), "{msg}");
        assert!(msg.contains("(2, 3, 2)") && msg.contains("(3, 2)"), "{msg}");
    }
    let wrong = Array::zeros(&[1, 4, 2], DType::F64).unwrap();
    let err = a.assign(&[], &wrong).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Broadcast);
    assert!(err.to_string().contains("(4, 2)"), "{err}");
    assert_eq!(
        a.to_vec::<f64>().unwrap(),
        vec![0.0; 6],
        "a failed assign writes nothing"
    );
}

/// With several faults, `assign` reports the one NumPy reports: the
/// read-only destination, then the index items, then the scalar value, then
/// index arrays that do not broadcast, then the value's shape, and last
/// index values out of bounds.
#[test]
fn assign_reports_faults_in_numpy_order() {
    let b = Array::zeros(&[3], DType::U8).unwrap();
    // An integer out of bounds is found before the scalar's overflow...
    assert_eq!(
        b.assign(&[SliceItem::Index(5).into()], -1)
            .unwrap_err()
            .kind(),
        ErrorKind::Index
    );
    // ...but an index array's bounds only after it.
    assert_eq!(
        b.assign(&[IndexItem::indices(&[5])], -1)
            .unwrap_err()
            .kind(),
        ErrorKind::DType
    );
    // The value's shape is checked before the index values' bounds.
    let seven = Array::zeros(&[7], DType::F64).unwrap();
    let err = b
        .assign(&[IndexItem::indices(&[0, 5])], &seven)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Broadcast);
    // Index arrays that do not broadcast together come before the value.
    let m = Array::zeros(&[3, 3], DType::U8).unwrap();
    let pair = [IndexItem::indices(&[0, 1]), IndexItem::indices(&[0, 1, 2])];
    assert_eq!(
        m.assign(&pair, &seven).unwrap_err().kind(),
        ErrorKind::Index
    );
    // ...but after the scalar.
    assert_eq!(m.assign(&pair, -1).unwrap_err().kind(), ErrorKind::DType);
    // A read-only destination comes first of all.
    let ro = b.broadcast_to(&[2, 3]).unwrap();
    assert_eq!(
        ro.assign(&[SliceItem::Index(9).into()], -1)
            .unwrap_err()
            .kind(),
        ErrorKind::ReadOnly
    );
    assert_eq!(b.to_vec::<u8>().unwrap(), vec![0; 3], "nothing was written");
}
