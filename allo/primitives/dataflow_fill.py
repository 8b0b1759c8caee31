"""A caller's constant fill across a task: forwarding it into the task, and dead fills.

A local buffer of a kernel declared with a constant fill (``Y: int32[M, N] = 0``; no
initializer means zero) holds that constant when the first statement touching it runs.
Two rewrites follow, used by ``to``/``pingpong`` between calls (:mod:`.dataflow_calls`)
and by ``dataflow`` (:mod:`.dataflow`):

* **Forwarding the fill** (:func:`forward_fill`). When inside that first task (a call:
  inside the callee, on the parameter bound to the buffer; a loop nest: in the nest)
  every read of an element runs before any write of the same element -- no flow
  dependence through the buffer, z3 over each (write, read) pair of access sites
  (:func:`allo.primitives.deps.flow_dependence_queries`), the witness being the write and
  the later read of one element -- every read returns the fill. The reads become the
  constant, in an instance of the callee that only this call uses (a shared callee is
  cloned, ``matmul_0``, ``template`` kept for ``compose``). The seed's in-place matmul
  privatised by ``buffer_at(C, "j")`` reads each ``C[i, j]`` once, before writing it, so
  its reads of the zero-filled ``Y`` become ``0`` and it no longer reads ``Y``: ``Y`` can
  stream.
* **Dead fills** (:func:`settle_fills`). In a dataflow region every top-level statement
  is a process, and the HLS code fills a buffer in a loop of its own: beside the task
  that writes the buffer, that is a second writer. When the first task touching the
  buffer writes every element (one unconditional write site, as many executions as the
  buffer has elements, pairwise different and in bounds: z3) and reads none (after
  forwarding), the fill is dead: the function's ``dead_fill`` attribute maps the buffer to the
  fingerprint of that task and what it calls (:func:`allo.ir.sites.task_key`),
  and the HLS code declares it without the fill while that key still matches. When that task is a call that does not
  (it leaves elements unwritten, or reads its own writes), the fill moves into its own
  instance of the callee instead (:func:`move_fill`: a nest tagged ``fill_of`` first
  writes the constant to the parameter), and the caller's fill is dead the same way. The IR keeps the fill (its meaning is
  unchanged), so every other backend and the verifier see the same program.

Example::

    value = fill_constant(alloc)                  # Const(0, int32) for `Y: int32[4, 4] = 0`
    forward_fill(ctx, func, alloc, call, required=True)
    settle_fills(ctx, func)                        # a dataflow function: dead fills marked
"""

from __future__ import annotations

import math
from typing import Any, Callable, List, Optional, Tuple, Union

import numpy as np

from ..ir.index import affine_form, constant_trips
from ..ir.nodes import (Alloc, BufRef, Call, Const, For, Func, Load, Return, Stmt, Store, While,
                        copy_func, map_stmt_exprs, walk_stmts)
from ..ir.sites import access_sites, first_task, reads_buffer, stmt_site, task_key, task_scope
from ..ir.types import BufferType
from .base import Context, all_names, fresh_name
from .memory_common import build_copy_nest
from .deps import collect_accesses, flow_dependence_queries
from .dataflow_order import _uses, written_outside, written_twice

Task = Union[Call, For]


def fill_constant(alloc: Alloc) -> Optional[Const]:
    """The constant every element of ``alloc`` starts with (zero when it has no
    initializer), or ``None`` for a table or a non-constant fill.

    Example: ``fill_constant(Alloc("Y", BufferType(int32, (4, 4)), None)) == Const(0, int32)``.
    """
    if alloc.stateful or not isinstance(alloc.type, BufferType):
        return None
    if alloc.init is None:
        dtype = alloc.type.dtype
        return Const(0.0 if dtype.is_float else 0, dtype)
    if isinstance(alloc.init, Const):
        return alloc.init
    return None


def own_instance(ctx: Context, call: Call) -> Func:
    """The callee of ``call`` as a function only this call uses: the callee itself when no
    other call uses it, else a clone ``<name>_<k>`` (``template`` names the kernel, so
    ``compose`` keeps replaying its schedule onto the clone) that ``call`` now calls.

    Example: ``own_instance(ctx, call).name == "matmul_0"`` for the first of two calls.
    """
    callee = ctx.module.funcs[call.callee]
    shared = sum(1 for f in ctx.module.funcs.values() for s in walk_stmts(f.body)
                 if isinstance(s, Call) and s.callee == callee.name) > 1
    if not shared:
        return callee
    k = 0
    while f"{callee.name}_{k}" in ctx.module.funcs:
        k += 1
    clone = copy_func(callee)
    clone.name = f"{callee.name}_{k}"
    clone.attrs.setdefault("template", callee.attrs.get("template", callee.name))
    ctx.module.funcs[clone.name] = clone
    call.callee = clone.name
    return clone


