"""Packed wide integers in the calling convention: arrays of ``get_np_struct_type(bits)``
are read as little-endian integers, written back packed, and results wider than 64 bits
of such a call come back packed."""

import numpy as np
import pytest

import allo
from allo.ir.types import Int, int8, int32, int128, wrap_int
from allo.packed import is_packed, pack, unpack
from allo.utils import get_np_struct_type

T128 = get_np_struct_type(128)


def triple(A: int128[2, 2], B: int128[2, 2]) -> int128[2, 2]:
    C: int128[2, 2]
    for i, j in allo.grid(2, 2):
        C[i, j] = A[i, j] * 3 + 1
        B[i, j] = A[i, j] + A[i, j]
    return C


def _ints(packed):
    return [int.from_bytes(x.tobytes(), "little", signed=True) for x in packed.reshape(-1)]


@pytest.mark.parametrize("target", ["interp", "llvm"])
def test_int8_rows_packed_into_int128(target):
    X = np.random.default_rng(1).integers(-100, 100, size=(2, 32)).astype(np.int8)
    A = X.view(T128)  # every 16 int8 of a row: one int128
    B = np.zeros((2, 2), T128)
    C = allo.customize(triple).build(target=target)(A, B)
    vals = _ints(A)
    assert C.dtype == T128 and C.shape == (2, 2)
    assert _ints(C) == [wrap_int(3 * v + 1, 128, True) for v in vals]
    assert _ints(B) == [wrap_int(2 * v, 128, True) for v in vals]


def test_plain_calls_keep_python_ints():
    A = np.array([[1, -2], [3, 1 << 100]], dtype=object)
    C = allo.customize(triple).build()(A, np.zeros((2, 2), dtype=object))
    assert C.dtype == object and C[0, 1] == -5


def test_pack_unpack_roundtrip_and_recognition():
    ints = np.array([-1, 1 << 120, 5], dtype=object)
    packed = pack(ints, Int(128))
    assert packed.dtype == T128 and unpack(packed, Int(128)).tolist() == ints.tolist()
    assert is_packed(T128, int128) and not is_packed(T128, Int(64))
    assert not is_packed(np.dtype(np.int32), int32) and not is_packed(T128, int8)
