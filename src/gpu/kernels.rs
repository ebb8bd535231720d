//! The kernels the op layer calls: strided N-ary elementwise (with casts)
//! and reductions. They take buffers with layouts, not arrays.
//!
//! Kernel names are `{op}_{dtype}_{variant}` (the dtype part lists every
//! dtype, joined by `-`, when they differ), e.g. `add_f32_contig`,
//! `add_u8-i32-i32-i32_strided`, `sum_f32_group_final`.

use crate::dtype::DType;
use crate::error::{fmt_shape, Error, Result};
use crate::storage::ledger;

use super::buffer::GpuBuffer;
use super::codegen::{self, convert, rep};
use super::context::{GpuDevice, WORKGROUP_SIZE};
use super::launch::{self, full_extent, Access, KernelKey, Operand};
use super::template::fill;

const COMMON: &str = include_str!("../../shaders/common.wgsl");
const STRIDED_INDEX: &str = include_str!("../../shaders/strided_index.wgsl");
const ELEMENTWISE: &str = include_str!("../../shaders/elementwise.wgsl");
const ELEMENTWISE_PACKED: &str = include_str!("../../shaders/elementwise_packed.wgsl");
const ELEMENTWISE_WIDE: &str = include_str!("../../shaders/elementwise_wide.wgsl");
const REDUCE: &str = include_str!("../../shaders/reduce.wgsl");

/// Largest number of inputs of an elementwise kernel: with the parameter
/// and output bindings, 8 storage buffers, WebGPU's default per-stage limit.
pub const MAX_INPUTS: usize = 6;

/// A view of a [`GpuBuffer`] as elements of `dtype`: element `idx` (a
/// multi-index of the op shape) is at `offset + sum(idx[d] * strides[d])`,
/// counted in elements from the start of the buffer.
///
/// Strides are in elements, already broadcast to the op shape (0 on
/// broadcast axes) and may be negative.
#[derive(Clone, Copy, Debug)]
pub struct GpuView<'a> {
    /// The buffer holding the elements.
    pub buf: &'a GpuBuffer,
    /// The element type.
    pub dtype: DType,
    /// Strides in elements, one per axis of the op shape.
    pub strides: &'a [isize],
    /// Offset of element `[0, 0, ...]` in elements.
    pub offset: usize,
}

/// An elementwise operation: a WGSL expression over the inputs.
#[derive(Clone, Copy, Debug)]
pub struct ElementwiseOp<'a> {
    /// The op name, used in kernel names and errors (`"add"`).
    pub name: &'a str,
    /// A WGSL expression of type `C` (the compute type) over `x0`, `x1`,
    /// `x2` (the inputs, already converted to `C`), e.g. `x0 + x1`,
    /// `select(x1, x0, x0 > x1)` or `C(2) * x0`.
    ///
    /// In WGSL, uint8 values are `u32` (wrapped to 8 bits when stored), bool
    /// values are `bool`, bfloat16 values are `f32`. A comparison yields a
    /// bool, so with a numeric `C` write it as `select(C(0), C(1), x0 < x1)`
    /// and let the bool output convert it. WGSL's `min`/`max` do not promise
    /// to propagate NaN; `is_nan_f32(f32(x))` (from `shaders/common.wgsl`)
    /// tests for NaN reliably. Kernels are cached by op name, expression and
    /// dtypes.
    pub expr: &'a str,
    /// WGSL functions pasted at module scope, which `expr` may call
    /// (empty for most ops): generated code such as a fused expression's
    /// nodes ([`crate::expr`]). Besides `x0`, `x1`, ..., `expr` may read
    /// `r0`, `r1`, ...: each input's value before the conversion to `C`, in
    /// its own dtype's representation (see [`crate::gpu`]'s codegen notes:
    /// `u32` for uint8, `f32` for bfloat16, ...).
    pub functions: &'a str,
    /// The compute type `C`.
    pub compute: DType,
    /// The output dtype (must equal the output view's dtype).
    pub out: DType,
}

/// A reduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    /// Sum (identity 0).
    Sum,
    /// Product (identity 1).
    Prod,
    /// Minimum; NaN wins. Needs at least one element.
    Min,
    /// Maximum; NaN wins. Needs at least one element.
    Max,
    /// Index of the first minimum (first NaN) in C order over the reduced axes.
    ArgMin,
    /// Index of the first maximum (first NaN) in C order over the reduced axes.
    ArgMax,
    /// Whether any element is nonzero (accumulator bool).
    Any,
    /// Whether every element is nonzero (accumulator bool).
    All,
}

impl ReduceOp {
    /// Every reduction.
    pub const ALL: [ReduceOp; 8] = [
        ReduceOp::Sum,
        ReduceOp::Prod,
        ReduceOp::Min,
        ReduceOp::Max,
        ReduceOp::ArgMin,
        ReduceOp::ArgMax,
        ReduceOp::Any,
        ReduceOp::All,
    ];

    /// NumPy's name: `sum`, `prod`, `min`, `max`, `argmin`, `argmax`, `any`, `all`.
    ///
    /// ```
    /// assert_eq!(strider::gpu::ReduceOp::ArgMax.name(), "argmax");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Prod => "prod",
            ReduceOp::Min => "min",
            ReduceOp::Max => "max",
            ReduceOp::ArgMin => "argmin",
            ReduceOp::ArgMax => "argmax",
            ReduceOp::Any => "any",
            ReduceOp::All => "all",
        }
    }

    /// True for argmin and argmax.
    pub fn is_arg(self) -> bool {
        matches!(self, ReduceOp::ArgMin | ReduceOp::ArgMax)
    }

    /// Whether `acc` is an accumulator this reduction accepts: sum and prod
    /// take any non-bool dtype, any and all take only bool, the others any.
    ///
    /// ```
    /// use strider::{gpu::ReduceOp, DType};
    /// assert!(ReduceOp::Sum.accepts_acc(DType::I64));
    /// assert!(!ReduceOp::Any.accepts_acc(DType::F32));
    /// ```
    pub fn accepts_acc(self, acc: DType) -> bool {
        match self {
            ReduceOp::Sum | ReduceOp::Prod => acc != DType::Bool,
            ReduceOp::Any | ReduceOp::All => acc == DType::Bool,
            _ => true,
        }
    }

    fn needs_elements(self) -> bool {
        matches!(
            self,
            ReduceOp::Min | ReduceOp::Max | ReduceOp::ArgMin | ReduceOp::ArgMax
        )
    }
}

// ---------------------------------------------------------------------------
// Shader sources
// ---------------------------------------------------------------------------

/// Everything that determines one elementwise shader.
#[derive(Clone, Debug)]
pub(crate) struct ElementwiseSpec {
    pub name: String,
    pub expr: String,
    /// [`ElementwiseOp::functions`].
    pub functions: String,
    pub inputs: Vec<DType>,
    pub compute: DType,
    pub out: DType,
    pub strided: bool,
    /// A packed output in any (canonical, nested) layout, written word by
    /// word through the inverse of its layout (`elementwise_packed.wgsl`,
    /// SCATTER); the inputs are read through their strides. Only for packed
    /// outputs; `strided` and `steps` are then ignored.
    pub scatter: bool,
    /// The contiguous variant with wide loads (`elementwise_wide.wgsl`):
    /// four consecutive elements per invocation, dense operands bound as
    /// `vec4` arrays (their element offsets must be multiples of 4). Only
    /// for unpacked dtypes; `strided` and `scatter` must be false.
    pub wide: bool,
    /// Contiguous variant: per operand (output first), 1 for a dense
    /// operand, 0 for a broadcast scalar. Ignored by the strided variant.
    pub steps: Vec<u32>,
    /// Inputs (by index, ascending) *aliased to the output*: read from the
    /// output's binding at their own offset and strides, with no binding of
    /// their own. Their dtype must be the output's (it is the same buffer).
    /// The launcher aliases only the output's own elements, or (unpacked
    /// outputs) elements disjoint from it.
    pub aliased: Vec<usize>,
}

impl ElementwiseSpec {
    pub(crate) fn key(&self) -> KernelKey {
        let mut dtypes = self.inputs.clone();
        dtypes.push(self.compute);
        dtypes.push(self.out);
        KernelKey {
            op: self.name.clone(),
            expr: format!("{}\n{}", self.functions, self.expr),
            dtypes,
            variant: self.variant(),
        }
    }

    /// `scatter`, `strided`, `contig` or `wide` (then `_b{k}...` naming
    /// the inputs that are broadcast scalars), then `_a{k}` for each input
    /// aliased to the output.
    fn variant(&self) -> String {
        let mut v = if self.scatter {
            "scatter".to_string()
        } else if self.strided {
            "strided".to_string()
        } else {
            let mut v = if self.wide { "wide" } else { "contig" }.to_string();
            for (k, _) in self
                .steps
                .iter()
                .enumerate()
                .skip(1)
                .filter(|(_, &s)| s == 0)
            {
                v.push_str(&format!("_b{}", k - 1));
            }
            v
        };
        for k in &self.aliased {
            v.push_str(&format!("_a{k}"));
        }
        v
    }

    fn is_aliased(&self, k: usize) -> bool {
        self.aliased.contains(&k)
    }

    /// Storage bindings after the parameters: the output (1, read-write),
    /// then input `k` at `k + 2` (read-only) unless it is aliased.
    pub(crate) fn slots(&self) -> Vec<(u32, Access)> {
        let mut slots = vec![(1, Access::ReadWrite)];
        slots.extend(
            (0..self.inputs.len())
                .filter(|&k| !self.is_aliased(k))
                .map(|k| (k as u32 + 2, Access::Read)),
        );
        slots
    }

    /// The STEPS constant: the contiguous variant's steps, all 1 otherwise.
    fn steps_wgsl(&self) -> String {
        let n = self.inputs.len() + 1;
        let steps: Vec<String> = (0..n)
            .map(|k| {
                let s = if self.strided || self.scatter {
                    1
                } else {
                    self.steps.get(k).copied().unwrap_or(1)
                };
                format!("{s}u")
            })
            .collect();
        steps.join(", ")
    }

    /// Whether input `k` is read four elements at a time by the wide
    /// variant (a dense input; broadcast scalars are read one element).
    fn wide_dense(&self, k: usize) -> bool {
        self.steps.get(k + 1).copied().unwrap_or(1) != 0
    }

