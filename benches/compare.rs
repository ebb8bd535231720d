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
//! 2. strider on every row of the Goals table of issue 3 (f32 unless named),
//!    then on the rows of issue 12:
//!    - `argmax`/`argmin` over all elements and over each axis, f32 and i64;
//!    - boolean masks: `a[mask]`, `a[mask] = 0.0`, `a[mask] = vals`;
//!    - gather `flat[idx]` and scatter `flat[idx] = vals` with n/16 indices;
//!    - per-call rows (16-element add, `sum(1)` of a (10, 100) array, a
//!      basic view) against fixed times per call, with ndarray's time on
//!      the same rows next to them (and on `sum_axis0`);
//!    - the f64 sum over axis 0;
//!    - information rows at n/4 elements: `where_`, `clip`, `astype` both
//!      ways between {f32, f64} and every integer dtype, `concatenate` and
//!      `stack` of 16 arrays, and a copy of a view with negative strides;
//!    - two whole programs written plainly, as a new user would: an image
//!      pipeline (grayscale, box blur, Sobel, threshold) and 10 iterations
//!      of k-means, timed per run.
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
//! so sums have exact references computed with integers; i64 data are the
//! 32-bit values less `2^31`.
//!
//! The rows of issue 12 also check their results: each records a summary
//! (a sum of indices or of values, a count) that NumPy's must match, and
//! most compare strider's result with a plain Rust computation as well. A
//! mismatch is printed loudly and listed under the table. The value sums
//! are exact in f64 (few significant bits), so only k-means, whose means
//! NumPy and strider may add in different orders, has a tolerance.
//!
//! Speed is measured here and never asserted: the run prints a table and
//! writes it as markdown and JSON (default `target/bench-results/compare.md`
//! and `.json`).

use ndarray::{Array1, Array2, Axis};
use serde_json::{json, Value};
use std::error::Error;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;
use strider::half::f16;
use strider::{concatenate, s, stack, where_, Array, Axes, DType, IndexItem, NewAxis, UnaryOp};

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
/// Seed of the index array of the gather and scatter rows.
const SEED_IDX: u64 = 7_000_003;
/// The image of the image pipeline: height, width, channels (uint8).
const IMAGE: [usize; 3] = [1080, 1920, 3];
/// The k-means program: points (2-D), clusters, iterations.
const KMEANS: (usize, usize, usize) = (100_000, 8, 10);
/// The `astype` rows: a float dtype, an integer dtype, and the ids of the
/// casts float -> integer and integer -> float.
const ASTYPE_ROWS: [(DType, DType, &str, &str); 16] = [
    (DType::F32, DType::I8, "astype_f32_i8", "astype_i8_f32"),
    (DType::F32, DType::I16, "astype_f32_i16", "astype_i16_f32"),
    (DType::F32, DType::I32, "astype_f32_i32", "astype_i32_f32"),
    (DType::F32, DType::I64, "astype_f32_i64", "astype_i64_f32"),
    (DType::F32, DType::U8, "astype_f32_u8", "astype_u8_f32"),
    (DType::F32, DType::U16, "astype_f32_u16", "astype_u16_f32"),
    (DType::F32, DType::U32, "astype_f32_u32", "astype_u32_f32"),
    (DType::F32, DType::U64, "astype_f32_u64", "astype_u64_f32"),
    (DType::F64, DType::I8, "astype_f64_i8", "astype_i8_f64"),
    (DType::F64, DType::I16, "astype_f64_i16", "astype_i16_f64"),
    (DType::F64, DType::I32, "astype_f64_i32", "astype_i32_f64"),
    (DType::F64, DType::I64, "astype_f64_i64", "astype_i64_f64"),
    (DType::F64, DType::U8, "astype_f64_u8", "astype_u8_f64"),
    (DType::F64, DType::U16, "astype_f64_u16", "astype_u16_f64"),
    (DType::F64, DType::U32, "astype_f64_u32", "astype_u32_f64"),
    (DType::F64, DType::U64, "astype_f64_u64", "astype_u64_f64"),
];
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

/// i64 data in [-2^31, 2^31): the 32-bit integers less 2^31.
fn data_i64(n: usize, seed: u64) -> Vec<i64> {
    (0..n).map(|i| bits(i, seed) as i64 - (1 << 31)).collect()
}

/// The `m` positions of the gather and scatter rows, in [0, n): the 32-bit
/// integers of seed `SEED_IDX` times the Weyl multiplier, mod n (in u64,
/// where the product cannot overflow).
fn gather_indices(m: usize, n: usize) -> Vec<i64> {
    (0..m)
        .map(|i| (bits(i, SEED_IDX) * WEYL % n as u64) as i64)
        .collect()
}

