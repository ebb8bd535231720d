//! Block conversions between a strided run of one dtype and a contiguous
//! stack block of another: the blocked path of every kernel goes through
//! [`load`] and [`store`]. Conversions run as vectorised loops: f16 through
//! the `half` crate's slice conversions (F16C when the CPU has it, detected
//! at run time), bf16 by bit shifts with round-to-nearest-even, everything
//! else through NumPy's cast rules in a [`multiversion!`](crate::multiversion)
//! loop.

use super::kernels::map1;
use super::BLOCK;
use crate::dtype::{DType, Element};
use half::f16;
use half::slice::HalfFloatSliceExt;

/// bf16 bits widened to f32 (exact).
#[inline(always)]
fn bf16_to_f32(b: u16) -> f32 {
    f32::from_bits((b as u32) << 16)
}

/// f32 rounded to bf16 bits, to nearest with ties to even; NaN stays a
/// (quiet) NaN with its sign.
#[inline(always)]
fn f32_to_bf16(x: f32) -> u16 {
    let bits = x.to_bits();
    let rounded = (bits + 0x7fff + ((bits >> 16) & 1)) >> 16;
    let nan = ((bits >> 16) | 0x40) as u16;
    if x.is_nan() {
        nan
    } else {
        rounded as u16
    }
}

/// Reinterprets `dst` as `&mut [U]` when `T` is `U`.
#[inline(always)]
fn as_type<T: Element, U: Element>(dst: &mut [T]) -> Option<&mut [U]> {
    (T::DTYPE == U::DTYPE).then(|| {
        // SAFETY: `Element` is sealed and `DTYPE` names exactly one type,
        // so `T` and `U` are the same type here.
        unsafe { std::slice::from_raw_parts_mut(dst.as_mut_ptr() as *mut U, dst.len()) }
    })
}

/// Reinterprets `src` as `&[U]` when `T` is `U`.
#[inline(always)]
fn as_type_ref<T: Element, U: Element>(src: &[T]) -> Option<&[U]> {
    (T::DTYPE == U::DTYPE).then(|| {
        // SAFETY: as in `as_type`.
        unsafe { std::slice::from_raw_parts(src.as_ptr() as *const U, src.len()) }
    })
}

/// Reads `dst.len()` elements of dtype `dtype` from `src` (element stride
/// `stride`) into `dst`, converting to `T` with NumPy's cast rules.
///
/// # Safety
/// `src` must point at `dst.len()` readable elements of `dtype` at that stride.
#[inline]
pub(crate) unsafe fn load<T: Element>(src: *const u8, dtype: DType, stride: isize, dst: &mut [T]) {
    let n = dst.len();
    debug_assert!(n <= BLOCK);
    // SAFETY (whole body): `src` addresses n elements at `stride`.
    unsafe {
        if dtype == T::DTYPE {
            if stride == 1 {
                std::ptr::copy_nonoverlapping(src as *const T, dst.as_mut_ptr(), n);
            } else {
                map1(dst.as_mut_ptr(), src as *const T, [1, stride], n, &|x| x);
            }
            return;
        }
        if let (DType::F16, Some(out)) = (dtype, as_type::<T, f32>(dst)) {
            let mut bits = [f16::ZERO; BLOCK];
            let halves: &[f16] = if stride == 1 {
                std::slice::from_raw_parts(src as *const f16, n)
            } else {
                map1(bits.as_mut_ptr(), src as *const f16, [1, stride], n, &|x| x);
                &bits[..n]
            };
            halves.convert_to_f32_slice(out);
            return;
        }
        if let (DType::BF16, Some(out)) = (dtype, as_type::<T, f32>(dst)) {
            map1(
                out.as_mut_ptr(),
                src as *const u16,
                [1, stride],
                n,
                &bf16_to_f32,
            );
            return;
        }
        match dtype {
            DType::F32 if float_to_narrow::<f32, T>(src as *const f32, stride, dst) => return,
            DType::F64 if float_to_narrow::<f64, T>(src as *const f64, stride, dst) => return,
            // Integers of at most 32 bits to f32 or f64 through f64: exact
            // on the way in, one rounding on the way out (the same value as
            // the cast rule's route through i64 or u64, whose conversion
            // to f32 has no vector instruction before AVX-512).
            d if d.is_integer()
                && d.itemsize() <= 4
                && matches!(T::DTYPE, DType::F32 | DType::F64) =>
            {
                crate::dispatch_dtype!(d, S => map1(
                    dst.as_mut_ptr(),
                    src as *const S,
                    [1, stride],
                    n,
                    &|x: S| T::from_f64(x.to_f64())
                ));
                return;
            }
            _ => {}
        }
        crate::dispatch_dtype!(dtype, S => {
            map1(dst.as_mut_ptr(), src as *const S, [1, stride], n, &|x: S| x.cast::<T>())
        })
    }
}

