"""PolyBench solvers, dynamic programming and stencils (the ones ``polybench.py`` does not
have): durbin, lu, ludcmp, nussinov, deriche, fdtd-2d, heat-3d, adi.

Same conventions as ``examples/polybench.py``: every ``design_<name>()`` returns a
customized Schedule that ``s.verify()`` proves equal to the plain kernel, and
``KERNELS[name]`` pairs it with a numpy reference and its input shapes. The kernels follow
the PolyBench/C 4.2 algorithms at small sizes; LU inputs are diagonally dominant (no
pivoting needed), Durbin's autocorrelation is small (the recurrence stays bounded).

Run: ``python examples/polybench_solvers.py`` or ``allo verify examples/polybench_solvers.py``.
"""

from __future__ import annotations

import math
import sys
from typing import Callable, Dict, List, Tuple

import numpy as np

import allo
from allo.ir.types import float32, int32
from allo.testing.designs import check_designs, matrix_inputs, max_difference

N = 8          # square problems, sequence length
S3 = 5         # heat-3d cube edge
TSTEPS = 2
NX, NY, TMAX = 6, 6, 2   # fdtd-2d
W, H = 6, 8              # deriche image


# --------------------------------------------------------------------------- solvers

def durbin(r: float32[N]) -> float32[N]:
    """Levinson-Durbin recursion: y with Toeplitz(1, r) y = -r."""
    y: float32[N] = 0.0
    z: float32[N] = 0.0
    y[0] = -r[0]
    beta: float32 = 1.0
    alpha: float32 = -r[0]
    for k in range(1, N, name="step"):
        beta = (1.0 - alpha * alpha) * beta
        acc: float32 = 0.0
        for i in range(k, name="dot"):
            acc += r[k - i - 1] * y[i]
        alpha = -(r[k] + acc) / beta
        for i in range(k, name="upd"):
            z[i] = y[i] + alpha * y[k - i - 1]
        for i in range(k, name="copy"):
            y[i] = z[i]
        y[k] = alpha
    return y


def design_durbin():
    """The three inner loops pipelined; y and z completely partitioned (y is read forward
    and backward in the same iteration)."""
    s = allo.customize(durbin)
    for band in ("dot", "upd", "copy"):
        s.pipeline(f"{band}:i")
    s.partition(s.y, dim=1)
    s.partition(s.z, dim=1)
    return s


def lu(A: float32[N, N]):
    """In-place LU decomposition without pivoting (L unit lower, U upper)."""
    for i in range(N, name="row"):
        for j in range(i, name="lower"):
            for k in range(j, name="ldot"):
                A[i, j] -= A[i, k] * A[k, j]
            A[i, j] = A[i, j] / A[j, j]
        for j in range(i, N, name="upper"):
            for k in range(i, name="udot"):
                A[i, j] -= A[i, k] * A[k, j]


def design_lu():
    """Both reductions pipelined; A banked by column pairs."""
    s = allo.customize(lu)
    s.pipeline("ldot:k")
    s.pipeline("udot:k")
    s.partition(s.A, allo.Partition.Cyclic, dim=2, factor=2)
    return s


def ludcmp(A: float32[N, N], b: float32[N]) -> float32[N]:
    """Solve A x = b: LU decomposition in place, then forward and back substitution."""
    y: float32[N] = 0.0
    x: float32[N] = 0.0
    for i in range(N, name="row"):
        for j in range(i, name="lower"):
            w: float32 = A[i, j]
            for k in range(j, name="ldot"):
                w -= A[i, k] * A[k, j]
            A[i, j] = w / A[j, j]
        for j in range(i, N, name="upper"):
            w: float32 = A[i, j]
            for k in range(i, name="udot"):
                w -= A[i, k] * A[k, j]
            A[i, j] = w
    for i in range(N, name="fwd"):
        w: float32 = b[i]
        for j in range(i, name="fdot"):
            w -= A[i, j] * y[j]
        y[i] = w
    for i in range(N - 1, -1, -1, name="back"):
        w: float32 = y[i]
        for j in range(i + 1, N, name="bdot"):
            w -= A[i, j] * x[j]
        x[i] = w / A[i, i]
    return x


