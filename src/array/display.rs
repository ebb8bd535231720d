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

/// The shortest decimal digits of `v` that read back as the same element
/// of `dtype`: (sign, digits, exponent of the first digit).
fn shortest(v: f64, dtype: DType) -> (bool, String, i32) {
    let same = |x: f64| crate::dispatch_dtype!(dtype, T => <T as Element>::from_f64(x) == <T as Element>::from_f64(v));
    let mut text = format!("{:e}", v.abs());
    for p in 0..17 {
        let t = format!("{:.p$e}", v.abs());
        if t.parse::<f64>().map(same).unwrap_or(false) {
            text = t;
            break;
        }
    }
    let (mant, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0').to_string();
    let digits = if digits.is_empty() {
        "0".to_string()
    } else {
        digits
    };
    (v.is_sign_negative(), digits, exp.parse().unwrap_or(0))
}

/// A float split for alignment: integer part (with sign) and fraction digits.
struct FloatParts {
    int: String,
    frac: String,
    exp: Option<i32>,
}

fn positional(v: f64, dtype: DType) -> FloatParts {
    let (neg, digits, e) = shortest(v, dtype);
    let sign = if neg { "-" } else { "" };
    let frac_needed = digits.len() as i32 - 1 - e;
    if frac_needed > 8 {
        let s = format!("{:.8}", v.abs());
        let (i, f) = s.split_once('.').unwrap_or((&s, ""));
        return FloatParts {
            int: format!("{sign}{i}"),
            frac: f.trim_end_matches('0').to_string(),
            exp: None,
        };
    }
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
    let frac = if frac.chars().all(|c| c == '0') {
        String::new()
    } else {
        frac
    };
    FloatParts {
        int: format!("{sign}{int}"),
        frac,
        exp: None,
    }
}

fn scientific(v: f64, dtype: DType) -> FloatParts {
    let (neg, digits, e) = shortest(v, dtype);
    let sign = if neg { "-" } else { "" };
    let mut frac = digits[1..].to_string();
    let mut e = e;
    let mut int = digits[..1].to_string();
    if frac.len() > 8 {
        let s = format!("{:.8e}", v.abs());
        let (m, ex) = s.split_once('e').unwrap_or((&s, "0"));
        let (i, f) = m.split_once('.').unwrap_or((m, ""));
        int = i.to_string();
        frac = f.trim_end_matches('0').to_string();
        e = ex.parse().unwrap_or(e);
    }
    FloatParts {
        int: format!("{sign}{int}"),
        frac,
        exp: Some(e),
    }
}

/// Formats the shown elements of one array to strings of equal width.
fn format_elements(values: &[f64], ints: &[i128], bools: &[bool], dtype: DType) -> Vec<String> {
    match dtype.kind() {
        Kind::Bool => {
            let w = if bools.iter().any(|b| !b) { 5 } else { 4 };
            bools
                .iter()
                .map(|&b| format!("{:>w$}", if b { "True" } else { "False" }))
                .collect()
        }
        Kind::Int | Kind::UInt => {
            let s: Vec<String> = ints.iter().map(|i| i.to_string()).collect();
            let w = s.iter().map(|x| x.len()).max().unwrap_or(0);
            s.into_iter().map(|x| format!("{x:>w$}")).collect()
        }
        Kind::Float => {
            let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
            let nonzero: Vec<f64> = finite
                .iter()
                .map(|v| v.abs())
                .filter(|&v| v != 0.0)
                .collect();
            let exp_format = if nonzero.is_empty() {
                false
            } else {
                let max = nonzero.iter().cloned().fold(0.0, f64::max);
                let min = nonzero.iter().cloned().fold(f64::INFINITY, f64::min);
                max >= 1e8 || min < 1e-4 || max / min > 1e3
            };
            let parts: Vec<Option<FloatParts>> = values
                .iter()
                .map(|&v| {
                    if !v.is_finite() {
                        None
                    } else if exp_format {
                        Some(scientific(v, dtype))
                    } else {
                        Some(positional(v, dtype))
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
        let indent = " ".repeat(depth + 1);
        let mut line_len = out.rsplit('\n').next().map_or(0, |l| l.len());
        for (k, it) in items.iter().enumerate() {
            let word = match it {
                Some(_) => cells.next().cloned().unwrap_or_default(),
                None => "...".to_string(),
            };
            let last = k + 1 == items.len();
            let reserve = if last { depth + 1 } else { 0 };
            if k > 0 {
                if line_len + 1 + word.len() + reserve > LINE_WIDTH {
                    out.push('\n');
                    out.push_str(&indent);
                    line_len = indent.len();
                } else {
                    out.push(' ');
                    line_len += 1;
                }
            }
            out.push_str(&word);
            line_len += word.len();
        }
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
