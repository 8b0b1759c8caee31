"""verify() on inputs that used to crash it: integers/fixed wider than 126 bits, kernels
whose parameters have different names (matched by position), loop nests deeper than
CPython's 20 nested blocks."""

import numpy as np
import pytest

import allo
from allo.ir.types import Fixed, Int, UInt, int32
from allo.symexec.replay import random_bits, random_value


# ------------------------------------------------------------------ wide integers / fixed
@pytest.mark.parametrize("t", [Int(126), Int(128), UInt(200), Fixed(130, 10), Int(512)])
def test_random_value_covers_wide_types(t):
    rng = np.random.default_rng(0)
    lo = -(1 << (t.bits - 1)) if t.signed else 0
    values = [random_value(t, rng, trial) for trial in range(40)]
    assert all(lo <= v < lo + (1 << t.bits) for v in values)
    # the full-range trials reach the top bits (a 62-bit draw never would)
    assert any(abs(v) >= 1 << (t.bits - 8) for v in values)


def test_random_bits_is_uniform_over_chunks():
    rng = np.random.default_rng(1)
    draws = [random_bits(130, rng) for _ in range(200)]
    assert all(0 <= d < 1 << 130 for d in draws)
    assert any(d >> 124 for d in draws) and len(set(draws)) == 200


def wide_mul_add(A: Int(128)[4], B: Int(128)[4]) -> Int(128)[4]:
    C: Int(128)[4] = 0
    for i in range(4):
        C[i] = A[i] * B[i] + A[i]
    return C


def wide_factored(A: Int(128)[4], B: Int(128)[4]) -> Int(128)[4]:
    C: Int(128)[4] = 0
    for i in range(4):
        C[i] = A[i] * (B[i] + 1)
    return C


def wide_wrong(A: Int(128)[4], B: Int(128)[4]) -> Int(128)[4]:
    C: Int(128)[4] = 0
    for i in range(4):
        C[i] = A[i] * (B[i] + 2)
    return C


def test_verify_128_bit_integers():
    assert allo.verify(wide_mul_add, wide_factored).status == "equivalent"
    v = allo.verify(wide_mul_add, wide_wrong)
    assert v.status == "not equivalent", v.report()


def fixed_wide(A: Fixed(140, 20)[3]) -> Fixed(140, 20)[3]:
    B: Fixed(140, 20)[3] = 0
    for i in range(3):
        B[i] = A[i] + A[i]
    return B


def fixed_wide_off(A: Fixed(140, 20)[3]) -> Fixed(140, 20)[3]:
    B: Fixed(140, 20)[3] = 0
    for i in range(3):
        B[i] = A[i] + A[i] + A[i]
    return B


def test_verify_wide_fixed_point_never_crashes():
    assert allo.verify(fixed_wide, fixed_wide).status == "equivalent"
    assert allo.verify(fixed_wide, fixed_wide_off).status == "not equivalent"


# ------------------------------------------------------------------ parameters by position
def add_ab(A: int32[4], B: int32[4]) -> int32[4]:
    C: int32[4] = 0
    for i in range(4):
        C[i] = A[i] + B[i]
    return C


def add_xy_swapped(X: int32[4], Y: int32[4]) -> int32[4]:
    C: int32[4] = 0
    for i in range(4):
        C[i] = Y[i] + X[i]
    return C


def sub_xy(X: int32[4], Y: int32[4]) -> int32[4]:
    C: int32[4] = 0
    for i in range(4):
        C[i] = X[i] - Y[i]
    return C


def inc_in_place(A: int32[4], B: int32[4]):
    for i in range(4):
        B[i] = A[i] + 1


def inc2_in_place(X: int32[4], Y: int32[4]):
    for i in range(4):
        Y[i] = X[i] + 2


def inc_rare(X: int32[4], Y: int32[4]):
    for i in range(4):
        Y[i] = X[i] + 1 if X[i] != 123456789 else X[i]


def test_parameters_are_matched_by_position():
    assert allo.verify(add_ab, add_xy_swapped).status == "equivalent"
    v = allo.verify(add_ab, sub_xy)
    assert v.status == "not equivalent", v.report()


def test_written_arguments_with_other_names_give_a_counterexample():
    v = allo.verify(inc_in_place, inc2_in_place)
    assert v.status == "not equivalent", v.report()
    cex = v.counterexample
    assert cex.output.startswith("B")  # named as in the first program
    assert set(cex.inputs) == {"A", "B"}


def test_z3_counterexample_with_other_names_is_confirmed():
    # only one input value in 2**32 differs: found by z3, confirmed by position
    v = allo.verify(inc_in_place, inc_rare, random_trials=0)
    assert v.status == "not equivalent", v.report()
    assert 123456789 in list(v.counterexample.inputs["A"])


# ------------------------------------------------------------------ deep loop nests
def vec_inc(A: int32[64]) -> int32[64]:
    B: int32[64] = 0
    for i in range(64):
        B[i] = A[i] + 1
    return B


def vec_inc_wrong(A: int32[64]) -> int32[64]:
    B: int32[64] = 0
    for i in range(64):
        B[i] = A[i] + 1 if i != 37 else A[i]
    return B


def _deep_split(kernel, depth):
    s = allo.customize(kernel)
    name = "i"
    for d in range(depth):
        s.split(name, 2 if d < 6 else 1)
        name += ".inner"
    return s


@pytest.mark.parametrize("depth", [19, 23, 40])
def test_loop_nest_deeper_than_python_blocks_verifies(depth):
    s = _deep_split(vec_inc, depth)
    v = s.verify()
    assert v.status == "equivalent", v.report()


def test_deep_loop_nest_difference_is_still_found():
    s = _deep_split(vec_inc, 23)
    v = allo.verify(vec_inc_wrong, s)
    assert v.status == "not equivalent", v.report()
    assert v.counterexample.index == (37,)
