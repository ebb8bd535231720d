//! The advanced indexes people write most, taken whole by the CPU index
//! kernels (`cpu/indexing.rs`) instead of the general offset tables of
//! `fancy.rs`: one boolean mask over the leading axes (`x[mask]`,
//! `x[mask] = v`) and one integer index array on the first axis (`x[idx]`,
//! `x[idx] = v`), on a C-contiguous host array.
//!
//! Each path gives what the general one gives: the same result shape and
//! NumPy's result layout (taken from the same rule; a case whose result
//! would not be C-ordered goes the general way), the same errors in the
//! same order, the same casts, last-write-wins, and the same ledger record.
//! A fast path answers `None` when its case does not apply, and the caller
//! goes on with the general walk.

use super::{Array, IndexItem};
use crate::cpu::indexing::{self, MaskBlocks};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::layout::order::fancy_output_layout;
use crate::layout::Layout;
use crate::scalar::Operand;
use crate::storage::LockSet;

/// A simple advanced index of a C-contiguous host array.
enum Simple<'a> {
    /// A boolean mask whose shape is the array's leading axes.
    Mask(&'a Array),
    /// An integer index array on the first axis.
    Take(&'a Array),
}

/// Recognises the simple forms (module doc).
fn simple<'a>(x: &Array, items: &'a [IndexItem]) -> Option<Simple<'a>> {
    let [IndexItem::Array(a)] = items else {
        return None;
    };
    let host = x.device().is_cpu() && a.device().is_cpu();
    if !host || !x.is_c_contiguous() || !a.is_c_contiguous() {
        return None;
    }
    if a.dtype() == DType::Bool {
        let k = a.ndim();
        (k >= 1 && k <= x.ndim() && a.shape() == &x.shape()[..k]).then_some(Simple::Mask(a))
    } else if a.dtype().is_integer() && x.ndim() >= 1 {
        Some(Simple::Take(a))
    } else {
        None
    }
}

/// The result layout of a simple index whose broadcast index shape is
/// `b_shape` (at the front) over `index_layouts`, when it is C-ordered;
/// `None` otherwise.
fn c_result(x: &Array, k: usize, b_shape: &[usize], index_layouts: &[&Layout]) -> Option<Layout> {
    let mut shape = b_shape.to_vec();
    shape.extend_from_slice(&x.shape()[k..]);
    let sub_strides = &x.layout.strides()[k..];
    let layout = fancy_output_layout(&shape, 0, b_shape.len(), index_layouts, sub_strides);
    layout.is_c_contiguous().then_some(layout)
}

/// Bytes of one row: the elements of the axes after the first `k`.
fn row_bytes(x: &Array, k: usize) -> usize {
    x.shape()[k..].iter().product::<usize>() * x.itemsize()
}

/// The mask's entries, counted per block, read under its lock.
fn count_mask(op: &'static str, mask: &Array) -> Result<MaskBlocks> {
    let guard = mask.cpu_read(op)?;
    // SAFETY: a C-contiguous bool array of `size` elements from `offset`,
    // read under its read lock; bool bytes are 0 or 1.
    let m = unsafe {
        std::slice::from_raw_parts(
            (guard.as_ptr() as *const bool).add(mask.layout.offset()),
            mask.size(),
        )
    };
    Ok(MaskBlocks::new(m))
}

/// An index array's values as i64: read in place when it is int64 (under
/// the lock the caller holds), converted otherwise.
enum Indices {
    Borrowed,
    Owned(Vec<i64>),
}

impl Indices {
    fn of(idx: &Array) -> Result<Indices> {
        Ok(if idx.dtype() == DType::I64 {
            Indices::Borrowed
        } else {
            Indices::Owned(idx.values_as::<i64>()?)
        })
    }

    /// The values of `idx`, whose buffer `locks` holds.
    ///
    /// # Safety
    /// `idx`'s buffer is in `locks` for the life of the slice.
    unsafe fn get<'s>(&'s self, idx: &Array, locks: &mut LockSet<'_>) -> &'s [i64] {
        match self {
            // SAFETY: a C-contiguous int64 array (the caller's check), in
            // its locked buffer.
            Indices::Borrowed => unsafe {
                std::slice::from_raw_parts(first(idx, locks) as *const i64, idx.size())
            },
            Indices::Owned(v) => v,
        }
    }
}

