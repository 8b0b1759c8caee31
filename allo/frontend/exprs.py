"""Lowering of Python expressions to typed IR expressions.

A lowered operand is one of: an IR :class:`~allo.ir.nodes.Expr` (a runtime scalar), a
:class:`~allo.frontend.typing.PyVal` (a compile-time Python value: size, literal, type,
kernel) or a :class:`BufView` (a buffer, or a sub-view ``A[i]`` of one, which is only
meaningful as a call argument, a return value or the base of further indexing).

Example (inside the frontend)::

    lowerer.lower(ast.parse("A[i, k] * B[k, j]", mode="eval").body)
    # -> Op("mul", (Op("cast", (Load("A", ...),), int16), ...), int16)
"""

from __future__ import annotations

import ast
import builtins as py
import operator
import types
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Union

import numpy as np

from ..errors import AlloError, AlloNameError, AlloSyntaxError, AlloTypeError
from ..ir.nodes import Const, Expr, Load, Op, StreamGet, Var, walk_expr
from ..ir.types import (AlloType, BufferType, Fixed, Float, Int, StreamType, UFixed, UInt,
                        float32, index, int32)
from .. import builtins as ab
from . import arrays, bitops, nn_calls, structs
from .bit_reads import BitReads
from .bounds import check_static_bounds
from .context import MISSING, Resolver, SourceInfo
from .typing import BOOL, PyVal, cast, convert, is_number, literal, to_expr, unify
from .values import PYOPS, BufView, TemplateInstance, fmt_type  # noqa: F401  (stmts reads them here)

BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div",
          ast.FloorDiv: "floordiv", ast.Mod: "mod", ast.BitAnd: "and", ast.BitOr: "or",
          ast.BitXor: "xor", ast.LShift: "shl", ast.RShift: "shr", ast.Pow: "pow"}
CMPOPS = {ast.Eq: "eq", ast.NotEq: "ne", ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt",
          ast.GtE: "ge"}
PYCMP = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le,
         "gt": operator.gt, "ge": operator.ge}
UNSUPPORTED_EXPR = {
    ast.Lambda: "lambda expressions", ast.Dict: "dict literals", ast.Set: "set literals",
    ast.List: "list literals", ast.ListComp: "list comprehensions",
    ast.SetComp: "set comprehensions", ast.DictComp: "dict comprehensions",
    ast.GeneratorExp: "generator expressions", ast.JoinedStr: "f-strings",
    ast.NamedExpr: "assignment expressions (:=)", ast.Yield: "'yield'",
    ast.YieldFrom: "'yield from'", ast.Await: "'await'", ast.Starred: "star expressions",
}


MAX_CONST_BITS = 1 << 16  # compile-time integers beyond this are surely mistakes


@dataclass(frozen=True)
class Symbol:
    """A kernel-level name: ``kind`` is "param", "local", "loop" or "const" (a
    compile-time constant: ``ConstExpr`` or a ``meta_for`` variable, with its ``value``)."""

    kind: str
    type: Any  # BufferType | AlloType | StreamType
    value: Any = None


TYPE_CONSTRUCTORS = (Int, UInt, Fixed, UFixed, Float)


def is_kernel_obj(obj: Any) -> bool:
    """Is ``obj`` a kernel (a user function or a template instance)?

    ``UInt``/``UFixed`` are plain Python functions too: they are type constructors, and
    so are the other functions of :mod:`allo.ir.types`, never kernels.
    """
    return isinstance(obj, TemplateInstance) or (
        isinstance(obj, types.FunctionType) and id(obj) not in ab.MATH_OPS
        and not is_one_of(obj, ab.grid, ab.reduction, ab.template, *TYPE_CONSTRUCTORS)
        and getattr(obj, "__module__", None) not in ("allo.ir.types", "allo.builtins"))


def is_one_of(obj: Any, *candidates: Any) -> bool:
    """Identity membership (``in`` would call ``__eq__`` on arbitrary user objects)."""
    return any(obj is c for c in candidates)


