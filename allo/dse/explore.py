"""``explore``: try the schedules of a space on a kernel, estimate each, verify the Pareto
front (latency vs DSP), and return the table and the best schedule.

Example::

    result = explore(gemm, {"split": {"i": [1, 2, 4]}, "pipeline": ["j", "k"]},
                     objective="latency", constraints={"DSP": 1000}, workers=0)
    print(result)                      # the table
    s = result.best_schedule()         # replayed through the real primitives
    print(result.best.script())        # s.split("i", 4) ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from ..errors import AlloError
from .evaluate import (ESTIMATED, NOT_EQUIVALENT, TIMEOUT, UNKNOWN, VERIFIED,
                       WORKER_DIED, apply_calls, evaluate, verify_candidate)
from .runner import Runner
from .space import Candidate, Space, call_text

Objective = Union[str, Callable[[Dict[str, float]], float]]


@dataclass
class Row:
    """One candidate's outcome."""

    index: int
    calls: tuple
    status: str
    reason: str = ""
    metrics: Dict[str, float] = field(default_factory=dict)
    feasible: bool = False
    pareto: bool = False
    score: Optional[float] = None
    seconds: float = 0.0

    def script(self) -> str:
        """The candidate's primitive calls as Python lines on a schedule ``s``."""
        return "\n".join(call_text(c) for c in self.calls) or "# (no primitive)"

    def as_dict(self) -> Dict[str, Any]:
        return {"index": self.index, "schedule": self.script(), "status": self.status,
                "reason": self.reason, "metrics": dict(self.metrics), "feasible": self.feasible,
                "pareto": self.pareto, "score": self.score}

    def key(self) -> tuple:
        """What must agree between two runs of the same exploration."""
        return (self.index, self.status, self.reason, tuple(sorted(self.metrics.items())),
                self.feasible, self.pareto)


class Exploration:
    """The result of :func:`explore`: rows in candidate order, the Pareto front, the best."""

    def __init__(self, module: Any, rows: List[Row], objective: str, constraints: Dict[str, float]):
        self.module = module
        self.rows = rows
        self.objective = objective
        self.constraints = constraints

    @property
    def pareto(self) -> List[Row]:
        return [r for r in self.rows if r.pareto]

    @property
    def best(self) -> Optional[Row]:
        """The feasible candidate with the best objective among those verified (or, when
        verification was off, among those estimated)."""
        pool = [r for r in self.rows if r.feasible and r.status in (VERIFIED, ESTIMATED)]
        verified = [r for r in pool if r.status == VERIFIED]
        pool = verified or [r for r in pool if r.status == ESTIMATED]
        return min(pool, key=lambda r: (r.score, r.index)) if pool else None

    def best_schedule(self) -> Any:
        """The best candidate replayed on a fresh schedule of the kernel."""
        if self.best is None:
            raise AlloError("no feasible candidate", where="explore",
                            hint="relax the constraints or widen the space")
        return apply_calls(self.module, self.best.calls)

    def counts(self) -> Dict[str, int]:
        out: Dict[str, int] = {}
        for r in self.rows:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    def table(self, limit: Optional[int] = None) -> str:
        """A text table: one line per candidate (Pareto ones marked ``*``)."""
        head = f"{'#':>4} {'status':<15} {'latency':>12} {'DSP':>6} {'BRAM':>6} {'LUT':>8}  schedule / reason"
        lines = [head]
        rows = self.rows if limit is None else sorted(
            self.rows, key=lambda r: (r.score is None, r.score or 0))[:limit]
        for r in rows:
            m = r.metrics
            sched = "; ".join(call_text(c) for c in r.calls) or "(none)"
            note = sched if r.status in (ESTIMATED, VERIFIED) else f"{sched}  <- {r.reason}"
            mark = "*" if r.pareto else " "
            lines.append(f"{r.index:>4}{mark}{r.status:<15} {_n(m.get('latency')):>12} "
                         f"{_n(m.get('DSP')):>6} {_n(m.get('BRAM_18K')):>6} {_n(m.get('LUT')):>8}  "
                         f"{note[:160]}")
        return "\n".join(lines)

    def __str__(self) -> str:
        counts = ", ".join(f"{v} {k}" for k, v in sorted(self.counts().items()))
        best = self.best
        tail = (f"best ({self.objective}): #{best.index}\n{best.script()}" if best
                else "no feasible candidate")
        return f"{self.table()}\n{len(self.rows)} candidates: {counts}\n{tail}"

    def as_dict(self) -> Dict[str, Any]:
        return {"objective": self.objective, "constraints": self.constraints,
                "rows": [r.as_dict() for r in self.rows],
                "best": self.best.as_dict() if self.best else None}

    def plot(self, path: str) -> str:
        """Write the Pareto plot (latency vs DSP) as a PNG; returns the path."""
        from .plot import pareto_png

        return pareto_png(self, path)


def _n(x: Any) -> str:
    if x is None:
        return "-"
    return f"{int(x):,}" if float(x).is_integer() else f"{x:.3g}"