impl Array {
    /// The general walk's error for index `v` outside axis 0.
    fn take_bounds_error(&self, op: &'static str, v: i64) -> Error {
        super::fancy::out_of_bounds(op, self.shape(), v, 0, self.shape()[0] as i64)
    }

    /// `x[mask]` or `x[idx]` by the index kernels, or `None` when the index
    /// is not one of the simple forms.
    pub(crate) fn index_fast(
        &self,
        op: &'static str,
        items: &[IndexItem],
    ) -> Result<Option<Array>> {
        match simple(self, items) {
            Some(Simple::Mask(mask)) => self.mask_select(op, mask),
            Some(Simple::Take(idx)) => self.take_rows(op, idx),
            None => Ok(None),
        }
    }

    fn mask_select(&self, op: &'static str, mask: &Array) -> Result<Option<Array>> {
        let k = mask.ndim();
        let blocks = count_mask(op, mask)?;
        let count = blocks.total();
        let coords = Layout::new(vec![count], vec![1], 0);
        let Some(layout) = c_result(self, k, &[count], &vec![&coords; k]) else {
            return Ok(None);
        };
        let out = Array::alloc_on(&crate::Device::Cpu, op, layout, self.dtype())?;
        let row = row_bytes(self, k);
        let n = mask.size();
        out.with_locks(op, &[self, mask], |locks| {
            // SAFETY: locks held; `self` is C-contiguous with `n` rows of
            // `row` bytes from its offset, `mask` C-contiguous with `n`
            // entries, `out` new with room for `count` rows; the kernel
            // never writes past a block's counted part.
            unsafe {
                let m = std::slice::from_raw_parts(first(mask, locks) as *const bool, n);
                indexing::mask_select(first(&out, locks), first(self, locks), row, m, &blocks);
            }
        })?;
        self.record_copy(op, "advanced indexing always copies", false, &out);
        Ok(Some(out))
    }

    fn take_rows(&self, op: &'static str, idx: &Array) -> Result<Option<Array>> {
        let Some(layout) = c_result(self, 1, idx.shape(), &[idx.layout()]) else {
            return Ok(None);
        };
        let values = Indices::of(idx)?;
        let out = Array::alloc_on(&crate::Device::Cpu, op, layout, self.dtype())?;
        let (n, row) = (self.shape()[0], row_bytes(self, 1));
        out.with_locks(op, &[self, idx], |locks| {
            // SAFETY: `idx`'s buffer is locked for the whole closure.
            let v = unsafe { values.get(idx, locks) };
            if let Some(bad) = indexing::first_out_of_bounds(v, n) {
                return Err(self.take_bounds_error(op, bad));
            }
            // SAFETY: locks held; indices checked against `-n..n`; `self`
            // is C-contiguous with `n` rows of `row` bytes; `out` is new
            // with one row per index.
            unsafe { indexing::gather(first(&out, locks), first(self, locks), row, v, n) };
            Ok(())
        })??;
        self.record_copy(op, "advanced indexing always copies", false, &out);
        Ok(Some(out))
    }

    /// `x[mask] = value` or `x[idx] = value` by the index kernels, or
    /// `None` when the index or the value is not one of the simple forms
    /// (then nothing has been written). The caller has checked that `x` is
    /// writeable and holds its write turn.
    pub(crate) fn assign_fast(
        &self,
        op: &'static str,
        items: &[IndexItem],
        value: Operand<'_>,
    ) -> Result<Option<()>> {
        let shares = |a: &Array| a.buffer_id() == self.buffer_id();
        if value
            .array()
            .is_some_and(|v| !v.device().is_cpu() || shares(v))
        {
            return Ok(None);
        }
        let form = match simple(self, items) {
            Some(Simple::Mask(a) | Simple::Take(a)) if shares(a) => return Ok(None),
            Some(form) => form,
            None => return Ok(None),
        };
        // The simple forms pass every check of the index items, so the
        // value's checks come next, as on the general path.
        let value = super::assign::value_array(op, value, self)?;
        match form {
            Simple::Mask(mask) => self.mask_assign(op, mask, &value),
            Simple::Take(idx) => self.scatter_rows(op, idx, &value),
        }
    }

