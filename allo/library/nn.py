"""Neural-network operators as Allo kernel templates, each with a default HLS schedule.

This is the one definition of each NN operator in the project: ``from_pytorch`` and the
whole-array calls (``allo.softmax(X)``, ...) lower to calls of these kernels. Names and
signatures follow public Allo's ``allo.library.nn`` (``linear2d[TyX, TyW, TyO, M, N, K]``,
``layer_norm[Ty, L, D]``, ...); the bodies and schedules are this project's. Each
``schedule_<name>(s)`` takes the schedule of an instance and applies checked primitives
(reorder, buffers, pipelining, partitioning) that ``s.verify()`` proves exact: no schedule
here reorders a floating-point reduction.

The transformer operators (attention, embedding, GELU, ...) are in
:mod:`allo.library.transformer`; both are re-exported from here.

Example::

    >>> import allo
    >>> from allo.ir.types import float32
    >>> from allo.library.nn import linear2d, schedule_linear2d
    >>> s = schedule_linear2d(allo.customize(linear2d, instantiate=[float32, float32, float32, 4, 8, 6]))
    >>> bool(s.verify())
    True
"""

from __future__ import annotations

from typing import Any

from ..builtins import exp, grid, log, sqrt, template


# ----------------------------------------------------------------------------- dense

@template("TyX", "TyW", "TyO", "M", "N", "K")
def linear2d(X: "TyX[M, K]", W: "TyW[N, K]", b: "TyO[N]") -> "TyO[M, N]":
    """``X @ W.T + b`` (``torch.nn.Linear``: W is ``[out, in]``); products accumulate in
    ``TyO`` (int8 x int8 into int32 for a quantized layer)."""
    Z: TyO[M, N] = 0
    for i, j, k in grid(M, N, K, name="mac"):
        Z[i, j] += X[i, k] * W[j, k]
    for i, j in grid(M, N, name="bias"):
        Z[i, j] = Z[i, j] + b[j]
    return Z


def schedule_linear2d(s: Any) -> Any:
    """Output-stationary row: ``(i, k, j)`` order with a row buffer of Z at ``i``, ``j``
    pipelined (each Z element still sums k in order, so the schedule is exact)."""
    s.reorder("mac:k", "mac:j")
    s.buffer_at(s.Z, axis="mac:i")
    s.pipeline("mac:j")
    s.pipeline("bias:j")
    return s


@template("TyX", "TyW", "TyO", "B", "L", "D", "M")
def linear3d(X: "TyX[B, L, D]", W: "TyW[M, D]", bias: "TyO[M]") -> "TyO[B, L, M]":
    """``X @ W.T + bias`` over a batch of sequences."""
    Z: TyO[B, L, M] = 0
    for n, i, j, k in grid(B, L, M, D, name="mac"):
        Z[n, i, j] += X[n, i, k] * W[j, k]
    for n, i, j in grid(B, L, M, name="bias"):
        Z[n, i, j] = Z[n, i, j] + bias[j]
    return Z


def schedule_linear3d(s: Any) -> Any:
    """As :func:`schedule_linear2d`, per sequence."""
    s.reorder("mac:k", "mac:j")
    s.buffer_at(s.Z, axis="mac:i")
    s.pipeline("mac:j")
    s.pipeline("bias:j")
    return s


# ----------------------------------------------------------------------------- activations

@template("Ty", "H", "W")
def relu2d(X: "Ty[H, W]") -> "Ty[H, W]":
    """``max(X, 0)`` elementwise."""
    Z: Ty[H, W]
    for h, w in grid(H, W, name="relu"):
        Z[h, w] = max(X[h, w], 0)
    return Z


def schedule_relu2d(s: Any) -> Any:
    """Inner loop pipelined."""
    s.pipeline("relu:w")
    return s


@template("Ty", "N", "L", "C")
def relu3d(X: "Ty[N, L, C]") -> "Ty[N, L, C]":
    """``max(X, 0)`` elementwise."""
    Z: Ty[N, L, C]
    for n, l, c in grid(N, L, C, name="relu"):
        Z[n, l, c] = max(X[n, l, c], 0)
    return Z


def schedule_relu3d(s: Any) -> Any:
    """Inner loop pipelined."""
    s.pipeline("relu:c")
    return s


@template("Ty", "N", "C", "H", "W")
def relu4d(X: "Ty[N, C, H, W]") -> "Ty[N, C, H, W]":
    """``max(X, 0)`` elementwise."""
    Z: Ty[N, C, H, W]
    for n, c, h, w in grid(N, C, H, W, name="relu"):
        Z[n, c, h, w] = max(X[n, c, h, w], 0)
    return Z


