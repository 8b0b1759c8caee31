"""Lowering of ``for`` loops: ``range``, ``allo.grid`` and ``allo.reduction``.

Naming is API: each ``For`` is named by its variable; all loops of one ``grid`` (or
``reduction``) form a band named by the user (``allo.grid(M, N, "PE")`` or ``name=``) or
``S_<vars>_<n>`` where ``n`` counts the bands (named or not) of the function in source
order. Every ``range`` loop starts its own band (``name=`` names that band).

IR loops have positive steps: ``range(hi, lo, -s)`` becomes a loop over a counter ``t`` in
``0 .. trip_count`` (keeping the user's loop name) with the variable read as ``hi - s*t``.

Example::

    for i, j in allo.grid(4, 4):     # For i (band S_i_j_0) { For j (band S_i_j_0) }
        for k in range(4):           # For k (band S_k_1)
            ...
"""

from __future__ import annotations

import ast
from typing import Any, List, Optional, Tuple

import numpy as np

from ..errors import AlloNameError, AlloSyntaxError, AlloTypeError
from ..ir.nodes import Const, Expr, For, Load, Op, Store, StreamGet, Var, walk_expr
from ..ir.types import BufferType, bool_, index
from ..ir.index import loop_value_range
from .. import builtins as ab
from .exprs import Symbol, is_one_of
from .typing import PyVal, cast


def lower_for(fl: Any, node: ast.For) -> None:
    """Lower one ``for`` statement (and its body) into nested ``For`` nodes."""
    if node.orelse:
        raise fl.err(AlloSyntaxError, "'for ... else' is not supported", node.orelse[0],
                     hint="move the else body after the loop")
    it = node.iter
    kind = fl.lower(it.func) if isinstance(it, ast.Call) else None
    kind = kind.value if isinstance(kind, PyVal) else None
    if not is_one_of(kind, range, ab.grid, ab.reduction):
        raise fl.err(AlloSyntaxError, "a kernel loop must iterate over range(...), "
                     "allo.grid(...) or allo.reduction(...)", it,
                     hint="write: for i in range(N):")
    names = loop_vars(fl, node.target)
    band_name = keyword_name(fl, it)
    for a in it.args:
        if isinstance(a, ast.Starred):
            raise fl.err(AlloSyntaxError, "star arguments (*args) are not supported", a,
                         hint="pass each extent explicitly")
    if kind is range:
        bounds = range_bounds(fl, it, names)
    else:
        args = list(it.args)
        if args and isinstance(args[-1], ast.Constant) and isinstance(args[-1].value, str):
            band_name = args.pop().value
        if not args:
            raise fl.err(AlloTypeError, f"'{kind.__name__}' needs at least one extent", it,
                         hint="e.g. allo.grid(M, N)")
        if len(args) != len(names):
            raise fl.err(AlloTypeError, f"'{kind.__name__}' has {len(args)} extent(s) but "
                         f"{len(names)} loop variable(s)", node.target,
                         hint="use one loop variable per extent")
        bounds = [(Const(0, index), bound(fl, a), 1) for a in args]
    band = band_name or f"S_{'_'.join(names)}_{fl.band_count}"
    fl.band_count += 1
    bounds = [normalize_step(fl, n, lo, hi, step, node) for n, (lo, hi, step) in
              zip(names, bounds)]
    for n, (lo, hi, step) in zip(names, bounds):
        fl.symbols[n] = Symbol("loop", index)
        fl.dead_loop_vars.discard(n)
        fl.loop_ranges.append((n, loop_value_range(lo, hi, step)))
    try:
        body = fl.block(node.body)
    finally:
        for n in names:
            del fl.symbols[n]
            fl.loop_values.pop(n, None)
            fl.dead_loop_vars.add(n)
        del fl.loop_ranges[len(fl.loop_ranges) - len(names):]
    reduction = kind is ab.reduction
    for n, (lo, hi, step) in reversed(list(zip(names, bounds))):
        attrs = {"reduction": True} if reduction else {}
        body = [For(n, lo, hi, step, body, name=n, band=band, attrs=attrs, loc=fl.info.loc(node))]
    fl.emit(body[0])


def loop_vars(fl: Any, target: ast.AST) -> List[str]:
    elts = target.elts if isinstance(target, ast.Tuple) else [target]
    names: List[str] = []
    for e in elts:
        if not isinstance(e, ast.Name):
            raise fl.err(AlloSyntaxError, "loop variables must be plain names", e,
                         hint="write: for i, j in allo.grid(M, N):")
        if e.id in fl.symbols or e.id in names:
            sym = fl.symbols.get(e.id)
            what = "loop variable of an enclosing loop" if sym is None or sym.kind == "loop" \
                else ("parameter" if sym.kind == "param" else "local buffer")
            raise fl.err(AlloNameError, f"loop variable '{e.id}' redefines a {what}", e,
                         hint="give every nested loop its own variable name")
        names.append(e.id)
    return names


def keyword_name(fl: Any, call: ast.Call) -> Optional[str]:
    name = None
    for kw in call.keywords:
        if kw.arg != "name":
            raise fl.err(AlloSyntaxError, f"unknown keyword '{kw.arg}' for a loop", kw.value,
                         hint="only name=... is accepted")
        name = fl.const(kw.value, "loop name")
        if not isinstance(name, str) or not name:
            raise fl.err(AlloTypeError, "the loop name must be a non-empty string", kw.value,
                         hint='e.g. name="PE"')
    return name


