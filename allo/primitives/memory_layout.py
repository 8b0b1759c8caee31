"""``partition`` (rule ``annotation.partition``) and ``reshape`` (rule ``memory.reshape``).

* ``partition(target, partition_type=Partition.Complete, dim=0, factor=0)`` records a
  partition type (a :class:`allo.typesys.Layout`) on the buffer's ``BufferType.layout``,
  on the ``Param`` or ``Alloc`` that declares it. The program is unchanged: layouts have
  no meaning in the semantics. A layout on a buffer type is by convention *explicit*
  (user-fixed: :func:`allo.typesys.requirements_from_module` treats it as fixed); the
  function's ``attrs["explicit_layouts"]`` also lists the buffer names, for tools that
  read the function alone. ``dim`` is 1-based, 0 = every dimension, a list partitions
  each listed dimension (a list containing 0 means all); repeated calls refine one
  dimension at a time, keeping the others.
* ``reshape(target, shape)``: a buffer gets a new shape with the same element count (an
  argument or a returned buffer of the top function too: its signature changes to the new
  shape, the original shape is kept in ``attrs["interface_shapes"]`` and ``verify()``
  compares the interfaces element by element in row-major order);
  every access ``A[i0, .., in]`` becomes ``A[delinearize(linearize(i))]`` (row-major both
  ways); a constant init table is reshaped the same way. Side condition (z3, for the
  concrete shapes): for every in-bounds old index, the new index is in bounds and has the
  same linear (row-major) position.

Example::

    s.partition(s.A, dim=1)                                   # [complete, none]
    s.partition(s.B, partition_type=Partition.Cyclic, dim=2, factor=4)
    s.reshape(s.T, (4, 8))                                    # T: int32[32] -> int32[4, 8]
"""

from __future__ import annotations

import math
from typing import Any, List, Sequence, Tuple

import numpy as np
import z3

from ..errors import AlloError
from ..ir.nodes import Const, Expr, Op, Var, index_const
from ..ir.types import BufferType, index
from ..ir.types import row_major_strides as strides
from .base import BUFFER, VALUE, BufferSite, Context, primitive, prove_index_fits
from .index_z3 import index_term
from .memory_common import find_accesses, rewrite_accesses


# ------------------------------------------------------------------ partition
def _layout_api():
    """The typesys lattice's layout builder (the user-facing ``Partition`` enum)."""
    from ..typesys.lattice import Layout
    from ..typesys.partition import Partition, layout_from_partition

    return Layout, Partition, layout_from_partition


def set_buffer_type(site: BufferSite, new_type: BufferType) -> None:
    """Replace the declared type of a buffer on its ``Param`` or ``Alloc``."""
    if site.alloc is not None:
        site.alloc.type = new_type
    else:
        site.func.param(site.name).type = new_type


@primitive("partition", rule="annotation.partition", fixes_layouts=True,
           kinds={"target": BUFFER, "partition_type": VALUE, "dim": VALUE, "factor": VALUE})
