"""reuse_at: 1-D windows, 2-D line buffers and windows, refusals."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import allo
from allo.errors import ScheduleError
from allo.ir.nodes import Alloc, Load, stmt_exprs, walk_expr, walk_stmts
from allo.ir.types import int32
from allo.primitives.base import BufferHandle, loop_sites
from allo.backends.interp import Interpreter

W, H = 10, 7


def blur(A: int32[W]) -> int32[W - 2]:
    B: int32[W - 2] = 0
    for x in range(W - 2):
        B[x] = A[x] + A[x + 1] + A[x + 2]
    return B


def conv(A: int32[H, W]) -> int32[H - 2, W - 2]:
    B: int32[H - 2, W - 2] = 0
    for y in range(H - 2):
        for x in range(W - 2):
            v: int32 = 0
            for r in range(3):
                for c in range(3):
                    v += A[y + r, x + c]
            B[y, x] = v
    return B


def in_place(A: int32[W]):
    for x in range(W - 2):
        A[x] = A[x + 1] + A[x + 2]


def still(A: int32[W], B: int32[W]):
    for x in range(W):
        B[x] = A[0] + A[1]


def strided(A: int32[2 * W]) -> int32[W - 1]:
    B: int32[W - 1] = 0
    for x in range(W - 1):
        B[x] = A[2 * x] + A[2 * x + 1]
    return B


def diagonal(A: int32[W, W]) -> int32[W - 1]:
    B: int32[W - 1] = 0
    for x in range(W - 1):
        B[x] = A[x, x] + A[x + 1, x + 1]
    return B


def allocs(s):
    return {st.name: st.type for st in walk_stmts(s.ir.top_func.body) if isinstance(st, Alloc)}


def loop_of(s, name):
    return next(site.loop for site in loop_sites(s.ir.top_func) if site.loop.name == name)


def same_result(s, *args):
    expected = Interpreter(s.original)(*[a.copy() for a in args])
    got = s.build(target="interp")(*[a.copy() for a in args])
    assert np.array_equal(expected, got)


def loads_in(body, name):
    return [sub for st in walk_stmts(body) for e in stmt_exprs(st) for sub in walk_expr(e)
            if isinstance(sub, Load) and sub.buffer == name]


def test_one_dimensional_window():
    s = allo.customize(blur)
    win = s.reuse_at(s.A, "x")
    assert win == BufferHandle("blur", "A_reuse")
    assert allocs(s)["A_reuse"] == int32[3]
    # inside x, A is read once per iteration (the newly needed element), the rest from the window
    body = loop_of(s, "x").body
    assert len(loads_in(body, "A")) == 1
    assert len(loads_in(body, "A_reuse")) >= 3
    text = str(s.module)
    assert "%A_reuse = memref.alloc()" in text and 'loop_name = "A_shift_0"' in text
    same_result(s, np.arange(W, dtype=np.int32) * 7 - 20)
    assert s.history[-1].rule == "memory.reuse_at" and s.history[-1].checked
    assert s.verify()


def test_line_buffer_then_window():
    s = allo.customize(conv)
    lines = s.reuse_at(s.A, "y")
    assert allocs(s)[lines.name] == int32[3, W]
    window = s.reuse_at(lines, "x")
    assert allocs(s)[window.name] == int32[3, 3]
    # A is read once per y iteration row by row, never inside the x loop
    assert loads_in(loop_of(s, "x").body, "A") == []
    rng = np.random.default_rng(5)
    same_result(s, rng.integers(-1000, 1000, (H, W)).astype(np.int32))
    assert s.verify()


def test_line_buffer_on_llvm():
    s = allo.customize(conv)
    s.reuse_at(s.A, "y")
    A = np.random.default_rng(6).integers(-1000, 1000, (H, W)).astype(np.int32)
    assert np.array_equal(Interpreter(s.original)(A), s.build()(A))


def test_refuses_a_target_written_in_the_loop():
    s = allo.customize(in_place)
    with pytest.raises(ScheduleError) as err:
        s.reuse_at(s.A, "x")
    assert "A is written inside loop 'x': write A[x]" in str(err.value)


def test_refuses_reads_that_do_not_slide():
    s = allo.customize(still)
    with pytest.raises(ScheduleError, match="do not move with loop 'x'"):
        s.reuse_at(s.A, "x")


def far_strided(A: int32[3 * W]) -> int32[W - 1]:
    B: int32[W - 1] = 0
    for x in range(W - 1):
        B[x] = A[3 * x] + A[3 * x + 1]
    return B


def conv_stride2(A: int32[9, 11]) -> int32[4, 5]:
    B: int32[4, 5] = 0
    for y, x in allo.grid(4, 5):
        v: int32 = 0
        for r, c in allo.reduction(3, 3):
            v += A[y * 2 + r, x * 2 + c]
        B[y, x] = v
    return B


def test_stride_two_line_buffer_and_window():
    s = allo.customize(conv_stride2)
    lb = s.reuse_at(s.A, "y")
    wb = s.reuse_at(lb, "x")
    allocs = {a.name: a.type.shape for a in walk_stmts(s.ir.top_func.body) if isinstance(a, Alloc)}
    assert allocs[lb.name] == (3, 11) and allocs[wb.name] == (3, 3)
    a = np.random.default_rng(0).integers(0, 10, (9, 11)).astype(np.int32)
    ref = np.array([[a[2 * y:2 * y + 3, 2 * x:2 * x + 3].sum() for x in range(5)] for y in range(4)])
    assert (s.build()(a) == ref).all()
    assert s.verify()


def test_strides_up_to_the_width_and_refusals():
    s = allo.customize(strided)  # stride 2, width 2: windows meet, nothing is shifted
    s.reuse_at(s.A, "x")
    assert s.verify()
    s = allo.customize(far_strided)
    with pytest.raises(ScheduleError, match="moves by 3 per iteration .* but is 2 wide"):
        s.reuse_at(s.A, "x")
    s = allo.customize(diagonal)
    with pytest.raises(ScheduleError, match="in 2 dimensions"):
        s.reuse_at(s.A, "x")


@settings(max_examples=25, deadline=None)
@given(offsets=st.lists(st.integers(-2, 3), min_size=1, max_size=4),
       lo=st.integers(2, 3), trips=st.integers(1, 6), data=st.data())
def test_random_one_dimensional_stencils(offsets, lo, trips, data):
    """Any set of constant offsets: the window serves every read (interpreter agrees)."""
    size = lo + trips + 3

    def stencil(A: int32[size]) -> int32[size]:
        B: int32[size] = 0
        for x in range(lo, lo + trips):
            for t in range(1):
                B[x] = B[x] + A[x + o0] * 3 - A[x + o1] + A[x + o2] * A[x + o3]
        return B

    o0, o1, o2, o3 = (offsets * 4)[:4]
    s = allo.customize(stencil)
    win = s.reuse_at(s.A, "x")
    assert allocs(s)[win.name].shape == (max(offsets) - min(offsets) + 1,)
    A = np.array(data.draw(st.lists(st.integers(-100, 100), min_size=size, max_size=size)),
                 dtype=np.int32)
    same_result(s, A)


@settings(max_examples=15, deadline=None)
@given(r=st.integers(1, 3), c=st.integers(1, 3), dy=st.integers(0, 1), axis=st.sampled_from(["y", "x"]))
def test_random_two_dimensional_windows(r, c, dy, axis):
    rows, cols = H, W

    def box_sum(A: int32[rows, cols]) -> int32[rows, cols]:
        B: int32[rows, cols] = 0
        for y in range(rows - r - dy + 1):
            for x in range(cols - c + 1):
                for p in range(r):
                    for q in range(c):
                        B[y, x] += A[y + p + dy, x + q] * (p + 1)
        return B

    s = allo.customize(box_sum)
    win = s.reuse_at(s.A, axis)
    shape = allocs(s)[win.name].shape
    if axis == "y":
        assert shape == (r, cols) or (r == 1 and shape == (1, cols))
    else:
        assert shape == ((r, c) if r > 1 else (c,))
    A = np.random.default_rng(r * 10 + c).integers(-50, 50, (rows, cols)).astype(np.int32)
    same_result(s, A)


def edge(A: int32[W]) -> int32[W]:
    B: int32[W] = 0
    for x in range(W):
        if x + 1 < W:
            B[x] = A[x] + A[x + 1]
    return B


def test_refuses_a_window_leaving_the_target_with_the_iteration():
    s = allo.customize(edge)
    with pytest.raises(ScheduleError) as err:
        s.reuse_at(s.A, "x")
    msg = str(err.value)
    assert f"x={W - 1}" in msg and f"leaves the extent ({W},) of A" in msg
