"""The seed's two kernels (API.md), shared by the tests at the sizes each test needs.

* :func:`make_gemm`: float32 ``C = A @ B``, one ``allo.grid(M, N, K)`` band, C returned;
* :func:`make_matmul`: the systolic-array kernel, int8 inputs accumulated into an int16
  ``C`` in place, the ``i, j`` loops forming the band ``"PE"``.

Example::

    gemm = make_gemm(4, 5, 3)
    s = allo.customize(gemm)
"""

import allo
from allo.ir.types import float32, int8, int16


def make_gemm(M: int, N: int, K: int):
    """The float32 GEMM kernel for ``A: [M, K]``, ``B: [K, N]``."""
    def gemm(A: float32[M, K], B: float32[K, N]) -> float32[M, N]:
        C: float32[M, N] = 0.0
        for i, j, k in allo.grid(M, N, K):
            C[i, j] += A[i, k] * B[k, j]
        return C
    return gemm


def make_matmul(M: int, N: int, K: int):
    """The int8 x int8 -> int16 systolic matmul kernel (band ``"PE"`` over ``i, j``)."""
    def matmul(A: int8[M, K], B: int8[K, N], C: int16[M, N]):
        for i, j in allo.grid(M, N, "PE"):
            for k in range(K):
                C[i, j] += A[i, k] * B[k, j]
    return matmul
