"""FIFO sizing: the depth each FIFO needs to be deadlock-free and to stall neither side.

Two numbers per FIFO, each with its reason:

* **deadlock freedom** (exact, from the put/get traces): the symbolic executor logs every
  put and get with its process (:mod:`allo.symexec.fifo_schedule`). FIFO traffic does not
  depend on data (the executor refuses it otherwise), so the network is a Kahn process
  network with blocking single-producer single-consumer FIFOs: one maximal schedule
  decides deadlock for all schedules, and a deeper FIFO never turns a completing network
  into a deadlocking one. The smallest deadlock-free depth of a FIFO is therefore found by
  bisection with :func:`~allo.symexec.fifo_schedule.bounded_run` (the other FIFOs at
  their sequential fill), then the whole vector is checked together (and a FIFO that still
  blocks full is deepened until it completes).
* **stall-free** (the II/latency model, :func:`allo.qor.model.stream_occupancy`): from
  the rates on the dataflow graph's edge (first access and interval of each end), the
  most elements the FIFO holds when neither end waits on a full FIFO.

The computed depth is the larger of the two. A depth given by the user is checked: too
small for deadlock freedom is refused with the put/get schedule that blocks.

Example::

    for d in fifo_depths(s):
        print(d)           # "Y: depth 4 (deadlock-free from 1: ...; stall-free at 4: ...)"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

from ..ir.effects import task_dependencies
from ..ir.nodes import Alloc, Module, walk_stmts
from ..ir.types import BufferType, StreamType
from ..qor.model import stream_occupancy
from ..symexec.fifo_schedule import BoundedRun, bounded_run

#: bisection is skipped (the sequential fill is used) above this many event visits
MAX_SEARCH_WORK = 20_000_000
#: the symbolic run that logs the traces stops after this many operations
MAX_TRACE_OPS = 20_000_000


@dataclass
class Traces:
    """The put/get log of one run: events ``(process, fifo, is_put)``, FIFO names (as
    ``Y`` or ``A_fifo[0, 1]``), declared depths and the fill each reaches in sequential
    order, with the producers and consumers of each FIFO."""

    events: List[Tuple[Any, int, bool]]
    names: List[str]
    declared: List[int]
    sequential_fill: List[int]
    putters: List[set]
    getters: List[set]
    after: Dict[str, Dict[int, Any]]
    #: the ping-pong token channels of dataflow loops (fixed depth 2, not streams to size)
    tokens: Set[int] = field(default_factory=set)

    def index(self, name: str) -> int:
        return self.names.index(name)


class TraceUnavailable(Exception):
    """The design could not be run symbolically to log its FIFO traffic."""


def _stream_shapes(module: Module) -> Dict[str, Tuple[int, ...]]:
    shapes = {}
    for f in module.funcs.values():
        for s in walk_stmts(f.body):
            if isinstance(s, Alloc) and isinstance(s.type, BufferType) and s.type.is_stream:
                shapes[s.name] = s.type.shape
    return shapes


def _multi_name(name: str, shapes: Dict[str, Tuple[int, ...]]) -> str:
    """``A_fifo[5]`` (flat, as the executor names it) -> ``A_fifo[1, 1]`` for shape (4, 4)."""
    base, _, rest = name.partition("[")
    shape = shapes.get(base)
    if not rest or shape is None or len(shape) < 2:
        return name
    flat = int(rest.rstrip("]"))
    idx = []
    for d in reversed(shape):
        idx.append(flat % d)
        flat //= d
    return f"{base}[{', '.join(map(str, reversed(idx)))}]"


def collect_traces(module: Module) -> Traces:
    """Run ``module`` symbolically and return its FIFO traffic.

    Example: ``t = collect_traces(s.ir); t.names``.
    """
    from ..symexec.dag import Dag
    from ..symexec.executor import BudgetExceeded, Deadlock, NotSICF, SymbolicExecutor

    ex = SymbolicExecutor(module, Dag("exact"), max_ops=MAX_TRACE_OPS, progress=False)
    try:
        ex.run()
    except (NotSICF, BudgetExceeded, Deadlock) as e:
        raise TraceUnavailable(str(e)) from None
    procs = [None] * len(ex._pids)
    for proc, pid in ex._pids.items():
        procs[pid] = proc
    events = [(procs[c >> 32], (c >> 1) & 0x7FFFFFFF, bool(c & 1)) for c in ex.trace]
    shapes = _stream_shapes(module)
    putters, getters = ex.fifo_endpoints()
    return Traces(events, [_multi_name(f.name, shapes) for f in ex.fifos], [f.depth for f in ex.fifos],
                  [max(1, f.max_fill) for f in ex.fifos], putters, getters,
                  task_dependencies(module), {f.index for f in ex.fifos if f.token})


def deadlock_free_minimum(traces: Traces, fixed: Optional[Dict[int, int]] = None) -> List[int]:
    """The smallest depth of each FIFO for which the network completes (others at their
    sequential fill, or at ``fixed``), then deepened together until the whole vector
    completes. Example: ``deadlock_free_minimum(collect_traces(s.ir))``.
    """
    fixed = {**{f: traces.declared[f] for f in traces.tokens}, **(fixed or {})}
    upper = [fixed.get(f, u) for f, u in enumerate(traces.sequential_fill)]
    n = len(upper)
    work = len(traces.events) * sum(max(1, u).bit_length() for u in upper)
    if work > MAX_SEARCH_WORK:
        return upper
    best = list(upper)
    for f in range(n):
        if f in fixed:
            continue
        lo, hi = 1, upper[f]
        while lo < hi:
            mid = (lo + hi) // 2
            trial = list(upper)
            trial[f] = mid
            if bounded_run(traces.events, trial, traces.names, traces.after).completed:
                hi = mid
            else:
                lo = mid + 1
        best[f] = lo
    for _ in range(sum(upper) + 1):
        run = bounded_run(traces.events, best, traces.names, traces.after)
        if run.completed:
            return best
        full = _full_fifos(run, traces, best)
        grown = False
        for f in full:
            if f not in fixed and best[f] < upper[f]:
                best[f] += 1
                grown = True
        if not grown:
            return upper
    return upper


def _full_fifos(run: BoundedRun, traces: Traces, depths: Sequence[int]) -> List[int]:
    out = []
    for text in run.blocked:
        for f, name in enumerate(traces.names):
            if f"waits on full FIFO '{name}'" in text:
                out.append(f)
    return out


@dataclass
class FifoDepth:
    """The sizing of one FIFO: ``depth`` (the computed one), ``deadlock_free`` (the
    smallest deadlock-free depth), ``stall_free`` (the II/latency model's, ``None``
    without rates), the ``declared`` depth, and the ``reason`` in words."""

    fifo: str
    depth: int
    deadlock_free: int
    stall_free: Optional[int]
    declared: int
    reason: str

    def __str__(self) -> str:
        return f"{self.fifo}: depth {self.depth} ({self.reason})"


def _edge_rates(module: Module) -> Dict[str, Any]:
    from .graph import dataflow_graph

    rates = {}
    for g in dataflow_graph(module).walk():
        for e in g.edges:
            if e.kind == "stream" and e.produce is not None and e.consume is not None:
                rates.setdefault(e.buffer, e)
    return rates


def size_fifos(module: Module, traces: Optional[Traces] = None) -> List[FifoDepth]:
    """Every FIFO of ``module`` sized, with reasons. Example: ``size_fifos(s.ir)``.
    """
    traces = traces or collect_traces(module)
    minimum = deadlock_free_minimum(traces)
    edges = _edge_rates(module)
    out = []
    for f, name in enumerate(traces.names):
        if f in traces.tokens:
            continue
        e = edges.get(name) or edges.get(name.partition("[")[0])
        stall, why = None, "no rate for this FIFO in the dataflow graph: the deadlock-free depth is used"
        if e is not None and e.produce.rate and e.consume.rate and e.produce.count:
            stall = stream_occupancy(e.produce.count, e.produce.rate, e.consume.rate)
            why = (f"stall-free at {stall}: {e.produce.count} elements put from cycle "
                   f"{e.produce.rate.fill} every {e.produce.rate.interval:g}, got from cycle "
                   f"{e.consume.rate.fill} every {e.consume.rate.interval:g}")
        dead = minimum[f]
        dead_why = (f"deadlock-free from {dead}" + (" (exact, from the put/get traces)"
                                                     if dead < traces.sequential_fill[f] or dead == 1
                                                     else f" (the fill under sequential order)"))
        depth = max(dead, stall or 0)
        out.append(FifoDepth(name, depth, dead, stall, traces.declared[f], f"{dead_why}; {why}"))
    return out


def check_depths(traces: Traces, depths: Sequence[int]) -> BoundedRun:
    """One maximal bounded schedule with ``depths`` (it decides deadlock for all).
    Example: ``check_depths(t, [2]).completed``."""
    return bounded_run(traces.events, depths, traces.names, traces.after)


def settle_depth(ctx: Any, func: str, alloc: Alloc, depth: int,
                 retype: Optional[Callable[[int], None]] = None) -> None:
    """Inside a primitive: give the stream ``alloc`` its computed depth (``depth == -1``),
    or check the given one against deadlock, refusing with the schedule that blocks.

    Example: ``settle_depth(ctx, "top", alloc, -1, retype)``.
    """
    name = alloc.name
    try:
        traces = collect_traces(ctx.module)
    except TraceUnavailable as e:
        if depth == -1:
            ctx.trivial("deadlock-free depth", f"the traces could not be logged ({e}); depth = the "
                        "element count, which never fills in sequential order")
            return
        ctx.assume_unchecked("deadlock-free depth", f"the FIFO traffic could not be logged: {e}")
        return
    if name not in traces.names:
        ctx.trivial("deadlock-free depth", f"{name!r} carries no data in this design")
        return
    f = traces.index(name)
    if depth != -1:
        trial = list(traces.declared)
        trial[f] = depth
        run = check_depths(traces, trial)
        if not run.completed:
            need = deadlock_free_minimum(traces, {k: d for k, d in enumerate(trial) if k != f})[f]
            raise ctx.refuse(f"depth={depth} for FIFO {name!r} deadlocks: "
                             f"{'; '.join(run.blocked[:3])}; the schedule of puts and gets that "
                             f"blocks: {run.schedule_text()}",
                             hint=f"use depth >= {need}, or depth=-1 to compute it")
        ctx.trivial("deadlock-free depth", f"depth {depth}: the bounded schedule of every put/get completes")
        return
    sized = next(d for d in size_fifos(ctx.module, traces) if d.fifo == traces.names[f])
    if retype is not None:
        retype(sized.depth)
    ctx.trivial("deadlock-free depth", str(sized))


def fifo_depths(design: Any) -> List[FifoDepth]:
    """The depth each FIFO of a schedule (or module) needs, with the reason.

    Example: ``[str(d) for d in s.fifo_depths()]``.
    """
    from ..errors import AlloError

    module = design if isinstance(design, Module) else getattr(design, "ir", None)
    if not isinstance(module, Module):
        raise AlloError(f"fifo_depths expects a schedule or a module, got {type(design).__name__}",
                        where="fifo_depths", hint="pass the result of allo.customize(kernel)")
    try:
        return size_fifos(module)
    except TraceUnavailable as e:
        raise AlloError(f"the FIFO traffic of this design cannot be logged: {e}", where="fifo_depths",
                        hint="FIFO sizing needs FIFO operations that do not depend on data") from None


def stream_type(elem: Any, depth: int, shape: Tuple[int, ...] = ()) -> BufferType:
    """The IR type of a stream (array) of ``elem`` with ``depth``.
    Example: ``stream_type(int32, 4)``."""
    return BufferType(StreamType(elem, depth), shape)


__all__ = ["Traces", "TraceUnavailable", "collect_traces", "deadlock_free_minimum", "FifoDepth",
           "size_fifos", "check_depths", "settle_depth", "fifo_depths", "stream_type"]
