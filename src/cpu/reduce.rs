//! Reductions on the CPU.
//!
//! Every reduction feeds the reduced elements of each output to a
//! [`Reducer`] in logical C order (ties of `argmin`/`argmax` go to the first
//! index, and results do not depend on the thread count). Three walks:
//!
//! - **Rows** (`a.sum(0)` on a C array, any reduction whose reduced axes
//!   are not contiguous while a kept axis is): the kept axis with stride 1
//!   is cut into column blocks of up to 4096; each block keeps one
//!   accumulator per column and takes the reduced positions a row at a
//!   time, so memory is read in long runs instead of one column at a time.
//!   Column blocks go to threads; when there are fewer blocks than threads
//!   the rows are cut too and the pieces merged in order.
//! - **Split** (few outputs, many elements each, as `a.sum()`): the
//!   outermost reduced axis is cut into pieces reduced on separate threads,
//!   then merged in order ([`Reducer::merge`]).
//! - **Outputs** (the rest, as `a.sum(1)`): outputs are spread over threads
//!   by [`drive`](super::drive) and each walks its reduced elements in
//!   contiguous chunks.
//!
//! Sums are pairwise within each chunk (leaves of 256 elements summed in 16
//! interleaved accumulators, which the SIMD loops keep in registers; leaf
//! sums combined as a binary tree); the row walk sums batches of 64 rows
//! plainly; chunk sums, row batches and pieces are combined with Kahan
//! compensation, so a sum is at least as accurate as
//! NumPy's pairwise summation (which sums `a.sum(0)` rows naively). f16 and
//! bf16 accumulate in f32, converted a block at a time.

use super::convert::load;
use super::{for_pieces, threads_above, threads_for, walk, RawOperand, BLOCK};
use crate::dtype::{DType, Element};
use crate::ops::math::Math;
use half::{bf16, f16};

/// Elements gathered per chunk when the reduced axes are not contiguous.
const CHUNK: usize = 1024;

/// The accumulation and result types of each element type's reductions.
pub(crate) trait ReduceElem: Math {
    /// Accumulator of `sum` and `prod`.
    type SumAcc: Math;
    /// Result of `sum` and `prod` (NumPy: int64 for signed and bool, uint64
    /// for unsigned, the same float otherwise).
    type SumOut: Element;
    /// Accumulator of `mean`.
    type MeanAcc: Math;
    /// Result of `mean` (float64 for integers and bool).
    type MeanOut: Element;
}

macro_rules! reduce_elem {
    ($($t:ty => $sa:ty, $so:ty, $ma:ty, $mo:ty;)*) => {$(
        impl ReduceElem for $t {
            type SumAcc = $sa;
            type SumOut = $so;
            type MeanAcc = $ma;
            type MeanOut = $mo;
        }
    )*};
}

reduce_elem! {
    bool => i64, i64, f64, f64;
    i8 => i64, i64, f64, f64;
    u8 => u64, u64, f64, f64;
    i16 => i64, i64, f64, f64;
    u16 => u64, u64, f64, f64;
    i32 => i64, i64, f64, f64;
    u32 => u64, u64, f64, f64;
    i64 => i64, i64, f64, f64;
    u64 => u64, u64, f64, f64;
    f16 => f32, f16, f32, f16;
    bf16 => f32, bf16, f32, bf16;
    f32 => f32, f32, f32, f32;
    f64 => f64, f64, f64, f64;
}

/// A chunk delivered in pieces: called with a function, it hands that
/// function each piece in order ([`Reducer::chunk_parts`]).
pub(crate) type Parts<'p, T> = dyn FnMut(&mut dyn FnMut(&[T])) + 'p;

/// One reduction: an accumulator fed chunk by chunk, then finished.
pub(crate) trait Reducer<T: Element>: Sync {
    type Acc: Copy + Send;
    type Out: Element;
    fn init(&self) -> Self::Acc;
    /// Feeds `xs`, whose first element has C-order index `start` among the
    /// reduced elements.
    fn chunk(&self, acc: &mut Self::Acc, xs: &[T], start: usize);
    /// Folds `later` (the accumulator of the elements that follow `acc`'s
    /// in C order) into `acc`.
    fn merge(&self, acc: &mut Self::Acc, later: Self::Acc);
    /// Feeds one chunk that arrives in pieces: `parts` hands each piece,
    /// in order, to the function it is given; the chunk's first element
    /// has index `start`. The same as one [`Reducer::chunk`] over the
    /// pieces joined (pieces other than the last hold a multiple of
    /// [`LEAF`] elements, see [`Source::stream`]).
    fn chunk_parts(&self, acc: &mut Self::Acc, start: usize, parts: &mut Parts<'_, T>) {
        let mut at = start;
        parts(&mut |xs: &[T]| {
            self.chunk(acc, xs, at);
            at += xs.len();
        });
    }
    /// Feeds consecutive rows of the row walk: `rows[i][j]` is element
    /// `first + i` (C order among the reduced elements) of output `j`.
    fn rows(&self, accs: &mut [Self::Acc], rows: &[&[T]], first: usize) {
        for (i, row) in rows.iter().enumerate() {
            for (acc, x) in accs.iter_mut().zip(row.iter()) {
                self.chunk(acc, std::slice::from_ref(x), first + i);
            }
        }
    }
    fn finish(&self, acc: Self::Acc, count: usize) -> Self::Out;
}

