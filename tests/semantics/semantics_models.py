"""Independent models of the op semantics, written from docs/semantics.md without using
``allo.semantics``: Python ints reduced with ``%``, ``fractions.Fraction`` for fixed point
and exact rounding, numpy float32/float64 op by op, and a nearest-neighbour search for
rounding into a float format. Also small IR-building helpers for the tests."""

from __future__ import annotations

import math
from fractions import Fraction

import ml_dtypes
import numpy as np

from allo.ir.nodes import Func, Module, Param, Return, Var

# kind -> (numpy dtype, unsigned view dtype, exponent bits, mantissa bits)
KINDS = {
    "f16": (np.float16, np.uint16, 5, 10),
    "bf16": (ml_dtypes.bfloat16, np.uint16, 8, 7),
    "f32": (np.float32, np.uint32, 8, 23),
    "f64": (np.float64, np.uint64, 11, 52),
}


def reduce_int(v: int, bits: int, signed: bool) -> int:
    """``v`` modulo ``2**bits`` into the type's range (written with %, not masks)."""
    m = 2 ** bits
    if signed:
        return (v + m // 2) % m - m // 2
    return v % m


def bits_of(x, kind: str) -> int:
    dt, ut = KINDS[kind][:2]
    return int(np.array(x, dtype=dt).view(ut))


def from_bits(b: int, kind: str):
    dt, ut = KINDS[kind][:2]
    return np.array(b, dtype=ut).view(dt)[()]


def _magnitude_value(pattern: int, kind: str) -> Fraction:
    """Exact value of a non-negative pattern; the infinity pattern counts as 2**(emax+1)."""
    _, _, e, m = KINDS[kind]
    inf_pattern = ((1 << e) - 1) << m
    if pattern >= inf_pattern:
        return Fraction(2) ** (2 ** (e - 1))
    return Fraction(float(from_bits(pattern, kind)))


def nearest(q: Fraction, kind: str, negative_zero: bool = False):
    """Round the exact rational ``q`` to ``kind`` by searching neighbouring bit patterns for
    the nearest one (ties: even pattern). Independent of the implementation's algorithm.
    ``negative_zero`` gives ``q == 0`` a negative sign."""
    _, _, e, m = KINDS[kind]
    sign = 1 if q < 0 or (q == 0 and negative_zero) else 0
    a = abs(q)
    inf_pattern = ((1 << e) - 1) << m
    approx = float(a) if a < Fraction(2) ** 1000 else math.inf
    with np.errstate(all="ignore"):
        start = bits_of(np.float64(approx).astype(KINDS[kind][0]), kind) if kind != "f64" \
            else bits_of(np.float64(approx), kind)
    best = None
    for p in range(max(0, start - 3), min(inf_pattern, start + 3) + 1):
        d = abs(_magnitude_value(p, kind) - a)
        key = (d, p & 1)
        if best is None or key < best[0]:
            best = (key, p)
    return from_bits(best[1] | (sign << (e + m)), kind)


def same_float(x, y, kind: str) -> bool:
    """Bit-identical, or both NaN."""
    fx, fy = float(x), float(y)
    if math.isnan(fx) or math.isnan(fy):
        return math.isnan(fx) and math.isnan(fy)
    return bits_of(x, kind) == bits_of(y, kind)


def scalar_module(expr, params) -> Module:
    """A module whose top function takes scalars ``params`` and returns ``expr``."""
    f = Func("f", [Param(n, t) for n, t in params], [expr.type], [Return([expr])])
    return Module({"f": f}, "f")


def var(name, t):
    return Var(name, t)
