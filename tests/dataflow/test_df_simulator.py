"""The concurrent simulator: bounded FIFOs, deadlocks reported (never a hang), cycles of
processes that only a concurrent run can execute."""

import numpy as np
import pytest

import allo
import allo.dataflow as df
from allo.dataflow.simulator import BoundedFifo
from allo.ir.types import Stream, int32

N = 8


# A FIFO too shallow for the order in which the consumer reads: the producer fills `first`
# (depth 2) before it writes `second`, the consumer wants `second` first. With unbounded
# FIFOs (the LLVM build's sequential order) this runs; in hardware it deadlocks.
@df.region()
def shallow(A: int32[N], B: int32[N]):
    first: Stream[int32, 2]
    second: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[A])
    def writer(a: int32[N]):
        for i in range(N):
            first.put(a[i])
        for i in range(N):
            second.put(a[i] + 1)

    @df.kernel(mapping=[1], args=[B])
    def reader(b: int32[N]):
        for i in range(N):
            b[i] = second.get()
        for i in range(N):
            b[i] += first.get()


def test_deadlock_names_processes_and_fifos():
    sim = df.build(shallow, target="simulator")
    with pytest.raises(allo.AlloError) as e:
        sim(np.arange(N, dtype=np.int32), np.zeros(N, np.int32))
    msg = str(e.value)
    assert "deadlock" in msg
    assert "writer_0 waits to put into full FIFO 'first' (depth 2, holding 2)" in msg
    assert "reader_0 waits to get from empty FIFO 'second' (depth 2, holding 0)" in msg
    assert "hint:" in msg


def shallow_plain(A: int32[N], B: int32[N]):
    for i in range(N):
        B[i] = (A[i] + 1) + A[i]


def test_deadlock_verdict_names_the_kernel_instances():
    # regression: the verdict called the processes "shallow task 0" / "shallow task 1"
    verdict = allo.verify(shallow, shallow_plain)
    assert verdict.status == "not equivalent", verdict.report()
    assert "writer_0 waits on full FIFO 'first' (depth 2)" in verdict.reason
    assert "reader_0 waits on empty FIFO 'second' (depth 2)" in verdict.reason
    assert "task" not in verdict.reason.split("deadlock with")[1]


def test_sequential_build_of_the_same_design_uses_unbounded_queues():
    A = np.arange(N, dtype=np.int32)
    B = np.zeros(N, np.int32)
    df.build(shallow, target="llvm")(A, B)
    np.testing.assert_array_equal(B, 2 * A + 1)


def test_verifier_does_not_call_the_shallow_design_equivalent():
    def plain(A: int32[N], B: int32[N]):
        for i in range(N):
            B[i] = 2 * A[i] + 1

    assert allo.verify(shallow, plain).status != "equivalent"


# Two processes that feed each other: no sequential order runs them, the simulator does.
@df.region()
def ping(A: int32[N], B: int32[N]):
    to_b: Stream[int32, 1]
    to_a: Stream[int32, 1]

    @df.kernel(mapping=[1], args=[A])
    def left(a: int32[N]):
        for i in range(N):
            to_b.put(a[i])
            a[i] = to_a.get()

    @df.kernel(mapping=[1], args=[B])
    def right(b: int32[N]):
        for i in range(N):
            v: int32 = to_b.get()
            b[i] = v
            to_a.put(v * 10)


def test_cyclic_network_runs_concurrently_and_llvm_refuses_it():
    A = np.arange(N, dtype=np.int32)
    B = np.zeros(N, np.int32)
    df.build(ping, target="simulator")(A, B)
    np.testing.assert_array_equal(B, np.arange(N))
    np.testing.assert_array_equal(A, np.arange(N) * 10)
    with pytest.raises(allo.AlloError, match="cycle of processes.*left_0 -> right_0"):
        df.build(ping, target="llvm")


def test_verifier_answers_unknown_for_a_cycle_of_processes():
    # regression: the executor ran left_0 to completion first, read the empty `to_a` and
    # called this correct design "not equivalent"
    def plain(A: int32[N], B: int32[N]):
        for i in range(N):
            B[i] = A[i]
            A[i] = A[i] * 10

    verdict = allo.verify(ping, plain)
    assert verdict.status == "unknown"
    assert "feed each other (left_0 -> right_0 -> left_0)" in verdict.reason


@df.region()
def two_writers(A: int32[N], B: int32[N]):
    pipe: Stream[int32, 2 * N]

    @df.kernel(mapping=[2], args=[A])
    def w(a: int32[N]):
        p = df.get_pid()
        for i in range(N // 2):
            pipe.put(a[p * (N // 2) + i])

    @df.kernel(mapping=[1], args=[B])
    def r(b: int32[N]):
        for i in range(N):
            b[i] = pipe.get()


def test_two_writers_of_one_fifo_are_not_a_kahn_network():
    def plain(A: int32[N], B: int32[N]):
        for i in range(N):
            B[i] = A[i]

    verdict = allo.verify(two_writers, plain)
    assert verdict.status == "unknown"
    assert "w_0 and w_1 both write FIFO 'pipe'" in verdict.reason


@df.region()
def reads_too_far(A: int32[N], B: int32[N]):
    pipe: Stream[int32, 4]

    @df.kernel(mapping=[1], args=[A])
    def src(a: int32[N]):
        for i in range(N):
            pipe.put(a[i])

    @df.kernel(mapping=[1], args=[B])
    def dst(b: int32[N]):
        for i in range(N + 1):  # one get too many: waits forever once src is done
            b[i % N] = pipe.get()


def test_consumer_waiting_on_a_finished_producer_is_a_deadlock():
    with pytest.raises(allo.AlloError, match="dst_0 waits to get from empty FIFO 'pipe'"):
        df.build(reads_too_far, target="simulator")(np.arange(N, dtype=np.int32),
                                                    np.zeros(N, np.int32))


@df.region()
def out_of_bounds(A: int32[N]):
    @df.kernel(mapping=[2], args=[A])
    def k(a: int32[N]):
        p = df.get_pid()
        for i in range(N):
            a[(i + p * N) % 16] = i  # PE 1 writes past the end


def test_a_failing_process_stops_the_simulation_with_its_error():
    with pytest.raises(allo.AlloError, match="process 'k_1' failed: .*out of bounds"):
        df.build(out_of_bounds, target="simulator")(np.zeros(N, np.int32))


def test_bounded_fifo_keeps_order_and_capacity():
    from allo.dataflow.simulator import _Process, _Simulation

    sim = _Simulation()
    sim.local.proc = _Process("main", sim)
    sim.runnable = 1
    q = BoundedFifo(sim, "q", 3)
    for v in (1, 2, 3):
        q.append(v)
    assert [q.popleft() for _ in range(3)] == [1, 2, 3]
    assert q.describe() == "FIFO 'q' (depth 3, holding 0)"
