"""PolyBench data-mining and linear-algebra kernels (the ones ``polybench.py`` does not
have): correlation, covariance, symm, syr2k, gemver, gramschmidt, cholesky, trisolv.

Same conventions as ``examples/polybench.py``: every ``design_<name>()`` returns a
customized Schedule that ``s.verify()`` proves equal to the plain kernel, and
``KERNELS[name]`` pairs it with a numpy reference and its input shapes. The kernels follow
the PolyBench/C 4.2 algorithms at small sizes (verification executes every cell
symbolically); inputs that need it are well-conditioned (``allo.testing.designs.matrix_inputs``).

Run: ``python examples/polybench_algebra.py`` or ``allo verify examples/polybench_algebra.py``.
"""

from __future__ import annotations

import sys
from typing import Callable, Dict, List, Tuple

import numpy as np

import allo
from allo.ir.types import float32
from allo.testing.designs import check_designs, matrix_inputs, max_difference

N = 8        # rows / square problems
M = 6        # columns (data-mining attributes, gramschmidt columns)
alpha = 1.5
beta = 1.2
FLOAT_N = float(N)
EPS = 0.1


# --------------------------------------------------------------------------- data mining

def correlation(data: float32[N, M]) -> float32[M, M]:
    """Pearson correlation matrix of the M columns of ``data`` (data is centred and scaled
    in place, as in PolyBench)."""
    mean: float32[M] = 0.0
    stddev: float32[M] = 0.0
    corr: float32[M, M] = 0.0
    for j in range(M, name="mean"):
        for i in range(N, name="msum"):
            mean[j] += data[i, j]
        mean[j] = mean[j] / FLOAT_N
    for j in range(M, name="std"):
        for i in range(N, name="ssum"):
            stddev[j] += (data[i, j] - mean[j]) * (data[i, j] - mean[j])
        stddev[j] = allo.sqrt(stddev[j] / FLOAT_N)
        if stddev[j] <= EPS:
            stddev[j] = 1.0
    for i, j in allo.grid(N, M, name="center"):
        data[i, j] = (data[i, j] - mean[j]) / (allo.sqrt(FLOAT_N) * stddev[j])
    for i in range(M - 1, name="corr"):
        corr[i, i] = 1.0
        for j in range(i + 1, M):
            for k in range(N, name="dot"):
                corr[i, j] += data[k, i] * data[k, j]
            corr[j, i] = corr[i, j]
    corr[M - 1, M - 1] = 1.0
    return corr


def design_correlation():
    """Column statistics with the row loops pipelined; data banked by column pairs so two
    columns of a correlation pair are read in one cycle."""
    s = allo.customize(correlation)
    s.pipeline("correlation:msum:i")
    s.pipeline("correlation:ssum:i")
    s.pipeline("center:j")
    s.pipeline("correlation:dot:k")
    s.partition(s.data, allo.Partition.Cyclic, dim=2, factor=2)
    return s


def covariance(data: float32[N, M]) -> float32[M, M]:
    """Sample covariance matrix of the M columns of ``data`` (centred in place)."""
    mean: float32[M] = 0.0
    cov: float32[M, M] = 0.0
    for j in range(M, name="mean"):
        for i in range(N, name="msum"):
            mean[j] += data[i, j]
        mean[j] = mean[j] / FLOAT_N
    for i, j in allo.grid(N, M, name="center"):
        data[i, j] -= mean[j]
    for i in range(M, name="cov"):
        for j in range(i, M):
            for k in range(N, name="dot"):
                cov[i, j] += data[k, i] * data[k, j]
            cov[i, j] = cov[i, j] / (FLOAT_N - 1.0)
            cov[j, i] = cov[i, j]
    return cov


def design_covariance():
    """The centring rows split in two halves (independent rows), reductions pipelined."""
    s = allo.customize(covariance)
    s.split("center:i", 4)
    s.pipeline("center:j")
    s.pipeline("msum:i")
    s.pipeline("dot:k")
    return s


# --------------------------------------------------------------------------- BLAS-like

def symm(A: float32[N, N], B: float32[N, M], C: float32[N, M]):
    """C = alpha * A B + beta * C with A symmetric, only its lower triangle read."""
    for i, j in allo.grid(N, M, name="row"):
        temp2: float32 = 0.0
        for k in range(i, name="tri"):
            C[k, j] += alpha * B[i, j] * A[i, k]
            temp2 += B[k, j] * A[i, k]
        C[i, j] = beta * C[i, j] + alpha * B[i, j] * A[i, i] + alpha * temp2


