"""Calls between kernels and ``return``.

A call keeps the hierarchy: ``matmul(A, B, C)`` becomes ``Call("matmul", [BufRef("A"),
...])``; a call used as a value (``C = matmul(A, B)``) allocates the result buffer(s)
first and binds them with ``Call(..., results=["C"])``. Partial indexing passes a sub-view
(``pe(A[i])`` -> ``BufRef("A", (i,))``). Arguments are checked against the callee's
parameter types (element type and shape must match exactly; scalars are cast).

Example::

    def top(A: int8[4, 4], B: int8[4, 4]) -> int16[4, 4]:
        C = matmul(A, B)       # Alloc C: int16[4, 4]; Call matmul(A, B) -> [C]
        return C
"""

from __future__ import annotations

import ast
from typing import Any, List, Optional

from ..errors import AlloSyntaxError, AlloTypeError
from ..ir.aliasing import ALIAS_HINT, call_alias_violation
from ..ir.nodes import BufRef, Call, Module, Return
from ..ir.types import AlloType, BufferType, StreamType
from ..ir.widths import is_lossless_cast
from .slices import has_slice
from .templates import infer_from_types, template_params
from .typing import PyVal, convert, to_expr
from .values import BufView, TemplateInstance, fmt_type


def as_buffer_type(t: Any) -> BufferType:
    return BufferType(t, ()) if isinstance(t, (AlloType, StreamType)) else t


def same_type(a: Any, b: Any) -> bool:
    """Equal element type and shape (layouts are the partition types' business)."""
    a, b = as_buffer_type(a), as_buffer_type(b)
    da, db = a.dtype, b.dtype
    if isinstance(da, StreamType) and isinstance(db, StreamType):
        da, db = da.dtype, db.dtype  # FIFO depths may differ between caller and callee
    return da == db and a.shape == b.shape


def call_kernel(fl: Any, node: ast.Call, target: Any, results: Optional[List[str]],
                names: Optional[List[str]], names_node: Any) -> List[str]:
    """Emit the Call (and result Allocs) for ``node``; return the result buffer names.

    ``results``: existing buffers to bind; ``names``: target names (new ones are declared);
    neither: fresh temporaries.
    """
    if isinstance(target, TemplateInstance):
        func = fl.mb.get_func(target.fn, list(target.args), target.name, node, fl)
    else:
        func = fl.mb.get_func(target, infer_template_args(fl, node, target), None, node, fl)
    if node.keywords:
        raise fl.err(AlloSyntaxError, "keyword arguments are not supported in kernel calls",
                     node.keywords[0].value, hint="pass arguments by position")
    for a in node.args:
        if isinstance(a, ast.Starred):
            raise fl.err(AlloSyntaxError, "star arguments (*args) are not supported", a,
                         hint="pass each argument explicitly")
    if len(node.args) != len(func.params):
        raise fl.err(AlloTypeError, f"kernel '{func.name}' takes {len(func.params)} "
                     f"argument(s) but {len(node.args)} were given", node,
                     hint="(" + ", ".join(f"{p.name}: {fmt_type(p.type)}" for p in func.params)
                     + ")")
    args = [lower_arg(fl, a, p, func.name) for a, p in zip(node.args, func.params)]
    out = bind_results(fl, node, func, results, names, names_node)
    call = Call(func.name, args, out, loc=fl.info.loc(node))
    check_aliasing(fl, node, call)
    fl.emit(call)
    return out


