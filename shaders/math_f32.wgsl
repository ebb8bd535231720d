// math_f32.wgsl: exp, log, sin, cos, tanh and pow for f32 in WGSL.
//
// strider's own f32 functions, used instead of the WGSL built-ins (which on
// Mesa lavapipe are off by up to 61 ulp for exp, by millions of ulp for log
// near 1, return garbage for sin(1e10) and flush subnormal results to zero).
// Paste into any compute shader: it needs nothing but f32, i32, u32 and bool
// (no f16, f64, i64, no `enable` directive), is self-contained (nothing from
// common.wgsl) and does not clash with math_f64.wgsl or common.wgsl. It uses
// f32 arithmetic, floor, round (ties to even), abs, select, bitcast between
// f32 and u32, f32 <-> i32/u32 conversions, u32 arithmetic and
// countLeadingZeros; no fma (a driver may or may not fuse), no fract, no
// float %, no built-in exp/log/sin/cos/pow. Helper names start with m32_ and
// constants with M32_. No array is indexed at run time except the two
// function-local `var` copies of the log table in m32_log_dd and the local
// limb arrays in m32_reduce.
//
// Functions (the CPU counterparts are strider's src/cpu/vmath.rs; the exp,
// log and tanh polynomials and reductions are ported from there, sin/cos use
// vmath's polynomials rounded to f32):
//   exp_f32(x)    e^x. Cody-Waite reduction x = n ln2 + r (ln2 in a 16-bit
//                 head, so n ln2_hi is exact, and a tail), e^r = 1 + r +
//                 r^2 Q(r) (degree-5 Q) with the rounding errors of r and of
//                 1 + r carried along, and scaling by 2^n as two exact power-
//                 of-two factors (so one rounding for subnormal results).
//                 exp(-inf) = +0, exp(+inf) = +inf, exp(NaN) = NaN, +inf above
//                 88.72, subnormal results rounded correctly (one rounding),
//                 +0 below -103.97.
//   log_f32(x)    ln x. x = 2^k m, m in [sqrt(1/2), sqrt(2)) from the bits
//                 (subnormals scaled by 2^23 first), f = m - 1 exact,
//                 ln x = k ln2 + f - f^2/2 + f^3 P(f) (degree-8 P).
//                 log(+-0) = -inf, log(x < 0) = NaN, log(+inf) = +inf,
//                 log(NaN) = NaN; subnormal arguments as accurate as normal.
//   sin_f32(x), cos_f32(x)
//                 |x| <= pi/4: the kernels directly. Larger finite |x|:
//                 Payne-Hanek in u32 arithmetic for every |x| up to f32::MAX:
//                 the 24-bit significand times 5 words of 2/pi (32x32-bit
//                 products from 16-bit halves), 96 fraction bits, rounded to
//                 the nearest quadrant, normalised, times pi/2 as a double-f32
//                 (Dekker product), giving r = r_hi + r_lo with |r| <= pi/4.
//                 Kernels: sin(hi + lo) = hi + (hi^3 S(hi^2) + lo (1 - hi^2/2))
//                 (degree 9), cos(hi + lo) = w + ((1 - w - hi^2/2) +
//                 (hi^4 C(hi^2) - hi lo)), w = 1 - hi^2/2 (degree 10). sin is
//                 computed on |x| and the sign bit of x copied in, cos on |x|.
//                 sin/cos(+-inf) = NaN, NaN -> NaN, sin(-0) = -0, cos(-0) = 1,
//                 sin(x) = x bit for bit for |x| < 2^-12 (subnormals too).
//   tanh_f32(x)   |x| < 0.55: x + x^3 P(x^2) (degree-4 P); else 1 - 2/(e^2|x|
//                 + 1) with the rounding error of the denominator carried and
//                 q = 2/den corrected from an exact residual (so a division
//                 that is not correctly rounded, as Vulkan allows, costs
//                 little), 1 - q summed with Fast2Sum. tanh(+-inf) = +-1,
//                 exactly +-1 for |x| >= 9.02, tanh(-0) = -0, tanh(x) = x for
//                 |x| < 2^-13 (subnormals too), NaN -> NaN.
//   pow_f32(x, y) C99 / NumPy pow: e^(y ln|x|) with ln|x| as a double-f32
//                 (table of ln(i/32), |u| < 0.0111 series, relative error about
//                 2^-44), y ln|x| as a double-f32 (Dekker product, no fma) and
//                 e^ of a double-f32 argument (m32_exp_core). Special cases as
//                 C99: pow(x, +-0) = 1 (x NaN too), pow(1, y) = 1 (y NaN too),
//                 pow(-1, +-inf) = 1, NaN otherwise propagates; x < 0 finite
//                 with finite non-integer y -> NaN; x < 0 with odd integer y
//                 -> negative; pow(+-0, y < 0) = +-inf for odd integer y, else
//                 +inf; pow(+-0, y > 0) = +-0 for odd integer y, else +0;
//                 |x| < 1: y = -inf -> +inf, y = +inf -> +0; |x| > 1 the other
//                 way round; pow(-inf, y) = -0 / +0 (y < 0, odd integer /
//                 otherwise), -inf / +inf (y > 0, odd integer / otherwise);
//                 pow(+inf, y) = +0 (y < 0), +inf (y > 0); overflow -> +-inf,
//                 underflow -> +-0 with correctly rounded subnormals between.
//
// Accuracy, measured while writing this file on a Rust prototype (a
// line-by-line transliteration in f32/i32/u32 arithmetic, not kept in the
// repository) against the f64 std functions of the widened argument. On the
// device, the test cpu::vmath::tests::gpu_f32_functions_meet_the_cpu_bounds
// measures every 1031st bit pattern plus dense samples and 200,000 pow
// pairs and enforces 1 ulp (lavapipe: exp 0.745, log 0.780, sin 0.791,
// cos 0.784, tanh 0.796, pow 0.739). Prototype maxima, in ulp of the exact
// result (ulp of a subnormal result: 2^-149):
//   exp   0.764 ulp  (all 2^32 bit patterns; the maximum is for subnormal
//                     results; normal results 0.627 over every 7th pattern)
//   log   0.824 ulp  (all 2^32 bit patterns)
//   sin   0.819 ulp  (all 2^31 non-negative patterns, every finite |x| up to
//   cos   0.814 ulp   f32::MAX; negative x by symmetry, which is exact by
//                     construction, spot-checked on every 97th pattern)
//   tanh  0.848 ulp  (all 2^31 non-negative patterns, negatives as for sin;
//                     the maximum is in the polynomial branch near 0.53; the
//                     exponential branch gives 0.625 over every 7th pattern)
//   pow   0.767 ulp  (40 million pairs: x in (0, 1e10) with y in (-50, 50),
//                     x in (0, 4) with y in (-100, 100), x near 1 with
//                     |y ln x| up to 104, results near overflow (max 0.630)
//                     and in the subnormal range, negative x with integer y,
//                     random finite bit patterns, subnormal x, small integers;
//                     the maximum is for subnormal results). Exact cases such
//                     as pow(2, 10) = 1024, pow(10, 10) = 1e10, pow(2, -149) and
//                     pow(9, 0.5) = 3 come out exactly.
// Every special value listed above was checked bit for bit on the prototype.
//
// Subnormals: the code is exact where the device keeps f32 subnormals
// (lavapipe does). A device that flushes them returns 0 for subnormal
// results of exp and pow and treats subnormal arguments as 0 (log would
// give -inf for them).
//
// Optimizer hazards. The error-free sums assume the driver neither
// reassociates f32 additions nor contracts a*b + c into fma where the
// rounding of a*b matters. As in math_f64.wgsl, sums are written as
// (a - s) + b and never as s - a, the constants 1 and 1/2 inside error-free
// sums are made at run time (1 + floor(|r|) with |r| < 1), NaN and infinity
// tests look at the bits, and the Dekker products use only exact partial
// products, so fma contraction does not change them. On a driver with
// further fast-math rewrites these functions lose accuracy; rerun the tests
// there.


