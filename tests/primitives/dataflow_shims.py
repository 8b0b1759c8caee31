"""Test-local stand-ins for memory primitives the dataflow tests need (``buffer_at``,
``partition``), registered only while ``allo/primitives/memory.py`` does not provide them.

The ``buffer_at`` stand-in follows the contract the memory family documents: at the
start of loop ``axis``'s body, ``<target>_buf`` holds the box of target elements one
iteration touches (fixed dimensions dropped), an init nest copies target -> buffer, the
accesses are rewritten, and a write-back nest follows when the target is written. It
handles only the shapes the systolic flows use (each varying index is ``v + fixed``).
"""

import allo.primitives  # noqa: F401  (registers the real families first)
from allo.ir.nodes import Alloc, For, Load, Op, Store, Var, map_stmt_exprs, substitute, walk_expr, walk_stmts
from allo.ir.types import BufferType, index
from allo.primitives.base import PRIMITIVES, BufferHandle, all_names, fresh_name, primitive
from allo.primitives.deps import to_affine


def _i(v):
    from allo.ir.nodes import Const
    return Const(int(v), index)


def install():
    if "buffer_at" not in PRIMITIVES:
        primitive("buffer_at", rule="memory.buffer_at")(_buffer_at)
    if "partition" not in PRIMITIVES:
        primitive("partition", rule="memory.partition")(_partition)


def _partition(ctx, target, partition_type=None, dim=0, factor=0):
    ctx.buffer(target)
    ctx.trivial("layout only", "test stand-in: partitioning never changes results")


def _buffer_at(ctx, target, axis):
    site, loop = ctx.buffer(target), ctx.loop(axis).loop
    inner = {s.var: s for s in walk_stmts(loop.body) if isinstance(s, For)}
    pattern = None
    written = False
    for s in walk_stmts(loop.body):
        from allo.ir.nodes import stmt_exprs
        idxs = [x.indices for e in stmt_exprs(s) for x in walk_expr(e) if isinstance(x, Load) and x.buffer == site.name]
        if isinstance(s, Store) and s.buffer == site.name:
            idxs.append(s.indices)
            written = True
        for ix in idxs:
            if pattern is None:
                pattern = ix
            elif ix != pattern:
                raise ctx.refuse("test stand-in: all accesses must use the same indices")
    if pattern is None:
        raise ctx.refuse(f"{site.name!r} is not used in loop {loop.name!r}")
    varying = []  # (dim, var, lo, extent)
    for d, e in enumerate(pattern):
        form = to_affine(e)
        vs = [(v, c) for v, c in form.coeffs if v in inner]
        if not vs:
            continue
        (v, c), = vs
        assert c == 1
        lp = inner[v]
        varying.append((d, v, int(lp.lo.value), int(lp.hi.value) - int(lp.lo.value)))
    names = all_names(site.func)
    buf = fresh_name(names, f"{site.name}_buf")
    elem = site.type.dtype
    xs = [Var(fresh_name(names, f"{buf}_x{k}"), index) for k in range(len(varying))]

    def nest(leaf, tag):
        body = [leaf]
        for k in reversed(range(len(varying))):
            body = [For(xs[k].name, _i(0), _i(varying[k][3]), 1, body, name=f"{buf}_{tag}{k}", band=f"{buf}_{tag}")]
        return body[0]

    # source index for buffer element xs: replace each varying var by x + lo
    mapping = {v: Op("add", (x, _i(lo)), index) for (d, v, lo, _), x in zip(varying, xs)}
    src_idx = tuple(substitute(e, mapping) for e in pattern)
    init = nest(Store(buf, tuple(xs), Load(site.name, src_idx, elem)), "init")
    buf_idx = tuple(Op("sub", (Var(v, index), _i(lo)), index) if lo else Var(v, index) for (d, v, lo, _) in varying)

    def rewrite(e):
        if isinstance(e, Load) and e.buffer == site.name:
            return Load(buf, buf_idx, e.type)
        return None

    for s in walk_stmts(loop.body):
        map_stmt_exprs(s, rewrite)
        if isinstance(s, Store) and s.buffer == site.name:
            s.buffer, s.indices = buf, buf_idx
    tail = [nest(Store(site.name, src_idx, Load(buf, tuple(xs), elem)), "back")] if written else []
    loop.body = [Alloc(buf, BufferType(elem, tuple(t[3] for t in varying))), init, *loop.body, *tail]
    return BufferHandle(site.func.name, buf)
