"""The II/latency model: how Vitis HLS turns loop timings into latencies.

These are the scheduling rules of ``docs/qor.md`` ("Scheduling") as plain functions of
numbers, shared by the estimator (:mod:`allo.qor.estimate`) and by anything that needs
a loop's timing, e.g. FIFO sizing in dataflow designs (:func:`allo.qor.estimate.loop_timing`
gives the II, trip count and pipeline depth of a named loop of a schedule).

Example::

    >>> pipelined_latency(trip=1024, ii=1, depth=3)
    1026
    >>> sequential_loop_latency(trip=8, body=10)
    88
    >>> dataflow_latency([100, 250, 40], fills=[3, 5, 2])
    255
    >>> stream_occupancy(8, StreamRate(fill=1, interval=1), StreamRate(fill=1, interval=2))
    4
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional, Sequence, Tuple

#: cycles a non-pipelined loop spends per iteration on its exit test (Vitis FSM state)
LOOP_ITERATION_OVERHEAD = 1
#: cycles to enter and leave a pipelined loop that is a sub-module of a sequential region
#: (Vitis 2023 ``<func>_Pipeline_<loop>`` modules: ap_start/ap_done states, 2 inside the
#: module, 2 in the caller)
PIPELINE_CALL_OVERHEAD = 4
#: cycles of a function call (start + done handshake, ``ap_ctrl_hs``)
CALL_OVERHEAD = 2
#: cycles per hop of a FIFO between neighbouring processes (write, then read next cycle)
FIFO_HOP_LATENCY = 1


def pipelined_latency(trip: int, ii: int, depth: int) -> int:
    """Latency of a pipelined loop: ``(trip - 1) * II + depth`` (UG1399, "Pipelining").

    Example: ``pipelined_latency(126, 1, 2) == 127``.
    """
    if trip <= 0:
        return 0
    return (trip - 1) * ii + depth


def sequential_loop_latency(trip: int, body: int) -> int:
    """Latency of a loop that is not pipelined: each iteration runs the body, then one
    state tests the exit condition. Example: ``sequential_loop_latency(32, 1113) == 35648``."""
    return max(0, trip) * (body + LOOP_ITERATION_OVERHEAD)


def dataflow_latency(stages: Sequence[int], fills: Optional[Sequence[int]] = None) -> int:
    """Latency of a dataflow region whose stages overlap: the slowest stage plus the fill
    of the others (the cycles each needs before its first output).

    Example: ``dataflow_latency([10, 20], [2, 3]) == 22``.
    """
    if not stages:
        return 0
    fills = list(fills) if fills is not None else [0] * len(stages)
    slowest = max(range(len(stages)), key=lambda k: stages[k])
    return stages[slowest] + sum(f for k, f in enumerate(fills) if k != slowest)


def recurrence_mii(path_latency: int, distance: int) -> int:
    """Recurrence-constrained MII: ``ceil(latency around the cycle / distance)``, at least 1.

    Example: ``recurrence_mii(4, 1) == 4`` (a float accumulation), ``recurrence_mii(4, 32) == 1``.
    """
    if distance <= 0:
        return 1
    return max(1, math.ceil(path_latency / distance))


def resource_mii(accesses: int, ports: int) -> int:
    """Resource-constrained MII of one memory bank: ``ceil(accesses / ports)``.

    Example: ``resource_mii(3, 2) == 2``.
    """
    return max(1, math.ceil(accesses / max(1, ports)))


@dataclass(frozen=True)
class LoopTiming:
    """The timing of one loop as the estimator sees it.

    ``trip``: iterations (of the flattened nest when flattened), ``ii``: achieved
    initiation interval (``None`` when not pipelined), ``depth``: iteration latency,
    ``latency``: cycles for the whole loop.
    """

    name: str
    trip: int
    ii: Optional[int]
    depth: int
    latency: int

    @property
    def pipelined(self) -> bool:
        return self.ii is not None

    def first_output(self) -> int:
        """Cycles until the first iteration completes (the pipeline fill)."""
        return self.depth

    def time_of_iteration(self, n: int) -> int:
        """Cycle at which iteration ``n`` (0-based) completes."""
        if self.ii is not None:
            return n * self.ii + self.depth
        return (n + 1) * (self.depth + LOOP_ITERATION_OVERHEAD)


@dataclass(frozen=True)
class StreamRate:
    """When one end of a FIFO moves its elements: the n-th access (0-based) of an access
    site inside loops of ``trips`` (outermost first) happens at
    ``fill + sum(digit_k(n) * strides[k])``, where ``digit_k`` is the loop's iteration of
    the n-th access and ``strides[k]`` the cycles between two of its iterations (the II of
    a pipelined loop, the iteration latency otherwise). ``per_iteration`` accesses share
    one innermost iteration. With no loops, ``interval`` spaces the accesses uniformly.

    Example: ``StreamRate(fill=3, interval=1)`` puts at cycles 3, 4, 5, ...;
    ``StreamRate(0, 1, strides=(10, 1), trips=(2, 4)).time(5) == 11``.
    """

    fill: int
    interval: float
    strides: Tuple[float, ...] = ()
    trips: Tuple[int, ...] = ()
    per_iteration: int = 1

    def time(self, n: int) -> float:
        """Cycle of the ``n``-th access when nothing stalls it."""
        if not self.trips:
            return self.fill + n * self.interval
        n //= max(1, self.per_iteration)
        t = self.fill
        for stride, trip in zip(reversed(self.strides), reversed(self.trips)):
            t += (n % trip) * stride
            n //= trip
        return t


def stream_occupancy(count: int, producer: StreamRate, consumer: StreamRate,
                     hop: int = FIFO_HOP_LATENCY) -> int:
    """The most elements a FIFO holds when both ends start together and the producer is
    never stalled by a full FIFO: the producer puts element n at ``producer.time(n)``; the
    consumer gets it at its own time, delayed by any earlier wait, and never before it
    has crossed the FIFO (``put + hop``). A FIFO this deep never makes the producer wait
    (the "stall neither side" depth of the II/latency model); a consumer faster than the
    producer only waits for data, which no depth avoids. At least 1.

    Example: a producer at II 1 and a consumer at II 2 over 8 elements:
    ``stream_occupancy(8, StreamRate(1, 1), StreamRate(1, 2)) == 4``.
    """
    if count <= 0:
        return 1
    puts = [producer.time(n) for n in range(count)]
    most, p, delay = 1, 0, 0.0
    for n in range(count):
        own = consumer.time(n)
        delay = max(delay, puts[n] + hop - own)
        t = own + delay
        # just before the n-th get: the puts issued by then, minus the n gets done
        while p < count and puts[p] < t:
            p += 1
        most = max(most, p - n)
    return most


__all__ = ["StreamRate", "stream_occupancy", "pipelined_latency", "sequential_loop_latency", "dataflow_latency",
           "recurrence_mii", "resource_mii", "LoopTiming",
           "LOOP_ITERATION_OVERHEAD", "PIPELINE_CALL_OVERHEAD", "CALL_OVERHEAD",
           "FIFO_HOP_LATENCY"]
