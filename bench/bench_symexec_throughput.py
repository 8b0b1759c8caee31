"""Full-execution throughput of the symbolic executor: this tree against a baseline commit.

Both trees verify the same designs in the same run, each measurement in a fresh child
process (``PYTHONPATH`` pointing at the tree) and the two trees interleaved, so machine load
hits both alike; each figure is the best of ``--repeat`` runs. Designs (both built with the
real primitives of each tree):

* ``seed``: the seed's n x n systolic array (int8 x int8 -> int16; buffer_at, unfold,
  partition, relay) against its algorithm;
* ``gemm``: a float32 GEMM with a non-trivial schedule (split i by 8, reorder k/j,
  buffer_at C, pipeline) against its algorithm.

Seconds are the child's CPU time (``time.process_time``: on a shared machine the wall
time mostly measures the other processes; it is printed beside it). Symbolic ops are the
executor's own count (identical in both trees for the same design:
the bench checks it). The baseline tree is exported with ``git archive`` into a temporary
directory (no worktree, nothing changes in the repository) unless ``--base DIR`` is given.

Run: ``python bench/bench_symexec_throughput.py [--base-commit 2b3edc4] [--size 64]
[--repeat 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def seed_design(n: int):
    """The seed's systolic schedule applied by the primitives (as the slides write it)."""
    import allo
    from allo.ir.types import int8, int16

    M = N = K = n

    def matmul(A: int8[M, K], B: int8[K, N], C: int16[M, N]):
        for i, j in allo.grid(M, N, "PE"):
            for k in range(K):
                C[i, j] += A[i, k] * B[k, j]

    s = allo.customize(matmul)
    buf_a = s.buffer_at(s.A, "j")
    buf_b = s.buffer_at(s.B, "j")
    pe = s.unfold("PE", axis=[0, 1], factor=[M, N])
    s.partition(s.A, dim=0)
    s.partition(s.B, dim=1)
    s.partition(s.C, dim=[0, 1])
    s.relay(buf_a, pe, axis=0, depth=M + 1)
    s.relay(buf_b, pe, axis=1, depth=N + 1)
    return s.original, s.ir


def gemm_design(n: int):
    """A float32 GEMM: split i by 8, reorder k before j, C buffered per row, j pipelined."""
    import allo
    from allo.ir.types import float32

    M = N = K = n

    def gemm(A: float32[M, K], B: float32[K, N]) -> float32[M, N]:
        C: float32[M, N] = 0.0
        for i, j, k in allo.grid(M, N, K):
            C[i, j] += A[i, k] * B[k, j]
        return C

    s = allo.customize(gemm)
    s.split("i", 8)
    s.reorder("k", "j")
    s.buffer_at(s.C, axis="i.inner")
    s.pipeline("j")
    return s.original, s.ir


DESIGNS = {"seed": seed_design, "gemm": gemm_design}


def child(design: str, n: int) -> dict:
    """One measurement in this process: verify the design, return ops and seconds."""
    from allo.symexec import verify

    a, b = DESIGNS[design](n)
    t, c = time.perf_counter(), time.process_time()
    v = verify(a, b, progress=False)
    cpu, wall = time.process_time() - c, time.perf_counter() - t
    return dict(status=v.status, ops=v.stats["ops_A"] + v.stats["ops_B"], seconds=cpu, wall=wall)


def measure(tree: str, design: str, n: int) -> dict:
    env = dict(os.environ, PYTHONPATH=tree)
    with tempfile.TemporaryDirectory() as cwd:  # no allo/ in cwd to shadow the tree's
        res = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", design,
                              str(n)], capture_output=True, text=True, env=env, cwd=cwd)
    if res.returncode != 0:
        raise RuntimeError(f"{design} in {tree} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def export(commit: str, dest: str) -> None:
    """The tree of ``commit`` as plain files in ``dest`` (``git archive``)."""
    archive = subprocess.run(["git", "-C", ROOT, "archive", commit], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-commit", default="2b3edc4")
    ap.add_argument("--base", help="a directory holding the baseline tree (else git archive)")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--designs", default="seed,gemm")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = args.base
        if base is None:
            base = tmp
            export(args.base_commit, base)
        trees = {"this tree": ROOT, args.base_commit: base}
        print(f"symbolic-execution throughput at n = {args.size}, best of {args.repeat} "
              f"(this tree vs {args.base_commit}, interleaved)")
        print(f"{'design':>6} {'tree':>10} {'verdict':>11} {'ops':>11} {'CPU s':>8} "
              f"{'ops/s':>11} {'wall s':>8}")
        for design in args.designs.split(","):
            best = {}
            for _ in range(args.repeat):
                for label, tree in trees.items():
                    r = measure(tree, design, args.size)
                    if label not in best or r["seconds"] < best[label]["seconds"]:
                        best[label] = r
            for label, r in best.items():
                print(f"{design:>6} {label:>10} {r['status']:>11} {r['ops']:>11,} "
                      f"{r['seconds']:>8.3f} {r['ops'] / r['seconds']:>11,.0f} {r['wall']:>8.3f}")
            new, old = best["this tree"], best[args.base_commit]
            same = "" if new["ops"] == old["ops"] else "  (op counts differ!)"
            print(f"{design:>6} {'ratio':>10} {'':>11} {'':>11} {'':>8} "
                  f"{(new['ops'] / new['seconds']) / (old['ops'] / old['seconds']):>10.2f}x{same}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], int(sys.argv[3]))))
    else:
        main()
