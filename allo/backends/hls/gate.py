"""The equivalence gate: HLS output is produced only for a design proved equivalent.

``require_equivalent(schedule)`` runs ``schedule.verify()`` (cached in this process under
the proof cache's key of the original and current IR,
:func:`allo.verification.cache.proof_key`: the structural fingerprint, which covers every
constant's exact bytes, the types and the layouts, and the verifier's own sources; so
rebuilding is free and two different designs never share a verdict; the verdict itself
also goes through the on-disk proof cache) and raises
:class:`allo.errors.VerificationError` showing the verdict unless it is "equivalent".

Example::

    verdict = require_equivalent(s)       # raises unless s.verify() proves equivalence
    print(verdict.method)
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ...errors import VerificationError
from ...verification.cache import proof_key

_verdicts: Dict[str, Any] = {}


def require_equivalent(schedule: Any) -> Any:
    """The verdict of ``schedule.verify()`` when it is "equivalent"; else raise.

    Example: ``require_equivalent(s)`` raises ``VerificationError`` for a wrong rewrite.
    """
    # None when a value has no exact encoding: verify afresh rather than risk sharing
    key: Optional[str] = proof_key(schedule.original, schedule.ir, fp="exact")
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
