//! Elementwise inner loops: copy with cast, fill, unary, binary, where and
//! ternary maps. Each takes the operands of one inner run from
//! [`drive`](super::drive) and has two paths: a direct one when every
//! operand already has the loop's dtype, and a blocked one that converts
//! through small stack buffers otherwise (f16 and bf16 computing as f32 take
//! that path, converting a block at a time in SIMD registers). The loops
//! themselves are [`multiversion!`](crate::multiversion)ed, so each is
//! vectorised for the instruction set the CPU has.

use super::convert::{load, store};
use super::{drive, RawOperand, BLOCK};
use crate::dtype::{DType, Element};

crate::multiversion! {
    /// `o[i * s0] = f(x[i * s1])` for `i < n`.
    ///
    /// # Safety
    /// Both runs hold `n` elements at their strides; `o` may equal `x`
    /// (element for element) but not overlap it otherwise.
    pub(crate) unsafe fn map1<T, O, F>(o: *mut O, x: *const T, s: [isize; 2], n: usize, f: &F)
    where [T: Copy, O: Copy, F: Fn(T) -> O]
    {
        if s == [1, 1] {
            for i in 0..n {
                // SAFETY: the function's contract.
                unsafe { *o.add(i) = f(*x.add(i)) };
            }
        } else {
            for i in 0..n as isize {
                // SAFETY: the function's contract.
                unsafe { *o.offset(i * s[0]) = f(*x.offset(i * s[1])) };
            }
        }
    }
}

crate::multiversion! {
    /// `o[i * s0] = f(x[i * s1], y[i * s2])` for `i < n`, with dedicated
    /// loops for contiguous runs and for one operand repeated (stride 0).
    ///
    /// # Safety
    /// As [`map1`].
    pub(crate) unsafe fn map2<T, O, F>(
        o: *mut O,
        x: *const T,
        y: *const T,
        s: [isize; 3],
        n: usize,
        f: &F,
    ) where [T: Copy, O: Copy, F: Fn(T, T) -> O]
    {
        // SAFETY (whole body): the function's contract.
        unsafe {
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
        }
    }
}

crate::multiversion! {
    /// `o[i] = f(x[i], y[i], z[i])` over contiguous blocks of `n`.
    ///
    /// # Safety
    /// Each pointer addresses `n` elements.
    unsafe fn map3<T, O, F>(o: *mut O, x: *const T, y: *const T, z: *const T, n: usize, f: &F)
    where [T: Copy, O: Copy, F: Fn(T, T, T) -> O]
    {
        for i in 0..n {
            // SAFETY: the function's contract.
            unsafe { *o.add(i) = f(*x.add(i), *y.add(i), *z.add(i)) };
        }
    }
}

/// Where operand `k` of a run starts `start` elements in.
///
/// # Safety
/// `start` is inside the run.
#[inline(always)]
unsafe fn at(p: *mut u8, stride: isize, dtype: DType, start: usize) -> *mut u8 {
    // SAFETY: inside the run by the contract.
    unsafe { p.offset(start as isize * stride * dtype.itemsize() as isize) }
}

/// Loads `m` elements of a blocked operand into `buf`: one element when the
/// operand repeats (stride 0), returning the stride to use on the block.
///
/// # Safety
/// `p` addresses the operand's run from the block's start.
#[inline(always)]
unsafe fn load_block<T: Element>(
    p: *const u8,
    dtype: DType,
    stride: isize,
    buf: &mut [T],
) -> isize {
    if stride == 0 {
        // SAFETY: one readable element.
        unsafe { load(p, dtype, 0, &mut buf[..1]) };
        0
    } else {
        // SAFETY: forwarded.
        unsafe { load(p, dtype, stride, buf) };
        1
    }
}

