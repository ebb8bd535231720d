// strider: reduction kernel. Each work item q = o * P + p reduces part p of
// the reduced sub-block of output element o: the reduced elements whose
// C-order index r (over the reduced shape) lies in [p * chunk, (p+1) * chunk).
// With P = 1 an item is a whole output element; with P > 1 the items write
// partial accumulators (and, for argmin/argmax, their indices) that a second
// launch of this kernel reduces (the "pairs" input).
//
// Two entry points:
//   reduce_thread: one invocation per item, which folds the block (small
//                  blocks);
//   reduce_group:  one workgroup per item; each invocation folds a strided
//                  share of the block, then a tree in workgroup memory.
// Float sums and products fold pairwise (`fold`), so with the tree and the
// second pass every float sum is pairwise end to end.
//
// Accumulators carry the C-order index of the element they came from
// (NONE for the identity), which breaks argmin/argmax ties toward the first
// index and lets min/max ignore the identity. NaN wins min/max/argmin/argmax
// (the first NaN for the arg ops), as in NumPy.
//
// params, u32 words (i32 values as their bits):
//   [0] items in this dispatch   [1] first item q of this dispatch
//   [2] outer rank OR            [3] reduced rank RR
//   [4] reduced size M           [5] parts per output P
//   [6] chunk (reduced elements per part)
//   [7] input index shift: in_idx element = in_val element + shift
//   [8] output index shift: out_idx element = out_val element + shift
//   [9] unused
//   [10 ..) outer shape (OR), reduced shape (RR),
//          input: element offset, OR outer strides, RR reduced strides,
//          output: element offset, OR outer strides (partial outputs are
//          contiguous over q and ignore the strides).
{{ enables }}
alias A = {{ acc }};
const WG: u32 = {{ workgroup_size }}u;
const PARTIAL: bool = {{ partial }};
const PAIRWISE: bool = {{ pairwise }};
const NONE: u32 = 0xffffffffu;

struct Acc {
    v: A,
    i: u32,
}

{{ common }}

{{ helpers }}

@group(0) @binding(0) var<storage, read> params: array<u32>;
{{ bindings }}

const R_ITEMS: u32 = 0u;
const R_FIRST: u32 = 1u;
const R_OUTER_RANK: u32 = 2u;
const R_RED_RANK: u32 = 3u;
const R_SIZE: u32 = 4u;
const R_PARTS: u32 = 5u;
const R_CHUNK: u32 = 6u;
const R_IN_IDX_SHIFT: u32 = 7u;
const R_OUT_IDX_SHIFT: u32 = 8u;
const R_HEADER: u32 = 10u;

fn identity() -> Acc {
    return Acc({{ identity }}, NONE);
}

fn combine(a: Acc, b: Acc) -> Acc {
{{ combine }}
}

// The accumulator for input element e, the r-th of its block.
fn load(e: u32, r: u32) -> Acc {
    return {{ load }};
}

fn store(e: u32, a: Acc) {
{{ store }}
}

struct Item {
    in_base: i32,
    out_elem: i32,
    r0: u32,
    r1: u32,
}

fn input_at() -> u32 {
    return R_HEADER + params[R_OUTER_RANK] + params[R_RED_RANK];
}

fn item(q: u32) -> Item {
    let orank = params[R_OUTER_RANK];
    let rrank = params[R_RED_RANK];
    let parts = params[R_PARTS];
    let chunk = params[R_CHUNK];
    let in_at = input_at();
    let out_at = in_at + 1u + orank + rrank;
    var in_base = bitcast<i32>(params[in_at]);
    var out_elem = bitcast<i32>(params[out_at]);
    var rem = q / parts;
    for (var d = orank; d > 0u; d--) {
        let n = params[R_HEADER + d - 1u];
        let c = bitcast<i32>(rem % n);
        rem = rem / n;
        in_base += c * bitcast<i32>(params[in_at + d]);
        out_elem += c * bitcast<i32>(params[out_at + d]);
    }
    if (PARTIAL) {
        out_elem = bitcast<i32>(params[out_at]) + bitcast<i32>(q);
    }
    let r0 = (q % parts) * chunk;
    let r1 = min(params[R_SIZE], r0 + chunk);
    return Item(in_base, out_elem, r0, r1);
}

// Offset of the r-th element of a reduced block from the block's base.
fn reduced_offset(r: u32) -> i32 {
    let orank = params[R_OUTER_RANK];
    let rrank = params[R_RED_RANK];
    let strides_at = input_at() + 1u + orank;
    if (rrank == 1u) {
        // The common case (the host coalesces the reduced axes): no
        // division per element.
        return bitcast<i32>(r) * bitcast<i32>(params[strides_at]);
    }
    var off = 0;
    var rem = r;
    for (var d = rrank; d > 0u; d--) {
        let n = params[R_HEADER + orank + d - 1u];
        let c = bitcast<i32>(rem % n);
        rem = rem / n;
        off += c * bitcast<i32>(params[strides_at + d - 1u]);
    }
    return off;
}

// The accumulation of elements first, first + step, ... (below it.r1) of
// an item's block. Float sums and products are pairwise: blocks of 8
// elements, combined like a binary counter (levels[l] holds the sum of 2^l
// blocks when bit l of `filled` is set), so the rounding error grows with
// log2(n), not n. Other reductions are exact in any order: one serial fold.
fn fold(it: Item, first: u32, step: u32) -> Acc {
    var block = identity();
    if (!PAIRWISE) {
        for (var r = first; r < it.r1; r += step) {
            block = combine(block, load(bitcast<u32>(it.in_base + reduced_offset(r)), r));
        }
        return block;
    }
    var levels: array<Acc, 32>;
    var filled = 0u;
    var in_block = 0u;
    for (var r = first; r < it.r1; r += step) {
        block = combine(block, load(bitcast<u32>(it.in_base + reduced_offset(r)), r));
        in_block += 1u;
        if (in_block == 8u) {
            var v = block;
            var l = 0u;
            while (((filled >> l) & 1u) != 0u) {
                v = combine(levels[l], v);
                l += 1u;
            }
            levels[l] = v;
            filled += 1u;
            block = identity();
            in_block = 0u;
        }
    }
    var acc = block;
    for (var l = 0u; l < 32u; l++) {
        if (((filled >> l) & 1u) != 0u) {
            acc = combine(levels[l], acc);
        }
    }
    return acc;
}

@compute @workgroup_size(WG)
fn reduce_thread(@builtin(global_invocation_id) gid: vec3<u32>,
                 @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = linear_invocation(gid, nwg, WG);
    if (t >= params[R_ITEMS]) {
        return;
    }
    let it = item(params[R_FIRST] + t);
    store(bitcast<u32>(it.out_elem), fold(it, it.r0, 1u));
}

var<workgroup> scratch: array<Acc, WG>;

@compute @workgroup_size(WG)
fn reduce_group(@builtin(local_invocation_index) lid: u32,
                @builtin(workgroup_id) wid: vec3<u32>,
                @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = linear_workgroup(wid, nwg);
    let live = g < params[R_ITEMS];
    var it = Item(0, 0, 0u, 0u);
    var acc = identity();
    if (live) {
        it = item(params[R_FIRST] + g);
        acc = fold(it, it.r0 + lid, WG);
    }
    scratch[lid] = acc;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (lid < s) {
            scratch[lid] = combine(scratch[lid], scratch[lid + s]);
        }
        workgroupBarrier();
    }
    if (live && lid == 0u) {
        store(bitcast<u32>(it.out_elem), scratch[0]);
    }
}
