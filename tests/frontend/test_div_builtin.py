"""``allo.div`` divides integers as C does (toward zero); ``/`` stays a float division."""

import numpy as np

import allo
from allo.ir.types import float32, int32


def test_allo_div_on_integer_arrays_truncates_and_matches_its_python_meaning():
    def kernel(A: int32[8], B: int32[8]) -> int32[8]:
        return allo.div(allo.sub(A, 1), B)

    a = np.array([-7, 7, -8, 9, 0, 5, -1, 100], np.int32)
    b = np.array([2, -2, 3, 4, 5, 0, 3, 7], np.int32)
    expected = np.array([-4, -3, -3, 2, 0, 0, 0, 14], np.int32)  # (a - 1) / b, toward zero
    np.testing.assert_array_equal(allo.div(a - 1, b), expected)
    s = allo.customize(kernel)
    np.testing.assert_array_equal(s.build()(a, b), expected)
    assert s.verify(kernel)


def test_allo_div_with_scalar_operands_on_either_side():
    def kernel(A: int32[4]) -> int32[4]:
        return allo.sub(50, allo.div(10, A))

    a = np.array([1, 3, 4, 11], np.int32)
    np.testing.assert_array_equal(allo.customize(kernel).build()(a), 50 - 10 // a)


def test_constant_allo_div_folds_toward_zero():
    def kernel(A: int32[1]):
        A[0] = allo.div(-7, 2)

    a = np.zeros(1, np.int32)
    allo.customize(kernel).build()(a)
    assert a[0] == -3


def test_slash_on_integer_arrays_is_still_a_float_division():
    def kernel(A: int32[2], B: int32[2]) -> float32[2]:
        return A / B

    out = allo.customize(kernel).build()(np.array([7, 1], np.int32), np.array([2, 4], np.int32))
    np.testing.assert_allclose(out, [3.5, 0.25])
