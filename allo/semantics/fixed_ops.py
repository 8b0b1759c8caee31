"""Fixed-point ops (``Fixed(W, F)``, ``UFixed(W, F)``) on raw integers, bit-exact.

A value is its raw ``W``-bit integer ``r`` meaning ``r / 2**F``. Ops are homogeneous (the
operands have the result's format), so most ops are the integer ops on ``r``; ``mul`` and
``div`` rescale (docs/semantics.md, "Fixed point"). ``mod`` and bit operations are not
defined on fixed point.

Example::

    >>> from allo.ir.types import Fixed
    >>> q = Fixed(8, 4)
    >>> FIXED_OPS["mul"]([q, q], q)(24, 40)    # 1.5 * 2.5 = 3.75 -> raw 60
    60
    >>> FIXED_OPS["div"]([q, q], q)(16, 48)    # 1 / 3 -> floor(256 / 48) = 5 (0.3125)
    5
"""

from __future__ import annotations

from typing import Dict

from .int_ops import INT_OPS, Factory
from .values import wrapper as _wrapper


def _make_mul(arg_types, rt):
    w, frac = _wrapper(rt), rt.frac
    return lambda a, b: w((a * b) >> frac)  # >> floors


def _make_div(arg_types, rt):
    w, frac = _wrapper(rt), rt.frac
    return lambda a, b: 0 if b == 0 else w((a << frac) // b)


_ON_RAW = ("add", "sub", "neg", "min", "max", "abs", "eq", "ne", "lt", "le", "gt", "ge",
           "bitcast")  # bitcast: raw bits in, raw bits out

FIXED_OPS: Dict[str, Factory] = {name: INT_OPS[name] for name in _ON_RAW}
FIXED_OPS.update({"mul": _make_mul, "div": _make_div, "floordiv": _make_div})

__all__ = ["FIXED_OPS"]
