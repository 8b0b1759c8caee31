"""Whole-array operations, lowered in the frontend into ordinary named loop nests.

``A + B``, ``A @ B``, ``allo.matmul``/``bmm``/``add``/``sub``/``mul``/``div``, math
functions on arrays (``allo.exp(A)``), ``-A``, ``A.T``, ``allo.transpose``,
``allo.concat``, ``allo.copy``, ``allo.view``, ``allo.ones``/``zeros``, whole-buffer
copies (``B: float32[M, N] = A``, ``C = A``) each become a fresh local buffer filled by one
loop nest. The nest is one band, named after the operation (or ``name=``), with loops
``L_0``, ``L_1``, ... so schedules address them as ``"matmul_0:L_1"``. Their meaning is the
loop nest; ``docs/semantics.md`` writes each one down. Since nothing new reaches the IR,
verification, the primitives and every backend handle them unchanged.

Element types: both operands of the same type give that type; mixed types give their
common type (:func:`allo.ir.widths.common_type`); an array with a Python number keeps the
array's type (a float number with an integer array gives ``float32``); ``/`` of integer
arrays gives ``float32`` (like the scalar rule). ``matmul`` accumulates in the result type.

Example::

    def k(A: float32[4, 8], B: float32[8, 2]) -> float32[4, 2]:
        return (A @ B) + 1.0        # band matmul_0 (L_0, L_1, L_2), band add_1 (L_0, L_1)
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import AlloSyntaxError, AlloTypeError
from ..ir.nodes import Alloc, Const, Expr, For, Load, Op, Stmt, Store, Var, child_bodies
from ..ir.types import AlloType, BufferType, Float, float32, index, int32
from ..ir.widths import common_type
from .. import builtins as ab
from ..ir.nodes import rename_buffers_in_stmt
from .typing import BOOL, PyVal, convert, literal, to_expr
from .values import PYOPS, BufView, fmt_type


def is_array(v: Any) -> bool:
    """A buffer value with at least one dimension left (not a stream)."""
    return isinstance(v, BufView) and bool(v.shape) and not v.is_stream


# ------------------------------------------------------------------ building blocks
def element(v: BufView, idx: Sequence[Expr]) -> Expr:
    return Load(v.name, tuple(v.prefix) + tuple(idx), v.type.dtype)


def temp(lw: Any, base: str, dtype: AlloType, shape: Sequence[int], node: ast.AST,
         init: Any = None) -> BufView:
    """A fresh local buffer for the result of an array operation."""
    name = lw.fresh(base)
    bt = BufferType(dtype, tuple(int(d) for d in shape))
    lw.declare(name, bt, node, init)
    temps = getattr(lw, "array_temps", None)
    if temps is None:
        temps = lw.array_temps = set()
    temps.add(name)
    return BufView(name, (), bt)


def band_name(lw: Any, op: str, name: Optional[str]) -> str:
    if name is not None:
        return name
    n = f"{op}_{lw.band_count}"
    lw.band_count += 1
    return n


def nest(lw: Any, band: str, extents: Sequence[int], node: ast.AST,
         body: Callable[[List[Expr]], List[Stmt]], reduction: Sequence[int] = ()) -> None:
    """Emit one band of loops ``L_0..`` over ``extents``; ``body(ivs)`` gives its body."""
    names = [f"L_{k}" for k in range(len(extents))]
    taken = set(lw.symbols)
    names = [n if n not in taken else f"{band}_{n}" for n in names]
    ivs: List[Expr] = [Var(n, index) for n in names]
    stmts = body(ivs)
    loc = lw.info.loc(node)
    for k in reversed(range(len(extents))):
        attrs = {"reduction": True} if k in reduction else {}
        stmts = [For(names[k], Const(0, index), Const(int(extents[k]), index), 1, stmts,
                     name=names[k], band=band, attrs=attrs, loc=loc)]
    lw.emit(stmts[0])


def store(lw: Any, dst: BufView, idx: Sequence[Expr], value: Expr, node: ast.AST) -> Stmt:
    return Store(dst.name, tuple(dst.prefix) + tuple(idx), convert(value, dst.type.dtype),
                 loc=lw.info.loc(node))


def result_dtype(op: str, a: Any, b: Any) -> AlloType:
    ta = a.type.dtype if isinstance(a, BufView) else None
    tb = b.type.dtype if isinstance(b, BufView) else None
    if ta is None or tb is None:
        t = ta or tb
        other = b if ta is not None else a
        if isinstance(other, PyVal):
            if isinstance(other.value, (float, np.floating)) and not (t.is_float or t.is_fixed):
                t = float32
        else:
            t = common_type(t, to_expr(other).type)
    else:
        t = ta if ta == tb else common_type(ta, tb)
    if op == "div" and not (t.is_float or t.is_fixed):
        return float32  # '/' on integer arrays is a float division, as in Python
    return t


def broadcast_shape(lw: Any, a: Tuple[int, ...], b: Tuple[int, ...], node: ast.AST,
                    what: str) -> Tuple[int, ...]:
    out = []
    for k in range(1, max(len(a), len(b)) + 1):
        x = a[-k] if k <= len(a) else 1
        y = b[-k] if k <= len(b) else 1
        if x != y and 1 not in (x, y):
            raise lw.err(AlloTypeError, f"{what}: shapes {list(a)} and {list(b)} do not "
                         "broadcast", node, hint="trailing dimensions must be equal or 1 "
                                                 "(numpy broadcasting)")
        out.append(max(x, y))
    return tuple(reversed(out))


def broadcast_index(v: BufView, ivs: Sequence[Expr]) -> List[Expr]:
    shape = v.shape
    sub = list(ivs[len(ivs) - len(shape):])
    return [Const(0, index) if d == 1 else e for d, e in zip(shape, sub)]


# ------------------------------------------------------------------ operations
def elementwise(lw: Any, op: str, a: Any, b: Any, node: ast.AST,
                name: Optional[str] = None, scalar_op: Optional[str] = None) -> BufView:
    """``a op b`` where at least one side is an array (numpy broadcasting).

    ``scalar_op`` is the frontend op applied per element when it differs from ``op``
    (``"tdiv"`` for ``allo.div``). Example: ``elementwise(lw, "add", A, B, node)``.
    """
    scalar_op = scalar_op or op
    sa = a.shape if isinstance(a, BufView) else ()
    sb = b.shape if isinstance(b, BufView) else ()
    for v in (a, b):
        if isinstance(v, BufView) and v.is_stream:
            raise lw.err(AlloTypeError, f"stream '{v.name}' cannot be used in array "
                         "arithmetic", node, hint="read elements with .get()")
    shape = broadcast_shape(lw, sa, sb, node, f"'{op}'")
    t = result_dtype(scalar_op, a, b)
    out = temp(lw, op, t, shape, node)

    def body(ivs: List[Expr]) -> List[Stmt]:
        x = element(a, broadcast_index(a, ivs)) if isinstance(a, BufView) else a
        y = element(b, broadcast_index(b, ivs)) if isinstance(b, BufView) else b
        return [store(lw, out, ivs, to_expr(lw.binop(scalar_op, x, y, node)), node)]

    nest(lw, band_name(lw, op, name), shape, node, body)
    return out


def unary(lw: Any, fn: Callable[[Expr], Any], v: BufView, node: ast.AST, op: str,
          dtype: Optional[AlloType] = None) -> BufView:
    """Apply scalar function ``fn`` to every element of ``v``."""
    probe = to_expr(fn(element(v, [Const(0, index)] * len(v.shape))))
    out = temp(lw, op, dtype or probe.type, v.shape, node)
    nest(lw, band_name(lw, op, None), v.shape, node,
         lambda ivs: [store(lw, out, ivs, to_expr(fn(element(v, ivs))), node)])
    return out


def matmul(lw: Any, a: Any, b: Any, node: ast.AST, name: Optional[str] = None,
           batched_only: bool = False) -> BufView:
    """``a @ b``: ``[..., M, K] x [..., K, N] -> [..., M, N]`` (batch dims equal)."""
    what = "bmm" if batched_only else "matmul"
    if not (is_array(a) and is_array(b)):
        raise lw.err(AlloTypeError, f"{what} needs two arrays", node,
                     hint="both operands of @ / matmul are buffers")
    sa, sb = a.shape, b.shape
    if batched_only and (len(sa) != 3 or len(sb) != 3):
        raise lw.err(AlloTypeError, f"bmm needs two 3-D arrays, got {list(sa)} and {list(sb)}",
                     node, hint="use matmul for other ranks")
    if len(sa) < 2 or len(sb) < 2 or len(sa) != len(sb) or sa[:-2] != sb[:-2] \
            or sa[-1] != sb[-2]:
        raise lw.err(AlloTypeError, f"{what}: shapes {list(sa)} and {list(sb)} do not match",
                     node, hint="multiply [..., M, K] by [..., K, N] (same batch dimensions)")
    t = result_dtype("mul", a, b)
    shape = tuple(sa[:-1]) + (sb[-1],)
    out = temp(lw, what, t, shape, node, literal(0, t))
    r = len(shape)

    def body(ivs: List[Expr]) -> List[Stmt]:
        batch, i, j, k = ivs[:r - 2], ivs[r - 2], ivs[r - 1], ivs[r]
        prod = lw.binop("mul", element(a, batch + [i, k]), element(b, batch + [k, j]), node)
        acc = lw.binop("add", element(out, batch + [i, j]), prod, node)
        return [store(lw, out, batch + [i, j], to_expr(acc), node)]

    nest(lw, band_name(lw, what, name), shape + (sa[-1],), node, body, reduction=(r,))
    return out


def transpose(lw: Any, v: Any, axes: Optional[Sequence[int]], node: ast.AST,
              name: Optional[str] = None) -> BufView:
    if not is_array(v):
        raise lw.err(AlloTypeError, "transpose needs an array", node, hint="pass a buffer")
    rank = len(v.shape)
    axes = list(reversed(range(rank))) if axes is None else [int(x) for x in axes]
    if sorted(axes) != list(range(rank)):
        raise lw.err(AlloTypeError, f"transpose axes {axes} are not a permutation of "
                     f"0..{rank - 1}", node, hint=f"give each of the {rank} axes once")
    shape = tuple(v.shape[x] for x in axes)
    out = temp(lw, "transpose", v.type.dtype, shape, node)

    def body(ivs: List[Expr]) -> List[Stmt]:
        src = [None] * rank
        for k, x in enumerate(axes):
            src[x] = ivs[k]
        return [store(lw, out, ivs, element(v, src), node)]

    nest(lw, band_name(lw, "transpose", name), shape, node, body)
    return out


def copy_into(lw: Any, dst: BufView, src: BufView, node: ast.AST,
              name: Optional[str] = None) -> None:
    """``dst[...] = src[...]`` element by element (src broadcast to dst's shape)."""
    if broadcast_shape(lw, dst.shape, src.shape, node, "copy") != tuple(dst.shape):
        raise lw.err(AlloTypeError, f"cannot copy {fmt_type(BufferType(src.type.dtype, src.shape))}"
                     f" into {fmt_type(BufferType(dst.type.dtype, dst.shape))}", node,
                     hint="the shapes must match (or broadcast to the destination)")
    nest(lw, band_name(lw, "copy", name), dst.shape, node,
         lambda ivs: [store(lw, dst, ivs, element(src, broadcast_index(src, ivs)), node)])


def copy(lw: Any, v: Any, node: ast.AST, name: Optional[str] = None) -> BufView:
    if not is_array(v):
        raise lw.err(AlloTypeError, "copy needs an array", node, hint="pass a buffer")
    out = temp(lw, "copy", v.type.dtype, v.shape, node)
    copy_into(lw, out, v, node, name)
    return out


def tril(lw: Any, v: Any, node: ast.AST, name: Optional[str] = None) -> BufView:
    """``out[i, j] = v[i, j] if j <= i else 0`` for a 2-D array (``numpy.tril``)."""
    if not is_array(v) or len(v.shape) != 2:
        got = list(v.shape) if isinstance(v, BufView) else "a scalar"
        raise lw.err(AlloTypeError, f"tril needs a 2-D array, got {got}", node,
                     hint="pass a matrix A[M, N]")
    dtype = v.type.dtype
    out = temp(lw, "tril", dtype, v.shape, node)

    def body(ivs: List[Expr]) -> List[Stmt]:
        below = Op("le", (ivs[1], ivs[0]), BOOL)
        return [store(lw, out, ivs, Op("select", (below, element(v, ivs), literal(0, dtype)), dtype),
                      node)]

    nest(lw, band_name(lw, "tril", name), v.shape, node, body)
    return out


def concat(lw: Any, a: Any, b: Any, axis: int, node: ast.AST,
           name: Optional[str] = None) -> BufView:
    if not (is_array(a) and is_array(b)) or len(a.shape) != len(b.shape):
        raise lw.err(AlloTypeError, "concat needs two arrays of the same rank", node,
                     hint="e.g. allo.concat(A, B, axis=0)")
    rank = len(a.shape)
    if not -rank <= axis < rank:
        raise lw.err(AlloTypeError, f"concat axis {axis} is out of range for rank {rank}",
                     node, hint=f"use 0 .. {rank - 1}")
    axis %= rank
    if any(x != y for k, (x, y) in enumerate(zip(a.shape, b.shape)) if k != axis):
        raise lw.err(AlloTypeError, f"concat: shapes {list(a.shape)} and {list(b.shape)} "
                     f"differ outside axis {axis}", node, hint="only the concat axis may differ")
    t = result_dtype("add", a, b)
    shape = list(a.shape)
    shape[axis] += b.shape[axis]
    out = temp(lw, "concat", t, shape, node)
    band = band_name(lw, "concat", name)
    nest(lw, band, a.shape, node, lambda ivs: [store(lw, out, ivs, element(a, ivs), node)])
    off = a.shape[axis]

    def second(ivs: List[Expr]) -> List[Stmt]:
        dst = list(ivs)
        dst[axis] = Op("add", (ivs[axis], Const(off, index)), index)
        return [store(lw, out, dst, element(b, ivs), node)]

    nest(lw, band + "_1", b.shape, node, second)
    return out


def view(lw: Any, v: Any, shape: Sequence[int], node: ast.AST) -> BufView:
    """The elements of ``v`` in row-major order, in a new buffer of ``shape``."""
    if not is_array(v):
        raise lw.err(AlloTypeError, "view needs an array", node, hint="pass a buffer")
    shape = tuple(int(d) for d in shape)
    if int(np.prod(shape)) != int(np.prod(v.shape)):
        raise lw.err(AlloTypeError, f"cannot view {list(v.shape)} as {list(shape)}: the "
                     "element counts differ", node, hint="keep the number of elements")
    out = temp(lw, "view", v.type.dtype, shape, node)

    def body(ivs: List[Expr]) -> List[Stmt]:
        flat: Expr = Const(0, index)
        for e, d in zip(ivs, shape):
            flat = Op("add", (Op("mul", (flat, Const(d, index)), index), e), index)
        src: List[Expr] = []
        for d in reversed(v.shape):
            src.append(Op("mod", (flat, Const(d, index)), index))
            flat = Op("floordiv", (flat, Const(d, index)), index)
        return [store(lw, out, ivs, element(v, list(reversed(src))), node)]

    nest(lw, band_name(lw, "view", None), shape, node, body)
    return out


def filled(lw: Any, shape: Any, dtype: Any, value: int, node: ast.AST) -> BufView:
    import builtins as py

    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    t = {py.float: float32, py.int: int32}.get(dtype, dtype)
    if dtype is None:
        t = float32
    if not isinstance(t, AlloType):
        raise lw.err(AlloTypeError, f"dtype {dtype!r} is not an Allo type", node,
                     hint="pass e.g. dtype=float32 or dtype=int32")
    return temp(lw, "ones" if value else "zeros", t, shape, node, literal(value, t))


# ------------------------------------------------------------------ entry points
ARRAY_FUNCS = {
    id(ab.matmul): "matmul", id(ab.bmm): "bmm", id(ab.add): "add", id(ab.sub): "sub",
    id(ab.mul): "mul", id(ab.div): "div", id(ab.copy): "copy", id(ab.transpose): "transpose",
    id(ab.concat): "concat", id(ab.view): "view", id(ab.reshape): "view",
    id(ab.ones): "ones", id(ab.zeros): "zeros", id(ab.tril): "tril",
}


def call(lw: Any, obj: Any, node: ast.Call) -> Any:
    """Lower ``allo.<array function>(...)``."""
    op = ARRAY_FUNCS[id(obj)]
    kw = {k.arg: k.value for k in node.keywords}
    if None in kw:
        raise lw.err(AlloSyntaxError, "**kwargs are not supported", node, hint="name each keyword")
    allowed = {"matmul": {"name"}, "bmm": {"name"}, "add": {"name"}, "sub": {"name"},
               "mul": {"name"}, "div": {"name"}, "copy": {"name"}, "transpose": {"name", "axes"},
               "concat": {"name", "axis"}, "view": {"shape"}, "ones": {"dtype", "shape"},
               "zeros": {"dtype", "shape"}, "tril": {"name"}}[op]
    for k, v in kw.items():
        if k not in allowed:
            raise lw.err(AlloSyntaxError, f"unknown keyword '{k}' for allo.{op}", v,
                         hint="accepted: " + ", ".join(sorted(allowed)))
    name = lw.const(kw["name"], "operation name") if "name" in kw else None
    if op in ("ones", "zeros"):
        args = [lw.const(a, "shape") for a in node.args]
        shape = args[0] if args else lw.const(kw["shape"], "shape")
        dtype = args[1] if len(args) > 1 else (lw.const(kw["dtype"], "dtype")
                                               if "dtype" in kw else None)
        return filled(lw, shape, dtype, 1 if op == "ones" else 0, node)
    args = [lw.lower(a) for a in node.args]
    if op in ("matmul", "bmm"):
        _arity(lw, op, args, 2, node)
        return matmul(lw, args[0], args[1], node, name, batched_only=op == "bmm")
    if op in ("add", "sub", "mul", "div"):
        _arity(lw, op, args, 2, node)
        # allo.div divides integers as C (and upstream Allo) does; '/' stays a float division
        scalar_op = "tdiv" if op == "div" else op
        if not any(is_array(x) for x in args):
            return lw.binop(scalar_op, lw.require_scalar(args[0], node.args[0]),
                            lw.require_scalar(args[1], node.args[1]), node)
        return elementwise(lw, op, args[0], args[1], node, name, scalar_op)
    if op == "copy":
        _arity(lw, op, args, 1, node)
        return copy(lw, args[0], node, name)
    if op == "transpose":
        axes = lw.const(kw["axes"], "axes") if "axes" in kw else None
        if len(args) == 2:
            axes = _const_of(lw, args[1], node.args[1], "axes")
        elif len(args) != 1:
            _arity(lw, op, args, 1, node)
        return transpose(lw, args[0], axes, node, name)
    if op == "tril":
        _arity(lw, op, args, 1, node)
        return tril(lw, args[0], node, name)
    if op == "concat":
        axis = lw.const(kw["axis"], "axis") if "axis" in kw else 0
        if len(args) == 3:
            axis = _const_of(lw, args[2], node.args[2], "axis")
        elif len(args) != 2:
            _arity(lw, op, args, 2, node)
        return concat(lw, args[0], args[1], int(axis), node, name)
    if op == "view":
        shape = lw.const(kw["shape"], "shape") if "shape" in kw else None
        if len(args) == 2:
            shape = _const_of(lw, args[1], node.args[1], "shape")
        if shape is None:
            _arity(lw, op, args, 2, node)
        return view(lw, args[0], shape, node)
    raise AssertionError(op)  # pragma: no cover - ARRAY_FUNCS and the cases agree


def _const_of(lw: Any, v: Any, node: ast.AST, what: str) -> Any:
    if not isinstance(v, PyVal):
        raise lw.err(AlloTypeError, f"the {what} must be known at compile time", node,
                     hint="use a constant tuple or number")
    return v.value


def _arity(lw: Any, op: str, args: List[Any], n: int, node: ast.AST) -> None:
    if len(args) != n:
        raise lw.err(AlloTypeError, f"allo.{op} takes {n} array argument(s), {len(args)} "
                     "given", node, hint="check the call")


def math_call(lw: Any, obj: Any, values: List[Any], node: ast.Call) -> BufView:
    """A math function (``allo.exp``, ``abs``, ...) applied to an array, element-wise."""
    if len(values) == 2:  # pow(A, 2.0)
        a, b = values
        return elementwise(lw, "pow", a, b, node)
    if len(values) != 1:
        raise lw.err(AlloTypeError, f"'{getattr(obj, '__name__', obj)}' takes one array",
                     node, hint="check the call")
    return unary(lw, lambda e: lw.builtin_call(obj, [e], node), values[0], node,
                 ab.MATH_OPS[id(obj)])


def adopt(lw: Any, value: BufView, name: str, node: ast.AST) -> bool:
    """Give the fresh result buffer ``value`` the user's ``name`` (``D = A @ B``); False if
    ``value`` is not a fresh result (then the caller copies)."""
    temps = getattr(lw, "array_temps", set())
    if value.prefix or value.name not in temps or name in lw.symbols:
        return False
    block = lw.blocks[-1]
    at = next((k for k, s in enumerate(block) if isinstance(s, Alloc) and s.name == value.name),
              None)
    if at is None:
        return False
    names = {value.name: name}
    block[at].name = name
    block[at].loc = lw.info.loc(node)

    def visit(stmts: List[Stmt]) -> None:
        for s in stmts:
            rename_buffers_in_stmt(s, names)
            for child in child_bodies(s):
                visit(child)

    visit(block[at + 1:])
    temps.discard(value.name)
    lw.symbols[name] = replace(lw.symbols.pop(value.name))
    return True
