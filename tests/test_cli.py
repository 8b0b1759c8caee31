"""The ``allo`` command line: verify exit codes, JSON output, build."""

import json
from pathlib import Path

import pytest

from allo.cli import main

HERE = Path(__file__).parent
DESIGNS = HERE / "backends" / "hls_designs"
EXAMPLES = HERE.parent / "examples" / "cli_designs.py"


def test_verify_equivalent_file_exits_0(capsys):
    assert main(["verify", str(DESIGNS / "equivalent.py")]) == 0
    out = capsys.readouterr().out
    assert "design_split" in out and "design_pipelined" in out and "equivalent" in out


def test_verify_not_equivalent_exits_1(capsys):
    assert main(["verify", str(DESIGNS / "not_equivalent.py")]) == 1
    out = capsys.readouterr().out
    assert "not equivalent" in out and "counterexample" in out
    assert main(["verify", f"{DESIGNS / 'not_equivalent.py'}::ok"]) == 0  # one design by name


def test_verify_unknown_and_load_failures_exit_2(capsys):
    assert main(["verify", str(DESIGNS / "unknown.py")]) == 2
    assert "unknown" in capsys.readouterr().out
    assert main(["verify", str(DESIGNS / "fails_to_load.py")]) == 2
    assert "broken on purpose" in capsys.readouterr().err
    assert main(["verify", f"{DESIGNS / 'equivalent.py'}::nope"]) == 2


def test_verify_json(capsys):
    assert main(["verify", str(DESIGNS / "not_equivalent.py"), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    statuses = {d["design"]: d["status"] for d in data["designs"]}
    assert statuses == {"design_ok": "equivalent", "design_broken": "not equivalent"}
    assert data["exit_code"] == 1


def test_examples_verify_and_build(capsys, tmp_path):
    assert main(["verify", str(EXAMPLES)]) == 0
    capsys.readouterr()
    assert main(["build", f"{EXAMPLES}::gemm_stepwise", "--target", "vhls"]) == 0
    assert "#pragma HLS pipeline II=1" in capsys.readouterr().out
    prj = tmp_path / "mm.prj"
    assert main(["build", f"{EXAMPLES}::matmul_int8", "--target", "vitis_hls", "--mode", "csim",
                 "--project", str(prj)]) == 0
    assert (prj / "kernel.cpp").exists()


def test_build_refuses_unverified_design(capsys):
    assert main(["build", f"{DESIGNS / 'not_equivalent.py'}::broken"]) == 1
    assert "not proved equivalent" in capsys.readouterr().err
    assert main(["build", f"{DESIGNS / 'not_equivalent.py'}::broken", "--no-verify"]) == 0
    assert "UNVERIFIED" in capsys.readouterr().out


def test_not_equivalent_wins_over_errors_and_malformed_designs_are_explained(capsys):
    assert main(["verify", str(DESIGNS / "mixed.py")]) == 1
    out = capsys.readouterr().out
    assert "design_not_a_schedule returned int, not a Schedule" in out
    assert "design_needs_arguments takes arguments" in out
    assert "Traceback" not in out


def test_gate_refusal_names_the_command_line_switch(capsys):
    assert main(["build", f"{DESIGNS / 'not_equivalent.py'}::broken"]) == 1
    assert "--no-verify" in capsys.readouterr().err


# Hostile design files are written at test time (never kept under tests/, where other
# tests import every .py file): they exit, end their process, or print.
HOSTILE = {
    'exits_in_design.py': '"""CLI fixture: a design that exits 0, one that ends its process, one that prints, and a\nwrong one (the gate must still say "not equivalent")."""\nimport os\nimport sys\n\nimport allo\nfrom allo.ir.types import int32\n\nprint("stray output at import")\n\n\ndef inc(A: int32[4]) -> int32[4]:\n    B: int32[4] = 0\n    for i in range(4):\n        B[i] = A[i] + 1\n    return B\n\n\ndef design_exits():\n    sys.exit(0)\n\n\ndef design_ends_process():\n    sys.stdout.flush()\n    os._exit(0)\n\n\ndef design_prints():\n    print("{not json")\n    os.write(1, b"raw bytes on fd 1\\n")\n    return allo.customize(inc)\n\n\ndef design_wrong():\n    s = allo.customize(inc)\n    s.split("i", 2)\n    inner = s.ir.top_func.loops()[1]\n    inner.hi = type(inner.hi)(1, inner.hi.type)  # drop half the iterations by hand\n    return s\n',
    'exits_at_import.py': '"""CLI fixture: the file exits 0 while it is imported."""\nimport sys\n\nsys.exit(0)\n\n\ndef design_never_reached():\n    return None\n',
    'ends_at_import.py': '"""CLI fixture: the file ends its process while it is imported."""\nimport os\n\nos._exit(0)\n',
    'prints_only.py': '"""CLI fixture: an equivalent design that prints while it is built."""\nimport allo\nfrom allo.ir.types import int32\n\n\ndef inc(A: int32[4]) -> int32[4]:\n    B: int32[4] = 0\n    for i in range(4):\n        B[i] = A[i] + 1\n    return B\n\n\ndef design_prints():\n    print("hello from the design")\n    s = allo.customize(inc)\n    s.split("i", 2)\n    return s\n',
}


@pytest.fixture
def hostile(tmp_path):
    for name, text in HOSTILE.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_a_design_that_exits_cannot_hide_a_wrong_one(capsys, hostile):
    # regression: sys.exit(0) in a design_* made `allo verify` exit 0
    assert main(["verify", str(hostile / "exits_in_design.py")]) == 1
    out = capsys.readouterr()
    rows = {line.split()[0]: line.split()[1] for line in out.out.splitlines()[1:5]}
    assert rows == {"design_exits": "error", "design_ends_process": "error",
                    "design_prints": "equivalent", "design_wrong": "not"}
    table = out.out.split("\n\n")[0]
    assert "stray output" not in table and "raw bytes" not in table
    assert "raw bytes on fd 1" in out.err  # the design's output is kept, on stderr
    assert main(["verify", f"{hostile / 'exits_in_design.py'}::exits"]) == 2


@pytest.mark.parametrize("name", ["exits_at_import.py", "ends_at_import.py"])
def test_a_file_that_exits_at_import_is_a_load_failure(capsys, hostile, name):
    assert main(["verify", str(hostile / name), "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["designs"] == [] and "exit" in report["error"].lower()


def test_printing_designs_keep_the_json_clean(capsys, hostile):
    assert main(["verify", str(hostile / "exits_in_design.py"), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)  # used to fail: the design's prints
    assert report["exit_code"] == 1
    assert [r["status"] for r in report["designs"]] == ["error", "error", "equivalent",
                                                         "not equivalent"]
    assert main(["verify", str(hostile / "prints_only.py"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["designs"][0]["status"] == "equivalent"


def test_build_output_is_only_the_code(capsys, hostile):
    assert main(["build", f"{hostile / 'prints_only.py'}::prints", "--target", "vhls"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("//") and "hello from the design" in out.err
    assert main(["build", f"{hostile / 'exits_in_design.py'}::exits"]) == 2
    # a design that ends its process cannot make `allo build` look successful
    assert main(["build", f"{hostile / 'exits_in_design.py'}::ends_process"]) == 2
    assert "ended the building process" in capsys.readouterr().err
    assert main(["build", f"{hostile / 'exits_in_design.py'}::wrong"]) == 1  # the gate
