"""The hierarchical dataflow graph of a design, from its loop nests.

Nodes are kernel instances: the calls and loop nests at the top level of a function (the
tasks of a dataflow region), the PEs of an unfolded band, and the design's inputs and
outputs. Edges are the buffers and streams between them. Each edge end carries its access
order and rate, computed from the loop nests with the shared index analysis
(:mod:`allo.ir.index`: affine forms and constant trip counts; :mod:`allo.ir.sites`: the
access sites with their loops and guards) and the II/latency model
(:mod:`allo.qor.model`): the element sequence (``Y[i, j]`` over ``i < 4, j < 4``), the
elements per firing of the innermost loop, the trip counts, and a
:class:`~allo.qor.model.StreamRate` (first access, interval between accesses). A call
whose callee has tasks of its own, or a PE array, holds its own graph (``subgraph``).

Example::

    g = s.dataflow_graph()
    print(g)                  # nodes, then edges with order and rate
    g.to_dot()                # Graphviz text
    g.to_png("design.png")    # through Graphviz's ``dot``
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..ir.index import affine_form, constant_trips, index_form
from ..ir.nodes import Alloc, BufRef, Call, For, Func, If, Module, Op, Return, Stmt
from ..ir.sites import AccessSite, access_sites
from ..ir.types import BufferType, StreamType
from ..qor.model import StreamRate

WRITES = ("store", "stream_put")
READS = ("load", "stream_get")
#: PE arrays up to this many PEs are drawn PE by PE; larger ones as one node
MAX_DRAWN_PES = 64


@dataclass
class End:
    """One end of an edge: how a node touches the buffer.

    ``order``: the element sequence (index forms over the loops, outermost first);
    ``count``: elements per firing of the node (``None`` if a bound is not constant);
    ``per_iteration``: accesses per iteration of the innermost loop around them;
    ``trips``: the trip counts of those loops; ``rate``: the timing of the accesses.
    """

    node: str
    order: str
    count: Optional[int]
    per_iteration: int
    trips: Tuple[int, ...]
    rate: Optional[StreamRate] = None

    def describe(self) -> str:
        rate = f", first at {self.rate.fill}, every {self.rate.interval:g} cycles" if self.rate else ""
        return f"{self.order} ({self.count if self.count is not None else '?'} elements{rate})"


@dataclass
class Edge:
    """A buffer or stream from ``src`` to ``dst``; ``kind``: ``stream``, ``buffer`` or
    ``pingpong``; ``depth`` (streams) with ``depth_reason`` once sized."""

    src: str
    dst: str
    buffer: str
    kind: str
    produce: Optional[End] = None
    consume: Optional[End] = None
    depth: Optional[int] = None
    depth_reason: str = ""


@dataclass
class Node:
    """A kernel instance: ``kind`` is ``call``, ``loop``, ``pe``, ``pe_array``, ``input``,
    ``output`` or ``code`` (other top-level statements)."""

    id: str
    label: str
    kind: str
    func: str = ""
    subgraph: Optional["DataflowGraph"] = None


@dataclass
class DataflowGraph:
    """Nodes and edges of one function; ``subgraph`` of a node nests the hierarchy."""

    name: str
    nodes: List[Node] = field(default_factory=list)
    edges: List[Edge] = field(default_factory=list)
    dataflow: bool = False

    def node(self, id_: str) -> Node:
        """The node with id ``id_``. Example: ``g.node("mm_0#2").kind == "call"``."""
        for n in self.nodes:
            if n.id == id_:
                return n
        raise KeyError(id_)

    def edges_of(self, buffer: str) -> List[Edge]:
        """The edges carrying ``buffer``. Example: ``g.edges_of("Y")[0].kind``."""
        return [e for e in self.edges if e.buffer == buffer]

    def walk(self) -> List["DataflowGraph"]:
        """This graph and every nested one, outermost first."""
        out = [self]
        for n in self.nodes:
            if n.subgraph is not None:
                out += n.subgraph.walk()
        return out

    def __str__(self) -> str:
        lines: List[str] = []
        self._lines(lines, 0)
        return "\n".join(lines)

    def _lines(self, lines: List[str], level: int) -> None:
        pad = "  " * level
        lines.append(f"{pad}dataflow graph of {self.name!r}" + (" (dataflow region)" if self.dataflow else ""))
        for n in self.nodes:
            lines.append(f"{pad}  node {n.id}: {n.kind} {n.label}")
            if n.subgraph is not None:
                n.subgraph._lines(lines, level + 2)
        for e in self.edges:
            depth = f", depth {e.depth} ({e.depth_reason})" if e.depth is not None else ""
            lines.append(f"{pad}  edge {e.src} -> {e.dst}: {e.kind} {e.buffer}{depth}")
            if e.produce is not None:
                lines.append(f"{pad}    produced as {e.produce.describe()}")
            if e.consume is not None:
                lines.append(f"{pad}    consumed as {e.consume.describe()}")

    def to_dot(self) -> str:
        """Graphviz DOT text (see :mod:`allo.dataflow_graph.render`)."""
        from .render import to_dot

        return to_dot(self)

    def to_png(self, path: str) -> str:
        """Draw the graph into the PNG file ``path`` with Graphviz's ``dot``; returns the path."""
        from .render import to_png

        return to_png(self, path)


