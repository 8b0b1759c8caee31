"""Every kernel the frontend tests define, parsed by the frontend, passes the IR verifier
and prints MLIR that upstream MLIR parses and verifies."""

import glob
import importlib.util
import inspect
import os

import pytest

from allo.errors import AlloError
from allo.ir.printer import to_mlir
from allo.ir.verifier import verify_ir

from mlir_check import upstream_verify

import allo.frontend as frontend

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
# tests/backends/hls_designs holds CLI fixtures that end their process when imported
# (os._exit): executing them here would end the pytest run itself, with status 0.
SOURCES = sorted(p for p in glob.glob(os.path.join(ROOT, "tests", "**", "*.py"), recursive=True) +
                 glob.glob(os.path.join(ROOT, "examples", "**", "*.py"), recursive=True)
                 if "hls_designs" not in p.split(os.sep))


def _kernels():
    """Module-level annotated functions of the frontend tests/examples that parse cleanly
    (kernels written to provoke errors, and templates, are left out by the parse)."""
    found = []
    for path in SOURCES:
        # Executing this file again would collect it recursively until a RecursionError
        # struck whatever import ran that deep (sympy's, leaving it half-loaded).
        if os.path.samefile(path, __file__):
            continue
        spec = importlib.util.spec_from_file_location(f"_k_{abs(hash(path))}", path)
        mod = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(mod)
        except Exception:  # an example needing extra packages, or a broken file
            continue
        for name, fn in vars(mod).items():
            if not inspect.isfunction(fn) or name.startswith("test") or fn.__module__ != mod.__name__:
                continue
            if not fn.__annotations__:
                continue
            try:
                module = frontend.parse(fn)
            except AlloError:  # written to provoke an error, or a template
                continue
            found.append((f"{os.path.basename(path)}::{name}", module))
    return found


KERNELS = _kernels()


def test_some_kernels_were_found():
    assert len(KERNELS) >= 5, [k for k, _ in KERNELS]


@pytest.mark.parametrize("name,module", KERNELS, ids=[k for k, _ in KERNELS])
def test_frontend_kernel_prints_valid_mlir(name, module):
    verify_ir(module)
    upstream_verify(to_mlir(module))
