"""The MLIR printer: every sample parses and verifies upstream, and carries Allo's attributes."""

import re

import numpy as np
import pytest

from allo.ir.nodes import Alloc, Const, For, Func, Module, Param, Store, Var
from allo.ir.printer import to_mlir
from allo.ir.types import Fixed, Int, UInt, bfloat16, float32, index, int8
from allo.ir.verifier import verify_ir

from ir_samples import c, every_sample, gemm, int8_matmul, loop
from mlir_check import op_names, upstream_verify

SAMPLES = every_sample()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_prints_valid_mlir(name):
    module = SAMPLES[name]
    verify_ir(module)
    upstream_verify(to_mlir(module))


def test_gemm_matches_seed_style():
    text = to_mlir(gemm())
    assert "func.func @gemm(%A: memref<32x32xf32>, %B: memref<32x32xf32>) -> memref<32x32xf32>" in text
    assert '%C = memref.alloc() {name = "C"} : memref<32x32xf32>' in text
    assert "affine.for %i = 0 to 32 {" in text
    assert '} {loop_name = "i", op_name = "S_i_j_k_0"}' in text
    assert '} {loop_name = "j"}' in text and '} {loop_name = "k"}' in text
    assert "affine.load %A[%i, %k] : memref<32x32xf32>" in text
    assert "arith.mulf" in text and "arith.addf" in text
    assert "func.return %C : memref<32x32xf32>" in text


def test_int8_matmul_band_and_widening():
    text = to_mlir(int8_matmul())
    assert '{loop_name = "i", op_name = "PE"}' in text
    assert "arith.extsi" in text and "i8 to i16" in text  # signed widening of the int8 inputs
    assert "arith.muli" in text and ": i16" in text
    assert "arith.trunci" in text and "i17 to i16" in text
    upstream_verify(text)


def test_schedule_attributes_printed_on_loops():
    body = [Store("A", (Var("i", index),), Const(0.0, float32))]
    attrs = {"pipeline_ii": 2, "unroll": 4, "parallel": True, "dataflow": True, "reduction": False}
    f = Func("k", [Param("A", float32[8])], [], [For("i", c(0), c(8), 1, body, name="i.outer", band="B", attrs=attrs)])
    text = to_mlir(Module({"k": f}, "k"))
    assert "pipeline_ii = 2 : i32" in text and "unroll = 4 : i32" in text
    assert re.search(r"\bparallel\b", text) and re.search(r"\bdataflow\b", text)
    assert "reduction" not in text  # False flags are not printed
    assert 'loop_name = "i.outer", op_name = "B"' in text
    assert "affine.for %i = 0 to 8" in text
    upstream_verify(text)


def test_affine_vs_memref_accesses():
    text = to_mlir(SAMPLES["non_affine"])
    assert "memref.load %A[" in text  # gather through idx
    assert "memref.store" in text
    assert "affine.load %idx[%i]" in text
    assert "scf.for %j" in text  # bound read from memory
    tiled = to_mlir(SAMPLES["tiled"])
    assert "min affine_map<(d0) -> (d0 + 4, 10)>(%io)" in tiled
    assert "step 4" in tiled


def test_if_affine_and_data_dependent():
    text = to_mlir(SAMPLES["branches"])
    assert "affine.if affine_set<(d0, d1) : (d0 - 1 >= 0, d0 * -1 - d1 + 5 >= 0)>(%i, %j)" in text
    assert "arith.cmpi ne, %i, %j" in text  # '!=' is not an affine constraint: scf.if
    assert "scf.if" in text and "} else {" in text
    names = op_names(upstream_verify(text))
    assert "affine.if" in names and "scf.if" in names


def test_while_is_scf_while():
    names = op_names(upstream_verify(to_mlir(SAMPLES["while"])))
    assert "scf.while" in names and "scf.condition" in names


def test_streams_are_annotated_memrefs_and_calls():
    text = to_mlir(SAMPLES["streams"])
    assert 'allo.stream = 4 : i32' in text
    assert "func.func private @allo_stream_put_4xi8(memref<4xi8>, index, i8)" in text
    assert "@allo_stream_get_" in text
    assert "attributes {dataflow}" in text


