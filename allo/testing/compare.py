"""Bit-exact comparison of kernel results, for differential tests.

Floats compare as values except that every NaN equals every NaN (payloads are not
compared: backends may legitimately produce different quiet NaNs) and ``-0.0`` differs
from ``+0.0``. Object arrays (integers wider than 64 bits) compare elementwise.

Example::

    >>> import numpy as np
    >>> from allo.testing import outputs_equal
    >>> outputs_equal(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]))
    True
    >>> outputs_equal(np.float32(-0.0), np.float32(0.0))
    False
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _is_float_dtype(dtype: np.dtype) -> bool:
    if np.issubdtype(dtype, np.floating):
        return True
    try:  # ml_dtypes types (bfloat16) are not numpy floating subtypes
        import ml_dtypes

        return dtype in (np.dtype(ml_dtypes.bfloat16),)
    except ImportError:  # pragma: no cover - ml_dtypes is a dependency
        return False


def _scalar_equal(x: Any, y: Any) -> bool:
    xf = isinstance(x, (float, np.floating)) or (isinstance(x, np.generic) and _is_float_dtype(x.dtype))
    yf = isinstance(y, (float, np.floating)) or (isinstance(y, np.generic) and _is_float_dtype(y.dtype))
    if xf or yf:
        if not (xf and yf):
            return False
        fx, fy = float(x), float(y)
        if math.isnan(fx) or math.isnan(fy):
            return math.isnan(fx) and math.isnan(fy)
        return fx == fy and math.copysign(1.0, fx) == math.copysign(1.0, fy)
    try:
        return int(x) == int(y)
    except (TypeError, ValueError):
        return bool(x == y)


def _arrays_equal(a: np.ndarray, b: np.ndarray, strict_dtype: bool) -> bool:
    if a.shape != b.shape:
        return False
    if strict_dtype and a.dtype != b.dtype:
        return False
    if a.dtype == object or b.dtype == object:
        return all(_scalar_equal(x, y) for x, y in zip(a.ravel().tolist(), b.ravel().tolist()))
    af, bf = _is_float_dtype(a.dtype), _is_float_dtype(b.dtype)
    if af or bf:
        if not (af and bf):
            return False
        a64, b64 = a.astype(np.float64), b.astype(np.float64)  # exact for every float type
        an, bn = np.isnan(a64), np.isnan(b64)
        same = (a64 == b64) & (np.signbit(a64) == np.signbit(b64))
        return bool(np.array_equal(an, bn) and np.all(same | an))
    return bool(np.array_equal(a, b))


def outputs_equal(a: Any, b: Any, strict_dtype: bool = True) -> bool:
    """True when two results (arrays, scalars, lists/tuples of them, or ``None``) agree
    bit for bit: same shapes, same dtypes for arrays (unless ``strict_dtype=False``),
    NaN equal to NaN, ``-0.0`` different from ``+0.0``, object arrays elementwise.

    Example: ``outputs_equal([np.int8(3), None], [np.int8(3), None]) is True``.
    """
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        if not (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple))) or len(a) != len(b):
            return False
        return all(outputs_equal(x, y, strict_dtype) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return _arrays_equal(a, b, strict_dtype)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        arr, other = (a, b) if isinstance(a, np.ndarray) else (b, a)
        return arr.shape == () and _scalar_equal(arr[()], other)
    return _scalar_equal(a, b)


__all__ = ["outputs_equal"]
