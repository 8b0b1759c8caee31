"""LLVM index checks: out-of-range indices raise AlloError (like the interpreter); indices
provably in range (affine/tiled/triangular loop nests) carry no run-time check."""

import allo
import numpy as np
import pytest

from allo.backends.llvm import build
from allo.ir.index import IndexRanges
from allo.backends.llvm.codegen import emit_module
from allo.errors import AlloError
from allo.ir.nodes import (Alloc, BufRef, Call, Const, For, Func, Load, Module, Op, Param,
                           Return, Store, StreamGet, StreamPut, Var)
from allo.ir.types import StreamType, float32, index, int32, int64, uint8


def gather(A: int32[4], I: int32[4]) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        B[i] = A[I[i]]
    return B


def scatter(A: int32[4], I: int32[4]) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        B[I[i]] = A[i]
    return B


def gather2d(A: int32[3, 4], I: int32[2]) -> int32[2]:
    B: int32[2] = 0
    for i in range(2):
        B[i] = A[1, I[i]]
    return B


def unsigned_index(A: int32[200], I: uint8[2]) -> int32[2]:
    B: int32[2] = 0
    for i in range(2):
        B[i] = A[I[i]]
    return B


def test_data_dependent_load_out_of_range_raises_like_the_interpreter():
    s = allo.customize(gather)
    A, I = np.arange(4, dtype=np.int32), np.array([0, 1, 7, 2], np.int32)
    with pytest.raises(AlloError, match="out of bounds"):
        s.build(target="interp")(A, I.copy())
    with pytest.raises(AlloError) as err:
        s.build()(A, I.copy())
    msg = str(err.value)
    assert "index 7 out of range for A of extent 4 (dim 1)" in msg
    assert "A[I[i]]" in msg  # the source line of the failing access


def test_in_range_data_dependent_indices_still_work():
    A, I = np.arange(10, 14, dtype=np.int32), np.array([3, 0, 0, 2], np.int32)
    assert allo.customize(gather).build()(A, I).tolist() == [13, 10, 10, 12]


def test_negative_index_and_store_are_checked():
    mod = allo.customize(scatter).build()
    with pytest.raises(AlloError, match="index -1 out of range for B of extent 4 .dim 1."):
        mod(np.arange(4, dtype=np.int32), np.array([0, -1, 2, 3], np.int32))
    with pytest.raises(AlloError, match="index 4 out of range for B"):
        mod(np.arange(4, dtype=np.int32), np.array([4, 0, 0, 0], np.int32))


def test_second_dimension_is_named():
    mod = allo.customize(gather2d).build()
    with pytest.raises(AlloError, match="index 4 out of range for A of extent 4 .dim 2."):
        mod(np.zeros((3, 4), np.int32), np.array([0, 4], np.int32))
    # a flat offset of A[1, 4] would be in the buffer: the check is per dimension
    assert mod(np.arange(12, dtype=np.int32).reshape(3, 4), np.array([3, 0], np.int32)).tolist() == [7, 4]


def test_unsigned_index_above_the_signed_range():
    mod = allo.customize(unsigned_index).build()
    A = np.arange(200, dtype=np.int32)
    assert mod(A, np.array([199, 150], np.uint8)).tolist() == [199, 150]
    with pytest.raises(AlloError, match="index 250 out of range for A of extent 200"):
        mod(A, np.array([250, 0], np.uint8))


# ------------------------------------------------------------ hand-built IR
i, j = Var("i", index), Var("j", index)
c = lambda v: Const(v, index)  # noqa: E731


def _module(*funcs):
    return Module({f.name: f for f in funcs}, funcs[-1].name)


def test_callee_failure_stops_the_caller():
    # callee writes X[k] for a data-dependent k; the caller then writes its output
    k = Var("k", int32)
    callee = Func("put", [Param("X", int32[4]), Param("k", int32)], [],
                  [Store("X", (Op("cast", (k,), index),), Const(1, int32))])
    top = Func("top", [Param("X", int32[4]), Param("K", int32[2]), Param("Y", int32[1])], [],
               [For("i", c(0), c(2), 1, [Call("put", [BufRef("X"), Load("K", (i,), int32)])]),
                Store("Y", (c(0),), Const(9, int32))])
    mod = build(_module(callee, top))
    X, Y = np.zeros(4, np.int32), np.zeros(1, np.int32)
    with pytest.raises(AlloError, match="index 5 out of range for X of extent 4 .dim 1. in "
                                        "function 'put'"):
        mod(X, np.array([1, 5], np.int32), Y)
    assert X.tolist() == [0, 1, 0, 0] and Y.tolist() == [0]  # stopped at the failure
    mod(X, np.array([2, 3], np.int32), Y)
    assert X.tolist() == [0, 1, 1, 1] and Y.tolist() == [9]


