"""The PyTorch operators ``from_pytorch`` understands, and how each becomes Allo code.

Every FX node (aten op from ``torch.export``; module, function or method from
``torch.fx``) is first *normalized* (:mod:`.normalize`) to one canonical operator name
with canonical arguments, then *lowered* by one handler: compute operators call the library kernels of
:mod:`allo.library.nn`, data movement and elementwise arithmetic become named loop nests
of the generated top kernel. ``SUPPORTED`` lists the canonical names.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy as np

from .emit import Emitter, TVal, literal
from .normalize import normalize  # noqa: F401  (re-exported: one entry point per node)

Handler = Callable[..., Any]
HANDLERS: Dict[str, Handler] = {}


def handles(*names: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        for n in names:
            HANDLERS[n] = fn
        return fn
    return deco


class Unsupported(Exception):
    """Raised by a handler for a use of a supported op that the lowering does not cover."""


# ============================================================================ helpers

def _dims(dim: Any, rank: int) -> int:
    return dim + rank if dim < 0 else dim


def _tensor(ctx: Any, x: Any, base: str) -> TVal:
    """A tensor operand: fx values are TVals already; torch tensors (module parameters in
    the fx path) become constants or arguments."""
    if isinstance(x, TVal):
        return x
    import torch

    if isinstance(x, torch.Tensor):
        return ctx.param(x, base)
    raise Unsupported(f"expected a tensor, got {type(x).__name__}")


def _flat2(em: Emitter, x: TVal, base: str) -> TVal:
    """``x`` as ``[prod(leading dims), last dim]``."""
    return em.reshape(x, (x.numel // x.shape[-1], x.shape[-1]), base)


def _vec(ctx: Any, x: Any, n: int, fill: float, dtype: Any, base: str) -> TVal:
    if x is None:
        return ctx.em.constant(base, np.full((n,), fill), dtype)
    return _tensor(ctx, x, base)


def _out(ctx: Any, node: Any) -> Tuple[Tuple[int, ...], Any]:
    return ctx.shape(node), ctx.dtype(node)


# ============================================================================ elementwise

_UNARY = {
    "neg": "-({a})", "exp": "allo.exp({a})", "tanh": "allo.tanh({a})", "sqrt": "allo.sqrt({a})",
    "rsqrt": "1.0 / allo.sqrt({a})", "sigmoid": "1.0 / (1.0 + allo.exp(-({a})))",
    "abs": "allo.abs({a})", "log": "allo.log({a})", "erf": "allo.erf({a})",
}
_BINARY = {"add": "({a} + {b})", "sub": "({a} - {b})", "mul": "({a} * {b})", "div": "({a} / {b})",
           "maximum": "max({a}, {b})", "minimum": "min({a}, {b})"}


def _operand(ctx: Any, x: Any, base: str) -> TVal:
    if isinstance(x, (int, float, bool, np.number)):
        return TVal(literal(x), (), ctx.em_dtype_of_scalar(x), np.asarray(x))
    return _tensor(ctx, x, base)


def elementwise(ctx: Any, node: Any, template: str, *operands: Any) -> TVal:
    shape, dtype = _out(ctx, node)
    vals = [_operand(ctx, x, f"{node.name}_{k}") for k, x in enumerate(operands)]
    out = ctx.em.declare(node.name, shape, dtype)

    def body(idx: List[str]) -> List[str]:
        es = {k: ctx.em.element(v, shape, idx) for k, v in zip("abc", vals)}
        return [f"{out.name}[{', '.join(idx) or '0'}] = {template.format(**es)}"]

    ctx.em.loop(out.name, shape, body)
    return out


@handles(*_UNARY)
def _unary(ctx, node, op, x, *rest, **kw):
    return elementwise(ctx, node, _UNARY[op], x)


@handles("add", "sub")
def _add_sub(ctx, node, op, a, b, alpha=1, **kw):
    if alpha != 1:
        b_expr = "({a} " + ("+" if op == "add" else "-") + " " + literal(alpha) + " * {b})"
        return elementwise(ctx, node, b_expr, a, b)
    return elementwise(ctx, node, _BINARY[op], a, b)


@handles("mul", "maximum", "minimum")
def _mul(ctx, node, op, a, b, **kw):
    return elementwise(ctx, node, _BINARY[op], a, b)


@handles("div")
def _div(ctx, node, op, a, b, rounding_mode=None, **kw):
    if rounding_mode is not None:
        raise Unsupported(f"div with rounding_mode={rounding_mode!r}")
    return elementwise(ctx, node, _BINARY["div"], a, b)


@handles("pow")
def _pow(ctx, node, op, a, b, **kw):
    if isinstance(b, (int, float)) and not isinstance(a, (int, float)):
        if b == 2:
            return elementwise(ctx, node, "({a} * {a})", a)
        if b == 3:
            return elementwise(ctx, node, "({a} * {a} * {a})", a)
        if b == 0.5:
            return elementwise(ctx, node, "allo.sqrt({a})", a)
    return elementwise(ctx, node, "allo.pow({a}, {b})", a, b)


@handles("where")
def _where(ctx, node, op, cond, a, b, **kw):
    if isinstance(cond, TVal) and cond.const is not None:
        if bool(np.all(cond.const)):
            return elementwise(ctx, node, "{a}", a)
        if not bool(np.any(cond.const)):
            return elementwise(ctx, node, "{a}", b)
    return elementwise(ctx, node, "({b} if {a} else {c})", cond, a, b)


@handles("masked_fill")
def _masked_fill(ctx, node, op, x, mask, value, **kw):
    if isinstance(value, TVal) and value.const is not None:
        value = value.const.item()
    if isinstance(value, TVal):
        raise Unsupported("masked_fill with a tensor fill value")
    return _where(ctx, node, "where", mask, float(value), x)


@handles("relu")
def _relu(ctx, node, op, x, *rest, **kw):
    x = _tensor(ctx, x, node.name)
    shape, dtype = _out(ctx, node)
    em = ctx.em
    rank = len(shape)
    kernel = {2: ctx.nn.relu2d, 3: ctx.nn.relu3d, 4: ctx.nn.relu4d}.get(rank)
    if kernel is None:
        x2 = em.reshape(x, (1, x.numel), node.name + "_in")
        r = em.call(ctx.nn.relu2d, "nn", [dtype, 1, x.numel], [x2.name], node.name, (1, x.numel), dtype)
        return em.reshape(r, shape, node.name + "_out")
    return em.call(kernel, "nn", [dtype, *shape], [x.name], node.name, shape, dtype)


@handles("gelu")
def _gelu(ctx, node, op, x, approximate="none", **kw):
    x = _tensor(ctx, x, node.name)
    shape, dtype = _out(ctx, node)
    x2 = _flat2(ctx.em, x, node.name + "_in")
    kernel = ctx.nn.GeLU if approximate == "tanh" else ctx.nn.gelu_erf
    r = ctx.em.call(kernel, "nn", [dtype, *x2.shape], [x2.name], node.name, x2.shape, dtype)
    return ctx.em.reshape(r, shape, node.name + "_out")


@handles("softmax", "log_softmax")
def _softmax(ctx, node, op, x, dim=-1, *rest, **kw):
    x = _tensor(ctx, x, node.name)
    shape, dtype = _out(ctx, node)
    if _dims(dim, len(shape)) != len(shape) - 1:
        raise Unsupported(f"{op} over dim {dim} (only the last dimension is supported)")
    x2 = _flat2(ctx.em, x, node.name + "_in")
    kernel = ctx.nn.softmax_rows if op == "softmax" else ctx.nn.log_softmax
    r = ctx.em.call(kernel, "nn", [dtype, *x2.shape], [x2.name], node.name, x2.shape, dtype)
    return ctx.em.reshape(r, shape, node.name + "_out")


# ============================================================================ data movement

@handles("identity", "to")
def _identity(ctx, node, op, x, *rest, **kw):
    x = _tensor(ctx, x, node.name)
    if op == "to" and ctx.dtype(node) != x.dtype:
        return elementwise(ctx, node, "{a}", x)
    return x


@handles("_assert_tensor_metadata")
def _assert_metadata(ctx, node, op, *args, **kw):
    """torch.export's dtype/shape assertion: shapes are static here, nothing to compute."""
    return None


