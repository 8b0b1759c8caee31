"""A caller's constant fill forwarded into the first task, and dead fills of a dataflow
region (allo/primitives/dataflow_fill.py)."""

import re

import numpy as np
import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

import allo
from allo.backends.interp import Interpreter
from allo.errors import AlloError, ScheduleError
from allo.ir.sites import first_task, task_scope
from allo.ir.nodes import Const, For, Load, Store, Var
from allo.ir.types import index, int32
from allo.primitives.deps import collect_accesses, flow_dependence_queries
from allo.schedule import Schedule
from allo.testing import filled_nest_kernels

M = N = K = 4


def matmul(A: int32[M, K], B: int32[K, N], C: int32[M, N]):
    for i, j in allo.grid(M, N, "PE"):
        for k in range(K):
            C[i, j] += A[i, k] * B[k, j]


def matmul_acc(A: int32[M, K], B: int32[K, N], C: int32[M, N]):
    for i, j in allo.grid(M, N, "PE"):
        acc: int32 = 0
        for k in range(K):
            acc += A[i, k] * B[k, j]
        C[i, j] = acc


def mixed(X: int32[M, K], W_A: int32[K, N], W_B: int32[N, K]) -> int32[M, K]:
    Y: int32[M, N] = 0
    Z: int32[M, K] = 0
    matmul_acc(X, W_A, Y)
    matmul(Y, W_B, Z)
    return Z


def hls_top(code: str, name: str) -> str:
    return code[code.index(f"void {name}("):]


def test_the_fill_of_an_output_the_consumer_reads_back_moves_into_the_consumer(tmp_path):
    # the consumer accumulates into Z in place (not privatised): its reads at k >= 1 see its
    # own writes, so the fill cannot be forwarded; it moves into the consumer instead, which
    # first writes 0 to every element of C, and Z has one writer in the region
    s_mm = allo.customize(matmul)
    s_mm.buffer_at(s_mm.A, "i")
    s_acc = allo.customize(matmul_acc)
    s = allo.customize(mixed)
    s.compose(s_mm)
    s.compose(s_acc)
    s.to(s.Y, "matmul")
    assert s.ir.top_func.attrs["dead_fill"].keys() == {"Z"}
    assert "the fill of 'Z' moved into 'matmul'" in {c.name for c in s.history[-1].conditions}
    fill = s.ir.funcs["matmul"].body[0]
    assert isinstance(fill, For) and fill.attrs["fill_of"] == "C"
    code = str(s.build(target="vhls"))
    top_code = hls_top(code, "mixed")
    assert "#pragma HLS dataflow" in top_code and "l_init_Z" not in top_code
    assert "l_C_fill_0" in code[code.index("void matmul("):code.index("void mixed(")]
    assert s.verify().status == "equivalent"
    rng = np.random.default_rng(0)
    X, WA, WB = (rng.integers(-9, 9, (4, 4)).astype(np.int32) for _ in range(3))
    assert np.array_equal(s.build(target="llvm")(X, WA, WB), (X @ WA) @ WB)
    mod = s.build(target="vitis_hls", mode="csim", project=str(tmp_path / "mixed.prj"))
    out = np.zeros((4, 4), np.int32)
    mod(X, WA, WB, out)
    assert np.array_equal(out, (X @ WA) @ WB)


def write_all(X: int32[M, N], Y: int32[M, N]):
    for i, j in allo.grid(M, N):
        Y[i, j] = X[i, j] * 2


def write_column(X: int32[M, N], Y: int32[M, N]):
    for i in range(M):
        Y[i, 0] = X[i, 0]


def region(X: int32[M, N]) -> int32[M, N]:
    F: int32[M, N] = 0
    P: int32[M, N] = 7
    Z: int32[M, N] = 0
    write_all(X, F)
    write_column(X, P)
    for i, j in allo.grid(M, N):
        Z[i, j] = F[i, j] + P[i, j]
    return Z


