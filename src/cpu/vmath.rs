//! Vectorisable elementwise `exp`, `ln`, `sin`, `cos` and `tanh` for `f32`
//! and `f64`.
//!
//! Every scalar function here is `#[inline(always)]` and branch-free: the
//! argument reduction uses the "magic number" round-to-nearest trick
//! (`(x + 1.5·2^p) - 1.5·2^p`, whose bit pattern also gives the integer),
//! powers of two are built by shifting an integer into the exponent field,
//! and special inputs are handled by comparisons that compile to blends.
//! No libm call (`exp`, `floor`, `round`, `mul_add`, ...) appears in a hot
//! path, so a plain loop such as
//! `for i in 0..n { out[i] = exp_f32(x[i]) }` auto-vectorises when it is
//! compiled inside a `#[target_feature(enable = "avx2,fma")]` or
//! `"avx512f"` function, and still runs as straight-line SSE2 code in the
//! x86-64 baseline (no fused multiply-add is needed anywhere).
//!
//! The polynomial coefficients are near-minimax fits (interpolation at
//! Chebyshev nodes, 80 digits, then rounded to the working precision) made
//! for this file by `tests/data/fit_vmath_coeffs.py`; the same script
//! prints the split constants of ln 2 and π/2.
//!
//! # Accuracy
//!
//! Maximum errors measured, in ulp of the exact result
//! (`|got - exact| / ulp(exact)`), and the bounds the tests at the bottom of
//! this file enforce:
//!
//! | function | f32: all finite inputs | f32 bound | f64: fixture / 10^6 points | f64 bound |
//! |----------|------------------------|-----------|----------------------------|-----------|
//! | `exp`    | 0.764                  | 1.0       | 0.708 / 0.748              | 1.0       |
//! | `ln`     | 0.824                  | 1.0       | 0.648 / 0.748              | 1.0       |
//! | `tanh`   | 0.916                  | 1.0       | 0.816 / 0.906              | 1.0       |
//! | `sin`    | 0.5002                 | 0.6       | 0.714 / 0.768              | 1.0       |
//! | `cos`    | 0.5002                 | 0.6       | 0.690 / 0.797              | 1.0       |
//!
//! f32: every finite f32 (the ignored `exhaustive_*` tests; the default
//! tests sweep every 97th bit pattern plus dense random samples of the
//! interesting ranges), compared with the `f64` std function of the widened
//! argument; sin/cos through the slice forms, so beyond the limit too. The
//! `exp_f32` maximum is for subnormal results (the polynomial's rounding
//! and the final rounding to the subnormal grid add up); normal results
//! stay near 0.55 ulp.
//!
//! f64: the 9000 cases of `tests/data/vmath_ref_f64.txt`, a 60-digit
//! mpmath reference made by `tests/data/gen_vmath_ref.py` (random
//! arguments across each domain, near overflow and underflow, subnormal
//! and tiny arguments, the closest doubles to multiples of π/2 up to 2^20,
//! arguments up to 1e22 for sin/cos); and, once while writing this file,
//! 10^6 further points per function drawn the same way and checked against
//! mpmath.
//!
//! `sin`/`cos` scalar functions are only valid for
//! `|x| <= SIN_COS_LIMIT_F32/F64` (they return NaN for ±inf and NaN, and
//! garbage beyond the limit); the slice forms recompute the rare elements
//! beyond the limit with the std functions, so they are right everywhere.

// ---------------------------------------------------------------------------
// Shared constants
// ---------------------------------------------------------------------------

/// 1.5·2^23: adding and subtracting it rounds an f32 with |v| < 2^22 to the
/// nearest integer (ties to even); the low mantissa bits of the sum hold
/// that integer in two's complement.
const MAGIC_F32: f32 = 12_582_912.0;
/// 1.5·2^52: the f64 counterpart of [`MAGIC_F32`].
const MAGIC_F64: f64 = 6_755_399_441_055_744.0;

/// Sign bit of an f32.
const SIGN_F32: u32 = 0x8000_0000;
/// Sign bit of an f64.
const SIGN_F64: u64 = 0x8000_0000_0000_0000;

/// ln 2 rounded to 16 significant bits, so `n * LN2_HI_F32` is exact for
/// |n| < 2^8 (all exponents of f32 results).
const LN2_HI_F32: f32 = 0.693_145_75;
/// `ln 2 - LN2_HI_F32` rounded to f32.
const LN2_LO_F32: f32 = 1.428_606_8e-6;
/// ln 2 rounded to 42 significant bits, so `n * LN2_HI_F64` is exact for
/// |n| < 2^11 (all exponents of f64 results).
const LN2_HI_F64: f64 = 0.693_147_180_559_890_3;
/// `ln 2 - LN2_HI_F64` rounded to f64.
const LN2_LO_F64: f64 = 5.497_923_018_708_371e-14;

/// Coefficients `c0..c5` of `Q(r) ≈ (e^r - 1 - r) / r^2` on
/// |r| <= ln2/2 (so `e^r ≈ 1 + r + r^2 Q(r)`, relative approximation
/// error 2^-30.4 after rounding to f32).
const EXP_Q_F32: [f32; 6] = [
    0.5,
    0.166_666_67,
    0.041_666_467,
    0.008_333_310_5,
    0.001_393_365,
    0.000_198_909_91,
];

/// Coefficients `c0..c9` of `Q(r) ≈ (e^r - 1 - r) / r^2` on |r| <= ln2/2
/// (relative approximation error of `1 + r + r^2 Q(r)`: 2^-55.8).
const EXP_Q_F64: [f64; 10] = [
    0.500_000_000_000_000_1,
    0.166_666_666_666_666_69,
    0.041_666_666_666_624_13,
    0.008_333_333_333_330_062,
    0.001_388_888_891_721_371_7,
    0.000_198_412_698_630_536_18,
    2.480_152_129_595_437_6e-5,
    2.755_726_845_999_706_4e-6,
    2.762_008_844_540_974_6e-7,
    2.510_038_549_551_032e-8,
];

// ---------------------------------------------------------------------------
// Small helpers (all inlined; no branches)
// ---------------------------------------------------------------------------

/// Horner evaluation of `c[0] + c[1] t + ... + c[N-1] t^(N-1)` in f32.
#[inline(always)]
fn horner_f32<const N: usize>(t: f32, c: &[f32; N]) -> f32 {
    let mut acc = c[N - 1];
    let mut i = N - 1;
    while i > 0 {
        i -= 1;
        acc = acc * t + c[i];
    }
    acc
}

/// Horner evaluation of `c[0] + c[1] t + ... + c[N-1] t^(N-1)` in f64.
#[inline(always)]
fn horner_f64<const N: usize>(t: f64, c: &[f64; N]) -> f64 {
    let mut acc = c[N - 1];
    let mut i = N - 1;
    while i > 0 {
        i -= 1;
        acc = acc * t + c[i];
    }
    acc
}

/// `2^k` as an f32 for `-126 <= k <= 127` (built in the exponent field).
#[inline(always)]
fn pow2i_f32(k: i32) -> f32 {
    f32::from_bits((k.wrapping_add(127) as u32) << 23)
}

/// `2^k` as an f64 for `-1022 <= k <= 1023` (built in the exponent field).
#[inline(always)]
fn pow2i_f64(k: i64) -> f64 {
    f64::from_bits((k.wrapping_add(1023) as u64) << 52)
}

// ---------------------------------------------------------------------------
// exp
// ---------------------------------------------------------------------------

/// Arguments above this give +inf in f32 (e^89 > f32::MAX); clamping keeps
/// the exponent arithmetic in range and makes `exp(+inf) = +inf`.
const EXP_HI_F32: f32 = 89.0;
/// Arguments below this give +0 in f32 (e^-104 < 2^-150).
const EXP_LO_F32: f32 = -104.0;
/// Arguments above this give +inf in f64 (e^710 > f64::MAX).
const EXP_HI_F64: f64 = 710.0;
/// Arguments below this give +0 in f64 (e^-746 < 2^-1075).
const EXP_LO_F64: f64 = -746.0;

/// `e^x` for f32.
///
/// Domain: every f32. `exp(NaN) = NaN`, `exp(+inf) = +inf`,
/// `exp(-inf) = +0`, overflow gives +inf and results below `f32::MIN_POSITIVE`
/// are rounded to the subnormal grid by the last multiplication only.
/// Measured max error: see the module table.
///
/// Method: `x = n ln2 + r` with `n = round(x / ln2)` and |r| <= ln2/2
/// (Cody-Waite: `ln2` split in a 16-bit head, so `n·head` is exact, and a
/// tail; the rounding error of `r` is recovered exactly and added as a
/// correction, `e^(r + r_lo) ≈ e^r + r_lo`); `e^r = 1 + r + r^2 Q(r)` with
/// a degree-5 `Q`, where the rounding error of `1 + r` is also recovered
/// (Fast2Sum) and added to the small terms; the result is scaled by `2^n` as
/// `2^(n>>1) · 2^(n - (n>>1))`, two multiplications of which the first is
/// exact, so gradual underflow is handled without a branch.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    // Clamp (NaN compares false and passes through unchanged).
    let x = if x > EXP_HI_F32 { EXP_HI_F32 } else { x };
    let x = if x < EXP_LO_F32 { EXP_LO_F32 } else { x };
    let t = x * std::f32::consts::LOG2_E + MAGIC_F32;
    let n = t - MAGIC_F32;
    let ni = (t.to_bits() as i32).wrapping_sub(MAGIC_F32.to_bits() as i32);
    // x - n*LN2_HI is exact (Sterbenz); the rounding error of subtracting
    // the tail is recovered exactly in r_lo and added back as e^r_lo ≈ 1 + r_lo.
    let a = x - n * LN2_HI_F32;
    let b = n * LN2_LO_F32;
    let r = a - b;
    let r_lo = (a - r) - b;
    // 1 + r is rounded and its error recovered exactly (Fast2Sum, |r| < 1),
    // so the result sees essentially one rounding.
    let one_r = 1.0 + r;
    let one_r_err = (1.0 - one_r) + r;
    let p = one_r + ((r * r * horner_f32(r, &EXP_Q_F32) + r_lo) + one_r_err);
    // n is in [-150, 128]: both halves stay within the normal exponents.
    let n1 = ni >> 1;
    let n2 = ni.wrapping_sub(n1);
    p * pow2i_f32(n1) * pow2i_f32(n2)
}