crate::multiversion! {
    /// Sums a batch of rows column by column (plainly, at most
    /// [`ROW_BATCH`] rows), then Kahan-adds each column's sum into
    /// `accs[j]`: one add per element, compensation once per batch.
    ///
    /// # Safety
    /// None beyond the types; `unsafe` only for the macro's shape.
    unsafe fn sum_rows<T, A>(accs: &mut [(A, A)], rows: &[&[T]]) where [T: Element, A: Math] {
        // The partial sums live on the stack; a small buffer for the short
        // walk's few hundred columns, so that zeroing it costs little, and
        // a whole column block otherwise (rows are read once, in long runs).
        if accs.len() <= SUM_GROUP {
            let mut tmp = [A::ZERO; SUM_GROUP];
            add_rows(&mut tmp[..accs.len()], accs, rows)
        } else {
            let mut tmp = [A::ZERO; COLUMNS];
            add_rows(&mut tmp[..accs.len()], accs, rows)
        }
    }
}

/// The body of `sum_rows`: plain column sums of the rows into `tmp`
/// (zeroed, one per column), then Kahan-added into `accs`.
#[inline(always)]
fn add_rows<T: Element, A: Math>(tmp: &mut [A], accs: &mut [(A, A)], rows: &[&[T]]) {
    for row in rows {
        for (t, x) in tmp.iter_mut().zip(row.iter()) {
            *t = A::add(*t, x.cast::<A>());
        }
    }
    for (acc, &t) in accs.iter_mut().zip(tmp.iter()) {
        kahan_add(acc, t);
    }
}

crate::multiversion! {
    /// The first position of `xs` whose element satisfies `eq(x, m)`
    /// (`usize::MAX` for none): sixteen elements at a time, each group
    /// tested with vectorised compares before it is searched.
    ///
    /// # Safety
    /// None beyond the types; `unsafe` only for the macro's shape.
    unsafe fn first_match<T, P>(xs: &[T], m: T, eq: P) -> usize where [T: Math, P: Fn(T, T) -> bool] {
        let mut chunks = xs.chunks_exact(ARG_LANES);
        let mut base = 0;
        for c in &mut chunks {
            if c.iter().fold(false, |hit, &x| hit | eq(x, m)) {
                return base + c.iter().position(|&x| eq(x, m)).unwrap_or(0);
            }
            base += ARG_LANES;
        }
        chunks.remainder().iter().position(|&x| eq(x, m)).map_or(usize::MAX, |i| base + i)
    }
}

/// Folds a later Kahan accumulator into an earlier one.
#[inline]
fn kahan_merge<A: Math>(acc: &mut (A, A), later: (A, A)) {
    kahan_add(acc, later.0);
    kahan_add(acc, A::neg(later.1));
}

/// Elements per pairwise leaf.
const LEAF: usize = 256;
/// Interleaved accumulators in a leaf.
const LANES: usize = 16;
/// Columns up to which `sum_rows` keeps its partial sums in a small buffer.
const SUM_GROUP: usize = 512;
/// Columns per block in the row walk.
const COLUMNS: usize = 4096;
/// Rows summed plainly before their sums join the Kahan accumulators.
const ROW_BATCH: usize = 64;

/// Partial sums combined as a binary tree as they arrive (a binary
/// counter: level `l` holds the sum of `2^l` leaves), so a stream of leaf
/// sums is summed pairwise without keeping the leaves.
struct Cascade<A> {
    levels: [A; 64],
    used: u64,
}

impl<A: Math> Cascade<A> {
    fn new() -> Self {
        Cascade {
            levels: [A::ZERO; 64],
            used: 0,
        }
    }

    #[inline]
    fn push(&mut self, mut s: A) {
        let mut l = 0;
        while self.used & (1 << l) != 0 {
            s = A::add(self.levels[l], s);
            self.used &= !(1 << l);
            l += 1;
        }
        self.levels[l] = s;
        self.used |= 1 << l;
    }

    /// The sum of everything pushed, earlier (higher) levels first.
    fn total(&self) -> A {
        let mut acc: Option<A> = None;
        for l in (0..64).rev() {
            if self.used & (1 << l) != 0 {
                acc = Some(acc.map_or(self.levels[l], |a| A::add(a, self.levels[l])));
            }
        }
        acc.unwrap_or(A::ZERO)
    }
}

crate::multiversion! {
    /// The sum of at most [`LEAF`] elements converted to `A`: [`LANES`]
    /// interleaved accumulators (one or two SIMD registers), combined as a
    /// tree, then the tail in order.
    ///
    /// # Safety
    /// None beyond the types; `unsafe` only for the macro's shape.
    unsafe fn leaf_sum<T, A>(xs: &[T]) -> A where [T: Element, A: Math] {
        let mut r = [A::ZERO; LANES];
        let mut chunks = xs.chunks_exact(LANES);
        for c in &mut chunks {
            for k in 0..LANES {
                r[k] = A::add(r[k], c[k].cast::<A>());
            }
        }
        let mut width = LANES;
        while width > 1 {
            width /= 2;
            for k in 0..width {
                r[k] = A::add(r[k], r[k + width]);
            }
        }
        let mut s = r[0];
        for &x in chunks.remainder() {
            s = A::add(s, x.cast::<A>());
        }
        s
    }
}

