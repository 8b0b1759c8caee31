"""Deadlock freedom of bounded FIFOs between concurrent processes, from concrete traces.

The symbolic executor runs dataflow processes one after another (sequential order) and
logs every FIFO ``put``/``get`` with the process that made it. A FIFO that holds more
than its depth under sequential order does not by itself mean a hardware deadlock:
processes of a dataflow region run concurrently, so the consumer drains while the
producer fills. This module decides the question exactly for the logged traces.

Model: a process is a sequence of steps, each a ``put`` or ``get`` on one FIFO or a
*region* (a set of child processes that start together and must all finish before the
parent continues: a dataflow region, the PEs of an unfolded loop). A ``put`` blocks
while its FIFO holds ``depth`` elements, a ``get`` while it is empty. Control flow and
FIFO traffic are data-independent (the executor refuses FIFO operations under a
data-dependent condition), so every process's trace is fixed, and the network is a Kahn
process network with bounded channels: it is determinate, so *every* schedule reaches the
same final state and one maximal schedule decides deadlock for all of them. The check
runs one greedy schedule with wake-ups (linear in the number of events).

Example::

    >>> procs = {("top",): Proc(None, [])}                  # doctest: +SKIP
    >>> blocked = find_deadlock(trace, procs, depths)      # doctest: +SKIP
    >>> # blocked is None: deadlock-free
"""

from __future__ import annotations

from array import array
from collections import deque
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

ROOT: Tuple[str] = ("top",)


def parent_and_region(proc: Any) -> Tuple[Any, Any]:
    """The parent process and the region instance of a process tuple.

    Process tuples are ``(parent, region_token, *label)``; the root is ``("top",)``.
    Example: ``parent_and_region((("top",), 7, "PE", 3)) == (("top",), (("top",), 7))``.
    """
    return proc[0], (proc[0], proc[1])


def _chain(proc: Any) -> List[Any]:
    """``proc`` and its ancestors, root last."""
    out = [proc]
    while out[-1] != ROOT:
        out.append(out[-1][0])
    return out


def any_concurrent(procs: Sequence[Any]) -> bool:
    """Whether two of the processes ``procs`` can run at the same time: both lie (or have
    ancestors) in the same region instance under different labels. Processes in two runs
    of a region (two region instances of one parent, which runs them one after the
    other), or a process and its ancestor, never overlap. Linear in the chains' lengths.

    Example: ``any_concurrent([(ROOT, 1, "ni", None, 2), (ROOT, 2, "ni", None, 2)])`` is
    False (two runs of one region); with both under region 1 and labels 2 and 3, True.
    """
    labels: Dict[Any, Any] = {}
    for proc in procs:
        for p in _chain(proc)[:-1]:
            region, label = parent_and_region(p)[1], p[2:]
            seen = labels.setdefault(region, label)
            if seen != label:
                return True
    return False


class EventLog:
    """The sequential put/get log in the executor's encoding: ``codes[i]`` is
    ``pid << 32 | fifo << 1 | is_put`` and ``procs[pid]`` the process tuple (a million
    events for a 64x64 systolic array: ints in an array, not tuples).

    Example: ``EventLog.of([(ROOT, 0, True)]).codes.tolist() == [1]``.
    """

    def __init__(self, codes: Any, procs: Sequence[Any]) -> None:
        self.codes = np.asarray(codes, dtype=np.int64)
        self.procs = list(procs)

    @classmethod
    def of(cls, events: Sequence[Tuple[Any, int, bool]]) -> "EventLog":
        """The log of ``(process, fifo, is_put)`` events."""
        pids: Dict[Any, int] = {}
        codes = array("q")
        last, last_pid = object(), 0
        for proc, fifo, is_put in events:
            if proc is not last:
                pid = pids.get(proc)
                if pid is None:
                    pid = pids[proc] = len(pids)
                last, last_pid = proc, pid << 32
            codes.append(last_pid | fifo << 1 | bool(is_put))
        return cls(codes, list(pids))

    def events(self) -> List[Tuple[Any, int, bool]]:
        """The log as ``(process, fifo, is_put)`` tuples."""
        return [_event(self.procs, c) for c in self.codes.tolist()]


