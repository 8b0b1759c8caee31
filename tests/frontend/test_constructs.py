"""Every kernel construct: IR shape and typing, and meaning via the reference interpreter."""

import numpy as np

import allo.builtins as allo
from allo.frontend import parse
from allo.ir.nodes import (Alloc, Call, Const, For, If, Load, Op, Store, StreamGet, StreamPut,
                           Var, While, walk_expr, walk_stmts)
from allo.ir.types import (BufferType, Fixed, Int, Stream, StreamType, UInt, bool_, float32,
                           float64, index, int8, int16, int32, uint8)
from allo.backends.interp import Interpreter

TABLE = np.array([3, 1, 4, 1], dtype=np.int32)


def ops(func):
    out = []
    for s in walk_stmts(func.body):
        for e in _exprs(s):
            out += [x for x in walk_expr(e) if isinstance(x, Op)]
    return out


def _exprs(s):
    from allo.ir.nodes import stmt_exprs
    return stmt_exprs(s)


def assert_homogeneous(func):
    arith = {"add", "sub", "mul", "div", "floordiv", "mod", "min", "max", "and", "or", "xor"}
    cmp_ = {"eq", "ne", "lt", "le", "gt", "ge"}
    for o in ops(func):
        if o.op in arith:
            assert all(a.type == o.type for a in o.args), o
        if o.op in cmp_:
            assert o.type == bool_ and o.args[0].type == o.args[1].type, o
        if o.op in ("land", "lor", "lnot"):
            assert all(a.type == bool_ for a in o.args), o


def control(A: int32[8], x: int32) -> int32:
    acc: int32 = 0
    for i in range(1, 8, 2):
        if A[i] > x and not A[i] == 5:
            acc += A[i]
        elif A[i] < 0 or A[i] == 5:
            acc -= 1
        else:
            acc = acc * 2
    n: int32 = 0
    while n < 3:
        n += 1
    m = max(acc, n, 0)
    return min(m, 1000) if x >= 0 else -m


def test_control_flow_ir_and_meaning():
    m = parse(control)
    f = m.top_func
    assert_homogeneous(f)
    kinds = {type(s) for s in walk_stmts(f.body)}
    assert {For, If, While, Store, Alloc} <= kinds
    loop = f.loops()[0]
    assert (loop.lo, loop.hi, loop.step) == (Const(1, index), Const(8, index), 2)
    A = np.array([0, 7, 0, 5, 0, -3, 0, 9], dtype=np.int32)

    def ref(A, x):
        acc = 0
        for i in range(1, 8, 2):
            if A[i] > x and not A[i] == 5:
                acc += A[i]
            elif A[i] < 0 or A[i] == 5:
                acc -= 1
            else:
                acc *= 2
        m_ = max(acc, 3, 0)
        return min(m_, 1000) if x >= 0 else -m_

    for x in (-1, 2, 8):
        assert int(Interpreter(m)(A.copy(), x)) == ref(A, x)


def typing_kernel(a: int8, b: uint8, f: float32, d: float64, i8: int8[4]) -> float32:
    s = a + b            # int8 + uint8 -> common int9 -> +1 bit -> int10
    p = a * a            # int16
    q = a / a            # int / int -> float32 division
    r = f * 2            # int literal next to a float takes the float type
    t = d + 0.1          # float literal next to float64 stays float64
    c = a < 3            # bool
    j = 1 + 2 * 3        # folded at compile time
    return float(s) + q + r


def test_typing_rules():
    f = parse(typing_kernel).top_func
    assert_homogeneous(f)
    decl = {s.name: s.type for s in walk_stmts(f.body) if isinstance(s, Alloc)}
    assert decl["s"] == Int(10)[()]
    assert decl["p"] == int16[()]
    assert decl["q"] == float32[()]
    assert decl["r"] == float32[()]
    assert decl["t"] == float64[()]
    assert decl["c"] == bool_[()]
    assert decl["j"] == int32[()]
    inits = {s.name: s.init for s in walk_stmts(f.body) if isinstance(s, Alloc)}
    assert inits["j"] == Const(7, int32)
    (t_store,) = [s for s in walk_stmts(f.body) if isinstance(s, Store) and s.buffer == "t"]
    assert t_store.value.args[1] == Const(0.1, float64)
    (q_store,) = [s for s in walk_stmts(f.body) if isinstance(s, Store) and s.buffer == "q"]
    assert q_store.value.op == "div" and q_store.value.type == float32
    assert float(Interpreter(parse(typing_kernel))(3, 4, 1.5, 0.0, np.zeros(4, np.int8))) \
        == 7.0 + 1.0 + 3.0


def casts_math(A: float32[4], B: int32[4]) -> float32[4]:
    C: float32[4] = 0.0
    for i in range(4):
        k: int8 = B[i]                 # assignment casts (wraps)
        C[i] = allo.sqrt(A[i]) + float(int(A[i])) + allo.exp(0.0) + abs(k) + allo.floor(1.5)
    return C


