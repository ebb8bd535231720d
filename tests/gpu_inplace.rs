//! In-place ops on the GPU, through the public API: an operand that is the
//! output element for element is read through the output's own binding, so
//! `x += 1`, `x += &y` and `abs(x, out=x)` make no copy at all; so are
//! disjoint parts of the output's buffer (`x[:8] += x[8:]`) for unpacked
//! dtypes. An overlapping operand (`x += x.T`) makes exactly the one copy
//! NumPy's semantics need, recorded in the copy ledger.
//!
//! Without a GPU adapter every test is skipped with a message; with
//! `STRIDER_REQUIRE_GPU=1` a missing adapter is a failure instead.

use strider::{s, Array, BinaryOp, DType, Device, UnaryOp};

mod common;

/// The GPU, or `None` (with a message) when there is no adapter.
fn gpu() -> Option<Device> {
    common::gpu_or_skip("GPU in-place test")
}

/// The dtypes checked: plain 32-bit ones and the packed ones (uint8 and
/// bool four to a word, bfloat16 two).
const DTYPES: [DType; 5] = [DType::F32, DType::I32, DType::U8, DType::Bool, DType::BF16];

/// A CPU array of `shape` and `dt` with varied values (exact in every dtype).
fn sample(dt: DType, shape: &[usize]) -> Array {
    let n: usize = shape.iter().product();
    let vals: Vec<f64> = (0..n)
        .map(|i| {
            let r = ((i * 37 + 11) % 101) as f64;
            match dt {
                DType::Bool => (i % 3 == 0) as u8 as f64,
                DType::U8 => ((i * 37 + 11) % 256) as f64,
                DType::I32 => r - 50.0,
                _ => r * 0.5 - 20.0,
            }
        })
        .collect();
    Array::from_vec(vals, shape).unwrap().astype(dt).unwrap()
}

use common::values;

/// `x += 1` (`|= true` for bool): the scalar's weak dtype keeps `x`'s.
fn add_one(x: &Array) -> strider::Result<()> {
    if x.dtype() == DType::Bool {
        x.binary_inplace(BinaryOp::Add, true)
    } else {
        x.binary_inplace(BinaryOp::Add, 1)
    }
}

/// Makes a view of an array, for the tables of layouts below.
type ViewFn = Box<dyn Fn(&Array) -> Array>;

#[test]
fn add_a_scalar_in_place_makes_no_copy() {
    let Some(g) = gpu() else { return };
    for dt in DTYPES {
        let host = sample(dt, &[6, 7]);
        // Whole arrays, an unaligned contiguous tail (packed dtypes start
        // mid-word), and for the unpacked dtypes strided views.
        let mut views: Vec<(&str, ViewFn)> = vec![
            ("x", Box::new(|a: &Array| a.clone())),
            (
                "x.ravel()[3:]",
                Box::new(|a: &Array| a.reshape(&[42]).unwrap().slice(s![3..]).unwrap()),
            ),
            ("x[1:5]", Box::new(|a: &Array| a.slice(s![1..5]).unwrap())),
        ];
        if !matches!(dt, DType::U8 | DType::Bool | DType::BF16) {
            views.push(("x[::2]", Box::new(|a: &Array| a.slice(s![..;2]).unwrap())));
            views.push((
                "x[::-1, 1::3]",
                Box::new(|a: &Array| a.slice(s![..;-1, 1..;3]).unwrap()),
            ));
            views.push(("x.T", Box::new(|a: &Array| a.t())));
        }
        for (what, view) in &views {
            let want = host.copy().unwrap();
            add_one(&view(&want)).unwrap();
            let x = host.to_device(&g).unwrap();
            let v = view(&x);
            let (r, report) = strider::track(|| add_one(&v));
            r.unwrap_or_else(|e| panic!("{dt} {what} += 1: {e}"));
            assert_eq!(report.copies(), 0, "{dt} {what} += 1 copied:\n{report}");
            assert_eq!(values(&x), values(&want), "{dt} {what} += 1");
        }
    }
}

#[test]
fn add_an_array_in_place_makes_no_copy() {
    let Some(g) = gpu() else { return };
    for dt in DTYPES {
        let host = sample(dt, &[5, 8]);
        let other = sample(dt, &[5, 8])
            .slice(s![..;-1])
            .unwrap()
            .copy()
            .unwrap();
        let row = sample(dt, &[8]);
        let mut x = host.to_device(&g).unwrap();
        let y = other.to_device(&g).unwrap();
        let r = row.to_device(&g).unwrap();

        let ((), report) = strider::track(|| x += &y);
        assert_eq!(report.copies(), 0, "{dt} x += y copied:\n{report}");
        let mut want = host.copy().unwrap();
        want += &other;
        assert_eq!(values(&x), values(&want), "{dt} x += y");

        // A broadcast row, and x itself.
        let ((), report) = strider::track(|| x += &r);
        assert_eq!(report.copies(), 0, "{dt} x += row copied:\n{report}");
        want += &row;
        assert_eq!(values(&x), values(&want), "{dt} x += row");
        let same = x.clone();
        let ((), report) = strider::track(|| x += &same);
        assert_eq!(report.copies(), 0, "{dt} x += x copied:\n{report}");
        let want_same = want.clone();
        want += &want_same;
        assert_eq!(values(&x), values(&want), "{dt} x += x");
    }
}

