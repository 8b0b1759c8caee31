"""The hierarchical dataflow graph that partition types are inferred over.

Nodes are ``(function, buffer)`` pairs: every buffer-typed parameter and local buffer of
every function (rank >= 1). Edges are *bindings*: two nodes that name the same physical
memory, so their layouts must agree dimension by dimension. A binding relates an
``outer`` node to an ``inner`` one whose dims are ``outer``'s trailing dims from
``offset`` on (``inner`` dim ``d`` is ``outer`` dim ``offset + d``):

* a call argument ``BufRef(A, prefix)`` bound to the callee's parameter ``P``:
  outer = (caller, A), inner = (callee, P), offset = ``len(prefix)``;
* a call result ``R`` bound to the buffer the callee returns (``Return(BufRef(Q, p))``):
  outer = (callee, Q), inner = (caller, R), offset = ``len(p)``;
* aliases added explicitly with :meth:`DataflowGraph.add_binding`.

A function called from several sites binds its parameters to every caller's buffer (one
function, one interface); template instances are distinct functions with their own nodes.

Example::

    >>> from allo.ir.nodes import Func, Param, Call, BufRef, Module, Const
    >>> from allo.ir.types import int32, index
    >>> row = Func("row", [Param("X", int32[8])], [], [])
    >>> top = Func("top", [Param("A", int32[4, 8])], [],
    ...            [Call("row", [BufRef("A", (Const(0, index),))])])
    >>> build_graph(Module({"top": top, "row": row}, "top")).bindings[0].offset
    1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from ..errors import AlloNameError, AlloTypeError
from ..ir.nodes import BufRef, Call, Module, Return, walk_stmts
from ..ir.types import BufferType

Node = Tuple[str, str]  # (function name, buffer name)


@dataclass(frozen=True)
class Binding:
    """``inner`` views ``outer``'s dims ``offset ..``; ``site`` says where it comes from."""

    outer: Node
    inner: Node
    offset: int
    site: str


class DataflowGraph:
    """Nodes (with shapes) and bindings; build one from IR with :func:`build_graph`.

    Example::

        >>> g = DataflowGraph()
        >>> g.add_node(("top", "A"), (4, 8)); g.add_node(("row", "x"), (8,))
        >>> g.add_binding(("top", "A"), ("row", "x"), offset=1, site="top calls row")
        >>> len(g.bindings)
        1
    """

    def __init__(self, top: Optional[str] = None) -> None:
        self.top = top
        self.shapes: Dict[Node, Tuple[int, ...]] = {}
        self.bindings: List[Binding] = []

    def add_node(self, node: Node, shape: Sequence[int]) -> None:
        """Add (or re-declare with the same shape) the buffer ``node``."""
        shape = tuple(shape)
        old = self.shapes.get(node)
        if old is not None and old != shape:
            raise AlloTypeError(f"buffer {node[1]!r} of {node[0]!r} declared with shapes "
                                f"{old} and {shape}")
        self.shapes[node] = shape

    def add_binding(self, outer: Node, inner: Node, offset: int = 0, site: str = "") -> None:
        """Record that ``inner`` is ``outer``'s sub-view from dim ``offset`` on (0: same buffer).

        Raises :class:`AlloTypeError` if the viewed dims' extents differ.
        """
        for n in (outer, inner):
            if n not in self.shapes:
                raise AlloNameError(f"unknown buffer {n[1]!r} of function {n[0]!r}")
        so, si = self.shapes[outer], self.shapes[inner]
        if offset < 0 or so[offset:] != si:
            raise AlloTypeError(
                f"{describe(inner)} of shape {list(si)} is bound to "
                f"{describe(outer)}{_view_text(offset)} of shape {list(so[offset:])}"
                + (f" ({site})" if site else ""),
                hint="pass a buffer (or sub-view) whose trailing dimensions match the "
                     "parameter's shape")
        self.bindings.append(Binding(outer, inner, offset, site))

    @property
    def nodes(self) -> List[Node]:
        return list(self.shapes)

    def functions(self) -> List[str]:
        """Function names in the graph, in first-seen order."""
        return list(dict.fromkeys(f for f, _ in self.shapes))

    def incident(self) -> Dict[Node, List[Binding]]:
        """Bindings touching each node (both ends)."""
        table: Dict[Node, List[Binding]] = {n: [] for n in self.shapes}
        for b in self.bindings:
            table[b.outer].append(b)
            if b.inner != b.outer:
                table[b.inner].append(b)
        return table

    def target_name(self, node: Node) -> str:
        """How a schedule addresses the buffer: ``s.C`` in the top function, else ``"f:C"``."""
        func, buf = node
        return f"s.{buf}" if func == self.top else f'"{func}:{buf}"'


