"""ConstExpr, Stateful, Struct, the exported `bool`, and deferred PEP 695 shapes."""

import builtins
import typing

import pytest

import allo.ir.types as T
from allo.errors import AlloTypeError
from allo.ir.types import ConstExprType, Qualified
from allo.ir.types import ConstExpr, Stateful, Struct, float32, int32


def test_bool_is_uint1_without_shadowing_the_builtin():
    from allo.ir.types import bool as allo_bool

    assert allo_bool == T.UInt(1)
    assert "bool" not in vars(T)  # inside the package, bool is still Python's
    assert builtins.bool(1) is True


def test_constexpr_and_stateful_annotations():
    assert ConstExpr[int32] == ConstExprType(int32)
    q = int32[4] @ Stateful
    assert isinstance(q, Qualified) and q.base == int32[4] and q.qualifier is Stateful
    with pytest.raises(AlloTypeError):
        ConstExpr[3]
    with pytest.raises(AlloTypeError, match="already has a qualifier"):
        (int32 @ Stateful) @ Stateful


def test_struct_fields():
    s = Struct({"x": int32, "y": float32})
    assert s.bits == 64 and s == Struct({"x": int32, "y": float32})
    with pytest.raises(AlloTypeError):
        Struct({"x": 3})
    with pytest.raises(AlloTypeError):
        Struct({})


def test_shape_with_a_template_parameter_is_deferred():
    N = typing.TypeVar("N")
    t = float32[N, 4]  # what Python evaluates while running `def k[N](A: float32[N, 4])`
    assert repr(t) == "float32[~N, 4]"
    with pytest.raises(AlloTypeError):
        float32[0]
