"""Whole-array NN operators in kernels, lowered to calls of :mod:`allo.library.nn` kernels.

``allo.relu(X)``, ``allo.softmax(X)``, ``allo.gelu(X)``, ``allo.linear(X, W[, b])``,
``allo.layernorm(X, gamma, beta)``, ``allo.conv2d(A, K)``, ``allo.maxpool(A, window)`` and
``allo.sumpool(A, window)`` are not defined here: each picks the library kernel instance that fits its operands' shapes
and element type (``relu2d[float32, 4, 8]``, ...) and becomes one ``Call`` of it, so each NN operator is written once, in ``allo/library/nn.py``. The
result is a fresh local buffer (``D = allo.softmax(A)`` names it ``D``). Operands of rank
above two for ``softmax``/``gelu``/``layernorm``/``linear`` (and ``relu`` of rank 1 or
above 4) are flattened to rows first (``allo.view``),
the library kernel runs on the ``[rows, last]`` matrix, and the result is viewed back.

Example::

    def k(X: float32[4, 8], W: float32[3, 8], b: float32[3]) -> float32[4, 3]:
        return allo.relu(allo.linear(X, W, b))   # Call linear2d_..., Call relu2d_...
"""

from __future__ import annotations

import ast
from typing import Any, Callable, List, Sequence

import numpy as np

from ..errors import AlloSyntaxError, AlloTypeError
from ..ir.nodes import BufRef, Call
from ..ir.types import BufferType
from . import arrays
from .. import builtins as ab
from .calls import as_buffer_type, check_aliasing
from .typing import literal
from .values import BufView, fmt_type

NN_FUNCS = {id(ab.relu): "relu", id(ab.softmax): "softmax", id(ab.gelu): "gelu",
            id(ab.linear): "linear", id(ab.conv2d): "conv2d", id(ab.maxpool): "maxpool",
            id(ab.sumpool): "sumpool", id(ab.layernorm): "layernorm"}
ARITY = {"relu": (1, 1), "softmax": (1, 1), "gelu": (1, 1), "linear": (2, 3), "conv2d": (2, 2),
         "maxpool": (2, 2), "sumpool": (2, 2), "layernorm": (3, 3)}


def call(lw: Any, obj: Any, node: ast.Call) -> BufView:
    """Lower ``allo.<nn operator>(...)`` to a call of its library kernel."""
    op = NN_FUNCS[id(obj)]
    if node.keywords:
        raise lw.err(AlloSyntaxError, f"allo.{op} takes no keyword arguments",
                     node.keywords[0].value, hint="pass the arrays by position")
    lo, hi = ARITY[op]
    if not lo <= len(node.args) <= hi:
        want = str(lo) if lo == hi else f"{lo} or {hi}"
        raise lw.err(AlloTypeError, f"allo.{op} takes {want} array argument(s), "
                     f"{len(node.args)} given", node, hint="check the call")
    args = [lw.lower(a) for a in node.args]
    for a, n in zip(args, node.args):
        if not arrays.is_array(a):
            raise lw.err(AlloTypeError, f"allo.{op} needs array operands; this one is not an "
                         "array", n, hint="pass a buffer (apply scalar functions elementwise)")
    return {"relu": _relu, "softmax": _softmax, "gelu": _gelu, "linear": _linear,
            "conv2d": _conv2d, "maxpool": _pool, "sumpool": _pool,
            "layernorm": _layernorm}[op](lw, args, node, op)


# ------------------------------------------------------------------ one library call
def library_call(lw: Any, kernel: Any, targs: Sequence[Any], inputs: List[BufView],
                 node: ast.Call, base: str) -> BufView:
    """Emit ``out = kernel[targs](*inputs)`` into a fresh result buffer and return it."""
    from ..library import nn  # noqa: F401  (the library imports the frontend)

    func = lw.mb.get_func(kernel, list(targs), None, node, lw)
    rt = as_buffer_type(func.results[0])
    out = arrays.temp(lw, base, rt.dtype, rt.shape, node)
    loc = lw.info.loc(node)
    for v, p in zip(inputs, func.params):  # the instance is chosen from these shapes
        assert BufferType(v.type.dtype, v.shape) == as_buffer_type(p.type), (v, p)
    call_node = Call(func.name, [BufRef(v.name, v.prefix, loc=loc) for v in inputs],
                     [out.name], loc=loc)
    check_aliasing(lw, node, call_node)
    lw.emit(call_node)
    return out


