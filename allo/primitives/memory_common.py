"""Shared machinery of the memory primitives: finding a buffer's accesses in a region,
the box of elements one loop iteration touches, index rewriting, copy nests, and the
translation of index expressions to z3 for the side conditions.

The *box* of ``target`` at loop ``axis`` is, per dimension, the interval of indices the
body of one ``axis`` iteration can touch: an index ``a`` is affine in loop variables;
variables of ``axis`` and the loops around it are *fixed* (symbolic, the same for the
whole iteration), variables of loops inside range over their constant bounds. So the
interval is ``[F + lo, F + hi)`` with ``F`` the fixed part (an affine form over fixed
variables, the same for every access of that dimension) and ``lo``/``hi`` constants.

Example::

    # for i: for k: for j: C[i, j] += ...      box of C at loop i:
    #   dim 0: F = i, [0, 1)  (fixed index: dropped from a buffer's shape)
    #   dim 1: F = 0, [0, N)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import z3

from ..ir.index import IndexForm, affine_form, constant_trips
from ..ir.nodes import (Alloc, BufRef, Call, Const, Expr, For, If, Load, Op, Return, Stmt, Store,
                        StreamGet, StreamPut, Var, While, index_const, stmt_exprs, walk_stmts)
from ..ir.types import index
from ..ir.sites import access_sites
from .base import Context
from .index_z3 import guard_term, index_term


# ------------------------------------------------------------------ accesses
@dataclass
class TargetAccess:
    """One access to the target buffer inside a region.

    ``kind`` is ``"read"``, ``"write"`` or ``"call"`` (the whole buffer or a sub-view
    passed to a call / returned); ``loops`` are the loops around it *inside* the region
    (outermost first); ``conds`` the ``If`` conditions it is guarded by (negated for else
    branches, as ``(expr, polarity)``).
    """

    kind: str
    indices: Tuple[Expr, ...]
    loops: Tuple[For, ...]
    conds: Tuple[Tuple[Expr, bool], ...]
    stmt: Stmt
    callee: str = ""

    def describe(self, name: str) -> str:
        if self.kind == "call":
            return f"{name} passed to call {self.callee!r}" if self.callee else f"{name} returned"
        idx = ", ".join(show_expr(i) for i in self.indices)
        text = f"{self.kind} {name}[{idx}]"
        loc = getattr(self.stmt, "loc", None)
        return f"{text} (at {loc})" if loc is not None else text


_TARGET_KINDS = {"load": "read", "store": "write", "call_arg": "call", "call_result": "call",
                 "return": "call", "stream_put": "call"}


def find_accesses(body: Sequence[Stmt], target: str) -> List[TargetAccess]:
    """Every access to ``target`` in ``body`` (nested statements included), program order."""
    return [TargetAccess(_TARGET_KINDS[a.kind], a.indices, a.loops, a.conds, a.stmt,
                         "<stream put>" if a.kind == "stream_put" else a.callee)
            for a in access_sites(body) if a.buffer == target and a.kind in _TARGET_KINDS]


direct_exprs = stmt_exprs  # the expressions a statement holds directly


def refuse_if_declared_inside(ctx: Context, alloc: Optional[Alloc], loop: For, name: str) -> None:
    """A buffer declared inside the loop cannot be copied around it (out of scope)."""
    if alloc is not None and any(s is alloc for s in walk_stmts(loop.body)):
        raise ctx.refuse(f"{name} is declared inside loop {loop.name!r}; it does not exist "
                         f"around the loop's iterations",
                         hint="apply the primitive at a loop inside the one declaring it")


# ------------------------------------------------------------------ rewriting
IndexFn = Callable[[Tuple[Expr, ...]], Tuple[Expr, ...]]


def rewrite_accesses(body: Sequence[Stmt], target: str, new_name: str, index_fn: IndexFn) -> None:
    """Redirect every load/store of ``target`` in ``body`` to ``new_name`` with indices
    ``index_fn(original indices)`` (loads of ``target`` nested inside indices included)."""

    def rw(e: Expr) -> Expr:
        if isinstance(e, Load):
            if e.buffer == target:
                return Load(new_name, tuple(rw(i) for i in index_fn(e.indices)), e.type, e.loc)
            return Load(e.buffer, tuple(rw(i) for i in e.indices), e.type, e.loc)
        if isinstance(e, Op):
            return Op(e.op, tuple(rw(a) for a in e.args), e.type, e.loc)
        if isinstance(e, StreamGet):
            return StreamGet(e.stream, tuple(rw(i) for i in e.indices), e.type, e.loc)
        return e

    def visit(stmts: Sequence[Stmt]) -> None:
        for s in stmts:
            if isinstance(s, For):
                s.lo, s.hi = rw(s.lo), rw(s.hi)
                visit(s.body)
            elif isinstance(s, If):
                s.cond = rw(s.cond)
                visit(s.then_body)
                visit(s.else_body)
            elif isinstance(s, While):
                s.cond = rw(s.cond)
                visit(s.body)
            elif isinstance(s, Store):
                idx = index_fn(s.indices) if s.buffer == target else s.indices
                if s.buffer == target:
                    s.buffer = new_name
                s.indices = tuple(rw(i) for i in idx)
                s.value = rw(s.value)
            elif isinstance(s, StreamPut):
                s.indices = tuple(rw(i) for i in s.indices)
                s.value = rw(s.value)
            elif isinstance(s, Alloc) and isinstance(s.init, Expr):
                s.init = rw(s.init)
            elif isinstance(s, (Call, Return)):
                vals = s.args if isinstance(s, Call) else s.values
                new = [BufRef(a.buffer, tuple(rw(p) for p in a.prefix), a.loc)
                       if isinstance(a, BufRef) else rw(a) for a in vals]
                if isinstance(s, Call):
                    s.args = new
                else:
                    s.values = new

    visit(body)


# ------------------------------------------------------------------ index expressions
def affine_expr(form: IndexForm, offset: int = 0) -> Expr:
    """IR expression (type ``index``) of ``form + offset``. Example: ``i + 2``."""
    total: Optional[Expr] = None
    for var, coef in form.coeffs:
        term: Expr = Var(var, index)
        if coef != 1:
            term = Op("mul", (index_const(coef), term), index)
        total = term if total is None else Op("add", (total, term), index)
    c = form.const + offset
    if total is None:
        return index_const(c)
    if c > 0:
        return Op("add", (total, index_const(c)), index)
    if c < 0:
        return Op("sub", (total, index_const(-c)), index)
    return total


def show_expr(e: Expr) -> str:
    form = affine_form(e)
    if form is None:
        if isinstance(e, Load):
            return f"{e.buffer}[{', '.join(show_expr(i) for i in e.indices)}]"
        if isinstance(e, Op):
            return f"{e.op}({', '.join(show_expr(a) for a in e.args)})"
        return "?"
    return form.show()


# ------------------------------------------------------------------ iterations in z3
@dataclass
class Iteration:
    """z3 variables for one iteration of a chain of loops, with their range constraints."""

    env: Dict[str, z3.ArithRef] = field(default_factory=dict)
    constraints: List[z3.BoolRef] = field(default_factory=list)

    def enter(self, loops: Sequence[For], tag: str = "") -> "Iteration":
        for loop in loops:
            v = z3.Int(f"{loop.var}{tag}")
            lo, hi = index_term(loop.lo, self.env), index_term(loop.hi, self.env)
            self.env[loop.var] = v
            if lo is not None:
                self.constraints.append(v >= lo)
                if loop.step != 1:
                    t = z3.Int(f"{loop.var}{tag}_trip")
                    self.constraints += [t >= 0, v == lo + loop.step * t]
            if hi is not None:
                self.constraints.append(v < hi)
        return self

    def guard(self, conds: Sequence[Tuple[Expr, bool]]) -> "Iteration":
        for e, polarity in conds:
            c = guard_term(e, self.env, polarity)
            if c is not None:
                self.constraints.append(c)
        return self

    def show(self, model: z3.ModelRef) -> str:
        vals = [f"{n}={model.eval(v, model_completion=True)}" for n, v in self.env.items()]
        return "(" + ", ".join(vals) + ")"


# ------------------------------------------------------------------ boxes
@dataclass
class DimBox:
    """One dimension of a box: ``[fixed + lo, fixed + hi)``; ``full`` = the whole extent
    (an index that could not be analysed)."""

    fixed: IndexForm
    lo: int
    hi: int
    full: bool = False

    @property
    def size(self) -> int:
        return self.hi - self.lo

    def lower(self) -> Expr:
        return index_const(0) if self.full else affine_expr(self.fixed, self.lo)

    def show(self) -> str:
        if self.full:
            return ":"
        if self.size == 1:
            return self.fixed.show(self.lo)
        return f"{self.fixed.show(self.lo)} : {self.fixed.show(self.hi)}"


def inner_ranges(region: Sequence[Stmt]) -> Dict[str, Tuple[int, int]]:
    """``{var: (first, last)}`` of the loops inside a region whose bounds are constants."""
    out: Dict[str, Tuple[int, int]] = {}
    for s in walk_stmts(list(region)):
        c = constant_trips(s) if isinstance(s, For) else None
        if c is not None:
            out[s.var] = (c.lo, c.last)
    return out


def analyse_index(e: Expr, fixed: Sequence[str], ranges: Dict[str, Tuple[int, int]]
                  ) -> Optional[Tuple[IndexForm, int, int]]:
    """``(fixed part, lo, hi)`` of one index (``None`` if not affine in analysable vars)."""
    form = affine_form(e)
    if form is None:
        return None
    fx, rest = form.split(fixed)
    lo = hi = rest.const
    for var, coef in rest.coeffs:
        if var not in ranges:
            return None
        a, b = coef * ranges[var][0], coef * ranges[var][1]
        lo, hi = lo + min(a, b), hi + max(a, b)
    return fx, lo, hi + 1


def compute_box(ctx: Context, accesses: Sequence[TargetAccess], name: str, shape: Sequence[int],
                fixed: Sequence[str], ranges: Dict[str, Tuple[int, int]],
                allow_full: bool) -> List[DimBox]:
    """The box of ``name`` touched by ``accesses``; refuses when accesses of one dimension
    depend differently on the fixed loops. An unanalysable index makes its dimension
    ``full`` when ``allow_full`` (an unchecked assumption the caller records), else refuses.
    """
    box: List[DimBox] = []
    for d, extent in enumerate(shape):
        parts = []
        for acc in accesses:
            info = analyse_index(acc.indices[d], fixed, ranges)
            if info is None:
                if not allow_full:
                    raise ctx.refuse(
                        f"the index of {acc.describe(name)} in dimension {d + 1} is not affine "
                        f"in loop variables with constant bounds",
                        hint="this primitive needs affine indices (e.g. i + k) inside the loop")
                parts = None
                break
            parts.append((acc, info))
        if parts is None:
            box.append(DimBox(IndexForm.constant(0), 0, extent, full=True))
            continue
        first_acc, (fx0, _, _) = parts[0]
        for acc, (fx, _, _) in parts[1:]:
            if fx != fx0:
                raise ctx.refuse(
                    f"{first_acc.describe(name)} and {acc.describe(name)} index dimension {d + 1} "
                    f"with different outer loop variables ({fx0.show()} vs {fx.show()}), "
                    f"so one iteration does not touch a single box",
                    hint="choose an outer loop, where both vary inside the body")
        box.append(DimBox(fx0, min(p[1][1] for p in parts), max(p[1][2] for p in parts)))
    return box


def prove_box_in_bounds(ctx: Context, box: Sequence[DimBox], name: str, shape: Sequence[int],
                        outer: Sequence[For], what: str) -> None:
    """Side condition: at every iteration of ``outer`` (the loops whose variables are
    fixed), the box lies inside ``name``'s extent (the copies read/write all of it)."""
    it = Iteration().enter(outer)
    bad = []
    for d, (b, extent) in enumerate(zip(box, shape)):
        if b.full:
            continue
        lo = index_term(b.lower(), it.env)
        hi = lo + b.size
        bad.append(z3.Or(lo < 0, hi > extent))
    if not bad:
        ctx.trivial(f"{what} inside {name}", "every dimension spans the whole extent")
        return

    def witness(m: z3.ModelRef) -> str:
        shown = ", ".join(f"{m.eval(index_term(b.lower(), it.env), model_completion=True)}"
                          f":{m.eval(index_term(b.lower(), it.env) + b.size, model_completion=True)}"
                          if not b.full else ":" for b in box)
        return (f"at iteration {it.show(m)} the {what} {name}[{shown}] leaves the extent "
                f"{tuple(shape)} of {name}")

    ctx.prove(f"{what} inside {name}", [*it.constraints, z3.Or(*bad)], witness,
              hint="accesses near the edge are probably guarded by an if; apply it at a loop "
                   "where every access is unconditional, or pad the buffer")