    /// The input bindings and `value_of` / `value_at`: `value_of(r0, r1,
    /// ...)` takes each input's raw value (`rep` of its dtype), converts
    /// it to `C` and returns the expression; `value_at(idx)` (the
    /// scalar templates only) loads every input at its element index.
    fn inputs_wgsl(&self) -> Result<(String, String)> {
        if let Some(&k) = self.aliased.iter().find(|&&k| k >= self.inputs.len()) {
            return Err(Error::Value {
                op: "elementwise",
                reason: format!(
                    "{}: input {k} is aliased to the output but there are only {} inputs",
                    self.name,
                    self.inputs.len()
                ),
            });
        }
        let mut bindings = String::new();
        let mut args = Vec::new();
        let mut converts = String::new();
        let mut loads = Vec::new();
        for (k, &dt) in self.inputs.iter().enumerate() {
            let array = if self.is_aliased(k) {
                // Read from the output's binding: same buffer, same dtype.
                if dt != self.out {
                    return Err(Error::Value {
                        op: "elementwise",
                        reason: format!(
                            "{}: input {k} ({dt}) is aliased to the output ({}); an aliased \
                             input must have the output's dtype",
                            self.name, self.out
                        ),
                    });
                }
                "out0".to_string()
            } else {
                let word = codegen::word(dt);
                let ty = if self.wide && self.wide_dense(k) {
                    format!("vec4<{word}>")
                } else {
                    word.to_string()
                };
                bindings.push_str(&format!(
                    "@group(0) @binding({}) var<storage, read> in{k}: array<{ty}>;\n",
                    k + 2
                ));
                format!("in{k}")
            };
            args.push(format!("r{k}: {}", rep(dt)));
            converts.push_str(&format!(
                "    let x{k}: C = {};\n",
                convert(dt, self.compute, &format!("r{k}"))
            ));
            loads.push(codegen::load(dt, &array, &format!("u32(idx[{}])", k + 1)));
        }
        let mut value = format!(
            "{}\nfn value_of({}) -> C {{\n{converts}    return {};\n}}\n",
            self.functions,
            args.join(", "),
            self.expr
        );
        if !self.wide {
            value.push_str(&format!(
                "\nfn value_at(idx: array<i32, NOPS>) -> C {{\n    return value_of({});\n}}\n",
                loads.join(", ")
            ));
        }
        Ok((bindings, value))
    }

    /// The wide variant's loads (`let r{k} = ...;`, a `vec4` for a dense
    /// input, one element for a broadcast one) and its store expression
    /// for lane `j`.
    fn wide_wgsl(&self) -> (String, String) {
        let mut loads = String::new();
        let mut lane_args = Vec::new();
        for k in 0..self.inputs.len() {
            let array = if self.is_aliased(k) {
                "out0".to_string()
            } else {
                format!("in{k}")
            };
            let base = format!("params[operand_base({}u)]", k + 1);
            let vec_binding = self.wide_dense(k) || self.is_aliased(k);
            let load = match (self.wide_dense(k), vec_binding) {
                (true, _) => format!("{array}[({base} >> 2u) + q]"),
                (false, true) => format!("{array}[{base} >> 2u][{base} & 3u]"),
                (false, false) => format!("{array}[{base}]"),
            };
            loads.push_str(&format!("    let r{k} = {load};\n"));
            lane_args.push(if self.wide_dense(k) {
                format!("r{k}[j]")
            } else {
                format!("r{k}")
            });
        }
        let v = format!("value_of({})", lane_args.join(", "));
        (loads, convert(self.compute, self.out, &v))
    }

    pub(crate) fn source(&self) -> Result<String> {
        let mut dtypes = self.inputs.clone();
        dtypes.extend([self.compute, self.out]);
        let enables = codegen::enables(&dtypes, &self.functions);
        let (bindings, value) = self.inputs_wgsl()?;
        // The library functions the expression, the input conversions (in
        // `value`) and the store conversion call.
        let helpers = codegen::helpers(&format!(
            "{value}\n{}",
            convert(self.compute, self.out, "v")
        ));
        let wg = WORKGROUP_SIZE.to_string();
        let n_ops = (self.inputs.len() + 1).to_string();
        let strided = (self.strided || self.scatter).to_string();
        let steps = self.steps_wgsl();
        let name = self.key().name();
        if self.scatter && !codegen::is_packed(self.out) {
            return Err(Error::Value {
                op: "elementwise",
                reason: format!(
                    "{name}: the scatter variant is for packed outputs, not {}",
                    self.out
                ),
            });
        }
        let packed = std::iter::once(&self.out)
            .chain(&self.inputs)
            .any(|&d| codegen::is_packed(d));
        if self.wide && (self.strided || self.scatter || packed) {
            return Err(Error::Value {
                op: "elementwise",
                reason: format!(
                    "{name}: the wide variant is for contiguous operands of unpacked dtypes"
                ),
            });
        }
        if self.wide {
            let (loads, store) = self.wide_wgsl();
            return fill(
                &format!("elementwise_wide.wgsl ({name})"),
                ELEMENTWISE_WIDE,
                &[
                    ("enables", &enables),
                    ("compute", rep(self.compute)),
                    ("workgroup_size", &wg),
                    ("common", COMMON),
                    ("helpers", &helpers),
                    ("out_word", codegen::word(self.out)),
                    ("bindings", &bindings),
                    ("value", &value),
                    ("loads", &loads),
                    ("store", &store),
                ],
            );
        }
        if codegen::is_packed(self.out) {
            let lanes = codegen::lanes(self.out).to_string();
            let store = codegen::lane_bits(self.out, &convert(self.compute, self.out, "v"));
            fill(
                &format!("elementwise_packed.wgsl ({name})"),
                ELEMENTWISE_PACKED,
                &[
                    ("enables", &enables),
                    ("compute", rep(self.compute)),
                    ("workgroup_size", &wg),
                    ("n_ops", &n_ops),
                    ("strided", &strided),
                    ("scatter", &self.scatter.to_string()),
                    ("steps", &steps),
                    ("lanes", &lanes),
                    ("common", COMMON),
                    ("helpers", &helpers),
                    ("strided_index", STRIDED_INDEX),
                    ("bindings", &bindings),
                    ("value", &value),
                    ("store", &store),
                ],
            )
        } else {
            fill(
                &format!("elementwise.wgsl ({name})"),
                ELEMENTWISE,
                &[
                    ("enables", &enables),
                    ("compute", rep(self.compute)),
                    ("workgroup_size", &wg),
                    ("n_ops", &n_ops),
                    ("strided", &strided),
                    ("steps", &steps),
                    ("common", COMMON),
                    ("helpers", &helpers),
                    ("strided_index", STRIDED_INDEX),
                    ("out_word", codegen::word(self.out)),
                    ("bindings", &bindings),
                    ("value", &value),
                    ("store", &convert(self.compute, self.out, "v")),
                ],
            )
        }
    }
}

/// The WGSL source of the strided elementwise kernel computing `expr`
/// (over `x0`, `x1`, ... in compute type `compute`, calling `functions`)
/// from `inputs` into `out`: what [`elementwise`] compiles for strided
/// operands. For checking an expression without a device.
pub(crate) fn elementwise_source(
    name: &str,
    expr: &str,
    functions: &str,
    inputs: &[DType],
    compute: DType,
    out: DType,
) -> Result<String> {
    ElementwiseSpec {
        name: name.to_string(),
        expr: expr.to_string(),
        functions: functions.to_string(),
        inputs: inputs.to_vec(),
        compute,
        out,
        strided: true,
        scatter: false,
        wide: false,
        steps: Vec::new(),
        aliased: Vec::new(),
    }
    .source()
}

/// Where a reduction pass reads from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ReduceInput {
    /// Elements of a dtype, converted to the accumulator.
    Plain(DType),
    /// Partial accumulators (and indices) written by an earlier pass.
    Pairs,
}

/// Where a reduction pass writes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ReduceOutput {
    /// Final values of an unpacked dtype (indices for argmin/argmax).
    Final(DType),
    /// Partial accumulators (and indices), one per work item.
    Partial,
}

/// Everything that determines one reduction shader.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReduceSpec {
    pub op: ReduceOp,
    pub acc: DType,
    pub input: ReduceInput,
    pub output: ReduceOutput,
    /// One workgroup per item (`reduce_group`) or one invocation per item.
    pub group: bool,
}

/// The WGSL type of an accumulator (bool accumulates as 0u / 1u).
fn acc_rep(acc: DType) -> &'static str {
    if acc == DType::Bool {
        "u32"
    } else {
        rep(acc)
    }
}

/// Bytes per accumulator in a partials buffer.
fn acc_size(acc: DType) -> u64 {
    match acc {
        packed if codegen::is_packed(packed) => 4,
        other => other.itemsize() as u64,
    }
}

fn to_acc(acc: DType, e: &str) -> String {
    if acc == DType::Bool {
        format!("select(0u, 1u, {e})")
    } else {
        e.to_string()
    }
}

fn from_acc(acc: DType, e: &str) -> String {
    if acc == DType::Bool {
        format!("({e} != 0u)")
    } else {
        e.to_string()
    }
}

impl ReduceSpec {
    pub(crate) fn key(&self) -> KernelKey {
        let mut dtypes = Vec::new();
        let mut variant = String::from(if self.group { "group" } else { "thread" });
        match self.input {
            ReduceInput::Plain(dt) => dtypes.push(dt),
            ReduceInput::Pairs => variant.push_str("_pairs"),
        }
        dtypes.push(self.acc);
        match self.output {
            ReduceOutput::Final(dt) => {
                dtypes.push(dt);
                variant.push_str("_final");
            }
            ReduceOutput::Partial => variant.push_str("_partial"),
        }
        KernelKey {
            op: self.op.name().to_string(),
            expr: String::new(),
            dtypes,
            variant,
        }
    }

