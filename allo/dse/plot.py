"""The Pareto plot of an exploration: latency against DSP, every estimated candidate a
dot, the Pareto front a line, the best candidate starred (matplotlib, PNG).

Example: ``pareto_png(result, "pareto.png")``.
"""

from __future__ import annotations

from typing import Any


def pareto_png(result: Any, path: str) -> str:
    """Write the plot to ``path`` and return it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = [r for r in result.rows if r.metrics]
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    ok = [r for r in pts if r.feasible or r.status in ("verified", "estimated")]
    ax.scatter([r.metrics["DSP"] for r in ok], [r.metrics["latency"] for r in ok], s=14,
               color="#9db4d3", label="estimated")
    front = sorted(result.pareto, key=lambda r: r.metrics["DSP"])
    if front:
        ax.plot([r.metrics["DSP"] for r in front], [r.metrics["latency"] for r in front], "-o",
                color="#1f4e8c", markersize=5, label="Pareto front")
    best = result.best
    if best is not None:
        ax.scatter([best.metrics["DSP"]], [best.metrics["latency"]], marker="*", s=180,
                   color="#d1495b", zorder=5, label=f"best (#{best.index})")
    ax.set_xlabel("DSP")
    ax.set_ylabel("latency (cycles)")
    if pts and max(r.metrics["latency"] for r in pts) > 20 * max(1, min(r.metrics["latency"] for r in pts)):
        ax.set_yscale("log")
    ax.set_title(f"{len(pts)} schedules of {result.module.top}")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return str(path)
