"""Tuple assignment from a kernel call into elements: ``C[i], D[i] = k(...)``."""

import numpy as np
import pytest

import allo
from allo.errors import AlloSyntaxError, AlloTypeError
from allo.ir.types import int32


def sum_diff(a: int32, b: int32) -> (int32, int32):
    s: int32 = a + b
    d: int32 = a - b
    return s, d


def test_call_results_go_into_array_elements_and_verify_after_a_schedule():
    def kernel(A: int32[8], B: int32[8]) -> (int32[8], int32[8]):
        C: int32[8] = 0
        D: int32[8] = 0
        for i in range(8):
            C[i], D[i] = sum_diff(A[i], B[i])
        return C, D

    s = allo.customize(kernel)
    a = np.arange(8, dtype=np.int32)
    b = np.arange(8, dtype=np.int32)[::-1].copy()
    c, d = s.build()(a, b)
    np.testing.assert_array_equal(c, a + b)
    np.testing.assert_array_equal(d, a - b)
    s.split("i", 2)
    assert s.verify()


def test_mixed_name_and_element_targets():
    def kernel(A: int32[2], B: int32[2]) -> int32:
        t: int32 = 0
        C: int32[2] = 0
        C[1], t = sum_diff(A[0], B[0])
        return C[1] * 100 + t

    mod = allo.customize(kernel).build()
    assert mod(np.array([9, 0], np.int32), np.array([4, 0], np.int32)) == 13 * 100 + 5


def test_wrong_number_of_element_targets_is_refused():
    def kernel(A: int32[3]):
        A[0], A[1], A[2] = sum_diff(A[0], A[1])

    with pytest.raises(AlloTypeError, match="returns 2 value"):
        allo.customize(kernel)


def test_attribute_target_is_refused():
    def kernel(A: int32[2]):
        A.x, A[1] = sum_diff(A[0], A[1])

    with pytest.raises(AlloSyntaxError, match="each target must be"):
        allo.customize(kernel)