@handles("dropout")
def _dropout(ctx, node, op, x, p=0.0, train=False, *rest, **kw):
    if train and p:
        raise Unsupported("dropout in training mode (call model.eval())")
    return _tensor(ctx, x, node.name)


@handles("view")
def _view(ctx, node, op, x, *rest, **kw):
    return ctx.em.reshape(_tensor(ctx, x, node.name), ctx.shape(node), node.name)


@handles("expand")
def _expand(ctx, node, op, x, *rest, **kw):
    return elementwise(ctx, node, "{a}", x)


@handles("permute", "transpose", "t")
def _permute(ctx, node, op, x, *args, **kw):
    x = _tensor(ctx, x, node.name)
    rank = len(x.shape)
    if op == "permute":
        dims = args[0] if len(args) == 1 and isinstance(args[0], (list, tuple)) else args
        perm = [_dims(d, rank) for d in dims]
    else:
        perm = list(range(rank))
        if op == "transpose":
            d0, d1 = _dims(args[0], rank), _dims(args[1], rank)
        else:
            d0, d1 = 0, rank - 1
        perm[d0], perm[d1] = perm[d1], perm[d0]
    if perm == list(range(rank)):
        return x
    shape, dtype = _out(ctx, node)
    if x.const is not None:
        return ctx.em.constant(node.name, np.transpose(x.const, perm), x.dtype)
    if rank == 2:
        return ctx.em.call(ctx.nn.transpose, "nn", [dtype, *x.shape], [x.name], node.name, shape, dtype)
    out = ctx.em.declare(node.name, shape, dtype)
    inverse = [perm.index(k) for k in range(rank)]

    def body(idx):
        return [f"{out.name}[{', '.join(idx)}] = {x.name}[{', '.join(idx[inverse[k]] for k in range(rank))}]"]

    ctx.em.loop(out.name, shape, body)
    return out