    pub(crate) fn entry_point(&self) -> &'static str {
        if self.group {
            "reduce_group"
        } else {
            "reduce_thread"
        }
    }

    /// Storage bindings after the parameters: (binding, access).
    pub(crate) fn slots(&self) -> Vec<(u32, Access)> {
        let arg = self.op.is_arg();
        let mut s = vec![(1, Access::ReadWrite)];
        if arg && self.output == ReduceOutput::Partial {
            s.push((2, Access::ReadWrite));
        }
        s.push((3, Access::Read));
        if arg && self.input == ReduceInput::Pairs {
            s.push((4, Access::Read));
        }
        s
    }

    pub(crate) fn source(&self) -> Result<String> {
        let acc = self.acc;
        let a = acc_rep(acc);
        let arg = self.op.is_arg();
        let mut dtypes = vec![acc];
        let mut bindings = String::new();
        match self.output {
            ReduceOutput::Final(dt) => {
                dtypes.push(dt);
                bindings.push_str(&format!(
                    "@group(0) @binding(1) var<storage, read_write> out_val: array<{}>;\n",
                    codegen::word(dt)
                ));
            }
            ReduceOutput::Partial => {
                bindings.push_str(&format!(
                    "@group(0) @binding(1) var<storage, read_write> out_val: array<{a}>;\n"
                ));
                if arg {
                    bindings.push_str(
                        "@group(0) @binding(2) var<storage, read_write> out_idx: array<u32>;\n",
                    );
                }
            }
        }
        let load = match self.input {
            ReduceInput::Plain(dt) => {
                dtypes.push(dt);
                bindings.push_str(&format!(
                    "@group(0) @binding(3) var<storage, read> in_val: array<{}>;\n",
                    codegen::word(dt)
                ));
                let raw = codegen::load(dt, "in_val", "e");
                format!("Acc({}, r)", to_acc(acc, &convert(dt, acc, &raw)))
            }
            ReduceInput::Pairs => {
                bindings.push_str(&format!(
                    "@group(0) @binding(3) var<storage, read> in_val: array<{a}>;\n"
                ));
                if arg {
                    bindings
                        .push_str("@group(0) @binding(4) var<storage, read> in_idx: array<u32>;\n");
                    "Acc(in_val[e], in_idx[e + params[R_IN_IDX_SHIFT]])".to_string()
                } else {
                    "Acc(in_val[e], r)".to_string()
                }
            }
        };
        let store = match self.output {
            ReduceOutput::Final(dt) if arg => format!("    out_val[e] = {}(a.i);", rep(dt)),
            ReduceOutput::Final(dt) => format!(
                "    out_val[e] = {};",
                convert(acc, dt, &from_acc(acc, "a.v"))
            ),
            ReduceOutput::Partial if arg => {
                "    out_val[e] = a.v;\n    out_idx[e + params[R_OUT_IDX_SHIFT]] = a.i;".to_string()
            }
            ReduceOutput::Partial => "    out_val[e] = a.v;".to_string(),
        };
        let identity = match self.op {
            ReduceOp::Prod | ReduceOp::All => format!("{a}(1)"),
            _ => format!("{a}(0)"),
        };
        let float = acc.is_float();
        let nan_first = "    if (a.i == NONE) { return b; }\n    if (b.i == NONE) { return a; }\n";
        let nan = |x: &str| format!("is_nan_f32(f32({x}))");
        let combine = match self.op {
            ReduceOp::Sum => "    return Acc(a.v + b.v, 0u);".to_string(),
            ReduceOp::Prod => "    return Acc(a.v * b.v, 0u);".to_string(),
            ReduceOp::Any => "    return Acc(a.v | b.v, 0u);".to_string(),
            ReduceOp::All => "    return Acc(a.v & b.v, 0u);".to_string(),
            // The value and index of the first extreme in C order (the
            // first NaN, if any): so equal values, +0.0 and -0.0 included,
            // resolve to the earliest element, as on the CPU.
            ReduceOp::Min | ReduceOp::Max | ReduceOp::ArgMin | ReduceOp::ArgMax => {
                let better = if matches!(self.op, ReduceOp::Min | ReduceOp::ArgMin) {
                    "<"
                } else {
                    ">"
                };
                let mut s = nan_first.to_string();
                if float {
                    s.push_str(&format!(
                        "    let an = {};\n    let bn = {};\n    if (an || bn) {{\n        \
                         if (an && bn) {{ if (b.i < a.i) {{ return b; }} return a; }}\n        \
                         if (an) {{ return a; }}\n        return b;\n    }}\n",
                        nan("a.v"),
                        nan("b.v")
                    ));
                }
                s.push_str(&format!(
                    "    if (b.v {better} a.v || (b.v == a.v && b.i < a.i)) {{ return b; }}\n    \
                     return a;"
                ));
                s
            }
        };
        let name = self.key().name();
        fill(
            &format!("reduce.wgsl ({name})"),
            REDUCE,
            &[
                ("enables", &codegen::enables(&dtypes, "")),
                ("acc", a),
                ("workgroup_size", &WORKGROUP_SIZE.to_string()),
                (
                    "partial",
                    if self.output == ReduceOutput::Partial {
                        "true"
                    } else {
                        "false"
                    },
                ),
                (
                    "pairwise",
                    if float && matches!(self.op, ReduceOp::Sum | ReduceOp::Prod) {
                        "true"
                    } else {
                        "false"
                    },
                ),
                ("common", COMMON),
                ("helpers", &codegen::helpers(&format!("{load}\n{store}"))),
                ("bindings", &bindings),
                ("identity", &identity),
                ("combine", &combine),
                ("load", &load),
                ("store", &store),
            ],
        )
    }
}

// ---------------------------------------------------------------------------
// Checks shared by the entry points
// ---------------------------------------------------------------------------

fn same_device(op: &'static str, dev: &GpuDevice, buf: &GpuBuffer) -> Result<()> {
    if buf.device() != dev {
        return Err(Error::Device {
            op,
            reason: format!(
                "an operand is on {} but the kernel runs on {}; move it with an explicit \
                 transfer",
                buf.device(),
                dev
            ),
        });
    }
    Ok(())
}

/// The view must stay inside its buffer for every index of `shape`.
fn check_bounds(
    op: &'static str,
    buf: &GpuBuffer,
    dtype: DType,
    shape: &[usize],
    strides: &[isize],
    offset: usize,
) -> Result<()> {
    if strides.len() != shape.len() {
        return Err(Error::Value {
            op,
            reason: format!(
                "{} strides given for a view of shape {}",
                strides.len(),
                fmt_shape(shape)
            ),
        });
    }
    if shape.contains(&0) {
        return Ok(()); // no elements, nothing to reach
    }
    let (lo, hi) = full_extent(shape, strides);
    let first = offset as i64 + lo;
    let end = (offset as i64 + hi + 1).saturating_mul(dtype.itemsize() as i64);
    if first < 0 || end > buf.size() as i64 {
        return Err(Error::Value {
            op,
            reason: format!(
                "a {dtype} view of shape {}, strides {:?}, offset {offset} reaches elements \
                 {first}..{} outside its {}-byte buffer",
                fmt_shape(shape),
                strides,
                offset as i64 + hi + 1,
                buf.size()
            ),
        });
    }
    Ok(())
}

fn checked_size(op: &'static str, shape: &[usize], limit: u64) -> Result<u64> {
    let n = shape
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .filter(|&n| n <= limit);
    n.ok_or_else(|| Error::Value {
        op,
        reason: format!(
            "shape {} has more than {limit} elements, the most one GPU launch indexes",
            fmt_shape(shape)
        ),
    })
}

/// Merge axes that every operand walks as one (and drop length-1 axes), so
/// the kernel does less index math. C-order linear indices are unchanged.
fn coalesce(shape: &[usize], strides: &[Vec<isize>]) -> (Vec<usize>, Vec<Vec<isize>>) {
    let mut out_shape: Vec<usize> = Vec::new();
    let mut out_strides: Vec<Vec<isize>> = vec![Vec::new(); strides.len()];
    for (d, &n) in shape.iter().enumerate() {
        if n == 1 {
            continue;
        }
        let mergeable = !out_shape.is_empty()
            && strides
                .iter()
                .zip(&out_strides)
                .all(|(s, o)| s[d].checked_mul(n as isize) == Some(o[o.len() - 1]));
        if mergeable {
            *out_shape.last_mut().expect("nonempty") *= n;
            for (s, o) in strides.iter().zip(out_strides.iter_mut()) {
                *o.last_mut().expect("nonempty") = s[d];
            }
        } else {
            out_shape.push(n);
            for (s, o) in strides.iter().zip(out_strides.iter_mut()) {
                o.push(s[d]);
            }
        }
    }
    (out_shape, out_strides)
}

/// C-contiguous strides for `shape`, in elements.
fn c_strides(shape: &[usize]) -> Vec<isize> {
    let mut s = vec![0isize; shape.len()];
    let mut acc = 1isize;
    for d in (0..shape.len()).rev() {
        s[d] = acc;
        acc *= shape[d].max(1) as isize;
    }
    s
}

/// Copy the extent of a view into a fresh buffer (an input that shares its
/// buffer with the output cannot be bound twice, and may overlap it).
/// Returns the copy and the view's offset in it.
fn detach(
    dev: &GpuDevice,
    buf: &GpuBuffer,
    dtype: DType,
    shape: &[usize],
    strides: &[isize],
    offset: usize,
) -> Result<(GpuBuffer, usize)> {
    let isz = dtype.itemsize() as u64;
    let (lo, hi) = full_extent(shape, strides);
    let align = isz.max(4);
    let lo_b = (offset as i64 + lo) as u64 * isz / align * align;
    let hi_b = ((offset as i64 + hi + 1) as u64 * isz).div_ceil(4) * 4;
    let tmp = GpuBuffer::empty(dev, hi_b - lo_b)?;
    tmp.copy_from(buf, lo_b, 0, hi_b - lo_b)?;
    Ok((tmp, offset - (lo_b / isz) as usize))
}

fn wrap(v: i64) -> u32 {
    v as u32
}

fn max_threads(dev: &GpuDevice) -> u64 {
    let g = u64::from(dev.ctx.launch.max_groups);
    (g * g * u64::from(WORKGROUP_SIZE)).min(1 << 31)
}

fn max_groups(dev: &GpuDevice) -> u64 {
    let g = u64::from(dev.ctx.launch.max_groups);
    (g * g).min(1 << 31)
}

// ---------------------------------------------------------------------------
// Elementwise
// ---------------------------------------------------------------------------

