//! Advanced indexing on the device: [`gather`] (`x[index]`) and [`scatter`]
//! (`x[index] = value`), driven by element tables that the array layer
//! computes on the host from bounds-checked index arrays
//! (`shaders/gather.wgsl`, `shaders/scatter.wgsl`).

use crate::dtype::DType;
use crate::error::{Error, Result};

use super::buffer::GpuBuffer;
use super::codegen::{self, convert};
use super::context::{GpuDevice, WORKGROUP_SIZE};
use super::launch::{self, Access, KernelKey, Window};
use super::template::fill;

const COMMON: &str = include_str!("../../shaders/common.wgsl");
const GATHER: &str = include_str!("../../shaders/gather.wgsl");
const SCATTER: &str = include_str!("../../shaders/scatter.wgsl");

/// Output elements per gather chunk are a multiple of this, so that every
/// chunk's windows start at offsets aligned for any dtype (1024 bytes or
/// more, a multiple of the 256-byte binding alignment).
const CHUNK_ALIGN: u64 = 1024;

fn check_device(op: &'static str, dev: &GpuDevice, bufs: &[&GpuBuffer]) -> Result<()> {
    for b in bufs {
        if b.device().id() != dev.id() {
            return Err(Error::Device {
                op,
                reason: format!(
                    "a buffer is on gpu:{} but the kernel runs on gpu:{}",
                    b.device().id(),
                    dev.id()
                ),
            });
        }
    }
    Ok(())
}

fn too_small(op: &'static str, what: &str, have: u64, need: u64) -> Error {
    Error::Value {
        op,
        reason: format!("the {what} buffer holds {have} bytes but {need} are needed"),
    }
}

/// A window of `len` bytes at `offset` of `buf`, widened to whole words and
/// kept inside the allocation.
fn window(buf: &GpuBuffer, offset: u64, len: u64) -> Window {
    let size = len.div_ceil(4).max(1) * 4;
    Window {
        offset,
        size: size.min(buf.raw().size() - offset),
        elem_offset: 0,
    }
}

/// The bits of lane `t` (a `u32` expression) of a packed array `buf`.
fn lane_of(buf: &str, t: &str, lanes: u32) -> String {
    let bits = 32 / lanes;
    format!(
        "((({buf}[({t}) / {lanes}u]) >> ((({t}) % {lanes}u) * {bits}u)) & {:#x}u)",
        (1u64 << bits) - 1
    )
}

/// The gather shader for `dtype`.
pub(crate) fn gather_source(dtype: DType) -> Result<String> {
    let lanes = codegen::lanes(dtype);
    let body = if lanes == 1 {
        "    out0[w] = src[table[w]];".to_string()
    } else {
        let bits = 32 / lanes;
        format!(
            "    var word = 0u;\n    for (var j = 0u; j < LANES; j++) {{\n        \
             let e = w * LANES + j;\n        if (e < count) {{\n            \
             word |= {} << (j * {bits}u);\n        }}\n    }}\n    out0[w] = word;",
            lane_of("src", "table[e]", lanes)
        )
    };
    fill(
        &format!("gather.wgsl (gather_{dtype})"),
        GATHER,
        &[
            ("enables", &codegen::enables(&[dtype], "")),
            ("workgroup_size", &WORKGROUP_SIZE.to_string()),
            ("lanes", &lanes.to_string()),
            ("common", COMMON),
            ("out_word", codegen::word(dtype)),
            ("body", &body),
        ],
    )
}

