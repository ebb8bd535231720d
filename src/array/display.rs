//! NumPy-style printing (`str(x)`) and `explain()`, the memory diagram.
//!
//! Printing follows NumPy's defaults: elements right-aligned to a common
//! width, floats with the fewest digits that identify them (at most 8 after
//! the point) aligned on the point, scientific notation when magnitudes call
//! for it, `...` summaries above 1000 elements (3 items at each edge), and
//! lines wrapped at 75 characters.

use super::Array;
use crate::dtype::{DType, Element, Kind};
use crate::error::fmt_shape;
use std::fmt;

const THRESHOLD: usize = 1000;
const EDGE: usize = 3;
const LINE_WIDTH: usize = 75;

/// `v` rounded to the nearest value of the float `dtype` (and back to f64).
fn in_dtype(v: f64, dtype: DType) -> f64 {
    crate::dispatch_dtype!(dtype, T => <T as Element>::from_f64(v).to_f64())
}

/// The shortest decimal digits of `|v|` that read back as the same element
/// of `dtype` (the closest such string when several have that length), as
/// NumPy's Dragon4 `unique` mode gives: (sign, digits without trailing
/// zeros, decimal exponent of the first digit).
fn shortest(v: f64, dtype: DType) -> (bool, String, i32) {
    let a = v.abs();
    let target = in_dtype(a, dtype);
    let mut text = format!("{a:e}");
    for p in 0..17 {
        let t = format!("{a:.p$e}");
        if t.parse::<f64>().is_ok_and(|x| in_dtype(x, dtype) == target) {
            text = t;
            break;
        }
    }
    split_digits(v.is_sign_negative(), &text)
}

/// `|v|` correctly rounded to `p` digits after the first, as
/// [`shortest`]'s triple.
fn rounded_sci(v: f64, p: usize) -> (bool, String, i32) {
    split_digits(v.is_sign_negative(), &format!("{:.p$e}", v.abs()))
}

/// `|v|` correctly rounded to `p` digits after the decimal point, as
/// [`shortest`]'s triple (digits "0" for a value that rounds to zero).
fn rounded_fixed(v: f64, p: usize) -> (bool, String, i32) {
    let t = format!("{:.p$}", v.abs());
    let (int, frac) = t.split_once('.').unwrap_or((&t, ""));
    let all = format!("{int}{frac}");
    let lead = all.len() - all.trim_start_matches('0').len();
    if lead == all.len() {
        return (v.is_sign_negative(), "0".into(), 0);
    }
    let e = int.len() as i32 - 1 - lead as i32;
    let digits = all[lead..].trim_end_matches('0').to_string();
    (v.is_sign_negative(), digits, e)
}

fn split_digits(neg: bool, text: &str) -> (bool, String, i32) {
    let (mant, exp) = text.split_once('e').unwrap_or((text, "0"));
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    (neg, digits.to_string(), exp.parse().unwrap_or(0))
}

/// A float split for alignment: integer part (with sign), fraction digits
/// and, in scientific notation, the exponent.
struct FloatParts {
    int: String,
    frac: String,
    exp: Option<i32>,
}

/// Positional digits: at most `max_frac` digits after the point (NumPy's
/// `precision`), fewer when fewer identify the value.
fn positional(v: f64, dtype: DType, max_frac: Option<usize>) -> FloatParts {
    let (mut neg, mut digits, mut e) = shortest(v, dtype);
    if let Some(p) = max_frac {
        if digits.len() as i32 - 1 - e > p as i32 {
            (neg, digits, e) = rounded_fixed(v, p);
        }
    }
    let sign = if neg { "-" } else { "" };
    let (int, frac) = if e < 0 {
        (
            "0".to_string(),
            format!("{}{}", "0".repeat((-e - 1) as usize), digits),
        )
    } else if (e as usize) + 1 >= digits.len() {
        (
            format!("{digits}{}", "0".repeat(e as usize + 1 - digits.len())),
            String::new(),
        )
    } else {
        (
            digits[..e as usize + 1].to_string(),
            digits[e as usize + 1..].to_string(),
        )
    };
    let frac = if frac == "0" { String::new() } else { frac };
    FloatParts {
        int: format!("{sign}{int}"),
        frac,
        exp: None,
    }
}