def bound_params(ctx: Context, call: Call, name: str) -> List[str]:
    """The parameters of ``call``'s callee that receive the whole buffer ``name`` (a
    sub-view counts as ``"<view>"``).

    Example: ``bound_params(ctx, call, "Y") == ["C"]``.
    """
    callee = ctx.module.funcs.get(call.callee)
    out = []
    for k, a in enumerate(call.args):
        if isinstance(a, BufRef) and a.buffer == name:
            whole = not a.prefix and callee is not None and k < len(callee.params)
            out.append(callee.params[k].name if whole else "<view>")
    return out


def _fail(ctx: Context, required: bool, message: str, hint: str) -> bool:
    if required:
        raise ctx.refuse(message, hint=hint)
    return False


def _value_at_task(ctx: Context, func: Func, alloc: Alloc, task: Task, required: bool,
                   what: str) -> Optional[Const]:
    """The fill constant, when ``task`` stands in the block declaring ``alloc`` (the
    function's body, or a loop body: declared afresh in every iteration), after it, and
    nothing between them touches the buffer (so it still holds its fill at the task)."""
    name = alloc.name
    value = fill_constant(alloc)
    if value is None:
        kind = "a constant table" if isinstance(alloc.init, np.ndarray) else "not a constant"
        _fail(ctx, required, f"{what} reads {name!r}, whose initial value is {kind}; only a constant "
                             "fill can be forwarded into it",
              hint=f"declare {name!r} with a constant fill (e.g. `= 0`), or make {what} write each "
                   "element without reading it")
        return None
    site = stmt_site(func, alloc)
    body = site.parent if site is not None else []
    a = next((k for k, s in enumerate(body) if s is alloc), None)
    t = next((k for k, s in enumerate(body) if s is task), None)
    if a is None or t is None or t < a:
        _fail(ctx, required, f"{what} must stand after the declaration of {name!r}, in the same "
                             "block", hint="declare the buffer in the block of the tasks that use it")
        return None
    between = [s for s in body[a + 1:t] if any(x.buffer == name for x in access_sites([s]))]
    if between:
        _fail(ctx, required, f"{what} reads {name!r}, but a statement before it "
                             f"({type(between[0]).__name__}) also uses {name!r}, so its value at "
                             f"{what} is not the fill",
              hint=f"let {what} be the first to use {name!r}")
        return None
    return value


def _reads_precede_writes(ctx: Context, body: List[Stmt], name: str, required: bool,
                          what: str, buffer: str) -> bool:
    """Side condition: inside ``body`` no read of ``name`` follows a write of its element."""
    label = f"each read of {buffer} in {what.replace(chr(39), '')} precedes any write of its element"
    if any(isinstance(s, While) for s in walk_stmts(body)):
        if required:
            ctx.assume_unchecked(label, f"{what} has a while loop, whose iterations are not modelled")
            return True
        return False
    accesses = collect_accesses(body)
    if any(a.buffer == name and a.indices is None for a in accesses):
        return _fail(ctx, required, f"{what} passes {buffer!r} on or streams it; its reads cannot be "
                                    "matched with its writes",
                     hint="read and write it element by element")
    where = ("on the kernel's schedule, then compose it" if what.startswith("'")
             else "before streaming")
    hint = (f"privatise the accumulation so that it reads each element once, before writing it: "
            f"a scalar accumulator, or buffer_at on the loop around the accumulation loop (for "
            f"`for i, j: for k: {name}[i, j] += ...`: buffer_at({name!r}, \"j\")), {where}")
    for _, constraints, witness, carrier in flow_dependence_queries(accesses, name):
        if required:
            ctx.prove(label, constraints, lambda m, witness=witness, carrier=carrier:
                      f"{witness(m)}: that read sees a value {what} wrote, not the caller's fill"
                      f"{_privatise(carrier(m), body, name)}", hint=hint)
        elif not ctx.holds(label, constraints):
            return False
    return True


