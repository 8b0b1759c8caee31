"""Which tasks of a dataflow region wait for which (allo/ir/effects.py)."""

import allo
from allo.ir.effects import task_dependencies
from allo.ir.types import Stream, int32


def write_x(A: int32[4], X: int32[4]):
    for i in range(4):
        X[i] = A[i] + 1


def write_y(A: int32[4], Y: int32[4]):
    for i in range(4):
        Y[i] = A[i] * 2


def read_x_feed(X: int32[4], F: Stream[int32, 4]):
    for i in range(4):
        F.put(X[i])


def drain(F: Stream[int32, 4], Y: int32[4], B: int32[4]):
    for i in range(4):
        B[i] = F.get() + Y[i]


def copy_b(B: int32[4], Z: int32[4]):
    for i in range(4):
        Z[i] = B[i]


def top(A: int32[4], B: int32[4], Z: int32[4]):
    X: int32[4]
    Y: int32[4]
    F: Stream[int32, 4]
    write_x(A, X)
    write_y(A, Y)
    read_x_feed(X, F)
    drain(F, Y, B)
    copy_b(B, Z)


def test_each_task_waits_for_the_earlier_writers_of_the_arrays_it_reads_transitively():
    s = allo.customize(top)
    s.dataflow("top")
    deps = task_dependencies(s.ir)["top"]
    body = s.ir.funcs["top"].body
    task = {s.callee: k for k, s in enumerate(body) if type(s).__name__ == "Call"}
    # read_x_feed reads X (write_x); drain reads Y (write_y) and, through the stream F,
    # nothing more; copy_b reads B (drain), hence waits for drain's waits too
    assert deps[task["read_x_feed"]] == {task["write_x"]}
    assert deps[task["drain"]] == {task["write_y"]}
    assert deps[task["copy_b"]] == {task["drain"], task["write_y"]}
    # a writer of an array never waits for a later reader or writer of it
    assert task["write_x"] not in deps and task["write_y"] not in deps
