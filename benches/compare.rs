//! The comparison run of issue 3: this machine's memory bandwidth, strider
//! and NumPy, measured side by side in one process session.
//!
//! ```text
//! cargo bench --bench compare                 # the full run (16M elements, 4096 x 4096)
//! cargo bench --bench compare -- --quick      # a smoke run for CI (1M elements, few reps)
//! cargo bench --bench compare -- --markdown PATH --json PATH --no-numpy --python EXE
//! ```
//!
//! What it does, in order:
//!
//! 1. STREAM-style copy (`a[i] = b[i]`) and add (`a[i] = b[i] + c[i]`) on f32,
//!    written in plain Rust, on 1 thread and on all threads.
//! 2. strider on every row of the Goals table of issue 3 (f32 unless named).
//! 3. NumPy on the same rows, through `benches/numpy_compare.py` in a
//!    subprocess (skipped with a note when `import numpy` fails).
//! 4. STREAM add on all threads once more, to show how much the machine
//!    drifted during the run.
//!
//! Bytes are counted as NumPy users count them: the bytes of every operand
//! read plus the bytes of the result written (no write-allocate traffic, no
//! temporaries). Every time is the median of several repetitions after one
//! warm-up call. The data are the same in both languages: element `i` of an
//! array with seed `s` is `((i + s) * 0x9E3779B1 mod 2^32) >> 8` scaled by
//! `2^-24` (f32, exact) or the 32-bit value scaled by `2^-32` (f64, exact),
//! so sums have exact references computed with integers.
//!
//! Speed is measured here and never asserted: the run prints a table and
//! writes it as markdown and JSON (default `target/bench-results/compare.md`
//! and `.json`).

use serde_json::{json, Value};
use std::error::Error;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;
use strider::half::f16;
use strider::{s, Array, Axes, DType, UnaryOp};

const USAGE: &str = "\
usage: cargo bench --bench compare -- [--quick] [--markdown PATH] [--json PATH]
                                      [--no-numpy] [--python EXE]
  --quick          small sizes (1024 x 1024) and few repetitions, for CI
  --markdown PATH  where to write the markdown table (default target/bench-results/compare.md)
  --json PATH      where to write the JSON results (default target/bench-results/compare.json)
  --no-numpy       skip the NumPy subprocess
  --python EXE     the Python interpreter for the NumPy side (default $STRIDER_PYTHON or python3)";

/// Multiplier of the Weyl sequence that makes the test data.
const WEYL: u64 = 0x9E37_79B1;
const SEED_A: u64 = 0;
const SEED_B: u64 = 1_000_003;
const SEED_COL: u64 = 2_000_003;
const SEED_ROW: u64 = 3_000_017;
/// Environment variables removed from the NumPy subprocess only: set for
/// other tools on some machines, they slow a current NumPy's OpenBLAS down.
const NUMPY_ENV_REMOVED: [&str; 2] = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"];

// ----- options ---------------------------------------------------------------

struct Opts {
    quick: bool,
    markdown: PathBuf,
    json: PathBuf,
    numpy: bool,
    python: String,
}

fn parse_args() -> Result<Opts, String> {
    let results = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-results");
    let mut opts = Opts {
        quick: false,
        markdown: results.join("compare.md"),
        json: results.join("compare.json"),
        numpy: true,
        python: std::env::var("STRIDER_PYTHON").unwrap_or_else(|_| "python3".to_string()),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            // `cargo bench` passes `--bench` to every harness = false target.
            "--bench" => {}
            "--quick" => opts.quick = true,
            "--markdown" => opts.markdown = value("--markdown")?.into(),
            "--json" => opts.json = value("--json")?.into(),
            "--no-numpy" => opts.numpy = false,
            "--python" => opts.python = value("--python")?,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown option {other:?}\n{USAGE}")),
        }
    }
    Ok(opts)
}

/// Sizes and repetition policy of a run.
#[derive(Clone, Copy, Debug)]
struct Config {
    rows: usize,
    cols: usize,
    /// Length of the arrays of the per-call rows.
    small: usize,
    /// Calls per sample in the per-call rows.
    calls: usize,
    min_reps: usize,
    max_reps: usize,
    /// Seconds: repeat past `min_reps` until this much time has passed.
    min_time: f64,
}

impl Config {
    fn full() -> Config {
        Config {
            rows: 4096,
            cols: 4096,
            small: 1000,
            calls: 20_000,
            min_reps: 10,
            max_reps: 40,
            min_time: 1.0,
        }
    }

