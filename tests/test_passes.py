"""allo.passes: argument modes (in/out/both) through calls, I/O buffers; allo.ir.transform
look-ups."""

import numpy as np
import pytest

import allo
from allo.errors import AlloError, ScheduleError
from allo.ir.transform import find_loop_in_bands
from allo.ir.types import int32
from allo.passes import (analyze_arg_load_store, analyze_arg_load_store_in_func,
                         generate_input_output_buffers)


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


# ------------------------------------------------------------------ I/O buffers
def _gemm(A: int32[4, 4], B: int32[4, 4]) -> int32[4, 4]:
    C: int32[4, 4] = 0
    for i, j, k in allo.grid(4, 4, 4, name="C"):
        C[i, j] += A[i, k] * B[k, j]
    return C


def _inc(A: int32[2, 3], B: int32[3]):
    for i, j in allo.grid(2, 3):
        A[i, j] += B[j]


def test_io_buffers_keep_results_and_verify():
    s = allo.customize(_gemm)
    generate_input_output_buffers(s.module, s.top_func_name)
    assert {"load_buf0", "load_buf1", "store_res2"} <= set(s.ir.funcs)
    rng = np.random.default_rng(0)
    A, B = (rng.integers(-9, 9, (4, 4)).astype(np.int32) for _ in range(2))
    np.testing.assert_array_equal(s.build()(A, B), A @ B)
    assert s.verify()  # same interface: proved equal to the kernel without buffers
    assert "load_buf0" in s.build(target="vhls").hls_code


def test_io_buffers_flatten_the_interface_and_copy_back_written_arguments():
    s = allo.customize(_inc)
    generate_input_output_buffers(s.module, "_inc", flatten=True)
    f = s.ir.funcs["_inc"]
    assert [p.type.shape for p in f.params] == [(6,), (3,)]
    assert "store_res0" in s.ir.funcs and "store_res1" not in s.ir.funcs  # B is only read
    A, B = np.arange(6, dtype=np.int32), np.array([10, 20, 30], np.int32)
    s.build()(A, B)
    np.testing.assert_array_equal(A, (np.arange(6).reshape(2, 3) + B).reshape(-1))
    verdict = s.verify()  # the interface changed: never claimed equivalent
    assert not verdict and verdict.status != "equivalent"


def test_io_buffers_misuse():
    s = allo.customize(_inc)
    with pytest.raises(AlloError, match="no function"):
        generate_input_output_buffers(s.module, "nope")
    with pytest.raises(AlloError, match="mappings"):
        generate_input_output_buffers(s.module, "_inc", mappings=[[2], None])