/// Scientific digits: at most `max_frac` digits after the first.
fn scientific(v: f64, dtype: DType, max_frac: Option<usize>) -> FloatParts {
    let (mut neg, mut digits, mut e) = shortest(v, dtype);
    if let Some(p) = max_frac {
        if digits.len() > p + 1 {
            (neg, digits, e) = rounded_sci(v, p);
        }
    }
    let sign = if neg { "-" } else { "" };
    FloatParts {
        int: format!("{sign}{}", &digits[..1]),
        frac: digits[1..].to_string(),
        exp: Some(e),
    }
}

/// NumPy's `finfo(dtype).precision`: decimal digits a float dtype holds.
fn decimal_precision(dtype: DType) -> i32 {
    match dtype {
        DType::F16 => 3,
        DType::BF16 => 2,
        DType::F32 => 6,
        _ => 15,
    }
}

/// Whether NumPy 2 prints these floats in scientific notation: the largest
/// nonzero magnitude reaches 10^min(8, precision), or the smallest is below
/// 1e-4, or they span more than 1000x; each test in the array's own dtype.
fn wants_scientific(values: &[f64], dtype: DType) -> bool {
    let mags = values
        .iter()
        .filter(|v| v.is_finite() && **v != 0.0)
        .map(|v| v.abs());
    let Some((min, max)) = mags.fold(None, |acc: Option<(f64, f64)>, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    }) else {
        return false;
    };
    let cutoff = 10f64.powi(decimal_precision(dtype).min(8));
    max >= in_dtype(cutoff, dtype)
        || min < in_dtype(1e-4, dtype)
        || in_dtype(max / min, dtype) > 1000.0
}

/// How a 0-d float prints: as NumPy's float scalars (Python's `repr` for
/// float64): the shortest digits, positional with at least one digit after
/// the point for zero and 1e-4 <= |v| < 1e16 (1e8 for float32, 1e3 for
/// float16 and bfloat16), scientific otherwise with no trailing point
/// (`1e+20`, `1.5e-05`).
fn scalar_float(v: f64, dtype: DType) -> String {
    if !v.is_finite() {
        return special(v).to_string();
    }
    let a = v.abs();
    // NumPy 2's largest positional scalar per dtype.
    let max_positional = match dtype {
        DType::F16 | DType::BF16 => 1e3,
        DType::F32 => 1e8,
        _ => 1e16,
    };
    if a == 0.0 || (a >= in_dtype(1e-4, dtype) && a < max_positional) {
        let p = positional(v, dtype, None);
        let frac = if p.frac.is_empty() { "0" } else { &p.frac };
        return format!("{}.{frac}", p.int);
    }
    let p = scientific(v, dtype, None);
    let e = p.exp.unwrap_or(0);
    let point = if p.frac.is_empty() { "" } else { "." };
    let sign = if e < 0 { '-' } else { '+' };
    format!("{}{point}{}e{sign}{:02}", p.int, p.frac, e.unsigned_abs())
}

/// Digits after the point NumPy's default print options allow.
const PRECISION: usize = 8;

/// Formats the shown elements of one array to strings of equal width.
fn format_elements(values: &[f64], ints: &[i128], bools: &[bool], dtype: DType) -> Vec<String> {
    match dtype.kind() {
        // NumPy pads True to False's width in every array, all-True ones
        // too.
        Kind::Bool => bools
            .iter()
            .map(|&b| if b { " True" } else { "False" }.to_string())
            .collect(),
        Kind::Int | Kind::UInt => {
            let s: Vec<String> = ints.iter().map(|i| i.to_string()).collect();
            let w = s.iter().map(|x| x.len()).max().unwrap_or(0);
            s.into_iter().map(|x| format!("{x:>w$}")).collect()
        }
        Kind::Float => {
            let exp_format = wants_scientific(values, dtype);
            let parts: Vec<Option<FloatParts>> = values
                .iter()
                .map(|&v| {
                    if !v.is_finite() {
                        None
                    } else if exp_format {
                        Some(scientific(v, dtype, Some(PRECISION)))
                    } else {
                        Some(positional(v, dtype, Some(PRECISION)))
                    }
                })
                .collect();
            let pl = parts
                .iter()
                .flatten()
                .map(|p| p.int.len())
                .max()
                .unwrap_or(0);
            let pr = parts
                .iter()
                .flatten()
                .map(|p| p.frac.len())
                .max()
                .unwrap_or(0);
            // NumPy prints every scientific element with the longest
            // fraction among them: digits past an element's own shortest
            // ones continue its exact value (correctly rounded), not zeros.
            let parts: Vec<Option<FloatParts>> = if exp_format {
                values
                    .iter()
                    .zip(parts)
                    .map(|(&v, p)| {
                        p.map(|p| {
                            if p.frac.len() < pr {
                                let (neg, digits, e) = rounded_sci(v, pr);
                                FloatParts {
                                    int: format!("{}{}", if neg { "-" } else { "" }, &digits[..1]),
                                    frac: digits[1..].to_string(),
                                    exp: Some(e),
                                }
                            } else {
                                p
                            }
                        })
                    })
                    .collect()
            } else {
                parts
            };
            let ed = parts
                .iter()
                .flatten()
                .filter_map(|p| p.exp)
                .map(|e| e.unsigned_abs().to_string().len().max(2))
                .max()
                .unwrap_or(2);
            // Positional fractions are padded with spaces, scientific ones
            // with zeros, as NumPy does.
            let body = |p: &FloatParts| match p.exp {
                None => format!("{:>pl$}.{:<pr$}", p.int, p.frac),
                Some(e) => format!(
                    "{:>pl$}.{:0<pr$}e{}{:0>ed$}",
                    p.int,
                    p.frac,
                    if e < 0 { '-' } else { '+' },
                    e.unsigned_abs()
                ),
            };
            let width = pl + 1 + pr + if exp_format { 2 + ed } else { 0 };
            let special_w = values
                .iter()
                .filter(|v| !v.is_finite())
                .map(|v| special(*v).len())
                .max()
                .unwrap_or(0);
            let width = width.max(special_w);
            values
                .iter()
                .zip(&parts)
                .map(|(&v, p)| match p {
                    Some(p) => format!("{:>width$}", body(p)),
                    None => format!("{:>width$}", special(v)),
                })
                .collect()
        }
    }
}

