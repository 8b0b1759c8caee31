"""Scalar values in MLIR text: constants, attributes and the ``arith``/``math`` lowering of
every IR op (:data:`allo.ir.nodes.OPS`), used by :mod:`allo.ir.printer`.

The choice of op follows ``docs/semantics.md``: the signed or unsigned ``arith`` variant is
picked from the operand type, Python's ``%`` gets a sign fix after ``remsi``/``remf``,
fixed point works on its raw integer (``mul``: widen, multiply, shift right by ``F``,
truncate). Edge cases that differ from the semantics are listed in the printer's docstring.

Example::

    >>> from allo.ir.types import float32, int8
    >>> float_literal(0.5, float32), attr_dict({"loop_name": "i", "pipeline_ii": 1, "parallel": True})
    ('0.5', '{loop_name = "i", pipeline_ii = 1 : i32, parallel}')
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Set

import numpy as np

from ..semantics.casts import CANONICAL_NAN
from ..semantics.registry import ops
from .nodes import Const, Expr, Load, Op, StreamGet, Var
from .types import AlloType, Int, float64, index

_BARE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_$.]*$")
_SSA_CHARS = re.compile(r"[^A-Za-z0-9_$.\-]")


def mlir_string(s: str) -> str:
    """A quoted MLIR string literal (``"`` and ``\\`` and control characters escaped)."""
    out = []
    for ch in str(s):
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):02X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _attr_value(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return f"{int(v)} : {'i32' if -2**31 <= int(v) < 2**31 else 'i64'}"
    if isinstance(v, (float, np.floating)):
        return f"{float_literal(float(v), float64)} : f64"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_attr_value(x) for x in v) + "]"
    return mlir_string(v if isinstance(v, str) else repr(v))


def attr_dict(attrs: Dict[str, Any]) -> str:
    """An MLIR attribute dictionary; ``True`` becomes a unit attribute, ``False``/``None``
    are left out. Example: ``attr_dict({"unroll": 4}) == '{unroll = 4 : i32}'``."""
    parts = []
    for k, v in attrs.items():
        if v is None or v is False:
            continue
        key = k if _BARE_KEY.match(k) else mlir_string(k)
        parts.append(key if v is True else f"{key} = {_attr_value(v)}")
    return "{" + ", ".join(parts) + "}" if parts else ""


def float_literal(x: float, t: AlloType) -> str:
    """A float constant of type ``t``: decimal when finite (rounded to ``t`` first), the
    bit pattern in hex for NaN/inf (MLIR needs a ``.`` in decimal floats). Example:
    ``float_literal(1e-5, float64) == '1.0e-05'``; NaN in f32 is ``'0x7FC00000'``."""
    v = np.asarray(x, dtype=np.float64).astype(t.numpy_dtype())
    if np.isfinite(v):
        text = repr(float(v))
        if "e" in text and "." not in text.split("e")[0]:
            mant, exp = text.split("e")
            text = f"{mant}.0e{exp}"
        return text
    bits = v.view(f"uint{t.bits}").item()
    return f"0x{bits:0{t.bits // 4}X}"


def scalar_type(t: AlloType) -> str:
    """The MLIR spelling of a scalar type (``i8``, ``index``, ``f32`` ...)."""
    return t.mlir()


def _ity(t: AlloType) -> str:
    return "index" if t.is_index else f"i{t.bits}"


_CMP_INT = {"eq": "eq", "ne": "ne", "lt": "lt", "le": "le", "gt": "gt", "ge": "ge"}
_CMP_FLOAT = {"eq": "oeq", "ne": "une", "lt": "olt", "le": "ole", "gt": "ogt", "ge": "oge"}
_MATH_UNARY = frozenset(ops(group="math", arity=1))  # math.<name> in MLIR


