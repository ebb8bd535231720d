//! Tests of the GPU layer. The shader tests need no device; the others run
//! on any adapter (lavapipe included), skip with a message when there is
//! none, and fail instead when `STRIDER_REQUIRE_GPU=1`.

use std::collections::HashSet;

use half::{bf16, f16};

use super::codegen;
use super::kernels::{ElementwiseSpec, ReduceInput, ReduceOutput, ReduceSpec};
use super::*;
use crate::{DType, Element};

// ---------------------------------------------------------------------------
// Every shader variant, validated by naga without a device
// ---------------------------------------------------------------------------

fn validate(name: &str, src: &str) -> std::result::Result<(), String> {
    let module = naga::front::wgsl::parse_str(src)
        .map_err(|e| format!("{name}: parse error:\n{}", e.emit_to_string(src)))?;
    let caps = naga::valid::Capabilities::default()
        | naga::valid::Capabilities::SHADER_FLOAT16
        | naga::valid::Capabilities::FLOAT64
        | naga::valid::Capabilities::SHADER_INT64;
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), caps)
        .validate(&module)
        .map_err(|e| format!("{name}: invalid:\n{}\n{src}", e.emit_to_string(src)))?;
    Ok(())
}

/// Typical expressions of each arity for a compute dtype.
fn sample_exprs(compute: DType, nin: usize) -> Vec<&'static str> {
    let boolean = compute == DType::Bool;
    match (nin, boolean) {
        (1, true) => vec!["x0", "!x0"],
        (1, false) => vec!["x0", "x0 * x0"],
        (2, true) => vec!["x0 || x1", "x0 && x1", "x0 != x1"],
        (2, false) => vec!["x0 + x1", "max(x0, x1)", "select(C(0), C(1), x0 < x1)"],
        (3, true) => vec!["select(x2, x1, x0)"],
        (_, _) => vec!["select(x2, x1, x0 > x1)", "x0 * x1 + x2"],
    }
}

/// Steps of a contiguous variant: dense output, inputs dense or scalar
/// (varied with `salt`).
fn contig_steps(strided: bool, nin: usize, salt: usize) -> Vec<u32> {
    if strided {
        return vec![1; nin + 1];
    }
    (0..=nin)
        .map(|k| if k > 0 && (k + salt) % 2 == 0 { 0 } else { 1 })
        .collect()
}

/// Every elementwise spec family the code generates: each dtype through each
/// arity and variant, and every (input, output) cast pair.
fn elementwise_specs() -> Vec<ElementwiseSpec> {
    let mut specs = Vec::new();
    for strided in [false, true] {
        for dt in DType::ALL {
            for nin in 1..=3 {
                for expr in sample_exprs(dt, nin) {
                    let spec = ElementwiseSpec {
                        name: "op".into(),
                        expr: expr.into(),
                        functions: String::new(),
                        inputs: vec![dt; nin],
                        compute: dt,
                        out: dt,
                        strided,
                        scatter: false,
                        wide: false,
                        steps: contig_steps(strided, nin, expr.len()),
                        aliased: vec![],
                    };
                    // The in-place variants: input 0, the last input, or
                    // every input read through the output's binding.
                    let mut aliasings = vec![vec![0], (0..nin).collect::<Vec<_>>()];
                    if nin > 1 {
                        aliasings.push(vec![nin - 1]);
                    }
                    for aliased in aliasings {
                        let mut steps = spec.steps.clone();
                        for &k in &aliased {
                            steps[k + 1] = steps[0]; // the output's own layout
                        }
                        specs.push(ElementwiseSpec {
                            steps,
                            aliased,
                            ..spec.clone()
                        });
                    }
                    specs.push(spec);
                }
            }
            for to in DType::ALL {
                // A cast (copy/astype), and a computation in one dtype
                // stored as another.
                specs.push(ElementwiseSpec {
                    name: "copy".into(),
                    expr: "x0".into(),
                    functions: String::new(),
                    inputs: vec![dt],
                    compute: to,
                    out: to,
                    strided,
                    scatter: false,
                    wide: false,
                    steps: vec![1, 1],
                    aliased: vec![],
                });
                specs.push(ElementwiseSpec {
                    name: "mixed".into(),
                    expr: sample_exprs(dt, 2)[0].into(),
                    functions: String::new(),
                    inputs: vec![to, DType::F32],
                    compute: dt,
                    out: to,
                    strided,
                    scatter: false,
                    wide: false,
                    steps: vec![1, 0, 1],
                    aliased: vec![],
                });
                // A mixed-dtype op in place: input 0 is the output.
                specs.push(ElementwiseSpec {
                    name: "mixed_inplace".into(),
                    expr: sample_exprs(dt, 2)[0].into(),
                    functions: String::new(),
                    inputs: vec![to, DType::F32],
                    compute: dt,
                    out: to,
                    strided,
                    scatter: false,
                    wide: false,
                    steps: vec![1, 1, 0],
                    aliased: vec![0],
                });
            }
        }
    }
    // Packed outputs in any layout: the scatter variant of every strided
    // spec with a packed output (arities, casts, aliasing).
    let scattered: Vec<ElementwiseSpec> = specs
        .iter()
        .filter(|s| s.strided && codegen::is_packed(s.out))
        .map(|s| ElementwiseSpec {
            scatter: true,
            wide: false,
            ..s.clone()
        })
        .collect();
    specs.extend(scattered);
    // The wide variant of every contiguous spec without packed dtypes.
    let wide: Vec<ElementwiseSpec> = specs
        .iter()
        .filter(|s| {
            !s.strided
                && !s.scatter
                && !codegen::is_packed(s.out)
                && !s.inputs.iter().any(|&d| codegen::is_packed(d))
        })
        .map(|s| ElementwiseSpec {
            wide: true,
            ..s.clone()
        })
        .collect();
    specs.extend(wide);
    // The library functions, in every variant of their dtypes.
    for strided in [false, true] {
        for (expr, dtypes) in [
            (
                "ipow(x0, x1)",
                &[DType::I32, DType::U32, DType::I64, DType::U64, DType::U8][..],
            ),
            ("exp_f64(x0) + log_f64(x1)", &[DType::F64][..]),
            (
                "sin_f64(x0) * cos_f64(x1) + tanh_f64(x0)",
                &[DType::F64][..],
            ),
            ("pow_f64(x0, x1)", &[DType::F64][..]),
            (
                "C(floor_divide_f32(f32(x0), f32(x1))) + C(remainder_f32(f32(x0), f32(x1)))",
                &[DType::F32, DType::F16, DType::BF16][..],
            ),
            (
                "floor_divide_f64(x0, x1) * remainder_f64(x0, x1)",
                &[DType::F64][..],
            ),
        ] {
            for &dt in dtypes {
                let spec = ElementwiseSpec {
                    name: "lib".into(),
                    expr: expr.into(),
                    functions: String::new(),
                    inputs: vec![dt, dt],
                    compute: dt,
                    out: dt,
                    strided,
                    scatter: false,
                    wide: false,
                    steps: vec![1, 1, 0],
                    aliased: vec![],
                };
                if !strided && !codegen::is_packed(dt) {
                    specs.push(ElementwiseSpec {
                        wide: true,
                        ..spec.clone()
                    });
                }
                specs.push(spec);
            }
        }
    }
    specs
}

fn reduce_specs() -> Vec<ReduceSpec> {
    let unpacked: Vec<DType> = DType::ALL
        .into_iter()
        .filter(|d| !codegen::is_packed(*d))
        .collect();
    let mut specs = Vec::new();
    for op in ReduceOp::ALL {
        for acc in DType::ALL.into_iter().filter(|a| op.accepts_acc(*a)) {
            let finals: Vec<DType> = if op.is_arg() {
                vec![DType::I64, DType::I32]
            } else {
                unpacked.clone()
            };
            let inputs = DType::ALL
                .into_iter()
                .map(ReduceInput::Plain)
                .chain([ReduceInput::Pairs]);
            for input in inputs {
                let outputs = finals
                    .iter()
                    .map(|d| ReduceOutput::Final(*d))
                    .chain([ReduceOutput::Partial]);
                for output in outputs {
                    for group in [false, true] {
                        specs.push(ReduceSpec {
                            op,
                            acc,
                            input,
                            output,
                            group,
                        });
                    }
                }
            }
        }
    }
    specs
}

#[test]
fn every_gather_and_scatter_variant_validates() {
    let mut count = 0;
    for dt in DType::ALL {
        let src = super::indexing::gather_source(dt).unwrap();
        validate(&format!("gather_{dt}"), &src).unwrap();
        count += 1;
        for from in DType::ALL {
            let src = super::indexing::scatter_source(dt, from).unwrap();
            validate(&format!("scatter_{from}_to_{dt}"), &src).unwrap();
            count += 1;
        }
    }
    assert_eq!(count, DType::ALL.len() * (DType::ALL.len() + 1));
}

#[test]
fn every_elementwise_variant_validates() {
    let specs = elementwise_specs();
    let mut names = HashSet::new();
    for spec in &specs {
        let name = spec.key().name();
        let src = spec.source().unwrap();
        assert!(!src.contains("{{"), "{name}: leftover placeholder");
        validate(&name, &src).unwrap();
        names.insert((name, spec.expr.clone()));
    }
    eprintln!("{} elementwise shaders validated", names.len());
    assert!(names.len() > 500, "{} variants", names.len());
}

#[test]
fn every_reduce_variant_validates() {
    let mut seen = HashSet::new();
    let mut n = 0;
    for spec in reduce_specs() {
        let name = spec.key().name();
        let src = spec.source().unwrap();
        // `group` and `thread` share a source and differ in entry point.
        if seen.insert(src.clone()) {
            validate(&name, &src).unwrap();
            n += 1;
        }
    }
    eprintln!("{n} distinct reduce shaders validated");
    assert!(n > 1000, "{n} distinct reduce shaders");
}

#[test]
fn aliased_inputs_have_no_binding_and_read_the_output() {
    for out in [DType::F32, DType::U8, DType::Bool, DType::BF16] {
        let spec = ElementwiseSpec {
            name: "add".into(),
            expr: sample_exprs(out, 2)[0].into(),
            functions: String::new(),
            inputs: vec![out, out],
            compute: out,
            out,
            strided: true,
            scatter: false,
            wide: false,
            steps: vec![1, 1, 1],
            aliased: vec![0],
        };
        let src = spec.source().unwrap();
        let name = spec.key().name();
        validate(&name, &src).unwrap();
        assert!(!src.contains("var<storage, read> in0"), "{name}:\n{src}");
        assert!(src.contains("@binding(3) var<storage, read> in1"), "{name}");
        assert!(src.contains("out0[(u32(idx[1]))") || src.contains("out0[u32(idx[1])]"));
        assert_eq!(
            spec.slots(),
            vec![
                (1, super::launch::Access::ReadWrite),
                (3, super::launch::Access::Read)
            ],
            "{name}"
        );
    }
    // An aliased input must have the output's dtype (it is the same buffer),
    // and must exist.
    let bad = ElementwiseSpec {
        name: "add".into(),
        expr: "x0 + x1".into(),
        functions: String::new(),
        inputs: vec![DType::I32, DType::F32],
        compute: DType::F32,
        out: DType::F32,
        strided: false,
        scatter: false,
        wide: false,
        steps: vec![1, 1, 1],
        aliased: vec![0],
    };
    let e = bad.source().unwrap_err();
    assert!(e.to_string().contains("aliased"), "{e}");
    let bad = ElementwiseSpec {
        inputs: vec![DType::F32, DType::F32],
        aliased: vec![2],
        ..bad
    };
    assert!(bad.source().is_err());
}

