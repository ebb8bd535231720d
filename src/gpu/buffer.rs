//! Device buffers, the size-class pool they return to, and transfers.
//!
//! Every [`GpuBuffer`] is a storage buffer (`STORAGE | COPY_SRC | COPY_DST`).
//! Its wgpu allocation is rounded up to a size class and goes back to the
//! device's pool when the `GpuBuffer` is dropped, so a chain of operations
//! that makes and drops temporaries reuses a few allocations.
//!
//! Ordering: kernels and copies are recorded into the device's open command
//! encoder, while `queue.write_buffer` (used by [`upload`]) takes effect at
//! the start of the next submission, ahead of recorded work. So a buffer
//! dropped while recorded work may still read it is quarantined until that
//! work is submitted: kernels may write into it (they are ordered after the
//! earlier readers), uploads may not.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use crate::error::{Error, Result};

use super::context::{lock, GpuDevice};
use super::launch;

/// Smallest allocation, bytes.
const MIN_CLASS: u64 = 256;

/// Largest read-back buffer a device keeps between downloads, bytes.
const STAGING_KEEP: u64 = 256 << 20;

static NEXT_BUFFER_ID: AtomicU64 = AtomicU64::new(1);

/// The pool's size class for `size` bytes: at least 256, then four classes
/// per power of two, so at most 25% is wasted.
pub(crate) fn size_class(size: u64) -> u64 {
    let n = size.max(MIN_CLASS);
    let top = 63 - n.leading_zeros();
    let step = (1u64 << top) / 4;
    n.div_ceil(step) * step
}

/// Freed wgpu buffers by size class, bounded in total bytes.
pub(crate) struct BufferPool {
    free: HashMap<u64, Vec<wgpu::Buffer>>,
    /// Freed while recorded, unsubmitted work may still use them.
    quarantine: Vec<wgpu::Buffer>,
    bytes: u64,
    limit: u64,
    pub(crate) hits: u64,
    pub(crate) misses: u64,
}

impl BufferPool {
    pub(crate) fn new(limit: u64) -> BufferPool {
        BufferPool {
            free: HashMap::new(),
            quarantine: Vec::new(),
            bytes: 0,
            limit,
            hits: 0,
            misses: 0,
        }
    }

    /// A pooled buffer of exactly `class` bytes; quarantined buffers only when
    /// the caller writes it with recorded commands (`for_kernel`).
    fn take(&mut self, class: u64, for_kernel: bool) -> Option<wgpu::Buffer> {
        let found = match self.free.get_mut(&class).and_then(Vec::pop) {
            Some(b) => Some(b),
            None if for_kernel => self
                .quarantine
                .iter()
                .position(|b| b.size() == class)
                .map(|i| self.quarantine.swap_remove(i)),
            None => None,
        };
        match &found {
            Some(b) => {
                self.bytes -= b.size();
                self.hits += 1;
            }
            None => self.misses += 1,
        }
        found
    }

    fn give(&mut self, buf: wgpu::Buffer, pending: bool) {
        let size = buf.size();
        if self.bytes + size > self.limit {
            return; // dropped: wgpu frees it once no submitted work uses it
        }
        self.bytes += size;
        if pending {
            self.quarantine.push(buf);
        } else {
            self.free.entry(size).or_default().push(buf);
        }
    }

    /// Called after a submission: quarantined buffers are safe for uploads.
    pub(crate) fn release_quarantine(&mut self) {
        for b in self.quarantine.drain(..) {
            self.free.entry(b.size()).or_default().push(b);
        }
    }

    /// Drops every free buffer (quarantined ones stay: recorded work may
    /// use them), so that wgpu can give their memory back.
    pub(crate) fn release_free(&mut self) {
        for (_, bufs) in self.free.drain() {
            for b in bufs {
                self.bytes -= b.size();
            }
        }
    }

    /// Bytes held by the pool.
    pub(crate) fn pooled_bytes(&self) -> u64 {
        self.bytes
    }
}

/// A storage buffer on a [`GpuDevice`], `size` bytes long.
///
/// The allocation behind it may be larger (a pool size class). Dropping it
/// returns the allocation to the device's pool. Element layout is the
/// caller's business: kernels take a buffer with a dtype, strides and an
/// element offset (see [`GpuView`](super::GpuView)). `u8` and `bool`
/// elements are one byte each and `bfloat16` two, exactly as on the CPU;
/// shaders read them four (or two) to a 32-bit word.
pub struct GpuBuffer {
    raw: Option<wgpu::Buffer>,
    size: u64,
    id: u64,
    dev: GpuDevice,
}

