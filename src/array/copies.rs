//! Copies: methods that always make new memory. Each records an explicit
//! copy in the ledger.

use super::Array;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::layout::order::{
    concat_output_layout, copy_layout, dense_layout_for_perm, flatten_perm,
};
use crate::layout::{Layout, Order, SliceItem};

impl Array {
    /// A C-ordered copy in new memory (NumPy's `x.copy()`); recorded in the
    /// ledger as an explicit copy.
    ///
    /// # Errors
    /// Fails only if the size runs out of address space or the device
    /// cannot allocate. Runs on the array's device (CPU or GPU).
    ///
    /// ```
    /// let a = strider::Array::arange_i64(0, 3, 1).unwrap();
    /// let b = a.copy().unwrap();
    /// b.set(&[0], 9i64).unwrap();
    /// assert_eq!(a.get::<i64>(&[0]).unwrap(), 0); // the copy broke the link
    /// ```
    pub fn copy(&self) -> Result<Array> {
        self.copy_order(Order::C)
    }

    /// A copy with C, F, A or K layout (NumPy's `x.copy(order)`); recorded as
    /// an explicit copy.
    ///
    /// # Errors
    /// Fails only if the array's device (CPU or GPU) cannot allocate.
    ///
    /// ```
    /// use strider::{Array, Order};
    /// let a = Array::arange_i64(0, 6, 1).unwrap().reshape(&[2, 3]).unwrap();
    /// assert_eq!(a.t().copy_order(Order::K).unwrap().strides(), vec![8, 24]);
    /// assert_eq!(a.t().copy_order(Order::C).unwrap().strides(), vec![16, 8]);
    /// ```
    pub fn copy_order(&self, order: Order) -> Result<Array> {
        self.copy_as("copy", self.dtype(), order)
    }

    /// The data cast to `dtype` in new memory, keeping the layout (order K);
    /// always a copy, recorded as explicit. Casts follow NumPy's
    /// `casting="unsafe"`: floats truncate toward zero, integers wrap,
    /// anything nonzero is `true`.
    ///
    /// # Errors
    /// Fails only if the array's device (CPU or GPU) cannot allocate.
    ///
    /// ```
    /// use strider::{Array, DType};
    /// let a = Array::from_vec(vec![1.7f64, -1.7, 300.0], &[3]).unwrap();
    /// assert_eq!(a.astype(DType::I32).unwrap().to_vec::<i32>().unwrap(), vec![1, -1, 300]);
    /// assert_eq!(a.astype(DType::U8).unwrap().to_vec::<u8>().unwrap(), vec![1, 255, 44]);
    /// ```
    pub fn astype(&self, dtype: DType) -> Result<Array> {
        self.astype_order(dtype, Order::K)
    }

    /// [`astype`](Array::astype) with an explicit result order.
    ///
    /// # Errors
    /// Fails only if the array's device (CPU or GPU) cannot allocate.
    ///
    /// ```
    /// use strider::{Array, DType, Order};
    /// let a = Array::zeros(&[2, 3], DType::U8).unwrap();
    /// assert!(a.astype_order(DType::F32, Order::F).unwrap().flags().f_contiguous);
    /// ```
    pub fn astype_order(&self, dtype: DType, order: Order) -> Result<Array> {
        self.copy_as("astype", dtype, order)
    }

    /// A private copy (order K, same device) that the caller did not ask
    /// for by name: checked against [`no_copies`](crate::no_copies) first,
    /// then recorded as an implicit copy with `reason`.
    pub(crate) fn copy_implicit(&self, op: &'static str, reason: &str) -> Result<Array> {
        crate::storage::ledger::check_implicit(op, reason, self.nbytes())?;
        let out = self.alloc_like(op, copy_layout(&self.layout, Order::K), self.dtype())?;
        out.copy_from_unchecked(op, self)?;
        self.record_copy(op, reason, true, &out);
        Ok(out)
    }

    fn copy_as(&self, op: &'static str, dtype: DType, order: Order) -> Result<Array> {
        let out = self.alloc_like(op, copy_layout(&self.layout, order), dtype)?;
        out.copy_from_unchecked(op, self)?;
        self.record_copy(op, "a copy was requested", false, &out);
        Ok(out)
    }

    /// NumPy's `ascontiguousarray`: `self` (a view with the same metadata)
    /// when already C-contiguous, else a C-ordered copy recorded as explicit.
    /// The result is at least 1-D.
    ///
    /// # Errors
    /// Fails only if the array's device (CPU or GPU) cannot allocate.
    ///
    /// ```
    /// let a = strider::Array::arange_i64(0, 6, 1).unwrap().reshape(&[2, 3]).unwrap();
    /// assert_eq!(a.to_contiguous().unwrap().buffer_id(), a.buffer_id());
    /// let t = a.t().to_contiguous().unwrap();
    /// assert_ne!(t.buffer_id(), a.buffer_id());
    /// assert_eq!(t.strides(), vec![16, 8]);
    /// ```
    pub fn to_contiguous(&self) -> Result<Array> {
        self.as_order_array("to_contiguous", Order::C)
    }

