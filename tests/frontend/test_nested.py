"""Functions defined inside a kernel body (allo/frontend/nested.py)."""

import numpy as np
import pytest

import allo
from allo.errors import AlloNameError, AlloSyntaxError
from allo.ir.types import index, int32

OFFSET = 3


def test_nested_helper_is_called_and_verifies_after_a_schedule():
    def kernel(A: int32[8]) -> int32[8]:
        B: int32[8] = 0

        def shift(x: int32) -> int32:
            return x * 2 + OFFSET

        for i in range(8):
            B[i] = shift(A[i])
        return B

    s = allo.customize(kernel)
    a = np.arange(8, dtype=np.int32)
    np.testing.assert_array_equal(s.build()(a), a * 2 + OFFSET)
    s.split("i", 4)
    assert s.verify()
    np.testing.assert_array_equal(s.build()(a), a * 2 + OFFSET)


def test_nested_helper_takes_arrays_and_index_arguments():
    def kernel(A: int32[6]) -> int32[6]:
        B: int32[6] = 0

        def pick(X: int32[6], k: index) -> int32:
            return X[k] + 1

        for i in range(6):
            B[i] = pick(A, i)
        return B

    a = np.arange(6, dtype=np.int32) * 5
    np.testing.assert_array_equal(allo.customize(kernel).build()(a), a + 1)


def test_nested_helper_sees_the_enclosing_closure():
    scale = 7

    def kernel(A: int32[4]) -> int32[4]:
        B: int32[4] = 0

        def times(x: int32) -> int32:
            return x * scale

        for i in range(4):
            B[i] = times(A[i])
        return B

    a = np.arange(4, dtype=np.int32)
    np.testing.assert_array_equal(allo.customize(kernel).build()(a), a * 7)


def test_nested_helper_using_a_kernel_buffer_is_refused():
    def kernel(A: int32[4]) -> int32[4]:
        B: int32[4] = 0

        def peek(x: int32) -> int32:
            return x + B[0]

        for i in range(4):
            B[i] = peek(A[i])
        return B

    with pytest.raises(AlloNameError, match="uses 'B' of the enclosing kernel"):
        allo.customize(kernel)


def test_nested_def_reusing_a_parameter_name_is_refused():
    def kernel(A: int32[4]) -> int32[4]:
        def A(x: int32) -> int32:  # noqa: F811
            return x

        return A

    with pytest.raises(AlloNameError, match="already declared"):
        allo.customize(kernel)


def test_decorated_nested_def_is_refused():
    def kernel(A: int32[4]):
        @staticmethod
        def f(x: int32) -> int32:
            return x

        A[0] = f(A[0])

    with pytest.raises(AlloSyntaxError, match="decorators"):
        allo.customize(kernel)


def _bump(A: int32[4]):
    def foo(x: int32) -> int32:
        return x + 1

    for i in range(4):
        A[i] = foo(A[i])


def _scale(A: int32[4]):
    def foo(x: int32) -> int32:
        return x * 10

    for i in range(4):
        A[i] = foo(A[i])


def test_nested_helpers_of_the_same_name_in_two_kernels_stay_distinct():
    def top(A: int32[4]):
        _bump(A)
        _scale(A)

    a = np.arange(4, dtype=np.int32)
    allo.customize(top).build()(a)
    np.testing.assert_array_equal(a, (np.arange(4) + 1) * 10)


def test_nested_helpers_defined_in_sibling_branches():
    def kernel(A: int32[4]):
        for i in range(4):
            if A[i] > 0:
                def step(x: int32) -> int32:
                    return x + 1
                A[i] = step(A[i])
            else:
                def step(x: int32) -> int32:
                    return x - 1
                A[i] = step(A[i])

    a = np.array([-1, 0, 1, 2], np.int32)
    allo.customize(kernel).build()(a)
    np.testing.assert_array_equal(a, [-2, -1, 2, 3])