@handles("cat")
def _cat(ctx, node, op, tensors, dim=0, **kw):
    shape, dtype = _out(ctx, node)
    dim = _dims(dim, len(shape))
    out = ctx.em.declare(node.name, shape, dtype)
    offset = 0
    for k, t in enumerate(tensors):
        t = _tensor(ctx, t, f"{node.name}_{k}")
        if t.numel == 0:
            continue

        def body(idx, t=t, offset=offset):
            dst = list(idx)
            dst[dim] = f"{idx[dim]} + {offset}" if offset else idx[dim]
            return [f"{out.name}[{', '.join(dst)}] = {t.name}[{', '.join(idx)}]"]

        ctx.em.loop(f"{out.name}_part{k}", t.shape, body)
        offset += t.shape[dim]
    return out


def _slice_copy(ctx, node_name: str, x: TVal, dim: int, start: int, step: int,
                shape: Sequence[int], keep_dim: bool = True) -> TVal:
    out = ctx.em.declare(node_name, shape, x.dtype)
    if x.const is not None:
        sl = [slice(None)] * len(x.shape)
        sl[dim] = slice(start, start + step * (shape[dim] if keep_dim else 1), step) if keep_dim else start
        return ctx.em.constant(node_name, x.const[tuple(sl)].reshape(shape), x.dtype)

    def body(idx):
        src = list(idx) if keep_dim else list(idx[:dim]) + ["0"] + list(idx[dim:])
        src[dim] = f"{start} + {step} * {idx[dim]}" if keep_dim else str(start)
        if keep_dim and step == 1:
            src[dim] = f"{idx[dim]} + {start}" if start else idx[dim]
        return [f"{out.name}[{', '.join(idx) or '0'}] = {x.name}[{', '.join(src)}]"]

    ctx.em.loop(out.name, shape, body)
    return out


@handles("slice")
def _slice(ctx, node, op, x, dim=0, start=None, end=None, step=1, **kw):
    x = _tensor(ctx, x, node.name)
    dim = _dims(dim, len(x.shape))
    d = x.shape[dim]
    start = 0 if start is None else (start + d if start < 0 else min(start, d))
    shape = ctx.shape(node)
    if tuple(shape) == tuple(x.shape):
        return x
    return _slice_copy(ctx, node.name, x, dim, start, step, shape)


@handles("select")
def _select(ctx, node, op, x, dim, index, **kw):
    x = _tensor(ctx, x, node.name)
    dim = _dims(dim, len(x.shape))
    index = index + x.shape[dim] if index < 0 else index
    return _slice_copy(ctx, node.name, x, dim, index, 1, ctx.shape(node), keep_dim=False)


