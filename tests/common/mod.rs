//! Shared by the integration tests that run on the GPU.

use strider::{Array, DType, Device};

/// The GPU, or `None` with a message saying how to get one when there is
/// no adapter; with `STRIDER_REQUIRE_GPU=1` (CI sets it after installing
/// lavapipe) a missing adapter fails the test instead.
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
