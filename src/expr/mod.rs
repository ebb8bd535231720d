//! Fused expressions: a tree of elementwise ops over arrays and scalars,
//! evaluated in one pass, with an optional reduction at the root.
//!
//! An [`Expr`] is built with the same operators and methods as eager
//! arrays (`a.expr() * 2.0 + &b`), and each node gets its shape, dtype and
//! result layout from the same rules as the eager op (broadcasting, NumPy 2
//! promotion, weak scalars, FORMAT.md 6.6 layouts). Nothing runs until
//! [`Expr::eval`] or [`Expr::eval_into`]; a reduction at the root
//! ([`Expr::sum`], [`Expr::mean`], ... giving a [`Reduction`]) fuses
//! map-reduce, so `((a - b).square()).mean(Axes::All)` reads `a` and `b`
//! once and writes one number.
//!
//! Building never fails on the spot: an operator cannot return a
//! `Result`, so a node that the eager op would refuse carries the eager
//! op's error, and the first such error comes back from `eval` (or from
//! [`Expr::check`]). A chain of operators therefore needs one `?`.
//!
//! Exactness: every node rounds to its own dtype, with the eager kernels'
//! scalar functions, casts, infinities and signed zeros, so an expression
//! gives the bits the same ops give run one at a time (the property test
//! `tests/expr_props.rs` checks it on random trees). NaN stays NaN; which
//! NaN an op on two NaNs returns (sign, payload) is left open by Rust's
//! float semantics and may differ between the two, as between any two
//! builds of the same loop.
//!
//! Files: this one holds the tree and its type rules; `prepare.rs` does
//! first what one pass cannot do (for both backends); `cpu.rs` compiles a
//! tree to a register program and runs it over cache-sized blocks (and as
//! the input of a fused reduction); `gpu.rs` writes one WGSL kernel per
//! tree; `fuse.rs` is [`fuse`], a kernel traced from a closure with its
//! program cached. `eval_node` is the one place a backend is chosen.
//!
//! ```
//! use strider::{Array, Axes};
//! let a = Array::from_vec(vec![1.0f32, 2.0, 3.0], &[3])?;
//! let b = Array::from_vec(vec![0.5f32, 0.5, 0.5], &[3])?;
//! let r = (a.expr() * 2.0 + &b).eval()?;
//! assert_eq!(r.to_vec::<f32>()?, vec![2.5, 4.5, 6.5]);
//! let mse = (a.expr() - &b).square().mean(Axes::All).eval()?;
//! assert_eq!(mse.item::<f32>()?, (0.25 + 2.25 + 6.25) / 3.0);
//! # Ok::<(), strider::Error>(())
//! ```

pub(crate) mod cpu;
mod fuse;
#[cfg(feature = "gpu")]
mod gpu;
mod ops;
mod prepare;

pub use fuse::{fuse, Fused, FusedOutput};

use crate::array::Array;
use crate::device::Device;
use crate::dtype::{DType, Kind};
use crate::error::{Error, Result};
use crate::layout::order::{binary_output_layout, copy_layout, ufunc_output_layout};
use crate::layout::{broadcast_shapes, Layout, Order};
use crate::ops::{Axes, BinaryOp, ReduceOp, UnaryOp};
use crate::scalar::{int_fits, Scalar};
use std::sync::Arc;

/// One node of an expression tree.
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) kind: NodeKind,
    pub(crate) shape: Vec<usize>,
    pub(crate) dtype: DType,
    /// The layout the eager op would give this node's result.
    pub(crate) layout: Layout,
    /// The device of the node's array inputs; `None` when it has only
    /// scalars (they follow the arrays they meet).
    pub(crate) device: Option<Device>,
}

/// What a node computes.
#[derive(Debug)]
pub(crate) enum NodeKind {
    /// An array operand as it is (any strides, any dtype).
    Input(Array),
    /// A weak scalar already converted to the dtype the eager op converts
    /// it to (the 0-d array a kernel reads); the scalar itself fills a
    /// constant node that stands alone.
    Scalar(
        #[cfg_attr(not(feature = "gpu"), allow(dead_code))] Scalar,
        Array,
    ),
    /// A unary ufunc computing in `loop_dtype`.
    Unary {
        op: UnaryOp,
        loop_dtype: DType,
        x: Arc<Node>,
    },
    /// A binary ufunc computing in `loop_dtype`.
    Binary {
        op: BinaryOp,
        loop_dtype: DType,
        a: Arc<Node>,
        b: Arc<Node>,
    },
    /// `astype` to the node's dtype (NumPy's unsafe casting).
    Cast(Arc<Node>),
    /// `where(cond, x, y)` in the node's dtype.
    Where {
        cond: Arc<Node>,
        x: Arc<Node>,
        y: Arc<Node>,
    },
    /// `clip(x, lo, hi)` in the node's dtype.
    Clip {
        x: Arc<Node>,
        lo: Arc<Node>,
        hi: Arc<Node>,
    },
    /// A comparison of int64 with uint64, which NumPy 2 answers exactly
    /// (three eager kernels, run before the fused pass).
    MixedCompare {
        op: BinaryOp,
        a: Arc<Node>,
        b: Arc<Node>,
    },
}

