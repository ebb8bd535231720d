// strider: advanced-indexing gather into a fresh, dense result.
//
//   out[e] = src[table[e]]   for every element e of this dispatch
//
// `table` holds, for each element of the result in memory order, the
// element index of its source in `src`'s binding (computed on the host
// from the index arrays, which are bounds-checked there). One invocation
// per output word: a packed dtype (uint8, bool four to a word, bfloat16
// two) assembles its whole word, so no two invocations store the same
// word; lanes past the end of the result are written as 0 (the result is
// fresh memory, padding included).
//
// params, u32 words:
//   [0] output words in this dispatch
//   [1] elements in this dispatch (the last word may be partly past them)
{{ enables }}
const WG: u32 = {{ workgroup_size }}u;
const LANES: u32 = {{ lanes }}u;

{{ common }}

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read_write> out0: array<{{ out_word }}>;
@group(0) @binding(2) var<storage, read> src: array<{{ out_word }}>;
@group(0) @binding(3) var<storage, read> table: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let w = linear_invocation(gid, nwg, WG);
    if (w >= params[0]) {
        return;
    }
    let count = params[1];
{{ body }}
}
