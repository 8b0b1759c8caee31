"""DAG nodes -> z3 terms, through the z3 meanings of the op registry
(:func:`allo.semantics.z3_ops.z3_apply`).

Two modes: ``"exact"`` (bit-vectors and IEEE floating point; only math intrinsics z3
cannot state are uninterpreted, and :attr:`Encoder.approximations` says which) and
``"uf"`` (every float-typed operation becomes an uninterpreted function: a sound
abstraction for proving equality, useless for finding counterexamples).

Example::

    >>> enc = Encoder(dag)                      # doctest: +SKIP
    >>> z3.Distinct(enc.term(a), enc.term(b))   # doctest: +SKIP
"""

from __future__ import annotations

import math
from typing import Any, Dict

import z3

from ..ir.nodes import postorder
from ..ir.types import AlloType, Float
from ..semantics.values import float_bits, float_from_bits, make_float
from ..semantics.z3_ops import Z3Context, z3_apply, z3_sort
from .dag import CONST, INPUT, OP_NAMES, Dag


class Encoder:
    """Translates nodes of one :class:`Dag` (memoized); ``mode`` is "exact" or "uf"."""

    def __init__(self, dag: Dag, mode: str = "exact") -> None:
        self.dag, self.mode = dag, mode
        self.ctx = Z3Context()
        self.memo: Dict[int, z3.ExprRef] = {}
        self.leaves: Dict[int, z3.ExprRef] = {}  # input node id -> z3 constant

    @property
    def approximations(self) -> set:
        return self.ctx.approximations

    def _leaf(self, nid: int, t: AlloType) -> z3.ExprRef:
        name, flat = self.dag.input_of(nid)
        label = name if flat < 0 else f"{name}[{flat}]"
        v = z3.Const(label, z3_sort(t))
        self.leaves[nid] = v
        return v

    def _const(self, nid: int, t: AlloType) -> z3.ExprRef:
        v = self.dag.values[nid]
        if isinstance(t, Float):
            sort = z3_sort(t)
            bits = float_bits(v, t.kind)
            return z3.fpBVToFP(z3.BitVecVal(bits, t.bits), sort)
        return z3.BitVecVal(int(v) % (1 << t.bits), t.bits)

    def term(self, root: int) -> z3.ExprRef:
        """The z3 term of node ``root``."""
        dag, memo, nodes = self.dag, self.memo, self.dag.node
        for nid in postorder((root,), lambda n: nodes(n)[2:] if nodes(n)[0] > INPUT else (), memo):
            node = nodes(nid)
            t = dag.types[node[1]]
            if node[0] == CONST:
                memo[nid] = self._const(nid, t)
                continue
            if node[0] == INPUT:
                memo[nid] = self._leaf(nid, t)
                continue
            op = OP_NAMES[node[0]]
            kids = node[2:]
            ats = tuple(dag.type_of(c) for c in kids)
            args = tuple(memo[c] for c in kids)
            if self.mode == "uf" and (isinstance(t, Float) or any(isinstance(a, Float) for a in ats)):
                arity_types = ats
                memo[nid] = self.ctx.uf(f"{op}{len(kids)}", t, arity_types)(*args)
            else:
                memo[nid] = z3_apply(self.ctx, op, t, ats, args)
        return memo[root]

    def differs(self, a: int, b: int) -> z3.BoolRef:
        """``a`` and ``b`` differ (floats: SMT distinctness: NaN equals NaN, -0 != +0)."""
        return z3.Distinct(self.term(a), self.term(b))

    def model_value(self, model: z3.ModelRef, nid: int) -> Any:
        """The value of input node ``nid`` in ``model``, in the value representation."""
        t = self.dag.type_of(nid)
        var = self.leaves.get(nid)
        if var is None:
            return None
        if isinstance(t, Float):
            # fpToIEEEBV is unspecified on NaN (z3 evaluates it to 0): ask for the class first
            if z3.is_true(model.eval(z3.fpIsNaN(var), model_completion=True)):
                return make_float(math.nan, t.kind)
            if z3.is_true(model.eval(z3.fpIsInf(var), model_completion=True)):
                neg = z3.is_true(model.eval(z3.fpIsNegative(var), model_completion=True))
                return make_float(-math.inf if neg else math.inf, t.kind)
            bits = model.eval(z3.fpToIEEEBV(var), model_completion=True)
            return float_from_bits(bits.as_long(), t.kind)
        raw = model.eval(var, model_completion=True).as_long()
        signed = t.signed
        if signed and raw >> (t.bits - 1):
            raw -= 1 << t.bits
        return raw


__all__ = ["Encoder"]