#[test]
fn kernel_names_follow_op_dtype_variant() {
    let spec = ElementwiseSpec {
        name: "add".into(),
        expr: "x0 + x1".into(),
        functions: String::new(),
        inputs: vec![DType::F32, DType::F32],
        compute: DType::F32,
        out: DType::F32,
        strided: false,
        scatter: false,
        wide: false,
        steps: vec![1, 1, 1],
        aliased: vec![],
    };
    assert_eq!(spec.key().name(), "add_f32_contig");
    let scalar = ElementwiseSpec {
        steps: vec![1, 1, 0],
        ..spec.clone()
    };
    assert_eq!(scalar.key().name(), "add_f32_contig_b1");
    // In place: `x += 1` reads input 0 through the output's binding.
    let inplace = ElementwiseSpec {
        aliased: vec![0],
        ..scalar.clone()
    };
    assert_eq!(inplace.key().name(), "add_f32_contig_b1_a0");
    assert_ne!(
        inplace.key(),
        scalar.key(),
        "aliasing is part of the cache key"
    );
    let both = ElementwiseSpec {
        strided: true,
        aliased: vec![0, 1],
        ..spec.clone()
    };
    assert_eq!(both.key().name(), "add_f32_strided_a0_a1");
    let spec = ElementwiseSpec {
        inputs: vec![DType::U8, DType::I32],
        compute: DType::I32,
        out: DType::I32,
        strided: true,
        ..spec
    };
    assert_eq!(spec.key().name(), "add_u8-i32-i32-i32_strided");
    let r = ReduceSpec {
        op: ReduceOp::ArgMax,
        acc: DType::F32,
        input: ReduceInput::Pairs,
        output: ReduceOutput::Final(DType::I64),
        group: true,
    };
    assert_eq!(r.key().name(), "argmax_f32-i64_group_pairs_final");
}

// ---------------------------------------------------------------------------
// Helpers for device tests
// ---------------------------------------------------------------------------

/// The shared test device, or `None` (with a message) when there is no
/// adapter. Panics when `STRIDER_REQUIRE_GPU=1` and there is none.
pub(crate) fn gpu() -> Option<GpuDevice> {
    match GpuDevice::default_device() {
        Ok(d) => Some(d),
        Err(e) => {
            if std::env::var("STRIDER_REQUIRE_GPU").as_deref() == Ok("1") {
                panic!("STRIDER_REQUIRE_GPU=1 but no GPU adapter is available: {e}");
            }
            eprintln!(
                "skipping GPU test: {e}\n  (install mesa-vulkan-drivers for the lavapipe \
                 software adapter; set STRIDER_REQUIRE_GPU=1 to make this a failure)"
            );
            None
        }
    }
}

/// A fresh device with options (for tests that count submissions or need
/// artificial limits).
fn gpu_with(opts: GpuOptions) -> Option<GpuDevice> {
    gpu()?;
    Some(GpuDevice::new(opts).expect("second device on the same adapter"))
}

fn encode(dt: DType, v: f64) -> Vec<u8> {
    match dt {
        DType::Bool => vec![(v != 0.0) as u8],
        DType::I8 => i8::from_f64(v).to_le_bytes().to_vec(),
        DType::U8 => vec![u8::from_f64(v)],
        DType::I16 => i16::from_f64(v).to_le_bytes().to_vec(),
        DType::U16 => u16::from_f64(v).to_le_bytes().to_vec(),
        DType::I32 => i32::from_f64(v).to_le_bytes().to_vec(),
        DType::U32 => u32::from_f64(v).to_le_bytes().to_vec(),
        DType::I64 => i64::from_f64(v).to_le_bytes().to_vec(),
        DType::U64 => u64::from_f64(v).to_le_bytes().to_vec(),
        DType::F16 => f16::from_f64(v).to_le_bytes().to_vec(),
        DType::BF16 => bf16::from_f64(v).to_le_bytes().to_vec(),
        DType::F32 => (v as f32).to_le_bytes().to_vec(),
        DType::F64 => v.to_le_bytes().to_vec(),
    }
}

fn decode(dt: DType, b: &[u8]) -> f64 {
    match dt {
        DType::Bool => (b[0] != 0) as u8 as f64,
        DType::I8 => b[0] as i8 as f64,
        DType::U8 => b[0] as f64,
        DType::I16 => i16::from_le_bytes(b[..2].try_into().unwrap()) as f64,
        DType::U16 => u16::from_le_bytes(b[..2].try_into().unwrap()) as f64,
        DType::I32 => i32::from_le_bytes(b[..4].try_into().unwrap()) as f64,
        DType::U32 => u32::from_le_bytes(b[..4].try_into().unwrap()) as f64,
        DType::I64 => i64::from_le_bytes(b[..8].try_into().unwrap()) as f64,
        DType::U64 => u64::from_le_bytes(b[..8].try_into().unwrap()) as f64,
        DType::F16 => f16::from_le_bytes(b[..2].try_into().unwrap()).to_f64(),
        DType::BF16 => bf16::from_le_bytes(b[..2].try_into().unwrap()).to_f64(),
        DType::F32 => f32::from_le_bytes(b[..4].try_into().unwrap()) as f64,
        DType::F64 => f64::from_le_bytes(b[..8].try_into().unwrap()),
    }
}

/// Round a value to what `dt` holds (NumPy's unsafe cast).
fn cast(dt: DType, v: f64) -> f64 {
    decode(dt, &encode(dt, v))
}

fn bytes_of(dt: DType, vals: &[f64]) -> Vec<u8> {
    vals.iter().flat_map(|&v| encode(dt, v)).collect()
}

fn values_of(dt: DType, bytes: &[u8]) -> Vec<f64> {
    bytes.chunks(dt.itemsize()).map(|c| decode(dt, c)).collect()
}

/// A strided view over host data, mirrored on the device.
struct HostView {
    dtype: DType,
    data: Vec<f64>,
    strides: Vec<isize>,
    offset: usize,
}

impl HostView {
    fn at(&self, idx: &[usize]) -> f64 {
        let e = self.offset as isize
            + idx
                .iter()
                .zip(&self.strides)
                .map(|(&i, &s)| i as isize * s)
                .sum::<isize>();
        self.data[e as usize]
    }
}

fn multi_indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let n: usize = shape.iter().product();
    (0..n)
        .map(|mut i| {
            let mut idx = vec![0; shape.len()];
            for d in (0..shape.len()).rev() {
                idx[d] = i % shape[d];
                i /= shape[d];
            }
            idx
        })
        .collect()
}

/// Deterministic test values for a dtype: small integers, halves for floats,
/// wide values for 64-bit integers.
fn sample(dt: DType, n: usize, seed: u64) -> Vec<f64> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (x >> 33) as i64;
            match dt {
                DType::Bool => (r % 2) as f64,
                DType::U8 => (r % 256) as f64,
                DType::U32 => (r % 100_000) as f64,
                DType::I32 => (r % 2001 - 1000) as f64,
                DType::I64 => ((r % 2001 - 1000) * 5_000_000_000) as f64,
                DType::U64 => ((r % 1000) * 5_000_000_000) as f64,
                _ => (r % 121 - 60) as f64 * 0.5,
            }
        })
        .collect()
}

struct BinOp {
    name: &'static str,
    expr: &'static str,
    bool_expr: &'static str,
    f: fn(f64, f64) -> f64,
    fi: fn(i128, i128) -> i128,
    fb: fn(bool, bool) -> bool,
}

/// An exact integer result wrapped to `dt`, as NumPy's integer ops do.
fn wrap_int(dt: DType, v: i128) -> f64 {
    match dt {
        DType::U8 => v as u8 as f64,
        DType::I32 => v as i32 as f64,
        DType::U32 => v as u32 as f64,
        DType::I64 => v as i64 as f64,
        DType::U64 => v as u64 as f64,
        _ => unreachable!(),
    }
}

const BINOPS: [BinOp; 3] = [
    BinOp {
        name: "add",
        expr: "x0 + x1",
        bool_expr: "x0 || x1",
        f: |a, b| a + b,
        fi: |a, b| a + b,
        fb: |a, b| a || b,
    },
    BinOp {
        name: "multiply",
        expr: "x0 * x1",
        bool_expr: "x0 && x1",
        f: |a, b| a * b,
        fi: |a, b| a * b,
        fb: |a, b| a && b,
    },
    BinOp {
        name: "maximum",
        expr: "max(x0, x1)",
        bool_expr: "x0 || x1",
        f: |a, b| a.max(b),
        fi: |a, b| a.max(b),
        fb: |a, b| a || b,
    },
];

/// Run `op` on the device over `shape` with the given views, and compare
/// every output element (and the untouched rest of the output buffer) with
/// the CPU reference.
fn check_binary(
    dev: &GpuDevice,
    op: &BinOp,
    dt: DType,
    shape: &[usize],
    a: &HostView,
    b: &HostView,
    out: &HostView,
) {
    let ga = upload(dev, &bytes_of(dt, &a.data)).unwrap();
    let gb = upload(dev, &bytes_of(dt, &b.data)).unwrap();
    let gout = upload(dev, &bytes_of(dt, &out.data)).unwrap();
    let expr = if dt == DType::Bool {
        op.bool_expr
    } else {
        op.expr
    };
    elementwise(
        dev,
        &ElementwiseOp {
            name: op.name,
            expr,
            functions: "",
            compute: dt,
            out: dt,
        },
        shape,
        &GpuView {
            buf: &gout,
            dtype: dt,
            strides: &out.strides,
            offset: out.offset,
        },
        &[
            GpuView {
                buf: &ga,
                dtype: dt,
                strides: &a.strides,
                offset: a.offset,
            },
            GpuView {
                buf: &gb,
                dtype: dt,
                strides: &b.strides,
                offset: b.offset,
            },
        ],
    )
    .unwrap_or_else(|e| panic!("{} {dt}: {e}", op.name));
    let got = values_of(dt, &download(&gout, 0, gout.size()).unwrap());
    let mut want = out.data.clone();
    for idx in multi_indices(shape) {
        let (x, y) = (a.at(&idx), b.at(&idx));
        let r = if dt == DType::Bool {
            (op.fb)(x != 0.0, y != 0.0) as u8 as f64
        } else if dt.is_integer() {
            wrap_int(dt, (op.fi)(x as i128, y as i128))
        } else {
            cast(dt, (op.f)(x, y))
        };
        let e = out.offset as isize
            + idx
                .iter()
                .zip(&out.strides)
                .map(|(&i, &s)| i as isize * s)
                .sum::<isize>();
        want[e as usize] = r;
    }
    assert_eq!(got, want, "{} {dt} over {shape:?}", op.name);
}

const TEST_DTYPES: [DType; 10] = [
    DType::F32,
    DType::I32,
    DType::U32,
    DType::F16,
    DType::F64,
    DType::I64,
    DType::U8,
    DType::Bool,
    DType::BF16,
    DType::U64,
];

// ---------------------------------------------------------------------------
// Device tests: context and buffers
// ---------------------------------------------------------------------------

#[test]
fn adapter_info_and_features() {
    let Some(dev) = gpu() else { return };
    let info = dev.adapter_info();
    eprintln!(
        "adapter: {info:?}; limits: max_binding {} B",
        dev.max_binding_size()
    );
    assert!(!info.name.is_empty());
    assert_eq!(info.is_software, info.device_type == "Cpu");
    assert!(format!("{dev:?}").contains(&info.name));
    assert_eq!(dev, GpuDevice::default_device().unwrap());
    for dt in [
        DType::F32,
        DType::I32,
        DType::U32,
        DType::U8,
        DType::Bool,
        DType::BF16,
    ] {
        assert!(dev.supports(dt));
    }
    // The device has the adapter's real limits, not wgpu's defaults.
    assert!(dev.limits().max_storage_buffer_binding_size >= 128 << 20);
}

