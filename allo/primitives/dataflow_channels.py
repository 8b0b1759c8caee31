"""``stream_channels``: a local array of channels, passed to PE calls as sub-views, becomes
an array of FIFOs (rule ``dataflow.channels``).

A *channel array* ``A_fifo: T[M, N + 1, K]`` is used as ``M x (N + 1)`` channels of ``K``
elements: a loop fills channel ``(m, 0)``, the PE ``(i, j)`` receives the sub-view
``A_fifo[i, j]`` (its input) and ``A_fifo[i, j + 1]`` (its output) as arguments of a call,
and a drain loop empties channel ``(m, N)``. The leading dimensions the sub-views fix are
the channel index; the others index an element of the channel. ``s.to(A_fifo, pe,
axis=1)`` (public Allo's spelling) turns the array into ``Stream[T, depth][M, N + 1]``:
each store becomes a ``put`` on its channel, each load a ``get``, and the callee
parameters bound to a channel become streams (a callee called elsewhere too is cloned
first, as for streams between calls).

Side conditions, for every channel at once (z3 over the iteration numbers of every
access site, each loop's value written ``lo + step * t``; the program order of two
accesses is the lexicographic order of their positions and iteration numbers, calls
included; in one statement the loads come before the store):

* every access is a load or store at the top of a call chain or in a callee through the
  sub-view, unguarded, in loops with constant bounds, with affine indices;
* *written once*: no two writes name the same element of the same channel, and *read
  once* likewise;
* *every read element is written*: for each read there is a write of that element (a
  quantified query), and there are as many writes as reads (so the written and the read
  elements are the same set);
* *written before read*: no read comes before the write of its element;
* *same order*: no two elements of one channel are written in one order and read in the
  other.

Then each channel's n-th get names the element of its n-th put (an order-preserving
bijection between two enumerations of one set is the identity), the put happened before
the get (so the FIFO is not empty), and the FIFO returns the value the array held there:
the theorem ``dataflow.channels`` in ``proofs/dataflow.py``.

Example::

    pe = s.unfold("PE", [0, 1])
    s.to(s.A_fifo, pe, axis=1, depth=M + 1)     # = s.stream_channels(s.A_fifo, pe, 1, M + 1)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import z3

from ..ir.index import affine_form, constant_trips
from ..ir.nodes import (Alloc, BufRef, Call, Expr, For, Func, If, Load, Op, Return, Stmt, Store, StreamGet,
                        StreamPut, Var, While, child_bodies, index_const, map_stmt_exprs,
                        stmt_exprs, substitute, walk_expr, walk_stmts)
from ..ir.types import BufferType, StreamType, index
from ..ir.effects import is_stream_type
from .base import BUFFER, LOOP, VALUE, BufferHandle, Context, primitive, template_instance
from ..errors import AlloError
from .dataflow_common import stmt_site
from .dataflow_relay import resolve_pe
from .index_z3 import form_term

Component = Union[int, str]  # a statement position, or the name of a loop's iteration number


@dataclass
class ChannelAccess:
    """One load or store of the channel array, possibly inside a callee reached through a
    sub-view. ``path`` is its place in program order (positions and iteration-number
    names, outermost first); ``loops`` maps each iteration-number name to its trip
    count; ``forms`` are the full indices (channel, then element) as affine forms over
    the iteration numbers."""

    write: bool
    path: List[Component]
    loops: Dict[str, int]
    forms: List[Any]
    where: str
    func: Func  # the function holding the access
    param: str  # the buffer or parameter name the access uses there
    node: Any  # the Store, or the Load
    holder: Stmt  # the statement holding the access
    parent: List[Stmt]  # the body holding ``holder``
    via: Optional[Call]  # the call whose callee holds the access (None: the array's function)


@dataclass
class ChannelPlan:
    """The proved conversion: the declaration, how many leading dimensions index
    channels, every access, and the calls whose callees receive a channel."""

    func: Func
    alloc: Alloc
    channel_dims: int
    depth: int
    accesses: List[ChannelAccess]
    calls: List[Tuple[Call, int]] = field(default_factory=list)  # (call, argument position)


class _Walker:
    """Collects the accesses of one buffer in program order, following sub-views into
    callees; refuses what the rule does not cover."""

    def __init__(self, ctx: Context, buffer: str):
        self.ctx, self.buffer = ctx, buffer
        self.accesses: List[ChannelAccess] = []
        self.calls: List[Tuple[Call, int]] = []
        self.channel_dims: Optional[int] = None
        self.fresh = itertools.count()

    def refuse(self, message: str, hint: str) -> Exception:
        return self.ctx.refuse(message, hint=hint)

    def walk(self, func: Func, body: List[Stmt], name: str, prefix: Tuple[Expr, ...],
             path: List[Component], loops: Dict[str, int], rename: Dict[str, Expr],
             where: str, via: Optional[Call]) -> None:
        """Walk ``body`` of ``func``, where ``name`` (the buffer, or a parameter bound to
        the sub-view ``prefix`` of it by call ``via``) is accessed; ``rename`` maps loop
        variables and scalar parameters to terms over the iteration numbers."""
        for pos, s in enumerate(body):
            here = path + [pos]
            loads = self._loads(s, name)
            if isinstance(s, For):
                if loads:
                    raise self.refuse(f"loop {s.name!r} in {func.name!r} reads {self.buffer!r} in its bounds",
                                      hint="channel loops need constant bounds")
                if not self._touches(s, name):
                    continue
                c = constant_trips(s)
                if c is None or c.trips < 1:
                    raise self.refuse(f"loop {s.name!r} in {func.name!r} around an access to "
                                      f"{self.buffer!r} has non-constant bounds (or never runs)",
                                      hint="channels need loops with constant bounds")
                t = f"#t{next(self.fresh)}"  # '#': no program variable has this name
                inner = dict(rename)
                inner[s.var] = _loop_value(c.lo, c.step, t)
                self.walk(func, s.body, name, prefix, here + [t], {**loops, t: c.trips}, inner, where, via)
            elif isinstance(s, (If, While)):
                if self._touches(s, name):
                    raise self.refuse(f"{self.buffer!r} is accessed under a condition or in a while loop "
                                      f"in {func.name!r}", hint="every channel access must run unconditionally")
            elif isinstance(s, StreamPut) and s.stream == name or \
                    any(isinstance(x, StreamGet) and x.stream == name for e in stmt_exprs(s) for x in walk_expr(e)):
                raise self.refuse(f"{self.buffer!r} is already used as a stream in {func.name!r}",
                                  hint="convert a plain array of channels")
            elif isinstance(s, Return) and any(isinstance(a, BufRef) and a.buffer == name for a in s.values):
                raise self.refuse(f"{func.name!r} returns {self.buffer!r}",
                                  hint="a channel array must stay local to the function that declares it")
            elif isinstance(s, Call):
                if loads:
                    raise self.refuse(f"call {s.callee!r} in {func.name!r} takes an element of "
                                      f"{self.buffer!r} as a scalar argument",
                                      hint="load the element into a scalar before the call")
                self._call(func, s, name, prefix, here, loops, rename, where, via)
            else:
                if len(loads) > 1:
                    raise self.refuse(f"a statement of {func.name!r} loads {self.buffer!r} "
                                      f"{len(loads)} times; the order of the two gets is not fixed",
                                      hint="load each channel element into a scalar first")
                for x in loads:
                    self._add(False, func, name, prefix, x.indices, here + [0], loops, rename, where, x,
                              s, body, via)
                if isinstance(s, Store) and s.buffer == name:
                    self._add(True, func, name, prefix, s.indices, here + [1], loops, rename, where, s,
                              s, body, via)

    @staticmethod
    def _loads(s: Stmt, name: str) -> List[Load]:
        return [x for e in stmt_exprs(s) for x in walk_expr(e) if isinstance(x, Load) and x.buffer == name]

    def _touches(self, s: Stmt, name: str) -> bool:
        for t in walk_stmts([s]):
            if self._loads(t, name) or isinstance(t, Store) and t.buffer == name:
                return True
            if isinstance(t, Return) and any(isinstance(a, BufRef) and a.buffer == name for a in t.values):
                return True
            if isinstance(t, Call) and (name in t.results or
                                        any(isinstance(a, BufRef) and a.buffer == name for a in t.args)):
                return True
        return False

    def _call(self, func: Func, call: Call, name: str, prefix: Tuple[Expr, ...], here: List[Component],
              loops: Dict[str, int], rename: Dict[str, Expr], where: str, via: Optional[Call]) -> None:
        bound = [(k, a) for k, a in enumerate(call.args) if isinstance(a, BufRef) and a.buffer == name]
        if name in call.results:
            raise self.refuse(f"call {call.callee!r} binds {self.buffer!r} as a result",
                              hint="pass the channels as sub-view arguments")
        if not bound:
            return
        if via is not None:
            raise self.refuse(f"{func.name!r} passes its channel parameter {name!r} on to {call.callee!r}",
                              hint="access a channel element by element in the function that receives it")
        callee = self.ctx.module.funcs.get(call.callee)
        if callee is None:
            raise self.refuse(f"{self.buffer!r} is passed to {call.callee!r}, which is not a function "
                              "of the design", hint="pass channels to kernels defined in the design")
        scalars = {p.name: substitute(a, rename) for p, a in zip(callee.params, call.args)
                   if not isinstance(a, BufRef)}
        for k, ref in bound:
            if not ref.prefix:
                raise self.refuse(f"call {call.callee!r} receives the whole of {self.buffer!r}",
                                  hint=f"pass one channel per argument: a sub-view such as {self.buffer}[i, j]")
            if k >= len(callee.params):
                raise self.refuse(f"call {call.callee!r} has no parameter for argument {k}",
                                  hint="call kernels with their declared parameters")
            self._channel_dims(len(ref.prefix), call.callee)
            self.calls.append((call, k))
            param = callee.params[k].name
            # the callee's accesses sit at the call's place in program order, followed by
            # their own positions in the callee (every parameter of one call shares them)
            self.walk(callee, callee.body, param, tuple(substitute(e, rename) for e in ref.prefix),
                      here, loops, dict(scalars), f"call {call.callee!r} (parameter {param!r})", call)

    def _channel_dims(self, d: int, callee: str) -> None:
        if self.channel_dims is None:
            self.channel_dims = d
        elif self.channel_dims != d:
            raise self.refuse(f"the sub-views of {self.buffer!r} fix {self.channel_dims} and {d} leading "
                              f"indices (call {callee!r}): they do not name the same channels",
                              hint="pass every PE one channel: sub-views with the same number of indices")

    def _add(self, write: bool, func: Func, name: str, prefix: Tuple[Expr, ...], indices: Sequence[Expr],
             path: List[Component], loops: Dict[str, int], rename: Dict[str, Expr], where: str,
             node: Any, holder: Stmt, parent: List[Stmt], via: Optional[Call]) -> None:
        full = tuple(prefix) + tuple(substitute(e, rename) for e in indices)
        forms = [affine_form(e) for e in full]
        if any(f is None or any(v not in loops for v in f.vars()) for f in forms):
            raise self.refuse(f"an index of {self.buffer!r} in {func.name!r} is not affine in the loops "
                              "around it", hint="index channels with affine expressions of loop variables")
        kind = "store" if write else "load"
        self.accesses.append(ChannelAccess(write, path, loops, forms, f"the {kind} in {where}",
                                           func, name, node, holder, parent, via))


def _loop_value(lo: int, step: int, t: str) -> Expr:
    """The value of a loop variable in iteration number ``t``: ``lo + step * t``."""
    term: Expr = Var(t, index)
    if step != 1:
        term = Op("mul", (index_const(step), term), index)
    if lo:
        term = Op("add", (index_const(lo), term), index)
    return term


# ------------------------------------------------------------------ z3 over instances
def _instance(acc: ChannelAccess, tag: str) -> Tuple[Dict[str, z3.ArithRef], List[z3.BoolRef]]:
    env = {t: z3.Int(f"{t}_{tag}") for t in acc.loops}
    domain = [c for t, n in acc.loops.items() for c in (env[t] >= 0, env[t] < n)]
    return env, domain


def _index(acc: ChannelAccess, env) -> List[z3.ArithRef]:
    return [form_term(f, env) for f in acc.forms]


def _before(a: ChannelAccess, ea, b: ChannelAccess, eb) -> z3.BoolRef:
    """Instance ``a`` (iteration numbers ``ea``) runs before instance ``b``."""
    cases: List[z3.BoolRef] = []
    equal: List[z3.BoolRef] = []
    for x, y in zip(a.path, b.path):
        if isinstance(x, int) and isinstance(y, int):
            if x != y:
                if x < y:
                    cases.append(z3.And(*equal) if equal else z3.BoolVal(True))
                break
            continue
        # same statement so far: both components are the same loop's iteration numbers
        cases.append(z3.And(*equal, ea[x] < eb[y]))
        equal.append(ea[x] == eb[y])
    return z3.Or(*cases) if cases else z3.BoolVal(False)


def _show(m: z3.ModelRef, buffer: str, idx: Sequence[z3.ArithRef]) -> str:
    return f"{buffer}[{', '.join(str(m.eval(x, model_completion=True)) for x in idx)}]"


Case = Tuple[List[z3.BoolRef], Callable[[z3.ModelRef], str]]


def _prove_cases(ctx: Context, name: str, cases: List[Case], hint: str) -> None:
    """One side condition over several pairs of access sites: refuted when some case's
    constraints hold together; the witness is that case's."""
    if not cases:
        ctx.trivial(name, "no pair of accesses to compare")
        return
    conj = [z3.And(*cs) for cs, _ in cases]

    def witness(m: z3.ModelRef) -> str:
        for c, (_, describe) in zip(conj, cases):
            if z3.is_true(m.eval(c, model_completion=True)):
                return describe(m)
        return cases[0][1](m)

    ctx.prove(name, [z3.Or(*conj)], witness, hint=hint)


