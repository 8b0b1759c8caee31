"""Primitives and Stateful: a call of a function with state reads and writes that state,
so loops around it are not reordered or parallelised; stateful buffers are not reshaped
or turned into streams; schedules that keep the order verify."""

import numpy as np
import pytest

import allo
from allo.errors import ScheduleError
from allo.ir.types import Stateful, int32


def counter() -> int32:
    c: int32 @ Stateful = 0
    c = c + 1
    return c


def pure(x: int32) -> int32:
    return x + 1


def fill(A: int32[4, 4]):
    for i, j in allo.grid(4, 4):
        A[i, j] = counter()


def fill_pure(A: int32[4, 4]):
    for i, j in allo.grid(4, 4):
        A[i, j] = pure(i)


def test_loops_around_a_stateful_call_keep_their_order():
    s = allo.customize(fill)
    with pytest.raises(ScheduleError, match="design state"):
        s.reorder("j", "i")
    with pytest.raises(ScheduleError, match="design state"):
        s.parallel("i")
    s.split("j", 2)  # order-preserving: accepted and proved
    assert s.verify()
    A = np.zeros((4, 4), np.int32)
    s.build()(A)
    assert A.reshape(-1).tolist() == list(range(1, 17))


def test_pure_calls_still_reorder():
    s = allo.customize(fill_pure)
    s.reorder("j", "i")
    assert s.verify()


def test_stateful_buffer_is_not_reshaped_or_streamed():
    def k(A: int32[8]) -> int32[8]:
        h: int32[8] @ Stateful = 0
        for i in range(8):
            h[i] += A[i]
        B: int32[8] = 0
        for j in range(8):
            B[j] = h[j]
        return B

    s = allo.customize(k)
    with pytest.raises(ScheduleError, match="Stateful"):
        s.reshape(s.h, (2, 4))
    with pytest.raises(ScheduleError, match="Stateful"):
        s.to(s.h, "j")
    s.partition(s.h)  # a layout never changes values
    assert s.verify()