def design_ludcmp():
    """Every reduction pipelined; the solution vectors in registers."""
    s = allo.customize(ludcmp)
    for band in ("ldot:k", "udot:k", "fdot:j", "bdot:j"):
        s.pipeline(band)
    s.partition(s.y, dim=1)
    s.partition(s.x, dim=1)
    return s


def nussinov(seq: int32[N], table: int32[N, N]):
    """RNA folding (Nussinov): the maximum number of base pairs of every subsequence."""
    for i in range(N - 1, -1, -1, name="start"):
        for j in range(i + 1, N, name="end"):
            if j - 1 >= 0:
                if table[i, j - 1] > table[i, j]:
                    table[i, j] = table[i, j - 1]
            if i + 1 < N:
                if table[i + 1, j] > table[i, j]:
                    table[i, j] = table[i + 1, j]
            if j - 1 >= 0 and i + 1 < N:
                pair: int32 = 0
                if i < j - 1 and seq[i] + seq[j] == 3:
                    pair = 1
                if table[i + 1, j - 1] + pair > table[i, j]:
                    table[i, j] = table[i + 1, j - 1] + pair
            for k in range(i + 1, j, name="split"):
                if table[i, k] + table[k + 1, j] > table[i, j]:
                    table[i, j] = table[i, k] + table[k + 1, j]


def design_nussinov():
    """The split-point maximum pipelined; the table banked by row pairs."""
    s = allo.customize(nussinov)
    s.pipeline("split:k")
    s.partition(s.table, allo.Partition.Cyclic, dim=1, factor=2)
    return s


# --------------------------------------------------------------------------- image / stencils

_ALPHA = 0.25
_K = ((1.0 - math.exp(-_ALPHA)) ** 2
      / (1.0 + 2.0 * _ALPHA * math.exp(-_ALPHA) - math.exp(2.0 * _ALPHA)))
A1 = _K
A2 = _K * math.exp(-_ALPHA) * (_ALPHA - 1.0)
A3 = _K * math.exp(-_ALPHA) * (_ALPHA + 1.0)
A4 = -_K * math.exp(-2.0 * _ALPHA)
B1 = 2.0 ** (-_ALPHA)
B2 = -math.exp(-2.0 * _ALPHA)


def deriche(img: float32[W, H]) -> float32[W, H]:
    """Deriche recursive edge filter: causal and anti-causal passes along rows, then
    along columns."""
    y1: float32[W, H] = 0.0
    y2: float32[W, H] = 0.0
    out: float32[W, H] = 0.0
    for i in range(W, name="rowf"):
        ym1: float32 = 0.0
        ym2: float32 = 0.0
        xm1: float32 = 0.0
        for j in range(H, name="rowf_j"):
            y1[i, j] = A1 * img[i, j] + A2 * xm1 + B1 * ym1 + B2 * ym2
            xm1 = img[i, j]
            ym2 = ym1
            ym1 = y1[i, j]
    for i in range(W, name="rowb"):
        yp1: float32 = 0.0
        yp2: float32 = 0.0
        xp1: float32 = 0.0
        xp2: float32 = 0.0
        for j in range(H - 1, -1, -1, name="rowb_j"):
            y2[i, j] = A3 * xp1 + A4 * xp2 + B1 * yp1 + B2 * yp2
            xp2 = xp1
            xp1 = img[i, j]
            yp2 = yp1
            yp1 = y2[i, j]
    for i, j in allo.grid(W, H, name="sum1"):
        out[i, j] = y1[i, j] + y2[i, j]
    for j in range(H, name="colf"):
        tm1: float32 = 0.0
        ym1: float32 = 0.0
        ym2: float32 = 0.0
        for i in range(W, name="colf_i"):
            y1[i, j] = A1 * out[i, j] + A2 * tm1 + B1 * ym1 + B2 * ym2
            tm1 = out[i, j]
            ym2 = ym1
            ym1 = y1[i, j]
    for j in range(H, name="colb"):
        tp1: float32 = 0.0
        tp2: float32 = 0.0
        yp1: float32 = 0.0
        yp2: float32 = 0.0
        for i in range(W - 1, -1, -1, name="colb_i"):
            y2[i, j] = A3 * tp1 + A4 * tp2 + B1 * yp1 + B2 * yp2
            tp2 = tp1
            tp1 = out[i, j]
            yp2 = yp1
            yp1 = y2[i, j]
    for i, j in allo.grid(W, H, name="sum2"):
        out[i, j] = y1[i, j] + y2[i, j]
    return out


