"""Modular equivalence (allo/symexec/modular.py): summarized calls, soundness guards."""

import numpy as np
import pytest
from irb import BufRef, Call, V, c, cast, func, ld, loop, module, op, st

import allo
from allo.ir.nodes import Store, walk_stmts
from allo.ir.types import StreamType, int8, int32
from allo.library.systolic import schedule_systolic_tile, systolic_tile
from allo.symexec import verify
from allo.symexec.dag import Dag
from allo.symexec.executor import SymbolicExecutor
from allo.symexec.modular import verify_modular
from allo.symexec.summaries import (CallSummaries, CalleeClass, SummaryPlan,
                                    forget_proofs, not_summarizable, plan_summaries)

T, K, MT, NT = 4, 8, 16, 32  # 16 x 32 = 512 tiles of a 4 x 4 systolic array, K = 8


def top(A: int8[MT, T, K], B: int8[NT, K, T], C: int32[MT, NT, T, T]):
    for mi, ni in allo.grid(MT, NT, name="tiles"):
        systolic_tile[int8, int8, int32, K, T, T](A[mi], B[ni], C[mi, ni])


def top_wrong_view(A: int8[MT, T, K], B: int8[NT, K, T], C: int32[MT, NT, T, T]):
    for mi, ni in allo.grid(MT, NT, name="tiles"):
        if mi == 3 and ni == 5:
            systolic_tile[int8, int8, int32, K, T, T](A[mi + 1], B[ni], C[mi, ni])
        else:
            systolic_tile[int8, int8, int32, K, T, T](A[mi], B[ni], C[mi, ni])


def bad_tile(A: int8[T, K], B: int8[K, T], C: int32[T, T]):
    for i, j in allo.grid(T, T, name="PE"):
        acc: int32 = 0
        for k in range(K - 1):  # drops the last product
            acc += A[i, k] * B[k, j]
        C[i, j] = acc


def top_one_bad_site(A: int8[MT, T, K], B: int8[NT, K, T], C: int32[MT, NT, T, T]):
    for mi, ni in allo.grid(MT, NT, name="tiles"):
        if mi == 7 and ni == 30:
            bad_tile(A[mi], B[ni], C[mi, ni])
        else:
            systolic_tile[int8, int8, int32, K, T, T](A[mi], B[ni], C[mi, ni])


def top_small(A: int8[2, T, K], B: int8[2, K, T], C: int32[2, 2, T, T]):
    for mi, ni in allo.grid(2, 2, name="tiles"):
        systolic_tile[int8, int8, int32, K, T, T](A[mi], B[ni], C[mi, ni])


def _systolic_top():
    s = allo.customize(top)
    tile = allo.customize(systolic_tile, instantiate=[int8, int8, int32, K, T, T])
    s.compose(schedule_systolic_tile(tile))
    return s


def test_512_tile_calls_execute_the_tile_once():
    forget_proofs()
    s = _systolic_top()
    v = verify_modular(s.original, s.ir, congruence=False)  # run the top with summaries
    assert v, v.report()
    assert "modular: 1 callee summarized" in v.method
    name = next(n for n in s.ir.funcs if n.startswith("systolic_tile"))
    # the counter of symbolic body executions: once per program (its own proof), not 512
    assert v.stats["function_runs_A"][name] == 1
    assert v.stats["function_runs_B"][name] == 1
    assert v.stats["summarized_calls"][name] == 2 * MT * NT
    assert v.stats["applications"] == MT * NT  # both programs share every application
    full = verify(s.original, s.ir)
    assert full and full.stats["function_runs_A"][name] == MT * NT
    assert v.stats["full_ops_estimate"] == full.stats["ops_A"] + full.stats["ops_B"]


def test_identical_tops_over_equivalent_callees_are_equivalent_by_congruence():
    forget_proofs()
    s = _systolic_top()
    v = verify_modular(s.original, s.ir)
    assert v and "congruence" in v.method, v.report()
    name = next(n for n in s.ir.funcs if n.startswith("systolic_tile"))
    # only the tile's own proof ran (once), with its processing elements inside it
    runs = v.stats["function_runs_A"]
    assert runs[name] == 1 and set(runs) - {name} <= {f for f in s.ir.funcs if f.startswith("PE_kernel")}
    assert "top" not in v.stats["function_runs_B"]