fn special(v: f64) -> &'static str {
    if v.is_nan() {
        "nan"
    } else if v > 0.0 {
        "inf"
    } else {
        "-inf"
    }
}

/// For each axis, the indices shown (with `None` standing for `...`).
fn shown_indices(shape: &[usize], summarize: bool) -> Vec<Vec<Option<usize>>> {
    shape
        .iter()
        .map(|&n| {
            if summarize && n > 2 * EDGE {
                (0..EDGE)
                    .map(Some)
                    .chain(std::iter::once(None))
                    .chain((n - EDGE..n).map(Some))
                    .collect()
            } else {
                (0..n).map(Some).collect()
            }
        })
        .collect()
}

/// Writes the nested brackets of `cells` (formatted elements in C order of
/// the shown positions).
fn write_nested(
    out: &mut String,
    shown: &[Vec<Option<usize>>],
    cells: &mut std::slice::Iter<'_, String>,
    depth: usize,
    ndim: usize,
) {
    out.push('[');
    let items = &shown[depth];
    if depth + 1 == ndim {
        // NumPy's _formatArray: the row's line starts as the hanging
        // indent (the brackets so far); a word wraps when the line with it
        // would pass the width left for this depth, less one for the `]`
        // (the separator after each word counts); a wrapped line loses its
        // trailing space.
        let indent = " ".repeat(depth + 1);
        let limit = LINE_WIDTH.saturating_sub(depth + 1);
        let mut line = indent.clone();
        let mut lines = String::new();
        for (k, it) in items.iter().enumerate() {
            let word = match it {
                Some(_) => cells.next().cloned().unwrap_or_default(),
                None => "...".to_string(),
            };
            if line.len() + word.len() > limit && line.len() > indent.len() {
                lines.push_str(line.trim_end());
                lines.push('\n');
                line = indent.clone();
            }
            line.push_str(&word);
            if k + 1 < items.len() {
                line.push(' ');
            }
        }
        lines.push_str(&line);
        out.push_str(&lines[indent.len()..]);
    } else {
        let newlines = "\n".repeat(ndim - depth - 1);
        let indent = " ".repeat(depth + 1);
        for (k, it) in items.iter().enumerate() {
            if k > 0 {
                out.push_str(&newlines);
                out.push_str(&indent);
            }
            match it {
                Some(_) => write_nested(out, shown, cells, depth + 1, ndim),
                None => out.push_str("..."),
            }
        }
    }
    out.push(']');
}

