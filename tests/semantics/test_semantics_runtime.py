"""The numpy calling convention (allo.runtime) through the interpreter."""

import warnings

import ml_dtypes
import numpy as np
import pytest

from allo.errors import CallError
from allo.ir.nodes import BufRef, Const, For, Func, Load, Module, Op, Param, Return, Store, Var
from allo.ir.types import (Fixed, Int, UInt, bfloat16, float32, float64, index, int4, int8,
                           int32, int128)
from allo.runtime import (AlloWarning, from_container, prepare_args, scalar_to_value,
                          to_container)
from allo.backends.interp import Interpreter

i = Var("i", index)


def incr_module(T, n=4, ret=False):
    """A[i] = A[i] + 1 for every i (optionally returning A)."""
    one = Const(1, T) if not T.is_fixed else Const(1 << T.frac, T)
    body = [For("i", Const(0, index), Const(n, index), 1,
                [Store("A", (i,), Op("add", (Load("A", (i,), T), one), T))], name="i")]
    if ret:
        body.append(Return([BufRef("A")]))
    f = Func("incr", [Param("A", T[n])], [T[n]] if ret else [], body)
    return Interpreter(Module({"incr": f}, "incr"))


def test_wrong_argument_count_names_the_parameters():
    with pytest.raises(CallError, match=r"incr\(\) takes 1 argument\(s\) \(A\), got 2"):
        incr_module(int32)(np.zeros(4, np.int32), np.zeros(4, np.int32))


def test_wrong_shape_names_the_argument_and_both_shapes():
    with pytest.raises(CallError, match=r"argument 'A': expected shape \(4,\), got shape \(5,\)"):
        incr_module(int32)(np.zeros(5, np.int32))


def test_unconvertible_dtype_is_refused():
    with pytest.raises(CallError, match="argument 'A': expected dtype int32.*got dtype float64"):
        incr_module(int32)(np.zeros(4))
    with pytest.raises(CallError, match="argument 'A': expected a numpy array"):
        incr_module(int32)([0, 0, 0, 0])


def test_same_kind_conversion_warns_and_writes_back():
    A = np.array([1, 2, 3, -4], dtype=np.int64)
    with pytest.warns(AlloWarning, match="argument 'A': converting dtype int64 to int32"):
        incr_module(int32)(A)
    assert A.tolist() == [2, 3, 4, -3]


def test_integers_of_another_dtype_are_accepted_only_when_every_value_fits():
    with pytest.raises(CallError, match=r"argument 'A': the value 1099511627776 \(dtype int64\) "
                                        r"does not fit the declared element type int32"):
        incr_module(int32)(np.array([1, 2, 3, 2**40], dtype=np.int64))
    A = np.array([0, 1, 254, 7], dtype=np.int64)  # int64 into uint8: every value fits
    with pytest.warns(AlloWarning):
        incr_module(UInt(8))(A)
    assert A.tolist() == [1, 2, 255, 8]
    with pytest.raises(CallError, match="the value 300 .* does not fit .*uint8.*0 .. 255"):
        incr_module(UInt(8))(np.array([0, 300, 1, 2], dtype=np.int64))
    with pytest.raises(CallError, match="the value -1 .* does not fit"):
        incr_module(UInt(8))(np.array([-1, 0, 1, 2], dtype=np.int64))
    with pytest.raises(CallError, match="not exact in float32"):
        incr_module(float32)(np.array([2**24 + 1, 0, 0, 0], dtype=np.int64))


def test_float64_into_float32_only_changed_elements_are_written_back():
    body = [Store("A", (Const(0, index),), Const(2.5, float32))]
    f = Func("f", [Param("A", float32[2])], [], body)
    A = np.array([0.0, 0.1])
    with pytest.warns(AlloWarning):
        Interpreter(Module({"f": f}, "f"))(A)
    assert A.tolist() == [2.5, 0.1]  # 0.1 is not replaced by float32(0.1)


def test_non_contiguous_arrays_are_copied_and_written_back():
    base = np.zeros((4, 2), np.int32)
    view = base[:, 1]
    assert not view.flags.c_contiguous
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no dtype conversion: no warning
        incr_module(int32)(view)
    assert base[:, 1].tolist() == [1, 1, 1, 1] and base[:, 0].tolist() == [0, 0, 0, 0]