class ExprLowerer(BitReads):
    """Mixin lowering expressions; the statement lowerer provides the state below."""

    info: SourceInfo
    resolver: Resolver
    symbols: Dict[str, Symbol]
    loc_override: Optional[ast.AST] = None

    # -- provided by the statement lowerer
    def emit(self, stmt: Any) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def call_kernel(self, node: ast.Call, target: Any,
                    results: Optional[List[str]] = None) -> List[str]:  # pragma: no cover
        raise NotImplementedError

    def const_table(self, name: str, array: np.ndarray, node: ast.AST) -> BufView:
        raise NotImplementedError  # pragma: no cover

    # -- errors
    def err(self, cls: type, message: str, node: ast.AST, hint: Optional[str] = None) -> AlloError:
        """A located error (raise it): points at ``node`` (or the enclosing string annotation)."""
        return cls(message, loc=self.info.loc(self.loc_override or node), hint=hint)

    def relocated(self, e: AlloError, node: ast.AST) -> AlloError:
        """The same error (class, message, hint), located at ``node`` (raise it)."""
        if e.loc is not None:
            return e
        return self.err(type(e), e.message, node, e.hint)

    # -- entry points
    def lower(self, node: ast.AST) -> Union[Expr, PyVal, BufView]:
        """Lower any expression node."""
        method = getattr(self, "_lower_" + type(node).__name__, None)
        if method is None:
            what = UNSUPPORTED_EXPR.get(type(node), f"'{type(node).__name__}' expressions")
            raise self.err(AlloSyntaxError, f"{what} are not supported in kernels", node,
                           hint="kernels use scalar arithmetic, buffer indexing and calls")
        return method(node)

    def scalar(self, node: ast.AST) -> Union[Expr, PyVal]:
        """Lower ``node`` and require a scalar value (runtime or compile-time number)."""
        v = self.lower(node)
        return self.require_scalar(v, node)

    def require_scalar(self, v: Any, node: ast.AST) -> Union[Expr, PyVal]:
        if isinstance(v, BufView):
            if v.is_stream:
                raise self.err(AlloTypeError, f"stream '{v.name}' cannot be used as a value",
                               node, hint="read one element with .get()")
            raise self.err(AlloTypeError,
                           f"'{v.name}' is a buffer of shape {list(v.shape)}, not a scalar",
                           node, hint=f"index all {len(v.shape)} remaining dimension(s)")
        if isinstance(v, PyVal) and not is_number(v.value):
            raise self.err(AlloTypeError, f"{v.value!r} cannot be used as a value in a kernel",
                           node, hint="only numbers, buffers and scalars are values")
        return v

    def value(self, node: ast.AST) -> Expr:
        """Lower ``node`` to an IR expression (numbers become typed literals)."""
        return to_expr(self.scalar(node))

    def const(self, node: ast.AST, what: str = "value") -> Any:
        """Evaluate ``node`` at compile time (sizes, types, template arguments)."""
        v = self.lower(node)
        if not isinstance(v, PyVal):
            raise self.err(AlloTypeError, f"the {what} must be known at compile time", node,
                           hint="use a Python constant, a global or a template parameter")
        return v.value

    def index(self, node: ast.AST, extent: Optional[int] = None) -> Expr:
        """Lower an index expression to type ``index`` (checking constants against ``extent``)."""
        v = self.scalar(node)
        if isinstance(v, PyVal):
            if isinstance(v.value, (float, np.floating)):
                raise self.err(AlloTypeError, f"index {v.value!r} is not an integer", node,
                               hint="indices must be integers")
            k = int(v.value)
            if extent is not None and not 0 <= k < extent:
                raise self.err(AlloTypeError, f"index {k} is out of range for a dimension of "
                               f"size {extent}", node, hint=f"use 0 .. {extent - 1}")
            return Const(k, index)
        if v.type.is_float or v.type.is_fixed:
            raise self.err(AlloTypeError, f"index has type {v.type!r}, not an integer", node,
                           hint="cast it with int(...)")
        return cast(v, index)

    # -- leaves
    def _lower_Constant(self, node: ast.Constant) -> PyVal:
        if is_number(node.value) or isinstance(node.value, str):
            return PyVal(node.value)
        raise self.err(AlloSyntaxError, f"constant {node.value!r} is not supported", node,
                       hint="kernels use int, float and bool constants")

    def _lower_Name(self, node: ast.Name) -> Any:
        sym = self.symbols.get(node.id)
        if sym is not None:
            return self.symbol_value(node.id, sym)
        if node.id in getattr(self, "dead_loop_vars", ()):
            raise self.err(AlloNameError, f"loop variable '{node.id}' is not defined outside "
                           "its loop", node, hint="use it inside the loop body only")
        if node.id in getattr(self, "out_of_scope", {}):
            raise self.err(AlloNameError, f"'{node.id}' is used outside the block that "
                           "declares it", node, hint=f"declare '{node.id}' before the loop/if "
                                                    "that assigns it")
        obj = self.resolver.lookup(node.id)
        if obj is MISSING:
            raise self.err(AlloNameError, f"name '{node.id}' is not defined", node,
                           hint="define it as a global, a closure variable, a parameter "
                                "or a local before use")
        if isinstance(obj, np.ndarray):
            return self.const_table(node.id, obj, node)
        return PyVal(obj)

    def symbol_value(self, name: str, sym: Symbol) -> Any:
        if sym.kind in ("const", "struct"):
            return PyVal(sym.value) if sym.kind == "const" else sym.value
        if sym.kind == "loop":
            bound = getattr(self, "loop_values", {}).get(name)
            return bound if bound is not None else Var(name, index)
        t = sym.type
        if isinstance(t, AlloType):
            return Var(name, t)  # scalar parameter
        if isinstance(t, StreamType):
            return BufView(name, (), BufferType(t, ()))
        if not t.shape and not t.is_stream:
            return Load(name, (), t.dtype)  # local scalar: a 0-d buffer
        return BufView(name, (), t)

    def _lower_Tuple(self, node: ast.Tuple) -> PyVal:
        return PyVal(tuple(self.const(e, "tuple element") for e in node.elts))

    def _lower_Attribute(self, node: ast.Attribute) -> Any:
        base = self.lower(node.value)
        if isinstance(base, BufView) and node.attr == "shape":
            return PyVal(tuple(base.shape))
        if self.is_array(base) and node.attr == "T":
            return arrays.transpose(self, base, None, node)
        if isinstance(base, PyVal):
            if not hasattr(base.value, node.attr):
                raise self.err(AlloNameError, f"{base.value!r} has no attribute '{node.attr}'",
                               node, hint="check the spelling")
            obj = getattr(base.value, node.attr)
            if isinstance(obj, np.ndarray):
                return self.const_table(node.attr, obj, node)
            return PyVal(obj)
        raise self.err(AlloSyntaxError, f"attribute '{node.attr}' is not supported here", node,
                       hint="buffers have '.shape'; streams have '.put(v)' and '.get()'")

    # -- indexing
    def _lower_Subscript(self, node: ast.Subscript) -> Any:
        base = self.lower(node.value)
        if isinstance(base, PyVal):
            return self.const_subscript(base.value, node)
        if isinstance(base, BufView):
            return self.buffer_subscript(base, node)
        if isinstance(base, structs.StructValue):
            return structs.field_read(self, base, node)
        return self.bit_read(base, node)

    def slice_elts(self, node: ast.Subscript) -> List[ast.AST]:
        s = node.slice
        return list(s.elts) if isinstance(s, ast.Tuple) else [s]

    def const_subscript(self, obj: Any, node: ast.Subscript) -> PyVal:
        if is_kernel_obj(obj):
            args = [self.const(e, "template argument") for e in self.slice_elts(node)]
            name = None
            if args and isinstance(args[-1], str):
                name = args.pop()
            return PyVal(TemplateInstance(obj, tuple(args), name))
        key = self.const(node.slice, "subscript")
        try:
            return PyVal(obj[key])
        except AlloError as e:  # a bad type such as int32[0]: point at the user's code
            raise self.relocated(e, node) from None
        except (ValueError, TypeError, IndexError, KeyError) as e:
            raise self.err(AlloTypeError, f"cannot evaluate this subscript at compile time: {e}",
                           node, hint="shapes are positive integer constants, "
                                      "e.g. int8[M, K]") from None

    def buffer_subscript(self, view: BufView, node: ast.Subscript) -> Any:
        elts = self.slice_elts(node)
        shape = view.shape
        if any(isinstance(e, ast.Slice) for e in elts):  # a copy of the box (slices.py)
            from .slices import read_slice

            return read_slice(self, view, node)
        if len(elts) > len(shape):
            raise self.err(AlloTypeError, f"too many indices for '{view.name}': "
                           f"{len(view.prefix) + len(elts)} given, rank is {view.type.rank}",
                           node, hint=f"'{view.name}' has shape {list(view.type.shape)}")
        idx = tuple(self.index(e, d) for e, d in zip(elts, shape))
        for k, (e, i) in enumerate(zip(elts, idx)):
            check_static_bounds(self, i, view.name, view.type.shape[len(view.prefix) + k],
                                len(view.prefix) + k, e)
        full = BufView(view.name, view.prefix + idx, view.type)
        if full.shape or view.is_stream:
            return full
        return Load(view.name, full.prefix, view.type.dtype)

    # -- operators
    def _lower_BinOp(self, node: ast.BinOp) -> Any:
        op = BINOPS.get(type(node.op))
        if op is None and not isinstance(node.op, ast.MatMult):
            raise self.err(AlloSyntaxError, f"operator '{type(node.op).__name__}' is not "
                           "supported", node, hint="use +, -, *, /, //, %, **, &, |, ^, <<, >>")
        if isinstance(node.op, ast.MatMult):
            return arrays.matmul(self, self.lower(node.left), self.lower(node.right), node)
        a, b = self.lower(node.left), self.lower(node.right)
        if op is not None and (self.is_array(a) or self.is_array(b)):
            return arrays.elementwise(self, op, a, b, node)
        a, b = self.require_scalar(a, node.left), self.require_scalar(b, node.right)
        return self.binop(op, a, b, node)

    @staticmethod
    def is_array(v: Any) -> bool:
        """A whole-array value (a buffer with dimensions left), for array operations."""
        return isinstance(v, BufView) and bool(v.shape) and not v.is_stream

    def binop(self, op: str, a: Any, b: Any, node: ast.AST) -> Any:
        """Apply arithmetic/bitwise ``op`` with Allo's typing rules (PyVals fold)."""
        if isinstance(a, PyVal) and isinstance(b, PyVal):
            self.check_const_operands(op, a.value, b.value, node)
            try:
                return PyVal(PYOPS[op](a.value, b.value))
            except (ZeroDivisionError, TypeError, ValueError, OverflowError) as e:
                raise self.err(AlloTypeError, f"cannot evaluate constant expression: {e}", node,
                               hint="check the constant operands") from None
        ea = to_expr(a, b if isinstance(b, Expr) else None)
        eb = to_expr(b, ea)
        ta, tb = ea.type, eb.type
        if op in ("shl", "shr") and ta.is_fixed and tb.is_int:
            return bitops.fixed_shift(op, ea, eb)  # ap_fixed's shift of the raw bits
        if op in ("and", "or", "xor", "shl", "shr") and any(
                t.is_float or t.is_fixed for t in (ta, tb)):
            raise self.err(AlloTypeError, f"operator '{op}' needs integer operands, got "
                           f"{ta!r} and {tb!r}", node, hint="cast with int(...) first")
        if op == "mod" and (ta.is_fixed or tb.is_fixed):
            # docs/semantics.md: mod is defined on integers and floats, not fixed point
            raise self.err(AlloTypeError, f"operator '%' needs integer or float operands, got "
                           f"{ta!r} and {tb!r}", node,
                           hint="mod is not defined on fixed point: cast with int(...) or "
                                "float(...) first")
        if op in ("shl", "shr"):
            if isinstance(b, PyVal) and b.value < 0:  # Python raises on this, so do we
                raise self.err(AlloTypeError, f"negative shift count {b.value}", node,
                               hint=f"shift the other way: use {'>>' if op == 'shl' else '<<'}")
            return Op(op, (ea, cast(eb, ta)), ta)
        if op == "tdiv":  # allo.div: C division on integers (as upstream), '/' otherwise
            op = "div"
        elif op == "div" and not (ta.is_float or tb.is_float or ta.is_fixed or tb.is_fixed):
            return Op("div", (cast(ea, float32), cast(eb, float32)), float32)
        if op == "pow":
            if not (ta.is_float or tb.is_float):
                raise self.err(AlloTypeError, "'**' needs a float operand", node,
                               hint="write x * x for integer powers, or use float(x)")
            ea, eb, t = unify(ea, eb, None)
            return Op("pow", (ea, eb), t)
        ea, eb, t = unify(ea, eb, op)
        return Op(op, (ea, eb), t)

    def check_const_operands(self, op: str, a: Any, b: Any, node: ast.AST) -> None:
        """Refuse constant folding that would build an absurdly large Python int (and
        hang the compiler): ``1 << 10**9``, ``10 ** 10**9``."""
        if not all(isinstance(x, (int, np.integer)) for x in (a, b)):
            return
        a, b = int(a), int(b)
        big = (op == "shl" and b > MAX_CONST_BITS) or (
            op == "pow" and abs(a) > 1 and b * max(abs(a).bit_length() - 1, 1) > MAX_CONST_BITS)
        if big:
            raise self.err(AlloTypeError, "this constant expression has more than "
                           f"{MAX_CONST_BITS} bits", node,
                           hint="use a smaller constant; kernel values are at most a few "
                                "hundred bits wide")

    def _lower_UnaryOp(self, node: ast.UnaryOp) -> Any:
        v = self.lower(node.operand)
        if self.is_array(v) and isinstance(node.op, (ast.USub, ast.UAdd)):
            if isinstance(node.op, ast.UAdd):
                return v
            return arrays.unary(self, lambda e: Op("neg", (e,), e.type), v, node, "neg")
        v = self.require_scalar(v, node.operand)
        if isinstance(node.op, ast.Not):
            b = self.to_bool(v)
            return PyVal(not b.value) if isinstance(b, PyVal) else Op("lnot", (b,), BOOL)
        if isinstance(v, PyVal):
            fn = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}
            try:
                return PyVal(fn[type(node.op)](v.value))
            except TypeError:  # ~1.5
                raise self.err(AlloTypeError, f"'~' needs an integer, got {v.value!r}", node,
                               hint="bitwise not applies to integers") from None
        if isinstance(node.op, ast.UAdd):
            return v
        if isinstance(node.op, ast.USub):
            return Op("neg", (v,), v.type)
        if v.type.is_float or v.type.is_fixed:
            raise self.err(AlloTypeError, f"'~' needs an integer, got {v.type!r}", node,
                           hint="bitwise not applies to integers")
        return Op("not", (v,), v.type)

    def to_bool(self, v: Any) -> Any:
        """Condition value: bool stays, anything else becomes ``ne(x, 0)``."""
        if isinstance(v, PyVal):
            return PyVal(bool(v.value))
        if v.type == BOOL:
            return v
        return Op("ne", (v, literal(0, v.type)), BOOL)

    def cond(self, node: ast.AST) -> Any:
        """Lower a condition (bool Expr or a compile-time PyVal(bool))."""
        return self.to_bool(self.scalar(node))

    def _lower_Compare(self, node: ast.Compare) -> Any:
        parts: List[Any] = []
        left = self.scalar(node.left)
        for op_node, right_node in zip(node.ops, node.comparators):
            op = CMPOPS.get(type(op_node))
            if op is None:
                raise self.err(AlloSyntaxError, f"comparison '{type(op_node).__name__}' is not "
                               "supported", node, hint="use ==, !=, <, <=, >, >=")
            right = self.scalar(right_node)
            if isinstance(left, PyVal) and isinstance(right, PyVal):
                parts.append(PyVal(PYCMP[op](left.value, right.value)))
            else:
                a, b, _ = unify(left, right, None)
                parts.append(Op(op, (a, b), BOOL))
            left = right
        return self.logical("land", parts)

    def logical(self, op: str, parts: List[Any]) -> Any:
        if all(isinstance(p, PyVal) for p in parts):
            vals = [bool(p.value) for p in parts]
            return PyVal(all(vals) if op == "land" else any(vals))
        exprs = [to_expr(p) if isinstance(p, PyVal) else p for p in parts]
        out = exprs[0]
        for e in exprs[1:]:
            out = Op(op, (out, e), BOOL)
        return out

    def _lower_BoolOp(self, node: ast.BoolOp) -> Any:
        op = "land" if isinstance(node.op, ast.And) else "lor"
        return self.logical(op, [self.cond(v) for v in node.values])

    def _lower_IfExp(self, node: ast.IfExp) -> Any:
        c = self.cond(node.test)
        if isinstance(c, PyVal):  # decided at compile time (e.g. on a template parameter)
            return self.scalar(node.body if c.value else node.orelse)
        a, b = self.scalar(node.body), self.scalar(node.orelse)
        for side, v in ((node.body, a), (node.orelse, b)):
            if isinstance(v, Expr) and any(isinstance(x, StreamGet) for x in walk_expr(v)):
                # a select evaluates both sides: the FIFO would be popped either way
                raise self.err(AlloSyntaxError, "a stream '.get()' inside 'a if c else b' "
                               "would be read whichever way the condition goes", side,
                               hint="read it in an if statement: if c: x = s.get() else: ...")
        a, b, t = unify(a, b, None)
        return Op("select", (c, a, b), t)

    # -- calls
    def _lower_Call(self, node: ast.Call) -> Any:
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr in ("get", "put"):
            base = self.lower(f.value)
            if isinstance(base, BufView) and base.is_stream:
                if f.attr == "put":
                    raise self.err(AlloSyntaxError, "'.put(...)' returns nothing and cannot be "
                                   "used as a value", node, hint="call it as a statement")
                if node.args or node.keywords:
                    raise self.err(AlloTypeError, "'.get()' takes no arguments", node,
                                   hint="write fifo.get()")
                return self.stream_get(base, node)
            if isinstance(base, BufView):
                raise self.err(AlloTypeError, f"'{base.name}' is not a stream, it has no "
                               f"'.{f.attr}()'", node, hint="declare it as Stream[T, depth]")
        if isinstance(f, ast.Attribute) and f.attr in bitops.METHODS and \
                not isinstance(self.lower(f.value), PyVal):
            return bitops.method_call(self, node)
        callee = self.lower(f)
        if not isinstance(callee, PyVal):
            raise self.err(AlloTypeError, "this expression is not callable", f,
                           hint="call kernels, min/max, float/int or math functions")
        return self.call_object(callee.value, node)

    def stream_get(self, view: BufView, node: ast.AST) -> Expr:
        if view.shape:
            raise self.err(AlloTypeError, f"'{view.name}' is an array of streams; index it "
                           f"fully ({len(view.shape)} more index(es)) before '.get()'", node,
                           hint=f"e.g. {view.name}[i, j].get()")
        if view.type.dtype.block:
            raise self.err(AlloTypeError, f"'{view.name}' is a stream of "
                           f"{list(view.type.dtype.block)} blocks; read a block into a "
                           "declared buffer", node,
                           hint=f"write blk: {view.type.dtype.dtype!r}"
                                f"{list(view.type.dtype.block)} = {view.name}.get()")
        return StreamGet(view.name, view.prefix, view.type.dtype.dtype)

    def call_object(self, obj: Any, node: ast.Call) -> Any:
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise self.err(AlloSyntaxError, "star arguments (*args) are not supported", a,
                               hint="pass each argument explicitly")
        if is_one_of(obj, range, ab.grid, ab.reduction):
            raise self.err(AlloSyntaxError, f"'{obj.__name__}' can only be the iterable of a for "
                           "loop", node, hint="write: for i in range(N): ...")
        if is_kernel_obj(obj):
            names = self.call_kernel(node, obj)
            if not names:
                raise self.err(AlloTypeError, "this kernel returns nothing; it cannot be used "
                               "as a value", node, hint="call it as a statement")
            if len(names) > 1:
                raise self.err(AlloTypeError, "this kernel returns several values; assign "
                               "them to a tuple of names", node, hint="C, D = kernel(...)")
            return self.symbol_value(names[0], self.symbols[names[0]])
        if id(obj) in arrays.ARRAY_FUNCS:
            return arrays.call(self, obj, node)
        if id(obj) in nn_calls.NN_FUNCS:
            return nn_calls.call(self, obj, node)
        if node.keywords:
            raise self.err(AlloSyntaxError, "keyword arguments are not supported here",
                           node.keywords[0].value, hint="pass arguments by position")
        values = [self.lower(a) for a in node.args]
        if id(obj) in ab.MATH_OPS and any(self.is_array(v) for v in values):
            return arrays.math_call(self, obj, values, node)
        args = [self.require_scalar(v, a) for v, a in zip(values, node.args)]
        if is_one_of(obj, Int, UInt, Fixed, UFixed, Float):  # a type, e.g. in Fixed(8, 4)[M]
            if not all(isinstance(a, PyVal) for a in args):
                raise self.err(AlloTypeError, f"'{obj.__name__}(...)' needs constant arguments",
                               node, hint="e.g. Fixed(8, 4)")
            try:
                return PyVal(obj(*(a.value for a in args)))
            except AlloError as e:
                raise self.relocated(e, node) from None
            except (TypeError, ValueError) as e:
                raise self.err(AlloTypeError, f"bad type {obj.__name__}(...): {e}", node,
                               hint="e.g. Int(12), Fixed(8, 4)") from None
        return self.builtin_call(obj, args, node)

    def builtin_call(self, obj: Any, args: List[Any], node: ast.Call) -> Any:
        name = getattr(obj, "__name__", repr(obj))

        def arity(n: int) -> None:
            if len(args) != n:
                raise self.err(AlloTypeError, f"'{name}' takes {n} argument(s), "
                               f"{len(args)} given", node, hint="check the call")

        if is_one_of(obj, py.min, py.max):
            if len(args) < 2:
                raise self.err(AlloTypeError, f"'{name}' needs at least 2 arguments in a kernel",
                               node, hint=f"write {name}(a, b)")
            out = args[0]
            for b in args[1:]:
                if isinstance(out, PyVal) and isinstance(b, PyVal):
                    out = PyVal(obj(out.value, b.value))
                else:
                    x, y, t = unify(out, b, None)
                    out = Op(name, (x, y), t)
            return out
        if is_one_of(obj, py.float, py.int, py.bool) or isinstance(obj, AlloType):
            arity(1)
            if obj is py.bool:
                return self.to_bool(args[0])
            if isinstance(args[0], PyVal) and not isinstance(obj, AlloType):
                return PyVal(obj(args[0].value))
            t = obj if isinstance(obj, AlloType) else (float32 if obj is py.float else int32)
            return convert(to_expr(args[0]), t)  # bool_(x) is truthiness, like bool(x)
        op = ab.MATH_OPS.get(id(obj))
        if op is None:
            raise self.err(AlloNameError, f"cannot call '{name}' in a kernel", node.func,
                           hint="kernels may call other kernels, min/max, abs, float/int, "
                                "type casts (int8(x)) and allo math functions")
        if op == "pow":
            arity(2)
            return self.binop("pow", args[0], args[1], node)
        arity(1)
        x = args[0]
        if op == "abs":
            if isinstance(x, PyVal):
                return PyVal(py.abs(x.value))
            return Op("abs", (x,), x.type)
        if isinstance(x, PyVal):
            x = PyVal(float(x.value))
        x = to_expr(x)
        if not x.type.is_float:
            x = cast(x, float32)
        return Op(op, (x,), x.type)
