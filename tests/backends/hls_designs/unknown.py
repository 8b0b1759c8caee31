"""CLI fixture: a design the verifier cannot decide (data-dependent while loop)."""
import allo
from allo.ir.types import int32


def bits(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        x: int32 = A[i]
        n: int32 = 0
        while x > 0:
            x = x // 2
            n = n + 1
        B[i] = n
    return B


def design_while():
    s = allo.customize(bits)
    # a real rewrite (identical programs would be trivially equivalent), applied unchecked so
    # that no certificate chain proves it either: only full execution could, and it cannot
    s.split("i", 2, unchecked=True)
    return s
