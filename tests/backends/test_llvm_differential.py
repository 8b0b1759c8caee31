"""Differential test: the LLVM backend agrees bit for bit with the reference interpreter
on random kernels (allo.testing strategies)."""

import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allo.backends.llvm import build
from allo.backends.interp import Interpreter
from allo.testing.compare import outputs_equal
from allo.testing.inputs import copy_args
from allo.testing.strategies import KernelFeatures, inputs_for, kernels


def _run(fn, args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(*args)
    return out, args


def _check(mod, args):
    ref_args, jit_args = copy_args(args), copy_args(args)
    ref, ref_args = _run(Interpreter(mod), ref_args)
    got, jit_args = _run(build(mod), jit_args)
    assert outputs_equal(ref, got), f"results differ:\ninterpreter={ref!r}\nllvm={got!r}\n{mod!r}"
    assert outputs_equal(ref_args, jit_args), "arrays written in place differ"


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_llvm_matches_interpreter_on_random_kernels(data):
    mod = data.draw(kernels())
    args = data.draw(inputs_for(mod))
    _check(mod, args)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_llvm_matches_interpreter_without_control_flow(data):
    """Expression-heavy kernels: more ops per example."""
    mod = data.draw(kernels(KernelFeatures(calls=False, while_loops=False, if_on_data=False)))
    args = data.draw(inputs_for(mod))
    _check(mod, args)
