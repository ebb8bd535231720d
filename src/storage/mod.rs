//! Storage: the flat buffers that arrays view, and the copy ledger.
//!
//! A [`Buffer`] is one allocation of one dtype on one device. Arrays hold it
//! behind an `Arc`, so every view of an array shares it. The CPU data sits
//! behind a read-write lock: a kernel takes the read lock of each buffer it
//! reads and the write lock of the buffer it writes (one lock per buffer, in
//! buffer-id order, so two threads can never deadlock), which makes every
//! `Array` `Send + Sync` and free of data races while still letting a write
//! through one view show in all the others.

pub mod ledger;
pub mod pool;

use crate::dtype::{DType, Element};
use std::any::Any;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The elements of a CPU buffer, one variant per dtype.
#[derive(Clone, Debug)]
pub enum CpuData {
    /// bool elements.
    Bool(Vec<bool>),
    /// i8 elements.
    I8(Vec<i8>),
    /// u8 elements.
    U8(Vec<u8>),
    /// i16 elements.
    I16(Vec<i16>),
    /// u16 elements.
    U16(Vec<u16>),
    /// i32 elements.
    I32(Vec<i32>),
    /// u32 elements.
    U32(Vec<u32>),
    /// i64 elements.
    I64(Vec<i64>),
    /// u64 elements.
    U64(Vec<u64>),
    /// f16 elements.
    F16(Vec<half::f16>),
    /// bf16 elements.
    BF16(Vec<half::bf16>),
    /// f32 elements.
    F32(Vec<f32>),
    /// f64 elements.
    F64(Vec<f64>),
}

macro_rules! each_variant {
    ($data:expr, $v:ident => $body:expr) => {
        match $data {
            CpuData::Bool($v) => $body,
            CpuData::I8($v) => $body,
            CpuData::U8($v) => $body,
            CpuData::I16($v) => $body,
            CpuData::U16($v) => $body,
            CpuData::I32($v) => $body,
            CpuData::U32($v) => $body,
            CpuData::I64($v) => $body,
            CpuData::U64($v) => $body,
            CpuData::F16($v) => $body,
            CpuData::BF16($v) => $body,
            CpuData::F32($v) => $body,
            CpuData::F64($v) => $body,
        }
    };
}

impl CpuData {
    /// A buffer of `len` zeros (false for bool).
    ///
    /// # Errors
    /// [`crate::Error::OutOfMemory`] when the memory cannot be had (the
    /// process goes on).
    ///
    /// ```
    /// use strider::{storage::CpuData, DType};
    /// assert_eq!(CpuData::zeros(DType::U8, 3)?.len(), 3);
    /// assert!(CpuData::zeros(DType::F64, 1 << 45).is_err());
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn zeros(dtype: DType, len: usize) -> crate::Result<CpuData> {
        pool::zeroed("zeros", dtype, len)
    }

    /// Wraps a typed vector without copying it.
    pub fn from_vec<T: Element>(v: Vec<T>) -> CpuData {
        let mut slot = Some(v);
        let any: &mut dyn Any = &mut slot;
        macro_rules! take {
            ($variant:ident, $t:ty) => {
                if let Some(v) = any.downcast_mut::<Option<Vec<$t>>>() {
                    return CpuData::$variant(v.take().unwrap_or_default());
                }
            };
        }
        take!(Bool, bool);
        take!(I8, i8);
        take!(U8, u8);
        take!(I16, i16);
        take!(U16, u16);
        take!(I32, i32);
        take!(U32, u32);
        take!(I64, i64);
        take!(U64, u64);
        take!(F16, half::f16);
        take!(BF16, half::bf16);
        take!(F32, f32);
        take!(F64, f64);
        unreachable!("Element is sealed to the dtypes above")
    }

    /// Moves the elements out as a `Vec<T>`, leaving the buffer empty, or
    /// `None` (the buffer untouched) when `T` is not the dtype.
    #[cfg(feature = "ndarray")]
    pub(crate) fn take_vec<T: Element>(&mut self) -> Option<Vec<T>> {
        each_variant!(self, v => (v as &mut dyn Any).downcast_mut::<Vec<T>>().map(std::mem::take))
    }