def test_casts_and_math():
    m = parse(casts_math)
    assert_homogeneous(m.top_func)
    names = {o.op for o in ops(m.top_func)}
    assert {"sqrt", "exp", "floor", "abs", "cast"} <= names
    A = np.array([4.0, 9.0, 2.25, 0.0], np.float32)
    B = np.array([1, -2, 300, 0], np.int32)
    out = Interpreter(m)(A, B)
    k = B.astype(np.int8)
    ref = np.sqrt(A) + np.trunc(A) + 1.0 + np.abs(k) + 1.0
    np.testing.assert_allclose(out, ref.astype(np.float32), rtol=1e-6)


def bits(x: int32, A: int32[3]):
    y: int32 = 0
    y[3] = 1
    y[8:12] = x
    A[0] = y
    A[1] = x[4:8]
    A[2] = x[0]


def test_bit_operations():
    m = parse(bits)
    o = {op.op: op for op in ops(m.top_func)}
    assert o["get_slice"].type == UInt(4)
    assert o["get_bit"].type == bool_
    assert o["set_slice"].args[3].type == UInt(4)
    assert o["set_bit"].args[2].type == bool_
    A = np.zeros(3, np.int32)
    Interpreter(m)(0x5B, A)
    assert list(A) == [(1 << 3) | (0xB << 8), 0x5, 1]


def with_table(A: int32[4]) -> int32:
    acc: int32 = 0
    W: int32[4] = TABLE
    for i in range(4):
        acc += A[i] * W[i] + TABLE[i]
    return acc


def test_numpy_tables():
    m = parse(with_table)
    allocs = [s for s in m.top_func.body if isinstance(s, Alloc)]
    tables = {a.name: a.init for a in allocs if isinstance(a.init, np.ndarray)}
    assert set(tables) == {"TABLE", "W"}
    np.testing.assert_array_equal(tables["W"], TABLE)
    A = np.array([1, 2, 3, 4], np.int32)
    assert int(Interpreter(m)(A)) == int((A * TABLE).sum() + TABLE.sum())


def producer(A: int8[4], q: Stream[int8, 4]):
    for i in range(4):
        q.put(A[i])


def consumer(q: Stream[int8, 4], B: int8[4]):
    for i in range(4):
        B[i] = q.get() + 1


def pipeline(A: int8[4], B: int8[4]):
    q: Stream[int8, 4]
    fifos: Stream[int8, 2][2, 2]
    producer(A, q)
    consumer(q, B)
    fifos[0, 1].put(A[0])
    B[0] = fifos[0, 1].get()


def test_streams():
    m = parse(pipeline)
    top = m.top_func
    assert top.body[0].type == BufferType(StreamType(int8, 4), ())
    assert top.body[1].type == StreamType(int8, 2)[2, 2]
    assert m.funcs["producer"].params[1].type == StreamType(int8, 4)
    puts = [s for s in walk_stmts(top.body) if isinstance(s, StreamPut)]
    assert puts[0].stream == "fifos" and puts[0].indices == (Const(0, index), Const(1, index))
    gets = [e for s in walk_stmts(top.body) for x in _exprs(s) for e in walk_expr(x)
            if isinstance(e, StreamGet)]
    assert gets[0].type == int8
    A = np.array([1, 2, 3, 4], np.int8)
    B = np.zeros(4, np.int8)
    Interpreter(m)(A, B)
    assert list(B) == [1, 3, 4, 5]


def two_results(A: int32[4]) -> (int32[4], int32):
    B: int32[4] = 0
    s: int32 = 0
    for i in range(4):
        B[i] = A[i] * 2
        s += A[i]
    return B, s


def use_two(A: int32[4]) -> int32:
    B, s = two_results(A)
    t = scalar_inc(s) + 1
    return t + B[3]


def scalar_inc(x: int32) -> int32:
    return x + 1


def test_tuple_returns_and_value_calls():
    m = parse(use_two)
    assert m.funcs["two_results"].results == [int32[4], int32]
    body = m.top_func.body
    calls = [s for s in walk_stmts(body) if isinstance(s, Call)]
    assert calls[0].results == ["B", "s"]
    assert calls[1].callee == "scalar_inc" and calls[1].results == ["scalar_inc_res0"]
    A = np.array([1, 2, 3, 4], np.int32)
    assert int(Interpreter(m)(A)) == (10 + 1 + 1) + 8
    B, s = Interpreter(parse(two_results))(A)
    assert list(B) == [2, 4, 6, 8] and int(s) == 10


def fixed_kernel(A: Fixed(8, 4)[2], B: Fixed(8, 4)[2]) -> Fixed(16, 8)[2]:
    C: Fixed(16, 8)[2] = 0
    for i in range(2):
        C[i] = A[i] * B[i]
    return C


def test_fixed_point():
    m = parse(fixed_kernel)
    (mul,) = [o for o in ops(m.top_func) if o.op == "mul"]
    assert mul.type == Fixed(16, 8)
    out = Interpreter(m)(np.array([1.5, -2.0]), np.array([0.25, 3.0]))
    np.testing.assert_allclose(out, [0.375, -6.0])
