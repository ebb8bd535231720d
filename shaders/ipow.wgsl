// strider: integer power by squaring, wrapping on overflow as the CPU's
// loop does (pasted in when an expression calls `ipow`; C is the including
// kernel's compute type, a signed or unsigned integer). Negative exponents
// are refused on the host before a kernel runs; the loop is bounded so that
// one could never hang the device.
fn ipow(base: C, exponent: C) -> C {
    var acc = C(1);
    var b = base;
    var e = exponent;
    for (var i = 0u; i < 64u; i++) {
        if (e == C(0)) {
            break;
        }
        if ((e & C(1)) == C(1)) {
            acc = acc * b;
        }
        b = b * b;
        e = e >> 1u;
    }
    return acc;
}
