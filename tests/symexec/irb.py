"""Tiny helpers to build IR by hand in the symexec tests (the frontend is written elsewhere).

Example: ``loop("i", 4, [store("A", [V("i")], c(0, int8))])``.
"""

from __future__ import annotations

from allo.ir.nodes import (Alloc, BufRef, Call, Const, For, Func, If, Load, Module, Op, Param,
                           Return, Store, StreamGet, StreamPut, Var, While)
from allo.ir.types import AlloType, bool_, index


def V(name: str) -> Var:
    return Var(name, index)


def c(value, t: AlloType = index) -> Const:
    return Const(value, t)


def op(name: str, t: AlloType, *args) -> Op:
    return Op(name, tuple(args), t)


def ld(buf: str, t: AlloType, *idx) -> Load:
    return Load(buf, tuple(idx), t)


def st(buf: str, idx, value) -> Store:
    return Store(buf, tuple(idx), value)


def cast(t: AlloType, x) -> Op:
    return Op("cast", (x,), t)


def iadd(*xs):
    acc = xs[0]
    for x in xs[1:]:
        acc = Op("add", (acc, x if not isinstance(x, int) else c(x)), index)
    return acc


def imul(a, b):
    return Op("mul", (a, b if not isinstance(b, int) else c(b)), index)


def loop(var: str, hi, body, lo=0, step=1, **attrs) -> For:
    hi = c(hi) if isinstance(hi, int) else hi
    lo = c(lo) if isinstance(lo, int) else lo
    return For(var, lo, hi, step, list(body), name=var, attrs=dict(attrs))


def func(name: str, params, body, results=(), **attrs) -> Func:
    return Func(name, [Param(n, t) for n, t in params], list(results), list(body), attrs=dict(attrs))


def module(*funcs: Func, top: str = None) -> Module:
    return Module({f.name: f for f in funcs}, top or funcs[0].name)


__all__ = ["V", "c", "op", "ld", "st", "cast", "iadd", "imul", "loop", "func", "module",
           "Alloc", "BufRef", "Call", "If", "Return", "StreamGet", "StreamPut", "While",
           "bool_", "index"]
