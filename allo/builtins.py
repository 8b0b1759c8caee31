"""Objects kernels use: loop iterators, math functions and the template decorator.

The frontend recognizes these objects *by identity* after resolving a name, so
``allo.grid``, ``from allo import grid`` and an alias all work. Each also does the
obvious thing when a kernel is run as plain Python (``grid`` iterates, ``exp`` calls
numpy), so a kernel can be tried without compiling it.

Example::

    >>> from allo.builtins import grid, exp
    >>> list(grid(2, 2))
    [(0, 0), (0, 1), (1, 0), (1, 1)]
    >>> float(exp(0.0))
    1.0
"""

from __future__ import annotations

import builtins as _py
import itertools
import linecache
import math as _math
import sys
from typing import Any, Callable, Iterator, Optional, Tuple

import numpy as np

from .errors import AlloNameError, AlloTypeError, SourceLoc

__all__ = [
    "grid", "reduction", "template", "meta_for", "meta_if", "meta_elif", "meta_else",
    "exp", "log", "log2", "log10", "sqrt", "sin", "cos", "tan", "tanh", "erf", "abs", "pow",
    "floor", "ceil", "power",
    "matmul", "bmm", "add", "sub", "mul", "div", "copy", "transpose", "concat", "view",
    "reshape", "ones", "zeros", "relu", "softmax", "gelu", "linear", "conv2d",
    "maxpool", "sumpool", "layernorm",
]


def grid(*extents: Any, name: Optional[str] = None) -> Iterator[Tuple[int, ...]]:
    """A perfect loop nest forming one band: ``for i, j in grid(M, N, "PE")``.

    A trailing string (or ``name=``) names the band. Run as Python it iterates the
    Cartesian product. Example: ``list(grid(1, 2)) == [(0, 0), (0, 1)]``.
    """
    if extents and isinstance(extents[-1], str):
        extents = extents[:-1]
    iters = itertools.product(*(range(int(e)) for e in extents))
    if len(extents) == 1:
        return (t[0] for t in iters)
    return iters


def reduction(*extents: Any, name: Optional[str] = None) -> Iterator[Any]:
    """Like :func:`grid`, but marks the loops as reduction loops (``attrs["reduction"]``).

    Example: ``for k in reduction(K): acc += A[k]``.
    """
    return grid(*extents, name=name)


def template(*names: str) -> Callable[[Callable], Callable]:
    """Python 3.11 spelling of ``def kernel[T, M](A: "T[M]")``.

    Example::

        @template("T", "M")
        def kernel(A: "T[M]") -> "T[M]": ...

    Instantiate with ``allo.customize(kernel, instantiate=[int32, 8])`` or, inside
    another kernel, ``kernel[int32, 8](A)``.
    """
    for n in names:
        if not isinstance(n, str) or not n.isidentifier():
            raise AlloTypeError(f"template parameter names must be identifier strings, got "
                                f"{n!r}", loc=_caller_loc(),
                                hint='write @allo.template("T", "M"): one string per parameter')
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise AlloNameError(f"duplicate template parameter name(s): {', '.join(dups)}",
                            loc=_caller_loc(), hint="give every template parameter its own name")
    if not names:
        raise AlloTypeError("allo.template(...) needs at least one parameter name",
                            loc=_caller_loc(), hint='e.g. @allo.template("T", "M")')

    def mark(fn: Callable) -> Callable:
        fn.__allo_template__ = tuple(names)  # read by allo.frontend.templates
        return fn

    return mark


class _MetaBlock:
    """``with allo.meta_for(...)`` and friends: compile-time constructs that the frontend
    expands (:mod:`allo.frontend.meta`). Run as plain Python they cannot be expanded, so
    entering one says so."""

    def __init__(self, kind: str, args: Tuple[Any, ...]):
        self.kind, self.args = kind, args

    def __enter__(self) -> Any:
        raise AlloTypeError(f"allo.{self.kind}(...) is expanded when a kernel is compiled; it "
                            "cannot run as plain Python", loc=_caller_loc(1),
                            hint="compile the kernel with allo.customize(...) and call the "
                                 "built module")

    def __exit__(self, *exc: Any) -> bool:
        return False


def meta_for(*bounds: Any) -> _MetaBlock:
    """Unroll at compile time: ``with allo.meta_for(lo, hi, step) as i:`` copies its body
    once per value of ``i`` (a compile-time constant in each copy), like ``range``."""
    return _MetaBlock("meta_for", bounds)


def meta_if(cond: Any) -> _MetaBlock:
    """Keep the body only if the compile-time condition holds: ``with allo.meta_if(i == 0):``."""
    return _MetaBlock("meta_if", (cond,))


def meta_elif(cond: Any) -> _MetaBlock:
    """The ``elif`` of :func:`meta_if` (the statement right after a meta_if/meta_elif)."""
    return _MetaBlock("meta_elif", (cond,))


def meta_else() -> _MetaBlock:
    """The ``else`` of :func:`meta_if` (the statement right after a meta_if/meta_elif)."""
    return _MetaBlock("meta_else", ())


