"""Streams and ping-pong buffers between the kernel calls of a composed design.

``to(buffer, consumer)`` where ``consumer`` names a *called function* (rule
``dataflow.stream``): the caller's local ``buffer`` is passed to one call that only writes
it (the producer) and to a later call of ``consumer`` that only reads it. It becomes one
FIFO when, inside the two callees, the producer writes each element exactly once and the
consumer reads the elements in the producer's write order: z3 over the ranks of the two
access sites' iterations (:func:`allo.primitives.dataflow_stream.prove_same_order`), with
the first out-of-order element as the witness. A producer that reads the buffer (the
seed's in-place ``C[i, j] +=``, privatised by ``buffer_at``) streams when each of its reads
precedes any write of its element: it reads the caller's constant fill, which is forwarded
into its instance (:mod:`.dataflow_fill`). A producer that *returns* the buffer
(``Y = produce(X)``) gets an output parameter in place of its returned local
(:func:`result_to_parameter`). The rewrite:

* the callee parameters bound to the buffer become streams (a callee shared with other
  calls is first cloned into an instance, ``matmul_0``, whose ``template`` attribute keeps
  ``compose`` replaying the kernel's schedule onto it); the producer's store becomes a
  ``put``, the consumer's load a ``get``;
* the caller's buffer becomes a ``Stream`` and the caller a dataflow region (its calls
  run concurrently; the ``dataflow`` primitive's checks apply), so the HLS top gets
  ``#pragma HLS dataflow`` with ``hls::stream`` between the calls;
* ``depth=-1`` is computed from the put/get traces and the kernels' timing
  (:mod:`allo.dataflow_graph.depths`); a given depth is checked: one too small for
  deadlock freedom is refused with the put/get schedule that blocks.

``pingpong(buffer)`` (rule ``annotation.pingpong``): the same producer/consumer pair, with
no order condition, keeps the array and double-buffers it: the caller becomes a dataflow
region and the HLS code declares the buffer ``type=pipo`` (the producer fills one bank
while the consumer reads the other). It is what a refused ``to`` proposes when the two
kernels touch the elements in different orders.

Example::

    s_top.to(s_top.Y, "matmul")        # Y: a FIFO from the first matmul call to the second
    s_top.pingpong(s_top.Y)            # or a double buffer, in any access order
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Tuple

import numpy as np

from ..ir.index import affine_form
from ..ir.nodes import (Alloc, BufRef, Call, Const, Expr, Func, Load, Param, Return, Stmt, Store,
                        StreamGet, StreamPut, child_bodies, map_stmt_exprs, walk_stmts)
from ..ir.sites import access_sites, reads_in_arguments
from ..ir.types import BufferType, StreamType
from ..errors import AlloError
from .base import BUFFER, Context, primitive
from .dataflow_fill import bound_params, forward_fill, own_instance, rekey_fills


@dataclass
class CallEnd:
    """One end of the stream: the call, its position in the caller's body, the callee and
    the parameter bound to the buffer."""

    call: Call
    position: int
    callee: Func
    param: str
    reads: int = 0  # loads of the parameter in the callee (a producer reading the fill)


@dataclass
class CallPair:
    """The caller, its buffer declaration and the two ends."""

    func: Func
    alloc: Alloc
    producer: CallEnd
    consumer: CallEnd


def is_function_target(ctx: Context, dst: Any) -> bool:
    """Whether ``dst`` names a function of the design (or a template of one).

    Example: ``is_function_target(ctx, "matmul")``.
    """
    return isinstance(dst, str) and ":" not in dst and any(
        name == dst or f.attrs.get("template") == dst for name, f in ctx.module.funcs.items())


def _bound_param(ctx: Context, call: Call, name: str) -> Optional[str]:
    callee = ctx.module.funcs.get(call.callee)
    if len(bound_params(ctx, call, name)) > 1:
        raise ctx.refuse(f"call {call.callee!r} receives {name!r} more than once; a FIFO end is one "
                         "parameter", hint="pass the buffer to one parameter of the call")
    if reads_in_arguments(call, name):
        raise ctx.refuse(f"call {call.callee!r} reads an element of {name!r} in its arguments; a stream "
                         "or ping-pong end reaches the call as one whole parameter only", hint="read the element inside the kernel, or keep the array")
    for k, a in enumerate(call.args):
        if isinstance(a, BufRef) and a.buffer == name:
            if a.prefix:
                raise ctx.refuse(f"call {call.callee!r} receives a sub-view of {name!r}; a FIFO "
                                 "carries the whole buffer", hint="pass the whole buffer to the call")
            if callee is None or k >= len(callee.params):
                raise ctx.refuse(f"call {call.callee!r} has no parameter for {name!r}",
                                 hint="stream between calls of kernels defined in this design")
            return callee.params[k].name
    return None


def result_to_parameter(ctx: Context, alloc: Alloc, call: Call, name: str) -> str:
    """``Y = produce(X)``: the producer returns a local array of its own, which the caller
    binds to ``Y``. Rewrite the call's own instance of the callee to write ``Y`` through a
    new parameter instead (the local's name), and give the caller's ``Y`` the local's
    initial value (its fill): the callee's body then runs on memory holding what its local
    held, so ``Y`` ends with the value it returned. Refused unless the callee returns once,
    at its end, a local array declared at its top level with a constant initial value, and
    the call passes no argument of ``Y`` too. Returns the parameter's name.

    Example: ``result_to_parameter(ctx, y_alloc, call, "Y") == "C"``.
    """
    callee = ctx.module.funcs.get(call.callee)
    where = f"the producer {call.callee!r} returns {name!r}"
    r = call.results.index(name)
    ret = callee.body[-1] if callee is not None and callee.body else None
    if not isinstance(ret, Return) or any(isinstance(s, Return) for s in walk_stmts(callee.body[:-1])):
        raise ctx.refuse(f"{where} but does not return once, at its end",
                         hint="return the result once, as the kernel's last statement")
    value = ret.values[r] if r < len(ret.values) else None
    local = value.buffer if isinstance(value, BufRef) and not value.prefix else None
    decl = next((s for s in callee.body if isinstance(s, Alloc) and s.name == local), None)
    if decl is None or decl.stateful or sum(isinstance(v, BufRef) and v.buffer == local for v in ret.values) != 1:
        raise ctx.refuse(f"{where}, which is not a local array declared at its top level and returned once",
                         hint="declare the result at the top of the kernel and return it once, or pass "
                              "the buffer as an argument the callee writes")
    if isinstance(decl.init, Expr) and not isinstance(decl.init, Const):
        raise ctx.refuse(f"{where}; its local {local!r} starts with a value computed in the kernel",
                         hint="initialise the result with a constant")
    if decl.type != alloc.type or any(isinstance(a, BufRef) and a.buffer == name for a in call.args):
        raise ctx.refuse(f"{where} but also receives it, or binds it with another type",
                         hint="bind the result to a buffer of its own type that the call does not receive")
    inst = own_instance(ctx, call)
    inst.body = [s for s in inst.body if not (isinstance(s, Alloc) and s.name == local)]
    inst.params.append(Param(local, decl.type, loc=decl.loc))
    del inst.results[r]
    ret = inst.body[-1]
    ret.values = [v for k, v in enumerate(ret.values) if k != r]
    if not ret.values:
        inst.body.pop()
    call.results.remove(name)
    call.args.append(BufRef(name, ()))
    alloc.init = decl.init
    fill = "zero" if decl.init is None else ("a table" if isinstance(decl.init, np.ndarray) else decl.init.value)
    ctx.trivial(f"the result {name!r} becomes an output parameter",
                f"{inst.name!r} writes {name!r} as its parameter {local!r}; {name!r} starts as the local did "
                f"({fill}), so it ends with the value the call returned")
    return local


def _param_uses(callee: Func, param: str) -> Tuple[int, int, List[str]]:
    """(stores, loads, other uses) of ``param`` inside ``callee``."""
    stores = loads = 0
    other: List[str] = []
    for a in access_sites(callee.body):
        if a.buffer != param:
            continue
        if a.kind == "store":
            stores += 1
        elif a.kind == "load":
            loads += 1
        else:
            other.append(a.kind if not a.callee else f"passed to {a.callee!r}")
    return stores, loads, other


def pair_calls(ctx: Context, target: Any, dst: Optional[str]) -> CallPair:
    """The producer and consumer calls of ``target`` in its function, checked: exactly two
    statements use the buffer, both calls at the top level, the first only writes it,
    the second (a call of ``dst``) only reads it.

    Example: ``pair_calls(ctx, "Y", "matmul")``.
    """
    site = ctx.buffer(target)
    name = site.name
    if site.alloc is None:
        raise ctx.refuse(f"{name!r} is a function argument; to() streams a local buffer between calls",
                         hint="declare the intermediate buffer inside the calling kernel")
    if isinstance(site.type, BufferType) and site.type.is_stream:
        raise ctx.refuse(f"{name!r} is already a stream", hint="nothing to do")
    func = site.func
    users = [(k, s) for k, s in enumerate(func.body) if s is not site.alloc
             and any(a.buffer == name for a in access_sites([s]))]
    nested = [s for s in walk_stmts(func.body) if isinstance(s, Call)
              and any(a.buffer == name for a in access_sites([s]))
              and not any(s is t for _, t in users)]
    if nested:
        raise ctx.refuse(f"{name!r} is passed to {nested[0].callee!r} inside a loop or branch",
                         hint="stream between calls at the top level of the kernel")
    bad = [s for _, s in users if not isinstance(s, Call)]
    if bad or len(users) != 2:
        what = ", ".join(getattr(s, "callee", None) or getattr(s, "name", None) or type(s).__name__
                         for _, s in users) or "nothing"
        raise ctx.refuse(f"{name!r} must be used by exactly two calls (a producer, then "
                         f"{dst or 'a consumer'!r}); "
                         f"it is used by: {what}",
                         hint="a FIFO connects exactly two kernels; keep the array otherwise")
    (pk, pcall), (ck, ccall) = users
    if dst is not None and not (ccall.callee == dst or ctx.module.funcs[ccall.callee].attrs.get("template") == dst):
        raise ctx.refuse(f"the call reading {name!r} after its producer is {ccall.callee!r}, not {dst!r}",
                         hint=f"name the consumer: s.to({name!r}, {ccall.callee!r})")
    ends = []
    for role, k, call, want in (("producer", pk, pcall, "write"), ("consumer", ck, ccall, "read")):
        param = _bound_param(ctx, call, name)
        if param is None and want == "write" and name in call.results:
            param = result_to_parameter(ctx, site.alloc, call, name)
        if param is None:
            raise ctx.refuse(f"the {role} call {call.callee!r} binds {name!r} as a result, not an argument",
                             hint="a FIFO's consumer reads it as an argument")
        callee = ctx.module.funcs[call.callee]
        stores, loads, other = _param_uses(callee, param)
        if other:
            raise ctx.refuse(f"{call.callee!r} {other[0]} its parameter {param!r} (bound to {name!r})",
                             hint="a FIFO end must be read or written element by element")
        # a producer reading the buffer (an in-place accumulation) streams only when its
        # reads see the caller's fill, which is then forwarded into it (forward_producer_fill)
        if want == "read" and stores:
            raise ctx.refuse(f"the consumer {call.callee!r} writes {name!r} (parameter {param!r}); a FIFO is one-way",
                             hint=f"keep the array, or double-buffer it: s.pingpong({name!r})")
        if (stores if want == "write" else loads) == 0:
            raise ctx.refuse(f"the {role} {call.callee!r} never {want}s {name!r}",
                             hint="stream a buffer the first call writes and the second reads")
        ends.append(CallEnd(call, k, callee, param, loads if want == "write" else 0))
    return CallPair(func, site.alloc, ends[0], ends[1])


def _single_site(ctx: Context, end: CallEnd, write: bool, ordered: bool = True):
    from .dataflow_order import _uses

    sites = []
    for s in end.callee.body:
        w, r = _uses(s, end.param)
        sites += w if write else r
    role = "write" if write else "read"
    if len(sites) != 1:
        raise ctx.refuse(f"{end.callee.name!r} has {len(sites)} {role} sites of {end.param!r}; a FIFO "
                         "needs exactly one", hint="one put and one get per element, or s.pingpong(...)")
    if sites[0].guarded:
        raise ctx.refuse(f"the {role} of {end.param!r} in {end.callee.name!r} is conditional; every "
                         f"iteration must {role} once", hint="move it out of the condition, or keep the array")
    spatial = [l for l in sites[0].loops if l.attrs.get("unfold")]
    if spatial and ordered:  # a FIFO needs one order; a ping-pong bank takes any
        raise ctx.refuse(f"the {role} of {end.param!r} in {end.callee.name!r} runs in the PEs of the "
                         f"unfolded loop {spatial[0].name or spatial[0].var!r}: PEs run concurrently, so "
                         "the order of their accesses is not fixed", hint="double-buffer it instead: "
                         "s.pingpong(...)")
    return sites[0]


def prove_call_order(ctx: Context, pair: CallPair) -> int:
    """Prove that the producer callee writes each element once and the consumer callee
    reads them in that order; returns the element count.

    Example: ``n = prove_call_order(ctx, pair_calls(ctx, "Y", "matmul"))``.
    """
    from .dataflow_order import prove_same_order

    w = _single_site(ctx, pair.producer, write=True)
    r = _single_site(ctx, pair.consumer, write=False)
    w_trips = [ctx.constant_loop(l, "producer")[3] for l in w.loops]
    r_trips = [ctx.constant_loop(l, "consumer")[3] for l in r.loops]
    total_w, total_r = math.prod(w_trips), math.prod(r_trips)
    name = pair.alloc.name
    if total_w != total_r:
        raise ctx.refuse(f"side condition 'same element sequence' fails: {pair.producer.callee.name!r} "
                         f"writes {total_w} elements of {name!r} but {pair.consumer.callee.name!r} "
                         f"reads {total_r}", hint=f"a FIFO needs one read per write; s.pingpong({name!r}) "
                                                  "keeps the array instead")
    w_forms = [affine_form(e) for e in w.node.indices]
    r_forms = [affine_form(e) for e in r.node.indices]
    loop_vars = ({l.var for l in w.loops}, {l.var for l in r.loops})
    if any(f is None for f in w_forms + r_forms) or \
            any(v not in loop_vars[0] for f in w_forms for v in f.vars()) or \
            any(v not in loop_vars[1] for f in r_forms for v in f.vars()):
        ctx.assume_unchecked("same element sequence", f"an index of {name!r} is not affine in the loops around it")
    else:
        prove_same_order(ctx, name, w, r, w_trips, r_trips, w_forms, r_forms, total_w,
                         hint=f"double-buffer it instead: s.pingpong({name!r}) (a ping-pong buffer "
                              "accepts any access order)")
    return total_w


def forward_producer_fill(ctx: Context, pair: CallPair) -> None:
    """A producer that reads the buffer (the seed's in-place ``C[i, j] +=``, privatised by
    ``buffer_at``) streams when each read sees the caller's constant fill: the fill is
    forwarded into the producer's own instance, which then only writes the buffer
    (:func:`allo.primitives.dataflow_fill.forward_fill`: refused with the reason otherwise).

    Example: ``forward_producer_fill(ctx, pair_calls(ctx, "Y", "matmul"))``.
    """
    end = pair.producer
    if not end.reads:
        return
    try:
        forward_fill(ctx, pair.func, pair.alloc, end.call, required=True)
    except AlloError as err:
        raise ctx.refuse(f"the producer {end.callee.name!r} reads {pair.alloc.name!r} (parameter "
                         f"{end.param!r}), e.g. to accumulate in place, and a FIFO is one-way; its reads "
                         f"cannot take the caller's fill instead: {err.message}", hint=err.hint) from None
    end.callee = ctx.module.funcs[end.call.callee]
    end.reads = 0


def emit_call_stream(ctx: Context, pair: CallPair, depth: int) -> Callable[[int], None]:
    """Rewrite: stream parameters in both callees, a stream in the caller, a dataflow caller.

    Example: ``emit_call_stream(ctx, pair, depth=4)``.
    """
    from .dataflow import dataflow as mark_dataflow

    elem = pair.alloc.type.dtype
    stype = BufferType(StreamType(elem, depth), ())
    prod, cons = own_instance(ctx, pair.producer.call), own_instance(ctx, pair.consumer.call)
    for callee, param in ((prod, pair.producer.param), (cons, pair.consumer.param)):
        callee.param(param).type = stype
    for body in _all_bodies(prod.body):
        for k, t in enumerate(body):
            if isinstance(t, Store) and t.buffer == pair.producer.param:
                body[k] = StreamPut(t.buffer, (), t.value, loc=t.loc)
    for s in walk_stmts(cons.body):
        map_stmt_exprs(s, lambda e: StreamGet(e.buffer, (), elem, loc=e.loc)
                       if isinstance(e, Load) and e.buffer == pair.consumer.param else None)
    pair.alloc.type = stype
    pair.alloc.init = None
    mark_dataflow(ctx, pair.func.name)

    def retype(new_depth: int) -> None:
        """Give the stream (its declaration and both callee parameters) another depth."""
        t = BufferType(StreamType(elem, new_depth), ())

        def set_depth() -> None:
            pair.alloc.type = t
            prod.param(pair.producer.param).type = t
            cons.param(pair.consumer.param).type = t

        rekey_fills(ctx.module, pair.func, set_depth)  # the marks' tasks changed by a depth only

    return retype


def _all_bodies(body: List[Stmt]) -> List[List[Stmt]]:
    out = [body]
    for s in walk_stmts(body):
        out += child_bodies(s)
    return out


def stream_between_calls(ctx: Context, target: Any, dst: str, axis: Any, depth: int) -> None:
    """``to(target, dst)`` when ``dst`` is a called function: pair, prove, rewrite, size.

    Example: ``stream_between_calls(ctx, "Y", "matmul", None, -1)``.
    """
    from ..dataflow_graph.depths import settle_depth

    if axis is not None:
        raise ctx.refuse(f"axis={axis!r}: a stream between calls connects the whole calls",
                         hint="leave axis=None")
    if isinstance(depth, bool) or not isinstance(depth, int) or (depth < 1 and depth != -1):
        raise ctx.refuse(f"depth={depth!r} must be a positive integer or -1 (computed)",
                         hint="leave depth=-1: the depth is computed from the kernels' rates")
    pair = pair_calls(ctx, target, dst)
    forward_producer_fill(ctx, pair)
    count = prove_call_order(ctx, pair)
    retype = emit_call_stream(ctx, pair, count if depth == -1 else depth)
    settle_depth(ctx, pair.func.name, pair.alloc, depth, retype)


@primitive("pingpong", rule="annotation.pingpong", kinds={"target": BUFFER})
def pingpong(ctx: Context, target: Any) -> None:
    """Double-buffer the local ``target`` between the call that writes it and the call that
    reads it (any access orders): the caller becomes a dataflow region, the buffer a
    ping-pong pair. Side condition: the producer writes every element (once), so the
    buffer's initial value is dead and no other task writes it.
    Example: ``s_top.pingpong(s_top.Y)``."""
    from .dataflow import dataflow as mark_dataflow
    from .dataflow_order import prove_written_once

    pair = pair_calls(ctx, target, None)
    forward_producer_fill(ctx, pair)
    w = _single_site(ctx, pair.producer, write=True, ordered=False)
    trips = [ctx.constant_loop(l, "producer")[3] for l in w.loops]
    forms = [affine_form(e) for e in w.node.indices]
    name, size = pair.alloc.name, pair.alloc.type.size
    if math.prod(trips) != size:
        raise ctx.refuse(f"the producer {pair.producer.callee.name!r} writes {math.prod(trips)} elements "
                         f"of {name!r}, which has {size}: a ping-pong bank would keep stale elements",
                         hint="the producer must write the whole buffer")
    if any(f is None or any(v not in {l.var for l in w.loops} for v in f.vars()) for f in forms):
        ctx.assume_unchecked("every element written once", f"an index of {name!r} is not affine in its loops")
    else:
        prove_written_once(ctx, name, w, trips, forms, size)
    pair.alloc.init = None  # every element is written by the producer before it is read
    mark_dataflow(ctx, pair.func.name)
    pair.func.attrs.setdefault("pingpong", {})[name] = 2
    ctx.trivial("one writer call, then one reader call",
                f"{pair.producer.callee.name!r} writes {name!r}, {pair.consumer.callee.name!r} reads it")


__all__ = ["CallPair", "CallEnd", "is_function_target", "pair_calls", "prove_call_order",
           "emit_call_stream", "stream_between_calls", "pingpong"]
