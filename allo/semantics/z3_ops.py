"""The z3 meaning of every IR op, bit-exact where z3 can state it.

Integers, ``index``, ``bool`` and fixed point (its raw bits) are bit-vectors of the type's
width; floats use z3's IEEE floating-point theory (round-to-nearest-even, op by op). The
few ops z3 cannot state exactly (``exp``, ``log``, ``sin``, ``pow``, float ``mod``, ...)
become uninterpreted functions and are recorded in :attr:`Z3Context.approximations`, so a
caller can tell an exact encoding from an abstraction. Every entry of :data:`MEANINGS` is
``fn(ctx, rtype, arg_types, args) -> z3 term``; the registry attaches them to its entries
(``REGISTRY[op].z3``).

Example::

    >>> import z3
    >>> from allo.ir.types import int8
    >>> from allo.semantics.z3_ops import Z3Context, z3_apply
    >>> x = z3.BitVec("x", 8)
    >>> z3.simplify(z3_apply(Z3Context(), "mul", int8, (int8, int8), (x, z3.BitVecVal(2, 8))) - (x + x))
    0
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Sequence, Tuple

import z3

from ..ir.types import AlloType, Fixed, Float
from .casts import CANONICAL_NAN
from .op_defs import REGISTRY

_FP_SORTS = {"f16": (5, 11), "bf16": (8, 8), "f32": (8, 24), "f64": (11, 53)}
_RNE = z3.RNE


def z3_sort(t: AlloType) -> z3.SortRef:
    """The z3 sort of a scalar type. Example: ``z3_sort(int8) == z3.BitVecSort(8)``."""
    if isinstance(t, Float):
        return z3.FPSort(*_FP_SORTS[t.kind])
    return z3.BitVecSort(t.bits)


class Z3Context:
    """Shared state of one translation: uninterpreted functions and what was abstracted."""

    def __init__(self) -> None:
        self._ufs: Dict[Tuple[Any, ...], z3.FuncDeclRef] = {}
        self.approximations: set = set()

    def uf(self, name: str, rtype: AlloType, arg_types: Sequence[AlloType]) -> z3.FuncDeclRef:
        """The uninterpreted function standing for ``name`` at these types (memoized)."""
        key = (name, rtype, tuple(arg_types))
        if key not in self._ufs:
            sig = "_".join(repr(t) for t in (*arg_types, rtype))
            self._ufs[key] = z3.Function(f"{name}__{sig}", *[z3_sort(t) for t in arg_types],
                                         z3_sort(rtype))
        self.approximations.add(name)
        return self._ufs[key]


def _bool(c: z3.BoolRef) -> z3.BitVecRef:
    return z3.If(c, z3.BitVecVal(1, 1), z3.BitVecVal(0, 1))


def _resize(x: z3.BitVecRef, width: int, signed: bool) -> z3.BitVecRef:
    """Sign/zero-extend or truncate (wrap) ``x`` to ``width`` bits."""
    w = x.size()
    if width == w:
        return x
    if width < w:
        return z3.Extract(width - 1, 0, x)
    return z3.SignExt(width - w, x) if signed else z3.ZeroExt(width - w, x)


def _const_int(x: z3.ExprRef) -> int:
    v = z3.simplify(x)
    if not z3.is_bv_value(v):
        raise ValueError("expected a constant operand (slice bounds must be constants)")
    return v.as_long()


# ----------------------------------------------------------------- integers and fixed
def _lt(signed: bool, a, b):
    return a < b if signed else z3.ULT(a, b)


def _le(signed: bool, a, b):
    return a <= b if signed else z3.ULE(a, b)


def _int_div_trunc(signed, a, b):
    q = a / b if signed else z3.UDiv(a, b)
    return z3.If(b == 0, z3.BitVecVal(0, a.size()), q)


def _int_floordiv(signed, a, b):
    zero = z3.BitVecVal(0, a.size())
    if not signed:
        return z3.If(b == 0, zero, z3.UDiv(a, b))
    q, r = a / b, z3.SRem(a, b)
    adjust = z3.And(r != 0, (r < 0) != (b < 0))
    return z3.If(b == 0, zero, z3.If(adjust, q - 1, q))


def _int_mod(signed, a, b):
    return z3.If(b == 0, a, a % b if signed else z3.URem(a, b))  # z3py: % is bvsmod


def _fixed_mul(t: Fixed, a, b):
    w = t.bits
    wide = _resize(a, 2 * w, t.signed) * _resize(b, 2 * w, t.signed)
    shifted = wide >> t.frac if t.signed else z3.LShR(wide, t.frac)
    return z3.Extract(w - 1, 0, shifted)


def _fixed_div(t: Fixed, a, b):
    w = 2 * t.bits + t.frac + 2
    num = _resize(a, w, t.signed) << t.frac
    den = _resize(b, w, t.signed)
    q = _int_floordiv(t.signed, num, den)
    return z3.If(b == 0, z3.BitVecVal(0, t.bits), z3.Extract(t.bits - 1, 0, q))


def _bit_args(x, i):
    w = max(x.size(), i.size())
    return _resize(x, w, False), _resize(i, w, False), w


def _get_bit(ctx, rt, ats, args):
    x, i = args
    n = x.size()
    xe, ie, w = _bit_args(x, i)
    bit = z3.Extract(0, 0, z3.LShR(xe, ie))
    return z3.If(z3.ULT(ie, z3.BitVecVal(n, w)), bit, z3.BitVecVal(0, 1))


def _set_bit(ctx, rt, ats, args):
    x, i, b = args
    n = x.size()
    xe, ie, w = _bit_args(x, i)
    one = z3.BitVecVal(1, w)
    bit = _resize(b, w, False) & one
    cleared = xe & ~(one << ie)
    new = z3.Extract(n - 1, 0, cleared | (bit << ie))
    return z3.If(z3.ULT(ie, z3.BitVecVal(n, w)), new, x)


def _get_slice(ctx, rt, ats, args):
    x, lo, hi = args
    lo_v, hi_v = _const_int(lo), _const_int(hi)
    return z3.Extract(hi_v - 1, lo_v, x)


def _set_slice(ctx, rt, ats, args):
    x, lo, hi, v = args
    lo_v, hi_v = _const_int(lo), _const_int(hi)
    n = x.size()
    piece = _resize(v, hi_v - lo_v, False)
    parts = []
    if hi_v < n:
        parts.append(z3.Extract(n - 1, hi_v, x))
    parts.append(piece)
    if lo_v > 0:
        parts.append(z3.Extract(lo_v - 1, 0, x))
    return z3.Concat(*parts) if len(parts) > 1 else parts[0]


# ----------------------------------------------------------------- floats
def _fp_min_max(is_min: bool, a, b):
    nan = z3.fpNaN(a.sort())
    either_nan = z3.Or(z3.fpIsNaN(a), z3.fpIsNaN(b))
    both_zero = z3.And(z3.fpIsZero(a), z3.fpIsZero(b))
    if is_min:
        zero_pick = z3.If(z3.fpIsNegative(a), a, b)
        pick = z3.If(z3.fpLT(a, b), a, b)
    else:
        zero_pick = z3.If(z3.fpIsPositive(a), a, b)
        pick = z3.If(z3.fpGT(a, b), a, b)
    return z3.If(either_nan, nan, z3.If(both_zero, zero_pick, pick))


def _fp_threshold(power: int, negative: bool, sort) -> z3.FPRef:
    """``±2**power`` rounded into ``sort`` (an infinity when out of range)."""
    v = z3.RealVal(-(2 ** power) if negative else 2 ** power)
    return z3.simplify(z3.fpToFP(_RNE(), v, sort))


def _float_to_int(x, src: Float, dst: AlloType):
    n, signed = dst.bits, dst.signed
    t = z3.fpRoundToIntegral(z3.RTZ(), x)
    if signed:
        hi, lo = _fp_threshold(n - 1, False, x.sort()), _fp_threshold(n - 1, True, x.sort())
        maxv, minv = z3.BitVecVal(2 ** (n - 1) - 1, n), z3.BitVecVal(-(2 ** (n - 1)), n)
        conv = z3.fpToSBV(z3.RTZ(), x, z3.BitVecSort(n))
        # an infinity is tested on its own: when +-2**(n-1) is out of the float's range
        # the thresholds are infinities themselves, and fp.to_sbv(-inf) is unspecified
        too_big = z3.Or(z3.And(z3.fpIsInf(x), z3.fpIsPositive(x)), z3.fpGEQ(t, hi))
        too_small = z3.Or(z3.And(z3.fpIsInf(x), z3.fpIsNegative(x)), z3.fpLT(t, lo))
        return z3.If(z3.fpIsNaN(x), z3.BitVecVal(0, n),
                     z3.If(too_big, maxv, z3.If(too_small, minv, conv)))
    hi = _fp_threshold(n, False, x.sort())
    conv = z3.fpToUBV(z3.RTZ(), x, z3.BitVecSort(n))
    return z3.If(z3.Or(z3.fpIsNaN(x), z3.fpLEQ(t, z3.fpNeg(z3.FPVal(1.0, x.sort())))),
                 z3.BitVecVal(0, n),
                 z3.If(z3.Or(z3.fpIsInf(x), z3.fpGEQ(t, hi)), z3.BitVecVal(2 ** n - 1, n),
                       z3.If(z3.fpIsNegative(t), z3.BitVecVal(0, n), conv)))


def _cast(ctx, rt, ats, args):
    (x,), src = args, ats[0]
    if src == rt:
        return x
    if isinstance(rt, Float):
        sort = z3_sort(rt)
        if isinstance(src, Float):
            return z3.fpToFP(_RNE(), x, sort)
        if isinstance(src, Fixed):
            real = z3.ToReal(z3.BV2Int(x, is_signed=src.signed)) / (2 ** src.frac)
            return z3.fpToFP(_RNE(), real, sort)
        return (z3.fpSignedToFP if src.signed else z3.fpUnsignedToFP)(_RNE(), x, sort)
    if isinstance(src, Float):
        if isinstance(rt, Fixed):
            real = z3.fpToReal(x) * (2 ** rt.frac)
            bad = z3.Or(z3.fpIsNaN(x), z3.fpIsInf(x))
            return z3.If(bad, z3.BitVecVal(0, rt.bits), z3.Int2BV(z3.ToInt(real), rt.bits))
        return _float_to_int(x, src, rt)
    f_src = src.frac if isinstance(src, Fixed) else 0
    f_dst = rt.frac if isinstance(rt, Fixed) else 0
    if isinstance(src, Fixed) and not isinstance(rt, Fixed):  # fixed -> int: truncate
        w = src.bits + 1
        wide = _resize(x, w, src.signed)
        q = wide / (2 ** f_src) if src.signed else z3.UDiv(wide, 2 ** f_src)
        return _resize(q, rt.bits, src.signed)
    if f_dst >= f_src:
        wide = _resize(x, max(src.bits + f_dst - f_src, rt.bits), src.signed)
        return _resize(wide << (f_dst - f_src), rt.bits, src.signed)
    shifted = (x >> (f_src - f_dst)) if src.signed else z3.LShR(x, f_src - f_dst)
    return _resize(shifted, rt.bits, src.signed)


# ----------------------------------------------------------------- the table
def _arith(name: str) -> Callable:
    def fn(ctx, rt, ats, args):
        if isinstance(rt, Float):
            return _FLOAT_ARITH[name](ctx, rt, ats, args)
        signed = rt.signed
        a = args[0]
        b = args[1] if len(args) > 1 else None
        if name == "add":
            return a + b
        if name == "sub":
            return a - b
        if name == "neg":
            return -a
        if name == "mul":
            return _fixed_mul(rt, a, b) if isinstance(rt, Fixed) else a * b
        if name in ("div", "floordiv") and isinstance(rt, Fixed):
            return _fixed_div(rt, a, b)
        if name == "div":
            return _int_div_trunc(signed, a, b)
        if name == "floordiv":
            return _int_floordiv(signed, a, b)
        if name == "mod":
            return _int_mod(signed, a, b)
        if name == "min":
            return z3.If(_lt(signed, a, b), a, b)
        if name == "max":
            return z3.If(_lt(signed, b, a), a, b)
        if name == "abs":
            return z3.If(a < 0, -a, a) if signed else a
        raise KeyError(name)
    return fn


def _uf_op(name):
    def fn(ctx, rt, ats, args):
        return ctx.uf(name, rt, ats)(*args)
    return fn


_FLOAT_ARITH: Dict[str, Callable] = {
    "add": lambda c, rt, ats, a: z3.fpAdd(_RNE(), a[0], a[1]),
    "sub": lambda c, rt, ats, a: z3.fpSub(_RNE(), a[0], a[1]),
    "mul": lambda c, rt, ats, a: z3.fpMul(_RNE(), a[0], a[1]),
    "div": lambda c, rt, ats, a: z3.fpDiv(_RNE(), a[0], a[1]),
    "floordiv": lambda c, rt, ats, a: z3.fpRoundToIntegral(z3.RTN(), z3.fpDiv(_RNE(), a[0], a[1])),
    "mod": _uf_op("mod"),
    "neg": lambda c, rt, ats, a: z3.fpNeg(a[0]),
    "abs": lambda c, rt, ats, a: z3.fpAbs(a[0]),
    "min": lambda c, rt, ats, a: _fp_min_max(True, a[0], a[1]),
    "max": lambda c, rt, ats, a: _fp_min_max(False, a[0], a[1]),
}


def _compare(name: str) -> Callable:
    def fn(ctx, rt, ats, args):
        a, b = args
        t = ats[0]
        if isinstance(t, Float):
            ops = {"eq": z3.fpEQ, "lt": z3.fpLT, "le": z3.fpLEQ, "gt": z3.fpGT, "ge": z3.fpGEQ}
            if name == "ne":
                return _bool(z3.Not(z3.fpEQ(a, b)))
            return _bool(ops[name](a, b))
        s = t.signed
        table = {"eq": lambda: a == b, "ne": lambda: a != b, "lt": lambda: _lt(s, a, b),
                 "le": lambda: _le(s, a, b), "gt": lambda: _lt(s, b, a), "ge": lambda: _le(s, b, a)}
        return _bool(table[name]())
    return fn


def _bitwise(name: str) -> Callable:
    def fn(ctx, rt, ats, args):
        a = args[0]
        if name in ("not", "lnot"):
            return ~a
        b = args[1]
        if name in ("and", "land"):
            return a & b
        if name in ("or", "lor"):
            return a | b
        if name == "xor":
            return a ^ b
        n = a.size()
        if name == "shl":
            return z3.If(z3.ULT(b, z3.BitVecVal(n, n)) if n > 1 else b == 0, a << b, z3.BitVecVal(0, n))
        # shr: z3's shifts already give 0 / -1 for amounts >= n
        return a >> b if rt.signed else z3.LShR(a, b)
    return fn


def _float_math(name: str) -> Callable:
    def fn(ctx, rt, ats, args):
        if name == "floor":
            return z3.fpRoundToIntegral(z3.RTN(), args[0])
        if name == "ceil":
            return z3.fpRoundToIntegral(z3.RTP(), args[0])
        if name == "sqrt":  # correctly rounded in double, then rounded once: innocuous
            return z3.fpSqrt(_RNE(), args[0])
        return ctx.uf(name, rt, ats)(*args)
    return fn


def _meaning(name: str) -> Callable:
    group = REGISTRY[name].group
    if group == "arith":
        return _arith(name)
    if group == "compare":
        return _compare(name)
    if group in ("bitwise", "logical"):
        return _bitwise(name)
    if group == "math":
        return _float_math(name)
    return _SPECIAL[name]


def _bitcast(ctx, rt, ats, args):
    (x,), src = args, ats[0]
    if isinstance(src, Float):  # every NaN reads as the canonical quiet NaN
        bits = z3.If(z3.fpIsNaN(x), z3.BitVecVal(CANONICAL_NAN[src.kind], src.bits),
                     z3.fpToIEEEBV(x))
    else:
        bits = x
    return z3.fpBVToFP(bits, z3_sort(rt)) if isinstance(rt, Float) else bits


_SPECIAL: Dict[str, Callable] = {
    "bitcast": _bitcast,
    "select": lambda ctx, rt, ats, a: z3.If(a[0] != 0, a[1], a[2]),
    "cast": _cast,
    "get_bit": _get_bit,
    "set_bit": _set_bit,
    "get_slice": _get_slice,
    "set_slice": _set_slice,
}

# The z3 meaning of every op, attached to the registry's entries (``REGISTRY[op].z3``).
MEANINGS: Dict[str, Callable] = {name: _meaning(name) for name in REGISTRY}


def z3_apply(ctx: Z3Context, op: str, rtype: AlloType, arg_types: Sequence[AlloType],
             args: Sequence[z3.ExprRef]) -> z3.ExprRef:
    """The z3 term of ``op`` applied to ``args``, through the registry; n-ary nodes (ops
    the registry's laws let the DAG flatten) fold left.

    Example: ``z3_apply(Z3Context(), "add", int8, (int8,) * 3, (x, y, z))`` is ``x + y + z``.
    """
    entry = REGISTRY[op]
    fn = entry.z3
    if len(args) > 2 and entry.laws.nary:
        acc = fn(ctx, rtype, arg_types[:2], args[:2])
        for a, t in zip(args[2:], arg_types[2:]):
            acc = fn(ctx, rtype, (rtype, t), (acc, a))
        return acc
    return fn(ctx, rtype, tuple(arg_types), tuple(args))


__all__ = ["MEANINGS", "Z3Context", "z3_apply", "z3_sort"]