impl Array {
    /// The shown elements (all, or the summarised edges) in C order, as
    /// f64, i128 and bool views for the formatter.
    fn shown_values(&self, shown: &[Vec<Option<usize>>]) -> (Vec<f64>, Vec<i128>, Vec<bool>) {
        let mut positions: Vec<Vec<usize>> = vec![vec![]];
        for axis in shown {
            let mut next = Vec::new();
            for p in &positions {
                for i in axis.iter().flatten() {
                    let mut q = p.clone();
                    q.push(*i);
                    next.push(q);
                }
            }
            positions = next;
        }
        let (mut f, mut i, mut b) = (Vec::new(), Vec::new(), Vec::new());
        crate::dispatch_dtype!(self.dtype(), T => {
            for p in &positions {
                let v: T = self.get::<T>(p).unwrap_or(<T as Element>::ZERO);
                f.push(v.to_f64());
                i.push(if T::DTYPE.kind() == Kind::UInt { v.to_u64() as i128 } else { v.to_i64() as i128 });
                b.push(v.to_bool());
            }
        });
        (f, i, b)
    }

    /// Draws the memory behind this view: the flat buffer, the elements this
    /// view touches and in which logical order, with shape, strides and
    /// offset, like the diagrams in NumPy tutorials. Buffers longer than 48
    /// elements are drawn up to the last touched element in rows of 16.
    ///
    /// ```
    /// use strider::{s, Array};
    /// let a = Array::arange_i64(0, 12, 1).unwrap().reshape(&[3, 4]).unwrap();
    /// let v = a.slice(s![.., ..;2]).unwrap();
    /// let text = v.explain();
    /// assert!(text.contains("strides (32, 16) bytes"));
    /// assert!(text.contains("view"));
    /// ```
    pub fn explain(&self) -> String {
        let item = self.itemsize();
        let mut s = String::new();
        s.push_str(&format!(
            "{} view: shape {}, strides {} bytes = {} elements, offset {} bytes = {} elements\n",
            self.dtype(),
            fmt_shape(self.shape()),
            fmt_shape(&self.strides()),
            fmt_shape(self.element_strides()),
            self.offset(),
            self.element_offset()
        ));
        let f = self.flags();
        s.push_str(&format!(
            "buffer #{}: {} x {} ({} bytes); C-contiguous {}, F-contiguous {}, writeable {}, {}\n",
            self.buffer_id(),
            self.buffer_len(),
            self.dtype(),
            self.buffer_len() * item,
            f.c_contiguous,
            f.f_contiguous,
            f.writeable,
            if f.owndata { "owns its data" } else { "a view" }
        ));
        // Which buffer element each logical position touches.
        let n = self.size();
        let mut order: Vec<Option<usize>> = vec![None; self.buffer_len()];
        let mut repeats = vec![0usize; self.buffer_len()];
        let shape = self.shape();
        let mut idx = vec![0usize; shape.len()];
        for lin in 0..n {
            let at = self.layout.element_index(&idx);
            if at < order.len() {
                if order[at].is_none() {
                    order[at] = Some(lin);
                }
                repeats[at] += 1;
            }
            for ax in (0..shape.len()).rev() {
                idx[ax] += 1;
                if idx[ax] < shape[ax] {
                    break;
                }
                idx[ax] = 0;
            }
        }
        let last = order.iter().rposition(|o| o.is_some()).unwrap_or(0);
        let upto = if self.buffer_len() <= 48 {
            self.buffer_len()
        } else {
            (last + 1).max(16).min(self.buffer_len())
        };
        // Only the drawn part of the buffer is read and formatted.
        let values: Vec<String> = if upto == 0 {
            vec![]
        } else {
            let drawn = self.view_with(crate::layout::Layout::new(vec![upto], vec![1], 0));
            let (f, i, b) = drawn.shown_values(&[(0..upto).map(Some).collect()]);
            format_elements(&f, &i, &b, self.dtype())
                .into_iter()
                .map(|x| x.trim().to_string())
                .collect()
        };
        let w = values[..upto]
            .iter()
            .map(|v| v.len())
            .chain(
                order[..upto]
                    .iter()
                    .flatten()
                    .map(|o| o.to_string().len() + 1),
            )
            .chain(std::iter::once(upto.to_string().len()))
            .max()
            .unwrap_or(1);
        for start in (0..upto).step_by(16) {
            let end = (start + 16).min(upto);
            let row = |label: &str, f: &dyn Fn(usize) -> String| {
                let cells: Vec<String> = (start..end).map(|k| format!("{:>w$}", f(k))).collect();
                format!("{label:<6}{}\n", cells.join(" "))
            };
            s.push_str(&row("index", &|k| k.to_string()));
            s.push_str(&row("value", &|k| values[k].clone()));
            s.push_str(&row("view", &|k| match order[k] {
                Some(o) if repeats[k] > 1 => format!("{o}*"),
                Some(o) => o.to_string(),
                None => String::new(),
            }));
            if end < upto {
                s.push('\n');
            }
        }
        if upto < self.buffer_len() {
            s.push_str(&format!(
                "... {} more elements not touched\n",
                self.buffer_len() - upto
            ));
        }
        s.push_str("(view: the logical C-order position of each element the view reads; * marks elements read more than once)\n");
        s
    }
}

