"""The systolic GEMM templates: the seed's PE array on one tile and tiled over a full
matrix, proved equivalent to the plain loops and equal to numpy on LLVM and HLS csim-free
code generation."""

from __future__ import annotations

import numpy as np
import pytest

import allo
from allo.ir.types import float32, int8, int16
from allo.library.systolic import schedule_systolic, schedule_systolic_tile, systolic, systolic_tile

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("ty, dt, acc, M, K, N, Mt, Nt", [
    (int8, np.int8, int16, 4, 4, 8, 2, 2),
    (float32, np.float32, float32, 4, 3, 4, 2, 4),
])
def test_systolic_full_matrix(ty, dt, acc, M, K, N, Mt, Nt):
    s = schedule_systolic(allo.customize(systolic, instantiate=[ty, ty, acc, M, K, N, Mt, Nt]))
    assert s.verify()
    history = " ".join(str(c) for c in s.history)
    assert "unfold" in history and "relay" in history
    A = RNG.integers(-8, 8, (M, K)).astype(dt)
    B = RNG.integers(-8, 8, (K, N)).astype(dt)
    C = np.zeros((M, N), dtype=np.int16 if acc is int16 else np.float32)
    s.build()(A, B, C)
    np.testing.assert_array_equal(C, A.astype(C.dtype) @ B.astype(C.dtype))
    assert "#pragma HLS" in str(s.build(target="vhls"))


def test_systolic_tile_wraps_like_its_accumulator():
    """int8 products accumulated in int8 wrap modulo 2^8, on LLVM as in numpy."""
    s = schedule_systolic_tile(allo.customize(systolic_tile, instantiate=[int8, int8, int8, 8, 2, 2]))
    assert s.verify()
    A = RNG.integers(-100, 100, (2, 8)).astype(np.int8)
    B = RNG.integers(-100, 100, (8, 2)).astype(np.int8)
    C = np.zeros((2, 2), dtype=np.int8)
    s.build()(A, B, C)
    np.testing.assert_array_equal(C, (A.astype(np.int64) @ B.astype(np.int64)).astype(np.int8))
