"""The z3 meaning of float -> int/fixed casts equals the concrete meaning on the special
values (z3's own fp.to_sbv/fp.to_ubv leave NaN, infinities and out-of-range values
unspecified; our semantics saturates)."""

import math

import numpy as np
import pytest
import z3

from allo.ir.types import (Fixed, Int, UFixed, UInt, bfloat16, float16, float32, float64, int8,
                           int16, int32, int64, uint8, uint32)
from allo.semantics import specialize
from allo.semantics.values import make_float
from allo.semantics.z3_ops import Z3Context, z3_apply, z3_sort

SOURCES = [float16, bfloat16, float32, float64]
TARGETS = [int8, int16, int32, int64, uint8, uint32, Int(128), UInt(100), Int(2),
           Fixed(16, 4), UFixed(12, 6), Fixed(64, 8), Fixed(200, 100)]


def _specials(t):
    finfo = np.finfo(t.numpy_dtype()) if t.kind != "bf16" else None
    big = float(finfo.max) if finfo is not None else 3.3895313892515355e38
    vals = [0.0, -0.0, math.inf, -math.inf, math.nan, 1.0, -1.0, 0.5, -0.5, 1.5, -1.5, 2.5,
            -2.5, 127.0, 128.0, -128.0, -129.0, 255.0, 256.0, 65504.0, -65504.0, big, -big,
            2.0 ** 31, -(2.0 ** 31), 2.0 ** 31 + 2.0 ** 20, 2.0 ** 63, -(2.0 ** 63), 2.0 ** 64,
            2.0 ** 100, -(2.0 ** 127), 1e-30, -1e-30]
    out = []
    for v in vals:
        with np.errstate(all="ignore"):
            out.append(make_float(v, t.kind))
    return out


def _z3_fp(v, t):
    sort = z3_sort(t)
    f = float(v)
    if f != f:
        return z3.fpNaN(sort)
    if f == 0.0:
        return z3.fpMinusZero(sort) if math.copysign(1.0, f) < 0 else z3.fpPlusZero(sort)
    if math.isinf(f):
        return z3.fpPlusInfinity(sort) if f > 0 else z3.fpMinusInfinity(sort)
    return z3.FPVal(f, sort)


@pytest.mark.parametrize("src", SOURCES, ids=repr)
@pytest.mark.parametrize("dst", TARGETS, ids=repr)
def test_z3_float_cast_agrees_with_concrete_on_specials(src, dst):
    concrete = specialize("cast", [src], dst)
    for v in _specials(src):
        with np.errstate(all="ignore"):
            want = int(concrete(v)) % (1 << dst.bits)
        term = z3.simplify(z3_apply(Z3Context(), "cast", dst, (src,), (_z3_fp(v, src),)))
        assert z3.is_bv_value(term), f"cast {src}->{dst} of {v} left unspecified: {term}"
        assert term.as_long() == want, f"cast {src}->{dst} of {float(v)!r}: z3 " \
            f"{term.as_long()} vs concrete {want}"


def test_fptosi_of_minus_infinity_saturates_in_a_proof():
    # for every x, casting -inf gives the minimum: provable only if z3 knows our meaning
    x = z3.FP("x", z3_sort(float16))
    term = z3_apply(Z3Context(), "cast", int32, (float16,), (x,))
    s = z3.Solver()
    s.add(z3.fpIsInf(x), z3.fpIsNegative(x), term != z3.BitVecVal(-(2 ** 31), 32))
    assert s.check() == z3.unsat
