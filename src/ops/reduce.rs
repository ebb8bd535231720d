//! Reductions: axis handling, result dtypes and layouts, dispatch.

use crate::array::Array;
use crate::cpu::reduce::{self as kern, ReduceElem, ReducedAxes, Reducer};
use crate::dtype::{DType, Element, Kind};
use crate::error::{Error, Result};
use crate::layout::order::{copy_layout, reduce_output_layout};
use crate::layout::{Layout, Order};

/// A reduction.
///
/// ```
/// assert_eq!(strider::ReduceOp::ArgMax.name(), "argmax");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    /// Sum (int64 for signed integers and bool, uint64 for unsigned).
    Sum,
    /// Product (same dtypes as sum).
    Prod,
    /// Arithmetic mean (float64 for integers and bool).
    Mean,
    /// Minimum; NaN propagates. Of equal values (+0.0 and -0.0 among
    /// them) the first in C order is the answer, on every device (NumPy
    /// answers either zero).
    Min,
    /// Maximum; NaN propagates; ties as for [`ReduceOp::Min`].
    Max,
    /// Index of the first minimum (int64).
    ArgMin,
    /// Index of the first maximum (int64).
    ArgMax,
    /// True when any element is nonzero.
    Any,
    /// True when every element is nonzero.
    All,
}

impl ReduceOp {
    /// Every reduction.
    pub const ALL: [ReduceOp; 9] = [
        ReduceOp::Sum,
        ReduceOp::Prod,
        ReduceOp::Mean,
        ReduceOp::Min,
        ReduceOp::Max,
        ReduceOp::ArgMin,
        ReduceOp::ArgMax,
        ReduceOp::Any,
        ReduceOp::All,
    ];

    /// NumPy's name.
    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Prod => "prod",
            ReduceOp::Mean => "mean",
            ReduceOp::Min => "min",
            ReduceOp::Max => "max",
            ReduceOp::ArgMin => "argmin",
            ReduceOp::ArgMax => "argmax",
            ReduceOp::Any => "any",
            ReduceOp::All => "all",
        }
    }

    /// The reduction with NumPy's name `name`.
    pub fn from_name(name: &str) -> Option<ReduceOp> {
        ReduceOp::ALL.into_iter().find(|op| op.name() == name)
    }

    /// The result dtype for an input of dtype `dt`.
    ///
    /// ```
    /// use strider::{DType, ReduceOp};
    /// assert_eq!(ReduceOp::Sum.result_dtype(DType::U8), DType::U64);
    /// assert_eq!(ReduceOp::Mean.result_dtype(DType::I32), DType::F64);
    /// assert_eq!(ReduceOp::Sum.result_dtype(DType::F16), DType::F16);
    /// ```
    pub fn result_dtype(self, dt: DType) -> DType {
        match self {
            ReduceOp::Sum | ReduceOp::Prod => match dt.kind() {
                Kind::Bool | Kind::Int => DType::I64,
                Kind::UInt => DType::U64,
                Kind::Float => dt,
            },
            ReduceOp::Mean => {
                if dt.is_float() {
                    dt
                } else {
                    DType::F64
                }
            }
            ReduceOp::Min | ReduceOp::Max => dt,
            ReduceOp::ArgMin | ReduceOp::ArgMax => DType::I64,
            ReduceOp::Any | ReduceOp::All => DType::Bool,
        }
    }

    /// True for reductions without an identity (an empty reduction is an
    /// error).
    fn needs_elements(self) -> bool {
        matches!(
            self,
            ReduceOp::Min | ReduceOp::Max | ReduceOp::ArgMin | ReduceOp::ArgMax
        )
    }

    fn is_arg(self) -> bool {
        matches!(self, ReduceOp::ArgMin | ReduceOp::ArgMax)
    }
}

/// Which axes a reduction runs over.
///
/// A single axis ([`Axes::One`], NumPy's `axis=1`) and a list of one axis
/// ([`Axes::List`], NumPy's `axis=(1,)`) differ in one place, as in NumPy:
/// on a 0-d array, `sum`, `prod`, `min`, `max`, `argmin`, `argmax`, `any`
/// and `all` accept the single axis 0 or -1 and reduce nothing, while a
/// list must name real axes. `argmin` and `argmax` take no list at all,
/// as NumPy's refuse a tuple.
///
/// ```
/// use strider::Axes;
/// assert_eq!(Axes::from(1), Axes::One(1));
/// assert_eq!(Axes::from([0, -1]), Axes::List(vec![0, -1]));
/// assert_eq!(Axes::from(None), Axes::All);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Axes {
    /// Every axis (NumPy's `axis=None`).
    All,
    /// One axis given on its own (NumPy's `axis=k`; negative counts from
    /// the end).
    One(isize),
    /// These axes (negative counts from the end); empty reduces nothing.
    List(Vec<isize>),
}

