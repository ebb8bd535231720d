#!/usr/bin/env python3
"""NumPy's answers for int8, int16 and uint16, in the ufunc corpus's format.

The shared ufunc corpus (tests/corpus/ufunc, FORMAT.md there) was written
before strider had NumPy's 8- and 16-bit signed and 16-bit unsigned integer
dtypes, so it holds no case for them; this script writes the project's own
cases for them, with the same encoding and comparison rules, so that the
same harness (examples/conformance) runs them on every device:

    python3 tests/numpy_cases/generate.py      # NumPy 2.4.6, ml_dtypes 0.7.0

writes tests/numpy_cases/small_ints.jsonl.gz and tests/numpy_cases/npy_in/.
Everything is deterministic (fixed values, no random generator), so a rerun
with the same NumPy gives the same bytes.

Families (each case's id starts with its family):
  binary       every binary ufunc, a new dtype against every dtype (both
               orders), values crossed by broadcasting (k, 1) with (1, m);
               bool with bool for floor_divide, remainder and power (NumPy
               computes those in int8: the shared corpus marks them not
               runnable, here they run)
  scalar       every binary ufunc, a new-dtype array with a weak Python int,
               float or bool on either side, in and out of the dtype's range
  unary        every unary ufunc over the new dtypes
  where, clip  with new dtypes among the operands (arrays and scalars)
  reduce       every reduction over every axis form, keepdims, empty arrays
  astype       from each new dtype to every dtype and back (floats only
               inside the integer's range: outside it C leaves the result
               undefined)
  cast_out     out= of every dtype for ufuncs of the new dtypes (same_kind)
  views        ops on and into transposed, stepped and reversed views
  overlap      outputs overlapping an input (x[:-1] op x[1:] into x[:-1])
  str          printing
  npy_load     .npy files NumPy wrote (C and F order, both byte orders)
"""

import gzip
import json
import os
import warnings

import ml_dtypes
import numpy as np

assert np.__version__ == "2.4.6", np.__version__
assert ml_dtypes.__version__ == "0.7.0", ml_dtypes.__version__

HERE = os.path.dirname(os.path.abspath(__file__))
BF16 = np.dtype(ml_dtypes.bfloat16)

DTYPES = {
    "bool": np.dtype(bool),
    "int8": np.dtype(np.int8),
    "uint8": np.dtype(np.uint8),
    "int16": np.dtype(np.int16),
    "uint16": np.dtype(np.uint16),
    "int32": np.dtype(np.int32),
    "uint32": np.dtype(np.uint32),
    "int64": np.dtype(np.int64),
    "uint64": np.dtype(np.uint64),
    "float16": np.dtype(np.float16),
    "bfloat16": BF16,
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
}
NEW = ["int8", "int16", "uint16"]
FLOATS = ["float16", "bfloat16", "float32", "float64"]

