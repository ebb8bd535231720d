//! GPU measurements for issue 4, all from one run on the default adapter:
//!
//! 1. per-op overhead of a chain of small ops recorded into one submission
//!    and read back once, against the same chain reading back after every op;
//! 2. upload (`to_device`) and download (`to_cpu`) GB/s of a 64 MiB f32
//!    array, against a host `copy_from_slice` of the same size;
//! 3. GB/s of large elementwise ops (16M f32), end to end, with the wide
//!    (vec4) contiguous kernels and, for `add_into`, with one element per
//!    invocation (`GpuOptions::wide_loads = false`) for comparison, and 20
//!    `add_into` per read-back (the kernels' own rate on a real GPU, where
//!    one read-back costs about as much as one kernel). With
//!    `STRIDER_GPU_BANDWIDTH_GBS` set to the card's memory bandwidth the
//!    last row says which share of it the best row reached.
//!
//! ```text
//! cargo bench --bench gpu              # full run
//! cargo bench --bench gpu -- --quick   # smaller sizes, well under a minute once built
//! ```
//!
//! Without an adapter it prints a note and exits 0. The table goes to stdout
//! and to `target/bench-results/gpu.md`.
//!
//! Method: one warm-up, then the median of several repetitions. Elementwise
//! ops are timed end to end: the op is recorded, then one element of the
//! result is read back, which waits for the submission; the time of that
//! one-element read-back is included, nothing is subtracted. Bytes are
//! counted as NumPy users count them: operand bytes read plus result bytes
//! written. On a software adapter (lavapipe) kernels run on the CPU, so the
//! numbers measure overhead and correctness, not GPU speed.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;
use strider::{s, Array, DType, Device};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

struct Sizes {
    chain_ops: usize,
    chain_len: usize,
    transfer_elems: usize,
    side: usize,
    reps: usize,
}

impl Sizes {
    fn new(quick: bool) -> Sizes {
        if quick {
            Sizes {
                chain_ops: 200,
                chain_len: 1024,
                transfer_elems: 1 << 20,
                side: 1024,
                reps: 3,
            }
        } else {
            Sizes {
                chain_ops: 1000,
                chain_len: 1024,
                transfer_elems: 16 << 20,
                side: 4096,
                reps: 7,
            }
        }
    }
}

/// Deterministic f32 data in [0, 1) (a Weyl sequence, as in the other benches).
fn data(len: usize, seed: u64) -> Vec<f32> {
    (0..len as u64)
        .map(|i| ((i + seed).wrapping_mul(0x9E37_79B1) & 0xFFFF_FFFF) >> 8)
        .map(|v| v as f32 * (1.0 / 16_777_216.0))
        .collect()
}

/// Seconds of each repetition after one warm-up call.
fn time_reps(reps: usize, mut f: impl FnMut() -> Res<()>) -> Res<Vec<f64>> {
    f()?;
    let mut out = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        f()?;
        out.push(t.elapsed().as_secs_f64());
    }
    Ok(out)
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn gbs(bytes: usize, secs: f64) -> f64 {
    bytes as f64 / secs / 1e9
}

/// Waits for the work behind `x` by reading back its first element.
fn sync(x: &Array) -> Res<f32> {
    let one = x.ravel()?.slice(s![0..1])?.to_cpu()?;
    Ok(one.to_vec::<f32>()?[0])
}

/// `x = x + 1` `ops` times, reading back once at the end or after every op.
fn chain(x: &Array, ops: usize, read_each: bool) -> Res<Array> {
    let mut x = x.clone();
    for _ in 0..ops {
        x = x.add(1.0)?;
        if read_each {
            black_box(x.to_cpu()?);
        }
    }
    Ok(x.to_cpu()?)
}

struct Row {
    section: &'static str,
    what: String,
    value: String,
    note: String,
}

fn row(
    section: &'static str,
    what: impl Into<String>,
    value: String,
    note: impl Into<String>,
) -> Row {
    Row {
        section,
        what: what.into(),
        value,
        note: note.into(),
    }
}

