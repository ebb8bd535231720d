//! Advanced indexing details that NumPy pins down beyond the placement rule.

use strider::{Array, DType, ErrorKind, IndexItem, SliceItem};

/// NumPy does not check a mask axis of length 0 against the axis it covers:
/// it selects nothing whatever that axis's length. Any other mismatch is an
/// index error naming the axis and both lengths.
#[test]
fn empty_mask_axes_match_any_length() {
    let x = Array::arange_i64(0, 10, 1)
        .unwrap()
        .reshape(&[2, 5])
        .unwrap();
    let empty = IndexItem::mask(&[]);
    let r = x.index(std::slice::from_ref(&empty)).unwrap();
    assert_eq!(r.shape(), &[0, 5]);
    let r = x.index(&[SliceItem::full().into(), empty.clone()]).unwrap();
    assert_eq!(r.shape(), &[2, 0]);
    x.assign(&[empty], 7).unwrap();
    assert_eq!(x.to_vec::<i64>().unwrap(), (0..10).collect::<Vec<_>>());
    // A (1, 0) mask over (2, 5): the length-1 mask axis must match.
    let m = Array::from_vec(Vec::<bool>::new(), &[1, 0]).unwrap();
    let err = x.index(&[m.into()]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Index);
    let msg = err.to_string();
    assert!(msg.starts_with("index:") && msg.contains("axis 0"), "{msg}");
    let err = x
        .index(&[IndexItem::mask(&[true, false, true])])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Index);
    assert!(err.to_string().contains("size of axis is 2"), "{err}");
}

/// An index array that is neither integer nor bool is an index error, as
/// NumPy's `IndexError`.
#[test]
fn float_index_arrays_are_index_errors() {
    let x = Array::arange_i64(0, 4, 1).unwrap();
    let f = Array::from_vec(vec![0.0f32, 1.0], &[2]).unwrap();
    let err = x.index(&[f.into()]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Index);
    assert!(err.to_string().contains("float32"), "{err}");
    let f = Array::zeros(&[1], DType::F64).unwrap();
    assert_eq!(
        x.assign(&[f.into()], 1).unwrap_err().kind(),
        ErrorKind::Index
    );
}
