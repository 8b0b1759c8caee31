"""Loop primitives: ``split``, ``reorder``, ``fuse``, ``tile``, ``unroll``, ``pipeline``,
``parallel``.

Each primitive states its side condition next to its rewrite and names the rule
(theorem in ``proofs/``) it instantiates:

* ``split``   (rule ``loop.split``): the map ``t -> (t // F, t % F)`` is a bijection of
  ``[0, N)`` onto the ``(outer, inner)`` space with ``inner < min(F, N - outer*F)`` that
  preserves order; checked as three z3 queries for the concrete ``N`` and ``F``.
* ``reorder`` (rule ``loop.reorder``): no pair of conflicting accesses runs in the
  opposite order under the permutation (dependence analysis in :mod:`.deps`).
* ``fuse``    (rule ``loop.fuse``): the map from ``(i, j)`` to ``i * M + j`` is an
  order-preserving bijection of rectangular spaces.
* ``unroll``/``pipeline`` (rule ``annotation``): attributes only; arguments checked.
* ``parallel`` (rule ``annotation.parallel``): no loop-carried dependence.

Example::

    s = allo.customize(gemm)
    s.split("i", 4)                  # loops i.outer, i.inner
    s.reorder("k", "j")              # refused if it reversed a dependence
"""

from __future__ import annotations

import math
from typing import Any, List, Sequence

import z3

from ..ir.nodes import Const, Expr, For, If, Op, Var, index_const, map_stmt_exprs, walk_stmts
from ..ir.types import bool_, index
from .base import (LOOP, VALUE, Context, LoopSite, all_names, fresh_name, loop_sites, primitive,
                   prove_index_fits)
from .deps import (carried_dependence_queries, collect_accesses, lex_less, order_reversal_queries,
                   private_buffers)


def add(a: Expr, b: Expr) -> Expr:
    return Op("add", (a, b), index)


def mul(a: Expr, b: Expr) -> Expr:
    return Op("mul", (a, b), index)


def rename_var(body: List, old: str, new_expr: Expr) -> None:
    """Replace loop variable ``old`` by ``new_expr`` in every statement of ``body``."""
    mapping = {old: new_expr}
    for s in walk_stmts(body):
        map_stmt_exprs(s, lambda e: mapping.get(e.name) if isinstance(e, Var) else None)


def band_loop_names(func, band: str) -> List[str]:
    return [s.loop.name for s in loop_sites(func) if s.loop.band == band]


def positive_int(ctx: Context, value: Any, arg: str, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if allow_zero else 1):
        need = "a non-negative" if allow_zero else "a positive"
        raise ctx.refuse(f"{arg}={value!r} must be {need} integer", hint=f"pass {arg} as a Python or numpy int")
    return value


