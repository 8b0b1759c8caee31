"""Bounded resources: reaching the memory budget gives "unknown: memory budget", never a
MemoryError or an OOM kill; the budget is an option with a default share of RAM."""

import pytest

import allo
from allo.errors import VerificationError
from allo.ir.types import int32
from allo.symexec import executor as executor_module
from allo.symexec.resources import MemoryBudget, default_memory_budget, resident_bytes

N = 48


def gemm(A: int32[N, N], B: int32[N, N]) -> int32[N, N]:
    C: int32[N, N] = 0
    for i, j, k in allo.grid(N, N, N):
        C[i, j] += A[i, k] * B[k, j]
    return C


def big_local(A: int32[4]) -> int32[4]:
    T: int32[8000, 8000] = 0
    B: int32[4] = 0
    for i in range(4):
        T[i, i] = A[i]
        B[i] = T[i, i]
    return B


BUDGET_SCRIPT = """
import allo
from allo.ir.types import int32
N = 48
def gemm(A: int32[N, N], B: int32[N, N]) -> int32[N, N]:
    C: int32[N, N] = 0
    for i, j, k in allo.grid(N, N, N):
        C[i, j] += A[i, k] * B[k, j]
    return C
s = allo.customize(gemm)
s.reorder("k", "j")
v = s.verify(max_memory=8 << 20, method="full")  # the default method would fall back
print(v.status)                                   # to the certificate chain
print(v.reason)
print(s.verify().status)  # the default budget is ample here
"""


def test_memory_budget_gives_unknown(tmp_path):
    # in a fresh process: the budget counts growth of resident memory, and inside a long
    # test run the allocator reuses memory earlier tests freed, so the growth it sees
    # depends on what ran before (the check's 225,000 DAG nodes grow a fresh heap past 8 MiB)
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    script = tmp_path / "budget.py"  # a file: the frontend reads the kernel's source
    script.write_text(BUDGET_SCRIPT)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         cwd=root, env={**__import__("os").environ, "PYTHONPATH": str(root),
                                        "ALLO_PROOF_CACHE": "0"}, timeout=600)
    assert out.returncode == 0, out.stderr
    status, reason, default = out.stdout.strip().splitlines()[-3:]
    assert status == "unknown", out.stdout
    assert reason.startswith("memory budget:") and "max_memory" in reason
    assert default == "equivalent"


def test_one_huge_buffer_is_refused_before_it_is_allocated():
    before = resident_bytes()
    s = allo.customize(big_local)  # a schedule: identical programs are not even run
    s.split("i", 2)
    v = allo.verify(big_local, s, max_memory=64 << 20)
    assert v.status == "unknown" and "memory budget" in v.reason, v.report()
    assert "64,000,000 cells" in v.reason
    assert resident_bytes() - before < 200 << 20


def test_memory_error_anywhere_in_the_check_is_a_verdict(monkeypatch):
    def boom(self):
        raise MemoryError()
    monkeypatch.setattr(executor_module.SymbolicExecutor, "run", boom)
    s = allo.customize(gemm)
    s.reorder("k", "j")
    v = s.verify(method="full")
    assert v.status == "unknown" and v.reason.startswith("memory budget: the machine ran out")


@pytest.mark.parametrize("bad", ["4GB", 0, -5, True, 1.5])
def test_bad_memory_option_is_a_located_error(bad):
    with pytest.raises(VerificationError, match="max_memory"):
        allo.verify(gemm, gemm, max_memory=bad)


def test_default_budget_is_a_share_of_ram():
    budget = default_memory_budget()
    assert 64 << 20 <= budget
    with open("/proc/meminfo") as f:
        total = int(f.readline().split()[1]) * 1024
    assert budget <= total // 2
    assert MemoryBudget().limit == budget or abs(MemoryBudget().limit - budget) < total // 10