# ------------------------------------------------------------------ building
def _is_stream(t: Any) -> bool:
    return isinstance(t, StreamType) or (isinstance(t, BufferType) and t.is_stream)


class _Builder:
    def __init__(self, module: Module) -> None:
        self.module = module
        self.timings: Dict[str, Dict[str, Any]] = {}

    # -- timing of a site
    def rate(self, func: str, site: AccessSite, same_loop: int,
             loops: Optional[Sequence[For]] = None) -> Optional[StreamRate]:
        """The timing of ``site``'s accesses: per enclosing loop the cycles between two of
        its iterations (II when pipelined, else the iteration latency; loops inside a
        pipelined loop are unrolled: 0), and the first iteration's latency as the fill."""
        loops = list(site.loops if loops is None else loops)
        if not loops:
            return StreamRate(fill=1, interval=1)
        if func not in self.timings:
            try:
                from ..qor.estimate import function_loop_timings

                self.timings[func] = function_loop_timings(self.module, func)
            except Exception:  # noqa: BLE001 - a design the estimator cannot cost: no rate
                self.timings[func] = {}
        table = self.timings[func]
        timings, trips = [], []
        for loop in loops:
            c = constant_trips(loop)
            timing = table.get(loop.name or loop.var)
            if c is None or timing is None:
                return None
            timings.append(timing)
            trips.append(c.trips)
        strides: List[float] = []
        pipeline = None  # the (flattened) pipelined loop the access sits in, once entered
        for k, timing in enumerate(timings):
            if pipeline is not None and timing.name != pipeline:
                strides.append(0)  # inside a pipelined loop: unrolled
            elif timing.pipelined:
                pipeline = timing.name
                # a flattened nest: one II per iteration of the innermost flattened loop
                below = [t for t, tm in zip(trips[k + 1:], timings[k + 1:]) if tm.name == timing.name]
                strides.append(timing.ii * math.prod(below))
            else:
                strides.append(timing.depth)
        inner = table[loops[-1].name or loops[-1].var]
        return StreamRate(fill=inner.first_output(), interval=strides[-1] / max(1, same_loop),
                          strides=tuple(strides), trips=tuple(trips), per_iteration=max(1, same_loop))

    # -- the accesses of a task to a buffer, seen through calls
    def ends(self, func: Func, stmt: Stmt, buffer: str, writes: bool) -> List[Tuple[str, AccessSite]]:
        """(function, site) of every element access of ``buffer`` by ``stmt`` in ``func``."""
        out: List[Tuple[str, AccessSite]] = []
        for a in access_sites([stmt]):
            if a.buffer != buffer:
                continue
            if a.kind in (WRITES if writes else READS):
                out.append((func.name, a))
            elif a.kind == "call_arg" and isinstance(a.stmt, Call):
                callee = self.module.funcs.get(a.callee)
                if callee is None:
                    continue
                for k, arg in enumerate(a.stmt.args):
                    if isinstance(arg, BufRef) and arg.buffer == buffer and k < len(callee.params):
                        for s in callee.body:
                            out += self.ends(callee, s, callee.params[k].name, writes)
        return out

    def end(self, node: str, sites: List[Tuple[str, AccessSite]]) -> Optional[End]:
        if not sites:
            return None
        orders, count, trips_all = [], 0, ()
        for func, a in sites:
            trips = tuple((constant_trips(l).trips if constant_trips(l) else None) for l in a.loops)
            forms = [affine_form(e) or index_form(e) for e in a.indices]
            idx = ", ".join(str(f) if f is not None else "?" for f in forms)
            over = ", ".join(f"{l.var} < {t}" for l, t in zip(a.loops, trips))
            what = f"{a.buffer}[{idx}]" if a.indices else f"{a.kind.replace('stream_', '')} {a.buffer}"
            orders.append(f"{func}: {what}" + (f" over {over}" if over else ""))
            n = math.prod(trips) if None not in trips else None
            count = None if count is None or n is None else count + n
            trips_all = trips_all or tuple(t or 0 for t in trips)
        func, first = sites[0]
        same = sum(1 for _, a in sites if a.loops and first.loops and a.loops[-1] is first.loops[-1])
        return End(node, "; ".join(orders), count, max(1, same), trips_all,
                   self.rate(func, first, same))

    # -- one function
    def graph(self, func: Func, seen: Tuple[str, ...] = ()) -> DataflowGraph:
        g = DataflowGraph(func.name, dataflow=bool(func.attrs.get("dataflow")))
        tasks: List[Tuple[str, Stmt]] = []
        for k, s in enumerate(func.body):
            if isinstance(s, (Alloc, Return)):
                continue
            node = self.task_node(func, k, s, seen)
            g.nodes.append(node)
            tasks.append((node.id, s))
        buffers = func.buffers()
        params = [p.name for p in func.params]
        returned = [a.buffer for s in func.body if isinstance(s, Return) for a in s.values
                    if isinstance(a, BufRef)]
        pingpong = func.attrs.get("pingpong", {})
        for name, t in buffers.items():
            if not isinstance(t, BufferType):
                continue
            kind = "stream" if _is_stream(t) else "pingpong" if name in pingpong else "buffer"
            declared = t.dtype.depth if kind == "stream" else None
            writers = [(nid, self.ends(func, s, name, True)) for nid, s in tasks]
            readers = [(nid, self.ends(func, s, name, False)) for nid, s in tasks]
            writers = [(nid, e) for nid, e in writers if e]
            readers = [(nid, e) for nid, e in readers if e]
            if name in params and readers:
                g.nodes.append(Node(f"in:{name}", name, "input", func.name))
                writers = [(f"in:{name}", [])] + writers
            if (name in params and any(True for _ in writers if _[1])) or name in returned:
                out_id = f"out:{name}"
                if not any(n.id == out_id for n in g.nodes):
                    g.nodes.append(Node(out_id, name, "output", func.name))
                readers = readers + [(out_id, [])]
            order = {nid: k for k, (nid, _) in enumerate(tasks)}
            for (w, wsites), (r, rsites) in itertools.product(writers, readers):
                if w == r or (w in order and r in order and order[r] < order[w]) or \
                        (w.startswith("in:") and r.startswith("out:")):
                    continue
                g.edges.append(Edge(w, r, name, kind, self.end(w, wsites), self.end(r, rsites),
                                    declared, "declared" if declared is not None else ""))
        return g

    def task_node(self, func: Func, k: int, s: Stmt, seen: Tuple[str, ...]) -> Node:
        if isinstance(s, Call):
            callee = self.module.funcs.get(s.callee)
            sub = None
            if callee is not None and s.callee not in seen and self._has_structure(callee):
                sub = self.graph(callee, seen + (func.name,))
            return Node(f"{s.callee}#{k}", s.callee, "call", func.name, sub)
        if isinstance(s, For):
            band = self._pe_band(s)
            if band:
                return Node(f"{s.name or s.var}#{k}", f"PE array {s.band or s.name}", "pe_array",
                            func.name, self.pe_graph(func, s, band))
            return Node(f"{s.name or s.var}#{k}", f"loop {s.name or s.var}", "loop", func.name)
        return Node(f"{type(s).__name__.lower()}#{k}", type(s).__name__, "code", func.name)

    def _has_structure(self, func: Func) -> bool:
        tasks = [s for s in func.body if not isinstance(s, (Alloc, Return))]
        return any(isinstance(s, Call) for s in tasks) or any(
            isinstance(s, For) and self._pe_band(s) for s in tasks)

    @staticmethod
    def _pe_band(loop: For) -> List[For]:
        """The spatial loops of an unfolded band starting at ``loop`` (outermost first)."""
        out: List[For] = []
        cur: Any = loop
        while isinstance(cur, For):
            if cur.attrs.get("unfold"):
                out.append(cur)
            cur = cur.body[0] if len(cur.body) == 1 else None
        return out

    # -- PE arrays: one node per PE, one edge per FIFO of a stream array
    def pe_graph(self, func: Func, loop: For, spatial: List[For]) -> DataflowGraph:
        g = DataflowGraph(f"{func.name}:{loop.band or loop.name}", dataflow=True)
        ranges = []
        for l in spatial:
            c = constant_trips(l)
            if c is None:
                return g
            ranges.append([c.lo + c.step * t for t in range(c.trips)])
        coords = list(itertools.product(*ranges))
        if len(coords) > MAX_DRAWN_PES:
            g.nodes.append(Node("PEs", f"{len(coords)} PEs", "pe", func.name))
            return g
        def pe_id(c):
            return "PE[" + ", ".join(map(str, c)) + "]"
        streams = {n for n, t in func.buffers().items() if _is_stream(t)}
        puts: Dict[Tuple[str, Tuple[int, ...]], str] = {}
        gets: Dict[Tuple[str, Tuple[int, ...]], List[str]] = {}
        counts: Dict[Tuple[str, Tuple[int, ...], str], int] = {}
        rates: Dict[Tuple[str, Tuple[int, ...], str], Optional[StreamRate]] = {}
        for c in coords:
            env = {l.var: v for l, v in zip(spatial, c)}
            g.nodes.append(Node(pe_id(c), pe_id(c), "pe", func.name))
            for a in access_sites(loop.body):
                if a.buffer not in streams or a.kind not in ("stream_put", "stream_get"):
                    continue
                if not all(_guard_may_hold(cond, taken, env) for cond, taken in a.conds):
                    continue
                idx = tuple(_value(e, env) for e in a.indices)
                if None in idx:
                    continue
                inner = [l for l in a.loops if l not in spatial and not any(l is x for x in spatial)]
                n = math.prod((constant_trips(l).trips if constant_trips(l) else 1) for l in inner)
                if a.kind == "stream_put":
                    puts[(a.buffer, idx)] = pe_id(c)
                else:
                    gets.setdefault((a.buffer, idx), []).append(pe_id(c))
                counts[(a.buffer, idx, pe_id(c))] = counts.get((a.buffer, idx, pe_id(c)), 0) + n
                rates[(a.buffer, idx, pe_id(c))] = self.rate(func.name, a, 1, inner)
        for (name, idx), src in sorted(puts.items()):
            for dst in gets.get((name, idx), []):
                fifo = f"{name}[{', '.join(map(str, idx))}]" if idx else name
                n = counts.get((name, idx, src))
                prod = End(src, f"put {fifo}", n, 1, (), rates.get((name, idx, src)))
                cons = End(dst, f"get {fifo}", counts.get((name, idx, dst)), 1, (), rates.get((name, idx, dst)))
                depth = func.buffers()[name].dtype.depth
                g.edges.append(Edge(src, dst, fifo, "stream", prod, cons, depth, "declared"))
        return g