impl fmt::Debug for GpuBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "GpuBuffer#{}({} bytes on gpu:{})",
            self.id, self.size, self.dev.ctx.id
        )
    }
}

impl Drop for GpuBuffer {
    fn drop(&mut self) {
        if let Some(raw) = self.raw.take() {
            let pending = self.dev.ctx.pending.load(Ordering::SeqCst);
            lock(&self.dev.ctx.pool).give(raw, pending);
        }
    }
}

fn range_err(op: &'static str, buf: &GpuBuffer, offset: u64, len: u64) -> Error {
    Error::Value {
        op,
        reason: format!(
            "byte range {offset}..{} is outside the {}-byte GPU buffer",
            offset.saturating_add(len),
            buf.size
        ),
    }
}

/// A fresh storage buffer of `size` bytes, or the device's out-of-memory
/// message (captured by an error scope on this thread, so another thread's
/// error is never taken for this one's). Other errors stay with the
/// device's uncaptured-error handler, which the caller checks.
fn create_storage(dev: &GpuDevice, size: u64) -> std::result::Result<wgpu::Buffer, String> {
    let scope = dev
        .ctx
        .device
        .push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let b = dev.ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("strider buffer"),
        size,
        usage: wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    match pollster::block_on(scope.pop()) {
        None => Ok(b),
        Some(e) => Err(e.to_string()),
    }
}

impl GpuBuffer {
    fn alloc(dev: &GpuDevice, size: u64, for_kernel: bool, op: &'static str) -> Result<GpuBuffer> {
        let class = size_class(size);
        if class > dev.ctx.launch.max_buffer {
            return Err(Error::Device {
                op,
                reason: format!(
                    "a buffer of {size} bytes exceeds the GPU adapter's max_buffer_size of {} \
                     bytes ({})",
                    dev.ctx.launch.max_buffer, dev.ctx.info
                ),
            });
        }
        let pooled = lock(&dev.ctx.pool).take(class, for_kernel);
        let raw = match pooled {
            Some(b) => b,
            None => match create_storage(dev, class) {
                Ok(b) => b,
                Err(_) => {
                    // Out of device memory: give the pool's free buffers
                    // back and try once more before reporting it.
                    lock(&dev.ctx.pool).release_free();
                    create_storage(dev, class).map_err(|reason| {
                        Error::out_of_memory(
                            op,
                            u128::from(class),
                            dev.ctx.info.to_string(),
                            reason,
                        )
                    })?
                }
            },
        };
        dev.check(op)?;
        Ok(GpuBuffer {
            raw: Some(raw),
            size,
            id: NEXT_BUFFER_ID.fetch_add(1, Ordering::Relaxed),
            dev: dev.clone(),
        })
    }

    /// A buffer of `size` bytes whose contents are unspecified (a reused
    /// allocation may hold old data): for results that a kernel overwrites.
    ///
    /// # Errors
    ///
    /// [`Error::Device`] when `size` exceeds the adapter's buffer limit or the
    /// allocation fails.
    ///
    /// ```
    /// let Ok(dev) = strider::gpu::GpuDevice::default_device() else { return };
    /// let buf = strider::gpu::GpuBuffer::empty(&dev, 1024).unwrap();
    /// assert_eq!(buf.size(), 1024);
    /// ```
    pub fn empty(dev: &GpuDevice, size: u64) -> Result<GpuBuffer> {
        Self::alloc(dev, size, true, "empty")
    }

    /// A buffer of `size` zero bytes (cleared by a recorded command).
    ///
    /// # Errors
    ///
    /// As [`GpuBuffer::empty`].
    ///
    /// ```
    /// let Ok(dev) = strider::gpu::GpuDevice::default_device() else { return };
    /// let buf = strider::gpu::GpuBuffer::zeros(&dev, 10).unwrap();
    /// assert_eq!(buf.download(0, 10).unwrap(), vec![0u8; 10]);
    /// ```
    pub fn zeros(dev: &GpuDevice, size: u64) -> Result<GpuBuffer> {
        let buf = Self::alloc(dev, size, true, "zeros")?;
        let raw = buf.raw().clone();
        launch::record(dev, "zeros", move |enc| enc.clear_buffer(&raw, 0, None))?;
        Ok(buf)
    }

    /// Copy `bytes` to a new buffer on `dev`. See [`upload`].
    ///
    /// # Errors
    ///
    /// As [`upload`].
    pub fn upload(dev: &GpuDevice, bytes: &[u8]) -> Result<GpuBuffer> {
        upload(dev, bytes)
    }

    /// The size in bytes (as requested, not the pooled allocation's size).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// A number that identifies this buffer among live buffers: two
    /// `GpuBuffer`s never share an allocation.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The device the buffer lives on.
    pub fn device(&self) -> &GpuDevice {
        &self.dev
    }

