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
* ops: known op (:data:`allo.ir.nodes.OPS`), right arity, homogeneous operand types
  (comparisons give ``bool``; ``select``'s condition is ``bool``; float-only math, int-only
  bitwise ops, ``get_slice`` bounds constant and in range);
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
from .nodes import (OPS, Alloc, BufRef, Call, Const, Expr, For, Func, If, Load, Module, Op, Return,
                    Stmt, Store, StreamGet, StreamPut, Var, While)
from .aliasing import ALIAS_HINT, call_alias_violation, written_params
from .types import AlloType, BufferType, Int, StreamType, bool_, index

_ARITH = {"add", "sub", "mul", "div", "floordiv", "mod", "neg", "min", "max", "abs"}
_BITWISE = {"and", "or", "xor", "not", "shl", "shr"}
_LOGICAL = {"land", "lor", "lnot"}
_COMPARE = {"eq", "ne", "lt", "le", "gt", "ge"}
_MATH = {"exp", "log", "log2", "log10", "sqrt", "sin", "cos", "tan", "tanh", "erf", "floor", "ceil", "pow"}


# -------------------------------------------------------------- static index ranges
# A loop variable's known values: (first, last) for a loop with constant bounds that runs
# at least once; None when unknown (non-constant bounds) or when the loop never runs.
LoopRange = Optional[Tuple[int, int]]


