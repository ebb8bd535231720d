// strider: N-ary elementwise kernel, one output element per invocation.
//
//   out[i] = convert_out(expr(convert(in0[i]), convert(in1[i]), ...))
//
// for every logical index i of the op shape, where each operand (the output
// included) is read or written at its own strides and element offset from
// the params buffer, so any view is used in place. Inputs are converted to
// the compute type C on load; the result is converted to the output dtype
// on store. Outputs whose dtype is packed (uint8, bool, bfloat16) use
// elementwise_packed.wgsl instead.
//
// Variants: STRIDED = true does the index math over the shape; STRIDED =
// false is the contiguous fast path (each operand steps by 1 or 0). An
// input aliased to the output (variant suffix `_a{k}`: an input on the
// output's buffer) has no binding of its own and is loaded from out0 at its
// own offset and strides. The host aliases only inputs for which that is
// safe in any order: the output's own elements (as in `x += y`; each
// invocation reads the element it then writes) or elements that no
// invocation writes (`x[:n] += x[n:]`).
{{ enables }}
alias C = {{ compute }};
const WG: u32 = {{ workgroup_size }}u;
const NOPS: u32 = {{ n_ops }}u;
const STRIDED: bool = {{ strided }};
const STEPS = array<u32, NOPS>({{ steps }});

{{ common }}
{{ helpers }}
{{ strided_index }}

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read_write> out0: array<{{ out_word }}>;
{{ bindings }}

// value_of(r0, ...): the op on raw input values; value_at(idx): the op
// on the inputs at their element indices.
{{ value }}
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = linear_invocation(gid, nwg, WG);
    if (t >= params[P_THREADS]) {
        return;
    }
    let idx = operand_indices(params[P_START] + t);
    let v = value_at(idx);
    out0[u32(idx[0])] = {{ store }};
}