    /// The wgpu buffer (possibly larger than [`size`](Self::size)).
    pub fn raw(&self) -> &wgpu::Buffer {
        // `raw` is only `None` inside `drop`.
        self.raw.as_ref().expect("GpuBuffer used during drop")
    }

    /// Copy bytes `byte_offset..byte_offset + byte_len` back to the host.
    /// Submits all recorded work and waits for it. See [`download`].
    ///
    /// # Errors
    ///
    /// As [`download`].
    ///
    /// ```
    /// let Ok(dev) = strider::gpu::GpuDevice::default_device() else { return };
    /// let buf = strider::gpu::GpuBuffer::upload(&dev, &[7, 8, 9]).unwrap();
    /// assert_eq!(buf.size(), 3);
    /// assert_eq!(buf.download(1, 2).unwrap(), vec![8, 9]);
    /// ```
    pub fn download(&self, byte_offset: u64, byte_len: u64) -> Result<Vec<u8>> {
        download(self, byte_offset, byte_len)
    }

    /// Overwrite bytes `byte_offset..byte_offset + bytes.len()` with `bytes`.
    ///
    /// Recorded work is submitted first, so kernels recorded earlier see the
    /// old contents. Unaligned edges (offset or end not a multiple of 4 inside
    /// the buffer) cost a read-back of the edge words.
    ///
    /// # Errors
    ///
    /// [`Error::Value`] when the range is outside the buffer; [`Error::Device`]
    /// when the device reports an error.
    ///
    /// ```
    /// let Ok(dev) = strider::gpu::GpuDevice::default_device() else { return };
    /// let buf = strider::gpu::upload(&dev, &[1, 2, 3, 4, 5, 6]).unwrap();
    /// buf.write(1, &[9, 9]).unwrap();
    /// assert_eq!(buf.download(0, 6).unwrap(), vec![1, 9, 9, 4, 5, 6]);
    /// ```
    pub fn write(&self, byte_offset: u64, bytes: &[u8]) -> Result<()> {
        const OP: &str = "write";
        let len = bytes.len() as u64;
        if byte_offset
            .checked_add(len)
            .is_none_or(|end| end > self.size)
        {
            return Err(range_err(OP, self, byte_offset, len));
        }
        if len == 0 {
            return Ok(());
        }
        self.dev.flush()?;
        let start = byte_offset & !3;
        let end = (byte_offset + len).div_ceil(4) * 4;
        let head = (byte_offset - start) as usize;
        let mut edge = Vec::new();
        if head == 0 && (end == byte_offset + len || byte_offset + len >= self.size) {
            // Aligned, or the tail only pads past the logical end.
            let body = bytes.len() & !3;
            if body > 0 {
                self.dev
                    .ctx
                    .queue
                    .write_buffer(self.raw(), start, &bytes[..body]);
            }
            if body < bytes.len() {
                edge.extend_from_slice(&bytes[body..]);
                edge.resize(4, 0);
                self.dev
                    .ctx
                    .queue
                    .write_buffer(self.raw(), start + body as u64, &edge);
            }
        } else {
            // Merge with the current contents of the covering words. Only the
            // edge words are read back; the middle is written as is.
            let mut words = vec![0u8; (end - start) as usize];
            let first = self.read_words(start, 4)?;
            words[..4].copy_from_slice(&first);
            let last = self.read_words(end - 4, 4)?;
            let n = words.len();
            words[n - 4..].copy_from_slice(&last);
            words[head..head + bytes.len()].copy_from_slice(bytes);
            self.dev.ctx.queue.write_buffer(self.raw(), start, &words);
        }
        self.dev.check(OP)
    }

    /// Read whole words `start..start + len` (multiples of 4, inside the
    /// allocation) back to the host.
    fn read_words(&self, start: u64, len: u64) -> Result<Vec<u8>> {
        self.read_words_with(start, len, |bytes| bytes.to_vec())
    }

