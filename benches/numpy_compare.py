#!/usr/bin/env python3
"""NumPy's side of strider's comparison run (issue 3).

benches/compare.rs runs this script in a subprocess and reads the JSON it
prints on stdout. Each case mirrors a strider case of the same id: the same
data (a Weyl sequence, see compare.rs), the same shapes, the same byte count
(operand bytes read plus result bytes written) and the same timing policy
(one warm-up call, then repetitions until both --min-reps and --min-time are
reached, at most --max-reps; the median is reported).

Run by hand:  python3 benches/numpy_compare.py --rows 1024 --cols 1024
"""

import argparse
import json
import platform
import sys
import time

WEYL = 0x9E3779B1
SEED_A = 0
SEED_B = 1_000_003
SEED_COL = 2_000_003
SEED_ROW = 3_000_017


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=4096)
    p.add_argument("--cols", type=int, default=4096)
    p.add_argument("--small", type=int, default=1000)
    p.add_argument("--calls", type=int, default=20000)
    p.add_argument("--min-reps", type=int, default=10)
    p.add_argument("--max-reps", type=int, default=40)
    p.add_argument("--min-time", type=float, default=1.0)
    args = p.parse_args()

    try:
        import numpy as np
    except ImportError as e:
        print(json.dumps({"error": f"numpy is not importable: {e}"}))
        return 1

    def measure(f, calls=1):
        for _ in range(calls):
            f()
        samples = []
        start = time.perf_counter()
        while len(samples) < args.min_reps or (
            len(samples) < args.max_reps and time.perf_counter() - start < args.min_time
        ):
            t = time.perf_counter()
            for _ in range(calls):
                f()
            samples.append((time.perf_counter() - t) / calls)
        samples.sort()
        k = len(samples)
        median = samples[k // 2] if k % 2 else (samples[k // 2 - 1] + samples[k // 2]) / 2
        return {"median_s": median, "min_s": samples[0], "reps": k}

    def bits(n, seed):
        i = np.arange(n, dtype=np.uint64)
        return ((i + np.uint64(seed)) * np.uint64(WEYL)) & np.uint64(0xFFFFFFFF)

    def data_f32(n, seed):
        return (bits(n, seed) >> np.uint64(8)).astype(np.float32) * np.float32(2.0**-24)

    def data_f64(n, seed):
        return bits(n, seed).astype(np.float64) * 2.0**-32

    def rel_err(got, exact):
        got = np.asarray(got, dtype=np.float64)
        exact = np.asarray(exact, dtype=np.float64)
        return float(np.max(np.abs(got - exact) / np.abs(exact)))

    rows, cols = args.rows, args.cols
    n = rows * cols
    cases = {}

    def case(name, nbytes, timing, err=None):
        timing["bytes"] = float(nbytes)
        if err is not None:
            timing["rel_err"] = err
        cases[name] = timing
        print(f"numpy_compare: {name}", file=sys.stderr)

    # f32, 2-D.
    a = data_f32(n, SEED_A).reshape(rows, cols)
    b = data_f32(n, SEED_B).reshape(rows, cols)
    out = np.zeros((rows, cols), dtype=np.float32)
    col = data_f32(rows, SEED_COL).reshape(rows, 1)
    row = data_f32(cols, SEED_ROW).reshape(1, cols)
    a2, b2 = a[:, ::2], b[:, ::2]
    f4 = 4
    case("add_into", 3 * n * f4, measure(lambda: np.add(a, b, out=out)))
    case("add", 3 * n * f4, measure(lambda: a + b))
    case("mul2_add", 3 * n * f4, measure(lambda: a * 2.0 + b))
    case("mul2", 2 * n * f4, measure(lambda: a * 2.0))
    case("add_bt", 3 * n * f4, measure(lambda: a + b.T))
    case("add_bt_into", 3 * n * f4, measure(lambda: np.add(a, b.T, out=out)))
    case("contig_at", 2 * n * f4, measure(lambda: np.ascontiguousarray(a.T)))
    case("add_col", (2 * n + rows) * f4, measure(lambda: a + col))
    case("add_row", (2 * n + cols) * f4, measure(lambda: a + row))
    case("add_strided", 3 * a2.size * f4, measure(lambda: a2 + b2))

    u = (bits(n, SEED_A) >> np.uint64(8)).reshape(rows, cols)
    scale = 2.0**-24
    exact_all = int(u.sum(dtype=np.uint64)) * scale
    exact_0 = u.sum(axis=0, dtype=np.uint64).astype(np.float64) * scale
    exact_1 = u.sum(axis=1, dtype=np.uint64).astype(np.float64) * scale
    del u
    case("sum_all", (n + 1) * f4, measure(lambda: a.sum()), rel_err(a.sum(), exact_all))
    case("sum_axis0", (n + cols) * f4, measure(lambda: a.sum(axis=0)), rel_err(a.sum(axis=0), exact_0))
    case("sum_axis1", (n + rows) * f4, measure(lambda: a.sum(axis=1)), rel_err(a.sum(axis=1), exact_1))
    case("exp", 2 * n * f4, measure(lambda: np.exp(a)))
    case("exp_into", 2 * n * f4, measure(lambda: np.exp(a, out=out)))
    case("sqrt", 2 * n * f4, measure(lambda: np.sqrt(a)))
    case("copy", 2 * n * f4, measure(lambda: a.copy()))
    del a, b, out, col, row, a2, b2

    # f64.
    a = data_f64(n, SEED_A).reshape(rows, cols)
    b = data_f64(n, SEED_B).reshape(rows, cols)
    out = np.zeros((rows, cols), dtype=np.float64)
    f8 = 8
    case("f64_add_into", 3 * n * f8, measure(lambda: np.add(a, b, out=out)))
    case("f64_add", 3 * n * f8, measure(lambda: a + b))
    exact = int(bits(n, SEED_A).sum(dtype=np.uint64)) * 2.0**-32
    case("f64_sum_all", (n + 1) * f8, measure(lambda: a.sum()), rel_err(a.sum(), exact))
    del a, b, out

    # Small arrays: time per call.
    m = args.small
    a = data_f32(m, SEED_A)
    b = data_f32(m, SEED_B)
    out = np.zeros(m, dtype=np.float32)
    case("add_1k", 3 * m * f4, measure(lambda: a + b, calls=args.calls))
    case("add_into_1k", 3 * m * f4, measure(lambda: np.add(a, b, out=out), calls=args.calls))

    # f16.
    a = data_f32(n, SEED_A).astype(np.float16).reshape(rows, cols)
    b = data_f32(n, SEED_B).astype(np.float16).reshape(rows, cols)
    case("f16_add", 3 * n * 2, measure(lambda: a + b))
    del a, b

    config = getattr(np, "__config__", None)
    simd = getattr(config, "CONFIG", {}).get("SIMD Extensions") if config else None
    print(
        json.dumps(
            {
                "numpy_version": np.__version__,
                "python_version": platform.python_version(),
                "simd": simd,
                "cases": cases,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