# Adversarial values per dtype: extremes, zero, one, minus one, wrap points.
VALUES = {
    "bool": [False, True],
    "int8": [-128, -127, -7, -1, 0, 1, 2, 5, 100, 127],
    "uint8": [0, 1, 2, 7, 127, 128, 255],
    "int16": [-32768, -32767, -300, -128, -1, 0, 1, 3, 255, 256, 32767],
    "uint16": [0, 1, 2, 7, 255, 256, 1000, 32767, 32768, 65535],
    "int32": [-(2**31), -70000, -1, 0, 1, 3, 65536, 2**31 - 1],
    "uint32": [0, 1, 5, 65535, 65536, 2**31, 2**32 - 1],
    "int64": [-(2**63), -(2**40), -1, 0, 1, 9, 2**40, 2**63 - 1],
    "uint64": [0, 1, 6, 2**32, 2**63, 2**64 - 1],
    "float16": [-np.inf, -300.5, -1.5, -0.0, 0.0, 6e-8, 0.5, 1.0, 2.5, 127.0, 65504.0, np.inf, np.nan],
    "bfloat16": [-np.inf, -1e30, -1.5, -0.0, 0.0, 0.5, 1.0, 3.0, 256.0, 1e30, np.inf, np.nan],
    "float32": [-np.inf, -1e30, -33000.5, -1.5, -0.0, 0.0, 1e-45, 0.5, 1.0, 2.5, 65535.0, 3e38, np.inf, np.nan],
    "float64": [-np.inf, -1e300, -128.5, -1.0, -0.0, 0.0, 5e-324, 0.25, 1.0, 7.0, 40000.0, 1e300, np.inf, np.nan],
}
# Small non-negative values (integer exponents of power must not be negative).
SMALL = {
    "bool": [False, True],
    "int8": [0, 1, 2, 3, 7],
    "uint8": [0, 1, 2, 9],
    "int16": [0, 1, 2, 5, 15],
    "uint16": [0, 1, 3, 16],
    "int32": [0, 1, 2, 31],
    "uint32": [0, 1, 4],
    "int64": [0, 1, 2, 63],
    "uint64": [0, 1, 3],
    "float16": [-1.5, -0.0, 0.0, 0.5, 1.0, 2.0, 3.0, np.inf, np.nan],
    "bfloat16": [-1.5, -0.0, 0.0, 0.5, 1.0, 2.0, np.inf, np.nan],
    "float32": [-2.5, -0.0, 0.0, 0.5, 1.0, 3.0, np.inf, np.nan],
    "float64": [-2.5, -0.0, 0.0, 0.5, 1.0, 3.0, np.inf, np.nan],
}

BINARY = [
    "add", "subtract", "multiply", "divide", "floor_divide", "remainder",
    "power", "maximum", "minimum", "equal", "not_equal", "less",
    "less_equal", "greater", "greater_equal", "logical_and", "logical_or",
    "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
]
UNARY = [
    "negative", "absolute", "sign", "sqrt", "exp", "log", "sin", "cos",
    "tanh", "floor", "ceil", "round", "logical_not",
]
REDUCE = ["sum", "prod", "mean", "min", "max", "argmin", "argmax", "any", "all"]
TRANSCENDENTAL = {"exp", "log", "sin", "cos", "tanh", "power"}
ULP = {"float16": 1, "bfloat16": 1, "float32": 4, "float64": 2}

SCALARS = [
    ("0", "int"), ("1", "int"), ("-1", "int"), ("2", "int"), ("127", "int"),
    ("128", "int"), ("-129", "int"), ("255", "int"), ("256", "int"),
    ("300", "int"), ("32767", "int"), ("32768", "int"), ("-32769", "int"),
    ("65535", "int"), ("65536", "int"), ("2147483648", "int"),
    ("9223372036854775808", "int"), ("-9223372036854775809", "int"),
    ("18446744073709551616", "int"), ("0.5", "float"), ("-2.5", "float"),
    ("1e10", "float"), ("inf", "float"), ("nan", "float"), ("True", "bool"),
    ("False", "bool"),
]


def is_float(dt):
    """Whether dt is a float dtype (ml_dtypes' bfloat16 has kind 'V')."""
    return dt.kind == "f" or dt == BF16


MANTISSA = {"float16": 10, "bfloat16": 7, "float32": 23, "float64": 52}


def py_scalar(lit, kind):
    if kind == "bool":
        return lit == "True"
    if kind == "int":
        return int(lit)
    return float(lit)


def encode(a):
    """Flat C-order data in the corpus encoding."""
    a = np.ascontiguousarray(a)
    dt = a.dtype
    if dt == np.dtype(bool):
        return [int(v) for v in a.ravel()]
    if dt in (np.dtype(np.float16), BF16):
        return [int(v) for v in a.view(np.uint16).ravel()]
    if dt == np.dtype(np.float32):
        return [int(v) for v in a.view(np.uint32).ravel()]
    if dt == np.dtype(np.float64):
        return [int(v) for v in a.view(np.uint64).ravel()]
    return [int(v) for v in a.ravel()]