// ---------------------------------------------------------------------------
// Constants (exact decimal forms of the f32 values; hex bit patterns noted)
// ---------------------------------------------------------------------------

const M32_MAXF: f32 = 3.4028234663852886e38; // 0x7f7fffff
const M32_MIN_NORMAL: f32 = 1.1754943508222875e-38; // 0x00800000
const M32_LOG2E: f32 = 1.4426950216293335; // 0x3fb8aa3b
// ln 2 = M32_LN2_HI + M32_LN2_LO, the head with 16 significant bits
// (k * M32_LN2_HI is exact for |k| < 2^8).
const M32_LN2_HI: f32 = 0.693145751953125; // 0x3f317200
const M32_LN2_LO: f32 = 1.428606765330187e-6; // 0x35bfbe8e
// Bits of sqrt(1/2): subtracting them from the bits of x splits
// x = 2^k m with m in [sqrt(1/2), sqrt(2)).
const M32_SQRT_HALF_BITS: u32 = 0x3f3504f3u;
const M32_PIO4: f32 = 0.7853981852531433; // 0x3f490fdb, f32(pi/4) > pi/4
// pi/2 as a double-f32 (head, tail).
const M32_PIO2_H: f32 = 1.5707963705062866; // 0x3fc90fdb
const M32_PIO2_L: f32 = -4.371138828673793e-8; // 0xb33bbd2e

