//! What one pass cannot do, done first: the step between building a tree
//! and compiling it for a backend (the CPU's register program, the GPU's
//! generated kernel), shared by both.

use super::{Node, NodeKind};
use crate::array::Array;
use crate::error::{Error, Result};
use crate::ops::{Axes, BinaryOp, ReduceOp};
use crate::scalar::{Operand, Scalar};
use std::collections::HashMap;
use std::sync::Arc;

/// The tree with what one pass cannot do done first, as the eager ops do
/// it: int64/uint64 comparisons (three eager kernels), integer powers by an
/// array exponent (the exponent is made and checked for negative values,
/// NumPy's error), and trees with more than `max_leaves` inputs, the most
/// one pass of the backend reads (the widest subtree is evaluated on its
/// own first). Whatever is evaluated early runs on the tree's device.
pub(crate) fn prepare(root: &Arc<Node>, max_leaves: usize) -> Result<Arc<Node>> {
    let mut memo: HashMap<*const Node, Arc<Node>> = HashMap::new();
    let root = prepare_node(root, &mut memo)?;
    limit_leaves(&root, max_leaves)
}

fn prepare_node(n: &Arc<Node>, memo: &mut HashMap<*const Node, Arc<Node>>) -> Result<Arc<Node>> {
    if let Some(done) = memo.get(&Arc::as_ptr(n)) {
        return Ok(done.clone());
    }
    let kids = n.children();
    let mut new_kids = Vec::with_capacity(kids.len());
    for k in &kids {
        new_kids.push(prepare_node(k, memo)?);
    }
    let changed = kids.iter().zip(&new_kids).any(|(a, b)| !Arc::ptr_eq(a, b));
    let out = match &n.kind {
        NodeKind::MixedCompare { op, .. } => {
            let a = materialize(&new_kids[0])?;
            let b = materialize(&new_kids[1])?;
            let r = crate::binary_operands(*op, Operand::Array(&a), Operand::Array(&b))?;
            input_node(r)
        }
        NodeKind::Binary {
            op: BinaryOp::Power,
            loop_dtype,
            ..
        } if loop_dtype.is_integer() => {
            let exponent = match &new_kids[1].kind {
                NodeKind::Scalar(..) => None,
                _ => Some(materialize(&new_kids[1])?),
            };
            if let Some(e) = &exponent {
                check_exponent(e)?;
            }
            let b = exponent.map_or_else(|| new_kids[1].clone(), input_node);
            rebuild(n, vec![new_kids[0].clone(), b])
        }
        _ if changed => rebuild(n, new_kids),
        _ => n.clone(),
    };
    memo.insert(Arc::as_ptr(n), out.clone());
    Ok(out)
}

/// An array as an input node.
fn input_node(a: Array) -> Arc<Node> {
    Arc::new(Node {
        shape: a.shape().to_vec(),
        dtype: a.dtype(),
        layout: a.layout().clone(),
        device: Some(a.device()),
        kind: NodeKind::Input(a),
    })
}

/// `n` with new children (same op, shape, dtype and layout).
fn rebuild(n: &Node, kids: Vec<Arc<Node>>) -> Arc<Node> {
    let mut k = kids.into_iter();
    let mut next = || k.next().expect("one new child per child");
    let kind = match &n.kind {
        NodeKind::Input(_) | NodeKind::Scalar(..) => unreachable!("leaves have no children"),
        NodeKind::Unary { op, loop_dtype, .. } => NodeKind::Unary {
            op: *op,
            loop_dtype: *loop_dtype,
            x: next(),
        },
        NodeKind::Binary { op, loop_dtype, .. } => NodeKind::Binary {
            op: *op,
            loop_dtype: *loop_dtype,
            a: next(),
            b: next(),
        },
        NodeKind::MixedCompare { op, .. } => NodeKind::MixedCompare {
            op: *op,
            a: next(),
            b: next(),
        },
        NodeKind::Cast(_) => NodeKind::Cast(next()),
        NodeKind::Where { .. } => NodeKind::Where {
            cond: next(),
            x: next(),
            y: next(),
        },
        NodeKind::Clip { .. } => NodeKind::Clip {
            x: next(),
            lo: next(),
            hi: next(),
        },
    };
    Arc::new(Node {
        kind,
        shape: n.shape.clone(),
        dtype: n.dtype,
        layout: n.layout.clone(),
        device: n.device.clone(),
    })
}

/// A node's value as an array: an input as it is, anything else evaluated.
fn materialize(n: &Arc<Node>) -> Result<Array> {
    match &n.kind {
        NodeKind::Input(a) => Ok(a.clone()),
        _ => super::eval_node(n),
    }
}

/// NumPy's refusal of a negative integer exponent, as the eager op checks
/// it (the minimum of the exponent array).
fn check_exponent(e: &Array) -> Result<()> {
    if e.size() == 0 {
        return Ok(());
    }
    // On a GPU, the minimum comes down (one recorded transfer, as the eager
    // op's check makes).
    let min = e.reduce(ReduceOp::Min, Axes::All, false)?.to_cpu()?;
    if let Scalar::Int(v) = min.item_scalar()? {
        if v < 0 {
            return Err(Error::Value {
                op: "power",
                reason: "Integers to negative integer powers are not allowed.".into(),
            });
        }
    }
    Ok(())
}

/// The inputs one pass over `n` reads: distinct arrays (the same array
/// reached twice counts once, as [`compile`] reads it once) and scalars.
fn leaf_count(n: &Arc<Node>) -> usize {
    fn walk<'n>(n: &'n Arc<Node>, seen: &mut Vec<*const Node>, leaves: &mut Vec<&'n Array>) {
        if seen.contains(&Arc::as_ptr(n)) {
            return;
        }
        seen.push(Arc::as_ptr(n));
        match &n.kind {
            NodeKind::Input(a) | NodeKind::Scalar(_, a) => {
                if !leaves.iter().any(|b| same_input(a, b)) {
                    leaves.push(a);
                }
            }
            _ => n.children().into_iter().for_each(|c| walk(c, seen, leaves)),
        }
    }
    let (mut seen, mut leaves) = (Vec::new(), Vec::new());
    walk(n, &mut seen, &mut leaves);
    leaves.len()
}

/// Whether two inputs read the same elements the same way (one input of
/// a pass).
pub(crate) fn same_input(a: &Array, b: &Array) -> bool {
    a.buffer_id() == b.buffer_id() && a.layout() == b.layout() && a.dtype() == b.dtype()
}

/// Cuts a tree with more than `max` inputs: the child subtree with the
/// most inputs is evaluated on its own (recursively cut the same way) and
/// read as one input, until the tree fits one pass.
fn limit_leaves(root: &Arc<Node>, max: usize) -> Result<Arc<Node>> {
    let mut root = root.clone();
    while leaf_count(&root) > max {
        root = cut_widest(&root, max)?;
    }
    Ok(root)
}

fn cut_widest(n: &Arc<Node>, max: usize) -> Result<Arc<Node>> {
    let kids: Vec<Arc<Node>> = n.children().into_iter().cloned().collect();
    let (widest, count) = kids
        .iter()
        .enumerate()
        .map(|(i, k)| (i, leaf_count(k)))
        .max_by_key(|&(_, c)| c)
        .expect("a tree over the limit has children");
    let mut new_kids = kids.clone();
    new_kids[widest] = if count > max {
        cut_widest(&kids[widest], max)?
    } else {
        input_node(super::eval_node(&kids[widest])?)
    };
    Ok(rebuild(n, new_kids))
}
