"""The concurrency model of a dataflow *loop* (``s.dataflow(loop)``): the HLS backend keeps
the loop and puts ``#pragma HLS dataflow`` in its body, so each top-level statement of the
body is one hardware process that runs its iterations one after another (Vitis HLS's
"dataflow in a loop"). Only loops whose iterations are copies of their own (``unfold``'s
PE loops, a full unroll) have concurrent iterations."""

import pytest

import allo
from allo.ir.effects import loop_iterations, sequential_dataflow_loops, task_dependencies
from allo.ir.types import BufferType, Stream, StreamType, int32

import irb
from designs import gemm_plain, systolic_gemm


def loop_cross(A: int32[2], B: int32[2], C: int32[2]):
    X: Stream[int32, 1]
    Y: Stream[int32, 1][2]
    for i in range(2):
        for t in range(1):  # task 0: at i == 0 puts two items into X, then one into Y[i]
            if i == 0:
                for j in range(2):
                    X.put(A[j])
            Y[i].put(A[i])
        for u in range(1):  # task 1: gets Y[i]; only at i == 1 drains X
            B[i] = Y[i].get()
            if i == 1:
                for j2 in range(2):
                    C[j2] = X.get()


def copy_twice(A: int32[2], B: int32[2], C: int32[2]):
    for i in range(2):
        B[i] = A[i]
        C[i] = A[i]


def _dataflow_loop(kernel, loop="i"):
    s = allo.customize(kernel)
    s.dataflow(loop)
    return s


def test_tasks_of_a_dataflow_loop_run_their_iterations_in_order_so_this_deadlocks():
    # task 0 fills X (depth 1) at iteration 0; only task 1's iteration 1 drains it, and task
    # 1 first waits for Y[0], which task 0 puts after X: one process per task deadlocks.
    # Taken as one process per (iteration, task), task 1 of iteration 1 would drain X and
    # the design was called "equivalent" (regression).
    v = allo.verify(copy_twice, _dataflow_loop(loop_cross))
    assert v.status == "not equivalent", v.report()
    assert "Kahn" in v.method
    assert "i task 0 waits on full FIFO 'X' (depth 1)" in v.reason
    assert "i task 1 waits on empty FIFO 'Y[0]' (depth 1)" in v.reason
    assert v.counterexample.interleaving == "i task 0: put 'X' x1"


def test_the_same_loop_with_room_in_x_is_equivalent():
    # the design above with depth 2 for X: sequential order never overfills
    def loop_cross_deep(A: int32[2], B: int32[2], C: int32[2]):
        X: Stream[int32, 2]
        Y: Stream[int32, 1][2]
        for i in range(2):
            for t in range(1):
                if i == 0:
                    for j in range(2):
                        X.put(A[j])
                Y[i].put(A[i])
            for u in range(1):
                B[i] = Y[i].get()
                if i == 1:
                    for j2 in range(2):
                        C[j2] = X.get()

    v = allo.verify(copy_twice, _dataflow_loop(loop_cross_deep))
    assert v.status == "equivalent", v.report()


def stream_every_iteration(A: int32[4], B: int32[4]):
    S: Stream[int32, 1]
    for i in range(4):
        for t in range(1):
            S.put(A[i] * 2)
        for u in range(1):
            B[i] = S.get()


def double(A: int32[4], B: int32[4]):
    for i in range(4):
        B[i] = A[i] * 2


def test_one_task_across_iterations_is_one_producer():
    # S is put by task 0 and got by task 1 in every iteration: one producer and one
    # consumer process (regression: each iteration counted as a producer, "unknown")
    v = allo.verify(double, _dataflow_loop(stream_every_iteration))
    assert v.status == "equivalent", v.report()


def _writer_reader_loop(depth):
    """Task 0 writes the array T and puts A[i] twice into S; task 1 reads T and gets both."""
    i = irb.V("i")
    S = BufferType(StreamType(int32, depth), ())
    writer = irb.loop("w", 1, [irb.st("T", [], irb.ld("A", int32, i)),
                               irb.loop("j", 2, [irb.StreamPut("S", (), irb.ld("A", int32, i))])])
    reader = irb.loop("r", 1, [irb.st("B", [i], irb.op("add", int32, irb.ld("T", int32),
                                                        irb.StreamGet("S", (), int32))),
                               irb.loop("k", 1, [irb.st("B", [i], irb.op(
                                   "add", int32, irb.ld("B", int32, i), irb.StreamGet("S", (), int32)))])])
    body = [irb.Alloc("S", S), irb.Alloc("T", BufferType(int32, ())),
            irb.loop("i", 3, [writer, reader], dataflow=True)]
    design = irb.module(irb.func("top", [("A", int32[3]), ("B", int32[3])], body))
    plain = irb.module(irb.func("top", [("A", int32[3]), ("B", int32[3])], [irb.loop("i", 3, [
        irb.st("B", [i], irb.op("mul", int32, irb.ld("A", int32, i), irb.c(3, int32)))])]))
    return plain, design


