//! Shared by the integration tests: the GPU-or-skip rule, reading values
//! back, sample data and a reference C-order walk. Each test binary uses
//! some of these.

use strider::{Array, DType, Device};

/// The GPU, or `None` with a message saying how to get one when there is
/// no adapter; with `STRIDER_REQUIRE_GPU=1` (CI sets it after installing
/// lavapipe) a missing adapter fails the test instead.
#[allow(dead_code)]
pub fn gpu_or_skip(what: &str) -> Option<Device> {
    match Device::gpu() {
        Ok(g) => Some(g),
        Err(e) => {
            if std::env::var("STRIDER_REQUIRE_GPU").as_deref() == Ok("1") {
                panic!("STRIDER_REQUIRE_GPU=1 but no GPU adapter: {e}");
            }
            eprintln!(
                "skipping {what} on the GPU: {e}\n  (install mesa-vulkan-drivers for the \
                 lavapipe software adapter; set STRIDER_REQUIRE_GPU=1 to make this a failure)"
            );
            None
        }
    }
}

/// The elements of `a` (on any device) as f64, in C order.
#[allow(dead_code)]
pub fn values(a: &Array) -> Vec<f64> {
    a.to_cpu()
        .unwrap()
        .astype(DType::F64)
        .unwrap()
        .to_vec::<f64>()
        .unwrap()
}

/// A CPU array of `shape` and `dt` with varied values, exact in every dtype
/// (bool: every third true; uint8: 0..=250; others: halves in -60..=65).
#[allow(dead_code)]
pub fn sample(dt: DType, shape: &[usize], seed: usize) -> Array {
    let n: usize = shape.iter().product();
    let vals: Vec<f64> = (0..n)
        .map(|i| {
            let r = (i * 37 + seed * 11 + 5) % 251;
            match dt {
                DType::Bool => ((i + seed) % 3 == 0) as u8 as f64,
                DType::U8 => r as f64,
                _ => r as f64 * 0.5 - 60.0,
            }
        })
        .collect();
    Array::from_vec(vals, shape).unwrap().astype(dt).unwrap()
}

/// All multi-indices of `shape`, in C order (a reference walk that uses
/// none of the library's layout code).
#[allow(dead_code)]
pub fn multi_indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let n: usize = shape.iter().product();
    (0..n)
        .map(|mut lin| {
            let mut idx = vec![0; shape.len()];
            for d in (0..shape.len()).rev() {
                idx[d] = lin % shape[d];
                lin /= shape[d];
            }
            idx
        })
        .collect()
}

/// A small deterministic generator (SplitMix64) for randomised tests.
#[allow(dead_code)]
pub struct Rng(pub u64);

#[allow(dead_code)]
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: isize, hi: isize) -> isize {
        lo + self.below((hi - lo + 1) as usize) as isize
    }
    /// True with the given percent chance.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

/// The message of a caught panic.
#[allow(dead_code)]
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// An array's dtype, shape and element bits, for bit-for-bit comparisons
/// (bfloat16, which `.npy` cannot hold, through its exact float32 widening).
#[allow(dead_code)]
pub trait Bits {
    /// The dtype and shape, then the `.npy` bytes of the elements.
    fn bits(&self) -> strider::Result<Vec<u8>>;
}

impl Bits for Array {
    fn bits(&self) -> strider::Result<Vec<u8>> {
        let a = self.to_cpu()?;
        let mut out = format!("{} {:?} ", a.dtype(), a.shape()).into_bytes();
        let data = if a.dtype() == DType::BF16 {
            a.astype(DType::F32)?
        } else {
            a
        };
        out.extend(data.to_npy_bytes()?);
        Ok(out)
    }
}
