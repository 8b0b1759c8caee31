"""The reference interpreter: runs IR with the meaning of every op taken from the registry.

Each function is compiled once into nested Python closures (one per IR node, op meanings
specialised to their types through :func:`allo.semantics.registry.specialize`), so running
a loop nest does not re-dispatch on node classes. Buffers are execution containers
(:mod:`allo.runtime`): numpy arrays with ints wrapped to their width and fixed point as raw
integers; scalar locals are 0-d buffers; ``BufRef`` sub-views are numpy views; streams are
object arrays of ``collections.deque`` (one FIFO per element), run in sequential program
order, so reading an empty FIFO is reported as a deadlock.

Example::

    >>> import numpy as np
    >>> from allo.ir.nodes import *
    >>> from allo.ir.types import int8, index
    >>> i = Var("i", index)
    >>> body = [For("i", Const(0, index), Const(4, index), 1,
    ...             [Store("A", (i,), Op("cast", (i,), int8))], name="i")]
    >>> mod = Module({"f": Func("f", [Param("A", int8[4])], [], body)}, "f")
    >>> A = np.zeros(4, dtype=np.int8)
    >>> Interpreter(mod)(A); A
    array([0, 1, 2, 3], dtype=int8)
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, Dict, Optional, Sequence

import numpy as np

from ...errors import AlloError
from ...ir.nodes import (Alloc, BufRef, Call, Const, Expr, For, Func, If, Load, Module, Op,
                        Return, Stmt, Store, StreamGet, StreamPut, Var, While)
from ...ir.types import AlloType, BufferType, Fixed, Float, StreamType
from ...ir.aliasing import written_params
from ...ir.state import impure_funcs, state_key
from ...ir.verifier import verify_ir
from ...runtime import bind_arguments, constant_table, container_dtype, initial_state, invoke
from ...semantics.casts import float_to_fixed_raw
from ...semantics.registry import specialize
from ...semantics.values import const_value

ExprFn = Callable[["_Frame"], Any]
StmtFn = Callable[["_Frame"], Optional[list]]  # returns the results when a Return ran


class _Frame:
    """One activation of a function: scalar variables and buffers by name."""

    __slots__ = ("vars", "bufs")

    def __init__(self) -> None:
        self.vars: Dict[str, Any] = {}
        self.bufs: Dict[str, Any] = {}


def _where(node: Any, func: str) -> str:
    loc = getattr(node, "loc", None)
    return f"{loc}" if loc is not None else f"function '{func}'"


class _Compiler:
    """Compiles one function's statements and expressions into closures."""

    def __init__(self, interp: "Interpreter", func: Func):
        self.interp = interp
        self.func = func

    # -------------------------------------------------------------- expressions
    def expr(self, e: Expr) -> ExprFn:
        if isinstance(e, Const):
            v = self._const(e)
            return lambda fr: v
        if isinstance(e, Var):
            name = e.name
            return lambda fr: fr.vars[name]
        if isinstance(e, Load):
            return self._load(e)
        if isinstance(e, StreamGet):
            return self._stream_get(e)
        if isinstance(e, Op):
            return self._op(e)
        raise AlloError(f"the interpreter cannot evaluate {type(e).__name__}",
                        where=_where(e, self.func.name))

    def _const(self, e: Const) -> Any:
        if isinstance(e.type, Fixed) and isinstance(e.value, float):
            return float_to_fixed_raw(e.value, e.type.frac, e.type.bits, e.type.signed)
        return const_value(e.value, e.type)

    def _op(self, e: Op) -> ExprFn:
        fn = specialize(e.op, [a.type for a in e.args], e.type)
        args = [self.expr(a) for a in e.args]
        if len(args) == 1:
            a0, = args
            return lambda fr: fn(a0(fr))
        if len(args) == 2:
            a0, a1 = args
            return lambda fr: fn(a0(fr), a1(fr))
        if len(args) == 3:
            a0, a1, a2 = args
            return lambda fr: fn(a0(fr), a1(fr), a2(fr))
        return lambda fr: fn(*[a(fr) for a in args])

    def index(self, name: str, indices: Sequence[Expr], node: Any) -> ExprFn:
        """A closure computing the index tuple, refusing negative indices (numpy would wrap)."""
        fns = [self.expr(i) for i in indices]
        oob = self._out_of_bounds(name, node)
        if not fns:
            return lambda fr: ()
        if len(fns) == 1:
            f0, = fns
            def idx1(fr):
                a = f0(fr)
                if a < 0:
                    oob(fr, (a,))
                return a
            return idx1
        if len(fns) == 2:
            f0, f1 = fns
            def idx2(fr):
                a, b = f0(fr), f1(fr)
                if a < 0 or b < 0:
                    oob(fr, (a, b))
                return a, b
            return idx2
        def idxn(fr):
            t = tuple(f(fr) for f in fns)
            if min(t) < 0:
                oob(fr, t)
            return t
        return idxn

    def _out_of_bounds(self, name: str, node: Any) -> Callable[["_Frame", tuple], None]:
        where = _where(node, self.func.name)
        def oob(fr, idx):
            buf = fr.bufs.get(name)
            shape = getattr(buf, "shape", "?")
            raise AlloError(f"index {tuple(idx) if isinstance(idx, tuple) else (idx,)} is out of "
                            f"bounds for buffer '{name}' of shape {shape}", where=where,
                            hint="check the loop bounds and index expressions")
        return oob

    def _load(self, e: Load) -> ExprFn:
        name, idx = e.buffer, self.index(e.buffer, e.indices, e)
        oob = self._out_of_bounds(e.buffer, e)
        if isinstance(e.type, Float):
            def load_float(fr):
                i = idx(fr)
                try:
                    return fr.bufs[name][i]
                except IndexError:
                    oob(fr, i)
            return load_float
        def load_int(fr):
            i = idx(fr)
            try:
                return int(fr.bufs[name][i])
            except IndexError:
                oob(fr, i)
        return load_int

    def _stream_get(self, e: StreamGet) -> ExprFn:
        name, idx = e.stream, self.index(e.stream, e.indices, e)
        where = _where(e, self.func.name)
        def get(fr):
            i = idx(fr)
            fifo = fr.bufs[name][i]
            if not fifo:
                shown = "" if i == () else str(list(i) if isinstance(i, tuple) else [i])
                raise AlloError(f"read of the empty stream '{name}{shown}' "
                                "in sequential program order: the design would deadlock",
                                where=where, hint="make sure every value is put into the stream "
                                "before it is read (producer before consumer)")
            return fifo.popleft()
        return get

    # -------------------------------------------------------------- statements
    def body(self, stmts: Sequence[Stmt]) -> StmtFn:
        fns = [self.stmt(s) for s in stmts]
        if not fns:
            return lambda fr: None
        if len(fns) == 1:
            return fns[0]
        def run(fr):
            for f in fns:
                r = f(fr)
                if r is not None:
                    return r
            return None
        return run

    def stmt(self, s: Stmt) -> StmtFn:
        method = getattr(self, "_" + type(s).__name__.lower(), None)
        if method is None:
            raise AlloError(f"the interpreter cannot run {type(s).__name__}",
                            where=_where(s, self.func.name))
        return method(s)

    def _for(self, s: For) -> StmtFn:
        lo, hi, step, var, body = self.expr(s.lo), self.expr(s.hi), s.step, s.var, self.body(s.body)
        def loop(fr):
            vars_ = fr.vars
            for v in range(lo(fr), hi(fr), step):
                vars_[var] = v
                r = body(fr)
                if r is not None:
                    return r
            return None
        return loop

    def _if(self, s: If) -> StmtFn:
        cond, then, other = self.expr(s.cond), self.body(s.then_body), self.body(s.else_body)
        return lambda fr: then(fr) if cond(fr) else other(fr)

    def _while(self, s: While) -> StmtFn:
        cond, body = self.expr(s.cond), self.body(s.body)
        def loop(fr):
            while cond(fr):
                r = body(fr)
                if r is not None:
                    return r
            return None
        return loop

    def _store(self, s: Store) -> StmtFn:
        name, idx, value = s.buffer, self.index(s.buffer, s.indices, s), self.expr(s.value)
        oob = self._out_of_bounds(s.buffer, s)
        def store(fr):
            v = value(fr)
            i = idx(fr)
            try:
                fr.bufs[name][i] = v
            except IndexError:
                oob(fr, i)
        return store

    def _streamput(self, s: StreamPut) -> StmtFn:
        name, idx, value = s.stream, self.index(s.stream, s.indices, s), self.expr(s.value)
        def put(fr):
            v = value(fr)
            fr.bufs[name][idx(fr)].append(v)
        return put

    def _alloc(self, s: Alloc) -> StmtFn:
        name, t = s.name, s.type
        if isinstance(t, AlloType):  # tolerate a scalar type: a 0-d buffer
            t = BufferType(t, ())
        if s.stateful:  # the interpreter's one storage of this state, kept across calls
            interp = self.interp
            key = state_key(interp.module, self.func.name, name)
            return lambda fr: fr.bufs.__setitem__(name, interp.state_buffer(key, s, t))
        if t.is_stream:
            shape = t.shape
            return lambda fr: fr.bufs.__setitem__(name, new_streams(shape))
        dtype = container_dtype(t.dtype)
        if s.init is None:
            return lambda fr: fr.bufs.__setitem__(name, np.zeros(t.shape, dtype=dtype))
        if isinstance(s.init, Expr):
            init = self.expr(s.init)
            def alloc_fill(fr):
                arr = np.empty(t.shape, dtype=dtype)
                arr.fill(init(fr))
                fr.bufs[name] = arr
            return alloc_fill
        table = constant_table(s.init, t)
        return lambda fr: fr.bufs.__setitem__(name, table.copy())

    def _call(self, s: Call) -> StmtFn:
        interp, callee, results = self.interp, s.callee, list(s.results)
        if callee not in interp.module.funcs:
            raise AlloError(f"call of unknown function '{callee}'", where=_where(s, self.func.name))
        args = [self.arg(a) for a in s.args]
        def call(fr):
            values = interp.run(callee, [a(fr) for a in args])
            for rname, v in zip(results, values):
                bind_result(fr, rname, v)
            return None
        return call

    def _return(self, s: Return) -> StmtFn:
        vals = [self.arg(a) for a in s.values]
        return lambda fr: [v(fr) for v in vals]

    def arg(self, a: Any) -> ExprFn:
        """A call argument / returned value: a buffer (or sub-view) or a scalar value."""
        if isinstance(a, BufRef):
            name = a.buffer
            if not a.prefix:
                return lambda fr: fr.bufs[name]
            idx = self.index(name, a.prefix, a)
            def view(fr):
                i = idx(fr)
                return fr.bufs[name][(i if isinstance(i, tuple) else (i,)) + (Ellipsis,)]
            return view
        return self.expr(a)

    # -------------------------------------------------------------- functions
    def compile(self) -> Callable[[Sequence[Any]], list]:
        func = self.func
        body = self.body(func.body)
        params = []
        for p in func.params:
            is_buffer = isinstance(p.type, (BufferType, StreamType))
            params.append((p.name, is_buffer, p.type))

        def run(args: Sequence[Any]) -> list:
            if len(args) != len(params):
                raise AlloError(f"function '{func.name}' takes {len(params)} argument(s), got "
                                f"{len(args)}", where=_where(func, func.name))
            fr = _Frame()
            for (pname, is_buffer, ptype), a in zip(params, args):
                if is_buffer:
                    if isinstance(ptype, StreamType) and not isinstance(a, np.ndarray):
                        a = np.array(a if isinstance(a, deque) else deque(), dtype=object)
                    fr.bufs[pname] = a
                else:
                    fr.vars[pname] = a
                    fr.bufs[pname] = _scalar_buffer(a, ptype)
            r = body(fr)
            return [] if r is None else r
        return run