// ln(i/32) for i = 23..45 as double-f32 (head, tail), for pow's logarithm.
const M32_LOGC_HI = array<f32, 23>(
    -0.33024168014526367, -0.28768208622932434, -0.246860072016716,
    -0.20763936638832092, -0.16989903151988983, -0.133531391620636,
    -0.09844007343053818, -0.06453852355480194, -0.0317486971616745, 0.0,
    0.030771657824516296, 0.0606246218085289, 0.08961215615272522,
    0.11778303235769272, 0.14518201351165771, 0.1718502640724182,
    0.19782574474811554, 0.2231435477733612, 0.2478361576795578,
    0.2719337046146393, 0.2954642176628113, 0.31845372915267944,
    0.3409265875816345);
const M32_LOGC_LO = array<f32, 23>(
    -6.725313195232729e-9, 1.3777543550475002e-8, -5.914809975138269e-9,
    1.610076405533789e-9, -5.275507586333106e-9, -1.0038866404826763e-9,
    6.17285667026124e-10, 2.417230859919073e-9, -1.1529057708514756e-9, 0.0,
    8.422373909411363e-10, 7.905942393804377e-12, 2.536961973831353e-9,
    3.2986906539633765e-9, -3.6671599090709606e-9, -7.145759095550375e-9,
    -1.4181956720094036e-9, 3.540848503291727e-9, 6.225023607697722e-9,
    1.086900258684409e-8, -4.768975436775236e-9, 1.9658552563583953e-9,
    -6.110413286464222e-10);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

// 2^k for -126 <= k <= 127, built in the exponent field (exact).
fn m32_pow2i(k: i32) -> f32 {
    return bitcast<f32>(u32(k + 127) << 23u);
}

// +inf and a quiet NaN with the sign of t, made from bits at run time
// (constant expressions may not be infinite or NaN).
fn m32_inf(t: f32) -> f32 {
    return bitcast<f32>(0x7f800000u | (bitcast<u32>(t) & 0x80000000u));
}
fn m32_nan(t: f32) -> f32 {
    return bitcast<f32>(0x7fc00000u | (bitcast<u32>(t) & 0x80000000u));
}

// Classification on the bits (WGSL lets implementations fold x != x).
fn m32_is_nan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}
fn m32_is_finite(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) < 0x7f800000u;
}