#[test]
fn adapter_name_that_matches_nothing_is_a_clear_error() {
    if gpu().is_none() {
        return;
    }
    let err = GpuDevice::new(GpuOptions {
        adapter_name: Some("no such adapter 1234".into()),
        ..GpuOptions::default()
    })
    .unwrap_err();
    let msg = err.to_string();
    assert_eq!(err.kind(), crate::ErrorKind::Device);
    assert!(msg.contains("no such adapter 1234"), "{msg}");
    assert!(
        msg.contains("mesa-vulkan-drivers") && msg.contains("Device::Cpu"),
        "{msg}"
    );
}

#[test]
fn a_dtype_the_device_lacks_is_a_dtype_error() {
    let Some(dev) = gpu_with(GpuOptions {
        features: wgpu::Features::empty(),
        ..GpuOptions::default()
    }) else {
        return;
    };
    assert!(!dev.supports(DType::F16) && !dev.supports(DType::F64) && !dev.supports(DType::I64));
    let buf = GpuBuffer::zeros(&dev, 64).unwrap();
    let v = |dtype| GpuView {
        buf: &buf,
        dtype,
        strides: &[1],
        offset: 0,
    };
    for dt in [DType::F16, DType::F64, DType::I64, DType::U64] {
        let out = GpuBuffer::empty(&dev, 64).unwrap();
        let e = copy(
            &dev,
            &[4],
            &GpuView {
                buf: &out,
                dtype: DType::F32,
                strides: &[1],
                offset: 0,
            },
            &v(dt),
        )
        .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::DType, "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains(dt.name()) && msg.contains(&dev.adapter_info().name),
            "{msg}"
        );
    }
    // argmax into int64 without SHADER_INT64: the message points to int32.
    let out = GpuBuffer::empty(&dev, 8).unwrap();
    let e = reduce(
        &dev,
        ReduceOp::ArgMax,
        DType::F32,
        &v(DType::F32),
        &[],
        &[],
        &[4],
        &[1],
        &GpuView {
            buf: &out,
            dtype: DType::I64,
            strides: &[],
            offset: 0,
        },
    )
    .unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::DType, "{e}");
    // ... and int32 works.
    reduce(
        &dev,
        ReduceOp::ArgMax,
        DType::F32,
        &v(DType::F32),
        &[],
        &[],
        &[4],
        &[1],
        &GpuView {
            buf: &out,
            dtype: DType::I32,
            strides: &[],
            offset: 0,
        },
    )
    .unwrap();
    assert_eq!(download(&out, 0, 4).unwrap(), 0i32.to_le_bytes());
}

#[test]
fn a_kernel_that_fails_to_build_is_a_device_error() {
    let Some(dev) = gpu() else { return };
    let buf = GpuBuffer::zeros(&dev, 64).unwrap();
    let out = GpuBuffer::empty(&dev, 64).unwrap();
    let v = |b| GpuView {
        buf: b,
        dtype: DType::F32,
        strides: &[1],
        offset: 0,
    };
    let bad = ElementwiseOp {
        name: "broken",
        expr: "x0 +* nonsense(",
        functions: "",
        compute: DType::F32,
        out: DType::F32,
    };
    let e = elementwise(&dev, &bad, &[4], &v(&out), &[v(&buf)]).unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::Device, "{e}");
    assert!(e.to_string().contains("broken_f32_wide"), "{e}");
    // The device keeps working.
    copy(&dev, &[4], &v(&out), &v(&buf)).unwrap();
    assert_eq!(download(&out, 0, 16).unwrap(), vec![0; 16]);
}

#[test]
fn reduce_into_a_strided_output_view() {
    let Some(dev) = gpu() else { return };
    // Sum a (3, 4) i32 array over axis 0 into every other element of a
    // buffer, starting at element 1, with the input read transposed.
    let data: Vec<i32> = (0..12).collect();
    let a = upload(&dev, bytemuck::cast_slice(&data)).unwrap();
    let out = upload(&dev, bytemuck::cast_slice(&[-1i32; 9])).unwrap();
    reduce(
        &dev,
        ReduceOp::Sum,
        DType::I32,
        &GpuView {
            buf: &a,
            dtype: DType::I32,
            strides: &[],
            offset: 0,
        },
        &[4],
        &[1],
        &[3],
        &[4],
        &GpuView {
            buf: &out,
            dtype: DType::I32,
            strides: &[2],
            offset: 1,
        },
    )
    .unwrap();
    let got: Vec<i32> = bytemuck::cast_slice(&download(&out, 0, 36).unwrap()).to_vec();
    assert_eq!(got, [-1, 12, -1, 15, -1, 18, -1, 21, -1]);
}

#[test]
fn reduce_into_a_strided_packed_output_view() {
    let Some(dev) = gpu() else { return };
    // max over axis 0 of a (3, 4) uint8 array into out[9::-3] of a
    // 10-element buffer, and any over axis 0 into out[1::2] of a bool
    // buffer: the other bytes stay as they were.
    let data: Vec<u8> = vec![3, 9, 0, 7, 8, 1, 0, 2, 5, 5, 0, 250];
    let a = upload(&dev, &data).unwrap();
    let input = GpuView {
        buf: &a,
        dtype: DType::U8,
        strides: &[],
        offset: 0,
    };
    let out = upload(&dev, &[100u8; 10]).unwrap();
    let view = GpuView {
        buf: &out,
        dtype: DType::U8,
        strides: &[-3],
        offset: 9,
    };
    reduce(
        &dev,
        ReduceOp::Max,
        DType::U8,
        &input,
        &[4],
        &[1],
        &[3],
        &[4],
        &view,
    )
    .unwrap();
    let got = download(&out, 0, out.size()).unwrap();
    assert_eq!(&got[..10], [250, 100, 100, 0, 100, 100, 9, 100, 100, 8]);
    let flags = upload(&dev, &[7u8; 9]).unwrap();
    let view = GpuView {
        buf: &flags,
        dtype: DType::Bool,
        strides: &[2],
        offset: 1,
    };
    let input = GpuView {
        dtype: DType::Bool,
        ..input
    };
    // any(a[:, j]) for each column j (column 2 is all zeros).
    reduce(
        &dev,
        ReduceOp::Any,
        DType::Bool,
        &input,
        &[4],
        &[1],
        &[3],
        &[4],
        &view,
    )
    .unwrap();
    let got = download(&flags, 0, flags.size()).unwrap();
    assert_eq!(&got[..9], [7, 1, 7, 1, 7, 0, 7, 1, 7]);
}

#[test]
fn upload_download_round_trip_and_sub_ranges() {
    let Some(dev) = gpu() else { return };
    let data: Vec<u8> = (0..1003u32).map(|i| (i * 7 % 251) as u8).collect();
    let buf = upload(&dev, &data).unwrap();
    assert_eq!(buf.size(), 1003);
    assert_eq!(download(&buf, 0, 1003).unwrap(), data);
    assert_eq!(download(&buf, 5, 11).unwrap(), &data[5..16]);
    assert_eq!(download(&buf, 1001, 2).unwrap(), &data[1001..]);
    assert!(download(&buf, 1000, 4).is_err());
    // Sub-range upload from host memory, and sub-range writes.
    let sub = upload(&dev, &data[3..10]).unwrap();
    assert_eq!(download(&sub, 0, 7).unwrap(), &data[3..10]);
    buf.write(2, &[1, 2, 3]).unwrap();
    buf.write(8, &[9; 8]).unwrap();
    let mut want = data.clone();
    want[2..5].copy_from_slice(&[1, 2, 3]);
    want[8..16].copy_from_slice(&[9; 8]);
    assert_eq!(download(&buf, 0, 1003).unwrap(), want);
    assert_eq!(upload(&dev, &[]).unwrap().size(), 0);
}

#[test]
fn downloads_reuse_the_kept_read_back_buffer() {
    let Some(dev) = gpu_with(GpuOptions::default()) else {
        return;
    };
    let big: Vec<u8> = (0..70_001u32).map(|i| (i * 13 % 253) as u8).collect();
    let small: Vec<u8> = (0..999u32).map(|i| (i * 5 % 241) as u8).collect();
    let (gb, gs) = (upload(&dev, &big).unwrap(), upload(&dev, &small).unwrap());
    let kept = || {
        super::context::lock(&dev.ctx.staging)
            .as_ref()
            .map(|b| b.size())
    };
    assert_eq!(kept(), None);
    // Small, then large (a larger buffer replaces the kept one), then small
    // and unaligned ranges from the large kept buffer: every byte right.
    assert_eq!(download(&gs, 0, 999).unwrap(), small);
    assert_eq!(kept(), Some(1000));
    assert_eq!(download(&gb, 0, 70_001).unwrap(), big);
    assert_eq!(kept(), Some(70_004));
    assert_eq!(download(&gs, 3, 990).unwrap(), &small[3..993]);
    assert_eq!(download(&gb, 65_537, 1_003).unwrap(), &big[65_537..66_540]);
    assert_eq!(kept(), Some(70_004));
    // Into typed memory, as `to_cpu` does.
    let mut out = vec![0u8; 6];
    gb.download_into(7, &mut out).unwrap();
    assert_eq!(out, &big[7..13]);
    // A device that keeps no freed memory keeps no read-back buffer either.
    let lean = gpu_with(GpuOptions {
        pool_limit: 0,
        ..GpuOptions::default()
    })
    .expect("a second device");
    let b = upload(&lean, &small).unwrap();
    assert_eq!(download(&b, 0, 999).unwrap(), small);
    assert!(super::context::lock(&lean.ctx.staging).is_none());
}

#[test]
fn dropped_buffers_are_reused_from_the_pool() {
    let Some(dev) = gpu_with(GpuOptions::default()) else {
        return;
    };
    let a = GpuBuffer::empty(&dev, 5000).unwrap();
    drop(a);
    let (_, hits0, _) = dev.pool_stats();
    let b = GpuBuffer::empty(&dev, 4999).unwrap();
    let (_, hits1, _) = dev.pool_stats();
    assert_eq!(hits1, hits0 + 1);
    drop(b);
    let (bytes, _, _) = dev.pool_stats();
    assert!(bytes >= 4999);
}

#[test]
fn mixing_devices_is_an_error_naming_both() {
    let Some(dev) = gpu() else { return };
    let Some(other) = gpu_with(GpuOptions::default()) else {
        return;
    };
    let a = upload(&other, &[0; 16]).unwrap();
    let out = GpuBuffer::empty(&dev, 16).unwrap();
    let v = |b| GpuView {
        buf: b,
        dtype: DType::F32,
        strides: &[1],
        offset: 0,
    };
    let err = copy(&dev, &[4], &v(&out), &v(&a)).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&format!("gpu:{}", dev.id())), "{msg}");
    assert!(msg.contains(&format!("gpu:{}", other.id())), "{msg}");
}

// ---------------------------------------------------------------------------
// Device tests: elementwise
// ---------------------------------------------------------------------------

#[test]
fn binary_ops_contiguous_match_cpu() {
    let Some(dev) = gpu() else { return };
    let shape = [7, 9];
    for dt in TEST_DTYPES {
        if !dev.supports(dt) {
            eprintln!("adapter lacks {dt}; skipped");
            continue;
        }
        for op in &BINOPS {
            let a = HostView {
                dtype: dt,
                data: sample(dt, 63, 1),
                strides: vec![9, 1],
                offset: 0,
            };
            let b = HostView {
                data: sample(dt, 63, 2),
                ..a_like(&a)
            };
            let out = HostView {
                data: vec![0.0; 63],
                ..a_like(&a)
            };
            check_binary(&dev, op, dt, &shape, &a, &b, &out);
        }
    }
}

fn a_like(a: &HostView) -> HostView {
    HostView {
        dtype: a.dtype,
        data: a.data.clone(),
        strides: a.strides.clone(),
        offset: a.offset,
    }
}

