#!/usr/bin/env python3
"""Generate vmath_ref_f64.txt: 60-digit reference values for the f64
functions of strider's src/cpu/vmath.rs (exp, ln, tanh, sin, cos).

Needs mpmath (tested with 1.3). Deterministic (fixed seed). Output format:

    @name                       starts the section of function `name`
    X HI LO [SUB]               one case per line, all fields hex f64 bit
                                patterns:
      X   the argument;
      HI  the exact result rounded to nearest f64 (inf if it overflows);
      LO  the remainder exact - HI rounded to 24 bits (a double-double
          HI + LO, accurate far beyond what an ulp measure needs); trailing
          zero hex digits are omitted (the reader pads on the right to 16);
      SUB only when HI is subnormal or zero and the remainder is below the
          f64 range: (exact - HI) / 2^-1074, rounded to 24 bits.

Usage: python3 gen_vmath_ref.py > vmath_ref_f64.txt
"""
import math
import random
import struct
import sys

import mpmath as mp

DPS = 60
N_PER_FUNCTION = 1800
MAX = mp.mpf(sys.float_info.max)
HALF_ULP_MAX = mp.mpf(2) ** 970
TINY = mp.mpf(2) ** -1022
SUB_ULP = mp.mpf(2) ** -1074
SIN_COS_LIMIT = 2.0**20

rng = random.Random(20240611)


def bits(v):
    return struct.unpack("<Q", struct.pack("<d", v))[0]


def hex16(v):
    return f"{bits(v):016x}"


def short_hex(v):
    h = hex16(v).rstrip("0")
    return h if h else "0"


def round_prec(v, prec):
    with mp.workprec(prec):
        return +v


def to_f64(v):
    """Correctly rounded f64 of an mpf (no double rounding for subnormals)."""
    if mp.isnan(v):
        return math.nan
    if mp.isinf(v):
        return math.inf if v > 0 else -math.inf
    a = abs(v)
    if a >= MAX + HALF_ULP_MAX:
        return math.inf if v > 0 else -math.inf
    if a < TINY:
        k = mp.nint(v / SUB_ULP)  # ties to even
        return float(k * SUB_ULP)
    return float(round_prec(v, 53))