def _event(procs: Sequence[Any], code: int) -> Tuple[Any, int, bool]:
    return procs[code >> 32], (code >> 1) & 0x7FFFFFFF, bool(code & 1)


class _Steps:
    """Each process's steps, by process number: an event code (a put or get, as logged)
    or ``-1 - r`` for region ``r`` (``regions[r]``: the numbers of its child processes).
    ``procs[i]`` is process ``i``'s tuple: the logged processes first (their pids), then
    the processes with no FIFO traffic of their own (ancestors of logged ones)."""

    def __init__(self, log: EventLog) -> None:
        codes, procs = log.codes, list(log.procs)
        self.procs = procs
        number = {p: i for i, p in enumerate(procs)}
        if ROOT not in number:
            number[ROOT] = len(procs)
            procs.append(ROOT)
        self.root = number[ROOT]
        n_logged = len(log.procs)
        pids = codes >> 32
        order = np.argsort(pids, kind="stable")  # each process's events, in log order
        bounds = np.searchsorted(pids[order], np.arange(n_logged + 1)).tolist()
        by_proc = codes[order].tolist()
        first = [order[bounds[i]] if bounds[i] < bounds[i + 1] else len(codes)
                 for i in range(n_logged)]
        self.regions: List[List[int]] = []
        region_of: Dict[Any, int] = {}
        placed = {self.root}
        marks: Dict[int, List[Tuple[int, int]]] = {}  # parent -> (first event, region)
        # under sequential order a region's events are contiguous between its parent's own
        # steps: the first event of a region instance places the region in the parent
        for pid in sorted(range(n_logged), key=first.__getitem__):
            at = first[pid]
            if at == len(codes):
                continue  # logged without events (cannot happen in an executor's log)
            for p in reversed(_chain(procs[pid])[:-1]):  # from the root's child down
                me = number.get(p)
                if me is None:
                    me = number[p] = len(procs)
                    procs.append(p)
                if me in placed:
                    continue
                placed.add(me)
                parent, region = parent_and_region(p)
                parent_no = number.get(parent)
                if parent_no is None:
                    parent_no = number[parent] = len(procs)
                    procs.append(parent)
                r = region_of.get(region)
                if r is None:
                    r = region_of[region] = len(self.regions)
                    self.regions.append([])
                    marks.setdefault(parent_no, []).append((at, r))
                self.regions[r].append(me)
        self.steps: List[List[int]] = [by_proc[bounds[i]:bounds[i + 1]] for i in range(n_logged)]
        self.steps += [[] for _ in range(len(procs) - n_logged)]
        for parent_no, regs in marks.items():  # regions between the parent's own steps
            own = self.steps[parent_no]
            if not own:
                self.steps[parent_no] = [-1 - r for _, r in regs]
                continue
            own_at = order[bounds[parent_no]:bounds[parent_no + 1]]
            where = np.searchsorted(own_at, [at for at, _ in regs]).tolist()
            merged: List[int] = []
            prev = 0
            for w, (_, r) in zip(where, regs):
                merged += own[prev:w]
                merged.append(-1 - r)
                prev = w
            self.steps[parent_no] = merged + own[prev:]


def build_steps(events: Sequence[Tuple[Any, int, bool]]) -> Dict[Any, List[Any]]:
    """Each process's steps from the sequential event log ``(process, fifo, is_put)``.

    A step is ``(fifo, is_put)`` or ``("region", [child processes])``. Under sequential
    order a region's events are contiguous between its parent's own steps, so the first
    event of a region instance places the region in the parent's steps.
    Example: ``build_steps([(ROOT, 0, True)]) == {ROOT: [(0, True)]}``.
    """
    st = _Steps(EventLog.of(events))
    procs = st.procs
    return {procs[i]: [("region", [procs[c] for c in st.regions[-1 - x]]) if x < 0 else
                       _event(procs, x)[1:] for x in body]
            for i, body in enumerate(st.steps) if body or i == st.root}


