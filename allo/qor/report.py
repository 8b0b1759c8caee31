"""The QoR report: a Vitis-HLS-style table per function and loop, a summary line at the
target clock, and an explanation for every loop that misses II=1.

Example::

    r = s.report(clock_mhz=300, part="xcu280")
    print(r)                 # table + summary + explanations
    r.latency, r.dsp, r.ff   # totals
    r.formula()              # sympy: latency in the loops' trip counts
    r.timing("j").ii         # one loop's timing (allo.qor.model.LoopTiming)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ..errors import AlloError
from . import formula as F
from .model import LoopTiming
from .resources import Resources


@dataclass
class Row:
    """One function or loop of the report (``kind``: function, loop, pe)."""

    name: str
    kind: str
    level: int
    trip: Optional[int] = None
    depth: Optional[int] = None   # iteration latency
    ii: Optional[int] = None
    latency: Optional[int] = None
    pipelined: bool = False
    resources: Resources = field(default_factory=Resources)
    notes: List[str] = field(default_factory=list)
    formula: Any = None

    def as_dict(self) -> Dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "level": self.level, "trip": self.trip,
                "iteration_latency": self.depth, "ii": self.ii, "latency": self.latency,
                "pipelined": self.pipelined, "DSP": self.resources.total_dsp,
                "BRAM_18K": self.resources.bram, "FF": self.resources.ff,
                "LUT": self.resources.lut, "URAM": self.resources.uram, "notes": list(self.notes)}


def _fmt(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    return f"{x:,}" if isinstance(x, int) else str(x)


class Report:
    """An estimate of a design (see :func:`allo.qor.estimate`)."""

    def __init__(self, top: str, rows: List[Row], limits: List[Tuple[str, Any]], notes: List[str],
                 latency: int, formula: Any, resources: Resources, clock_mhz: float, part: Any):
        self.top = top
        self.rows = rows
        self.limits = limits
        self.notes = notes
        self.latency = latency
        self._formula = formula
        self.resources = resources
        self.clock_mhz = clock_mhz
        self.part = part
        self.module: Any = None  # the estimated IR (for size names, computed on demand)
        self._sizes: Optional[Dict[str, Any]] = None

    # ------------------------------------------------------------------ numbers
    @property
    def dsp(self) -> int:
        return self.resources.total_dsp

    @property
    def bram(self) -> int:
        return self.resources.bram

    @property
    def ff(self) -> int:
        return self.resources.ff

    @property
    def lut(self) -> int:
        return self.resources.lut

    @property
    def uram(self) -> int:
        return self.resources.uram

    @property
    def seconds(self) -> float:
        """Estimated latency in seconds at the target clock."""
        return self.latency / (self.clock_mhz * 1e6)

    def metrics(self) -> Dict[str, float]:
        """The totals by name (``latency``, ``DSP``, ``BRAM_18K``, ``FF``, ``LUT``, ``URAM``,
        ``ms``): what DSE objectives and constraints refer to."""
        return {"latency": self.latency, "DSP": self.dsp, "BRAM_18K": self.bram, "BRAM": self.bram,
                "FF": self.ff, "LUT": self.lut, "URAM": self.uram, "ms": self.seconds * 1e3}

    def formula(self, names: Optional[Dict[str, Any]] = None) -> Any:
        """The top function's latency as a sympy expression in the loops' trip counts
        (symbols ``N_<loop>``); ``names`` renames them, e.g. ``{"N_i": "M"}``.

        Example: ``s.report().formula({"N_i": "M", "N_j": "N", "N_k": "K"})``.
        """
        return F.to_sympy(self._formula, names)

    @property
    def sizes(self) -> Dict[str, Any]:
        """``{trip symbol: expression in the kernel's size names}`` (see
        :mod:`allo.qor.sizes`), computed on first use (sympy is slow to start)."""
        if self._sizes is None:
            from .sizes import size_symbols

            self._sizes = size_symbols(self.module, F.symbols(self._formula)) \
                if self.module is not None else {}
        return self._sizes

    def formula_in_sizes(self) -> Any:
        """The latency formula in the kernel's size names where the loop headers give them
        (``for i, j in allo.grid(M, N)``): e.g. ``M*N*K + 13*M + 1028`` for a GEMM; other
        loops keep their trip symbols ``N_<loop>``.

        Example: ``s.report().formula_in_sizes()``.
        """
        import sympy

        subs = {sympy.Symbol(k, positive=True, integer=True): v for k, v in self.sizes.items()}
        return sympy.expand(self.formula().subs(subs))

    def trip_symbols(self) -> Dict[Any, int]:
        """The sympy symbols of :meth:`formula` with their values in this design
        (``r.formula().subs(r.trip_symbols()) == r.latency``)."""
        import sympy

        return {sympy.Symbol(k, positive=True, integer=True): v
                for k, v in F.symbols(self._formula).items()}

    def loop(self, name: str) -> Row:
        """The row of loop ``name`` (a flattened pipeline answers to any of its loops)."""
        for r in self.rows:
            if r.kind == "loop" and (r.name == name or name in r.name.split("_") or
                                     r.name.startswith(name + "_") or r.name.endswith("_" + name)):
                return r
        raise AlloError(f"the report has no loop {name!r}", where="report",
                        hint=f"loops: {', '.join(r.name for r in self.rows if r.kind == 'loop')}")

    def timing(self, name: str) -> LoopTiming:
        """The II/latency model's view of one loop (for FIFO sizing).

        Example: ``s.report().timing("j").ii``.
        """
        r = self.loop(name)
        return LoopTiming(r.name, r.trip or 0, r.ii if r.pipelined else None, r.depth or 0,
                          r.latency or 0)

    def explanations(self) -> List[str]:
        """One line per loop that misses II=1: the cause and the primitive that fixes it."""
        out = []
        seen = set()
        for loop, lim in self.limits:
            key = (loop, lim.cause, lim.buffer, lim.ii)
            if key in seen:
                continue
            seen.add(key)
            out.append(f"loop {loop}: II={lim.ii} limited by {lim.cause}"
                       f"{' on ' + lim.buffer if lim.buffer else ''}: {lim.detail}; "
                       f"fix: {lim.fix}")
        return out

    # ------------------------------------------------------------------ text
    def summary(self) -> str:
        """One line: latency in cycles and time at the clock, and the resources with the
        part's utilization."""
        p = self.part

        def pct(x: int, avail: int) -> str:
            return f"{100.0 * x / avail:.0f}%" if avail else "-"

        ms = self.seconds * 1e3
        return (f"{self.top}: {self.latency:,} cycles = {ms:.4g} ms at {self.clock_mhz:g} MHz on "
                f"{p.name}; DSP {self.dsp:,} ({pct(self.dsp, p.dsp)}), BRAM_18K {self.bram:,} "
                f"({pct(self.bram, p.bram)}), FF {self.ff:,} ({pct(self.ff, p.ff)}), "
                f"LUT {self.lut:,} ({pct(self.lut, p.lut)})"
                + (f", URAM {self.uram:,}" if self.uram else "") + " [estimate]")

    def table(self) -> str:
        head = ["Modules & Loops", "Trip", "Iter. lat.", "II", "Latency", "Pipelined", "DSP",
                "BRAM_18K", "FF", "LUT"]
        lines = []
        for r in self.rows:
            mark = "+" if r.kind == "function" else "*" if r.kind == "pe" else "o"
            name = "  " * r.level + f"{mark} {r.name}"
            lines.append([name, _fmt(r.trip), _fmt(r.depth), _fmt(r.ii), _fmt(r.latency),
                          "yes" if r.pipelined else "no", _fmt(r.resources.total_dsp),
                          _fmt(r.resources.bram), _fmt(r.resources.ff), _fmt(r.resources.lut)])
        widths = [max(len(head[c]), *(len(l[c]) for l in lines)) if lines else len(head[c])
                  for c in range(len(head))]
        sep = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
        fmt_row = lambda cells: "| " + " | ".join(  # noqa: E731
            (c.ljust(w) if k == 0 else c.rjust(w)) for k, (c, w) in enumerate(zip(cells, widths))) + " |"
        return "\n".join([sep, fmt_row(head), sep, *(fmt_row(l) for l in lines), sep])

    def __str__(self) -> str:
        parts = [self.table(), self.summary()]
        expl = self.explanations()
        if expl:
            parts.append("II explanations:\n" + "\n".join("  " + e for e in expl))
        notes = sorted(set(self.notes + [n for r in self.rows for n in r.notes
                                         if "bounds" in n or "while" in n or "copies" in n]))
        if notes:
            parts.append("notes:\n" + "\n".join("  " + n for n in notes))
        return "\n".join(parts)

    __repr__ = __str__

    def as_dict(self) -> Dict[str, Any]:
        """A JSON-friendly form (rows, totals, explanations)."""
        return {"top": self.top, "clock_mhz": self.clock_mhz, "part": self.part.name,
                "latency": self.latency, "ms": self.seconds * 1e3,
                "totals": {k: v for k, v in self.metrics().items() if k != "BRAM"},
                "rows": [r.as_dict() for r in self.rows], "explanations": self.explanations(),
                "formula": str(self.formula()), "formula_in_sizes": str(self.formula_in_sizes())}


__all__ = ["Report", "Row"]
