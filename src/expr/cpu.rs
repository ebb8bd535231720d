//! Expressions on the CPU: a tree compiled to a register program, run over
//! blocks of [`BLOCK`] elements (numexpr's strategy).
//!
//! The program is a list of instructions in evaluation order; each writes
//! one block of its node's dtype into a register (a slot of a per-thread
//! scratch area that stays in L1/L2), reading array inputs in place through
//! their strides, so no temporary the size of the input exists. Slots are
//! reused once a register's last reader has run. The last instruction
//! writes straight into the result when the dtypes agree.
//!
//! Each instruction computes exactly what the eager kernel computes: the
//! operands are converted to the loop dtype with the same conversions
//! (`convert::load`), the op's scalar function comes from the registry
//! (`with_cpu_fn`, run through the same multiversioned loops), and the
//! result is stored in the node's dtype, which rounds float16 and bfloat16
//! loops computed in f32 as the eager store does.
//!
//! Elementwise evaluation walks the result through [`drive`](crate::cpu)
//! (plans, threads, tiles for transposed operands, joined short runs); a
//! fused reduction hands the reduction kernels an [`ExprSource`], which
//! makes the elements they ask for a block at a time.

use super::prepare::{prepare, same_input};
use super::{Node, NodeKind};
use crate::array::Array;
use crate::cpu::convert::{load, store};
use crate::cpu::kernels::{map2, run_unary_slices};
use crate::cpu::reduce::Source;
use crate::cpu::RawOperand;
use crate::dtype::{Casting, DType, Element};
use crate::error::{Error, Result};
use crate::layout::order::copy_layout;
use crate::layout::{broadcast_shapes, Order};
use crate::ops::math::Math;
use crate::ops::{Axes, BinaryOp, CpuBinary, CpuUnary, ReduceOp, UnaryOp};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// Elements per block: the CPU kernels' conversion block (`load` and
/// `store` take at most this many), 4 KiB per register at the widest
/// dtype, and a multiple of the pairwise sum's 256-element leaves (a fused
/// sum must see the leaves the eager sum sees).
pub(crate) const BLOCK: usize = crate::cpu::BLOCK;

/// The most array inputs one pass reads (the drive takes the result and up
/// to seven inputs); a tree with more is cut into passes.
pub(crate) const MAX_LEAVES: usize = 7;

/// Where an instruction reads an operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Src {
    /// Input `k` of the program.
    Leaf(usize),
    /// The register of instruction `i`.
    Reg(usize),
}

/// What an instruction computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Op {
    Unary(UnaryOp, DType, Src),
    Binary(BinaryOp, DType, Src, Src),
    Cast(Src),
    Where(Src, Src, Src),
    Clip(Src, Src, Src),
}

/// One instruction: its op, its result dtype and its scratch slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Instr {
    op: Op,
    dtype: DType,
    slot: usize,
}

/// A compiled expression: instructions in evaluation order (the last one
/// is the result), the dtypes of the inputs, and the number of scratch
/// slots. It holds no arrays, so [`fuse`](crate::fuse) caches it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Program {
    instrs: Vec<Instr>,
    leaf_dtypes: Vec<DType>,
    slots: usize,
}

impl Program {
    /// The result dtype.
    fn dtype(&self) -> DType {
        self.instrs.last().map_or(DType::Bool, |i| i.dtype)
    }
}

/// What a compiled program depends on: its instructions (ops, dtypes and
/// which register or input each reads) and its inputs' dtypes. Shapes and
/// layouts are not part of it: the same program runs any of them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ProgramKey {
    instrs: Vec<Instr>,
    leaf_dtypes: Vec<DType>,
}

/// A program cache: returns the program for a key, compiling it with the
/// given function the first time ([`fuse`](crate::fuse) keeps one).
pub(crate) type Cache<'c> = dyn Fn(ProgramKey, &dyn Fn() -> Program) -> Arc<Program> + 'c;

