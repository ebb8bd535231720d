//! Index kernels on the CPU: boolean-mask selection and assignment, and
//! integer gathers and scatters along the first axis of a C-contiguous
//! array. `array/fancy.rs` and `array/assign.rs` send the common forms of
//! `x[mask]`, `x[mask] = v`, `x[idx]` and `x[idx] = v` here; every other
//! advanced index takes the general offset-table walk.
//!
//! Everything moves whole rows: a row is the `row_bytes` bytes that one
//! mask entry or one index selects (one element when the mask or index
//! covers every axis). Rows of 1, 2, 4 or 8 bytes move as one machine word;
//! longer rows are copied with `copy_nonoverlapping`.
//!
//! - **Mask selection** counts the set entries of each block of the mask
//!   (threads over blocks), turns the counts into output offsets with a
//!   prefix sum, then compresses each block into its own part of the result
//!   without branches on the mask: every row is stored at the next output
//!   position, and the position moves on only when the entry is set.
//! - **Mask assignment** of one value selects with the mask in a blend
//!   (vectorised); of an array of values, expands them: block by block with
//!   the selection's offsets, the `k`-th value of a block goes to its `k`-th
//!   set entry.
//! - **Gather** wraps negative indices without a branch and copies rows,
//!   threads over the output.
//! - **Scatter** keeps NumPy's last-write-wins: each thread owns a range of
//!   destination rows and walks every index in order, writing only those in
//!   its range, so repeated destinations are written in index order.
//!
//! Indices are bounds-checked before any kernel here runs
//! ([`first_out_of_bounds`]).

use super::{for_pieces, threads_above, SendPtrs, PAR_THRESHOLD};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Mask entries per block of the mask kernels: counts and offsets are kept
/// per block, and blocks are the unit of work of the threads.
const MASK_BLOCK: usize = 1 << 16;

/// Runs `f(b, start, part)` for every block `b` of `mask`: `part` is its
/// entries, the first at `start`. On threads for long masks.
fn for_mask_blocks(mask: &[bool], f: impl Fn(usize, usize, &[bool]) + Sync + Send) {
    let threads = threads_above(mask.len(), PAR_THRESHOLD);
    for_pieces(threads, mask.len().div_ceil(MASK_BLOCK), |b| {
        let start = b * MASK_BLOCK;
        f(b, start, &mask[start..(start + MASK_BLOCK).min(mask.len())])
    });
}

/// The number of set entries of `mask`.
pub(crate) fn count_true(mask: &[bool]) -> usize {
    // Sums of at most 255 bytes fit a byte lane; widening once per chunk
    // keeps the loop in byte-wide SIMD adds.
    mask.chunks(255)
        .map(|c| c.iter().fold(0u8, |a, &b| a + b as u8) as usize)
        .sum()
}

/// The blocks of a mask: block `b` covers entries
/// `b * MASK_BLOCK..min((b + 1) * MASK_BLOCK, len)` and its selected rows go
/// to output rows `offsets[b]..offsets[b + 1]`.
pub(crate) struct MaskBlocks {
    offsets: Vec<usize>,
}

impl MaskBlocks {
    /// Counts the set entries of each block (on threads for long masks).
    pub(crate) fn new(mask: &[bool]) -> MaskBlocks {
        let blocks = mask.len().div_ceil(MASK_BLOCK);
        let counts: Vec<AtomicUsize> = (0..blocks).map(|_| AtomicUsize::new(0)).collect();
        for_mask_blocks(mask, |b, _, part| {
            counts[b].store(count_true(part), Ordering::Relaxed)
        });
        let mut offsets = Vec::with_capacity(blocks + 1);
        let mut total = 0usize;
        offsets.push(0);
        for c in counts {
            total += c.into_inner();
            offsets.push(total);
        }
        MaskBlocks { offsets }
    }

