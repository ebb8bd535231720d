//! The GPU side of the op registry: WGSL expressions per op and loop dtype,
//! and dispatch of arrays to the kernels in [`crate::gpu`].
//!
//! In the expressions, `x0`, `x1`, `x2` are the inputs converted to the loop
//! type `C` (uint8 is `u32`, bool is `bool`, bfloat16 is `f32` in WGSL), and
//! the expression has type `C`; the kernel converts to the output dtype.
//!
//! Float results on the GPU: `+ - * /`, `sqrt`, comparisons, `floor`,
//! `ceil`, `round`, min/max and conversions are exact as on the CPU.
//! `exp`, `log`, `sin`, `cos`, `tanh` and `power` use strider's own WGSL
//! functions, not the device's built-ins (which the WGSL spec barely
//! bounds: on lavapipe the f32 `exp` built-in is off by up to 61 ulp and
//! `log` near 1 by millions, and SPIR-V has none for f64):
//! `shaders/math_f32.wgsl` for f32 (f16 and bf16 compute in f32 and round
//! once) and `shaders/math_f64.wgsl` for f64; each file's header gives the
//! measured error, under one ulp, and tests check it on the device
//! (`cpu::vmath`'s GPU tests). Integer `power` squares and
//! wraps exactly as the CPU does (`shaders/ipow.wgsl`); a negative
//! exponent is refused before the kernel runs (a GPU exponent array costs
//! one recorded download of its minimum). Float `floor_divide` and
//! `remainder` use an exact fmod and NumPy's divmod formula
//! (`shaders/divmod_f32.wgsl`, `divmod_f64.wgsl`), as the CPU: the same
//! bits (WGSL's own `%` on floats, `x - y * trunc(x / y)`, is not exact).

use super::{BinaryOp, ReduceOp, UnaryOp};
use crate::array::Array;
use crate::dtype::{DType, Kind};
use crate::error::{Error, Result};
use crate::gpu::{self, GpuDevice, GpuView};
use crate::layout::Layout;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

fn nan_max(a: &str, b: &str, c: DType) -> String {
    match c.kind() {
        Kind::Float => format!("select(select({b}, {a}, {a} >= {b}), {a}, is_nan_f32(f32({a})))"),
        Kind::Bool => format!("({a} || {b})"),
        _ => format!("max({a}, {b})"),
    }
}

fn nan_min(a: &str, b: &str, c: DType) -> String {
    match c.kind() {
        Kind::Float => format!("select(select({b}, {a}, {a} <= {b}), {a}, is_nan_f32(f32({a})))"),
        Kind::Bool => format!("({a} && {b})"),
        _ => format!("min({a}, {b})"),
    }
}

/// NumPy's float `floor_divide` or `remainder` (`shaders/divmod_f32.wgsl`,
/// `divmod_f64.wgsl`: an exact fmod, then NumPy's divmod); f16 and bf16
/// compute in f32 and round once, as on the CPU.
fn float_divmod(f: &str, c: DType) -> String {
    if c == DType::F64 {
        format!("{f}_f64(x0, x1)")
    } else {
        format!("C({f}_f32(f32(x0), f32(x1)))")
    }
}

/// The WGSL type of a signed integer loop dtype (64-bit or 32-bit).
fn signed_rep(c: DType) -> &'static str {
    if c.itemsize() == 8 {
        "i64"
    } else {
        "i32"
    }
}

fn compare(op: BinaryOp, c: DType) -> String {
    if c == DType::Bool {
        return match op {
            BinaryOp::Equal => "x0 == x1",
            BinaryOp::NotEqual => "x0 != x1",
            BinaryOp::Less => "!x0 && x1",
            BinaryOp::LessEqual => "!x0 || x1",
            BinaryOp::Greater => "x0 && !x1",
            _ => "x0 || !x1",
        }
        .to_string();
    }
    if op == BinaryOp::NotEqual && c.is_float() {
        // WGSL's `!=` compiles to an ordered comparison (false when either
        // side is NaN); NumPy's is true there.
        return "select(C(0), C(1), !(x0 == x1))".to_string();
    }
    let sym = match op {
        BinaryOp::Equal => "==",
        BinaryOp::NotEqual => "!=",
        BinaryOp::Less => "<",
        BinaryOp::LessEqual => "<=",
        BinaryOp::Greater => ">",
        _ => ">=",
    };
    format!("select(C(0), C(1), x0 {sym} x1)")
}

