"""Modular equivalence, the entry point: ``verify_modular(a, b)``.

Calls to a callee pair proved equivalent (structurally identical, proved earlier in this
process, or proved on the spot by its own check, once per pair) are compared as
applications of one uninterpreted function of their argument values; the machinery is in
:mod:`allo.symexec.summaries` and the soundness argument in ``docs/verification.md``
("Modular proofs"). The verdict names the method: ``"modular: 1 callee summarized
(tile: proved); ..."``. ``verify()``'s method chooser reaches it by name
(``allo.verification.methods``).

Example::

    >>> from allo.symexec.modular import verify_modular
    >>> v = verify_modular(top_plain, top_systolic)   # doctest: +SKIP
    >>> v.stats["function_runs_A"]["tile"]            # doctest: +SKIP
    1
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Optional

from ..errors import AlloError, VerificationError
from ..ir.fingerprint import FingerprintError, fingerprint
from ..ir.nodes import Alloc, Call, Func, Module, copy_func, walk_stmts
from ..ir.types import BufferType
from ..ir.state import func_state
from ..ir.verifier import verify_ir
from .equiv import (EquivalenceChecker, check_equivalence, check_options, has_streams,
                    ping_pong_values, structural_key)
from .summaries import CallSummaries, SummaryPlan, forget_proofs, plan_summaries, record_proved
from .verdict import EQUIVALENT, UNKNOWN, Verdict
from ..verification import cache as _proof_cache  # noqa: F401  (registers the proof cache
# as a table of proved callee pairs that outlives the process: summaries.PROOF_STORES)


def verify_modular(a: Any, b: Any, *, fp: str = "exact", timeout_ms: int = 10_000,
                   seed: int = 0, random_trials: int = 12, max_ops: int = 200_000_000,
                   progress: Any = None, max_memory: Any = None, fallback: bool = False,
                   congruence: bool = True, **unknown: Any) -> Verdict:
    """Prove two designs equivalent by summarizing the callee pairs proved equivalent.

    Identical top functions whose callees are all summarized pairs are equivalent by
    congruence without running the top (``congruence=False`` runs it with the summaries).
    "unknown" (never a guess) when no callee pair can be summarized or the summaries
    leave the question open; with ``fallback=True`` every call is executed instead then
    (full symbolic execution, when it fits ``max_ops``). Other options are
    :func:`~allo.symexec.verify`'s. Example: ``assert verify_modular(plain.ir, systolic.ir)``.
    """
    from . import _as_module

    mod_a, mod_b = _as_module(a), _as_module(b)
    check_options(fp, timeout_ms, seed, random_trials, max_ops, progress, unknown, max_memory)
    for name, value in (("fallback", fallback), ("congruence", congruence)):
        if not isinstance(value, bool):
            raise VerificationError(f"option {name}={value!r} must be True or False",
                                    where="verify_modular",
                                    hint="fallback=True executes every call when the summaries "
                                         "leave the question open; congruence=False runs the "
                                         "top even when the two tops are the same IR")
    opts = dict(fp=fp, timeout_ms=timeout_ms, seed=seed, random_trials=random_trials,
                max_ops=max_ops, progress=progress, max_memory=max_memory)
    for label, mod in (("A", mod_a), ("B", mod_b)):
        try:
            verify_ir(mod)
        except AlloError as e:
            return Verdict(UNKNOWN, "IR verification", f"program {label} is ill-formed IR: {e}")
    for label, mod in (("A", mod_a), ("B", mod_b)):
        why = ping_pong_values(mod)  # the summaries reason in sequential semantics
        if why:
            return Verdict(UNKNOWN, "dataflow ping-pong buffers", f"program {label}: {why}")
    if structural_key(mod_a) == structural_key(mod_b) and not has_streams(mod_a):
        return Verdict(EQUIVALENT, "identical programs")
    verdict = _modular_check(mod_a, mod_b, opts, fallback, congruence)
    if verdict is None:
        return check_equivalence(mod_a, mod_b, **opts)
    if verdict:
        record_proved(mod_a, mod_b, fp, "modular")
    return verdict


def _congruence(mod_a: Module, mod_b: Module, plan: SummaryPlan) -> Optional[Verdict]:
    """"equivalent" by congruence when the two top functions are the same IR and every
    callee they call is a summarized pair (identical or proved equivalent, with all its
    effects: a pure function of its arguments); None when that does not hold."""
    top_a, top_b = mod_a.top_func, mod_b.top_func
    try:
        if fingerprint(_without_layouts(top_a)) != fingerprint(_without_layouts(top_b)):
            return None
    except FingerprintError:
        return None
    called = {s.callee for s in walk_stmts(top_a.body) if isinstance(s, Call)}
    if not called <= set(plan.labels_a) or func_state(top_a) or func_state(top_b):
        return None
    # FIFOs of the top itself (between its callees) may deadlock, in both programs alike:
    # such a top is executed (callees' own FIFOs were executed by their pair's proof)
    if has_streams(Module({top_a.name: top_a}, top_a.name)):
        return None
    stats: Dict[str, Any] = {"callee_proofs": plan.proof_stats, "summarized_calls": {}}
    for label in ("A", "B"):  # the only symbolic runs: the callee pairs' own proofs
        runs: Dict[str, int] = {}
        for proof in plan.proof_stats.values():
            for name, n in proof.get(f"function_runs_{label}", {}).items():
                runs[name] = runs.get(name, 0) + n
        stats[f"function_runs_{label}"] = runs
    method = (f"{plan.describe()}; congruence: the two top functions are the same IR and "
              "each callee they call is equivalent in all its effects, so the designs are "
              "(the top is not executed)")
    return Verdict(EQUIVALENT, method, stats=stats, issues=list(plan.issues))


def _without_layouts(func: Func) -> Func:
    """A copy of ``func`` whose buffer types carry no layout: partitioning changes where
    elements live, never their values (``compose`` reconciles a callee's layouts into
    its caller's buffers)."""
    def strip(t: Any) -> Any:
        return dataclasses.replace(t, layout=None) if isinstance(t, BufferType) else t

    copy = copy_func(func)
    copy.results = [strip(t) for t in copy.results]
    for p in copy.params:
        p.type = strip(p.type)
    for st in walk_stmts(copy.body):
        if isinstance(st, Alloc):
            st.type = strip(st.type)
    return copy


def _modular_check(mod_a: Module, mod_b: Module, opts: Dict[str, Any],
                   fallback: bool, congruence: bool) -> Optional[Verdict]:
    """The modular proof, or None for "execute everything instead": no callee pair is
    summarizable, or (with ``fallback``) the summaries left the question open and full
    execution fits ``max_ops``."""
    prove = lambda a, b: verify_modular(a, b, fallback=True, **opts)  # noqa: E731
    plan = plan_summaries(mod_a, mod_b, prove, opts["fp"])
    if congruence:
        verdict = _congruence(mod_a, mod_b, plan)
        if verdict is not None:
            return verdict
    if not plan.classes:
        if fallback:
            return None
        why = "; ".join(f"{n}: {w}" for n, w in plan.skipped.items()) or "no callee in both"
        return Verdict(UNKNOWN, "modular", f"no callee pair can be summarized ({why})")
    checker = EquivalenceChecker(mod_a, mod_b, opts["fp"], opts["timeout_ms"], opts["seed"],
                       opts["random_trials"], opts["max_ops"], opts["progress"],
                       opts["max_memory"])
    checker.summaries = CallSummaries(plan, checker.dag)
    checker.labels = {"A": plan.labels_a, "B": plan.labels_b}
    checker.issues += plan.issues
    verdict = checker.run()
    summ = checker.summaries
    # what full execution would cost: the runs here plus every summarized call at the cost
    # its own proof measured (None when a pair was proved earlier: no measure here)
    estimate: Optional[int] = verdict.stats.get("ops_A", 0) + verdict.stats.get("ops_B", 0)
    for cls in plan.classes.values():
        for label in ("A", "B"):
            per_call = plan.proof_stats.get(cls.name, {}).get(f"ops_{label}")
            calls = summ.summarized_in.get((label, cls.name), 0)
            if calls and estimate is not None:
                estimate = None if per_call is None else estimate + calls * per_call
    verdict.stats.update(summarized_calls=dict(summ.summarized), callee_proofs=plan.proof_stats,
                         applications=len(summ.app_list))
    for label in ("A", "B"):  # every symbolic run of a function body, callee proofs included
        runs = dict(verdict.stats.get(f"function_runs_{label}", {}))
        for proof in plan.proof_stats.values():
            for name, n in proof.get(f"function_runs_{label}", {}).items():
                runs[name] = runs.get(name, 0) + n
        verdict.stats[f"function_runs_{label}"] = runs
    if estimate is not None:
        verdict.stats["full_ops_estimate"] = estimate
    if summ.executed:
        verdict.stats["calls_executed"] = dict(summ.executed)
        verdict.issues.append("note: calls executed instead of summarized: " + "; ".join(
            f"{n} ({summ.why_executed[n]})" for n in summ.executed))
    if plan.skipped:
        verdict.issues.append("note: callees not summarized: " + "; ".join(
            f"{n} ({why})" for n, why in plan.skipped.items()))
    if verdict.status != UNKNOWN:
        verdict.method = f"{plan.describe()}; {verdict.method}"
        return verdict
    if not fallback or (estimate is not None and estimate > opts["max_ops"]):
        size = f"about {estimate:,} operations" if estimate is not None else "an unknown cost"
        verdict.reason = f"{plan.describe()} left it open ({verdict.reason}); full symbolic " \
            f"execution would take {size}" + ("" if fallback else " (not tried: modular only)")
        return verdict
    return None  # execute every call instead


__all__ = ["verify_modular", "forget_proofs"]
