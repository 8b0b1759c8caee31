"""The registry: coverage of every IR op, hooks, clear errors."""

import numpy as np
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


# ---------------------------------------------------------------- every op has every meaning
import z3  # noqa: E402

from allo.ir.types import Int, UInt, int16  # noqa: E402
from allo.semantics.registry import MEANING_KINDS, ops, type_family  # noqa: E402
from allo.semantics.z3_ops import Z3Context, z3_apply, z3_sort  # noqa: E402
from allo.symexec.dag import Dag  # noqa: E402

_REPRESENTATIVE = {"int": int8, "fixed": Fixed(8, 4), "float": float32}
_SAMPLES = {"int": [100, -3, 7, 0], "fixed": [24, -40, 16, 0], "float": [1.5, -2.25, 0.5, 3.0]}


def _signature(name, family):
    """Operand types, result type and constant operands of a well-typed use of ``name``."""
    t = _REPRESENTATIVE[family]
    group, arity = REGISTRY[name].group, REGISTRY[name].arity
    if group == "logical":  # bool is the int family's only logical type
        b = bool_ if family == "int" else t
        return [b] * arity, b, [None] * arity
    if group == "compare":
        return [t, t], bool_, [None, None]
    if group == "select":
        return [bool_, t, t], t, [None] * 3
    if group == "cast":
        return [t], int16, [None]
    if name == "get_bit":
        return [t, index], bool_, [None, 3]
    if name == "set_bit":
        return [t, index, bool_], t, [None, 3, None]
    if name == "get_slice":
        return [t, index, index], UInt(4), [None, 2, 6]
    if name == "set_slice":
        return [t, index, index, UInt(4)], t, [None, 2, 6, None]
    return [t] * arity, t, [None] * arity


def _values(arg_types, consts):
    out = []
    for k, (t, c) in enumerate(zip(arg_types, consts)):
        if c is not None:
            out.append(c)
        elif t == bool_:
            out.append(k % 2)
        else:
            family = type_family(t)
            raw = _SAMPLES[family][k]
            out.append(float32.numpy_dtype().type(raw) if family == "float" else
                       raw if family == "fixed" else t.wrap(raw))  # fixed: raw bits
    return out


def _z3_value(v, t):
    if t == float32:
        return z3.FPVal(float(v), z3_sort(t))
    return z3.BitVecVal(int(v) % (1 << t.bits), t.bits)


USES = [(name, fam) for name in REGISTRY for fam in REGISTRY[name].type_families]


def test_the_meaning_kinds_are_concrete_symbolic_and_z3():
    assert MEANING_KINDS == ("concrete", "symbolic", "z3")


def test_declared_type_families_are_exactly_the_implemented_ones():
    for name, entry in REGISTRY.items():
        assert set(entry.type_families) == set(entry.families()), name


@pytest.mark.parametrize("name,family", USES)
def test_every_op_has_every_meaning_and_they_agree(name, family):
    entry = REGISTRY[name]
    ats, rt, consts = _signature(name, family)
    assert entry.typing_problem(ats, rt, consts) is None
    args = _values(ats, consts)
    # concrete
    value = entry.concrete(args, ats, rt)
    # symbolic: on constants it folds to the concrete value; on inputs it builds a node of rt
    dag = Dag()
    folded = get_symbolic(name)([dag.const(a, t) for a, t in zip(args, ats)], ats, rt, dag)
    assert dag.is_const(folded) and dag.type_of(folded) == rt
    assert (np.isnan(value) and np.isnan(dag.value(folded))) if rt == float32 and value != value \
        else dag.value(folded) == value
    leaves = [dag.const(c, t) if c is not None else dag.input(f"x{k}", -1, t)
              for k, (t, c) in enumerate(zip(ats, consts))]
    assert dag.type_of(get_symbolic(name)(leaves, ats, rt, dag)) == rt
    # z3: a term of the result's sort; bit-exact with the concrete meaning on bit-vectors
    term = z3_apply(Z3Context(), name, rt, ats, [_z3_value(a, t) for a, t in zip(args, ats)])
    assert get_z3(name) is entry.z3
    assert term.sort() == z3_sort(rt)
    if rt != float32:
        assert z3.simplify(term).as_long() == int(value) % (1 << rt.bits), (name, args)


@pytest.mark.parametrize("name", list(REGISTRY))
def test_the_typing_rule_refuses_the_families_without_a_meaning(name):
    entry = REGISTRY[name]
    for family in set(_REPRESENTATIVE) - set(entry.type_families):
        ats, rt, consts = _signature(name, family)
        assert entry.typing_problem(ats, rt, consts) is not None, (name, family)


def test_laws_hold_on_samples():
    """identity / absorbing / idempotent / self-inverse / involution, concretely on int8."""
    xs = [-128, -3, 0, 1, 77, 127]
    for name, entry in REGISTRY.items():
        laws = entry.laws
        t = bool_ if entry.group == "logical" else int8
        vals = [t.wrap(x) for x in xs]
        f = lambda *a: entry.concrete(list(a), [t] * len(a), t)  # noqa: E731
        for x in vals:
            if laws.identity is not None:
                assert f(x, t.wrap(laws.identity)) == x, name
            if laws.absorbing is not None:
                assert f(x, t.wrap(laws.absorbing)) == t.wrap(laws.absorbing), name
            if laws.idempotent:
                assert f(x, x) == x, name
            if laws.self_inverse:
                assert f(x, x) == 0, name
            if laws.involution:
                assert f(f(x)) == x, name
            for y in vals:
                if laws.commutative or laws.int_ac:
                    assert f(x, y) == f(y, x), name
                for z in vals if laws.int_ac else ():
                    assert f(f(x, y), z) == f(x, f(y, z)), name


def test_op_lists_come_from_the_registry():
    assert ops(group="logical", arity=2) == ("land", "lor")
    assert ops(libm=True) == ("exp", "log", "log2", "log10", "sqrt", "sin", "cos", "tan",
                              "tanh", "erf", "pow")
    assert set(ops()) == set(OPS) == set(REGISTRY)


def test_every_libm_op_has_a_helper_in_every_backend():
    from allo.backends.hls.prelude import HELPERS_H
    from allo.backends.llvm.ops import LIBM_OPS

    assert LIBM_OPS == ops(libm=True)
    for name in ops(libm=True):
        assert f"allo_{name}(" in HELPERS_H or f"ALLO_MATH1({name})" in HELPERS_H, name


def test_every_math_op_is_reachable_from_kernel_code():
    """Each math intrinsic of the registry has a frontend builtin that lowers to it."""
    from allo.builtins import MATH_OPS

    assert set(ops(group="math")) <= set(MATH_OPS.values())