fn main() -> Res<()> {
    let quick = std::env::args().skip(1).any(|a| a == "--quick");
    let sz = Sizes::new(quick);
    let dev = match Device::gpu() {
        Ok(d) => d,
        Err(e) => {
            println!("gpu bench skipped: no GPU adapter ({e})");
            println!("install mesa-vulkan-drivers for lavapipe, or run on a machine with a GPU");
            return Ok(());
        }
    };
    let info = dev
        .adapter_info()
        .ok_or("Device::gpu() returned a device without adapter info")?;
    println!(
        "adapter: {} ({}, driver {} {}, device type {}, software: {})",
        info.name, info.backend, info.driver, info.driver_info, info.device_type, info.is_software
    );
    if info.is_software {
        println!(
            "note: a software adapter runs kernels on the CPU; these numbers measure overhead and correctness, not GPU speed"
        );
    }
    let mut rows = Vec::new();

    // 1. A chain of small ops: one submission and one read-back, or a read-back per op.
    let n = sz.chain_len;
    let ops = sz.chain_ops;
    let x0 = Array::zeros(&[n], DType::F32)?.to_device(&dev)?;
    let mut batched_out = None;
    let batched = time_reps(sz.reps, || {
        batched_out = Some(chain(&x0, ops, false)?);
        Ok(())
    })?;
    let mut each_out = None;
    let each = time_reps(sz.reps, || {
        each_out = Some(chain(&x0, ops, true)?);
        Ok(())
    })?;
    let want = vec![ops as f32; n];
    for (name, out) in [("batched", &batched_out), ("read-each", &each_out)] {
        let got = out.as_ref().ok_or("chain did not run")?.to_vec::<f32>()?;
        if got != want {
            return Err(format!("{name} chain gave a wrong result").into());
        }
    }
    let per_op = |t: f64| t / ops as f64 * 1e6;
    let (b_us, e_us) = (per_op(median(&batched)), per_op(median(&each)));
    let chain_what = format!("{ops} x `x = x.add(1.0)` on {n} f32");
    rows.push(row(
        "chain",
        format!("{chain_what}, one submission, one read-back"),
        format!("{b_us:.1} us/op"),
        "results checked",
    ));
    rows.push(row(
        "chain",
        format!("{chain_what}, `to_cpu()` after every op"),
        format!("{e_us:.1} us/op"),
        "results checked",
    ));
    rows.push(row(
        "chain",
        "read-after-every-op / batched",
        format!("{:.1}x", e_us / b_us),
        "",
    ));

    // 2. Transfers against host memcpy.
    let tn = sz.transfer_elems;
    let tbytes = tn * 4;
    let mib = tbytes >> 20;
    let src = data(tn, 3);
    let mut dst = vec![0.0f32; tn];
    let memcpy = time_reps(sz.reps, || {
        dst.copy_from_slice(black_box(&src));
        black_box(&mut dst);
        Ok(())
    })?;
    let host = Array::from_vec(src.clone(), &[tn])?;
    let upload = time_reps(sz.reps, || {
        let g = host.to_device(&dev)?;
        black_box(sync(&g)?);
        Ok(())
    })?;
    let on_dev = host.to_device(&dev)?;
    sync(&on_dev)?;
    let mut back = None;
    let download = time_reps(sz.reps, || {
        back = Some(on_dev.to_cpu()?);
        Ok(())
    })?;
    if back.ok_or("download did not run")?.to_vec::<f32>()? != src {
        return Err("download gave different data".into());
    }
    let memcpy_gbs = gbs(tbytes, median(&memcpy));
    rows.push(row(
        "transfer",
        format!("host memcpy (`copy_from_slice`), {mib} MiB f32"),
        format!("{memcpy_gbs:.2} GB/s"),
        "bytes copied once",
    ));
    let up = gbs(tbytes, median(&upload));
    rows.push(row(
        "transfer",
        format!("upload `to_device`, {mib} MiB f32"),
        format!("{up:.2} GB/s"),
        format!(
            "{:.0}% of memcpy; includes a 1-element read-back to wait",
            up / memcpy_gbs * 100.0
        ),
    ));
    let down = gbs(tbytes, median(&download));
    rows.push(row(
        "transfer",
        format!("download `to_cpu`, {mib} MiB f32"),
        format!("{down:.2} GB/s"),
        format!("{:.0}% of memcpy; data checked", down / memcpy_gbs * 100.0),
    ));
    drop((dst, host, on_dev));

    // 3. Large elementwise ops, end to end.
    let side = sz.side;
    let en = side * side;
    let eb = en * 4;
    let a = Array::from_vec(data(en, 0), &[side, side])?.to_device(&dev)?;
    let b = Array::from_vec(data(en, 1_000_003), &[side, side])?.to_device(&dev)?;
    let out = Array::zeros(&[side, side], DType::F32)?.to_device(&dev)?;
    sync(&out)?;
    let shape = format!("{side}x{side} f32");
    let mut best = 0.0f64;
    let mut elementwise =
        |what: String, bytes: usize, f: &mut dyn FnMut() -> Res<f32>| -> Res<()> {
            let t = time_reps(sz.reps, || {
                black_box(f()?);
                Ok(())
            })?;
            let v = gbs(bytes, median(&t));
            best = best.max(v);
            rows.push(row(
                "elementwise",
                what,
                format!("{v:.2} GB/s"),
                format!("{:.1} ms median", median(&t) * 1e3),
            ));
            Ok(())
        };
    elementwise(
        format!("`a.add(&b)`, fresh result, {shape}"),
        3 * eb,
        &mut || sync(&a.add(&b)?),
    )?;
    elementwise(
        format!("`a.add_into(&b, &out)`, {shape}"),
        3 * eb,
        &mut || {
            a.add_into(&b, &out)?;
            sync(&out)
        },
    )?;
    // The same op with one element per invocation (no vec4 loads), on a
    // second device of the same adapter: the wide kernels' gain.
    let narrow_dev = Device::Gpu(strider::gpu::GpuDevice::new(strider::gpu::GpuOptions {
        wide_loads: false,
        ..Default::default()
    })?);
    let (na, nb) = (
        a.to_cpu()?.to_device(&narrow_dev)?,
        b.to_cpu()?.to_device(&narrow_dev)?,
    );
    let nout = out.to_cpu()?.to_device(&narrow_dev)?;
    elementwise(
        format!("`a.add_into(&b, &out)`, one element per invocation, {shape}"),
        3 * eb,
        &mut || {
            na.add_into(&nb, &nout)?;
            sync(&nout)
        },
    )?;
    elementwise(format!("`a.multiply(2.0)`, {shape}"), 2 * eb, &mut || {
        sync(&a.multiply(2.0)?)
    })?;
    elementwise(format!("`a.add(&b.t())`, {shape}"), 3 * eb, &mut || {
        sync(&a.add(&b.t())?)
    })?;
    // The read-back that ends each row above costs a round trip, which on a
    // real GPU is comparable to the kernel itself: the same op 20 times,
    // then one read-back, shows the kernels' own rate.
    const BURST: usize = 20;
    elementwise(
        format!("`a.add_into(&b, &out)` x {BURST}, one read-back, {shape}"),
        BURST * 3 * eb,
        &mut || {
            for _ in 0..BURST {
                a.add_into(&b, &out)?;
            }
            sync(&out)
        },
    )?;
    // Spot-check the answers against the CPU once.
    let (ha, hb) = (a.to_cpu()?, b.to_cpu()?);
    for (name, g, c) in [
        ("add", a.add(&b)?, ha.add(&hb)?),
        (
            "add_into, one element per invocation",
            nout.clone(),
            ha.add(&hb)?,
        ),
        ("multiply", a.multiply(2.0)?, ha.multiply(2.0)?),
        ("add transposed", a.add(&b.t())?, ha.add(&hb.t())?),
    ] {
        if g.to_cpu()?.to_vec::<f32>()? != c.to_vec::<f32>()? {
            return Err(format!("GPU {name} differs from the CPU").into());
        }
    }
    // The card's memory bandwidth, from its specification (wgpu cannot
    // read it): STRIDER_GPU_BANDWIDTH_GBS=3350 for an H100 SXM, say.
    let spec: Option<f64> = std::env::var("STRIDER_GPU_BANDWIDTH_GBS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|v: &f64| *v > 0.0);
    let verdict = match spec {
        Some(bw) => format!(
            "{:.0}% of the {bw:.0} GB/s given in STRIDER_GPU_BANDWIDTH_GBS; goal >= 80%: {}",
            best / bw * 100.0,
            if best >= 0.8 * bw { "met" } else { "not met" }
        ),
        None => "goal on a real GPU: >= 80% of the card's memory bandwidth \
                 (set STRIDER_GPU_BANDWIDTH_GBS to the card's figure for the ratio)"
            .to_string(),
    };
    rows.push(row(
        "elementwise",
        "best of the rows above",
        format!("{best:.2} GB/s"),
        verdict,
    ));

    // The report.
    let mut md = String::new();
    writeln!(
        md,
        "# strider GPU bench{}\n",
        if quick { " (--quick)" } else { "" }
    )?;
    writeln!(
        md,
        "Adapter: **{}** ({}, driver {} {}, device type {}); software adapter: **{}**.\n",
        info.name,
        info.backend,
        info.driver,
        info.driver_info,
        info.device_type,
        if info.is_software { "yes" } else { "no" }
    )?;
    if info.is_software {
        writeln!(
            md,
            "A software adapter runs kernels on the CPU: these numbers measure overhead and correctness, never GPU speed.\n"
        )?;
    }
    writeln!(
        md,
        "Median of {} repetitions after one warm-up. Elementwise rows are end to end: the op plus a read-back of one element to wait for it (nothing subtracted). Bytes = operand bytes read + result bytes written.\n",
        sz.reps
    )?;
    writeln!(md, "| part | what | result | note |")?;
    writeln!(md, "| --- | --- | ---: | --- |")?;
    for r in &rows {
        writeln!(
            md,
            "| {} | {} | {} | {} |",
            r.section, r.what, r.value, r.note
        )?;
    }
    writeln!(
        md,
        "\nOn a real GPU the goal for large elementwise ops is >= 80% of the card's memory bandwidth; achieved here: **{best:.2} GB/s** (best elementwise row). Compare it with the card's specification."
    )?;
    print!("\n{md}");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-results");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("gpu.md");
    std::fs::write(&path, &md)?;
    println!("\nwritten to {}", path.display());
    Ok(())
}
