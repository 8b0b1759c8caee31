"""Side-condition check time of every schedule primitive, for loop extents 32 to 65,536.

Each primitive's side conditions are z3 queries over the loop bounds as symbols-with-values,
so their cost should not grow with the extent. Prints the median (over REPEAT runs) of the
time spent discharging side conditions, per primitive and extent, and the ratio against
Exo's reported 1.5-9 ms per rewrite check.

Run: ``python bench/bench_primitives.py`` (``--repeat N``).
"""

from __future__ import annotations

import argparse
import statistics
import sys

import allo
from allo.ir.types import int32
from allo.primitives.base import apply_primitive

EXTENTS = (32, 1024, 65536)
EXO_MS = (1.5, 9.0)


def kernels(n: int) -> dict:
    """Small kernels whose transformed loop has extent ``n`` (sizes come from the closure)."""

    def gemm(A: int32[n, 4], B: int32[4, 4]) -> int32[n, 4]:
        C: int32[n, 4] = 0
        for i, j, k in allo.grid(n, 4, 4):
            C[i, j] += A[i, k] * B[k, j]
        return C

    def stencil(A: int32[n + 2], B: int32[n]):
        for x in range(n):
            B[x] = A[x] + A[x + 1] + A[x + 2]

    def chain(A: int32[n, 4], C: int32[n, 4]):
        B: int32[n, 4] = 0
        for i, j in allo.grid(n, 4):
            B[i, j] = A[i, j] + 1
        for p, q in allo.grid(n, 4):
            C[p, q] = B[p, q] * 2

    def pe_band(A: int32[4, n], B: int32[n, 4], C: int32[4, 4]):
        for i, j in allo.grid(4, 4, "PE"):
            for k in range(n):
                C[i, j] += A[i, k] * B[k, j]

    return {"gemm": gemm, "stencil": stencil, "chain": chain, "pe": pe_band}


def cases(n: int):
    """(primitive, kernel, arguments): each transforms a loop of extent n."""
    yield "split", "gemm", {"axis": "i", "factor": 7}
    yield "reorder", "gemm", {"axes": ["k", "i"]}
    yield "fuse", "gemm", {"axes": ["i", "j"]}
    yield "tile", "gemm", {"args": ["i", "j", 8, 2]}
    yield "parallel", "gemm", {"axis": "i"}
    yield "unroll", "gemm", {"axis": "i", "factor": 4}
    yield "pipeline", "gemm", {"axis": "k"}
    yield "buffer_at", "gemm", {"target": "C", "axis": "i"}
    yield "reuse_at", "stencil", {"target": "A", "axis": "x"}
    yield "reshape", "chain", {"target": "B", "shape": (4, n)}
    yield "partition", "gemm", {"target": "A", "partition_type": None, "dim": 2, "factor": 0}
    yield "compute_at", "chain", {"producer": "S_i_j_0", "consumer": "q"}
    yield "to", "chain", {"target": "B", "dst": "S_p_q_1"}
    yield "unfold", "pe", {"band": "PE", "axis": [0, 1], "factor": [4, 4]}


def measure(repeat: int):
    table = {}
    warm = {name: allo.customize(fn).ir for name, fn in kernels(8).items()}
    for prim, kernel, args in cases(8):  # warm z3 and the caches before timing
        apply_primitive(warm[kernel], prim, args)
    for n in EXTENTS:
        modules = {name: allo.customize(fn).ir for name, fn in kernels(n).items()}
        for prim, kernel, args in cases(n):
            samples = []
            for _ in range(repeat):
                _, cert, _ = apply_primitive(modules[kernel], prim, args)
                samples.append(sum(c.seconds for c in cert.conditions))
            table[(prim, n)] = statistics.median(samples) * 1e3
    return table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    table = measure(args.repeat)
    prims = list(dict.fromkeys(p for p, _ in table))
    print(f"{'primitive':<11}" + "".join(f"{'n=' + str(n):>11}" for n in EXTENTS) +
          f"{'max/min':>9}  Exo 1.5 ms / ours")
    for p in prims:
        row = [table[(p, n)] for n in EXTENTS]
        if max(row) < 0.005:  # nothing to prove (annotation, or a trivially true condition)
            print(f"{p:<11}" + "".join(f"{t:9.2f}ms" for t in row) + f"{'-':>9}  (no query)")
            continue
        print(f"{p:<11}" + "".join(f"{t:9.2f}ms" for t in row) +
              f"{max(row) / min(row):9.2f}  {EXO_MS[0] / max(row):.2f}x")
    print("median time discharging side conditions; max/min near 1 = flat in the extent;")
    print("the last column divides Exo's fastest reported check by our slowest extent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
