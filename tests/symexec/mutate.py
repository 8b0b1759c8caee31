"""Single-point corruptions of IR modules, for the mutation campaign and the hypothesis suite.

``mutants(module)`` enumerates every single mutation of the kinds below, each applied to a
fresh copy: ``const`` (a data constant + 1), ``op`` (add<->sub, mul->add, max<->min, a
comparison made (non-)strict, and<->or), ``swap`` (operands of a non-commutative op),
``index`` (two indices of a load swapped, when both stay in bounds), ``bound`` (a loop's
upper bound - 1 / lower bound + 1), ``drop`` (a store removed), ``cast`` (an integer cast
narrowed), ``guard`` (an ``If`` replaced by its then-branch), ``clamp`` (a loop bound
``min(F, N - o*F)`` of a non-dividing split replaced by its constant ``F``).

Example: ``for what, bad in mutants(mod): verify(mod, bad)``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator, List, Optional, Tuple

from allo.ir.nodes import (Const, Expr, For, If, Load, Module, Op, Store, child_bodies,
                           map_stmt_exprs)
from allo.ir.types import Float, Int, index

OP_SWAP = {"add": "sub", "sub": "add", "mul": "add", "max": "min", "min": "max", "lt": "le",
           "le": "lt", "gt": "ge", "ge": "gt", "and": "or", "or": "and", "xor": "or"}
NON_COMMUTATIVE = {"sub", "div", "floordiv", "mod", "shl", "shr", "lt", "le", "gt", "ge", "pow"}
KINDS = ("const", "op", "swap", "index", "bound", "drop", "cast", "guard", "clamp")


def _expr_mutation(kind: str, e: Expr, shapes) -> Optional[Expr]:
    if kind == "const" and isinstance(e, Const) and e.type != index:
        if isinstance(e.type, Float):
            return replace(e, value=float(e.value) + 1.0)
        return replace(e, value=int(e.value) + 1)
    if kind == "op" and isinstance(e, Op) and e.op in OP_SWAP:
        new = OP_SWAP[e.op]
        if isinstance(e.type, Float) and new in ("and", "or"):
            return None
        if e.args[0].type != e.args[-1].type:
            return None
        return replace(e, op=new)
    if kind == "swap" and isinstance(e, Op) and e.op in NON_COMMUTATIVE and len(e.args) == 2 \
            and e.args[0] != e.args[1] and e.args[0].type == e.args[1].type:
        return replace(e, args=(e.args[1], e.args[0]))
    if kind == "index" and isinstance(e, Load) and len(e.indices) >= 2 \
            and e.indices[0] != e.indices[1]:
        shape = shapes.get(e.buffer)
        if shape is not None and shape[0] == shape[1]:
            return replace(e, indices=(e.indices[1], e.indices[0], *e.indices[2:]))
    if kind == "cast" and isinstance(e, Op) and e.op == "cast" and isinstance(e.type, Int) \
            and e.type != index and e.type.bits >= 4:
        src = e.args[0].type  # squeeze the value through a type half as wide
        bits = (src.bits if isinstance(src, Int) else e.type.bits) // 2
        if bits < 2:
            return None
        return replace(e, args=(Op("cast", (e.args[0],), Int(bits, e.type.signed)),))
    return None


def _sites(mod: Module) -> Iterator[Tuple[str, object, List, int]]:
    """(function name, statement, containing body, position) in a deterministic order."""
    for fname in sorted(mod.funcs):
        stack = [mod.funcs[fname].body]
        while stack:
            body = stack.pop(0)
            for k, s in enumerate(body):
                yield fname, s, body, k
                stack.extend(child_bodies(s))


def _apply(mod: Module, kind: str, target: int) -> Tuple[Optional[Module], int]:
    """Apply the ``target``-th possible mutation of ``kind``; returns (module, #sites seen)."""
    new = mod.copy()
    seen = 0
    done = False
    for fname, s, body, k in _sites(new):
        shapes = {n: getattr(t, "shape", None) for n, t in new.funcs[fname].buffers().items()}
        if kind in ("const", "op", "swap", "index", "cast"):
            def fn(e, shapes=shapes):
                nonlocal seen, done
                if done:
                    return None
                m = _expr_mutation(kind, e, shapes)
                if m is None:
                    return None
                seen += 1
                if seen - 1 == target:
                    done = True
                    return m
                return None
            map_stmt_exprs(s, fn)
        elif kind == "bound" and isinstance(s, For) and isinstance(s.hi, Const) \
                and isinstance(s.lo, Const) and int(s.hi.value) - int(s.lo.value) > 1:
            for field_, delta in (("hi", -1), ("lo", 1)):
                seen += 1
                if seen - 1 == target and not done:
                    c = getattr(s, field_)
                    setattr(s, field_, replace(c, value=int(c.value) + delta))
                    done = True
        elif kind == "drop" and isinstance(s, Store):
            seen += 1
            if seen - 1 == target and not done:
                del body[k]
                done = True
                return new, seen
        elif kind == "clamp" and isinstance(s, For) and isinstance(s.hi, Op) \
                and s.hi.op == "min" and any(isinstance(a, Const) for a in s.hi.args):
            seen += 1
            if seen - 1 == target and not done:
                s.hi = next(a for a in s.hi.args if isinstance(a, Const))
                done = True
        elif kind == "guard" and isinstance(s, If):
            seen += 1
            if seen - 1 == target and not done:
                body[k:k + 1] = s.then_body
                done = True
                return new, seen
    return (new if done else None), seen


def mutants(mod: Module, kinds=KINDS) -> List[Tuple[str, Module]]:
    """Every single mutation of ``mod`` of the given kinds, each on its own copy."""
    out = []
    for kind in kinds:
        target = 0
        while True:
            new, _ = _apply(mod, kind, target)
            if new is None:
                break
            out.append((f"{kind}#{target}", new))
            target += 1
    return out


def mutate_one(mod: Module, kind: str, target: int) -> Optional[Module]:
    """The ``target``-th mutation of ``kind`` (modulo the number of sites), or None."""
    _, n = _apply(mod, kind, 10 ** 9)
    if n == 0:
        return None
    return _apply(mod, kind, target % n)[0]


__all__ = ["mutants", "mutate_one", "KINDS"]
