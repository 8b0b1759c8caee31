"""PolyBench kernels at small sizes, each with an HLS schedule that Allo proves correct.

Every ``design_<name>()`` returns a customized Schedule (the ``allo verify`` convention), and
``REFERENCES[name]`` computes the same kernel with numpy. ``main()`` verifies each design,
builds it with LLVM, compares the result with numpy and prints a table.

Run: ``python examples/polybench.py`` or ``allo verify examples/polybench.py``.
"""

from __future__ import annotations

import sys
from typing import Callable, Dict, List, Tuple

import numpy as np

import allo
from allo.testing.designs import check_designs, max_difference
from allo.ir.types import float32, int32

# Small sizes: verification is exact symbolic execution of every cell, so the designs stay
# tiny; the schedules are written for the real sizes (factors divide the extents).
N = 8          # square problems
M = 8          # second dimension where PolyBench has one
TSTEPS = 2     # time steps of the stencils
NR, NQ, NP = 4, 4, 8   # doitgen

alpha = 1.5
beta = 1.2


# --------------------------------------------------------------------------- linear algebra

def gemm(A: float32[N, M], B: float32[M, N], C: float32[N, N]):
    """C = alpha * A @ B + beta * C."""
    for i, j in allo.grid(N, N, name="scale"):
        C[i, j] *= beta
    for i, j, k in allo.grid(N, N, M, name="mm"):
        C[i, j] += alpha * A[i, k] * B[k, j]


def design_gemm():
    """Scaling fused into the row loop, k outside j (B read row-wise), a row buffer for C,
    j pipelined and B banked by column."""
    s = allo.customize(gemm)
    s.compute_at("scale:i", "mm:i")
    s.reorder("mm:k", "mm:j")
    s.buffer_at(s.C, axis="mm:i")
    s.pipeline("mm:j")
    s.pipeline("scale:j")
    s.partition(s.B, dim=2)
    return s


def two_mm(A: float32[N, M], B: float32[M, N], C: float32[N, N], D: float32[N, N]):
    """D = alpha * A @ B @ C + beta * D (PolyBench 2mm)."""
    tmp: float32[N, N] = 0.0
    for i, j, k in allo.grid(N, N, M, name="mm1"):
        tmp[i, j] += alpha * A[i, k] * B[k, j]
    for i, j in allo.grid(N, N, name="scale"):
        D[i, j] *= beta
    for i, j, k in allo.grid(N, N, N, name="mm2"):
        D[i, j] += tmp[i, k] * C[k, j]


def design_2mm():
    """Row-wise fusion: both products in (i, k, j) order, the first product's row and D's
    scaling computed inside the second product's row loop, that row of tmp kept on chip."""
    s = allo.customize(two_mm)
    s.reorder("mm1:k", "mm1:j")
    s.reorder("mm2:k", "mm2:j")
    s.compute_at("mm1:i", "mm2:i")
    s.compute_at("scale:i", "mm2:i")
    tmp_row = s.buffer_at(s.tmp, axis="mm2:i")
    s.partition(tmp_row, allo.Partition.Cyclic, dim=1, factor=4)
    s.pipeline("mm1:j")
    s.pipeline("mm2:j")
    s.pipeline("scale:j")
    return s


def three_mm(A: float32[N, M], B: float32[M, N], C: float32[N, M], D: float32[M, N]) -> float32[N, N]:
    """G = (A @ B) @ (C @ D) (PolyBench 3mm)."""
    E: float32[N, N] = 0.0
    F: float32[N, N] = 0.0
    G: float32[N, N] = 0.0
    for i, j, k in allo.grid(N, N, M, name="mmE"):
        E[i, j] += A[i, k] * B[k, j]
    for i, j, k in allo.grid(N, N, M, name="mmF"):
        F[i, j] += C[i, k] * D[k, j]
    for i, j, k in allo.grid(N, N, N, name="mmG"):
        G[i, j] += E[i, k] * F[k, j]
    return G


def design_3mm():
    """Each product tiled 4x4 over (i, j) with the reduction innermost and the tile's column
    loop pipelined; the three products form a dataflow region."""
    s = allo.customize(three_mm)
    for band in ("mmE", "mmF", "mmG"):
        s.split(f"{band}:i", 4)
        s.split(f"{band}:j", 4)
        s.reorder(f"{band}:i.outer", f"{band}:j.outer", f"{band}:i.inner", f"{band}:j.inner")
        s.pipeline(f"{band}:j.inner")
    s.partition(s.F, dim=2)
    s.dataflow("three_mm")
    return s