impl Node {
    fn new(kind: NodeKind, shape: Vec<usize>, dtype: DType, layout: Layout) -> Result<Arc<Node>> {
        let device = kind.common_device()?;
        Ok(Arc::new(Node {
            kind,
            shape,
            dtype,
            layout,
            device,
        }))
    }

    /// The node's children, in operand order.
    pub(crate) fn children(&self) -> Vec<&Arc<Node>> {
        match &self.kind {
            NodeKind::Input(_) | NodeKind::Scalar(..) => Vec::new(),
            NodeKind::Unary { x, .. } | NodeKind::Cast(x) => vec![x],
            NodeKind::Binary { a, b, .. } | NodeKind::MixedCompare { a, b, .. } => vec![a, b],
            NodeKind::Where { cond, x, y } => vec![cond, x, y],
            NodeKind::Clip { x, lo, hi } => vec![x, lo, hi],
        }
    }

    fn input(a: &Array) -> Arc<Node> {
        Arc::new(Node {
            kind: NodeKind::Input(a.clone()),
            shape: a.shape().to_vec(),
            dtype: a.dtype(),
            layout: a.layout().clone(),
            device: Some(a.device()),
        })
    }

    /// A weak scalar as a node of dtype `dt` (checked to fit it).
    fn scalar(op: &'static str, s: Scalar, dt: DType) -> Result<Arc<Node>> {
        s.check_fits(op, dt)?;
        let arr = crate::dispatch_dtype!(dt, T => Array::scalar(s.to::<T>()));
        let layout = arr.layout().clone();
        Ok(Arc::new(Node {
            kind: NodeKind::Scalar(s, arr),
            shape: Vec::new(),
            dtype: dt,
            layout,
            device: None,
        }))
    }

    /// The value `s` in `dtype` over `shape` (a node the eager op fills),
    /// on `device`.
    fn constant(
        s: Scalar,
        dtype: DType,
        shape: &[usize],
        layout: Layout,
        device: Option<Device>,
    ) -> Arc<Node> {
        let arr = crate::dispatch_dtype!(dtype, T => Array::scalar(s.to::<T>()));
        Arc::new(Node {
            kind: NodeKind::Scalar(s, arr),
            shape: shape.to_vec(),
            dtype,
            layout,
            device,
        })
    }
}

impl NodeKind {
    fn common_device(&self) -> Result<Option<Device>> {
        let (op, kids): (&'static str, Vec<&Arc<Node>>) = match self {
            NodeKind::Input(a) => return Ok(Some(a.device())),
            NodeKind::Scalar(..) => return Ok(None),
            NodeKind::Unary { op, x, .. } => (op.name(), vec![x]),
            NodeKind::Cast(x) => ("astype", vec![x]),
            NodeKind::Binary { op, a, b, .. } | NodeKind::MixedCompare { op, a, b } => {
                (op.name(), vec![a, b])
            }
            NodeKind::Where { cond, x, y } => ("where", vec![cond, x, y]),
            NodeKind::Clip { x, lo, hi } => ("clip", vec![x, lo, hi]),
        };
        let devices: Vec<Device> = kids.iter().filter_map(|k| k.device.clone()).collect();
        if devices.is_empty() {
            return Ok(None);
        }
        Device::common(op, &devices).map(Some)
    }
}

/// An operand of an expression builder: an expression, an array, or a
/// weak scalar (a Python number: its dtype follows the array it meets).
///
/// ```
/// use strider::{Array, ExprArg};
/// let a = Array::zeros(&[2], strider::DType::F32)?;
/// assert!(matches!(ExprArg::from(&a), ExprArg::Expr(_)));
/// assert!(matches!(ExprArg::from(2.5), ExprArg::Scalar(_)));
/// # Ok::<(), strider::Error>(())
/// ```
#[derive(Clone, Debug)]
pub enum ExprArg {
    /// An expression (an array becomes an input node).
    Expr(Expr),
    /// A weak scalar.
    Scalar(Scalar),
}

