//! Zero-copy access to a CPU array's elements, and user functions over them.
//!
//! [`Array::read`] and [`Array::write`] lend the array's memory to Rust code
//! as typed guards, under the buffer's lock:
//!
//! - [`ArrayRead::as_slice`] / [`ArrayWrite::as_mut_slice`] give `&[T]` /
//!   `&mut [T]` when the array's elements fill one run of memory (C or F
//!   order, any transposition or flip of them), in memory order;
//! - [`ArrayRead::get`], [`ArrayRead::iter`] and their mutable twins reach
//!   any layout (steps, negative strides, broadcasts) in logical C order.
//!
//! # Locking
//! A read guard holds the buffer's read lock, a write guard its write lock,
//! until dropped. Other threads' operations on the same buffer wait for it
//! (many readers at once; a writer alone), as they wait for a kernel. On the
//! guard's own thread, the standard lock cannot be taken twice, so any
//! strider call that needs the lent buffer, and a second guard on it, fails
//! with [`ErrorKind::Borrowed`](crate::ErrorKind::Borrowed) instead of
//! deadlocking; arrays on other buffers are unaffected. Guards are not
//! `Send`.
//!
//! Across threads the usual rule for locks held over calls applies: a
//! guard takes its buffer outside the order that kernels follow (a write
//! guard also holds the buffer's write turn, as every writer does), so a
//! thread that holds a guard on `x` while running ops on `y`, racing a
//! thread whose op involves both `x` and `y` (writes one, reads the other),
//! can deadlock. Keep guards short, or take them only on buffers no other
//! thread uses meanwhile.
//!
//! [`Array::map`] and [`Array::zip_map`] run a Rust closure over the
//! elements (broadcast for two arrays) into a new array, through the same
//! iteration plan and threads as the built-in kernels.

use super::Array;
use crate::dtype::Element;
use crate::error::{fmt_shape, Error, Result};
use crate::layout::{Layout, Order};
use crate::storage::{CpuData, LentMark, TurnGuard};
use std::marker::PhantomData;
use std::sync::{RwLockReadGuard, RwLockWriteGuard};

/// The element index range `lo..lo + size` when the layout's elements fill
/// one run of memory exactly (each element once, no gaps), whatever the
/// order and signs of the strides; `None` otherwise. Size 0 gives an empty
/// range at the offset.
fn dense_range(layout: &Layout) -> Option<std::ops::Range<usize>> {
    let size = layout.size();
    let Some((lo, _)) = layout.extent() else {
        return Some(layout.offset()..layout.offset());
    };
    let mut axes: Vec<(usize, usize)> = layout
        .shape()
        .iter()
        .zip(layout.strides())
        .filter(|(&d, _)| d != 1)
        .map(|(&d, &s)| (s.unsigned_abs(), d))
        .collect();
    axes.sort_unstable();
    let mut expected = 1usize;
    for (stride, len) in axes {
        if stride != expected {
            return None;
        }
        expected *= len;
    }
    Some(lo..lo + size)
}

/// Whether no two logical indices of the layout name one element: sorted by
/// `|stride|`, each axis steps past everything the faster axes reach. A
/// sufficient test; every writeable layout strider builds passes it.
fn never_repeats(layout: &Layout) -> bool {
    if layout.size() == 0 {
        return true;
    }
    let mut axes: Vec<(usize, usize)> = layout
        .shape()
        .iter()
        .zip(layout.strides())
        .filter(|(&d, _)| d > 1)
        .map(|(&d, &s)| (s.unsigned_abs(), d))
        .collect();
    axes.sort_unstable();
    let mut reach = 0usize;
    for (stride, len) in axes {
        if stride <= reach {
            return false;
        }
        reach += stride * (len - 1);
    }
    true
}

/// A guard over the elements of a CPU array of element type `T`, holding
/// the buffer's lock `G` (a read or a write guard); the read methods are
/// shared, the write methods need the write lock. Made by [`Array::read`]
/// and [`Array::write`]; see the [module docs](self) for the locking rules.
pub struct Guard<'a, T: Element, G> {
    guard: G,
    layout: &'a Layout,
    _mark: LentMark,
    // A write guard is a writer like any operation: it holds the buffer's
    // write turn (dropped after the lock, by field order).
    _turn: Option<TurnGuard<'a>>,
    _t: PhantomData<T>,
}

