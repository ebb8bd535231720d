//! Runs conformance cases (`../shared/conformance/FORMAT.md`) through
//! strider's public API: each step becomes one strider call, and the arrays
//! it makes are checked by `compare`.
//!
//! Shared by the `conformance` example and by `tests/conformance.rs`.

use crate::compare::{self, Level, Produced};
use serde_json::Value;
use std::fmt;
use strider::{
    Array, Axes, BinaryOp, DType, IndexItem, Operand, Order, ReduceOp, Scalar, SliceItem,
};

/// The device a run puts its input arrays on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Host memory and the CPU kernels.
    Cpu,
    /// A GPU through wgpu.
    Gpu,
}

impl Target {
    /// The target named `name` (`cpu` or `gpu`).
    pub fn parse(name: &str) -> Option<Target> {
        match name {
            "cpu" => Some(Target::Cpu),
            "gpu" => Some(Target::Gpu),
            _ => None,
        }
    }

    /// Why cases cannot run on this target, or `None` when they can.
    pub fn missing(self) -> Option<&'static str> {
        match self {
            Target::Cpu => None,
            Target::Gpu => match strider::Device::gpu() {
                Ok(_) => None,
                Err(_) => Some(
                    "no GPU adapter (apt-get install mesa-vulkan-drivers gives lavapipe); \
                     every case is skipped",
                ),
            },
        }
    }
}

/// Puts a freshly created input array (`arange`, `array`, `full`, and the
/// index arrays written inline in an index) on the target device. Every
/// input passes through here, so the ops of a case run where their inputs
/// live; `compare` reads results back with `to_cpu` and `to_vec`.
fn place(a: Array, target: Target) -> Result<Array, StepError> {
    match target {
        Target::Cpu => Ok(a),
        Target::Gpu => match strider::Device::gpu() {
            Ok(dev) => a.to_device(&dev).map_err(StepError::Strider),
            Err(_) => Err(StepError::NoDevice(target.missing().unwrap_or_default())),
        },
    }
}

/// The outcome of one case.
#[derive(Debug)]
pub enum Outcome {
    /// Everything compared equal at the chosen level.
    Pass,
    /// What differed, or why the case could not run.
    Fail(String),
    /// The case needs a device that is not there.
    Skip,
    /// NumPy's answer needs something strider does not have (a dtype).
    NotRunnable,
}

/// Why a step did not produce its result.
#[derive(Debug)]
enum StepError {
    /// strider refused the call.
    Strider(strider::Error),
    /// An argument that strider's types cannot express, such as a negative
    /// length in `broadcast_to` (shapes are `usize`); `kind` is the error
    /// kind NumPy reports for it.
    Unrepresentable { kind: &'static str, why: String },
    /// The harness could not interpret the step.
    Harness(String),
    /// The target device is missing.
    NoDevice(&'static str),
}

impl StepError {
    fn kind(&self) -> Option<&'static str> {
        match self {
            StepError::Strider(e) => Some(e.kind().name()),
            StepError::Unrepresentable { kind, .. } => Some(kind),
            StepError::Harness(_) | StepError::NoDevice(_) => None,
        }
    }
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepError::Strider(e) => write!(f, "{} error: {e}", e.kind().name()),
            StepError::Unrepresentable { kind, why } => {
                write!(f, "{kind} error (not expressible in the API): {why}")
            }
            StepError::Harness(why) => write!(f, "cannot run: {why}"),
            StepError::NoDevice(why) => f.write_str(why),
        }
    }
}

impl From<strider::Error> for StepError {
    fn from(e: strider::Error) -> StepError {
        StepError::Strider(e)
    }
}

type Step<T> = Result<T, StepError>;

fn bad(why: impl Into<String>) -> StepError {
    StepError::Harness(why.into())
}

// ----- reading step fields ------------------------------------------------