impl From<Expr> for ExprArg {
    fn from(e: Expr) -> ExprArg {
        ExprArg::Expr(e)
    }
}
impl From<&Expr> for ExprArg {
    fn from(e: &Expr) -> ExprArg {
        ExprArg::Expr(e.clone())
    }
}
impl From<&Array> for ExprArg {
    fn from(a: &Array) -> ExprArg {
        ExprArg::Expr(a.expr())
    }
}
/// An eager op's result, so that `x.expr() * 3 + &y * 7` (where `&y * 7`
/// runs eagerly) builds as written; its error, if any, is the expression's.
impl From<Result<Array>> for ExprArg {
    fn from(r: Result<Array>) -> ExprArg {
        ExprArg::Expr(Expr::from_node(r.map(|a| Node::input(&a))))
    }
}
impl From<Array> for ExprArg {
    fn from(a: Array) -> ExprArg {
        ExprArg::Expr(a.expr())
    }
}
impl From<Scalar> for ExprArg {
    fn from(s: Scalar) -> ExprArg {
        ExprArg::Scalar(s)
    }
}
macro_rules! arg_from_scalar {
    ($($t:ty),*) => {$(
        impl From<$t> for ExprArg {
            fn from(v: $t) -> ExprArg {
                ExprArg::Scalar(Scalar::from(v))
            }
        }
    )*};
}
arg_from_scalar!(
    bool,
    i8,
    i16,
    i32,
    i64,
    isize,
    u8,
    u16,
    u32,
    u64,
    usize,
    f32,
    f64,
    half::f16,
    half::bf16
);

/// A lazily evaluated elementwise expression over arrays and scalars (see
/// the [module docs](crate::expr)). Cloning is cheap (the tree is shared).
///
/// ```
/// use strider::Array;
/// let x = Array::from_vec(vec![10u8, 20, 30], &[3])?;
/// let e = (x.expr() * 3 + 7) % 100;
/// assert_eq!(e.dtype()?, strider::DType::U8);
/// assert_eq!(e.eval()?.to_vec::<u8>()?, vec![37, 67, 97]);
/// # Ok::<(), strider::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Expr {
    pub(crate) node: std::result::Result<Arc<Node>, Error>,
}

impl Array {
    /// This array as the input of an expression (no copy; the array is
    /// read when the expression is evaluated).
    ///
    /// ```
    /// let a = strider::Array::from_vec(vec![1.0f64, 2.0], &[2])?;
    /// assert_eq!(a.expr().exp().eval()?.to_vec::<f64>()?, vec![1f64.exp(), 2f64.exp()]);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn expr(&self) -> Expr {
        Expr {
            node: Ok(Node::input(self)),
        }
    }
}

impl From<&Array> for Expr {
    fn from(a: &Array) -> Expr {
        a.expr()
    }
}

impl Expr {
    fn from_node(node: Result<Arc<Node>>) -> Expr {
        Expr { node }
    }

    pub(crate) fn root(&self) -> Result<&Arc<Node>> {
        self.node.as_ref().map_err(Clone::clone)
    }

    /// Fails with the first error met while building (the error the eager
    /// op would have raised), otherwise `Ok`.
    ///
    /// ```
    /// use strider::{Array, DType};
    /// let a = Array::zeros(&[2], DType::F32)?;
    /// let b = Array::zeros(&[3], DType::F32)?;
    /// assert!((a.expr() + &b).check().is_err());
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn check(&self) -> Result<()> {
        self.root().map(|_| ())
    }

