"""The Schedule object: handles, loop listing, history, verify_each, build targets."""

import numpy as np
import pytest

import allo
from allo.errors import AlloError, ScheduleError
from allo.ir.nodes import Const, Op, Store, map_stmt_exprs, walk_stmts
from allo.ir.types import int32
from allo.primitives.base import BufferHandle, primitive


def add_one(A: int32[4, 4]) -> int32[4, 4]:
    B: int32[4, 4] = 0
    for i, j in allo.grid(4, 4, name="body"):
        B[i, j] = A[i, j] + 1
    return B


def test_buffer_handles():
    s = allo.customize(add_one)
    assert s.A == BufferHandle("add_one", "A")
    assert s.B == BufferHandle("add_one", "B")
    assert not hasattr(s, "Q")
    with pytest.raises(ScheduleError) as err:
        s.Q
    assert "no buffer named 'Q'" in str(err.value) and "A, B" in str(err.value)


def test_get_loops_lists_bands_and_loops():
    s = allo.customize(add_one)
    loops = s.get_loops()
    assert [band.name for band in loops] == ["body"]
    assert [l.name for l in loops["body"]] == ["i", "j"]
    assert loops.body.j.name == "j"
    with pytest.raises(ScheduleError, match="no band named 'x'"):
        loops["x"]
    with pytest.raises(ScheduleError, match="no function named 'nope'"):
        s.get_loops("nope")


def test_history_records_certificates():
    s = allo.customize(add_one)
    s.split("i", 2)
    s.pipeline("j")
    assert [c.primitive for c in s.history] == ["split", "pipeline"]
    assert s.history[0].rule == "loop.split" and s.history[0].checked
    assert "split(axis='i', factor=2) by rule loop.split" in str(s.history[0])


@primitive("_test_corrupt", rule="test.corrupt", kinds={})
def _corrupt(ctx):
    """A deliberately wrong rewrite (test only): every constant 1 becomes 2."""
    for func in ctx.module.funcs.values():
        for s in walk_stmts(func.body):
            if isinstance(s, Store):
                map_stmt_exprs(s, lambda e: Const(2, e.type) if isinstance(e, Const) and e.value == 1 else None)


def test_verify_each_rejects_a_wrong_rewrite_and_keeps_the_schedule():
    s = allo.customize(add_one, verify_each=True)
    s.split("i", 2)  # a correct rewrite passes
    with pytest.raises(ScheduleError) as err:
        s.apply("_test_corrupt")
    assert "not proved equivalent" in str(err.value) and "not equivalent" in str(err.value)
    assert [c.primitive for c in s.history] == ["split"]
    A = np.arange(16, dtype=np.int32).reshape(4, 4)
    assert np.array_equal(s.build(target="interp")(A), A + 1)


def test_verify_reports_a_wrong_design():
    s = allo.customize(add_one)
    s.apply("_test_corrupt")
    verdict = s.verify()
    assert not verdict and verdict.status == "not equivalent"
    assert allo.verify(s, add_one).status == "not equivalent"
    t = allo.customize(add_one)
    t.split("j", 3)
    assert allo.verify(t, s.original)


def test_build_targets_and_errors():
    s = allo.customize(add_one)
    A = np.ones((4, 4), np.int32)
    assert np.array_equal(s.build()(A), A + 1)
    assert np.array_equal(s.build(target="interp")(A), A + 1)
    assert "add_one" in str(s.build(target="vhls", verify=False))
    with pytest.raises(AlloError, match="unknown build target 'gpu'"):
        s.build(target="gpu")


def test_customize_rejects_non_kernels():
    with pytest.raises(AlloError):
        allo.customize(42)
    with pytest.raises(AlloError):
        allo.customize(len)


def test_unknown_keyword_of_a_primitive_is_a_schedule_error():
    s = allo.customize(add_one)
    with pytest.raises(ScheduleError) as err:
        s.split("i", 2, foo=1)
    assert "foo" in str(err.value) and "split takes: axis, factor" in str(err.value)