/// Compiles a prepared tree (no [`NodeKind::MixedCompare`]): the program
/// and the arrays its inputs read, in input order. Shared subtrees are
/// computed once; the same array used twice is read as one input.
pub(crate) fn compile(root: &Arc<Node>, cache: Option<&Cache<'_>>) -> (Arc<Program>, Vec<Array>) {
    let (key, leaves) = lower(root);
    let make = || {
        let mut prog = Program {
            instrs: key.instrs.clone(),
            leaf_dtypes: key.leaf_dtypes.clone(),
            slots: 0,
        };
        prog.assign_slots();
        prog
    };
    let prog = match cache {
        Some(c) => c(key.clone(), &make),
        None => Arc::new(make()),
    };
    (prog, leaves)
}

/// The tree as instructions in evaluation order (slots unassigned) and
/// the input arrays.
fn lower(root: &Arc<Node>) -> (ProgramKey, Vec<Array>) {
    struct Compiler {
        instrs: Vec<Instr>,
        leaves: Vec<Array>,
        seen: HashMap<*const Node, Src>,
    }
    impl Compiler {
        fn leaf(&mut self, a: &Array) -> Src {
            if let Some(k) = self.leaves.iter().position(|b| same_input(a, b)) {
                return Src::Leaf(k);
            }
            self.leaves.push(a.clone());
            Src::Leaf(self.leaves.len() - 1)
        }

        fn visit(&mut self, n: &Arc<Node>) -> Src {
            if let Some(&s) = self.seen.get(&Arc::as_ptr(n)) {
                return s;
            }
            let op = match &n.kind {
                NodeKind::Input(a) | NodeKind::Scalar(_, a) => {
                    let s = self.leaf(a);
                    self.seen.insert(Arc::as_ptr(n), s);
                    return s;
                }
                NodeKind::Unary { op, loop_dtype, x } => Op::Unary(*op, *loop_dtype, self.visit(x)),
                NodeKind::Binary {
                    op,
                    loop_dtype,
                    a,
                    b,
                } => {
                    let (a, b) = (self.visit(a), self.visit(b));
                    Op::Binary(*op, *loop_dtype, a, b)
                }
                NodeKind::Cast(x) => Op::Cast(self.visit(x)),
                NodeKind::Where { cond, x, y } => {
                    let (c, x, y) = (self.visit(cond), self.visit(x), self.visit(y));
                    Op::Where(c, x, y)
                }
                NodeKind::Clip { x, lo, hi } => {
                    let (x, l, h) = (self.visit(x), self.visit(lo), self.visit(hi));
                    Op::Clip(x, l, h)
                }
                NodeKind::MixedCompare { .. } => unreachable!("prepare() evaluates these first"),
            };
            self.instrs.push(Instr {
                op,
                dtype: n.dtype,
                slot: 0,
            });
            let s = Src::Reg(self.instrs.len() - 1);
            self.seen.insert(Arc::as_ptr(n), s);
            s
        }
    }
    let mut c = Compiler {
        instrs: Vec::new(),
        leaves: Vec::new(),
        seen: HashMap::new(),
    };
    if let Src::Leaf(k) = c.visit(root) {
        // A bare input: one cast (a copy in its own dtype) makes the result.
        c.instrs.push(Instr {
            op: Op::Cast(Src::Leaf(k)),
            dtype: root.dtype,
            slot: 0,
        });
    }
    let leaf_dtypes = c.leaves.iter().map(Array::dtype).collect();
    (
        ProgramKey {
            instrs: c.instrs,
            leaf_dtypes,
        },
        c.leaves,
    )
}

impl Program {
    /// Gives each instruction a scratch slot, reusing the slot of a
    /// register whose last reader has run (never one the instruction
    /// itself reads).
    fn assign_slots(&mut self) {
        let n = self.instrs.len();
        let mut last_use = vec![0usize; n];
        for (i, ins) in self.instrs.iter().enumerate() {
            for s in sources(&ins.op) {
                if let Src::Reg(r) = s {
                    last_use[r] = i;
                }
            }
        }
        let mut free: Vec<usize> = Vec::new();
        let mut slots = 0;
        for i in 0..n {
            let slot = free.pop().unwrap_or_else(|| {
                slots += 1;
                slots - 1
            });
            self.instrs[i].slot = slot;
            for s in sources(&self.instrs[i].op) {
                if let Src::Reg(r) = s {
                    if last_use[r] == i && !free.contains(&self.instrs[r].slot) {
                        free.push(self.instrs[r].slot);
                    }
                }
            }
        }
        self.slots = slots;
    }
}