def name_of(dt):
    return "bfloat16" if dt == BF16 else dt.name


def array_json(a):
    return {"dtype": name_of(a.dtype), "shape": list(a.shape), "data": encode(a)}


def make(dtype, values, shape):
    return np.array(values, dtype=DTYPES[dtype]).reshape(shape)


def error_of(e):
    """The corpus's error form for a NumPy exception."""
    t = type(e).__name__
    msg = str(e)
    if t in ("TypeError", "UFuncTypeError", "OverflowError", "_UFuncNoLoopError",
             "_UFuncOutputCastingError", "_UFuncInputCastingError"):
        kind = "dtype"
    elif t in ("AxisError",):
        kind = "axis"
    elif "zero-size array" in msg or "empty sequence" in msg:
        kind = "empty_reduction"
    elif "broadcast" in msg:
        kind = "broadcast"
    elif "read-only" in msg:
        kind = "readonly"
    else:
        kind = "value"
    if t.startswith("_UFunc"):
        t = "UFuncTypeError"
    return {"error": {"type": t, "kind": kind, "message": msg}}


class Writer:
    def __init__(self):
        self.cases = []
        self.counts = {}

    def add(self, family, sub, bases, op, expect, tags):
        n = self.counts.get((family, sub), 0) + 1
        self.counts[(family, sub)] = n
        self.cases.append({
            "id": f"{family}.{sub}.{n:05d}",
            "family": family,
            "sub": sub,
            "bases": {k: array_json(v) for k, v in bases.items()},
            "op": op,
            "tags": tags,
            "expect": expect,
        })


def base_op(name, view=None):
    return {"base": name, "view": view or []}


def scalar_op(lit, kind):
    return {"scalar": lit, "kind": kind}


def result_expect(r, fn=None):
    r = np.asarray(r)
    e = {"result": array_json(r)}
    if fn in TRANSCENDENTAL and is_float(r.dtype):
        e["ulp"] = dict(ULP)
    return e


def run(f):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return f(), None
        except Exception as e:  # NumPy's answer is the error
            return None, e


def no_neg_zero(values):
    """values without -0.0 (QUIRKS.md: where +0.0 meets -0.0, maximum,
    minimum and clip may return either zero)."""
    return [v for v in values if not (isinstance(v, float) and v == 0 and np.signbit(v))]


def values_for(fn, dtype):
    if fn in ("maximum", "minimum"):
        return no_neg_zero(VALUES[dtype])
    return VALUES[dtype]


def binary_family(w):
    pairs = []
    for a in NEW:
        for b in DTYPES:
            pairs.append((a, b))
            if b not in NEW:
                pairs.append((b, a))
    for fn in BINARY:
        for a, b in pairs:
            yv = SMALL[b] if fn == "power" else values_for(fn, b)
            x = make(a, values_for(fn, a) if fn != "power" else SMALL[a] + VALUES[a][:3], (-1, 1))
            y = make(b, yv, (1, -1))
            r, e = run(lambda: getattr(np, fn)(x, y))
            w.add("binary", fn, {"x": x, "y": y},
                  {"kind": "binary", "fn": fn, "x": base_op("x"), "y": base_op("y")},
                  error_of(e) if e else result_expect(r, fn), [f"{a}-{b}"])
        if fn in ("floor_divide", "remainder", "power"):
            x = make("bool", [False, True], (2, 1))
            y = make("bool", [False, True], (1, 2))
            r, e = run(lambda: getattr(np, fn)(x, y))
            w.add("binary", fn, {"x": x, "y": y},
                  {"kind": "binary", "fn": fn, "x": base_op("x"), "y": base_op("y")},
                  error_of(e) if e else result_expect(r, fn), ["bool-bool"])


