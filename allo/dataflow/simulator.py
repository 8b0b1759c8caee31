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
from ..ir.nodes import Alloc, BufRef, Call, Const, Func, Module
from ..runtime import bind_arguments, invoke


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
            self.run_region(func, list(container_args))
            return []
        return super().run(func_name, container_args)

    def run_region(self, func: Func, args: List[Any]) -> None:
        """Run the processes called by region ``func`` on threads; wait for them all."""
        sim = self.sim
        bufs: Dict[str, Any] = {p.name: a for p, a in zip(func.params, args)}
        calls = []
        for s in func.body:
            if isinstance(s, Alloc) and s.type.is_stream:
                bufs[s.name] = self.fifos(s)
            elif isinstance(s, Call):
                calls.append((s.callee, [self.argument(bufs, a) for a in s.args]))
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
        if not module.top_func.attrs.get("df_region"):
            raise AlloError(f"'{module.top}' is not a dataflow region", where="df.build",
                            hint="the simulator runs @df.region() designs")
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
            interp.run_region(self.module.top_func, list(cargs))
        return []


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
