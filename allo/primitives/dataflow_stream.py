"""``to``: turn a local buffer between a producer nest and a consumer nest into a FIFO.

Semantics in :mod:`.dataflow` (rule ``dataflow.stream``).

A producer nest that reads the buffer before writing each element (an in-place
accumulation privatised by ``buffer_at``) reads its constant fill, which is forwarded into
it first (:func:`allo.primitives.dataflow_fill.forward_fill`).

Example::

    s.to(s.B, "j2")       # B written by the first nest, read in the same order by loop j2
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Any

from ..ir.index import affine_form
from ..ir.nodes import Alloc, For, Load, Stmt, StreamGet, StreamPut, map_stmt_exprs, walk_stmts
from ..ir.types import BufferType, StreamType
from .base import BUFFER, TARGET, VALUE, Context, primitive
from .dataflow_common import stmt_site
from .dataflow_fill import forward_fill
from .deps import collect_accesses
from .dataflow_order import _Use, _uses, prove_same_order, prove_written_once  # noqa: F401


def _resolve_consumer(ctx: Context, dst: Any, func) -> For:
    if isinstance(dst, str) and ":" not in dst:
        band = [s.loop for s in _sites(func) if s.loop.band == dst]
        if band and not any(s.loop.name == dst for s in _sites(func)):
            return band[0]
    return ctx.loop(dst, "dst").loop


def _sites(func):
    from .base import loop_sites

    return loop_sites(func)


@dataclass
class StreamPlan:
    """The proved conversion: the buffer's declaration, its one write and one read site,
    the consumer statement whose loads become gets, and the FIFO depth."""

    alloc: Alloc
    write: _Use
    read: _Use
    consumer: Stmt
    depth: int


def plan_stream(ctx: Context, target: Any, dst: Any, axis: Any, depth: int) -> StreamPlan:
    """Validate, find the producer and consumer, and prove the FIFO order.

    Example: ``plan = plan_stream(ctx, "B", "i2", axis=None, depth=-1)``.
    """
    site = ctx.buffer(target)
    if site.alloc is None:
        raise ctx.refuse(f"{site.name!r} is a function argument; to() streams local buffers",
                         hint="stream a buffer declared inside the kernel")
    if site.alloc.stateful:
        raise ctx.refuse(f"{site.name!r} is Stateful: its contents outlive the call, a FIFO's "
                         "do not", hint="stream a buffer that is not Stateful")
    if isinstance(site.type, BufferType) and site.type.is_stream:
        raise ctx.refuse(f"{site.name!r} is already a stream",
                         hint="to() turns a local array into a stream once; nothing to do")
    if axis is not None:
        raise ctx.refuse(f"axis={axis!r}: placing the stream at a loop level is not supported",
                         hint="leave axis=None; the FIFO connects the two whole nests")
    if isinstance(depth, bool) or not isinstance(depth, int) or (depth < 1 and depth != -1):
        raise ctx.refuse(f"depth={depth!r} must be a positive integer or -1 (automatic)",
                         hint="leave depth=-1 to size the FIFO for every element")
    func = site.func
    consumer_loop = _resolve_consumer(ctx, dst, func)
    asite = stmt_site(func, site.alloc)
    body = asite.parent
    tops = [k for k, s in enumerate(body) if any(x is consumer_loop for x in walk_stmts([s]))]
    if not tops:
        raise ctx.refuse(f"consumer {consumer_loop.name!r} is not in the scope of {site.name!r}",
                         hint="name a consumer loop in the block that declares the buffer")
    c_pos = tops[0]
    touching = []
    for k, s in enumerate(body):
        if k == asite.position:
            continue
        acc = [a for a in collect_accesses([s]) if a.buffer == site.name]
        if acc:
            touching.append((k, s, acc))
    writers = [(k, s) for k, s, acc in touching if any(a.write for a in acc)]
    if len(writers) != 1:
        names = ", ".join(getattr(s, "name", type(s).__name__) for _, s in writers) or "none"
        raise ctx.refuse(f"{site.name!r} must be written by exactly one statement before the consumer "
                         f"(writers: {names})", hint="stream a buffer that one loop nest fills and a later one reads")
    p_pos, producer = writers[0]
    if p_pos >= c_pos:
        raise ctx.refuse(f"the producer of {site.name!r} does not run before consumer {consumer_loop.name!r}",
                         hint="dst must be the nest that reads the buffer after the producer")
    others = [s for k, s, _ in touching if k not in (p_pos, c_pos)]
    if others:
        raise ctx.refuse(f"{site.name!r} is also used by {getattr(others[0], 'name', type(others[0]).__name__)!r} "
                         "besides the producer and the consumer", hint="a FIFO connects exactly two tasks")
    w_list, w_reads = _uses(producer, site.name)
    c_writes, r_list = _uses(body[c_pos], site.name)
    if w_reads and not c_writes and isinstance(producer, For):
        # an in-place accumulation, privatised: its reads see the fill, forwarded into it
        forward_fill(ctx, func, site.alloc, producer, required=True)
        w_list, w_reads = _uses(producer, site.name)
    if w_reads or c_writes:
        raise ctx.refuse(f"the producer reads or the consumer writes {site.name!r}; a FIFO is one-way",
                         hint="keep a buffer that is read back as an array")
    for role, lst in (("write", w_list), ("read", r_list)):
        if len(lst) != 1:
            raise ctx.refuse(f"{site.name!r} has {len(lst)} {role} sites in the {'producer' if role == 'write' else 'consumer'}; "
                             "streaming needs exactly one", hint="one put and one get per element")
        if lst[0].guarded:
            raise ctx.refuse(f"the {role} of {site.name!r} is conditional; every iteration must {role} once",
                             hint="move the access out of the condition, or keep the array")
    w, r = w_list[0], r_list[0]
    w_trips = [ctx.constant_loop(l, "producer")[3] for l in w.loops]
    r_trips = [ctx.constant_loop(l, "consumer")[3] for l in r.loops]
    total_w, total_r = math.prod(w_trips), math.prod(r_trips)
    if total_w != total_r:
        raise ctx.refuse(f"side condition 'same element sequence' fails: the producer writes {total_w} "
                         f"elements of {site.name!r} but the consumer reads {total_r}",
                         hint="a FIFO needs one read per write")
    w_forms = [affine_form(e) for e in w.node.indices]
    r_forms = [affine_form(e) for e in r.node.indices]
    if any(f is None for f in w_forms + r_forms):
        ctx.assume_unchecked("same element sequence", f"an index of {site.name!r} is not affine")
    else:
        prove_same_order(ctx, site.name, w, r, w_trips, r_trips, w_forms, r_forms, total_w)
    return StreamPlan(site.alloc, w, r, body[c_pos], total_w if depth == -1 else depth)


def emit_stream(ctx: Context, plan: StreamPlan) -> None:
    """The buffer becomes one FIFO: its store puts, its consumer's loads get.

    Example: ``emit_stream(ctx, plan_stream(ctx, "B", "i2", None, -1))``.
    """
    alloc, w = plan.alloc, plan.write
    elem = alloc.type.dtype
    alloc.type = BufferType(StreamType(elem, plan.depth), ())
    alloc.init = None
    w.parent[next(i for i, s in enumerate(w.parent) if s is w.node)] = \
        StreamPut(alloc.name, (), w.node.value, loc=w.node.loc)
    get = StreamGet(alloc.name, (), elem, loc=plan.read.node.loc)
    for s in walk_stmts([plan.consumer]):
        map_stmt_exprs(s, lambda e: get if isinstance(e, Load) and e.buffer == alloc.name else None)


@primitive("to", rule="dataflow.stream", kinds={"target": BUFFER, "dst": TARGET, "axis": VALUE, "depth": VALUE})
def to(ctx: Context, target: Any, dst: Any, axis: Any = None, depth: int = -1) -> None:
    """Stream local buffer ``target`` from its producer nest to consumer ``dst`` (a loop
    or band of the same function), or from the call that writes it to the later call of
    function ``dst`` that reads it (:mod:`.dataflow_calls`).
    Example: ``s.to(s.B, "consumer_loop", depth=4)``; ``s_top.to(s_top.Y, "matmul")``."""
    from .dataflow_calls import is_function_target, stream_between_calls

    if is_function_target(ctx, dst):
        stream_between_calls(ctx, target, dst, axis, depth)
        return
    plan = plan_stream(ctx, target, dst, axis, depth)
    emit_stream(ctx, plan)
    func = ctx.buffer(target).func
    if func.attrs.get("dataflow") and any(s is plan.consumer for s in func.body):
        # the two nests are tasks of a dataflow region: they run concurrently, so the
        # depth is computed (or a given one checked) as between calls
        from ..dataflow_graph.depths import settle_depth

        elem = plan.alloc.type.dtype.dtype

        def retype(new_depth: int) -> None:
            plan.alloc.type = BufferType(StreamType(elem, new_depth), ())

        settle_depth(ctx, func.name, plan.alloc, depth, retype)


__all__ = ["to", "plan_stream", "emit_stream", "StreamPlan", "prove_written_once", "prove_same_order"]