/// `e^x` for f64.
///
/// Domain: every f64, special values as for [`exp_f32`]. Measured max
/// error: see the module table.
///
/// Method: as [`exp_f32`], with a 42-bit head of ln 2 (exact products for
/// |n| < 2^11) and a degree-9 `Q` (`e^r` of degree 11).
#[inline(always)]
pub(crate) fn exp_f64(x: f64) -> f64 {
    let x = if x > EXP_HI_F64 { EXP_HI_F64 } else { x };
    let x = if x < EXP_LO_F64 { EXP_LO_F64 } else { x };
    let t = x * std::f64::consts::LOG2_E + MAGIC_F64;
    let n = t - MAGIC_F64;
    let ni = (t.to_bits() as i64).wrapping_sub(MAGIC_F64.to_bits() as i64);
    let a = x - n * LN2_HI_F64; // exact
    let b = n * LN2_LO_F64;
    let r = a - b;
    let r_lo = (a - r) - b; // rounding error of r (a - r is exact)
    let one_r = 1.0 + r;
    let one_r_err = (1.0 - one_r) + r; // exact (Fast2Sum)
    let p = one_r + ((r * r * horner_f64(r, &EXP_Q_F64) + r_lo) + one_r_err);
    // n is in [-1076, 1024].
    let n1 = ni >> 1;
    let n2 = ni.wrapping_sub(n1);
    p * pow2i_f64(n1) * pow2i_f64(n2)
}

// ---------------------------------------------------------------------------
// ln
// ---------------------------------------------------------------------------

/// Bit pattern of sqrt(1/2) in f32: subtracting it from the bits of `x`
/// splits `x = 2^k m` with `m` in [sqrt(1/2), sqrt(2)).
const SQRT_HALF_BITS_F32: u32 = 0x3f35_04f3;
/// Bit pattern of sqrt(1/2) in f64.
const SQRT_HALF_BITS_F64: u64 = 0x3fe6_a09e_667f_3bcd;

/// Coefficients of `P(f) ≈ (ln(1+f) - f + f^2/2) / f^3` on
/// f in [sqrt(1/2)-1, sqrt(2)-1] (relative approximation error of
/// `f - f^2/2 + f^3 P(f)`: 2^-28.2 after rounding to f32).
const LN_P_F32: [f32; 9] = [
    0.333_333_3,
    -0.249_999_97,
    0.200_007_16,
    -0.166_678_03,
    0.142_490_4,
    -0.124_256_544,
    0.116_855_8,
    -0.114_800_684,
    0.069_715_85,
];

/// Coefficients of `T(z) ≈ (ln((1+s)/(1-s)) - 2s) / (s z)`, `z = s^2`, on
/// 0 <= s <= (sqrt(2)-1)/(sqrt(2)+1) (relative approximation error of
/// `2s + s z T(z)`: 2^-57.6).
const LN_T_F64: [f64; 7] = [
    0.666_666_666_666_667,
    0.399_999_999_998_993_8,
    0.285_714_286_260_310_65,
    0.222_222_111_257_228_1,
    0.181_828_897_861_910_42,
    0.153_316_996_335_438_58,
    0.146_167_211_798_618_16,
];

/// Natural logarithm for f32.
///
/// Domain: every f32. `ln(±0) = -inf`, `ln(x < 0) = NaN`, `ln(+inf) = +inf`,
/// `ln(NaN) = NaN`; subnormal inputs are scaled by 2^23 first, so they are
/// as accurate as normal ones. Measured max error: see the module table.
///
/// Method: `x = 2^k m` with m in [sqrt(1/2), sqrt(2)) by integer arithmetic
/// on the bits; `f = m - 1` (exact);
/// `ln x = k ln2 + f - f^2/2 + f^3 P(f)` with a degree-8 `P` and `ln2` split
/// in a 16-bit head (exact `k·head`) and a tail.
#[inline(always)]
pub(crate) fn ln_f32(x: f32) -> f32 {
    let tiny = x < f32::MIN_POSITIVE;
    let xs = if tiny { x * 8_388_608.0 } else { x }; // 2^23
    let k_adj = if tiny { -23.0 } else { 0.0 };
    let ix = xs.to_bits().wrapping_sub(SQRT_HALF_BITS_F32) as i32;
    let k = (ix >> 23) as f32 + k_adj;
    let m = f32::from_bits(((ix as u32) & 0x007f_ffff).wrapping_add(SQRT_HALF_BITS_F32));
    let f = m - 1.0;
    let hfsq = 0.5 * f * f;
    let tail = f * f * f * horner_f32(f, &LN_P_F32);
    // |f - hfsq + tail| <= 0.35 < ln2 <= |k ln2| when k != 0: the small part
    // is summed first and the exact head k*LN2_HI added last.
    let r = k * LN2_HI_F32 + (f - (hfsq - (tail + k * LN2_LO_F32)));
    // Special inputs, as float compares (cheap blends even in SSE2):
    // +inf, then ±0, then negative or NaN (`x >= 0` is false for both).
    let r = if x > f32::MAX { x } else { r };
    let r = if x == 0.0 { f32::NEG_INFINITY } else { r };
    if x >= 0.0 {
        r
    } else {
        f32::NAN
    }
}

/// Natural logarithm for f64.
///
/// Domain: every f64, special values as for [`ln_f32`] (subnormals are
/// scaled by 2^54). Measured max error: see the module table.
///
/// Method: `x = 2^k m` with m in [sqrt(1/2), sqrt(2)), `f = m - 1`,
/// `s = f / (2 + f)`, so `ln(1+f) = 2 atanh(s) = 2s + s z T(z)` (`z = s^2`,
/// degree-6 `T`), rearranged as `f - f^2/2 + s (f^2/2 + z T(z))` (the
/// classic fdlibm arrangement: the leading terms are exact or nearly so);
/// `k ln2` uses a 42-bit head of ln 2. `k` is turned into a float with the
/// 2^52 trick (AVX2 has no i64 → f64 conversion).
#[inline(always)]
pub(crate) fn ln_f64(x: f64) -> f64 {
    let tiny = x < f64::MIN_POSITIVE;
    const TWO_POW_54: f64 = 18_014_398_509_481_984.0;
    const TWO_POW_52_PLUS_2048: f64 = 4_503_599_627_372_544.0;
    let xs = if tiny { x * TWO_POW_54 } else { x };
    let k_adj = if tiny { -54.0 } else { 0.0 };
    let ix = xs.to_bits().wrapping_sub(SQRT_HALF_BITS_F64);
    // k + 2048 = ((ix as i64) >> 52) + 2048: flip the sign bit, shift
    // logically (AVX2 has no 64-bit arithmetic shift). OR-ing it into the
    // mantissa of 2^52 and subtracting 2^52 + 2048 gives k as an f64.
    let k_biased = (ix ^ SIGN_F64) >> 52;
    let k = (f64::from_bits(0x4330_0000_0000_0000 | k_biased) - TWO_POW_52_PLUS_2048) + k_adj;
    let m = f64::from_bits((ix & 0x000f_ffff_ffff_ffff).wrapping_add(SQRT_HALF_BITS_F64));
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let hfsq = 0.5 * f * f;
    let rz = z * horner_f64(z, &LN_T_F64);
    let r = k * LN2_HI_F64 - ((hfsq - (s * (hfsq + rz) + k * LN2_LO_F64)) - f);
    // Special inputs, as float compares (cheap blends even in SSE2):
    // +inf, then ±0, then negative or NaN (`x >= 0` is false for both).
    let r = if x > f64::MAX { x } else { r };
    let r = if x == 0.0 { f64::NEG_INFINITY } else { r };
    if x >= 0.0 {
        r
    } else {
        f64::NAN
    }
}

// ---------------------------------------------------------------------------
// tanh
// ---------------------------------------------------------------------------

/// Below this |x| tanh uses its odd polynomial. Above it `e^(2|x|) > 3`,
/// so `tanh|x| = 1 - 2/(e^(2|x|) + 1) > 1/2` and the final subtraction
/// loses nothing.
const TANH_SMALL_F32: f32 = 0.55;
/// As [`TANH_SMALL_F32`], for f64.
const TANH_SMALL_F64: f64 = 0.55;
/// tanh(x) rounds to ±1 in f32 beyond |x| > 9.02; clamp a little above.
const TANH_HI_F32: f32 = 9.1;
/// tanh(x) rounds to ±1 in f64 beyond |x| > 19.07; clamp a little above.
const TANH_HI_F64: f64 = 19.1;

/// Coefficients of `P(z) ≈ (tanh(x) - x) / x^3`, `z = x^2`, for
/// |x| <= 0.55 (relative approximation error 2^-27.5 after rounding to
/// f32).
const TANH_P_F32: [f32; 5] = [
    -0.333_333_3,
    0.133_331_13,
    -0.053_909_43,
    0.021_309_389,
    -0.006_610_227_7,
];
/// Coefficients of `P(z) ≈ (tanh(x) - x) / x^3`, `z = x^2`, for
/// |x| <= 0.55 (relative approximation error 2^-57.4, limited by rounding
/// -1/3 to f64).
const TANH_P_F64: [f64; 11] = [
    -0.333_333_333_333_333_3,
    0.133_333_333_333_327_14,
    -0.053_968_253_967_434_016,
    0.021_869_488_493_666_944,
    -0.008_863_234_397_814_355,
    0.003_592_110_378_689_024,
    -0.001_455_661_830_100_716,
    0.000_588_936_052_007_405_7,
    -0.000_234_634_741_088_723_7,
    8.511_313_685_577_672e-5,
    -2.060_276_537_636_634e-5,
];

