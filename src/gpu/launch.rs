//! Launching kernels: the pipeline cache, the batch of recorded commands,
//! 2-D grids, and chunking of arrays larger than one storage binding.
//!
//! **Batching.** Kernels and copies are recorded into one command encoder
//! held by the device. It is submitted when a result is read back
//! ([`download`](super::download)), when [`GpuDevice::flush`] is called,
//! or when `batch_limit` dispatches have been recorded. Each dispatch's
//! parameters go into a host-side arena that is written to the device with
//! one `write_buffer` just before the submission, so a chain of small ops
//! costs neither a round trip nor a buffer allocation per op.
//!
//! **Grids.** Kernels compute a linear invocation (or workgroup) index from
//! a 1-D grid, or a 2-D grid when more than `max_compute_workgroups_per_dimension`
//! workgroups are needed, and bounds-check it.
//!
//! **Chunks.** A binding may not exceed `max_storage_buffer_binding_size`,
//! and its offset must be a multiple of `min_storage_buffer_offset_alignment`.
//! When an operand's buffer is larger, the work is split into contiguous
//! ranges of work items; for each range every operand is bound to the
//! aligned window of its buffer that the range touches (computed exactly
//! from shape and strides), and the element offset relative to the window
//! goes into the parameters.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::dtype::DType;
use crate::error::{Error, Result};

use super::buffer::GpuBuffer;
use super::context::{lock, GpuDevice, LaunchLimits};

/// Bytes per parameter arena chunk.
const ARENA_CHUNK: u64 = 256 << 10;

/// Identifies one compiled kernel: op, expression, dtypes and variant.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct KernelKey {
    pub op: String,
    pub expr: String,
    pub dtypes: Vec<DType>,
    pub variant: String,
}

impl KernelKey {
    /// The kernel name, `{op}_{dtype}_{variant}`: one dtype when all agree,
    /// otherwise every dtype joined by `-`.
    pub fn name(&self) -> String {
        let dts = if self.dtypes.windows(2).all(|w| w[0] == w[1]) {
            self.dtypes
                .first()
                .map(|d| short_name(*d).to_string())
                .unwrap_or_default()
        } else {
            let names: Vec<&str> = self.dtypes.iter().map(|d| short_name(*d)).collect();
            names.join("-")
        };
        format!("{}_{}_{}", self.op, dts, self.variant)
    }
}

/// The short dtype name used in kernel names (`f32`, `u8`, `bool`, ...).
pub(crate) fn short_name(dt: DType) -> &'static str {
    match dt {
        DType::Bool => "bool",
        DType::I8 => "i8",
        DType::U8 => "u8",
        DType::I16 => "i16",
        DType::U16 => "u16",
        DType::I32 => "i32",
        DType::U32 => "u32",
        DType::I64 => "i64",
        DType::U64 => "u64",
        DType::F16 => "f16",
        DType::BF16 => "bf16",
        DType::F32 => "f32",
        DType::F64 => "f64",
    }
}

/// A compiled kernel and the layout of its bind group.
pub(crate) struct Kernel {
    pub name: String,
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    /// Binding numbers after binding 0 (the parameters), in bind order.
    slots: Vec<u32>,
}

/// Access of one storage binding of a kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    ReadWrite,
}

/// The compiled kernel for `key`, built from `make_source()` on first use
/// and cached for the life of the device. `slots` lists the storage
/// bindings after the parameters (binding 0): number and access.
pub(crate) fn kernel(
    dev: &GpuDevice,
    op: &'static str,
    key: &KernelKey,
    entry_point: &str,
    slots: &[(u32, Access)],
    make_source: impl FnOnce() -> Result<String>,
) -> Result<Arc<Kernel>> {
    if let Some(k) = lock(&dev.ctx.pipelines).get(key) {
        return Ok(k.clone());
    }
    let name = key.name();
    let source = make_source()?;
    let device = &dev.ctx.device;
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(&name),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    });
    let storage = |binding: u32, read_only: bool| wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    };
    let mut entries = vec![storage(0, true)];
    entries.extend(
        slots
            .iter()
            .map(|&(b, access)| storage(b, access == Access::Read)),
    );
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some(&name),
        entries: &entries,
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(&name),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(&name),
        layout: Some(&pipeline_layout),
        module: &module,
        entry_point: Some(entry_point),
        compilation_options: wgpu::PipelineCompilationOptions {
            zero_initialize_workgroup_memory: false,
            ..Default::default()
        },
        cache: None,
    });
    if let Some(err) = pollster::block_on(scope.pop()) {
        return Err(Error::Device {
            op,
            reason: format!(
                "kernel {name} could not be built on {}: {err}",
                dev.ctx.info
            ),
        });
    }
    dev.check(op)?;
    let k = Arc::new(Kernel {
        name,
        pipeline,
        layout,
        slots: slots.iter().map(|s| s.0).collect(),
    });
    lock(&dev.ctx.pipelines).insert(key.clone(), k.clone());
    Ok(k)
}