impl BinaryOp {
    /// The WGSL expression of the op for loop dtype `c`.
    pub(crate) fn wgsl_for(self, c: DType) -> Result<String> {
        let k = c.kind();
        let b = c == DType::Bool;
        let e = match self {
            BinaryOp::Add if b => "x0 || x1".into(),
            BinaryOp::Multiply if b => "x0 && x1".into(),
            BinaryOp::Add => "x0 + x1".into(),
            BinaryOp::Subtract => "x0 - x1".into(),
            BinaryOp::Multiply => "x0 * x1".into(),
            BinaryOp::Divide => "x0 / x1".into(),
            BinaryOp::FloorDivide => match k {
                Kind::Int => format!("floor_divide_{}(x0, x1)", signed_rep(c)),
                Kind::UInt => "select(x0 / x1, C(0), x1 == C(0))".into(),
                _ => float_divmod("floor_divide", c),
            },
            BinaryOp::Remainder => match k {
                Kind::Int => format!("remainder_{}(x0, x1)", signed_rep(c)),
                Kind::UInt => "select(x0 % x1, C(0), x1 == C(0))".into(),
                _ => float_divmod("remainder", c),
            },
            BinaryOp::Power => match c {
                // strider's own pow (C99 special values, under 1 ulp):
                // shaders/math_f32.wgsl and math_f64.wgsl.
                DType::F16 | DType::BF16 | DType::F32 => "C(pow_f32(f32(x0), f32(x1)))".into(),
                DType::F64 => "pow_f64(x0, x1)".into(),
                // Integers: by squaring, wrapping (shaders/ipow.wgsl);
                // negative exponents are refused on the host first.
                _ => "ipow(x0, x1)".into(),
            },
            BinaryOp::Maximum => nan_max("x0", "x1", c),
            BinaryOp::Minimum => nan_min("x0", "x1", c),
            BinaryOp::Equal
            | BinaryOp::NotEqual
            | BinaryOp::Less
            | BinaryOp::LessEqual
            | BinaryOp::Greater
            | BinaryOp::GreaterEqual => compare(self, c),
            BinaryOp::LogicalAnd => "x0 && x1".into(),
            BinaryOp::LogicalOr => "x0 || x1".into(),
            BinaryOp::LogicalXor => "x0 != x1".into(),
            BinaryOp::BitwiseAnd if b => "x0 && x1".into(),
            BinaryOp::BitwiseOr if b => "x0 || x1".into(),
            BinaryOp::BitwiseXor if b => "x0 != x1".into(),
            BinaryOp::BitwiseAnd => "x0 & x1".into(),
            BinaryOp::BitwiseOr => "x0 | x1".into(),
            BinaryOp::BitwiseXor => "x0 ^ x1".into(),
        };
        Ok(e)
    }
}

impl UnaryOp {
    /// The WGSL expression of the op for loop dtype `c`.
    pub(crate) fn wgsl_for(self, c: DType) -> Result<String> {
        let k = c.kind();
        let e = match self {
            UnaryOp::Negative if k == Kind::UInt => "C(0) - x0".into(),
            UnaryOp::Negative => "-x0".into(),
            UnaryOp::Abs | UnaryOp::Sign if k == Kind::Bool => "x0".into(),
            UnaryOp::Abs if k == Kind::UInt => "x0".into(),
            UnaryOp::Abs => "abs(x0)".into(),
            UnaryOp::Sign if k == Kind::UInt => "select(C(0), C(1), x0 > C(0))".into(),
            UnaryOp::Sign if k == Kind::Int => {
                "select(select(C(0), C(1), x0 > C(0)), C(-1), x0 < C(0))".into()
            }
            // bfloat16 keeps a zero's sign (ml_dtypes); the other floats
            // give +0 for either zero (abs), and NaN for NaN.
            UnaryOp::Sign if c == DType::BF16 => {
                "select(select(x0, C(1), x0 > C(0)), C(-1), x0 < C(0))".into()
            }
            UnaryOp::Sign => "select(select(abs(x0), C(1), x0 > C(0)), C(-1), x0 < C(0))".into(),
            UnaryOp::Floor | UnaryOp::Ceil | UnaryOp::Round if k != Kind::Float => "x0".into(),
            UnaryOp::Floor => "floor(x0)".into(),
            UnaryOp::Ceil => "ceil(x0)".into(),
            // lavapipe's f64 `round` is not half to even (shaders/round_f64.wgsl).
            UnaryOp::Round if c == DType::F64 => "round_f64(x0)".into(),
            UnaryOp::Round => "round(x0)".into(),
            UnaryOp::Sqrt => "sqrt(x0)".into(),
            UnaryOp::Exp | UnaryOp::Log | UnaryOp::Sin | UnaryOp::Cos | UnaryOp::Tanh => {
                let f = match self {
                    UnaryOp::Exp => "exp",
                    UnaryOp::Log => "log",
                    UnaryOp::Sin => "sin",
                    UnaryOp::Cos => "cos",
                    _ => "tanh",
                };
                // strider's own functions, not the WGSL built-ins (whose
                // accuracy the spec barely bounds, and which SPIR-V lacks
                // for f64): shaders/math_f64.wgsl, shaders/math_f32.wgsl
                // (f16 and bf16 compute in f32 and round once, as on the
                // CPU).
                if c == DType::F64 {
                    format!("{f}_f64(x0)")
                } else {
                    format!("C({f}_f32(f32(x0)))")
                }
            }
            UnaryOp::LogicalNot if k == Kind::Bool => "!x0".into(),
            UnaryOp::LogicalNot => "select(C(0), C(1), x0 == C(0))".into(),
        };
        Ok(e)
    }
}

