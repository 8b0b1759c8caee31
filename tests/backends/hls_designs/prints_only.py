"""CLI fixture: an equivalent design that prints while it is built."""
import allo
from allo.ir.types import int32


def inc(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        B[i] = A[i] + 1
    return B


def design_prints():
    print("hello from the design")
    s = allo.customize(inc)
    s.split("i", 2)
    return s
