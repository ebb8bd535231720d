// strider: N-ary elementwise kernel for a packed output dtype (uint8 and
// bool four to a u32 word, bfloat16 two), one output WORD per invocation.
//
// Each invocation owns a whole output word, so no two invocations write the
// same word and no atomics are needed. That needs a contiguous output (C
// order over the op shape, any element offset); lanes of the word outside
// this dispatch's logical range keep their old bytes. A strided packed
// output is the caller's job (compute into a contiguous temporary, then
// scatter).
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
const STEPS = array<u32, NOPS>({{ steps }});
const LANES: u32 = {{ lanes }}u;
const LANE_BITS: u32 = 32u / LANES;
const LANE_MASK: u32 = (1u << LANE_BITS) - 1u;

{{ common }}
{{ strided_index }}

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read_write> out0: array<u32>;
{{ bindings }}

fn value_at(idx: array<i32, NOPS>) -> C {
{{ loads }}
    return {{ expr }};
}

// The output element's lane bits of value v.
fn lane_bits(v: C) -> u32 {
    return {{ store }};
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = linear_invocation(gid, nwg, WG);
    if (t >= params[P_THREADS]) {
        return;
    }
    let w = params[P_WORD0] + t;
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
            let bits = lane_bits(value_at(operand_indices(start + rel)));
            let shift = j * LANE_BITS;
            word = (word & ~(LANE_MASK << shift)) | ((bits & LANE_MASK) << shift);
        }
    }
    out0[w] = word;
}
