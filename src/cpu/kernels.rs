//! Elementwise inner loops: copy with cast, fill, unary, binary, where and
//! ternary maps. Each takes the operands of one inner run from
//! [`drive`](super::drive) and has two paths: a direct one when every
//! operand already has the loop's dtype, and a blocked one that converts
//! through small stack buffers otherwise.

use super::{drive, load, store, RawOperand, BLOCK};
use crate::dtype::{DType, Element};

/// Copies `src` into `dst` (same shape), converting dtypes with NumPy's
/// unsafe-cast rules.
///
/// # Safety
/// Module invariants of [`crate::cpu`].
pub(crate) unsafe fn copy_cast(shape: &[usize], dst: RawOperand<'_>, src: RawOperand<'_>) {
    crate::dispatch_dtype!(dst.dtype, D => {
        // SAFETY: forwarded contract.
        unsafe { drive(shape, [dst, src], |p, s, n| copy_run::<D>(p, s, n, src.dtype)) }
    })
}

#[inline]
fn copy_run<D: Element>(p: [*mut u8; 2], s: [isize; 2], n: usize, src_dtype: DType) {
    if src_dtype == D::DTYPE {
        let (d, a) = (p[0] as *mut D, p[1] as *const D);
        if s == [1, 1] {
            // SAFETY: both runs hold n elements; ptr::copy allows overlap.
            unsafe { std::ptr::copy(a, d, n) };
        } else {
            for i in 0..n as isize {
                // SAFETY: run bounds from the plan.
                unsafe { *d.offset(i * s[0]) = *a.offset(i * s[1]) };
            }
        }
        return;
    }
    crate::dispatch_dtype!(src_dtype, S => {
        let (d, a) = (p[0] as *mut D, p[1] as *const S);
        for i in 0..n as isize {
            // SAFETY: run bounds from the plan.
            unsafe { *d.offset(i * s[0]) = (*a.offset(i * s[1])).cast::<D>() };
        }
    })
}

/// Writes `value` into every element of `dst`.
///
/// # Safety
/// Module invariants of [`crate::cpu`].
pub(crate) unsafe fn fill<T: Element>(shape: &[usize], dst: RawOperand<'_>, value: T) {
    debug_assert_eq!(dst.dtype, T::DTYPE);
    // SAFETY: forwarded contract.
    unsafe {
        drive(shape, [dst], |p, s, n| {
            let d = p[0] as *mut T;
            for i in 0..n as isize {
                // SAFETY: run bounds from the plan.
                *d.offset(i * s[0]) = value;
            }
        })
    }
}

/// `out = f(a)` elementwise: `a` is read as `T`, `f` yields `O`, stored as
/// `out.dtype`.
///
/// # Safety
/// Module invariants of [`crate::cpu`].
pub(crate) unsafe fn unary<T: Element, O: Element, F>(
    shape: &[usize],
    out: RawOperand<'_>,
    a: RawOperand<'_>,
    f: F,
) where
    F: Fn(T) -> O + Sync,
{
    let (da, dout) = (a.dtype, out.dtype);
    // SAFETY: forwarded contract.
    unsafe {
        drive(shape, [out, a], |p, s, n| {
            if da == T::DTYPE && dout == O::DTYPE {
                let (o, x) = (p[0] as *mut O, p[1] as *const T);
                if s == [1, 1] {
                    for i in 0..n {
                        *o.add(i) = f(*x.add(i));
                    }
                } else {
                    for i in 0..n as isize {
                        *o.offset(i * s[0]) = f(*x.offset(i * s[1]));
                    }
                }
                return;
            }
            let mut xb = [T::ZERO; BLOCK];
            let mut ob = [O::ZERO; BLOCK];
            let mut start = 0;
            while start < n {
                let m = BLOCK.min(n - start);
                let at = |k: usize| {
                    p[k].offset(start as isize * s[k] * [dout, da][k].itemsize() as isize)
                };
                load(at(1), da, s[1], &mut xb[..m]);
                for i in 0..m {
                    ob[i] = f(xb[i]);
                }
                store(&ob[..m], at(0), dout, s[0]);
                start += m;
            }
        })
    }
}