/// Hyperbolic tangent for f32.
///
/// Domain: every f32. `tanh(±inf) = ±1`, `tanh(NaN) = NaN`,
/// `tanh(-0) = -0`, tiny arguments return themselves. Measured max error:
/// see the module table.
///
/// Method: for |x| < 0.55, `x + x^3 P(x^2)` (degree-4 `P`, no
/// cancellation). Otherwise `tanh|x| = 1 - 2/(E + 1)`, `E = e^(2|x|)`
/// reduced as in [`exp_f32`] (`2|x| = n ln2 + r`): the denominator
/// `(2^n + 1) + 2^n (e^r - 1)` is formed with one rounding, whose error is
/// recovered exactly (Fast2Sum) and added to the result as a first-order
/// correction, `1 - 2/(d + d_lo) ≈ 0.5 + ((0.5 - q) + q^2 d_lo / 2)` with
/// `q = 2/d` (`0.5 - q` is exact), so the result carries little more than
/// the division's and the final addition's roundings. Both branches are computed and one is
/// selected; the sign of `x` is copied in at the end.
#[inline(always)]
pub(crate) fn tanh_f32(x: f32) -> f32 {
    let ax = x.abs();
    // Small branch: odd polynomial.
    let z = ax * ax;
    let small = ax + ax * z * horner_f32(z, &TANH_P_F32);
    // Large branch (clamping keeps NaN; ±inf become ±1).
    let y = if ax > TANH_HI_F32 { TANH_HI_F32 } else { ax };
    let y = y + y;
    let t = y * std::f32::consts::LOG2_E + MAGIC_F32;
    let n = t - MAGIC_F32;
    let ni = (t.to_bits() as i32).wrapping_sub(MAGIC_F32.to_bits() as i32);
    let a = y - n * LN2_HI_F32;
    let b = n * LN2_LO_F32;
    let r = a - b;
    let r_lo = (a - r) - b;
    let pm1 = r + (r * r * horner_f32(r, &EXP_Q_F32) + r_lo); // e^r - 1
    let s = pow2i_f32(ni); // n in [1, 27]
    let sp = s * pm1;
    let den = (s + 1.0) + sp; // e^y + 1
    let den_lo = ((s + 1.0) - den) + sp;
    // 1 - 2/(den + den_lo) ≈ 1 - q + q^2/2 den_lo, summed as
    // 0.5 + ((0.5 - q) + corr) where 0.5 - q is exact for q >= 1/4.
    let q = 2.0 / den;
    let corr = 0.5 * q * q * den_lo;
    let large = 0.5 + ((0.5 - q) + corr);
    let res = if ax < TANH_SMALL_F32 { small } else { large };
    f32::from_bits(res.to_bits() | (x.to_bits() & SIGN_F32))
}

/// Hyperbolic tangent for f64.
///
/// Domain: every f64, special values as for [`tanh_f32`]. Measured max
/// error: see the module table.
///
/// Method: as [`tanh_f32`], with a degree-10 `P` and the [`exp_f64`]
/// reduction (including its correction term) and polynomial.
#[inline(always)]
pub(crate) fn tanh_f64(x: f64) -> f64 {
    let ax = x.abs();
    let z = ax * ax;
    let small = ax + ax * z * horner_f64(z, &TANH_P_F64);
    let y = if ax > TANH_HI_F64 { TANH_HI_F64 } else { ax };
    let y = y + y;
    let t = y * std::f64::consts::LOG2_E + MAGIC_F64;
    let n = t - MAGIC_F64;
    let ni = (t.to_bits() as i64).wrapping_sub(MAGIC_F64.to_bits() as i64);
    let a = y - n * LN2_HI_F64;
    let b = n * LN2_LO_F64;
    let r = a - b;
    let r_lo = (a - r) - b;
    let pm1 = r + (r * r * horner_f64(r, &EXP_Q_F64) + r_lo);
    let s = pow2i_f64(ni); // n in [1, 56]
    let sp = s * pm1;
    let den = (s + 1.0) + sp;
    let den_lo = ((s + 1.0) - den) + sp;
    let q = 2.0 / den;
    let corr = 0.5 * q * q * den_lo;
    let large = 0.5 + ((0.5 - q) + corr);
    let res = if ax < TANH_SMALL_F64 { small } else { large };
    f64::from_bits(res.to_bits() | (x.to_bits() & SIGN_F64))
}

// ---------------------------------------------------------------------------
// sin / cos
// ---------------------------------------------------------------------------

/// Largest |x| the scalar [`sin_f32`]/[`cos_f32`] handle (2^20): the
/// quotient `n = round(x 2/π) < 2^20` keeps `n · PIO2_1` exact.
pub(crate) const SIN_COS_LIMIT_F32: f32 = 1_048_576.0;
/// Largest |x| the scalar [`sin_f64`]/[`cos_f64`] handle (2^20): the
/// quotient `n < 2^20` keeps the products `n · PIO2_{1,2,3}` exact.
pub(crate) const SIN_COS_LIMIT_F64: f64 = 1_048_576.0;

/// π/2 rounded to 33 significant bits.
const PIO2_1: f64 = 1.570_796_326_734_125_6;
/// `π/2 - PIO2_1` rounded to 53 bits (the f32 path's two-term split).
const PIO2_1T: f64 = 6.077_100_506_506_192e-11;
/// Next 33 bits of π/2.
const PIO2_2: f64 = 6.077_100_506_303_966e-11;
/// Next 33 bits of π/2.
const PIO2_3: f64 = 2.022_266_248_711_166_5e-21;
/// `π/2 - PIO2_1 - PIO2_2 - PIO2_3` rounded to 53 bits (|error| ~ 2^-160).
const PIO2_4: f64 = 8.478_427_660_368_9e-32;

/// `S(z) ≈ (sin r - r) / r^3`, `z = r^2`, |r| <= π/4·1.001, for the f32
/// functions (relative approximation error 2^-35.6).
const SIN_S_F32: [f64; 4] = [
    -0.166_666_666_638_327_63,
    0.008_333_331_865_959_415,
    -0.000_198_400_820_127_655_37,
    2.724_931_405_469_880_4e-6,
];
/// `C(z) ≈ (cos r - 1 + z/2) / z^2`, |r| <= π/4·1.001, for the f32
/// functions (relative approximation error 2^-39.5).
const COS_C_F32: [f64; 4] = [
    0.041_666_666_664_302_4,
    -0.001_388_888_766_471_361_9,
    2.480_059_643_562_199_8e-5,
    -2.730_044_861_948_835_3e-7,
];
/// `S(z)` as [`SIN_S_F32`] for f64 (relative approximation error 2^-57.1,
/// limited by rounding -1/6 to f64).
const SIN_S_F64: [f64; 7] = [
    -0.166_666_666_666_666_66,
    0.008_333_333_333_333_331,
    -0.000_198_412_698_412_650_17,
    2.755_731_921_930_192e-6,
    -2.505_210_621_952_189_5e-8,
    1.605_852_957_226_787_7e-10,
    -7.586_576_588_171_073e-13,
];
/// `C(z)` as [`COS_C_F32`] for f64 (relative approximation error 2^-59.5).
const COS_C_F64: [f64; 6] = [
    0.041_666_666_666_666_664,
    -0.001_388_888_888_888_738_2,
    2.480_158_729_874_307e-5,
    -2.755_731_726_000_883_7e-7,
    2.087_614_382_799_313_3e-9,
    -1.138_245_677_806_130_6e-11,
];

/// sin or cos of an f32 in f64 arithmetic: `quadrant_shift` is 0 for sin,
/// 1 for cos (cos x = sin(x + π/2)).
///
/// `n = round(x 2/π)`, `r = x - n π/2` with π/2 in a 33-bit head (exact
/// product, exact difference) and a 53-bit tail: the absolute error of `r`
/// is below 2^-65, while no nonzero f32 below 2^20 comes closer than
/// 2^-27.8 to a nonzero multiple of π/2 (the closest is 252.89821, found
/// by a search over all of them), so `r` keeps about 37 correct bits.
/// Degree-9 sin and degree-10 cos polynomials on |r| <= π/4; the quadrant
/// `n mod 4` (low bits of the magic sum) picks the polynomial and the sign.
/// The single final rounding to f32 dominates the error.
#[inline(always)]
fn sin_cos_f32(x: f32, quadrant_shift: u64) -> f32 {
    let xd = x as f64;
    let t = xd * std::f64::consts::FRAC_2_PI + MAGIC_F64;
    let n = t - MAGIC_F64;
    let q = t.to_bits().wrapping_add(quadrant_shift);
    let r = (xd - n * PIO2_1) - n * PIO2_1T;
    let z = r * r;
    // r (1 + z S) rather than r + r z S keeps the sign of r = -0.
    let s = r * (1.0 + z * horner_f64(z, &SIN_S_F32));
    let c = 1.0 - 0.5 * z + z * z * horner_f64(z, &COS_C_F32);
    let v = if (q & 1) == 0 { s } else { c };
    let v = f64::from_bits(v.to_bits() ^ ((q & 2) << 62));
    v as f32
}

/// Sine of an f32.
///
/// Domain: |x| <= [`SIN_COS_LIMIT_F32`] (±inf and NaN give NaN; larger
/// finite |x| give wrong values: use [`sin_f32_slice`], which fixes them
/// up). `sin(-0) = -0`. Measured max error: see the module table.
///
/// Method: reduction and polynomials in f64 (see `sin_cos_f32` in the
/// source), one rounding to f32 at the end.
#[inline(always)]
pub(crate) fn sin_f32(x: f32) -> f32 {
    sin_cos_f32(x, 0)
}

/// Cosine of an f32.
///
/// Domain: |x| <= [`SIN_COS_LIMIT_F32`], as for [`sin_f32`]. Measured max
/// error: see the module table.
#[inline(always)]
pub(crate) fn cos_f32(x: f32) -> f32 {
    sin_cos_f32(x, 1)
}

/// Error-free subtraction (Knuth's TwoSum): returns `(s, e)` with
/// `s = fl(a - b)` and `s + e = a - b` exactly, for any order of
/// magnitude.
#[inline(always)]
fn two_diff(a: f64, b: f64) -> (f64, f64) {
    let s = a - b;
    let bb = s - a;
    let e = (a - (s - bb)) - (b + bb);
    (s, e)
}

