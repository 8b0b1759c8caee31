"""Python kernels (parsed by the frontend) for the completeness and mutation campaigns.

Each entry of :data:`SCHEDULES` names a kernel and a schedule to apply to it; every pair
must verify equivalent to the plain kernel. Example: ``build("gemm", "split_k")``.
"""

from __future__ import annotations

import allo
from allo.ir.types import float32, int8, int16, int32

N = 8


def gemm(A: int8[N, N], B: int8[N, N], C: int16[N, N]):
    for i, j in allo.grid(N, N, name="PE"):
        for k in range(N):
            C[i, j] += A[i, k] * B[k, j]


def stencil(A: int32[N, N], B: int32[N, N]):
    for i, j in allo.grid(N - 2, N - 2, name="S"):
        B[i + 1, j + 1] = A[i, j + 1] + A[i + 1, j] + A[i + 1, j + 1] + A[i + 1, j + 2] + A[i + 2, j + 1]


def conv2d(X: int8[N, N], W: int8[3, 3], Y: int32[N - 2, N - 2]):
    for y, x in allo.grid(N - 2, N - 2, name="C"):
        acc: int32 = 0
        for r, c in allo.reduction(3, 3):
            acc += X[y + r, x + c] * W[r, c]
        Y[y, x] = acc


def scale(v: int32) -> int32:
    return v * 3 - 1


def multi(A: int32[N, N], B: int32[N, N]):
    for i, j in allo.grid(N, N, name="M"):
        B[i, j] = scale(A[i, j]) + A[j, i]


def fgemm(A: float32[N, N], B: float32[N, N]) -> float32[N, N]:
    C: float32[N, N] = 0.0
    for i, j, k in allo.grid(N, N, N, name="F"):
        C[i, j] += A[i, k] * B[k, j]
    return C


def relu_sum(A: int16[N, N], out: int32[N]):
    for i in range(N, name="R"):
        s: int32 = 0
        for j in range(N):
            if A[i, j] > 0:
                s += A[i, j]
            else:
                s -= 1
        out[i] = s


KERNELS = {"gemm": gemm, "stencil": stencil, "conv2d": conv2d, "multi": multi,
           "fgemm": fgemm, "relu_sum": relu_sum}

# kernel -> schedules: each a list of (primitive, args)
SCHEDULES = {
    "gemm": {"reorder_kj": [("reorder", ("k", "j"))], "split_k": [("split", ("k", 3))],
             "split_j4": [("split", ("j", 4))], "fuse_ij": [("fuse", ("i", "j"))],
             "tile": [("tile", ("i", "j", 2, 4))], "parallel_i": [("parallel", ("i",))],
             "reorder_ki": [("reorder", ("k", "i"))],
             "split_tile": [("split", ("k", 4)), ("reorder", ("k.outer", "j"))]},
    "stencil": {"split_j": [("split", ("j", 4))], "reorder": [("reorder", ("j", "i"))],
                "fuse": [("fuse", ("i", "j"))], "tile": [("tile", ("i", "j", 2, 3))],
                "parallel": [("parallel", ("i",))]},
    "conv2d": {"split_x": [("split", ("x", 4))], "split_y3": [("split", ("y", 3))],
               "fuse": [("fuse", ("y", "x"))], "split_r": [("split", ("r", 2))]},
    "multi": {"split_i": [("split", ("i", 3))], "split_j": [("split", ("j", 4))],
              "fuse": [("fuse", ("i", "j"))]},
    "fgemm": {"split_k": [("split", ("k", 4))], "reorder_ji": [("reorder", ("j", "i"))],
              "split_i": [("split", ("i", 3))]},
    "relu_sum": {"split_i": [("split", ("i", 4))], "split_j": [("split", ("j", 3))],
                 "split_both": [("split", ("i", 4)), ("split", ("j", 3))]},
}

# loop interchanges the reorder primitive's conservative side condition refuses (it sees a
# dependence through a scalar that is in fact re-initialised per iteration); done by hand
# on the IR, the whole-design verifier proves them
FORCED = {"conv2d": "y", "multi": "i"}


def interchange(mod, outer: str):
    """Swap the headers of loop ``outer`` and the loop directly inside it (on a copy)."""
    from allo.ir.nodes import For, walk_stmts

    mod = mod.copy()
    for f in mod.funcs.values():
        for s in walk_stmts(f.body):
            if isinstance(s, For) and s.name == outer:
                inner = s.body[0]
                for attr in ("var", "lo", "hi", "step", "name"):
                    a, b = getattr(s, attr), getattr(inner, attr)
                    setattr(s, attr, b)
                    setattr(inner, attr, a)
                return mod
    raise KeyError(outer)


def build(kernel: str, schedule: str = "", forced: bool = False):
    """(original IR, scheduled IR, schedule) of ``kernel`` under ``SCHEDULES[kernel][schedule]``
    (``forced``: the unchecked :data:`FORCED` steps instead)."""
    s = allo.customize(KERNELS[kernel])
    if forced:
        return s.original, interchange(s.ir, FORCED[kernel]), s
    for prim, args in SCHEDULES[kernel].get(schedule, []):
        getattr(s, prim)(*args)
    return s.original, s.ir, s
