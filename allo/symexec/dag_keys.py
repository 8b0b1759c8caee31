"""How DAG nodes are encoded: opcodes, and the packed integer keys of op nodes.

A node is the tuple ``(opcode, type_id, *children)``; ``CONST``/``INPUT`` are the leaf
opcodes and every op of the semantics registry has one after them (``OPCODE``). An op node
of arity 1..3 is identified by one packed int (:func:`node_key`, inverted by
:func:`unpack_key`), which is what :class:`allo.symexec.dag.Dag` hash-conses and stores.

Example::

    >>> from allo.symexec.dag_keys import OPCODE, node_key, unpack_key
    >>> unpack_key(node_key((OPCODE["add"], 0, 3, 4))) == (OPCODE["add"], 0, 3, 4)
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Tuple

from ..semantics.registry import REGISTRY

if TYPE_CHECKING:
    from .dag import Dag

CONST, INPUT = 0, 1
OP_NAMES: List[str] = ["const", "input", *sorted(REGISTRY)]
OPCODE: Dict[str, int] = {n: i for i, n in enumerate(OP_NAMES)}

# Hash-consing keys. An op node of arity 1..3 is identified by one packed int (arity,
# opcode, type id, then each child id in 32 bits). The packing is injective because the
# arity fixes the number of child fields, opcodes and type ids are bounded below, and no
# node id reaches 2**32 (``MAX_NODES``). Such nodes are hash-consed in one table per
# (arity, opcode, type) prefix (``Dag.tables``), keyed by the children alone: the lookup
# is the executor's cost per symbolic op, it is bound by memory latency, and a table per
# op keeps each table small (a cast of the inputs hits a table of a few thousand entries
# that stays in cache, not one of a million). Leaves, wider nodes and (never in practice)
# type ids past 2**16 are keyed by their tuple in ``Dag.ids``.
ID_BITS = 32
MAX_NODES = 1 << ID_BITS
_TYPE_BITS, _CODE_BITS = 16, 12
assert len(OP_NAMES) < 1 << _CODE_BITS


def key_prefix(code: int, tt: int, arity: int) -> int:
    """The packed key of an op node with no children yet (shift in each child's id).

    Example: ``key_prefix(OPCODE["add"], 0, 2) << 64 | x << 32 | y`` keys ``add(x, y)``.
    """
    return (arity << _CODE_BITS | code) << _TYPE_BITS | tt


def node_key(node: Tuple) -> Any:
    """The packed key of an op node (its identity; the tuple itself for other nodes).

    Example: ``node_key((CONST, 0, 5)) == (CONST, 0, 5)`` (leaves keep their tuple).
    """
    n = len(node) - 2
    if node[0] > INPUT and 1 <= n <= 3 and node[1] < 1 << _TYPE_BITS:
        k = key_prefix(node[0], node[1], n)
        for c in node[2:]:
            k = k << ID_BITS | c
        return k
    return node


def unpack_key(key: int) -> Tuple[int, ...]:
    """The node tuple ``(opcode, type id, *children)`` of a packed key (inverse of
    :func:`node_key` on op nodes). Example: ``unpack_key(node_key(n)) == n``."""
    arity = (key.bit_length() - 29) >> 5  # the prefix has 29 or 30 bits (arity 1, or 2..3)
    prefix = key >> (ID_BITS * arity)
    mask = MAX_NODES - 1
    kids = tuple((key >> (ID_BITS * (arity - 1 - i))) & mask for i in range(arity))
    return ((prefix >> _TYPE_BITS) & ((1 << _CODE_BITS) - 1), prefix & ((1 << _TYPE_BITS) - 1),
            *kids)


class NodeView:
    """``dag.nodes``: node ``n`` as its tuple ``(opcode, type id, *children)``.

    The store (:attr:`Dag.packed`) keeps an op node built by the executor as its packed key
    alone: no tuple is allocated per symbolic op. Reading a node here unpacks it once (the
    tuple replaces the key in the store). Example: ``dag.nodes[n][0] == OPCODE["add"]``.
    """

    __slots__ = ("dag",)

    def __init__(self, dag: "Dag") -> None:
        self.dag = dag

    def __getitem__(self, n: int) -> Tuple:
        return self.dag.node(n)

    def __len__(self) -> int:
        return len(self.dag.packed)

    def __iter__(self):
        node = self.dag.node
        return (node(n) for n in range(len(self.dag.packed)))


def too_many_nodes() -> MemoryError:
    """The error for a DAG past ``MAX_NODES`` nodes (its ids no longer fit the packed keys)."""
    return MemoryError(f"the expression DAG reached {MAX_NODES:,} nodes")


__all__ = ["CONST", "INPUT", "OP_NAMES", "OPCODE", "ID_BITS", "MAX_NODES", "key_prefix",
           "node_key", "unpack_key", "too_many_nodes", "NodeView"]
