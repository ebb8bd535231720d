//! Zero-copy access (`read`/`write` guards), `from_vec` ownership, and user
//! functions (`map`, `zip_map`), checked against naive references, the
//! ledger and pointer identity.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use strider::{s, track, Array, DType, ErrorKind};

/// Views of a (4, 5) i64 array 0..20 with steps, flips, transposes and a
/// broadcast, each with its expected C-order values.
fn views() -> Vec<(Array, Vec<i64>)> {
    let a = Array::arange_i64(0, 20, 1)
        .unwrap()
        .reshape(&[4, 5])
        .unwrap();
    let naive = |rows: Vec<usize>, cols: Vec<usize>, t: bool| -> Vec<i64> {
        let mut v = Vec::new();
        if t {
            for &c in &cols {
                for &r in &rows {
                    v.push((r * 5 + c) as i64);
                }
            }
        } else {
            for &r in &rows {
                for &c in &cols {
                    v.push((r * 5 + c) as i64);
                }
            }
        }
        v
    };
    vec![
        (a.clone(), (0..20).collect()),
        (a.t(), naive(vec![0, 1, 2, 3], vec![0, 1, 2, 3, 4], true)),
        (
            a.slice(s![..;-1, 1..;2]).unwrap(),
            naive(vec![3, 2, 1, 0], vec![1, 3], false),
        ),
        (
            a.slice(s![1..3, ..;-1]).unwrap().t(),
            naive(vec![1, 2], vec![4, 3, 2, 1, 0], true),
        ),
        (a.slice(s![2]).unwrap(), (10..15).collect()),
        (a.slice(s![.., 0..0]).unwrap(), vec![]),
    ]
}

#[test]
fn read_guards_see_every_layout_in_logical_order_without_copying() {
    for (v, want) in views() {
        let (got, report) = track(|| {
            let g = v.read::<i64>().unwrap();
            let it: Vec<i64> = g.iter().copied().collect();
            let by_index: Vec<i64> = (0..v.size())
                .map(|k| {
                    let mut idx = vec![0; v.ndim()];
                    let mut rem = k;
                    for ax in (0..v.ndim()).rev() {
                        idx[ax] = rem % v.shape()[ax];
                        rem /= v.shape()[ax];
                    }
                    *g.get(&idx).unwrap()
                })
                .collect();
            (it, by_index)
        });
        assert_eq!(got.0, want, "{v:?}");
        assert_eq!(got.1, want, "{v:?}");
        assert!(report.is_empty(), "guards copy nothing: {v:?}");
    }
    let b = Array::arange_i64(0, 3, 1)
        .unwrap()
        .broadcast_to(&[2, 3])
        .unwrap();
    let g = b.read::<i64>().unwrap();
    assert_eq!(g.iter().copied().collect::<Vec<_>>(), [0, 1, 2, 0, 1, 2]);
    assert_eq!(g.as_slice(), None, "a broadcast repeats elements");
}

#[test]
fn slices_are_the_buffer_itself_in_memory_order() {
    let a = Array::from_vec((0..12).map(|x| x as f32).collect(), &[3, 4]).unwrap();
    let base = a.read::<f32>().unwrap().buffer().as_ptr();
    for v in [a.clone(), a.t(), a.slice(s![..;-1, ..;-1]).unwrap()] {
        let g = v.read::<f32>().unwrap();
        let sl = g.as_slice().unwrap();
        assert_eq!(sl.as_ptr(), base, "{v:?}");
        assert_eq!(sl.len(), 12);
    }
    let row = a.slice(s![1]).unwrap();
    let g = row.read::<f32>().unwrap();
    assert_eq!(g.as_slice().unwrap(), &[4.0, 5.0, 6.0, 7.0]);
    assert_eq!(g.as_slice().unwrap().as_ptr(), base.wrapping_add(4));
    drop(g);
    assert!(a
        .slice(s![.., 1..])
        .unwrap()
        .read::<f32>()
        .unwrap()
        .as_slice()
        .is_none());
    assert!(a
        .slice(s![.., ..;2])
        .unwrap()
        .read::<f32>()
        .unwrap()
        .as_slice()
        .is_none());
}

