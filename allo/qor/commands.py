"""The ``allo report`` and ``allo dse`` subcommands (registered by :mod:`allo.cli`).

* ``allo report FILE[::NAME] [--clock MHZ] [--part PART] [--json]``: the QoR estimate of
  each ``design_*`` schedule of a file (exit 0, or 2 when a design fails to load).
* ``allo dse FILE::KERNEL --space SPACE.py [--png PLOT] [--workers N | --scheduler ADDR]``:
  explore the schedules of ``SPACE.py``'s ``SPACE`` for the kernel ``KERNEL`` of ``FILE``.

Example::

    $ allo report examples/cli_designs.py::gemm_reorder --clock 300
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..errors import AlloError

EXIT_OK, EXIT_ERROR = 0, 2


def cmd_report(args: argparse.Namespace) -> int:
    from ..design_runner import LoadError, call_design, load_designs, quarantined

    try:
        with quarantined():
            designs = load_designs(args.target)
    except LoadError as e:
        print(f"allo report: {e}", file=sys.stderr)
        return EXIT_ERROR
    code = EXIT_OK
    out = []
    for name, fn in designs.items():
        try:
            with quarantined():
                report = call_design(name, fn).report(clock_mhz=args.clock, part=args.part)
        except AlloError as e:
            print(f"allo report: {name}: {e}", file=sys.stderr)
            code = EXIT_ERROR
            continue
        if args.json:
            out.append({"design": name, **report.as_dict()})
        else:
            print(f"== {name}")
            print(report)
            print()
    if args.json:
        print(json.dumps(out, indent=2))
    return code


def register(sub: Any) -> None:
    """Add the ``report`` and ``dse`` subcommands to ``allo``'s argument parser."""
    r = sub.add_parser("report", help="estimate latency and resources of each design_* schedule")
    r.add_argument("target", help="FILE or FILE::NAME")
    r.add_argument("--clock", type=float, default=300.0, help="target clock in MHz (300)")
    r.add_argument("--part", default="xcu280", help="FPGA part (xcu280)")
    r.add_argument("--json", action="store_true", help="machine-readable output")
    r.set_defaults(run=cmd_report)
    from ..dse.commands import register as register_dse

    register_dse(sub)
