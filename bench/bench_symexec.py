"""Symbolic-execution throughput and the seed's systolic GEMM, measured in one run.

Two tables (int8 -> int16 GEMM, sizes 8, 16, 32, 64 by default):

1. *throughput*: the plain i-j-k triple loop against its i-k-j reordering: symbolic ops,
   seconds, ops/s, and the reference interpreter's time on one concrete run of both
   programs (the peer: the ratio says what symbolic execution costs over concrete
   execution);
2. *systolic*: an output-stationary systolic array of n x n PEs (A relayed along rows,
   B along columns through FIFOs, every PE its own dataflow process, K = n) verified
   against the plain triple loop: seconds, ops, ops/s, peak resident memory (each size
   runs in a fresh process, so the peak belongs to that size alone), and the ratio of
   time to the previous size's (8x more MACs per size doubling: linear growth gives ~8).

Run: ``python bench/bench_symexec.py [sizes...]``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "symexec"))
sys.path.insert(0, os.path.join(HERE, ".."))

from designs import gemm_int, gemm_plain, systolic_gemm  # noqa: E402,F401

from allo.ir.nodes import For, walk_stmts  # noqa: E402
from allo.backends.interp import Interpreter  # noqa: E402
from allo.symexec import verify  # noqa: E402


def reordered(n: int):
    """The i-k-j order of the plain GEMM (loop headers j and k swapped)."""
    mod = gemm_plain(n, n, n)
    j = next(s for s in walk_stmts(mod.top_func.body) if isinstance(s, For) and s.var == "j")
    k = j.body[0]
    for attr in ("var", "lo", "hi", "name"):
        a, b = getattr(j, attr), getattr(k, attr)
        setattr(j, attr, b)
        setattr(k, attr, a)
    return mod


def seed_schedule(n: int):
    """The seed's systolic schedule applied by the real primitives, as the slides write it."""
    import allo
    from allo.ir.types import int8, int16

    M = N = K = n

    def matmul(A: int8[M, K], B: int8[K, N], C: int16[M, N]):
        for i, j in allo.grid(M, N, "PE"):
            for k in range(K):
                C[i, j] += A[i, k] * B[k, j]

    s = allo.customize(matmul)
    buf_A = s.buffer_at(s.A, "j")
    buf_B = s.buffer_at(s.B, "j")
    pe = s.unfold("PE", axis=[0, 1], factor=[M, N])
    s.partition(s.A, dim=0)
    s.partition(s.B, dim=1)
    s.partition(s.C, dim=[0, 1])
    s.relay(buf_A, pe, axis=0, depth=M + 1)
    s.relay(buf_B, pe, axis=1, depth=N + 1)
    return s.original, s.ir


def one(kind: str, n: int) -> dict:
    """Measure one configuration (run in a child process for a clean memory peak)."""
    if kind == "seed":
        a, b = seed_schedule(n)
    else:
        a = gemm_plain(n, n, n)
        b = reordered(n) if kind == "reorder" else systolic_gemm(n, n, n)
    t = time.perf_counter()
    v = verify(a, b, progress=False)
    secs = time.perf_counter() - t
    out = dict(status=v.status, ops=v.stats["ops_A"] + v.stats["ops_B"], seconds=secs,
               peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               nodes=v.stats["dag_nodes"])
    if kind == "reorder":
        rng = np.random.default_rng(0)
        A = rng.integers(-128, 128, (n, n), dtype=np.int8)
        B = rng.integers(-128, 128, (n, n), dtype=np.int8)
        t = time.perf_counter()
        Interpreter(a)(A, B, np.zeros((n, n), np.int16))
        Interpreter(b)(A, B, np.zeros((n, n), np.int16))
        out["interp"] = time.perf_counter() - t
    return out


def child(kind: str, n: int) -> dict:
    res = subprocess.run([sys.executable, __file__, "--one", kind, str(n)], capture_output=True,
                         text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(sizes) -> None:
    print("throughput: plain i-j-k GEMM vs its i-k-j reordering (int8 -> int16)")
    print(f"{'n':>4} {'verdict':>11} {'ops':>11} {'seconds':>8} {'ops/s':>11} {'interp s':>9} "
          f"{'symexec/interp':>14}")
    for n in sizes:
        r = child("reorder", n)
        print(f"{n:>4} {r['status']:>11} {r['ops']:>11,} {r['seconds']:>8.3f} "
              f"{r['ops'] / r['seconds']:>11,.0f} {r['interp']:>9.3f} "
              f"{r['seconds'] / r['interp']:>14.2f}")
    print()
    for kind, title in (("systolic", "systolic GEMM (n x n PEs, K = n, FIFO relays, built by hand in the IR) "
                                     "vs the plain triple loop"),
                        ("seed", "the seed's schedule (buffer_at, unfold, partition, relay applied by the "
                                 "primitives) vs its algorithm")):
        table(kind, title, sizes)


def table(kind: str, title: str, sizes) -> None:
    print()
    print(title)
    print(f"{'n':>4} {'verdict':>11} {'ops':>11} {'seconds':>8} {'ops/s':>11} {'peak MB':>8} "
          f"{'DAG nodes':>10} {'t/t_prev':>8}")
    prev = None
    for n in sizes:
        r = child(kind, n)
        growth = f"{r['seconds'] / prev:8.1f}" if prev else f"{'':>8}"
        prev = r["seconds"]
        print(f"{n:>4} {r['status']:>11} {r['ops']:>11,} {r['seconds']:>8.3f} "
              f"{r['ops'] / r['seconds']:>11,.0f} {r['peak_mb']:>8.0f} {r['nodes']:>10,} {growth}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        print(json.dumps(one(sys.argv[2], int(sys.argv[3]))))
    else:
        main([int(x) for x in sys.argv[1:]] or [8, 16, 32, 64])