/// sin or cos of an f64 (`quadrant_shift` 0 for sin, 1 for cos).
///
/// Reduction: `n = round(x 2/π)`; `x - n π/2` with π/2 split in three
/// 33-bit pieces and a 53-bit tail (≈ 152 bits). For `n < 2^20` all three
/// products are exact, `x - n·PIO2_1` is exact, and the next two
/// subtractions are done error-free (TwoSum), so the reduced argument comes
/// out as a double-double `hi + lo` with an absolute error around 2^-130,
/// negligible even when `x` is the closest double to a multiple of π/2
/// (the fixture has hundreds of those).
///
/// Kernels: `sin(hi + lo) ≈ hi + (hi^3 S(hi^2) + lo (1 - hi^2/2))` with a
/// degree-15 odd polynomial; `cos(hi + lo) ≈ w + ((1 - w - hi^2/2) +
/// (hi^4 C(hi^2) - hi lo))` with `w = 1 - hi^2/2` (the rounding error of
/// `w` is recovered exactly; same arrangement as fdlibm's kernel), degree
/// 14. Quadrant selection as in the f32 version.
#[inline(always)]
fn sin_cos_f64(x: f64, quadrant_shift: u64) -> f64 {
    let t = x * std::f64::consts::FRAC_2_PI + MAGIC_F64;
    let n = t - MAGIC_F64;
    let q = t.to_bits().wrapping_add(quadrant_shift);
    let a = x - n * PIO2_1; // exact
    let (s1, e1) = two_diff(a, n * PIO2_2);
    let (s2, e2) = two_diff(s1, n * PIO2_3);
    let lo = (e1 + e2) - n * PIO2_4;
    let hi = s2 + lo;
    let lo = (s2 - hi) + lo;
    let z = hi * hi;
    // sin kernel
    let v = z * hi;
    let sin_r = hi + (v * horner_f64(z, &SIN_S_F64) + (lo - 0.5 * z * lo));
    // cos kernel
    let hz = 0.5 * z;
    let w = 1.0 - hz;
    let cos_r = w + (((1.0 - w) - hz) + (z * z * horner_f64(z, &COS_C_F64) - hi * lo));
    let v = if (q & 1) == 0 { sin_r } else { cos_r };
    f64::from_bits(v.to_bits() ^ ((q & 2) << 62))
}

/// Sine of an f64.
///
/// Domain: |x| <= [`SIN_COS_LIMIT_F64`] (±inf and NaN give NaN; larger
/// finite |x| give wrong values: use [`sin_f64_slice`]). `sin(±0) = ±0`.
/// Measured max error: see the module table.
#[inline(always)]
pub(crate) fn sin_f64(x: f64) -> f64 {
    let v = sin_cos_f64(x, 0);
    // The double-double reduction turns -0 into +0; keep the sign of zero.
    if x == 0.0 {
        x
    } else {
        v
    }
}

/// Cosine of an f64.
///
/// Domain: |x| <= [`SIN_COS_LIMIT_F64`], as for [`sin_f64`]. Measured max
/// error: see the module table.
#[inline(always)]
pub(crate) fn cos_f64(x: f64) -> f64 {
    sin_cos_f64(x, 1)
}

// ---------------------------------------------------------------------------
// Slice forms
// ---------------------------------------------------------------------------

