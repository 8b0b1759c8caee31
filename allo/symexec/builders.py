"""Fast node builders for the symbolic executor's hot loop.

The executor builds *raw* nodes: exactly the program's operations, with only two cheap,
exact rewrites applied eagerly: constant folding (with the registry's concrete meaning)
and sorting the operands of binary commutative ops. Everything else (flattening of integer
sums, like-term collection, cast folding, ...) happens lazily in
:mod:`allo.symexec.canon`, and only for output cells whose raw ids differ -- so the common
case (both programs perform the same operations in the same order per cell) never pays for
canonicalization, and a long accumulation chain is flattened once, not once per step.

Each builder is a closure specialised to one (op, operand types, result type): no dispatch
on the op name, no dataclass lookups, one tuple key per new node. The hash-consing lines
are repeated in each arity's closure on purpose: a shared helper would add a Python call
per symbolic op on the hottest path.

Example::

    >>> from allo.ir.types import int16
    >>> from allo.symexec.dag import Dag
    >>> d = Dag()
    >>> add = make_builder(d, "add", int16, (int16, int16))
    >>> x, y = d.input("x", -1, int16), d.input("y", -1, int16)
    >>> add(x, y) == add(y, x)
    True
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Sequence, Tuple

from ..ir.types import AlloType, Float
from ..semantics.registry import REGISTRY
from .dag import ID_BITS, MAX_NODES, OPCODE, Dag, key_prefix, too_many_nodes


def make_builder(dag: Dag, op: str, t: AlloType, arg_types: Sequence[AlloType]) -> Callable[..., int]:
    """A function ``f(*arg_ids) -> node id`` building ``op`` at these types.

    The node is looked up first, in this op's own table (``dag.tables``) by its children:
    a hit (the other program repeating an operation) costs one dict probe, and the
    constant-folding test runs only on a miss (a pair of constants is never interned, so it
    always misses). A new node is stored as its key alone (``dag.nodes`` unpacks it).
    Example: ``make_builder(dag, "cast", int16, (int8,))(x)``.
    """
    arg_types = tuple(arg_types)
    code, tt = OPCODE[op], dag.tid(t)
    values, nodes, const = dag.values, dag.packed, dag.const
    fold = dag.impl(op, arg_types, t)
    memo: Dict[Tuple[int, ...], int] = {}
    n = len(arg_types)
    if op == "cast" and arg_types[0] == t:
        return lambda a: a
    if n > 3 or tt >= 1 << 16:  # the tuple-keyed path (node_key keeps the tuple)
        return _make_tuple_builder(dag, op, t, arg_types, fold)
    # this op's own table, keyed by the children (32 bits each); a node's packed key
    # (stored for dag.nodes to unpack) is the prefix above them
    prefix = key_prefix(code, tt, n)
    ids = dag.table(prefix)
    top = prefix << (ID_BITS * n)
    if op == "select":
        def select(c: int, a: int, b: int) -> int:
            if a == b:
                return a
            v = values.get(c)
            if v is not None:
                return a if v != 0 else b
            key = c << 64 | a << 32 | b
            r = ids.get(key)
            if r is None:
                r = len(nodes)
                if r >= MAX_NODES:
                    raise too_many_nodes()
                ids[key] = r
                nodes.append(top | key)
            return r
        return select
    if n == 1:
        def unary(a: int) -> int:
            r = ids.get(a)
            if r is None:
                if a in values:
                    r = memo.get(a)
                    if r is None:
                        r = memo[a] = const(fold(values[a]), t)
                    return r
                r = len(nodes)
                if r >= MAX_NODES:
                    raise too_many_nodes()
                ids[a] = r
                nodes.append(top | a)
            return r
        return unary
    if n == 2:
        if REGISTRY[op].laws.commutative:
            def commutative(a: int, b: int) -> int:
                if a > b:
                    a, b = b, a
                key = a << 32 | b
                r = ids.get(key)
                if r is None:
                    if a in values and b in values:
                        k = (a, b)
                        r = memo.get(k)
                        if r is None:
                            r = memo[k] = const(fold(values[a], values[b]), t)
                        return r
                    r = len(nodes)
                    if r >= MAX_NODES:
                        raise too_many_nodes()
                    ids[key] = r
                    nodes.append(top | key)
                return r
            return commutative

        def binary(a: int, b: int) -> int:
            key = a << 32 | b
            r = ids.get(key)
            if r is None:
                if a in values and b in values:
                    k = (a, b)
                    r = memo.get(k)
                    if r is None:
                        r = memo[k] = const(fold(values[a], values[b]), t)
                    return r
                r = len(nodes)
                if r >= MAX_NODES:
                    raise too_many_nodes()
                ids[key] = r
                nodes.append(top | key)
            return r
        return binary
    return _make_tuple_builder(dag, op, t, arg_types, fold)


def _make_tuple_builder(dag: Dag, op: str, t: AlloType, arg_types: Tuple[AlloType, ...],
                        fold: Callable) -> Callable[..., int]:
    """The general builder (any arity, any type id): interned through ``Dag._intern``."""
    code, tt = OPCODE[op], dag.tid(t)
    values, const, intern = dag.values, dag.const, dag._intern
    memo: Dict[Tuple[int, ...], int] = {}
    commutative = len(arg_types) == 2 and REGISTRY[op].laws.commutative

    def nary(*args: int) -> int:
        if all(a in values for a in args):
            r = memo.get(args)
            if r is None:
                r = memo[args] = const(fold(*(values[a] for a in args)), t)
            return r
        if commutative and args[0] > args[1]:
            args = (args[1], args[0])
        if op == "select":
            if args[1] == args[2]:
                return args[1]
            if args[0] in values:
                return args[1] if values[args[0]] != 0 else args[2]
        return intern((code, tt, *args))
    return nary


def make_const_converter(dag: Dag, t: AlloType) -> Callable[[Any], int]:
    """``f(value) -> const node id`` for values of ``t`` (cached for non-float types).

    Floats are not cached: ``-0.0 == 0.0`` and NaN keys would alias in a dict.
    Example: ``make_const_converter(dag, index)(3) == dag.const(3, index)``.
    """
    const = dag.const
    if isinstance(t, Float):
        return lambda v: const(v, t)
    cache: Dict[Any, int] = {}

    def conv(v: Any) -> int:
        r = cache.get(v)
        if r is None:
            r = cache[v] = const(v, t)
        return r
    return conv


__all__ = ["make_builder", "make_const_converter"]
