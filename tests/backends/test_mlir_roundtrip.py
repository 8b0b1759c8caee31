"""MLIR round trip: ``from_mlir(to_mlir(m))`` rebuilds pure affine kernels exactly."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "ir"))

from allo.backends.mlir.importer import from_mlir  # noqa: E402
from allo.errors import BackendError  # noqa: E402
from allo.ir.nodes import Func, Param, Store  # noqa: E402
from allo.ir.printer import to_mlir  # noqa: E402
from allo.ir.types import bfloat16, bool_, float32, float64, index, int8, int32, uint8  # noqa: E402
from allo.ir.verifier import verify_ir  # noqa: E402

from ir_samples import (branches, c, cast, gemm, int8_matmul, loop, module, op, scalars,  # noqa: E402
                        tiled_bounds, v)
from ir_samples import Load  # noqa: E402


def arith_kernel(t):
    """Integer/float arithmetic, comparisons, select and casts: the importable subset."""
    i = v("i")
    x, y = Load("X", (i,), t), Load("Y", (i,), t)
    names = ["add", "sub", "mul", "div", "min", "max"]
    if t.is_int:
        names += ["and", "or", "xor", "shl", "shr"]
    vals = [op(n, x, y) for n in names]
    vals += [op("select", op(cmp, x, y, t=bool_), x, y, t=t) for cmp in ("eq", "ne", "lt", "le", "gt", "ge")]
    vals += [cast(cast(x, float64 if t.is_int else int32), t)]
    if t.is_float:
        vals += [op("exp", x), op("sqrt", x), op("neg", x), op("abs", x), op("pow", x, y)]
    body = [Store("Z", (c(k),), e) for k, e in enumerate(vals)]
    name = f"arith_{t!r}"
    return module(Func(name, [Param("X", t[4]), Param("Y", t[4]), Param("Z", t[len(vals)])], [],
                       [loop("i", 4, body, band="S_i_0", pipeline_ii=1)]))


CASES = {"gemm": gemm(), "int8_matmul": int8_matmul(), "tiled": tiled_bounds(), "scalars": scalars(),
         **{f"arith_{t!r}": arith_kernel(t) for t in (int8, uint8, int32, index, float32, float64, bfloat16)}}


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_is_a_fixpoint(name):
    verify_ir(CASES[name])
    text = to_mlir(CASES[name])
    back = from_mlir(text)
    verify_ir(back)
    assert to_mlir(back) == text


def test_round_trip_keeps_names_and_schedule_attrs():
    back = from_mlir(to_mlir(tiled_bounds()))
    f = back.top_func
    assert [p.name for p in f.params] == ["A", "n"]
    loops = {lp.name: lp for lp in f.loops()}
    assert loops["io"].band == "S_i_0" and loops["io"].step == 4 and loops["io"].attrs == {"unroll": 4}
    assert loops["i2"].attrs == {"pipeline_ii": 1, "parallel": True}
    g = from_mlir(to_mlir(gemm())).top_func
    assert [lp.band for lp in g.loops()] == ["S_i_j_k_0"] * 3
    assert g.results == gemm().top_func.results


def test_unsigned_buffers_keep_their_type():
    back = from_mlir(to_mlir(arith_kernel(uint8)))
    assert back.top_func.params[0].type.dtype == uint8


def test_unsupported_constructs_are_reported():
    with pytest.raises(BackendError, match="affine.if"):
        from_mlir(to_mlir(branches()))
    with pytest.raises(BackendError, match="does not parse"):
        from_mlir("func.func @f( {")