/// Defines `out[i] = f(xs[i])` slice forms for functions valid everywhere.
macro_rules! slice_forms {
    ($($(#[$doc:meta])* $name:ident = $f:ident : $t:ty;)*) => {$(
        $(#[$doc])*
        ///
        /// Panics if `out.len() != xs.len()`.
        #[inline(always)]
        pub(crate) fn $name(out: &mut [$t], xs: &[$t]) {
            assert_eq!(out.len(), xs.len(), "vmath: output and input lengths differ");
            for (o, &x) in out.iter_mut().zip(xs) {
                *o = $f(x);
            }
        }
    )*};
}

slice_forms! {
    /// `out[i] = e^xs[i]` ([`exp_f32`]).
    exp_f32_slice = exp_f32: f32;
    /// `out[i] = e^xs[i]` ([`exp_f64`]).
    exp_f64_slice = exp_f64: f64;
    /// `out[i] = ln xs[i]` ([`ln_f32`]).
    ln_f32_slice = ln_f32: f32;
    /// `out[i] = ln xs[i]` ([`ln_f64`]).
    ln_f64_slice = ln_f64: f64;
    /// `out[i] = tanh xs[i]` ([`tanh_f32`]).
    tanh_f32_slice = tanh_f32: f32;
    /// `out[i] = tanh xs[i]` ([`tanh_f64`]).
    tanh_f64_slice = tanh_f64: f64;
}

/// Block length of the sin/cos slice forms: the vectorised core runs over a
/// block, then one vectorisable pass checks whether any element of the
/// block is beyond the limit (or NaN/inf) and needs the scalar fix-up.
const SIN_COS_BLOCK: usize = 256;

/// Defines the sin/cos slice forms: the branch-free core over each block,
/// then a rare scalar fix-up with the std function for |x| > limit.
macro_rules! sin_cos_slice_forms {
    ($($(#[$doc:meta])* $name:ident = $f:ident, $t:ty, $limit:expr, $fix:expr;)*) => {$(
        $(#[$doc])*
        ///
        /// Valid for every input: elements with |x| beyond the limit (and
        /// ±inf, NaN) are recomputed with the std function.
        /// Panics if `out.len() != xs.len()`.
        #[inline(always)]
        pub(crate) fn $name(out: &mut [$t], xs: &[$t]) {
            assert_eq!(out.len(), xs.len(), "vmath: output and input lengths differ");
            let fix: fn($t) -> $t = $fix;
            for (ob, xb) in out.chunks_mut(SIN_COS_BLOCK).zip(xs.chunks(SIN_COS_BLOCK)) {
                let mut bad = 0u32;
                for (o, &x) in ob.iter_mut().zip(xb) {
                    *o = $f(x);
                    // 1 for |x| > limit, ±inf and NaN (compares false).
                    bad |= if x.abs() <= $limit { 0 } else { 1 };
                }
                if bad != 0 {
                    for (o, &x) in ob.iter_mut().zip(xb) {
                        if x.abs() > $limit || x.is_nan() {
                            *o = fix(x);
                        }
                    }
                }
            }
        }
    )*};
}

sin_cos_slice_forms! {
    /// `out[i] = sin xs[i]` ([`sin_f32`]; f64 std `sin` beyond the limit).
    sin_f32_slice = sin_f32, f32, SIN_COS_LIMIT_F32, |x| (x as f64).sin() as f32;
    /// `out[i] = cos xs[i]` ([`cos_f32`]; f64 std `cos` beyond the limit).
    cos_f32_slice = cos_f32, f32, SIN_COS_LIMIT_F32, |x| (x as f64).cos() as f32;
    /// `out[i] = sin xs[i]` ([`sin_f64`]; std `sin` beyond the limit).
    sin_f64_slice = sin_f64, f64, SIN_COS_LIMIT_F64, f64::sin;
    /// `out[i] = cos xs[i]` ([`cos_f64`]; std `cos` beyond the limit).
    cos_f64_slice = cos_f64, f64, SIN_COS_LIMIT_F64, f64::cos;
}

#[cfg(test)]
mod tests {
    use super::*;

    // Error bounds in ulp enforced by the tests (the measured maxima are in
    // the module documentation).
    const EXP_F32_BOUND: f64 = 1.0;
    const LN_F32_BOUND: f64 = 1.0;
    const TANH_F32_BOUND: f64 = 1.0;
    const SIN_COS_F32_BOUND: f64 = 0.6;
    const EXP_F64_BOUND: f64 = 1.0;
    const LN_F64_BOUND: f64 = 1.0;
    const TANH_F64_BOUND: f64 = 1.0;
    const SIN_COS_F64_BOUND: f64 = 1.0;

    /// Stride of the sweep over all f32 bit patterns (a prime, so every
    /// exponent and many mantissa patterns are visited).
    const SWEEP_STRIDE: usize = 97;
    /// Random samples per dense range.
    const DENSE: usize = 200_000;

    /// xorshift64* generator: deterministic, no dependencies.
    struct Rng(u64);

    impl Rng {
        fn next_u64(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        /// Uniform in [lo, hi).
        fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
            let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            lo + (hi - lo) * u
        }
    }

    /// `2^k` as an f64, for -1074 <= k <= 1023.
    fn pow2(k: i32) -> f64 {
        if k >= -1022 {
            f64::from_bits(((k + 1023) as u64) << 52)
        } else {
            f64::from_bits(1u64 << (k + 1074))
        }
    }

    /// Binary exponent of a finite nonzero f64 (floor(log2 |v|)).
    fn exponent(v: f64) -> i32 {
        let e = ((v.to_bits() >> 52) & 0x7ff) as i32;
        if e == 0 {
            // subnormal
            -1011 - (v.abs().to_bits().leading_zeros() as i32)
        } else {
            e - 1023
        }
    }

    /// ulp of an f32 result whose exact value is `v` (for |v| >= 2^128 the
    /// exponent range is extended, so an overflow to inf is measured
    /// against 2^128).
    fn ulp_f32(v: f64) -> f64 {
        let a = v.abs();
        if a < f32::MIN_POSITIVE as f64 {
            pow2(-149)
        } else {
            pow2(exponent(a) - 23)
        }
    }

    /// Error in f32 ulp of `got` against the (f64-accurate) value `want`.
    fn err_f32(got: f32, want: f64) -> f64 {
        if want.is_nan() || got.is_nan() {
            return if want.is_nan() && got.is_nan() {
                0.0
            } else {
                f64::INFINITY
            };
        }
        if want.is_infinite() {
            return if got as f64 == want {
                0.0
            } else {
                f64::INFINITY
            };
        }
        let two128 = 2f64.powi(128);
        if got.is_infinite() && want.abs() >= two128 && (got > 0.0) == (want > 0.0) {
            return 0.0;
        }
        let g = if got.is_infinite() {
            two128.copysign(got as f64)
        } else {
            got as f64
        };
        (g - want).abs() / ulp_f32(want)
    }

    /// Error in f64 ulp of `got` against `hi + lo` (`sub`: remainder in
    /// units of 2^-1074 when `hi` is subnormal).
    fn err_f64(got: f64, hi: f64, lo: f64, sub: Option<f64>) -> f64 {
        if hi.is_nan() || got.is_nan() {
            return if hi.is_nan() && got.is_nan() {
                0.0
            } else {
                f64::INFINITY
            };
        }
        if hi.is_infinite() {
            return if got == hi { 0.0 } else { f64::INFINITY };
        }
        if let Some(frac) = sub {
            let d = (got - hi) * pow2(1022) * pow2(52);
            return (d - frac).abs();
        }
        if hi == 0.0 {
            return got.abs() / pow2(-1074);
        }
        // ulp of the exact value: one binade lower when hi is a power of
        // two and the remainder points towards zero.
        let mut e = exponent(hi);
        if hi.abs().to_bits() & 0x000f_ffff_ffff_ffff == 0 && lo != 0.0 && (lo < 0.0) != (hi < 0.0)
        {
            e -= 1;
        }
        let ulp = pow2(e.max(-1022) - 52);
        if got.is_infinite() {
            // measure against 2^1024 without overflowing
            let h = 0.5 * hi;
            return ((pow2(1023).copysign(got) - h) * 2.0 - lo).abs() / ulp;
        }
        ((got - hi) - lo).abs() / ulp
    }

    /// Largest error seen, and where.
    #[derive(Default)]
    struct MaxErr {
        err: f64,
        arg: f64,
        count: usize,
    }

    impl MaxErr {
        fn add(&mut self, err: f64, arg: f64) {
            self.count += 1;
            if err > self.err || err.is_nan() {
                self.err = err;
                self.arg = arg;
            }
        }
        fn check(&self, name: &str, bound: f64) {
            eprintln!(
                "{name}: max error {:.4} ulp at x = {:e} ({} samples)",
                self.err, self.arg, self.count
            );
            assert!(
                self.err <= bound,
                "{name}: max error {} ulp at x = {:e} ({:#x}) exceeds the bound {bound}",
                self.err,
                self.arg,
                self.arg.to_bits()
            );
        }
    }

    /// An f32 function under test.
    struct F32Fn {
        name: &'static str,
        slice: fn(&mut [f32], &[f32]),
        scalar: fn(f32) -> f32,
        /// The scalar form is compared with the slice form for |x| <= this.
        scalar_limit: f32,
        /// The f64 std function used as reference.
        reference: fn(f64) -> f64,
        /// Error bound in ulp.
        bound: f64,
    }

    const EXP32: F32Fn = F32Fn {
        name: "exp_f32",
        slice: exp_f32_slice,
        scalar: exp_f32,
        scalar_limit: f32::INFINITY,
        reference: f64::exp,
        bound: EXP_F32_BOUND,
    };
    const LN32: F32Fn = F32Fn {
        name: "ln_f32",
        slice: ln_f32_slice,
        scalar: ln_f32,
        scalar_limit: f32::INFINITY,
        reference: f64::ln,
        bound: LN_F32_BOUND,
    };
    const TANH32: F32Fn = F32Fn {
        name: "tanh_f32",
        slice: tanh_f32_slice,
        scalar: tanh_f32,
        scalar_limit: f32::INFINITY,
        reference: f64::tanh,
        bound: TANH_F32_BOUND,
    };
    const SIN32: F32Fn = F32Fn {
        name: "sin_f32",
        slice: sin_f32_slice,
        scalar: sin_f32,
        scalar_limit: SIN_COS_LIMIT_F32,
        reference: f64::sin,
        bound: SIN_COS_F32_BOUND,
    };
    const COS32: F32Fn = F32Fn {
        name: "cos_f32",
        slice: cos_f32_slice,
        scalar: cos_f32,
        scalar_limit: SIN_COS_LIMIT_F32,
        reference: f64::cos,
        bound: SIN_COS_F32_BOUND,
    };

    /// Measures the slice form of `func` against its f64 reference on a
    /// sweep over every `stride`-th f32 bit pattern (all finite ones) and
    /// on `DENSE` random samples of each range in `dense`; also checks that
    /// the scalar form agrees bit for bit with the slice form where it is
    /// valid.
    fn check_f32(func: &F32Fn, dense: &[(f64, f64)], stride: usize) {
        let mut max = MaxErr::default();
        let mut xs: Vec<f32> = Vec::with_capacity(1 << 16);
        let mut out = vec![0f32; 1 << 16];
        let mut flush = |xs: &mut Vec<f32>, max: &mut MaxErr| {
            let out = &mut out[..xs.len()];
            (func.slice)(out, xs);
            for (&x, &y) in xs.iter().zip(out.iter()) {
                max.add(err_f32(y, (func.reference)(x as f64)), x as f64);
                if x.abs() <= func.scalar_limit {
                    let s = (func.scalar)(x);
                    assert!(
                        s.to_bits() == y.to_bits() || (s.is_nan() && y.is_nan()),
                        "{}: scalar {s:e} != slice {y:e} at {x:e}",
                        func.name
                    );
                }
            }
            xs.clear();
        };
        let mut bits = 0u64;
        while bits <= u32::MAX as u64 {
            let x = f32::from_bits(bits as u32);
            if x.is_finite() {
                xs.push(x);
                if xs.len() == xs.capacity() {
                    flush(&mut xs, &mut max);
                }
            }
            bits += stride as u64;
        }
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ func.name.len() as u64);
        for &(lo, hi) in dense {
            for _ in 0..DENSE {
                xs.push(rng.uniform(lo, hi) as f32);
                if xs.len() == xs.capacity() {
                    flush(&mut xs, &mut max);
                }
            }
        }
        flush(&mut xs, &mut max);
        max.check(func.name, func.bound);
    }

    #[test]
    fn exp_f32_ulp() {
        let dense = [(-104.0, 89.0), (-1.0, 1.0), (-104.0, -87.0), (85.0, 89.0)];
        check_f32(&EXP32, &dense, SWEEP_STRIDE);
    }

    #[test]
    fn ln_f32_ulp() {
        let dense = [(0.0, 4.0), (0.99, 1.01), (0.0, 1e-37), (0.0, 1e6)];
        check_f32(&LN32, &dense, SWEEP_STRIDE);
    }

    #[test]
    fn tanh_f32_ulp() {
        let dense = [(-10.0, 10.0), (-1.0, 1.0), (0.5, 0.6), (-0.01, 0.01)];
        check_f32(&TANH32, &dense, SWEEP_STRIDE);
    }

    #[test]
    fn sin_f32_ulp() {
        let dense = [(-10.0, 10.0), (-1e6, 1e6), (-2e6, 2e6)];
        check_f32(&SIN32, &dense, SWEEP_STRIDE);
    }

    #[test]
    fn cos_f32_ulp() {
        let dense = [(-10.0, 10.0), (-1e6, 1e6), (-2e6, 2e6)];
        check_f32(&COS32, &dense, SWEEP_STRIDE);
    }

    /// Every f32 (all 2^32 bit patterns); not run by default (a minute or
    /// two each in release):
    /// `cargo test --release -- --ignored exhaustive --test-threads 2`.
    #[test]
    #[ignore]
    fn exhaustive_exp_f32() {
        check_f32(&EXP32, &[], 1);
    }

    /// See [`exhaustive_exp_f32`].
    #[test]
    #[ignore]
    fn exhaustive_ln_f32() {
        check_f32(&LN32, &[], 1);
    }

    /// See [`exhaustive_exp_f32`].
    #[test]
    #[ignore]
    fn exhaustive_tanh_f32() {
        check_f32(&TANH32, &[], 1);
    }

    /// See [`exhaustive_exp_f32`].
    #[test]
    #[ignore]
    fn exhaustive_sin_f32() {
        check_f32(&SIN32, &[], 1);
    }

    /// See [`exhaustive_exp_f32`].
    #[test]
    #[ignore]
    fn exhaustive_cos_f32() {
        check_f32(&COS32, &[], 1);
    }

    /// The f32 arguments closest to multiples of π/2 (and their neighbours)
    /// are the hardest cases of the sin/cos reduction.
    #[test]
    fn sin_cos_f32_near_multiples_of_pi_over_2() {
        let mut sin_max = MaxErr::default();
        let mut cos_max = MaxErr::default();
        let mut k = 1.0f64;
        while k * std::f64::consts::FRAC_PI_2 < 1.1 * SIN_COS_LIMIT_F32 as f64 {
            let c = (k * std::f64::consts::FRAC_PI_2) as f32;
            for d in -2i32..=2 {
                for sign in [1.0f32, -1.0] {
                    let x = f32::from_bits(c.to_bits().wrapping_add_signed(d)) * sign;
                    let (mut s, mut co) = ([0f32], [0f32]);
                    sin_f32_slice(&mut s, &[x]);
                    cos_f32_slice(&mut co, &[x]);
                    sin_max.add(err_f32(s[0], (x as f64).sin()), x as f64);
                    cos_max.add(err_f32(co[0], (x as f64).cos()), x as f64);
                }
            }
            k = (k * 1.001).ceil();
        }
        sin_max.check("sin_f32 near k pi/2", SIN_COS_F32_BOUND);
        cos_max.check("cos_f32 near k pi/2", SIN_COS_F32_BOUND);
    }

    /// One case of the f64 fixture.
    struct RefCase {
        x: f64,
        hi: f64,
        lo: f64,
        sub: Option<f64>,
    }

    /// Parses one hex field, padding omitted trailing digits with zeros.
    fn parse_hex(s: &str) -> f64 {
        assert!(!s.is_empty() && s.len() <= 16, "bad field {s:?}");
        let v = u64::from_str_radix(s, 16).expect("hex field");
        f64::from_bits(v << (4 * (16 - s.len())))
    }

    /// The fixture's cases for function `name`.
    fn fixture(name: &str) -> Vec<RefCase> {
        const DATA: &str = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/vmath_ref_f64.txt"
        ));
        let mut cases = Vec::new();
        let mut current = "";
        for line in DATA.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if let Some(n) = line.strip_prefix('@') {
                current = n.trim();
                continue;
            }
            if current != name {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert!(fields.len() == 3 || fields.len() == 4, "bad line {line:?}");
            cases.push(RefCase {
                x: parse_hex(fields[0]),
                hi: parse_hex(fields[1]),
                lo: parse_hex(fields[2]),
                sub: fields.get(3).map(|s| parse_hex(s)),
            });
        }
        assert!(
            cases.len() >= 1000,
            "fixture has only {} cases for {name}",
            cases.len()
        );
        cases
    }

    /// Measures the f64 slice form `f` (and the scalar `scalar` where
    /// |x| <= `scalar_limit`) against the fixture.
    fn check_f64(
        name: &str,
        f: fn(&mut [f64], &[f64]),
        scalar: fn(f64) -> f64,
        scalar_limit: f64,
        bound: f64,
    ) {
        let cases = fixture(name);
        let xs: Vec<f64> = cases.iter().map(|c| c.x).collect();
        let mut out = vec![0f64; xs.len()];
        f(&mut out, &xs);
        let mut max = MaxErr::default();
        for (c, &y) in cases.iter().zip(&out) {
            max.add(err_f64(y, c.hi, c.lo, c.sub), c.x);
            if c.x.abs() <= scalar_limit {
                max.add(err_f64(scalar(c.x), c.hi, c.lo, c.sub), c.x);
            }
        }
        max.check(&format!("{name}_f64"), bound);
    }

    #[test]
    fn exp_f64_ulp() {
        check_f64("exp", exp_f64_slice, exp_f64, f64::INFINITY, EXP_F64_BOUND);
    }

    #[test]
    fn ln_f64_ulp() {
        check_f64("ln", ln_f64_slice, ln_f64, f64::INFINITY, LN_F64_BOUND);
    }

    #[test]
    fn tanh_f64_ulp() {
        check_f64(
            "tanh",
            tanh_f64_slice,
            tanh_f64,
            f64::INFINITY,
            TANH_F64_BOUND,
        );
    }

    #[test]
    fn sin_f64_ulp() {
        check_f64(
            "sin",
            sin_f64_slice,
            sin_f64,
            SIN_COS_LIMIT_F64,
            SIN_COS_F64_BOUND,
        );
    }

    #[test]
    fn cos_f64_ulp() {
        check_f64(
            "cos",
            cos_f64_slice,
            cos_f64,
            SIN_COS_LIMIT_F64,
            SIN_COS_F64_BOUND,
        );
    }

    /// The GPU's f64 functions (`shaders/math_f64.wgsl`, through the public
    /// `Array` API) against the same fixture and bounds, and `power` against
    /// Rust's `powf` (C99 semantics) on special values and random pairs.
    #[cfg(feature = "gpu")]
    #[test]
    fn gpu_f64_functions_meet_the_same_bounds() {
        use crate::{Array, Device, UnaryOp};
        let Some(dev) = crate::gpu::tests::gpu() else {
            return;
        };
        if !dev.supports(crate::DType::F64) {
            eprintln!("skipping: the adapter has no SHADER_F64");
            return;
        }
        let dev = Device::Gpu(dev);
        let run = |op: UnaryOp, xs: &[f64]| -> Vec<f64> {
            let a = Array::from_vec(xs.to_vec(), &[xs.len()]).unwrap();
            let r = a.to_device(&dev).unwrap().unary(op).unwrap();
            r.to_cpu().unwrap().to_vec::<f64>().unwrap()
        };
        for (name, op, bound) in [
            ("exp", UnaryOp::Exp, EXP_F64_BOUND),
            ("ln", UnaryOp::Log, LN_F64_BOUND),
            ("tanh", UnaryOp::Tanh, TANH_F64_BOUND),
            ("sin", UnaryOp::Sin, SIN_COS_F64_BOUND),
            ("cos", UnaryOp::Cos, SIN_COS_F64_BOUND),
        ] {
            let cases = fixture(name);
            let xs: Vec<f64> = cases.iter().map(|c| c.x).collect();
            let mut max = MaxErr::default();
            for (c, y) in cases.iter().zip(run(op, &xs)) {
                max.add(err_f64(y, c.hi, c.lo, c.sub), c.x);
            }
            max.check(&format!("gpu {name}_f64"), bound);
            // Special values, bit for bit as the CPU's.
            let special = [
                0.0,
                -0.0,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NAN,
                1e300,
                -1e300,
                5e-324,
            ];
            let (got, want) = (
                run(op, &special),
                Array::from_vec(special.to_vec(), &[8])
                    .unwrap()
                    .unary(op)
                    .unwrap()
                    .to_vec::<f64>()
                    .unwrap(),
            );
            for ((g, w), x) in got.iter().zip(&want).zip(special) {
                assert!(
                    g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
                    "gpu {name}({x:e}) = {g:e}, cpu {w:e}"
                );
            }
        }
        // power: C99 special cases on a grid, and random pairs within 2 ulp
        // of libm's (itself within about half an ulp).
        let vals = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            -0.5,
            2.0,
            -2.0,
            3.0,
            -3.0,
            1e300,
            -1e-300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let mut rng = Rng(0x5eed);
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for &x in &vals {
            for &y in &vals {
                xs.push(x);
                ys.push(y);
            }
        }
        for _ in 0..4000 {
            let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            let v = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            xs.push((u * 46.0 - 23.0).exp());
            ys.push(v * 60.0 - 30.0);
        }
        let n = xs.len();
        let a = Array::from_vec(xs.clone(), &[n])
            .unwrap()
            .to_device(&dev)
            .unwrap();
        let b = Array::from_vec(ys.clone(), &[n])
            .unwrap()
            .to_device(&dev)
            .unwrap();
        let got = a
            .power(&b)
            .unwrap()
            .to_cpu()
            .unwrap()
            .to_vec::<f64>()
            .unwrap();
        for ((&x, &y), g) in xs.iter().zip(&ys).zip(got) {
            let w = x.powf(y);
            let ok = if w.is_nan() || !w.is_finite() || w == 0.0 {
                g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan())
            } else {
                (g - w).abs() <= 2.0 * pow2(exponent(w) - 52)
            };
            assert!(ok, "gpu pow({x:e}, {y:e}) = {g:e}, libm {w:e}");
        }
    }

    /// The GPU's f32 functions (`shaders/math_f32.wgsl`, through the public
    /// `Array` API) against the f64 std functions of the widened argument:
    /// every 1031st f32 bit pattern (every exponent, both signs) plus dense
    /// samples where the functions are hardest, within the CPU's f32
    /// bounds; special values bit for bit as the CPU's; `power` within one
    /// ulp of the f64 `powf` on random and special pairs.
    #[cfg(feature = "gpu")]
    #[test]
    fn gpu_f32_functions_meet_the_cpu_bounds() {
        use crate::{Array, Device, UnaryOp};
        let Some(dev) = crate::gpu::tests::gpu() else {
            return;
        };
        let dev = Device::Gpu(dev);
        let run = |op: UnaryOp, xs: &[f32]| -> Vec<f32> {
            let a = Array::from_vec(xs.to_vec(), &[xs.len()]).unwrap();
            let r = a.to_device(&dev).unwrap().unary(op).unwrap();
            r.to_cpu().unwrap().to_vec::<f32>().unwrap()
        };
        let mut xs: Vec<f32> = (0..=u32::MAX as u64)
            .step_by(1031)
            .map(|b| f32::from_bits(b as u32))
            .filter(|x| x.is_finite())
            .collect();
        let mut rng = Rng(0x6a09_e667_f3bc_c909);
        for (lo, hi) in [(-1.0, 1.0), (-10.0, 10.0), (-104.0, 89.0), (0.5, 2.0)] {
            xs.extend((0..100_000).map(|_| rng.uniform(lo, hi) as f32));
        }
        for (op, func, bound) in [
            (UnaryOp::Exp, &EXP32, EXP_F32_BOUND),
            (UnaryOp::Log, &LN32, LN_F32_BOUND),
            (UnaryOp::Tanh, &TANH32, TANH_F32_BOUND),
            (UnaryOp::Sin, &SIN32, 1.0),
            (UnaryOp::Cos, &COS32, 1.0),
        ] {
            let mut max = MaxErr::default();
            for (&x, y) in xs.iter().zip(run(op, &xs)) {
                max.add(err_f32(y, (func.reference)(x as f64)), x as f64);
            }
            max.check(&format!("gpu {}", func.name), bound);
            let special = [
                0.0,
                -0.0,
                f32::INFINITY,
                f32::NEG_INFINITY,
                f32::NAN,
                f32::MAX,
                -f32::MAX,
                f32::from_bits(1),
                -f32::from_bits(1),
                1e10,
            ];
            let got = run(op, &special);
            let mut cpu = [0f32; 10];
            (func.slice)(&mut cpu, &special);
            for ((&x, g), w) in special.iter().zip(got).zip(cpu) {
                let close = err_f32(g, (func.reference)(x as f64)) <= bound;
                let same = g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan());
                assert!(
                    same || (close && w.is_finite() && w != 0.0),
                    "gpu {}({x:e}) = {g:e}, cpu {w:e}",
                    func.name
                );
            }
        }
        // power: C99 special cases on a grid, and random pairs.
        let vals = [
            0.0f32,
            -0.0,
            1.0,
            -1.0,
            0.5,
            -0.5,
            2.0,
            -2.0,
            3.0,
            -3.0,
            1e30,
            -1e-30,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
        ];
        let (mut px, mut py) = (Vec::new(), Vec::new());
        for &x in &vals {
            for &y in &vals {
                px.push(x);
                py.push(y);
            }
        }
        for _ in 0..200_000 {
            px.push(rng.uniform(-23.0, 23.0).exp() as f32);
            py.push(rng.uniform(-30.0, 30.0) as f32);
        }
        let n = px.len();
        let a = Array::from_vec(px.clone(), &[n]).unwrap();
        let b = Array::from_vec(py.clone(), &[n]).unwrap();
        let got = a
            .to_device(&dev)
            .unwrap()
            .power(&b.to_device(&dev).unwrap())
            .unwrap()
            .to_cpu()
            .unwrap()
            .to_vec::<f32>()
            .unwrap();
        let mut max = MaxErr::default();
        for ((&x, &y), g) in px.iter().zip(&py).zip(got) {
            let w = (x as f64).powf(y as f64);
            if w.is_nan() || w == 0.0 || w.is_infinite() {
                let wf = w as f32;
                assert!(
                    g.to_bits() == wf.to_bits() || (g.is_nan() && w.is_nan()),
                    "gpu pow({x:e}, {y:e}) = {g:e}, want {wf:e}"
                );
            } else {
                max.add(err_f32(g, w), x as f64);
            }
        }
        max.check("gpu pow_f32", 1.0);
    }

    /// float16 and bfloat16 functions (computed in f32 and rounded once,
    /// on the CPU and on the GPU) over every finite value of the dtype,
    /// against the f64 std functions, in ulp of the narrow dtype.
    #[test]
    fn half_precision_functions_on_every_device() {
        use crate::{Array, DType, Device, UnaryOp};
        #[cfg_attr(not(feature = "gpu"), allow(unused_mut))]
        let mut devices = vec![Device::Cpu];
        #[cfg(feature = "gpu")]
        devices.extend(crate::gpu::tests::gpu().map(Device::Gpu));
        // ulp of a value of a float with `mant` stored bits whose smallest
        // normal exponent is `emin`.
        fn ulp(v: f64, mant: i32, emin: i32) -> f64 {
            let a = v.abs();
            if a < pow2(emin) {
                pow2(emin - mant)
            } else {
                pow2(exponent(a) - mant)
            }
        }
        for dev in &devices {
            for (dt, mant, emin, max_finite) in [
                (DType::F16, 10, -14, 65504.0),
                (DType::BF16, 7, -126, f32::MAX as f64),
            ] {
                let bits: Vec<u16> = (0..=u16::MAX).collect();
                let xs: Vec<f64> = bits
                    .iter()
                    .map(|&b| match dt {
                        DType::F16 => half::f16::from_bits(b).to_f64(),
                        _ => half::bf16::from_bits(b).to_f64(),
                    })
                    .filter(|x| x.is_finite())
                    .collect();
                let a = Array::from_vec(xs.clone(), &[xs.len()])
                    .unwrap()
                    .astype(dt)
                    .unwrap()
                    .to_device(dev)
                    .unwrap();
                for (op, f) in [
                    (UnaryOp::Exp, f64::exp as fn(f64) -> f64),
                    (UnaryOp::Log, f64::ln),
                    (UnaryOp::Sin, f64::sin),
                    (UnaryOp::Cos, f64::cos),
                    (UnaryOp::Tanh, f64::tanh),
                ] {
                    let got = a
                        .unary(op)
                        .unwrap()
                        .to_cpu()
                        .unwrap()
                        .astype(DType::F64)
                        .unwrap()
                        .to_vec::<f64>()
                        .unwrap();
                    let mut max = MaxErr::default();
                    for (&x, g) in xs.iter().zip(got) {
                        let w = f(x);
                        let err = if w.is_nan() {
                            if g.is_nan() {
                                0.0
                            } else {
                                f64::INFINITY
                            }
                        } else if w.abs() > max_finite {
                            // Beyond the largest finite value: overflow to
                            // inf, or the largest value itself.
                            let ok = g.is_infinite() || g.abs() == max_finite;
                            if ok && g.signum() == w.signum() {
                                0.0
                            } else {
                                f64::INFINITY
                            }
                        } else {
                            (g - w).abs() / ulp(w, mant, emin)
                        };
                        max.add(err, x);
                    }
                    max.check(&format!("{op:?} {dt} on {dev:?}"), 1.0);
                }
            }
        }
    }

    #[test]
    fn exp_special_values() {
        assert!(exp_f32(f32::NAN).is_nan());
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp_f32(f32::NEG_INFINITY).to_bits(), 0);
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f32(-0.0), 1.0);
        assert_eq!(exp_f32(89.0), f32::INFINITY); // overflow
        assert_eq!(exp_f32(88.8), f32::INFINITY);
        assert!(exp_f32(88.72).is_finite());
        // gradual underflow: e^-100 = 26.55 * 2^-149 rounds to 27 * 2^-149
        assert_eq!(exp_f32(-100.0), 27.0 * f32::from_bits(1));
        assert!(exp_f32(-103.0) > 0.0);
        assert!(exp_f32(-104.0) <= f32::from_bits(1)); // 0 or the smallest subnormal
        assert_eq!(exp_f32(-150.0), 0.0);

        assert!(exp_f64(f64::NAN).is_nan());
        assert_eq!(exp_f64(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp_f64(f64::NEG_INFINITY).to_bits(), 0);
        assert_eq!(exp_f64(0.0), 1.0);
        assert_eq!(exp_f64(-0.0), 1.0);
        assert_eq!(exp_f64(709.79), f64::INFINITY);
        assert!(exp_f64(709.78).is_finite());
        assert_eq!(exp_f64(-745.0), f64::from_bits(1)); // 0.98 * 2^-1074
        assert_eq!(exp_f64(-740.0), f64::from_bits(85)); // e^-740 = 84.78 * 2^-1074
        assert_eq!(exp_f64(-746.0), 0.0);
        assert_eq!(exp_f64(-1000.0), 0.0);
    }

    #[test]
    fn ln_special_values() {
        assert_eq!(ln_f32(0.0), f32::NEG_INFINITY);
        assert_eq!(ln_f32(-0.0), f32::NEG_INFINITY);
        assert!(ln_f32(-1.0).is_nan());
        assert!(ln_f32(-f32::from_bits(1)).is_nan());
        assert!(ln_f32(f32::NEG_INFINITY).is_nan());
        assert!(ln_f32(f32::NAN).is_nan());
        assert_eq!(ln_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(ln_f32(1.0).to_bits(), 0);
        assert!(
            err_f32(ln_f32(f32::from_bits(1)), -149.0 * std::f64::consts::LN_2) <= LN_F32_BOUND
        );
        assert!(err_f32(ln_f32(f32::MAX), (f32::MAX as f64).ln()) <= LN_F32_BOUND);

        assert_eq!(ln_f64(0.0), f64::NEG_INFINITY);
        assert_eq!(ln_f64(-0.0), f64::NEG_INFINITY);
        assert!(ln_f64(-1.0).is_nan());
        assert!(ln_f64(-f64::from_bits(1)).is_nan());
        assert!(ln_f64(f64::NEG_INFINITY).is_nan());
        assert!(ln_f64(f64::NAN).is_nan());
        assert_eq!(ln_f64(f64::INFINITY), f64::INFINITY);
        assert_eq!(ln_f64(1.0).to_bits(), 0);
        // ln(2^-1074) = -744.44007192138126231410729844608... (mpmath)
        assert_eq!(ln_f64(f64::from_bits(1)), -744.440_071_921_381_2);
        // ln(f64::MAX) = 709.78271289338399678773454114191... (mpmath)
        assert_eq!(ln_f64(f64::MAX), 709.782_712_893_384);
    }

    #[test]
    fn tanh_special_values() {
        for (x, want) in [
            (f32::INFINITY, 1.0),
            (f32::NEG_INFINITY, -1.0),
            (20.0, 1.0),
            (-9.5, -1.0),
        ] {
            assert_eq!(tanh_f32(x), want, "tanh_f32({x})");
        }
        assert!(tanh_f32(f32::NAN).is_nan());
        assert_eq!(tanh_f32(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(tanh_f32(0.0).to_bits(), 0);
        for x in [
            1e-20f32,
            -1e-20,
            f32::from_bits(1),
            -f32::MIN_POSITIVE,
            1e-5,
        ] {
            assert_eq!(tanh_f32(x), x, "tanh_f32({x:e})");
        }

        for (x, want) in [
            (f64::INFINITY, 1.0),
            (f64::NEG_INFINITY, -1.0),
            (20.0, 1.0),
            (-1e300, -1.0),
        ] {
            assert_eq!(tanh_f64(x), want, "tanh_f64({x})");
        }
        assert!(tanh_f64(f64::NAN).is_nan());
        assert_eq!(tanh_f64(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(tanh_f64(0.0).to_bits(), 0);
        for x in [
            1e-20f64,
            -1e-200,
            f64::from_bits(1),
            -f64::MIN_POSITIVE,
            1e-9,
        ] {
            assert_eq!(tanh_f64(x), x, "tanh_f64({x:e})");
        }
    }

    #[test]
    fn sin_cos_special_values() {
        let f32_specials = [f32::INFINITY, f32::NEG_INFINITY, f32::NAN];
        for x in f32_specials {
            assert!(
                sin_f32(x).is_nan() && cos_f32(x).is_nan(),
                "scalar sin/cos_f32({x})"
            );
        }
        let mut out = [0f32; 3];
        sin_f32_slice(&mut out, &f32_specials);
        assert!(out.iter().all(|v| v.is_nan()));
        cos_f32_slice(&mut out, &f32_specials);
        assert!(out.iter().all(|v| v.is_nan()));
        let zeros = [0.0f32, -0.0];
        let mut out = [1f32; 2];
        sin_f32_slice(&mut out, &zeros);
        assert_eq!(
            (out[0].to_bits(), out[1].to_bits()),
            (0, (-0.0f32).to_bits())
        );
        assert_eq!(
            (sin_f32(0.0).to_bits(), sin_f32(-0.0).to_bits()),
            (0, (-0.0f32).to_bits())
        );
        cos_f32_slice(&mut out, &zeros);
        assert_eq!(out, [1.0, 1.0]);

        let f64_specials = [f64::INFINITY, f64::NEG_INFINITY, f64::NAN];
        for x in f64_specials {
            assert!(
                sin_f64(x).is_nan() && cos_f64(x).is_nan(),
                "scalar sin/cos_f64({x})"
            );
        }
        let mut out = [0f64; 3];
        sin_f64_slice(&mut out, &f64_specials);
        assert!(out.iter().all(|v| v.is_nan()));
        cos_f64_slice(&mut out, &f64_specials);
        assert!(out.iter().all(|v| v.is_nan()));
        let zeros = [0.0f64, -0.0];
        let mut out = [1f64; 2];
        sin_f64_slice(&mut out, &zeros);
        assert_eq!(
            (out[0].to_bits(), out[1].to_bits()),
            (0, (-0.0f64).to_bits())
        );
        assert_eq!(
            (sin_f64(0.0).to_bits(), sin_f64(-0.0).to_bits()),
            (0, (-0.0f64).to_bits())
        );
        cos_f64_slice(&mut out, &zeros);
        assert_eq!(out, [1.0, 1.0]);
        // tiny arguments: sin x = x, cos x = 1
        for x in [1e-30f64, -f64::from_bits(1), 1e-9] {
            assert_eq!(sin_f64(x), x);
            assert_eq!(cos_f64(x), 1.0);
        }
    }

    /// Slices mixing arguments inside and beyond the limit (and ±inf, NaN)
    /// at block boundaries: the core must be used inside, std outside.
    #[test]
    fn sin_cos_slices_mixed() {
        let mut rng = Rng(12345);
        let n = 3 * SIN_COS_BLOCK + 17;
        let specials32 = [
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::MAX,
            -3e10,
            1.5e6,
            -1.1e6,
        ];
        let specials64 = [
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MAX,
            -3e10,
            1e22,
            1.1e6,
        ];
        let (mut x32, mut x64) = (Vec::new(), Vec::new());
        for i in 0..n {
            let special = matches!(i % SIN_COS_BLOCK, 0 | 1 | 7 | 255) || i % 97 == 3;
            if special {
                x32.push(specials32[i % specials32.len()]);
                x64.push(specials64[i % specials64.len()]);
            } else {
                x32.push(rng.uniform(-1e6, 1e6) as f32);
                x64.push(rng.uniform(-1e6, 1e6));
            }
        }
        x32[2 * SIN_COS_BLOCK + 5] = SIN_COS_LIMIT_F32;
        x64[2 * SIN_COS_BLOCK + 5] = -SIN_COS_LIMIT_F64;
        type Case32 = (fn(&mut [f32], &[f32]), fn(f32) -> f32, fn(f64) -> f64);
        let cases32: [Case32; 2] = [
            (sin_f32_slice, sin_f32, f64::sin),
            (cos_f32_slice, cos_f32, f64::cos),
        ];
        for (slice, scalar, std_f) in cases32 {
            let mut out = vec![0f32; n];
            slice(&mut out, &x32);
            for (&x, &y) in x32.iter().zip(&out) {
                let want = if x.abs() <= SIN_COS_LIMIT_F32 {
                    scalar(x)
                } else {
                    std_f(x as f64) as f32
                };
                assert!(
                    y.to_bits() == want.to_bits() || (y.is_nan() && want.is_nan()),
                    "{x:e}: {y:e} vs {want:e}"
                );
                assert!(
                    err_f32(y, std_f(x as f64)) <= SIN_COS_F32_BOUND,
                    "{x:e}: {y:e}"
                );
            }
        }
        type Case64 = (fn(&mut [f64], &[f64]), fn(f64) -> f64, fn(f64) -> f64);
        let cases64: [Case64; 2] = [
            (sin_f64_slice, sin_f64, f64::sin),
            (cos_f64_slice, cos_f64, f64::cos),
        ];
        for (slice, scalar, std_f) in cases64 {
            let mut out = vec![0f64; n];
            slice(&mut out, &x64);
            for (&x, &y) in x64.iter().zip(&out) {
                let want = if x.abs() <= SIN_COS_LIMIT_F64 {
                    scalar(x)
                } else {
                    std_f(x)
                };
                assert!(
                    y.to_bits() == want.to_bits() || (y.is_nan() && want.is_nan()),
                    "{x:e}: {y:e} vs {want:e}"
                );
            }
        }
    }

    #[test]
    #[should_panic(expected = "lengths differ")]
    fn slice_length_mismatch_panics() {
        exp_f32_slice(&mut [0.0; 3], &[0.0; 4]);
    }

    /// The slice forms compiled for the x86-64 baseline, for AVX2 + FMA and
    /// for AVX-512 (plus a plain std loop), for the agreement test and the
    /// timing below.
    #[cfg(target_arch = "x86_64")]
    mod builds {
        macro_rules! builds {
            ($($name:ident: $t:ty = $slice:ident, $std:expr;)*) => {$(
                pub(super) mod $name {
                    use super::super::super::*;
                    #[inline(never)]
                    pub(in super::super) fn base(o: &mut [$t], x: &[$t]) {
                        $slice(o, x)
                    }
                    /// # Safety
                    /// The CPU must support AVX2 and FMA.
                    #[inline(never)]
                    #[target_feature(enable = "avx2,fma")]
                    pub(in super::super) unsafe fn avx2(o: &mut [$t], x: &[$t]) {
                        $slice(o, x)
                    }
                    /// # Safety
                    /// The CPU must support AVX-512 F/BW/VL, AVX2 and FMA.
                    #[inline(never)]
                    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma")]
                    pub(in super::super) unsafe fn avx512(o: &mut [$t], x: &[$t]) {
                        $slice(o, x)
                    }
                    #[inline(never)]
                    pub(in super::super) fn std_loop(o: &mut [$t], x: &[$t]) {
                        let f: fn($t) -> $t = $std;
                        for (o, &x) in o.iter_mut().zip(x) {
                            *o = f(x);
                        }
                    }
                }
            )*};
        }

        builds! {
            exp_f32: f32 = exp_f32_slice, f32::exp;
            exp_f64: f64 = exp_f64_slice, f64::exp;
            ln_f32: f32 = ln_f32_slice, f32::ln;
            ln_f64: f64 = ln_f64_slice, f64::ln;
            tanh_f32: f32 = tanh_f32_slice, f32::tanh;
            tanh_f64: f64 = tanh_f64_slice, f64::tanh;
            sin_f32: f32 = sin_f32_slice, f32::sin;
            sin_f64: f64 = sin_f64_slice, f64::sin;
            cos_f32: f32 = cos_f32_slice, f32::cos;
            cos_f64: f64 = cos_f64_slice, f64::cos;
        }
    }

    /// (has AVX2 + FMA, has AVX-512 F/BW/VL as well)
    #[cfg(target_arch = "x86_64")]
    fn simd_support() -> (bool, bool) {
        let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
        let avx512 = avx2
            && is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vl");
        (avx2, avx512)
    }

    /// The AVX2 and AVX-512 builds give bit-identical results to the
    /// baseline build (all of them only use correctly rounded IEEE
    /// operations and no contraction). Meaningful in optimised builds, where
    /// the loops are actually vectorised.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn simd_builds_agree() {
        let (has_avx2, has_avx512) = simd_support();
        macro_rules! agree {
            ($($name:ident: $t:ty, $bits:ty, $lo:expr, $hi:expr;)*) => {$({
                let mut rng = Rng(99);
                let mut xs: Vec<$t> = Vec::new();
                for i in 0..8192 {
                    xs.push(if i % 2 == 0 {
                        rng.uniform($lo, $hi) as $t
                    } else {
                        <$t>::from_bits(rng.next_u64() as $bits)
                    });
                }
                xs.extend([0.0, -0.0, <$t>::INFINITY, <$t>::NEG_INFINITY, <$t>::NAN, <$t>::MAX]);
                let mut want: Vec<$t> = vec![0.0; xs.len()];
                builds::$name::base(&mut want, &xs);
                let mut got: Vec<$t> = vec![0.0; xs.len()];
                let compare = |got: &[$t], which: &str| {
                    for ((&x, &w), &g) in xs.iter().zip(&want).zip(got) {
                        assert!(
                            w.to_bits() == g.to_bits() || (w.is_nan() && g.is_nan()),
                            "{} {which}: {x:e} gives {g:e}, baseline {w:e}",
                            stringify!($name)
                        );
                    }
                };
                if has_avx2 {
                    // SAFETY: AVX2 and FMA were detected.
                    unsafe { builds::$name::avx2(&mut got, &xs) };
                    compare(&got, "avx2");
                }
                if has_avx512 {
                    // SAFETY: the AVX-512 features were detected.
                    unsafe { builds::$name::avx512(&mut got, &xs) };
                    compare(&got, "avx512");
                }
            })*};
        }
        agree! {
            exp_f32: f32, u32, -110.0, 90.0;
            exp_f64: f64, u64, -750.0, 710.0;
            ln_f32: f32, u32, 0.0, 10.0;
            ln_f64: f64, u64, 0.0, 10.0;
            tanh_f32: f32, u32, -10.0, 10.0;
            tanh_f64: f64, u64, -20.0, 20.0;
            sin_f32: f32, u32, -1e3, 1e3;
            sin_f64: f64, u64, -1e3, 1e3;
            cos_f32: f32, u32, -1e3, 1e3;
            cos_f64: f64, u64, -1e3, 1e3;
        }
    }

    /// Timing, not a test: `cargo test --release -- --ignored --nocapture vmath_speed`.
    /// Prints ns/element for the slice forms compiled for the x86-64
    /// baseline, AVX2+FMA and AVX-512, and for a scalar std loop: once
    /// streaming over 2^24 elements, once over 4096 elements (in L1) called
    /// 4096 times.
    #[cfg(target_arch = "x86_64")]
    #[test]
    #[ignore]
    fn vmath_speed() {
        use std::hint::black_box;
        use std::time::Instant;

        const N: usize = 1 << 24;
        const SMALL: usize = 4096;
        let (has_avx2, has_avx512) = simd_support();
        for (len, reps) in [(N, 1), (SMALL, N / SMALL)] {
            eprintln!(
                "{:<10} {:>9} {:>9} {:>9} {:>9}   (ns/element, {len} elements x {reps})",
                "function", "std", "baseline", "avx2", "avx512"
            );
            macro_rules! time_all {
                ($($name:ident: $t:ty, $lo:expr, $hi:expr;)*) => {$({
                    let mut rng = Rng(7);
                    let xs: Vec<$t> = (0..len).map(|_| rng.uniform($lo, $hi) as $t).collect();
                    let mut out: Vec<$t> = vec![0.0; len];
                    let mut time = |f: &dyn Fn(&mut [$t], &[$t])| {
                        let mut best = f64::INFINITY;
                        for _ in 0..3 {
                            let t0 = Instant::now();
                            for _ in 0..reps {
                                f(black_box(&mut out), black_box(&xs));
                            }
                            best = best.min(t0.elapsed().as_secs_f64());
                        }
                        black_box(&out);
                        best * 1e9 / (len * reps) as f64
                    };
                    let t_std = time(&builds::$name::std_loop);
                    let t_base = time(&builds::$name::base);
                    let t_avx2 = if has_avx2 {
                        // SAFETY: AVX2 and FMA were detected.
                        time(&|o, x| unsafe { builds::$name::avx2(o, x) })
                    } else {
                        f64::NAN
                    };
                    let t_avx512 = if has_avx512 {
                        // SAFETY: the AVX-512 features were detected.
                        time(&|o, x| unsafe { builds::$name::avx512(o, x) })
                    } else {
                        f64::NAN
                    };
                    eprintln!(
                        "{:<10} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
                        stringify!($name), t_std, t_base, t_avx2, t_avx512
                    );
                })*};
            }
            time_all! {
                exp_f32: f32, -80.0, 80.0;
                exp_f64: f64, -700.0, 700.0;
                ln_f32: f32, 1e-3, 1e3;
                ln_f64: f64, 1e-3, 1e3;
                tanh_f32: f32, -5.0, 5.0;
                tanh_f64: f64, -5.0, 5.0;
                sin_f32: f32, -100.0, 100.0;
                sin_f64: f64, -100.0, 100.0;
                cos_f32: f32, -100.0, 100.0;
                cos_f64: f64, -100.0, 100.0;
            }
        }
    }
}
