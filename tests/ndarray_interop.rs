//! ndarray interop (feature `ndarray`): views both ways and owned moves,
//! for every dtype ndarray can hold, over views with steps and negative
//! strides; zero-copy proven by pointer identity and the ledger.
//! Run with `cargo test --features ndarray --test ndarray_interop`.
#![cfg(feature = "ndarray")]

mod common;

use ndarray::{ArrayD, Axis, IxDyn};
use strider::half::{bf16, f16};
use strider::{s, track, Array, DType, Element, NewAxis};

/// Views of a (4, 6) array: whole, transposed, flipped with steps, a row,
/// a column, empty, and a broadcast.
fn views(a: &Array) -> Vec<Array> {
    vec![
        a.clone(),
        a.t(),
        a.slice(s![..;-1, 1..;2]).unwrap(),
        a.slice(s![1..3, ..;-3]).unwrap().t(),
        a.slice(s![2]).unwrap(),
        a.slice(s![.., 4]).unwrap(),
        a.slice(s![.., 2..2]).unwrap(),
        a.slice(s![NewAxis, 1..2, ..]).unwrap(),
        a.slice(s![0]).unwrap().broadcast_to(&[3, 6]).unwrap(),
    ]
}

fn check_dtype<T: Element>(dt: DType) {
    let a = common::sample(dt, &[4, 6], 3);
    for v in views(&a) {
        let want = v.to_vec::<T>().unwrap();
        // strider -> ndarray view: same memory, same values, same strides.
        let (_, report) = track(|| {
            let g = v.read::<T>().unwrap();
            let nd = g.as_ndarray();
            assert_eq!(nd.shape(), v.shape(), "{dt} {v:?}");
            if v.size() > 0 {
                assert_eq!(nd.strides(), v.element_strides(), "{dt} {v:?}");
            }
            assert_eq!(nd.iter().copied().collect::<Vec<T>>(), want, "{dt} {v:?}");
            if v.size() > 0 {
                let zero = vec![0; v.ndim()];
                assert!(std::ptr::eq(&nd[IxDyn(&zero)], g.get(&zero).unwrap()));
            }
        });
        assert!(report.is_empty(), "a view copies nothing");
        // strider -> owned ndarray -> strider.
        let nd: ArrayD<T> = v.clone().into_ndarray::<T>().unwrap();
        assert_eq!(nd.iter().copied().collect::<Vec<T>>(), want, "{dt} {v:?}");
        let back = Array::from(nd);
        assert_eq!(back.shape(), v.shape());
        assert_eq!(back.to_vec::<T>().unwrap(), want, "{dt} {v:?}");
        // ndarray view -> strider copy.
        let nd = v.clone().into_ndarray::<T>().unwrap();
        let (c, report) = track(|| Array::from_ndarray_view(nd.view()));
        assert_eq!(report.copies(), 1);
        assert_eq!(c.to_vec::<T>().unwrap(), want);
    }
}

#[test]
fn every_dtype_round_trips_over_every_view() {
    check_dtype::<bool>(DType::Bool);
    check_dtype::<i8>(DType::I8);
    check_dtype::<u8>(DType::U8);
    check_dtype::<i16>(DType::I16);
    check_dtype::<u16>(DType::U16);
    check_dtype::<i32>(DType::I32);
    check_dtype::<u32>(DType::U32);
    check_dtype::<i64>(DType::I64);
    check_dtype::<u64>(DType::U64);
    check_dtype::<f16>(DType::F16);
    check_dtype::<bf16>(DType::BF16);
    check_dtype::<f32>(DType::F32);
    check_dtype::<f64>(DType::F64);
}

#[test]
fn owned_arrays_move_without_a_copy() {
    // C order.
    let a = Array::from_vec((0..24).map(|x| x as f32).collect(), &[2, 3, 4]).unwrap();
    let ptr = a.read::<f32>().unwrap().buffer().as_ptr();
    let (nd, report) = track(|| a.into_ndarray::<f32>().unwrap());
    assert!(report.is_empty());
    assert_eq!(nd.as_ptr(), ptr);
    assert!(nd.is_standard_layout());
    // F order.
    let f =
        Array::from_vec_order((0..6).collect::<Vec<i64>>(), &[2, 3], strider::Order::F).unwrap();
    let ptr = f.read::<i64>().unwrap().buffer().as_ptr();
    let nd = f.into_ndarray::<i64>().unwrap();
    assert_eq!(nd.as_ptr(), ptr);
    assert_eq!(nd, ndarray::arr2(&[[0, 2, 4], [1, 3, 5]]).into_dyn());
    // A shared buffer is copied, and the other handle keeps its memory.
    let a = Array::arange_i64(0, 4, 1).unwrap();
    let keep = a.clone();
    let (nd, report) = track(|| a.into_ndarray::<i64>().unwrap());
    assert_eq!(report.copies(), 1);
    assert_ne!(nd.as_ptr(), keep.read::<i64>().unwrap().buffer().as_ptr());
    assert_eq!(keep.to_vec::<i64>().unwrap(), [0, 1, 2, 3]);
    // Wrong dtype: an error naming both.
    let e = keep.into_ndarray::<f64>().unwrap_err();
    assert!(
        e.to_string().contains("int64") && e.to_string().contains("float64"),
        "{e}"
    );
}

#[test]
fn ndarray_layouts_move_in_as_they_are() {
    let base = ndarray::Array::from_shape_vec((4, 5), (0..20).collect::<Vec<i32>>()).unwrap();
    let mut flipped = base.clone();
    flipped.invert_axis(Axis(0));
    let mut sliced = base.clone();
    sliced.slice_collapse(ndarray::s![1..;2, ..;-2]);
    for nd in [base.clone(), base.clone().reversed_axes(), flipped, sliced] {
        let want: Vec<i32> = nd.iter().copied().collect();
        let first = nd.as_ptr();
        let strides = nd.strides().to_vec();
        let (a, report) = track(|| Array::from(nd));
        assert!(report.is_empty());
        assert_eq!(a.to_vec::<i32>().unwrap(), want);
        assert_eq!(a.element_strides(), &strides[..]);
        assert!(std::ptr::eq(
            a.read::<i32>().unwrap().get(&[0, 0]).unwrap(),
            first
        ));
    }
}

#[test]
fn mutable_views_write_into_strider_memory() {
    let a = Array::zeros(&[3, 4], DType::F64).unwrap();
    let v = a.slice(s![..;-1, ..;3]).unwrap();
    {
        let mut g = v.write::<f64>().unwrap();
        let mut nd = g.as_ndarray_mut();
        assert_eq!(nd.strides(), &[-4, 3]);
        for (k, x) in nd.iter_mut().enumerate() {
            *x = k as f64 + 1.0;
        }
    }
    let got = a.to_vec::<f64>().unwrap();
    let mut want = vec![0.0; 12];
    for (k, (r, c)) in [(2, 0), (2, 3), (1, 0), (1, 3), (0, 0), (0, 3)]
        .into_iter()
        .enumerate()
    {
        want[r * 4 + c] = k as f64 + 1.0;
    }
    assert_eq!(got, want);
}
