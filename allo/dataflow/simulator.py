"""The dataflow simulator: every process of a region on its own thread, FIFOs bounded.

Each kernel instance runs the reference interpreter (:mod:`allo.backends.interp`) on a
thread; the region's streams are :class:`BoundedFifo` queues of their declared depth: a
``get`` on an empty FIFO and a ``put`` on a full one block. One lock guards every FIFO of
a simulation and a count of the processes that can still make progress; when a process
blocks or ends and that count reaches zero while some process still waits, no process can
ever proceed: that is a deadlock, reported at once as an :class:`AlloError` naming each
waiting process and the FIFO (with its depth and fill) it waits on. Nothing hangs.

A region called from a kernel (a hierarchical design) runs its own processes the same way,
its caller waiting for them to finish.

A composed design whose top a schedule made a dataflow function (``s.to(Y, "matmul")``
between two calls; ``df.build(s, target="simulator")``) runs the same way: its calls are the processes, its streams FIFOs; its
local arrays start with their constant fills and its final ``return`` hands them back
once every process has ended. Such a top's calls were written to run one after another,
so an array (local or argument) that one call writes and another call touches would race
between threads: refused (stream it, or run it on another target).

Example::

    sim = Simulator(module)          # module: a lowered df.region
    sim(A, B)                        # arrays updated in place, as with the other targets
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from ..backends.interp import Interpreter
from ..errors import AlloError
from ..ir.aliasing import written_params
from ..ir.nodes import Alloc, BufRef, Call, Const, Func, Module, Return
from ..ir.effects import buffer_effects, param_modes
from ..runtime import bind_arguments, initial_state, invoke


class _Abort(BaseException):
    """Unwinds a process thread after the simulation has failed elsewhere."""


class _Process:
    def __init__(self, name: str, sim: "_Simulation"):
        self.name = name
        self.cond = threading.Condition(sim.lock)
        self.waiting: Optional[str] = None  # "get from empty FIFO 'x' ..."


class _Simulation:
    """The shared state of one run: the lock, the runnable count, the failure."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runnable = 0
        self.blocked: List[_Process] = []
        self.failure: Optional[BaseException] = None
        self.local = threading.local()

    def current(self) -> _Process:
        return self.local.proc

    def fail(self, error: BaseException) -> None:
        """Record the first failure and wake every waiting process (lock held)."""
        if self.failure is None:
            self.failure = error
        for p in self.blocked:
            p.cond.notify()

    def wait(self, proc: _Process, what: str) -> None:
        """Block ``proc`` until another process wakes it (lock held)."""
        proc.waiting = what
        self.blocked.append(proc)
        self.runnable -= 1
        self.check_deadlock()
        while proc.waiting is not None and self.failure is None:
            proc.cond.wait()
        if self.failure is not None:
            raise _Abort()

    def wake(self, proc: _Process) -> None:
        """Make a waiting process runnable again (lock held)."""
        if proc.waiting is not None:
            proc.waiting = None
            self.blocked.remove(proc)
            self.runnable += 1
            proc.cond.notify()

    def check_deadlock(self) -> None:
        if self.runnable == 0 and self.blocked and self.failure is None:
            lines = [f"  {p.name} waits to {p.waiting}" for p in self.blocked]
            self.fail(AlloError(
                "deadlock: every remaining process waits on a FIFO\n" + "\n".join(lines),
                where="dataflow simulator",
                hint="check that each FIFO's producer puts as many values as its consumer "
                     "gets, in an order the consumer can follow, and that the FIFO depths "
                     "cover what one side must put before the other can get"))


