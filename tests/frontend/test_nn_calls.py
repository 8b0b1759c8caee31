"""Whole-array NN operators (allo.relu/softmax/gelu/linear/conv2d) lower to calls of the
allo.library.nn kernels: results against numpy, composed schedules verify, misuse errors."""

import numpy as np
import pytest

import allo
from allo.errors import AlloTypeError
from allo.ir.nodes import Call, For
from allo.ir.types import float32, int8, int32
from allo.library import nn

M, K, N = 4, 6, 5


def _rand(*shape, dtype=np.float32, seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * 3).astype(dtype)


def _run_both(s, *args):
    """The design's result on the reference interpreter and on LLVM."""
    return s.build("interp")(*args), s.build()(*args)


def _callees(s):
    return sorted({c.callee for f in s.ir.funcs.values() for c in _walk(f.body)
                   if isinstance(c, Call)})


def _walk(stmts):
    for st in stmts:
        yield st
        for attr in ("body", "then_body", "else_body"):
            yield from _walk(getattr(st, attr, None) or [])


def test_linear_then_relu_call_library_kernels_and_match_numpy():
    def k(X: float32[M, K], W: float32[N, K], b: float32[N]) -> float32[M, N]:
        Y = allo.linear(X, W, b)
        return allo.relu(Y)

    X, W, b = _rand(M, K), _rand(N, K, seed=1), _rand(N, seed=2)
    want = np.maximum(X @ W.T + b, 0)
    s = allo.customize(k)
    assert len(_callees(s)) == 2, _callees(s)  # one call per operator, no second definition
    assert not any(isinstance(st, For) for st in s.ir.funcs[s.ir.top].body)
    for out in _run_both(s, X, W, b):
        np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(k(X, W, b), want, rtol=1e-5, atol=1e-5)  # run as Python


