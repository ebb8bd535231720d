//! Many threads on shared arrays, for a bounded time, on the CPU and on the
//! GPU: no deadlock (a watchdog fails the test), no panic, no lost or torn
//! write, and the copy ledger's totals add up.
//!
//! What strider promises for concurrent operations (RELIABILITY.md says it
//! at length): each operation that writes a buffer runs whole, as if alone,
//! before or after every other writer of that buffer: an input that
//! overlaps the destination is copied aside and written in one turn. So a
//! set of concurrent writes ends as some serial order of them would, and a
//! reader sees the buffer between two writes, never inside one.
//!
//! `STRIDER_STRESS_SECS` sets each scenario's duration (default 2 s on the
//! CPU, 1 s on the GPU); `cargo test` runs the default.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};
use strider::{s, Array, BinaryOp, DType, Device, ReduceOp};

const THREADS: usize = 16;

fn duration(default_secs: f64) -> Duration {
    let secs = std::env::var("STRIDER_STRESS_SECS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(default_secs);
    Duration::from_secs_f64(secs)
}

/// Runs `workers` threads of `body(thread_index, deadline)` and fails the
/// test if they have not all finished `grace` after the deadline (a
/// deadlock or a hang). Returns the threads' results in order.
fn with_watchdog<R: Send + 'static>(
    name: &str,
    workers: usize,
    run_for: Duration,
    body: impl Fn(usize, Instant) -> R + Send + Sync + 'static,
) -> Vec<R> {
    let deadline = Instant::now() + run_for;
    let body = Arc::new(body);
    let (tx, rx) = mpsc::channel();
    for t in 0..workers {
        let body = Arc::clone(&body);
        let tx = tx.clone();
        thread::spawn(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(t, deadline)));
            let _ = tx.send((t, r));
        });
    }
    drop(tx);
    let grace = Duration::from_secs(120);
    let mut out: Vec<Option<R>> = (0..workers).map(|_| None).collect();
    for _ in 0..workers {
        let left = (deadline + grace).saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((t, Ok(r))) => out[t] = Some(r),
            Ok((t, Err(p))) => {
                panic!(
                    "{name}: thread {t} panicked: {}",
                    common::panic_message(&*p)
                );
            }
            Err(_) => panic!(
                "{name}: the watchdog fired: threads still running {grace:?} after the \
                 deadline (a deadlock or a hang)"
            ),
        }
    }
    out.into_iter()
        .map(|r| r.expect("every thread reported"))
        .collect()
}

fn ints(a: &Array) -> Vec<i64> {
    a.to_cpu().unwrap().to_vec::<i64>().unwrap()
}

/// Sixteen threads add 1 to overlapping windows of one int64 array while
/// reading it (sums) and copying it; the final counts equal the increments
/// each thread made, and every sum a reader saw was a whole number of
/// increments that never went down.
fn counters(dev: &Device, run_for: Duration, name: &str) -> usize {
    const N: usize = 64;
    const W: usize = 16;
    let x = Array::zeros(&[N], DType::I64)
        .unwrap()
        .to_device(dev)
        .unwrap();
    let shared = x.clone();
    let results = with_watchdog(name, THREADS, run_for, move |t, deadline| {
        let x = shared.clone();
        let mut mine = vec![0i64; N];
        let mut ops = 0usize;
        let mut last_sum = 0i64;
        let mut i = t;
        while Instant::now() < deadline {
            let at = (i * 7) % (N - W);
            let view = x.slice(s![at..at + W]).unwrap();
            match i % 4 {
                0 | 1 => view.binary_inplace(BinaryOp::Add, 1).unwrap(),
                2 => {
                    // Through an out= with the destination as input.
                    view.binary_into(BinaryOp::Add, 1, &view).unwrap();
                }
                _ => {
                    // A reader: the sum only grows, in whole windows.
                    let total = x.reduce(ReduceOp::Sum, strider::Axes::All, false).unwrap();
                    let total = total.to_cpu().unwrap().item::<i64>().unwrap();
                    assert!(total >= last_sum, "a sum went down: {last_sum} -> {total}");
                    assert_eq!(total % W as i64, 0, "a torn write: sum {total}");
                    last_sum = total;
                    let copy = x.copy().unwrap();
                    assert_eq!(ints(&copy).iter().sum::<i64>() % W as i64, 0, "a torn copy");
                    i += 1;
                    continue;
                }
            }
            for m in &mut mine[at..at + W] {
                *m += 1;
            }
            ops += 1;
            i += 1;
        }
        (mine, ops)
    });
    let mut want = vec![0i64; N];
    let mut ops = 0;
    for (mine, n) in &results {
        for (w, m) in want.iter_mut().zip(mine) {
            *w += m;
        }
        ops += n;
    }
    assert_eq!(ints(&x), want, "{name}: increments were lost");
    ops
}

