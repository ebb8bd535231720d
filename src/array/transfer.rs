//! Moving arrays between devices, and allocating on the right one.
//!
//! Transfer policy (every transfer is recorded in the ledger as a
//! transfer, with its bytes, direction and devices):
//!
//! * An array whose elements fill their byte extent densely (C, F or any
//!   permuted order), or a view whose extent is at most twice its own size,
//!   moves as it is: one transfer of that extent, no staging copy on either
//!   side, strides kept.
//! * A more scattered view (say every 16th column) is first packed into
//!   new contiguous memory on its own device, which moves fewer bytes; that
//!   packing is recorded as an explicit copy with its reason.
//!
//! Without the `gpu` feature the host is the only device and most of this
//! file compiles down to handle clones.
#![cfg_attr(
    not(feature = "gpu"),
    allow(unused_imports, unused_variables, unreachable_patterns, dead_code)
)]

use super::Array;
use crate::device::Device;
use crate::error::{Error, Result};
use crate::layout::{Layout, Order};
use crate::storage::ledger::{self, CopyEvent, EventKind, LayoutRecord};
use crate::storage::{Buffer, CpuData};
use std::sync::Arc;

impl Array {
    /// An array with exactly `layout` on `device` for a result the caller
    /// overwrites entirely: on the CPU its memory may be reused from the
    /// [`pool`](crate::storage::pool) with old contents; on a GPU it is zeroed.
    pub(crate) fn alloc_on(
        device: &Device,
        op: &'static str,
        layout: Layout,
        dtype: crate::DType,
    ) -> Result<Array> {
        match device {
            Device::Cpu => {
                let len = layout.extent().map_or(0, |(_, hi)| hi + 1);
                super::checked_size(op, &[len, dtype.itemsize()])?;
                let buf = Buffer::cpu_for_overwrite(op, dtype, len)?;
                Ok(Array::from_buffer(Arc::new(buf), layout))
            }
            #[cfg(feature = "gpu")]
            Device::Gpu(g) => {
                g.check_dtype(op, dtype)?;
                let len = layout.extent().map_or(0, |(_, hi)| hi + 1);
                super::checked_size(op, &[len, dtype.itemsize()])?;
                let bytes = (len as u64 * dtype.itemsize() as u64).max(4).div_ceil(4) * 4;
                let buf = crate::gpu::GpuBuffer::zeros(g, bytes)?;
                Ok(Array::from_buffer(
                    Arc::new(Buffer::gpu(buf, dtype, len)),
                    layout,
                ))
            }
        }
    }

    /// A transfer keeps the source's layout, so a broadcast view arrives with
    /// its zero strides: the result is then read-only, as the source was
    /// (a write through a repeated element would land in several places).
    /// Found by the API fuzzer: such transfers came back writeable.
    fn read_only_if_repeating(mut self) -> Array {
        if self.layout.has_zero_stride() {
            self.writeable = false;
        }
        self
    }

    /// [`Array::alloc_on`] on this array's device.
    pub(crate) fn alloc_like(
        &self,
        op: &'static str,
        layout: Layout,
        dtype: crate::DType,
    ) -> Result<Array> {
        Array::alloc_on(&self.device(), op, layout, dtype)
    }

    /// The GPU buffer behind this array, if it lives on a GPU.
    #[cfg(feature = "gpu")]
    pub(crate) fn gpu_buffer(&self) -> Option<&crate::gpu::GpuBuffer> {
        self.buf.gpu_buffer()
    }

    /// Whether to move the covering extent as it is (true) or pack the view
    /// first (false): packing wins when the extent is more than twice the
    /// elements.
    fn moves_as_is(&self) -> bool {
        let extent = self.layout.extent().map_or(0, |(lo, hi)| hi + 1 - lo);
        extent <= 2 * self.size().max(1)
    }

