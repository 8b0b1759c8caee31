"""The IR's one site walker: every statement and every buffer access, with its context.

A *site* is where something sits: the body list holding a statement, the loops around it
and whether an ``If`` guards it (:func:`stmt_sites`); an *access site* is one buffer
access with its indices, the statement holding it, the enclosing loops and the ``If``
conditions it runs under (:func:`access_sites`). Dependence analysis, the memory and
dataflow primitives and the schedule's loop lookup all walk the IR through these two.

Example::

    >>> from allo.ir.nodes import Const, For, Load, Store, Var
    >>> from allo.ir.types import index, int32
    >>> i = Var("i", index)
    >>> body = [For("i", Const(0, index), Const(4, index), 1, [Store("A", (i,), Load("B", (i,), int32))])]
    >>> [(a.kind, a.buffer, [l.var for l in a.loops]) for a in access_sites(body)]
    [('load', 'B', ['i']), ('store', 'A', ['i'])]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, List, Optional, Sequence, Tuple

from .nodes import (BufRef, Call, Expr, For, Func, If, Load, Return, Stmt, Store, StreamGet,
                    StreamPut, While, child_bodies, stmt_exprs, walk_expr, walk_stmts)

Guard = Tuple[Expr, bool]  # an If condition and the branch taken (True: then)


@dataclass
class StmtSite:
    """Where a statement sits: the body list holding it and the loops around it."""

    func: Func
    stmt: Stmt
    parent: List[Stmt]
    enclosing: List[For]
    guarded: bool  # some If lies between the function body and the statement

    @property
    def position(self) -> int:
        return next(i for i, s in enumerate(self.parent) if s is self.stmt)


def stmt_sites(func: Func) -> Iterator[StmtSite]:
    """Every statement of ``func`` with its site, in program order (pre-order).

    Example: ``[s.stmt.var for s in stmt_sites(f) if isinstance(s.stmt, For)]``.
    """

    def visit(body: List[Stmt], enclosing: List[For], guarded: bool) -> Iterator[StmtSite]:
        for s in body:
            yield StmtSite(func, s, body, list(enclosing), guarded)
            inner = enclosing + [s] if isinstance(s, For) else enclosing
            for child in child_bodies(s):
                yield from visit(child, inner, guarded or isinstance(s, If))

    return visit(func.body, [], False)


def stmt_site(func: Func, target: Stmt) -> Optional[StmtSite]:
    """The site of statement ``target`` in ``func`` (``None`` if absent)."""
    return next((site for site in stmt_sites(func) if site.stmt is target), None)


@dataclass
class AccessSite:
    """One buffer access. ``kind`` is ``"load"``, ``"store"``, ``"stream_get"``,
    ``"stream_put"``, ``"call_arg"``/``"call_result"`` (a buffer or sub-view passed to
    or bound by a call; ``callee`` names it) or ``"return"``; ``indices`` are the element
    indices, or a sub-view's prefix for the last three."""

    kind: str
    buffer: str
    indices: Tuple[Expr, ...]
    stmt: Stmt
    loops: Tuple[For, ...]
    conds: Tuple[Guard, ...]
    callee: str = ""


def access_sites(body: Sequence[Stmt], loops: Tuple[For, ...] = (),
                 conds: Tuple[Guard, ...] = ()) -> Iterator[AccessSite]:
    """Every access in ``body`` (nested statements included) in program order: a
    statement's reads (its expressions, pre-order) before its own access. ``loops`` and
    ``conds`` are the context ``body`` sits in."""
    for s in body:
        for e in stmt_exprs(s):
            for x in walk_expr(e):
                if isinstance(x, Load):
                    yield AccessSite("load", x.buffer, x.indices, s, loops, conds)
                elif isinstance(x, StreamGet):
                    yield AccessSite("stream_get", x.stream, x.indices, s, loops, conds)
        if isinstance(s, Store):
            yield AccessSite("store", s.buffer, s.indices, s, loops, conds)
        elif isinstance(s, StreamPut):
            yield AccessSite("stream_put", s.stream, s.indices, s, loops, conds)
        elif isinstance(s, Call):
            # the call itself, named by its callee: a callee with state (allo.ir.state)
            # also reads and writes that state
            yield AccessSite("call", s.callee, (), s, loops, conds, s.callee)
            for a in s.args:
                if isinstance(a, BufRef):
                    yield AccessSite("call_arg", a.buffer, a.prefix, s, loops, conds, s.callee)
            for r in s.results:
                yield AccessSite("call_result", r, (), s, loops, conds, s.callee)
        elif isinstance(s, Return):
            for a in s.values:
                if isinstance(a, BufRef):
                    yield AccessSite("return", a.buffer, a.prefix, s, loops, conds)
        if isinstance(s, For):
            yield from access_sites(s.body, loops + (s,), conds)
        elif isinstance(s, If):
            yield from access_sites(s.then_body, loops, conds + ((s.cond, True),))
            yield from access_sites(s.else_body, loops, conds + ((s.cond, False),))
        elif isinstance(s, While):
            yield from access_sites(s.body, loops, conds)


