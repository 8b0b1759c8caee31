"""Typing rules of the frontend: literals, casts, operand unification.

Rules (documented choices):

* A Python ``int`` literal is ``int32`` (or the narrowest signed width >= 32 that holds
  it); combined with an ``index`` operand it is ``index``; combined with a float operand
  it takes that float type.
* A Python ``float`` literal takes the float type of the other operand when that is a
  float, else ``float32``. ``True``/``False`` are ``bool`` (``UInt(1)``).
* Arithmetic uses :func:`allo.ir.widths.binary_result_type`; both operands are cast to
  the result type, so every ``Op`` is homogeneous. ``int / int`` is a ``float32``
  division. Comparisons cast both sides to :func:`common_type` and yield ``bool``.
* Assignments cast the value to the declared type (:func:`convert`), except that a
  conversion *to* ``bool`` (``t: bool = x``, storing into a ``bool`` buffer, passing or
  returning a ``bool``, ``bool(x)``, ``bool_(x)``) is Python truthiness, ``x != 0``: the
  frontend emits ``ne(x, 0)``. The IR ``cast`` op keeps its meaning (wrap to the low bit,
  docs/semantics.md); ``bool`` is ``UInt(1)``, so this also holds for ``uint1`` — write
  ``x & 1`` (or a bit read ``x[0]``) for the low bit. Bit assignment ``x[k] = v`` keeps
  ``set_bit``'s meaning (the low bit of ``v``).

Example::

    >>> from allo.ir.nodes import Var
    >>> from allo.ir.types import int8, index
    >>> literal_type(3, Var("i", index))
    index
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..ir.nodes import Const, Expr, Op
from ..ir.types import AlloType, Float, Int, bool_, float32, float64, float16, index
from ..ir.widths import common_type

BOOL = bool_


class PyVal:
    """A compile-time Python value met while lowering (a size, a literal, a type, a
    kernel, a module). Arithmetic on two PyVals is folded in Python."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def __repr__(self) -> str:
        return f"PyVal({self.value!r})"


def is_number(v: Any) -> bool:
    return isinstance(v, (bool, int, float, np.integer, np.floating, np.bool_))


def literal_type(value: Any, other: Optional[Expr] = None) -> AlloType:
    """The type a Python number literal takes next to the operand ``other`` (if any)."""
    if isinstance(value, (bool, np.bool_)):
        return BOOL
    if isinstance(value, (float, np.floating)):
        if other is not None and other.type.is_float:
            return other.type
        return float32
    value = int(value)
    if other is not None and other.type.is_index:
        return index
    if other is not None and other.type.is_float:
        return other.type
    bits = max(32, value.bit_length() + 1)
    return Int(bits)


def literal(value: Any, t: AlloType) -> Expr:
    """The constant ``value`` as an expression of type ``t`` (folded when exact)."""
    if isinstance(value, (bool, np.bool_)):
        value = int(value)
    if isinstance(value, (np.integer,)):
        value = int(value)
    if isinstance(value, np.floating):
        value = float(value)
    if t.is_float:
        return Const(round_float(float(value), t), t)
    if isinstance(value, float):
        # float literal into an integer/fixed type: keep the float and cast, so the
        # conversion follows the semantics' float -> int/fixed rule exactly.
        return Op("cast", (Const(value, float64),), t)
    if t.is_fixed:
        return Op("cast", (Const(value, literal_type(value)),), t)
    if isinstance(t, Int) and not (t.min <= value <= t.max):
        return Op("cast", (Const(value, literal_type(value)),), t)
    return Const(t.wrap(value) if hasattr(t, "wrap") else value, t)


def round_float(x: float, t: AlloType) -> float:
    """Round a Python float to the precision of float type ``t`` (exactly, once)."""
    if t == float32:
        return float(np.float32(x))
    if t == float16:
        return float(np.float16(x))
    if t == float64:
        return float(x)
    import ml_dtypes  # bfloat16

    return float(np.asarray(x, dtype=ml_dtypes.bfloat16))


def cast(e: Expr, t: AlloType) -> Expr:
    """``e`` converted to ``t`` (no-op when it already has that type)."""
    if e.type == t:
        return e
    if isinstance(e, Const) and e.type.is_int and isinstance(t, Int) and t.min <= e.value <= t.max:
        return Const(e.value, t, e.loc)
    if isinstance(e, Const) and e.type.is_int and t.is_index:
        return Const(e.value, t, e.loc)
    return Op("cast", (e,), t, e.loc)


def convert(e: Any, t: AlloType) -> Expr:
    """``e`` (an Expr or a compile-time PyVal) converted to ``t`` as an *assignment* does.

    Like :func:`cast`, except that converting to ``bool`` means Python truthiness,
    ``x != 0`` (NaN is true), not the IR ``cast``'s wrap to the low bit.
    Example: ``convert(Const(2, int32), bool_) == Const(1, bool_)``.
    """
    if isinstance(e, PyVal):
        if t == BOOL:
            return Const(int(bool(e.value)), BOOL)
        e = to_expr(e)
    if t == BOOL and e.type != BOOL:
        if isinstance(e, Const):
            return Const(int(e.value != 0), BOOL, e.loc)
        zero = Const(0.0 if e.type.is_float else 0, e.type)
        return Op("ne", (e, zero), BOOL, e.loc)
    return cast(e, t)


def to_expr(v: Any, other: Optional[Expr] = None) -> Expr:
    """Make an IR expression of an operand that may still be a compile-time number."""
    if isinstance(v, PyVal):
        return literal(v.value, literal_type(v.value, other))
    return v


def unify(a: Any, b: Any, op: Optional[str]) -> tuple:
    """Type two operands: returns ``(a', b', type)`` with both cast to ``type``.

    ``op`` is an arithmetic op name for width growth, or None for the common type.
    """
    from ..ir.widths import binary_result_type

    a = to_expr(a, b if isinstance(b, Expr) else None)
    b = to_expr(b, a)
    t = common_type(a.type, b.type) if op is None else binary_result_type(op, a.type, b.type)
    return cast(a, t), cast(b, t), t


def numpy_dtype_type(dtype: np.dtype) -> Optional[AlloType]:
    """The Allo element type of a numpy dtype (for constant tables), or None."""
    kind, size = dtype.kind, dtype.itemsize * 8
    if kind == "b":
        return BOOL
    if kind == "i":
        return Int(size)
    if kind == "u":
        return Int(size, False)
    if kind == "f":
        return {16: float16, 32: float32, 64: float64}.get(size)
    if dtype.name == "bfloat16":
        return Float("bf16")
    return None