/// Pairwise sum of `xs` converted to `A` (see the module doc); half
/// precision inputs are widened to f32 a block at a time.
pub(crate) fn pairwise<T: Element, A: Math>(xs: &[T]) -> A {
    let half = matches!(T::DTYPE, DType::F16 | DType::BF16);
    if !half && xs.len() <= LEAF {
        // One leaf: the cascade would hand it back as it is.
        // SAFETY: no contract beyond the types.
        return unsafe { leaf_sum::<T, A>(xs) };
    }
    let mut c = Cascade::<A>::new();
    push_leaves(&mut c, xs);
    c.total()
}

/// The pairwise sum of a chunk that arrives in pieces (each a multiple of
/// [`LEAF`] elements but the last): the leaves and their tree are those of
/// [`pairwise`] over the pieces joined, so the result is the same.
fn pairwise_parts<T: Element, A: Math>(parts: &mut Parts<'_, T>) -> A {
    let mut c = Cascade::<A>::new();
    parts(&mut |xs: &[T]| push_leaves(&mut c, xs));
    c.total()
}

/// Pushes the [`LEAF`]-element leaf sums of `xs` into the cascade.
fn push_leaves<T: Element, A: Math>(c: &mut Cascade<A>, xs: &[T]) {
    if matches!(T::DTYPE, DType::F16 | DType::BF16) {
        let mut buf = [A::ZERO; BLOCK];
        for block in xs.chunks(BLOCK) {
            // SAFETY: `block` is a slice of `T` of the dtype named.
            unsafe {
                load(
                    block.as_ptr() as *const u8,
                    T::DTYPE,
                    1,
                    &mut buf[..block.len()],
                )
            };
            for leaf in buf[..block.len()].chunks(LEAF) {
                // SAFETY: no contract beyond the types.
                c.push(unsafe { leaf_sum::<A, A>(leaf) });
            }
        }
    } else {
        for leaf in xs.chunks(LEAF) {
            // SAFETY: no contract beyond the types.
            c.push(unsafe { leaf_sum::<T, A>(leaf) });
        }
    }
}

/// Kahan-compensated addition of `x` into `(sum, compensation)`; the
/// compensation is dropped when the sum is not finite, so infinities and
/// NaN propagate as in plain summation.
#[inline]
fn kahan_add<A: Math>(acc: &mut (A, A), x: A) {
    let y = A::sub(x, acc.1);
    let t = A::add(acc.0, y);
    acc.1 = if A::is_nan(A::sub(t, t)) {
        A::ZERO
    } else {
        A::sub(A::sub(t, acc.0), y)
    };
    acc.0 = t;
}

/// `sum`.
pub(crate) struct Sum;
impl<T: ReduceElem> Reducer<T> for Sum {
    type Acc = (T::SumAcc, T::SumAcc);
    type Out = T::SumOut;
    fn init(&self) -> Self::Acc {
        (T::SumAcc::ZERO, T::SumAcc::ZERO)
    }
    fn chunk(&self, acc: &mut Self::Acc, xs: &[T], _: usize) {
        kahan_add(acc, pairwise::<T, T::SumAcc>(xs));
    }
    fn chunk_parts(&self, acc: &mut Self::Acc, _: usize, parts: &mut Parts<'_, T>) {
        kahan_add(acc, pairwise_parts::<T, T::SumAcc>(parts));
    }
    fn merge(&self, acc: &mut Self::Acc, later: Self::Acc) {
        kahan_merge(acc, later);
    }
    fn rows(&self, accs: &mut [Self::Acc], rows: &[&[T]], _: usize) {
        // SAFETY: no contract beyond the types.
        unsafe { sum_rows(accs, rows) }
    }
    fn finish(&self, acc: Self::Acc, _: usize) -> T::SumOut {
        acc.0.cast()
    }
}

/// `mean`: the sum divided by the count (NaN for no elements).
pub(crate) struct Mean;
impl<T: ReduceElem> Reducer<T> for Mean {
    type Acc = (T::MeanAcc, T::MeanAcc);
    type Out = T::MeanOut;
    fn init(&self) -> Self::Acc {
        (T::MeanAcc::ZERO, T::MeanAcc::ZERO)
    }
    fn chunk(&self, acc: &mut Self::Acc, xs: &[T], _: usize) {
        kahan_add(acc, pairwise::<T, T::MeanAcc>(xs));
    }
    fn chunk_parts(&self, acc: &mut Self::Acc, _: usize, parts: &mut Parts<'_, T>) {
        kahan_add(acc, pairwise_parts::<T, T::MeanAcc>(parts));
    }
    fn merge(&self, acc: &mut Self::Acc, later: Self::Acc) {
        kahan_merge(acc, later);
    }
    fn rows(&self, accs: &mut [Self::Acc], rows: &[&[T]], _: usize) {
        // SAFETY: no contract beyond the types.
        unsafe { sum_rows(accs, rows) }
    }
    fn finish(&self, acc: Self::Acc, count: usize) -> T::MeanOut {
        (acc.0.to_f64() / count as f64).cast()
    }
}

/// `prod`.
pub(crate) struct Prod;
impl<T: ReduceElem> Reducer<T> for Prod {
    type Acc = T::SumAcc;
    type Out = T::SumOut;
    fn init(&self) -> Self::Acc {
        T::SumAcc::ONE
    }
    fn chunk(&self, acc: &mut Self::Acc, xs: &[T], _: usize) {
        for &x in xs {
            *acc = T::SumAcc::mul(*acc, x.cast());
        }
    }
    fn merge(&self, acc: &mut Self::Acc, later: Self::Acc) {
        *acc = T::SumAcc::mul(*acc, later);
    }
    fn finish(&self, acc: Self::Acc, _: usize) -> T::SumOut {
        acc.cast()
    }
}

