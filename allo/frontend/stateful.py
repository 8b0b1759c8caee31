"""``Stateful`` declarations: ``acc: int32 @ Stateful = 0``, ``buf: float32[N] @ Stateful``.

A stateful local keeps its value across calls of the kernel (C ``static``). It lowers to an
``Alloc(stateful=True)`` hoisted to the top of the function (like a constant table), so it
is initialised once, wherever it is declared; the name is still scoped to the block that
declares it. The initial value must be known at compile time: a number (broadcast to every
element), a list literal or a global numpy array of the buffer's shape, or nothing (zeros).

Example::

    def counter() -> int32:
        count: int32 @ Stateful = 0
        count = count + 1
        return count          # 1, 2, 3, ... on successive calls
"""

from __future__ import annotations

import ast
from typing import Any

import numpy as np

from ..errors import AlloNameError, AlloTypeError
from ..ir.nodes import Alloc, Const, Expr, Op
from ..ir.types import AlloType, BufferType, Qualified, Stateful, StreamType
from ..semantics.registry import specialize
from .exprs import BufView, Symbol
from .typing import BOOL, PyVal, convert, literal


def reject_qualified_param(lw: Any, arg: ast.arg, t: Any) -> None:
    """A parameter cannot be ``Stateful``: its value comes from the caller on every call."""
    if isinstance(t, Qualified) and t.qualifier is Stateful:
        raise lw.err(AlloTypeError, f"parameter '{arg.arg}' cannot be Stateful", arg.annotation,
                     hint="declare a Stateful local in the kernel body instead, e.g. "
                          f"{arg.arg}_state: {t.base!r} @ Stateful = 0")


def declare_qualified(lw: Any, node: ast.AnnAssign, t: Qualified) -> None:
    """Lower ``name: T @ qualifier = value`` (only ``Stateful`` qualifies locals here)."""
    name = node.target.id
    if t.qualifier is not Stateful:
        raise lw.err(AlloTypeError, f"local '{name}' cannot be qualified with {t.qualifier!r}",
                     node.annotation, hint="only Stateful applies to local declarations")
    base = t.base
    if isinstance(base, (AlloType, StreamType)):
        base = BufferType(base, ())
    if not isinstance(base, BufferType) or base.is_stream:
        raise lw.err(AlloTypeError, f"'{name}' of type {t.base!r} cannot be Stateful",
                     node.annotation, hint="Stateful applies to scalars and arrays of scalars, "
                                           "e.g. acc: int32[N] @ Stateful = 0")
    if name in lw.symbols:
        lw.declare(name, base, node.target)  # raises the redeclaration error
    if any(a.name == name for a in lw.tables):
        raise lw.err(AlloNameError, f"stateful '{name}' is declared twice in this kernel",
                     node.target, hint="give each Stateful variable its own name")
    init = _initial_value(lw, name, base, node.value)
    lw.out_of_scope.pop(name, None)
    lw.symbols[name] = Symbol("local", base)
    lw.tables.append(Alloc(name, base, init, loc=lw.info.loc(node), stateful=True))


def _initial_value(lw: Any, name: str, t: BufferType, v: Any) -> Any:
    if v is None:
        return None
    what = f"the initial value of Stateful '{name}'"
    if isinstance(v, ast.List):
        from .meta import const_eval

        arr = np.array(const_eval(lw, v, what))
        return lw.const_table_init(name, t, arr, v)
    value = lw.lower(v)
    if isinstance(value, PyVal) and isinstance(value.value, np.ndarray):
        return lw.const_table_init(name, t, value.value, v)
    if isinstance(value, BufView) and not value.prefix:  # a global array: a constant table
        table = next((a.init for a in lw.tables if a.name == value.name and not a.stateful
                      and isinstance(a.init, np.ndarray)), None)
        if table is not None:
            return lw.const_table_init(name, t, table, v)
    if isinstance(value, PyVal) and isinstance(value.value, (int, float, np.number, bool)):
        e = convert(value, BOOL) if t.dtype == BOOL else literal(value.value, t.dtype)
        return fold_constant(e)
    if isinstance(value, Const):
        return fold_constant(convert(value, t.dtype))
    raise lw.err(AlloTypeError, f"{what} must be a compile-time constant", v,
                 hint="use a number, a list literal or a global numpy array; the state is "
                      "initialised once, before the first call")


def fold_constant(e: Expr) -> Const:
    """A constant expression (casts of constants) folded into one ``Const`` of its type,
    with the registry's meaning. Example: ``fold_constant(Op("cast", (Const(2.5, float64),),
    int32)) == Const(2, int32)``."""
    if isinstance(e, Const):
        return e
    if isinstance(e, Op) and all(isinstance(a, (Const, Op)) for a in e.args):
        args = [fold_constant(a) for a in e.args]
        fn = specialize(e.op, [a.type for a in args], e.type)
        vals = [_value(a) for a in args]
        r = fn(*vals)
        return Const(r.item() if hasattr(r, "item") and not e.type.is_float else r, e.type)
    raise AlloTypeError(f"not a constant expression: {e!r}")


def _value(c: Const) -> Any:
    from ..ir.types import Fixed
    from ..semantics.casts import float_to_fixed_raw
    from ..semantics.values import const_value

    if isinstance(c.type, Fixed) and isinstance(c.value, float):
        return float_to_fixed_raw(c.value, c.type.frac, c.type.bits, c.type.signed)
    return const_value(c.value, c.type)


__all__ = ["declare_qualified", "reject_qualified_param", "fold_constant"]
