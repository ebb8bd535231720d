//! Expressions on a GPU: one generated WGSL kernel per expression.
//!
//! The tree becomes one WGSL function, `fused`, with a `let` per node (a
//! shared subtree once) over the raw values of the distinct inputs, and
//! the strided elementwise kernel (`shaders/elementwise*.wgsl`, every
//! variant: strided, contiguous, wide, packed outputs) calls it for each
//! element, reading every input in place through its strides.
//!
//! Each node's WGSL is the eager kernel's own: the registry's expression
//! for the op and loop dtype ([`BinaryOp::wgsl_for`],
//! [`UnaryOp::wgsl_for`], where and clip from `ops::gpu`), its compute type
//! `C` and its operands `x0`, `x1`, `x2` replaced by the node's loop type
//! and its children's values converted with the eager kernels' conversions
//! ([`codegen::convert`]). A node's value is then rounded to its own dtype
//! as the eager store rounds it (bfloat16 through `round_bf16`; narrow
//! integers wrap when next converted, as when loaded), so the kernel gives
//! the eager ops' bits.
//!
//! Each node's value passes through an opaque zero from the kernel's
//! parameters ([`opaque`]), so the shader compiler sees every node's
//! operands as it sees an eager kernel's: values it cannot know. That keeps
//! loose float folding and FMA contraction from reaching across nodes.
//!
//! Scalars are inputs too (small device constants, uploaded once per
//! value, as the eager ops upload them), so the pipeline depends only on
//! the tree's structure and dtypes and is built once. A kernel binds at
//! most [`MAX_INPUTS`] inputs; a tree over more arrays and scalars is cut
//! into passes first ([`prepare`]).
//!
//! A reduction at the root runs the generated kernel into a temporary,
//! then the eager reduction kernels: two launches for any expression (the
//! fused reduction kernel is not written yet).

use super::prepare::{prepare, same_input};
use super::{Node, NodeKind};
use crate::array::Array;
use crate::device::Device;
use crate::dtype::{Casting, DType};
use crate::error::{Error, Result};
use crate::gpu::codegen::{convert, rep, IPOW};
use crate::gpu::MAX_INPUTS;
use crate::layout::{broadcast_shapes, Order};
use crate::ops::gpu::{clip_wgsl, half_rounded, where_wgsl};
use crate::ops::{Axes, ReduceOp};
use std::collections::HashMap;
use std::sync::Arc;

/// The WGSL of a tree: the `fused` function and the expression calling it.
pub(crate) struct Kernel {
    /// The distinct inputs, in parameter order.
    pub(crate) leaves: Vec<Array>,
    /// The function definitions (`fused` and the integer powers it calls).
    pub(crate) functions: String,
    /// `fused(r0, r1, ...)`.
    pub(crate) expr: String,
    /// Every dtype a node holds or computes in.
    pub(crate) dtypes: Vec<DType>,
}

/// Builds [`Kernel`]: one `let` per node in evaluation order.
#[derive(Default)]
struct Writer {
    leaves: Vec<Array>,
    params: Vec<String>,
    body: String,
    names: HashMap<*const Node, String>,
    dtypes: Vec<DType>,
    /// The representations `ipow` is needed for.
    ipow: Vec<&'static str>,
    temps: usize,
}

