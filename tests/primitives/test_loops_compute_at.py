"""compute_at named by a loop below its nest's root (``compute_at("j", "jj")``): the
producer nest fuses down to that depth; refused when the depths differ or a dependence
would run backwards."""

import numpy as np
import pytest

import allo
from allo.errors import ScheduleError
from allo.ir.nodes import For
from allo.ir.types import int32


def make_two_nests(shift=0):
    def two_nests(A: int32[3, 4, 5]) -> int32[3, 4, 5]:
        B: int32[3, 5, 5] = 0
        for i, j, m in allo.grid(3, 4, 5, name="P"):
            B[i, j, m] = A[i, j, m] * 2
        C: int32[3, 4, 5] = 0
        for ii, jj, mm in allo.grid(3, 4, 5, name="Q"):
            C[ii, jj, mm] = B[ii, jj + shift, mm] + 1
        return C
    return two_nests


@pytest.mark.parametrize("producer,consumer,depth", [("i", "ii", 1), ("j", "jj", 2), ("m", "mm", 3)])
def test_compute_at_by_inner_loop_fuses_to_that_depth(producer, consumer, depth):
    s = allo.customize(make_two_nests())
    s.compute_at(producer, consumer)
    top = s.ir.top_func
    assert [x.band for x in top.body if isinstance(x, For)] == ["Q"]  # the producer nest moved
    target = next(l for l in top.loops() if l.name == consumer)
    assert len(target.body) == 2  # producer's rest first, then the consumer's body
    a = np.arange(60, dtype=np.int32).reshape(3, 4, 5)
    assert (s.build()(a) == a * 2 + 1).all()
    assert s.verify()


def test_compute_at_with_handles_from_get_loops_then_reorder():
    s = allo.customize(make_two_nests())
    loops = s.get_loops()
    s.compute_at(loops.P.j, loops.Q.jj)
    s.reorder("jj", "ii")
    assert s.verify()


def test_compute_at_refuses_different_depths():
    s = allo.customize(make_two_nests())
    with pytest.raises(ScheduleError, match="producer loop 'j' is at depth 2 .* 'mm' is at depth 3"):
        s.compute_at("j", "mm")


def test_compute_at_by_inner_loop_refuses_a_read_ahead():
    s = allo.customize(make_two_nests(shift=1))
    with pytest.raises(ScheduleError, match="fused order keeps the dependence"):
        s.compute_at("j", "jj")
    s.compute_at("i", "ii")  # at the outer level the read of row jj + 1 is already written
    assert s.verify()
