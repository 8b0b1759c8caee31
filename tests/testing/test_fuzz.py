"""The reliability campaign, short and seeded (the long one is ``python bench/fuzz.py``):
random kernels x random schedules; no internal error, no disagreement, every primitive
applied or refused with an AlloError, every schedule verified."""

import numpy as np

from allo.testing import fuzz
from allo.testing.fuzz import run_campaign


def test_short_seeded_campaign_finds_nothing():
    report = run_campaign(n=40, seed=2026, csim_every=20)
    assert not report.failures, "\n\n".join(str(f) for f in report.failures)
    assert report.llvm_checked >= 30 and report.csim_checked >= 1
    assert report.schedules_applied >= 10  # the schedules really change programs
    assert report.verdicts["not equivalent"] == 0


def test_campaign_reports_a_backend_that_disagrees(monkeypatch):
    import allo.backends.llvm as llvm

    real = llvm.build

    def wrong_build(module, **kw):
        mod = real(module, **kw)

        def call(*args):
            out = mod(*args)
            for a in args:  # corrupt every in-place result
                if isinstance(a, np.ndarray) and a.size and a.dtype.kind in "iuf":
                    a.reshape(-1)[0] = a.reshape(-1)[0] + 1
            return out
        return call

    monkeypatch.setattr(llvm, "build", wrong_build)
    report = run_campaign(n=8, seed=1)
    assert any(f.kind == "disagreement" and f.stage == "interpreter vs LLVM"
               for f in report.failures), report.summary()
    assert all(f.repro for f in report.failures)


def test_campaign_reports_an_internal_error(monkeypatch):
    def broken(self, *a, **k):
        raise KeyError("boom")

    from allo.schedule import Schedule
    monkeypatch.setattr(Schedule, "split", broken)
    report = run_campaign(n=12, seed=3, features=fuzz.FEATURES)
    splits = sum(n for k, n in report.steps.items() if k.startswith("split"))
    internal = [f for f in report.failures if f.kind == "internal error"]
    assert internal and all("KeyError" in f.message for f in internal) or splits == 0


def test_a_reshaped_result_is_compared_in_the_original_shape():
    # reshape of a returned buffer puts the new shape into the signature and verify()
    # compares row-major: the campaign once reported it as "verifier wrong" (seed 21, #385)
    import allo
    from allo.backends.interp import Interpreter
    from allo.ir.types import int32
    from allo.testing.compare import outputs_equal

    def kernel(A: int32[4]) -> int32[2, 2]:
        R: int32[2, 2] = 0
        for i in range(2):
            for j in range(2):
                R[i, j] = A[2 * i + j] + 1
        return R

    s = allo.customize(kernel)
    s.reshape(s.R, [4])
    assert s.ir.top_func.attrs.get("interface_shapes")
    A = np.arange(4, dtype=np.int32)
    scheduled, original = Interpreter(s.ir)(A.copy()), Interpreter(allo.customize(kernel).ir)(A.copy())
    assert not outputs_equal(scheduled, original)                  # shapes (4,) and (2, 2)
    assert outputs_equal(fuzz.in_original_shapes(scheduled, original), original)
    assert not outputs_equal(fuzz.in_original_shapes(scheduled + 1, original), original)


def test_a_reshaped_argument_is_passed_in_the_signatures_shape():
    # seed 42 (n=400) once reported "internal error at interpreter: expected shape (2, 2),
    # got shape (4,)": the campaign passed the original's shapes to a reshaped signature
    import allo
    from allo.ir.types import int32

    def kernel(A: int32[4], B: int32[4]):
        for i in range(4):
            B[i] = A[i] * 2

    s = allo.customize(kernel)
    s.reshape(s.B, [2, 2])
    A, B = np.arange(4, dtype=np.int32), np.zeros(4, np.int32)
    args = fuzz.in_signature_shapes([A, B], s.ir.top_func)
    assert [a.shape for a in args] == [(4,), (2, 2)]
    s.build(target="llvm")(*args)
    assert np.array_equal(B, A * 2)  # views: the in-place result lands in the drawn array
