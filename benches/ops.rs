//! Criterion benches per op family: elementwise, broadcast, strided views,
//! reductions and materialising copies.
//!
//! ```text
//! cargo bench --bench ops                  # every family
//! cargo bench --bench ops -- reduction     # one family (criterion's name filter)
//! ```
//!
//! Sizes are modest (1024 x 1024 f32, 4 MiB an operand, plus 1,000-element
//! arrays for per-call overhead) so a full run takes a few minutes on two
//! cores; the cross-library comparison at 16M elements is `benches/compare.rs`.
//! Throughput is reported in bytes as NumPy users count them: operand bytes
//! read plus result bytes written.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;
use strider::{s, Array, Axes, DType, UnaryOp};

const N: usize = 1024;
const SMALL: usize = 1000;

/// Deterministic f32 data in [0, 1) (a Weyl sequence, as in compare.rs).
fn data(len: usize, seed: u64) -> Vec<f32> {
    (0..len as u64)
        .map(|i| ((i + seed).wrapping_mul(0x9E37_79B1) & 0xFFFF_FFFF) >> 8)
        .map(|v| v as f32 * (1.0 / 16_777_216.0))
        .collect()
}

fn matrix(seed: u64) -> Array {
    Array::from_vec(data(N * N, seed), &[N, N]).expect("matrix")
}

