"""Result typing of IR ops: which operand and result types an op accepts.

One rule per op group (see :data:`allo.semantics.registry.REGISTRY`); the IR verifier asks
an op's entry for its rule. A rule takes the operand types, the result type and the
constant operand values (``None`` for operands that are not ``Const``) and returns ``None``
when the op is well typed, else what is wrong (the verifier adds where).

Example::

    >>> from allo.ir.types import int8, bool_, float32
    >>> compare_rule("lt", (int8, int8), bool_, (None, None)) is None
    True
    >>> math_rule("exp", (int8,), int8, (None,))
    'math intrinsics take and give one float type'
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

from ..ir.types import AlloType, Int, bool_

# rule(op, operand types, result type, constant operand values) -> problem or None
TypingRule = Callable[[str, Sequence[AlloType], AlloType, Sequence[Optional[int]]], Optional[str]]


def arith_rule(op: str, ts: Sequence[AlloType], t: AlloType, consts: Sequence[Optional[int]]) -> Optional[str]:
    """Operands have the result type; ``mod`` is not defined on fixed point."""
    if not all(x == t for x in ts):
        return "operands must have the result type"
    if op == "mod" and t.is_fixed:
        return "mod is not defined on fixed point"
    return None


def bitwise_rule(op: str, ts: Sequence[AlloType], t: AlloType, consts: Sequence[Optional[int]]) -> Optional[str]:
    """Integer operands of the result type (shift amounts too, read as unsigned)."""
    if not all(x == t for x in ts):
        return "operands must have the result type"
    if not t.is_int:
        return "bitwise ops need integer operands"
    return None


def logical_rule(op: str, ts: Sequence[AlloType], t: AlloType, consts: Sequence[Optional[int]]) -> Optional[str]:
    """``bool`` operands, ``bool`` result."""
    if not (t == bool_ and all(x == bool_ for x in ts)):
        return "logical ops take and give bool"
    return None


def compare_rule(op: str, ts: Sequence[AlloType], t: AlloType, consts: Sequence[Optional[int]]) -> Optional[str]:
    """Both operands of one type, ``bool`` result."""
    if ts[0] != ts[1]:
        return "both operands must have one type"
    if t != bool_:
        return "comparisons give bool"
    return None


def select_rule(op: str, ts: Sequence[AlloType], t: AlloType, consts: Sequence[Optional[int]]) -> Optional[str]:
    """A ``bool`` condition and two choices of the result type."""
    if ts[0] != bool_:
        return "the condition must be bool"
    if not (ts[1] == t and ts[2] == t):
        return "both choices must have the result type"
    return None


def cast_rule(op: str, ts: Sequence[AlloType], t: AlloType, consts: Sequence[Optional[int]]) -> Optional[str]:
    """Any scalar type to any scalar type (docs/semantics.md, "Casts")."""
    return None


def bitcast_rule(op: str, ts: Sequence[AlloType], t: AlloType, consts: Sequence[Optional[int]]) -> Optional[str]:
    """The same bits as another type: integers (not ``index``), fixed point (its raw bits)
    and floats, of one width."""
    ok = lambda x: x.is_float or x.is_fixed or (x.is_int and not x.is_index)  # noqa: E731
    if not (ok(ts[0]) and ok(t)):
        return "bitcast takes and gives integers, fixed point or floats"
    if ts[0].bits != t.bits:
        return "bitcast keeps the width"
    return None


def math_rule(op: str, ts: Sequence[AlloType], t: AlloType, consts: Sequence[Optional[int]]) -> Optional[str]:
    """Float operands of the result type."""
    if not (t.is_float and all(x == t for x in ts)):
        return "math intrinsics take and give one float type"
    return None


def bit_rule(op: str, ts: Sequence[AlloType], t: AlloType, consts: Sequence[Optional[int]]) -> Optional[str]:
    """``get_bit(x, i) -> bool``, ``set_bit(x, i, b) -> type(x)``, on integers."""
    if not (ts[0].is_int and ts[1].is_int):
        return "bit ops need integer value and bit index"
    if t != (bool_ if op == "get_bit" else ts[0]):
        return "wrong result type"
    if op != "get_bit" and not ts[2].is_int:
        return "the new bit must be an integer/bool"
    return None


def slice_rule(op: str, ts: Sequence[AlloType], t: AlloType, consts: Sequence[Optional[int]]) -> Optional[str]:
    """``get_slice(x, lo, hi) -> UInt(hi - lo)``, ``set_slice(x, lo, hi, v) -> type(x)``;
    ``lo``/``hi`` constants with ``0 <= lo < hi <= bits(x)``."""
    lo, hi = consts[1], consts[2]
    if lo is None or hi is None:
        return "slice bounds must be constants"
    if not ts[0].is_int:
        return "slices need an integer value"
    lo, hi = int(lo), int(hi)
    if not 0 <= lo < hi <= ts[0].bits:
        return f"slice [{lo}, {hi}) out of the value's bits"
    if op == "get_slice":
        if t != Int(hi - lo, False):
            return f"get_slice gives UInt({hi - lo})"
    elif not (t == ts[0] and ts[3].is_int):
        return "set_slice keeps the value's type"
    return None


__all__ = ["TypingRule", "arith_rule", "bitwise_rule", "logical_rule", "compare_rule",
           "select_rule", "cast_rule", "bitcast_rule", "math_rule", "bit_rule", "slice_rule"]