def describe(node: Node) -> str:
    """``"buffer 'C' of kernel 'gemm'"``."""
    return f"buffer {node[1]!r} of kernel {node[0]!r}"


def _view_text(offset: int) -> str:
    return "" if offset == 0 else f"[{', '.join(['i'] * offset)}, ...]"


def _buffer_shapes(func) -> Dict[str, Tuple[int, ...]]:
    return {name: t.shape for name, t in func.buffers().items()
            if isinstance(t, BufferType) and t.rank >= 1}


def build_graph(module: Module) -> DataflowGraph:
    """The dataflow graph of a design: every function's buffers, every call's bindings.

    Raises :class:`AlloTypeError` when a call binds buffers of different shapes, and
    :class:`AlloNameError` when it names an unknown function or buffer.

    Example: ``build_graph(module).bindings`` lists ``Binding(("top", "A"), ("gemm", "A"), 0, ...)``.
    """
    graph = DataflowGraph(module.top)
    shapes = {}
    for fname, func in module.funcs.items():
        shapes[fname] = _buffer_shapes(func)
        for bname, shape in shapes[fname].items():
            graph.add_node((fname, bname), shape)
    returned = {fname: _returned_views(func) for fname, func in module.funcs.items()}
    for fname, func in module.funcs.items():
        for stmt in walk_stmts(func.body):
            if isinstance(stmt, Call):
                _bind_call(graph, module, fname, stmt, shapes, returned)
    return graph


def _returned_views(func) -> List[List[Tuple[str, int]]]:
    """Per result position, the (buffer, offset) views the function may return there."""
    views: List[List[Tuple[str, int]]] = [[] for _ in func.results]
    for stmt in walk_stmts(func.body):
        if isinstance(stmt, Return):
            for pos, value in enumerate(stmt.values):
                if isinstance(value, BufRef) and pos < len(views):
                    views[pos].append((value.buffer, len(value.prefix)))
    return views


def _bind_call(graph: DataflowGraph, module: Module, caller: str, call: Call,
               shapes: Dict[str, Dict[str, Tuple[int, ...]]],
               returned: Dict[str, List[List[Tuple[str, int]]]]) -> None:
    callee = module.funcs.get(call.callee)
    where = f"call {caller} -> {call.callee}"
    if callee is None:
        raise AlloNameError(f"{caller!r} calls unknown function {call.callee!r}",
                            loc=call.loc, where=where)
    if len(call.args) != len(callee.params):
        raise AlloTypeError(f"{call.callee!r} takes {len(callee.params)} arguments, "
                            f"{caller!r} passes {len(call.args)}", loc=call.loc, where=where)
    for pos, (arg, param) in enumerate(zip(call.args, callee.params)):
        if not isinstance(arg, BufRef) or param.name not in shapes[call.callee]:
            continue  # scalar argument: no memory to lay out
        if arg.buffer not in shapes[caller]:
            raise AlloNameError(f"{caller!r} passes unknown buffer {arg.buffer!r} to "
                                f"{call.callee!r}", loc=call.loc, where=where)
        graph.add_binding((caller, arg.buffer), (call.callee, param.name), len(arg.prefix),
                          site=f"{where}, argument {pos + 1} ({param.name!r})")
    for pos, result in enumerate(call.results):
        if result not in shapes[caller] or pos >= len(returned[call.callee]):
            continue  # scalar result
        for buf, offset in returned[call.callee][pos]:
            if buf in shapes[call.callee]:
                graph.add_binding((call.callee, buf), (caller, result), offset,
                                  site=f"{where}, result {pos + 1} ({result!r})")


def components(graph: DataflowGraph) -> Iterator[List[Node]]:
    """Nodes grouped by connectivity through bindings (for diagnostics and tests)."""
    inc = graph.incident()
    seen = set()
    for start in graph.shapes:
        if start in seen:
            continue
        seen.add(start)
        comp, stack = [], [start]
        while stack:
            n = stack.pop()
            comp.append(n)
            for b in inc[n]:
                for m in (b.outer, b.inner):
                    if m not in seen:
                        seen.add(m)
                        stack.append(m)
        yield comp


__all__ = ["Node", "Binding", "DataflowGraph", "build_graph", "components", "describe"]
