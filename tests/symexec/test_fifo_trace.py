"""FIFO traffic as the executor logs it: one trace event per put/get, producers and
consumers read off the trace (allo.symexec.executor.SymbolicExecutor.fifo_endpoints)."""

from designs import fifo_pipeline, fifo_single_process

from allo.symexec.dag import Dag
from allo.symexec.executor import SymbolicExecutor


def run(mod):
    ex = SymbolicExecutor(mod, Dag(), progress=False)
    ex.run()
    return ex


def test_pipeline_has_one_producer_and_one_consumer_process():
    ex = run(fifo_pipeline(n=5))
    putters, getters = ex.fifo_endpoints()
    assert len(ex.trace) == 10  # 5 puts, 5 gets
    assert len(putters[0]) == len(getters[0]) == 1
    assert putters[0] != getters[0]  # the dataflow tasks are two processes
    assert ex._shared_fifos() == []


def test_single_process_puts_and_gets_itself():
    ex = run(fifo_single_process(n=3, depth=4))
    putters, getters = ex.fifo_endpoints()
    assert putters[0] == getters[0] and len(putters[0]) == 1
    events = [(code & 1, (code >> 1) & 0x7FFFFFFF) for code in ex.trace]
    assert events == [(1, 0)] * 3 + [(0, 0)] * 3  # puts then gets, in program order


def test_a_fifo_with_two_producer_processes_is_shared():
    from irb import Alloc, BufRef, Call, StreamGet, StreamPut, V, func, ld, loop, module, st

    from allo.ir.types import BufferType, StreamType, int32
    n, s_t = 3, BufferType(StreamType(int32, 8), ())
    prod = func("producer", [("A", int32[n]), ("S", s_t)],
                [loop("i", n, [StreamPut("S", (), ld("A", int32, V("i")))])])
    cons = func("consumer", [("S", s_t), ("B", int32[2 * n])],
                [loop("i", 2 * n, [st("B", [V("i")], StreamGet("S", (), int32))])])
    top = func("top", [("A", int32[n]), ("B", int32[2 * n])],
               [Alloc("S", s_t), Call("producer", [BufRef("A"), BufRef("S")]),
                Call("producer", [BufRef("A"), BufRef("S")]),
                Call("consumer", [BufRef("S"), BufRef("B")])], dataflow=True)
    ex = run(module(top, prod, cons))
    putters, getters = ex.fifo_endpoints()
    assert len(putters[0]) == 2 and len(getters[0]) == 1
    assert ex._shared_fifos() == ["S"]