/// `max` (`MAX = true`) or `min`; NaN propagates.
pub(crate) struct Extreme<const MAX: bool>;
impl<T: Math, const MAX: bool> Reducer<T> for Extreme<MAX> {
    type Acc = Option<T>;
    type Out = T;
    fn init(&self) -> Self::Acc {
        None
    }
    fn chunk(&self, acc: &mut Self::Acc, xs: &[T], _: usize) {
        let mut best = match *acc {
            Some(b) if T::is_nan(b) => return,
            Some(b) => b,
            None => match xs.first() {
                Some(&x) => x,
                None => return,
            },
        };
        for &x in xs {
            best = if MAX {
                T::maximum(best, x)
            } else {
                T::minimum(best, x)
            };
        }
        *acc = Some(best);
    }
    fn merge(&self, acc: &mut Self::Acc, later: Self::Acc) {
        if let Some(b) = later {
            self.chunk(acc, &[b], 0);
        }
    }
    fn finish(&self, acc: Self::Acc, _: usize) -> T {
        acc.unwrap_or(T::ZERO)
    }
}

/// `argmax` (`MAX = true`) or `argmin`: the first index of the extreme; the
/// first NaN wins, as in NumPy.
///
/// The accumulator is the best value and its index ([`NO_INDEX`] before any
/// element). A chunk is taken [`ARG_BLOCK`] elements at a time: one
/// vectorised pass finds the block's extreme and whether it holds a NaN
/// ([`block_extreme`]); only a block that beats the best so far (or holds a
/// NaN) is scanned again for the first position of that value, so random
/// data are read about once.
pub(crate) struct ArgExtreme<const MAX: bool>;

/// The index of an [`ArgExtreme`] accumulator that has seen nothing.
const NO_INDEX: usize = usize::MAX;
/// Elements per block of the arg-reductions (16 KiB of f64: stays in L1
/// for the second scan of an improving block).
const ARG_BLOCK: usize = 2048;
/// Independent lanes of [`block_extreme`] (two AVX2 registers of f32).
const ARG_LANES: usize = 16;

crate::multiversion! {
    /// The extreme of a non-empty block under `>` (`MAX`) or `<`, and
    /// whether the block holds a NaN. [`ARG_LANES`] running extremes,
    /// each a compare-and-select per element (a SIMD max/min), so no
    /// reassociation is needed to vectorise; NaN is detected apart, since
    /// the selects skip it.
    ///
    /// # Safety
    /// None beyond the types; `unsafe` only for the macro's shape.
    unsafe fn block_extreme<T, B>(xs: &[T], _max: B) -> (T, bool) where [T: Math, B: Flag] {
        let mut lanes = [xs[0]; ARG_LANES];
        let mut nan = [false; ARG_LANES];
        let mut chunks = xs.chunks_exact(ARG_LANES);
        for c in &mut chunks {
            for k in 0..ARG_LANES {
                let (x, m) = (c[k], lanes[k]);
                let better = if B::ON { x > m } else { x < m };
                lanes[k] = if better { x } else { m };
                nan[k] |= T::is_nan(x);
            }
        }
        let mut best = lanes[0];
        let mut any_nan = nan.iter().any(|&n| n);
        for &x in lanes[1..].iter().chain(chunks.remainder()) {
            let better = if B::ON { x > best } else { x < best };
            best = if better { x } else { best };
            any_nan |= T::is_nan(x);
        }
        (best, any_nan)
    }
}

/// A compile-time boolean as a type (the multiversion macro takes type
/// parameters only).
pub(crate) trait Flag: Copy {
    const ON: bool;
}
/// [`Flag`] on.
#[derive(Clone, Copy)]
pub(crate) struct On;
/// [`Flag`] off.
#[derive(Clone, Copy)]
pub(crate) struct Off;
impl Flag for On {
    const ON: bool = true;
}
impl Flag for Off {
    const ON: bool = false;
}

impl<const MAX: bool> ArgExtreme<MAX> {
    /// Whether `x` replaces `best` (seen at a smaller index): strictly
    /// beyond it, or the first NaN.
    #[inline(always)]
    fn beats<T: Math>(x: T, best: T) -> bool {
        let beyond = if MAX { x > best } else { x < best };
        beyond || (T::is_nan(x) && !T::is_nan(best))
    }
}

impl<T: Math, const MAX: bool> Reducer<T> for ArgExtreme<MAX> {
    type Acc = (T, usize);
    type Out = i64;
    fn init(&self) -> Self::Acc {
        (T::ZERO, NO_INDEX)
    }
    fn chunk(&self, acc: &mut Self::Acc, xs: &[T], start: usize) {
        for (b, blk) in xs.chunks(ARG_BLOCK).enumerate() {
            if acc.1 != NO_INDEX && T::is_nan(acc.0) {
                return;
            }
            // SAFETY: no contract beyond the types; `blk` is not empty.
            let (m, nan) = unsafe {
                if MAX {
                    block_extreme(blk, On)
                } else {
                    block_extreme(blk, Off)
                }
            };
            // SAFETY (both): no contract beyond the types.
            let first = if nan {
                unsafe { first_match(blk, m, |x: T, _: T| T::is_nan(x)) }
            } else if acc.1 == NO_INDEX || Self::beats(m, acc.0) {
                unsafe { first_match(blk, m, |x: T, m: T| x == m) }
            } else {
                usize::MAX
            };
            if first != usize::MAX {
                *acc = (blk[first], start + b * ARG_BLOCK + first);
            }
        }
    }
    fn merge(&self, acc: &mut Self::Acc, later: Self::Acc) {
        if later.1 != NO_INDEX && (acc.1 == NO_INDEX || Self::beats(later.0, acc.0)) {
            *acc = later;
        }
    }
    fn rows(&self, accs: &mut [Self::Acc], rows: &[&[T]], first: usize) {
        for (i, row) in rows.iter().enumerate() {
            for (acc, &x) in accs.iter_mut().zip(row.iter()) {
                if acc.1 == NO_INDEX || Self::beats(x, acc.0) {
                    *acc = (x, first + i);
                }
            }
        }
    }
    fn finish(&self, acc: Self::Acc, _: usize) -> i64 {
        if acc.1 == NO_INDEX {
            0
        } else {
            acc.1 as i64
        }
    }
}

