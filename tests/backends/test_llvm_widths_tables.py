"""LLVM: wide fixed point, widths past LLVM's limit, and several constant tables; each
used to crash with an internal exception."""

import numpy as np
import pytest

import allo
from allo.errors import BackendError
from allo.ir.types import Fixed, Int, int8, int32

TABLE_F64 = np.array([1.5, 2.5, -3.5, 4.5], dtype=np.float64)
TABLE_2D = np.array([[1.5, -2.5], [3.7, 4.5]], dtype=np.float32)


def fixed70(A: Fixed(70, 10)[4]) -> Fixed(70, 10)[4]:
    B: Fixed(70, 10)[4] = 0
    for i in range(4):
        B[i] = A[i] + A[i]
    return B


def fixed1100(A: Fixed(1100, 1050)[2], x: Fixed(1100, 1050)) -> Fixed(1100, 1050)[2]:
    B: Fixed(1100, 1050)[2] = 0
    for i in range(2):
        B[i] = A[i] + x
    return B


def too_wide(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        x: Int(2**21) = A[i]  # past the LLVM backend's limit (2**20 bits)
        B[i] = x + 1
    return B


def float_tables_to_ints(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    W: int8[4] = TABLE_F64
    V: Int(12)[2, 2] = TABLE_2D
    for i in range(4):
        B[i] = A[i] + W[i] + V[i // 2, i % 2] + TABLE_F64[i]
    return B


@pytest.mark.parametrize("target", ["llvm", "interp"])
def test_wide_fixed_point_buffers(target):
    A = np.array([1.5, 2.25, -3.0, 0.0])
    # regression: 'Fixed' object has no attribute 'wrap' (LLVM reading a >64-bit buffer)
    assert allo.customize(fixed70).build(target=target)(A).tolist() == [3.0, 4.5, -6.0, 0.0]
    out = allo.customize(fixed1100).build(target=target)(np.array([0.5, 1e300]), 0.25)
    assert out.tolist() == [0.75, 0.25]  # 1e300 * 2**1050 wraps to 0 in 1100 bits


def test_widths_past_llvm_limit_are_located_errors():
    with pytest.raises(BackendError) as err:  # used to be an LLVM IR parse error
        allo.customize(too_wide).build()
    msg = str(err.value)
    assert "2,097,152 bits" in msg and "x: Int(2**21) = A[i]" in msg


def test_several_constant_tables_converted_like_the_interpreter():
    # regression: the second table's memcpy failed in llvmlite ("Type of #2 arg mismatch")
    s = allo.customize(float_tables_to_ints)
    A = np.arange(4, dtype=np.int32)
    assert s.build()(A).tolist() == s.build(target="interp")(A).tolist()
