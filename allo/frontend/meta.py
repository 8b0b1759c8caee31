"""Compile-time constructs: ``ConstExpr`` declarations and ``allo.meta_for``/``meta_if``.

* ``n: ConstExpr[int32] = M // 2`` evaluates the right-hand side while the kernel is
  compiled (Python helper functions may be called) and folds ``n`` into the program.
* ``with allo.meta_for(lo, hi, step) as i:`` unrolls its body once per value of ``i``,
  which is a compile-time constant in each copy.
* ``with allo.meta_if(c):`` / ``meta_elif(c)`` / ``meta_else()`` (consecutive statements)
  keep only the body of the first true compile-time condition.

Nothing here reaches the IR as a construct of its own: the result is ordinary statements,
so schedules, verification and every backend see plain code.

Example::

    def k(A: int32[4]):
        with allo.meta_for(4) as i:
            with allo.meta_if(i % 2 == 0):
                A[i] = i
            with allo.meta_else():
                A[i] = -i
"""

from __future__ import annotations

import ast
import builtins
from typing import Any, List

import numpy as np

from ..errors import AlloNameError, AlloSyntaxError, AlloTypeError
from ..ir.types import AlloType, index
from .. import builtins as ab
from .context import MISSING
from .exprs import Symbol
from .typing import PyVal, is_number


def const_eval(lw: Any, node: ast.AST, what: str) -> Any:
    """Evaluate expression ``node`` in Python at compile time (names resolve like the
    kernel's, compile-time constants included); raise a located AlloError otherwise."""
    namespace = {}
    names = getattr(node, "_allo_names", None)
    if names is None:  # cached on the node: a df kernel's conditions run once per PE
        names = [n for n in ast.walk(node) if isinstance(n, ast.Name)]
        node._allo_names = names
    for n in names:
        if n.id in namespace:
            continue
        sym = lw.symbols.get(n.id)
        if sym is not None:
            if sym.kind != "const":
                raise lw.err(AlloTypeError, f"{what} must be computable at compile time, but "
                             f"'{n.id}' is a runtime value", n,
                             hint="use constants, globals, template parameters, ConstExpr "
                                  "names and meta_for variables")
            namespace[n.id] = sym.value
            continue
        obj = lw.resolver.lookup(n.id)
        if obj is MISSING:
            raise lw.err(AlloNameError, f"name '{n.id}' is not defined", n,
                         hint="define it as a global or a closure variable before customize()")
        namespace[n.id] = obj
    code = getattr(node, "_allo_code", None)
    if code is None or code.co_filename != lw.info.file:
        code = compile(ast.fix_missing_locations(ast.Expression(body=node)), lw.info.file, "eval")
        node._allo_code = code
    try:
        return eval(code, {"__builtins__": builtins}, namespace)
    except Exception as e:  # the user's own Python code failed at compile time
        raise lw.err(AlloTypeError, f"cannot evaluate {what} at compile time "
                     f"({type(e).__name__}: {e})", node,
                     hint="the expression runs in Python while the kernel compiles") from None


def constexpr_value(lw: Any, value: Any, dtype: AlloType, node: ast.AST, name: str) -> Any:
    """The compile-time ``value`` as a Python number of ``dtype`` (wrapped if an integer)."""
    if isinstance(value, (np.generic,)):
        value = value.item()
    if not is_number(value):
        raise lw.err(AlloTypeError, f"ConstExpr '{name}' got {value!r}, which is not a number",
                     node, hint="a ConstExpr holds one int or float")
    if dtype.is_float:
        return float(value)
    if dtype.is_int:
        if isinstance(value, float) and not value.is_integer():
            raise lw.err(AlloTypeError, f"ConstExpr '{name}' is {dtype!r} but its value "
                         f"{value!r} is not an integer", node,
                         hint="declare it ConstExpr[float32], or round the value")
        return dtype.wrap(int(value)) if hasattr(dtype, "wrap") else int(value)
    return value


def declare_constexpr(lw: Any, node: ast.AnnAssign, dtype: AlloType) -> None:
    """``name: ConstExpr[T] = expr``: bind ``name`` to the compile-time value."""
    name = node.target.id
    if node.value is None:
        raise lw.err(AlloSyntaxError, f"ConstExpr '{name}' needs a value", node,
                     hint=f"write {name}: ConstExpr[{dtype!r}] = <compile-time expression>")
    if name in lw.symbols:
        raise lw.err(AlloNameError, f"'{name}' is already declared", node.target,
                     hint="choose a new name; a ConstExpr is declared once")
    value = const_eval(lw, node.value, f"the value of ConstExpr '{name}'")
    lw.symbols[name] = Symbol("const", dtype, constexpr_value(lw, value, dtype, node.value, name))


META = ("meta_for", "meta_if", "meta_elif", "meta_else")


