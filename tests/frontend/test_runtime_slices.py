"""Bit slices with runtime bounds (``x[8*m : 8*(m+1)]``) and row assignment ``A[i, :] = B``:
the interpreter and the LLVM build agree with numpy."""

import numpy as np
import pytest

import allo
from allo.ir.types import int8, int32, uint8, uint32


def pack(A: uint8[4], P: uint32[1]):
    word: uint32 = 0xFFFFFFFF
    for m in range(4):
        word[8 * m: 8 * (m + 1)] = A[m]
    P[0] = word


def unpack(P: int32[1], A: int8[4]):
    word: int32 = P[0]
    for m in range(4):
        A[m] = word[m * 8: m * 8 + 8]


@pytest.mark.parametrize("target", ["interp", "llvm"])
def test_pack_and_unpack_with_runtime_slices(target):
    A = np.array([1, 0x80, 0x7F, 0xAB], dtype=np.uint8)
    P = np.zeros(1, np.uint32)
    allo.customize(pack).build(target=target)(A, P)
    assert P[0] == A.view(np.uint32)[0]
    word = np.array([-0x12345679], dtype=np.int32)
    out = np.zeros(4, np.int8)
    allo.customize(unpack).build(target=target)(word, out)
    np.testing.assert_array_equal(out, word.view(np.int8))


def test_runtime_slice_of_runtime_width():
    """A runtime width (hi - lo not constant) is the general dynamic slice (bitops): bits
    lo .. hi-1, zero-extended."""
    def widening(A: int32[4]):
        x: int32 = -0x2468ACE1
        for m in range(4):
            A[m] = x[m: 2 * m + 1]

    A = np.zeros(4, np.int32)
    allo.customize(widening).build()(A)
    x = -0x2468ACE1 & 0xFFFFFFFF
    assert A.tolist() == [(x >> m) & ((1 << (m + 1)) - 1) for m in range(4)]


def rows(A: int32[3, 4], B: int32[4]):
    for i in range(3):
        A[i, :] = B
    A[1, :] = 7


def test_row_assignment_copies_and_fills():
    A = np.zeros((3, 4), np.int32)
    B = np.arange(4, dtype=np.int32)
    allo.customize(rows).build()(A, B)
    np.testing.assert_array_equal(A, np.stack([B, np.full(4, 7), B]))
