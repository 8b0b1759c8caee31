"""Struct locals (``p: S = {...}``, ``p["x"]``): scalarized into one local per field, the
same on the interpreter and LLVM, verified after a schedule, and located errors."""

import numpy as np
import pytest

import allo
from allo.errors import AlloError
from allo.ir.types import Struct, float32, int32

POINT = Struct({"x": int32, "y": float32})


def weighted(x: int32[8], y: float32[8]) -> float32:
    total: float32 = 0.0
    best: POINT = {"x": 0, "y": 0.0}
    for i in range(8):
        p: POINT = {"y": y[i], "x": x[i]}
        p["x"] += 1
        total += p["y"] * p["x"]
        if p["y"] > best["y"]:
            best = p
    return total + best["x"]


def _ref(x, y):
    total = np.float32(0)
    best_x, best_y = 0, np.float32(0)
    for a, b in zip(x, y):
        a = a + 1
        total = np.float32(total + np.float32(b * np.float32(a)))
        if b > best_y:
            best_x, best_y = a, b
    return np.float32(total + np.float32(best_x))


def test_struct_fields_on_every_backend():
    x = np.arange(8, dtype=np.int32) - 3
    y = np.array([0.5, 2.0, -1.0, 3.25, 3.0, 0.0, 1.0, -2.0], np.float32)
    s = allo.customize(weighted)
    assert {"p_x", "p_y", "best_x", "best_y"} <= set(s.ir.top_func.buffers())
    for target in ("interp", "llvm"):
        assert s.build(target=target)(x, y) == _ref(x, y)


def test_struct_kernel_schedule_verifies():
    s = allo.customize(weighted)
    s.split("i", 2)
    assert s.verify()


def test_struct_type_api():
    assert POINT["x"] == int32 and POINT.dtype_dict == {"x": int32, "y": float32}
    assert POINT.bits == 64
    with pytest.raises(AlloError, match="no field 'z'"):
        POINT["z"]


def _error(fn):
    with pytest.raises(AlloError) as e:
        allo.customize(fn)
    return str(e.value)


def test_missing_field_in_the_value():
    def k(a: int32) -> int32:
        p: POINT = {"x": a}
        return p["x"]

    assert "has fields ['x']" in _error(k)


def test_unknown_field_read():
    def k(a: int32) -> int32:
        p: POINT = {"x": a, "y": 1.0}
        return p["z"]

    msg = _error(k)
    assert "has no field 'z'" in msg and 'p["z"]' in msg


def test_assigning_a_number_to_a_struct():
    def k(a: int32) -> int32:
        p: POINT = {"x": a, "y": 1.0}
        p = 3
        return p["x"]

    assert "cannot be assigned this value" in _error(k)


def test_struct_parameter_and_result_are_refused():
    def param(p: POINT) -> int32:
        return 1

    def result(a: int32) -> POINT:
        p: POINT = {"x": a, "y": 1.0}
        return p

    assert "is a struct" in _error(param)
    assert "cannot return a struct" in _error(result)