fn sources(op: &Op) -> Vec<Src> {
    match *op {
        Op::Unary(_, _, x) | Op::Cast(x) => vec![x],
        Op::Binary(_, _, a, b) => vec![a, b],
        Op::Where(a, b, c) | Op::Clip(a, b, c) => vec![a, b, c],
    }
}

// ---------------------------------------------------------------------------
// Preparing a tree: the parts that cannot run inside one pass
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------

/// Evaluates a CPU tree into new memory with the eager layout.
pub(crate) fn eval(root: &Arc<Node>) -> Result<Array> {
    eval_cached(root, &|_, make| Arc::new(make()))
}

/// [`eval`] with the program taken from `cache`.
pub(crate) fn eval_cached(root: &Arc<Node>, cache: &Cache<'_>) -> Result<Array> {
    let root = prepare(root, MAX_LEAVES)?;
    let layout = match &root.kind {
        // A bare input's layout is a view's; its copy is dense, order K.
        NodeKind::Input(a) => copy_layout(a.layout(), Order::K),
        _ => root.layout.clone(),
    };
    let out = Array::alloc_on(&crate::Device::Cpu, "eval", layout, root.dtype)?;
    let (prog, leaves) = compile(&root, Some(cache));
    run_into(&prog, &leaves, &out, "eval")?;
    Ok(out)
}

/// Evaluates a CPU tree into `out` (see [`Expr::eval_into`](super::Expr::eval_into)).
pub(crate) fn eval_into(root: &Arc<Node>, out: &Array) -> Result<()> {
    let name = "eval_into";
    if !DType::can_cast(root.dtype, out.dtype(), Casting::SameKind) {
        return Err(Error::DType {
            op: name,
            reason: format!(
                "Cannot cast the expression's result from dtype('{}') to dtype('{}') with \
                 casting rule 'same_kind'",
                root.dtype,
                out.dtype()
            ),
        });
    }
    out.require_writeable(name)?;
    let shape = broadcast_shapes(name, &[&root.shape, out.shape()])?;
    if shape != out.shape() {
        return Err(Error::broadcast(
            name,
            vec![root.shape.clone(), out.shape().to_vec()],
        ));
    }
    let root = prepare(root, MAX_LEAVES)?;
    let (prog, leaves) = compile(&root, None);
    let _turn = out.write_turn(name, leaves.iter())?;
    let guarded: Vec<Array> = leaves
        .iter()
        .map(|l| crate::ops::binary::guard_overlap(name, out, l).map(|c| c.into_owned()))
        .collect::<Result<_>>()?;
    run_into(&prog, &guarded, out, name)
}

/// Runs `prog` over `leaves` (broadcast to `out`'s shape) into `out`.
fn run_into(prog: &Program, leaves: &[Array], out: &Array, name: &'static str) -> Result<()> {
    let strides: Vec<Vec<isize>> = leaves
        .iter()
        .map(|l| l.layout().broadcast_strides(out.shape()))
        .collect();
    let so = out.layout().strides().to_vec();
    let refs: Vec<&Array> = leaves.iter().collect();
    out.with_locks(name, &refs, |locks| {
        let o = out.raw(locks, &so);
        let raws: Vec<RawOperand<'_>> = leaves
            .iter()
            .zip(&strides)
            .map(|(l, s)| l.raw(locks, s))
            .collect();
        // SAFETY: the locks are held; `out` is writeable (new memory, or
        // checked by `eval_into`), and an input overlapping it other than
        // element for element was copied first.
        unsafe { drive_program(prog, out.shape(), o, &raws) }
    })
}

