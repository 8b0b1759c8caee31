"""MLIR ``affine.load/store/for/if`` text from the index analysis (:mod:`allo.ir.index`).

An index is printed as an affine map when it has an exact form (:func:`index_form`: the
one cast rule, no wrap) whose variables MLIR accepts as affine dimensions (``affine.for``
induction variables, ``index`` function arguments) and whose only atoms are
``floordiv``/``mod`` by positive constants; ``min``/``max`` are accepted only at the top
of a loop bound.

Example::

    >>> from allo.ir.nodes import Var, Const, Op
    >>> from allo.ir.types import index
    >>> i = Var("i", index)
    >>> e = Op("add", (Op("mul", (i, Const(2, index)), index), Const(1, index)), index)
    >>> affine_map_form(e, {"i"}).render(lambda n: "%" + n)
    '%i * 2 + 1'
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Set, Tuple

from .index import IndexForm, index_form
from .nodes import Expr, Op

_MAP_ATOMS = {"var", "floordiv", "mod"}


def affine_map_form(e: Expr, dims: Set[str]) -> Optional[IndexForm]:
    """The form of ``e`` as an affine-map expression over the variables ``dims``, or None."""
    form = index_form(e)
    if form is None or not set(form.vars()) <= dims or not form.atom_kinds() <= _MAP_ATOMS:
        return None
    return form


def _flatten(e: Expr, op: str) -> List[Expr]:
    if isinstance(e, Op) and e.op == op:
        return [x for a in e.args for x in _flatten(a, op)]
    return [e]


def _dim_list(forms: Iterable[IndexForm]) -> List[str]:
    names: List[str] = []
    for f in forms:
        for n in f.vars():
            if n not in names:
                names.append(n)
    return names


def affine_bound(e: Expr, kind: str, dims: Set[str], ssa: Dict[str, str]) -> Optional[str]:
    """An ``affine.for`` bound (``kind`` is ``"max"`` for lower, ``"min"`` for upper
    bounds, which may combine several expressions), or None if not affine."""
    forms = [affine_map_form(x, dims) for x in _flatten(e, kind)]
    if any(f is None for f in forms):
        return None
    if len(forms) == 1 and forms[0].is_const:
        return str(forms[0].const)
    names = _dim_list(forms)
    d = {n: f"d{k}" for k, n in enumerate(names)}
    results = ", ".join(f.render(d.__getitem__) for f in forms)
    prefix = f"{kind} " if len(forms) > 1 else ""
    operands = ", ".join(ssa[n] for n in names)
    return f"{prefix}affine_map<({', '.join(d.values())}) -> ({results})>({operands})"


_CONSTRAINT = {  # comparison -> (lhs scale, rhs scale, offset, relation): lhs*a + rhs*b + off REL 0
    "lt": (-1, 1, -1, ">="), "le": (-1, 1, 0, ">="), "gt": (1, -1, -1, ">="),
    "ge": (1, -1, 0, ">="), "eq": (1, -1, 0, "=="),
}


def affine_condition(cond: Expr, dims: Set[str], ssa: Dict[str, str]) -> Optional[str]:
    """An ``affine.if`` integer set with operands for ``cond`` (a conjunction of affine
    comparisons on ``index`` values), or None if ``cond`` is not of that shape."""
    constraints: List[Tuple[IndexForm, str]] = []
    for c in _flatten(cond, "land"):
        if not (isinstance(c, Op) and c.op in _CONSTRAINT):
            return None
        a, b = c.args
        if not (a.type.is_index and b.type.is_index):
            return None
        fa, fb = affine_map_form(a, dims), affine_map_form(b, dims)
        if fa is None or fb is None:
            return None
        sa, sb, off, rel = _CONSTRAINT[c.op]
        constraints.append((fa.scale(sa).add(fb, sb).shifted(off), rel))
    names = _dim_list(f for f, _ in constraints)
    d = {n: f"d{k}" for k, n in enumerate(names)}
    body = ", ".join(f"{f.render(d.__getitem__)} {rel} 0" for f, rel in constraints)
    operands = ", ".join(ssa[n] for n in names)
    return f"affine_set<({', '.join(d.values())}) : ({body})>({operands})"
