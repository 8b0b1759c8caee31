"""LLVM backend: aliasing arguments, results computed in place, host target attributes.

The generated code may only assume what the runtime guarantees: result arrays are fresh
(``noalias``); the caller may pass one array (or overlapping views) for several
parameters only when the kernel writes none of them (read-only aliasing, e.g. ``A @ A``),
otherwise the call is refused (docs/semantics.md).
"""

import warnings

import numpy as np
import pytest

from allo.backends.llvm import build
from allo.errors import CallError
from allo.backends.llvm.codegen import emit_module
from allo.backends.llvm.direct_results import direct_result_allocs
from allo.backends.llvm.jit import host_function_attributes, with_function_attributes
from allo.ir.nodes import (Alloc, BufRef, Call, Const, For, Func, If, Load, Module, Op, Param,
                           Return, Store, Var)
from allo.ir.types import Int, bool_, float32, index, int32
from allo.backends.interp import Interpreter

I, J, K = (Var(n, index) for n in "ijk")


def loop(var, n, body):
    return For(var, Const(0, index), Const(n, index), 1, body)


def shift_add(n, t):
    """``for i: A[i] = A[i] + B[n-1-i] * B[i]``: reads of B see earlier writes of A when
    both name the same memory."""
    rev = Op("sub", (Const(n - 1, index), I), index)
    val = Op("add", (Load("A", (I,), t), Op("mul", (Load("B", (rev,), t), Load("B", (I,), t)), t)), t)
    f = Func("shift_add", [Param("A", t[n]), Param("B", t[n])], [], [loop("i", n, [Store("A", (I,), val)])])
    return Module({"shift_add": f}, "shift_add")


def run_both(mod, *args):
    """(interpreter result, llvm result), each on its own copies of ``args`` -- with the
    aliasing between the arguments preserved in each copy."""
    def fresh():
        base = {}
        out = []
        for a in args:
            if isinstance(a, tuple):  # ("view", base_array, lo, hi): overlapping views
                _, b, lo, hi = a
                base.setdefault(id(b), b.copy())
                out.append(base[id(b)][lo:hi])
            else:
                base.setdefault(id(a), a.copy())
                out.append(base[id(a)])
        return out, list(base.values())

    ref_args, ref_bases = fresh()
    jit_args, jit_bases = fresh()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = Interpreter(mod)(*ref_args)
        got = build(mod)(*jit_args)
    return (ref, ref_bases), (got, jit_bases)


def _aliased_calls():
    n = 100
    X = (np.arange(n) % 7 + 1).astype(np.int32)
    base = (np.arange(n + 3) % 5 + 1).astype(np.float32)
    W = np.array([(1 << 90) + 3 * k for k in range(8)], dtype=object)
    return [(shift_add(n, int32), (X, X)),
            (shift_add(n, float32), (base[3:n + 3], base[0:n])),  # overlapping views
            (shift_add(8, Int(100)), (W, W))]


@pytest.mark.parametrize("case", range(3))
@pytest.mark.parametrize("engine", ["interp", "llvm"])
def test_aliased_arrays_with_a_written_parameter_are_refused(case, engine):
    # array arguments are distinct memory (docs/semantics.md): every verified schedule
    # relies on it, so an aliased call would run a design on inputs it was never proved for
    mod, args = _aliased_calls()[case]
    before = [a.copy() for a in args]
    run = Interpreter(mod) if engine == "interp" else build(mod)
    with pytest.raises(CallError, match="share memory.*writes 'A'"):
        run(*args)
    assert all(np.array_equal(a, b) for a, b in zip(args, before))  # nothing was written


def test_disjoint_views_of_one_array_are_fine():
    n = 8
    base = (np.arange(2 * n) % 5 + 1).astype(np.int32)
    (_, ref_bases), (_, jit_bases) = run_both(shift_add(n, int32), ("view", base, n, 2 * n),
                                              ("view", base, 0, n))
    assert np.array_equal(ref_bases[0], jit_bases[0])