    /// The output rows of block `b`'s selected entries.
    fn rows(&self, b: usize) -> std::ops::Range<usize> {
        self.offsets[b]..self.offsets[b + 1]
    }

    /// The number of set entries.
    pub(crate) fn total(&self) -> usize {
        self.offsets.last().copied().unwrap_or(0)
    }
}

/// Copies row `from` of `src` to row `to` of `dst`.
///
/// # Safety
/// Both rows in bounds; they do not overlap.
#[inline(always)]
unsafe fn copy_row<W: Copy>(dst: *mut u8, to: usize, src: *const u8, from: usize, row: usize) {
    // SAFETY: the caller's contract; rows of size_of::<W>() bytes are read
    // and written unaligned, longer rows byte for byte.
    unsafe {
        if std::mem::size_of::<W>() == row {
            let v = (src as *const W).add(from).read_unaligned();
            (dst as *mut W).add(to).write_unaligned(v);
        } else {
            std::ptr::copy_nonoverlapping(src.add(from * row), dst.add(to * row), row);
        }
    }
}

/// Calls `$f::<W>` with `W` a word of `row` bytes when there is one, a byte
/// otherwise (the kernels then copy `row` bytes at a time).
macro_rules! by_row_size {
    ($row:expr, $f:ident ( $($arg:expr),* )) => {
        match $row {
            1 => $f::<u8>($($arg),*),
            2 => $f::<u16>($($arg),*),
            4 => $f::<u32>($($arg),*),
            8 => $f::<u64>($($arg),*),
            _ => $f::<[u8; 0]>($($arg),*),
        }
    };
}

/// `dst[k] = src[i]` for the `k`-th set entry `i` of `mask`: the rows of
/// `src` where the mask is set, in order (`x[mask]`).
///
/// # Safety
/// `src` holds `mask.len()` rows of `row` bytes and `dst` holds
/// `blocks.total()` rows; they do not overlap; the caller holds the locks.
/// `blocks` was counted from `mask` (a different mask can only leave rows
/// of `dst` unwritten, never write past a block's part).
pub(crate) unsafe fn mask_select(
    dst: *mut u8,
    src: *const u8,
    row: usize,
    mask: &[bool],
    blocks: &MaskBlocks,
) {
    unsafe fn run<W: Copy>(
        dst: *mut u8,
        src: *const u8,
        row: usize,
        mask: &[bool],
        blocks: &MaskBlocks,
    ) {
        let p = SendPtrs([dst, src as *mut u8]);
        for_mask_blocks(mask, |b, start, part| {
            let out = blocks.rows(b);
            // SAFETY: rows `start..start + part.len()` of `src` and rows
            // `out` of `dst` are in bounds (the function's contract);
            // `compress` writes below `out.len()` only.
            unsafe {
                let (d, s) = (p.get(0).add(out.start * row), p.get(1).add(start * row));
                compress::<W>(d, s, row, part, out.len())
            };
        });
    }
    // SAFETY: forwarded contract.
    unsafe { by_row_size!(row, run(dst, src, row, mask, blocks)) }
}

/// Compresses the rows of `src` selected by `mask` into `dst`, writing at
/// most `limit` rows. Eight entries at a time: a group with no set entry is
/// skipped; otherwise every row of the group is stored at the next output
/// row and the output row advances by the entry (no branch on it), which
/// needs eight rows of room, so the last groups go one entry at a time.
///
/// # Safety
/// `src` holds `mask.len()` rows, `dst` holds `limit` rows, no overlap.
#[inline(always)]
unsafe fn compress<W: Copy>(dst: *mut u8, src: *const u8, row: usize, mask: &[bool], limit: usize) {
    let (n, mut i, mut j) = (mask.len(), 0usize, 0usize);
    // SAFETY: `j + 8 <= limit` before a group writes its (at most eight)
    // rows at `j..j + 8`; reads are rows `i..i + 8 <= n` of `src`.
    unsafe {
        while i + 8 <= n && j + 8 <= limit {
            let group = &mask[i..i + 8];
            if group.iter().any(|&m| m) {
                for (k, &m) in group.iter().enumerate() {
                    copy_row::<W>(dst, j, src, i + k, row);
                    j += m as usize;
                }
            }
            i += 8;
        }
        while i < n && j < limit {
            if mask[i] {
                copy_row::<W>(dst, j, src, i, row);
                j += 1;
            }
            i += 1;
        }
    }
}

