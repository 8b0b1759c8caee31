"""Loop lowering (allo/frontend/loops.py): range with a step known only at run time."""

import numpy as np
import pytest

import allo
from allo.ir.types import int32


def _weighted_sum(A: int32[16], lo: int32, hi: int32, st: int32) -> int32:
    acc: int32 = 0
    n: int32 = 0
    for i in range(lo, hi, st):
        acc += A[i] * (n + 1)
        n += 1
    return acc


A = np.arange(16, dtype=np.int32) * 3 + 1
CASES = [(0, 16, 3), (15, -1, -2), (2, 2, 1), (5, 3, 1), (3, 5, -1), (1, 16, 4), (15, 0, -5),
         (0, 16, 16), (0, 16, 100), (0, 16, 0)]


@pytest.mark.parametrize("target", ["llvm", "interp"])
def test_runtime_step_visits_what_python_visits(target):
    mod = allo.customize(_weighted_sum).build(target=target)
    for lo, hi, st in CASES:
        # a zero step runs no iteration here (Python's range raises ValueError)
        want = 0 if st == 0 else sum(int(A[i]) * (n + 1)
                                     for n, i in enumerate(range(lo, hi, st)))
        assert mod(A, lo, hi, st) == want, (lo, hi, st)


def test_runtime_step_is_read_once():
    def k(A: int32[16]) -> int32:
        m: int32 = 1
        count: int32 = 0
        for i in range(0, 16, m + m):   # step 2, even though m changes in the body
            m = 5
            count += A[i]
        return count

    assert allo.customize(k).build()(A) == int(A[0:16:2].sum())


def test_runtime_step_loop_schedules_and_emits_hls():
    s = allo.customize(_weighted_sum)
    s.pipeline("i")
    assert s.verify()  # pipelining only annotates: its certificate proves it
    code = s.build(target="vhls").hls_code
    assert "#pragma HLS pipeline" in code
    with pytest.raises(allo.AlloError, match="non-constant bounds"):
        s.split("i", 2)


def test_runtime_step_loop_is_never_claimed_equal_to_another_step():
    def fixed(A: int32[16], lo: int32, hi: int32, st: int32) -> int32:
        acc: int32 = 0
        n: int32 = 0
        for i in range(lo, hi, 1):
            acc += A[i] * (n + 1)
            n += 1
        return acc

    verdict = allo.verify(allo.customize(_weighted_sum), allo.customize(fixed))
    assert not verdict and verdict.status != "equivalent"
