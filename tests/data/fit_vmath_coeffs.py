#!/usr/bin/env python3
"""Fit the polynomial coefficients used by src/cpu/vmath.rs (strider).

Every polynomial is a near-minimax fit obtained by interpolating the
target function at Chebyshev nodes (mpmath.chebyfit) at 80 decimal digits,
then rounding each coefficient to the working precision (f32 or f64).
The script prints the coefficients (lowest degree first, as Rust literals)
and the maximum approximation error of the *rounded* polynomial, measured
on a dense grid in exact arithmetic. Evaluation rounding errors are not
included here; the unit tests in vmath.rs measure the end-to-end error.

Usage: python3 fit_vmath_coeffs.py   (needs mpmath only)
"""
import struct
import mpmath as mp

mp.mp.dps = 80


def to_f32(v):
    return struct.unpack("<f", struct.pack("<f", float(v)))[0]


def to_f64(v):
    return float(v)


def fit(f, a, b, ncoef, rnd):
    """Coefficients c0..c_{n-1} (lowest first) of a near-minimax fit of f on [a, b]."""
    poly, _err = mp.chebyfit(f, [a, b], ncoef, error=True)
    return [rnd(c) for c in reversed(poly)]


def horner(cs, t):
    acc = mp.mpf(0)
    for c in reversed(cs):
        acc = acc * t + mp.mpf(c)
    return acc


def grid(a, b, n=4001):
    return [a + (b - a) * mp.mpf(i) / (n - 1) for i in range(n)]


def report(name, cs, err, kind):
    print(f"// {name}: max relative approximation error {mp.nstr(err, 3)}"
          f" = 2^{mp.nstr(mp.log(err, 2), 4)}")
    for i, c in enumerate(cs):
        if kind == "f32":
            print(f"    {c!r:>24}_f32, // c{i}  bits 0x{struct.unpack('<I', struct.pack('<f', c))[0]:08x}")
        else:
            print(f"    {c!r:>24}_f64, // c{i}")
    print()


LN2 = mp.log(2)


def q_exp(r):
    # (e^r - 1 - r) / r^2, via its series near 0 to avoid cancellation
    if abs(r) < mp.mpf("1e-20"):
        return mp.mpf(1) / 2 + r / 6
    return (mp.exp(r) - 1 - r) / r**2


def exp_fit(ncoef, rnd, kind):
    h = LN2 / 2 * mp.mpf("1.0001")
    cs = fit(q_exp, -h, h, ncoef, rnd)
    err = max(abs((1 + r + r * r * horner(cs, r)) / mp.exp(r) - 1) for r in grid(-h, h))
    report(f"exp {kind}: e^r ~ 1 + r + r^2*Q(r), |r| <= ln2/2, Q has {ncoef} coefs", cs, err, kind)


def p_ln(f):
    # (ln(1+f) - f + f^2/2) / f^3
    if abs(f) < mp.mpf("1e-20"):
        return mp.mpf(1) / 3 - f / 4
    return (mp.log1p(f) - f + f * f / 2) / f**3


def ln32_fit(ncoef):
    a, b = mp.sqrt(mp.mpf(1) / 2) - 1, mp.sqrt(2) - 1
    a, b = a * mp.mpf("1.0001"), b * mp.mpf("1.0001")
    cs = fit(p_ln, a, b, ncoef, to_f32)
    err = max(abs((f - f * f / 2 + f**3 * horner(cs, f)) / mp.log1p(f) - 1)
              for f in grid(a, b) if f != 0)
    report(f"ln f32: ln(1+f) ~ f - f^2/2 + f^3*P(f), f in [sqrt(1/2)-1, sqrt(2)-1], {ncoef} coefs",
           cs, err, "f32")


def t_ln(z):
    # ln(1+f) = 2 atanh(s) = 2s + s*R(z), z = s^2, R(z) = z*T(z): T(z) = (2atanh(s)-2s)/(s z)
    if z < mp.mpf("1e-30"):
        return mp.mpf(2) / 3 + 2 * z / 5
    s = mp.sqrt(z)
    return (2 * mp.atanh(s) - 2 * s) / (s * z)


def ln64_fit(ncoef):
    smax = (mp.sqrt(2) - 1) / (mp.sqrt(2) + 1) * mp.mpf("1.0001")
    zmax = smax**2
    cs = fit(t_ln, mp.mpf(0), zmax, ncoef, to_f64)
    err = 0
    for s in grid(mp.mpf("1e-6"), smax):
        z = s * s
        err = max(err, abs((2 * s + s * z * horner(cs, z)) / (2 * mp.atanh(s)) - 1))
    report(f"ln f64: ln((1+s)/(1-s)) ~ 2s + s*z*T(z), z=s^2 <= {mp.nstr(zmax, 6)}, {ncoef} coefs",
           cs, err, "f64")


