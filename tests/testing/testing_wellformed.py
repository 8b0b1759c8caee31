"""An independent well-formedness check of generated IR, for the strategies' own tests.

It restates the typing rules of docs/semantics.md and nodes.py (homogeneous ops, bool
comparisons, bit ops only on integers, ...), checks name scoping, unique loop names and
band names, call/return shapes, and that every load/store index is in bounds for every
combination of enclosing loop-variable values (sizes are tiny, so we enumerate).
"""

from __future__ import annotations

import itertools
import re
from typing import Dict, List, Set, Tuple

from allo.ir.nodes import (OPS, Alloc, BufRef, Call, Const, Expr, For, Func, If, Load, Module,
                           Op, Return, Store, Var, While)
from allo.ir.types import BufferType, Fixed, Float, Int, bool_, index

HOMOGENEOUS = {"add", "sub", "mul", "div", "floordiv", "mod", "neg", "min", "max", "abs",
               "and", "or", "xor", "not", "shl", "shr", "exp", "log", "log2", "log10", "sqrt",
               "sin", "cos", "tan", "tanh", "floor", "ceil", "pow"}
INT_ONLY = {"and", "or", "xor", "not", "shl", "shr", "get_bit", "set_bit", "get_slice", "set_slice"}
FLOAT_ONLY = {"exp", "log", "log2", "log10", "sqrt", "sin", "cos", "tan", "tanh", "floor", "ceil", "pow"}
COMPARE = {"eq", "ne", "lt", "le", "gt", "ge"}


class Problem(AssertionError):
    pass


def check(cond: bool, msg: str) -> None:
    if not cond:
        raise Problem(msg)


def eval_index(e: Expr, values: Dict[str, int]) -> int:
    if isinstance(e, Const):
        return int(e.value)
    if isinstance(e, Var):
        return values[e.name]
    check(isinstance(e, Op) and e.op in ("add", "sub", "mul"), f"non-affine index {e}")
    a, b = (eval_index(x, values) for x in e.args)
    return {"add": a + b, "sub": a - b, "mul": a * b}[e.op]


def loop_values(lo: int, hi: int, step: int) -> List[int]:
    return list(range(lo, hi, step))


