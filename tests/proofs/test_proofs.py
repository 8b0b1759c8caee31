"""The theorem runner: every rule proved (or definitional), every primitive covered,
failures and unknown rules reported."""

import numpy as np
import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

import allo.primitives  # noqa: F401  (registers every primitive)
from allo.primitives.base import PRIMITIVES
from allo.backends.interp import Interpreter
from allo.symexec import verify
from allo.testing import KernelFeatures, copy_args, inputs_for, kernels, outputs_equal
from proofs import check_all
from proofs.__main__ import main
from proofs.core import THEOREMS, Theorem, check, known_rules


def test_every_theorem_is_proved_or_definitional():
    results = check_all()
    failed = [f"{r.rule}: {r.detail}" for r in results if not r.ok]
    assert not failed, failed
    statuses = {r.rule: r.status for r in results}
    assert statuses["loop.split"] == "proved"
    assert statuses["annotation.pipeline"] == "definitional"


def test_every_primitive_rule_has_a_theorem():
    rules = set(known_rules())
    missing = {p.name: p.rule for p in PRIMITIVES.values()
               if not p.name.startswith("_") and p.rule not in rules}
    assert not missing, missing


def test_every_primitive_rule_states_its_index_width_assumptions():
    check_all()  # loads every proof module
    rules = {p.rule for p in PRIMITIVES.values() if not p.name.startswith("_")}
    vague = sorted(r for r in rules
                   if r in THEOREMS and not ("64-bit" in THEOREMS[r].index_widths
                                             or "no new index arithmetic" in THEOREMS[r].index_widths
                                             or "no index arithmetic" in THEOREMS[r].index_widths
                                             or "as loop.split" in THEOREMS[r].index_widths
                                             or "below the PE count" in THEOREMS[r].index_widths
                                             or "extents" in THEOREMS[r].index_widths))
    missing = sorted(r for r in rules if r in THEOREMS and not THEOREMS[r].index_widths)
    assert missing == [] and len(vague) == 0, (missing, vague)


def test_a_false_lemma_is_reported_as_failed():
    def false_lemmas():
        n = z3.Int("n")
        yield "every n is positive", n > 0

    result = check(Theorem("test.false", "a false statement", false_lemmas))
    assert not result.ok and result.status == "FAILED"
    assert "every n is positive" in result.detail and "counterexample" in result.detail


def test_cli_exit_codes(capsys):
    assert main(["loop.split"]) == 0
    assert "1 proved, 0 definitional, 0 failed" in capsys.readouterr().out
    assert main(["no.such.rule"]) == 2
    assert "no theorem for rule 'no.such.rule'" in capsys.readouterr().err


ANNOTATIONS = {"unroll": 4, "pipeline_ii": 1, "parallel": True, "dataflow": True, "inline": True}


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_definitional_rules_semantics_ignore_annotations(data):
    """The claim behind the definitional rules: the interpreter never reads loop or function
    annotations (so annotating cannot change a program's meaning), and the verifier never
    refutes an annotation-only change; it reads dataflow annotations only to check that the
    concurrent hardware they ask for computes the same (else "unknown")."""
    module = data.draw(kernels(KernelFeatures(while_loops=False, max_extent=4)))
    annotated = module.copy()
    # a loop nest is either pipelined or dataflow, never both: HLS would ignore the dataflow
    # pragma inside a pipelined loop, and the verifier answers "unknown" for that (not a
    # change of meaning, a hardware it does not model)
    dropped = data.draw(st.sampled_from(["pipeline_ii", "dataflow"]))
    for func in annotated.funcs.values():
        func.attrs.update({k: v for k, v in ANNOTATIONS.items() if k in ("dataflow", "inline")})
        for loop in func.loops():
            loop.attrs.update({k: v for k, v in ANNOTATIONS.items() if k not in ("inline", dropped)})
    args = data.draw(inputs_for(module.top_func))
    a, b = copy_args(args), copy_args(args)
    assert outputs_equal(Interpreter(module)(*a), Interpreter(annotated)(*b))
    assert outputs_equal(a, b)
    verdict = verify(module, annotated)
    if dropped == "dataflow":  # unroll, pipeline, parallel, inline: meaning and hardware agree
        assert verdict, str(verdict)
    else:
        # a dataflow loop's hardware (concurrent tasks, ping-pong banks) is checked against
        # the sequential meaning; where its rules fail the verdict is "unknown", never a
        # refutation of an annotation-only change
        assert verdict.status in ("equivalent", "unknown"), str(verdict)
        assert verdict.status == "equivalent" or "dataflow" in verdict.reason, str(verdict)
