"""A local declared again in a sibling block is its own variable (regression: IRError)."""

import numpy as np

import allo
from allo.ir.types import float32, int32


def test_sibling_loops_redeclare_a_local():
    def k(A: int32[4]):
        for i in range(4):
            t: int32 = A[i]
            A[i] = t + 1
        for j in range(4):
            t: int32 = A[j]
            A[j] = t * 2

    s = allo.customize(k)  # used to raise an internal IRError ("declared twice")
    a = np.arange(4, dtype=np.int32)
    s.build()(a)
    np.testing.assert_array_equal(a, (np.arange(4) + 1) * 2)
    assert s.verify()


def test_sibling_branches_redeclare_with_other_types():
    def k(a: int32) -> float32:
        r: float32 = 0.0
        if a > 0:
            t: int32 = a * 2
            r = t
        else:
            t: float32 = 0.5
            r = t
        return r

    mod = allo.customize(k).build()
    assert mod(3) == 6.0
    assert mod(-1) == 0.5


def test_schedules_address_both_loops_after_renaming():
    def k(A: int32[8]):
        for i in range(8):
            t: int32 = A[i]
            A[i] = t + 1
        for j in range(8):
            t: int32 = A[j]
            A[j] = t - 1

    s = allo.customize(k)
    s.split("j", 4)
    s.pipeline("i")
    a = np.arange(8, dtype=np.int32)
    s.build()(a)
    np.testing.assert_array_equal(a, np.arange(8))
    assert s.verify()


def test_scalar_declared_again_in_an_inner_block_is_the_same_variable():
    # Python keeps one variable per name: the inner declaration assigns the outer one
    def k(A: int32[4]) -> int32:
        best: int32 = 0
        for i in range(4):
            best: int32 = A[i] * 2
        return best

    s = allo.customize(k)
    assert s.build()(np.array([3, 1, 4, 1], np.int32)) == 2
    assert len([b for b in s.ir.top_func.buffers() if b.startswith("best")]) == 1


def test_declared_again_with_another_type_is_still_refused():
    import pytest
    from allo.errors import AlloNameError

    def k(A: int32[4]) -> int32:
        best: int32 = 0
        for i in range(4):
            best: float32 = 1.0
        return best

    with pytest.raises(AlloNameError, match="already declared"):
        allo.customize(k)


def test_array_declared_again_or_assigned_a_list_takes_the_new_values():
    a = 7

    def same_block() -> int32:
        tmp: int32[2, 2] = [[1, 2], [3, 4]]
        tmp: int32[2, 2] = [[a, 2], [3, 4]]
        return tmp[0, 0]

    def assigned() -> int32:
        tmp: int32[1, 2] = [[1, 2]]
        tmp = [[a, 5]]
        return tmp[0, 0] + tmp[0, 1]

    def inner_block(A: int32[4]) -> int32:
        t: int32[2] = [0, 0]
        for i in range(4):
            t: int32[2] = [1, 2]
        return t[0] + t[1]

    assert allo.customize(same_block).build()() == 7
    assert allo.customize(assigned).build()() == 12
    assert allo.customize(inner_block).build()(np.zeros(4, np.int32)) == 3
