//! Checks what a case produced against its `expect` block, at one of the
//! comparison levels of FORMAT.md section 7.
//!
//! Every check returns a short description of each difference; an empty list
//! means the case passed.

use serde_json::Value;
use std::collections::HashMap;
use strider::{Array, DType};

/// How much of `expect` is compared (FORMAT.md section 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// dtype, shape, values, broadcast_shapes values and error kinds.
    Values,
    /// `Values` plus view-vs-copy, flags, sharing, and the strides and
    /// offset that NumPy pins down (not those of length-1 axes or of empty
    /// arrays).
    Standard,
    /// Every field exactly as NumPy has it.
    Strict,
}

impl Level {
    /// The level named `name` (`values`, `standard` or `strict`).
    pub fn parse(name: &str) -> Option<Level> {
        match name {
            "values" => Some(Level::Values),
            "standard" => Some(Level::Standard),
            "strict" => Some(Level::Strict),
            _ => None,
        }
    }
}

/// Everything the steps of a case made, by name.
#[derive(Default)]
pub struct Produced {
    /// Arrays (views and copies alike).
    pub arrays: HashMap<String, Array>,
    /// Plain values (the shapes `broadcast_shapes` returns).
    pub values: HashMap<String, Vec<usize>>,
}

/// Compares `produced` with a success-form `expect` at `level`.
pub fn check(expect: &Value, produced: &Produced, level: Level) -> Vec<String> {
    let mut diffs = Vec::new();
    let empty = serde_json::Map::new();
    let arrays = expect
        .get("arrays")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (name, want) in arrays {
        match produced.arrays.get(name) {
            Some(got) => check_array(name, got, want, level, &mut diffs),
            None => diffs.push(format!("{name}: no such array was made")),
        }
    }
    let values = expect
        .get("values")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (name, want) in values {
        let want: Option<Vec<usize>> = want
            .as_array()
            .and_then(|v| v.iter().map(|d| d.as_u64().map(|d| d as usize)).collect());
        match (produced.values.get(name), want) {
            (Some(got), Some(want)) if *got == want => {}
            (Some(got), Some(want)) => diffs.push(format!("{name}: {got:?}, want {want:?}")),
            (None, _) => diffs.push(format!("{name}: no such value was made")),
            (Some(_), None) => diffs.push(format!(
                "{name}: the expected value is not a list of lengths"
            )),
        }
    }
    if level >= Level::Standard {
        check_buffers(arrays, produced, &mut diffs);
        check_sharing(
            expect,
            "shares_memory",
            produced,
            Array::shares_memory,
            &mut diffs,
        );
        check_sharing(
            expect,
            "may_share_memory",
            produced,
            Array::may_share_memory,
            &mut diffs,
        );
    }
    diffs
}

fn ints(v: Option<&Value>) -> Option<Vec<i64>> {
    v?.as_array()?.iter().map(Value::as_i64).collect()
}

fn check_array(name: &str, got: &Array, want: &Value, level: Level, diffs: &mut Vec<String>) {
    let mut bad = Vec::new();
    let want_dtype = want.get("dtype").and_then(Value::as_str).unwrap_or("?");
    if got.dtype().name() != want_dtype {
        bad.push(format!("dtype {}, want {want_dtype}", got.dtype()));
    }
    if let Some(item) = want.get("itemsize").and_then(Value::as_u64) {
        if got.itemsize() as u64 != item {
            bad.push(format!("itemsize {}, want {item}", got.itemsize()));
        }
    }
    let want_shape = ints(want.get("shape")).unwrap_or_default();
    let got_shape: Vec<i64> = got.shape().iter().map(|&d| d as i64).collect();
    if got_shape != want_shape {
        bad.push(format!("shape {got_shape:?}, want {want_shape:?}"));
        diffs.push(format!("{name}: {}", bad.join(", ")));
        return;
    }
    if bad.is_empty() {
        if let Some(d) = check_values(got, want) {
            bad.push(d);
        }
    }
    if level >= Level::Standard {
        check_layout(got, want, level, &mut bad);
    }
    if !bad.is_empty() {
        diffs.push(format!("{name}: {}", bad.join(", ")));
    }
}

