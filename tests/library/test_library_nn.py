"""Every library kernel at two sizes and two element types: equal to a numpy reference on
the reference interpreter and on LLVM, and its default schedule proved equivalent."""

from __future__ import annotations

import math

import numpy as np
import pytest

import allo
from allo.ir.types import float32, float64, int8, int32
from allo.library import KERNEL2SCHEDULE, nn

RNG = np.random.default_rng(7)


def rand(shape, dtype):
    if np.issubdtype(dtype, np.integer):
        return RNG.integers(-8, 8, size=shape).astype(dtype)
    return RNG.standard_normal(shape).astype(dtype)


def np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def np_layer_norm(x, g, b):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5) * g + b


def np_conv2d(x, w, bias, stride, pad):
    B, C, H, W = x.shape
    co, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    oh = (H + 2 * pad[0] - kh) // stride[0] + 1
    ow = (W + 2 * pad[1] - kw) // stride[1] + 1
    out = np.zeros((B, co, oh, ow), dtype=np.float64)
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw]
            out[:, :, i, j] = np.einsum("bchw,ochw->bo", win, w)
    return out + bias[None, :, None, None]


def np_pool(x, k, s, pad, kind):
    B, C, H, W = x.shape
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=fill)
    oh, ow = (H + 2 * pad - k) // s + 1, (W + 2 * pad - k) // s + 1
    out = np.zeros((B, C, oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * s:i * s + k, j * s:j * s + k]
            out[:, :, i, j] = (win.max(axis=(2, 3)) if kind == "max" else win.sum(axis=(2, 3))
                               / (k * k if kind == "avg" else 1))
    return out


def np_sdp(Q, K, V, H, scale, causal):
    L, D = Q.shape
    dh = D // H
    out = np.zeros_like(Q, dtype=np.float64)
    for h in range(H):
        sl = slice(h * dh, (h + 1) * dh)
        s = Q[:, sl].astype(np.float64) @ K[:, sl].T * scale
        if causal:
            s = np.where(np.tril(np.ones((L, L), bool)), s, -np.inf)
        out[:, sl] = np_softmax(s) @ V[:, sl]
    return out


def np_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def np_gelu_erf(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def bn_args(shape_c, dt):
    gamma, beta, mean = rand(shape_c, dt), rand(shape_c, dt), rand(shape_c, dt)
    var = (np.abs(rand(shape_c, dt)) + 0.5).astype(dt)
    return gamma, beta, dt(1e-5), mean, var


def np_bn(x, gamma, beta, eps, mean, var, axis):
    shape = [1] * x.ndim
    shape[axis] = -1
    r = lambda v: v.reshape(shape)  # noqa: E731
    return r(gamma) * (x - r(mean)) / np.sqrt(r(var) + eps) + r(beta)


def case_linear2d(ty, dt, n):
    M, N, K = 2 * n, 3 * n, 2 * n
    if dt == np.int8:
        X, W, b = rand((M, K), np.int8), rand((N, K), np.int8), rand((N,), np.int32)
        return [int8, int8, int32, M, N, K], (X, W, b), X.astype(np.int32) @ W.T.astype(np.int32) + b
    X, W, b = rand((M, K), dt), rand((N, K), dt), rand((N,), dt)
    return [ty, ty, ty, M, N, K], (X, W, b), X @ W.T + b


def case_linear3d(ty, dt, n):
    B, L, D, M = 2, n, 2 * n, n + 1
    if dt == np.int8:
        X, W, b = rand((B, L, D), np.int8), rand((M, D), np.int8), rand((M,), np.int32)
        return [int8, int8, int32, B, L, D, M], (X, W, b), X.astype(np.int32) @ W.T.astype(np.int32) + b
    X, W, b = rand((B, L, D), dt), rand((M, D), dt), rand((M,), dt)
    return [ty, ty, ty, B, L, D, M], (X, W, b), X @ W.T + b


def case_relu(rank):
    def case(ty, dt, n):
        shape = (2, n, n + 1, 3)[:rank] if rank < 4 else (2, 2, n, n + 1)
        X = rand(shape, dt)
        return [ty, *shape], (X,), np.maximum(X, 0)
    return case


def case_softmax(ty, dt, n):
    X = rand((n, n), dt) * 4
    return [ty, n], (X,), np_softmax(X.astype(np.float64))


def case_softmax_rows(ty, dt, n):
    X = rand((n, 2 * n + 1), dt)
    return [ty, n, 2 * n + 1], (X,), np_softmax(X.astype(np.float64))


def case_log_softmax(ty, dt, n):
    X = rand((n, n + 3), dt)
    return [ty, n, n + 3], (X,), np.log(np_softmax(X.astype(np.float64)))


def case_layer_norm(ty, dt, n):
    X, g, b = rand((n, 2 * n), dt), rand((2 * n,), dt), rand((2 * n,), dt)
    return [ty, n, 2 * n], (X, g, b), np_layer_norm(X.astype(np.float64), g, b)


def case_gelu(ty, dt, n):
    X = rand((n, n + 2), dt)
    return [ty, n, n + 2], (X,), np_gelu_tanh(X.astype(np.float64))


def case_gelu_erf(ty, dt, n):
    X = rand((n, n + 2), dt)
    return [ty, n, n + 2], (X,), np_gelu_erf(X.astype(np.float64))


def case_residual_add(ty, dt, n):
    A, B = rand((n, n + 1), dt), rand((n, n + 1), dt)
    return [ty, n, n + 1], (A, B), A + B


def case_sdp(ty, dt, n):
    H, L, D = 2, n, 2 * n
    Q, K, V = rand((L, D), dt), rand((L, D), dt), rand((L, D), dt)
    return [ty, H, L, D, 2, 2], (Q, K, V), np_sdp(Q, K, V, H, 1.0, False)


def case_causal_attention(ty, dt, n):
    G, L, E = 2, n, n + 2
    Q, K, V = rand((G, L, E), dt), rand((G, L, E), dt), rand((G, L, E), dt)
    ref = np.stack([np_sdp(Q[g], K[g], V[g], 1, 1 / math.sqrt(E), True) for g in range(G)])
    return [ty, G, L, E, 1], (Q, K, V), ref


def case_bmm(ty, dt, n):
    A, B = rand((2, n, n + 1), dt), rand((2, n + 1, 3), dt)
    return [ty, 2, n, n + 1, 3], (A, B), A @ B


def case_rope(ty, dt, n):
    H, L, D = 2, n, 4 * n
    X = rand((L, D), dt)
    ang = rand((L, D // H // 2), dt)
    cos, sin = np.cos(ang).astype(dt), np.sin(ang).astype(dt)
    ref = X.astype(np.float64).copy()
    dh, half = D // H, D // H // 2
    for h in range(H):
        x1, x2 = X[:, h * dh:h * dh + half], X[:, h * dh + half:(h + 1) * dh]
        ref[:, h * dh:h * dh + half] = cos * x1 - sin * x2
        ref[:, h * dh + half:(h + 1) * dh] = sin * x1 + cos * x2
    return [ty, H, L, D], (X, cos, sin), ref


def case_modulate(ty, dt, n):
    X, sc, sh = rand((n, n + 1), dt), rand((n + 1,), dt), rand((n + 1,), dt)
    return [ty, n, n + 1], (X, sc, sh), X * (1 + sc) + sh


def case_conv2d(ty, dt, n):
    B, Ci, Co, H, W, K, S, P = 1, 2, 3, n + 2, n + 3, 3, (1 if n < 4 else 2), 1
    X, w, b = rand((B, Ci, H, W), dt), rand((Co, Ci, K, K), dt), rand((Co,), dt)
    Oh, Ow = (H + 2 * P - K) // S + 1, (W + 2 * P - K) // S + 1
    return ([ty, B, Ci, Co, H, W, K, K, Oh, Ow, S, S, P, P], (X, w, b),
            np_conv2d(X.astype(np.float64), w, b, (S, S), (P, P)))


def case_pool(kind):
    def case(ty, dt, n):
        B, C, H, W, K, S, P = 1, 2, n + 2, n + 2, 2, 2, (0 if n < 4 else 1)
        X = rand((B, C, H, W), dt)
        Oh, Ow = (H + 2 * P - K) // S + 1, (W + 2 * P - K) // S + 1
        return [ty, B, C, H, W, K, Oh, Ow, S, P], (X,), np_pool(X.astype(np.float64), K, S, P, kind)
    return case


def case_bn2d(ty, dt, n):
    X = rand((2, 3, n, n + 1), dt)
    args = bn_args((3,), dt)
    return [ty, 2, 3, n, n + 1], (X, *args), np_bn(X, *args, axis=1)


def case_bn1d_2d(ty, dt, n):
    X = rand((n, 3), dt)
    args = bn_args((3,), dt)
    return [ty, n, 3], (X, *args), np_bn(X, *args, axis=1)


def case_bn1d_3d(ty, dt, n):
    X = rand((2, 3, n), dt)
    args = bn_args((3,), dt)
    return [ty, 2, 3, n], (X, *args), np_bn(X, *args, axis=1)


def case_repeat(ty, dt, n):
    X = rand((2, n, 3), dt)
    return [ty, 2, n, 3, 3], (X,), np.concatenate([X] * 3, axis=0)


def case_concat(ty, dt, n):
    A, B = rand((2, n, 3), dt), rand((2, n + 1, 3), dt)
    return [ty, 2, n, n + 1, 3], (A, B), np.concatenate([A, B], axis=1)


def case_transpose(ty, dt, n):
    X = rand((n, n + 3), dt)
    return [ty, n, n + 3], (X,), X.T


def case_embedding(ty, dt, n):
    V, D, L = 3 * n, n + 1, n
    ids = RNG.integers(0, V, size=(L,)).astype(np.int32)
    table = rand((V, D), dt)
    return [int32, ty, L, V, D], (ids, table), table[ids]


FLOATS = [(float32, np.float32), (float64, np.float64)]
FLOAT_INT = [(float32, np.float32), (int8, np.int8)]
INTS = [(float32, np.float32), (int32, np.int32)]
CASES = {
    "linear2d": (nn.linear2d, case_linear2d, FLOAT_INT),
    "linear3d": (nn.linear3d, case_linear3d, FLOAT_INT),
    "relu2d": (nn.relu2d, case_relu(2), INTS),
    "relu3d": (nn.relu3d, case_relu(3), INTS),
    "relu4d": (nn.relu4d, case_relu(4), INTS),
    "softmax": (nn.softmax, case_softmax, FLOATS),
    "softmax_rows": (nn.softmax_rows, case_softmax_rows, FLOATS),
    "log_softmax": (nn.log_softmax, case_log_softmax, FLOATS),
    "layer_norm": (nn.layer_norm, case_layer_norm, FLOATS),
    "GeLU": (nn.GeLU, case_gelu, FLOATS),
    "gelu_erf": (nn.gelu_erf, case_gelu_erf, FLOATS),
    "residual_add": (nn.residual_add, case_residual_add, INTS),
    "scaled_dot_product_attention": (nn.scaled_dot_product_attention, case_sdp, FLOATS),
    "causal_attention": (nn.causal_attention, case_causal_attention, FLOATS),
    "bmm": (nn.bmm, case_bmm, INTS),
    "RoPE": (nn.RoPE, case_rope, FLOATS),
    "modulate_fused": (nn.modulate_fused, case_modulate, FLOATS),
    "conv2d": (nn.conv2d, case_conv2d, FLOATS),
    "maxpool2d": (nn.maxpool2d, case_pool("max"), FLOATS),
    "avgpool2d": (nn.avgpool2d, case_pool("avg"), FLOATS),
    "sumpool2d": (nn.sumpool2d, case_pool("sum"), INTS),
    "batchnorm2d": (nn.batchnorm2d, case_bn2d, FLOATS),
    "batchnorm1d_2d": (nn.batchnorm1d_2d, case_bn1d_2d, FLOATS),
    "batchnorm1d_3d": (nn.batchnorm1d_3d, case_bn1d_3d, FLOATS),
    "repeat_batch3d": (nn.repeat_batch3d, case_repeat, INTS),
    "concat": (nn.concat, case_concat, INTS),
    "transpose": (nn.transpose, case_transpose, INTS),
    "embedding": (nn.embedding, case_embedding, FLOATS),
}
PARAMS = [pytest.param(name, ty, dt, n, id=f"{name}-{ty}-{n}")
          for name, (_, _, types) in CASES.items() for ty, dt in types for n in (2, 4)]


def tolerance(dt):
    return dict(rtol=1e-4, atol=1e-5) if dt in (np.float32,) else dict(rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name, ty, dt, n", PARAMS)
def test_kernel_matches_numpy_and_schedule_verifies(name, ty, dt, n):
    kernel, case, _ = CASES[name]
    inst, args, ref = case(ty, dt, n)
    s = allo.customize(kernel, instantiate=inst)
    sched = KERNEL2SCHEDULE[kernel](allo.customize(kernel, instantiate=inst))
    verdict = sched.verify()
    assert verdict, str(verdict)
    for target, sch in (("interp", s), ("llvm", sched)):
        mod = sch.build(target=target)
        out = mod(*[a.copy() for a in args])
        if np.issubdtype(np.asarray(ref).dtype, np.integer) and np.issubdtype(dt, np.integer):
            np.testing.assert_array_equal(out, ref, err_msg=target)
        else:
            np.testing.assert_allclose(out, ref, err_msg=target, **tolerance(dt))


def test_every_public_kernel_has_a_verified_default_schedule_case():
    """The table above covers every kernel that KERNEL2SCHEDULE knows, except the systolic
    templates (tested in test_library_systolic.py and test_packed_systolic.py)."""
    covered = {CASES[name][0] for name in CASES}
    from allo.library import packed_systolic, systolic, systolic_tile
    assert set(KERNEL2SCHEDULE) - covered == {systolic, systolic_tile, packed_systolic}


def test_compose_a_library_kernel_by_function_applies_its_default_schedule():
    """``s.compose(nn.linear2d, instantiate=[...])`` composes the default schedule."""
    from allo.ir.types import float32 as f32

    def two_layers(X: f32[2, 4], W0: f32[3, 4], b0: f32[3], W1: f32[2, 3], b1: f32[2]) -> f32[2, 2]:
        h = nn.linear2d[f32, f32, f32, 2, 3, 4](X, W0, b0)
        return nn.linear2d[f32, f32, f32, 2, 2, 3](h, W1, b1)

    s = allo.customize(two_layers)
    s.compose(nn.linear2d, instantiate=[f32, f32, f32, 2, 3, 4])
    s.compose(nn.linear2d, instantiate=[f32, f32, f32, 2, 2, 3])
    applied = [str(c) for c in s.history]
    assert sum("pipeline" in c for c in applied) >= 4 and any("reorder" in c for c in applied)
    assert s.verify()
    X, W0, b0, W1, b1 = (rand(sh, np.float32) for sh in ((2, 4), (3, 4), (3,), (2, 3), (2,)))
    np.testing.assert_allclose(s.build()(X, W0, b0, W1, b1), (X @ W0.T + b0) @ W1.T + b1, rtol=1e-5)


def test_compose_by_instance_number():
    """``compose(kernel, id="1", ...)`` targets the template's instance numbered 1."""
    from allo.ir.types import float32 as f32

    def two_layers(X: f32[2, 4], W0: f32[4, 4], b0: f32[4], W1: f32[4, 4], b1: f32[4]) -> f32[2, 4]:
        h = nn.linear2d[f32, f32, f32, 2, 4, 4](X, W0, b0)
        return nn.relu2d[f32, 2, 4](nn.linear2d[f32, f32, f32, 2, 4, 4, "second"](h, W1, b1))

    s = allo.customize(two_layers)
    s.compose(nn.relu2d, id="0", instantiate=[f32, 2, 4])
    assert any("relu2d_0" in str(c) for c in s.history)
    s.compose(nn.linear2d, id="second", instantiate=[f32, f32, f32, 2, 4, 4])
    assert any("second" in str(c) for c in s.history) and not any("linear2d_0" in str(c) for c in s.history)
    assert s.verify()