def _value(e: Any, env: Dict[str, int]) -> Optional[int]:
    form = index_form(e)
    if form is None or any(v not in env for v in form.vars()):
        return None
    return form.evaluate(env)


_CMP = {"lt": lambda a, b: a < b, "le": lambda a, b: a <= b, "gt": lambda a, b: a > b,
        "ge": lambda a, b: a >= b, "eq": lambda a, b: a == b, "ne": lambda a, b: a != b}


def _guard_may_hold(cond: Any, taken: bool, env: Dict[str, int]) -> bool:
    """Whether the branch ``taken`` of ``cond`` may run at PE ``env`` (True when unknown)."""
    value = _truth(cond, env)
    return True if value is None else value == taken


def _truth(cond: Any, env: Dict[str, int]) -> Optional[bool]:
    if isinstance(cond, Op) and cond.op in _CMP:
        a, b = _value(cond.args[0], env), _value(cond.args[1], env)
        return None if a is None or b is None else _CMP[cond.op](a, b)
    if isinstance(cond, Op) and cond.op in ("land", "lor", "lnot"):
        parts = [_truth(x, env) for x in cond.args]
        if cond.op == "lnot":
            return None if parts[0] is None else not parts[0]
        if cond.op == "land":
            return False if False in parts else None if None in parts else True
        return True if True in parts else None if None in parts else False
    return None


