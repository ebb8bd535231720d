// strider: element indices of every operand of an elementwise launch
// (pasted in at the `strided_index` placeholder). Needs the constants NOPS,
// STRIDED and STEPS and the `params` binding of the including kernel.
//
// params, u32 words (i32 values stored as their bits):
//   [0] invocations in this dispatch
//   [1] first logical (C-order) index of this dispatch
//   [2] logical indices in this dispatch
//   [3] rank R (the contiguous variant uses R = 1; its strides are unused)
//   [4] packed outputs: first output word of this dispatch (relative to
//       the output's binding; may wrap below 0 when the first words of a
//       scattered dispatch hold no element of the view)
//   [5] scattered packed outputs: the view's extent, the largest element
//       position relative to its first element (see elementwise_packed)
//   [6] unused (0)
//   [7] always 0: generated expression code reads it as a zero the
//       shader compiler cannot know (src/expr/gpu.rs)
//   [8 .. 8+R) shape
//   then for each operand k (0 = output, 1.. = inputs), R + 1 words:
//     element offset from the start of its binding, then R strides in
//     elements (0 for broadcast axes, negative for reversed axes).
// Offsets and strides wrap modulo 2^32: only the final index must be in
// range, which the host checks before launching.

const P_THREADS: u32 = 0u;
const P_START: u32 = 1u;
const P_COUNT: u32 = 2u;
const P_RANK: u32 = 3u;
const P_WORD0: u32 = 4u;
const P_EXTENT: u32 = 5u;
const P_HEADER: u32 = 8u;

fn operand_base(k: u32, rank: u32) -> u32 {
    return P_HEADER + rank + k * (rank + 1u);
}

// Element index of each operand at logical index i.
fn operand_indices(i: u32) -> array<i32, NOPS> {
    let rank = params[P_RANK];
    var idx: array<i32, NOPS>;
    for (var k = 0u; k < NOPS; k++) {
        idx[k] = bitcast<i32>(params[operand_base(k, rank)]);
    }
    if (STRIDED) {
        var rem = i;
        for (var d = rank; d > 0u; d--) {
            let n = params[P_HEADER + d - 1u];
            let c = bitcast<i32>(rem % n);
            rem = rem / n;
            for (var k = 0u; k < NOPS; k++) {
                idx[k] += c * bitcast<i32>(params[operand_base(k, rank) + d]);
            }
        }
    } else {
        // Contiguous: operand k steps by STEPS[k], 1 (dense) or 0 (a
        // broadcast scalar), baked into the variant so that loads of dense
        // operands are visibly consecutive across invocations.
        for (var k = 0u; k < NOPS; k++) {
            idx[k] += bitcast<i32>(i * STEPS[k]);
        }
    }
    return idx;
}
