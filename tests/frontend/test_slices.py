"""Buffer slices: reads are copies of the box, stores write the box; sizes are
compile-time constants; a slice passed to a kernel and misuse give located errors."""

import numpy as np
import pytest

import allo
from allo.errors import AlloSyntaxError, AlloTypeError
from allo.ir.types import float32, int32


def store_box(A: int32[6, 6]) -> int32[6, 6]:
    B: int32[2, 3] = 0
    B[0, 0] = 1
    A[0:2, 0:3] = B
    A[5, 1:] = 9  # a scalar broadcast over the box
    return A


def test_store_into_a_box():
    s = allo.customize(store_box)
    a = np.arange(36, dtype=np.int32).reshape(6, 6)
    ref = a.copy()
    ref[0:2, 0:3] = 0
    ref[0, 0] = 1
    ref[5, 1:] = 9
    assert (s.build()(a.copy()) == ref).all()


def read_rows(A: int32[4, 8]) -> int32[4]:
    r = A[1, 0:4] + A[2, 4:]  # reads are copies; a negative bound counts from the end
    A[0:2, :] = 7
    return r + A[3, -4:]


def test_read_a_box_is_a_copy_and_verifies():
    s = allo.customize(read_rows)
    a = np.arange(32, dtype=np.int32).reshape(4, 8)
    assert (s.build()(a.copy()) == a[1, 0:4] + a[2, 4:] + a[3, -4:]).all()
    s.split("slice_0:L_0", 2)
    assert s.verify()


def heads(X: float32[4, 8]) -> float32[4, 8]:
    Y: float32[4, 8] = 0.0
    for h in range(2):  # a runtime start with a constant size
        Y[:, h * 4:(h + 1) * 4] = X[:, h * 4:(h + 1) * 4] * 2.0
    return Y


def test_runtime_start_with_constant_size():
    s = allo.customize(heads)
    x = np.random.default_rng(0).random((4, 8), dtype=np.float32)
    assert np.allclose(s.build()(x), 2 * x)


def writes(A: int32[4]):
    A[0] = 1


def slice_to_call(A: int32[8]):
    writes(A[0:4])


def variable_size(A: int32[8], n: int32):
    A[0:n] = 0


def empty(A: int32[8]):
    A[5:2] = 0


def wrong_shape(A: int32[8], B: int32[3]):
    A[0:4] = B


@pytest.mark.parametrize("kernel,cls,text", [
    (slice_to_call, AlloTypeError, "argument 'A' of 'writes' is a slice of 'A'; a slice is a copy"),
    (variable_size, AlloTypeError, "is not a positive compile-time constant"),
    (empty, AlloTypeError, "slice 5:2 of 'A' (dimension 0, size 8) is empty"),
    (wrong_shape, AlloTypeError, "slice assignment: shapes [4] and [3] do not broadcast"),
])
def test_slice_misuse_is_located(kernel, cls, text):
    with pytest.raises(cls) as err:
        allo.customize(kernel)
    assert text in str(err.value) and "test_slices.py" in str(err.value)