    /// The result shape.
    ///
    /// # Errors
    /// The build error, if any (see [`Expr::check`]).
    ///
    /// ```
    /// use strider::{Array, DType};
    /// let a = Array::zeros(&[2, 1], DType::F32)?;
    /// let b = Array::zeros(&[3], DType::F32)?;
    /// assert_eq!((a.expr() + &b).shape()?, vec![2, 3]);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn shape(&self) -> Result<Vec<usize>> {
        Ok(self.root()?.shape.clone())
    }

    /// The result dtype.
    ///
    /// # Errors
    /// The build error, if any.
    ///
    /// ```
    /// use strider::{Array, DType};
    /// let a = Array::zeros(&[2], DType::I32)?;
    /// assert_eq!((a.expr() / 2).dtype()?, DType::F64);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn dtype(&self) -> Result<DType> {
        Ok(self.root()?.dtype)
    }

    /// The number of nodes in the tree, shared subtrees counted once.
    ///
    /// ```
    /// let a = strider::Array::zeros(&[2], strider::DType::F32)?;
    /// let x = a.expr();
    /// assert_eq!((&x * &x + 1.0).node_count()?, 4); // a, x*x, 1.0, +
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn node_count(&self) -> Result<usize> {
        let mut seen = std::collections::HashSet::new();
        fn walk(n: &Arc<Node>, seen: &mut std::collections::HashSet<*const Node>) {
            if seen.insert(Arc::as_ptr(n)) {
                for c in n.children() {
                    walk(c, seen);
                }
            }
        }
        walk(self.root()?, &mut seen);
        Ok(seen.len())
    }

    /// Applies a unary ufunc.
    ///
    /// ```
    /// use strider::{Array, UnaryOp};
    /// let a = Array::from_vec(vec![4u8, 9], &[2])?;
    /// let r = a.expr().unary(UnaryOp::Sqrt).eval()?; // uint8 computes in float16
    /// assert_eq!(r.dtype(), strider::DType::F16);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn unary(&self, op: UnaryOp) -> Expr {
        Expr::from_node(self.root().and_then(|x| build_unary(op, x)))
    }

    /// Applies a binary ufunc with `other` (an expression, an array or a
    /// weak scalar) on the right.
    ///
    /// ```
    /// use strider::{Array, BinaryOp};
    /// let a = Array::from_vec(vec![7i64, -7], &[2])?;
    /// let r = a.expr().binary(BinaryOp::FloorDivide, 2).eval()?;
    /// assert_eq!(r.to_vec::<i64>()?, vec![3, -4]);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn binary(&self, op: BinaryOp, other: impl Into<ExprArg>) -> Expr {
        binary_args(op, ExprArg::Expr(self.clone()), other.into())
    }

    /// `op(x, y)` for any two operands, a weak scalar on either side
    /// (`2 - x`); at least one must be an expression or an array.
    ///
    /// ```
    /// use strider::{Array, BinaryOp, Expr};
    /// let a = Array::from_vec(vec![1.0f32, 4.0], &[2])?;
    /// let r = Expr::binary_op(BinaryOp::Subtract, 10, &a).eval()?;
    /// assert_eq!(r.to_vec::<f32>()?, vec![9.0, 6.0]);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn binary_op(op: BinaryOp, x: impl Into<ExprArg>, y: impl Into<ExprArg>) -> Expr {
        binary_args(op, x.into(), y.into())
    }

    /// NumPy's `astype(dtype)` (unsafe casting), as a node.
    ///
    /// ```
    /// use strider::{Array, DType};
    /// let a = Array::from_vec(vec![300.7f64, -1.5], &[2])?;
    /// assert_eq!(a.expr().astype(DType::I16).eval()?.to_vec::<i16>()?, vec![300, -1]);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn astype(&self, dtype: DType) -> Expr {
        Expr::from_node(self.root().and_then(|x| {
            let layout = copy_layout(&x.layout, Order::K);
            Node::new(NodeKind::Cast(x.clone()), x.shape.clone(), dtype, layout)
        }))
    }

    /// NumPy's `clip(x, lo, hi)`, as [`Array::clip`].
    ///
    /// ```
    /// let a = strider::Array::from_vec(vec![-5i32, 5, 50], &[3])?;
    /// assert_eq!(a.expr().clip(0, 10).eval()?.to_vec::<i32>()?, vec![0, 5, 10]);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn clip(&self, lo: impl Into<ExprArg>, hi: impl Into<ExprArg>) -> Expr {
        Expr::from_node(build_clip(
            ExprArg::Expr(self.clone()),
            lo.into(),
            hi.into(),
        ))
    }

    /// NumPy's `where(self, x, y)`: `x` where this expression is nonzero,
    /// else `y`, as [`where_`](crate::where_).
    ///
    /// ```
    /// let a = strider::Array::from_vec(vec![1.0f32, -2.0, 3.0], &[3])?;
    /// let r = a.expr().greater(0).select(&a, 0.0).eval()?;
    /// assert_eq!(r.to_vec::<f32>()?, vec![1.0, 0.0, 3.0]);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn select(&self, x: impl Into<ExprArg>, y: impl Into<ExprArg>) -> Expr {
        Expr::from_node(build_where(self, x.into(), y.into()))
    }

    /// `self ** exponent`, with NumPy's fast forms for a scalar exponent
    /// on a float array (2 squares, 0.5 is `sqrt`, -1 divides, 1 copies,
    /// 0 gives ones; see [`Array::power`]).
    ///
    /// ```
    /// let a = strider::Array::from_vec(vec![1.5f64, -2.0], &[2])?;
    /// assert_eq!(a.expr().power(2).eval()?.to_vec::<f64>()?, vec![2.25, 4.0]);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn power(&self, exponent: impl Into<ExprArg>) -> Expr {
        self.binary(BinaryOp::Power, exponent)
    }

    /// `self * self` (NumPy's `square`).
    ///
    /// ```
    /// let a = strider::Array::from_vec(vec![3i32, -4], &[2])?;
    /// assert_eq!(a.expr().square().eval()?.to_vec::<i32>()?, vec![9, 16]);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn square(&self) -> Expr {
        self.binary(BinaryOp::Multiply, self)
    }

    /// A reduction of this expression over `axes`, keeping the reduced axes
    /// as length 1 when `keepdims`: evaluated in one fused pass.
    ///
    /// ```
    /// use strider::{Array, ReduceOp};
    /// let a = Array::from_vec(vec![1.0f64, -2.0, 3.0, -4.0], &[2, 2])?;
    /// let r = a.expr().abs().reduce(ReduceOp::Max, 1, true).eval()?;
    /// assert_eq!(r.to_vec::<f64>()?, vec![2.0, 4.0]);
    /// assert_eq!(r.shape(), &[2, 1]);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn reduce(&self, op: ReduceOp, axes: impl Into<Axes>, keepdims: bool) -> Reduction {
        Reduction {
            expr: self.clone(),
            op,
            axes: axes.into(),
            keepdims,
        }
    }

    /// Evaluates the expression into new memory, laid out as the eager ops
    /// would lay it out, in one pass over the inputs: on the CPU one walk
    /// over cache-sized blocks, on a GPU one generated kernel.
    ///
    /// # Errors
    /// The build error, if any; an integer power with a negative exponent;
    /// an allocation failure.
    ///
    /// ```
    /// use strider::Array;
    /// let a = Array::arange_i64(0, 6, 1)?.reshape(&[2, 3])?;
    /// let r = (a.t().expr() * 10 - 1).eval()?;
    /// assert_eq!(r.shape(), &[3, 2]);
    /// assert_eq!(r.to_vec::<i64>()?, vec![-1, 29, 9, 39, 19, 49]);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn eval(&self) -> Result<Array> {
        eval_node(self.root()?)
    }

    /// Evaluates into `out` (NumPy's `out=`): the result broadcasts to
    /// `out`'s shape and casts to its dtype under `same_kind`. An input
    /// that overlaps `out` other than element for element is read as if
    /// copied first (a recorded implicit copy); `a = a * 2 + b` in place
    /// needs none.
    ///
    /// # Errors
    /// As [`Expr::eval`]; a result that does not broadcast to `out` or cast
    /// to its dtype; a read-only `out`; `out` on another device.
    ///
    /// ```
    /// use strider::{s, Array, DType};
    /// let u = Array::zeros(&[4, 4], DType::F32)?;
    /// let inner = u.slice(s![1..-1, 1..-1])?;
    /// (inner.expr() + 1.0).eval_into(&inner)?;
    /// assert_eq!(u.sum_all()?.item::<f32>()?, 4.0);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn eval_into(&self, out: &Array) -> Result<()> {
        let root = self.root()?;
        let devices: Vec<Device> = root.device.iter().cloned().chain([out.device()]).collect();
        Device::common("eval_into", &devices)?;
        match &root.device {
            #[cfg(feature = "gpu")]
            Some(Device::Gpu(_)) => gpu::eval_into(root, out),
            _ => cpu::eval_into(root, out),
        }
    }
}

