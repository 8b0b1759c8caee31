"""Symbolic execution of statically interpretable control flow (SICF).

Loop bounds, branch conditions on loop variables and every address are evaluated
concretely; data (buffer contents, scalar parameters) are DAG nodes. A data-dependent
``If``/``select`` becomes ``select`` nodes: a store under a data-dependent condition
writes ``select(cond, new, old)``. A data-dependent address, loop bound or ``While``
condition is not SICF and stops the run with :class:`NotSICF`.

Streams run in program order with sequential queue semantics (as the LLVM backend does):
reading an empty FIFO is a deadlock, data left in a FIFO at the end is reported, and a
FIFO holding more than its declared depth is reported as a certain deadlock when one
sequential process both overfills and drains it (it would block forever on the full
FIFO), otherwise as a note (concurrent dataflow processes may still be fine).

Example::

    >>> from allo.symexec.dag import Dag
    >>> res = SymbolicExecutor(module, Dag()).run()      # doctest: +SKIP
    >>> res.outputs[0].name, res.ops                     # doctest: +SKIP
    ('C', 4096)
"""

from __future__ import annotations

import sys
import time
from array import array
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ..ir.nodes import Call, Module
from ..ir.state import state_vars
from ..ir.types import AlloType, BufferType, StreamType, bool_, row_major_strides, wrap_int
from .canon import canonical_value
from .codegen import CompileNotSICF, ModuleCompiler
from .dag import Dag
from .fifo_schedule import ROOT, EventLog, any_concurrent, find_deadlock
from .resources import MemoryBudget, MemoryBudgetExceeded, resident_bytes

#: live-outs and input leaves of a design's state (``Stateful`` buffers) are named
#: ``state:func.name``: the state is an input and an output of each call
STATE_PREFIX = "state:"
_INPUT_BYTES = 200  # an input leaf: a DAG node tuple, its hash-cons entry and a list slot


class NotSICF(Exception):
    """The program's control flow or addressing depends on input data (or is unsupported)."""


class OutOfBounds(NotSICF):
    """An access outside its buffer at a concrete address (the program is wrong, not the
    input: the checker confirms it on the reference interpreter)."""


class BudgetExceeded(Exception):
    """The run executed more operations / loop iterations than allowed."""


class Deadlock(Exception):
    """A read of an empty FIFO under sequential order."""


@dataclass
class FifoIssue:
    """A stream problem: ``kind`` is "deadlock", "leftover" or "overflow"; ``certain`` says
    whether hardware certainly misbehaves (otherwise it is a note)."""

    kind: str
    stream: str
    message: str
    certain: bool = True
    # a certain deadlock decided for every schedule: each FIFO has one producer and one
    # consumer process (Kahn network, determinate), so the logged schedule decides
    kahn: bool = False

    def __str__(self) -> str:
        return f"{'' if self.certain else 'note: '}{self.kind}: {self.message}"


@dataclass
class LiveOut:
    """One live-out: a returned value (``return[i]``) or a buffer argument after the run."""

    name: str
    shape: Tuple[int, ...]
    dtype: AlloType
    cells: List[int]


@dataclass
class SymResult:
    outputs: List[LiveOut]
    issues: List[FifoIssue] = field(default_factory=list)
    ops: int = 0
    seconds: float = 0.0


class View:
    """A (sub-)view of a flat storage list: ``offset`` plus row-major ``strides``."""

    __slots__ = ("name", "store", "offset", "shape", "strides", "dtype", "depth")

    def __init__(self, name, store, offset, shape, dtype, depth=None):
        self.name, self.store, self.offset, self.shape = name, store, offset, tuple(shape)
        self.dtype, self.depth = dtype, depth
        self.strides = row_major_strides(self.shape)

    def flat(self, idx: Tuple[int, ...]) -> int:
        if len(idx) != len(self.shape):
            raise NotSICF(f"'{self.name}' has rank {len(self.shape)}, indexed with {len(idx)} indices")
        off = self.offset
        for i, d, s in zip(idx, self.shape, self.strides):
            if not 0 <= i < d:
                raise NotSICF(f"out-of-bounds access {self.name}{list(idx)} (shape {self.shape})")
            off += i * s
        return off

    def sub(self, prefix: Tuple[int, ...]) -> "View":
        k = len(prefix)
        off = self.flat(tuple(prefix) + (0,) * (len(self.shape) - k)) if k else self.offset
        return View(f"{self.name}{list(prefix)}", self.store, off, self.shape[k:], self.dtype,
                    self.depth)

    def cells(self) -> List[Any]:
        n = 1
        for d in self.shape:
            n *= d
        return self.store[self.offset:self.offset + n]


