"""``Struct`` values in kernels: ``p: S = {"x": a, "y": b}``, ``p["x"]``, ``p["y"] = v``.

A struct local is scalarized: one local scalar per field (``p_x``, ``p_y``), so the IR,
the backends and ``verify()`` see ordinary scalars and nothing new. ``p = {...}`` or
``p = q`` (a struct of the same type) assigns every field; ``p["x"] += 1`` updates one.

Example::

    S = Struct({"x": int32, "y": float32})

    def k(x: int32[16], y: float32[16]) -> int32:
        total: int32 = 0
        for i in range(16):
            p: S = {"x": x[i], "y": y[i]}
            total += p["x"] + int(p["y"])
        return total
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Dict

from ..errors import AlloTypeError
from ..ir.nodes import Load, Store
from ..ir.types import BufferType, Struct
from .typing import convert, to_expr


@dataclass(frozen=True)
class StructValue:
    """A struct local while lowering: its type and the local scalar of each field."""

    name: str
    type: Struct
    fields: Dict[str, str]


def declare_struct(lw: Any, node: ast.AnnAssign, t: Struct) -> StructValue:
    """Lower ``name: S = value`` (``value``: a dict literal, another ``S`` value, or none);
    the caller binds ``name`` to the returned value."""
    name = node.target.id
    if name in lw.symbols:
        lw.declare(name, BufferType(next(iter(t.fields.values())), ()), node.target)  # raises
    fields = {}
    for f, ft in t.fields.items():
        local = _fresh(lw, f"{name}_{f}")
        lw.declare(local, BufferType(ft, ()), node)
        fields[f] = local
    value = StructValue(name, t, fields)
    if node.value is not None:
        assign_struct(lw, value, node.value, node)
    return value


def _fresh(lw: Any, base: str) -> str:
    name, k = base, 0
    while name in lw.symbols or name in lw.out_of_scope:
        k += 1
        name = f"{base}_{k}"
    return name


def assign_struct(lw: Any, dest: StructValue, value: ast.AST, node: ast.AST) -> None:
    """``dest = {"x": ..., ...}`` or ``dest = other`` (every field assigned)."""
    t = dest.type
    if isinstance(value, ast.Dict):
        keys = []
        for k in value.keys:
            key = lw.const(k, "struct field name") if k is not None else None
            if not isinstance(key, str):
                raise lw.err(AlloTypeError, "struct fields are named by string constants",
                             k or value, hint='write {"x": ..., "y": ...}')
            keys.append(key)
        if sorted(keys) != sorted(t.fields) or len(set(keys)) != len(keys):
            raise lw.err(AlloTypeError, f"the value of struct '{dest.name}' has fields "
                         f"{keys}, but {t!r} has {list(t.fields)}", value,
                         hint="give each field exactly once")
        values = {k: to_expr(lw.scalar(v)) for k, v in zip(keys, value.values)}
    else:
        other = lw.lower(value)
        if not isinstance(other, StructValue) or other.type != t:
            raise lw.err(AlloTypeError, f"struct '{dest.name}' of type {t!r} cannot be "
                         "assigned this value", value,
                         hint='assign a dict literal {"x": ..., ...} or a struct of its type')
        values = {f: Load(other.fields[f], (), ft) for f, ft in t.fields.items()}
    for f, ft in t.fields.items():
        lw.emit(Store(dest.fields[f], (), convert(values[f], ft), loc=lw.info.loc(node)))


def field_key(lw: Any, value: StructValue, node: ast.Subscript) -> str:
    """The field ``value[...]`` names (a located error for anything else)."""
    key = lw.const(node.slice, "struct field name")
    if key not in value.type.fields:
        raise lw.err(AlloTypeError, f"struct '{value.name}' has no field {key!r}", node.slice,
                     hint=f"fields: {', '.join(map(repr, value.type.fields))}")
    return key


def field_read(lw: Any, value: StructValue, node: ast.Subscript) -> Load:
    """``p["x"]``: the field's local scalar."""
    key = field_key(lw, value, node)
    return Load(value.fields[key], (), value.type.fields[key])


def field_write(lw: Any, value: StructValue, target: ast.Subscript, rhs: Any,
                node: ast.AST) -> None:
    """``p["x"] = v``: a store into the field's local scalar."""
    key = field_key(lw, value, target)
    lw.emit(Store(value.fields[key], (), convert(to_expr(rhs), value.type.fields[key]),
                  loc=lw.info.loc(node)))


__all__ = ["StructValue", "declare_struct", "assign_struct", "field_read", "field_write"]
