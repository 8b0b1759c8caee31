"""A call under a data-dependent condition: the callee's own (unconditional) return binds its
results under the caller's path condition, so the program is symbolically executable.
Regression: such calls were reported "unknown" (return under a data-dependent condition)."""

import allo
from allo.ir.types import int32
from allo.symexec import verify


def twice(X: int32[4]) -> int32[4]:
    R: int32[4] = 0
    for i in range(4):
        R[i] = X[i] * 2
    return R


def doubled(X: int32[4]) -> int32[4]:
    R: int32[4] = 0
    for i in range(4):
        R[i] = X[i] + X[i]
    return R


def thrice(X: int32[4]) -> int32[4]:
    R: int32[4] = 0
    for i in range(4):
        R[i] = X[i] * 3
    return R


def with_twice(A: int32[4], F: int32[1]) -> int32[4]:
    T: int32[4] = 0
    if F[0] > 0:
        T = twice(A)
    return T


def with_doubled(A: int32[4], F: int32[1]) -> int32[4]:
    T: int32[4] = 0
    if F[0] > 0:
        T = doubled(A)
    return T


def with_thrice(A: int32[4], F: int32[1]) -> int32[4]:
    T: int32[4] = 0
    if F[0] > 0:
        T = thrice(A)
    return T


def test_a_call_under_a_condition_is_decided_equivalent():
    verdict = verify(allo.customize(with_twice).ir, allo.customize(with_doubled).ir)
    assert verdict.status == "equivalent", str(verdict)


def test_a_call_under_a_condition_is_decided_not_equivalent_with_a_counterexample():
    verdict = verify(allo.customize(with_twice).ir, allo.customize(with_thrice).ir)
    assert verdict.status == "not equivalent", str(verdict)
    assert verdict.counterexample is not None
