"""``allo verify FILE --workers N | --scheduler ADDR``: a file's designs verified as Dask
tasks, each in its own child process on a worker (:func:`allo.design_runner.verify_designs`),
rows in file order. The file must be readable at the same path on the workers.

Example::

    rows, error = verify_file("examples/polybench.py", workers=2)
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from .runner import Runner


def _names(spec: str, _unused: Any = None) -> Dict[str, Any]:
    from ..design_runner import LoadError, load_designs, quarantined

    try:
        with quarantined():
            return {"status": "ok", "names": list(load_designs(spec))}
    except LoadError as e:
        return {"status": "load_error", "reason": str(e)}


def _verify(path: str, name: str) -> Dict[str, Any]:
    from ..design_runner import verify_designs

    rows, error = verify_designs(f"{path}::{name}")
    if error is not None:
        return {"status": "error", "row": {"design": name, "status": "error", "method": "",
                                           "reason": error, "report": error, "seconds": 0.0}}
    return {"status": "ok", "row": rows[0]}


def verify_file(spec: str, workers: Optional[int] = None,
                scheduler: Optional[str] = None) -> Tuple[List[Dict[str, Any]], Optional[str]]:
    """``(rows, load_error)`` as :func:`allo.design_runner.verify_designs`, spread over Dask."""
    from ..design_runner import split_target

    path, name = split_target(spec)
    with Runner(workers=workers, scheduler=scheduler) as run:
        listed = run.map(lambda _, s: _names(s), [(spec,)])[0]
        if listed.get("status") != "ok":
            return [], listed.get("reason", "the file could not be loaded")
        outs = run.map(lambda _, n: _verify(str(path), n), [(n,) for n in listed["names"]])
    rows = []
    for n, out in zip(listed["names"], outs):
        if "row" in out:
            rows.append(out["row"])
        else:  # the task itself failed (worker died, ...)
            rows.append({"design": n, "status": "error", "method": "",
                         "reason": out.get("reason", out.get("status")), "report": str(out),
                         "seconds": 0.0})
    return rows, None


__all__ = ["verify_file"]
