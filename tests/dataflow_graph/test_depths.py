"""FIFO sizing (allo/dataflow_graph/depths.py) against a hand analysis on three designs.

Each design states, in its test, why its FIFOs need the depth they need. The deadlock-free
depth is exact (bisection over the put/get traces, Kahn determinism); one below it the
bounded schedule deadlocks and the verifier says "not equivalent" with the interleaving,
at it the design verifies.
"""

import numpy as np
import pytest

import allo
from allo.dataflow_graph.depths import check_depths, collect_traces
from allo.errors import ScheduleError
from allo.ir.types import Stream, int32
from seed_kernels import make_matmul

M, N, K = 4, 8, 4


# ------------------------------------------------------------------ 1. a stream of a GEMM's rows
def gemm_rows_design(depth):
    """GEMM rows into F_row, each row's max into F_max after the row; the consumer needs
    the max first, then subtracts it from every element of the row."""

    def gemm_rows(A: int32[M, K], B: int32[K, N], F_row: Stream[int32, depth], F_max: Stream[int32, 2]):
        for i in range(M):
            m: int32 = -1000000
            for j in range(N):
                acc: int32 = 0
                for k in range(K):
                    acc += A[i, k] * B[k, j]
                F_row.put(acc)
                m = max(m, acc)
            F_max.put(m)

    def normalize(F_row: Stream[int32, depth], F_max: Stream[int32, 2], C: int32[M, N]):
        for i in range(M):
            m: int32 = F_max.get()
            for j in range(N):
                C[i, j] = F_row.get() - m

    def top(A: int32[M, K], B: int32[K, N], C: int32[M, N]):
        F_row: Stream[int32, depth]
        F_max: Stream[int32, 2]
        gemm_rows(A, B, F_row, F_max)
        normalize(F_row, F_max, C)

    s = allo.customize(top)
    s.dataflow("top")
    return s


def rows_reference(A: int32[M, K], B: int32[K, N], C: int32[M, N]):
    for i in range(M):
        m: int32 = -1000000
        for j in range(N):
            acc: int32 = 0
            for k in range(K):
                acc += A[i, k] * B[k, j]
            C[i, j] = acc
            m = max(m, acc)
        for j in range(N):
            C[i, j] = C[i, j] - m


def rows_numpy(A, B):
    C = A.astype(np.int64) @ B
    return (C - C.max(axis=1, keepdims=True)).astype(np.int32)


def test_gemm_rows_hand_analysis():
    # hand: normalize reads row i's max before any element of row i, and gemm_rows puts the
    # max after the whole row, so F_row must hold a whole row: N = 8. F_max never holds
    # more than one max (the consumer takes it before the next row can be produced): 1.
    sized = {d.fifo: d for d in gemm_rows_design(N).fifo_depths()}
    assert sized["F_row"].deadlock_free == N and sized["F_max"].deadlock_free == 1
    # the producer is the slow side (a K-step dot product per element), so no FIFO needs
    # more than the deadlock-free depth to keep it from stalling
    assert sized["F_row"].stall_free == 1 and sized["F_row"].depth == N
    assert "exact, from the put/get traces" in sized["F_row"].reason


def test_gemm_rows_one_below_deadlocks_and_the_computed_depth_verifies():
    short = gemm_rows_design(N - 1)
    v = allo.verify(rows_reference, short)
    assert v.status == "not equivalent", v.report()
    assert "waits on full FIFO 'F_row' (depth 7)" in v.reason
    assert "waits on empty FIFO 'F_max'" in v.reason
    assert v.counterexample.interleaving.endswith("put 'F_row' x7")
    traces = collect_traces(short.ir)
    assert not check_depths(traces, [N - 1, 2]).completed
    assert check_depths(traces, [N, 2]).completed
    ok = gemm_rows_design(N)
    assert allo.verify(rows_reference, ok).status == "equivalent"
    rng = np.random.default_rng(0)
    A = rng.integers(-9, 9, (M, K)).astype(np.int32)
    B = rng.integers(-9, 9, (K, N)).astype(np.int32)
    C = np.zeros((M, N), np.int32)
    ok.build(target="llvm")(A, B, C)
    assert np.array_equal(C, rows_numpy(A, B))


def gemm_rows_arrays(A: int32[M, K], B: int32[K, N], Row: int32[M, N], Max: int32[M]):
    for i in range(M):
        m: int32 = -1000000
        for j in range(N):
            acc: int32 = 0
            for k in range(K):
                acc += A[i, k] * B[k, j]
            Row[i, j] = acc
            m = max(m, acc)
        Max[i] = m


