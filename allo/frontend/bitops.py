"""Bit-level constructs of kernel code beyond ``x[k]`` and constant slices.

* ``x.bitcast()`` / ``x.bitcast(T)``: the same bits read as another type of the same width
  (op ``bitcast`` of the registry). Without ``T``, an integer of 16/32/64 bits becomes the
  float of that width (``float16``/``float32``/``float64``), a float becomes the signed
  integer of its width, a fixed-point value its raw integer.
* ``a << k`` / ``a >> k`` on fixed point: ``ap_fixed``'s shift of the raw bits within the
  type (:func:`fixed_shift`).
* dynamic bit slices ``x[lo:hi]`` (``lo``/``hi`` not constants) and their assignment
  ``x[lo:hi] = v``: lowered here to ``shr``/``shl``/``and``/``or``/``not``/``sub`` on
  ``UInt(n)`` (``n`` = the width of ``x``), each defined once in the registry, so every
  backend and ``verify()`` need nothing new. The value is ``(x >> lo) & ((1 << (hi - lo)) - 1)``
  with ``lo``/``hi`` read as unsigned ``n``-bit numbers (docs/semantics.md, "Bits").
* ``x.reverse()``: the bits of ``x`` in reverse order (an OR of shifted single bits).

Example::

    def k(A: int32, B: int32[11]):
        for i in range(1, 12):
            B[i - 1] = A[i - 1 : i]        # a dynamic slice: bit i - 1 of A

    def f(A: uint32) -> float32:
        return A.bitcast()                 # the IEEE float with A's bits
"""

from __future__ import annotations

import ast
from typing import Any, List, Optional

from ..errors import AlloSyntaxError, AlloTypeError
from ..ir.nodes import Const, Expr, Op
from ..ir.types import AlloType, Fixed, Float, Int, UInt, float16, float32, float64
from .typing import BOOL, PyVal, cast, to_expr

_FLOAT_OF_WIDTH = {16: float16, 32: float32, 64: float64}
METHODS = ("bitcast", "reverse")


def method_call(lw: Any, node: ast.Call) -> Expr:
    """``x.bitcast(...)`` or ``x.reverse()`` (``node.func`` is the attribute)."""
    f = node.func
    x = to_expr(lw.require_scalar(lw.lower(f.value), f.value))
    if node.keywords:
        raise lw.err(AlloSyntaxError, f"'.{f.attr}()' takes no keyword arguments",
                     node.keywords[0].value, hint=f"write x.{f.attr}()")
    if f.attr == "reverse":
        if node.args:
            raise lw.err(AlloTypeError, "'.reverse()' takes no arguments", node,
                         hint="write x.reverse()")
        return reverse(lw, x, node)
    if len(node.args) > 1:
        raise lw.err(AlloTypeError, "'.bitcast()' takes at most one argument (the type)",
                     node, hint="write x.bitcast() or x.bitcast(float32)")
    target = None
    if node.args:
        target = lw.lower(node.args[0])
        target = target.value if isinstance(target, PyVal) else None
        if not isinstance(target, AlloType):
            raise lw.err(AlloTypeError, "the argument of '.bitcast(T)' must be a scalar type",
                         node.args[0], hint="e.g. x.bitcast(float32) or x.bitcast(uint16)")
    return bitcast(lw, x, target, node)


def bitcast(lw: Any, x: Expr, target: Optional[AlloType], node: ast.AST) -> Expr:
    """``Op("bitcast", (x,), T)``, checking that ``x``'s type and ``T`` have one width."""
    src = x.type
    if not _bitcastable(src):
        raise lw.err(AlloTypeError, f"cannot bitcast a value of type {src!r}", node,
                     hint="bitcast integers (intN/uintN), fixed point and floats")
    if target is None:
        if isinstance(src, Fixed):  # its raw bits
            target = Int(src.bits, src.signed)
        elif isinstance(src, Float):
            target = Int(src.bits)
        elif src.bits in _FLOAT_OF_WIDTH:
            target = _FLOAT_OF_WIDTH[src.bits]
        else:
            raise lw.err(AlloTypeError, f"no float type has the {src.bits} bits of {src!r}",
                         node, hint="slice 16, 32 or 64 bits first (x[0:16].bitcast()), or "
                                    "name the target type: x.bitcast(T)")
    if not _bitcastable(target):
        raise lw.err(AlloTypeError, f"cannot bitcast to {target!r}", node,
                     hint="the target is an integer (intN/uintN), fixed-point or float type")
    if target.bits != src.bits:
        raise lw.err(AlloTypeError, f"bitcast from {src!r} ({src.bits} bits) to {target!r} "
                     f"({target.bits} bits): the widths differ", node,
                     hint="bitcast keeps every bit; convert with a cast or slice bits first")
    return x if target == src else Op("bitcast", (x,), target)


