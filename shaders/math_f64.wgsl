// math_f64.wgsl: exp, log, sin, cos, tanh and pow for f64 in WGSL.
//
// Paste into a compute shader that already uses f64 (wgpu feature
// SHADER_F64, naga Capabilities::FLOAT64). No `enable` directive here. Needs
// only FLOAT64: no i64/u64 (naga validates the file with FLOAT64 alone). It
// uses f64 arithmetic, floor, round, abs, sqrt, select, ldexp(f64, i32),
// f64 <-> i32/u32 conversions, f64 -> f32 conversion with bitcast<u32>(f32)
// (to read an exponent), u32 arithmetic and countLeadingZeros. It uses no
// bitcast of f64 (naga rejects bitcast<vec2<u32>>(f64)), no frexp on f64
// (its exponent is i64 in naga) and no fma (lavapipe does not fuse f64 fma).
// Helper names start with m64_ and constants with M64_.
//
// Functions (the CPU counterparts are strider's src/cpu/vmath.rs; the exp, log,
// tanh, sin and cos polynomials and reductions are ported from there):
//   exp_f64(x)    e^x. Cody-Waite reduction x = n ln2 + r, e^r = 1 + r + r^2 Q(r)
//                 with the rounding errors of r and of 1 + r carried along, and
//                 scaling by 2^n as two ldexp factors (so one rounding for
//                 subnormal results). exp(-inf) = +0, exp(+inf) = +inf,
//                 exp(NaN) = NaN, +inf above 709.78, subnormal results rounded
//                 correctly (one rounding), 0 below -745.13.
//   log_f64(x)    ln x. x = 2^k m, m in [sqrt(1/2), sqrt(2)), found from exact
//                 power-of-two rescalings and the exponent of f32(x);
//                 ln m = 2 atanh(f/(2+f)) (fdlibm arrangement). log(+-0) = -inf,
//                 log(x < 0) = NaN, log(+inf) = +inf, log(NaN) = NaN; subnormal
//                 arguments are exact inputs like any other.
//   sin_f64(x), cos_f64(x)
//                 |x| <= 2^20: Cody-Waite with pi/2 in 3 x 33 bits + 53 bits and
//                 error-free sums (reduced argument as a double-double). Larger
//                 finite |x|: Payne-Hanek with the bits of 2/pi as u32 words
//                 (32x32-bit products from 16-bit halves, 7 words of 2/pi, a
//                 128-bit fraction), valid up to f64::MAX. Degree 15 / 14
//                 kernels on the double-double. sin/cos(+-inf) = NaN, NaN -> NaN,
//                 sin(-0) = -0, sin(x) = x and cos(x) = 1 for tiny x.
//   tanh_f64(x)   |x| < 0.55: x + x^3 P(x^2); else 1 - 2/(e^2|x| + 1) with the
//                 rounding error of the denominator carried. tanh(+-inf) = +-1,
//                 exactly +-1 for |x| > 19.1, tanh(-0) = -0, tanh(x) = x for
//                 |x| < 2^-27, NaN -> NaN.
//   pow_f64(x, y) C99 / NumPy pow: e^(y ln|x|) with ln|x| as a double-double
//                 (table of ln(i/32), |u| < 0.0111 series, relative error about
//                 2^-68), y ln|x| as a double-double (Dekker product) and e^ of a
//                 double-double argument. Special cases as C99: pow(x, +-0) = 1
//                 (x NaN too), pow(1, y) = 1 (y NaN too), pow(-1, +-inf) = 1,
//                 NaN otherwise propagates; x < 0 finite with finite non-integer y
//                 -> NaN; x < 0 with odd integer y -> negative; pow(+-0, y < 0)
//                 = +-inf for odd integer y, else +inf; pow(+-0, y > 0) = +-0
//                 for odd integer y, else +0; |x| < 1: y = -inf -> +inf,
//                 y = +inf -> +0; |x| > 1 the other way round; pow(-inf, y) =
//                 -0 / +0 (y < 0, odd integer / otherwise), -inf / +inf (y > 0);
//                 pow(+inf, y) = +0 (y < 0), +inf (y > 0); overflow -> +-inf,
//                 underflow -> +-0 with correctly scaled subnormals in between.
//
// Accuracy measured on Mesa lavapipe (llvmpipe, Mesa 22.3.6, LLVM 15) against
// 60-digit mpmath references, max error in ulp of the exact result:
//   exp   0.750 ulp  (29,300 args: uniform over [-745.2, 709.8], subnormal
//                     results, tiny args, the overflow edge, near (k+1/2) ln2)
//   log   0.648 ulp  (32,600 args: random doubles, subnormals, near 1, [0.5, 2])
//   sin   0.737 ulp  (31,562 args: |x| <= 10, up to 2^20, closest doubles to
//   cos   0.717 ulp   multiples of pi/2 and pi/4, 2^20..1e22, 1e22..1e300,
//                     1e300..f64::MAX, random exponents, the worst case for
//                     reduction 6381956970095103 * 2^797 and neighbours)
//   tanh  0.873 ulp  (34,800 args over [-25, 25], tiny and subnormal args)
//   pow   0.723 ulp  (51,742 pairs: x in (0, 1e10) with y in (-50, 50), x near
//                     1 with |y ln x| up to 745, results near overflow and in the
//                     subnormal range, negative x with integer y, random x over
//                     the whole range, subnormal x, y = 1/2 against sqrt, exact
//                     cases such as pow(2, 10) = 1024 and pow(10, 22) = 1e22,
//                     returned exactly). Not correctly rounded: pow(2, 0.5)
//                     gives 1.414213562373095 (0.57 ulp).
// Every special value listed above was checked bit for bit on lavapipe.
//
// Subnormals on lavapipe: f64 subnormals are preserved, not flushed (x * 0.5
// of f64::MIN_POSITIVE, ldexp(1.0, -1074) and subnormal arguments all behave as
// IEEE 754 says), although the driver lists shaderDenormPreserveFloat64 = false.
// A device that flushes f64 subnormals gives 0 for subnormal results and treats
// subnormal arguments as 0 (log would return -inf for them).
//
// Optimizer hazards. The error-free transformations assume the driver neither
// reassociates f64 additions nor contracts a*b + c into fma where the
// rounding of a*b matters. naga marks nothing NoContraction, and Mesa's NIR
// applies inexact rewrites: (a + b) - a -> b, a + (-a + b) -> b,
// c1 - (x + c2) -> (c1 - c2) - x for constants, and (a + b) + c -> (a + c) + b
// for a constant c. So sums are written as (a - s) + b and never as s - a, and
// the constants 1 and 1/2 inside error-free sums are made at run time (1 +
// floor(|r|) with |r| < 1). x != x is folded to false on lavapipe, so NaN
// tests use !(x == x). All partial products in the Dekker splits are exact,
// so fma contraction by other drivers does not change them. On a driver with
// further fast-math rewrites these functions lose accuracy; rerun the tests there.
//
// Tests: the scratch harness f64math (wgpu + naga) runs every function over
// the reference files and a special-value grid on the device.

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

