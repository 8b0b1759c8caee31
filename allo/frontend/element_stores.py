"""Stores to one element or to bits: ``A[i, j] = v``, ``x[k] = b``, ``x[lo:hi] = v`` and
the augmented forms (``A[i] += v``), for the function lowerer.

A whole box (``A[0:2, :] = B``) is :mod:`.slices`' business; here every target names one
element (all indices given) or bits of a local scalar or an element.

Example (inside the frontend)::

    lowerer.assign_subscript(target, value, stmt)   # Store("A", (i, j), value)
"""

from __future__ import annotations

import ast
from typing import Any

from ..errors import AlloNameError, AlloSyntaxError, AlloTypeError
from ..ir.nodes import Const, Expr, Load, Op, Store, Var
from ..ir.types import UInt, index
from .exprs import BufView, Symbol
from .structs import StructValue, field_write
from .typing import BOOL, cast, convert, to_expr


class ElementStoreLowerer:
    """Mixin for the function lowerer: ``assign_subscript`` and augmented assignment."""

    def assign_subscript(self, target: ast.Subscript, rhs: Any, node: ast.AST) -> None:
        base = self.lower(target.value)
        if isinstance(base, StructValue):  # p["x"] = v
            return field_write(self, base, target, rhs, node)
        if isinstance(base, BufView):
            if isinstance(self.symbols.get(base.name), Symbol) and \
                    self.symbols[base.name].kind == "loop":
                raise self.err(AlloTypeError, "cannot assign to a loop variable", target,
                               hint="use a separate local scalar")
            lhs = self.buffer_subscript(base, target)
            if isinstance(lhs, BufView):
                if lhs.is_stream:
                    raise self.err(AlloTypeError, f"cannot assign to stream '{lhs.name}'",
                                   target, hint="use .put(value)")
                raise self.err(AlloTypeError, f"assignment to '{lhs.name}' needs all "
                               f"{lhs.type.rank} indices", target,
                               hint=f"'{lhs.name}' has shape {list(lhs.type.shape)}")
            self.emit(Store(lhs.buffer, lhs.indices, convert(to_expr(rhs), lhs.type),
                            loc=self.info.loc(node)))
            return
        # bit assignment: x[k] = b / x[lo:hi] = v, where x is a local scalar or an element
        if isinstance(base, Var):
            what = "loop variable" if base.type.is_index and \
                self.symbols.get(base.name, Symbol("", None)).kind == "loop" else "scalar parameter"
            raise self.err(AlloTypeError, f"cannot assign to bits of {what} '{base.name}'",
                           target, hint="copy it into a local scalar first")
        if not isinstance(base, Load):
            raise self.err(AlloSyntaxError, "cannot assign to bits of this expression", target,
                           hint="assign bits of a local scalar or a buffer element")
        t = base.type
        self.require_bits(t, "bit assignment", target)
        s = target.slice
        rhs = to_expr(rhs)
        dyn = self.dynamic_slice(s, t, target) if isinstance(s, ast.Slice) else None
        if dyn is not None:  # x[lo : lo + W] = v with a runtime lo: clear, then or in
            lo_e, width = dyn
            ones = (1 << width) - 1
            if t.signed and ones >= 1 << (t.bits - 1):
                ones -= 1 << t.bits  # the same bits, as a value of the signed type
            mask = Op("shl", (Const(ones, t), lo_e), t)
            value = Op("shl", (cast(cast(rhs, UInt(width)), t), lo_e), t)
            new = Op("or", (Op("and", (base, Op("not", (mask,), t)), t), value), t)
        elif isinstance(s, ast.Slice):
            lo, hi = self.slice_bounds(s, t, target)
            if isinstance(lo, Expr):  # bounds known only at run time (allo.frontend.bitops)
                from .bitops import dynamic_set_slice

                new = dynamic_set_slice(base, lo, hi, rhs)
            else:
                new = Op("set_slice", (base, Const(lo, index), Const(hi, index),
                                       cast(rhs, UInt(hi - lo))), t)
        else:
            if isinstance(s, ast.Tuple):
                raise self.err(AlloTypeError, "a scalar takes one bit index", target,
                               hint="write x[k] = b")
            new = Op("set_bit", (base, self.index(s, t.bits), cast(rhs, BOOL)), t)
        self.emit(Store(base.buffer, base.indices, new, loc=self.info.loc(node)))

    def _stmt_AugAssign(self, node: ast.AugAssign) -> None:
        from .exprs import BINOPS

        op = BINOPS.get(type(node.op))
        if op is None:
            raise self.err(AlloSyntaxError, "this augmented assignment is not supported",
                           node, hint="use +=, -=, *=, /=, //=, %=, &=, |=, ^=, <<=, >>=")
        t = node.target
        if isinstance(t, ast.Name):
            if t.id not in self.symbols:
                raise self.err(AlloNameError, f"name '{t.id}' is not defined", t,
                               hint=f"declare it first, e.g. {t.id}: int32 = 0")
            self.check_writable(t.id, t)
        elif not isinstance(t, ast.Subscript):
            raise self.err(AlloSyntaxError, "cannot assign to this target", t,
                           hint="assign to a name or a buffer element")
        load = ast.fix_missing_locations(ast.copy_location(
            ast.Subscript(t.value, t.slice, ast.Load()) if isinstance(t, ast.Subscript)
            else ast.Name(t.id, ast.Load()), t))
        current = self.scalar(load)
        value = self.binop(op, current, self.scalar(node.value), node)
        if isinstance(t, ast.Name):
            sym = self.symbols[t.id]
            if sym.type.shape:
                raise self.err(AlloTypeError, f"cannot update the whole buffer '{t.id}'", t,
                               hint=f"update elements, e.g. {t.id}[i] += ...")
            self.emit(Store(t.id, (), convert(to_expr(value), sym.type.dtype),
                            loc=self.info.loc(node)))
        else:
            self.assign_subscript(t, value, node)
