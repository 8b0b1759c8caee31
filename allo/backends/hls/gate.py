"""The equivalence gate: HLS output is produced only for a design proved equivalent.

``require_equivalent(schedule)`` runs ``schedule.verify()`` (cached under the structural
fingerprint of the original and current IR, :func:`allo.ir.fingerprint.fingerprint`, which
covers every constant's exact bytes, the types and the layouts; so rebuilding is free and
two different designs never share a verdict) and raises
:class:`allo.errors.VerificationError` showing the verdict unless it is "equivalent".

Example::

    verdict = require_equivalent(s)       # raises unless s.verify() proves equivalence
    print(verdict.method)
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ...errors import VerificationError
from ...ir.fingerprint import FingerprintError, fingerprint

_verdicts: Dict[str, Any] = {}


def require_equivalent(schedule: Any) -> Any:
    """The verdict of ``schedule.verify()`` when it is "equivalent"; else raise.

    Example: ``require_equivalent(s)`` raises ``VerificationError`` for a wrong rewrite.
    """
    key: Optional[str]
    try:
        key = fingerprint(schedule.original, schedule.ir, gate="verify()")
    except FingerprintError:
        key = None  # no exact key: verify afresh rather than risk sharing a verdict
    verdict = _verdicts.get(key) if key is not None else None
    if verdict is None:
        verdict = schedule.verify()
        if key is not None:
            _verdicts[key] = verdict
    if not verdict:
        status = getattr(verdict, "status", "unknown")
        raise VerificationError(
            f"the design is not proved equivalent to the program it started from "
            f"(verdict: {status}), so no HLS code is generated\n{verdict}",
            where="build (equivalence gate)",
            hint="fix the schedule, or pass verify=False to build unverified code explicitly")
    return verdict


__all__ = ["require_equivalent"]
