"""``reuse_at(target, axis)`` (rule ``memory.reuse_at``): a reuse buffer for sliding-window
reads of ``target`` along loop ``axis``.

The window is the box of ``target`` one iteration of ``axis`` reads (see
:mod:`.memory_common`). Exactly one dimension ``d`` slides: its index is ``axis + F + c``
(``F`` over the loops around ``axis``, ``c`` over loops inside), so iteration ``x`` reads
cells ``[x + F + lo, x + F + hi)`` of it; every other dimension must not depend on
``axis``; the window moves ``S`` cells per iteration (``1 <= S <= W``: ``A[2*y + r]`` is
a stride-2 window). Two shapes come out of this:

* the 1-D window: ``for x: B[x] = A[x] + A[x+1] + A[x+2]`` -> ``A_reuse[3]``;
* the line buffer: ``for y: for x: for r, c: ... A[y+r, x+c]`` reused at ``y`` ->
  ``A_reuse[3, W]`` (3 rows); reused at ``x`` (with ``y`` fixed) -> a ``3 x 3`` window.

Rewrite: before the loop, ``Alloc <target>_reuse`` (window shape, size-1 dimensions other
than ``d`` dropped) and a *fill* nest loading cells ``1 .. W-1`` of dimension ``d`` with
the first iteration's cells ``0 .. W-S-1`` (into cells ``S ..``); at the start of each
iteration a *shift* nest (cell ``w`` <- cell ``w + S`` for ``w`` ascending) and a *load*
nest (cells ``W-S .. W-1`` <- the newly needed target slices); the body's reads go to the
window. Invariant (theorem ``memory.reuse_at``): after shift and load at iteration ``x``,
cell ``w`` holds ``target[S*x + F + lo + w]``.

Side conditions: ``target`` is not written inside the loop (refused, naming the write); the
window lies inside ``target`` at every iteration; every rewritten read addresses a window
cell that holds the element the original read (z3, per read).

Example::

    s = allo.customize(blur)           # for x in range(8): B[x] = A[x] + A[x+1] + A[x+2]
    win = s.reuse_at(s.A, "x")         # A_reuse: T[3]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Tuple

from ..ir.nodes import (Alloc, Const, Expr, For, Func, Load, Op, Stmt, Store, Var, index_const,
                        substitute)
from ..ir.types import BufferType, index
from .base import (BUFFER, LOOP, BufferHandle, Context, all_names, fresh_name, primitive,
                   prove_index_fits)
from ..ir.index import affine_form
from .memory_common import (affine_expr, compute_box, build_copy_nest, find_accesses,
                            inner_ranges, prove_accesses_in_box, prove_box_in_bounds,
                            refuse_if_declared_inside, rewrite_accesses)


def _plus(a: Expr, b: Expr) -> Expr:
    if isinstance(b, Const) and b.value == 0:
        return a
    if isinstance(a, Const) and a.value == 0:
        return b
    return Op("add", (a, b), index)


@dataclass
class ReusePlan:
    """The proved window: the loop it slides along (at ``position`` of ``parent``), the
    target, the window box, the kept dimensions and the window's ``shape``, the sliding
    dimension ``d`` (position ``pos`` among the kept ones, ``width`` cells), the window's
    name and the index map of the rewritten reads."""

    func: Func
    parent: List[Stmt]
    position: int
    loop: For
    target: str
    dtype: Any
    box: List[Any]
    kept: List[int]
    shape: Tuple[int, ...]
    d: int
    pos: int
    width: int
    name: str
    index_fn: Callable[[Tuple[Expr, ...]], Tuple[Expr, ...]]
    stride: int = 1  # cells the window moves per iteration (1 <= stride <= width)


def plan_reuse_at(ctx: Context, target: Any, axis: Any) -> ReusePlan:
    """Validate, find the sliding dimension and prove the window serves every read.

    Example: ``plan = plan_reuse_at(ctx, "A", "x")`` (``plan.width == 3`` for a 3-tap blur).
    """
    site = ctx.loop(axis)
    buf = ctx.buffer(target)
    name, loop = buf.name, site.loop
    if buf.func is not site.func:
        raise ctx.refuse(f"buffer {name!r} belongs to function {buf.func.name!r} but loop "
                         f"{loop.name!r} to {site.func.name!r}",
                         hint="pass a buffer of the loop's function (\"func:name\")")
    btype = buf.type
    if not isinstance(btype, BufferType) or btype.is_stream or btype.rank == 0:
        raise ctx.refuse(f"{name} is not an array buffer (type {btype!r})",
                         hint="reuse_at applies to array arguments and local arrays")
    if not (isinstance(loop.lo, Const) and isinstance(loop.hi, Const)) or loop.step != 1:
        raise ctx.refuse(f"loop {loop.name!r} must have constant bounds and step 1 to slide "
                         f"a window along it", hint="reuse at a normalized loop (range(lo, hi))")
    x_lo, x_hi = int(loop.lo.value), int(loop.hi.value)
    if x_hi <= x_lo:
        raise ctx.refuse(f"loop {loop.name!r} runs no iteration; there is nothing to reuse",
                         hint="reuse at a loop that runs")
    refuse_if_declared_inside(ctx, buf.alloc, loop, name)
    accesses = find_accesses(loop.body, name)
    for acc in accesses:
        if acc.kind != "read":
            raise ctx.refuse(f"{name} is written inside loop {loop.name!r}: {acc.describe(name)}; "
                             f"a reuse window would serve stale values",
                             hint="reuse_at applies to buffers the loop only reads")
    if not accesses:
        raise ctx.refuse(f"{name} is not read inside loop {loop.name!r}",
                         hint="choose a loop whose body reads the buffer")
    outer = site.enclosing + [loop]
    fixed = [l.var for l in outer]
    box = compute_box(ctx, accesses, name, btype.shape, fixed, inner_ranges(loop.body),
                      allow_full=False)
    coef = {d: dict(b.fixed.coeffs).get(loop.var, 0) for d, b in enumerate(box)}
    sliding = [d for d, c in coef.items() if c]
    span = ", ".join(b.show() for b in box)
    if not sliding:
        raise ctx.refuse(f"the reads of {name} ({name}[{span}]) do not move with loop "
                         f"{loop.name!r}: there is no sliding window to reuse",
                         hint="use buffer_at to keep an iteration's elements on chip")
    if len(sliding) > 1:
        raise ctx.refuse(f"the reads of {name} ({name}[{span}]) move with loop {loop.name!r} in "
                         f"{len(sliding)} dimensions; only windows sliding along one dimension "
                         f"(1-D windows, line buffers) are supported",
                         hint="reuse at an inner loop, where the window slides in one dimension")
    d = sliding[0]
    kept = [e for e, b in enumerate(box) if e == d or b.size > 1]
    shape = tuple(box[e].size for e in kept)
    pos = kept.index(d)
    width = shape[pos]
    stride = coef[d]
    if stride < 1 or stride > width:
        raise ctx.refuse(f"the window of {name} moves by {stride} per iteration of "
                         f"{loop.name!r} (index {box[d].fixed.show(box[d].lo)}) but is {width} "
                         f"wide: consecutive windows share no element", hint="reuse_at needs a "
                         "window that moves forward by at most its width; use buffer_at instead")
    names = all_names(site.func)
    new_name = fresh_name(names, f"{name}_reuse")

    def index_fn(indices: Tuple[Expr, ...]) -> Tuple[Expr, ...]:
        out = []
        for e in kept:
            form = affine_form(indices[e])
            rest = form.split(fixed)[1]
            out.append(affine_expr(rest, -box[e].lo))
        return tuple(out)

    prove_index_fits(ctx, f"an index of {name}", max(btype.shape) - 1, f"shape {list(btype.shape)}")
    prove_box_in_bounds(ctx, box, name, btype.shape, outer, "reuse window")
    prove_accesses_in_box(ctx, accesses, name, box, new_name, shape, kept, index_fn, outer,
                          "reuse window")
    return ReusePlan(site.func, site.parent, site.position, loop, name, btype.dtype, box, kept,
                     shape, d, pos, width, new_name, index_fn, stride)


def emit_reuse_at(ctx: Context, plan: ReusePlan) -> BufferHandle:
    """Declare the window and its fill before the loop, shift and load at the start of
    each iteration, and redirect the reads.

    Example: ``window = emit_reuse_at(ctx, plan_reuse_at(ctx, "A", "x"))``.
    """
    name, new_name, loop = plan.target, plan.name, plan.loop
    box, kept, shape, d, pos, width = plan.box, plan.kept, plan.shape, plan.d, plan.pos, plan.width
    x_lo = int(loop.lo.value)
    taken = all_names(plan.func) + [new_name]

    stride = plan.stride

    def loop_vars(kind: str, along_d: int) -> List[Tuple[str, int]]:
        out = []
        for n, e in enumerate(kept):
            v = fresh_name(taken, f"{name}_{kind}_{n}")
            taken.append(v)
            out.append((v, along_d if e == d else shape[n]))
        return out

    fill_vars, shift_vars = loop_vars("fill", width - stride), loop_vars("shift", width - stride)
    load_vars = loop_vars("load", stride)
    if stride == 1:  # one new cell in dim d: no loop for it
        load_vars = [lv for n, lv in enumerate(load_vars) if n != pos]
    dtype = plan.dtype

    def target_index(vs: List[Expr], first_cell: int, at: Dict[str, Expr]) -> Tuple[Expr, ...]:
        """Target element of window cell ``vs`` (+ ``first_cell`` in dim d), loop var
        replaced per ``at`` (the fill runs before the loop, at its first iteration)."""
        out: List[Expr] = []
        for e, b in enumerate(box):
            lower = substitute(b.lower(), at) if at else b.lower()
            if e in kept:
                v: Expr = vs[kept.index(e)]
                if e == d and first_cell:
                    v = _plus(v, index_const(first_cell))
                out.append(_plus(lower, v))
            else:
                out.append(lower)
        return tuple(out)

    def cell(vs: List[Expr], shift: int) -> Tuple[Expr, ...]:
        return tuple(_plus(v, index_const(shift)) if n == pos and shift else v for n, v in enumerate(vs))

    first = {loop.var: index_const(x_lo)}
    fill = build_copy_nest(fill_vars, f"{new_name}_fill",
                     lambda vs: Store(new_name, cell(vs, stride), Load(name, target_index(vs, 0, first), dtype)))
    shift = build_copy_nest(shift_vars, f"{new_name}_shift",
                      lambda vs: Store(new_name, tuple(vs), Load(new_name, cell(vs, stride), dtype)))
    def with_d(vs: List[Var]) -> List[Expr]:
        return [*vs[:pos], index_const(0), *vs[pos:]] if stride == 1 else list(vs)

    load = build_copy_nest(load_vars, f"{new_name}_load",
                     lambda vs: Store(new_name, cell(with_d(vs), width - stride),
                                      Load(name, target_index(with_d(vs), width - stride, {}), dtype)))
    rewrite_accesses(loop.body, name, new_name, plan.index_fn)
    loop.body[:] = [*shift, *load, *loop.body]
    alloc = Alloc(new_name, BufferType(dtype, shape), None, loc=loop.loc)
    plan.parent[plan.position:plan.position] = [alloc, *fill]
    ctx.trivial("shift then load keeps cell w equal to the element at window start + w",
                "instance of theorem memory.reuse_at")
    return BufferHandle(plan.func.name, new_name)


@primitive("reuse_at", rule="memory.reuse_at", kinds={"target": BUFFER, "axis": LOOP})
def reuse_at(ctx: Context, target: Any, axis: Any) -> BufferHandle:
    """Create a shifted reuse window of ``target`` along ``axis``; returns the window.
    Example: ``win = s.reuse_at(s.A, "x")``."""
    return emit_reuse_at(ctx, plan_reuse_at(ctx, target, axis))


__all__ = ["reuse_at", "plan_reuse_at", "emit_reuse_at", "ReusePlan"]