/// `dst[i] = value` wherever `mask[i]` is set (`x[mask] = scalar`); `value`
/// is the bytes of one row.
///
/// # Safety
/// `dst` holds `mask.len()` rows of `value.len()` bytes; the caller holds
/// its write lock.
pub(crate) unsafe fn mask_fill(dst: *mut u8, mask: &[bool], value: &[u8]) {
    unsafe fn run<W: Copy>(dst: *mut u8, mask: &[bool], value: &[u8]) {
        let row = value.len();
        let p = SendPtrs([dst, value.as_ptr() as *mut u8]);
        for_mask_blocks(mask, |_, start, part| {
            let (dst, v) = (p.get(0), p.get(1) as *const u8);
            // SAFETY: rows `start..start + part.len()` of `dst` are in
            // bounds and belong to this block only.
            unsafe {
                let d = dst.add(start * row);
                if std::mem::size_of::<W>() == row {
                    // A blend over the whole block: vectorised, and every
                    // row is rewritten with itself or the value.
                    let v = (v as *const W).read_unaligned();
                    let d = std::slice::from_raw_parts_mut(d as *mut W, part.len());
                    for (x, &m) in d.iter_mut().zip(part) {
                        *x = if m { v } else { *x };
                    }
                } else {
                    for (k, &m) in part.iter().enumerate() {
                        if m {
                            std::ptr::copy_nonoverlapping(v, d.add(k * row), row);
                        }
                    }
                }
            }
        });
    }
    // SAFETY: forwarded contract.
    unsafe { by_row_size!(value.len(), run(dst, mask, value)) }
}

/// `dst[i] = src[k]` for the `k`-th set entry `i` of `mask` (`x[mask] =
/// values`, the values already of `dst`'s dtype).
///
/// # Safety
/// `dst` holds `mask.len()` rows of `row` bytes, `src` holds
/// `blocks.total()` rows; no overlap; the caller holds the locks. `blocks`
/// was counted from `mask` (with another mask, reads stay below each
/// block's part).
pub(crate) unsafe fn mask_expand(
    dst: *mut u8,
    src: *const u8,
    row: usize,
    mask: &[bool],
    blocks: &MaskBlocks,
) {
    unsafe fn run<W: Copy>(
        dst: *mut u8,
        src: *const u8,
        row: usize,
        mask: &[bool],
        blocks: &MaskBlocks,
    ) {
        let p = SendPtrs([dst, src as *mut u8]);
        for_mask_blocks(mask, |b, start, part| {
            let out = blocks.rows(b);
            let mut j = 0usize;
            // SAFETY: rows of `dst` in this block only; rows `out.start + j`
            // of `src` with `j < out.len()`.
            unsafe {
                let (d, s) = (p.get(0).add(start * row), p.get(1).add(out.start * row));
                for (k, &m) in part.iter().enumerate() {
                    if j == out.len() {
                        break;
                    }
                    if m {
                        copy_row::<W>(d, k, s, j, row);
                        j += 1;
                    }
                }
            }
        });
    }
    // SAFETY: forwarded contract.
    unsafe { by_row_size!(row, run(dst, src, row, mask, blocks)) }
}