/// Evaluates a tree on its device: the one place where expressions choose
/// a backend (the CPU's blocked pass, the GPU's generated kernel).
pub(crate) fn eval_node(root: &Arc<Node>) -> Result<Array> {
    match &root.device {
        #[cfg(feature = "gpu")]
        Some(Device::Gpu(_)) => gpu::eval(root),
        _ => cpu::eval(root),
    }
}

/// A reduction over an expression ([`Expr::reduce`], [`Expr::sum`], ...),
/// evaluated as one fused map-reduce pass: the expression's elements are
/// made a block at a time and fed to the reduction, so no temporary the
/// size of the input exists.
///
/// ```
/// use strider::{Array, Axes};
/// let a = Array::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2])?;
/// let row_sums = a.expr().exp().log().sum(1).eval()?;
/// assert_eq!(row_sums.to_vec::<f32>()?, vec![3.0, 7.0]);
/// # Ok::<(), strider::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Reduction {
    pub(crate) expr: Expr,
    pub(crate) op: ReduceOp,
    pub(crate) axes: Axes,
    pub(crate) keepdims: bool,
}

impl Reduction {
    /// Evaluates the reduction: the same result (shape, dtype, layout and
    /// bits) as evaluating the expression and reducing it eagerly.
    ///
    /// # Errors
    /// The expression's errors, then the reduction's (an axis out of range,
    /// `min` of nothing, ...).
    ///
    /// ```
    /// use strider::{Array, Axes};
    /// let a = Array::from_vec(vec![3i64, -1, 4], &[3])?;
    /// assert_eq!(a.expr().abs().argmin(Axes::All).eval()?.item::<i64>()?, 1);
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn eval(&self) -> Result<Array> {
        let root = self.expr.root()?;
        match &root.device {
            #[cfg(feature = "gpu")]
            Some(Device::Gpu(_)) => {
                gpu::eval_reduction(root, self.op, self.axes.clone(), self.keepdims)
            }
            _ => cpu::eval_reduction(root, self.op, self.axes.clone(), self.keepdims),
        }
    }
}