def test_a_task_reading_an_array_waits_for_that_iteration_of_its_writer():
    # T is a ping-pong buffer per iteration: task 1's iteration i starts once task 0's
    # iteration i has finished, and task 0 cannot finish it: S (depth 1) is full
    plain, design = _writer_reader_loop(depth=1)
    v = allo.verify(plain, design)
    assert v.status == "not equivalent", v.report()
    assert "i task 0 waits on full FIFO 'S' (depth 1)" in v.reason
    assert "i task 1 waits on empty FIFO 'ping-pong i task 0 -> task 1 (filled)'" in v.reason
    # with room for one iteration's items, the tasks overlap across iterations and complete
    plain, design = _writer_reader_loop(depth=2)
    v = allo.verify(plain, design)
    assert v.status == "equivalent", v.report()


def test_pe_loops_marked_dataflow_without_unroll_are_one_process():
    # the systolic GEMM with its PE loops only marked `dataflow` (kept as loops): PE rows
    # run one after another, so fb (depth 3) between rows overfills with K = 5 items
    plain_pes = systolic_gemm(4, 2, 5, pe_unfold=False)
    pe_rows = plain_pes.top_func.body[5]  # after the three allocs and the two load nests
    pe_rows.attrs["dataflow"] = pe_rows.body[0].attrs["dataflow"] = True
    assert sequential_dataflow_loops(plain_pes) == {"i": "sequential", "j": "sequential"}
    v = allo.verify(gemm_plain(4, 2, 5), plain_pes)
    assert v.status == "not equivalent" and "hardware deadlock" in v.reason, v.report()


def test_unfolded_pe_array_stays_equivalent():
    design = systolic_gemm(4, 2, 5)  # PE loops marked as unfold marks them
    assert sequential_dataflow_loops(design) == {}
    v = allo.verify(gemm_plain(4, 2, 5), design)
    assert v.status == "equivalent", v.report()


def test_loop_iterations_reads_the_unroll_and_unfold_marks():
    def loop(**attrs):
        return irb.loop("i", 4, [], **attrs)

    assert loop_iterations(loop()) == "sequential"
    assert loop_iterations(loop(unroll=1)) == "sequential"
    assert loop_iterations(loop(unroll=0)) == "spatial"
    assert loop_iterations(loop(unroll=4)) == "spatial"
    assert loop_iterations(loop(unroll=2)) == "partial"
    assert loop_iterations(loop(unfold=True, unroll=0, pe=0)) == "spatial"


def test_a_partially_unrolled_dataflow_loop_is_unknown_on_overflow():
    s = _dataflow_loop(loop_cross)
    s.unroll("i", 2)  # the trip count is 2: a full unroll, iterations are copies
    v = allo.verify(copy_twice, s)
    assert v.status == "equivalent", v.report()  # per (iteration, task): X drains at i = 1

    def loop_cross4(A: int32[4], B: int32[4], C: int32[2]):
        X: Stream[int32, 1]
        Y: Stream[int32, 1][4]
        for i in range(4):
            for t in range(1):
                if i == 0:
                    for j in range(2):
                        X.put(A[j])
                Y[i].put(A[i])
            for u in range(1):
                B[i] = Y[i].get()
                if i == 1:
                    for j2 in range(2):
                        C[j2] = X.get()

    def ref4(A: int32[4], B: int32[4], C: int32[2]):
        for i in range(4):
            B[i] = A[i]
        for j in range(2):
            C[j] = A[j]

    s4 = _dataflow_loop(loop_cross4)
    s4.unroll("i", 2)  # two copies, each running two iterations: not modelled
    v = allo.verify(ref4, s4)
    assert v.status == "unknown" and "partially unrolled" in v.reason, v.report()