class Checker:
    def __init__(self, module: Module):
        self.module = module
        self.loop_names: Set[str] = set()
        self.ops_seen: Set[str] = set()

    def run(self) -> Set[str]:
        check(self.module.top in self.module.funcs, "top function missing")
        for f in self.module.funcs.values():
            self.func(f)
        return self.ops_seen

    def func(self, f: Func) -> None:
        scope = {p.name: p.type for p in f.params}
        self.block(f, f.body, scope, {})
        rets = [s for s in f.body if isinstance(s, Return)]
        if f.results:
            check(len(rets) == 1 and f.body[-1] is rets[0], f"{f.name}: one final Return")
            ret_types = [scope_type(f, v) for v in rets[0].values]
            check(ret_types == list(f.results), f"{f.name}: return types {ret_types} != {f.results}")
        else:
            check(not rets, f"{f.name}: Return without results")

    def block(self, f: Func, body, scope: Dict, loops: Dict[str, List[int]]) -> None:
        scope = dict(scope)
        for s in body:
            if isinstance(s, Alloc):
                check(s.name not in scope, f"{s.name} declared twice")
                if s.init is not None:
                    self.expr(s.init, scope, loops)
                    check(s.init.type == s.type.dtype, f"alloc init type of {s.name}")
                scope[s.name] = s.type
            elif isinstance(s, Store):
                bt = scope.get(s.buffer)
                check(isinstance(bt, BufferType), f"store to unknown {s.buffer}")
                self.indices(s.indices, bt.shape, scope, loops)
                self.expr(s.value, scope, loops)
                check(s.value.type == bt.dtype, f"store of {s.value.type} into {bt}")
            elif isinstance(s, For):
                check(s.name == s.var and s.name not in self.loop_names, f"loop name {s.name}")
                check(re.fullmatch(r"S_\w+_\d+", s.band) is not None and s.var in s.band.split("_"),
                      f"band name {s.band!r} for loop {s.var}")
                self.loop_names.add(s.name)
                check(isinstance(s.lo, Const) and isinstance(s.hi, Const) and s.step in (1, 2),
                      "loop bounds must be constants, step 1..2")
                vals = loop_values(s.lo.value, s.hi.value, s.step)
                check(len(vals) >= 1, "empty loop")
                self.block(f, s.body, scope, {**loops, s.var: vals})
            elif isinstance(s, If):
                self.expr(s.cond, scope, loops)
                check(s.cond.type == bool_, "if condition must be bool")
                self.block(f, s.then_body, scope, loops)
                self.block(f, s.else_body, scope, loops)
            elif isinstance(s, While):
                self.expr(s.cond, scope, loops)
                check(s.cond.type == bool_, "while condition must be bool")
                counter = s.cond.args[0].buffer
                last = s.body[-1]
                check(isinstance(last, Store) and last.buffer == counter, "while counter increment")
                writes = [x for x in s.body[:-1] if isinstance(x, Store) and x.buffer == counter]
                check(not writes, "while body writes its counter")
                self.block(f, s.body, scope, loops)
            elif isinstance(s, Call):
                callee = self.module.funcs.get(s.callee)
                check(callee is not None and callee is not f, f"bad callee {s.callee}")
                check(len(s.args) == len(callee.params), "call arity")
                for a, p in zip(s.args, callee.params):
                    check(isinstance(a, BufRef), "call args are BufRefs")
                    bt = scope[a.buffer]
                    self.indices(a.prefix, bt.shape[: len(a.prefix)], scope, loops)
                    check(BufferType(bt.dtype, bt.shape[len(a.prefix):]) == p.type,
                          f"sub-view {a} does not match {p.type}")
                check([scope[r] for r in s.results] == list(callee.results), "call results")
            elif isinstance(s, Return):
                pass
            else:
                raise Problem(f"unexpected statement {type(s).__name__}")

    def indices(self, idx, shape, scope, loops) -> None:
        check(len(idx) == len(shape), f"rank mismatch {idx} vs {shape}")
        names = sorted({v.name for e in idx for v in walk_vars(e)})
        for e in idx:
            check(e.type == index, f"index of type {e.type}")
        for combo in itertools.product(*(loops[n] for n in names)):
            values = dict(zip(names, combo))
            for e, d in zip(idx, shape):
                v = eval_index(e, values)
                check(0 <= v < d, f"index {e} = {v} out of [0, {d}) at {values}")

    def expr(self, e: Expr, scope, loops) -> None:
        if isinstance(e, Const):
            return
        if isinstance(e, Var):
            check(e.name in loops or (e.name in scope and scope[e.name] == e.type), f"unbound {e.name}")
            return
        if isinstance(e, Load):
            bt = scope.get(e.buffer)
            check(isinstance(bt, BufferType) and bt.dtype == e.type, f"bad load {e}")
            self.indices(e.indices, bt.shape, scope, loops)
            return
        check(isinstance(e, Op) and e.op in OPS and len(e.args) == OPS[e.op], f"bad op {e}")
        self.ops_seen.add(e.op)
        for a in e.args:
            self.expr(a, scope, loops)
        t, ats = e.type, [a.type for a in e.args]
        if e.op in HOMOGENEOUS:
            check(all(a == t for a in ats), f"{e.op} is not homogeneous: {ats} -> {t}")
        if e.op in INT_ONLY:
            check(isinstance(e.args[0].type, Int), f"{e.op} on {e.args[0].type}")
        if e.op in FLOAT_ONLY:
            check(isinstance(t, Float), f"{e.op} on {t}")
        if e.op == "mod":
            check(not isinstance(t, Fixed), "mod on fixed point")
        if e.op in COMPARE:
            check(t == bool_ and ats[0] == ats[1], f"comparison {ats} -> {t}")
        if e.op in ("land", "lor", "lnot"):
            check(t == bool_ and all(a == bool_ for a in ats), f"{e.op} {ats}")
        if e.op == "select":
            check(ats[0] == bool_ and ats[1] == t and ats[2] == t, f"select {ats} -> {t}")
        if e.op in ("get_slice", "set_slice"):
            lo, hi = e.args[1], e.args[2]
            check(isinstance(lo, Const) and isinstance(hi, Const), "slice bounds must be constants")
            check(0 <= lo.value < hi.value <= e.args[0].type.bits, f"slice {lo.value}:{hi.value}")
            if e.op == "get_slice":
                check(t == Int(hi.value - lo.value, False), f"get_slice type {t}")
            else:
                check(t == ats[0], "set_slice type")
        if e.op in ("get_bit", "set_bit"):
            check(isinstance(e.args[1], Const), "bit position must be constant")
            check(t == (bool_ if e.op == "get_bit" else ats[0]), f"{e.op} type {t}")


def walk_vars(e: Expr):
    if isinstance(e, Var):
        yield e
    elif isinstance(e, Op):
        for a in e.args:
            yield from walk_vars(a)


def scope_type(f: Func, ref) -> BufferType:
    return f.buffers()[ref.buffer]


def check_module(module: Module) -> Set[str]:
    """Raise ``Problem`` if ``module`` is ill-formed; return the op names it uses."""
    return Checker(module).run()