def test_congruence_needs_every_called_callee_proved():
    forget_proofs()
    s = allo.customize(top_small)
    # the function that stores C: the tile's processing element
    name = next(n for n, f in s.ir.funcs.items() if n != "top_small" and any(
        isinstance(x, Store) and x.buffer == "C" for x in walk_stmts(f.body)))
    wrong = s.ir.copy()
    stores = [x for x in walk_stmts(wrong.funcs[name].body) if isinstance(x, Store)]
    stores[-1].value = op("add", int32, stores[-1].value, c(1, int32))
    v = verify_modular(s.ir, wrong)  # same top, a callee that differs: never congruent
    assert v.status == "unknown" and "congruence" not in v.method


def test_a_proved_pair_is_not_proved_again():
    forget_proofs()
    s = _systolic_top()
    first = verify_modular(s.original, s.ir)
    second = verify_modular(s.original, s.ir)
    assert first and second
    assert "proved earlier by symbolic execution" in second.method and second.stats["callee_proofs"] == {}


def test_the_tile_schedule_own_proof_is_reused():
    forget_proofs()
    tile = schedule_systolic_tile(allo.customize(systolic_tile,
                                                 instantiate=[int8, int8, int32, K, T, T]))
    assert tile.verify()  # the tile's own verification (its function is named differently)
    s = _systolic_top()
    v = verify_modular(s.original, s.ir)
    assert v and "proved earlier" in v.method and v.stats["callee_proofs"] == {}
    name = next(n for n in s.ir.funcs if n.startswith("systolic_tile"))
    assert v.stats["function_runs_A"].get(name, 0) == 0  # never executed in this proof


def test_wrong_sub_view_at_one_tile_is_refuted():
    forget_proofs()
    v = verify_modular(allo.customize(top), allo.customize(top_wrong_view))
    assert v.status == "not equivalent", v.report()
    assert "modular" in v.method
    cex = v.counterexample
    assert cex.output == "C" and cex.index[:2] == (3, 5)
    a, b = cex.outputs_a["C"], cex.outputs_b["C"]
    assert not np.array_equal(a[3, 5], b[3, 5])


def test_a_wrong_callee_at_one_call_site_is_caught():
    forget_proofs()
    v = verify_modular(_systolic_top(), allo.customize(top_one_bad_site))
    assert v.status == "not equivalent", v.report()
    assert v.counterexample.index[:2] == (7, 30)
    # the 511 good sites were summarized; the odd callee ran symbolically once
    assert v.stats["function_runs_B"]["bad_tile"] == 1


def test_a_wrong_callee_everywhere_is_not_summarized():
    forget_proofs()
    s = allo.customize(top_small)
    # the function that stores C: the tile's processing element
    name = next(n for n, f in s.ir.funcs.items() if n != "top_small" and any(
        isinstance(x, Store) and x.buffer == "C" for x in walk_stmts(f.body)))
    wrong = s.ir.copy()
    stores = [x for x in walk_stmts(wrong.funcs[name].body) if isinstance(x, Store)
              and x.buffer == "C"]
    stores[0].value = op("add", int32, stores[0].value, c(1, int32))  # C[i, j] = acc + 1
    v = verify_modular(s.ir, wrong)
    assert v.status == "unknown" and "not proved equivalent (not equivalent" in v.reason
    full = verify_modular(s.ir, wrong, fallback=True)  # executes every call instead
    assert full.status == "not equivalent" and "modular" not in full.method


# ------------------------------------------------------------------ aliasing and effects
def _alias_module(second_prefix):
    """``sub(A[0], A[p])`` where ``sub`` writes its second argument."""
    sub = func("sub", [("X", int8[4]), ("Y", int8[4])],
               [loop("i", 4, [st("Y", [V("i")], op("add", int8, ld("X", int8, V("i")),
                                                    ld("Y", int8, V("i"))))])])
    topf = func("top", [("A", int8[2, 4])],
                [Call("sub", [BufRef("A", (c(0),)), BufRef("A", (c(second_prefix),))])])
    return module(topf, sub)


