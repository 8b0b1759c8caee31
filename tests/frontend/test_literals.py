"""List literals as constant arrays, and `return None`."""

import numpy as np
import pytest

import allo
from allo.errors import AlloTypeError
from allo.ir.types import int32

C = 3


def test_list_literal_initializes_a_local_and_verifies():
    def k(A: int32[2, 3]) -> int32[2, 3]:
        W: int32[2, 3] = [[1, 2, C], [4, 5, 6]]
        B: int32[2, 3] = 0
        for i, j in allo.grid(2, 3):
            B[i, j] = A[i, j] * W[i, j]
        return B

    s = allo.customize(k)
    s.reorder("j", "i")
    assert s.verify()
    a = np.ones((2, 3), np.int32)
    np.testing.assert_array_equal(s.build()(a), [[1, 2, 3], [4, 5, 6]])


def test_list_literal_shape_mismatch_is_located():
    def k() -> int32[3]:
        W: int32[3] = [1, 2]
        return W

    with pytest.raises(AlloTypeError, match="has shape") as e:
        allo.customize(k)
    assert e.value.loc is not None


def test_ragged_list_is_refused():
    def k() -> int32[2, 2]:
        W: int32[2, 2] = [[1, 2], [3]]
        return W

    with pytest.raises(AlloTypeError):
        allo.customize(k)


def test_return_none():
    def k(A: int32[4]) -> None:
        for i in range(4):
            A[i] = i
        return None

    a = np.zeros(4, np.int32)
    allo.customize(k).build()(a)
    np.testing.assert_array_equal(a, np.arange(4))