impl From<isize> for Axes {
    fn from(a: isize) -> Axes {
        Axes::One(a)
    }
}
impl From<i32> for Axes {
    fn from(a: i32) -> Axes {
        Axes::One(a as isize)
    }
}
/// An axis count such as `x.ndim() - 1`.
///
/// ```
/// let x = strider::Array::ones(&[2, 3], strider::DType::F32)?;
/// assert_eq!(x.sum(x.ndim() - 1)?.shape(), &[2]);
/// # Ok::<(), strider::Error>(())
/// ```
impl From<usize> for Axes {
    fn from(a: usize) -> Axes {
        Axes::One(a as isize)
    }
}
impl From<Option<isize>> for Axes {
    fn from(a: Option<isize>) -> Axes {
        a.map_or(Axes::All, Axes::One)
    }
}
impl From<&[isize]> for Axes {
    fn from(a: &[isize]) -> Axes {
        Axes::List(a.to_vec())
    }
}
impl From<Vec<isize>> for Axes {
    fn from(a: Vec<isize>) -> Axes {
        Axes::List(a)
    }
}
impl<const N: usize> From<[isize; N]> for Axes {
    fn from(a: [isize; N]) -> Axes {
        Axes::List(a.to_vec())
    }
}

impl Array {
    /// Reduces over `axes` with `op`, keeping the reduced axes as length 1
    /// when `keepdims`. Result dtypes follow NumPy; the result layout
    /// follows NumPy's (the input's memory order for all but argmin/argmax,
    /// which are C-ordered).
    ///
    /// # Errors
    /// An axis out of range or repeated; several axes for argmin/argmax;
    /// `min`, `max`, `argmin` or `argmax` over zero elements.
    ///
    /// ```
    /// use strider::{Array, ReduceOp};
    /// let a = Array::arange_i64(0, 6, 1).unwrap().reshape(&[2, 3]).unwrap();
    /// let s = a.reduce(ReduceOp::Sum, 1, true).unwrap();
    /// assert_eq!(s.shape(), &[2, 1]);
    /// assert_eq!(s.to_vec::<i64>().unwrap(), vec![3, 12]);
    /// ```
    pub fn reduce(&self, op: ReduceOp, axes: impl Into<Axes>, keepdims: bool) -> Result<Array> {
        let name = op.name();
        let plan = ReducePlan::new(op, self.layout(), self.dtype(), axes.into(), keepdims)?;
        let out = self.alloc_like(name, plan.out_layout.clone(), op.result_dtype(self.dtype()))?;
        let out_strides = plan.out_strides(out.layout());
        #[cfg(feature = "gpu")]
        if self.gpu_buffer().is_some() {
            crate::ops::gpu::reduce(
                op,
                self,
                &plan.kept_shape,
                &plan.in_kept,
                &plan.red_shape,
                &plan.red_strides,
                &out,
                &out_strides,
            )?;
            return Ok(out);
        }
        out.with_locks(name, &[self], |locks| {
            let o = out.raw(locks, &out_strides);
            let x = self.raw(locks, &plan.in_kept);
            crate::dispatch_dtype!(self.dtype(), T => {
                // SAFETY: the input's offset lies in its buffer; the locks
                // are held and the layouts come from the layout module.
                let src = kern::Memory(unsafe { (x.ptr as *const T).add(x.offset) });
                plan.run::<T, _>(o, &src)
            })
        })?;
        Ok(out)
    }
}

/// A reduction's shapes and strides, worked out from the input's layout:
/// the same for the eager reduction and for a fused one
/// ([`crate::expr`]), which walks an expression's result as if it were an
/// array of that layout (so both add in the same order).
pub(crate) struct ReducePlan {
    op: ReduceOp,
    /// The kept input axes' lengths, in input order.
    pub(crate) kept_shape: Vec<usize>,
    /// The result's layout.
    pub(crate) out_layout: Layout,
    /// The input's strides over the kept axes.
    pub(crate) in_kept: Vec<isize>,
    /// The reduced axes' lengths and input strides, in input order.
    pub(crate) red_shape: Vec<usize>,
    pub(crate) red_strides: Vec<isize>,
    reduced: Vec<bool>,
    keepdims: bool,
}

