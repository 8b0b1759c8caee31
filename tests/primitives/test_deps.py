"""Direct tests of the dependence analysis (allo/primitives/deps.py)."""

import z3

from allo.ir.index import IndexForm
from allo.ir.nodes import (BufRef, Call, Const, For, If, Load, Op, Return, Store, StreamGet,
                           StreamPut, Var)
from allo.ir.types import bool_, index, int32
from allo.primitives.deps import (carried_dependence_queries, collect_accesses,
                                  conflicting_pairs, lex_less, order_reversal_queries)

i, j = Var("i", index), Var("j", index)


def c(v):
    return Const(v, index)


def add(a, b):
    return Op("add", (a, b), index)


def load(buf, *idx):
    return Load(buf, tuple(idx), int32)


def loop(var, n, body, lo=0):
    return For(var, c(lo) if isinstance(lo, int) else lo, c(n), 1, body, name=var)


def sat(constraints):
    s = z3.Solver()
    s.add(*constraints)
    return s.check() == z3.sat


def dependent(queries):
    return [d for d, cons, _ in queries if sat(cons)]


def test_accesses_in_program_order_with_forms_and_loops():
    inner = loop("j", 4, [Store("A", (add(i, j),), load("B", j, c(1)))])
    body = [loop("i", 4, [inner])]
    acc = collect_accesses(body)
    assert [(a.buffer, a.write) for a in acc] == [("B", False), ("A", True)]
    assert acc[1].indices == (IndexForm.of({"i": 1, "j": 1}),)
    assert [l.var for l in acc[1].loops] == ["i", "j"]
    assert acc[1].describe() == "write of A[i + j]" and acc[1].order == 1


def test_unknown_elements_calls_streams_returns_and_guards():
    data = load("X", i)
    body = [loop("i", 4, [
        Store("A", (Op("mul", (i, i), index),), c(0)),          # not affine: unknown element
        If(Op("lt", (i, c(2)), bool_), [Store("A", (i,), data)]),  # guarded: still collected
        StreamPut("S", (), StreamGet("T", (), int32)),
        Call("f", [BufRef("A")], []),
    ]), Return([BufRef("A")])]
    acc = collect_accesses(body)
    shown = [(a.buffer, a.write, a.indices) for a in acc]
    assert ("A", True, (None,)) in shown
    assert ("T", True, None) in shown and ("S", True, None) in shown   # a pop changes the FIFO
    assert ("A", True, None) in shown                                 # passed to a call
    assert shown[-1] == ("A", False, None)                            # returned: read
    assert acc[0].describe() == "write of A[?]"


def test_conflicting_pairs_need_a_write_on_one_buffer():
    acc = collect_accesses([loop("i", 4, [Store("A", (i,), load("A", i)), Store("B", (i,), load("C", i))])])
    pairs = {(a.buffer, a.write, b.write) for a, b in conflicting_pairs(acc)}
    assert pairs == {("A", False, True), ("A", True, True), ("B", True, True)}


def test_lex_less():
    x, y = z3.Ints("x y")
    assert not sat([lex_less([], [])])
    assert not sat([lex_less([x, y], [x, y])])
    assert sat([lex_less([x, y], [x, y + 1])])


def test_carried_dependence_only_across_iterations():
    outer = []
    shifted = [loop("i", 8, [Store("A", (add(i, c(1)),), load("A", i))], lo=0)]   # A[i+1] = A[i]
    assert dependent(carried_dependence_queries(collect_accesses(shifted), shifted[0], outer))
    private = [loop("i", 8, [Store("A", (i,), Op("add", (load("A", i), Const(1, int32)), int32))])]
    assert not dependent(carried_dependence_queries(collect_accesses(private), private[0], outer))


def test_carried_dependence_respects_loop_bounds():
    # A[i + 8] = A[i] for i in 0..7: reads 0..7, writes 8..15: never the same element
    disjoint = [loop("i", 8, [Store("A", (add(i, c(8)),), load("A", i))])]
    assert not dependent(carried_dependence_queries(collect_accesses(disjoint), disjoint[0], []))


def test_inner_loop_dependence_is_per_outer_iteration():
    # for i: for j: A[i] += B[j]  -- carried by j, not by i (each i owns A[i])
    inner = loop("j", 4, [Store("A", (i,), Op("add", (load("A", i), load("B", j)), int32))])
    outer = loop("i", 4, [inner])
    acc = collect_accesses([outer])
    assert not dependent(carried_dependence_queries(acc, outer, []))
    assert dependent(carried_dependence_queries(acc, inner, ["i"]))


def test_order_reversal_of_a_reorder():
    # A[i][j] = A[i-1][j+1]: interchanging i and j reverses the dependence
    src = load("A", Op("sub", (i, c(1)), index), add(j, c(1)))
    inner = loop("j", 3, [Store("A", (i, j), src)])
    nest = [loop("i", 4, [inner], lo=1)]
    acc = collect_accesses(nest)
    assert dependent(order_reversal_queries(acc, ["i", "j"], ["j", "i"]))
    # A[i][j] = A[i-1][j]: interchange keeps every dependence's direction
    same_col = load("A", Op("sub", (i, c(1)), index), j)
    nest2 = [loop("i", 4, [loop("j", 3, [Store("A", (i, j), same_col)])], lo=1)]
    assert not dependent(order_reversal_queries(collect_accesses(nest2), ["i", "j"], ["j", "i"]))


def test_unknown_index_conflicts_with_everything():
    nest = [loop("i", 4, [Store("A", (Op("mul", (i, i), index),), load("A", i))])]
    assert dependent(carried_dependence_queries(collect_accesses(nest), nest[0], []))


def test_witness_names_iterations_and_element():
    nest = [loop("i", 8, [Store("A", (add(i, c(1)),), load("A", i))])]
    for _, cons, witness in carried_dependence_queries(collect_accesses(nest), nest[0], []):
        s = z3.Solver()
        s.add(*cons)
        if s.check() == z3.sat:
            text = witness(s.model())
            assert "iteration (i=" in text and "touch A[" in text
            return
    raise AssertionError("no dependence found")