def test_dataflow_drops_or_moves_the_fills_so_each_array_has_one_writer():
    s = allo.customize(region)
    s.dataflow("region")
    # F: write_all writes all 16 elements once (z3): the fill is dead; P: write_column
    # writes 4 of 16, so the other 12 need the fill 7: it moves into write_column, which
    # writes 7 everywhere first; Z: the loop nest writes every element
    assert sorted(s.ir.top_func.attrs["dead_fill"]) == ["F", "P", "Z"]
    names = {c.name for c in s.history[-1].conditions}
    assert {"every element of 'F' is written once", "every write of 'F' is in bounds",
            "the fill of 'P' moved into 'write_column'"} <= names
    assert "the fill of 'F' moved into 'write_all'" not in names
    code = str(s.build(target="vhls"))
    top_code = hls_top(code, "region")
    assert not re.search(r"l_init_[FPZ]\b", top_code)
    assert "l_Y_fill_0" in code[code.index("void write_column("):]
    assert s.verify().status == "equivalent"
    X = np.arange(16, dtype=np.int32).reshape(4, 4)
    expected = X * 2 + 7
    expected[:, 0] = X[:, 0] * 2 + X[:, 0]
    assert np.array_equal(s.build(target="llvm")(X), expected)


def scale_in_place(X: int32[M, N], Z: int32[M, N]):
    T: int32[M, N] = 3
    for i, j in allo.grid(M, N):
        T[i, j] = T[i, j] * X[i, j]       # reads the fill, then writes the element
    for i2, j2 in allo.grid(M, N):
        Z[i2, j2] = T[i2, j2] + 1


def running_row(X: int32[M, N], Z: int32[M, N]):
    T: int32[M, N] = 1
    for i, j in allo.grid(M, N):
        T[i, j] = T[i, 0] + X[i, j]       # j >= 1 reads T[i, 0], written at j = 0
    for i2, j2 in allo.grid(M, N):
        Z[i2, j2] = T[i2, j2]


def test_a_loop_nest_reading_the_fill_before_writing_gets_it_forwarded():
    s = allo.customize(scale_in_place)
    s.dataflow("scale_in_place")
    nest = s.ir.top_func.body[1]
    assert isinstance(nest, For)
    assert not [x for x in collect_accesses([nest]) if x.buffer == "T" and not x.write]
    assert s.ir.top_func.attrs["dead_fill"].keys() == {"T"}
    assert s.verify().status == "equivalent"
    X = np.arange(16, dtype=np.int32).reshape(4, 4)
    Z = np.zeros((4, 4), np.int32)
    s.build(target="llvm")(X, Z)
    assert np.array_equal(Z, 3 * X + 1)


def test_a_nest_reading_its_own_writes_keeps_the_fill():
    # forwarding here would make T[i, j] = 1 + X[i, j]; the read at j >= 1 sees the write
    # at j = 0, so the fill stays and the result is the sequential one
    s = allo.customize(running_row)
    s.dataflow("running_row")
    assert "dead_fill" not in s.ir.top_func.attrs
    assert "l_init_T" in hls_top(str(s.build(target="vhls")), "running_row")
    X = np.arange(16, dtype=np.int32).reshape(4, 4)
    Z = np.zeros((4, 4), np.int32)
    s.build(target="llvm")(X, Z)
    assert np.array_equal(Z, 1 + X[:, :1] + X * (np.arange(4) > 0))


def test_flow_dependences_follow_program_order_across_sibling_nests():
    i, j = Var("i", index), Var("j", index)
    zero, four = Const(0, index), Const(4, index)
    read_first = [For("i", zero, four, 1, [Store("B", (i,), Load("A", (i,), int32))]),
                  For("j", zero, four, 1, [Store("A", (j,), Const(1, int32))])]
    write_first = list(reversed(read_first))

    def dependences(body):
        found = []
        for _, constraints, witness, _ in flow_dependence_queries(collect_accesses(body), "A"):
            solver = z3.Solver()
            solver.add(*constraints)
            if solver.check() == z3.sat:
                found.append(witness(solver.model()))
        return found

    assert dependences(read_first) == []          # every read runs before the nest that writes
    (found,) = dependences(write_first)
    assert "the write of A[j]" in found and "before the read of A[i]" in found


