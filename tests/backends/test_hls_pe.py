"""Unfolded bands become PE functions in the HLS C++: the systolic flows of the seed
(buffer_at + unfold + partition + relay) emit one ``static`` PE function, called once per PE
inside the unrolled loops with the FIFOs it reads and writes, and C simulation still equals
numpy and the reference interpreter bit for bit."""

import re

import numpy as np
import pytest

import allo
from allo.backends.hls.codegen import emit_design
from allo.backends.hls.csim import compile_designs
from allo.ir.nodes import (Alloc, Const, For, Func, If, Load, Module, Op, Param, Store, StreamGet,
                           StreamPut, Var)
from allo.ir.types import BufferType, StreamType, index, int32
from allo.backends.interp import Interpreter

from hls_helpers import gxx_warnings
from seed_kernels import make_matmul


def flow_2d(M, N, K):
    s = allo.customize(make_matmul(M, N, K))
    buf_A, buf_B = s.buffer_at(s.A, "j"), s.buffer_at(s.B, "j")
    pe = s.unfold("PE", axis=[0, 1], factor=[M, N])
    s.partition(s.A, dim=0)
    s.partition(s.B, dim=1)
    s.partition(s.C, dim=[0, 1])
    s.relay(buf_A, pe, axis=0, depth=M + 1)
    s.relay(buf_B, pe, axis=1, depth=N + 1)
    return s


def flow_kj(M, N, K):
    s = allo.customize(make_matmul(M, N, K))
    s.reorder("k", "j", "i")
    buf_A, buf_C = s.buffer_at(s.A, "j"), s.buffer_at(s.C, "j")
    pe = s.unfold("PE", axis=[0, 1], factor=[K, N])
    s.partition(s.A, dim=0)
    s.partition(s.B, dim=[0, 1])
    s.partition(s.C, dim=1)
    s.relay(buf_A, pe, axis=0)
    s.relay(buf_C, pe, axis=1)
    return s


def flow_1d(M, N, K):
    s = allo.customize(make_matmul(M, N, K))
    buf_A, buf_B = s.buffer_at(s.A, "j"), s.buffer_at(s.B, "j")
    pe = s.unfold("PE", axis=1, factor=N)
    s.partition(s.B, dim=1)
    s.partition(s.C, dim=1)
    s.relay(buf_A, pe, axis=0)
    s.relay(buf_B, pe, axis=1)
    return s


FLOWS = {"2d": flow_2d, "kj": flow_kj, "1d": flow_1d}
SIZES = [(2, 2, 2), (4, 4, 4), (3, 4, 2)]


def inputs(M, N, K, seed):
    rng = np.random.default_rng(seed)
    A = rng.integers(-128, 128, (M, K)).astype(np.int8)
    B = rng.integers(-128, 128, (K, N)).astype(np.int8)
    return A, B, (A.astype(np.int64) @ B.astype(np.int64)).astype(np.int16)  # int16 wraps


def top_body(source: str) -> str:
    """The text of ``void matmul(...) { ... }`` (the non-static top function)."""
    return source[source.index("\nvoid matmul("):]


@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_flow_code_is_an_array_of_pe_calls(flow):
    code = emit_design(FLOWS[flow](2, 2, 2).ir).source
    signature = re.search(r"static void matmul_PE_PE\(([^)]*)\) \{\n  #pragma HLS inline off", code)
    assert signature, code
    params = signature.group(1)
    assert "hls::stream< " in params and params.rstrip().endswith("int j")
    top = top_body(code)
    # the top holds no PE body any more: no FIFO traffic, only one call inside unrolled loops
    assert ".read()" not in top and ".write(" not in top
    call = re.search(r"#pragma HLS unroll\n\s+matmul_PE_PE\(([^;]*)\);", top)
    assert call and top.count("matmul_PE_PE(") == 1, top
    assert "#pragma HLS dataflow" in top
    assert "matmul_PE_PE" not in emit_design(FLOWS[flow](2, 2, 2).ir).header  # static: no prototype


