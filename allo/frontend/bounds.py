"""Compile-time index checks: an access whose index provably leaves its buffer.

An index that is affine in loop variables whose loops have constant bounds (e.g.
``A[i + 2]`` inside ``for i in range(4)`` with ``A: int32[4]``) takes a known set of
values; if some of them fall outside ``0 .. extent-1``, the kernel would read or write out
of bounds on that iteration, so it is rejected at its source line. The check is
conservative: it never judges an access that might not run (under a runtime ``if`` or
``while``, or in a loop whose trip count is not a constant) or whose index it cannot
bound exactly (non-affine, data-dependent). The range arithmetic is shared with the IR
verifier (:func:`allo.ir.index.static_index_range`).

Example::

    def k(A: int32[4]) -> int32[4]:
        B: int32[4] = 0
        for i in range(4):
            B[i] = A[i + 2]   # error: index 'i + 2' of 'A' takes the values 2 .. 5 ...
        return B
"""

from __future__ import annotations

import ast
from typing import Any

from ..errors import AlloTypeError
from ..ir.nodes import Const, Expr, Var, walk_expr
from ..ir.index import static_index_range


def check_static_bounds(fl: Any, i: Expr, buffer: str, extent: int, dim: int,
                        node: ast.AST) -> None:
    """Raise a located AlloTypeError if index ``i`` (dimension ``dim`` of ``buffer``)
    provably leaves ``0 .. extent-1``; ``fl`` is the function lowerer (its loop context).

    Example: ``check_static_bounds(fl, i_plus_2, "A", 4, 0, node)`` inside ``range(4)``
    raises; with ``i`` alone it returns None.
    """
    if getattr(fl, "guard_depth", 0) or isinstance(i, Const):
        return  # constants were checked by index(); guarded code may never run
    ranges = {}
    for name, rng in getattr(fl, "loop_ranges", ()):
        if rng is None:
            return  # an enclosing loop may run zero times, or its values are unknown
        ranges[name] = rng
    rng = static_index_range(i, ranges)
    if rng is None or (rng[0] >= 0 and rng[1] < extent):
        return
    used = [n for n in ranges if any(isinstance(x, Var) and x.name == n for x in walk_expr(i))]
    values = getattr(fl, "loop_values", {})
    shown = [(n, static_index_range(values[n], ranges) if n in values else ranges[n])
             for n in used]  # a negative-step loop shows the values the user sees
    loops = ", ".join(f"{n} in {lo_hi[0]} .. {lo_hi[1]}" for n, lo_hi in shown if lo_hi)
    raise fl.err(AlloTypeError, f"index '{ast.unparse(node)}' of '{buffer}' (dimension {dim}) "
                 f"takes the values {rng[0]} .. {rng[1]} for {loops}, but the extent is "
                 f"{extent}", node,
                 hint=f"valid indices are 0 .. {extent - 1}: fix the offset or the loop bounds, "
                      "or guard the access with an 'if'")