def schedule_relu4d(s: Any) -> Any:
    """Inner loop pipelined."""
    s.pipeline("relu:w")
    return s


# ----------------------------------------------------------------------------- softmax

@template("Ty", "M", "N")
def softmax_rows(X: "Ty[M, N]") -> "Ty[M, N]":
    """Numerically stable softmax of each row of an ``M x N`` matrix."""
    Z: Ty[M, N]
    row_max: Ty[M]
    row_sum: Ty[M] = 0.0
    for i in range(M, name="init"):
        row_max[i] = X[i, 0]
    for i, j in grid(M, N, name="row_max"):
        row_max[i] = max(row_max[i], X[i, j])
    for i, j in grid(M, N, name="exp_sum"):
        Z[i, j] = exp(X[i, j] - row_max[i])
        row_sum[i] += Z[i, j]
    for i, j in grid(M, N, name="update"):
        Z[i, j] = Z[i, j] / row_sum[i]
    return Z


@template("Ty", "L")
def softmax(X: "Ty[L, L]") -> "Ty[L, L]":
    """Row softmax of a square ``L x L`` score matrix (public Allo's signature; see
    :func:`softmax_rows` for any ``M x N``)."""
    Z: Ty[L, L]
    row_max: Ty[L]
    row_sum: Ty[L] = 0.0
    for i in range(L, name="init"):
        row_max[i] = X[i, 0]
    for i, j in grid(L, L, name="row_max"):
        row_max[i] = max(row_max[i], X[i, j])
    for i, j in grid(L, L, name="exp_sum"):
        Z[i, j] = exp(X[i, j] - row_max[i])
        row_sum[i] += Z[i, j]
    for i, j in grid(L, L, name="update"):
        Z[i, j] = Z[i, j] / row_sum[i]
    return Z


def schedule_softmax(s: Any) -> Any:
    """The three row passes pipelined (the sums stay in order)."""
    s.pipeline("row_max:j")
    s.pipeline("exp_sum:j")
    s.pipeline("update:j")
    return s


schedule_softmax_rows = schedule_softmax


@template("Ty", "B", "C")
def log_softmax(X: "Ty[B, C]") -> "Ty[B, C]":
    """``X - max - log(sum(exp(X - max)))`` per row."""
    Z: Ty[B, C]
    row_max: Ty[B]
    row_sum: Ty[B] = 0.0
    for i in range(B, name="init"):
        row_max[i] = X[i, 0]
    for i, j in grid(B, C, name="row_max"):
        row_max[i] = max(row_max[i], X[i, j])
    for i, j in grid(B, C, name="exp_sum"):
        row_sum[i] += exp(X[i, j] - row_max[i])
    for i, j in grid(B, C, name="update"):
        Z[i, j] = X[i, j] - row_max[i] - log(row_sum[i])
    return Z


def schedule_log_softmax(s: Any) -> Any:
    """The row passes pipelined."""
    return schedule_softmax(s)


# ----------------------------------------------------------------------------- normalization

@template("Ty", "L", "D")
def layer_norm(X: "Ty[L, D]", gamma: "Ty[D]", beta: "Ty[D]") -> "Ty[L, D]":
    """``torch.nn.LayerNorm(D)`` (eps 1e-5, biased variance) on each row, two-pass."""
    Z: Ty[L, D]
    mean: Ty[L] = 0.0
    var: Ty[L] = 0.0
    for i, j in grid(L, D, name="sum"):
        mean[i] += X[i, j]
    for i in range(L, name="mean"):
        mean[i] = mean[i] / D
    for i, j in grid(L, D, name="var"):
        var[i] += (X[i, j] - mean[i]) * (X[i, j] - mean[i])
    for i in range(L, name="rstd"):
        var[i] = 1.0 / sqrt(var[i] / D + 0.00001)
    for i, j in grid(L, D, name="norm"):
        Z[i, j] = (X[i, j] - mean[i]) * var[i] * gamma[j] + beta[j]
    return Z


def schedule_layernorm(s: Any) -> Any:
    """Each pass over a row pipelined; gamma and beta banked in pairs."""
    s.pipeline("sum:j")
    s.pipeline("var:j")
    s.pipeline("norm:j")
    return s


schedule_layer_norm = schedule_layernorm


