//! Runs the ufunc corpus (`ufunc/FORMAT.md` of the conformance corpus):
//! each case builds its base arrays from exact bit patterns, applies view
//! steps, runs one op (a binary or unary ufunc, `where`, `clip`, a
//! reduction, `astype`, `str` or a `.npy` load) and compares the result, the
//! bases after an `out=` write, the error or the printed text with NumPy's.
//!
//! Shared by the `conformance` example and by `tests/conformance.rs`.

use crate::run::{Outcome, Target};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use strider::half::{bf16, f16};
use strider::{Array, Axes, BinaryOp, DType, Operand, ReduceOp, Scalar, SliceItem, UnaryOp};

type Step<T> = Result<T, String>;

/// Why a case's op did not give a value: strider refused (an error, which an
/// error case expects) or the harness could not run it (always a failure).
enum Refusal {
    Strider(strider::Error),
    Harness(String),
}

impl From<strider::Error> for Refusal {
    fn from(e: strider::Error) -> Refusal {
        Refusal::Strider(e)
    }
}

impl From<String> for Refusal {
    fn from(why: String) -> Refusal {
        Refusal::Harness(why)
    }
}

impl From<&str> for Refusal {
    fn from(why: &str) -> Refusal {
        Refusal::Harness(why.to_string())
    }
}

// ----- building bases and operands ------------------------------------------

fn json_shape(v: &Value) -> Step<Vec<usize>> {
    v.as_array()
        .ok_or("shape is not a list")?
        .iter()
        .map(|d| {
            d.as_u64()
                .map(|d| d as usize)
                .ok_or("bad length".to_string())
        })
        .collect()
}

/// One JSON integer as an i128 (every encoded element fits: integers of
/// any strider dtype, and float bit patterns up to u64).
fn json_int(v: &Value) -> Step<i128> {
    v.as_i64()
        .map(i128::from)
        .or_else(|| v.as_u64().map(i128::from))
        .ok_or_else(|| format!("element {v} is not an integer"))
}

fn raw_values(data: &Value) -> Step<Vec<i128>> {
    data.as_array()
        .ok_or("data is not a list")?
        .iter()
        .map(json_int)
        .collect()
}

/// A C-ordered array of `dtype` from the corpus encoding: bool as 0/1,
/// integers as themselves, floats as their bit patterns.
fn build(dtype: DType, shape: &[usize], raw: &[i128]) -> strider::Result<Array> {
    fn of<T: strider::Element>(
        raw: &[i128],
        shape: &[usize],
        f: impl Fn(i128) -> T,
    ) -> strider::Result<Array> {
        Array::from_vec(raw.iter().map(|&r| f(r)).collect::<Vec<T>>(), shape)
    }
    match dtype {
        DType::Bool => of(raw, shape, |r| r != 0),
        DType::I8 => of(raw, shape, |r| r as i8),
        DType::U8 => of(raw, shape, |r| r as u8),
        DType::I16 => of(raw, shape, |r| r as i16),
        DType::U16 => of(raw, shape, |r| r as u16),
        DType::I32 => of(raw, shape, |r| r as i32),
        DType::U32 => of(raw, shape, |r| r as u32),
        DType::I64 => of(raw, shape, |r| r as i64),
        DType::U64 => of(raw, shape, |r| r as u64),
        DType::F16 => of(raw, shape, |r| f16::from_bits(r as u16)),
        DType::BF16 => of(raw, shape, |r| bf16::from_bits(r as u16)),
        DType::F32 => of(raw, shape, |r| f32::from_bits(r as u32)),
        DType::F64 => of(raw, shape, |r| f64::from_bits(r as u64)),
    }
}

