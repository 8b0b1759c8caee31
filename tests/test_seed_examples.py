"""The seed's two headline examples (API.md), exactly as written there."""

import numpy as np

import allo
from allo.ir.types import float32, int8, int16

M, N, K = 8, 8, 8


def gemm(A: float32[M, K], B: float32[K, N]) -> float32[M, N]:
    C: float32[M, N] = 0.0
    for i, j, k in allo.grid(M, N, K):
        C[i, j] += A[i, k] * B[k, j]
    return C


def matmul(A: int8[M, K], B: int8[K, N], C: int16[M, N]):
    for i, j in allo.grid(M, N, "PE"):
        for k in range(K):
            C[i, j] += A[i, k] * B[k, j]


def test_gemm_stepwise(capsys):
    s = allo.customize(gemm)
    s.reorder("k", "j")
    s.buffer_at(s.C, axis="i")
    s.pipeline("j")
    print(s.module)
    text = capsys.readouterr().out
    assert 'loop_name = "k"' in text and "pipeline_ii = 1" in text and "C_buf" in text
    assert s.verify()
    A = np.random.default_rng(0).random((M, K), dtype=np.float32)
    B = np.random.default_rng(1).random((K, N), dtype=np.float32)
    np.testing.assert_allclose(s.build()(A, B), A @ B, rtol=1e-5)


def test_gemm_to_systolic_array():
    s = allo.customize(matmul)
    buf_A = s.buffer_at(s.A, "j")
    buf_B = s.buffer_at(s.B, "j")
    pe = s.unfold("PE", axis=[0, 1], factor=[M, N])
    s.partition(s.A, dim=0)
    s.partition(s.B, dim=1)
    s.partition(s.C, dim=[0, 1])
    s.relay(buf_A, pe, axis=0, depth=M + 1)
    s.relay(buf_B, pe, axis=1, depth=N + 1)
    verdict = s.verify()
    assert verdict, str(verdict)
    mod = s.build(target="llvm")
    A = np.random.default_rng(2).integers(-128, 128, size=(M, K)).astype(np.int8)
    B = np.random.default_rng(3).integers(-128, 128, size=(K, N)).astype(np.int8)
    C = np.zeros((M, N), dtype=np.int16)
    mod(A, B, C)
    np.testing.assert_array_equal(C, (A.astype(np.int64) @ B.astype(np.int64)).astype(np.int16))