/// `any` (`ALL = false`) or `all`.
pub(crate) struct Truth<const ALL: bool>;
impl<T: Element, const ALL: bool> Reducer<T> for Truth<ALL> {
    type Acc = bool;
    type Out = bool;
    fn init(&self) -> bool {
        ALL
    }
    fn chunk(&self, acc: &mut bool, xs: &[T], _: usize) {
        if ALL {
            *acc = *acc && xs.iter().all(|x| x.to_bool());
        } else {
            *acc = *acc || xs.iter().any(|x| x.to_bool());
        }
    }
    fn merge(&self, acc: &mut bool, later: bool) {
        *acc = if ALL { *acc && later } else { *acc || later };
    }
    fn finish(&self, acc: bool, _: usize) -> bool {
        acc
    }
}

/// The reduced axes of one output element, merged where C order allows.
#[derive(Clone, Debug)]
pub(crate) struct ReducedAxes {
    shape: Vec<usize>,
    strides: Vec<isize>,
}

impl ReducedAxes {
    /// Reduced axes `shape`/`strides` (input element strides) in C order.
    pub(crate) fn new(shape: &[usize], strides: &[isize]) -> ReducedAxes {
        let mut s: Vec<usize> = Vec::new();
        let mut st: Vec<isize> = Vec::new();
        for (&n, &k) in shape.iter().zip(strides) {
            if n == 1 {
                continue;
            }
            match (s.last_mut(), st.last_mut()) {
                (Some(ln), Some(lk)) if *lk == k * n as isize => {
                    *ln *= n;
                    *lk = k;
                }
                _ => {
                    s.push(n);
                    st.push(k);
                }
            }
        }
        ReducedAxes {
            shape: s,
            strides: st,
        }
    }

    /// Number of reduced elements per output.
    pub(crate) fn count(&self) -> usize {
        self.shape.iter().product()
    }
}

/// Where a reduction reads its elements: memory ([`Memory`]), or an
/// expression's result made on the fly ([`crate::expr`]), which the walks
/// treat as the dense array the eager op would have made. Offsets count
/// elements from the source's first element.
pub(crate) trait Source<T: Element>: Sync {
    /// The `n` elements from `off` on as a slice, when they lie in memory
    /// one after the other.
    ///
    /// # Safety
    /// The elements are in the source.
    unsafe fn slice(&self, off: isize, n: usize) -> Option<&[T]>;
    /// Writes the elements at `off + i * stride` into `out[i]`.
    ///
    /// # Safety
    /// The elements are in the source.
    unsafe fn gather(&self, off: isize, stride: isize, out: &mut [T]);
    /// Hands `f` the `n` contiguous elements from `off` on, in order, as
    /// one or more slices, each but the last a multiple of [`LEAF`] long.
    ///
    /// # Safety
    /// The elements are in the source.
    unsafe fn stream(&self, off: isize, n: usize, f: &mut dyn FnMut(&[T]));
}

/// Elements in memory from a base pointer on.
pub(crate) struct Memory<T>(pub(crate) *const T);

// SAFETY: only read, while the caller holds the buffer's read lock.
unsafe impl<T> Sync for Memory<T> {}

impl<T: Element> Source<T> for Memory<T> {
    unsafe fn slice(&self, off: isize, n: usize) -> Option<&[T]> {
        // SAFETY: the contract.
        Some(unsafe { std::slice::from_raw_parts(self.0.offset(off), n) })
    }

    unsafe fn gather(&self, off: isize, stride: isize, out: &mut [T]) {
        for (i, o) in out.iter_mut().enumerate() {
            // SAFETY: the contract.
            *o = unsafe { *self.0.offset(off + i as isize * stride) };
        }
    }

    unsafe fn stream(&self, off: isize, n: usize, f: &mut dyn FnMut(&[T])) {
        // SAFETY: the contract.
        f(unsafe { Source::<T>::slice(self, off, n) }.unwrap_or(&[]))
    }
}