def _caller_loc(depth: int = 0) -> Optional[SourceLoc]:
    """The source position of the code that called ``template(...)`` (for errors)."""
    frame = sys._getframe(2 + depth)
    text = linecache.getline(frame.f_code.co_filename, frame.f_lineno).rstrip("\n")
    col = len(text) - len(text.lstrip())
    return SourceLoc(frame.f_code.co_filename, frame.f_lineno, col, text, len(text))


# ------------------------------------------------------------------ math functions
def exp(x: Any) -> Any:
    """``e ** x`` (float intrinsic ``exp``)."""
    return np.exp(x)


def log(x: Any) -> Any:
    """Natural logarithm."""
    return np.log(x)


def log2(x: Any) -> Any:
    """Base-2 logarithm."""
    return np.log2(x)


def log10(x: Any) -> Any:
    """Base-10 logarithm."""
    return np.log10(x)


def sqrt(x: Any) -> Any:
    """Square root."""
    return np.sqrt(x)


def sin(x: Any) -> Any:
    """Sine."""
    return np.sin(x)


def cos(x: Any) -> Any:
    """Cosine."""
    return np.cos(x)


def tan(x: Any) -> Any:
    """Tangent."""
    return np.tan(x)


def tanh(x: Any) -> Any:
    """Hyperbolic tangent."""
    return np.tanh(x)


def erf(x: Any) -> Any:
    """The error function (exact GELU is ``0.5 * x * (1 + erf(x / sqrt(2)))``)."""
    return np.vectorize(_math.erf, otypes=[float])(x) if np.ndim(x) else _math.erf(x)


def abs(x: Any) -> Any:  # noqa: A001 - mirrors the kernel spelling allo.abs
    """Absolute value (integers wrap: ``abs(INT_MIN) == INT_MIN`` in kernels)."""
    return np.abs(x)


def pow(x: Any, y: Any) -> Any:  # noqa: A001
    """``x ** y`` on floats."""
    return np.power(x, y)


def floor(x: Any) -> Any:
    """Round toward minus infinity (exact)."""
    return np.floor(x)


def ceil(x: Any) -> Any:
    """Round toward plus infinity (exact)."""
    return np.ceil(x)


power = pow  # public Allo's spelling


# ------------------------------------------------------------------ whole-array operations
# In a kernel these lower to loop nests (allo/frontend/arrays.py, docs/semantics.md); run
# as plain Python they compute the same thing with numpy.
def matmul(A: Any, B: Any, name: Optional[str] = None) -> Any:
    """``A @ B`` (batched over leading dimensions). Example: ``C = allo.matmul(A, B)``."""
    return np.matmul(A, B)


def bmm(A: Any, B: Any, name: Optional[str] = None) -> Any:
    """Batched matrix product of two 3-D arrays: ``[b, m, k] x [b, k, n] -> [b, m, n]``."""
    return np.matmul(A, B)


def add(A: Any, B: Any, name: Optional[str] = None) -> Any:
    """Element-wise ``A + B`` with numpy broadcasting."""
    return np.add(A, B)


def sub(A: Any, B: Any, name: Optional[str] = None) -> Any:
    """Element-wise ``A - B`` with numpy broadcasting."""
    return np.subtract(A, B)


def mul(A: Any, B: Any, name: Optional[str] = None) -> Any:
    """Element-wise ``A * B`` with numpy broadcasting."""
    return np.multiply(A, B)


def div(A: Any, B: Any, name: Optional[str] = None) -> Any:
    """Element-wise division with numpy broadcasting: C division (toward zero) when both
    operands are integers, as upstream Allo's ``allo.div``; ``A / B`` otherwise.

    Example: ``div(np.array([-7, 7]), 2)`` is ``array([-3, 3])``.
    """
    a, b = np.asarray(A), np.asarray(B)
    if a.dtype.kind in "iub" and b.dtype.kind in "iub":
        from .semantics.int_ops import c_div  # the op registry's meaning of integer "div"

        return np.asarray(np.frompyfunc(c_div, 2, 1)(a, b)).astype(np.result_type(a, b))
    return np.divide(A, B)


def copy(A: Any, name: Optional[str] = None) -> Any:
    """A copy of array ``A``."""
    return np.copy(A)


def transpose(A: Any, axes: Optional[Tuple[int, ...]] = None, name: Optional[str] = None) -> Any:
    """``A`` with its axes permuted (reversed by default), like ``numpy.transpose``."""
    return np.transpose(A, axes)


def concat(A: Any, B: Any, axis: int = 0, name: Optional[str] = None) -> Any:
    """``A`` and ``B`` joined along ``axis``."""
    return np.concatenate((A, B), axis=axis)


def tril(A: Any, name: Optional[str] = None) -> Any:
    """The lower triangle of a 2-D array (elements above the diagonal are zero), like
    ``numpy.tril``. Example: ``L = allo.tril(A)``."""
    return np.tril(A)


