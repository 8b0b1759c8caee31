"""buffer_at: the seed's stepwise GEMM and systolic buffers, results, refusals."""

import numpy as np
import pytest

import allo
from allo.errors import ScheduleError
from allo.ir.nodes import Alloc, For, Store, Var, walk_stmts
from allo.ir.types import float32, index, int8, int16, int32
from allo.primitives.base import BufferHandle, loop_sites
from allo.backends.interp import Interpreter
from seed_kernels import make_gemm, make_matmul

M, N, K = 4, 5, 3


gemm = make_gemm(M, N, K)
matmul = make_matmul(M, N, K)


def guarded(A: int32[8], B: int32[8]):
    for i in range(8):
        for r in range(2):
            if i + r < 8:
                B[i] += A[i + r]


def indirect(A: int32[8], P: int32[8], B: int32[8]):
    for i in range(8):
        for r in range(2):
            B[i] += A[P[r]]


def callee(X: int32[8]):
    for t in range(8):
        X[t] = X[t] + 1


def caller(A: int32[4, 8]):
    for i in range(4):
        callee(A[i])


def two_rows(A: int32[4, 8], B: int32[4, 8]):
    for i in range(4):
        for j in range(8):
            B[i, j] = A[i, j] + A[0, j]


def two_nests(A: int32[8], B: int32[8]):
    for i in range(8):
        A[i] = i
    for j in range(8):
        B[j] = A[j]


def allocs(s):
    return {st.name: st.type for st in walk_stmts(s.ir.top_func.body) if isinstance(st, Alloc)}


def loop_of(s, name):
    return next(site.loop for site in loop_sites(s.ir.top_func) if site.loop.name == name)


def gemm_inputs():
    rng = np.random.default_rng(1)
    return rng.random((M, K), dtype=np.float32), rng.random((K, N), dtype=np.float32)


def matmul_inputs():
    rng = np.random.default_rng(2)
    A = rng.integers(-100, 100, (M, K)).astype(np.int8)
    B = rng.integers(-100, 100, (K, N)).astype(np.int8)
    return A, B


def test_seed_stepwise_gemm():
    s = allo.customize(gemm)
    s.reorder("k", "j")
    handle = s.buffer_at(s.C, axis="i")
    s.pipeline("j")
    text = str(s.module)
    assert handle == BufferHandle("gemm", "C_buf")
    assert allocs(s)["C_buf"] == float32[N]
    assert "%C_buf = memref.alloc()" in text and "memref<5xf32>" in text
    # init first in i's body, then the k loop, then the write-back
    body = loop_of(s, "i").body
    assert isinstance(body[0], Alloc) and body[0].name == "C_buf"
    kinds = [b.name for b in body if isinstance(b, For)]
    assert kinds == ["C_init_0", "k", "C_wb_0"]
    assert 'loop_name = "C_wb_0"' in text and "pipeline_ii = 1" in text
    # accesses of C inside the k loop go to C_buf[j]
    stores = [st for st in walk_stmts(loop_of(s, "k").body) if isinstance(st, Store)]
    assert [st.buffer for st in stores] == ["C_buf"]
    A, B = gemm_inputs()
    assert np.array_equal(Interpreter(s.original)(A, B), s.build(target="interp")(A, B))
    cert = s.history[1]
    assert cert.rule == "memory.buffer_at" and cert.checked
    assert any(c.status == "proved" for c in cert.conditions)
    assert s.verify()


def test_seed_stepwise_gemm_llvm():
    s = allo.customize(gemm)
    s.reorder("k", "j")
    s.buffer_at(s.C, axis="i")
    A, B = gemm_inputs()
    assert np.array_equal(Interpreter(s.original)(A, B), s.build()(A, B))


def test_systolic_buffers_of_A_and_B():
    s = allo.customize(matmul)
    buf_a = s.buffer_at(s.A, "j")
    buf_b = s.buffer_at(s.B, "j")
    assert (buf_a.name, buf_b.name) == ("A_buf", "B_buf")
    types = allocs(s)
    assert types["A_buf"] == int8[K] and types["B_buf"] == int8[K]
    # read-only: init nests only, no write-back into A or B
    assert not [st for st in walk_stmts(s.ir.top_func.body)
                if isinstance(st, Store) and st.buffer in ("A", "B")]
    init_a = loop_of(s, "A_init_0").body[0]
    assert init_a.value.buffer == "A"
    assert init_a.value.indices == (Var("i", index), Var("A_init_0", index))  # A[i, 0..K)
    init_b = loop_of(s, "B_init_0").body[0]
    assert init_b.value.indices == (Var("B_init_0", index), Var("j", index))  # B[0..K), j]
    A, B = matmul_inputs()
    C0, C1 = np.zeros((M, N), np.int16), np.zeros((M, N), np.int16)
    Interpreter(s.original)(A, B, C0)
    s.build(target="interp")(A, B, C1)
    assert np.array_equal(C0, C1)
    assert np.array_equal(C1, (A.astype(np.int16) @ B.astype(np.int16)).astype(np.int16))