class BoundedFifo:
    """A FIFO of ``depth`` elements whose ``popleft``/``append`` block (one simulation)."""

    def __init__(self, sim: _Simulation, label: str, depth: int):
        self.sim, self.label, self.depth = sim, label, depth
        self.items: deque = deque()
        self.getters: List[_Process] = []
        self.putters: List[_Process] = []

    def describe(self) -> str:
        return f"FIFO '{self.label}' (depth {self.depth}, holding {len(self.items)})"

    def _wait_while(self, blocked: Callable[[], bool], waiters: List["_Process"],
                    what: str) -> None:
        """Block the calling process (the simulator's lock held) while ``blocked()``,
        listed in ``waiters`` so the other end can wake it."""
        sim = self.sim
        while blocked():
            proc = sim.current()
            waiters.append(proc)
            try:
                sim.wait(proc, f"{what} {self.describe()}")
            finally:
                if proc in waiters:
                    waiters.remove(proc)

    def popleft(self) -> Any:
        with self.sim.lock:
            self._wait_while(lambda: not self.items, self.getters, "get from empty")
            value = self.items.popleft()
            if self.putters:
                self.sim.wake(self.putters.pop(0))
            return value

    def append(self, value: Any) -> None:
        with self.sim.lock:
            self._wait_while(lambda: len(self.items) >= self.depth, self.putters, "put into full")
            self.items.append(value)
            if self.getters:
                self.sim.wake(self.getters.pop(0))


class _SimInterpreter(Interpreter):
    """The reference interpreter, running calls of dataflow regions concurrently."""

    def __init__(self, module: Module, sim: _Simulation):
        super().__init__(module)
        self.sim = sim

    def run(self, func_name: str, container_args: Sequence[Any]) -> list:
        func = self.module.funcs.get(func_name)
        if func is not None and func.attrs.get("df_region"):
            return self.run_region(func, list(container_args))
        return super().run(func_name, container_args)

    def run_region(self, func: Func, args: List[Any]) -> list:
        """Run the processes called by region ``func`` on threads; wait for them all;
        return what its final ``return`` names."""
        sim = self.sim
        bufs: Dict[str, Any] = {p.name: a for p, a in zip(func.params, args)}
        calls = []
        returned: list = []
        if not func.attrs.get("df_region"):
            _refuse_shared_arrays(self.module, func)
        for s in func.body:
            if isinstance(s, Alloc) and s.type.is_stream:
                bufs[s.name] = self.fifos(s)
            elif isinstance(s, Alloc) and not s.stateful and (s.init is None or isinstance(s.init, Const)
                                                              or isinstance(s.init, np.ndarray)):
                bufs[s.name] = initial_state(s)
            elif isinstance(s, Call) and not s.results:
                calls.append((s.callee, [self.argument(bufs, a) for a in s.args]))
            elif isinstance(s, Return) and s is func.body[-1]:
                returned = list(s.values)
            else:
                raise AlloError(f"the simulator cannot run {type(s).__name__} in the body of "
                                f"dataflow region '{func.name}'", where="dataflow simulator")
        parent = getattr(sim.local, "proc", None)
        done = threading.Condition(sim.lock)
        remaining = [len(calls)]
        threads = []
        with sim.lock:
            sim.runnable += len(calls)
        for name, cargs in calls:
            t = threading.Thread(target=self.process, args=(name, cargs, done, remaining),
                                 name=f"allo-df-{name}", daemon=True)
            threads.append(t)
        for t in threads:
            t.start()
        with sim.lock:
            if parent is not None:
                sim.runnable -= 1  # the caller waits for its region, it is not runnable
            while remaining[0] > 0 and sim.failure is None:
                if parent is None:
                    sim.check_deadlock()
                done.wait(0.05 if parent is None else None)
            if parent is not None:
                sim.runnable += 1
        if parent is None:
            for t in threads:
                t.join()
        if sim.failure is not None:
            if parent is not None:
                raise _Abort()
            raise sim.failure
        return [self.argument(bufs, v) for v in returned]

    def process(self, name: str, args: List[Any], done: threading.Condition,
                remaining: List[int]) -> None:
        sim = self.sim
        sim.local.proc = _Process(name, sim)
        try:
            Interpreter.run(self, name, args) if not self.module.funcs[name].attrs.get(
                "df_region") else self.run(name, args)
        except _Abort:
            pass
        except AlloError as e:
            with sim.lock:
                sim.fail(AlloError(f"process '{name}' failed: {e.message}", loc=e.loc,
                                   hint=e.hint, where=e.where))
        except BaseException as e:  # noqa: BLE001 - reported to the caller, never lost
            with sim.lock:
                sim.fail(e)
        finally:
            with sim.lock:
                sim.runnable -= 1
                remaining[0] -= 1
                done.notify_all()
                sim.check_deadlock()

    def fifos(self, s: Alloc) -> np.ndarray:
        arr = np.empty(s.type.shape, dtype=object)
        flat = arr.reshape(-1)
        for k, idx in enumerate(np.ndindex(*s.type.shape) if s.type.shape else [()]):
            label = s.name + (f"[{', '.join(map(str, idx))}]" if idx else "")
            flat[k] = BoundedFifo(self.sim, label, s.type.dtype.depth)
        return arr

    @staticmethod
    def argument(bufs: Dict[str, Any], a: Any) -> Any:
        if isinstance(a, BufRef):
            buf = bufs[a.buffer]
            if not a.prefix:
                return buf
            idx = tuple(int(c.value) for c in a.prefix if isinstance(c, Const))
            if len(idx) != len(a.prefix):
                raise AlloError(f"the simulator needs constant indices for '{a.buffer}'",
                                where="dataflow simulator")
            return buf[idx + (Ellipsis,)]
        if isinstance(a, Const):
            return a.value
        raise AlloError(f"the simulator cannot pass {type(a).__name__} to a process",
                        where="dataflow simulator")