/// Run `op` over `shape`: `out[i] = op.expr(inputs[0][i], inputs[1][i], ...)`
/// for every multi-index `i`, reading and writing every view in place
/// through its strides and offset.
///
/// Inputs are converted to `op.compute` when read, the result to `op.out`
/// when written (NumPy's unsafe-cast rules; out-of-range float to integer
/// conversions saturate). The kernel is recorded into the device's batch:
/// nothing waits for it until a result is read back.
///
/// In-place and overlapping calls are safe, with NumPy's semantics (inputs
/// are read as they were before the call). An input that is the output
/// element for element (same buffer, dtype, offset and strides: `x += y`,
/// `x = abs(x)`), or provably disjoint from an unpacked output on its
/// buffer (`x[:n] += x[n:]`), is read through the output's binding with no
/// copy, by a kernel variant whose name ends in `_a{k}`; any other input on
/// the output's buffer is first copied on the device ([`needs_detach`] says
/// which, so that a caller can make and record the copy itself). The
/// output must not overlap itself (no zero strides).
///
/// A packed output dtype (`uint8`, `bool`, `bfloat16`) is written by
/// invocations that each own whole 32-bit words, with no atomics, in any
/// layout a writeable view has (`x[::2]`, `x[::-1]`, a transpose, a
/// channel `img[:, :, 0]`, a slice of a larger array): the layout is first
/// put in canonical form (axes flipped and sorted so the output's strides
/// are positive and decreasing), which makes a reversed or transposed dense
/// output C-contiguous (one invocation per word of the view). Any other
/// output gets one invocation per word of its extent, which finds the
/// multi-index of each element of its word from the element's position
/// (the layout must be *nested*: each stride larger than the span of the
/// smaller ones), computes those elements and stores the word once,
/// keeping the bytes that are not in the view. Inputs on the output's
/// buffer other than the output itself are always copied first for a
/// packed output: a neighbouring element may sit in a word that another
/// invocation rewrites.
///
/// # Errors
///
/// - [`Error::Value`]: no inputs or more than [`MAX_INPUTS`], strides of the
///   wrong length, a view reaching outside its buffer, more than 2^32 - 1
///   elements.
/// - [`Error::DType`]: `op.out` differs from the output view's dtype, a
///   dtype the adapter cannot run, or a packed output whose layout is not
///   nested (no view that strider makes: for example strides (2, 3) over
///   shape (3, 2), or a zero stride).
/// - [`Error::Device`]: a view on another device, or a kernel that fails to
///   build or run.
///
/// ```
/// use strider::gpu::{download, elementwise, upload, ElementwiseOp, GpuBuffer, GpuDevice, GpuView};
/// use strider::DType;
/// let Ok(dev) = GpuDevice::default_device() else { return };
/// let a = upload(&dev, bytemuck::cast_slice(&[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0])).unwrap();
/// let b = upload(&dev, bytemuck::cast_slice(&[10.0f32, 20.0, 30.0])).unwrap();
/// let out = GpuBuffer::empty(&dev, 6 * 4).unwrap();
/// // (2, 3) + (3,) broadcast: b's stride on axis 0 is 0.
/// let add = ElementwiseOp {
///     name: "add",
///     expr: "x0 + x1",
///     functions: "",
///     compute: DType::F32,
///     out: DType::F32,
/// };
/// elementwise(
///     &dev,
///     &add,
///     &[2, 3],
///     &GpuView { buf: &out, dtype: DType::F32, strides: &[3, 1], offset: 0 },
///     &[
///         GpuView { buf: &a, dtype: DType::F32, strides: &[3, 1], offset: 0 },
///         GpuView { buf: &b, dtype: DType::F32, strides: &[0, 1], offset: 0 },
///     ],
/// )
/// .unwrap();
/// let got: Vec<f32> = bytemuck::cast_slice(&download(&out, 0, 24).unwrap()).to_vec();
/// assert_eq!(got, [11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
/// ```
pub fn elementwise(
    dev: &GpuDevice,
    op: &ElementwiseOp,
    shape: &[usize],
    out: &GpuView,
    inputs: &[GpuView],
) -> Result<()> {
    const OP: &str = "elementwise";
    if inputs.is_empty() || inputs.len() > MAX_INPUTS {
        return Err(Error::Value {
            op: OP,
            reason: format!(
                "{}: elementwise kernels take 1 to {MAX_INPUTS} inputs, not {}",
                op.name,
                inputs.len()
            ),
        });
    }
    if out.dtype != op.out {
        return Err(Error::DType {
            op: OP,
            reason: format!(
                "{}: the op writes {} but the output view is {}",
                op.name, op.out, out.dtype
            ),
        });
    }
    let n = checked_size(OP, shape, u64::from(u32::MAX))?;
    for v in std::iter::once(out).chain(inputs) {
        same_device(OP, dev, v.buf)?;
        check_bounds(OP, v.buf, v.dtype, shape, v.strides, v.offset)?;
    }
    let mut dtypes: Vec<DType> = inputs.iter().map(|v| v.dtype).collect();
    dtypes.extend([op.compute, op.out]);
    dev.check_dtypes(OP, &dtypes)?;
    if n == 0 {
        return Ok(());
    }

    launch_elementwise(dev, op, shape, out, inputs, n, Alias::SameOrDisjoint)
}

/// Whether `input` and `out` name exactly the same elements over `shape`:
/// same buffer, dtype and offset, and equal strides on every axis longer
/// than 1.
fn same_elements(out: &GpuView, input: &GpuView, shape: &[usize]) -> bool {
    input.buf.id() == out.buf.id()
        && input.dtype == out.dtype
        && input.offset == out.offset
        && input.strides.len() == shape.len()
        && out.strides.len() == shape.len()
        && shape
            .iter()
            .zip(input.strides.iter().zip(out.strides))
            .all(|(&n, (a, b))| n <= 1 || a == b)
}

/// Whether `input` provably shares no element with `out` over `shape`
/// (same dtype, so elements are the same units): their element ranges do not
/// meet, or every element of either is at an offset that the gcd of all
/// strides cannot bridge (`x[::2]` and `x[1::2]`). Sound, not complete: a
/// `false` may still be disjoint.
fn disjoint_elements(out: &GpuView, input: &GpuView, shape: &[usize]) -> bool {
    if input.dtype != out.dtype
        || input.strides.len() != shape.len()
        || out.strides.len() != shape.len()
    {
        return false;
    }
    let (olo, ohi) = full_extent(shape, out.strides);
    let (ilo, ihi) = full_extent(shape, input.strides);
    let (o0, i0) = (out.offset as i64, input.offset as i64);
    if o0 + ohi < i0 + ilo || i0 + ihi < o0 + olo {
        return true;
    }
    let g = shape
        .iter()
        .zip(out.strides.iter().zip(input.strides))
        .filter(|(&n, _)| n > 1)
        .fold(0u64, |g, (_, (&a, &b))| {
            gcd(gcd(g, a.unsigned_abs() as u64), b.unsigned_abs() as u64)
        });
    g > 1 && (i0 - o0).unsigned_abs() % g != 0
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Which inputs on the output's buffer a launch reads through the output's
/// binding instead of a copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Alias {
    /// None: every input on the output's buffer is copied.
    Never,
    /// Inputs that are the output element for element.
    Same,
    /// Those, and inputs provably disjoint from an unpacked output.
    SameOrDisjoint,
}

impl Alias {
    /// Whether `input` (on `out`'s buffer or not) is read through `out`'s
    /// binding under this policy.
    fn reads_through(self, out: &GpuView, input: &GpuView, shape: &[usize]) -> bool {
        if input.buf.id() != out.buf.id() || self == Alias::Never {
            return false;
        }
        same_elements(out, input, shape)
            || (self == Alias::SameOrDisjoint
                && !codegen::is_packed(out.dtype)
                && disjoint_elements(out, input, shape))
    }

    /// The next, more cautious policy.
    fn fallback(self) -> Alias {
        match self {
            Alias::SameOrDisjoint => Alias::Same,
            _ => Alias::Never,
        }
    }
}

/// Whether [`elementwise`] (and [`copy`]) would copy `input` on the device
/// before a launch writing `out` over `shape`. False for an input on another
/// buffer, and for an empty `shape` (nothing is read). For an input on the
/// output's buffer, false when it can be read through the output's own
/// binding, with no copy:
///
/// - it is the output element for element (same dtype, offset and strides
///   over `shape`; strides on length-1 axes do not matter): every
///   invocation reads the elements (for packed dtypes, the 32-bit words)
///   that it then writes, so the in-place result is NumPy's;
/// - or the output's dtype is not packed, the input has that dtype, is
///   provably disjoint from the output (element ranges that do not meet, or
///   offsets the strides' gcd cannot bridge, like `x[::2]` and `x[1::2]`),
///   and the buffer fits in one binding: no element read is ever written.
///
/// Any other input on the output's buffer is copied by the GPU layer first
/// (wgpu cannot bind one buffer for reading and for writing in one
/// dispatch, and the layer cannot prove the overlap harmless). That copy is
/// not in the copy ledger; a caller that keeps a ledger asks this function
/// first and makes (and records) the copy itself, as the op layer does, so
/// that the GPU layer never copies behind its back.
///
/// ```
/// use strider::gpu::{needs_detach, GpuBuffer, GpuDevice, GpuView};
/// use strider::DType;
/// let Ok(dev) = GpuDevice::default_device() else { return };
/// let buf = GpuBuffer::zeros(&dev, 64).unwrap();
/// let v = |strides, offset| GpuView { buf: &buf, dtype: DType::F32, strides, offset };
/// // x += x: the same elements, no copy.
/// assert!(!needs_detach(&v(&[1], 0), &v(&[1], 0), &[8]));
/// // x[:8] += x[8:] and x[::2] += x[1::2]: disjoint, no copy.
/// assert!(!needs_detach(&v(&[1], 0), &v(&[1], 8), &[8]));
/// assert!(!needs_detach(&v(&[2], 0), &v(&[2], 1), &[8]));
/// // x[1:] += x[:-1]: overlapping, copied.
/// assert!(needs_detach(&v(&[1], 1), &v(&[1], 0), &[8]));
/// ```
pub fn needs_detach(out: &GpuView, input: &GpuView, shape: &[usize]) -> bool {
    if input.buf.id() != out.buf.id() || shape.contains(&0) {
        return false;
    }
    // A disjoint input is read through the output's window, which it may
    // leave when a buffer larger than one binding is processed in chunks.
    let unchunked = out.buf.size() <= out.buf.device().ctx.launch.max_binding;
    let policy = if unchunked {
        Alias::SameOrDisjoint
    } else {
        Alias::Same
    };
    !policy.reads_through(out, input, shape)
}