@handles("split", "chunk", "split_with_sizes")
def _split(ctx, node, op, x, size_or_n, dim=0, **kw):
    x = _tensor(ctx, x, node.name)
    dim = _dims(dim, len(x.shape))
    parts = ctx.value(node)
    outs, offset = [], 0
    for k, part in enumerate(parts):
        shape = tuple(part.shape)
        outs.append(_slice_copy(ctx, f"{node.name}_{k}", x, dim, offset, 1, shape))
        offset += shape[dim]
    return outs


@handles("getitem")
def _getitem(ctx, node, op, seq, index, **kw):
    if isinstance(seq, (list, tuple)):
        return seq[index]
    raise Unsupported("indexing a tensor with [] (use narrow/select/slice)")


# ============================================================================ library operators

@handles("linear")
def _linear(ctx, node, op, x, w, b=None, **kw):
    return ctx.linear(node, _tensor(ctx, x, node.name), _tensor(ctx, w, node.name + "_weight"), b)


@handles("addmm")
def _addmm(ctx, node, op, b, x, w, beta=1, alpha=1, **kw):
    if beta != 1 or alpha != 1:
        raise Unsupported("addmm with alpha/beta other than 1")
    w = _tensor(ctx, w, node.name + "_weight")
    if w.const is not None:
        wt = ctx.em.constant(node.name + "_weight_t", w.const.T, w.dtype)
    else:
        wt = ctx.em.call(ctx.nn.transpose, "nn", [w.dtype, *w.shape], [w.name],
                         node.name + "_weight_t", w.shape[::-1], w.dtype)
    return ctx.linear(node, _tensor(ctx, x, node.name), wt, b)