def design_symm():
    """The triangular update loop pipelined; A banked by rows pairs."""
    s = allo.customize(symm)
    s.pipeline("tri:k")
    s.partition(s.A, allo.Partition.Cyclic, dim=1, factor=2)
    return s


def syr2k(A: float32[N, M], B: float32[N, M], C: float32[N, N]):
    """C = alpha * (A B^T + B A^T) + beta * C on the lower triangle."""
    for i in range(N, name="row"):
        for j in range(i + 1, name="scale"):
            C[i, j] *= beta
        for k in range(M, name="upd"):
            for j in range(i + 1, name="updj"):
                C[i, j] += A[j, k] * alpha * B[i, k] + B[j, k] * alpha * A[i, k]


def design_syr2k():
    """Both triangular loops pipelined; A and B banked along k."""
    s = allo.customize(syr2k)
    s.pipeline("scale:j")
    s.pipeline("updj:j")
    s.partition(s.A, allo.Partition.Cyclic, dim=2, factor=2)
    s.partition(s.B, allo.Partition.Cyclic, dim=2, factor=2)
    return s


def gemver(A: float32[N, N], u1: float32[N], v1: float32[N], u2: float32[N],
           v2: float32[N], w: float32[N], x: float32[N], y: float32[N], z: float32[N]):
    """A += u1 v1^T + u2 v2^T; x += beta A^T y + z; w += alpha A x."""
    for i, j in allo.grid(N, N, name="rank2"):
        A[i, j] = A[i, j] + u1[i] * v1[j] + u2[i] * v2[j]
    for i, j in allo.grid(N, N, name="xt"):
        x[i] = x[i] + beta * A[j, i] * y[j]
    for i in range(N, name="xz"):
        x[i] = x[i] + z[i]
    for i, j in allo.grid(N, N, name="w"):
        w[i] = w[i] + alpha * A[i, j] * x[j]


def design_gemver():
    """The rank-2 update tiled by 4 columns; A^T y swapped to (j, i), so A is read by rows
    (each x[i] still sums over j in order); inner loops pipelined."""
    s = allo.customize(gemver)
    s.split("rank2:j", 4)
    s.pipeline("rank2:j.inner")
    s.reorder("xt:j", "xt:i")
    s.pipeline("xt:i")
    s.pipeline("w:j")
    s.partition(s.v1, dim=1)
    s.partition(s.v2, dim=1)
    return s


# --------------------------------------------------------------------------- solvers

def gramschmidt(A: float32[N, M], R: float32[M, M], Q: float32[N, M]):
    """QR decomposition of A by modified Gram-Schmidt (A is overwritten)."""
    for k in range(M, name="col"):
        nrm: float32 = 0.0
        for i in range(N, name="norm"):
            nrm += A[i, k] * A[i, k]
        R[k, k] = allo.sqrt(nrm)
        for i in range(N, name="q"):
            Q[i, k] = A[i, k] / R[k, k]
        for j in range(k + 1, M, name="proj"):
            R[k, j] = 0.0
            for i in range(N, name="rdot"):
                R[k, j] += Q[i, k] * A[i, j]
            for i in range(N, name="sub"):
                A[i, j] = A[i, j] - Q[i, k] * R[k, j]


def design_gramschmidt():
    """Column loops pipelined; A and Q banked by row pairs."""
    s = allo.customize(gramschmidt)
    s.pipeline("norm:i")
    s.pipeline("q:i")
    s.pipeline("sub:i")
    s.partition(s.A, allo.Partition.Cyclic, dim=1, factor=2)
    s.partition(s.Q, allo.Partition.Cyclic, dim=1, factor=2)
    return s


def cholesky(A: float32[N, N]):
    """In-place Cholesky factorization A = L L^T of a symmetric positive definite A."""
    for i in range(N, name="row"):
        for j in range(i, name="offd"):
            for k in range(j, name="odot"):
                A[i, j] -= A[i, k] * A[j, k]
            A[i, j] = A[i, j] / A[j, j]
        for k in range(i, name="diag"):
            A[i, i] -= A[i, k] * A[i, k]
        A[i, i] = allo.sqrt(A[i, i])


def design_cholesky():
    """The diagonal reduction pipelined; A banked by row pairs."""
    s = allo.customize(cholesky)
    s.pipeline("diag:k")
    s.partition(s.A, allo.Partition.Cyclic, dim=1, factor=2)
    return s


@allo.template("T", "S")
def trisolv(L: "T[S, S]", b: "T[S]") -> "T[S]":
    """Forward substitution: x with L x = b, L lower triangular (a template over the
    element type and the size)."""
    x: T[S] = 0.0
    for i in range(S, name="row"):
        x[i] = b[i]
        for j in range(i, name="dot"):
            x[i] -= L[i, j] * x[j]
        x[i] = x[i] / L[i, i]
    return x