/// Pairs of threads race `y[:-2] += y[2:]` (an input overlapping its
/// destination, copied aside) against `y *= 3` on one array per pair, round
/// after round; each round must end as one of the two serial orders. The
/// implicit copies the racing threads tracked add up to the ledger's total.
fn overlap_pairs(dev: &Device, run_for: Duration, name: &str) -> (usize, u64) {
    const N: i64 = 24;
    let pairs = THREADS / 2;
    let arrays: Vec<Array> = (0..pairs)
        .map(|_| Array::arange_i64(0, N, 1).unwrap().to_device(dev).unwrap())
        .collect();
    let barriers: Vec<Arc<Barrier>> = (0..pairs).map(|_| Arc::new(Barrier::new(2))).collect();
    let stop: Vec<Arc<AtomicBool>> = (0..pairs)
        .map(|_| Arc::new(AtomicBool::new(false)))
        .collect();
    let serial = |first_shift: bool| -> Vec<i64> {
        let mut y: Vec<i64> = (0..N).collect();
        let shift = |y: &mut Vec<i64>| {
            let src: Vec<i64> = y[2..].to_vec();
            for (d, s) in y[..N as usize - 2].iter_mut().zip(src) {
                *d += s;
            }
        };
        let triple = |y: &mut Vec<i64>| y.iter_mut().for_each(|v| *v *= 3);
        if first_shift {
            shift(&mut y);
            triple(&mut y);
        } else {
            triple(&mut y);
            shift(&mut y);
        }
        y
    };
    let (ab, ba) = (serial(true), serial(false));
    let before = strider::ledger::totals().implicit_copies;
    let results = with_watchdog(name, THREADS, run_for, move |t, deadline| {
        let pair = t / 2;
        let y = arrays[pair].clone();
        let barrier = Arc::clone(&barriers[pair]);
        let stop = Arc::clone(&stop[pair]);
        let shifter = t % 2 == 0;
        let mut rounds = 0usize;
        let mut copies = 0u64;
        loop {
            // The shifter decides, for both, whether another round runs.
            if shifter && Instant::now() >= deadline {
                stop.store(true, Ordering::SeqCst);
            }
            barrier.wait();
            if stop.load(Ordering::SeqCst) {
                break;
            }
            if shifter {
                let dst = y.slice(s![..-2]).unwrap();
                let src = y.slice(s![2..]).unwrap();
                let ((), report) =
                    strider::track(|| dst.binary_inplace(BinaryOp::Add, &src).unwrap());
                copies += report.implicit_copies() as u64;
            } else {
                y.binary_inplace(BinaryOp::Multiply, 3).unwrap();
            }
            barrier.wait();
            if shifter {
                let got = ints(&y);
                assert!(
                    got == ab || got == ba,
                    "a round ended in neither serial order: {got:?}"
                );
                y.assign(
                    &[],
                    &Array::arange_i64(0, N, 1)
                        .unwrap()
                        .to_device(&y.device())
                        .unwrap(),
                )
                .unwrap();
                rounds += 1;
            }
            barrier.wait();
        }
        (rounds, copies)
    });
    let rounds: usize = results.iter().map(|r| r.0).sum();
    let tracked: u64 = results.iter().map(|r| r.1).sum();
    let total = strider::ledger::totals().implicit_copies - before;
    assert_eq!(
        tracked, total,
        "{name}: the ledger's total of implicit copies ({total}) differs from what the \
         threads tracked ({tracked})"
    );
    assert!(
        tracked >= rounds as u64,
        "{name}: each overlapping += copies its source aside"
    );
    (rounds, tracked)
}

/// Both scenarios on one device, `secs` each (unless the environment
/// says otherwise), and what they did.
fn scenarios(dev: &Device, label: &str, secs: f64) {
    let t0 = Instant::now();
    let ops = counters(dev, duration(secs), &format!("{label} counters"));
    let (rounds, copies) = overlap_pairs(dev, duration(secs), &format!("{label} overlap pairs"));
    eprintln!(
        "{label}: {THREADS} threads, {:.1} s: {ops} in-place window adds, {rounds} racing rounds \
         ({copies} implicit copies), no lost write",
        t0.elapsed().as_secs_f64()
    );
}

#[test]
fn stress_cpu_and_gpu() {
    // One test function: the ledger's process-wide totals are compared
    // with what the threads tracked, so nothing else may copy meanwhile.
    scenarios(&Device::Cpu, "cpu", 2.0);
    if let Some(gpu) = common::gpu_or_skip("the GPU stress test") {
        scenarios(&gpu, "gpu", 1.0);
    }
}

/// A thread holding a write guard, another thread waiting to write the
/// same buffer, and the guard's thread calling an op on it: the op is
/// refused (ErrorKind::Borrowed), not a deadlock; after the guard drops
/// the waiting writer finishes.
#[test]
fn guards_and_waiting_writers_do_not_deadlock() {
    let x = Array::zeros(&[8], DType::F64).unwrap();
    let results = with_watchdog("guard", 1, Duration::from_millis(10), move |_, _| {
        let guard = x.write::<f64>().unwrap();
        let other = x.clone();
        let writer = thread::spawn(move || other.binary_inplace(BinaryOp::Add, 1.0));
        thread::sleep(Duration::from_millis(50));
        let refused = x.binary_inplace(BinaryOp::Add, 1.0).unwrap_err();
        assert_eq!(refused.kind(), strider::ErrorKind::Borrowed, "{refused}");
        drop(guard);
        writer.join().unwrap().unwrap();
        x.to_vec::<f64>().unwrap()
    });
    assert_eq!(results[0], vec![1.0; 8]);
}