def partition(ctx: Context, target: Any, partition_type: Any = None, dim: Any = 0,
              factor: Any = 0) -> None:
    """Record a partition type on ``target``'s buffer type; the program is unchanged."""
    Layout, Partition, layout_from_partition = _layout_api()
    site = ctx.buffer(target)
    btype = site.type
    if not isinstance(btype, BufferType) or btype.rank == 0:
        raise ctx.refuse(f"{site.name} (type {btype!r}) is not an array buffer",
                         hint="partition applies to array arguments and local arrays")
    if partition_type is None:
        partition_type = Partition.Complete
    try:
        ptype = Partition.parse(partition_type)
    except AlloError:
        raise ctx.refuse(f"partition_type={partition_type!r} is not a partition type",
                         hint="valid choices: Partition.Complete, Partition.Block, "
                              "Partition.Cyclic (or their names as strings)") from None
    dims = dim if isinstance(dim, (list, tuple)) else [dim]
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= btype.rank:
            raise ctx.refuse(f"dim={dim!r} is invalid for {site.name} of rank {btype.rank}",
                             hint=f"valid choices: 1..{btype.rank} (1-based), 0 for all "
                                  f"dimensions, or a list of those")
    if not dims:
        raise ctx.refuse("dim=[] selects no dimension",
                         hint=f"valid choices: 1..{btype.rank}, 0 for all dimensions")
    if ptype is Partition.Complete and factor not in (0, None):
        raise ctx.refuse(f"factor={factor!r} has no meaning for Partition.Complete",
                         hint="drop the factor, or use Partition.Block / Partition.Cyclic")
    if ptype is not Partition.Complete:
        if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
            raise ctx.refuse(f"factor={factor!r} is invalid for Partition.{ptype.name}",
                             hint="give the number of banks, a positive int no larger "
                                  "than the dimension's extent")
    base = btype.layout if isinstance(btype.layout, Layout) else None
    try:
        layout = layout_from_partition(btype.shape, ptype, dim, factor if ptype is not Partition.Complete
                                       else 0, base=base, name=site.name)
    except AlloError as err:
        raise ctx.refuse(err.message, hint=err.hint) from None
    set_buffer_type(site, btype.with_layout(layout))
    marked = set(site.func.attrs.get("explicit_layouts", ()))
    site.func.attrs["explicit_layouts"] = tuple(sorted(marked | {site.name}))
    ctx.trivial("annotation only", f"{site.name} laid out as {layout}; layouts do not "
                                   f"change the semantics")


# ------------------------------------------------------------------ reshape
def linearize(indices: Sequence[Expr], shape: Sequence[int]) -> Expr:
    """``sum(index_d * stride_d)`` as an ``index`` expression (row-major)."""
    total: Expr = index_const(0)
    for i, s in zip(indices, strides(shape)):
        term = i if s == 1 else Op("mul", (i, index_const(s)), index)
        total = term if isinstance(total, Const) and total.value == 0 else Op("add", (total, term), index)
    return total


def delinearize(linear: Expr, shape: Sequence[int]) -> Tuple[Expr, ...]:
    """Row-major indices of position ``linear`` in ``shape`` (floordiv / mod by constants)."""
    out = []
    for d, s in enumerate(strides(shape)):
        e = linear if s == 1 else Op("floordiv", (linear, index_const(s)), index)
        if d > 0:
            e = Op("mod", (e, index_const(shape[d])), index)
        out.append(e)
    return tuple(out)


