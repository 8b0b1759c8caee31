"""LLVM IR for every IR op (of the op registry, ``allo.semantics.registry``), bit-exact to docs/semantics.md.

Division by zero, ``INT_MIN // -1`` and out-of-range shift amounts are guarded with
selects (no undefined behaviour reaches LLVM); floats are computed op by op in their own
type (``bfloat16`` through ``float`` and one round-to-nearest-even); math intrinsics call
the C library's double functions through private symbols, so LLVM cannot replace them by
single-precision variants.

Example (inside an :class:`EmitBase` with a builder)::

    v = emit_op(e, "floordiv", [a, b], [int8, int8], int8)
"""

from __future__ import annotations

from typing import List, Sequence

from llvmlite import ir

from ...errors import BackendError
from ...ir.types import AlloType, Fixed, Float
from ...semantics.casts import CANONICAL_NAN
from ...semantics.registry import ops
from ...semantics.values import FLOAT_FORMATS
from .casts import from_f32, to_f32, to_f64, from_f64
from .emitbase import DOUBLE, I1, EmitBase, int_const
from .lltypes import value_type

LIBM_OPS = ops(libm=True)  # called in double through the C library
LIBM_SYMBOL = "__allo_libm_{}"  # bound to the C library's functions by the JIT
_CMP = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_SUFFIX = {"f16": "f16", "f32": "f32", "f64": "f64"}


def emit_op(e: EmitBase, op: str, args: List[ir.Value], types: Sequence[AlloType],
            rtype: AlloType) -> ir.Value:
    """The value of ``op(args)``; ``types`` are the operand types, ``rtype`` the result's."""
    if op in _CMP:
        return _compare(e, op, args[0], args[1], types[0])
    if op in ("land", "lor", "lnot"):
        b = e.b
        return {"land": lambda: b.and_(args[0], args[1]), "lor": lambda: b.or_(args[0], args[1]),
                "lnot": lambda: b.xor(args[0], ir.Constant(I1, 1))}[op]()
    if op == "select":
        return e.b.select(_truth(e, args[0], types[0]), args[1], args[2])
    if op in ("get_bit", "set_bit", "get_slice", "set_slice"):
        raise AssertionError("bit ops are lowered by the code generator")  # need constants
    if op == "bitcast":
        return _bitcast(e, args[0], types[0], rtype)
    t = rtype
    if isinstance(t, Float):
        return _float_op(e, op, args, t.kind)
    if isinstance(t, Fixed) and op in ("mul", "div", "floordiv"):
        return _fixed_op(e, op, args[0], args[1], t)
    return _int_op(e, op, args, t)


def _bitcast(e: EmitBase, x: ir.Value, src: AlloType, rt: AlloType) -> ir.Value:
    """The bits of ``x`` read as ``rt``; a NaN's bits are the canonical quiet NaN's."""
    b = e.b
    n = src.bits
    it = ir.IntType(n)
    if isinstance(src, Float):
        bits = x if src.kind == "bf16" else b.bitcast(x, it)  # bf16 values are i16 already
        exp_bits, man_bits = FLOAT_FORMATS[src.kind][:2]
        inf = ((1 << exp_bits) - 1) << man_bits
        magnitude = b.and_(bits, int_const(it, (1 << (exp_bits + man_bits)) - 1))
        is_nan = b.icmp_unsigned(">", magnitude, int_const(it, inf))
        bits = b.select(is_nan, int_const(it, CANONICAL_NAN[src.kind]), bits)
    else:
        bits = x
    if isinstance(rt, Float) and rt.kind != "bf16":
        return b.bitcast(bits, value_type(rt))
    return bits


def _truth(e: EmitBase, c: ir.Value, t: AlloType) -> ir.Value:
    if isinstance(c.type, ir.IntType) and c.type.width == 1:
        return c
    if isinstance(t, Float):
        return e.b.fcmp_unordered("!=", to_f32(e, c, t.kind) if t.kind == "bf16" else c,
                                  ir.Constant(value_type(t) if t.kind != "bf16" else ir.FloatType(), 0.0))
    return e.b.icmp_unsigned("!=", c, ir.Constant(c.type, 0))