/// `op(x, y)` over two builder operands: the eager op's special cases
/// first (logical ops read a scalar's truth, an integer array against a
/// Python int outside its dtype compares by value, int64 against uint64
/// compares exactly, `x ** 0.5` is `sqrt`), then NEP 50 typing.
pub(crate) fn binary_args(op: BinaryOp, x: ExprArg, y: ExprArg) -> Expr {
    Expr::from_node(build_binary(op, x, y))
}

fn arg_node(a: &ExprArg) -> Option<Result<&Arc<Node>>> {
    match a {
        ExprArg::Expr(e) => Some(e.root()),
        ExprArg::Scalar(_) => None,
    }
}

fn truth(op: BinaryOp, a: ExprArg) -> ExprArg {
    match (op, a) {
        (BinaryOp::LogicalAnd | BinaryOp::LogicalOr | BinaryOp::LogicalXor, ExprArg::Scalar(s)) => {
            ExprArg::Scalar(Scalar::Bool(match s {
                Scalar::Bool(b) => b,
                Scalar::Int(v) => v != 0,
                Scalar::Float(f) => f != 0.0,
            }))
        }
        (_, a) => a,
    }
}

fn build_binary(op: BinaryOp, x: ExprArg, y: ExprArg) -> Result<Arc<Node>> {
    let name = op.name();
    let (x, y) = (truth(op, x), truth(op, y));
    let (xn, yn) = (arg_node(&x).transpose()?, arg_node(&y).transpose()?);
    // The dtypes type resolution sees (a weak scalar's against the array).
    let (xd, yd) = match (&x, &y, xn, yn) {
        (_, _, Some(a), Some(b)) => (a.dtype, b.dtype),
        (_, ExprArg::Scalar(s), Some(a), None) => (a.dtype, s.weak_type(a.dtype)),
        (ExprArg::Scalar(s), _, None, Some(b)) => (s.weak_type(b.dtype), b.dtype),
        _ => {
            return Err(Error::Value {
                op: name,
                reason: "an expression needs at least one array operand".into(),
            })
        }
    };
    if let Some(node) = out_of_range_comparison(op, &x, &y, xn, yn)? {
        return Ok(node);
    }
    let (loop_dtype, out_dtype) = op.types(xd, yd)?;
    let resolve = |a: &ExprArg, n: Option<&Arc<Node>>| -> Result<Arc<Node>> {
        match (a, n) {
            (_, Some(n)) => Ok(n.clone()),
            (ExprArg::Scalar(s), None) => Node::scalar(name, *s, loop_dtype),
            (ExprArg::Expr(_), None) => unreachable!("an expression argument has a node"),
        }
    };
    let (a, b) = (resolve(&x, xn)?, resolve(&y, yn)?);
    let shape = broadcast_shapes(name, &[&a.shape, &b.shape])?;
    if op == BinaryOp::Power && loop_dtype.kind() == Kind::Int {
        if let ExprArg::Scalar(Scalar::Int(e)) = y {
            if e < 0 {
                return Err(Error::Value {
                    op: "power",
                    reason: "Integers to negative integer powers are not allowed.".into(),
                });
            }
        }
    }
    if let Some(node) = fast_power(op, &a, &y, loop_dtype, &shape)? {
        return Ok(node);
    }
    if matches!(
        (a.dtype, b.dtype),
        (DType::I64, DType::U64) | (DType::U64, DType::I64)
    ) && is_comparison(op)
    {
        let layout = mixed_compare_layout(&shape, &a, &b);
        return Node::new(
            NodeKind::MixedCompare { op, a, b },
            shape,
            DType::Bool,
            layout,
        );
    }
    let layout = ufunc_output_layout(
        &shape,
        &[&a.layout, &b.layout],
        &[a.dtype != loop_dtype, b.dtype != loop_dtype],
    );
    Node::new(
        NodeKind::Binary {
            op,
            loop_dtype,
            a,
            b,
        },
        shape,
        out_dtype,
        layout,
    )
}

