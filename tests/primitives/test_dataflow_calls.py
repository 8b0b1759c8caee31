"""Streams and ping-pong buffers between composed kernel calls (allo/primitives/dataflow_calls.py,
allo/primitives/dataflow_fill.py).

The seed's two-matmul ``top`` (README "Composing kernels") chains ``matmul(X, W_A, Y)`` and
``matmul(Y, W_B, Z)``; its kernel accumulates ``C[i, j] +=`` in place into the zero-filled
``Y``. Privatised by ``buffer_at(C, "j")`` it reads each ``C[i, j]`` once, before writing it:
that read sees the caller's fill, which ``to`` forwards into the producer's instance, so the
producer only writes ``Y``, each element once, row-major. With ``buffer_at(A, "i")`` the
consumer reads each row of ``A`` once, row-major: the same order, so ``Y`` becomes a FIFO.
The scalar-accumulator variant (``matmul_acc``) writes each element once as written.
"""

import re

import numpy as np
import pytest

import allo
import allo.dataflow as df
from allo.errors import AlloError, ScheduleError
from allo.ir.sites import access_sites
from allo.ir.types import int32

M = N = K = 4


def matmul(A: int32[M, K], B: int32[K, N], C: int32[M, N]):
    for i, j in allo.grid(M, N, "PE"):
        for k in range(K):
            C[i, j] += A[i, k] * B[k, j]


def top(X: int32[M, K], W_A: int32[K, N], W_B: int32[N, K]) -> int32[M, K]:
    Y: int32[M, N] = 0
    Z: int32[M, K] = 0
    matmul(X, W_A, Y)
    matmul(Y, W_B, Z)
    return Z


def matmul_acc(A: int32[M, K], B: int32[K, N], C: int32[M, N]):
    for i, j in allo.grid(M, N, "PE"):
        acc: int32 = 0
        for k in range(K):
            acc += A[i, k] * B[k, j]
        C[i, j] = acc


def top_acc(X: int32[M, K], W_A: int32[K, N], W_B: int32[N, K]) -> int32[M, K]:
    Y: int32[M, N] = 0
    Z: int32[M, K] = 0
    matmul_acc(X, W_A, Y)
    matmul_acc(Y, W_B, Z)
    return Z


def fill_rows(X: int32[M, N], Y: int32[M, N]):
    for i, j in allo.grid(M, N):
        Y[i, j] = X[i, j] + 1


def read_cols(Y: int32[M, N], Z: int32[M, N]):
    for j, i in allo.grid(N, M):
        Z[i, j] = Y[i, j] * 2


def transpose_top(X: int32[M, N]) -> int32[M, N]:
    Y: int32[M, N] = 0
    Z: int32[M, N] = 0
    fill_rows(X, Y)
    read_cols(Y, Z)
    return Z


def inputs(seed=0):
    rng = np.random.default_rng(seed)
    return tuple(rng.integers(-9, 9, (4, 4)).astype(np.int32) for _ in range(3))


def streamed_top(kernel=matmul, design=top):
    """The seed's schedule: privatise the accumulation (the in-place kernel), read each row
    of A once, compose, stream Y."""
    s_mm = allo.customize(kernel)
    if kernel is matmul:
        s_mm.buffer_at(s_mm.C, "j")  # reads each C[i, j] once, before writing it
    s_mm.buffer_at(s_mm.A, "i")      # the consumer reads each row of A once, in order
    s_mm.pipeline("k")
    s_top = allo.customize(design)
    s_top.compose(s_mm)
    s_top.to(s_top.Y, kernel.__name__)
    return s_top


def hls_top(code: str, name: str = "top") -> str:
    return code[code.index(f"void {name}("):]