/// Read access, holding the buffer's read lock: made by [`Array::read`].
pub type ArrayRead<'a, T> = Guard<'a, T, RwLockReadGuard<'a, CpuData>>;

/// Write access, holding the buffer's write lock: made by [`Array::write`].
pub type ArrayWrite<'a, T> = Guard<'a, T, RwLockWriteGuard<'a, CpuData>>;

/// The typed elements of the whole buffer. The guard's dtype was checked
/// against `T` when it was made.
fn typed<T: Element>(data: &CpuData) -> &[T] {
    data.as_slice::<T>().unwrap_or(&[])
}

/// The element index of a logical index, or `None` out of range.
fn index_of(layout: &Layout, index: &[usize]) -> Option<usize> {
    (index.len() == layout.ndim() && index.iter().zip(layout.shape()).all(|(i, d)| i < d))
        .then(|| layout.element_index(index))
}

/// The element indices of a layout in logical C order, one odometer step
/// at a time (no allocation per element).
#[derive(Clone, Debug)]
struct Offsets {
    shape: Vec<usize>,
    strides: Vec<isize>,
    idx: Vec<usize>,
    pos: isize,
    left: usize,
}

impl Offsets {
    fn new(layout: &Layout) -> Offsets {
        Offsets {
            shape: layout.shape().to_vec(),
            strides: layout.strides().to_vec(),
            idx: vec![0; layout.ndim()],
            pos: layout.offset() as isize,
            left: layout.size(),
        }
    }
}

impl Iterator for Offsets {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.left == 0 {
            return None;
        }
        let here = self.pos as usize;
        self.left -= 1;
        if self.left > 0 {
            for ax in (0..self.shape.len()).rev() {
                self.idx[ax] += 1;
                self.pos += self.strides[ax];
                if self.idx[ax] < self.shape[ax] {
                    break;
                }
                self.pos -= self.strides[ax] * self.shape[ax] as isize;
                self.idx[ax] = 0;
            }
        }
        Some(here)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Offsets {}

impl<'a, T: Element, G: std::ops::Deref<Target = CpuData>> Guard<'a, T, G> {
    /// The shape of the array.
    pub fn shape(&self) -> &[usize] {
        self.layout.shape()
    }

    /// The strides in elements.
    pub fn strides(&self) -> &[isize] {
        self.layout.strides()
    }

    /// The elements as one slice in memory order, when they fill one run of
    /// memory (C or F contiguous, or a transposition or flip of such an
    /// array); `None` for layouts with gaps or repeats. For a C-contiguous
    /// array memory order is logical order.
    ///
    /// ```
    /// use strider::{s, Array};
    /// let a = Array::arange_i64(0, 6, 1)?.reshape(&[2, 3])?;
    /// assert_eq!(a.read::<i64>()?.as_slice(), Some(&[0, 1, 2, 3, 4, 5][..]));
    /// assert_eq!(a.t().read::<i64>()?.as_slice(), Some(&[0, 1, 2, 3, 4, 5][..]));
    /// assert_eq!(a.slice(s![.., ..;2])?.read::<i64>()?.as_slice(), None);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn as_slice(&self) -> Option<&[T]> {
        dense_range(self.layout).map(|r| &typed::<T>(&self.guard)[r])
    }

    /// The element at a logical index, or `None` outside the shape.
    ///
    /// ```
    /// use strider::{s, Array};
    /// let a = Array::arange_i64(0, 6, 1)?.reshape(&[2, 3])?;
    /// let r = a.slice(s![..;-1, ..])?;
    /// assert_eq!(r.read::<i64>()?.get(&[0, 2]), Some(&5));
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn get(&self, index: &[usize]) -> Option<&T> {
        index_of(self.layout, index).map(|at| &typed::<T>(&self.guard)[at])
    }

    /// The elements in logical C order, for any layout.
    ///
    /// ```
    /// use strider::{s, Array};
    /// let a = Array::arange_i64(0, 6, 1)?.reshape(&[2, 3])?;
    /// let t = a.t();
    /// let seen: Vec<i64> = t.read::<i64>()?.iter().copied().collect();
    /// assert_eq!(seen, [0, 3, 1, 4, 2, 5]);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &T> + '_ {
        let data = typed::<T>(&self.guard);
        Offsets::new(self.layout).map(move |i| &data[i])
    }

    /// The whole buffer this array views, in memory order (every element of
    /// the allocation, also those outside the view).
    pub fn buffer(&self) -> &[T] {
        typed::<T>(&self.guard)
    }

    /// The layout (in elements) the guard reaches the elements through.
    pub fn layout(&self) -> &Layout {
        self.layout
    }
}