def design_deriche():
    """The row sums split into halves of the row and pipelined, recursive passes
    pipelined along the scan."""
    s = allo.customize(deriche)
    s.split("sum1:j", 4)
    s.pipeline("sum1:j.inner")
    s.pipeline("sum2:j")
    for band in ("rowf_j:j", "rowb_j:j", "colf_i:i", "colb_i:i"):
        s.pipeline(band)
    return s


def fdtd_2d(ex: float32[NX, NY], ey: float32[NX, NY], hz: float32[NX, NY], fict: float32[TMAX]):
    """2-D finite-difference time domain: E and H field updates for TMAX steps."""
    for t in range(TMAX, name="time"):
        for j in range(NY, name="src"):
            ey[0, j] = fict[t]
        for i, j in allo.grid(NX - 1, NY, name="ey"):
            ey[i + 1, j] = ey[i + 1, j] - 0.5 * (hz[i + 1, j] - hz[i, j])
        for i, j in allo.grid(NX, NY - 1, name="ex"):
            ex[i, j + 1] = ex[i, j + 1] - 0.5 * (hz[i, j + 1] - hz[i, j])
        for i, j in allo.grid(NX - 1, NY - 1, name="hz"):
            hz[i, j] = hz[i, j] - 0.7 * (ex[i, j + 1] - ex[i, j] + ey[i + 1, j] - ey[i, j])


def design_fdtd_2d():
    """Each field update's inner loop pipelined; hz banked by column pairs."""
    s = allo.customize(fdtd_2d)
    for band in ("ey", "ex", "hz"):
        s.pipeline(f"{band}:j")
    s.partition(s.hz, allo.Partition.Cyclic, dim=2, factor=2)
    return s


def heat_3d(A: float32[S3, S3, S3], B: float32[S3, S3, S3]):
    """3-D heat equation: TSTEPS ping-pong sweeps of the 7-point stencil."""
    for t in range(TSTEPS, name="time"):
        for i, j, k in allo.grid(S3 - 2, S3 - 2, S3 - 2, name="AB"):
            B[i + 1, j + 1, k + 1] = (
                0.125 * (A[i + 2, j + 1, k + 1] - 2.0 * A[i + 1, j + 1, k + 1] + A[i, j + 1, k + 1])
                + 0.125 * (A[i + 1, j + 2, k + 1] - 2.0 * A[i + 1, j + 1, k + 1] + A[i + 1, j, k + 1])
                + 0.125 * (A[i + 1, j + 1, k + 2] - 2.0 * A[i + 1, j + 1, k + 1] + A[i + 1, j + 1, k])
                + A[i + 1, j + 1, k + 1])
        for i, j, k in allo.grid(S3 - 2, S3 - 2, S3 - 2, name="BA"):
            A[i + 1, j + 1, k + 1] = (
                0.125 * (B[i + 2, j + 1, k + 1] - 2.0 * B[i + 1, j + 1, k + 1] + B[i, j + 1, k + 1])
                + 0.125 * (B[i + 1, j + 2, k + 1] - 2.0 * B[i + 1, j + 1, k + 1] + B[i + 1, j, k + 1])
                + 0.125 * (B[i + 1, j + 1, k + 2] - 2.0 * B[i + 1, j + 1, k + 1] + B[i + 1, j + 1, k])
                + B[i + 1, j + 1, k + 1])