fn is_comparison(op: BinaryOp) -> bool {
    use BinaryOp::*;
    matches!(
        op,
        Equal | NotEqual | Less | LessEqual | Greater | GreaterEqual
    )
}

/// The layout of the eager int64/uint64 comparison's result: the
/// `logical_or`/`logical_and` of the wrapped comparison and the sign test.
fn mixed_compare_layout(shape: &[usize], a: &Node, b: &Node) -> Layout {
    let signed_left = a.dtype == DType::I64;
    let wrapped = ufunc_output_layout(shape, &[&a.layout, &b.layout], &[signed_left, !signed_left]);
    let s = if signed_left { a } else { b };
    let negative = ufunc_output_layout(&s.shape, &[&s.layout], &[false]);
    ufunc_output_layout(shape, &[&wrapped, &negative], &[false, false])
}

/// NumPy 2 compares an integer array with a Python int outside its dtype
/// by value: one bool answers every element (as the eager op).
fn out_of_range_comparison(
    op: BinaryOp,
    x: &ExprArg,
    y: &ExprArg,
    xn: Option<&Arc<Node>>,
    yn: Option<&Arc<Node>>,
) -> Result<Option<Arc<Node>>> {
    use std::cmp::Ordering::{Greater, Less};
    let (arr, v, scalar_first) = match (x, y, xn, yn) {
        (_, ExprArg::Scalar(Scalar::Int(v)), Some(a), None) => (a, *v, false),
        (ExprArg::Scalar(Scalar::Int(v)), _, None, Some(a)) => (a, *v, true),
        _ => return Ok(None),
    };
    if !arr.dtype.is_integer() || int_fits(v, arr.dtype) {
        return Ok(None);
    }
    let left_vs_right = match (v > 0, scalar_first) {
        (true, false) | (false, true) => Less,
        _ => Greater,
    };
    let answer = match op {
        BinaryOp::Less | BinaryOp::LessEqual => left_vs_right == Less,
        BinaryOp::Greater | BinaryOp::GreaterEqual => left_vs_right == Greater,
        BinaryOp::Equal => false,
        BinaryOp::NotEqual => true,
        _ => return Ok(None),
    };
    // The answer over the array's shape, laid out as the eager op lays out
    // its filled result; it follows the array's device.
    let layout = ufunc_output_layout(&arr.shape, &[&arr.layout], &[false]);
    Ok(Some(Node::constant(
        Scalar::Bool(answer),
        DType::Bool,
        &arr.shape,
        layout,
        arr.device.clone(),
    )))
}

/// NumPy's fast scalar powers on a float array whose dtype is the loop
/// dtype (float32 and float64; float16 and bfloat16 take `pow`, as NumPy's
/// loops for them do): `x ** 0.5` is `sqrt` (so `(-0.0) ** 0.5` is -0.0),
/// `x ** 2` is `x * x`, `x ** -1` is `1 / x`, `x ** 1` a copy and
/// `x ** 0` ones. Each is the correctly rounded `pow` result, which the
/// eager op gives the same way ([`Array::power`]).
fn fast_power(
    op: BinaryOp,
    a: &Arc<Node>,
    y: &ExprArg,
    loop_dtype: DType,
    shape: &[usize],
) -> Result<Option<Arc<Node>>> {
    let ExprArg::Scalar(s) = y else {
        return Ok(None);
    };
    let e = match (op, s) {
        (BinaryOp::Power, Scalar::Float(e)) => *e,
        (BinaryOp::Power, Scalar::Int(e)) => *e as f64,
        _ => return Ok(None),
    };
    if !matches!(loop_dtype, DType::F32 | DType::F64) || a.dtype != loop_dtype {
        return Ok(None);
    }
    let node = if e == 0.5 {
        build_unary(UnaryOp::Sqrt, a)?
    } else if e == 2.0 {
        build_binary(
            BinaryOp::Multiply,
            ExprArg::Expr(Expr::from_node(Ok(a.clone()))),
            ExprArg::Expr(Expr::from_node(Ok(a.clone()))),
        )?
    } else if e == -1.0 {
        let one = Node::scalar("power", Scalar::Float(1.0), loop_dtype)?;
        build_binary(
            BinaryOp::Divide,
            ExprArg::Expr(Expr::from_node(Ok(one))),
            ExprArg::Expr(Expr::from_node(Ok(a.clone()))),
        )?
    } else if e == 1.0 {
        let layout = ufunc_output_layout(shape, &[&a.layout], &[false]);
        Node::new(
            NodeKind::Cast(a.clone()),
            shape.to_vec(),
            loop_dtype,
            layout,
        )?
    } else if e == 0.0 {
        // `x ** 0` is 1 everywhere, NaN included: a constant, x unread.
        let layout = ufunc_output_layout(shape, &[&a.layout], &[false]);
        Node::constant(
            Scalar::Float(1.0),
            loop_dtype,
            shape,
            layout,
            a.device.clone(),
        )
    } else {
        return Ok(None);
    };
    Ok(Some(node))
}

