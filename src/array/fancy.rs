//! Advanced ("fancy") indexing: integer index arrays and boolean masks,
//! mixed with basic items, placed by NumPy's rule.

use super::Array;
use crate::dtype::{DType, Element};
use crate::error::{fmt_shape, Error, Result};
use crate::layout::order::fancy_output_layout;
use crate::layout::{broadcast_shapes, Layout, SliceItem};

/// One item of an index that may hold arrays: a basic item (integer, slice,
/// newaxis, ellipsis) or an index array (integers select positions, a bool
/// mask selects where it is true).
///
/// ```
/// use strider::{Array, IndexItem, SliceItem};
/// let x = Array::arange_i64(0, 12, 1).unwrap().reshape(&[3, 4]).unwrap();
/// let cols = IndexItem::indices(&[0, 2]);
/// let r = x.index(&[SliceItem::full().into(), cols]).unwrap();
/// assert_eq!(r.shape(), &[3, 2]);
/// assert_eq!(r.to_vec::<i64>().unwrap(), vec![0, 2, 4, 6, 8, 10]);
/// ```
#[derive(Clone, Debug)]
pub enum IndexItem {
    /// A basic item.
    Basic(SliceItem),
    /// An integer index array or a boolean mask.
    Array(Array),
}

impl IndexItem {
    /// A 1-D integer index array.
    pub fn indices(idx: &[i64]) -> IndexItem {
        IndexItem::Array(
            Array::from_slice(idx, &[idx.len()]).unwrap_or_else(|_| Array::scalar(0i64)),
        )
    }

    /// A 1-D boolean mask.
    pub fn mask(mask: &[bool]) -> IndexItem {
        IndexItem::Array(
            Array::from_slice(mask, &[mask.len()]).unwrap_or_else(|_| Array::scalar(false)),
        )
    }

    /// Basic items as index items (to mix `s![...]` with arrays).
    pub fn basic(items: &[SliceItem]) -> Vec<IndexItem> {
        items.iter().map(|&i| IndexItem::Basic(i)).collect()
    }
}

impl From<SliceItem> for IndexItem {
    fn from(i: SliceItem) -> IndexItem {
        IndexItem::Basic(i)
    }
}

impl From<Array> for IndexItem {
    fn from(a: Array) -> IndexItem {
        IndexItem::Array(a)
    }
}

impl From<&Array> for IndexItem {
    fn from(a: &Array) -> IndexItem {
        IndexItem::Array(a.clone())
    }
}

/// How an advanced index maps onto its source: a view for the basic part,
/// the advanced axes of that view with their index values, and where the
/// broadcast index shape B lands in the result.
pub(crate) struct FancyPlan {
    /// The source after basic items, advanced axes kept whole.
    pub view: Layout,
    /// The result shape.
    pub shape: Vec<usize>,
    /// The result layout NumPy would allocate.
    pub layout: Layout,
    /// Source element offset (relative to `view`) per position of B, in C order.
    pub b_offsets: Vec<isize>,
    /// Shape of B.
    pub b_shape: Vec<usize>,
    /// Position of B among the result axes.
    pub b_pos: usize,
    /// The non-advanced axes of `view`, in order.
    pub sub_axes: Vec<usize>,
}

enum Expanded {
    Basic(SliceItem),
    /// An advanced index over one source axis: its values and the layout of
    /// the array it came from (for NumPy's result order).
    Adv(Vec<i64>, Layout),
}

impl Array {
    /// The elements as `T` in logical C order, converting with NumPy's
    /// unsafe cast. An internal read, like `to_vec`, not a recorded copy.
    pub(crate) fn values_as<T: Element>(&self) -> Result<Vec<T>> {
        crate::dispatch_dtype!(self.dtype(), S => Ok(self.to_vec::<S>()?.into_iter().map(|v| v.cast::<T>()).collect()))
    }

