"""CLI fixture: one design whose IR was corrupted by hand (a wrong transformation)."""
from dataclasses import replace

import allo
from allo.ir.nodes import Op, Store, map_stmt_exprs, walk_stmts
from allo.ir.types import int32


def scale(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        B[i] = A[i] * 3
    return B


def design_ok():
    return allo.customize(scale)


def design_broken():
    s = allo.customize(scale)
    broken = s.ir.copy()
    for st in walk_stmts(broken.top_func.body):
        if isinstance(st, Store):  # the "transformation" turned * into +
            map_stmt_exprs(st, lambda e: replace(e, op="add")
                           if isinstance(e, Op) and e.op == "mul" else None)
    s._ir = broken
    return s