/// Launch the (checked, non-empty) elementwise `op`. The inputs on the
/// output's buffer that `alias` allows are read through the output's
/// binding; the others are detached.
fn launch_elementwise(
    dev: &GpuDevice,
    op: &ElementwiseOp,
    shape: &[usize],
    out: &GpuView,
    inputs: &[GpuView],
    n: u64,
    alias: Alias,
) -> Result<()> {
    const OP: &str = "elementwise";
    let aliased: Vec<bool> = inputs
        .iter()
        .map(|v| alias.reads_through(out, v, shape))
        .collect();
    // Other inputs that share the output's buffer are read from a copy.
    let mut detached: Vec<Option<(GpuBuffer, usize)>> = Vec::with_capacity(inputs.len());
    for (v, &a) in inputs.iter().zip(&aliased) {
        detached.push(if v.buf.id() == out.buf.id() && !a {
            Some(detach(dev, v.buf, v.dtype, shape, v.strides, v.offset)?)
        } else {
            None
        });
    }
    let bufs: Vec<&GpuBuffer> = std::iter::once(out.buf)
        .chain(
            inputs
                .iter()
                .zip(&detached)
                .map(|(v, d)| d.as_ref().map_or(v.buf, |(b, _)| b)),
        )
        .collect();
    let mut offsets: Vec<usize> = std::iter::once(out.offset)
        .chain(
            inputs
                .iter()
                .zip(&detached)
                .map(|(v, d)| d.as_ref().map_or(v.offset, |(_, o)| *o)),
        )
        .collect();
    let dts: Vec<DType> = std::iter::once(out.dtype)
        .chain(inputs.iter().map(|v| v.dtype))
        .collect();
    // Operand k (0 = output) is read through the output's binding.
    let through: Vec<bool> = (0..dts.len()).map(|k| k > 0 && aliased[k - 1]).collect();
    let through_out = |k: usize| through[k];

    let all_strides: Vec<Vec<isize>> = std::iter::once(out)
        .chain(inputs)
        .map(|v| v.strides.to_vec())
        .collect();
    let packed = codegen::is_packed(op.out);
    let (cshape, cstrides) = if packed {
        // Reversed and transposed dense outputs become C-contiguous (the
        // dense kernel); any other layout gets positive, decreasing strides.
        let (pshape, pstrides) = canonical(shape, &all_strides, &mut offsets);
        coalesce(&pshape, &pstrides)
    } else {
        coalesce(shape, &all_strides)
    };
    let contig = cshape.len() <= 1
        && cstrides[0].first().is_none_or(|&s| s == 1)
        && cstrides[1..]
            .iter()
            .all(|s| s.first().is_none_or(|&x| x == 0 || x == 1));
    if packed && cstrides[0] != c_strides(&cshape) {
        // Any other packed output: one invocation per word of its extent.
        check_nested(op, &cshape, &cstrides[0])?;
        let spec = ElementwiseSpec {
            name: op.name.to_string(),
            expr: op.expr.to_string(),
            functions: op.functions.to_string(),
            inputs: inputs.iter().map(|v| v.dtype).collect(),
            compute: op.compute,
            out: op.out,
            strided: true,
            scatter: true,
            wide: false,
            steps: vec![1; dts.len()],
            aliased: (0..inputs.len()).filter(|&k| aliased[k]).collect(),
        };
        let layout = Layouts {
            bufs: &bufs,
            dtypes: &dts,
            shape: &cshape,
            strides: &cstrides,
            offsets: &offsets,
            through_out: &through,
        };
        if launch_scattered(dev, op, &spec, &layout)? {
            return Ok(());
        }
        // The inputs of one output word span more than a binding.
        return elementwise_via_unpacked(dev, op, shape, out, inputs);
    }
    // The kernel's shape and strides: rank >= 1 (a scalar is shape [1]).
    let (kshape, kstrides): (Vec<usize>, Vec<Vec<isize>>) = if cshape.is_empty() {
        // The output gets step 1 (the contiguous variant bakes steps in,
        // and only input steps are part of the kernel key).
        let mut steps = vec![vec![0]; dts.len()];
        steps[0] = vec![1];
        (vec![1], steps)
    } else {
        (cshape, cstrides)
    };

    let spec = ElementwiseSpec {
        name: op.name.to_string(),
        expr: op.expr.to_string(),
        functions: op.functions.to_string(),
        inputs: inputs.iter().map(|v| v.dtype).collect(),
        compute: op.compute,
        out: op.out,
        strided: !contig,
        scatter: false,
        wide: false,
        steps: kstrides
            .iter()
            .map(|s| {
                if contig {
                    s[0].unsigned_abs() as u32
                } else {
                    1
                }
            })
            .collect(),
        aliased: (0..inputs.len()).filter(|&k| aliased[k]).collect(),
    };

    let operands: Vec<Operand> = (0..dts.len())
        .map(|k| Operand {
            buf: bufs[k],
            itemsize: dts[k].itemsize() as u64,
            shape: &kshape,
            strides: &kstrides[k],
            offset: offsets[k],
        })
        .collect();

    // Work items: output elements, groups of four elements (the wide
    // variant), or output words for a packed output.
    let lanes = u64::from(codegen::lanes(op.out));
    let out_off = offsets[0] as u64;
    let first_word = out_off / lanes;
    // Logical indices of work items a..b (absolute item numbers).
    let logical = move |unit: u64, a: u64, b: u64| -> (u64, u64) {
        if packed {
            let la = ((first_word + a) * lanes).saturating_sub(out_off).min(n);
            let lb = ((first_word + b) * lanes).saturating_sub(out_off).min(n);
            (la, lb)
        } else {
            (a * unit, b * unit)
        }
    };
    let elem_offset = |c: &launch::Chunk, k: usize| chunk_elem_offset(c, k, &offsets, &through);
    // Chunks of work items `first..first + count` of `unit` elements each
    // for `spec`; None when no chunking fits the bindings, or (the wide
    // variant) a dense operand's window offset is not a multiple of 4.
    let plan = |spec: &ElementwiseSpec, unit: u64, first: u64, count: u64| {
        let chunks = launch::plan(
            &dev.ctx.launch,
            count,
            max_threads(dev),
            &operands,
            &|_, a, b| logical(unit, first + a, first + b),
        )?;
        // An aliased input is read through the output's window: its elements
        // must lie inside that window in every chunk. They always do for an
        // input that is the output element for element; a disjoint one may
        // leave it when a large buffer is chunked.
        let fits = chunks.iter().all(|c| {
            let w0 = &c.windows[0];
            c.windows.iter().enumerate().all(|(k, w)| {
                !through_out(k)
                    || (w.offset >= w0.offset && w.offset + w.size <= w0.offset + w0.size)
            })
        });
        let dense = |k: usize| kstrides[k][0] != 0;
        let aligned = !spec.wide
            || chunks
                .iter()
                .all(|c| (0..dts.len()).all(|k| !dense(k) || elem_offset(c, k) % 4 == 0));
        (fits && aligned).then_some(chunks)
    };
    // Record `spec` over the planned `chunks` of items from `first` on.
    let record = |spec: &ElementwiseSpec, unit: u64, first: u64, chunks: &[launch::Chunk]| {
        if chunks.is_empty() {
            return Ok(());
        }
        let key = spec.key();
        let kernel = launch::kernel(dev, OP, &key, "main", &spec.slots(), || spec.source())?;
        let rank = kshape.len();
        for chunk in chunks {
            let (start, end) = logical(unit, first + chunk.first, first + chunk.first + chunk.len);
            let word0 = if packed {
                first_word + chunk.first - chunk.windows[0].offset / 4
            } else {
                0
            };
            let header = [
                chunk.len as u32,
                (start / unit) as u32,
                (end - start) as u32,
                rank as u32,
                word0 as u32,
                0,
                0,
                0,
            ];
            let ops = ChunkOperands {
                bufs: &bufs,
                strides: &kstrides,
                offsets: &offsets,
                through_out: &through,
            };
            dispatch_chunk(dev, &kernel, header, &kshape, &ops, chunk)?;
        }
        Ok(())
    };

    // The wide variant: unpacked dtypes, dense operands at offsets that are
    // multiples of 4; the last n % 4 elements go to the scalar kernel.
    let wide = contig
        && dev.ctx.launch.wide_loads
        && !packed
        && n >= 4
        && dts.iter().all(|&d| !codegen::is_packed(d))
        && (0..dts.len()).all(|k| kstrides[k][0] == 0 || offsets[k] % 4 == 0);
    if wide {
        let wspec = ElementwiseSpec {
            wide: true,
            ..spec.clone()
        };
        let done = n / 4 * 4;
        let body = plan(&wspec, 4, 0, n / 4);
        let tail = if done < n {
            plan(&spec, 1, done, n - done)
        } else {
            Some(Vec::new())
        };
        // Both planned before either is recorded: an in-place op must not
        // run twice over any element.
        if let (Some(body), Some(tail)) = (body, tail) {
            record(&wspec, 4, 0, &body)?;
            return record(&spec, 1, done, &tail);
        }
    }
    let items = if packed {
        (out_off + n - 1) / lanes - first_word + 1
    } else {
        n
    };
    if let Some(chunks) = plan(&spec, 1, 0, items) {
        return record(&spec, 1, 0, &chunks);
    }
    if packed {
        // The inputs of one output word span more than a binding: compute
        // unpacked, then pack with a contiguous copy.
        return elementwise_via_unpacked(dev, op, shape, out, inputs);
    }
    if aliased.iter().any(|&a| a) {
        // An aliased input left the output's window: detach it like any
        // other input on the output's buffer.
        return launch_elementwise(dev, op, shape, out, inputs, n, alias.fallback());
    }
    Err(Error::Device {
        op: OP,
        reason: format!("{}: no chunking fits the binding limit", op.name),
    })
}

/// The operands of an elementwise launch, output first, as one chunk's
/// dispatch needs them.
struct ChunkOperands<'a> {
    bufs: &'a [&'a GpuBuffer],
    strides: &'a [Vec<isize>],
    /// Element offsets from the start of each buffer.
    offsets: &'a [usize],
    /// Per operand: read through the output's binding (no binding of its own).
    through_out: &'a [bool],
}

/// Operand `k`'s element offset in `chunk`: relative to its own window, or
/// for an operand read through the output's binding, to the output's.
fn chunk_elem_offset(
    chunk: &launch::Chunk,
    k: usize,
    offsets: &[usize],
    through_out: &[bool],
) -> i64 {
    if through_out[k] {
        chunk.windows[0].elem_offset + offsets[k] as i64 - offsets[0] as i64
    } else {
        chunk.windows[k].elem_offset
    }
}

