"""Float ops (``float16``, ``bfloat16``, ``float32``, ``float64``) on numpy scalars.

Each op is computed in its type with IEEE round-to-nearest-even, op by op. numpy's scalar
``+ - * /`` on float32/float64 are IEEE; float16 and bfloat16 are computed in float32 and
rounded once more, which is exact for these ops (float32 has more than ``2p + 2`` bits).
Math intrinsics are the C library's double function (Python's :mod:`math`) rounded once to
the type, with C's special values where Python would raise (``log(0) = -inf``, ...).

The returned functions do not silence numpy's floating-point warnings; callers that run
many ops wrap them in one ``np.errstate(all="ignore")``.

Example::

    >>> import numpy as np
    >>> from allo.ir.types import float32
    >>> FLOAT_OPS["min"]([float32, float32], float32)(np.float32(0.0), np.float32(-0.0))
    np.float32(-0.0)
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict

import numpy as np

from .int_ops import Factory
from .casts import make_bitcast
from .values import make_float


def _binary(compute: Callable[[Any, Any], Any]) -> Factory:
    return lambda arg_types, rt: compute


def _compare(compute: Callable[[Any, Any], bool]) -> Factory:
    return lambda arg_types, rt: (lambda a, b: 1 if compute(a, b) else 0)


def _make_floordiv(arg_types, rt):
    return lambda a, b: np.floor(a / b)


def _make_mod(arg_types, rt):
    kind = rt.kind

    def mod(a, b):
        r = make_float(float(np.fmod(np.float64(a), np.float64(b))), kind)  # fmod is exact
        if r != 0 and (r < 0) != (b < 0):
            r = r + b
        return r
    return mod


def _make_minmax(want_min: bool) -> Factory:
    def make(arg_types, rt):
        def pick(a, b):
            if a != a:
                return a
            if b != b:
                return b
            if a == b:  # equal, possibly zeros of different signs: -0 < +0
                a_neg = bool(np.signbit(a))
                return (a if a_neg else b) if want_min else (b if a_neg else a)
            return (a if a < b else b) if want_min else (a if a > b else b)
        return pick
    return make


# ---------------------------------------------------------------- math intrinsics
def _libm_log(fn: Callable[[float], float]) -> Callable[[float], float]:
    def log(x: float) -> float:
        if x != x or x > 0:
            return fn(x)
        return -math.inf if x == 0 else math.nan
    return log


def _libm_exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _libm_sqrt(x: float) -> float:
    return math.nan if x < 0 else math.sqrt(x)


def _libm_trig(fn: Callable[[float], float]) -> Callable[[float], float]:
    def trig(x: float) -> float:
        return math.nan if math.isinf(x) else fn(x)
    return trig


def _is_odd_integer(y: float) -> bool:
    return math.isfinite(y) and y == math.floor(y) and math.fmod(y, 2.0) != 0.0


def _libm_pow(x: float, y: float) -> float:
    try:
        return math.pow(x, y)
    except ZeroDivisionError:  # pragma: no cover - older Pythons
        pass
    except ValueError:
        if x == 0.0 and y < 0:  # pole: +-inf, signed like x only for odd integer y
            return math.copysign(math.inf, x) if _is_odd_integer(y) else math.inf
        return math.nan  # negative base, non-integer exponent
    except OverflowError:
        return -math.inf if x < 0 and _is_odd_integer(y) else math.inf
    return math.inf  # pragma: no cover


def _intrinsic(fn: Callable[..., float]) -> Factory:
    def make(arg_types, rt):
        kind = rt.kind
        if len(arg_types) == 1:
            return lambda a: make_float(fn(float(a)), kind)
        return lambda a, b: make_float(fn(float(a), float(b)), kind)
    return make


FLOAT_OPS: Dict[str, Factory] = {
    "add": _binary(lambda a, b: a + b),
    "sub": _binary(lambda a, b: a - b),
    "mul": _binary(lambda a, b: a * b),
    "div": _binary(lambda a, b: a / b),
    "neg": lambda arg_types, rt: (lambda a: -a),
    "abs": lambda arg_types, rt: (lambda a: abs(a)),
    "floordiv": _make_floordiv,
    "mod": _make_mod,
    "min": _make_minmax(True),
    "max": _make_minmax(False),
    "eq": _compare(lambda a, b: a == b),
    "ne": _compare(lambda a, b: a != b),
    "lt": _compare(lambda a, b: a < b),
    "le": _compare(lambda a, b: a <= b),
    "gt": _compare(lambda a, b: a > b),
    "ge": _compare(lambda a, b: a >= b),
    "exp": _intrinsic(_libm_exp),
    "log": _intrinsic(_libm_log(math.log)),
    "log2": _intrinsic(_libm_log(math.log2)),
    "log10": _intrinsic(_libm_log(math.log10)),
    "sqrt": _intrinsic(_libm_sqrt),
    "sin": _intrinsic(_libm_trig(math.sin)),
    "cos": _intrinsic(_libm_trig(math.cos)),
    "tan": _intrinsic(_libm_trig(math.tan)),
    "tanh": _intrinsic(math.tanh),
    "erf": _intrinsic(math.erf),  # CPython calls the C library's erf, as LLVM and HLS do
    "pow": _intrinsic(_libm_pow),
    "floor": lambda arg_types, rt: (lambda a: np.floor(a)),
    "ceil": lambda arg_types, rt: (lambda a: np.ceil(a)),
    "bitcast": lambda arg_types, rt: make_bitcast(arg_types[0], rt),
}

__all__ = ["FLOAT_OPS"]
