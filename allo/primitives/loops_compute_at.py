"""``compute_at(producer, consumer)`` (rule ``loop.compute_at``): move a producer loop nest
into a consumer nest at a given loop level.

The producer nest (its outermost loop or band name) moves into the consumer loop's body:
the loops from the consumer nest's root to ``consumer`` are fused with the producer's
outer loops of the same depth (equal bounds, perfectly nested), and the producer's
remaining body runs first in each fused iteration. Side conditions: no statement between
the two nests touches what the producer touches, and no conflicting pair (producer
instance, consumer instance) runs in the reverse order after fusion (z3 dependence
queries), witnessed by the two iterations and the element.

:func:`plan_compute_at` validates and proves; :func:`emit_compute_at` rewrites.

Example::

    s.compute_at("S_i_j_0", "j1")    # producer band fused with the consumer's loops i1, j1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List

from ..ir.nodes import Expr, For, Stmt, Var, map_stmt_exprs, substitute, walk_stmts
from .base import LOOP, Context, LoopHandle, loop_sites, primitive
from .deps import Instance, collect_accesses, element_text, lex_less, model_values, same_element


def _resolve(ctx: Context, ref: Any, arg: str) -> For:
    """A loop by name / handle, or a band name (its outermost loop)."""
    if isinstance(ref, str) and ":" not in ref:
        names = {s.loop.name for f in ctx.module.funcs.values() for s in loop_sites(f)}
        if ref not in names:
            band = [s.loop for f in ctx.module.funcs.values() for s in loop_sites(f) if s.loop.band == ref]
            if band:
                return band[0]
    if isinstance(ref, (str, LoopHandle, For)):
        return ctx.loop(ref, arg).loop
    raise ctx.refuse(f"{arg}={ref!r} is not a loop or band name",
                     hint="pass a loop name such as \"j1\", a band name, or a loop from s.get_loops()")


@dataclass
class ComputeAtPlan:
    """The proved move: the producer's root (at ``position`` of ``parent``), the producer
    loops fused with the consumer loops ``consumer_chain`` (``rename`` maps their
    variables), and the consumer loop whose body receives the producer's body."""

    parent: List[Stmt]
    position: int
    producer_chain: List[For]
    consumer_chain: List[For]
    rename: Dict[str, Expr]


def plan_compute_at(ctx: Context, producer: Any, consumer: Any) -> ComputeAtPlan:
    """Resolve the nests, check they can fuse and prove every dependence keeps its order.

    Example: ``plan = plan_compute_at(ctx, "S0", "j1")``.
    """
    p_root = _resolve(ctx, producer, "producer")
    c_loop = _resolve(ctx, consumer, "consumer")
    p_site, c_site = ctx.loop_site_of(p_root), ctx.loop_site_of(c_loop)
    if p_site.func is not c_site.func:
        raise ctx.refuse("producer and consumer are in different functions",
                         hint="compute_at moves a nest within one function; qualify the names as \"func:loop\"")
    p_axis = None  # a producer loop named below its nest's root: fuse down to that depth
    if not any(c_loop is y for s in p_site.parent for y in walk_stmts([s])):
        root = _root_beside(ctx, p_site, c_loop)
        if root is not None and root is not p_root:
            p_axis, p_root = p_root, root
            p_site = ctx.loop_site_of(p_root)
    parent = p_site.parent
    c_pos = next((k for k, s in enumerate(parent) if any(x is c_loop for x in walk_stmts([s]))), None)
    if c_pos is None:
        raise ctx.refuse(f"consumer loop {c_loop.name!r} is not in the same block as producer {p_root.name!r}",
                         hint="producer and consumer nests must be siblings")
    p_pos = p_site.position
    if p_pos >= c_pos:
        raise ctx.refuse(f"producer {p_root.name!r} does not run before the consumer nest",
                         hint="compute_at moves an earlier producer into a later consumer")
    c_root = parent[c_pos]
    c_chain = [l for l in c_site.enclosing if any(l is x for x in walk_stmts([c_root]))] + [c_loop]
    for outer, inner in zip(c_chain, c_chain[1:]):
        if len(outer.body) != 1 or outer.body[0] is not inner:
            raise ctx.refuse(f"consumer loops {outer.name!r} and {inner.name!r} are not perfectly nested",
                             hint="compute_at at a loop of a perfect nest")
    p_chain: List[For] = [p_root]
    while len(p_chain) < len(c_chain):
        last = p_chain[-1]
        if len(last.body) != 1 or not isinstance(last.body[0], For):
            raise ctx.refuse(f"the producer nest has fewer than {len(c_chain)} perfectly nested loops "
                             f"to fuse with {', '.join(l.name for l in c_chain)}",
                             hint="compute the producer at an outer consumer loop")
        p_chain.append(last.body[0])
    if p_axis is not None and p_chain[-1] is not p_axis:
        depth = len(p_site.enclosing)
        p_depth = len(ctx.loop_site_of(p_axis).enclosing) - depth + 1
        raise ctx.refuse(f"producer loop {p_axis.name!r} is at depth {p_depth} of its nest but consumer "
                         f"loop {c_loop.name!r} is at depth {len(c_chain)}",
                         hint="name producer and consumer loops at the same depth of their nests "
                              "(e.g. compute_at(\"j\", \"jj\"))")
    rename: Dict[str, Expr] = {p.var: Var(c.var, c.lo.type) for p, c in zip(p_chain, c_chain)}
    for p, c in zip(p_chain, c_chain):
        if (substitute(p.lo, rename), substitute(p.hi, rename), p.step) != (c.lo, c.hi, c.step):
            raise ctx.refuse(f"loops {p.name!r} and {c.name!r} have different bounds",
                             hint="compute_at fuses loops with identical iteration spaces")
    _check_between(ctx, parent, p_pos, c_pos, p_root, p_site.enclosing)
    _prove_order_kept(ctx, p_root, c_root, p_chain, c_chain, p_site.enclosing, c_site.enclosing)
    return ComputeAtPlan(parent, p_pos, p_chain, c_chain, rename)


