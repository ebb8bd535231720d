// strider: NumPy's floor_divide and remainder for i64 (pasted in when an
// expression calls them). Both divide the magnitudes in u64 and then fix
// the sign and the rounding direction (floor, not truncation; the
// remainder takes the divisor's sign), which needs no special case for
// MIN // -1 (it wraps to MIN, as NumPy's loop gives). Division by zero
// gives 0, as on the CPU (NumPy warns and gives 0).

fn idm_i64_magnitude(v: i64) -> u64 {
    return select(u64(v), u64(0) - u64(v), v < i64(0));
}

fn floor_divide_i64(a: i64, b: i64) -> i64 {
    if (b == i64(0)) {
        return i64(0);
    }
    let ua = idm_i64_magnitude(a);
    let ub = idm_i64_magnitude(b);
    let q = ua / ub;
    if ((a < i64(0)) == (b < i64(0))) {
        return i64(q);
    }
    // Opposite signs: the quotient is -q, less one when inexact.
    return i64(u64(0) - q - select(u64(0), u64(1), ua - q * ub != u64(0)));
}

fn remainder_i64(a: i64, b: i64) -> i64 {
    if (b == i64(0)) {
        return i64(0);
    }
    let ua = idm_i64_magnitude(a);
    let ub = idm_i64_magnitude(b);
    var r = ua - (ua / ub) * ub;
    if (r != u64(0) && ((a < i64(0)) != (b < i64(0)))) {
        r = ub - r;
    }
    // The remainder takes the divisor's sign.
    return select(i64(r), i64(u64(0) - r), b < i64(0));
}
