//! Cross-backend benchmark runner (issue 5): every op family, over a range of
//! sizes, on every backend present, against the host's memory bandwidth
//! measured in the same run.
//!
//! ```text
//! cargo bench --bench cross_backend                       # full run, 2^12 .. 2^24 f32
//! cargo bench --bench cross_backend -- --quick            # fewer, smaller sizes (about a minute)
//! cargo bench --bench cross_backend -- --plot-out a.svg   # also write the plot to a.svg
//! ```
//!
//! Families (f32, `a` and `b` of shape `rows x cols`, `row` of shape `cols`):
//! elementwise `a + b`, broadcast `a + row`, strided view
//! `a[:, ::2] + b[:, ::2]`, reduction `a.sum()`, materialising copy
//! `a.t().to_contiguous()`, and transfer (`to_device` then `to_cpu`, GPU only).
//!
//! Backends: `cpu-1t` (inside a one-thread rayon pool), `cpu-all` (rayon's
//! global pool), and when `Device::gpu()` succeeds `gpu-kernel` (inputs already
//! on the device; the op plus a one-element read-back to wait for it) and
//! `gpu-e2e` (upload of the inputs, the op, download of the whole result).
//!
//! Method: one warm-up call, then repetitions until both a minimum count and a
//! time budget are reached (or a maximum count); the median is reported.
//! Bytes are operand bytes read plus result bytes written (transfer: bytes
//! uploaded plus bytes downloaded), the same count for every backend. The host
//! bandwidth is a STREAM-style copy `a[i] = b[i]` over 64 MiB in plain Rust
//! (2 x 64 MiB moved), on one thread and on all threads; percentages are of
//! the better of the two. Nothing here asserts anything about speed.
//!
//! Fusion (issue 10): the 10-op chain of the compare bench,
//! `((a*1.5 + b) * (a - 0.5) / (b + 2) - a*b + 3) * 0.25`, as one expression
//! and one eager op at a time, on `cpu-all` and `gpu-kernel` at one size
//! (2^20, `--quick` 2^16): median times and the launches each makes (CPU
//! passes from `strider::cpu::passes`, GPU dispatches).
//!
//! Output: one progress line per measurement on stderr, a markdown table on
//! stdout, and `target/bench-results/cross_backend.{json,md,svg}`.

use serde_json::{json, Value};
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use strider::{s, Array, Axes, Device};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Family {
    Elementwise,
    Broadcast,
    Strided,
    Reduction,
    Copy,
    Transfer,
}

const FAMILIES: [Family; 6] = [
    Family::Elementwise,
    Family::Broadcast,
    Family::Strided,
    Family::Reduction,
    Family::Copy,
    Family::Transfer,
];

impl Family {
    fn name(self) -> &'static str {
        match self {
            Family::Elementwise => "elementwise",
            Family::Broadcast => "broadcast",
            Family::Strided => "strided",
            Family::Reduction => "reduction",
            Family::Copy => "copy",
            Family::Transfer => "transfer",
        }
    }

    fn expr(self) -> &'static str {
        match self {
            Family::Elementwise => "a + b",
            Family::Broadcast => "a + row",
            Family::Strided => "a[:, ::2] + b[:, ::2]",
            Family::Reduction => "a.sum()",
            Family::Copy => "a.t().to_contiguous()",
            Family::Transfer => "to_device + to_cpu",
        }
    }

    /// Operand bytes read plus result bytes written, f32.
    fn bytes(self, n: usize, cols: usize) -> usize {
        match self {
            Family::Elementwise => 3 * n * 4,
            Family::Broadcast => (2 * n + cols) * 4,
            Family::Strided => 3 * (n / 2) * 4,
            Family::Reduction => n * 4 + 4,
            Family::Copy | Family::Transfer => 2 * n * 4,
        }
    }

    /// Which of `b` and `row` the family reads besides `a`.
    fn uses_b(self) -> bool {
        matches!(self, Family::Elementwise | Family::Strided)
    }

    fn uses_row(self) -> bool {
        self == Family::Broadcast
    }
}

const BACKENDS: [&str; 4] = ["cpu-1t", "cpu-all", "gpu-kernel", "gpu-e2e"];
const COLOURS: [&str; 4] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"];

struct Config {
    quick: bool,
    log2_sizes: Vec<u32>,
    min_reps: usize,
    max_reps: usize,
    budget: Duration,
}