impl<'a, T: Element> ArrayWrite<'a, T> {
    /// The elements as one mutable slice in memory order, when they fill
    /// one run of memory; `None` otherwise.
    ///
    /// ```
    /// use strider::{Array, DType};
    /// let a = Array::zeros(&[2, 3], DType::F32)?;
    /// {
    ///     let mut w = a.write::<f32>()?;
    ///     for (i, x) in w.as_mut_slice().unwrap().iter_mut().enumerate() {
    ///         *x = i as f32;
    ///     }
    /// } // the guard drops: the lock is released
    /// assert_eq!(a.get::<f32>(&[1, 2])?, 5.0);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn as_mut_slice(&mut self) -> Option<&mut [T]> {
        let r = dense_range(self.layout)?;
        self.guard.as_mut_slice::<T>().map(|d| &mut d[r])
    }

    /// The element at a logical index for writing, or `None` outside the
    /// shape.
    ///
    /// ```
    /// use strider::{s, Array, DType};
    /// let a = Array::zeros(&[3, 4], DType::I32)?;
    /// let v = a.slice(s![1.., ..;-2])?;
    /// *v.write::<i32>()?.get_mut(&[0, 0]).unwrap() = 7;
    /// assert_eq!(a.get::<i32>(&[1, 3])?, 7);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn get_mut(&mut self, index: &[usize]) -> Option<&mut T> {
        let at = index_of(self.layout, index)?;
        self.guard.as_mut_slice::<T>().map(|d| &mut d[at])
    }

    /// The whole buffer this array views, for writing (every element of
    /// the allocation, also those outside the view).
    pub fn buffer_mut(&mut self) -> &mut [T] {
        self.guard.as_mut_slice::<T>().unwrap_or(&mut [])
    }

    /// The elements in logical C order, for writing, for any layout.
    ///
    /// ```
    /// use strider::{s, Array, DType};
    /// let a = Array::zeros(&[2, 3], DType::U8)?;
    /// let col = a.slice(s![.., 1])?;
    /// for (i, x) in col.write::<u8>()?.iter_mut().enumerate() {
    ///     *x = 10 + i as u8;
    /// }
    /// assert_eq!(a.to_vec::<u8>()?, [0, 10, 0, 0, 11, 0]);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn iter_mut(&mut self) -> IterMut<'_, T> {
        let indices = Offsets::new(self.layout);
        let data = self.guard.as_mut_slice::<T>().unwrap_or(&mut []);
        IterMut {
            base: data.as_mut_ptr(),
            len: data.len(),
            indices,
            _data: PhantomData,
        }
    }
}

/// The elements of an [`ArrayWrite`] in logical C order, as `&mut T`.
pub struct IterMut<'g, T> {
    base: *mut T,
    len: usize,
    indices: Offsets,
    _data: PhantomData<&'g mut [T]>,
}

impl<'g, T> Iterator for IterMut<'g, T> {
    type Item = &'g mut T;

    fn next(&mut self) -> Option<&'g mut T> {
        let i = self.indices.next()?;
        if i >= self.len {
            debug_assert!(false, "layout names an element outside its buffer");
            return None;
        }
        // SAFETY: `base..base + len` is the guard's buffer, mutably borrowed
        // for 'g through `&mut ArrayWrite`; `i` is in bounds (checked); the
        // guard's layout never names one element twice (`Array::write`
        // refuses layouts that could), so the references handed out are
        // disjoint.
        Some(unsafe { &mut *self.base.add(i) })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.indices.size_hint()
    }
}

impl<T> ExactSizeIterator for IterMut<'_, T> {}