def infer_template_args(fl: Any, node: ast.Call, fn: Any) -> Optional[List[Any]]:
    """The template arguments of a call ``stage(A, B)`` of a template kernel without
    explicit arguments, read off the argument types and shapes; None for a plain kernel.

    Example: ``k(A)`` with ``def k[T, N](A: "T[N]")`` and ``A: int8[4]`` instantiates
    ``k[int8, 4]``.
    """
    info = fl.mb.source(fn)
    params = template_params(fn, info.func_def)
    if params is None or info.func_def is None:
        return None
    names = [n for n, _ in params]
    arg_types = []
    for a in node.args:
        t = None
        if isinstance(a, (ast.Name, ast.Attribute)) or (isinstance(a, ast.Subscript)
                                                         and not has_slice(a)):  # no code emitted
            v = fl.lower(a)
            if isinstance(v, BufView):
                t = as_buffer_type(v.view_type())
            elif not isinstance(v, PyVal):
                t = getattr(v, "type", None)
        arg_types.append(t)
    found, conflicts = infer_from_types(info.func_def, names, arg_types)
    if conflicts:
        name, first, second, pos = conflicts[0]
        raise fl.err(AlloTypeError, f"template parameter '{name}' of '{fn.__name__}' is "
                     f"{first!r} by one argument but {second!r} by argument {pos + 1}",
                     node.args[pos], hint=f"pass arguments whose types agree, or instantiate "
                     f"explicitly: {fn.__name__}[{', '.join(names)}](...)")
    missing = [n for n in names if n not in found]
    if missing:
        raise fl.err(AlloTypeError, f"cannot infer template parameter(s) {', '.join(missing)} "
                     f"of '{fn.__name__}' from the argument types", node,
                     hint=f"instantiate explicitly: {fn.__name__}[{', '.join(names)}](...)")
    return [found[n] for n in names]


def check_aliasing(fl: Any, node: ast.Call, call: Call) -> None:
    """Refuse a call passing overlapping arrays where the callee writes one of them
    (docs/semantics.md: array arguments never alias)."""
    funcs = {n: f for n, f in fl.mb.funcs.items() if f is not None}
    message = call_alias_violation(Module(funcs, call.callee), call)
    if message is not None:
        raise fl.err(AlloTypeError, message, node, hint=ALIAS_HINT)


def bind_results(fl: Any, node: ast.Call, func: Any, results: Optional[List[str]],
                 names: Optional[List[str]], names_node: Any) -> List[str]:
    rtypes = [as_buffer_type(t) for t in func.results]
    wanted = results if results is not None else names
    if wanted is None:
        out = [fl.fresh(func.name) for _ in rtypes]
        for n, t in zip(out, rtypes):
            fl.declare(n, t, node)
        return out
    if len(wanted) != len(rtypes):
        got = "nothing" if not rtypes else f"{len(rtypes)} value(s)"
        raise fl.err(AlloTypeError, f"kernel '{func.name}' returns {got}, but "
                     f"{len(wanted)} target(s) are assigned", names_node or node,
                     hint="match the number of targets to the kernel's results")
    for n, t in zip(wanted, rtypes):
        if n in fl.symbols:
            have = fl.symbols[n].type
            if not same_type(have, t):
                raise fl.err(AlloTypeError, f"kernel '{func.name}' returns {fmt_type(t)}, but "
                             f"'{n}' is {fmt_type(as_buffer_type(have))}", names_node or node,
                             hint="declare the target with the kernel's result type")
        else:
            fl.declare(n, t, names_node or node)
    return list(wanted)


def lower_arg(fl: Any, node: ast.AST, param: Any, callee: str) -> Any:
    pt = param.type
    if isinstance(pt, (BufferType, StreamType)):
        v = fl.lower(node)
        if not isinstance(v, BufView):
            raise fl.err(AlloTypeError, f"argument '{param.name}' of '{callee}' must be a "
                         f"buffer of type {fmt_type(pt)}, got a scalar", node,
                         hint="pass a buffer, or A[i] for a sub-view")
        if v.name in getattr(fl, "slice_temps", {}):
            raise fl.err(AlloTypeError, f"argument '{param.name}' of '{callee}' is a slice of "
                         f"'{fl.slice_temps[v.name]}'; a slice is a copy, so the kernel would "
                         "not see or change the buffer itself", node,
                         hint="pass a sub-view A[i] (leading indices), or copy the slice into "
                              "a named buffer first (S = A[0:2]) if a copy is what you want")
        vt = v.view_type()
        if not same_type(vt, pt):
            raise fl.err(AlloTypeError, f"argument '{param.name}' of '{callee}' expects "
                         f"{fmt_type(pt)}, got {fmt_type(as_buffer_type(vt))}", node,
                         hint="pass a buffer (or sub-view) of exactly that element type and "
                              "shape")
        return BufRef(v.name, v.prefix, loc=fl.info.loc(node))
    v = to_expr(fl.scalar(node))
    return convert(v, pt)