/// Record one chunk of an elementwise launch: the parameters (the 8-word
/// `header`, the shape, then per operand its element offset and strides;
/// see `shaders/strided_index.wgsl`) and the bindings of the operands that
/// have their own. Header word 7 is always 0: generated expression code
/// reads it as a zero the shader compiler cannot know (`expr::gpu`).
fn dispatch_chunk(
    dev: &GpuDevice,
    kernel: &launch::Kernel,
    header: [u32; 8],
    shape: &[usize],
    ops: &ChunkOperands,
    chunk: &launch::Chunk,
) -> Result<()> {
    debug_assert_eq!(header[7], 0, "header word 7 is the kernels' opaque zero");
    let mut params = header.to_vec();
    params.extend(shape.iter().map(|&d| d as u32));
    for (k, strides) in ops.strides.iter().enumerate() {
        params.push(wrap(chunk_elem_offset(
            chunk,
            k,
            ops.offsets,
            ops.through_out,
        )));
        params.extend(strides.iter().map(|&s| wrap(s as i64)));
    }
    let bindings: Vec<(&GpuBuffer, &launch::Window)> = ops
        .bufs
        .iter()
        .copied()
        .zip(&chunk.windows)
        .zip(ops.through_out)
        .filter(|(_, &t)| !t)
        .map(|(b, _)| b)
        .collect();
    launch::dispatch(
        dev,
        "elementwise",
        kernel,
        &params,
        &bindings,
        chunk.len.div_ceil(u64::from(WORKGROUP_SIZE)),
    )
}

/// Put a packed output's layout in canonical form for the word-owning
/// kernels: flip every axis on which the output steps backwards (for every
/// operand, the offset moves to that axis's last index and the stride
/// changes sign), then order the axes by the output's stride, largest first
/// (a stable sort). An elementwise op maps each multi-index to itself, so
/// renaming the indices the same way for every operand changes nothing. A
/// C-contiguous output keeps its layout; a reversed or transposed dense
/// one becomes C-contiguous. `offsets` (one per operand, output first) are
/// updated in place.
fn canonical(
    shape: &[usize],
    strides: &[Vec<isize>],
    offsets: &mut [usize],
) -> (Vec<usize>, Vec<Vec<isize>>) {
    let mut strides = strides.to_vec();
    for (d, &n) in shape.iter().enumerate() {
        if strides[0][d] < 0 && n > 1 {
            for (s, o) in strides.iter_mut().zip(offsets.iter_mut()) {
                // The element at index n - 1 on this axis: inside the view.
                *o = (*o as i64 + (n as i64 - 1) * s[d] as i64) as usize;
                s[d] = -s[d];
            }
        }
    }
    let mut perm: Vec<usize> = (0..shape.len()).collect();
    perm.sort_by_key(|&d| std::cmp::Reverse(strides[0][d].unsigned_abs()));
    let pshape = perm.iter().map(|&d| shape[d]).collect();
    let pstrides = strides
        .iter()
        .map(|s| perm.iter().map(|&d| s[d]).collect())
        .collect();
    (pshape, pstrides)
}

/// A canonical output layout (see [`canonical`]) must be *nested*: each
/// stride larger than the span of the axes after it, so that the kernel
/// recovers an element's multi-index from its position greedily. Slices,
/// steps, reversals, transposes and length-1 axes of a dense array always
/// are; a layout that is not (strides (2, 3) over shape (3, 2), or a zero
/// stride) cannot come from a writeable strider view.
fn check_nested(op: &ElementwiseOp, shape: &[usize], strides: &[isize]) -> Result<()> {
    let mut span = 0i64;
    for (&n, &s) in shape.iter().zip(strides).rev() {
        if n > 1 && (s as i64) <= span {
            return Err(Error::DType {
                op: "elementwise",
                reason: format!(
                    "{}: a {} output with shape {} and strides {:?} (canonical order) is not \
                     nested: after sorting the axes by |stride|, each stride must exceed the \
                     span of the smaller ones, so that each 32-bit word's elements can be \
                     found from their positions (views made by slicing, stepping, reversing \
                     or transposing a dense array always are); write into a contiguous array \
                     and copy",
                    op.name,
                    op.out,
                    fmt_shape(shape),
                    strides
                ),
            });
        }
        span += (n as i64 - 1) * s as i64;
    }
    Ok(())
}

/// The operands of a launch, output first, as the kernel sees them.
struct Layouts<'a> {
    bufs: &'a [&'a GpuBuffer],
    dtypes: &'a [DType],
    shape: &'a [usize],
    strides: &'a [Vec<isize>],
    offsets: &'a [usize],
    /// Per operand: read through the output's binding.
    through_out: &'a [bool],
}

/// One launch's share of a scattered output: a block of the op shape.
pub(crate) struct Piece {
    pub shape: Vec<usize>,
    /// Per operand, output first.
    pub strides: Vec<Vec<isize>>,
    /// Per operand, output first.
    pub offsets: Vec<usize>,
}

/// Largest position (relative to the view's first element) that one
/// scattered launch decodes: the kernel's position arithmetic is in u32.
const SCATTER_SPAN: u64 = 1 << 31;

#[cfg(test)]
thread_local! {
    /// Lowers [`SCATTER_SPAN`] on this thread, so tests can reach the split.
    pub(crate) static SCATTER_SPAN_FOR_TESTS: std::cell::Cell<Option<u64>> =
        const { std::cell::Cell::new(None) };
}

fn scatter_span() -> u64 {
    #[cfg(test)]
    if let Some(span) = SCATTER_SPAN_FOR_TESTS.with(|c| c.get()) {
        return span;
    }
    SCATTER_SPAN
}

/// Split a canonical launch along its outer axes into pieces whose output
/// extent is below `limit` (a piece of one element has extent 0). Pieces are
/// disjoint blocks of the op shape, so they can run in any order.
pub(crate) fn split_extent(
    shape: &[usize],
    strides: &[Vec<isize>],
    offsets: &[usize],
    limit: u64,
    pieces: &mut Vec<Piece>,
) {
    let hi = full_extent(shape, &strides[0]).1 as u64;
    if hi < limit {
        pieces.push(Piece {
            shape: shape.to_vec(),
            strides: strides.to_vec(),
            offsets: offsets.to_vec(),
        });
        return;
    }
    // hi > 0, so the outer axis is longer than 1 or has inner axes.
    let (n0, s0) = (shape[0] as u64, strides[0][0] as u64);
    let inner_hi = hi - (n0 - 1) * s0;
    let at = |c: u64| -> Vec<usize> {
        offsets
            .iter()
            .zip(strides)
            .map(|(&o, s)| (o as i64 + c as i64 * s[0] as i64) as usize)
            .collect()
    };
    let inner: Vec<Vec<isize>> = strides.iter().map(|s| s[1..].to_vec()).collect();
    if inner_hi >= limit {
        for c in 0..n0 {
            split_extent(&shape[1..], &inner, &at(c), limit, pieces);
        }
        return;
    }
    // Blocks of m outer indices: (m - 1) * s0 + inner_hi < limit.
    let m = (limit - 1 - inner_hi) / s0 + 1;
    let mut c = 0;
    while c < n0 {
        let len = m.min(n0 - c);
        let mut piece_shape = shape.to_vec();
        piece_shape[0] = len as usize;
        pieces.push(Piece {
            shape: piece_shape,
            strides: strides.to_vec(),
            offsets: at(c),
        });
        c += len;
    }
}

/// How many elements of a canonical view lie at positions (relative to its
/// first element) below `p`: position order is C order, so this is also
/// the C-order index of the first element at or after `p`.
pub(crate) fn count_below(shape: &[usize], strides: &[isize], p: i64) -> u64 {
    if p <= 0 {
        return 0;
    }
    let mut r = p as u64;
    let mut below = 0u64;
    let mut inner: u64 = shape.iter().map(|&n| n as u64).product();
    for (&n, &s) in shape.iter().zip(strides) {
        let (n, s) = (n as u64, s as u64);
        inner /= n;
        let c = r / s;
        if c >= n {
            return below + n * inner;
        }
        below += c * inner;
        r -= c * s;
    }
    // r is now the distance past the element reached: it is below p if r > 0.
    below + u64::from(r > 0)
}

/// Launch the scatter variant over a canonical, nested layout: one
/// invocation per 32-bit word of the output's extent, windows planned by
/// word ranges (position order is C order, so a range of words is a range
/// of logical indices of every operand). Returns false, having launched
/// nothing, when one word's inputs span more than a binding.
fn launch_scattered(
    dev: &GpuDevice,
    op: &ElementwiseOp,
    spec: &ElementwiseSpec,
    l: &Layouts,
) -> Result<bool> {
    const OP: &str = "elementwise";
    let lanes = u64::from(codegen::lanes(op.out));
    let mut pieces = Vec::new();
    split_extent(l.shape, l.strides, l.offsets, scatter_span(), &mut pieces);
    for p in &mut pieces {
        if p.shape.is_empty() {
            // One element: a rank-1 launch (the output stride is a divisor).
            p.shape = vec![1];
            p.strides = (0..p.strides.len())
                .map(|k| vec![isize::from(k == 0)])
                .collect();
        }
    }
    // Plan every piece before launching any: a piece that cannot be planned
    // sends the whole op down another route, which must read the inputs as
    // they were.
    struct Planned {
        chunks: Vec<launch::Chunk>,
        first_word: u64,
        extent: u64,
    }
    let logical = |p: &Piece, first_word: u64, a: u64, b: u64| -> (u64, u64) {
        let at = |w: u64| {
            count_below(
                &p.shape,
                &p.strides[0],
                (w * lanes) as i64 - p.offsets[0] as i64,
            )
        };
        (at(first_word + a), at(first_word + b))
    };
    let mut planned = Vec::with_capacity(pieces.len());
    for p in &pieces {
        let operands: Vec<Operand> = (0..l.dtypes.len())
            .map(|k| Operand {
                buf: l.bufs[k],
                itemsize: l.dtypes[k].itemsize() as u64,
                shape: &p.shape,
                strides: &p.strides[k],
                offset: p.offsets[k],
            })
            .collect();
        let extent = full_extent(&p.shape, &p.strides[0]).1 as u64;
        let out_off = p.offsets[0] as u64;
        let first_word = out_off / lanes;
        let items = (out_off + extent) / lanes - first_word + 1;
        let span = |_: usize, a: u64, b: u64| logical(p, first_word, a, b);
        let Some(chunks) = launch::plan(&dev.ctx.launch, items, max_threads(dev), &operands, &span)
        else {
            return Ok(false);
        };
        planned.push(Planned {
            chunks,
            first_word,
            extent,
        });
    }
    let kernel = launch::kernel(dev, OP, &spec.key(), "main", &spec.slots(), || {
        spec.source()
    })?;
    for (p, plan) in pieces.iter().zip(&planned) {
        let rank = p.shape.len();
        for chunk in &plan.chunks {
            let (start, end) = logical(p, plan.first_word, chunk.first, chunk.first + chunk.len);
            if start == end {
                continue; // no element of the view in these words
            }
            // The first word relative to the output's window: below it (and
            // wrapping) when the chunk's first words hold no element.
            let word0 =
                (plan.first_word + chunk.first) as i64 - (chunk.windows[0].offset / 4) as i64;
            let header = [
                chunk.len as u32,
                start as u32,
                (end - start) as u32,
                rank as u32,
                wrap(word0),
                plan.extent as u32,
                0,
                0,
            ];
            let ops = ChunkOperands {
                bufs: l.bufs,
                strides: &p.strides,
                offsets: &p.offsets,
                through_out: l.through_out,
            };
            dispatch_chunk(dev, &kernel, header, &p.shape, &ops, chunk)?;
        }
    }
    Ok(true)
}