/// Flags, writeability, strides and offset.
fn check_layout(got: &Array, want: &Value, level: Level, bad: &mut Vec<String>) {
    let flag = |key: &str, have: bool, bad: &mut Vec<String>| {
        if let Some(w) = want.get(key).and_then(Value::as_bool) {
            if w != have {
                bad.push(format!("{key} {have}, want {w}"));
            }
        }
    };
    flag("c_contiguous", got.is_c_contiguous(), bad);
    flag("f_contiguous", got.is_f_contiguous(), bad);
    flag("writeable", got.is_writeable(), bad);
    let strict = level == Level::Strict;
    if got.size() == 0 && !strict {
        return;
    }
    let got_strides: Vec<i64> = got.strides().iter().map(|&s| s as i64).collect();
    let want_strides = ints(want.get("strides")).unwrap_or_default();
    let differs = got_strides.len() != want_strides.len()
        || (0..got_strides.len())
            .any(|d| (strict || got.shape()[d] != 1) && got_strides[d] != want_strides[d]);
    if differs {
        bad.push(format!("strides {got_strides:?}, want {want_strides:?}"));
    }
    if let Some(off) = want.get("offset").and_then(Value::as_i64) {
        if got.offset() as i64 != off {
            bad.push(format!("offset {}, want {off}", got.offset()));
        }
    }
}

/// One element, read back in its own kind.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Num {
    Bool(bool),
    Int(i128),
    Float(f64),
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Num::Bool(b) => write!(f, "{b}"),
            Num::Int(i) => write!(f, "{i}"),
            Num::Float(x) => write!(f, "{x:?}"),
        }
    }
}

/// The elements of `a` in logical C order.
fn read(a: &Array) -> strider::Result<Vec<Num>> {
    use strider::half::{bf16, f16};
    let a = &a.to_cpu()?;
    fn ints<T: strider::Element + Into<i128>>(a: &Array) -> strider::Result<Vec<Num>> {
        Ok(a.to_vec::<T>()?
            .into_iter()
            .map(|v| Num::Int(v.into()))
            .collect())
    }
    fn floats<T: strider::Element + Into<f64>>(a: &Array) -> strider::Result<Vec<Num>> {
        Ok(a.to_vec::<T>()?
            .into_iter()
            .map(|v| Num::Float(v.into()))
            .collect())
    }
    match a.dtype() {
        DType::Bool => Ok(a.to_vec::<bool>()?.into_iter().map(Num::Bool).collect()),
        DType::I8 => ints::<i8>(a),
        DType::U8 => ints::<u8>(a),
        DType::I16 => ints::<i16>(a),
        DType::U16 => ints::<u16>(a),
        DType::I32 => ints::<i32>(a),
        DType::U32 => ints::<u32>(a),
        DType::I64 => ints::<i64>(a),
        DType::U64 => ints::<u64>(a),
        DType::F16 => floats::<f16>(a),
        DType::BF16 => floats::<bf16>(a),
        DType::F32 => floats::<f32>(a),
        DType::F64 => floats::<f64>(a),
    }
}

