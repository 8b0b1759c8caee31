"""``buffer_at(target, axis)`` (rule ``memory.buffer_at``): an on-chip buffer holding the
box of ``target`` that one iteration of loop ``axis`` touches.

Rewrite, at the start of ``axis``'s body: ``Alloc <target>_buf`` (the box's shape, size-1
dimensions dropped) and an init nest copying the box target -> buffer; every access of
``target`` in the body goes to the buffer (index minus the box's lower bound); if the body
writes ``target``, a write-back nest copies buffer -> target at the end of the body.

Side conditions (z3, :mod:`.memory_common`): the box lies inside ``target`` at every
iteration of the loops around (init and write-back copy all of it), and every access of
the body addresses a buffer cell holding the element it addressed before. A call that
receives ``target`` cannot be redirected to the buffer: refused. A non-affine index makes
its dimension span the whole extent, an assumption (accesses stay in bounds) recorded as
unchecked and only accepted with ``unchecked=True``.

Example::

    s = allo.customize(gemm)          # C: float32[M, N] = 0.0; for i, j, k: C[i, j] += ...
    s.reorder("k", "j")               # loops i, k, j
    C_buf = s.buffer_at(s.C, axis="i")   # C_buf: float32[N], init before k, write-back after
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Tuple

from ..ir.nodes import Alloc, Const, Expr, For, Func, Load, Op, Store, Var
from ..ir.types import BufferType, index
from .base import (BUFFER, LOOP, BufferHandle, Context, all_names, fresh_name, primitive,
                   prove_index_fits)
from ..ir.index import affine_form
from .memory_common import (DimBox, IndexFn, TargetAccess, affine_expr, compute_box, build_copy_nest,
                            find_accesses, inner_ranges, prove_accesses_in_box,
                            prove_box_in_bounds, refuse_if_declared_inside, rewrite_accesses)


def buffer_index_fn(box: List[DimBox], kept: List[int], fixed: List[str]) -> IndexFn:
    """Indices into the buffer: per kept dimension, original index minus the box's lower
    bound (built from the affine form, so ``C[i, j]`` becomes ``C_buf[j]``)."""

    def fn(indices: Tuple[Expr, ...]) -> Tuple[Expr, ...]:
        out = []
        for d in kept:
            b = box[d]
            if b.full:
                out.append(indices[d])
                continue
            form = affine_form(indices[d])  # affine: not full, so every access was analysed
            rest = form.split(fixed)[1]
            out.append(affine_expr(rest, -b.lo))
        return tuple(out)

    return fn


def check_accessible(ctx: Context, accesses: List[TargetAccess], name: str, axis: str) -> None:
    """Refuse accesses that cannot be redirected to a buffer (calls, returns, streams)."""
    for acc in accesses:
        if acc.kind == "call":
            raise ctx.refuse(
                f"cannot buffer {name} at loop {axis!r}: {acc.describe(name)} inside the loop; "
                f"the callee would not see the buffer",
                hint="inline the callee first, or buffer at a loop that does not contain the call")


@dataclass
class BufferPlan:
    """The proved buffering: the loop, the target (name, type), the box one iteration
    touches (``kept`` dimensions make the buffer's ``shape``), the new buffer's name, the
    index map of rewritten accesses and whether the body writes the target."""

    func: Func
    loop: For
    target: str
    dtype: Any
    box: List[DimBox]
    kept: List[int]
    shape: Tuple[int, ...]
    name: str
    index_fn: IndexFn
    writes: bool


def plan_buffer_at(ctx: Context, target: Any, axis: Any) -> BufferPlan:
    """Validate, compute the box and prove it in bounds and serving every access.

    Example: ``plan = plan_buffer_at(ctx, "C", "i")`` (``plan.shape == (N,)`` for gemm).
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
                         hint="buffer_at applies to array arguments and local arrays")
    refuse_if_declared_inside(ctx, buf.alloc, loop, name)
    accesses = find_accesses(loop.body, name)
    if not accesses:
        raise ctx.refuse(f"{name} is not accessed inside loop {loop.name!r}",
                         hint="choose a loop whose body reads or writes the buffer")
    check_accessible(ctx, accesses, name, loop.name)
    outer = site.enclosing + [loop]
    fixed = [l.var for l in outer]
    box = compute_box(ctx, accesses, name, btype.shape, fixed, inner_ranges(loop.body), allow_full=True)
    full_dims = [d + 1 for d, b in enumerate(box) if b.full]
    if full_dims:
        ctx.assume_unchecked(
            "accesses stay inside the buffered box",
            f"{name} has indices in dimension(s) {full_dims} that are not affine in loop "
            f"variables with constant bounds; the buffer would span those dimensions whole")
    kept = [d for d, b in enumerate(box) if b.full or b.size > 1]
    shape = tuple(btype.shape[d] if box[d].full else box[d].size for d in kept)
    new_name = fresh_name(all_names(site.func), f"{name}_buf")
    index_fn = buffer_index_fn(box, kept, fixed)
    prove_index_fits(ctx, f"an index of {name}", max(btype.shape) - 1, f"shape {list(btype.shape)}")
    prove_box_in_bounds(ctx, box, name, btype.shape, outer, "buffered box")
    prove_accesses_in_box(ctx, accesses, name, box, new_name, shape, kept, index_fn, outer,
                          "buffered box")
    writes = any(a.kind == "write" for a in accesses)
    return BufferPlan(site.func, loop, name, btype.dtype, box, kept, shape, new_name, index_fn, writes)


