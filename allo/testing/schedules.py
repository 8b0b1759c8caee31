"""Hypothesis strategy for random schedules: primitives with random arguments drawn from the
design's current loops and buffers, applied one after another to a real ``Schedule``.

Each step draws a primitive, then arguments that make sense for the IR *at that point*
(a loop that exists, a directly nested pair, a sibling producer, a buffer of the function
that owns the loop, a factorization of a local's size, ...), plus some that are out of
range on purpose (split factors of ``2**40``, dims past the rank). A step either applies
or is refused with an :class:`~allo.errors.AlloError` (recorded); any other exception
propagates, because a primitive must never fail internally.

Example::

    from hypothesis import given, strategies as st
    from allo.testing import kernels
    from allo.testing.schedules import schedules

    @given(st.data())
    def test_schedules_verify(data):
        s, steps = data.draw(schedules(data.draw(kernels())))
        assert s.verify().status != "not equivalent"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from hypothesis import strategies as st

from ..errors import AlloError
from ..ir.nodes import Alloc, For, Func, Module, walk_stmts
from ..ir.types import BufferType

PRIMITIVES = ("split", "reorder", "fuse", "tile", "unroll", "pipeline", "parallel",
              "buffer_at", "reuse_at", "partition", "reshape", "compute_at", "inline",
              "dataflow")


@dataclass
class Step:
    """One drawn primitive call and what happened: ``"applied"`` or ``"refused: ..."``."""

    primitive: str
    args: Tuple[Any, ...]
    kwargs: Dict[str, Any] = field(default_factory=dict)
    outcome: str = ""

    def __str__(self) -> str:
        parts = [repr(str(a)) if not isinstance(a, (int, list, tuple)) else repr(a) for a in self.args]
        parts += [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"s.{self.primitive}({', '.join(parts)})  # {self.outcome}"


def _loops(func: Func) -> List[For]:
    return [s for s in walk_stmts(func.body) if isinstance(s, For)]


def _qualified(func: Func, loop: For) -> str:
    return f"{func.name}:{loop.name or loop.var}"


def _chains(func: Func) -> List[Tuple[str, str]]:
    """(outer, inner) loop pairs where the inner loop is the outer one's only statement."""
    return [(_qualified(func, s), _qualified(func, s.body[0])) for s in _loops(func)
            if len(s.body) == 1 and isinstance(s.body[0], For)]


def _siblings(func: Func) -> List[Tuple[str, str]]:
    """(earlier, later) pairs of loops in one statement list (compute_at candidates)."""
    out = []
    bodies = [func.body] + [s.body for s in _loops(func)]
    for body in bodies:
        loops = [s for s in body if isinstance(s, For)]
        out += [(_qualified(func, a), _qualified(func, b)) for k, a in enumerate(loops)
                for b in loops[k + 1:]]
    return out


def _buffers(func: Func) -> List[Tuple[str, BufferType, Optional[Alloc]]]:
    out = [(p.name, p.type, None) for p in func.params
           if isinstance(p.type, BufferType) and not p.type.is_stream and p.type.shape]
    out += [(s.name, s.type, s) for s in walk_stmts(func.body)
            if isinstance(s, Alloc) and isinstance(s.type, BufferType) and s.type.shape
            and not s.type.is_stream]
    return out


