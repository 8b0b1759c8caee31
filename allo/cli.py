"""The ``allo`` command line: ``allo verify``, ``allo build``, ``allo proofs``.

Designs are found by convention: a Python file defines **zero-argument functions whose
names start with ``design_``**, each returning a :class:`allo.schedule.Schedule`
(``FILE::NAME`` picks one; ``NAME`` may omit the ``design_`` prefix).

* ``allo verify FILE[::NAME] [--json]`` runs ``s.verify()`` on each design and prints a
  table. Exit status: 0 when all are equivalent, 1 when one is not equivalent, 2 when one
  is unknown or fails to load/run.
* ``allo build FILE::NAME --target vhls|vitis_hls [--mode csim] [--project DIR]
  [--no-verify]``: prints the C++ (vhls) or writes the project.
* ``allo proofs [RULE]`` checks the rewrite-rule theorems (``python -m proofs``).

Example::

    $ allo verify examples/cli_designs.py
    design               verdict         method / reason
    design_gemm_reorder  equivalent      symbolic execution: ...
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .errors import AlloError

DESIGN_PREFIX = "design_"
EXIT_OK, EXIT_NOT_EQUIVALENT, EXIT_UNKNOWN = 0, 1, 2


class _LoadError(Exception):
    pass


def _split_target(spec: str) -> Tuple[Path, Optional[str]]:
    if "::" in spec:
        file, name = spec.split("::", 1)
        return Path(file), name or None
    return Path(spec), None


def load_designs(spec: str) -> Dict[str, Callable[[], Any]]:
    """The ``design_*`` functions of the file in ``spec`` (``FILE`` or ``FILE::NAME``).

    Example: ``load_designs("examples/cli_designs.py::gemm_reorder")``.
    """
    path, name = _split_target(spec)
    if not path.exists():
        raise _LoadError(f"no such file: {path}")
    mod_name = f"allo_cli_designs_{abs(hash(str(path.resolve())))}"
    module_spec = importlib.util.spec_from_file_location(mod_name, path)
    if module_spec is None or module_spec.loader is None:
        raise _LoadError(f"cannot load {path} as Python")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[mod_name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as e:  # noqa: BLE001 - any failure of the user's file is reported
        raise _LoadError(f"loading {path} failed: {type(e).__name__}: {e}") from e
    designs = {k: v for k, v in vars(module).items()
               if k.startswith(DESIGN_PREFIX) and callable(v)}
    if name is not None:
        key = name if name in designs else DESIGN_PREFIX + name
        if key not in designs:
            raise _LoadError(f"{path} defines no design named {name!r} "
                             f"(designs: {', '.join(designs) or 'none'})")
        return {key: designs[key]}
    if not designs:
        raise _LoadError(f"{path} defines no design: define zero-argument functions named "
                         f"'{DESIGN_PREFIX}...' that return a Schedule")
    return designs


def _verify_one(name: str, fn: Callable[[], Any]) -> Dict[str, Any]:
    start = time.perf_counter()
    try:
        schedule = _call_design(name, fn)
        verdict = schedule.verify()
    except Exception as e:  # noqa: BLE001 - reported as a row, exit status 2
        detail = str(e) if isinstance(e, AlloError) else traceback.format_exc(limit=3)
        return {"design": name, "status": "error", "method": "", "reason": detail.strip(),
                "seconds": time.perf_counter() - start, "report": detail}
    return {"design": name, "status": verdict.status, "method": verdict.method,
            "reason": verdict.reason, "seconds": time.perf_counter() - start,
            "report": str(verdict)}


def _call_design(name: str, fn: Callable[[], Any]) -> Any:
    """Run a ``design_*`` function and check that it returned a Schedule."""
    import inspect

    from .schedule import Schedule

    try:
        inspect.signature(fn).bind()
    except TypeError:
        raise AlloError(f"{name} takes arguments", where=name,
                        hint="designs are zero-argument functions returning a Schedule") from None
    except ValueError:
        pass  # no signature available (a builtin): just call it
    schedule = fn()
    if not isinstance(schedule, Schedule):
        raise AlloError(f"{name} returned {type(schedule).__name__}, not a Schedule", where=name,
                        hint="return the result of allo.customize(kernel) (after its primitives)")
    return schedule


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
    try:
        designs = load_designs(args.target)
    except _LoadError as e:
        if args.json:
            print(json.dumps({"error": str(e), "designs": []}))
        else:
            print(f"allo verify: {e}", file=sys.stderr)
        return EXIT_UNKNOWN
    rows = [_verify_one(n, fn) for n, fn in designs.items()]
    code = _exit_code(rows)
    if args.json:
        print(json.dumps({"exit_code": code, "designs": rows}, indent=2))
    else:
        print(_table(rows))
    return code


def cmd_build(args: argparse.Namespace) -> int:
    try:
        designs = load_designs(args.target)
    except _LoadError as e:
        print(f"allo build: {e}", file=sys.stderr)
        return EXIT_UNKNOWN
    if len(designs) != 1:
        print(f"allo build: name one design with FILE::NAME (found: {', '.join(designs)})",
              file=sys.stderr)
        return EXIT_UNKNOWN
    (name, fn), = designs.items()
    try:
        schedule = _call_design(name, fn)
        mod = schedule.build(target=args.target_kind, mode=args.mode, project=args.project,
                             verify=not args.no_verify)
    except AlloError as e:
        gate = type(e).__name__ == "VerificationError"
        print(f"allo build: {name}: {e}", file=sys.stderr)
        if gate:
            print("allo build: to build an unverified design anyway, pass --no-verify", file=sys.stderr)
        return EXIT_NOT_EQUIVALENT if gate else EXIT_UNKNOWN
    if args.target_kind == "vhls" and not args.project:
        print(mod)
    else:
        print(f"{name}: wrote {getattr(mod, 'project', None) or args.project}")
    return EXIT_OK


def cmd_proofs(args: argparse.Namespace) -> int:
    cmd = [sys.executable, "-m", "proofs", *([args.rule] if args.rule else [])]
    return subprocess.call(cmd)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="allo", description="Allo: verify, build and prove designs.")
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="prove each design_* schedule of a file equivalent")
    v.add_argument("target", help="FILE or FILE::NAME")
    v.add_argument("--json", action="store_true", help="machine-readable output")
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