/// `template` with whole identifiers replaced by `names` (numbers such as
/// `0x7fu` and identifiers that merely contain a name are left alone).
fn substitute(template: &str, names: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() * 2);
    let mut chars = template.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_ascii_alphanumeric() || c == '_' {
            let mut end = start + c.len_utf8();
            while let Some(&(i, d)) = chars.peek() {
                if !(d.is_ascii_alphanumeric() || d == '_') {
                    break;
                }
                end = i + d.len_utf8();
                chars.next();
            }
            let token = &template[start..end];
            match names(token).filter(|_| !c.is_ascii_digit()) {
                Some(r) => out.push_str(&r),
                None => out.push_str(token),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `v`, a value of `rep(dt)`, passed through the kernel's opaque zero
/// (word 7 of every elementwise kernel's parameters, always 0, which the
/// shader compiler cannot know): the same bits, but a value the compiler
/// cannot see into. Without it a driver that folds floats loosely (NIR
/// treats `0 * x` as 0 unless told otherwise) folds across nodes what each
/// eager kernel, reading its operands from memory, computes exactly: a node
/// provably 0 made a later `0 // 0` give 0 instead of NaN on lavapipe. It
/// also keeps a product and a later sum from contracting into an FMA.
/// Integer adds and bitcasts only, so subnormals and NaN payloads pass.
fn opaque(dt: DType, v: &str) -> String {
    const Z: &str = "params[7u]";
    match dt {
        DType::Bool => format!("(({v}) != ({Z} != 0u))"),
        DType::F16 => format!("f16(bitcast<f32>(bitcast<u32>(f32({v})) + {Z}))"),
        DType::F64 => format!("bitcast<f64>(bitcast<u64>({v}) + u64({Z}))"),
        DType::I64 => format!("(({v}) + bitcast<i64>(u64({Z})))"),
        DType::U64 => format!("(({v}) + u64({Z}))"),
        _ => match rep(dt) {
            "f32" => format!("bitcast<f32>(bitcast<u32>({v}) + {Z})"),
            "i32" => format!("(({v}) + bitcast<i32>({Z}))"),
            _ => format!("(({v}) + {Z})"),
        },
    }
}

impl Writer {
    /// A new `let` holding `value` of dtype `dt`; returns its name.
    fn bind(&mut self, dt: DType, value: &str) -> String {
        let name = format!("t{}", self.temps);
        self.temps += 1;
        self.body
            .push_str(&format!("    let {name}: {} = {value};\n", rep(dt)));
        name
    }

    /// [`Writer::bind`] for a node's value, through [`opaque`] (an f64
    /// value needs 64-bit integers for it).
    fn bind_node(&mut self, dt: DType, value: &str) -> String {
        if dt == DType::F64 && !self.dtypes.contains(&DType::U64) {
            self.dtypes.push(DType::U64);
        }
        self.bind(dt, &opaque(dt, value))
    }

    /// The registry template `template` of an op computing in `c`, over
    /// `operands` (each `(child value, child dtype)`), converted to `c`
    /// first, as the eager kernel converts its inputs.
    fn apply(&mut self, template: &str, c: DType, operands: &[(String, DType)]) -> String {
        let args: Vec<String> = operands
            .iter()
            .map(|(v, dt)| {
                let conv = convert(*dt, c, v);
                if conv == *v {
                    conv
                } else {
                    self.bind(c, &conv)
                }
            })
            .collect();
        let ty = rep(c);
        let uses_ipow = template.contains("ipow");
        if uses_ipow && !self.ipow.contains(&ty) {
            self.ipow.push(ty);
        }
        substitute(template, &|t| match t {
            "C" => Some(ty.to_string()),
            "ipow" => Some(format!("ipow_{ty}")),
            _ => t
                .strip_prefix('x')
                .and_then(|k| k.parse::<usize>().ok())
                .and_then(|k| args.get(k).cloned()),
        })
    }

    /// `v`, a value of `rep(dt)`, as the eager store leaves it: bfloat16
    /// rounded (it computes in f32); every other dtype is exact already or
    /// wrapped when next converted.
    fn stored(dt: DType, v: String) -> String {
        if dt == DType::BF16 {
            format!("round_bf16({v})")
        } else {
            v
        }
    }

    /// The WGSL value of node `n` (a parameter or a `let`).
    fn value(&mut self, n: &Arc<Node>) -> Result<String> {
        if let Some(v) = self.names.get(&Arc::as_ptr(n)) {
            return Ok(v.clone());
        }
        if !self.dtypes.contains(&n.dtype) {
            self.dtypes.push(n.dtype);
        }
        let v = match &n.kind {
            NodeKind::Input(a) | NodeKind::Scalar(_, a) => {
                let k = match self.leaves.iter().position(|b| same_input(a, b)) {
                    Some(k) => k,
                    None => {
                        self.leaves.push(a.clone());
                        self.params
                            .push(format!("r{}: {}", self.leaves.len() - 1, rep(a.dtype())));
                        self.leaves.len() - 1
                    }
                };
                format!("r{k}")
            }
            NodeKind::Unary { op, loop_dtype, x } => {
                let xv = (self.value(x)?, x.dtype);
                self.op_node(n, &op.wgsl_for(*loop_dtype)?, *loop_dtype, &[xv])
            }
            NodeKind::Binary {
                op,
                loop_dtype,
                a,
                b,
                ..
            } => {
                let av = (self.value(a)?, a.dtype);
                let bv = (self.value(b)?, b.dtype);
                self.op_node(n, &op.wgsl_for(*loop_dtype)?, *loop_dtype, &[av, bv])
            }
            NodeKind::Cast(x) => {
                let xv = self.value(x)?;
                let v = Self::stored(n.dtype, convert(x.dtype, n.dtype, &xv));
                self.bind_node(n.dtype, &v)
            }
            NodeKind::Where { cond, x, y } => {
                // The eager op makes a non-bool condition `!= 0` first.
                let c = self.value(cond)?;
                let c = convert(cond.dtype, DType::Bool, &c);
                let ops = [
                    (c, DType::Bool),
                    (self.value(x)?, x.dtype),
                    (self.value(y)?, y.dtype),
                ];
                self.op_node(n, where_wgsl(n.dtype), n.dtype, &ops)
            }
            NodeKind::Clip { x, lo, hi } => {
                let ops = [
                    (self.value(x)?, x.dtype),
                    (self.value(lo)?, lo.dtype),
                    (self.value(hi)?, hi.dtype),
                ];
                self.op_node(n, &clip_wgsl(n.dtype), n.dtype, &ops)
            }
            NodeKind::MixedCompare { op, .. } => {
                return Err(Error::Value {
                    op: op.name(),
                    reason: "an int64/uint64 comparison reached the kernel writer (prepare() \
                             evaluates it first)"
                        .into(),
                })
            }
        };
        self.names.insert(Arc::as_ptr(n), v.clone());
        Ok(v)
    }

    /// A ufunc, where or clip node computing `template` in `c`.
    fn op_node(
        &mut self,
        n: &Node,
        template: &str,
        c: DType,
        operands: &[(String, DType)],
    ) -> String {
        if !self.dtypes.contains(&c) {
            self.dtypes.push(c);
        }
        let e = half_rounded(self.apply(template, c, operands), c, n.dtype);
        let v = Self::stored(n.dtype, convert(c, n.dtype, &format!("({e})")));
        self.bind_node(n.dtype, &v)
    }
}

/// The kernel of a prepared tree (no [`NodeKind::MixedCompare`]).
pub(crate) fn kernel(root: &Arc<Node>) -> Result<Kernel> {
    let mut w = Writer::default();
    let result = w.value(root)?;
    let mut functions = String::new();
    for ty in &w.ipow {
        functions.push_str(&substitute(IPOW, &|t| match t {
            "C" => Some(ty.to_string()),
            "ipow" => Some(format!("ipow_{ty}")),
            _ => None,
        }));
        functions.push('\n');
    }
    functions.push_str(&format!(
        "fn fused({}) -> {} {{\n{}    return {result};\n}}\n",
        w.params.join(", "),
        rep(root.dtype),
        w.body
    ));
    let args: Vec<String> = (0..w.leaves.len()).map(|k| format!("r{k}")).collect();
    Ok(Kernel {
        leaves: w.leaves,
        functions,
        expr: format!("fused({})", args.join(", ")),
        dtypes: w.dtypes,
    })
}

/// Runs a prepared tree into `out` (same device, shape `root.shape`
/// broadcast to it) in one kernel.
fn run_into(root: &Arc<Node>, out: &Array, name: &'static str) -> Result<()> {
    let k = kernel(root)?;
    if let Some(Device::Gpu(dev)) = &root.device {
        dev.check_dtypes(name, &k.dtypes)?;
    }
    let _turn = out.write_turn(name, k.leaves.iter())?;
    let guarded: Vec<Array> = k
        .leaves
        .iter()
        .map(|l| crate::ops::binary::guard_overlap(name, out, l).map(|c| c.into_owned()))
        .collect::<Result<_>>()?;
    let inputs: Vec<&Array> = guarded.iter().collect();
    crate::ops::gpu::elementwise_with(name, &k.expr, &k.functions, root.dtype, out, &inputs)
}

/// The value of a one-node tree without a kernel of its own: an input as
/// it is, a constant filled as the eager op fills it.
fn leaf_value(n: &Node) -> Result<Option<Array>> {
    match &n.kind {
        NodeKind::Input(a) => Ok(Some(a.clone())),
        NodeKind::Scalar(s, _) => {
            let device = n.device.clone().unwrap_or(Device::Cpu);
            let a = Array::alloc_on(&device, "eval", n.layout.clone(), n.dtype)?;
            a.fill(*s)?;
            Ok(Some(a))
        }
        _ => Ok(None),
    }
}

/// Evaluates a GPU tree into new memory with the eager layout, in one
/// kernel (more when it reads more than [`MAX_INPUTS`] inputs).
pub(crate) fn eval(root: &Arc<Node>) -> Result<Array> {
    let prepared = prepare(root, MAX_INPUTS)?;
    if let Some(v) = leaf_value(&prepared)? {
        return match root.kind {
            // A bare input: its copy, as a fused pass makes.
            NodeKind::Input(_) => v.astype_order(root.dtype, Order::K),
            // A constant, or a node evaluated early (int64 against uint64).
            _ => Ok(v),
        };
    }
    let device = prepared.device.clone().unwrap_or(Device::Cpu);
    let out = Array::alloc_on(&device, "eval", prepared.layout.clone(), prepared.dtype)?;
    run_into(&prepared, &out, "eval")?;
    Ok(out)
}

/// Evaluates a GPU tree into `out` (see [`Expr::eval_into`](super::Expr::eval_into)).
pub(crate) fn eval_into(root: &Arc<Node>, out: &Array) -> Result<()> {
    let name = "eval_into";
    if !DType::can_cast(root.dtype, out.dtype(), Casting::SameKind) {
        return Err(Error::DType {
            op: name,
            reason: format!(
                "Cannot cast the expression's result from dtype('{}') to dtype('{}') with \
                 casting rule 'same_kind'",
                root.dtype,
                out.dtype()
            ),
        });
    }
    out.require_writeable(name)?;
    let shape = broadcast_shapes(name, &[&root.shape, out.shape()])?;
    if shape != out.shape() {
        return Err(Error::broadcast(
            name,
            vec![root.shape.clone(), out.shape().to_vec()],
        ));
    }
    let prepared = prepare(root, MAX_INPUTS)?;
    match leaf_value(&prepared)? {
        Some(v) => out.assign(&[], &v),
        None => run_into(&prepared, out, name),
    }
}

/// A reduction of a GPU tree: the generated kernel, then the eager
/// reduction kernels (a bare input is reduced as it is, as eagerly).
pub(crate) fn eval_reduction(
    root: &Arc<Node>,
    op: ReduceOp,
    axes: Axes,
    keepdims: bool,
) -> Result<Array> {
    match &root.kind {
        NodeKind::Input(a) => a.reduce(op, axes, keepdims),
        _ => eval(root)?.reduce(op, axes, keepdims),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_replaces_whole_identifiers_only() {
        let names = |t: &str| match t {
            "x0" => Some("t3".to_string()),
            "C" => Some("f32".to_string()),
            _ => None,
        };
        assert_eq!(
            substitute("select(C(0), C(1), x0 > x01) + 0x0u + Cx0", &names),
            "select(f32(0), f32(1), t3 > x01) + 0x0u + Cx0"
        );
    }

    #[test]
    fn a_shared_subtree_is_one_let() -> Result<()> {
        let a = Array::from_vec(vec![1.0f32, 2.0], &[2])?;
        let x = a.expr() + 1.0;
        let e = (&x * &x).exp();
        let root = prepare(e.root()?, MAX_INPUTS)?;
        let k = kernel(&root)?;
        // a and the scalar; x + 1, its square, exp: three lets.
        assert_eq!(k.leaves.len(), 2);
        assert_eq!(k.functions.matches("let t").count(), 3);
        assert_eq!(k.expr, "fused(r0, r1)");
        assert!(k.functions.contains("exp_f32"));
        Ok(())
    }

    #[test]
    fn every_node_value_passes_the_opaque_zero() -> Result<()> {
        let a = Array::from_vec(vec![1.0f64, 2.0], &[2])?;
        let k = kernel(&prepare(((a.expr() * 0.0) / 0.0).root()?, MAX_INPUTS)?)?;
        // Two nodes, two barriers; an f64 barrier needs 64-bit integers.
        assert_eq!(k.functions.matches("params[7u]").count(), 2);
        assert!(k.dtypes.contains(&DType::U64));
        for dt in DType::ALL {
            assert!(opaque(dt, "v").contains("params[7u]"), "{dt}");
        }
        Ok(())
    }

    #[test]
    fn narrow_and_half_dtypes_round_at_each_node() -> Result<()> {
        let b = Array::from_vec(vec![half::bf16::from_f32(1.5); 2], &[2])?;
        let k = kernel(&prepare((b.expr() * 3.0 + 1.0).root()?, MAX_INPUTS)?)?;
        assert_eq!(k.functions.matches("round_bf16(").count(), 2);
        let u = Array::from_vec(vec![200u8, 100], &[2])?;
        let k = kernel(&prepare(((u.expr() + 100) * 2).root()?, MAX_INPUTS)?)?;
        // The sum is masked to 8 bits before the product reads it.
        assert!(k.functions.contains("& 0xffu"), "{}", k.functions);
        Ok(())
    }

    /// The kernel of `e` (a CPU tree: the WGSL does not depend on the
    /// device), parsed and validated by naga as wgpu would before building
    /// a pipeline.
    fn validate(e: &crate::Expr) -> std::result::Result<(), String> {
        let root =
            prepare(e.root().map_err(|e| e.to_string())?, MAX_INPUTS).map_err(|e| e.to_string())?;
        let k = kernel(&root).map_err(|e| e.to_string())?;
        let dtypes: Vec<DType> = k.leaves.iter().map(|l| l.dtype()).collect();
        let src = crate::gpu::elementwise_source(
            "expr",
            &k.expr,
            &k.functions,
            &dtypes,
            root.dtype,
            root.dtype,
        )
        .map_err(|e| e.to_string())?;
        let module = wgpu::naga::front::wgsl::parse_str(&src)
            .map_err(|err| format!("parse error:\n{}", err.emit_to_string(&src)))?;
        let caps = wgpu::naga::valid::Capabilities::default()
            | wgpu::naga::valid::Capabilities::SHADER_FLOAT16
            | wgpu::naga::valid::Capabilities::FLOAT64
            | wgpu::naga::valid::Capabilities::SHADER_INT64;
        wgpu::naga::valid::Validator::new(wgpu::naga::valid::ValidationFlags::all(), caps)
            .validate(&module)
            .map_err(|err| format!("invalid:\n{}\n{src}", err.emit_to_string(&src)))?;
        Ok(())
    }

    /// Every unary and binary op on every dtype the type rules accept (each
    /// node fed by another, so the conversions between nodes are in the
    /// kernel too), where and clip, and a cast between every pair of
    /// dtypes: the generated WGSL parses and validates, with no device.
    #[test]
    fn every_generated_kernel_validates_offline() {
        use crate::ops::{BinaryOp, UnaryOp};
        let mut failures = Vec::new();
        let mut checked = 0;
        let mut check = |what: String, e: crate::Expr| {
            if e.check().is_err() {
                return; // refused by the type rules, as the eager op refuses it
            }
            checked += 1;
            if let Err(msg) = validate(&e) {
                failures.push(format!("{what}: {msg}"));
            }
        };
        for d in DType::ALL {
            let a = Array::zeros(&[2, 3], d).expect("zeros");
            let b = Array::zeros(&[3], d).expect("zeros");
            let x = a.expr().astype(d); // a node feeding the op
            for &op in UnaryOp::ALL {
                check(format!("{} {d}", op.name()), x.unary(op));
            }
            for &op in BinaryOp::ALL {
                check(format!("{} {d}", op.name()), x.binary(op, &b));
                check(format!("{} {d} weak", op.name()), x.binary(op, 3));
            }
            check(format!("where {d}"), x.greater(&b).select(&x, &b));
            check(format!("clip {d}"), x.clip(&b, 5));
            for to in DType::ALL {
                check(format!("{d} -> {to}"), (x.astype(to) + &b).astype(d));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
        assert!(checked > 800, "only {checked} kernels checked");
    }

    #[test]
    fn integer_powers_get_a_function_per_type() -> Result<()> {
        let a = Array::from_vec(vec![3i32, 4], &[2])?;
        let b = Array::from_vec(vec![3i64, 4], &[2])?;
        let e = a.expr().power(3) + b.expr().power(2);
        let k = kernel(&prepare(e.root()?, MAX_INPUTS)?)?;
        assert!(k.functions.contains("fn ipow_i64("), "{}", k.functions);
        assert!(!k.functions.contains("fn ipow("));
        Ok(())
    }
}
