//! WGSL snippets that depend on dtypes: how each dtype is held in a shader,
//! loaded, converted and stored. The kernel skeletons are the `.wgsl` files
//! under `shaders/`; these fill their dtype-dependent placeholders.
//!
//! Every dtype has a *value representation* in WGSL (`rep`): the native type
//! for f32, i32, u32, f16, f64, i64, u64; `bool` for bool; `u32` for uint8
//! and uint16 and `i32` for int8 and int16 (the value in the low bits;
//! arithmetic may carry past them, so values are wrapped whenever one is
//! converted or stored, which gives NumPy's wrap-around: see [`wrap`]);
//! `f32` for bfloat16 (rounded to bfloat16 only when stored). Storage
//! arrays hold `word` elements: `u32` for the packed dtypes (bool, int8,
//! uint8 four to a word; int16, uint16, bfloat16 two).

use crate::dtype::DType;

/// WGSL library fragments under `shaders/`, pasted into a kernel (at its
/// `helpers` placeholder) when its expression, or a fragment already
/// pasted, calls one of the functions listed with them.
const LIBRARY: [(&[&str], &str); 9] = [
    (&["ipow"], IPOW),
    (
        &["floor_divide_i32", "remainder_i32"],
        include_str!("../../shaders/idivmod_i32.wgsl"),
    ),
    (
        &["floor_divide_i64", "remainder_i64"],
        include_str!("../../shaders/idivmod_i64.wgsl"),
    ),
    (
        &["u64_to_f32_odd", "i64_to_f32_odd"],
        include_str!("../../shaders/int64_to_f32.wgsl"),
    ),
    (
        &[
            "exp_f64",
            "log_f64",
            "sin_f64",
            "cos_f64",
            "tanh_f64",
            "pow_f64",
            "m64_frexp",
            "m64_nan",
        ],
        include_str!("../../shaders/math_f64.wgsl"),
    ),
    (
        &[
            "exp_f32", "log_f32", "sin_f32", "cos_f32", "tanh_f32", "pow_f32",
        ],
        include_str!("../../shaders/math_f32.wgsl"),
    ),
    (&["round_f64"], include_str!("../../shaders/round_f64.wgsl")),
    (
        &["fmod_f32", "floor_divide_f32", "remainder_f32"],
        include_str!("../../shaders/divmod_f32.wgsl"),
    ),
    (
        &["fmod_f64", "floor_divide_f64", "remainder_f64"],
        include_str!("../../shaders/divmod_f64.wgsl"),
    ),
];

/// Integer power (`shaders/ipow.wgsl`), written for the including kernel's
/// compute type `C`.
pub(crate) const IPOW: &str = include_str!("../../shaders/ipow.wgsl");

/// Whether `src` calls `name` (the identifier, then `(`).
fn calls(src: &str, name: &str) -> bool {
    src.match_indices(name).any(|(at, _)| {
        let before = src[..at].chars().next_back();
        let after = src[at + name.len()..].trim_start();
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') && after.starts_with('(')
    })
}

/// The library fragments that `expr` needs, each once, with the fragments
/// those need in turn.
pub(crate) fn helpers(expr: &str) -> String {
    let mut included = [false; LIBRARY.len()];
    let mut scanned = expr.to_string();
    let mut out = Vec::new();
    loop {
        let mut grew = false;
        for (i, (names, src)) in LIBRARY.iter().enumerate() {
            if !included[i] && names.iter().any(|n| calls(&scanned, n)) {
                included[i] = true;
                scanned.push_str(src);
                out.push(*src);
                grew = true;
            }
        }
        if !grew {
            return out.join("\n");
        }
    }
}

/// The WGSL type that holds a value of `dt` inside a shader.
pub(crate) fn rep(dt: DType) -> &'static str {
    match dt {
        DType::Bool => "bool",
        DType::U8 | DType::U16 | DType::U32 => "u32",
        DType::I8 | DType::I16 | DType::I32 => "i32",
        DType::I64 => "i64",
        DType::U64 => "u64",
        DType::F16 => "f16",
        DType::BF16 | DType::F32 => "f32",
        DType::F64 => "f64",
    }
}

/// The unpacked dtype with the same WGSL representation as `dt` (uint32
/// for bool, uint8 and uint16; int32 for int8 and int16; float32 for
/// bfloat16; `dt` itself when it is not packed): the dtype of an unpacked
/// temporary that holds `dt`'s values.
pub(crate) fn unpacked(dt: DType) -> DType {
    match dt {
        DType::Bool | DType::U8 | DType::U16 => DType::U32,
        DType::I8 | DType::I16 => DType::I32,
        DType::BF16 => DType::F32,
        other => other,
    }
}

/// The element type of a storage array holding `dt`.
pub(crate) fn word(dt: DType) -> &'static str {
    if is_packed(dt) {
        "u32"
    } else {
        rep(dt)
    }
}