impl ReducePlan {
    /// The plan of `op` over `axes` of an input with `layout` and `dtype`.
    ///
    /// # Errors
    /// As [`Array::reduce`].
    pub(crate) fn new(
        op: ReduceOp,
        layout: &Layout,
        dtype: DType,
        axes: Axes,
        keepdims: bool,
    ) -> Result<ReducePlan> {
        let name = op.name();
        let (shape, ndim) = (layout.shape(), layout.ndim());
        let axes: Vec<usize> = match axes {
            Axes::All => (0..ndim).collect(),
            // NumPy's reductions take the single axis 0 or -1 of a 0-d array
            // and reduce nothing; `mean` checks the axis first and refuses.
            Axes::One(0 | -1) if ndim == 0 && op != ReduceOp::Mean => Vec::new(),
            Axes::One(axis) => vec![Layout::normalize_axis(name, axis, ndim)?],
            Axes::List(list) => {
                // NumPy's argmin/argmax take an int or None, not a tuple,
                // even of one axis (its TypeError).
                if op.is_arg() {
                    return Err(Error::Axis {
                        op: name,
                        axis: list.first().copied().unwrap_or(0),
                        ndim,
                        reason: format!(
                            "{name} takes a single axis or None, not a list of {} axes",
                            list.len()
                        ),
                    });
                }
                let mut v = Layout::normalize_axes(name, &list, ndim)?;
                v.sort_unstable();
                v
            }
        };
        let reduced: Vec<bool> = (0..ndim).map(|d| axes.contains(&d)).collect();
        let count: usize = axes.iter().map(|&d| shape[d]).product();
        // As NumPy: any reduced axis of length 0 leaves nothing to take the
        // first element from, even when the result itself is empty.
        if op.needs_elements() && count == 0 {
            return Err(Error::EmptyReduction {
                op: name,
                shape: shape.to_vec(),
            });
        }
        let kept = |v: &[isize]| -> Vec<isize> {
            (0..ndim).filter(|&d| !reduced[d]).map(|d| v[d]).collect()
        };
        let out_shape: Vec<usize> = (0..ndim)
            .filter(|&d| keepdims || !reduced[d])
            .map(|d| if reduced[d] { 1 } else { shape[d] })
            .collect();
        let out_layout = if op.is_arg() {
            Layout::contiguous(name, &out_shape, Order::C)?
        } else if op == ReduceOp::Mean && dtype == DType::F16 {
            // NumPy sums float16 in float32 and returns a float16 copy of
            // that sum (order K), which can restride length-1 axes.
            copy_layout(&reduce_output_layout(layout, &axes, keepdims), Order::K)
        } else {
            reduce_output_layout(layout, &axes, keepdims)
        };
        Ok(ReducePlan {
            op,
            kept_shape: (0..ndim)
                .filter(|&d| !reduced[d])
                .map(|d| shape[d])
                .collect(),
            out_layout,
            in_kept: kept(layout.strides()),
            red_shape: axes.iter().map(|&d| shape[d]).collect(),
            red_strides: axes.iter().map(|&d| layout.strides()[d]).collect(),
            reduced,
            keepdims,
        })
    }

    /// The result's strides over the kept input axes, in input order.
    pub(crate) fn out_strides(&self, out: &Layout) -> Vec<isize> {
        if self.keepdims {
            (0..self.reduced.len())
                .filter(|&d| !self.reduced[d])
                .map(|d| out.strides()[d])
                .collect()
        } else {
            out.strides().to_vec()
        }
    }

    /// Runs the reduction on the CPU, reading the input's elements from
    /// `src` into the result `o` (strides from [`ReducePlan::out_strides`]).
    pub(crate) fn run<T: ReduceElem, S: kern::Source<T>>(
        &self,
        o: crate::cpu::RawOperand<'_>,
        src: &S,
    ) {
        fn go<T: Element, R: Reducer<T>, S: kern::Source<T>>(
            p: &ReducePlan,
            o: crate::cpu::RawOperand<'_>,
            src: &S,
            r: R,
        ) {
            let red = ReducedAxes::new(&p.red_shape, &p.red_strides);
            // SAFETY: the caller holds the locks; `o` is a new array of the
            // reducer's output dtype; `src` holds every element the input
            // layout reaches.
            unsafe { kern::reduce_from::<T, R, S>(&p.kept_shape, o, &p.in_kept, src, &red, &r) }
        }
        match self.op {
            ReduceOp::Sum => go::<T, _, S>(self, o, src, kern::Sum),
            ReduceOp::Prod => go::<T, _, S>(self, o, src, kern::Prod),
            ReduceOp::Mean => go::<T, _, S>(self, o, src, kern::Mean),
            ReduceOp::Min => go::<T, _, S>(self, o, src, kern::Extreme::<false>),
            ReduceOp::Max => go::<T, _, S>(self, o, src, kern::Extreme::<true>),
            ReduceOp::ArgMin => go::<T, _, S>(self, o, src, kern::ArgExtreme::<false>),
            ReduceOp::ArgMax => go::<T, _, S>(self, o, src, kern::ArgExtreme::<true>),
            ReduceOp::Any => go::<T, _, S>(self, o, src, kern::Truth::<false>),
            ReduceOp::All => go::<T, _, S>(self, o, src, kern::Truth::<true>),
        }
    }
}

