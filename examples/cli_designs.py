"""Designs for the ``allo`` command line (``allo verify examples/cli_designs.py``).

Convention: every zero-argument function named ``design_*`` returns a Schedule.
"""

import allo
from allo.ir.types import float32, int8, int16

M = N = K = 8


def gemm(A: float32[M, K], B: float32[K, N]) -> float32[M, N]:
    C: float32[M, N] = 0.0
    for i, j, k in allo.grid(M, N, K):
        C[i, j] += A[i, k] * B[k, j]
    return C


def matmul_i8(A: int8[M, K], B: int8[K, N]) -> int16[M, N]:
    C: int16[M, N] = 0
    for i, j, k in allo.grid(M, N, K):
        C[i, j] += A[i, k] * B[k, j]
    return C


def design_gemm_stepwise():
    """The seed's stepwise GEMM: reorder, split, pipeline."""
    s = allo.customize(gemm)
    s.reorder("k", "j")
    s.split("i", 4)
    s.pipeline("j")
    return s


def design_matmul_int8():
    """int8 inputs, int16 accumulation, inner loop pipelined."""
    s = allo.customize(matmul_i8)
    s.pipeline("k")
    return s
