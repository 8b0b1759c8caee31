"""The equivalence gate: HLS output is produced only for a design proved equivalent.

``require_equivalent(schedule)`` runs ``schedule.verify()`` (cached by a hash of the
original and current IR, so rebuilding is free) and raises
:class:`allo.errors.VerificationError` showing the verdict unless it is "equivalent".

Example::

    verdict = require_equivalent(s)       # raises unless s.verify() proves equivalence
    print(verdict.method)
"""

from __future__ import annotations

import hashlib
from typing import Any, Dict

from ...errors import VerificationError
from ...ir.nodes import Module

_verdicts: Dict[str, Any] = {}


def ir_hash(*modules: Module) -> str:
    """A stable hash of IR modules (their structure, names, types and attributes)."""
    h = hashlib.sha256()
    for m in modules:
        h.update(m.top.encode())
        for name in sorted(m.funcs):
            h.update(repr(m.funcs[name]).encode())
    return h.hexdigest()


def require_equivalent(schedule: Any) -> Any:
    """The verdict of ``schedule.verify()`` when it is "equivalent"; else raise.

    Example: ``require_equivalent(s)`` raises ``VerificationError`` for a wrong rewrite.
    """
    key = ir_hash(schedule.original, schedule.ir)
    verdict = _verdicts.get(key)
    if verdict is None:
        verdict = schedule.verify()
        _verdicts[key] = verdict
    if not verdict:
        status = getattr(verdict, "status", "unknown")
        raise VerificationError(
            f"the design is not proved equivalent to the program it started from "
            f"(verdict: {status}), so no HLS code is generated\n{verdict}",
            where="build (equivalence gate)",
            hint="fix the schedule, or pass verify=False to build unverified code explicitly")
    return verdict


__all__ = ["require_equivalent", "ir_hash"]