def atax(A: float32[M, N], x: float32[N]) -> float32[N]:
    """y = A^T (A x)."""
    y: float32[N] = 0.0
    tmp: float32[M] = 0.0
    for i in range(M, name="row"):
        for j in range(N, name="dot"):
            tmp[i] += A[i, j] * x[j]
        for j in range(N, name="axpy"):
            y[j] += A[i, j] * tmp[i]
    return y


def design_atax():
    """Both inner loops pipelined; x and y completely partitioned for full-rate access."""
    s = allo.customize(atax)
    s.pipeline("dot:j")
    s.pipeline("axpy:j")
    s.partition(s.x, dim=1)
    s.partition(s.y, dim=1)
    return s


def bicg(A: float32[N, M], p: float32[M], r: float32[N]) -> (float32[M], float32[N]):
    """s = A^T r and q = A p in one sweep over A."""
    s: float32[M] = 0.0
    q: float32[N] = 0.0
    for i, j in allo.grid(N, M, name="sweep"):
        s[j] += r[i] * A[i, j]
        q[i] += A[i, j] * p[j]
    return s, q


def design_bicg():
    """j pipelined; q accumulates in a register-sized buffer per row; s partitioned."""
    sch = allo.customize(bicg)
    sch.buffer_at(sch.q, axis="i")
    sch.pipeline("j")
    sch.partition(sch.s, dim=1)
    sch.partition(sch.p, dim=1)
    return sch


def mvt(A: float32[N, N], y1: float32[N], y2: float32[N], x1: float32[N], x2: float32[N]):
    """x1 += A y1 and x2 += A^T y2."""
    for i, j in allo.grid(N, N, name="mv1"):
        x1[i] += A[i, j] * y1[j]
    for i, j in allo.grid(N, N, name="mv2"):
        x2[i] += A[j, i] * y2[j]


def design_mvt():
    """Row-wise access of A in both products (mv2 swapped to (j, i)), inner loops pipelined."""
    s = allo.customize(mvt)
    s.reorder("mv2:j", "mv2:i")
    s.pipeline("mv1:j")
    s.pipeline("mv2:i")
    s.partition(s.x2, dim=1)
    return s


def gesummv(A: float32[N, N], B: float32[N, N], x: float32[N]) -> float32[N]:
    """y = alpha * A x + beta * B x."""
    y: float32[N] = 0.0
    for i in range(N, name="row"):
        t: float32 = 0.0
        u: float32 = 0.0
        for j in range(N, name="col"):
            t += A[i, j] * x[j]
            u += B[i, j] * x[j]
        y[i] = alpha * t + beta * u
    return y


def design_gesummv():
    """Inner loop unrolled by 2 and pipelined; x in registers, A and B banked by column pairs."""
    s = allo.customize(gesummv)
    s.unroll("col:j", 2)
    s.pipeline("col:j")
    s.partition(s.x, dim=1)
    s.partition(s.A, allo.Partition.Cyclic, dim=2, factor=2)
    s.partition(s.B, allo.Partition.Cyclic, dim=2, factor=2)
    return s


def syrk(A: float32[N, M], C: float32[N, N]):
    """C = alpha * A A^T + beta * C on the lower triangle."""
    for i in range(N, name="i"):
        for j in range(i + 1, name="scale"):
            C[i, j] *= beta
        for k in range(M, name="update"):
            for j in range(i + 1, name="axpy"):
                C[i, j] += alpha * A[i, k] * A[j, k]


def design_syrk():
    """Triangular inner loops pipelined; A partitioned along k."""
    s = allo.customize(syrk)
    s.pipeline("scale:j")
    s.pipeline("axpy:j")
    s.partition(s.A, dim=2)
    return s


def trmm(A: float32[M, M], B: float32[M, N]):
    """B = alpha * A^T B with A unit lower triangular (PolyBench trmm)."""
    for i, j in allo.grid(M, N, name="outer"):
        for k in range(i + 1, M, name="k"):
            B[i, j] += A[k, i] * B[k, j]
        B[i, j] = alpha * B[i, j]


def design_trmm():
    """The triangular reduction pipelined; B banked by columns."""
    s = allo.customize(trmm)
    s.pipeline("k")
    s.partition(s.B, allo.Partition.Cyclic, dim=2, factor=2)
    return s


def doitgen(A: float32[NR, NQ, NP], C4: float32[NP, NP]):
    """A[r, q, :] = A[r, q, :] @ C4 (PolyBench doitgen), in place through a sum buffer."""
    sum_: float32[NP] = 0.0
    for r, q in allo.grid(NR, NQ, name="rq"):
        for p in range(NP, name="p"):
            sum_[p] = 0.0
            for s in range(NP, name="s"):
                sum_[p] += A[r, q, s] * C4[s, p]
        for p in range(NP, name="wb"):
            A[r, q, p] = sum_[p]


