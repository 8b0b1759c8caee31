"""Lowering of one kernel (a Python ``def``) to an IR :class:`~allo.ir.nodes.Func`.

Statements map one-to-one where they can: ``for`` over ``range``/``allo.grid``/
``allo.reduction`` -> ``For`` (named by variable, grouped into named bands), ``if`` ->
``If``, ``while`` -> ``While``, subscripted assignment -> ``Store``, annotated
declarations -> ``Alloc`` (scalars are 0-d buffers), kernel calls -> ``Call``.

Choices: assigning to a scalar *parameter* is rejected (declare a local copy); a
``return`` must be the last statement of the kernel; unannotated ``x = expr`` declares a
local scalar of the expression's type (``int32``/``float32`` for bare literals).

Example::

    >>> from allo.ir.types import int32
    >>> def add1(A: int32[4]) -> int32[4]:
    ...     B: int32[4] = 0
    ...     for i in range(4):
    ...         B[i] = A[i] + 1
    ...     return B
    >>> # FuncLowerer(...).run() gives Func("add1", [Param("A", int32[4])], [int32[4]], ...)
"""

from __future__ import annotations

import ast
from typing import Any, List, Optional, Tuple

import numpy as np

from ..errors import AlloError, AlloNameError, AlloSyntaxError, AlloTypeError
from ..ir.nodes import (Alloc, Const, Func, If, Load, StreamGet, StreamPut, Store,
                        While)
from ..ir.types import ConstExprType, Qualified, Struct
from ..ir.types import AlloType, BufferType, StreamType
from .context import MISSING, Resolver, SourceInfo
from .exprs import BufView, ExprLowerer, Symbol, fmt_type, is_kernel_obj
from .typing import BOOL, PyVal, convert, literal, numpy_dtype_type, to_expr
from . import transfers
from .scopes import unique_local_names
from .signature import SignatureLowerer
from .element_stores import ElementStoreLowerer
from .slices import has_slice, store_slice
from .types_eval import TypeEvaluator

UNSUPPORTED_STMT = {
    ast.Break: ("'break'", "loops must have static bounds; guard the body with 'if'"),
    ast.Continue: ("'continue'", "guard the rest of the body with 'if'"),
    ast.Try: ("'try' blocks", "kernels cannot raise or catch exceptions"),
    ast.Raise: ("'raise'", "kernels cannot raise exceptions"),
    ast.Assert: ("'assert'", "check inputs outside the kernel"),
    ast.Delete: ("'del'", "buffers live until the kernel returns"),
    ast.Import: ("imports", "import at module level"),
    ast.ImportFrom: ("imports", "import at module level"),
    ast.Global: ("'global' declarations", "read globals directly; kernels cannot rebind them"),
    ast.Nonlocal: ("'nonlocal' declarations", "kernels cannot rebind outer variables"),
    ast.ClassDef: ("class definitions", "define classes outside kernels"),
    ast.AsyncFunctionDef: ("async functions", "kernels are plain functions"),
    ast.AsyncFor: ("'async for'", "use a plain for loop"),
    ast.AsyncWith: ("'async with'", "remove it"),
    ast.Match: ("'match' statements", "use if/elif/else"),
}


