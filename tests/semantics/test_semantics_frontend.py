"""End-to-end: kernels parsed by the frontend, run by the reference interpreter."""

import numpy as np

import allo
from allo.frontend import parse
from allo.ir.types import float32, int8, int16, int32
from allo.backends.interp import Interpreter

M, N, K = 8, 6, 40


def gemm(A: float32[M, K], B: float32[K, N]) -> float32[M, N]:
    C: float32[M, N] = 0.0
    for i, j, k in allo.grid(M, N, K):
        C[i, j] += A[i, k] * B[k, j]
    return C


def matmul(A: int8[M, K], B: int8[K, N], C: int16[M, N]):
    for i, j in allo.grid(M, N, "PE"):
        for k in range(K):
            C[i, j] += A[i, k] * B[k, j]


def row_max(A: int32[M, N]) -> int32[M]:
    out: int32[M] = 0
    for i in range(M):
        best: int32 = A[i, 0]
        for j in range(1, N):
            best = max(best, A[i, j])
        out[i] = best
    return out


def test_gemm_kernel_float32_op_by_op():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((M, K)).astype(np.float32)
    B = rng.standard_normal((K, N)).astype(np.float32)
    C = Interpreter(parse(gemm))(A, B)
    ref = np.zeros((M, N), np.float32)
    for k in range(K):
        ref = ref + A[:, k:k + 1] * B[k:k + 1, :]
    assert np.array_equal(C, ref)


def test_int8_matmul_kernel_wraps_in_int16():
    rng = np.random.default_rng(4)
    A = rng.integers(-128, 128, (M, K)).astype(np.int8)
    B = rng.integers(-128, 128, (K, N)).astype(np.int8)
    C = np.zeros((M, N), np.int16)
    Interpreter(parse(matmul))(A, B, C)
    exact = A.astype(np.int64) @ B.astype(np.int64)
    assert np.abs(exact).max() > 2**15
    assert np.array_equal(C, exact.astype(np.int16))  # astype wraps modulo 2**16


def test_row_max_kernel_with_scalars_and_min_max():
    A = np.random.default_rng(5).integers(-1000, 1000, (M, N)).astype(np.int32)
    assert np.array_equal(Interpreter(parse(row_max))(A), A.max(axis=1))