def test_overlapping_arguments_are_executed_not_summarized():
    mod = _alias_module(0)  # both arguments are A[0]: the IR verifier refuses it
    v = verify_modular(mod, _alias_module(1))
    assert v.status == "unknown" and "ill-formed" in v.reason
    # the executor itself also refuses to summarize it (defence in depth): the call runs
    sub = mod.funcs["sub"]
    cls = CalleeClass("sub#x", "sub", mod.sub_module("sub"), [p.type for p in sub.params],
                      [], (1,), "identical")
    plan = SummaryPlan(classes={"sub#x": cls}, labels_a={"sub": "sub#x"})
    dag = Dag()
    summ = CallSummaries(plan, dag)
    res = SymbolicExecutor(mod, dag, summaries=summ, summary_labels={"sub": "sub#x"}).run()
    assert summ.executed == {"sub": 1} and "overlap" in summ.why_executed["sub"]
    full = SymbolicExecutor(mod, dag).run()
    assert res.outputs[0].cells == full.outputs[0].cells


def test_disjoint_sub_views_are_summarized():
    mod = _alias_module(1)
    other = mod.copy()
    plan = plan_summaries(mod, other, prove=lambda a, b: pytest.fail("identical: no proof"))
    assert list(plan.labels_a) == ["sub"] and plan.classes[plan.labels_a["sub"]].written == (1,)


def test_stream_parameters_are_not_summarizable():
    stream = StreamType(int8, 2)
    prod = func("prod", [("A", int8[2]), ("S", stream)], [])
    topf = func("top", [("A", int8[2])], [Call("prod", [BufRef("A"), BufRef("S")])])
    assert "stream" in not_summarizable(module(topf, prod), "prod")


def test_modular_option_is_checked():
    s = _systolic_top()
    with pytest.raises(allo.errors.VerificationError):
        verify_modular(s.original, s.ir, fallback="yes")


def top_guarded(A: int8[2, T, K], B: int8[2, K, T], C: int32[2, 2, T, T]):
    for mi, ni in allo.grid(2, 2, name="tiles"):
        if A[mi, 0, 0] > 0:  # a data-dependent condition: the call's writes are conditional
            systolic_tile[int8, int8, int32, K, T, T](A[mi], B[ni], C[mi, ni])


def test_a_call_under_a_data_dependent_condition_is_summarized_as_a_select():
    forget_proofs()
    s = allo.customize(top_guarded)
    s.compose(schedule_systolic_tile(allo.customize(systolic_tile,
                                                    instantiate=[int8, int8, int32, K, T, T])))
    # executing the systolic tile under the condition is not SICF (FIFOs under a condition)
    assert verify(s.original, s.ir).status == "unknown"
    v = verify_modular(s.original, s.ir, congruence=False)
    name = next(n for n in s.ir.funcs if n != "top_guarded")
    assert v, v.report()
    assert v.stats["summarized_calls"] == {name: 8}


def test_a_guarded_call_with_the_wrong_guard_is_refuted():
    forget_proofs()
    a = allo.customize(top_guarded).ir
    b = a.copy()
    cond = next(x for x in walk_stmts(b.top_func.body) if isinstance(x, allo.ir.nodes.If))
    cond.cond = allo.ir.nodes.Op("lnot", (cond.cond,), cond.cond.type)  # the opposite guard
    v = verify_modular(a, b)
    assert v.status == "not equivalent", v.report()
    assert v.counterexample.output == "C"


def _deadlocking_callee_design(extra_store: bool):
    """``top`` calls ``dl``, whose local FIFO is read before anything is put: it deadlocks."""
    from allo.ir.nodes import Alloc as IRAlloc, StreamGet
    from allo.ir.types import BufferType

    fifo = BufferType(StreamType(int8, 2), ())
    dl = func("dl", [("X", int8[4])], [IRAlloc("S", fifo), st("X", [c(0)], StreamGet("S", (), int8))])
    body = [Call("dl", [BufRef("A")])]
    if extra_store:  # the two tops differ, so they are not identical programs
        body.append(st("A", [c(1)], ld("A", int8, c(1))))
    return module(func("top", [("A", int8[4])], body), dl)


def test_an_identical_callee_with_fifos_is_executed_before_it_is_summarized():
    forget_proofs()
    v = verify_modular(_deadlocking_callee_design(False), _deadlocking_callee_design(True))
    assert v.status != "equivalent", v.report()
    assert "dl" in v.reason and "not proved equivalent" in v.reason