def _prove_channels(ctx: Context, buffer: str, accesses: List[ChannelAccess], cd: int) -> None:
    """Discharge the rule's side conditions for every channel (``cd`` leading indices name
    the channel)."""
    writes = [a for a in accesses if a.write]
    reads = [a for a in accesses if not a.write]
    n_writes = sum(math.prod(a.loops.values()) for a in writes)
    n_reads = sum(math.prod(a.loops.values()) for a in reads)
    if n_writes != n_reads:
        raise ctx.refuse(f"side condition 'every element written once and read once' fails: "
                         f"{buffer!r} is written {n_writes} times but read {n_reads} times",
                         hint="a FIFO needs one get per put; drain every channel to the end")
    for role, group in (("written", writes), ("read", reads)):
        cases: List[Case] = []
        for k, a in enumerate(group):
            for b in group[k:]:
                ea, da = _instance(a, "one")
                eb, db = _instance(b, "two")
                ia, ib = _index(a, ea), _index(b, eb)
                distinct = [_before(a, ea, b, eb)] if a is b else []
                cases.append((da + db + distinct + [x == y for x, y in zip(ia, ib)],
                              lambda m, a=a, b=b, ia=ia: f"{a.where} and {b.where} both access "
                              f"{_show(m, buffer, ia)}"))
        _prove_cases(ctx, f"every element {role} once", cases,
                     hint="a FIFO element is put once and got once")
    cases = []
    for r in reads:
        er, dr = _instance(r, "read")
        ir = _index(r, er)
        unwritten = []
        for w in writes:
            ew, dw = _instance(w, "write")
            iw = _index(w, ew)
            same = z3.And(*dw, *[x == y for x, y in zip(iw, ir)])
            unwritten.append(z3.Not(z3.Exists(list(ew.values()), same)) if ew else z3.Not(same))
        cases.append((dr + unwritten, lambda m, r=r, ir=ir: f"{r.where} reads {_show(m, buffer, ir)}, "
                      "which no access writes"))
    _prove_cases(ctx, "every read element is written", cases,
                 hint="every element a PE or drain loop reads must be put into its channel first")
    cases = []
    for w in writes:
        for r in reads:
            ew, dw = _instance(w, "write")
            er, dr = _instance(r, "read")
            iw, ir = _index(w, ew), _index(r, er)
            cases.append((dw + dr + [x == y for x, y in zip(iw, ir)] + [z3.Not(_before(w, ew, r, er))],
                          lambda m, w=w, r=r, ir=ir: f"{r.where} reads {_show(m, buffer, ir)} before "
                          f"{w.where} writes it"))
    _prove_cases(ctx, "every element is written before it is read", cases,
                 hint="a FIFO cannot deliver an element before it is put")
    cases = []
    for w1, w2, r1, r2 in itertools.product(writes, writes, reads, reads):
        e1, d1 = _instance(w1, "w1")
        e2, d2 = _instance(w2, "w2")
        f1, g1 = _instance(r1, "r1")
        f2, g2 = _instance(r2, "r2")
        i1, i2, j1, j2 = _index(w1, e1), _index(w2, e2), _index(r1, f1), _index(r2, f2)
        cases.append((d1 + d2 + g1 + g2 + [x == y for x, y in zip(i1[:cd], i2[:cd])]
                      + [x == y for x, y in zip(i1, j1)] + [x == y for x, y in zip(i2, j2)]
                      + [_before(w1, e1, w2, e2), _before(r2, f2, r1, f1)],
                      lambda m, i1=i1, i2=i2, r1=r1, r2=r2: f"{_show(m, buffer, i1)} is written before "
                      f"{_show(m, buffer, i2)} but {r2.where} reads the second before {r1.where} reads "
                      "the first"))
    _prove_cases(ctx, "each channel is read in the order it is written", cases,
                 hint="a FIFO delivers a channel's elements in the order they were put")


