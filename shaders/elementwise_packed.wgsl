// strider: N-ary elementwise kernel for a packed output dtype (uint8 and
// bool four to a u32 word, bfloat16 two), one output WORD per invocation.
//
// Each invocation owns a whole output word: it loads the word (when some
// lanes are not its to change), merges in the lanes it computes, and
// stores the word once. No two invocations store the same word, so no
// atomics are needed, and lanes that are not elements of the output view
// keep their old bytes. Two variants:
//
// SCATTER = false, a dense output (C order over the op shape, any element
// offset): lane j of word w is logical index w * LANES + j - offset; lanes
// outside this dispatch's logical range are kept.
//
// SCATTER = true, any other output layout, which the host has put in
// canonical form: strides positive and decreasing and *nested*, each
// stride larger than the span of all axes after it,
//   stride[d] > sum over e > d of (shape[e] - 1) * stride[e],
// so an element's position p relative to the view's first element has one
// decomposition p = sum c[d] * stride[d] with 0 <= c[d] < shape[d], found
// greedily from the outermost axis, and position order is C order. A lane
// whose position has no such decomposition is not in the view. One
// invocation per word of the view's extent: words without an element of
// the view are neither loaded nor stored.
//
// An input aliased to the output (variant suffix `_a{k}`) is loaded from
// out0: it is the output element for element, so an invocation reads only
// the words it owns, all before it stores its word (the loads read out0,
// not the `word` being assembled).
{{ enables }}
alias C = {{ compute }};
const WG: u32 = {{ workgroup_size }}u;
const NOPS: u32 = {{ n_ops }}u;
const STRIDED: bool = {{ strided }};
const SCATTER: bool = {{ scatter }};
const STEPS = array<u32, NOPS>({{ steps }});
const LANES: u32 = {{ lanes }}u;
const LANE_BITS: u32 = 32u / LANES;
const LANE_MASK: u32 = (1u << LANE_BITS) - 1u;

{{ common }}
{{ helpers }}
{{ strided_index }}

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read_write> out0: array<u32>;
{{ bindings }}

// value_of(r0, ...): the op on raw input values; value_at(idx): the op
// on the inputs at their element indices.
{{ value }}
// The output element's lane bits of value v.
fn lane_bits(v: C) -> u32 {
    return {{ store }};
}

fn merge(word: u32, j: u32, v: C) -> u32 {
    let shift = j * LANE_BITS;
    return (word & ~(LANE_MASK << shift)) | ((lane_bits(v) & LANE_MASK) << shift);
}

// Dense output: word w holds logical indices w * LANES - offset + j.
fn store_dense(w: u32) {
    let start = params[P_START];
    let count = params[P_COUNT];
    // Logical index of lane 0, relative to this dispatch's start (wrapping:
    // lanes before the start come out huge and fail `rel < count`).
    let out_offset = params[operand_base(0u, params[P_RANK])];
    let rel0 = w * LANES - out_offset - start;
    var word = 0u;
    if (count < LANES || rel0 > count - LANES) {
        word = out0[w]; // only partly ours: keep the other lanes
    }
    for (var j = 0u; j < LANES; j++) {
        let rel = rel0 + j;
        if (rel < count) {
            word = merge(word, j, value_at(operand_indices(start + rel)));
        }
    }
    out0[w] = word;
}

// A lane of a scattered output: whether it is an element of the view, and
// then every operand's element index at its multi-index.
struct Slot {
    hit: bool,
    idx: array<i32, NOPS>,
}

// The lane at position p relative to the view's first element (wrapping:
// lanes before it come out huge and exceed the extent).
fn scatter_slot(p: u32) -> Slot {
    let rank = params[P_RANK];
    var idx: array<i32, NOPS>;
    for (var k = 0u; k < NOPS; k++) {
        idx[k] = bitcast<i32>(params[operand_base(k, rank)]);
    }
    if (p > params[P_EXTENT]) {
        return Slot(false, idx);
    }
    let out_strides = operand_base(0u, rank) + 1u;
    var r = p;
    for (var d = 0u; d < rank; d++) {
        let s = params[out_strides + d];
        let c = r / s;
        if (c >= params[P_HEADER + d]) {
            return Slot(false, idx);
        }
        r -= c * s;
        for (var k = 0u; k < NOPS; k++) {
            idx[k] += bitcast<i32>(c) * bitcast<i32>(params[operand_base(k, rank) + 1u + d]);
        }
    }
    return Slot(r == 0u, idx);
}

// Scattered output: word w (relative to the output's binding, whose view
// starts at element out_offset) holds positions w * LANES + j - out_offset.
fn store_scattered(w: u32) {
    let p0 = w * LANES - params[operand_base(0u, params[P_RANK])];
    var word = 0u;
    var mine = false;
    for (var j = 0u; j < LANES; j++) {
        let slot = scatter_slot(p0 + j);
        if (slot.hit) {
            if (!mine) {
                word = out0[w]; // keep the lanes outside the view
                mine = true;
            }
            word = merge(word, j, value_at(slot.idx));
        }
    }
    if (mine) {
        out0[w] = word;
    }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = linear_invocation(gid, nwg, WG);
    if (t >= params[P_THREADS]) {
        return;
    }
    let w = params[P_WORD0] + t;
    if (SCATTER) {
        store_scattered(w);
    } else {
        store_dense(w);
    }
}
