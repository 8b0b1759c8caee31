"""Which local buffers of the top function can live directly in the caller's result storage.

A kernel like ``C = zeros(...); ...; return C`` would otherwise compute into a heap buffer
and copy it into the result array at the end. When the top function is only ever entered
from Python (no ``Call`` targets it), its result arrays are fresh, 64-byte aligned and
private to the call (see :mod:`.module`), so the buffer can *be* the result: no heap
allocation, no final copy, and the result pointers may be declared ``noalias``.

The rewrite is only applied when it cannot be observed: exactly one ``Return``, as the last
top-level statement, returning the whole buffer (no prefix); the buffer has exactly one
``Alloc`` (top level, not a parameter name) whose type equals the result type; each buffer
feeds at most one result.

Example::

    >>> from allo.ir.nodes import Alloc, BufRef, Func, Module, Return
    >>> from allo.ir.types import float32
    >>> f = Func("f", [], [float32[4]], [Alloc("C", float32[4]), Return([BufRef("C")])])
    >>> direct_result_allocs(Module({"f": f}, "f"))  # alloc name -> result index
    {'C': 0}
"""

from __future__ import annotations

from typing import Dict

from ...ir.nodes import Alloc, BufRef, Call, Module, Return, walk_stmts
from ...ir.types import BufferType


def top_is_private(module: Module) -> bool:
    """True when no ``Call`` in the module targets the top function (so only the Python
    entry point calls it, always with fresh result storage).

    Example: ``top_is_private(Module({"f": f}, "f"))`` is True for a single function.
    """
    return not any(isinstance(s, Call) and s.callee == module.top
                   for f in module.funcs.values() for s in walk_stmts(f.body))


def direct_result_allocs(module: Module) -> Dict[str, int]:
    """Names of the top function's local buffers that may be placed in result storage,
    mapped to their result index (empty when the rewrite does not apply)."""
    if not top_is_private(module):
        return {}
    f = module.top_func
    returns = [s for s in walk_stmts(f.body) if isinstance(s, Return)]
    if len(returns) != 1 or not f.body or f.body[-1] is not returns[0]:
        return {}
    allocs: Dict[str, list] = {}
    for s in walk_stmts(f.body):
        if isinstance(s, Alloc):
            allocs.setdefault(s.name, []).append(s)
    top_level = {id(s) for s in f.body}
    params = {p.name for p in f.params}
    chosen: Dict[str, int] = {}
    for k, (v, t) in enumerate(zip(returns[0].values, f.results)):
        if not isinstance(v, BufRef) or v.prefix or not isinstance(t, BufferType):
            continue
        defs = allocs.get(v.buffer, [])
        if v.buffer in params or v.buffer in chosen or len(defs) != 1:
            continue
        a = defs[0]
        if id(a) not in top_level or a.type.is_stream or t.is_stream or a.stateful:
            continue
        if tuple(a.type.shape) != tuple(t.shape) or a.type.dtype != t.dtype:
            continue
        chosen[v.buffer] = k
    return chosen
