//! The conformance harness: runs NumPy's behaviour as data through
//! strider's public API: the memory-model corpus (`tests/corpus/hand.jsonl`,
//! `random.jsonl`, described by `tests/corpus/FORMAT.md`) and the ufunc
//! corpus (`tests/corpus/ufunc/cases.jsonl.gz`, described by its own
//! FORMAT.md). A file's cases say which corpus they belong to.
//!
//! ```text
//! cargo run --release --example conformance -- FILE.jsonl[.gz]... [--level values|standard|strict] [--device cpu|gpu]
//! ```
//!
//! Prints one line per failing case (its id and what differed), a summary
//! per file, and ends with `conformance: N passed, N failed, N skipped`,
//! followed by `(N not runnable)` when cases need a dtype strider lacks.
//! Exits with status 1 when a case fails, 2 on a usage error.

mod compare;
mod run;
mod ufunc;

use compare::Level;
use run::{Tally, Target};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str =
    "usage: conformance FILE.jsonl[.gz]... [--level values|standard|strict] [--device cpu|gpu]";

struct Args {
    files: Vec<PathBuf>,
    level: Level,
    target: Target,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        files: Vec::new(),
        level: Level::Standard,
        target: Target::Cpu,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--level" => {
                let v = value("--level")?;
                args.level = Level::parse(&v).ok_or_else(|| format!("unknown level {v:?}"))?;
            }
            "--device" => {
                let v = value("--device")?;
                args.target = Target::parse(&v).ok_or_else(|| format!("unknown device {v:?}"))?;
            }
            "-h" | "--help" => return Err(String::new()),
            f if f.starts_with("--") => return Err(format!("unknown option {f}")),
            _ => args.files.push(PathBuf::from(arg)),
        }
    }
    if args.files.is_empty() {
        return Err("no corpus files given".into());
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(why) => {
            if !why.is_empty() {
                eprintln!("conformance: {why}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Some(why) = args.target.missing() {
        println!("note: {why}");
    }
    let mut total = Tally::default();
    for file in &args.files {
        let tally = run::run_file(file, args.level, args.target, |id, what| {
            println!("FAIL {id}: {what}");
        });
        match tally {
            Ok(t) => {
                println!("{}: {t}", file.display());
                total.add(t);
            }
            Err(why) => {
                eprintln!("conformance: {why}");
                return ExitCode::from(2);
            }
        }
    }
    println!("conformance: {total}");
    if total.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