/// One chunk of the parameter arena: a device buffer and the bytes that
/// will be written to it at the next submission.
struct ArenaChunk {
    buf: wgpu::Buffer,
    host: Vec<u8>,
}

/// Commands recorded but not yet submitted.
#[derive(Default)]
pub(crate) struct Batch {
    encoder: Option<wgpu::CommandEncoder>,
    recorded: usize,
    arena: Vec<ArenaChunk>,
    current: usize,
}

impl Batch {
    /// Reserve an aligned slot for `words` in the arena: (buffer, offset).
    fn params_slot(&mut self, dev: &GpuDevice, words: &[u32]) -> (wgpu::Buffer, u64) {
        let align = dev.ctx.launch.align as usize;
        let bytes: &[u8] = bytemuck::cast_slice(words);
        loop {
            if self.current == self.arena.len() {
                let buf = dev.ctx.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("strider params"),
                    size: ARENA_CHUNK,
                    usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                self.arena.push(ArenaChunk {
                    buf,
                    host: Vec::with_capacity(ARENA_CHUNK as usize),
                });
            }
            let chunk = &mut self.arena[self.current];
            let at = chunk.host.len().div_ceil(align) * align;
            if (at + bytes.len()) as u64 <= ARENA_CHUNK {
                chunk.host.resize(at, 0);
                chunk.host.extend_from_slice(bytes);
                return (chunk.buf.clone(), at as u64);
            }
            self.current += 1;
        }
    }

    fn encoder(&mut self, dev: &GpuDevice) -> &mut wgpu::CommandEncoder {
        self.encoder.get_or_insert_with(|| {
            dev.ctx
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("strider batch"),
                })
        })
    }
}

/// Submit the recorded batch (if any); `batch` must be the device's.
fn submit(dev: &GpuDevice, batch: &mut Batch) {
    let Some(encoder) = batch.encoder.take() else {
        return;
    };
    for chunk in &mut batch.arena {
        if !chunk.host.is_empty() {
            dev.ctx.queue.write_buffer(&chunk.buf, 0, &chunk.host);
            chunk.host.clear();
        }
    }
    batch.current = 0;
    batch.recorded = 0;
    dev.ctx.queue.submit([encoder.finish()]);
    dev.ctx.submissions.fetch_add(1, Ordering::SeqCst);
    dev.ctx.pending.store(false, Ordering::SeqCst);
    lock(&dev.ctx.pool).release_quarantine();
}

/// Submit the recorded batch now. See [`GpuDevice::flush`].
pub(crate) fn flush(dev: &GpuDevice, op: &'static str) -> Result<()> {
    {
        let mut batch = lock(&dev.ctx.batch);
        submit(dev, &mut batch);
    }
    dev.check(op)
}

/// Record a command with `f` into the device's batch.
pub(crate) fn record<R>(
    dev: &GpuDevice,
    op: &'static str,
    f: impl FnOnce(&mut wgpu::CommandEncoder) -> R,
) -> Result<R> {
    dev.check(op)?;
    let mut batch = lock(&dev.ctx.batch);
    dev.ctx.pending.store(true, Ordering::SeqCst);
    let r = f(batch.encoder(dev));
    batch.recorded += 1;
    if batch.recorded >= dev.ctx.launch.batch_limit {
        submit(dev, &mut batch);
    }
    drop(batch);
    dev.check(op)?;
    Ok(r)
}

