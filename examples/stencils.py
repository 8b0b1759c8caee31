"""Stencils with reuse buffers: every design reads its input once through a shift register,
a line buffer or a window buffer created by ``reuse_at``, and Allo proves it equivalent.

Every ``design_<name>()`` returns a Schedule (the ``allo verify`` convention) and
``STENCILS[name]`` pairs it with a numpy reference; ``main()`` verifies every design, builds it
with LLVM, compares with numpy and prints a table.

Run: ``python examples/stencils.py`` or ``allo verify examples/stencils.py``.
"""

from __future__ import annotations

import sys
from typing import Callable, Dict, List, Tuple

import numpy as np

import allo
from allo.testing.designs import check_designs, max_difference
from allo.ir.types import float32, int32

L = 16          # 1-D signal length
H, W = 8, 10    # 2-D image
TAPS = 4        # FIR taps


def blur1d(A: float32[L]) -> float32[L - 2]:
    """Three-point moving average."""
    B: float32[L - 2] = 0.0
    for x in range(L - 2):
        B[x] = (A[x] + A[x + 1] + A[x + 2]) / 3.0
    return B


def design_blur1d():
    """A 3-element shift register for A; one new sample per iteration."""
    s = allo.customize(blur1d)
    s.reuse_at(s.A, "x")
    s.pipeline("x")
    return s


def fir(A: int32[L], taps: int32[TAPS]) -> int32[L - TAPS + 1]:
    """Integer FIR filter: y[x] = sum_t A[x + t] * taps[t]."""
    y: int32[L - TAPS + 1] = 0
    for x in range(L - TAPS + 1):
        acc: int32 = 0
        for t in allo.reduction(TAPS):
            acc += A[x + t] * taps[t]
        y[x] = acc
    return y


def design_fir():
    """Shift register for the signal, taps in registers, tap loop unrolled, x pipelined."""
    s = allo.customize(fir)
    s.reuse_at(s.A, "x")
    s.partition(s.taps, dim=1)
    s.unroll("t")
    s.pipeline("x")
    return s


def blur2d(A: float32[H, W]) -> float32[H - 2, W - 2]:
    """3 x 3 box filter."""
    B: float32[H - 2, W - 2] = 0.0
    for y, x in allo.grid(H - 2, W - 2):
        v: float32 = 0.0
        for r, c in allo.reduction(3, 3):
            v += A[y + r, x + c]
        B[y, x] = v / 9.0
    return B


def design_blur2d():
    """Line buffer (3 rows) at y, then a 3 x 3 window over the line buffer at x."""
    s = allo.customize(blur2d)
    lines = s.reuse_at(s.A, "y")
    window = s.reuse_at(lines, "x")
    s.partition(window, dim=0)
    s.pipeline("x")
    return s


def laplace(A: int32[H, W]) -> int32[H - 2, W - 2]:
    """5-point integer Laplacian."""
    B: int32[H - 2, W - 2] = 0
    for y, x in allo.grid(H - 2, W - 2):
        B[y, x] = A[y, x + 1] + A[y + 1, x] + A[y + 1, x + 2] + A[y + 2, x + 1] - 4 * A[y + 1, x + 1]
    return B


def design_laplace():
    """Line buffer at y only (a cross-shaped stencil reads 3 rows), x pipelined."""
    s = allo.customize(laplace)
    s.reuse_at(s.A, "y")
    s.pipeline("x")
    return s


def ref_blur1d(A):
    return (A[:-2] + A[1:-1] + A[2:]) / np.float32(3.0)


def ref_fir(A, taps):
    n = L - TAPS + 1
    return sum(A[t:t + n].astype(np.int64) * taps[t] for t in range(TAPS)).astype(np.int32)


def ref_blur2d(A):
    v = np.zeros((H - 2, W - 2), dtype=np.float32)
    for r in range(3):
        for c in range(3):
            v += A[r:r + H - 2, c:c + W - 2]
    return v / np.float32(9.0)


def ref_laplace(A):
    A = A.astype(np.int64)
    out = A[:-2, 1:-1] + A[1:-1, :-2] + A[1:-1, 2:] + A[2:, 1:-1] - 4 * A[1:-1, 1:-1]
    return out.astype(np.int32)


Inputs = List[Tuple[Tuple[int, ...], type]]
STENCILS: Dict[str, Tuple[Callable, Callable, Inputs]] = {
    "blur1d": (design_blur1d, ref_blur1d, [((L,), np.float32)]),
    "fir": (design_fir, ref_fir, [((L,), np.int32), ((TAPS,), np.int32)]),
    "blur2d": (design_blur2d, ref_blur2d, [((H, W), np.float32)]),
    "laplace": (design_laplace, ref_laplace, [((H, W), np.int32)]),
}


def random_inputs(shapes: Inputs, seed: int = 0) -> List[np.ndarray]:
    """Floats in [0, 1), integers in [-50, 50). Example: ``random_inputs([((4,), np.int32)])``."""
    rng = np.random.default_rng(seed)
    return [rng.integers(-50, 50, size=shape).astype(dtype) if np.issubdtype(dtype, np.integer)
            else rng.random(shape, dtype=np.float32) for shape, dtype in shapes]


def run_and_compare(s, reference: Callable, shapes: Inputs, target: str = "llvm", seed: int = 0,
                    **build_options) -> float:
    """Build ``s`` for ``target`` (``build_options`` such as ``mode="csim", project=DIR`` are
    passed on), run it and ``reference`` on the same random inputs and return the largest
    absolute difference over every output.
    Example: ``run_and_compare(design_blur1d(), ref_blur1d, [((16,), np.float32)])``."""
    return max_difference(s, reference, random_inputs(shapes, seed), target, **build_options)


def main() -> int:
    """Verify, build and check every stencil; print a table. Returns the process exit code."""
    return check_designs("stencil", STENCILS, random_inputs, tolerance=1e-5)


if __name__ == "__main__":
    sys.exit(main())