def design_doitgen():
    """The (r, q) row of A kept on chip, reduction pipelined, C4 banked by rows."""
    s = allo.customize(doitgen)
    s.buffer_at(s.A, axis="q")
    s.pipeline("s")
    s.pipeline("wb:p")
    s.partition(s.C4, dim=1)
    return s


# --------------------------------------------------------------------------- stencils / graphs

def jacobi_1d(A: float32[N], B: float32[N]):
    """TSTEPS sweeps of the 3-point Jacobi stencil, ping-ponging between A and B."""
    for t in range(TSTEPS, name="t"):
        for i in range(1, N - 1, name="i1"):
            B[i] = 0.33333 * (A[i - 1] + A[i] + A[i + 1])
        for i in range(1, N - 1, name="i2"):
            A[i] = 0.33333 * (B[i - 1] + B[i] + B[i + 1])


def design_jacobi_1d():
    """Both sweeps read their source through a 3-element shift register (reuse_at)."""
    s = allo.customize(jacobi_1d)
    s.reuse_at(s.A, "i1:i")
    s.reuse_at(s.B, "i2:i")
    s.pipeline("i1:i")
    s.pipeline("i2:i")
    return s


def jacobi_2d(A: float32[N, N], B: float32[N, N]):
    """TSTEPS sweeps of the 5-point Jacobi stencil."""
    for t in range(TSTEPS, name="t"):
        for i in range(1, N - 1, name="rows1"):
            for j in range(1, N - 1, name="cols1"):
                B[i, j] = 0.2 * (A[i, j] + A[i, j - 1] + A[i, j + 1] + A[i + 1, j] + A[i - 1, j])
        for i in range(1, N - 1, name="rows2"):
            for j in range(1, N - 1, name="cols2"):
                A[i, j] = 0.2 * (B[i, j] + B[i, j - 1] + B[i, j + 1] + B[i + 1, j] + B[i - 1, j])


def design_jacobi_2d():
    """Line buffers (3 rows) and 3 x 3 windows over them for the sources of both sweeps; the
    column loops pipelined."""
    s = allo.customize(jacobi_2d)
    lines_a = s.reuse_at(s.A, "rows1:i")
    s.reuse_at(lines_a, "cols1:j")
    lines_b = s.reuse_at(s.B, "rows2:i")
    s.reuse_at(lines_b, "cols2:j")
    s.pipeline("cols1:j")
    s.pipeline("cols2:j")
    return s


def seidel_2d(A: float32[N, N]):
    """TSTEPS in-place Gauss-Seidel sweeps of the 9-point stencil."""
    for t in range(TSTEPS, name="t"):
        for i in range(1, N - 1, name="rows"):
            for j in range(1, N - 1, name="cols"):
                A[i, j] = (A[i - 1, j - 1] + A[i - 1, j] + A[i - 1, j + 1]
                           + A[i, j - 1] + A[i, j] + A[i, j + 1]
                           + A[i + 1, j - 1] + A[i + 1, j] + A[i + 1, j + 1]) / 9.0


def design_seidel_2d():
    """In-place updates carry dependences in both loops: only pipelining (II 2) applies."""
    s = allo.customize(seidel_2d)
    s.pipeline("j", initiation_interval=2)
    return s


def floyd_warshall(path: int32[N, N]):
    """All-pairs shortest paths, in place."""
    for k, i, j in allo.grid(N, N, N, name="relax"):
        path[i, j] = min(path[i, j], path[i, k] + path[k, j])


def design_floyd_warshall():
    """j split by 4, the inner part pipelined, with rows of path banked in pairs."""
    s = allo.customize(floyd_warshall)
    s.split("j", 4)
    s.pipeline("j.inner")
    s.partition(s.path, allo.Partition.Cyclic, dim=2, factor=2)
    return s


# --------------------------------------------------------------------------- numpy references

def _f32(x) -> np.float32:
    return np.float32(x)


def ref_gemm(A, B, C):
    C[:] = C * _f32(beta) + (_f32(alpha) * A) @ B


def ref_2mm(A, B, C, D):
    tmp = (_f32(alpha) * A) @ B
    D[:] = D * _f32(beta) + tmp @ C


def ref_3mm(A, B, C, D):
    return (A @ B) @ (C @ D)


def ref_atax(A, x):
    return A.T @ (A @ x)


def ref_bicg(A, p, r):
    return [A.T @ r, A @ p]


def ref_mvt(A, y1, y2, x1, x2):
    x1 += A @ y1
    x2 += A.T @ y2


def ref_gesummv(A, B, x):
    return _f32(alpha) * (A @ x) + _f32(beta) * (B @ x)


def ref_syrk(A, C):
    full = C * _f32(beta) + _f32(alpha) * (A @ A.T)
    low = np.tril_indices(N)
    C[low] = full[low]