/// A storage binding: a window of a buffer.
#[derive(Clone, Debug)]
pub(crate) struct Window {
    /// Byte offset of the window (aligned).
    pub offset: u64,
    /// Byte size of the window (a multiple of 4).
    pub size: u64,
    /// The operand's element offset relative to the window's start.
    pub elem_offset: i64,
}

/// The workgroup grid for `groups` workgroups: (x, y).
pub(crate) fn grid(limits: &LaunchLimits, groups: u64) -> (u32, u32) {
    let max = u64::from(limits.max_groups);
    if groups <= max {
        (groups as u32, 1)
    } else {
        (max as u32, groups.div_ceil(max) as u32)
    }
}

/// Record one dispatch of `kernel` over `groups` workgroups with `params`
/// and `bindings` (buffer and window, in the kernel's slot order).
pub(crate) fn dispatch(
    dev: &GpuDevice,
    op: &'static str,
    kernel: &Kernel,
    params: &[u32],
    bindings: &[(&GpuBuffer, &Window)],
    groups: u64,
) -> Result<()> {
    debug_assert_eq!(bindings.len(), kernel.slots.len());
    if groups == 0 {
        return Ok(());
    }
    if 4 * params.len() as u64 > ARENA_CHUNK {
        return Err(Error::Value {
            op,
            reason: format!(
                "kernel {} needs {} parameter words; coalesce or reduce the rank",
                kernel.name,
                params.len()
            ),
        });
    }
    let (x, y) = grid(&dev.ctx.launch, groups);
    dev.check(op)?;
    let mut batch = lock(&dev.ctx.batch);
    dev.ctx.pending.store(true, Ordering::SeqCst);
    let (pbuf, poff) = batch.params_slot(dev, params);
    let mut entries = vec![wgpu::BindGroupEntry {
        binding: 0,
        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &pbuf,
            offset: poff,
            size: wgpu::BufferSize::new(4 * params.len() as u64),
        }),
    }];
    for (&slot, (buf, w)) in kernel.slots.iter().zip(bindings) {
        entries.push(wgpu::BindGroupEntry {
            binding: slot,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: buf.raw(),
                offset: w.offset,
                size: wgpu::BufferSize::new(w.size),
            }),
        });
    }
    let bind_group = dev
        .ctx
        .device
        .create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(&kernel.name),
            layout: &kernel.layout,
            entries: &entries,
        });
    {
        let encoder = batch.encoder(dev);
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some(&kernel.name),
            timestamp_writes: None,
        });
        pass.set_pipeline(&kernel.pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(x, y, 1);
    }
    batch.recorded += 1;
    dev.ctx.dispatches.fetch_add(1, Ordering::SeqCst);
    if batch.recorded >= dev.ctx.launch.batch_limit {
        submit(dev, &mut batch);
    }
    drop(batch);
    dev.check(op)
}

/// One operand of a launch, for chunk planning.
pub(crate) struct Operand<'a> {
    pub buf: &'a GpuBuffer,
    /// Bytes per element (1 for uint8 and bool, 2 for bfloat16 and float16).
    pub itemsize: u64,
    pub shape: &'a [usize],
    pub strides: &'a [isize],
    pub offset: usize,
}

/// A contiguous range of work items and the window of every operand.
#[derive(Clone, Debug)]
pub(crate) struct Chunk {
    pub first: u64,
    pub len: u64,
    pub windows: Vec<Window>,
}

/// The lowest and highest element offset (relative to the view's offset)
/// over all multi-indices of `shape`.
pub(crate) fn full_extent(shape: &[usize], strides: &[isize]) -> (i64, i64) {
    let (mut lo, mut hi) = (0i64, 0i64);
    for (&n, &s) in shape.iter().zip(strides) {
        let reach = (n.max(1) as i64 - 1).saturating_mul(s as i64);
        if reach < 0 {
            lo = lo.saturating_add(reach);
        } else {
            hi = hi.saturating_add(reach);
        }
    }
    (lo, hi)
}

