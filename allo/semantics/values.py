"""Value helpers shared by the op families: exact rounding into float formats.

Floats are numpy scalars of their type (``bfloat16`` via ``ml_dtypes``). Conversions into a
float format always round *once*, to nearest even, from the exact value: a Python float
(float64), an integer of any size or a rational. numpy's own casts are used only where they
are known to round once (double -> float/half, float -> bfloat16); everything else goes
through :func:`round_rational`, which is exact integer arithmetic.

Example::

    >>> from allo.semantics.values import round_rational, make_float
    >>> float(round_rational(1, 3, "f16"))
    0.333251953125
    >>> float(make_float(2.0 ** 60 + 2.0 ** 40, "bf16")) == 2.0 ** 60
    True
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Callable, Dict, Tuple

import ml_dtypes
import numpy as np

from ..ir.types import AlloType, Float

# kind -> (exponent bits, stored mantissa bits, numpy dtype, unsigned bit-pattern dtype)
FLOAT_FORMATS: Dict[str, Tuple[int, int, Any, Any]] = {
    "f16": (5, 10, np.dtype(np.float16), np.uint16),
    "bf16": (8, 7, np.dtype(ml_dtypes.bfloat16), np.uint16),
    "f32": (8, 23, np.dtype(np.float32), np.uint32),
    "f64": (11, 52, np.dtype(np.float64), np.uint64),
}


def float_dtype(kind: str) -> np.dtype:
    """The numpy dtype of a float kind. Example: ``float_dtype("f32") == np.float32``."""
    return FLOAT_FORMATS[kind][2]


def float_from_bits(bits: int, kind: str) -> Any:
    """The float of ``kind`` whose IEEE bit pattern is ``bits``.

    Example: ``float(float_from_bits(0x3C00, "f16")) == 1.0``.
    """
    return np.array(bits, dtype=FLOAT_FORMATS[kind][3]).view(FLOAT_FORMATS[kind][2])[()]


def float_bits(value: Any, kind: str) -> int:
    """The IEEE bit pattern of a float scalar. Example: ``float_bits(np.float16(1), "f16") == 0x3C00``."""
    return int(np.array(value, dtype=FLOAT_FORMATS[kind][2]).view(FLOAT_FORMATS[kind][3]))


def round_rational(num: int, den: int, kind: str) -> Any:
    """The exact rational ``num / den`` (``den > 0``) rounded once, to nearest even, to ``kind``.

    Overflow gives a signed infinity; tiny values become subnormals or a signed zero.
    Example: ``float(round_rational(2**64 + 1, 1, "f32")) == 2.0**64``.
    """
    exp_bits, man_bits = FLOAT_FORMATS[kind][:2]
    if den <= 0:
        raise ValueError("round_rational needs a positive denominator")
    sign = 1 if num < 0 else 0
    n = -num if sign else num
    sign_bit = sign << (exp_bits + man_bits)
    if n == 0:
        return float_from_bits(sign_bit, kind)
    bias = (1 << (exp_bits - 1)) - 1
    emin, emax = 1 - bias, bias
    # e = floor(log2(n / den)), from the bit lengths then one correction step
    e = n.bit_length() - den.bit_length()
    if (n << max(-e, 0)) < (den << max(e, 0)):
        e -= 1
    e = max(e, emin)  # below the normal range the quantum stays at 2**(emin - man_bits)
    shift = e - man_bits
    if shift >= 0:
        divisor = den << shift
        q, r = divmod(n, divisor)
    else:
        divisor = den
        q, r = divmod(n << -shift, den)
    if 2 * r > divisor or (2 * r == divisor and q & 1):
        q += 1
    if q >> (man_bits + 1):  # rounding carried into the next binade
        q >>= 1
        e += 1
    if e > emax:
        bits = ((1 << exp_bits) - 1) << man_bits  # infinity
    elif q < (1 << man_bits):
        bits = q  # subnormal (a carry into 2**man_bits is exactly the smallest normal)
    else:
        bits = ((e + bias) << man_bits) | (q - (1 << man_bits))
    return float_from_bits(sign_bit | bits, kind)


def make_float(x: float, kind: str) -> Any:
    """A Python float (float64) rounded once to ``kind``.

    numpy rounds double -> float/half once; double -> bfloat16 in ml_dtypes goes through
    float32 (two roundings), so it is done exactly here unless ``x`` is a float32.
    Example: ``make_float(0.1, "f32") == np.float32(0.1)``.
    """
    if kind == "f64":
        return np.float64(x)
    if kind == "f32":
        return np.float32(x)
    if kind == "f16":
        with np.errstate(over="ignore"):
            return np.float16(x)
    f32 = np.float32(x) if math.isfinite(x) and abs(x) < 3.0e38 else None
    if not math.isfinite(x) or (f32 is not None and float(f32) == x):
        with np.errstate(over="ignore"):
            return ml_dtypes.bfloat16(np.float32(x))
    fr = Fraction(x)
    return round_rational(fr.numerator, fr.denominator, kind)


def int_to_float(x: int, kind: str) -> Any:
    """An integer of any size rounded once to ``kind``. Example: ``int_to_float(3, "f32") == 3.0``."""
    if -(1 << 53) <= x <= (1 << 53):
        return make_float(float(x), kind)  # float(x) is exact here: one rounding in total
    return round_rational(x, 1, kind)


def float_to_fraction(v: Any) -> Fraction:
    """The exact rational value of a finite float scalar. Example: ``float_to_fraction(np.float16(0.5)) == Fraction(1, 2)``."""
    return Fraction(float(v))


def const_value(value: Any, t: AlloType) -> Any:
    """A constant of the IR (``Const.value``) in the value representation of ``t``.

    Ints wrap; fixed-point constants are raw ints already; floats round once.
    Example: ``const_value(300, Int(8)) == 44``.
    """
    if isinstance(t, Float):
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return int_to_float(int(value), t.kind)
        return make_float(float(value), t.kind)
    from ..ir.types import wrap_int

    return wrap_int(int(value), t.bits, t.signed)


__all__ = ["FLOAT_FORMATS", "float_dtype", "float_from_bits", "float_bits", "round_rational",
           "make_float", "int_to_float", "float_to_fraction", "const_value"]


def wrapper(t: AlloType) -> Callable[[int], int]:
    """A fast function wrapping a Python int into integer type ``t`` (modulo ``2**bits``).

    Example: ``wrapper(int8)(200) == -56``.
    """
    bits, signed = t.bits, t.signed
    mask = (1 << bits) - 1
    if signed:
        sign = 1 << (bits - 1)
        return lambda v: ((v & mask) ^ sign) - sign
    return lambda v: v & mask
