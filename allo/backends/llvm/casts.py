"""Bit-exact conversions between Allo scalar types in LLVM IR (docs/semantics.md, ``cast``).

Every conversion into a float rounds *once*: wide integers and fixed-point values go
through a double rounded *to odd* (which then rounds correctly to any narrower format),
``double -> half/bfloat16`` goes through a float rounded to odd, and ``bfloat16`` is
rounded to nearest even by explicit bit manipulation. No libcalls (``__floattidf`` etc.)
are needed, so the JIT works for every width.

Example (inside a :class:`~allo.backends.llvm.emitbase.EmitBase` with a builder)::

    y = cast(e, x, Int(8), Float("bf16"))
"""

from __future__ import annotations

from llvmlite import ir

from ...errors import BackendError
from ...ir.types import AlloType, Fixed, Float
from .emitbase import DOUBLE, FLOAT, HALF, I16, I32, I64, EmitBase, int_const
from .lltypes import value_type

_SUFFIX = {"f16": "f16", "f32": "f32", "f64": "f64"}


# ------------------------------------------------------------------ float <-> float helpers
def bf16_to_f32(e: EmitBase, v: ir.Value) -> ir.Value:
    """bfloat16 bit pattern (i16) -> float, exact."""
    b = e.b
    return b.bitcast(b.shl(b.zext(v, I32), int_const(I32, 16)), FLOAT)


def f32_to_bf16(e: EmitBase, f: ir.Value) -> ir.Value:
    """float -> bfloat16 bit pattern, rounded to nearest even; NaN stays a quiet NaN."""
    b = e.b
    bits = b.bitcast(f, I32)
    lsb = b.and_(b.lshr(bits, int_const(I32, 16)), int_const(I32, 1))
    rounded = b.lshr(b.add(bits, b.add(int_const(I32, 0x7FFF), lsb)), int_const(I32, 16))
    quiet = b.or_(b.lshr(bits, int_const(I32, 16)), int_const(I32, 0x40))
    isnan = b.fcmp_unordered("uno", f, f)
    return b.trunc(b.select(isnan, quiet, rounded), I16)


def f64_to_f32_odd(e: EmitBase, d: ir.Value) -> ir.Value:
    """double -> float rounded to odd (truncate, then set the last bit if inexact)."""
    b = e.b
    f = b.fptrunc(d, FLOAT)
    back = b.fpext(f, DOUBLE)
    exact = b.fcmp_unordered("ueq", back, d)  # NaN counts as exact: keep the NaN
    fabs = lambda x: e.call("llvm.fabs.f64", DOUBLE, [x])  # noqa: E731
    too_big = b.fcmp_ordered(">", fabs(back), fabs(d))
    bits = b.bitcast(f, I32)
    bits = b.select(too_big, b.sub(bits, int_const(I32, 1)), bits)
    odd = b.bitcast(b.or_(bits, int_const(I32, 1)), FLOAT)
    return b.select(exact, f, odd)


def to_f32(e: EmitBase, v: ir.Value, kind: str) -> ir.Value:
    """Any float kind -> float. Exact except from f64 (then rounded to nearest even)."""
    if kind == "f32":
        return v
    if kind == "bf16":
        return bf16_to_f32(e, v)
    if kind == "f16":
        return e.b.fpext(v, FLOAT)
    return e.b.fptrunc(v, FLOAT)


def to_f64(e: EmitBase, v: ir.Value, kind: str) -> ir.Value:
    """Any float kind -> double, exact."""
    if kind == "f64":
        return v
    return e.b.fpext(to_f32(e, v, kind), DOUBLE)


def from_f32(e: EmitBase, f: ir.Value, kind: str) -> ir.Value:
    """float -> kind, rounded once to nearest even (a no-op or widening for f32/f64)."""
    if kind == "f32":
        return f
    if kind == "bf16":
        return f32_to_bf16(e, f)
    if kind == "f16":
        return e.b.fptrunc(f, HALF)
    return e.b.fpext(f, DOUBLE)


def from_f64(e: EmitBase, d: ir.Value, kind: str) -> ir.Value:
    """double -> kind, rounded once to nearest even."""
    if kind == "f64":
        return d
    if kind == "f32":
        return e.b.fptrunc(d, FLOAT)
    return from_f32(e, f64_to_f32_odd(e, d), kind)


def float_to_float(e: EmitBase, v: ir.Value, src: str, dst: str) -> ir.Value:
    if src == dst:
        return v
    if src == "f64":
        return from_f64(e, v, dst)
    return from_f32(e, to_f32(e, v, src), dst)  # f16/bf16/f32 are exact in float


# ------------------------------------------------------------------ int -> double
def _pow2(e: EmitBase, k: ir.Value) -> ir.Value:
    """2.0 ** k for an i64 ``k`` in the normal double range."""
    b = e.b
    return b.bitcast(b.shl(b.add(k, int_const(I64, 1023)), int_const(I64, 52)), DOUBLE)