// Fast2Sum: s + e = a + b exactly, for |a| >= |b| (or a = 0). Written as
// (a - s) + b, never (s - a), which reassociating optimizers fold to b.
fn m32_fast2sum(a: f32, b: f32) -> vec2<f32> {
    let s = a + b;
    return vec2<f32>(s, (a - s) + b);
}

// TwoSum for any order of magnitude: order the operands, then Fast2Sum.
fn m32_two_sum(a: f32, b: f32) -> vec2<f32> {
    let sw = abs(a) < abs(b);
    return m32_fast2sum(select(a, b, sw), select(b, a, sw));
}

// Veltkamp split into 12 + 12 bits (|a| < 2^115).
fn m32_split(a: f32) -> vec2<f32> {
    let c = 4097.0 * a;
    let h = c - (c - a);
    return vec2<f32>(h, a - h);
}

// Dekker's exact product p + e = a b without fma: all partial products of
// the halves are exact, so fma contraction by a driver changes nothing.
fn m32_two_prod(a: f32, b: f32) -> vec2<f32> {
    let p = a * b;
    let sa = m32_split(a);
    let sb = m32_split(b);
    let e = ((sa.x * sb.x - p) + sa.x * sb.y + sa.y * sb.x) + sa.y * sb.y;
    return vec2<f32>(p, e);
}

// e^(xh + xl) for xh in [-104, 89] (NaN passes through), |xl| <= 2^-17.
// Cody-Waite x = n ln2 + r (n ln2_hi exact, x - n ln2_hi exact), the
// rounding errors of r and of 1 + r recovered exactly, e^r = 1 + r + r^2 Q(r)
// (vmath's degree-5 Q), e^(r + r_lo) = e^r + r_lo (1 + r); the result is
// scaled by 2^n as two factors 2^(n>>1) 2^(n - (n>>1)), of which the first
// product is exact, so a subnormal result sees one rounding.
fn m32_exp_core(xh: f32, xl: f32) -> f32 {
    let n = round(xh * M32_LOG2E);
    let a = xh - n * M32_LN2_HI; // exact
    let b = n * M32_LN2_LO - xl;
    let r = a - b;
    let r_lo = (a - r) - b;
    // one = 1 computed at run time (|r| < 1): with a literal 1, constant
    // reassociation (Mesa's NIR) folds (1 - (1 + r)) to -r.
    let one = 1.0 + floor(abs(r));
    let one_r = one + r;
    let one_r_err = (one - one_r) + r;
    var q = 0.00019890991097781807; // 0x39509279
    q = q * r + 0.0013933649752289057; // 0x3ab6a192
    q = q * r + 0.00833331048488617; // 0x3c088870
    q = q * r + 0.04166646674275398; // 0x3d2aaa75
    q = q * r + 0.1666666716337204; // 0x3e2aaaab
    q = q * r + 0.5;
    let p = one_r + ((r * r * q + r_lo * one_r) + one_r_err);
    // n in [-150, 150]: both factors are normal powers of two.
    let ni = i32(n);
    let n1 = ni >> 1u;
    let n2 = ni - n1;
    return p * m32_pow2i(n1) * m32_pow2i(n2);
}

// ---------------------------------------------------------------------------
// exp
// ---------------------------------------------------------------------------

fn exp_f32(x: f32) -> f32 {
    // Clamping keeps NaN and maps +-inf to overflow / underflow.
    let xc = select(select(x, -104.0, x < -104.0), 89.0, x > 89.0);
    return m32_exp_core(xc, 0.0);
}

// ---------------------------------------------------------------------------
// log
// ---------------------------------------------------------------------------

