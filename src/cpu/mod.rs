//! The CPU backend: one driver that walks N strided operands through the
//! iteration plan, and the inner loops that run on each contiguous-in-logic
//! run the plan produces.
//!
//! Every CPU kernel goes through [`drive`]: it builds a
//! [`Plan`](crate::layout::Plan) (broadcast strides, axes sorted so the
//! smallest stride is innermost, neighbouring axes merged), then hands each
//! inner run to a closure, splitting the outer range over rayon threads when
//! the operation is large enough to pay for it.
//!
//! Kernels see raw pointers. The safety argument is the same everywhere and
//! is written once here:
//!
//! 1. The caller holds the buffers' locks for the whole call (see
//!    [`LockSet`](crate::storage::LockSet)): the destination's write lock,
//!    each source's read lock.
//! 2. Every address reached is inside its buffer: layouts are built only by
//!    the `layout` module, whose views never leave the parent's extent, and
//!    the plan visits exactly the elements of the layout.
//! 3. Operand 0 is the destination. A writeable layout never maps two indices
//!    to one element (only read-only `broadcast_to` views have zero strides on
//!    axes longer than one), so disjoint outer ranges write disjoint elements,
//!    and threads never write the same element.
//! 4. A source that overlaps the destination in any other way than element
//!    for element has been copied first by the caller.

pub(crate) mod kernels;
pub(crate) mod reduce;

use crate::dtype::{DType, Element};
use crate::layout::Plan;

/// Below this many elements an operation stays on the calling thread.
#[cfg_attr(not(feature = "rayon"), allow(dead_code))]
pub(crate) const PAR_THRESHOLD: usize = 1 << 16;

/// Elements per block when an inner run needs a dtype conversion.
pub(crate) const BLOCK: usize = 256;

/// One operand of a kernel: base pointer of its buffer, dtype, element
/// offset and strides (already broadcast to the operation's shape).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawOperand<'a> {
    pub ptr: *mut u8,
    pub dtype: DType,
    pub offset: usize,
    pub strides: &'a [isize],
}

/// Raw pointers that may cross to rayon's threads.
#[derive(Clone, Copy)]
struct SendPtrs<const N: usize>([*mut u8; N]);

impl<const N: usize> SendPtrs<N> {
    /// Pointer `k` (a method, so closures capture the whole `Send` wrapper).
    #[cfg_attr(not(feature = "rayon"), allow(dead_code))]
    fn get(&self, k: usize) -> *mut u8 {
        self.0[k]
    }
}

// SAFETY: the pointers are only dereferenced inside `drive`, while the
// caller holds the buffers' locks, and threads write disjoint elements of
// operand 0 (invariant 3 of this module).
unsafe impl<const N: usize> Send for SendPtrs<N> {}
// SAFETY: as above; shared access only reads operands 1.. .
unsafe impl<const N: usize> Sync for SendPtrs<N> {}

/// Walks `shape` over N operands and calls `inner(ptrs, strides, len)` for
/// each inner run, where `ptrs` point at the first element of the run of each
/// operand and `strides` are the runs' element strides.
///
/// # Safety
/// The operands must satisfy the module's invariants 1-4.
pub(crate) unsafe fn drive<const N: usize, F>(shape: &[usize], ops: [RawOperand<'_>; N], inner: F)
where
    F: Fn([*mut u8; N], [isize; N], usize) + Sync,
{
    let strides: Vec<&[isize]> = ops.iter().map(|o| o.strides).collect();
    let plan = Plan::new(shape, &strides);
    if plan.size() == 0 {
        return;
    }
    let mut bases = [std::ptr::null_mut::<u8>(); N];
    let mut sizes = [0isize; N];
    let mut inner_strides = [0isize; N];
    for k in 0..N {
        sizes[k] = ops[k].dtype.itemsize() as isize;
        // SAFETY: the element offset lies inside the buffer (invariant 2).
        bases[k] = unsafe { ops[k].ptr.add(ops[k].offset * ops[k].dtype.itemsize()) };
        inner_strides[k] = plan.inner_stride(k);
    }
    let len = plan.inner_len();
    let run = |start: usize, end: usize, bases: SendPtrs<N>| {
        plan.for_each_outer(start, end, |offs| {
            let mut p = [std::ptr::null_mut::<u8>(); N];
            for k in 0..N {
                // SAFETY: offs[k] is the plan's element offset of a position
                // inside operand k's layout (invariant 2).
                p[k] = unsafe { bases.0[k].offset(offs[k] * sizes[k]) };
            }
            inner(p, inner_strides, len);
        });
    };
    let outer = plan.outer_size();
    #[cfg(feature = "rayon")]
    {
        let threads = rayon::current_num_threads();
        if plan.size() >= PAR_THRESHOLD && threads > 1 && outer < threads {
            // Few (often one, after merging) long runs: split each run
            // instead, so a contiguous op uses every thread too.
            use rayon::prelude::*;
            let pieces = threads * 4;
            let bases = SendPtrs(bases);
            (0..outer * pieces).into_par_iter().for_each(|k| {
                let (row, i) = (k / pieces, k % pieces);
                let (start, end) = (len * i / pieces, len * (i + 1) / pieces);
                if start == end {
                    return;
                }
                plan.for_each_outer(row, row + 1, |offs| {
                    let mut p = [std::ptr::null_mut::<u8>(); N];
                    for k in 0..N {
                        let at = offs[k] + start as isize * inner_strides[k];
                        // SAFETY: `at` addresses an element of the run,
                        // inside operand k's layout (invariant 2).
                        p[k] = unsafe { bases.get(k).offset(at * sizes[k]) };
                    }
                    inner(p, inner_strides, end - start);
                });
            });
            return;
        }
        if plan.size() >= PAR_THRESHOLD && threads > 1 && outer > 1 {
            use rayon::prelude::*;
            let pieces = (threads * 4).min(outer);
            let bases = SendPtrs(bases);
            (0..pieces).into_par_iter().for_each(|i| {
                let start = outer * i / pieces;
                let end = outer * (i + 1) / pieces;
                run(start, end, bases);
            });
            return;
        }
    }
    run(0, outer, SendPtrs(bases));
}

/// Reads `dst.len()` elements of dtype `dtype` from `src` (element stride
/// `stride`) into `dst`, converting to `T`.
///
/// # Safety
/// `src` must point at `dst.len()` readable elements of `dtype` at that stride.
#[inline]
pub(crate) unsafe fn load<T: Element>(src: *const u8, dtype: DType, stride: isize, dst: &mut [T]) {
    crate::dispatch_dtype!(dtype, S => {
        let s = src as *const S;
        for (i, d) in dst.iter_mut().enumerate() {
            // SAFETY: in bounds by the function's contract.
            *d = unsafe { *s.offset(i as isize * stride) }.cast::<T>();
        }
    })
}

/// Writes `src` to `dst` (dtype `dtype`, element stride `stride`), converting
/// from `T`.
///
/// # Safety
/// `dst` must point at `src.len()` writable elements of `dtype` at that stride.
#[inline]
pub(crate) unsafe fn store<T: Element>(src: &[T], dst: *mut u8, dtype: DType, stride: isize) {
    crate::dispatch_dtype!(dtype, D => {
        let d = dst as *mut D;
        for (i, s) in src.iter().enumerate() {
            // SAFETY: in bounds by the function's contract.
            unsafe { *d.offset(i as isize * stride) = s.cast::<D>() };
        }
    })
}