def emit_buffer_at(ctx: Context, plan: BufferPlan) -> BufferHandle:
    """Declare the buffer, copy the box in (and back out when written), redirect accesses.

    Example: ``handle = emit_buffer_at(ctx, plan_buffer_at(ctx, "C", "i"))``.
    """
    name, new_name, kept, shape, box = plan.target, plan.name, plan.kept, plan.shape, plan.box
    taken = all_names(plan.func) + [new_name]
    init_vars, wb_vars = [], []
    for n, _ in enumerate(kept):
        init_vars.append((fresh_name(taken, f"{name}_init_{n}"), shape[n]))
        taken.append(init_vars[-1][0])
    for n, _ in enumerate(kept):
        wb_vars.append((fresh_name(taken, f"{name}_wb_{n}"), shape[n]))
        taken.append(wb_vars[-1][0])

    def target_index(vs: List[Var]) -> Tuple[Expr, ...]:
        out: List[Expr] = []
        for d, b in enumerate(box):
            lower = b.lower()
            if d in kept:
                v = vs[kept.index(d)]
                at_zero = isinstance(lower, Const) and lower.value == 0
                out.append(v if at_zero else Op("add", (lower, v), index))
            else:
                out.append(lower)
        return tuple(out)

    dtype = plan.dtype
    rewrite_accesses(plan.loop.body, name, new_name, plan.index_fn)
    init = build_copy_nest(init_vars, f"{new_name}_init",
                     lambda vs: Store(new_name, tuple(vs), Load(name, target_index(vs), dtype)))
    write_back = build_copy_nest(wb_vars, f"{new_name}_wb",
                           lambda vs: Store(name, target_index(vs), Load(new_name, tuple(vs), dtype))
                           ) if plan.writes else []
    for nest, role in ((init, "init"), (write_back, "write_back")):
        if nest and isinstance(nest[0], For):  # the tag relay finds the nests by, not their shape
            nest[0].attrs.update({"copy_of": new_name, "copy_role": role})
    alloc = Alloc(new_name, BufferType(dtype, shape), None, loc=plan.loop.loc)
    plan.loop.body[:] = [alloc, *init, *plan.loop.body, *write_back]
    ctx.trivial("init copies the box, write-back restores it" if plan.writes else
                "init copies the box (read-only: no write-back)",
                "instance of theorem memory.buffer_at")
    return BufferHandle(plan.func.name, new_name)


@primitive("buffer_at", rule="memory.buffer_at", kinds={"target": BUFFER, "axis": LOOP})
def buffer_at(ctx: Context, target: Any, axis: Any) -> BufferHandle:
    """Buffer the box of ``target`` one iteration of ``axis`` touches; returns the buffer.
    Example: ``C_buf = s.buffer_at(s.C, axis="i")``."""
    return emit_buffer_at(ctx, plan_buffer_at(ctx, target, axis))


__all__ = ["buffer_at", "plan_buffer_at", "emit_buffer_at", "BufferPlan"]
