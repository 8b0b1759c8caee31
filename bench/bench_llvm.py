"""Benchmark of the LLVM backend (prints ratios against peers measured in the same run).

    python bench/bench_llvm.py [--size 512]

* float32 GEMM (i-k-j loop nest) vs the same loop nest in numba and vs numpy ``A @ B``;
* int8 x int8 -> int16 GEMM vs numpy integer matmul;
* compile time (IR -> callable, cache bypassed) for the GEMM and a ~30-statement kernel.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from allo.backends.llvm import LLVMModule  # noqa: E402
from allo.backends.llvm.codegen import emit_module  # noqa: E402
from allo.backends.llvm.jit import compile_ir  # noqa: E402
from allo.ir.nodes import (Alloc, BufRef, Const, For, Func, Load, Module, Op, Param,  # noqa: E402
                           Return, Store, Var)
from allo.ir.types import float32, index, int8, int16  # noqa: E402

I, J, K = (Var(n, index) for n in "ijk")


def gemm_ir(n: int, in_t, acc_t) -> Module:
    prod = Op("mul", (Op("cast", (Load("A", (I, K), in_t),), acc_t),
                      Op("cast", (Load("B", (K, J), in_t),), acc_t)), acc_t)
    body = [Store("C", (I, J), Op("add", (Load("C", (I, J), acc_t), prod), acc_t))]
    nest = For("i", Const(0, index), Const(n, index), 1, [
        For("k", Const(0, index), Const(n, index), 1, [
            For("j", Const(0, index), Const(n, index), 1, body)])])
    f = Func("gemm", [Param("A", in_t[n, n]), Param("B", in_t[n, n])], [acc_t[n, n]],
             [Alloc("C", acc_t[n, n]), nest, Return([BufRef("C")])])
    return Module({"gemm": f}, "gemm")


def thirty_statement_ir() -> Module:
    n = 64
    stmts = []
    for s in range(30):
        x = Load("X", (I,), float32)
        val = Op("add" if s % 2 else "mul", (x, Const(float(s + 1), float32)), float32)
        stmts.append(Store("X", (I,), val))
    f = Func("k30", [Param("X", float32[n])], [],
             [For("i", Const(0, index), Const(n, index), 1, stmts)])
    return Module({"k30": f}, "k30")


def uncached_build(module: Module) -> LLVMModule:
    engine, addr = compile_ir(emit_module(module))
    return LLVMModule(module, engine, addr, "")


def best_of(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=512)
    n = ap.parse_args().size
    rng = np.random.default_rng(0)
    rows = []

    A = rng.random((n, n), dtype=np.float32)
    B = rng.random((n, n), dtype=np.float32)
    f32 = uncached_build(gemm_ir(n, float32, float32))
    t_allo = best_of(lambda: f32(A, B))
    t_np = best_of(lambda: A @ B)
    try:
        import numba

        @numba.njit(cache=False)
        def gemm_numba(a, b):
            c = np.zeros((a.shape[0], b.shape[1]), np.float32)
            for i in range(a.shape[0]):
                for k in range(a.shape[1]):
                    for j in range(b.shape[1]):
                        c[i, j] += a[i, k] * b[k, j]
            return c
        gemm_numba(A, B)
        t_numba = best_of(lambda: gemm_numba(A, B))
        rows.append((f"f32 GEMM {n}^3 (ikj)", "numba same loop nest", t_allo, t_numba))
    except ImportError:
        print("numba not installed: skipping that peer")
    rows.append((f"f32 GEMM {n}^3 (ikj)", "numpy A @ B", t_allo, t_np))

    A8 = rng.integers(-128, 128, (n, n)).astype(np.int8)
    B8 = rng.integers(-128, 128, (n, n)).astype(np.int8)
    i8 = uncached_build(gemm_ir(n, int8, int16))
    assert np.array_equal(i8(A8, B8), (A8.astype(np.int16) @ B8.astype(np.int16)))
    t_i8 = best_of(lambda: i8(A8, B8))
    t_i8np = best_of(lambda: A8.astype(np.int16) @ B8.astype(np.int16))
    rows.append((f"int8->int16 GEMM {n}^3", "numpy int16 matmul", t_i8, t_i8np))

    print(f"{'benchmark':28} {'peer':24} {'allo (ms)':>10} {'peer (ms)':>10} {'peer/allo':>10}")
    for name, peer, ta, tp in rows:
        print(f"{name:28} {peer:24} {ta * 1e3:10.2f} {tp * 1e3:10.2f} {tp / ta:10.2f}")

    for label, ir in (("GEMM", gemm_ir(n, float32, float32)), ("30-statement kernel", thirty_statement_ir())):
        times = []
        for _ in range(7):
            t = time.perf_counter()
            uncached_build(ir)
            times.append(time.perf_counter() - t)
        print(f"compile time (IR -> callable), {label}: median {statistics.median(times) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