class _Fifo:
    """One FIFO of a stream (array). ``get_code``/``put_code`` are its trace events (see
    :attr:`SymbolicExecutor.trace`) without the process id."""

    __slots__ = ("name", "depth", "index", "items", "max_fill", "overflow_by", "get_code",
                 "put_code", "token")

    def __init__(self, name: str, depth: int, index: int) -> None:
        self.name, self.depth, self.index = name, depth, index
        self.items: deque = deque()
        self.max_fill = 0
        self.overflow_by: Optional[Any] = None  # process that first overfilled it
        self.get_code, self.put_code = index << 1, index << 1 | 1
        self.token = False  # a ping-pong token of a dataflow loop (pipo_alloc), not a stream


class SymbolicExecutor:
    """Runs ``module``'s top function on symbolic inputs, building nodes in ``dag``.

    The IR is compiled once into Python functions (:mod:`allo.symexec.codegen`) that call
    back into this object for the rare operations (FIFOs, concrete checks, budget).
    ``max_ops`` bounds the work (``BudgetExceeded``), ``max_while`` the iterations of one
    ``While``; ``progress`` draws a progress line on stderr for runs longer than 2 s
    (default: when stderr is a TTY), ``expected_ops`` turns it into a bar.
    Example: ``SymbolicExecutor(mod, Dag()).run().outputs``.
    """

    def __init__(self, module: Module, dag: Dag, *, max_ops: int = 200_000_000,
                 max_while: int = 1_000_000, progress: Optional[bool] = None,
                 input_names: Optional[List[str]] = None, label: str = "",
                 expected_ops: Optional[int] = None,
                 memory: Optional[MemoryBudget] = None, summaries: Any = None,
                 summary_labels: Optional[Dict[str, str]] = None) -> None:
        self.module, self.dag = module, dag
        # modular proofs (allo.symexec.modular): calls to these callees are summarized
        self.summaries = summaries
        self.summary_labels: Dict[str, str] = dict(summary_labels or {})
        self.callee_runs: Dict[str, int] = {}  # function bodies executed symbolically
        # the leaves are named by these (by position), so two programs share their inputs
        self.input_names = input_names
        self.max_ops, self.max_while = max_ops, max_while
        self.memory = memory if memory is not None else MemoryBudget()
        self.ops = 0
        self.limit = 1 << 16  # next ops count at which check() runs
        self.process: Any = ROOT
        self.fifos: List[_Fifo] = []
        # every put/get as (process id << 32 | fifo index << 1 | is_put), for the
        # bounded-FIFO deadlock check (fifo_schedule) when a FIFO exceeds its depth
        self.trace = array("q")
        self._trace = self.trace.append
        self._pids: Dict[Any, int] = {}
        self._last_proc: Any = object()  # the process of the last FIFO access, and its pid
        self._last_pid = -1
        self._tokens = 0
        self._t0 = 0.0
        self._progress = sys.stderr.isatty() if progress is None else progress
        self._shown = False
        self.label, self.expected_ops = label, expected_ops

    # ------------------------------------------------------------ entry
    def run(self) -> SymResult:
        """Execute the top function; returns live-outs, stream issues and statistics."""
        self._t0 = time.perf_counter()
        func = self.module.top_func
        args: List[Any] = []
        for k, p in enumerate(func.params):
            t = p.type
            leaf = self.input_names[k] if self.input_names else p.name
            if isinstance(t, StreamType) or (isinstance(t, BufferType) and t.is_stream):
                raise NotSICF(f"stream parameter '{p.name}' of the top function is not supported")
            if isinstance(t, BufferType):
                self.reserve(t.size, _INPUT_BYTES)
                store = self.dag.input_block(leaf, t.size, t.dtype)
                self.dag.shapes[leaf] = t.shape
                args.append(View(p.name, store, 0, t.shape, t.dtype))
            else:
                args.append(self.dag.input(leaf, -1, t))
        self.state = {}
        for v in sorted(state_vars(self.module), key=lambda v: v.key):
            # the state before the call: symbolic, the same leaves in both programs compared
            leaf, t = STATE_PREFIX + v.key, v.type
            self.reserve(t.size, _INPUT_BYTES)
            self.state[v.key] = (t, [self.dag.input(leaf, c, t.dtype) for c in range(t.size)])
            self.dag.shapes[leaf] = t.shape
        self.count_call(func.name)
        try:
            unit = ModuleCompiler(self.module, self.dag, self)
            try:
                top = unit.function(func.name)
                with np.errstate(all="ignore"):
                    returned = top(None, *args)
            finally:
                # the generated functions and their globals refer to each other: a cycle
                # holding the whole run (the collector may be paused: see verify_modules)
                unit.release()
        except CompileNotSICF as e:
            raise NotSICF(str(e)) from None
        except RecursionError:
            raise NotSICF("recursion too deep (recursive calls are not SICF)") from None
        finally:
            self._finish_progress()
        outputs: List[LiveOut] = []
        for i, (val, rtype) in enumerate(zip(returned, func.results)):
            if isinstance(val, View):
                outputs.append(LiveOut(f"return[{i}]", val.shape, val.dtype, list(val.cells())))
            else:
                outputs.append(LiveOut(f"return[{i}]", (), rtype, [val]))
        for k, (p, v) in enumerate(zip(func.params, args)):
            if isinstance(v, View):  # named by position, as the inputs are
                name = self.input_names[k] if self.input_names else p.name
                outputs.append(LiveOut(name, v.shape, v.dtype, list(v.cells())))
        for key, (t, store) in self.state.items():  # the state after the call: an output too
            outputs.append(LiveOut(STATE_PREFIX + key, t.shape, t.dtype, list(store)))
        return SymResult(outputs, self._fifo_issues(), self.ops, time.perf_counter() - self._t0)

    def state_store(self, key: str) -> List[Any]:
        """The storage list of state ``key`` (shared by every call of its function)."""
        entry = self.state.get(key)
        if entry is None:
            raise NotSICF(f"state '{key}' of a function the top function does not reach")
        return entry[1]

    # ------------------------------------------------------------ callbacks of generated code
    def check(self) -> None:
        """Budget and progress, every 65536 ops or so."""
        self.limit = self.ops + (1 << 16)
        if self.ops > self.max_ops:
            self.over()
        self.memory.check()
        if self._progress:
            elapsed = time.perf_counter() - self._t0
            if elapsed > 2.0:
                self._shown = True
                sys.stderr.write("\r" + progress_line(self.label, self.ops, elapsed,
                                                       self.expected_ops))
                sys.stderr.flush()

    def reserve(self, cells: int, per_cell: int = 8) -> None:
        """Refuse (memory budget) before building a storage list of ``cells`` cells that
        would not fit: one allocation can exceed the budget between two ``check()``s."""
        if cells * per_cell > (1 << 20):
            self.memory.check()
            grown = max(0, (resident_bytes() or 0) - self.memory.baseline)
            if grown + cells * per_cell > self.memory.limit:
                raise MemoryBudgetExceeded(
                    f"a buffer of {cells:,} cells needs about {cells * per_cell / 2**20:,.0f} "
                    f"MiB, over the remaining budget of "
                    f"{(self.memory.limit - grown) / 2**20:,.0f} MiB (verify(max_memory=...) in bytes)")

    def count_call(self, callee: str) -> None:
        """Count a callee body executed symbolically (the modular proofs' counter)."""
        self.callee_runs[callee] = self.callee_runs.get(callee, 0) + 1

    def over(self) -> None:
        raise BudgetExceeded(f"more than {self.max_ops} operations")

    def while_budget(self) -> None:
        raise BudgetExceeded(f"while loop ran more than {self.max_while} iterations")

    def token(self) -> int:
        self._tokens += 1
        return self._tokens

    @staticmethod
    def wrap64(v: int) -> int:
        return v if -(1 << 63) <= v < (1 << 63) else wrap_int(v, 64, True)

    @staticmethod
    def not_sicf(msg: str) -> None:
        raise NotSICF(msg)

    @staticmethod
    def oob(v: int, extent: int, what: str) -> int:
        w = wrap_int(v, 64, True)
        if 0 <= w < extent:
            return w
        raise OutOfBounds(f"out-of-bounds access: {what} is {w}, outside [0, {extent})")

    def concrete(self, nid: int, what: str) -> int:
        """The int value of a node that SICF requires to be constant."""
        v = canonical_value(self.dag, nid)
        if v is None:
            raise NotSICF(f"{what} depends on input data: {self.dag.pretty(nid, 80)}")
        return int(v)

    def cond(self, nid: int) -> Optional[int]:
        v = canonical_value(self.dag, nid)
        return None if v is None else int(v != 0)

    def _as_bool(self, c: int) -> int:
        dag = self.dag
        t = dag.type_of(c)
        return c if t == bool_ else dag.op("ne", bool_, (c, dag.const(0, t)))

    def guard(self, c: int, saved: Optional[int]) -> int:
        cond = self._as_bool(c)
        return cond if saved is None else self.dag.op("land", bool_, (saved, cond))

    def guard_not(self, c: int, saved: Optional[int]) -> int:
        cond = self.dag.op("lnot", bool_, (self._as_bool(c),))
        return cond if saved is None else self.dag.op("land", bool_, (saved, cond))

    def view(self, name: str, store: List[Any], shape: Tuple[int, ...], dtype: AlloType,
             depth: int) -> "View":
        return View(name, store, 0, shape, dtype, depth or None)

    @staticmethod
    def check_view(view: "View", shape: Tuple[int, ...], param: str, func: str) -> None:
        if view.shape != shape:
            raise NotSICF(f"'{func}' parameter '{param}' has shape {shape} but is given a "
                          f"view of shape {view.shape}")

    def bind(self, store: List[Any], off: int, size: int, val: Any, pc: Optional[int],
             sel: Any, name: str) -> None:
        """Copy a call result into the local buffer ``name`` (under ``pc``: a select)."""
        src = val.cells() if isinstance(val, View) else [val]
        if len(src) != size:
            raise NotSICF(f"a call result does not fit '{name}'")
        if pc is None:
            store[off:off + size] = src
        else:
            for k, v in enumerate(src):
                store[off + k] = sel(pc, v, store[off + k])

    def fifo_alloc(self, name: str, shape: Tuple[int, ...], depth: int) -> List["_Fifo"]:
        n = 1
        for d in shape:
            n *= d
        base = len(self.fifos)
        store = [_Fifo(name + (f"[{k}]" if shape else ""), depth, base + k) for k in range(n)]
        self.fifos.extend(store)
        return store

    def pipo_alloc(self, label: str, pairs: List[Tuple[int, int]]) -> Dict[Tuple[int, int], Tuple["_Fifo", "_Fifo"]]:
        """Token FIFOs for the ping-pong buffers of dataflow loop ``label`` (kept as a loop),
        per (writer task, reader task) pair: ``filled`` (the writer puts one per finished
        iteration, the reader gets one before its iteration) and ``released`` (the reader
        puts one per finished iteration, the writer gets one before iteration ``i >= 2``):
        two buffers, as Vitis HLS's default ping-pong. They carry no data.

        Example: ``X.pipo_alloc("ni", [(1, 3)])[(1, 3)][0].name``.
        """
        out = {}
        for j, k in pairs:
            made = [self.fifo_alloc(f"ping-pong {label} task {j} -> task {k} ({what})", (), 2)[0]
                    for what in ("filled", "released")]
            for f in made:
                f.token = True
            out[(j, k)] = (made[0], made[1])
        return out

    def get(self, fifo: "_Fifo", pc: Optional[int]) -> int:
        items = fifo.items
        if pc is None and items and self.process is self._last_proc:  # the common case
            self._trace(self._last_pid | fifo.get_code)
            return items.popleft()
        if pc is not None:
            raise NotSICF(f"read of stream '{fifo.name}' under a data-dependent condition")
        self._trace(self._pid(self.process) | fifo.get_code)
        if not items:
            raise Deadlock(f"read of empty FIFO '{fifo.name}' (sequential order)")
        return items.popleft()

    def put(self, fifo: "_Fifo", value: int, pc: Optional[int]) -> None:
        if pc is not None:
            raise NotSICF(f"write to stream '{fifo.name}' under a data-dependent condition")
        items = fifo.items
        items.append(value)
        proc = self.process
        self._trace((self._last_pid if proc is self._last_proc else self._pid(proc)) | fifo.put_code)
        if len(items) > fifo.max_fill:
            fifo.max_fill = len(items)
            if fifo.max_fill > fifo.depth and fifo.overflow_by is None:
                fifo.overflow_by = proc

    def put_checked(self, fifo: "_Fifo", pc: Optional[int]) -> None:
        """Refuse an inline FIFO write (codegen) under a data-dependent condition."""
        if pc is not None:
            raise NotSICF(f"write to stream '{fifo.name}' under a data-dependent condition")

    def overfilled(self, fifo: "_Fifo") -> None:
        """An inline FIFO write took ``fifo`` past its depth: remember the first process."""
        if fifo.overflow_by is None:
            fifo.overflow_by = self.process

    def process_id(self) -> int:
        """The current process's number in the trace, shifted into place (``pid << 32``)."""
        proc = self.process
        return self._last_pid if proc is self._last_proc else self._pid(proc)

    def _pid(self, proc: Any) -> int:
        """The number of process ``proc`` in the trace, shifted into place; remembered for the
        next FIFO access (a process tuple nests its parents: hashing it per access is costly)."""
        pid = self._pids.get(proc)
        if pid is None:
            pid = self._pids[proc] = len(self._pids)
        self._last_proc, self._last_pid = proc, pid << 32
        return pid << 32

    def _finish_progress(self) -> None:
        if self._shown:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._shown = False

    # ------------------------------------------------------------ streams
    def _fifo_issues(self) -> List[FifoIssue]:
        issues: List[FifoIssue] = []
        over = [f for f in self.fifos if f.overflow_by is not None]
        # sequential order that never exceeds a depth is itself a legal bounded schedule;
        # otherwise decide deadlock over all concurrent schedules from the traces
        unmodelled = self._unmodelled_loop_regions() if over else None
        if unmodelled:
            issues.append(FifoIssue("unmodelled", over[0].name, f"FIFO '{over[0].name}' holds up to "
                                    f"{over[0].max_fill} elements under sequential order but its "
                                    f"depth is {over[0].depth}, and {unmodelled}: the bounded-FIFO "
                                    "check does not model it, so deadlock freedom is not decided",
                                    certain=False))
            return issues
        blocked = self._bounded_fifo_deadlock() if over else None
        for f in self.fifos:
            if f.items:
                issues.append(FifoIssue("leftover", f.name, f"{len(f.items)} element(s) left in "
                                        f"FIFO '{f.name}' at the end"))
        if blocked:
            over_by = ", ".join(f"'{f.name}' holds up to {f.max_fill} (depth {f.depth})" for f in over)
            shared = self._shared_fifos()
            why = (f"; FIFO '{shared[0]}' has several producer or consumer processes, so one "
                   "schedule does not decide every schedule") if shared else ""
            issues.append(FifoIssue("overflow", over[0].name, f"under sequential order FIFO {over_by}; "
                                    f"{blocked}{why}", kahn=not shared))
            return issues
        shared = self._shared_fifos() if len(self._pids) > 1 else []
        if shared:
            # several concurrent processes put to (or get from) one FIFO: the order of its
            # elements, and deadlock, depend on the schedule; sequential order is one of many
            issues.append(FifoIssue("shared", shared[0], f"FIFO '{shared[0]}' has several producer "
                                    "or consumer processes: its element order depends on the "
                                    "schedule, so the sequential run does not decide the hardware"))
        for f in over:
            issues.append(FifoIssue("overflow", f.name, f"FIFO '{f.name}' holds up to {f.max_fill} "
                                    f"elements under sequential order but its depth is {f.depth}; "
                                    "the concurrent processes complete with these depths "
                                    "(bounded-FIFO check of every put/get)", certain=False))
        return issues

    def fifo_endpoints(self) -> Tuple[List[set], List[set]]:
        """Per FIFO (by index), the processes that put to it and those that get from it,
        read off the trace (the hot path records events only).

        Example: ``putters, getters = ex.fifo_endpoints(); len(putters[0])``.
        """
        procs = [None] * len(self._pids)
        for proc, pid in self._pids.items():
            procs[pid] = proc
        putters: List[set] = [set() for _ in self.fifos]
        getters: List[set] = [set() for _ in self.fifos]
        # distinct events first (numpy, over the whole log): a few per FIFO, not one per put
        for code in np.unique(np.frombuffer(self.trace, dtype=np.int64)).tolist():
            (putters if code & 1 else getters)[(code >> 1) & 0x7FFFFFFF].add(procs[code >> 32])
        return putters, getters

    def _shared_fifos(self) -> List[str]:
        """FIFOs that several processes put to, or several get from: per (FIFO, direction)
        the smallest and largest process id in the log differ (numpy, linear time)."""
        codes = np.frombuffer(self.trace, dtype=np.int64)
        if not len(codes):
            return []
        ends, pids = codes & 0xFFFFFFFF, codes >> 32  # (fifo << 1 | is_put), process id
        lo = np.full(2 * len(self.fifos), np.iinfo(np.int64).max)
        hi = np.full(2 * len(self.fifos), -1)
        np.minimum.at(lo, ends, pids)
        np.maximum.at(hi, ends, pids)
        several = np.nonzero((hi >= 0) & (lo != hi))[0].tolist()  # fifo << 1 | is_put
        if not several:
            return []
        # several processes at one end: a problem only when two of them can overlap (two
        # runs of one region, e.g. a dataflow loop inside another loop, run in turn)
        putters, getters = self.fifo_endpoints()
        shared = {end >> 1 for end in several
                  if any_concurrent(list((putters if end & 1 else getters)[end >> 1]))}
        return [f.name for f in self.fifos if f.index in shared]

    def _unmodelled_loop_regions(self) -> Optional[str]:
        """Why the bounded-FIFO replay cannot decide a dataflow loop of this design, or
        ``None``: a partially unrolled one has copies that each run some of the
        iterations, which the replay does not model."""
        from ..ir.effects import sequential_dataflow_loops

        partial = sorted(label for label, how in sequential_dataflow_loops(self.module).items()
                         if how == "partial")
        return f"dataflow loop '{partial[0]}' is partially unrolled" if partial else None

    def _bounded_fifo_deadlock(self) -> Optional[str]:
        procs = [None] * len(self._pids)
        for proc, pid in self._pids.items():
            procs[pid] = proc
        from ..ir.effects import task_dependencies

        return find_deadlock(EventLog(self.trace, procs), [f.depth for f in self.fifos],
                             [f.name for f in self.fifos], task_dependencies(self.module),
                             _called_instances(self.module))