def scalar_family(w):
    for fn in BINARY:
        for a in NEW:
            x = make(a, VALUES[a] if fn != "power" else SMALL[a] + VALUES[a][:3], (-1,))
            for lit, kind in SCALARS:
                s = py_scalar(lit, kind)
                if fn.startswith("logical_") and kind == "int" and not -(2**63) <= s < 2**63:
                    continue  # QUIRKS.md: NumPy's OverflowError is an artefact
                for left in (True, False):
                    if left:
                        f = lambda: getattr(np, fn)(x, s)
                        op = {"kind": "binary", "fn": fn, "x": base_op("x"), "y": scalar_op(lit, kind)}
                    else:
                        f = lambda: getattr(np, fn)(s, x)
                        op = {"kind": "binary", "fn": fn, "x": scalar_op(lit, kind), "y": base_op("x")}
                    r, e = run(f)
                    w.add("scalar", fn, {"x": x}, op,
                          error_of(e) if e else result_expect(r, fn),
                          [f"{a}-{kind}", "scalar_left" if not left else "scalar_right"])


def unary_family(w):
    for fn in UNARY:
        for a in NEW:
            x = make(a, VALUES[a], (-1,))
            r, e = run(lambda: getattr(np, fn)(x))
            w.add("unary", fn, {"x": x}, {"kind": "unary", "fn": fn, "x": base_op("x")},
                  error_of(e) if e else result_expect(r, fn), [a])


def where_clip_family(w):
    cond = make("bool", [True, False, True, True, False, False], (6,))
    for a in NEW:
        for b in DTYPES:
            for xa, yb in ((a, b), (b, a)):
                x = make(xa, (VALUES[xa] * 6)[:6], (6,))
                y = make(yb, (VALUES[yb][::-1] * 6)[:6], (6,))
                r, e = run(lambda: np.where(cond, x, y))
                w.add("where", "where", {"c": cond, "x": x, "y": y},
                      {"kind": "where", "cond": base_op("c"), "x": base_op("x"), "y": base_op("y")},
                      error_of(e) if e else result_expect(r), [f"{xa}-{yb}"])
        x = make(a, (VALUES[a] * 6)[:6], (6,))
        info = np.iinfo(DTYPES[a])
        for lit, kind in SCALARS:
            s = py_scalar(lit, kind)
            if kind == "int" and not info.min <= s <= info.max:
                continue  # QUIRKS.md: `where` wraps such an int silently
            r, e = run(lambda: np.where(cond, x, s))
            w.add("where", "where", {"c": cond, "x": x},
                  {"kind": "where", "cond": base_op("c"), "x": base_op("x"), "y": scalar_op(lit, kind)},
                  error_of(e) if e else result_expect(r), [f"{a}-{kind}"])
    for a in NEW:
        x = make(a, VALUES[a], (-1,))
        n = x.size
        for b in ["int8", "int16", "uint16", "uint8", "int32", "int64", "float32", "float64", "bool"]:
            lo = make(b, (no_neg_zero(VALUES[b]) * n)[:n], (n,))
            hi = make(b, (no_neg_zero(VALUES[b])[::-1] * n)[:n], (n,))
            r, e = run(lambda: np.clip(x, lo, hi))
            w.add("clip", "clip", {"x": x, "lo": lo, "hi": hi},
                  {"kind": "clip", "x": base_op("x"), "lo": base_op("lo"), "hi": base_op("hi")},
                  error_of(e) if e else result_expect(r), [f"{a}-{b}"])
        for (l1, k1), (l2, k2) in [(("0", "int"), ("100", "int")), (("-1", "int"), ("255", "int")),
                                   (("-200", "int"), ("40000", "int")), (("1", "int"), ("0", "int")),
                                   (("0.5", "float"), ("2.5", "float")), (("-inf", "float"), ("nan", "float")),
                                   (("False", "bool"), ("True", "bool")), (("2", "int"), ("1e3", "float"))]:
            r, e = run(lambda: np.clip(x, py_scalar(l1, k1), py_scalar(l2, k2)))
            w.add("clip", "clip", {"x": x},
                  {"kind": "clip", "x": base_op("x"), "lo": scalar_op(l1, k1), "hi": scalar_op(l2, k2)},
                  error_of(e) if e else result_expect(r), [f"{a}-{k1}-{k2}"])


