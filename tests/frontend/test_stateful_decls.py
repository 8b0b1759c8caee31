"""``x: T @ Stateful = v`` declarations: lowering to a hoisted stateful Alloc, and the
located errors of their misuse."""

import numpy as np
import pytest

import allo
from allo.errors import AlloError
from allo.ir.nodes import Alloc, Const
from allo.ir.state import func_state, impure_funcs, state_vars
from allo.ir.types import Stateful, float32, int32

TABLE = np.array([1, 2, 3, 4], dtype=np.int32)


def test_declaration_becomes_a_hoisted_stateful_alloc():
    def k(x: int32) -> int32:
        t: int32 = x
        for i in range(2):
            s: int32 @ Stateful = 7  # declared in a loop, initialised once
            s = s + t
        w: int32[4] @ Stateful = TABLE
        l: float32[2] @ Stateful = [1.5, 2.5]
        return w[0] + x

    f = allo.customize(k).ir.top_func
    states = func_state(f)
    assert [a.name for a in states] == ["s", "w", "l"]
    assert all(any(a is b for b in f.body) for a in states)  # top level
    assert states[0].init == Const(7, int32)
    assert states[1].init.tolist() == [1, 2, 3, 4]
    assert states[2].init.tolist() == [1.5, 2.5]
    seq = allo.customize(k).build(target="interp")
    assert [int(seq(1)) for _ in range(2)] == [2, 2]


def test_module_state_and_purity():
    def callee(x: int32) -> int32:
        c: int32 @ Stateful = 0
        c = c + x
        return c

    def pure(x: int32) -> int32:
        return x + 1

    def top(x: int32) -> int32:
        a: int32 = callee(x)
        b: int32 = pure(x)
        return a + b

    m = allo.customize(top).ir
    assert [v.key for v in state_vars(m)] == ["callee.c"]
    assert impure_funcs(m) == {"callee", "top"}


def test_printed_mlir_holds_the_state_in_a_global():
    def k(x: int32) -> int32:
        acc: int32 @ Stateful = 5
        acc = acc + x
        return acc

    text = str(allo.customize(k).module)
    assert 'memref.global "private" @k_acc_state : memref<i32> = dense<5>' in text
    assert "memref.get_global @k_acc_state" in text and "allo.stateful" in text


def _error(fn):
    with pytest.raises(AlloError) as e:
        allo.customize(fn)
    return str(e.value)


def test_runtime_initial_value_is_refused():
    def k(x: int32) -> int32:
        acc: int32 @ Stateful = x
        return acc

    msg = _error(k)
    assert "compile-time constant" in msg and "acc: int32 @ Stateful = x" in msg


def test_stateful_parameter_is_refused():
    def k(x: int32 @ Stateful) -> int32:
        return x

    assert "cannot be Stateful" in _error(k)


def test_stateful_declared_twice_is_refused():
    def k(x: int32) -> int32:
        if x > 0:
            s: int32 @ Stateful = 0
            s = s + 1
        else:
            s: int32 @ Stateful = 0
            s = s + 2
        return x

    assert "declared twice" in _error(k)


def test_bad_qualifier_is_refused():
    def k(x: int32) -> int32:
        s: int32 @ 3 = 0
        return s

    assert "not a storage qualifier" in _error(k)


def test_table_shape_mismatch_is_refused():
    def k(x: int32) -> int32:
        w: int32[3] @ Stateful = TABLE
        return w[0]

    assert "shape" in _error(k)


def test_ir_verifier_refuses_nested_or_runtime_initialised_state():
    from allo.ir.nodes import For, Func, Module, Var
    from allo.ir.types import index
    from allo.ir.verifier import verify_ir

    nested = Func("f", [], [], [For("i", Const(0, index), Const(2, index), 1,
                                    [Alloc("s", int32[()], None, stateful=True)], name="i")])
    with pytest.raises(AlloError, match="top level"):
        verify_ir(Module({"f": nested}, "f"))
    from allo.ir.nodes import Param
    runtime = Func("f", [Param("x", int32)], [],
                   [Alloc("s", int32[()], Var("x", int32), stateful=True)])
    with pytest.raises(AlloError, match="constant initial value"):
        verify_ir(Module({"f": runtime}, "f"))
