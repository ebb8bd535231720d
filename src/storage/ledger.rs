//! The copy ledger: every materialisation and every transfer, counted.
//!
//! Whenever strider makes new memory out of existing data (a `copy()`, a
//! reshape that cannot be a view, the temporary behind an overlapping
//! assignment, a device transfer), it records an event here. Three ways to
//! look:
//!
//! * [`totals`]: running process-wide counters, always on (a few relaxed
//!   atomic adds per event).
//! * [`track`]: run a closure and get back the events it caused on this
//!   thread.
//! * [`no_copies`]: run a closure in which an *implicit* copy (one the caller
//!   did not ask for by name) is an error instead.
//!
//! When nobody tracks, an event costs the atomic adds and nothing else: the
//! event itself (with its layouts and strings) is only built when a
//! [`track`] scope is open on the thread.
//!
//! ```
//! use strider::Array;
//! let a = Array::arange_i64(0, 12, 1).unwrap().reshape(&[3, 4]).unwrap();
//! let (flat, report) = strider::track(|| a.t().reshape(&[12]));
//! let flat = flat.unwrap();
//! assert_eq!(flat.to_vec::<i64>().unwrap()[..4], [0, 4, 8, 1]);
//! assert_eq!(report.copies(), 1);
//! assert_eq!(report.events()[0].op, "reshape");
//! // The same reshape is refused where implicit copies are forbidden.
//! let refused = strider::no_copies(|| a.t().reshape(&[12]));
//! assert_eq!(refused.unwrap_err().kind(), strider::ErrorKind::CopyForbidden);
//! ```

use crate::error::{fmt_shape, Error, Result};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// What an event moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// New memory on the same device, made from existing data.
    Copy {
        /// True when the caller did not ask for the copy by name (a reshape
        /// that could not be a view, an overlap temporary, a gather before a
        /// transfer). Implicit copies are refused inside [`no_copies`].
        implicit: bool,
    },
    /// Data moved between devices.
    Transfer,
}

/// A layout as the ledger reports it: shape, strides and offset in bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutRecord {
    /// Shape.
    pub shape: Vec<usize>,
    /// Strides in bytes.
    pub strides: Vec<isize>,
    /// Byte offset of element `[0, ..., 0]` in its buffer.
    pub offset: usize,
}

impl LayoutRecord {
    /// A record of `layout` for elements of `itemsize` bytes.
    pub(crate) fn of(layout: &crate::layout::Layout, itemsize: usize) -> LayoutRecord {
        LayoutRecord {
            shape: layout.shape().to_vec(),
            strides: layout
                .strides()
                .iter()
                .map(|&s| s * itemsize as isize)
                .collect(),
            offset: layout.offset() * itemsize,
        }
    }
}

impl fmt::Display for LayoutRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "shape {} strides {} offset {}",
            fmt_shape(&self.shape),
            fmt_shape(&self.strides),
            self.offset
        )
    }
}

/// One recorded copy or transfer.
#[derive(Clone, Debug, PartialEq)]
pub struct CopyEvent {
    /// The operation that caused it (`"copy"`, `"reshape"`, `"to_device"`...).
    pub op: &'static str,
    /// Why the data had to move.
    pub reason: String,
    /// Copy or transfer, implicit or explicit.
    pub kind: EventKind,
    /// Bytes written to the new memory.
    pub bytes: usize,
    /// The layout that was read.
    pub source: LayoutRecord,
    /// The layout of the new memory.
    pub result: LayoutRecord,
    /// The device read from (`"cpu"`, or a GPU adapter's name).
    pub src_device: String,
    /// The device written to.
    pub dst_device: String,
}

impl fmt::Display for CopyEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            EventKind::Copy { implicit: true } => "implicit copy",
            EventKind::Copy { implicit: false } => "copy",
            EventKind::Transfer => "transfer",
        };
        write!(
            f,
            "{what:<13} {:<18} {:>12} bytes  {} -> {}  [{}] -> [{}]  ({})",
            self.op,
            self.bytes,
            self.src_device,
            self.dst_device,
            self.source,
            self.result,
            self.reason
        )
    }
}