fn log_f32(x: f32) -> f32 {
    let tiny = x < M32_MIN_NORMAL;
    let xs = select(x, x * 8388608.0, tiny); // subnormals times 2^23 (exact)
    let k_adj = select(0.0, -23.0, tiny);
    let ix = i32(bitcast<u32>(xs) - M32_SQRT_HALF_BITS);
    let k = f32(ix >> 23u) + k_adj;
    let m = bitcast<f32>((u32(ix) & 0x007fffffu) + M32_SQRT_HALF_BITS);
    let f = m - 1.0; // exact
    let hfsq = 0.5 * f * f;
    var t = 0.06971585005521774; // 0x3d8ec72f
    t = t * f - 0.11480068415403366; // 0x3deb1c9f
    t = t * f + 0.11685580015182495; // 0x3def5218
    t = t * f - 0.12425654381513596; // 0x3dfe7a37
    t = t * f + 0.14249040186405182; // 0x3e11e901
    t = t * f - 0.1666780263185501; // 0x3e2aada5
    t = t * f + 0.20000715553760529; // 0x3e4ccead
    t = t * f - 0.2499999701976776; // 0x3e7ffffe
    t = t * f + 0.3333333134651184; // 0x3eaaaaaa
    let tail = f * f * f * t;
    // |f - hfsq + tail| <= 0.35 < |k ln2| when k != 0: the small part is
    // summed first and the exact head k * M32_LN2_HI added last.
    var r = k * M32_LN2_HI + (f - (hfsq - (tail + k * M32_LN2_LO)));
    let xb = bitcast<u32>(x);
    r = select(r, x, xb == 0x7f800000u); // +inf
    r = select(r, m32_nan(1.0), xb > 0x7f800000u); // NaN, x < 0
    r = select(r, -m32_inf(1.0), (xb & 0x7fffffffu) == 0u); // +-0
    return r;
}

// ---------------------------------------------------------------------------
// tanh
// ---------------------------------------------------------------------------

fn tanh_f32(x: f32) -> f32 {
    let ax = abs(x);
    // |x| < 0.55: x + x^3 P(x^2) (vmath's degree-4 P).
    let z = ax * ax;
    var pz = -0.00661022774875164; // 0xbbd89a9c
    pz = pz * z + 0.021309388801455498; // 0x3cae9107
    pz = pz * z - 0.05390942841768265; // 0xbd5cd022
    pz = pz * z + 0.13333113491535187; // 0x3e0887f5
    pz = pz * z - 0.3333333134651184; // 0xbeaaaaaa
    let small = ax + ax * z * pz;
    // Otherwise 1 - 2/(e^y + 1), y = 2|x| (clamped at 2 * 9.1: tanh rounds
    // to 1 there; NaN passes), e^y = 2^n e^r as in m32_exp_core.
    let y0 = select(ax, 9.100000381469727, ax > 9.100000381469727);
    let y = y0 + y0;
    let n = round(y * M32_LOG2E);
    let a = y - n * M32_LN2_HI;
    let b = n * M32_LN2_LO;
    let r = a - b;
    let r_lo = (a - r) - b;
    var q = 0.00019890991097781807;
    q = q * r + 0.0013933649752289057;
    q = q * r + 0.00833331048488617;
    q = q * r + 0.04166646674275398;
    q = q * r + 0.1666666716337204;
    q = q * r + 0.5;
    let pm1 = r + (r * r * q + r_lo); // e^r - 1
    let s = m32_pow2i(i32(n)); // n in [1, 26]
    let s1 = s + 1.0;
    let sp = s * pm1;
    let den = s1 + sp; // e^y + 1 = den + den_lo
    let den_lo = (s1 - den) + sp;
    // q0 = 2/den, and rem = 2 - q0 den from exact partial products, so a
    // division that is not correctly rounded is corrected too:
    // 2/(den + den_lo) = q0 + (rem - q0 den_lo) q0/2 to first order.
    let q0 = 2.0 / den;
    let sq = m32_split(q0);
    let sd = m32_split(den);
    let rem = (((2.0 - sq.x * sd.x) - sq.x * sd.y) - sq.y * sd.x) - sq.y * sd.y;
    let corr = 0.5 * q0 * (q0 * den_lo - rem);
    // 1 - q0 with its rounding error (Fast2Sum; one = 1 at run time, q0 < 1).
    let one = 1.0 + floor(q0);
    let nq = -q0;
    let d = one + nq;
    let d_err = (one - d) + nq;
    let large = d + (d_err + corr);
    let res = select(large, small, ax < 0.55);
    // copy the sign of x (tanh(-0) = -0)
    return bitcast<f32>(bitcast<u32>(res) | (bitcast<u32>(x) & 0x80000000u));
}