/// Feeds the reduced elements starting at offset `base` of `src` to `r` in
/// C order, in chunks: contiguous runs whole (straight from memory, or made
/// in pieces by an expression), strided runs through a small buffer of
/// [`CHUNK`] elements. `first` is the C-order index of the first element.
///
/// # Safety
/// `base` and the axes address elements of the source.
unsafe fn reduce_chunks<T: Element, R: Reducer<T>, S: Source<T>>(
    src: &S,
    base: isize,
    axes: &ReducedAxes,
    r: &R,
    acc: &mut R::Acc,
    first: usize,
) {
    let nd = axes.shape.len();
    // One contiguous run of `len` elements from `p` as one chunk.
    let run = |acc: &mut R::Acc, p: isize, len: usize, start: usize| {
        // SAFETY: the run lies in the source (the contract).
        unsafe {
            match src.slice(p, len) {
                Some(xs) => r.chunk(acc, xs, start),
                None => r.chunk_parts(acc, start, &mut |feed| src.stream(p, len, feed)),
            }
        }
    };
    if nd == 0 {
        return run(acc, base, 1, first);
    }
    let (len, stride) = (axes.shape[nd - 1], axes.strides[nd - 1]);
    // The gather buffer, set up by the first strided run only (4 KiB of
    // zeroing per output was most of a small reduction's time).
    let mut buf: Option<[T; CHUNK]> = None;
    let mut k = 0;
    // The runs start at the offsets of the axes before the last.
    crate::layout::for_each_offset(&axes.shape[..nd - 1], &axes.strides[..nd - 1], |pos| {
        let (p, start) = (base + pos, first + k * len);
        if stride == 1 {
            run(acc, p, len, start);
        } else {
            // Lazily: a 4 KiB array built per run is what this avoids.
            #[allow(clippy::unnecessary_lazy_evaluations)]
            let buf = buf.get_or_insert_with(|| [T::ZERO; CHUNK]);
            let mut at = 0;
            while at < len {
                let m = CHUNK.min(len - at);
                // SAFETY: inside the run (the contract).
                unsafe { src.gather(p + at as isize * stride, stride, &mut buf[..m]) };
                r.chunk(acc, &buf[..m], start + at);
                at += m;
            }
        }
        k += 1;
    });
}

impl ReducedAxes {
    /// The part of the walk whose outermost index lies in `a..b`, with the
    /// element offset of its first element and its first C-order index.
    fn split(&self, a: usize, b: usize) -> (ReducedAxes, isize, usize) {
        let mut part = self.clone();
        if part.shape.is_empty() {
            return (part, 0, 0);
        }
        let per = self.count() / self.shape[0].max(1);
        part.shape[0] = b - a;
        (part, a as isize * self.strides[0], a * per)
    }

    /// Calls `f(offset)` for every reduced element, in C order.
    fn for_each_offset(&self, f: impl FnMut(isize)) {
        crate::layout::for_each_offset(&self.shape, &self.strides, f)
    }
}

/// The output base pointer, which may cross to rayon's threads.
#[derive(Clone, Copy)]
struct OutBase<O>(*mut O);
// SAFETY: used only inside `reduce_from`, while the caller holds the
// locks; threads write disjoint outputs (each output belongs to one piece).
unsafe impl<O> Send for OutBase<O> {}
// SAFETY: as above.
unsafe impl<O> Sync for OutBase<O> {}

impl<O> OutBase<O> {
    /// The output at element offset `off`.
    ///
    /// # Safety
    /// `off` is an output's offset.
    #[inline]
    unsafe fn at(self, off: isize) -> *mut O {
        // SAFETY: the contract.
        unsafe { self.0.offset(off) }
    }
}