def range_bounds(fl: Any, it: ast.Call, names: List[str]) -> List[Tuple[Expr, Expr, int]]:
    if len(names) != 1:
        raise fl.err(AlloTypeError, "range(...) binds one loop variable", it,
                     hint="use allo.grid(M, N) for several variables")
    args = it.args
    if not 1 <= len(args) <= 3:
        raise fl.err(AlloTypeError, f"range takes 1 to 3 arguments, {len(args)} given", it,
                     hint="range(hi), range(lo, hi) or range(lo, hi, step)")
    lo = Const(0, index) if len(args) == 1 else bound(fl, args[0])
    hi = bound(fl, args[-1] if len(args) < 3 else args[1])
    step: Any = 1
    if len(args) == 3:
        v = fl.lower(args[2])
        if not isinstance(v, PyVal):
            return [(lo, hi, bound(fl, args[2]))]  # a runtime step (see normalize_step)
        step = v.value
        if not isinstance(step, (int, np.integer)) or isinstance(step, bool) or step == 0:
            raise fl.err(AlloTypeError, "the range step must be a non-zero integer",
                         args[2], hint="e.g. range(0, N, 2)")
        step = int(step)
    return [(lo, hi, step)]


def normalize_step(fl: Any, name: str, lo: Expr, hi: Expr, step: int,
                   node: ast.AST) -> Tuple[Expr, Expr, int]:
    """Bounds of the IR loop for ``range(lo, hi, step)``; IR steps are positive.

    A negative step counts a fresh counter ``t`` (the IR loop, still named ``name``) from
    0 to the trip count and binds ``name`` to ``lo + step * t`` in the body
    (``fl.loop_values``), so ``range(3, -1, -1)`` visits 3, 2, 1, 0 as in Python.
    """
    if isinstance(step, Expr):
        return runtime_step(fl, name, lo, hi, step, node)
    if step > 0:
        return lo, hi, step
    k = -step
    if isinstance(lo, Const) and isinstance(hi, Const):
        count: Expr = Const(len(range(int(lo.value), int(hi.value), step)), index)
    else:
        # ceil((lo - hi) / k) iterations; a count <= 0 runs no iteration, as in Python
        diff = Op("sub", (lo, hi), index)
        count = Op("floordiv", (Op("add", (diff, Const(k - 1, index)), index),
                                Const(k, index)), index)
        if any(isinstance(e, (Load, StreamGet)) for e in walk_expr(lo)):
            lo = snapshot(fl, name, lo, node)  # the body must see the start value once
    t = Var(name, index)
    scaled = t if k == 1 else Op("mul", (Const(k, index), t), index)
    fl.loop_values[name] = Op("sub", (lo, scaled), index)
    return Const(0, index), count, 1


def runtime_step(fl: Any, name: str, lo: Expr, hi: Expr, step: Expr,
                 node: ast.AST) -> Tuple[Expr, Expr, int]:
    """``range(lo, hi, step)`` with a step known only at run time: a counter ``t`` from 0
    to the trip count (Python's: ``ceil((hi - lo) / step)`` for a positive step,
    ``ceil((lo - hi) / -step)`` for a negative one, none below 1), the variable read as
    ``lo + step * t``. A zero step runs no iteration (Python raises ValueError)."""
    step = snapshot(fl, f"{name}_step", step, node)  # range() reads its arguments once
    if any(isinstance(e, (Load, StreamGet)) for e in walk_expr(lo)):
        lo = snapshot(fl, name, lo, node)
    zero, one = Const(0, index), Const(1, index)

    def ceil_div(num: Expr, den: Expr) -> Expr:
        den = Op("max", (den, one), index)  # no division by zero on the branch not taken
        return Op("floordiv", (Op("sub", (Op("add", (num, den), index), one), index), den),
                  index)

    up = ceil_div(Op("sub", (hi, lo), index), step)
    down = ceil_div(Op("sub", (lo, hi), index), Op("neg", (step,), index))
    count = Op("select", (Op("gt", (step, zero), bool_), up,
                          Op("select", (Op("lt", (step, zero), bool_), down, zero), index)),
               index)
    fl.loop_values[name] = Op("add", (lo, Op("mul", (step, Var(name, index)), index)), index)
    return zero, count, 1


def snapshot(fl: Any, name: str, value: Expr, node: ast.AST) -> Expr:
    """Store ``value`` in a fresh local scalar before the loop and read it back."""
    tmp = fl.fresh(f"{name}_start")
    fl.declare(tmp, BufferType(index, ()), node)
    fl.emit(Store(tmp, (), value, loc=fl.info.loc(node)))
    return Load(tmp, (), index)


def bound(fl: Any, node: ast.AST) -> Expr:
    v = fl.scalar(node)
    if isinstance(v, PyVal):
        if not isinstance(v.value, (int, np.integer)):
            raise fl.err(AlloTypeError, f"loop bound {v.value!r} is not an integer", node,
                         hint="loop bounds are integers")
        if not -(1 << 63) <= int(v.value) < (1 << 63):
            raise fl.err(AlloTypeError, f"loop bound {v.value} does not fit the 64-bit index "
                         "type", node, hint="loop bounds are 64-bit signed integers")
        return Const(int(v.value), index)
    if v.type.is_float or v.type.is_fixed:
        raise fl.err(AlloTypeError, f"loop bound has type {v.type!r}, not an integer", node,
                     hint="cast it with int(...)")
    return cast(v, index)