/// The first index outside `-n..n`, if any (NumPy's bounds rule; negative
/// indices count from the end). One vectorised min/max pass; the slow scan
/// for the culprit runs only when it failed.
pub(crate) fn first_out_of_bounds(idx: &[i64], n: usize) -> Option<i64> {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    let (lo, hi) = idx
        .iter()
        .fold((i64::MAX, i64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    if idx.is_empty() || (lo >= -n && hi < n) {
        return None;
    }
    idx.iter().copied().find(|&v| v < -n || v >= n)
}

/// A checked index as a row number: negative indices count from the end
/// (`i + n` for `i < 0`, without a branch).
#[inline(always)]
fn wrap(i: i64, n: i64) -> usize {
    (i + ((i >> 63) & n)) as usize
}

/// `dst[k] = src[wrap(idx[k])]` (`x[idx]` along the first axis).
///
/// # Safety
/// `src` holds `n` rows of `row` bytes, `dst` holds `idx.len()` rows; no
/// overlap; every index is inside `-n..n` ([`first_out_of_bounds`]); the
/// caller holds the locks.
pub(crate) unsafe fn gather(dst: *mut u8, src: *const u8, row: usize, idx: &[i64], n: usize) {
    unsafe fn run<W: Copy>(dst: *mut u8, src: *const u8, row: usize, idx: &[i64], n: usize) {
        let p = SendPtrs([dst, src as *mut u8]);
        let m = idx.len();
        let threads = threads_above(m.saturating_mul(row.max(4)) / 4, PAR_THRESHOLD);
        let pieces = if threads > 1 { threads * 4 } else { 1 };
        for_pieces(threads, pieces, |t| {
            let (dst, src) = (p.get(0), p.get(1) as *const u8);
            let (a, b) = (m * t / pieces, m * (t + 1) / pieces);
            for (k, &i) in idx[a..b].iter().enumerate() {
                // SAFETY: the index was checked against `-n..n`; output
                // rows `a..b` belong to this piece.
                unsafe { copy_row::<W>(dst, a + k, src, wrap(i, n as i64), row) };
            }
        });
    }
    // SAFETY: forwarded contract.
    unsafe { by_row_size!(row, run(dst, src, row, idx, n)) }
}

/// `dst[wrap(idx[k])] = src[k * src_step]` for every `k` in order, so a
/// repeated destination keeps the last value (`x[idx] = values`;
/// `src_step` 0 repeats one row).
///
/// # Safety
/// `dst` holds `n` rows of `row` bytes, `src` holds the rows read; no
/// overlap; every index is inside `-n..n`; the caller holds the locks.
pub(crate) unsafe fn scatter(
    dst: *mut u8,
    n: usize,
    src: *const u8,
    src_step: usize,
    row: usize,
    idx: &[i64],
) {
    unsafe fn run<W: Copy>(
        dst: *mut u8,
        n: usize,
        src: *const u8,
        src_step: usize,
        row: usize,
        idx: &[i64],
    ) {
        let p = SendPtrs([dst, src as *mut u8]);
        let threads = threads_above(idx.len().saturating_mul(row.max(4)) / 4, PAR_THRESHOLD);
        // Each piece owns destination rows `lo..hi` and reads every index.
        let pieces = threads.min(n.max(1));
        for_pieces(threads, pieces, |t| {
            let (dst, src) = (p.get(0), p.get(1) as *const u8);
            let (lo, hi) = (n * t / pieces, n * (t + 1) / pieces);
            for (k, &i) in idx.iter().enumerate() {
                let r = wrap(i, n as i64);
                if (lo..hi).contains(&r) {
                    // SAFETY: `r < n` (checked index); only this piece
                    // writes rows `lo..hi`.
                    unsafe { copy_row::<W>(dst, r, src, k * src_step, row) };
                }
            }
        });
    }
    // SAFETY: forwarded contract.
    unsafe { by_row_size!(row, run(dst, n, src, src_step, row, idx)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(n: usize, seed: u64) -> Vec<bool> {
        (0..n as u64)
            .map(|i| (i.wrapping_add(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 61) < 2)
            .collect()
    }

    #[test]
    fn count_matches_naive() {
        for n in [0, 1, 7, 254, 255, 256, 1000, MASK_BLOCK + 3] {
            let m = pattern(n, 3);
            assert_eq!(count_true(&m), m.iter().filter(|&&b| b).count(), "n = {n}");
        }
    }

    #[test]
    fn select_fill_and_expand_match_naive() {
        for (n, row) in [
            (0, 4),
            (13, 4),
            (1000, 8),
            (MASK_BLOCK * 2 + 5, 1),
            (300, 12),
        ] {
            let m = pattern(n, 11);
            let src: Vec<u8> = (0..n * row).map(|i| (i * 7 % 251) as u8).collect();
            let blocks = MaskBlocks::new(&m);
            let want: Vec<u8> = m
                .iter()
                .enumerate()
                .filter(|(_, &b)| b)
                .flat_map(|(i, _)| src[i * row..(i + 1) * row].to_vec())
                .collect();
            let mut got = vec![0u8; blocks.total() * row];
            // SAFETY: sizes as the kernel asks.
            unsafe { mask_select(got.as_mut_ptr(), src.as_ptr(), row, &m, &blocks) };
            assert_eq!(got, want, "select n = {n}, row = {row}");

            let value: Vec<u8> = (0..row as u8).map(|b| 200 + b).collect();
            let mut filled = src.clone();
            // SAFETY: as above.
            unsafe { mask_fill(filled.as_mut_ptr(), &m, &value) };
            for i in 0..n {
                let r = &filled[i * row..(i + 1) * row];
                let expect = if m[i] {
                    &value[..]
                } else {
                    &src[i * row..(i + 1) * row]
                };
                assert_eq!(r, expect, "fill n = {n}, row = {row}, i = {i}");
            }

            let mut back = vec![0u8; n * row];
            // SAFETY: as above.
            unsafe { mask_expand(back.as_mut_ptr(), got.as_ptr(), row, &m, &blocks) };
            for i in 0..n {
                let r = &back[i * row..(i + 1) * row];
                let expect = if m[i] {
                    &src[i * row..(i + 1) * row]
                } else {
                    &[0u8; 12][..row]
                };
                assert_eq!(r, expect, "expand n = {n}, row = {row}, i = {i}");
            }
        }
    }

    #[test]
    fn gather_and_scatter_match_naive() {
        let n = 50usize;
        for row in [1, 2, 4, 8, 3] {
            let src: Vec<u8> = (0..n * row).map(|i| (i % 253) as u8).collect();
            let idx: Vec<i64> = (0..200i64).map(|k| (k * 37 % 100) - 50).collect();
            assert_eq!(first_out_of_bounds(&idx, n), None);
            let mut got = vec![0u8; idx.len() * row];
            // SAFETY: sizes as the kernel asks, indices checked.
            unsafe { gather(got.as_mut_ptr(), src.as_ptr(), row, &idx, n) };
            for (k, &i) in idx.iter().enumerate() {
                let r = wrap(i, n as i64);
                assert_eq!(&got[k * row..(k + 1) * row], &src[r * row..(r + 1) * row]);
            }
            let vals: Vec<u8> = (0..idx.len() * row).map(|i| (i % 241) as u8).collect();
            let mut dst = vec![0u8; n * row];
            // SAFETY: as above.
            unsafe { scatter(dst.as_mut_ptr(), n, vals.as_ptr(), 1, row, &idx) };
            let mut want = vec![0u8; n * row];
            for (k, &i) in idx.iter().enumerate() {
                let r = wrap(i, n as i64);
                want[r * row..(r + 1) * row].copy_from_slice(&vals[k * row..(k + 1) * row]);
            }
            assert_eq!(dst, want, "scatter row = {row}");
        }
        assert_eq!(first_out_of_bounds(&[0, 3, -4, 9], 4), Some(9));
        assert_eq!(first_out_of_bounds(&[-5, 2], 4), Some(-5));
    }
}