fn field<'a>(step: &'a Value, key: &str) -> Step<&'a Value> {
    step.get(key)
        .ok_or_else(|| bad(format!("missing field `{key}`")))
}

fn string<'a>(step: &'a Value, key: &str) -> Step<&'a str> {
    field(step, key)?
        .as_str()
        .ok_or_else(|| bad(format!("`{key}` is not a string")))
}

fn int(v: &Value, what: &str) -> Step<isize> {
    v.as_i64()
        .map(|i| i as isize)
        .ok_or_else(|| bad(format!("`{what}` is not an integer")))
}

fn int_list(v: &Value, what: &str) -> Step<Vec<isize>> {
    v.as_array()
        .ok_or_else(|| bad(format!("`{what}` is not a list")))?
        .iter()
        .map(|d| int(d, what))
        .collect()
}

/// A list of lengths; a negative length is not expressible (`usize`), and
/// NumPy reports it as a `kind` error.
fn lengths(v: &Value, what: &str, kind: &'static str) -> Step<Vec<usize>> {
    let dims = int_list(v, what)?;
    if let Some(d) = dims.iter().find(|&&d| d < 0) {
        return Err(StepError::Unrepresentable {
            kind,
            why: format!("negative length {d} in shape {dims:?}"),
        });
    }
    Ok(dims.into_iter().map(|d| d as usize).collect())
}

fn shape(step: &Value, key: &str, kind: &'static str) -> Step<Vec<usize>> {
    lengths(field(step, key)?, key, kind)
}

/// An optional axis argument: absent or null, one integer, or a list.
fn axes(step: &Value, key: &str) -> Step<Option<Vec<isize>>> {
    match step.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Array(_)) => int_list(v, key).map(Some),
        Some(v) => int(v, key).map(|a| Some(vec![a])),
    }
}

fn order(step: &Value, default: Order) -> Step<Order> {
    match step.get("order") {
        None | Some(Value::Null) => Ok(default),
        Some(v) => match v.as_str() {
            Some("C") => Ok(Order::C),
            Some("F") => Ok(Order::F),
            Some("A") => Ok(Order::A),
            Some("K") => Ok(Order::K),
            _ => Err(bad(format!("unknown order {v}"))),
        },
    }
}

fn dtype(step: &Value) -> Step<DType> {
    let name = string(step, "dtype")?;
    DType::from_name(name).ok_or_else(|| bad(format!("unknown dtype {name}")))
}