def _scale(e: EmitBase, d: ir.Value, k: ir.Value) -> ir.Value:
    """d * 2**k (exact in range), split in two factors so |k| up to ~2000 is valid."""
    b = e.b
    lim = int_const(I64, 2000)
    k = b.select(b.icmp_signed(">", k, lim), lim, k)
    k = b.select(b.icmp_signed("<", k, b.neg(lim)), b.neg(lim), k)
    k1 = b.sdiv(k, int_const(I64, 2))
    return b.fmul(b.fmul(d, _pow2(e, k1)), _pow2(e, b.sub(k, k1)))


def int_to_double(e: EmitBase, v: ir.Value, bits: int, signed: bool, frac: int,
                  nearest: bool) -> ir.Value:
    """The integer ``v / 2**frac`` as a double: rounded to nearest even when ``nearest``,
    else rounded to odd (a correct intermediate for any narrower float)."""
    b = e.b
    if bits <= 53 or (nearest and bits <= 64):
        d = b.sitofp(v, DOUBLE) if signed else b.uitofp(v, DOUBLE)
        return d if frac == 0 else b.fmul(d, ir.Constant(DOUBLE, 2.0 ** -frac))
    width = max(bits, 64) + 1
    wt = ir.IntType(width)
    x = e.resize(v, bits, signed, width)
    neg = b.icmp_signed("<", x, int_const(wt, 0))
    m = b.select(neg, b.neg(x), x)
    keep = 55 if nearest else 53
    lz = e.call(f"llvm.ctlz.i{width}", wt, [m, ir.Constant(ir.IntType(1), 0)])
    used = b.sub(int_const(wt, width), lz)
    shift = b.sub(used, int_const(wt, keep))
    shift = b.select(b.icmp_signed("<", shift, int_const(wt, 0)), int_const(wt, 0), shift)
    kept = b.lshr(m, shift)
    sticky = b.icmp_unsigned("!=", b.shl(kept, shift), m)
    kept = b.or_(b.trunc(kept, I64), b.zext(sticky, I64))
    d = b.uitofp(kept, DOUBLE)
    d = _scale(e, d, b.sub(b.trunc(shift, I64), int_const(I64, frac)))
    return b.select(neg, b.fneg(d), d)


def int_to_float(e: EmitBase, v: ir.Value, bits: int, signed: bool, frac: int,
                 kind: str) -> ir.Value:
    """``v / 2**frac`` rounded once to the float ``kind``."""
    b = e.b
    conv = b.sitofp if signed else b.uitofp
    if frac == 0 and bits <= 64 and kind in ("f32", "f64"):
        return conv(v, value_type(Float(kind)))  # the hardware rounds once
    if frac == 0 and bits <= 64 and kind == "f16":
        return b.fptrunc(conv(v, FLOAT), HALF)  # inexact in float only beyond half's range
    if frac == 0 and bits <= 24:
        return from_f32(e, conv(v, FLOAT), kind)  # exact in float
    d = int_to_double(e, v, bits, signed, frac, nearest=(kind == "f64"))
    return from_f64(e, d, kind)


# ------------------------------------------------------------------ float -> int
def _decompose(e: EmitBase, d: ir.Value):
    """A finite double as (negative?, integer mantissa m (i64), exponent k): |d| = m * 2**k."""
    b = e.b
    bits = b.bitcast(d, I64)
    neg = b.icmp_signed("<", bits, int_const(I64, 0))
    ex = b.and_(b.lshr(bits, int_const(I64, 52)), int_const(I64, 0x7FF))
    mant = b.and_(bits, int_const(I64, (1 << 52) - 1))
    normal = b.icmp_unsigned("!=", ex, int_const(I64, 0))
    m = b.select(normal, b.or_(mant, int_const(I64, 1 << 52)), mant)
    k = b.sub(b.select(normal, ex, int_const(I64, 1)), int_const(I64, 1075))
    return neg, m, k


def _shift_to_int(e: EmitBase, sm: ir.Value, k: ir.Value, width: int) -> ir.Value:
    """floor(sm * 2**k) modulo 2**width, for a signed i64 ``sm`` and i64 ``k``."""
    b = e.b
    wide = max(width, 64)
    wt = ir.IntType(wide)
    right = b.ashr(sm, e.umin_const(b.neg(k), 63))
    right = e.resize(right, 64, True, wide)
    left_amount = e.resize(e.umin_const(k, wide - 1), 64, False, wide)
    left = b.shl(e.resize(sm, 64, True, wide), left_amount)
    left = b.select(b.icmp_signed(">=", k, int_const(I64, wide)), int_const(wt, 0), left)
    r = b.select(b.icmp_signed("<", k, int_const(I64, 0)), right, left)
    return e.resize(r, wide, True, width)


