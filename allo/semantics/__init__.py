"""The meaning of every IR operation, defined once (docs/semantics.md).

* :mod:`allo.semantics.registry`: one entry per op of :data:`allo.ir.nodes.OPS` with its
  concrete (bit-exact) meaning and the symbolic / z3 hooks.

The reference interpreter built on it is an executor: :mod:`allo.backends.interp`.

Example::

    >>> from allo.semantics import evaluate
    >>> from allo.ir.types import int8
    >>> evaluate("add", [100, 100], [int8, int8], int8)
    -56
"""

from .registry import (REGISTRY, MissingHookError, OpSemantics, UnknownOpError, evaluate,
                       get_symbolic, get_z3, register_symbolic, register_z3, specialize)


__all__ = ["REGISTRY", "OpSemantics", "UnknownOpError", "MissingHookError", "evaluate",
           "specialize", "register_symbolic", "register_z3", "get_symbolic", "get_z3"]
