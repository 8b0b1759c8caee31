"""The memory budget of one ``verify()``: growth of the process's resident memory.

The symbolic executor's DAG grows with the work (a 256^3 GEMM needs gigabytes), so the
checker polls resident memory (every 65,536 symbolic ops, and between comparison steps)
and stops with "unknown: memory budget" before the machine runs out. The default budget
is half of physical RAM or 80% of the RAM available when the check starts, whichever is
smaller; ``verify(max_memory=...)`` sets it in bytes.

Example::

    >>> budget = MemoryBudget(2 << 30)          # 2 GiB of growth
    >>> budget.exceeded() is None               # doctest: +SKIP
    True
"""

from __future__ import annotations

import gc
import os
from typing import Optional

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes() -> Optional[int]:
    """The process's resident memory now (Linux ``/proc``), else ``None``.

    Example: ``resident_bytes() > 0`` on Linux.
    """
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


def _meminfo(field: str) -> Optional[int]:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def default_memory_budget() -> int:
    """Half of physical RAM, or 80% of available RAM if that is smaller (bytes).

    Example: ``default_memory_budget() <= os.sysconf("SC_PHYS_PAGES") * _PAGE``.
    """
    total = _meminfo("MemTotal")
    if total is None:
        try:
            total = os.sysconf("SC_PHYS_PAGES") * _PAGE
        except (ValueError, OSError, AttributeError):
            total = 8 << 30
    budget = total // 2
    available = _meminfo("MemAvailable")
    if available is not None:
        budget = min(budget, available * 4 // 5)
    return max(budget, 64 << 20)


class MemoryBudgetExceeded(Exception):
    """The check grew resident memory past its budget."""


class MemoryBudget:
    """Growth of resident memory allowed from construction on (``None``: the default).

    ``check()`` raises :class:`MemoryBudgetExceeded`; ``exceeded()`` returns the message.
    Example: ``MemoryBudget(1 << 30).check()``.
    """

    def __init__(self, limit: Optional[int] = None) -> None:
        self.limit = default_memory_budget() if limit is None else int(limit)
        self.baseline = resident_bytes() or 0
        self.peak = 0

    def exceeded(self) -> Optional[str]:
        now = resident_bytes()
        if now is None:
            return None
        grown = now - self.baseline
        if grown > self.limit and gc.collect():  # the collector may be paused (verify):
            grown = (resident_bytes() or now) - self.baseline  # cyclic garbage goes first
        self.peak = max(self.peak, grown)
        if grown > self.limit:
            return (f"the check grew memory by {grown / 2**20:,.0f} MiB, over its budget of "
                    f"{self.limit / 2**20:,.0f} MiB (verify(max_memory=...) in bytes)")
        return None

    def check(self) -> None:
        msg = self.exceeded()
        if msg is not None:
            raise MemoryBudgetExceeded(msg)


__all__ = ["MemoryBudget", "MemoryBudgetExceeded", "default_memory_budget", "resident_bytes"]
