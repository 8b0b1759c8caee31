"""Run a test script under Python 3.12 (PEP 695 template syntax) against this tree.

``.ci/run`` installs the runtime dependencies for python3.12 where the machine has it; the
script prints ``ok`` at its end.

Example::

    run_py312(tmp_path, "print('ok')")
"""

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_py312(tmp_path: Path, src: str, timeout: int = 300) -> str:
    """Run ``src`` with python3.12 and this tree on the path; return its stdout, failing
    the test with its stderr unless it exits 0 and prints ``ok``."""
    py312 = shutil.which("python3.12")
    if py312 is None:
        pytest.skip("python3.12 is not installed (.ci/run sets it up where pyenv has it)")
    env = {"PYENV_VERSION": "3.12.1", "PYTHONPATH": str(ROOT),
           "PATH": "/usr/bin:/bin:" + str(Path(py312).parent)}
    probe = subprocess.run([py312, "-c", "import numpy, z3, llvmlite"], capture_output=True, env=env)
    if probe.returncode != 0:
        pytest.skip("python3.12 lacks the runtime dependencies (.ci/run installs them)")
    path = tmp_path / "py312_script.py"
    path.write_text(textwrap.dedent(src))
    res = subprocess.run([py312, str(path)], capture_output=True, text=True, timeout=timeout,
                         env=env, cwd=str(ROOT))
    assert res.returncode == 0 and "ok" in res.stdout, res.stderr[-3000:]
    return res.stdout
