"""The process graph of a dataflow region and a sequential order of its processes.

Processes communicate only through FIFOs. When the graph "producer -> consumer of some
FIFO" has no cycle, running the processes one after another in a topological order with
unbounded FIFOs is a legal schedule: every process starts after all of its producers have
finished, so each ``get`` finds the value a concurrent run would deliver (Kahn: a network
of processes with blocking single-reader FIFOs computes the same streams under every
schedule). With a cycle (two PEs feeding each other, a process reading a FIFO it writes)
no such order exists.

Example::

    >>> process_order([("cons", set(), {("p", None)}), ("prod", {("p", None)}, set())])
    (['prod', 'cons'], [])
"""

from __future__ import annotations

import heapq
from typing import Dict, List, Optional, Sequence, Set, Tuple

Channel = Tuple[str, Optional[Tuple[int, ...]]]


def edges(procs: Sequence[Tuple[str, Set[Channel], Set[Channel]]]) -> Dict[str, Set[str]]:
    """``producer -> {consumers}`` over the processes' put and get channels."""
    out: Dict[str, Set[str]] = {name: set() for name, _, _ in procs}
    getters: Dict[Channel, List[str]] = {}      # exact channel -> processes
    any_getters: Dict[str, List[str]] = {}      # stream -> processes reading any element
    elem_getters: Dict[str, List[str]] = {}     # stream -> processes reading some element
    for name, _, gets in procs:
        for g in gets:
            getters.setdefault(g, []).append(name)
            (any_getters if g[1] is None else elem_getters).setdefault(g[0], []).append(name)
    for name, puts, _ in procs:
        for p in puts:
            out[name].update(any_getters.get(p[0], ()))
            if p[1] is None:
                out[name].update(elem_getters.get(p[0], ()))
            else:
                out[name].update(getters.get(p, ()))
    return out


def process_order(procs: Sequence[Tuple[str, Set[Channel], Set[Channel]]]
                  ) -> Tuple[List[str], List[str]]:
    """A topological order of the processes (stable: declaration order breaks ties) and,
    when there is none, the processes on a cycle (then the order is the declaration order).

    Example: two processes feeding each other give ``(["a", "b"], ["a", "b"])``.
    """
    names = [p[0] for p in procs]
    succ = edges(procs)
    indeg = {n: 0 for n in names}
    for n in names:
        for m in succ[n]:
            indeg[m] += 1
    position = {n: k for k, n in enumerate(names)}
    ready = sorted((n for n in names if indeg[n] == 0), key=position.get)
    order: List[str] = []
    heap = [(position[n], n) for n in ready]
    heapq.heapify(heap)
    while heap:
        _, n = heapq.heappop(heap)
        order.append(n)
        for m in succ[n]:
            if m == n:
                continue
            indeg[m] -= 1
            if indeg[m] == 0:
                heapq.heappush(heap, (position[m], m))
    if len(order) == len(names) and not any(n in succ[n] for n in names):
        return order, []
    return names, find_cycle(succ, names)


def shared_fifos(procs: Sequence[Tuple[str, Set[Channel], Set[Channel]]]) -> str:
    """A description of a FIFO that two processes write or two processes read (then the
    network is not a Kahn network: its result may depend on the schedule), or "".

    Example: ``shared_fifos([("a", {("s", None)}, set()), ("b", {("s", (0,))}, set())])``
    names ``s``.
    """
    for side, k in (("write", 1), ("read", 2)):
        exact: Dict[Channel, str] = {}              # channel -> its first process
        whole: Dict[str, str] = {}                  # stream -> a process using any element
        parts: Dict[str, str] = {}                  # stream -> a process using one element
        for proc in procs:
            name = proc[0]
            for ch in sorted(proc[k], key=repr):
                others = [exact.get(ch), whole.get(ch[0])]
                if ch[1] is None:
                    others.append(parts.get(ch[0]))
                other = next((o for o in others if o is not None and o != name), None)
                if other is not None:
                    shown = ch[0] if ch[1] is None else f"{ch[0]}{list(ch[1])}"
                    return f"processes {other} and {name} both {side} FIFO '{shown}'"
            for ch in proc[k]:
                exact.setdefault(ch, name)
                (whole if ch[1] is None else parts).setdefault(ch[0], name)
    return ""


def find_cycle(succ: Dict[str, Set[str]], names: List[str]) -> List[str]:
    """One cycle of the graph (its processes in order), or [] when it is acyclic."""
    color: Dict[str, int] = {}
    stack: List[str] = []

    def visit(n: str) -> Optional[List[str]]:
        color[n] = 1
        stack.append(n)
        for m in sorted(succ[n]):
            if color.get(m) == 1:
                return stack[stack.index(m):]
            if m not in color:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        color[n] = 2
        return None

    for n in names:
        if n not in color:
            found = visit(n)
            if found:
                return list(found)
    return []


__all__ = ["process_order", "edges", "find_cycle", "shared_fifos"]
