"""Benchmark: full symbolic execution vs the certificate chain vs the proof cache, in one run.

    python bench/bench_proof_methods.py [--size 64] [--big 512,768,3072]

1. A ``size``^3 int32 GEMM customized by split/reorder/pipeline/partition, proved three
   ways: full symbolic execution, the certificate chain, and a proof-cache hit (a
   temporary cache directory); prints each time and the ratios against full execution.
2. A GEMM at BERT FFN1's size (``--big``, default (512x768)x(768x3072), 1.2 G multiply-
   adds) with the same kind of schedule: the certificate chain's time, and full
   execution's *estimated* time (its op estimate at the ops/s measured in part 1; running
   it would take tens of minutes).
3. The slides' BERT FFN1 design of ``bench/bench_verify_scale.py`` (a top over 32x192
   tiles calling the 16x16 systolic tile, composed in): the certificate chain's answer
   and time. Its tile relays operands through FIFOs, so the chain does not apply (deadlock
   freedom is checked only by execution) and ``verify()`` takes the modular method.

Times are wall-clock on this machine, best of ``--repeat``; ratios compare contenders
measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import allo  # noqa: E402
from allo.ir.types import int32  # noqa: E402
from allo.symexec.cost import estimate_ops  # noqa: E402


def make_gemm(M: int, K: int, N: int):
    def gemm(A: int32[M, K], B: int32[K, N]) -> int32[M, N]:
        C: int32[M, N] = 0
        for i, j, k in allo.grid(M, N, K):
            C[i, j] += A[i, k] * B[k, j]
        return C
    return gemm


def scheduled(M: int, K: int, N: int):
    s = allo.customize(make_gemm(M, K, N))
    s.split("i", 16)
    s.split("j", 16)
    s.reorder("i.outer", "j.outer", "k", "i.inner", "j.inner")
    s.pipeline("k")
    s.partition(s.A, dim=1)
    s.partition(s.B, dim=2)
    return s


def best(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--big", default="512,768,3072", help="M,K,N of the large GEMM")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    n = args.size
    with tempfile.TemporaryDirectory(prefix="allo-bench-proofs-") as tmp:
        os.environ["ALLO_CACHE_DIR"] = tmp
        os.environ["ALLO_PROOF_CACHE"] = "1"
        s = scheduled(n, n, n)
        ops = estimate_ops(s.original) + estimate_ops(s.ir)
        t_full, v_full = best(lambda: s.verify(method="full", cache=False), args.repeat)
        t_cert, v_cert = best(lambda: s.verify(method="certificates", cache=False), args.repeat)
        s.verify(method="full")  # stores the verdict
        t_hit, v_hit = best(lambda: s.verify(method="full"), args.repeat)
        assert v_full and v_cert and v_hit and v_hit.cache == "hit"
        executed = v_full.stats["ops_A"] + v_full.stats["ops_B"]
        rate = executed / v_full.stats["seconds"]
        print(f"GEMM {n}x{n}x{n} int32, {len(s.history)} primitives; estimated ops {ops:,} "
              f"(executed {executed:,})")
        print(f"  full symbolic execution  {t_full:9.3f} s   1.0x   ({rate / 1e6:.1f} M ops/s)")
        print(f"  certificate chain        {t_cert:9.3f} s   {t_full / t_cert:,.0f}x faster")
        print(f"  proof-cache hit          {t_hit:9.3f} s   {t_full / t_hit:,.0f}x faster")
        M, K, N = (int(x) for x in args.big.split(","))
        t_build = time.perf_counter()
        big = scheduled(M, K, N)
        t_build = time.perf_counter() - t_build
        big_ops = estimate_ops(big.original) + estimate_ops(big.ir)
        t_big, v_big = best(lambda: big.verify(method="certificates", cache=False), args.repeat)
        t_auto, v_auto = best(lambda: big.verify(cache=False), 1)
        assert v_big and v_auto and v_auto.stats["verified_by"] == "certificates"
        print(f"GEMM ({M}x{K})x({K}x{N}) int32 ({M * K * N / 1e9:.2f} G multiply-adds), "
              f"{len(big.history)} primitives (customize + schedule: {t_build:.2f} s)")
        print(f"  certificate chain        {t_big:9.3f} s")
        print(f"  verify() default         {t_auto:9.3f} s   ({v_auto.chosen_by})")
        print(f"  full execution, estimate {big_ops / rate:9.0f} s   ({big_ops:,} ops at the "
              f"{rate / 1e6:.1f} M ops/s measured above; {big_ops / rate / t_big:,.0f}x the chain)")
        bert_chain(args.repeat)


def bert_chain(repeat: int) -> None:
    from allo.ir.types import int8
    from allo.library.systolic import schedule_systolic_tile, systolic_tile

    M, K, N, T = 512, 768, 3072, 16
    MT, NT = M // T, N // T

    def ffn1(A: int8[MT, T, K], B: int8[NT, K, T], C: int32[MT, NT, T, T]):
        for mi, ni in allo.grid(MT, NT, name="tiles"):
            systolic_tile[int8, int8, int32, K, T, T](A[mi], B[ni], C[mi, ni])

    t = time.perf_counter()
    s = allo.customize(ffn1)
    s.compose(schedule_systolic_tile(allo.customize(systolic_tile,
                                                    instantiate=[int8, int8, int32, K, T, T])))
    t_build = time.perf_counter() - t
    t_chain, v = best(lambda: s.verify(method="certificates", cache=False), repeat)
    print(f"BERT FFN1 (512x768)x(768x3072) on a 16x16 systolic tile, {len(s.history)} chain "
          f"links (compose: {t_build:.1f} s)")
    print(f"  certificate chain        {t_chain:9.3f} s   {v.status}: {v.reason or v.method}")


if __name__ == "__main__":
    main()
