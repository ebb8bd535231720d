//! Advanced indexing on the GPU (`x[idx]` by the gather kernel,
//! `x[idx] = v` by the scatter kernel) against the CPU, through the public
//! API: every dtype (packed ones included), integer arrays (negative and
//! repeated values), masks, index arrays mixed with slices and integers
//! (NumPy's placement of the index shape), views with steps and offsets,
//! broadcast and converted values, and the ledger: the source never leaves
//! the device.
//!
//! Without a GPU adapter every test is skipped with a message; with
//! `STRIDER_REQUIRE_GPU=1` a missing adapter is a failure instead.

use strider::gpu::{GpuDevice, GpuOptions};
use strider::{s, Array, DType, Device, ErrorKind, IndexItem, SliceItem};

mod common;
use common::{sample, values};

fn gpu() -> Option<Device> {
    common::gpu_or_skip("GPU advanced-indexing test")
}

fn idx(v: &[i64]) -> IndexItem {
    IndexItem::indices(v)
}

/// Index expressions over a (6, 5, 4) array (or views of one), each as a
/// name and its items.
fn indices() -> Vec<(&'static str, Vec<IndexItem>)> {
    let mask: Vec<bool> = (0..5).map(|i| i % 2 == 0).collect();
    let mask2: Vec<bool> = (0..30).map(|i| i % 7 == 1 || i == 29).collect();
    let mask2 = Array::from_vec(mask2, &[6, 5]).unwrap();
    let grid = Array::from_vec(vec![0i64, 5, -1, 2, 2, 0], &[2, 3]).unwrap();
    vec![
        ("x[[0, 5, -1, 2, 2]]", vec![idx(&[0, 5, -1, 2, 2])]),
        (
            "x[:, [4, 0, 0]]",
            vec![SliceItem::full().into(), idx(&[4, 0, 0])],
        ),
        (
            "x[[1, 2], :, [3, 0]]",
            vec![idx(&[1, 2]), SliceItem::full().into(), idx(&[3, 0])],
        ),
        (
            "x[1:5:2, [[0], [4]], ::-1]",
            vec![
                SliceItem::range_step(1, 5, 2).into(),
                IndexItem::Array(Array::from_vec(vec![0i64, 4], &[2, 1]).unwrap()),
                SliceItem::range_step(-1, -5, -1).into(),
            ],
        ),
        ("x[grid]", vec![IndexItem::Array(grid)]),
        (
            "x[:, mask]",
            vec![SliceItem::full().into(), IndexItem::mask(&mask)],
        ),
        ("x[mask2]", vec![IndexItem::Array(mask2)]),
        (
            "x[2, [1, 1, 3], 1:]",
            vec![
                SliceItem::Index(2).into(),
                idx(&[1, 1, 3]),
                SliceItem::range(1, 4).into(),
            ],
        ),
        ("x[[]]", vec![idx(&[])]),
    ]
}

/// A view of a base array.
type ViewOf = fn(&Array) -> Array;

/// The sources to index, each a base array and a (6, 5, 4) view of it: the
/// whole array, a transposed one, and a stepped, offset view of a larger
/// array. The same view is taken of the base and of its device copy.
fn sources(dt: DType) -> Vec<(&'static str, Array, ViewOf)> {
    let whole: ViewOf = |a| a.clone();
    let transposed: ViewOf = |a| a.transpose(None).unwrap();
    let stepped: ViewOf = |a| a.slice(s![1.., 1..;2, 2..6]).unwrap();
    vec![
        ("whole", sample(dt, &[6, 5, 4], 3), whole),
        ("transposed", sample(dt, &[4, 5, 6], 4), transposed),
        ("stepped view", sample(dt, &[7, 11, 9], 5), stepped),
    ]
}

#[test]
fn gather_matches_the_cpu_in_values_and_layout() {
    let Some(g) = gpu() else { return };
    for dt in DType::ALL {
        if !g.as_gpu().is_some_and(|d| d.supports(dt)) {
            continue;
        }
        for (src_name, base, view) in sources(dt) {
            let host = view(&base);
            assert_eq!(host.shape(), &[6, 5, 4]);
            let dev_view = view(&base.to_device(&g).unwrap());
            for (name, items) in indices() {
                let want = host.index(&items).unwrap();
                let (got, report) = strider::track(|| dev_view.index(&items));
                let got = got.unwrap_or_else(|e| panic!("{dt} {src_name} {name}: {e}"));
                assert_eq!(got.device(), g, "{name} left the device");
                assert_eq!(got.shape(), want.shape(), "{dt} {src_name} {name}");
                assert_eq!(got.strides(), want.strides(), "{dt} {src_name} {name}");
                assert_eq!(values(&got), values(&want), "{dt} {src_name} {name}");
                // One explicit copy (the result), and only the table moved
                // (up, 4 bytes per result element): the source stayed on
                // the device and the index arrays were already on the host.
                assert_eq!(report.copies(), 1, "{name}:\n{report}");
                assert_eq!(
                    report.transfer_bytes(),
                    4 * want.size(),
                    "{name}:\n{report}"
                );
            }
        }
    }
}