def reference(func, x):
    """func(x) to DPS digits (more working precision for big sin/cos args)."""
    xm = mp.mpf(x)  # exact
    extra = max(0, int(mp.log(abs(xm), 2)) if xm != 0 else 0)
    with mp.workdps(DPS + 20 + extra // 3):
        v = func(xm)
    with mp.workdps(DPS):
        return +v


def line(func, x):
    v = reference(func, x)
    hi = to_f64(v)
    if math.isinf(hi):
        return f"{hex16(x)} {hex16(hi)} 0"
    with mp.workdps(DPS):
        rem = v - mp.mpf(hi)
    lo = float(round_prec(rem, 24)) if rem != 0 else 0.0
    out = f"{hex16(x)} {hex16(hi)} {short_hex(lo)}"
    if abs(hi) < sys.float_info.min and rem != 0:
        frac = float(round_prec(rem / SUB_ULP, 24))
        out += f" {short_hex(frac)}"
    return out


def uni(lo, hi):
    return rng.uniform(lo, hi)


def logu(lo, hi, signed=True):
    """Log-uniform magnitude in [lo, hi], random sign if `signed`."""
    v = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    return -v if signed and rng.random() < 0.5 else v


def nudge(x, k):
    """x moved by k ulps."""
    b = bits(x)
    if x >= 0:
        b += k
    else:
        b -= k
    return struct.unpack("<d", struct.pack("<Q", b))[0]


def random_positive_double():
    b = rng.randrange(1, 0x7FEFFFFFFFFFFFFF)
    return struct.unpack("<d", struct.pack("<Q", b))[0]


def exp_inputs():
    xs = []
    xs += [uni(-745.2, 709.8) for _ in range(300)]
    xs += [uni(-1, 1) for _ in range(200)]
    xs += [logu(1e-20, 700) for _ in range(200)]
    xs += [uni(700, 709.78) for _ in range(100)]
    ln_max = float(mp.log(MAX))
    xs += [nudge(ln_max, k) for k in range(-25, 26)]  # straddles overflow
    xs += [uni(-745.2, -708.3) for _ in range(250)]  # subnormal results
    xs += [uni(-746.0, -744.0) for _ in range(50)]   # round to 0 / 2^-1074
    xs += [logu(1e-320, 1e-10) for _ in range(100)]  # tiny, incl. subnormal args
    ln2 = float(mp.log(2))
    for _ in range(200):  # around the rounding boundaries of n = x/ln2
        k = rng.randrange(-1070, 1020)
        xs.append(nudge((k + 0.5) * ln2, rng.randrange(-4, 5)))
    while len(xs) < N_PER_FUNCTION:
        xs.append(uni(-20, 20))
    return xs


def ln_inputs():
    xs = []
    xs += [random_positive_double() for _ in range(500)]
    xs += [struct.unpack("<d", struct.pack("<Q", rng.randrange(1, 1 << 52)))[0] for _ in range(100)]
    xs += [uni(0.5, 2.0) for _ in range(300)]
    xs += [1.0 + logu(1e-17, 1e-3) for _ in range(300)]
    s2 = math.sqrt(2.0)
    for _ in range(200):  # around the m = sqrt(2) split
        k = rng.randrange(-1000, 1000)
        xs.append(nudge(math.ldexp(s2, k), rng.randrange(-3, 4)))
    while len(xs) < N_PER_FUNCTION:
        xs.append(uni(0.0, 100.0))
    return xs


def tanh_inputs():
    xs = []
    xs += [uni(-20, 20) for _ in range(400)]
    xs += [logu(1e-310, 25) for _ in range(300)]
    xs += [uni(0.3, 0.4) * rng.choice((-1, 1)) for _ in range(300)]
    xs += [uni(0.15, 0.8) for _ in range(200)]
    xs += [uni(17.0, 20.0) for _ in range(200)]
    while len(xs) < N_PER_FUNCTION:
        xs.append(uni(-2, 2))
    return xs


def sincos_inputs():
    xs = []
    xs += [uni(-10, 10) for _ in range(300)]
    xs += [logu(1e-310, 1e6) for _ in range(300)]
    with mp.workdps(80):
        for _ in range(500):  # closest doubles to multiples of pi/2
            k = int(logu(1, 667000, signed=False))
            x = float(round_prec(k * mp.pi / 2, 53))
            xs.append(nudge(x, rng.randrange(-2, 3)) * rng.choice((-1, 1)))
        for _ in range(100):  # quadrant boundaries, odd multiples of pi/4
            k = 2 * int(logu(1, 600000, signed=False)) + 1
            xs.append(nudge(float(round_prec(k * mp.pi / 4, 53)), rng.randrange(-2, 3)))
    xs += [uni(-1.05e6, 1.05e6) for _ in range(200)]
    xs += [nudge(SIN_COS_LIMIT, k) for k in range(-3, 4)]
    xs += [logu(1.05e6, 1e22) for _ in range(193)]  # beyond the limit
    while len(xs) < N_PER_FUNCTION:
        xs.append(uni(-4, 4))
    return xs


def main():
    mp.mp.dps = DPS
    print("# Reference values for strider's vmath f64 functions; see gen_vmath_ref.py")
    print("# for the format. mpmath", mp.__version__, f"at {DPS} digits, seed 20240611.")
    for name, func, inputs in (
        ("exp", mp.exp, exp_inputs()),
        ("ln", mp.log, ln_inputs()),
        ("tanh", mp.tanh, tanh_inputs()),
        ("sin", mp.sin, sincos_inputs()),
        ("cos", mp.cos, sincos_inputs()),
    ):
        print(f"@{name}")
        for x in inputs[:N_PER_FUNCTION]:
            print(line(func, x))


if __name__ == "__main__":
    main()