# ------------------------------------------------------------------ split
def prove_split_bijection(ctx: Context, trips: int, factor: int) -> None:
    """Instance of theorem ``loop.split`` for concrete N = trips, F = factor."""
    outer_trips = -(-trips // factor)
    o, i, o2, i2, t = z3.Ints("outer inner outer2 inner2 t")
    # the inner loop runs to min(F, N - o*F): the last tile is the shorter one
    in_new = lambda a, b: z3.And(0 <= a, a < outer_trips, 0 <= b,  # noqa: E731
                                 b < z3.If(factor < trips - a * factor, factor, trips - a * factor))
    hint = "split a loop with constant bounds; report this as a bug if it persists"
    ctx.prove("split covers every iteration",
              [0 <= t, t < trips, z3.Not(in_new(t / factor, t % factor))],
              lambda m: f"iteration {m.eval(t)} of the original loop is not covered", hint=hint)
    ctx.prove("split runs each iteration once",
              [in_new(o, i), in_new(o2, i2), z3.Or(o != o2, i != i2), o * factor + i == o2 * factor + i2],
              lambda m: f"({m.eval(o)}, {m.eval(i)}) and ({m.eval(o2)}, {m.eval(i2)}) run the same iteration",
              hint=hint)
    ctx.prove("split preserves iteration order",
              [in_new(o, i), in_new(o2, i2), lex_less([o, i], [o2, i2]), o * factor + i >= o2 * factor + i2],
              lambda m: "order changes", hint=hint)


def split_loop(ctx: Context, axis: Any, factor: Any) -> tuple:
    site = ctx.loop(axis)
    factor = positive_int(ctx, factor, "factor")
    lo, hi, step, trips = ctx.constant_loop(site.loop, "axis")
    loop = site.loop
    if factor > max(trips, 1):
        # a factor past the extent only adds guarded-off iterations (and index values far
        # beyond the loop's): the inner loop runs the whole extent once
        ctx.trivial("factor clamped to the extent",
                    f"factor {factor} > {trips} iterations of {loop.name!r}: split by {max(trips, 1)}")
        factor = max(trips, 1)
    prove_split_bijection(ctx, trips, factor)
    outer_trips = -(-trips // factor)
    # the guard computes outer * F + inner for every (outer, inner); lo + t * step only
    # under the guard, where it is an original iteration's value
    prove_index_fits(ctx, "the trip number outer * factor + inner",
                     max(outer_trips * factor - 1, abs(lo) + abs(trips * step)), f"{trips} x {factor}")
    names = all_names(site.func)
    outer_var = fresh_name(names, f"{loop.var}_outer")
    inner_var = fresh_name(names + [outer_var], f"{loop.var}_inner")
    # loop names are unique within a band (qualify as "band:i.outer"); variables per function
    band_names = band_loop_names(site.func, loop.band)
    outer_name = fresh_name(band_names, f"{loop.name}.outer")
    inner_name = fresh_name(band_names, f"{loop.name}.inner")
    ov, iv = Var(outer_var, index), Var(inner_var, index)
    linear = add(mul(ov, index_const(factor)), iv)  # the original trip number
    body = loop.body
    rename_var(body, loop.var, add(index_const(lo), mul(linear, index_const(step))) if (lo, step) != (0, 1) else linear)
    inner_hi: Expr = index_const(factor)
    if trips % factor:  # the last tile is shorter: the nest stays perfect (no guard)
        inner_hi = Op("min", (index_const(factor), Op("sub", (index_const(trips), mul(ov, index_const(factor))),
                                                      index)), index)
    inner = For(inner_var, index_const(0), inner_hi, 1, body, name=inner_name, band=loop.band,
                attrs=dict(loop.attrs), loc=loop.loc)
    outer = For(outer_var, index_const(0), index_const(-(-trips // factor)), 1, [inner], name=outer_name,
                band=loop.band, attrs={k: v for k, v in loop.attrs.items() if k == "reduction"},
                loc=loop.loc)
    inner.attrs.pop("pipeline_ii", None)
    site.parent[site.position] = outer
    return outer, inner


@primitive("split", rule="loop.split", kinds={"axis": LOOP, "factor": VALUE})
def split(ctx: Context, axis: Any, factor: Any) -> None:
    """Tile one loop into ``axis.outer``/``axis.inner``; when F does not divide N the inner
    loop runs to ``min(F, N - outer*F)``, so the nest stays perfect.

    Example: ``s.split("i", 3)`` on ``for i in range(10)`` gives ``i.outer`` (4 trips) and
    ``i.inner`` (``0 .. min(3, 10 - 3*i.outer)``)."""
    split_loop(ctx, axis, factor)


# ------------------------------------------------------------------ reorder
def perfect_chain(ctx: Context, sites: Sequence[LoopSite], arg: str) -> List[For]:
    """The loops from the outermost to the innermost named one, which must be perfectly
    nested (each loop's body is exactly the next loop)."""
    funcs = {s.func.name for s in sites}
    if len(funcs) != 1:
        raise ctx.refuse(f"{arg}: the loops belong to different functions ({', '.join(sorted(funcs))})",
                         hint="name loops of one nest, qualified as \"func:loop\" if needed")
    deepest = max(sites, key=lambda s: len(s.enclosing))
    chain = deepest.enclosing + [deepest.loop]
    named = {id(s.loop) for s in sites}
    for s in sites:
        if not any(s.loop is c for c in chain):
            raise ctx.refuse(f"{arg}: loop {s.loop.name!r} does not enclose or sit inside the others",
                             hint="the loops must form one nest")
    start = min(i for i, c in enumerate(chain) if id(c) in named)
    chain = chain[start:]
    for outer, inner in zip(chain, chain[1:]):
        if len(outer.body) != 1 or outer.body[0] is not inner:
            raise ctx.refuse(f"{arg}: loops {outer.name!r} and {inner.name!r} are not perfectly nested "
                             f"(loop {outer.name!r} holds other statements)",
                             hint="reorder only loops of a perfect nest; split the nest first")
    return chain


@primitive("reorder", rule="loop.reorder", kinds={"axes": LOOP})
def reorder(ctx: Context, axes: Sequence[Any]) -> None:
    """Permute the named loops among their positions; the first becomes outermost."""
    if len(axes) < 2:
        raise ctx.refuse("reorder needs at least two loops", hint="e.g. s.reorder(\"k\", \"j\"): the first becomes outermost")
    sites = [ctx.loop(a, f"axes[{n}]") for n, a in enumerate(axes)]
    if len({id(s.loop) for s in sites}) != len(sites):
        raise ctx.refuse("axes: a loop is named twice", hint="name each loop once")
    chain = perfect_chain(ctx, sites, "axes")
    named_ids = [id(s.loop) for s in sites]
    slots = [i for i, c in enumerate(chain) if id(c) in named_ids]
    new_chain = list(chain)
    for slot, site in zip(slots, sites):
        new_chain[slot] = site.loop
    # bounds must not depend on a loop that moves inside them
    for pos, loop in enumerate(new_chain):
        inner_vars = {c.var for c in new_chain[pos:]}
        for bound in (loop.lo, loop.hi):
            used = {e.name for e in _vars(bound)}
            if used & inner_vars:
                raise ctx.refuse(f"the bounds of loop {loop.name!r} depend on "
                                 f"{', '.join(sorted(used & inner_vars))}, which would move outside it",
                                 hint="keep the loops its bounds use outside it")
    innermost = chain[-1]
    private = private_buffers(sites[0].func, innermost)  # a fresh copy per iteration: no conflict
    accesses = [a for a in collect_accesses(innermost.body, tuple(chain)) if a.buffer not in private]
    if private:
        ctx.trivial("private buffers carry no dependence",
                    f"{', '.join(sorted(private))} declared in the body and used only there")
    old_order = [c.var for c in chain]
    new_order = [c.var for c in new_chain]
    queries = list(order_reversal_queries(accesses, old_order, new_order))
    if not queries:
        ctx.trivial("no dependence reversed", "no conflicting accesses")
    for desc, constraints, witness in queries:
        ctx.prove(f"no dependence reversed ({desc})", constraints, witness,
                  hint="this order would change the result; keep the dependent loops' relative order")
    # rebuild the nest in the new order: loop headers move, the innermost body stays
    body = innermost.body
    # band names stay with the nest positions (``reorder("k", "j", "i")`` makes the outer
    # two loops k, j the "PE" band), loop names and attributes move with the loops
    headers = [(c.var, c.lo, c.hi, c.step, c.name, slot.band, dict(c.attrs), c.loc)
               for c, slot in zip(new_chain, chain)]
    top_site_parent = _parent_of(ctx, chain[0])
    for var, lo, hi, step, name, band, attrs, loc in reversed(headers):
        body = [For(var, lo, hi, step, body, name=name, band=band, attrs=attrs, loc=loc)]
    parent = top_site_parent
    parent[next(i for i, s in enumerate(parent) if s is chain[0])] = body[0]


def _vars(e: Expr):
    from ..ir.nodes import walk_expr

    return [x for x in walk_expr(e) if isinstance(x, Var)]


def _parent_of(ctx: Context, loop: For) -> List:
    return ctx.loop_site_of(loop).parent


# ------------------------------------------------------------------ fuse
@primitive("fuse", rule="loop.fuse", kinds={"axes": LOOP})
def fuse(ctx: Context, axes: Sequence[Any]) -> None:
    """Fuse consecutive perfectly nested loops ``i, j`` into ``i_j_fused``."""
    if len(axes) < 2:
        raise ctx.refuse("fuse needs at least two loops", hint="e.g. s.fuse(\"i\", \"j\") for consecutive nested loops")
    sites = [ctx.loop(a, f"axes[{n}]") for n, a in enumerate(axes)]
    chain = perfect_chain(ctx, sites, "axes")
    if len(chain) != len(sites) or any(c is not s.loop for c, s in zip(chain, sites)):
        raise ctx.refuse("axes must be consecutive perfectly nested loops, outermost first",
                         hint=f"nest order here: {', '.join(c.name for c in chain)}")
    bounds = [ctx.constant_loop(s.loop, f"axes[{n}]") for n, s in enumerate(sites)]
    trips = [b[3] for b in bounds]
    total = 1
    for t in trips:
        total *= t
    # instance of loop.fuse: mixed-radix decoding is an order-preserving bijection
    f, f2 = z3.Ints("f f2")
    digits = lambda x: [(x / math.prod(trips[n + 1:])) % trips[n] for n in range(len(trips))]  # noqa: E731
    prove_index_fits(ctx, "the fused loop's trip count", total, " x ".join(map(str, trips)))
    ctx.prove("fuse preserves iteration order",
              [0 <= f, f < f2, f2 < total, z3.Not(lex_less(digits(f), digits(f2)))],
              lambda m: f"fused iterations {m.eval(f)} and {m.eval(f2)} run out of order",
              hint="fuse loops with constant bounds; report this as a bug if it persists")
    names = all_names(sites[0].func)
    var = fresh_name(names, "_".join(c.var for c in chain) + "_fused")
    name = fresh_name(band_loop_names(sites[0].func, chain[0].band), "_".join(c.name for c in chain) + "_fused")
    fv = Var(var, index)
    body = chain[-1].body
    for n, (loop, (lo, _, step, _)) in enumerate(zip(chain, bounds)):
        below = math.prod(trips[n + 1:])
        digit: Expr = fv if below == 1 else Op("floordiv", (fv, index_const(below)), index)
        if n > 0:
            digit = Op("mod", (digit, index_const(trips[n])), index)
        rename_var(body, loop.var, add(index_const(lo), mul(digit, index_const(step))) if (lo, step) != (0, 1) else digit)
    attrs = {k: v for k, v in chain[0].attrs.items() if k == "reduction" and all(c.attrs.get(k) for c in chain)}
    fused = For(var, index_const(0), index_const(total), 1, body, name=name, band=chain[0].band, attrs=attrs, loc=chain[0].loc)
    parent = _parent_of(ctx, chain[0])
    parent[next(i for i, s in enumerate(parent) if s is chain[0])] = fused


# ------------------------------------------------------------------ tile
@primitive("tile", rule="loop.tile", kinds={"args": LOOP})  # loops, then factors (values)
def tile(ctx: Context, args: Sequence[Any]) -> None:
    """``tile(x, y, x_factor, y_factor)``: split both, then order x.outer, y.outer, x.inner, y.inner."""
    if len(args) != 4:
        raise ctx.refuse("tile takes (x_axis, y_axis, x_factor, y_factor)", hint="e.g. s.tile(\"i\", \"j\", 4, 4)")
    x, y, xf, yf = args
    xo, xi = split_loop(ctx, x, xf)
    yo, yi = split_loop(ctx, y, yf)
    reorder(ctx, [xo, yo, xi, yi])


# ------------------------------------------------------------------ annotations
@primitive("unroll", rule="annotation.unroll", kinds={"axis": LOOP, "factor": VALUE})
def unroll(ctx: Context, axis: Any, factor: Any = 0) -> None:
    """Mark ``axis`` for unrolling by ``factor`` (0 = fully); the program is unchanged."""
    site = ctx.loop(axis)
    factor = positive_int(ctx, factor, "factor", allow_zero=True)
    site.loop.attrs["unroll"] = factor
    ctx.trivial("annotation only", "unrolling replicates the body in order; semantics unchanged")


@primitive("pipeline", rule="annotation.pipeline",
           kinds={"axis": LOOP, "initiation_interval": VALUE, "rewind": VALUE})
def pipeline(ctx: Context, axis: Any, initiation_interval: Any = 1, rewind: bool = False) -> None:
    """Mark ``axis`` as pipelined with initiation interval ``initiation_interval``."""
    site = ctx.loop(axis)
    ii = positive_int(ctx, initiation_interval, "initiation_interval")
    if not isinstance(rewind, bool):
        raise ctx.refuse(f"rewind={rewind!r} must be True or False", hint="pass rewind=True or leave it out")
    inner = next((l for l in walk_stmts([site.loop]) if isinstance(l, For) and l.attrs.get("dataflow")), None)
    if inner is not None:
        raise ctx.refuse(f"loop {site.loop.name or site.loop.var!r} holds the dataflow loop "
                         f"{inner.name or inner.var!r} (or is one): HLS unrolls a pipelined loop's body, so "
                         "the dataflow pragma would be ignored and its tasks would no longer run concurrently",
                         hint="pipeline a loop inside one of the dataflow tasks instead")
    site.loop.attrs["pipeline_ii"] = ii
    if rewind:
        site.loop.attrs["rewind"] = True
    ctx.trivial("annotation only", "HLS pipelining preserves the sequential semantics")


@primitive("parallel", rule="annotation.parallel", kinds={"axis": LOOP})
def parallel(ctx: Context, axis: Any) -> None:
    """Mark ``axis`` parallel; refused when an iteration depends on another."""
    site = ctx.loop(axis)
    private = private_buffers(site.func, site.loop)  # a fresh copy per iteration: no conflict
    accesses = [a for a in collect_accesses(site.loop.body, tuple(site.enclosing) + (site.loop,))
                if a.buffer not in private]
    if private:
        ctx.trivial("private buffers carry no dependence",
                    f"{', '.join(sorted(private))} declared in the body and used only there")
    outer = [l.var for l in site.enclosing]
    queries = list(carried_dependence_queries(accesses, site.loop, outer))
    if not queries:
        ctx.trivial("no loop-carried dependence", "no conflicting accesses")
    for desc, constraints, witness in queries:
        ctx.prove(f"no loop-carried dependence ({desc})", constraints, witness,
                  hint="the iterations of this loop are not independent; parallelize another loop")
    site.loop.attrs["parallel"] = True
