"""The symbolic meaning of every IR op: the algebraic laws the expression DAG may use.

The symbolic executor (:mod:`allo.symexec.dag`) never invents arithmetic of its own: it
folds constants with the registry's *concrete* meaning and rewrites terms only with the
laws listed here, each of which holds bit-exactly for the types it is stated for:

* ``int_ac``: associative and commutative modulo ``2**n`` on integers (``Int``, ``index``)
  -- operands are flattened, sorted and constants folded;
* ``fixed_ac``: the same on fixed point (``add`` is integer addition of the raw bits);
* ``commutative``: operand order is irrelevant on every type (IEEE ``a + b == b + a`` and
  ``a * b == b * a`` hold exactly, up to which NaN payload is produced; outputs compare NaNs
  as equal), so binary operands are sorted;
* ``float_reassoc``: flattened and sorted on floats *only* under the approximate policy
  ``fp="reassoc"`` (the verdict says so);
* ``identity`` / ``absorbing``: integer constants (``-1`` means "all ones") that vanish /
  dominate;
* ``idempotent``: ``x op x == x``; ``self_inverse``: ``x op x == 0`` (xor).

Example::

    >>> from allo.semantics.symbolic_ops import SYMBOLIC_OPS
    >>> SYMBOLIC_OPS["add"].int_ac, SYMBOLIC_OPS["sub"].int_ac
    (True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional

from ..ir.nodes import OPS


@dataclass(frozen=True)
class SymbolicMeaning:
    """The rewrite laws of one op (see the module docstring)."""

    op: str
    arity: int
    int_ac: bool = False
    fixed_ac: bool = False
    commutative: bool = False
    float_reassoc: bool = False
    identity: Optional[int] = None
    absorbing: Optional[int] = None
    idempotent: bool = False
    self_inverse: bool = False
    involution: bool = False  # f(f(x)) == x

    def __call__(self, args, arg_types, rt, dag=None):
        """The registry hook: the canonical DAG node of this op applied to node ids ``args``."""
        if dag is None:
            raise TypeError(f"the symbolic meaning of {self.op!r} needs the Dag to build in")
        return dag.op(self.op, rt, args)


_LAWS = {
    "add": dict(int_ac=True, fixed_ac=True, commutative=True, float_reassoc=True, identity=0),
    "mul": dict(int_ac=True, commutative=True, float_reassoc=True, identity=1, absorbing=0),
    "and": dict(int_ac=True, commutative=True, identity=-1, absorbing=0, idempotent=True),
    "or": dict(int_ac=True, commutative=True, identity=0, absorbing=-1, idempotent=True),
    "xor": dict(int_ac=True, commutative=True, identity=0, self_inverse=True),
    "land": dict(int_ac=True, commutative=True, identity=1, absorbing=0, idempotent=True),
    "lor": dict(int_ac=True, commutative=True, identity=0, absorbing=1, idempotent=True),
    "min": dict(int_ac=True, commutative=True, idempotent=True),
    "max": dict(int_ac=True, commutative=True, idempotent=True),
    "eq": dict(commutative=True),
    "ne": dict(commutative=True),
    "neg": dict(involution=True),
    "not": dict(involution=True),
    "lnot": dict(involution=True),
}

SYMBOLIC_OPS: Dict[str, SymbolicMeaning] = {
    name: SymbolicMeaning(name, arity, **_LAWS.get(name, {})) for name, arity in OPS.items()
}


def symbolic_meaning(op: str) -> SymbolicMeaning:
    """The laws of ``op``. Example: ``symbolic_meaning("xor").self_inverse is True``."""
    return SYMBOLIC_OPS[op]


def _register() -> None:
    """Register the table with the semantics registry, whatever shape its API has."""
    from .registry import register_symbolic

    for name, meaning in SYMBOLIC_OPS.items():
        register_symbolic(name, meaning)


_register()

__all__ = ["SymbolicMeaning", "SYMBOLIC_OPS", "symbolic_meaning"]