macro_rules! reduce_methods {
    ($($method:ident, $all:ident, $keep:ident, $op:ident, $example:literal;)*) => {
        impl Array {
            $(
                #[doc = concat!("NumPy's `", stringify!($method), "` over `axes` (`Axes::All`, an axis, or a list), without keepdims; see [`Array::reduce`].")]
                ///
                /// # Errors
                /// As [`Array::reduce`].
                ///
                /// ```
                /// use strider::{Array, Axes};
                /// let a = Array::from_vec(vec![3i64, 1, 4, 1, 5, 9], &[2, 3]).unwrap();
                #[doc = $example]
                /// ```
                pub fn $method(&self, axes: impl Into<Axes>) -> Result<Array> {
                    self.reduce(ReduceOp::$op, axes, false)
                }

                #[doc = concat!("NumPy's `x.", stringify!($method), "()` over every axis, a 0-d array: `", stringify!($method), "(Axes::All)` without the import.")]
                ///
                /// # Errors
                /// As [`Array::reduce`].
                ///
                /// ```
                /// let a = strider::Array::from_vec(vec![3i64, 1, 4, 1, 5, 9], &[2, 3])?;
                #[doc = concat!("assert_eq!(a.", stringify!($all), "()?.shape(), &[] as &[usize]);")]
                /// # Ok::<(), strider::Error>(())
                /// ```
                pub fn $all(&self) -> Result<Array> {
                    self.reduce(ReduceOp::$op, Axes::All, false)
                }

                #[doc = concat!("NumPy's `", stringify!($method), "(axis, keepdims=True)`: the reduced axes stay as length 1.")]
                ///
                /// # Errors
                /// As [`Array::reduce`].
                ///
                /// ```
                /// use strider::Axes;
                /// let a = strider::Array::from_vec(vec![3i64, 1, 4, 1, 5, 9], &[2, 3])?;
                #[doc = concat!("assert_eq!(a.", stringify!($keep), "(1)?.shape(), &[2, 1]);")]
                #[doc = concat!("assert_eq!(a.", stringify!($keep), "(Axes::All)?.shape(), &[1, 1]);")]
                /// # Ok::<(), strider::Error>(())
                /// ```
                pub fn $keep(&self, axes: impl Into<Axes>) -> Result<Array> {
                    self.reduce(ReduceOp::$op, axes, true)
                }
            )*
        }
    };
}

reduce_methods! {
    sum, sum_all, sum_keepdims, Sum, "assert_eq!(a.sum(Axes::All).unwrap().item::<i64>().unwrap(), 23);";
    prod, prod_all, prod_keepdims, Prod, "assert_eq!(a.prod(1).unwrap().to_vec::<i64>().unwrap(), vec![12, 45]);";
    mean, mean_all, mean_keepdims, Mean, "assert_eq!(a.mean(0).unwrap().to_vec::<f64>().unwrap(), vec![2.0, 3.0, 6.5]);";
    min, min_all, min_keepdims, Min, "assert_eq!(a.min(Axes::All).unwrap().item::<i64>().unwrap(), 1);";
    max, max_all, max_keepdims, Max, "assert_eq!(a.max(1).unwrap().to_vec::<i64>().unwrap(), vec![4, 9]);";
    argmin, argmin_all, argmin_keepdims, ArgMin, "assert_eq!(a.argmin(Axes::All).unwrap().item::<i64>().unwrap(), 1);";
    argmax, argmax_all, argmax_keepdims, ArgMax, "assert_eq!(a.argmax(1).unwrap().to_vec::<i64>().unwrap(), vec![2, 2]);";
    any, any_all, any_keepdims, Any, "assert!(a.any(Axes::All).unwrap().item::<bool>().unwrap());";
    all, all_all, all_keepdims, All, "assert_eq!(a.greater(1).unwrap().all(1).unwrap().to_vec::<bool>().unwrap(), vec![false, false]);";
}
