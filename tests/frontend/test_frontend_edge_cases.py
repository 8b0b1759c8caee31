"""Regression tests for reviewed frontend bugs: type constructors in kernel bodies, negative
range steps, float ``%``, ``tuple[...]`` results, bad type arguments, template argument
errors, statically out-of-range indices, ``bool`` truthiness and stray internal errors.

Every bad kernel marks the line its error must point at with ``# BAD``.
"""

import inspect

import numpy as np
import pytest

import allo.builtins as allo
from allo.errors import AlloError, AlloNameError, AlloSyntaxError, AlloTypeError
from allo.frontend import parse
from allo.ir.nodes import Op, stmt_exprs, walk_expr, walk_stmts
from allo.ir.types import Fixed, Int, UFixed, UInt, bool_, float32, index, int8, int32
from allo.ir.verifier import verify_ir
from allo.backends.interp import Interpreter

FILE = __file__


def run(fn, *args, inst=None):
    module = parse(fn, inst)
    verify_ir(module)
    return Interpreter(module)(*args)


def all_ops(func):
    return [x.op for s in walk_stmts(func.body) for e in stmt_exprs(s) for x in walk_expr(e)
            if isinstance(x, Op)]


def located(exc_info, fn, *phrases):
    """The error points at the ``# BAD`` line of ``fn`` with a caret and a hint."""
    msg = str(exc_info.value)
    lines, start = inspect.getsourcelines(fn)
    bad = [start + k for k, t in enumerate(lines) if "# BAD" in t]
    assert len(bad) == 1
    assert f"{FILE}:{bad[0]}:" in msg, msg
    assert "^" in msg and "hint:" in msg, msg
    for p in phrases:
        assert p in msg, msg
    return msg


# ------------------------------------------------------------- 1. type constructors in bodies
def ctor_locals(A: int32[4]) -> (int32[4], UInt(3)[4]):
    B: int32[4] = 0
    C: UInt(3)[4] = 0
    for i in range(4):
        t: UInt(5) = A[i]
        u: Int(4) = A[i]
        f: UFixed(8, 4) = A[i]
        g: Fixed(8, 4) = f
        B[i] = t + u + int(g)
        C[i] = UInt(3)(A[i])
    return B, C


def test_type_constructors_in_kernel_bodies_are_types_not_kernels():
    A = np.array([1, 33, 7, 9], np.int32)
    B, C = run(ctor_locals, A)
    wrap = lambda v, n, s: ((v + (1 << (n - 1))) % (1 << n)) - (1 << (n - 1)) if s else v % (1 << n)
    # UFixed(8, 4) keeps 4 unsigned integer bits (33 -> 1), Fixed(8, 4) 4 signed ones (9 -> -7)
    expect = [wrap(a, 5, False) + wrap(a, 4, True) + wrap(a % 16, 4, True) for a in A.tolist()]
    assert B.tolist() == expect
    assert C.tolist() == [a % 8 for a in A.tolist()]
    assert parse(ctor_locals).top_func.results == [int32[4], UInt(3)[4]]