    /// Read whole words `start..start + len` (multiples of 4, inside the
    /// allocation) back and hand the mapped bytes to `use_bytes`, which
    /// copies what it needs (the mapping ends when it returns).
    ///
    /// The read-back buffer is the device's kept one when it is large
    /// enough (at most [`STAGING_KEEP`] bytes, and no more than the pool's
    /// limit, `GpuOptions::pool_limit`, are kept): a download then
    /// maps memory that is already resident instead of faulting in fresh
    /// pages, which on lavapipe cost more than the copy itself.
    pub(crate) fn read_words_with<R>(
        &self,
        start: u64,
        len: u64,
        use_bytes: impl FnOnce(&[u8]) -> R,
    ) -> Result<R> {
        const OP: &str = "download";
        let dev = &self.dev;
        let kept = lock(&dev.ctx.staging).take();
        let staging = match kept {
            Some(b) if b.size() >= len => b,
            _ => dev.ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("strider download"),
                size: len,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
        };
        let raw = self.raw().clone();
        let dst = staging.clone();
        launch::record(dev, OP, move |enc| {
            enc.copy_buffer_to_buffer(&raw, start, &dst, 0, len)
        })?;
        launch::flush(dev, OP)?;
        let (tx, rx) = mpsc::channel();
        staging.map_async(wgpu::MapMode::Read, ..len, move |r| {
            let _ = tx.send(r);
        });
        dev.wait(OP)?;
        // The wait above has run the callback; the bound is only a guard
        // against a driver that never calls it.
        match rx.recv_timeout(dev.ctx.wait_timeout) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                return Err(Error::Device {
                    op: OP,
                    reason: format!("mapping the read-back buffer failed: {e}"),
                })
            }
            Err(_) => {
                return Err(Error::Device {
                    op: OP,
                    reason: "the read-back buffer was never mapped".to_string(),
                })
            }
        }
        let out = {
            let view = staging.get_mapped_range(..len).map_err(|e| Error::Device {
                op: OP,
                reason: format!("reading the mapped buffer failed: {e}"),
            })?;
            use_bytes(&view)
        };
        staging.unmap();
        let keep = STAGING_KEEP.min(lock(&dev.ctx.pool).limit);
        if staging.size() <= keep {
            let mut slot = lock(&dev.ctx.staging);
            if slot.as_ref().is_none_or(|b| b.size() < staging.size()) {
                *slot = Some(staging);
            }
        }
        Ok(out)
    }

    /// Copy bytes `byte_offset..byte_offset + out.len()` of the buffer
    /// into `out`: one read-back, one copy out of the mapped memory.
    ///
    /// # Errors
    ///
    /// As [`download`].
    pub(crate) fn download_into(&self, byte_offset: u64, out: &mut [u8]) -> Result<()> {
        const OP: &str = "download";
        let byte_len = out.len() as u64;
        if byte_offset
            .checked_add(byte_len)
            .is_none_or(|end| end > self.size)
        {
            return Err(range_err(OP, self, byte_offset, byte_len));
        }
        if byte_len == 0 {
            return self.dev.flush();
        }
        let start = byte_offset & !3;
        let end = (byte_offset + byte_len).div_ceil(4) * 4;
        let head = (byte_offset - start) as usize;
        self.read_words_with(start, end - start, |words| {
            out.copy_from_slice(&words[head..head + out.len()]);
        })
    }

    /// Record a device-side copy of `len` bytes from `src` at `src_offset`
    /// into this buffer at `dst_offset`. Offsets and length must be multiples
    /// of 4 (copies of whole words). No host round trip; ordered after
    /// earlier recorded work.
    ///
    /// # Errors
    ///
    /// [`Error::Device`] when the buffers are on different devices;
    /// [`Error::Value`] when a range is outside its buffer or not 4-aligned.
    ///
    /// ```
    /// let Ok(dev) = strider::gpu::GpuDevice::default_device() else { return };
    /// let a = strider::gpu::upload(&dev, &[1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
    /// let b = strider::gpu::GpuBuffer::zeros(&dev, 8).unwrap();
    /// b.copy_from(&a, 4, 0, 4).unwrap();
    /// assert_eq!(b.download(0, 8).unwrap(), vec![5, 6, 7, 8, 0, 0, 0, 0]);
    /// ```
    pub fn copy_from(
        &self,
        src: &GpuBuffer,
        src_offset: u64,
        dst_offset: u64,
        len: u64,
    ) -> Result<()> {
        const OP: &str = "copy_from";
        if src.dev != self.dev {
            return Err(Error::Device {
                op: OP,
                reason: format!(
                    "the source is on {} and the destination on {}; move one explicitly",
                    src.dev, self.dev
                ),
            });
        }
        if (src_offset | dst_offset | len) % 4 != 0 {
            return Err(Error::Value {
                op: OP,
                reason: format!(
                    "device copies move whole 4-byte words (offsets {src_offset}, {dst_offset}, \
                     length {len})"
                ),
            });
        }
        if src_offset
            .checked_add(len)
            .is_none_or(|e| e > src.raw().size())
        {
            return Err(range_err(OP, src, src_offset, len));
        }
        if dst_offset
            .checked_add(len)
            .is_none_or(|e| e > self.raw().size())
        {
            return Err(range_err(OP, self, dst_offset, len));
        }
        if len == 0 {
            return Ok(());
        }
        let (s, d) = (src.raw().clone(), self.raw().clone());
        launch::record(&self.dev, OP, move |enc| {
            enc.copy_buffer_to_buffer(&s, src_offset, &d, dst_offset, len)
        })
    }
}