#[test]
fn binary_ops_broadcast_negative_strides_offsets_match_cpu() {
    let Some(dev) = gpu() else { return };
    let shape = [4, 3, 5];
    for dt in TEST_DTYPES {
        if !dev.supports(dt) {
            continue;
        }
        for op in &BINOPS {
            // a: (4, 1, 5) broadcast over axis 1, axis 0 reversed, offset.
            let a = HostView {
                dtype: dt,
                data: sample(dt, 2 + 20, 3),
                strides: vec![-5, 0, 1],
                offset: 2 + 15,
            };
            // b: (3, 5) broadcast over axis 0, last axis reversed, offset.
            let b = HostView {
                dtype: dt,
                data: sample(dt, 7 + 15, 4),
                strides: vec![0, 5, -1],
                offset: 7 + 4,
            };
            // out: packed dtypes need C order (any offset); the others get a
            // Fortran-order output at an offset.
            let sentinel = if dt == DType::Bool {
                1.0
            } else {
                cast(dt, 3.0)
            };
            let out = if codegen::is_packed(dt) {
                HostView {
                    dtype: dt,
                    data: vec![sentinel; 3 + 60 + 5],
                    strides: vec![15, 5, 1],
                    offset: 3,
                }
            } else {
                HostView {
                    dtype: dt,
                    data: vec![sentinel; 5 + 60 + 2],
                    strides: vec![1, 4, 12],
                    offset: 5,
                }
            };
            check_binary(&dev, op, dt, &shape, &a, &b, &out);
            // A scalar operand (all strides 0) takes the contiguous path.
            let s = HostView {
                dtype: dt,
                data: sample(dt, 1, 5),
                strides: vec![0, 0, 0],
                offset: 0,
            };
            let c = HostView {
                dtype: dt,
                data: sample(dt, 60, 6),
                strides: vec![15, 5, 1],
                offset: 0,
            };
            let out = HostView {
                dtype: dt,
                data: vec![sentinel; 61],
                strides: vec![15, 5, 1],
                offset: 1,
            };
            check_binary(&dev, op, dt, &shape, &c, &s, &out);
        }
    }
}

#[test]
fn casts_match_cpu() {
    let Some(dev) = gpu() else { return };
    let vals = [0.0, 1.0, -1.0, 2.5, -2.5, 100.0, 255.0, 300.0, -129.0, 0.5];
    for from in TEST_DTYPES {
        for to in TEST_DTYPES {
            if !dev.supports(from) || !dev.supports(to) {
                continue;
            }
            let input: Vec<f64> = vals.iter().map(|&v| cast(from, v)).collect();
            let a = upload(&dev, &bytes_of(from, &input)).unwrap();
            let out = GpuBuffer::empty(&dev, (vals.len() * to.itemsize()) as u64).unwrap();
            copy(
                &dev,
                &[vals.len()],
                &GpuView {
                    buf: &out,
                    dtype: to,
                    strides: &[1],
                    offset: 0,
                },
                &GpuView {
                    buf: &a,
                    dtype: from,
                    strides: &[1],
                    offset: 0,
                },
            )
            .unwrap();
            let got = values_of(to, &download(&out, 0, out.size()).unwrap());
            let want: Vec<f64> = input
                .iter()
                .map(|&v| {
                    // The CPU's cast, through the Element trait.
                    let b = encode(from, v);
                    crate::dispatch_dtype!(from, T => {
                        let x: T = from_bytes::<T>(from, &b);
                        crate::dispatch_dtype!(to, U => {
                            let y: U = x.cast::<U>();
                            y.to_f64()
                        })
                    })
                })
                .collect();
            assert_eq!(got, want, "cast {from} -> {to} of {input:?}");
        }
    }
}

fn from_bytes<T: Element>(dt: DType, b: &[u8]) -> T {
    T::from_f64(decode(dt, b))
}

#[test]
fn in_place_and_overlapping_outputs_read_a_copy() {
    let Some(dev) = gpu() else { return };
    // x[1:] += x[:-1] in place on one buffer: NumPy semantics read the
    // original values.
    let x: Vec<f32> = (0..10).map(|i| i as f32).collect();
    let buf = upload(&dev, bytemuck::cast_slice(&x)).unwrap();
    let add = ElementwiseOp {
        name: "add",
        expr: "x0 + x1",
        functions: "",
        compute: DType::F32,
        out: DType::F32,
    };
    let v = |offset| GpuView {
        buf: &buf,
        dtype: DType::F32,
        strides: &[1],
        offset,
    };
    elementwise(&dev, &add, &[9], &v(1), &[v(1), v(0)]).unwrap();
    let got: Vec<f32> = bytemuck::cast_slice(&download(&buf, 0, 40).unwrap()).to_vec();
    let mut want = x.clone();
    for i in 1..10 {
        want[i] = x[i] + x[i - 1];
    }
    assert_eq!(got, want);
}

/// An input of an in-place test: a view of the output's own buffer, or a
/// buffer of its own.
enum Src {
    Out { strides: Vec<isize>, offset: usize },
    Own(HostView),
}

/// The CPU reference of `op` on one pair of `dt` values.
fn apply(op: &BinOp, dt: DType, x: f64, y: f64) -> f64 {
    if dt == DType::Bool {
        (op.fb)(x != 0.0, y != 0.0) as u8 as f64
    } else if dt.is_integer() {
        wrap_int(dt, (op.fi)(x as i128, y as i128))
    } else {
        cast(dt, (op.f)(x, y))
    }
}

/// Buffers the device's pool has handed out so far (a detach copy takes one).
fn allocations(dev: &GpuDevice) -> u64 {
    let (_, hits, misses) = dev.pool_stats();
    hits + misses
}

/// Run `op` into `out` (a view of a buffer holding `out.data`) from `srcs`,
/// compare the whole output buffer with the CPU reference (inputs on the
/// output's buffer read the values from before the call, as in NumPy), and
/// return how many buffers the call allocated (0 when nothing was copied).
fn check_inplace(
    dev: &GpuDevice,
    op: &BinOp,
    dt: DType,
    shape: &[usize],
    out: &HostView,
    srcs: &[Src; 2],
) -> u64 {
    let gout = upload(dev, &bytes_of(dt, &out.data)).unwrap();
    let own: Vec<Option<GpuBuffer>> = srcs
        .iter()
        .map(|s| match s {
            Src::Own(h) => Some(upload(dev, &bytes_of(dt, &h.data)).unwrap()),
            Src::Out { .. } => None,
        })
        .collect();
    let views: Vec<GpuView> = srcs
        .iter()
        .zip(&own)
        .map(|(s, b)| match s {
            Src::Out { strides, offset } => GpuView {
                buf: &gout,
                dtype: dt,
                strides,
                offset: *offset,
            },
            Src::Own(h) => GpuView {
                buf: b.as_ref().expect("uploaded"),
                dtype: dt,
                strides: &h.strides,
                offset: h.offset,
            },
        })
        .collect();
    let ov = GpuView {
        buf: &gout,
        dtype: dt,
        strides: &out.strides,
        offset: out.offset,
    };
    let expr = if dt == DType::Bool {
        op.bool_expr
    } else {
        op.expr
    };
    let ew = ElementwiseOp {
        name: op.name,
        expr,
        functions: "",
        compute: dt,
        out: dt,
    };
    let before = allocations(dev);
    elementwise(dev, &ew, shape, &ov, &views)
        .unwrap_or_else(|e| panic!("{} {dt} over {shape:?}: {e}", op.name));
    let allocated = allocations(dev) - before;
    let got = values_of(dt, &download(&gout, 0, gout.size()).unwrap());

    let host: Vec<HostView> = srcs
        .iter()
        .map(|s| match s {
            Src::Out { strides, offset } => HostView {
                dtype: dt,
                data: out.data.clone(),
                strides: strides.clone(),
                offset: *offset,
            },
            Src::Own(h) => a_like(h),
        })
        .collect();
    let mut want = out.data.clone();
    for idx in multi_indices(shape) {
        let e = out.offset as isize
            + idx
                .iter()
                .zip(&out.strides)
                .map(|(&i, &s)| i as isize * s)
                .sum::<isize>();
        want[e as usize] = apply(op, dt, host[0].at(&idx), host[1].at(&idx));
    }
    assert_eq!(got, want, "{} {dt} over {shape:?}", op.name);
    allocated
}

/// In-place layouts: (shape, output buffer length, output strides, output
/// offset), for every dtype (packed ones included).
fn inplace_layouts() -> Vec<(Vec<usize>, usize, Vec<isize>, usize)> {
    vec![
        (vec![37], 37, vec![1], 0),             // x
        (vec![29], 40, vec![1], 3),             // x[3:32], an unaligned start
        (vec![5, 8], 45, vec![8, 1], 5),        // a 2-D block
        (vec![3, 1, 7], 21, vec![7, 99, 1], 0), // a length-1 axis's stride is free
        (vec![20], 41, vec![2], 1),             // x[1::2]
        (vec![17], 17, vec![-1], 16),           // x[::-1]
        (vec![4, 6], 24, vec![1, 4], 0),        // Fortran order
        (vec![3, 4], 30, vec![-10, 2], 21),
    ]
}

#[test]
fn in_place_inputs_read_the_output_binding_without_a_copy() {
    // A fresh device: its pool counts only this test's allocations.
    let Some(dev) = gpu_with(GpuOptions::default()) else {
        return;
    };
    for dt in TEST_DTYPES {
        if !dev.supports(dt) {
            eprintln!("adapter lacks {dt}; skipped");
            continue;
        }
        for (shape, len, strides, offset) in inplace_layouts() {
            let out = HostView {
                dtype: dt,
                data: sample(dt, len, 11),
                strides: strides.clone(),
                offset,
            };
            let n: usize = shape.iter().product();
            let me = || Src::Out {
                strides: strides.clone(),
                offset,
            };
            // The other operand: dense in C order, or a broadcast scalar.
            let dense = || {
                let mut s = vec![0isize; shape.len()];
                let mut acc = 1;
                for d in (0..shape.len()).rev() {
                    s[d] = acc;
                    acc *= shape[d] as isize;
                }
                Src::Own(HostView {
                    dtype: dt,
                    data: sample(dt, n, 12),
                    strides: s,
                    offset: 0,
                })
            };
            let scalar = || {
                Src::Own(HostView {
                    dtype: dt,
                    data: sample(dt, 1, 13),
                    strides: vec![0; shape.len()],
                    offset: 0,
                })
            };
            for op in &BINOPS[..2] {
                let cases: [(&str, [Src; 2]); 4] = [
                    ("x op= y", [me(), dense()]),
                    ("x op= 1", [me(), scalar()]),
                    ("x = y op x", [dense(), me()]),
                    ("x = x op x", [me(), me()]),
                ];
                for (what, srcs) in cases {
                    let allocated = check_inplace(&dev, op, dt, &shape, &out, &srcs);
                    assert_eq!(
                        allocated, 0,
                        "{what} ({} {dt}, shape {shape:?}, strides {strides:?}): an in-place \
                         input was copied",
                        op.name
                    );
                }
            }
        }
    }
    // The in-place kernels are the `_a{k}` variants.
    let names: Vec<String> = super::context::lock(&dev.ctx.pipelines)
        .keys()
        .map(|k| k.name())
        .collect();
    for want in [
        "add_f32_contig_a0",
        "add_f32_contig_b1_a0",
        "add_f32_contig_a1",
        "add_f32_contig_a0_a1",
        "add_f32_strided_a0",
        "add_u8_contig_b1_a0",
        "add_bf16_contig_a0_a1",
        "add_u8_scatter_a0",
        "add_bool_scatter_a0_a1",
        "add_bf16_scatter_a1",
    ] {
        assert!(names.iter().any(|n| n == want), "no {want} in {names:?}");
    }
}

