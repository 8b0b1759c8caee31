"""Dataflow primitives: unfold, relay, to, compute_at, dataflow, inline — legal uses keep
results (interpreter) and verify; illegal uses are refused with a witness."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import allo
from allo.errors import ScheduleError
from allo.ir.nodes import For, StreamGet, StreamPut, walk_stmts
from allo.ir.types import int8, int32
from allo.primitives.dataflow_common import PEArray
from property_runs import Applied, checked_property
from seed_kernels import make_matmul


def same_as_original(s, *shapes_dtypes, seed=0):
    rng = np.random.default_rng(seed)
    args = [rng.integers(-50, 50, shape).astype(dt) for shape, dt in shapes_dtypes]
    a = [x.copy() for x in args]
    b = [x.copy() for x in args]
    ra = allo.Schedule(s.original).build(target="interp")(*a)
    rb = s.build(target="interp")(*b)
    for x, y in zip(a, b):
        assert np.array_equal(x, y)
    if ra is not None:
        assert np.array_equal(ra, rb)


MM = lambda M, N, K: ([(M, K), np.int8], [(K, N), np.int8], [(M, N), np.int16])  # noqa: E731


# ------------------------------------------------------------------ unfold
def test_unfold_full_marks_loops_and_returns_pe_array():
    s = allo.customize(make_matmul(4, 4, 4))
    pe = s.unfold("PE", axis=[0, 1], factor=[4, 4])
    assert isinstance(pe, PEArray) and pe.shape == (4, 4) and pe.spatial_loops == ("i", "j")
    loops = {l.name: l for l in s.ir.top_func.loops()}
    assert loops["i"].attrs["unfold"] and loops["j"].attrs["unroll"] == 0
    assert s.history[-1].rule == "dataflow.unfold"
    assert s.verify()


def test_unfold_with_smaller_factor_splits_first():
    s = allo.customize(make_matmul(4, 6, 2))
    pe = s.unfold("PE", axis=[1], factor=[3])
    assert pe.positions[1] == ("j.outer", "j.inner") and pe.spatial == (None, "j.inner")
    assert any(c.status == "proved" and "split" in c.name for c in s.history[-1].conditions)
    same_as_original(s, *MM(4, 6, 2))
    assert s.verify()


def test_unfold_records_pe_communication():
    s = allo.customize(make_matmul(2, 2, 3))
    s.reorder("k", "j", "i")
    s.unfold("PE", axis=[0], factor=[3])
    detail = " ".join(c.detail for c in s.history[-1].conditions)
    assert "PEs communicate" in detail and "C[" in detail


@pytest.mark.parametrize("kw, phrase", [
    (dict(axis=[0], factor=[3]), "does not divide the 4 iterations"),
    (dict(axis=[1], factor=[8]), "exceeds the 4 iterations"),
    (dict(axis=[2], factor=[2]), "not a position of band"),
    (dict(axis=[0, 1], factor=[2]), "axis has 2 entries but factor has 1"),
    (dict(axis=[0, 0], factor=[2, 2]), "distinct band positions"),
    (dict(axis=[0], factor=[0]), "must be a positive integer"),
])
def test_unfold_refusals(kw, phrase):
    s = allo.customize(make_matmul(4, 4, 4))
    with pytest.raises(ScheduleError, match=phrase):
        s.unfold("PE", **kw)
    assert not any(l.attrs.get("unfold") for l in s.ir.top_func.loops())


def test_unfold_unknown_band_lists_bands():
    s = allo.customize(make_matmul(2, 2, 2))
    with pytest.raises(ScheduleError, match="bands that exist: .*PE"):
        s.unfold("PX", axis=[0], factor=[2])


def test_unfold_property_keeps_results():
    applied = Applied()

    @given(M=st.sampled_from([2, 4, 6]), N=st.sampled_from([2, 3, 6]), which=st.integers(0, 1),
           pick=st.integers(0, 5))
    def prop(M, N, which, pick):
        s = allo.customize(make_matmul(M, N, 2))
        extent = (M, N)[which]
        divisors = [d for d in range(1, extent + 1) if extent % d == 0]
        s.unfold("PE", axis=[which], factor=[divisors[pick % len(divisors)]])
        same_as_original(s, *MM(M, N, 2), seed=M * 10 + N)
        applied()

    checked_property(prop, applied, max_examples=12, at_least=6)


# ------------------------------------------------------------------ relay
def test_relay_along_a_dependent_axis_is_refused_with_witness():
    s = allo.customize(make_matmul(3, 3, 3))
    buf_A = s.buffer_at(s.A, "j")
    pe = s.unfold("PE", axis=[0, 1], factor=[3, 3])
    with pytest.raises(ScheduleError) as err:
        s.relay(buf_A, pe, axis=1)  # A_buf = A[i, :] changes along i: cannot flow along i
    msg = str(err.value)
    assert "neighbouring PEs copy the same elements" in msg and "A[" in msg and "successor along 'i'" in msg
    assert "A_buf_fifo" not in s.ir.top_func.buffers()


@pytest.mark.parametrize("call, phrase", [
    (lambda s, b, pe: s.relay(s.A, pe, axis=0), "function argument"),
    (lambda s, b, pe: s.relay(b, pe, axis=0, depth=0), "depth=0 must be a positive integer"),
    (lambda s, b, pe: s.relay(b, pe, axis=5), "not a position"),
    (lambda s, b, pe: s.relay(b, "nope", axis=0), "no band named"),
])
def test_relay_bad_arguments(call, phrase):
    s = allo.customize(make_matmul(2, 2, 2))
    b = s.buffer_at(s.A, "j")
    pe = s.unfold("PE", axis=[0, 1], factor=[2, 2])
    with pytest.raises(ScheduleError, match=phrase):
        call(s, b, pe)


def test_relay_of_buffer_declared_around_the_chain_loop_sinks_it_first():
    s = allo.customize(make_matmul(3, 2, 2))
    b = s.buffer_at(s.A, "i")  # declared in i's body, around spatial loop j: moved into j
    pe = s.unfold("PE", axis=[0, 1], factor=[3, 2])
    s.relay(b, pe, axis=0, depth=2)
    assert any("sinking keeps the buffer's contents" in c.name for c in s.history[-1].conditions)
    same_as_original(s, *MM(3, 2, 2))
    assert s.verify()


def test_relay_refuses_to_sink_a_written_back_buffer():
    s = allo.customize(make_matmul(2, 2, 2))
    b = s.buffer_at(s.C, "i")  # C[i, :] is written back after loop j
    pe = s.unfold("PE", axis=[0, 1], factor=[2, 2])
    with pytest.raises(ScheduleError, match="also used outside it|not declared inside"):
        s.relay(b, pe, axis=0)


def test_relay_takes_band_name_and_streams_run_in_order():
    s = allo.customize(make_matmul(3, 2, 2))
    b = s.buffer_at(s.B, "j")
    s.unfold("PE", axis=[0, 1], factor=[3, 2])
    s.relay(b, "PE", axis=1, depth=3)
    gets = [e for st_ in walk_stmts(s.ir.top_func.body) for e in [getattr(st_, "value", None)]
            if isinstance(e, StreamGet)]
    assert gets and gets[0].stream == "B_buf_fifo"
    same_as_original(s, *MM(3, 2, 2))
    assert s.verify()


# ------------------------------------------------------------------ to
def make_pipe(M, N, transposed=False, twice=False):
    def pipe(A: int32[M, N], C: int32[M, N]):
        B: int32[M, N] = 0
        for i, j in allo.grid(M, N, "P"):
            B[i, j] = A[i, j] + 1
        for i2 in range(M):
            for j2 in range(N):
                C[i2, j2] = B[i2, j2] * 2
    def pipe_t(A: int32[M, N], C: int32[N, M]):
        B: int32[M, N] = 0
        for i, j in allo.grid(M, N, "P"):
            B[i, j] = A[i, j] + 1
        for j2 in range(N):
            for i2 in range(M):
                C[j2, i2] = B[i2, j2] * 2
    def pipe_twice(A: int32[M, N], C: int32[M, N]):
        B: int32[M, N] = 0
        for i, j in allo.grid(M, N, "P"):
            B[i, 0] = A[i, j] + 1
        for i2 in range(M):
            for j2 in range(N):
                C[i2, j2] = B[i2, j2] * 2
    return pipe_t if transposed else pipe_twice if twice else pipe


def test_to_turns_buffer_into_fifo():
    s = allo.customize(make_pipe(3, 4))
    s.to(s.B, "i2")
    func = s.ir.top_func
    assert func.buffers()["B"].is_stream and func.buffers()["B"].dtype.depth == 12
    assert any(isinstance(x, StreamPut) for x in walk_stmts(func.body))
    assert s.history[-1].rule == "dataflow.stream"
    same_as_original(s, ((3, 4), np.int32), ((3, 4), np.int32))
    assert s.verify()


def test_to_out_of_order_names_first_element():
    s = allo.customize(make_pipe(3, 4, transposed=True))
    with pytest.raises(ScheduleError) as err:
        s.to(s.B, "j2")
    msg = str(err.value)
    assert "first out-of-order element: write number 1 puts B[0, 1] but read number 1 expects B[1, 0]" in msg


def test_to_refuses_double_writes_and_arguments():
    s = allo.customize(make_pipe(2, 3, twice=True))
    with pytest.raises(ScheduleError, match="(?s)every element is written once.*both write B\\["):
        s.to(s.B, "i2")
    with pytest.raises(ScheduleError, match="function argument"):
        s.to(s.A, "i2")
    with pytest.raises(ScheduleError, match="depth=0"):
        s.to(s.B, "i2", depth=0)


def test_to_property_keeps_results():
    applied = Applied()

    @given(M=st.integers(1, 4), N=st.integers(1, 4), depth=st.sampled_from([-1, 1, 3]))
    def prop(M, N, depth):
        s = allo.customize(make_pipe(M, N))
        s.to(s.B, "i2", depth=depth)
        same_as_original(s, ((M, N), np.int32), ((M, N), np.int32), seed=M + N)
        applied()

    checked_property(prop, applied, max_examples=10, at_least=5)


# ------------------------------------------------------------------ compute_at
def make_stages(M, N, shift=0):
    def stages(A: int32[M, N], C: int32[M, N]):
        B: int32[M + 1, N] = 0
        for i, j in allo.grid(M, N, "S0"):
            B[i, j] = A[i, j] * 3
        for i1, j1 in allo.grid(M, N, "S1"):
            C[i1, j1] = B[i1 + shift, j1] + 1
    return stages


@pytest.mark.parametrize("level", ["i1", "j1"])
def test_compute_at_classic(level):
    s = allo.customize(make_stages(3, 4))
    s.compute_at("S0", level)
    top = s.ir.top_func
    assert [x.band for x in top.body if isinstance(x, For)] == ["S1"]  # producer nest moved
    target = next(l for l in top.loops() if l.name == level)
    assert isinstance(target.body[0], For if level == "i1" else type(target.body[0])) and len(target.body) == 2
    assert s.history[-1].rule == "loop.compute_at"
    same_as_original(s, ((3, 4), np.int32), ((3, 4), np.int32))
    assert s.verify()


def test_compute_at_refuses_a_read_ahead_with_witness():
    s = allo.customize(make_stages(3, 4, shift=1))
    with pytest.raises(ScheduleError) as err:
        s.compute_at("S0", "i1")
    msg = str(err.value)
    assert "fused order keeps the dependence" in msg and "consumer iteration (i1=" in msg and "B[" in msg


def test_compute_at_refuses_mismatched_levels():
    s = allo.customize(make_stages(3, 4))
    with pytest.raises(ScheduleError, match="does not run before"):
        s.compute_at("S1", "j")
    with pytest.raises(ScheduleError, match="no loop named"):
        s.compute_at("S0", "zz")


def test_compute_at_property():
    applied = Applied()

    @given(M=st.integers(1, 4), N=st.integers(1, 4), level=st.sampled_from(["i1", "j1"]))
    def prop(M, N, level):
        s = allo.customize(make_stages(M, N))
        s.compute_at("S0", level)
        same_as_original(s, ((M, N), np.int32), ((M, N), np.int32), seed=M * N)
        applied()

    checked_property(prop, applied, max_examples=10, at_least=5)


# ------------------------------------------------------------------ dataflow / inline
def test_dataflow_on_function_with_a_stream():
    s = allo.customize(make_pipe(2, 3))
    s.to(s.B, "i2", depth=1)
    s.dataflow("pipe")
    assert s.ir.top_func.attrs["dataflow"] is True
    assert "dataflow" in str(s.module)
    same_as_original(s, ((2, 3), np.int32), ((2, 3), np.int32))
    assert s.verify()  # concurrent tasks: a depth-1 FIFO is fine


def test_dataflow_refuses_two_consumers():
    M, N = 2, 2

    def two(A: int32[M, N], C: int32[M, N], D: int32[M, N]):
        B: int32[M, N] = 0
        for i, j in allo.grid(M, N):
            B[i, j] = A[i, j]
        for i2, j2 in allo.grid(M, N):
            C[i2, j2] = B[i2, j2]
        for i3, j3 in allo.grid(M, N):
            D[i3, j3] = 0

    s = allo.customize(two)
    s.to(s.B, "i2")
    # move a get into the third task by hand: two consumers of one stream
    func = s.ir.top_func
    loops = [x for x in func.body if isinstance(x, For)]
    get_store = loops[1].body[0].body[0]
    loops[2].body[0].body.append(get_store)
    from allo.ir.nodes import Module
    from allo.primitives.base import apply_primitive
    with pytest.raises(ScheduleError, match="stream 'B' has 2 consumer tasks"):
        apply_primitive(s.ir, "dataflow", {"target": "two"})
    with pytest.raises(ScheduleError, match="neither a function nor a loop"):
        s.dataflow("nothing_here")


def test_dataflow_on_loop():
    s = allo.customize(make_pipe(2, 2))
    s.dataflow("i")
    assert next(l for l in s.ir.top_func.loops() if l.name == "i").attrs["dataflow"]


def test_inline_marks_function_and_refuses_unknown():
    s = allo.customize(make_pipe(2, 2))
    s.inline()
    assert s.ir.top_func.attrs["inline"] is True
    s.inline("pipe")
    with pytest.raises(ScheduleError, match="(?s)no function named .other.*functions: pipe"):
        s.inline("other")
    with pytest.raises(ScheduleError, match="not a function name"):
        s.inline(42)


# ------------------------------------------------------------------ element types and writers
def make_narrowing_accumulator(M, N, K):
    # a hand-written PE buffer: int32 partial sums written back into an int8 array
    def narrowing(A: int8[M, K], B: int8[K, N], C: int8[M, N]):
        for k, j in allo.grid(K, N, "PE"):
            acc: int32[M] = 0
            for t in range(M):
                acc[t] = C[t, j]
            for i in range(M):
                acc[i] = acc[i] // 2 + A[i, k] * B[k, j]
            for t2 in range(M):
                C[t2, j] = acc[t2]
    return narrowing


def test_relay_refuses_a_pe_buffer_whose_write_back_narrows():
    s = allo.customize(make_narrowing_accumulator(2, 2, 3))
    pe = s.unfold("PE", axis=[0, 1], factor=[3, 2])
    with pytest.raises(ScheduleError) as err:
        s.relay("acc", pe, axis=1)  # the FIFO would carry acc before narrowing to int8
    assert "hint:" in str(err.value)
    assert "acc_fifo" not in s.ir.top_func.buffers()


def test_relay_finds_the_copy_nests_by_the_tag_buffer_at_leaves():
    s = allo.customize(make_matmul(2, 3, 2))
    s.reorder("k", "j", "i")
    buf_C = s.buffer_at(s.C, "j")
    roles = {l.attrs.get("copy_role") for l in s.ir.top_func.loops() if l.attrs.get("copy_of") == buf_C.name}
    assert roles == {"init", "write_back"}
    pe = s.unfold("PE", axis=[0, 1], factor=[2, 3])
    s.relay(buf_C, pe, axis=1)
    same_as_original(s, *MM(2, 3, 2))


def two_writers(A: int32[4], B: int32[4], C: int32[4]):
    T: int32[4] = 0
    for i in range(4):
        T[i] = A[i] + 1
    for i2 in range(4):
        T[i2] = T[i2] + B[i2]
    for i3 in range(4):
        C[i3] = T[i3]


def fill(X: int32[4], Y: int32[4]):
    for i in range(4):
        Y[i] = X[i] * 2


def read_then_written(A: int32[4], C: int32[4]):
    T: int32[4] = 0
    for i in range(4):
        C[i] = T[i]
    fill(A, T)


def two_readers(A: int32[4], B: int32[4], C: int32[4]):
    fill(A, B)
    fill(A, C)


def test_dataflow_refuses_two_tasks_writing_one_plain_buffer():
    s = allo.customize(two_writers)
    with pytest.raises(ScheduleError, match="buffer 'T' is written by 2 tasks") as err:
        s.dataflow("two_writers")
    assert "hint:" in str(err.value) and not s.ir.top_func.attrs.get("dataflow")


def test_dataflow_refuses_a_read_before_the_writer_task_through_a_call():
    s = allo.customize(read_then_written)
    with pytest.raises(ScheduleError, match="task 1 \\(loop 'i'\\) reads buffer 'T' before task 2 \\(call 'fill'\\) writes it"):
        s.dataflow("read_then_written")


def test_dataflow_accepts_tasks_that_only_share_an_input():
    s = allo.customize(two_readers)
    s.dataflow("two_readers")  # the callee only reads X: A has no writer task
    assert s.ir.top_func.attrs["dataflow"]


def test_relay_side_condition_covers_element_types_of_tagged_nests():
    # IR surgery: buffer_at's tagged nests, but the buffer widened to int32 (casts around
    # every use), so the write-back into the int16 array narrows
    from allo.ir.nodes import Alloc, Load, Op, Store, map_stmt_exprs
    from allo.ir.types import BufferType

    s = allo.customize(make_matmul(2, 3, 2))
    s.reorder("k", "j", "i")
    buf_C = s.buffer_at(s.C, "j")
    module = s.ir.copy()
    name = buf_C.name

    def widen(e):
        if isinstance(e, Load) and e.buffer == name:
            return Op("cast", (Load(name, e.indices, int32),), e.type)
        return None

    for st in walk_stmts(module.top_func.body):
        if isinstance(st, Alloc) and st.name == name:
            st.type = BufferType(int32, st.type.shape)
        map_stmt_exprs(st, widen)
        if isinstance(st, Store) and st.buffer == name:
            st.value = Op("cast", (st.value,), int32)
    widened = allo.Schedule(module)
    pe = widened.unfold("PE", axis=[0, 1], factor=[2, 3])
    with pytest.raises(ScheduleError, match="the FIFO carries what each PE would load"):
        widened.relay(buf_C, pe, axis=1)