def test_systolic_after_reorder_buffers_C_column():
    s = allo.customize(matmul)
    s.reorder("k", "j", "i")
    assert [l.name for l in s.get_loops()["PE"]] == ["k", "j", "i"]  # i: a nested band, listed too
    s.buffer_at(s.C, "j")
    assert allocs(s)["C_buf"] == int16[M]
    names = [b.name for b in loop_of(s, "j").body if isinstance(b, For)]
    assert names == ["C_init_0", "i", "C_wb_0"]
    A, B = matmul_inputs()
    C0, C1 = np.ones((M, N), np.int16), np.ones((M, N), np.int16)
    Interpreter(s.original)(A, B, C0)
    s.build(target="interp")(A, B, C1)
    assert np.array_equal(C0, C1)


def test_fixed_index_everywhere_gives_a_scalar_buffer():
    s = allo.customize(gemm)
    s.buffer_at(s.C, "j")  # loops i, j, k: C[i, j] is one element per j iteration
    assert allocs(s)["C_buf"].shape == ()
    A, B = gemm_inputs()
    assert np.array_equal(Interpreter(s.original)(A, B), s.build(target="interp")(A, B))


def test_refuses_box_outside_target_naming_the_iteration():
    s = allo.customize(guarded)
    with pytest.raises(ScheduleError) as err:
        s.buffer_at(s.A, "i")
    msg = str(err.value)
    assert "leaves the extent (8,) of A" in msg and "i=7" in msg
    assert len(s.history) == 0  # the schedule is untouched


def test_refuses_non_affine_index_unless_unchecked():
    s = allo.customize(indirect)
    with pytest.raises(ScheduleError) as err:
        s.buffer_at(s.A, "i")
    assert "A[P[r]]" in str(err.value) or "not affine" in str(err.value)
    s.buffer_at(s.A, "i", unchecked=True)  # the whole dimension is buffered
    assert allocs(s)["A_buf"] == int32[8]
    assert not s.history[-1].checked
    rng = np.random.default_rng(3)
    A, P = rng.integers(-50, 50, 8).astype(np.int32), rng.integers(0, 8, 8).astype(np.int32)
    B0, B1 = np.zeros(8, np.int32), np.zeros(8, np.int32)
    Interpreter(s.original)(A, P, B0)
    s.build(target="interp")(A, P, B1)
    assert np.array_equal(B0, B1)


def test_refuses_buffer_passed_to_a_call():
    s = allo.customize(caller)
    with pytest.raises(ScheduleError, match="passed to call 'callee'"):
        s.buffer_at(s.A, "i")


def test_refuses_accesses_that_do_not_form_one_box():
    s = allo.customize(two_rows)
    with pytest.raises(ScheduleError) as err:
        s.buffer_at(s.A, "i")
    msg = str(err.value)
    assert "A[i, j]" in msg and "A[0, j]" in msg and "different outer loop variables" in msg
    s2 = allo.customize(two_nests)
    with pytest.raises(ScheduleError, match="B is not accessed inside loop 'i'"):
        s2.buffer_at(s2.B, "i")


def test_refuses_unknown_loop_and_buffer_outside_loop():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError, match="no loop named"):
        s.buffer_at(s.C, "q")
    with pytest.raises(ScheduleError, match="no buffer named"):
        s.buffer_at("gemm:Z", "i")


def local_inside(A: int32[4, 8]) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        row: int32[8] = 0
        for j in range(8):
            row[j] = A[i, j] * 2
        for j2 in range(8):
            B[i] += row[j2]
    return B


def test_buffer_declared_inside_the_loop():
    s = allo.customize(local_inside)
    with pytest.raises(ScheduleError, match="row is declared inside loop 'i'"):
        s.buffer_at(s.row, "i")
    s.buffer_at(s.A, "i")  # the row of A one iteration reads
    assert allocs(s)["A_buf"] == int32[8]
    A = np.arange(32, dtype=np.int32).reshape(4, 8)
    assert np.array_equal(Interpreter(s.original)(A), s.build(target="interp")(A))