    /// The dtype of the elements.
    pub fn dtype(&self) -> DType {
        match self {
            CpuData::Bool(_) => DType::Bool,
            CpuData::I8(_) => DType::I8,
            CpuData::U8(_) => DType::U8,
            CpuData::I16(_) => DType::I16,
            CpuData::U16(_) => DType::U16,
            CpuData::I32(_) => DType::I32,
            CpuData::U32(_) => DType::U32,
            CpuData::I64(_) => DType::I64,
            CpuData::U64(_) => DType::U64,
            CpuData::F16(_) => DType::F16,
            CpuData::BF16(_) => DType::BF16,
            CpuData::F32(_) => DType::F32,
            CpuData::F64(_) => DType::F64,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        each_variant!(self, v => v.len())
    }

    /// True when the buffer holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements as a typed slice, or `None` when `T` is not the dtype.
    pub fn as_slice<T: Element>(&self) -> Option<&[T]> {
        each_variant!(self, v => (v as &dyn Any).downcast_ref::<Vec<T>>().map(|v| v.as_slice()))
    }

    /// The elements as a mutable typed slice, or `None` when `T` is not the dtype.
    pub fn as_mut_slice<T: Element>(&mut self) -> Option<&mut [T]> {
        each_variant!(self, v => (v as &mut dyn Any).downcast_mut::<Vec<T>>().map(|v| v.as_mut_slice()))
    }

    /// Base address of the elements, for kernels that walk strided layouts.
    pub(crate) fn as_ptr(&self) -> *const u8 {
        each_variant!(self, v => v.as_ptr().cast::<u8>())
    }

    /// Mutable base address of the elements.
    pub(crate) fn as_mut_ptr(&mut self) -> *mut u8 {
        each_variant!(self, v => v.as_mut_ptr().cast::<u8>())
    }

    /// The elements as little-endian bytes (the in-memory bytes on the
    /// little-endian machines strider supports; bool is one byte, 0 or 1).
    pub fn to_le_bytes(&self) -> Vec<u8> {
        self.to_le_bytes_range(0, self.len())
    }

    /// Elements `start..start + len` as little-endian bytes.
    ///
    /// # Panics
    /// If the range is outside the buffer (an internal invariant).
    pub fn to_le_bytes_range(&self, start: usize, len: usize) -> Vec<u8> {
        let r = start..start + len;
        match self {
            CpuData::Bool(v) => v[r].iter().map(|&b| b as u8).collect(),
            CpuData::I8(v) => bytemuck::cast_slice(&v[r]).to_vec(),
            CpuData::U8(v) => v[r].to_vec(),
            CpuData::I16(v) => bytemuck::cast_slice(&v[r]).to_vec(),
            CpuData::U16(v) => bytemuck::cast_slice(&v[r]).to_vec(),
            CpuData::I32(v) => bytemuck::cast_slice(&v[r]).to_vec(),
            CpuData::U32(v) => bytemuck::cast_slice(&v[r]).to_vec(),
            CpuData::I64(v) => bytemuck::cast_slice(&v[r]).to_vec(),
            CpuData::U64(v) => bytemuck::cast_slice(&v[r]).to_vec(),
            CpuData::F16(v) => bytemuck::cast_slice(&v[r]).to_vec(),
            CpuData::BF16(v) => bytemuck::cast_slice(&v[r]).to_vec(),
            CpuData::F32(v) => bytemuck::cast_slice(&v[r]).to_vec(),
            CpuData::F64(v) => bytemuck::cast_slice(&v[r]).to_vec(),
        }
    }

    /// Elements `start..start + len` as little-endian bytes, borrowed from the
    /// buffer (no copy) on little-endian machines.
    pub fn le_bytes(&self, start: usize, len: usize) -> &[u8] {
        let r = start..start + len;
        match self {
            CpuData::Bool(v) => bytemuck::cast_slice(&v[r]),
            CpuData::I8(v) => bytemuck::cast_slice(&v[r]),
            CpuData::U8(v) => &v[r],
            CpuData::I16(v) => bytemuck::cast_slice(&v[r]),
            CpuData::U16(v) => bytemuck::cast_slice(&v[r]),
            CpuData::I32(v) => bytemuck::cast_slice(&v[r]),
            CpuData::U32(v) => bytemuck::cast_slice(&v[r]),
            CpuData::I64(v) => bytemuck::cast_slice(&v[r]),
            CpuData::U64(v) => bytemuck::cast_slice(&v[r]),
            CpuData::F16(v) => bytemuck::cast_slice(&v[r]),
            CpuData::BF16(v) => bytemuck::cast_slice(&v[r]),
            CpuData::F32(v) => bytemuck::cast_slice(&v[r]),
            CpuData::F64(v) => bytemuck::cast_slice(&v[r]),
        }
    }

    /// The whole buffer as writable little-endian bytes, for filling it
    /// from a device in one copy: `None` for bool (not every byte is a
    /// bool) and on big-endian machines.
    ///
    /// ```
    /// let mut d = strider::storage::CpuData::zeros(strider::DType::I32, 2)?;
    /// if let Some(bytes) = d.le_bytes_mut() {
    ///     bytes[4] = 7;
    ///     assert_eq!(d.as_slice::<i32>().unwrap(), &[0, 7]);
    /// }
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn le_bytes_mut(&mut self) -> Option<&mut [u8]> {
        if cfg!(target_endian = "big") {
            return None;
        }
        Some(match self {
            CpuData::Bool(_) => return None,
            CpuData::I8(v) => bytemuck::cast_slice_mut(v),
            CpuData::U8(v) => v,
            CpuData::I16(v) => bytemuck::cast_slice_mut(v),
            CpuData::U16(v) => bytemuck::cast_slice_mut(v),
            CpuData::I32(v) => bytemuck::cast_slice_mut(v),
            CpuData::U32(v) => bytemuck::cast_slice_mut(v),
            CpuData::I64(v) => bytemuck::cast_slice_mut(v),
            CpuData::U64(v) => bytemuck::cast_slice_mut(v),
            CpuData::F16(v) => bytemuck::cast_slice_mut(v),
            CpuData::BF16(v) => bytemuck::cast_slice_mut(v),
            CpuData::F32(v) => bytemuck::cast_slice_mut(v),
            CpuData::F64(v) => bytemuck::cast_slice_mut(v),
        })
    }

    /// Builds a buffer from little-endian bytes; `bytes.len()` must be a
    /// multiple of the itemsize (checked by the caller). Bool bytes other
    /// than 0 become true.
    pub fn from_le_bytes(dtype: DType, bytes: &[u8]) -> CpuData {
        fn pod<T: bytemuck::Pod>(bytes: &[u8]) -> Vec<T> {
            bytes
                .chunks_exact(std::mem::size_of::<T>())
                .map(bytemuck::pod_read_unaligned)
                .collect()
        }
        match dtype {
            DType::Bool => CpuData::Bool(bytes.iter().map(|&b| b != 0).collect()),
            DType::I8 => CpuData::I8(pod(bytes)),
            DType::U8 => CpuData::U8(bytes.to_vec()),
            DType::I16 => CpuData::I16(pod(bytes)),
            DType::U16 => CpuData::U16(pod(bytes)),
            DType::I32 => CpuData::I32(pod(bytes)),
            DType::U32 => CpuData::U32(pod(bytes)),
            DType::I64 => CpuData::I64(pod(bytes)),
            DType::U64 => CpuData::U64(pod(bytes)),
            DType::F16 => CpuData::F16(pod(bytes)),
            DType::BF16 => CpuData::BF16(pod(bytes)),
            DType::F32 => CpuData::F32(pod(bytes)),
            DType::F64 => CpuData::F64(pod(bytes)),
        }
    }
}

/// Where a buffer's memory lives.
#[derive(Debug)]
pub(crate) enum Storage {
    /// Host memory behind a read-write lock.
    Cpu(RwLock<CpuData>),
    /// Device memory on a GPU. Kernels are ordered by the device's queue;
    /// the host never maps it except through recorded transfers.
    #[cfg(feature = "gpu")]
    Gpu(crate::gpu::GpuBuffer),
}

/// One allocation: a dtype, a length in elements, a device, and a unique id.
#[derive(Debug)]
pub struct Buffer {
    id: u64,
    dtype: DType,
    len: usize,
    pub(crate) storage: Storage,
    turn: WriteTurn,
}

static NEXT_BUFFER_ID: AtomicU64 = AtomicU64::new(1);

impl Drop for Buffer {
    /// Hands large host memory to the [`pool`] for the next result of the
    /// same dtype and length.
    #[cfg_attr(not(feature = "gpu"), allow(irrefutable_let_patterns))]
    fn drop(&mut self) {
        if let Storage::Cpu(lock) = &mut self.storage {
            let data = lock.get_mut().unwrap_or_else(|e| e.into_inner());
            pool::give(std::mem::replace(data, CpuData::Bool(Vec::new())));
        }
    }
}

impl Buffer {
    /// A CPU buffer for `len` elements of `dtype` that the caller will
    /// overwrite entirely (an op's result): reused memory from the
    /// [`pool`] when some fits, its old contents still there.
    pub(crate) fn cpu_for_overwrite(
        op: &'static str,
        dtype: DType,
        len: usize,
    ) -> crate::Result<Buffer> {
        Ok(Buffer::cpu(pool::take(op, dtype, len)?))
    }

