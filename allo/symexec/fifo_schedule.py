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

from collections import deque
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

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


def build_steps(events: Sequence[Tuple[Any, int, bool]]) -> Dict[Any, List[Any]]:
    """Each process's steps from the sequential event log ``(process, fifo, is_put)``.

    A step is ``(fifo, is_put)`` or ``("region", [child processes])``. Under sequential
    order a region's events are contiguous between its parent's own steps, so the first
    event of a region instance places the region in the parent's steps.
    Example: ``build_steps([(ROOT, 0, True)]) == {ROOT: [(0, True)]}``.
    """
    steps: Dict[Any, List[Any]] = {ROOT: []}
    regions: Dict[Any, List[Any]] = {}
    for proc, fifo, is_put in events:
        mine = steps.get(proc)
        if mine is None:  # first event of proc: place it and its ancestors (once)
            for p in reversed(_chain(proc)[:-1]):  # from the root's child down to proc
                if p in steps:
                    continue
                steps[p] = []
                parent, region = parent_and_region(p)
                children = regions.get(region)
                if children is None:
                    children = regions[region] = []
                    steps[parent].append(("region", children))
                children.append(p)
            mine = steps[proc]
        mine.append((fifo, is_put))
    return steps


@dataclass
class BoundedRun:
    """One maximal schedule of the processes with bounded FIFOs.

    ``schedule``: every put/get in the order it ran, as ``(process, fifo, is_put)``;
    ``blocked``: why each unfinished process waits (empty when the network completed).
    """

    completed: bool
    schedule: List[Tuple[Any, int, bool]]
    blocked: List[str]
    names: Sequence[str]
    task_names: Optional[Dict[Tuple[str, int], str]] = None

    def schedule_text(self, last: int = 12) -> str:
        """The interleaving, run-length encoded (``top task 0: put 'Y' x3``), its last
        ``last`` runs. Example: ``run.schedule_text()``."""
        runs: List[List[Any]] = []
        for proc, fifo, is_put in self.schedule:
            if runs and runs[-1][0] == (proc, fifo, is_put):
                runs[-1][1] += 1
            else:
                runs.append([(proc, fifo, is_put), 1])
        shown = runs[-last:]
        parts = [f"{_label(p, self.task_names)}: {'put' if put else 'get'} '{self.names[f]}' x{n}"
                 for (p, f, put), n in shown]
        head = f"... ({len(runs) - last} earlier runs), " if len(runs) > last else ""
        return head + ", then ".join(parts) if parts else "nothing ran"


def bounded_run(events: Sequence[Tuple[Any, int, bool]], depths: Sequence[int],
                names: Sequence[str], after: Optional[Dict[str, Dict[int, Any]]] = None,
                task_names: Optional[Dict[Tuple[str, int], str]] = None) -> BoundedRun:
    """Run the processes of the sequential event log with FIFO ``f`` holding at most
    ``depths[f]`` elements, greedily with wake-ups, until all finish or none can move.
    ``after[label][k]`` (:func:`allo.ir.effects.task_dependencies`) lists the tasks of a
    dataflow region that task ``k`` waits for (it reads an array they write: a ping-pong
    buffer, available once the writer finishes). ``task_names[(label, k)]`` names task
    ``k`` of a region in messages (the instance it calls, e.g. ``writer_0``).

    Example: ``bounded_run([(ROOT, 0, True)] * 3 + [(ROOT, 0, False)] * 3, [2], ["S"]).completed``
    is False.
    """
    steps = build_steps(events)
    pos: Dict[Any, int] = {p: 0 for p in steps}
    fill = [0] * len(depths)
    waiting: Dict[Tuple[int, bool], List[Any]] = {}
    pending: Dict[Any, int] = {}  # process -> children of its current region not finished
    parent_of: Dict[Any, Any] = {}
    ready = deque([ROOT])
    finished = set()
    schedule: List[Tuple[Any, int, bool]] = []
    blockers: Dict[Any, set] = {}  # a task -> the sibling tasks it still waits for
    unblocks: Dict[Any, List[Any]] = {}  # a task -> the siblings waiting for it

    def start(children: List[Any]) -> None:
        by_task = {(c[3], c[4]): c for c in children if len(c) == 5}
        for c in children:
            deps = (after or {}).get(c[2], {}).get(c[4], ()) if len(c) == 5 else ()
            mine = {by_task[(c[3], k)] for k in deps if (c[3], k) in by_task}
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
            if step[0] == "region":
                if pending.get(p) is None:
                    children = step[1]
                    pending[p] = len(children)
                    for c in children:
                        parent_of[c] = p
                    start(children)
                if pending[p]:
                    break  # woken when the last child finishes
                pending[p] = None
                k += 1
                continue
            fifo, is_put = step
            if is_put:
                if fill[fifo] >= depths[fifo]:
                    waiting.setdefault((fifo, True), []).append(p)
                    break
                fill[fifo] += 1
                if waiting:
                    wake(woken((fifo, False), ()))
            else:
                if fill[fifo] == 0:
                    waiting.setdefault((fifo, False), []).append(p)
                    break
                fill[fifo] -= 1
                if waiting:
                    wake(woken((fifo, True), ()))
            record((p, fifo, is_put))
            k += 1
        pos[p] = k
        if k == end and p not in finished:
            finished.add(p)
            for c in unblocks.pop(p, ()):
                blockers[c].discard(p)
                if not blockers[c]:
                    del blockers[c]
                    ready.append(c)
            parent = parent_of.get(p)
            if parent is not None:
                pending[parent] -= 1
                if pending[parent] == 0:
                    ready.append(parent)
    blocked = []
    if ROOT not in finished:
        for (fifo, is_put), procs in sorted(waiting.items(), key=lambda kv: kv[0]):
            what = "full" if is_put else "empty"
            for p in procs:
                if p not in finished:
                    blocked.append(f"{_label(p, task_names)} waits on {what} FIFO '{names[fifo]}' "
                                   f"(depth {depths[fifo]})")
        for c, deps in blockers.items():
            blocked.append(f"{_label(c, task_names)} waits for "
                           f"{', '.join(sorted(_label(d, task_names) for d in deps))} to "
                           "finish (it reads an array they write)")
        blocked = blocked or ["no process can proceed"]
    return BoundedRun(ROOT in finished, schedule, blocked, names, task_names)


def find_deadlock(events: Sequence[Tuple[Any, int, bool]], depths: Sequence[int],
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


__all__ = ["find_deadlock", "bounded_run", "BoundedRun", "build_steps", "parent_and_region", "ROOT"]
