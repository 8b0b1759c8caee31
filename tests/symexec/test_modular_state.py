"""Modular proofs of designs whose callees hold state (``Stateful``): each call is one
application of (arguments, current state) -> (written arguments, results, next state), and
the next state carries forward to the next call."""

import dataclasses

import numpy as np

import allo
from allo.ir.types import Stateful, int32
from allo.symexec.modular import verify_modular
from allo.symexec.summaries import forget_proofs

N, CALLS = 8, 6


def accum(x: int32[N]) -> int32:
    total: int32 @ Stateful = 0
    for i in range(N):
        total = total + x[i]
    return total


def accum_late_bug(x: int32[N]) -> int32:  # right on the first call only
    total: int32 @ Stateful = 0
    calls: int32 @ Stateful = 0
    for i in range(N):
        if calls > 0 and i == 3:
            total = total + x[i] + 1
        else:
            total = total + x[i]
    calls = calls + 1
    return total


def accum_counted(x: int32[N]) -> int32:  # the same state table as accum_late_bug
    total: int32 @ Stateful = 0
    calls: int32 @ Stateful = 0
    for i in range(N):
        total = total + x[i]
    calls = calls + 1
    return total


def top_counted(X: int32[CALLS, N], Y: int32[CALLS]):
    for k in range(CALLS):
        Y[k] = accum_counted(X[k])


def accum_from_one(x: int32[N]) -> int32:
    total: int32 @ Stateful = 1
    for i in range(N):
        total = total + x[i]
    return total


def top(X: int32[CALLS, N], Y: int32[CALLS]):
    for k in range(CALLS):
        Y[k] = accum(X[k])


def top_swapped(X: int32[CALLS, N], Y: int32[CALLS]):  # calls 1 and 2 in the other order
    Y[0] = accum(X[0])
    Y[2] = accum(X[2])
    Y[1] = accum(X[1])
    for k in range(3, CALLS):
        Y[k] = accum(X[k])


def _scheduled():
    s = allo.customize(top)
    k = allo.customize(accum)
    k.split("i", 4)
    k.pipeline("i.inner")
    s.compose(k)
    return s


def _callee(mod):
    return next(n for n in mod.funcs if n != mod.top)


def test_a_stateful_callee_is_summarized_and_chains_its_state():
    forget_proofs()
    s = _scheduled()
    v = verify_modular(s.original, s.ir, congruence=False)  # run the top with summaries
    assert v and v.status == "equivalent", v.report()
    assert "modular: 1 callee summarized" in v.method
    name = _callee(s.ir)
    assert v.stats["function_runs_A"][name] == 1  # the pair's own proof, not 6 calls
    assert v.stats["summarized_calls"][name] == 2 * CALLS
    # each call reads the state the previous one left: six distinct applications
    assert v.stats["applications"] == CALLS


def test_congruence_over_a_stateful_callee():
    forget_proofs()
    s = _scheduled()
    v = verify_modular(s.original, s.ir)
    assert v and "congruence" in v.method, v.report()


def test_calls_in_another_order_are_refuted_with_a_counterexample():
    forget_proofs()
    s = _scheduled()
    other = allo.customize(top_swapped)
    v = verify_modular(s.ir, other.ir)
    assert v.status == "not equivalent", v.report()
    assert "modular" in v.method
    assert v.stats["function_runs_B"].get(_callee(other.ir), 0) == 1
    cex = v.counterexample
    assert cex.output == "Y"
    assert not np.array_equal(cex.outputs_a["Y"], cex.outputs_b["Y"])
    X = np.asarray(cex.inputs["X"]).reshape(CALLS, N)
    want = np.cumsum(X.sum(axis=1, dtype=np.int64)).astype(np.int32)
    assert np.array_equal(np.asarray(cex.outputs_a["Y"]).reshape(-1), want)


def test_a_callee_wrong_from_its_second_call_is_refuted():
    forget_proofs()
    good = allo.customize(top_counted).ir
    bad = good.copy()
    wrong = allo.customize(accum_late_bug).ir
    name = _callee(bad)
    bad.funcs[name] = dataclasses.replace(wrong.funcs[wrong.top], name=name)
    # modular only: the pair differs from a state reached on the 2nd call, so it is
    # neither proved nor summarized
    v = verify_modular(good, bad)
    assert v.status == "unknown", v.report()
    assert "not proved equivalent" in v.reason
    v = verify_modular(good, bad, fallback=True)  # every call executed instead
    assert v.status == "not equivalent", v.report()
    cex = v.counterexample
    assert cex.output == "Y"
    ya, yb = (np.asarray(cex.outputs_a["Y"]).reshape(-1), np.asarray(cex.outputs_b["Y"]).reshape(-1))
    assert ya[0] == yb[0] and not np.array_equal(ya, yb)  # the first call agrees


def test_a_callee_with_another_initial_state_is_not_summarized():
    forget_proofs()
    good = _scheduled().ir
    other = good.copy()
    start1 = allo.customize(accum_from_one).ir
    name = _callee(other)
    other.funcs[name] = dataclasses.replace(start1.funcs[start1.top], name=name)
    v = verify_modular(good, other)  # modular only: nothing may be summarized
    assert v.status == "unknown", v.report()
    assert "different state tables" in v.reason


def top_guarded(X: int32[CALLS, N], Y: int32[CALLS]):
    for k in range(CALLS):
        if X[k, 0] > 0:  # a data-dependent call: it advances the state only when taken
            Y[k] = accum(X[k])


def top_guarded_off_by_one(X: int32[CALLS, N], Y: int32[CALLS]):
    for k in range(CALLS):
        if X[k, 0] > 1:
            Y[k] = accum(X[k])


def test_a_conditional_call_advances_the_state_only_when_taken():
    forget_proofs()
    s = allo.customize(top_guarded)
    k = allo.customize(accum)
    k.split("i", 4)
    s.compose(k)
    v = verify_modular(s.original, s.ir, congruence=False)
    assert v and v.status == "equivalent", v.report()
    assert v.stats["function_runs_A"][_callee(s.ir)] == 1
    assert "calls_executed" not in v.stats  # summarized as select(taken, next, old) state
    w = verify_modular(s.ir, allo.customize(top_guarded_off_by_one).ir)
    assert w.status == "not equivalent", w.report()
    assert "modular" in w.method