def _prove_one_task_per_end(ctx: Context, buffer: str, accesses: List[ChannelAccess], cd: int) -> None:
    """Each channel is put by one task and got by one task (the tasks: the top-level
    statements of the function declaring the array), as a dataflow region needs."""
    for role, group in (("put", [a for a in accesses if a.write]), ("got", [a for a in accesses if not a.write])):
        cases: List[Case] = []
        for a, b in itertools.combinations(group, 2):
            if a.path[0] == b.path[0]:
                continue
            ea, da = _instance(a, "one")
            eb, db = _instance(b, "two")
            ia, ib = _index(a, ea), _index(b, eb)
            cases.append((da + db + [x == y for x, y in zip(ia[:cd], ib[:cd])],
                          lambda m, a=a, b=b, ia=ia: f"{a.where} and {b.where}, in different tasks, "
                          f"both use channel {_show(m, buffer, ia[:cd])}"))
        _prove_cases(ctx, f"each channel is {role} by one task", cases,
                     hint="a FIFO between concurrent tasks has one producer and one consumer")


def _mark_dataflow_when_ready(ctx: Context, plan: ChannelPlan) -> None:
    """Make the function a dataflow region (its tasks run concurrently, so a load loop
    fills the channels while the PEs drain them) once every stream it declares is a
    channel array proved to have one producer and one consumer task per channel and its
    plain buffers pass the ``dataflow`` primitive's check; until then, say why not."""
    from .dataflow import _check_plain_buffers, region_tasks

    func = plan.func
    proved = tuple(func.attrs.get("channel_arrays", ()))
    if stmt_site(func, plan.alloc).parent is func.body and plan.alloc.name not in proved:
        proved += (plan.alloc.name,)  # a new tuple: module copies share attribute values
        func.attrs["channel_arrays"] = proved
    streams = sorted(n for n, ty in func.buffers().items() if is_stream_type(ty))
    pending = [n for n in streams if n not in proved]
    if func.attrs.get("dataflow"):
        return
    if pending:
        ctx.trivial("dataflow region: not yet", f"stream(s) {', '.join(pending)} of {func.name!r} are "
                    "not channel arrays proved one task per end; the tasks stay sequential")
        return
    try:
        _check_plain_buffers(ctx, func, region_tasks(func.body))
    except AlloError as e:
        ctx.trivial("dataflow region: not yet", f"the tasks of {func.name!r} stay sequential: {e.message}")
        return
    func.attrs["dataflow"] = True