#[test]
fn write_guards_write_through_every_view() {
    for (v, want) in views() {
        let a = v.copy().unwrap(); // a fresh buffer per case
        let w = &a;
        {
            let mut g = w.write::<i64>().unwrap();
            for x in g.iter_mut() {
                *x = -*x - 1;
            }
        }
        let got = a.to_vec::<i64>().unwrap();
        assert_eq!(got, want.iter().map(|x| -x - 1).collect::<Vec<_>>());
    }
    // Strided writes land in the parent, element for element.
    let a = Array::zeros(&[4, 5], DType::I64).unwrap();
    let v = a.slice(s![..;-1, 1..;2]).unwrap();
    let (_, report) = track(|| {
        let mut g = v.write::<i64>().unwrap();
        for (k, x) in g.iter_mut().enumerate() {
            *x = k as i64 + 1;
        }
        *g.get_mut(&[3, 1]).unwrap() = 100;
        assert!(g.get_mut(&[4, 0]).is_none());
        assert!(g.as_mut_slice().is_none());
    });
    assert!(report.is_empty());
    let got = a.to_vec::<i64>().unwrap();
    let mut want = vec![0i64; 20];
    let mut k = 1;
    for r in [3usize, 2, 1, 0] {
        for c in [1usize, 3] {
            want[r * 5 + c] = k;
            k += 1;
        }
    }
    want[3] = 100;
    assert_eq!(got, want);
    // A dense mutable slice over a transposed view is the parent's memory.
    let t = a.t();
    let mut g = t.write::<i64>().unwrap();
    let sl = g.as_mut_slice().unwrap();
    sl[0] = 7;
    drop(g);
    assert_eq!(a.get::<i64>(&[0, 0]).unwrap(), 7);
}

#[test]
fn guard_errors_name_what_was_wrong() {
    let a = Array::zeros(&[2, 3], DType::F32).unwrap();
    let e = a.read::<f64>().unwrap_err();
    assert_eq!((e.kind(), e.op()), (ErrorKind::DType, "read"));
    assert!(
        e.to_string().contains("float32") && e.to_string().contains("float64"),
        "{e}"
    );
    let e = a.write::<i32>().unwrap_err();
    assert!(
        e.to_string().contains("float32") && e.to_string().contains("int32"),
        "{e}"
    );
    let b = a.broadcast_to(&[4, 2, 3]).unwrap();
    assert_eq!(b.write::<f32>().unwrap_err().kind(), ErrorKind::ReadOnly);
    if let Some(gpu) = common::gpu_or_skip("guards on a GPU array") {
        let g = a.to_device(&gpu).unwrap();
        let e = g.read::<f32>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Device);
        assert!(e.to_string().contains("gpu"), "{e}");
        assert_eq!(g.write::<f32>().unwrap_err().kind(), ErrorKind::Device);
        assert_eq!(g.map(|x: f32| x).unwrap_err().kind(), ErrorKind::Device);
    }
}

#[test]
fn a_guard_refuses_reentry_on_its_thread_instead_of_deadlocking() {
    let a = Array::ones(&[8], DType::F64).unwrap();
    let half = a.slice(s![..4]).unwrap();
    let other = Array::ones(&[4], DType::F64).unwrap();
    {
        let _g = a.write::<f64>().unwrap();
        for e in [
            half.add(&other).unwrap_err(),
            other.add(&half).unwrap_err(),
            half.copy().unwrap_err(),
            half.sum(0).unwrap_err(),
            half.to_vec::<f64>().unwrap_err(),
            half.read::<f64>().unwrap_err(),
            half.assign(&[], &other).unwrap_err(),
        ] {
            assert_eq!(e.kind(), ErrorKind::Borrowed, "{e}");
            assert!(e.to_string().contains("write guard"), "{e}");
        }
        assert!(other.add(&other).is_ok(), "other buffers are free");
    }
    assert_eq!(half.add(&other).unwrap().to_vec::<f64>().unwrap(), [2.0; 4]);
}

