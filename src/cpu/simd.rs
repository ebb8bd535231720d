//! Run-time choice of the SIMD instruction set for the CPU inner loops.
//!
//! The default build targets the x86-64 baseline (SSE2), so loops compiled
//! normally use 128-bit vectors at best. Hot loops are therefore compiled
//! three times by [`multiversion!`](crate::multiversion): once for the
//! baseline, once with AVX2 + FMA + F16C (x86-64-v3) and once with AVX-512
//! (F, BW, VL, DQ; x86-64-v4). The first call detects what the CPU offers
//! and every later call picks the widest version with one relaxed atomic
//! load. On aarch64 NEON is part of the baseline, so the portable version is
//! already vectorised and no dispatch happens.
//!
//! The choice can be lowered (never raised above what the CPU has) with the
//! environment variable `STRIDER_SIMD=baseline|avx2|avx512`, read once, or
//! with [`set_simd_level`] at any time; every level computes the same
//! results, so this only changes speed (tests use it to run each version).
//!
//! ```
//! use strider::cpu::{set_simd_level, simd_level, SimdLevel};
//! let best = simd_level();
//! assert_eq!(set_simd_level(SimdLevel::Baseline), SimdLevel::Baseline);
//! assert_eq!(simd_level(), SimdLevel::Baseline);
//! set_simd_level(best);
//! ```

use std::sync::atomic::{AtomicU8, Ordering};

/// An instruction-set level for the CPU inner loops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SimdLevel {
    /// The target's baseline: SSE2 on x86-64, NEON on aarch64.
    Baseline,
    /// AVX2, FMA and F16C (x86-64-v3).
    Avx2,
    /// AVX-512 F, BW, VL and DQ on top of AVX2 (x86-64-v4).
    Avx512,
}

impl SimdLevel {
    /// The level's name as `STRIDER_SIMD` spells it.
    ///
    /// ```
    /// assert_eq!(strider::cpu::SimdLevel::Avx2.name(), "avx2");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            SimdLevel::Baseline => "baseline",
            SimdLevel::Avx2 => "avx2",
            SimdLevel::Avx512 => "avx512",
        }
    }

    fn from_u8(v: u8) -> SimdLevel {
        match v {
            2 => SimdLevel::Avx2,
            3 => SimdLevel::Avx512,
            _ => SimdLevel::Baseline,
        }
    }

    fn to_u8(self) -> u8 {
        match self {
            SimdLevel::Baseline => 1,
            SimdLevel::Avx2 => 2,
            SimdLevel::Avx512 => 3,
        }
    }
}

/// 0 until detected, then `SimdLevel::to_u8` of the level in use.
static LEVEL: AtomicU8 = AtomicU8::new(0);

/// The widest level this CPU supports.
///
/// ```
/// use strider::cpu::{best_simd_level, simd_level};
/// assert!(simd_level() <= best_simd_level());
/// ```
pub fn best_simd_level() -> SimdLevel {
    #[cfg(target_arch = "x86_64")]
    {
        let v3 = is_x86_feature_detected!("avx2")
            && is_x86_feature_detected!("fma")
            && is_x86_feature_detected!("f16c")
            && is_x86_feature_detected!("bmi1")
            && is_x86_feature_detected!("bmi2")
            && is_x86_feature_detected!("lzcnt")
            && is_x86_feature_detected!("popcnt");
        let v4 = v3
            && is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vl")
            && is_x86_feature_detected!("avx512dq");
        if v4 {
            return SimdLevel::Avx512;
        }
        if v3 {
            return SimdLevel::Avx2;
        }
    }
    SimdLevel::Baseline
}

/// The level the inner loops use now: the best the CPU has, lowered by
/// `STRIDER_SIMD` or [`set_simd_level`].
///
/// ```
/// let level = strider::cpu::simd_level();
/// println!("inner loops use {}", level.name());
/// ```
#[inline]
pub fn simd_level() -> SimdLevel {
    match LEVEL.load(Ordering::Relaxed) {
        0 => detect(),
        v => SimdLevel::from_u8(v),
    }
}

#[cold]
fn detect() -> SimdLevel {
    let best = best_simd_level();
    let wanted = match std::env::var("STRIDER_SIMD").ok().as_deref() {
        Some("baseline") => SimdLevel::Baseline,
        Some("avx2") => SimdLevel::Avx2,
        _ => SimdLevel::Avx512,
    };
    let level = best.min(wanted);
    LEVEL.store(level.to_u8(), Ordering::Relaxed);
    level
}

/// Sets the level the inner loops use, capped at [`best_simd_level`], and
/// returns the level in effect. Every level gives the same results.
///
/// ```
/// use strider::cpu::{best_simd_level, set_simd_level, SimdLevel};
/// let got = set_simd_level(SimdLevel::Avx512);
/// assert_eq!(got, best_simd_level());
/// ```
pub fn set_simd_level(level: SimdLevel) -> SimdLevel {
    let level = level.min(best_simd_level());
    LEVEL.store(level.to_u8(), Ordering::Relaxed);
    level
}

/// Defines `unsafe fn NAME<G..>(args) -> R where [bounds] { body }` compiled
/// for every [`SimdLevel`], dispatching at run time on
/// [`simd_level`](crate::cpu::simd_level). The body is written once, as
/// portable Rust; each wrapper only adds `#[target_feature]`, so the
/// compiler vectorises the same loop for each instruction set.
#[macro_export]
#[doc(hidden)]
macro_rules! multiversion {
    (
        $(#[$meta:meta])*
        $vis:vis unsafe fn $name:ident<$($g:ident),*>($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)?
        where [$($wc:tt)*]
        $body:block
    ) => {
        $(#[$meta])*
        #[inline]
        $vis unsafe fn $name<$($g),*>($($arg: $ty),*) $(-> $ret)? where $($wc)* {
            #[inline(always)]
            unsafe fn portable<$($g),*>($($arg: $ty),*) $(-> $ret)? where $($wc)* $body

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c,bmi1,bmi2,lzcnt,popcnt")]
            unsafe fn v4<$($g),*>($($arg: $ty),*) $(-> $ret)? where $($wc)* {
                // SAFETY: the caller's contract is forwarded unchanged.
                unsafe { portable::<$($g),*>($($arg),*) }
            }

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma,f16c,bmi1,bmi2,lzcnt,popcnt")]
            unsafe fn v3<$($g),*>($($arg: $ty),*) $(-> $ret)? where $($wc)* {
                // SAFETY: the caller's contract is forwarded unchanged.
                unsafe { portable::<$($g),*>($($arg),*) }
            }

            match $crate::cpu::simd_level() {
                // SAFETY: `simd_level` never reports a level the CPU lacks
                // (it is capped at `best_simd_level`, which detects the
                // features enabled above); the rest is the caller's contract.
                #[cfg(target_arch = "x86_64")]
                $crate::cpu::SimdLevel::Avx512 => unsafe { v4::<$($g),*>($($arg),*) },
                // SAFETY: as above.
                #[cfg(target_arch = "x86_64")]
                $crate::cpu::SimdLevel::Avx2 => unsafe { v3::<$($g),*>($($arg),*) },
                // SAFETY: the caller's contract.
                _ => unsafe { portable::<$($g),*>($($arg),*) },
            }
        }
    };
}