def test_softmax_of_rank_2_and_3_matches_numpy():
    def k(A: float32[2, 3, 5], B: float32[3, 5]) -> float32[2, 3, 5]:
        C = allo.softmax(A)
        D = allo.softmax(B)
        return C + D

    A, B = _rand(2, 3, 5), _rand(3, 5, seed=1)

    def sm(x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    want = sm(A) + sm(B)
    for out in _run_both(allo.customize(k), A, B):
        np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(k(A, B), want, rtol=1e-5, atol=1e-6)


def test_gelu_relu3d_conv2d_and_int_linear_without_bias():
    def k(X: float32[2, 3, 4]) -> float32[2, 3, 4]:
        return allo.relu(allo.gelu(X))

    X = _rand(2, 3, 4)
    g = 0.5 * X * (1 + np.tanh(0.7978845608028654 * (X + 0.044715 * X ** 3)))
    for out in _run_both(allo.customize(k), X):
        np.testing.assert_allclose(out, np.maximum(g, 0), rtol=1e-5, atol=1e-6)

    def c(A: int32[1, 2, 6, 6], B: int32[3, 2, 3, 3]) -> int32[1, 3, 4, 4]:
        return allo.conv2d(A, B)

    A, B = _rand(1, 2, 6, 6, dtype=np.int32), _rand(3, 2, 3, 3, dtype=np.int32, seed=1)
    want = np.zeros((1, 3, 4, 4), np.int32)
    for f, y, x in np.ndindex(3, 4, 4):
        want[0, f, y, x] = np.sum(A[0, :, y:y + 3, x:x + 3] * B[f])
    for out in _run_both(allo.customize(c), A, B):
        np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(c(A, B), want)

    def lin(X: int32[5, 6], W: int32[3, 6]) -> int32[5, 3]:
        return allo.linear(X, W)

    X, W = _rand(5, 6, dtype=np.int32), _rand(3, 6, dtype=np.int32, seed=1)
    for out in _run_both(allo.customize(lin), X, W):
        np.testing.assert_array_equal(out, X @ W.T)


def test_linear_over_rank_3_input_views_rows():
    def k(X: float32[2, 3, K], W: float32[N, K], b: float32[N]) -> float32[2, 3, N]:
        return allo.linear(X, W, b)

    X, W, b = _rand(2, 3, K), _rand(N, K, seed=1), _rand(N, seed=2)
    for out in _run_both(allo.customize(k), X, W, b):
        np.testing.assert_allclose(out, X @ W.T + b, rtol=1e-5, atol=1e-5)


def test_composed_library_schedules_verify():
    def k(X: float32[M, K], W: float32[N, K], b: float32[N]) -> float32[M, N]:
        return allo.softmax(allo.relu(allo.linear(X, W, b)))

    s = allo.customize(k)
    s.compose(nn.schedule_linear2d(allo.customize(nn.linear2d,
                                                  instantiate=[float32, float32, float32, M, N, K])))
    s.compose(nn.schedule_relu2d(allo.customize(nn.relu2d, instantiate=[float32, M, N])))
    s.compose(nn.schedule_softmax(allo.customize(nn.softmax_rows, instantiate=[float32, M, N])))
    assert s.steps, "the composed schedules applied nothing"
    v = s.verify()
    assert v, v
    X, W, b = _rand(M, K), _rand(N, K, seed=1), _rand(N, seed=2)
    np.testing.assert_allclose(s.build()(X, W, b), k(X, W, b), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("src, needle", [
    ("def k(A: float32[8]) -> float32[8]:\n    return allo.relu(A[0])\n", "not an array"),
    ("def k(A: int32[2, 4]) -> int32[2, 4]:\n    return allo.softmax(A)\n", "floating-point"),
    ("def k(A: float32[2, 4], W: float32[3, 5]) -> float32[2, 3]:\n"
     "    return allo.linear(A, W)\n", "does not fit"),
    ("def k(A: float32[2, 4], W: float32[3, 4], b: float32[4]) -> float32[2, 3]:\n"
     "    return allo.linear(A, W, b)\n", "bias"),
    ("def k(A: int32[1, 2, 5, 5], B: int32[1, 3, 3, 3]) -> int32[1, 1, 3, 3]:\n"
     "    return allo.conv2d(A, B)\n", "does not fit"),
    ("def k(A: int32[2, 5, 5], B: int32[1, 2, 3, 3]) -> int32[1, 1, 3, 3]:\n"
     "    return allo.conv2d(A, B)\n", "4-D"),
    ("def k(A: float32[2, 4]) -> float32[2, 4]:\n    return allo.relu(A, A)\n", "takes 1"),
])
def test_misuse_is_a_located_error(tmp_path, src, needle):
    path = tmp_path / "kern.py"
    path.write_text("import allo\nfrom allo.ir.types import float32, int32\n" + src)
    ns = {}
    exec(compile(path.read_text(), str(path), "exec"), ns)
    with pytest.raises(AlloTypeError) as e:
        allo.customize(ns["k"])
    text = str(e.value)
    assert needle in text, text
    assert "kern.py:" in text and "^" in text and "hint" in text, text


def test_int8_relu_keeps_its_type():
    def k(A: int8[3, 4]) -> int8[3, 4]:
        return allo.relu(A)

    A = _rand(3, 4, dtype=np.int8)
    for out in _run_both(allo.customize(k), A):
        np.testing.assert_array_equal(out, np.maximum(A, 0))


def test_maxpool_and_sumpool_match_numpy_including_int32_extremes():
    def k(A: int32[1, 2, 6, 6], B: int32[3, 3]) -> int32[1, 2, 4, 4]:
        return allo.maxpool(A, B) + allo.sumpool(A, B)

    A = np.random.default_rng(3).integers(-100, 100, size=(1, 2, 6, 6)).astype(np.int32)
    B = np.zeros((3, 3), np.int32)  # only the window's shape matters
    mx = np.zeros((1, 2, 4, 4), np.int32)
    sm = np.zeros((1, 2, 4, 4), np.int32)
    for c, y, x in np.ndindex(2, 4, 4):
        mx[0, c, y, x] = A[0, c, y:y + 3, x:x + 3].max()
        sm[0, c, y, x] = A[0, c, y:y + 3, x:x + 3].sum()
    for out in _run_both(allo.customize(k), A, B):
        np.testing.assert_array_equal(out, mx + sm)
    np.testing.assert_array_equal(k(A, B), mx + sm)

    def only_max(A: int32[1, 1, 4, 4], B: int32[2, 2]) -> int32[1, 1, 3, 3]:
        return allo.maxpool(A, B)

    lowest = np.full((1, 1, 4, 4), np.iinfo(np.int32).min, np.int32)
    for out in _run_both(allo.customize(only_max), lowest, np.zeros((2, 2), np.int32)):
        np.testing.assert_array_equal(out, lowest[:, :, :3, :3])


def test_pool_misuse_is_a_located_error():
    def k(A: int32[1, 1, 5, 5], B: int32[2, 3]) -> int32[1, 1, 4, 3]:
        return allo.maxpool(A, B)

    with pytest.raises(AlloTypeError, match="window"):
        allo.customize(k)


def test_layernorm_of_rank_3_then_gelu_matches_numpy():
    def k(X: float32[2, 3, 8], g: float32[8], b: float32[8]) -> float32[2, 3, 8]:
        return allo.gelu(allo.layernorm(X, g, b))

    X, g, b = _rand(2, 3, 8), _rand(8, seed=1), _rand(8, seed=2)
    mean, var = X.mean(-1, keepdims=True), X.var(-1, keepdims=True)
    y = (X - mean) / np.sqrt(var + 1e-5) * g + b
    want = 0.5 * y * (1 + np.tanh(0.7978845608028654 * (y + 0.044715 * y ** 3)))
    for out in _run_both(allo.customize(k), X, g, b):
        np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(k(X, g, b), want, rtol=1e-4, atol=1e-5)

    def bad(X: float32[2, 8], g: float32[7], b: float32[8]) -> float32[2, 8]:
        return allo.layernorm(X, g, b)

    with pytest.raises(AlloTypeError, match="gamma"):
        allo.customize(bad)


def test_relu_of_rank_1_and_5_views_rows():
    def k(A: float32[6], B: float32[2, 1, 2, 1, 3]) -> float32[2, 1, 2, 1, 3]:
        C = allo.relu(A)
        return allo.relu(B) + C[0]

    A, B = _rand(6), _rand(2, 1, 2, 1, 3, seed=1)
    want = np.maximum(B, 0) + np.maximum(A, 0)[0]
    for out in _run_both(allo.customize(k), A, B):
        np.testing.assert_allclose(out, want)
