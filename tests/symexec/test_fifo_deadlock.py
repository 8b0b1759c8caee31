"""Hardware deadlocks between concurrent processes are never "equivalent": a FIFO that
exceeds its depth under sequential order is checked over every concurrent schedule
(bounded-FIFO check of the put/get traces). With single-producer single-consumer FIFOs
(a Kahn network) a deadlock is "not equivalent" with the blocking interleaving as the
counterexample; the HLS gate refuses the design."""

import pytest

import allo
from allo.errors import VerificationError
from allo.ir.types import Stream, int32
from allo.symexec.fifo_schedule import ROOT, build_steps, find_deadlock


def prod(A: int32[4], F1: Stream[int32, 2], F2: Stream[int32, 2]):
    for i in range(4):
        F1.put(A[i])
    for i in range(4):
        F2.put(A[i] * 2)


def cons_f2_first(F1: Stream[int32, 2], F2: Stream[int32, 2], B: int32[4], C: int32[4]):
    for i in range(4):
        C[i] = F2.get()
    for i in range(4):
        B[i] = F1.get()


def cons_f1_first(F1: Stream[int32, 2], F2: Stream[int32, 2], B: int32[4], C: int32[4]):
    for i in range(4):
        B[i] = F1.get()
    for i in range(4):
        C[i] = F2.get()


def top_deadlock(A: int32[4], B: int32[4], C: int32[4]):
    F1: Stream[int32, 2]
    F2: Stream[int32, 2]
    prod(A, F1, F2)
    cons_f2_first(F1, F2, B, C)


def top_ordered(A: int32[4], B: int32[4], C: int32[4]):
    F1: Stream[int32, 2]
    F2: Stream[int32, 2]
    prod(A, F1, F2)
    cons_f1_first(F1, F2, B, C)


def reference(A: int32[4], B: int32[4], C: int32[4]):
    for i in range(4):
        B[i] = A[i]
        C[i] = A[i] * 2


def _dataflow(kernel):
    s = allo.customize(kernel)
    s.dataflow(kernel.__name__)
    return s


def test_consumer_reading_fifos_out_of_order_is_a_deadlock_not_equivalent():
    s = _dataflow(top_deadlock)
    v = allo.verify(reference, s)
    assert v.status == "not equivalent", v.report()
    assert "hardware deadlock" in v.reason and "'F1'" in v.reason and "'F2'" in v.reason
    assert "waits on full FIFO 'F1'" in v.reason and "waits on empty FIFO 'F2'" in v.reason
    # the counterexample is the interleaving: prod fills F1 (depth 2), then blocks on it
    # while the consumer waits for F2, which prod has not reached
    cex = v.counterexample
    assert cex.error_b.startswith("deadlock") and cex.error_a is None
    assert "put 'F1' x2" in cex.interleaving
    assert "Kahn" in v.method and "interleaving" in str(cex)


def test_a_deadlocking_design_is_not_equivalent_to_itself_nor_built():
    # identical programs used to be "equivalent" at once, deadlock or not (regression)
    s = _dataflow(top_deadlock)
    v = allo.verify(s, s)
    assert v.status == "unknown" and "hardware deadlock" in v.reason, v.report()
    with pytest.raises(VerificationError, match="not proved equivalent"):
        allo.Schedule(s.ir).build(target="vhls")


def test_hls_gate_refuses_the_deadlocking_design():
    s = _dataflow(top_deadlock)
    with pytest.raises(VerificationError, match="not proved equivalent"):
        s.build(target="vhls")


def test_same_depths_in_matching_order_are_shown_deadlock_free():
    s = _dataflow(top_ordered)
    v = allo.verify(reference, s)
    assert v.status == "equivalent", v.report()
    assert any("note: overflow" in i and "complete with these depths" in i for i in v.issues)


def test_without_dataflow_one_process_overfills_and_deadlocks():
    v = allo.verify(reference, allo.customize(top_ordered))
    assert v.status == "not equivalent" and "hardware deadlock" in v.reason
    assert "put 'F1' x2" in v.counterexample.interleaving


# ------------------------------------------------------------------ the trace check itself
def _task(k, parent=ROOT, region=1):
    return (parent, region, "top", None, k)


def test_concurrent_producer_consumer_completes():
    p, c = _task(0), _task(1)
    events = [(p, 0, True)] * 6 + [(c, 0, False)] * 6
    assert find_deadlock(events, [1], ["S"]) is None


def test_one_process_overfilling_blocks():
    events = [(ROOT, 0, True)] * 3 + [(ROOT, 0, False)] * 3
    assert "waits on full FIFO 'S'" in find_deadlock(events, [2], ["S"])