/// Running process-wide totals, from [`totals`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Number of copies (explicit and implicit).
    pub copies: u64,
    /// Of those, the implicit ones.
    pub implicit_copies: u64,
    /// Bytes written by copies.
    pub copy_bytes: u64,
    /// Number of transfers between devices.
    pub transfers: u64,
    /// Bytes moved by transfers.
    pub transfer_bytes: u64,
}

static COPIES: AtomicU64 = AtomicU64::new(0);
static IMPLICIT: AtomicU64 = AtomicU64::new(0);
static COPY_BYTES: AtomicU64 = AtomicU64::new(0);
static TRANSFERS: AtomicU64 = AtomicU64::new(0);
static TRANSFER_BYTES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static SCOPES: RefCell<Vec<Vec<CopyEvent>>> = const { RefCell::new(Vec::new()) };
    static TRACKING: Cell<usize> = const { Cell::new(0) };
    static FORBID: Cell<usize> = const { Cell::new(0) };
}

/// The process-wide totals since the start of the program.
///
/// ```
/// let before = strider::ledger::totals();
/// let a = strider::Array::zeros(&[4], strider::DType::F32).unwrap();
/// let _b = a.copy().unwrap();
/// assert!(strider::ledger::totals().copies > before.copies);
/// ```
pub fn totals() -> Totals {
    Totals {
        copies: COPIES.load(Ordering::Relaxed),
        implicit_copies: IMPLICIT.load(Ordering::Relaxed),
        copy_bytes: COPY_BYTES.load(Ordering::Relaxed),
        transfers: TRANSFERS.load(Ordering::Relaxed),
        transfer_bytes: TRANSFER_BYTES.load(Ordering::Relaxed),
    }
}

/// Whether implicit copies are forbidden on this thread right now.
pub fn copies_forbidden() -> bool {
    FORBID.with(|f| f.get() > 0)
}

/// Checks, before an implicit copy of `bytes` bytes is made, that it is
/// allowed here.
pub(crate) fn check_implicit(op: &'static str, reason: &str, bytes: usize) -> Result<()> {
    if copies_forbidden() {
        return Err(Error::CopyForbidden {
            op,
            reason: reason.to_string(),
            bytes,
        });
    }
    Ok(())
}

/// Records one event. `make` builds the event only when a [`track`] scope is
/// open on this thread, so an untracked event costs a few atomic adds.
pub(crate) fn record(kind: EventKind, bytes: usize, make: impl FnOnce() -> CopyEvent) {
    match kind {
        EventKind::Copy { implicit } => {
            COPIES.fetch_add(1, Ordering::Relaxed);
            COPY_BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
            if implicit {
                IMPLICIT.fetch_add(1, Ordering::Relaxed);
            }
        }
        EventKind::Transfer => {
            TRANSFERS.fetch_add(1, Ordering::Relaxed);
            TRANSFER_BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
        }
    }
    if TRACKING.with(|t| t.get()) > 0 {
        let event = make();
        SCOPES.with(|s| {
            for scope in s.borrow_mut().iter_mut() {
                scope.push(event.clone());
            }
        });
    }
}

/// The events of one [`track`] scope.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    events: Vec<CopyEvent>,
}

impl Report {
    /// Every event, in the order it happened.
    pub fn events(&self) -> &[CopyEvent] {
        &self.events
    }

    /// Number of copies (explicit and implicit).
    pub fn copies(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Copy { .. }))
            .count()
    }

    /// Number of implicit copies.
    pub fn implicit_copies(&self) -> usize {
        self.events
            .iter()
            .filter(|e| e.kind == EventKind::Copy { implicit: true })
            .count()
    }

    /// Number of transfers.
    pub fn transfers(&self) -> usize {
        self.events
            .iter()
            .filter(|e| e.kind == EventKind::Transfer)
            .count()
    }

    /// Bytes written by copies.
    pub fn copy_bytes(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Copy { .. }))
            .map(|e| e.bytes)
            .sum()
    }

    /// Bytes moved by transfers.
    pub fn transfer_bytes(&self) -> usize {
        self.events
            .iter()
            .filter(|e| e.kind == EventKind::Transfer)
            .map(|e| e.bytes)
            .sum()
    }

    /// True when nothing was copied or transferred.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.events.is_empty() {
            return writeln!(f, "no copies, no transfers");
        }
        for e in &self.events {
            writeln!(f, "{e}")?;
        }
        write!(
            f,
            "{} copies ({} implicit, {} bytes), {} transfers ({} bytes)",
            self.copies(),
            self.implicit_copies(),
            self.copy_bytes(),
            self.transfers(),
            self.transfer_bytes()
        )
    }
}