#[test]
fn unary_into_itself_makes_no_copy() {
    let Some(g) = gpu() else { return };
    for dt in [DType::F32, DType::I32, DType::BF16] {
        let host = sample(dt, &[4, 9]);
        let want = host.copy().unwrap();
        want.unary_into(UnaryOp::Abs, &want).unwrap();
        let x = host.to_device(&g).unwrap();
        let (r, report) = strider::track(|| x.unary_into(UnaryOp::Abs, &x));
        r.unwrap();
        assert_eq!(report.copies(), 0, "{dt} abs(x, out=x) copied:\n{report}");
        assert_eq!(values(&x), values(&want), "{dt} abs(x, out=x)");
        assert!(values(&x).iter().all(|&v| v >= 0.0));
    }
}

#[test]
fn add_the_transpose_in_place_makes_exactly_one_copy() {
    let Some(g) = gpu() else { return };
    for dt in DTYPES {
        let host = sample(dt, &[5, 5]);
        let old = values(&host);
        let mut x = host.to_device(&g).unwrap();
        let xt = x.t();
        let ((), report) = strider::track(|| x += &xt);
        assert_eq!(report.copies(), 1, "{dt} x += x.T:\n{report}");
        assert_eq!(report.implicit_copies(), 1, "{dt} x += x.T:\n{report}");
        // NumPy reads x.T as it was before the call.
        let got = values(&x);
        let want = host.copy().unwrap();
        want.binary_inplace(BinaryOp::Add, &host.t().copy().unwrap())
            .unwrap();
        assert_eq!(got, values(&want), "{dt} x += x.T");
        if dt == DType::F32 {
            for i in 0..5 {
                for j in 0..5 {
                    assert_eq!(got[i * 5 + j], old[i * 5 + j] + old[j * 5 + i]);
                }
            }
        }
    }
}

#[test]
fn other_elements_of_the_same_buffer() {
    let Some(g) = gpu() else { return };
    for dt in DTYPES {
        let packed = matches!(dt, DType::U8 | DType::Bool | DType::BF16);
        let host = sample(dt, &[16]);
        let old = values(&host);
        // x[1:] += x[:-1]: overlapping, read as it was before: one copy.
        let x = host.to_device(&g).unwrap();
        let (dst, src) = (x.slice(s![1..]).unwrap(), x.slice(s![..-1]).unwrap());
        let (r, report) = strider::track(|| dst.binary_inplace(BinaryOp::Add, &src));
        r.unwrap();
        assert_eq!(report.copies(), 1, "{dt} x[1:] += x[:-1]:\n{report}");
        let want = host.copy().unwrap();
        want.slice(s![1..])
            .unwrap()
            .binary_inplace(BinaryOp::Add, &host.slice(s![..-1]).unwrap())
            .unwrap();
        assert_eq!(values(&x), values(&want), "{dt} x[1:] += x[:-1]");
        // x[:8] += x[8:]: disjoint, read through the output's binding. For
        // packed dtypes neighbouring elements share the words that other
        // invocations write, so x[8:] is copied first: one copy, recorded
        // (not made behind the ledger's back).
        let x = host.to_device(&g).unwrap();
        let (dst, src) = (x.slice(s![..8]).unwrap(), x.slice(s![8..]).unwrap());
        let (r, report) = strider::track(|| dst.binary_inplace(BinaryOp::Add, &src));
        r.unwrap();
        let copies = usize::from(packed);
        assert_eq!(report.copies(), copies, "{dt} x[:8] += x[8:]:\n{report}");
        let got = values(&x);
        let want = host.copy().unwrap();
        want.slice(s![..8])
            .unwrap()
            .binary_inplace(BinaryOp::Add, &host.slice(s![8..]).unwrap())
            .unwrap();
        assert_eq!(got, values(&want), "{dt} x[:8] += x[8:]");
        assert_eq!(got[8..], old[8..], "{dt}: x[8:] is untouched");
        if !packed {
            // x[::2] += x[1::2]: interleaved but disjoint, no copy.
            let x = host.to_device(&g).unwrap();
            let (ev, od) = (x.slice(s![..;2]).unwrap(), x.slice(s![1..;2]).unwrap());
            let (r, report) = strider::track(|| ev.binary_inplace(BinaryOp::Add, &od));
            r.unwrap();
            assert_eq!(report.copies(), 0, "{dt} x[::2] += x[1::2]:\n{report}");
            let got = values(&x);
            for i in 0..8 {
                assert_eq!(got[2 * i], old[2 * i] + old[2 * i + 1], "{dt} element {i}");
                assert_eq!(got[2 * i + 1], old[2 * i + 1], "{dt} element {i}");
            }
        }
    }
}
