"""LLVM backend: kernels, constructs, calling convention, memory and the build cache."""

import os
import warnings

import numpy as np
import pytest

from allo.backends.llvm import build, cache_stats
from allo.errors import AlloError, CallError
from allo.ir.nodes import (Alloc, BufRef, Call, Const, For, Func, If, Load, Module, Op, Param,
                           Return, Store, StreamGet, StreamPut, Var, While)
from allo.ir.types import Stream, bool_, float32, index, int8, int16, int32, int64, uint512
from allo.runtime import AlloWarning
from allo.backends.interp import Interpreter

I, J, K = (Var(n, index) for n in "ijk")


def c(v, t=index):
    return Const(v, t)


def loop(var, n, body, lo=0, step=1):
    return For(var, c(lo), c(n), step, body)


def gemm(M, N, K_, in_t, acc_t):
    prod = Op("mul", (Op("cast", (Load("A", (I, K), in_t),), acc_t),
                      Op("cast", (Load("B", (K, J), in_t),), acc_t)), acc_t)
    body = [Store("C", (I, J), Op("add", (Load("C", (I, J), acc_t), prod), acc_t))]
    f = Func("gemm", [Param("A", in_t[M, K_]), Param("B", in_t[K_, N])], [acc_t[M, N]],
             [Alloc("C", acc_t[M, N]), loop("i", M, [loop("k", K_, [loop("j", N, body)])]),
              Return([BufRef("C")])])
    return Module({"gemm": f}, "gemm")


def test_gemm_float32_equals_numpy_ikj_order():
    A = np.random.rand(40, 24).astype(np.float32)
    B = np.random.rand(24, 56).astype(np.float32)
    C = build(gemm(40, 56, 24, float32, float32))(A, B)
    ref = np.zeros((40, 56), np.float32)
    for k in range(24):  # the same summation order, so bit-identical
        ref += A[:, k:k + 1] * B[k:k + 1, :]
    assert C.dtype == np.float32 and np.array_equal(C, ref)


def test_gemm_int8_to_int16_wraps_like_numpy():
    rng = np.random.default_rng(0)
    A = rng.integers(-128, 128, (32, 64)).astype(np.int8)
    B = rng.integers(-128, 128, (64, 16)).astype(np.int8)
    C = build(gemm(32, 16, 64, int8, int16))(A, B)
    assert C.dtype == np.int16
    assert np.array_equal(C, (A.astype(np.int64) @ B.astype(np.int64)).astype(np.int16))


def test_large_local_buffer_on_heap_and_in_place_update():
    n = 300  # 300*300*4 bytes: too big for the stack
    f = Func("scale", [Param("X", float32[n, n])], [],
             [Alloc("T", float32[n, n], Const(2.0, float32)),
              loop("i", n, [loop("j", n, [Store("X", (I, J), Op("mul", (
                  Load("X", (I, J), float32), Load("T", (I, J), float32)), float32))])])])
    X = np.ones((n, n), np.float32)
    assert build(Module({"scale": f}, "scale"))(X) is None
    assert np.all(X == 2.0)


def test_call_with_subview_while_if_and_scalar_return():
    # helper(row: int32[4]) -> int32: sum of positive entries, via a while loop
    acc = Load("acc", (), int32)
    w = Var("w", index)
    helper = Func("helper", [Param("row", int32[4])], [int32], [
        Alloc("acc", int32[()]), Alloc("w", index[()]),
        While(Op("lt", (Load("w", (), index), c(4)), bool_), [
            If(Op("gt", (Load("row", (Load("w", (), index),), int32), Const(0, int32)), bool_),
               [Store("acc", (), Op("add", (acc, Load("row", (Load("w", (), index),), int32)), int32))]),
            Store("w", (), Op("add", (Load("w", (), index), c(1)), index))]),
        Return([acc])])
    top = Func("top", [Param("M", int32[3, 4])], [int32[3]], [
        Alloc("out", int32[3]), Alloc("r", int32[()]),
        loop("i", 3, [Call("helper", [BufRef("M", (I,))], ["r"]),
                      Store("out", (I,), Load("r", (), int32))]),
        Return([BufRef("out")])])
    mod = Module({"helper": helper, "top": top}, "top")
    M = np.array([[1, -2, 3, 4], [-1, -1, -1, -1], [5, 0, 0, 7]], np.int32)
    out = build(mod)(M)
    assert out.tolist() == [8, 0, 12]
    assert np.array_equal(out, Interpreter(mod)(M))