impl fmt::Display for Array {
    /// NumPy's `str(x)`.
    ///
    /// ```
    /// let a = strider::Array::arange_i64(0, 6, 1).unwrap().reshape(&[2, 3]).unwrap();
    /// assert_eq!(a.to_string(), "[[0 1 2]\n [3 4 5]]");
    /// let f = strider::Array::from_vec(vec![0.5f64, 1.0, 2.25], &[3]).unwrap();
    /// assert_eq!(f.to_string(), "[0.5  1.   2.25]");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.require_cpu("display").is_err() {
            return write!(
                f,
                "<array of shape {} on {}>",
                fmt_shape(self.shape()),
                self.device()
            );
        }
        let summarize = self.size() > THRESHOLD;
        if self.ndim() == 0 {
            let (fv, iv, bv) = self.shown_values(&[]);
            if self.dtype().is_float() {
                return f.write_str(&scalar_float(fv[0], self.dtype()));
            }
            let cells = format_elements(&fv, &iv, &bv, self.dtype());
            return f.write_str(cells.first().map_or("", |c| c.trim()));
        }
        if self.size() == 0 {
            return f.write_str("[]");
        }
        let shown = shown_indices(self.shape(), summarize);
        let (fv, iv, bv) = self.shown_values(&shown);
        let cells = format_elements(&fv, &iv, &bv, self.dtype());
        let mut out = String::new();
        write_nested(&mut out, &shown, &mut cells.iter(), 0, self.ndim());
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Array, DType};

    #[test]
    fn numpy_style_strings() {
        let b = Array::from_vec(vec![true, false], &[2]).unwrap();
        assert_eq!(b.to_string(), "[ True False]");
        let f = Array::from_vec(vec![0.0f64, 1.0, 2.0], &[3]).unwrap();
        assert_eq!(f.to_string(), "[0. 1. 2.]");
        let e = Array::from_vec(vec![1e-5f64, 1.0], &[2]).unwrap();
        assert_eq!(e.to_string(), "[1.e-05 1.e+00]");
        let e2 = Array::from_vec(vec![1e-5f64, 1.5], &[2]).unwrap();
        assert_eq!(e2.to_string(), "[1.0e-05 1.5e+00]");
        let n = Array::from_vec(vec![f64::NAN, 1.5, f64::NEG_INFINITY], &[3]).unwrap();
        assert_eq!(n.to_string(), "[ nan  1.5 -inf]");
        let h = Array::from_vec(vec![half::f16::from_f64(0.1)], &[1]).unwrap();
        assert_eq!(h.to_string(), "[0.1]");
        let t = Array::from_vec(vec![0.1f32, 0.25], &[2]).unwrap();
        assert_eq!(t.to_string(), "[0.1  0.25]");
        let x = Array::arange_i64(0, 8, 1)
            .unwrap()
            .reshape(&[2, 2, 2])
            .unwrap();
        assert_eq!(x.to_string(), "[[[0 1]\n  [2 3]]\n\n [[4 5]\n  [6 7]]]");
        assert_eq!(Array::scalar(5i32).to_string(), "5");
        assert_eq!(Array::zeros(&[2, 0], DType::F32).unwrap().to_string(), "[]");
    }

    #[test]
    fn summarises_big_arrays() {
        let a = Array::arange_i64(0, 2000, 1).unwrap();
        assert_eq!(a.to_string(), "[   0    1    2 ... 1997 1998 1999]");
        let m = Array::arange_i64(0, 2000, 1)
            .unwrap()
            .reshape(&[100, 20])
            .unwrap();
        let s = m.to_string();
        assert!(s.starts_with("[[   0    1    2 ...   17   18   19]\n [  20"));
        assert!(s.contains("\n ...\n"));
    }

    #[test]
    fn wraps_long_lines() {
        let a = Array::arange_i64(0, 40, 1).unwrap();
        let s = a.to_string();
        assert!(s.lines().all(|l| l.len() <= 75));
        assert!(s.lines().nth(1).unwrap().starts_with(' '));
    }
}
