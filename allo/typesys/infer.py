"""Partition-type inference: a worklist over the dataflow graph to a fixed point.

Input: the graph (or an IR ``Module``, whose graph is built with
:func:`~allo.typesys.graph.build_graph`) and *requirements*
``{(func, buffer): (Layout, fixed)}``: what each kernel needs of its buffer (from an
explicit ``partition()``, or derived), ``fixed=True`` when the user set that layout
explicitly and it must not change.

Output: every node's layout. Bound nodes name one physical memory, so their layouts agree
dimension by dimension (a sub-view only sees its trailing dims). The solution gives each
dimension-cell the meet of every requirement that reaches it: the **least parallel
layout that supplies what every bound kernel needs** (no kernel gets fewer banks than it
asked for, and no extra banks are introduced). In the subtyping order ``<:`` it is the
greatest fixed point below the requirements (equivalently the least fixed point in the
dual "requires" order, ascending from "no requirement").

Cost: each cell's value only descends, at most ``h`` times (``h`` = height of the
per-dimension lattice, ``<= 2 + log2(extent)``), and each descent visits the cell's
links once: ``O(h * (cells + links))``, linear in the graph for bounded extents.

A fixed layout that ends up strictly refined (some bound kernel needs more than it
supplies) raises :class:`~allo.errors.AlloTypeError` naming both kernels, the buffer,
both layouts and a fix.

Example::

    >>> from allo.typesys.graph import DataflowGraph
    >>> from allo.typesys.lattice import Layout
    >>> g = DataflowGraph("top")
    >>> g.add_node(("top", "C"), (8,)); g.add_node(("gemm", "C"), (8,))
    >>> g.add_binding(("top", "C"), ("gemm", "C"))
    >>> out = infer_layouts(g, {("gemm", "C"): (Layout.parse("[cyclic(4)]", (8,)), False)})
    >>> str(out[("top", "C")])
    '[cyclic(4)]'
"""

from __future__ import annotations

from collections import deque
from typing import Dict, List, Mapping, Optional, Tuple, Union

from ..errors import AlloNameError, AlloTypeError
from ..ir.nodes import Alloc, Module, walk_stmts
from ..ir.types import BufferType
from .graph import Binding, DataflowGraph, Node, build_graph, describe
from .lattice import NONE, DimLayout, Layout
from .partition import partition_calls

Requirement = Union[Layout, Tuple[Layout, bool]]
Requirements = Mapping[Node, Requirement]


class _Cells:
    """The graph flattened to one cell per (node, dim) and undirected links between cells."""

    def __init__(self, graph: DataflowGraph) -> None:
        self.graph = graph
        self.base: Dict[Node, int] = {}
        self.extent: List[int] = []
        self.node_of: List[Node] = []
        for node, shape in graph.shapes.items():
            self.base[node] = len(self.extent)
            self.extent.extend(shape)
            self.node_of.extend([node] * len(shape))
        self.adj: List[List[Tuple[int, Binding]]] = [[] for _ in self.extent]
        for b in graph.bindings:
            outer, inner = self.base[b.outer] + b.offset, self.base[b.inner]
            for d in range(len(graph.shapes[b.inner])):
                self.adj[outer + d].append((inner + d, b))
                self.adj[inner + d].append((outer + d, b))

    def owner(self, cell: int) -> Tuple[Node, int]:
        """(node, dim) of a cell."""
        node = self.node_of[cell]
        return node, cell - self.base[node]


def _normalize(graph: DataflowGraph, requirements: Requirements
               ) -> Dict[Node, Tuple[Layout, bool]]:
    out: Dict[Node, Tuple[Layout, bool]] = {}
    for node, req in requirements.items():
        layout, fixed = (req, False) if isinstance(req, Layout) else req
        if node not in graph.shapes:
            known = sorted(b for f, b in graph.shapes if f == node[0])
            raise AlloNameError(f"a layout is given for unknown {describe(node)}",
                                hint=f"buffers of {node[0]!r}: {', '.join(known) or 'none'}")
        if not isinstance(layout, Layout) or layout.shape != graph.shapes[node]:
            raise AlloTypeError(f"the layout {layout} given for {describe(node)} does not fit "
                                f"its shape {list(graph.shapes[node])}")
        out[node] = (layout, bool(fixed))
    return out


def _initial(cells: _Cells, reqs: Dict[Node, Tuple[Layout, bool]]) -> List[DimLayout]:
    nones: Dict[int, DimLayout] = {}
    values = [nones.get(n) or nones.setdefault(n, DimLayout.none(n)) for n in cells.extent]
    for node, (layout, _) in reqs.items():
        base = cells.base[node]
        for d, dim in enumerate(layout.dims):
            values[base + d] = dim
    return values


def _propagate_worklist(cells: _Cells, values: List[DimLayout]) -> None:
    # Only cells that carry a requirement can lower a neighbour: seed with those.
    work = deque(c for c, v in enumerate(values) if v.kind != NONE)
    queued = [False] * len(values)
    for c in work:
        queued[c] = True
    adj = cells.adj
    while work:
        c = work.popleft()
        queued[c] = False
        v = values[c]
        for other, _ in adj[c]:
            old = values[other]
            new = old.meet(v)
            if new != old:
                values[other] = new
                if not queued[other]:
                    queued[other] = True
                    work.append(other)


def _propagate_naive(cells: _Cells, values: List[DimLayout]) -> None:
    # Reference solver: sweep every link until nothing changes (quadratic; for tests).
    changed = True
    while changed:
        changed = False
        for c, links in enumerate(cells.adj):
            for other, _ in links:
                m = values[c].meet(values[other])
                if m != values[c] or m != values[other]:
                    values[c] = values[other] = m
                    changed = True


