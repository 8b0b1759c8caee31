"""Compile IR functions into Python source specialised for symbolic execution.

Each IR function becomes one Python function (built with ``exec`` once per run; functions
whose code differs only in literals share one compile, see below): loops
become Python ``for`` loops over ``range``, loop variables are Python ints, addresses are
inline integer arithmetic on flat storage lists, and every data operation is a call to a
node builder specialised to its op and types (:mod:`allo.symexec.builders`). Expressions
that only involve loop variables and constants (*static* expressions) are evaluated on
Python ints with the registry's concrete meaning; everything that touches buffer data is a
DAG node id. No per-operation dispatch on node classes happens at run time.

Exactness: index arithmetic (``add``/``sub``/``mul``/``neg`` on ``index``) is computed on
unbounded Python ints and wrapped to 64 bits where it is used (the wrap is a ring
homomorphism, so wrapping once equals wrapping per op); a bounds check that interval
analysis cannot discharge statically is emitted inline, and its slow path wraps before
deciding (:func:`allo.ir.index.interval` discharges the check when it can). Other
static ops call the registry's concrete function.

Sharing: the literals a function's code depends on by value (constants, DAG node ids of
constants, function and parameter names) are not written into its source but lifted into
names (``_lit0``, ...) that a generated factory binds, one name per occurrence. Functions
whose sources are equal, character for character, share the compiled factory and each gets
its own function object bound to its own literals; so the thousands of PEs of a systolic
array compile once per distinct body, and each still runs exactly its own code.

Every generated function takes ``pc`` (the path condition node, ``None`` when
unconditional) first: stores under a data-dependent condition write
``select(pc, new, old)``; streams under one are not SICF, nor a return under a condition
of its own function (a callee's return under its caller's condition binds the results with
a select).

Statement code (blocks, loops and their processes, ``if``, calls, ``while``, declarations)
is the mixin :class:`allo.symexec.codegen_stmts.StatementCode`; this module holds the unit,
expressions, addresses and views.

Example::

    >>> unit = ModuleCompiler(module, dag, executor)          # doctest: +SKIP
    >>> top = unit.function(module.top)                        # doctest: +SKIP
    >>> top(None, view_A, view_B)                              # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..ir.state import state_key
from ..ir.nodes import (Alloc, BufRef, Call, Const, Expr, Func, Load, Module, Op, Return,
                        StreamGet, Var, walk_expr, walk_stmts)
from ..ir.index import interval
from ..ir.types import AlloType, BufferType, Float, StreamType, index, row_major_strides
from ..semantics.values import const_value
from .builders import make_builder, make_const_converter
from .dag import Dag
from .codegen_stmts import CompileNotSICF, StatementCode
from .hotpath import _RING, HotPaths
from .narrowing import narrow_widened
from .cost import expr_ops, stmt_cost

_FACTORY = "_make"  # the generated factory of one function (see _FunctionCompiler.source)
_NAMED_LITERALS = 256  # lifted literals bound to names of their own (see _FunctionCompiler.lit)


@dataclass
class _Buf:
    name: str
    shape: Tuple[int, ...]
    dtype: AlloType
    kind: str  # "param", "alloc", "state" (Stateful) or "scalar" (a scalar parameter)
    store: str = ""  # Python name of the flat storage list
    off: str = ""  # Python name of the offset ("" means 0)
    view: str = ""  # Python name of the View (parameters; local buffers passed to calls)
    stream: bool = False
    depth: int = 0
    alloc_pc: str = ""  # Python name of the path condition when the Alloc last ran

    @property
    def strides(self) -> Tuple[int, ...]:
        return row_major_strides(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)


def _static_const(e: Const) -> Any:
    """The value a constant has in static (Python int) code."""
    v = const_value(e.value, e.type)
    return v if isinstance(e.type, Float) else int(v)


def _as_buffer_type(t: Any, scalar_ok: bool = False) -> Optional[BufferType]:
    if scalar_ok and isinstance(t, AlloType):  # a local scalar declared with its type
        return BufferType(t, ())
    if isinstance(t, StreamType):
        return BufferType(t, ())
    return t if isinstance(t, BufferType) else None


class ModuleCompiler:
    """Generates and caches one Python function per IR function of ``module``.

    ``runtime`` is the executor object the generated code calls back (``X`` in the code).
    """

    def __init__(self, module: Module, dag: Dag, runtime: Any) -> None:
        self.module, self.dag = module, dag
        self.g: Dict[str, Any] = {"X": runtime, "range": range, "len": len}
        self._glob_keys: Dict[Any, str] = {}
        self._funcs: Dict[str, str] = {}
        self.sources: Dict[str, str] = {}
        # generated source -> its compiled factory: functions whose code differs only in
        # lifted literals (the PEs of a systolic array) share one compile
        self._factories: Dict[str, Callable[..., Callable]] = {}
        # FIFO accesses are emitted inline (see _FunctionCompiler.fifo_get); they need the
        # runtime's trace and the current process id in a local ``_pt``
        self.streams = hasattr(runtime, "_trace") and any(
            isinstance(t, StreamType) or (isinstance(t, BufferType) and t.is_stream)
            for f in module.funcs.values()
            for t in [p.type for p in f.params] + [x.type for x in walk_stmts(f.body)
                                                    if isinstance(x, Alloc)])
        # callee name -> label of its summary class, for a modular proof (else empty)
        self.summary_labels: Dict[str, str] = getattr(runtime, "summary_labels", None) or {}

    def release(self) -> None:
        """Drop the generated code (its functions and their globals refer to each other,
        so without this only the cyclic collector frees them and what they hold).
        Example: ``unit.release()`` once the run is over."""
        self.g.clear()
        self._factories.clear()

    def glob(self, key: Any, make: Callable[[], Any], prefix: str) -> str:
        """The global name of a (cached) helper object.

        Globals live in their own namespace (``_g`` + prefix + number): a function's locals
        come from ``fresh`` (``_c7``, ``_t3``), and a global that shared a local's name would
        be shadowed in the whole function, so it would read the local's value (a constant
        replaced by a condition: wrong verdicts) or raise ``UnboundLocalError``.
        """
        name = self._glob_keys.get(key)
        if name is None:
            name = f"_g{prefix}{len(self._glob_keys)}"
            self._glob_keys[key] = name
            self.g[name] = make()
        return name

    def builder(self, op: str, t: AlloType, ats: Tuple[AlloType, ...]) -> str:
        return self.glob(("B", op, t, ats), lambda: make_builder(self.dag, op, t, ats), "_B")

    def converter(self, t: AlloType) -> str:
        return self.glob(("K", t), lambda: make_const_converter(self.dag, t), "_K")

    def concrete_fn(self, op: str, ats: Tuple[AlloType, ...], t: AlloType) -> str:
        return self.glob(("F", op, ats, t), lambda: self.dag.impl(op, ats, t), "_F")

    def function(self, name: str) -> Callable:
        """The compiled Python function of IR function ``name``."""
        return self.g[self.func_name(name)]

    def func_name(self, name: str) -> str:
        py = self._funcs.get(name)
        if py is None:
            func = self.module.funcs.get(name)
            if func is None:
                raise CompileNotSICF(f"call to unknown function '{name}'")
            py = self._funcs[name] = f"_fn{len(self._funcs)}"
            try:
                gen = _FunctionCompiler(self, func, py)
                src = gen.source()
                self.sources[name] = src
                factory = self._factories.get(src)
                if factory is None:
                    code = compile(src, f"<symexec {name}>", "exec")
                    scope: Dict[str, Any] = {}
                    exec(code, self.g, scope)  # noqa: S102
                    factory = self._factories[src] = scope[_FACTORY]
            except (RecursionError, SyntaxError, MemoryError) as e:
                # CPython's own limits (expression nesting, parentheses): not a verdict
                raise CompileNotSICF(f"'{name}' is nested too deeply for the symbolic "
                                     f"executor ({type(e).__name__}: {e})") from None
            lits = tuple(gen.literals)
            self.g[py] = factory(lits, *lits[:_NAMED_LITERALS])
        return py


class _FunctionCompiler(StatementCode, HotPaths):
    def __init__(self, unit: ModuleCompiler, func: Func, pyname: str) -> None:
        self.unit, self.func, self.pyname = unit, func, pyname
        self.lines: List[str] = []
        self.depth = 2  # inside the factory (see source)
        self.n = 0
        self.literals: List[Any] = []  # the values of _lit0, _lit1, ... (see lit)
        self.bufs: Dict[str, _Buf] = {}
        self.scalars: Dict[str, str] = {}
        self.loops: List[Tuple[str, str, Optional[Tuple[int, int]]]] = []  # (var, py, range)
        # per open loop: [line index of its ``for``, {hoisted code: Python name}]
        self.preheaders: List[List[Any]] = []
        self.blocks = 0  # Python loop blocks open in the current (possibly nested) def
        self.stores: List[str] = []  # Python names of local buffers' storage lists

    # ------------------------------------------------------------ helpers
    def fresh(self, prefix: str = "_t") -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    def lit(self, value: Any) -> str:
        """A name (``_lit3``) bound to ``value`` (a constant, a DAG node id, a function or
        parameter name) in place of a literal in the code: functions alike but for such
        values get the same source and share one compile. Every occurrence gets a name of
        its own, so equal source means the same code whatever the values."""
        k = len(self.literals)
        self.literals.append(value)
        # past _NAMED_LITERALS, items of one tuple: CPython compiles thousands of closure
        # cells in superlinear time (a region's top passes thousands of FIFO indices)
        return f"_lit{k}" if k < _NAMED_LITERALS else f"_lits[{k}]"

    def source(self) -> str:
        params = []
        for p in self.func.params:
            bt = _as_buffer_type(p.type)
            if bt is not None:
                v = self.fresh("_v")
                info = _Buf(p.name, bt.shape, bt.dtype.dtype if bt.is_stream else bt.dtype,
                            "param", self.fresh("_s"), self.fresh("_o"), v, bt.is_stream,
                            bt.dtype.depth if bt.is_stream else 0)
                self.bufs[p.name] = info
                params.append(v)
                self.emit(f"{info.store} = {v}.store; {info.off} = {v}.offset")
                self.emit(f"X.check_view({v}, {bt.shape!r}, {self.lit(p.name)}, "
                          f"{self.lit(self.func.name)})")
            else:
                py = self.fresh("_p")
                self.scalars[p.name] = py
                params.append(py)
        for s in walk_stmts(self.func.body):
            if isinstance(s, Alloc):
                self._declare(s)
        for s in walk_stmts(self.func.body):
            if isinstance(s, Alloc) and s.stateful:  # one storage per design, kept across calls
                info = self.bufs[s.name]
                key = state_key(self.unit.module, self.func.name, s.name)
                self.emit(f"{info.store} = X.state_store({self.lit(key)})")
        # a local buffer passed to calls gets its View once per allocation, not per call (a
        # region's top passes thousands of FIFO views: shorter code, fewer objects)
        passed = {a.buffer for st in walk_stmts(self.func.body) if isinstance(st, (Call, Return))
                  for a in (st.args if isinstance(st, Call) else st.values)
                  if isinstance(a, BufRef)}
        for b in self.bufs.values():
            if b.kind == "alloc" and b.name in passed:
                b.view = self.fresh("_vw")
        self.stores = [n for b in self.bufs.values() if b.kind == "alloc"
                       for n in (b.store, b.alloc_pc, b.view) if n]
        if self.stores:  # bound here so outlined nested defs can rebind them (nonlocal)
            self.emit(" = ".join(self.stores) + " = None")
        dataflow = bool(self.func.attrs.get("dataflow"))
        self.emit("_tok = X.token()")
        self.emit("_pc0 = pc")  # the caller's path condition: call results bind under it
        if dataflow:
            self.emit("_pp0 = X.process")
        self.track_process()
        self.block(self.func.body, count=True, dataflow_label=self.func.name if dataflow else None,
                   region="_tok")
        if dataflow:
            self.set_process("_pp0")
        self.emit("return []")
        # a factory binds the lifted literals (closure cells) and returns the function
        names = [f"_lit{k}" for k in range(min(len(self.literals), _NAMED_LITERALS))]
        factory = f"def {_FACTORY}(_lits{''.join(', ' + n for n in names)}):"
        head = f"    def _fn(pc{''.join(', ' + p for p in params)}):"
        return "\n".join([factory, head, *self.lines, "    return _fn"]) + "\n"

    def _declare(self, s: Alloc) -> None:
        bt = _as_buffer_type(s.type, scalar_ok=True)
        prev = self.bufs.get(s.name)
        if prev is not None and (prev.kind != "alloc" or prev.shape != bt.shape or
                                 prev.dtype != (bt.dtype.dtype if bt.is_stream else bt.dtype)):
            raise CompileNotSICF(f"buffer '{s.name}' of '{self.func.name}' is declared twice "
                                 "with different types")
        if prev is None:
            et = bt.dtype.dtype if bt.is_stream else bt.dtype
            self.bufs[s.name] = _Buf(s.name, bt.shape, et, "state" if s.stateful else "alloc",
                                     self.fresh("_s"),
                                     stream=bt.is_stream, depth=bt.dtype.depth if bt.is_stream else 0,
                                     alloc_pc=self.fresh("_apc"))

    def buf(self, name: str) -> _Buf:
        info = self.bufs.get(name)
        if info is None:
            if name in self.scalars:
                return _Buf(name, (), None, "scalar", self.scalars[name])
            raise CompileNotSICF(f"'{self.func.name}' uses unknown buffer '{name}'")
        return info

    def loopvar(self, name: str) -> Optional[Tuple[str, Optional[Tuple[int, int]]]]:
        for var, py, rng in reversed(self.loops):
            if var == name:
                return py, rng
        return None

    # ------------------------------------------------------------ static expressions
    def is_static(self, e: Expr) -> bool:
        if isinstance(e, Const):
            return True
        if isinstance(e, Var):
            return self.loopvar(e.name) is not None
        if isinstance(e, Op):
            return all(self.is_static(a) for a in e.args)
        return False

    def static(self, e: Expr) -> Tuple[str, bool]:
        """Python code of a static expression's value; ``raw`` means "wrap to int64 first"."""
        if isinstance(e, Const):
            return self.lit(_static_const(e)), False
        if isinstance(e, Var):
            return self.loopvar(e.name)[0], False
        if e.type == index and e.op in _RING and all(a.type == index for a in e.args):
            a, b = (self.static(x)[0] for x in e.args)
            return f"({a} {_RING[e.op]} {b})", True
        if e.type == index and e.op == "neg" and e.args[0].type == index:
            return f"(-{self.static(e.args[0])[0]})", True
        if self.is_index_compare(e):
            return f"(1 if {self.static_test(e)} else 0)", False
        ats = tuple(a.type for a in e.args)
        fn = self.unit.concrete_fn(e.op, ats, e.type)
        return f"{fn}({', '.join(self.static_value(a) for a in e.args)})", False

    def static_value(self, e: Expr) -> str:
        code, raw = self.static(e)
        return f"X.wrap64({code})" if raw else code

    def provably_within(self, e: Expr, extent: int) -> bool:
        """``0 <= e < extent`` on every iteration of the enclosing loops (index analysis)."""
        rng = interval(e, {var: r for var, _, r in self.loops if r is not None})
        return rng is not None and 0 <= rng[0] and rng[1] < extent

    # ------------------------------------------------------------ addresses and data
    def address(self, info: _Buf, indices: Tuple[Expr, ...], what: str) -> str:
        if len(indices) != len(info.shape):
            raise CompileNotSICF(f"'{info.name}' has rank {len(info.shape)}, indexed with "
                                 f"{len(indices)} indices")
        parts = []
        invariant = [info.off] if info.off else []  # terms computed before the inner loop
        level = -1  # the deepest loop the invariant terms depend on
        inner = len(self.loops) - 1
        for ix, extent, stride in zip(indices, info.shape, info.strides):
            if self.is_static(ix):
                code, _ = self.static(ix)
                checked = not self.provably_within(ix, extent)
            else:
                if any(isinstance(x, StreamGet) for x in walk_expr(ix)):
                    raise CompileNotSICF(f"{what} reads a stream")
                code, checked = f"X.concrete({self.dyn(ix)}, {what!r})", True
            if checked:
                t = self.fresh()
                code = f"({t} if 0 <= ({t} := {code}) < {extent} else X.oob({t}, {extent}, {what!r}))"
            term = code if stride == 1 else f"{code} * {stride}"
            depth = None if checked else self._ring_depth(ix)
            if depth is not None and depth < inner:
                invariant.append(term)
                level = max(level, depth)
            else:
                parts.append(term)
        if len(invariant) > 1 or (invariant and not invariant[0].isidentifier()):
            parts.insert(0, self._hoist(" + ".join(invariant), level + 1))
        elif invariant:
            parts[:0] = invariant
        return " + ".join(parts) if parts else "0"

    def dyn(self, e: Expr) -> str:
        """Python code producing the DAG node id of ``e``."""
        if isinstance(e, Const):
            return self.lit(self.unit.dag.const(e.value, e.type))
        if self.is_static(e):
            return f"{self.unit.converter(e.type)}({self.static_value(e)})"
        if isinstance(e, Var):
            py = self.scalars.get(e.name)
            if py is None:
                raise CompileNotSICF(f"unbound variable '{e.name}' in '{self.func.name}'")
            return py
        if isinstance(e, Load):
            info = self.buf(e.buffer)
            if info.kind == "scalar":
                if e.indices:
                    raise CompileNotSICF(f"scalar '{e.buffer}' indexed")
                return info.store
            if info.stream:
                raise CompileNotSICF(f"stream '{e.buffer}' read as a buffer")
            return f"{info.store}[{self.address(info, e.indices, f'the address of a load from {e.buffer!r}')}]"
        if isinstance(e, StreamGet):
            info = self.buf(e.stream)
            if not info.stream:
                raise CompileNotSICF(f"'{e.stream}' is not a stream")
            return self.fifo_get(f"{info.store}[{self.address(info, e.indices, 'a stream index')}]")
        if isinstance(e, Op):
            e = narrow_widened(e)
            ats = tuple(a.type for a in e.args)
            if e.op == "cast" and ats[0] == e.type:
                return self.dyn(e.args[0])
            b = self.unit.builder(e.op, e.type, ats)
            return f"{b}({', '.join(self.dyn(a) for a in e.args)})"
        raise CompileNotSICF(f"unsupported expression {type(e).__name__}")

    def view(self, ref: BufRef) -> str:
        info = self.buf(ref.buffer)
        if info.kind == "scalar":
            raise CompileNotSICF(f"scalar '{ref.buffer}' passed as a buffer")
        base = info.view or self._new_view(info)
        if not ref.prefix:
            return base
        if all(isinstance(p, Const) for p in ref.prefix):  # one literal: FIFO k of an array
            return f"{base}.sub({self.lit(tuple(_static_const(p) for p in ref.prefix))})"
        idx = ", ".join(self.static_value(p) if self.is_static(p) else
                        f"X.concrete({self.dyn(p)}, 'a sub-view of {ref.buffer}')" for p in ref.prefix)
        return f"{base}.sub(({idx},))"



__all__ = ["ModuleCompiler", "CompileNotSICF", "expr_ops", "stmt_cost"]
