// strider: 64-bit integers to f32 with round-to-odd (pasted in when an
// expression calls them), for conversions to bfloat16: rounding that f32
// once more, to nearest even, rounds the integer correctly, where `f32(v)`
// then bfloat16 would round twice (2^63 + 2^55 + 1 gave 2^63 instead of
// 2^63 + 2^56). The result is exact up to 24 significant bits; beyond, the
// top 24 bits with the last one set when any bit below them is.

fn u64_to_f32_odd(m: u64) -> f32 {
    let hi = u32(m >> 32u);
    let lo = u32(m & u64(0xffffffffu));
    var bits = 32u - countLeadingZeros(lo);
    if (hi != 0u) {
        bits = 64u - countLeadingZeros(hi);
    }
    if (bits <= 24u) {
        return f32(lo);
    }
    let shift = bits - 24u;
    let top = u32(m >> shift);
    let sticky = select(0u, 1u, (m & ((u64(1) << shift) - u64(1))) != u64(0));
    // top | sticky has at most 24 bits: exact in f32, as is the scaling.
    return ldexp(f32(top | sticky), i32(shift));
}

fn i64_to_f32_odd(v: i64) -> f32 {
    let m = select(u64(v), u64(0) - u64(v), v < i64(0));
    let f = u64_to_f32_odd(m);
    return select(f, -f, v < i64(0));
}
