"""Transformer operators as Allo kernel templates, each with a default HLS schedule:
GELU (tanh and erf forms), attention (public Allo's ``scaled_dot_product_attention`` and a
scaled, optionally causal, multi-head form), batched matmul, rotary embedding, modulation
and token embedding. Re-exported from :mod:`allo.library.nn`.

Example::

    >>> import allo
    >>> from allo.ir.types import float32
    >>> from allo.library.nn import GeLU, schedule_gelu
    >>> s = schedule_gelu(allo.customize(GeLU, instantiate=[float32, 4, 8]))
    >>> bool(s.verify())
    True
"""

from __future__ import annotations

from typing import Any

import allo

from ..builtins import erf, exp, grid, sqrt, tanh, template
from .systolic import schedule_systolic_tile, systolic, systolic_tile


@template("Ty", "L", "D")
def GeLU(X: "Ty[L, D]") -> "Ty[L, D]":
    """The tanh approximation of GELU (GPT-2's ``gelu_new``,
    ``torch.nn.GELU(approximate="tanh")``)."""
    Z: Ty[L, D]
    for i, j in grid(L, D, name="gelu"):
        x: Ty = X[i, j]
        Z[i, j] = 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * (x * x * x))))
    return Z


def schedule_gelu(s: Any) -> Any:
    """Inner loop pipelined."""
    s.pipeline("gelu:j")
    return s


@template("Ty", "L", "D")
def gelu_erf(X: "Ty[L, D]") -> "Ty[L, D]":
    """The exact GELU, ``x * (1 + erf(x / sqrt 2)) / 2`` (``torch.nn.GELU()``)."""
    Z: Ty[L, D]
    for i, j in grid(L, D, name="gelu"):
        x: Ty = X[i, j]
        Z[i, j] = 0.5 * x * (1.0 + erf(x * 0.7071067811865476))
    return Z


schedule_gelu_erf = schedule_gelu


@template("Ty", "L", "D")
def modulate_fused(X: "Ty[L, D]", scale: "Ty[D]", shift: "Ty[D]") -> "Ty[L, D]":
    """``X * (1 + scale) + shift`` (adaptive layer-norm modulation)."""
    Z: Ty[L, D]
    for i, j in grid(L, D, name="modulate"):
        Z[i, j] = X[i, j] * (1.0 + scale[j]) + shift[j]
    return Z


def schedule_modulate_fused(s: Any) -> Any:
    """Inner loop pipelined."""
    s.pipeline("modulate:j")
    return s