def float_to_int(e: EmitBase, v: ir.Value, kind: str, bits: int, signed: bool) -> ir.Value:
    """Truncate toward zero, saturating; NaN gives 0 (``fptosi.sat``/``fptoui.sat``)."""
    b = e.b
    it = ir.IntType(bits)
    if bits <= 64:
        if kind == "bf16":
            v, kind = bf16_to_f32(e, v), "f32"
        name = f"llvm.fpto{'s' if signed else 'u'}i.sat.i{bits}.{_SUFFIX[kind]}"
        return e.call(name, it, [v])
    d = to_f64(e, v, kind)
    t = e.call("llvm.trunc.f64", DOUBLE, [d])
    neg, m, k = _decompose(e, t)
    sm = b.select(neg, b.neg(m), m)
    r = _shift_to_int(e, sm, k, bits)
    lo = -(1 << (bits - 1)) if signed else 0
    hi = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    hi_f = float(hi + 1) if bits < 1024 else float("inf")
    lo_f = float(lo) if bits <= 1024 else float("-inf")
    r = b.select(b.fcmp_ordered(">=", d, ir.Constant(DOUBLE, hi_f)), int_const(it, hi), r)
    r = b.select(b.fcmp_ordered("<=", d, ir.Constant(DOUBLE, lo_f)), int_const(it, lo), r)
    return b.select(b.fcmp_unordered("uno", d, d), int_const(it, 0), r)


def float_to_fixed(e: EmitBase, v: ir.Value, kind: str, t: Fixed) -> ir.Value:
    """floor(x * 2**F) exactly, wrapped to W bits; NaN and infinities give 0."""
    b = e.b
    d = to_f64(e, v, kind)
    neg, m, k = _decompose(e, d)
    sm = b.select(neg, b.neg(m), m)
    r = _shift_to_int(e, sm, b.add(k, int_const(I64, t.frac)), t.bits)
    fabs = e.call("llvm.fabs.f64", DOUBLE, [d])
    finite = b.fcmp_ordered("!=", fabs, ir.Constant(DOUBLE, float("inf")))
    return b.select(finite, r, int_const(ir.IntType(t.bits), 0))


# ------------------------------------------------------------------ the cast op
def _family(t: AlloType) -> str:
    if isinstance(t, Float):
        return "float"
    return "fixed" if isinstance(t, Fixed) else "int"


def cast(e: EmitBase, v: ir.Value, src: AlloType, dst: AlloType) -> ir.Value:
    """Convert the value ``v`` of type ``src`` to ``dst`` exactly as the semantics say."""
    b = e.b
    fs, fd = _family(src), _family(dst)
    if fs == "int" and fd == "int":
        return e.resize(v, src.bits, src.signed, dst.bits)
    if fs == "float" and fd == "float":
        return float_to_float(e, v, src.kind, dst.kind)
    if fs in ("int", "fixed") and fd == "float":
        frac = src.frac if fs == "fixed" else 0
        return int_to_float(e, v, src.bits, src.signed, frac, dst.kind)
    if fs == "float" and fd == "int":
        return float_to_int(e, v, src.kind, dst.bits, dst.signed)
    if fs == "float" and fd == "fixed":
        return float_to_fixed(e, v, src.kind, dst)
    if fs == "int" and fd == "fixed":
        width = max(src.bits, dst.bits) + dst.frac
        x = b.shl(e.resize(v, src.bits, src.signed, width), int_const(ir.IntType(width), dst.frac))
        return e.resize(x, width, src.signed, dst.bits)
    if fs == "fixed" and fd == "int":
        width = src.bits + 2  # room for 2**F as a positive divisor even when F == W
        x = e.resize(v, src.bits, src.signed, width)
        amount = int_const(ir.IntType(width), 1 << src.frac) if src.signed else None
        q = b.sdiv(x, amount) if src.signed else b.lshr(x, int_const(ir.IntType(width), src.frac))
        return e.resize(q, width, True, dst.bits)
    if fs == "fixed" and fd == "fixed":
        d = dst.frac - src.frac
        if d >= 0:
            width = max(src.bits, dst.bits) + d
            x = e.resize(v, src.bits, src.signed, width)
            x = b.shl(x, int_const(ir.IntType(width), d))
        else:
            width = max(src.bits, dst.bits) + 1
            x = e.resize(v, src.bits, src.signed, width)
            x = b.ashr(x, int_const(ir.IntType(width), -d))  # floor (x is extended)
        return e.resize(x, width, True, dst.bits)
    raise BackendError(f"internal: cast {src!r} -> {dst!r} reached the LLVM backend unsupported",
                       hint="verify_ir admits no such cast; please report this as a compiler bug")
