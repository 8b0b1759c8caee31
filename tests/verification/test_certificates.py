"""Proofs by certificate chain: what they rest on, and every way the chain must break."""

import dataclasses

import pytest

import allo
from allo.ir.nodes import Const, For, walk_stmts
from allo.ir.types import Stream, int8, int32
from allo.primitives.base import Certificate, Condition
from allo.verification.certificates import CertificateChain, check_chain, theorem_status


def gemm(A: int32[8, 8], B: int32[8, 8]) -> int32[8, 8]:
    C: int32[8, 8] = 0
    for i, j, k in allo.grid(8, 8, 8):
        C[i, j] += A[i, k] * B[k, j]
    return C


def mm(A: int8[4, 4], B: int8[4, 4], C: int32[4, 4]):
    for i, j in allo.grid(4, 4):
        for k in range(4):
            C[i, j] += A[i, k] * B[k, j]


def top(A: int8[4, 4], B: int8[4, 4], C: int32[4, 4]):
    mm(A, B, C)


def _scheduled():
    s = allo.customize(gemm)
    s.split("i", 4)
    s.reorder("k", "j")
    s.pipeline("j")
    return s


def test_chain_proves_and_lists_what_it_rests_on():
    s = _scheduled()
    v = s.verify(method="certificates", cache=False)
    assert v and v.method.startswith("certificate chain: 3 step(s)")
    assert v.stats["steps"] == 3 and v.stats["verified_by"] == "certificates"
    text = "\n".join(v.rests_on)
    assert "theorem loop.split: proved" in text and "theorem loop.reorder: proved" in text
    assert "theorem annotation.pipeline: definitional" in text
    assert "'split runs each iteration once' proved" in text
    assert "no dependence reversed" in text
    assert "rests on:" in v.report()


def test_empty_chain_is_the_original():
    v = allo.customize(gemm).verify(method="certificates", cache=False)
    assert v and "no step" in v.method


def test_an_unchecked_step_is_never_proved_by_certificates():
    s = allo.customize(gemm)
    s.split("i", 4, unchecked=True)  # every condition was proved, but the user opted out
    v = s.verify(method="certificates", cache=False)
    assert v.status == "unknown" and "unchecked=True" in v.reason
    # and a step with an assumed (unchecked) side condition
    cert = Certificate("buffer_at", "memory.buffer_at", {"target": "A"},
                       [Condition("accesses stay in bounds", "unchecked", 0.0, "not affine")])
    m = allo.customize(gemm).ir
    chain = CertificateChain.start(m).extended(cert, {"unchecked": True}, m, m)
    assert "unchecked=True" in check_chain(chain, m, m).reason
    chain = CertificateChain.start(m).extended(cert, {}, m, m)
    v = check_chain(chain, m, m)
    assert v.status == "unknown" and "'accesses stay in bounds' is unchecked" in v.reason


def test_a_condition_with_an_unknown_status_breaks_the_chain():
    m = allo.customize(gemm).ir
    cert = Certificate("split", "loop.split", {}, [Condition("covers", "assumed")])
    v = check_chain(CertificateChain.start(m).extended(cert, {}, m, m), m, m)
    assert v.status == "unknown" and "is assumed" in v.reason


def test_a_rule_without_theorem_breaks_the_chain():
    s = _scheduled()
    link = s._chain.links[0]
    fake = dataclasses.replace(link, certificate=dataclasses.replace(link.certificate,
                                                                     rule="loop.magic"))
    s._chain = dataclasses.replace(s._chain, links=(fake,) + s._chain.links[1:])
    v = s.verify(method="certificates", cache=False)
    assert v.status == "unknown" and "no theorem or definition for rule 'loop.magic'" in v.reason
    assert theorem_status("loop.magic")[0] is False


