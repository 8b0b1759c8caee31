"""Evaluation of type annotations (``int8[M, K]``, ``"T[M]"``, ``Stream[int8, 4][M]``).

Annotations are evaluated at compile time with the kernel's name resolution, so sizes,
template parameters and type aliases all work; string annotations (templates) are parsed
and evaluated the same way, with errors pointing at the string.

Example (inside the frontend)::

    lowerer.annotation_type(ast.parse("int8[4, 8]", mode="eval").body, "parameter 'A'")
    # -> int8[4, 8]
"""

from __future__ import annotations

import ast
import builtins as py
from typing import Any

from ..errors import AlloSyntaxError, AlloTypeError
from ..ir.types import AlloType, BufferType, Stream, StreamType, bool_, float32, int32
from ..ir.types import ConstExprType, Qualified, Qualifier, Stateful, Struct
from ..memory import Layout, Memory
from .meta import const_eval
from .typing import PyVal

PY_TYPES = {id(py.int): int32, id(py.float): float32, id(py.bool): bool_}


class TypeEvaluator:
    """Mixin for the function lowerer: ``annotation_type(node, what)``."""

    def annotation_type(self, node: ast.AST, what: str) -> Any:
        """The Allo type an annotation denotes: AlloType, BufferType or StreamType."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                expr = ast.parse(node.value.strip(), mode="eval").body
            except SyntaxError:
                raise self.err(AlloSyntaxError, f"cannot parse the type string {node.value!r}",
                               node, hint="write e.g. \"T[M, N]\"") from None
            old = self.loc_override
            self.loc_override = old or node
            try:
                return self.annotation_type(expr, what)
            finally:
                self.loc_override = old
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            return self.qualified_type(node, what)
        v = self.lower(node)
        obj = v.value if isinstance(v, PyVal) else None
        if isinstance(obj, Qualified) and obj.qualifier is Stateful:
            return obj  # an alias: S = int32 @ Stateful
        if id(obj) in PY_TYPES:
            return PY_TYPES[id(obj)]
        if obj is Stream:
            raise self.err(AlloTypeError, f"the stream type of {what} needs an element type",
                           node, hint="write Stream[int8, 4]")
        if isinstance(obj, (AlloType, BufferType, StreamType, ConstExprType, Struct)):
            return obj
        if isinstance(obj, Qualified) and _is_memory_spec(obj.qualifier):
            return self.memory_bound_type(obj, node, what)
        if isinstance(obj, str):
            return self.annotation_type(ast.copy_location(ast.Constant(obj), node), what)
        hint = "use e.g. int32, float32[M, N] or Stream[int8, 4]"
        if what == "return value":
            hint += "; several results: -> (int32[M], int32) or -> tuple[int32[M], int32]"
        raise self.err(AlloTypeError, f"the annotation of {what} is not an Allo type", node,
                       hint=hint)

    def qualified_type(self, node: ast.BinOp, what: str) -> Any:
        """``T @ qualifier`` (the qualifier is evaluated as a Python value)."""
        base = self.annotation_type(node.left, what)
        qualifier = const_eval(self, node.right, f"the qualifier of {what}")
        if _is_memory_spec(qualifier):
            return self.memory_bound_type(Qualified(base, qualifier), node, what)
        if isinstance(qualifier, Qualifier):  # Stateful: the declaration decides (stateful.py)
            if isinstance(base, Qualified):
                raise self.err(AlloTypeError, f"the annotation of {what} has two qualifiers",
                               node, hint="use one '@' qualifier per declaration")
            return Qualified(base, qualifier)
        raise self.err(AlloTypeError, f"the annotation of {what} has '@ {ast.unparse(node.right)}'"
                       ", which is not a storage qualifier", node.right,
                       hint="write T @ Stateful or T[...] @ Memory(resource=...)")

    def memory_bound_type(self, q: Qualified, node: ast.AST, what: str) -> BufferType:
        """``T[...] @ Memory(...)``: the buffer type bound to that memory (see allo.memory)."""
        if isinstance(q.qualifier, Layout):
            raise self.err(AlloTypeError, f"{what} has layout {q.qualifier}: a Layout places a "
                           "tensor on a mesh of processing elements, which only an "
                           "allo.dataflow kernel with a mapping has", node,
                           hint="drop '@ Layout(...)' here, or bind storage with "
                                "'@ Memory(resource=...)'")
        base = q.base
        if isinstance(base, (AlloType, StreamType)):
            base = BufferType(base, ())
        if not isinstance(base, BufferType) or not (base.shape or base.is_stream):
            raise self.err(AlloTypeError, f"{what} is a scalar; Memory(...) binds an array or "
                           "a stream to a memory resource", node,
                           hint="annotate an array, e.g. A: int32[32] @ Memory(resource=\"URAM\")")
        depth = base.dtype.depth if base.is_stream else None
        problem = q.qualifier.check_target(base.is_stream, depth)
        if problem is not None:
            raise self.err(AlloTypeError, f"{what}: {problem[0]}", node, hint=problem[1])
        return base.with_memory(q.qualifier)


def _is_memory_spec(qualifier: object) -> bool:
    return isinstance(qualifier, (Memory, Layout))
