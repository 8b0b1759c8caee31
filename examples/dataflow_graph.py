"""The seed's two-matmul ``top`` (the kernel accumulating in place, privatised by
``buffer_at``) with its intermediate ``Y`` streamed between the calls:
the dataflow graph (printed, DOT) and the computed FIFO depth, drawn into
``docs/images/dataflow_top.png`` (needs Graphviz's ``dot``).

Run: ``python examples/dataflow_graph.py [output.png]``.
"""

from __future__ import annotations

import os
import sys

import allo
from allo.ir.types import int32

M = N = K = 4


def matmul(A: int32[M, K], B: int32[K, N], C: int32[M, N]):
    for i, j in allo.grid(M, N, "PE"):
        for k in range(K):
            C[i, j] += A[i, k] * B[k, j]


def top(X: int32[M, K], W_A: int32[K, N], W_B: int32[N, K]) -> int32[M, K]:
    Y: int32[M, N] = 0
    Z: int32[M, K] = 0
    matmul(X, W_A, Y)
    matmul(Y, W_B, Z)
    return Z


def main(path: str) -> None:
    s_mm = allo.customize(matmul)
    s_mm.buffer_at(s_mm.C, "j")   # each C[i, j] read once (the caller's fill), then written once
    s_mm.buffer_at(s_mm.A, "i")   # each row of A read once, in order
    s_mm.pipeline("k")
    s_top = allo.customize(top)
    s_top.compose(s_mm)
    s_top.to(s_top.Y, "matmul")   # Y: a FIFO from the first call to the second
    print(s_top.verify())
    for depth in s_top.fifo_depths():
        print(depth)
    graph = s_top.dataflow_graph()
    print(graph)
    print("wrote", graph.to_png(path))


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "docs", "images", "dataflow_top.png"))