def test_calls_use_subviews_and_copies():
    text = to_mlir(SAMPLES["calls"])
    assert "memref.subview %A[%i, 0] [1, 8] [1, 1]" in text
    assert "func.func @row_sum(%r: memref<8xf32, strided<[1], offset: ?>>) -> f32" in text
    assert "memref.cast %whole" in text  # a whole buffer passed where views are passed too
    assert "memref.copy %fill_res, %res" in text


def test_type_attributes_keep_what_iN_loses():
    text = to_mlir(SAMPLES["tables"])
    assert '%out: memref<2x2xi8> {allo.type = "Fixed(8, 4)"}' in text
    assert 'allo.type = "uint5"' in text
    assert "dense<[[8, -20], [32, 127]]>" in text  # fixed table stored as raw values
    assert "bf16" in text


def test_widths_and_signedness_choose_ops():
    text = to_mlir(SAMPLES["all_ops"])
    for needle in ["arith.divui", "arith.divsi", "arith.floordivsi", "arith.remui", "arith.remsi",
                   "arith.shrui", "arith.shrsi", "arith.minimumf", "arith.maximumf", "cmpi ult",
                   "cmpi slt", "cmpf olt", "math.exp", "math.powf", "math.tanh", "arith.remf",
                   ": i128", ": i17", ": i3", ": bf16", ": f16"]:
        assert needle in text, needle
    casts = to_mlir(SAMPLES["casts"])
    for needle in ["arith.sitofp", "arith.uitofp", "arith.fptosi", "arith.fptoui", "arith.extf",
                   "arith.truncf", "arith.index_castui", "arith.extui"]:
        assert needle in casts, needle


def test_fixed_point_mul_is_widened_and_shifted():
    from ir_samples import all_ops
    text = to_mlir(Module({"f": all_ops(Fixed(16, 8))}, all_ops(Fixed(16, 8)).name))
    assert "arith.extsi" in text and "i16 to i32" in text
    assert "arith.shrsi" in text


def test_unsupported_names_are_sanitised_and_unique():
    i = Var("i", index)
    body = [Store("my buf", (i,), Const(1, int8))]
    f = Func("k", [Param("my buf", int8[4]), Param("i_1", int8)], [],
             [Alloc("i", int8[()]), For("i_", c(0), c(4), 1, [For("i", c(0), c(4), 1, body)])])
    # 'i' is both a buffer and a loop variable here: the printer keeps SSA names distinct
    text = to_mlir(Module({"k": f}, "k"))
    upstream_verify(text)
    assert "%my_buf" in text


def test_constants_special_floats_and_wide_ints():
    f = Func("k", [Param("A", float32[3]), Param("W", Int(128)[1]), Param("U", UInt(8)[1]),
                   Param("B", bfloat16[1])], [],
             [Store("A", (c(0),), Const(float("nan"), float32)),
              Store("A", (c(1),), Const(float("-inf"), float32)),
              Store("A", (c(2),), Const(1e-5, float32)),
              Store("W", (c(0),), Const(2**127 - 1, Int(128))),
              Store("U", (c(0),), Const(255, UInt(8))),
              Store("B", (c(0),), Const(0.1, bfloat16))])
    text = to_mlir(Module({"k": f}, "k"))
    assert "0x7FC00000" in text and "0xFF800000" in text
    assert str(2**127 - 1) in text and "arith.constant -1 : i8" in text
    upstream_verify(text)


def test_numpy_table_of_every_rank():
    f = Func("k", [], [], [Alloc("t", int8[2, 3, 2], np.arange(12).reshape(2, 3, 2)),
                           Alloc("s", float32[()], np.array(2.5))])
    text = to_mlir(Module({"k": f}, "k"))
    assert "dense<[[[0, 1], [2, 3], [4, 5]], [[6, 7], [8, 9], [10, 11]]]>" in text
    upstream_verify(text)