/// Dense strides laid out like `strides` over `shape`: the same axis order
/// (by |stride|) and the same signs, and the offset of element `[0, ...]`.
/// A temporary laid out like the output meets it word for word.
fn dense_like(shape: &[usize], strides: &[isize]) -> (Vec<isize>, usize) {
    let mut perm: Vec<usize> = (0..shape.len()).collect();
    perm.sort_by_key(|&d| std::cmp::Reverse(strides[d].unsigned_abs()));
    let mut out = vec![0isize; shape.len()];
    let mut offset = 0usize;
    let mut acc = 1usize;
    for &d in perm.iter().rev() {
        let n = shape[d].max(1);
        if strides[d] < 0 {
            out[d] = -(acc as isize);
            offset += (n - 1) * acc;
        } else {
            out[d] = acc as isize;
        }
        acc *= n;
    }
    (out, offset)
}

/// Run `op` with a packed output through a dense temporary holding the
/// compute type (uint8 and bool as u32, bfloat16 as f32) laid out like
/// `out`, then convert and pack that into `out`. Gives the same values as
/// the direct kernel: the conversion to the output dtype is the same, only
/// later.
///
/// The temporary and its packing are an implicit copy in the ledger
/// (refused inside `no_copies`, like every implicit copy), so that the GPU
/// layer never moves data behind the ledger's back.
fn elementwise_via_unpacked(
    dev: &GpuDevice,
    op: &ElementwiseOp,
    shape: &[usize],
    out: &GpuView,
    inputs: &[GpuView],
) -> Result<()> {
    const REASON: &str = "a packed output whose inputs span more than one storage binding is \
                          computed into an unpacked temporary, then packed";
    let tmp_dtype = codegen::unpacked(op.compute);
    let n: usize = shape.iter().product();
    let bytes = n * tmp_dtype.itemsize();
    ledger::check_implicit("elementwise", REASON, bytes)?;
    let tmp = GpuBuffer::empty(dev, bytes as u64)?;
    let (strides, offset) = dense_like(shape, out.strides);
    let tmp_view = GpuView {
        buf: &tmp,
        dtype: tmp_dtype,
        strides: &strides,
        offset,
    };
    let first = ElementwiseOp {
        out: tmp_dtype,
        ..*op
    };
    elementwise(dev, &first, shape, &tmp_view, inputs)?;
    copy(dev, shape, out, &tmp_view)?;
    let record = |dt: DType, strides: &[isize], offset: usize| ledger::LayoutRecord {
        shape: shape.to_vec(),
        strides: strides
            .iter()
            .map(|&s| s * dt.itemsize() as isize)
            .collect(),
        offset: offset * dt.itemsize(),
    };
    let device = crate::Device::Gpu(dev.clone()).to_string();
    let kind = ledger::EventKind::Copy { implicit: true };
    ledger::record(kind, bytes, || ledger::CopyEvent {
        op: "elementwise",
        reason: format!("{REASON} ({} as {tmp_dtype}, to {})", op.name, out.dtype),
        kind,
        bytes,
        source: record(tmp_dtype, &strides, offset),
        result: record(out.dtype, out.strides, out.offset),
        src_device: device.clone(),
        dst_device: device,
    });
    Ok(())
}

/// Copy `input` into `out` over `shape`, converting to `out.dtype`
/// (NumPy's `astype` with unsafe casting). The gather of a strided view
/// into a contiguous one is this with a contiguous `out`.
///
/// # Errors
///
/// As [`elementwise`].
///
/// ```
/// use strider::gpu::{copy, download, upload, GpuBuffer, GpuDevice, GpuView};
/// use strider::DType;
/// let Ok(dev) = GpuDevice::default_device() else { return };
/// let a = upload(&dev, bytemuck::cast_slice(&[1i32, 2, 3, 4])).unwrap();
/// let out = GpuBuffer::empty(&dev, 4 * 4).unwrap();
/// // Reverse and convert to f32.
/// copy(
///     &dev,
///     &[4],
///     &GpuView { buf: &out, dtype: DType::F32, strides: &[1], offset: 0 },
///     &GpuView { buf: &a, dtype: DType::I32, strides: &[-1], offset: 3 },
/// )
/// .unwrap();
/// let got: Vec<f32> = bytemuck::cast_slice(&download(&out, 0, 16).unwrap()).to_vec();
/// assert_eq!(got, [4.0, 3.0, 2.0, 1.0]);
/// ```
pub fn copy(dev: &GpuDevice, shape: &[usize], out: &GpuView, input: &GpuView) -> Result<()> {
    let op = ElementwiseOp {
        name: "copy",
        expr: "x0",
        functions: "",
        compute: out.dtype,
        out: out.dtype,
    };
    elementwise(dev, &op, shape, out, std::slice::from_ref(input))
}

// ---------------------------------------------------------------------------
// Reductions
// ---------------------------------------------------------------------------

/// A buffer a pass reads: the caller's, or partials owned by the pass loop.
enum Held<'a> {
    Borrowed(&'a GpuBuffer),
    Owned(GpuBuffer),
}

impl Held<'_> {
    fn get(&self) -> &GpuBuffer {
        match self {
            Held::Borrowed(b) => b,
            Held::Owned(b) => b,
        }
    }
}

/// The source of one reduction pass.
struct PassInput<'a> {
    vals: Held<'a>,
    /// Indices of partial argmin/argmax results.
    idx: Option<GpuBuffer>,
    kind: ReduceInput,
    itemsize: u64,
    offset: usize,
    outer_strides: Vec<isize>,
    reduced_shape: Vec<usize>,
    reduced_strides: Vec<isize>,
}

/// The target of the final pass.
struct PassOutput<'a> {
    buf: &'a GpuBuffer,
    dtype: DType,
    offset: usize,
    strides: Vec<isize>,
}

