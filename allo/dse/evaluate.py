"""Evaluating one candidate: apply its calls through the real primitives (a refusal is a
result, with its reason), estimate it, and on request verify it. Runs in the caller's
process or on a Dask worker; everything it takes and returns pickles.

Example::

    row = evaluate(module, ("split", ("i", 4), {}),)   # -> {"status": "estimated", ...}
"""

from __future__ import annotations

import threading
import time
import traceback
from typing import Any, Dict, Optional, Sequence

from ..errors import AlloError

#: statuses a candidate can end in
REFUSED, ESTIMATED, VERIFIED, NOT_EQUIVALENT, UNKNOWN, ERROR, TIMEOUT, WORKER_DIED = (
    "refused", "estimated", "verified", "not equivalent", "unknown", "error", "timeout",
    "worker died")


def apply_calls(module: Any, calls: Sequence[Any]) -> Any:
    """A fresh schedule of ``module`` with ``calls`` applied (``(name, args, kwargs)`` or a
    callable taking the schedule). Primitive refusals propagate as ``AlloError``."""
    from ..schedule import Schedule

    s = Schedule(module.copy())
    for call in calls:
        if callable(call):
            call(s)
            continue
        name, args, kwargs = call
        method = getattr(s, name, None)
        if method is None or not callable(method) or name.startswith("_"):
            raise AlloError(f"unknown primitive {name!r} in the design space", where="dse")
        method(*args, **kwargs)
    return s


def _evaluate(module: Any, calls: Sequence[Any], clock_mhz: float, part: str) -> Dict[str, Any]:
    try:
        s = apply_calls(module, calls)
    except AlloError as e:
        return {"status": REFUSED, "reason": " ".join(str(e).split())[:300]}
    try:
        r = s.report(clock_mhz=clock_mhz, part=part)
    except AlloError as e:
        return {"status": ERROR, "reason": f"estimate failed: {' '.join(str(e).split())[:300]}"}
    return {"status": ESTIMATED, "reason": "", "metrics": r.metrics(),
            "ii": {row.name: row.ii for row in r.rows if row.pipelined}}


def evaluate(module: Any, calls: Sequence[Any], clock_mhz: float = 300.0, part: str = "xcu280",
             timeout: Optional[float] = None) -> Dict[str, Any]:
    """Apply and estimate one candidate; never raises for the candidate's own failures.

    ``timeout`` (seconds): a candidate still running then is reported as ``"timeout"``
    (its thread is left to finish in the background: Python cannot stop it).
    """
    return _with_timeout(lambda: _evaluate(module, calls, clock_mhz, part), timeout)


def verify_candidate(module: Any, calls: Sequence[Any], timeout: Optional[float] = None) -> Dict[str, Any]:
    """Prove the candidate equivalent to the kernel: ``verified``, ``not equivalent``
    (with the verdict) or ``unknown``."""
    def run() -> Dict[str, Any]:
        s = apply_calls(module, calls)
        verdict = s.verify()
        status = {"equivalent": VERIFIED, "not equivalent": NOT_EQUIVALENT}.get(
            getattr(verdict, "status", ""), UNKNOWN)
        return {"status": status, "reason": "" if status == VERIFIED else
                " ".join(str(verdict).split())[:300]}

    return _with_timeout(run, timeout)


def _with_timeout(fn: Any, timeout: Optional[float]) -> Dict[str, Any]:
    start = time.perf_counter()
    if timeout is None:
        out = _guarded(fn)
    else:
        box: Dict[str, Any] = {}
        worker = threading.Thread(target=lambda: box.update(out=_guarded(fn)), daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            return {"status": TIMEOUT, "reason": f"still running after {timeout:g} s",
                    "seconds": time.perf_counter() - start}
        out = box["out"]
    out["seconds"] = time.perf_counter() - start
    return out


def _guarded(fn: Any) -> Dict[str, Any]:
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - a candidate's crash is a row, not an abort
        return {"status": ERROR, "reason": f"{type(e).__name__}: {e}"[:300],
                "traceback": traceback.format_exc(limit=4)}


__all__ = ["evaluate", "verify_candidate", "apply_calls", "REFUSED", "ESTIMATED", "VERIFIED",
           "NOT_EQUIVALENT", "UNKNOWN", "ERROR", "TIMEOUT", "WORKER_DIED"]