def _called_instances(module: Module) -> Dict[Tuple[str, int], str]:
    """``(function, statement index) -> callee`` for the calls in function bodies: a
    dataflow task that calls a process instance is named after it (``writer_0``)."""
    return {(f.name, k): s.callee for f in module.funcs.values() if f.attrs.get("dataflow")
            for k, s in enumerate(f.body) if isinstance(s, Call)}


def progress_line(label: str, ops: int, elapsed: float, expected: Optional[int]) -> str:
    """One progress line: a bar when the total is estimated, else a counter.

    Example: ``progress_line("B", 500, 3.0, 1000)`` starts with ``"symexec B [#####"``.
    """
    rate = f"{ops:,} ops, {ops / max(elapsed, 1e-9):,.0f} ops/s, {elapsed:.0f} s"
    if expected:
        frac = min(ops / expected, 0.99)
        fill = int(frac * 30)
        return f"symexec {label} [{'#' * fill}{'.' * (30 - fill)}] {frac:4.0%} {rate}   "
    return f"symexec {label}: {rate}   "


def run_symbolic(module: Module, dag: Optional[Dag] = None, **opts: Any) -> SymResult:
    """Symbolically execute ``module``. Example: ``run_symbolic(mod).outputs[0].cells``."""
    return SymbolicExecutor(module, dag if dag is not None else Dag(), **opts).run()


__all__ = ["SymbolicExecutor", "SymResult", "LiveOut", "FifoIssue", "NotSICF", "OutOfBounds",
           "BudgetExceeded", "Deadlock", "View", "run_symbolic", "progress_line"]