    fn quick() -> Config {
        Config {
            rows: 1024,
            cols: 1024,
            small: 1000,
            calls: 2_000,
            min_reps: 3,
            max_reps: 5,
            min_time: 0.02,
        }
    }

    fn n(&self) -> usize {
        self.rows * self.cols
    }
}

// ----- timing ----------------------------------------------------------------

/// Seconds per repetition (per call for the per-call rows).
#[derive(Clone, Copy, Debug)]
struct Timing {
    median: f64,
    min: f64,
    reps: usize,
}

impl Timing {
    fn from_samples(mut samples: Vec<f64>) -> Timing {
        samples.sort_by(f64::total_cmp);
        let k = samples.len();
        let median = if k % 2 == 1 {
            samples[k / 2]
        } else {
            (samples[k / 2 - 1] + samples[k / 2]) / 2.0
        };
        Timing {
            median,
            min: samples[0],
            reps: k,
        }
    }

    fn from_json(v: &Value) -> Option<Timing> {
        Some(Timing {
            median: v.get("median_s")?.as_f64()?,
            min: v.get("min_s")?.as_f64()?,
            reps: v.get("reps")?.as_u64()? as usize,
        })
    }
}

/// One warm-up call, then repetitions until both `min_reps` and `min_time`
/// are reached (at most `max_reps`); `calls` calls of `f` per repetition.
fn measure(cfg: &Config, calls: usize, mut f: impl FnMut()) -> Timing {
    for _ in 0..calls {
        f();
    }
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < cfg.min_reps
        || (samples.len() < cfg.max_reps && start.elapsed().as_secs_f64() < cfg.min_time)
    {
        let t = Instant::now();
        for _ in 0..calls {
            f();
        }
        samples.push(t.elapsed().as_secs_f64() / calls as f64);
    }
    Timing::from_samples(samples)
}

// ----- data --------------------------------------------------------------------

/// The 32-bit integer behind element `i` of the array with seed `seed`.
fn bits(i: usize, seed: u64) -> u64 {
    (i as u64).wrapping_add(seed).wrapping_mul(WEYL) & 0xFFFF_FFFF
}

/// f32 data in [0, 1): 24-bit integers times 2^-24, exact.
fn data_f32(n: usize, seed: u64) -> Vec<f32> {
    (0..n)
        .map(|i| (bits(i, seed) >> 8) as f32 * (1.0 / 16_777_216.0))
        .collect()
}

/// f64 data in [0, 1): 32-bit integers times 2^-32, exact.
fn data_f64(n: usize, seed: u64) -> Vec<f64> {
    (0..n)
        .map(|i| bits(i, seed) as f64 * (1.0 / 4_294_967_296.0))
        .collect()
}

fn rel_err(got: f64, exact: f64) -> f64 {
    (got - exact).abs() / exact.abs()
}

/// Exact sums of the f32 pattern (seed `seed`, shape rows x cols) over all
/// elements, over axis 0 and over axis 1, from integer sums.
fn exact_sums_f32(rows: usize, cols: usize, seed: u64) -> (f64, Vec<f64>, Vec<f64>) {
    let scale = 1.0 / 16_777_216.0;
    let mut col_sums = vec![0u64; cols];
    let mut row_sums = vec![0u64; rows];
    for (i, row_sum) in row_sums.iter_mut().enumerate() {
        for (j, col_sum) in col_sums.iter_mut().enumerate() {
            let v = bits(i * cols + j, seed) >> 8;
            *row_sum += v;
            *col_sum += v;
        }
    }
    let all: u64 = row_sums.iter().sum();
    let to_f = |v: &[u64]| v.iter().map(|&x| x as f64 * scale).collect();
    (all as f64 * scale, to_f(&col_sums), to_f(&row_sums))
}

fn max_rel_err(got: &[f32], exact: &[f64]) -> f64 {
    got.iter()
        .zip(exact)
        .map(|(&g, &e)| rel_err(g as f64, e))
        .fold(0.0, f64::max)
}

// ----- STREAM --------------------------------------------------------------------

fn copy_kernel(dst: &mut [f32], src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
}

fn add_kernel(dst: &mut [f32], b: &[f32], c: &[f32]) {
    for ((d, x), y) in dst.iter_mut().zip(b).zip(c) {
        *d = *x + *y;
    }
}

/// `dst[i] = src[i]` on `threads` threads, one contiguous chunk each.
fn stream_copy(dst: &mut [f32], src: &[f32], threads: usize) {
    if threads <= 1 {
        return copy_kernel(dst, src);
    }
    let chunk = dst.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for (d, s) in dst.chunks_mut(chunk).zip(src.chunks(chunk)) {
            scope.spawn(move || copy_kernel(d, s));
        }
    });
}