/// Reduces over `axes` into `out`, reading the input's elements from `src`
/// (memory, or an expression evaluated as the walks ask): `outer_shape` is
/// the kept shape, `out` and `in_strides` give strides over the kept axes,
/// `axes` the reduced part of the input. Chooses the row, split, short or
/// output walk (module doc).
///
/// # Safety
/// Module invariants of [`crate::cpu`]; `out.dtype` is `R::Out`; every
/// offset the kept and reduced strides reach is an element of `src`.
pub(crate) unsafe fn reduce_from<T: Element, R: Reducer<T>, S: Source<T>>(
    outer_shape: &[usize],
    out: RawOperand<'_>,
    in_strides: &[isize],
    src: &S,
    axes: &ReducedAxes,
    r: &R,
) {
    debug_assert_eq!(out.dtype, R::Out::DTYPE);
    super::count_pass();
    let count = axes.count();
    let outputs: usize = outer_shape.iter().product();
    if outputs == 0 {
        return;
    }
    let threads = threads_for(outputs.saturating_mul(count.max(1)));
    // SAFETY (whole body): offsets come from the layouts (invariant 2).
    unsafe {
        let o = OutBase((out.ptr as *mut R::Out).add(out.offset));
        let red_inner = axes.strides.last().copied();
        let column = (0..outer_shape.len())
            .rev()
            .find(|&d| outer_shape[d] > 1 && in_strides[d] == 1);
        if let (Some(c), Some(ri)) = (column, red_inner) {
            if ri.unsigned_abs() != 1 {
                return reduce_rows(outer_shape, out, in_strides, src, axes, r, c, o, threads);
            }
        }
        // One contiguous reduced run streams from cache fast on one core.
        let contiguous = axes.shape.len() == 1 && axes.strides[0] == 1;
        let threads = if contiguous {
            threads_above(
                outputs.saturating_mul(count),
                super::PAR_THRESHOLD_CONTIGUOUS,
            )
        } else {
            threads
        };
        if outputs < threads && count >= 2 * LEAF && !axes.shape.is_empty() {
            let pieces = (threads * 4).min(axes.shape[0]);
            let parts: Vec<std::sync::Mutex<Option<R::Acc>>> =
                (0..pieces).map(|_| std::sync::Mutex::new(None)).collect();
            let n0 = axes.shape[0];
            for oi in 0..outputs {
                // Offsets of output `oi` (C order over the kept shape).
                let (mut rem, mut oo, mut xo) = (oi, 0isize, 0isize);
                for d in (0..outer_shape.len()).rev() {
                    let k = (rem % outer_shape[d]) as isize;
                    rem /= outer_shape[d];
                    oo += k * out.strides[d];
                    xo += k * in_strides[d];
                }
                for_pieces(threads, pieces, |i| {
                    let (part, off, first) = axes.split(n0 * i / pieces, n0 * (i + 1) / pieces);
                    let mut acc = r.init();
                    reduce_chunks(src, xo + off, &part, r, &mut acc, first);
                    *parts[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(acc);
                });
                let mut acc = r.init();
                for p in &parts {
                    if let Some(a) = p.lock().unwrap_or_else(|e| e.into_inner()).take() {
                        r.merge(&mut acc, a);
                    }
                }
                *o.at(oo) = r.finish(acc, count);
            }
            return;
        }
        let short = (axes.shape.len() == 1 && count <= SHORT_REDUCED).then(|| axes.strides[0]);
        let strides = [out.strides, in_strides];
        let itemsizes = [out.dtype.itemsize(), T::DTYPE.itemsize()];
        walk(
            outer_shape,
            strides,
            itemsizes,
            count.max(1),
            |_, _| false,
            |at, s, n| {
                let (o, x) = (o.at(at[0]), at[1]);
                if let (Some(step), true) = (short, n >= 8) {
                    return short_outputs(o, src, x, s, n, count, step, r);
                }
                for i in 0..n as isize {
                    let mut acc = r.init();
                    reduce_chunks(src, x + i * s[1], axes, r, &mut acc, 0);
                    *o.offset(i * s[0]) = r.finish(acc, count);
                }
            },
        )
    }
}

/// Reduced axes at most this long take the short walk ([`short_outputs`]).
const SHORT_REDUCED: usize = 16;
/// Outputs per block of the short walk.
const SHORT_BLOCK: usize = 256;

/// The short walk: `n` outputs (output stride `s[0]`, input stride `s[1]`)
/// that each reduce `count` elements `step` apart, a few at most (`sum(2)`
/// of 2-D points, of RGB pixels; `argmin(1)` over k = 8 distances). Per
/// block of [`SHORT_BLOCK`] outputs, the `k`-th reduced element of every
/// output is gathered into row `k` of a small buffer, and the rows go to
/// [`Reducer::rows`] (the row walk's vectorised column loops), instead of
/// one accumulator set up and finished per handful of elements.
///
/// # Safety
/// As [`reduce_from`]: `o` addresses the outputs and `x` is the offset of their
/// reduced runs in `src`.
#[allow(clippy::too_many_arguments)]
unsafe fn short_outputs<T: Element, R: Reducer<T>, S: Source<T>>(
    o: *mut R::Out,
    src: &S,
    x: isize,
    s: [isize; 2],
    n: usize,
    count: usize,
    step: isize,
    r: &R,
) {
    let mut cols = vec![T::ZERO; count * SHORT_BLOCK];
    let mut accs = [r.init(); SHORT_BLOCK];
    let mut i0 = 0usize;
    while i0 < n {
        let b = SHORT_BLOCK.min(n - i0);
        for (k, col) in cols.chunks_exact_mut(SHORT_BLOCK).enumerate() {
            // SAFETY: element `k` of the reduced runs of outputs `i0..i0 + b`.
            unsafe {
                src.gather(
                    x + i0 as isize * s[1] + k as isize * step,
                    s[1],
                    &mut col[..b],
                )
            };
        }
        accs[..b].fill(r.init());
        let mut rows: [&[T]; SHORT_REDUCED] = [&[]; SHORT_REDUCED];
        for (row, c) in rows.iter_mut().zip(cols.chunks_exact(SHORT_BLOCK)) {
            *row = &c[..b];
        }
        r.rows(&mut accs[..b], &rows[..count], 0);
        for (j, &acc) in accs[..b].iter().enumerate() {
            // SAFETY: output `i0 + j` of this run.
            unsafe { *o.offset((i0 + j) as isize * s[0]) = r.finish(acc, count) };
        }
        i0 += b;
    }
}

/// The row walk: kept axis `c` has input stride 1 and is cut into blocks of
/// [`COLUMNS`]; each block walks the reduced positions once, feeding batches
/// of rows to [`Reducer::rows`].
///
/// # Safety
/// As [`reduce_from`].
#[allow(clippy::too_many_arguments)]
unsafe fn reduce_rows<T: Element, R: Reducer<T>, S: Source<T>>(
    outer_shape: &[usize],
    out: RawOperand<'_>,
    in_strides: &[isize],
    src: &S,
    axes: &ReducedAxes,
    r: &R,
    c: usize,
    o: OutBase<R::Out>,
    threads: usize,
) {
    let count = axes.count();
    let width = outer_shape[c];
    let blocks = width.div_ceil(COLUMNS);
    let tasks = outer_shape.iter().product::<usize>() / width * blocks;
    // Too few column blocks for the threads: also cut the rows (the
    // outermost reduced axis) and merge the pieces in order afterwards.
    let n0 = axes.shape.first().copied().unwrap_or(1);
    let row_pieces = if threads > 1 && tasks < 2 * threads {
        (2 * threads).div_ceil(tasks).min(n0).max(1)
    } else {
        1
    };
    // Output and input offsets, first column and width of column task `t`.
    let task = |t: usize| {
        let (mut pos, blk) = (t / blocks, t % blocks);
        let (mut oo, mut xo) = (0isize, 0isize);
        for d in (0..outer_shape.len()).rev().filter(|&d| d != c) {
            let k = (pos % outer_shape[d]) as isize;
            pos /= outer_shape[d];
            oo += k * out.strides[d];
            xo += k * in_strides[d];
        }
        let j0 = blk * COLUMNS;
        (oo, xo, j0, COLUMNS.min(width - j0))
    };
    // SAFETY (both writers): each output is written once, by the task (or
    // the merge loop) that owns its column block.
    let write = |b: OutBase<R::Out>, oo: isize, j0: usize, accs: Vec<R::Acc>| unsafe {
        let o0 = b.at(oo + j0 as isize * out.strides[c]);
        for (j, acc) in accs.into_iter().enumerate() {
            *o0.offset(j as isize * out.strides[c]) = r.finish(acc, count);
        }
    };
    let parts: Vec<std::sync::Mutex<Vec<R::Acc>>> = (0..if row_pieces > 1 {
        tasks * row_pieces
    } else {
        0
    })
        .map(|_| std::sync::Mutex::new(Vec::new()))
        .collect();
    for_pieces(threads, tasks * row_pieces, |t| {
        let b = o;
        let (tc, rp) = (t / row_pieces, t % row_pieces);
        let (oo, xo, j0, cols) = task(tc);
        let (part, off, first) = axes.split(n0 * rp / row_pieces, n0 * (rp + 1) / row_pieces);
        let mut accs = vec![r.init(); cols];
        let mut index = first;
        // Offsets of the batch's rows, and the rows made by a source that
        // is not in memory.
        let mut batch: Vec<isize> = Vec::with_capacity(ROW_BATCH);
        let mut made: Vec<T> = Vec::new();
        let x0 = xo + off + j0 as isize;
        // SAFETY: every offset addresses an element of the input's layout
        // (a reduced position plus `cols` columns of stride 1).
        part.for_each_offset(|off| {
            batch.push(x0 + off);
            if batch.len() == ROW_BATCH {
                unsafe { feed_rows(src, r, &mut accs, &batch, cols, &mut made, index) };
                index += batch.len();
                batch.clear();
            }
        });
        if !batch.is_empty() {
            // SAFETY: as above.
            unsafe { feed_rows(src, r, &mut accs, &batch, cols, &mut made, index) };
        }
        if row_pieces == 1 {
            write(b, oo, j0, accs);
        } else {
            *parts[t].lock().unwrap_or_else(|e| e.into_inner()) = accs;
        }
    });
    for tc in 0..if row_pieces > 1 { tasks } else { 0 } {
        let (oo, _, j0, _) = task(tc);
        let take =
            |k: usize| std::mem::take(&mut *parts[k].lock().unwrap_or_else(|e| e.into_inner()));
        let mut accs = take(tc * row_pieces);
        for rp in 1..row_pieces {
            for (acc, later) in accs.iter_mut().zip(take(tc * row_pieces + rp)) {
                r.merge(acc, later);
            }
        }
        write(o, oo, j0, accs);
    }
}

/// Feeds the rows of `cols` elements at offsets `rows` of `src` to
/// `r.rows`: slices of memory, or made into `made` when the source is an
/// expression.
///
/// # Safety
/// Each row lies in the source.
#[allow(clippy::too_many_arguments)]
unsafe fn feed_rows<T: Element, R: Reducer<T>, S: Source<T>>(
    src: &S,
    r: &R,
    accs: &mut [R::Acc],
    rows: &[isize],
    cols: usize,
    made: &mut Vec<T>,
    index: usize,
) {
    let mut batch: [&[T]; ROW_BATCH] = [&[]; ROW_BATCH];
    // SAFETY (both branches): the contract.
    if unsafe { src.slice(rows[0], cols) }.is_some() {
        for (b, &off) in batch.iter_mut().zip(rows) {
            *b = unsafe { src.slice(off, cols) }.unwrap_or(&[]);
        }
    } else {
        made.resize(rows.len() * cols, T::ZERO);
        for (row, &off) in made.chunks_exact_mut(cols).zip(rows) {
            unsafe { src.gather(off, 1, row) };
        }
        for (b, row) in batch.iter_mut().zip(made.chunks_exact(cols)) {
            *b = row;
        }
    }
    r.rows(accs, &batch[..rows.len()], index);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_matches_exact_sum_on_integers() {
        let xs: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        assert_eq!(pairwise::<f64, f64>(&xs), 499500.0);
        let ys: Vec<i32> = (0..1000).collect();
        assert_eq!(pairwise::<i32, i64>(&ys), 499500);
    }

    #[test]
    fn kahan_keeps_infinities() {
        let mut acc = (0.0f64, 0.0f64);
        kahan_add(&mut acc, f64::INFINITY);
        kahan_add(&mut acc, 1.0);
        assert_eq!(acc.0, f64::INFINITY);
    }

    #[test]
    fn reduced_axes_merge_in_c_order() {
        let a = ReducedAxes::new(&[2, 3, 4], &[12, 4, 1]);
        assert_eq!((a.shape.clone(), a.strides.clone()), (vec![24], vec![1]));
        let t = ReducedAxes::new(&[4, 3], &[1, 4]);
        assert_eq!(t.shape, vec![4, 3]);
    }
}
