"""How much work full symbolic execution of a design will do, before running it.

:func:`estimate_ops` counts the symbolic ops the executor would count (the same per-
statement cost, :func:`stmt_cost`) times the trip counts of the
enclosing loops (from the shared index analysis, :mod:`allo.ir.index`), following calls
into their callees. The method chooser of ``verify()`` (:mod:`allo.verification.methods`)
compares it with the cost of the other methods.

A loop whose bounds depend on outer loops is counted at its largest trip count (an upper
bound); a ``while`` loop has no static trip count, so a design with one has no estimate
(``None``).

Example::

    >>> from allo.symexec.cost import estimate_ops
    >>> estimate_ops(gemm_module)      # doctest: +SKIP
    196608
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ..ir.index import Interval, constant_trips, loop_interval
from ..ir.nodes import (Alloc, Call, Expr, For, If, Load, Module, Op, Return, Stmt, Store,
                        StreamGet, StreamPut, While, walk_expr)


def expr_ops(e: Expr) -> int:
    """Symbolic ops one evaluation of ``e`` counts: ops, loads and stream reads."""
    return sum(1 for x in walk_expr(e) if isinstance(x, (Op, Load, StreamGet)))


def stmt_cost(s: Any) -> int:
    """The ops a statement counts itself (nested bodies count their own)."""
    if isinstance(s, (Store, StreamPut)):
        return 1 + expr_ops(s.value) + sum(expr_ops(i) for i in s.indices)
    if isinstance(s, For):
        return expr_ops(s.lo) + expr_ops(s.hi)
    if isinstance(s, If):
        return expr_ops(s.cond)
    if isinstance(s, Alloc):
        return expr_ops(s.init) if isinstance(s.init, Expr) else 0
    if isinstance(s, (Call, Return)):
        vals = s.args if isinstance(s, Call) else s.values
        return sum(expr_ops(a) if isinstance(a, Expr) else sum(expr_ops(p) for p in a.prefix)
                   for a in vals)
    return 0


def estimate_ops(module: Module) -> Optional[int]:
    """The symbolic ops one run of ``module``'s top function counts (an upper bound for
    loops with variable bounds), or ``None`` when a ``while`` loop (or a loop whose range
    is unknown) makes it impossible to tell statically.

    Example: a 32x32x32 GEMM counts 2 ops (load-multiply-add chains) per iteration:
    ``estimate_ops(parse(gemm)) == 196608``.
    """
    memo: Dict[str, Optional[int]] = {}
    return _func_ops(module, module.top, memo, set())


def _func_ops(module: Module, name: str, memo: Dict[str, Optional[int]],
              active: set) -> Optional[int]:
    if name in memo:
        return memo[name]
    if name in active or name not in module.funcs:
        return None  # recursion or an unknown callee: no static estimate
    active.add(name)
    cost = _body_ops(module, module.funcs[name].body, {}, memo, active)
    active.discard(name)
    memo[name] = cost
    return cost


def _body_ops(module: Module, body: List[Stmt], ranges: Dict[str, Interval],
              memo: Dict[str, Optional[int]], active: set) -> Optional[int]:
    total = 0
    for s in body:
        total += stmt_cost(s)
        if isinstance(s, For):
            trips = _trips(s, ranges)
            if trips is None:
                return None
            rng = loop_interval(s, ranges)
            inner = dict(ranges)
            if rng is not None:
                inner[s.var] = rng
            else:
                inner.pop(s.var, None)
            body_cost = _body_ops(module, s.body, inner, memo, active)
            if body_cost is None:
                return None
            total += trips * body_cost
        elif isinstance(s, If):
            # both branches, as an upper bound (data-dependent ifs run both symbolically)
            for branch in (s.then_body, s.else_body):
                c = _body_ops(module, branch, ranges, memo, active)
                if c is None:
                    return None
                total += c
        elif isinstance(s, While):
            return None
        elif isinstance(s, Call):
            c = _func_ops(module, s.callee, memo, active)
            if c is None:
                return None
            total += c
    return total


def _trips(loop: For, ranges: Dict[str, Interval]) -> Optional[int]:
    const = constant_trips(loop)
    if const is not None:
        return const.trips
    rng = loop_interval(loop, ranges)
    if rng is None or not loop.step:
        return None
    return max(0, (rng[1] - rng[0]) // abs(loop.step) + 1)


__all__ = ["estimate_ops"]