/// An expected element: a JSON bool, integer, number or `"nan"`/`"inf"`/`"-inf"`.
fn expected(v: &Value) -> Option<Num> {
    match v {
        Value::Bool(b) => Some(Num::Bool(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(|i| Num::Int(i as i128))
            .or_else(|| n.as_u64().map(|u| Num::Int(u as i128)))
            .or_else(|| n.as_f64().map(Num::Float)),
        Value::String(s) => match s.as_str() {
            "nan" => Some(Num::Float(f64::NAN)),
            "inf" => Some(Num::Float(f64::INFINITY)),
            "-inf" => Some(Num::Float(f64::NEG_INFINITY)),
            _ => None,
        },
        _ => None,
    }
}

/// Equality as the corpus means it: exact for bools and integers, NaN equal
/// to NaN, and `|got - want| <= atol + rtol * |want|` for floats with `tol`.
fn same(got: Num, want: Num, tol: Option<(f64, f64)>) -> bool {
    let as_f64 = |n: Num| match n {
        Num::Bool(b) => b as u8 as f64,
        Num::Int(i) => i as f64,
        Num::Float(x) => x,
    };
    match (got, want) {
        (Num::Bool(g), Num::Bool(w)) => g == w,
        (Num::Int(g), Num::Int(w)) => g == w,
        (Num::Float(g), w) => {
            let w = as_f64(w);
            if g.is_nan() || w.is_nan() {
                return g.is_nan() && w.is_nan();
            }
            match tol {
                Some((rtol, atol)) if g.is_finite() && w.is_finite() => {
                    (g - w).abs() <= atol + rtol * w.abs()
                }
                _ => g == w,
            }
        }
        _ => false,
    }
}

fn check_values(got: &Array, want: &Value) -> Option<String> {
    let Some(want_vals) = want.get("values").and_then(Value::as_array) else {
        return Some("the case has no values list".into());
    };
    let tol = want.get("tol").map(|t| {
        let f = |k: &str| t.get(k).and_then(Value::as_f64).unwrap_or(0.0);
        (f("rtol"), f("atol"))
    });
    let got_vals = match read(got) {
        Ok(v) => v,
        Err(e) => return Some(format!("values unreadable: {e}")),
    };
    if got_vals.len() != want_vals.len() {
        return Some(format!(
            "{} values, want {}",
            got_vals.len(),
            want_vals.len()
        ));
    }
    let mut wrong = got_vals
        .iter()
        .zip(want_vals)
        .enumerate()
        .filter(|(_, (g, w))| expected(w).is_none_or(|w| !same(**g, w, tol)));
    let (at, (g, w)) = wrong.next()?;
    let more = wrong.count();
    let more = if more > 0 {
        format!(" (and {more} more)")
    } else {
        String::new()
    };
    Some(format!("value [{at}] {g}, want {w}{more}"))
}

/// View-vs-copy: every array must use the buffer of the array its expected
/// `buffer` names, and arrays named as different buffers must not share one.
/// (The corpus lists every array a case makes, so this covers them all.)
fn check_buffers(
    arrays: &serde_json::Map<String, Value>,
    produced: &Produced,
    diffs: &mut Vec<String>,
) {
    let id = |name: &str| produced.arrays.get(name).map(Array::buffer_id);
    let mut owners: Vec<&str> = Vec::new();
    for (name, want) in arrays {
        let Some(buf) = want.get("buffer").and_then(Value::as_str) else {
            continue;
        };
        if !owners.contains(&buf) {
            owners.push(buf);
        }
        if name != buf && id(name) != id(buf) {
            diffs.push(format!("{name}: not a view of {buf}"));
        }
    }
    for (i, &a) in owners.iter().enumerate() {
        for &b in &owners[i + 1..] {
            if id(a).is_some() && id(a) == id(b) {
                diffs.push(format!("{a} and {b}: one buffer, want separate"));
            }
        }
    }
}

fn check_sharing(
    expect: &Value,
    key: &str,
    produced: &Produced,
    test: fn(&Array, &Array) -> bool,
    diffs: &mut Vec<String>,
) {
    let Some(pairs) = expect.get(key).and_then(Value::as_array) else {
        return;
    };
    for pair in pairs {
        let (Some(a), Some(b), Some(want)) = (
            pair.get(0).and_then(Value::as_str),
            pair.get(1).and_then(Value::as_str),
            pair.get(2).and_then(Value::as_bool),
        ) else {
            diffs.push(format!("{key}: malformed pair {pair}"));
            continue;
        };
        match (produced.arrays.get(a), produced.arrays.get(b)) {
            (Some(x), Some(y)) => {
                let got = test(x, y);
                if got != want {
                    diffs.push(format!("{key}({a}, {b}) {got}, want {want}"));
                }
            }
            _ => diffs.push(format!("{key}({a}, {b}): no such array")),
        }
    }
}
