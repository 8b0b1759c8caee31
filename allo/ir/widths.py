"""Width growth of intermediate expressions (API.md): the result type of ``a <op> b``
and the common type operands are converted to, shared by the frontend, the semantics and
the backends so they agree.

Example::

    >>> from allo.ir.types import int8
    >>> binary_result_type("mul", int8, int8)
    int16
"""

from __future__ import annotations

from .types import AlloType, Fixed, Float, Int, index


def common_type(a: AlloType, b: AlloType) -> AlloType:
    """The type both operands of a comparison/select/min/max are converted to.

    Floats win (the wider float); fixed point aligns integer and fraction parts; integers
    take the wider width, becoming signed (one bit wider) when signedness is mixed.
    """
    if a == b:
        return a
    if a.is_float or b.is_float:
        fa = a if a.is_float else None
        fb = b if b.is_float else None
        if fa and fb:
            return fa if fa.bits > fb.bits or (fa.bits == fb.bits and fa.kind == "f16") else fb
        return fa or fb  # type: ignore[return-value]
    if a.is_index and b.is_index:
        return index
    if a.is_index or b.is_index:
        other = b if a.is_index else a
        if other.is_fixed:
            return common_type(Int(64), other)
        return index if other.bits <= 64 else Int(other.bits)
    if a.is_fixed or b.is_fixed:
        fa, fb = _as_fixed(a), _as_fixed(b)
        signed = fa.signed or fb.signed
        ia = fa.bits - fa.frac + (1 if signed and not fa.signed else 0)
        ib = fb.bits - fb.frac + (1 if signed and not fb.signed else 0)
        frac = max(fa.frac, fb.frac)
        return Fixed(max(ia, ib) + frac, frac, signed)
    signed = a.signed or b.signed
    wa = a.bits + (1 if signed and not a.signed else 0)
    wb = b.bits + (1 if signed and not b.signed else 0)
    return Int(max(wa, wb), signed)


def _as_fixed(t: AlloType) -> Fixed:
    if isinstance(t, Fixed):
        return t
    return Fixed(t.bits, 0, t.signed)


def binary_result_type(op: str, a: AlloType, b: AlloType) -> AlloType:
    """Result type of ``a <op> b`` under Allo's width-growth rules (API.md).

    ``add``/``sub``: one bit more than the common type; ``mul``: the widths add (fixed:
    widths and fractions add); anything with a float is a float; ``index`` stays ``index``;
    bitwise ops, shifts, ``div``/``floordiv``/``mod`` keep the common type.

    Example: ``binary_result_type("add", int8, int16) == Int(17)``.
    """
    if a.is_float or b.is_float:
        return common_type(a, b)
    if a.is_index or b.is_index:
        return common_type(a, b)
    if op in ("add", "sub"):
        c = common_type(a, b)
        if isinstance(c, Fixed):
            return Fixed(c.bits + 1, c.frac, c.signed)
        return Int(c.bits + 1, c.signed)
    if op == "mul":
        signed = a.signed or b.signed
        if a.is_fixed or b.is_fixed:
            fa, fb = _as_fixed(a), _as_fixed(b)
            return Fixed(fa.bits + fb.bits, fa.frac + fb.frac, signed)
        return Int(a.bits + b.bits, signed)
    if op in ("shl", "shr"):
        return a
    return common_type(a, b)


# (exponent bits, significand bits incl. the implicit one) of each float format
_FLOAT_RANK = {"f16": (5, 11), "bf16": (8, 8), "f32": (8, 24), "f64": (11, 53)}


def is_lossless_cast(src: AlloType, dst: AlloType) -> bool:
    """Does a cast ``src -> dst`` keep every value of ``src`` exactly (int/int, float/float)?

    Example: ``is_lossless_cast(Int(5), Int(8))`` is True; ``(int32, float32)`` is False.
    """
    if src.is_int and not src.is_fixed and dst.is_int and not dst.is_fixed:
        if src.signed == dst.signed:
            return dst.bits >= src.bits
        return dst.signed and dst.bits > src.bits
    if isinstance(src, Float) and isinstance(dst, Float):
        (es, ms), (ed, md) = _FLOAT_RANK[src.kind], _FLOAT_RANK[dst.kind]
        return ed >= es and md >= ms
    return False


__all__ = ["common_type", "binary_result_type", "is_lossless_cast"]