/// A JSON number (or `"nan"`, `"inf"`, `"-inf"`, or a bool) as a Python
/// scalar of its own kind.
fn json_scalar(v: &Value) -> Step<Scalar> {
    match v {
        Value::Bool(b) => Ok(Scalar::Bool(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(|i| Scalar::Int(i as i128))
            .or_else(|| n.as_u64().map(|u| Scalar::Int(u as i128)))
            .or_else(|| n.as_f64().map(Scalar::Float))
            .ok_or_else(|| bad(format!("unreadable number {n}"))),
        Value::String(s) => match s.as_str() {
            "nan" => Ok(Scalar::Float(f64::NAN)),
            "inf" => Ok(Scalar::Float(f64::INFINITY)),
            "-inf" => Ok(Scalar::Float(f64::NEG_INFINITY)),
            _ => Err(bad(format!("unknown value {s:?}"))),
        },
        _ => Err(bad(format!("not a scalar: {v}"))),
    }
}

/// A `{"scalar": v, "kind": "int"|"float"|"bool"}` operand.
fn kinded_scalar(v: &Value) -> Step<Scalar> {
    let value = json_scalar(field(v, "scalar")?)?;
    let kind = string(v, "kind")?;
    Ok(match (kind, value) {
        ("int", Scalar::Int(_)) | ("bool", Scalar::Bool(_)) | ("float", Scalar::Float(_)) => value,
        ("float", Scalar::Int(i)) => Scalar::Float(i as f64),
        _ => return Err(bad(format!("scalar {value} is not of kind {kind}"))),
    })
}

// ----- building inputs ------------------------------------------------------

/// A C-ordered array of `dtype` from flat values: booleans directly,
/// integers through int64 and floats through float64, cast as NumPy does.
fn array_of(values: &[Value], shape: &[usize], dtype: DType) -> Step<Array> {
    let scalars: Vec<Scalar> = values.iter().map(json_scalar).collect::<Step<_>>()?;
    let built = if dtype == DType::Bool {
        let v: Vec<bool> = scalars.iter().map(|s| s.to::<bool>()).collect();
        Array::from_vec(v, shape)?
    } else if dtype.is_integer() {
        let v: Vec<i64> = scalars.iter().map(|s| s.to::<i64>()).collect();
        Array::from_vec(v, shape)?
    } else {
        let v: Vec<f64> = scalars.iter().map(|s| s.to::<f64>()).collect();
        Array::from_vec(v, shape)?
    };
    Ok(if built.dtype() == dtype {
        built
    } else {
        built.astype(dtype)?
    })
}

/// The shape and flat C-order elements of a nested JSON list.
fn nested(v: &Value) -> (Vec<usize>, Vec<Value>) {
    let mut dims = Vec::new();
    let mut cur = v;
    while let Value::Array(items) = cur {
        dims.push(items.len());
        match items.first() {
            Some(first) => cur = first,
            None => break,
        }
    }
    fn flatten(v: &Value, out: &mut Vec<Value>) {
        match v {
            Value::Array(items) => items.iter().for_each(|x| flatten(x, out)),
            x => out.push(x.clone()),
        }
    }
    let mut flat = Vec::new();
    flatten(v, &mut flat);
    (dims, flat)
}

fn arange(step: &Value) -> Step<Array> {
    let n = int(field(step, "n")?, "n")?;
    let start = step.get("start").map_or(Ok(0), |v| int(v, "start"))? as i64;
    let by = step.get("step").map_or(Ok(1), |v| int(v, "step"))? as i64;
    let values: Vec<i64> = (0..n as i64).map(|i| start + i * by).collect();
    let a = Array::from_vec(values, &[n.max(0) as usize])?;
    let dt = dtype(step)?;
    Ok(if dt == DType::I64 { a } else { a.astype(dt)? })
}

// ----- indices and operands -------------------------------------------------

fn basic_item(v: &Value) -> Step<Option<SliceItem>> {
    let part = |p: &Value| match p {
        Value::Null => Ok(None),
        p => int(p, "slice bound").map(Some),
    };
    Ok(Some(match v {
        Value::Null => SliceItem::NewAxis,
        Value::String(s) if s == "..." => SliceItem::Ellipsis,
        Value::Number(_) => SliceItem::Index(int(v, "index")?),
        Value::Array(p) if p.len() == 3 => SliceItem::Slice {
            start: part(&p[0])?,
            stop: part(&p[1])?,
            step: part(&p[2])?,
        },
        Value::Object(_) => return Ok(None),
        _ => return Err(bad(format!("unknown index item {v}"))),
    }))
}

/// The items of `step["index"]`, index arrays included.
fn index_items(step: &Value, produced: &Produced, target: Target) -> Step<Vec<IndexItem>> {
    let items = field(step, "index")?
        .as_array()
        .ok_or_else(|| bad("`index` is not a list"))?;
    items
        .iter()
        .map(|v| {
            if let Some(b) = basic_item(v)? {
                return Ok(IndexItem::Basic(b));
            }
            if let Some(idx) = v.get("idx") {
                let (dims, flat) = nested(idx);
                return Ok(IndexItem::Array(place(
                    array_of(&flat, &dims, DType::I64)?,
                    target,
                )?));
            }
            if let Some(mask) = v.get("mask") {
                let (dims, flat) = nested(mask);
                return Ok(IndexItem::Array(place(
                    array_of(&flat, &dims, DType::Bool)?,
                    target,
                )?));
            }
            if let Some(name) = v.get("array").and_then(Value::as_str) {
                return Ok(IndexItem::Array(named(produced, name)?.clone()));
            }
            Err(bad(format!("unknown index item {v}")))
        })
        .collect()
}

fn named<'a>(produced: &'a Produced, name: &str) -> Step<&'a Array> {
    produced
        .arrays
        .get(name)
        .ok_or_else(|| bad(format!("no array named {name}")))
}

