//! The conformance corpus (`../shared/conformance`, beside the repository)
//! at the standard level on the CPU: every case must pass. The harness is
//! the one the `conformance` example runs.

// The command-line parts of the harness (parsing level and device names,
// the GPU target) are not used here.
#[allow(dead_code)]
#[path = "../examples/conformance/compare.rs"]
mod compare;
#[allow(dead_code)]
#[path = "../examples/conformance/run.rs"]
mod run;

use compare::Level;
use run::{Tally, Target};
use std::path::PathBuf;

#[test]
fn corpus_passes_at_standard_level_on_cpu() {
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
        let tally = run::run_file(&path, Level::Standard, Target::Cpu, |id, what| {
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
    assert_eq!(total.skipped, 0, "no case may be skipped on the CPU");
}
