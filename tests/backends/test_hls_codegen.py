"""The Vitis HLS C++ text: types, labels, pragmas, streams, warnings-free compilation."""

import re

import allo
import numpy as np
import pytest

from allo.backends.hls import build, emit_design
from allo.backends.hls.ctypes_map import c_type, identifier, label
from allo.backends.hls.exprs import float_literal
from allo.ir.types import (Fixed, Int, UFixed, UInt, bfloat16, float16, float32, float64,
                           int8, int16, int32, int64, uint8, uint64)
from allo.typesys.lattice import Layout

from hls_helpers import gxx_warnings, stream_design
from seed_kernels import make_gemm

M = N = K = 8


gemm = make_gemm(M, N, K)


def test_type_names():
    assert [c_type(t) for t in (int8, int16, int32, int64, uint8, uint64)] == \
        ["int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint64_t"]
    assert c_type(Int(12)) == "ap_int<12>" and c_type(UInt(3)) == "ap_uint<3>"
    assert c_type(Fixed(16, 10)) == "ap_fixed<16, 6>"
    assert c_type(UFixed(8, 8)) == "ap_ufixed<8, 0>"
    assert [c_type(t) for t in (float16, float32, float64, bfloat16)] == \
        ["half", "float", "double", "allo_bf16"]
    assert c_type(UInt(1)) == "bool"


def test_names_are_sanitized():
    assert label("i.outer") == "l_i_outer"
    assert identifier("i.inner") == "i_inner"
    assert identifier("int") == "v_int" and identifier("2x") == "v2x"
    assert float_literal(float("nan"), float32) == "(float)NAN"
    assert float_literal(-0.0, float64) == "-0.0"


def test_gemm_schedule_pragmas_and_labels(tmp_path):
    s = allo.customize(gemm)
    s.reorder("k", "j")
    s.split("i", 4)
    s.pipeline("j")
    s.unroll("k", 2)
    code = str(s.build(target="vhls"))
    for lbl in ("l_i_outer", "l_i_inner", "l_k", "l_j"):
        assert re.search(rf"^\s*{lbl}: for \(", code, re.M), lbl
    # the pragma sits inside the loop it annotates
    assert re.search(r"l_j: for [^\n]*\{\n\s*#pragma HLS pipeline II=1", code)
    assert re.search(r"l_k: for [^\n]*\{\n\s*#pragma HLS unroll factor=2", code)
    assert "void gemm(float A[8][8], float B[8][8], float out[8][8])" in code
    assert "Verified: equivalent" in code and "UNVERIFIED" not in code
    assert gxx_warnings(s.build(target="vhls").design, tmp_path) == []


def test_partition_and_stream_pragmas(tmp_path):
    s = allo.customize(gemm)
    ir = s.ir.copy()
    a = ir.top_func.params[0]
    a.type = a.type.with_layout(Layout.parse("[cyclic(4), complete]", (8, 8)))
    mod = stream_design()
    stream_code = emit_design(mod).source
    assert 'hls::stream< int32_t > S("S");' in stream_code  # named: csim errors say which FIFO
    assert "#pragma HLS stream variable=S depth=4" in stream_code
    assert "#pragma HLS dataflow" in stream_code
    assert "S.write(" in stream_code and "S.read()" in stream_code
    assert "void producer(int32_t A[8], hls::stream< int32_t > &S)" in stream_code
    part_code = emit_design(ir).source
    assert "#pragma HLS array_partition variable=A cyclic factor=4 dim=1" in part_code
    assert "#pragma HLS array_partition variable=A complete dim=2" in part_code
    assert gxx_warnings(emit_design(mod), tmp_path) == []


def test_unverified_build_is_marked():
    s = allo.customize(gemm)
    code = str(s.build(target="vhls", verify=False))
    assert "UNVERIFIED" in code.splitlines()[1]


def test_ops_use_helpers_not_undefined_behaviour():
    def ops(A: int32[4], B: int32[4]) -> int32[4]:
        C: int32[4] = 0
        for i in range(4):
            C[i] = (A[i] // B[i]) + (A[i] % B[i]) + (A[i] << B[i])
        return C

    code = str(allo.customize(ops).build(target="vhls"))
    assert "allo_floordiv<int32_t>" in code and "allo_mod<int32_t>" in code
    assert "allo_shl<int32_t>" in code
    assert "ap_int<3" in code  # int32 + int32 grows to a wider ap_int, then casts back
    header = allo.customize(ops).build(target="vhls").header
    assert "static inline T allo_div" in header and "namespace hls" not in header


def test_unknown_build_option_is_refused():
    with pytest.raises(allo.AlloError, match="unknown HLS build option"):
        allo.customize(gemm).build(target="vhls", colour="red")