/// Copies `src` into `dst` (same shape), converting dtypes with NumPy's
/// unsafe-cast rules.
///
/// # Safety
/// Module invariants of [`crate::cpu`].
pub(crate) unsafe fn copy_cast(shape: &[usize], dst: RawOperand<'_>, src: RawOperand<'_>) {
    let (dd, sd) = (dst.dtype, src.dtype);
    // SAFETY: forwarded contract.
    unsafe {
        drive(shape, [dst, src], |p, s, n| {
            if dd == sd && s == [1, 1] {
                // Both runs hold n elements; ptr::copy allows overlap.
                std::ptr::copy(p[1], p[0], n * dd.itemsize());
            } else if dd == sd {
                match dd.itemsize() {
                    1 => map1(p[0], p[1] as *const u8, s, n, &|x| x),
                    2 => map1(p[0] as *mut u16, p[1] as *const u16, s, n, &|x| x),
                    4 => map1(p[0] as *mut u32, p[1] as *const u32, s, n, &|x| x),
                    _ => map1(p[0] as *mut u64, p[1] as *const u64, s, n, &|x| x),
                }
            } else {
                crate::dispatch_dtype!(dd, D => {
                    let mut buf = [D::ZERO; BLOCK];
                    let mut start = 0;
                    while start < n {
                        let m = BLOCK.min(n - start);
                        load(at(p[1], s[1], sd, start), sd, s[1], &mut buf[..m]);
                        store(&buf[..m], at(p[0], s[0], dd, start), dd, s[0]);
                        start += m;
                    }
                })
            }
        })
    }
}

/// Writes `value` into every element of `dst`.
///
/// # Safety
/// Module invariants of [`crate::cpu`].
pub(crate) unsafe fn fill<T: Element>(shape: &[usize], dst: RawOperand<'_>, value: T) {
    debug_assert_eq!(dst.dtype, T::DTYPE);
    // SAFETY: forwarded contract.
    unsafe { drive(shape, [dst], |p, s, n| map0(p[0] as *mut T, s[0], n, value)) }
}

crate::multiversion! {
    /// `o[i * stride] = value` for `i < n`.
    ///
    /// # Safety
    /// The run holds `n` writable elements at that stride.
    unsafe fn map0<T>(o: *mut T, stride: isize, n: usize, value: T) where [T: Copy] {
        if stride == 1 {
            for i in 0..n {
                // SAFETY: the function's contract.
                unsafe { *o.add(i) = value };
            }
        } else {
            for i in 0..n as isize {
                // SAFETY: the function's contract.
                unsafe { *o.offset(i * stride) = value };
            }
        }
    }
}

/// `out = g(a)` elementwise, where `g(out_block, in_block)` maps a
/// contiguous block of `T` to one of `O` (so an op can run a whole block
/// at once, e.g. a vectorised `sin` with its fix-up pass). `a` is read as
/// `T`, results are stored as `out.dtype`.
///
/// # Safety
/// Module invariants of [`crate::cpu`].
pub(crate) unsafe fn unary<T: Element, O: Element, G>(
    shape: &[usize],
    out: RawOperand<'_>,
    a: RawOperand<'_>,
    g: G,
) where
    G: Fn(&mut [O], &[T]) + Sync,
{
    let (da, dout) = (a.dtype, out.dtype);
    // SAFETY: forwarded contract.
    unsafe {
        drive(shape, [out, a], |p, s, n| {
            let direct = da == T::DTYPE && dout == O::DTYPE && s == [1, 1];
            if direct && !std::ptr::eq(p[0], p[1]) {
                // Distinct contiguous runs (an overlapping source was
                // copied first, invariant 4), so the slices do not alias.
                let o = std::slice::from_raw_parts_mut(p[0] as *mut O, n);
                let x = std::slice::from_raw_parts(p[1] as *const T, n);
                return run_unary_slices(o, x, &g);
            }
            let mut xb = [T::ZERO; BLOCK];
            let mut ob = [O::ZERO; BLOCK];
            let mut start = 0;
            while start < n {
                let m = BLOCK.min(n - start);
                load(at(p[1], s[1], da, start), da, s[1], &mut xb[..m]);
                run_unary_slices(&mut ob[..m], &xb[..m], &g);
                store(&ob[..m], at(p[0], s[0], dout, start), dout, s[0]);
                start += m;
            }
        })
    }
}

