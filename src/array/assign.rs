//! Writes through views: `fill` and `assign` (basic, fancy and mask
//! assignment). A source that overlaps the destination is read as if it had
//! been copied first (a recorded implicit copy when it is really needed).

use super::{Array, IndexItem};
use crate::cpu;
use crate::error::{fmt_shape, Error, Result};
use crate::layout::SliceItem;
use crate::ops::binary::{guard_overlap, scalar_array};
use crate::scalar::{Operand, Scalar};

/// Checks that a Python-style integer scalar fits an integer destination,
/// as NumPy 2 does for assignment.
fn check_scalar(op: &'static str, s: Scalar, dst: &Array) -> Result<()> {
    s.check_fits(op, dst.dtype())
}

/// The value of an assignment into `dst` as an array: an array as it is, a
/// scalar as a 0-d array once it is known to fit `dst`'s dtype.
pub(super) fn value_array(op: &'static str, value: Operand<'_>, dst: &Array) -> Result<Array> {
    match value {
        Operand::Array(a) => Ok(a.clone()),
        Operand::Scalar(s) => {
            check_scalar(op, s, dst)?;
            scalar_array(op, s, s.default_dtype())
        }
    }
}

/// The assigned value as a view that broadcasts to the destination shape
/// `dst`. As NumPy's `x[index] = value`, leading length-1 axes that the
/// destination lacks are dropped first, so a (1, 3, 2) value fills a (3, 2)
/// destination.
pub(super) fn fit_value(op: &'static str, value: &Array, dst: &[usize]) -> Result<Array> {
    let extra = value.ndim().saturating_sub(dst.len());
    let leading_ones = value.shape().iter().take_while(|&&d| d == 1).count();
    let value = if extra > 0 && leading_ones >= extra {
        let axes: Vec<isize> = (0..extra as isize).collect();
        value.squeeze(Some(&axes))?
    } else {
        value.clone()
    };
    let fits = value.ndim() <= dst.len()
        && value
            .shape()
            .iter()
            .rev()
            .zip(dst.iter().rev())
            .all(|(&v, &d)| v == d || v == 1);
    if !fits {
        return Err(Error::Broadcast {
            op,
            shapes: vec![value.shape().to_vec(), dst.to_vec()],
            detail: format!(
                "could not broadcast input array from shape {} into shape {}",
                fmt_shape(value.shape()),
                fmt_shape(dst)
            ),
        });
    }
    Ok(value)
}

impl Array {
    /// Writes `value` into every element (NumPy's `fill`), through every
    /// view sharing the memory.
    ///
    /// # Errors
    /// A read-only array; an integer that does not fit an integer dtype.
    ///
    /// ```
    /// use strider::{s, Array, DType};
    /// let a = Array::zeros(&[2, 3], DType::F32).unwrap();
    /// a.slice(s![.., 1]).unwrap().fill(7.5).unwrap();
    /// assert_eq!(a.to_vec::<f32>().unwrap(), vec![0.0, 7.5, 0.0, 0.0, 7.5, 0.0]);
    /// ```
    pub fn fill(&self, value: impl Into<Scalar>) -> Result<()> {
        let op = "fill";
        let value = value.into();
        self.require_writeable(op)?;
        check_scalar(op, value, self)?;
        let _turn = self.write_turn(op, [])?;
        #[cfg(feature = "gpu")]
        if self.gpu_buffer().is_some() {
            let c = crate::dispatch_dtype!(self.dtype(), T => Array::scalar(value.to::<T>()));
            return crate::ops::gpu::fill(self, &c);
        }
        let strides = self.layout.strides().to_vec();
        self.with_locks(op, &[], |locks| {
            let d = self.raw(locks, &strides);
            crate::dispatch_dtype!(self.dtype(), T => {
                // SAFETY: lock held; writeable layouts never alias.
                unsafe { cpu::kernels::fill::<T>(self.shape(), d, value.to::<T>()) }
            })
        })
    }