/// Reduce `input` over its reduced axes into `out`.
///
/// The input element at outer multi-index `o` and reduced multi-index `r` is
/// at `input.offset + sum(o * outer_strides_in) + sum(r * reduced_strides_in)`;
/// the result for `o` goes to `out.offset + sum(o * out.strides)` (the output
/// is usually contiguous in outer order; `out.strides` has one stride per
/// outer axis). `input.strides` is not used: pass `&[]` or the outer strides
/// followed by the reduced strides.
///
/// Elements are converted to `acc` and accumulated in it; the result is
/// converted to `out.dtype`. `ArgMin`/`ArgMax` write the C-order index over
/// the reduced axes of the first extreme (the first NaN, if any) as `int64`
/// (or `int32` when `out.dtype` is `I32`). Floats are summed pairwise: each
/// workgroup folds at most 16 elements per invocation before a tree, and
/// large blocks are split into parts reduced by a second pass.
///
/// # Errors
///
/// - [`Error::EmptyReduction`]: min, max, argmin or argmax over zero elements.
/// - [`Error::DType`]: an accumulator the op does not take (bool for sum and
///   prod, anything but bool for any and all), an arg op whose output is not
///   `int64`/`int32`, a dtype the adapter cannot run (`int64` output without
///   `SHADER_INT64`: use `int32`), or a packed output whose layout is not
///   nested (see [`elementwise`]).
/// - [`Error::Value`] and [`Error::Device`]: as for [`elementwise`].
///
/// ```
/// use strider::gpu::{download, reduce, upload, GpuBuffer, GpuDevice, GpuView, ReduceOp};
/// use strider::DType;
/// let Ok(dev) = GpuDevice::default_device() else { return };
/// // Sum a (2, 3) array over axis 1.
/// let a = upload(&dev, bytemuck::cast_slice(&[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0])).unwrap();
/// let out = GpuBuffer::empty(&dev, 2 * 4).unwrap();
/// reduce(
///     &dev,
///     ReduceOp::Sum,
///     DType::F32,
///     &GpuView { buf: &a, dtype: DType::F32, strides: &[], offset: 0 },
///     &[2],
///     &[3],
///     &[3],
///     &[1],
///     &GpuView { buf: &out, dtype: DType::F32, strides: &[1], offset: 0 },
/// )
/// .unwrap();
/// let got: Vec<f32> = bytemuck::cast_slice(&download(&out, 0, 8).unwrap()).to_vec();
/// assert_eq!(got, [6.0, 15.0]);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn reduce(
    dev: &GpuDevice,
    op: ReduceOp,
    acc: DType,
    input: &GpuView,
    outer_shape: &[usize],
    outer_strides_in: &[isize],
    reduced_shape: &[usize],
    reduced_strides_in: &[isize],
    out: &GpuView,
) -> Result<()> {
    let name = op.name();
    same_device(name, dev, input.buf)?;
    same_device(name, dev, out.buf)?;
    let full_shape: Vec<usize> = outer_shape.iter().chain(reduced_shape).copied().collect();
    if outer_strides_in.len() != outer_shape.len()
        || reduced_strides_in.len() != reduced_shape.len()
    {
        return Err(Error::Value {
            op: name,
            reason: format!(
                "{} outer and {} reduced strides given for outer shape {} and reduced shape {}",
                outer_strides_in.len(),
                reduced_strides_in.len(),
                fmt_shape(outer_shape),
                fmt_shape(reduced_shape)
            ),
        });
    }
    let full_strides: Vec<isize> = outer_strides_in
        .iter()
        .chain(reduced_strides_in)
        .copied()
        .collect();
    if !input.strides.is_empty() && input.strides != full_strides.as_slice() {
        return Err(Error::Value {
            op: name,
            reason: format!(
                "the input view's strides {:?} disagree with the outer and reduced strides {:?}",
                input.strides, full_strides
            ),
        });
    }
    let n_out = checked_size(name, outer_shape, 1 << 31)?;
    let m = checked_size(name, reduced_shape, 1 << 31)?;
    check_bounds(
        name,
        input.buf,
        input.dtype,
        &full_shape,
        &full_strides,
        input.offset,
    )?;
    check_bounds(
        name,
        out.buf,
        out.dtype,
        outer_shape,
        out.strides,
        out.offset,
    )?;
    if !op.accepts_acc(acc) {
        return Err(Error::DType {
            op: name,
            reason: format!("{name} cannot accumulate in {acc}"),
        });
    }
    if op.is_arg() && !matches!(out.dtype, DType::I64 | DType::I32) {
        return Err(Error::DType {
            op: name,
            reason: format!("{name} writes int64 (or int32) indices, not {}", out.dtype),
        });
    }
    dev.check_dtypes(name, &[input.dtype, acc, out.dtype])?;
    if n_out == 0 {
        return Ok(());
    }
    if m == 0 && op.needs_elements() {
        return Err(Error::EmptyReduction {
            op: name,
            shape: full_shape,
        });
    }

    let detached = if input.buf.id() == out.buf.id() {
        Some(detach(
            dev,
            input.buf,
            input.dtype,
            &full_shape,
            &full_strides,
            input.offset,
        )?)
    } else {
        None
    };
    let (in_buf, in_offset) = detached
        .as_ref()
        .map_or((input.buf, input.offset), |(b, o)| (b, *o));

    let (oshape, ostr) = coalesce(
        outer_shape,
        &[outer_strides_in.to_vec(), out.strides.to_vec()],
    );
    let (rshape, rstr) = coalesce(reduced_shape, &[reduced_strides_in.to_vec()]);
    let src = PassInput {
        vals: Held::Borrowed(in_buf),
        idx: None,
        kind: ReduceInput::Plain(input.dtype),
        itemsize: input.dtype.itemsize() as u64,
        offset: in_offset,
        outer_strides: ostr[0].clone(),
        reduced_shape: rshape,
        reduced_strides: rstr[0].clone(),
    };

    if !codegen::is_packed(out.dtype) {
        let dst = PassOutput {
            buf: out.buf,
            dtype: out.dtype,
            offset: out.offset,
            strides: ostr[1].clone(),
        };
        return reduce_passes(dev, op, acc, &oshape, n_out, src, &dst);
    }
    // A packed output: reduce into an unpacked temporary, then convert and
    // pack with the elementwise kernel (which owns whole output words, in
    // any layout).
    let tmp_dtype = codegen::unpacked(acc);
    let tmp = GpuBuffer::empty(dev, n_out * tmp_dtype.itemsize() as u64)?;
    let dst = PassOutput {
        buf: &tmp,
        dtype: tmp_dtype,
        offset: 0,
        strides: c_strides(&oshape),
    };
    reduce_passes(dev, op, acc, &oshape, n_out, src, &dst)?;
    copy(
        dev,
        &oshape,
        &GpuView {
            buf: out.buf,
            dtype: out.dtype,
            strides: &ostr[1],
            offset: out.offset,
        },
        &GpuView {
            buf: &tmp,
            dtype: tmp_dtype,
            strides: &dst.strides,
            offset: 0,
        },
    )
}

/// Ways to split a block of `m` elements: (one workgroup per item, elements
/// per item), best first.
fn split_candidates(n_out: u64, m: u64) -> Vec<(bool, u64)> {
    let mut c = Vec::new();
    if m <= 32 || (n_out >= 4096 && m <= 1024) {
        c.push((false, m.max(1)));
    }
    for chunk in [4096u64, 1024, 256, 64, 16, 4, 1] {
        c.push((true, chunk));
    }
    c
}

/// Run the passes of a reduction: partial passes while a block needs more
/// than one item, then the final pass into `dst`.
fn reduce_passes(
    dev: &GpuDevice,
    op: ReduceOp,
    acc: DType,
    oshape: &[usize],
    n_out: u64,
    first: PassInput,
    dst: &PassOutput,
) -> Result<()> {
    let name = op.name();
    let arg = op.is_arg();
    let mut src = first;
    'pass: loop {
        let m: u64 = src.reduced_shape.iter().map(|&d| d as u64).product();
        for (group, chunk) in split_candidates(n_out, m) {
            let parts = m.div_ceil(chunk).max(1);
            let items = n_out * parts;
            if items > u64::from(u32::MAX) {
                continue;
            }
            let spec = ReduceSpec {
                op,
                acc,
                input: src.kind,
                output: if parts == 1 {
                    ReduceOutput::Final(dst.dtype)
                } else {
                    ReduceOutput::Partial
                },
                group,
            };
            // Partial outputs: accumulators (and indices) contiguous over items.
            let partials = if parts > 1 {
                let vals = GpuBuffer::empty(dev, items * acc_size(acc))?;
                let idx = if arg {
                    Some(GpuBuffer::empty(dev, items * 4)?)
                } else {
                    None
                };
                Some((vals, idx))
            } else {
                None
            };
            let in_shape: Vec<usize> = oshape.iter().chain(&src.reduced_shape).copied().collect();
            let in_strides: Vec<isize> = src
                .outer_strides
                .iter()
                .chain(&src.reduced_strides)
                .copied()
                .collect();
            let items_shape = [items as usize];
            let unit = [1isize];
            // Operands in binding order: outputs, then inputs.
            let mut operands: Vec<Operand> = Vec::new();
            match &partials {
                Some((vals, idx)) => {
                    operands.push(Operand {
                        buf: vals,
                        itemsize: acc_size(acc),
                        shape: &items_shape,
                        strides: &unit,
                        offset: 0,
                    });
                    if let Some(idx) = idx {
                        operands.push(Operand {
                            buf: idx,
                            itemsize: 4,
                            shape: &items_shape,
                            strides: &unit,
                            offset: 0,
                        });
                    }
                }
                None => operands.push(Operand {
                    buf: dst.buf,
                    itemsize: dst.dtype.itemsize() as u64,
                    shape: oshape,
                    strides: &dst.strides,
                    offset: dst.offset,
                }),
            }
            let n_outputs = operands.len();
            operands.push(Operand {
                buf: src.vals.get(),
                itemsize: src.itemsize,
                shape: &in_shape,
                strides: &in_strides,
                offset: src.offset,
            });
            if let Some(idx) = &src.idx {
                operands.push(Operand {
                    buf: idx,
                    itemsize: 4,
                    shape: &in_shape,
                    strides: &in_strides,
                    offset: src.offset,
                });
            }
            let span = |k: usize, a: u64, b: u64| -> (u64, u64) {
                let (oa, pa) = (a / parts, a % parts);
                let (ob, pb) = ((b - 1) / parts, (b - 1) % parts);
                if k >= n_outputs {
                    (oa * m + pa * chunk, ob * m + ((pb + 1) * chunk).min(m))
                } else if parts > 1 {
                    (a, b)
                } else {
                    (oa, ob + 1)
                }
            };
            let limit = if group {
                max_groups(dev)
            } else {
                max_threads(dev)
            };
            let Some(chunks) = launch::plan(&dev.ctx.launch, items, limit, &operands, &span) else {
                continue;
            };
            let key = spec.key();
            let kernel =
                launch::kernel(dev, name, &key, spec.entry_point(), &spec.slots(), || {
                    spec.source()
                })?;
            for c in &chunks {
                let w = &c.windows;
                let shift =
                    |a: usize, b: usize| w.get(b).map_or(0, |wb| wb.elem_offset - w[a].elem_offset);
                let mut params = vec![
                    c.len as u32,
                    c.first as u32,
                    oshape.len() as u32,
                    src.reduced_shape.len() as u32,
                    m as u32,
                    parts as u32,
                    chunk as u32,
                    wrap(if src.idx.is_some() {
                        shift(n_outputs, n_outputs + 1)
                    } else {
                        0
                    }),
                    wrap(if n_outputs == 2 { shift(0, 1) } else { 0 }),
                    0,
                ];
                params.extend(oshape.iter().map(|&d| d as u32));
                params.extend(src.reduced_shape.iter().map(|&d| d as u32));
                params.push(wrap(w[n_outputs].elem_offset));
                params.extend(src.outer_strides.iter().map(|&s| wrap(s as i64)));
                params.extend(src.reduced_strides.iter().map(|&s| wrap(s as i64)));
                params.push(wrap(w[0].elem_offset));
                if parts == 1 {
                    params.extend(dst.strides.iter().map(|&s| wrap(s as i64)));
                } else {
                    params.extend(oshape.iter().map(|_| 0));
                }
                let bindings: Vec<(&GpuBuffer, &launch::Window)> =
                    operands.iter().map(|o| o.buf).zip(w).collect();
                let groups = if group {
                    c.len
                } else {
                    c.len.div_ceil(u64::from(WORKGROUP_SIZE))
                };
                launch::dispatch(dev, name, &kernel, &params, &bindings, groups)?;
            }
            drop(operands);
            match partials {
                None => return Ok(()),
                Some((vals, idx)) => {
                    // The next pass reduces the parts of each output.
                    src = PassInput {
                        vals: Held::Owned(vals),
                        idx,
                        kind: ReduceInput::Pairs,
                        itemsize: acc_size(acc),
                        offset: 0,
                        outer_strides: c_strides(oshape)
                            .iter()
                            .map(|s| s * parts as isize)
                            .collect(),
                        reduced_shape: vec![parts as usize],
                        reduced_strides: vec![1],
                    };
                    continue 'pass;
                }
            }
        }
        return Err(Error::Device {
            op: name,
            reason: format!(
                "no split of the reduction fits the binding limit of {} bytes",
                dev.ctx.launch.max_binding
            ),
        });
    }
}