fn array_arg<'a>(step: &Value, key: &str, produced: &'a Produced) -> Step<&'a Array> {
    named(produced, string(step, key)?)
}

/// An operand that is an array name or a `{"scalar", "kind"}` object.
fn operand<'a>(v: &Value, produced: &'a Produced) -> Step<Operand<'a>> {
    match v {
        Value::String(name) => Ok(Operand::Array(named(produced, name)?)),
        _ => Ok(Operand::Scalar(kinded_scalar(v)?)),
    }
}

fn binary_op(step: &Value) -> Step<BinaryOp> {
    let name = string(step, "fn")?;
    BinaryOp::from_name(name).ok_or_else(|| bad(format!("unknown binary fn {name}")))
}

// ----- steps ----------------------------------------------------------------

/// What a step made.
enum Made {
    Array(Array),
    Value(Vec<usize>),
    Nothing,
}

fn run_step(step: &Value, produced: &Produced, target: Target) -> Step<Made> {
    let op = string(step, "op")?;
    let x = || array_arg(step, "x", produced);
    let made = match op {
        "arange" => place(arange(step)?, target)?,
        "array" => {
            let values = field(step, "values")?
                .as_array()
                .ok_or_else(|| bad("`values` is not a list"))?;
            let a = array_of(values, &shape(step, "shape", "value")?, dtype(step)?)?;
            let a = match order(step, Order::C)? {
                Order::F => a.copy_order(Order::F)?,
                _ => a,
            };
            place(a, target)?
        }
        "full" => {
            let value = json_scalar(field(step, "value")?)?;
            let a = Array::full_order(
                &shape(step, "shape", "value")?,
                value,
                dtype(step)?,
                order(step, Order::C)?,
            )?;
            place(a, target)?
        }
        "copy" => x()?.copy_order(order(step, Order::K)?)?,
        "astype" => x()?.astype_order(dtype(step)?, order(step, Order::K)?)?,
        "ascontiguousarray" => x()?.to_contiguous()?,
        "asfortranarray" => x()?.asfortranarray()?,
        "slice" => {
            let items = index_items(step, produced, target)?;
            let basic = items
                .iter()
                .map(|i| match i {
                    IndexItem::Basic(b) => Ok(*b),
                    IndexItem::Array(_) => Err(bad("`slice` with an index array")),
                })
                .collect::<Step<Vec<_>>>()?;
            x()?.slice(&basic)?
        }
        "index" => x()?.index(&index_items(step, produced, target)?)?,
        "transpose" => x()?.transpose(axes(step, "axes")?.as_deref())?,
        "swapaxes" => x()?.swapaxes(
            int(field(step, "axis1")?, "axis1")?,
            int(field(step, "axis2")?, "axis2")?,
        )?,
        "expand_dims" => {
            let ax = axes(step, "axis")?.ok_or_else(|| bad("`expand_dims` needs an axis"))?;
            x()?.expand_dims(&ax)?
        }
        "squeeze" => x()?.squeeze(axes(step, "axis")?.as_deref())?,
        "broadcast_to" => x()?.broadcast_to(&shape(step, "shape", "broadcast")?)?,
        "reshape" => {
            let to = int_list(field(step, "shape")?, "shape")?;
            let copy = step.get("copy").and_then(Value::as_bool);
            x()?.reshape_with(&to, order(step, Order::C)?, copy)?
        }
        "ravel" => x()?.ravel_order(order(step, Order::C)?)?,
        "flatten" => x()?.flatten_order(order(step, Order::C)?)?,
        "binary" => {
            let y = operand(field(step, "y")?, produced)?;
            x()?.binary(binary_op(step)?, y)?
        }
        "binary_inplace" => {
            let y = operand(field(step, "y")?, produced)?;
            x()?.binary_inplace(binary_op(step)?, y)?;
            return Ok(Made::Nothing);
        }
        "reduce" => {
            let name = string(step, "fn")?;
            let f = ReduceOp::from_name(name)
                .ok_or_else(|| bad(format!("unknown reduce fn {name}")))?;
            // A bare integer and a list differ in NumPy (on 0-d arrays).
            let over = match step.get("axis") {
                None | Some(Value::Null) => Axes::All,
                Some(v @ Value::Array(_)) => Axes::List(int_list(v, "axis")?),
                Some(v) => Axes::One(int(v, "axis")?),
            };
            let keepdims = step
                .get("keepdims")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            x()?.reduce(f, over, keepdims)?
        }
        "concatenate" | "stack" => {
            let names = field(step, "xs")?
                .as_array()
                .ok_or_else(|| bad("`xs` is not a list"))?;
            let xs = names
                .iter()
                .map(|n| named(produced, n.as_str().unwrap_or("?")))
                .collect::<Step<Vec<_>>>()?;
            let axis = match step.get("axis") {
                Some(Value::Null) => None,
                None => Some(0),
                Some(v) => Some(int(v, "axis")?),
            };
            if op == "stack" {
                strider::stack(
                    &xs,
                    axis.ok_or_else(|| bad("`stack` needs an integer axis"))?,
                )?
            } else {
                strider::concatenate(&xs, axis)?
            }
        }
        "assign" => {
            let items = index_items(step, produced, target)?;
            let v = field(step, "value")?;
            let value = match v.get("array").and_then(Value::as_str) {
                Some(name) => Operand::Array(named(produced, name)?),
                None => Operand::Scalar(kinded_scalar(v)?),
            };
            x()?.assign(&items, value)?;
            return Ok(Made::Nothing);
        }
        "broadcast_shapes" => {
            let shapes = field(step, "shapes")?
                .as_array()
                .ok_or_else(|| bad("`shapes` is not a list"))?;
            let shapes = shapes
                .iter()
                .map(|s| lengths(s, "shapes", "broadcast"))
                .collect::<Step<Vec<_>>>()?;
            let refs: Vec<&[usize]> = shapes.iter().map(Vec::as_slice).collect();
            return Ok(Made::Value(strider::layout::broadcast_shapes(
                "broadcast_shapes",
                &refs,
            )?));
        }
        other => return Err(bad(format!("unknown op `{other}`"))),
    };
    Ok(Made::Array(made))
}