@handles("mm", "bmm", "matmul")
def _matmul(ctx, node, op, a, b, **kw):
    a, b = _tensor(ctx, a, node.name + "_a"), _tensor(ctx, b, node.name + "_b")
    shape, dtype = _out(ctx, node)
    em = ctx.em
    if len(a.shape) < 2 or len(b.shape) < 2:
        raise Unsupported("matmul with a 1-D operand")
    M, K, N = a.shape[-2], a.shape[-1], b.shape[-1]
    if len(b.shape) == 2:
        a3 = em.reshape(a, (1, a.numel // K, K), node.name + "_a3")
        b3 = em.reshape(b, (1, K, N), node.name + "_b3")
        rows = a.numel // K
    else:
        batch = tuple(shape[:-2])
        G = int(np.prod(batch)) if batch else 1
        if tuple(a.shape[:-2]) != batch:
            a = _broadcast(ctx, a, batch + (M, K), node.name + "_abc")
        if tuple(b.shape[:-2]) != batch:
            b = _broadcast(ctx, b, batch + (K, N), node.name + "_bbc")
        a3 = em.reshape(a, (G, M, K), node.name + "_a3")
        b3 = em.reshape(b, (G, K, N), node.name + "_b3")
        rows = M
    r = em.call(ctx.nn.bmm, "nn", [dtype, a3.shape[0], rows, K, N], [a3.name, b3.name],
                node.name, (a3.shape[0], rows, N), dtype)
    return em.reshape(r, shape, node.name + "_out")


def _broadcast(ctx, x: TVal, shape, base: str) -> TVal:
    if x.const is not None:
        return ctx.em.constant(base, np.broadcast_to(x.const, shape), x.dtype)
    out = ctx.em.declare(base, shape, x.dtype)
    ctx.em.loop(out.name, shape, lambda idx: [f"{out.name}[{', '.join(idx)}] = "
                                             f"{ctx.em.element(x, shape, idx)}"])
    return out


@handles("layer_norm")
def _layer_norm(ctx, node, op, x, normalized_shape, weight=None, bias=None, eps=1e-5, *rest, **kw):
    x = _tensor(ctx, x, node.name)
    shape, dtype = _out(ctx, node)
    if len(normalized_shape) != 1:
        raise Unsupported("layer_norm over more than the last dimension")
    if abs(eps - 1e-5) > 1e-12:
        raise Unsupported(f"layer_norm with eps={eps} (the library kernel uses 1e-5)")
    D = shape[-1]
    g = _vec(ctx, weight, D, 1.0, dtype, node.name + "_weight")
    b = _vec(ctx, bias, D, 0.0, dtype, node.name + "_bias")
    x2 = _flat2(ctx.em, x, node.name + "_in")
    r = ctx.em.call(ctx.nn.layer_norm, "nn", [dtype, *x2.shape], [x2.name, g.name, b.name],
                    node.name, x2.shape, dtype)
    return ctx.em.reshape(r, shape, node.name + "_out")


@handles("conv2d")
def _conv2d(ctx, node, op, x, w, b=None, stride=1, padding=0, dilation=1, groups=1, **kw):
    x, w = _tensor(ctx, x, node.name), _tensor(ctx, w, node.name + "_weight")
    shape, dtype = _out(ctx, node)
    pair = lambda v: tuple(v) * (2 // len(v)) if isinstance(v, (list, tuple)) else (v, v)  # noqa: E731
    if isinstance(padding, str):
        raise Unsupported(f"conv2d with padding={padding!r} (give the padding as numbers)")
    if pair(dilation) != (1, 1) or groups != 1 or len(x.shape) != 4:
        raise Unsupported("conv2d with dilation, groups or an unbatched input")
    (sh, sw), (ph, pw) = pair(stride), pair(padding)
    B, Cin, H, W = x.shape
    Cout, _, Kh, Kw = w.shape
    bias = _vec(ctx, b, Cout, 0.0, dtype, node.name + "_bias")
    return ctx.em.call(ctx.nn.conv2d, "nn",
                       [dtype, B, Cin, Cout, H, W, Kh, Kw, shape[2], shape[3], sh, sw, ph, pw],
                       [x.name, w.name, bias.name], node.name, shape, dtype)


def _pool_args(kernel_size, stride, padding, name):
    one = lambda v: v[0] if isinstance(v, (list, tuple)) and len(set(v)) == 1 else v  # noqa: E731
    k, s, p = one(kernel_size), one(stride) if stride not in (None, [], ()) else one(kernel_size), one(padding)
    if not all(isinstance(v, int) for v in (k, s, p)):
        raise Unsupported(f"{name} with a non-square window, stride or padding")
    return k, s, p


@handles("max_pool2d")
def _max_pool2d(ctx, node, op, x, kernel_size, stride=None, padding=0, dilation=1,
                ceil_mode=False, **kw):
    x = _tensor(ctx, x, node.name)
    shape, dtype = _out(ctx, node)
    k, s, p = _pool_args(kernel_size, stride, padding, "max_pool2d")
    if dilation not in (1, [1, 1], (1, 1)) or ceil_mode or len(x.shape) != 4:
        raise Unsupported("max_pool2d with dilation, ceil_mode or an unbatched input")
    B, C, H, W = x.shape
    return ctx.em.call(ctx.nn.maxpool2d, "nn", [dtype, B, C, H, W, k, shape[2], shape[3], s, p],
                       [x.name], node.name, shape, dtype)


@handles("avg_pool2d")
def _avg_pool2d(ctx, node, op, x, kernel_size, stride=None, padding=0, ceil_mode=False,
                count_include_pad=True, divisor_override=None, **kw):
    x = _tensor(ctx, x, node.name)
    shape, dtype = _out(ctx, node)
    k, s, p = _pool_args(kernel_size, stride, padding, "avg_pool2d")
    if ceil_mode or not count_include_pad or divisor_override or len(x.shape) != 4:
        raise Unsupported("avg_pool2d with ceil_mode, count_include_pad=False or a divisor")
    B, C, H, W = x.shape
    return ctx.em.call(ctx.nn.avgpool2d, "nn", [dtype, B, C, H, W, k, shape[2], shape[3], s, p],
                       [x.name], node.name, shape, dtype)


@handles("batch_norm", "batch_norm_nt")
def _batch_norm(ctx, node, op, x, weight, bias, mean, var, *rest, **kw):
    if op == "batch_norm":
        training, eps = rest[0], rest[2]
    else:
        training, eps = False, rest[1]
    if training:
        raise Unsupported("batch_norm in training mode (call model.eval())")
    x = _tensor(ctx, x, node.name)
    shape, dtype = _out(ctx, node) if op == "batch_norm" else (x.shape, x.dtype)
    C = x.shape[1]
    args = [x, _vec(ctx, weight, C, 1.0, dtype, node.name + "_weight"),
            _vec(ctx, bias, C, 0.0, dtype, node.name + "_bias")]
    stats = [_tensor(ctx, mean, node.name + "_mean"), _tensor(ctx, var, node.name + "_var")]
    names = [a.name for a in args] + [literal(eps)] + [s.name for s in stats]
    kernel = {4: ctx.nn.batchnorm2d, 2: ctx.nn.batchnorm1d_2d, 3: ctx.nn.batchnorm1d_3d}.get(len(x.shape))
    if kernel is None:
        raise Unsupported(f"batch_norm on a rank-{len(x.shape)} input")
    r = ctx.em.call(kernel, "nn", [dtype, *x.shape], names, node.name, x.shape, dtype)
    return [r, None, None] if op == "batch_norm_nt" else r


@handles("embedding")
def _embedding(ctx, node, op, weight, ids, *rest, **kw):
    w, ids = _tensor(ctx, weight, node.name + "_weight"), _tensor(ctx, ids, node.name + "_ids")
    shape, dtype = _out(ctx, node)
    if ids.const is not None:  # positions (GPT-2's wpe): rows known at import
        if w.const is not None:
            return ctx.em.constant(node.name, w.const[ids.const], dtype)
        return _gather_const(ctx, node, w, ids, shape)
    V, D = w.shape
    flat = ctx.em.reshape(ids, (ids.numel,), node.name + "_ids1")
    r = ctx.em.call(ctx.nn.embedding, "nn", [ids.dtype, dtype, ids.numel, V, D],
                    [flat.name, w.name], node.name, (ids.numel, D), dtype)
    return ctx.em.reshape(r, shape, node.name + "_out")


def _gather_const(ctx, node, w: TVal, ids: TVal, shape) -> TVal:
    """Rows of a weight *argument* at constant positions: static copies."""
    out = ctx.em.declare(node.name, shape, w.dtype)
    flat = ids.const.reshape(-1)
    D = w.shape[1]
    for k, row in enumerate(flat):
        ctx.em.loop(f"{out.name}_row{k}", (D,), lambda idx, k=k, row=row: [
            f"{out.name}[{', '.join(_unravel(k, shape[:-1]) + [idx[0]])}] = {w.name}[{int(row)}, {idx[0]}]"])
    return out


def _unravel(k: int, shape) -> List[str]:
    return [str(v) for v in np.unravel_index(k, tuple(shape))] if shape else []


@handles("sdpa")
def _sdpa(ctx, node, op, q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, *rest,
          scale=None, enable_gqa=False, **kw):
    q, k, v = (_tensor(ctx, t, f"{node.name}_{n}") for t, n in ((q, "q"), (k, "k"), (v, "v")))
    shape, dtype = _out(ctx, node)
    if dropout_p:
        raise Unsupported("scaled_dot_product_attention with dropout_p > 0")
    if q.shape != k.shape or k.shape != v.shape:
        raise Unsupported("attention whose query, key and value shapes differ")
    L, E = q.shape[-2], q.shape[-1]
    if scale is not None and abs(scale - 1 / math.sqrt(E)) > 1e-12:
        raise Unsupported(f"attention with scale={scale} (the kernel scales by 1/sqrt({E}))")
    causal = bool(is_causal)
    if attn_mask is not None:
        m = attn_mask.const if isinstance(attn_mask, TVal) else None
        if m is None:
            raise Unsupported("attention with a mask computed from the inputs")
        tril = np.tril(np.ones((L, L), dtype=bool))
        m = np.broadcast_to(m, m.shape[:-2] + (L, L))
        allowed = m if m.dtype == np.bool_ else (m == 0)
        if m.dtype != np.bool_ and not np.all((m == 0) | (m <= -1e30)):
            raise Unsupported("attention with an additive mask other than 0 / -inf")
        if np.all(allowed == tril):
            causal = True
        elif not np.all(allowed):
            raise Unsupported("attention with a mask other than the causal one")
    G = q.numel // (L * E)
    q3, k3, v3 = (ctx.em.reshape(t, (G, L, E), f"{node.name}_{n}3") for t, n in ((q, "q"), (k, "k"), (v, "v")))
    r = ctx.em.call(ctx.nn.causal_attention, "nn", [dtype, G, L, E, int(causal)],
                    [q3.name, k3.name, v3.name], node.name, (G, L, E), dtype)
    return ctx.em.reshape(r, shape, node.name + "_out")


SUPPORTED = sorted(n for n in HANDLERS if not n.startswith("_"))  # user-facing names