    /// Indexing with basic items and index arrays, as NumPy's `x[...]`.
    /// With no array item this is [`Array::slice`] (a view). With array
    /// items it is advanced indexing, which always copies into new memory
    /// (recorded as an explicit copy), with NumPy's placement of the
    /// broadcast index shape and NumPy's result layout.
    ///
    /// # Errors
    /// Out-of-bounds indices, too many indices, a mask whose shape does not
    /// match, index arrays that do not broadcast together, and index arrays
    /// that are neither integer nor bool are index errors (NumPy's
    /// `IndexError`).
    ///
    /// ```
    /// use strider::{Array, IndexItem, SliceItem};
    /// let x = Array::arange_i64(0, 24, 1).unwrap().reshape(&[2, 3, 4]).unwrap();
    /// // Integers count as advanced indices next to an array; a slice between
    /// // them sends the broadcast shape to the front.
    /// let r = x.index(&[SliceItem::Index(0).into(), SliceItem::full().into(), IndexItem::indices(&[1, 0])]).unwrap();
    /// assert_eq!(r.shape(), &[2, 3]);
    /// let m = x.greater(20).unwrap();
    /// assert_eq!(x.index(&[m.into()]).unwrap().to_vec::<i64>().unwrap(), vec![21, 22, 23]);
    /// ```
    pub fn index(&self, items: &[IndexItem]) -> Result<Array> {
        let op = "index";
        if items.iter().all(|i| matches!(i, IndexItem::Basic(_))) {
            let basic: Vec<SliceItem> = items
                .iter()
                .filter_map(|i| match i {
                    IndexItem::Basic(b) => Some(*b),
                    IndexItem::Array(_) => None,
                })
                .collect();
            return Ok(self.view_with(self.layout.slice(op, &basic)?));
        }
        #[cfg(feature = "gpu")]
        if self.gpu_buffer().is_some() {
            return self.index_on_device(items);
        }
        self.require_cpu(op)?;
        if let Some(out) = self.index_fast(op, items)? {
            return Ok(out);
        }
        let plan = self.fancy_plan(op, items)?;
        let out = Array::alloc(op, plan.layout.clone(), self.dtype())?;
        plan.copy(op, self, &out, true)?;
        self.record_copy(op, "advanced indexing always copies", false, &out);
        Ok(out)
    }

    /// Advanced indexing of a GPU array on its device. The index arrays
    /// come to the host (a recorded transfer for each one on a GPU): their
    /// values are bounds-checked there, as NumPy raises `IndexError` before
    /// anything moves, and turned into a table holding the source element
    /// of each result element (`u32`, uploaded: one recorded transfer of 4
    /// bytes per result element); a gather kernel then fills the result.
    /// The source itself never leaves the device.
    ///
    /// A source buffer larger than one storage binding, or with more than
    /// 2^32 elements, is indexed through the host instead (the source's
    /// extent comes down, the result goes up; both recorded).
    #[cfg(feature = "gpu")]
    fn index_on_device(&self, items: &[IndexItem]) -> Result<Array> {
        let op = "index";
        let host_items = items_on_host(items)?;
        let Some(g) = self.gpu_buffer() else {
            return Err(self.not_on_gpu(op));
        };
        let dev = g.device().clone();
        if g.size() > dev.max_binding_size() || self.buf.len() > u32::MAX as usize {
            return self.index_via_host(&host_items);
        }
        let plan = self.fancy_plan(op, &host_items)?;
        let device = self.device();
        let out = Array::alloc_on(&device, op, plan.layout.clone(), self.dtype())?;
        let n = out.size();
        let table = plan.gather_table(&plan.layout, n);
        let table = Array::from_vec(table, &[n])?.upload_for(op, &device)?;
        let (Some(out_buf), Some(table_buf)) = (out.gpu_buffer(), table.gpu_buffer()) else {
            return Err(self.not_on_gpu(op));
        };
        crate::gpu::gather(&dev, self.dtype(), out_buf, g, table_buf, n as u64)?;
        self.record_copy(op, "advanced indexing always copies", false, &out);
        Ok(out)
    }

    /// The error for a GPU path that met an array off the GPU.
    #[cfg(feature = "gpu")]
    fn not_on_gpu(&self, op: &'static str) -> Error {
        Error::Device {
            op,
            reason: format!(
                "an array of shape {} expected on a GPU is on {}",
                fmt_shape(self.shape()),
                self.device()
            ),
        }
    }