/// Elements per 32-bit storage word: 4 for the 1-byte dtypes (bool, int8,
/// uint8), 2 for the 2-byte ones but float16 (int16, uint16, bfloat16),
/// 1 for everything else (which is not packed).
pub(crate) fn lanes(dt: DType) -> u32 {
    match dt {
        DType::Bool | DType::I8 | DType::U8 => 4,
        DType::I16 | DType::U16 | DType::BF16 => 2,
        _ => 1,
    }
}

/// True for dtypes stored several to a 32-bit word.
pub(crate) fn is_packed(dt: DType) -> bool {
    lanes(dt) > 1
}

/// Whether `src` names the identifier `ident` (not as part of a longer one).
pub(crate) fn mentions(src: &str, ident: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    src.match_indices(ident).any(|(at, _)| {
        !src[..at].chars().next_back().is_some_and(word)
            && !src[at + ident.len()..].chars().next().is_some_and(word)
    })
}

/// The `enable` directives a shader using `dtypes`, and running the
/// generated `code` (which may hold values of other dtypes), needs.
pub(crate) fn enables(dtypes: &[DType], code: &str) -> String {
    if dtypes.contains(&DType::F16) || mentions(code, "f16") {
        "enable f16;\n".to_string()
    } else {
        String::new()
    }
}

/// A WGSL expression for element `e` (a `u32` expression) of storage array
/// `buf` holding `dt`, as a value of `rep(dt)`.
pub(crate) fn load(dt: DType, buf: &str, e: &str) -> String {
    match dt {
        DType::U8 => format!("unpack_u8({buf}[({e}) >> 2u], {e})"),
        DType::I8 => format!("unpack_i8({buf}[({e}) >> 2u], {e})"),
        DType::Bool => format!("(unpack_u8({buf}[({e}) >> 2u], {e}) != 0u)"),
        DType::U16 => format!("unpack_u16({buf}[({e}) >> 1u], {e})"),
        DType::I16 => format!("unpack_i16({buf}[({e}) >> 1u], {e})"),
        DType::BF16 => format!("unpack_bf16({buf}[({e}) >> 1u], {e})"),
        _ => format!("{buf}[{e}]"),
    }
}

/// The lane bits (low 8 or 16 bits of a `u32`) of the value `v`, a
/// `rep(dt)` expression, for a packed `dt`.
pub(crate) fn lane_bits(dt: DType, v: &str) -> String {
    match dt {
        DType::U8 => format!("(({v}) & 0xffu)"),
        DType::I8 => format!("(bitcast<u32>({v}) & 0xffu)"),
        DType::U16 => format!("(({v}) & 0xffffu)"),
        DType::I16 => format!("(bitcast<u32>({v}) & 0xffffu)"),
        DType::Bool => format!("select(0u, 1u, {v})"),
        DType::BF16 => format!("pack_bf16({v})"),
        _ => unreachable!("{dt} is not packed"),
    }
}

/// `e`, a `rep(dt)` expression, wrapped to `dt`'s range: the integers
/// narrower than their 32-bit representation carry arithmetic past their
/// bits, so their values are wrapped (masked for uint8 and uint16,
/// sign-extended from the low bits for int8 and int16) whenever they are
/// converted or stored, which gives NumPy's wrap-around. Other dtypes are
/// `e` itself.
pub(crate) fn wrap(dt: DType, e: &str) -> String {
    match dt {
        DType::U8 => format!("(({e}) & 0xffu)"),
        DType::U16 => format!("(({e}) & 0xffffu)"),
        DType::I8 => format!("((({e}) << 24u) >> 24u)"),
        DType::I16 => format!("((({e}) << 16u) >> 16u)"),
        _ => e.to_string(),
    }
}