/// The sum of every element, in f64 and in order. The checks of issue 12
/// sum values with few significant bits (multiples of 2^-24 below 2^24,
/// integers), which f64 adds exactly in any order, so NumPy's sum of the
/// same values is the same number.
fn total(a: &Array) -> f64 {
    ok(ok(a.astype(DType::F64)).to_vec::<f64>()).iter().sum()
}

/// The position of the first largest (`max`) or first smallest element of
/// `lane`, as NumPy's argmax and argmin answer ties.
fn first_extreme<T: PartialOrd + Copy>(lane: impl Iterator<Item = T>, max: bool) -> i64 {
    let mut best: Option<(usize, T)> = None;
    for (k, x) in lane.enumerate() {
        let better = match best {
            None => true,
            Some((_, b)) if max => x > b,
            Some((_, b)) => x < b,
        };
        if better {
            best = Some((k, x));
        }
    }
    best.map_or(-1, |(k, _)| k as i64)
}

/// argmax (`max`) or argmin of the C-order matrix `v` with `cols` columns,
/// in plain loops: over all elements (`axis` None), per column (axis 0) or
/// per row (axis 1). The reference of the argmax rows.
fn naive_arg<T: PartialOrd + Copy>(
    v: &[T],
    cols: usize,
    axis: Option<isize>,
    max: bool,
) -> Vec<i64> {
    match axis {
        None => vec![first_extreme(v.iter().copied(), max)],
        Some(0) => {
            let mut best: Vec<(i64, T)> = v[..cols].iter().map(|&x| (0, x)).collect();
            for (i, row) in v.chunks(cols).enumerate().skip(1) {
                for (b, &x) in best.iter_mut().zip(row) {
                    if (max && x > b.1) || (!max && x < b.1) {
                        *b = (i as i64, x);
                    }
                }
            }
            best.into_iter().map(|(i, _)| i).collect()
        }
        _ => v
            .chunks(cols)
            .map(|row| first_extreme(row.iter().copied(), max))
            .collect(),
    }
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
    /// Time per call at most this many nanoseconds.
    MaxNs(f64),
    /// GB/s at least this fraction of another row's strider GB/s.
    OfCase(&'static str, f64),
}

impl Goal {
    fn text(&self) -> String {
        match self {
            Goal::None => "(info)".to_string(),
            Goal::Stream(f) => format!(">= {f} x STREAM add, all threads"),
            Goal::Numpy(x) => format!(">= {x} x NumPy"),
            Goal::MaxNs(ns) => format!("<= {ns} ns per call"),
            Goal::OfCase(id, f) => format!(">= {f} x strider `{id}`"),
        }
    }
}

struct Case {
    id: &'static str,
    label: String,
    /// Bytes moved per repetition as NumPy users count them.
    bytes: f64,
    per_call: bool,
    goal: Goal,
    strider: Timing,
    strider_err: Option<f64>,
    numpy: Option<Timing>,
    numpy_err: Option<f64>,
    /// ndarray's time on the same row, for the rows that have one.
    ndarray: Option<Timing>,
    /// A summary of strider's result (a sum, a count) that NumPy's must
    /// match within `check_rtol` (relative; 0: exactly).
    check: Option<f64>,
    check_rtol: f64,
    numpy_check: Option<f64>,
    /// Whether strider's result equals a plain Rust computation of it, for
    /// the rows that have one.
    reference_ok: Option<bool>,
}

impl Case {
    fn new(
        id: &'static str,
        label: impl Into<String>,
        bytes: usize,
        goal: Goal,
        t: Timing,
    ) -> Case {
        Case {
            id,
            label: label.into(),
            bytes: bytes as f64,
            per_call: false,
            goal,
            strider: t,
            strider_err: None,
            numpy: None,
            numpy_err: None,
            ndarray: None,
            check: None,
            check_rtol: 0.0,
            numpy_check: None,
            reference_ok: None,
        }
    }

    fn ndarray(mut self, t: Timing) -> Case {
        self.ndarray = Some(t);
        self
    }

    /// A summary NumPy's must equal exactly.
    fn check(self, value: f64) -> Case {
        self.check_rtol(value, 0.0)
    }

    /// A summary NumPy's must equal within `rtol`.
    fn check_rtol(mut self, value: f64, rtol: f64) -> Case {
        self.check = Some(value);
        self.check_rtol = rtol;
        self
    }

    /// Records whether strider's result equals the plain Rust one, and
    /// says so loudly when it does not.
    fn reference(mut self, same: bool) -> Case {
        if !same {
            eprintln!(
                "compare: CHECK FAILED: {}: strider's result differs from the plain Rust computation",
                self.id
            );
        }
        self.reference_ok = Some(same);
        self
    }

    /// Whether NumPy's summary matches strider's (None without both).
    fn check_matches(&self) -> Option<bool> {
        let (s, n) = (self.check?, self.numpy_check?);
        Some((s - n).abs() <= self.check_rtol * s.abs().max(n.abs()))
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
        // Expressions (one pass per expression; the rows of issue 10).
        let t = measure(cfg, 1, || drop(black_box(ok((a.expr() * 2.0 + &b).eval()))));
        cases.push(Case::new(
            "expr_mul2_add",
            "`a * 2.0 + b` as an expression (`eval`)",
            3 * n * f4,
            Goal::Numpy(2.0),
            t,
        ));
        let t = measure(cfg, 1, || ok((a.expr() * 2.0 + &b).eval_into(&out)));
        cases.push(Case::new(
            "expr_mul2_add_into",
            "`a * 2.0 + b` as an expression into an existing output",
            3 * n * f4,
            Goal::Stream(0.9),
            t,
        ));
        let mse = || (a.expr() - &b).square().mean(Axes::All).eval();
        let t = measure(cfg, 1, || drop(black_box(ok(mse()))));
        let check = ok(ok(mse()).item::<f32>()) as f64;
        cases.push(
            Case::new(
                "mse",
                "`((a - b)**2).mean()` fused",
                (2 * n + 1) * f4,
                Goal::Numpy(3.0),
                t,
            )
            .check_rtol(check, 1e-4),
        );
        let mse_eager = || -> strider::Result<Array> { (&a - &b)?.power(2)?.mean(Axes::All) };
        let t = measure(cfg, 1, || drop(black_box(ok(mse_eager()))));
        cases.push(
            Case::new(
                "mse_eager",
                "`((a - b)**2).mean()` one eager op at a time",
                (2 * n + 1) * f4,
                Goal::None,
                t,
            )
            .check_rtol(ok(ok(mse_eager()).item::<f32>()) as f64, 1e-4),
        );
        // Row softmax: a max pass, then two fused passes (exp-sum, exp-divide).
        let softmax = || -> strider::Result<Array> {
            let m = a.max_keepdims(1)?;
            let e = (a.expr() - &m).exp();
            let total = e.sum_keepdims(1).eval()?;
            (e / &total).eval()
        };
        let t = measure(cfg, 1, || drop(black_box(ok(softmax()))));
        let check = total(&ok(softmax()));
        cases.push(
            Case::new(
                "softmax",
                "row softmax: max, then exp-sum and exp-divide fused",
                2 * n * f4,
                Goal::Numpy(2.0),
                t,
            )
            .check_rtol(check, 1e-4),
        );
        // Ten ops as a NumPy user writes them, fused and eager.
        let chain = || {
            ((((a.expr() * 1.5 + &b) * (a.expr() - 0.5)) / (b.expr() + 2.0) - &a * b.expr()) + 3.0)
                * 0.25
        };
        let t = measure(cfg, 1, || drop(black_box(ok(chain().eval()))));
        let check = total(&ok(chain().eval()));
        cases.push(
            Case::new(
                "chain10",
                "a 10-op elementwise chain as an expression",
                3 * n * f4,
                Goal::Numpy(4.0),
                t,
            )
            .check_rtol(check, 1e-5),
        );
        let chain_eager = || -> strider::Result<Array> {
            let l = ((&(&a * 1.5)? + &b)? * &(&a - 0.5)?)?;
            let r = (&(&l / &(&b + 2.0)?)? - &(&a * &b)?)?;
            &(&r + 3.0)? * 0.25
        };
        let t = measure(cfg, 1, || drop(black_box(ok(chain_eager()))));
        cases.push(Case::new(
            "chain10_eager",
            "the same chain, one eager op at a time",
            3 * n * f4,
            Goal::None,
            t,
        ));
        let t = measure(cfg, 1, || drop(black_box(ok(a.power(2)))));
        cases.push(Case::new(
            "pow2",
            "eager `a ** 2` (the fast square)",
            2 * n * f4,
            Goal::Numpy(1.0),
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
        let nd = Array2::from_shape_vec((rows, cols), data_f32(n, SEED_A))?;
        let t_nd = measure(cfg, 1, || drop(black_box(nd.sum_axis(Axis(0)))));
        drop(nd);
        cases.push(
            Case::new(
                "sum_axis0",
                "sum over axis 0",
                (n + cols) * f4,
                Goal::Numpy(1.5),
                t,
            )
            .err(e)
            .ndarray(t_nd),
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
        let mut exact_cols = vec![0u64; cols];
        for i in 0..n {
            exact_cols[i % cols] += bits(i, SEED_A);
        }
        let t = measure(cfg, 1, || drop(black_box(ok(a.sum(0)))));
        let got = ok(ok(a.sum(0)).to_vec::<f64>());
        let e = got
            .iter()
            .zip(&exact_cols)
            .map(|(&g, &c)| rel_err(g, c as f64 * (1.0 / 4_294_967_296.0)))
            .fold(0.0, f64::max);
        cases.push(
            Case::new(
                "sum_axis0_f64",
                "f64 sum over axis 0",
                (n + cols) * f8,
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
        let (na, nb) = (
            Array1::from(data_f32(m, SEED_A)),
            Array1::from(data_f32(m, SEED_B)),
        );
        let t_nd = measure(cfg, cfg.calls, || drop(black_box(&na + &nb)));
        cases.push(
            Case::new(
                "add_1k",
                "1,000-element `a + b`, per call",
                3 * m * f4,
                Goal::MaxNs(250.0),
                t,
            )
            .per_call()
            .ndarray(t_nd),
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

        let a = Array::from_vec(data_f32(16, SEED_A), &[16])?;
        let b = Array::from_vec(data_f32(16, SEED_B), &[16])?;
        let t = measure(cfg, cfg.calls, || drop(black_box(ok(&a + &b))));
        let (na, nb) = (
            Array1::from(data_f32(16, SEED_A)),
            Array1::from(data_f32(16, SEED_B)),
        );
        let t_nd = measure(cfg, cfg.calls, || drop(black_box(&na + &nb)));
        cases.push(
            Case::new(
                "add_16",
                "16-element `a + b`, per call",
                3 * 16 * f4,
                Goal::MaxNs(100.0),
                t,
            )
            .per_call()
            .ndarray(t_nd),
        );

        let x = Array::from_vec(data_f32(1000, SEED_A), &[10, 100])?;
        let nx = Array2::from_shape_vec((10, 100), data_f32(1000, SEED_A))?;
        let t = measure(cfg, cfg.calls, || drop(black_box(ok(x.sum(1)))));
        let t_nd = measure(cfg, cfg.calls, || drop(black_box(nx.sum_axis(Axis(1)))));
        cases.push(
            Case::new(
                "sum_small",
                "`x.sum(1)`, x (10, 100), per call",
                (1000 + 10) * f4,
                Goal::MaxNs(300.0),
                t,
            )
            .per_call()
            .ndarray(t_nd),
        );
        let t = measure(cfg, cfg.calls, || {
            drop(black_box(ok(x.slice(s![1..5, ..;2]))))
        });
        let t_nd = measure(cfg, cfg.calls, || {
            black_box(nx.slice(ndarray::s![1..5, ..;2]));
        });
        cases.push(
            Case::new(
                "view_basic",
                "`x.slice(s![1..5, ..;2])` (a view), x (10, 100), per call",
                0,
                Goal::MaxNs(30.0),
                t,
            )
            .per_call()
            .ndarray(t_nd),
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

    // Issue 12.
    arg_rows(cfg, &mut cases)?;
    mask_rows(cfg, &mut cases)?;
    gather_rows(cfg, &mut cases)?;
    info_rows(cfg, &mut cases)?;
    program_rows(cfg, &mut cases)?;
    Ok(cases)
}

// ----- the rows of issue 12 --------------------------------------------------------

/// argmax and argmin over all elements and over each axis, f32 and i64,
/// each compared with a plain Rust scan.
fn arg_rows(cfg: &Config, cases: &mut Vec<Case>) -> Result<(), Box<dyn Error>> {
    let (rows, cols, n) = (cfg.rows, cfg.cols, cfg.n());
    let vf = data_f32(n, SEED_A);
    let vi = data_i64(n, SEED_A);
    let a = Array::from_slice(&vf, &[rows, cols])?;
    let ai = Array::from_slice(&vi, &[rows, cols])?;
    // id, label, f32 (else i64), axis (None: all), argmax (else argmin).
    let table: [(&'static str, &str, bool, Option<isize>, bool); 7] = [
        ("argmax_all", "`a.argmax_all()`", true, None, true),
        ("argmin_all", "`a.argmin_all()`", true, None, false),
        ("argmax_all_i64", "i64 `a.argmax_all()`", false, None, true),
        (
            "argmax_axis0",
            "`a.argmax(0)` (one per column)",
            true,
            Some(0),
            true,
        ),
        (
            "argmax_axis1",
            "`a.argmax(1)` (one per row)",
            true,
            Some(1),
            true,
        ),
        (
            "argmin_axis1_i64",
            "i64 `a.argmin(1)`",
            false,
            Some(1),
            false,
        ),
        (
            "argmax_axis0_i64",
            "i64 `a.argmax(0)`",
            false,
            Some(0),
            true,
        ),
    ];
    for (id, label, is_f32, axis, max) in table {
        let (x, itemsize) = if is_f32 { (&a, 4) } else { (&ai, 8) };
        let run = || match (axis, max) {
            (None, true) => x.argmax_all(),
            (None, false) => x.argmin_all(),
            (Some(k), true) => x.argmax(k),
            (Some(k), false) => x.argmin(k),
        };
        let t = measure(cfg, 1, || drop(black_box(ok(run()))));
        let got = ok(run()).to_vec::<i64>()?;
        let want = if is_f32 {
            naive_arg(&vf, cols, axis, max)
        } else {
            naive_arg(&vi, cols, axis, max)
        };
        let results = match axis {
            None => 1,
            Some(0) => cols,
            Some(_) => rows,
        };
        cases.push(
            Case::new(id, label, n * itemsize + results * 8, Goal::Numpy(1.5), t)
                .check(got.iter().sum::<i64>() as f64)
                .reference(got == want),
        );
    }
    Ok(())
}

/// Boolean masks: `a[a > 0.75]`, and assigning a scalar and an array
/// through the same mask; the mask is made before the timing.
fn mask_rows(cfg: &Config, cases: &mut Vec<Case>) -> Result<(), Box<dyn Error>> {
    let (rows, cols, n) = (cfg.rows, cfg.cols, cfg.n());
    let v = data_f32(n, SEED_A);
    let a = Array::from_slice(&v, &[rows, cols])?;
    let mask = a.greater(0.75)?;
    let by_mask = [IndexItem::from(&mask)];
    let selected = v.iter().filter(|&&x| x > 0.75).count();
    let sum_in: f64 = v.iter().filter(|&&x| x > 0.75).map(|&x| x as f64).sum();
    let sum_out: f64 = v.iter().filter(|&&x| x <= 0.75).map(|&x| x as f64).sum();

    let t = measure(cfg, 1, || drop(black_box(ok(a.index(&by_mask)))));
    let picked = a.index(&by_mask)?;
    cases.push(
        Case::new(
            "mask_select",
            "`a.index(&[mask])`, mask `a > 0.75` made beforehand",
            n * 4 + n + selected * 4,
            Goal::Numpy(1.5),
            t,
        )
        .check(total(&picked))
        .reference(picked.size() == selected && total(&picked) == sum_in),
    );

    let a2 = a.copy()?;
    let t = measure(cfg, 1, || ok(a2.assign(&by_mask, 0.0)));
    cases.push(
        Case::new(
            "mask_assign",
            "`a.assign(&[mask], 0.0)`",
            n + selected * 4,
            Goal::Numpy(1.5),
            t,
        )
        .check(total(&a2))
        .reference(total(&a2) == sum_out),
    );

    let vals = Array::from_vec(data_f32(selected, SEED_B), &[selected])?;
    let a3 = a.copy()?;
    let t = measure(cfg, 1, || ok(a3.assign(&by_mask, &vals)));
    cases.push(
        Case::new(
            "mask_assign_array",
            "`a.assign(&[mask], &vals)`, one value per selected element",
            n + 2 * selected * 4,
            Goal::Numpy(1.5),
            t,
        )
        .check(total(&a3))
        .reference(total(&a3) == sum_out + total(&vals)),
    );
    Ok(())
}

/// Gather `flat[idx]` and scatter `flat[idx] = vals` with n/16 int64
/// indices spread over a flat f32 array of n elements.
fn gather_rows(cfg: &Config, cases: &mut Vec<Case>) -> Result<(), Box<dyn Error>> {
    let n = cfg.n();
    let m = n / 16;
    let v = data_f32(n, SEED_A);
    let flat = Array::from_slice(&v, &[n])?;
    let iv = gather_indices(m, n);
    let idx = Array::from_slice(&iv, &[m])?;
    let at_idx = [IndexItem::from(&idx)];

    let t = measure(cfg, 1, || drop(black_box(ok(flat.index(&at_idx)))));
    let got = flat.index(&at_idx)?.to_vec::<f32>()?;
    let want: Vec<f32> = iv.iter().map(|&i| v[i as usize]).collect();
    let sum: f64 = got.iter().map(|&x| x as f64).sum();
    cases.push(
        Case::new(
            "gather",
            "gather `flat.index(&[idx])`, n/16 indices",
            m * 8 + 2 * m * 4,
            Goal::Numpy(1.5),
            t,
        )
        .check(sum)
        .reference(got == want),
    );

    let vals_v = data_f32(m, SEED_B);
    let vals = Array::from_slice(&vals_v, &[m])?;
    let flat2 = flat.copy()?;
    let t = measure(cfg, 1, || ok(flat2.assign(&at_idx, &vals)));
    let mut want = v;
    for (&i, &x) in iv.iter().zip(&vals_v) {
        want[i as usize] = x;
    }
    cases.push(
        Case::new(
            "scatter",
            "scatter `flat.assign(&[idx], &vals)`, n/16 indices",
            m * 8 + m * 4 + m * 4,
            Goal::Numpy(1.5),
            t,
        )
        .check(total(&flat2))
        .reference(flat2.to_vec::<f32>()? == want),
    );
    Ok(())
}

/// Information rows at n/4 elements ((rows/4, cols)): `where_`, `clip`,
/// `astype` both ways between the floats and the integers, `concatenate`
/// and `stack` of 16 arrays of n/16 elements, and a copy of a view with
/// negative strides.
fn info_rows(cfg: &Config, cases: &mut Vec<Case>) -> Result<(), Box<dyn Error>> {
    let (qr, cols) = (cfg.rows / 4, cfg.cols);
    let q = qr * cols;
    let a = Array::from_vec(data_f32(q, SEED_A), &[qr, cols])?;
    let b = Array::from_vec(data_f32(q, SEED_B), &[qr, cols])?;

    let cond = a.greater(0.5)?;
    let t = measure(cfg, 1, || drop(black_box(ok(where_(&cond, &a, &b)))));
    cases.push(
        Case::new(
            "where",
            "`where_(&cond, &a, &b)`, cond `a > 0.5` made beforehand, n/4",
            q * (1 + 3 * 4),
            Goal::Numpy(1.0),
            t,
        )
        .check(total(&where_(&cond, &a, &b)?)),
    );
    let t = measure(cfg, 1, || drop(black_box(ok(a.clip(0.25, 0.75)))));
    cases.push(
        Case::new(
            "clip",
            "`a.clip(0.25, 0.75)`, n/4",
            2 * q * 4,
            Goal::Numpy(1.0),
            t,
        )
        .check(total(&a.clip(0.25, 0.75)?)),
    );

    // The sources: the f32 data times 200, cast once to each dtype.
    let src_f32 = (&a * 200.0)?;
    let src_f64 = src_f32.astype(DType::F64)?;
    for (float, int, to_int, to_float) in ASTYPE_ROWS {
        let src_float = if float == DType::F32 {
            &src_f32
        } else {
            &src_f64
        };
        let src_int = src_f32.astype(int)?;
        let bytes = q * (float.itemsize() + int.itemsize());
        for (id, src, dtype) in [(to_int, src_float, int), (to_float, &src_int, float)] {
            let t = measure(cfg, 1, || drop(black_box(ok(src.astype(dtype)))));
            let label = format!("`astype`, {} -> {}, n/4", src.dtype().name(), dtype.name());
            cases.push(
                Case::new(id, label, bytes, Goal::Numpy(1.0), t).check(total(&src.astype(dtype)?)),
            );
        }
    }

    // 16 pieces that together are the f32 data of n elements.
    let n = cfg.n();
    let p = n / 16;
    let pieces = (0..16)
        .map(|k| Array::from_vec(data_f32(p, (k * p) as u64), &[p]))
        .collect::<strider::Result<Vec<Array>>>()?;
    let refs: Vec<&Array> = pieces.iter().collect();
    let whole = Array::from_vec(data_f32(16 * p, SEED_A), &[16 * p])?;
    let t = measure(cfg, 1, || drop(black_box(ok(concatenate(&refs, Some(0))))));
    let joined = concatenate(&refs, Some(0))?;
    cases.push(
        Case::new(
            "concat16",
            "`concatenate` of 16 arrays of n/16 elements, axis 0",
            2 * 16 * p * 4,
            Goal::Numpy(1.0),
            t,
        )
        .check(total(&joined))
        .reference(joined.to_vec::<f32>()? == whole.to_vec::<f32>()?),
    );
    let t = measure(cfg, 1, || drop(black_box(ok(stack(&refs, 0)))));
    let stacked = stack(&refs, 0)?;
    cases.push(
        Case::new(
            "stack16",
            "`stack` of the same 16 arrays",
            2 * 16 * p * 4,
            Goal::Numpy(1.0),
            t,
        )
        .check(total(&stacked))
        .reference(
            stacked.shape() == [16, p] && stacked.to_vec::<f32>()? == whole.to_vec::<f32>()?,
        ),
    );

    let flipped = a.slice(s![..;-1, ..;-1])?;
    let t = measure(cfg, 1, || drop(black_box(ok(flipped.copy()))));
    let mut want = a.to_vec::<f32>()?;
    want.reverse();
    cases.push(
        Case::new(
            "copy_neg",
            "`a.slice(s![..;-1, ..;-1]).copy()`, n/4",
            2 * q * 4,
            Goal::Numpy(1.0),
            t,
        )
        .check(total(&flipped))
        .reference(flipped.copy()?.to_vec::<f32>()? == want),
    );
    Ok(())
}

/// The image pipeline as a new user writes it: grayscale by weighting the
/// channels and summing them, a 3x3 box blur from 9 shifted slices, Sobel
/// gradients from shifted slices of the blurred image, their magnitude, and
/// the number of pixels above 100.
// `s![1..-1]` is Python's `1:-1` (a negative stop counts from the end),
// which clippy takes for an empty Rust range.
#[allow(clippy::reversed_empty_ranges)]
fn image_pipeline(img: &Array) -> strider::Result<i64> {
    let weights = Array::from_vec(vec![0.299f32, 0.587, 0.114], &[3])?;
    let gray = (img * &weights)?.sum(2)?;

    let sum9 = &gray.slice(s![0..-2, 0..-2])?
        + &gray.slice(s![0..-2, 1..-1])?
        + &gray.slice(s![0..-2, 2..])?
        + &gray.slice(s![1..-1, 0..-2])?
        + &gray.slice(s![1..-1, 1..-1])?
        + &gray.slice(s![1..-1, 2..])?
        + &gray.slice(s![2.., 0..-2])?
        + &gray.slice(s![2.., 1..-1])?
        + &gray.slice(s![2.., 2..])?;
    let blur = (sum9? / 9.0)?;

    let nw = blur.slice(s![0..-2, 0..-2])?;
    let n = blur.slice(s![0..-2, 1..-1])?;
    let ne = blur.slice(s![0..-2, 2..])?;
    let w = blur.slice(s![1..-1, 0..-2])?;
    let e = blur.slice(s![1..-1, 2..])?;
    let sw = blur.slice(s![2.., 0..-2])?;
    let so = blur.slice(s![2.., 1..-1])?;
    let se = blur.slice(s![2.., 2..])?;
    let right = ((&ne + (&e * 2.0)?)? + &se)?;
    let left = ((&nw + (&w * 2.0)?)? + &sw)?;
    let gx = (&right - &left)?;
    let down = ((&sw + (&so * 2.0)?)? + &se)?;
    let up = ((&nw + (&n * 2.0)?)? + &ne)?;
    let gy = (&down - &up)?;

    let mag = ((&gx * &gx)? + (&gy * &gy)?)?.sqrt()?;
    let edges = mag.greater(100.0)?;
    edges.sum_all()?.item::<i64>()
}

/// k-means as a new user writes it: the first `k` points start as the
/// centroids; each iteration finds every point's nearest centroid and moves
/// each centroid to the mean of its points (an empty cluster keeps its
/// centroid). Returns the centroids, (k, 2).
fn kmeans(pts: &Array, k: usize, iterations: usize) -> strider::Result<Array> {
    let mut centroids = pts.slice(s![0..k])?.copy()?;
    for _ in 0..iterations {
        let diff = (&pts.slice(s![.., NewAxis, ..])? - &centroids.slice(s![NewAxis, .., ..])?)?;
        let dist = (&diff * &diff)?.sum(2)?;
        let labels = dist.argmin(1)?;
        let mut new = Vec::new();
        for j in 0..k {
            let members = pts.index(&[labels.equal(j as i64)?.into()])?;
            if members.shape()[0] > 0 {
                new.push(members.mean(0)?);
            } else {
                new.push(centroids.slice(s![j])?);
            }
        }
        let rows: Vec<&Array> = new.iter().collect();
        centroids = stack(&rows, 0)?;
    }
    Ok(centroids)
}

/// The two whole programs, timed per run; their checks are the image's
/// edge count and the sum of the final centroids.
fn program_rows(cfg: &Config, cases: &mut Vec<Case>) -> Result<(), Box<dyn Error>> {
    let size = IMAGE.iter().product();
    let pixels: Vec<u8> = (0..size).map(|i| (bits(i, SEED_A) & 255) as u8).collect();
    let img = Array::from_vec(pixels, &IMAGE)?;
    let t = measure(cfg, 1, || {
        black_box(ok(image_pipeline(&img)));
    });
    let edges = image_pipeline(&img)?;
    cases.push(
        Case::new(
            "image_pipeline",
            "image pipeline (1080 x 1920 x 3 uint8: gray, blur, Sobel, count), per run",
            size,
            Goal::Numpy(1.0),
            t,
        )
        .per_call()
        .check(edges as f64),
    );

    let (points, k, iterations) = KMEANS;
    let pts = Array::from_vec(data_f32(2 * points, SEED_A), &[points, 2])?;
    let t = measure(cfg, 1, || drop(black_box(ok(kmeans(&pts, k, iterations)))));
    let centroids = kmeans(&pts, k, iterations)?;
    cases.push(
        Case::new(
            "kmeans",
            "k-means (100,000 f32 points, k = 8, 10 iterations), per run",
            2 * points * 4,
            Goal::Numpy(1.0),
            t,
        )
        .per_call()
        .check_rtol(total(&centroids), 1e-5),
    );
    Ok(())
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
    /// The goal is a ceiling (nanoseconds per call), not a floor.
    at_most: bool,
    met: Option<bool>,
}

fn verdict(case: &Case, cases: &[Case], stream_add: f64) -> Verdict {
    let (measured, target) = match &case.goal {
        Goal::None => (None, 0.0),
        Goal::Stream(f) => (Some(case.gbps(&case.strider) / stream_add), *f),
        Goal::Numpy(x) => (case.speedup(), *x),
        Goal::MaxNs(ns) => (Some(case.strider.median * 1e9), *ns),
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
    let at_most = matches!(case.goal, Goal::MaxNs(_));
    let met = match (measured, err_ok) {
        (Some(m), Some(e)) if at_most => Some(m <= target && e),
        (Some(m), Some(e)) => Some(m >= target && e),
        _ => None,
    };
    Verdict {
        measured,
        target,
        at_most,
        met,
    }
}

/// A time in the unit that suits it.
fn fmt_time(seconds: f64) -> String {
    if seconds < 1e-5 {
        format!("{:.0} ns", seconds * 1e9)
    } else if seconds < 1e-2 {
        format!("{:.1} µs", seconds * 1e6)
    } else {
        format!("{:.1} ms", seconds * 1e3)
    }
}

fn fmt_speed(case: &Case, t: &Timing) -> String {
    if case.per_call {
        fmt_time(t.median)
    } else {
        format!("{:.2}", case.gbps(t))
    }
}

fn fmt_met(case: &Case, v: &Verdict) -> String {
    let err = match (case.strider_err, case.numpy_err) {
        (Some(s), Some(n)) if s > n => ", error above NumPy's",
        _ => "",
    };
    match (v.met, v.measured) {
        (None, _) if matches!(case.goal, Goal::None) => String::new(),
        (None, _) => "n/a".to_string(),
        (Some(true), _) => "yes".to_string(),
        (Some(false), Some(m)) if v.at_most && m > v.target => {
            let over = (m / v.target - 1.0) * 100.0;
            format!("no: {over:.0}% over{err}")
        }
        (Some(false), Some(m)) if !v.at_most && m < v.target => {
            let short = (1.0 - m / v.target) * 100.0;
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
            "| case | strider GB/s | NumPy GB/s | ndarray GB/s | x NumPy | goal | vs goal | met? | rel. error strider / NumPy |"
        );
        let _ = writeln!(
            md,
            "| --- | ---: | ---: | ---: | ---: | --- | ---: | --- | --- |"
        );
        let stream_add = self.stream_add();
        for case in self.cases {
            let v = verdict(case, self.cases, stream_add);
            let numpy = case.numpy.map(|t| fmt_speed(case, &t)).unwrap_or_default();
            let ndarray = case
                .ndarray
                .map(|t| fmt_speed(case, &t))
                .unwrap_or_default();
            let speedup = case
                .speedup()
                .map(|x| format!("{x:.2}"))
                .unwrap_or_default();
            let vs_goal = match v.measured {
                Some(m) if v.at_most => format!("{m:.0} ns"),
                Some(m) => format!("{m:.2} x"),
                None => String::new(),
            };
            let err = if case.strider_err.is_some() {
                format!("{} / {}", sci(case.strider_err), sci(case.numpy_err))
            } else {
                String::new()
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                case.label,
                fmt_speed(case, &case.strider),
                numpy,
                ndarray,
                speedup,
                case.goal.text(),
                vs_goal,
                fmt_met(case, &v),
                err
            );
        }
        let _ = writeln!(
            md,
            "\nPer-call rows, and the two whole programs (one run per call), show the median time per call instead of GB/s; \
             their `x NumPy` is NumPy's time over strider's. ndarray (single-threaded, written as its users write it) \
             is timed on a few rows only. The STREAM goal uses the faster of the two all-threads add runs ({stream_add:.2} GB/s)."
        );
        let _ = writeln!(md, "{}", self.checks_line());
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

    /// The checks of the run in one line: how many agree, and every
    /// mismatch (with NumPy, or with the plain Rust computation).
    fn checks_line(&self) -> String {
        let mut agree = 0;
        let mut bad = Vec::new();
        for c in self.cases {
            match c.check_matches() {
                Some(true) => agree += 1,
                Some(false) => bad.push(format!(
                    "`{}` strider {} vs NumPy {}",
                    c.id,
                    c.check.unwrap_or(f64::NAN),
                    c.numpy_check.unwrap_or(f64::NAN)
                )),
                None => {}
            }
            if c.reference_ok == Some(false) {
                bad.push(format!("`{}` differs from the plain Rust result", c.id));
            }
        }
        if bad.is_empty() {
            format!("Checks: {agree} results summarised on both sides agree; every plain Rust reference agrees.")
        } else {
            format!(
                "**CHECKS FAILED**: {} ({agree} others agree).",
                bad.join("; ")
            )
        }
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
                    "ndarray": c.ndarray.map(|t| timing(c, &t)),
                    "check": c.check.map(|s| json!({
                        "strider": s,
                        "numpy": c.numpy_check,
                        "rtol": c.check_rtol,
                        "match": c.check_matches(),
                    })),
                    "reference_ok": c.reference_ok,
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
                case.numpy_check = got.get("check").and_then(Value::as_f64);
                if case.check_matches() == Some(false) {
                    let msg = format!(
                        "CHECK MISMATCH: {}: strider {} vs NumPy {}",
                        case.id,
                        case.check.unwrap_or(f64::NAN),
                        case.numpy_check.unwrap_or(f64::NAN)
                    );
                    eprintln!("compare: {msg}");
                    println!("{msg}");
                }
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
