"""Packed hash-consing keys of the expression DAG (allo.symexec.dag.node_key)."""

import pytest
from designs import gemm_int
from hypothesis import given, settings
from hypothesis import strategies as st

import allo.symexec.builders as builders
from allo.ir.types import bool_, int8, int16
from allo.symexec import verify
from allo.symexec.builders import make_builder
from allo.symexec.dag import (CONST, INPUT, MAX_NODES, OP_NAMES, OPCODE, Dag, node_key,
                              unpack_key)

ids = st.integers(0, MAX_NODES - 1)
op_nodes = st.tuples(st.integers(INPUT + 1, len(OP_NAMES) - 1), st.integers(0, (1 << 16) - 1),
                     st.lists(ids, min_size=1, max_size=3)).map(lambda t: (t[0], t[1], *t[2]))


@settings(max_examples=300, deadline=None)
@given(op_nodes)
def test_packed_key_round_trips(node):
    key = node_key(node)
    assert isinstance(key, int)
    assert unpack_key(key) == node


@settings(max_examples=300, deadline=None)
@given(op_nodes, op_nodes)
def test_packed_keys_are_injective(a, b):
    assert (node_key(a) == node_key(b)) == (a == b)


def test_leaves_wide_nodes_and_large_type_ids_keep_their_tuple():
    for node in [(CONST, 3, 7), (INPUT, 0, 1, -1), (OPCODE["add"], 0, 1, 2, 3, 4),
                 (OPCODE["add"], 1 << 16, 1, 2)]:
        assert node_key(node) == node
    # an arity-1 key never equals an arity-2 key with a zero child
    assert node_key((OPCODE["neg"], 0, 5)) != node_key((OPCODE["neg"], 0, 0, 5))


def test_builders_and_eager_rules_intern_the_same_node():
    d = Dag()
    x, y = d.input("x", -1, int8), d.input("y", -1, int8)
    add = make_builder(d, "add", int8, (int8, int8))
    sub = make_builder(d, "sub", int8, (int8, int8))
    sel = make_builder(d, "select", int8, (bool_, int8, int8))
    lt = make_builder(d, "lt", bool_, (int8, int8))
    cast = make_builder(d, "cast", int16, (int8,))
    assert add(x, y) == add(y, x) == d.op("add", int8, (y, x))
    assert sub(x, y) != sub(y, x)
    assert sub(x, y) == d._intern((OPCODE["sub"], d.tid(int8), x, y))
    c = lt(x, y)
    assert sel(c, x, y) == d._intern((OPCODE["select"], d.tid(int8), c, x, y))
    assert cast(x) == d._intern((OPCODE["cast"], d.tid(int16), x))
    assert d.nodes[cast(x)] == (OPCODE["cast"], d.tid(int16), x)
    assert d.pretty(sel(c, x, add(x, y))) == "select(lt(x, y), x, add(x, y))"
    assert d.input_nodes() == [x, y]


def test_constants_still_fold():
    d = Dag()
    add = make_builder(d, "add", int8, (int8, int8))
    assert d.value(add(d.const(100, int8), d.const(100, int8))) == -56


def test_dag_past_its_id_space_gives_unknown(monkeypatch):
    """Node ids must fit the 32-bit fields of a packed key: a run that would need more
    stops with 'unknown' (memory), never with colliding keys."""
    monkeypatch.setattr(builders, "MAX_NODES", 40)
    v = verify(gemm_int(), gemm_int(order="ikj"))
    assert v.status == "unknown" and "memory" in v.reason, v.report()


def test_one_table_per_op_and_type_never_mixes_nodes():
    """add/mul at one type, and add at two types, over the same children are four nodes
    in four tables; lookup finds each, and an op never built is not found."""
    d = Dag()
    x, y = d.input("x", -1, int8), d.input("y", -1, int8)
    xw, yw = d.input("xw", -1, int16), d.input("yw", -1, int16)
    built = {make_builder(d, "add", int8, (int8, int8))(x, y),
             make_builder(d, "mul", int8, (int8, int8))(x, y),
             make_builder(d, "add", int16, (int16, int16))(xw, yw),
             make_builder(d, "cast", int16, (int8,))(x)}
    assert len(built) == 4 and len(d.tables) == 4
    for n in built:
        assert d.lookup(d.nodes[n]) == n
    assert d.lookup((OPCODE["sub"], d.tid(int8), x, y)) is None
    assert d.lookup((INPUT, d.tid(int8), d.name_ids["x"], -1)) == x