@dataclass
class BoundedRun:
    """One maximal schedule of the processes with bounded FIFOs.

    ``codes``: every put/get in the order it ran (the log's encoding, see
    :class:`EventLog`; :attr:`schedule` decodes it); ``blocked``: why each unfinished
    process waits (empty when the network completed).
    """

    completed: bool
    codes: Any
    procs: Sequence[Any]
    blocked: List[str]
    names: Sequence[str]
    task_names: Optional[Dict[Tuple[str, int], str]] = None

    @property
    def schedule(self) -> List[Tuple[Any, int, bool]]:
        """Every put/get in the order it ran, as ``(process, fifo, is_put)``."""
        return EventLog(self.codes, self.procs).events()

    def schedule_text(self, last: int = 12) -> str:
        """The interleaving, run-length encoded (``top task 0: put 'Y' x3``), its last
        ``last`` runs. Example: ``run.schedule_text()``."""
        runs: List[List[Any]] = []
        for code in np.asarray(self.codes, dtype=np.int64).tolist():
            if runs and runs[-1][0] == code:
                runs[-1][1] += 1
            else:
                runs.append([code, 1])
        shown = [(_event(self.procs, code), n) for code, n in runs[-last:]]
        parts = [f"{_label(p, self.task_names)}: {'put' if put else 'get'} '{self.names[f]}' x{n}"
                 for (p, f, put), n in shown]
        head = f"... ({len(runs) - last} earlier runs), " if len(runs) > last else ""
        return head + ", then ".join(parts) if parts else "nothing ran"


def bounded_run(events: Union[Sequence[Tuple[Any, int, bool]], EventLog],
                depths: Sequence[int], names: Sequence[str],
                after: Optional[Dict[str, Dict[int, Any]]] = None,
                task_names: Optional[Dict[Tuple[str, int], str]] = None) -> BoundedRun:
    """Run the processes of the sequential event log (``(process, fifo, is_put)`` events
    or an :class:`EventLog`) with FIFO ``f`` holding at most ``depths[f]`` elements,
    greedily with wake-ups, until all finish or none can move.
    ``after[label][k]`` (:func:`allo.ir.effects.task_dependencies`) lists the tasks of a
    dataflow region that task ``k`` waits for (it reads an array they write: a ping-pong
    buffer, available once the writer finishes). ``task_names[(label, k)]`` names task
    ``k`` of a region in messages (the instance it calls, e.g. ``writer_0``).

    Example: ``bounded_run([(ROOT, 0, True)] * 3 + [(ROOT, 0, False)] * 3, [2], ["S"]).completed``
    is False.
    """
    log = events if isinstance(events, EventLog) else EventLog.of(events)
    st = _Steps(log)
    procs, steps, regions = st.procs, st.steps, st.regions
    n = len(procs)
    pos = [0] * n
    fill = [0] * len(depths)
    # processes blocked on a FIFO, by the code of what they wait to do (fifo << 1 | is_put)
    waiting: Dict[int, List[int]] = {}
    pending: List[Optional[int]] = [None] * n  # children of its current region not finished
    parent_of: List[Optional[int]] = [None] * n
    ready = deque([st.root])
    finished = [False] * n
    schedule = array("q")
    blockers: Dict[int, set] = {}  # a task -> the sibling tasks it still waits for
    unblocks: Dict[int, List[int]] = {}  # a task -> the siblings waiting for it

    def start(children: List[int]) -> None:
        by_task = {(procs[c][3], procs[c][4]): c for c in children if len(procs[c]) == 5}
        for c in children:
            proc = procs[c]
            deps = (after or {}).get(proc[2], {}).get(proc[4], ()) if len(proc) == 5 else ()
            mine = {by_task[(proc[3], k)] for k in deps if (proc[3], k) in by_task}
            if mine:
                blockers[c] = mine
                for d in mine:
                    unblocks.setdefault(d, []).append(c)
            else:
                ready.append(c)
    # the replay makes about a million steps for a 64x64 systolic array: locals, not lookups
    record = schedule.append
    wake = ready.extend
    woken = waiting.pop
    while ready:
        p = ready.popleft()
        body = steps[p]
        k = pos[p]
        end = len(body)
        while k < end:
            step = body[k]
            if step < 0:  # a region
                if pending[p] is None:
                    children = regions[-1 - step]
                    pending[p] = len(children)
                    for c in children:
                        parent_of[c] = p
                    start(children)
                if pending[p]:
                    break  # woken when the last child finishes
                pending[p] = None
                k += 1
                continue
            fifo = (step >> 1) & 0x7FFFFFFF
            if step & 1:
                if fill[fifo] >= depths[fifo]:
                    waiting.setdefault(step & 0xFFFFFFFF, []).append(p)
                    break
                fill[fifo] += 1
            else:
                if fill[fifo] == 0:
                    waiting.setdefault(step & 0xFFFFFFFF, []).append(p)
                    break
                fill[fifo] -= 1
            if waiting:  # a put wakes the FIFO's getters, a get its putters
                wake(woken((step & 0xFFFFFFFF) ^ 1, ()))
            record(step)
            k += 1
        pos[p] = k
        if k == end and not finished[p]:
            finished[p] = True
            for c in unblocks.pop(p, ()):
                blockers[c].discard(p)
                if not blockers[c]:
                    del blockers[c]
                    ready.append(c)
            parent = parent_of[p]
            if parent is not None:
                pending[parent] -= 1
                if pending[parent] == 0:
                    ready.append(parent)
    blocked = []
    if not finished[st.root]:
        for code, waiters in sorted(waiting.items()):
            fifo, what = code >> 1, "full" if code & 1 else "empty"
            for p in waiters:
                if not finished[p]:
                    blocked.append(f"{_label(procs[p], task_names)} waits on {what} FIFO "
                                   f"'{names[fifo]}' (depth {depths[fifo]})")
        for c, deps in blockers.items():
            blocked.append(f"{_label(procs[c], task_names)} waits for "
                           f"{', '.join(sorted(_label(procs[d], task_names) for d in deps))} "
                           "to finish (it reads an array they write)")
        blocked = blocked or ["no process can proceed"]
    return BoundedRun(finished[st.root], schedule, procs, blocked, names, task_names)


