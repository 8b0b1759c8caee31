"""The reliability campaign: ``python bench/fuzz.py --n 10000 [--seed 0] [--csim-every 30]``.

Random kernels x random schedules (allo.testing strategies): every primitive applies or
is refused with an AlloError, every schedule verifies, the interpreter and LLVM agree on
random inputs for every program, and the HLS C simulation agrees on a seeded sample.
Prints every failure with a reproducer as it happens, then the figures; exits 1 if anything failed.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from allo.testing.fuzz import run_campaign  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10000, help="programs to generate")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--csim-every", type=int, default=30,
                    help="run the C simulation on every k-th program (0: never)")
    ap.add_argument("--max-steps", type=int, default=3, help="primitives per schedule")
    ap.add_argument("--report-every", type=int, default=250)
    ns = ap.parse_args()
    last = [time.time()]

    shown = [0]

    def progress(report):
        # a failure is printed when it happens: a long campaign shows its findings early
        while shown[0] < len(report.failures):
            print("-" * 72 + "\n" + str(report.failures[shown[0]]), flush=True)
            shown[0] += 1
        if report.programs % ns.report_every == 0:
            print(f"[{report.programs}/{ns.n}] {report.seconds:.0f} s, "
                  f"{len(report.failures)} failure(s), csim {report.csim_checked}", flush=True)

    report = run_campaign(ns.n, seed=ns.seed, csim_every=ns.csim_every,
                          max_steps=ns.max_steps, progress=progress)
    print(report.summary())
    if os.environ.get("ALLO_FUZZ_UNKNOWNS"):
        for u in report.unknowns:
            print("-" * 72)
            print(u)
    for f in report.failures[shown[0]:]:
        print("-" * 72)
        print(f)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