def plan_channels(ctx: Context, target: Any, pe: Any, axis: Any, depth: Any) -> ChannelPlan:
    """Validate the arguments, collect every access of the channel array and discharge the
    side conditions.

    Example: ``plan = plan_channels(ctx, "A_fifo", pe, axis=1, depth=3)``.
    """
    site = ctx.buffer(target)
    if site.alloc is None:
        raise ctx.refuse(f"{site.name!r} is a function argument, not a local array of channels",
                         hint="declare the channel array inside the kernel")
    if isinstance(site.type, BufferType) and site.type.is_stream:
        raise ctx.refuse(f"{site.name!r} is already a stream", hint="nothing to do")
    if site.alloc.stateful:
        raise ctx.refuse(f"{site.name!r} is Stateful: its contents outlive the call, a FIFO's do not",
                         hint="stream a buffer that is not Stateful")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ctx.refuse(f"depth={depth!r} must be a positive integer", hint="depth is each FIFO's capacity")
    pe = resolve_pe(ctx, pe)
    if pe.func != site.func.name:
        raise ctx.refuse(f"the PE array is in {pe.func!r} but {site.name!r} is declared in {site.func.name!r}",
                         hint="unfold the PE band of the function that declares the channels")
    if isinstance(axis, bool) or not isinstance(axis, int) or not 0 <= axis < len(pe.spatial) \
            or pe.spatial[axis] is None:
        raise ctx.refuse(f"axis={axis!r} is not a spatial position of the PE array",
                         hint=f"spatial positions: {[k for k, n in enumerate(pe.spatial) if n]}")
    walker = _Walker(ctx, site.name)
    walker.walk(site.func, site.func.body, site.name, (), [], {}, {}, f"{site.func.name!r}", None)
    if walker.channel_dims is None:
        raise ctx.refuse(f"{site.name!r} is never passed to a call as a sub-view: it is not an array of "
                         "channels", hint="for a buffer made by buffer_at use s.relay, for one producer "
                                          "and one consumer nest s.to(buffer, consumer_loop)")
    d = walker.channel_dims
    shape = site.alloc.type.shape
    if d >= len(shape):
        raise ctx.refuse(f"the sub-views of {site.name!r} fix all of its {len(shape)} indices",
                         hint="a channel is the array's trailing dimensions")
    _prove_channels(ctx, site.name, walker.accesses, d)
    if stmt_site(site.func, site.alloc).parent is site.func.body:
        _prove_one_task_per_end(ctx, site.name, walker.accesses, d)
    ctx.trivial("the PE array's flow axis",
                f"channels of {site.name!r} flow along spatial position {axis} "
                f"({pe.spatial[axis]!r}); the FIFO order is proved for every channel whatever the axis")
    return ChannelPlan(site.func, site.alloc, d, depth, walker.accesses, walker.calls)


