"""Shared state of LLVM emission: the builder, the module and declared helpers.

Example::

    >>> from llvmlite import ir
    >>> e = EmitBase(ir.Module("m"))
    >>> e.intrinsic("llvm.fabs.f32", FLOAT, [FLOAT]).name
    'llvm.fabs.f32'
"""

from __future__ import annotations

from typing import Dict, List, Optional

from llvmlite import ir

from .lltypes import DOUBLE, FLOAT, HALF, I1, I8, I16, I32, I64  # noqa: F401 (re-exported)


def int_const(t: ir.IntType, value: int) -> ir.Constant:
    """A constant of integer type ``t``, ``value`` wrapped to the width (any Python int)."""
    return ir.Constant(t, value & ((1 << t.width) - 1))


class EmitBase:
    """Owns the module and current builder; declares functions once by name."""

    def __init__(self, module: ir.Module):
        self.module = module
        self.b: Optional[ir.IRBuilder] = None
        self._decls: Dict[str, ir.Function] = {}

    def intrinsic(self, name: str, ret: ir.Type, args: List[ir.Type]) -> ir.Function:
        """Declare (once) and return an external function or intrinsic by its full name."""
        fn = self._decls.get(name)
        if fn is None:
            existing = self.module.globals.get(name)
            fn = existing if existing is not None else ir.Function(
                self.module, ir.FunctionType(ret, args), name=name)
            self._decls[name] = fn
        return fn

    def call(self, name: str, ret: ir.Type, args: List[ir.Value]) -> ir.Value:
        return self.b.call(self.intrinsic(name, ret, [a.type for a in args]), args)

    def resize(self, v: ir.Value, from_bits: int, signed: bool, to_bits: int) -> ir.Value:
        """Sign/zero-extend or truncate an integer from ``from_bits`` to ``to_bits``."""
        if to_bits == from_bits:
            return v
        t = ir.IntType(to_bits)
        if to_bits < from_bits:
            return self.b.trunc(v, t)
        return self.b.sext(v, t) if signed else self.b.zext(v, t)

    def umin_const(self, v: ir.Value, limit: int) -> ir.Value:
        """``min(v, limit)`` for an unsigned integer value."""
        c = int_const(v.type, limit)
        return self.b.select(self.b.icmp_unsigned(">", v, c), c, v)