def test_2d_call_passes_the_neighbouring_fifos():
    top = top_body(emit_design(flow_2d(3, 3, 2).ir).source)
    call = re.search(r"matmul_PE_PE\(([^;]*)\);", top).group(1)
    # PE (i, j) reads A from its left neighbour's FIFO and writes its own; B likewise from above
    assert call.startswith("A, B, C, ") and call.endswith(", i, j")
    for fifo in ("A_buf_fifo[i][allo_pe_index(j - 1, 2)]", "A_buf_fifo[i][allo_pe_index(j, 2)]",
                 "B_buf_fifo[allo_pe_index(i - 1, 2)][j]", "B_buf_fifo[allo_pe_index(i, 2)][j]"):
        assert call.count(fifo) == 1, (fifo, call)


@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_flow_code_compiles_without_warnings(flow, tmp_path):
    assert gxx_warnings(emit_design(FLOWS[flow](4, 4, 4).ir), tmp_path) == []


def test_flows_csim_equal_numpy_and_interpreter():
    cases = [(name, size) for name in sorted(FLOWS) for size in SIZES
             if not (name == "1d" and size[0] != size[1])]
    schedules = [FLOWS[name](*size) for name, size in cases]
    mods = compile_designs([s.ir for s in schedules])  # one g++ run for all of them
    for seed, ((name, (M, N, K)), s, mod) in enumerate(zip(cases, schedules, mods)):
        assert "_PE_PE(" in mod.design.source
        A, B, expected = inputs(M, N, K, seed)
        C = np.zeros((M, N), np.int16)
        mod(A, B, C)
        C_ref = np.zeros((M, N), np.int16)
        Interpreter(s.ir)(A, B, C_ref)
        assert np.array_equal(C, expected), (name, (M, N, K))
        assert np.array_equal(C, C_ref), (name, (M, N, K))


def test_build_csim_of_the_seed_flow():
    s = flow_2d(4, 4, 4)
    mod = s.build(target="vitis_hls", mode="csim")  # through the equivalence gate
    A, B, expected = inputs(4, 4, 4, seed=7)
    C = np.zeros((4, 4), np.int16)
    mod(A, B, C)
    assert np.array_equal(C, expected)
    assert "static void matmul_PE_PE(" in str(mod)


def test_independent_pes_get_no_dataflow_pragma():
    s = allo.customize(make_matmul(2, 2, 2))
    s.unfold("PE", axis=[0, 1], factor=[2, 2])
    design = emit_design(s.ir)
    assert "static void matmul_PE_PE(" in design.source
    assert "#pragma HLS dataflow" not in design.source  # no FIFOs between the PEs
    mod, = compile_designs([s.ir], [design])
    A, B, expected = inputs(2, 2, 2, seed=2)
    C = np.zeros((2, 2), np.int16)
    mod(A, B, C)
    assert np.array_equal(C, expected)


def _inner_indexed_stream_design() -> Module:
    """PE 0 fills S[t] for t < 4, PE 1 drains them into B: the FIFO index is the PE's
    own loop variable, so the PE function must receive the whole FIFO array."""
    p, t = Var("p", index), Var("t", index)
    fifos = BufferType(StreamType(int32, 2), (4,))
    c = lambda v: Const(v, index)  # noqa: E731
    body = [For("t", c(0), c(4), 1, [
        If(Op("eq", (p, c(0)), allo.ir.types.Int(1, False)),
           [StreamPut("S", (t,), Load("A", (t,), int32))],
           [Store("B", (t,), StreamGet("S", (t,), int32))])], name="t", band="T")]
    f = Func("relay", [Param("A", int32[4]), Param("B", int32[4])], [], [
        Alloc("S", fifos),
        For("p", c(0), c(2), 1, body, name="p", band="PE",
            attrs={"unfold": True, "unroll": 0, "pe": 0})])
    return Module({"relay": f}, "relay")


def test_fifo_indexed_inside_the_pe_is_passed_whole(tmp_path):
    m = _inner_indexed_stream_design()
    design = emit_design(m)
    assert re.search(r"static void relay_PE_PE\([^)]*hls::stream< int32_t > S\[4\]", design.source)
    assert "relay_PE_PE(A, B, S, p);" in design.source
    assert gxx_warnings(design, tmp_path) == []
    mod, = compile_designs([m], [design])
    A = np.array([5, -7, 11, 2**31 - 1], np.int32)
    B = np.zeros(4, np.int32)
    mod(A, B)
    B_ref = np.zeros(4, np.int32)
    Interpreter(m)(A, B_ref)
    assert np.array_equal(B, A) and np.array_equal(B, B_ref)
