"""Load and run the ``design_*`` functions of a user's file without trusting them.

A design file is arbitrary Python: it may print, call ``sys.exit``, raise
``KeyboardInterrupt`` or end its process. None of that may change what ``allo verify``
reports. So :func:`verify_designs` runs the file in a **child process** whose standard
output goes to standard error, reads the verdicts from a private results file (one JSON
line per event), and decides the exit status itself. A design that ends the process gets
an "error" row; the child is restarted for the designs after it, so every other design is
still verified. The command line's own output is therefore exactly the table or the JSON.

:func:`load_designs` and :func:`call_design` are the in-process pieces (the child uses
them; ``allo build`` runs the same way through :func:`build_design`); :func:`quarantined`
routes stray output to standard error for in-process callers (``allo report``, ``allo dse``).

Example::

    rows, error = verify_designs("examples/cli_designs.py")
    assert error is None and all(r["status"] == "equivalent" for r in rows)
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from .errors import AlloError

DESIGN_PREFIX = "design_"


class LoadError(Exception):
    """The design file could not be loaded, or names no such design."""


def split_target(spec: str) -> Tuple[Path, Optional[str]]:
    """``"FILE::NAME"`` as ``(Path(FILE), NAME)``; a bare file gives ``NAME = None``.

    Example: ``split_target("d.py::gemm") == (Path("d.py"), "gemm")``.
    """
    if "::" in spec:
        file, name = spec.split("::", 1)
        return Path(file), name or None
    return Path(spec), None


def load_designs(spec: str) -> Dict[str, Callable[[], Any]]:
    """The ``design_*`` functions of the file in ``spec`` (``FILE`` or ``FILE::NAME``).

    Anything the file raises at import, ``SystemExit`` included, becomes a
    :class:`LoadError`.

    Example: ``load_designs("examples/cli_designs.py::gemm_reorder")``.
    """
    path, name = split_target(spec)
    if not path.is_file():
        raise LoadError(f"no such file: {path}")
    mod_name = f"allo_cli_designs_{abs(hash(str(path.resolve())))}"
    module_spec = importlib.util.spec_from_file_location(mod_name, path)
    if module_spec is None or module_spec.loader is None:
        raise LoadError(f"cannot load {path} as Python")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[mod_name] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException as e:  # noqa: BLE001 - a design file must never end the CLI
        raise LoadError(f"loading {path} failed: {type(e).__name__}: {e}") from None
    designs = {k: v for k, v in vars(module).items()
               if k.startswith(DESIGN_PREFIX) and callable(v)}
    if name is not None:
        key = name if name in designs else DESIGN_PREFIX + name
        if key not in designs:
            raise LoadError(f"{path} defines no design named {name!r} "
                            f"(designs: {', '.join(designs) or 'none'})")
        return {key: designs[key]}
    if not designs:
        raise LoadError(f"{path} defines no design: define zero-argument functions named "
                        f"'{DESIGN_PREFIX}...' that return a Schedule")
    return designs


def call_design(name: str, fn: Callable[[], Any]) -> Any:
    """Run a ``design_*`` function and check that it returned a Schedule.

    Example: ``s = call_design("design_gemm", design_gemm)``.
    """
    from .schedule import Schedule

    try:
        inspect.signature(fn).bind()
    except TypeError:
        raise AlloError(f"{name} takes arguments", where=name,
                        hint="designs are zero-argument functions returning a Schedule") from None
    except ValueError:
        pass  # no signature available (a builtin): just call it
    try:
        schedule = fn()
    except (SystemExit, KeyboardInterrupt, GeneratorExit) as e:
        raise AlloError(f"{name} raised {type(e).__name__}"
                        f"{f' ({e})' if str(e) else ''} instead of returning a Schedule",
                        where=name, hint="a design function must return a Schedule, "
                        "not exit the program") from None
    if not isinstance(schedule, Schedule):
        raise AlloError(f"{name} returned {type(schedule).__name__}, not a Schedule", where=name,
                        hint="return the result of allo.customize(kernel) (after its primitives)")
    return schedule


def verify_one(name: str, fn: Callable[[], Any]) -> Dict[str, Any]:
    """One row of ``allo verify``: the design's verdict, or an "error" row.

    Example: ``verify_one("design_gemm", design_gemm)["status"] == "equivalent"``.
    """
    start = time.perf_counter()
    try:
        schedule = call_design(name, fn)
        verdict = schedule.verify()
        row = {"design": name, "status": str(verdict.status), "method": str(verdict.method),
               "reason": str(verdict.reason), "report": str(verdict)}
    except BaseException as e:  # noqa: BLE001 - reported as a row, exit status 2
        detail = str(e) if isinstance(e, AlloError) else traceback.format_exc(limit=3)
        row = {"design": name, "status": "error", "method": "", "reason": detail.strip(),
               "report": detail}
    row["seconds"] = time.perf_counter() - start
    return row


@contextlib.contextmanager
def quarantined() -> Iterator[None]:
    """Route Python-level standard output to standard error while user code runs.

    Example: ``with quarantined(): schedule = call_design(name, fn)``.
    """
    saved = sys.stdout
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        sys.stdout = saved


# ------------------------------------------------------------------ the child process
@contextlib.contextmanager
def _child_session(results_path: str, spec: str) -> Iterator[Tuple[Callable[[Dict[str, Any]], None],
                                                                     Optional[Dict[str, Any]]]]:
    """A child's stdout moved to stderr, its event writer, and the designs of ``spec``
    (``None`` after a ``load_error`` event)."""
    os.dup2(2, 1)  # even C-level writes to stdout land on stderr
    sys.stdout = sys.stderr
    with open(results_path, "a", encoding="utf-8") as out:
        def emit(event: Dict[str, Any]) -> None:
            out.write(json.dumps(event) + "\n")
            out.flush()

        try:
            designs = load_designs(spec)
        except LoadError as e:
            emit({"event": "load_error", "error": str(e)})
            designs = None
        else:
            emit({"event": "designs", "names": list(designs)})
        yield emit, designs


def _child(results_path: str, spec: str, skip: Sequence[str]) -> None:
    """Verify the designs of ``spec`` not in ``skip``, one JSON line per event."""
    with _child_session(results_path, spec) as (emit, designs):
        for name, fn in (designs or {}).items():
            if name in skip:
                continue
            emit({"event": "start", "design": name})
            emit({"event": "row", "row": verify_one(name, fn)})


def _child_build(results_path: str, spec: str, options_json: str) -> None:
    """Build the one design of ``spec``; emits ``built`` (what to print) or ``build_error``."""
    opts = json.loads(options_json)
    with _child_session(results_path, spec) as (emit, designs):
        if designs is None:
            return
        if len(designs) != 1:
            emit({"event": "load_error", "error": "name one design with FILE::NAME (found: "
                                                  f"{', '.join(designs)})"})
            return
        (name, fn), = designs.items()
        emit({"event": "start", "design": name})
        try:
            mod = call_design(name, fn).build(**opts)
            if opts["target"] == "vhls" and not opts["project"]:
                text = str(mod)
            else:
                text = f"{name}: wrote {getattr(mod, 'project', None) or opts['project']}"
            emit({"event": "built", "output": text})
        except BaseException as e:  # noqa: BLE001 - reported, exit status 2 (1 for the gate)
            gate = type(e).__name__ == "VerificationError"
            detail = str(e) if isinstance(e, AlloError) else traceback.format_exc(limit=3)
            emit({"event": "build_error", "message": f"{name}: {detail.strip()}", "gate": gate})


def build_design(spec: str, options: Dict[str, Any],
                 echo: Optional[Callable[[str], Any]] = None) -> Tuple[str, str, bool]:
    """Build the design ``spec`` names with ``schedule.build(**options)`` in a child process.

    Returns ``(status, text, gate)``: status ``"built"`` with the text to print, or
    ``"error"`` with the message (``gate`` when the equivalence gate refused the design).

    Example: ``build_design("d.py::gemm", {"target": "vhls", "mode": None, "project": None,
    "verify": True})``.
    """
    events, status, output = _run_child(spec, [], job="build", extra=[json.dumps(options)])
    if output and echo is not None:
        echo(output)
    for ev in events:
        if ev["event"] == "load_error":
            return "error", ev["error"], False
        if ev["event"] == "built":
            return "built", ev["output"], False
        if ev["event"] == "build_error":
            return "error", ev["message"], bool(ev["gate"])
    started = next((ev["design"] for ev in events if ev["event"] == "start"), None)
    what = started or f"loading {split_target(spec)[0]}"
    return "error", f"{what} ended the building process (exit status {status})", False


def _run_child(spec: str, skip: Sequence[str], job: str = "verify",
               extra: Sequence[str] = ()) -> Tuple[List[Dict[str, Any]], int, str]:
    package_root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([package_root, *filter(None, [env.get("PYTHONPATH")])])
    with tempfile.TemporaryDirectory(prefix="allo-verify-") as tmp:
        results = os.path.join(tmp, "results.jsonl")
        open(results, "w").close()
        cmd = [sys.executable, "-m", "allo.design_runner", job, results, spec, *extra, *skip]
        proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, errors="replace")
        with open(results, encoding="utf-8") as f:
            events = [json.loads(line) for line in f if line.endswith("\n")]
    return events, proc.returncode, (proc.stdout or "") + (proc.stderr or "")


def verify_designs(spec: str, echo: Optional[Callable[[str], Any]] = None
                   ) -> Tuple[List[Dict[str, Any]], Optional[str]]:
    """Verify every design of ``spec`` in isolated child processes.

    Returns ``(rows, load_error)``: one row per design, in file order, or the reason the
    file could not be loaded. ``echo`` receives what the designs printed.

    Example: ``rows, err = verify_designs("designs.py::gemm")``.
    """
    rows: Dict[str, Dict[str, Any]] = {}
    names: Optional[List[str]] = None
    while True:
        events, status, output = _run_child(spec, list(rows))
        if output and echo is not None:
            echo(output)
        started: Optional[str] = None
        for ev in events:
            if ev["event"] == "load_error":
                return [], ev["error"]
            if ev["event"] == "designs":
                names = ev["names"]
            elif ev["event"] == "start":
                started = ev["design"]
            elif ev["event"] == "row":
                rows[ev["row"]["design"]] = ev["row"]
                started = None
        if names is None:
            tail = " ".join(output.strip().splitlines()[-1:])
            return [], (f"loading {split_target(spec)[0]} ended its process "
                        f"(exit status {status}){f': {tail}' if tail else ''}")
        if started is not None:  # the design ended the process: report it, go on
            rows[started] = {"design": started, "status": "error", "method": "",
                             "reason": f"{started} ended the verifying process "
                                       f"(exit status {status})",
                             "report": output[-2000:], "seconds": 0.0}
            continue
        missing = [n for n in names if n not in rows]
        if not missing:
            return [rows[n] for n in names], None
        for n in missing:  # the process ended between designs: never silently
            rows[n] = {"design": n, "status": "error", "method": "",
                       "reason": f"the verifying process ended (exit status {status}) "
                                 f"before {n} ran", "report": output[-2000:], "seconds": 0.0}


if __name__ == "__main__":
    if sys.argv[1] == "build":
        _child_build(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        _child(sys.argv[2], sys.argv[3], sys.argv[4:])
    sys.stdout.flush()
    os._exit(0)  # skip atexit hooks a design file may have registered
