//! Reductions on the CPU.
//!
//! The kept axes are walked by [`drive`](super::drive) (one output element
//! per position, threads split over outputs); for each output the reduced
//! axes are walked in logical C order, in contiguous chunks, and fed to a
//! [`Reducer`]. C order matters for `argmin`/`argmax` (ties go to the first
//! index) and keeps results deterministic.
//!
//! Sums are pairwise within each chunk (as NumPy's inner loop) and the chunk
//! sums are combined with Kahan compensation, so a sum is at least as
//! accurate as NumPy's pairwise summation. f16 and bf16 accumulate in f32.

use super::{drive, RawOperand};
use crate::dtype::Element;
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
    u8 => u64, u64, f64, f64;
    i32 => i64, i64, f64, f64;
    u32 => u64, u64, f64, f64;
    i64 => i64, i64, f64, f64;
    u64 => u64, u64, f64, f64;
    f16 => f32, f16, f32, f16;
    bf16 => f32, bf16, f32, bf16;
    f32 => f32, f32, f32, f32;
    f64 => f64, f64, f64, f64;
}

/// One reduction: an accumulator fed chunk by chunk, then finished.
pub(crate) trait Reducer<T: Element>: Sync {
    type Acc: Copy;
    type Out: Element;
    fn init(&self) -> Self::Acc;
    /// Feeds `xs`, whose first element has C-order index `start` among the
    /// reduced elements.
    fn chunk(&self, acc: &mut Self::Acc, xs: &[T], start: usize);
    fn finish(&self, acc: Self::Acc, count: usize) -> Self::Out;
}

/// Pairwise sum of `xs` converted to `A` (NumPy's scheme: blocks of 8
/// partial sums below 128 elements, halving above).
pub(crate) fn pairwise<T: Element, A: Math>(xs: &[T]) -> A {
    let n = xs.len();
    if n < 8 {
        let mut s = A::ZERO;
        for &x in xs {
            s = A::add(s, x.cast::<A>());
        }
        s
    } else if n <= 128 {
        let mut r = [A::ZERO; 8];
        let mut i = 0;
        while i + 8 <= n {
            for k in 0..8 {
                r[k] = A::add(r[k], xs[i + k].cast::<A>());
            }
            i += 8;
        }
        let mut s = A::add(
            A::add(A::add(r[0], r[1]), A::add(r[2], r[3])),
            A::add(A::add(r[4], r[5]), A::add(r[6], r[7])),
        );
        for &x in &xs[i..] {
            s = A::add(s, x.cast::<A>());
        }
        s
    } else {
        let half = (n / 2) & !7;
        A::add(pairwise::<T, A>(&xs[..half]), pairwise::<T, A>(&xs[half..]))
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
    fn finish(&self, acc: Self::Acc, _: usize) -> T {
        acc.unwrap_or(T::ZERO)
    }
}

/// `argmax` (`MAX = true`) or `argmin`: the first index of the extreme; the
/// first NaN wins, as in NumPy.
pub(crate) struct ArgExtreme<const MAX: bool>;
impl<T: Math, const MAX: bool> Reducer<T> for ArgExtreme<MAX> {
    type Acc = Option<(T, usize)>;
    type Out = i64;
    fn init(&self) -> Self::Acc {
        None
    }
    fn chunk(&self, acc: &mut Self::Acc, xs: &[T], start: usize) {
        for (i, &x) in xs.iter().enumerate() {
            match *acc {
                None => *acc = Some((x, start + i)),
                Some((b, _)) if T::is_nan(b) => return,
                Some((b, _)) => {
                    let better = T::is_nan(x) || if MAX { x > b } else { x < b };
                    if better {
                        *acc = Some((x, start + i));
                    }
                }
            }
        }
    }
    fn finish(&self, acc: Self::Acc, _: usize) -> i64 {
        acc.map_or(0, |(_, i)| i as i64)
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

/// Feeds the reduced elements starting at `base` to `f` in C order, in
/// chunks: straight from memory when the innermost run is contiguous,
/// through a small buffer otherwise.
///
/// # Safety
/// `base` and the axes must address readable elements of `T`.
unsafe fn for_each_chunk<T: Element>(
    base: *const T,
    axes: &ReducedAxes,
    mut f: impl FnMut(&[T], usize),
) {
    let nd = axes.shape.len();
    if nd == 0 {
        // SAFETY: one element at `base`.
        f(unsafe { std::slice::from_raw_parts(base, 1) }, 0);
        return;
    }
    let (len, stride) = (axes.shape[nd - 1], axes.strides[nd - 1]);
    let outer: usize = axes.shape[..nd - 1].iter().product();
    let mut idx = vec![0usize; nd.saturating_sub(1)];
    let mut pos: isize = 0;
    let mut buf = [T::ZERO; CHUNK];
    for run in 0..outer {
        // SAFETY: `pos` is the offset of an element of the reduced block.
        let p = unsafe { base.offset(pos) };
        if stride == 1 {
            // SAFETY: a contiguous run of `len` elements, only read.
            f(unsafe { std::slice::from_raw_parts(p, len) }, run * len);
        } else {
            let mut start = 0;
            while start < len {
                let m = CHUNK.min(len - start);
                for (i, b) in buf[..m].iter_mut().enumerate() {
                    // SAFETY: inside the run.
                    *b = unsafe { *p.offset((start + i) as isize * stride) };
                }
                f(&buf[..m], run * len + start);
                start += m;
            }
        }
        for ax in (0..nd - 1).rev() {
            idx[ax] += 1;
            pos += axes.strides[ax];
            if idx[ax] < axes.shape[ax] {
                break;
            }
            pos -= axes.strides[ax] * axes.shape[ax] as isize;
            idx[ax] = 0;
        }
    }
}

/// Reduces `input` over `axes` into `out`: `outer_shape` is the kept shape,
/// `out` and `input` carry strides over the kept axes, `axes` the reduced
/// part of the input.
///
/// # Safety
/// Module invariants of [`crate::cpu`]; `input.dtype` is `T` and
/// `out.dtype` is `R::Out`.
pub(crate) unsafe fn reduce<T: Element, R: Reducer<T>>(
    outer_shape: &[usize],
    out: RawOperand<'_>,
    input: RawOperand<'_>,
    axes: &ReducedAxes,
    r: &R,
) {
    debug_assert_eq!(input.dtype, T::DTYPE);
    debug_assert_eq!(out.dtype, R::Out::DTYPE);
    let count = axes.count();
    // SAFETY: forwarded contract.
    unsafe {
        drive(outer_shape, [out, input], |p, s, n| {
            let (o, x) = (p[0] as *mut R::Out, p[1] as *const T);
            for i in 0..n as isize {
                let mut acc = r.init();
                for_each_chunk(x.offset(i * s[1]), axes, |xs, start| {
                    r.chunk(&mut acc, xs, start)
                });
                *o.offset(i * s[0]) = r.finish(acc, count);
            }
        })
    }
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