/// The elements of `a` in C order, in the corpus encoding.
fn raw_of(a: &Array) -> strider::Result<Vec<i128>> {
    let a = &a.to_cpu()?;
    fn ints<T: strider::Element + Into<i128>>(a: &Array) -> strider::Result<Vec<i128>> {
        Ok(a.to_vec::<T>()?.into_iter().map(Into::into).collect())
    }
    Ok(match a.dtype() {
        DType::Bool => a.to_vec::<bool>()?.into_iter().map(i128::from).collect(),
        DType::I8 => ints::<i8>(a)?,
        DType::U8 => ints::<u8>(a)?,
        DType::I16 => ints::<i16>(a)?,
        DType::U16 => ints::<u16>(a)?,
        DType::I32 => ints::<i32>(a)?,
        DType::U32 => ints::<u32>(a)?,
        DType::I64 => ints::<i64>(a)?,
        DType::U64 => ints::<u64>(a)?,
        DType::F16 => a
            .to_vec::<f16>()?
            .iter()
            .map(|v| v.to_bits().into())
            .collect(),
        DType::BF16 => a
            .to_vec::<bf16>()?
            .iter()
            .map(|v| v.to_bits().into())
            .collect(),
        DType::F32 => a
            .to_vec::<f32>()?
            .iter()
            .map(|v| v.to_bits().into())
            .collect(),
        DType::F64 => a
            .to_vec::<f64>()?
            .iter()
            .map(|v| v.to_bits().into())
            .collect(),
    })
}

fn dtype_named(name: &str) -> Step<DType> {
    DType::from_name(name).ok_or_else(|| format!("unknown dtype {name}"))
}

fn bases(case: &Value, target: Target) -> Result<HashMap<String, Array>, Refusal> {
    let mut out = HashMap::new();
    let Some(map) = case.get("bases").and_then(Value::as_object) else {
        return Ok(out);
    };
    for (name, b) in map {
        let dt = dtype_named(b.get("dtype").and_then(Value::as_str).unwrap_or("?"))?;
        let shape = json_shape(b.get("shape").unwrap_or(&Value::Null))?;
        let raw = raw_values(b.get("data").unwrap_or(&Value::Null))?;
        let a = build(dt, &shape, &raw)?;
        let a = match target {
            Target::Cpu => a,
            Target::Gpu => a.to_device(&strider::Device::gpu()?)?,
        };
        out.insert(name.clone(), a);
    }
    Ok(out)
}

fn slice_item(v: &Value) -> Step<SliceItem> {
    let int = |p: &Value| -> Step<Option<isize>> {
        match p {
            Value::Null => Ok(None),
            p => p
                .as_i64()
                .map(|i| Some(i as isize))
                .ok_or_else(|| format!("bad slice bound {p}")),
        }
    };
    Ok(match v {
        Value::Null => SliceItem::NewAxis,
        Value::String(s) if s == "..." => SliceItem::Ellipsis,
        Value::Number(_) => SliceItem::Index(int(v)?.unwrap_or(0)),
        Value::Array(p) if p.len() == 3 => SliceItem::Slice {
            start: int(&p[0])?,
            stop: int(&p[1])?,
            step: int(&p[2])?,
        },
        _ => return Err(format!("unknown slice item {v}")),
    })
}

/// A base seen through its view steps.
fn view(v: &Value, bases: &HashMap<String, Array>) -> Result<Array, Refusal> {
    let name = v.get("base").and_then(Value::as_str).unwrap_or("?");
    let mut a = bases
        .get(name)
        .ok_or_else(|| format!("no base named {name}"))?
        .clone();
    for step in v
        .get("view")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        a = if let Some(items) = step.get("slice") {
            let items = items
                .as_array()
                .ok_or("slice is not a list")?
                .iter()
                .map(slice_item)
                .collect::<Step<Vec<_>>>()?;
            a.slice(&items)?
        } else if let Some(axes) = step.get("transpose") {
            match axes {
                Value::Null => a.t(),
                axes => {
                    let axes = axes
                        .as_array()
                        .ok_or("transpose axes are not a list")?
                        .iter()
                        .map(|d| d.as_i64().map(|d| d as isize).ok_or("bad axis"))
                        .collect::<Result<Vec<_>, _>>()?;
                    a.transpose(Some(&axes))?
                }
            }
        } else if let Some(shape) = step.get("broadcast_to") {
            a.broadcast_to(&json_shape(shape)?)?
        } else {
            return Err(format!("unknown view step {step}").into());
        };
    }
    Ok(a)
}

