"""Static index ranges: which buffer indices are provably in bounds (no runtime check).

A conservative interval analysis over loop variables: a ``For`` whose bounds have known
intervals gives its variable an interval, and an index expression built from constants,
such variables, ``+ - * neg min max`` and ``//``/``%`` by positive constants (and integer
casts that cannot wrap) gets an interval too. An index whose interval lies inside
``[0, extent)`` needs no check; every other index is checked at run time. Like
``allo.symexec.codegen``'s ``provably_within``, but with intervals, so triangular and tiled
(``i.outer * f + i.inner``) nests are covered as well as plain affine ones.

Example::

    >>> from allo.ir.nodes import Const, Op, Var
    >>> from allo.ir.types import index
    >>> r = IndexRanges()
    >>> r.bind("i", (0, 3))
    >>> i = Var("i", index)
    >>> r.within(Op("add", (i, Const(1, index)), index), 4)
    False
    >>> r.within(i, 4)
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from ...ir.nodes import Const, Expr, For, Op, Var
from ...ir.types import AlloType, Fixed, Float

Interval = Tuple[int, int]


@dataclass(frozen=True)
class BoundsSite:
    """One run-time index check, reported (buffer, 0-based dim, extent) when it fails."""

    func: str
    buffer: str
    dim: int
    extent: int
    loc: Any = None


def _int_range(t: AlloType) -> Optional[Interval]:
    """The representable values of an integer-like type (None for floats/fixed)."""
    if isinstance(t, (Float, Fixed)):
        return None
    bits = t.bits
    if t.signed:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


class IndexRanges:
    """Intervals of the loop variables in scope; answers "is this index in range?"."""

    def __init__(self) -> None:
        self._vars: Dict[str, Interval] = {}

    def bind(self, var: str, rng: Optional[Interval]) -> Optional[Interval]:
        """Give ``var`` the interval ``rng`` (None: unknown); returns the previous one."""
        old = self._vars.pop(var, None)
        if rng is not None:
            self._vars[var] = rng
        return old

    def loop_range(self, s: For) -> Optional[Interval]:
        """The interval of ``s.var`` over the loop's iterations (None when unknown).

        An empty loop gets any interval: its body never runs."""
        lo, hi = self.interval(s.lo), self.interval(s.hi)
        if lo is None or hi is None or s.step == 0:
            return None
        if s.step > 0:  # lo, lo+step, ... < hi: at most max(hi) - 1
            return lo[0], max(lo[0], hi[1] - 1)
        # lo, lo+step, ... > hi: at least min(hi) + 1
        return min(hi[0] + 1, lo[1]), lo[1]

    def interval(self, e: Expr) -> Optional[Interval]:
        """``[min, max]`` of an integer expression's value, or None when not known."""
        if isinstance(e, Const):
            if isinstance(e.type, (Float, Fixed)) or isinstance(e.value, float):
                return None
            v = int(e.value)
            return v, v
        if isinstance(e, Var):
            return self._vars.get(e.name)
        if not isinstance(e, Op):
            return None
        rng = self._op_interval(e)
        limits = _int_range(e.type)
        if rng is None or limits is None:
            return None
        # a result that might wrap in its type is not known
        return rng if limits[0] <= rng[0] and rng[1] <= limits[1] else None

    def _op_interval(self, e: Op) -> Optional[Interval]:
        parts = [self.interval(a) for a in e.args]
        if any(p is None for p in parts) or not parts:
            return None
        op = e.op
        if op == "cast":
            return parts[0] if _int_range(e.args[0].type) is not None else None
        if op == "neg":
            return -parts[0][1], -parts[0][0]
        if len(parts) != 2:
            return None
        (a0, a1), (b0, b1) = parts
        if op == "add":
            return a0 + b0, a1 + b1
        if op == "sub":
            return a0 - b1, a1 - b0
        if op == "mul":
            products = (a0 * b0, a0 * b1, a1 * b0, a1 * b1)
            return min(products), max(products)
        if op == "min":
            return min(a0, b0), min(a1, b1)
        if op == "max":
            return max(a0, b0), max(a1, b1)
        if op == "floordiv" and b0 == b1 and b0 > 0:
            return a0 // b0, a1 // b0
        if op == "mod" and b0 == b1 and b0 > 0:
            return (a0 % b0, a1 % b0) if a1 - a0 < b0 and a0 % b0 <= a1 % b0 else (0, b0 - 1)
        return None

    def within(self, e: Expr, extent: int) -> bool:
        """True when ``0 <= e < extent`` holds for every value of the loop variables."""
        rng = self.interval(e)
        return rng is not None and 0 <= rng[0] and rng[1] < extent


__all__ = ["BoundsSite", "IndexRanges", "Interval"]
