//! Reshape's first rule (the same shape keeps the same strides) compares the
//! shape as written, as NumPy does before it replaces the `-1`.

use strider::{s, Array, DType, Order};

#[test]
fn same_shape_rule_compares_the_shape_as_written() {
    // (4, 1) with strides (24, 0): a step-3 slice with a new axis.
    let a = Array::arange_i64(0, 14, 1).unwrap();
    let b = a.slice(s![0..12;3, strider::NewAxis]).unwrap();
    assert_eq!(b.strides(), vec![24, 0]);
    // Written the same: a view with the same strides.
    assert_eq!(b.reshape(&[4, 1]).unwrap().strides(), vec![24, 0]);
    // With a -1 NumPy goes on to the no-copy rule: the trailing length-1
    // axis gets the last stride computed.
    let r = b.reshape(&[4, -1]).unwrap();
    assert_eq!((r.shape(), r.strides()), (&[4, 1][..], vec![24, 24]));
    assert_eq!(r.buffer_id(), a.buffer_id());
    // A reversed length-1 view is C-contiguous: reshape(-1) gives it the
    // fresh stride, reshape(1) keeps the negative one.
    let rev = a.slice(s![..;-14]).unwrap();
    assert_eq!(rev.strides(), vec![-112]);
    assert_eq!(rev.reshape(&[-1]).unwrap().strides(), vec![8]);
    assert_eq!(rev.reshape(&[1]).unwrap().strides(), vec![-112]);
    // An empty array resolves to the same shape but takes dense strides.
    let e = Array::zeros(&[0], DType::I64).unwrap();
    assert_eq!(e.strides(), vec![0]);
    assert_eq!(e.reshape(&[-1]).unwrap().strides(), vec![8]);
    assert_eq!(e.reshape(&[0]).unwrap().strides(), vec![0]);
    // copy=true always copies and then restrides like a contiguous array.
    let c = e.reshape_with(&[0], Order::C, Some(true)).unwrap();
    assert_ne!(c.buffer_id(), e.buffer_id());
    assert_eq!(c.strides(), vec![8]);
}
