"""CLI fixture: two designs proved equivalent."""
import allo
from allo.ir.types import int32


def add_rows(A: int32[4, 4]) -> int32[4, 4]:
    B: int32[4, 4] = 0
    for i, j in allo.grid(4, 4):
        B[i, j] = A[i, j] + 1
    return B


def design_split():
    s = allo.customize(add_rows)
    s.split("j", 2)
    return s


def design_pipelined():
    s = allo.customize(add_rows)
    s.pipeline("j")
    return s