    /// Packs a scattered view into new contiguous memory on its device,
    /// recorded as an explicit copy.
    fn pack_for_transfer(&self, op: &'static str) -> Result<Array> {
        let out = self.alloc_like(
            op,
            Layout::contiguous(op, self.shape(), Order::C)?,
            self.dtype(),
        )?;
        out.copy_from_unchecked(op, self)?;
        self.record_copy(
            op,
            "a scattered view is packed before a transfer, which moves fewer bytes",
            false,
            &out,
        );
        Ok(out)
    }

    fn record_transfer(&self, op: &'static str, bytes: usize, result: &Array) {
        ledger::record(EventKind::Transfer, bytes, || CopyEvent {
            op,
            reason: if result.device().is_cpu() {
                "download"
            } else {
                "upload"
            }
            .to_string(),
            kind: EventKind::Transfer,
            bytes,
            source: LayoutRecord::of(&self.layout, self.itemsize()),
            result: LayoutRecord::of(&result.layout, result.itemsize()),
            src_device: self.device().to_string(),
            dst_device: result.device().to_string(),
        });
    }

    /// This array on `device`: the array itself (a cheap handle clone) when
    /// it is already there, else a transfer into new memory there. Views of
    /// the result keep NumPy's rules on every device.
    ///
    /// **Not a copy when the array is already on `device`.** The result then
    /// shares the input's buffer, as PyTorch's `.to(device)` does: writing
    /// into it writes into the input. Code meant for either device that
    /// writes into the result should use [`Array::to_device_copy`], which
    /// always makes new memory.
    ///
    /// # Errors
    /// A dtype the device cannot hold (float64 on an adapter without
    /// SHADER_F64, say), or a device error.
    ///
    /// ```
    /// use strider::{Array, Device};
    /// let a = Array::arange_i64(0, 6, 1).unwrap().reshape(&[2, 3]).unwrap();
    /// let same = a.to_device(&Device::Cpu).unwrap();
    /// assert_eq!(same.buffer_id(), a.buffer_id());
    /// if let Ok(gpu) = Device::gpu() {
    ///     let (g, report) = strider::track(|| a.to_device(&gpu));
    ///     let g = g.unwrap();
    ///     assert_eq!(report.transfers(), 1);
    ///     assert_eq!(g.to_cpu().unwrap().to_vec::<i64>().unwrap(), vec![0, 1, 2, 3, 4, 5]);
    /// }
    /// ```
    pub fn to_device(&self, device: &Device) -> Result<Array> {
        let here = self.device();
        if here == *device {
            return Ok(self.clone());
        }
        match (&here, device) {
            (Device::Cpu, _) => self.upload_to(device),
            (_, Device::Cpu) => self.to_cpu(),
            #[allow(unreachable_patterns)]
            _ => self.to_cpu()?.to_device(device),
        }
    }

    /// This array on `device` in new memory, whether or not it is already
    /// there: a transfer between devices, a recorded explicit copy (order K)
    /// on the same device. The result never shares memory with `self`.
    ///
    /// # Errors
    /// As [`Array::to_device`].
    ///
    /// ```
    /// use strider::{Array, Device};
    /// let a = Array::arange_i64(0, 3, 1)?;
    /// let b = a.to_device_copy(&Device::Cpu)?;
    /// assert_ne!(b.buffer_id(), a.buffer_id());
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn to_device_copy(&self, device: &Device) -> Result<Array> {
        if self.device() == *device {
            self.copy_order(Order::K)
        } else {
            self.to_device(device)
        }
    }