const M64_MAXF: f64 = 1.7976931348623157e308lf;
const M64_LOG2E: f64 = 1.4426950408889634lf;
// ln 2 = M64_LN2_HI + M64_LN2_LO, the head with 42 significant bits
// (n * M64_LN2_HI is exact for |n| < 2^11).
const M64_LN2_HI: f64 = 0.6931471805598903lf;
const M64_LN2_LO: f64 = 5.497923018708371e-14lf;
const M64_SQRT2: f64 = 1.4142135623730951lf;
const M64_TWO_OVER_PI: f64 = 0.6366197723675814lf;
// pi/2 in three 33-bit pieces and a 53-bit tail (about 152 bits).
const M64_PIO2_1: f64 = 1.5707963267341256lf;
const M64_PIO2_2: f64 = 6.077100506303966e-11lf;
const M64_PIO2_3: f64 = 2.0222662487111665e-21lf;
const M64_PIO2_4: f64 = 8.4784276603689e-32lf;
// pi/2 as a double-double.
const M64_PIO2_H: f64 = 1.5707963267948966lf;
const M64_PIO2_L: f64 = 6.123233995736766e-17lf;

// The fraction bits of 2/pi, 32 per word, most significant first
// (word t holds the bits of weight 2^-(32t+1) .. 2^-(32t+32)).
const M64_2OPI_BITS = array<u32, 40>(
    0xa2f9836eu, 0x4e441529u, 0xfc2757d1u, 0xf534ddc0u, 0xdb629599u, 0x3c439041u,
    0xfe5163abu, 0xdebbc561u, 0xb7246e3au, 0x424dd2e0u, 0x06492eeau, 0x09d1921cu,
    0xfe1deb1cu, 0xb129a73eu, 0xe88235f5u, 0x2ebb4484u, 0xe99c7026u, 0xb45f7e41u,
    0x3991d639u, 0x835339f4u, 0x9c845f8bu, 0xbdf9283bu, 0x1ff897ffu, 0xde05980fu,
    0xef2f118bu, 0x5a0a6d1fu, 0x6d367ecfu, 0x27cb09b7u, 0x4f463f66u, 0x9e5fea2du,
    0x7527bac7u, 0xebe5f17bu, 0x3d0739f7u, 0x8a5292eau, 0x6bfb5fb1u, 0x1f8d5d08u,
    0x56033046u, 0xfc7b6babu, 0xf0cfbc20u, 0x9af4361du);

