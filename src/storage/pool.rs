//! Reuse of large host buffers, so a large result does not pay its page
//! faults again on every call.
//!
//! A fresh allocation of many megabytes comes straight from the kernel as
//! untouched pages; the first write to each 4 KiB page faults, and the
//! kernel zeroes it. Measured on the development machine (see
//! BENCHMARKS.md), writing a fresh 64 MiB result runs at about a fifth of
//! the speed of writing one that is already mapped. strider does two things
//! about it:
//!
//! 1. **Reuse.** When the last array of a host buffer of at least
//!    [`MIN_POOLED_BYTES`] is dropped, its memory is kept in a small cache
//!    (at most 64 buffers and [`cache_limit`] bytes, 256 MiB unless `STRIDER_CACHE_BYTES`
//!    or [`set_cache_limit`] say otherwise; least recently freed buffers
//!    go first). The next op result of the same dtype and length takes it
//!    instead of new memory, as PyTorch's caching allocator does for GPU
//!    memory. Only op results, which the kernel overwrites entirely, take
//!    cached memory; `zeros` and `empty` always get zeroed memory.
//! 2. **Huge pages.** Fresh allocations of at least 2 MiB ask Linux for
//!    transparent huge pages (`madvise(MADV_HUGEPAGE)`), as NumPy does, so
//!    a first touch faults once per 2 MiB instead of once per 4 KiB where
//!    the system grants them (`/sys/kernel/mm/transparent_hugepage/enabled`
//!    set to `madvise` or `always`).
//!
//! ```
//! use strider::{storage::pool, Array, DType};
//! let a = Array::ones(&[1024, 1024], DType::F32)?; // 4 MiB
//! let first = (&a + &a)?.buffer_id();
//! drop(a);
//! // The result's memory went to the cache; release it all.
//! pool::release_cached_memory();
//! assert_eq!(pool::cached_bytes(), 0);
//! # let _ = first;
//! # Ok::<(), strider::Error>(())
//! ```

use super::CpuData;
use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Buffers smaller than this are left to the system allocator. From 1 KiB
/// up, reuse also saves the allocator's work and the zeroing of a small
/// result: a loop of 1,000-element f32 `a + b` took 515-609 ns per call
/// with a 1 MiB threshold and 451-507 ns with this one (three runs each,
/// same machine, same session).
pub const MIN_POOLED_BYTES: usize = 1 << 10;

/// The most buffers the cache keeps (the oldest go first), so a search
/// stays short however small the buffers are.
const MAX_ENTRIES: usize = 64;

/// Fresh allocations of at least this many bytes ask for huge pages.
const HUGE_PAGE_BYTES: usize = 2 << 20;

const DEFAULT_LIMIT: usize = 256 << 20;

/// usize::MAX until first read from the environment.
static LIMIT: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Cached buffers, least recently freed first, and their total bytes.
static CACHE: Mutex<(Vec<CpuData>, usize)> = Mutex::new((Vec::new(), 0));

fn nbytes(d: &CpuData) -> usize {
    d.len() * d.dtype().itemsize()
}

/// The most bytes the cache keeps.
///
/// ```
/// assert!(strider::storage::pool::cache_limit() > 0 || std::env::var("STRIDER_CACHE_BYTES").is_ok());
/// ```
pub fn cache_limit() -> usize {
    match LIMIT.load(Ordering::Relaxed) {
        usize::MAX => {
            let limit = std::env::var("STRIDER_CACHE_BYTES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_LIMIT);
            LIMIT.store(limit, Ordering::Relaxed);
            limit
        }
        v => v,
    }
}

/// Sets the most bytes the cache keeps (0 turns caching off) and frees
/// what is over it.
///
/// ```
/// use strider::storage::pool;
/// let old = pool::cache_limit();
/// pool::set_cache_limit(0);
/// assert_eq!(pool::cached_bytes(), 0);
/// pool::set_cache_limit(old);
/// ```
pub fn set_cache_limit(bytes: usize) {
    LIMIT.store(bytes.min(usize::MAX - 1), Ordering::Relaxed);
    let mut cache = lock();
    trim(&mut cache, bytes);
}

/// Bytes held in the cache now.
///
/// ```
/// let _bytes = strider::storage::pool::cached_bytes();
/// ```
pub fn cached_bytes() -> usize {
    lock().1
}

/// Frees every cached buffer and returns how many bytes that gave back.
///
/// ```
/// strider::storage::pool::release_cached_memory();
/// assert_eq!(strider::storage::pool::cached_bytes(), 0);
/// ```
pub fn release_cached_memory() -> usize {
    let mut cache = lock();
    let freed = cache.1;
    trim(&mut cache, 0);
    freed
}

fn lock() -> std::sync::MutexGuard<'static, (Vec<CpuData>, usize)> {
    CACHE.lock().unwrap_or_else(|e| e.into_inner())
}

fn trim(cache: &mut (Vec<CpuData>, usize), limit: usize) {
    while cache.1 > limit || cache.0.len() > MAX_ENTRIES {
        let gone = cache.0.remove(0);
        cache.1 -= nbytes(&gone);
    }
}

