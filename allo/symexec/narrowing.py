"""Exact narrowing of widened integer ring arithmetic, applied to IR expressions at compile time.

The frontend widens integer arithmetic so that no intermediate overflows: ``C[i, j] +=
A[i, k] * B[k, j]`` on an ``int16`` accumulator becomes
``cast16(add17(cast17(C), cast17(mul16(...))))``. When the result is cast back to the
operands' own type the widening changes nothing, because reduction modulo ``2**n`` is a ring
homomorphism:

    ``cast_t(op_m(cast_m(x), cast_m(y))) == op_t(x, y)``

for ``op`` in ``add``/``sub``/``mul`` (and unary ``neg``), integer types ``t`` (``n`` bits)
and ``m`` with ``m`` at least as wide as ``t``, and ``cast_m`` lossless on ``t``
(:func:`allo.ir.index.cast_keeps_value`): the inner casts keep each value, ``op_m`` and
``op_t`` both compute the exact result modulo a power of two no smaller than ``2**n``, and
the outer cast reduces modulo ``2**n`` (integer casts wrap). An operand ``cast_m(z)``
with ``z`` of a narrower type ``s`` (an ``int16`` product summed into an ``int32``
accumulator) becomes ``cast_t(z)`` when that cast is lossless too: both keep ``z``'s
value. Integer constants of type ``m`` become their value wrapped to ``t``. An operand
``cast_m(op_k(...))`` with ``op_k`` itself a ring op at least as wide as ``t`` (the
``int64`` product of two ``int32`` values summed into an ``int32`` accumulator) becomes
``op_t`` on its own operands narrowed the same way: modulo ``2**n`` it has the same value,
by the same homomorphism (``n <= k``).

Every rewritten node has the value of the node it replaces, so the symbolic executor
builds 2 nodes per multiply-accumulate where it built 5, and no verdict can change for
the worse: equal node ids still mean equal values.

Fixed point, floats and ``bool`` are left alone.

Example::

    >>> from allo.ir.nodes import Op, Var
    >>> from allo.ir.types import Int
    >>> x, y = Var("x", Int(16)), Var("y", Int(16))
    >>> wide = Op("add", (Op("cast", (x,), Int(17)), Op("cast", (y,), Int(17))), Int(17))
    >>> narrow_widened(Op("cast", (wide,), Int(16)))
    Op(op='add', args=(Var(name='x', type=int16), Var(name='y', type=int16)), type=int16)
"""

from __future__ import annotations

import numbers
from typing import Optional

from ..ir.index import cast_keeps_value
from ..ir.nodes import Const, Expr, Op
from ..ir.types import AlloType, bool_, wrap_int

_RING_OPS = frozenset(("add", "sub", "mul", "neg"))


def _plain_int(t: object) -> bool:
    return isinstance(t, AlloType) and t.is_int and not t.is_fixed and t != bool_


def _narrow_operand(e: Expr, t: AlloType, depth: int) -> Optional[Expr]:
    """An expression of type ``t`` whose value is ``e``'s modulo ``2**t.bits``, if cheap."""
    if isinstance(e, Op) and e.op == "cast" and _plain_int(e.args[0].type) and \
            cast_keeps_value(e.args[0].type, e.type):
        src = e.args[0]  # e keeps src's value exactly
        if src.type == t:
            return src
        if cast_keeps_value(src.type, t):  # so does a cast to t (int8 -> int32 accumulators)
            return Op("cast", (src,), t, loc=e.loc)
        # a ring op at least as wide as t (the int64 product of two int32 values summed
        # into an int32 accumulator): modulo 2**t.bits it is the op at t
        return _narrow_ring(src, t, depth - 1) if depth > 0 else None
    if isinstance(e, Const) and isinstance(e.value, numbers.Integral) and \
            not isinstance(e.value, bool) and _plain_int(e.type):
        return Const(wrap_int(int(e.value), t.bits, t.signed), t)
    return None


def _narrow_ring(e: Expr, t: AlloType, depth: int) -> Optional[Expr]:
    """``op_t`` on the operands of the ring op ``e`` narrowed to ``t`` (its value modulo
    ``2**t.bits``), or None; ``depth`` bounds the nested ring ops followed."""
    if not (isinstance(e, Op) and e.op in _RING_OPS and _plain_int(e.type)
            and e.type.bits >= t.bits):
        return None
    args = []
    for a in e.args:
        narrowed = _narrow_operand(a, t, depth)
        if narrowed is None:
            return None
        args.append(narrowed)
    return Op(e.op, tuple(args), t, loc=e.loc)


def narrow_widened(e: Expr) -> Expr:
    """``e`` with its top node narrowed if it is a widened ring op cast back (see above);
    otherwise ``e`` itself. Children are not visited: the code generator calls this on
    every expression it compiles.

    Example: ``narrow_widened(cast16(add17(cast17(x16), cast17(y16))))`` is
    ``add16(x16, y16)``.
    """
    if not (isinstance(e, Op) and e.op == "cast" and len(e.args) == 1 and _plain_int(e.type)):
        return e
    narrowed = _narrow_ring(e.args[0], e.type, _MAX_NESTED)
    return e if narrowed is None else Op(narrowed.op, narrowed.args, narrowed.type, loc=e.loc)


_MAX_NESTED = 4  # nested widened ring ops narrowed at once (the compiler calls this per node)


__all__ = ["narrow_widened"]