def test_matching_arrays_are_updated_in_place_without_copies():
    A = np.zeros(4, np.int8)
    call = prepare_args(incr_module(int8).module.top_func, (A,))
    assert call.args[0] is A


def test_integers_are_wrapped_to_the_declared_width_on_entry():
    A = np.array([7, 8, -9, 100], dtype=np.int8)  # int4 holds -8 .. 7
    incr_module(int4)(A)
    assert A.tolist() == [-8, -7, -8, 5]


def test_returns_one_array_a_tuple_or_nothing():
    A = np.zeros(4, np.float32)
    out = incr_module(float32, ret=True)(A)
    assert isinstance(out, np.ndarray) and out.tolist() == [1.0] * 4
    out[0] = 9  # the result is not an alias of the argument's container
    assert A[0] == 1.0
    x, y = Var("x", int8), Var("y", float64)
    f = Func("pair", [Param("x", int8), Param("y", float64)], [int8, float64],
             [Return([Op("add", (x, x), int8), y])])
    got = Interpreter(Module({"pair": f}, "pair"))(100, 2)
    assert isinstance(got, list) and got[0] == np.int8(-56) and isinstance(got[0], np.int8)
    assert got[1] == 2.0 and isinstance(got[1], np.float64)
    assert incr_module(int8)(np.zeros(4, np.int8)) is None


def test_wide_integers_use_object_arrays():
    A = np.array([2**127 - 1, -5, 0, 2**100], dtype=object)
    out = incr_module(int128, ret=True)(A)
    assert out.dtype == object and out.tolist() == [-(2**127), -4, 1, 2**100 + 1]
    with pytest.warns(AlloWarning):
        incr_module(int128)(np.zeros(4, np.int64))
    with pytest.raises(CallError, match="must hold Python ints"):
        incr_module(int128)(np.array([1, 2, 3, "x"], dtype=object))


def test_fixed_point_in_and_out_as_real_values():
    q = Fixed(8, 4)
    A = np.array([0.5, -0.3, 7.5, 1.0 / 3.0])  # -0.3 floors to -0.3125; 7.5 + 1 wraps
    incr_module(q)(A)
    assert A.tolist() == [1.5, -0.3125 + 1, 8.5 - 16, 0.3125 + 1]
    assert to_container(np.array([0.75, -0.3]), Fixed(8, 2)).tolist() == [3, -2]
    assert from_container(np.array([3, -2], np.int8), Fixed(8, 2)).tolist() == [0.75, -0.5]
    wide = Fixed(100, 90)
    raw = to_container(np.array([0.5, -2.0**-90]), wide)
    assert raw.dtype == object and raw.tolist() == [2**89, -1]
    assert from_container(raw, wide).tolist() == [0.5, -2.0**-90]


def test_bfloat16_buffers_and_scalar_parameters():
    A = np.array([1, 2, 3, 4], dtype=ml_dtypes.bfloat16)
    incr_module(bfloat16)(A)
    assert A.astype(np.float32).tolist() == [2, 3, 4, 5]
    assert scalar_to_value(300, int8) == 44
    assert scalar_to_value(0.5, Fixed(8, 4)) == 8
    assert scalar_to_value(np.int64(3), float32) == np.float32(3)
    assert scalar_to_value(np.array(5), UInt(2)) == 1
    with pytest.raises(CallError, match="argument 'n': expected an integer of type int32"):
        scalar_to_value(1.5, int32, "n")
    with pytest.raises(CallError, match="argument 'n'"):
        scalar_to_value("7", Int(8), "n")


def test_bind_arguments_maps_keywords_to_parameter_positions():
    from allo.runtime import bind_arguments

    f = Func("f", [Param("A", int8[2]), Param("x", int8), Param("y", int8)], [], [])
    assert bind_arguments(f, (1,), {"y": 3, "x": 2}) == (1, 2, 3)
    assert bind_arguments(f, (1, 2, 3), {}) == (1, 2, 3)
    for args, kwargs, words in [((), {"z": 1}, "'z'"), ((1,), {"A": 1}, "several values"),
                                ((1,), {"y": 1}, "missing argument(s) 'x'"),
                                ((1, 2, 3, 4), {"y": 1}, "takes 3 argument(s)")]:
        with pytest.raises(CallError) as err:
            bind_arguments(f, args, kwargs)
        assert words in str(err.value) and "A, x, y" in str(err.value)