class ValueEmitter:
    """Emits lines of MLIR for expressions; subclasses provide ``load_value``,
    ``stream_get_value`` and ``var_value`` (they know the buffers and variables)."""

    def __init__(self) -> None:
        self.lines: List[str] = []
        self.indent = 0
        self.used: Set[str] = set()
        self.counter = 0

    # -- output and names --
    def emit(self, line: str) -> None:
        self.lines.append("  " * self.indent + line)

    def fresh(self, hint: Optional[str]) -> str:
        """A new SSA name: ``%<hint>`` (made unique) or a numbered temporary."""
        if hint is None:
            self.counter += 1
            return f"%{self.counter - 1}"
        base = _SSA_CHARS.sub("_", hint) or "v"
        if base[0].isdigit() or base[0] == "-":
            base = "v" + base
        name, n = base, 0
        while name in self.used:
            n += 1
            name = f"{base}_{n}"
        self.used.add(name)
        return "%" + name

    def op(self, text: str) -> str:
        """Emit ``%v = <text>`` and return ``%v``."""
        v = self.fresh(None)
        self.emit(f"{v} = {text}")
        return v

    def const(self, value: Any, t: AlloType) -> str:
        if t.is_float:
            return self.op(f"arith.constant {float_literal(float(value), t)} : {t.mlir()}")
        bits = 64 if t.is_index else t.bits
        v = Int(bits).wrap(int(value))
        return self.op(f"arith.constant {v} : {_ity(t)}")

    # -- hooks --
    def load_value(self, e: Load) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def stream_get_value(self, e: StreamGet) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def var_value(self, e: Var) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    # -- expressions --
    def value(self, e: Expr) -> str:
        """Emit ``e`` and return the SSA name holding its value (of type ``e.type``)."""
        if isinstance(e, Const):
            return self.const(e.value, e.type)
        if isinstance(e, Var):
            return self.var_value(e)
        if isinstance(e, Load):
            return self.load_value(e)
        if isinstance(e, StreamGet):
            return self.stream_get_value(e)
        if isinstance(e, Op):
            return self.lower_op(e)
        raise TypeError(f"printer: unsupported expression {type(e).__name__}")

    def index_value(self, e: Expr) -> str:
        """Emit ``e`` converted to ``index`` (for dynamic indices and bounds)."""
        return self.int_convert(self.value(e), e.type, index)

    # -- conversions --
    def int_convert(self, v: str, src: AlloType, dst: AlloType) -> str:
        """Convert an integer-like value (ints, index, fixed raw bits) between widths;
        extension follows the source's signedness."""
        if src.is_index and dst.is_index:
            return v
        if src.is_index:
            return self.op(f"arith.index_cast {v} : index to {_ity(dst)}")
        if dst.is_index:
            kind = "index_cast" if src.signed else "index_castui"
            return self.op(f"arith.{kind} {v} : {_ity(src)} to index")
        if dst.bits > src.bits:
            kind = "extsi" if src.signed else "extui"
            return self.op(f"arith.{kind} {v} : {_ity(src)} to {_ity(dst)}")
        if dst.bits < src.bits:
            return self.op(f"arith.trunci {v} : {_ity(src)} to {_ity(dst)}")
        return v

    def _shift(self, kind: str, v: str, amount: int, t: AlloType) -> str:
        if amount == 0:
            return v
        if amount >= t.bits:  # MLIR shifts by >= width are poison; the result is known
            if kind == "shrsi":
                amount = t.bits - 1
            else:
                return self.const(0, t)
        return self.op(f"arith.{kind} {v}, {self.const(amount, t)} : {_ity(t)}")

    def cast(self, v: str, src: AlloType, dst: AlloType) -> str:
        """Lower ``cast`` from ``src`` to ``dst`` (see docs/semantics.md)."""
        if src == dst:
            return v
        if src.is_float and dst.is_float:
            if dst.bits > src.bits:
                return self.op(f"arith.extf {v} : {src.mlir()} to {dst.mlir()}")
            if dst.bits < src.bits:
                return self.op(f"arith.truncf {v} : {src.mlir()} to {dst.mlir()}")
            wide = self.op(f"arith.extf {v} : {src.mlir()} to f32")  # f16 <-> bf16
            return self.op(f"arith.truncf {wide} : f32 to {dst.mlir()}")
        if src.is_float:
            if dst.is_fixed:
                return self._float_to_fixed(v, src, dst)
            target = Int(64) if dst.is_index else dst
            kind = "fptosi" if target.signed else "fptoui"
            r = self.op(f"arith.{kind} {v} : {src.mlir()} to {_ity(target)}")
            return self.int_convert(r, target, dst)
        if dst.is_float:
            if src.is_fixed:
                return self._fixed_to_float(v, src, dst)
            if src.is_index:
                v, src = self.int_convert(v, src, Int(64)), Int(64)
            kind = "sitofp" if src.signed else "uitofp"
            return self.op(f"arith.{kind} {v} : {_ity(src)} to {dst.mlir()}")
        src_frac = src.frac if src.is_fixed else 0
        dst_frac = dst.frac if dst.is_fixed else 0
        if src_frac == dst_frac:
            return self.int_convert(v, src, dst)
        if not src.is_fixed and not src.is_index and src.bits >= dst.bits:
            return self.int_convert(self._shift("shli", v, dst_frac, src), src, dst)
        if src.is_fixed and not dst.is_fixed:  # fixed -> int: divide, truncating to zero
            if not src.signed:
                return self.int_convert(self._shift("shrui", v, src_frac, src), src, dst)
            wide = Int(src.bits + 2)
            w = self.int_convert(v, src, wide)
            q = self.op(f"arith.divsi {w}, {self.const(1 << src_frac, wide)} : {_ity(wide)}")
            return self.int_convert(q, wide, dst)
        # fixed/int -> fixed: align the binary point in a width holding both, then wrap
        src_bits = 64 if src.is_index else src.bits
        dst_bits = 64 if dst.is_index else dst.bits
        wide = Int(max(src_bits, dst_bits) + max(0, dst_frac - src_frac) + 1, src.signed)
        w = self.int_convert(v, src, wide)
        if dst_frac > src_frac:
            w = self._shift("shli", w, dst_frac - src_frac, wide)
        else:
            w = self._shift("shrsi" if src.signed else "shrui", w, src_frac - dst_frac, wide)
        return self.int_convert(w, wide, dst)

    def _float_to_fixed(self, v: str, src: AlloType, dst: AlloType) -> str:
        if src != float64:
            v = self.op(f"arith.extf {v} : {src.mlir()} to f64")
        scaled = self.op(f"arith.mulf {v}, {self.const(2.0 ** dst.frac, float64)} : f64")
        fl = self.op(f"math.floor {scaled} : f64")
        wide = Int(max(dst.bits, 64))
        r = self.op(f"arith.fptosi {fl} : f64 to {_ity(wide)}")
        return self.int_convert(r, wide, dst)

    def _fixed_to_float(self, v: str, src: AlloType, dst: AlloType) -> str:
        kind = "sitofp" if src.signed else "uitofp"
        f = self.op(f"arith.{kind} {v} : {_ity(src)} to f64")
        if src.frac:
            f = self.op(f"arith.divf {f}, {self.const(2.0 ** src.frac, float64)} : f64")
        if dst != float64:
            f = self.op(f"arith.truncf {f} : f64 to {dst.mlir()}")
        return f

    # -- ops --
    def lower_op(self, e: Op) -> str:
        name, t = e.op, e.type
        if name == "cast":
            return self.cast(self.value(e.args[0]), e.args[0].type, t)
        if name in ("get_slice", "set_slice"):
            return self._slice(e)
        if name == "bitcast":
            return self._bitcast(self.value(e.args[0]), e.args[0].type, t)
        args = [self.value(a) for a in e.args]
        if name in _CMP_INT:
            at = e.args[0].type
            if at.is_float:
                return self.op(f"arith.cmpf {_CMP_FLOAT[name]}, {args[0]}, {args[1]} : {at.mlir()}")
            pred = _CMP_INT[name] if name in ("eq", "ne") else ("s" if at.signed else "u") + _CMP_INT[name]
            return self.op(f"arith.cmpi {pred}, {args[0]}, {args[1]} : {_ity(at)}")
        if name == "select":
            return self.op(f"arith.select {args[0]}, {args[1]}, {args[2]} : {t.mlir()}")
        if name in ("land", "lor"):
            return self.op(f"arith.{'andi' if name == 'land' else 'ori'} {args[0]}, {args[1]} : i1")
        if name == "lnot":
            return self.op(f"arith.xori {args[0]}, {self.const(1, t)} : i1")
        if name in ("get_bit", "set_bit"):
            return self._bit(name, e, args)
        if t.is_float:
            return self._float_op(name, args, t)
        return self._int_op(name, args, t)

    def _float_op(self, name: str, a: List[str], t: AlloType) -> str:
        ty = t.mlir()
        simple = {"add": "arith.addf", "sub": "arith.subf", "mul": "arith.mulf", "div": "arith.divf",
                  "min": "arith.minimumf", "max": "arith.maximumf", "pow": "math.powf"}
        if name in simple:
            return self.op(f"{simple[name]} {a[0]}, {a[1]} : {ty}")
        if name == "neg":
            return self.op(f"arith.negf {a[0]} : {ty}")
        if name == "abs":
            return self.op(f"math.absf {a[0]} : {ty}")
        if name in _MATH_UNARY:
            return self.op(f"math.{name} {a[0]} : {ty}")
        if name == "floordiv":
            return self.op(f"math.floor {self.op(f'arith.divf {a[0]}, {a[1]} : {ty}')} : {ty}")
        if name == "mod":  # Python %: fmod, then add the divisor when the signs differ
            r = self.op(f"arith.remf {a[0]}, {a[1]} : {ty}")
            return self._python_sign_fix(r, a[1], t, ("cmpf one", "cmpf olt", "addf"))
        raise TypeError(f"printer: op {name!r} is not defined on {t!r}")

    def _int_op(self, name: str, a: List[str], t: AlloType) -> str:
        ty, s = _ity(t), t.signed
        if t.is_fixed and name in ("mul", "div", "floordiv"):
            return self._fixed_op(name, a, t)
        simple = {"add": "addi", "sub": "subi", "mul": "muli", "and": "andi", "or": "ori",
                  "xor": "xori", "shl": "shli", "div": "divsi" if s else "divui",
                  "floordiv": "floordivsi" if s else "divui", "min": "minsi" if s else "minui",
                  "max": "maxsi" if s else "maxui", "shr": "shrsi" if s else "shrui"}
        if name in simple:
            return self.op(f"arith.{simple[name]} {a[0]}, {a[1]} : {ty}")
        if name == "neg":
            return self.op(f"arith.subi {self.const(0, t)}, {a[0]} : {ty}")
        if name == "not":
            return self.op(f"arith.xori {a[0]}, {self.const(-1, t)} : {ty}")
        if name == "abs":
            if not s:
                return a[0]
            neg = self.op(f"arith.subi {self.const(0, t)}, {a[0]} : {ty}")
            isneg = self.op(f"arith.cmpi slt, {a[0]}, {self.const(0, t)} : {ty}")
            return self.op(f"arith.select {isneg}, {neg}, {a[0]} : {ty}")
        if name == "mod":
            if not s:
                return self.op(f"arith.remui {a[0]}, {a[1]} : {ty}")
            r = self.op(f"arith.remsi {a[0]}, {a[1]} : {ty}")
            return self._python_sign_fix(r, a[1], t, ("cmpi ne", "cmpi slt", "addi"))
        raise TypeError(f"printer: op {name!r} is not defined on {t!r}")

    def _python_sign_fix(self, r: str, divisor: str, t: AlloType, ops: tuple) -> str:
        """Python's ``%`` from a C remainder ``r``: add the divisor when ``r`` is non-zero
        and its sign differs from the divisor's. ``ops`` = (not-equal, less-than, add)."""
        ne, lt, add = ops
        ty = t.mlir() if t.is_float else _ity(t)
        zero = self.const(0.0 if t.is_float else 0, t)
        nonzero = self.op(f"arith.{ne}, {r}, {zero} : {ty}")
        rneg = self.op(f"arith.{lt}, {r}, {zero} : {ty}")
        bneg = self.op(f"arith.{lt}, {divisor}, {zero} : {ty}")
        fix = self.op(f"arith.andi {nonzero}, {self.op(f'arith.xori {rneg}, {bneg} : i1')} : i1")
        return self.op(f"arith.select {fix}, {self.op(f'arith.{add} {r}, {divisor} : {ty}')}, {r} : {ty}")

    def _fixed_op(self, name: str, a: List[str], t: AlloType) -> str:
        s, w, f = t.signed, t.bits, t.frac
        if name == "mul":  # (ra * rb) >> F in double width, then wrap
            wide = Int(2 * w, s)
            x, y = (self.int_convert(v, t, wide) for v in a)
            p = self.op(f"arith.muli {x}, {y} : {_ity(wide)}")
            return self.int_convert(self._shift("shrsi" if s else "shrui", p, f, wide), wide, t)
        wide = Int(2 * w + f + 1, s)  # floor((ra << F) / rb), then wrap
        x, y = (self.int_convert(v, t, wide) for v in a)
        x = self._shift("shli", x, f, wide)
        q = self.op(f"arith.{'floordivsi' if s else 'divui'} {x}, {y} : {_ity(wide)}")
        return self.int_convert(q, wide, t)

    def _bit(self, name: str, e: Op, a: List[str]) -> str:
        t = e.args[0].type
        i = self.int_convert(a[1], e.args[1].type, t)
        if name == "get_bit":
            shifted = self.op(f"arith.shrui {a[0]}, {i} : {_ity(t)}")
            return self.int_convert(shifted, t, Int(1, False))
        mask = self.op(f"arith.shli {self.const(1, t)}, {i} : {_ity(t)}")
        inv = self.op(f"arith.xori {mask}, {self.const(-1, t)} : {_ity(t)}")
        cleared = self.op(f"arith.andi {a[0]}, {inv} : {_ity(t)}")
        b = self.int_convert(a[2], e.args[2].type, t)
        b = self.op(f"arith.andi {b}, {self.const(1, t)} : {_ity(t)}")  # b & 1
        placed = self.op(f"arith.shli {b}, {i} : {_ity(t)}")
        return self.op(f"arith.ori {cleared}, {placed} : {_ity(t)}")

    def _bitcast(self, v: str, src: AlloType, dst: AlloType) -> str:
        """Op ``bitcast``: ``arith.bitcast``, a NaN's bits being the canonical quiet NaN's."""
        bits_t = Int(src.bits, False)
        if src.is_float:
            raw = self.op(f"arith.bitcast {v} : {src.mlir()} to {_ity(bits_t)}")
            nan = self.op(f"arith.cmpf uno, {v}, {v} : {src.mlir()}")
            canon = self.const(CANONICAL_NAN[src.kind], bits_t)
            v = self.op(f"arith.select {nan}, {canon}, {raw} : {_ity(bits_t)}")
        if dst.is_float:
            return self.op(f"arith.bitcast {v} : {_ity(bits_t)} to {dst.mlir()}")
        return v  # integers are signless in MLIR: the same value

    def _slice(self, e: Op) -> str:
        x = self.value(e.args[0])
        t = e.args[0].type
        lo, hi = int(e.args[1].value), int(e.args[2].value)  # type: ignore[attr-defined]
        width = Int(hi - lo, False)
        plain = Int(64, False) if t.is_index else Int(t.bits, False)
        if t.is_index:
            x = self.int_convert(x, t, Int(64))
        if e.op == "get_slice":
            return self.int_convert(self._shift("shrui", x, lo, plain), plain, width)
        v = self.value(e.args[3])
        low = self.int_convert(v, e.args[3].type, width)
        placed = self._shift("shli", self.int_convert(low, width, plain), lo, plain)
        keep = ~(((1 << (hi - lo)) - 1) << lo)
        cleared = self.op(f"arith.andi {x}, {self.const(keep, plain)} : {_ity(plain)}")
        r = self.op(f"arith.ori {cleared}, {placed} : {_ity(plain)}")
        return self.int_convert(r, Int(64), t) if t.is_index else r


__all__ = ["ValueEmitter", "attr_dict", "mlir_string", "float_literal", "scalar_type"]
