"""The ``cast`` op: conversions between every pair of scalar types (docs/semantics.md).

``make_cast(src, dst)`` returns a one-argument function on the value representation
(ints and fixed raw values as Python ints, floats as numpy scalars), specialised once for
the pair of types so the interpreter does not re-dispatch per element.

Example::

    >>> from allo.semantics.casts import cast_value
    >>> import numpy as np
    >>> from allo.ir.types import int8, float32, Fixed
    >>> cast_value(np.float32(-3.7), float32, int8)
    -3
    >>> cast_value(np.float32(1e10), float32, int8)   # saturates
    127
    >>> cast_value(0.75, float32, Fixed(8, 2))         # raw value: floor(0.75 * 4)
    3
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache
from typing import Any, Callable


from ..ir.types import AlloType, Fixed, Float, wrap_int
from .values import FLOAT_FORMATS, float_bits, float_from_bits, int_to_float, make_float, round_rational
from .values import wrapper as _wrapper

Cast = Callable[[Any], Any]


def _family(t: AlloType) -> str:
    if isinstance(t, Float):
        return "float"
    if isinstance(t, Fixed):
        return "fixed"
    if t.is_int:
        return "int"
    raise TypeError(f"cast: unsupported type {t!r}")


def float_to_int_sat(x: Any, bits: int, signed: bool) -> int:
    """Truncate toward zero, saturating at the range of ``(bits, signed)``; NaN gives 0.

    Example: ``float_to_int_sat(float('-inf'), 8, True) == -128``.
    """
    v = float(x)
    lo = -(1 << (bits - 1)) if signed else 0
    hi = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    if math.isnan(v):
        return 0
    if math.isinf(v):
        return hi if v > 0 else lo
    t = math.trunc(v)
    return hi if t > hi else lo if t < lo else t


def float_to_fixed_raw(x: Any, frac: int, bits: int, signed: bool) -> int:
    """``floor(x * 2**frac)`` exactly, wrapped to ``bits``; NaN and infinities give 0.

    Example: ``float_to_fixed_raw(-0.3, 2, 8, True) == -2`` (floor(-1.2)).
    """
    v = float(x)
    if not math.isfinite(v):
        return 0
    try:  # exact: scaling up by a power of two cannot round (ldexp raises past DBL_MAX)
        raw = math.floor(math.ldexp(v, frac))
    except OverflowError:
        raw = math.floor(Fraction(v) * (1 << frac))
    return wrap_int(raw, bits, signed)


def fixed_raw_to_float(raw: int, frac: int, kind: str) -> Any:
    """The exact rational ``raw / 2**frac`` rounded once to the float ``kind``.

    Example: ``float(fixed_raw_to_float(3, 2, "f32")) == 0.75``.
    """
    if -(1 << 53) <= raw <= (1 << 53) and frac <= 1000:
        exact = math.ldexp(float(raw), -frac)  # exact unless it lands in double subnormals
        if exact == 0.0 or abs(exact) >= 2.3e-308:
            return make_float(exact, kind)
    return round_rational(raw, 1 << frac, kind)


def _fixed_to_int(frac: int) -> Callable[[int], int]:
    def trunc(r: int) -> int:
        return r >> frac if r >= 0 else -((-r) >> frac)
    return trunc


@lru_cache(maxsize=None)
def make_cast(src: AlloType, dst: AlloType) -> Cast:
    """The conversion ``src -> dst`` as a function on values.

    Example: ``make_cast(Int(16), Int(8))(300) == 44``.
    """
    fs, fd = _family(src), _family(dst)
    if fs == "int" and fd == "int":
        return _wrapper(dst)
    if fs == "int" and fd == "float":
        kind = dst.kind
        return lambda x: int_to_float(int(x), kind)
    if fs == "float" and fd == "int":
        bits, signed = dst.bits, dst.signed
        return lambda x: float_to_int_sat(x, bits, signed)
    if fs == "float" and fd == "float":
        kind = dst.kind
        if src.kind == kind:
            return lambda x: x
        return lambda x: make_float(float(x), kind)  # float(x) is exact: one rounding
    if fs == "int" and fd == "fixed":
        frac, wrap = dst.frac, _wrapper(dst)
        return lambda x: wrap(int(x) << frac)
    if fs == "fixed" and fd == "int":
        trunc, wrap = _fixed_to_int(src.frac), _wrapper(dst)
        return lambda r: wrap(trunc(r))
    if fs == "fixed" and fd == "fixed":
        wrap, d = _wrapper(dst), dst.frac - src.frac
        if d >= 0:
            return lambda r: wrap(r << d)
        return lambda r: wrap(r >> -d)  # Python >> floors
    if fs == "float" and fd == "fixed":
        frac, bits, signed = dst.frac, dst.bits, dst.signed
        return lambda x: float_to_fixed_raw(x, frac, bits, signed)
    if fs == "fixed" and fd == "float":
        frac, kind = src.frac, dst.kind
        return lambda r: fixed_raw_to_float(int(r), frac, kind)
    raise TypeError(f"cast: unsupported conversion {src!r} -> {dst!r}")  # pragma: no cover


def cast_value(x: Any, src: AlloType, dst: AlloType) -> Any:
    """Convert one value from ``src`` to ``dst`` (see :func:`make_cast`).

    Example: ``cast_value(200, UInt(8), Int(8)) == -56``.
    """
    return make_cast(src, dst)(x)


__all__ = ["make_cast", "cast_value", "float_to_int_sat", "float_to_fixed_raw",
           "fixed_raw_to_float"]


# ------------------------------------------------------------------ bitcast
#: The quiet NaN every float -> int bitcast reads a NaN as: the float ops are defined up
#: to which NaN they produce (docs/semantics.md, "Floats"), so the bits of a NaN are too
CANONICAL_NAN = {"f16": 0x7E00, "bf16": 0x7FC0, "f32": 0x7FC00000, "f64": 0x7FF8000000000000}


def float_bits_canonical(value: Any, kind: str) -> int:
    """The IEEE bit pattern of a float, every NaN as :data:`CANONICAL_NAN`.

    Example: ``float_bits_canonical(np.float32(1.0), "f32") == 0x3F800000``.
    """
    bits = float_bits(value, kind)
    exp_bits, man_bits = FLOAT_FORMATS[kind][:2]
    inf = ((1 << exp_bits) - 1) << man_bits
    magnitude = bits & ((1 << (exp_bits + man_bits)) - 1)
    return CANONICAL_NAN[kind] if magnitude > inf else bits


def make_bitcast(src: AlloType, dst: AlloType) -> Cast:
    """The meaning of op ``bitcast``: ``src``'s bits read as ``dst`` (same width; ints,
    fixed point as its raw bits, floats). Example: ``make_bitcast(float32, Int(32))(np.float32(1.0)) == 0x3F800000``."""
    if src.bits != dst.bits:
        raise ValueError(f"bitcast from {src!r} to {dst!r}: the widths differ")
    if isinstance(src, Float):
        kind = src.kind
        to_bits = lambda v: float_bits_canonical(v, kind)  # noqa: E731
    else:
        mask = (1 << src.bits) - 1
        to_bits = lambda v: int(v) & mask  # noqa: E731
    if isinstance(dst, Float):
        dkind = dst.kind
        return lambda v: float_from_bits(to_bits(v), dkind)
    bits, signed = dst.bits, dst.signed
    return lambda v: wrap_int(to_bits(v), bits, signed)