    /// Advanced indexing of a GPU array through the host: the source's
    /// extent comes down, is indexed on the CPU, and the result goes back
    /// up (each move a recorded transfer). For sources too large for one
    /// storage binding; `items` are already on the host.
    #[cfg(feature = "gpu")]
    fn index_via_host(&self, items: &[IndexItem]) -> Result<Array> {
        let device = self.device();
        // The layouts come down as they are: NumPy's result layout depends
        // on the source's and the index arrays' strides.
        let host = self.download_extent("index")?;
        host.index(items)?.to_device(&device)
    }

    /// Builds the plan of an advanced index.
    pub(crate) fn fancy_plan(&self, op: &'static str, items: &[IndexItem]) -> Result<FancyPlan> {
        self.fancy_index(op, items)?.plan(op)
    }

    /// NumPy's `prepare_index` for an index with arrays: counts the axes,
    /// expands the ellipsis, checks integers against their axes and masks
    /// against the axes they cover, turns masks into one index array per
    /// covered axis and integers into 0-d index arrays, and takes the view
    /// of the basic items. Index arrays are not bounds-checked yet.
    pub(crate) fn fancy_index(&self, op: &'static str, items: &[IndexItem]) -> Result<FancyIndex> {
        let shape = self.shape();
        let index_err = |reason: String| Error::Index {
            op,
            shape: shape.to_vec(),
            reason,
        };
        // How many source axes the items consume, to expand the ellipsis.
        let mut consumed = 0usize;
        let mut ellipses = 0usize;
        for it in items {
            match it {
                IndexItem::Basic(SliceItem::NewAxis) => {}
                IndexItem::Basic(SliceItem::Ellipsis) => ellipses += 1,
                IndexItem::Basic(_) => consumed += 1,
                IndexItem::Array(a) if a.dtype() == DType::Bool => {
                    if a.ndim() == 0 {
                        return Err(index_err("a 0-d boolean index is not supported".into()));
                    }
                    consumed += a.ndim()
                }
                IndexItem::Array(_) => consumed += 1,
            }
        }
        if ellipses > 1 {
            return Err(index_err(
                "an index can only have a single ellipsis ('...')".into(),
            ));
        }
        if consumed > self.ndim() {
            return Err(index_err(format!(
                "too many indices for array: array is {}-dimensional, but {consumed} were indexed",
                self.ndim()
            )));
        }
        // Expand masks into one index array per covered axis and integers
        // into 0-d index arrays, tracking the source axis of each item.
        let mut expanded: Vec<Expanded> = Vec::new();
        let mut axis = 0usize;
        for it in items {
            match it {
                IndexItem::Basic(SliceItem::Ellipsis) => {
                    for _ in 0..self.ndim() - consumed {
                        expanded.push(Expanded::Basic(SliceItem::full()));
                        axis += 1;
                    }
                }
                IndexItem::Basic(SliceItem::NewAxis) => {
                    expanded.push(Expanded::Basic(SliceItem::NewAxis))
                }
                IndexItem::Basic(SliceItem::Index(i)) => {
                    let n = shape[axis] as i64;
                    let v = *i as i64;
                    if v < -n || v >= n {
                        return Err(out_of_bounds(op, shape, v, axis, n));
                    }
                    expanded.push(Expanded::Adv(vec![v], Layout::scalar(0)));
                    axis += 1;
                }
                IndexItem::Basic(b) => {
                    expanded.push(Expanded::Basic(*b));
                    axis += 1;
                }
                IndexItem::Array(a) if a.dtype() == DType::Bool => {
                    // As NumPy, a mask axis of length 0 is not checked: it
                    // selects nothing whatever the length of its axis.
                    let covered = &shape[axis..axis + a.ndim()];
                    let mismatch = a
                        .shape()
                        .iter()
                        .zip(covered)
                        .position(|(&m, &d)| m != 0 && m != d);
                    if let Some(d) = mismatch {
                        return Err(index_err(format!(
                            "boolean index did not match indexed array along axis {}; size of \
                             axis is {} but size of corresponding boolean axis is {} (mask shape {})",
                            axis + d,
                            covered[d],
                            a.shape()[d],
                            fmt_shape(a.shape())
                        )));
                    }
                    let mask = a.to_vec::<bool>()?;
                    let dims = a.shape();
                    let mut coords: Vec<Vec<i64>> = vec![Vec::new(); dims.len()];
                    for (lin, &m) in mask.iter().enumerate() {
                        if m {
                            let mut rem = lin;
                            for d in (0..dims.len()).rev() {
                                coords[d].push((rem % dims[d]) as i64);
                                rem /= dims[d];
                            }
                        }
                    }
                    for c in coords {
                        let n = c.len();
                        expanded.push(Expanded::Adv(c, Layout::new(vec![n], vec![1], 0)));
                        axis += 1;
                    }
                }
                IndexItem::Array(a) => {
                    if !a.dtype().is_integer() {
                        return Err(index_err(format!(
                            "arrays used as indices must be of integer (or boolean) type, not {}",
                            a.dtype()
                        )));
                    }
                    expanded.push(Expanded::Adv(a.values_as::<i64>()?, a.layout().clone()));
                    axis += 1;
                }
            }
        }
        // The basic part: advanced items become whole axes of the view.
        let basic: Vec<SliceItem> = expanded
            .iter()
            .map(|e| match e {
                Expanded::Basic(b) => *b,
                Expanded::Adv(..) => SliceItem::full(),
            })
            .collect();
        let view = self.layout.slice(op, &basic)?;
        let mut adv_axes = Vec::new();
        let mut adv = Vec::new();
        for (k, e) in expanded.into_iter().enumerate() {
            if let Expanded::Adv(v, l) = e {
                adv_axes.push(k);
                adv.push((v, l));
            }
        }
        Ok(FancyIndex {
            src_shape: shape.to_vec(),
            view,
            adv_axes,
            adv,
        })
    }
}