def test_loop_listing_indices_out_of_range():
    loops = allo.customize(add_one).get_loops()
    with pytest.raises(ScheduleError, match="there are 1 bands, no band 5"):
        loops[5]
    with pytest.raises(ScheduleError, match="has 2 loops, no loop 7"):
        loops["body"][7]


def twice(A: int32[4, 4], C: int32[4, 4]):
    T: int32[4, 4] = 0
    for i, j in allo.grid(4, 4):
        T[i, j] = A[i, j] + 1
    for p, q in allo.grid(4, 4):
        C[p, q] = T[p, q] * 2


def test_reshape_accepts_an_int_shape():
    s = allo.customize(twice)
    s.reshape(s.T, 16)
    assert s.ir.top_func.buffers()["T"].shape == (16,)
    A = np.arange(16, dtype=np.int32).reshape(4, 4)
    C = np.zeros((4, 4), np.int32)
    s.build(target="interp")(A, C)
    assert np.array_equal(C, (A + 1) * 2)


@pytest.mark.parametrize("call, phrase", [
    (lambda s: s.partition(s.A, partition_type=allo.Partition.Complete, factor=3), "no meaning"),
    (lambda s: s.pipeline("j", rewind="yes"), "rewind='yes' must be True or False"),
])
def test_argument_kinds_are_checked(call, phrase):
    s = allo.customize(add_one)
    with pytest.raises(ScheduleError, match=phrase):
        call(s)


def imperfect(A: int32[4, 4], B: int32[4]) -> int32[4, 4]:
    C: int32[4, 4] = 0
    for i in range(4):
        for j in range(4, name="row"):
            C[i, j] += A[i, j]
            for j0 in range(4):
                C[i, j0] += B[j0]
    return C


def test_get_loops_lists_nested_bands_under_the_enclosing_band():
    s = allo.customize(imperfect)
    loops = s.get_loops()
    assert [l.name for l in loops.S_i_0] == ["i", "j", "j0"]
    assert loops.S_i_0.j == loops.row.j  # the same loop, under its own band too
    s.split(loops.S_i_0.i, 2)
    s.reorder("i.outer", loops.S_i_0.j, "i.inner")
    s.pipeline(loops.S_i_0.j)  # the handle of a loop that reorder moved to another band
    assert s.verify()
    with pytest.raises(ScheduleError, match="has no loop 'k'"):
        loops.S_i_0.k


def test_to_with_a_pe_array_and_axis_is_a_relay_along_that_axis():
    from seed_kernels import make_matmul

    s = allo.customize(make_matmul(3, 3, 2))
    buf_A = s.buffer_at(s.A, "j")  # A[i, :]: the same for every j, so it flows along j
    buf_B = s.buffer_at(s.B, "j")  # B[:, j]: flows along i
    pe = s.unfold("PE", axis=[0, 1], factor=[3, 3])
    s.to(buf_A, pe, axis=1, depth=4)
    s.to(buf_B, pe, axis=0, depth=4)
    assert [c.rule for c in s.history[-2:]] == ["dataflow.relay", "dataflow.relay"]
    assert s.verify()
    with pytest.raises(ScheduleError, match="neighbouring PEs copy the same elements"):
        t = allo.customize(make_matmul(3, 3, 2))
        buf = t.buffer_at(t.A, "j")
        t.to(buf, t.unfold("PE", axis=[0, 1], factor=[3, 3]), axis=0)  # A[i, :] cannot flow along i
    with pytest.raises(ScheduleError, match="flow axis must be one of two spatial positions"):
        t = allo.customize(make_matmul(3, 3, 2))
        buf = t.buffer_at(t.A, "j")
        t.to(buf, t.unfold("PE", axis=[0, 1], factor=[3, 3]), axis=2)