def prove_accesses_in_box(ctx: Context, accesses: Sequence[TargetAccess], name: str,
                          box: Sequence[DimBox], new_name: str, new_shape: Sequence[int],
                          kept: Sequence[int], index_fn: IndexFn, outer: Sequence[For],
                          what: str) -> None:
    """Side condition: for every iteration, each rewritten access addresses a cell of
    ``new_name`` (in bounds) that holds the element the original access addressed: the
    cell's element is ``box lower bound + cell index`` in kept dims, the lower bound in
    dropped ones."""
    for acc in accesses:
        it = Iteration().enter(outer, "").enter(acc.loops, "").guard(acc.conds)
        new_idx = index_fn(acc.indices)
        bad = []
        for d, b in enumerate(box):
            orig = index_term(acc.indices[d], it.env)
            if b.full or orig is None:
                continue  # an unanalysable dimension: covered by the unchecked assumption
            lower = index_term(b.lower(), it.env)
            if d in kept:
                pos = kept.index(d)
                cell = index_term(new_idx[pos], it.env)
                bad += [cell < 0, cell >= new_shape[pos], lower + cell != orig]
            else:
                bad.append(lower != orig)
        if not bad:
            continue

        def witness(m: z3.ModelRef, acc=acc, it=it) -> str:
            elem = ", ".join(str(m.eval(index_term(i, it.env), model_completion=True))
                             if index_term(i, it.env) is not None else "?" for i in acc.indices)
            span = ", ".join(b.show() for b in box)
            return (f"at iteration {it.show(m)} {acc.describe(name)} touches {name}[{elem}], "
                    f"outside the {what} {name}[{span}]")

        ctx.prove(f"{acc.describe(name)} served by {new_name}", [*it.constraints, z3.Or(*bad)],
                  witness, hint="buffer at a loop whose iterations touch a fixed box of the array")


# ------------------------------------------------------------------ copy nests
def build_copy_nest(vars_and_extents: Sequence[Tuple[str, int]], band: str,
              make: Callable[[List[Var]], Stmt]) -> List[Stmt]:
    """``for v0 in range(e0): for v1 ...: make([v0, v1, ...])`` (no loops when empty;
    nothing at all when an extent is 0)."""
    if any(e <= 0 for _, e in vars_and_extents):
        return []
    vs = [Var(v, index) for v, _ in vars_and_extents]
    body: List[Stmt] = [make(vs)]
    for v, e in reversed(vars_and_extents):
        body = [For(v, index_const(0), index_const(e), 1, body, name=v, band=band)]
    return body
