"""Whole-array operations lower to named loop nests: results, schedules, verify, errors."""

import numpy as np
import pytest

import allo
from allo.errors import AlloError, AlloTypeError
from allo.ir.types import float32, int8, int32

M, K, N = 4, 5, 3


def _rand(*shape, dtype=np.float32):
    return np.random.default_rng(len(shape)).uniform(-1, 1, size=shape).astype(dtype)


def test_matmul_elementwise_transpose_math_against_numpy():
    def k(A: float32[M, K], B: float32[K, N], c: float32[N]) -> float32[M, N]:
        D = allo.matmul(A, B)
        E = (D + c) * 2.0
        F: float32[M, N] = allo.exp(E) - D
        G = -F.T
        return G.T

    A, B, c = _rand(M, K), _rand(K, N), _rand(N)
    out = allo.customize(k).build()(A, B, c)
    D = A @ B
    want = -(np.exp((D + c) * np.float32(2.0)) - D)
    np.testing.assert_allclose(out, want, rtol=1e-5)
    np.testing.assert_allclose(k(A, B, c), want, rtol=1e-5)  # the same kernel run as Python


def test_at_operator_bmm_and_batched_matmul_int():
    def k(A: int32[2, M, K], B: int32[2, K, N]) -> int32[2, M, N]:
        C = A @ B
        D = allo.bmm(A, B)
        return C + D

    A = np.arange(2 * M * K, dtype=np.int32).reshape(2, M, K) % 7
    B = np.arange(2 * K * N, dtype=np.int32).reshape(2, K, N) % 5
    np.testing.assert_array_equal(allo.customize(k).build()(A, B), 2 * (A @ B))


def test_copy_concat_view_ones_and_buffer_init():
    def k(A: int32[2, 3], B: int32[2, 2]) -> int32[3, 5]:
        C: int32[2, 3] = A          # initialization from a buffer is a copy
        D = allo.concat(C, B, axis=1)
        E = allo.copy(D)
        O = allo.ones((2, 5), dtype=int32)
        F = allo.view(E + O, (5, 2))
        G = allo.transpose(F, (1, 0))
        H: int32[3, 5] = 0
        for i, j in allo.grid(2, 5):
            H[i, j] = G[i, j]
        return H

    A = np.arange(6, dtype=np.int32).reshape(2, 3)
    B = np.arange(4, dtype=np.int32).reshape(2, 2) + 10
    want = np.zeros((3, 5), np.int32)
    want[:2] = (np.concatenate([A, B], axis=1) + 1).reshape(5, 2).T
    np.testing.assert_array_equal(allo.customize(k).build()(A, B), want)


def test_assigning_a_whole_buffer_copies():
    def k(A: float32[4]) -> float32[4]:
        B: float32[4] = 0.0
        B = A
        C: float32[4] = 2.0
        return B + C

    A = _rand(4)
    np.testing.assert_allclose(allo.customize(k).build()(A), A + 2.0)


def test_scheduled_matmul_nest_is_verified():
    def k(A: int8[M, K], B: int8[K, N]) -> int32[M, N]:
        C: int32[M, N] = allo.matmul(A, B)
        return C

    s = allo.customize(k)
    loops = s.get_loops()
    assert [lp.name for lp in loops["matmul_0"]] == ["L_0", "L_1", "L_2"]
    s.reorder("matmul_0:L_2", "matmul_0:L_1")
    s.pipeline("matmul_0:L_1")
    assert s.verify()
    A = np.arange(M * K, dtype=np.int8).reshape(M, K)
    B = np.arange(K * N, dtype=np.int8).reshape(K, N)
    # int8 x int8 accumulates in the int8 result of matmul, then widens into C
    want = (A.astype(np.int64) @ B.astype(np.int64)).astype(np.int8).astype(np.int32)
    np.testing.assert_array_equal(s.build()(A, B), want)


def test_named_operation_band():
    def k(A: float32[M, K], B: float32[K, N]) -> float32[M, N]:
        return allo.matmul(A, B, name="gemm")

    s = allo.customize(k)
    s.split("gemm:L_1", 2)
    assert s.verify()


def test_shape_mismatch_in_matmul_is_located():
    def k(A: float32[M, K], B: float32[M, N]) -> float32[M, N]:
        return A @ B

    with pytest.raises(AlloTypeError, match="do not match") as e:
        allo.customize(k)
    assert e.value.loc is not None and "A @ B" in e.value.loc.text


def test_broadcast_mismatch_and_bad_bmm():
    def k(A: float32[M, K], B: float32[N]) -> float32[M, K]:
        return A + B

    with pytest.raises(AlloTypeError, match="do not broadcast"):
        allo.customize(k)

    def k2(A: float32[2, 2, 2, 2], B: float32[2, 2, 2, 2]) -> float32[2, 2, 2, 2]:
        return allo.bmm(A, B)

    with pytest.raises(AlloTypeError, match="3-D"):
        allo.customize(k2)


def test_bad_view_and_keyword():
    def k(A: float32[4]) -> float32[3]:
        return allo.view(A, (3,))

    with pytest.raises(AlloTypeError, match="element counts differ"):
        allo.customize(k)

    def k2(A: float32[4]) -> float32[4]:
        return allo.copy(A, axis=1)

    with pytest.raises(AlloError, match="unknown keyword 'axis'"):
        allo.customize(k2)


def lower_triangle(A: float32[4, 6], B: float32[4, 6]) -> float32[4, 4]:
    D = allo.tril(B) + 1.0
    return allo.matmul(A, D.T)


def test_tril_is_a_named_nest_equal_to_numpy():
    s = allo.customize(lower_triangle)
    assert any(l.band == "tril_0" for l in s.ir.top_func.loops())
    rng = np.random.default_rng(1)
    a, b = rng.random((4, 6), dtype=np.float32), rng.random((4, 6), dtype=np.float32)
    np.testing.assert_allclose(s.build()(a, b), a @ (np.tril(b) + 1).T, rtol=1e-5)
    s.reorder("tril_0:L_1", "tril_0:L_0")
    assert s.verify()


def tril_of_a_vector(A: float32[4]) -> float32[4]:
    return allo.tril(A)


def bmm_4d(A: float32[2, 3, 4, 5], B: float32[2, 3, 5, 4]) -> float32[2, 3, 4, 4]:
    return allo.bmm(A, B)


def unknown_library_function(A: int32[4, 4], B: int32[4, 4]) -> int32[4, 4]:
    return allo.matmul_error(A, B)


@pytest.mark.parametrize("kernel,text", [
    (tril_of_a_vector, "tril needs a 2-D array, got [4]"),
    (bmm_4d, "bmm needs two 3-D arrays"),
    (unknown_library_function, "has no attribute 'matmul_error'"),
])
def test_library_misuse_is_a_located_error(kernel, text):
    with pytest.raises(AlloError) as err:
        allo.customize(kernel)
    assert text in str(err.value) and "test_arrays.py" in str(err.value)
