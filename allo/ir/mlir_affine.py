"""Affine forms of IR index expressions, for ``affine.load/store/for/if`` in MLIR text.

An expression is affine when it is built from integer constants, variables that MLIR
accepts as affine dimensions (``affine.for`` induction variables, ``index`` function
arguments), ``+``, ``-``, multiplication by a constant and ``floordiv``/``mod`` by a
positive constant, all in the ``index`` type (narrower integers wrap, so they are not).

Example::

    >>> from allo.ir.nodes import Var, Const, Op
    >>> from allo.ir.types import index
    >>> i = Var("i", index)
    >>> e = Op("add", (Op("mul", (i, Const(2, index)), index), Const(1, index)), index)
    >>> linear_form(e, {"i"}).render(lambda n: "%" + n)
    '%i * 2 + 1'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Optional, Set, Tuple

from .nodes import Const, Expr, Op, Var

Atom = Tuple  # ("var", name) or ("floordiv" | "mod", Lin, divisor)


@dataclass(frozen=True)
class Lin:
    """``sum(coef * atom) + const`` with atoms sorted canonically."""

    terms: Tuple[Tuple[Atom, int], ...]
    const: int

    @staticmethod
    def of(terms: Dict[Atom, int], const: int) -> "Lin":
        kept = tuple((a, c) for a, c in terms.items() if c != 0)
        return Lin(kept, const)

    def add(self, other: "Lin", scale: int = 1) -> "Lin":
        terms: Dict[Atom, int] = dict(self.terms)
        for a, c in other.terms:
            terms[a] = terms.get(a, 0) + scale * c
        return Lin.of(terms, self.const + scale * other.const)

    def scale(self, k: int) -> "Lin":
        return Lin.of({a: c * k for a, c in self.terms}, self.const * k)

    @property
    def is_const(self) -> bool:
        return not self.terms

    def var_names(self) -> List[str]:
        """Variables in order of first appearance (atoms included)."""
        out: List[str] = []
        for a, _ in self.terms:
            for n in ([a[1]] if a[0] == "var" else a[1].var_names()):
                if n not in out:
                    out.append(n)
        return out

    def render(self, name: Callable[[str], str]) -> str:
        """The affine expression text; ``name`` spells a variable (``%i`` or ``d0``)."""
        parts: List[str] = []
        for a, c in self.terms:
            if a[0] == "var":
                atom = name(a[1])
            else:
                atom = f"({a[1].render(name)} {a[0]} {a[2]})"
            if not parts:
                parts.append(atom if c == 1 else f"{atom} * {c}")
            else:
                mag = abs(c)
                parts.append(("+ " if c > 0 else "- ") + (atom if mag == 1 else f"{atom} * {mag}"))
        if not parts:
            return str(self.const)
        if self.const:
            parts.append(("+ " if self.const > 0 else "- ") + str(abs(self.const)))
        return " ".join(parts)


def linear_form(e: Expr, dims: Set[str]) -> Optional[Lin]:
    """The affine form of ``e`` over the variables ``dims``, or None if not affine."""
    if isinstance(e, Const):
        if e.type.is_int and isinstance(e.value, int):
            return Lin((), int(e.value))
        return None
    if isinstance(e, Var):
        return Lin(((("var", e.name), 1),), 0) if e.name in dims and e.type.is_index else None
    if not isinstance(e, Op) or not e.type.is_index:
        return None
    args = e.args
    if e.op == "cast" and args[0].type.is_index:
        return linear_form(args[0], dims)
    forms = [linear_form(a, dims) for a in args]
    if any(f is None for f in forms):
        return None
    if e.op == "add":
        return forms[0].add(forms[1])
    if e.op == "sub":
        return forms[0].add(forms[1], -1)
    if e.op == "neg":
        return forms[0].scale(-1)
    if e.op == "mul":
        if forms[1].is_const:
            return forms[0].scale(forms[1].const)
        if forms[0].is_const:
            return forms[1].scale(forms[0].const)
        return None
    if e.op in ("floordiv", "mod") and forms[1].is_const and forms[1].const > 0:
        a, k = forms[0], forms[1].const
        if a.is_const:
            return Lin((), a.const // k if e.op == "floordiv" else a.const % k)
        return Lin((((e.op, a, k), 1),), 0)
    return None


def _flatten(e: Expr, op: str) -> List[Expr]:
    if isinstance(e, Op) and e.op == op:
        return [x for a in e.args for x in _flatten(a, op)]
    return [e]


def _dim_list(forms: Iterable[Lin]) -> List[str]:
    names: List[str] = []
    for f in forms:
        for n in f.var_names():
            if n not in names:
                names.append(n)
    return names


def affine_bound(e: Expr, kind: str, dims: Set[str], ssa: Dict[str, str]) -> Optional[str]:
    """An ``affine.for`` bound (``kind`` is ``"max"`` for lower, ``"min"`` for upper
    bounds, which may combine several expressions), or None if not affine."""
    forms = [linear_form(x, dims) for x in _flatten(e, kind)]
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
    constraints: List[Tuple[Lin, str]] = []
    for c in _flatten(cond, "land"):
        if not (isinstance(c, Op) and c.op in _CONSTRAINT):
            return None
        a, b = c.args
        if not (a.type.is_index and b.type.is_index):
            return None
        fa, fb = linear_form(a, dims), linear_form(b, dims)
        if fa is None or fb is None:
            return None
        sa, sb, off, rel = _CONSTRAINT[c.op]
        constraints.append((fa.scale(sa).add(fb, sb).add(Lin((), off)), rel))
    names = _dim_list(f for f, _ in constraints)
    d = {n: f"d{k}" for k, n in enumerate(names)}
    body = ", ".join(f"{f.render(d.__getitem__)} {rel} 0" for f, rel in constraints)
    operands = ", ".join(ssa[n] for n in names)
    return f"affine_set<({', '.join(d.values())}) : ({body})>({operands})"
