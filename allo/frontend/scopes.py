"""One IR name per declaration: a local declared again in a sibling block is renamed.

Python lets a kernel declare ``t: int32`` in two sibling blocks (two loops, two branches,
or two unrolled copies of a ``meta_for`` body); each is its own variable, alive from its
declaration to the end of its block. The IR names every buffer of a function once, so
the frontend lowers each block as written and then gives every later declaration of a
name that is already taken a fresh name (``t_1``), renaming the uses that follow it in
its block.

Example::

    for i in range(4):          # Alloc t          -> t
        t: int32 = A[i]
    for j in range(4):          # Alloc t (again)  -> t_1, and its uses in this loop
        t: int32 = A[j]
"""

from __future__ import annotations

from dataclasses import replace
from typing import Dict, List, Set

from ..ir.nodes import (Alloc, BufRef, Call, Expr, Func, Load, Return, Stmt, Store, StreamGet,
                        StreamPut, child_bodies, map_expr, map_stmt_exprs)


def _rename_expr(e: Expr, names: Dict[str, str]) -> Expr:
    def fn(x: Expr):
        if isinstance(x, Load) and x.buffer in names:
            return replace(x, buffer=names[x.buffer])
        if isinstance(x, StreamGet) and x.stream in names:
            return replace(x, stream=names[x.stream])
        return None

    return map_expr(e, fn)


def _rename_stmt(s: Stmt, names: Dict[str, str]) -> None:
    map_stmt_exprs(s, lambda x: _rename_expr(x, names) if isinstance(x, (Load, StreamGet))
                   else None)
    if isinstance(s, Store) and s.buffer in names:
        s.buffer = names[s.buffer]
    elif isinstance(s, StreamPut) and s.stream in names:
        s.stream = names[s.stream]
    elif isinstance(s, (Call, Return)):
        vals = s.args if isinstance(s, Call) else s.values
        new = [replace(a, buffer=names[a.buffer]) if isinstance(a, BufRef) and a.buffer in names
               else a for a in vals]
        if isinstance(s, Call):
            s.args = new
            s.results = [names.get(r, r) for r in s.results]
        else:
            s.values = new


def unique_local_names(func: Func) -> None:
    """Rename, in place, every declaration of ``func`` that reuses a taken name."""
    taken: Set[str] = {p.name for p in func.params}

    def fresh(base: str) -> str:
        k = 1
        while f"{base}_{k}" in taken:
            k += 1
        return f"{base}_{k}"

    def visit(body: List[Stmt], names: Dict[str, str]) -> None:
        names = dict(names)
        for s in body:
            if isinstance(s, Alloc):
                if s.name in taken:
                    new = fresh(s.name)
                    names[s.name] = new
                    s.name = new
                elif s.name in names:  # a new variable no longer shadowed by a rename
                    del names[s.name]
                taken.add(s.name)
                if isinstance(s.init, Expr):
                    s.init = _rename_expr(s.init, names)
                continue
            if names:
                _rename_stmt(s, names)
            for child in child_bodies(s):
                visit(child, names)

    visit(func.body, {})