impl Array {
    /// Read access to the elements in place, as `T`, under the buffer's
    /// read lock: no copy. See [`ArrayRead`] and the locking rules in
    /// [`access`](self).
    ///
    /// # Errors
    /// `T` must be the array's dtype (a dtype error names both); the array
    /// must be on the CPU (a device error names its device); this thread
    /// must not hold a write guard on the same buffer (a borrowed error).
    ///
    /// ```
    /// use strider::{Array, DType};
    /// let a = Array::from_vec(vec![1.5f32, 2.5, 3.5], &[3])?;
    /// let sum: f32 = a.read::<f32>()?.iter().sum();
    /// assert_eq!(sum, 7.5);
    /// assert!(a.read::<f64>().is_err()); // the array holds f32
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn read<T: Element>(&self) -> Result<ArrayRead<'_, T>> {
        self.check_dtype::<T>("read")?;
        let guard = self.cpu_read("read")?;
        Ok(ArrayRead {
            guard,
            layout: &self.layout,
            _mark: LentMark::new(self.buf.id(), false),
            _turn: None,
            _t: PhantomData,
        })
    }

    /// Write access to the elements in place, as `T`, under the buffer's
    /// write lock: no copy, and the writes show in every view of the
    /// buffer. See [`ArrayWrite`] and the locking rules in
    /// [`access`](self).
    ///
    /// # Errors
    /// As [`Array::read`], and the array must be writeable (not a
    /// broadcast view).
    ///
    /// ```
    /// use strider::{s, Array, DType};
    /// let a = Array::zeros(&[4], DType::F64)?;
    /// for x in a.slice(s![..;2])?.write::<f64>()?.iter_mut() {
    ///     *x = 1.0;
    /// }
    /// assert_eq!(a.to_vec::<f64>()?, [1.0, 0.0, 1.0, 0.0]);
    /// assert!(a.broadcast_to(&[2, 4])?.write::<f64>().is_err());
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn write<T: Element>(&self) -> Result<ArrayWrite<'_, T>> {
        self.check_dtype::<T>("write")?;
        self.require_writeable("write")?;
        if !never_repeats(&self.layout) {
            return Err(Error::ReadOnly {
                op: "write",
                shape: self.shape().to_vec(),
            });
        }
        self.require_cpu("write")?;
        let turn = self.write_turn("write", [])?;
        let guard = self.cpu_write("write")?;
        Ok(ArrayWrite {
            guard,
            layout: &self.layout,
            _mark: LentMark::new(self.buf.id(), true),
            _turn: Some(turn),
            _t: PhantomData,
        })
    }

    /// A new C-ordered array of `f(x)` for every element `x` of `self`,
    /// run through the iteration plan on rayon's threads for large arrays
    /// (so `f` must be `Fn + Sync`; the order of calls is unspecified). The
    /// result's dtype is `U`'s.
    ///
    /// # Errors
    /// `T` must be the array's dtype; the array must be on the CPU.
    ///
    /// ```
    /// use strider::{s, Array, DType};
    /// let a = Array::arange_i64(0, 6, 1)?.reshape(&[2, 3])?;
    /// let b = a.slice(s![.., ..;-1])?.map(|x: i64| (x * x) as f32)?;
    /// assert_eq!(b.dtype(), DType::F32);
    /// assert_eq!(b.to_vec::<f32>()?, [4.0, 1.0, 0.0, 25.0, 16.0, 9.0]);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn map<T: Element, U: Element>(&self, f: impl Fn(T) -> U + Sync) -> Result<Array> {
        self.check_dtype::<T>("map")?;
        self.require_cpu("map")?;
        let out = Array::alloc_order("map", self.shape(), U::DTYPE, Order::C)?;
        let in_strides = self.layout.strides().to_vec();
        let out_strides = out.layout.strides().to_vec();
        out.with_locks("map", &[self], |locks| {
            let o = out.raw(locks, &out_strides);
            let a = self.raw(locks, &in_strides);
            // SAFETY: the locks are held (the fresh output's for writing);
            // both layouts come from the layout module; the output is a new
            // dense buffer, so no other operand overlaps it; each run's
            // pointers are of dtypes U (checked: made with U::DTYPE) and T
            // (checked above), aligned as their Vecs.
            unsafe {
                crate::cpu::drive(self.shape(), [o, a], |p, s, n| {
                    let (po, pa) = (p[0].cast::<U>(), p[1].cast::<T>().cast_const());
                    for i in 0..n as isize {
                        *po.offset(i * s[0]) = f(*pa.offset(i * s[1]));
                    }
                })
            }
        })?;
        Ok(out)
    }

    /// A new C-ordered array of `f(x, y)` for the elements of `self` and
    /// `other` broadcast together, as [`Array::map`] for two operands.
    ///
    /// # Errors
    /// `A` and `B` must be the dtypes of `self` and `other`; the shapes must
    /// broadcast; both arrays must be on the CPU.
    ///
    /// ```
    /// use strider::Array;
    /// let x = Array::from_vec(vec![1.0f64, 2.0, 3.0], &[3, 1])?;
    /// let k = Array::from_vec(vec![10u8, 20], &[2])?;
    /// let d = x.zip_map(&k, |a: f64, b: u8| a * b as f64)?;
    /// assert_eq!(d.shape(), &[3, 2]);
    /// assert_eq!(d.to_vec::<f64>()?, [10.0, 20.0, 20.0, 40.0, 30.0, 60.0]);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn zip_map<A: Element, B: Element, U: Element>(
        &self,
        other: &Array,
        f: impl Fn(A, B) -> U + Sync,
    ) -> Result<Array> {
        self.check_dtype::<A>("zip_map")?;
        other.check_dtype::<B>("zip_map")?;
        self.require_cpu("zip_map")?;
        other.require_cpu("zip_map")?;
        let shape = crate::layout::broadcast_shapes("zip_map", &[self.shape(), other.shape()])?;
        let out = Array::alloc_order("zip_map", &shape, U::DTYPE, Order::C)?;
        let a_strides = self.layout.broadcast_strides(&shape);
        let b_strides = other.layout.broadcast_strides(&shape);
        let out_strides = out.layout.strides().to_vec();
        out.with_locks("zip_map", &[self, other], |locks| {
            let o = out.raw(locks, &out_strides);
            let a = self.raw(locks, &a_strides);
            let b = other.raw(locks, &b_strides);
            // SAFETY: as in `map`: locks held, layouts from the layout
            // module, a fresh dense output, dtypes checked against A, B, U.
            unsafe {
                crate::cpu::drive(&shape, [o, a, b], |p, s, n| {
                    let po = p[0].cast::<U>();
                    let (pa, pb) = (p[1].cast::<A>().cast_const(), p[2].cast::<B>().cast_const());
                    for i in 0..n as isize {
                        *po.offset(i * s[0]) = f(*pa.offset(i * s[1]), *pb.offset(i * s[2]));
                    }
                })
            }
        })?;
        Ok(out)
    }
}