def _drop_half(module):
    loop = next(s for s in walk_stmts(module.top_func.body) if isinstance(s, For))
    loop.hi = Const(loop.hi.value // 2, loop.hi.type)


def test_ir_replaced_outside_primitives_breaks_the_chain():
    s = _scheduled()
    broken = s.ir.copy()
    _drop_half(broken)
    s._ir = broken
    v = s.verify(method="certificates", cache=False)
    assert v.status == "unknown" and "outside primitives" in v.reason
    assert s.verify(cache=False).status == "not equivalent"  # auto: full execution refutes


def test_ir_mutated_in_place_breaks_the_chain():
    s = _scheduled()
    _drop_half(s.ir)
    assert "outside primitives" in s.verify(method="certificates", cache=False).reason


def test_mutation_between_two_primitives_breaks_the_chain():
    s = allo.customize(gemm)
    s.split("i", 4)
    _drop_half(s.ir)
    s.pipeline("j")  # applied on the mutated program: its own step is fine, the link is not
    v = s.verify(method="certificates", cache=False)
    assert v.status == "unknown" and "step 2" in v.reason and "outside primitives" in v.reason


def test_original_mutated_breaks_the_chain():
    s = _scheduled()
    _drop_half(s.original)
    v = s.verify(method="certificates", cache=False)
    assert v.status == "unknown" and "original program was modified" in v.reason


def test_certificates_need_the_schedules_own_original():
    s = _scheduled()
    v = s.verify(gemm, method="certificates", cache=False)
    assert v.status == "unknown" and "its own original" in v.reason


def test_a_refused_primitive_leaves_the_chain_intact():
    s = _scheduled()
    with pytest.raises(allo.errors.AlloError):
        s.split("no_such_loop", 2)
    with pytest.raises(allo.errors.AlloError):
        s.replay([*s.steps[:1], type(s.steps[0])("split", {"axis": "nope", "factor": 2}, {})])
    assert s.verify(method="certificates", cache=False)


def test_composed_chain_includes_the_callee_steps_and_the_layout_reconciliation():
    s_mm = allo.customize(mm)
    s_mm.reorder("k", "j")
    s_mm.partition(s_mm.A, dim=1)
    s_top = allo.customize(top)
    s_top.compose(s_mm)
    v = s_top.verify(method="certificates", cache=False)
    assert v, v.report()
    text = "\n".join(v.rests_on)
    assert "reorder(" in text and "partition(" in text
    assert "compose: layout reconciliation by annotation.partition: " \
           "'only buffer layouts change' proved" in text
    assert s_top.verify(method="full", cache=False)


def test_layout_reconciliation_that_changes_more_than_layouts_is_refused():
    m = allo.customize(gemm).ir
    other = m.copy()
    _drop_half(other)
    chain = CertificateChain.start(m).with_layouts_reconciled(m, other)
    v = check_chain(chain, m, other)
    assert v.status == "unknown" and "'only buffer layouts change' is failed" in v.reason


def prod(A: int32[4], F1: Stream[int32, 2], F2: Stream[int32, 2]):
    for i in range(4):
        F1.put(A[i])
    for i in range(4):
        F2.put(A[i] * 2)


def cons_f2_first(F1: Stream[int32, 2], F2: Stream[int32, 2], B: int32[4], C: int32[4]):
    for i in range(4):
        C[i] = F2.get()
    for i in range(4):
        B[i] = F1.get()


def top_deadlock(A: int32[4], B: int32[4], C: int32[4]):
    F1: Stream[int32, 2]
    F2: Stream[int32, 2]
    prod(A, F1, F2)
    cons_f2_first(F1, F2, B, C)


def test_designs_with_fifos_are_never_equivalent_by_the_chain_alone():
    # the rules speak of sequential meaning; this design deadlocks in hardware (issue 11)
    s = allo.customize(top_deadlock)
    s.dataflow("top_deadlock")
    v = s.verify(method="certificates", cache=False)
    assert v.status == "unknown" and "FIFOs (top_deadlock:F1, top_deadlock:F2" in v.reason
    auto = s.verify(cache=False)  # full execution finds the deadlock; no chain fallback
    assert auto.status == "unknown" and "hardware deadlock" in auto.reason
    assert auto.stats["verified_by"] == "full"


def test_a_relayed_systolic_array_is_left_to_execution():
    s = allo.customize(mm)
    buf_a = s.buffer_at(s.A, "j")
    pe = s.unfold("S_i_j_0", axis=[0, 1], factor=[4, 4])
    s.relay(buf_a, pe, axis=0, depth=5)
    v = s.verify(method="certificates", cache=False)
    assert v.status == "unknown" and "FIFOs" in v.reason
    assert s.verify(cache=False)  # full execution proves it (and checks the FIFOs)


def test_editing_the_history_does_not_edit_the_chain():
    # the certificate the schedule shows in s.history is not the one the chain checks
    s = allo.customize(gemm)
    s.split("i", 4)
    s.history[-1].conditions.append(Condition("made up", "assumed"))
    s.history[-1].rule = "no.such.rule"
    v = s.verify(method="certificates", cache=False)
    assert v.status == "equivalent" and "loop.split" in v.method
    m = allo.customize(gemm).ir
    cert = Certificate("split", "loop.split", {}, [Condition("covers", "assumed")])
    chain = CertificateChain.start(m).extended(cert, {}, m, m)
    cert.conditions[0].status = "proved"  # edited after it was recorded
    v = check_chain(chain, m, m)
    assert v.status == "unknown" and "is assumed" in v.reason
