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

pub(crate) mod convert;
pub(crate) mod indexing;
pub(crate) mod kernels;
pub(crate) mod reduce;
mod simd;
pub(crate) mod vmath;

pub use simd::{best_simd_level, set_simd_level, simd_level, SimdLevel};

use crate::dtype::DType;
use crate::layout::Plan;

thread_local! {
    /// The passes this thread has started ([`passes`]).
    static PASSES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The number of CPU kernel passes the calling thread has started: each
/// eager elementwise op, cast, copy, fill or reduction is one walk of the
/// driver, and so is a whole fused expression, however many ops it holds
/// ([`crate::expr`]). A measure of passes over memory, for tests and
/// examples (the GPU's counterpart is its dispatch count).
///
/// ```
/// use strider::{Array, DType};
/// let a = Array::ones(&[1000], DType::F32)?;
/// let before = strider::cpu::passes();
/// let eager = (((&a * 2.0)? + 1.0)? * 3.0)?; // three ops, three passes
/// assert_eq!(strider::cpu::passes() - before, 3);
/// let before = strider::cpu::passes();
/// let fused = ((a.expr() * 2.0 + 1.0) * 3.0).eval()?; // one pass
/// assert_eq!(strider::cpu::passes() - before, 1);
/// assert_eq!(fused.to_vec::<f32>()?, eager.to_vec::<f32>()?);
/// # Ok::<(), strider::Error>(())
/// ```
pub fn passes() -> u64 {
    PASSES.with(|p| p.get())
}

/// Counts one pass on the calling thread.
#[inline]
pub(crate) fn count_pass() {
    PASSES.with(|p| p.set(p.get() + 1));
}

/// Below this many elements (of work) an operation stays on the calling
/// thread: waking rayon's pool costs microseconds. Strided walks gain from
/// two threads from 2^17 elements up (`cargo bench --bench cross_backend`:
/// `a[:, ::2] + b[:, ::2]` at 2^18, 21 GB/s on one thread, 39 on two).
#[cfg_attr(not(feature = "rayon"), allow(dead_code))]
pub(crate) const PAR_THRESHOLD: usize = 1 << 17;

/// The same for one contiguous run, which one core streams from cache much
/// faster: at 2^18 f32 elements `a + b` ran at 76 GB/s on one thread and
/// 51 on two, `a.sum()` at 45 and 28; at 2^20 two threads won (136 vs 74,
/// 74 vs 47). Same bench.
#[cfg_attr(not(feature = "rayon"), allow(dead_code))]
pub(crate) const PAR_THRESHOLD_CONTIGUOUS: usize = 1 << 19;

/// Inner runs shorter than this are joined across the next axis when they
/// can be (see [`Plan::joinable`]).
const SHORT_RUN: usize = 64;

/// Elements per joined run.
const JOINED_RUN: usize = 2048;

/// Elements per block when an inner run needs a dtype conversion.
pub(crate) const BLOCK: usize = 512;

/// Edge of the square tiles (in elements) for plans whose operands disagree
/// on the fastest axis: 256 bytes of the widest operand (64 f32, 32 f64),
/// four cache lines per row, so each line an operand touches in a tile is
/// used whole. Measured on 4096 x 4096 f32 (BENCHMARKS.md): 128-, 256- and
/// 512-byte tiles copy `a.t()` equally fast (about 5.1 GB/s); `a + b.t()`
/// ran 6.1, 6.8 and 7.4 GB/s, and 256 keeps a tile of three f32 operands
/// (48 KiB) near the 32 KiB L1.
fn tile_edge(max_itemsize: usize) -> usize {
    (256 / max_itemsize.max(1)).clamp(16, 64)
}

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
pub(crate) struct SendPtrs<const N: usize>(pub(crate) [*mut u8; N]);

impl<const N: usize> SendPtrs<N> {
    /// Pointer `k` (a method, so closures capture the whole `Send` wrapper).
    #[inline(always)]
    pub(crate) fn get(&self, k: usize) -> *mut u8 {
        self.0[k]
    }
}

// SAFETY: the pointers are only dereferenced inside `drive` and the index
// kernels, while the caller holds the buffers' locks, and threads write
// disjoint elements of operand 0 (invariant 3 of this module).
unsafe impl<const N: usize> Send for SendPtrs<N> {}
// SAFETY: as above; shared access only reads operands 1.. .
unsafe impl<const N: usize> Sync for SendPtrs<N> {}

/// The number of threads to use for `size` elements: 1 below
/// [`PAR_THRESHOLD`] or without the `rayon` feature.
#[inline]
fn threads_for(size: usize) -> usize {
    threads_above(size, PAR_THRESHOLD)
}

/// The number of threads for `size` elements against `threshold`.
#[inline]
fn threads_above(size: usize, threshold: usize) -> usize {
    #[cfg(feature = "rayon")]
    if size >= threshold {
        return rayon::current_num_threads();
    }
    let _ = (size, threshold);
    1
}

/// Runs `work(piece)` for `piece in 0..pieces`, on rayon's threads when
/// `threads > 1`.
#[inline]
fn for_pieces(threads: usize, pieces: usize, work: impl Fn(usize) + Sync + Send) {
    #[cfg(feature = "rayon")]
    if threads > 1 && pieces > 1 {
        use rayon::prelude::*;
        (0..pieces).into_par_iter().for_each(work);
        return;
    }
    let _ = threads;
    (0..pieces).for_each(work)
}

/// The element stride of each operand if all of them walk `shape` as one
/// run: stride 1 for a C-contiguous operand, 0 for one repeated everywhere.
/// `None` when some operand needs the full plan.
#[inline]
fn single_run<const N: usize>(shape: &[usize], strides: &[&[isize]; N]) -> Option<[isize; N]> {
    let mut run = [0isize; N];
    for (k, op) in strides.iter().enumerate() {
        let mut expect = 1isize;
        let (mut contiguous, mut zero) = (true, true);
        for (&n, &s) in shape.iter().zip(op.iter()).rev() {
            if n != 1 {
                contiguous &= s == expect;
                zero &= s == 0;
            }
            expect *= n as isize;
        }
        run[k] = if contiguous {
            1
        } else if zero && k > 0 {
            0
        } else {
            return None;
        };
    }
    Some(run)
}

/// Walks `shape` over N operands and calls `inner(ptrs, strides, len)` for
/// each inner run, where `ptrs` point at the first element of the run of each
/// operand and `strides` are the runs' element strides.
///
/// Three walks, all over the same elements ([`walk`]):
/// - every operand contiguous (or repeated): one run, cut into equal pieces
///   for the threads, with no plan built (the small-array fast path);
/// - operands that agree on the fastest axis: the plan's inner runs, outer
///   positions split over threads (long single runs cut into pieces);
/// - operands that disagree ([`Plan::is_transposed`]): square tiles over
///   the last two axes, so every cache line is used whole while in cache.
///
/// # Safety
/// The operands must satisfy the module's invariants 1-4.
pub(crate) unsafe fn drive<const N: usize, F>(shape: &[usize], ops: [RawOperand<'_>; N], inner: F)
where
    F: Fn([*mut u8; N], [isize; N], usize) + Sync,
{
    // SAFETY: forwarded contract.
    unsafe { drive_walk(shape, ops, 1, true, inner) }
}

/// The walk of [`drive`]. `join` allows joining short runs through tiles
/// ([`Plan::joinable`]), which is right only when `inner` reads each
/// operand's elements of the run and nothing beyond them (an elementwise
/// kernel).
///
/// # Safety
/// As [`drive`].
unsafe fn drive_walk<const N: usize, F>(
    shape: &[usize],
    ops: [RawOperand<'_>; N],
    work: usize,
    join: bool,
    inner: F,
) where
    F: Fn([*mut u8; N], [isize; N], usize) + Sync,
{
    count_pass();
    let mut bases = [std::ptr::null_mut::<u8>(); N];
    let mut sizes = [0isize; N];
    for k in 0..N {
        sizes[k] = ops[k].dtype.itemsize() as isize;
        // SAFETY: the element offset lies inside the buffer (invariant 2).
        bases[k] = unsafe { ops[k].ptr.add(ops[k].offset * ops[k].dtype.itemsize()) };
    }
    let bases = SendPtrs(bases);
    // A pointer to element `at[k]` of each operand, relative to its base.
    let ptrs = |at: [isize; N]| {
        let mut p = [std::ptr::null_mut::<u8>(); N];
        for k in 0..N {
            // SAFETY: `walk` hands offsets of elements inside operand k's
            // layout (invariant 2).
            p[k] = unsafe { bases.get(k).offset(at[k] * sizes[k]) };
        }
        p
    };
    let strides: [&[isize]; N] = std::array::from_fn(|k| ops[k].strides);
    let itemsizes: [usize; N] = std::array::from_fn(|k| sizes[k] as usize);
    let joined = |plan: &Plan, threads: usize| match join.then(|| plan.joinable(SHORT_RUN)) {
        Some(Some(repeat)) => {
            // SAFETY: forwarded contract.
            unsafe { drive_joined(plan, bases, sizes, repeat, threads, &inner) };
            true
        }
        _ => false,
    };
    walk(shape, strides, itemsizes, work, joined, |at, s, n| {
        inner(ptrs(at), s, n)
    });
}

/// The walks of [`drive`] as element offsets: calls `inner(offsets,
/// strides, len)` for each inner run, `offsets` being the element offset of
/// the run's first element in each operand (from the operand's own first
/// element) and `strides` the runs' element strides. Pure layout math: the
/// caller turns offsets into addresses. `work` is the work per element (a
/// reduction's elements per output), for the thread threshold; `joined` may
/// take over the walk of a plan (returning true), as [`drive`]'s joined
/// short runs do.
pub(crate) fn walk<const N: usize>(
    shape: &[usize],
    strides: [&[isize]; N],
    itemsizes: [usize; N],
    work: usize,
    joined: impl FnOnce(&Plan, usize) -> bool,
    inner: impl Fn([isize; N], [isize; N], usize) + Sync,
) {
    let size: usize = shape.iter().product();
    if size == 0 {
        return;
    }
    let threads = threads_for(size.saturating_mul(work));
    if let Some(run) = single_run(shape, &strides) {
        let threads = threads_above(size.saturating_mul(work), PAR_THRESHOLD_CONTIGUOUS);
        // Cut at multiples of 64 elements so threads do not share lines.
        let pieces = if threads > 1 { threads * 4 } else { 1 };
        for_pieces(threads, pieces, |i| {
            let cut = |i: usize| (size * i / pieces) & !63;
            let (start, end) = (cut(i), if i + 1 == pieces { size } else { cut(i + 1) });
            if start < end {
                inner(run.map(|s| s * start as isize), run, end - start);
            }
        });
        return;
    }
    let plan = Plan::new(shape, &strides);
    let mut inner_strides = [0isize; N];
    for (k, s) in inner_strides.iter_mut().enumerate() {
        *s = plan.inner_stride(k);
    }
    let offsets = |offs: &[isize]| std::array::from_fn::<isize, N, _>(|k| offs[k]);
    if plan.is_transposed() {
        let edge = tile_edge(itemsizes.iter().copied().max().unwrap_or(1));
        let tiles = plan.tile_count(edge);
        let pieces = if threads > 1 {
            (threads * 8).min(tiles)
        } else {
            1
        };
        for_pieces(threads, pieces, |i| {
            let (start, end) = (tiles * i / pieces, tiles * (i + 1) / pieces);
            plan.for_each_tile_run(edge, start, end, |offs, len| {
                inner(offsets(offs), inner_strides, len)
            });
        });
        return;
    }
    if joined(&plan, threads) {
        return;
    }
    let (outer, len) = (plan.outer_size(), plan.inner_len());
    if threads > 1 && outer < threads {
        // Few (often one) long runs: cut each run instead.
        let pieces = threads * 4;
        for_pieces(threads, outer * pieces, |k| {
            let (row, i) = (k / pieces, k % pieces);
            let (start, end) = (len * i / pieces, len * (i + 1) / pieces);
            if start < end {
                plan.for_each_outer(row, row + 1, |offs| {
                    let at = std::array::from_fn(|k| offs[k] + start as isize * inner_strides[k]);
                    inner(at, inner_strides, end - start);
                });
            }
        });
        return;
    }
    let pieces = if threads > 1 {
        (threads * 4).min(outer)
    } else {
        1
    };
    for_pieces(threads, pieces, |i| {
        let (start, end) = (outer * i / pieces, outer * (i + 1) / pieces);
        plan.for_each_outer(start, end, |offs| inner(offsets(offs), inner_strides, len));
    });
}

/// The joined walk of plans whose short runs join across the next axis
/// ([`Plan::joinable`]; `repeat` is its mask): blocks of up to
/// [`JOINED_RUN`] / `len` runs of the second-innermost axis, each handed to
/// `inner` as one run, the repeating operands read from per-thread tiles
/// that hold their run `r` times (NumPy's iterator buffers such operands
/// the same way). Blocks split over threads.
///
/// # Safety
/// As [`drive`]; `bases` and `sizes` are the operands' base pointers and
/// item sizes.
unsafe fn drive_joined<const N: usize, F>(
    plan: &Plan,
    bases: SendPtrs<N>,
    sizes: [isize; N],
    repeat: u64,
    threads: usize,
    inner: &F,
) where
    F: Fn([*mut u8; N], [isize; N], usize) + Sync,
{
    let nd = plan.ndim();
    let (len, m1) = (plan.inner_len(), plan.shape()[nd - 2]);
    let per = (JOINED_RUN / len).clamp(1, m1);
    let blocks_per_row = m1.div_ceil(per);
    let units = plan.outer_size() / m1 * blocks_per_row;
    let repeats = |k: usize| repeat & (1 << k) != 0;
    let steps: [isize; N] =
        std::array::from_fn(|k| if repeats(k) { 1 } else { plan.inner_stride(k) });
    let pieces = if threads > 1 {
        (threads * 4).min(units)
    } else {
        1
    };
    for_pieces(threads, pieces, |i| {
        // Tiles of the repeating operands (u64 words: aligned for every
        // dtype), and the run each one holds.
        let mut tiles: [Vec<u64>; N] = std::array::from_fn(|_| Vec::new());
        let mut held: [(*const u8, usize); N] = [(std::ptr::null(), 0); N];
        let mut offs = [0isize; N];
        let mut idx = vec![0isize; nd - 1];
        for u in units * i / pieces..units * (i + 1) / pieces {
            let at = (u % blocks_per_row) * per;
            let r = per.min(m1 - at);
            plan.outer_position((u / blocks_per_row) * m1 + at, &mut offs, &mut idx);
            let mut ptrs = [std::ptr::null_mut::<u8>(); N];
            for k in 0..N {
                // SAFETY: `offs[k]` is the offset of the run's first
                // element in operand k's layout (invariant 2).
                let src = unsafe { bases.get(k).offset(offs[k] * sizes[k]) };
                if !repeats(k) {
                    ptrs[k] = src;
                    continue;
                }
                if held[k] != (src as *const u8, r) {
                    // SAFETY: the run's `len` elements lie in operand k
                    // (invariant 2); the tile is sized for `r` runs.
                    unsafe {
                        fill_tile(&mut tiles[k], src, plan.inner_stride(k), sizes[k], len, r)
                    };
                    held[k] = (src as *const u8, r);
                }
                ptrs[k] = tiles[k].as_mut_ptr() as *mut u8;
            }
            inner(ptrs, steps, r * len);
        }
    });
}

/// Sizes `tile` for `r` runs of `len` elements of `item` bytes and fills it
/// with the run at `src` (element stride `stride`) repeated `r` times.
///
/// # Safety
/// `src` addresses `len` readable elements at `stride`.
unsafe fn fill_tile(
    tile: &mut Vec<u64>,
    src: *const u8,
    stride: isize,
    item: isize,
    len: usize,
    r: usize,
) {
    let (item_bytes, run) = (item as usize, len * item as usize);
    tile.resize((r * run).div_ceil(8), 0);
    let t = tile.as_mut_ptr() as *mut u8;
    // SAFETY: reads inside the run (the contract), writes inside the tile.
    unsafe {
        for e in 0..len {
            let from = src.offset(e as isize * stride * item);
            std::ptr::copy_nonoverlapping(from, t.add(e * item_bytes), item_bytes);
        }
        // Double the filled part until `r` runs are there.
        let mut have = 1usize;
        while have < r {
            let more = have.min(r - have);
            std::ptr::copy_nonoverlapping(t, t.add(have * run), more * run);
            have += more;
        }
    }
}
