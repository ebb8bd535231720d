//! The conformance corpora at the standard level on the CPU and the GPU:
//! every case must pass. The data is the repository's copy of
//! `../shared/conformance` (`tests/corpus/`, which CI checks against the
//! original when that exists): the memory-model corpus (`hand.jsonl`,
//! `random.jsonl`) and the ufunc corpus (`ufunc/cases.jsonl.gz`); and the
//! project's own NumPy cases for int8, int16 and uint16, which the shared
//! corpus predates (`tests/numpy_cases/`, written by its `generate.py`).
//! The harness is the one the `conformance` example runs.

// The command-line parts of the harness (parsing level and device names)
// are not used here.
#[allow(dead_code)]
#[path = "../examples/conformance/compare.rs"]
mod compare;
#[allow(dead_code)]
#[path = "../examples/conformance/run.rs"]
mod run;
#[allow(dead_code)]
#[path = "../examples/conformance/ufunc.rs"]
mod ufunc;

use compare::Level;
use run::{Tally, Target};
use std::path::PathBuf;

/// The repository's copy of the conformance data.
fn corpus_dir() -> PathBuf {
    tests_dir().join("corpus")
}

fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// Runs `files` (under `tests/`) at the standard level on `target`,
/// failing with the first 50 failures listed.
fn run_corpus(files: &[&str], target: Target) -> Tally {
    let dir = tests_dir();
    let mut failures = Vec::new();
    let mut total = Tally::default();
    for file in files {
        let path = dir.join(file);
        let tally = run::run_file(&path, Level::Standard, target, |id, what| {
            failures.push(format!("{id}: {what}"));
        })
        .unwrap_or_else(|why| panic!("{why}"));
        assert!(tally.passed > 0, "{} holds no cases", path.display());
        total.add(tally);
    }
    assert!(
        failures.is_empty(),
        "conformance: {total}\n{}",
        failures
            .iter()
            .take(50)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!("conformance on {target:?}: {total}");
    total
}

/// Whether the GPU tests run: false (with a message) when there is no
/// adapter, a failure when `STRIDER_REQUIRE_GPU=1`.
fn gpu_present() -> bool {
    if let Some(why) = Target::Gpu.missing() {
        assert!(
            std::env::var("STRIDER_REQUIRE_GPU").as_deref() != Ok("1"),
            "STRIDER_REQUIRE_GPU=1 but {why}"
        );
        eprintln!("skipping the GPU corpus run: {why}");
        return false;
    }
    true
}

const MEMORY_MODEL: [&str; 2] = ["corpus/hand.jsonl", "corpus/random.jsonl"];
const UFUNC: [&str; 1] = ["corpus/ufunc/cases.jsonl.gz"];
const SMALL_INTS: [&str; 1] = ["numpy_cases/small_ints.jsonl.gz"];

/// The ufunc corpus's cases marked not runnable: NumPy's int8 results of
/// bool `floor_divide`, `remainder` and `power`, written when strider had
/// no int8, so they carry no expected values. strider has int8 now; the
/// same calls run, with NumPy's answers, in `tests/numpy_cases` (family
/// `binary`, tag `bool-bool`).
const UFUNC_NOT_RUNNABLE: usize = 35;

#[test]
fn memory_model_corpus_passes_on_cpu() {
    let total = run_corpus(&MEMORY_MODEL, Target::Cpu);
    assert_eq!(total.skipped, 0, "no case may be skipped on the CPU");
}

/// The same corpus with every input placed on the GPU. Without an adapter
/// this skips with a message, or fails when `STRIDER_REQUIRE_GPU=1`.
#[test]
fn memory_model_corpus_passes_on_gpu() {
    if !gpu_present() {
        return;
    }
    let total = run_corpus(&MEMORY_MODEL, Target::Gpu);
    assert_eq!(
        total.skipped, 0,
        "no case may be skipped when a GPU is present"
    );
}

#[test]
fn ufunc_corpus_passes_on_cpu() {
    let total = run_corpus(&UFUNC, Target::Cpu);
    assert_eq!(total.skipped, 0, "no case may be skipped on the CPU");
    assert_eq!(total.not_runnable, UFUNC_NOT_RUNNABLE, "not-runnable cases");
}

#[test]
fn ufunc_corpus_passes_on_gpu() {
    if !gpu_present() {
        return;
    }
    let total = run_corpus(&UFUNC, Target::Gpu);
    assert_eq!(
        total.skipped, 0,
        "no case may be skipped when a GPU is present"
    );
    assert_eq!(total.not_runnable, UFUNC_NOT_RUNNABLE, "not-runnable cases");
}

#[test]
fn small_int_cases_pass_on_cpu() {
    let total = run_corpus(&SMALL_INTS, Target::Cpu);
    assert_eq!((total.skipped, total.not_runnable), (0, 0));
}

#[test]
fn small_int_cases_pass_on_gpu() {
    if !gpu_present() {
        return;
    }
    let total = run_corpus(&SMALL_INTS, Target::Gpu);
    assert_eq!((total.skipped, total.not_runnable), (0, 0));
}

/// The corpus copy is whole: both corpora, the ufunc corpus's notes and the
/// .npy files its cases load.
#[test]
fn corpus_copy_is_complete() {
    let dir = corpus_dir();
    for f in [
        "FORMAT.md",
        "hand.jsonl",
        "random.jsonl",
        "ufunc/FORMAT.md",
        "ufunc/QUIRKS.md",
        "ufunc/cases.jsonl.gz",
    ] {
        assert!(dir.join(f).is_file(), "tests/corpus/{f} is missing");
    }
    let npy = std::fs::read_dir(dir.join("ufunc/npy_in"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert!(npy > 0, "tests/corpus/ufunc/npy_in holds no .npy files");
}