/// Floats to an integer dtype of at most 32 bits, when every value of the
/// run lies inside i32's range: truncated through i32 (a vectorised
/// conversion; NumPy's cast rule goes through i64, and both wrap to the
/// same narrow value for such inputs). Returns `false`, having written
/// nothing, when `T` is not such a dtype or some value is not in range
/// (NaN, an infinity, |v| >= 2^31): the general conversion handles it.
///
/// # Safety
/// `src` must point at `dst.len()` readable elements at `stride`.
#[inline]
unsafe fn float_to_narrow<S: Element, T: Element>(
    src: *const S,
    stride: isize,
    dst: &mut [T],
) -> bool {
    if !T::DTYPE.is_integer() || T::DTYPE.itemsize() > 4 {
        return false;
    }
    let n = dst.len();
    const LIMIT: f64 = 2_147_483_648.0;
    let mut in_range = true;
    for i in 0..n as isize {
        // SAFETY: the function's contract.
        let v = unsafe { *src.offset(i * stride) }.to_f64();
        in_range &= v.abs() < LIMIT;
    }
    if in_range {
        // SAFETY: the function's contract.
        unsafe {
            map1(dst.as_mut_ptr(), src, [1, stride], n, &|x: S| {
                T::from_i64((x.to_f64() as i32) as i64)
            })
        };
    }
    in_range
}

/// Writes `src` to `dst` (dtype `dtype`, element stride `stride`), converting
/// from `T` with NumPy's cast rules.
///
/// # Safety
/// `dst` must point at `src.len()` writable elements of `dtype` at that stride.
#[inline]
pub(crate) unsafe fn store<T: Element>(src: &[T], dst: *mut u8, dtype: DType, stride: isize) {
    let n = src.len();
    debug_assert!(n <= BLOCK);
    // SAFETY (whole body): `dst` addresses n writable elements at `stride`.
    unsafe {
        if dtype == T::DTYPE {
            if stride == 1 {
                std::ptr::copy_nonoverlapping(src.as_ptr(), dst as *mut T, n);
            } else {
                map1(dst as *mut T, src.as_ptr(), [stride, 1], n, &|x| x);
            }
            return;
        }
        if let (DType::F16, Some(xs)) = (dtype, as_type_ref::<T, f32>(src)) {
            if stride == 1 {
                std::slice::from_raw_parts_mut(dst as *mut f16, n).convert_from_f32_slice(xs);
            } else {
                let mut bits = [f16::ZERO; BLOCK];
                bits[..n].convert_from_f32_slice(xs);
                map1(dst as *mut f16, bits.as_ptr(), [stride, 1], n, &|x| x);
            }
            return;
        }
        if let (DType::BF16, Some(xs)) = (dtype, as_type_ref::<T, f32>(src)) {
            map1(dst as *mut u16, xs.as_ptr(), [stride, 1], n, &f32_to_bf16);
            return;
        }
        crate::dispatch_dtype!(dtype, D => {
            map1(dst as *mut D, src.as_ptr(), [stride, 1], n, &|x: T| x.cast::<D>())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use half::bf16;

    #[test]
    fn bf16_rounding_matches_half() {
        let xs = [
            0.0f32,
            -0.0,
            1.0,
            1.0 + 1.0 / 256.0, // exactly halfway between two bf16 values: ties to even
            1.0 + 3.0 / 256.0, // halfway, rounds up to even
            3.0e38,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::MIN_POSITIVE / 3.0,
            -123.456,
        ];
        for x in xs {
            assert_eq!(f32_to_bf16(x), bf16::from_f32(x).to_bits(), "{x}");
            assert_eq!(bf16_to_f32(f32_to_bf16(x)), bf16::from_f32(x).to_f32());
        }
        assert!(bf16::from_bits(f32_to_bf16(f32::NAN)).is_nan());
    }

    #[test]
    fn loads_and_stores_convert_half_types_on_strided_runs() {
        let src: Vec<f16> = (0..40)
            .map(|i| f16::from_f32(i as f32 * 0.5 - 7.0))
            .collect();
        let mut out = [0f32; 20];
        // SAFETY: 20 elements at stride 2 inside 40.
        unsafe { load(src.as_ptr() as *const u8, DType::F16, 2, &mut out) };
        for (i, &o) in out.iter().enumerate() {
            assert_eq!(o, src[2 * i].to_f32());
        }
        let mut dst = vec![bf16::ZERO; 60];
        // SAFETY: 20 elements at stride 3 inside 60.
        unsafe { store(&out, dst.as_mut_ptr() as *mut u8, DType::BF16, 3) };
        for (i, &o) in out.iter().enumerate() {
            assert_eq!(dst[3 * i], bf16::from_f32(o));
        }
        let mut back = vec![f16::ZERO; 20];
        // SAFETY: 20 contiguous elements.
        unsafe { store(&out, back.as_mut_ptr() as *mut u8, DType::F16, 1) };
        assert_eq!(
            &back[..],
            &src.iter().step_by(2).copied().collect::<Vec<_>>()[..]
        );
    }
}