#[test]
fn needs_detach_only_for_inputs_the_output_binding_cannot_serve() {
    let Some(dev) = gpu() else { return };
    let buf = GpuBuffer::zeros(&dev, 256).unwrap();
    let other = GpuBuffer::zeros(&dev, 256).unwrap();
    let v = |buf, dtype, strides, offset| GpuView {
        buf,
        dtype,
        strides,
        offset,
    };
    let f = DType::F32;
    let x = v(&buf, f, &[4, 1], 0);
    let detach = |input: GpuView, out: GpuView, shape: &[usize]| needs_detach(&out, &input, shape);

    // The output itself, element for element (length-1 axes' strides free).
    assert!(!detach(x, x, &[4, 4]));
    assert!(!detach(v(&buf, f, &[7, 1], 0), x, &[1, 4]));
    // Another buffer, and an empty shape: nothing to copy.
    assert!(!detach(v(&other, f, &[4, 1], 0), x, &[4, 4]));
    assert!(!detach(v(&buf, f, &[1, 4], 0), x, &[0, 4]));

    // Provably disjoint elements of an unpacked output: read in place.
    // x[:16] and x[16:32]:
    assert!(!detach(v(&buf, f, &[4, 1], 16), x, &[4, 4]));
    // x[::2] and x[1::2]:
    assert!(!detach(v(&buf, f, &[2], 1), v(&buf, f, &[2], 0), &[8]));
    // x[1:9] += x[0]:
    assert!(!detach(v(&buf, f, &[0], 0), v(&buf, f, &[1], 1), &[8]));

    // Overlapping, or not provably disjoint: copied. x.T, x shifted by one,
    // a broadcast row of x:
    assert!(detach(v(&buf, f, &[1, 4], 0), x, &[4, 4]));
    assert!(detach(v(&buf, f, &[4, 1], 1), x, &[4, 4]));
    assert!(detach(v(&buf, f, &[0, 1], 0), x, &[4, 4]));
    // Elements {2, 3, 6, 7} and {0, 1, 4, 5}: disjoint, but neither test
    // proves it (the ranges meet, the strides' gcd is 1).
    assert!(detach(v(&buf, f, &[4, 1], 2), x, &[2, 2]));
    // The same bytes read as another dtype.
    assert!(detach(v(&buf, DType::I32, &[4, 1], 16), x, &[4, 4]));

    // Packed dtypes: only the output's own elements (neighbouring elements
    // share the words that other invocations write).
    let u = DType::U8;
    assert!(!detach(v(&buf, u, &[1], 3), v(&buf, u, &[1], 3), &[20]));
    assert!(detach(v(&buf, u, &[1], 20), v(&buf, u, &[1], 0), &[20]));

    // A buffer larger than one binding: disjoint inputs may leave the
    // output's window, so they are copied; the output's own elements not.
    let Some(small) = gpu_with(GpuOptions {
        max_binding_size: Some(4096),
        ..GpuOptions::default()
    }) else {
        return;
    };
    let big = GpuBuffer::zeros(&small, 16384).unwrap();
    let y = v(&big, f, &[1], 0);
    assert!(!detach(y, y, &[2048]));
    assert!(detach(v(&big, f, &[1], 2048), y, &[2048]));
}

#[test]
fn overlapping_inputs_on_the_output_buffer_are_still_detached() {
    let Some(dev) = gpu_with(GpuOptions::default()) else {
        return;
    };
    for dt in TEST_DTYPES {
        if !dev.supports(dt) {
            continue;
        }
        let packed = codegen::is_packed(dt);
        let op = &BINOPS[0];
        // x[1:] = x[1:] + x[:-1]: reads the old values (packed dtypes
        // included: the elements one lane down belong to another word).
        let out = HostView {
            dtype: dt,
            data: sample(dt, 30, 21),
            strides: vec![1],
            offset: 1,
        };
        let srcs = [
            Src::Out {
                strides: vec![1],
                offset: 1,
            },
            Src::Out {
                strides: vec![1],
                offset: 0,
            },
        ];
        let allocated = check_inplace(&dev, op, dt, &[29], &out, &srcs);
        assert_eq!(allocated, 1, "{dt}: x[:-1] is copied, x[1:] is not");
        // x[:10] = x[10:20] + x[20:]: other elements of the same buffer,
        // read in place unless the dtype is packed.
        let out = HostView {
            dtype: dt,
            data: sample(dt, 30, 22),
            strides: vec![1],
            offset: 0,
        };
        let srcs = [
            Src::Out {
                strides: vec![1],
                offset: 10,
            },
            Src::Out {
                strides: vec![1],
                offset: 20,
            },
        ];
        let allocated = check_inplace(&dev, op, dt, &[10], &out, &srcs);
        let want = if packed { 2 } else { 0 };
        assert_eq!(allocated, want, "{dt}: x[:10] = x[10:20] + x[20:]");
        if !packed {
            // x[::2] = x[::2] + x[1::2] (interleaved), and x[1:] += x[0].
            let out = HostView {
                dtype: dt,
                data: sample(dt, 31, 23),
                strides: vec![2],
                offset: 0,
            };
            let srcs = [
                Src::Out {
                    strides: vec![2],
                    offset: 0,
                },
                Src::Out {
                    strides: vec![2],
                    offset: 1,
                },
            ];
            let allocated = check_inplace(&dev, op, dt, &[15], &out, &srcs);
            assert_eq!(allocated, 0, "{dt}: x[::2] += x[1::2] copied");
            let out = HostView {
                dtype: dt,
                data: sample(dt, 9, 24),
                strides: vec![1],
                offset: 1,
            };
            let srcs = [
                Src::Out {
                    strides: vec![1],
                    offset: 1,
                },
                Src::Out {
                    strides: vec![0],
                    offset: 0,
                },
            ];
            let allocated = check_inplace(&dev, op, dt, &[8], &out, &srcs);
            assert_eq!(allocated, 0, "{dt}: x[1:] += x[0] copied");
        }
    }
}

#[test]
fn in_place_inputs_under_chunked_bindings() {
    // 4 KiB bindings: every launch below is split into windows, and the
    // in-place input is read through the output's window in each.
    let Some(dev) = gpu_with(GpuOptions {
        max_binding_size: Some(4096),
        ..GpuOptions::default()
    }) else {
        return;
    };
    let cases: [(DType, usize, usize, isize, usize); 6] = [
        // (dtype, elements, buffer length, stride, offset)
        (DType::F32, 3000, 3005, 1, 5),
        (DType::F32, 3000, 6001, 2, 1),
        (DType::I32, 2500, 2500, -1, 2499),
        (DType::U8, 10001, 10004, 1, 3),
        (DType::Bool, 9000, 9001, 1, 1),
        (DType::BF16, 5000, 5003, 1, 3),
    ];
    for (dt, n, len, stride, offset) in cases {
        let out = HostView {
            dtype: dt,
            data: sample(dt, len, 31),
            strides: vec![stride],
            offset,
        };
        let y = HostView {
            dtype: dt,
            data: sample(dt, n, 32),
            strides: vec![1],
            offset: 0,
        };
        let srcs = [
            Src::Out {
                strides: vec![stride],
                offset,
            },
            Src::Own(y),
        ];
        let before = dev.dispatches();
        let allocated = check_inplace(&dev, &BINOPS[0], dt, &[n], &out, &srcs);
        let launched = dev.dispatches() - before;
        assert!(
            launched > 1,
            "{dt}: {launched} dispatch(es), expected chunks"
        );
        assert_eq!(allocated, 0, "{dt}: the in-place input was copied");
    }
    // Disjoint inputs leave the output's window in some chunks: the launch
    // falls back to copying them (and still reads the output's own
    // elements in place), with the right values.
    for (n, in_stride, in_offset, out_stride) in [(3000, 1, 3000, 1), (3000, 2, 1, 2)] {
        let dt = DType::F32;
        let out = HostView {
            dtype: dt,
            data: sample(dt, 6000, 33),
            strides: vec![out_stride],
            offset: 0,
        };
        let srcs = [
            Src::Out {
                strides: vec![out_stride],
                offset: 0,
            },
            Src::Out {
                strides: vec![in_stride],
                offset: in_offset,
            },
        ];
        let allocated = check_inplace(&dev, &BINOPS[0], dt, &[n], &out, &srcs);
        assert_eq!(
            allocated, 1,
            "stride {in_stride}: only the disjoint input is copied"
        );
    }
}

#[test]
fn bad_views_and_dtypes_are_errors() {
    let Some(dev) = gpu() else { return };
    let buf = GpuBuffer::zeros(&dev, 16).unwrap();
    let v = |strides, offset, dtype| GpuView {
        buf: &buf,
        dtype,
        strides,
        offset,
    };
    let add = ElementwiseOp {
        name: "add",
        expr: "x0 + x1",
        functions: "",
        compute: DType::F32,
        out: DType::F32,
    };
    let out = GpuBuffer::empty(&dev, 64).unwrap();
    let o = GpuView {
        buf: &out,
        dtype: DType::F32,
        strides: &[1],
        offset: 0,
    };
    // Reaches past the buffer.
    let e = elementwise(&dev, &add, &[5], &o, &[v(&[1], 0, DType::F32)]).unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::Value, "{e}");
    // Reaches before the buffer.
    let e = elementwise(&dev, &add, &[2], &o, &[v(&[-1], 0, DType::F32)]).unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::Value, "{e}");
    // Output dtype mismatch.
    let o8 = GpuView {
        dtype: DType::U8,
        ..o
    };
    let e = elementwise(&dev, &add, &[2], &o8, &[v(&[1], 0, DType::F32)]).unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::DType, "{e}");
    // A packed output whose layout is not nested (no writeable view has
    // one: positions 0, 3, 2, 5, 4, 7), or that writes one element twice,
    // is refused, clearly.
    let copy8 = ElementwiseOp {
        name: "copy",
        expr: "x0",
        functions: "",
        compute: DType::U8,
        out: DType::U8,
    };
    let tangled = GpuView {
        buf: &out,
        dtype: DType::U8,
        strides: &[2, 3],
        offset: 0,
    };
    let e = elementwise(&dev, &copy8, &[3, 2], &tangled, &[v(&[2, 1], 0, DType::U8)]).unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::DType, "{e}");
    assert!(e.to_string().contains("uint8 output"), "{e}");
    assert!(e.to_string().contains("not nested"), "{e}");
    let repeated = GpuView {
        strides: &[0, 1],
        ..tangled
    };
    let e = elementwise(
        &dev,
        &copy8,
        &[3, 2],
        &repeated,
        &[v(&[2, 1], 0, DType::U8)],
    )
    .unwrap_err();
    assert!(e.to_string().contains("not nested"), "{e}");
    // The device is still fine afterwards.
    dev.synchronize().unwrap();
}

#[test]
fn two_d_grid_beyond_65535_workgroups() {
    let Some(dev) = gpu() else { return };
    let wg = u64::from(WORKGROUP_SIZE);
    let per_dim = u64::from(dev.limits().max_compute_workgroups_per_dimension);
    let n = (per_dim * wg + 3 * wg + 5) as usize;
    assert!(n as u64 > per_dim * wg, "needs a 2-D grid");
    // The input starts at element 1 of its buffer: not a multiple of 4, so
    // the one-element-per-invocation kernel runs (the wide kernel would
    // need a quarter of the workgroups).
    let a: Vec<u32> = (0..=n as u32).map(|i| i.wrapping_sub(1)).collect();
    let ga = upload(&dev, bytemuck::cast_slice(&a)).unwrap();
    let out = GpuBuffer::empty(&dev, 4 * n as u64).unwrap();
    let t = std::time::Instant::now();
    elementwise(
        &dev,
        &ElementwiseOp {
            name: "affine",
            expr: "x0 * 3u + 7u",
            functions: "",
            compute: DType::U32,
            out: DType::U32,
        },
        &[n],
        &GpuView {
            buf: &out,
            dtype: DType::U32,
            strides: &[1],
            offset: 0,
        },
        &[GpuView {
            buf: &ga,
            dtype: DType::U32,
            strides: &[1],
            offset: 1,
        }],
    )
    .unwrap();
    assert!(
        kernel_names(&dev).contains(&"affine_u32_contig".to_string()),
        "{:?}",
        kernel_names(&dev)
    );
    let bytes = download(&out, 0, out.size()).unwrap();
    eprintln!(
        "2-D grid: {n} u32 elements, launch + download {:?}",
        t.elapsed()
    );
    let got: &[u32] = bytemuck::cast_slice(&bytes);
    for (i, &g) in got.iter().enumerate() {
        assert_eq!(g, (i as u32).wrapping_mul(3).wrapping_add(7), "element {i}");
    }
}

