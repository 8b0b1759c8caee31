"""The symbolic meaning of every IR op: its canonical node in the symbolic executor's DAG.

The symbolic executor (:mod:`allo.symexec.dag`) never invents arithmetic of its own: it
folds constants with the registry's *concrete* meaning and rewrites terms only with the
op's algebraic laws (:class:`allo.semantics.registry.Laws`), each of which holds
bit-exactly for the types it is stated for. The registry attaches :data:`MEANINGS` to its
entries the first time one is read.

Example::

    >>> from allo.semantics.registry import REGISTRY
    >>> REGISTRY["add"].symbolic
    SymbolicMeaning(op='add')
    >>> REGISTRY["add"].laws.int_ac, REGISTRY["sub"].laws.int_ac
    (True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Sequence

from .op_defs import REGISTRY


@dataclass(frozen=True)
class SymbolicMeaning:
    """``meaning(args, arg_types, rtype, dag)``: the canonical DAG node of ``op`` applied to
    the node ids ``args``, built by ``dag.op`` under the op's registry laws."""

    op: str

    def __call__(self, args: Sequence[int], arg_types: Sequence[Any], rt: Any, dag: Any = None) -> int:
        if dag is None:
            raise TypeError(f"the symbolic meaning of {self.op!r} needs the Dag to build in")
        return dag.op(self.op, rt, tuple(args))


MEANINGS: Dict[str, SymbolicMeaning] = {name: SymbolicMeaning(name) for name in REGISTRY}

__all__ = ["SymbolicMeaning", "MEANINGS"]
