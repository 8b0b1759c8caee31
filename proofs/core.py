"""The theorem registry and the z3 lemma checker every proof module uses."""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Optional, Tuple

import z3

LEMMA_TIMEOUT_MS = 20_000

# proof modules, each registering theorems with @theorem when imported
MODULES = ("proofs.loops", "proofs.lattice", "proofs.memory", "proofs.dataflow")


@dataclass
class Result:
    rule: str
    statement: str
    ok: bool
    seconds: float
    detail: str = ""
    status: str = ""  # "proved", "definitional" or "FAILED"

    def __post_init__(self):
        if not self.status:
            self.status = "proved" if self.ok else "FAILED"


@dataclass
class Theorem:
    rule: str
    statement: str
    lemmas: Optional[Callable[[], Iterable[Tuple[str, z3.BoolRef]]]]  # None: definitional
    index_widths: str = ""  # what the rule assumes of the 64-bit index type, and who checks it


THEOREMS: Dict[str, Theorem] = {}


def theorem(rule: str, *, index_widths: str
            ) -> Callable[[Callable[[], Iterable[Tuple[str, z3.BoolRef]]]], Callable]:
    """Register a theorem for ``rule``: the decorated function yields ``(lemma, claim)``
    pairs, each claim a z3 formula that must be valid (its negation unsatisfiable); the
    docstring's first paragraph is the statement in words. The lemmas reason over exact
    integers; ``index_widths`` states what that assumes of the 64-bit ``index`` type (which
    values the rewrite computes, and which side condition checks that they fit)."""

    def register(fn):
        statement = " ".join((fn.__doc__ or "").strip().split("\n\n")[0].split())
        THEOREMS[rule] = Theorem(rule, statement, fn, " ".join(index_widths.split()))
        return fn

    return register


def definition(rule: str, *, index_widths: str) -> Callable[[Callable], Callable]:
    """Register a rule that holds by definition, with nothing for z3 to check: annotation
    rules whose attribute the semantics never reads. The table reports them as
    "definitional", never as "proved"; ``tests/proofs`` checks the claim behind them (the
    interpreter and the verifier ignore the attribute) on random kernels."""

    def register(fn):
        statement = " ".join((fn.__doc__ or "").strip().split("\n\n")[0].split())
        THEOREMS[rule] = Theorem(rule, statement, None, " ".join(index_widths.split()))
        return fn

    return register


def valid(claim: z3.BoolRef, timeout_ms: int = LEMMA_TIMEOUT_MS) -> Tuple[bool, str]:
    """Is ``claim`` valid? (``Not(claim)`` unsatisfiable within the timeout.)"""
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(z3.Not(claim))
    result = solver.check()
    if result == z3.unsat:
        return True, ""
    if result == z3.sat:
        return False, f"counterexample: {solver.model()}"
    return False, f"undecided: {solver.reason_unknown()}"


def check(thm: Theorem) -> Result:
    if thm.lemmas is None:
        return Result(thm.rule, thm.statement, True, 0.0, status="definitional")
    start = time.perf_counter()
    for name, claim in thm.lemmas():  # exact integers: thm.index_widths says why that is enough
        ok, detail = valid(claim)
        if not ok:
            return Result(thm.rule, thm.statement, False, time.perf_counter() - start,
                          f"lemma '{name}' failed: {detail}")
    return Result(thm.rule, thm.statement, True, time.perf_counter() - start)


def load_all() -> list:
    """Import every proof module (registering its ``@theorem`` s); return the modules."""
    return [importlib.import_module(name) for name in MODULES]


def _listed(module) -> List[Callable[[], Tuple[str, str, bool, float]]]:
    """Theorems a module lists as plain callables returning (rule, statement, ok, seconds)
    (the lattice module's form, which mixes z3 lemmas with exhaustive checks)."""
    listed = getattr(module, "THEOREMS", None)
    return list(listed) if isinstance(listed, list) else []


def known_rules() -> List[str]:
    """Every rule with a theorem or definition (z3-checked ones and listed ones)."""
    modules = load_all()
    listed = [t()[0] for m in modules for t in _listed(m)]  # the rule is part of the result
    return sorted(set(THEOREMS) | set(listed))


def check_all(only: Optional[str] = None) -> List[Result]:
    """Check every registered theorem (or the one for rule ``only``)."""
    modules = load_all()
    results = [check(t) for r, t in sorted(THEOREMS.items()) if only in (None, r)]
    for module in modules:
        for thm in _listed(module):
            rule, statement, ok, seconds = thm()
            if only in (None, rule):
                results.append(Result(rule, " ".join(statement.split()), bool(ok), seconds,
                                      "" if ok else "not proved"))
    return results