/// The names of the kernels `dev` has built.
fn kernel_names(dev: &GpuDevice) -> Vec<String> {
    let mut v: Vec<String> = super::context::lock(&dev.ctx.pipelines)
        .keys()
        .map(|k| k.name())
        .collect();
    v.sort();
    v
}

#[test]
fn wide_kernel_covers_tails_offsets_broadcasts_and_chunks() {
    let Some(dev) = gpu_with(GpuOptions::default()) else {
        return;
    };
    // 4 KiB bindings: the wide kernel over windows of a larger buffer.
    let chunked = gpu_with(GpuOptions {
        max_binding_size: Some(4096),
        ..GpuOptions::default()
    })
    .expect("a second device");
    let tiny_grid = gpu_with(GpuOptions {
        max_workgroups_per_dim: Some(3),
        ..GpuOptions::default()
    })
    .expect("a third device");
    let dense = |dt, n, offset, seed| HostView {
        dtype: dt,
        data: sample(dt, n + offset + 3, seed),
        strides: vec![1],
        offset,
    };
    let scalar = |dt, seed| HostView {
        dtype: dt,
        data: sample(dt, 5, seed),
        strides: vec![0],
        offset: 2,
    };
    for dt in [
        DType::F32,
        DType::I32,
        DType::U32,
        DType::F16,
        DType::F64,
        DType::I64,
    ] {
        if !dev.supports(dt) {
            continue;
        }
        for n in [1, 3, 4, 5, 8, 11, 64, 1027, 3001] {
            for op in &BINOPS {
                // Aligned (wide, with a scalar tail when n % 4 != 0), a
                // broadcast scalar, and unaligned offsets (scalar kernel).
                for (o, a, b) in [
                    (0, 0, Some(0)),
                    (4, 8, None),
                    (1, 0, Some(4)),
                    (0, 3, Some(0)),
                ] {
                    let b = b.map_or_else(|| scalar(dt, 9), |off| dense(dt, n, off, 9));
                    let (a, out) = (dense(dt, n, a, 7), dense(dt, n, o, 8));
                    check_binary(&dev, op, dt, &[n], &a, &b, &out);
                }
            }
            let a = dense(dt, n, 8, 7);
            check_binary(
                &chunked,
                &BINOPS[0],
                dt,
                &[n],
                &a,
                &scalar(dt, 9),
                &a_like(&a),
            );
        }
        let names = kernel_names(&dev);
        let s = super::launch::short_name(dt);
        for want in [
            format!("add_{s}_wide"),
            format!("add_{s}_wide_b1"),
            format!("add_{s}_contig"),
        ] {
            assert!(names.contains(&want), "{want} not in {names:?}");
        }
        let want = format!("add_{s}_wide_b1");
        assert!(kernel_names(&chunked).contains(&want), "chunked: no {want}");
        // A 2-D grid: 3 workgroups per dimension, 5,001 elements = 1,250
        // groups of four (5 workgroups) plus a scalar tail of one.
        let a = dense(dt, 5001, 4, 7);
        check_binary(
            &tiny_grid,
            &BINOPS[1],
            dt,
            &[5001],
            &a,
            &dense(dt, 5001, 0, 9),
            &a_like(&a),
        );
        assert!(kernel_names(&tiny_grid).contains(&format!("multiply_{s}_wide")));
        // In place, wide: x += y and x[:n] += x[n:] (disjoint, aligned).
        for n in [1024usize, 1027] {
            let out = dense(dt, n, 4, 3);
            let y = Src::Own(dense(dt, n, 0, 4));
            let same = Src::Out {
                strides: vec![1],
                offset: 4,
            };
            assert_eq!(
                check_inplace(&dev, &BINOPS[0], dt, &[n], &out, &[same, y]),
                0
            );
            let both = HostView {
                data: sample(dt, 2 * n + 8, 5),
                ..dense(dt, n, 0, 0)
            };
            let srcs = [
                Src::Out {
                    strides: vec![1],
                    offset: 0,
                },
                Src::Out {
                    strides: vec![1],
                    offset: n.next_multiple_of(4) + 4,
                },
            ];
            assert_eq!(check_inplace(&dev, &BINOPS[1], dt, &[n], &both, &srcs), 0);
        }
        assert!(kernel_names(&dev).iter().any(|k| k.contains("wide_a0_a1")));
    }
}

#[test]
fn small_artificial_limits_chunk_and_use_2d_grids() {
    // Bindings of at most 4 KiB and 3 workgroups per dimension: every launch
    // below is split into many chunks, each on a 2-D grid.
    let Some(dev) = gpu_with(GpuOptions {
        max_binding_size: Some(4096),
        max_workgroups_per_dim: Some(3),
        ..GpuOptions::default()
    }) else {
        return;
    };
    assert_eq!(dev.max_binding_size(), 4096);
    let shape = [40, 3, 50];
    for dt in [DType::F32, DType::U8, DType::F64, DType::BF16] {
        if !dev.supports(dt) {
            continue;
        }
        for op in &BINOPS[..2] {
            let a = HostView {
                dtype: dt,
                data: sample(dt, 9 + 2000, 7),
                strides: vec![-50, 0, 1],
                offset: 9 + 39 * 50,
            };
            let b = HostView {
                dtype: dt,
                data: sample(dt, 6000, 8),
                strides: vec![1, 2000, 40],
                offset: 0,
            };
            let out = HostView {
                dtype: dt,
                data: vec![cast(dt, 1.0); 11 + 6000],
                strides: vec![150, 50, 1],
                offset: 11,
            };
            let before = dev.dispatches();
            check_binary(&dev, op, dt, &shape, &a, &b, &out);
            let launched = dev.dispatches() - before;
            assert!(launched > 3, "{dt}: {launched} dispatches");
        }
    }
    // Reductions under the same limits.
    check_reductions(&dev, 64, 90);
}

// ---------------------------------------------------------------------------
// Packed outputs in any layout
// ---------------------------------------------------------------------------

/// Element positions of a view, in C order of its multi-indices.
fn positions(shape: &[usize], strides: &[isize], offset: usize) -> Vec<i64> {
    multi_indices(shape)
        .iter()
        .map(|idx| {
            offset as i64
                + idx
                    .iter()
                    .zip(strides)
                    .map(|(&i, &s)| i as i64 * s as i64)
                    .sum::<i64>()
        })
        .collect()
}

#[test]
fn count_below_matches_brute_force() {
    // Canonical layouts: positive, decreasing, nested strides.
    let layouts: [(&[usize], &[isize]); 5] = [
        (&[7], &[1]),
        (&[9], &[3]),
        (&[5, 7], &[21, 3]),
        (&[3, 3, 4], &[90, 20, 3]),
        (&[2, 3, 2], &[50, 7, 2]),
    ];
    for (shape, strides) in layouts {
        let pos = positions(shape, strides, 0);
        assert!(
            pos.windows(2).all(|w| w[0] < w[1]),
            "position order is C order"
        );
        let hi = *pos.last().unwrap();
        for p in -3..hi + 5 {
            let want = pos.iter().filter(|&&q| q < p).count() as u64;
            assert_eq!(
                super::kernels::count_below(shape, strides, p),
                want,
                "{shape:?} {strides:?} below {p}"
            );
        }
    }
}

#[test]
fn split_extent_covers_every_element_once_within_the_limit() {
    // Output (canonical) and one input with other strides.
    // (shape, [output strides, input strides], [output offset, input offset])
    type Case = (&'static [usize], [&'static [isize]; 2], [usize; 2]);
    let cases: [Case; 4] = [
        (&[40], [&[3], &[-1]], [2, 39]),
        (&[5, 7], [&[21, 3], &[1, 5]], [1, 0]),
        (&[3, 3, 4], [&[90, 20, 3], &[12, 4, 1]], [119, 0]),
        (&[2, 6], [&[1000, 1], &[6, 1]], [7, 0]),
    ];
    for limit in [1u64, 5, 16, 64, 1 << 20] {
        for (shape, strides, offsets) in cases {
            let strides: Vec<Vec<isize>> = strides.iter().map(|s| s.to_vec()).collect();
            let mut pieces = Vec::new();
            super::kernels::split_extent(shape, &strides, &offsets, limit, &mut pieces);
            let mut got: Vec<(i64, i64)> = Vec::new();
            for p in &pieces {
                let out = positions(&p.shape, &p.strides[0], p.offsets[0]);
                let hi = out.iter().max().unwrap() - out.iter().min().unwrap();
                assert!(
                    (hi as u64) < limit || p.shape.iter().product::<usize>() == 1,
                    "limit {limit}: piece {:?} has extent {hi}",
                    p.shape
                );
                let inp = positions(&p.shape, &p.strides[1], p.offsets[1]);
                got.extend(out.into_iter().zip(inp));
            }
            got.sort();
            let mut want: Vec<(i64, i64)> = positions(shape, &strides[0], offsets[0])
                .into_iter()
                .zip(positions(shape, &strides[1], offsets[1]))
                .collect();
            want.sort();
            assert_eq!(got, want, "limit {limit}, shape {shape:?}");
        }
    }
}