    /// `value` fitted to the rows of a fast assignment: `b_shape` selected
    /// rows of the axes after the first `k`. `None` (the general walk) unless
    /// it is one element, which every row gets (cast as assignment casts),
    /// or exactly the rows themselves in `x`'s dtype and C order.
    ///
    /// # Errors
    /// A value that does not broadcast to the rows (as the general walk).
    fn value_rows(
        &self,
        op: &'static str,
        value: &Array,
        b_shape: &[usize],
        k: usize,
    ) -> Result<Option<(Array, ValueRows)>> {
        let mut shape = b_shape.to_vec();
        shape.extend_from_slice(&self.shape()[k..]);
        let value = super::assign::fit_value(op, value, &shape)?;
        let rows = if value.size() == 1 {
            ValueRows::One(self.value_row(&value, k)?)
        } else if value.dtype() == self.dtype() && value.is_c_contiguous() && value.shape() == shape
        {
            ValueRows::Each
        } else {
            return Ok(None);
        };
        Ok(Some((value, rows)))
    }

    /// One row of `x` filled with the single element of `value`, cast to
    /// `x`'s dtype as assignment casts.
    fn value_row(&self, value: &Array, k: usize) -> Result<Vec<u8>> {
        let per_row = self.shape()[k..].iter().product::<usize>();
        crate::dispatch_dtype!(self.dtype(), T => {
            let v: T = value.values_as::<T>()?[0];
            let mut bytes = Vec::with_capacity(per_row * self.itemsize());
            // SAFETY: `v` is a plain element (no padding, every dtype's
            // representation is its bytes); read as bytes for its size.
            let one = unsafe {
                std::slice::from_raw_parts((&v as *const T).cast::<u8>(), std::mem::size_of::<T>())
            };
            for _ in 0..per_row {
                bytes.extend_from_slice(one);
            }
            Ok(bytes)
        })
    }

    fn mask_assign(&self, op: &'static str, mask: &Array, value: &Array) -> Result<Option<()>> {
        let k = mask.ndim();
        let blocks = count_mask(op, mask)?;
        let Some((value, rows)) = self.value_rows(op, value, &[blocks.total()], k)? else {
            return Ok(None);
        };
        let (n, row) = (mask.size(), row_bytes(self, k));
        self.with_locks(op, &[mask, &value], |locks| {
            // SAFETY: locks held; `self` (writeable, checked by `assign`)
            // is C-contiguous with `n` rows of `row` bytes; `mask` has `n`
            // entries; `value` is a distinct buffer holding the counted
            // rows (or one row is passed by value).
            unsafe {
                let m = std::slice::from_raw_parts(first(mask, locks) as *const bool, n);
                let d = first(self, locks);
                match &rows {
                    ValueRows::One(bytes) => indexing::mask_fill(d, m, bytes),
                    ValueRows::Each => {
                        indexing::mask_expand(d, first(&value, locks), row, m, &blocks)
                    }
                }
            }
        })?;
        Ok(Some(()))
    }

    fn scatter_rows(&self, op: &'static str, idx: &Array, value: &Array) -> Result<Option<()>> {
        let Some((value, rows)) = self.value_rows(op, value, idx.shape(), 1)? else {
            return Ok(None);
        };
        let (n, row) = (self.shape()[0], row_bytes(self, 1));
        let values = Indices::of(idx)?;
        self.with_locks(op, &[idx, &value], |locks| {
            // SAFETY: `idx`'s buffer is locked for the whole closure.
            let ix = unsafe { values.get(idx, locks) };
            if let Some(bad) = indexing::first_out_of_bounds(ix, n) {
                return Err(self.take_bounds_error(op, bad));
            }
            // SAFETY: locks held; indices checked; `self` is C-contiguous
            // with `n` rows of `row` bytes; the value rows are a distinct
            // buffer with one row per index (or one row, step 0).
            unsafe {
                let d = first(self, locks);
                match &rows {
                    ValueRows::One(bytes) => indexing::scatter(d, n, bytes.as_ptr(), 0, row, ix),
                    ValueRows::Each => indexing::scatter(d, n, first(&value, locks), 1, row, ix),
                }
            }
            Ok(())
        })??;
        Ok(Some(()))
    }
}

/// The value of a fast assignment, as the kernels take it.
enum ValueRows {
    /// One row, every selected row gets it (its bytes).
    One(Vec<u8>),
    /// One row per selected row: the value array itself.
    Each,
}

/// The address of `a`'s first element in its locked buffer.
///
/// # Safety
/// `a`'s buffer is in `locks`.
unsafe fn first(a: &Array, locks: &mut LockSet<'_>) -> *mut u8 {
    // SAFETY: the offset of an element of `a` is inside its buffer.
    unsafe {
        locks
            .ptr(a.buffer_id())
            .add(a.layout.offset() * a.itemsize())
    }
}
