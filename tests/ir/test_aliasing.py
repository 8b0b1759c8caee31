"""The aliasing rule (docs/semantics.md): a call may not pass two array arguments that
may share memory when the callee writes one of them. Primitives (buffer_at, reuse_at,
compute_at, reorder, parallel/pipeline) and compose assume distinct array parameters;
since no such call can be written (frontend, located error) or produced (IR verifier,
after every primitive), their former wrong results under aliasing cannot happen."""

import pytest

import allo
from allo.errors import AlloError, AlloTypeError
from allo.ir.aliasing import call_alias_violation, may_overlap, written_params
from allo.ir.nodes import BufRef, Call, Const, Module, Var
from allo.ir.types import Stream, index, int32
from allo.ir.verifier import IRError, verify_ir
from allo.symexec import verify as verify_modules

N = 8


# ------------------------------------------------------------------ callees a primitive changes
def shift(A: int32[N], B: int32[N]):  # reorder/parallel: B[i] reads A[N-1-i]
    for i in range(N):
        B[i] = A[N - 1 - i] + 1


def stencil(A: int32[N], B: int32[N]):  # reuse_at on A
    for i in range(N - 2):
        B[i] = A[i] + A[i + 1] + A[i + 2]


def rowbuf(A: int32[4, 4], B: int32[4, 4]):  # buffer_at on B, reorder of the 2-D nest
    for i in range(4):
        for j in range(4):
            B[i, j] = A[j, i] + 1


def prodcons(A: int32[N], B: int32[N]):  # compute_at of the producer into the consumer
    T: int32[N] = 0
    for i in range(N):
        T[i] = A[i] * 2
    for j in range(N):
        B[j] = T[j] + A[N - 1 - j]


SCHEDULES = {
    "reorder": (rowbuf, lambda s: s.reorder("j", "i")),
    "buffer_at": (rowbuf, lambda s: s.buffer_at(s.B, axis="i")),
    "reuse_at": (stencil, lambda s: s.reuse_at(s.A, "i")),
    "compute_at": (prodcons, lambda s: s.compute_at("i", "j")),
    "parallel": (shift, lambda s: s.parallel("i")),
    "pipeline": (shift, lambda s: s.pipeline("i")),
}


def top_shift(A: int32[N]):
    shift(A, A)


def top_stencil(A: int32[N]):
    stencil(A, A)


def top_rowbuf(M: int32[4, 4]):
    rowbuf(M, M)


def top_prodcons(A: int32[N]):
    prodcons(A, A)


TOPS = {shift: top_shift, stencil: top_stencil, rowbuf: top_rowbuf, prodcons: top_prodcons}


@pytest.mark.parametrize("primitive", sorted(SCHEDULES))
def test_aliased_call_of_a_scheduled_callee_cannot_be_written(primitive):
    callee, apply = SCHEDULES[primitive]
    s = allo.customize(callee)
    apply(s)  # legal for distinct arguments, and proved so
    assert s.verify().status == "equivalent"
    with pytest.raises(AlloTypeError) as info:
        allo.customize(TOPS[callee])  # the call that made the primitive wrong
    msg = str(info.value)
    assert "test_aliasing.py:" in msg and "^" in msg and "may be the same memory" in msg
    assert "hint: array parameters are distinct memory" in msg


def test_compose_cannot_replay_into_an_aliased_call():
    s_sub = allo.customize(rowbuf)
    s_sub.reorder("j", "i")
    with pytest.raises(AlloTypeError, match="may be the same memory"):
        allo.customize(top_rowbuf).compose(s_sub)


# ------------------------------------------------------------------ the IR verifier
def _aliased_module():
    good = allo.customize(top_two).ir
    top = good.top_func
    call = next(s for s in top.body if isinstance(s, Call))
    call.args[1] = BufRef("A")  # shift(A, A), built by hand (as a primitive could)
    return good


def top_two(A: int32[N], B: int32[N]):
    shift(A, B)


def test_ir_verifier_refuses_an_aliased_call_so_no_primitive_can_make_one():
    mod = _aliased_module()
    with pytest.raises(IRError, match="may be the same memory"):
        verify_ir(mod)
    v = verify_modules(mod, allo.customize(top_two).ir)
    assert v.status == "unknown" and "may be the same memory" in v.reason
    from allo.schedule import Schedule
    with pytest.raises(AlloError, match="may be the same memory"):
        Schedule(mod)


# ------------------------------------------------------------------ sub-views and read-only
def copy_row(A: int32[4], B: int32[4]):
    for i in range(4):
        B[i] = A[i]


def reads_two(A: int32[N], B: int32[N]) -> int32:
    return A[0] + B[1]


def neighbour_rows(M: int32[4, 4]):
    for i in range(3):
        copy_row(M[i], M[i + 1])


def any_rows(M: int32[4, 4]):
    for i in range(4):
        for j in range(4):
            copy_row(M[i], M[j])


def same_row_const(M: int32[4, 4]):
    copy_row(M[2], M[2])


def whole_and_row(M: int32[4, 4], R: int32[4, 4]):
    copy_row(M[0], R[0])


def read_only_twice(A: int32[N]) -> int32:
    return reads_two(A, A)


def test_disjoint_subviews_and_read_only_aliasing_are_accepted():
    allo.customize(neighbour_rows)
    allo.customize(whole_and_row)
    s = allo.customize(read_only_twice)
    import numpy as np
    A = np.arange(N, dtype=np.int32)
    assert int(s.build(target="interp")(A)) == 1


@pytest.mark.parametrize("kernel", [any_rows, same_row_const])
def test_overlapping_subviews_are_refused(kernel):
    with pytest.raises(AlloTypeError, match="may be the same memory"):
        allo.customize(kernel)


def inner_writer(X: int32[N], Y: int32[N]):
    for i in range(N):
        Y[i] = X[i]


def passes_on(P: int32[N], Q: int32[N]):
    inner_writer(P, Q)  # writes Q through the nested call


def top_passes_on(A: int32[N]):
    passes_on(A, A)


def test_writes_through_nested_calls_count():
    with pytest.raises(AlloTypeError, match="writes 'Q'"):
        allo.customize(top_passes_on)


def fifo_both(S: Stream[int32, 2], T: Stream[int32, 2], B: int32[2]):
    S.put(1)
    B[0] = T.get()


def top_fifo(B: int32[2]):
    F: Stream[int32, 2]
    fifo_both(F, F, B)


def test_the_same_stream_twice_is_refused():
    with pytest.raises(AlloTypeError, match="may be the same memory"):
        allo.customize(top_fifo)


def test_may_overlap_by_index_forms():
    i, j = Var("i", index), Var("j", index)
    one = Const(1, index)
    from allo.ir.nodes import Op
    assert not may_overlap(BufRef("A", (i,)), BufRef("A", (Op("add", (i, one), index),)))
    assert may_overlap(BufRef("A", (i,)), BufRef("A", (j,)))
    assert may_overlap(BufRef("A"), BufRef("A", (Const(0, index),)))
    assert not may_overlap(BufRef("A"), BufRef("B"))
    assert not may_overlap(BufRef("A", (Const(0, index),)), BufRef("A", (Const(3, index),)))


def test_written_params_fixpoint():
    w = written_params(allo.customize(top_two).ir)
    assert w["shift"] == {"B"} and w["top_two"] == {"B"}

    def passes_on_twice(A: int32[N], B: int32[N], C: int32[N]):
        passes_on(A, B)
        passes_on(B, C)

    w = written_params(allo.customize(passes_on_twice).ir)
    assert w["passes_on"] == {"Q"} and w["passes_on_twice"] == {"B", "C"}
