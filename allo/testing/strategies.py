"""All of Allo's hypothesis strategies in one import (see :mod:`allo.testing`).

Example: ``from allo.testing.strategies import kernels, inputs_for, exprs, scalar_types``.
"""

from .expressions import Env, exprs, in_bounds_indices  # noqa: F401
from .inputs import array_for, copy_args, inputs_for, scalar_arg_for  # noqa: F401
from .kernels import KernelFeatures, kernels  # noqa: F401
from .scalars import (fixed_types, float_values, int_types, int_values,  # noqa: F401
                      scalar_types, scalar_values)
from .sources import kernel_sources  # noqa: F401

__all__ = ["Env", "exprs", "in_bounds_indices", "inputs_for", "array_for", "scalar_arg_for", "copy_args", "kernel_sources",
           "KernelFeatures", "kernels", "scalar_types", "int_types", "fixed_types",
           "int_values", "float_values", "scalar_values"]