    /// The bytes this GPU array spans, downloaded as they are into a new host
    /// array with the same strides (a recorded transfer).
    #[cfg(feature = "gpu")]
    pub(crate) fn download_extent(&self, op: &'static str) -> Result<Array> {
        let g = self.gpu_buffer().ok_or_else(|| Error::Device {
            op,
            reason: "the array is not on a GPU".into(),
        })?;
        let item = self.itemsize();
        let Some((lo, hi)) = self.layout.extent() else {
            let out = Array::alloc(
                op,
                Layout::contiguous(op, self.shape(), Order::C)?,
                self.dtype(),
            )?;
            self.record_transfer(op, 0, &out);
            return Ok(out);
        };
        let n = hi + 1 - lo;
        // Straight from the mapped read-back memory into the result's
        // (pooled) memory where the bytes are the elements.
        let mut data = crate::storage::pool::take(op, self.dtype(), n)?;
        let data = match data.le_bytes_mut() {
            Some(dst) => {
                g.download_into((lo * item) as u64, dst)?;
                data
            }
            None => {
                let bytes = g.download((lo * item) as u64, (n * item) as u64)?;
                CpuData::from_le_bytes(self.dtype(), &bytes)
            }
        };
        let layout = Layout::new(
            self.shape().to_vec(),
            self.layout.strides().to_vec(),
            self.layout.offset() - lo,
        );
        let out = Array::from_parts(data, layout).read_only_if_repeating();
        self.record_transfer(op, n * item, &out);
        Ok(out)
    }

    /// Writes `host` (made by [`Array::download_extent`] from `self`) back
    /// over the bytes `self` spans (a recorded transfer).
    #[cfg(feature = "gpu")]
    pub(crate) fn write_back_extent(&self, op: &'static str, host: &Array) -> Result<()> {
        let (Some(g), Some((lo, hi))) = (self.gpu_buffer(), self.layout.extent()) else {
            return Ok(());
        };
        let item = self.itemsize();
        let n = hi + 1 - lo;
        let guard = host.cpu_read(op)?;
        g.write((lo * item) as u64, guard.le_bytes(0, n))?;
        drop(guard);
        host.record_transfer(op, n * item, self);
        Ok(())
    }

    /// This array in host memory (a handle clone if it is there already).
    ///
    /// # Errors
    /// A device error while reading back.
    ///
    /// ```
    /// let a = strider::Array::ones(&[3], strider::DType::F32).unwrap();
    /// assert_eq!(a.to_cpu().unwrap().buffer_id(), a.buffer_id());
    /// ```
    pub fn to_cpu(&self) -> Result<Array> {
        #[cfg(feature = "gpu")]
        if self.gpu_buffer().is_some() {
            let op = "to_cpu";
            if !self.moves_as_is() {
                return self.pack_for_transfer(op)?.to_cpu();
            }
            return self.download_extent(op);
        }
        Ok(self.clone())
    }

    fn upload_to(&self, device: &Device) -> Result<Array> {
        self.upload_for("to_device", device)
    }

    /// A host array's transfer to `device`, recorded in the ledger under
    /// `op` (the operation that needed it, such as `index` for the element
    /// table of a GPU gather).
    pub(crate) fn upload_for(&self, op: &'static str, device: &Device) -> Result<Array> {
        match device {
            Device::Cpu => Ok(self.clone()),
            #[cfg(feature = "gpu")]
            Device::Gpu(g) => {
                g.check_dtype(op, self.dtype())?;
                if !self.moves_as_is() {
                    return self.pack_for_transfer(op)?.upload_for(op, device);
                }
                let item = self.itemsize();
                let (lo, hi) = self.layout.extent().unwrap_or((0, 0));
                let n = if self.size() == 0 { 0 } else { hi + 1 - lo };
                let guard = self.cpu_read(op)?;
                let bytes = guard.le_bytes(lo.min(guard.len()), n);
                let buf = crate::gpu::upload(g, bytes)?;
                drop(guard);
                let layout = Layout::new(
                    self.shape().to_vec(),
                    self.layout.strides().to_vec(),
                    self.layout.offset() - lo.min(self.layout.offset()),
                );
                let out = Array::from_buffer(Arc::new(Buffer::gpu(buf, self.dtype(), n)), layout)
                    .read_only_if_repeating();
                self.record_transfer(op, n * item, &out);
                Ok(out)
            }
        }
    }

    /// Fails unless the array is on `device`.
    #[allow(dead_code)]
    pub(crate) fn require_device(&self, op: &'static str, device: &Device) -> Result<()> {
        if self.device() == *device {
            Ok(())
        } else {
            Err(Error::Device {
                op,
                reason: format!(
                    "the array is on {} but the operation runs on {device}",
                    self.device()
                ),
            })
        }
    }
}
