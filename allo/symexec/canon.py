"""Lazy canonicalization of raw DAG nodes (exact: every rewrite keeps the value).

The executor builds raw nodes (:mod:`allo.symexec.builders`); this module maps a raw node
to its canonical node, built with the eager rules of :meth:`Dag.op` (integer sums
flattened with coefficients modulo ``2**n``, AC ops flattened and sorted, casts folded,
...). It runs only on output cells whose raw ids differ, memoizes every node it visits
(``dag.canon_of``) and is iterative (deep chains do not hit Python's recursion limit).

Why it is linear: a chain ``(((c + p0) + p1) + ... + pn)`` of one AC op is collected in one
walk and canonicalized once, instead of re-flattening a growing sum at every step. An
inner chain node met twice in the same walk is cut off and canonicalized on its own, so a
walk never expands a shared sub-DAG exponentially; the result is the same because the
eager rules flatten canonical same-op children anyway.

Example::

    >>> from allo.ir.types import int8
    >>> from allo.symexec.dag import Dag
    >>> from allo.symexec.builders import make_builder
    >>> d = Dag(); add = make_builder(d, "add", int8, (int8, int8))
    >>> x, y, z = (d.input(n, -1, int8) for n in "xyz")
    >>> canonical(d, add(add(x, y), z)) == canonical(d, add(x, add(z, y)))
    True
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from ..ir.nodes import postorder
from ..ir.types import Fixed, Float
from ..semantics.registry import REGISTRY
from .dag import INPUT, OP_NAMES, OPCODE, Dag, _is_int

_ADD, _SUB, _NEG, _MUL = OPCODE["add"], OPCODE["sub"], OPCODE["neg"], OPCODE["mul"]
_LINEAR = frozenset((_ADD, _SUB, _NEG))

Items = List[Tuple[int, int]]  # (raw leaf, integer coefficient)


def _chain_kind(dag: Dag, node: Tuple) -> Optional[str]:
    """How a node's chain is collected: "linear", "ac", "reassoc" or None (plain rebuild)."""
    code = node[0]
    t = dag.types[node[1]]
    name = OP_NAMES[code]
    if _is_int(t):
        if code in _LINEAR:
            return "linear"
        return "ac" if REGISTRY[name].laws.int_ac else None
    if isinstance(t, Fixed):
        return "ac" if REGISTRY[name].laws.fixed_ac else None
    if isinstance(t, Float) and dag.fp == "reassoc" and code in (_ADD, _MUL):
        return "reassoc"
    return None


def _collect(dag: Dag, root: int, kind: str, memo: Dict[int, int]) -> Items:
    """The leaves of the maximal same-op chain under ``root`` (see the module docstring)."""
    nodes = dag.node
    top = nodes(root)
    tt = top[1]
    codes = _LINEAR if kind == "linear" else (top[0],)
    items: Items = []
    seen = set()
    stack = [(root, 1)]
    while stack:
        n, k = stack.pop()
        node = nodes(n)
        inner = node[0] in codes and node[1] == tt and \
            (n == root or (n not in memo and n not in seen))
        if not inner:
            items.append((n, k))
            continue
        seen.add(n)
        code = node[0]
        if code == _SUB:
            stack.append((node[3], -k))
            stack.append((node[2], k))
        elif code == _NEG:
            stack.append((node[2], -k))
        else:
            stack.extend((c, k) for c in reversed(node[2:]))
    if kind == "reassoc" and len(seen) > 1:
        dag.reassociated = True
    return items


def canonical(dag: Dag, root: int) -> int:
    """The canonical node of raw node ``root`` (memoized in ``dag.canon_of``).

    Equal canonical ids mean equal values; the converse need not hold (z3 decides then).
    Example: ``canonical(dag, nid) == canonical(dag, canonical(dag, nid))``.
    """
    memo = dag.canon_of
    hit = memo.get(root)
    if hit is not None:
        return hit
    nodes, types = dag.node, dag.types
    chains: Dict[int, Tuple[Optional[str], Items]] = {}

    def children(n: int) -> List[int]:
        node = nodes(n)
        if node[0] <= INPUT:
            return []
        kind = _chain_kind(dag, node)
        items = _collect(dag, n, kind, memo) if kind else [(c, 1) for c in node[2:]]
        chains[n] = (kind, items)
        return [c for c, _ in items]

    for n in postorder((root,), children, memo):
        node = nodes(n)
        if node[0] <= INPUT:
            memo[n] = n
            continue
        kind, items = chains.pop(n)
        t = types[node[1]]
        name = OP_NAMES[node[0]]
        if kind == "linear":
            memo[n] = dag._linear(t, [(memo[c], k) for c, k in items])
        elif kind == "ac":
            memo[n] = dag._ac(name, t, [memo[c] for c, _ in items])
        elif kind == "reassoc":
            memo[n] = dag._reassoc(name, t, [memo[c] for c, _ in items])
        else:
            memo[n] = dag.op(name, t, [memo[c] for c, _ in items])
    return memo[root]


def canonical_value(dag: Dag, nid: int):
    """The constant value of ``nid`` after canonicalization, or ``None`` if it is symbolic.

    Example: ``canonical_value(dag, sub(x, x)) == 0``.
    """
    v = dag.values.get(nid)
    if v is not None:
        return v
    return dag.values.get(canonical(dag, nid))


__all__ = ["canonical", "canonical_value"]
