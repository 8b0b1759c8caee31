"""Verdicts of the whole-design equivalence check (translation-validation convention).

``status`` is ``"equivalent"`` (with the method that proved it), ``"not equivalent"``
(always with a counterexample the reference interpreter confirmed, or for a hardware
deadlock the put/get interleaving that blocks under every schedule) or ``"unknown"`` (with
the reason). A verdict is truthy only when equivalent.

Example::

    >>> v = Verdict("unknown", method="symbolic execution", reason="not SICF: ...")
    >>> bool(v), v.status
    (False, 'unknown')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

EQUIVALENT, NOT_EQUIVALENT, UNKNOWN = "equivalent", "not equivalent", "unknown"


def _short(x: Any, limit: int = 300) -> str:
    if isinstance(x, np.ndarray):
        with np.printoptions(threshold=20, edgeitems=3, linewidth=100):
            s = np.array2string(x, separator=", ")
    else:
        s = repr(x.item() if hasattr(x, "item") and np.ndim(x) == 0 else x)
    s = " ".join(s.split())  # one line per input
    return s if len(s) <= limit else s[:limit] + " ..."


@dataclass
class Counterexample:
    """An input on which the two programs differ, confirmed by the reference interpreter.

    ``output``/``index`` name the first differing output element; ``expr_a``/``expr_b`` are
    the two symbolic expressions of that element (shortened); ``value_a``/``value_b`` the
    two concrete values; ``outputs_a``/``outputs_b`` every live-out of both runs. When one
    program fails (e.g. deadlocks) instead, ``error_a``/``error_b`` hold the message.
    """

    inputs: Dict[str, Any]
    output: str = ""
    index: Tuple[int, ...] = ()
    expr_a: str = ""
    expr_b: str = ""
    value_a: Any = None
    value_b: Any = None
    outputs_a: Dict[str, Any] = field(default_factory=dict)
    outputs_b: Dict[str, Any] = field(default_factory=dict)
    error_a: Optional[str] = None
    error_b: Optional[str] = None
    # a hardware deadlock: the put/get interleaving that blocks (decided for every
    # schedule and every input, docs/dataflow.md "Why one schedule decides")
    interleaving: str = ""

    def __str__(self) -> str:
        if self.interleaving:
            lines = ["counterexample (a hardware deadlock under every schedule; FIFO traffic does "
                     "not depend on the input, so any input shows it):",
                     f"  interleaving: {self.interleaving}"]
        else:
            lines = ["counterexample (confirmed by the reference interpreter):", "  inputs:"]
            lines += [f"    {k} = {_short(v)}" for k, v in self.inputs.items()]
        if self.error_a or self.error_b:
            lines.append(f"  program A: {self.error_a or 'runs'}")
            lines.append(f"  program B: {self.error_b or 'runs'}")
        if self.output:
            where = f"{self.output}[{', '.join(map(str, self.index))}]" if self.index else self.output
            lines.append(f"  first differing output: {where}")
            lines.append(f"    A: {_short(self.value_a)}  = {self.expr_a}")
            lines.append(f"    B: {_short(self.value_b)}  = {self.expr_b}")
        return "\n".join(lines)


@dataclass
class Verdict:
    """The result of :func:`allo.symexec.verify`; ``bool(v)`` is true only for equivalent."""

    status: str
    method: str = ""
    reason: str = ""
    counterexample: Optional[Counterexample] = None
    stats: Dict[str, Any] = field(default_factory=dict)
    # problems and notes, each labelled by kind: out-of-bounds, deadlock, leftover, overflow
    issues: List[str] = field(default_factory=list)
    # why verify() chose this method (allo.verification.methods), e.g. "estimated 3 M ops"
    chosen_by: str = ""
    # what an "equivalent" by certificate chain rests on: theorems and side conditions
    rests_on: List[str] = field(default_factory=list)
    # the proof cache: "hit", "stored", "not stored: ...", "off" ("" when not consulted)
    cache: str = ""

    def __post_init__(self) -> None:
        if self.status not in (EQUIVALENT, NOT_EQUIVALENT, UNKNOWN):
            raise ValueError(f"bad verdict status {self.status!r}")
        if self.status == NOT_EQUIVALENT and self.counterexample is None:
            raise ValueError("'not equivalent' needs a confirmed counterexample")

    def __bool__(self) -> bool:
        return self.status == EQUIVALENT

    @property
    def equivalent(self) -> bool:
        return self.status == EQUIVALENT

    def report(self) -> str:
        """A multi-line human-readable report (what :func:`print` shows)."""
        lines = [f"verdict: {self.status}"]
        if self.method:
            lines.append(f"method: {self.method}")
        if self.chosen_by:
            lines.append(f"chosen because: {self.chosen_by}")
        if self.reason:
            lines.append(f"reason: {self.reason}")
        if self.rests_on:
            lines.append("rests on:")
            lines += [f"  {r}" for r in self.rests_on]
        if self.cache:
            lines.append(f"proof cache: {self.cache}")
        lines += self.issues  # each starts with its kind: "deadlock: ...", "leftover: ..."
        if self.counterexample is not None:
            lines.append(str(self.counterexample))
        if self.stats:
            parts = []
            for k, v in self.stats.items():
                parts.append(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}")
            lines.append("stats: " + ", ".join(parts))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()

    def __repr__(self) -> str:
        extra = self.method if self.status != UNKNOWN else self.reason
        return f"<Verdict {self.status}: {extra[:80]}>"


__all__ = ["Verdict", "Counterexample", "EQUIVALENT", "NOT_EQUIVALENT", "UNKNOWN"]