def design_heat_3d():
    """Both sweeps pipelined on k, (j, k) swapped in the second sweep (the sweep reads only
    the other array, so its cells are independent)."""
    s = allo.customize(heat_3d)
    s.pipeline("AB:k")
    s.reorder("BA:k", "BA:j")
    s.pipeline("BA:j")
    return s


_DX = 1.0 / N
_DT = 1.0 / TSTEPS
_MUL1 = 2.0 * _DT / (_DX * _DX)
_MUL2 = 1.0 * _DT / (_DX * _DX)
ADI_A = -_MUL1 / 2.0
ADI_B = 1.0 + _MUL1
ADI_C = ADI_A
ADI_D = -_MUL2 / 2.0
ADI_E = 1.0 + _MUL2
ADI_F = ADI_D


def adi(u: float32[N, N]):
    """Alternating direction implicit solver of 2-D heat diffusion: a column sweep and a
    row sweep (tridiagonal solves) per time step."""
    v: float32[N, N] = 0.0
    p: float32[N, N] = 0.0
    q: float32[N, N] = 0.0
    for t in range(TSTEPS, name="time"):
        for i in range(1, N - 1, name="colsweep"):
            v[0, i] = 1.0
            p[i, 0] = 0.0
            q[i, 0] = v[0, i]
            for j in range(1, N - 1, name="colfw"):
                p[i, j] = -ADI_C / (ADI_A * p[i, j - 1] + ADI_B)
                q[i, j] = (-ADI_D * u[j, i - 1] + (1.0 + 2.0 * ADI_D) * u[j, i]
                           - ADI_F * u[j, i + 1] - ADI_A * q[i, j - 1]) / (ADI_A * p[i, j - 1] + ADI_B)
            v[N - 1, i] = 1.0
            for j in range(N - 2, 0, -1, name="colbw"):
                v[j, i] = p[i, j] * v[j + 1, i] + q[i, j]
        for i in range(1, N - 1, name="rowsweep"):
            u[i, 0] = 1.0
            p[i, 0] = 0.0
            q[i, 0] = u[i, 0]
            for j in range(1, N - 1, name="rowfw"):
                p[i, j] = -ADI_F / (ADI_D * p[i, j - 1] + ADI_E)
                q[i, j] = (-ADI_A * v[i - 1, j] + (1.0 + 2.0 * ADI_A) * v[i, j]
                           - ADI_C * v[i + 1, j] - ADI_D * q[i, j - 1]) / (ADI_D * p[i, j - 1] + ADI_E)
            u[i, N - 1] = 1.0
            for j in range(N - 2, 0, -1, name="rowbw"):
                u[i, j] = p[i, j] * u[i, j + 1] + q[i, j]


def design_adi():
    """The four tridiagonal scans pipelined; p and q banked by rows."""
    s = allo.customize(adi)
    for band in ("colfw", "colbw", "rowfw", "rowbw"):
        s.pipeline(f"{band}:j")
    s.partition(s.p, allo.Partition.Cyclic, dim=1, factor=2)
    s.partition(s.q, allo.Partition.Cyclic, dim=1, factor=2)
    return s


# --------------------------------------------------------------------------- numpy references

def _f(x) -> np.float32:
    return np.float32(x)


def ref_durbin(r):
    n = len(r)
    toeplitz = np.array([[1.0 if i == j else r[abs(i - j) - 1] for j in range(n)]
                         for i in range(n)], dtype=np.float64)
    return np.linalg.solve(toeplitz, -r.astype(np.float64))