@template("Ty", "B", "C", "H", "W")
def batchnorm2d(X: "Ty[B, C, H, W]", gamma: "Ty[C]", beta: "Ty[C]", eps: "Ty",
                mean: "Ty[C]", var: "Ty[C]") -> "Ty[B, C, H, W]":
    """Inference batch norm (``torch.nn.BatchNorm2d`` in eval mode) with running stats."""
    Z: Ty[B, C, H, W]
    for b, c, h, w in grid(B, C, H, W, name="bn"):
        Z[b, c, h, w] = gamma[c] * (X[b, c, h, w] - mean[c]) / sqrt(var[c] + eps) + beta[c]
    return Z


def schedule_batchnorm2d(s: Any) -> Any:
    """Inner loop pipelined."""
    s.pipeline("bn:w")
    return s


@template("Ty", "B", "C")
def batchnorm1d_2d(X: "Ty[B, C]", gamma: "Ty[C]", beta: "Ty[C]", eps: "Ty",
                   mean: "Ty[C]", var: "Ty[C]") -> "Ty[B, C]":
    """Inference ``torch.nn.BatchNorm1d`` on ``[B, C]``."""
    Z: Ty[B, C]
    for b, c in grid(B, C, name="bn"):
        Z[b, c] = gamma[c] * (X[b, c] - mean[c]) / sqrt(var[c] + eps) + beta[c]
    return Z


def schedule_batchnorm1d_2d(s: Any) -> Any:
    """Inner loop pipelined."""
    s.pipeline("bn:c")
    return s


@template("Ty", "B", "C", "L")
def batchnorm1d_3d(X: "Ty[B, C, L]", gamma: "Ty[C]", beta: "Ty[C]", eps: "Ty",
                   mean: "Ty[C]", var: "Ty[C]") -> "Ty[B, C, L]":
    """Inference ``torch.nn.BatchNorm1d`` on ``[B, C, L]``."""
    Z: Ty[B, C, L]
    for b, c, l in grid(B, C, L, name="bn"):
        Z[b, c, l] = gamma[c] * (X[b, c, l] - mean[c]) / sqrt(var[c] + eps) + beta[c]
    return Z


def schedule_batchnorm1d_3d(s: Any) -> Any:
    """Inner loop pipelined."""
    s.pipeline("bn:l")
    return s


# ----------------------------------------------------------------------------- convolution, pooling

@template("Ty", "B", "Cin", "Cout", "H", "W", "Kh", "Kw", "Oh", "Ow", "Sh", "Sw", "Pd0", "Pd1")
def conv2d(inp: "Ty[B, Cin, H, W]", kernel: "Ty[Cout, Cin, Kh, Kw]",
           bias: "Ty[Cout]") -> "Ty[B, Cout, Oh, Ow]":
    """``torch.nn.Conv2d`` (cross-correlation) with strides ``Sh, Sw`` and zero padding
    ``Pd0, Pd1``; dilation 1, groups 1."""
    Z: Ty[B, Cout, Oh, Ow]
    for n, co, oh, ow in grid(B, Cout, Oh, Ow, name="out"):
        acc: Ty = bias[co]
        for ci, kh, kw in grid(Cin, Kh, Kw, name="win"):
            if (oh * Sh + kh >= Pd0 and oh * Sh + kh < H + Pd0
                    and ow * Sw + kw >= Pd1 and ow * Sw + kw < W + Pd1):
                acc += inp[n, ci, oh * Sh + kh - Pd0, ow * Sw + kw - Pd1] * kernel[co, ci, kh, kw]
        Z[n, co, oh, ow] = acc
    return Z


def schedule_conv2d(s: Any) -> Any:
    """The output-pixel loop pipelined (the window is unrolled into it by HLS)."""
    s.pipeline("out:ow")
    return s


@template("Ty", "B", "C", "H", "W", "K", "Oh", "Ow", "S", "Pd")
def maxpool2d(inp: "Ty[B, C, H, W]") -> "Ty[B, C, Oh, Ow]":
    """``torch.nn.MaxPool2d(K, S, Pd)``: padding never wins the max."""
    Z: Ty[B, C, Oh, Ow]
    for n, c, oh, ow in grid(B, C, Oh, Ow, name="out"):
        best: Ty = -3.0e38
        for kh, kw in grid(K, K, name="win"):
            if (oh * S + kh >= Pd and oh * S + kh < H + Pd
                    and ow * S + kw >= Pd and ow * S + kw < W + Pd):
                best = max(best, inp[n, c, oh * S + kh - Pd, ow * S + kw - Pd])
        Z[n, c, oh, ow] = best
    return Z


def schedule_maxpool2d(s: Any) -> Any:
    """The output-pixel loop pipelined."""
    s.pipeline("out:ow")
    return s


