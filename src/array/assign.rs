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
fn value_array(op: &'static str, value: Operand<'_>, dst: &Array) -> Result<Array> {
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
fn fit_value(op: &'static str, value: &Array, dst: &[usize]) -> Result<Array> {
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
            return self.assign_via_host(index, value);
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

    /// Advanced assignment into a GPU array, done on the host: the bytes the
    /// view spans come down (strides kept), the assignment runs on the CPU,
    /// and the same bytes go back up (each move a recorded transfer). No GPU
    /// scatter kernel for index arrays exists yet.
    #[cfg(feature = "gpu")]
    fn assign_via_host(&self, index: &[IndexItem], value: Operand<'_>) -> Result<()> {
        let host = self.download_extent("assign")?;
        let items = super::fancy::items_on_host(index)?;
        match value {
            Operand::Array(a) => host.assign(&items, &a.to_cpu()?)?,
            Operand::Scalar(s) => host.assign(&items, s)?,
        }
        self.write_back_extent("assign", &host)
    }
}