#[test]
fn a_write_guard_blocks_other_threads_until_it_drops() {
    let a = Array::zeros(&[4], DType::I32).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let mut g = a.write::<i32>().unwrap();
    let t = {
        let (a, done) = (a.clone(), Arc::clone(&done));
        std::thread::spawn(move || {
            a.fill(5).unwrap();
            done.store(true, Ordering::SeqCst);
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    // The other thread cannot have written while the guard is held.
    assert!(!done.load(Ordering::SeqCst));
    g.as_mut_slice().unwrap()[0] = 1;
    assert_eq!(g.as_slice().unwrap(), &[1, 0, 0, 0]);
    drop(g);
    t.join().unwrap();
    assert_eq!(a.to_vec::<i32>().unwrap(), [5; 4]);
}

#[test]
fn from_vec_takes_the_vector_without_copying() {
    let v: Vec<u16> = (0..1000).collect();
    let ptr = v.as_ptr();
    let (a, report) = track(|| Array::from_vec(v, &[10, 100]).unwrap());
    assert!(
        report.is_empty(),
        "from_vec records nothing: {:?}",
        report.events()
    );
    assert_eq!(a.read::<u16>().unwrap().buffer().as_ptr(), ptr);
    let (b, report) = track(|| Array::from_slice(&[1u16, 2], &[2]).unwrap());
    assert!(report.is_empty());
    assert_eq!(b.to_vec::<u16>().unwrap(), [1, 2]);
}

#[test]
fn map_and_zip_map_match_a_naive_loop_over_views_and_dtypes() {
    for (v, want) in views() {
        let m = v.map(|x: i64| x as f64 * 0.5 - 1.0).unwrap();
        assert_eq!(m.dtype(), DType::F64);
        assert_eq!(m.shape(), v.shape());
        assert!(m.is_c_contiguous());
        let got = m.to_vec::<f64>().unwrap();
        assert_eq!(
            got,
            want.iter()
                .map(|&x| x as f64 * 0.5 - 1.0)
                .collect::<Vec<_>>()
        );
        let b = v.map(|x: i64| x % 3 == 0).unwrap();
        assert_eq!(
            b.to_vec::<bool>().unwrap(),
            want.iter().map(|x| x % 3 == 0).collect::<Vec<_>>()
        );
    }
    // Broadcast (3, 1) against (4,), u8 against f16, out in bf16.
    let x = Array::from_vec(vec![1u8, 2, 250], &[3, 1]).unwrap();
    let y = Array::from_vec(
        [0.5f32, -1.0, 2.0, 8.0]
            .map(strider::half::f16::from_f32)
            .to_vec(),
        &[4],
    )
    .unwrap();
    let z = x
        .zip_map(&y, |a: u8, b: strider::half::f16| {
            strider::half::bf16::from_f32(a as f32 * b.to_f32())
        })
        .unwrap();
    assert_eq!((z.dtype(), z.shape()), (DType::BF16, &[3, 4][..]));
    let got: Vec<f32> = z
        .to_vec::<strider::half::bf16>()
        .unwrap()
        .iter()
        .map(|v| v.to_f32())
        .collect();
    let mut want = Vec::new();
    for a in [1.0f32, 2.0, 250.0] {
        for b in [0.5f32, -1.0, 2.0, 8.0] {
            want.push(strider::half::bf16::from_f32(a * b).to_f32());
        }
    }
    assert_eq!(got, want);
    let e = x
        .zip_map(
            &Array::zeros(&[2, 2], DType::U8).unwrap(),
            |a: u8, b: u8| a + b,
        )
        .unwrap_err();
    assert_eq!((e.kind(), e.op()), (ErrorKind::Broadcast, "zip_map"));
    let e = x.zip_map(&y, |a: u8, b: f32| a as f32 + b).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DType);
}

#[test]
fn map_on_large_arrays_runs_every_element_once() {
    let n = 1usize << 20;
    let a = Array::arange(0.0, n as f64, 1.0, DType::F32)
        .unwrap()
        .reshape(&[1024, 1024])
        .unwrap();
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let m = a
        .t()
        .map(|x: f32| {
            counter.fetch_add(1, Ordering::Relaxed);
            x as i32 * 2
        })
        .unwrap();
    assert_eq!(counter.load(Ordering::Relaxed), n);
    let got = m.to_vec::<i32>().unwrap();
    for (k, &g) in got.iter().enumerate().step_by(4099) {
        let (r, c) = (k / 1024, k % 1024);
        assert_eq!(g, ((c * 1024 + r) * 2) as i32);
    }
}

#[test]
fn user_kernels_check_their_expression_when_made() {
    use strider::ElementwiseKernel as K;
    let e = K::new("k", &["x"], "x *", DType::F32, DType::F32).unwrap_err();
    assert_eq!((e.kind(), e.op()), (ErrorKind::Value, "ElementwiseKernel"));
    assert!(e.to_string().contains("does not parse"), "{e}");
    let e = K::new("k", &["x"], "x + nope", DType::F32, DType::F32).unwrap_err();
    assert!(e.to_string().contains("nope"), "{e}");
    // A bool where the compute type f32 is expected.
    let e = K::new("k", &["x"], "x > C(0)", DType::F32, DType::F32).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Value, "{e}");
    assert!(K::new("k", &["x", "x"], "x", DType::F32, DType::F32).is_err());
    assert!(K::new("k", &["1x"], "1", DType::F32, DType::F32).is_err());
    assert!(K::new("k", &[], "C(1)", DType::F32, DType::F32).is_err());
    let seven = ["a", "b", "c", "d", "e", "f", "g"];
    assert!(K::new("k", &seven, "a", DType::F32, DType::F32).is_err());
    // Valid in every compute dtype WGSL can hold here.
    for dt in [
        DType::F32,
        DType::F16,
        DType::F64,
        DType::I32,
        DType::U32,
        DType::I64,
        DType::U8,
    ] {
        K::new("k", &["x", "y"], "x * y + C(1)", dt, DType::F32).unwrap();
    }
    K::new("k", &["p", "q"], "p && !q", DType::Bool, DType::U8).unwrap();
}

#[test]
fn user_kernels_read_strided_inputs_in_place_on_the_gpu() {
    use strider::half::f16;
    use strider::ElementwiseKernel as K;
    let Some(gpu) = common::gpu_or_skip("user WGSL kernels") else {
        return;
    };
    let a = Array::arange(0.0, 24.0, 1.0, DType::F32)
        .unwrap()
        .reshape(&[4, 6])
        .unwrap();
    let b = Array::from_vec(vec![3u8, 250, 7, 0], &[4, 1]).unwrap();
    let c = Array::from_vec([0.5f32, -2.0, 4.0].map(f16::from_f32).to_vec(), &[3]).unwrap();
    let (ga, gb, gc) = (
        a.to_device(&gpu).unwrap(),
        b.to_device(&gpu).unwrap(),
        c.to_device(&gpu).unwrap(),
    );
    let k = K::new("mix", &["x", "w", "s"], "x * s - w", DType::F32, DType::F32).unwrap();
    let va = ga.slice(s![..;-1, 1..;2]).unwrap(); // (4, 3), negative and stepped
    let (out, report) = track(|| k.call(&[&va, &gb, &gc]).unwrap());
    assert_eq!(report.copies(), 0, "strided inputs are read in place");
    assert_eq!(report.transfers(), 0);
    assert_eq!(out.shape(), &[4, 3]);
    assert!(!out.device().is_cpu());
    let cpu_view = a.slice(s![..;-1, 1..;2]).unwrap();
    let want: Vec<f32> = {
        let xs = cpu_view.to_vec::<f32>().unwrap();
        let (ws, ss) = (b.to_vec::<u8>().unwrap(), c.to_vec::<f16>().unwrap());
        (0..12)
            .map(|i| xs[i] * ss[i % 3].to_f32() - ws[i / 3] as f32)
            .collect()
    };
    assert_eq!(out.to_cpu().unwrap().to_vec::<f32>().unwrap(), want);
    // A bool result from a comparison, into a packed dtype.
    let pos = K::new("pos", &["x"], "x > 10.0", DType::F32, DType::Bool);
    assert!(pos.is_err(), "the expression must have type C");
    let pos = K::new(
        "pos",
        &["x"],
        "select(C(0), C(1), x > 10.0)",
        DType::F32,
        DType::Bool,
    )
    .unwrap();
    let got = pos
        .call(&[&va])
        .unwrap()
        .to_cpu()
        .unwrap()
        .to_vec::<bool>()
        .unwrap();
    let want: Vec<bool> = cpu_view
        .to_vec::<f32>()
        .unwrap()
        .iter()
        .map(|&x| x > 10.0)
        .collect();
    assert_eq!(got, want);
    // Six inputs, the most a kernel takes.
    let names = ["a", "b", "c", "d", "e", "f"];
    let six = K::new(
        "six",
        &names,
        "a + b + c + d + e + f",
        DType::I32,
        DType::I64,
    )
    .unwrap();
    let ones = Array::ones(&[5], DType::I32)
        .unwrap()
        .to_device(&gpu)
        .unwrap();
    let ins = [&ones, &ones, &ones, &ones, &ones, &ones];
    assert_eq!(
        six.call(&ins)
            .unwrap()
            .to_cpu()
            .unwrap()
            .to_vec::<i64>()
            .unwrap(),
        [6; 5]
    );
    // Errors: a CPU input, the wrong count, shapes that do not broadcast.
    let e = k.call(&[&a, &gb, &gc]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Device);
    assert!(e.to_string().contains("map"), "{e}");
    assert_eq!(k.call(&[&ga]).unwrap_err().kind(), ErrorKind::Value);
    assert_eq!(
        k.call(&[&ga, &gb, &ga.slice(s![.., ..5]).unwrap()])
            .unwrap_err()
            .kind(),
        ErrorKind::Broadcast
    );
}