def first_task(func: Func, name: str) -> Optional[Stmt]:
    """The first top-level statement of ``func`` that touches buffer ``name``: in a
    dataflow function, the task that sees its initial value. A declaration whose fill
    reads the buffer (``T: int32[4] = Y[1]``) counts: it sees that value too.

    Example: ``first_task(top, "Y").callee == "matmul"``.
    """
    return next((s for s in func.body if any(a.buffer == name for a in access_sites([s]))), None)


def task_scope(module: Any, task: Stmt, name: str) -> Optional[Tuple[List[Stmt], str]]:
    """Where ``task`` touches buffer ``name``: a loop nest, itself and ``name``; a call
    binding the whole buffer to exactly one parameter, the callee's body and that
    parameter; ``None`` otherwise (a sub-view, two parameters, an unknown callee, a call
    whose own arguments read an element of it such as ``f(Y, Y[0])``, another statement).

    Example: ``task_scope(module, call, "Y") == (module.funcs["matmul"].body, "C")``.
    """
    if isinstance(task, For):
        return [task], name
    if not isinstance(task, Call) or task.callee not in module.funcs:
        return None
    callee = module.funcs[task.callee]
    if reads_in_arguments(task, name):
        return None
    bound = [k for k, a in enumerate(task.args) if isinstance(a, BufRef) and a.buffer == name]
    if len(bound) != 1 or task.args[bound[0]].prefix or bound[0] >= len(callee.params) \
            or any(r == name for r in task.results):
        return None
    return callee.body, callee.params[bound[0]].name


def task_key(module: Any, task: Stmt) -> Optional[str]:
    """The structural fingerprint of ``task`` and of every function it calls, transitively:
    what a proof about the task (a dead fill) rests on; a later rewrite of any of them
    changes the key. ``None`` when some value has no fingerprint.

    Example: ``task_key(m, call) != task_key(m2, call)`` once ``m2``'s callee is rewritten.
    """
    from .fingerprint import FingerprintError, fingerprint

    callees = sorted({s.callee for s in walk_stmts([task]) if isinstance(s, Call)})
    reached = {}
    for name in callees:
        reached.update(module.sub_module(name).funcs)
    try:
        return fingerprint(task, [reached[n] for n in sorted(reached)])
    except FingerprintError:
        return None


def reads_in_arguments(call: Call, name: str) -> bool:
    """Whether the call's own expressions (scalar arguments, sub-view indices) load an
    element of buffer ``name``: a read at the call site, before the callee runs.

    Example: ``reads_in_arguments(Call("f", [BufRef("Y", ()), Load("Y", (zero,), int32)]), "Y")``.
    """
    return any(isinstance(x, Load) and x.buffer == name for e in stmt_exprs(call) for x in walk_expr(e))


def reads_buffer(body: Sequence[Stmt], name: str) -> bool:
    """Whether ``body`` reads buffer ``name`` (anything but a plain store: loads, stream
    operations, calls and returns that receive it)."""
    return any(a.buffer == name and a.kind not in ("store", "call") for a in access_sites(body))


__all__ = ["Guard", "StmtSite", "stmt_sites", "stmt_site", "AccessSite", "access_sites",
           "first_task", "task_scope", "task_key", "reads_in_arguments", "reads_buffer"]
