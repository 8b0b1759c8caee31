"""verify() with Stateful variables: the state is an input and an output of each call.

Two designs are compared from the same symbolic state; their final states must agree too;
a difference in state only is reported as "not equivalent" only once a call sequence from
the initial state shows a difference the caller sees."""

import allo
from allo.ir.types import Stateful, int32


def acc(x: int32) -> int32:
    a: int32 @ Stateful = 0
    a = a + x
    return a


def acc_commuted(x: int32) -> int32:
    a: int32 @ Stateful = 0
    a = x + a
    return a


def acc_sub(x: int32) -> int32:  # same first result, different state afterwards
    a: int32 @ Stateful = 0
    a = a - x
    return a + 2 * x


def stateless(x: int32) -> int32:
    a: int32 = 0
    a = a + x
    return a


def acc_from_one(x: int32) -> int32:
    a: int32 @ Stateful = 1
    a = a + x
    return a


def write_only_plus(x: int32) -> int32:
    a: int32 @ Stateful = 0
    a = a + x
    return x


def write_only_minus(x: int32) -> int32:
    a: int32 @ Stateful = 0
    a = a - x
    return x


def verdict(f, g):
    return allo.verify(allo.customize(f), allo.customize(g))


def test_equal_step_functions_are_equivalent():
    v = verdict(acc, acc_commuted)
    assert v and v.status == "equivalent"


def test_state_difference_is_found_as_a_call_sequence():
    v = verdict(acc, acc_sub)
    assert not v and v.status == "not equivalent"
    cex = v.counterexample
    assert "call 2" in cex.output and "calls" in cex.inputs and "state:a" in cex.inputs
    # replay the call sequence on LLVM: the second results really differ
    x = int(cex.inputs["x"])
    ma, mb = allo.customize(acc).build(), allo.customize(acc_sub).build()
    assert [int(ma(x)) for _ in range(2)] != [int(mb(x)) for _ in range(2)]


def test_stateful_vs_stateless_is_never_equivalent_blindly():
    v = verdict(acc, stateless)
    assert not v and v.status == "unknown" and "only program A has state a" in v.reason


def test_different_initial_state_is_not_called_equivalent():
    v = verdict(acc, acc_from_one)
    assert not v and v.status == "unknown" and "initial value" in v.reason


def test_unobservable_state_difference_is_unknown_not_a_wrong_verdict():
    v = verdict(write_only_plus, write_only_minus)
    assert v.status == "unknown" and "state" in v.reason


def test_schedule_on_a_stateful_buffer_verifies():
    def top(A: int32[8]) -> int32[8]:
        h: int32[8] @ Stateful = 0
        for i in range(8):
            h[i] += A[i]
        return h

    s = allo.customize(top)
    s.split("i", 2)
    s.pipeline("i.inner")
    assert s.verify()


def test_wrong_schedule_of_a_stateful_callee_is_caught():
    """Swapping two calls of a stateful callee by hand changes results; verify finds it."""
    def counter() -> int32:
        c: int32 @ Stateful = 0
        c = c + 1
        return c

    def twice(A: int32[2]):
        A[0] = counter()
        A[1] = counter() * 2

    def swapped(A: int32[2]):
        A[1] = counter() * 2
        A[0] = counter()

    v = verdict(twice, swapped)
    assert v.status == "not equivalent"


def test_stateful_callee_is_summarized_with_its_state_never_as_a_function_of_its_arguments():
    from allo.symexec.summaries import not_summarizable, plan_summaries

    def counter(x: int32) -> int32:
        c: int32 @ Stateful = 0
        c = c + x
        return c

    def top(x: int32) -> int32:
        r: int32 = counter(x)
        return r

    m = allo.customize(top).ir
    assert not_summarizable(m, "counter") is None
    plan = plan_summaries(m, m.copy(), prove=None)  # identical: nothing to prove
    (cls,) = plan.classes.values()
    assert [(inner, outer) for inner, outer, _ in cls.state] == [("c", "counter.c")]
    from allo.backends.interp import Interpreter

    interp = Interpreter(m, memo={"counter": {}})
    assert interp.memo == {}  # never memoized: two calls, two results
    assert [int(interp(1)), int(interp(1))] == [1, 2]
