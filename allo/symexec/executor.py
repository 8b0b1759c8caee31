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
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from ..ir.nodes import (Alloc, BufRef, Call, Const, Expr, For, Func, If, Load, Module, Op,
                        Return, Store, StreamGet, StreamPut, Var, While)
from ..ir.types import AlloType, BufferType, Fixed, Float, StreamType, bool_, float64, index
from .dag import Dag


class NotSICF(Exception):
    """The program's control flow or addressing depends on input data (or is unsupported)."""


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
        strides, acc = [], 1
        for d in reversed(self.shape):
            strides.append(acc)
            acc *= d
        self.strides = tuple(reversed(strides))

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


class _ReturnSignal(Exception):
    def __init__(self, values):
        self.values = values


@dataclass
class _Fifo:
    name: str
    depth: int
    items: deque = field(default_factory=deque)
    max_fill: int = 0
    putters: set = field(default_factory=set)
    getters: set = field(default_factory=set)
    overflow_by: Optional[Any] = None  # process that first overfilled it


class SymbolicExecutor:
    """Runs ``module``'s top function on symbolic inputs, building nodes in ``dag``.

    ``max_ops`` bounds the work (``BudgetExceeded``), ``max_while`` the iterations of one
    ``While``. Example: ``SymbolicExecutor(mod, Dag()).run().outputs``.
    """

    def __init__(self, module: Module, dag: Dag, *, max_ops: int = 200_000_000,
                 max_while: int = 1_000_000, progress: Optional[bool] = None,
                 input_names: Optional[List[str]] = None) -> None:
        self.module, self.dag = module, dag
        # the leaves are named by these (by position), so two programs share their inputs
        self.input_names = input_names
        self.max_ops, self.max_while = max_ops, max_while
        self.ops = 0
        self.pc: Optional[int] = None  # path condition (bool node) or None
        self.process: Any = ("top",)
        self.fifos: List[_Fifo] = []
        self._compiled: Dict[int, Tuple[Expr, Callable]] = {}
        self._t0 = 0.0
        self._next_check = 1 << 16
        self._progress = sys.stderr.isatty() if progress is None else progress
        self._shown = False
        self._true = dag.const(1, bool_)

    # ------------------------------------------------------------ entry
    def run(self) -> SymResult:
        """Execute the top function; returns live-outs, stream issues and statistics."""
        self._t0 = time.perf_counter()
        func = self.module.top_func
        env: Dict[str, Any] = {}
        for k, p in enumerate(func.params):
            t = p.type
            leaf = self.input_names[k] if self.input_names else p.name
            if isinstance(t, StreamType) or (isinstance(t, BufferType) and t.is_stream):
                raise NotSICF(f"stream parameter '{p.name}' of the top function is not supported")
            if isinstance(t, BufferType):
                store = [self.dag.input(leaf, c, t.dtype) for c in range(t.size)]
                self.dag.shapes[leaf] = t.shape
                env[p.name] = View(p.name, store, 0, t.shape, t.dtype)
            else:
                env[p.name] = self.dag.input(leaf, -1, t)
        with np.errstate(all="ignore"):
            returned = self._call_body(func, env)
        outputs: List[LiveOut] = []
        for i, (val, rtype) in enumerate(zip(returned, func.results)):
            if isinstance(val, View):
                outputs.append(LiveOut(f"return[{i}]", val.shape, val.dtype, list(val.cells())))
            else:
                outputs.append(LiveOut(f"return[{i}]", (), rtype, [val]))
        for p in func.params:
            v = env[p.name]
            if isinstance(v, View):
                outputs.append(LiveOut(p.name, v.shape, v.dtype, list(v.cells())))
        issues = self._fifo_issues()
        self._finish_progress()
        return SymResult(outputs, issues, self.ops, time.perf_counter() - self._t0)

    def _call_body(self, func: Func, env: Dict[str, Any]) -> List[Any]:
        try:
            if func.attrs.get("dataflow"):
                self._exec_dataflow(func.body, env, func.name)
            else:
                self._exec_block(func.body, env)
        except _ReturnSignal as r:
            return r.values
        return []

    # ------------------------------------------------------------ bookkeeping
    def _tick(self, n: int = 1) -> None:
        self.ops += n
        if self.ops >= self._next_check:
            self._next_check = self.ops + (1 << 16)
            if self.ops > self.max_ops:
                raise BudgetExceeded(f"more than {self.max_ops} operations")
            elapsed = time.perf_counter() - self._t0
            if self._progress and elapsed > 2.0:
                self._shown = True
                sys.stderr.write(f"\rsymexec: {self.ops:,} ops, {self.ops / elapsed:,.0f} ops/s")
                sys.stderr.flush()

    def _finish_progress(self) -> None:
        if self._shown:
            sys.stderr.write("\n")

    def concrete(self, nid: int, what: str) -> int:
        """The int value of a node that SICF requires to be constant."""
        v = self.dag.values.get(nid)
        if v is None:
            raise NotSICF(f"{what} depends on input data: {self.dag.pretty(nid, 80)}")
        return int(v)

    # ------------------------------------------------------------ expressions
    def compile(self, e: Expr) -> Callable[[Dict[str, Any]], int]:
        hit = self._compiled.get(id(e))
        if hit is not None:
            return hit[1]
        fn = self._compile(e)
        self._compiled[id(e)] = (e, fn)  # keep e alive so its id stays unique
        return fn

    def _compile(self, e: Expr) -> Callable[[Dict[str, Any]], int]:
        dag = self.dag
        if isinstance(e, Const):
            nid = dag.const(e.value, e.type)
            return lambda env: nid
        if isinstance(e, Var):
            name = e.name
            return lambda env: env[name]
        if isinstance(e, Op):
            fns, op, t = [self.compile(a) for a in e.args], e.op, e.type
            tick, mk = self._tick, dag.op
            if len(fns) == 2:
                f0, f1 = fns
                return lambda env: (tick(), mk(op, t, (f0(env), f1(env))))[1]
            return lambda env: (tick(), mk(op, t, tuple(f(env) for f in fns)))[1]
        if isinstance(e, Load):
            buf, idx = e.buffer, [self.compile(i) for i in e.indices]
            what = f"the address of a load from '{buf}'"

            def load(env):
                view = env[buf]
                if not isinstance(view, View):  # a scalar parameter used as a 0-d buffer
                    return view
                self._tick()
                k = view.flat(tuple(self.concrete(f(env), what) for f in idx))
                return view.store[k]
            return load
        if isinstance(e, StreamGet):
            name, idx = e.stream, [self.compile(i) for i in e.indices]

            def get(env):
                if self.pc is not None:
                    raise NotSICF(f"read of stream '{name}' under a data-dependent condition")
                view = env[name]
                fifo = view.store[view.flat(tuple(self.concrete(f(env), "a stream index")
                                                  for f in idx))]
                fifo.getters.add(self.process)
                if not fifo.items:
                    raise Deadlock(f"read of empty FIFO '{fifo.name}' (sequential order)")
                self._tick()
                return fifo.items.popleft()
            return get
        raise NotSICF(f"unsupported expression {type(e).__name__}")

    # ------------------------------------------------------------ statements
    def _exec_dataflow(self, body, env, name: str) -> None:
        """A dataflow region: each top-level statement is its own process."""
        saved = self.process
        for k, s in enumerate(body):
            self.process = (name, k, id(env))
            self._exec(s, env)
        self.process = saved

    def _exec_block(self, body, env) -> None:
        for s in body:
            self._exec(s, env)

    def _exec(self, s, env) -> None:
        dag = self.dag
        if isinstance(s, Store):
            view = env[s.buffer]
            value = self.compile(s.value)(env)
            k = view.flat(tuple(self.concrete(self.compile(i)(env), f"the address of a store to "
                                              f"'{s.buffer}'") for i in s.indices))
            if self.pc is not None:
                value = dag.op("select", view.dtype, (self.pc, value, view.store[k]))
            view.store[k] = value
            self._tick()
        elif isinstance(s, For):
            lo = self.concrete(self.compile(s.lo)(env), f"the lower bound of loop '{s.name or s.var}'")
            hi = self.concrete(self.compile(s.hi)(env), f"the upper bound of loop '{s.name or s.var}'")
            if s.step == 0:
                raise NotSICF(f"loop '{s.name or s.var}' has step 0")
            body, var = s.body, s.var
            if s.attrs.get("dataflow"):
                for v in range(lo, hi, s.step):
                    env[var] = dag.const(v, index)
                    self._exec_dataflow(body, env, f"{s.name}:{v}")
                return
            for v in range(lo, hi, s.step):
                env[var] = dag.const(v, index)
                for c in body:
                    self._exec(c, env)
        elif isinstance(s, If):
            c = self.compile(s.cond)(env)
            if c in dag.values:
                self._exec_block(s.then_body if dag.values[c] != 0 else s.else_body, env)
                return
            saved = self.pc
            cond = dag.op("ne", bool_, (c, dag.const(0, dag.type_of(c)))) \
                if dag.type_of(c) != bool_ else c
            not_cond = dag.op("lnot", bool_, (cond,))
            for branch, guard in ((s.then_body, cond), (s.else_body, not_cond)):
                if not branch:
                    continue
                self.pc = guard if saved is None else dag.op("land", bool_, (saved, guard))
                try:
                    self._exec_block(branch, env)
                finally:
                    self.pc = saved
        elif isinstance(s, Alloc):
            env[s.name] = self._alloc(s, env)
        elif isinstance(s, StreamPut):
            if self.pc is not None:
                raise NotSICF(f"write to stream '{s.stream}' under a data-dependent condition")
            view = env[s.stream]
            fifo = view.store[view.flat(tuple(self.concrete(self.compile(i)(env), "a stream index")
                                              for i in s.indices))]
            fifo.items.append(self.compile(s.value)(env))
            fifo.putters.add(self.process)
            fifo.max_fill = max(fifo.max_fill, len(fifo.items))
            if len(fifo.items) > fifo.depth and fifo.overflow_by is None:
                fifo.overflow_by = self.process
            self._tick()
        elif isinstance(s, Call):
            self._call(s, env)
        elif isinstance(s, Return):
            if self.pc is not None:
                raise NotSICF("return under a data-dependent condition")
            vals = []
            for a in s.values:
                if isinstance(a, BufRef):
                    vals.append(self._bufref(a, env))
                else:
                    vals.append(self.compile(a)(env))
            raise _ReturnSignal(vals)
        elif isinstance(s, While):
            n = 0
            while True:
                c = self.concrete(self.compile(s.cond)(env), "a while condition")
                if not c:
                    break
                n += 1
                if n > self.max_while:
                    raise BudgetExceeded(f"while loop ran more than {self.max_while} iterations")
                self._exec_block(s.body, env)
        else:
            raise NotSICF(f"unsupported statement {type(s).__name__}")

    def _bufref(self, a: BufRef, env) -> View:
        view = env[a.buffer]
        if not a.prefix:
            return view
        return view.sub(tuple(self.concrete(self.compile(p)(env), f"a sub-view of '{a.buffer}'")
                              for p in a.prefix))

    def _alloc(self, s: Alloc, env) -> View:
        t = s.type
        if isinstance(t, StreamType):
            t = BufferType(t, ())
        if t.is_stream:
            st = t.dtype
            store = [_Fifo(f"{s.name}" + (f"[{k}]" if t.shape else ""), st.depth)
                     for k in range(t.size)]
            self.fifos.extend(store)
            return View(s.name, store, 0, t.shape, st.dtype, st.depth)
        et = t.dtype
        if s.init is None:
            store = [self.dag.const(0, et)] * t.size
        elif isinstance(s.init, Expr):
            store = [self.compile(s.init)(env)] * t.size
        else:
            arr = np.asarray(s.init).reshape(-1)
            if isinstance(et, Fixed) and arr.dtype.kind == "f":  # real values -> raw bits
                from ..semantics import specialize
                to_raw = specialize("cast", [float64], et)
                store = [self.dag.const(to_raw(np.float64(x)), et) for x in arr]
            else:
                store = [self.dag.const(x.item() if not isinstance(et, Float) else x, et)
                         for x in arr]
        return View(s.name, store, 0, t.shape, et)

    def _call(self, s: Call, env) -> None:
        callee = self.module.funcs.get(s.callee)
        if callee is None:
            raise NotSICF(f"call to unknown function '{s.callee}'")
        if len(s.args) != len(callee.params):
            raise NotSICF(f"call to '{s.callee}' with {len(s.args)} arguments, expected "
                          f"{len(callee.params)}")
        inner: Dict[str, Any] = {}
        for p, a in zip(callee.params, s.args):
            if isinstance(a, BufRef):
                inner[p.name] = self._bufref(a, env)
            else:
                v = self.compile(a)(env)
                if isinstance(p.type, AlloType) and self.dag.type_of(v) != p.type:
                    v = self.dag.op("cast", p.type, (v,))
                inner[p.name] = v
        returned = self._call_body(callee, inner)
        for name, val in zip(s.results, returned):
            dst = env[name]
            if isinstance(val, View):
                src = val.cells()
                if len(src) != len(dst.cells()):
                    raise NotSICF(f"result of '{s.callee}' does not fit '{name}'")
                dst.store[dst.offset:dst.offset + len(src)] = src
            else:
                dst.store[dst.offset] = val if self.pc is None else self.dag.op(
                    "select", dst.dtype, (self.pc, val, dst.store[dst.offset]))

    # ------------------------------------------------------------ streams
    def _fifo_issues(self) -> List[FifoIssue]:
        issues: List[FifoIssue] = []
        for f in self.fifos:
            if f.items:
                issues.append(FifoIssue("leftover", f.name, f"{len(f.items)} element(s) left in "
                                        f"FIFO '{f.name}' at the end"))
            if f.overflow_by is not None:
                same = f.getters <= {f.overflow_by}
                msg = (f"FIFO '{f.name}' holds up to {f.max_fill} elements under sequential order "
                       f"but its depth is {f.depth}")
                if same:
                    issues.append(FifoIssue("overflow", f.name, msg + "; the same sequential "
                                            "process fills and drains it, so hardware blocks "
                                            "forever on the full FIFO"))
                else:
                    issues.append(FifoIssue("overflow", f.name, msg + "; fine only if producer "
                                            "and consumer run concurrently", certain=False))
        return issues


def run_symbolic(module: Module, dag: Optional[Dag] = None, **opts: Any) -> SymResult:
    """Symbolically execute ``module``. Example: ``run_symbolic(mod).outputs[0].cells``."""
    return SymbolicExecutor(module, dag if dag is not None else Dag(), **opts).run()


__all__ = ["SymbolicExecutor", "SymResult", "LiveOut", "FifoIssue", "NotSICF",
           "BudgetExceeded", "Deadlock", "View", "run_symbolic"]
