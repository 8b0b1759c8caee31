"""The aliasing rule for array arguments (docs/semantics.md, "Array arguments never alias").

Every primitive's side condition, the symbolic executor and the modular proofs reason
about a function's array parameters as *distinct memory*. So a call may pass two array
arguments that share an element only if the callee (with everything it calls) writes
neither of them. This module decides both halves of the rule:

* :func:`written_params` — which array/stream parameters each function writes: a
  ``Store``, a stream ``put``/``get`` (a pop changes the FIFO), a call result bound to the
  parameter, or passing it to a callee parameter that is written (a fixpoint over the call
  graph);
* :func:`may_overlap` — whether two arguments ``A[p...]`` and ``A[q...]`` (whole buffers or
  leading-index sub-views) may share an element: different buffers never do; the same
  buffer does unless some common prefix position provably differs (a constant non-zero
  difference of the two indices' forms).

:func:`call_alias_violation` combines them for one call; the IR verifier applies it to
every call, so neither the frontend nor any primitive can produce such a call.

Example::

    >>> written_params(module)["sub"]                     # doctest: +SKIP
    frozenset({'B'})
    >>> call_alias_violation(module, call, written)       # doctest: +SKIP
    "arguments 0 and 1 of the call to 'sub' are both 'A' and 'sub' writes 'B'"
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Optional, Set

from .index import index_form
from .nodes import BufRef, Call, Module, Store, StreamGet, StreamPut, walk_expr, walk_stmts, stmt_exprs


def written_params(module: Module) -> Dict[str, FrozenSet[str]]:
    """For every function, the names of the buffer/stream parameters it may write.

    Example: for ``def sub(A, B): B[0] = A[0]``, ``written_params(m)["sub"] == {"B"}``.
    """
    direct: Dict[str, Set[str]] = {}
    passes: Dict[str, list] = {}  # func -> [(param name, callee, callee param index)]
    for name, f in module.funcs.items():
        params = {p.name for p in f.params}
        mine: Set[str] = set()
        edges = []
        for s in walk_stmts(f.body):
            if isinstance(s, (Store, StreamPut)):
                target = s.buffer if isinstance(s, Store) else s.stream
                if target in params:
                    mine.add(target)
            for e in stmt_exprs(s):
                for x in walk_expr(e):
                    if isinstance(x, StreamGet) and x.stream in params:
                        mine.add(x.stream)
            if isinstance(s, Call):
                mine.update(r for r in s.results if r in params)
                for k, a in enumerate(s.args):
                    if isinstance(a, BufRef) and a.buffer in params:
                        edges.append((a.buffer, s.callee, k))
        direct[name], passes[name] = mine, edges
    changed = True
    while changed:  # the call graph is small and acyclic in practice; iterate to a fixpoint
        changed = False
        for name, edges in passes.items():
            for param, callee, k in edges:
                cf = module.funcs.get(callee)
                if cf is None or k >= len(cf.params) or param in direct[name]:
                    continue
                if cf.params[k].name in direct.get(callee, ()):
                    direct[name].add(param)
                    changed = True
    return {name: frozenset(ws) for name, ws in direct.items()}


def may_overlap(a: BufRef, b: BufRef) -> bool:
    """Whether two array arguments of one call may share an element.

    Example: ``A[i]`` and ``A[i + 1]`` never do; ``A[i]`` and ``A[j]`` may; ``A`` and
    ``A[0]`` do.
    """
    if a.buffer != b.buffer:
        return False
    for x, y in zip(a.prefix, b.prefix):
        fx, fy = index_form(x), index_form(y)
        if fx is not None and fy is not None:
            diff = fx - fy
            if diff.is_const and diff.const != 0:
                return False
    return True


def call_alias_violation(module: Module, call: Call,
                         written: Optional[Dict[str, FrozenSet[str]]] = None) -> Optional[str]:
    """Why ``call`` breaks the aliasing rule, or ``None``.

    Example: for ``sub(A, A)`` where ``sub`` writes its second parameter, the message names
    both arguments, the buffer and the written parameter.
    """
    callee = module.funcs.get(call.callee)
    if callee is None:
        return None
    written = written_params(module) if written is None else written
    writes = written.get(call.callee, frozenset())
    refs = [(k, a) for k, a in enumerate(call.args) if isinstance(a, BufRef)]
    for n, (i, a) in enumerate(refs):
        for j, b in refs[n + 1:]:
            if i >= len(callee.params) or j >= len(callee.params):
                continue
            pa, pb = callee.params[i].name, callee.params[j].name
            if (pa in writes or pb in writes) and may_overlap(a, b):
                w = " and ".join(repr(p) for p in (pa, pb) if p in writes)
                return (f"arguments {i} ({_show(a)}) and {j} ({_show(b)}) of the call to "
                        f"{call.callee!r} may be the same memory, and {call.callee!r} writes {w}")
    return None


def _show(ref: BufRef) -> str:
    if not ref.prefix:
        return ref.buffer
    parts = []
    for p in ref.prefix:
        form = index_form(p)
        parts.append(form.show() if form is not None else "?")
    return f"{ref.buffer}[{', '.join(parts)}]"


ALIAS_HINT = ("array parameters are distinct memory (docs/semantics.md): pass different "
              "buffers, or copy one into a local buffer first")

__all__ = ["written_params", "may_overlap", "call_alias_violation", "ALIAS_HINT"]
