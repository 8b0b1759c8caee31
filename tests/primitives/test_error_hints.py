"""Every schedule error carries a hint line (what to do), as kernel errors do.

The check reads the source: each ``ctx.refuse(...)``/``self.refuse(...)``, each side
condition ``ctx.prove(...)`` (its failure is a refusal) and each
``ScheduleError(...)`` built in ``allo/`` must pass ``hint=``; a refusal raised at run time
must then print a ``hint:`` line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import allo
from allo.errors import ScheduleError

ROOT = Path(allo.__file__).parent


def _error_sites():
    """``(file:line, call text)`` of every schedule-error construction in ``allo/``."""
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
            is_refuse = isinstance(fn, ast.Attribute) and name in ("refuse", "prove")
            is_schedule_error = name in ("ScheduleError", "UnknownBufferError")
            if not (is_refuse or is_schedule_error):
                continue
            if path.name == "base.py" and is_schedule_error and _inside_refuse_def(tree, node):
                continue  # Context.refuse itself forwards its hint argument
            yield f"{path.relative_to(ROOT.parent)}:{node.lineno}", node


def _inside_refuse_def(tree: ast.AST, call: ast.Call) -> bool:
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef) and fn.name == "refuse":
            if any(n is call for n in ast.walk(fn)):
                return True
    return False


def _has_hint(call: ast.Call) -> bool:
    if any(k.arg == "hint" and not (isinstance(k.value, ast.Constant) and k.value.value is None)
           for k in call.keywords):
        return True
    return any(k.arg is None for k in call.keywords)  # **kwargs forwarding


def test_the_scan_finds_the_schedule_errors():
    sites = list(_error_sites())
    assert len(sites) > 100  # the primitives refuse in many places; the scan must see them


def test_every_schedule_error_has_a_hint():
    missing = [where for where, call in _error_sites() if not _has_hint(call)]
    assert missing == [], "schedule errors without a hint:\n" + "\n".join(missing)


def test_a_refusal_prints_its_hint_line():
    def k(A: allo.int32[8]) -> allo.int32[8]:
        B: allo.int32[8] = 0
        for i in range(8):
            B[i] = A[i]
        return B

    s = allo.customize(k)
    with pytest.raises(ScheduleError) as err:
        s.reorder("i")
    assert "\nhint: " in str(err.value)