/// The GPU buffer of an operand, or a device error for a host array.
fn on_gpu<'a>(op: &'static str, a: &'a Array) -> Result<&'a gpu::GpuBuffer> {
    a.gpu_buffer().ok_or_else(|| Error::Device {
        op,
        reason: format!(
            "an operand of shape {} is not on a GPU",
            crate::error::fmt_shape(a.shape())
        ),
    })
}

/// The GPU device of an array, if it is on one.
pub(crate) fn device_of(a: &Array) -> Option<GpuDevice> {
    a.gpu_buffer().map(|b| b.device().clone())
}

/// Small constants (weak scalars) uploaded once per device and value.
/// Key of a cached constant: device id, dtype and the value's bytes.
type ConstantKey = (u64, DType, Vec<u8>);

fn constant(dev: &GpuDevice, a: &Array) -> Result<Array> {
    static CACHE: OnceLock<Mutex<HashMap<ConstantKey, Array>>> = OnceLock::new();
    let guard = a.cpu_read("constant")?;
    let key = (
        dev.id(),
        a.dtype(),
        guard.le_bytes(a.element_offset(), 1).to_vec(),
    );
    drop(guard);
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(c) = map.get(&key) {
        return Ok(c.clone());
    }
    if map.len() >= 1024 {
        map.clear();
    }
    let c = a.to_device(&crate::Device::Gpu(dev.clone()))?;
    map.insert(key, c.clone());
    Ok(c)
}

/// Prepares an input of a kernel writing `out`: CPU scalars go to the
/// device. An input on `out`'s buffer that the kernel can read through the
/// output's own binding is used as it is: `out` itself element for element
/// (`x += y`, `x.unary_into(Abs, &x)`), or elements provably disjoint from
/// an unpacked `out` (`x[:4] += x[4:]`). Any other input sharing `out`'s
/// buffer ([`gpu::needs_detach`]: `guard_overlap` has already copied the
/// overlapping ones, so these are disjoint elements of a packed dtype or of
/// a buffer too large for one binding) is copied first, since wgpu cannot
/// bind one buffer for reading and writing in one dispatch; the copy is
/// recorded as an implicit copy, so the GPU layer never copies behind the
/// ledger's back.
fn prepare_input(op: &'static str, dev: &GpuDevice, out: &Array, a: &Array) -> Result<Array> {
    let Some(in_buf) = a.gpu_buffer() else {
        return constant(dev, a);
    };
    let detach = a.buffer_id() == out.buffer_id()
        && match out.gpu_buffer() {
            Some(out_buf) => {
                let in_strides = a.layout().broadcast_strides(out.shape());
                let iv = GpuView {
                    buf: in_buf,
                    dtype: a.dtype(),
                    strides: &in_strides,
                    offset: a.element_offset(),
                };
                let ov = GpuView {
                    buf: out_buf,
                    dtype: out.dtype(),
                    strides: out.layout().strides(),
                    offset: out.element_offset(),
                };
                gpu::needs_detach(&ov, &iv, out.shape())
            }
            None => true,
        };
    if detach {
        return a.copy_implicit(
            op,
            "wgpu cannot bind one buffer as input and output of a dispatch",
        );
    }
    Ok(a.clone())
}

