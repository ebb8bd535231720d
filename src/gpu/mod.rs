//! The GPU backend's foundation: devices, buffers, transfers and kernels,
//! through wgpu and WGSL compute shaders.
//!
//! This layer takes buffers and layouts, not arrays:
//!
//! - [`GpuDevice`]: an adapter and its device, opened with the adapter's real
//!   limits; [`GpuDevice::default_device`] is shared process-wide.
//! - [`GpuBuffer`]: a pooled storage buffer; [`upload`] and [`download`] move
//!   bytes between host and device, one transfer each.
//! - [`elementwise`], [`copy`] and [`reduce`]: strided kernels that read any
//!   view in place (shape, strides and element offset go in a small
//!   parameter buffer), with a contiguous fast path that reads and writes
//!   four elements per invocation (`vec4` bindings).
//! - [`gather`] and [`scatter`]: advanced indexing (`x[idx]`,
//!   `x[idx] = v`) from element tables built on the host.
//!
//! Kernels are recorded, not run: a chain of operations is submitted as one
//! command buffer when a result is downloaded or [`GpuDevice::flush`] is
//! called. Shaders are the `.wgsl` files under `shaders/`, filled by
//! [`template::fill`]; pipelines are cached per device by op, dtypes and
//! variant.
//!
//! dtypes: `float32`, `int32`, `uint32` always; `float16` with `SHADER_F16`;
//! `float64` with `SHADER_F64`; `int64`/`uint64` with `SHADER_INT64`;
//! `uint8` and `bool` four to a 32-bit word and `bfloat16` two to a word,
//! unpacked on read, and written by invocations that each own whole words.
//!
//! A packed output may have any layout a writeable view has. Its axes are
//! first flipped and sorted so that its strides are positive and
//! decreasing; a dense output (reversed or transposed included) is then
//! C-contiguous and gets one invocation per word of the view. Any other
//! gets one invocation per word of the buffer region its extent covers
//! (`elementwise_packed.wgsl`, SCATTER): the invocation finds which lanes
//! of its word are elements of the view and their multi-indices, greedily
//! from the lane's position (the layout must be *nested*: each stride
//! larger than the span of all smaller-stride axes, as for every slice,
//! step, reversal, transpose or channel of a dense array), computes them,
//! and stores the word once with the other lanes unchanged; words with no
//! element of the view are not touched. A layout that is not nested (no
//! view strider makes) is refused with [`Error::DType`](crate::Error::DType).
//!
//! Sizes: grids with more than `max_compute_workgroups_per_dimension`
//! workgroups use a second dimension; arrays whose bindings would exceed
//! `max_storage_buffer_binding_size` are processed in chunks, each binding
//! an aligned window of every buffer, with the element offsets relative to
//! the windows passed in the parameters. One launch indexes at most
//! 2^32 - 1 elements (2^31 for a reduction's outputs or reduced block).
//!
//! Ordering and aliasing: everything recorded on a device runs in recording
//! order; [`upload`] fills a fresh buffer before any later kernel reads it,
//! and [`GpuBuffer::write`] submits earlier work first. In-place calls read
//! the old values, as NumPy's do. wgpu cannot bind one buffer both read-only
//! and read-write in a dispatch, so an input on the output's buffer is read
//! through the output's own binding (kernel variants named `..._a{k}`),
//! with no copy, when that is safe in any execution order: when it is the
//! output element for element (`x += 1`, `x = abs(x)`: each invocation
//! reads exactly the elements, or for packed dtypes the 32-bit words, that
//! it writes), or when it is provably disjoint from an unpacked output
//! (`x[:n] += x[n:]`, `x[::2] += x[1::2]`: nothing read is ever written).
//! Any other input on the output's buffer is copied on the device first;
//! [`needs_detach`] says when, so that the op layer makes that copy itself
//! and records it in the copy ledger. The GPU layer's own copy remains as a
//! safety net for direct callers.
//!
//! Errors: without an adapter, [`GpuDevice::default_device`] and
//! [`GpuDevice::new`] return [`Error::Device`](crate::Error::Device) saying
//! how to get one (on Linux, `apt-get install mesa-vulkan-drivers` gives the
//! lavapipe software adapter) and how to stay on the CPU (`Device::Cpu`).
//! wgpu's validation errors, out-of-memory and device loss are captured
//! (error scopes around pipeline creation, an uncaptured-error handler and a
//! device-lost callback otherwise) and returned as `Error::Device` by the
//! next call that checks; nothing panics.

mod buffer;
pub(crate) mod codegen;
mod context;
mod indexing;
mod kernels;
mod launch;
pub mod template;

pub use buffer::{download, upload, GpuBuffer};
pub use context::{
    AdapterInfo, GpuDevice, GpuOptions, DEFAULT_BATCH_LIMIT, DEFAULT_POOL_LIMIT, WORKGROUP_SIZE,
};
pub use indexing::{gather, scatter};
pub(crate) use kernels::elementwise_source;
pub use kernels::{
    copy, elementwise, needs_detach, reduce, ElementwiseOp, GpuView, ReduceOp, MAX_INPUTS,
};

/// Elements of `dtype` per 32-bit word in device memory: 4 for `uint8`
/// and `bool`, 2 for `bfloat16`, 1 for every other dtype (which is not
/// packed). Kernels that write packed dtypes own whole words.
///
/// ```
/// use strider::DType;
/// assert_eq!(strider::gpu::elements_per_word(DType::U8), 4);
/// assert_eq!(strider::gpu::elements_per_word(DType::F16), 1);
/// ```
pub fn elements_per_word(dtype: crate::DType) -> u32 {
    codegen::lanes(dtype)
}

#[cfg(test)]
pub(crate) mod tests;
