"""The ``allo`` command line: ``allo verify``, ``allo build``, ``allo proofs``.

Designs are found by convention: a Python file defines **zero-argument functions whose
names start with ``design_``**, each returning a :class:`allo.schedule.Schedule`
(``FILE::NAME`` picks one; ``NAME`` may omit the ``design_`` prefix).

* ``allo verify FILE[::NAME] [--json]`` runs ``s.verify()`` on each design and prints a
  table. Exit status: 0 when all are equivalent, 1 when one is not equivalent, 2 when one
  is unknown or fails to load/run. The file runs in a child process
  (:mod:`allo.design_runner`): what it prints goes to standard error, and a design that
  calls ``sys.exit`` or ends its process is an "error" row, so neither can change the exit
  status or the JSON. ``allo build`` runs the design the same way. With ``--workers N`` or
  ``--scheduler ADDR`` the designs run as tasks on a Dask cluster instead.
* ``allo build FILE::NAME --target vhls|vitis_hls [--mode csim] [--project DIR]
  [--no-verify]``: prints the C++ (vhls) or writes the project.
* ``allo proofs [RULE]`` checks the rewrite-rule theorems (``python -m proofs``).
* ``allo cache clear [--all]`` empties the proof cache (``--all``: every Allo cache, C
  simulations too); ``allo cache info`` shows where it is and how many verdicts it holds.

Example::

    $ allo verify examples/cli_designs.py
    design               verdict         method / reason
    design_gemm_reorder  equivalent      symbolic execution: ...
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any, Dict, List, Optional, Sequence

from .design_runner import DESIGN_PREFIX, build_design, load_designs, verify_designs
from .errors import AlloError

EXIT_OK, EXIT_NOT_EQUIVALENT, EXIT_UNKNOWN = 0, 1, 2

__all__ = ["main", "parser", "load_designs", "DESIGN_PREFIX"]


def _exit_code(rows: Sequence[Dict[str, Any]]) -> int:
    # a design proved wrong is the most important news: it wins over unknown/error
    statuses = {r["status"] for r in rows}
    if "not equivalent" in statuses:
        return EXIT_NOT_EQUIVALENT
    if statuses & {"unknown", "error"}:
        return EXIT_UNKNOWN
    return EXIT_OK


def _table(rows: Sequence[Dict[str, Any]]) -> str:
    width = max([len("design")] + [len(r["design"]) for r in rows])
    lines = [f"{'design':<{width}}  {'verdict':<15} {'time(s)':>7}  method / reason"]
    for r in rows:
        note = (r["method"] if r["status"] == "equivalent" else r["reason"] or r["method"])
        note = " ".join(str(note).split())
        lines.append(f"{r['design']:<{width}}  {r['status']:<15} {r['seconds']:>7.2f}  {note[:100]}")
    for r in rows:
        if r["status"] != "equivalent":
            lines += ["", f"--- {r['design']}: {r['status']}", r["report"]]
    return "\n".join(lines)


def cmd_verify(args: argparse.Namespace) -> int:
    # designs run in child processes: nothing they print, raise or exit with can change
    # this process's output or exit status (allo.design_runner)
    if args.workers is None and args.scheduler is None:
        rows, error = verify_designs(args.target, echo=sys.stderr.write)
    else:
        from .dse.verify_files import verify_file  # Dask loads only for a distributed run

        try:
            rows, error = verify_file(args.target, workers=args.workers, scheduler=args.scheduler)
        except AlloError as e:
            error, rows = str(e), []
    if error is not None:
        if args.json:
            print(json.dumps({"exit_code": EXIT_UNKNOWN, "error": error, "designs": []}))
        else:
            print(f"allo verify: {error}", file=sys.stderr)
        return EXIT_UNKNOWN
    code = _exit_code(rows)
    if args.json:
        print(json.dumps({"exit_code": code, "designs": rows}, indent=2))
    else:
        print(_table(rows))
    return code


def cmd_build(args: argparse.Namespace) -> int:
    # built in a child process, like `allo verify`: standard output is only the result
    options = {"target": args.target_kind, "mode": args.mode, "project": args.project,
               "verify": not args.no_verify}
    status, text, gate = build_design(args.target, options, echo=sys.stderr.write)
    if status != "built":
        print(f"allo build: {text}", file=sys.stderr)
        if gate:
            print("allo build: to build an unverified design anyway, pass --no-verify", file=sys.stderr)
        return EXIT_NOT_EQUIVALENT if gate else EXIT_UNKNOWN
    print(text)
    return EXIT_OK


def cmd_proofs(args: argparse.Namespace) -> int:
    cmd = [sys.executable, "-m", "proofs", *([args.rule] if args.rule else [])]
    return subprocess.call(cmd)


def cmd_cache(args: argparse.Namespace) -> int:
    from .verification.cache import allo_cache_dir, cache_enabled, default_cache

    proofs = default_cache()
    if args.action == "info":
        state = "on" if cache_enabled() else "off (ALLO_PROOF_CACHE)"
        print(f"proof cache: {proofs.directory} ({proofs.entries()} verdicts, {state})")
        return EXIT_OK
    removed = proofs.clear()
    print(f"removed {removed} cached verdict(s) from {proofs.directory}")
    if args.all:
        import shutil

        root = allo_cache_dir()
        shutil.rmtree(root, ignore_errors=True)
        print(f"removed every Allo cache under {root}")
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="allo", description="Allo: verify, build and prove designs.")
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="prove each design_* schedule of a file equivalent")
    v.add_argument("target", help="FILE or FILE::NAME")
    v.add_argument("--json", action="store_true", help="machine-readable output")
    v.add_argument("--workers", type=int, default=None,
                   help="verify the designs as tasks on a Dask LocalCluster of N workers")
    v.add_argument("--scheduler", default=None,
                   help="verify on an existing Dask cluster (tcp://host:8786)")
    v.set_defaults(run=cmd_verify)
    b = sub.add_parser("build", help="build one design for an HLS target")
    b.add_argument("target", help="FILE::NAME")
    b.add_argument("--target", dest="target_kind", default="vhls", choices=["vhls", "vitis_hls"])
    b.add_argument("--mode", default=None, choices=["csim", "csyn", "sw_emu", "hw_emu", "hw"])
    b.add_argument("--project", default=None, help="project directory to write")
    b.add_argument("--no-verify", action="store_true", help="skip the equivalence gate")
    b.set_defaults(run=cmd_build)
    r = sub.add_parser("proofs", help="check the rewrite-rule theorems (python -m proofs)")
    r.add_argument("rule", nargs="?", default=None)
    r.set_defaults(run=cmd_proofs)
    c = sub.add_parser("cache", help="the on-disk proof cache: clear it or show where it is")
    c.add_argument("action", choices=["clear", "info"])
    c.add_argument("--all", action="store_true",
                   help="with clear: remove every Allo cache (C simulations too)")
    c.set_defaults(run=cmd_cache)
    _register_qor(sub)
    return p


def _register_qor(sub: Any) -> None:
    """``allo report`` and ``allo dse`` live in :mod:`allo.qor.commands`."""
    from .qor.commands import register

    register(sub)


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of the ``allo`` console script; returns the exit status.

    Example: ``main(["verify", "examples/cli_designs.py", "--json"])``.
    """
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: stop quietly, as Unix tools do
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
