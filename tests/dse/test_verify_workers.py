"""``allo verify FILE --workers N`` gives the same verdicts as the serial command."""

import json
import os

from allo.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_verify_on_a_local_cluster_matches_serial(capsys):
    target = os.path.join(ROOT, "examples", "cli_designs.py")
    assert main(["verify", target, "--json"]) == 0
    serial = json.loads(capsys.readouterr().out)
    assert main(["verify", target, "--json", "--workers", "2"]) == 0
    dist = json.loads(capsys.readouterr().out)
    assert [(r["design"], r["status"], r["method"]) for r in dist["designs"]] == \
        [(r["design"], r["status"], r["method"]) for r in serial["designs"]]
    assert dist["exit_code"] == serial["exit_code"] == 0