impl<T: Element, G> std::fmt::Debug for Guard<'_, T, G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Guard<{:?}>(shape={})",
            T::DTYPE,
            fmt_shape(self.layout.shape())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{s, DType};

    #[test]
    fn dense_range_accepts_flips_and_transposes_only() {
        let a = Array::arange_i64(0, 24, 1)
            .unwrap()
            .reshape(&[2, 3, 4])
            .unwrap();
        assert_eq!(dense_range(&a.layout), Some(0..24));
        assert_eq!(dense_range(&a.t().layout), Some(0..24));
        let f = a.slice(s![..;-1, .., ..;-1]).unwrap();
        assert_eq!(dense_range(&f.layout), Some(0..24));
        assert_eq!(dense_range(&a.slice(s![1]).unwrap().layout), Some(12..24));
        assert_eq!(dense_range(&a.slice(s![.., 1..]).unwrap().layout), None);
        assert_eq!(
            dense_range(&a.slice(s![.., .., ..;2]).unwrap().layout),
            None
        );
        let b = Array::zeros(&[4], DType::I64)
            .unwrap()
            .broadcast_to(&[2, 4])
            .unwrap();
        assert_eq!(dense_range(&b.layout), None);
        // Same span as size but with a repeat and a gap: offsets 0, 0, 3, 3.
        assert_eq!(dense_range(&Layout::new(vec![2, 2], vec![3, 0], 0)), None);
    }

    #[test]
    fn never_repeats_tells_broadcasts_from_views() {
        assert!(never_repeats(&Layout::new(vec![3, 4], vec![-8, 2], 20)));
        // Rows 4 apart over columns 2 apart: element 4 is [0, 2] and [1, 0].
        assert!(!never_repeats(&Layout::new(vec![3, 4], vec![4, 2], 0)));
        assert!(!never_repeats(&Layout::new(vec![3, 4], vec![0, 1], 0)));
        assert!(!never_repeats(&Layout::new(vec![2, 3], vec![2, 1], 0)));
        assert!(never_repeats(&Layout::new(vec![1, 3], vec![0, 1], 0)));
        assert!(never_repeats(&Layout::new(vec![4, 0], vec![0, 1], 0)));
    }
}
