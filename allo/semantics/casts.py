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
from .values import int_to_float, make_float, round_rational
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
