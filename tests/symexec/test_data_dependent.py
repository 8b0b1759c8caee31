"""Completeness under a data-dependent ``if``: a value-returning call, and a ``while``
loop whose counter is declared inside the ``if`` (static bound), are executed, not
"unknown"; stores that really are conditional stay conditional."""

import allo
from allo.ir.types import int32


def helper(x: int32) -> int32:
    return x * 3 + 1


def helper_off(x: int32) -> int32:
    return x * 3 + 2


def call_under_if(A: int32[8], B: int32[8]):
    for i in range(8):
        if A[i] > 0:
            B[i] = helper(A[i])


def call_off_under_if(A: int32[8], B: int32[8]):
    for i in range(8):
        if A[i] > 0:
            B[i] = helper_off(A[i])


def inline_under_if(A: int32[8], B: int32[8]):
    for i in range(8):
        if A[i] > 0:
            B[i] = A[i] * 3 + 1


def test_value_returning_call_under_data_dependent_if():
    v = allo.verify(call_under_if, inline_under_if)
    assert v.status == "equivalent", v.report()
    v = allo.verify(call_off_under_if, inline_under_if)
    assert v.status == "not equivalent", v.report()
    assert v.counterexample.inputs["A"][v.counterexample.index[0]] > 0


def counter_under_if(A: int32[4], B: int32[4]):
    for i in range(4):
        if A[i] > 0:
            k: int32 = 0
            while k < 3:
                B[i] += A[i]
                k += 1


def counter_four_under_if(A: int32[4], B: int32[4]):
    for i in range(4):
        if A[i] > 0:
            k: int32 = 0
            while k < 4:
                B[i] += A[i]
                k += 1


def unrolled_under_if(A: int32[4], B: int32[4]):
    for i in range(4):
        if A[i] > 0:
            B[i] += A[i]
            B[i] += A[i]
            B[i] += A[i]


def test_while_counter_declared_inside_data_dependent_if():
    v = allo.verify(counter_under_if, unrolled_under_if)
    assert v.status == "equivalent", v.report()
    v = allo.verify(counter_four_under_if, unrolled_under_if)
    assert v.status == "not equivalent", v.report()


def nested_guard(A: int32[4], B: int32[4]):
    for i in range(4):
        if A[i] > 0:
            t: int32 = 1
            if A[i] > 5:
                t = 2
            B[i] = t


def nested_guard_select(A: int32[4], B: int32[4]):
    for i in range(4):
        B[i] = (2 if A[i] > 5 else 1) if A[i] > 0 else B[i]


def nested_guard_wrong(A: int32[4], B: int32[4]):
    for i in range(4):
        B[i] = 2 if A[i] > 0 else B[i]


def test_store_under_a_stronger_condition_stays_conditional():
    assert allo.verify(nested_guard, nested_guard_select).status == "equivalent"
    v = allo.verify(nested_guard, nested_guard_wrong)
    assert v.status == "not equivalent", v.report()


def outer_local(A: int32[4], B: int32[4]):
    for i in range(4):
        t: int32 = 7
        if A[i] > 0:
            t = A[i]
        B[i] = t


def outer_local_wrong(A: int32[4], B: int32[4]):
    for i in range(4):
        B[i] = A[i]


def test_local_declared_outside_the_if_keeps_its_select():
    v = allo.verify(outer_local, outer_local_wrong)
    assert v.status == "not equivalent", v.report()
    assert v.counterexample.value_a == 7
