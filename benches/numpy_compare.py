#!/usr/bin/env python3
"""NumPy's side of strider's comparison run (issues 3 and 12).

benches/compare.rs runs this script in a subprocess and reads the JSON it
prints on stdout. Each case mirrors a strider case of the same id: the same
data (a Weyl sequence, see compare.rs), the same shapes, the same byte count
(operand bytes read plus result bytes written) and the same timing policy
(one warm-up call, then repetitions until both --min-reps and --min-time are
reached, at most --max-reps; the median is reported).

The rows of issue 12 (argmax/argmin, boolean masks, gather/scatter, more
per-call rows, the f64 sum over axis 0, where/clip/astype/concatenate/stack
and a negative-stride copy at n/4, and two whole programs: an image pipeline
and k-means) also record a "check": a sum of indices or values, or a count,
that strider's result must match (compare.rs compares them).

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
SEED_IDX = 7_000_003
IMAGE = (1080, 1920, 3)
KMEANS = (100_000, 8, 10)  # points, clusters, iterations
FLOATS = ("f32", "f64")
INTS = ("i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64")


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

    def data_i64(n, seed):
        return bits(n, seed).astype(np.int64) - 2**31

    def total(x):
        # Exact in f64 for the values checked here (see compare.rs's `total`).
        return float(np.asarray(x).astype(np.float64).sum())

    def rel_err(got, exact):
        got = np.asarray(got, dtype=np.float64)
        exact = np.asarray(exact, dtype=np.float64)
        return float(np.max(np.abs(got - exact) / np.abs(exact)))

    rows, cols = args.rows, args.cols
    n = rows * cols
    cases = {}

    def case(name, nbytes, timing, err=None, check=None):
        timing["bytes"] = float(nbytes)
        if err is not None:
            timing["rel_err"] = err
        if check is not None:
            timing["check"] = check
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
    case("expr_mul2_add", 3 * n * f4, measure(lambda: a * 2.0 + b))

    def mul2_add_into():
        np.multiply(a, 2.0, out=out)
        np.add(out, b, out=out)

    case("expr_mul2_add_into", 3 * n * f4, measure(mul2_add_into))
    mse = lambda: ((a - b) ** 2).mean()
    case("mse", (2 * n + 1) * f4, measure(mse), check=float(mse()))
    case("mse_eager", (2 * n + 1) * f4, measure(mse), check=float(mse()))

    def softmax():
        e = np.exp(a - a.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    case("softmax", 2 * n * f4, measure(softmax), check=total(softmax()))
    chain = lambda: ((a * 1.5 + b) * (a - 0.5) / (b + 2.0) - a * b + 3.0) * 0.25
    case("chain10", 3 * n * f4, measure(chain), check=total(chain()))
    case("chain10_eager", 3 * n * f4, measure(chain))
    case("pow2", 2 * n * f4, measure(lambda: a**2))
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
    exact_0 = bits(n, SEED_A).reshape(rows, cols).sum(axis=0, dtype=np.uint64).astype(np.float64) * 2.0**-32
    case(
        "sum_axis0_f64",
        (n + cols) * f8,
        measure(lambda: a.sum(axis=0)),
        rel_err(a.sum(axis=0), exact_0),
    )
    del a, b, out

    # Small arrays: time per call.
    m = args.small
    a = data_f32(m, SEED_A)
    b = data_f32(m, SEED_B)
    out = np.zeros(m, dtype=np.float32)
    case("add_1k", 3 * m * f4, measure(lambda: a + b, calls=args.calls))
    case("add_into_1k", 3 * m * f4, measure(lambda: np.add(a, b, out=out), calls=args.calls))
    a = data_f32(16, SEED_A)
    b = data_f32(16, SEED_B)
    case("add_16", 3 * 16 * f4, measure(lambda: a + b, calls=args.calls))
    x = data_f32(1000, SEED_A).reshape(10, 100)
    case("sum_small", (1000 + 10) * f4, measure(lambda: x.sum(axis=1), calls=args.calls))
    case("view_basic", 0, measure(lambda: x[1:5, ::2], calls=args.calls))

    # f16.
    a = data_f32(n, SEED_A).astype(np.float16).reshape(rows, cols)
    b = data_f32(n, SEED_B).astype(np.float16).reshape(rows, cols)
    case("f16_add", 3 * n * 2, measure(lambda: a + b))
    del a, b

    # Issue 12: argmax / argmin.
    a = data_f32(n, SEED_A).reshape(rows, cols)
    ai = data_i64(n, SEED_A).reshape(rows, cols)
    for name, x, results, f in [
        ("argmax_all", a, 1, lambda: a.argmax()),
        ("argmin_all", a, 1, lambda: a.argmin()),
        ("argmax_all_i64", ai, 1, lambda: ai.argmax()),
        ("argmax_axis0", a, cols, lambda: a.argmax(axis=0)),
        ("argmax_axis1", a, rows, lambda: a.argmax(axis=1)),
        ("argmin_axis1_i64", ai, rows, lambda: ai.argmin(axis=1)),
        ("argmax_axis0_i64", ai, cols, lambda: ai.argmax(axis=0)),
    ]:
        case(name, x.nbytes + results * 8, measure(f), check=int(np.sum(f())))
    del ai

    # Boolean masks (the mask is made before the timing).
    mask = a > 0.75
    selected = int(mask.sum())
    case("mask_select", n * 4 + n + selected * 4, measure(lambda: a[mask]), check=total(a[mask]))
    a2 = a.copy()

    def assign_scalar():
        a2[mask] = 0.0

    case("mask_assign", n + selected * 4, measure(assign_scalar), check=total(a2))
    vals = data_f32(selected, SEED_B)
    a3 = a.copy()

    def assign_array():
        a3[mask] = vals

    case("mask_assign_array", n + 2 * selected * 4, measure(assign_array), check=total(a3))
    del a, mask, a2, a3, vals

    # Gather and scatter: n/16 int64 indices into a flat f32 array.
    m = n // 16
    flat = data_f32(n, SEED_A)
    idx = ((bits(m, SEED_IDX) * np.uint64(WEYL)) % np.uint64(n)).astype(np.int64)
    case("gather", m * 8 + 2 * m * 4, measure(lambda: flat[idx]), check=total(flat[idx]))
    vals = data_f32(m, SEED_B)
    flat2 = flat.copy()

    def scatter():
        flat2[idx] = vals

    case("scatter", m * 8 + m * 4 + m * 4, measure(scatter), check=total(flat2))
    del flat, flat2, idx, vals

    # Information rows at n/4: where, clip, astype, a negative-stride copy;
    # concatenate and stack of 16 arrays of n/16.
    qr = rows // 4
    q = qr * cols
    a = data_f32(q, SEED_A).reshape(qr, cols)
    b = data_f32(q, SEED_B).reshape(qr, cols)
    cond = a > 0.5
    case("where", q * (1 + 3 * 4), measure(lambda: np.where(cond, a, b)), check=total(np.where(cond, a, b)))
    case("clip", 2 * q * 4, measure(lambda: a.clip(0.25, 0.75)), check=total(a.clip(0.25, 0.75)))
    dtypes = {
        "f32": np.float32,
        "f64": np.float64,
        "i8": np.int8,
        "i16": np.int16,
        "i32": np.int32,
        "i64": np.int64,
        "u8": np.uint8,
        "u16": np.uint16,
        "u32": np.uint32,
        "u64": np.uint64,
    }
    # The sources: the f32 data times 200, cast once to each dtype.
    src_f32 = a * 200.0
    sources = {"f32": src_f32, "f64": src_f32.astype(np.float64)}
    for fname in FLOATS:
        for iname in INTS:
            src_int = src_f32.astype(dtypes[iname])
            nbytes = q * (np.dtype(dtypes[fname]).itemsize + np.dtype(dtypes[iname]).itemsize)
            for name, src, to in [
                (f"astype_{fname}_{iname}", sources[fname], dtypes[iname]),
                (f"astype_{iname}_{fname}", src_int, dtypes[fname]),
            ]:
                case(name, nbytes, measure(lambda: src.astype(to)), check=total(src.astype(to)))
    p = n // 16
    pieces = [data_f32(p, k * p) for k in range(16)]
    case(
        "concat16",
        2 * 16 * p * 4,
        measure(lambda: np.concatenate(pieces, axis=0)),
        check=total(np.concatenate(pieces, axis=0)),
    )
    case("stack16", 2 * 16 * p * 4, measure(lambda: np.stack(pieces)), check=total(np.stack(pieces)))
    flipped = a[::-1, ::-1]
    case("copy_neg", 2 * q * 4, measure(lambda: flipped.copy()), check=total(flipped))
    del a, b, cond, src_f32, sources, src_int, pieces, flipped

    # Two whole programs, written as a new NumPy user would.
    def image_pipeline(img):
        w = np.array([0.299, 0.587, 0.114], dtype=np.float32)
        gray = (img * w).sum(2)
        g = gray
        blur = (
            g[0:-2, 0:-2]
            + g[0:-2, 1:-1]
            + g[0:-2, 2:]
            + g[1:-1, 0:-2]
            + g[1:-1, 1:-1]
            + g[1:-1, 2:]
            + g[2:, 0:-2]
            + g[2:, 1:-1]
            + g[2:, 2:]
        ) / 9
        nw, nn, ne = blur[0:-2, 0:-2], blur[0:-2, 1:-1], blur[0:-2, 2:]
        ww, ee = blur[1:-1, 0:-2], blur[1:-1, 2:]
        sw, ss, se = blur[2:, 0:-2], blur[2:, 1:-1], blur[2:, 2:]
        gx = (ne + 2 * ee + se) - (nw + 2 * ww + sw)
        gy = (sw + 2 * ss + se) - (nw + 2 * nn + ne)
        mag = np.sqrt(gx * gx + gy * gy)
        return int((mag > 100.0).sum())

    def kmeans(pts, k, iterations):
        cent = pts[:k].copy()
        for _ in range(iterations):
            d = ((pts[:, None, :] - cent[None, :, :]) ** 2).sum(2)
            labels = d.argmin(1)
            new = []
            for j in range(k):
                members = pts[labels == j]
                new.append(members.mean(0) if len(members) else cent[j])
            cent = np.stack(new)
        return cent

    size = IMAGE[0] * IMAGE[1] * IMAGE[2]
    img = (bits(size, SEED_A) & np.uint64(255)).astype(np.uint8).reshape(IMAGE)
    case("image_pipeline", size, measure(lambda: image_pipeline(img)), check=image_pipeline(img))
    points, k, iterations = KMEANS
    pts = data_f32(2 * points, SEED_A).reshape(points, 2)
    case(
        "kmeans",
        2 * points * 4,
        measure(lambda: kmeans(pts, k, iterations)),
        check=total(kmeans(pts, k, iterations)),
    )
    del img, pts

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
