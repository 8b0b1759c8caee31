"""Public Allo's module names: allo.backend.hls, allo.utils, allo.ir.utils, customize kwargs."""

import numpy as np
import pytest

import allo
from allo.backend import hls
from allo.errors import AlloError
from allo.ir.types import int32
from allo.ir.utils import MockBuffer
from allo.utils import get_np_struct_type


def test_is_available_answers_from_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert hls.is_available("vitis_hls") is False
    tool = tmp_path / "vitis_hls"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    assert hls.is_available("vitis_hls") is True
    assert hls.is_available() is False  # vivado_hls, public Allo's default


def test_is_available_rejects_unknown_tools():
    with pytest.raises(AlloError, match="unknown HLS tool"):
        hls.is_available("quartus")


def test_np_struct_type_packs_bytes():
    t = get_np_struct_type(128)
    assert t.itemsize == 16
    a = np.arange(32, dtype=np.int8).view(t)
    assert a.shape == (2,)
    assert get_np_struct_type(12).itemsize == 2
    with pytest.raises(AlloError):
        get_np_struct_type(0)


def test_mock_buffer_addresses_a_buffer():
    def k(A: int32[4]) -> int32[4]:
        B: int32[4] = 0
        for i in range(4):
            B[i] = A[i] + 1
        return B

    s = allo.customize(k)
    s.partition(MockBuffer("k", "B"), dim=1)
    assert s.verify()
    assert repr(MockBuffer("k", "B")) == "MockBuffer(k:B)"


N_GLOBAL = 2


def test_customize_keyword_arguments(capsys):
    def k(A: int32[4]):
        for i in range(4):
            A[i] = N_GLOBAL

    s = allo.customize(k, verbose=True, enable_tensor=True, global_vars={"N_GLOBAL": 7})
    assert "func.func @k" in capsys.readouterr().out
    a = np.zeros(4, np.int32)
    s.build()(a)
    np.testing.assert_array_equal(a, 7)
    with pytest.raises(AlloError, match="typing_rule_set"):
        allo.customize(k, typing_rule_set="cpp-style")
    with pytest.raises(AlloError, match="global_vars"):
        allo.customize(k, global_vars=[1])
