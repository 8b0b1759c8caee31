"""Shared pieces of the dataflow family: the PE-array handle, statement sites, copy
nests (the init / write-back loop nests ``buffer_at`` creates) and small IR builders.

Example::

    site = stmt_site(func, alloc)          # parent body, position, enclosing loops
    nest = match_copy_nest(stmt)                 # CopyNest(loops, store, source) or None
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from ..ir.nodes import (Const, Expr, For, Func, If, Load, Op, Stmt, Store, Var, child_bodies,
                        index_const, walk_expr, walk_stmts)
from ..ir.sites import StmtSite, stmt_site  # noqa: F401 (re-exported)
from ..ir.types import bool_, index
from .base import Context


# ------------------------------------------------------------------ the PE array handle
@dataclass(frozen=True)
class PEArray:
    """What ``s.unfold`` returns and ``s.relay`` takes.

    ``positions[k]`` are the loop names that band position ``k`` became (one name, or
    ``(outer, inner)`` when it was split); ``spatial[k]`` is the spatial loop's name at
    position ``k`` or ``None`` for a temporal position; ``factors[k]`` the PE count there
    (1 for temporal positions).

    Example: ``pe = s.unfold("PE", axis=[0, 1], factor=[4, 4]); pe.shape == (4, 4)``.
    """

    func: str
    band: str
    positions: Tuple[Tuple[str, ...], ...]
    spatial: Tuple[Optional[str], ...]
    factors: Tuple[int, ...]

    @property
    def spatial_loops(self) -> Tuple[str, ...]:
        return tuple(n for n in self.spatial if n is not None)

    @property
    def shape(self) -> Tuple[int, ...]:
        return tuple(f for f, n in zip(self.factors, self.spatial) if n is not None)

    def __str__(self) -> str:
        return f"PEArray({self.func}:{self.band}, spatial={list(self.spatial_loops)}, shape={list(self.shape)})"


# ------------------------------------------------------------------ sites
# StmtSite / stmt_site: the IR's one site walker (allo.ir.sites)


def find_loop(func: Func, name: str) -> Optional[For]:
    for s in walk_stmts(func.body):
        if isinstance(s, For) and s.name == name:
            return s
    return None


def expr_vars(e: Expr) -> List[str]:
    return [x.name for x in walk_expr(e) if isinstance(x, Var)]


def stmt_vars(stmts: Sequence[Stmt]) -> set:
    """Every variable name used by expressions inside ``stmts``."""
    from ..ir.nodes import stmt_exprs

    used = set()
    for s in walk_stmts(stmts):
        for e in stmt_exprs(s):
            used.update(expr_vars(e))
    return used


# ------------------------------------------------------------------ copy nests
@dataclass
class CopyNest:
    """A perfect loop nest whose only statement copies one element:
    ``for ...: dst[d(x)] = src[s(x)]`` (possibly through a cast)."""

    root: For
    loops: List[For]
    store: Store
    load: Load

    @property
    def source(self) -> str:
        return self.load.buffer

    @property
    def dest(self) -> str:
        return self.store.buffer


def match_copy_nest(stmt: Stmt) -> Optional[CopyNest]:
    """Recognize ``stmt`` as a :class:`CopyNest`, else ``None``."""
    if not isinstance(stmt, For):
        return None
    loops = [stmt]
    while len(loops[-1].body) == 1 and isinstance(loops[-1].body[0], For):
        loops.append(loops[-1].body[0])
    body = loops[-1].body
    if len(body) != 1 or not isinstance(body[0], Store):
        return None
    value = body[0].value
    while isinstance(value, Op) and value.op == "cast":
        value = value.args[0]
    if not isinstance(value, Load):
        return None
    return CopyNest(stmt, loops, body[0], value)


# ------------------------------------------------------------------ builders
def ivar(name: str) -> Var:
    return Var(name, index)


def cmp(op: str, a: Expr, b: Expr) -> Expr:
    return Op(op, (a, b), bool_)


def minus_one(e: Expr) -> Expr:
    return Op("sub", (e, index_const(1)), index)


def var_env(names: Sequence[str], tag: str) -> Dict[str, object]:
    import z3

    return {n: z3.Int(f"{n}_{tag}") for n in names}


__all__ = ["PEArray", "StmtSite", "stmt_site", "find_loop", "expr_vars", "stmt_vars", "CopyNest",
           "match_copy_nest", "ivar", "cmp", "minus_one", "var_env"]
