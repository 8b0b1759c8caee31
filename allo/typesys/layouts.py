"""Layouts recorded on a design's buffer types: collect them, tell which changed, and
reconcile them across the call hierarchy (the partition-type inference of :mod:`.infer`).

A layout on a ``BufferType`` is either the user's own (*fixed*: set by ``partition`` on
this schedule) or a *need* (replayed from a sub-kernel's schedule by ``compose``).
:func:`reconcile_layouts` writes onto every buffer the least layout that supplies every
bound kernel's need and raises :class:`~allo.errors.AlloTypeError` when a fixed layout
supplies less.

Example::

    >>> from allo.ir.nodes import Module
    >>> layouts_of(Module({}, top=""))
    {}
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from ..ir.nodes import Alloc, Module, walk_stmts
from ..ir.types import BufferType
from .infer import infer_layouts
from .lattice import Layout

Node = Tuple[str, str]  # (function, buffer)


def layouts_of(module: Module) -> Dict[Node, Any]:
    """Every buffer layout recorded on the IR's types: ``{(func, buffer): Layout}``.

    Example: after ``s.partition(s.A, dim=1)``, ``layouts_of(s.ir)[("gemm", "A")]``.
    """
    found: Dict[Node, Any] = {}
    for func in module.funcs.values():
        for p in func.params:
            if isinstance(p.type, BufferType) and p.type.layout is not None:
                found[(func.name, p.name)] = p.type.layout
        for s in walk_stmts(func.body):
            if isinstance(s, Alloc) and isinstance(s.type, BufferType) and s.type.layout is not None:
                found[(func.name, s.name)] = s.type.layout
    return found


def changed_layouts(before: Module, after: Module) -> List[Node]:
    """The buffers whose recorded layout differs between ``before`` and ``after``.

    Example: ``changed_layouts(s.ir, partitioned) == [("gemm", "A")]``.
    """
    old, new = layouts_of(before), layouts_of(after)
    return [node for node, layout in new.items() if old.get(node) != layout]


def inferred_layouts(module: Module, fixed: Optional[Iterable[Node]] = None) -> Dict[Node, Any]:
    """The layout of every buffer the recorded layouts reach (empty when none is
    recorded); raises ``AlloTypeError`` when a fixed layout supplies less than a bound
    kernel needs. ``fixed=None``: every recorded layout is fixed (the built design).

    Example: ``inferred_layouts(s.ir)[("top", "X")]`` (the layout a callee's partition implies).
    """
    recorded = layouts_of(module)
    if not recorded:
        return {}
    fixed_set: Set[Node] = set(recorded) if fixed is None else set(fixed)
    requirements = {node: (layout, node in fixed_set) for node, layout in recorded.items()}
    out = dict(recorded)
    out.update(infer_layouts(module, requirements))
    return out


def reconcile_layouts(module: Module, fixed: Set[Node]) -> Module:
    """A copy of ``module`` whose buffer types carry the inferred layouts (``fixed``: the
    user's own); ``module`` itself when nothing is recorded.

    Example: ``module = reconcile_layouts(module, {("top", "X")})``.
    """
    inferred = inferred_layouts(module, fixed)
    if not inferred:
        return module
    result = module.copy()
    for func in result.funcs.values():
        for p in func.params:
            layout = inferred.get((func.name, p.name))
            if isinstance(p.type, BufferType) and _informative(layout, p.type):
                p.type = p.type.with_layout(layout)
        for s in walk_stmts(func.body):
            if isinstance(s, Alloc) and isinstance(s.type, BufferType):
                layout = inferred.get((func.name, s.name))
                if _informative(layout, s.type):
                    s.type = s.type.with_layout(layout)
    return result


def _informative(layout: Any, t: BufferType) -> bool:
    return layout is not None and (t.layout is not None or layout != Layout.none(t.shape))


__all__ = ["layouts_of", "changed_layouts", "inferred_layouts", "reconcile_layouts"]
