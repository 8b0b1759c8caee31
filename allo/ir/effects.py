"""Which buffers a function reads and writes, through the calls it makes too.

``param_modes(module)`` gives, per function, each parameter's mode: ``"in"`` (only read),
``"out"`` (only written), ``"both"``, or ``"none"`` (unused). A buffer passed to a callee
(whole or as a sub-view) inherits the callee's mode for that parameter; scalars are
``"in"``. Calls are resolved callee-first, so the answer is exact for any call graph
without recursion (kernels never recurse).

Example::

    >>> from allo.frontend import parse                               # doctest: +SKIP
    >>> param_modes(parse(kernel))["kernel"]                          # doctest: +SKIP
    ['in', 'in', 'out']
"""

from __future__ import annotations

from typing import Dict, List, Set, Tuple

from .nodes import (BufRef, Call, Func, Load, Module, Return, Store, StreamGet, StreamPut,
                    stmt_exprs, walk_expr, walk_stmts)
from .types import AlloType


def buffer_effects(func: Func, modes: Dict[str, List[str]]) -> Tuple[Set[str], Set[str]]:
    """``(read, written)`` buffer names of ``func``; ``modes`` holds the callees' modes."""
    read: Set[str] = set()
    written: Set[str] = set()
    for s in walk_stmts(func.body):
        if isinstance(s, Store):
            written.add(s.buffer)
        elif isinstance(s, StreamPut):
            written.add(s.stream)
        elif isinstance(s, Return):
            read.update(a.buffer for a in s.values if isinstance(a, BufRef))
        elif isinstance(s, Call):
            callee = modes.get(s.callee)
            for k, a in enumerate(s.args):
                if not isinstance(a, BufRef):
                    continue
                mode = callee[k] if callee is not None and k < len(callee) else "both"
                if mode in ("in", "both"):
                    read.add(a.buffer)
                if mode in ("out", "both"):
                    written.add(a.buffer)
            written.update(s.results)
        for e in stmt_exprs(s):
            for x in walk_expr(e):
                if isinstance(x, Load):
                    read.add(x.buffer)
                elif isinstance(x, StreamGet):
                    read.add(x.stream)
    return read, written


def task_dependencies(module: Module) -> Dict[str, Dict[int, Set[int]]]:
    """Per dataflow region (labelled by its function's name, or its loop's name), which
    earlier tasks each task must wait for: task ``k2`` reads a plain (non-stream) buffer
    that task ``k1 < k2`` writes. In hardware such a buffer is a ping-pong buffer between
    the two processes, so ``k2`` starts only once ``k1`` has finished; streams impose no
    such order.

    Example: ``task_dependencies(m) == {"top": {3: {2}}}`` when task 3 of ``top`` reads
    an array task 2 writes.
    """
    from .nodes import Alloc, For

    modes = param_modes(module)
    out: Dict[str, Dict[int, Set[int]]] = {}
    for func in module.funcs.values():
        streams = {n for n, t in func.buffers().items()
                   if getattr(t, "is_stream", False) or type(t).__name__ == "StreamType"}
        regions = [(func.name, func.body)] if func.attrs.get("dataflow") else []
        regions += [(s.name or s.var, s.body) for s in walk_stmts(func.body)
                    if isinstance(s, For) and s.attrs.get("dataflow")]
        for label, body in regions:
            effects = [None if isinstance(s, Alloc) else
                       buffer_effects(Func("task", [], [], [s]), modes) for s in body]
            # writers per plain buffer, in task order: a region has thousands of tasks, so
            # each task looks up the writers of what it reads instead of testing every pair
            writers: Dict[str, List[int]] = {}
            deps: Dict[int, Set[int]] = {}
            for k2, e2 in enumerate(effects):
                if e2 is None:
                    continue
                for buf in e2[0] - streams:
                    for k1 in writers.get(buf, ()):
                        deps.setdefault(k2, set()).add(k1)
                for buf in e2[1] - streams:
                    writers.setdefault(buf, []).append(k2)
            for k2 in sorted(deps):  # transitively: a task without FIFO traffic still waits
                for k1 in sorted(deps[k2]):
                    deps[k2] |= deps.get(k1, set())
            if deps:
                out[label] = deps
    return out


def param_modes(module: Module) -> Dict[str, List[str]]:
    """Per function, the mode of each parameter: "in", "out", "both" or "none"."""
    modes: Dict[str, List[str]] = {}
    for name in module.call_order():
        func = module.funcs[name]
        read, written = buffer_effects(func, modes)
        out = []
        for p in func.params:
            if isinstance(p.type, AlloType):
                out.append("in")
                continue
            r, w = p.name in read, p.name in written
            out.append("both" if r and w else "in" if r else "out" if w else "none")
        modes[name] = out
    return modes
