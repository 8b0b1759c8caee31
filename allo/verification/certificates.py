"""Proofs by certificate chain: a schedule is equivalent to its original by the rules it
applied, when every step discharged its side conditions.

Every primitive a :class:`~allo.schedule.Schedule` applies is recorded as a
:class:`ChainLink`: its certificate (rule and side conditions), its options, and the
structural fingerprints (:func:`allo.ir.fingerprint.fingerprint`) of the IR before and
after it. :func:`check_chain` accepts the chain only when all of these hold:

* the original still has the fingerprint it had when the schedule was created, the first
  step starts from it, each step starts where the previous one ended, and the last one
  ends at the current IR: nothing changed the program outside primitives;
* no step was applied with ``unchecked=True`` and every side condition is "proved" (a z3
  query came back unsat, or exact arithmetic) or "trivial" (holds by construction); an
  "unchecked" (assumed) condition, or any other status, breaks the chain;
* every step's rule has a theorem or definition in ``proofs/`` and that theorem checks
  (z3, once per process; definitional rules are listed as such);
* the current program has no FIFO (stream). The rule theorems are about the sequential
  meaning; whether bounded FIFOs deadlock when the processes run concurrently is a
  property of the whole design that only execution checks (full or modular), so a
  design with FIFOs is never "equivalent" by the chain alone.

Then, by induction over the chain, each step's output means what its input meant (the
rule's theorem, instantiated under the discharged side conditions), so the current
program is equivalent to the original. The verdict lists the theorems and side
conditions it rests on. ``compose`` replays a callee schedule's steps through the same
recording, and the layout reconciliation that follows is recorded as an instance of
``annotation.partition``, checked by comparing the two IRs with layouts erased; so a
composed design's chain contains its callees' chains.

The cost is O(number of steps), plus one fingerprint of the original and current IR.

Example::

    s = allo.customize(gemm)
    s.split("i", 4)
    v = s.verify(method="certificates")
    print(v.rests_on)       # ['theorem loop.split: proved (z3)', "split(...): ..."]
"""

from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from ..ir.fingerprint import FingerprintError, fingerprint
from ..ir.nodes import Alloc, Module, walk_stmts
from ..ir.types import BufferType, StreamType
from ..primitives.base import Certificate, Condition
from ..symexec.verdict import EQUIVALENT, UNKNOWN, Verdict

ACCEPTED_CONDITIONS = ("proved", "trivial")
LAYOUT_STEP = "compose: layout reconciliation"


def ir_key(module: Module) -> Optional[str]:
    """The fingerprint of one program (``None`` when some value has no exact encoding,
    which breaks the chain). Example: ``ir_key(m) == ir_key(m.copy())``."""
    try:
        return fingerprint(module, role="certificate-chain")
    except FingerprintError:
        return None


@dataclass(frozen=True)
class ChainLink:
    """One recorded step: what was applied and the IR it turned into what."""

    certificate: Certificate
    options: Tuple[Tuple[str, Any], ...]
    before: Optional[str]
    after: Optional[str]


@dataclass(frozen=True)
class CertificateChain:
    """The recorded steps of a schedule, from the fingerprint of its original.

    Immutable: :meth:`extended` returns a new chain, so a schedule's transaction can
    restore the old one. Example: ``chain = CertificateChain.start(module)``.
    """

    origin: Optional[str]
    links: Tuple[ChainLink, ...] = ()

    @staticmethod
    def start(original: Module) -> "CertificateChain":
        """An empty chain rooted at ``original``. Example: ``CertificateChain.start(m)``."""
        return CertificateChain(ir_key(original))

    def extended(self, certificate: Certificate, options: Dict[str, Any], before: Module,
                 after: Module) -> "CertificateChain":
        """This chain and one more step from ``before`` to ``after``.

        Example: ``chain = chain.extended(cert, {"unchecked": False}, old_ir, new_ir)``.
        """
        # the chain keeps its own copy: the schedule's history hands the certificate to
        # the user, and editing it there (a condition's status) must not edit the proof
        link = ChainLink(copy.deepcopy(certificate), tuple(sorted(options.items())),
                         ir_key(before), ir_key(after))
        return CertificateChain(self.origin, self.links + (link,))

    def with_layouts_reconciled(self, before: Module, after: Module) -> "CertificateChain":
        """Record ``compose``'s layout reconciliation (``before`` -> ``after``) as an
        instance of ``annotation.partition``, proved only if the two IRs are identical
        once every buffer layout is erased. Example: see ``Schedule.compose``."""
        if before is after:
            return self
        erased = _layout_free_key(before)
        same = erased is not None and erased == _layout_free_key(after)
        status = "proved" if same else "failed"
        detail = ("the two programs are identical with every buffer layout erased" if same
                  else "something besides buffer layouts changed")
        cert = Certificate(LAYOUT_STEP, "annotation.partition", {},
                           [Condition("only buffer layouts change", status, 0.0, detail)])
        return self.extended(cert, {}, before, after)


def _layout_free_key(module: Module) -> Optional[str]:
    m = module.copy()
    for func in m.funcs.values():
        for p in func.params:
            p.type = _no_layout(p.type)
        func.results = [_no_layout(t) for t in func.results]
        for s in walk_stmts(func.body):
            if isinstance(s, Alloc):
                s.type = _no_layout(s.type)
    return ir_key(m)