def test_seed_top_streams_y_between_the_two_matmul_calls(tmp_path):
    s = streamed_top()
    cert = s.history[-1]
    assert cert.primitive == "to" and cert.rule == "dataflow.stream"
    proved = {c.name for c in cert.conditions if c.status == "proved"}
    assert {"each read of Y in matmul precedes any write of its element",  # the fill forwarded
            "every element is written once", "consumer reads in the producer's write order"} <= proved
    ir = s.ir
    assert ir.top_func.attrs.get("dataflow")
    assert ir.top_func.buffers()["Y"].is_stream
    # the shared kernel became two instances: the producer's C and the consumer's A are
    # streams, and the producer's read of the zero-filled Y became the constant 0
    calls = [c.callee for c in ir.top_func.body if type(c).__name__ == "Call"]
    assert calls == ["matmul_0", "matmul"]
    producer = ir.funcs["matmul_0"]
    assert producer.param("C").type.is_stream and ir.funcs["matmul"].param("A").type.is_stream
    assert producer.attrs["template"] == "matmul"
    assert not [a for a in access_sites(producer.body) if a.buffer == "C" and a.kind == "load"]
    assert [a.kind for a in access_sites(ir.funcs["matmul"].body) if a.buffer == "C"] == ["store"]
    verdict = s.verify()
    assert verdict.status == "equivalent", verdict.report()
    X, WA, WB = inputs()
    expected = (X @ WA) @ WB
    assert np.array_equal(s.build(target="llvm")(X, WA, WB), expected)
    code = str(s.build(target="vhls"))
    top_code = hls_top(code)
    assert "#pragma HLS dataflow" in top_code
    fifo = re.search(r'hls::stream<\s*int32_t\s*> Y\("Y"\);', top_code)
    assert fifo is not None
    assert fifo.start() < top_code.index("matmul_0(X, v_W_A, Y);") < top_code.index("matmul(Y, v_W_B, Z);")
    assert re.search(r"hls::stream<\s*int32_t\s*> &C", code) and "C.write(" in code and "A.read()" in code
    # Z has one writer in the region: the consumer writes every element after reading the
    # fill (forwarded too), so the top declares Z without a fill process
    assert "l_init_Z" not in top_code and "int32_t Z[4][4];" in top_code
    assert ir.top_func.attrs["dead_fill"].keys() == {"Z"}
    mod = s.build(target="vitis_hls", mode="csim", project=str(tmp_path / "top.prj"))
    out = np.zeros((M, K), np.int32)
    mod(X, WA, WB, out)
    assert np.array_equal(out, expected)


def test_scalar_accumulator_variant_streams_as_written():
    s = streamed_top(matmul_acc, top_acc)
    assert not any("precedes any write" in c.name for c in s.history[-1].conditions)  # no fill read
    assert s.ir.top_func.buffers()["Y"].is_stream
    assert s.verify().status == "equivalent"
    X, WA, WB = inputs(3)
    assert np.array_equal(s.build(target="llvm")(X, WA, WB), (X @ WA) @ WB)
    top_code = hls_top(str(s.build(target="vhls")), "top_acc")
    assert "#pragma HLS dataflow" in top_code and "l_init_Z" not in top_code


def test_compose_keeps_the_streams_and_replay_rebuilds_them():
    s = streamed_top()
    s_more = allo.customize(matmul)
    s_more.unroll("k", 2)
    s.compose(s_more)  # replays onto both instances (template "matmul"); the stream stays
    assert s.ir.top_func.buffers()["Y"].is_stream
    assert all(f.loops()[-1].attrs.get("unroll") == 2 for n, f in s.ir.funcs.items() if n != "top")
    assert s.verify()
    again = allo.customize(top)
    again.replay(s.steps)
    assert again.ir.top_func.buffers()["Y"].is_stream
    X, WA, WB = inputs(1)
    assert np.array_equal(again.build(target="llvm")(X, WA, WB), (X @ WA) @ WB)


def test_in_place_accumulation_without_privatisation_is_refused_with_the_read_after_write():
    s = allo.customize(top)
    with pytest.raises(ScheduleError) as err:
        s.to(s.Y, "matmul")
    msg = str(err.value)
    assert "the producer 'matmul' reads 'Y'" in msg and "accumulate" in msg
    # the witness: the element written at k=0 is read back at k=1 (a value the kernel wrote,
    # not the caller's fill), with the buffer_at that fixes it
    assert "the write of C[i, j] at iteration (i=0, j=0, k=0) runs before the read of C[i, j] at " \
           "iteration (i=0, j=0, k=1), both of C[0, 0]" in msg
    assert "buffer_at('C', 'j') on the kernel reads each element once, before writing it" in msg
    assert "on the kernel's schedule, then compose it" in msg
    assert not s.history


def privatised(design):
    s_mm = allo.customize(matmul)
    s_mm.buffer_at(s_mm.C, "j")
    s_mm.buffer_at(s_mm.A, "i")
    s = allo.customize(design)
    s.compose(s_mm)
    return s


