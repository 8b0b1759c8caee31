"""QoR estimates and design-space exploration: how fast.

1. Estimate time per PolyBench design (``examples/polybench*.py``, the 30 HLS schedules),
   against the time to compile the same design with the LLVM backend (the peer measured
   in the same run; a Vitis HLS synthesis of such a kernel takes minutes to hours).
2. DSE throughput (candidates per second, apply + estimate, no verification) on the
   GEMM space of ``examples/dse_gemm_space.py``: serially in this process, on a Dask
   LocalCluster of 1 worker, and of one worker per core.

Run: ``python bench/bench_qor.py`` (from the repository root).
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_estimates() -> None:
    designs = {}
    for file in ("polybench", "polybench_algebra", "polybench_solvers"):
        poly = _load(file)
        designs.update({k[len("design_"):]: v for k, v in vars(poly).items()
                        if k.startswith("design_")})
    print("| PolyBench design | estimate (ms) | LLVM compile (ms) | compile / estimate | latency (cycles) |")
    print("|---|---|---|---|---|")
    ratios, worst = [], 0.0
    for name, make in designs.items():
        s = make()
        est = _best(lambda: s.report(), 5)
        llvm = _best(lambda: s.build(), 1)
        worst = max(worst, est)
        ratios.append(llvm / est)
        print(f"| {name} | {est * 1e3:.1f} | {llvm * 1e3:.0f} | {llvm / est:.1f}x | "
              f"{s.report().latency:,} |")
    print(f"\n{len(designs)} designs; slowest estimate {worst * 1e3:.1f} ms (goal < 50 ms); "
          f"median compile/estimate {statistics.median(ratios):.1f}x")


def bench_dse() -> None:
    from allo.dse import Space, explore

    gemm = _load("dse_gemm").gemm
    space = _load("dse_gemm_space").SPACE
    n = len(Space(space))
    cores = os.cpu_count() or 1
    print(f"\n| DSE runner ({n} GEMM candidates, no verification) | seconds | candidates/s | vs serial |")
    print("|---|---|---|---|")
    import dask
    from dask.distributed import LocalCluster

    def timed(**kw) -> float:
        explore(gemm, space, verify=False, progress=False, **kw)  # warm up (imports, caches)
        t = time.perf_counter()
        result = explore(gemm, space, verify=False, progress=False, **kw)
        assert len(result.rows) == n
        return time.perf_counter() - t

    base = timed(workers=0)
    print(f"| serial (this process) | {base:.1f} | {n / base:.1f} | 1.00x |")
    for k in sorted({1, cores}):
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
            cluster = LocalCluster(n_workers=k, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=50)
            try:
                dt = timed(scheduler=cluster.scheduler_address)
            finally:
                cluster.close()
        print(f"| LocalCluster, {k} worker{'s' if k > 1 else ''} | {dt:.1f} | {n / dt:.1f} | "
              f"{base / dt:.2f}x |")
    print("(cluster started beforehand; each run after one warm-up run)")


if __name__ == "__main__":
    bench_estimates()
    bench_dse()
