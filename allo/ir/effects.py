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

from typing import Any, Dict, List, Optional, Set, Tuple

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


def dataflow_loop_labels(module: Module) -> Dict[int, str]:
    """The label of each dataflow loop of ``module`` (by ``id`` of its ``For``), unique
    among the module's dataflow regions: the loop's name, or ``function.name`` when another
    region (a loop of another function, a dataflow function) has the same label, with
    ``#k`` for the k-th repeat beyond that. The symbolic executor names a loop's processes
    with it and :func:`task_dependencies` keys the loop's waits by it, so two regions
    never share one entry (the waits of one applied to the other's tasks).

    Example: ``set(dataflow_loop_labels(m).values()) == {"f1.i", "f2.i"}`` when ``f1`` and
    ``f2`` each hold a dataflow loop ``i``.
    """
    from collections import Counter

    from .nodes import For

    loops = [(func, s) for func in module.funcs.values() for s in walk_stmts(func.body)
             if isinstance(s, For) and s.attrs.get("dataflow")]
    taken = Counter([func.name for func in module.funcs.values() if func.attrs.get("dataflow")]
                    + [s.name or s.var for _, s in loops])
    seen: Counter = Counter()
    out: Dict[int, str] = {}
    for func, s in loops:
        label = s.name or s.var
        if taken[label] > 1:
            label = f"{func.name}.{label}"
            seen[label] += 1
            if seen[label] > 1:
                label = f"{label}#{seen[label]}"
        out[id(s)] = label
    return out


def task_dependencies(module: Module) -> Dict[str, Dict[int, Set[int]]]:
    """Per dataflow region (labelled by its function's name, or its loop's name), which
    earlier tasks each task must wait for: task ``k2`` reads a plain (non-stream) buffer
    that task ``k1 < k2`` writes. In hardware such a buffer is a ping-pong buffer between
    the two processes, so ``k2`` starts only once ``k1`` has finished; streams impose no
    such order. A dataflow loop kept as a loop is left out: its tasks run their iterations
    in order and wait per iteration (:func:`region_task_dependencies`, modelled by the
    symbolic executor as ping-pong tokens).

    Example: ``task_dependencies(m) == {"top": {3: {2}}}`` when task 3 of ``top`` reads
    an array task 2 writes.
    """
    from .nodes import For

    modes = param_modes(module)
    labels = dataflow_loop_labels(module)
    out: Dict[str, Dict[int, Set[int]]] = {}
    for func in module.funcs.values():
        regions = [(func.name, func.body)] if func.attrs.get("dataflow") else []
        regions += [(labels[id(s)], s.body) for s in walk_stmts(func.body)
                    if isinstance(s, For) and s.attrs.get("dataflow")
                    and loop_iterations(s) != "sequential"]
        for label, body in regions:
            deps = region_task_dependencies(module, func, body, modes=modes)
            if deps:
                out[label] = deps
    return out


def is_stream_type(t: Any) -> bool:
    """Whether ``t`` (a parameter's or buffer's type) is a FIFO or an array of FIFOs.

    Example: ``is_stream_type(BufferType(StreamType(int32, 2), ())) is True``.
    """
    return type(t).__name__ == "StreamType" or bool(getattr(t, "is_stream", False))


def task_buffer_uses(module: Module, func: Func, tasks: List[Tuple[int, Any]],
                     modes: Optional[Dict[str, List[str]]] = None
                     ) -> Tuple[Dict[str, List[int]], Dict[str, List[int]]]:
    """``(writers, readers)``: for each plain (non-stream) buffer of ``func``, the positions
    of the ``tasks`` (``(position, statement)`` pairs, in order) that write it and those
    that read it; a call counts as what its callee does to the parameter (transitively; an
    unknown callee as both), a declaration as what its fill reads.

    Example: ``task_buffer_uses(m, f, list(enumerate(loop.body))) == ({"buf": [0]}, {"buf": [1]})``.
    """
    modes = param_modes(module) if modes is None else modes
    plain = {n for n, t in func.buffers().items() if not is_stream_type(t)}
    writers: Dict[str, List[int]] = {}
    readers: Dict[str, List[int]] = {}
    for k, s in tasks:
        read, written = buffer_effects(Func("task", [], [], [s]), modes)
        for name in sorted(written & plain):
            writers.setdefault(name, []).append(k)
        for name in sorted(read & plain):
            readers.setdefault(name, []).append(k)
    return writers, readers


def region_task_dependencies(module: Module, func: Func, body: List[Any], transitive: bool = True,
                             modes: Optional[Dict[str, List[str]]] = None) -> Dict[int, Set[int]]:
    """For the tasks (statements) of one dataflow region ``body`` of ``func``: which earlier
    tasks each task waits for, because it reads a plain buffer they write. ``transitive``
    closes the relation (a task without FIFO traffic of its own still orders the others).

    Example: ``region_task_dependencies(m, f, loop.body, transitive=False) == {2: {1}}``.
    """
    from .nodes import Alloc

    modes = param_modes(module) if modes is None else modes
    streams = {n for n, t in func.buffers().items() if is_stream_type(t)}
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
    if transitive:
        for k2 in sorted(deps):
            for k1 in sorted(deps[k2]):
                deps[k2] |= deps.get(k1, set())
    return deps


def loop_iterations(loop: Any) -> str:
    """How the hardware the backends emit runs the iterations of ``loop``.

    ``"spatial"``: every iteration is a copy of its own, all running concurrently (a PE
    loop of ``unfold``: ``attrs["unfold"]``/``attrs["pe"]``, or a full ``unroll``, factor 0
    or at least the trip count). ``"partial"``: unrolled by a smaller factor (copies that
    each run some iterations). ``"sequential"``: one copy of the body runs the iterations
    in order; in a dataflow loop (``#pragma HLS dataflow`` inside a loop kept as a loop)
    each top-level statement is then one process that runs its iterations one after
    another, different statements overlapping (Vitis HLS's "dataflow in a loop").

    Example: ``loop_iterations(For("i", Const(0, index), Const(4, index), 1, []))`` is
    ``"sequential"``.
    """
    attrs = loop.attrs
    if attrs.get("unfold") or attrs.get("pe") is not None:
        return "spatial"
    factor = attrs.get("unroll")
    if factor is None or int(factor) == 1:
        return "sequential"
    if int(factor) == 0:
        return "spatial"
    from .index import constant_trips

    trips = constant_trips(loop)
    return "spatial" if trips is not None and int(factor) >= trips.trips else "partial"


def sequential_dataflow_loops(module: Module) -> Dict[str, str]:
    """The dataflow loops whose iterations hardware does not run as separate copies, by
    label (:func:`dataflow_loop_labels`, as in :func:`task_dependencies`): ``{label: how}`` with ``how``
    from :func:`loop_iterations` (``"sequential"`` or ``"partial"``).

    Example: ``sequential_dataflow_loops(m) == {"i": "sequential"}`` after ``s.dataflow("i")``.
    """
    from .nodes import For

    labels = dataflow_loop_labels(module)
    return {labels[id(s)]: how for func in module.funcs.values() for s in walk_stmts(func.body)
            if isinstance(s, For) and s.attrs.get("dataflow")
            for how in [loop_iterations(s)] if how != "spatial"}


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
