"""End-to-end: kernels parsed by the frontend, run by the reference interpreter."""

import numpy as np

from allo.frontend import parse
from allo.ir.types import int32
from allo.backends.interp import Interpreter
from seed_kernels import make_gemm, make_matmul

M, N, K = 8, 6, 40


gemm = make_gemm(M, N, K)
matmul = make_matmul(M, N, K)


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