def _lu(A):
    a = A.astype(np.float64)
    for k in range(len(a)):
        a[k + 1:, k] /= a[k, k]
        a[k + 1:, k + 1:] -= np.outer(a[k + 1:, k], a[k, k + 1:])
    return a


def ref_lu(A):
    A[:] = _lu(A)


def ref_ludcmp(A, b):
    x = np.linalg.solve(A.astype(np.float64), b.astype(np.float64))
    A[:] = _lu(A)
    return x


def ref_nussinov(seq, table):
    n = len(seq)
    for i in range(n - 1, -1, -1):
        for j in range(i + 1, n):
            best = max(table[i, j], table[i, j - 1])
            if i + 1 < n:
                best = max(best, table[i + 1, j])
                pair = 1 if i < j - 1 and seq[i] + seq[j] == 3 else 0
                best = max(best, table[i + 1, j - 1] + pair)
            for k in range(i + 1, j):
                best = max(best, table[i, k] + table[k + 1, j])
            table[i, j] = best


def _causal(x, a, b_coef):
    """One recursive pass along the last axis: y[j] = a0 x[j] + a1 x[j-1] + b1 y[j-1] + b2 y[j-2]."""
    y = np.zeros_like(x, dtype=np.float64)
    for j in range(x.shape[-1]):
        y[..., j] = (a[0] * x[..., j] + (a[1] * x[..., j - 1] if j >= 1 else 0.0)
                     + (b_coef[0] * y[..., j - 1] if j >= 1 else 0.0)
                     + (b_coef[1] * y[..., j - 2] if j >= 2 else 0.0))
    return y


def _anticausal(x):
    """y[j] = A3 x[j+1] + A4 x[j+2] + B1 y[j+1] + B2 y[j+2] (zero beyond the end)."""
    n = x.shape[-1]
    y = np.zeros_like(x, dtype=np.float64)
    for j in range(n - 1, -1, -1):
        y[..., j] = ((A3 * x[..., j + 1] if j + 1 < n else 0.0)
                     + (A4 * x[..., j + 2] if j + 2 < n else 0.0)
                     + (B1 * y[..., j + 1] if j + 1 < n else 0.0)
                     + (B2 * y[..., j + 2] if j + 2 < n else 0.0))
    return y


def ref_deriche(img):
    x = img.astype(np.float64)
    out = _causal(x, (A1, A2), (B1, B2)) + _anticausal(x)
    return (_causal(out.T, (A1, A2), (B1, B2)) + _anticausal(out.T)).T


def ref_fdtd_2d(ex, ey, hz, fict):
    for t in range(TMAX):
        ey[0, :] = fict[t]
        ey[1:, :] = ey[1:, :] - _f(0.5) * (hz[1:, :] - hz[:-1, :])
        ex[:, 1:] = ex[:, 1:] - _f(0.5) * (hz[:, 1:] - hz[:, :-1])
        hz[:-1, :-1] = hz[:-1, :-1] - _f(0.7) * (ex[:-1, 1:] - ex[:-1, :-1] + ey[1:, :-1] - ey[:-1, :-1])


def _heat_step(src, dst):
    c = src[1:-1, 1:-1, 1:-1]
    dst[1:-1, 1:-1, 1:-1] = (
        _f(0.125) * (src[2:, 1:-1, 1:-1] - _f(2.0) * c + src[:-2, 1:-1, 1:-1])
        + _f(0.125) * (src[1:-1, 2:, 1:-1] - _f(2.0) * c + src[1:-1, :-2, 1:-1])
        + _f(0.125) * (src[1:-1, 1:-1, 2:] - _f(2.0) * c + src[1:-1, 1:-1, :-2]) + c)


def ref_heat_3d(A, B):
    for _ in range(TSTEPS):
        _heat_step(A, B)
        _heat_step(B, A)


