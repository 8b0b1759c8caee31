"""``relay``: pass a PE-local buffer from PE to PE through a chain of FIFOs.

The semantics and side conditions are documented in :mod:`.dataflow` (rule
``dataflow.relay``); this module holds the check and the rewrite.

Example::

    buf_A = s.buffer_at(s.A, "j")
    pe = s.unfold("PE", axis=[0, 1], factor=[M, N])
    s.relay(buf_A, pe, axis=0, depth=M + 1)      # A_buf flows along j
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import z3

from ..ir.index import affine_form
from ..ir.nodes import (Alloc, Expr, For, Func, If, Load, Store, StreamGet, StreamPut, Var,
                        index_const, substitute)
from ..ir.types import BufferType, StreamType
from .base import BUFFER, LOOP, VALUE, BufferHandle, Context, all_names, fresh_name, primitive
from .dataflow_common import (CopyNest, PEArray, cmp, match_copy_nest, find_loop,
                              ivar, minus_one, stmt_site, stmt_vars)
from .deps import collect_accesses
from .index_z3 import form_term


def resolve_pe(ctx: Context, pe: Any) -> PEArray:
    """A :class:`PEArray`, or a band name whose unfolded loops form one."""
    if isinstance(pe, PEArray):
        return pe
    if isinstance(pe, str):
        loops = ctx.band_loops(pe)
        func = ctx.loop_site_of(loops[0]).func
        spatial = tuple(l.name if l.attrs.get("unfold") else None for l in loops)
        if not any(spatial):
            raise ctx.refuse(f"band {pe!r} has no unfolded loops", hint="call s.unfold on it first")
        return PEArray(func.name, loops[0].band, tuple((l.name,) for l in loops), spatial,
                       tuple(ctx.constant_loop(l, "pe")[3] if n else 1 for l, n in zip(loops, spatial)))
    raise ctx.refuse(f"pe={pe!r} is not a PE array", hint="pass the value s.unfold(...) returned")


def _affine_all(ctx: Context, exprs: Sequence[Expr], what: str) -> List:
    forms = [affine_form(e) for e in exprs]
    if any(f is None for f in forms):
        ctx.assume_unchecked("relay delivers the values each PE would load",
                             f"the {what} index is not affine")
    return forms


def _domain(loops: Sequence[For], env: Dict[str, z3.ArithRef]) -> List[z3.BoolRef]:
    """Iteration-space constraints of ``loops`` (over-approximated when non-affine)."""
    out: List[z3.BoolRef] = []
    for loop in loops:
        v = env[loop.var]
        lo, hi = affine_form(loop.lo), affine_form(loop.hi)
        if lo is not None:
            out.append(v >= form_term(lo, env))
            if loop.step != 1:
                t = z3.Int(f"{loop.var}_{id(env)}_t")
                out += [t >= 0, v == form_term(lo, env) + loop.step * t]
        if hi is not None:
            out.append(v < form_term(hi, env))
    return out


def _z3_index(forms, env) -> List[z3.ArithRef]:
    return [form_term(f, env) for f in forms if f is not None]


def _show(model, env, names) -> str:
    return ", ".join(f"{n}={model.eval(env[n], model_completion=True)}" for n in names)


def _elem(model, buffer: str, forms, env) -> str:
    return f"{buffer}[{', '.join(str(model.eval(form_term(f, env), model_completion=True)) for f in forms)}]"


COPY_OF, COPY_ROLE = "copy_of", "copy_role"  # the tag buffer_at leaves on its copy nests


def _find_copy_nests(ctx: Context, body: List, start: int, buf: str) -> Tuple[CopyNest, Optional[CopyNest]]:
    """The init and write-back nests ``buffer_at`` made for ``buf``: found by the tag it
    leaves on their outermost loops (``attrs["copy_of"]``), never by their shape."""
    found: Dict[str, List[CopyNest]] = {"init": [], "write_back": []}
    for s in body[start:]:
        if isinstance(s, For) and s.attrs.get(COPY_OF) == buf:
            nest = match_copy_nest(s)
            role = s.attrs.get(COPY_ROLE)
            if nest is None or role not in found:
                raise ctx.refuse(f"the {role or 'copy'} nest buffer_at made for {buf!r} was rewritten since",
                                 hint="relay right after buffer_at and unfold, before other "
                                      "primitives change the copy nests")
            found[role].append(nest)
    if len(found["init"]) != 1 or len(found["write_back"]) > 1:
        raise ctx.refuse(f"buffer {buf!r} was not made by buffer_at here (no single init copy nest "
                         f"tagged for it after its declaration)",
                         hint="relay takes a buffer created by s.buffer_at inside the PE array")
    init = found["init"][0]
    back = found["write_back"][0] if found["write_back"] else None
    if (init.dest, init.source == buf) != (buf, False) or \
            (back is not None and (back.source, back.dest) != (buf, init.source)):
        raise ctx.refuse(f"buffer {buf!r} is loaded from {init.source!r} but written back to "
                         f"{back.dest if back else None!r}",
                         hint="relay takes a buffer created by s.buffer_at, whose nests copy one source")
    return init, back


@dataclass
class RelayPlan:
    """What ``relay`` checked and will rewrite: the buffer, its copy nests, the PE chain
    it flows along (``P`` PEs, loop ``chain``), the spatial loops and the FIFO to add."""

    func: Func
    buffer: str
    alloc: Alloc
    spatial: List[For]
    chain: For
    P: int
    init: CopyNest
    back: Optional[CopyNest]
    region: For
    fifo: str
    depth: int


def _sink_into_chain(ctx: Context, buf: str, asite: Any, chain: For) -> bool:
    """Move a read-only ``buffer_at`` buffer declared just around spatial loop ``chain``
    (``[Alloc, init copy, chain]`` in one block: ``buffer_at(A, "i")`` of a PE array
    ``i, j``) to the start of ``chain``'s body, so each PE has its own copy to relay.
    Side conditions: nothing else in the block uses the buffer (no write-back), and
    ``chain`` writes neither the buffer nor the copy's source; then the copy re-run in each
    iteration gives the same contents (theorem ``dataflow.relay``, sinking lemma). False
    when the block does not have that shape (the caller then refuses as before).
    """
    parent, pos = asite.parent, asite.position
    if pos + 2 >= len(parent) or parent[pos + 2] is not chain or asite.guarded:
        return False
    first = parent[pos + 1]
    init = match_copy_nest(first) if isinstance(first, For) else None
    if init is None or first.attrs.get(COPY_OF) != buf or first.attrs.get(COPY_ROLE) != "init":
        return False
    users = [k for k, st in enumerate(parent)
             if k not in (pos, pos + 1, pos + 2) and any(a.buffer == buf for a in collect_accesses([st]))]
    if users:
        raise ctx.refuse(f"buffer {buf!r} declared around PE loop {chain.name!r} is also used "
                         "outside it (written back?): it cannot move into the PE loop",
                         hint="buffer_at a read-only argument, or at a loop inside the PE band")
    written = {a.buffer for a in collect_accesses([chain]) if a.write}
    for name in (buf, init.source):
        if name in written:
            raise ctx.refuse(f"PE loop {chain.name!r} writes {name!r}: the copy of {buf!r} made "
                             "before it cannot be repeated inside it",
                             hint="buffer_at at a loop inside the PE band")
    chain.body[0:0] = [parent[pos], first]
    del parent[pos:pos + 2]
    ctx.trivial("sinking keeps the buffer's contents",
                f"{buf!r} (copied from {init.source!r}, which loop {chain.name!r} never writes) "
                f"is copied again at the start of each iteration of {chain.name!r}")
    return True


def plan_relay(ctx: Context, buffer: Any, pe: Any, axis: int, depth: int) -> Optional[RelayPlan]:
    """Validate the arguments and discharge every side condition; ``None`` when there is
    nothing to relay (recorded in the certificate).

    Example: ``plan = plan_relay(ctx, "A_buf", pe, axis=0, depth=2)``.
    """
    site = ctx.buffer(buffer, "buffer")
    if site.alloc is None:
        raise ctx.refuse(f"buffer {site.name!r} is a function argument, not a PE-local buffer",
                         hint="create the PE-local buffer with s.buffer_at(target, axis) first")
    pe = resolve_pe(ctx, pe)
    func = site.func
    if isinstance(axis, bool) or not isinstance(axis, int) or not 0 <= axis < len(pe.positions):
        raise ctx.refuse(f"axis={axis!r} is not a position of the PE array's band",
                         hint=f"positions 0..{len(pe.positions) - 1}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ctx.refuse(f"depth={depth!r} must be a positive integer",
                         hint="depth is the FIFO capacity, e.g. depth=2")
    spatial: List[For] = []
    for name in pe.spatial_loops:
        loop = find_loop(func, name)
        if loop is None or not loop.attrs.get("unfold"):
            raise ctx.refuse(f"the PE array's spatial loop {name!r} no longer exists in {func.name!r}",
                             hint="call s.unfold again and pass its result")
        lo, _, step, _ = ctx.constant_loop(loop, "pe")
        if (lo, step) != (0, 1):
            raise ctx.refuse(f"spatial loop {name!r} does not run 0, 1, 2, ...",
                             hint="relay indexes FIFOs by PE index; unfold a normalized loop")
        spatial.append(loop)
    asite = stmt_site(func, site.alloc)
    outside = [loop for loop in spatial if not any(loop is e for e in asite.enclosing)]
    if len(outside) == 1 and _sink_into_chain(ctx, site.name, asite, outside[0]):
        asite = stmt_site(func, site.alloc)
    for loop in spatial:
        if not any(loop is e for e in asite.enclosing):
            raise ctx.refuse(f"buffer {site.name!r} is not declared inside the PE array's loop {loop.name!r}",
                             hint="create it with s.buffer_at at a loop inside the PE band")
    chains = [(k, find_loop(func, n)) for k, n in enumerate(pe.spatial) if n is not None and k != axis]
    if not chains:
        ctx.trivial("nothing to relay", f"{site.name!r} depends on every spatial axis of the PE array "
                    f"(axis {axis}): each PE loads its own slice, no neighbour shares it")
        return None
    if len(chains) > 1:
        raise ctx.refuse(f"the PE array has {len(chains)} other spatial axes "
                         f"({', '.join(l.name for _, l in chains)}); relay passes data along one",
                         hint="unfold fewer axes or relay a buffer that depends on all but one")
    chain = chains[0][1]
    P = ctx.constant_loop(chain, "pe")[3]
    if P == 1:
        ctx.trivial("nothing to relay", f"the chain loop {chain.name!r} has a single PE")
        return None
    if asite.guarded:
        raise ctx.refuse(f"buffer {site.name!r} is declared under a condition",
                         hint="relay needs every PE to run the same copy sequence")
    init, back = _find_copy_nests(ctx, asite.parent, asite.position + 1, site.name)
    _check_element_types(ctx, site.name, site.type.dtype, init, back)
    inside = asite.enclosing[[id(e) for e in asite.enclosing].index(id(chain)) + 1:]
    p = chain.var
    for loop in inside + init.loops + (back.loops if back else []):
        if p in stmt_vars([For(loop.var, loop.lo, loop.hi, 1, [])]):
            raise ctx.refuse(f"the bounds of loop {loop.name!r} depend on the PE index {p!r}: "
                             "neighbouring PEs would copy different element sequences",
                             hint="buffer at a loop whose inner bounds do not depend on the PE index")
    _check_shift(ctx, site.name, asite.enclosing, chain, P, init, back)
    region = next(l for l in asite.enclosing if any(l is s for s in spatial))
    _check_source_use(ctx, site.name, init.source, region, asite.enclosing, chain, init, back)
    fifo = fresh_name(all_names(func), f"{site.name}_fifo")
    return RelayPlan(func, site.name, site.alloc, spatial, chain, P, init, back, region, fifo, depth)


def emit_relay(ctx: Context, plan: RelayPlan) -> BufferHandle:
    """Add the FIFO array and rewrite the copy nests (first PE loads, the others receive;
    read-only: all but the last forward; written: the last writes back, the others forward).

    Example: ``fifo = emit_relay(ctx, plan)`` (a handle to ``A_buf_fifo``).
    """
    elem = plan.alloc.type.dtype
    chain, P = plan.chain, plan.P
    shape = tuple(P - 1 if l is chain else ctx.constant_loop(l, "pe")[3] for l in plan.spatial)
    rsite = stmt_site(plan.func, plan.region)
    rsite.parent.insert(rsite.position, Alloc(plan.fifo, BufferType(StreamType(elem, plan.depth), shape),
                                              loc=plan.alloc.loc))
    pv = ivar(chain.var)
    here = tuple(pv if l is chain else ivar(l.var) for l in plan.spatial)
    before = tuple(minus_one(pv) if l is chain else ivar(l.var) for l in plan.spatial)
    first, last = cmp("eq", pv, index_const(0)), cmp("eq", pv, index_const(P - 1))
    store = plan.init.store
    received = Store(plan.buffer, store.indices, StreamGet(plan.fifo, before, elem), loc=store.loc)
    new_init: List = [If(first, [store], [received])]
    if plan.back is None:
        new_init.append(If(cmp("lt", pv, index_const(P - 1)),
                           [StreamPut(plan.fifo, here, Load(plan.buffer, store.indices, elem), loc=store.loc)]))
    plan.init.loops[-1].body = new_init
    if plan.back is not None:
        wb = plan.back.store
        forward = StreamPut(plan.fifo, here, Load(plan.buffer, plan.back.load.indices, elem), loc=wb.loc)
        plan.back.loops[-1].body = [If(last, [wb], [forward])]
    return BufferHandle(plan.func.name, plan.fifo)


@primitive("relay", rule="dataflow.relay", kinds={"buffer": BUFFER, "pe": LOOP, "axis": VALUE, "depth": VALUE})
def relay(ctx: Context, buffer: Any, pe: Any, axis: int, depth: int = 2) -> Optional[BufferHandle]:
    """Relay ``buffer`` (made by ``buffer_at`` in the PE array) between neighbouring PEs
    along the spatial axis other than ``axis``; returns the FIFO array's handle.
    Example: ``s.relay(buf_A, pe, axis=0, depth=4)``."""
    plan = plan_relay(ctx, buffer, pe, axis, depth)
    return None if plan is None else emit_relay(ctx, plan)


def _check_element_types(ctx: Context, buf: str, elem: Any, init: CopyNest,
                         back: Optional[CopyNest]) -> None:
    """A PE that receives gets the value its predecessor held; it equals what the PE
    would have loaded only when the copies convert nothing (a narrowing write-back would
    otherwise send the value before narrowing)."""
    for role, nest in (("init", init), ("write-back", back)):
        if nest is None:
            continue
        if nest.store.value is not nest.load or nest.load.type != elem:
            src_t = init.load.type
            raise ctx.refuse(f"side condition 'the FIFO carries what each PE would load' fails: the "
                             f"{role} nest of {buf!r} converts between {elem} and {src_t} "
                             f"({init.source!r}), so a forwarded value differs from a reloaded one",
                             hint=f"give {buf!r} the element type of {init.source!r}")
    ctx.trivial("the FIFO carries what each PE would load",
                f"{buf!r} and {init.source!r} hold {elem}; the copy nests convert nothing")


def _check_shift(ctx: Context, buf: str, enclosing: Sequence[For], chain: For, P: int,
                 init: CopyNest, back: Optional[CopyNest]) -> None:
    """z3: PE p+1 copies (into each buffer element, at each step) the source element PE p
    copied (read-only) or wrote back (partial sums)."""
    names = [l.var for l in enclosing] + [l.var for l in init.loops]
    a = {n: z3.Int(f"{n}_pe") for n in names}
    b = dict(a)
    b[chain.var] = z3.Int(f"{chain.var}_next")
    base = _domain(list(enclosing) + init.loops, a) + [b[chain.var] == a[chain.var] + 1,
                                                      b[chain.var] < P]
    if back is None:
        sent_src, sent_buf = init.load.indices, init.store.indices
        verb = "loads"
    else:
        if len(back.loops) != len(init.loops):
            raise ctx.refuse(f"the write-back nest of {buf!r} does not mirror its init nest",
                             hint="relay takes a buffer created by s.buffer_at and not rewritten since")
        rename = {wl.var: Var(il.var, wl.lo.type) for wl, il in zip(back.loops, init.loops)}
        for wl, il in zip(back.loops, init.loops):
            if (substitute(wl.lo, rename), substitute(wl.hi, rename), wl.step) != (il.lo, il.hi, il.step):
                raise ctx.refuse(f"the write-back nest of {buf!r} does not mirror its init nest",
                             hint="relay takes a buffer created by s.buffer_at and not rewritten since")
        sent_src = [substitute(e, rename) for e in back.store.indices]
        sent_buf = [substitute(e, rename) for e in back.load.indices]
        verb = "writes back"
    f_src = _affine_all(ctx, init.load.indices, "source")
    f_buf = _affine_all(ctx, init.store.indices, "buffer")
    g_src = _affine_all(ctx, sent_src, "source")
    g_buf = _affine_all(ctx, sent_buf, "buffer")
    if any(x is None for x in f_src + f_buf + g_src + g_buf):
        return
    differs = [x != y for x, y in zip(_z3_index(g_src, a), _z3_index(f_src, b))]
    differs += [x != y for x, y in zip(_z3_index(g_buf, a), _z3_index(f_buf, b))]
    src = init.source

    def witness(m) -> str:
        return (f"PE ({_show(m, a, [l.var for l in enclosing])}) {verb} {_elem(m, src, g_src, a)} "
                f"as {_elem(m, buf, g_buf, a)} but its successor along {chain.name!r} "
                f"({_show(m, b, [chain.var])}) needs {_elem(m, src, f_src, b)} there: the contents of "
                f"{buf!r} change along {chain.name!r}, so they cannot be relayed along it")

    ctx.prove("neighbouring PEs copy the same elements in the same order",
              base + [z3.Or(*differs) if differs else z3.BoolVal(False)], witness,
              hint="relay the buffer along an axis its contents do not depend on "
                   "(axis = the band position the buffer depends on)")


def _check_source_use(ctx: Context, buf: str, src: str, region: For, enclosing: Sequence[For],
                      chain: For, init: CopyNest, back: Optional[CopyNest]) -> None:
    """The relayed source elements are not changed behind the chain's back."""
    rsite = ctx.loop_site_of(region)
    region_acc = [x for x in collect_accesses([region], tuple(rsite.enclosing)) if x.buffer == src]
    copy_acc = [x for x in collect_accesses([init.root] + ([back.root] if back else [])) if x.buffer == src]
    if back is None:
        writes = [x for x in region_acc if x.write]
        if writes:
            raise ctx.refuse(f"side condition 'relayed source is read-only in the PE array' fails: "
                             f"{writes[0].describe()} inside loop {region.name!r}",
                             hint="PEs further down the chain would receive stale values")
        ctx.trivial("relayed source is read-only in the PE array", f"no write to {src!r} in {region.name!r}")
        return
    if len(region_acc) != len(copy_acc):
        others = len(region_acc) - len(copy_acc)
        raise ctx.refuse(f"side condition 'partial sums are private to the chain' fails: {others} other "
                         f"access(es) to {src!r} inside loop {region.name!r}",
                         hint="the relayed elements must be touched only by this buffer's copy nests")
    names = [l.var for l in enclosing] + [l.var for l in init.loops]
    a = {n: z3.Int(f"{n}_one") for n in names}
    b = {n: z3.Int(f"{n}_two") for n in names}
    off_chain = [l.var for l in enclosing if l is not chain]
    fa = [affine_form(e) for e in init.load.indices]
    same = [x == y for x, y in zip(_z3_index(fa, a), _z3_index(fa, b))]
    split = z3.Or(*[a[n] != b[n] for n in off_chain]) if off_chain else z3.BoolVal(False)

    def witness(m) -> str:
        return (f"PEs ({_show(m, a, [l.var for l in enclosing])}) and ({_show(m, b, [l.var for l in enclosing])}) "
                f"on different chains both use {_elem(m, src, fa, a)}")

    ctx.prove("partial sums are private to the chain",
              _domain(list(enclosing) + init.loops, a) + _domain(list(enclosing) + init.loops, b) + same + [split],
              witness, hint="relay a buffer whose elements belong to one chain of PEs")


__all__ = ["relay", "resolve_pe"]