fn ok<T>(r: strider::Result<T>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// Bytes of `n` elements of `itemsize` bytes.
fn bytes(n: usize, itemsize: usize) -> Throughput {
    Throughput::Bytes((n * itemsize) as u64)
}

fn elementwise(c: &mut Criterion) {
    let (a, b) = (matrix(0), matrix(1_000_003));
    let out = ok(Array::zeros(&[N, N], DType::F32));
    let (a64, b64) = (ok(a.astype(DType::F64)), ok(b.astype(DType::F64)));
    let (a16, b16) = (ok(a.astype(DType::F16)), ok(b.astype(DType::F16)));
    let (sa, sb) = (
        ok(Array::from_vec(data(SMALL, 0), &[SMALL])),
        ok(Array::from_vec(data(SMALL, 7), &[SMALL])),
    );
    let sout = ok(Array::zeros(&[SMALL], DType::F32));

    let mut g = c.benchmark_group("elementwise");
    g.throughput(bytes(3 * N * N, 4));
    g.bench_function("add_into_f32", |bn| bn.iter(|| ok(a.add_into(&b, &out))));
    g.bench_function("add_f32", |bn| bn.iter(|| black_box(ok(&a + &b))));
    g.bench_function("mul_scalar_add_f32", |bn| {
        bn.iter(|| black_box(ok(&a * 2.0 + &b)))
    });
    g.throughput(bytes(2 * N * N, 4));
    g.bench_function("exp_into_f32", |bn| {
        bn.iter(|| ok(a.unary_into(UnaryOp::Exp, &out)))
    });
    g.bench_function("sqrt_into_f32", |bn| {
        bn.iter(|| ok(a.unary_into(UnaryOp::Sqrt, &out)))
    });
    g.throughput(bytes(3 * N * N, 8));
    g.bench_function("add_f64", |bn| bn.iter(|| black_box(ok(&a64 + &b64))));
    g.throughput(bytes(3 * N * N, 2));
    g.bench_function("add_f16", |bn| bn.iter(|| black_box(ok(&a16 + &b16))));
    g.throughput(bytes(3 * SMALL, 4));
    g.bench_function("add_f32_1000", |bn| bn.iter(|| black_box(ok(&sa + &sb))));
    g.bench_function("add_into_f32_1000", |bn| {
        bn.iter(|| ok(sa.add_into(&sb, &sout)))
    });
    g.finish();
}

fn broadcast(c: &mut Criterion) {
    let a = matrix(0);
    let out = ok(Array::zeros(&[N, N], DType::F32));
    let col = ok(Array::from_vec(data(N, 5), &[N, 1]));
    let row = ok(Array::from_vec(data(N, 9), &[1, N]));

    let mut g = c.benchmark_group("broadcast");
    g.throughput(bytes(2 * N * N + N, 4));
    g.bench_function("add_col_into", |bn| bn.iter(|| ok(a.add_into(&col, &out))));
    g.bench_function("add_row_into", |bn| bn.iter(|| ok(a.add_into(&row, &out))));
    g.throughput(bytes(2 * N * N, 4));
    g.bench_function("add_scalar_into", |bn| {
        bn.iter(|| ok(a.add_into(1.5, &out)))
    });
    g.throughput(bytes(N * N + 2 * N, 4));
    g.bench_function("outer_col_plus_row_into", |bn| {
        bn.iter(|| ok(col.add_into(&row, &out)))
    });
    g.finish();
}

fn strided(c: &mut Criterion) {
    let (a, b) = (matrix(0), matrix(1_000_003));
    let out = ok(Array::zeros(&[N, N], DType::F32));
    let half_out = ok(Array::zeros(&[N, N / 2], DType::F32));
    let bt = b.t();
    let (a2, b2) = (ok(a.slice(s![.., ..;2])), ok(b.slice(s![.., ..;2])));
    let rev = ok(b.slice(s![..;-1, ..;-1]));

    let mut g = c.benchmark_group("strided");
    g.throughput(bytes(3 * N * N, 4));
    g.bench_function("add_transposed_into", |bn| {
        bn.iter(|| ok(a.add_into(&bt, &out)))
    });
    g.bench_function("add_reversed_into", |bn| {
        bn.iter(|| ok(a.add_into(&rev, &out)))
    });
    g.throughput(bytes(3 * N * N / 2, 4));
    g.bench_function("add_every_other_column_into", |bn| {
        bn.iter(|| ok(a2.add_into(&b2, &half_out)))
    });
    g.finish();
}

fn reduction(c: &mut Criterion) {
    let a = matrix(0);
    let a64 = ok(a.astype(DType::F64));

    let mut g = c.benchmark_group("reduction");
    g.throughput(bytes(N * N, 4));
    g.bench_function("sum_all_f32", |bn| {
        bn.iter(|| black_box(ok(a.sum(Axes::All))))
    });
    g.bench_function("sum_axis0_f32", |bn| bn.iter(|| black_box(ok(a.sum(0)))));
    g.bench_function("sum_axis1_f32", |bn| bn.iter(|| black_box(ok(a.sum(1)))));
    g.bench_function("max_all_f32", |bn| {
        bn.iter(|| black_box(ok(a.max(Axes::All))))
    });
    g.bench_function("argmax_axis1_f32", |bn| {
        bn.iter(|| black_box(ok(a.argmax(1))))
    });
    g.throughput(bytes(N * N, 8));
    g.bench_function("sum_all_f64", |bn| {
        bn.iter(|| black_box(ok(a64.sum(Axes::All))))
    });
    g.finish();
}

fn copy(c: &mut Criterion) {
    let a = matrix(0);
    let at = a.t();
    let a2 = ok(a.slice(s![.., ..;2]));
    let a16 = ok(a.astype(DType::F16));

    let mut g = c.benchmark_group("copy");
    g.throughput(bytes(2 * N * N, 4));
    g.bench_function("copy_contiguous", |bn| bn.iter(|| black_box(ok(a.copy()))));
    g.bench_function("to_contiguous_transposed", |bn| {
        bn.iter(|| black_box(ok(at.to_contiguous())))
    });
    g.bench_function("ravel_transposed", |bn| {
        bn.iter(|| black_box(ok(at.ravel())))
    });
    g.throughput(bytes(N * N, 4));
    g.bench_function("copy_every_other_column", |bn| {
        bn.iter(|| black_box(ok(a2.copy())))
    });
    g.throughput(bytes(N * N, 4 + 8));
    g.bench_function("astype_f32_to_f64", |bn| {
        bn.iter(|| black_box(ok(a.astype(DType::F64))))
    });
    g.throughput(bytes(N * N, 2 + 4));
    g.bench_function("astype_f16_to_f32", |bn| {
        bn.iter(|| black_box(ok(a16.astype(DType::F32))))
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = families;
    config = config();
    targets = elementwise, broadcast, strided, reduction, copy
}
criterion_main!(families);