def test_parent_puts_before_its_region_starts_blocks():
    # the parent fills S before the region whose task drains it: it blocks first
    child = _task(0)
    events = [(ROOT, 0, True)] * 3 + [(child, 0, False)] * 3
    assert find_deadlock(events, [2], ["S"]) is not None
    assert find_deadlock(events, [3], ["S"]) is None


def test_two_runs_of_a_region_are_not_merged():
    # region 1 puts 3 items that only region 2 reads: with depth 2 the first region never
    # finishes, although merging the regions would let them run together
    a, b = _task(0, region=1), _task(0, region=2)
    events = [(a, 0, True)] * 3 + [(b, 0, False)] * 3
    steps = build_steps(events)
    assert [s[0] for s in steps[ROOT]] == ["region", "region"]
    assert find_deadlock(events, [2], ["S"]) is not None


def test_ping_pong_between_nested_pes_completes():
    pe = [((_task(0)), 5, "PE", i) for i in range(2)]
    events = []
    for _ in range(5):  # PE0 -> PE1 on S0, PE1 -> PE0 on S1, one item at a time
        events += [(pe[0], 0, True)]
    events += [(pe[1], 0, False), (pe[1], 1, True)] * 5 + [(pe[0], 1, False)] * 5
    assert find_deadlock(events, [5, 5], ["S0", "S1"]) is None
    # PE0 sends all five before reading any reply: with depth 1 on both it still works
    # only if PE1 can forward: S1 of depth 1 fills, PE1 blocks, S0 fills, PE0 blocks
    assert find_deadlock(events, [1, 1], ["S0", "S1"]) is not None


# ------------------------------------------------------------------ ping-pong order, shared FIFOs
def prod_with_array(A: int32[4], F: Stream[int32, 2], Total: int32[1]):
    for i in range(4):
        F.put(A[i])
    Total[0] = A[0] + A[1] + A[2] + A[3]


def cons_array_first(F: Stream[int32, 2], Total: int32[1], B: int32[4]):
    t: int32 = Total[0]
    for i in range(4):
        B[i] = F.get() + t


def top_array_then_stream(A: int32[4], B: int32[4]):
    F: Stream[int32, 2]
    Total: int32[1] = 0
    prod_with_array(A, F, Total)
    cons_array_first(F, Total, B)


def array_reference(A: int32[4], B: int32[4]):
    for i in range(4):
        B[i] = A[i] + (A[0] + A[1] + A[2] + A[3])


def test_a_task_reading_an_array_waits_for_its_writer_so_the_fifo_must_hold_everything():
    # in hardware Total is a ping-pong buffer: cons starts only when prod has finished,
    # and prod blocks on the third put into F (depth 2). Taken as fully concurrent, the
    # two tasks would complete (regression: that wrongly gave "equivalent").
    s = _dataflow(top_array_then_stream)
    v = allo.verify(array_reference, s)
    assert v.status == "not equivalent", v.report()
    assert "waits on full FIFO 'F' (depth 2)" in v.reason
    # the tasks are named after the functions they call (regression: "... task 3")
    assert "cons_array_first waits for prod_with_array to finish " \
           "(it reads an array they write)" in v.reason


@pytest.mark.parametrize("depth", [1, 4])
def test_a_fifo_with_two_producer_processes_is_unknown_not_decided(depth):
    # two unfolded PEs put into one FIFO: the order of its elements depends on the
    # schedule, so neither the sequential run (depth 4: it never overfills; regression:
    # that gave "equivalent") nor one bounded schedule (depth 1) decides the hardware
    from allo.ir.types import BufferType, StreamType
    import irb

    i, p = irb.V("i"), irb.V("p")
    body = [irb.Alloc("S", BufferType(StreamType(int32, depth), ())),
            irb.loop("p", 2, [irb.loop("i", 2, [irb.StreamPut("S", (), irb.ld("A", int32, i))])],
                     unfold=True, unroll=0, pe=0),
            irb.loop("j", 4, [irb.st("B", [irb.V("j")], irb.StreamGet("S", (), int32))])]
    shared = irb.module(irb.func("top", [("A", int32[2]), ("B", int32[4])], body))
    ref_body = [irb.loop("p", 2, [irb.loop("i", 2, [irb.st("B", [irb.iadd(irb.imul(p, irb.c(2)), i)],
                                                             irb.ld("A", int32, i))])])]
    ref = irb.module(irb.func("top", [("A", int32[2]), ("B", int32[4])], ref_body))
    v = allo.verify(ref, shared)
    assert v.status == "unknown", v.report()
    assert "several producer or consumer processes" in v.reason
    # the gate: even against itself (identical programs) a design with such a FIFO is not
    # "equivalent", so no HLS code is produced for it
    assert allo.verify(shared, shared).status == "unknown"
    with pytest.raises(VerificationError, match="not proved equivalent"):
        allo.Schedule(shared).build(target="vhls")