# ------------------------------------------------------------------ comparisons
def _compare(e: EmitBase, op: str, a: ir.Value, b_: ir.Value, t: AlloType) -> ir.Value:
    b = e.b
    if isinstance(t, Float):
        if t.kind == "bf16":
            a, b_ = to_f32(e, a, "bf16"), to_f32(e, b_, "bf16")
        if op == "ne":
            return b.fcmp_unordered("!=", a, b_)
        return b.fcmp_ordered(_CMP[op], a, b_)
    if op in ("eq", "ne") or not t.signed:
        return b.icmp_unsigned(_CMP[op], a, b_)
    return b.icmp_signed(_CMP[op], a, b_)


# ------------------------------------------------------------------ integers (and fixed raw)
def _int_op(e: EmitBase, op: str, args: List[ir.Value], t: AlloType) -> ir.Value:
    b = e.b
    a = args[0]
    it = a.type
    signed = t.signed
    zero = int_const(it, 0)
    if op == "add":
        return b.add(a, args[1])
    if op == "sub":
        return b.sub(a, args[1])
    if op == "mul":
        return b.mul(a, args[1])
    if op == "neg":
        return b.neg(a)
    if op in ("min", "max"):
        c = (b.icmp_signed if signed else b.icmp_unsigned)("<" if op == "min" else ">", a, args[1])
        return b.select(c, a, args[1])
    if op == "abs":
        return b.select(b.icmp_signed("<", a, zero), b.neg(a), a) if signed else a
    if op == "and":
        return b.and_(a, args[1])
    if op == "or":
        return b.or_(a, args[1])
    if op == "xor":
        return b.xor(a, args[1])
    if op == "not":
        return b.not_(a)
    if op in ("shl", "shr"):
        k = args[1]
        n = it.width
        too_far = b.icmp_unsigned(">=", k, int_const(it, n))
        if op == "shl":
            return b.select(too_far, zero, b.shl(a, b.select(too_far, zero, k)))
        if signed:
            return b.ashr(a, b.select(too_far, int_const(it, n - 1), k))
        return b.select(too_far, zero, b.lshr(a, b.select(too_far, zero, k)))
    if op in ("div", "floordiv", "mod"):
        return _int_division(e, op, a, args[1], signed)
    raise BackendError(f"internal: op '{op}' on {t!r} reached the LLVM backend",
                       hint="verify_ir admits no such op; please report this as a compiler bug")


def _int_division(e: EmitBase, op: str, a: ir.Value, d: ir.Value, signed: bool) -> ir.Value:
    b = e.b
    it = a.type
    zero, one = int_const(it, 0), int_const(it, 1)
    is_zero = b.icmp_unsigned("==", d, zero)
    if not signed:
        safe = b.select(is_zero, one, d)
        if op == "mod":
            return b.select(is_zero, a, b.urem(a, safe))
        return b.select(is_zero, zero, b.udiv(a, safe))
    is_m1 = b.icmp_unsigned("==", d, int_const(it, -1))
    safe = b.select(b.or_(is_zero, is_m1), one, d)  # no trap on x/0 nor INT_MIN/-1
    q, r = b.sdiv(a, safe), b.srem(a, safe)
    # floor semantics: adjust when the remainder's sign differs from the divisor's
    fix = b.and_(b.icmp_unsigned("!=", r, zero),
                 b.xor(b.icmp_signed("<", r, zero), b.icmp_signed("<", d, zero)))
    if op == "div":
        return b.select(is_zero, zero, b.select(is_m1, b.neg(a), q))
    if op == "floordiv":
        q = b.select(fix, b.sub(q, one), q)
        return b.select(is_zero, zero, b.select(is_m1, b.neg(a), q))
    r = b.select(fix, b.add(r, d), r)
    return b.select(is_zero, a, b.select(is_m1, zero, r))


def _fixed_op(e: EmitBase, op: str, a: ir.Value, d: ir.Value, t: Fixed) -> ir.Value:
    b = e.b
    w, f = t.bits, t.frac
    if op == "mul":
        width = 2 * w
        wt = ir.IntType(width)
        p = b.mul(e.resize(a, w, t.signed, width), e.resize(d, w, t.signed, width))
        p = b.ashr(p, int_const(wt, f)) if t.signed else b.lshr(p, int_const(wt, f))
        return e.resize(p, width, t.signed, w)
    # div / floordiv: floor((ra << F) / rb), 0 when rb == 0
    width = 2 * w + 2
    wt = ir.IntType(width)
    num = b.shl(e.resize(a, w, t.signed, width), int_const(wt, f))
    q = _int_division(e, "floordiv", num, e.resize(d, w, t.signed, width), t.signed)
    return e.resize(q, width, t.signed, w)


