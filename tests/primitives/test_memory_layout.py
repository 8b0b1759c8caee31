"""partition (layout annotations) and reshape (row-major re-indexing)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import allo
from allo.errors import ScheduleError
from allo.ir.nodes import Alloc, walk_stmts
from allo.ir.types import int32
from allo.backends.interp import Interpreter
from allo.typesys.lattice import Layout
from allo.typesys.partition import Partition
from seed_kernels import make_matmul

M, N, K = 4, 4, 3


matmul = make_matmul(M, N, K)


def table(A: int32[4, 6]) -> int32[4, 6]:
    T: int32[4, 6] = 0
    for i, j in allo.grid(4, 6):
        T[i, j] = A[i, j] * 2 + i
    for i, j in allo.grid(4, 6):
        A[i, j] = T[3 - i, j] + T[i, 5 - j]
    return A


def passes(A: int32[4, 6]) -> int32[4, 6]:
    T: int32[4, 6] = 0
    for i, j in allo.grid(4, 6):
        T[i, j] = A[i, j]
    return T


def param_type(s, name):
    return s.ir.top_func.param(name).type


def alloc_type(s, name):
    return next(st.type for st in walk_stmts(s.ir.top_func.body)
                if isinstance(st, Alloc) and st.name == name)


# ------------------------------------------------------------------ partition
def test_seed_partitions_record_layouts_and_keep_the_program():
    s = allo.customize(matmul)
    before = str(s.module)
    s.partition(s.A, dim=0)
    s.partition(s.B, dim=1)
    s.partition(s.C, dim=[0, 1])
    assert str(param_type(s, "A").layout) == "[complete, complete]"
    assert str(param_type(s, "B").layout) == "[complete, none]"
    assert str(param_type(s, "C").layout) == "[complete, complete]"
    assert isinstance(param_type(s, "A").layout, Layout)
    assert s.ir.top_func.attrs["explicit_layouts"] == ("A", "B", "C")
    after = str(s.module)  # the program is unchanged; the layouts are printed as attributes
    assert '%A: memref<4x3xi8> {allo.partition = "[complete, complete]"}' in after
    assert '%B: memref<3x4xi8> {allo.partition = "[complete, none]"}' in after
    for layout in ('[complete, complete]', '[complete, none]'):
        after = after.replace(f' {{allo.partition = "{layout}"}}', "")
    assert after.replace(' attributes {explicit_layouts = ["A", "B", "C"]}', "") == before
    rng = np.random.default_rng(0)
    A = rng.integers(-9, 9, (M, K)).astype(np.int8)
    B = rng.integers(-9, 9, (K, N)).astype(np.int8)
    C0, C1 = np.zeros((M, N), np.int16), np.zeros((M, N), np.int16)
    Interpreter(s.original)(A, B, C0)
    s.build(target="interp")(A, B, C1)
    assert np.array_equal(C0, C1)
    assert all(c.rule == "annotation.partition" for c in s.history)


def test_partition_kinds_refine_per_dimension():
    s = allo.customize(matmul)
    s.partition(s.C, partition_type=Partition.Cyclic, dim=2, factor=2)
    s.partition(s.C, partition_type="block", dim=1, factor=2)
    assert str(param_type(s, "C").layout) == "[block(2), cyclic(2)]"
    buf = s.buffer_at(s.A, "j")  # a local buffer from buffer_at can be partitioned too
    s.partition(buf)
    assert str(alloc_type(s, "A_buf").layout) == "[complete]"


def test_partition_refuses_bad_arguments_naming_the_choices():
    s = allo.customize(matmul)
    with pytest.raises(ScheduleError, match=r"(?s)dim=3 is invalid .* valid choices: 1..2"):
        s.partition(s.A, dim=3)
    with pytest.raises(ScheduleError, match="(?s)partition_type=.diagonal..*Partition.Cyclic"):
        s.partition(s.A, partition_type="diagonal")
    with pytest.raises(ScheduleError, match="factor=0 is invalid for Partition.Cyclic"):
        s.partition(s.A, partition_type=Partition.Cyclic, dim=1)
    with pytest.raises(ScheduleError, match="factor 9 is invalid for dim 1 of extent 4"):
        s.partition(s.A, partition_type=Partition.Block, dim=1, factor=9)
    assert s.history == []


# ------------------------------------------------------------------ reshape
def test_reshape_local_to_1d_and_3d():
    s = allo.customize(table)
    s.reshape(s.T, (24,))
    assert alloc_type(s, "T") == int32[24]
    s.reshape(s.T, (2, 3, 4))
    assert alloc_type(s, "T") == int32[2, 3, 4]
    A = np.arange(24, dtype=np.int32).reshape(4, 6) - 7
    assert np.array_equal(Interpreter(s.original)(A.copy()), s.build(target="interp")(A.copy()))
    assert s.history[-1].rule == "memory.reshape" and s.history[-1].checked
    assert s.verify()


def test_reshape_refusals():
    s = allo.customize(table)
    with pytest.raises(ScheduleError) as err:
        s.reshape(s.T, (5, 5))
    assert "has 25 elements but T (4, 6) has 24" in str(err.value)
    s.partition(s.T, dim=1)
    with pytest.raises(ScheduleError, match="reshape first, then partition"):
        s.reshape(s.T, (24,))


@settings(max_examples=20, deadline=None)
@given(shape=st.sampled_from([(24,), (2, 12), (3, 8), (6, 4), (2, 3, 4), (4, 3, 2), (1, 24)]),
       seed=st.integers(0, 1000))
def test_random_reshapes_keep_results(shape, seed):
    s = allo.customize(table)
    s.reshape(s.T, shape)
    A = np.random.default_rng(seed).integers(-500, 500, (4, 6)).astype(np.int32)
    assert np.array_equal(Interpreter(s.original)(A.copy()), s.build(target="interp")(A.copy()))


# ------------------------------------------------------------------ reshape of the interface
def test_reshape_of_top_arguments_and_results_changes_the_signature_and_verifies():
    s = allo.customize(table)
    s.reshape(s.A, (2, 3, 4))  # an argument that is also returned: both change
    assert param_type(s, "A") == int32[2, 3, 4] and s.ir.top_func.results == [int32[2, 3, 4]]
    assert dict(s.ir.top_func.attrs["interface_shapes"]) == {"A": (4, 6), "return[0]": (4, 6)}
    A = np.arange(24, dtype=np.int32).reshape(4, 6) - 7
    got = s.build()(A.reshape(2, 3, 4).copy())
    assert got.shape == (2, 3, 4)
    assert np.array_equal(got.reshape(4, 6), Interpreter(s.original)(A.copy()))
    verdict = s.verify()
    assert verdict and "table's A was reshaped from (4, 6)" in str(verdict)
    assert "A[2][3][4]" in str(s.build("vhls"))
    s2 = allo.customize(passes)
    s2.reshape(s2.T, (24,))  # a returned local: the result's shape changes
    assert s2.ir.top_func.results == [int32[24]]
    assert s2.verify()


def doubles(A: int32[4, 6]) -> int32[4, 6]:
    T: int32[4, 6] = 0
    for i, j in allo.grid(4, 6):
        T[i, j] = A[i, j] * 2
    return T


def test_reshaped_interface_against_another_program_gives_a_counterexample():
    s = allo.customize(passes)
    s.reshape(s.A, (24,))
    verdict = s.verify(allo.customize(doubles))
    assert not verdict and verdict.status == "not equivalent"
    assert "confirmed by the reference interpreter" in verdict.method


def called_with(A: int32[4, 6]) -> int32[4, 6]:
    return passes(A)


def test_reshape_refuses_arguments_of_called_kernels_and_returned_sub_kernel_buffers():
    s = allo.customize(called_with)
    with pytest.raises(ScheduleError, match="argument of 'passes', which other kernels call"):
        s.reshape("passes:A", (24,))
    with pytest.raises(ScheduleError, match="T returned"):
        s.reshape("passes:T", (24,))
