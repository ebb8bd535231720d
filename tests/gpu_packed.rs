//! Packed dtypes (uint8 and bool four to a 32-bit word, bfloat16 two)
//! written into strided views on the GPU, through the public API: each
//! kernel invocation owns whole output words, so `x[::2] += 1`, assigning
//! a channel of an image, and `concatenate`/`stack` (which write into
//! strided slices of their result) work on the device as on the CPU, and
//! leave every byte outside the view alone.
//!
//! Without a GPU adapter every test is skipped with a message; with
//! `STRIDER_REQUIRE_GPU=1` a missing adapter is a failure instead.

use strider::{s, Array, BinaryOp, DType, Device, IndexItem, SliceItem};

mod common;

/// The GPU, or `None` (with a message) when there is no adapter.
fn gpu() -> Option<Device> {
    common::gpu_or_skip("GPU packed-dtype test")
}

use common::{sample, values};

#[test]
fn add_one_to_every_other_element_of_a_uint8_array() {
    let Some(g) = gpu() else { return };
    for n in [37, 40, 3] {
        let host = sample(DType::U8, &[n], 1);
        let want = host.copy().unwrap();
        want.slice(s![..;2])
            .unwrap()
            .binary_inplace(BinaryOp::Add, 1)
            .unwrap();
        let x = host.to_device(&g).unwrap();
        let (r, report) =
            strider::track(|| x.slice(s![..;2]).unwrap().binary_inplace(BinaryOp::Add, 1));
        r.unwrap_or_else(|e| panic!("x[::2] += 1 on {n} uint8: {e}"));
        assert_eq!(report.copies(), 0, "x[::2] += 1 copied:\n{report}");
        assert_eq!(x.dtype(), DType::U8);
        assert_eq!(values(&x), values(&want), "x[::2] += 1 on {n} uint8");
        // 255 + 1 wraps, as in NumPy; the odd elements are untouched.
        let old = values(&host);
        for (i, v) in values(&x).into_iter().enumerate() {
            let expect = if i % 2 == 0 {
                (old[i] as u8).wrapping_add(1) as f64
            } else {
                old[i]
            };
            assert_eq!(v, expect, "element {i}");
        }
    }
    // Reversed, stepped and 2-D strided views of the packed dtypes.
    for dt in [
        DType::U8,
        DType::I8,
        DType::I16,
        DType::U16,
        DType::Bool,
        DType::BF16,
    ] {
        let host = sample(dt, &[6, 9], 2);
        let one = || -> strider::Operand<'static> {
            if dt == DType::Bool {
                true.into()
            } else {
                1.into()
            }
        };
        type View = fn(&Array) -> Array;
        let views: [(&str, View); 4] = [
            ("x[::-1]", |a| a.slice(s![..;-1]).unwrap()),
            ("x[1::2, ::3]", |a| a.slice(s![1..;2, ..;3]).unwrap()),
            ("x[::-2, 1:8:2].T", |a| {
                a.slice(s![..;-2, 1..8;2]).unwrap().t()
            }),
            ("x[:, 4]", |a| a.slice(s![.., 4]).unwrap()),
        ];
        for (what, view) in views {
            let want = host.copy().unwrap();
            view(&want).binary_inplace(BinaryOp::Add, one()).unwrap();
            let x = host.to_device(&g).unwrap();
            view(&x)
                .binary_inplace(BinaryOp::Add, one())
                .unwrap_or_else(|e| panic!("{dt} {what} += 1: {e}"));
            assert_eq!(values(&x), values(&want), "{dt} {what} += 1");
        }
    }
}

#[test]
fn assign_one_channel_of_an_image() {
    let Some(g) = gpu() else { return };
    let full = || IndexItem::from(SliceItem::full());
    for channel in 0..3 {
        let host = sample(DType::U8, &[4, 6, 3], 3);
        let v = sample(DType::U8, &[4, 6], 4);
        let index = [full(), full(), IndexItem::from(SliceItem::Index(channel))];
        let want = host.copy().unwrap();
        want.assign(&index, &v).unwrap();

        let img = host.to_device(&g).unwrap();
        let vg = v.to_device(&g).unwrap();
        img.assign(&index, &vg)
            .unwrap_or_else(|e| panic!("img[:, :, {channel}] = v: {e}"));
        assert_eq!(values(&img), values(&want), "img[:, :, {channel}] = v");
        // The other channels are as they were.
        let (got, old) = (values(&img), values(&host));
        for (i, (a, b)) in got.iter().zip(&old).enumerate() {
            if i % 3 != channel as usize {
                assert_eq!(a, b, "element {i} outside channel {channel} changed");
            }
        }
        // A scalar into the channel, and a broadcast row.
        let row = sample(DType::U8, &[6], 5);
        want.assign(&index, 7).unwrap();
        img.assign(&index, 7).unwrap();
        assert_eq!(values(&img), values(&want), "img[:, :, {channel}] = 7");
        want.assign(&index, &row).unwrap();
        img.assign(&index, &row.to_device(&g).unwrap()).unwrap();
        assert_eq!(values(&img), values(&want), "img[:, :, {channel}] = row");
    }
}

#[test]
fn concatenate_and_stack_bool_arrays() {
    let Some(g) = gpu() else { return };
    let a = sample(DType::Bool, &[3, 5], 6);
    let b = sample(DType::Bool, &[3, 2], 7);
    let c = sample(DType::Bool, &[3, 5], 8);
    let (ag, bg, cg) = (
        a.to_device(&g).unwrap(),
        b.to_device(&g).unwrap(),
        c.to_device(&g).unwrap(),
    );
    // Along axis 1 each piece is a strided slice of the result.
    let want = strider::concatenate(&[&a, &b], Some(1)).unwrap();
    let got = strider::concatenate(&[&ag, &bg], Some(1)).unwrap();
    assert!(!got.device().is_cpu(), "the result stays on the GPU");
    assert_eq!(got.dtype(), DType::Bool);
    assert_eq!(got.shape(), want.shape());
    assert_eq!(values(&got), values(&want), "concatenate axis 1");
    for axis in [Some(0), None] {
        let want = strider::concatenate(&[&a, &c], axis).unwrap();
        let got = strider::concatenate(&[&ag, &cg], axis).unwrap();
        assert_eq!(got.shape(), want.shape());
        assert_eq!(values(&got), values(&want), "concatenate axis {axis:?}");
    }
    for axis in [0, 1, 2, -1] {
        let want = strider::stack(&[&a, &c, &a], axis).unwrap();
        let got = strider::stack(&[&ag, &cg, &ag], axis).unwrap();
        assert_eq!(got.shape(), want.shape(), "stack axis {axis}");
        assert_eq!(values(&got), values(&want), "stack axis {axis}");
    }
    // The packed dtypes too.
    for dt in [DType::U8, DType::I8, DType::I16, DType::U16, DType::BF16] {
        let (x, y) = (sample(dt, &[4, 3], 9), sample(dt, &[4, 5], 10));
        let (xg, yg) = (x.to_device(&g).unwrap(), y.to_device(&g).unwrap());
        let want = strider::concatenate(&[&x, &y], Some(1)).unwrap();
        let got = strider::concatenate(&[&xg, &yg], Some(1)).unwrap();
        assert_eq!(values(&got), values(&want), "{dt} concatenate axis 1");
        let want = strider::stack(&[&x, &x], 2).unwrap();
        let got = strider::stack(&[&xg, &xg], 2).unwrap();
        assert_eq!(values(&got), values(&want), "{dt} stack axis 2");
    }
}
