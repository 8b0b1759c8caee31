"""Outline the body of an unfolded (PE) loop into a PE function for the HLS backend.

``s.unfold("PE", ...)`` marks a band's spatial loops ``attrs["unfold"]``/``attrs["pe"]``.
The innermost spatial loop of a band is a *PE leaf*: its body is what one processing
element does. :func:`outline_pe` turns that body into a separate IR ``Func`` (emitted as
``static void <func>_<band>_PE(...)`` with ``#pragma HLS inline off``) and describes the
arguments of the call that replaces the body inside the unrolled loops, so the systolic
array becomes an array of PE instances connected by FIFOs.

Arguments, in order: the buffers the body uses (whole arrays, as before), then one
``hls::stream<T> &`` per distinct FIFO element the body touches (``A_buf_fifo[i][j - 1]``
becomes the parameter ``A_buf_fifo_in``; Vitis wants one producer and one consumer per
FIFO, so each PE gets exactly the FIFOs it reads and writes), then the scalars and loop
variables it reads (the PE's coordinates always included). A FIFO array that the body
indexes with its own loop variables, or passes on to a call, is passed whole instead.

A FIFO index may fall outside the array at a border PE (``j - 1`` at ``j == 0``); that
PE never touches the FIFO (the access is guarded, or the program would read out of
bounds in the reference interpreter too), but C++ still needs a valid reference, so the
call site clamps such an index with ``allo_pe_index``.

Example::

    leaf = pe_leaves(func)[0]
    pe = outline_pe(func, leaf, enclosing=[outer_loops...], name="matmul_PE_PE")
    pe.func        # the PE function's IR; pe.args: how to spell the call's arguments
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from ...ir.nodes import (Alloc, BufRef, Call, Const, Expr, For, Func, Load, Op, Param, Return,
                         Stmt, Store, StreamGet, StreamPut, Var, child_bodies, copy_stmt,
                         map_stmt_exprs, stmt_exprs, walk_expr, walk_stmts)
from ...ir.types import BufferType, Index, StreamType, index

# enumerating the PE grid to decide whether a FIFO index needs clamping stops here
_MAX_POINTS = 1 << 16


def is_pe_loop(s: Stmt) -> bool:
    """True for a loop that ``unfold`` made spatial."""
    return isinstance(s, For) and bool(s.attrs.get("unfold") or s.attrs.get("pe") is not None)


def is_pe_leaf(loop: For) -> bool:
    """The innermost spatial loop of its band, whose body can become a PE function
    (a body that returns from the enclosing function cannot).

    Example: ``is_pe_leaf(j_loop)`` for ``s.unfold("PE", axis=[0, 1], ...)``.
    """
    if not is_pe_loop(loop):
        return False
    for s in walk_stmts(loop.body):
        if isinstance(s, Return) or (is_pe_loop(s) and s.band == loop.band):
            return False
    return True


def pe_leaves(func: Func) -> List[For]:
    """Every PE leaf loop of ``func`` (pre-order). Example: ``pe_leaves(s.ir.top_func)``."""
    out: List[For] = []

    def visit(body: Sequence[Stmt]) -> None:
        for s in body:
            if isinstance(s, For) and is_pe_leaf(s):
                out.append(s)
                continue  # a nested band inside is handled by the PE function's own emitter
            for child in child_bodies(s):
                visit(child)

    visit(func.body)
    return out


@dataclass
class PEArg:
    """One argument of the PE call: ``kind`` is ``"buffer"`` (whole buffer or scalar by
    reference), ``"fifo"`` (one element of a FIFO array: ``indices``, with the dimensions
    listed in ``clamp`` clamped to the array), or ``"value"`` (a variable by value)."""

    kind: str
    name: str
    indices: Tuple[Expr, ...] = ()
    shape: Tuple[int, ...] = ()
    clamp: Tuple[int, ...] = ()


@dataclass
class PEOutline:
    """A PE function (``func``), its call's arguments and whether it talks through FIFOs."""

    func: Func
    args: List[PEArg]
    uses_streams: bool
    narrow_vars: Set[str] = field(default_factory=set)  # index params that fit in ``int``


def _is_stream(t: Any) -> bool:
    return isinstance(t, StreamType) or (isinstance(t, BufferType) and t.is_stream)


def _bound_vars(body: Sequence[Stmt]) -> Set[str]:
    return {s.var for s in walk_stmts(body) if isinstance(s, For)}