// ---------------------------------------------------------------------------
// sin / cos
// ---------------------------------------------------------------------------

// 32x32 -> 64-bit product (lo, hi) from 16-bit halves.
fn m32_mul32(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
    let lo = (mid << 16u) | (p00 & 0xffffu);
    let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
    return vec2<u32>(lo, hi);
}

// Word i (0..7) of the fraction bits of 2/pi, 32 per word, most significant
// first (word i holds the bits of weight 2^-(32i+1) .. 2^-(32i+32)).
// A select chain, so no array is indexed at run time.
fn m32_2opi_word(i: u32) -> u32 {
    var w = 0xa2f9836eu;
    w = select(w, 0x4e441529u, i == 1u);
    w = select(w, 0xfc2757d1u, i == 2u);
    w = select(w, 0xf534ddc0u, i == 3u);
    w = select(w, 0xdb629599u, i == 4u);
    w = select(w, 0x3c439041u, i == 5u);
    w = select(w, 0xfe5163abu, i == 6u);
    w = select(w, 0xdebbc561u, i == 7u);
    return w;
}

// Payne-Hanek reduction of a finite ax > pi/4: returns (r_hi, r_lo, q) with
// ax = q pi/2 + r (mod 2 pi), |r| <= pi/4, r = r_hi + r_lo as a double-f32.
fn m32_reduce(ax: f32) -> vec3<f32> {
    // ax = X 2^e with the 24-bit integer X (ax is normal here).
    let xb = bitcast<u32>(ax);
    let xm = (xb & 0x007fffffu) | 0x00800000u;
    let e = i32(xb >> 23u) - 150; // -24 <= e <= 104
    // Table words before w0 only add multiples of 4 quarter turns.
    let w0 = u32(max(0, (e - 2) >> 5u)); // 0..3
    // p = X * (words w0 .. w0+4), 32-bit limbs, least significant first.
    var p: array<u32, 7>;
    var c = 0u;
    for (var j = 0u; j < 5u; j++) {
        let m = m32_mul32(xm, m32_2opi_word(w0 + 4u - j));
        let t = m.x + c;
        c = m.y + select(0u, 1u, t < m.x);
        p[j] = t;
    }
    p[5] = c;
    p[6] = 0u;
    // The binary point of p lies s bits up (127 <= s <= 184).
    let s = u32(32 * i32(w0) + 160 - e);
    // f[3]: integer bits (two used), f[2], f[1], f[0]: 96 fraction bits.
    var f: array<u32, 4>;
    for (var j = 0u; j < 4u; j++) {
        let pos = s - 96u + 32u * j;
        let i = pos >> 5u;
        let sh = pos & 31u;
        let hi = select(0u, p[i + 1u] << ((32u - sh) & 31u), sh != 0u);
        f[j] = (p[i] >> sh) | hi;
    }
    var q = f[3] & 3u;
    var f2 = f[2];
    var f1 = f[1];
    var f0 = f[0];
    // Round to the nearest quadrant: a fraction >= 1/2 becomes 1 - fraction.
    let neg = f2 >= 0x80000000u;
    if (neg) {
        q = q + 1u;
        f0 = ~f0 + 1u;
        var cy = select(0u, 1u, f0 == 0u);
        f1 = ~f1 + cy;
        cy = select(0u, 1u, cy == 1u && f1 == 0u);
        f2 = ~f2 + cy;
    }
    // Normalise so that f2 has its top bit set.
    var sc = 0;
    for (var j = 0; j < 2; j++) {
        if (f2 == 0u) {
            f2 = f1;
            f1 = f0;
            f0 = 0u;
            sc = sc + 32;
        }
    }
    let lz = countLeadingZeros(f2);
    if (lz != 0u && lz != 32u) {
        let rs = 32u - lz;
        f2 = (f2 << lz) | (f1 >> rs);
        f1 = (f1 << lz) | (f0 >> rs);
        sc = sc + i32(lz);
    }
    // fraction = (fh + flo) 2^-sc: fh the top 24 bits (exact), flo the next 40.
    let scale = m32_pow2i(-sc);
    let fh = f32(f2 >> 8u) * 5.960464477539063e-8 * scale; // 2^-24
    let fm = f32(((f2 & 0xffu) << 16u) | (f1 >> 16u)) * 3.552713678800501e-15; // 2^-48
    let fl = f32(f1 & 0xffffu) * 5.421010862427522e-20; // 2^-64
    let flo = (fm + fl) * scale;
    // r = fraction * pi/2 as a double-f32
    let pp = m32_two_prod(fh, M32_PIO2_H);
    let pe = pp.y + (fh * M32_PIO2_L + flo * M32_PIO2_H);
    let rr = m32_fast2sum(pp.x, pe);
    let sg = select(1.0, -1.0, neg);
    return vec3<f32>(sg * rr.x, sg * rr.y, f32(q));
}