def s_sin(z):
    # (sin(r) - r) / r^3 as a function of z = r^2
    if z < mp.mpf("1e-30"):
        return -mp.mpf(1) / 6 + z / 120
    r = mp.sqrt(z)
    return (mp.sin(r) - r) / (r * z)


def c_cos(z):
    # (cos(r) - 1 + z/2) / z^2
    if z < mp.mpf("1e-30"):
        return mp.mpf(1) / 24 - z / 720
    r = mp.sqrt(z)
    return (mp.cos(r) - 1 + z / 2) / (z * z)


def sincos_fit(ns, nc, rmax):
    zmax = rmax**2
    sc = fit(s_sin, mp.mpf(0), zmax, ns, to_f64)
    cc = fit(c_cos, mp.mpf(0), zmax, nc, to_f64)
    es = ec = 0
    for r in grid(mp.mpf("1e-8"), rmax):
        z = r * r
        es = max(es, abs((r + r * z * horner(sc, z)) / mp.sin(r) - 1))
        ec = max(ec, abs((1 - z / 2 + z * z * horner(cc, z)) / mp.cos(r) - 1))
    report(f"sin: sin r ~ r + r^3*S(r^2), |r| <= {mp.nstr(rmax, 6)}, {ns} coefs", sc, es, "f64")
    report(f"cos: cos r ~ 1 - r^2/2 + r^4*C(r^2), |r| <= {mp.nstr(rmax, 6)}, {nc} coefs", cc, ec, "f64")


def t_tanh(z):
    # (tanh(x) - x) / x^3 as a function of z = x^2
    if z < mp.mpf("1e-30"):
        return -mp.mpf(1) / 3 + 2 * z / 15
    r = mp.sqrt(z)
    return (mp.tanh(r) - r) / (r * z)


def tanh_fit(ncoef, rnd, kind, rmax=mp.mpf("0.55")):
    cs = fit(t_tanh, mp.mpf(0), rmax**2, ncoef, rnd)
    err = max(abs((r + r**3 * horner(cs, r * r)) / mp.tanh(r) - 1)
              for r in grid(mp.mpf("1e-8"), rmax))
    report(f"tanh {kind}: tanh x ~ x + x^3*P(x^2), |x| <= {mp.nstr(rmax, 4)}, {ncoef} coefs",
           cs, err, kind)


def round_bits(v, bits):
    """v rounded to `bits` significant bits."""
    e = mp.floor(mp.log(abs(v), 2))
    q = mp.mpf(2) ** (e - bits + 1)
    return mp.nint(v / q) * q


def split_constants():
    ln2 = mp.log(2)
    h = round_bits(ln2, 16)
    print(f"LN2_HI_F32 = {to_f32(h)!r}  LN2_LO_F32 = {to_f32(ln2 - h)!r}")
    h = round_bits(ln2, 42)
    print(f"LN2_HI_F64 = {to_f64(h)!r}  LN2_LO_F64 = {to_f64(ln2 - h)!r}")
    pio2 = mp.pi / 2
    p1 = round_bits(pio2, 33)
    p2 = round_bits(pio2 - p1, 33)
    p3 = round_bits(pio2 - p1 - p2, 33)
    print(f"PIO2_1 = {to_f64(p1)!r}  PIO2_1T = {to_f64(pio2 - p1)!r}")
    print(f"PIO2_2 = {to_f64(p2)!r}  PIO2_3 = {to_f64(p3)!r}  PIO2_4 = {to_f64(pio2 - p1 - p2 - p3)!r}")
    print()


if __name__ == "__main__":
    # The fits used by vmath.rs (f32 coefficients print with their f64
    # expansion; the Rust source uses the shortest f32 literal of each).
    split_constants()
    exp_fit(6, to_f32, "f32")
    exp_fit(10, to_f64, "f64")
    ln32_fit(9)
    ln64_fit(7)
    tanh_fit(5, to_f32, "f32")
    tanh_fit(11, to_f64, "f64")
    rmax = mp.pi / 4 * mp.mpf("1.001")
    sincos_fit(4, 4, rmax)  # f32 sin/cos (evaluated in f64)
    sincos_fit(7, 6, rmax)  # f64 sin/cos