crate::multiversion! {
    /// Runs a block function (inlined, so vectorised at each level).
    ///
    /// # Safety
    /// None beyond the types; `unsafe` only for the macro's shape.
    pub(crate) unsafe fn run_unary_slices<T, O, G>(o: &mut [O], x: &[T], g: &G)
    where [G: Fn(&mut [O], &[T])]
    {
        g(o, x)
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
                return map2(o, x, y, s, n, &f);
            }
            let mut xb = [T::ZERO; BLOCK];
            let mut yb = [T::ZERO; BLOCK];
            let mut ob = [O::ZERO; BLOCK];
            let mut start = 0;
            while start < n {
                let m = BLOCK.min(n - start);
                let sx = load_block(at(p[1], s[1], dts[1], start), dts[1], s[1], &mut xb[..m]);
                let sy = load_block(at(p[2], s[2], dts[2], start), dts[2], s[2], &mut yb[..m]);
                let (x, y) = (xb.as_ptr(), yb.as_ptr());
                map2(ob.as_mut_ptr(), x, y, [1, sx, sy], m, &f);
                store(&ob[..m], at(p[0], s[0], dts[0], start), dts[0], s[0]);
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
            // One contiguous operand and two repeated ones of the loop
            // dtype (`clip` by two scalars): one pass, no blocks.
            if dts == [O::DTYPE, T::DTYPE, T::DTYPE, T::DTYPE] && s == [1, 1, 0, 0] {
                let (y, z) = (*(p[2] as *const T), *(p[3] as *const T));
                return map1(p[0] as *mut O, p[1] as *const T, [1, 1], n, &|x| f(x, y, z));
            }
            let mut ab = [T::ZERO; BLOCK];
            let mut bb = [T::ZERO; BLOCK];
            let mut cb = [T::ZERO; BLOCK];
            let mut ob = [O::ZERO; BLOCK];
            let mut start = 0;
            while start < n {
                let m = BLOCK.min(n - start);
                load(at(p[1], s[1], dts[1], start), dts[1], s[1], &mut ab[..m]);
                load(at(p[2], s[2], dts[2], start), dts[2], s[2], &mut bb[..m]);
                load(at(p[3], s[3], dts[3], start), dts[3], s[3], &mut cb[..m]);
                let (x, y, z) = (ab.as_ptr(), bb.as_ptr(), cb.as_ptr());
                map3(ob.as_mut_ptr(), x, y, z, m, &f);
                store(&ob[..m], at(p[0], s[0], dts[0], start), dts[0], s[0]);
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
            let mut ob = [T::ZERO; BLOCK];
            let mut start = 0;
            while start < n {
                let m = BLOCK.min(n - start);
                load(at(p[1], s[1], dts[1], start), dts[1], s[1], &mut cb[..m]);
                load(at(p[2], s[2], dts[2], start), dts[2], s[2], &mut xb[..m]);
                load(at(p[3], s[3], dts[3], start), dts[3], s[3], &mut yb[..m]);
                let pick = |c: u8, x: T, y: T| if c != 0 { x } else { y };
                let c = cb.as_ptr() as *const u8;
                // Read the bools as bytes: `load` wrote valid 0/1 bools.
                map3_mixed(ob.as_mut_ptr(), c, xb.as_ptr(), yb.as_ptr(), m, &pick);
                store(&ob[..m], at(p[0], s[0], dts[0], start), dts[0], s[0]);
                start += m;
            }
        })
    }
}

crate::multiversion! {
    /// `o[i] = f(c[i], x[i], y[i])` over contiguous blocks of `n`.
    ///
    /// # Safety
    /// Each pointer addresses `n` elements.
    unsafe fn map3_mixed<T, F>(o: *mut T, c: *const u8, x: *const T, y: *const T, n: usize, f: &F)
    where [T: Copy, F: Fn(u8, T, T) -> T]
    {
        for i in 0..n {
            // SAFETY: the function's contract.
            unsafe { *o.add(i) = f(*c.add(i), *x.add(i), *y.add(i)) };
        }
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