def test_constant_table_and_wide_integers():
    table = np.array([1, 2 ** 300, -(2 ** 200), 7], dtype=object)
    t = uint512
    f = Func("k", [Param("X", t[4])], [t[4]], [
        Alloc("T", t[4], table), Alloc("Y", t[4]),
        loop("i", 4, [Store("Y", (I,), Op("add", (Load("X", (I,), t), Load("T", (I,), t)), t))]),
        Return([BufRef("Y")])])
    X = np.array([2 ** 511, 5, 0, 2 ** 512 - 1], dtype=object)
    got = build(Module({"k": f}, "k"))(X)
    want = [(int(x) + int(v)) % 2 ** 512 for x, v in zip(X, table)]
    assert got.dtype == object and [int(v) for v in got] == want


def _fifo(puts, gets):
    s = Stream[int32, 4]
    body = [Alloc("q", s[()]), Alloc("Y", int32[max(gets, 1)]),
            loop("i", puts, [StreamPut("q", (), Op("cast", (I,), int32))]),
            loop("j", gets, [Store("Y", (J,), StreamGet("q", (), int32))]),
            Return([BufRef("Y")])]
    return Module({"k": Func("k", [], [int32[max(gets, 1)]], body)}, "k")


def test_streams_are_fifos_and_underflow_raises():
    assert build(_fifo(100, 100))().tolist() == list(range(100))
    with pytest.raises(AlloError, match="empty"):
        build(_fifo(2, 3))()


def test_calling_convention_errors_and_conversions():
    mod = build(gemm(4, 4, 4, float32, float32))
    A = np.ones((4, 4), np.float32)
    with pytest.raises(CallError, match="argument"):
        mod(A)  # wrong count
    with pytest.raises(CallError, match="shape"):
        mod(A, np.ones((4, 5), np.float32))
    with pytest.raises(CallError):
        mod(A, np.array([["x"] * 4] * 4))
    with pytest.warns(AlloWarning):
        out = mod(A, np.ones((4, 4), np.float64))
    assert np.all(out == 4.0)
    # non-contiguous arguments are copied (and written back for in-place kernels)
    f = Func("inc", [Param("X", int64[4])], [],
             [loop("i", 4, [Store("X", (I,), Op("add", (Load("X", (I,), int64), Const(1, int64)), int64))])])
    inc = build(Module({"inc": f}, "inc"))
    big = np.zeros(8, np.int64)
    inc(big[::2])
    assert big.tolist() == [1, 0, 1, 0, 1, 0, 1, 0]


def test_scalar_parameters_are_cast_and_results_are_scalars():
    x = Var("x", int8)
    f = Func("f", [Param("x", int8)], [int16], [Return([Op("mul", (
        Op("cast", (x,), int16), Op("cast", (x,), int16)), int16)])])
    out = build(Module({"f": f}, "f"))(300)  # wraps to 44 on entry
    assert out == 44 * 44 and isinstance(out, np.int16)


def _rss_kib() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def test_repeated_calls_leave_memory_flat():
    mod = build(gemm(64, 64, 64, float32, float32))
    fifo = build(_fifo(1000, 1000))
    A = np.random.rand(64, 64).astype(np.float32)
    for _ in range(50):  # warm up allocator pools
        mod(A, A), fifo()
    before = _rss_kib()
    for _ in range(1000):
        mod(A, A)
        fifo()
    assert _rss_kib() - before < 4 * 1024


def test_rebuild_is_a_cache_hit():
    m1, m2 = gemm(8, 8, 8, float32, float32), gemm(8, 8, 8, float32, float32)
    first = build(m1)
    hits = cache_stats["hits"]
    assert build(m2) is first  # equal IR, different objects
    assert cache_stats["hits"] == hits + 1
    assert build(m1, fma=True) is not first  # options are part of the key


def test_dropping_an_engine_does_not_break_later_builds():
    import gc

    from allo.backends.llvm.codegen import emit_module
    from allo.backends.llvm.jit import compile_ir
    text = emit_module(gemm(4, 4, 4, float32, float32))
    engine, _ = compile_ir(text)
    del engine  # an engine owns (and frees) its target machine: none may be shared
    gc.collect()
    engine, address = compile_ir(text)
    assert address != 0



def test_a_private_top_is_inlined_before_it_is_optimised():
    # only the entry calls the top function: alwaysinline makes LLVM inline it before its
    # simplification passes run, so the kernel body is optimised once, not once per function
    from allo.backends.llvm.codegen import emit_module
    text = emit_module(gemm(4, 4, 4, float32, float32))
    define = next(line for line in text.splitlines() if line.startswith("define") and "allo_gemm" in line)
    assert "alwaysinline" in define
    assert np.array_equal(build(gemm(4, 4, 4, float32, float32))(np.eye(4, dtype=np.float32),
                                                                 np.ones((4, 4), np.float32)),
                          np.ones((4, 4), np.float32))