// ln(i/32) for i = 22..46 as double-doubles (head, tail), for pow's logarithm.
const M64_LOGC_HI = array<f64, 25>(
    -0.3746934494414107lf, -0.33024168687057687lf, -0.2876820724517809lf,
    -0.24686007793152578lf, -0.2076393647782445lf, -0.16989903679539747lf,
    -0.13353139262452263lf, -0.09844007281325252lf, -0.06453852113757118lf,
    -0.0317486983145803lf, 0.0lf, 0.030771658666753687lf, 0.06062462181643484lf,
    0.08961215868968714lf, 0.11778303565638346lf, 0.1451820098444979lf,
    0.17185025692665923lf, 0.19782574332991987lf, 0.22314355131420976lf,
    0.24783616390458127lf, 0.27193371548364176lf, 0.2954642128938359lf,
    0.3184537311185346lf, 0.3409265869705932lf, 0.3629054936893685lf);
const M64_LOGC_LO = array<f64, 25>(
    3.9243112288632396e-18lf, 1.0828321637483858e-17lf, -2.607160616442564e-17lf,
    -1.361743371748368e-17lf, -1.2053243216686129e-17lf, 4.868008764439071e-19lf,
    3.664457663660085e-18lf, 4.439009633675136e-18lf, 6.470486661692933e-18lf,
    -3.0382263084680858e-18lf, 0.0lf, 1.0431732029005968e-18lf, 2.6424025938726934e-18lf,
    -5.4268129336647135e-18lf, -1.1971685747593677e-18lf, 8.242418783022475e-18lf,
    -6.0224538210113705e-18lf, 1.2821194372980142e-17lf, -9.091270597324799e-18lf,
    -1.2432209578702523e-17lf, 7.83319637697442e-19lf, -2.16461086040599e-17lf,
    2.7114779367326236e-17lf, 1.7467136443544747e-17lf, -2.1492361455310972e-17lf);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

// +inf and NaN made at run time (constant expressions may not overflow);
// call with t = 1.0.
fn m64_inf(t: f64) -> f64 {
    return t * M64_MAXF * 2.0lf;
}
fn m64_nan(t: f64) -> f64 {
    return sqrt(-t);
}