def reduce_family(w):
    axes = [None, 0, 1, -1, [0, 1], [1], 2, [0, 0]]
    for a in NEW:
        vals = VALUES[a]
        x = make(a, (vals * 3)[:12], (3, 4))
        big = make(a, [vals[i % len(vals)] for i in range(3000)], (3000,))
        empty = make(a, [], (0, 3))
        zero_d = make(a, [vals[-1]], ())
        for fn in REDUCE:
            for ax in axes:
                for keep in (False, True):
                    r, e = run(lambda: getattr(np, fn)(x, axis=tuple(ax) if isinstance(ax, list) else ax, keepdims=keep))
                    w.add("reduce", fn, {"x": x},
                          {"kind": "reduce", "fn": fn, "x": base_op("x"), "axis": ax, "keepdims": keep},
                          error_of(e) if e else result_expect(r), [a, f"axis{ax}"])
            for arr, nm, ax in ((big, "big", None), (empty, "empty", 0), (empty, "empty", 1),
                                (empty, "empty", None), (zero_d, "0d", None)):
                r, e = run(lambda: getattr(np, fn)(arr, axis=ax))
                w.add("reduce", fn, {"x": arr},
                      {"kind": "reduce", "fn": fn, "x": base_op("x"), "axis": ax, "keepdims": False},
                      error_of(e) if e else result_expect(r), [a, nm])
            # A reversed, stepped view.
            r, e = run(lambda: getattr(np, fn)(x[::-1, ::2], axis=0))
            w.add("reduce", fn, {"x": x},
                  {"kind": "reduce", "fn": fn,
                   "x": base_op("x", [{"slice": [[None, None, -1], [None, None, 2]]}]),
                   "axis": 0, "keepdims": False},
                  error_of(e) if e else result_expect(r), [a, "view"])


def in_range(src, dst, v):
    """Whether casting value v of dtype src to dtype dst is defined in C."""
    if not is_float(DTYPES[src]) or DTYPES[dst].kind not in "iu":
        return True
    if not np.isfinite(v):
        return False
    info = np.iinfo(DTYPES[dst])
    return info.min <= float(v) <= info.max


def astype_family(w):
    for a in NEW:
        for b in DTYPES:
            for src, dst in ((a, b), (b, a)) if a != b else ((a, b),):
                vals = [v for v in VALUES[src] if in_range(src, dst, v)]
                if is_float(DTYPES[src]) and DTYPES[dst].kind in "iu":
                    vals += [-0.75, 0.75, 17.9]
                    if DTYPES[dst].kind == "u":
                        vals = [v for v in vals if v > -1]
                x = make(src, vals, (-1,))
                r, e = run(lambda: x.astype(DTYPES[dst]))
                w.add("astype", "astype", {"x": x},
                      {"kind": "astype", "x": base_op("x"), "dtype": dst},
                      error_of(e) if e else result_expect(r), [f"{src}-{dst}"])
    # Through views (packed writes on a GPU).
    for a in NEW:
        x = make(a, (VALUES[a] * 4)[:24], (4, 6))
        for b in ["float32", "int8", "uint16", "bfloat16", "int64"]:
            view = [{"slice": [[None, None, -1], [1, None, 2]]}, {"transpose": None}]
            r, e = run(lambda: x[::-1, 1::2].T.astype(DTYPES[b]))
            w.add("astype", "astype", {"x": x},
                  {"kind": "astype", "x": base_op("x", view), "dtype": b},
                  error_of(e) if e else result_expect(r), [f"{a}-{b}", "view"])