impl Config {
    fn new(quick: bool) -> Config {
        if quick {
            Config {
                quick,
                log2_sizes: vec![12, 16, 20],
                min_reps: 3,
                max_reps: 15,
                budget: Duration::from_millis(60),
            }
        } else {
            Config {
                quick,
                log2_sizes: (12..=24).step_by(2).collect(),
                min_reps: 5,
                max_reps: 50,
                budget: Duration::from_millis(300),
            }
        }
    }
}

struct Row {
    family: Family,
    backend: &'static str,
    log2: u32,
    elems: usize,
    bytes: usize,
    median_s: f64,
    reps: usize,
    gbs: f64,
    pct: f64,
}

/// Deterministic f32 data in [0, 1) (a Weyl sequence, as in the other benches).
fn data(len: usize, seed: u64) -> Vec<f32> {
    (0..len as u64)
        .map(|i| ((i + seed).wrapping_mul(0x9E37_79B1) & 0xFFFF_FFFF) >> 8)
        .map(|v| v as f32 * (1.0 / 16_777_216.0))
        .collect()
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

/// Median seconds and the number of repetitions, after one warm-up call.
fn measure(cfg: &Config, mut f: impl FnMut() -> Res<()>) -> Res<(f64, usize)> {
    f()?;
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < cfg.min_reps || (times.len() < cfg.max_reps && start.elapsed() < cfg.budget)
    {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64());
    }
    Ok((median(&times), times.len()))
}

/// Host memory bandwidth in GB/s: STREAM copy `a[i] = b[i]` over 64 MiB,
/// counted as 2 x 64 MiB moved, on `threads` threads (median of 9).
fn stream_copy(threads: usize) -> f64 {
    let n = 16 << 20;
    let src = data(n, 7);
    let mut dst = vec![0.0f32; n];
    let chunk = n.div_ceil(threads);
    let mut times = Vec::new();
    for rep in 0..10 {
        let t = Instant::now();
        std::thread::scope(|sc| {
            for (d, s) in dst.chunks_mut(chunk).zip(src.chunks(chunk)) {
                sc.spawn(move || {
                    for (x, y) in d.iter_mut().zip(s) {
                        *x = *y;
                    }
                    black_box(d);
                });
            }
        });
        if rep > 0 {
            times.push(t.elapsed().as_secs_f64());
        }
    }
    black_box(&dst);
    (2 * n * 4) as f64 / median(&times) / 1e9
}

/// The op of a family on `a`, `b`, `row` (wherever they live).
fn apply(fam: Family, a: &Array, b: &Array, row: &Array) -> Res<Array> {
    Ok(match fam {
        Family::Elementwise => a.add(b)?,
        Family::Broadcast => a.add(row)?,
        Family::Strided => a.slice(s![.., ..;2])?.add(&b.slice(s![.., ..;2])?)?,
        Family::Reduction => a.sum(Axes::All)?,
        Family::Copy => a.t().to_contiguous()?,
        Family::Transfer => a.clone(),
    })
}

/// The 10-op chain as one expression.
fn chain_fused(a: &Array, b: &Array) -> strider::Result<Array> {
    (((((a.expr() * 1.5 + b) * (a.expr() - 0.5)) / (b.expr() + 2.0) - a * b.expr()) + 3.0) * 0.25)
        .eval()
}

/// The same chain, one eager op at a time.
fn chain_eager(a: &Array, b: &Array) -> strider::Result<Array> {
    let l = ((&(a * 1.5)? + b)? * &(a - 0.5)?)?;
    let r = (&(&l / &(b + 2.0)?)? - &(a * b)?)?;
    &(&r + 3.0)? * 0.25
}

/// Kernel launches so far on `d` (CPU: passes on this thread).
fn launches(d: &Device) -> u64 {
    match d {
        Device::Gpu(g) => g.dispatches(),
        _ => strider::cpu::passes(),
    }
}

/// One fusion measurement: the chain fused and eager on one backend.
struct FusionRow {
    backend: &'static str,
    log2: u32,
    fused_s: f64,
    eager_s: f64,
    fused_launches: u64,
    eager_launches: u64,
}