class Simulator:
    """A lowered region run concurrently; called like the other built modules.

    Example: ``Simulator(df.customize(top).ir)(A, B)`` updates ``B`` in place.
    """

    def __init__(self, module: Module):
        top = module.top_func
        if not top.attrs.get("df_region"):
            if not top.attrs.get("dataflow"):
                raise AlloError(f"'{module.top}' is not a dataflow region", where="df.build",
                                hint="the simulator runs @df.region() designs and tops that a "
                                     "schedule made dataflow (s.to(buffer, callee))")
            module = module.copy()  # a composed dataflow top: its calls are the processes
            module.top_func.attrs["df_region"] = True
            _refuse_shared_arrays(module, module.top_func)
        self.module = module
        Interpreter(module)  # checks the IR once, up front
        self._written = written_params(module)[module.top]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        top = self.module.top_func
        args = bind_arguments(top, args, kwargs) if kwargs else args
        return invoke(top, args, self._run, self._written)

    def _run(self, cargs: Sequence[Any]) -> list:
        sim = _Simulation()
        interp = _SimInterpreter(self.module, sim)
        with np.errstate(all="ignore"):
            return interp.run_region(self.module.top_func, list(cargs))


def _refuse_shared_arrays(module: Module, func: Func) -> None:
    """A composed dataflow top runs its calls on threads: refuse an array (not a stream)
    that one call writes and another call touches, which the threads would race on."""
    modes = param_modes(module)
    streams = {n for n, t in func.buffers().items() if getattr(t, "is_stream", False)}
    users: Dict[str, List[tuple]] = {}
    for s in func.body:
        if isinstance(s, Call):
            read, written = buffer_effects(Func("task", [], [], [s]), modes)
            for name in (read | written) - streams:
                users.setdefault(name, []).append((s.callee, "write" if name in written else "read"))
    for name, calls in users.items():
        if len(calls) > 1 and any(kind == "write" for _, kind in calls):
            raise AlloError(f"the simulator runs the calls of '{func.name}' concurrently, and "
                            f"'{name}' is an array that {calls[0][0]!r} and {calls[1][0]!r} both "
                            "use, one writing it: the threads would race",
                            where="dataflow simulator",
                            hint=f"stream it (s.to({name!r}, ...)), or build for \"llvm\"")


def require_sequential(module: Module) -> None:
    """Refuse a region whose processes have no legal sequential order (a FIFO cycle).

    Example: ``require_sequential(df.customize(top).ir)`` passes for a systolic array.
    """
    for f in module.funcs.values():
        cycle = f.attrs.get("df_cycle")
        if cycle:
            raise AlloError(f"dataflow region '{f.name}' has a cycle of processes "
                            f"({' -> '.join(cycle)} -> {cycle[0]}), so no sequential order "
                            "runs it correctly", where="df.build(target='llvm')",
                            hint="use df.build(top, target=\"simulator\"), which runs the "
                                 "processes concurrently")


__all__ = ["Simulator", "BoundedFifo", "require_sequential"]
