"""NaN bits of math intrinsics agree across the interpreter, LLVM and C simulation
(docs/semantics.md, "NaN bits")."""

import allo
import numpy as np

from allo.ir.types import bfloat16, float32, float64
from allo.testing import outputs_equal


def domain(A: float32[4], B: float32[4]) -> (float32[4], float32[4], float32[4], float32[4],
                                              float64[4], bfloat16[4]):
    C: float32[4] = 0.0
    D: float32[4] = 0.0
    E: float32[4] = 0.0
    F: float32[4] = 0.0
    G: float64[4] = 0.0
    H: bfloat16[4] = 0.0
    for i in range(4):
        C[i] = allo.log(A[i])
        D[i] = allo.sqrt(A[i])
        E[i] = allo.sin(B[i])
        F[i] = allo.pow(A[i], 0.5)
        G[i] = allo.log10(A[i] - 1.0)
        H[i] = allo.log(A[i])
    return C, D, E, F, G, H


def _bits(x):
    a = np.asarray(x)
    return a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize]).tolist()


def test_domain_error_nans_are_positive_and_identical_everywhere(tmp_path):
    s = allo.customize(domain)
    A = np.array([-1.0, -2.5, np.nan, -np.nan], np.float32)
    B = np.array([np.inf, -np.inf, np.nan, 0.0], np.float32)
    mods = {"interp": s.build(target="interp"), "llvm": s.build(),
            "csim": s.build(target="vitis_hls", mode="csim", project=str(tmp_path / "n"))}
    results = {}
    with np.errstate(all="ignore"):
        for name, mod in mods.items():
            results[name] = [_bits(r) for r in mod(A.copy(), B.copy())]
    C = results["interp"][0]
    assert C[:3] == [0x7FC00000] * 3 and C[3] == 0xFFC00000  # -NaN operand propagates
    assert results["interp"][4][:2] == [0x7FF8000000000000] * 2
    assert results["interp"][5][:2] == [0x7FC0] * 2
    assert results["llvm"] == results["interp"]
    assert results["csim"] == results["interp"]


def test_outputs_equal_treats_all_nans_as_equal():
    pos = np.array([np.nan], np.float32)
    neg = np.array([0xFFC00001], np.uint32).view(np.float32)
    assert outputs_equal(pos, neg)