/// An advanced index after NumPy's `prepare_index` (see
/// [`Array::fancy_index`]): the view of the basic items, and the advanced
/// axes of that view with their (not yet bounds-checked) index values and
/// the layouts of the arrays they came from.
pub(crate) struct FancyIndex {
    src_shape: Vec<usize>,
    view: Layout,
    adv_axes: Vec<usize>,
    adv: Vec<(Vec<i64>, Layout)>,
}

impl FancyIndex {
    fn index_err(&self, op: &'static str, reason: String) -> Error {
        Error::Index {
            op,
            shape: self.src_shape.clone(),
            reason,
        }
    }

    /// The broadcast shape B of the index arrays.
    ///
    /// # Errors
    /// Index arrays that do not broadcast together are an index error.
    fn b_shape(&self, op: &'static str) -> Result<Vec<usize>> {
        let adv_shapes: Vec<&[usize]> = self.adv.iter().map(|(_, l)| l.shape()).collect();
        broadcast_shapes(op, &adv_shapes).map_err(|_| {
            self.index_err(
                op,
                format!(
                    "shape mismatch: indexing arrays could not be broadcast together with shapes {}",
                    adv_shapes.iter().map(|s| fmt_shape(s)).collect::<Vec<_>>().join(" ")
                ),
            )
        })
    }

    /// Whether the advanced axes are adjacent (B then replaces them in
    /// place; otherwise B goes first).
    fn adjacent(&self) -> bool {
        self.adv_axes.windows(2).all(|w| w[1] == w[0] + 1)
    }

    /// The non-advanced axes of the view, in order.
    fn sub_axes(&self) -> Vec<usize> {
        (0..self.view.ndim())
            .filter(|d| !self.adv_axes.contains(d))
            .collect()
    }

    /// The result shape and where B starts in it.
    fn placed(&self, b_shape: &[usize]) -> (Vec<usize>, usize) {
        let sub_axes = self.sub_axes();
        let mut out_shape: Vec<usize> = sub_axes.iter().map(|&d| self.view.shape()[d]).collect();
        let b_pos = match self.adv_axes.first() {
            Some(&first) if self.adjacent() => sub_axes.iter().filter(|&&d| d < first).count(),
            _ => 0,
        };
        for (k, &n) in b_shape.iter().enumerate() {
            out_shape.insert(b_pos + k, n);
        }
        (out_shape, b_pos)
    }

    /// The shape of the result (of `x[index]`, or of the destination of
    /// `x[index] = value`).
    ///
    /// # Errors
    /// Index arrays that do not broadcast together are an index error.
    pub(crate) fn result_shape(&self, op: &'static str) -> Result<Vec<usize>> {
        Ok(self.placed(&self.b_shape(op)?).0)
    }