/// [`crate::cpu::drive`] over the result and the inputs, with the
/// program run on each inner run.
///
/// # Safety
/// The operands satisfy the invariants of [`crate::cpu`].
unsafe fn drive_program(
    prog: &Program,
    shape: &[usize],
    out: RawOperand<'_>,
    leaves: &[RawOperand<'_>],
) {
    /// The drive for `N - 1` inputs.
    ///
    /// # Safety
    /// As `drive_program`.
    unsafe fn go<const N: usize>(
        prog: &Program,
        shape: &[usize],
        out: RawOperand<'_>,
        leaves: &[RawOperand<'_>],
    ) {
        let ops: [RawOperand<'_>; N] =
            std::array::from_fn(|k| if k == 0 { out } else { leaves[k - 1] });
        let dtypes: [DType; N] = std::array::from_fn(|k| ops[k].dtype);
        // SAFETY: forwarded contract; the views below address the run's
        // elements of each operand, as `drive` hands them.
        unsafe {
            crate::cpu::drive(shape, ops, |p, s, n| {
                let view = |k: usize| View {
                    ptr: p[k],
                    dtype: dtypes[k],
                    stride: s[k],
                };
                let ins: [View; N] = std::array::from_fn(view);
                run_views(prog, &ins[1..], view(0), n)
            })
        }
    }
    // SAFETY (every arm): forwarded contract.
    unsafe {
        match leaves.len() {
            0 => go::<1>(prog, shape, out, leaves),
            1 => go::<2>(prog, shape, out, leaves),
            2 => go::<3>(prog, shape, out, leaves),
            3 => go::<4>(prog, shape, out, leaves),
            4 => go::<5>(prog, shape, out, leaves),
            5 => go::<6>(prog, shape, out, leaves),
            6 => go::<7>(prog, shape, out, leaves),
            _ => go::<8>(prog, shape, out, leaves),
        }
    }
}

/// A run of one operand: its first element, dtype and element stride.
#[derive(Clone, Copy, Debug)]
struct View {
    ptr: *mut u8,
    dtype: DType,
    stride: isize,
}

impl View {
    /// The view `k` elements further on.
    ///
    /// # Safety
    /// Element `k` is inside the run.
    #[inline]
    unsafe fn at(self, k: usize) -> View {
        let step = k as isize * self.stride * self.dtype.itemsize() as isize;
        View {
            // SAFETY: inside the run by the contract.
            ptr: unsafe { self.ptr.offset(step) },
            ..self
        }
    }
}

thread_local! {
    /// Each thread's registers and conversion buffers (u64 words, so
    /// aligned for every dtype).
    static SCRATCH: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// Conversion buffers per thread, after the slots.
const TEMPS: usize = 4;

/// Runs `prog` over `n` elements: input `k` read through `leaves[k]`, the
/// result written through `out`, a block at a time.
///
/// # Safety
/// Each view addresses `n` elements of its dtype at its stride (inputs
/// readable, `out` writable); `out` overlaps an input only element for
/// element.
unsafe fn run_views(prog: &Program, leaves: &[View], out: View, n: usize) {
    SCRATCH.with(|cell| {
        let mut scratch = cell.borrow_mut();
        let words = (prog.slots + TEMPS) * BLOCK;
        if scratch.len() < words {
            scratch.resize(words, 0);
        }
        let base = scratch.as_mut_ptr() as *mut u8;
        let mut ins = [View {
            ptr: std::ptr::null_mut(),
            dtype: DType::Bool,
            stride: 0,
        }; MAX_LEAVES];
        let mut start = 0;
        while start < n {
            let m = BLOCK.min(n - start);
            for (v, l) in ins.iter_mut().zip(leaves) {
                // SAFETY: `start` is inside every run.
                *v = unsafe { l.at(start) };
            }
            // SAFETY: as above; the scratch holds every slot and temp.
            unsafe { run_block(prog, &ins[..leaves.len()], out.at(start), m, base) };
            start += m;
        }
    })
}

/// One block of `m` elements.
///
/// # Safety
/// As [`run_views`] for `m` elements; `scratch` holds
/// `(prog.slots + TEMPS) * BLOCK` u64 words.
unsafe fn run_block(prog: &Program, leaves: &[View], out: View, m: usize, scratch: *mut u8) {
    let slot = |s: usize| {
        // SAFETY: slot and temp indices are below `slots + TEMPS`.
        unsafe { scratch.add(s * BLOCK * 8) }
    };
    let temps = [
        slot(prog.slots),
        slot(prog.slots + 1),
        slot(prog.slots + 2),
        slot(prog.slots + 3),
    ];
    let last = prog.instrs.len() - 1;
    let view_of = |s: Src| match s {
        Src::Leaf(k) => leaves[k],
        Src::Reg(r) => View {
            ptr: slot(prog.instrs[r].slot),
            dtype: prog.instrs[r].dtype,
            stride: 1,
        },
    };
    for (i, ins) in prog.instrs.iter().enumerate() {
        let dest = if i == last && out.dtype == ins.dtype {
            out
        } else {
            View {
                ptr: slot(ins.slot),
                dtype: ins.dtype,
                stride: 1,
            }
        };
        // SAFETY: every view addresses `m` elements (registers hold a
        // block); temps are distinct from every slot.
        unsafe { exec(ins, dest, &view_of, m, temps) };
    }
    let result = prog.instrs[last];
    if out.dtype != result.dtype {
        let reg = View {
            ptr: slot(result.slot),
            dtype: result.dtype,
            stride: 1,
        };
        // SAFETY: `m` elements on both sides; temp 0 holds a block.
        unsafe { convert(reg, out, m, temps[0]) };
    }
}

/// `dest = src` converted (NumPy's unsafe cast, the eager `copy_cast`).
///
/// # Safety
/// Both views address `m` elements; `temp` holds a block.
unsafe fn convert(src: View, dest: View, m: usize, temp: *mut u8) {
    crate::dispatch_dtype!(dest.dtype, D => {
        // SAFETY (block): the contract; a destination that is the source
        // itself goes through the temp (no `&mut` over memory being read).
        unsafe {
            if dest.stride == 1 && dest.ptr != src.ptr {
                let d = std::slice::from_raw_parts_mut(dest.ptr as *mut D, m);
                load(src.ptr, src.dtype, src.stride, d);
            } else {
                let t = std::slice::from_raw_parts_mut(temp as *mut D, m);
                load(src.ptr, src.dtype, src.stride, t);
                store(t, dest.ptr, dest.dtype, dest.stride);
            }
        }
    })
}

/// Runs one instruction.
///
/// # Safety
/// As [`run_block`]: every view addresses `m` elements.
unsafe fn exec(ins: &Instr, dest: View, view: &dyn Fn(Src) -> View, m: usize, t: [*mut u8; 4]) {
    // SAFETY (whole body): the contract.
    unsafe {
        match ins.op {
            Op::Cast(x) => convert(view(x), dest, m, t[0]),
            Op::Unary(op, loop_dtype, x) => {
                let run = BlockUnary {
                    x: view(x),
                    dest,
                    m,
                    t,
                };
                if op == UnaryOp::Sign && loop_dtype == DType::BF16 {
                    // bfloat16's sign keeps a zero's sign (as the eager op).
                    return CpuUnary::<f32, ()>::call(run, |o: &mut [f32], xs: &[f32]| {
                        for (o, &x) in o.iter_mut().zip(xs) {
                            *o = if x == 0.0 { x } else { Math::sign(x) };
                        }
                    });
                }
                crate::dispatch_dtype!(loop_dtype.compute(), T => op.with_cpu_fn::<T, ()>(run))
            }
            Op::Binary(op, loop_dtype, a, b) => {
                let run = BlockBinary {
                    a: view(a),
                    b: view(b),
                    dest,
                    m,
                    t,
                };
                crate::dispatch_dtype!(loop_dtype.compute(), T => op.with_cpu_fn::<T, ()>(run))
            }
            Op::Where(c, x, y) => {
                let cb = std::slice::from_raw_parts_mut(t[0] as *mut bool, m);
                let c = view(c);
                load(c.ptr, c.dtype, c.stride, cb);
                crate::dispatch_dtype!(ins.dtype, T => {
                    let xs = loaded::<T>(view(x), m, t[1]);
                    let ys = loaded::<T>(view(y), m, t[2]);
                    let o = out_block::<T>(dest, m, t[3], &[xs, ys]);
                    for i in 0..m {
                        o[i] = if cb[i] { xs[i] } else { ys[i] };
                    }
                    finish_block(o, dest);
                })
            }
            Op::Clip(x, lo, hi) => {
                crate::dispatch_dtype!(ins.dtype, T => {
                    let xs = loaded::<T>(view(x), m, t[0]);
                    let ls = loaded::<T>(view(lo), m, t[1]);
                    let hs = loaded::<T>(view(hi), m, t[2]);
                    let o = out_block::<T>(dest, m, t[3], &[xs, ls, hs]);
                    for i in 0..m {
                        o[i] = <T as Math>::minimum(<T as Math>::maximum(xs[i], ls[i]), hs[i]);
                    }
                    finish_block(o, dest);
                })
            }
        }
    }
}

/// The `m` elements of `v` as a slice of `T`: in place when `v` is a
/// contiguous run of `T`, else converted into `temp`.
///
/// # Safety
/// `v` addresses `m` elements; `temp` holds a block and is not `v`.
#[inline]
unsafe fn loaded<'t, T: Element>(v: View, m: usize, temp: *mut u8) -> &'t [T] {
    // SAFETY: the contract.
    unsafe {
        if v.dtype == T::DTYPE && v.stride == 1 {
            return std::slice::from_raw_parts(v.ptr as *const T, m);
        }
        let t = std::slice::from_raw_parts_mut(temp as *mut T, m);
        load(v.ptr, v.dtype, v.stride, t);
        t
    }
}

/// Where an instruction producing `T` writes: `dest` itself when it is a
/// contiguous run of `T`, else `temp` (then [`finish_block`] stores it).
///
/// # Safety
/// `dest` addresses `m` writable elements; the slices in `inputs` are the
/// instruction's inputs (a destination that is one of them, the result
/// written over its own input element for element, goes through `temp`, so
/// no `&mut` covers memory a live slice reads); `temp` holds a block.
#[inline]
unsafe fn out_block<'t, T: Element>(
    dest: View,
    m: usize,
    temp: *mut u8,
    inputs: &[&[T]],
) -> &'t mut [T] {
    let aliased = inputs
        .iter()
        .any(|x| std::ptr::eq(x.as_ptr() as *const u8, dest.ptr));
    let p = if dest.dtype == T::DTYPE && dest.stride == 1 && !aliased {
        dest.ptr
    } else {
        temp
    };
    // SAFETY: the contract.
    unsafe { std::slice::from_raw_parts_mut(p as *mut T, m) }
}

/// Stores a block made by [`out_block`] into `dest` if it was made aside.
///
/// # Safety
/// As [`out_block`].
#[inline]
unsafe fn finish_block<T: Element>(o: &[T], dest: View) {
    if o.as_ptr() as *mut u8 != dest.ptr {
        // SAFETY: `dest` addresses `o.len()` writable elements.
        unsafe { store(o, dest.ptr, dest.dtype, dest.stride) };
    }
}

/// A binary instruction, handed the op's scalar function by the registry.
struct BlockBinary {
    a: View,
    b: View,
    dest: View,
    m: usize,
    t: [*mut u8; 4],
}

/// An operand of `map2`: the run itself when it holds `T` (any stride,
/// stride 0 included), else converted into `temp`.
///
/// # Safety
/// `v` addresses `m` elements; `temp` holds a block.
#[inline]
unsafe fn operand<T: Element>(v: View, m: usize, temp: *mut u8) -> (*const T, isize) {
    if v.dtype == T::DTYPE {
        return (v.ptr as *const T, v.stride);
    }
    let n = if v.stride == 0 { 1 } else { m };
    // SAFETY: the contract.
    unsafe {
        let t = std::slice::from_raw_parts_mut(temp as *mut T, n);
        load(v.ptr, v.dtype, v.stride, t);
    }
    (temp as *const T, if v.stride == 0 { 0 } else { 1 })
}

impl<T: Math> CpuBinary<T, ()> for BlockBinary {
    fn call<O: Element, F: Fn(T, T) -> O + Sync + Copy>(self, f: F) {
        let (d, m) = (self.dest, self.m);
        // SAFETY: the views address `m` elements (`exec`'s contract); the
        // temps are distinct blocks; `map2` reads each input element before
        // writing the same index, so a destination that is an input
        // element for element is fine.
        unsafe {
            let (x, sx) = operand::<T>(self.a, m, self.t[0]);
            let (y, sy) = operand::<T>(self.b, m, self.t[1]);
            if d.dtype == O::DTYPE {
                return map2(d.ptr as *mut O, x, y, [d.stride, sx, sy], m, &f);
            }
            let o = self.t[2] as *mut O;
            map2(o, x, y, [1, sx, sy], m, &f);
            store(std::slice::from_raw_parts(o, m), d.ptr, d.dtype, d.stride);
        }
    }
}

/// A unary instruction, handed the op's block function by the registry.
struct BlockUnary {
    x: View,
    dest: View,
    m: usize,
    t: [*mut u8; 4],
}

impl<T: Math> CpuUnary<T, ()> for BlockUnary {
    fn call<O: Element, G: Fn(&mut [O], &[T]) + Sync + Copy>(self, g: G) {
        let (d, m) = (self.dest, self.m);
        // SAFETY: the views address `m` elements; the output goes to the
        // destination only when it is not the input's memory (no `&mut`
        // beside a `&` of the same elements), else through temp 1.
        unsafe {
            let xs = loaded::<T>(self.x, m, self.t[0]);
            if d.dtype == O::DTYPE
                && d.stride == 1
                && !std::ptr::eq(d.ptr, xs.as_ptr() as *const u8)
            {
                let o = std::slice::from_raw_parts_mut(d.ptr as *mut O, m);
                return run_unary_slices(o, xs, &g);
            }
            let o = std::slice::from_raw_parts_mut(self.t[1] as *mut O, m);
            run_unary_slices(o, xs, &g);
            store(o, d.ptr, d.dtype, d.stride);
        }
    }
}

// ---------------------------------------------------------------------------
// Fused reductions
// ---------------------------------------------------------------------------

/// Reduces a CPU tree without making it: the reduction kernels walk the
/// result as if it were the dense array the eager op would make (its
/// layout, hence the same walk and the same order of additions) and ask an
/// [`ExprSource`] for the elements.
pub(crate) fn eval_reduction(
    root: &Arc<Node>,
    op: ReduceOp,
    axes: Axes,
    keepdims: bool,
) -> Result<Array> {
    eval_reduction_cached(root, op, axes, keepdims, &|_, make| Arc::new(make()))
}

/// [`eval_reduction`] with the program taken from `cache`.
pub(crate) fn eval_reduction_cached(
    root: &Arc<Node>,
    op: ReduceOp,
    axes: Axes,
    keepdims: bool,
    cache: &Cache<'_>,
) -> Result<Array> {
    let root = prepare(root, MAX_LEAVES)?;
    if let NodeKind::Input(a) = &root.kind {
        // Nothing to make: the eager reduction of the input itself.
        return a.reduce(op, axes, keepdims);
    }
    if matches!(root.kind, NodeKind::Scalar(..)) {
        return eval(&root)?.reduce(op, axes, keepdims);
    }
    let plan = crate::ops::reduce::ReducePlan::new(op, &root.layout, root.dtype, axes, keepdims)?;
    let out = Array::alloc_on(
        &crate::Device::Cpu,
        op.name(),
        plan.out_layout.clone(),
        op.result_dtype(root.dtype),
    )?;
    let (prog, leaves) = compile(&root, Some(cache));
    let strides: Vec<Vec<isize>> = leaves
        .iter()
        .map(|l| l.layout().broadcast_strides(&root.shape))
        .collect();
    let refs: Vec<&Array> = leaves.iter().collect();
    let out_strides = plan.out_strides(out.layout());
    out.with_locks(op.name(), &refs, |locks| {
        let o = out.raw(locks, &out_strides);
        let bases: Vec<View> = leaves
            .iter()
            .map(|l| {
                let r = l.raw(locks, &[]);
                View {
                    // SAFETY: the layout's offset is inside its buffer.
                    ptr: unsafe { r.ptr.add(r.offset * r.dtype.itemsize()) },
                    dtype: r.dtype,
                    stride: 0,
                }
            })
            .collect();
        let src = ExprSource::new(&prog, &root.shape, root.layout.strides(), bases, &strides);
        crate::dispatch_dtype!(root.dtype, T => plan.run::<T, _>(o, &src))
    })?;
    Ok(out)
}

/// The elements of an expression's result as a reduction kernel asks for
/// them: by offset in the dense layout the eager result would have.
pub(crate) struct ExprSource<'a> {
    prog: &'a Program,
    shape: &'a [usize],
    /// The dense layout's strides (elements, all >= 0).
    vstrides: &'a [isize],
    /// Axes longer than 1, largest stride first (to split an offset).
    order: Vec<usize>,
    /// Each input at its first element (`stride` unused).
    bases: Vec<View>,
    /// Each input's strides broadcast to `shape`.
    strides: &'a [Vec<isize>],
}

// SAFETY: the pointers are read only, while the caller holds the inputs'
// read locks for the whole reduction; each thread evaluates into its own
// scratch.
unsafe impl Sync for ExprSource<'_> {}

impl<'a> ExprSource<'a> {
    fn new(
        prog: &'a Program,
        shape: &'a [usize],
        vstrides: &'a [isize],
        bases: Vec<View>,
        strides: &'a [Vec<isize>],
    ) -> ExprSource<'a> {
        let mut order: Vec<usize> = (0..shape.len()).filter(|&d| shape[d] > 1).collect();
        order.sort_by_key(|&d| std::cmp::Reverse(vstrides[d]));
        ExprSource {
            prog,
            shape,
            vstrides,
            order,
            bases,
            strides,
        }
    }

    /// Evaluates the `n` elements at offsets `off + i * stride` into
    /// `out` (dtype of the result, contiguous), a segment along one axis
    /// at a time.
    ///
    /// # Safety
    /// The offsets are elements of the dense layout; `out` holds `n`.
    unsafe fn fill(&self, off: isize, stride: isize, out: *mut u8, n: usize) {
        let dtype = self.prog.dtype();
        let mut idx = vec![0usize; self.shape.len()];
        let (mut pos, mut done) = (off, 0usize);
        let mut views = [View {
            ptr: std::ptr::null_mut(),
            dtype: DType::Bool,
            stride: 0,
        }; MAX_LEAVES];
        while done < n {
            let mut rest = pos;
            for &d in &self.order {
                idx[d] = (rest / self.vstrides[d]) as usize;
                rest %= self.vstrides[d];
            }
            // The axis this run steps along, and how far it goes on it.
            let axis = self
                .order
                .iter()
                .copied()
                .find(|&d| self.vstrides[d] == stride && n - done > 1);
            let seg = axis.map_or(1, |d| (n - done).min(self.shape[d] - idx[d]));
            for (k, v) in views.iter_mut().enumerate().take(self.bases.len()) {
                let s = &self.strides[k];
                let at: isize = self.order.iter().map(|&d| idx[d] as isize * s[d]).sum();
                // SAFETY: `idx` is an index of the result, so `at` is an
                // element of input k (broadcast strides).
                *v = unsafe { self.bases[k].at_offset(at) };
                v.stride = axis.map_or(0, |d| s[d]);
            }
            let dest = View {
                // SAFETY: `done < n`, inside `out`.
                ptr: unsafe { out.add(done * dtype.itemsize()) },
                dtype,
                stride: 1,
            };
            // SAFETY: the segment's `seg` elements lie in each input along
            // `axis` and in `out`.
            unsafe { run_views(self.prog, &views[..self.bases.len()], dest, seg) };
            pos += seg as isize * stride;
            done += seg;
        }
    }
}