/// The scatter shader writing `dst` dtype from `src` dtype values.
pub(crate) fn scatter_source(dst: DType, src: DType) -> Result<String> {
    let lanes = codegen::lanes(dst);
    let value = convert(src, dst, &codegen::load(src, "src", "e.y"));
    let body = if lanes == 1 {
        format!("    let e = entries[first];\n    dst[e.x] = {value};")
    } else {
        let bits = 32 / lanes;
        let mask = format!("{:#x}u", (1u64 << bits) - 1);
        format!(
            "    let w = entries[first].x / LANES;\n    var word = dst[w];\n    \
             for (var k = first; k < last && k < first + LANES; k++) {{\n        \
             let e = entries[k];\n        let shift = (e.x % LANES) * {bits}u;\n        \
             word = (word & ~({mask} << shift)) | (({} & {mask}) << shift);\n    }}\n    \
             dst[w] = word;",
            codegen::lane_bits(dst, &value)
        )
    };
    fill(
        &format!("scatter.wgsl (scatter_{src}_to_{dst})"),
        SCATTER,
        &[
            ("enables", &codegen::enables(&[dst, src], "")),
            ("workgroup_size", &WORKGROUP_SIZE.to_string()),
            ("lanes", &lanes.to_string()),
            ("common", COMMON),
            ("helpers", &codegen::helpers(&body)),
            ("dst_word", codegen::word(dst)),
            ("src_word", codegen::word(src)),
            ("body", &body),
        ],
    )
}

/// Gather `n` elements of `dtype` into the fresh, dense buffer `out`:
/// element `e` of `out` is element `table[e]` of `src` (`table` holds `n`
/// `u32` element indices, already bounds-checked by the caller). The
/// output and the table are processed in chunks when they exceed one
/// binding; `src` must fit in one.
///
/// # Errors
///
/// [`Error::Value`] when a buffer is too small for `n` elements or `src`
/// exceeds the device's binding size (the array layer then indexes through
/// the host); [`Error::DType`] for a dtype the adapter cannot run;
/// [`Error::Device`] for buffers on another device.
///
/// ```
/// use strider::gpu::{download, gather, upload, GpuBuffer, GpuDevice};
/// use strider::DType;
/// let Ok(dev) = GpuDevice::default_device() else { return };
/// let src = upload(&dev, bytemuck::cast_slice(&[10i32, 11, 12, 13])).unwrap();
/// let table = upload(&dev, bytemuck::cast_slice(&[3u32, 0, 3])).unwrap();
/// let out = GpuBuffer::empty(&dev, 12).unwrap();
/// gather(&dev, DType::I32, &out, &src, &table, 3).unwrap();
/// let got: Vec<i32> = bytemuck::cast_slice(&download(&out, 0, 12).unwrap()).to_vec();
/// assert_eq!(got, [13, 10, 13]);
/// ```
pub fn gather(
    dev: &GpuDevice,
    dtype: DType,
    out: &GpuBuffer,
    src: &GpuBuffer,
    table: &GpuBuffer,
    n: u64,
) -> Result<()> {
    const OP: &str = "gather";
    check_device(OP, dev, &[out, src, table])?;
    dev.check_dtypes(OP, &[dtype])?;
    let item = dtype.itemsize() as u64;
    if out.size() < n * item {
        return Err(too_small(OP, "output", out.size(), n * item));
    }
    if table.size() < 4 * n {
        return Err(too_small(OP, "table", table.size(), 4 * n));
    }
    let max_binding = dev.ctx.launch.max_binding;
    if src.size() > max_binding {
        return Err(Error::Value {
            op: OP,
            reason: format!(
                "the source buffer ({} bytes) exceeds one storage binding ({max_binding} bytes)",
                src.size()
            ),
        });
    }
    if n == 0 {
        return Ok(());
    }
    let key = KernelKey {
        op: OP.to_string(),
        expr: String::new(),
        dtypes: vec![dtype],
        variant: "dense".to_string(),
    };
    let slots = [(1, Access::ReadWrite), (2, Access::Read), (3, Access::Read)];
    let kernel = launch::kernel(dev, OP, &key, "main", &slots, || gather_source(dtype))?;
    let lanes = u64::from(codegen::lanes(dtype));
    let per_binding = max_binding / item.max(4) / CHUNK_ALIGN * CHUNK_ALIGN;
    let chunk = per_binding.max(CHUNK_ALIGN);
    let src_window = window(src, 0, src.size());
    let mut e0 = 0;
    while e0 < n {
        let len = chunk.min(n - e0);
        let words = len.div_ceil(lanes);
        let out_window = window(out, e0 * item, len * item);
        let table_window = window(table, e0 * 4, len * 4);
        launch::dispatch(
            dev,
            OP,
            &kernel,
            &[words as u32, len as u32],
            &[
                (out, &out_window),
                (src, &src_window),
                (table, &table_window),
            ],
            words.div_ceil(u64::from(WORKGROUP_SIZE)),
        )?;
        e0 += len;
    }
    Ok(())
}

