"""LLVM optimisation levels on the 30 PolyBench kernels: compile time against run time.

    python bench/bench_opt_levels.py [--scale 16] [--levels 0,1,2,3] [--runs 7] [--only gemm]

For each kernel, its scheduled design (``design_<name>()``, problem sizes multiplied by
``--scale``; 16 gives N = 128) is built with ``build(opt_level=L)`` for every level, the
build cache cleared first (compile time: IR -> callable, best of 2). Then each build's
machine code is run on the same inputs, the levels interleaved, best of ``--runs``: the
compiled entry point is called directly with the argument pointers prepared once, so the
figure is the kernel's own time, not the Python calling convention's. Every level's
outputs must be bit-identical to the first level's (the run fails otherwise).

Summary: mean compile time per kernel, total run time, and the geometric mean of each
level's run time relative to the default level (``allo.backends.llvm.DEFAULT_OPT_LEVEL``).
"""

from __future__ import annotations

import argparse
import ctypes
import math
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import allo.backends.llvm as llvm_backend  # noqa: E402
from allo.backends.llvm.module import aligned_zeros  # noqa: E402
from allo.ir.types import BufferType  # noqa: E402
from bench_compile import FILES, inputs_for, load_example, scaled  # noqa: E402


def compile_best(ir: Any, level: int, repeat: int = 2) -> Tuple[float, Any]:
    """The best IR -> callable time of ``repeat`` uncached builds at ``level``, and a build."""
    best, built = float("inf"), None
    for _ in range(repeat):
        llvm_backend._cache.clear()
        start = time.perf_counter()
        built = llvm_backend.build(ir, opt_level=level)
        best = min(best, time.perf_counter() - start)
    return best, built


def direct_call(built: Any, inputs: List[np.ndarray]) -> Tuple[Callable[[], int], List[np.ndarray]]:
    """A zero-argument call of ``built``'s machine code on ``inputs`` (in place) and fresh
    result buffers; returns it and the arrays it writes (results, then the inputs)."""
    f = built.func
    assert all(isinstance(p.type, BufferType) for p in f.params), "array parameters only"
    outs = [aligned_zeros(t.shape, t.dtype.numpy_dtype()) for t in f.results]
    argv = (ctypes.c_void_p * max(len(inputs) + len(outs), 1))(
        *[a.ctypes.data for a in inputs + outs])
    pointer = ctypes.cast(argv, ctypes.c_void_p)
    return (lambda: built._entry(pointer)), outs + inputs


def measure(module: Any, name: str, levels: List[int], runs: int) -> Dict[str, Any]:
    design, _, shapes = module.KERNELS[name]
    s = design()
    inputs = inputs_for(module, s, shapes, 3)
    compile_s, calls, written = {}, {}, {}
    for level in levels:
        compile_s[level], built = compile_best(s.ir, level)
        copies = [a.copy() for a in inputs]
        calls[level], written[level] = direct_call(built, copies)
    run_s = {level: float("inf") for level in levels}
    for _ in range(runs):  # interleaved: load drift hits every level alike
        for level in levels:
            start = time.perf_counter()
            status = calls[level]()
            run_s[level] = min(run_s[level], time.perf_counter() - start)
            assert status == 0, f"{name}: opt_level={level} returned status {status}"
    first = written[levels[0]]
    same = all(np.array_equal(a, b, equal_nan=True)
               for level in levels[1:] for a, b in zip(first, written[level]))
    return {"compile": compile_s, "run": run_s, "same": same}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=16, help="multiply the problem sizes by this")
    ap.add_argument("--levels", default="0,1,2,3")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--only", default="", help="comma-separated kernel names")
    args = ap.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    if any(level not in llvm_backend.OPT_LEVELS for level in levels):
        ap.error(f"levels must be among {llvm_backend.OPT_LEVELS}")
    only = set(filter(None, args.only.split(",")))
    default = llvm_backend.DEFAULT_OPT_LEVEL
    print(f"problem sizes x{args.scale}; per level: compile ms (IR -> callable) / run us")
    rows = []
    for file in FILES:
        module = load_example(file)
        for name in module.KERNELS:
            if only and name not in only:
                continue
            with scaled(module, args.scale):
                r = measure(module, name, levels, args.runs)
            rows.append(r)
            cells = "  ".join(f"O{lv} {r['compile'][lv] * 1e3:6.1f} /{r['run'][lv] * 1e6:9.1f}"
                              for lv in levels)
            print(f"{name:<15} {cells}{'' if r['same'] else '  RESULTS DIFFER'}", flush=True)
    if not rows:
        print("no kernel selected")
        return 1
    n = len(rows)
    print(f"{n} kernels:")
    for level in levels:
        compile_ms = sum(r["compile"][level] for r in rows) / n * 1e3
        run_ms = sum(r["run"][level] for r in rows) * 1e3
        line = f"  O{level}: compile {compile_ms:5.1f} ms per kernel, run time {run_ms:8.2f} ms in total"
        if default in levels:
            geo = math.exp(sum(math.log(r["run"][level] / r["run"][default]) for r in rows) / n)
            worst = max(rows, key=lambda r: r["run"][level] / r["run"][default])
            line += (f", run time / O{default}: geomean {geo:.3f}, worst "
                     f"{worst['run'][level] / worst['run'][default]:.2f}")
        print(line)
    same = all(r["same"] for r in rows)
    print("outputs bit-identical at every level" if same else "OUTPUTS DIFFER between levels")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