def find_deadlock(events: Union[Sequence[Tuple[Any, int, bool]], EventLog], depths: Sequence[int],
                  names: Sequence[str], after: Optional[Dict[str, Dict[int, Any]]] = None,
                  task_names: Optional[Dict[Tuple[str, int], str]] = None) -> Optional[str]:
    """``None`` when the bounded-FIFO network completes, else why it blocks, with the
    interleaving of puts and gets that leads there.

    ``depths[f]`` and ``names[f]`` describe FIFO ``f``. Example: one process that puts
    three items into a FIFO of depth 2 before getting them blocks:
    ``find_deadlock([(ROOT, 0, True)] * 3 + [(ROOT, 0, False)] * 3, [2], ["S"])``
    returns a message naming 'S'.
    """
    run = bounded_run(events, depths, names, after, task_names)
    if run.completed:
        return None
    detail = "; ".join(run.blocked[:4]) + (f"; ... ({len(run.blocked)} blocked)" if len(run.blocked) > 4 else "")
    return ("the concurrent processes deadlock with these FIFO depths (under every "
            f"schedule): {detail}; the schedule of puts and gets that blocks: {run.schedule_text()}")


def _label(proc: Any, task_names: Optional[Dict[Tuple[str, int], str]] = None) -> str:
    """A readable process name: ``writer_0`` (a dataflow statement calling that instance,
    named by ``task_names``), ``gemm task 2`` (another dataflow statement), ``PE[3]`` (an
    unfolded iteration), nested with ``>``."""
    parts = []
    for p in reversed(_chain(proc)[:-1]):
        label = p[2:]
        if len(label) == 3:  # (region label, iteration or None, statement index)
            name, it, k = label
            task = (task_names or {}).get((name, k)) or f"{name} task {k}"
            parts.append(task + (f" (iteration {it})" if it is not None else ""))
        else:
            parts.append(f"{label[0]}[{label[1]}]")
    return " > ".join(parts) if parts else "top"


__all__ = ["find_deadlock", "bounded_run", "any_concurrent", "BoundedRun", "EventLog", "build_steps",
           "parent_and_region", "ROOT"]