/// The lowest and highest element offset (relative to the view's offset)
/// over the multi-indices whose C-order linear index lies in `a..b`
/// (`a < b <= size`).
pub(crate) fn range_extent(shape: &[usize], strides: &[isize], a: u64, b: u64) -> (i64, i64) {
    debug_assert!(a < b);
    if shape.is_empty() {
        return (0, 0);
    }
    let inner: u64 = shape[1..].iter().map(|&n| n as u64).product();
    let s0 = strides[0] as i64;
    let (ca, ra) = (a / inner, a % inner);
    let (cb, rb) = ((b - 1) / inner, (b - 1) % inner);
    let shift = |(lo, hi): (i64, i64), c: u64| (lo + c as i64 * s0, hi + c as i64 * s0);
    if ca == cb {
        return shift(range_extent(&shape[1..], &strides[1..], ra, rb + 1), ca);
    }
    let mut lo = i64::MAX;
    let mut hi = i64::MIN;
    let mut take = |(l, h): (i64, i64)| {
        lo = lo.min(l);
        hi = hi.max(h);
    };
    // Partial first row, whole middle rows, partial last row.
    let mut first_full = ca;
    if ra > 0 {
        take(shift(
            range_extent(&shape[1..], &strides[1..], ra, inner),
            ca,
        ));
        first_full += 1;
    }
    let mut last_full = cb;
    if rb + 1 < inner {
        take(shift(
            range_extent(&shape[1..], &strides[1..], 0, rb + 1),
            cb,
        ));
        last_full -= 1;
    }
    if first_full <= last_full {
        let (flo, fhi) = full_extent(&shape[1..], &strides[1..]);
        let (r0, r1) = (first_full as i64 * s0, last_full as i64 * s0);
        take((flo + r0.min(r1), fhi + r0.max(r1)));
    }
    (lo, hi)
}

/// The aligned window covering elements `lo..=hi` (absolute element
/// indices) of an operand, and whether it fits in one binding.
fn window(limits: &LaunchLimits, op: &Operand, lo: i64, hi: i64) -> Window {
    let align = limits.align.max(op.itemsize);
    let lo_b = lo.max(0) as u64 * op.itemsize;
    let hi_b = (hi.max(0) as u64 + 1) * op.itemsize;
    let start = lo_b - lo_b % align;
    let end = hi_b.div_ceil(4) * 4;
    let end = end.min(op.buf.raw().size()).max(start + 4);
    Window {
        offset: start,
        size: end - start,
        elem_offset: op.offset as i64 - (start / op.itemsize) as i64,
    }
}

/// Split `items` work items into chunks whose bindings fit, or `None` when a
/// single item touches more than one binding can hold. `span(k, a, b)` is
/// the range of C-order linear indices of operand `k`'s shape that items
/// `a..b` touch.
pub(crate) fn plan(
    limits: &LaunchLimits,
    items: u64,
    max_items: u64,
    ops: &[Operand],
    span: &dyn Fn(usize, u64, u64) -> (u64, u64),
) -> Option<Vec<Chunk>> {
    let max_items = max_items.max(1);
    let mut chunks = Vec::new();
    // Common case: every buffer fits in one binding as it is.
    if ops.iter().all(|o| o.buf.raw().size() <= limits.max_binding) {
        let whole: Vec<Window> = ops
            .iter()
            .map(|o| Window {
                offset: 0,
                size: o.buf.raw().size(),
                elem_offset: o.offset as i64,
            })
            .collect();
        let mut first = 0;
        while first < items {
            let len = (items - first).min(max_items);
            chunks.push(Chunk {
                first,
                len,
                windows: whole.clone(),
            });
            first += len;
        }
        return Some(chunks);
    }
    let windows_for = |a: u64, b: u64| -> Option<Vec<Window>> {
        ops.iter()
            .enumerate()
            .map(|(k, o)| {
                let (la, lb) = span(k, a, b);
                let w = if la < lb {
                    let (lo, hi) = range_extent(o.shape, o.strides, la, lb);
                    window(limits, o, o.offset as i64 + lo, o.offset as i64 + hi)
                } else {
                    window(limits, o, o.offset as i64, o.offset as i64)
                };
                (w.size <= limits.max_binding).then_some(w)
            })
            .collect()
    };
    let mut first = 0;
    let mut len = items.min(max_items);
    while first < items {
        len = len.min(items - first).max(1);
        match windows_for(first, first + len) {
            Some(windows) => {
                chunks.push(Chunk {
                    first,
                    len,
                    windows,
                });
                first += len;
            }
            None if len == 1 => return None,
            None => len /= 2,
        }
    }
    Some(chunks)
}
