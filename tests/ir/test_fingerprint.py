"""The structural IR fingerprint: exact constants, types, layouts and options."""

import os
import subprocess
import sys

import numpy as np

import allo
from allo.ir.fingerprint import FingerprintError, fingerprint
from allo.ir.nodes import Alloc, Const, walk_stmts
from allo.ir.types import float32, float64, int32

LUT = np.arange(2000, dtype=np.int32)
WEIGHTS = np.array([0.123456789012, 0.5, 0.25], dtype=np.float64)


def lookup(A: int32[2000]) -> int32[2000]:
    B: int32[2000] = 0
    T: int32[2000] = LUT
    for i in range(2000):
        B[i] = T[i] + A[i]
    return B


def weigh(A: float64[3]) -> float64[3]:
    B: float64[3] = 0.0
    W: float64[3] = WEIGHTS
    for i in range(3):
        B[i] = A[i] * W[i]
    return B


def scale(A: float32[4]) -> float32[4]:
    B: float32[4] = 0.0
    for i in range(4):
        B[i] = A[i] * 0.5
    return B


def _table(module, name):
    return next(s for s in walk_stmts(module.top_func.body)
                if isinstance(s, Alloc) and s.name == name)


def test_a_2000_entry_table_differing_in_one_entry():
    a, b = allo.customize(lookup).ir, allo.customize(lookup).ir
    assert fingerprint(a) == fingerprint(b)
    _table(b, "T").init = _table(b, "T").init.copy()
    _table(b, "T").init[1000] += 1  # repr elides the middle: repr(a) == repr(b)
    assert repr(a.top_func) == repr(b.top_func)
    assert fingerprint(a) != fingerprint(b)


def test_floats_differing_in_the_ninth_digit():
    a, b = allo.customize(weigh).ir, allo.customize(weigh).ir
    _table(b, "W").init = _table(b, "W").init.copy()
    _table(b, "W").init[0] = 0.123456788012  # repr rounds to 8 digits
    assert repr(a.top_func) == repr(b.top_func)
    assert fingerprint(a) != fingerprint(b)
    # scalar constants by their bits: -0.0 vs 0.0, and the dtype of the same value
    assert fingerprint(Const(0.0, float64)) != fingerprint(Const(-0.0, float64))
    assert fingerprint(Const(np.float32(0.5), float32)) != fingerprint(Const(np.float64(0.5), float32))
    assert fingerprint(Const(1, int32)) != fingerprint(Const(1.0, int32))


def test_layouts_change_the_fingerprint():
    s = allo.customize(scale)
    before = fingerprint(s.ir)
    s.partition(s.A, allo.Partition.Cyclic, dim=1, factor=2)
    cyclic = fingerprint(s.ir)
    t = allo.customize(scale)
    t.partition(t.A, allo.Partition.Block, dim=1, factor=2)
    assert len({before, cyclic, fingerprint(t.ir)}) == 3


def test_options_and_their_values_change_the_fingerprint():
    m = allo.customize(scale).ir
    keys = {fingerprint(m), fingerprint(m, budget=10), fingerprint(m, budget=11),
            fingerprint(m, budget=10.0), fingerprint(m, method="z3")}
    assert len(keys) == 5
    assert fingerprint(m, a=1, b=2) == fingerprint(m, b=2, a=1)


def test_unknown_values_are_refused_not_guessed():
    class Opaque:
        pass

    try:
        fingerprint(allo.customize(scale).ir, opt=Opaque())
    except FingerprintError:
        return
    raise AssertionError("an opaque option must not get a lossy key")


def test_deep_expressions_do_not_overflow_the_stack():
    e = Const(0, int32)
    from allo.ir.nodes import Op
    for k in range(5000):
        e = Op("add", (e, Const(k, int32)), int32)
    assert len(fingerprint(e)) == 64


def test_stable_across_processes_and_hash_seeds():
    code = ("import allo, sys; sys.path.insert(0, 'tests/ir'); "
            "from test_fingerprint import lookup; from allo.ir.fingerprint import fingerprint; "
            "print(fingerprint(allo.customize(lookup).ir, budget=3))")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    outs = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=root)
        outs.add(subprocess.run([sys.executable, "-c", code], cwd=root, env=env, check=True,
                                capture_output=True, text=True).stdout.strip())
    assert outs == {fingerprint(allo.customize(lookup).ir, budget=3)}


