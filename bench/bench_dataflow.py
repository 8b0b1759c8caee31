"""allo.dataflow figures (issue 14).

* ``sim``: the concurrent simulator running the 16x16 output-stationary systolic GEMM
  written with ``allo.dataflow`` (18x18 PE grid, border PEs feeding and draining), against
  the LLVM build of the plain triple loop on the same inputs, measured in the same run.
  Reported: both times and their ratio (the simulator interprets every process on its own
  thread with blocking FIFOs; the peer is compiled code).
* ``verify``: ``allo.verify(df_systolic, plain_gemm)`` at 16x16 and 64x64 PEs (K = the PE
  count per side), split into lowering the region and the proof itself; a cold proof (a
  fresh proof cache per run), wall and CPU time (the CPU time includes a ``gc.collect()``
  right after the proof: the cyclic garbage it leaves costs its collection), with the load
  average.

Run: ``python bench/bench_dataflow.py [sim] [verify] [--sizes 16,64]``.
"""

import gc
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import allo  # noqa: E402
import allo.dataflow as df  # noqa: E402
from allo.ir.types import Stream, float32, int32  # noqa: E402


def systolic(n: int, dtype=int32):
    """The df systolic GEMM with n x n compute PEs (and its plain kernel)."""
    M = N = K = n
    P0, P1 = M + 2, N + 2

    @df.region()
    def top(A: dtype[M, K], B: dtype[K, N], C: dtype[M, N]):
        fa: Stream[dtype, 4][P0, P1]
        fb: Stream[dtype, 4][P0, P1]

        @df.kernel(mapping=[P0, P1], args=[A, B, C])
        def pe(a: dtype[M, K], b: dtype[K, N], c: dtype[M, N]):
            i, j = df.get_pid()
            with allo.meta_if(i in {0, M + 1} and j in {0, N + 1}):
                pass
            with allo.meta_elif(j == 0):
                for k in range(K):
                    fa[i, j + 1].put(a[i - 1, k])
            with allo.meta_elif(i == 0):
                for k in range(K):
                    fb[i + 1, j].put(b[k, j - 1])
            with allo.meta_elif(i == M + 1):
                for k in range(K):
                    fb[i, j].get()
            with allo.meta_elif(j == N + 1):
                for k in range(K):
                    fa[i, j].get()
            with allo.meta_else():
                acc: dtype = 0
                for k in range(K):
                    x: dtype = fa[i, j].get()
                    y: dtype = fb[i, j].get()
                    acc += x * y
                    fa[i, j + 1].put(x)
                    fb[i + 1, j].put(y)
                c[i - 1, j - 1] = acc

    def gemm(A: dtype[M, K], B: dtype[K, N], C: dtype[M, N]):
        for i, j in allo.grid(M, N):
            acc: dtype = 0
            for k in range(K):
                acc += A[i, k] * B[k, j]
            C[i, j] = acc

    return top, gemm


def bench_sim(n: int = 16) -> None:
    top, gemm = systolic(n, float32)
    A = np.random.rand(n, n).astype(np.float32)
    B = np.random.rand(n, n).astype(np.float32)
    t = time.perf_counter()
    sim = df.build(top, target="simulator")
    t_build = time.perf_counter() - t
    C = np.zeros((n, n), np.float32)
    t = time.perf_counter()
    sim(A, B, C)
    t_sim = time.perf_counter() - t
    np.testing.assert_allclose(C, A @ B, rtol=1e-4)
    mod = allo.customize(gemm).build(target="llvm")
    C2 = np.zeros((n, n), np.float32)
    mod(A, B, C2)  # warm up (JIT)
    reps = 20
    t = time.perf_counter()
    for _ in range(reps):
        mod(A, B, C2)
    t_llvm = (time.perf_counter() - t) / reps
    print(f"sim {n}x{n}: {(n + 2) ** 2 - 4} processes; lowering {t_build:.2f} s; simulator "
          f"run {t_sim * 1e3:.1f} ms; LLVM plain gemm {t_llvm * 1e6:.1f} us; "
          f"ratio simulator/LLVM = {t_sim / t_llvm:.0f}x")


def bench_verify(n: int) -> None:
    top, gemm = systolic(n, int32)
    from allo.frontend import parse

    t = time.perf_counter()
    parse(top)
    t_lower = time.perf_counter() - t
    # a cold proof: a fresh proof cache (a stored verdict would answer a rerun at once)
    saved = os.environ.get("ALLO_CACHE_DIR")
    with tempfile.TemporaryDirectory(prefix="allo-bench-") as cache_dir:
        os.environ["ALLO_CACHE_DIR"] = cache_dir
        t, cpu = time.perf_counter(), time.process_time()
        verdict = allo.verify(top, gemm)
        t_all, cpu_all = time.perf_counter() - t, time.process_time() - cpu
        # the cyclic garbage the proof leaves is collected later, at some cost: count it
        gc_cpu = time.process_time()
        gc.collect()
        gc_cpu = time.process_time() - gc_cpu
    if saved is None:
        os.environ.pop("ALLO_CACHE_DIR")
    else:
        os.environ["ALLO_CACHE_DIR"] = saved
    assert verdict, verdict
    # CPU time too: on a shared machine the wall time mostly measures the other processes
    print(f"verify {n}x{n} PEs (K={n}): {verdict.status}; lowering the region {t_lower:.1f} s; "
          f"allo.verify total {t_all:.1f} s wall, {cpu_all + gc_cpu:.1f} s CPU (lowering both "
          f"designs and collecting the garbage afterwards ({gc_cpu:.2f} s) included; load "
          f"average {os.getloadavg()[0]:.1f})")


def main(argv) -> None:
    what = [a for a in argv if not a.startswith("--")] or ["sim", "verify"]
    sizes = [16, 64]
    if "--sizes" in argv:
        sizes = [int(x) for x in argv[argv.index("--sizes") + 1].split(",")]
        what = [w for w in what if w != argv[argv.index("--sizes") + 1]] or ["sim", "verify"]
    if "sim" in what:
        bench_sim(16)
    if "verify" in what:
        for n in sizes:
            bench_verify(n)


if __name__ == "__main__":
    main(sys.argv[1:])
