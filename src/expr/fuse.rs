//! [`fuse`]: a reusable kernel traced from a Rust closure over
//! expressions, as CuPy's `fuse`.

use super::{cpu, Expr, Reduction};
use crate::array::Array;
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What a fused closure returns: an elementwise expression or a reduction
/// over one.
#[derive(Clone, Debug)]
pub enum FusedOutput {
    /// An elementwise result.
    Expr(Expr),
    /// A reduction at the root.
    Reduction(Reduction),
}

impl From<Expr> for FusedOutput {
    fn from(e: Expr) -> FusedOutput {
        FusedOutput::Expr(e)
    }
}

impl From<Reduction> for FusedOutput {
    fn from(r: Reduction) -> FusedOutput {
        FusedOutput::Reduction(r)
    }
}

/// The tree builder of a fused kernel: the closure over its inputs.
type Build = dyn Fn(&[Expr]) -> FusedOutput + Send + Sync;

/// A kernel made by [`fuse`]: call it on arrays of any shapes, dtypes and
/// layouts the closure's ops accept.
pub struct Fused {
    build: Box<Build>,
    arity: usize,
    /// Register programs by structure (ops, dtypes, how inputs are shared,
    /// number of dimensions and whether each input is C-contiguous).
    cache: Mutex<HashMap<cpu::ProgramKey, Arc<cpu::Program>>>,
}

impl std::fmt::Debug for Fused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fused")
            .field("arity", &self.arity)
            .field("compiled", &self.compiled())
            .finish()
    }
}

/// Makes a reusable fused kernel from a closure over expressions, as
/// CuPy's `fuse`: `fuse(|[x, y]| (x - y).square().mean(Axes::All))` (the
/// inputs come as an array, so their number and type are inferred). Each
/// call builds the closure's tree over its arrays (a few small
/// allocations) and runs it in one pass; the compiled register program is
/// kept per structure (ops and dtypes: the CPU program does not depend on
/// shapes or layouts), so a second call with the same dtypes compiles
/// nothing.
///
/// ```
/// use strider::{fuse, Array, Axes};
/// let mse = fuse(|[x, y]| (x - y).square().mean(Axes::All));
/// let a = Array::from_vec(vec![1.0f32, 2.0, 3.0], &[3])?;
/// let b = Array::from_vec(vec![1.0f32, 0.0, 0.0], &[3])?;
/// assert_eq!(mse.call(&[&a, &b])?.item::<f32>()?, 13.0 / 3.0);
/// assert_eq!(mse.call(&[&b, &a])?.item::<f32>()?, 13.0 / 3.0);
/// assert_eq!(mse.compiled(), 1);
/// # Ok::<(), strider::Error>(())
/// ```
pub fn fuse<const N: usize, O: Into<FusedOutput>>(
    f: impl Fn([Expr; N]) -> O + Send + Sync + 'static,
) -> Fused {
    Fused {
        build: Box::new(move |xs: &[Expr]| f(std::array::from_fn(|k| xs[k].clone())).into()),
        arity: N,
        cache: Mutex::new(HashMap::new()),
    }
}

impl Fused {
    /// Runs the kernel on `inputs` (as many as the closure takes).
    ///
    /// # Errors
    /// The wrong number of inputs; any error the closure's ops give for
    /// these inputs (as the eager ops would).
    ///
    /// ```
    /// let scale = strider::fuse(|[x]| x * 2 + 1);
    /// let a = strider::Array::from_vec(vec![1i32, 2], &[2])?;
    /// assert_eq!(scale.call(&[&a])?.to_vec::<i32>()?, vec![3, 5]);
    /// assert!(scale.call(&[&a, &a]).is_err());
    /// # Ok::<(), strider::Error>(())
    /// ```
    pub fn call(&self, inputs: &[&Array]) -> Result<Array> {
        if inputs.len() != self.arity {
            return Err(Error::Value {
                op: "fuse",
                reason: format!(
                    "the fused kernel takes {} inputs, {} were given",
                    self.arity,
                    inputs.len()
                ),
            });
        }
        let exprs: Vec<Expr> = inputs.iter().map(|a| a.expr()).collect();
        let cache = |key: cpu::ProgramKey, make: &dyn Fn() -> cpu::Program| {
            let mut c = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            c.entry(key).or_insert_with(|| Arc::new(make())).clone()
        };
        match (self.build)(&exprs) {
            FusedOutput::Expr(e) => {
                let root = e.root()?;
                match &root.device {
                    Some(d) if !d.is_cpu() => super::eval_node(root),
                    _ => cpu::eval_cached(root, &cache),
                }
            }
            FusedOutput::Reduction(r) => {
                let root = r.expr.root()?;
                match &root.device {
                    Some(d) if !d.is_cpu() => r.eval(),
                    _ => cpu::eval_reduction_cached(root, r.op, r.axes.clone(), r.keepdims, &cache),
                }
            }
        }
    }

    /// How many register programs this kernel has compiled (one per
    /// structure seen).
    pub fn compiled(&self) -> usize {
        self.cache.lock().map_or(0, |c| c.len())
    }
}
