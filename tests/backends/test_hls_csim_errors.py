"""C simulation: wide integers, stream underflow as an error, default project directory,
argument errors that name the parameters."""

import os
import shutil

import allo
import numpy as np
import pytest

from allo.errors import AlloError, CallError
from allo.ir.types import Int, Stream, int32


def wide(A: Int(100)[2]) -> Int(100)[2]:
    B: Int(100)[2] = 0
    for i in range(2):
        B[i] = A[i] + 1
        A[i] = A[i] * 2
    return B


def bad_order(A: int32[4]) -> int32[4]:
    S: Stream[int32, 4]
    B: int32[4] = 0
    for j in range(4):
        B[j] = S.get()
    for i in range(4):
        S.put(A[i])
    return B


def good_order(A: int32[4]) -> int32[4]:
    S: Stream[int32, 4]
    B: int32[4] = 0
    for i in range(4):
        S.put(A[i])
    for j in range(4):
        B[j] = S.get()
    return B


def add(A: int32[4], c: int32) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        B[i] = A[i] + c
    return B


def test_wide_integer_buffers_in_and_out(tmp_path):
    mod = allo.customize(wide).build(target="vitis_hls", mode="csim", project=str(tmp_path / "w"))
    A = np.array([2**90, -3], dtype=object)
    out = mod(A)
    assert out.tolist() == [2**90 + 1, -2]
    assert A.tolist() == [2**91, -6]  # the in-place update reaches the caller's array
    assert allo.customize(wide).build()(np.array([2**90, -3], dtype=object)).tolist() == out.tolist()


def test_stream_underflow_is_an_error_not_an_abort(tmp_path):
    s = allo.customize(bad_order)
    mod = s.build(target="vitis_hls", mode="csim", project=str(tmp_path / "st"), verify=False)
    with pytest.raises(AlloError, match="read of empty stream S: deadlock in C simulation"):
        mod(np.arange(4, dtype=np.int32))
    # the process survived and the error state does not leak into the next run
    good = allo.customize(good_order).build(target="vitis_hls", mode="csim",
                                            project=str(tmp_path / "ok"))
    assert good(np.arange(4, dtype=np.int32)).tolist() == [0, 1, 2, 3]
    with pytest.raises(AlloError, match="read of empty stream S"):
        mod(np.arange(4, dtype=np.int32))


def test_default_project_is_a_fresh_directory_not_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mod = allo.customize(add).build(target="vitis_hls", mode="csim")
    assert os.listdir(tmp_path) == []
    assert mod.project is not None and mod.project.is_dir()
    assert (mod.project / "kernel.cpp").exists()
    assert tmp_path not in mod.project.parents
    other = allo.customize(add).build(target="vitis_hls", mode="csim")
    assert other.project != mod.project
    assert mod(np.arange(4, dtype=np.int32), 1).tolist() == [1, 2, 3, 4]
    for m in (mod, other):
        shutil.rmtree(m.project.parent)


def test_call_errors_name_the_parameters(tmp_path):
    mod = allo.customize(add).build(target="vitis_hls", mode="csim", project=str(tmp_path / "a"))
    A = np.arange(4, dtype=np.int32)
    with pytest.raises(CallError) as err:
        mod(A, 1, 4)
    msg = str(err.value)
    assert "(A, c)" in msg and "got 3" in msg and "int 4" in msg and "result 0" in msg
    out = np.zeros(4, np.int32)
    assert mod(A, 1, out) is None and out.tolist() == [1, 2, 3, 4]
    assert mod(c=2, A=A).tolist() == [2, 3, 4, 5]
    with pytest.raises(CallError, match="'d'.*\\(A, c\\)"):
        mod(A, d=2)


def test_unknown_hls_build_option_names_the_valid_ones(tmp_path):
    with pytest.raises(AlloError, match="'foo'.*\n.*mode, project, verify"):
        allo.customize(add).build(target="vitis_hls", mode="csim", project=str(tmp_path), foo=1)