/// Copy `bytes` into a new [`GpuBuffer`] of the same size on `dev`.
///
/// One transfer through `queue.write_buffer`, with no host-side staging copy
/// of the data (a length that is not a multiple of 4 has its last partial
/// word padded with zeros). To upload a sub-range of host memory, pass that
/// sub-slice. The data is in place before any kernel recorded afterwards
/// runs.
///
/// # Errors
///
/// [`Error::Device`] when the size exceeds the adapter's buffer limit or the
/// device reports an error.
///
/// ```
/// let Ok(dev) = strider::gpu::GpuDevice::default_device() else { return };
/// let data: Vec<u8> = (0..10).collect();
/// let buf = strider::gpu::upload(&dev, &data[2..7]).unwrap();
/// assert_eq!(buf.size(), 5);
/// assert_eq!(strider::gpu::download(&buf, 1, 3).unwrap(), vec![3, 4, 5]);
/// ```
pub fn upload(dev: &GpuDevice, bytes: &[u8]) -> Result<GpuBuffer> {
    const OP: &str = "upload";
    dev.check(OP)?;
    let buf = GpuBuffer::alloc(dev, bytes.len() as u64, false, OP)?;
    let body = bytes.len() & !3;
    if body > 0 {
        dev.ctx.queue.write_buffer(buf.raw(), 0, &bytes[..body]);
    }
    if body < bytes.len() {
        let mut tail = [0u8; 4];
        tail[..bytes.len() - body].copy_from_slice(&bytes[body..]);
        dev.ctx.queue.write_buffer(buf.raw(), body as u64, &tail);
    }
    dev.check(OP)?;
    Ok(buf)
}

/// Copy bytes `byte_offset..byte_offset + byte_len` of `buf` to the host.
///
/// Submits all recorded work (this is the synchronisation point of a chain
/// of kernels), copies the range to a mappable staging buffer, waits, and
/// copies it out. Unaligned ranges are widened to whole words on the device
/// and trimmed on the host.
///
/// # Errors
///
/// [`Error::Value`] when the range is outside the buffer; [`Error::Device`]
/// when the device reports an error for this or any earlier recorded work,
/// or is lost.
///
/// ```
/// let Ok(dev) = strider::gpu::GpuDevice::default_device() else { return };
/// let buf = strider::gpu::upload(&dev, &[1, 2, 3, 4, 5]).unwrap();
/// assert_eq!(strider::gpu::download(&buf, 0, 5).unwrap(), vec![1, 2, 3, 4, 5]);
/// ```
pub fn download(buf: &GpuBuffer, byte_offset: u64, byte_len: u64) -> Result<Vec<u8>> {
    const OP: &str = "download";
    if byte_offset
        .checked_add(byte_len)
        .is_none_or(|end| end > buf.size)
    {
        return Err(range_err(OP, buf, byte_offset, byte_len));
    }
    if byte_len == 0 {
        buf.dev.flush()?;
        return Ok(Vec::new());
    }
    let mut out = vec![0u8; byte_len as usize];
    buf.download_into(byte_offset, &mut out)?;
    Ok(out)
}

impl GpuDevice {
    /// Bytes of freed buffers the pool holds, and the pool's hit and miss
    /// counts so far.
    ///
    /// ```
    /// let Ok(dev) = strider::gpu::GpuDevice::default_device() else { return };
    /// drop(strider::gpu::GpuBuffer::empty(&dev, 1000).unwrap());
    /// let (pooled, _hits, _misses) = dev.pool_stats();
    /// assert!(pooled >= 1000);
    /// ```
    pub fn pool_stats(&self) -> (u64, u64, u64) {
        let p = lock(&self.ctx.pool);
        (p.pooled_bytes(), p.hits, p.misses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_classes_waste_at_most_a_quarter() {
        assert_eq!(size_class(0), 256);
        assert_eq!(size_class(256), 256);
        assert_eq!(size_class(257), 320);
        assert_eq!(size_class(1000), 1024);
        assert_eq!(size_class(1025), 1280);
        for n in [300u64, 4097, 1 << 20, (1 << 20) + 1, 123_456_789] {
            let c = size_class(n);
            assert!(c >= n && c % 64 == 0 && (c - n) * 4 <= c, "{n} -> {c}");
        }
    }
}