def _nn() -> Any:
    from ..library import nn

    return nn


def _need_float(lw: Any, op: str, v: BufView, node: ast.AST) -> None:
    t = v.type.dtype
    if not (t.is_float or t.is_fixed):
        raise lw.err(AlloTypeError, f"allo.{op} needs a floating-point array, got "
                     f"{fmt_type(BufferType(t, v.shape))}", node,
                     hint="convert the input to float32 first")


def _rows(lw: Any, v: BufView, node: ast.AST) -> BufView:
    """``v`` as a ``[rows, last]`` matrix (a view copy when its rank is above two)."""
    if len(v.shape) == 2:
        return v
    if len(v.shape) == 1:
        return arrays.view(lw, v, (1, v.shape[0]), node)
    return arrays.view(lw, v, (int(np.prod(v.shape[:-1])), v.shape[-1]), node)


def _unrows(lw: Any, v: BufView, shape: Sequence[int], node: ast.AST) -> BufView:
    return v if tuple(v.shape) == tuple(shape) else arrays.view(lw, v, shape, node)


# ------------------------------------------------------------------ operators
def _relu(lw: Any, args: List[BufView], node: ast.Call, op: str) -> BufView:
    (x,) = args
    kernels = {2: _nn().relu2d, 3: _nn().relu3d, 4: _nn().relu4d}
    if len(x.shape) in kernels:
        return library_call(lw, kernels[len(x.shape)], [x.type.dtype, *x.shape], [x], node,
                            "relu")
    m = _rows(lw, x, node)  # rank 1 or above 4: relu2d on the rows
    out = library_call(lw, _nn().relu2d, [x.type.dtype, *m.shape], [m], node, "relu")
    return _unrows(lw, out, x.shape, node)


def _float_rowwise(kernel: str, name: str) -> Callable[..., BufView]:
    """A float operator the library applies row by row (inputs of any rank viewed as rows)."""
    def lower(lw: Any, args: List[BufView], node: ast.Call, op: str) -> BufView:
        (x,) = args
        _need_float(lw, name, x, node.args[0])
        m = _rows(lw, x, node)
        out = library_call(lw, getattr(_nn(), kernel), [x.type.dtype, *m.shape], [m], node, name)
        return _unrows(lw, out, x.shape, node)
    return lower


_softmax = _float_rowwise("softmax_rows", "softmax")
_gelu = _float_rowwise("GeLU", "gelu")


def _layernorm(lw: Any, args: List[BufView], node: ast.Call, op: str) -> BufView:
    x, gamma, beta = args
    _need_float(lw, op, x, node.args[0])
    d = x.shape[-1]
    for v, n, what in ((gamma, node.args[1], "gamma"), (beta, node.args[2], "beta")):
        if tuple(v.shape) != (d,) or v.type.dtype != x.type.dtype:
            raise lw.err(AlloTypeError, f"allo.layernorm: {what} is "
                         f"{fmt_type(BufferType(v.type.dtype, v.shape))}, the input "
                         f"{fmt_type(BufferType(x.type.dtype, x.shape))}", n,
                         hint=f"{what} is {fmt_type(BufferType(x.type.dtype, (d,)))}: one "
                              "value per element of the last axis")
    m = _rows(lw, x, node)
    out = library_call(lw, _nn().layer_norm, [x.type.dtype, *m.shape], [m, gamma, beta], node,
                       "layernorm")
    return _unrows(lw, out, x.shape, node)


