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
    assert "unfold" in history and "stream_channels" in history
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


def test_systolic_schedule_composes_into_two_instances():
    """schedule_systolic itself composes the tile's schedule; composed into a design with
    two systolic instances (each calling its own tile instance), every replayed step must
    land on that instance's own tile (a regression: the second compose used to replay
    onto the first instance's tile and was refused)."""
    L, D, M0, M1 = 4, 4, 2, 2

    def ffn(X: int8[L, D], W_A: int8[D, 4 * D], W_B: int8[4 * D, D]) -> int8[L, D]:
        Z: int8[L, 4 * D]
        Y: int8[L, D]
        systolic[int8, int8, int8, L, D, 4 * D, M0, M1, "FFN1"](X, W_A, Z)
        systolic[int8, int8, int8, L, 4 * D, D, M0, M1, "FFN2"](Z, W_B, Y)
        return Y

    s = allo.customize(ffn)
    s.compose(schedule_systolic(allo.customize(systolic, instantiate=[int8, int8, int8, L, D, 4 * D, M0, M1])),
              id="FFN1")
    s.compose(schedule_systolic(allo.customize(systolic, instantiate=[int8, int8, int8, L, 4 * D, D, M0, M1])),
              id="FFN2")
    tiles = [f for f in s.ir.funcs if f.startswith("systolic_tile")]
    assert len(tiles) == 2
    for tile in tiles:
        assert any(f"{tile}:" in str(c) and "stream_channels" in str(c) for c in s.history), tile
    assert s.verify()
    X = RNG.integers(-4, 4, (L, D)).astype(np.int8)
    WA = RNG.integers(-4, 4, (D, 4 * D)).astype(np.int8)
    WB = RNG.integers(-4, 4, (4 * D, D)).astype(np.int8)
    np.testing.assert_array_equal(s.build()(X, WA, WB), (X @ WA) @ WB)


def test_two_identical_instances_share_one_scheduled_tile():
    """Two ``systolic`` instances of the same sizes call one tile instance: composing the
    schedule onto the second (id) skips the tile steps the first compose already applied,
    and the second instance reads ``Z`` once, in the order the first writes it, so ``Z``
    streams between them."""
    M, K, N, Mt, Nt = 4, 4, 4, 2, 2

    def cascade(X: int8[M, K], W1: int8[K, N], W2: int8[N, N]) -> int8[M, N]:
        Z: int8[M, N]
        Y: int8[M, N]
        systolic[int8, int8, int8, M, K, N, Mt, Nt, "one"](X, W1, Z)
        systolic[int8, int8, int8, M, N, N, Mt, Nt, "two"](Z, W2, Y)
        return Y

    s = allo.customize(cascade)
    sub = schedule_systolic(allo.customize(systolic, instantiate=[int8, int8, int8, M, K, N, Mt, Nt]))
    s.compose(sub, id="one")
    n_steps = len(s.steps)
    s.compose(sub, id="two")
    assert 0 < len(s.steps) - n_steps < len(sub.steps)  # the shared tile's steps ran once
    s.to(s.Z, "systolic_two")
    assert s.verify()
    X = RNG.integers(-4, 4, (M, K)).astype(np.int8)
    W1 = RNG.integers(-4, 4, (K, N)).astype(np.int8)
    W2 = RNG.integers(-4, 4, (N, N)).astype(np.int8)
    np.testing.assert_array_equal(s.build()(X, W1, W2), (X @ W1) @ W2)


def test_cascaded_instances_stream_through_their_dataflow_column_loops():
    """The default schedule makes each instance's column-tile loop ``ni`` a dataflow loop;
    the first instance's C stores (one process across its column tiles, one run of the
    loop per row tile) then feed the FIFO ``Z`` into the second instance, and the design
    verifies (it used to be "unknown": each iteration's store counted as a producer)."""
    n, t = 4, 2

    def cascade(X: int8[n, n], W_A: int8[n, n], W_B: int8[n, n]) -> int8[n, n]:
        Z: int8[n, n]
        Y: int8[n, n]
        systolic[int8, int8, int8, n, n, n, t, t, "FFN1"](X, W_A, Z)
        systolic[int8, int8, int8, n, n, n, t, t, "FFN2"](Z, W_B, Y)
        return Y

    s = allo.customize(cascade)
    sub = schedule_systolic(allo.customize(systolic, instantiate=[int8, int8, int8, n, n, n, t, t]))
    assert next(l for l in sub.ir.top_func.loops() if l.name == "ni").attrs.get("dataflow")
    s.compose(sub, id="FFN1")
    s.compose(sub, id="FFN2")
    s.to(s.Z, "systolic_FFN2", depth=t * n)
    v = s.verify()
    assert v.status == "equivalent", v.report()
    X, WA, WB = (RNG.integers(-4, 4, (n, n)).astype(np.int8) for _ in range(3))
    np.testing.assert_array_equal(s.build()(X, WA, WB), (X @ WA) @ WB)
    assert "hls::stream" in str(s.build(target="vhls"))
