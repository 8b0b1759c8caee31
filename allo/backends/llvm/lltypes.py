"""Mapping of Allo scalar types to LLVM value types and in-memory storage types.

Values are computed in their exact width (``Int(17)`` is ``i17``), but memory holds the
numpy container width (``i32`` for ``Int(17)``; powers of two from 128 bits up for wide
integers) so buffers can be shared with numpy without conversion. ``bfloat16`` has no
llvmlite type: it is carried as its ``i16`` bit pattern and computed through ``float``.

Example::

    >>> from allo.ir.types import Int, bfloat16
    >>> str(value_type(Int(17))), str(storage_type(Int(17))), str(value_type(bfloat16))
    ('i17', 'i32', 'i16')
"""

from __future__ import annotations

from typing import Any

from llvmlite import ir

from ...ir.types import AlloType, Fixed, Float

PTR = ir.PointerType()
I1, I8, I16, I32, I64 = (ir.IntType(n) for n in (1, 8, 16, 32, 64))
HALF, FLOAT, DOUBLE = ir.HalfType(), ir.FloatType(), ir.DoubleType()
_FLOATS = {"f16": HALF, "f32": FLOAT, "f64": DOUBLE, "bf16": I16}


def container_bits(bits: int) -> int:
    """Bits of the memory container for an ``bits``-wide integer. Example: ``container_bits(65) == 128``."""
    width = 8
    while width < bits:
        width *= 2
    return width


def is_bf16(t: AlloType) -> bool:
    return isinstance(t, Float) and t.kind == "bf16"


def is_float(t: AlloType) -> bool:
    return isinstance(t, Float)


def is_fixed(t: AlloType) -> bool:
    return isinstance(t, Fixed)


def value_type(t: AlloType) -> ir.Type:
    """The LLVM type values of ``t`` are computed in."""
    if isinstance(t, Float):
        return _FLOATS[t.kind]
    return ir.IntType(t.bits)


def storage_type(t: AlloType) -> ir.Type:
    """The LLVM type one element of a buffer of ``t`` occupies in memory."""
    if isinstance(t, Float):
        return _FLOATS[t.kind]
    return ir.IntType(container_bits(t.bits))


def storage_bytes(t: AlloType) -> int:
    """Bytes per element in memory. Example: ``storage_bytes(Int(100)) == 16``."""
    if isinstance(t, Float):
        return t.bits // 8
    return container_bits(t.bits) // 8


def to_storage(b: ir.IRBuilder, v: ir.Value, t: AlloType) -> ir.Value:
    """Widen a value to its container (sign- or zero-extended, as numpy expects)."""
    st = storage_type(t)
    if isinstance(t, Float) or st.width == t.bits:
        return v
    return b.sext(v, st) if t.signed else b.zext(v, st)


def from_storage(b: ir.IRBuilder, v: ir.Value, t: AlloType) -> ir.Value:
    """Narrow a loaded container value to the type's exact width."""
    if isinstance(t, Float) or storage_type(t).width == t.bits:
        return v
    return b.trunc(v, ir.IntType(t.bits))


# LLVM integers are at most 2**23 - 1 bits; containers round up to powers of two and some
# fixed-point ops compute in twice the width, so the backend accepts up to 2**20 bits.
MAX_INT_BITS = 1 << 20


def check_widths(module: Any) -> None:
    """Refuse integer/fixed types wider than :data:`MAX_INT_BITS`, located at the first
    declaration or expression that has one (LLVM itself would fail to parse the IR).

    Example: ``check_widths(allo.customize(kernel).ir)`` passes for every usual design.
    """
    from ...errors import BackendError
    from ...ir.nodes import Alloc, stmt_exprs, walk_expr, walk_stmts
    from ...ir.types import BufferType, StreamType

    def scalar(t: Any) -> Any:
        while isinstance(t, (BufferType, StreamType)):
            t = t.dtype
        return t

    def check(t: Any, what: str, loc: Any) -> None:
        t = scalar(t)
        if isinstance(t, AlloType) and not isinstance(t, Float) and t.bits > MAX_INT_BITS:
            raise BackendError(f"{what} has type {t!r}, {t.bits:,} bits wide; the LLVM backend "
                               f"supports integer and fixed-point types up to {MAX_INT_BITS:,} "
                               "bits", loc=loc, where="build(target='llvm')",
                               hint="use a narrower type, or run the design with "
                                    "target='interp'")

    for f in module.funcs.values():
        for p in f.params:
            check(p.type, f"parameter '{p.name}' of {f.name}", p.loc or f.loc)
        for k, r in enumerate(f.results):
            check(r, f"result {k} of {f.name}", f.loc)
        for s in walk_stmts(f.body):
            if isinstance(s, Alloc):
                check(s.type, f"'{s.name}' in {f.name}", s.loc)
            for e in stmt_exprs(s):
                for x in walk_expr(e):
                    check(x.type, f"an expression in {f.name}", x.loc or s.loc)