/// A Python scalar literal of the given kind, weak as in NEP 50.
fn scalar(v: &Value) -> Step<Scalar> {
    let text = v.get("scalar").and_then(Value::as_str).unwrap_or("?");
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("?");
    match kind {
        "bool" => match text {
            "true" | "True" => Ok(Scalar::Bool(true)),
            "false" | "False" => Ok(Scalar::Bool(false)),
            _ => Err(format!("bad bool literal {text}")),
        },
        "int" => text
            .parse::<i128>()
            .map(Scalar::Int)
            .map_err(|_| format!("int literal {text} does not fit 128 bits")),
        "float" => text
            .parse::<f64>()
            .map(Scalar::Float)
            .map_err(|_| format!("bad float literal {text}")),
        _ => Err(format!("unknown scalar kind {kind}")),
    }
}

/// An operand as it is held while a case runs: a view of a base, or a
/// scalar.
enum Held {
    Array(Array),
    Scalar(Scalar),
}

impl Held {
    fn operand(&self) -> Operand<'_> {
        match self {
            Held::Array(a) => Operand::Array(a),
            Held::Scalar(s) => Operand::Scalar(*s),
        }
    }

    fn array(&self, what: &str) -> Step<&Array> {
        match self {
            Held::Array(a) => Ok(a),
            Held::Scalar(_) => Err(format!("`{what}` is a scalar")),
        }
    }
}

fn held(op: &Value, key: &str, bases: &HashMap<String, Array>) -> Result<Held, Refusal> {
    let v = op
        .get(key)
        .ok_or_else(|| format!("the op has no `{key}`"))?;
    if v.get("scalar").is_some() {
        Ok(Held::Scalar(scalar(v)?))
    } else {
        Ok(Held::Array(view(v, bases)?))
    }
}

// ----- running the op ---------------------------------------------------------

/// What the op gave.
enum Gave {
    Array(Array),
    Text(String),
    /// The op wrote into `out`; the bases hold the result.
    Written,
}

fn run_op(case: &Value, bases: &HashMap<String, Array>, dir: &Path) -> Result<Gave, Refusal> {
    let op = case.get("op").ok_or("the case has no op")?;
    let kind = op.get("kind").and_then(Value::as_str).unwrap_or("?");
    let fn_name = op.get("fn").and_then(Value::as_str).unwrap_or("?");
    let out = match op.get("out") {
        Some(v) if !v.is_null() => Some(view(v, bases)?),
        _ => None,
    };
    let gave = match kind {
        "binary" => {
            let f = BinaryOp::from_name(fn_name)
                .ok_or_else(|| format!("unknown binary fn {fn_name}"))?;
            let (x, y) = (held(op, "x", bases)?, held(op, "y", bases)?);
            match out {
                Some(out) => {
                    strider::binary_operands_into(f, x.operand(), y.operand(), &out)?;
                    Gave::Written
                }
                None => Gave::Array(strider::binary_operands(f, x.operand(), y.operand())?),
            }
        }
        "unary" => {
            let f =
                UnaryOp::from_name(fn_name).ok_or_else(|| format!("unknown unary fn {fn_name}"))?;
            let x = held(op, "x", bases)?;
            let x = x.array("x")?;
            match out {
                Some(out) => {
                    x.unary_into(f, &out)?;
                    Gave::Written
                }
                None => Gave::Array(x.unary(f)?),
            }
        }
        "where" => {
            let cond = held(op, "cond", bases)?;
            let (x, y) = (held(op, "x", bases)?, held(op, "y", bases)?);
            Gave::Array(strider::where_(
                cond.array("cond")?,
                x.operand(),
                y.operand(),
            )?)
        }
        "clip" => {
            let x = held(op, "x", bases)?;
            let (lo, hi) = (held(op, "lo", bases)?, held(op, "hi", bases)?);
            Gave::Array(x.array("x")?.clip(lo.operand(), hi.operand())?)
        }
        "reduce" => {
            let f = ReduceOp::from_name(fn_name)
                .ok_or_else(|| format!("unknown reduction {fn_name}"))?;
            let x = held(op, "x", bases)?;
            let axes = match op.get("axis") {
                None | Some(Value::Null) => Axes::All,
                Some(Value::Array(list)) => Axes::List(
                    list.iter()
                        .map(|d| d.as_i64().map(|d| d as isize).ok_or("bad axis"))
                        .collect::<Result<_, _>>()?,
                ),
                Some(v) => Axes::One(v.as_i64().ok_or("bad axis")? as isize),
            };
            let keepdims = op.get("keepdims").and_then(Value::as_bool).unwrap_or(false);
            Gave::Array(x.array("x")?.reduce(f, axes, keepdims)?)
        }
        "astype" => {
            let x = held(op, "x", bases)?;
            let dt = dtype_named(op.get("dtype").and_then(Value::as_str).unwrap_or("?"))?;
            Gave::Array(x.array("x")?.astype(dt)?)
        }
        "str" => {
            let x = held(op, "x", bases)?;
            Gave::Text(x.array("x")?.to_cpu()?.to_string())
        }
        "npy_load" => {
            let file = op.get("file").and_then(Value::as_str).ok_or("no file")?;
            Gave::Array(Array::load_npy(dir.join(file))?)
        }
        other => return Err(format!("unknown op kind {other}").into()),
    };
    Ok(gave)
}