// Fast2Sum: s + e = a + b exactly, for |a| >= |b| (or a = 0). Written as
// (a - s) + b: the form (s - a) would be folded to b by optimizers that
// reassociate (Mesa's NIR does).
fn m64_fast2sum(a: f64, b: f64) -> vec2<f64> {
    let s = a + b;
    return vec2<f64>(s, (a - s) + b);
}

// TwoSum for any order of magnitude: order the operands, then Fast2Sum.
fn m64_two_sum(a: f64, b: f64) -> vec2<f64> {
    let sw = abs(a) < abs(b);
    return m64_fast2sum(select(a, b, sw), select(b, a, sw));
}

// Veltkamp split into 26 + 27 bits (|a| < 2^995).
fn m64_split(a: f64) -> vec2<f64> {
    let c = 134217729.0lf * a;
    let h = c - (c - a);
    return vec2<f64>(h, a - h);
}

// Dekker's exact product: p + e = a b (no fma needed: lavapipe does not
// fuse fma for f64, and all partial products here are exact, so
// contraction by other drivers is harmless).
fn m64_two_prod(a: f64, b: f64) -> vec2<f64> {
    let p = a * b;
    let sa = m64_split(a);
    let sb = m64_split(b);
    let e = ((sa.x * sb.x - p) + sa.x * sb.y + sa.y * sb.x) + sa.y * sb.y;
    return vec2<f64>(p, e);
}

// x = m 2^k with m in [sqrt(1/2), sqrt(2)), for positive finite x
// (subnormals included). Three exact power-of-two rescalings bring x into
// the f32 range, whose exponent field gives the rest.
fn m64_frexp(x: f64) -> vec2<f64> {
    var t = x;
    var k = 0;
    let h1 = t >= 1.3407807929942597e+154lf;
    let l1 = t < 7.458340731200207e-155lf;
    t = t * select(select(1.0lf, 2.4733040147310453e+173lf, l1), 4.043174611952195e-174lf, h1);
    k = k + select(select(0, -576, l1), 576, h1);
    let h2 = t >= 1.157920892373162e+77lf;
    let l2 = t < 8.636168555094445e-78lf;
    t = t * select(select(1.0lf, 4.9732323640978664e+86lf, l2), 2.010764683385949e-87lf, h2);
    k = k + select(select(0, -288, l2), 288, h2);
    let h3 = t >= 1.329227995784916e+36lf;
    let l3 = t < 7.52316384526264e-37lf;
    t = t * select(select(1.0lf, 8.711228593176025e+40lf, l3), 1.1479437019748901e-41lf, h3);
    k = k + select(select(0, -136, l3), 136, h3);
    // t is in [2^-120, 2^120): f32(t) is normal; rounding can only raise
    // its exponent, so m is in [1 - 2^-24, 2).
    let e = i32((bitcast<u32>(f32(t)) >> 23u) & 0xffu) - 127;
    var m = ldexp(t, -e);
    k = k + e;
    let big = m >= M64_SQRT2;
    m = select(m, m * 0.5lf, big);
    k = k + select(0, 1, big);
    return vec2<f64>(m, f64(k));
}

// e^(xh + xl) for xh in [-746, 710] (NaN passes through), |xl| <= 2^-40.
// Cody-Waite reduction xh = n ln2 + r, e^r = 1 + r + r^2 Q(r) (vmath's
// degree-9 Q), the rounding errors of r and of 1 + r recovered exactly.
fn m64_exp_core(xh: f64, xl: f64) -> f64 {
    let n = round(xh * M64_LOG2E);
    let a = xh - n * M64_LN2_HI; // exact
    let b = n * M64_LN2_LO - xl;
    let r = a - b;
    let r_lo = (a - r) - b;
    // one = 1 computed at run time (|r| < 1): with a literal 1, NIR's
    // constant reassociation folds (1 - (1 + r)) to -r.
    let one = 1.0lf + floor(abs(r));
    let one_r = one + r;
    let one_r_err = (one - one_r) + r;
    var q = 2.510038549551032e-8lf;
    q = q * r + 2.7620088445409746e-7lf;
    q = q * r + 2.7557268459997064e-6lf;
    q = q * r + 2.4801521295954376e-5lf;
    q = q * r + 0.00019841269863053618lf;
    q = q * r + 0.0013888888917213717lf;
    q = q * r + 0.008333333333330062lf;
    q = q * r + 0.04166666666662413lf;
    q = q * r + 0.16666666666666669lf;
    q = q * r + 0.5000000000000001lf;
    let p = one_r + ((r * r * q + r_lo * (one + r)) + one_r_err);
    // n in [-1076, 1024]: two factors in the normal range, one rounding.
    let ni = i32(n);
    let n1 = ni >> 1u;
    let n2 = ni - n1;
    return p * ldexp(1.0lf, n1) * ldexp(1.0lf, n2);
}

