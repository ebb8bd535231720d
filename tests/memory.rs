//! Memory: making and dropping many small arrays (and doing work with them)
//! leaves resident memory where it started, and the host and GPU pools stay
//! within their bounds.

mod common;

use strider::storage::pool;
use strider::{s, Array, BinaryOp, DType, ReduceOp};

/// The tests of this file run one at a time: they measure the whole
/// process.
static ALONE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    ALONE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Resident set size of this process in bytes (Linux), or `None`.
fn rss() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// One round of everyday small-array work: creation, views, an op, a
/// reduction, a copy, a cast, an assignment, a `.npy` round trip.
fn churn(i: usize) {
    let a = Array::arange_i64(0, 12, 1)
        .unwrap()
        .reshape(&[3, 4])
        .unwrap();
    let b = a.t().slice(s![..;2]).unwrap();
    let c = b.binary(BinaryOp::Add, i as i64).unwrap();
    let _ = c.reduce(ReduceOp::Sum, 0isize, false).unwrap();
    let d = c.copy().unwrap().astype(DType::F32).unwrap();
    d.assign(&[], 1.5).unwrap();
    if i % 64 == 0 {
        let bytes = d.to_npy_bytes().unwrap();
        let _ = Array::from_npy_bytes(&bytes).unwrap();
        let _ = format!("{d}");
    }
}

#[test]
fn a_million_small_arrays_leave_resident_memory_where_it_started() {
    let _alone = alone();
    let n: usize = std::env::var("STRIDER_LEAK_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150_000);
    // Warm up: allocator arenas, thread pools, the pool cache.
    for i in 0..20_000 {
        churn(i);
    }
    pool::release_cached_memory();
    let Some(before) = rss() else {
        eprintln!("no /proc/self/statm: resident memory not measured");
        return;
    };
    // Each round makes about seven arrays (creation, views and results).
    for i in 0..n {
        churn(i);
    }
    let pooled = pool::cached_bytes();
    pool::release_cached_memory();
    let after = rss().unwrap();
    let grown = after.saturating_sub(before);
    eprintln!(
        "{n} rounds (~{} arrays): resident {:.1} MiB -> {:.1} MiB ({} KiB more); host pool {} \
         bytes before release (limit {})",
        n * 7,
        before as f64 / 1048576.0,
        after as f64 / 1048576.0,
        grown / 1024,
        pooled,
        pool::cache_limit()
    );
    // A leak of even 16 bytes per array would be 16 MiB here.
    assert!(grown < 8 << 20, "resident memory grew by {grown} bytes");
    assert!(pooled <= pool::cache_limit());
}

#[test]
fn large_results_are_pooled_within_the_limit() {
    let _alone = alone();
    let limit = pool::cache_limit();
    let mut kept = Vec::new();
    for i in 0..40 {
        // 4 MiB results, freed in bursts.
        let a = Array::full(&[1 << 20], i as f64, DType::F32).unwrap();
        kept.push(a.binary(BinaryOp::Add, 1.0).unwrap());
        if kept.len() == 8 {
            kept.clear();
            assert!(pool::cached_bytes() <= limit);
        }
    }
    drop(kept);
    assert!(pool::cached_bytes() <= limit);
}

#[test]
fn gpu_arrays_are_freed_and_the_gpu_pool_stays_bounded() {
    let _alone = alone();
    let Some(dev) = common::gpu_or_skip("GPU memory") else {
        return;
    };
    let g = dev.as_gpu().unwrap().clone();
    let before = rss();
    for i in 0..3_000 {
        let a = Array::arange_i64(0, 16, 1)
            .unwrap()
            .to_device(&dev)
            .unwrap();
        let b = a.binary(BinaryOp::Multiply, i as i64).unwrap();
        let c = b.reduce(ReduceOp::Max, 0isize, false).unwrap();
        if i % 500 == 0 {
            assert_eq!(c.to_cpu().unwrap().item::<i64>().unwrap(), 15 * i as i64);
        }
    }
    g.synchronize().unwrap();
    let (pooled, hits, misses) = g.pool_stats();
    eprintln!("GPU pool after 3,000 rounds: {pooled} bytes, {hits} hits, {misses} misses");
    assert!(pooled <= strider::gpu::GpuOptions::default().pool_limit);
    // Reused, not allocated afresh each round.
    assert!(hits > misses, "{hits} hits, {misses} misses");
    if let (Some(b), Some(a)) = (before, rss()) {
        eprintln!(
            "resident {:.1} MiB -> {:.1} MiB",
            b as f64 / 1048576.0,
            a as f64 / 1048576.0
        );
    }
}