def test_a_later_rewrite_that_reads_the_buffer_brings_the_fill_back():
    # buffer_at(Z, "i") after the marking copies Z's row into Z_buf before writing it: the
    # first task now reads Z, so the HLS code fills it again rather than trust the old proof
    s = allo.customize(region)
    s.dataflow("region")
    assert "Z" in s.ir.top_func.attrs["dead_fill"]
    s.buffer_at(s.Z, "region:i")
    top_code = hls_top(str(s.build(target="vhls")), "region")
    assert "l_init_Z" in top_code and "l_init_F" not in top_code


def test_a_dead_fill_is_omitted_only_for_the_code_it_was_proved_on():
    # the mark keeps the fingerprint of its first task and what it calls: write_all edited
    # afterwards to write only the first row (still reading nothing of F) is not the task
    # the proof was about, so the HLS code fills F again instead of leaving 12 elements
    # unwritten
    s = allo.customize(region)
    s.dataflow("region")
    assert "l_init_F" not in hls_top(str(s.build(target="vhls")), "region")
    rows = next(l for l in s.ir.funcs["write_all"].loops() if l.var == "i")
    rows.hi = Const(1, index)  # an edit no primitive made (the gate would refuse it)
    top_code = hls_top(str(s.build(target="vhls", verify=False)), "region")
    assert "l_init_F" in top_code and "l_init_Z" not in top_code


def test_a_depth_change_keeps_a_stale_mark_stale():
    # rekey_fills (the retype of a stream's depth in `to`) re-took the fingerprint of every
    # mark of the function, so a mark already stale from an earlier rewrite of its first
    # task became valid for the rewritten code and the HLS code dropped a needed fill
    # (regression: only marks that matched before the depth change are re-taken)
    from allo.primitives.dataflow_fill import rekey_fills

    s = allo.customize(region)
    s.dataflow("region")
    top = s.ir.top_func
    rows = next(l for l in s.ir.funcs["write_all"].loops() if l.var == "i")
    rows.hi = Const(1, index)  # the first task of F now writes one row only
    rekey_fills(s.ir, top, lambda: None)  # a depth change elsewhere in the function
    top_code = hls_top(str(s.build(target="vhls", verify=False)), "region")
    assert "l_init_F" in top_code and "l_init_Z" not in top_code


# ------------------------------------------------------------------ property: random nests
SIZE = 8


def _run(module, X):
    Z = np.zeros(SIZE, np.int32)
    Interpreter(module)(X.copy(), Z)
    return Z


@settings(max_examples=60, deadline=None)
@given(filled_nest_kernels(SIZE), st.lists(st.integers(-50, 50), min_size=SIZE, max_size=SIZE))
def test_forwarded_and_dead_fills_keep_the_program(module, xs):
    # dataflow forwards T's fill into the first nest where its reads precede its writes and
    # marks the fill dead where that nest writes every element: the program computes the
    # same Z, and a dead fill is unobserved (another fill value gives the same Z)
    X = np.array(xs, np.int32)
    s = Schedule(module.copy())
    s.dataflow("k")
    assert np.array_equal(_run(s.ir, X), _run(module, X))
    if "T" in s.ir.top_func.attrs.get("dead_fill", ()):
        other = s.ir.copy()
        other.top_func.body[0].init = Const(41, int32)
        assert np.array_equal(_run(other, X), _run(module, X))


def nests_acc(X: int32[M, K], W: int32[K, N], Z: int32[M, N]):
    Y: int32[M, N] = 2
    for i, j in allo.grid(M, N):
        for k in range(K):
            Y[i, j] += X[i, k] * W[k, j]
    for i2, j2 in allo.grid(M, N):
        Z[i2, j2] = Y[i2, j2] + 1