/// An output layout: (what, shape, buffer length, strides, offset).
type OutLayout = (&'static str, Vec<usize>, usize, Vec<isize>, usize);

/// Output layouts for packed dtypes, each a writeable view of a dense array.
fn scatter_layouts() -> Vec<OutLayout> {
    vec![
        ("x[::2]", vec![37], 74, vec![2], 0),
        ("x[1::3]", vec![20], 61, vec![3], 1),
        ("x[::-1]", vec![33], 33, vec![-1], 32),
        ("x[::-2]", vec![15], 30, vec![-2], 29),
        ("x.T of (7, 6)", vec![6, 7], 42, vec![1, 6], 0),
        ("img[:, :, 0] of (5, 7, 3)", vec![5, 7], 105, vec![21, 3], 0),
        ("img[:, :, 2] of (5, 7, 3)", vec![5, 7], 105, vec![21, 3], 2),
        ("img[:, :, 1].T", vec![7, 5], 105, vec![3, 21], 1),
        ("x[:, 2] of (6, 5)", vec![6], 30, vec![5], 2),
        // x[1:4, 2:8:2, ::-3] of a (4, 9, 10) array, and a transpose of it.
        (
            "3-D with offsets",
            vec![3, 3, 4],
            360,
            vec![90, 20, -3],
            119,
        ),
        ("3-D transposed", vec![4, 3, 3], 360, vec![-3, 90, 20], 119),
        // x[2:, ::2][:, :, 1:] of (3, 4, 5): a length-1 axis and a row gap.
        (
            "with a length-1 axis",
            vec![1, 2, 4],
            60,
            vec![20, 10, 1],
            41,
        ),
    ]
}

/// F-order (dense, transposed) strides of `shape`.
fn f_strides(shape: &[usize]) -> Vec<isize> {
    let mut s = vec![0isize; shape.len()];
    let mut acc = 1;
    for d in 0..shape.len() {
        s[d] = acc;
        acc *= shape[d] as isize;
    }
    s
}

/// C-order strides of `shape`.
fn c_order(shape: &[usize]) -> Vec<isize> {
    let mut s = vec![0isize; shape.len()];
    let mut acc = 1;
    for d in (0..shape.len()).rev() {
        s[d] = acc;
        acc *= shape[d] as isize;
    }
    s
}

/// Binary ops, a cast copy and in-place updates into every layout of
/// [`scatter_layouts`] for the packed dtypes, each against the CPU
/// reference over the whole output buffer (the bytes outside the view
/// must be unchanged).
fn check_scatter_layouts(dev: &GpuDevice, layouts: &[OutLayout]) {
    for dt in [DType::U8, DType::Bool, DType::BF16] {
        for (what, shape, len, strides, offset) in layouts {
            let n: usize = shape.iter().product();
            let out = HostView {
                dtype: dt,
                data: sample(dt, *len, 41),
                strides: strides.clone(),
                offset: *offset,
            };
            // x[view] = a op b: a dense in C order (at an offset), b in F
            // order; then a broadcast row.
            let a = HostView {
                dtype: dt,
                data: sample(dt, n + 3, 42),
                strides: c_order(shape),
                offset: 3,
            };
            let b = HostView {
                dtype: dt,
                data: sample(dt, n, 43),
                strides: f_strides(shape),
                offset: 0,
            };
            let mut row_strides = c_order(shape);
            row_strides[0] = 0;
            let row = HostView {
                dtype: dt,
                data: sample(dt, n / shape[0], 44),
                strides: row_strides,
                offset: 0,
            };
            for op in &BINOPS[..2] {
                check_binary(dev, op, dt, shape, &a, &b, &out);
                check_binary(dev, op, dt, shape, &b, &row, &out);
            }
            // A converting copy (f32 -> dt), through `copy`.
            let src: Vec<f32> = sample(DType::F32, n, 45)
                .iter()
                .map(|&v| v as f32)
                .collect();
            let gsrc = upload(dev, bytemuck::cast_slice(&src)).unwrap();
            let gout = upload(dev, &bytes_of(dt, &out.data)).unwrap();
            let src_strides = c_order(shape);
            copy(
                dev,
                shape,
                &GpuView {
                    buf: &gout,
                    dtype: dt,
                    strides,
                    offset: *offset,
                },
                &GpuView {
                    buf: &gsrc,
                    dtype: DType::F32,
                    strides: &src_strides,
                    offset: 0,
                },
            )
            .unwrap_or_else(|e| panic!("copy into {what} ({dt}): {e}"));
            let got = values_of(dt, &download(&gout, 0, gout.size()).unwrap());
            let mut want = out.data.clone();
            for (i, p) in positions(shape, strides, *offset).into_iter().enumerate() {
                want[p as usize] = cast(dt, src[i] as f64);
            }
            assert_eq!(got, want, "copy into {what} ({dt})");
            // In place: x[view] += y and x[view] += x[view], reading the
            // output's own elements, with no copy.
            let me = || Src::Out {
                strides: strides.clone(),
                offset: *offset,
            };
            let mine = [[me(), Src::Own(a_like(&a))], [me(), me()]];
            for srcs in mine {
                let allocated = check_inplace(dev, &BINOPS[0], dt, shape, &out, &srcs);
                assert_eq!(allocated, 0, "{what} ({dt}): an in-place input was copied");
            }
        }
    }
}

#[test]
fn packed_outputs_in_any_layout_match_cpu() {
    let Some(dev) = gpu_with(GpuOptions::default()) else {
        return;
    };
    check_scatter_layouts(&dev, &scatter_layouts());
    // The dense-but-reversed and transposed outputs use the dense kernel;
    // the others the scatter kernel.
    let names: Vec<String> = super::context::lock(&dev.ctx.pipelines)
        .keys()
        .map(|k| k.name())
        .collect();
    for want in [
        "add_u8_scatter",
        "add_bool_scatter",
        "multiply_bf16_scatter",
        "copy_f32-u8-u8_scatter",
        "add_u8_strided",
        "add_u8_scatter_a0_a1",
    ] {
        assert!(names.iter().any(|n| n == want), "no {want} in {names:?}");
    }
}

#[test]
fn packed_strided_outputs_detach_other_inputs_on_their_buffer() {
    let Some(dev) = gpu_with(GpuOptions::default()) else {
        return;
    };
    for dt in [DType::U8, DType::Bool, DType::BF16] {
        let buf = GpuBuffer::zeros(&dev, 256).unwrap();
        let v = |strides, offset| GpuView {
            buf: &buf,
            dtype: dt,
            strides,
            offset,
        };
        // x[::2] += x[1::2]: disjoint elements, but in the words that the
        // output's invocations rewrite: copied.
        assert!(needs_detach(&v(&[2], 0), &v(&[2], 1), &[16]));
        // img[:, :, 0] += img[:, :, 1]: likewise.
        assert!(needs_detach(&v(&[12, 3], 0), &v(&[12, 3], 1), &[4, 4]));
        // x[::2] += x[::2]: its own elements, not copied.
        assert!(!needs_detach(&v(&[2], 0), &v(&[2], 0), &[16]));

        let op = &BINOPS[0];
        let out = HostView {
            dtype: dt,
            data: sample(dt, 31, 51),
            strides: vec![2],
            offset: 0,
        };
        let srcs = [
            Src::Out {
                strides: vec![2],
                offset: 0,
            },
            Src::Out {
                strides: vec![2],
                offset: 1,
            },
        ];
        let allocated = check_inplace(&dev, op, dt, &[15], &out, &srcs);
        assert_eq!(allocated, 1, "{dt}: x[::2] += x[1::2] copies x[1::2] only");
        // x[::-1] = x + x[::-1] (x read as it was): one copy.
        let out = HostView {
            dtype: dt,
            data: sample(dt, 23, 52),
            strides: vec![-1],
            offset: 22,
        };
        let srcs = [
            Src::Out {
                strides: vec![1],
                offset: 0,
            },
            Src::Out {
                strides: vec![-1],
                offset: 22,
            },
        ];
        let allocated = check_inplace(&dev, op, dt, &[23], &out, &srcs);
        assert_eq!(allocated, 1, "{dt}: x[::-1] = x + x[::-1]");
    }
}

#[test]
fn packed_outputs_in_any_layout_under_chunked_bindings_and_2d_grids() {
    // 4 KiB bindings and 2 workgroups per grid dimension: the launches
    // below are split into windows, each on a 2-D grid.
    let Some(dev) = gpu_with(GpuOptions {
        max_binding_size: Some(4096),
        max_workgroups_per_dim: Some(2),
        ..GpuOptions::default()
    }) else {
        return;
    };
    let big = vec![
        ("x[::3] of 13000", vec![4334], 13002, vec![3], 0),
        ("x[::-5] of 9000", vec![1800], 9000, vec![-5], 8999),
        (
            "img[:, :, 1] of (40, 50, 3)",
            vec![40, 50],
            6000,
            vec![150, 3],
            1,
        ),
        ("img[::-1, :, 2].T", vec![50, 40], 6000, vec![3, -150], 5852),
        ("x[:, 3] of (900, 7)", vec![900], 6300, vec![7], 3),
        ("3-D block", vec![10, 12, 20], 12000, vec![1200, 40, 2], 41),
    ];
    let before = dev.dispatches();
    check_scatter_layouts(&dev, &big);
    let launched = dev.dispatches() - before;
    assert!(launched > 200, "{launched} dispatches");
    // Small ones too (one window each).
    check_scatter_layouts(&dev, &scatter_layouts());
    // img[:, :, 1] = a with `a` a (40, 50) float32 array in F order: a word
    // holding the end of one row and the start of the next needs elements
    // 7,840 bytes apart, more than a binding holds. The op goes through an
    // unpacked temporary laid out like the output, then packs it.
    let (rows, cols) = (40usize, 50usize);
    let src: Vec<f32> = (0..rows * cols).map(|i| (i % 251) as f32).collect();
    let gsrc = upload(&dev, bytemuck::cast_slice(&src)).unwrap();
    let old = sample(DType::U8, rows * cols * 3, 61);
    let img = upload(&dev, &bytes_of(DType::U8, &old)).unwrap();
    let img_view = GpuView {
        buf: &img,
        dtype: DType::U8,
        strides: &[3 * cols as isize, 3],
        offset: 1,
    };
    let src_view = GpuView {
        buf: &gsrc,
        dtype: DType::F32,
        strides: &[1, rows as isize],
        offset: 0,
    };
    // The temporary is an implicit copy: refused inside `no_copies` (before
    // anything is allocated), recorded otherwise.
    let before = allocations(&dev);
    let refused = crate::no_copies(|| copy(&dev, &[rows, cols], &img_view, &src_view));
    assert!(refused
        .unwrap_err()
        .to_string()
        .contains("unpacked temporary"));
    assert_eq!(allocations(&dev), before);
    let (done, report) = crate::track(|| copy(&dev, &[rows, cols], &img_view, &src_view));
    done.unwrap();
    assert_eq!(report.implicit_copies(), 1, "{report}");
    assert_eq!(report.copy_bytes(), rows * cols * 4);
    assert!(
        report.events()[0]
            .reason
            .contains("copy as uint32, to uint8"),
        "{report}"
    );
    assert_eq!(allocations(&dev) - before, 1, "one unpacked temporary");
    let got = values_of(DType::U8, &download(&img, 0, img.size()).unwrap());
    let mut want = old.clone();
    for r in 0..rows {
        for c in 0..cols {
            want[r * 3 * cols + 3 * c + 1] = src[r + c * rows] as f64;
        }
    }
    assert_eq!(got, want, "img[:, :, 1] = a (F order) through a temporary");
    // Whole buffers in one binding, launches of up to 1024 words on 2 x 2
    // workgroups.
    let Some(grid) = gpu_with(GpuOptions {
        max_workgroups_per_dim: Some(2),
        ..GpuOptions::default()
    }) else {
        return;
    };
    check_scatter_layouts(&grid, &big);
}

#[test]
fn packed_outputs_split_along_outer_axes_beyond_the_decodable_span() {
    // A tiny span stands in for the 2^31 elements one launch decodes: the
    // views below are split along their outer axes into many launches.
    let Some(dev) = gpu_with(GpuOptions {
        max_binding_size: Some(4096),
        ..GpuOptions::default()
    }) else {
        return;
    };
    super::kernels::SCATTER_SPAN_FOR_TESTS.with(|c| c.set(Some(50)));
    let before = dev.dispatches();
    let mut layouts = scatter_layouts();
    layouts.push((
        "img[:, :, 1] of (40, 50, 3)",
        vec![40, 50],
        6000,
        vec![150, 3],
        1,
    ));
    check_scatter_layouts(&dev, &layouts);
    super::kernels::SCATTER_SPAN_FOR_TESTS.with(|c| c.set(None));
    let launched = dev.dispatches() - before;
    assert!(launched > 1000, "{launched} dispatches");
}

// ---------------------------------------------------------------------------
// Device tests: reductions
// ---------------------------------------------------------------------------

fn reduce_host(op: ReduceOp, vals: &[f64]) -> f64 {
    match op {
        ReduceOp::Sum => vals.iter().sum(),
        ReduceOp::Prod => vals.iter().product(),
        ReduceOp::Min => vals.iter().copied().fold(f64::INFINITY, f64::min),
        ReduceOp::Max => vals.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        ReduceOp::ArgMin | ReduceOp::ArgMax => {
            let mut best = 0;
            for (i, &v) in vals.iter().enumerate() {
                let better = if op == ReduceOp::ArgMin {
                    v < vals[best]
                } else {
                    v > vals[best]
                };
                if better {
                    best = i;
                }
            }
            best as f64
        }
        ReduceOp::Any => vals.iter().any(|&v| v != 0.0) as u8 as f64,
        ReduceOp::All => vals.iter().all(|&v| v != 0.0) as u8 as f64,
    }
}

/// Reduce an (m, n) array of `dt` over all, axis 0 and axis 1 with `op`,
/// accumulating in `acc`, and compare with the CPU.
#[allow(clippy::too_many_arguments)]
fn check_reduce(
    dev: &GpuDevice,
    op: ReduceOp,
    dt: DType,
    acc: DType,
    out_dt: DType,
    m: usize,
    n: usize,
    data: &[f64],
) {
    let buf = upload(dev, &bytes_of(dt, data)).unwrap();
    let input = GpuView {
        buf: &buf,
        dtype: dt,
        strides: &[],
        offset: 0,
    };
    let tol = |want: f64| {
        if acc.is_float() && matches!(op, ReduceOp::Sum | ReduceOp::Prod) {
            want.abs() * 1e-5 + 1e-3
        } else {
            0.0
        }
    };
    // (outer shape, outer strides, reduced shape, reduced strides)
    type Case = (&'static str, Vec<usize>, Vec<isize>, Vec<usize>, Vec<isize>);
    let cases: [Case; 3] = [
        ("all", vec![], vec![], vec![m, n], vec![n as isize, 1]),
        ("axis 0", vec![n], vec![1], vec![m], vec![n as isize]),
        ("axis 1", vec![m], vec![n as isize], vec![n], vec![1]),
    ];
    for (what, oshape, ostr, rshape, rstr) in cases {
        let n_out: usize = oshape.iter().product();
        let out = GpuBuffer::zeros(dev, (n_out * out_dt.itemsize()) as u64).unwrap();
        reduce(
            dev,
            op,
            acc,
            &input,
            &oshape,
            &ostr,
            &rshape,
            &rstr,
            &GpuView {
                buf: &out,
                dtype: out_dt,
                strides: if oshape.is_empty() { &[] } else { &[1] },
                offset: 0,
            },
        )
        .unwrap_or_else(|e| panic!("{} {dt} {what}: {e}", op.name()));
        let got = values_of(out_dt, &download(&out, 0, out.size()).unwrap());
        assert_eq!(got.len(), n_out);
        for (o, &g) in got.iter().enumerate() {
            let block: Vec<f64> = multi_indices(&rshape)
                .iter()
                .map(|r| {
                    let mut e = 0isize;
                    let mut oi = o;
                    for d in (0..oshape.len()).rev() {
                        e += (oi % oshape[d]) as isize * ostr[d];
                        oi /= oshape[d];
                    }
                    e += r
                        .iter()
                        .zip(&rstr)
                        .map(|(&i, &s)| i as isize * s)
                        .sum::<isize>();
                    cast(acc, data[e as usize])
                })
                .collect();
            let want = cast(out_dt, reduce_host(op, &block));
            assert!(
                (g - want).abs() <= tol(want),
                "{} {dt}->{acc} {what} ({m}, {n}) output {o}: got {g}, want {want}",
                op.name(),
            );
        }
    }
}

fn check_reductions(dev: &GpuDevice, m: usize, n: usize) {
    for (op, dt, acc, out) in [
        (ReduceOp::Sum, DType::F32, DType::F32, DType::F32),
        (ReduceOp::Sum, DType::I32, DType::I64, DType::I64),
        (ReduceOp::Sum, DType::U8, DType::U32, DType::U32),
        (ReduceOp::Sum, DType::Bool, DType::I32, DType::I32),
        (ReduceOp::Sum, DType::F16, DType::F32, DType::F16),
        (ReduceOp::Max, DType::F32, DType::F32, DType::F32),
        (ReduceOp::Min, DType::I32, DType::I32, DType::I32),
        (ReduceOp::Max, DType::U8, DType::U8, DType::U8),
        (ReduceOp::ArgMax, DType::F32, DType::F32, DType::I64),
        (ReduceOp::ArgMin, DType::I32, DType::I32, DType::I32),
        (ReduceOp::ArgMax, DType::BF16, DType::BF16, DType::I64),
        (ReduceOp::Any, DType::F32, DType::Bool, DType::Bool),
        (ReduceOp::All, DType::I32, DType::Bool, DType::Bool),
        (ReduceOp::Prod, DType::I64, DType::I64, DType::I64),
        (ReduceOp::Sum, DType::F64, DType::F64, DType::F64),
    ] {
        if ![dt, acc, out].iter().all(|&d| dev.supports(d)) {
            continue;
        }
        let data: Vec<f64> = match op {
            // Coarse values make ties (argmin/argmax must pick the first).
            ReduceOp::ArgMax | ReduceOp::ArgMin | ReduceOp::Max | ReduceOp::Min => {
                sample(dt, m * n, 11)
                    .iter()
                    .map(|v| cast(dt, (v / 8.0).round()))
                    .collect()
            }
            ReduceOp::Prod => sample(DType::I32, m * n, 12)
                .iter()
                .map(|v| if v.abs() < 900.0 { 1.0 } else { v.signum() })
                .collect(),
            ReduceOp::All => sample(DType::I32, m * n, 13)
                .iter()
                .map(|v| if v.abs() < 995.0 { 1.0 } else { 0.0 })
                .collect(),
            ReduceOp::Any => sample(DType::I32, m * n, 14)
                .iter()
                .map(|v| if v.abs() > 995.0 { 1.5 } else { 0.0 })
                .collect(),
            _ => sample(dt, m * n, 15),
        };
        check_reduce(dev, op, dt, acc, out, m, n, &data);
    }
}

#[test]
fn reductions_match_cpu() {
    let Some(dev) = gpu() else { return };
    // Small blocks (one invocation per output), large blocks (workgroups),
    // and a block long enough for partial sums and a second pass.
    check_reductions(&dev, 3, 5);
    check_reductions(&dev, 37, 300);
    check_reductions(&dev, 3000, 4);
    check_reductions(&dev, 2, 20_000);
}

#[test]
fn argmax_ties_and_nan_pick_the_first() {
    let Some(dev) = gpu() else { return };
    let n = 10_000;
    let mut data = vec![1.0f32; n];
    data[7000] = 5.0;
    data[9000] = 5.0;
    data[8000] = 5.0;
    let run = |data: &[f32], op| {
        let buf = upload(&dev, bytemuck::cast_slice(data)).unwrap();
        let out = GpuBuffer::empty(&dev, 8).unwrap();
        reduce(
            &dev,
            op,
            DType::F32,
            &GpuView {
                buf: &buf,
                dtype: DType::F32,
                strides: &[],
                offset: 0,
            },
            &[],
            &[],
            &[n],
            &[1],
            &GpuView {
                buf: &out,
                dtype: DType::I64,
                strides: &[],
                offset: 0,
            },
        )
        .unwrap();
        i64::from_le_bytes(download(&out, 0, 8).unwrap().try_into().unwrap())
    };
    assert_eq!(run(&data, ReduceOp::ArgMax), 7000);
    assert_eq!(run(&data, ReduceOp::ArgMin), 0);
    data[8500] = f32::NAN;
    data[9500] = f32::NAN;
    assert_eq!(run(&data, ReduceOp::ArgMax), 8500);
    assert_eq!(run(&data, ReduceOp::ArgMin), 8500);
}

#[test]
fn empty_reductions() {
    let Some(dev) = gpu() else { return };
    let buf = GpuBuffer::zeros(&dev, 16).unwrap();
    let out = GpuBuffer::zeros(&dev, 16).unwrap();
    let input = GpuView {
        buf: &buf,
        dtype: DType::F32,
        strides: &[],
        offset: 0,
    };
    let o = GpuView {
        buf: &out,
        dtype: DType::F32,
        strides: &[1],
        offset: 0,
    };
    let e = reduce(
        &dev,
        ReduceOp::Max,
        DType::F32,
        &input,
        &[2],
        &[0],
        &[0],
        &[1],
        &o,
    )
    .unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::EmptyReduction);
    // A sum over nothing is 0; a product over nothing is 1.
    out.write(0, bytemuck::cast_slice(&[9.0f32, 9.0])).unwrap();
    reduce(
        &dev,
        ReduceOp::Prod,
        DType::F32,
        &input,
        &[2],
        &[0],
        &[0],
        &[1],
        &o,
    )
    .unwrap();
    let got: Vec<f32> = bytemuck::cast_slice(&download(&out, 0, 8).unwrap()).to_vec();
    assert_eq!(got, [1.0, 1.0]);
}

// ---------------------------------------------------------------------------
// Device tests: batching
// ---------------------------------------------------------------------------

/// Run 1,000 small dependent ops; `flush_each` submits after every op.
fn chain(dev: &GpuDevice, flush_each: bool) -> (Vec<f32>, u64, std::time::Duration) {
    let x: Vec<f32> = (0..64).map(|i| i as f32 * 0.25).collect();
    let mut cur = upload(dev, bytemuck::cast_slice(&x)).unwrap();
    let op = ElementwiseOp {
        name: "step",
        expr: "x0 * C(0.5) + C(1)",
        functions: "",
        compute: DType::F32,
        out: DType::F32,
    };
    fn view(buf: &GpuBuffer) -> GpuView<'_> {
        GpuView {
            buf,
            dtype: DType::F32,
            strides: &[1],
            offset: 0,
        }
    }
    dev.synchronize().unwrap();
    let before = dev.submissions();
    let t = std::time::Instant::now();
    for _ in 0..1000 {
        let next = GpuBuffer::empty(dev, 256).unwrap();
        elementwise(dev, &op, &[64], &view(&next), &[view(&cur)]).unwrap();
        cur = next;
        if flush_each {
            dev.synchronize().unwrap();
        }
    }
    let out: Vec<f32> = bytemuck::cast_slice(&download(&cur, 0, 256).unwrap()).to_vec();
    (out, dev.submissions() - before, t.elapsed())
}