/// Runs one case (a parsed JSON line) at `level` on `target`.
pub fn run_case(case: &Value, level: Level, target: Target) -> Outcome {
    if target.missing().is_some() {
        return Outcome::Skip;
    }
    let Some(steps) = case.get("steps").and_then(Value::as_array) else {
        return Outcome::Fail("the case has no steps".into());
    };
    let expect = case.get("expect").cloned().unwrap_or(Value::Null);
    let want_error = expect
        .get("error")
        .map(|e| e.get("kind").and_then(Value::as_str).unwrap_or("?"));
    let mut produced = Produced::default();
    for (i, step) in steps.iter().enumerate() {
        let op = step.get("op").and_then(Value::as_str).unwrap_or("?");
        let last = i + 1 == steps.len();
        match run_step(step, &produced, target) {
            Ok(made) => {
                let out = step.get("out").and_then(Value::as_str);
                match (made, out) {
                    (Made::Nothing, _) => {}
                    (Made::Array(a), Some(name)) => {
                        produced.arrays.insert(name.to_string(), a);
                    }
                    (Made::Value(v), Some(name)) => {
                        produced.values.insert(name.to_string(), v);
                    }
                    (_, None) => return Outcome::Fail(format!("step {i} ({op}) has no `out`")),
                }
            }
            Err(StepError::NoDevice(_)) => return Outcome::Skip,
            Err(e) => {
                return match (want_error, last) {
                    (Some(want), true) if e.kind() == Some(want) => Outcome::Pass,
                    (Some(want), true) => {
                        Outcome::Fail(format!("step {i} ({op}): want a {want} error, got {e}"))
                    }
                    _ => Outcome::Fail(format!("step {i} ({op}): {e}")),
                };
            }
        }
    }
    if let Some(want) = want_error {
        let op = steps
            .last()
            .and_then(|s| s.get("op"))
            .and_then(Value::as_str)
            .unwrap_or("?");
        return Outcome::Fail(format!(
            "step {} ({op}): want a {want} error, but it succeeded",
            steps.len() - 1
        ));
    }
    let diffs = compare::check(&expect, &produced, level);
    if diffs.is_empty() {
        Outcome::Pass
    } else {
        Outcome::Fail(diffs.join("; "))
    }
}

