"""How verify() chooses among full symbolic execution, modular proofs and certificate
chains, and says which it used and why."""

import pytest

import allo
from allo.errors import VerificationError
from allo.ir.types import int32
from allo.symexec.verdict import Verdict
from allo.verification import methods


def gemm(A: int32[8, 8], B: int32[8, 8]) -> int32[8, 8]:
    C: int32[8, 8] = 0
    for i, j, k in allo.grid(8, 8, 8):
        C[i, j] += A[i, k] * B[k, j]
    return C


def _scheduled():
    s = allo.customize(gemm)
    s.split("i", 4)
    s.reorder("k", "j")
    return s


def _count_full(monkeypatch):
    calls = []
    real = methods.check_equivalence
    monkeypatch.setattr(methods, "check_equivalence",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def test_small_designs_get_full_symbolic_execution(monkeypatch):
    calls = _count_full(monkeypatch)
    v = _scheduled().verify(cache=False)
    assert v and calls == [1] and v.stats["verified_by"] == "full"
    executed = v.stats["ops_A"] + v.stats["ops_B"]  # the estimate is exact for this nest
    assert f"estimated {executed:,} symbolic ops" in v.chosen_by
    assert "chosen because: estimated" in v.report()


def test_large_designs_get_the_certificate_chain_without_executing(monkeypatch):
    monkeypatch.setattr(methods, "FULL_OPS_LIMIT", 100)
    calls = _count_full(monkeypatch)
    v = _scheduled().verify(cache=False)
    assert v and calls == [] and v.stats["verified_by"] == "certificates"
    assert "> 100" in v.chosen_by and "certificate chain of 2 step(s) applies" in v.chosen_by


def test_large_designs_without_a_valid_chain_fall_back_to_execution(monkeypatch):
    monkeypatch.setattr(methods, "FULL_OPS_LIMIT", 100)
    monkeypatch.setattr(methods, "modular_method", lambda: None)
    calls = _count_full(monkeypatch)
    s = allo.customize(gemm)
    s.split("i", 4, unchecked=True)
    v = s.verify(cache=False)
    assert v and calls == [1] and v.stats["verified_by"] == "full"
    assert "unchecked=True" in v.chosen_by and "so full symbolic execution" in v.chosen_by


def test_large_designs_use_the_modular_method_when_it_is_available(monkeypatch):
    monkeypatch.setattr(methods, "FULL_OPS_LIMIT", 100)
    seen = []

    def modular(a, b, **options):
        seen.append(options)
        return Verdict("equivalent", "modular: 0 callees summarized")

    monkeypatch.setattr(methods, "modular_method", lambda: modular)
    v = allo.verify(_scheduled(), gemm, cache=False)  # no chain between two programs
    assert v and seen == [{}] and v.stats["verified_by"] == "modular"
    assert "no certificate chain" in v.chosen_by


def test_a_small_design_whose_execution_is_unknown_is_proved_by_its_chain():
    v = _scheduled().verify(max_ops=1, cache=False)
    assert v and v.stats["verified_by"] == "certificates"
    assert "it ended unknown (budget exceeded" in v.chosen_by


def test_explicit_methods():
    s = _scheduled()
    assert s.verify(method="full", cache=False).stats["verified_by"] == "full"
    assert s.verify(method="certificates", cache=False).stats["verified_by"] == "certificates"
    with pytest.raises(VerificationError, match="unknown verification method"):
        s.verify(method="fastest")
    with pytest.raises(VerificationError, match="unknown verify option"):
        s.verify(method="certificates", bogus=1)  # options are checked whatever runs
    with pytest.raises(VerificationError, match="cache="):
        s.verify(cache="yes")


def test_modular_requested_but_absent_is_unknown(monkeypatch):
    monkeypatch.setattr(methods, "modular_method", lambda: None)
    v = _scheduled().verify(method="modular", cache=False)
    assert v.status == "unknown" and "not available" in v.reason


def test_a_large_composed_systolic_design_goes_to_the_real_modular_prover(monkeypatch):
    # the tile relays operands through FIFOs: the chain does not apply, modular does
    from allo.ir.types import int8
    from allo.library.systolic import schedule_systolic_tile, systolic_tile
    from allo.symexec.summaries import forget_proofs

    K, T = 4, 2

    def top(A: int8[2, T, K], B: int8[2, K, T], C: int32[2, 2, T, T]):
        for mi, ni in allo.grid(2, 2, name="tiles"):
            systolic_tile[int8, int8, int32, K, T, T](A[mi], B[ni], C[mi, ni])

    forget_proofs()
    s = allo.customize(top)
    s.compose(schedule_systolic_tile(allo.customize(systolic_tile,
                                                    instantiate=[int8, int8, int32, K, T, T])))
    monkeypatch.setattr(methods, "FULL_OPS_LIMIT", 10)
    v = s.verify(cache=False)
    assert v and v.stats["verified_by"] == "modular" and "modular: 1 callee" in v.method
    assert "FIFOs" in v.chosen_by and "modular summarization" in v.chosen_by


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


def test_without_an_estimate_the_chain_comes_first(monkeypatch):
    calls = _count_full(monkeypatch)
    s = allo.customize(bits)
    s.split("i", 2)
    v = s.verify(cache=False)  # a data-dependent while: no static op count
    assert v and v.stats["verified_by"] == "certificates" and calls == []
    assert "cannot be estimated statically" in v.chosen_by
    assert s.verify(method="full", cache=False).status == "unknown"  # execution cannot