def cast_out_family(w):
    for a in NEW:
        x = make(a, VALUES[a][:6], (2, 3))
        y = make(a, VALUES[a][-3:], (3,))
        for fn in ["add", "multiply", "divide", "floor_divide", "greater", "sqrt", "exp", "negative"]:
            for o in DTYPES:
                out = np.zeros((2, 3), DTYPES[o])
                if fn in UNARY:
                    op = {"kind": "unary", "fn": fn, "x": base_op("x"), "out": base_op("o")}
                    f = lambda: getattr(np, fn)(x, out=out)
                    bases = {"x": x, "o": out.copy()}
                else:
                    op = {"kind": "binary", "fn": fn, "x": base_op("x"), "y": base_op("y"), "out": base_op("o")}
                    f = lambda: getattr(np, fn)(x, y, out=out)
                    bases = {"x": x, "y": y, "o": out.copy()}
                r, e = run(f)
                if e:
                    expect = error_of(e)
                else:
                    expect = {"bases_after": {k: encode(v if k != "o" else out) for k, v in bases.items()}}
                    if fn in TRANSCENDENTAL and is_float(out.dtype):
                        # The bound is in ulp of the loop's dtype (a float32
                        # exp written into float64 is a float32 result).
                        # A narrower output rounds it to within its own bound.
                        with np.errstate(all="ignore"):
                            loop = name_of(getattr(np, fn)(x).dtype)
                        o_name = name_of(out.dtype)
                        shift = MANTISSA[o_name] - MANTISSA[loop]
                        expect["ulp"] = {o_name: ULP[loop] << shift if shift > 0 else ULP[o_name]}
                w.add("cast_out", fn, bases, op, expect, [f"{a}->{o}"])


def views_family(w):
    for a in NEW:
        for b in ["int8", "int16", "uint16", "uint8", "float32", "bool"]:
            x = make(a, (VALUES[a] * 8)[:20], (4, 5))
            y = make(b, (VALUES[b][::-1] * 8)[:10], (2, 5))
            o = make(a if DTYPES[a] == np.promote_types(DTYPES[a], DTYPES[b]) else "float64",
                     [0] * 30, (5, 6))
            xv = [{"slice": [[None, None, -2], [None, None, None]]}]          # (2, 5), rows 3, 1
            yv = [{"slice": [[None, None, -1], [None, None, None]]}]          # (2, 5), reversed
            # o[:, 4:0:-3].T: columns 4 and 1 of o, transposed to (2, 5).
            ov = [{"slice": [[None, None, None], [4, 0, -3]]}, {"transpose": None}]
            xs = x[::-2, :]
            ys = y[::-1, :]
            for fn in ["add", "subtract", "multiply", "maximum", "bitwise_xor", "floor_divide"]:
                out = o.copy()
                outv = out[:, 4:0:-3].T
                r, e = run(lambda: getattr(np, fn)(xs, ys, out=outv))
                bases = {"x": x, "y": y, "o": o}
                expect = error_of(e) if e else {"bases_after": {"x": encode(x), "y": encode(y), "o": encode(out)}}
                w.add("views", fn, bases,
                      {"kind": "binary", "fn": fn, "x": base_op("x", xv), "y": base_op("y", yv),
                       "out": base_op("o", ov)},
                      expect, [f"{a}-{b}", "strided_out"])
        # A unary op into a stepped, packed view and a broadcast input.
        x = make(a, VALUES[a][:3], (3,))
        o = make(a, [1] * 24, (4, 6))
        out = o.copy()
        r, e = run(lambda: np.negative(np.broadcast_to(x, (2, 3)), out=out[1:4:2, ::-2]))
        w.add("views", "negative", {"x": x, "o": o},
              {"kind": "unary", "fn": "negative", "x": base_op("x", [{"broadcast_to": [2, 3]}]),
               "out": base_op("o", [{"slice": [[1, 4, 2], [None, None, -2]]}])},
              error_of(e) if e else {"bases_after": {"x": encode(x), "o": encode(out)}}, [a, "broadcast"])