    /// NumPy's `asfortranarray`: `self` when already F-contiguous, else an
    /// F-ordered copy recorded as explicit. The result is at least 1-D.
    ///
    /// # Errors
    /// Fails only if the array's device (CPU or GPU) cannot allocate.
    ///
    /// ```
    /// let a = strider::Array::arange_i64(0, 6, 1).unwrap().reshape(&[2, 3]).unwrap();
    /// assert_eq!(a.asfortranarray().unwrap().strides(), vec![8, 16]);
    /// ```
    pub fn asfortranarray(&self) -> Result<Array> {
        self.as_order_array("asfortranarray", Order::F)
    }

    fn as_order_array(&self, op: &'static str, order: Order) -> Result<Array> {
        let base = if self.ndim() == 0 {
            self.view_with(Layout::new(vec![1], vec![1], self.layout.offset()))
        } else {
            self.clone()
        };
        let ok = match order {
            Order::F => base.is_f_contiguous(),
            _ => base.is_c_contiguous(),
        };
        if ok {
            return Ok(base);
        }
        let out = self.alloc_like(
            op,
            Layout::contiguous(op, base.shape(), order)?,
            self.dtype(),
        )?;
        out.copy_from_unchecked(op, &base)?;
        base.record_copy(
            op,
            "the data is not contiguous in the requested order",
            false,
            &out,
        );
        Ok(out)
    }

    /// A 1-D copy in C order (NumPy's `flatten()`), recorded as explicit.
    ///
    /// # Errors
    /// Fails only if the array's device (CPU or GPU) cannot allocate.
    ///
    /// ```
    /// let a = strider::Array::arange_i64(0, 6, 1).unwrap().reshape(&[2, 3]).unwrap();
    /// let f = a.flatten().unwrap();
    /// assert_ne!(f.buffer_id(), a.buffer_id());
    /// ```
    pub fn flatten(&self) -> Result<Array> {
        self.flatten_order(Order::C)
    }

    /// A 1-D copy with the values in C, F, A or K order, recorded as
    /// explicit. K is memory order (negative strides are not reversed).
    ///
    /// # Errors
    /// Fails only if the array's device (CPU or GPU) cannot allocate.
    ///
    /// ```
    /// use strider::{Array, Order};
    /// let a = Array::arange_i64(0, 6, 1).unwrap().reshape(&[2, 3]).unwrap();
    /// assert_eq!(a.flatten_order(Order::F).unwrap().to_vec::<i64>().unwrap(), vec![0, 3, 1, 4, 2, 5]);
    /// ```
    pub fn flatten_order(&self, order: Order) -> Result<Array> {
        let out = self.flatten_into_new("flatten", order)?;
        self.record_copy("flatten", "flatten always copies", false, &out);
        Ok(out)
    }

    /// New 1-D memory holding the elements in the visiting order of
    /// `flatten(order)`. Not recorded: callers record.
    pub(crate) fn flatten_into_new(&self, op: &'static str, order: Order) -> Result<Array> {
        let perm = flatten_perm(&self.layout, order);
        let out = self.alloc_like(
            op,
            Layout::contiguous(op, &[self.size()], Order::C)?,
            self.dtype(),
        )?;
        let dst = dense_layout_for_perm(self.shape(), &perm);
        out.view_with(dst).copy_from_unchecked(op, self)?;
        Ok(out)
    }
}

/// Joins arrays along an existing axis (NumPy's `concatenate`); with
/// `axis = None` every array is flattened first. The result dtype is the
/// promotion of all inputs, its layout follows NumPy's (transposed pieces
/// give an F result), and it is recorded as an explicit copy.
///
/// # Errors
/// No arrays, a 0-d array, or shapes that differ off the axis are shape
/// errors; an axis out of range is an axis error.
///
/// ```
/// use strider::{concatenate, Array};
/// let a = Array::arange_i64(0, 4, 1).unwrap().reshape(&[2, 2]).unwrap();
/// let b = Array::arange_i64(4, 6, 1).unwrap().reshape(&[1, 2]).unwrap();
/// let c = concatenate(&[&a, &b], Some(0)).unwrap();
/// assert_eq!(c.shape(), &[3, 2]);
/// assert_eq!(c.to_vec::<i64>().unwrap(), vec![0, 1, 2, 3, 4, 5]);
/// ```
pub fn concatenate(arrays: &[&Array], axis: Option<isize>) -> Result<Array> {
    concat_impl("concatenate", arrays, axis)
}

