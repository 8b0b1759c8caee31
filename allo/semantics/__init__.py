"""The meaning of every IR operation, defined once (docs/semantics.md).

* :mod:`allo.semantics.registry`: one definition per IR op (arity, group, type families,
  result typing, algebraic laws) with its concrete (bit-exact), symbolic and z3 meanings.

The reference interpreter built on it is an executor: :mod:`allo.backends.interp`.

Example::

    >>> from allo.semantics import evaluate
    >>> from allo.ir.types import int8
    >>> evaluate("add", [100, 100], [int8, int8], int8)
    -56
"""

from .registry import (REGISTRY, Laws, MissingHookError, OpSemantics, UnknownOpError, evaluate,
                       get_symbolic, get_z3, ops, register_symbolic, register_z3, specialize)


__all__ = ["REGISTRY", "OpSemantics", "Laws", "ops", "UnknownOpError", "MissingHookError", "evaluate",
           "specialize", "register_symbolic", "register_z3", "get_symbolic", "get_z3"]
