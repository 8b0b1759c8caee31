"""The values a task of a dataflow loop reads through a ping-pong buffer.

In a dataflow loop kept as a loop (``s.dataflow(loop)``; HLS puts ``#pragma HLS dataflow``
in its body), each top-level statement is a process running its iterations in order, and
an array one task writes and another reads is a ping-pong (PIPO) buffer: two banks,
iteration ``n``'s writer fills one while the reader reads the bank of iteration ``n - 1``.
A reader therefore sees only what the writer wrote *in the same iteration*: an element the
writer wrote in an earlier iteration (a flow carried by the loop through the array) or did
not write at all comes from another bank, not the value sequential semantics gives.

Rule (``pipo_violation``): for every array (or scalar) of the loop's function that one task
writes and another task reads, every read of it inside the loop -- by the readers and by
the writer itself -- touches an element the writer wrote earlier in the same iteration.
Two ways to show it, both z3:

* the writer task writes every element of the array once per iteration, unconditionally
  (the dead-fill proof, :func:`allo.primitives.dataflow_fill.writes_every_element`, through
  a call binding the whole array too), and does not read it;
* otherwise each read site is covered: no iteration of the read has an element that no
  unconditional write of the same iteration writes before it
  (:func:`allo.primitives.deps.uncovered_read_queries`).

Arrays only read inside the loop (inputs) are not ping-pong buffers and need nothing.
Also refused: a task that is a second writer of the buffer; a local shared buffer read
outside the loop (which bank holds what there is not defined); a shared *parameter*
(memory, not banks: the writer's next iteration overlaps the readers' current one) with an
element written in two iterations.

Example::

    why = pipo_violation(module, func, loop, timeout_ms=2000)   # None: the loop is fine
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Tuple

import z3

from ..ir.index import affine_form
from ..ir.nodes import (BufRef, Call, Expr, For, Func, If, Module, Return, Store, Var, While,
                        substitute, walk_stmts)
from ..ir.sites import access_sites, reads_buffer, stmt_site, task_scope
from ..ir.effects import loop_iterations, param_modes, task_buffer_uses
from ..ir.types import BufferType
from .deps import Access, carried_dependence_queries, collect_accesses, uncovered_read_queries


class _Prover:
    """What :func:`writes_every_element` needs of a context: ``holds`` (unsat = holds)."""

    def __init__(self, timeout_ms: int):
        self.timeout_ms = timeout_ms

    def holds(self, name: str, violation) -> bool:
        return _failure(violation, None, "", self.timeout_ms) is None


def _failure(constraints, witness, desc: str, timeout_ms: int) -> Optional[str]:
    """``None`` when ``constraints`` (a violation) are unsatisfiable; otherwise the witness
    of a model, or "undecided" when z3 gives up (never taken as proved)."""
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(*constraints)
    result = solver.check()
    if result == z3.unsat:
        return None
    return witness(solver.model()) if result == z3.sat and witness else f"undecided ({desc})"


def shared_arrays(module: Module, func: Func, body: List[Any]) -> Dict[str, Tuple[int, Set[int]]]:
    """The plain (non-stream) buffers of ``func`` that one task of ``body`` writes and another
    reads: ``{name: (writer task, reader tasks)}`` (the first writer: ``dataflow`` refuses
    a second one, :func:`pipo_violation` too).

    Example: ``shared_arrays(m, f, loop.body) == {"buf": (0, {1})}``.
    """
    writers, readers = task_buffer_uses(module, func, list(enumerate(body)))
    return {n: (ws[0], set(readers[n]) - {ws[0]}) for n, ws in writers.items()
            if set(readers.get(n, ())) - {ws[0]}}


def _writer_fills_every_element(module: Module, func: Func, task: Any, name: str,
                                prover: _Prover) -> bool:
    from .dataflow_fill import writes_every_element

    t = func.buffers()[name]
    shape = t.shape if isinstance(t, BufferType) else ()
    scope = task_scope(module, task, name)
    if scope is None or not shape or any(isinstance(s, While) for s in walk_stmts([task])):
        return False
    body, local = scope
    return not reads_buffer(body, local) and writes_every_element(prover, body, local, shape, name)


def writes_through_calls(module: Module, task: Any, name: str, loops: Tuple[For, ...],
                         order: int) -> List[Access]:
    """The writes of buffer ``name`` that ``task`` performs, as :class:`Access` sites in the
    caller's terms: a call binding the whole buffer to a parameter contributes its callee's
    writes of that parameter, with the callee's scalar parameters replaced by the call's
    arguments and its loops renamed (``callee.k.var``) below the call's loops. A write under
    an ``If``/``While`` or in a callee that may return early is guarded; a sub-view, a
    recursive or unknown callee, or a buffer bound twice is a write of an unknown element.

    Example: ``systolic_tile(.., local_C)`` -> ``write of local_C[PE.i, PE.j]`` (through the
    PE calls ``PE_kernel(.., C, i, j)`` that write ``C[i, j]``).
    """
    out: List[Access] = []
    counter = [0]

    def visit(body: List[Any], loops: Tuple[For, ...], guarded: bool, mapping: Dict[str, Expr],
              local: str, seen: Tuple[str, ...]) -> None:
        for st in body:
            if isinstance(st, Store) and st.buffer == local:
                forms = tuple(affine_form(substitute(e, mapping)) for e in st.indices)
                out.append(Access(name, forms, True, loops, order, guarded))
            elif isinstance(st, Call):
                bound = [k for k, a in enumerate(st.args) if isinstance(a, BufRef) and a.buffer == local]
                if not bound:
                    continue
                callee = module.funcs.get(st.callee)
                k = bound[0]
                if (callee is None or st.callee in seen or len(bound) > 1 or st.args[k].prefix
                        or k >= len(callee.params)):
                    out.append(Access(name, None, True, loops, order, guarded))
                    continue
                early = any(isinstance(r, Return) for r in walk_stmts(callee.body)
                            if r is not callee.body[-1])
                inner = {p.name: substitute(a, mapping) for p, a in zip(callee.params, st.args)
                         if not isinstance(a, BufRef)}
                visit(callee.body, loops, guarded or early, inner, callee.params[k].name,
                      seen + (st.callee,))
            elif isinstance(st, For):
                counter[0] += 1
                fresh = f"{st.var}.{counter[0]}" if mapping or loops else st.var
                renamed = For(fresh, substitute(st.lo, mapping), substitute(st.hi, mapping), st.step, [],
                              name=st.name, band=st.band)
                visit(st.body, loops + (renamed,), guarded, {**mapping, st.var: Var(fresh, st.lo.type)},
                      local, seen)
            elif isinstance(st, If):
                visit(st.then_body, loops, True, mapping, local, seen)
                visit(st.else_body, loops, True, mapping, local, seen)
            elif isinstance(st, While):
                visit(st.body, loops, True, mapping, local, seen)
            if isinstance(st, Call) and name in st.results:
                out.append(Access(name, None, True, loops, order, guarded))

    visit([task], tuple(loops), False, {}, name, ())
    return out


def reads_through_calls(module: Module, body: List[Any], name: str, loops: Tuple[For, ...] = (),
                        modes: Optional[Dict[str, List[str]]] = None) -> List[Access]:
    """The reads of buffer ``name`` that calls in ``body`` make: one read of an unknown
    element per call that passes it (whole or as a sub-view) to a parameter its callee
    reads (mode ``"in"``/``"both"``, or an unknown callee). :func:`collect_accesses` lists
    such an argument as a write only, so without these a task reading a ping-pong buffer
    inside a callee would go unchecked.

    Example: ``reads_through_calls(m, [call], "buf")`` -> ``[read of buf (unknown element)]``
    for ``rd(buf, B, i)`` whose callee loads its first parameter.
    """
    modes = param_modes(module) if modes is None else modes
    out: List[Access] = []
    for site in access_sites(body, tuple(loops)):
        if site.kind != "call_arg" or site.buffer != name:
            continue
        callee = modes.get(site.callee)
        positions = [k for k, a in enumerate(site.stmt.args)
                     if isinstance(a, BufRef) and a.buffer == name]
        if callee is None or any(k >= len(callee) or callee[k] in ("in", "both") for k in positions):
            out.append(Access(name, None, False, site.loops, -1, bool(site.conds), site.conds))
    return out


def pipo_violation(module: Module, func: Func, loop: For, timeout_ms: int = 5000
                   ) -> Optional[Tuple[str, str]]:
    """Why a task of dataflow loop ``loop`` (kept as a loop) may read, through a ping-pong
    buffer, a value other than sequential semantics gives: ``(message, hint)`` with the
    read and iteration as witness, or ``None`` when every shared array passes the rule of
    this module.

    Example: ``pipo_violation(m, f, loop) == None`` for a loop whose reader reads
    ``buf[i]`` that its writer writes in iteration ``i``.
    """
    label = loop.name or loop.var
    prover = _Prover(timeout_ms)
    site = stmt_site(func, loop)
    enclosing = tuple(site.enclosing) if site is not None else ()
    shared = [l.var for l in enclosing] + [loop.var]
    writers, _ = task_buffer_uses(module, func, list(enumerate(loop.body)))
    for name, tasks in sorted(writers.items()):
        if len(tasks) > 1:  # dataflow refuses this; an IR that carries it is not trusted
            return (f"side condition 'one writer task per buffer' fails in dataflow loop {label!r}: "
                    f"{name!r} is written by tasks {', '.join(map(str, tasks))}",
                    "concurrent tasks would race on it; give each task its own buffer, or "
                    "merge the writing tasks")
    params = {p.name for p in func.params}
    modes = param_modes(module)
    everywhere = collect_accesses(func.body) + [
        a for n in shared_arrays(module, func, loop.body)
        for a in reads_through_calls(module, func.body, n, (), modes)]
    for name, (writer, readers) in sorted(shared_arrays(module, func, loop.body).items()):
        early = sorted(k for k in readers if k < writer)
        if early:  # dataflow refuses it too: a backward channel, read before it is written
            return (f"side condition 'one writer task per buffer' fails in dataflow loop {label!r}: "
                    f"task {early[0]} reads {name!r} before task {writer} writes it",
                    "concurrent tasks may run the writer first; read a copy made before the "
                    "loop, or reorder the tasks")
        outside = [a for a in everywhere if a.buffer == name and not a.write
                   and all(l is not loop for l in a.loops)]
        live = _live_outside(module, func, loop, name, writer, readers, params, outside, shared,
                             enclosing, timeout_ms)
        if live is not None:
            return live
        if name not in params and \
                _writer_fills_every_element(module, func, loop.body[writer], name, prover):
            continue
        per_task = {k: [a for a in collect_accesses([loop.body[k]], enclosing + (loop,))
                        if a.buffer == name]
                    + reads_through_calls(module, [loop.body[k]], name, enclosing + (loop,), modes)
                    for k in sorted(readers | {writer})}
        accesses = [a for k in sorted(per_task) for a in per_task[k]]
        # each task's accesses are numbered in its own list: renumber in body order
        for order, a in enumerate(accesses):
            a.order = order
        reads = [a for a in accesses if not a.write]
        task = loop.body[writer]
        if any(isinstance(s, While) for s in walk_stmts([task])):
            writes: List[Access] = []  # a while loop's iterations are not modelled
        elif any(isinstance(s, Call) for s in walk_stmts([task])):
            # the writes inside the callees, in the caller's terms; their order against the
            # writer task's own reads is not tracked, so such reads leave nothing covered
            own_reads = any(not a.write for a in per_task[writer])
            writes = [] if own_reads else writes_through_calls(module, task, name,
                                                               enclosing + (loop,), -1)
        else:
            writes = [a for a in accesses if a.write]
        for desc, constraints, witness in uncovered_read_queries(reads, writes, shared):
            why = _failure(constraints, witness, desc, timeout_ms)
            if why is None:
                continue
            how = ("the loop is unrolled: each iteration is a copy running concurrently with "
                   "the others, and nothing orders one copy's write before another copy's read"
                   if loop_iterations(loop) != "sequential" else
                   "each iteration's tasks get a bank of their own")
            return (f"side condition 'ping-pong reads see their own iteration' fails in dataflow loop "
                    f"{label!r}: {name!r} is a ping-pong buffer between task {writer} and task(s) "
                    f"{', '.join(map(str, sorted(readers)))} ({how}): {why}",
                    "a reader sees only what the writer task wrote in the same iteration; pass "
                    "values between iterations in a stream, or write every element it reads in "
                    "each iteration, or keep the loop out of the dataflow region")
    return None


def _live_outside(module: Module, func: Func, loop: For, name: str, writer: int, readers: Set[int],
                  params: Set[str], outside: List[Access], shared: List[str],
                  enclosing: Tuple[For, ...], timeout_ms: int) -> Optional[Tuple[str, str]]:
    """A shared buffer whose value outside the loop matters: a local read outside it (which
    bank holds which iteration's values there is not defined), or a parameter (memory, not
    a ping-pong buffer: the writer's next iteration overlaps the readers' current one, so
    an element written in two iterations may be overwritten before it is read)."""
    label = loop.name or loop.var
    head = (f"side condition 'ping-pong reads see their own iteration' fails in dataflow loop "
            f"{label!r}: {name!r} is written by task {writer} and read by task(s) "
            f"{', '.join(map(str, sorted(readers)))}")
    if name not in params and loop_iterations(loop) == "sequential":
        if outside:
            return (f"{head}, and {outside[0].describe()} outside the loop reads it, where the "
                    "two banks of its ping-pong buffer hold different iterations' values",
                    "copy what must outlive the loop into an array of its own inside the writer "
                    "task, or keep the loop out of the dataflow region")
        return None
    writes = [a for a in collect_accesses([loop.body[writer]], enclosing + (loop,))
              if a.buffer == name and a.write]
    for desc, constraints, witness in carried_dependence_queries(writes, loop, shared[:-1]):
        why = _failure(constraints, witness, desc, timeout_ms)
        if why is None:
            continue
        shared_memory = ("it is a parameter, so the tasks share its memory and the writer's "
                         "next iteration overlaps the readers' current one" if name in params else
                         "the loop is unrolled into copies that run concurrently and share its "
                         "memory (fully, or partially: copies of some iterations each), so a copy "
                         "may overwrite an element before another reads it")
        return (f"{head}; {shared_memory}: {why}",
                "write each element of a parameter in one iteration only, or pass the values "
                "through a local array or a stream")
    return None


def pipelined_over(func: Func, loop: For) -> Optional[For]:
    """The loop ``loop`` itself or one around it that is pipelined, if any: Vitis pipelines
    a loop by unrolling everything inside it, so a ``#pragma HLS dataflow`` there is
    ignored and the tasks run one after another, not as the concurrent processes the
    verifier models.

    Example: ``pipelined_over(f, loop) is None`` for a dataflow loop in a plain nest.
    """
    site = stmt_site(func, loop)
    around = list(site.enclosing) if site is not None else []
    return next((l for l in [loop, *reversed(around)] if l.attrs.get("pipeline_ii")), None)


def pipelined_dataflow_message(loop: For, pipelined: For) -> str:
    """The refusal for a dataflow loop that :func:`pipelined_over` finds pipelined."""
    which = "itself" if pipelined is loop else f"inside pipelined loop {pipelined.name or pipelined.var!r}"
    return (f"dataflow loop {loop.name or loop.var!r} is pipelined ({which}): HLS unrolls a "
            "pipelined loop's body, so the dataflow pragma is ignored and its tasks no longer run "
            "concurrently")


def dataflow_loop_violation(module: Module) -> Optional[str]:
    """The first :func:`pipo_violation` of a dataflow loop of ``module``, as a sentence;
    ``None`` if none. A loop unrolled into copies is checked too: its copies run
    concurrently, so a read of another copy's write has no channel that orders it.

    Example: ``dataflow_loop_violation(m) is None`` after a successful ``s.dataflow("i")``.
    """
    for func in module.funcs.values():
        for s in walk_stmts(func.body):
            if isinstance(s, For) and s.attrs.get("dataflow"):
                pipelined = pipelined_over(func, s)
                if pipelined is not None:
                    return pipelined_dataflow_message(s, pipelined)
                why = pipo_violation(module, func, s)
                if why is not None:
                    return why[0]
    return None


__all__ = ["pipelined_over", "pipelined_dataflow_message", "shared_arrays", "writes_through_calls", "reads_through_calls", "pipo_violation", "dataflow_loop_violation"]
