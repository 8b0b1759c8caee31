"""The static op estimate of full symbolic execution (allo.symexec.cost) against the
executor's own count."""

import allo
from allo.ir.types import int32
from allo.symexec import run_symbolic
from allo.symexec.cost import estimate_ops


def gemm(A: int32[8, 8], B: int32[8, 8]) -> int32[8, 8]:
    C: int32[8, 8] = 0
    for i, j, k in allo.grid(8, 8, 8):
        C[i, j] += A[i, k] * B[k, j]
    return C


def tri(A: int32[8, 8]) -> int32[8]:
    B: int32[8] = 0
    for i in range(8):
        for j in range(i, 8):
            B[i] += A[i, j]
    return B


def row(A: int32[8], B: int32[8]):
    for i in range(8):
        B[i] = A[i] * 3


def calls(A: int32[4, 8], C: int32[4, 8]):
    for t in range(4):
        row(A[t], C[t])


def spin(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    n: int32 = 0
    while n < 4:
        B[n] = A[n]
        n += 1
    return B


def _executed(module):
    return run_symbolic(module).ops


def test_constant_nests_and_schedules_match_the_executor_exactly():
    s = allo.customize(gemm)
    assert estimate_ops(s.ir) == _executed(s.ir)
    s.split("i", 4)
    s.reorder("k", "j")
    assert estimate_ops(s.ir) == _executed(s.ir)


def test_guarded_splits_are_an_upper_bound():
    s = allo.customize(gemm)
    s.split("i", 3)  # 3 x 3 iterations guarded down to 8: the guard's body counts 9 times
    assert _executed(s.ir) <= estimate_ops(s.ir) <= 1.25 * _executed(s.ir)


def test_calls_count_their_callee_per_call():
    m = allo.customize(calls).ir
    assert estimate_ops(m) == _executed(m)
    assert estimate_ops(m) >= 4 * estimate_ops(allo.customize(row).ir)


def test_triangular_nests_are_an_upper_bound():
    m = allo.customize(tri).ir
    assert _executed(m) <= estimate_ops(m) <= 2 * _executed(m) + 64


def test_while_loops_have_no_estimate():
    assert estimate_ops(allo.customize(spin).ir) is None
