"""Symbolic trip counts (sympy) of loop nests, from the index analysis (:mod:`allo.ir.index`).

How many times a nest's body runs when its bounds depend on outer loop variables or on
scalar parameters: triangular nests give closed forms (``n*(n - 1)/2``), a range that may
be empty is clamped at zero. sympy is imported on first use only.

Example::

    >>> from allo.ir.nodes import Const, For, Var
    >>> from allo.ir.types import index
    >>> inner = For("j", Const(0, index), Var("i", index), 1, [])
    >>> trip_count_symbolic([For("i", Const(0, index), Const(8, index), 1, [inner]), inner])
    28
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

from .index import Atom, IndexForm, Interval, Ranges, form_range, index_form, loop_interval
from .nodes import For


def trip_count_symbolic(loops: Sequence[For], ranges: Optional[Ranges] = None) -> Optional[Any]:
    """How many times the body of the innermost of ``loops`` (a chain, outermost first,
    each inside the previous) runs, as a sympy expression in the variables of loops
    around the chain and in scalar parameters; ``None`` when a bound is not an index form.
    ``ranges`` gives the values of variables around the chain: they let a triangular
    count be closed (each range provably non-empty or empty at its edge); otherwise a
    range's count is ``Max(0, ...)``, which sympy may keep as an unevaluated sum.

    Example: for ``for i in range(8): for j in range(i)`` it is ``28``; for the ``j`` loop
    alone, ``i`` (``Max(0, i)`` without ``ranges``).
    """
    import sympy

    known: Dict[str, Interval] = dict(ranges or {})
    sums = []
    for loop in loops:
        lo, hi = index_form(loop.lo, known), index_form(loop.hi, known)
        if lo is None or hi is None or not isinstance(loop.step, (int, np.integer)) or loop.step <= 0:
            return None
        width = form_range(_lower_bound(hi - lo, sums), known)
        sums.append((loop, lo, hi, width is not None and width[0] >= 0))
        rng = loop_interval(loop, known)
        if rng is not None:
            known[loop.var] = rng
    count = sympy.Integer(1)
    for loop, lo, hi, non_negative in reversed(sums):
        v = sympy.Symbol(loop.var, integer=True)
        lo_s, hi_s = _sympy_form(lo), _sympy_form(hi)
        if loop.step == 1:
            n = hi_s - lo_s
            term = sympy.Sum(count, (v, lo_s, hi_s - 1))
        else:
            t = sympy.Dummy("t", integer=True)
            n = sympy.ceiling((hi_s - lo_s) / loop.step)
            term = sympy.Sum(count.subs(v, lo_s + loop.step * t), (t, 0, n - 1))
        if non_negative:
            total = term.doit()
        elif count == 1:
            total = sympy.Max(0, n)
        else:  # sympy's sum over an empty range counts negatively: clamp it
            total = sympy.Piecewise((term.doit(), n > 0), (0, True))
        count = sympy.simplify(total)
    return count


def _lower_bound(form: IndexForm, outer: Sequence[Tuple[For, IndexForm, IndexForm, bool]]) -> IndexForm:
    """A lower bound of an affine ``form`` where the variables of the ``outer`` chain
    loops are replaced by their own bounds (``lo <= v <= hi - 1`` whenever a body runs),
    innermost first, so ``n - i`` inside ``for i in range(0, n)`` becomes ``1``."""
    for loop, lo, hi, _ in reversed(outer):
        c = dict(form.coeffs).get(loop.var, 0) if form.is_affine else 0
        if c:
            edge = lo if c > 0 else hi.shifted(-1)
            form = form.add(IndexForm.var(loop.var), -c).add(edge, c)
    return form


def _sympy_form(form: IndexForm) -> Any:
    import sympy

    total = sympy.Integer(form.const)
    for a, c in form.terms:
        total += c * _sympy_atom(a)
    return total


def _sympy_atom(a: Atom) -> Any:
    import sympy

    if a.kind == "var":
        return sympy.Symbol(a.name, integer=True)
    args = [_sympy_form(f) for f in a.args]
    if a.kind == "floordiv":
        return sympy.floor(args[0] / a.divisor)
    if a.kind == "mod":
        return sympy.Mod(args[0], a.divisor)
    return sympy.Min(*args) if a.kind == "min" else sympy.Max(*args)


__all__ = ["trip_count_symbolic"]
