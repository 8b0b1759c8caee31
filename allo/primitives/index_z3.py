"""z3 terms of index forms (:mod:`allo.ir.index`), for the primitives' side conditions.

The index analysis lives in ``allo/ir``, which stays free of z3; the primitives are where
index forms become solver terms, so the translation sits beside them. A form is exact, so
its term is too: ``floordiv``/``mod`` by a positive constant are z3's integer ``/`` and
``%`` (floor division and a non-negative remainder, as in the IR), ``min``/``max`` are
``If``. An expression with no form (it reads data, or a narrowing cast may wrap) has no
term: callers treat it as unknown.

Example::

    >>> import z3
    >>> from allo.ir.nodes import Const, Op, Var
    >>> from allo.ir.types import index
    >>> i = z3.Int("i")
    >>> index_term(Op("add", (Var("i", index), Const(1, index)), index), {"i": i})
    i + 1
"""

from __future__ import annotations

from typing import Mapping, Optional

import z3

from ..ir.index import Atom, IndexForm, index_form
from ..ir.nodes import Expr, Op

Env = Mapping[str, z3.ArithRef]


def form_term(form: IndexForm, env: Env) -> z3.ArithRef:
    """The z3 integer term of ``form``; a variable missing from ``env`` is the free
    constant ``free_<name>`` (it may take any value)."""
    parts = [_atom_term(a, env) if c == 1 else c * _atom_term(a, env) for a, c in form.terms]
    if form.const or not parts:
        parts.append(z3.IntVal(form.const))
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


def _atom_term(a: Atom, env: Env) -> z3.ArithRef:
    if a.kind == "var":
        return env[a.name] if a.name in env else z3.Int(f"free_{a.name}")
    args = [form_term(f, env) for f in a.args]
    if a.kind == "floordiv":
        return args[0] / a.divisor
    if a.kind == "mod":
        return args[0] % a.divisor
    if a.kind == "min":
        return z3.If(args[0] < args[1], args[0], args[1])
    return z3.If(args[0] > args[1], args[0], args[1])


def index_term(e: Expr, env: Env) -> Optional[z3.ArithRef]:
    """The z3 term of index expression ``e``, or ``None`` when it has no exact form."""
    form = index_form(e)
    return None if form is None else form_term(form, env)


_CMP = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
        "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}


def guard_term(e: Expr, env: Env, holds: bool = True) -> Optional[z3.BoolRef]:
    """A formula implied by guard ``e`` holding (``holds=False``: by ``e`` failing), or
    ``None`` for no constraint. Parts that depend on data or on an index with no exact
    form are dropped, which only over-approximates the iterations considered; the
    polarity is pushed through ``lnot``/``land``/``lor`` so a dropped part is never
    negated.

    Example: ``guard_term(i < 4, env, holds=False)`` is ``Not(i < 4)``.
    """
    if isinstance(e, Op) and e.op in _CMP:
        a, b = index_term(e.args[0], env), index_term(e.args[1], env)
        if a is None or b is None:
            return None
        c = _CMP[e.op](a, b)
        return c if holds else z3.Not(c)
    if isinstance(e, Op) and e.op == "lnot":
        return guard_term(e.args[0], env, not holds)
    if isinstance(e, Op) and e.op in ("land", "lor"):
        a, b = guard_term(e.args[0], env, holds), guard_term(e.args[1], env, holds)
        if (e.op == "land") == holds:  # a conjunction of the parts: keep the known ones
            parts = [p for p in (a, b) if p is not None]
            return z3.And(*parts) if parts else None
        return None if a is None or b is None else z3.Or(a, b)  # a disjunction: both needed
    return None


__all__ = ["form_term", "index_term", "guard_term"]
