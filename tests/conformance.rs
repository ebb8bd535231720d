//! The conformance corpus (`../shared/conformance`, beside the repository)
//! at the standard level on the CPU: every case must pass. The harness is
//! the one the `conformance` example runs.

// The command-line parts of the harness (parsing level and device names)
// are not used here.
#[allow(dead_code)]
#[path = "../examples/conformance/compare.rs"]
mod compare;
#[allow(dead_code)]
#[path = "../examples/conformance/run.rs"]
mod run;

use compare::Level;
use run::{Tally, Target};
use std::path::PathBuf;

/// Runs both corpus files at the standard level on `target`, failing with
/// the first 50 failures listed.
fn run_corpus(target: Target) -> Tally {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance");
    assert!(
        dir.is_dir(),
        "the conformance corpus is missing: expected it at {} (clone the shared/ \
         directory beside the repository)",
        dir.display()
    );
    let mut failures = Vec::new();
    let mut total = Tally::default();
    for file in ["hand.jsonl", "random.jsonl"] {
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
    total
}

#[test]
fn corpus_passes_at_standard_level_on_cpu() {
    let total = run_corpus(Target::Cpu);
    assert_eq!(total.skipped, 0, "no case may be skipped on the CPU");
}

/// The same corpus with every input placed on the GPU. Without an adapter
/// this skips with a message, or fails when `STRIDER_REQUIRE_GPU=1`.
#[test]
fn corpus_passes_at_standard_level_on_gpu() {
    if let Some(why) = Target::Gpu.missing() {
        assert!(
            std::env::var("STRIDER_REQUIRE_GPU").as_deref() != Ok("1"),
            "STRIDER_REQUIRE_GPU=1 but {why}"
        );
        eprintln!("skipping the GPU corpus run: {why}");
        return;
    }
    let total = run_corpus(Target::Gpu);
    assert_eq!(
        total.skipped, 0,
        "no case may be skipped when a GPU is present"
    );
}
