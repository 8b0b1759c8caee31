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

from typing import Dict, List, Set

from ..ir.nodes import Alloc, Func, Stmt, child_bodies, rename_buffers_in_stmt


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
                if names:
                    rename_buffers_in_stmt(s, names)  # its initial value's reads
                continue
            if names:
                rename_buffers_in_stmt(s, names)
            for child in child_bodies(s):
                visit(child, names)

    visit(func.body, {})
