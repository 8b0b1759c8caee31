"""The seed's whole flow on the default example (the README's main command).

1. GEMM, customized step by step (reorder, buffer_at, pipeline), a verdict after each step,
   printed as MLIR, run on the reference interpreter and the LLVM JIT against numpy.
2. GEMM -> systolic array (int8 x int8 -> int16): buffer_at, unfold, partition, relay,
   each step verified; LLVM build checked against numpy; HLS project written and its C
   simulation checked against numpy.
3. A summary: what was proved, by which method, and how long each stage took.

Run: ``python examples/seed_flow.py`` (``--size N`` for the systolic array, default 8).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import allo
from allo.ir.types import float32, int8, int16

M, N, K = 32, 32, 32


def gemm(A: float32[M, K], B: float32[K, N]) -> float32[M, N]:
    C: float32[M, N] = 0.0
    for i, j, k in allo.grid(M, N, K):
        C[i, j] += A[i, k] * B[k, j]
    return C


class Stages:
    """Times each stage and collects one summary line per stage."""

    def __init__(self):
        self.rows = []

    def run(self, name, fn):
        start = time.perf_counter()
        detail = fn()
        seconds = time.perf_counter() - start
        self.rows.append((name, seconds, detail or ""))
        print(f"  [{seconds:6.2f} s] {name}: {detail or 'ok'}")
        return detail


def verdict_line(s) -> str:
    verdict = s.verify()
    if not verdict:
        print(verdict)
        raise SystemExit(f"verification failed after {s.history[-1].primitive}")
    cert = s.history[-1]
    return f"{cert.primitive}: rule {cert.rule} ({len(cert.conditions)} side conditions) -> {verdict.status} [{verdict.method}]"


def stepwise_gemm(stages: Stages) -> None:
    print("== GEMM, stepwise verifiable rewrites ==")
    s = allo.customize(gemm)
    stages.run("reorder('k', 'j')", lambda: (s.reorder("k", "j"), verdict_line(s))[1])
    stages.run("buffer_at(s.C, axis='i')", lambda: (s.buffer_at(s.C, axis="i"), verdict_line(s))[1])
    stages.run("pipeline('j')", lambda: (s.pipeline("j"), verdict_line(s))[1])
    print(s.module)
    rng = np.random.default_rng(0)
    A = rng.random((M, K), dtype=np.float32)
    B = rng.random((K, N), dtype=np.float32)

    def check(target):
        out = s.build(target=target)(A, B)
        np.testing.assert_allclose(out, A @ B, rtol=1e-5)
        return f"matches numpy within float32 rounding (max abs diff {np.abs(out - A @ B).max():.1e})"

    stages.run("reference interpreter vs numpy", lambda: check("interp"))
    stages.run("LLVM JIT vs numpy", lambda: check("llvm"))


def systolic(stages: Stages, size: int, workdir: str) -> None:
    print(f"== GEMM -> {size}x{size} systolic array (int8 x int8 -> int16) ==")
    Ms = Ns = Ks = size

    def matmul(A: int8[Ms, Ks], B: int8[Ks, Ns], C: int16[Ms, Ns]):
        for i, j in allo.grid(Ms, Ns, "PE"):
            for k in range(Ks):
                C[i, j] += A[i, k] * B[k, j]

    s = allo.customize(matmul)
    holder = {}
    stages.run("buffer_at(s.A, 'j')", lambda: (holder.update(A=s.buffer_at(s.A, "j")), verdict_line(s))[1])
    stages.run("buffer_at(s.B, 'j')", lambda: (holder.update(B=s.buffer_at(s.B, "j")), verdict_line(s))[1])
    stages.run("unfold('PE', [0, 1])",
               lambda: (holder.update(pe=s.unfold("PE", axis=[0, 1], factor=[Ms, Ns])), verdict_line(s))[1])
    stages.run("partition(s.A, dim=0)", lambda: (s.partition(s.A, dim=0), verdict_line(s))[1])
    stages.run("partition(s.B, dim=1)", lambda: (s.partition(s.B, dim=1), verdict_line(s))[1])
    stages.run("partition(s.C, dim=[0, 1])", lambda: (s.partition(s.C, dim=[0, 1]), verdict_line(s))[1])
    stages.run("relay(buf_A, pe, axis=0)",
               lambda: (s.relay(holder["A"], holder["pe"], axis=0, depth=Ms + 1), verdict_line(s))[1])
    stages.run("relay(buf_B, pe, axis=1)",
               lambda: (s.relay(holder["B"], holder["pe"], axis=1, depth=Ns + 1), verdict_line(s))[1])
    rng = np.random.default_rng(1)
    A = rng.integers(-8, 8, size=(Ms, Ks)).astype(np.int8)
    B = rng.integers(-8, 8, size=(Ks, Ns)).astype(np.int8)
    expected = (A.astype(np.int64) @ B.astype(np.int64)).astype(np.int16)

    def llvm():
        C = np.zeros((Ms, Ns), dtype=np.int16)
        s.build(target="llvm")(A, B, C)
        np.testing.assert_array_equal(C, expected)
        return "equals numpy"

    def csim():
        project = os.path.join(workdir, "systolic.prj")
        mod = s.build(target="vitis_hls", mode="csim", project=project)
        C = np.zeros((Ms, Ns), dtype=np.int16)
        mod(A, B, C)
        np.testing.assert_array_equal(C, expected)
        return f"HLS project in {project}; C simulation equals numpy"

    stages.run("LLVM JIT vs numpy", llvm)
    stages.run("Vitis HLS csim vs numpy", csim)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=8, help="systolic array size (default 8)")
    parser.add_argument("--out", default="build", help="where the HLS project is written (default build/)")
    args = parser.parse_args(argv)
    stages = Stages()
    total = time.perf_counter()
    os.makedirs(args.out, exist_ok=True)
    stepwise_gemm(stages)
    systolic(stages, args.size, args.out)
    print("== summary ==")
    for name, seconds, detail in stages.rows:
        print(f"{seconds:7.2f} s  {name:<30} {detail.split(': ', 1)[-1][:90]}")
    print(f"every step proved equivalent to its algorithm; total {time.perf_counter() - total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