def annotate_depths(g: DataflowGraph, sized: Sequence[Any]) -> DataflowGraph:
    """Write the computed FIFO depths (:func:`allo.dataflow_graph.depths.size_fifos`) on
    the stream edges, with their reasons; returns ``g``. Example: ``annotate_depths(g, s.fifo_depths())``."""
    table = {d.fifo: d for d in sized}
    for sub in g.walk():
        for e in sub.edges:
            d = table.get(e.buffer)
            if e.kind == "stream" and d is not None:
                e.depth_reason = (f"declared {e.depth}; computed {d.depth}: {d.reason}"
                                  if d.depth != e.depth else f"computed: {d.reason}")
    return g


def dataflow_graph(design: Any) -> DataflowGraph:
    """The hierarchical dataflow graph of a schedule or IR module (its top function).

    Example::

        >>> import allo                                            # doctest: +SKIP
        >>> g = dataflow_graph(s_top)                              # doctest: +SKIP
        >>> [e.kind for e in g.edges_of("Y")]                      # doctest: +SKIP
        ['stream']
    """
    module = design if isinstance(design, Module) else getattr(design, "ir", None)
    if not isinstance(module, Module):
        from ..errors import AlloError

        raise AlloError(f"dataflow_graph expects a schedule or a module, got {type(design).__name__}",
                        where="dataflow_graph", hint="pass the result of allo.customize(kernel)")
    return _Builder(module).graph(module.top_func)


__all__ = ["DataflowGraph", "Node", "Edge", "End", "dataflow_graph", "annotate_depths", "MAX_DRAWN_PES"]
