"""Partition-type inference time on random hierarchical designs of 10 .. 100,000 nodes.

Prints, per size: nodes, bindings, graph-building time, worklist inference time (GC off,
as ``timeit`` does), the time per node (flat across sizes means linear), and the time
with the GC on. The peer measured in the same run is the
naive iterate-until-no-change solver (up to 10,000 nodes; it is quadratic-ish), printed as
a ratio. No timing is asserted.

Run: ``python bench/bench_typesys.py [--max-nodes 100000] [--seed 0]``
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from allo.typesys import build_graph, infer_layouts  # noqa: E402
from allo.testing.random_designs import random_module, random_requirements  # noqa: E402


def _best_of(fn, repeats, collect=False):
    """Best wall time of ``repeats`` runs; the cyclic GC is off unless ``collect`` (as
    ``timeit`` does: a full collection walks every live object, which makes times of
    allocation-heavy code grow with the heap rather than with the work)."""
    best, out = float("inf"), None
    for _ in range(repeats):
        gc.collect()
        if not collect:
            gc.disable()
        try:
            start = time.perf_counter()
            out = fn()
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-nodes", type=int, default=100_000)
    parser.add_argument("--naive-up-to", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"{'nodes':>8} {'bindings':>9} {'build ms':>9} {'infer ms':>9} "
          f"{'us/node':>8} {'gc-on ms':>9} {'naive/worklist':>15}")
    target = 10
    while target <= args.max_nodes:
        rng = random.Random(args.seed + target)
        module = random_module(rng, max(1, target // 6))
        t_build, graph = _best_of(lambda: build_graph(module), 1)
        reqs = random_requirements(rng, graph, density=0.2)
        repeats = 5 if target <= 10_000 else 3
        t_infer, out = _best_of(lambda: infer_layouts(graph, reqs), repeats)
        t_gc, _ = _best_of(lambda: infer_layouts(graph, reqs), 1, collect=True)
        ratio = ""
        if len(graph.shapes) <= args.naive_up_to:
            t_naive, ref = _best_of(lambda: infer_layouts(graph, reqs, solver="naive"), 1)
            assert ref == out
            ratio = f"{t_naive / t_infer:.2f}x"
        nodes = len(graph.shapes)
        print(f"{nodes:>8} {len(graph.bindings):>9} {t_build * 1e3:>9.2f} "
              f"{t_infer * 1e3:>9.2f} {t_infer / nodes * 1e6:>8.2f} {t_gc * 1e3:>9.2f} "
              f"{ratio:>15}", flush=True)
        target *= 10


if __name__ == "__main__":
    main()
