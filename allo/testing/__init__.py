"""Shared hypothesis strategies for random Allo kernels and inputs, and result comparison.

Used by the LLVM/HLS differential tests, the primitive property tests and the verifier's
mutation tests; public so users can property-test their own backends and rewrites.

* :func:`scalar_types` — random element types (``Int``/``UInt`` of any width, ``Fixed``,
  ``float16``/``bfloat16``/``float32``/``float64``), common widths most often.
* :func:`exprs` — well-typed expression trees over an :class:`Env` (buffers, loop
  variables and their ranges, scalar parameters), obeying the IR's homogeneous-op rule.
* :func:`index_exprs` — random integer index expressions (affine, div/mod, min/max,
  narrowing casts that may wrap); :func:`concrete_index_value` evaluates one.
* :func:`kernels` — random well-formed ``allo.ir.nodes.Module`` s; :class:`KernelFeatures`
  switches constructs off for backends that lack them.
* :func:`inputs_for` — numpy arguments for a ``Func`` per the calling convention.
* :func:`kernel_sources` — random kernel *source text* for frontend fuzzing.
* :func:`filled_nest_kernels` — a filled local array updated in place by a loop nest, for
  the fill-forwarding and dead-fill property tests.
* :func:`outputs_equal` — bit-exact result comparison (NaN == NaN, -0.0 != +0.0).
* :mod:`.random_designs` — random hierarchical designs and layouts (``random.Random``
  driven) for the layout-inference property tests and benchmarks.

A user property test: a backend agrees with the reference interpreter on random kernels::

    from hypothesis import given, settings, strategies as st
    from allo.backends.interp import Interpreter
    from allo.testing import KernelFeatures, copy_args, inputs_for, kernels, outputs_equal

    @settings(max_examples=50, deadline=None)
    @given(data=st.data())
    def test_my_backend(data):
        mod = data.draw(kernels(KernelFeatures(while_loops=False, max_extent=4)))
        args = data.draw(inputs_for(mod.top_func))
        ref_args, my_args = copy_args(args), copy_args(args)
        expected = Interpreter(mod)(*ref_args)
        got = my_build(mod)(*my_args)
        assert outputs_equal(expected, got)
        assert outputs_equal(ref_args, my_args)   # in-place updates agree too
"""

from .compare import outputs_equal
from .expressions import Env, exprs, in_bounds_indices
from .fill_nests import filled_nest_kernels
from .indices import concrete_index_value, index_exprs, narrow_index_exprs
from .inputs import array_for, copy_args, inputs_for, scalar_arg_for
from .kernels import KernelFeatures, kernels
from .scalars import (fixed_types, float_values, int_types, int_values, scalar_types,
                      scalar_values)
from .sources import kernel_sources

__all__ = ["outputs_equal", "Env", "exprs", "in_bounds_indices", "inputs_for", "array_for",
           "scalar_arg_for", "copy_args", "KernelFeatures", "kernels", "scalar_types",
           "int_types", "fixed_types", "int_values", "float_values", "scalar_values",
           "kernel_sources", "index_exprs", "narrow_index_exprs",
           "concrete_index_value", "filled_nest_kernels"]