/// `out = f(a, b)` elementwise: `a` and `b` are read as `T`, `f` yields `O`,
/// stored as `out.dtype`.
///
/// # Safety
/// Module invariants of [`crate::cpu`].
pub(crate) unsafe fn binary<T: Element, O: Element, F>(
    shape: &[usize],
    out: RawOperand<'_>,
    a: RawOperand<'_>,
    b: RawOperand<'_>,
    f: F,
) where
    F: Fn(T, T) -> O + Sync,
{
    let dts = [out.dtype, a.dtype, b.dtype];
    // SAFETY: forwarded contract.
    unsafe {
        drive(shape, [out, a, b], |p, s, n| {
            if dts == [O::DTYPE, T::DTYPE, T::DTYPE] {
                let (o, x, y) = (p[0] as *mut O, p[1] as *const T, p[2] as *const T);
                match s {
                    [1, 1, 1] => {
                        for i in 0..n {
                            *o.add(i) = f(*x.add(i), *y.add(i));
                        }
                    }
                    [1, 1, 0] => {
                        let yv = *y;
                        for i in 0..n {
                            *o.add(i) = f(*x.add(i), yv);
                        }
                    }
                    [1, 0, 1] => {
                        let xv = *x;
                        for i in 0..n {
                            *o.add(i) = f(xv, *y.add(i));
                        }
                    }
                    _ => {
                        for i in 0..n as isize {
                            *o.offset(i * s[0]) = f(*x.offset(i * s[1]), *y.offset(i * s[2]));
                        }
                    }
                }
                return;
            }
            let mut xb = [T::ZERO; BLOCK];
            let mut yb = [T::ZERO; BLOCK];
            let mut ob = [O::ZERO; BLOCK];
            let mut start = 0;
            while start < n {
                let m = BLOCK.min(n - start);
                let at = |k: usize| p[k].offset(start as isize * s[k] * dts[k].itemsize() as isize);
                load(at(1), dts[1], s[1], &mut xb[..m]);
                load(at(2), dts[2], s[2], &mut yb[..m]);
                for i in 0..m {
                    ob[i] = f(xb[i], yb[i]);
                }
                store(&ob[..m], at(0), dts[0], s[0]);
                start += m;
            }
        })
    }
}

/// `out = f(a, b, c)` elementwise over three operands read as `T`.
///
/// # Safety
/// Module invariants of [`crate::cpu`].
pub(crate) unsafe fn ternary<T: Element, O: Element, F>(
    shape: &[usize],
    out: RawOperand<'_>,
    a: RawOperand<'_>,
    b: RawOperand<'_>,
    c: RawOperand<'_>,
    f: F,
) where
    F: Fn(T, T, T) -> O + Sync,
{
    let dts = [out.dtype, a.dtype, b.dtype, c.dtype];
    // SAFETY: forwarded contract.
    unsafe {
        drive(shape, [out, a, b, c], |p, s, n| {
            let mut ab = [T::ZERO; BLOCK];
            let mut bb = [T::ZERO; BLOCK];
            let mut cb = [T::ZERO; BLOCK];
            let mut ob = [O::ZERO; BLOCK];
            let mut start = 0;
            while start < n {
                let m = BLOCK.min(n - start);
                let at = |k: usize| p[k].offset(start as isize * s[k] * dts[k].itemsize() as isize);
                load(at(1), dts[1], s[1], &mut ab[..m]);
                load(at(2), dts[2], s[2], &mut bb[..m]);
                load(at(3), dts[3], s[3], &mut cb[..m]);
                for i in 0..m {
                    ob[i] = f(ab[i], bb[i], cb[i]);
                }
                store(&ob[..m], at(0), dts[0], s[0]);
                start += m;
            }
        })
    }
}

/// `out = cond ? x : y` elementwise; `cond` is read as bool (`!= 0`), `x`
/// and `y` as `T`.
///
/// # Safety
/// Module invariants of [`crate::cpu`].
pub(crate) unsafe fn select<T: Element>(
    shape: &[usize],
    out: RawOperand<'_>,
    cond: RawOperand<'_>,
    x: RawOperand<'_>,
    y: RawOperand<'_>,
) {
    let dts = [out.dtype, cond.dtype, x.dtype, y.dtype];
    // SAFETY: forwarded contract.
    unsafe {
        drive(shape, [out, cond, x, y], |p, s, n| {
            let mut cb = [false; BLOCK];
            let mut xb = [T::ZERO; BLOCK];
            let mut yb = [T::ZERO; BLOCK];
            let mut start = 0;
            while start < n {
                let m = BLOCK.min(n - start);
                let at = |k: usize| p[k].offset(start as isize * s[k] * dts[k].itemsize() as isize);
                load(at(1), dts[1], s[1], &mut cb[..m]);
                load(at(2), dts[2], s[2], &mut xb[..m]);
                load(at(3), dts[3], s[3], &mut yb[..m]);
                for i in 0..m {
                    if !cb[i] {
                        xb[i] = yb[i];
                    }
                }
                store(&xb[..m], at(0), dts[0], s[0]);
                start += m;
            }
        })
    }
}

/// `dst[d_outer[i] + d_inner[j]] = src[s_outer[i] + s_inner[j]]` for every
/// `i` (outer, in order) and `j`, converting dtypes. Sequential, so with
/// repeated destinations the last write wins (NumPy's fancy assignment).
///
/// # Safety
/// Every offset must address an element of its buffer; the caller holds the
/// locks, and `src` does not overlap `dst` (or was copied first).
pub(crate) unsafe fn offset_copy(
    dst: *mut u8,
    dst_dtype: DType,
    src: *const u8,
    src_dtype: DType,
    outer: (&[isize], &[isize]),
    inner: (&[isize], &[isize]),
) {
    crate::dispatch_dtype!(dst_dtype, D => crate::dispatch_dtype!(src_dtype, S => {
        let (d, s) = (dst as *mut D, src as *const S);
        for (&d_o, &so) in outer.0.iter().zip(outer.1) {
            for (&di, &si) in inner.0.iter().zip(inner.1) {
                // SAFETY: offsets in bounds by the function's contract.
                unsafe { *d.offset(d_o + di) = (*s.offset(so + si)).cast::<D>() };
            }
        }
    }))
}
