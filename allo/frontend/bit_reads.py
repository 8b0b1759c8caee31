"""Reading bits of an integer in a kernel: ``x[k]``, ``x[lo:hi]`` with constant bounds, a
constant width at a runtime offset (``x[8 * m : 8 * (m + 1)]``), or runtime bounds
(:mod:`allo.frontend.bitops`). A mixin of :class:`allo.frontend.exprs.ExprLowerer`, which
provides ``scalar``, ``require_scalar``, ``index`` and ``err``.

Example::

    >>> import allo
    >>> from allo.ir.types import uint8, uint32
    >>> def low_byte(x: uint32) -> uint8:
    ...     return x[0:8]
    >>> allo.customize(low_byte).build(target="interp")(0x1234)   # doctest: +SKIP
    52
"""

from __future__ import annotations

import ast
from typing import Any, Optional, Tuple

import numpy as np

from ..errors import AlloSyntaxError, AlloTypeError
from ..ir.nodes import Const, Expr, Op
from ..ir.types import Int, UInt, index
from . import bitops
from .typing import BOOL, PyVal, cast, convert, to_expr


class BitReads:
    """Bit reads and bit slices of integer values (see the module docstring)."""

    def require_bits(self, t: Any, what: str, node: ast.AST) -> None:
        """Refuse ``what`` (a bit access, assignment or method) on a type without bits."""
        if not isinstance(t, Int) or t.is_index:
            raise self.err(AlloTypeError, f"{what} needs an integer, got {t!r}", node,
                           hint="only integers (intN/uintN) have bits")

    def bit_read(self, x: Any, node: ast.Subscript) -> Expr:
        x = self.require_scalar(x, node.value)
        x = to_expr(x)
        self.require_bits(x.type, "bit access", node)
        s = node.slice
        if isinstance(s, ast.Slice):
            dyn = self.dynamic_slice(s, x.type, node)
            if dyn is not None:  # x[lo : lo + W] with a runtime lo: shift, keep W bits
                lo_e, width = dyn
                return cast(Op("shr", (x, lo_e), x.type), UInt(width))
            lo, hi = self.slice_bounds(s, x.type, node)
            if isinstance(lo, Expr):  # bounds known only at run time
                return bitops.dynamic_get_slice(x, lo, hi)
            return Op("get_slice", (x, Const(lo, index), Const(hi, index)), UInt(hi - lo))
        if isinstance(s, ast.Tuple):
            raise self.err(AlloTypeError, "a scalar takes one bit index", node,
                           hint="write x[k] or x[lo:hi]")
        return Op("get_bit", (x, self.index(s, x.type.bits)), BOOL)

    def dynamic_slice(self, s: ast.Slice, t: Int, node: ast.AST) -> Optional[Tuple[Expr, int]]:
        """``x[lo:hi]`` whose bounds are runtime values but whose width ``hi - lo`` is a
        constant (``x[8 * m : 8 * (m + 1)]``): ``lo`` as a value of ``x``'s type and the
        width; None when the bounds are compile-time constants."""
        from ..ir.index import affine_form

        if s.lower is None or s.upper is None or s.step is not None:
            return None
        lo, hi = self.scalar(s.lower), self.scalar(s.upper)
        if isinstance(lo, PyVal) and isinstance(hi, PyVal):
            return None
        forms = [affine_form(convert(to_expr(v), index)) for v in (lo, hi)]
        if None in forms:
            return None  # data-dependent bounds: the general dynamic slice (bitops)
        if set(forms[0].terms) != set(forms[1].terms):
            return None  # a runtime width: the general dynamic slice (allo.frontend.bitops)
        width = forms[1].const - forms[0].const
        if not 0 < width <= t.bits:
            raise self.err(AlloTypeError, f"bit slice of width {width} is out of range for "
                           f"{t!r}", node, hint=f"need 0 < hi - lo <= {t.bits}")
        return convert(to_expr(lo), t), width

    def slice_bounds(self, s: ast.Slice, t: Int, node: ast.AST) -> Tuple[Any, Any]:
        """``(lo, hi)`` of ``x[lo:hi]``: two ints, or two index Exprs when either bound is
        known only at run time (a dynamic slice, :mod:`allo.frontend.bitops`)."""
        if s.step is not None:
            raise self.err(AlloSyntaxError, "bit slices take no step", s,
                           hint="write x[lo:hi]")
        bounds = []
        for b, default in ((s.lower, 0), (s.upper, t.bits)):
            if b is None:
                bounds.append(PyVal(default))
                continue
            v = self.scalar(b)
            if isinstance(v, PyVal) and not isinstance(v.value, (int, np.integer)) or \
                    not isinstance(v, PyVal) and not (v.type.is_int and not v.type == BOOL):
                raise self.err(AlloTypeError, "bit slice bounds must be integers", b,
                               hint="use integer constants, loop variables or integer values")
            bounds.append(v)
        if not all(isinstance(v, PyVal) for v in bounds):
            return tuple(cast(to_expr(v), index) for v in bounds)
        lo, hi = (int(v.value) for v in bounds)
        if not 0 <= lo < hi <= t.bits:
            raise self.err(AlloTypeError, f"bit slice [{lo}:{hi}] is out of range for "
                           f"{t!r}", node, hint=f"need 0 <= lo < hi <= {t.bits}")
        return lo, hi