    /// NumPy's `x[index] = value`: `value` (an array or a scalar) broadcasts
    /// to the shape of `x[index]` and is cast to `x`'s dtype (NumPy's unsafe
    /// cast, as in NumPy's assignment). With index arrays, repeated positions
    /// take the last value. An empty index assigns to the whole array. If
    /// `value` overlaps `x`, the result is as if `value` were copied first.
    ///
    /// # Errors
    /// Index errors as [`Array::index`]; a value that does not broadcast; a
    /// read-only destination; an integer scalar out of range.
    ///
    /// ```
    /// use strider::{s, Array, IndexItem, SliceItem};
    /// let b = Array::arange_i64(0, 5, 1).unwrap();
    /// // b[1:] = b[:-1] reads the source as if copied first
    /// let src = b.slice(s![..-1]).unwrap();
    /// b.assign(&[SliceItem::range(1, 5).into()], &src).unwrap();
    /// assert_eq!(b.to_vec::<i64>().unwrap(), vec![0, 0, 1, 2, 3]);
    /// // fancy assignment: the last write wins
    /// b.assign(&[IndexItem::indices(&[0, 0])], 9).unwrap();
    /// assert_eq!(b.get::<i64>(&[0]).unwrap(), 9);
    /// ```
    pub fn assign<'a>(&self, index: &[IndexItem], value: impl Into<Operand<'a>>) -> Result<()> {
        // The checks run in NumPy's order, so that a call with several
        // faults reports the one NumPy reports: the destination's
        // writeability, the index items, the scalar value, the index arrays
        // broadcasting together, the value's shape, and last the index
        // values' bounds.
        let op = "assign";
        self.require_writeable(op)?;
        let value = value.into();
        // One writer of this buffer at a time from here on: a value that
        // overlaps the destination is copied aside and written as one step.
        let _turn = self.write_turn(op, value.array())?;
        let all_basic = index.iter().all(|i| matches!(i, IndexItem::Basic(_)));
        if all_basic {
            let basic: Vec<SliceItem> = index
                .iter()
                .filter_map(|i| match i {
                    IndexItem::Basic(b) => Some(*b),
                    IndexItem::Array(_) => None,
                })
                .collect();
            let target = self.view_with(self.layout.slice(op, &basic)?);
            let value = value_array(op, value, self)?;
            let value = fit_value(op, &value, target.shape())?;
            let value = guard_overlap(op, &target, &value)?;
            return target.copy_from_unchecked(op, &value);
        }
        #[cfg(feature = "gpu")]
        if self.gpu_buffer().is_some() {
            return self.assign_on_device(index, value);
        }
        if let Some(()) = self.assign_fast(op, index, value)? {
            return Ok(());
        }
        let fancy = self.fancy_index(op, index)?;
        let value = value_array(op, value, self)?;
        let value = fit_value(op, &value, &fancy.result_shape(op)?)?;
        let plan = fancy.plan(op)?;
        let value = if value.buffer_id() == self.buffer_id() && value.shares_memory(self) {
            value.copy_implicit(op, "the source overlaps the destination")?
        } else {
            value
        };
        plan.copy(op, self, &value, false)
    }

    /// Advanced assignment into a GPU array on its device. The index arrays
    /// come to the host (recorded transfers for those on a GPU), where they
    /// are bounds-checked and turned into (destination, source) element
    /// pairs, the last one for each destination, grouped by destination
    /// word; the pairs go up (one recorded transfer, 8 bytes a pair, plus 4
    /// bytes a word), and a scatter kernel writes the values, converting
    /// them to the destination's dtype. A value on the host goes up first
    /// (a recorded transfer); one overlapping the destination is copied
    /// first (a recorded implicit copy), as on the CPU.
    ///
    /// A destination or value buffer larger than one storage binding, or
    /// with more than 2^32 elements, is assigned through the host instead.
    #[cfg(feature = "gpu")]
    fn assign_on_device(&self, index: &[IndexItem], value: Operand<'_>) -> Result<()> {
        let op = "assign";
        let items = super::fancy::items_on_host(index)?;
        let fancy = self.fancy_index(op, &items)?;
        let value = value_array(op, value, self)?;
        let value = fit_value(op, &value, &fancy.result_shape(op)?)?;
        let plan = fancy.plan(op)?;
        let device = self.device();
        let value = if value.device().is_cpu() {
            value.upload_for(op, &device)?
        } else if value.device() != device {
            return Err(Error::Device {
                op,
                reason: format!(
                    "the value is on {} but the destination is on {device}; move one with \
                     to_device()",
                    value.device()
                ),
            });
        } else if value.buffer_id() == self.buffer_id() && value.shares_memory(self) {
            value.copy_implicit(op, "the source overlaps the destination")?
        } else {
            value
        };
        let (Some(dst_buf), Some(src_buf)) = (self.gpu_buffer(), value.gpu_buffer()) else {
            return self.assign_via_host(&items, Operand::Array(&value));
        };
        let dev = dst_buf.device().clone();
        let fits = |b: &crate::gpu::GpuBuffer, len: usize| {
            b.size() <= dev.max_binding_size() && len <= u32::MAX as usize
        };
        if !fits(dst_buf, self.buf.len()) || !fits(src_buf, value.buf.len()) {
            return self.assign_via_host(&items, Operand::Array(&value));
        }
        let entries = plan.scatter_entries(value.layout());
        if entries.is_empty() {
            return Ok(());
        }
        // One segment per destination word (entries are sorted).
        let lanes = crate::gpu::elements_per_word(self.dtype());
        let mut starts: Vec<u32> = Vec::new();
        let mut word = None;
        for (k, &(d, _)) in entries.iter().enumerate() {
            if word != Some(d / lanes) {
                word = Some(d / lanes);
                starts.push(k as u32);
            }
        }
        let segments = starts.len() as u64;
        starts.push(entries.len() as u32);
        let flat: Vec<u32> = entries.iter().flat_map(|&(d, s)| [d, s]).collect();
        let n = flat.len();
        let flat = Array::from_vec(flat, &[n])?.upload_for(op, &device)?;
        let m = starts.len();
        let starts = Array::from_vec(starts, &[m])?.upload_for(op, &device)?;
        let (Some(entries_buf), Some(starts_buf)) = (flat.gpu_buffer(), starts.gpu_buffer()) else {
            return self.assign_via_host(&items, Operand::Array(&value));
        };
        crate::gpu::scatter(
            &dev,
            self.dtype(),
            dst_buf,
            value.dtype(),
            src_buf,
            entries_buf,
            starts_buf,
            segments,
        )
    }

    /// Advanced assignment into a GPU array through the host: the bytes the
    /// view spans come down (strides kept), the assignment runs on the CPU,
    /// and the same bytes go back up (each move a recorded transfer). For
    /// buffers too large for one storage binding; `index` is already on
    /// the host.
    #[cfg(feature = "gpu")]
    fn assign_via_host(&self, index: &[IndexItem], value: Operand<'_>) -> Result<()> {
        let host = self.download_extent("assign")?;
        let items = index.to_vec();
        match value {
            Operand::Array(a) => host.assign(&items, &a.to_cpu()?)?,
            Operand::Scalar(s) => host.assign(&items, s)?,
        }
        self.write_back_extent("assign", &host)
    }
}