def _privatise(carrier: Optional[For], body: List[Stmt], name: str) -> str:
    """The ``buffer_at`` that privatises an accumulation carried by loop ``carrier``: at
    the loop just around it (none when the outermost loop carries it)."""
    if carrier is None:
        return ""
    around = next((s for s in walk_stmts(body) if isinstance(s, For) and any(c is carrier for c in s.body)), None)
    where = f"; the accumulation runs along loop {carrier.name!r}"
    if around is None:
        return where
    return where + f": buffer_at({name!r}, {around.name!r}) on the kernel reads each element once, before writing it"


def forward_fill(ctx: Context, func: Func, alloc: Alloc, task: Task, required: bool) -> bool:
    """Replace the reads of ``alloc``'s buffer inside ``task`` (a call: in its callee,
    made an instance of its own; a loop nest of ``func``) by the buffer's fill constant.

    Side conditions: the buffer holds its constant fill at ``task`` (declared at the top
    level, nothing touching it in between), and inside ``task`` every read of an element
    precedes any write of it (z3, witness: the write and the later read). ``required``:
    refuse with the reason; otherwise return False and change nothing.

    Example: ``forward_fill(ctx, top, y_alloc, first_call, required=True)``.
    """
    name = alloc.name
    what = f"{task.callee!r}" if isinstance(task, Call) else f"loop {task.name!r}"
    scope = task_scope(ctx.module, task, name)
    if scope is None:
        return _fail(ctx, required, f"{what} receives {name!r} more than once, as a sub-view or as "
                                    "a result, or reads it in its arguments",
                     hint="pass the whole buffer once, as an argument, and read its elements in the kernel")
    kept = len(ctx.certificate.conditions)
    value = _value_at_task(ctx, func, alloc, task, required, what)
    if value is None:
        return False
    body, local = scope
    if not _reads_precede_writes(ctx, body, local, required, what, name):
        del ctx.certificate.conditions[kept:]
        return False
    if isinstance(task, Call):
        body = own_instance(ctx, task).body
    const = Const(value.value, value.type)
    for s in walk_stmts(body):
        map_stmt_exprs(s, lambda e: const if isinstance(e, Load) and e.buffer == local else None)
    ctx.trivial(f"{what} reads the fill of {name!r}",
                f"{name!r} holds {value.value} at the call (declared with that fill, untouched "
                f"before it); its reads there became the constant")
    return True


def move_fill(ctx: Context, func: Func, alloc: Alloc, task: Task) -> bool:
    """Move the constant fill of ``alloc``'s buffer into the call ``task``: its own instance
    of the callee starts by filling the parameter bound to the buffer with the constant (a
    nest tagged ``fill_of``). Side condition: the buffer holds that fill at the call
    (declared at the top level, untouched before it), so the instance's fill rewrites the
    values it already holds, and from then on the caller's fill is dead. Returns False,
    changing nothing, when the condition fails or ``task`` is not such a call.

    Example: ``move_fill(ctx, top, z_alloc, consumer_call)`` (``matmul`` starts ``C[...] = 0``).
    """
    scope = task_scope(ctx.module, task, alloc.name) if isinstance(task, Call) else None
    if scope is None or not alloc.type.shape or 0 in alloc.type.shape:
        return False
    callee = ctx.module.funcs[task.callee]
    if callee.attrs.get("dataflow") or callee.attrs.get("df_region"):
        return False  # a region's body is its tasks: a fill nest there is one more writer
    value = _value_at_task(ctx, func, alloc, task, False, f"{task.callee!r}")
    if value is None:
        return False
    local = scope[1]
    inst = own_instance(ctx, task)
    taken = all_names(inst)
    loops = []
    for d, extent in enumerate(alloc.type.shape):
        loops.append((fresh_name(taken, f"{local}_fill_{d}"), extent))
        taken.append(loops[-1][0])
    const = Const(value.value, value.type)
    nest = build_copy_nest(loops, f"{local}_fill", lambda vs: Store(local, tuple(vs), const))
    nest[0].attrs["fill_of"] = local
    inst.body[:0] = nest
    ctx.trivial(f"the fill of {alloc.name!r} moved into {inst.name!r}",
                f"{alloc.name!r} holds {value.value} at the call (declared with that fill, untouched "
                f"before it); {inst.name!r} now writes it to every element of {local!r} first")
    return True