/// Measures the chain fused and eager on `a` and `b` (on one device),
/// checking first that both give the same values.
fn fusion(cfg: &Config, backend: &'static str, a: &Array, b: &Array) -> Res<FusionRow> {
    let d = a.device();
    let (f, e) = (chain_fused(a, b)?, chain_eager(a, b)?);
    if f.to_cpu()?.to_vec::<f32>()? != e.to_cpu()?.to_vec::<f32>()? {
        return Err(format!("{backend}: the fused chain differs from the eager one").into());
    }
    let count = |run: &dyn Fn() -> strider::Result<Array>| -> Res<u64> {
        let before = launches(&d);
        let r = run()?;
        let n = launches(&d) - before;
        sync(&r)?;
        Ok(n)
    };
    let fused_launches = count(&|| chain_fused(a, b))?;
    let eager_launches = count(&|| chain_eager(a, b))?;
    let fused = measure(cfg, || {
        black_box(sync(&chain_fused(a, b)?)?);
        Ok(())
    })?;
    let eager = measure(cfg, || {
        black_box(sync(&chain_eager(a, b)?)?);
        Ok(())
    })?;
    let log2 = a.size().trailing_zeros();
    eprintln!(
        "fusion      {backend:<10} 2^{log2:<2} fused {} in {fused_launches} launches, eager {} in {eager_launches}",
        human_time(fused.0),
        human_time(eager.0)
    );
    Ok(FusionRow {
        backend,
        log2,
        fused_s: fused.0,
        eager_s: eager.0,
        fused_launches,
        eager_launches,
    })
}

/// Waits for the work behind `x` by reading back its first element.
fn sync(x: &Array) -> Res<f32> {
    let one = x.ravel()?.slice(s![0..1])?.to_cpu()?;
    Ok(one.to_vec::<f32>()?[0])
}