    /// A CPU buffer owning `data`.
    pub(crate) fn cpu(data: CpuData) -> Buffer {
        Buffer {
            id: NEXT_BUFFER_ID.fetch_add(1, Ordering::Relaxed),
            dtype: data.dtype(),
            len: data.len(),
            storage: Storage::Cpu(RwLock::new(data)),
            turn: WriteTurn::default(),
        }
    }

    /// A GPU buffer holding `len` elements of `dtype`.
    #[cfg(feature = "gpu")]
    pub(crate) fn gpu(buf: crate::gpu::GpuBuffer, dtype: DType, len: usize) -> Buffer {
        Buffer {
            id: NEXT_BUFFER_ID.fetch_add(1, Ordering::Relaxed),
            dtype,
            len,
            storage: Storage::Gpu(buf),
            turn: WriteTurn::default(),
        }
    }

    /// The GPU buffer, or `None` for host memory.
    #[cfg(feature = "gpu")]
    pub(crate) fn gpu_buffer(&self) -> Option<&crate::gpu::GpuBuffer> {
        match &self.storage {
            Storage::Gpu(b) => Some(b),
            Storage::Cpu(_) => None,
        }
    }

    /// The CPU elements moved out as a `Vec<T>` (the buffer is left empty),
    /// or `None` for a device buffer or another dtype.
    #[cfg(feature = "ndarray")]
    pub(crate) fn take_cpu_vec<T: Element>(&mut self) -> Option<Vec<T>> {
        match &mut self.storage {
            Storage::Cpu(lock) => lock.get_mut().unwrap_or_else(|e| e.into_inner()).take_vec(),
            #[cfg(feature = "gpu")]
            Storage::Gpu(_) => None,
        }
    }

