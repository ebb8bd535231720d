//! Devices: where a buffer lives and where a kernel runs.

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
}

impl Device {
    /// The device a buffer lives on.
    pub(crate) fn of_buffer(buf: &Buffer) -> Device {
        let _ = buf;
        Device::Cpu
    }

    /// True for the CPU.
    pub fn is_cpu(&self) -> bool {
        matches!(self, Device::Cpu)
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
        }
    }
}