/// `dst[i] = b[i] + c[i]` on `threads` threads, one contiguous chunk each.
fn stream_add(dst: &mut [f32], b: &[f32], c: &[f32], threads: usize) {
    if threads <= 1 {
        return add_kernel(dst, b, c);
    }
    let chunk = dst.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for ((d, x), y) in dst
            .chunks_mut(chunk)
            .zip(b.chunks(chunk))
            .zip(c.chunks(chunk))
        {
            scope.spawn(move || add_kernel(d, x, y));
        }
    });
}

struct Stream {
    copy_1: Timing,
    copy_all: Timing,
    add_1: Timing,
    add_all: Timing,
    /// Add into a freshly allocated `vec![0.0; n]` each call: what an
    /// allocating kernel pays for page faults on plain 4 KiB pages.
    fresh_1: Timing,
    fresh_all: Timing,
}

fn run_stream(cfg: &Config, threads: usize) -> Stream {
    let n = cfg.n();
    let b = data_f32(n, SEED_A);
    let c = data_f32(n, SEED_B);
    let mut a = vec![0.0f32; n];
    Stream {
        copy_1: measure(cfg, 1, || stream_copy(black_box(&mut a), black_box(&b), 1)),
        copy_all: measure(cfg, 1, || {
            stream_copy(black_box(&mut a), black_box(&b), threads)
        }),
        add_1: measure(cfg, 1, || {
            stream_add(black_box(&mut a), black_box(&b), black_box(&c), 1)
        }),
        add_all: measure(cfg, 1, || {
            stream_add(black_box(&mut a), black_box(&b), black_box(&c), threads)
        }),
        fresh_1: measure(cfg, 1, || {
            let mut fresh = vec![0.0f32; n];
            stream_add(black_box(&mut fresh), black_box(&b), black_box(&c), 1);
            drop(black_box(fresh));
        }),
        fresh_all: measure(cfg, 1, || {
            let mut fresh = vec![0.0f32; n];
            stream_add(black_box(&mut fresh), black_box(&b), black_box(&c), threads);
            drop(black_box(fresh));
        }),
    }
}

fn stream_add_all_again(cfg: &Config, threads: usize) -> Timing {
    let n = cfg.n();
    let b = data_f32(n, SEED_A);
    let c = data_f32(n, SEED_B);
    let mut a = vec![0.0f32; n];
    measure(cfg, 1, || {
        stream_add(black_box(&mut a), black_box(&b), black_box(&c), threads)
    })
}

// ----- the cases -------------------------------------------------------------------

/// What a row is measured against.
#[derive(Clone, Debug)]
enum Goal {
    /// Information only.
    None,
    /// GB/s at least this fraction of the all-threads STREAM add.
    Stream(f64),
    /// GB/s at least this many times NumPy's.
    Numpy(f64),
    /// Time per call at most NumPy's.
    PerCall,
    /// GB/s at least this fraction of another row's strider GB/s.
    OfCase(&'static str, f64),
}

impl Goal {
    fn text(&self) -> String {
        match self {
            Goal::None => "(info)".to_string(),
            Goal::Stream(f) => format!(">= {f} x STREAM add, all threads"),
            Goal::Numpy(x) => format!(">= {x} x NumPy"),
            Goal::PerCall => "<= NumPy's time per call".to_string(),
            Goal::OfCase(id, f) => format!(">= {f} x strider `{id}`"),
        }
    }
}

struct Case {
    id: &'static str,
    label: &'static str,
    /// Bytes moved per repetition as NumPy users count them.
    bytes: f64,
    per_call: bool,
    goal: Goal,
    strider: Timing,
    strider_err: Option<f64>,
    numpy: Option<Timing>,
    numpy_err: Option<f64>,
}

impl Case {
    fn new(id: &'static str, label: &'static str, bytes: usize, goal: Goal, t: Timing) -> Case {
        Case {
            id,
            label,
            bytes: bytes as f64,
            per_call: false,
            goal,
            strider: t,
            strider_err: None,
            numpy: None,
            numpy_err: None,
        }
    }

    fn per_call(mut self) -> Case {
        self.per_call = true;
        self
    }

    fn err(mut self, e: f64) -> Case {
        self.strider_err = Some(e);
        self
    }

    fn gbps(&self, t: &Timing) -> f64 {
        self.bytes / t.median / 1e9
    }

