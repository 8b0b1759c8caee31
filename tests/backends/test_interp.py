"""The reference interpreter on hand-built IR: kernels against numpy models."""

import numpy as np
import pytest

from allo.errors import AlloError
from allo.ir.nodes import (Alloc, BufRef, Call, Const, For, Func, If, Load, Module, Op, Param,
                           Return, Store, StreamGet, StreamPut, Var, While)
from allo.ir.types import (Fixed, Int, Stream, bool_, float32, index, int8, int16, int32)
from allo.backends.interp import Interpreter, run_func

i, j, k = Var("i", index), Var("j", index), Var("k", index)
C0, C1 = Const(0, index), Const(1, index)


def loop(var, n, body, lo=0, step=1):
    return For(var, Const(lo, index), Const(n, index), step, body, name=var)


def gemm_module(M, N, K, T):
    upd = Store("C", (i, j), Op("add", (Load("C", (i, j), T),
                                        Op("mul", (Load("A", (i, k), T), Load("B", (k, j), T)), T)), T))
    body = [Alloc("C", T[M, N], Const(0.0, T)),
            loop("i", M, [loop("j", N, [loop("k", K, [upd])])]),
            Return([BufRef("C")])]
    return Module({"gemm": Func("gemm", [Param("A", T[M, K]), Param("B", T[K, N])], [T[M, N]],
                                body)}, "gemm")


def test_gemm_float32_matches_numpy_op_by_op():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((32, 32)).astype(np.float32)
    B = rng.standard_normal((32, 32)).astype(np.float32)
    C = Interpreter(gemm_module(32, 32, 32, float32))(A, B)
    ref = np.zeros((32, 32), np.float32)
    for kk in range(32):  # same accumulation order, float32 op by op
        ref = ref + A[:, kk:kk + 1] * B[kk:kk + 1, :]
    assert C.dtype == np.float32 and np.array_equal(C, ref)


def int8_matmul_module(M, N, K):
    """C[i, j] += A[i, k] * B[k, j] with the frontend's casts: int8*int8 -> int16, + -> int17."""
    a = Op("cast", (Load("A", (i, k), int8),), int16)
    b = Op("cast", (Load("B", (k, j), int8),), int16)
    s = Op("add", (Op("cast", (Load("C", (i, j), int16),), Int(17)),
                   Op("cast", (Op("mul", (a, b), int16),), Int(17))), Int(17))
    body = [loop("i", M, [loop("j", N, [loop("k", K, [Store("C", (i, j), Op("cast", (s,), int16))])])])]
    params = [Param("A", int8[M, K]), Param("B", int8[K, N]), Param("C", int16[M, N])]
    return Module({"matmul": Func("matmul", params, [], body)}, "matmul")


def test_int8_matmul_accumulates_with_int16_wraparound():
    rng = np.random.default_rng(1)
    A = rng.integers(-128, 128, (8, 64)).astype(np.int8)
    B = rng.integers(-128, 128, (64, 8)).astype(np.int8)
    C = np.zeros((8, 8), np.int16)
    assert Interpreter(int8_matmul_module(8, 8, 64))(A, B, C) is None
    exact = A.astype(np.int64) @ B.astype(np.int64)
    assert np.abs(exact).max() > 2**15  # the test really wraps
    assert np.array_equal(C, ((exact + 2**15) % 2**16 - 2**15).astype(np.int16))


def test_calls_with_subviews_scalars_and_tuple_returns():
    # row_scale(R: int32[4], s: int32) -> int32: R[j] *= s, returns sum(R)
    row_body = [Alloc("acc", int32[()], None),
                loop("j", 4, [Store("R", (j,), Op("mul", (Load("R", (j,), int32), Var("s", int32)), int32)),
                              Store("acc", (), Op("add", (Load("acc", (), int32), Load("R", (j,), int32)), int32))]),
                Return([Load("acc", (), int32)])]
    row = Func("row_scale", [Param("R", int32[4]), Param("s", int32)], [int32], row_body)
    top_body = [Alloc("tot", int32[3]), Alloc("r", int32[()]),
                loop("i", 3, [Call("row_scale", [BufRef("A", (i,)), Op("cast", (i,), int32)], ["r"]),
                              Store("tot", (i,), Load("r", (), int32))]),
                Return([BufRef("tot"), Load("r", (), int32)])]
    top = Func("top", [Param("A", int32[3, 4])], [int32[3], int32], top_body)
    A = np.arange(12, dtype=np.int32).reshape(3, 4)
    tot, last = Interpreter(Module({"top": top, "row_scale": row}, "top"))(A)
    assert np.array_equal(A, np.arange(12).reshape(3, 4) * np.arange(3)[:, None])
    assert np.array_equal(tot, A.sum(axis=1)) and last == A[2].sum()
    assert isinstance(last, np.int32)