#[test]
fn a_chain_of_1000_ops_is_one_submission() {
    let Some(dev) = gpu_with(GpuOptions::default()) else {
        return;
    };
    let (batched, subs_batched, t_batched) = chain(&dev, false);
    let (eager, subs_eager, t_eager) = chain(&dev, true);
    eprintln!(
        "1,000 ops: batched {t_batched:?} in {subs_batched} submission(s); waiting after each \
         op {t_eager:?} in {subs_eager} submissions"
    );
    assert_eq!(batched, eager);
    assert_eq!(subs_batched, 1);
    assert_eq!(subs_eager, 1001); // one per op, plus the read-back
                                  // CPU reference.
    let mut want: Vec<f32> = (0..64).map(|i| i as f32 * 0.25).collect();
    for _ in 0..1000 {
        for v in &mut want {
            *v = *v * 0.5 + 1.0;
        }
    }
    assert_eq!(batched, want);
    // The pipeline was compiled once.
    assert_eq!(dev.cached_pipelines(), 1, "{:?}", kernel_names(&dev));
}

#[test]
fn batch_limit_submits_on_its_own() {
    let Some(dev) = gpu_with(GpuOptions {
        batch_limit: 10,
        ..GpuOptions::default()
    }) else {
        return;
    };
    let buf = GpuBuffer::zeros(&dev, 64).unwrap();
    let before = dev.submissions();
    for _ in 0..25 {
        copy(
            &dev,
            &[16],
            &GpuView {
                buf: &buf,
                dtype: DType::F32,
                strides: &[1],
                offset: 0,
            },
            &GpuView {
                buf: &buf,
                dtype: DType::F32,
                strides: &[-1],
                offset: 15,
            },
        )
        .unwrap();
    }
    assert!(dev.submissions() - before >= 2);
    dev.synchronize().unwrap();
}