    /// The unique id of this allocation (two arrays are views of one
    /// allocation exactly when their buffer ids are equal).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The dtype of the elements.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Length in elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the buffer has no element.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Size in bytes.
    pub fn nbytes(&self) -> usize {
        self.len * self.dtype.itemsize()
    }

    /// Waits for this buffer's write turn and holds it until the guard
    /// drops (see [`WriteTurn`]). Reentrant on one thread.
    pub(crate) fn write_turn(&self) -> TurnGuard<'_> {
        self.turn.enter(self.id)
    }

    /// The CPU lock, or `None` for a device buffer.
    pub(crate) fn cpu_lock(&self) -> Option<&RwLock<CpuData>> {
        match &self.storage {
            Storage::Cpu(lock) => Some(lock),
            #[cfg(feature = "gpu")]
            Storage::Gpu(_) => None,
        }
    }

    /// Read access to CPU data. A poisoned lock is recovered: kernels never
    /// leave a buffer half-written on panic in a way that breaks invariants
    /// of the element types.
    pub(crate) fn read(&self) -> Option<RwLockReadGuard<'_, CpuData>> {
        self.cpu_lock()
            .map(|l| l.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Write access to CPU data.
    pub(crate) fn write(&self) -> Option<RwLockWriteGuard<'_, CpuData>> {
        self.cpu_lock()
            .map(|l| l.write().unwrap_or_else(|e| e.into_inner()))
    }
}

thread_local! {
    /// The buffers this thread holds through user guards
    /// ([`crate::array::access`]), each with whether it is a write guard.
    static LENT: RefCell<Vec<(u64, bool)>> = const { RefCell::new(Vec::new()) };
}

/// Whether this thread holds a user guard on buffer `id`: `Some(true)` for
/// a write guard, `Some(false)` for a read guard. The standard lock is not
/// reentrant (a second lock of it on the same thread may deadlock), so every
/// lock taken for an operation checks this first and refuses with an error.
pub(crate) fn lent_on_this_thread(id: u64) -> Option<bool> {
    LENT.with(|l| {
        let l = l.borrow();
        l.iter().rev().find(|(b, _)| *b == id).map(|&(_, w)| w)
    })
}

