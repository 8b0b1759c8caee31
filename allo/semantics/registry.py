"""The op registry: one definition per IR op, and every meaning registered against it.

Each :class:`OpSemantics` entry of :data:`REGISTRY` carries what every backend and analysis
derives from:

* ``arity``, ``group`` (``"arith"``, ``"bitwise"``, ``"logical"``, ``"compare"``,
  ``"select"``, ``"cast"``, ``"math"``, ``"bits"``) and ``type_families`` (the operand
  type families with a meaning: ``"int"`` -- ints, ``index``, ``bool`` --, ``"fixed"``,
  ``"float"``);
* ``libm``: a math intrinsic computed by the C library in double precision;
* ``typing``: the result-typing rule (:mod:`allo.semantics.op_typing`), which the IR
  verifier applies;
* ``laws``: the algebraic laws (:class:`Laws`: associative-commutative per type family,
  identity, absorbing element, ...) the symbolic executor and the z3 encoding rely on;
* three meanings: ``concrete`` (bit-exact, docs/semantics.md; one implementation per type
  family from :mod:`.int_ops`, :mod:`.fixed_ops`, :mod:`.float_ops`, :mod:`.casts`),
  ``symbolic`` (:mod:`.symbolic_ops`: the canonical DAG node under the laws) and ``z3``
  (:mod:`.z3_ops`). The symbolic and z3 tables are attached the first time any entry's
  ``symbolic`` / ``z3`` is read, so ``import allo`` does not import z3.

:func:`specialize` returns the concrete meaning as a plain function for fixed types (cached),
which is what the interpreter calls per element. :func:`ops` lists ops by group, arity and
flags in definition order, so no backend writes an op list of its own.

Example::

    >>> import numpy as np
    >>> from allo.ir.types import int8, float32, bool_
    >>> REGISTRY["mul"].concrete([100, 3], [int8, int8], int8)
    44
    >>> lt = specialize("lt", [float32, float32], bool_)
    >>> lt(np.float32(1), np.float32("nan"))
    0
    >>> REGISTRY["xor"].laws.self_inverse, ops(group="math", libm=True, arity=2)
    (True, ('pow',))
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Dict

from . import op_defs
from .op_defs import (ALL_FAMILIES, MEANING_KINDS, REGISTRY, Laws, MissingHookError,
                      OpSemantics, UnknownOpError, _entry, evaluate, ops, specialize,
                      type_family)

# ------------------------------------------------------------------ symbolic / z3 meanings
# Each provider module has a table ``MEANINGS: Dict[op name, fn]``; it is attached to the
# entries on first use (by module name: the providers import op_defs, not this module).
_PROVIDERS = {"symbolic": "allo.semantics.symbolic_ops", "z3": "allo.semantics.z3_ops"}
_loaded: Dict[str, bool] = {}


def _load_provider(kind: str) -> None:
    if _loaded.get(kind):
        return
    _loaded[kind] = True  # before the import: the provider may read the registry
    try:
        table = importlib.import_module(_PROVIDERS[kind]).MEANINGS
    except BaseException:
        _loaded[kind] = False
        raise
    for name, fn in table.items():
        entry = _entry(name)
        if getattr(entry, "_" + kind) is None:
            setattr(entry, "_" + kind, fn)


op_defs._meaning_loaders.append(_load_provider)


def register_symbolic(op: str, fn: Callable[..., Any]) -> None:
    """Set the symbolic meaning of ``op``, replacing the built-in one.

    Example: ``register_symbolic("add", lambda args, arg_types, rt, dag: ...)``.
    """
    _load_provider("symbolic")
    _entry(op).symbolic = fn


def register_z3(op: str, fn: Callable[..., Any]) -> None:
    """Set the z3 meaning of ``op``, replacing the built-in one.

    Example: ``register_z3("add", lambda ctx, rt, arg_types, args: args[0] + args[1])``.
    """
    _load_provider("z3")
    _entry(op).z3 = fn


def get_symbolic(op: str) -> Callable[..., Any]:
    """The symbolic meaning of ``op``; :class:`MissingHookError` if it has none."""
    entry = _entry(op)
    if entry.symbolic is None:
        raise MissingHookError(f"no symbolic meaning registered for op {op!r}; register one with "
                               f"allo.semantics.register_symbolic({op!r}, fn)")
    return entry.symbolic


def get_z3(op: str) -> Callable[..., Any]:
    """The z3 meaning of ``op``; :class:`MissingHookError` if it has none."""
    entry = _entry(op)
    if entry.z3 is None:
        raise MissingHookError(f"no z3 meaning registered for op {op!r}; register one with "
                               f"allo.semantics.register_z3({op!r}, fn)")
    return entry.z3


__all__ = ["OpSemantics", "Laws", "REGISTRY", "ALL_FAMILIES", "MEANING_KINDS", "UnknownOpError",
           "MissingHookError", "type_family", "ops", "specialize", "evaluate",
           "register_symbolic", "register_z3", "get_symbolic", "get_z3"]