@template("Ty", "H", "L", "D")
def RoPE(X: "Ty[L, D]", cos: "Ty[L, D // H // 2]", sin: "Ty[L, D // H // 2]") -> "Ty[L, D]":
    """Rotary position embedding of ``H`` heads laid out along D: each head's first and
    second halves are rotated by the angle whose cosine/sine are given per position."""
    Z: Ty[L, D]
    for h, i, j in grid(H, L, D // H // 2, name="rotate"):
        x1: Ty = X[i, h * (D // H) + j]
        x2: Ty = X[i, h * (D // H) + D // H // 2 + j]
        Z[i, h * (D // H) + j] = cos[i, j] * x1 - sin[i, j] * x2
        Z[i, h * (D // H) + D // H // 2 + j] = sin[i, j] * x1 + cos[i, j] * x2
    return Z


def schedule_rope(s: Any) -> Any:
    """Inner loop pipelined."""
    s.pipeline("rotate:j")
    return s


@template("Ty", "B", "M", "K", "N")
def bmm(A: "Ty[B, M, K]", Bm: "Ty[B, K, N]") -> "Ty[B, M, N]":
    """Batched matrix product ``A @ Bm`` (``torch.bmm``)."""
    Z: Ty[B, M, N] = 0
    for b, i, j, k in grid(B, M, N, K, name="mac"):
        Z[b, i, j] += A[b, i, k] * Bm[b, k, j]
    return Z


def schedule_bmm(s: Any) -> Any:
    """``(b, i, k, j)`` order with a row buffer of Z, ``j`` pipelined (exact: each
    element still sums k in order)."""
    s.reorder("mac:k", "mac:j")
    s.buffer_at(s.Z, axis="mac:i")
    s.pipeline("mac:j")
    return s


@template("Ty", "H", "L", "D", "M0", "M1")
def scaled_dot_product_attention(Q: "Ty[L, D]", K: "Ty[L, D]", V: "Ty[L, D]") -> "Ty[L, D]":
    """Multi-head attention with heads laid out along D, as public Allo defines it:
    ``softmax(Q_h K_h^T) V_h`` per head, **without** the ``1/sqrt(d)`` scale (see
    :func:`causal_attention` for the scaled, masked form). Both products run on an
    ``M0 x M1`` systolic array."""
    Z: Ty[L, D]
    Q_h: Ty[L, D // H]
    K_t: Ty[D // H, L]
    V_h: Ty[L, D // H]
    S: Ty[L, L]
    P: Ty[L, L]
    C_h: Ty[L, D // H]
    row_max: Ty[L]
    row_sum: Ty[L]
    for h in range(H, name="head"):
        for i, j in grid(L, D // H, name="split"):
            Q_h[i, j] = Q[i, h * (D // H) + j]
            K_t[j, i] = K[i, h * (D // H) + j]
            V_h[i, j] = V[i, h * (D // H) + j]
        systolic[Ty, Ty, Ty, L, D // H, L, M0, M1, "QKT"](Q_h, K_t, S)
        for i in range(L, name="init"):
            row_max[i] = S[i, 0]
            row_sum[i] = 0.0
        for i, j in grid(L, L, name="row_max"):
            row_max[i] = max(row_max[i], S[i, j])
        for i, j in grid(L, L, name="exp_sum"):
            P[i, j] = exp(S[i, j] - row_max[i])
            row_sum[i] += P[i, j]
        for i, j in grid(L, L, name="update"):
            P[i, j] = P[i, j] / row_sum[i]
        systolic[Ty, Ty, Ty, L, L, D // H, M0, M1, "YV"](P, V_h, C_h)
        for i, j in grid(L, D // H, name="merge"):
            Z[i, h * (D // H) + j] = C_h[i, j]
    return Z


def schedule_scaled_dot_product_attention(s: Any) -> Any:
    """Both products run on the seed's systolic array (:func:`schedule_systolic_tile`
    composed onto each tile instance), their tile loads and stores pipelined; the softmax
    passes are pipelined."""
    ty, H, L, D, M0, M1 = s.ir.funcs[s.top_func_name].attrs["instance_args"]
    for k in sorted({D // H, L}):
        inst = [ty, ty, ty, k, M0, M1]
        s.compose(schedule_systolic_tile(allo.customize(systolic_tile, instantiate=inst)),
                  instantiate=inst)
    for product in ("systolic_QKT", "systolic_YV"):  # named instances of systolic
        s.pipeline(f"{product}:ai")
        s.pipeline(f"{product}:bj")
        s.pipeline(f"{product}:si")
    s.pipeline("row_max:j")
    s.pipeline("exp_sum:j")
    s.pipeline("update:j")
    return s


@template("Ty", "G", "L", "E", "CAUSAL")
def causal_attention(Q: "Ty[G, L, E]", K: "Ty[G, L, E]", V: "Ty[G, L, E]") -> "Ty[G, L, E]":
    """``softmax(Q K^T / sqrt(E) + mask) V`` for ``G`` (batch x head) groups of length-L
    sequences with head size E (``F.scaled_dot_product_attention``); with ``CAUSAL = 1``
    position i attends to positions ``j <= i`` only (masked scores contribute exactly 0)."""
    Z: Ty[G, L, E] = 0.0
    S: Ty[G, L, L] = 0.0
    row_max: Ty[G, L]
    row_sum: Ty[G, L] = 0.0
    scale: Ty = E  # 1/sqrt(E) computed in Ty
    scale = 1.0 / sqrt(scale)
    for g, i, j, k in grid(G, L, L, E, name="qk"):
        S[g, i, j] += Q[g, i, k] * K[g, j, k]
    for g, i in grid(G, L, name="init"):
        row_max[g, i] = S[g, i, 0] * scale
    for g, i, j in grid(G, L, L, name="row_max"):
        if CAUSAL == 0 or j <= i:
            row_max[g, i] = max(row_max[g, i], S[g, i, j] * scale)
    for g, i, j in grid(G, L, L, name="exp_sum"):
        if CAUSAL == 0 or j <= i:
            S[g, i, j] = exp(S[g, i, j] * scale - row_max[g, i])
            row_sum[g, i] += S[g, i, j]
        else:
            S[g, i, j] = 0.0
    for g, i, j, k in grid(G, L, E, L, name="pv"):
        Z[g, i, j] += S[g, i, k] / row_sum[g, i] * V[g, k, j]
    return Z


def schedule_causal_attention(s: Any) -> Any:
    """Both products in ``(g, i, k, j)`` order with row buffers, inner loops pipelined
    (exact: every sum keeps its order)."""
    s.reorder("qk:k", "qk:j")
    s.pipeline("qk:j")
    s.pipeline("row_max:j")
    s.pipeline("exp_sum:j")
    s.reorder("pv:k", "pv:j")
    s.buffer_at(s.Z, axis="pv:i")
    s.pipeline("pv:j")
    return s


@template("TyI", "Ty", "L", "V", "D")
def embedding(ids: "TyI[L]", table: "Ty[V, D]") -> "Ty[L, D]":
    """``table[ids]`` (``torch.nn.Embedding``), as a row select: every row address is
    static, so the kernel is statically interpretable and ``verify()`` proves its
    schedules (a gather ``table[ids[i], j]`` has data-dependent addresses). An id outside
    ``[0, V)`` selects row 0 (torch raises instead)."""
    Z: Ty[L, D]
    for i, j in grid(L, D, name="gather"):
        row: Ty = table[0, j]
        for v in range(1, V, name="select"):
            row = table[v, j] if ids[i] == v else row
        Z[i, j] = row
    return Z


def schedule_embedding(s: Any) -> Any:
    """Inner loop pipelined."""
    s.pipeline("gather:j")
    return s
