"""allo.passes: argument modes (in/out/both) through calls; allo.ir.transform look-ups."""

import pytest

import allo
from allo.errors import AlloError, ScheduleError
from allo.ir.transform import find_loop_in_bands
from allo.ir.types import int32
from allo.passes import analyze_arg_load_store, analyze_arg_load_store_in_func


def add(A: int32[8], B: int32[8], C: int32[8]):
    for i in range(8):
        C[i] = A[i] + B[i]


def bump(D: int32[8]):
    for i in range(8):
        D[i] = D[i] + 1


def fill(A: int32[8]):
    for i in range(8):
        A[i] = i


def test_modes_of_one_function():
    s = allo.customize(add)
    assert analyze_arg_load_store_in_func(s.top_func) == ["in", "in", "out"]


def test_modes_follow_calls():
    def top(X: int32[8], Y: int32[8], Z: int32[8], P: int32[8]):
        add(X, Y, Z)
        bump(P)

    def top2(A: int32[8], B: int32[8], C: int32[8], D: int32[8]):
        add(A, B, C)
        fill(A)
        bump(D)

    assert analyze_arg_load_store(allo.customize(top).module)["top"] == ["in", "in", "out", "both"]
    modes = analyze_arg_load_store(allo.customize(top2).module)
    assert modes["top2"] == ["both", "in", "out", "both"]
    assert modes["fill"] == ["out"]


def test_callee_unknown_without_module_is_read_and_written():
    def top(X: int32[8]):
        fill(X)

    s = allo.customize(top)
    assert analyze_arg_load_store_in_func(s.top_func) == ["both"]
    assert analyze_arg_load_store_in_func(s.top_func, s.module) == ["out"]


def test_scalars_and_returns():
    def k(a: int32, A: int32[8]) -> int32[8]:
        B: int32[8] = 0
        for i in range(8):
            B[i] = A[i] + a
        return B

    assert analyze_arg_load_store(allo.customize(k).module)["k"] == ["in", "in"]


def test_bad_argument():
    with pytest.raises(AlloError, match="needs a design"):
        analyze_arg_load_store(42)
    with pytest.raises(AlloError, match="needs a function"):
        analyze_arg_load_store_in_func("top")


def test_find_loop_in_bands_gives_the_outermost_band():
    def top(A: int32[8]):
        for i in range(8):
            fill(A)
            for j in range(8):
                A[j] = A[j] * 2

    s = allo.customize(top)
    band, axis = find_loop_in_bands(s.top_func, "j")
    assert axis == "j"
    assert band == s.get_loops()[0].name
    with pytest.raises(ScheduleError, match="no loop named 'q'"):
        find_loop_in_bands(s.top_func, "q")
