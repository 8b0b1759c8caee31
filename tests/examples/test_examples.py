"""Every ``design_*`` of the example files verifies equivalent and its LLVM build equals numpy.

The examples are loaded from ``examples/`` by path (they are scripts, not a package), and
the test discovers designs by the ``allo verify`` convention (zero-argument ``design_*``
functions), so a design added to an example without a numpy reference fails here.
No design of these examples intends float reassociation: all are checked bit-exactly
(``fp`` default), the strictest verdict.
"""

from __future__ import annotations

import importlib.util
import inspect
import pathlib
import sys

import numpy as np
import pytest

import allo

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def load(name: str):
    """Import ``examples/<name>.py`` as a module (cached in sys.modules)."""
    key = f"allo_example_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, EXAMPLES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


# example file -> the table pairing each design with its numpy reference and input shapes
TABLES = {"polybench": "KERNELS", "polybench_algebra": "KERNELS",
          "polybench_solvers": "KERNELS", "nn_layers": "LAYERS", "stencils": "STENCILS"}


def cases():
    for file, table in TABLES.items():
        for name in getattr(load(file), table):
            yield pytest.param(file, name, id=f"{file}::{name}")


def test_every_design_has_a_reference():
    for file, table in TABLES.items():
        module = load(file)
        designs = {n for n, f in vars(module).items()
                   if n.startswith("design_") and inspect.isfunction(f)}
        tabled = {entry[0].__name__ for entry in getattr(module, table).values()}
        assert designs == tabled, f"{file}: designs without a numpy reference: {designs - tabled}"


def test_polybench_has_all_thirty_kernels():
    names = [n for f in ("polybench", "polybench_algebra", "polybench_solvers")
             for n in load(f).KERNELS]
    assert len(names) == len(set(names)) == 30


@pytest.mark.parametrize("file,name", list(cases()))
def test_design_verifies_and_llvm_equals_numpy(file, name):
    module = load(file)
    design, reference, shapes = getattr(module, TABLES[file])[name]
    s = design()
    assert isinstance(s, allo.Schedule)
    assert len(s.history) > 0, "a design should customize its kernel"
    verdict = s.verify()
    assert verdict, str(verdict)
    assert verdict.status == "equivalent"
    diff = module.run_and_compare(s, reference, shapes, target="llvm", seed=7)
    # integer kernels must be exact; float kernels differ from numpy only by rounding order
    assert diff <= 1e-4, f"LLVM build differs from numpy by {diff}"


def outputs(module, s, target: str, shapes, seed: int, **build_options):
    """Every result of running ``s`` built for ``target``: returned values, then the arrays
    it was called with (kernels without a return write into them)."""
    inputs = [a.copy() for a in module.random_inputs(shapes, seed)]
    got = s.build(target=target, **build_options)(*inputs)
    got = [] if got is None else (list(got) if isinstance(got, (list, tuple)) else [got])
    return [np.asarray(g) for g in got] + inputs


@pytest.mark.parametrize("file,name", list(cases()))
def test_llvm_equals_the_reference_interpreter_bit_for_bit(file, name):
    module = load(file)
    design, _, shapes = getattr(module, TABLES[file])[name]
    s = design()
    jit, interp = outputs(module, s, "llvm", shapes, 11), outputs(module, s, "interp", shapes, 11)
    assert len(jit) == len(interp)
    for a, b in zip(jit, interp):
        np.testing.assert_array_equal(a, b)


POLYBENCH = ("polybench", "polybench_algebra", "polybench_solvers")


@pytest.mark.parametrize("file", POLYBENCH)
def test_polybench_results_are_identical_at_every_llvm_opt_level(file):
    """The default (O2) build and the O0, O1 and O3 builds agree bit for bit."""
    module = load(file)
    for name, (design, _, shapes) in getattr(module, TABLES[file]).items():
        s = design()
        default = outputs(module, s, "llvm", shapes, 13)
        for level in (0, 1, 3):
            other = outputs(module, s, "llvm", shapes, 13, opt_level=level)
            assert len(other) == len(default)
            for a, b in zip(default, other):
                np.testing.assert_array_equal(a, b, err_msg=f"{name} at opt_level={level}")


# one design per kind of schedule: fused rows, line+window buffers, composed layers, FIR
CSIM_SAMPLE = [("polybench", "2mm"), ("polybench", "jacobi_2d"), ("nn_layers", "mlp"),
               ("stencils", "fir")]


@pytest.mark.parametrize("file,name", CSIM_SAMPLE)
def test_hls_csim_equals_numpy(file, name, tmp_path):
    module = load(file)
    design, reference, shapes = getattr(module, TABLES[file])[name]
    diff = module.run_and_compare(design(), reference, shapes, target="vitis_hls", seed=5,
                                  mode="csim", project=str(tmp_path / f"{name}.prj"))
    assert diff <= 1e-4, f"C simulation differs from numpy by {diff}"


@pytest.mark.parametrize("file,name", [("polybench", "floyd_warshall"), ("stencils", "fir"),
                                       ("stencils", "laplace")])
def test_integer_designs_are_bit_exact(file, name):
    module = load(file)
    design, reference, shapes = getattr(module, TABLES[file])[name]
    assert module.run_and_compare(design(), reference, shapes, seed=3) == 0.0


def test_a_wrong_loop_order_is_refused_with_a_witness():
    # floyd-warshall's k loop carries the dependence: moving it inside must be refused.
    pb = load("polybench")
    s = allo.customize(pb.floyd_warshall)
    with pytest.raises(allo.AlloError, match="dependence"):
        s.reorder("i", "k")


def test_a_wrong_algorithm_is_not_equivalent():
    # A jacobi sweep with its operands summed in another order is a different float program.
    pb = load("polybench")
    N, TSTEPS = pb.N, pb.TSTEPS
    from allo.ir.types import float32

    def jacobi_reordered(A: float32[N], B: float32[N]):
        for t in range(TSTEPS):
            for i in range(1, N - 1):
                B[i] = 0.33333 * (A[i + 1] + A[i] + A[i - 1])
            for i in range(1, N - 1):
                A[i] = 0.33333 * (B[i + 1] + B[i] + B[i - 1])

    exact = allo.verify(pb.jacobi_1d, jacobi_reordered)
    assert not exact and exact.status == "not equivalent"
    # ... and the same up to reassociation, which the verdict says.
    assert allo.verify(pb.jacobi_1d, jacobi_reordered, fp="reassoc")


def test_mlp_composes_the_layer_layouts_into_the_top():
    nn = load("nn_layers")
    code = str(nn.design_mlp().build(target="vhls"))
    # the hidden layer asked for Wt partitioned along dim 2; the MLP's W1 is bound to it
    top = code[code.index("void mlp("):]
    assert "array_partition variable=W1 complete dim=2" in top


def test_main_tables_report_every_design(capsys):
    for file, table in TABLES.items():
        module = load(file)
        assert module.main() == 0
        out = capsys.readouterr().out
        count = len(getattr(module, table))
        assert f"{count}/{count} " in out and "FAILED" not in out
        for name in getattr(module, table):
            assert f"\n{name} " in out, f"{file}: {name} missing from the table"
