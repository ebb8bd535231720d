// strider: advanced-indexing assignment on the device, `x[index] = value`.
//
// The host turns the index into entries (destination element, source
// element), keeps only the last entry for each destination element (NumPy:
// the last write wins), sorts them by destination and groups them into
// segments, one per destination word: one element of an unpacked dtype, or
// the up to four (two) elements of a packed word. One invocation per
// segment stores its word once, keeping lanes that no entry names, so no
// two invocations store the same word and no atomics are needed. Values
// are converted to the destination's dtype (NumPy's unsafe cast).
//
// params, u32 words:
//   [0] segments
//
// entries[k] = (destination element, source element), element indices
// from the start of the bindings; starts[s]..starts[s + 1] are segment
// s's entries.
{{ enables }}
const WG: u32 = {{ workgroup_size }}u;
const LANES: u32 = {{ lanes }}u;

{{ common }}

{{ helpers }}

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<{{ dst_word }}>;
@group(0) @binding(2) var<storage, read> src: array<{{ src_word }}>;
@group(0) @binding(3) var<storage, read> entries: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read> starts: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let s = linear_invocation(gid, nwg, WG);
    if (s >= params[0]) {
        return;
    }
    let first = starts[s];
    let last = starts[s + 1u];
{{ body }}
}