# ------------------------------------------------------------------ fixed objects (encoded once)
def _pe_instances():
    """Two df process instances that differ in one pid constant (as the frontend lowers
    them), inside one module."""
    from allo.ir.nodes import Module, Store, copy_func

    first = allo.customize(scale).ir.funcs["scale"]
    second = copy_func(first)
    second.name = "scale_1"
    store = next(s for s in walk_stmts(second.body) if isinstance(s, Store))
    store.value = Const(0.25, float32)  # the twin below differs from it in this constant
    twin = copy_func(second)
    next(s for s in walk_stmts(twin.body) if isinstance(s, Store)).value = Const(0.5, float32)
    return Module({"scale": first, "scale_1": second}, "scale"), \
        Module({"scale": first, "scale_1": twin}, "scale")


def test_fixed_objects_give_the_same_fingerprints_and_still_tell_one_constant_apart():
    from allo.ir.fingerprint import fixed_objects

    differs, same = _pe_instances()
    outside = fingerprint(differs), fingerprint(same)
    assert outside[0] != outside[1]  # the instances differ in one constant
    with fixed_objects([*differs.funcs.values(), *same.funcs.values()]):
        inside = fingerprint(differs), fingerprint(same)
        again = fingerprint(differs), fingerprint(same)  # from the stored encodings
    assert inside == outside == again


def test_objects_not_fixed_are_encoded_afresh_inside_the_block():
    from allo.ir.fingerprint import fixed_objects
    from allo.ir.nodes import Module, copy_func

    differs, _ = _pe_instances()
    loose = copy_func(differs.funcs["scale"])
    with fixed_objects(differs.funcs.values()):
        before = fingerprint(Module({"scale": loose}, "scale"))
        loose.body.pop()  # a function outside the promise may change: it is re-encoded
        assert fingerprint(Module({"scale": loose}, "scale")) != before


def test_memoized_leaves_keep_equal_but_different_values_apart():
    # names and integers are memoized by value; 1, 1.0, True and "1" compare or hash
    # alike in a dict, so each must still be told apart whichever is encoded first
    values = [1, 1.0, True, "1", 0, 0.0, -0.0, False, "", 2 ** 70, "é"]
    first = [fingerprint(v) for v in values]
    assert len(set(first)) == len(values)
    assert [fingerprint(v) for v in reversed(values)] == first[::-1]
    import importlib
    fp_module = importlib.import_module("allo.ir.fingerprint")
    assert fp_module._MEMO[int] and fp_module._MEMO[str]  # the memo is in use
    saved = fp_module._MEMO_LIMIT
    fp_module._MEMO_LIMIT = 2  # clearing the memo mid-encoding changes nothing
    try:
        assert [fingerprint(v) for v in values] == first
        assert fingerprint(values) == fingerprint(list(values))
    finally:
        fp_module._MEMO_LIMIT = saved


def test_shared_type_objects_encode_like_their_copies():
    # IR types are encoded once per object (the PEs of a region share theirs): a design
    # sharing one type object must fingerprint like one holding equal copies, and a type
    # changed at one place of many must still change the fingerprint
    from allo.ir.nodes import Func, Module, Param
    from allo.ir.types import BufferType, Int, Stream

    def design(types):
        params = [Param(f"p{k}", t) for k, t in enumerate(types)]
        return Module({"f": Func("f", params, [], [], {})}, "f")

    shared = BufferType(Int(12), (3, 4))
    stream = Stream[Int(12), 2]
    same_object = design([shared, stream] * 5)
    copies = design([BufferType(Int(12), (3, 4)), Stream[Int(12), 2]] * 5)
    assert fingerprint(same_object) == fingerprint(copies)
    for k, odd in [(2, BufferType(Int(12), (3, 5))), (3, Stream[Int(12), 3]),
                   (8, BufferType(Int(13), (3, 4))), (9, Stream[Int(12, False), 2])]:
        types = [shared, stream] * 5
        types[k] = odd
        assert fingerprint(design(types)) != fingerprint(same_object), k