def _module_of(kernel: Any, instantiate: Optional[list]) -> Any:
    from ..ir.nodes import Module
    from ..schedule import Schedule, customize

    if isinstance(kernel, Schedule):
        return kernel.ir
    if isinstance(kernel, Module):
        return kernel
    if callable(kernel):
        return customize(kernel, instantiate=instantiate).ir
    raise AlloError(f"cannot explore a {type(kernel).__name__}", where="explore",
                    hint="pass a kernel function, a Schedule or an IR Module")


def _score(objective: Objective, metrics: Dict[str, float]) -> float:
    if callable(objective):
        return float(objective(metrics))
    if objective not in metrics:
        raise AlloError(f"unknown objective {objective!r}", where="explore(objective=...)",
                        hint=f"metrics: {', '.join(metrics)}, or a function of them")
    return float(metrics[objective])


def pareto_front(rows: Sequence[Row], axes: Sequence[str] = ("latency", "DSP")) -> List[Row]:
    """Rows not dominated on ``axes`` (lower is better) among the feasible estimated ones;
    of equal points the first (lowest index) stands for them."""
    pts = [r for r in rows if r.feasible and r.metrics]
    front = []
    for r in pts:
        a = [r.metrics[x] for x in axes]
        dominated = False
        for q in pts:
            if q is r:
                continue
            b = [q.metrics[x] for x in axes]
            if all(y <= x for x, y in zip(a, b)) and (any(y < x for x, y in zip(a, b)) or q.index < r.index):
                dominated = True
                break
        if not dominated:
            front.append(r)
    return front


def explore(kernel: Any, space: Any, objective: Objective = "latency",
            constraints: Optional[Dict[str, float]] = None, verify: bool = True,
            workers: Optional[int] = None, scheduler: Optional[str] = None,
            timeout: Optional[float] = 120.0, clock_mhz: float = 300.0, part: str = "xcu280",
            instantiate: Optional[list] = None, progress: bool = True) -> Exploration:
    """Try every schedule of ``space`` (a dict, see :class:`~allo.dse.space.Space`) on
    ``kernel``; estimate each; verify the Pareto-optimal ones; return an
    :class:`Exploration`.

    ``objective``: a metric name (``"latency"``, ``"DSP"``, ``"LUT"``, ``"ms"``, ...) or a
    function of the metrics dict, minimized. ``constraints``: metric upper bounds.
    ``workers``: 0 runs serially here; ``None`` starts a Dask LocalCluster sized to the
    cores; N a LocalCluster of N. ``scheduler``: an existing Dask scheduler's address.
    ``timeout``: seconds per candidate (``None``: no limit).

    Example: ``explore(gemm, {"pipeline": ["j", "k"]}, constraints={"DSP": 1000}, workers=0)``.
    """
    module = _module_of(kernel, instantiate)
    constraints = dict(constraints or {})
    candidates: List[Candidate] = Space(space).candidates()
    obj_name = objective if isinstance(objective, str) else getattr(objective, "__name__", "objective")
    bar = _progress(len(candidates), progress)
    counts: Dict[str, int] = {}

    def tick(i: int, out: dict) -> None:
        counts[out["status"]] = counts.get(out["status"], 0) + 1
        if bar is not None:
            bar.update(1)
            bar.set_postfix({k: v for k, v in sorted(counts.items())}, refresh=False)

    with Runner(workers=workers, scheduler=scheduler) as run:
        outs = run.map(_evaluate_task, [(c.calls, clock_mhz, part, timeout) for c in candidates],
                       shared=module, on_done=tick)
        rows = []
        for c, out in zip(candidates, outs):
            row = Row(c.index, c.calls, out["status"], out.get("reason", ""),
                      dict(out.get("metrics") or {}), seconds=out.get("seconds", 0.0))
            if row.status == ESTIMATED:
                over = [f"{k} {row.metrics.get(k, 0):g} > {v:g}" for k, v in constraints.items()
                        if row.metrics.get(k, 0) > v]
                row.feasible = not over
                if over:
                    row.reason = "over budget: " + ", ".join(over)
                row.score = _score(objective, row.metrics)
            rows.append(row)
        front = pareto_front(rows)
        for r in front:
            r.pareto = True
        if verify and front:
            if bar is not None:
                bar.total += len(front)
            checks = run.map(_verify_task, [(r.calls, timeout) for r in front], shared=module,
                             on_done=lambda i, out: tick(i, {"status": "verify " + out["status"]}))
            for r, out in zip(front, checks):
                r.status = out["status"] if out["status"] in (VERIFIED, NOT_EQUIVALENT, UNKNOWN,
                                                              TIMEOUT, WORKER_DIED) else UNKNOWN
                r.reason = out.get("reason", "")
                if r.status != VERIFIED:
                    r.feasible = False
    if bar is not None:
        bar.close()
    return Exploration(module, rows, obj_name, constraints)


def _evaluate_task(module: Any, calls: tuple, clock_mhz: float, part: str,
                   timeout: Optional[float]) -> dict:
    return evaluate(module, calls, clock_mhz, part, timeout)


def _verify_task(module: Any, calls: tuple, timeout: Optional[float]) -> dict:
    return verify_candidate(module, calls, timeout)


def _progress(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="candidates", unit="cand", leave=False)


__all__ = ["explore", "Exploration", "Row", "pareto_front"]