def _free_vars(exprs: Sequence[Expr]) -> Set[str]:
    return {x.name for e in exprs for x in walk_expr(e) if isinstance(x, Var)}


def _stream_accesses(body: Sequence[Stmt]) -> List[Tuple[str, Tuple[Expr, ...], str]]:
    """``(stream, indices, "get" | "put")`` for every FIFO access in ``body``."""
    out = []
    for s in walk_stmts(body):
        if isinstance(s, StreamPut):
            out.append((s.stream, tuple(s.indices), "put"))
        for e in stmt_exprs(s):
            out += [(x.stream, tuple(x.indices), "get") for x in walk_expr(e)
                    if isinstance(x, StreamGet)]
    return out


def _used_buffers(body: Sequence[Stmt]) -> List[str]:
    """Buffer names referenced in ``body``, in first-use order."""
    seen: Dict[str, None] = {}
    for s in walk_stmts(body):
        if isinstance(s, (Store, StreamPut)):
            seen.setdefault(s.buffer if isinstance(s, Store) else s.stream)
        if isinstance(s, (Call, Return)):
            for a in (s.args if isinstance(s, Call) else s.values):
                if isinstance(a, BufRef):
                    seen.setdefault(a.buffer)
            if isinstance(s, Call):
                for r in s.results:
                    seen.setdefault(r)
        for e in stmt_exprs(s):
            for x in walk_expr(e):
                if isinstance(x, Load):
                    seen.setdefault(x.buffer)
                elif isinstance(x, StreamGet):
                    seen.setdefault(x.stream)
    return list(seen)


def _whole_stream_uses(body: Sequence[Stmt]) -> Set[str]:
    """Streams passed on whole (or as sub-views) to calls: they cannot be specialized."""
    names = set()
    for s in walk_stmts(body):
        if isinstance(s, (Call, Return)):
            for a in (s.args if isinstance(s, Call) else s.values):
                if isinstance(a, BufRef):
                    names.add(a.buffer)
    return names


def _eval_index(e: Expr, env: Dict[str, int]) -> Optional[int]:
    """Value of a small index expression, or ``None`` when it is not one we can evaluate."""
    if isinstance(e, Const) and isinstance(e.value, int):
        return e.value
    if isinstance(e, Var):
        return env.get(e.name)
    if isinstance(e, Op) and isinstance(e.type, Index):
        vals = [_eval_index(a, env) for a in e.args]
        if any(v is None for v in vals):
            return None
        ops = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
               "min": min, "max": max}
        if e.op in ops and len(vals) == 2:
            return ops[e.op](*vals)
        if e.op == "neg":
            return -vals[0]
        if e.op == "cast" and isinstance(e.args[0].type, Index):
            return vals[0]
    return None


def _enclosing_points(enclosing: Sequence[For]) -> Optional[List[Dict[str, int]]]:
    """Every assignment of the enclosing loops' variables, or ``None`` if not enumerable."""
    points: List[Dict[str, int]] = [{}]
    for loop in enclosing:
        nxt = []
        for env in points:
            lo, hi = _eval_index(loop.lo, env), _eval_index(loop.hi, env)
            if lo is None or hi is None:
                return None
            nxt += [{**env, loop.var: v} for v in range(lo, hi, loop.step)]
            if len(nxt) > _MAX_POINTS:
                return None
        points = nxt
    return points


def _clamped_dims(indices: Sequence[Expr], shape: Sequence[int],
                  points: Optional[List[Dict[str, int]]]) -> Tuple[int, ...]:
    """Dimensions whose index leaves ``[0, size)`` at some PE (all, when unknown)."""
    out = []
    for d, (e, size) in enumerate(zip(indices, shape)):
        if isinstance(e, Const) and 0 <= int(e.value) < size:
            continue
        if points is None:
            out.append(d)
            continue
        values = [_eval_index(e, env) for env in points]
        if any(v is None or not 0 <= v < size for v in values):
            out.append(d)
    return tuple(out)


def _narrow(loop: For) -> bool:
    return all(isinstance(b, Const) and -2**31 <= int(b.value) < 2**31 - abs(loop.step)
               for b in (loop.lo, loop.hi))