/// The mark of one user guard on this thread; unregisters on drop. Not
/// `Send`: a guard stays on the thread that registered it.
#[derive(Debug)]
pub(crate) struct LentMark {
    id: u64,
    write: bool,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl LentMark {
    /// Registers a guard on buffer `id`.
    pub(crate) fn new(id: u64, write: bool) -> LentMark {
        LENT.with(|l| l.borrow_mut().push((id, write)));
        LentMark {
            id,
            write,
            _not_send: std::marker::PhantomData,
        }
    }
}

impl Drop for LentMark {
    fn drop(&mut self) {
        LENT.with(|l| {
            let mut l = l.borrow_mut();
            if let Some(i) = l.iter().rposition(|&e| e == (self.id, self.write)) {
                l.remove(i);
            }
        });
    }
}

thread_local! {
    /// The buffers whose write turn this thread holds.
    static TURNS: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// One writing operation at a time per buffer.
///
/// An operation that writes a buffer may need several steps: an input that
/// overlaps the destination is first copied aside (NumPy's "as if copied"
/// rule), then the kernel runs; an integer power first reduces its exponent.
/// Each step takes the buffer locks (or the GPU queue) on its own, so without
/// more, a second thread's write could land between the copy and the kernel
/// and the result would match neither serial order (`x[:-2] += x[2:]`
/// racing `x *= 3`). Every writing operation therefore takes its
/// destination's turn first and keeps it to the end: writers of one buffer
/// run one after another, whole; readers are not held up by it (they take
/// only the read locks, which see the buffer before or after each kernel).
///
/// The turn is taken before any buffer lock and a thread holds at most one
/// turn it waits for (nested operations on fresh results take uncontended
/// turns), so turns add no lock-order cycle. It is reentrant on one thread:
/// an operation whose steps write the same destination again does not wait
/// for itself.
#[derive(Debug, Default)]
pub(crate) struct WriteTurn {
    /// Held by a writer. Taken and given back with one atomic operation
    /// each when nobody waits, so an uncontended turn costs no lock and no
    /// system call.
    busy: AtomicBool,
    /// Threads waiting in [`WriteTurn::enter`]'s slow path.
    waiters: AtomicU32,
    /// What waiters sleep on.
    lock: Mutex<()>,
    freed: Condvar,
}

impl WriteTurn {
    fn enter(&self, id: u64) -> TurnGuard<'_> {
        let guard = |turn| TurnGuard {
            turn,
            id,
            _not_send: std::marker::PhantomData,
        };
        if TURNS.with(|t| t.borrow().contains(&id)) {
            return guard(None);
        }
        if !self.try_take() {
            // Register as a waiter before the last try under the lock: a
            // holder that gives the turn back after this sees the waiter
            // and wakes it (both sides use SeqCst), so no wake-up is lost.
            self.waiters.fetch_add(1, Ordering::SeqCst);
            let mut held = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            while !self.try_take() {
                held = self.freed.wait(held).unwrap_or_else(|e| e.into_inner());
            }
            drop(held);
            self.waiters.fetch_sub(1, Ordering::SeqCst);
        }
        TURNS.with(|t| t.borrow_mut().push(id));
        guard(Some(self))
    }

    fn try_take(&self) -> bool {
        self.busy
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    fn give_back(&self) {
        self.busy.store(false, Ordering::SeqCst);
        if self.waiters.load(Ordering::SeqCst) > 0 {
            // Taking the lock orders this wake-up after a waiter's last
            // failed try, which it made holding the lock.
            drop(self.lock.lock().unwrap_or_else(|e| e.into_inner()));
            self.freed.notify_all();
        }
    }
}

/// A held write turn; gives it back on drop (also when the operation
/// panicked). Not `Send`: a turn belongs to the thread that took it.
pub(crate) struct TurnGuard<'a> {
    turn: Option<&'a WriteTurn>,
    id: u64,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for TurnGuard<'_> {
    fn drop(&mut self) {
        let Some(turn) = self.turn else { return };
        TURNS.with(|t| {
            let mut t = t.borrow_mut();
            if let Some(i) = t.iter().rposition(|&b| b == self.id) {
                t.remove(i);
            }
        });
        turn.give_back();
    }
}

/// Guards for a set of CPU buffers locked together for one kernel: the
/// destination for writing, every other distinct buffer for reading, taken in
/// buffer-id order so concurrent kernels cannot deadlock.
pub(crate) struct LockSet<'a> {
    write: Option<(u64, RwLockWriteGuard<'a, CpuData>)>,
    /// The first read guards, held inline (no allocation for a kernel's
    /// usual two or three operands).
    reads: [Option<(u64, RwLockReadGuard<'a, CpuData>)>; INLINE_READS],
    /// Read guards beyond [`INLINE_READS`].
    more_reads: Vec<(u64, RwLockReadGuard<'a, CpuData>)>,
}

/// Read guards a [`LockSet`] holds without allocating.
const INLINE_READS: usize = 4;

impl<'a> LockSet<'a> {
    /// Locks `dst` (if any) for writing and each of `srcs` for reading.
    /// Returns `None` if a buffer is not on the CPU.
    pub(crate) fn new(dst: Option<&'a Buffer>, srcs: &[&'a Buffer]) -> Option<LockSet<'a>> {
        // The distinct buffers, on the stack for a kernel's usual handful.
        let mut few: [Option<(&'a Buffer, bool)>; INLINE_READS + 1] = [None; INLINE_READS + 1];
        let mut many: Vec<(&'a Buffer, bool)> = Vec::new();
        let mut count = 0usize;
        let wanted = dst.map(|d| (d, true)).into_iter();
        for (b, write) in wanted.chain(srcs.iter().map(|&s| (s, false))) {
            if few.iter().flatten().chain(&many).any(|(x, _)| x.id == b.id) {
                continue;
            }
            if count < few.len() {
                few[count] = Some((b, write));
            } else {
                many.push((b, write));
            }
            count += 1;
        }
        if count <= few.len() {
            return Self::lock_sorted(&mut few[..count]);
        }
        many.extend(few.iter().flatten().copied());
        many.sort_by_key(|(b, _)| b.id);
        Self::lock_in_order(many.into_iter())
    }

    /// Locks the filled slots, sorted by buffer id.
    fn lock_sorted(slots: &mut [Option<(&'a Buffer, bool)>]) -> Option<LockSet<'a>> {
        slots.sort_by_key(|s| s.map(|(b, _)| b.id));
        Self::lock_in_order(slots.iter().flatten().copied())
    }

    /// Locks buffers in the given (id) order: the writer for writing, the
    /// rest for reading.
    fn lock_in_order(bufs: impl Iterator<Item = (&'a Buffer, bool)>) -> Option<LockSet<'a>> {
        let mut set = LockSet {
            write: None,
            reads: Default::default(),
            more_reads: Vec::new(),
        };
        let mut r = 0usize;
        for (b, is_write) in bufs {
            if is_write {
                set.write = Some((b.id, b.write()?));
            } else if r < INLINE_READS {
                set.reads[r] = Some((b.id, b.read()?));
                r += 1;
            } else {
                set.more_reads.push((b.id, b.read()?));
            }
        }
        Some(set)
    }

    /// The base pointer of the buffer with id `id` (read or write locked).
    pub(crate) fn ptr(&mut self, id: u64) -> *mut u8 {
        if let Some((wid, g)) = self.write.as_mut() {
            if *wid == id {
                return g.as_mut_ptr();
            }
        }
        for (rid, g) in self.reads.iter().flatten().chain(&self.more_reads) {
            if *rid == id {
                // Read-only buffers are only ever read through this pointer.
                return g.as_ptr() as *mut u8;
            }
        }
        debug_assert!(false, "buffer {id} is not in the lock set");
        std::ptr::null_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Up to five distinct buffers stay on the stack, more spill to the
    /// heap; duplicates and a source equal to the destination are locked
    /// once; every buffer's pointer is found.
    #[test]
    fn lock_sets_of_every_size_find_each_buffer() {
        let bufs: Vec<Buffer> = (0..8)
            .map(|i| Buffer::cpu(CpuData::from_vec(vec![i as f32; 4])))
            .collect();
        for n in 0..bufs.len() {
            let mut srcs: Vec<&Buffer> = bufs[1..=n.min(7)].iter().collect();
            srcs.push(&bufs[0]);
            srcs.extend(bufs[1..=n.min(7)].iter());
            let mut set = LockSet::new(Some(&bufs[0]), &srcs).expect("host buffers");
            for (i, b) in bufs[..=n.min(7)].iter().enumerate() {
                let p = set.ptr(b.id()) as *const f32;
                // SAFETY: the buffer is locked by `set` and holds 4 f32.
                assert_eq!(unsafe { *p }, i as f32, "{n} sources, buffer {i}");
            }
        }
    }
}