/// Write values into `dst` by `segments` segments of `entries`: each entry
/// is a pair of `u32` (destination element of `dst`, source element of
/// `src`), at most one entry per destination element, sorted by
/// destination; segment `s` is entries `starts[s]..starts[s + 1]`
/// (`starts` holds `segments + 1` `u32`) and covers exactly the entries of
/// one destination word (one element of an unpacked dtype; the elements
/// sharing a 32-bit word of a packed one). Values are converted from
/// `src_dtype` to `dst_dtype`. All four buffers must fit in one binding.
///
/// # Errors
///
/// [`Error::Value`] when a buffer exceeds the device's binding size (the
/// array layer then assigns through the host); [`Error::DType`] for a
/// dtype the adapter cannot run; [`Error::Device`] for buffers on another
/// device.
///
/// ```
/// use strider::gpu::{download, scatter, upload, GpuDevice};
/// use strider::DType;
/// let Ok(dev) = GpuDevice::default_device() else { return };
/// let dst = upload(&dev, &[0u8; 8]).unwrap();
/// let src = upload(&dev, bytemuck::cast_slice(&[7.9f32, 300.0])).unwrap();
/// // dst[1] = 7.9, dst[2] = 300.0 (one word: one segment), dst[6] = 7.9.
/// let entries = upload(&dev, bytemuck::cast_slice(&[1u32, 0, 2, 1, 6, 0])).unwrap();
/// let starts = upload(&dev, bytemuck::cast_slice(&[0u32, 2, 3])).unwrap();
/// scatter(&dev, DType::U8, &dst, DType::F32, &src, &entries, &starts, 2).unwrap();
/// assert_eq!(download(&dst, 0, 8).unwrap(), [0, 7, 44, 0, 0, 0, 7, 0]);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn scatter(
    dev: &GpuDevice,
    dst_dtype: DType,
    dst: &GpuBuffer,
    src_dtype: DType,
    src: &GpuBuffer,
    entries: &GpuBuffer,
    starts: &GpuBuffer,
    segments: u64,
) -> Result<()> {
    const OP: &str = "scatter";
    check_device(OP, dev, &[dst, src, entries, starts])?;
    dev.check_dtypes(OP, &[dst_dtype, src_dtype])?;
    if starts.size() < 4 * (segments + 1) {
        return Err(too_small(OP, "starts", starts.size(), 4 * (segments + 1)));
    }
    let max_binding = dev.ctx.launch.max_binding;
    for (what, b) in [
        ("destination", dst),
        ("source", src),
        ("entries", entries),
        ("starts", starts),
    ] {
        if b.size() > max_binding {
            return Err(Error::Value {
                op: OP,
                reason: format!(
                    "the {what} buffer ({} bytes) exceeds one storage binding ({max_binding} bytes)",
                    b.size()
                ),
            });
        }
    }
    if segments == 0 {
        return Ok(());
    }
    let key = KernelKey {
        op: OP.to_string(),
        expr: String::new(),
        dtypes: vec![src_dtype, dst_dtype],
        variant: "segments".to_string(),
    };
    let slots = [
        (1, Access::ReadWrite),
        (2, Access::Read),
        (3, Access::Read),
        (4, Access::Read),
    ];
    let kernel = launch::kernel(dev, OP, &key, "main", &slots, || {
        scatter_source(dst_dtype, src_dtype)
    })?;
    let whole = |b: &GpuBuffer| window(b, 0, b.size());
    let (wd, ws, we, wt) = (whole(dst), whole(src), whole(entries), whole(starts));
    launch::dispatch(
        dev,
        OP,
        &kernel,
        &[segments as u32],
        &[(dst, &wd), (src, &ws), (entries, &we), (starts, &wt)],
        segments.div_ceil(u64::from(WORKGROUP_SIZE)),
    )
}
