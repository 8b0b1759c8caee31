"""Integer ops (``Int(n)``, ``UInt(n)``, ``index``, ``bool``) on Python ints, bit-exact.

Each entry of :data:`INT_OPS` is a factory ``make(arg_types, result_type) -> fn(*values)``:
the types are fixed once, the returned function only computes. Values are Python ints in
their type's range; results wrap modulo ``2**n`` (docs/semantics.md, "Integers").

Example::

    >>> from allo.ir.types import int8
    >>> INT_OPS["floordiv"]([int8, int8], int8)(-128, -1)   # wraps
    -128
    >>> INT_OPS["shr"]([int8, int8], int8)(-5, 200)         # amount >= width
    -1
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List

from ..ir.types import AlloType, wrap_int
from .casts import make_bitcast
from .values import wrapper as _wrapper

Factory = Callable[[List[AlloType], AlloType], Callable[..., Any]]


def _pattern(t: AlloType) -> Callable[[int], int]:
    """The unsigned ``n``-bit pattern of a value of ``t``."""
    mask = (1 << t.bits) - 1
    return lambda v: v & mask


def _binary(compute: Callable[[int, int], int]) -> Factory:
    def make(arg_types, rt):
        w = _wrapper(rt)
        return lambda a, b: w(compute(a, b))
    return make


def _unary(compute: Callable[[int], int]) -> Factory:
    def make(arg_types, rt):
        w = _wrapper(rt)
        return lambda a: w(compute(a))
    return make


def c_div(a: int, b: int) -> int:
    """C's integer division: the quotient rounded toward zero; ``x / 0`` is 0 (the IR's
    meaning, docs/semantics.md). Example: ``c_div(-7, 2) == -3``."""
    if b == 0:
        return 0
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _make_shl(arg_types, rt):
    w, n, amount = _wrapper(rt), rt.bits, _pattern(arg_types[1])
    def shl(a, k):
        k = amount(k)
        return 0 if k >= n else w(a << k)
    return shl


def _make_shr(arg_types, rt):
    w, n, amount = _wrapper(rt), rt.bits, _pattern(arg_types[1])
    def shr(a, k):
        # Python's >> is arithmetic on negative ints and logical on non-negative ones,
        # which is exactly signed/unsigned shr once the amount is clamped to the width
        return w(a >> min(amount(k), n))
    return shr


def _compare(compute: Callable[[Any, Any], bool]) -> Factory:
    return lambda arg_types, rt: (lambda a, b: 1 if compute(a, b) else 0)


def _make_get_bit(arg_types, rt):
    n, pat, idx = arg_types[0].bits, _pattern(arg_types[0]), _pattern(arg_types[1])
    def get_bit(x, i):
        i = idx(i)
        return 0 if i >= n else (pat(x) >> i) & 1
    return get_bit


def _make_set_bit(arg_types, rt):
    n, w, idx = arg_types[0].bits, _wrapper(rt), _pattern(arg_types[1])
    def set_bit(x, i, b):
        i = idx(i)
        if i >= n:
            return x
        return w((x & ~(1 << i)) | ((b & 1) << i))
    return set_bit


def _make_get_slice(arg_types, rt):
    pat = _pattern(arg_types[0])
    def get_slice(x, lo, hi):
        return (pat(x) >> lo) & ((1 << (hi - lo)) - 1)
    return get_slice


def _make_set_slice(arg_types, rt):
    w = _wrapper(rt)
    def set_slice(x, lo, hi, v):
        field = ((1 << (hi - lo)) - 1) << lo
        return w((x & ~field) | ((v << lo) & field))
    return set_slice


INT_OPS: Dict[str, Factory] = {
    "add": _binary(lambda a, b: a + b),
    "sub": _binary(lambda a, b: a - b),
    "mul": _binary(lambda a, b: a * b),
    "neg": _unary(lambda a: -a),
    "div": _binary(c_div),
    "floordiv": _binary(lambda a, b: 0 if b == 0 else a // b),
    "mod": _binary(lambda a, b: a if b == 0 else a % b),
    "min": _binary(min),
    "max": _binary(max),
    "abs": _unary(abs),
    "and": _binary(lambda a, b: a & b),
    "or": _binary(lambda a, b: a | b),
    "xor": _binary(lambda a, b: a ^ b),
    "not": _unary(lambda a: ~a),
    "shl": _make_shl,
    "shr": _make_shr,
    "land": _compare(lambda a, b: a != 0 and b != 0),
    "lor": _compare(lambda a, b: a != 0 or b != 0),
    "lnot": lambda arg_types, rt: (lambda a: 0 if a else 1),
    "eq": _compare(lambda a, b: a == b),
    "ne": _compare(lambda a, b: a != b),
    "lt": _compare(lambda a, b: a < b),
    "le": _compare(lambda a, b: a <= b),
    "gt": _compare(lambda a, b: a > b),
    "ge": _compare(lambda a, b: a >= b),
    "get_bit": _make_get_bit,
    "set_bit": _make_set_bit,
    "get_slice": _make_get_slice,
    "set_slice": _make_set_slice,
    "bitcast": lambda arg_types, rt: make_bitcast(arg_types[0], rt),
}

__all__ = ["INT_OPS", "wrap_int"]