def emit_channels(ctx: Context, plan: ChannelPlan) -> BufferHandle:
    """Rewrite: the array becomes a stream array over the channel dimensions, its stores
    puts and its loads gets; the callee parameters bound to a channel become streams.

    Example: ``emit_channels(ctx, plan_channels(ctx, "A_fifo", pe, 1, 3))``.
    """
    from .dataflow_fill import own_instance

    elem = plan.alloc.type.dtype
    d = plan.channel_dims
    one = BufferType(StreamType(elem, plan.depth), ())
    for call, k in plan.calls:
        own_instance(ctx, call).params[k].type = one
    done = set()
    # loads first: a statement that loads one channel and stores another is rewritten
    # in place for its get before it is replaced by its put
    for acc in sorted(plan.accesses, key=lambda a: a.write):
        func = plan.func if acc.via is None else ctx.module.funcs[acc.via.callee]
        holder, parent = (acc.holder, acc.parent) if func is acc.func else _locate(acc, func)
        # one statement may load two channel parameters of one call (`a_in[t] * b_in[t]`):
        # each parameter's loads are rewritten, so the key names the parameter too
        if (id(holder), acc.write, acc.param) in done:
            continue
        done.add((id(holder), acc.write, acc.param))
        keep = d if acc.via is None else 0
        if acc.write:
            pos = next(i for i, s in enumerate(parent) if s is holder)
            parent[pos] = StreamPut(holder.buffer, tuple(holder.indices[:keep]), holder.value, loc=holder.loc)
        else:
            map_stmt_exprs(holder, lambda e, keep=keep, name=acc.param: StreamGet(
                e.buffer, tuple(e.indices[:keep]), elem, loc=e.loc)
                if isinstance(e, Load) and e.buffer == name else None)
    plan.alloc.type = BufferType(StreamType(elem, plan.depth), plan.alloc.type.shape[:d])
    plan.alloc.init = None
    _mark_dataflow_when_ready(ctx, plan)
    return BufferHandle(plan.func.name, plan.alloc.name)


