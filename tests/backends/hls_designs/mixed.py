"""CLI fixture: one design proved wrong, one that fails, two malformed designs."""
import allo
from allo.ir.types import int32


def inc(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        B[i] = A[i] + 1
    return B


def design_wrong():
    s = allo.customize(inc)
    s.split("i", 2)
    inner = s.ir.top_func.loops()[1]
    inner.hi = type(inner.hi)(1, inner.hi.type)  # drop half the iterations by hand
    return s


def design_not_a_schedule():
    return 42


def design_needs_arguments(n):
    return allo.customize(inc)