pub(crate) fn build_unary(op: UnaryOp, x: &Arc<Node>) -> Result<Arc<Node>> {
    let (loop_dtype, out_dtype) = op.types(x.dtype)?;
    let layout = ufunc_output_layout(&x.shape, &[&x.layout], &[x.dtype != loop_dtype]);
    Node::new(
        NodeKind::Unary {
            op,
            loop_dtype,
            x: x.clone(),
        },
        x.shape.clone(),
        out_dtype,
        layout,
    )
}

/// The promoted dtype of builder operands, weak scalars taken against the
/// promoted dtype of the others (as `operand_dtypes`).
fn promoted(args: &[&ExprArg]) -> Result<DType> {
    let mut against: Option<DType> = None;
    for a in args {
        if let ExprArg::Expr(e) = a {
            let d = e.root()?.dtype;
            against = Some(against.map_or(d, |p| DType::promote(p, d)));
        }
    }
    let mut dts = Vec::new();
    for a in args {
        dts.push(match a {
            ExprArg::Expr(e) => e.root()?.dtype,
            ExprArg::Scalar(s) => {
                let d = against.map_or(s.default_dtype(), |d| s.weak_type(d));
                against.get_or_insert(d);
                d
            }
        });
    }
    Ok(dts
        .into_iter()
        .reduce(DType::promote)
        .unwrap_or(DType::Bool))
}

/// An operand of `where`/`clip` as a node of `dtype`.
fn operand_node(op: &'static str, a: &ExprArg, dtype: DType) -> Result<Arc<Node>> {
    match a {
        ExprArg::Expr(e) => e.root().cloned(),
        ExprArg::Scalar(s) => Node::scalar(op, *s, dtype),
    }
}

fn build_where(cond: &Expr, x: ExprArg, y: ExprArg) -> Result<Arc<Node>> {
    let op = "where";
    let c = cond.root()?.clone();
    let dtype = promoted(&[&x, &y])?;
    let (xn, yn) = (operand_node(op, &x, dtype)?, operand_node(op, &y, dtype)?);
    let shape = broadcast_shapes(op, &[&c.shape, &xn.shape, &yn.shape])?;
    let layout = binary_output_layout(&shape, &[&c.layout, &xn.layout, &yn.layout]);
    Node::new(
        NodeKind::Where {
            cond: c,
            x: xn,
            y: yn,
        },
        shape,
        dtype,
        layout,
    )
}

fn build_clip(x: ExprArg, lo: ExprArg, hi: ExprArg) -> Result<Arc<Node>> {
    let op = "clip";
    let bound_array = matches!(lo, ExprArg::Expr(_)) || matches!(hi, ExprArg::Expr(_));
    let dtype = match promoted(&[&x, &lo, &hi])? {
        // As the eager clip: no bfloat16 loop with a bound array.
        DType::BF16 if bound_array => DType::F32,
        d => d,
    };
    let bound = |a: &ExprArg| -> Result<Arc<Node>> {
        match a {
            ExprArg::Scalar(s) => {
                Node::scalar(op, crate::ops::select::clip_bound(*s, dtype)?, dtype)
            }
            e => operand_node(op, e, dtype),
        }
    };
    let xn = operand_node(op, &x, dtype)?;
    let (l, h) = (bound(&lo)?, bound(&hi)?);
    let shape = broadcast_shapes(op, &[&xn.shape, &l.shape, &h.shape])?;
    let layout = binary_output_layout(&shape, &[&xn.layout, &l.layout, &h.layout]);
    Node::new(
        NodeKind::Clip {
            x: xn,
            lo: l,
            hi: h,
        },
        shape,
        dtype,
        layout,
    )
}