def two_runs_of_a_dataflow_loop(A: int32[4], B: int32[4]):
    Z: Stream[int32, 1]
    for o in range(2):
        for i in range(2):  # a dataflow loop, run once per iteration of `o`
            for t in range(1):
                Z.put(A[o * 2 + i] + 1)
    for k in range(4):
        B[k] = Z.get()


def plus_one(A: int32[4], B: int32[4]):
    for k in range(4):
        B[k] = A[k] + 1


def test_two_runs_of_one_dataflow_loop_put_in_turn():
    # the put task of loop `i` is a process per run of the loop (per `o`); the runs are one
    # after the other, so Z still has one producer at a time (regression: "unknown", Z
    # taken to have two concurrent producers, as in public Allo's cascaded systolic arrays)
    s = allo.customize(two_runs_of_a_dataflow_loop)
    s.dataflow("i")
    s.dataflow("two_runs_of_a_dataflow_loop")
    v = allo.verify(plus_one, s)
    assert v.status == "equivalent", v.report()
    assert any("complete with these depths" in i for i in v.issues), v.issues


def waits_then_fills(A: int32[2], B: int32[2]):
    buf: int32[2]
    F: Stream[int32, 1][2]
    for i in range(2):  # unrolled: task 1 of a copy waits for its task 0, which fills F[i]
        for t in range(1):
            buf[i] = A[i]
            F[i].put(A[i])
            F[i].put(1)
        for u in range(1):
            B[i] = buf[i] + F[i].get() + F[i].get()


def other_loop_i(A: int32[2], B: int32[2], C: int32[2]):
    c: int32[2]
    for i in range(2):  # a dataflow loop with the same label and other waits ({2: {1}})
        for t in range(1):
            B[i] = A[i]
        for t2 in range(1):
            c[i] = A[i]
        for u in range(1):
            C[i] = c[i]


def two_loops_named_i(A: int32[2], B: int32[2], C: int32[2], D: int32[2]):
    waits_then_fills(A, B)
    other_loop_i(A, C, D)


def two_loops_plain(A: int32[2], B: int32[2], C: int32[2], D: int32[2]):
    for i in range(2):
        B[i] = A[i] + A[i] + 1
        C[i] = A[i]
        D[i] = A[i]


def test_two_dataflow_loops_with_one_name_keep_their_own_waits():
    # the waits of a region were keyed by the loop's name: other_loop_i's loop `i` replaced
    # waits_then_fills' entry, its task 1 no longer waited for task 0, and the deadlock was
    # missed ("equivalent"; regression: the labels are made unique per module)
    parts = []
    for kernel in (waits_then_fills, other_loop_i):
        part = allo.customize(kernel)
        part.unroll("i", 0)
        part.dataflow("i")
        parts.append(part)
    s = allo.customize(two_loops_named_i)
    for part in parts:
        s.compose(part)
    assert task_dependencies(s.ir) == {"waits_then_fills.i": {1: {0}}, "other_loop_i.i": {2: {1}}}
    v = allo.verify(two_loops_plain, s, cache=False)
    assert v.status == "not equivalent" and "hardware deadlock" in v.reason, v.report()
    assert "waits_then_fills.i task 1 (iteration 0) waits for waits_then_fills.i task 0" in v.reason


def times_two(A: int32[8], B: int32[8]):
    for i in range(8):
        B[i] = A[i] * 2


def from_minus_two(A: int32[8], B: int32[8]):
    S: Stream[int32, 2]
    T: int32[1]
    for i in range(-2, 6):
        for t in range(1):
            T[0] = A[i + 2]
            S.put(A[i + 2])
        for u in range(1):
            B[i + 2] = T[0] + S.get()


def by_two(A: int32[8], B: int32[8]):
    S: Stream[int32, 2]
    T: int32[1]
    for i in range(0, 8, 2):
        for t in range(1):
            T[0] = A[i]
            S.put(A[i])
            S.put(A[i + 1])
        for u in range(1):
            B[i] = T[0] + S.get()
            B[i + 1] = S.get() * 2


@pytest.mark.parametrize("kernel", [from_minus_two, by_two])
def test_ping_pong_tokens_count_iterations_not_loop_values(kernel):
    # the tokens were gated on the loop variable's value (i >= 2), not the iteration's
    # number: from -2 the writer never waited and the reader overfilled its tokens ("not
    # equivalent: hardware deadlock"); by 2 the writer waited one iteration early ("unknown")
    s = _dataflow_loop(kernel)
    v = allo.verify(times_two, s, cache=False)
    assert v.status == "equivalent", v.report()
