"""Trip counts of loops, for the estimator.

The loop bounds are evaluated with the shared index analysis
(:func:`allo.primitives.deps.to_affine` forms); a bound that depends on outer loops is
evaluated at the middle of their ranges (the average trip count of a triangular nest),
and the result is marked inexact so the report can say so.

Example::

    trip_count(loop, env={"i": 3}, ranges={"i": (0, 8)})   # -> (trip, exact)
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

from ..ir.nodes import For
from ..primitives.deps import to_affine


def _value(e, env: Dict[str, float]) -> Optional[float]:
    form = to_affine(e)
    if form is None:
        return None
    total = float(form.const)
    for var, coef in form.coeffs:
        if var not in env:
            return None
        total += coef * env[var]
    return total


def trip_count(loop: For, env: Dict[str, int],
               ranges: Optional[Dict[str, Tuple[int, int]]] = None) -> Tuple[int, bool]:
    """``(trip count, exact)`` of ``loop``. Variables bound in ``env`` (unrolled copies,
    PE indices) are exact; other outer variables take the middle of ``ranges``."""
    ranges = ranges or {}
    point = {v: (lo + hi - 1) / 2 for v, (lo, hi) in ranges.items()}
    point.update(env)
    lo, hi = _value(loop.lo, point), _value(loop.hi, point)
    if lo is None or hi is None:
        return 1, False
    exact = all(v in env for v in _vars(loop.lo) + _vars(loop.hi))
    span = hi - lo
    if span <= 0:
        return 0, exact
    return max(0, int(-(-round(span) // loop.step))), exact


def _vars(e) -> list:
    form = to_affine(e)
    return [] if form is None else [v for v, _ in form.coeffs]