@primitive("reshape", rule="memory.reshape", kinds={"target": BUFFER, "shape": VALUE})
def reshape(ctx: Context, target: Any, shape: Sequence[int]) -> None:
    """Give local buffer ``target`` a new shape with the same number of elements."""
    site = ctx.buffer(target)
    btype = site.type
    is_top = site.func.name == ctx.module.top and not _called(ctx.module, site.func.name)
    if site.is_param and not is_top:
        raise ctx.refuse(f"{site.name} is an argument of {site.func.name!r}, which other "
                         f"kernels call; its shape is part of their interface",
                         hint="reshape a local buffer, or an argument of the top function")
    if not isinstance(btype, BufferType) or btype.is_stream:
        raise ctx.refuse(f"{site.name} (type {btype!r}) is not an array buffer",
                         hint="reshape applies to local arrays")
    if site.alloc is not None and site.alloc.stateful:
        raise ctx.refuse(f"{site.name} is Stateful: its shape is part of the design's state, "
                         "which verify() compares between designs",
                         hint="reshape a buffer that is not Stateful")
    new_shape = tuple(shape)
    if not new_shape or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1
                            for d in new_shape):
        raise ctx.refuse(f"shape={tuple(shape)!r} must be a non-empty tuple of positive ints",
                         hint=f"e.g. a shape with {btype.size} elements in all")
    new_shape = tuple(int(d) for d in new_shape)
    if math.prod(new_shape) != btype.size:
        raise ctx.refuse(f"shape {new_shape} has {math.prod(new_shape)} elements but {site.name} "
                         f"{btype.shape} has {btype.size}",
                         hint="the new shape must hold exactly the same number of elements")
    if btype.layout is not None:
        raise ctx.refuse(f"{site.name} already has the layout {btype.layout}, which is for "
                         f"shape {btype.shape}",
                         hint="reshape first, then partition")
    for acc in find_accesses(site.func.body, site.name):
        returned = type(acc.stmt).__name__ == "Return"
        if acc.kind == "call" and not (returned and is_top):  # returned by the top: interface
            raise ctx.refuse(f"cannot reshape {site.name}: {acc.describe(site.name)} would "
                             f"see a different shape",
                             hint="reshape a buffer used only by loads and stores")
    old_shape = btype.shape
    prove_index_fits(ctx, "the linear position of an element", btype.size - 1, f"{btype.size} elements")
    names = [f"_reshape_t{d}" for d in range(len(old_shape))]
    symbolic = delinearize(linearize([Var(n, index) for n in names], old_shape), new_shape)

    # side condition: new index in bounds with the same row-major position (z3 instance)
    env = {n: z3.Int(n) for n in names}
    old_pos = sum(env[n] * s for n, s in zip(names, strides(old_shape)))
    new_idx = [index_term(e, env) for e in symbolic]
    new_pos = sum(i * s for i, s in zip(new_idx, strides(new_shape)))
    in_old = [z3.And(0 <= env[n], env[n] < e) for n, e in zip(names, old_shape)]
    outside = [z3.Or(i < 0, i >= e) for i, e in zip(new_idx, new_shape)]

    def witness(m: z3.ModelRef) -> str:
        old = ", ".join(str(m.eval(env[n])) for n in names)
        new = ", ".join(str(m.eval(i, model_completion=True)) for i in new_idx)
        return f"{site.name}[{old}] would map to [{new}]"

    ctx.prove("reshape preserves the linear index",
              [*in_old, z3.Or(new_pos != old_pos, *outside)], witness,
              hint="choose a shape with the same number of elements")

    def index_fn(indices: Tuple[Expr, ...]) -> Tuple[Expr, ...]:
        from ..ir.nodes import substitute

        mapping = dict(zip(names, indices))
        return tuple(substitute(e, mapping) for e in symbolic)

    rewrite_accesses(site.func.body, site.name, site.name, index_fn)
    new_type = BufferType(btype.dtype, new_shape, None, btype.memory)  # the binding stays
    interface = _reshape_interface(site, btype, new_type)
    if interface:
        ctx.trivial("the interface is the same row-major data",
                    f"{', '.join(interface)} of the top function now has shape {new_shape}; "
                    "verify() compares it element by element in row-major order")
    if site.alloc is None:
        return
    alloc = site.alloc
    if isinstance(alloc.init, np.ndarray):
        alloc.init = alloc.init.reshape(new_shape)
    alloc.type = new_type


def _called(module: Any, name: str) -> bool:
    from ..ir.nodes import Call, walk_stmts

    return any(isinstance(st, Call) and st.callee == name
               for f in module.funcs.values() for st in walk_stmts(f.body))


def _reshape_interface(site: BufferSite, old: BufferType, new: BufferType) -> List[str]:
    """Give a reshaped argument or returned buffer of the top function its new shape in
    the signature, recording the original shape in ``attrs["interface_shapes"]`` (what
    callers of the original passed), which verify() reads to compare the two designs."""
    from ..ir.nodes import BufRef, Return, walk_stmts

    func = site.func
    changed: List[str] = []
    original = dict(func.attrs.get("interface_shapes", ()))
    if site.is_param:
        for p in func.params:
            if p.name == site.name:
                original.setdefault(p.name, tuple(old.shape))
                p.type = new
                changed.append(f"argument {p.name}")
    for st in walk_stmts(func.body):
        if isinstance(st, Return):
            for k, v in enumerate(st.values):
                if isinstance(v, BufRef) and v.buffer == site.name and not v.prefix:
                    key = f"return[{k}]"
                    original.setdefault(key, tuple(func.results[k].shape))
                    func.results[k] = new
                    changed.append(f"result {k}")
    if changed:
        func.attrs["interface_shapes"] = tuple(sorted(original.items()))
    return changed
