"""Partition pragmas in generated HLS never disappear silently: a layout inference that
fails raises, and inferred layouts reach the buffers bound across calls."""

from __future__ import annotations

import pytest

import allo
from allo.backends.hls.codegen import emit_design
from allo.errors import AlloTypeError
from allo.ir.types import BufferType
from allo.typesys import Layout


def scale(A: allo.int32[8]) -> allo.int32[8]:
    B: allo.int32[8] = 0
    for i in range(8):
        B[i] = A[i] * 2
    return B


def top(X: allo.int32[8]) -> allo.int32[8]:
    return scale(X)


def _set_layout(module, func: str, buffer: str, text: str) -> None:
    param = module.funcs[func].param(buffer)
    param.type = param.type.with_layout(Layout.parse(text, param.type.shape))


def test_a_layout_inference_failure_raises_instead_of_dropping_pragmas():
    s = allo.customize(top)
    module = s.ir.copy()
    # two fixed layouts on the two ends of one binding that cannot both hold
    _set_layout(module, "scale", "A", "[complete]")
    _set_layout(module, "top", "X", "[cyclic(2)]")
    with pytest.raises(AlloTypeError):
        emit_design(module)


def test_an_inferred_layout_reaches_the_caller_buffer():
    s_scale = allo.customize(scale)
    s_scale.partition(s_scale.A, dim=1)
    s = allo.customize(top)
    s.compose(s_scale)
    assert isinstance(s.ir.funcs["top"].param("X").type, BufferType)
    source = emit_design(s.ir).source
    assert source.count("array_partition") >= 2  # the callee's A and the caller's X
