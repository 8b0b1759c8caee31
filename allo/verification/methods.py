"""``verify()``'s three methods and how the default chooses among them.

* ``"full"``: symbolic execution of both programs (:mod:`allo.symexec`). Its cost grows
  with the work the design does; it gives counterexamples.
* ``"modular"``: the same, with calls to callees already proved equivalent compared as
  applications of one uninterpreted function (``allo.symexec.modular``, when installed).
* ``"certificates"``: the chain of rule theorems the schedule's primitives instantiated,
  in O(number of primitives) (:mod:`allo.verification.certificates`); only for a schedule
  against its own original, and only when every side condition was discharged.

``method="auto"`` (the default) estimates full execution's cost
(:func:`allo.symexec.cost.estimate_ops`). Up to :data:`FULL_OPS_LIMIT` it runs full
symbolic execution: cheap at that size, it rests on nothing but the semantics and gives
counterexamples. Above it, or when it cannot estimate (a ``while`` loop), it takes the
certificate chain if it applies, else the modular method if available, else full
execution. A small design whose full execution ends "unknown" (a z3 timeout, a budget,
a construct outside SICF) is still proved when its chain applies, unless the reason is a
failing program (:data:`FAILING_PROGRAM`). The verdict's ``chosen_by`` says which and why.

Each verdict passes through the proof cache (:mod:`allo.verification.cache`): a verdict
already proved for the same two programs under the same semantics is returned at once.

Example::

    v = verify_modules(s.original, s.ir, chain=s._chain)
    print(v.method, "|", v.chosen_by)
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from typing import Any, Callable, Optional

from ..errors import VerificationError
from ..ir.collector import paused_gc
from ..ir.fingerprint import fixed_objects
from ..ir.nodes import Module
from ..symexec.cost import estimate_ops
from ..symexec import equiv
from ..symexec.equiv import check_equivalence, check_options
from ..symexec.summaries import record_proved
from ..symexec.verdict import EQUIVALENT, UNKNOWN, Verdict
from .cache import cache_enabled, cache_scope, default_cache, proof_key
from .certificates import CertificateChain, check_chain, ir_key

METHODS = ("auto", "full", "modular", "certificates")
# full symbolic execution of both programs together, in symbolic ops: about 4 s at the
# executor's ~5 M ops/s; above it a cheaper method is taken when one applies
FULL_OPS_LIMIT = 20_000_000
OPS_PER_SECOND = 5_000_000
# "unknown" reasons of full execution that say a program fails (it deadlocks, reads out of
# bounds, is ill-formed): the chain only says the two programs mean the same, so it never
# turns such a verdict into "equivalent"
FAILING_PROGRAM = ("deadlock", "fail", "out-of-bounds", "ill-formed", "signature")


def verify_modules(a: Module, b: Module, *, chain: Optional[CertificateChain] = None,
                   method: str = "auto", cache: Optional[bool] = None, **options: Any
                   ) -> Verdict:
    """Prove ``a`` equivalent to ``b`` by ``method`` (see the module doc); ``chain`` is
    the certificate chain from ``a`` to ``b`` when ``b`` is a schedule's current program
    and ``a`` its original; ``cache`` overrides ``ALLO_PROOF_CACHE``. Other options go to
    :func:`allo.symexec.verify` (validated whichever method runs).

    Example: ``verify_modules(s.original, s.ir, chain=s._chain, method="certificates")``.
    """
    if method not in METHODS:
        raise VerificationError(f"unknown verification method {method!r}", where="verify",
                                hint=f"methods: {', '.join(repr(m) for m in METHODS)}")
    if cache is not None and not isinstance(cache, bool):
        raise VerificationError(f"option cache={cache!r} must be True, False or None",
                                where="verify", hint="cache=False turns the proof cache off")
    _check_symexec_options(options)
    # the proof's keys (cache, certificate chain, proved pairs) fingerprint the same
    # functions several times: encode each once (the verifier never mutates a or b).
    # The proof builds millions of objects that live until its end (DAG nodes, encodings):
    # the cyclic collector's passes over them cost more than a second at 64x64 PEs and
    # find next to nothing; the memory budget collects before it gives up
    with fixed_objects([*a.funcs.values(), *b.funcs.values()]), paused_gc():
        return _verify_modules(a, b, chain, method, cache, options)


def _verify_modules(a: Module, b: Module, chain: Optional[CertificateChain], method: str,
                    cache: Optional[bool], options: dict) -> Verdict:
    use_cache = cache_enabled(cache)
    store = default_cache() if use_cache else None
    key = proof_key(a, b, fp=options.get("fp", "exact")) if use_cache else None
    if store is not None and key is not None:
        hit = store.lookup(key)
        if hit is not None and hit.stats.get("verified_by") in _reusable(method, a, b):
            with cache_scope(use_cache):
                _remember(a, b, hit, options, " (proof cache)")
            return dataclasses.replace(hit, cache="hit")
    with cache_scope(use_cache):  # what the provers store (callee pairs) follows cache=
        verdict = _run(a, b, chain, method, options)
        _remember(a, b, verdict, options)
    if store is None:
        verdict.cache = "off"
    elif key is None:
        verdict.cache = "not stored: a value in the IR has no exact encoding"
    elif store.store(key, verdict):
        verdict.cache = "stored"
    else:
        verdict.cache = ("not stored: an unknown verdict depends on budgets and timeouts"
                         if verdict.status == UNKNOWN else "not stored: cache not writable")
    return verdict


def _remember(a: Module, b: Module, verdict: Verdict, options: dict, where: str = "") -> None:
    """An equivalent pair is remembered for modular proofs of designs that call them
    (:mod:`allo.symexec.summaries`), with the method it rests on."""
    if verdict.status == EQUIVALENT:
        family = str(verdict.stats.get("verified_by", "full"))
        if family == "full" and not where:
            return  # check_equivalence recorded its own proof (design keys cost a pass each)
        how = {"full": "symbolic execution", "certificates": "certificate chain",
               "modular": "modular proof"}.get(family, family) + where
        record_proved(a, b, options.get("fp", "exact"), how)


def _reusable(method: str, a: Module, b: Module) -> tuple:
    """Which methods' cached verdicts answer a request: an explicit method only its own;
    ``auto`` on a design small enough for full execution only verdicts of execution
    (a cache hit never replaces the independent check by the chain it cross-checks)."""
    if method != "auto":
        return (method,)
    ops_a, ops_b = estimate_ops(a), estimate_ops(b)
    if ops_a is not None and ops_b is not None and ops_a + ops_b <= FULL_OPS_LIMIT:
        return ("full", "modular")
    return ("full", "modular", "certificates")


def _check_symexec_options(options: dict) -> None:
    defaults = {n: p.default for n, p in inspect.signature(equiv.check_equivalence).parameters.items()
                if p.kind is inspect.Parameter.KEYWORD_ONLY}
    known = {k: options.get(k, d) for k, d in defaults.items()}
    unknown = {k: v for k, v in options.items() if k not in defaults}
    check_options(known["fp"], known["timeout_ms"], known["seed"], known["random_trials"],
                  known["max_ops"], known["progress"], unknown, known["max_memory"])


def _run(a: Module, b: Module, chain: Optional[CertificateChain], method: str,
         options: dict) -> Verdict:
    for label, mod in (("A", a), ("B", b)):
        # every method: the chain and the summaries reason in sequential semantics, which a
        # dataflow loop's ping-pong buffers only keep under this rule (equiv checks it too)
        why = equiv.ping_pong_values(mod)
        if why:
            return _tag(Verdict(UNKNOWN, "dataflow ping-pong buffers", f"program {label}: {why}"),
                        "full" if method == "auto" else method,
                        "a dataflow loop's ping-pong buffers are checked before any method")
    if method == "full":
        return _tag(_full(a, b, options), "full", "method=\"full\" was requested")
    if method == "certificates":
        return _tag(_certificates(a, b, chain), "certificates",
                    "method=\"certificates\" was requested")
    if method == "modular":
        modular = modular_method()
        if modular is None:
            return _tag(Verdict(UNKNOWN, "modular", "the modular method is not available in "
                                "this version (allo.symexec.modular)"), "modular",
                        "method=\"modular\" was requested")
        return _tag(modular(a, b, **options), "modular", "method=\"modular\" was requested")
    return _auto(a, b, chain, options)


def _auto(a: Module, b: Module, chain: Optional[CertificateChain], options: dict) -> Verdict:
    if _identical(a, b):
        return _tag(_full(a, b, options), "full", "the two programs are identical")
    ops_a, ops_b = estimate_ops(a), estimate_ops(b)
    estimate = None if ops_a is None or ops_b is None else ops_a + ops_b
    if estimate is not None and estimate <= FULL_OPS_LIMIT:
        why = (f"estimated {_ops(estimate)} symbolic ops <= {_ops(FULL_OPS_LIMIT)}: full "
               "symbolic execution is cheap here and gives counterexamples")
        verdict = _full(a, b, options)
        if verdict.status == UNKNOWN and chain is not None and \
                not any(w in verdict.reason for w in FAILING_PROGRAM):
            proved = _certificates(a, b, chain)
            if proved.status == EQUIVALENT:
                return _tag(proved, "certificates", f"{why}; it ended unknown "
                            f"({verdict.reason}), and the certificate chain applies")
        return _tag(verdict, "full", why)
    size = (f"estimated {_ops(estimate)} symbolic ops (about {estimate / OPS_PER_SECOND:,.0f} s "
            f"of full execution) > {_ops(FULL_OPS_LIMIT)}" if estimate is not None else
            "full execution's cost cannot be estimated statically (a while loop)")
    notes = []
    if chain is not None:
        proved = _certificates(a, b, chain)
        if proved.status == EQUIVALENT:
            steps = proved.stats.get("steps", 0)
            return _tag(proved, "certificates", f"{size}; the certificate chain of {steps} "
                        "step(s) applies (O(steps))")
        notes.append(proved.reason)
    else:
        notes.append("no certificate chain (not a schedule against its own original)")
    modular = modular_method()
    if modular is not None:
        verdict = modular(a, b, **options)
        if verdict.status != UNKNOWN:
            return _tag(verdict, "modular", f"{size}; {notes[0]}; modular summarization")
        notes.append(f"modular: {verdict.reason}")
    return _tag(_full(a, b, options), "full", f"{size}; {'; '.join(notes)}; so full "
                "symbolic execution")


def _identical(a: Module, b: Module) -> bool:
    """Whether ``a`` and ``b`` are the same program (equal fingerprints). Programs whose
    function names differ never are (the names are part of the fingerprint), so the two
    fingerprints of a df region's thousands of processes are not computed then."""
    if a.top != b.top or a.funcs.keys() != b.funcs.keys():
        return False
    key_a = ir_key(a)
    return key_a is not None and key_a == ir_key(b)


def _full(a: Module, b: Module, options: dict) -> Verdict:
    return check_equivalence(a, b, **options)


def _certificates(a: Module, b: Module, chain: Optional[CertificateChain]) -> Verdict:
    if chain is None:
        return Verdict(UNKNOWN, "certificate chain", "the certificate chain does not apply: "
                       "it proves a schedule equivalent to its own original (s.verify() "
                       "without another program)")
    return check_chain(chain, a, b)


def modular_method() -> Optional[Callable[..., Verdict]]:
    """``allo.symexec.modular.verify_modular(a, b, **options)`` when that module exists,
    else ``None``. Example: ``modular_method() is None or callable(modular_method())``."""
    try:
        module = importlib.import_module("allo.symexec.modular")
    except ImportError:
        return None
    fn = getattr(module, "verify_modular", None)
    return fn if callable(fn) else None


def _tag(verdict: Verdict, family: str, why: str) -> Verdict:
    verdict.chosen_by = why
    verdict.stats["verified_by"] = family
    return verdict


def _ops(n: int) -> str:
    return f"{n:,}"


__all__ = ["verify_modules", "modular_method", "METHODS", "FULL_OPS_LIMIT"]