/// Keeps `data` for reuse if it is large enough and fits the limit.
pub(crate) fn give(data: CpuData) {
    let bytes = nbytes(&data);
    let limit = cache_limit();
    if bytes < MIN_POOLED_BYTES || bytes > limit {
        return;
    }
    let mut cache = lock();
    cache.1 += bytes;
    cache.0.push(data);
    trim(&mut cache, limit);
}

/// A buffer of `len` elements of `dtype` whose contents the caller will
/// overwrite entirely: cached memory when some matches, else fresh memory.
/// Its elements are valid values of the dtype (zeros or an old result).
///
/// # Errors
/// [`Error::OutOfMemory`] naming `op` when fresh memory cannot be had.
pub(crate) fn take(op: &'static str, dtype: DType, len: usize) -> Result<CpuData> {
    if len.saturating_mul(dtype.itemsize()) >= MIN_POOLED_BYTES {
        let mut cache = lock();
        let hit = cache
            .0
            .iter()
            .rposition(|d| d.dtype() == dtype && d.len() == len);
        if let Some(i) = hit {
            let data = cache.0.remove(i);
            cache.1 -= nbytes(&data);
            return Ok(data);
        }
    }
    zeroed(op, dtype, len)
}

/// Fresh zeroed memory, asking for huge pages when it is large.
///
/// # Errors
/// [`Error::OutOfMemory`] naming `op` when the allocator refuses (after the
/// cache has been given back and the allocation tried once more).
pub(crate) fn zeroed(op: &'static str, dtype: DType, len: usize) -> Result<CpuData> {
    Ok(crate::dispatch_dtype!(dtype, T => CpuData::from_vec(zeroed_vec::<T>(op, len)?)))
}

fn zeroed_vec<T: Element>(op: &'static str, len: usize) -> Result<Vec<T>> {
    let mut v: Vec<T> = with_capacity(op, len)?;
    let bytes = len * std::mem::size_of::<T>();
    if bytes >= HUGE_PAGE_BYTES {
        advise_huge_pages(v.as_mut_ptr() as *mut u8, bytes);
    }
    v.resize(len, T::ZERO);
    Ok(v)
}

/// An empty vector with room for exactly `len` elements, or
/// [`Error::OutOfMemory`] naming `op` where the standard `Vec` would abort
/// the process. A first refusal gives the cached buffers back and tries
/// once more.
///
/// ```
/// use strider::{Array, DType, ErrorKind};
/// // Every allocation of an array goes through this check.
/// let err = Array::full(&[1 << 50], 1.0, DType::U8).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::OutOfMemory);
/// ```
pub(crate) fn with_capacity<T>(op: &'static str, len: usize) -> Result<Vec<T>> {
    let mut v: Vec<T> = Vec::new();
    if v.try_reserve_exact(len).is_ok() {
        return Ok(v);
    }
    release_cached_memory();
    v.try_reserve_exact(len).map_err(|e| {
        Error::out_of_memory(
            op,
            len as u128 * std::mem::size_of::<T>() as u128,
            "cpu",
            e.to_string(),
        )
    })?;
    Ok(v)
}

/// `len` elements made by `f(i)`, allocated fallibly (see [`with_capacity`]).
pub(crate) fn vec_from_fn<T>(
    op: &'static str,
    len: usize,
    f: impl FnMut(usize) -> T,
) -> Result<Vec<T>> {
    let mut v = with_capacity(op, len)?;
    v.extend((0..len).map(f));
    Ok(v)
}

/// Asks Linux to back `[ptr, ptr + bytes)` with transparent huge pages.
/// Advice only: failure (or another OS) changes nothing but speed.
#[cfg(all(target_os = "linux", not(miri)))]
fn advise_huge_pages(ptr: *mut u8, bytes: usize) {
    const MADV_HUGEPAGE: i32 = 14;
    const PAGE: usize = 4096;
    extern "C" {
        fn madvise(addr: *mut std::ffi::c_void, len: usize, advice: i32) -> i32;
    }
    let start = (ptr as usize).next_multiple_of(PAGE);
    let end = (ptr as usize + bytes) & !(PAGE - 1);
    if end > start {
        // SAFETY: `[start, end)` lies inside an allocation this function's
        // caller owns and has not touched yet; MADV_HUGEPAGE only changes
        // how the kernel backs those pages, never their contents or
        // mapping, and the result is ignored (it is advice).
        unsafe { madvise(start as *mut std::ffi::c_void, end - start, MADV_HUGEPAGE) };
    }
}

#[cfg(any(not(target_os = "linux"), miri))]
fn advise_huge_pages(_ptr: *mut u8, _bytes: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_zeroed_buffers_are_zero_and_cached_ones_are_reused() {
        // 3 MiB: the madvise path runs (and must leave zeros).
        let d = zeroed("test", DType::F32, 3 << 18).unwrap();
        assert!(d.as_slice::<f32>().unwrap().iter().all(|&x| x == 0.0));
        let ptr = d.as_ptr();
        // Other tests share the cache; a private limit check would race,
        // so only look for this buffer coming back.
        give(d);
        let again = take("test", DType::F32, 3 << 18).unwrap();
        if cache_limit() >= 3 << 20 {
            assert_eq!(again.as_ptr(), ptr);
        }
        assert_eq!(again.len(), 3 << 18);
        let other = take("test", DType::I32, 3 << 18).unwrap();
        assert_ne!(other.as_ptr(), ptr);
    }
}