def outline_pe(func: Func, leaf: For, enclosing: Sequence[For], name: str) -> PEOutline:
    """The PE function for PE leaf loop ``leaf`` of ``func`` (``enclosing``: the loops
    around its body, outermost first, ``leaf`` included) and its call's arguments.

    Example: ``outline_pe(f, j_loop, [i_loop, j_loop], "matmul_PE_PE").func.name``.
    """
    table = func.buffers()
    body = [copy_stmt(s) for s in leaf.body]
    local = {s.name for s in walk_stmts(body) if isinstance(s, Alloc)}
    inner_vars = _bound_vars(body)
    outer_vars = {l.var for l in enclosing}
    whole = _whole_stream_uses(body)

    # FIFO arrays every access of which is indexed by the PE's coordinates only: one
    # reference parameter per distinct element
    accesses = [a for a in _stream_accesses(body) if a[0] not in local]
    fixed: Dict[str, bool] = {}
    for stream, idx, _ in accesses:
        ok = (bool(idx) and _free_vars(idx) <= outer_vars
              and not any(isinstance(x, (Load, StreamGet)) for e in idx for x in walk_expr(e)))
        fixed[stream] = fixed.get(stream, True) and ok and stream not in whole
    elements: Dict[Tuple[str, Tuple[Expr, ...]], Set[str]] = {}
    for stream, idx, kind in accesses:
        if fixed[stream]:
            elements.setdefault((stream, idx), set()).add(kind)

    taken = set(_used_buffers(body)) | set(table) | inner_vars | outer_vars
    params: List[Param] = []
    args: List[PEArg] = []
    used = set(_used_buffers(body))
    for b in table:  # the function's order: parameters, then locals
        if b not in used or b in local or fixed.get(b):
            continue
        params.append(Param(b, table[b]))
        args.append(PEArg("buffer", b))

    points = _enclosing_points(enclosing) if elements else None
    element_param: Dict[Tuple[str, Tuple[Expr, ...]], str] = {}
    for (stream, idx), kinds in elements.items():
        role = "in" if kinds == {"get"} else "out" if kinds == {"put"} else "io"
        pname, k = f"{stream}_{role}", 1
        while pname in taken:
            pname, k = f"{stream}_{role}_{k}", k + 1
        taken.add(pname)
        element_param[(stream, idx)] = pname
        st = table[stream]
        elem = st.dtype if isinstance(st, BufferType) else st
        params.append(Param(pname, BufferType(elem, ())))
        args.append(PEArg("fifo", stream, idx, tuple(st.shape),
                          _clamped_dims(idx, st.shape, points)))
    _specialize(body, element_param)

    scalar_types = {p.name: p.type for p in func.params}
    free = _free_vars([e for s in walk_stmts(body) for e in stmt_exprs(s)]) - inner_vars
    pe_coords = [l.var for l in enclosing if is_pe_loop(l) and l.band == leaf.band]
    narrow = set()
    for loop in enclosing:  # loop variables: the PE's coordinates and any temporal loops
        if loop.var in free or loop.var in pe_coords:
            params.append(Param(loop.var, index))
            args.append(PEArg("value", loop.var))
            if _narrow(loop):
                narrow.add(loop.var)
    for v in sorted(free - outer_vars):  # scalar parameters of the function
        if v in scalar_types:
            params.append(Param(v, scalar_types[v]))
            args.append(PEArg("value", v))
    uses_streams = any(_is_stream(p.type) for p in params)
    pe = Func(name, params, [], body, attrs={"pe_function": True})
    return PEOutline(pe, args, uses_streams, narrow)


def _specialize(body: List[Stmt], element_param: Dict[Tuple[str, Tuple[Expr, ...]], str]) -> None:
    """Rewrite accesses of specialized FIFO elements to their 0-d parameters, in place."""
    if not element_param:
        return

    def fn(x: Expr) -> Optional[Expr]:
        if isinstance(x, StreamGet) and (x.stream, tuple(x.indices)) in element_param:
            return StreamGet(element_param[(x.stream, tuple(x.indices))], (), x.type, x.loc)
        return None

    for s in walk_stmts(body):
        # rewrite expressions first: the put's key uses its original indices
        key = (s.stream, tuple(s.indices)) if isinstance(s, StreamPut) else None
        map_stmt_exprs(s, fn)
        if key is not None and key in element_param:
            s.stream, s.indices = element_param[key], ()


__all__ = ["is_pe_loop", "is_pe_leaf", "pe_leaves", "outline_pe", "PEOutline", "PEArg"]