fn human_time(s: f64) -> String {
    if s < 1e-3 {
        format!("{:.1} us", s * 1e6)
    } else if s < 1.0 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let plot_out = args
        .iter()
        .position(|a| a == "--plot-out")
        .map(|i| args.get(i + 1).cloned().ok_or("--plot-out needs a PATH"))
        .transpose()?;
    let cfg = Config::new(quick);
    let threads = rayon::current_num_threads();
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;

    eprintln!("measuring host memory bandwidth (STREAM copy, 64 MiB) ...");
    let bw1 = stream_copy(1);
    let bw_all = stream_copy(threads);
    let host_bw = bw1.max(bw_all);
    eprintln!("host bandwidth: {bw1:.2} GB/s on 1 thread, {bw_all:.2} GB/s on {threads} threads");

    let gpu = match Device::gpu() {
        Ok(d) => Some(d),
        Err(e) => {
            eprintln!("no GPU adapter ({e}); measuring the CPU only");
            None
        }
    };
    let adapter = gpu.as_ref().and_then(|d| d.adapter_info());
    let adapter_desc = adapter.as_ref().map(|i| {
        format!(
            "{} ({}, driver {} {}, software: {})",
            i.name, i.backend, i.driver, i.driver_info, i.is_software
        )
    });
    if let Some(d) = &adapter_desc {
        eprintln!("GPU adapter: {d}");
    }

    let mut rows: Vec<Row> = Vec::new();
    let mut record =
        |fam: Family, backend: &'static str, log2: u32, cols: usize, m: (f64, usize)| {
            let elems = 1usize << log2;
            let bytes = fam.bytes(elems, cols);
            let gbs = bytes as f64 / m.0 / 1e9;
            let pct = gbs / host_bw * 100.0;
            eprintln!(
                "{:<11} {:<10} 2^{log2:<2} {:>10}  {:>8.2} GB/s  {:>5.1}%  ({} reps)",
                fam.name(),
                backend,
                human_time(m.0),
                gbs,
                pct,
                m.1
            );
            rows.push(Row {
                family: fam,
                backend,
                log2,
                elems,
                bytes,
                median_s: m.0,
                reps: m.1,
                gbs,
                pct,
            });
        };

    for &log2 in &cfg.log2_sizes {
        let n = 1usize << log2;
        let cols = 1usize << log2.div_ceil(2);
        let rws = n / cols;
        let a = Array::from_vec(data(n, 0), &[rws, cols])?;
        let b = Array::from_vec(data(n, 1_000_003), &[rws, cols])?;
        let row = Array::from_vec(data(cols, 77), &[cols])?;
        let dev_inputs = match &gpu {
            Some(d) => {
                let (da, db, dr) = (a.to_device(d)?, b.to_device(d)?, row.to_device(d)?);
                sync(&da)?;
                sync(&db)?;
                sync(&dr)?;
                Some((d, da, db, dr))
            }
            None => None,
        };
        for fam in FAMILIES {
            if fam != Family::Transfer {
                let job = || -> Res<()> {
                    black_box(apply(fam, &a, &b, &row)?);
                    Ok(())
                };
                let m = one_thread.install(|| measure(&cfg, job))?;
                record(fam, "cpu-1t", log2, cols, m);
                let m = measure(&cfg, job)?;
                record(fam, "cpu-all", log2, cols, m);
            }
            let Some((d, da, db, dr)) = &dev_inputs else {
                continue;
            };
            if fam != Family::Transfer {
                // Spot-check the device against the CPU once, at the smallest size.
                if log2 == cfg.log2_sizes[0] {
                    let g = apply(fam, da, db, dr)?.to_cpu()?.to_vec::<f32>()?;
                    let c = apply(fam, &a, &b, &row)?.to_vec::<f32>()?;
                    let close = g.len() == c.len()
                        && g.iter()
                            .zip(&c)
                            .all(|(x, y)| (x - y).abs() <= 1e-4 * y.abs().max(1.0));
                    if !close {
                        return Err(format!("GPU {} differs from the CPU", fam.name()).into());
                    }
                }
                let m = measure(&cfg, || {
                    black_box(sync(&apply(fam, da, db, dr)?)?);
                    Ok(())
                })?;
                record(fam, "gpu-kernel", log2, cols, m);
            }
            let m = measure(&cfg, || {
                let ga = a.to_device(d)?;
                let gb = if fam.uses_b() {
                    b.to_device(d)?
                } else {
                    db.clone()
                };
                let gr = if fam.uses_row() {
                    row.to_device(d)?
                } else {
                    dr.clone()
                };
                black_box(apply(fam, &ga, &gb, &gr)?.to_cpu()?);
                Ok(())
            })?;
            record(fam, "gpu-e2e", log2, cols, m);
        }
    }

    let mut fusion_rows = Vec::new();
    {
        let log2 = if quick { 16 } else { 20 };
        let n = 1usize << log2;
        let a = Array::from_vec(data(n, 5), &[n])?;
        let b = Array::from_vec(data(n, 9), &[n])?;
        fusion_rows.push(fusion(&cfg, "cpu-all", &a, &b)?);
        if let Some(d) = &gpu {
            let (da, db) = (a.to_device(d)?, b.to_device(d)?);
            fusion_rows.push(fusion(&cfg, "gpu-kernel", &da, &db)?);
        }
    }

    // The report: markdown, JSON, SVG.
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let mut md = String::new();
    writeln!(
        md,
        "# strider cross-backend bench{}\n",
        if quick { " (--quick)" } else { "" }
    )?;
    writeln!(md, "CPU: **{cpu_model}**, {threads} rayon threads.  ")?;
    match &adapter_desc {
        Some(d) => writeln!(md, "GPU adapter: **{d}**.\n")?,
        None => writeln!(md, "GPU: none (no adapter).\n")?,
    }
    if adapter.as_ref().is_some_and(|i| i.is_software) {
        writeln!(
            md,
            "A software adapter runs kernels on the CPU: the GPU rows measure overhead, not GPU speed.\n"
        )?;
    }
    writeln!(
        md,
        "Host bandwidth (STREAM copy `a[i] = b[i]`, 64 MiB, 2 x 64 MiB moved): **{bw1:.2} GB/s** on 1 thread, **{bw_all:.2} GB/s** on {threads} threads; \"% BW\" is of {host_bw:.2} GB/s.\n"
    )?;
    writeln!(
        md,
        "Median after one warm-up, at least {} repetitions. GB/s = (operand bytes read + result bytes written) / median time, f32.\n",
        cfg.min_reps
    )?;
    writeln!(
        md,
        "| family | op | backend | elements | median | GB/s | % BW |"
    )?;
    writeln!(md, "| --- | --- | --- | ---: | ---: | ---: | ---: |")?;
    for r in &rows {
        writeln!(
            md,
            "| {} | `{}` | {} | 2^{} | {} | {:.2} | {:.1} |",
            r.family.name(),
            r.family.expr(),
            r.backend,
            r.log2,
            human_time(r.median_s),
            r.gbs,
            r.pct
        )?;
    }
    writeln!(
        md,
        "\nFusion: `((a*1.5 + b) * (a - 0.5) / (b + 2) - a*b + 3) * 0.25`, f32, as one expression and one eager op at a time.\n"
    )?;
    writeln!(
        md,
        "| backend | elements | fused | eager | speed-up | launches fused | launches eager |"
    )?;
    writeln!(md, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")?;
    for r in &fusion_rows {
        writeln!(
            md,
            "| {} | 2^{} | {} | {} | {:.2} x | {} | {} |",
            r.backend,
            r.log2,
            human_time(r.fused_s),
            human_time(r.eager_s),
            r.eager_s / r.fused_s,
            r.fused_launches,
            r.eager_launches
        )?;
    }
    print!("\n{md}");

    let json: Value = json!({
        "quick": quick,
        "cpu": cpu_model,
        "threads": threads,
        "gpu_adapter": adapter_desc,
        "gpu_is_software": adapter.as_ref().map(|i| i.is_software),
        "host_bandwidth_gbs": { "one_thread": bw1, "all_threads": bw_all, "reference": host_bw },
        "min_reps": cfg.min_reps,
        "results": rows.iter().map(|r| json!({
            "family": r.family.name(),
            "op": r.family.expr(),
            "backend": r.backend,
            "log2_elems": r.log2,
            "elems": r.elems,
            "bytes": r.bytes,
            "median_s": r.median_s,
            "reps": r.reps,
            "gbs": r.gbs,
            "pct_of_host_bandwidth": r.pct,
        })).collect::<Vec<_>>(),
        "fusion": fusion_rows.iter().map(|r| json!({
            "backend": r.backend,
            "log2_elems": r.log2,
            "fused_median_s": r.fused_s,
            "eager_median_s": r.eager_s,
            "fused_launches": r.fused_launches,
            "eager_launches": r.eager_launches,
        })).collect::<Vec<_>>(),
    });

    let svg = plot(&rows, &cfg, host_bw, &cpu_model, adapter_desc.as_deref())?;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-results");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("cross_backend.md"), &md)?;
    std::fs::write(
        dir.join("cross_backend.json"),
        serde_json::to_string_pretty(&json)?,
    )?;
    std::fs::write(dir.join("cross_backend.svg"), &svg)?;
    println!(
        "\nwritten to {}/cross_backend.{{md,json,svg}}",
        dir.display()
    );
    if let Some(p) = plot_out {
        std::fs::write(&p, &svg)?;
        println!("plot also written to {p}");
    }
    Ok(())
}

