"""A returned array converts to the declared element type only when no value changes."""

import numpy as np
import pytest

import allo
from allo.errors import AlloTypeError
from allo.ir.types import Int, float32, int8, int16, int32

A5 = np.array([[-8, 7], [7, -3]], np.int8)
B5 = np.array([[-8, 7], [-8, 2]], np.int8)


def test_sum_of_narrow_arrays_is_returned_in_a_wider_declared_type():
    def kernel() -> Int(8)[2, 2]:
        A: Int(5)[2, 2] = A5
        B: Int(5)[2, 2] = B5
        C = A + B  # an Int(5) array (array arithmetic keeps the element type)
        return C

    s = allo.customize(kernel)
    np.testing.assert_array_equal(s.build()(), A5.astype(np.int32) + B5)
    assert s.verify()


def test_parameter_array_is_returned_widened_and_verifies_after_a_schedule():
    def kernel(A: int8[8]) -> int16[8]:
        B: int8[8] = 0
        for i in range(8):
            B[i] = A[i] - 1
        return B

    s = allo.customize(kernel)
    a = np.arange(-4, 4, dtype=np.int8)
    np.testing.assert_array_equal(s.build()(a), a.astype(np.int16) - 1)
    s.split("i", 4)
    assert s.verify()


@pytest.mark.parametrize("src, dst", [("int32", "int8"), ("float32", "int32"),
                                      ("int32", "float32")])
def test_lossy_array_return_is_refused(src, dst):
    types = {"int8": int8, "int32": int32, "float32": float32}
    S, D = types[src], types[dst]

    def kernel(A: S[4]) -> D[4]:
        return A

    with pytest.raises(AlloTypeError, match="but the kernel declares"):
        allo.customize(kernel)
