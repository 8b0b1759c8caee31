"""Benchmark of the LLVM backend (prints ratios against peers measured in the same run).

    python bench/bench_llvm.py [--size 512]

* float32 GEMM (i-k-j loop nest) vs the same loop nest in numba and vs numpy ``A @ B``;
  the headline build has the exact semantics (no fast-math, no FMA contraction: bit-equal
  to the interpreter), as does numba's default build; a ``build(fma=True)`` row is labelled;
* int8 x int8 -> int16 GEMM vs numpy integer matmul;
* compile time (IR -> callable, cache bypassed) for the GEMM and a ~30-statement kernel.

Allo's builds use the default LLVM level (O2); the compile times are also given at
``opt_level=3``, measured in the same run, and the script says whether the GEMM's O2 and
O3 machine code differ at all.

Fairness: every contender gets the same input arrays, is warmed up, and the contenders run
interleaved (round-robin, best of ``--repeat``) so machine-load drift hits all of them alike.
Run with ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`` so numpy is not slowed down.
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
from allo.backends.llvm.jit import DEFAULT_OPT_LEVEL, compile_ir  # noqa: E402
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


def uncached_build(module: Module, fp_flags: tuple = (), opt_level: int = DEFAULT_OPT_LEVEL) -> LLVMModule:
    engine, addr = compile_ir(emit_module(module, fp_flags), opt_level=opt_level)
    return LLVMModule(module, engine, addr, "")


def host_assembly(module: Module, opt_level: int) -> str:
    """The host assembly of ``module`` optimised at ``opt_level`` (what the JIT would load)."""
    import llvmlite.binding as llvm

    from allo.backends.llvm import jit

    tm = jit._init(opt_level)
    mod = llvm.parse_assembly(jit.with_function_attributes(emit_module(module),
                                                           jit.host_function_attributes()))
    mod.triple, mod.data_layout = tm.triple, str(tm.target_data)
    jit.optimize(mod, tm, opt_level=opt_level)
    return tm.emit_assembly(mod)


def race(contenders: dict, repeat: int) -> dict:
    """Best time of each contender over ``repeat`` interleaved rounds (after one warm-up)."""
    for fn in contenders.values():
        fn()
    best = {name: float("inf") for name in contenders}
    for _ in range(repeat):
        for name, fn in contenders.items():
            t = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=25)
    opts = ap.parse_args()
    n, repeat = opts.size, opts.repeat
    rng = np.random.default_rng(0)
    rows = []

    A = rng.random((n, n), dtype=np.float32)
    B = rng.random((n, n), dtype=np.float32)
    f32 = uncached_build(gemm_ir(n, float32, float32))
    f32_fma = uncached_build(gemm_ir(n, float32, float32), ("contract",))
    ref = np.zeros((n, n), np.float32)
    for k in range(n):  # the i-k-j summation order without FMA: what exact semantics mean
        ref += A[:, k:k + 1] * B[k:k + 1, :]
    assert np.array_equal(f32(A, B), ref), "exact-semantics GEMM is not bit-identical"
    contenders = {"allo": lambda: f32(A, B), "allo fma": lambda: f32_fma(A, B), "numpy": lambda: A @ B}
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
        assert np.array_equal(gemm_numba(A, B), ref), "numba's default build is not exact"
        contenders["numba"] = lambda: gemm_numba(A, B)
    except ImportError:
        print("numba not installed: skipping that peer")
    best = race(contenders, repeat)
    if "numba" in best:
        rows.append((f"f32 GEMM {n}^3 (ikj)", "numba same loop nest", best["allo"], best["numba"]))
        rows.append((f"f32 GEMM {n}^3 fma=True", "numba same loop nest", best["allo fma"], best["numba"]))
    rows.append((f"f32 GEMM {n}^3 (ikj)", "numpy A @ B", best["allo"], best["numpy"]))

    A8 = rng.integers(-128, 128, (n, n)).astype(np.int8)
    B8 = rng.integers(-128, 128, (n, n)).astype(np.int8)
    i8 = uncached_build(gemm_ir(n, int8, int16))
    assert np.array_equal(i8(A8, B8), (A8.astype(np.int16) @ B8.astype(np.int16)))
    best = race({"allo": lambda: i8(A8, B8),
                 "numpy": lambda: A8.astype(np.int16) @ B8.astype(np.int16)}, max(3, repeat // 3))
    t_i8, t_i8np = best["allo"], best["numpy"]
    rows.append((f"int8->int16 GEMM {n}^3", "numpy int16 matmul", t_i8, t_i8np))

    print(f"{'benchmark':28} {'peer':24} {'allo (ms)':>10} {'peer (ms)':>10} {'peer/allo':>10}")
    for name, peer, ta, tp in rows:
        print(f"{name:28} {peer:24} {ta * 1e3:10.2f} {tp * 1e3:10.2f} {tp / ta:10.2f}")

    for label, ir in (("GEMM", gemm_ir(n, float32, float32)), ("30-statement kernel", thirty_statement_ir())):
        times = {DEFAULT_OPT_LEVEL: [], 3: []}
        for _ in range(7):
            for level, measured in times.items():
                t = time.perf_counter()
                uncached_build(ir, opt_level=level)
                measured.append(time.perf_counter() - t)
        print(f"compile time (IR -> callable), {label}: median "
              + ", ".join(f"{statistics.median(v) * 1e3:.1f} ms at O{level}" for level, v in times.items()))
    same = host_assembly(gemm_ir(n, float32, float32), DEFAULT_OPT_LEVEL) == \
        host_assembly(gemm_ir(n, float32, float32), 3)
    print(f"f32 GEMM machine code at O{DEFAULT_OPT_LEVEL} and O3: {'identical' if same else 'different'}")


if __name__ == "__main__":
    main()
