// strider: NumPy's floor_divide and remainder for i32 (pasted in when an
// expression calls them). Both divide the magnitudes in u32 and then fix
// the sign and the rounding direction (floor, not truncation; the
// remainder takes the divisor's sign), which needs no special case for
// MIN // -1 (it wraps to MIN, as NumPy's loop gives). Division by zero
// gives 0, as on the CPU (NumPy warns and gives 0).

fn idm_i32_magnitude(v: i32) -> u32 {
    return select(u32(v), u32(0) - u32(v), v < i32(0));
}

fn floor_divide_i32(a: i32, b: i32) -> i32 {
    if (b == i32(0)) {
        return i32(0);
    }
    let ua = idm_i32_magnitude(a);
    let ub = idm_i32_magnitude(b);
    let q = ua / ub;
    if ((a < i32(0)) == (b < i32(0))) {
        return i32(q);
    }
    // Opposite signs: the quotient is -q, less one when inexact.
    return i32(u32(0) - q - select(u32(0), u32(1), ua - q * ub != u32(0)));
}

fn remainder_i32(a: i32, b: i32) -> i32 {
    if (b == i32(0)) {
        return i32(0);
    }
    let ua = idm_i32_magnitude(a);
    let ub = idm_i32_magnitude(b);
    var r = ua - (ua / ub) * ub;
    if (r != u32(0) && ((a < i32(0)) != (b < i32(0)))) {
        r = ub - r;
    }
    // The remainder takes the divisor's sign.
    return select(i32(r), i32(u32(0) - r), b < i32(0));
}