    /// Bounds-checks the index values and makes the plan.
    ///
    /// # Errors
    /// Index arrays that do not broadcast together, or an index value out
    /// of bounds for its axis, are index errors.
    pub(crate) fn plan(self, op: &'static str) -> Result<FancyPlan> {
        let b_shape = self.b_shape(op)?;
        let view = &self.view;
        // Offsets of every position of B.
        let b_size = b_shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| Error::overflow(op, &b_shape))?;
        let mut b_offsets = crate::storage::pool::vec_from_fn(op, b_size, |_| 0isize)?;
        let mut index_layouts = Vec::with_capacity(self.adv.len());
        for ((vals, l), &ax) in self.adv.iter().zip(&self.adv_axes) {
            let n = view.shape()[ax] as i64;
            let stride = view.strides()[ax];
            let bl = l
                .broadcast_to(op, &b_shape)
                .map_err(|_| self.index_err(op, "index arrays do not broadcast".into()))?;
            let bs = Layout::new(
                l.shape().to_vec(),
                Layout::dense_strides(l.shape(), crate::Order::C),
                0,
            )
            .broadcast_strides(&b_shape);
            for (pos, off) in b_offsets.iter_mut().enumerate() {
                let mut rem = pos;
                let mut at = 0isize;
                for d in (0..b_shape.len()).rev() {
                    at += (rem % b_shape[d]) as isize * bs[d];
                    rem /= b_shape[d];
                }
                let mut v = vals[at as usize];
                if v < -n || v >= n {
                    return Err(out_of_bounds(op, &self.src_shape, v, ax, n));
                }
                if v < 0 {
                    v += n;
                }
                *off += v as isize * stride;
            }
            index_layouts.push(bl);
        }
        let sub_axes = self.sub_axes();
        let sub_strides: Vec<isize> = sub_axes.iter().map(|&d| view.strides()[d]).collect();
        let (out_shape, b_pos) = self.placed(&b_shape);
        let refs: Vec<&Layout> = index_layouts.iter().collect();
        let layout = fancy_output_layout(&out_shape, b_pos, b_shape.len(), &refs, &sub_strides);
        Ok(FancyPlan {
            view: self.view,
            shape: out_shape,
            layout,
            b_offsets,
            b_shape,
            b_pos,
            sub_axes,
        })
    }
}

/// NumPy's `IndexError` for index `v` outside axis `axis` (of length `n`)
/// when indexing an array of `shape`.
pub(super) fn out_of_bounds(
    op: &'static str,
    shape: &[usize],
    v: i64,
    axis: usize,
    n: i64,
) -> Error {
    Error::Index {
        op,
        shape: shape.to_vec(),
        reason: format!("index {v} is out of bounds for axis {axis} with size {n}"),
    }
}

/// C-order element offsets of every position of `shape` under `strides`.
pub(crate) fn offsets(shape: &[usize], strides: &[isize]) -> Vec<isize> {
    let mut out = Vec::with_capacity(shape.iter().product());
    crate::layout::for_each_offset(shape, strides, |o| out.push(o));
    out
}

impl FancyPlan {
    /// Element offsets of the index positions, split into an outer part
    /// (per position of the broadcast index shape B, in C order) and an
    /// inner part (per position of the other axes, in C order):
    /// `[result outer, view outer, result inner, view inner]`. Result
    /// offsets are in `result` (broadcast to the result shape), view
    /// offsets in the indexed array's buffer; the element at (outer `i`,
    /// inner `j`) is at `outer[i] + inner[j]` on each side.
    pub(crate) fn offset_tables(&self, result: &Layout) -> [Vec<isize>; 4] {
        let v = &self.view;
        let sub_shape: Vec<usize> = self.sub_axes.iter().map(|&d| v.shape()[d]).collect();
        let sub_strides: Vec<isize> = self.sub_axes.iter().map(|&d| v.strides()[d]).collect();
        let v_inner = offsets(&sub_shape, &sub_strides);
        let v_outer: Vec<isize> = self
            .b_offsets
            .iter()
            .map(|&o| o + v.offset() as isize)
            .collect();
        let rs = result.broadcast_strides(&self.shape);
        let bnd = self.b_shape.len();
        let r_b_strides = &rs[self.b_pos..self.b_pos + bnd];
        let r_sub_strides: Vec<isize> = rs[..self.b_pos]
            .iter()
            .chain(&rs[self.b_pos + bnd..])
            .copied()
            .collect();
        let r_inner = offsets(&sub_shape, &r_sub_strides);
        let r_outer: Vec<isize> = offsets(&self.b_shape, r_b_strides)
            .into_iter()
            .map(|o| o + result.offset() as isize)
            .collect();
        [r_outer, v_outer, r_inner, v_inner]
    }

