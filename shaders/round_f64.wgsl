// round_f64.wgsl: NumPy's round (half to even) for f64.
//
// WGSL's `round` is half-to-even by the spec, but lavapipe (Mesa 22.3,
// LLVM 15) lowers it for f64 to something else: round(1.5) gave 1 and
// round(-0.4) gave +0. This one uses only floor, comparisons and exact
// arithmetic (x - floor(x) is exact), and no `a + 2^52 - 2^52` trick, which
// a driver's algebraic rewrites may fold away. The sign comes from the bits
// of f32(x) (the conversion keeps it, even for -0.0 and values that
// underflow; naga has no bitcast of f64), and a negative zero is made from
// f32 bits, since a driver may fold `x * 0.0` to +0.
fn round_f64(x: f64) -> f64 {
    let a = abs(x);
    // NaN, infinities and |x| >= 2^52 (already integers) stay as they are.
    if (!(a < 4503599627370496.0)) {
        return x;
    }
    let negative = (bitcast<u32>(f32(x)) >> 31u) == 1u;
    // |x| < 0.5 rounds to a zero with x's sign.
    if (a < 0.5) {
        return select(f64(0.0), f64(bitcast<f32>(0x80000000u)), negative);
    }
    let f = floor(a);
    let d = a - f;
    let odd = floor(f * 0.5) * 2.0 != f;
    let r = select(f, f + 1.0, d > 0.5 || (d == 0.5 && odd));
    return select(r, -r, negative);
}