def top_fill5(X: int32[M, K], W_A: int32[K, N], W_B: int32[N, K]) -> int32[M, K]:
    Y: int32[M, N] = 5
    Z: int32[M, K] = 0
    matmul(X, W_A, Y)
    matmul(Y, W_B, Z)
    return Z


def test_a_nonzero_constant_fill_is_forwarded_as_that_constant():
    s = privatised(top_fill5)
    s.to(s.Y, "matmul")
    assert s.verify().status == "equivalent"
    X, WA, WB = inputs(4)
    assert np.array_equal(s.build(target="llvm")(X, WA, WB), (X @ WA + 5) @ WB)


TABLE = np.arange(M * N, dtype=np.int32).reshape(M, N)


def top_table(X: int32[M, K], W_A: int32[K, N], W_B: int32[N, K]) -> int32[M, K]:
    Y: int32[M, N] = TABLE
    Z: int32[M, K] = 0
    matmul(X, W_A, Y)
    matmul(Y, W_B, Z)
    return Z


def top_arg(X: int32[M, K], W_A: int32[K, N], W_B: int32[N, K], Y: int32[M, N]) -> int32[M, K]:
    Z: int32[M, K] = 0
    matmul(X, W_A, Y)
    matmul(Y, W_B, Z)
    return Z


def top_second_writer(X: int32[M, K], W_A: int32[K, N], W_B: int32[N, K]) -> int32[M, K]:
    Y: int32[M, N] = 0
    Z: int32[M, K] = 0
    Y[1, 2] = 7
    matmul(X, W_A, Y)
    matmul(Y, W_B, Z)
    return Z


def test_the_fill_is_forwarded_only_when_it_is_a_known_constant_at_the_call():
    s = privatised(top_table)  # not a constant fill: a table
    with pytest.raises(ScheduleError, match="whose initial value is a constant table; only a constant "
                                            "fill can be forwarded"):
        s.to(s.Y, "matmul")
    s = privatised(top_arg)  # the caller's argument: its value at the call is unknown
    with pytest.raises(ScheduleError, match="'Y' is a function argument"):
        s.to(s.Y, "matmul")
    s = privatised(top_second_writer)  # another writer before the producer
    with pytest.raises(ScheduleError, match=r"'Y' must be used by exactly two calls .* used by: Store"):
        s.to(s.Y, "matmul")


def add_two(A: int32[M, N], B: int32[M, N], C: int32[M, N]):
    for i, j in allo.grid(M, N):
        C[i, j] = A[i, j] + B[i, j]


def alias_top(X: int32[M, N]) -> int32[M, N]:
    Y: int32[M, N] = 0
    Z: int32[M, N] = 0
    fill_rows(X, Y)
    add_two(Y, Y, Z)
    return Z


def test_a_call_receiving_the_buffer_twice_cannot_stream():
    # two parameters bound to one FIFO would each need every element
    s = allo.customize(alias_top)
    with pytest.raises(ScheduleError, match="call 'add_two' receives 'Y' more than once"):
        s.to(s.Y, "add_two")


def test_order_mismatch_is_refused_with_the_first_out_of_order_element():
    s = allo.customize(transpose_top)
    with pytest.raises(ScheduleError) as err:
        s.to(s.Y, "read_cols")
    msg = str(err.value)
    # writes are row-major (Y[0,0], Y[0,1], ...), reads column-major (Y[0,0], Y[1,0], ...):
    # the first element whose order differs is number 1
    assert "side condition 'consumer reads in the producer's write order' fails" in msg
    assert "first out-of-order element: write number 1 puts Y[0, 1] but read number 1 expects Y[1, 0]" in msg
    assert "s.pingpong('Y')" in msg  # the refusal proposes a ping-pong buffer
    assert not s.history  # nothing applied


def test_pingpong_double_buffers_any_order(tmp_path):
    s = allo.customize(transpose_top)
    s.pingpong(s.Y)
    assert s.history[-1].rule == "annotation.pingpong"
    assert s.ir.top_func.attrs["dataflow"] and s.ir.top_func.attrs["pingpong"] == {"Y": 2}
    assert s.verify()
    X = inputs()[0]
    assert np.array_equal(s.build(target="llvm")(X), (X + 1) * 2)
    code = str(s.build(target="vhls"))
    assert "#pragma HLS stream variable=Y type=pipo depth=2" in code and "#pragma HLS dataflow" in code
    assert "l_init_Y" not in code  # the producer writes every element: no fill process
    mod = s.build(target="vitis_hls", mode="csim", project=str(tmp_path / "pp.prj"))
    out = np.zeros((M, N), np.int32)
    mod(X, out)
    assert np.array_equal(out, (X + 1) * 2)