def gemm_module(n):
    prod = Op("mul", (Load("A", (I, K), float32), Load("B", (K, J), float32)), float32)
    body = [Store("C", (I, J), Op("add", (Load("C", (I, J), float32), prod), float32))]
    f = Func("gemm", [Param("A", float32[n, n]), Param("B", float32[n, n])], [float32[n, n]],
             [Alloc("C", float32[n, n]), loop("i", n, [loop("k", n, [loop("j", n, body)])]),
              Return([BufRef("C")])])
    return Module({"gemm": f}, "gemm")


def test_gemm_in_result_storage_is_bit_exact_with_remainders_and_aliased_inputs():
    n = 67  # not a multiple of any vector width: vector body plus scalar remainder
    rng = np.random.default_rng(1)
    A = rng.standard_normal((n, n)).astype(np.float32)
    mod = gemm_module(n)
    assert direct_result_allocs(mod) == {"C": 0}
    for B in (rng.standard_normal((n, n)).astype(np.float32), A):  # A @ A: one array twice
        ref = np.zeros((n, n), np.float32)
        for k in range(n):  # the same operation order, no FMA: bit-identical
            ref += A[:, k:k + 1] * B[k:k + 1, :]
        got = build(mod)(A, B)
        assert got.dtype == np.float32 and np.array_equal(got, ref)


def test_direct_result_code_has_no_final_copy():
    text = emit_module(gemm_module(8))
    assert "noalias" in text and "llvm.memcpy" not in text.split("exit:")[0].split("i.end:")[-1]


def _func(body, results, params=()):
    return Func("f", list(params), results, body)


def test_direct_results_only_when_unobservable():
    C = float32[4]
    ret = Return([BufRef("C")])
    plain = _func([Alloc("C", C), ret], [C])
    assert direct_result_allocs(Module({"f": plain}, "f")) == {"C": 0}
    # the same buffer for two results: only the first may live in result storage
    twice = _func([Alloc("C", C), Return([BufRef("C"), BufRef("C")])], [C, C])
    assert direct_result_allocs(Module({"f": twice}, "f")) == {"C": 0}
    # a return inside a branch (two returns)
    cond = Param("p", bool_)
    branchy = _func([Alloc("C", C), If(Var("p", bool_), [Return([BufRef("C")])]), ret], [C], [cond])
    assert direct_result_allocs(Module({"f": branchy}, "f")) == {}
    # returning a parameter, or an alloc of another shape
    param = _func([Return([BufRef("P")])], [C], [Param("P", C)])
    assert direct_result_allocs(Module({"f": param}, "f")) == {}
    # an alloc inside a loop is re-initialised each iteration: left alone
    inner = _func([loop("i", 2, [Alloc("C", C)]), ret], [C])
    assert direct_result_allocs(Module({"f": inner}, "f")) == {}
    # a top function another function calls: its results are not fresh arrays
    caller = Func("g", [], [], [Alloc("D", C), Call("f", [], ["D"])])
    assert direct_result_allocs(Module({"f": plain, "g": caller}, "f")) == {}


def test_same_buffer_returned_twice_gives_two_equal_arrays():
    C = int32[4]
    body = [Alloc("C", C), loop("i", 4, [Store("C", (I,), Op("cast", (I,), int32))]),
            Return([BufRef("C"), BufRef("C")])]
    a, b = build(Module({"f": _func(body, [C, C])}, "f"))()
    assert np.array_equal(a, [0, 1, 2, 3]) and np.array_equal(b, [0, 1, 2, 3])
    a[0] = 9
    assert b[0] == 0  # distinct arrays


def test_every_function_gets_the_host_attributes():
    tagged = with_function_attributes('define void @f()\n{\n  ret void\n}\n'
                                      'define i32 @g(ptr %p) nounwind {\n  ret i32 0\n}\n', '"a"="b"')
    lines = tagged.splitlines()
    assert lines[0] == "define void @f() #9000"
    assert lines[4] == "define i32 @g(ptr %p) #9000 nounwind {"
    one_line = with_function_attributes('define i32 @h(ptr %p) { ret i32 0 }', '"a"="b"')
    assert one_line.startswith("define i32 @h(ptr %p) #9000 { ret i32 0 }")
    assert lines[-1] == 'attributes #9000 = { "a"="b" }'
    assert '"target-cpu"=' in host_function_attributes()
    assert '"target-features"=' in host_function_attributes()