/// Counts of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed (or could not run).
    pub failed: usize,
    /// Cases that need an absent device.
    pub skipped: usize,
    /// Cases whose answer needs a dtype strider lacks (counted apart).
    pub not_runnable: usize,
}

impl Tally {
    /// Adds another tally.
    pub fn add(&mut self, other: Tally) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
        self.not_runnable += other.not_runnable;
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )?;
        if self.not_runnable > 0 {
            write!(f, " ({} not runnable)", self.not_runnable)?;
        }
        Ok(())
    }
}

/// The text of a corpus file: JSON lines, gzip-compressed when the name
/// ends in `.gz`.
fn read_corpus(path: &std::path::Path) -> Result<String, String> {
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let bytes = std::fs::read(path).map_err(cannot)?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
            .map_err(cannot)?;
        Ok(text)
    } else {
        String::from_utf8(bytes).map_err(|e| format!("{} is not UTF-8: {e}", path.display()))
    }
}

/// Runs one parsed case of either corpus: the memory-model corpus's cases
/// have `steps`, the ufunc corpus's have `bases` and an `op`.
fn run_any(case: &Value, level: Level, target: Target, dir: &std::path::Path) -> Outcome {
    if case.get("steps").is_some() {
        run_case(case, level, target)
    } else {
        crate::ufunc::run_case(case, target, dir)
    }
}

/// Runs every case of a corpus file (JSON lines, `.gz` allowed), calling
/// `on_fail(id, what)` for each failing case. A library panic fails its
/// case.
pub fn run_file(
    path: &std::path::Path,
    level: Level,
    target: Target,
    mut on_fail: impl FnMut(&str, &str),
) -> Result<Tally, String> {
    let text = read_corpus(path)?;
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let mut tally = Tally::default();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (id, outcome) = match serde_json::from_str::<Value>(line) {
            Ok(case) => {
                let id = case
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string();
                let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run_any(&case, level, target, dir)
                }));
                let outcome = run.unwrap_or_else(|p| {
                    let msg = p
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| p.downcast_ref::<&str>().copied())
                        .unwrap_or("?");
                    Outcome::Fail(format!("panicked: {msg}"))
                });
                (id, outcome)
            }
            Err(e) => (
                format!("{}:{}", path.display(), n + 1),
                Outcome::Fail(format!("bad JSON: {e}")),
            ),
        };
        match outcome {
            Outcome::Pass => tally.passed += 1,
            Outcome::Skip => tally.skipped += 1,
            Outcome::NotRunnable => tally.not_runnable += 1,
            Outcome::Fail(what) => {
                tally.failed += 1;
                on_fail(&id, &what);
            }
        }
    }
    Ok(tally)
}