def design_trisolv():
    """Instantiated for float32 and N; the dot product pipelined, x in registers."""
    s = allo.customize(trisolv, instantiate=[float32, N])
    s.pipeline("j")
    s.partition(s.x, dim=1)
    return s


# --------------------------------------------------------------------------- numpy references

def _f(x) -> np.float32:
    return np.float32(x)


def ref_correlation(data):
    mean = data.mean(axis=0, dtype=np.float32)
    std = np.sqrt(((data - mean) ** 2).sum(axis=0) / _f(FLOAT_N))
    std = np.where(std <= _f(EPS), _f(1.0), std).astype(np.float32)
    data[:] = (data - mean) / (np.sqrt(_f(FLOAT_N)) * std)
    corr = data.T @ data
    np.fill_diagonal(corr, 1.0)
    return corr


def ref_covariance(data):
    data[:] = data - data.mean(axis=0, dtype=np.float32)
    return (data.T @ data) / _f(FLOAT_N - 1.0)


def ref_symm(A, B, C):
    sym = np.tril(A) + np.tril(A, -1).T
    C[:] = _f(alpha) * (sym @ B) + _f(beta) * C


def ref_syr2k(A, B, C):
    full = _f(alpha) * (A @ B.T + B @ A.T) + _f(beta) * C
    low = np.tril_indices(N)
    C[low] = full[low]


def ref_gemver(A, u1, v1, u2, v2, w, x, y, z):
    A += np.outer(u1, v1) + np.outer(u2, v2)
    x += _f(beta) * (A.T @ y) + z
    w += _f(alpha) * (A @ x)


def ref_gramschmidt(A, R, Q):
    q, r = np.linalg.qr(A.astype(np.float64))
    sign = np.sign(np.diag(r))     # Gram-Schmidt's R has a positive diagonal
    Q[:] = q * sign
    R[:] = np.triu(r * sign[:, None])
    A[:] = Q * np.diag(R)          # column j ends as its residual, R[j, j] * Q[:, j]


def ref_cholesky(A):
    low = np.linalg.cholesky(A.astype(np.float64))
    A[:] = np.where(np.tri(N, dtype=bool), low, A)


def ref_trisolv(L, b):
    x = np.zeros(N, dtype=np.float64)
    for i in range(N):
        x[i] = (b[i] - L[i, :i] @ x[:i]) / L[i, i]
    return x


Inputs = List[Tuple]
F = np.float32
KERNELS: Dict[str, Tuple[Callable, Callable, Inputs]] = {
    "correlation": (design_correlation, ref_correlation, [((N, M), F)]),
    "covariance": (design_covariance, ref_covariance, [((N, M), F)]),
    "symm": (design_symm, ref_symm, [((N, N), F), ((N, M), F), ((N, M), F)]),
    "syr2k": (design_syr2k, ref_syr2k, [((N, M), F), ((N, M), F), ((N, N), F)]),
    "gemver": (design_gemver, ref_gemver, [((N, N), F)] + [((N,), F)] * 8),
    "gramschmidt": (design_gramschmidt, ref_gramschmidt,
                    [((N, M), F), ((M, M), F, "zeros"), ((N, M), F, "zeros")]),
    "cholesky": (design_cholesky, ref_cholesky, [((N, N), F, "spd")]),
    "trisolv": (design_trisolv, ref_trisolv, [((N, N), F, "dominant"), ((N,), F)]),
}


def random_inputs(shapes: Inputs, seed: int = 0) -> List[np.ndarray]:
    """Inputs for a kernel's shapes (see ``matrix_inputs``). Example:
    ``random_inputs(KERNELS["cholesky"][2])`` holds one SPD matrix."""
    return matrix_inputs(shapes, seed)


def run_and_compare(s, reference: Callable, shapes: Inputs, target: str = "llvm", seed: int = 0,
                    **build_options) -> float:
    """Largest absolute difference between ``s`` built for ``target`` and ``reference`` on
    the same inputs. Example: ``run_and_compare(design_symm(), ref_symm, KERNELS["symm"][2])``."""
    return max_difference(s, reference, random_inputs(shapes, seed), target, **build_options)


def main() -> int:
    """Verify, build and check every kernel; print a table. Returns the process exit code."""
    return check_designs("kernel", KERNELS, random_inputs, tolerance=1e-4)


if __name__ == "__main__":
    sys.exit(main())