def test_while_if_and_loop_steps():
    # n = 0; while n < 10: n += 3;  out[0] = n; for i in range(1, 8, 3): out[i] = i if i > 3 else -i
    n = Load("n", (), int32)
    body = [Alloc("n", int32[()], Const(0, int32)),
            While(Op("lt", (n, Const(10, int32)), bool_), [Store("n", (), Op("add", (n, Const(3, int32)), int32))]),
            Store("out", (C0,), n),
            loop("i", 8, [If(Op("gt", (i, Const(3, index)), bool_),
                             [Store("out", (i,), Op("cast", (i,), int32))],
                             [Store("out", (i,), Op("cast", (Op("neg", (i,), index),), int32))])], lo=1, step=3)]
    f = Func("f", [Param("out", int32[8])], [], body)
    out = np.full(8, 99, np.int32)
    Interpreter(Module({"f": f}, "f"))(out)
    assert out.tolist() == [12, -1, 99, 99, 4, 99, 99, 7]


def test_streams_fifo_order_and_deadlock():
    T = Stream[int32, 4]
    put = loop("i", 4, [StreamPut("q", (C1,), Op("cast", (i,), int32))])
    get = loop("j", 4, [Store("out", (j,), StreamGet("q", (C1,), int32))])
    f = Func("f", [Param("out", int32[4])], [], [Alloc("q", T[2]), put, get])
    out = np.zeros(4, np.int32)
    Interpreter(Module({"f": f}, "f"))(out)
    assert out.tolist() == [0, 1, 2, 3]
    g = Func("g", [Param("out", int32[4])], [], [Alloc("q", T[2]), get, put])
    with pytest.raises(AlloError, match="empty stream 'q\\[1\\]'.*deadlock"):
        Interpreter(Module({"g": g}, "g"))(out)


def test_stream_passed_to_callee_as_subview():
    T = Stream[int32, 2]
    producer = Func("producer", [Param("s", T)], [],
                    [loop("i", 3, [StreamPut("s", (), Op("cast", (i,), int32))])])
    consumer = Func("consumer", [Param("s", T), Param("out", int32[3])], [],
                    [loop("i", 3, [Store("out", (i,), Op("mul", (StreamGet("s", (), int32), Const(2, int32)), int32))])])
    top = Func("top", [Param("out", int32[3])], [],
               [Alloc("fifo", T[2]), Call("producer", [BufRef("fifo", (C1,))]),
                Call("consumer", [BufRef("fifo", (C1,)), BufRef("out")])])
    out = np.zeros(3, np.int32)
    Interpreter(Module({"top": top, "producer": producer, "consumer": consumer}, "top"))(out)
    assert out.tolist() == [0, 2, 4]


def test_alloc_constant_table_and_fixed_point_buffers():
    q = Fixed(16, 8)
    table = np.array([0.5, -1.25, 3.0])
    body = [Alloc("w", q[3], table),
            loop("i", 3, [Store("out", (i,), Op("mul", (Load("x", (i,), q), Load("w", (i,), q)), q))])]
    f = Func("f", [Param("x", q[3]), Param("out", q[3])], [], body)
    x, out = np.array([2.0, 0.5, -0.75]), np.zeros(3)
    Interpreter(Module({"f": f}, "f"))(x, out)
    assert out.tolist() == [1.0, -0.625, -2.25]


def test_out_of_bounds_index_is_an_error():
    # provably out-of-range affine indices are ill-formed IR (rejected before running)
    f = Func("f", [Param("A", int32[4])], [], [loop("i", 5, [Store("A", (i,), Const(1, int32))])])
    with pytest.raises(AlloError, match="outside the dimension's extent 4"):
        Interpreter(Module({"f": f}, "f"))
    # a non-affine index is checked when it runs: i*i reaches 4 at i = 2
    square = Op("mul", (i, i), index)
    g = Func("g", [Param("A", int32[4])], [], [loop("i", 3, [Store("A", (square,), Const(1, int32))])])
    with pytest.raises(AlloError, match="out of bounds for buffer 'A'"):
        Interpreter(Module({"g": g}, "g"))(np.zeros(4, np.int32))
    h = Func("h", [Param("A", int32[4]), Param("k", index)], [int32],
             [Return([Load("A", (Op("sub", (Var("k", index), C1), index),), int32)])])
    with pytest.raises(AlloError, match=r"index \(-1,\)"):
        Interpreter(Module({"h": h}, "h"))(np.zeros(4, np.int32), 0)


def test_run_func_works_on_containers_in_place():
    m = int8_matmul_module(2, 2, 2)
    A = np.array([[1, 2], [3, 4]], np.int8)
    C = np.zeros((2, 2), np.int16)
    assert run_func(m, "matmul", [A, A, C]) == []
    assert np.array_equal(C, (A.astype(int) @ A.astype(int)).astype(np.int16))