def overlap_family(w):
    for a in NEW:
        for fn in ["add", "subtract", "multiply", "maximum", "bitwise_or"]:
            x = make(a, (VALUES[a] * 2)[:11], (11,))
            after = x.copy()
            run(lambda: getattr(np, fn)(after[:-1], after[1:], out=after[:-1]))
            w.add("overlap", fn, {"x": x},
                  {"kind": "binary", "fn": fn, "x": base_op("x", [{"slice": [[None, -1, None]]}]),
                   "y": base_op("x", [{"slice": [[1, None, None]]}]),
                   "out": base_op("x", [{"slice": [[None, -1, None]]}])},
                  {"bases_after": {"x": encode(after)}}, [a, "overlap1d"])
            after = x.copy()
            run(lambda: getattr(np, fn)(after[::-1], after, out=after))
            w.add("overlap", fn, {"x": x},
                  {"kind": "binary", "fn": fn, "x": base_op("x", [{"slice": [[None, None, -1]]}]),
                   "y": base_op("x"), "out": base_op("x")},
                  {"bases_after": {"x": encode(after)}}, [a, "reversed"])


def str_family(w):
    for a in NEW:
        vals = VALUES[a]
        shapes = [(len(vals),), (2, 3), (), (0,), (3, 0), (1001,), (4, 25), (3, 1, 2)]
        for shape in shapes:
            n = int(np.prod(shape))
            x = make(a, [vals[i % len(vals)] for i in range(n)], shape)
            w.add("str", "str", {"x": x}, {"kind": "str", "x": base_op("x")},
                  {"str": str(x)}, [a, f"shape{list(shape)}"])
        for small in ([0, 1, 2], [0, 0], [-1, 5], [7]):
            if DTYPES[a].kind == "u" and min(small) < 0:
                continue
            x = make(a, small, (len(small),))
            w.add("str", "str", {"x": x}, {"kind": "str", "x": base_op("x")},
                  {"str": str(x)}, [a, "small"])


def npy_family(w):
    out_dir = os.path.join(HERE, "npy_in")
    os.makedirs(out_dir, exist_ok=True)
    for a in NEW:
        vals = VALUES[a]
        x = make(a, (vals * 3)[:12], (3, 4))
        for sub, arr in (("c2d", x), ("f2d", np.asfortranarray(x)),
                         ("big_endian", x.astype(DTYPES[a].newbyteorder(">"))),
                         ("0d", make(a, [vals[0]], ())), ("empty", make(a, [], (0, 2)))):
            n = w.counts.get(("npy_load", sub), 0) + 1
            rel = f"npy_in/npy_load.{sub}.{n:05d}.npy"
            np.save(os.path.join(HERE, rel), arr)
            w.add("npy_load", sub, {}, {"kind": "npy_load", "file": rel},
                  {"result": array_json(np.array(arr, dtype=DTYPES[a], order="C"))}, [a, sub])


def main():
    w = Writer()
    binary_family(w)
    scalar_family(w)
    unary_family(w)
    where_clip_family(w)
    reduce_family(w)
    astype_family(w)
    cast_out_family(w)
    views_family(w)
    overlap_family(w)
    str_family(w)
    npy_family(w)
    path = os.path.join(HERE, "small_ints.jsonl.gz")
    with open(path, "wb") as raw:
        # mtime=0: the same cases give the same bytes.
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
            for c in w.cases:
                f.write((json.dumps(c, separators=(",", ":")) + "\n").encode())
    print(f"{len(w.cases)} cases -> {path}")


if __name__ == "__main__":
    main()
