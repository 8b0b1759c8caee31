"""Dataflow and communication primitives: ``unfold``, ``relay``, ``to``, ``dataflow``
(``inline`` lives in :mod:`.functions`, ``compute_at`` beside the loop primitives in
:mod:`.loops_compute_at`).

Every FIFO in the IR executes, in the interpreter, the LLVM backend and the symbolic
executor, as an unbounded queue in *sequential program order*; a stream's depth is a
hardware attribute recorded on its :class:`~allo.ir.types.StreamType` (the symbolic
executor reports sequential overfills as notes or, when one sequential process both
fills and drains the FIFO, as a hardware deadlock).

``unfold(band, axis=[...], factor=[...])`` (rule ``dataflow.unfold``)
    ``axis`` are 0-based positions in the band's loops (outermost first). A position whose
    ``factor`` equals the loop's trip count becomes *spatial*: the loop is marked
    ``attrs["unfold"] = True``, ``attrs["unroll"] = 0`` and ``attrs["pe"] = d`` (its
    dimension in the PE array). A smaller factor that divides the trip count splits the
    loop first (``x.outer`` temporal, ``x.inner`` spatial with ``factor`` iterations).
    Factors that do not divide or exceed the trip count are refused. The IR keeps the
    loops, so every iteration still runs exactly once in the original order; the PE copies
    therefore partition the band's iterations (proved by z3 for the split, by construction
    otherwise). Dependences carried by a spatial loop (PEs that communicate, e.g. partial
    sums along ``k``) are *not* refused: they are recorded in the certificate's detail,
    because sequential semantics keeps their order and ``relay`` turns them into FIFOs.
    Returns a :class:`PEArray` for ``relay``.

``relay(buffer, pe, axis, depth=2)`` (rule ``dataflow.relay``)
    ``buffer`` was made by ``buffer_at`` inside the PE array (an ``Alloc`` followed by an
    init copy nest ``buf[x] = src[f(x)]`` and, when ``src`` is written, a write-back nest
    ``src[g(x)] = buf[x]``). Its contents depend on band position ``axis`` only, so they
    are the same for the PEs along the one *other* spatial axis (the chain, loop variable
    ``p`` with ``P`` PEs). ``relay`` adds ``<buffer>_fifo: Stream[T, depth][...]`` (one FIFO
    per link ``p -> p+1``; shape = the PE array's shape with ``P - 1`` on the chain axis)
    and rewrites the copy nests:

    * read-only source: ``if p == 0: buf[x] = src[f(x)] else: buf[x] = fifo[p-1].get()``
      then ``if p < P-1: fifo[p].put(buf[x])`` (first PE loads, middle PEs forward, last
      PE only receives);
    * written source (partial sums): init as above without the put; write-back
      ``if p == P-1: src[g(x)] = buf[x] else: fifo[p].put(buf[x])``.

    Side conditions (z3, for the concrete design): PE ``p`` and PE ``p+1`` copy the same
    source element into each buffer element (``f`` is invariant under the PE shift, for
    the write-back case ``g`` of PE ``p`` equals ``f`` of PE ``p+1``), the copy nests'
    bounds do not depend on ``p`` (both PEs copy the same element sequence, so a FIFO
    delivers exactly what the predecessor read, in order); a read-only source is not
    written inside the PE array; a written source is touched only by this buffer's copy
    nests, and PE lines that differ off the chain axis touch disjoint elements. Relaying
    along an axis the contents depend on is refused with the two PEs and elements. When
    the buffer depends on every spatial axis (no other axis to pass it along), nothing
    is relayed and the certificate says so.

``to(target, dst, axis=None, depth=-1)`` (rule ``dataflow.stream``)
    A local buffer written by one loop nest (the producer) and read by a later one
    (``dst``, a loop or band name) becomes a single FIFO when every element is written
    exactly once and the n-th write and n-th read name the same element (z3 over the
    ranks of the two nests' iterations; the first out-of-order element is named in the
    refusal). A producer nest that reads each element only before writing it (an
    in-place accumulation privatised by ``buffer_at``) reads the buffer's constant fill,
    which is forwarded into it first (:mod:`.dataflow_fill`). Stores become
    ``StreamPut``, loads ``StreamGet``. ``depth=-1`` picks the
    element count (never overfills in sequential order). With ``dst`` a called function,
    the buffer streams between two calls instead (:mod:`.dataflow_calls`: the callees'
    parameters become streams, the caller a dataflow region, the depth is computed and a
    given one checked for deadlock); ``pingpong(buffer)`` double-buffers it there.

``stream_channels(target, pe, axis, depth=2)`` (rule ``dataflow.channels``, :mod:`.dataflow_channels`)
    A local array of channels that the PE calls receive as sub-views (``A_fifo[i, j]`` in,
    ``A_fifo[i, j + 1]`` out) becomes one FIFO per channel when every channel is read
    once, after its write, in write order (z3 over every access, calls followed).
    ``to(target, pe, axis=...)`` means this for such an array.

``dataflow(target)`` (rule ``annotation.dataflow``)
    Marks a function or loop ``attrs["dataflow"] = True``; its top-level statements are
    the tasks. Refused when a stream is put by more than one task or got by more than one
    task (naming the stream and the tasks). In a function, a local array whose first task
    writes every element before reading any (after forwarding its constant fill into that
    task where it reads elements only before writing them) gets its fill marked dead
    (``attrs["dead_fill"]``, :mod:`.dataflow_fill`): the HLS code emits no fill process, so
    the array has one writer task. In a loop kept as a loop (not unrolled), an array one
    task writes and another reads is a ping-pong buffer, a bank per iteration: every read
    of it must touch an element the writer task wrote earlier in the same iteration (z3;
    refused with the read, the element and the iteration, :mod:`.dataflow_pipo`).

Example::

    pe = s.unfold("PE", axis=[0, 1], factor=[M, N])
    s.relay(buf_A, pe, axis=0, depth=M + 1)
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Set, Tuple
from ..errors import AlloError

import z3

from ..ir.nodes import (Alloc, BufRef, Call, Const, Expr, For, Func, StreamGet, StreamPut,
                        stmt_exprs, walk_expr, walk_stmts)
from ..ir.effects import is_stream_type, task_buffer_uses
from .base import LOOP, TARGET, VALUE, Condition, Context, LoopHandle, primitive
from .dataflow_common import PEArray
from .dataflow_fill import settle_fills
from .dataflow_pipo import pipelined_dataflow_message, pipelined_over, pipo_violation
from .deps import carried_dependence_queries, collect_accesses
from .loops import split_loop


# ------------------------------------------------------------------ unfold
def _dependence_note(ctx: Context, loop: For) -> str:
    """Describe the first dependence carried by ``loop`` ('' when there is none)."""
    site = ctx.loop_site_of(loop)
    accesses = collect_accesses(loop.body, tuple(site.enclosing) + (loop,))
    outer = [l.var for l in site.enclosing]
    for desc, constraints, witness in carried_dependence_queries(accesses, loop, outer):
        solver = z3.Solver()
        solver.set("timeout", ctx.timeout_ms)
        solver.add(*constraints)
        result = solver.check()
        if result == z3.sat:
            return witness(solver.model())
        if result == z3.unknown:
            return f"undecided ({desc})"
    return ""


@primitive("unfold", rule="dataflow.unfold", kinds={"band": LOOP, "axis": VALUE, "factor": VALUE})
def unfold(ctx: Context, band: Any, axis: Sequence[int] = (0,), factor: Sequence[int] = ()) -> PEArray:
    """Make band positions ``axis`` spatial (a PE array); split first when ``factor``
    is a proper divisor of the trip count. Example: ``s.unfold("PE", axis=[0, 1], factor=[4, 4])``."""
    loops = ctx.band_loops(band)
    axis, factor = list(axis), list(factor)
    for a in axis:
        if isinstance(a, bool) or not isinstance(a, int) or not 0 <= a < len(loops):
            raise ctx.refuse(f"axis {a!r} is not a position of band {band!r}",
                             hint=f"positions 0..{len(loops) - 1}: {', '.join(l.name for l in loops)}")
    if len(set(axis)) != len(axis) or not axis:
        raise ctx.refuse("axis must list distinct band positions (at least one)",
                         hint=f"positions 0..{len(loops) - 1}: {', '.join(l.name for l in loops)}")
    if not factor:
        factor = [ctx.constant_loop(loops[a], f"axis {a}")[3] for a in axis]
    if len(factor) != len(axis):
        raise ctx.refuse(f"axis has {len(axis)} entries but factor has {len(factor)}",
                         hint="give one factor per unfolded axis")
    func = ctx.loop_site_of(loops[0]).func
    positions = [(l.name,) for l in loops]
    spatial: List[Optional[str]] = [None] * len(loops)
    factors = [1] * len(loops)
    for dim, (a, f) in enumerate(sorted(zip(axis, factor))):
        loop = loops[a]
        lo, hi, step, trips = ctx.constant_loop(loop, f"axis {a}")
        if isinstance(f, bool) or not isinstance(f, int) or f < 1:
            raise ctx.refuse(f"factor {f!r} for axis {a} must be a positive integer",
                             hint=f"use a divisor of the loop's {trips} iterations")
        if f > trips:
            raise ctx.refuse(f"factor {f} for axis {a} exceeds the {trips} iterations of loop {loop.name!r}",
                             hint=f"use a factor that divides {trips}")
        if trips % f:
            raise ctx.refuse(f"factor {f} for axis {a} does not divide the {trips} iterations of "
                             f"loop {loop.name!r}", hint=f"use a divisor of {trips}")
        if f == trips:
            pe_loop = loop
            ctx.trivial(f"PE copies partition the iterations of {loop.name!r}",
                        "PE index = loop index: every iteration runs in exactly one PE, in order")
        else:
            outer, pe_loop = split_loop(ctx, loop, f)  # proves the split bijection (loop.split)
            positions[a] = (outer.name, pe_loop.name)
        pe_loop.attrs.update({"unfold": True, "unroll": 0, "pe": dim})
        spatial[a], factors[a] = pe_loop.name, f
        note = _dependence_note(ctx, pe_loop)
        detail = ("PEs are independent (no dependence carried by the spatial loop)" if not note else
                  f"PEs communicate: {note}; sequential semantics keeps this order, relay makes it a FIFO")
        ctx.certificate.conditions.append(
            Condition(f"unfolding {pe_loop.name!r} keeps the sequential semantics", "trivial", 0.0, detail))
    return PEArray(func.name, loops[0].band, tuple(positions), tuple(spatial), tuple(factors))


# ------------------------------------------------------------------ dataflow
def _stream_uses(module, func: Func, stmts, streams: Set[str]) -> Dict[str, Set[str]]:
    """``{stream: {"put", "get"}}`` for the streams of ``streams`` used in ``stmts``
    (calls passing a stream are followed into the callee)."""
    uses: Dict[str, Set[str]] = {}
    for s in walk_stmts(stmts):
        if isinstance(s, StreamPut) and s.stream in streams:
            uses.setdefault(s.stream, set()).add("put")
        for e in stmt_exprs(s):
            for x in walk_expr(e):
                if isinstance(x, StreamGet) and x.stream in streams:
                    uses.setdefault(x.stream, set()).add("get")
        if isinstance(s, Call) and s.callee in module.funcs:
            callee = module.funcs[s.callee]
            for p, a in zip(callee.params, s.args):
                if isinstance(a, BufRef) and a.buffer in streams:
                    inner = _stream_uses(module, callee, callee.body, {p.name})
                    uses.setdefault(a.buffer, set()).update(inner.get(p.name, {"put", "get"}))
    return uses


def _check_plain_buffers(ctx: Context, func: Func, tasks: List[Tuple[int, Any]]) -> None:
    """Tasks run concurrently: a plain (non-stream) buffer needs at most one writer task,
    and no task may read it before (in program order) the task that writes it."""
    names = {k: _task_name(k, s) for k, s in tasks}
    writer_tasks, reader_tasks = task_buffer_uses(ctx.module, func, tasks)
    writers = {n: [names[k] for k in ks] for n, ks in writer_tasks.items()}
    readers = {n: [(k, names[k]) for k in ks] for n, ks in reader_tasks.items()}
    for name in sorted(writers):
        if len(writers[name]) > 1:
            raise ctx.refuse(f"side condition 'one writer task per buffer' fails: buffer {name!r} is "
                             f"written by {len(writers[name])} tasks of the dataflow region: "
                             f"{', '.join(writers[name])}",
                             hint="concurrent tasks would race on it; give each task its own "
                                  "buffer, or merge the writing tasks")
        first_writer = writer_tasks[name][0]
        early = [t for k, t in readers.get(name, []) if k < first_writer]
        if early:
            raise ctx.refuse(f"side condition 'one writer task per buffer' fails: {early[0]} reads "
                             f"buffer {name!r} before {writers[name][0]} writes it",
                             hint="concurrent tasks may run the writer first; read a copy made "
                                  "before the region, or reorder the tasks")
    ctx.trivial("one writer task per buffer",
                f"{len(writers)} written buffer(s), each by one task that runs before its readers")


def _check_ping_pong_values(ctx: Context, func: Func, loop: For) -> None:
    """A dataflow loop kept as a loop passes arrays between its tasks in ping-pong buffers,
    and the copies of an unrolled one run concurrently with no channel between copies:
    either way every read must see a value written in its own iteration
    (:mod:`.dataflow_pipo`)."""
    why = pipo_violation(ctx.module, func, loop, ctx.timeout_ms)
    if why is not None:
        raise ctx.refuse(why[0], hint=why[1])
    ctx.trivial("ping-pong reads see their own iteration",
                f"every array shared by the tasks of {loop.name or loop.var!r} is read only where "
                "the writer task wrote it earlier in the same iteration (z3)")


def region_tasks(body: List[Any]) -> List[Tuple[int, Any]]:
    """The tasks of a dataflow region's ``body`` with their positions: every statement but
    the declarations, and a declaration whose fill reads a buffer (``T: int32[4] = Y[1]``),
    which the HLS code fills in a process of its own.

    Example: ``region_tasks(func.body)[0] == (2, call)``.
    """
    return [(k, s) for k, s in enumerate(body) if not isinstance(s, Alloc)
            or isinstance(s.init, Expr) and not isinstance(s.init, Const)]


def _task_name(k: int, s) -> str:
    if isinstance(s, For):
        return f"task {k} (loop {s.name!r})"
    if isinstance(s, Call):
        return f"task {k} (call {s.callee!r})"
    if isinstance(s, Alloc):
        return f"task {k} (the fill of {s.name!r})"
    return f"task {k} ({type(s).__name__})"


@primitive("dataflow", rule="annotation.dataflow", kinds={"target": TARGET})
def dataflow(ctx: Context, target: Any) -> None:
    """Mark a function or loop as a dataflow region; every stream between its tasks
    needs one producer and one consumer task. Example: ``s.dataflow("top")``."""
    if isinstance(target, str) and target in ctx.module.funcs:
        func = ctx.module.funcs[target]
        holder, body = func, func.body
    elif isinstance(target, (str, LoopHandle, For)):
        try:
            site = ctx.loop(target, "target")
        except AlloError:  # not a loop of this design either
            raise ctx.refuse(f"target={target!r} is neither a function nor a loop",
                             hint=f"functions: {', '.join(sorted(ctx.module.funcs))}; "
                                  "or pass a loop name") from None
        func, holder, body = site.func, site.loop, site.loop.body
    else:
        raise ctx.refuse(f"target={target!r} is neither a function nor a loop",
                         hint=f"functions: {', '.join(sorted(ctx.module.funcs))}")
    streams = {n for n, t in func.buffers().items() if is_stream_type(t)}
    producers: Dict[str, List[str]] = {}
    consumers: Dict[str, List[str]] = {}
    for k, s in enumerate(body):
        if isinstance(s, Alloc):
            continue  # declarations are not tasks
        for name, kinds in _stream_uses(ctx.module, func, [s], streams).items():
            if "put" in kinds:
                producers.setdefault(name, []).append(_task_name(k, s))
            if "get" in kinds:
                consumers.setdefault(name, []).append(_task_name(k, s))
    for name in sorted(streams):
        for role, table in (("producer", producers), ("consumer", consumers)):
            tasks = table.get(name, [])
            if len(tasks) > 1:
                raise ctx.refuse(f"stream {name!r} has {len(tasks)} {role} tasks in the dataflow "
                                 f"region: {', '.join(tasks)}",
                                 hint="each FIFO needs exactly one producer and one consumer task; "
                                      "merge those tasks or use one stream per pair")
    pipelined = pipelined_over(func, holder) if holder is not func else None
    if pipelined is not None:
        raise ctx.refuse(pipelined_dataflow_message(holder, pipelined),
                         hint="pipeline the loops inside the tasks instead, or leave out dataflow")
    _check_plain_buffers(ctx, func, region_tasks(body))
    if holder is not func:
        _check_ping_pong_values(ctx, func, holder)
    ctx.trivial("one producer and one consumer task per stream",
                f"{len(streams)} stream(s) checked; the annotation keeps sequential semantics")
    holder.attrs["dataflow"] = True
    if holder is func:  # the HLS code fills a local array in a process of its own
        settle_fills(ctx, func)


__all__ = ["PEArray", "unfold", "dataflow"]