@template("Ty", "B", "C", "H", "W", "K", "Oh", "Ow", "S", "Pd")
def avgpool2d(inp: "Ty[B, C, H, W]") -> "Ty[B, C, Oh, Ow]":
    """``torch.nn.AvgPool2d(K, S, Pd)`` (padding counts as zeros, divisor ``K*K``)."""
    Z: Ty[B, C, Oh, Ow]
    for n, c, oh, ow in grid(B, C, Oh, Ow, name="out"):
        acc: Ty = 0.0
        for kh, kw in grid(K, K, name="win"):
            if (oh * S + kh >= Pd and oh * S + kh < H + Pd
                    and ow * S + kw >= Pd and ow * S + kw < W + Pd):
                acc += inp[n, c, oh * S + kh - Pd, ow * S + kw - Pd]
        Z[n, c, oh, ow] = acc / (K * K)
    return Z


def schedule_avgpool2d(s: Any) -> Any:
    """The output-pixel loop pipelined."""
    s.pipeline("out:ow")
    return s


@template("Ty", "B", "C", "H", "W", "K", "Oh", "Ow", "S", "Pd")
def sumpool2d(inp: "Ty[B, C, H, W]") -> "Ty[B, C, Oh, Ow]":
    """Sum over each ``K x K`` window (stride ``S``, zero padding ``Pd``): the pooling
    ``allo.sumpool`` calls, and :func:`avgpool2d` before its division."""
    Z: Ty[B, C, Oh, Ow]
    for n, c, oh, ow in grid(B, C, Oh, Ow, name="out"):
        acc: Ty = 0
        for kh, kw in grid(K, K, name="win"):
            if (oh * S + kh >= Pd and oh * S + kh < H + Pd
                    and ow * S + kw >= Pd and ow * S + kw < W + Pd):
                acc += inp[n, c, oh * S + kh - Pd, ow * S + kw - Pd]
        Z[n, c, oh, ow] = acc
    return Z


def schedule_sumpool2d(s: Any) -> Any:
    """The output-pixel loop pipelined."""
    s.pipeline("out:ow")
    return s


# ----------------------------------------------------------------------------- data movement

@template("Ty", "B", "L", "C", "N")
def repeat_batch3d(X: "Ty[B, L, C]") -> "Ty[N * B, L, C]":
    """``X`` repeated ``N`` times along the batch dimension."""
    Y: Ty[N * B, L, C]
    for r, b, l, c in grid(N, B, L, C, name="copy"):
        Y[r * B + b, l, c] = X[b, l, c]
    return Y


def schedule_repeat_batch3d(s: Any) -> Any:
    """Inner loop pipelined."""
    s.pipeline("copy:c")
    return s


@template("Ty", "B", "N1", "N2", "C")
def concat(X1: "Ty[B, N1, C]", X2: "Ty[B, N2, C]") -> "Ty[B, N1 + N2, C]":
    """``torch.cat([X1, X2], dim=1)``."""
    Y: Ty[B, N1 + N2, C]
    for b, n, c in grid(B, N1, C, name="first"):
        Y[b, n, c] = X1[b, n, c]
    for b, n, c in grid(B, N2, C, name="second"):
        Y[b, N1 + n, c] = X2[b, n, c]
    return Y


def schedule_concat(s: Any) -> Any:
    """Both copies pipelined."""
    s.pipeline("first:c")
    s.pipeline("second:c")
    return s


@template("Ty", "M", "N")
def transpose(X: "Ty[M, N]") -> "Ty[N, M]":
    """``X.T``."""
    Y: Ty[N, M]
    for i, j in grid(M, N, name="copy"):
        Y[j, i] = X[i, j]
    return Y


def schedule_transpose(s: Any) -> Any:
    """Inner loop pipelined."""
    s.pipeline("copy:j")
    return s


@template("Ty", "L", "D")
def residual_add(X1: "Ty[L, D]", X2: "Ty[L, D]") -> "Ty[L, D]":
    """``X1 + X2``."""
    Z: Ty[L, D]
    for i, j in grid(L, D, name="add"):
        Z[i, j] = X1[i, j] + X2[i, j]
    return Z


def schedule_residual_add(s: Any) -> Any:
    """Inner loop pipelined."""
    s.pipeline("add:j")
    return s


from .transformer import (  # noqa: E402,F401  (re-exported)
    GeLU, RoPE, bmm, causal_attention, embedding, gelu_erf, modulate_fused,
    scaled_dot_product_attention, schedule_bmm, schedule_causal_attention,
    schedule_embedding, schedule_gelu, schedule_gelu_erf, schedule_modulate_fused,
    schedule_rope, schedule_scaled_dot_product_attention,
)