/// Escapes text for SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A "nice" axis maximum (1, 2 or 5 times a power of ten) at or above `v`.
fn nice_max(v: f64) -> f64 {
    let v = v.max(1e-9);
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|&m| m >= v)
        .unwrap_or(10.0 * p)
}

/// GB/s against log2(elements): one panel per family, one line per backend,
/// the host bandwidth as a dashed line.
fn plot(rows: &[Row], cfg: &Config, host_bw: f64, cpu: &str, gpu: Option<&str>) -> Res<String> {
    let (pw, ph) = (380.0, 250.0);
    let (ml, mr, mt, mb) = (55.0, 15.0, 30.0, 40.0);
    let (ncols, top) = (3usize, 60.0);
    let legend_h = 30.0;
    let width = ncols as f64 * pw;
    let nrows = FAMILIES.len().div_ceil(ncols);
    let height = top + nrows as f64 * ph + legend_h;
    let (x0, x1) = (
        *cfg.log2_sizes.first().ok_or("no sizes")? as f64,
        *cfg.log2_sizes.last().ok_or("no sizes")? as f64,
    );
    let xspan = (x1 - x0).max(1.0);

    let mut o = String::new();
    writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    )?;
    writeln!(o, r#"<rect width="100%" height="100%" fill="white"/>"#)?;
    writeln!(
        o,
        r#"<text x="{}" y="20" text-anchor="middle" font-size="15">strider: GB/s against size (f32, operand + result bytes){}</text>"#,
        width / 2.0,
        if cfg.quick { " --quick" } else { "" }
    )?;
    writeln!(
        o,
        r##"<text x="{}" y="40" text-anchor="middle" font-size="11" fill="#555">{}; GPU: {}; dashed: host STREAM copy {host_bw:.1} GB/s</text>"##,
        width / 2.0,
        esc(cpu),
        esc(gpu.unwrap_or("none"))
    )?;
    for (fi, fam) in FAMILIES.iter().enumerate() {
        let px = (fi % ncols) as f64 * pw;
        let py = top + (fi / ncols) as f64 * ph;
        let (l, r, t, b) = (px + ml, px + pw - mr, py + mt, py + ph - mb);
        let fam_rows: Vec<&Row> = rows.iter().filter(|r| r.family == *fam).collect();
        let ymax = nice_max(fam_rows.iter().map(|r| r.gbs).fold(host_bw, f64::max) * 1.05);
        let sx = |x: f64| l + (x - x0) / xspan * (r - l);
        let sy = |y: f64| b - y / ymax * (b - t);
        writeln!(
            o,
            r#"<text x="{}" y="{}" text-anchor="middle" font-size="13">{}: {}</text>"#,
            (l + r) / 2.0,
            py + 18.0,
            fam.name(),
            esc(fam.expr())
        )?;
        writeln!(
            o,
            r##"<rect x="{l}" y="{t}" width="{}" height="{}" fill="none" stroke="#999"/>"##,
            r - l,
            b - t
        )?;
        for k in 0..=4 {
            let v = ymax * k as f64 / 4.0;
            let y = sy(v);
            writeln!(
                o,
                r##"<line x1="{l}" y1="{y:.1}" x2="{r}" y2="{y:.1}" stroke="#eee"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
                l - 4.0,
                y + 4.0,
                if ymax < 5.0 {
                    format!("{v:.2}")
                } else {
                    format!("{v:.0}")
                }
            )?;
        }
        for &lg in &cfg.log2_sizes {
            let x = sx(lg as f64);
            writeln!(
                o,
                r##"<line x1="{x:.1}" y1="{b}" x2="{x:.1}" y2="{}" stroke="#999"/><text x="{x:.1}" y="{}" text-anchor="middle">2^{lg}</text>"##,
                b + 4.0,
                b + 16.0
            )?;
        }
        writeln!(
            o,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="#555">elements (log2)</text>"##,
            (l + r) / 2.0,
            b + 32.0
        )?;
        writeln!(
            o,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="#555" transform="rotate(-90 {} {})">GB/s</text>"##,
            px + 14.0,
            (t + b) / 2.0,
            px + 14.0,
            (t + b) / 2.0
        )?;
        let hy = sy(host_bw);
        writeln!(
            o,
            r##"<line x1="{l}" y1="{hy:.1}" x2="{r}" y2="{hy:.1}" stroke="#444" stroke-dasharray="5,4"/>"##
        )?;
        for (bi, be) in BACKENDS.iter().enumerate() {
            let pts: Vec<(f64, f64)> = fam_rows
                .iter()
                .filter(|r| r.backend == *be)
                .map(|r| (sx(r.log2 as f64), sy(r.gbs)))
                .collect();
            if pts.is_empty() {
                continue;
            }
            let path: Vec<String> = pts.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
            writeln!(
                o,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
                path.join(" "),
                COLOURS[bi]
            )?;
            for (x, y) in &pts {
                writeln!(
                    o,
                    r#"<circle cx="{x:.1}" cy="{y:.1}" r="2.5" fill="{}"/>"#,
                    COLOURS[bi]
                )?;
            }
        }
    }
    let ly = height - legend_h / 2.0;
    for (bi, be) in BACKENDS.iter().enumerate() {
        let lx = 40.0 + bi as f64 * 180.0;
        writeln!(
            o,
            r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{}" stroke-width="3"/><text x="{}" y="{}">{be}</text>"#,
            lx + 25.0,
            COLOURS[bi],
            lx + 30.0,
            ly + 4.0
        )?;
    }
    let lx = 40.0 + BACKENDS.len() as f64 * 180.0;
    writeln!(
        o,
        r##"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="#444" stroke-dasharray="5,4"/><text x="{}" y="{}">host bandwidth</text>"##,
        lx + 25.0,
        lx + 30.0,
        ly + 4.0
    )?;
    writeln!(o, "</svg>")?;
    Ok(o)
}