def meta_kind(lw: Any, node: ast.With) -> str:
    """Which meta construct a ``with`` statement is (or a located error)."""
    if len(node.items) == 1 and isinstance(node.items[0].context_expr, ast.Call):
        f = node.items[0].context_expr.func
        if isinstance(f, ast.Attribute) and f.attr in META and isinstance(f.value, ast.Name) \
                and f.value.id == "allo" and "allo" not in lw.symbols \
                and lw.resolver.lookup("allo") is MISSING:
            return f.attr  # `allo.meta_if` in a file that never imported allo (as upstream)
        v = lw.lower(f)
        obj = v.value if isinstance(v, PyVal) else None
        for kind in META:
            if obj is getattr(ab, kind):
                return kind
    raise lw.err(AlloSyntaxError, "'with' blocks are not supported in kernels, except "
                 "allo.meta_for/meta_if/meta_elif/meta_else", node,
                 hint="use 'with allo.meta_for(N) as i:' to unroll at compile time")


def lower_with(lw: Any, node: ast.With) -> None:
    """Lower a ``with allo.meta_*(...)`` statement into the current block."""
    kind = meta_kind(lw, node)
    call = node.items[0].context_expr
    target = node.items[0].optional_vars
    if call.keywords:
        raise lw.err(AlloSyntaxError, f"{kind}() takes no keyword arguments", call,
                     hint="pass the arguments by position")
    if kind == "meta_for":
        return _meta_for(lw, node, call, target)
    if target is not None:
        raise lw.err(AlloSyntaxError, f"'{kind}' binds no name", target, hint="drop 'as ...'")
    chain = getattr(lw, "meta_chain", {})
    lw.meta_chain = chain
    block_id = id(lw.blocks[-1])
    if kind == "meta_if":
        _arity(lw, call, kind, 1)
        taken = _truth(lw, call.args[0])
        chain[block_id] = (node, taken)
        if taken:
            _inline(lw, node.body)
        return
    prev = chain.get(block_id)
    if prev is None or not _follows(lw, prev[0], node):
        raise lw.err(AlloSyntaxError, f"'{kind}' must directly follow a meta_if or meta_elif "
                     "block", node, hint="write with allo.meta_if(c): ... then "
                                         f"with allo.{kind}(...): ...")
    done = prev[1]
    if kind == "meta_elif":
        _arity(lw, call, kind, 1)
        taken = not done and _truth(lw, call.args[0])
        chain[block_id] = (node, done or taken)
    else:
        _arity(lw, call, kind, 0)
        taken = not done
        chain.pop(block_id)
    if taken:
        _inline(lw, node.body)


def _follows(lw: Any, prev: ast.With, node: ast.With) -> bool:
    # the previous meta statement of this block must end right before this one
    return getattr(lw, "meta_last_stmt", None) is prev


def _arity(lw: Any, call: ast.Call, kind: str, n: int) -> None:
    if len(call.args) != n:
        raise lw.err(AlloSyntaxError, f"{kind}() takes {n} argument(s), {len(call.args)} given",
                     call, hint="meta_if(cond), meta_elif(cond), meta_else()")


def _truth(lw: Any, node: ast.AST) -> bool:
    v = const_eval(lw, node, "a meta_if/meta_elif condition")
    try:
        return bool(v)
    except Exception as e:
        raise lw.err(AlloTypeError, f"the condition {v!r} has no truth value ({e})", node,
                     hint="meta conditions are compile-time numbers or booleans") from None


def _inline(lw: Any, body: List[ast.stmt]) -> None:
    """Lower ``body`` as a block of its own, emitted in place (no IR construct)."""
    for s in lw.block(body):
        lw.emit(s)


def _meta_for(lw: Any, node: ast.With, call: ast.Call, target: Any) -> None:
    if not isinstance(target, ast.Name):
        raise lw.err(AlloSyntaxError, "meta_for binds one name: with allo.meta_for(N) as i:",
                     target or node, hint="add 'as i'")
    if not 1 <= len(call.args) <= 3:
        raise lw.err(AlloSyntaxError, "meta_for takes 1 to 3 arguments, like range()", call,
                     hint="meta_for(N), meta_for(lo, hi) or meta_for(lo, hi, step)")
    bounds = [const_eval(lw, a, "a meta_for bound") for a in call.args]
    for b, a in zip(bounds, call.args):
        if isinstance(b, (bool, np.bool_)) or not isinstance(b, (int, np.integer)):
            raise lw.err(AlloTypeError, f"meta_for bound {b!r} is not an integer", a,
                         hint="meta_for bounds are compile-time integers")
    values = range(*(int(b) for b in bounds))
    name = target.id
    if name in lw.symbols:
        raise lw.err(AlloNameError, f"'{name}' is already declared", target,
                     hint="use a new name for the meta_for variable")
    for k in values:
        lw.symbols[name] = Symbol("const", index, k)
        try:
            _inline(lw, node.body)
        finally:
            lw.symbols.pop(name, None)
