"""The FIFO order side conditions shared by ``to`` (between loop nests,
:mod:`.dataflow_stream`, and between calls, :mod:`.dataflow_calls`) and ``pingpong``: the
accesses of a buffer inside a statement, the n-th iteration of a loop nest as z3 terms,
"every element is written once" and "the n-th read names the n-th written element".

Example::

    writes, reads = _uses(stmt, "B")
    prove_same_order(ctx, "B", writes[0], reads[0], [4, 4], [4, 4], wf, rf, 16)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Sequence, Tuple

import z3

from ..ir.nodes import For, Load, Stmt, Store, child_bodies, stmt_exprs, walk_expr
from .base import Context
from .index_z3 import form_term


@dataclass
class _Use:
    """One access to the streamed buffer: its node, the loops around it (inside the
    producer/consumer statement), whether an ``If`` guards it, and the statement holding it."""

    node: Any
    loops: List[For]
    guarded: bool
    holder: Stmt
    parent: List[Stmt]


def _uses(top: Stmt, name: str) -> Tuple[List[_Use], List[_Use]]:
    """(writes, reads) of buffer ``name`` inside statement ``top``."""
    writes: List[_Use] = []
    reads: List[_Use] = []

    def visit(body: List[Stmt], loops: List[For], guarded: bool) -> None:
        for s in body:
            for e in stmt_exprs(s):
                for x in walk_expr(e):
                    if isinstance(x, Load) and x.buffer == name:
                        in_bound = isinstance(s, For)
                        reads.append(_Use(x, loops, guarded or in_bound, s, body))
            if isinstance(s, Store) and s.buffer == name:
                writes.append(_Use(s, loops, guarded, s, body))
            inner = loops + [s] if isinstance(s, For) else loops
            for child in child_bodies(s):
                visit(child, inner, guarded or not isinstance(s, For))

    visit([top], [], False)
    return writes, reads


def _rank_digits(loops: Sequence[For], trips: Sequence[int], n: z3.ArithRef) -> dict:
    """Loop variable values of the ``n``-th iteration (row-major, outermost first)."""
    env = {}
    below = 1
    for loop, t in reversed(list(zip(loops, trips))):
        digit = (n / below) % t
        lo = int(loop.lo.value)
        env[loop.var] = lo + loop.step * digit
        below *= t
    return env


def written_twice(name: str, w: _Use, w_trips: Sequence[int], w_forms: Sequence[Any], total: int
                  ) -> Tuple[List[z3.BoolRef], Any]:
    """The violation of "the ``total`` executions of write site ``w`` (loops of ``w_trips``
    iterations, indices ``w_forms``) name pairwise different elements of ``name``": two
    ranks writing one element, with its witness printer.

    Example: ``constraints, witness = written_twice("B", w, [4, 4], forms, 16)``.
    """
    n, n2 = z3.Ints("rank rank2")
    wi = [form_term(f, _rank_digits(w.loops, w_trips, n)) for f in w_forms]
    wi2 = [form_term(f, _rank_digits(w.loops, w_trips, n2)) for f in w_forms]
    return ([0 <= n, n < n2, n2 < total, *[a == b for a, b in zip(wi, wi2)]],
            lambda m: f"writes number {m.eval(n)} and {m.eval(n2)} both write {_show(m, name, wi)}")


def written_outside(w: _Use, w_trips: Sequence[int], w_forms: Sequence[Any], total: int,
                    shape: Sequence[int]) -> List[z3.BoolRef]:
    """The violation of "every execution of write site ``w`` names an element inside
    ``shape``": a rank whose index leaves the buffer.

    Example: ``written_outside(w, [4, 4], forms, 16, (4, 4))``.
    """
    n = z3.Int("rank")
    wi = [form_term(f, _rank_digits(w.loops, w_trips, n)) for f in w_forms]
    return [0 <= n, n < total, z3.Or(*[z3.Or(x < 0, x >= d) for x, d in zip(wi, shape)])]


def prove_written_once(ctx: Context, name: str, w: _Use, w_trips: Sequence[int],
                       w_forms: Sequence[Any], total: int) -> None:
    """Side condition: the ``total`` executions of write site ``w`` (loops of ``w_trips``
    iterations, indices ``w_forms``) name pairwise different elements of ``name``.

    Example: ``prove_written_once(ctx, "B", w, [4, 4], forms, 16)``.
    """
    constraints, witness = written_twice(name, w, w_trips, w_forms, total)
    ctx.prove("every element is written once", constraints, witness,
              hint="a FIFO element can be put only once")


def _show(m: z3.ModelRef, name: str, xs: Sequence[z3.ArithRef]) -> str:
    return f"{name}[{', '.join(str(m.eval(x, model_completion=True)) for x in xs)}]"


def prove_same_order(ctx: Context, name: str, w: _Use, r: _Use, w_trips: Sequence[int],
                     r_trips: Sequence[int], w_forms: Sequence[Any], r_forms: Sequence[Any],
                     total: int, hint: str = "") -> None:
    """Side conditions of a FIFO: every element written once, and the n-th read names the
    element of the n-th write (z3 over the ranks; the refusal names the *first*
    out-of-order element, found by minimizing the rank).

    Example: ``prove_same_order(ctx, "B", w, r, [4, 4], [4, 4], wf, rf, 16)``.
    """
    prove_written_once(ctx, name, w, w_trips, w_forms, total)
    n = z3.Int("rank")
    wi = [form_term(f, _rank_digits(w.loops, w_trips, n)) for f in w_forms]
    ri = [form_term(f, _rank_digits(r.loops, r_trips, n)) for f in r_forms]
    opt = z3.Optimize()
    opt.set("timeout", ctx.timeout_ms)
    opt.add(0 <= n, n < total, z3.Or(*[a != b for a, b in zip(wi, ri)]))
    opt.minimize(n)
    first = None
    if opt.check() == z3.sat:
        m = opt.model()
        first = (m.eval(n), _show(m, name, wi), _show(m, name, ri))
    ctx.prove("consumer reads in the producer's write order",
              [0 <= n, n < total, z3.Or(*[a != b for a, b in zip(wi, ri)])],
              lambda m: (f"first out-of-order element: write number {first[0]} puts {first[1]} but read "
                         f"number {first[0]} expects {first[2]}") if first else
              f"write number {m.eval(n)} puts {_show(m, name, wi)} but the read expects {_show(m, name, ri)}",
              hint="the consumer must read the elements in the order the producer writes them"
                   + (f"; {hint}" if hint else ""))


__all__ = ["prove_written_once", "prove_same_order", "written_twice", "written_outside"]