def view(A: Any, shape: Tuple[int, ...]) -> Any:
    """The elements of ``A`` in row-major order with a new ``shape``."""
    return np.reshape(A, shape)


reshape = view


def ones(shape: Any, dtype: Any = None) -> Any:
    """An array of ones (``dtype``: an Allo type, ``float`` or ``int``; default float32)."""
    return np.ones(shape, dtype=_np_dtype(dtype))


def zeros(shape: Any, dtype: Any = None) -> Any:
    """An array of zeros (``dtype`` as for :func:`ones`)."""
    return np.zeros(shape, dtype=_np_dtype(dtype))


# ------------------------------------------------------------------ NN operators
# In a kernel these lower to calls of allo.library.nn kernels (allo/frontend/nn_calls.py);
# run as plain Python they compute the same thing with numpy.
def relu(X: Any) -> Any:
    """``max(X, 0)`` elementwise. Example: ``Y = allo.relu(X)``."""
    return np.maximum(X, 0).astype(np.asarray(X).dtype)


def softmax(X: Any) -> Any:
    """Softmax over the last axis (numerically stable). Example: ``P = allo.softmax(S)``."""
    e = np.exp(X - np.max(X, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def gelu(X: Any) -> Any:
    """GELU, tanh approximation (``torch.nn.GELU(approximate="tanh")``)."""
    X = np.asarray(X)
    return (0.5 * X * (1.0 + np.tanh(0.7978845608028654 * (X + 0.044715 * X ** 3)))).astype(X.dtype)


def layernorm(X: Any, gamma: Any, beta: Any) -> Any:
    """Layer normalization over the last axis (biased variance, eps 1e-5), then
    ``* gamma + beta``: ``torch.nn.LayerNorm(D)`` in eval mode."""
    X = np.asarray(X)
    mean = np.mean(X, axis=-1, keepdims=True)
    var = np.var(X, axis=-1, keepdims=True)
    return ((X - mean) / np.sqrt(var + 1e-5) * gamma + beta).astype(X.dtype)


def linear(X: Any, W: Any, b: Any = None) -> Any:
    """``X @ W.T + b`` with ``W`` as ``[out, in]`` (``torch.nn.Linear``); ``b`` optional."""
    out = np.matmul(X, np.transpose(W))
    return out if b is None else out + b


def conv2d(A: Any, K: Any) -> Any:
    """2-D cross-correlation, NCHW input ``[N, C, H, W]`` and kernel ``[F, C, KH, KW]``,
    stride 1, no padding, no bias: the result is ``[N, F, H - KH + 1, W - KW + 1]``."""
    A, K = np.asarray(A), np.asarray(K)
    kh, kw = K.shape[2], K.shape[3]
    oh, ow = A.shape[2] - kh + 1, A.shape[3] - kw + 1
    out = np.zeros((A.shape[0], K.shape[0], oh, ow), dtype=np.result_type(A, K))
    for i in range(kh):
        for j in range(kw):
            out += np.einsum("nchw,fc->nfhw", A[:, :, i:i + oh, j:j + ow], K[:, :, i, j])
    return out


def maxpool(A: Any, window: Any) -> Any:
    """Max over each ``window.shape`` window of the NCHW input ``A``, stride 1, no padding
    (only the window's shape matters, as in public Allo)."""
    return _pool(A, window, np.max)


def sumpool(A: Any, window: Any) -> Any:
    """Sum over each ``window.shape`` window of the NCHW input ``A``, stride 1, no padding."""
    return _pool(A, window, np.sum)


def _pool(A: Any, window: Any, reduce: Callable[..., Any]) -> Any:
    A = np.asarray(A)
    kh, kw = np.shape(window)
    win = np.lib.stride_tricks.sliding_window_view(A, (kh, kw), axis=(2, 3))
    return reduce(win, axis=(-2, -1)).astype(A.dtype)


def _np_dtype(dtype: Any) -> Any:
    if dtype is None or dtype is _py.float:
        return np.float32
    if dtype is _py.int:
        return np.int32
    return dtype.numpy_dtype() if hasattr(dtype, "numpy_dtype") else dtype


# Python objects the frontend lowers to IR ops, keyed by identity (id -> op name).
MATH_OPS = {}
for _op, _fns in {
    "exp": (exp, _math.exp, np.exp), "log": (log, _math.log, np.log),
    "log2": (log2, _math.log2, np.log2), "log10": (log10, _math.log10, np.log10),
    "sqrt": (sqrt, _math.sqrt, np.sqrt), "sin": (sin, _math.sin, np.sin),
    "cos": (cos, _math.cos, np.cos), "tan": (tan, _math.tan, np.tan),
    "tanh": (tanh, _math.tanh, np.tanh), "erf": (erf, _math.erf), "floor": (floor, _math.floor, np.floor),
    "ceil": (ceil, _math.ceil, np.ceil), "pow": (pow, _math.pow, np.power, _py.pow),
    "abs": (abs, _py.abs, np.abs, np.absolute),
}.items():
    for _f in _fns:
        MATH_OPS[id(_f)] = _op