class FuncLowerer(SignatureLowerer, ElementStoreLowerer, ExprLowerer, TypeEvaluator):
    """Lower one Python function to a Func. ``mb`` is the module builder (for callees)."""

    def __init__(self, mb: Any, fn: Any, info: SourceInfo, resolver: Resolver, name: str,
                 attrs: Optional[dict] = None, evaluated_annotations: bool = True):
        self.mb, self.fn, self.info, self.resolver, self.name = mb, fn, info, resolver, name
        self.attrs = dict(attrs or {})
        self.use_runtime_annotations = evaluated_annotations
        self.symbols: dict = {}
        self.blocks: List[List[Any]] = [[]]
        self.tables: List[Alloc] = []
        self.out_of_scope: dict = {}
        self.dead_loop_vars: set = set()
        self.band_count = 0
        self.temp_count = 0
        self.results: List[Any] = []
        # loop variables bound to an expression of the IR counter (negative-step ranges)
        self.loop_values: dict = {}
        # enclosing loops for static bounds checks: (name, (first, last) or None)
        self.loop_ranges: List[Any] = []
        self.guard_depth = 0  # > 0 inside a runtime if/while: accesses may never run

    # ------------------------------------------------------------ driver
    def run(self) -> Func:
        fd = self.info.func_def
        params = self.guarded(fd, self.lower_params, fd)
        self.results = self.guarded(fd.returns or fd, self.lower_returns, fd)
        body = fd.body
        for k, stmt in enumerate(body):
            if isinstance(stmt, ast.Return) and k != len(body) - 1:
                raise self.err(AlloSyntaxError, "'return' must be the last statement of a "
                               "kernel", stmt, hint="compute into a local and return it at the end")
            self.stmt(stmt, top_level=True)
        if self.results and not isinstance(body[-1], ast.Return):
            raise self.err(AlloTypeError, f"kernel '{fd.name}' declares a return type but does "
                           "not end with 'return'", fd.returns,
                           hint="add 'return <value>' or remove the '->' annotation")
        func = Func(self.name, params, self.results, self.tables + self.blocks[0],
                    self.attrs, loc=self.info.loc(fd))
        unique_local_names(func)
        return func

    # ------------------------------------------------------------ helpers
    def emit(self, stmt: Any) -> None:
        self.blocks[-1].append(stmt)

    def block(self, stmts: List[ast.stmt]) -> List[Any]:
        """Lower a nested body. Locals declared in it are scoped to it (like C): the
        Alloc runs (and re-initializes) where it stands, so it cannot outlive the block."""
        self.blocks.append([])
        before = set(self.symbols)
        try:
            for s in stmts:
                self.stmt(s)
        finally:
            out = self.blocks.pop()
        for name in set(self.symbols) - before:
            if self.symbols[name].kind in ("local", "struct"):
                self.out_of_scope[name] = self.symbols.pop(name)
            elif self.symbols[name].kind == "const":
                self.symbols.pop(name)
        return out

    def declare(self, name: str, t: BufferType, node: ast.AST, init: Any = None) -> None:
        if name in self.symbols:
            what = {"loop": "a loop variable", "param": "a parameter"}.get(
                self.symbols[name].kind, "already declared")
            raise self.err(AlloNameError, f"'{name}' is {what}" if what != "already declared"
                           else f"'{name}' is already declared", node,
                           hint="choose a new name; a name is declared once per kernel")
        self.out_of_scope.pop(name, None)  # a new variable (renamed apart in the IR)
        self.symbols[name] = Symbol("local", t)
        self.emit(Alloc(name, t, init, loc=self.info.loc(node)))

    def fresh(self, base: str) -> str:
        while True:
            name = f"{base}_res{self.temp_count}"
            self.temp_count += 1
            if name not in self.symbols and self.resolver.lookup(name) is MISSING:
                return name

    def const_table(self, name: str, array: np.ndarray, node: ast.AST) -> BufView:
        """A global numpy array read in the kernel becomes a constant local buffer."""
        sym = self.symbols.get(name)
        if sym is not None and sym.kind == "local" and any(t.name == name for t in self.tables):
            return BufView(name, (), sym.type)
        t = numpy_dtype_type(array.dtype)
        if t is None or array.ndim == 0 or name in self.symbols:
            raise self.err(AlloTypeError, f"global array '{name}' (dtype {array.dtype}, shape "
                           f"{array.shape}) cannot be used as a constant table", node,
                           hint="use a numeric numpy array of rank >= 1 with a unique name")
        bt = BufferType(t, array.shape)
        self.symbols[name] = Symbol("local", bt)
        self.tables.append(Alloc(name, bt, np.asarray(array, dtype=t.numpy_dtype()),
                                 loc=self.info.loc(node)))
        return BufView(name, (), bt)

    # ------------------------------------------------------------ statements
    def stmt(self, node: ast.stmt, top_level: bool = False) -> None:
        self.guarded(node, self._stmt, node, top_level)

    def guarded(self, node: ast.AST, fn: Any, *args: Any) -> Any:
        """Run ``fn(*args)``; any non-Allo exception becomes an AlloError at ``node``."""
        try:
            return fn(*args)
        except AlloError:
            raise
        except RecursionError:
            raise self.err(AlloSyntaxError, "expression nested too deeply", node,
                           hint="split it into several statements") from None
        except Exception as e:  # a frontend bug must still point at the user's line
            raise self.err(AlloError, f"internal frontend error ({type(e).__name__}: {e}) "
                           "while lowering this code", node,
                           hint="please report this; rewriting the code may avoid it") from e

    def _stmt(self, node: ast.stmt, top_level: bool) -> None:
        if type(node) in UNSUPPORTED_STMT:
            what, hint = UNSUPPORTED_STMT[type(node)]
            raise self.err(AlloSyntaxError, f"{what} are not supported in kernels"
                           if what.endswith("s") else f"{what} is not supported in kernels",
                           node, hint=hint)
        method = getattr(self, "_stmt_" + type(node).__name__, None)
        if method is None:
            raise self.err(AlloSyntaxError, f"'{type(node).__name__}' statements are not "
                           "supported in kernels", node, hint="see the Kernels section of API.md")
        if isinstance(node, ast.Return):
            if not top_level:
                raise self.err(AlloSyntaxError, "'return' must be the last statement of a "
                               "kernel", node, hint="compute into a local and return it at the end")
        method(node)
        self.meta_last_stmt = node  # meta_elif/meta_else must follow their meta_if

    def _stmt_FunctionDef(self, node: ast.FunctionDef) -> None:
        from .nested import lower_nested_def

        lower_nested_def(self, node)

    def _stmt_With(self, node: ast.With) -> None:
        from .meta import lower_with

        lower_with(self, node)

    def _stmt_Pass(self, node: ast.Pass) -> None:
        pass

    def _stmt_Expr(self, node: ast.Expr) -> None:
        v = node.value
        if isinstance(v, ast.Constant) and isinstance(v.value, str):
            return  # docstring / comment string
        if isinstance(v, ast.Call):
            f = v.func
            if isinstance(f, ast.Attribute) and f.attr == "put":
                base = self.lower(f.value)
                if isinstance(base, BufView) and base.is_stream:
                    return self.stream_put(base, v)
                raise self.err(AlloTypeError, "'.put(...)' needs a stream", v,
                               hint="declare the buffer as Stream[T, depth]")
            if isinstance(f, ast.Attribute) and f.attr == "get" and not v.args:
                base = self.lower(f.value)
                if isinstance(base, BufView) and base.is_stream:
                    # a get whose value is dropped still pops the FIFO (a drain)
                    value = self.stream_get(base, v)
                    name = self.fresh(base.name)
                    self.declare(name, BufferType(value.type, ()), node)
                    self.emit(Store(name, (), value, loc=self.info.loc(node)))
                    return
            callee = self.callee_object(v)
            if callee is not None:
                self.call_kernel(v, callee)
                return
            self.lower(v)  # a value-producing builtin (evaluated for its errors)
            raise self.err(AlloSyntaxError, "this call's result is unused", node,
                           hint="assign it to a variable")
        self.lower(v)  # unsupported syntax (yield, lambda, ...) reports its own error
        raise self.err(AlloSyntaxError, "this expression statement has no effect", node,
                       hint="assign the value, e.g. x = ...")

    def stream_put(self, view: BufView, node: ast.Call) -> None:
        if view.shape:
            raise self.err(AlloTypeError, f"'{view.name}' is an array of streams; index it "
                           "fully before '.put(...)'", node, hint=f"e.g. {view.name}[i].put(v)")
        if len(node.args) != 1 or node.keywords:
            raise self.err(AlloTypeError, "'.put(v)' takes exactly one value", node,
                           hint="write fifo.put(value)")
        elem = view.type.dtype.dtype
        if view.type.dtype.block:
            return transfers.block_transfer(self, view, node, node.args[0], put=True)
        v = to_expr(self.scalar(node.args[0]))
        self.emit(StreamPut(view.name, view.prefix, convert(v, elem), loc=self.info.loc(node)))

    def callee_object(self, call: ast.Call) -> Any:
        """The kernel a call node calls (function or template instance), else None."""
        root = call.func
        while isinstance(root, (ast.Attribute, ast.Subscript)):
            root = root.value
        if not isinstance(root, ast.Name):
            return None
        if root.id in self.symbols and self.symbols[root.id].kind != "const":
            return None
        v = self.lower(call.func)
        if isinstance(v, PyVal) and is_kernel_obj(v.value):
            return v.value
        return None

    # -- declarations and assignments
    def _stmt_AnnAssign(self, node: ast.AnnAssign) -> None:
        if not isinstance(node.target, ast.Name):
            raise self.err(AlloSyntaxError, "only a plain name can be declared with a type",
                           node.target, hint="write name: T[...] = value")
        name = node.target.id
        t = self.annotation_type(node.annotation, f"'{name}'")
        if isinstance(t, ConstExprType):
            from .meta import declare_constexpr

            return declare_constexpr(self, node, t.dtype)
        if isinstance(t, Qualified):
            from .stateful import declare_qualified

            return declare_qualified(self, node, t)
        if isinstance(t, Struct):
            from .structs import declare_struct

            self.symbols[node.target.id] = Symbol("struct", t, declare_struct(self, node, t))
            return
        if isinstance(t, (AlloType, StreamType)):
            t = BufferType(t, ())
        if name in self.symbols:
            sym = self.symbols[name]
            if sym.kind == "local" and sym.type == t and not t.is_stream and \
                    (isinstance(node.value, ast.List) if t.shape else node.value is not None):
                # Python has one variable per name in a function: declaring it again with
                # its own type assigns it (an array: new values from a list literal)
                return self._stmt_Assign(ast.copy_location(ast.Assign([node.target],
                                                                      node.value), node))
            self.declare(name, t, node.target)  # raises the redeclaration error
        v = node.value
        if v is None:
            return self.declare(name, t, node)
        if t.is_stream:
            raise self.err(AlloTypeError, f"stream '{name}' cannot have an initial value",
                           v, hint="declare it without '= ...' and fill it with .put()")
        callee = self.callee_object(v) if isinstance(v, ast.Call) else None
        if callee is not None:
            self.declare(name, t, node)
            self.call_kernel(v, callee, results=[name])
            return
        blocks = transfers.block_stream_of(self, v)
        if blocks is not None:
            self.declare(name, t, node)
            return transfers.block_transfer(self, blocks, v, name, put=False)
        if isinstance(v, ast.List):  # a list literal: a constant array
            return self.declare(name, t, node, self.list_table(name, t, v))
        init = self.lower(v)
        if isinstance(init, PyVal) and isinstance(init.value, np.ndarray):
            init = self.const_table_init(name, t, init.value, v)
        if isinstance(init, BufView):
            if any(a.name == init.name for a in self.tables) and not init.prefix:
                arr = next(a.init for a in self.tables if a.name == init.name)
                return self.declare(name, t, node, self.const_table_init(name, t, arr, v))
            return self.init_from_buffer(name, t, init, node)
        if isinstance(init, np.ndarray):
            return self.declare(name, t, node, init)
        init = self.require_scalar(init, v)
        if isinstance(init, PyVal):
            if t.dtype == BOOL:
                return self.declare(name, t, node, convert(init, BOOL))
            return self.declare(name, t, node, literal(init.value, t.dtype))
        value = convert(init, t.dtype)
        if t.shape:
            return self.declare(name, t, node, value)
        self.declare(name, t, node)
        self.emit(Store(name, (), value, loc=self.info.loc(node)))

    def init_from_buffer(self, name: str, t: BufferType, init: BufView, node: ast.AST) -> None:
        """``B: T[M, N] = <buffer or array expression>``: B gets a copy (a fresh array
        result of exactly B's type becomes B itself)."""
        from . import arrays

        if init.is_stream or t.is_stream:
            raise self.err(AlloTypeError, f"'{name}' cannot be initialized from stream "
                           f"'{init.name}'", node.value, hint="read it with .get()")
        if not t.shape:
            raise self.err(AlloTypeError, f"'{name}' cannot be initialized from buffer "
                           f"'{init.name}' (a part of shape {list(init.shape)}): '{name}' is a "
                           "scalar", node.value, hint=f"index all {len(init.shape)} remaining "
                                                      "dimension(s)")
        if init.view_type() == BufferType(t.dtype, t.shape) and \
                arrays.adopt(self, init, name, node.target):
            return
        self.declare(name, t, node)
        arrays.copy_into(self, BufView(name, (), t), init, node.value)

    def list_table(self, name: str, t: BufferType, v: ast.List) -> np.ndarray:
        """The values of list literal ``v`` (evaluated at compile time) for buffer ``name``."""
        from .meta import const_eval

        try:
            arr = np.array(const_eval(self, v, f"the list initializing '{name}'"))
        except ValueError as e:
            raise self.err(AlloTypeError, f"the list initializing '{name}' is not a "
                           f"rectangular array ({e})", v,
                           hint="nest lists of equal lengths") from None
        if arr.dtype.kind not in "biuf":
            raise self.err(AlloTypeError, f"the list initializing '{name}' holds "
                           "non-numbers", v, hint="use numbers only")
        return self.const_table_init(name, t, arr, v)

    def const_table_init(self, name: str, t: BufferType, arr: np.ndarray,
                         node: ast.AST) -> np.ndarray:
        if tuple(arr.shape) != t.shape:
            raise self.err(AlloTypeError, f"initializer of '{name}' has shape "
                           f"{list(arr.shape)}, but '{name}' is {fmt_type(t)}", node,
                           hint="make the array's shape match the declaration")
        return np.asarray(arr).astype(t.dtype.numpy_dtype())

    def _stmt_Assign(self, node: ast.Assign) -> None:
        if len(node.targets) != 1:
            raise self.err(AlloSyntaxError, "chained assignment (a = b = ...) is not supported",
                           node, hint="assign each name separately")
        target = node.targets[0]
        if isinstance(target, ast.Tuple):
            return self.assign_tuple(target, node.value)
        if isinstance(target, ast.Name):
            return self.assign_name(target, node.value, node)
        if isinstance(target, ast.Subscript):
            if has_slice(target):
                base = self.lower(target.value)
                if isinstance(base, BufView):  # A[0:2, 0:3] = B, A[i, :] = v (x[lo:hi] = v sets bits)
                    self.check_writable(base.name, target)
                    return store_slice(self, base, target, node.value, node)
            return self.assign_subscript(target, self.lower_rhs(node.value), node)
        raise self.err(AlloSyntaxError, "cannot assign to this target", target,
                       hint="assign to a name, a buffer element A[i, j] or bits x[k]")

    def lower_rhs(self, v: ast.AST) -> Any:
        return self.scalar(v)

    def check_writable(self, name: str, node: ast.AST) -> Symbol:
        sym = self.symbols[name]
        if sym.kind == "const":
            raise self.err(AlloTypeError, f"cannot assign to compile-time constant '{name}'",
                           node, hint="declare a runtime local instead: "
                                      f"{name}_v: int32 = {name}")
        if sym.kind == "loop":
            raise self.err(AlloTypeError, f"cannot assign to loop variable '{name}'", node,
                           hint="use a separate local scalar")
        if sym.kind == "param" and isinstance(sym.type, AlloType):
            raise self.err(AlloTypeError, f"cannot assign to scalar parameter '{name}'", node,
                           hint=f"declare a local copy: {name}_v: {sym.type!r} = {name}")
        return sym

    def assign_name(self, target: ast.Name, value: ast.AST, node: ast.AST) -> None:
        name = target.id
        callee = self.callee_object(value) if isinstance(value, ast.Call) else None
        if name in self.symbols:
            sym = self.check_writable(name, target)
            t = sym.type
            if sym.kind == "struct":
                from .structs import assign_struct

                return assign_struct(self, sym.value, value, node)
            if callee is not None:
                self.call_kernel(value, callee, results=[name])
                return
            if isinstance(t, StreamType) or t.is_stream:
                raise self.err(AlloTypeError, f"cannot assign to stream '{name}'", target,
                               hint=f"use {name}.put(value)")
            if t.shape:
                from . import arrays

                if isinstance(value, ast.List):  # A = [[1, 2], [3, 4]]: a constant table
                    table = self.fresh(name)
                    tt = BufferType(t.dtype, t.shape)
                    self.declare(table, tt, value, self.list_table(name, tt, value))
                    arrays.copy_into(self, BufView(name, (), t), BufView(table, (), tt), value)
                    return
                v = self.lower(value)
                if not isinstance(v, BufView):
                    raise self.err(AlloTypeError, f"cannot assign a scalar to the whole buffer "
                                   f"'{name}'", target, hint="assign elements in a loop, e.g. "
                                                             f"{name}[i] = ..., or copy a buffer "
                                                             f"of the same shape: {name} = B")
                arrays.copy_into(self, BufView(name, (), t), v, value)  # C = B copies
                return
            v = to_expr(self.scalar(value))
            self.emit(Store(name, (), convert(v, t.dtype), loc=self.info.loc(node)))
            return
        if callee is not None:
            self.call_kernel(value, callee, results=None, names=[name], node_for_names=target)
            return
        v = self.lower(value)
        if isinstance(v, BufView) and not v.is_stream and v.shape:
            from . import arrays

            if not arrays.adopt(self, v, name, target):  # D = A: D is a copy of A
                bt = BufferType(v.type.dtype, v.shape)
                self.declare(name, bt, target)
                arrays.copy_into(self, BufView(name, (), bt), v, value)
            return
        if isinstance(v, BufView):
            raise self.err(AlloTypeError, f"'{name}' cannot alias buffer '{v.name}'", value,
                           hint=f"declare {name}: T[...] and copy element by element")
        v = to_expr(self.require_scalar(v, value))
        bt = BufferType(v.type, ())
        if isinstance(v, Const):
            return self.declare(name, bt, target, v)
        self.declare(name, bt, target)
        self.emit(Store(name, (), v, loc=self.info.loc(node)))

    def assign_tuple(self, target: ast.Tuple, value: ast.AST) -> None:
        callee = self.callee_object(value) if isinstance(value, ast.Call) else None
        if callee is None:
            raise self.err(AlloSyntaxError, "tuple assignment is only supported for kernel "
                           "calls returning several values", target,
                           hint="assign each name separately")
        if not all(isinstance(e, ast.Name) for e in target.elts):
            return self.assign_tuple_elements(target, value, callee)
        names = [e.id for e in target.elts]
        existing = [n for n in names if n in self.symbols]
        for n in existing:
            self.check_writable(n, target)
        self.call_kernel(value, callee, results=None, names=names, node_for_names=target)

    def assign_tuple_elements(self, target: ast.Tuple, value: ast.Call, callee: Any) -> None:
        """``C[i], d = k(...)``: call into fresh results, then assign each target from one."""
        for e in target.elts:
            if not isinstance(e, (ast.Name, ast.Subscript)):
                raise self.err(AlloSyntaxError, "each target must be a name or an element "
                               "A[i]", e, hint="C[i], D[i] = kernel(...)")
        outs = self.call_kernel(value, callee)
        if len(outs) != len(target.elts):
            got = "nothing" if not outs else f"{len(outs)} value(s)"
            raise self.err(AlloTypeError, f"the call returns {got}, but {len(target.elts)} "
                           "target(s) are assigned", target,
                           hint="match the number of targets to the kernel's results")
        for e, out in zip(target.elts, outs):
            src = ast.copy_location(ast.Name(out, ast.Load()), e)
            self._stmt_Assign(ast.copy_location(ast.Assign([e], src), e))

    # -- control flow
    def _stmt_If(self, node: ast.If) -> None:
        c = self.cond(node.test)
        if isinstance(c, PyVal):  # decided at compile time: keep only the taken branch
            for s in (node.body if c.value else node.orelse):
                self.stmt(s)
            return
        self.guard_depth += 1
        try:
            then = self.block(node.body)
            other = self.block(node.orelse)
        finally:
            self.guard_depth -= 1
        self.emit(If(c, then, other, loc=self.info.loc(node)))

    def _stmt_While(self, node: ast.While) -> None:
        if node.orelse:
            raise self.err(AlloSyntaxError, "'while ... else' is not supported", node.orelse[0],
                           hint="move the else body after the loop")
        if any(isinstance(n, ast.Call) and self.callee_object(n) is not None
               for n in ast.walk(node.test)):
            raise self.err(AlloSyntaxError, "a while condition cannot call a kernel", node.test,
                           hint="compute the condition into a local scalar inside the loop")
        c = self.cond(node.test)
        if isinstance(c, PyVal):
            c = to_expr(c)
        self.guard_depth += 1
        try:
            body = self.block(node.body)
        finally:
            self.guard_depth -= 1
        self.emit(While(c, body, loc=self.info.loc(node)))

    def _stmt_Return(self, node: ast.Return) -> None:
        from .calls import lower_return

        lower_return(self, node)

    def _stmt_For(self, node: ast.For) -> None:
        from .loops import lower_for

        lower_for(self, node)

    def call_kernel(self, node: ast.Call, target: Any, results: Optional[List[str]] = None,
                    names: Optional[List[str]] = None, node_for_names: Any = None) -> List[str]:
        from .calls import call_kernel

        return call_kernel(self, node, target, results, names, node_for_names)