def _factorizations(n: int) -> List[Tuple[int, ...]]:
    out = [(n,)]
    for a in range(2, n):
        if n % a == 0:
            out.append((a, n // a))
    return out


# factors past every extent the kernels strategy draws; 2**40 (issue 11, item 5) joins
# once split clamps or refuses factors above the extent, since until then the split loop
# really runs 2**40 iterations
HUGE_FACTORS = (7, 64)


def _factor(draw: Callable) -> int:
    return draw(st.one_of(st.integers(1, 5), st.sampled_from(HUGE_FACTORS)))


def draw_step(draw: Callable, module: Module, primitive: str) -> Optional[Step]:
    """Arguments for ``primitive`` on ``module`` as it is now, or ``None`` if it has no
    candidate (no loop, no nested pair, ...). Example: ``draw_step(draw, s.ir, "split")``."""
    from ..primitives.base import BufferHandle

    funcs = [f for f in module.funcs.values() if _loops(f)]
    if primitive in ("inline",):
        callees = [n for n in module.funcs if n != module.top]
        return Step("inline", (draw(st.sampled_from(callees)),)) if callees else None
    if not funcs:
        return None
    func = draw(st.sampled_from(funcs))
    loops = [_qualified(func, l) for l in _loops(func)]
    loop = draw(st.sampled_from(loops))
    if primitive == "split":
        return Step("split", (loop, _factor(draw)))
    if primitive in ("reorder", "fuse"):
        pairs = _chains(func)
        if not pairs:
            return None
        outer, inner = draw(st.sampled_from(pairs))
        return Step(primitive, (inner, outer) if primitive == "reorder" else (outer, inner))
    if primitive == "tile":
        pairs = _chains(func)
        if not pairs:
            return None
        outer, inner = draw(st.sampled_from(pairs))
        return Step("tile", (outer, inner, _factor(draw), _factor(draw)))
    if primitive == "unroll":
        return Step("unroll", (loop, draw(st.integers(0, 4))))
    if primitive == "pipeline":
        return Step("pipeline", (loop, draw(st.integers(1, 3))))
    if primitive == "parallel":
        return Step("parallel", (loop,))
    if primitive == "compute_at":
        pairs = _siblings(func)
        return Step("compute_at", draw(st.sampled_from(pairs))) if pairs else None
    if primitive == "dataflow":
        return Step("dataflow", (draw(st.sampled_from([func.name, loop])),))
    bufs = _buffers(func)
    if not bufs:
        return None
    name, btype, alloc = draw(st.sampled_from(bufs))
    handle = BufferHandle(func.name, name)
    if primitive in ("buffer_at", "reuse_at"):
        return Step(primitive, (handle, loop))
    if primitive == "partition":
        kind = draw(st.sampled_from([None, "complete", "block", "cyclic"]))
        return Step("partition", (handle,), {"partition_type": kind,
                                             "dim": draw(st.integers(0, len(btype.shape) + 1)),
                                             "factor": draw(st.integers(0, 4))})
    if primitive == "reshape":
        shape = draw(st.sampled_from(_factorizations(btype.size)))
        return Step("reshape", (handle, list(shape)))
    raise ValueError(f"unknown primitive {primitive!r}")


def apply_steps(draw: Callable, schedule: Any, max_steps: int = 3,
                primitives: Sequence[str] = PRIMITIVES) -> List[Step]:
    """Draw and apply 1..``max_steps`` primitives to ``schedule``; return the steps.

    Example: ``steps = apply_steps(draw, allo.customize(gemm))``.
    """
    steps: List[Step] = []
    for _ in range(draw(st.integers(1, max_steps))):
        step = draw_step(draw, schedule.ir, draw(st.sampled_from(list(primitives))))
        if step is None:
            continue
        try:
            getattr(schedule, step.primitive)(*step.args, **step.kwargs)
            step.outcome = "applied"
        except AlloError as e:
            step.outcome = f"refused: {type(e).__name__}: {str(e).splitlines()[0][:160]}"
        steps.append(step)
    return steps


def schedules(module: Module, max_steps: int = 3,
              primitives: Sequence[str] = PRIMITIVES) -> st.SearchStrategy:
    """A strategy of ``(schedule, steps)``: ``module`` customized by random primitives.

    Example: ``s, steps = data.draw(schedules(mod))``.
    """
    from ..schedule import Schedule

    @st.composite
    def build(draw):
        s = Schedule(module.copy())
        return s, apply_steps(draw, s, max_steps, primitives)

    return build()


__all__ = ["PRIMITIVES", "Step", "draw_step", "apply_steps", "schedules"]
