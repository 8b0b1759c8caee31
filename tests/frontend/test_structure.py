"""IR structure of the seed's kernels: loops, bands, names, casts, calls."""

import allo.builtins as allo
from allo.frontend import parse
from allo.ir.nodes import Alloc, BufRef, Call, Const, For, Load, Op, Return, Store, Var
from allo.ir.types import Int, float32, index, int8, int16, int32
from seed_kernels import make_gemm, make_matmul

M, N, K = 4, 6, 8


gemm = make_gemm(M, N, K)
matmul = make_matmul(M, N, K)


def nest(i_: For):
    out = [i_]
    while len(out[-1].body) == 1 and isinstance(out[-1].body[0], For):
        out.append(out[-1].body[0])
    return out


def test_gemm_ir():
    m = parse(gemm)
    assert m.top == "gemm" and list(m.funcs) == ["gemm"]
    f = m.top_func
    assert [(p.name, p.type) for p in f.params] == [("A", float32[M, K]), ("B", float32[K, N])]
    assert f.results == [float32[M, N]]
    alloc, loop, ret = f.body
    assert isinstance(alloc, Alloc) and alloc.name == "C" and alloc.type == float32[M, N]
    assert alloc.init == Const(0.0, float32)
    loops = nest(loop)
    assert [(l.var, l.name, l.band) for l in loops] == [
        ("i", "i", "S_i_j_k_0"), ("j", "j", "S_i_j_k_0"), ("k", "k", "S_i_j_k_0")]
    assert [l.hi for l in loops] == [Const(M, index), Const(N, index), Const(K, index)]
    assert all(l.lo == Const(0, index) and l.step == 1 for l in loops)
    (store,) = loops[-1].body
    i, j, k = (Var(v, index) for v in "ijk")
    assert isinstance(store, Store) and (store.buffer, store.indices) == ("C", (i, j))
    assert store.value == Op("add", (
        Load("C", (i, j), float32),
        Op("mul", (Load("A", (i, k), float32), Load("B", (k, j), float32)), float32)), float32)
    assert ret.values == [BufRef("C")]


def test_matmul_systolic_ir():
    f = parse(matmul).top_func
    assert f.results == []
    (loop,) = f.body
    i_loop, j_loop, k_loop = nest(loop)
    assert (i_loop.band, j_loop.band) == ("PE", "PE")
    assert (k_loop.name, k_loop.band) == ("k", "S_k_1")
    (store,) = k_loop.body
    i, j, k = (Var(v, index) for v in "ijk")
    def c(e, t):
        return Op("cast", (e,), t)
    # homogeneous ops: int8 * int8 -> int16 (operands cast), int16 + int16 -> int17
    prod = Op("mul", (c(Load("A", (i, k), int8), int16), c(Load("B", (k, j), int8), int16)),
              int16)
    total = Op("add", (c(Load("C", (i, j), int16), Int(17)), c(prod, Int(17))), Int(17))
    assert store.value == Op("cast", (total,), int16)


def top(X: int8[M, K], W: int8[K, N]) -> int16[M, N]:
    Y: int16[M, N] = 0
    matmul(X, W, Y)
    Z = gemm8(X, W)
    for i, j in allo.grid(M, N):
        Y[i, j] += Z[i, j]
    return Y


def gemm8(A: int8[M, K], B: int8[K, N]) -> int16[M, N]:
    C: int16[M, N] = 0
    matmul(A, B, C)
    return C


def test_hierarchy_kept():
    m = parse(top)
    assert m.top == "top" and set(m.funcs) == {"top", "matmul", "gemm8"}
    body = m.top_func.body
    assert isinstance(body[1], Call) and body[1].callee == "matmul"
    assert body[1].args == [BufRef("X"), BufRef("W"), BufRef("Y")] and body[1].results == []
    assert isinstance(body[2], Alloc) and body[2].name == "Z" and body[2].type == int16[M, N]
    assert body[3].callee == "gemm8" and body[3].results == ["Z"]
    assert nest(body[4])[0].band == "S_i_j_0"


def pe(A: int8[K], B: int8[K], C: int16[1]):
    for k in range(K):
        C[0] += A[k] * B[k]


def rows(A: int8[M, K], B: int8[N, K], C: int16[M, N, 1]):
    for i, j in allo.grid(M, N, name="PE"):
        pe(A[i], B[j], C[i, j])


def test_subview_arguments():
    m = parse(rows)
    loops = nest(m.top_func.body[0])
    assert [l.band for l in loops] == ["PE", "PE"]
    (call,) = loops[-1].body
    i, j = Var("i", index), Var("j", index)
    assert call.args == [BufRef("A", (i,)), BufRef("B", (j,)), BufRef("C", (i, j))]
    assert "pe" in m.funcs


def bands(A: int32[M, N]):
    for i in range(M):
        for j in range(N, name="inner"):
            A[i, j] = 0
    for i, j in allo.grid(M, N):
        A[i, j] += 1
    for k in allo.reduction(N):
        A[0, 0] += k


def test_band_naming_and_reduction():
    loops = parse(bands).top_func.loops()
    assert [(l.name, l.band) for l in loops] == [
        ("i", "S_i_0"), ("j", "inner"), ("i", "S_i_j_2"), ("j", "S_i_j_2"), ("k", "S_k_3")]
    assert loops[-1].attrs == {"reduction": True}
    assert all("reduction" not in l.attrs for l in loops[:-1])
