"""``allo dse FILE::KERNEL --space SPACE.py``: explore a kernel's schedules from the
command line, print the table and write the Pareto plot.

Options: ``--objective METRIC``, ``--max METRIC=VALUE`` (repeatable constraint),
``--no-verify``, ``--workers N`` (0: serial), ``--scheduler ADDR``, ``--png PATH``
(default ``<kernel>_pareto.png``), ``--json``, ``--timeout S``.

Example::

    $ allo dse examples/dse_gemm.py::gemm --space examples/dse_gemm_space.py --workers 0
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any, Dict

from ..errors import AlloError


def _load_kernel(spec: str) -> Any:
    if "::" not in spec:
        raise AlloError(f"name the kernel: FILE::KERNEL, got {spec!r}", where="allo dse")
    file, name = spec.split("::", 1)
    path = Path(file)
    if not path.exists():
        raise AlloError(f"no such file: {path}", where="allo dse")
    mod_spec = importlib.util.spec_from_file_location(f"allo_dse_kernels_{abs(hash(str(path.resolve())))}", path)
    module = importlib.util.module_from_spec(mod_spec)
    sys.modules[mod_spec.name] = module
    try:
        mod_spec.loader.exec_module(module)
    except Exception as e:  # noqa: BLE001 - the user's file
        raise AlloError(f"loading {path} failed: {type(e).__name__}: {e}", where="allo dse") from e
    kernel = getattr(module, name, None)
    if kernel is None or not callable(kernel):
        raise AlloError(f"{path} defines no kernel named {name!r}", where="allo dse")
    return kernel


def _constraints(items: Any) -> Dict[str, float]:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise AlloError(f"--max wants METRIC=VALUE, got {item!r}", where="allo dse",
                            hint="e.g. --max DSP=1000")
        k, v = item.split("=", 1)
        out[k.strip()] = float(v)
    return out


def cmd_dse(args: argparse.Namespace) -> int:
    from . import explore
    from .space import load_space

    try:
        kernel = _load_kernel(args.target)
        space = load_space(args.space)
        result = explore(kernel, space.spec, objective=args.objective,
                         constraints=_constraints(args.max), verify=not args.no_verify,
                         workers=args.workers, scheduler=args.scheduler, timeout=args.timeout,
                         progress=not args.json)
        png = args.png or f"{args.target.split('::', 1)[1]}_pareto.png"
        result.plot(png)
    except AlloError as e:
        print(f"allo dse: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({**result.as_dict(), "png": png}, indent=2))
    else:
        print(result)
        print(f"Pareto plot: {png}")
    return 0


def register(sub: Any) -> None:
    """Add ``allo dse`` to the command line."""
    d = sub.add_parser("dse", help="explore the schedules of a kernel (estimate, verify, Pareto)")
    d.add_argument("target", help="FILE::KERNEL")
    d.add_argument("--space", required=True, help="a Python file defining SPACE")
    d.add_argument("--objective", default="latency", help="metric to minimize (latency)")
    d.add_argument("--max", action="append", metavar="METRIC=VALUE", help="a constraint")
    d.add_argument("--no-verify", action="store_true", help="do not verify the Pareto front")
    d.add_argument("--workers", type=int, default=None,
                   help="Dask LocalCluster workers (default: one per core; 0: serial)")
    d.add_argument("--scheduler", default=None, help="an existing Dask scheduler, tcp://host:8786")
    d.add_argument("--timeout", type=float, default=120.0, help="seconds per candidate")
    d.add_argument("--png", default=None, help="where to write the Pareto plot")
    d.add_argument("--json", action="store_true", help="machine-readable output")
    d.set_defaults(run=cmd_dse)