def lower_return(fl: Any, node: ast.Return) -> None:
    """Lower the final ``return`` against the declared result types."""
    results = fl.results
    loc = fl.info.loc(node)
    if node.value is None or (isinstance(node.value, ast.Constant) and node.value.value is None):
        if results:
            raise fl.err(AlloTypeError, "this kernel declares a result but returns nothing",
                         node, hint="return a value of the declared type")
        fl.emit(Return([], loc=loc))
        return
    if not results:
        raise fl.err(AlloTypeError, "this kernel returns a value but has no return "
                     "annotation", node, hint="annotate the result, e.g. -> int32[M, N]")
    elts = node.value.elts if isinstance(node.value, ast.Tuple) and len(results) != 1 \
        else [node.value]
    if len(elts) != len(results):
        raise fl.err(AlloTypeError, f"returns {len(elts)} value(s), but the annotation "
                     f"declares {len(results)}", node.value, hint="match the annotation")
    values = []
    for e, rt in zip(elts, results):
        if isinstance(rt, BufferType):
            callee = fl.callee_object(e) if isinstance(e, ast.Call) else None
            if callee is not None:
                name = call_kernel(fl, e, callee, None, None, None)
                v = fl.symbol_value(name[0], fl.symbols[name[0]]) if len(name) == 1 else None
            else:
                v = fl.lower(e)
            if not isinstance(v, BufView):
                raise fl.err(AlloTypeError, f"returns a scalar, but the kernel declares "
                             f"{fmt_type(rt)}", e, hint="return a buffer of the declared type")
            v = widen_returned_array(fl, v, rt, e)
            if not same_type(v.view_type(), rt):
                raise fl.err(AlloTypeError, f"returns {fmt_type(as_buffer_type(v.view_type()))},"
                             f" but the kernel declares {fmt_type(rt)}", e,
                             hint="return a buffer of the declared type and shape")
            values.append(BufRef(v.name, v.prefix, loc=fl.info.loc(e)))
        else:
            v = fl.lower(e)
            if isinstance(v, BufView):
                raise fl.err(AlloTypeError, f"returns buffer '{v.name}', but the kernel "
                             f"declares the scalar type {rt!r}", e,
                             hint="index the buffer or fix the annotation")
            values.append(convert(to_expr(fl.require_scalar(v, e)), rt))
    fl.emit(Return(values, loc=loc))


def widen_returned_array(fl: Any, v: Any, rt: BufferType, node: ast.AST) -> Any:
    """A returned array whose elements convert without loss to the declared element type
    (``Int(6)`` values returned as ``Int(8)[4, 4]``) is copied into a buffer of that type;
    anything else is returned as is (and checked by the caller).

    Example: ``C = A + B`` on ``Int(5)`` arrays, then ``return C`` from ``-> Int(8)[4, 4]``.
    """
    from . import arrays

    have = v.view_type()
    if not isinstance(have, BufferType) or have.is_stream or rt.is_stream or \
            tuple(have.shape) != tuple(rt.shape) or have.dtype == rt.dtype or \
            not isinstance(have.dtype, AlloType) or not isinstance(rt.dtype, AlloType) or \
            not is_lossless_cast(have.dtype, rt.dtype):
        return v
    out = arrays.temp(fl, "ret", rt.dtype, rt.shape, node)
    arrays.copy_into(fl, out, v, node)
    return out
