"""Trip counts of loops for the estimator, from the shared index analysis
(:mod:`allo.ir.index`).

A bound that depends on outer loops is evaluated at the middle of their ranges (the
average trip count of a triangular nest), and the result is marked inexact so the report
can say so.

Example::

    estimated_trips(loop, env={"i": 3}, ranges={"i": (0, 8)})   # -> (trip, exact)
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

from ..ir import index as ix
from ..ir.nodes import For


def value_at(e, point: Dict[str, float]) -> Optional[float]:
    """The value of an affine bound at a point (variables missing from it: ``None``)."""
    form = ix.affine_form(e)
    if form is None or any(v not in point for v in form.vars()):
        return None
    return form.const + sum(c * point[v] for v, c in form.coeffs)


def estimated_trips(loop: For, env: Dict[str, int],
               ranges: Optional[Dict[str, Tuple[int, int]]] = None) -> Tuple[int, bool]:
    """``(trip count, exact)`` of ``loop``. Variables bound in ``env`` (unrolled copies,
    PE indices) are exact; other outer variables take the middle of ``ranges``."""
    const = ix.constant_trips(loop)
    if const is not None:
        return const.trips, True
    point = {v: (lo + hi - 1) / 2 for v, (lo, hi) in (ranges or {}).items()}
    point.update(env)
    lo, hi = value_at(loop.lo, point), value_at(loop.hi, point)
    if lo is None or hi is None:
        return 1, False
    exact = all(v in env for e in (loop.lo, loop.hi) for v in (ix.affine_form(e).vars()))
    return ix.trip_count(0, round(hi - lo), int(loop.step)), exact