// sin (shift 0) or cos (shift 1) of ax = |x|.
fn m32_sin_cos(ax: f32, shift: u32) -> f32 {
    var hi = ax;
    var lo = 0.0;
    var q = 0u;
    if (ax > M32_PIO4 && m32_is_finite(ax)) {
        let rd = m32_reduce(ax);
        hi = rd.x;
        lo = rd.y;
        q = u32(rd.z);
    }
    let z = hi * hi;
    // sin(hi + lo) = hi + (hi^3 S(hi^2) + lo (1 - hi^2/2)), vmath's degree-9
    // sin polynomial rounded to f32.
    var sp = 2.7249313916399842e-6; // 0x3636ddf7
    sp = sp * z - 0.00019840082677546889; // 0xb95009d1
    sp = sp * z + 0.008333331905305386; // 0x3c088887
    sp = sp * z - 0.1666666716337204; // 0xbe2aaaab
    let sin_r = hi + (z * hi * sp + (lo - 0.5 * z * lo));
    // cos(hi + lo) = w + ((1 - w - hi^2/2) + (hi^4 C(hi^2) - hi lo)) with
    // w = 1 - hi^2/2 and its rounding error recovered; vmath's degree-10 cos.
    var cp = -2.730044741383608e-7; // 0xb4929173
    cp = cp * z + 2.480059629306197e-5; // 0x37d00ae0
    cp = cp * z - 0.00138888880610466; // 0xbab60b60
    cp = cp * z + 0.0416666679084301; // 0x3d2aaaab
    let hz = 0.5 * z;
    let one = 1.0 + floor(hz); // 1 at run time (hz < 1), see m32_exp_core
    let w = one - hz;
    let cos_r = w + (((one - w) - hz) + (z * z * cp - hi * lo));
    let qq = q + shift;
    var res = select(sin_r, cos_r, (qq & 1u) != 0u);
    res = select(res, -res, (qq & 2u) != 0u);
    return select(res, m32_nan(1.0), !m32_is_finite(ax));
}

fn sin_f32(x: f32) -> f32 {
    // sin is odd: flip the sign bit of sin|x| for negative x (sin(-0) = -0).
    let r = m32_sin_cos(abs(x), 0u);
    return bitcast<f32>(bitcast<u32>(r) ^ (bitcast<u32>(x) & 0x80000000u));
}

fn cos_f32(x: f32) -> f32 {
    return m32_sin_cos(abs(x), 1u);
}

// ---------------------------------------------------------------------------
// pow
// ---------------------------------------------------------------------------

