"""``packed_systolic``: GEMM on operands packed several to a word."""

import numpy as np

import allo
from allo.ir.types import int8, int16
from allo.library import KERNEL2SCHEDULE
from allo.library.systolic import packed_systolic

M, K, N, P = 4, 3, 4, 2


def pack_rows(X: np.ndarray) -> np.ndarray:
    """Pack ``P`` consecutive rows of int8 ``X`` into one int16 word per column."""
    return np.ascontiguousarray(np.ascontiguousarray(X.T).view(np.int16).T)


def test_packed_gemm_matches_numpy_and_its_default_schedule_verifies():
    rng = np.random.default_rng(7)
    X = rng.integers(-8, 8, size=(M, K)).astype(np.int8)
    W = rng.integers(-8, 8, size=(K, N)).astype(np.int8)

    def top(A: int16[M // P, K], B: int16[K, N // P]) -> int16[M // P, N]:
        C: int16[M // P, N] = 0
        packed_systolic[int8, int8, int8, M, K, N, 2, 2, P](A, B, C)
        return C

    s = allo.customize(top)
    out = s.build()(pack_rows(X), W.view(np.int16))
    expected = (X.astype(np.int32) @ W.astype(np.int32)).astype(np.int8)  # int8 wraps
    np.testing.assert_array_equal(out, pack_rows(expected))
    sub = KERNEL2SCHEDULE[packed_systolic](allo.customize(
        packed_systolic, instantiate=[int8, int8, int8, M, K, N, 2, 2, P]))
    assert sub.verify()
    s.compose(sub)
    np.testing.assert_array_equal(s.build()(pack_rows(X), W.view(np.int16)), pack_rows(expected))


def test_composing_the_library_kernel_with_an_instance_the_design_does_not_call():
    """Public Allo composes by name: the default schedule goes onto the instance the design
    calls, with a warning; a kernel the design never calls is still refused."""
    import pytest

    from allo.errors import ScheduleError
    from allo.ir.types import int32
    from allo.library.systolic import systolic

    def top(A: int16[M // P, K], B: int16[K, N // P]) -> int16[M // P, N]:
        C: int16[M // P, N] = 0
        packed_systolic[int8, int8, int8, M, K, N, 2, 2, P](A, B, C)
        return C

    s = allo.customize(top)
    with pytest.warns(UserWarning, match="calls packed_systolic only as"):
        s.compose(packed_systolic, instantiate=[int32, int32, int32, M, K, N, 2, 2, P])
    assert any(step.primitive == "pipeline" for step in s.steps)
    assert s.verify()
    with pytest.raises(ScheduleError, match="no function of this design"):
        s.compose(systolic, instantiate=[int8, int8, int16, 4, 4, 4, 2, 2])