def _scalar_buffer(v: Any, t: AlloType) -> np.ndarray:
    arr = np.empty((), dtype=container_dtype(t))
    arr[()] = v
    return arr


def new_streams(shape: tuple) -> np.ndarray:
    """An object array of empty FIFOs. Example: ``new_streams((2,))[1]`` is a ``deque``."""
    arr = np.empty(shape, dtype=object)
    for k in range(arr.size):
        arr.reshape(-1)[k] = deque()
    return arr


def bind_result(fr: _Frame, name: str, value: Any) -> None:
    """Store a callee's result into the caller's result buffer (copying: value semantics)."""
    dest = fr.bufs.get(name)
    if dest is None:
        fr.bufs[name] = np.array(value, copy=True)
    else:
        dest[...] = value


class Interpreter:
    """Runs a module's top function with the numpy calling convention of :mod:`allo.runtime`.

    Example: ``Interpreter(module)(A, B)`` returns what the kernel returns, or updates the
    arrays in place for kernels without results.
    """

    def __init__(self, module: Module, state: Optional[Dict[str, np.ndarray]] = None,
                 memo: Optional[Dict[str, Dict[tuple, tuple]]] = None):
        verify_ir(module)  # ill-typed IR has no meaning to run: raise the IRError up front
        self.module = module
        self._compiled: Dict[str, Callable[[Sequence[Any]], list]] = {}
        # the design's state (``Stateful`` buffers) by key ``func.name``, as containers:
        # created from the Alloc's init on first use, or given (a verifier's counterexample)
        self.state: Dict[str, np.ndarray] = {k: np.array(v, copy=True)
                                             for k, v in (state or {}).items()}
        # callee name -> its memo table, for callees that are deterministic functions of
        # their arguments (the modular proofs' summarized callees): a repeated call on
        # identical argument bytes reuses the result of the first. A callee with state is
        # never one (allo.ir.state.impure_funcs).
        impure = impure_funcs(module) if memo else set()
        self.memo = {n: t for n, t in (memo or {}).items() if n not in impure}

    def state_buffer(self, key: str, alloc: Alloc, t: BufferType) -> np.ndarray:
        """The storage of state ``key`` (created from ``alloc``'s init on first use).

        Example: ``Interpreter(m).state_buffer("f.acc", alloc, int32[()])`` is a 0-d array.
        """
        buf = self.state.get(key)
        if buf is None:
            buf = self.state[key] = initial_state(alloc, t)
        return buf

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        top = self.module.top_func
        args = bind_arguments(top, args, kwargs) if kwargs else args
        return invoke(top, args, lambda cargs: self.run(top.name, cargs),
                      written_params(self.module)[top.name])

    def compiled(self, func_name: str) -> Callable[[Sequence[Any]], list]:
        """The closure-compiled form of a function (compiled on first use)."""
        fn = self._compiled.get(func_name)
        if fn is None:
            if func_name not in self.module.funcs:
                raise AlloError(f"no function named '{func_name}' in the module",
                                hint=f"functions: {', '.join(self.module.funcs)}")
            fn = _Compiler(self, self.module.funcs[func_name]).compile()
            self._compiled[func_name] = fn
        return fn

    def run(self, func_name: str, container_args: Sequence[Any]) -> list:
        """Run a function on execution containers / values; returns its results (a list).

        Example: ``Interpreter(m).run("f", [np.zeros(4, np.int8)]) == []``.
        """
        fn = self.compiled(func_name)
        table = self.memo.get(func_name)
        if table is not None:
            return self._memoized(table, fn, container_args)
        with np.errstate(all="ignore"):
            return fn(container_args)

    @staticmethod
    def _memoized(memo: Dict[tuple, tuple], fn: Callable, args: Sequence[Any]) -> list:
        key = tuple(("a", a.dtype.str, a.shape, a.tobytes()) if isinstance(a, np.ndarray)
                    else ("s", type(a).__name__, np.asarray(a).dtype.str, np.asarray(a).tobytes())
                    for a in args)
        hit = memo.get(key)
        if hit is None:
            with np.errstate(all="ignore"):
                results = fn(args)
            after = tuple(a.copy() if isinstance(a, np.ndarray) else None for a in args)
            hit = memo[key] = (after, [np.copy(r) if isinstance(r, np.ndarray) else r
                                       for r in results])
        after, results = hit
        for a, final in zip(args, after):
            if final is not None:
                a[...] = final
        return [np.copy(r) if isinstance(r, np.ndarray) else r for r in results]


def run_func(module: Module, func_name: str, container_args: Sequence[Any]) -> list:
    """Run ``func_name`` of ``module`` on containers (no calling-convention conversion).

    Arrays are updated in place; the results are returned as a list of containers/values.
    Example: ``run_func(m, "f", [np.zeros(4, np.int8)])``.
    """
    return Interpreter(module).run(func_name, container_args)


__all__ = ["Interpreter", "run_func", "new_streams", "bind_result"]