# ------------------------------------------------------------- 2. negative range steps
def down(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    k: int32 = 0
    for i in range(3, -1, -1):
        B[i] = A[i] * 10 + k
        k += 1
    return B


def down_dynamic(A: int32[10], n: index, lo: index) -> int32[10]:
    B: int32[10] = 0
    c: int32 = 0
    for i in range(n, lo, -3):
        c += 1
        B[i - 1] = A[i - 1] + c
    return B


def test_negative_step_visits_python_order():
    assert run(down, np.arange(4, dtype=np.int32)).tolist() == [3, 12, 21, 30]
    loop = parse(down).top_func.loops()[0]
    assert loop.name == "i" and loop.step == 1  # IR steps stay positive; the name is kept


@pytest.mark.parametrize("n,lo", [(10, 0), (7, 0), (1, 0), (0, 0), (10, 4), (3, 5)])
def test_negative_step_with_runtime_bounds(n, lo):
    A = np.arange(10, dtype=np.int32)
    ref, c = np.zeros(10, np.int32), 0
    for i in range(n, lo, -3):
        c += 1
        ref[i - 1] = A[i - 1] + c
    assert run(down_dynamic, A, n, lo).tolist() == ref.tolist()


# ------------------------------------------------------------- 3. float % and tuple[...] results
def float_mod(A: float32[4]) -> float32[4]:
    B: float32[4] = 0.0
    for i in range(4):
        B[i] = A[i] % 2.0 + A[i] % -3
    return B


def test_float_mod_is_python_mod():
    a = np.array([5.5, -5.5, 2.0, -0.25], np.float32)
    ref = a % np.float32(2.0) + a % np.float32(-3)
    assert run(float_mod, a).tolist() == ref.tolist()
    assert "mod" in all_ops(parse(float_mod).top_func)


def tuple_result(A: int32[4]) -> tuple[int32[4], int32]:
    s: int32 = 0
    for i in range(4):
        s += A[i]
    return A, s


@allo.template("T", "M")
def tuple_result_t(A: "T[M]") -> "tuple[T[M], T]":
    s: "T" = 0
    for i in range(M):
        s += A[i]
    return A, s


def test_tuple_return_annotations():
    A = np.arange(4, dtype=np.int32)
    out, s = run(tuple_result, A)
    assert out.tolist() == [0, 1, 2, 3] and int(s) == 6
    assert parse(tuple_result_t, [int8, 4]).top_func.results == [int8[4], int8]


def bad_result_list(A: int32[4]) -> list[int32[4]]:  # BAD
    return A


def test_bad_result_annotation_hint_mentions_tuples():
    with pytest.raises(AlloError) as info:
        parse(bad_result_list)
    located(info, bad_result_list, "tuple[int32[M], int32]", "(int32[M], int32)")


# ------------------------------------------------------------- 4. bad type arguments
@pytest.mark.parametrize("make", [lambda: int32[4.5], lambda: int32[0], lambda: UInt(0),
                                  lambda: Int(-3), lambda: Fixed(8, 10), lambda: UFixed(4.5, 1),
                                  lambda: int32[4, -1]])
def test_type_constructors_raise_allo_type_errors(make):
    with pytest.raises(AlloTypeError) as info:
        make()
    assert isinstance(info.value, ValueError)  # old `except ValueError` code keeps working
    assert "hint:" in str(info.value)


def bad_local_width(A: int32[4]):
    t: UInt(0) = 1  # BAD


def bad_local_dim(A: int32[4]):
    B: int32[4.5] = 0  # BAD


def bad_fixed_cast(A: int32[4]):
    A[0] = Fixed(8, 10)(A[1])  # BAD


def bad_string_dim(A: "int32[0]"):  # BAD
    pass


@pytest.mark.parametrize("fn,phrase", [(bad_local_width, "UInt(0)"),
                                       (bad_local_dim, "int32[4.5]"),
                                       (bad_fixed_cast, "Fixed(8, 10)"),
                                       (bad_string_dim, "int32[0]")])
def test_bad_type_arguments_in_kernels_are_located(fn, phrase):
    with pytest.raises(AlloTypeError) as info:
        parse(fn)
    located(info, fn, phrase)


# ------------------------------------------------------------- 5. template errors
@allo.template("T", "M")
def tk(A: "T[M]") -> "T[M]":
    return A


def test_instantiate_must_be_a_list():
    with pytest.raises(AlloTypeError, match=r"must be a list.*\n.*instantiate=\[float32\]"):
        parse(tk, float32)


def test_template_decorator_checks_names():
    with pytest.raises(AlloTypeError, match="identifier strings, got 3") as info:
        allo.template("T", 3)
    assert f"{FILE}:" in str(info.value)  # points at the decorator's call site
    with pytest.raises(AlloNameError, match="duplicate template parameter name.*: T"):
        @allo.template("T", "T")
        def twice(A: "T[4]"):
            pass


def test_swapped_template_arguments_name_the_parameter_kind():
    with pytest.raises(AlloTypeError, match="'T' of 'tk' expects a type.*but 8 was given"):
        parse(tk, [8, float32])
    with pytest.raises(AlloTypeError, match="'M' of 'tk' expects a number"):
        parse(tk, [float32, int32])
    assert parse(tk, [float32, 8]).top_func.results == [float32[8]]


# ------------------------------------------------------------- 6. static index ranges
def oob_shift(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        B[i] = A[i + 2]  # BAD
    return B


def oob_store(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        B[i + 100000] = A[i]  # BAD
    return B


def oob_2d(A: int32[4, 4]) -> int32[4]:
    B: int32[4] = 0
    for i, j in allo.grid(4, 3):
        B[i] = A[i, 2 * j - 1]  # BAD
    return B


def oob_down(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    for i in range(4, -1, -1):
        B[0] = A[i]  # BAD
    return B


@pytest.mark.parametrize("fn,phrases", [
    (oob_shift, ["'i + 2' of 'A'", "2 .. 5", "i in 0 .. 3", "extent is 4"]),
    (oob_store, ["'i + 100000' of 'B'", "100000 .. 100003"]),
    (oob_2d, ["dimension 1", "-1 .. 3"]),
    (oob_down, ["0 .. 4", "i in 0 .. 4"]),
])
def test_provably_out_of_range_indices_are_rejected(fn, phrases):
    with pytest.raises(AlloTypeError) as info:
        parse(fn)
    located(info, fn, *phrases)


def maybe_in_range(A: int32[4], I: int32[4], n: index) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        if i < 2:
            B[i] = A[i + 2]  # guarded by a condition on i
        if A[i] > 100:
            B[0] = A[i + 100]  # guarded by data: may never run
        B[(i * i) % 4] = A[I[i]]  # non-affine / data-dependent
        B[3 - i] = A[i]
    for j in range(n):
        B[0] = A[j + 4]  # unknown trip count: may be zero iterations
    for k in range(1, 4):
        for m in range(k, 3):
            B[k + 1] = A[m]  # never runs for k = 3
    return B


def test_indices_that_might_be_in_range_are_accepted():
    parse(maybe_in_range)


# ------------------------------------------------------------- 7. bool is truthiness
def to_bool(A: int32[4], F: float32[4]) -> (bool_[4], bool_[4], bool_[4]):
    B: bool_[4] = 0
    C: bool_[4] = 0
    D: bool_[4] = 0
    for i in range(4):
        t: bool = A[i]
        u: bool = F[i]
        B[i] = t and u
        C[i] = A[i]
        D[i] = bool(F[i])
    return B, C, D


def bool_literals(x: int32) -> bool_[3]:
    B: bool_[3] = 0
    two: bool = 2
    B[0] = two
    B[1] = 0.5
    B[2] = bool_(x)
    return B


def test_conversion_to_bool_is_truthiness():
    A = np.array([2, 0, 4, 1], np.int32)
    F = np.array([0.5, 1.0, np.nan, 0.0], np.float32)
    B, C, D = run(to_bool, A, F)
    assert B.tolist() == [1, 0, 1, 0]
    assert C.tolist() == [1, 0, 1, 1]
    assert D.tolist() == [1, 1, 1, 0]
    assert run(bool_literals, 6).tolist() == [1, 1, 1]
    assert run(bool_literals, 0).tolist() == [1, 1, 0]
    ops_ = all_ops(parse(to_bool).top_func)
    assert "ne" in ops_


# ------------------------------------------------------------- 8. stray internal errors
def e_invert_float(A: int32[4]):
    A[0] = ~1.5  # BAD


def e_negative_shift(A: int32[4]):
    A[0] = A[1] << -1  # BAD


def e_huge_shift(A: int32[4]):
    A[0] = 1 << 10 ** 6  # BAD


def e_huge_pow(A: float32[4]):
    A[0] = 10 ** 10 ** 6  # BAD


def e_huge_loop(A: int32[4]):
    for i in range(10 ** 30):  # BAD
        A[0] = 1


def e_starred(A: int32[4]):
    B = *A,  # BAD


def e_walrus_index(A: int32[4]):
    A[(k := 1)] = 2  # BAD


def e_nested_decorated(A: int32[4]):
    @staticmethod
    def g():  # BAD
        pass


def e_kernel_kwargs(A: int32[4]):
    x = down(A=A)  # BAD


def e_global(A: int32[4]):
    global FILE  # BAD


def e_bad_param_ann(A: 5):  # BAD
    pass


@pytest.mark.parametrize("fn,cls,phrase", [
    (e_invert_float, AlloTypeError, "'~' needs an integer"),
    (e_negative_shift, AlloTypeError, "negative shift count"),
    (e_huge_shift, AlloTypeError, "more than"),
    (e_huge_pow, AlloTypeError, "more than"),
    (e_huge_loop, AlloTypeError, "64-bit"),
    (e_starred, AlloSyntaxError, "star expressions"),
    (e_walrus_index, AlloSyntaxError, ":="),
    (e_nested_decorated, AlloSyntaxError, "nested function"),
    (e_kernel_kwargs, AlloSyntaxError, "keyword arguments"),
    (e_global, AlloSyntaxError, "'global'"),
    (e_bad_param_ann, AlloTypeError, "not an Allo type"),
])
def test_bad_kernels_raise_located_allo_errors(fn, cls, phrase):
    with pytest.raises(cls) as info:
        parse(fn)
    msg = located(info, fn, phrase)
    assert "internal frontend error" not in msg
