"""IR expressions as Vitis HLS C++ expressions (bit-exact per docs/semantics.md).

Simple ops on native types stay readable C++ (``(a + b)`` for floats, ``(int8_t)(a + b)``
for narrow ints); everything that C++ leaves undefined or rounds differently goes
through a helper of :mod:`allo.backends.hls.prelude` (``allo_div``, ``allo_shl``,
``allo_f2i``, ...). Signed 32/64-bit ``+ - *`` are computed on the unsigned type (no
signed-overflow UB). ``index`` arithmetic (``+ - *``) is emitted as plain ``int64``
arithmetic: index expressions are small affine address computations.

Example::

    >>> from allo.ir.nodes import Op, Var
    >>> from allo.ir.types import int32
    >>> ExprEmitter().expr(Op("add", (Var("a", int32), Var("b", int32)), int32))
    '(int32_t)((uint32_t)a + (uint32_t)b)'
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, Optional

from ...errors import BackendError
from ...ir.nodes import Const, Expr, Load, Op, StreamGet, Var
from ...ir.types import AlloType, Fixed, Float, Index, Int
from ...semantics.casts import CANONICAL_NAN, float_to_fixed_raw
from ...semantics.values import FLOAT_FORMATS
from ...semantics.registry import ops
from .ctypes_map import c_type, identifier, is_native_int

_CMP = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_ARITH = {"add": "+", "sub": "-", "mul": "*"}
_BITWISE = {"and": "&", "or": "|", "xor": "^"}
_LIBM = ops(libm=True)


def _is_bool(t: AlloType) -> bool:
    return isinstance(t, Int) and t.bits == 1 and not t.signed


def int_literal(value: int, t: AlloType) -> str:
    """A C++ literal of integer type ``t`` holding ``value`` (already wrapped).

    Example: ``int_literal(-128, Int(8)) == '(int8_t)-128'``.
    """
    ct = c_type(t)
    if isinstance(t, Index):
        return str(value) if -2**31 < value < 2**31 else _native_literal(value, 64, True)
    if _is_bool(t):
        return "true" if value else "false"
    if is_native_int(t):
        lit = _native_literal(value, t.bits, t.signed)
        return lit if ct == "int32_t" else f"({ct}){lit}"
    return f"{ct}({_ap_literal(value, t.bits, t.signed)})"


def _native_literal(value: int, bits: int, signed: bool) -> str:
    if signed and value == -(1 << 63):
        return "(-9223372036854775807LL - 1)"
    if signed and value == -(1 << 31) and bits <= 32:
        return "(-2147483647 - 1)"
    if bits == 64:
        return f"{value}{'LL' if signed else 'ULL'}"
    if not signed and bits == 32:
        return f"{value}u"
    return str(value)


def _ap_literal(value: int, bits: int, signed: bool) -> str:
    """An argument that constructs ``ap_(u)int<bits>`` with ``value`` exactly."""
    if -(1 << 63) <= value < (1 << 63):
        return _native_literal(value, 64, True)
    pattern = value & ((1 << bits) - 1)
    kind = "ap_int" if signed else "ap_uint"
    return f"{kind}<{bits}>(ap_uint<{bits}>(\"{pattern:x}\", 16))"


def float_literal(value: float, t: Float) -> str:
    """An exact C++ literal of float type ``t``. Example: ``float_literal(1.5, float32) == '1.5f'``."""
    v = float(value)
    if math.isnan(v):
        body = "NAN"
    elif math.isinf(v):
        body = "INFINITY" if v > 0 else "-INFINITY"
    else:
        body = repr(v)
        if "e" not in body and "." not in body:
            body += ".0"
        if math.copysign(1.0, v) < 0 and v == 0:
            body = "-0.0"
    if t.kind == "f32":
        return f"{body}f" if body[-1].isdigit() else f"(float){body}"
    if t.kind == "f64":
        return body if body[-1].isdigit() else f"(double){body}"
    if t.kind == "f16":
        return f"(half){body}"
    return f"allo_fcast<allo_bf16>({body})"


class ExprEmitter:
    """Turns expressions into C++ text. ``stream_get`` handles ``StreamGet`` nodes (the
    statement emitter hoists stream reads into temporaries, in evaluation order)."""

    def __init__(self, names: Optional[Dict[str, str]] = None,
                 stream_get: Optional[Callable[[StreamGet], str]] = None,
                 index_check: Optional[Callable[[str, int, str, Any], str]] = None):
        self.names = names if names is not None else {}
        self.stream_get = stream_get
        # (buffer, dim, index text, loc) -> checked index text (C simulation only)
        self.index_check = index_check

    def subscripts(self, buffer: str, indices: Any, loc: Any = None) -> str:
        """``[i][j]`` for ``buffer``, each index bounds-checked when checks are on."""
        out = []
        for d, i in enumerate(indices):
            text = bare(self.expr(i))
            if self.index_check is not None:
                text = self.index_check(buffer, d, text, loc or getattr(i, "loc", None))
            out.append(f"[{text}]")
        return "".join(out)

    def name(self, n: str) -> str:
        return self.names.get(n) or identifier(n)

    # ------------------------------------------------------------ leaves
    def expr(self, e: Expr) -> str:
        if isinstance(e, Const):
            return self.const(e)
        if isinstance(e, Var):
            return self.name(e.name)
        if isinstance(e, Load):
            return self.name(e.buffer) + self.subscripts(e.buffer, e.indices, e.loc)
        if isinstance(e, StreamGet):
            if self.stream_get is None:
                raise BackendError("internal: a stream read was not hoisted")
            return self.stream_get(e)
        if isinstance(e, Op):
            return self.op(e)
        raise BackendError(f"the HLS backend cannot emit {type(e).__name__}")

    def const(self, e: Const) -> str:
        t = e.type
        if isinstance(t, Float):
            return float_literal(float(e.value), t)
        if isinstance(t, Fixed):
            raw = e.value if isinstance(e.value, int) else \
                float_to_fixed_raw(e.value, t.frac, t.bits, t.signed)
            return f"allo_from_raw<{c_type(t)}>({_ap_wide(int(raw), t.bits + 2)})"
        return int_literal(int(e.value), t)

    # ------------------------------------------------------------ ops
    def op(self, e: Op) -> str:
        op, t = e.op, e.type
        a = [self.expr(x) for x in e.args]
        at = e.args[0].type if e.args else t
        if op == "cast":
            return self.cast(a[0], at, t)
        if op == "bitcast":
            return self.bitcast(a[0], at, t)
        if op == "select":
            return f"({a[0]} ? {a[1]} : {a[2]})"
        if op in _CMP:
            return f"({a[0]} {_CMP[op]} {a[1]})"
        if op == "land":
            return f"({a[0]} && {a[1]})"
        if op == "lor":
            return f"({a[0]} || {a[1]})"
        if op == "lnot":
            return f"(!{a[0]})"
        if isinstance(t, Float):
            return self.float_op(op, a, t)
        if isinstance(t, Fixed):
            return self.fixed_op(op, a, t)
        return self.int_op(op, a, t, e)

    def float_op(self, op: str, a, t: Float) -> str:
        ct = c_type(t)
        native = t.kind in ("f32", "f64")
        if op in ("add", "sub", "mul", "div"):
            sym = {"add": "+", "sub": "-", "mul": "*", "div": "/"}[op]
            if t.kind == "f16":  # computed in float, rounded once (exact for these ops)
                return f"((half)((float){a[0]} {sym} (float){a[1]}))"
            return f"({a[0]} {sym} {a[1]})"
        if op == "neg":
            return f"((half)(-(float){a[0]}))" if t.kind == "f16" else f"(-{_p(a[0])})"
        if op == "min":
            return f"allo_fmin<{ct}>({a[0]}, {a[1]})"
        if op == "max":
            return f"allo_fmax<{ct}>({a[0]}, {a[1]})"
        if op == "mod":
            return f"allo_fmod<{ct}>({a[0]}, {a[1]})"
        if op == "floordiv":
            return f"allo_ffloordiv<{ct}>({a[0]}, {a[1]})"
        if op in ("abs", "floor", "ceil"):
            fn = "fabs" if op == "abs" else op
            return f"std::{fn}({a[0]})" if native else f"allo_fcast<{ct}>(std::{fn}((double){a[0]}))"
        if op in _LIBM:
            args = ", ".join(f"(double){x}" for x in a)
            inner = f"allo_{op}({args})"  # libm, with domain-error NaNs made positive
            return f"({ct}){inner}" if native or t.kind == "f16" else f"allo_fcast<{ct}>({inner})"
        raise BackendError(f"op '{op}' is not defined on {t!r}")

    def fixed_op(self, op: str, a, t: Fixed) -> str:
        ct = c_type(t)
        if op in _ARITH:  # ap_fixed: exact result, then floor + wrap on conversion
            return f"{ct}({a[0]} {_ARITH[op]} {a[1]})"
        if op == "neg":
            return f"{ct}(-{_p(a[0])})"
        if op in ("min", "max"):
            return f"std::{op}<{ct}>({a[0]}, {a[1]})"
        if op == "abs":
            return f"allo_fx_abs<{ct}>({a[0]})"
        if op in ("div", "floordiv"):
            return f"allo_fx_div<{ct}>({a[0]}, {a[1]})"
        raise BackendError(f"op '{op}' is not defined on fixed point {t!r}")

    def int_op(self, op: str, a, t: AlloType, e: Op) -> str:
        ct = c_type(t)
        if isinstance(t, Index):
            if op in _ARITH:
                return f"({a[0]} {_ARITH[op]} {a[1]})"
            if op == "floordiv":
                return f"allo_floordiv_idx({a[0]}, {a[1]})"
            if op == "mod":
                return f"allo_mod_idx({a[0]}, {a[1]})"
        if op in _ARITH or op == "neg":
            lhs, rhs = (a[0], a[1]) if op != "neg" else ("0", a[0])
            sym = _ARITH.get(op, "-")
            if _is_bool(t):
                return f"(bool)(((unsigned){lhs} {sym} (unsigned){rhs}) & 1u)"
            if is_native_int(t):
                if t.bits <= 8 or (t.bits == 16 and t.signed):  # int promotion cannot overflow
                    return f"({ct})({lhs} {sym} {rhs})"
                u = "uint64_t" if t.bits == 64 else "uint32_t"
                return f"({ct})(({u}){lhs} {sym} ({u}){rhs})"
            return f"{ct}({lhs} {sym} {rhs})" if op != "neg" else f"{ct}(-{_p(a[0])})"
        if op in _BITWISE:
            return f"({ct})({a[0]} {_BITWISE[op]} {a[1]})" if is_native_int(t) \
                else f"{ct}({a[0]} {_BITWISE[op]} {a[1]})"
        if op == "not":
            if _is_bool(t):
                return f"(!{a[0]})"
            return f"({ct})(~{a[0]})" if is_native_int(t) else f"{ct}(~{a[0]})"
        if op in ("min", "max"):
            return f"std::{op}<{ct}>({a[0]}, {a[1]})"
        if op in ("div", "floordiv", "mod", "abs", "shl", "shr"):
            return f"allo_{op}<{ct}>({', '.join(a)})"
        if op == "get_bit":
            return f"allo_get_bit<{c_type(e.args[0].type)}, {c_type(e.args[1].type)}>({a[0]}, {a[1]})"
        if op == "set_bit":
            return (f"allo_set_bit<{ct}, {c_type(e.args[1].type)}, {c_type(e.args[2].type)}>"
                    f"({a[0]}, {a[1]}, {a[2]})")
        if op == "get_slice":
            lo, hi = self._const_int(e.args[1]), self._const_int(e.args[2])
            return f"allo_get_slice<{ct}, {lo}, {hi}, {c_type(e.args[0].type)}>({a[0]})"
        if op == "set_slice":
            lo, hi = self._const_int(e.args[1]), self._const_int(e.args[2])
            return f"allo_set_slice<{lo}, {hi}, {ct}, {c_type(e.args[3].type)}>({a[0]}, {a[3]})"
        raise BackendError(f"op '{op}' is not defined on {t!r}")

    @staticmethod
    def _const_int(e: Expr) -> int:
        if not isinstance(e, Const):
            raise BackendError("bit slices need constant bounds")
        return int(e.value)

    # ------------------------------------------------------------ casts
    def bitcast(self, x: str, src: AlloType, dst: AlloType) -> str:
        """``x``'s bits read as ``dst`` (op ``bitcast``): a union of the float and the
        unsigned integer of its width; a NaN's bits are the canonical quiet NaN's."""
        n = src.bits
        u = f"uint{n}_t"
        if isinstance(src, Float):
            exp_bits, man_bits = FLOAT_FORMATS[src.kind][:2]
            inf = ((1 << exp_bits) - 1) << man_bits
            low = (1 << (exp_bits + man_bits)) - 1
            raw = f"{_p(x)}.bits" if src.kind == "bf16" else \
                f"[&]() {{ union {{ {c_type(src)} f; {u} u; }} v; v.f = {x}; return v.u; }}()"
            sfx = "ULL" if n == 64 else "U"
            bits = (f"[&]() {{ {u} b = {raw}; return (b & {low}{sfx}) > {inf}{sfx} ? "
                    f"({u}){CANONICAL_NAN[src.kind]}{sfx} : b; }}()")
        elif isinstance(src, Fixed):  # its raw bits
            bits = f"allo_icast<{c_type(Int(n, False))}, ap_int<{n + 2}>>(allo_raw({x}))"
        else:
            bits = self.cast(x, src, Int(n, False))
        if isinstance(dst, Fixed):
            return f"allo_from_raw<{c_type(dst)}>(ap_int<{n + 2}>({bits}))"
        if isinstance(dst, Float):
            if dst.kind == "bf16":
                return f"[&]() {{ allo_bf16 v; v.bits = {bits}; return v; }}()"
            return (f"[&]() {{ union {{ {u} u; {c_type(dst)} f; }} v; v.u = {bits}; "
                    "return v.f; }()")
        return self.cast(bits, Int(n, False), dst)

    def cast(self, x: str, src: AlloType, dst: AlloType) -> str:
        """``x`` (of type ``src``) converted to ``dst`` as docs/semantics.md says."""
        if src == dst or (isinstance(src, Index) and isinstance(dst, Int) and dst.bits == 64
                          and dst.signed):
            return x
        cs, cd = c_type(src), c_type(dst)
        fs, fd = _family(src), _family(dst)
        if fs == "int" and fd == "int":
            if is_native_int(src) and is_native_int(dst) and not _is_bool(dst):
                return f"({cd}){x}"
            return f"allo_icast<{cd}, {cs}>({x})"
        if fs == "int" and fd == "float":
            if is_native_int(src) and dst.kind in ("f32", "f64"):
                return f"({cd}){x}"
            return f"allo_i2f<{cd}, {cs}>({x})"
        if fs == "float" and fd == "int":
            return f"allo_f2i<{cd}>((double){x})"
        if fs == "float" and fd == "float":
            if dst.kind == "bf16":
                return f"allo_fcast<allo_bf16>((double){x})"
            if src.kind == "bf16":
                return f"({cd})(float){x}"
            return f"({cd}){x}"
        if fs == "int" and fd == "fixed":
            return f"allo_i2fx<{cd}, {cs}>({x})"
        if fs == "fixed" and fd == "int":
            return f"allo_fx2i<{cd}, {cs}>({x})"
        if fs == "fixed" and fd == "fixed":
            return f"allo_fx2fx<{cd}, {cs}>({x})"
        if fs == "float" and fd == "fixed":
            return f"allo_f2fx<{cd}>((double){x})"
        return f"allo_fx2f<{cd}, {cs}>({x})"


def bare(x: str) -> str:
    """``x`` without one pair of enclosing parentheses. Example: ``bare("(a + b)") == "a + b"``."""
    if not (x.startswith("(") and x.endswith(")")):
        return x
    depth = 0
    for k, ch in enumerate(x):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and k < len(x) - 1:
            return x  # "(a) + (b)": the first ')' closes before the end
    return x[1:-1]


def _p(x: str) -> str:
    """``x`` parenthesized when it starts with a sign (so ``-x`` never reads ``--``)."""
    return f"({x})" if x[:1] in "-+" else x


def _family(t: AlloType) -> str:
    if isinstance(t, Float):
        return "float"
    if isinstance(t, Fixed):
        return "fixed"
    return "int"


def _ap_wide(value: int, bits: int) -> str:
    return f"ap_int<{bits}>({_ap_literal(value, bits, True)})"


def zero_value(t: AlloType) -> str:
    """The C++ zero of element type ``t``. Example: ``zero_value(float32) == '0.0f'``."""
    if isinstance(t, Float):
        return float_literal(0.0, t)
    if isinstance(t, Fixed):
        return f"allo_from_raw<{c_type(t)}>(ap_int<2>(0))"
    return int_literal(0, t)


__all__ = ["ExprEmitter", "bare", "int_literal", "float_literal", "zero_value"]
