"""IR well-formedness: ``verify_ir(module)`` checks the invariants every pass relies on.

Ill-formed IR is a compiler bug (the frontend or a primitive produced it) or a hand-built
module gone wrong, so the verifier raises :class:`IRError`, a subclass of
:class:`allo.errors.AlloError`: code catching ``AlloError`` sees it, and its message names
the function, the statement and the rule. Rules checked:

* names: every buffer, stream and variable used is defined and in scope (lexical scoping:
  an ``Alloc`` is visible after it in its block and in nested blocks); no duplicate
  parameters, no buffer declared twice in a function, no loop variable shadowing another
  variable in scope;
* accesses: index count equals the buffer rank; indices are integers (or ``index``);
  loads/stores/stream operations use the element type and the right kind of buffer;
* ops: known op, right arity and the op's result-typing rule, all from its entry in the
  op registry (:data:`allo.semantics.registry.REGISTRY`): homogeneous operand types,
  comparisons give ``bool``, ``select``'s condition is ``bool``, float-only math, int-only
  bitwise ops, ``get_slice`` bounds constant and in range;
* static bounds: an index that is affine in loop variables whose loops have constant
  bounds (or a constant) must stay within the dimension's extent over the whole iteration
  box; accesses under an ``If``/``While``, or inside a loop with non-constant bounds, are
  not judged (they might never run) — see :func:`static_index_range`;
* control flow: positive integer loop steps, integer bounds, ``bool`` conditions;
* calls: known callee, argument count, argument types/shapes (sub-views by prefix),
  result buffers matching the callee's result types; no two array arguments that may
  share memory where the callee writes one of them (:mod:`allo.ir.aliasing`);
* returns: only as the last top-level statement, matching the function's result types.

Example::

    >>> from allo.ir.nodes import *
    >>> from allo.ir.types import int32
    >>> f = Func("f", [Param("A", int32[4])], [], [Store("B", (Const(0, int32),), Const(1, int32))])
    >>> try:
    ...     verify_ir(Module({"f": f}, "f"))
    ... except IRError as e:
    ...     print(e.message)
    undefined buffer 'B'
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np

from ..errors import AlloError
from ..semantics.registry import REGISTRY
from .aliasing import ALIAS_HINT, call_alias_violation, written_params
from .index import loop_value_range, static_index_range
from .nodes import (MAX_EXPR_DEPTH, Alloc, BufRef, Call, Const, Expr, For, Func, If, Load, Module,
                    Op, Return, Stmt, Store, StreamGet, StreamPut, Var, While, too_deep)
from .types import AlloType, BufferType, Int, StreamType, bool_, index



class IRError(AlloError):
    """The IR is ill-formed: a compiler bug, or a hand-built module that breaks a rule."""

    kind = "IR error"


def verify_ir(module: Module) -> None:
    """Raise :class:`IRError` if ``module`` breaks an IR rule; return None otherwise.

    Example: ``verify_ir(allo.frontend.parse(gemm))`` passes silently.
    """
    if module.top not in module.funcs:
        raise IRError(f"top function {module.top!r} is not in the module",
                      hint=f"functions: {sorted(module.funcs)}")
    written: Optional[Dict[str, Any]] = None
    for name, f in module.funcs.items():
        if f.name != name:
            raise IRError(f"function registered as {name!r} is named {f.name!r}")
        deep = too_deep(f)  # checked first: the rules below walk expressions recursively
        if deep is not None:
            raise IRError(f"expression nested too deeply ({deep[1]} levels; the limit is "
                          f"{MAX_EXPR_DEPTH})", loc=deep[0].loc, where=f"function {name!r}",
                          hint="split it into several statements with temporaries")
    for f in module.funcs.values():
        if written is None:  # after the depth checks: it walks every expression
            written = written_params(module)
        _FuncVerifier(module, f, written).run()


# A buffer as seen by accesses: (shape, element type, is_stream)
_BufInfo = Tuple[Tuple[int, ...], AlloType, bool]


def _buf_info(t: Any) -> Optional[_BufInfo]:
    if isinstance(t, StreamType):
        return (), t.dtype, True
    if isinstance(t, BufferType):
        if isinstance(t.dtype, StreamType):
            return t.shape, t.dtype.dtype, True
        return t.shape, t.dtype, False
    return None


class _FuncVerifier:
    def __init__(self, module: Module, func: Func, written: Dict[str, Any]):
        self.module, self.func, self.written = module, func, written
        self.where = f"function {func.name!r}"
        self.scopes: List[Dict[str, Any]] = []  # name -> ("buf", info) | ("var", type)
        self.declared: set = set()
        # static bounds checking: known loop ranges; > 0 while under a guard/unknown loop
        self.loop_ranges: Dict[str, Tuple[int, int]] = {}
        self.unjudged = 0

    def fail(self, msg: str, node: Any = None, hint: Optional[str] = None) -> None:
        loc = getattr(node, "loc", None)
        raise IRError(msg, loc=loc, hint=hint, where=self.where)

    def lookup(self, name: str) -> Optional[Tuple[str, Any]]:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    def buffer(self, name: str, node: Any, stream: bool) -> _BufInfo:
        entry = self.lookup(name)
        kind = "stream" if stream else "buffer"
        if entry is None:
            self.fail(f"undefined {kind} {name!r}", node,
                      "declare it with an Alloc before use, or make it a parameter")
        if entry[0] != "buf":
            self.fail(f"{name!r} is a scalar value, not a {kind}", node)
        info = entry[1]
        if info[2] != stream:
            self.fail(f"{name!r} is {'a stream' if info[2] else 'a plain buffer'}, not a {kind}", node,
                      "use StreamGet/StreamPut on streams, Load/Store on buffers")
        return info

    # -- functions and blocks --
    def run(self) -> None:
        f = self.func
        top: Dict[str, Any] = {}
        for p in f.params:
            if p.name in top:
                self.fail(f"duplicate parameter {p.name!r}", p)
            info = _buf_info(p.type)
            if info is None and not isinstance(p.type, AlloType):
                self.fail(f"parameter {p.name!r} has no valid type: {p.type!r}", p)
            top[p.name] = ("buf", info) if info is not None else ("var", p.type)
        self.declared = set(top)
        self.scopes = [top]
        for k, s in enumerate(f.body):
            if isinstance(s, Return) and k != len(f.body) - 1:
                self.fail("Return must be the last statement of the function", s)
        if f.results and not (f.body and isinstance(f.body[-1], Return)):
            self.fail(f"function returns {len(f.results)} value(s) but does not end with Return",
                      f, "append Return([...]) with the result values")
        self.block(f.body, top_level=True)

    def block(self, body: List[Stmt], top_level: bool = False, scope: Optional[Dict] = None) -> None:
        if not top_level:
            self.scopes.append(scope or {})
        for s in body:
            if isinstance(s, Return) and not top_level:
                self.fail("Return inside a nested block is not supported", s,
                          "return once, at the end of the function")
            self.stmt(s)
        if not top_level:
            self.scopes.pop()

    # -- statements --
    def stmt(self, s: Stmt) -> None:
        if isinstance(s, For):
            self.loop(s)
        elif isinstance(s, If):
            self.condition(s.cond, s)
            self.unjudged += 1  # a guarded access may never run: do not judge its bounds
            self.block(s.then_body)
            self.block(s.else_body)
            self.unjudged -= 1
        elif isinstance(s, While):
            self.condition(s.cond, s)
            self.unjudged += 1
            self.block(s.body)
            self.unjudged -= 1
        elif isinstance(s, (Store, StreamPut)):
            name = s.buffer if isinstance(s, Store) else s.stream
            shape, elem, _ = self.buffer(name, s, isinstance(s, StreamPut))
            self.indices(name, shape, s.indices, s)
            vt = self.expr(s.value)
            if vt != elem:
                self.fail(f"storing a {vt!r} value into {name!r} of element type {elem!r}", s,
                          "cast the value to the element type first")
        elif isinstance(s, Alloc):
            self.alloc(s)
        elif isinstance(s, Call):
            self.call(s)
        elif isinstance(s, Return):
            self.ret(s)
        else:
            self.fail(f"unknown statement {type(s).__name__}", s)

    def loop(self, s: For) -> None:
        if self.lookup(s.var) is not None:
            self.fail(f"loop variable {s.var!r} shadows a name already in scope", s,
                      "give the inner loop a distinct variable name")
        for bound in (s.lo, s.hi):
            t = self.expr(bound)
            if not t.is_int:
                self.fail(f"loop {s.var!r} bound has type {t!r}; bounds must be integers", s)
        if not isinstance(s.step, (int, np.integer)) or isinstance(s.step, bool) or s.step <= 0:
            self.fail(f"loop {s.var!r} has step {s.step!r}; steps must be positive integers", s)
        known = loop_value_range(s.lo, s.hi, s.step)
        if known is None:
            self.unjudged += 1
        else:
            self.loop_ranges[s.var] = known
        self.block(s.body, scope={s.var: ("var", index)})
        if known is None:
            self.unjudged -= 1
        else:
            del self.loop_ranges[s.var]

    def condition(self, cond: Expr, s: Stmt) -> None:
        t = self.expr(cond)
        if t != bool_:
            self.fail(f"condition has type {t!r}, expected bool", s, "compare, or cast to bool")

    def alloc(self, s: Alloc) -> None:
        info = _buf_info(s.type)
        if info is None:
            self.fail(f"Alloc {s.name!r} must have a buffer type, got {s.type!r}", s)
        if s.name in self.declared:
            self.fail(f"buffer {s.name!r} is declared twice in this function", s,
                      "give each local buffer a unique name")
        if s.stateful:
            if len(self.scopes) != 1:
                self.fail(f"stateful buffer {s.name!r} must be declared at the top level of "
                          "its function", s, "hoist the stateful Alloc out of loops and branches")
            if info[2] or (isinstance(s.init, Expr) and not isinstance(s.init, Const)):
                self.fail(f"stateful buffer {s.name!r} must be a plain buffer with a constant "
                          "initial value", s, "initialise it with a Const or a table")
        if isinstance(s.init, Expr):
            t = self.expr(s.init)
            if t != info[1]:
                self.fail(f"Alloc {s.name!r} of {info[1]!r} initialised with a {t!r} value", s)
        elif s.init is not None:
            arr = np.asarray(s.init)
            if tuple(arr.shape) != info[0]:
                self.fail(f"Alloc {s.name!r} has shape {info[0]} but its table has shape "
                          f"{tuple(arr.shape)}", s)
        self.declared.add(s.name)
        self.scopes[-1][s.name] = ("buf", info)

    def arg_type(self, a: Any, node: Any) -> Union[AlloType, _BufInfo]:
        """Scalar type of an expression argument, or buffer info of a (sub-)view."""
        if isinstance(a, BufRef):
            entry = self.lookup(a.buffer)
            if entry is None or entry[0] != "buf":
                self.fail(f"undefined buffer {a.buffer!r}", node)
            shape, elem, stream = entry[1]
            if len(a.prefix) > len(shape):
                self.fail(f"sub-view of {a.buffer!r} has {len(a.prefix)} indices for rank {len(shape)}", node)
            for dim, i in enumerate(a.prefix):
                self.index_expr(i, a.buffer, node)
                self.index_in_bounds(i, a.buffer, dim, shape[dim], node)
            return shape[len(a.prefix):], elem, stream
        if isinstance(a, Expr):
            return self.expr(a)
        self.fail(f"argument {a!r} is neither an expression nor a buffer reference", node)
        raise AssertionError  # unreachable

    def matches(self, got: Union[AlloType, _BufInfo], want: Any) -> bool:
        if isinstance(want, AlloType):  # a 0-d view may stand for a scalar
            return got == want or (isinstance(got, tuple) and got == ((), want, False))
        return got == _buf_info(want)

    def call(self, s: Call) -> None:
        callee = self.module.funcs.get(s.callee)
        if callee is None:
            self.fail(f"call to unknown function {s.callee!r}", s,
                      f"functions in the module: {sorted(self.module.funcs)}")
        if len(s.args) != len(callee.params):
            self.fail(f"{s.callee!r} takes {len(callee.params)} argument(s), the call passes {len(s.args)}", s)
        for k, (a, p) in enumerate(zip(s.args, callee.params)):
            got = self.arg_type(a, s)
            if not self.matches(got, p.type):
                self.fail(f"argument {k} of call to {s.callee!r} is {_show(got)}, parameter "
                          f"{p.name!r} expects {p.type!r}", s)
        alias = call_alias_violation(self.module, s, self.written)
        if alias is not None:
            self.fail(alias, s, ALIAS_HINT)
        if len(s.results) != len(callee.results):
            self.fail(f"{s.callee!r} returns {len(callee.results)} value(s), the call binds {len(s.results)}", s)
        for name, rt in zip(s.results, callee.results):
            entry = self.lookup(name)
            if entry is None or entry[0] != "buf":
                self.fail(f"call result buffer {name!r} is undefined", s, "Alloc it before the call")
            if not self.matches(entry[1], rt):
                self.fail(f"call result buffer {name!r} is {_show(entry[1])}, but {s.callee!r} "
                          f"returns {rt!r}", s)

    def ret(self, s: Return) -> None:
        results = self.func.results
        if len(s.values) != len(results):
            self.fail(f"Return gives {len(s.values)} value(s), the function declares {len(results)}", s)
        for k, (v, rt) in enumerate(zip(s.values, results)):
            got = self.arg_type(v, s)
            if not self.matches(got, rt):
                self.fail(f"returned value {k} is {_show(got)}, the function declares {rt!r}", s)

    # -- expressions --
    def indices(self, name: str, shape: Tuple[int, ...], idx: Tuple[Expr, ...], node: Any) -> None:
        if len(idx) != len(shape):
            self.fail(f"{name!r} has rank {len(shape)} but is accessed with {len(idx)} index(es)", node)
        for dim, (i, extent) in enumerate(zip(idx, shape)):
            self.index_expr(i, name, node)
            self.index_in_bounds(i, name, dim, extent, node)

    def index_in_bounds(self, i: Expr, name: str, dim: int, extent: int, node: Any) -> None:
        """Reject an index provably outside ``0 .. extent-1`` on some executed iteration."""
        if self.unjudged:
            return
        rng = static_index_range(i, self.loop_ranges)
        if rng is not None and (rng[0] < 0 or rng[1] >= extent):
            span = f"{rng[0]}" if rng[0] == rng[1] else f"{rng[0]} .. {rng[1]}"
            self.fail(f"index {dim} of {name!r} takes the values {span}, outside the "
                      f"dimension's extent {extent} (valid: 0 .. {extent - 1})", node,
                      "the rewrite (or the kernel) reads/writes out of bounds")

    def index_expr(self, i: Expr, name: str, node: Any) -> None:
        t = self.expr(i)
        if not t.is_int:
            self.fail(f"index into {name!r} has type {t!r}; indices must be integers", node)

    def expr(self, e: Expr) -> AlloType:
        """Check ``e`` and return its type."""
        if not isinstance(getattr(e, "type", None), AlloType):
            self.fail(f"expression {e!r} has no scalar type", e)
        if isinstance(e, Const):
            ok = isinstance(e.value, (int, np.integer)) if not e.type.is_float else \
                isinstance(e.value, (int, float, np.integer, np.floating))
            if not ok or isinstance(e.value, bool) and not e.type.is_int:
                self.fail(f"constant {e.value!r} does not fit type {e.type!r}", e)
        elif isinstance(e, Var):
            entry = self.lookup(e.name)
            if entry is None:
                self.fail(f"undefined variable {e.name!r}", e)
            if entry[0] != "var":
                self.fail(f"{e.name!r} is a buffer; read it with Load", e)
            if entry[1] != e.type:
                self.fail(f"variable {e.name!r} has type {entry[1]!r} but is used as {e.type!r}", e)
        elif isinstance(e, (Load, StreamGet)):
            name = e.buffer if isinstance(e, Load) else e.stream
            shape, elem, _ = self.buffer(name, e, isinstance(e, StreamGet))
            self.indices(name, shape, e.indices, e)
            if e.type != elem:
                self.fail(f"reading {name!r} (element type {elem!r}) as {e.type!r}", e)
        elif isinstance(e, Op):
            self.op(e)
        else:
            self.fail(f"unknown expression {type(e).__name__}", e)
        return e.type

    def op(self, e: Op) -> None:
        entry = REGISTRY.get(e.op)
        if entry is None:
            self.fail(f"unknown op {e.op!r}", e, "see allo.semantics.registry.REGISTRY")
        if len(e.args) != entry.arity:
            self.fail(f"op {e.op!r} takes {entry.arity} operand(s), got {len(e.args)}", e)
        ts = [self.expr(a) for a in e.args]
        consts = [a.value if isinstance(a, Const) else None for a in e.args]
        problem = entry.typing_problem(ts, e.type, consts)
        if problem is not None:
            self.fail(f"op {e.op!r}: {problem} (operands {ts}, result {e.type!r})", e,
                      "the frontend must cast operands to the op's type")


def _show(t: Any) -> str:
    if isinstance(t, tuple):
        shape, elem, stream = t
        base = f"Stream[{elem!r}]" if stream else repr(elem)
        return f"a view {base}[{', '.join(map(str, shape))}]"
    return f"a {t!r} value"


__all__ = ["verify_ir", "IRError"]