#[test]
fn scatter_matches_the_cpu_with_repeats_broadcasts_and_casts() {
    let Some(g) = gpu() else { return };
    for dt in DType::ALL {
        if !g.as_gpu().is_some_and(|d| d.supports(dt)) {
            continue;
        }
        for (src_name, base, view) in sources(dt) {
            for (name, items) in indices() {
                let target_shape = view(&base).index(&items).unwrap().shape().to_vec();
                // A value of the target's shape in another dtype (cast on
                // the device), a broadcast row, and a scalar.
                let full = sample(DType::F64, &target_shape, 9);
                let row_shape = &target_shape[target_shape.len().saturating_sub(1)..];
                let row = sample(DType::I32, row_shape, 8);
                for (vname, value) in [
                    ("full f64", Some(full)),
                    ("row i32", Some(row)),
                    ("1", None),
                ] {
                    let want = base.copy().unwrap();
                    let dev = base.to_device(&g).unwrap();
                    let (r, report) = match &value {
                        Some(v) => {
                            view(&want).assign(&items, v).unwrap();
                            let v = v.to_device(&g).unwrap();
                            strider::track(|| view(&dev).assign(&items, &v))
                        }
                        None => {
                            view(&want).assign(&items, 1).unwrap();
                            strider::track(|| view(&dev).assign(&items, 1))
                        }
                    };
                    r.unwrap_or_else(|e| panic!("{dt} {src_name} {name} = {vname}: {e}"));
                    assert_eq!(
                        values(&dev),
                        values(&want),
                        "{dt} {src_name} {name} = {vname}"
                    );
                    // Nothing was copied and nothing came down; what went
                    // up (pairs, word starts, a host scalar) is under `assign`.
                    assert_eq!(report.copies(), 0, "{name}:\n{report}");
                    assert!(
                        report.events().iter().all(|e| e.op == "assign"),
                        "{name}: every event under `assign`\n{report}"
                    );
                    assert!(
                        report.events().iter().all(|e| e.dst_device != "cpu"),
                        "{name}: a download\n{report}"
                    );
                }
            }
        }
    }
}

#[test]
fn repeated_indices_take_the_last_value_like_the_cpu() {
    let Some(g) = gpu() else { return };
    for dt in [
        DType::U8,
        DType::I8,
        DType::I16,
        DType::U16,
        DType::Bool,
        DType::BF16,
        DType::F32,
        DType::I64,
    ] {
        if !g.as_gpu().is_some_and(|d| d.supports(dt)) {
            continue;
        }
        // Many writes to few elements, several per 32-bit word.
        let n = 1000usize;
        let positions: Vec<i64> = (0..n as i64).map(|i| (i * 7919) % 13).collect();
        let value = sample(dt, &[n], 2);
        let host = sample(dt, &[16], 1);
        host.assign(&[idx(&positions)], &value).unwrap();
        let dev = sample(dt, &[16], 1).to_device(&g).unwrap();
        dev.assign(&[idx(&positions)], &value.to_device(&g).unwrap())
            .unwrap();
        assert_eq!(values(&dev), values(&host), "{dt}");
    }
}

#[test]
fn index_errors_match_the_cpu_and_nothing_is_written() {
    let Some(g) = gpu() else { return };
    let host = sample(DType::F32, &[6, 5], 1);
    let dev = host.to_device(&g).unwrap();
    for items in [
        vec![idx(&[0, 6])],
        vec![SliceItem::full().into(), idx(&[-6])],
        vec![IndexItem::mask(&[true, false])],
    ] {
        let want = host.index(&items).unwrap_err();
        let got = dev.index(&items).unwrap_err();
        assert_eq!(got.kind(), want.kind());
        assert_eq!(got.kind(), ErrorKind::Index);
        let got = dev.assign(&items, 5.0).unwrap_err();
        assert_eq!(got.kind(), ErrorKind::Index);
    }
    assert_eq!(values(&dev), values(&host));
    // Index arrays on the GPU are read back to be checked.
    let on_gpu = Array::from_vec(vec![4i64, 0, 4], &[3])
        .unwrap()
        .to_device(&g)
        .unwrap();
    let got = dev.index(&[on_gpu.into()]).unwrap();
    let want = host.index(&[idx(&[4, 0, 4])]).unwrap();
    assert_eq!(values(&got), values(&want));
}

#[test]
fn large_results_gather_in_chunks_and_large_sources_go_through_the_host() {
    if gpu().is_none() {
        return;
    }
    // 4 KiB bindings: a result of 5,000 f32 needs 5 chunks of table and
    // output; a source of 1,024 f32 still fits one binding.
    let small = GpuDevice::new(GpuOptions {
        max_binding_size: Some(4096),
        ..GpuOptions::default()
    })
    .unwrap();
    let dev = Device::Gpu(small.clone());
    assert_eq!(small.max_binding_size(), 4096);
    let host = sample(DType::F32, &[1024], 7);
    let positions: Vec<i64> = (0..5000).map(|i| (i * 389) % 1024).collect();
    let want = host.index(&[idx(&positions)]).unwrap();
    let x = host.to_device(&dev).unwrap();
    let before = small.dispatches();
    let got = x.index(&[idx(&positions)]).unwrap();
    assert_eq!(values(&got), values(&want));
    assert!(small.dispatches() - before >= 5, "no chunks");
    // A 2,000-element f32 source (8,000 bytes) exceeds the binding: the
    // host path, whose transfers the ledger shows.
    let host = sample(DType::F32, &[2000], 8);
    let x = host.to_device(&dev).unwrap();
    let (got, report) = strider::track(|| x.index(&[idx(&positions)]));
    let want = host.index(&[idx(&positions)]).unwrap();
    assert_eq!(values(&got.unwrap()), values(&want));
    assert!(
        report.events().iter().any(|e| e.dst_device == "cpu"),
        "{report}"
    );
    // The same for assignment into a large destination.
    let y = host.to_device(&dev).unwrap();
    y.assign(&[idx(&[1999, 0, 1999])], 2.5).unwrap();
    host.assign(&[idx(&[1999, 0, 1999])], 2.5).unwrap();
    assert_eq!(values(&y), values(&host));
}