/// Axes ordered so that the output's strides decrease: a fresh (dense)
/// output is then C-contiguous over the permuted shape, the fastest case.
/// (The GPU layer puts packed outputs in this order itself, and writes them
/// in any layout.)
fn out_perm(out: &Layout) -> Vec<usize> {
    let mut perm: Vec<usize> = (0..out.ndim()).collect();
    perm.sort_by_key(|&d| std::cmp::Reverse(out.strides()[d].unsigned_abs()));
    perm
}

fn permuted<T: Copy>(v: &[T], perm: &[usize]) -> Vec<T> {
    perm.iter().map(|&d| v[d]).collect()
}

/// Runs `expr` elementwise over `inputs` (broadcast to `out`) into `out`.
pub(crate) fn elementwise(
    name: &'static str,
    expr: &str,
    compute: DType,
    out: &Array,
    inputs: &[&Array],
) -> Result<()> {
    elementwise_with(name, expr, "", compute, out, inputs)
}

/// [`elementwise`] with WGSL `functions` that `expr` calls
/// ([`gpu::ElementwiseOp::functions`]).
pub(crate) fn elementwise_with(
    name: &'static str,
    expr: &str,
    functions: &str,
    compute: DType,
    out: &Array,
    inputs: &[&Array],
) -> Result<()> {
    let dev = device_of(out).ok_or_else(|| Error::Device {
        op: name,
        reason: "the output is not on a GPU".into(),
    })?;
    let inputs: Vec<Array> = inputs
        .iter()
        .map(|a| prepare_input(name, &dev, out, a))
        .collect::<Result<_>>()?;
    let perm = out_perm(out.layout());
    let shape = permuted(out.shape(), &perm);
    let out_strides = permuted(out.layout().strides(), &perm);
    let in_strides: Vec<Vec<isize>> = inputs
        .iter()
        .map(|a| permuted(&a.layout().broadcast_strides(out.shape()), &perm))
        .collect();
    let out_buf = on_gpu(name, out)?;
    let mut views = Vec::with_capacity(inputs.len());
    for (a, s) in inputs.iter().zip(&in_strides) {
        let buf = on_gpu(name, a)?;
        views.push(GpuView {
            buf,
            dtype: a.dtype(),
            strides: s,
            offset: a.element_offset(),
        });
    }
    let op = gpu::ElementwiseOp {
        name,
        expr,
        functions,
        compute,
        out: out.dtype(),
    };
    let ov = GpuView {
        buf: out_buf,
        dtype: out.dtype(),
        strides: &out_strides,
        offset: out.element_offset(),
    };
    gpu::elementwise(&dev, &op, &shape, &ov, &views)
}

/// `out[...] = src` (broadcast, cast) on the GPU.
pub(crate) fn copy(out: &Array, src: &Array) -> Result<()> {
    elementwise("copy", "x0", out.dtype(), out, &[src])
}

/// `out[...] = value` on the GPU.
pub(crate) fn fill(out: &Array, value: &Array) -> Result<()> {
    elementwise("fill", "x0", out.dtype(), out, &[value])
}

/// A binary ufunc on the GPU.
pub(crate) fn binary(
    op: BinaryOp,
    loop_dtype: DType,
    a: &Array,
    b: &Array,
    out: &Array,
) -> Result<()> {
    let expr = half_rounded(op.wgsl_for(loop_dtype)?, loop_dtype, out.dtype());
    elementwise(op.name(), &expr, loop_dtype, out, &[a, b])
}

/// `expr` rounded to bfloat16 when a bfloat16 loop (computed in f32)
/// writes a wider `out` dtype: NumPy's loop rounds to its own dtype first
/// (float16 loops compute in f16 on the GPU and need nothing).
pub(crate) fn half_rounded(expr: String, loop_dtype: DType, out: DType) -> String {
    if loop_dtype == DType::BF16 && out != DType::BF16 && out.is_float() {
        format!("round_bf16({expr})")
    } else {
        expr
    }
}

/// A unary ufunc on the GPU.
pub(crate) fn unary(op: UnaryOp, loop_dtype: DType, a: &Array, out: &Array) -> Result<()> {
    let expr = half_rounded(op.wgsl_for(loop_dtype)?, loop_dtype, out.dtype());
    elementwise(op.name(), &expr, loop_dtype, out, &[a])
}