def _root_beside(ctx: Context, p_site: Any, c_loop: For) -> Any:
    """The loop enclosing the producer whose block also holds the consumer's nest, or None.
    Example: for ``compute_at("j", "jj")`` on sibling nests ``i/j`` and ``ii/jj`` it is
    loop ``i``."""
    for outer in p_site.enclosing:  # outermost first
        block = ctx.loop_site_of(outer).parent
        if any(c_loop is y for s in block for y in walk_stmts([s])):
            return outer
    return None


def emit_compute_at(ctx: Context, plan: ComputeAtPlan) -> None:
    """The producer's remaining body runs first in the consumer loop's body.

    Example: ``emit_compute_at(ctx, plan_compute_at(ctx, "S0", "j1"))``.
    """
    moved = plan.producer_chain[-1].body
    for s in walk_stmts(moved):
        map_stmt_exprs(s, lambda e: plan.rename.get(e.name) if isinstance(e, Var) else None)
    target = plan.consumer_chain[-1]
    target.body = list(moved) + target.body
    del plan.parent[plan.position]


@primitive("compute_at", rule="loop.compute_at", kinds={"producer": LOOP, "consumer": LOOP})
def compute_at(ctx: Context, producer: Any, consumer: Any) -> None:
    """Fuse the producer nest into the consumer nest down to loop ``consumer``; the
    producer's body runs first in each fused iteration. Example: ``s.compute_at("S_i_j_0", "j1")``."""
    emit_compute_at(ctx, plan_compute_at(ctx, producer, consumer))


def _check_between(ctx: Context, parent: List[Stmt], p_pos: int, c_pos: int, p_root: For,
                   enclosing: List[For]) -> None:
    """Statements between the nests must not touch what the producer touches."""
    p_acc = collect_accesses([p_root], tuple(enclosing))
    for mid in parent[p_pos + 1:c_pos]:
        for a in collect_accesses([mid], tuple(enclosing)):
            clash = [b for b in p_acc if b.buffer == a.buffer and (a.write or b.write)]
            if clash:
                raise ctx.refuse(f"a statement between producer and consumer ({a.describe()}) conflicts "
                                 f"with the producer's {clash[0].describe()}",
                                 hint="move that statement or compute at another place")


def _prove_order_kept(ctx: Context, p_root: For, c_root: Stmt, p_chain: List[For], c_chain: List[For],
                      p_enclosing: List[For], c_enclosing: List[For]) -> None:
    """No conflicting (producer, consumer) pair runs consumer-first after the fusion."""
    p_acc = collect_accesses([p_root], tuple(p_enclosing))
    c_acc = collect_accesses([c_root], tuple(c_enclosing[:len(c_enclosing) - len(c_chain) + 1]))
    p_vars = [l.var for l in p_chain]
    c_vars = [l.var for l in c_chain]
    outer_vars = [l.var for l in p_enclosing]  # loops around both nests: same iteration
    queries = 0
    for a in p_acc:
        for b in c_acc:
            if a.buffer != b.buffer or not (a.write or b.write):
                continue
            ia = Instance(a, "p")
            ib = Instance(b, "c", {v: ia.env[v] for v in outer_vars if v in ia.env})
            if not all(v in ia.env for v in p_vars) or not all(v in ib.env for v in c_vars):
                continue
            queries += 1
            constraints = [*ia.constraints, *ib.constraints, *same_element(ia, ib),
                           lex_less([ib.env[v] for v in c_vars], [ia.env[v] for v in p_vars])]

            def witness(m, ia=ia, ib=ib):
                return (f"consumer iteration {model_values(m, ib, c_vars)} {ib.access.describe()} touches "
                        f"{element_text(m, ib)}, which producer iteration {model_values(m, ia, p_vars)} "
                        f"({ia.access.describe()}) would now reach only later")

            ctx.prove(f"fused order keeps the dependence ({a.describe()} -> {b.describe()})", constraints,
                      witness, hint="compute the producer at an outer loop, or not at all")
    if not queries:
        ctx.trivial("fused order keeps every dependence", "producer and consumer share no conflicting access")


__all__ = ["compute_at", "plan_compute_at", "emit_compute_at", "ComputeAtPlan"]