/// A WGSL expression converting `e`, a `rep(from)` expression, to
/// `rep(to)`, with NumPy's `astype` (unsafe casting) semantics: floats to
/// integers truncate toward zero (negative floats to unsigned wrap through
/// the signed type); integers to narrower integers wrap; anything to bool is
/// `!= 0`; bool to numbers is 0 or 1.
///
/// Out-of-range float to integer casts (undefined in NumPy) saturate here
/// (at the 32- or 64-bit representation, then wrap to a narrower dtype).
pub(crate) fn convert(from: DType, to: DType, e: &str) -> String {
    if from == to {
        return wrap(to, e);
    }
    let e = format!("({})", wrap(from, e));
    let t = rep(to);
    if to == DType::Bool {
        // Floats as `!(x == 0)`: WGSL's `!=` compiles to an ordered
        // comparison, false for NaN, and NaN is true as a bool.
        return if from.is_float() {
            format!("!({e} == {}(0))", rep(from))
        } else {
            format!("({e} != {}(0))", rep(from))
        };
    }
    if from == DType::Bool {
        return format!("select({t}(0), {t}(1), {e})");
    }
    let signed32 = rep(from) == "i32";
    // NaN to an integer is 0, as the CPU's casts give it (WGSL leaves the
    // conversion of NaN indeterminate: two kernels could disagree).
    let e = if from.is_float() && !to.is_float() {
        format!("select({e}, {}(0), is_nan_f32(f32({e})))", rep(from))
    } else {
        e
    };
    match (from.is_float(), to) {
        // Float to unsigned: negative values wrap through the signed type.
        (true, DType::U8 | DType::U16 | DType::U32) => wrap(
            to,
            &format!("select(u32({e}), u32(i32({e})), {e} < {}(0))", rep(from)),
        ),
        (true, DType::U64) => format!("select(u64({e}), u64(i64({e})), {e} < {}(0))", rep(from)),
        (true, DType::I8 | DType::I16) => wrap(to, &format!("i32({e})")),
        // Widening to 64 bits: extend in the source's signedness. For
        // the signed 32-bit representation the sign extension is spelled
        // out (the zero extension, less 2^32 for a negative value):
        // lavapipe (Mesa 22.3, LLVM 15) miscompiles `i64(i32)` feeding
        // 64-bit division and remainder (`-1 // 2` gave i64::MAX).
        (false, DType::U64) if signed32 => format!("u64({})", sign_extend(&e)),
        (false, DType::I64) if signed32 => sign_extend(&e),
        (false, DType::I64) if rep(from) == "u32" => format!("i64(u64({e}))"),
        (false, DType::U8 | DType::U16) => wrap(to, &format!("u32({e})")),
        (false, DType::I8 | DType::I16) => wrap(to, &format!("i32({e})")),
        // To bfloat16 (held as f32, rounded when stored): one rounding.
        (false, DType::BF16) if from == DType::U64 => format!("u64_to_f32_odd({e})"),
        (false, DType::BF16) if from == DType::I64 => format!("i64_to_f32_odd({e})"),
        _ => format!("{t}({e})"),
    }
}

/// `e`, an `i32` expression, sign-extended to `i64` without `i64(i32)`.
fn sign_extend(e: &str) -> String {
    format!("(i64(u64(bitcast<u32>({e}))) - i64(u64(bitcast<u32>({e}) >> 31u) << 32u))")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn representations() {
        assert_eq!(rep(DType::U8), "u32");
        assert_eq!(word(DType::Bool), "u32");
        assert_eq!(word(DType::F16), "f16");
        assert_eq!(lanes(DType::BF16), 2);
        assert!(is_packed(DType::U8) && !is_packed(DType::F32));
    }

    #[test]
    fn generated_code_using_f16_enables_it() {
        assert!(enables(&[DType::F32], "").is_empty());
        assert!(enables(&[DType::F32], "let t0: f16 = f16(x);").contains("enable f16"));
        assert!(enables(&[DType::F32], "round_bf16(x) + pack_f16s").is_empty());
        assert!(enables(&[DType::F16], "").contains("enable f16"));
    }

    #[test]
    fn helpers_follow_the_calls() {
        assert!(helpers("ipow(x0, x1)").contains("fn ipow("));
        assert!(helpers("C(2) * ipow (x0, x1)").contains("fn ipow("));
        assert!(helpers("x0 + x1").is_empty());
        assert!(helpers("my_ipow(x0)").is_empty());
        let f64s = helpers("exp_f64(x0) + log_f64(x1)");
        assert_eq!(f64s.matches("fn exp_f64(").count(), 1);
        // divmod_f64 calls m64_frexp: math_f64 comes along, once.
        let dm = helpers("remainder_f64(x0, x1) + exp_f64(x0)");
        assert!(dm.contains("fn fmod_f64("));
        assert_eq!(dm.matches("fn m64_frexp(").count(), 1);
        assert!(!helpers("remainder_f32(x0, x1)").contains("m64_"));
    }

    #[test]
    fn conversions_read_as_expected() {
        assert_eq!(convert(DType::F32, DType::F32, "x"), "x");
        assert_eq!(convert(DType::I32, DType::F32, "x"), "f32((x))");
        assert_eq!(convert(DType::F32, DType::Bool, "x"), "!((x) == f32(0))");
        assert_eq!(convert(DType::I32, DType::Bool, "x"), "((x) != i32(0))");
        assert_eq!(
            convert(DType::Bool, DType::I64, "x"),
            "select(i64(0), i64(1), (x))"
        );
        assert!(convert(DType::U8, DType::F32, "x").contains("0xffu"));
        assert_eq!(
            convert(DType::F64, DType::I64, "x"),
            "i64(select((x), f64(0), is_nan_f32(f32((x)))))"
        );
    }
}