def test_a_privatised_accumulating_nest_streams_to_the_next_nest():
    s = allo.customize(nests_acc)
    with pytest.raises(ScheduleError, match=r"the write of Y\[i, j\] at iteration \(i=0, j=0, k=0\) runs "
                                            r"before the read of Y\[i, j\] at iteration \(i=0, j=0, k=1\)"):
        s.to(s.Y, "i2")
    s.buffer_at(s.Y, "j")   # Y_buf = Y[i, j] (the fill 2); accumulate; Y[i, j] = Y_buf
    s.to(s.Y, "i2")
    assert "each read of Y in loop i precedes any write of its element" in \
        {c.name for c in s.history[-1].conditions}
    assert s.verify().status == "equivalent"
    rng = np.random.default_rng(6)
    X, W = (rng.integers(-9, 9, (4, 4)).astype(np.int32) for _ in range(2))
    Z = np.zeros((4, 4), np.int32)
    s.build(target="llvm")(X, W, Z)
    assert np.array_equal(Z, X @ W + 3)


# ------------------------------------------------------------------ a fill read by a declaration
def fill_reader(X: int32[M]) -> int32[M]:
    Y: int32[M] = 5
    T: int32[M] = Y[1]                    # reads Y's fill 5, before write_all writes Y
    Z: int32[M] = 0
    write_y(X, Y)
    for i in range(M):
        Z[i] = Y[i] + T[i]
    return Z


def write_y(X: int32[M], Y: int32[M]):
    for i in range(M):
        Y[i] = X[i] * 2


def test_a_declaration_reading_the_fill_keeps_it_and_is_a_reader_task():
    # the fill of T reads Y before write_y writes it: once marked dead, Y's fill was omitted
    # and C simulation returned garbage for a design verify() called equivalent
    s = allo.customize(fill_reader)
    with pytest.raises(AlloError, match=r"the fill of 'T'\) reads buffer 'Y' before"):
        s.dataflow("fill_reader")
    top = s.ir.top_func
    assert first_task(top, "Y") is top.body[1]   # the declaration of T is the first to touch Y
    assert task_scope(s.ir, top.body[1], "Y") is None



def inner_region(X: int32[M, N], Y: int32[M, N]):
    write_column(X, Y)


def outer_region(X: int32[M, N]) -> int32[M, N]:
    Y: int32[M, N] = 7
    Z: int32[M, N] = 0
    inner_region(X, Y)
    for i, j in allo.grid(M, N):
        Z[i, j] = Y[i, j]
    return Z


def test_a_fill_does_not_move_into_a_dataflow_callee():
    # inner_region's body is its tasks: a fill nest there would be one more writer of Y
    s = allo.customize(outer_region)
    s.dataflow("inner_region")
    s.dataflow("outer_region")
    assert s.ir.top_func.attrs["dead_fill"].keys() == {"Z"}
    assert not any(isinstance(t, For) for t in s.ir.funcs["inner_region"].body)
    X = np.arange(16, dtype=np.int32).reshape(4, 4)
    expected = np.full((4, 4), 7, np.int32)
    expected[:, 0] = X[:, 0]
    assert np.array_equal(s.build(target="llvm")(X), expected)


def offset_write(X: int32[M], C: int32[M], k: int32):
    for i in range(M):
        C[i] = X[i] + k


def fill_in_argument(X: int32[M]) -> int32[M]:
    Y: int32[M] = 5
    Z: int32[M] = 0
    offset_write(X, Y, Y[0])              # reads the fill at the call, before the callee runs
    for i in range(M):
        Z[i] = Y[i] * 3
    return Z


def test_a_call_reading_the_fill_in_its_arguments_keeps_it():
    # the callee writes every element and reads none, but the call's argument Y[0] reads the
    # fill: once marked dead, the HLS code dropped it and C simulation returned 3 * (X + junk)
    s = allo.customize(fill_in_argument)
    s.dataflow("fill_in_argument")
    assert "Y" not in s.ir.top_func.attrs.get("dead_fill", ())
    assert "l_init_Y" in hls_top(str(s.build(target="vhls")), "fill_in_argument")
    assert s.verify().status == "equivalent"
    X = np.arange(4, dtype=np.int32)
    assert np.array_equal(s.build(target="llvm")(X), (X + 5) * 3)