/// Decrements a thread-local counter when dropped, so scopes close even if
/// the closure panics.
struct ScopeGuard(&'static std::thread::LocalKey<Cell<usize>>);

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        self.0.with(|c| c.set(c.get().saturating_sub(1)));
    }
}

/// Runs `f` and returns its value with the copies and transfers it caused on
/// this thread. Scopes nest: an event is reported to every open scope.
///
/// ```
/// use strider::Array;
/// let a = Array::arange_i64(0, 6, 1).unwrap();
/// let (b, report) = strider::track(|| a.reshape(&[2, 3]));
/// assert!(b.is_ok());
/// assert!(report.is_empty()); // a reshape of contiguous data is a view
/// ```
pub fn track<R>(f: impl FnOnce() -> R) -> (R, Report) {
    SCOPES.with(|s| s.borrow_mut().push(Vec::new()));
    TRACKING.with(|t| t.set(t.get() + 1));
    let value = {
        let _guard = ScopeGuard(&TRACKING);
        f()
    };
    let events = SCOPES.with(|s| s.borrow_mut().pop().unwrap_or_default());
    (value, Report { events })
}

/// Runs `f` with implicit copies forbidden on this thread: an operation that
/// would copy without being asked to (a reshape of a transposed array, an
/// assignment whose source overlaps its destination) returns
/// [`Error::CopyForbidden`] instead. Explicit copies (`copy()`, `astype`,
/// `to_contiguous`, `flatten`, fancy indexing) are still allowed.
///
/// ```
/// use strider::Array;
/// let a = Array::arange_i64(0, 12, 1).unwrap().reshape(&[3, 4]).unwrap();
/// let ok = strider::no_copies(|| a.t().copy());
/// assert!(ok.is_ok());
/// let err = strider::no_copies(|| a.t().ravel()).unwrap_err();
/// assert_eq!(err.kind(), strider::ErrorKind::CopyForbidden);
/// ```
pub fn no_copies<R>(f: impl FnOnce() -> R) -> R {
    FORBID.with(|c| c.set(c.get() + 1));
    let _guard = ScopeGuard(&FORBID);
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(implicit: bool) -> CopyEvent {
        CopyEvent {
            op: "test",
            reason: "unit test".into(),
            kind: EventKind::Copy { implicit },
            bytes: 8,
            source: LayoutRecord {
                shape: vec![1],
                strides: vec![8],
                offset: 0,
            },
            result: LayoutRecord {
                shape: vec![1],
                strides: vec![8],
                offset: 0,
            },
            src_device: "cpu".into(),
            dst_device: "cpu".into(),
        }
    }

    #[test]
    fn nested_scopes_each_see_events() {
        let ((_, inner), outer) = track(|| {
            record(EventKind::Copy { implicit: false }, 8, || event(false));
            track(|| record(EventKind::Copy { implicit: true }, 8, || event(true)))
        });
        assert_eq!(outer.copies(), 2);
        assert_eq!(outer.implicit_copies(), 1);
        assert_eq!(inner.copies(), 1);
        assert_eq!(inner.copy_bytes(), 8);
    }

    #[test]
    fn untracked_events_are_not_built() {
        record(EventKind::Transfer, 4, || {
            panic!("an event must not be built without a listener")
        });
    }

    #[test]
    fn forbid_scope_closes() {
        assert!(!copies_forbidden());
        no_copies(|| {
            assert!(copies_forbidden());
            assert!(check_implicit("t", "r", 1).is_err());
        });
        assert!(!copies_forbidden());
    }
}
