// strider: helpers shared by every kernel (pasted in at the `common` placeholder).
//
// Packed dtypes live in u32 words: bool, int8 and uint8 four to a word
// (element e is byte e % 4 of word e / 4, little-endian); int16, uint16 and
// bfloat16 two to a word (element e is half e % 2; a bfloat16 is the upper
// 16 bits of the f32 with the same sign and exponent).

// Linear invocation index on a 1-D or 2-D grid: grids with more than the
// adapter's max workgroups per dimension use the y dimension for the rest.
fn linear_invocation(gid: vec3<u32>, nwg: vec3<u32>, wg: u32) -> u32 {
    return gid.x + gid.y * nwg.x * wg;
}

// Linear workgroup index on a 1-D or 2-D grid.
fn linear_workgroup(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.x + wid.y * nwg.x;
}

// Byte e % 4 of a word holding four uint8 or bool elements.
fn unpack_u8(word: u32, e: u32) -> u32 {
    return (word >> ((e & 3u) * 8u)) & 0xffu;
}

// Byte e % 4 of a word holding four int8 elements, sign-extended.
fn unpack_i8(word: u32, e: u32) -> i32 {
    return (bitcast<i32>(word << ((3u - (e & 3u)) * 8u))) >> 24u;
}

// Half e % 2 of a word holding two uint16 elements.
fn unpack_u16(word: u32, e: u32) -> u32 {
    return (word >> ((e & 1u) * 16u)) & 0xffffu;
}

// Half e % 2 of a word holding two int16 elements, sign-extended.
fn unpack_i16(word: u32, e: u32) -> i32 {
    return (bitcast<i32>(word << ((1u - (e & 1u)) * 16u))) >> 16u;
}

// Half e % 2 of a word holding two bfloat16 elements, widened to f32.
fn unpack_bf16(word: u32, e: u32) -> f32 {
    return bitcast<f32>(((word >> ((e & 1u) * 16u)) & 0xffffu) << 16u);
}

// f32 -> bfloat16 bits, rounding to nearest even; NaN stays a quiet NaN.
fn pack_bf16(v: f32) -> u32 {
    let bits = bitcast<u32>(v);
    if ((bits & 0x7fffffffu) > 0x7f800000u) {
        return ((bits >> 16u) | 0x40u) & 0xffffu;
    }
    let rounded = bits + 0x7fffu + ((bits >> 16u) & 1u);
    return rounded >> 16u;
}

// NaN tests on the bits: WGSL lets implementations assume `x != x` is false.
fn is_nan_f32(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// v rounded to the nearest bfloat16 (ties to even), as an f32: what a
// bfloat16 loop (computed in f32) gives before it is cast to a wider output.
fn round_bf16(v: f32) -> f32 {
    return bitcast<f32>(pack_bf16(v) << 16u);
}