// ---------------------------------------------------------------------------
// exp
// ---------------------------------------------------------------------------

fn exp_f64(x: f64) -> f64 {
    // Clamping keeps NaN and maps +-inf to overflow / underflow.
    let xc = select(select(x, -746.0lf, x < -746.0lf), 710.0lf, x > 710.0lf);
    return m64_exp_core(xc, 0.0lf);
}

// ---------------------------------------------------------------------------
// log
// ---------------------------------------------------------------------------

fn log_f64(x: f64) -> f64 {
    let ok = x > 0.0lf && x <= M64_MAXF;
    let d = m64_frexp(select(1.0lf, x, ok));
    let k = d.y;
    let f = d.x - 1.0lf; // exact
    let s = f / (2.0lf + f);
    let z = s * s;
    let hfsq = 0.5lf * f * f;
    var t = 0.14616721179861816lf;
    t = t * z + 0.15331699633543858lf;
    t = t * z + 0.18182889786191042lf;
    t = t * z + 0.2222221112572281lf;
    t = t * z + 0.28571428626031065lf;
    t = t * z + 0.3999999999989938lf;
    t = t * z + 0.666666666666667lf;
    let rz = z * t;
    var r = k * M64_LN2_HI - ((hfsq - (s * (hfsq + rz) + k * M64_LN2_LO)) - f);
    r = select(r, x, x > M64_MAXF);
    r = select(r, -m64_inf(1.0lf), x == 0.0lf);
    r = select(r, m64_nan(1.0lf), !(x >= 0.0lf));
    return r;
}

// ---------------------------------------------------------------------------
// tanh
// ---------------------------------------------------------------------------

fn tanh_f64(x: f64) -> f64 {
    let ax = abs(x);
    let z = ax * ax;
    var pz = -2.060276537636634e-5lf;
    pz = pz * z + 8.511313685577672e-5lf;
    pz = pz * z - 0.0002346347410887237lf;
    pz = pz * z + 0.0005889360520074057lf;
    pz = pz * z - 0.001455661830100716lf;
    pz = pz * z + 0.003592110378689024lf;
    pz = pz * z - 0.008863234397814355lf;
    pz = pz * z + 0.021869488493666944lf;
    pz = pz * z - 0.053968253967434016lf;
    pz = pz * z + 0.13333333333332714lf;
    pz = pz * z - 0.3333333333333333lf;
    let small = ax + ax * z * pz;
    let y0 = select(ax, 19.1lf, ax > 19.1lf);
    let y = y0 + y0;
    let n = round(y * M64_LOG2E);
    let a = y - n * M64_LN2_HI;
    let b = n * M64_LN2_LO;
    let r = a - b;
    let r_lo = (a - r) - b;
    var q = 2.510038549551032e-8lf;
    q = q * r + 2.7620088445409746e-7lf;
    q = q * r + 2.7557268459997064e-6lf;
    q = q * r + 2.4801521295954376e-5lf;
    q = q * r + 0.00019841269863053618lf;
    q = q * r + 0.0013888888917213717lf;
    q = q * r + 0.008333333333330062lf;
    q = q * r + 0.04166666666662413lf;
    q = q * r + 0.16666666666666669lf;
    q = q * r + 0.5000000000000001lf;
    let pm1 = r + (r * r * q + r_lo);
    let s = ldexp(1.0lf, i32(n)); // n in [1, 56]
    let s1 = s + 1.0lf;
    let sp = s * pm1;
    let den = s1 + sp;
    let den_lo = (s1 - den) + sp;
    let qq = 2.0lf / den;
    let corr = 0.5lf * qq * qq * den_lo;
    let half = 0.5lf + floor(qq); // 0.5 at run time (qq <= 1/2), see m64_exp_core
    let large = half + ((half - qq) + corr);
    var res = select(large, small, ax < 0.55lf);
    res = select(res, -res, x < 0.0lf);
    // tanh x = x below 2^-27 (also keeps -0 and subnormals bit-exact)
    return select(res, x, ax < 7.450580596923828e-9lf);
}

