"""The registry: coverage of every IR op, hooks, clear errors."""

import pytest

from allo.errors import AlloTypeError
from allo.ir.nodes import OPS
from allo.ir.types import Fixed, bool_, float32, index, int8
from allo.semantics import (REGISTRY, MissingHookError, UnknownOpError, evaluate, get_symbolic,
                            get_z3, register_symbolic, register_z3, specialize)


def test_every_ir_op_has_one_entry_with_a_concrete_meaning():
    assert set(REGISTRY) == set(OPS)
    for name, entry in REGISTRY.items():
        assert entry.arity == OPS[name]
        assert entry.families(), f"op {name} has no concrete meaning"


def test_hooks_register_and_missing_hooks_say_how_to_register():
    entry = REGISTRY["xor"]
    saved = (entry.symbolic, entry.z3)
    try:
        entry.symbolic = entry.z3 = None
        with pytest.raises(MissingHookError, match=r"register_symbolic\('xor', fn\)"):
            get_symbolic("xor")
        with pytest.raises(MissingHookError, match=r"register_z3\('xor', fn\)"):
            get_z3("xor")
        sym, z3fn = (lambda *a: "sym"), (lambda *a: "z3")
        register_symbolic("xor", sym)
        register_z3("xor", z3fn)
        assert get_symbolic("xor") is sym and get_z3("xor") is z3fn
    finally:
        entry.symbolic, entry.z3 = saved


def test_unknown_ops_and_wrong_families_are_clear_errors():
    with pytest.raises(UnknownOpError, match="'fma'"):
        evaluate("fma", [1, 2, 3], [int8] * 3, int8)
    with pytest.raises(UnknownOpError):
        register_z3("fma", lambda: None)
    with pytest.raises(AlloTypeError, match="'exp' is not defined on int8"):
        evaluate("exp", [1], [int8], int8)
    with pytest.raises(AlloTypeError, match="takes 2 operand"):
        evaluate("add", [1], [int8], int8)


def test_specialisations_are_cached_plain_functions():
    f = specialize("add", [index, index], index)
    assert f is specialize("add", (index, index), index)
    assert f(5, 6) == 11
    assert specialize("lt", [Fixed(8, 4)] * 2, bool_)(-1, 0) == 1
    assert specialize("cast", [float32], int8)(float32.numpy_dtype().type(-1.9)) == -1
