// strider: NumPy's float floor_divide and remainder for f32 (f16 and
// bfloat16 go through f32 and round once, as on the CPU), with an exact
// fmod (pasted in when an expression calls them).
//
// WGSL's `%` on floats is x - y * trunc(x / y), which loses the remainder
// once the quotient has more bits than the format; fmod_f32 subtracts
// y * 2^k instead, k from the exponents, and each subtraction is exact
// (Sterbenz: t <= r < 2t), so the result is exact, as C's fmod. At most
// 280 steps (the exponent range); special values as C: NaN for x infinite,
// y zero or either NaN; x for y infinite. The sign tests and signed zeros
// use the bits, so no optimizer assumption about NaN or -0 changes them.
// Subnormal inputs are exact where the device keeps f32 subnormals.

fn dm32_is_finite(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

fn dm32_sign_bit(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x80000000u) != 0u;
}

// floor(log2(v)) for positive finite v, subnormals included.
fn dm32_exponent(v: f32) -> i32 {
    let bits = bitcast<u32>(v);
    let e = i32((bits >> 23u) & 0xffu);
    if (e == 0) {
        return 31 - i32(countLeadingZeros(bits)) - 149;
    }
    return e - 127;
}

fn fmod_f32(x: f32, y: f32) -> f32 {
    let ax = abs(x);
    let ay = abs(y);
    if (!dm32_is_finite(x) || is_nan_f32(y) || ay == 0.0) {
        return sqrt(-1.0 - ay);
    }
    if (!(ax >= ay)) {
        return x;
    }
    var r = ax;
    let ey = dm32_exponent(ay);
    // |y| = ym * 2^ye from its bits (integer significand ym < 2^24), so a
    // subnormal divisor is exact even where the device flushes subnormal
    // operands of arithmetic.
    let ybits = bitcast<u32>(ay);
    let ybe = (ybits >> 23u) & 0xffu;
    let ym = f32(select((ybits & 0x7fffffu) | 0x800000u, ybits & 0x7fffffu, ybe == 0u));
    let ye = select(i32(ybe) - 150, -149, ybe == 0u);
    for (var i = 0; i < 300 && r >= ay; i++) {
        // t = |y| * 2^(exponent(r) - ey), scaled in two steps: one factor
        // 2^k may overflow (|y| subnormal, r large) and neither half
        // leaves the normal range.
        let k = dm32_exponent(r) - ey + ye;
        var t = ldexp(ldexp(ym, k / 2), k - k / 2);
        if (t > r) {
            t = t * 0.5;
        }
        r = r - t;
    }
    return select(r, -r, dm32_sign_bit(x));
}

// NumPy's divmod: (floor quotient, remainder with the divisor's sign).
fn dm32_divmod(a: f32, b: f32) -> vec2<f32> {
    var m = fmod_f32(a, b);
    if (is_nan_f32(m)) {
        // `!=` compiles to an ordered comparison (false for NaN): NaN
        // takes its own path, as it does through the CPU's formula.
        return vec2<f32>(m, m);
    }
    var div = (a - m) / b;
    if (m != 0.0) {
        if (dm32_sign_bit(b) != dm32_sign_bit(m)) {
            m = m + b;
            div = div - 1.0;
        }
    } else {
        m = bitcast<f32>(bitcast<u32>(b) & 0x80000000u);
    }
    var q: f32;
    if (div != 0.0) {
        let f = floor(div);
        q = select(f, f + 1.0, div - f > 0.5);
    } else {
        q = bitcast<f32>(bitcast<u32>(a / b) & 0x80000000u);
    }
    return vec2<f32>(q, m);
}

fn floor_divide_f32(a: f32, b: f32) -> f32 {
    if (b == 0.0) {
        return a / b;
    }
    return dm32_divmod(a, b).x;
}

fn remainder_f32(a: f32, b: f32) -> f32 {
    if (b == 0.0) {
        return sqrt(-1.0 - abs(a));
    }
    return dm32_divmod(a, b).y;
}