def normalize_arrays(Row: int32[M, N], Max: int32[M], C: int32[M, N]):
    for i in range(M):
        m: int32 = Max[i]
        for j in range(N):
            C[i, j] = Row[i, j] - m


def rows_top(A: int32[M, K], B: int32[K, N], C: int32[M, N]):
    Row: int32[M, N] = 0
    Max: int32[M] = 0
    gemm_rows_arrays(A, B, Row, Max)
    normalize_arrays(Row, Max, C)


def test_stream_of_rows_next_to_an_array_needs_the_whole_matrix():
    # hand: once Row is a FIFO, Max is still an array between the two calls, i.e. a
    # ping-pong buffer of the dataflow region: normalize starts only when gemm_rows has
    # finished, so the FIFO must hold all M * N = 32 elements
    s = allo.customize(rows_top)
    with pytest.raises(ScheduleError) as err:
        s.to(s.Row, "normalize_arrays", depth=31)
    msg = str(err.value)
    assert "depth=31 for FIFO 'Row' deadlocks" in msg
    assert "waits on full FIFO 'Row' (depth 31)" in msg and "waits for" in msg
    assert "put 'Row' x31" in msg and "use depth >= 32" in msg
    s.to(s.Row, "normalize_arrays")  # depth=-1: computed
    assert s.ir.top_func.buffers()["Row"].dtype.depth == M * N
    assert "deadlock-free depth" in {c.name for c in s.history[-1].conditions}
    # streaming Max as well lets normalize start at once: a row is enough again
    s.to(s.Max, "normalize_arrays")
    sized = {d.fifo: d for d in s.fifo_depths()}
    assert sized["Row"].deadlock_free == N and sized["Max"].deadlock_free == 1
    assert s.verify()
    rng = np.random.default_rng(1)
    A = rng.integers(-9, 9, (M, K)).astype(np.int32)
    B = rng.integers(-9, 9, (K, N)).astype(np.int32)
    C = np.zeros((M, N), np.int32)
    s.build(target="llvm")(A, B, C)
    assert np.array_equal(C, rows_numpy(A, B))


# ------------------------------------------------------------------ 2. a stencil pipeline
L = 10


def stencil_design(depth_direct):
    """split puts A[i] into F1 (straight to the consumer) and F2 (to a 3-point stencil,
    output F3); the consumer subtracts the direct value from the window sum."""

    def split(A: int32[L], F1: Stream[int32, depth_direct], F2: Stream[int32, 1]):
        for i in range(L):
            F1.put(A[i])
            F2.put(A[i])

    def window3(F2: Stream[int32, 1], F3: Stream[int32, 1]):
        w0: int32 = F2.get()
        w1: int32 = F2.get()
        for i in range(L - 2):
            w2: int32 = F2.get()
            F3.put(w0 + w1 + w2)
            w0 = w1
            w1 = w2

    def combine(F1: Stream[int32, depth_direct], F3: Stream[int32, 1], B: int32[L]):
        for i in range(L - 2):
            s3: int32 = F3.get()
            B[i] = s3 - F1.get()
        for i in range(2):
            B[L - 2 + i] = F1.get()

    def top(A: int32[L], B: int32[L]):
        F1: Stream[int32, depth_direct]
        F2: Stream[int32, 1]
        F3: Stream[int32, 1]
        split(A, F1, F2)
        window3(F2, F3)
        combine(F1, F3, B)

    s = allo.customize(top)
    s.dataflow("top")
    return s


def stencil_reference(A: int32[L], B: int32[L]):
    for i in range(L - 2):
        B[i] = A[i] + A[i + 1] + A[i + 2] - A[i]
    for i in range(2):
        B[L - 2 + i] = A[L - 2 + i]


def test_stencil_pipeline_hand_analysis():
    # hand: the first window sum needs A[0..2] to pass through F2, and split puts A[i]
    # into F1 before F2, while combine reads F1 only after that first sum: F1 must hold
    # A[0], A[1], A[2] -- the window, 3. F2 and F3 are read as soon as written: 1.
    sized = {d.fifo: d for d in stencil_design(3).fifo_depths()}
    assert (sized["F1"].deadlock_free, sized["F2"].deadlock_free, sized["F3"].deadlock_free) == (3, 1, 1)
    assert sized["F1"].depth >= 3


