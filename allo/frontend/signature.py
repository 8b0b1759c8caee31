"""A kernel's signature: parameter and result types from its annotations.

Annotations are evaluated when ``customize()`` runs (lazily), with the kernel's name
resolution, so template parameters and sizes a module changes after the ``def`` count.

Example (inside the frontend)::

    params = lowerer.lower_params(func_def)     # [Param("A", int32[4]), ...]
    results = lowerer.lower_returns(func_def)   # [int32[4]]
"""

from __future__ import annotations

import ast
from typing import Any, List, Tuple

from ..errors import AlloNameError, AlloSyntaxError, AlloTypeError
from ..ir.nodes import Param
from ..ir.types import AlloType, BufferType, Qualified, StreamType, Struct
from .context import MISSING
from .exprs import Symbol
from .typing import PyVal


class SignatureLowerer:
    """Mixin for the function lowerer: ``lower_params`` and ``lower_returns``."""

    def lower_params(self, fd: ast.FunctionDef) -> List[Param]:
        a = fd.args
        for bad, what in ((a.vararg, "*args"), (a.kwarg, "**kwargs")):
            if bad is not None:
                raise self.err(AlloSyntaxError, f"{what} parameters are not supported", bad,
                               hint="declare every parameter with its type")
        if a.kwonlyargs or a.posonlyargs:
            node = (a.kwonlyargs or a.posonlyargs)[0]
            raise self.err(AlloSyntaxError, "keyword-only/positional-only parameters are not "
                           "supported", node, hint="use plain positional parameters")
        if a.defaults:
            raise self.err(AlloSyntaxError, "default parameter values are not supported",
                           a.defaults[0], hint="pass every argument explicitly")
        params = []
        for arg in a.args:
            if arg.annotation is None:
                raise self.err(AlloTypeError, f"parameter '{arg.arg}' has no type annotation",
                               arg, hint=f"annotate it, e.g. {arg.arg}: int32[M, N]")
            t = self.param_type(arg)
            if isinstance(t, Qualified):
                from .stateful import reject_qualified_param

                reject_qualified_param(self, arg, t)
            if isinstance(t, Struct):
                raise self.err(AlloTypeError, f"parameter '{arg.arg}' is a struct ({t!r}); "
                               "kernels take scalars and arrays", arg.annotation,
                               hint="pass one parameter (or array) per field and build the "
                                    "struct in the kernel")
            if isinstance(t, BufferType) and not t.shape and not t.is_stream:
                t = t.dtype
            if arg.arg in self.symbols:
                raise self.err(AlloNameError, f"duplicate parameter '{arg.arg}'", arg,
                               hint="rename one")
            self.symbols[arg.arg] = Symbol("param", t)
            params.append(Param(arg.arg, t, loc=self.info.loc(arg)))
        return params

    def param_type(self, arg: ast.arg) -> Any:
        runtime = getattr(self.fn, "__annotations__", {}).get(arg.arg, MISSING)
        return self.lazy_annotation(arg.annotation, f"parameter '{arg.arg}'", runtime,
                                    (AlloType, BufferType, StreamType))

    def lazy_annotation(self, node: ast.AST, what: str, runtime: Any, kinds: tuple) -> Any:
        """An annotation evaluated now (at customize()), so a size a module changes after
        the ``def`` counts; Python's value from the ``def`` is the fallback when a name
        is gone by now (a local of a function that has returned)."""
        if not (self.use_runtime_annotations and isinstance(runtime, kinds)):
            return self.annotation_type(node, what)
        try:
            return self.annotation_type(node, what)
        except AlloNameError:
            return runtime

    def lower_returns(self, fd: ast.FunctionDef) -> List[Any]:
        if fd.returns is None or (isinstance(fd.returns, ast.Constant)
                                  and fd.returns.value is None):
            return []
        node = fd.returns
        runtime = getattr(self.fn, "__annotations__", {}).get("return", MISSING)
        if self.use_runtime_annotations and isinstance(runtime, (AlloType, BufferType)):
            return [self.lazy_annotation(node, "return value", runtime, (AlloType, BufferType))]
        elts = self.return_elements(node)
        out = []
        for e in elts:
            t = self.annotation_type(e, "return value")
            if isinstance(t, Struct):
                raise self.err(AlloTypeError, f"a kernel cannot return a struct ({t!r})", e,
                               hint="return its fields as several results, e.g. -> (int32, "
                                    "float32), returning p[\"x\"], p[\"y\"]")
            if isinstance(t, BufferType) and t.is_stream or isinstance(t, StreamType):
                raise self.err(AlloTypeError, "a kernel cannot return a stream", e,
                               hint="pass the stream as a parameter")
            out.append(t.dtype if isinstance(t, BufferType) and not t.shape else t)
        return out

    def return_elements(self, node: ast.AST) -> List[ast.AST]:
        """The annotations of each result: ``(T1, T2)``, ``tuple[T1, T2]`` or one ``T``.

        A string annotation (``"tuple[T[M], T]"``) is split into one string per result so
        errors still point at the string.
        """
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                inner = ast.parse(node.value.strip(), mode="eval").body
            except SyntaxError:
                return [node]  # annotation_type reports the syntax error
            parts = self.return_elements(inner)
            if len(parts) == 1 and parts[0] is inner:
                return [node]
            return [ast.copy_location(ast.Constant(ast.unparse(p)), node) for p in parts]
        if isinstance(node, ast.Tuple):
            return list(node.elts)
        if isinstance(node, ast.Subscript) and isinstance(node.value, (ast.Name, ast.Attribute)):
            base = self.lower(node.value)
            if isinstance(base, PyVal) and (base.value is tuple or base.value is Tuple):
                s = node.slice
                elts = list(s.elts) if isinstance(s, ast.Tuple) else [s]
                if any(isinstance(e, ast.Constant) and e.value is Ellipsis for e in elts):
                    raise self.err(AlloTypeError, "a kernel returns a fixed number of values; "
                                   "'...' is not allowed in its return annotation", node,
                                   hint="list every result type: -> tuple[int32[4], int32]")
                return elts
        return [node]