// ----- comparing ----------------------------------------------------------------

/// The comparison rules of one case: per-dtype ulp bounds and an absolute
/// bound for inexact sums.
struct Rules {
    ulp: HashMap<String, u64>,
    abs_bound: Option<f64>,
}

fn float_value(dt: DType, raw: i128) -> f64 {
    match dt {
        DType::F16 => f16::from_bits(raw as u16).to_f64(),
        DType::BF16 => bf16::from_bits(raw as u16).to_f64(),
        DType::F32 => f32::from_bits(raw as u32) as f64,
        DType::F64 => f64::from_bits(raw as u64),
        _ => raw as f64,
    }
}

/// A float's bit pattern mapped so that consecutive floats are consecutive
/// integers (negative values below positive ones, both zeros adjacent).
fn ordered(dt: DType, raw: i128) -> i128 {
    let bits = dt.itemsize() as u32 * 8;
    let sign = 1i128 << (bits - 1);
    if raw & sign != 0 {
        -(raw & (sign - 1))
    } else {
        raw
    }
}

fn same_element(dt: DType, got: i128, want: i128, rules: &Rules) -> bool {
    if got == want {
        return true;
    }
    if !dt.is_float() {
        return false;
    }
    let (g, w) = (float_value(dt, got), float_value(dt, want));
    if g.is_nan() || w.is_nan() {
        return g.is_nan() && w.is_nan();
    }
    if !w.is_finite() || w == 0.0 || !g.is_finite() {
        return false;
    }
    if let Some(&n) = rules.ulp.get(dt.name()) {
        if (ordered(dt, got) - ordered(dt, want)).unsigned_abs() <= n as u128 {
            return true;
        }
    }
    if let Some(b) = rules.abs_bound {
        if (g - w).abs() <= b {
            return true;
        }
    }
    false
}

fn show(dt: DType, raw: i128) -> String {
    if dt.is_float() {
        format!("{:?}", float_value(dt, raw))
    } else {
        raw.to_string()
    }
}