def partial_writer(X: int32[M, N], Y: int32[M, N]):
    for i in range(M):
        Y[i, 0] = X[i, 0]


def partial_top(X: int32[M, N]) -> int32[M, N]:
    Y: int32[M, N] = 5
    Z: int32[M, N] = 0
    partial_writer(X, Y)
    read_cols(Y, Z)
    return Z


def test_pingpong_refuses_a_producer_that_leaves_elements_unwritten():
    s = allo.customize(partial_top)
    with pytest.raises(ScheduleError, match="writes 4 elements of 'Y', which has 16"):
        s.pingpong(s.Y)


def test_stream_refuses_a_third_user_and_a_wrong_consumer_name():
    def three(X: int32[M, N]) -> int32[M, N]:
        Y: int32[M, N] = 0
        Z: int32[M, N] = 0
        fill_rows(X, Y)
        read_cols(Y, Z)
        Z[0, 0] = Y[0, 0]
        return Z

    s = allo.customize(three)
    with pytest.raises(ScheduleError, match="exactly two calls"):
        s.to(s.Y, "read_cols")
    s2 = allo.customize(transpose_top)
    with pytest.raises(ScheduleError, match="the call reading 'Y' after its producer is 'read_cols', not 'fill_rows'"):
        s2.to(s2.Y, "fill_rows")


def top_out(X: int32[M, K], W_A: int32[K, N], W_B: int32[N, K], Z: int32[M, K]):
    Y: int32[M, N] = 0
    matmul(X, W_A, Y)
    matmul(Y, W_B, Z)


def test_streamed_top_runs_on_the_concurrent_simulator():
    # the seed's top once Y is a stream: each call a thread, Y a FIFO of its computed depth
    # (3, below the 16 elements: the two kernels really overlap), Z returned at the end
    s = streamed_top()
    X, WA, WB = inputs(2)
    assert np.array_equal(df.build(s, target="simulator")(X, WA, WB), (X @ WA) @ WB)
    # Z the caller's argument: the consumer keeps accumulating into it (its reads stay)
    s = privatised(top_out)
    s.to(s.Y, "matmul")
    Z = np.full((M, K), 3, np.int32)
    df.build(s, target="simulator")(X, WA, WB, Z)
    assert np.array_equal(Z, (X @ WA) @ WB + 3)
    assert s.verify()


def test_the_simulator_refuses_an_array_two_concurrent_calls_share():
    # a ping-pong Y stays an array that one call writes and the other reads: on threads
    # they would race, so the simulator refuses instead of guessing an order
    s = allo.customize(transpose_top)
    s.pingpong(s.Y)
    with pytest.raises(AlloError, match="'Y' is an array that 'fill_rows' and 'read_cols' both use"):
        df.build(s, target="simulator")
    with pytest.raises(AlloError, match="is not a dataflow region"):
        df.build(allo.customize(transpose_top), target="simulator")


def test_a_producer_writing_from_concurrent_pes_cannot_stream():
    # the seed's systolic kernel with its C written back once per PE: the PEs run
    # concurrently, so no single FIFO order exists
    s_mm = allo.customize(matmul_acc)
    s_mm.unfold("PE", axis=[0, 1], factor=[M, N])
    s = allo.customize(top_acc)
    s.compose(s_mm)
    with pytest.raises(ScheduleError, match="runs in the PEs of the unfolded loop 'i'"):
        s.to(s.Y, "matmul_acc")
    s.pingpong(s.Y)  # a double buffer takes any order
    assert s.verify()


def test_loop_nests_of_a_dataflow_region_get_a_computed_depth():
    # two loop nests of a function marked dataflow run concurrently: depth=-1 is computed
    # there (not the element count, which sequential nests need), and a given depth is
    # checked the same way
    def nests(X: int32[M, N], Z: int32[M, N]):
        Y: int32[M, N] = 0
        for i, j in allo.grid(M, N):
            Y[i, j] = X[i, j] + 1
        for i2, j2 in allo.grid(M, N):
            Z[i2, j2] = Y[i2, j2] * 2

    s = allo.customize(nests)
    s.dataflow("nests")
    s.to(s.Y, "i2")
    depth = s.ir.top_func.buffers()["Y"].dtype.depth
    assert depth < M * N and "deadlock-free depth" in {c.name for c in s.history[-1].conditions}
    assert s.verify()
    sequential = allo.customize(nests)
    sequential.to(sequential.Y, "i2")
    assert sequential.ir.top_func.buffers()["Y"].dtype.depth == M * N


