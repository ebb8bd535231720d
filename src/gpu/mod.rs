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
//!   parameter buffer), with a contiguous fast path.
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
//! Without an adapter every entry point returns [`Error::Device`](crate::Error::Device)
//! saying how to get one (on Linux, `apt-get install mesa-vulkan-drivers`
//! gives the lavapipe software adapter) and that `Device::Cpu` needs none.

mod buffer;
mod codegen;
mod context;
mod kernels;
mod launch;
pub mod template;

pub use buffer::{download, upload, GpuBuffer};
pub use context::{AdapterInfo, GpuDevice, GpuOptions, DEFAULT_BATCH_LIMIT, DEFAULT_POOL_LIMIT, WORKGROUP_SIZE};
pub use kernels::{copy, elementwise, reduce, ElementwiseOp, GpuView, ReduceOp, MAX_INPUTS};

#[cfg(test)]
mod tests;
