// strider: contiguous elementwise kernel with wide loads, four consecutive
// elements per invocation.
//
//   out[4q + j] = convert_out(expr(in0[4q + j], in1[4q + j], ...)), j < 4
//
// Every dense operand (the output included) is bound as an array of vec4
// and read or written one vec4 at a time: the host picks this variant only
// when the output and every input have unpacked dtypes, every dense
// operand's element offset is a multiple of 4, and it covers whole groups
// of four (a remainder of 1 to 3 elements goes to the scalar contiguous
// kernel). A broadcast scalar input (variant suffix `_b{k}`) is bound as a
// plain array and read once. An input aliased to the output (`_a{k}`) is
// read from out0 at its own offset: the output itself (`x += y`), or a
// dense range no invocation writes.
//
// params, u32 words (the contiguous layout of strided_index.wgsl, rank 1):
//   [0] invocations (vec4 groups) in this dispatch
//   [1] first vec4 group of this dispatch
//   [8] logical elements (unused here)
//   then for each operand k (0 = output): element offset from the start of
//   its binding, then its step (unused here: 1, or 0 for `_b{k}` inputs).
{{ enables }}
alias C = {{ compute }};
const WG: u32 = {{ workgroup_size }}u;
const P_THREADS: u32 = 0u;
const P_START: u32 = 1u;
const P_HEADER: u32 = 8u;

{{ common }}
{{ helpers }}

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read_write> out0: array<vec4<{{ out_word }}>>;
{{ bindings }}

// Word index of operand k's element offset (rank 1: one shape word).
fn operand_base(k: u32) -> u32 {
    return P_HEADER + 1u + k * 2u;
}

// value_of(r0, ...): the op on raw input values.
{{ value }}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = linear_invocation(gid, nwg, WG);
    if (t >= params[P_THREADS]) {
        return;
    }
    let q = params[P_START] + t;
{{ loads }}
    var o: vec4<{{ out_word }}>;
    for (var j = 0u; j < 4u; j++) {
        o[j] = {{ store }};
    }
    out0[(params[operand_base(0u)] >> 2u) + q] = o;
}