// ln x as a double-f32 (relative error about 2^-44), x positive finite.
// x = 2^k m, c = round(32 m)/32, u = (m - c)/(m + c) as a double-f32,
// ln m = ln c + 2u + (2/3)u^3 + (2/5)u^5 + (2/7)u^7 (|u| < 0.0111).
fn m32_log_dd(x: f32) -> vec2<f32> {
    let tiny = x < M32_MIN_NORMAL;
    let xs = select(x, x * 8388608.0, tiny);
    let k_adj = select(0.0, -23.0, tiny);
    let ix = i32(bitcast<u32>(xs) - M32_SQRT_HALF_BITS);
    let k = f32(ix >> 23u) + k_adj;
    let m = bitcast<f32>((u32(ix) & 0x007fffffu) + M32_SQRT_HALF_BITS);
    let ci = i32(round(m * 32.0)); // 23..45
    let c = f32(ci) * 0.03125;
    let num = m - c; // exact
    let den = m32_two_sum(m, c);
    // u = uh + ul; ul from the exact residual, so the division need not be
    // correctly rounded.
    let uh = num / den.x;
    let pr = m32_two_prod(uh, den.x);
    let ul = (((num - pr.x) - pr.y) - uh * den.y) / den.x;
    let z = uh * uh;
    var t = 0.2857142984867096; // 0x3e924925
    t = t * z + 0.4000000059604645; // 0x3ecccccd
    t = t * z + 0.6666666865348816; // 0x3f2aaaab
    let tail = uh * z * t;
    let idx = ci - 23;
    var th = M32_LOGC_HI;
    var tl = M32_LOGC_LO;
    let s1 = m32_two_sum(k * M32_LN2_HI, th[idx]);
    let s2 = m32_two_sum(s1.x, 2.0 * uh);
    let lo = s1.y + s2.y + (((k * M32_LN2_LO + tl[idx]) + 2.0 * ul) + tail);
    return m32_fast2sum(s2.x, lo);
}

fn pow_f32(x: f32, y: f32) -> f32 {
    let ax = abs(x);
    let x_fin = m32_is_finite(x);
    let y_fin = m32_is_finite(y);
    // |x|^y = e^(y ln|x|) with y ln|x| as a double-f32.
    let l = m32_log_dd(select(1.0, ax, ax > 0.0 && x_fin));
    let zp = m32_two_prod(y, l.x);
    let zh = zp.x;
    let out_range = !(abs(zh) <= 104.0);
    // |x| = 1 (l = 0) or a huge y: the split in m32_two_prod may overflow.
    let zl = select(zp.y + y * l.y, 0.0, out_range || l.x == 0.0);
    let zc = select(zh, select(-104.0, 89.0, zh > 0.0), out_range);
    var r = m32_exp_core(zc, zl);
    // y integer / odd integer (|y| >= 2^24 is even).
    let y_int = y_fin && floor(y) == y;
    let yh = 0.5 * y;
    let y_odd = y_int && floor(yh) != yh;
    let x_neg = (bitcast<u32>(x) & 0x80000000u) != 0u; // sign bit (also -0)
    let flip = x_neg && y_odd;
    // x = +-0, x = +-inf or y = +-inf: 0 or inf.
    let special = ax == 0.0 || !x_fin || !y_fin;
    let mag_inf = (y > 0.0) == (ax > 1.0);
    r = select(r, select(0.0, m32_inf(1.0), mag_inf), special);
    r = select(r, -r, flip);
    // negative finite x, finite non-integer y
    r = select(r, m32_nan(1.0), x_neg && ax > 0.0 && x_fin && y_fin && !y_int);
    // (-1)^(+-inf) = 1
    r = select(r, 1.0, x == -1.0 && !y_fin && !m32_is_nan(y));
    r = select(r, x + y, m32_is_nan(x) || m32_is_nan(y));
    r = select(r, 1.0, x == 1.0 || y == 0.0);
    return r;
}