// ---------------------------------------------------------------------------
// sin / cos
// ---------------------------------------------------------------------------

// 32x32 -> 64-bit product (lo, hi) from 16-bit halves.
fn m64_mul32(a: u32, b: u32) -> vec2<u32> {
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

// Payne-Hanek reduction of a finite ax >= 2^20: returns (r_hi, r_lo, q)
// with ax = q pi/2 + r (mod 2 pi), |r| <= pi/4 (r as a double-double).
fn m64_reduce_big(ax: f64) -> vec3<f64> {
    let d = m64_frexp(ax);
    // ax = X 2^e with the integer X = m 2^53 < 2^54.
    let xf = d.x * 9007199254740992.0lf;
    let e = i32(d.y) - 53;
    let xh = u32(floor(xf * 2.3283064365386963e-10lf));
    let xl = u32(xf - f64(xh) * 4294967296.0lf);
    // Table words before w0 only add multiples of 4 (quarter turns x 4).
    let w0 = max(0, (e - 2) / 32);
    // p = X * (words w0 .. w0+6), little-endian 32-bit limbs.
    var p: array<u32, 10>;
    for (var j = 0; j < 10; j++) {
        p[j] = 0u;
    }
    var c = 0u;
    for (var j = 0; j < 7; j++) {
        let m = m64_mul32(xl, M64_2OPI_BITS[w0 + 6 - j]);
        let t = m.x + c;
        c = m.y + select(0u, 1u, t < m.x);
        p[j] = t;
    }
    p[7] = c;
    c = 0u;
    for (var j = 0; j < 7; j++) {
        let m = m64_mul32(xh, M64_2OPI_BITS[w0 + 6 - j]);
        let t = m.x + c;
        let c1 = select(0u, 1u, t < m.x);
        let u = p[j + 1] + t;
        let c2 = select(0u, 1u, u < t);
        p[j + 1] = u;
        c = m.y + c1 + c2;
    }
    p[8] = c;
    // The binary point of p lies s bits up.
    let s = u32(32 * w0 + 224 - e);
    var f: array<u32, 5>; // f[4]: integer bits, f[3..0]: fraction, top first = f[3]
    for (var j = 0u; j < 5u; j++) {
        let pos = s - 128u + 32u * j;
        let i = pos >> 5u;
        let sh = pos & 31u;
        let hi = select(0u, p[i + 1u] << ((32u - sh) & 31u), sh != 0u);
        f[j] = (p[i] >> sh) | hi;
    }
    var q = i32(f[4] & 3u);
    var f3 = f[3];
    var f2 = f[2];
    var f1 = f[1];
    var f0 = f[0];
    // Round to the nearest quadrant: fraction >= 1/2 becomes 1 - fraction.
    let neg = f3 >= 0x80000000u;
    if (neg) {
        q = q + 1;
        f0 = ~f0 + 1u;
        var cy = select(0u, 1u, f0 == 0u);
        f1 = ~f1 + cy;
        cy = select(0u, 1u, cy == 1u && f1 == 0u);
        f2 = ~f2 + cy;
        cy = select(0u, 1u, cy == 1u && f2 == 0u);
        f3 = ~f3 + cy;
    }
    // Normalise so that f3 has its top bit set.
    var sc = 0;
    for (var j = 0; j < 2; j++) {
        if (f3 == 0u) {
            f3 = f2;
            f2 = f1;
            f1 = f0;
            f0 = 0u;
            sc = sc + 32;
        }
    }
    let lz = countLeadingZeros(f3);
    if (lz != 0u && lz != 32u) {
        let rs = 32u - lz;
        f3 = (f3 << lz) | (f2 >> rs);
        f2 = (f2 << lz) | (f1 >> rs);
        f1 = (f1 << lz) | (f0 >> rs);
        sc = sc + i32(lz);
    }
    let hh = m64_fast2sum(f64(f3) * 2.3283064365386963e-10lf, f64(f2) * 5.421010862427522e-20lf);
    let fl = hh.y + f64(f1) * 1.262177448353619e-29lf;
    let fh = ldexp(hh.x, -sc);
    let flo = ldexp(fl, -sc);
    // r = fraction * pi/2
    let pp = m64_two_prod(fh, M64_PIO2_H);
    let pe = pp.y + (fh * M64_PIO2_L + flo * M64_PIO2_H);
    let rr = m64_fast2sum(pp.x, pe);
    let sg = select(1.0lf, -1.0lf, neg);
    return vec3<f64>(sg * rr.x, sg * rr.y, f64(q));
}

// sin (shift 0) or cos (shift 1) of x.
fn m64_sin_cos(x: f64, shift: i32) -> f64 {
    let ax = abs(x);
    var hi: f64;
    var lo: f64;
    var q: i32;
    if (ax > 1048576.0lf && ax <= M64_MAXF) {
        let rd = m64_reduce_big(ax);
        let sg = select(1.0lf, -1.0lf, x < 0.0lf);
        hi = sg * rd.x;
        lo = sg * rd.y;
        q = select(i32(rd.z), -i32(rd.z), x < 0.0lf);
    } else {
        // Cody-Waite, |x| <= 2^20 (and +-inf, NaN, which give NaN): the
        // three products are exact and the sums are done error-free.
        let n = round(x * M64_TWO_OVER_PI);
        let a = x - n * M64_PIO2_1;
        let t1 = m64_two_sum(a, -(n * M64_PIO2_2));
        let t2 = m64_two_sum(t1.x, -(n * M64_PIO2_3));
        let l0 = (t1.y + t2.y) - n * M64_PIO2_4;
        let h = m64_fast2sum(t2.x, l0);
        hi = h.x;
        lo = h.y;
        q = i32(n);
    }
    let z = hi * hi;
    // sin kernel, degree 15 (vmath's S)
    var sp = -7.586576588171073e-13lf;
    sp = sp * z + 1.6058529572267877e-10lf;
    sp = sp * z - 2.5052106219521895e-8lf;
    sp = sp * z + 2.755731921930192e-6lf;
    sp = sp * z - 0.00019841269841265017lf;
    sp = sp * z + 0.008333333333333331lf;
    sp = sp * z - 0.16666666666666666lf;
    let v = z * hi;
    let sin_r = hi + (v * sp + (lo - 0.5lf * z * lo));
    // cos kernel, degree 14 (vmath's C)
    var cp = -1.1382456778061306e-11lf;
    cp = cp * z + 2.0876143827993133e-9lf;
    cp = cp * z - 2.7557317260008837e-7lf;
    cp = cp * z + 2.480158729874307e-5lf;
    cp = cp * z - 0.0013888888888887382lf;
    cp = cp * z + 0.041666666666666664lf;
    let hz = 0.5lf * z;
    let one = 1.0lf + floor(hz); // 1 at run time (hz < 1), see m64_exp_core
    let w = one - hz;
    let cos_r = w + (((one - w) - hz) + (z * z * cp - hi * lo));
    let qq = q + shift;
    var res = select(sin_r, cos_r, (qq & 1) != 0);
    res = select(res, -res, (qq & 2) != 0);
    return res;
}

fn sin_f64(x: f64) -> f64 {
    // sin x = x below 2^-26 (keeps -0 and subnormals bit-exact)
    return select(m64_sin_cos(x, 0), x, abs(x) < 1.4901161193847656e-8lf);
}

fn cos_f64(x: f64) -> f64 {
    return m64_sin_cos(x, 1);
}

// ---------------------------------------------------------------------------
// pow
// ---------------------------------------------------------------------------

// ln x as a double-double (relative error about 2^-68), x positive finite.
// x = 2^k m, c = round(32 m)/32, u = (m - c)/(m + c) as a double-double,
// ln m = ln c + 2u + (2/3)u^3 + ... + (2/11)u^11 (|u| < 0.0111).
fn m64_log_dd(x: f64) -> vec2<f64> {
    let d = m64_frexp(x);
    let m = d.x;
    let k = d.y;
    let ci = i32(round(m * 32.0lf));
    let c = f64(ci) * 0.03125lf;
    let num = m - c; // exact
    let den = m64_two_sum(m, c);
    let uh = num / den.x;
    let pr = m64_two_prod(uh, den.x);
    let ul = (((num - pr.x) - pr.y) - uh * den.y) / den.x;
    let z = uh * uh;
    var t = 0.18181818181818182lf;
    t = t * z + 0.2222222222222222lf;
    t = t * z + 0.2857142857142857lf;
    t = t * z + 0.4lf;
    t = t * z + 0.6666666666666666lf;
    let tail = uh * z * t;
    let idx = ci - 22;
    let s1 = m64_two_sum(k * M64_LN2_HI, M64_LOGC_HI[idx]);
    let s2 = m64_two_sum(s1.x, 2.0lf * uh);
    let lo = s1.y + s2.y + (((k * M64_LN2_LO + M64_LOGC_LO[idx]) + 2.0lf * ul) + tail);
    return m64_fast2sum(s2.x, lo);
}

fn pow_f64(x: f64, y: f64) -> f64 {
    let ax = abs(x);
    let ay = abs(y);
    let x_fin = ax <= M64_MAXF;
    let y_fin = ay <= M64_MAXF;
    // |x|^y = e^(y ln|x|) with y ln|x| as a double-double.
    let l = m64_log_dd(select(1.0lf, ax, ax > 0.0lf && x_fin));
    let zp = m64_two_prod(y, l.x);
    let zh = zp.x;
    let out_range = !(abs(zh) <= 746.0lf);
    // |x| = 1 (l = 0) with a huge y: the split in m64_two_prod overflows.
    let zl = select(zp.y + y * l.y, 0.0lf, out_range || l.x == 0.0lf);
    let zc = select(zh, select(-746.0lf, 710.0lf, zh > 0.0lf), out_range);
    var r = m64_exp_core(zc, zl);
    // y integer / odd integer (|y| >= 2^53 is even).
    let y_int = y_fin && floor(y) == y;
    let yh = 0.5lf * y;
    let y_odd = y_int && floor(yh) != yh;
    let x_neg = x < 0.0lf || (x == 0.0lf && 1.0lf / x < 0.0lf);
    let flip = x_neg && y_odd;
    // x = +-0, x = +-inf or y = +-inf: 0 or inf.
    let special = ax == 0.0lf || !x_fin || !y_fin;
    let mag_inf = (y > 0.0lf) == (ax > 1.0lf);
    r = select(r, select(0.0lf, m64_inf(1.0lf), mag_inf), special);
    r = select(r, -r, flip);
    // negative finite x, finite non-integer y
    r = select(r, m64_nan(1.0lf), x < 0.0lf && x_fin && y_fin && !y_int);
    // (-1)^(+-inf) = 1
    r = select(r, 1.0lf, x == -1.0lf && !y_fin);
    r = select(r, x + y, !(x == x) || !(y == y));
    r = select(r, 1.0lf, x == 1.0lf || y == 0.0lf);
    return r;
}
