"""CLI fixture: a design that exits 0, one that ends its process, one that prints, and a
wrong one (the gate must still say "not equivalent")."""
import os
import sys

import allo
from allo.ir.types import int32

print("stray output at import")


def inc(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        B[i] = A[i] + 1
    return B


def design_exits():
    sys.exit(0)


def design_ends_process():
    sys.stdout.flush()
    os._exit(0)


def design_prints():
    print("{not json")
    os.write(1, b"raw bytes on fd 1\n")
    return allo.customize(inc)


def design_wrong():
    s = allo.customize(inc)
    s.split("i", 2)
    inner = s.ir.top_func.loops()[1]
    inner.hi = type(inner.hi)(1, inner.hi.type)  # drop half the iterations by hand
    return s
