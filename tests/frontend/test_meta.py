"""ConstExpr declarations and meta_for / meta_if / meta_elif / meta_else."""

import math

import numpy as np
import pytest

import allo
from allo.errors import AlloError, AlloNameError, AlloSyntaxError, AlloTypeError
from allo.ir.types import ConstExpr, float32, int32

HALF = 3


def _coef(i):
    return math.cos(2.0 * math.pi * i / 8)


def test_constexpr_folds_into_loop_bounds_and_values():
    def k(A: int32[6]) -> int32[6]:
        lim: ConstExpr[int32] = HALF
        off: ConstExpr[int32] = lim * 2 + 1
        B: int32[6] = 0
        for i in range(lim):
            B[i] = A[i] + off
        return B

    s = allo.customize(k)
    a = np.arange(6, dtype=np.int32)
    out = s.build()(a)
    np.testing.assert_array_equal(out, np.array([7, 8, 9, 0, 0, 0], np.int32))
    assert "to 3" in str(s.module)


def test_meta_for_unrolls_with_python_helpers_and_verifies():
    def k(A: float32[8], B: float32[8]):
        with allo.meta_for(8) as i:
            coef: ConstExpr[float32] = _coef(i)
            idx: ConstExpr[int32] = (i + 3) % 8
            t: float32 = A[idx]          # a local declared again in every copy
            B[i] = t * coef

    s = allo.customize(k)
    a = np.arange(8, dtype=np.float32) + 1
    b = np.zeros(8, np.float32)
    s.build()(a, b)
    want = np.array([a[(i + 3) % 8] * np.float32(_coef(i)) for i in range(8)], np.float32)
    np.testing.assert_allclose(b, want, rtol=1e-6)
    assert not list(s.get_loops())  # fully unrolled: no loop is left
    assert s.verify(allo.customize(k))


def test_meta_if_elif_else_selects_one_body():
    def k(A: int32[6]):
        with allo.meta_for(0, 6, 1) as i:
            with allo.meta_if(i % 3 == 0):
                A[i] = 10
            with allo.meta_elif(i % 3 == 1):
                A[i] = 20
            with allo.meta_else():
                A[i] = 30

    a = np.zeros(6, np.int32)
    allo.customize(k).build()(a)
    np.testing.assert_array_equal(a, [10, 20, 30, 10, 20, 30])


def test_meta_for_inside_a_loop_then_scheduled_and_verified():
    def k(A: int32[4, 4], B: int32[4, 4]):
        for i in range(4):
            with allo.meta_for(4) as j:
                B[i, j] = A[i, j] * (j + 1)

    s = allo.customize(k)
    s.pipeline("i")
    a = np.arange(16, dtype=np.int32).reshape(4, 4)
    b = np.zeros((4, 4), np.int32)
    s.build()(a, b)
    np.testing.assert_array_equal(b, a * np.arange(1, 5, dtype=np.int32))
    assert s.verify()


def test_constexpr_needs_a_value():
    def k(A: int32[2]):
        n: ConstExpr[int32]
        A[0] = 1

    with pytest.raises(AlloSyntaxError, match="needs a value") as e:
        allo.customize(k)
    assert e.value.loc is not None


def test_constexpr_rejects_runtime_values():
    def k(A: int32[2]):
        n: ConstExpr[int32] = A[0]
        A[1] = n

    with pytest.raises(AlloTypeError, match="runtime value"):
        allo.customize(k)


def test_constexpr_cannot_be_assigned():
    def k(A: int32[2]):
        n: ConstExpr[int32] = 1
        n = 2
        A[0] = n

    with pytest.raises(AlloTypeError, match="compile-time constant"):
        allo.customize(k)


def test_meta_else_must_follow_meta_if():
    def k(A: int32[2]):
        with allo.meta_else():
            A[0] = 1

    with pytest.raises(AlloSyntaxError, match="must directly follow"):
        allo.customize(k)


def test_meta_for_bounds_must_be_integers():
    def k(A: int32[2]):
        with allo.meta_for(2.5) as i:
            A[0] = i

    with pytest.raises(AlloTypeError, match="not an integer"):
        allo.customize(k)


def test_other_with_blocks_stay_rejected():
    def k(A: int32[2]):
        with open("x") as f:
            A[0] = 1

    with pytest.raises(AlloSyntaxError, match="'with' blocks are not supported"):
        allo.customize(k)


def test_meta_for_run_as_python_says_why():
    with pytest.raises(AlloError, match="expanded when a kernel is compiled"):
        with allo.meta_for(2):
            pass


def test_meta_for_name_clash():
    def k(A: int32[2]):
        i: int32 = 0
        with allo.meta_for(2) as i:
            A[i] = 1

    with pytest.raises(AlloNameError, match="already declared"):
        allo.customize(k)
