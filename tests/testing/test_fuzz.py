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