    /// Strider's speed over NumPy's (above 1: strider is faster).
    fn speedup(&self) -> Option<f64> {
        self.numpy.map(|np| np.median / self.strider.median)
    }
}

fn ok<T>(r: strider::Result<T>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

fn run_strider(cfg: &Config) -> Result<Vec<Case>, Box<dyn Error>> {
    let (rows, cols, n) = (cfg.rows, cfg.cols, cfg.n());
    let (f4, f8, f2) = (4, 8, 2);
    let mut cases = Vec::new();

    // f32, 2-D.
    {
        let a = Array::from_vec(data_f32(n, SEED_A), &[rows, cols])?;
        let b = Array::from_vec(data_f32(n, SEED_B), &[rows, cols])?;
        let out = Array::zeros(&[rows, cols], DType::F32)?;
        let col = Array::from_vec(data_f32(rows, SEED_COL), &[rows, 1])?;
        let row = Array::from_vec(data_f32(cols, SEED_ROW), &[1, cols])?;
        let bt = b.t();
        let at = a.t();
        let a2 = a.slice(s![.., ..;2])?;
        let b2 = b.slice(s![.., ..;2])?;
        let half = a2.size();

        let t = measure(cfg, 1, || ok(a.add_into(&b, &out)));
        cases.push(Case::new(
            "add_into",
            "`a + b` into an existing output (`add_into`)",
            3 * n * f4,
            Goal::Stream(0.85),
            t,
        ));
        let t = measure(cfg, 1, || drop(black_box(ok(&a + &b))));
        cases.push(Case::new(
            "add",
            "`a + b` allocating its result",
            3 * n * f4,
            Goal::Numpy(2.0),
            t,
        ));
        let t = measure(cfg, 1, || drop(black_box(ok(&a * 2.0 + &b))));
        cases.push(Case::new(
            "mul2_add",
            "`&a * 2.0 + &b` as written",
            3 * n * f4,
            Goal::Numpy(2.0),
            t,
        ));
        let t = measure(cfg, 1, || drop(black_box(ok(&a * 2.0))));
        cases.push(Case::new(
            "mul2",
            "`&a * 2.0` alone",
            2 * n * f4,
            Goal::None,
            t,
        ));
        let t = measure(cfg, 1, || drop(black_box(ok(&a + &bt))));
        cases.push(Case::new(
            "add_bt",
            "`a + b.t()`",
            3 * n * f4,
            Goal::Numpy(4.0),
            t,
        ));
        let t = measure(cfg, 1, || ok(a.add_into(&bt, &out)));
        cases.push(Case::new(
            "add_bt_into",
            "`a + b.t()` into an existing output",
            3 * n * f4,
            Goal::None,
            t,
        ));
        let t = measure(cfg, 1, || drop(black_box(ok(at.to_contiguous()))));
        cases.push(Case::new(
            "contig_at",
            "`a.t().to_contiguous()`",
            2 * n * f4,
            Goal::Numpy(5.0),
            t,
        ));
        let t = measure(cfg, 1, || drop(black_box(ok(&a + &col))));
        cases.push(Case::new(
            "add_col",
            "`a + col`, col (n, 1)",
            (2 * n + rows) * f4,
            Goal::Numpy(2.0),
            t,
        ));
        let t = measure(cfg, 1, || drop(black_box(ok(&a + &row))));
        cases.push(Case::new(
            "add_row",
            "`a + row`, row (1, n)",
            (2 * n + cols) * f4,
            Goal::Numpy(2.0),
            t,
        ));
        let t = measure(cfg, 1, || drop(black_box(ok(&a2 + &b2))));
        cases.push(Case::new(
            "add_strided",
            "`a[:, ::2] + b[:, ::2]`",
            3 * half * f4,
            Goal::Numpy(2.0),
            t,
        ));

        let (all, axis0, axis1) = exact_sums_f32(rows, cols, SEED_A);
        let t = measure(cfg, 1, || drop(black_box(ok(a.sum(Axes::All)))));
        let e = rel_err(ok(ok(a.sum(Axes::All)).item::<f32>()) as f64, all);
        cases.push(Case::new("sum_all", "sum over all", (n + 1) * f4, Goal::Numpy(1.5), t).err(e));
        let t = measure(cfg, 1, || drop(black_box(ok(a.sum(0)))));
        let e = max_rel_err(&ok(ok(a.sum(0)).to_vec::<f32>()), &axis0);
        cases.push(
            Case::new(
                "sum_axis0",
                "sum over axis 0",
                (n + cols) * f4,
                Goal::Numpy(1.5),
                t,
            )
            .err(e),
        );
        let t = measure(cfg, 1, || drop(black_box(ok(a.sum(1)))));
        let e = max_rel_err(&ok(ok(a.sum(1)).to_vec::<f32>()), &axis1);
        cases.push(
            Case::new(
                "sum_axis1",
                "sum over axis 1",
                (n + rows) * f4,
                Goal::Numpy(1.5),
                t,
            )
            .err(e),
        );

        let t = measure(cfg, 1, || drop(black_box(ok(a.exp()))));
        cases.push(Case::new(
            "exp",
            "`a.exp()`",
            2 * n * f4,
            Goal::Numpy(1.0),
            t,
        ));
        let t = measure(cfg, 1, || ok(a.unary_into(UnaryOp::Exp, &out)));
        cases.push(Case::new(
            "exp_into",
            "`a.exp()` into an existing output",
            2 * n * f4,
            Goal::None,
            t,
        ));
        let t = measure(cfg, 1, || drop(black_box(ok(a.sqrt()))));
        cases.push(Case::new(
            "sqrt",
            "`a.sqrt()`",
            2 * n * f4,
            Goal::Numpy(1.0),
            t,
        ));
        let t = measure(cfg, 1, || drop(black_box(ok(a.copy()))));
        cases.push(Case::new(
            "copy",
            "`a.copy()` (contiguous)",
            2 * n * f4,
            Goal::None,
            t,
        ));
    }

    // f64.
    {
        let a = Array::from_vec(data_f64(n, SEED_A), &[rows, cols])?;
        let b = Array::from_vec(data_f64(n, SEED_B), &[rows, cols])?;
        let out = Array::zeros(&[rows, cols], DType::F64)?;
        let t = measure(cfg, 1, || ok(a.add_into(&b, &out)));
        cases.push(Case::new(
            "f64_add_into",
            "f64 `a + b` into an existing output",
            3 * n * f8,
            Goal::Stream(0.85),
            t,
        ));
        let t = measure(cfg, 1, || drop(black_box(ok(&a + &b))));
        cases.push(Case::new(
            "f64_add",
            "f64 `a + b` allocating",
            3 * n * f8,
            Goal::Numpy(2.0),
            t,
        ));
        let exact: u64 = (0..n).map(|i| bits(i, SEED_A)).sum();
        let exact = exact as f64 * (1.0 / 4_294_967_296.0);
        let t = measure(cfg, 1, || drop(black_box(ok(a.sum(Axes::All)))));
        let e = rel_err(ok(ok(a.sum(Axes::All)).item::<f64>()), exact);
        cases.push(
            Case::new(
                "f64_sum_all",
                "f64 sum over all",
                (n + 1) * f8,
                Goal::Numpy(1.5),
                t,
            )
            .err(e),
        );
    }

    // Small arrays: time per call.
    {
        let m = cfg.small;
        let a = Array::from_vec(data_f32(m, SEED_A), &[m])?;
        let b = Array::from_vec(data_f32(m, SEED_B), &[m])?;
        let out = Array::zeros(&[m], DType::F32)?;
        let t = measure(cfg, cfg.calls, || drop(black_box(ok(&a + &b))));
        cases.push(
            Case::new(
                "add_1k",
                "1,000-element `a + b`, per call",
                3 * m * f4,
                Goal::PerCall,
                t,
            )
            .per_call(),
        );
        let t = measure(cfg, cfg.calls, || ok(a.add_into(&b, &out)));
        cases.push(
            Case::new(
                "add_into_1k",
                "1,000-element `add_into`, per call",
                3 * m * f4,
                Goal::None,
                t,
            )
            .per_call(),
        );
    }

    // f16.
    {
        let to_f16 = |v: Vec<f32>| v.into_iter().map(f16::from_f32).collect::<Vec<_>>();
        let a = Array::from_vec(to_f16(data_f32(n, SEED_A)), &[rows, cols])?;
        let b = Array::from_vec(to_f16(data_f32(n, SEED_B)), &[rows, cols])?;
        let t = measure(cfg, 1, || drop(black_box(ok(&a + &b))));
        cases.push(Case::new(
            "f16_add",
            "f16 `a + b` allocating",
            3 * n * f2,
            Goal::OfCase("add", 0.5),
            t,
        ));
    }
    Ok(cases)
}

// ----- NumPy -------------------------------------------------------------------------

/// Runs the NumPy script; `Err` carries the note printed instead.
fn run_numpy(opts: &Opts, cfg: &Config) -> Result<Value, String> {
    let probe = Command::new(&opts.python)
        .args(["-c", "import numpy"])
        .env_remove(NUMPY_ENV_REMOVED[0])
        .env_remove(NUMPY_ENV_REMOVED[1])
        .output();
    match probe {
        Err(e) => {
            return Err(format!(
                "{} could not be run ({e}): NumPy columns left empty",
                opts.python
            ))
        }
        Ok(out) if !out.status.success() => {
            return Err(format!(
                "`{} -c \"import numpy\"` failed: NumPy columns left empty",
                opts.python
            ))
        }
        Ok(_) => {}
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/numpy_compare.py");
    let mut cmd = Command::new(&opts.python);
    cmd.arg(script);
    for (flag, v) in [
        ("--rows", cfg.rows),
        ("--cols", cfg.cols),
        ("--small", cfg.small),
        ("--calls", cfg.calls),
        ("--min-reps", cfg.min_reps),
        ("--max-reps", cfg.max_reps),
    ] {
        cmd.arg(flag).arg(v.to_string());
    }
    cmd.arg("--min-time").arg(cfg.min_time.to_string());
    for var in NUMPY_ENV_REMOVED {
        cmd.env_remove(var);
    }
    let out = cmd.output().map_err(|e| format!("running {script}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{script} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("{script} printed no JSON: {e}"))
}

// ----- machine ---------------------------------------------------------------------------

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn cpu_model() -> String {
    read("/proc/cpuinfo")
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

fn mem_total() -> String {
    read("/proc/meminfo")
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown".to_string())
}

fn loadavg() -> String {
    read("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn simd_features() -> Vec<&'static str> {
    let mut v = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            v.push("avx512f");
        }
        if std::is_x86_feature_detected!("avx2") {
            v.push("avx2");
        }
        if std::is_x86_feature_detected!("fma") {
            v.push("fma");
        }
        if std::is_x86_feature_detected!("f16c") {
            v.push("f16c");
        }
    }
    #[cfg(target_arch = "aarch64")]
    v.push("neon");
    v
}

// ----- report ------------------------------------------------------------------------------

/// How a row stands against its goal: the measured value in the goal's
/// unit, and whether it is met.
struct Verdict {
    measured: Option<f64>,
    target: f64,
    met: Option<bool>,
}

fn verdict(case: &Case, cases: &[Case], stream_add: f64) -> Verdict {
    let (measured, target) = match &case.goal {
        Goal::None => (None, 0.0),
        Goal::Stream(f) => (Some(case.gbps(&case.strider) / stream_add), *f),
        Goal::Numpy(x) => (case.speedup(), *x),
        Goal::PerCall => (case.speedup(), 1.0),
        Goal::OfCase(id, f) => {
            let other = cases.iter().find(|c| c.id == *id);
            (
                other.map(|o| case.gbps(&case.strider) / o.gbps(&o.strider)),
                *f,
            )
        }
    };
    let err_ok = match (case.strider_err, case.numpy_err) {
        (Some(s), Some(n)) => Some(s <= n),
        (Some(_), None) => None,
        _ => Some(true),
    };
    let met = match (measured, err_ok) {
        (Some(m), Some(e)) => Some(m >= target && e),
        _ => None,
    };
    Verdict {
        measured,
        target,
        met,
    }
}

fn fmt_speed(case: &Case, t: &Timing) -> String {
    if case.per_call {
        format!("{:.0} ns", t.median * 1e9)
    } else {
        format!("{:.2}", case.gbps(t))
    }
}

fn fmt_met(case: &Case, v: &Verdict) -> String {
    match (v.met, v.measured) {
        (None, _) if matches!(case.goal, Goal::None) => String::new(),
        (None, _) => "n/a".to_string(),
        (Some(true), _) => "yes".to_string(),
        (Some(false), Some(m)) if m < v.target => {
            let short = (1.0 - m / v.target) * 100.0;
            let err = match (case.strider_err, case.numpy_err) {
                (Some(s), Some(n)) if s > n => ", error above NumPy's",
                _ => "",
            };
            format!("no: {short:.0}% short{err}")
        }
        (Some(false), _) => "no: error above NumPy's".to_string(),
    }
}

fn sci(e: Option<f64>) -> String {
    e.map(|e| format!("{e:.1e}"))
        .unwrap_or_else(|| "-".to_string())
}

struct Report<'a> {
    cfg: &'a Config,
    threads: usize,
    stream: &'a Stream,
    stream_end: Timing,
    cases: &'a [Case],
    numpy: &'a Result<Value, String>,
    load_start: String,
    load_end: String,
}

impl Report<'_> {
    /// The bandwidth the goals are measured against: the higher of the two
    /// all-threads STREAM add runs.
    fn stream_add(&self) -> f64 {
        let bytes = 3.0 * self.cfg.n() as f64 * 4.0;
        bytes / self.stream.add_all.median.min(self.stream_end.median) / 1e9
    }

    fn markdown(&self) -> String {
        let n = self.cfg.n() as f64;
        let mut md = String::new();
        let _ = writeln!(
            md,
            "Sizes: {} x {} ({} elements) unless named; median of >= {} repetitions after a warm-up; \
             strider on {} threads, NumPy single-threaded. GB/s count operand bytes read plus result bytes written.\n",
            self.cfg.rows, self.cfg.cols, self.cfg.n(), self.cfg.min_reps, self.threads
        );
        let _ = writeln!(
            md,
            "| STREAM (plain Rust, f32) | 1 thread GB/s | {} threads GB/s |",
            self.threads
        );
        let _ = writeln!(md, "| --- | ---: | ---: |");
        let gb = |bytes: f64, t: &Timing| bytes / t.median / 1e9;
        let _ = writeln!(
            md,
            "| copy `a[i] = b[i]` | {:.2} | {:.2} |",
            gb(2.0 * n * 4.0, &self.stream.copy_1),
            gb(2.0 * n * 4.0, &self.stream.copy_all)
        );
        let _ = writeln!(
            md,
            "| add `a[i] = b[i] + c[i]` | {:.2} | {:.2} |",
            gb(3.0 * n * 4.0, &self.stream.add_1),
            gb(3.0 * n * 4.0, &self.stream.add_all)
        );
        let _ = writeln!(
            md,
            "| add into a fresh `vec![0.0; n]` each call (4 KiB page faults) | {:.2} | {:.2} |",
            gb(3.0 * n * 4.0, &self.stream.fresh_1),
            gb(3.0 * n * 4.0, &self.stream.fresh_all)
        );
        let _ = writeln!(
            md,
            "| add again, end of run | | {:.2} |\n",
            gb(3.0 * n * 4.0, &self.stream_end)
        );
        let _ = writeln!(
            md,
            "| case | strider GB/s | NumPy GB/s | x NumPy | goal | vs goal | met? | rel. error strider / NumPy |"
        );
        let _ = writeln!(md, "| --- | ---: | ---: | ---: | --- | ---: | --- | --- |");
        let stream_add = self.stream_add();
        for case in self.cases {
            let v = verdict(case, self.cases, stream_add);
            let numpy = case.numpy.map(|t| fmt_speed(case, &t)).unwrap_or_default();
            let speedup = case
                .speedup()
                .map(|x| format!("{x:.2}"))
                .unwrap_or_default();
            let vs_goal = v.measured.map(|m| format!("{m:.2} x")).unwrap_or_default();
            let err = if case.strider_err.is_some() {
                format!("{} / {}", sci(case.strider_err), sci(case.numpy_err))
            } else {
                String::new()
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                case.label,
                fmt_speed(case, &case.strider),
                numpy,
                speedup,
                case.goal.text(),
                vs_goal,
                fmt_met(case, &v),
                err
            );
        }
        let _ = writeln!(
            md,
            "\nPer-call rows show the median time per call instead of GB/s; their `x NumPy` is NumPy's time over strider's. \
             The STREAM goal uses the faster of the two all-threads add runs ({stream_add:.2} GB/s)."
        );
        match self.numpy {
            Ok(np) => {
                let _ = writeln!(
                    md,
                    "NumPy {} (Python {}), SIMD: {}; environment of the NumPy process without {}.",
                    np["numpy_version"].as_str().unwrap_or("?"),
                    np["python_version"].as_str().unwrap_or("?"),
                    np["simd"],
                    NUMPY_ENV_REMOVED.join(", ")
                );
            }
            Err(note) => {
                let _ = writeln!(md, "NumPy skipped: {note}.");
            }
        }
        let _ = writeln!(
            md,
            "Machine: {}, {} CPUs, {} memory; load average {} at the start, {} at the end.",
            cpu_model(),
            self.threads,
            mem_total(),
            self.load_start,
            self.load_end
        );
        md
    }

    fn json(&self) -> Value {
        let stream_add = self.stream_add();
        let n = self.cfg.n() as f64;
        let st = |bytes: f64, t: &Timing| json!({"gbps": bytes / t.median / 1e9, "median_s": t.median, "min_s": t.min, "reps": t.reps, "bytes": bytes});
        let timing = |c: &Case, t: &Timing| json!({"median_s": t.median, "min_s": t.min, "reps": t.reps, "gbps": c.gbps(t)});
        let cases: Vec<Value> = self
            .cases
            .iter()
            .map(|c| {
                let v = verdict(c, self.cases, stream_add);
                json!({
                    "id": c.id,
                    "label": c.label,
                    "bytes": c.bytes,
                    "per_call": c.per_call,
                    "strider": timing(c, &c.strider),
                    "strider_rel_err": c.strider_err,
                    "numpy": c.numpy.map(|t| timing(c, &t)),
                    "numpy_rel_err": c.numpy_err,
                    "speedup_over_numpy": c.speedup(),
                    "goal": {
                        "text": c.goal.text(),
                        "measured": v.measured,
                        "target": v.target,
                        "met": v.met,
                    },
                })
            })
            .collect();
        json!({
            "config": {
                "rows": self.cfg.rows,
                "cols": self.cfg.cols,
                "small": self.cfg.small,
                "calls": self.cfg.calls,
                "min_reps": self.cfg.min_reps,
                "max_reps": self.cfg.max_reps,
                "min_time_s": self.cfg.min_time,
            },
            "machine": {
                "cpu": cpu_model(),
                "cpus": self.threads,
                "memory": mem_total(),
                "simd": simd_features(),
                "loadavg_start": self.load_start,
                "loadavg_end": self.load_end,
                "rayon_num_threads_env": std::env::var("RAYON_NUM_THREADS").ok(),
            },
            "strider_version": env!("CARGO_PKG_VERSION"),
            "stream": {
                "copy_1_thread": st(2.0 * n * 4.0, &self.stream.copy_1),
                "copy_all_threads": st(2.0 * n * 4.0, &self.stream.copy_all),
                "add_1_thread": st(3.0 * n * 4.0, &self.stream.add_1),
                "add_all_threads": st(3.0 * n * 4.0, &self.stream.add_all),
                "add_all_threads_end": st(3.0 * n * 4.0, &self.stream_end),
                "add_fresh_output_1_thread": st(3.0 * n * 4.0, &self.stream.fresh_1),
                "add_fresh_output_all_threads": st(3.0 * n * 4.0, &self.stream.fresh_all),
                "goal_reference_gbps": stream_add,
            },
            "numpy": match self.numpy {
                Ok(np) => json!({
                    "version": np["numpy_version"],
                    "python": np["python_version"],
                    "simd": np["simd"],
                    "env_removed": NUMPY_ENV_REMOVED,
                }),
                Err(note) => json!({"skipped": note}),
            },
            "cases": cases,
        })
    }
}

fn write_file(path: &PathBuf, text: &str) -> Result<(), Box<dyn Error>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let opts = parse_args()?;
    let cfg = if opts.quick {
        Config::quick()
    } else {
        Config::full()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let load_start = loadavg();
    eprintln!(
        "compare: {} x {}{}, {threads} threads, load average {load_start}",
        cfg.rows,
        cfg.cols,
        if opts.quick { " (quick)" } else { "" }
    );

    eprintln!("compare: STREAM");
    let stream = run_stream(&cfg, threads);
    eprintln!("compare: strider");
    let mut cases = run_strider(&cfg)?;
    let numpy = if opts.numpy {
        eprintln!("compare: NumPy ({})", opts.python);
        run_numpy(&opts, &cfg)
    } else {
        Err("--no-numpy given".to_string())
    };
    match &numpy {
        Ok(np) => {
            for case in &mut cases {
                let got = &np["cases"][case.id];
                case.numpy = Timing::from_json(got);
                case.numpy_err = got.get("rel_err").and_then(Value::as_f64);
                if let Some(b) = got.get("bytes").and_then(Value::as_f64) {
                    if b != case.bytes {
                        eprintln!(
                            "compare: warning: {} counts {b} bytes in NumPy, {} here",
                            case.id, case.bytes
                        );
                    }
                }
            }
        }
        Err(note) => println!("note: NumPy skipped: {note}"),
    }
    eprintln!("compare: STREAM again");
    let stream_end = stream_add_all_again(&cfg, threads);

    let report = Report {
        cfg: &cfg,
        threads,
        stream: &stream,
        stream_end,
        cases: &cases,
        numpy: &numpy,
        load_start,
        load_end: loadavg(),
    };
    let md = report.markdown();
    println!("{md}");
    write_file(&opts.markdown, &md)?;
    write_file(&opts.json, &serde_json::to_string_pretty(&report.json())?)?;
    println!(
        "wrote {} and {}",
        opts.markdown.display(),
        opts.json.display()
    );
    Ok(())
}