def _locate(acc: ChannelAccess, clone: Func) -> Tuple[Stmt, List[Stmt]]:
    """The statement of ``clone`` (a copy of ``acc.func``) at the original's place."""
    original = acc.func
    path: List[int] = []

    def find(body: List[Stmt], trail: List[int]) -> bool:
        for i, s in enumerate(body):
            if s is acc.holder:
                path.extend(trail + [i])
                return True
            for c, child in enumerate(child_bodies(s)):
                if find(child, trail + [i, c]):
                    return True
        return False

    find(original.body, [])
    body = clone.body
    for i, c in zip(path[0:-1:2], path[1:-1:2]):
        body = child_bodies(body[i])[c]
    return body[path[-1]], body


@primitive("stream_channels", rule="dataflow.channels",
           kinds={"target": BUFFER, "pe": LOOP, "axis": VALUE, "depth": VALUE})
def stream_channels(ctx: Context, target: Any, pe: Any, axis: int, depth: int = 2) -> BufferHandle:
    """Turn the local channel array ``target`` (passed to PE calls as sub-views) into an
    array of FIFOs, one per channel; ``axis`` is the PE array's spatial position the
    channels flow along. Example: ``s.stream_channels(s.A_fifo, pe, axis=1, depth=3)``."""
    return emit_channels(ctx, plan_channels(ctx, target, pe, axis, depth))


def passes_sub_views(module: Any, target: Any) -> bool:
    """Whether ``target`` (a handle or ``"func:name"``) is passed to some call as a
    sub-view: ``s.to(buf, pe, axis=)`` then means :func:`stream_channels`, not ``relay``.

    Example: ``passes_sub_views(s.ir, s.A_fifo)``.
    """
    if isinstance(target, BufferHandle):
        qual, name = target.func, target.name
    elif isinstance(target, str):
        qual, _, name = target.rpartition(":")
    else:
        return False
    if qual:
        real = template_instance(module, qual)
        funcs = [module.funcs[real]] if real is not None else []
    else:
        funcs = list(module.funcs.values())
    return any(isinstance(a, BufRef) and a.buffer == name and a.prefix
               for f in funcs if f is not None and name in f.buffers()
               for s in walk_stmts(f.body) if isinstance(s, Call) for a in s.args)


__all__ = ["stream_channels", "plan_channels", "emit_channels", "passes_sub_views", "ChannelPlan"]