    /// For a gather into a fresh result laid out as `result` (dense, `n`
    /// elements): the source element of each result element, by its
    /// position in the result's buffer.
    #[cfg(feature = "gpu")]
    pub(crate) fn gather_table(&self, result: &Layout, n: usize) -> Vec<u32> {
        let [r_outer, v_outer, r_inner, v_inner] = self.offset_tables(result);
        let mut table = vec![0u32; n];
        for (ro, vo) in r_outer.iter().zip(&v_outer) {
            for (ri, vi) in r_inner.iter().zip(&v_inner) {
                table[(ro + ri) as usize] = (vo + vi) as u32;
            }
        }
        table
    }

    /// For an assignment from `value` (laid out as `value`, broadcast to the
    /// result shape): (destination element, source element) pairs, the
    /// last one for each destination (the last write wins, in the order
    /// the CPU writes), sorted by destination.
    #[cfg(feature = "gpu")]
    pub(crate) fn scatter_entries(&self, value: &Layout) -> Vec<(u32, u32)> {
        let [r_outer, v_outer, r_inner, v_inner] = self.offset_tables(value);
        let mut entries = Vec::with_capacity(v_outer.len() * v_inner.len());
        for (ro, vo) in r_outer.iter().zip(&v_outer) {
            for (ri, vi) in r_inner.iter().zip(&v_inner) {
                entries.push(((vo + vi) as u32, (ro + ri) as u32));
            }
        }
        // A stable sort keeps repeated destinations in write order; keep
        // the last of each run.
        entries.sort_by_key(|e| e.0);
        let mut kept: Vec<(u32, u32)> = Vec::with_capacity(entries.len());
        for e in entries {
            match kept.last_mut() {
                Some(last) if last.0 == e.0 => *last = e,
                _ => kept.push(e),
            }
        }
        kept
    }

    /// Copies between the indexed positions of `view_side` (an array over
    /// the buffer of the indexed array with layout `self.view`) and
    /// `result_side` (an array of the result's shape, possibly broadcast).
    /// `gather` copies view -> result (indexing); otherwise result -> view
    /// (assignment, last write wins).
    pub(crate) fn copy(
        &self,
        op: &'static str,
        view_side: &Array,
        result_side: &Array,
        gather: bool,
    ) -> Result<()> {
        let [r_outer, v_outer, r_inner, v_inner] = self.offset_tables(result_side.layout());
        let (dst, src) = if gather {
            (result_side, view_side)
        } else {
            (view_side, result_side)
        };
        let (outer, inner) = if gather {
            ((&r_outer[..], &v_outer[..]), (&r_inner[..], &v_inner[..]))
        } else {
            ((&v_outer[..], &r_outer[..]), (&v_inner[..], &r_inner[..]))
        };
        dst.with_locks(op, &[src], |locks| {
            let dp = locks.ptr(dst.buffer_id());
            let sp = locks.ptr(src.buffer_id()) as *const u8;
            // SAFETY: every offset is inside its layout (index values were
            // bounds-checked, layouts come from the layout module); locks
            // held; callers copy a source that overlaps the destination.
            unsafe {
                crate::cpu::kernels::offset_copy(dp, dst.dtype(), sp, src.dtype(), outer, inner)
            }
        })
    }
}

/// The index items with every index array brought to host memory.
#[cfg(feature = "gpu")]
pub(crate) fn items_on_host(items: &[IndexItem]) -> Result<Vec<IndexItem>> {
    items
        .iter()
        .map(|i| match i {
            IndexItem::Array(a) if a.device().is_cpu() => Ok(IndexItem::Array(a.clone())),
            IndexItem::Array(a) => Ok(IndexItem::Array(a.download_extent("index")?)),
            IndexItem::Basic(b) => Ok(IndexItem::Basic(*b)),
        })
        .collect()
}
