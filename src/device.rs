//! Devices: where a buffer lives and where a kernel runs.
//!
//! [`Device::Cpu`] is host memory and the CPU kernels. With the `gpu`
//! feature (on by default), [`Device::gpu`] opens the default wgpu adapter
//! (the `WGPU_BACKEND`, `WGPU_ADAPTER_NAME` and `WGPU_POWER_PREF` variables
//! choose another) and [`Device::gpu_with`] takes explicit options. Arrays
//! move between devices only through [`Array::to_device`](crate::Array::to_device)
//! and [`Array::to_cpu`](crate::Array::to_cpu), and every transfer is
//! recorded in the [ledger](crate::ledger). An op whose operands live on
//! different devices is an error naming both.

use crate::error::{Error, Result};
use crate::storage::Buffer;
use std::fmt;

/// A place where arrays live and kernels run.
///
/// ```
/// let a = strider::Array::zeros(&[2], strider::DType::F32).unwrap();
/// assert_eq!(a.device(), strider::Device::Cpu);
/// assert_eq!(a.device().to_string(), "cpu");
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Device {
    /// Host memory and the CPU kernels.
    Cpu,
    /// A GPU through wgpu.
    #[cfg(feature = "gpu")]
    Gpu(crate::gpu::GpuDevice),
}

impl Device {
    /// The device a buffer lives on.
    pub(crate) fn of_buffer(buf: &Buffer) -> Device {
        #[cfg(feature = "gpu")]
        if let Some(g) = buf.gpu_buffer() {
            return Device::Gpu(g.device().clone());
        }
        let _ = buf;
        Device::Cpu
    }

    /// The default GPU: the adapter wgpu picks (or the one named by
    /// `WGPU_ADAPTER_NAME`), opened once per process with its real limits.
    ///
    /// # Errors
    /// No adapter (the message says how to install Mesa's lavapipe software
    /// adapter, and how to stay on the CPU), or a build without the `gpu`
    /// feature.
    ///
    /// ```
    /// match strider::Device::gpu() {
    ///     Ok(dev) => println!("running on {dev}"),
    ///     Err(e) => println!("staying on the CPU: {e}"),
    /// }
    /// ```
    pub fn gpu() -> Result<Device> {
        #[cfg(feature = "gpu")]
        {
            crate::gpu::GpuDevice::default_device().map(Device::Gpu)
        }
        #[cfg(not(feature = "gpu"))]
        {
            Err(Error::Device {
                op: "gpu",
                reason: "strider was built without the `gpu` feature; use Device::Cpu".into(),
            })
        }
    }

    /// A GPU chosen by explicit options (backend, adapter name, power
    /// preference, limits for testing).
    ///
    /// # Errors
    /// No matching adapter, or a request it cannot meet.
    ///
    /// ```
    /// let opts = strider::gpu::GpuOptions::default();
    /// if let Ok(dev) = strider::Device::gpu_with(opts) {
    ///     assert!(!dev.is_cpu());
    /// }
    /// ```
    #[cfg(feature = "gpu")]
    pub fn gpu_with(options: crate::gpu::GpuOptions) -> Result<Device> {
        crate::gpu::GpuDevice::new(options).map(Device::Gpu)
    }

    /// True for the CPU.
    pub fn is_cpu(&self) -> bool {
        matches!(self, Device::Cpu)
    }

    /// The GPU device, if this is one.
    #[cfg(feature = "gpu")]
    pub fn as_gpu(&self) -> Option<&crate::gpu::GpuDevice> {
        match self {
            Device::Gpu(g) => Some(g),
            Device::Cpu => None,
        }
    }

    /// What the adapter says about itself (name, backend, driver, device
    /// type); `None` for the CPU. A software adapter such as lavapipe has
    /// device type `Cpu` and `is_software` set.
    ///
    /// ```
    /// if let Ok(dev) = strider::Device::gpu() {
    ///     let info = dev.adapter_info().unwrap();
    ///     println!("{} via {} (software: {})", info.name, info.backend, info.is_software);
    /// }
    /// ```
    #[cfg(feature = "gpu")]
    pub fn adapter_info(&self) -> Option<crate::gpu::AdapterInfo> {
        self.as_gpu().map(|g| g.adapter_info())
    }

    /// The one device of a set of operands, or a device error naming the
    /// two that differ.
    pub(crate) fn common(op: &'static str, devices: &[Device]) -> Result<Device> {
        let first = devices.first().cloned().unwrap_or(Device::Cpu);
        for d in devices {
            if *d != first {
                return Err(Error::Device {
                    op,
                    reason: format!(
                        "operands live on different devices ({first} and {d}); move one with \
                         to_device() or to_cpu() first"
                    ),
                });
            }
        }
        Ok(first)
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            #[cfg(feature = "gpu")]
            Device::Gpu(g) => {
                let info = g.adapter_info();
                let name = info
                    .name
                    .split(" (")
                    .next()
                    .unwrap_or(&info.name)
                    .to_string();
                write!(f, "gpu:{name}")
            }
        }
    }
}