def ref_trmm(A, B):
    strict = np.tril(A, -1)   # A[k, i] for k > i; the unit diagonal is implicit
    B[:] = _f32(alpha) * (B + strict.T @ B)


def ref_doitgen(A, C4):
    A[:] = A @ C4


def ref_jacobi_1d(A, B):
    for _ in range(TSTEPS):
        B[1:-1] = _f32(0.33333) * (A[:-2] + A[1:-1] + A[2:])
        A[1:-1] = _f32(0.33333) * (B[:-2] + B[1:-1] + B[2:])


def ref_jacobi_2d(A, B):
    for _ in range(TSTEPS):
        B[1:-1, 1:-1] = _f32(0.2) * (A[1:-1, 1:-1] + A[1:-1, :-2] + A[1:-1, 2:] + A[2:, 1:-1] + A[:-2, 1:-1])
        A[1:-1, 1:-1] = _f32(0.2) * (B[1:-1, 1:-1] + B[1:-1, :-2] + B[1:-1, 2:] + B[2:, 1:-1] + B[:-2, 1:-1])


def ref_seidel_2d(A):
    for _ in range(TSTEPS):
        for i in range(1, N - 1):
            for j in range(1, N - 1):
                A[i, j] = A[i - 1:i + 2, j - 1:j + 2].sum() / _f32(9.0)


def ref_floyd_warshall(path):
    for k in range(N):
        path[:] = np.minimum(path, path[:, k:k + 1] + path[k:k + 1, :])


# name -> (design, reference, input shapes (float32 unless the dtype says otherwise))
Inputs = List[Tuple[Tuple[int, ...], type]]
F = np.float32
KERNELS: Dict[str, Tuple[Callable, Callable, Inputs]] = {
    "gemm": (design_gemm, ref_gemm, [((N, M), F), ((M, N), F), ((N, N), F)]),
    "2mm": (design_2mm, ref_2mm, [((N, M), F), ((M, N), F), ((N, N), F), ((N, N), F)]),
    "3mm": (design_3mm, ref_3mm, [((N, M), F), ((M, N), F), ((N, M), F), ((M, N), F)]),
    "atax": (design_atax, ref_atax, [((M, N), F), ((N,), F)]),
    "bicg": (design_bicg, ref_bicg, [((N, M), F), ((M,), F), ((N,), F)]),
    "mvt": (design_mvt, ref_mvt, [((N, N), F), ((N,), F), ((N,), F), ((N,), F), ((N,), F)]),
    "gesummv": (design_gesummv, ref_gesummv, [((N, N), F), ((N, N), F), ((N,), F)]),
    "syrk": (design_syrk, ref_syrk, [((N, M), F), ((N, N), F)]),
    "trmm": (design_trmm, ref_trmm, [((M, M), F), ((M, N), F)]),
    "doitgen": (design_doitgen, ref_doitgen, [((NR, NQ, NP), F), ((NP, NP), F)]),
    "jacobi_1d": (design_jacobi_1d, ref_jacobi_1d, [((N,), F), ((N,), F)]),
    "jacobi_2d": (design_jacobi_2d, ref_jacobi_2d, [((N, N), F), ((N, N), F)]),
    "seidel_2d": (design_seidel_2d, ref_seidel_2d, [((N, N), F)]),
    "floyd_warshall": (design_floyd_warshall, ref_floyd_warshall, [((N, N), np.int32)]),
}


def random_inputs(shapes: Inputs, seed: int = 0) -> List[np.ndarray]:
    """Random inputs of the given shapes: floats in [0, 1), integers in [0, 100).

    Example: ``random_inputs([((4,), np.float32)])`` -> ``[array([...], dtype=float32)]``
    """
    rng = np.random.default_rng(seed)
    out = []
    for shape, dtype in shapes:
        if np.issubdtype(dtype, np.integer):
            out.append(rng.integers(0, 100, size=shape).astype(dtype))
        else:
            out.append(rng.random(shape, dtype=np.float32).astype(dtype))
    return out


def run_and_compare(s, reference: Callable, shapes: Inputs, target: str = "llvm", seed: int = 0,
                    **build_options) -> float:
    """Build ``s`` for ``target`` (``build_options`` such as ``mode="csim", project=DIR`` are
    passed on), run it and ``reference`` on the same random inputs and return the largest
    absolute difference over every output.
    Example: ``run_and_compare(design_gemm(), ref_gemm, KERNELS["gemm"][2])``."""
    return max_difference(s, reference, random_inputs(shapes, seed), target, **build_options)


def main() -> int:
    """Verify, build and check every kernel; print a table. Returns the process exit code."""
    return check_designs("kernel", KERNELS, random_inputs, tolerance=1e-4)


if __name__ == "__main__":
    sys.exit(main())