/// The first differing element of `got` against the encoded `want`.
fn compare_data(dt: DType, got: &[i128], want: &Value, rules: &Rules) -> Option<String> {
    let want = match raw_values(want) {
        Ok(w) => w,
        Err(e) => return Some(e),
    };
    if got.len() != want.len() {
        return Some(format!("{} elements, want {}", got.len(), want.len()));
    }
    let mut wrong = (0..got.len()).filter(|&i| !same_element(dt, got[i], want[i], rules));
    let at = wrong.next()?;
    let more = wrong.count();
    let more = if more > 0 {
        format!(" (and {more} more)")
    } else {
        String::new()
    };
    Some(format!(
        "[{at}] {}, want {}{more}",
        show(dt, got[at]),
        show(dt, want[at])
    ))
}

fn check_result(got: &Array, want: &Value, rules: &Rules) -> Option<String> {
    let want_dt = want.get("dtype").and_then(Value::as_str).unwrap_or("?");
    let want_shape = json_shape(want.get("shape").unwrap_or(&Value::Null)).unwrap_or_default();
    if got.dtype().name() != want_dt || got.shape() != want_shape.as_slice() {
        return Some(format!(
            "result {} {:?}, want {want_dt} {want_shape:?}",
            got.dtype(),
            got.shape()
        ));
    }
    match raw_of(got) {
        Ok(raw) => {
            compare_data(got.dtype(), &raw, want.get("data")?, rules).map(|d| format!("result {d}"))
        }
        Err(e) => Some(format!("result unreadable: {e}")),
    }
}

/// Runs one ufunc case on `target`; `dir` is the corpus folder (for the
/// `.npy` files a case names).
pub fn run_case(case: &Value, target: Target, dir: &Path) -> Outcome {
    // The case says why (a dtype strider lacks); the tally counts it apart.
    if case.get("not_runnable").is_some() {
        return Outcome::NotRunnable;
    }
    if target.missing().is_some() {
        return Outcome::Skip;
    }
    let expect = case.get("expect").cloned().unwrap_or(Value::Null);
    let rules = Rules {
        ulp: expect
            .get("ulp")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_u64()?)))
                    .collect()
            })
            .unwrap_or_default(),
        abs_bound: expect.get("abs_bound").and_then(Value::as_f64),
    };
    let bases = match bases(case, target) {
        Ok(b) => b,
        Err(Refusal::Strider(e)) => return Outcome::Fail(format!("building the bases: {e}")),
        Err(Refusal::Harness(why)) => return Outcome::Fail(format!("cannot run: {why}")),
    };
    let gave = match run_op(case, &bases, dir) {
        Ok(g) => g,
        Err(Refusal::Harness(why)) => return Outcome::Fail(format!("cannot run: {why}")),
        Err(Refusal::Strider(e)) => {
            return match expect.get("error") {
                Some(_) => Outcome::Pass,
                None => Outcome::Fail(format!("{} error: {e}", e.kind().name())),
            };
        }
    };
    if let Some(err) = expect.get("error") {
        let ty = err.get("type").and_then(Value::as_str).unwrap_or("?");
        return Outcome::Fail(format!("want a {ty}, but it succeeded"));
    }
    let mut diffs = Vec::new();
    match (&gave, expect.get("result"), expect.get("str")) {
        (Gave::Array(a), Some(want), _) => diffs.extend(check_result(a, want, &rules)),
        (Gave::Text(t), _, Some(want)) => {
            let want = want.as_str().unwrap_or("?");
            if t != want {
                diffs.push(format!("str {t:?}, want {want:?}"));
            }
        }
        (Gave::Written, _, _) => {}
        _ => diffs.push("the case expects something the op does not give".into()),
    }
    if let Some(after) = expect.get("bases_after").and_then(Value::as_object) {
        for (name, want) in after {
            let Some(b) = bases.get(name) else {
                diffs.push(format!("no base named {name}"));
                continue;
            };
            match raw_of(b) {
                Ok(raw) => {
                    if let Some(d) = compare_data(b.dtype(), &raw, want, &rules) {
                        diffs.push(format!("base {name} after: {d}"));
                    }
                }
                Err(e) => diffs.push(format!("base {name} unreadable: {e}")),
            }
        }
    }
    if diffs.is_empty() {
        Outcome::Pass
    } else {
        Outcome::Fail(diffs.join("; "))
    }
}
