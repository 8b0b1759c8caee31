"""Annotation qualifiers of public Allo: ``ConstExpr[T]``, ``T @ Stateful``, ``Struct``.

They are not element types; they say how a declared name lives:

* ``x: ConstExpr[int32] = M // 2``: a compile-time constant, folded into the program (its
  value must be computable while the kernel is compiled);
* ``acc: int32 @ Stateful = 0``: a variable that keeps its value across calls of the
  kernel (C ``static``); the initializer is its value before the first call;
* ``A: int32[M] @ Memory(resource="URAM")``: a buffer with a memory implementation hint
  (see :mod:`allo.memory`);
* ``Struct({"x": int32, "y": float32})``: a record of named scalar fields.

Example::

    >>> from allo.ir.types import int32, float32
    >>> from allo.ir.qualifiers import ConstExpr, Stateful, Qualified, Struct
    >>> ConstExpr[int32]
    ConstExpr[int32]
    >>> (int32 @ Stateful).qualifier is Stateful
    True
    >>> Struct({"x": int32, "y": float32}).fields["y"]
    float32
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict

from ..errors import AlloTypeError


class Qualifier:
    """Base of the objects that may follow ``@`` in an annotation."""


class _StatefulQualifier(Qualifier):
    def __repr__(self) -> str:
        return "Stateful"


#: ``x: int32 @ Stateful = 0`` keeps ``x`` across calls
Stateful = _StatefulQualifier()


@dataclass(frozen=True)
class Qualified:
    """``base @ qualifier``: a type (scalar or buffer) with a storage qualifier."""

    base: Any
    qualifier: Qualifier

    def __matmul__(self, other: Any) -> "Qualified":
        raise AlloTypeError(f"{self!r} already has a qualifier; it cannot also be {other!r}",
                            hint="use one '@' qualifier per declaration")

    def __repr__(self) -> str:
        return f"{self.base!r} @ {self.qualifier!r}"


def qualify(base: Any, other: Any) -> Any:
    """``base @ other`` for Allo types: a :class:`Qualified`, or NotImplemented."""
    if isinstance(other, Qualifier):
        return Qualified(base, other)
    return NotImplemented


@dataclass(frozen=True)
class ConstExprType:
    """``ConstExpr[T]``: a compile-time constant of type ``T``."""

    dtype: Any

    def __repr__(self) -> str:
        return f"ConstExpr[{self.dtype!r}]"


class _ConstExprMeta(type):
    def __getitem__(cls, dtype: Any) -> ConstExprType:
        from .types import AlloType

        if not isinstance(dtype, AlloType):
            raise AlloTypeError(f"ConstExpr[{dtype!r}] needs a scalar type",
                                hint="write e.g. ConstExpr[int32]")
        return ConstExprType(dtype)


class ConstExpr(metaclass=_ConstExprMeta):
    """Annotation helper: ``n: ConstExpr[int32] = M // 2`` is folded at compile time."""


class Struct:
    """A record type of named scalar fields, e.g. ``Struct({"x": int32, "y": float32})``.

    In a kernel, ``p: S = {"x": a, "y": b}`` declares one scalar per field and
    ``p["x"]`` reads or writes a field.
    """

    def __init__(self, fields: Dict[str, Any]):
        from .types import AlloType

        if not isinstance(fields, dict) or not fields:
            raise AlloTypeError(f"Struct({fields!r}) needs a non-empty dict of fields",
                                hint='write Struct({"x": int32, "y": float32})')
        for k, t in fields.items():
            if not (isinstance(k, str) and k.isidentifier()) or not isinstance(t, AlloType):
                raise AlloTypeError(f"bad Struct field {k!r}: {t!r}",
                                    hint="field names are identifiers and field types are "
                                         "scalar Allo types")
        self.fields = dict(fields)

    @property
    def bits(self) -> int:
        return sum(t.bits for t in self.fields.values())

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Struct) and list(self.fields.items()) == \
            list(other.fields.items())

    def __hash__(self) -> int:
        return hash(tuple(self.fields.items()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k!r}: {t!r}" for k, t in self.fields.items())
        return f"Struct({{{inner}}})"