def _tridiagonal(rhs_rows, lo, diag, hi, boundary):
    """Solve lo*s[j-1] + diag*s[j] + hi*s[j+1] = rhs[j] for j in 1..n-2 with s[0] = s[n-1] =
    boundary, for each row of ``rhs_rows`` (the Thomas algorithm, as ADI writes it)."""
    rows, n = rhs_rows.shape
    out = np.full((rows, n), boundary, dtype=np.float64)
    p = np.zeros((rows, n))
    q = np.full((rows, n), boundary, dtype=np.float64)
    p[:, 0] = 0.0
    for j in range(1, n - 1):
        den = lo * p[:, j - 1] + diag
        p[:, j] = -hi / den
        q[:, j] = (rhs_rows[:, j] - lo * q[:, j - 1]) / den
    for j in range(n - 2, 0, -1):
        out[:, j] = p[:, j] * out[:, j + 1] + q[:, j]
    return out


def ref_adi(u):
    uu = u.astype(np.float64)
    v = np.zeros_like(uu)
    for _ in range(TSTEPS):
        # column sweep: for column i of v, rhs[j] from u[j, i-1 .. i+1]
        rhs = (-ADI_D * uu[:, :-2] + (1.0 + 2.0 * ADI_D) * uu[:, 1:-1] - ADI_F * uu[:, 2:]).T
        v[:, 1:-1] = _tridiagonal(rhs, ADI_A, ADI_B, ADI_C, 1.0).T
        v[:, 1:-1][0], v[:, 1:-1][-1] = 1.0, 1.0
        rhs = -ADI_A * v[:-2, :] + (1.0 + 2.0 * ADI_A) * v[1:-1, :] - ADI_C * v[2:, :]
        uu[1:-1, :] = _tridiagonal(rhs, ADI_D, ADI_E, ADI_F, 1.0)
    u[:] = uu


Inputs = List[Tuple]
F = np.float32
KERNELS: Dict[str, Tuple[Callable, Callable, Inputs]] = {
    "durbin": (design_durbin, ref_durbin, [((N,), F, "small")]),
    "lu": (design_lu, ref_lu, [((N, N), F, "dominant")]),
    "ludcmp": (design_ludcmp, ref_ludcmp, [((N, N), F, "dominant"), ((N,), F)]),
    "nussinov": (design_nussinov, ref_nussinov, [((N,), np.int32, "base"),
                                                 ((N, N), np.int32, "zeros")]),
    "deriche": (design_deriche, ref_deriche, [((W, H), F)]),
    "fdtd_2d": (design_fdtd_2d, ref_fdtd_2d, [((NX, NY), F), ((NX, NY), F), ((NX, NY), F),
                                              ((TMAX,), F)]),
    "heat_3d": (design_heat_3d, ref_heat_3d, [((S3, S3, S3), F), ((S3, S3, S3), F)]),
    "adi": (design_adi, ref_adi, [((N, N), F)]),
}


def random_inputs(shapes: Inputs, seed: int = 0) -> List[np.ndarray]:
    """Inputs for a kernel's shapes (see ``matrix_inputs``). Example:
    ``random_inputs(KERNELS["lu"][2])`` holds one diagonally dominant matrix."""
    return matrix_inputs(shapes, seed)


def run_and_compare(s, reference: Callable, shapes: Inputs, target: str = "llvm", seed: int = 0,
                    **build_options) -> float:
    """Largest absolute difference between ``s`` built for ``target`` and ``reference`` on
    the same inputs. Example: ``run_and_compare(design_lu(), ref_lu, KERNELS["lu"][2])``."""
    return max_difference(s, reference, random_inputs(shapes, seed), target, **build_options)


def main() -> int:
    """Verify, build and check every kernel; print a table. Returns the process exit code."""
    return check_designs("kernel", KERNELS, random_inputs, tolerance=1e-4)


if __name__ == "__main__":
    sys.exit(main())