def test_subview_prefix_and_stream_index_are_checked():
    row = Func("row", [Param("R", int32[4])], [], [Store("R", (c(0),), Const(7, int32))])
    p = Var("p", index)
    top = Func("top", [Param("A", int32[3, 4]), Param("p", index)], [],
               [Call("row", [BufRef("A", (p,))])])
    mod = build(_module(row, top))
    A = np.zeros((3, 4), np.int32)
    mod(A, 2)
    assert A[2, 0] == 7
    with pytest.raises(AlloError, match="index 3 out of range for A of extent 3 .dim 1."):
        mod(A, 3)
    S = StreamType(int32, 2)
    q = Func("q", [Param("p", index), Param("Y", int32[1])], [],
             [Alloc("S", S[2]), StreamPut("S", (c(1),), Const(5, int32)),
              Store("Y", (c(0),), StreamGet("S", (p,), int32))])
    smod = build(_module(q))
    Y = np.zeros(1, np.int32)
    smod(1, Y)
    assert Y[0] == 5
    with pytest.raises(AlloError, match="index 2 out of range for S of extent 2"):
        smod(2, Y)


def _gemm(n):
    body = [Store("C", (i, j), Op("add", (Load("C", (i, j), float32),
                                          Load("A", (i, j), float32)), float32))]
    nest = For("i", c(0), c(n), 1, [For("j", c(0), c(n), 1, body)])
    return _module(Func("g", [Param("A", float32[n, n])], [float32[n, n]],
                        [Alloc("C", float32[n, n]), nest, Return([BufRef("C")])]))


def test_affine_tiled_and_triangular_nests_have_no_checks():
    assert "oob." not in emit_module(_gemm(16))
    # tiled: A[io * 4 + ii] for io < 4, ii < 4; triangular: A[j] for j < i + 1 <= 8
    io, ii = Var("io", index), Var("ii", index)
    tiled = Func("t", [Param("A", int32[16])], [],
                 [For("io", c(0), c(4), 1, [For("ii", c(0), c(4), 1, [
                     Store("A", (Op("add", (Op("mul", (io, c(4)), index), ii), index),),
                           Const(1, int32))])])])
    tri = Func("tri", [Param("A", int32[8]), Param("B", int32[8, 8])], [],
               [For("i", c(0), c(8), 1, [For("j", c(0), Op("add", (i, c(1)), index), 1, [
                   Store("B", (i, j), Load("A", (j,), int32))])]),
                For("i", c(7), c(-1), -1, [Store("A", (Op("mod", (i, c(8)), index),),
                                                 Const(0, int32))])])
    assert "oob." not in emit_module(_module(tiled))
    assert "oob." not in emit_module(_module(tri))
    # one step too far is checked (build() itself rejects this statically, see verify_ir)
    over = Func("o", [Param("A", int32[16])], [],
                [For("io", c(0), c(4), 1, [For("ii", c(0), c(5), 1, [
                    Store("A", (Op("add", (Op("mul", (io, c(4)), index), ii), index),),
                          Const(1, int32))])])])
    assert "oob." in emit_module(_module(over))


def test_interval_analysis_refuses_what_may_wrap_or_is_unknown():
    r = IndexRanges()
    r.bind("i", (0, 3))
    x = Var("x", int64)
    assert not r.within(x, 100)                       # not a loop variable
    assert r.within(Op("floordiv", (i, c(2)), index), 2)
    assert not r.within(Op("sub", (i, c(1)), index), 4)
    big = Op("mul", (Op("cast", (i,), uint8), Const(100, uint8)), uint8)
    assert r.interval(big) is None                    # 300 wraps in uint8
    assert r.loop_range(For("j", c(2), c(2), 1, [])) is not None  # empty loop: anything