def test_stencil_one_below_deadlocks_and_the_computed_depth_verifies():
    v = allo.verify(stencil_reference, stencil_design(2))
    assert v.status == "not equivalent", v.report()
    assert "waits on full FIFO 'F1' (depth 2)" in v.reason
    # split has put A[0], A[1] into F1 and F2; the stencil (window3) took them from F2; the
    # next put of A[2] into F1 blocks, so A[2] never reaches the stencil
    assert v.counterexample.interleaving == (
        "split: put 'F1' x1, then split: put 'F2' x1, then split: put 'F1' x1, "
        "then window3: get 'F2' x1, then split: put 'F2' x1, then window3: get 'F2' x1")
    ok = stencil_design(3)
    assert allo.verify(stencil_reference, ok).status == "equivalent"
    A = np.arange(L, dtype=np.int32) * 3 - 7
    B = np.zeros(L, np.int32)
    ok.build(target="llvm")(A, B)
    expected = np.concatenate([A[1:-1] + A[2:], A[-2:]])
    assert np.array_equal(B, expected)


# ------------------------------------------------------------------ 3. the systolic array
def systolic_schedule(depth):
    """The seed's GEMM -> 4 x 4 systolic array, with relay FIFOs of ``depth``."""
    s = allo.customize(make_matmul(4, 4, 4))
    buf_A = s.buffer_at(s.A, "j")
    buf_B = s.buffer_at(s.B, "j")
    pe = s.unfold("PE", axis=[0, 1], factor=[4, 4])
    s.relay(buf_A, pe, axis=0, depth=depth)
    s.relay(buf_B, pe, axis=1, depth=depth)
    return s


def test_systolic_array_hand_analysis():
    s = systolic_schedule(depth=5)
    sized = s.fifo_depths()
    assert len(sized) == 2 * 4 * 3  # one FIFO per link: 4 rows x 3 links for A, 3 x 4 for B
    # hand: every PE receives its whole A row before its B column and forwards each element
    # as it receives it, and its successor consumes in that same order; so no PE ever
    # waits on one FIFO while its predecessor waits on another: depth 1 is deadlock-free.
    # Every PE runs the same copy loops at the same rate, one hop behind its predecessor,
    # so each element is taken one cycle after it is put: depth 1 never stalls either.
    assert all(d.deadlock_free == 1 and d.stall_free == 1 and d.depth == 1 for d in sized), \
        [str(d) for d in sized]
    # a depth below 1 does not exist; the computed depth 1 verifies and runs
    tight = systolic_schedule(depth=1)
    assert tight.verify().status == "equivalent"
    rng = np.random.default_rng(2)
    A = rng.integers(-9, 9, (4, 4)).astype(np.int8)
    B = rng.integers(-9, 9, (4, 4)).astype(np.int8)
    C = np.zeros((4, 4), np.int16)
    tight.build(target="llvm")(A, B, C)
    assert np.array_equal(C, (A.astype(np.int16) @ B.astype(np.int16)))


# ------------------------------------------------------------------ cross-check: the concurrent simulator
def simulate(s, *args):
    """Run a schedule whose top is a dataflow function of stream declarations and calls on
    allo.dataflow's concurrent simulator (threads, FIFOs bounded at their declared depth).
    The simulator runs @df.region designs; these tops have exactly that shape, so a copy
    is marked as one."""
    from allo.dataflow.simulator import Simulator

    module = s.ir.copy()
    module.top_func.attrs["df_region"] = True
    return Simulator(module)(*args)


def test_the_simulator_agrees_one_below_deadlocks_the_computed_depth_runs():
    from allo.errors import AlloError

    rng = np.random.default_rng(3)
    A = rng.integers(-9, 9, (M, K)).astype(np.int32)
    B = rng.integers(-9, 9, (K, N)).astype(np.int32)
    with pytest.raises(AlloError, match="F_row"):
        simulate(gemm_rows_design(N - 1), A, B, np.zeros((M, N), np.int32))
    C = np.zeros((M, N), np.int32)
    simulate(gemm_rows_design(N), A, B, C)
    assert np.array_equal(C, rows_numpy(A, B))
    S = np.arange(L, dtype=np.int32)
    with pytest.raises(AlloError, match="F1"):
        simulate(stencil_design(2), S, np.zeros(L, np.int32))
    out = np.zeros(L, np.int32)
    simulate(stencil_design(3), S, out)
    assert np.array_equal(out, np.concatenate([S[1:-1] + S[2:], S[-2:]]))
