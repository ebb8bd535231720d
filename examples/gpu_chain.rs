//! A chain of many small ops that stays on the GPU with one read-back at the
//! end, against the same chain reading back after every op. Kernels are
//! recorded into one submission until a result is read, so the first way
//! pays one round trip, the second one per op.
//!
//! Run with `cargo run --release --example gpu_chain`.

use std::time::Instant;
use strider::{track, Array, DType, Device};

const STEPS: usize = 200;

fn chain(x: &Array, read_each: bool) -> strider::Result<(Array, usize)> {
    let mut x = x.clone();
    let mut reads = 0;
    for i in 0..STEPS {
        x = match i % 3 {
            0 => x.multiply(1.001)?,
            1 => x.add(0.5)?,
            _ => x.maximum(1.0)?,
        };
        if read_each {
            // Reading back forces the device to finish the work so far.
            let _ = x.to_cpu()?;
            reads += 1;
        }
    }
    let out = x.to_cpu()?;
    Ok((out, reads + 1))
}

fn main() -> strider::Result<()> {
    let n = 1 << 16;
    let host = Array::arange(0.0, n as f64, 1.0, DType::F32)?;
    let dev = match Device::gpu() {
        Ok(d) => d,
        Err(e) => {
            println!("no GPU adapter: {e}");
            println!("running the chain on the CPU only");
            let t = Instant::now();
            let (out, _) = chain(&host, false)?;
            println!(
                "CPU chain of {STEPS} ops on {n} f32: {:.2} ms, checksum {}",
                t.elapsed().as_secs_f64() * 1e3,
                out.sum(strider::Axes::All)?
            );
            return Ok(());
        }
    };
    println!("device: {dev}");
    let x = host.to_device(&dev)?;
    // Warm up: compile the three pipelines once.
    let _ = chain(&x, false)?;

    let t = Instant::now();
    let (batched, rep_b) = track(|| chain(&x, false));
    let batched_ms = t.elapsed().as_secs_f64() * 1e3;
    let (batched, _) = batched?;

    let t = Instant::now();
    let (each, rep_e) = track(|| chain(&x, true));
    let each_ms = t.elapsed().as_secs_f64() * 1e3;
    let (each, reads_e) = each?;

    let t = Instant::now();
    let (cpu, _) = chain(&host, false)?;
    let cpu_ms = t.elapsed().as_secs_f64() * 1e3;

    assert_eq!(batched.to_vec::<f32>()?, each.to_vec::<f32>()?);
    let diff = batched
        .subtract(&cpu)?
        .abs()?
        .max(strider::Axes::All)?
        .item::<f32>()?;
    println!("{STEPS} elementwise ops on {n} f32 elements:");
    println!(
        "  stays on the device, one read-back: {batched_ms:8.2} ms ({:.1} us/op), {} transfers",
        batched_ms * 1e3 / STEPS as f64,
        rep_b.transfers()
    );
    println!(
        "  reads back after every op ({reads_e} reads):  {each_ms:8.2} ms ({:.1} us/op), {} transfers, {} bytes",
        each_ms * 1e3 / STEPS as f64,
        rep_e.transfers(),
        rep_e.transfer_bytes()
    );
    println!("  the same chain on the CPU:            {cpu_ms:8.2} ms");
    println!("  largest difference GPU vs CPU: {diff}");
    println!("(on a software adapter such as lavapipe the GPU is the CPU in disguise: compare the two GPU rows, not GPU with CPU)");
    Ok(())
}
