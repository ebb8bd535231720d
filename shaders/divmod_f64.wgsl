// strider: NumPy's float floor_divide and remainder for f64, with an exact
// fmod (pasted in when an expression calls them; needs math_f64.wgsl, for
// m64_frexp and m64_nan, which the template step pastes in too).
//
// As divmod_f32.wgsl: fmod subtracts y * 2^k, each step exact, at most
// about 2,100 steps (the f64 exponent range). f64 has no bit access in
// WGSL without 64-bit integers, so exponents come from m64_frexp, infinity
// and NaN from comparisons (`ax <= MAX` is false for both), and the sign
// of zero from 1 / v.

// floor(log2(v)) for positive finite v.
fn dm64_exponent(v: f64) -> i32 {
    let f = m64_frexp(v);
    return i32(f.y) - select(0, 1, f.x < 1.0lf);
}

// Whether v is negative, -0 included.
fn dm64_negative(v: f64) -> bool {
    return v < 0.0lf || (v == 0.0lf && 1.0lf / v < 0.0lf);
}

fn fmod_f64(x: f64, y: f64) -> f64 {
    let ax = abs(x);
    let ay = abs(y);
    if (!(ax <= M64_MAXF) || !(ay == ay) || ay == 0.0lf) {
        return m64_nan(1.0lf + ay);
    }
    if (!(ax >= ay)) {
        return x;
    }
    var r = ax;
    let ey = dm64_exponent(ay);
    for (var i = 0; i < 2200 && r >= ay; i++) {
        // Scaled in two steps: 2^k alone overflows for k > 1023 (a
        // subnormal divisor and a large r), which gave garbage.
        let k = dm64_exponent(r) - ey;
        var t = ldexp(ldexp(ay, k / 2), k - k / 2);
        if (t > r) {
            t = t * 0.5lf;
        }
        r = r - t;
    }
    return select(r, -r, x < 0.0lf);
}

fn dm64_divmod(a: f64, b: f64) -> vec2<f64> {
    var m = fmod_f64(a, b);
    if (!(m == m)) {
        // NaN (see divmod_f32.wgsl).
        return vec2<f64>(m, m);
    }
    var div = (a - m) / b;
    if (m != 0.0lf) {
        if ((b < 0.0lf) != (m < 0.0lf)) {
            m = m + b;
            div = div - 1.0lf;
        }
    } else {
        m = select(0.0lf, -0.0lf, b < 0.0lf);
    }
    var q: f64;
    if (div != 0.0lf) {
        let f = floor(div);
        q = select(f, f + 1.0lf, div - f > 0.5lf);
    } else {
        q = select(0.0lf, -0.0lf, dm64_negative(a / b));
    }
    return vec2<f64>(q, m);
}

fn floor_divide_f64(a: f64, b: f64) -> f64 {
    if (b == 0.0lf) {
        return a / b;
    }
    return dm64_divmod(a, b).x;
}

fn remainder_f64(a: f64, b: f64) -> f64 {
    if (b == 0.0lf) {
        return m64_nan(1.0lf + abs(a));
    }
    return dm64_divmod(a, b).y;
}