def infer_layouts(design: Union[Module, DataflowGraph],
                  requirements: Optional[Requirements] = None,
                  solver: str = "worklist") -> Dict[Node, Layout]:
    """Every buffer's layout: the least parallel one supplying each bound kernel's needs.

    ``requirements`` maps ``(func, buffer)`` to ``(Layout, fixed)`` (a bare ``Layout``
    means ``fixed=False``). For a ``Module``, layouts recorded on ``BufferType.layout``
    count as fixed requirements unless the dict overrides them. ``solver="naive"``
    selects the iterate-until-no-change reference solver (same result, slower).

    Raises :class:`AlloTypeError` if a fixed layout supplies less than a bound kernel needs.

    Example: ``infer_layouts(module, {("gemm", "C"): (Layout.parse("[none, cyclic(4)]", (8, 8)), True)})``.
    """
    if isinstance(design, Module):
        graph = build_graph(design)
        merged: Dict[Node, Requirement] = dict(requirements_from_module(design))
        merged.update(requirements or {})
        requirements = merged
    else:
        graph = design
    if solver not in ("worklist", "naive"):
        raise ValueError(f"unknown solver {solver!r}")
    reqs = _normalize(graph, requirements or {})
    cells = _Cells(graph)
    result = _solve(cells, reqs, solver)
    for node, (layout, fixed) in reqs.items():
        if fixed and result[node] != layout:
            raise _mismatch(cells, reqs, node, layout, result[node])
    return result


def _solve(cells: _Cells, reqs: Dict[Node, Tuple[Layout, bool]],
           solver: str = "worklist") -> Dict[Node, Layout]:
    values = _initial(cells, reqs)
    if solver == "worklist":
        _propagate_worklist(cells, values)
    else:
        _propagate_naive(cells, values)
    shapes = cells.graph.shapes
    return {node: Layout.trusted(tuple(values[base:base + len(shapes[node])]))
            for node, base in cells.base.items()}


def requirements_from_module(module: Module) -> Dict[Node, Tuple[Layout, bool]]:
    """Fixed requirements recorded on buffer types (``BufferType.layout`` is a Layout).

    Example: a parameter ``Param("A", int32[8].with_layout(L))`` of ``f`` gives ``{("f", "A"): (L, True)}``.
    """
    out: Dict[Node, Tuple[Layout, bool]] = {}
    for fname, func in module.funcs.items():
        types = [(p.name, p.type) for p in func.params]
        types += [(s.name, s.type) for s in walk_stmts(func.body) if isinstance(s, Alloc)]
        for name, t in types:
            if isinstance(t, BufferType) and isinstance(t.layout, Layout):
                out[(fname, name)] = (t.layout, True)
    return out


def _mismatch(cells: _Cells, reqs: Dict[Node, Tuple[Layout, bool]], node: Node,
              fixed: Layout, inferred: Layout) -> AlloTypeError:
    """Find a kernel whose need ``fixed`` does not supply, and explain the conflict."""
    graph = cells.graph
    for d in fixed.unsupplied_dims(inferred):
        start = cells.base[node] + d
        parent: Dict[int, Optional[Tuple[int, Binding]]] = {start: None}
        queue = deque([start])
        while queue:
            c = queue.popleft()
            other_node, j = cells.owner(c)
            req = reqs.get(other_node)
            if other_node != node and req is not None and not fixed.dims[d] <= req[0].dims[j]:
                others = {n: r for n, r in reqs.items() if n != node}
                without = _solve(cells, others)[node]  # what inference gives if X is not fixed
                return _mismatch_error(graph, node, fixed, inferred, without, d, other_node,
                                       j, req, _path_sites(parent, c))
            for nxt, b in cells.adj[c]:
                if nxt not in parent:
                    parent[nxt] = (c, b)
                    queue.append(nxt)
    # Unreachable when meet is a greatest lower bound; kept as a clear error regardless.
    return AlloTypeError(f"the explicit layout {fixed} of {describe(node)} supplies less "
                         f"than its bound kernels need ({inferred})")


def _path_sites(parent: Dict[int, Optional[Tuple[int, Binding]]], cell: int) -> List[str]:
    sites: List[str] = []
    step = parent[cell]
    while step is not None:
        prev, binding = step
        if binding.site and binding.site not in sites:
            sites.append(binding.site)
        step = parent[prev]
    return list(reversed(sites))


def _mismatch_error(graph: DataflowGraph, node: Node, fixed: Layout, inferred: Layout,
                    without: Layout, dim: int, other: Node, other_dim: int,
                    req: Tuple[Layout, bool], sites: List[str]) -> AlloTypeError:
    needed, other_fixed = req
    kind = "explicitly partitioned" if other_fixed else "needs"
    via = f" (bound via {'; '.join(sites)})" if sites else ""
    dim_note = "" if other_dim == dim else f" (its dim {other_dim + 1} is dim {dim + 1} here)"
    message = (
        f"partition type mismatch on {describe(node)}: its explicit layout {fixed} supplies "
        f"less read/write parallelism than kernel {other[0]!r} {kind} for {other[1]!r} "
        f"({needed}){via}; in dim {dim + 1}{dim_note}, {fixed.dims[dim]} does not refine "
        f"{needed.dims[other_dim]}")
    target = graph.target_name(node)
    calls = partition_calls(target, inferred)
    hint = (f"partition {target} as {inferred} instead ({'; '.join(calls)}), which supplies "
            f"every kernel, or remove the explicit layout (it would be inferred as {without})")
    return AlloTypeError(message, hint=hint, where=f"kernels {node[0]!r} and {other[0]!r}")


__all__ = ["infer_layouts", "requirements_from_module", "Requirement", "Requirements"]
