"""Where candidates run: in this process, on an embedded Dask ``LocalCluster``, or on an
existing Dask cluster (``scheduler="tcp://host:8786"``).

Results come back in candidate order whatever the execution order, so a serial and a
distributed run of the same space give identical tables. A task whose worker dies is
reported as ``worker died`` (the embedded cluster does not retry it: a candidate that
crashes its worker would crash the next one too); the other candidates go on.

Example::

    with Runner(workers=2) as run:
        results = run.map(evaluate, [(module, calls) for calls in ...])
"""

from __future__ import annotations

import os
from typing import Any, Callable, List, Optional, Sequence, Tuple

from ..errors import AlloError
from .evaluate import ERROR, WORKER_DIED


class Runner:
    """Runs ``fn(*args)`` for many argument tuples. ``workers=0``: serially in this process;
    ``workers=None``: a LocalCluster with one single-threaded worker per core; ``workers=N``:
    a LocalCluster of N; ``scheduler``: an existing cluster's address."""

    def __init__(self, workers: Optional[int] = None, scheduler: Optional[str] = None):
        self.workers = workers
        self.scheduler = scheduler
        self.client = None
        self.cluster = None
        self._config = None

    @property
    def serial(self) -> bool:
        return self.scheduler is None and self.workers == 0

    def __enter__(self) -> "Runner":
        if self.serial:
            return self
        try:
            import dask
            from dask.distributed import Client, LocalCluster
        except ImportError as e:  # pragma: no cover - dask is a dependency
            raise AlloError("Dask is not installed", where="dse",
                            hint="pip install 'dask[distributed]', or pass workers=0") from e
        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout="10s")
            except OSError as e:
                raise AlloError(f"cannot reach the Dask scheduler at {self.scheduler}: {e}",
                                where="dse(scheduler=...)",
                                hint="start one with `dask scheduler` and `dask worker ADDR`, "
                                     "or leave scheduler=None for a local cluster") from e
            return self
        n = self.workers or os.cpu_count() or 1
        self._config = dask.config.set({"distributed.scheduler.allowed-failures": 0})
        self._config.__enter__()
        self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                    dashboard_address=None, silence_logs=50)
        self.client = Client(self.cluster)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        if self._config is not None:
            self._config.__exit__(None, None, None)
        self.client = self.cluster = self._config = None

    def map(self, fn: Callable[..., dict], items: Sequence[Tuple[Any, ...]],
            shared: Any = None, on_done: Optional[Callable[[int, dict], None]] = None) -> List[dict]:
        """``[fn(shared, *item) for item in items]`` (``shared`` goes with every task),
        in order; ``on_done(i, result)`` is called as results arrive."""
        results: List[Optional[dict]] = [None] * len(items)
        if self.serial:
            for i, item in enumerate(items):
                results[i] = fn(shared, *item)
                if on_done:
                    on_done(i, results[i])
            return results  # type: ignore[return-value]
        from dask.distributed import as_completed

        # the shared data travels with each task (not scattered): a worker that dies must
        # not take the only copy of it with it
        index = {}
        pending = as_completed([], with_results=True, raise_errors=False)

        def submit(i: int) -> None:
            f = self.client.submit(fn, shared, *items[i], pure=False)
            index[f.key] = i
            pending.add(f)

        for i in range(len(items)):
            submit(i)
        suspects = []
        for future, value in pending:
            i = index[future.key]
            out = value if future.status == "finished" else _failure(value)
            if out["status"] in (WORKER_DIED, LOST):
                suspects.append(i)  # it, or a task beside it, brought its worker down
                continue
            results[i] = out
            if on_done:
                on_done(i, out)
        for i in sorted(suspects):
            # run alone: a task that kills its worker again is the culprit, the others
            # were bystanders and now complete
            f = self.client.submit(fn, shared, *items[i], pure=False)
            try:
                out = f.result()
            except Exception as e:  # noqa: BLE001 - classified below
                out = _failure(e)
                if out["status"] == LOST:
                    out = {"status": WORKER_DIED, "reason": out["reason"]}
            results[i] = out
            if on_done:
                on_done(i, out)
        return results  # type: ignore[return-value]


LOST = "lost"


def _failure(error: Any) -> dict:
    name = type(error).__name__
    if name == "KilledWorker" or "KilledWorker" in repr(error):
        return {"status": WORKER_DIED, "reason": f"the worker running it died ({name})"}
    if name in ("FutureCancelledError", "CancelledError") or "lost" in str(error).lower():
        return {"status": LOST, "reason": f"its worker died ({name})"}
    return {"status": ERROR, "reason": f"{name}: {error}"[:300]}


__all__ = ["Runner"]