def writes_every_element(ctx: Any, body: List[Stmt], name: str, shape: Tuple[int, ...],
                          buffer: str) -> bool:
    """Whether ``body`` writes every element of ``name`` (shape ``shape``): one unconditional
    write site, no return inside, constant trip counts whose product is the element count,
    pairwise different elements, all in bounds (z3, through ``ctx.holds``, which records the
    conditions when it holds). Example: ``writes_every_element(ctx, [nest], "Y", (4,), "Y")``."""
    if any(isinstance(s, Return) for s in walk_stmts(body) if s is not body[-1]):
        return False
    writes: list = []
    for s in body:
        writes += _uses(s, name)[0]
    if len(writes) != 1 or writes[0].guarded:
        return False
    w = writes[0]
    loops = [constant_trips(l) for l in w.loops]
    if any(l is None for l in loops):
        return False
    trips = [l[3] for l in loops]
    forms = [affine_form(e) for e in w.node.indices]
    if any(f is None or any(v not in {l.var for l in w.loops} for v in f.vars()) for f in forms):
        return False
    total = math.prod(trips)
    if total != math.prod(shape):
        return False
    twice, _ = written_twice(buffer, w, trips, forms, total)
    return (ctx.holds(f"every element of {buffer!r} is written once", twice)
            and ctx.holds(f"every write of {buffer!r} is in bounds", written_outside(w, trips, forms, total, shape)))


def settle_fills(ctx: Context, func: Func) -> List[str]:
    """In the dataflow function ``func``, mark dead the fills of the local arrays whose first
    task writes every element and reads none (after forwarding the fill into it where it
    reads each element only before writing it): ``func.attrs["dead_fill"]``. Returns the
    buffers marked; a fill that cannot be shown dead is kept.

    Example: ``settle_fills(ctx, top) == ["Z"]`` for the streamed seed top.
    """
    dead: List[str] = []
    pingpong = func.attrs.get("pingpong", {})
    for k, alloc in enumerate(func.body):
        if not isinstance(alloc, Alloc) or alloc.stateful or isinstance(alloc.init, np.ndarray) \
                or not isinstance(alloc.type, BufferType) or alloc.type.is_stream \
                or not alloc.type.shape or alloc.name in pingpong:
            continue
        name = alloc.name
        task = first_task(func, name)
        scope = task_scope(ctx.module, task, name) if task is not None else None
        if scope is None:
            continue
        kept = len(ctx.certificate.conditions)
        body, local = scope
        if writes_every_element(ctx, body, local, alloc.type.shape, name) and (
                not reads_buffer(body, local) or forward_fill(ctx, func, alloc, task, required=False)):
            dead.append(name)
            continue
        del ctx.certificate.conditions[kept:]
        if move_fill(ctx, func, alloc, task):  # a call that leaves elements, or reads its writes
            dead.append(name)
    # each mark keeps the fingerprint of its first task (and what it calls): the HLS code
    # omits the fill only while that task is still the one this proof was about
    keys = {name: task_key(ctx.module, first_task(func, name)) for name in dead}
    dead = [name for name in dead if keys[name] is not None]
    if dead:
        func.attrs["dead_fill"] = {**func.attrs.get("dead_fill", {}), **{n: keys[n] for n in dead}}
        ctx.trivial("each buffer of the region has one writer task",
                    f"the fill of {', '.join(map(repr, dead))} is dead: the first task writes every "
                    "element before any read, so the HLS code declares it without a fill process")
    return dead


def rekey_fills(module: Any, func: Func, change: Callable[[], None]) -> None:
    """Run ``change`` (a rewrite that changes only FIFO depths: a stream's depth settled
    after the marking) and re-take the fingerprints of ``func``'s dead-fill marks that
    still matched their first task before it: no dead-fill proof depends on a depth. A
    mark already stale before ``change`` (an earlier rewrite changed its task) stays stale,
    so the HLS code keeps bringing that fill back. Any other rewrite must leave the keys
    alone.

    Example: ``rekey_fills(ctx.module, top, lambda: set_depth(4))`` in the retype of a
    stream between calls.
    """
    def key_now(name: str) -> Optional[str]:
        task = first_task(func, name)
        return task_key(module, task) if task is not None else None

    marks = dict(func.attrs.get("dead_fill") or {})
    valid = {n for n, key in marks.items() if key is not None and key_now(n) == key}
    change()
    if marks:
        func.attrs["dead_fill"] = {n: key_now(n) if n in valid else key for n, key in marks.items()}


__all__ = ["fill_constant", "writes_every_element", "own_instance", "bound_params", "forward_fill",
           "move_fill", "settle_fills", "rekey_fills"]
