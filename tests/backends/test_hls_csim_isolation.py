"""C simulation runs generated C++ in a child process, checks every index, returns float
scalars exactly, and survives names that collide with C++ and header identifiers."""

import math
import os
import shutil

import allo
import numpy as np
import pytest

from allo.backends.hls.codegen import emit_design
from allo.backends.hls.csim import CsimModule, compile_designs, compile_source
from allo.backends.hls.ctypes_map import identifier, is_reserved, unique_identifiers
from allo.errors import AlloError, BackendError, CallError
from allo.ir.nodes import Func, Module, Param
from allo.ir.types import float32, float64, int32

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")


def half(x: float32) -> float32:
    return x * 0.5


def diff(x: float64) -> float64:
    return x - x


def pick(A: int32[4], k: int32) -> int32:
    return A[k]


def copy(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        B[i] = A[i]
    return B


def big_local(A: int32[4]) -> int32:
    B: int32[2000000000] = 0
    B[5] = A[0]
    return B[5]


@pytest.fixture(scope="module")
def mods():
    names = [half, diff, pick, copy]
    return dict(zip([f.__name__ for f in names],
                    compile_designs([allo.customize(f).ir for f in names])))


def test_scalar_float_results_are_not_truncated_and_nan_is_a_value(mods):
    # regression: a 0-d float result went through the integer word path (3.0 * 0.5 -> 1)
    assert mods["half"](3.0) == np.float32(1.5)
    assert mods["half"](-0.75) == np.float32(-0.375)
    assert math.isnan(mods["diff"](float("inf")))  # used to raise ValueError


def test_out_of_bounds_index_is_a_located_error_not_a_segfault(mods):
    A = np.arange(4, dtype=np.int32)
    with pytest.raises(AlloError) as err:
        mods["pick"](A, 100_000_000)
    msg = str(err.value)
    assert "index 100000000 out of range for A of extent 4" in msg
    assert "test_hls_csim_isolation.py" in msg and "return A[k]" in msg
    with pytest.raises(AlloError):
        mods["pick"](A, -1)
    assert mods["pick"](A, 3) == 3  # the module still works afterwards


def test_the_synthesis_code_has_no_checks():
    m = allo.customize(pick).ir
    assert "ALLO_CHECK_INDEX" not in emit_design(m).source
    checked = emit_design(m, bounds_checks=True)
    assert "ALLO_CHECK_INDEX" in checked.source and checked.sites[0].buffer == "A"


def test_read_only_output_array_is_a_call_error(mods):
    out = np.zeros(4, np.int32)
    out.flags.writeable = False
    with pytest.raises(CallError, match="read-only"):  # used to raise a raw ValueError
        mods["copy"](np.arange(4, dtype=np.int32), out)


def test_a_crash_in_generated_code_ends_the_child_not_the_interpreter():
    src = ('#include <csignal>\n'
           'extern "C" int allo_entry_0(void** a) { std::raise(SIGSEGV); return 0; }\n'
           'extern "C" const char* allo_csim_error_message() { return ""; }\n')
    lib = compile_source(src)
    m = Module({"f": Func("f", [Param("A", int32[4])], [], [])}, "f")
    mod = CsimModule(m, lib, "allo_entry_0")
    for _ in range(2):  # the worker is restarted after the crash
        with pytest.raises(BackendError, match="crashed .*SIGSEGV"):
            mod(np.zeros(4, np.int32))


def test_huge_local_buffers_are_refused_before_running(monkeypatch):
    monkeypatch.setenv("ALLO_CSIM_STACK_MB", "1024")
    mod = allo.customize(big_local).build(target="vitis_hls", mode="csim")
    with pytest.raises(BackendError) as err:
        mod(np.arange(4, dtype=np.int32))
    msg = str(err.value)
    assert "'B' in big_local" in msg and "budget is 1024 MiB" in msg
    assert "B: int32[2000000000] = 0" in msg  # located at the declaration


RESERVED = ["ap_int", "int64_t", "NULL", "errno", "EOF", "M_PI", "args", "a0", "allo_n",
            "std", "half", "INT8_MAX", "size_t", "stdout", "assert", "main"]


def _named_kernel(kernel_name: str, param: str) -> Module:
    from allo.ir.nodes import Const, For, Load, Op, Store, Var
    from allo.ir.types import index

    i = Var("i", index)
    body = [For("i", Const(0, index), Const(4, index), 1,
                [Store(param, (i,), Op("add", (Load(param, (i,), int32), Const(1, int32)), int32))],
                name="i", band="S_i_0")]
    return Module({kernel_name: Func(kernel_name, [Param(param, int32[4])], [], body)}, kernel_name)


def test_reserved_identifiers_are_renamed_and_compile():
    assert all(is_reserved(identifier(n)) is False for n in RESERVED)
    assert identifier("A") == "A" and identifier("i_outer") == "i_outer"
    for n in RESERVED:  # idempotent: a sanitized name stays as it is
        assert identifier(identifier(n)) == identifier(n)
    modules = [_named_kernel(k, p) for k, p in zip(RESERVED, reversed(RESERVED))]
    compiled = compile_designs(modules)  # used to fail in g++
    for mod in compiled:
        A = np.arange(4, dtype=np.int32)
        mod(A)
        assert list(A) == [1, 2, 3, 4]


def test_kernel_names_that_sanitize_alike_stay_distinct():
    assert len(set(unique_identifiers(["k.a", "k_a", "k__a"]).values())) == 3
    from allo.ir.nodes import Call, BufRef

    inner = _named_kernel("k.a", "A").funcs["k.a"]
    outer = Func("k_a", [Param("A", int32[4])], [], [Call("k.a", [BufRef("A")]),
                                                     Call("k.a", [BufRef("A")])])
    m = Module({"k.a": inner, "k_a": outer}, "k_a")
    mod, = compile_designs([m])  # used to define k_a twice
    A = np.zeros(4, np.int32)
    mod(A)
    assert list(A) == [2, 2, 2, 2]


@pytest.mark.parametrize("kernel", ["arg0", "checksum", "main", "p"])
def test_the_test_bench_compiles_whatever_the_kernel_is_called(tmp_path, kernel):
    import subprocess

    from allo.backends.hls.csim import ap_types_dir, compiler, support_dir
    from allo.backends.hls.project import write_project

    m = _named_kernel(kernel, "n")
    prj = write_project(emit_design(m), m, tmp_path / "k.prj", "csim")
    exe = tmp_path / "tb"
    proc = subprocess.run([compiler(), "-std=c++17", "-O1", "-isystem", str(ap_types_dir()),
                           "-I", str(support_dir()), "-I", str(prj), str(prj / "host.cpp"),
                           str(prj / "kernel.cpp"), "-o", str(exe)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert subprocess.run([str(exe)], capture_output=True, text=True).stdout.startswith("checksum")