def _bitcastable(t: AlloType) -> bool:
    return isinstance(t, (Float, Fixed)) or (isinstance(t, Int) and not t.is_index)


def fixed_shift(op: str, a: Expr, k: Expr) -> Expr:
    """``a << k`` / ``a >> k`` on fixed point ``a`` (``ap_fixed``'s shift): the raw bits
    shifted within ``a``'s type (arithmetic right shift when signed), as ``bitcast``s
    around the integer shift. Example: ``Fixed(8, 3)`` 5.375 ``<< 2`` is -10.5 (wraps)."""
    t = a.type
    raw = Int(t.bits, t.signed)
    shifted = Op(op, (Op("bitcast", (a,), raw), cast(k, raw)), raw)
    return Op("bitcast", (shifted,), t)


def reverse(lw: Any, x: Expr, node: ast.AST) -> Expr:
    """The bits of integer ``x`` in reverse order, of ``x``'s type."""
    t = x.type
    lw.require_bits(t, "'.reverse()'", node)
    from ..ir.types import index

    n = t.bits
    u = UInt(n)
    terms: List[Expr] = []
    for k in range(n):
        bit = cast(Op("get_bit", (x, Const(k, index)), BOOL), u)
        terms.append(Op("shl", (bit, Const(n - 1 - k, u)), u) if n - 1 - k else bit)
    while len(terms) > 1:  # a balanced tree: depth log2(n)
        terms = [Op("or", (terms[k], terms[k + 1]), u) if k + 1 < len(terms) else terms[k]
                 for k in range(0, len(terms), 2)]
    return cast(terms[0], t)


def _field(u: Int, lo: Expr, hi: Expr) -> Expr:
    """``((1 << (hi - lo)) - 1)`` in ``u``: ``hi - lo`` ones (all ones when it is ``n``)."""
    one = Const(1, u)
    return Op("sub", (Op("shl", (one, Op("sub", (hi, lo), u)), u), one), u)


def dynamic_get_slice(x: Expr, lo: Expr, hi: Expr) -> Expr:
    """Bits ``lo .. hi-1`` of ``x`` (non-constant bounds), zero-extended to ``UInt(n)``.

    Example: ``dynamic_get_slice(a, i, i + 1)`` is bit ``i`` of ``a``.
    """
    u = UInt(x.type.bits)
    lo_u, hi_u = cast(lo, u), cast(hi, u)
    return Op("and", (Op("shr", (cast(x, u), lo_u), u), _field(u, lo_u, hi_u)), u)


def dynamic_set_slice(x: Expr, lo: Expr, hi: Expr, v: Expr) -> Expr:
    """``x`` with bits ``lo .. hi-1`` replaced by the low bits of ``v``, of ``x``'s type."""
    t = x.type
    u = UInt(t.bits)
    lo_u, hi_u = cast(lo, u), cast(hi, u)
    place = Op("shl", (_field(u, lo_u, hi_u), lo_u), u)
    cleared = Op("and", (cast(x, u), Op("not", (place,), u)), u)
    placed = Op("and", (Op("shl", (cast(v, u), lo_u), u), place), u)
    return cast(Op("or", (cleared, placed), u), t)


__all__ = ["METHODS", "method_call", "bitcast", "fixed_shift", "reverse", "dynamic_get_slice",
           "dynamic_set_slice"]