def loop_value_range(lo: Any, hi: Any, step: int) -> LoopRange:
    """``(first, last)`` value of ``for v in range(lo, hi, step)`` with constant bounds.

    None if a bound is not a constant or the loop runs zero times.
    Example: ``loop_value_range(Const(0, index), Const(10, index), 3) == (0, 9)``.
    """
    if not (isinstance(lo, Const) and isinstance(hi, Const) and isinstance(step, (int, np.integer))):
        return None
    if isinstance(lo.value, float) or isinstance(hi.value, float) or step <= 0:
        return None
    first, stop = int(lo.value), int(hi.value)
    if stop <= first:
        return None
    return first, first + ((stop - 1 - first) // int(step)) * int(step)


def _type_range(t: AlloType) -> Optional[Tuple[int, int]]:
    if t.is_index:
        return -(1 << 63), (1 << 63) - 1
    if isinstance(t, Int):
        return t.min, t.max
    return None


def static_index_range(e: Expr, ranges: Dict[str, Tuple[int, int]]) -> Optional[Tuple[int, int]]:
    """The exact ``(min, max)`` of ``e`` over the box of loop-variable ``ranges``, when ``e``
    is affine in them (``Const``, ``Var``, ``add``/``sub``/``neg``, ``mul`` by a constant,
    integer ``cast``) and no sub-expression can wrap; None otherwise (non-affine, reads
    data, unknown variables). Conservative by construction: None never rejects anything.

    Example: with ``ranges={"i": (0, 3)}``, ``i + 2`` gives ``(2, 5)``.
    """
    form = _affine(e, ranges)
    return None if form is None else _form_range(form, ranges)


_Form = Tuple[int, Dict[str, int]]  # c0 + sum(coeff * var)


def _form_range(form: _Form, ranges: Dict[str, Tuple[int, int]]) -> Tuple[int, int]:
    c0, coeffs = form
    lo = hi = c0
    for name, a in coeffs.items():
        x0, x1 = ranges[name]
        lo += min(a * x0, a * x1)
        hi += max(a * x0, a * x1)
    return lo, hi


def _affine(e: Expr, ranges: Dict[str, Tuple[int, int]]) -> Optional[_Form]:
    tr = _type_range(e.type) if isinstance(getattr(e, "type", None), AlloType) else None
    if tr is None:
        return None
    form: Optional[_Form] = None
    if isinstance(e, Const):
        if isinstance(e.value, (int, np.integer)) and not isinstance(e.value, bool):
            form = (int(e.value), {})
    elif isinstance(e, Var):
        if e.name in ranges:
            form = (0, {e.name: 1})
    elif isinstance(e, Op) and e.op in ("add", "sub", "neg", "mul", "cast"):
        if e.op != "cast" and any(a.type != e.type for a in e.args):
            return None  # not homogeneous: leave it to the type rules
        args = [_affine(a, ranges) for a in e.args]
        if any(a is None for a in args):
            return None
        if e.op == "cast":  # integer -> integer, exact when no wrap (checked below)
            form = args[0]
        elif e.op == "neg":
            form = _scale(args[0], -1)
        elif e.op in ("add", "sub"):
            sign = 1 if e.op == "add" else -1
            (c0, f0), (c1, f1) = args[0], _scale(args[1], sign)
            coeffs = dict(f0)
            for k, a in f1.items():
                coeffs[k] = coeffs.get(k, 0) + a
            form = (c0 + c1, {k: a for k, a in coeffs.items() if a})
        else:  # mul: affine only when one side is a constant
            (c0, f0), (c1, f1) = args
            if f0 and f1:
                return None
            form = _scale(args[1], c0) if not f0 else _scale(args[0], c1)
    if form is None:
        return None
    lo, hi = _form_range(form, ranges)
    if lo < tr[0] or hi > tr[1]:
        return None  # the value may wrap in its type: not a plain affine value any more
    return form


def _scale(form: _Form, k: int) -> _Form:
    c0, coeffs = form
    return c0 * k, {n: a * k for n, a in coeffs.items() if a * k}


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
    written = written_params(module)
    for name, f in module.funcs.items():
        if f.name != name:
            raise IRError(f"function registered as {name!r} is named {f.name!r}")
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
        if e.op not in OPS:
            self.fail(f"unknown op {e.op!r}", e, "see allo.ir.nodes.OPS")
        if len(e.args) != OPS[e.op]:
            self.fail(f"op {e.op!r} takes {OPS[e.op]} operand(s), got {len(e.args)}", e)
        ts = [self.expr(a) for a in e.args]
        t, name = e.type, e.op

        def need(cond: bool, what: str) -> None:
            if not cond:
                self.fail(f"op {name!r}: {what} (operands {ts}, result {t!r})", e,
                          "the frontend must cast operands to the op's type")

        if name in _ARITH:
            need(all(x == t for x in ts), "operands must have the result type")
            need(name != "mod" or not t.is_fixed, "mod is not defined on fixed point")
        elif name in _BITWISE:
            need(all(x == t for x in ts), "operands must have the result type")
            need(t.is_int, "bitwise ops need integer operands")
        elif name in _LOGICAL:
            need(t == bool_ and all(x == bool_ for x in ts), "logical ops take and give bool")
        elif name in _COMPARE:
            need(ts[0] == ts[1], "both operands must have one type")
            need(t == bool_, "comparisons give bool")
        elif name == "select":
            need(ts[0] == bool_, "the condition must be bool")
            need(ts[1] == t and ts[2] == t, "both choices must have the result type")
        elif name in _MATH:
            need(t.is_float and all(x == t for x in ts), "math intrinsics take and give one float type")
        elif name in ("get_bit", "set_bit"):
            need(ts[0].is_int and ts[1].is_int, "bit ops need integer value and bit index")
            need(t == (bool_ if name == "get_bit" else ts[0]), "wrong result type")
            need(name == "get_bit" or ts[2].is_int, "the new bit must be an integer/bool")
        elif name in ("get_slice", "set_slice"):
            self.slice(e, ts, need)

    def slice(self, e: Op, ts: List[AlloType], need: Any) -> None:
        lo, hi = e.args[1], e.args[2]
        need(isinstance(lo, Const) and isinstance(hi, Const), "slice bounds must be constants")
        need(ts[0].is_int, "slices need an integer value")
        lo_v, hi_v = int(lo.value), int(hi.value)  # type: ignore[union-attr]
        need(0 <= lo_v < hi_v <= ts[0].bits, f"slice [{lo_v}, {hi_v}) out of the value's bits")
        if e.op == "get_slice":
            need(e.type == Int(hi_v - lo_v, False), f"get_slice gives UInt({hi_v - lo_v})")
        else:
            need(e.type == ts[0] and ts[3].is_int, "set_slice keeps the value's type")


def _show(t: Any) -> str:
    if isinstance(t, tuple):
        shape, elem, stream = t
        base = f"Stream[{elem!r}]" if stream else repr(elem)
        return f"a view {base}[{', '.join(map(str, shape))}]"
    return f"a {t!r} value"


__all__ = ["verify_ir", "IRError"]