def _no_layout(t: Any) -> Any:
    if isinstance(t, BufferType) and t.layout is not None:
        return dataclasses.replace(t, layout=None)
    return t


# ------------------------------------------------------------------ theorems
_THEOREM_RESULTS: Dict[str, Tuple[bool, str]] = {}


def theorem_status(rule: str) -> Tuple[bool, str]:
    """``(holds, description)`` of the theorem for ``rule`` in ``proofs/``, checked once
    per process: ``(False, "no theorem ...")`` when there is none or it fails.

    Example: ``theorem_status("loop.split") == (True, "proved (z3, proofs.loops)")``.
    """
    if rule in _THEOREM_RESULTS:
        return _THEOREM_RESULTS[rule]
    try:
        from proofs.core import THEOREMS, check, load_all
    except ImportError as e:
        return False, f"the proofs package cannot be imported ({e})"
    load_all()
    thm = THEOREMS.get(rule)
    if thm is None:
        answer = (False, f"no theorem or definition for rule {rule!r} in proofs/")
    else:
        result = check(thm)
        where = getattr(thm.lemmas, "__module__", "") if thm.lemmas is not None else ""
        if result.status == "definitional":
            answer = (True, "definitional (the semantics never reads the annotation; "
                            "tests/proofs checks that claim)")
        elif result.ok:
            answer = (True, f"proved (z3{', ' + where if where else ''}, "
                            f"{result.seconds:.2f} s)")
        else:
            answer = (False, f"theorem for {rule!r} does not check: {result.detail}")
    _THEOREM_RESULTS[rule] = answer
    return answer


# ------------------------------------------------------------------ checking
def check_chain(chain: CertificateChain, original: Module, current: Module) -> Verdict:
    """"equivalent" by the chain of rule theorems, or "unknown" with the first reason the
    chain does not apply. Never "not equivalent" (a chain proves, it does not refute).

    Example: ``check_chain(s._chain, s.original, s.ir).status == "equivalent"``.
    """
    t0 = time.perf_counter()
    method = "certificate chain"

    def unknown(reason: str) -> Verdict:
        return Verdict(UNKNOWN, method, f"the certificate chain does not apply: {reason}",
                       stats={"steps": len(chain.links),
                              "seconds": time.perf_counter() - t0})

    if chain.origin is None or ir_key(original) != chain.origin:
        return unknown("the original program was modified after the schedule was created")
    position = chain.origin
    rests_on: List[str] = []
    rules: List[str] = []
    for n, link in enumerate(chain.links, 1):
        cert = link.certificate
        step = f"step {n}, {_step_name(cert)}"
        if link.before is None or link.before != position:
            return unknown(f"{step} does not start from the program the previous step "
                           "produced (the IR was changed outside primitives)")
        options = dict(link.options)
        if options.get("unchecked"):
            return unknown(f"{step} was applied with unchecked=True")
        for c in cert.conditions:
            if c.status not in ACCEPTED_CONDITIONS:
                detail = f" ({c.detail})" if c.detail else ""
                return unknown(f"{step}: side condition '{c.name}' is {c.status}{detail}")
        ok, how = theorem_status(cert.rule)
        if not ok:
            return unknown(f"{step}: {how}")
        if cert.rule not in rules:
            rules.append(cert.rule)
            rests_on.append(f"theorem {cert.rule}: {how}")
        conds = "; ".join(f"'{c.name}' {c.status}" for c in cert.conditions) or \
            "no side condition"
        rests_on.append(f"{step} by {cert.rule}: {conds}")
        position = link.after
    if position is None or ir_key(current) != position:
        return unknown("the current program is not the one the last step produced "
                       "(the IR was changed outside primitives)")
    fifos = fifo_buffers(current)
    if fifos:
        shown = ", ".join(fifos[:4]) + (", ..." if len(fifos) > 4 else "")
        return unknown(f"the design has FIFOs ({shown}); whether they deadlock when the "
                       "processes run concurrently is not covered by any rule theorem, "
                       "only execution (full or modular) checks it")
    steps = len(chain.links)
    how = f"{steps} step(s) by {', '.join(rules)}" if steps else "no step: the program is the original"
    return Verdict(EQUIVALENT, f"certificate chain: {how}", rests_on=rests_on,
                   stats={"steps": steps, "seconds": time.perf_counter() - t0})


def fifo_buffers(module: Module) -> List[str]:
    """``func:name`` of every stream (FIFO) parameter or local of ``module``.

    Example: ``fifo_buffers(s.ir) == ["matmul:A_fifo"]`` after ``s.relay(...)``.
    """
    found = []
    for func in module.funcs.values():
        typed = [(p.name, p.type) for p in func.params]
        typed += [(st.name, st.type) for st in walk_stmts(func.body) if isinstance(st, Alloc)]
        for name, t in typed:
            if isinstance(t, StreamType) or (isinstance(t, BufferType) and t.is_stream):
                found.append(f"{func.name}:{name}")
    return found


def _step_name(cert: Certificate) -> str:
    if cert.primitive == LAYOUT_STEP:
        return LAYOUT_STEP
    args = ", ".join(f"{k}={v}" for k, v in cert.arguments.items())
    return f"{cert.primitive}({args})"


__all__ = ["CertificateChain", "ChainLink", "check_chain", "theorem_status", "ir_key", "fifo_buffers",
           "ACCEPTED_CONDITIONS"]
