"""kernel_sources: generated kernel text is valid Python that the frontend lowers to
well-formed IR which the reference interpreter runs."""

from __future__ import annotations

import ast
import importlib.util
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allo.frontend.parse import parse
from allo.ir.verifier import verify_ir
from allo.backends.interp import Interpreter
from allo.testing import inputs_for, kernel_sources

_counter = itertools.count()


def load_kernel(src: str, tmp_path):
    """Import the source from a real file so the frontend can read it back."""
    path = tmp_path / f"gen_kernel_{next(_counter)}.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.kernel


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_sources_lower_and_run(tmp_path, data):
    src = data.draw(kernel_sources())
    tree = ast.parse(src)
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert [d.name for d in defs] == ["kernel"]
    assert all(a.annotation is not None for a in defs[0].args.args)
    module = parse(load_kernel(src, tmp_path))
    verify_ir(module)
    Interpreter(module)(*data.draw(inputs_for(module.top_func)))


@settings(max_examples=30, deadline=None, database=None)
@given(kernel_sources(max_params=1, types=("int8",)))
def test_sources_respect_options(src):
    head = next(line for line in src.splitlines() if line.startswith("def kernel("))
    assert "B:" not in head and "C:" not in head  # one parameter only
    assert all(t not in src for t in ("float32", "int16", "uint8"))
