"""Hypothesis strategies for Allo scalar types and for values of a scalar type.

Values follow the IR's value representation (see :mod:`allo.ir.types`): integers are
Python ints in the type's range, fixed point values are the *raw* integer, floats are
Python floats exactly representable in the float type.

Example::

    >>> from hypothesis import given
    >>> from allo.testing import scalar_types, scalar_values
    >>> @given(scalar_types(fixed=False, floats=False, max_bits=16))
    ... def test_width(t):
    ...     assert 1 <= t.bits <= 16
"""

from __future__ import annotations

import math
from typing import List

import numpy as np
from hypothesis import strategies as st

from ..ir.types import AlloType, Fixed, Float, Int, bfloat16, float16, float32, float64

# Widths that real kernels use; drawn more often than arbitrary ones.
_COMMON_INT_WIDTHS = (1, 8, 16, 32, 64, 4, 12, 24, 128)
FLOAT_TYPES = (float32, float64, float16, bfloat16)
# Fixed point is limited to 64 bits so raw values stay cheap to convert exactly.
_MAX_FIXED_BITS = 64


def scalar_types(ints: bool = True, fixed: bool = True, floats: bool = True,
                 max_bits: int = 128) -> st.SearchStrategy[AlloType]:
    """Random scalar element types.

    ``Int``/``UInt`` of widths ``1..max_bits`` (common widths 1/8/16/32/64 most often),
    ``Fixed``/``UFixed`` (at most 64 bits), and ``float16``/``bfloat16``/``float32``/
    ``float64``. At least one family must be enabled.

    Example: ``scalar_types(floats=False, max_bits=32).example()`` might be ``Fixed(12, 5)``.
    """
    if not (ints or fixed or floats):
        raise ValueError("scalar_types: enable at least one of ints, fixed, floats")
    if max_bits < 1:
        raise ValueError(f"scalar_types: max_bits must be >= 1, got {max_bits}")
    families: List[st.SearchStrategy[AlloType]] = []
    if ints:
        families.append(int_types(max_bits))
    if fixed and max_bits >= 2:
        families.append(fixed_types(min(max_bits, _MAX_FIXED_BITS)))
    if floats:
        families.append(st.sampled_from(FLOAT_TYPES))
    return st.one_of(*families)


def int_types(max_bits: int = 128, signed: "bool | None" = None) -> st.SearchStrategy[Int]:
    """``Int(n)``/``UInt(n)`` with ``1 <= n <= max_bits``, biased toward common widths.

    Example: ``int_types(8).example()`` might be ``uint3``.
    """
    common = [w for w in _COMMON_INT_WIDTHS if w <= max_bits]
    widths = st.one_of(st.sampled_from(common), st.integers(1, max_bits)) if common \
        else st.integers(1, max_bits)
    signs = st.booleans() if signed is None else st.just(signed)
    return st.builds(Int, widths, signs)


def fixed_types(max_bits: int = 64) -> st.SearchStrategy[Fixed]:
    """``Fixed(W, F)``/``UFixed(W, F)`` with ``2 <= W <= max_bits`` and ``0 <= F <= W``.

    Example: ``fixed_types(16).example()`` might be ``UFixed(10, 3)``.
    """

    @st.composite
    def build(draw) -> Fixed:
        width = draw(st.one_of(st.sampled_from([w for w in (8, 16, 32) if w <= max_bits] or [2]),
                               st.integers(2, max_bits)))
        frac = draw(st.integers(0, width))
        return Fixed(width, frac, draw(st.booleans()))

    return build()


# ------------------------------------------------------------------ values
def int_values(t: Int) -> st.SearchStrategy[int]:
    """Python ints in ``t``'s range, biased toward 0, +-1 and the extremes."""
    lo, hi = t.min, t.max
    edges = sorted({v for v in (0, 1, -1, 2, lo, hi, lo + 1, hi - 1) if lo <= v <= hi})
    small = st.integers(max(lo, -16), min(hi, 16))
    return st.one_of(small, st.sampled_from(edges), st.integers(lo, hi))


def fixed_raw_values(t: Fixed) -> st.SearchStrategy[int]:
    """Raw integers of fixed type ``t`` whose real value is exactly a float64.

    Fixed types are at most 64 bits wide; raw values wider than float64's 53-bit
    significand are rounded down to 53 significant bits so ``raw / 2**F`` is exact.
    """
    return int_values(t.raw).map(_fit_in_double)


def _fit_in_double(raw: int) -> int:
    mag = abs(raw)
    excess = mag.bit_length() - 53
    if excess > 0:
        mag = (mag >> excess) << excess
    return -mag if raw < 0 else mag


def float_values(t: Float, specials: bool = True) -> st.SearchStrategy[float]:
    """Python floats exactly representable in ``t``; NaN/+-inf/-0.0 when ``specials``.

    Example: ``float_values(bfloat16).example()`` might be ``1.5`` or ``-0.0``.
    """
    dtype = t.numpy_dtype()
    finite = np.finfo(dtype) if t.kind != "bf16" else None
    limit = float(finite.max) if finite is not None else 3.0e38
    nice = st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0, -2.5, 3.0, 0.25, 10.0, -0.125])
    wide = st.floats(-min(limit, 1e6), min(limit, 1e6), allow_nan=False, allow_infinity=False)
    parts = [nice, wide.map(lambda v: float(np.asarray(v).astype(dtype)))]
    if specials:
        parts.append(st.sampled_from([math.nan, math.inf, -math.inf, -0.0]))
    return st.one_of(*parts).map(lambda v: float(np.asarray(v).astype(dtype)))


def scalar_values(t: AlloType, specials: bool = True) -> st.SearchStrategy:
    """Values of scalar type ``t`` in the IR's representation (fixed: the raw int).

    Example: ``scalar_values(Fixed(8, 4)).example()`` might be ``-24`` (meaning -1.5).
    """
    if isinstance(t, Float):
        return float_values(t, specials)
    if isinstance(t, Fixed):
        return fixed_raw_values(t)
    if t.is_index:
        return st.integers(-4, 16)
    return int_values(t)  # type: ignore[arg-type]


__all__ = ["scalar_types", "int_types", "fixed_types", "int_values", "fixed_raw_values",
           "float_values", "scalar_values", "FLOAT_TYPES"]