def _linear(lw: Any, args: List[BufView], node: ast.Call, op: str) -> BufView:
    x, w = args[0], args[1]
    if len(w.shape) != 2 or w.shape[1] != x.shape[-1]:
        raise lw.err(AlloTypeError, f"allo.linear: weight {list(w.shape)} does not fit input "
                     f"{list(x.shape)}", node.args[1],
                     hint=f"the weight is [out, in] = [N, {x.shape[-1]}] (torch.nn.Linear)")
    n = w.shape[0]
    t = arrays.result_dtype("mul", x, w)
    if len(args) == 3:
        b = args[2]
        if tuple(b.shape) != (n,):
            raise lw.err(AlloTypeError, f"allo.linear: bias {list(b.shape)} does not fit "
                         f"weight {list(w.shape)}", node.args[2], hint=f"the bias is [{n}]")
        if b.type.dtype != t:  # the library adds the bias in the result type
            converted = arrays.temp(lw, "bias", t, (n,), node)
            arrays.copy_into(lw, converted, b, node)
            b = converted
    else:
        b = arrays.temp(lw, "bias", t, (n,), node, literal(0, t))
    m = _rows(lw, x, node)
    out = library_call(lw, _nn().linear2d, [x.type.dtype, w.type.dtype, t, m.shape[0], n,
                                            m.shape[1]], [m, w, b], node, "linear")
    return _unrows(lw, out, tuple(x.shape[:-1]) + (n,), node)


def _conv2d(lw: Any, args: List[BufView], node: ast.Call, op: str) -> BufView:
    a, k = args
    if len(a.shape) != 4 or len(k.shape) != 4:
        raise lw.err(AlloTypeError, f"allo.conv2d needs a 4-D input [N, C, H, W] and a 4-D "
                     f"kernel [F, C, KH, KW], got {list(a.shape)} and {list(k.shape)}", node,
                     hint="NCHW layout, as torch.nn.Conv2d")
    nb, c, h, w = a.shape
    f, kc, kh, kw = k.shape
    if kc != c or kh > h or kw > w:
        raise lw.err(AlloTypeError, f"allo.conv2d: kernel {list(k.shape)} does not fit input "
                     f"{list(a.shape)}", node.args[1],
                     hint="the kernel's channels must equal the input's, its window fit in H, W")
    if a.type.dtype != k.type.dtype:
        raise lw.err(AlloTypeError, f"allo.conv2d: input and kernel element types differ "
                     f"({a.type.dtype!r}, {k.type.dtype!r})", node, hint="use one element type")
    t = a.type.dtype
    bias = arrays.temp(lw, "bias", t, (f,), node, literal(0, t))
    targs = [t, nb, c, f, h, w, kh, kw, h - kh + 1, w - kw + 1, 1, 1, 0, 0]
    return library_call(lw, _nn().conv2d, targs, [a, k, bias], node, "conv2d")


def _pool(lw: Any, args: List[BufView], node: ast.Call, op: str) -> BufView:
    """``allo.maxpool(A, window)`` / ``allo.sumpool``: only the window's shape is used."""
    a, win = args
    if len(a.shape) != 4 or len(win.shape) != 2:
        raise lw.err(AlloTypeError, f"allo.{op} needs a 4-D input [N, C, H, W] and a 2-D "
                     f"window [KH, KW], got {list(a.shape)} and {list(win.shape)}", node,
                     hint="NCHW layout; the window buffer gives the pooling size")
    nb, c, h, w = a.shape
    kh, kw = win.shape
    if kh != kw or kh > min(h, w):
        raise lw.err(AlloTypeError, f"allo.{op}: window {list(win.shape)} does not fit input "
                     f"{list(a.shape)}", node.args[1],
                     hint="the library pools square windows that fit in H and W")
    kernel = _nn().maxpool2d if op == "maxpool" else _nn().sumpool2d
    targs = [a.type.dtype, nb, c, h, w, kh, h - kh + 1, w - kw + 1, 1, 0]
    return library_call(lw, kernel, targs, [a], node, op)
