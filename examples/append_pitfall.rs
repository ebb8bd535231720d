//! Growing an array one element at a time by concatenation copies the whole
//! array on every step (quadratic, like `np.append` in a loop). Preallocating
//! and writing in place, or collecting into a `Vec` and building the array
//! once, is linear. The ledger shows the bytes each approach copies.
//!
//! Run with `cargo run --release --example append_pitfall`.

use std::time::Instant;
use strider::{concatenate, track, Array, DType};

fn grow_by_concatenate(n: usize) -> strider::Result<Array> {
    let mut a = Array::zeros(&[0], DType::F64)?;
    for i in 0..n {
        let one = Array::from_vec(vec![i as f64], &[1])?;
        a = concatenate(&[&a, &one], Some(0))?;
    }
    Ok(a)
}

fn preallocate(n: usize) -> strider::Result<Array> {
    let a = Array::zeros(&[n], DType::F64)?;
    for i in 0..n {
        a.set(&[i], i as f64)?;
    }
    Ok(a)
}

fn collect_then_build(n: usize) -> strider::Result<Array> {
    let v: Vec<f64> = (0..n).map(|i| i as f64).collect();
    Array::from_vec(v, &[n])
}

fn main() -> strider::Result<()> {
    println!(
        "{:>7}  {:>14} {:>14}  {:>12} {:>12}  {:>12}",
        "n", "concat (ms)", "copied bytes", "prealloc", "copied", "collect"
    );
    let mut last = None;
    for n in [1_000usize, 2_000, 4_000, 8_000, 16_000] {
        let t = Instant::now();
        let (a, rep) = track(|| grow_by_concatenate(n));
        let concat_ms = t.elapsed().as_secs_f64() * 1e3;
        let a = a?;
        let t = Instant::now();
        let (b, rep_b) = track(|| preallocate(n));
        let pre_ms = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let c = collect_then_build(n)?;
        let col_ms = t.elapsed().as_secs_f64() * 1e3;
        let b = b?;
        assert_eq!(a.to_vec::<f64>()?, b.to_vec::<f64>()?);
        assert_eq!(a.to_vec::<f64>()?, c.to_vec::<f64>()?);
        println!(
            "{n:>7}  {concat_ms:>14.2} {:>14}  {pre_ms:>12.2} {:>12}  {col_ms:>12.3}",
            rep.copy_bytes(),
            rep_b.copy_bytes()
        );
        if let Some((prev_n, prev_ms)) = last {
            let ratio: f64 = concat_ms / prev_ms;
            if n == 16_000 {
                println!(
                    "\ndoubling n from {prev_n} to {n} made concatenation {ratio:.1}x slower: \
                     each step copies everything so far, n^2/2 element copies in all."
                );
            }
        }
        last = Some((n, concat_ms));
    }
    println!(
        "preallocating (or collecting into a Vec first) writes each element once and copies nothing."
    );
    Ok(())
}