impl View {
    /// The view at element offset `at` from this one (any stride).
    ///
    /// # Safety
    /// `at` is an element of the operand.
    #[inline]
    unsafe fn at_offset(self, at: isize) -> View {
        View {
            // SAFETY: the contract.
            ptr: unsafe { self.ptr.offset(at * self.dtype.itemsize() as isize) },
            ..self
        }
    }
}

impl<T: Element> Source<T> for ExprSource<'_> {
    unsafe fn slice(&self, _: isize, _: usize) -> Option<&[T]> {
        None
    }

    unsafe fn gather(&self, off: isize, stride: isize, out: &mut [T]) {
        debug_assert_eq!(T::DTYPE, self.prog.dtype());
        // SAFETY: forwarded contract; `out` holds its length.
        unsafe { self.fill(off, stride, out.as_mut_ptr() as *mut u8, out.len()) }
    }

    unsafe fn stream(&self, off: isize, n: usize, f: &mut dyn FnMut(&[T])) {
        let mut buf = [T::ZERO; BLOCK];
        let mut done = 0;
        while done < n {
            let m = BLOCK.min(n - done);
            // SAFETY: forwarded contract.
            unsafe { Source::<T>::gather(self, off + done as isize, 1, &mut buf[..m]) };
            f(&buf[..m]);
            done += m;
        }
    }
}