fn concat_impl(op: &'static str, arrays: &[&Array], axis: Option<isize>) -> Result<Array> {
    let shapes = || {
        arrays
            .iter()
            .map(|a| a.shape().to_vec())
            .collect::<Vec<_>>()
    };
    let first = arrays.first().ok_or_else(|| Error::Shape {
        op,
        shapes: vec![],
        reason: "need at least one array to concatenate".into(),
    })?;
    let devices: Vec<crate::Device> = arrays.iter().map(|a| a.device()).collect();
    let device = crate::Device::common(op, &devices)?;
    let dtype = arrays
        .iter()
        .skip(1)
        .fold(first.dtype(), |d, a| DType::promote(d, a.dtype()));
    let Some(axis) = axis else {
        // Flatten everything in C order, then join the 1-D pieces.
        let total = arrays.iter().map(|a| a.size()).sum::<usize>();
        let out = Array::alloc_on(
            &device,
            op,
            Layout::contiguous(op, &[total], Order::C)?,
            dtype,
        )?;
        let mut pos = 0;
        for a in arrays {
            let piece = out.layout.slice(
                op,
                &[SliceItem::range(pos as isize, (pos + a.size()) as isize)],
            )?;
            let piece = Layout::new(
                a.shape().to_vec(),
                Layout::dense_strides(a.shape(), Order::C),
                piece.offset(),
            );
            out.view_with(piece).copy_from_unchecked(op, a)?;
            pos += a.size();
        }
        first.record_copy(op, "concatenate always copies", false, &out);
        return Ok(out);
    };
    let ndim = first.ndim();
    if ndim == 0 {
        return Err(Error::Shape {
            op,
            shapes: shapes(),
            reason: "zero-dimensional arrays cannot be concatenated".into(),
        });
    }
    let ax = Layout::normalize_axis(op, axis, ndim)?;
    let mut out_shape = first.shape().to_vec();
    out_shape[ax] = 0;
    for (i, a) in arrays.iter().enumerate() {
        if a.ndim() != ndim {
            return Err(Error::Shape {
                op,
                shapes: shapes(),
                reason: format!(
                    "all the input arrays must have same number of dimensions, but the array at \
                     index 0 has {ndim} dimension(s) and the array at index {i} has {} dimension(s)",
                    a.ndim()
                ),
            });
        }
        for d in 0..ndim {
            if d != ax && a.shape()[d] != first.shape()[d] {
                return Err(Error::Shape {
                    op,
                    shapes: shapes(),
                    reason: format!(
                        "all the input array dimensions except for the concatenation axis must \
                         match exactly, but along dimension {d}, the array at index 0 has size {} \
                         and the array at index {i} has size {}",
                        first.shape()[d],
                        a.shape()[d]
                    ),
                });
            }
        }
        out_shape[ax] += a.shape()[ax];
    }
    let layouts: Vec<&Layout> = arrays.iter().map(|a| &a.layout).collect();
    let out = Array::alloc_on(
        &device,
        op,
        concat_output_layout(&layouts, &out_shape),
        dtype,
    )?;
    let mut pos = 0isize;
    for a in arrays {
        let len = a.shape()[ax] as isize;
        let mut items = vec![SliceItem::full(); ndim];
        items[ax] = SliceItem::range(pos, pos + len);
        let piece = out.layout.slice(op, &items)?;
        out.view_with(piece).copy_from_unchecked(op, a)?;
        pos += len;
    }
    first.record_copy(op, "concatenate always copies", false, &out);
    Ok(out)
}

/// Joins arrays of one shape along a new axis (NumPy's `stack`), recorded as
/// an explicit copy.
///
/// # Errors
/// No arrays or different shapes are shape errors; an axis outside
/// `-(ndim+1)..=ndim` is an axis error.
///
/// ```
/// use strider::{stack, Array};
/// let a = Array::arange_i64(0, 3, 1).unwrap();
/// let b = Array::arange_i64(3, 6, 1).unwrap();
/// let s = stack(&[&a, &b], 1).unwrap();
/// assert_eq!(s.shape(), &[3, 2]);
/// assert_eq!(s.to_vec::<i64>().unwrap(), vec![0, 3, 1, 4, 2, 5]);
/// ```
pub fn stack(arrays: &[&Array], axis: isize) -> Result<Array> {
    let op = "stack";
    let first = arrays.first().ok_or_else(|| Error::Shape {
        op,
        shapes: vec![],
        reason: "need at least one array to stack".into(),
    })?;
    if arrays.iter().any(|a| a.shape() != first.shape()) {
        return Err(Error::Shape {
            op,
            shapes: arrays.iter().map(|a| a.shape().to_vec()).collect(),
            reason: "all input arrays must have the same shape".into(),
        });
    }
    let ax = Layout::normalize_axis(op, axis, first.ndim() + 1)?;
    let expanded: Vec<Array> = arrays
        .iter()
        .map(|a| a.expand_dims(&[ax as isize]))
        .collect::<Result<_>>()?;
    let refs: Vec<&Array> = expanded.iter().collect();
    concat_impl(op, &refs, Some(ax as isize))
}