# ------------------------------------------------------------------ floats
def _libm(e: EmitBase, name: str, args: List[ir.Value]) -> ir.Value:
    return e.call(LIBM_SYMBOL.format(name), DOUBLE, args)


def _domain_nan(e: EmitBase, r: ir.Value, operands: List[ir.Value]) -> ir.Value:
    """``r``, except that a NaN computed from non-NaN operands (a domain error such as
    ``log(-1)``; glibc returns a negative NaN) is the positive quiet NaN, as in the
    reference interpreter (docs/semantics.md, "NaN")."""
    b = e.b
    made_nan = b.fcmp_unordered("uno", r, r)
    for x in operands:
        made_nan = b.and_(made_nan, b.fcmp_ordered("ord", x, x))
    return b.select(made_nan, ir.Constant(DOUBLE, float("nan")), r)


def _float_op(e: EmitBase, op: str, args: List[ir.Value], kind: str) -> ir.Value:
    b = e.b
    if op in LIBM_OPS:
        wide = [to_f64(e, x, kind) for x in args]
        return from_f64(e, _domain_nan(e, _libm(e, op, wide), wide), kind)
    if kind == "bf16":
        if op == "neg":
            return b.xor(args[0], int_const(args[0].type, 0x8000))
        if op == "abs":
            return b.and_(args[0], int_const(args[0].type, 0x7FFF))
        if op == "mod":  # fmod is exact; the correction is a bf16 addition
            return _py_mod(e, args[0], args[1], "bf16")
        if op == "floordiv":
            q = _float_op(e, "div", args, "bf16")
            return _float_op(e, "floor", [q], "bf16")
        wide = [to_f32(e, x, "bf16") for x in args]
        return from_f32(e, _float_op(e, op, wide, "f32"), "bf16")
    sfx = _SUFFIX[kind]
    ft = args[0].type
    if op == "add":
        return b.fadd(args[0], args[1])
    if op == "sub":
        return b.fsub(args[0], args[1])
    if op == "mul":
        return b.fmul(args[0], args[1])
    if op == "div":
        return b.fdiv(args[0], args[1])
    if op == "neg":
        return b.fneg(args[0])
    if op == "abs":
        return e.call(f"llvm.fabs.{sfx}", ft, args)
    if op in ("floor", "ceil"):
        return e.call(f"llvm.{op}.{sfx}", ft, args)
    if op == "floordiv":
        return e.call(f"llvm.floor.{sfx}", ft, [b.fdiv(args[0], args[1])])
    if op == "min":
        return e.call(f"llvm.minimum.{sfx}", ft, args)
    if op == "max":
        return e.call(f"llvm.maximum.{sfx}", ft, args)
    if op == "mod":
        return _py_mod(e, args[0], args[1], kind)
    raise BackendError(f"internal: op '{op}' on floats reached the LLVM backend",
                       hint="verify_ir admits no such op; please report this as a compiler bug")


def _py_mod(e: EmitBase, a: ir.Value, d: ir.Value, kind: str) -> ir.Value:
    """Python's float ``%``: ``r = fmod(a, b)``; if ``r != 0`` and signs differ, ``r + b``."""
    b = e.b
    if kind == "bf16":
        af, df = to_f32(e, a, kind), to_f32(e, d, kind)
        r = b.frem(af, df)  # exact, representable in bfloat16
        rb = from_f32(e, r, kind)
        s = from_f32(e, b.fadd(r, df), kind)
        rf, dd = r, df
    else:
        r = b.frem(a, d)
        rb, s, rf, dd = r, b.fadd(r, d), r, d
    zero = ir.Constant(rf.type, 0.0)
    fix = b.and_(b.fcmp_ordered("!=", rf, zero),
                 b.xor(b.fcmp_ordered("<", rf, zero), b.fcmp_ordered("<", dd, zero)))
    return b.select(fix, s, rb)
