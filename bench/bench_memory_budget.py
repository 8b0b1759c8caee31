"""The memory budget of ``verify()`` on a 256^3 int32 GEMM (reorder ``k``/``j``), whose
symbolic check needs gigabytes: ``python bench/bench_memory_budget.py [--max-memory BYTES]``.

Prints the verdict, the wall-clock time and the process's peak resident set. Without
``--max-memory`` the default budget applies (half of RAM, or 80% of what is available).
"""

import argparse
import resource
import time

import allo
from allo.ir.types import int32

N = 256


def gemm(A: int32[N, N], B: int32[N, N]) -> int32[N, N]:
    C: int32[N, N] = 0
    for i, j, k in allo.grid(N, N, N):
        C[i, j] += A[i, k] * B[k, j]
    return C


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-memory", type=int, default=None, help="budget in bytes")
    ns = ap.parse_args()
    s = allo.customize(gemm)
    s.reorder("k", "j")
    options = {"method": "full", "cache": False}
    if ns.max_memory:
        options["max_memory"] = ns.max_memory
    t0 = time.time()
    verdict = s.verify(**options)
    print(verdict.report())
    print(f"seconds {time.time() - t0:.1f}, peak resident set "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