def produce(X: int32[M, N]) -> int32[M, N]:
    C: int32[M, N] = 0
    for i, j in allo.grid(M, N):
        C[i, j] = X[i, j] + 1
    return C


def consume(Y: int32[M, N], Z: int32[M, N]):
    for i, j in allo.grid(M, N):
        Z[i, j] = Y[i, j] * 2


def returned_top(X: int32[M, N]) -> int32[M, N]:
    Z: int32[M, N] = 0
    Y = produce(X)
    consume(Y, Z)
    return Z


def test_a_returned_buffer_streams_through_an_output_parameter():
    s = allo.customize(returned_top)
    s.to(s.Y, "consume")
    ir = s.ir
    producer = ir.funcs["produce"]
    assert [p.name for p in producer.params] == ["X", "C"] and producer.results == []
    assert producer.param("C").type.is_stream and ir.top_func.buffers()["Y"].is_stream
    assert "the result 'Y' becomes an output parameter" in {c.name for c in s.history[-1].conditions}
    assert s.verify().status == "equivalent"
    X = np.arange(16, dtype=np.int32).reshape(4, 4)
    assert np.array_equal(s.build(target="llvm")(X), (X + 1) * 2)
    top_code = hls_top(str(s.build(target="vhls")), "returned_top")
    assert "#pragma HLS dataflow" in top_code and "produce(X, Y);" in top_code


def gemm(A: int32[M, K], B: int32[K, N]) -> int32[M, N]:
    C: int32[M, N] = 5
    for i, j, k in allo.grid(M, N, K):
        C[i, j] += A[i, k] * B[k, j]
    return C


def gemm_top(X: int32[M, K], W: int32[K, N]) -> int32[M, N]:
    Z: int32[M, N] = 0
    Y = gemm(X, W)
    consume(Y, Z)
    return Z


def test_a_returned_accumulation_gets_its_fill_forwarded():
    # the local C starts at 5; Y takes that fill, and the privatised accumulation reads it
    s_gemm = allo.customize(gemm)
    s_gemm.buffer_at(s_gemm.C, "j")
    s = allo.customize(gemm_top)
    s.compose(s_gemm)
    s.to(s.Y, "consume")
    assert s.verify().status == "equivalent"
    X, W, _ = inputs(5)
    assert np.array_equal(s.build(target="llvm")(X, W), (X @ W + 5) * 2)


def produce_n(X: int32[M, N], n: int32) -> int32[M, N]:
    C: int32[M, N] = n
    for i in range(M):
        C[i, 0] = X[i, 0]
    return C


def computed_fill_top(X: int32[M, N]) -> int32[M, N]:
    Z: int32[M, N] = 0
    Y = produce_n(X, 3)
    consume(Y, Z)
    return Z


def test_a_returned_buffer_with_a_computed_fill_is_refused():
    s = allo.customize(computed_fill_top)
    with pytest.raises(ScheduleError, match="its local 'C' starts with a value computed in the kernel"):
        s.to(s.Y, "consume")


def offset_write(X: int32[M, N], C: int32[M, N], k: int32):
    for i, j in allo.grid(M, N):
        C[i, j] = X[i, j] + k


def triple(C: int32[M, N], Z: int32[M, N]):
    for i, j in allo.grid(M, N):
        Z[i, j] = C[i, j] * 3


def fill_in_argument(X: int32[M, N]) -> int32[M, N]:
    Y: int32[M, N] = 5
    Z: int32[M, N] = 0
    offset_write(X, Y, Y[0, 0])       # the call itself reads Y's fill, before the callee runs
    triple(Y, Z)
    return Z


@pytest.mark.parametrize("step", ["to", "pingpong"])
def test_a_call_reading_the_buffer_in_its_arguments_is_no_stream_end(step):
    # pingpong once dropped the fill the argument reads (not equivalent) and to left a load
    # of a stream in the caller (an IR error instead of the primitive's refusal)
    s = allo.customize(fill_in_argument)
    with pytest.raises(ScheduleError, match="reads an element of 'Y' in its arguments"):
        s.to(s.Y, "triple") if step == "to" else s.pingpong(s.Y)
