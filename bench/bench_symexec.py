"""Symbolic-execution throughput: int8 -> int16 GEMM, plain i-j-k loop vs its i-k-j reordering.

For each size: symbolic ops executed, seconds, ops/s of the equivalence check, and the
reference interpreter's time on one concrete run of the same design (the peer measured
in the same run; the ratio says what symbolic execution costs over concrete execution).

Run: ``python bench/bench_symexec.py [sizes...]`` (default 8 16 32 64).
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "symexec"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from irb import V, cast, func, ld, loop, module, op, st  # noqa: E402

from allo.ir.types import int8, int16  # noqa: E402
from allo.semantics.interpreter import Interpreter  # noqa: E402
from allo.symexec import verify  # noqa: E402


def gemm(n: int, order: str):
    i, j, k = V("i"), V("j"), V("k")
    val = op("add", int16, ld("C", int16, i, j),
             op("mul", int16, cast(int16, ld("A", int8, i, k)), cast(int16, ld("B", int8, k, j))))
    body = [st("C", [i, j], val)]
    for v in reversed(order):
        body = [loop(v, n, body)]
    return module(func("gemm", [("A", int8[n, n]), ("B", int8[n, n]), ("C", int16[n, n])], body))


def main(sizes) -> None:
    print(f"{'size':>5} {'verdict':>11} {'ops':>12} {'seconds':>9} {'ops/s':>12} "
          f"{'interp s':>9} {'symexec/interp':>14}")
    for n in sizes:
        a, b = gemm(n, "ijk"), gemm(n, "ikj")
        v = verify(a, b)
        ops = v.stats["ops_A"] + v.stats["ops_B"]
        secs = v.stats["seconds"]
        rng = np.random.default_rng(0)
        A = rng.integers(-128, 128, (n, n), dtype=np.int8)
        B = rng.integers(-128, 128, (n, n), dtype=np.int8)
        C = np.zeros((n, n), dtype=np.int16)
        t = time.perf_counter()
        Interpreter(a)(A, B, C)
        Interpreter(b)(A, B, C.copy())
        ti = time.perf_counter() - t
        print(f"{n:>5} {v.status:>11} {ops:>12,} {secs:>9.3f} {ops / secs:>12,.0f} "
              f"{ti:>9.3f} {secs / ti:>14.2f}")


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]] or [8, 16, 32, 64])