/// The WGSL of `where(x0, x1, x2)` computing in `c`, the condition `x0`
/// converted to `c` (0 or 1) like the other inputs.
pub(crate) fn where_wgsl(c: DType) -> &'static str {
    if c == DType::Bool {
        "select(x2, x1, x0)"
    } else {
        "select(x2, x1, x0 != C(0))"
    }
}

/// The WGSL of `clip(x0, x1, x2)` computing in `c`: NaN-propagating
/// `minimum(maximum(x0, x1), x2)`.
pub(crate) fn clip_wgsl(c: DType) -> String {
    nan_min(&nan_max("x0", "x1", c), "x2", c)
}

/// `where(cond, x, y)` on the GPU; `cond` must be bool.
pub(crate) fn select(cond: &Array, x: &Array, y: &Array, out: &Array) -> Result<()> {
    let c = out.dtype();
    elementwise("where", where_wgsl(c), c, out, &[cond, x, y])
}

/// `clip(a, lo, hi)` on the GPU.
pub(crate) fn clip(a: &Array, lo: &Array, hi: &Array, out: &Array) -> Result<()> {
    let c = out.dtype();
    elementwise("clip", &clip_wgsl(c), c, out, &[a, lo, hi])
}

/// A reduction on the GPU: `out` (strides over the kept axes) receives the
/// reduction of `input` over the axes described by `red_shape`/`red_strides`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn reduce(
    op: ReduceOp,
    input: &Array,
    kept_shape: &[usize],
    in_kept: &[isize],
    red_shape: &[usize],
    red_strides: &[isize],
    out: &Array,
    out_strides: &[isize],
) -> Result<()> {
    let name = op.name();
    let dev = device_of(input).ok_or_else(|| Error::Device {
        op: name,
        reason: "the input is not on a GPU".into(),
    })?;
    let dt = input.dtype();
    let sum_acc = match dt.kind() {
        Kind::Bool | Kind::Int => DType::I64,
        Kind::UInt => DType::U64,
        Kind::Float if dt == DType::F64 => DType::F64,
        Kind::Float => DType::F32,
    };
    let (gop, acc) = match op {
        ReduceOp::Sum => (gpu::ReduceOp::Sum, sum_acc),
        ReduceOp::Prod => (gpu::ReduceOp::Prod, sum_acc),
        ReduceOp::Mean => (
            gpu::ReduceOp::Sum,
            if dt.is_float() { sum_acc } else { DType::F64 },
        ),
        ReduceOp::Min => (gpu::ReduceOp::Min, dt),
        ReduceOp::Max => (gpu::ReduceOp::Max, dt),
        ReduceOp::ArgMin => (gpu::ReduceOp::ArgMin, dt),
        ReduceOp::ArgMax => (gpu::ReduceOp::ArgMax, dt),
        ReduceOp::Any => (gpu::ReduceOp::Any, DType::Bool),
        ReduceOp::All => (gpu::ReduceOp::All, DType::Bool),
    };
    // Order the kept axes so the output is C-contiguous in that order.
    let mut perm: Vec<usize> = (0..kept_shape.len()).collect();
    perm.sort_by_key(|&d| std::cmp::Reverse(out_strides[d].unsigned_abs()));
    let kshape = permuted(kept_shape, &perm);
    let kin = permuted(in_kept, &perm);
    let kout = permuted(out_strides, &perm);
    let in_buf = on_gpu(name, input)?;
    let iv = GpuView {
        buf: in_buf,
        dtype: dt,
        strides: &[],
        offset: input.element_offset(),
    };
    // `mean` sums into a temporary of the accumulator dtype, then divides.
    let count: usize = red_shape.iter().product();
    if op == ReduceOp::Mean && count == 0 {
        // 0/0 is not guaranteed to be NaN in WGSL; NumPy's mean of
        // nothing is NaN.
        return out.fill(f64::NAN);
    }
    let target = if op == ReduceOp::Mean {
        Array::alloc_on(
            &crate::Device::Gpu(dev.clone()),
            name,
            out.layout().clone(),
            acc,
        )?
    } else {
        out.clone()
    };
    let tv = GpuView {
        buf: on_gpu(name, &target)?,
        dtype: target.dtype(),
        strides: &kout,
        offset: target.element_offset(),
    };
    gpu::reduce(
        &dev,
        gop,
        acc,
        &iv,
        &kshape,
        &kin,
        red_shape,
        red_strides,
        &tv,
    )?;
    if op == ReduceOp::Mean {
        let expr = format!("x0 / C({count}.0)");
        elementwise("mean", &expr, acc, out, &[&target])?;
    }
    Ok(())
}
