"""The IR: one typed, explicit representation from parsing to code generation.

Expressions are immutable (frozen dataclasses, shareable and hashable); statements hold
mutable bodies so rewrites can build new trees cheaply. Every loop and buffer carries the
user-visible name that schedules address it by.

Expressions
    ``Const``, ``Var`` (loop variables, scalar parameters), ``Load``, ``StreamGet`` and
    ``Op``: every computation is an ``Op`` whose ``op`` string keys the semantics registry
    (:mod:`allo.semantics`), e.g. ``Op("add", (a, b), int17)``. The frontend inserts
    casts so that arithmetic ops are *homogeneous*: operands already have the result type
    (comparisons: both operands share a type, the result is ``bool``). The op names are
    those of :data:`allo.semantics.registry.REGISTRY`; :data:`OPS` maps them to arities.

Statements
    ``For``, ``If``, ``While``, ``Store``, ``Alloc`` (local buffer; a scalar is a 0-d
    buffer), ``Call``, ``StreamPut``, ``Return``.

Example::

    >>> from allo.ir.nodes import *
    >>> from allo.ir.types import int32, index
    >>> i = Var("i", index)
    >>> body = [Store("A", (i,), Op("cast", (i,), int32))]
    >>> f = Func("f", [Param("A", int32[4])], [], [For("i", Const(0, index), Const(4, index), 1, body, name="i", band="S_i_0")])
    >>> Module({"f": f}, "f").top_func.name
    'f'
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import (Any, Callable, Container, Dict, Iterable, Iterator, List, Optional, Tuple,
                    Union)

from ..errors import SourceLoc
from ..semantics.registry import REGISTRY
from .types import AlloType, BufferType, StreamType
from .types import index as _index

# Every op the IR knows, with its arity: derived from the op registry, where each op is
# defined once (group, type families, result typing, laws and meanings).
OPS: Dict[str, int] = {name: entry.arity for name, entry in REGISTRY.items()}


def _loc_field():
    return field(default=None, compare=False, hash=False, repr=False)


# ------------------------------------------------------------------ expressions
class Expr:
    """Base class of expressions; every expression has a scalar ``type``."""

    type: AlloType
    loc: Optional[SourceLoc]


@dataclass(frozen=True)
class Const(Expr):
    """A constant. ``value`` is a Python int (raw bits for fixed point) or float."""

    value: Union[int, float]
    type: AlloType
    loc: Optional[SourceLoc] = _loc_field()


@dataclass(frozen=True)
class Var(Expr):
    """A loop variable (type ``index``) or a scalar function parameter."""

    name: str
    type: AlloType
    loc: Optional[SourceLoc] = _loc_field()


@dataclass(frozen=True)
class Load(Expr):
    """Read ``buffer[indices]``; a 0-d buffer (scalar local) has ``indices == ()``."""

    buffer: str
    indices: Tuple[Expr, ...]
    type: AlloType
    loc: Optional[SourceLoc] = _loc_field()


@dataclass(frozen=True)
class StreamGet(Expr):
    """Pop one value from the FIFO ``stream[indices]`` (blocking read)."""

    stream: str
    indices: Tuple[Expr, ...]
    type: AlloType
    loc: Optional[SourceLoc] = _loc_field()


@dataclass(frozen=True)
class Op(Expr):
    """Apply registered operation ``op`` to ``args``, producing a value of ``type``."""

    op: str
    args: Tuple[Expr, ...]
    type: AlloType
    loc: Optional[SourceLoc] = _loc_field()


@dataclass(frozen=True)
class BufRef:
    """A whole buffer, or the sub-view ``buffer[prefix...]`` (rank reduced), as a call
    argument or return value."""

    buffer: str
    prefix: Tuple[Expr, ...] = ()
    loc: Optional[SourceLoc] = _loc_field()


Arg = Union[Expr, BufRef]


# ------------------------------------------------------------------ statements
class Stmt:
    """Base class of statements."""

    loc: Optional[SourceLoc]


@dataclass(eq=False)
class For(Stmt):
    """``for var in range(lo, hi, step)``.

    ``name`` is the user-visible loop name (``"i"``, ``"i.outer"``), ``band`` the band /
    stage name printed as MLIR ``op_name`` (``"S_i_j_0"``, ``"PE"``). ``attrs`` holds
    schedule annotations: ``pipeline_ii`` (int), ``unroll`` (int, 0 = fully),
    ``parallel``, ``dataflow``, ``reduction`` (bools), ``pe`` (unfolded PE index).
    """

    var: str
    lo: Expr
    hi: Expr
    step: int
    body: List[Stmt]
    name: str = ""
    band: str = ""
    attrs: Dict[str, Any] = field(default_factory=dict)
    loc: Optional[SourceLoc] = _loc_field()


@dataclass(eq=False)
class If(Stmt):
    cond: Expr
    then_body: List[Stmt]
    else_body: List[Stmt] = field(default_factory=list)
    loc: Optional[SourceLoc] = _loc_field()


@dataclass(eq=False)
class While(Stmt):
    cond: Expr
    body: List[Stmt]
    loc: Optional[SourceLoc] = _loc_field()


@dataclass(eq=False)
class Store(Stmt):
    """``buffer[indices] = value`` (value already cast to the element type)."""

    buffer: str
    indices: Tuple[Expr, ...]
    value: Expr
    loc: Optional[SourceLoc] = _loc_field()


@dataclass(eq=False)
class Alloc(Stmt):
    """Declare a local buffer (a scalar is a 0-d buffer).

    ``init`` is ``None`` (zero-filled), a scalar ``Expr`` broadcast to every element, or a
    numpy array of the buffer's shape (a constant table).

    ``stateful=True`` (``x: int32 @ Stateful = 0``) makes the buffer part of the design's
    state (C ``static``): it is initialised once, before the first call, and keeps its
    value across calls; running the ``Alloc`` does nothing. A stateful ``Alloc`` stands at
    the top level of its function and its ``init`` is ``None``, a ``Const`` or a table
    (:mod:`allo.ir.state` lists a module's state; docs/semantics.md gives the meaning).
    """

    name: str
    type: BufferType
    init: Any = None
    loc: Optional[SourceLoc] = _loc_field()
    stateful: bool = False


@dataclass(eq=False)
class Call(Stmt):
    """Call function ``callee``; its results are bound to the local buffers ``results``
    (allocated by preceding ``Alloc``s; scalar results are 0-d buffers)."""

    callee: str
    args: List[Arg]
    results: List[str] = field(default_factory=list)
    loc: Optional[SourceLoc] = _loc_field()


@dataclass(eq=False)
class StreamPut(Stmt):
    """Push ``value`` into the FIFO ``stream[indices]`` (blocking write)."""

    stream: str
    indices: Tuple[Expr, ...]
    value: Expr
    loc: Optional[SourceLoc] = _loc_field()


@dataclass(eq=False)
class Return(Stmt):
    values: List[Arg] = field(default_factory=list)
    loc: Optional[SourceLoc] = _loc_field()


# ------------------------------------------------------------------ functions
@dataclass(eq=False)
class Param:
    """A function parameter: a buffer (``BufferType``), a stream or a scalar value."""

    name: str
    type: Union[AlloType, BufferType, StreamType]
    loc: Optional[SourceLoc] = _loc_field()


@dataclass(eq=False)
class Func:
    """A kernel. ``results`` are the types of returned values (buffers or scalars).

    ``attrs`` may hold ``dataflow`` / ``inline`` flags and, for template instances,
    ``template`` (the generic kernel's name) and ``instance_args``.
    """

    name: str
    params: List[Param]
    results: List[Union[AlloType, BufferType]]
    body: List[Stmt]
    attrs: Dict[str, Any] = field(default_factory=dict)
    loc: Optional[SourceLoc] = _loc_field()

    def param(self, name: str) -> Optional[Param]:
        for p in self.params:
            if p.name == name:
                return p
        return None

    def buffers(self) -> Dict[str, Union[BufferType, AlloType, StreamType]]:
        """Every named buffer/value of this function: parameters, then local allocs."""
        table: Dict[str, Any] = {p.name: p.type for p in self.params}
        for s in walk_stmts(self.body):
            if isinstance(s, Alloc):
                table[s.name] = s.type
        return table

    def loops(self) -> List[For]:
        return [s for s in walk_stmts(self.body) if isinstance(s, For)]


@dataclass(eq=False)
class Module:
    """A design: functions by name, and the name of the top function."""

    funcs: Dict[str, Func]
    top: str

    @property
    def top_func(self) -> Func:
        return self.funcs[self.top]

    def call_order(self) -> List[str]:
        """Function names with callees before callers: post-order of the call graph from
        the top function, then the functions it does not reach.

        Example: for ``top`` calling ``pe``, ``m.call_order() == ["pe", "top"]``.
        """
        order: List[str] = []
        seen = set()
        # iterative (a recursive local function would be a cycle holding the module): a
        # stack of (function, its callees not yet visited)
        for root in [self.top, *self.funcs]:
            if root in seen or root not in self.funcs:
                continue
            seen.add(root)
            stack = [(root, iter(self._callees(root)))]
            while stack:
                name, callees = stack[-1]
                for callee in callees:
                    if callee not in seen and callee in self.funcs:
                        seen.add(callee)
                        stack.append((callee, iter(self._callees(callee))))
                        break
                else:
                    stack.pop()
                    order.append(name)
        return order

    def _callees(self, name: str) -> List[str]:
        return [s.callee for s in walk_stmts(self.funcs[name].body) if isinstance(s, Call)]

    def sub_module(self, name: str) -> "Module":
        """The functions ``name`` reaches (itself and everything it calls, transitively),
        with ``name`` as top; the functions are shared, not copied.

        Example: for ``top`` calling ``pe``, ``m.sub_module("pe").funcs.keys() == {"pe"}``.
        """
        keep: List[str] = []
        seen = set()  # membership in O(1): a df region has thousands of processes
        stack = [name]
        while stack:
            n = stack.pop()
            if n in seen or n not in self.funcs:
                continue
            seen.add(n)
            keep.append(n)
            stack += self._callees(n)
        return Module({n: self.funcs[n] for n in keep}, name)

    def copy(self) -> "Module":
        """A deep copy (expressions are immutable and shared)."""
        return Module({n: copy_func(f) for n, f in self.funcs.items()}, self.top)


# ------------------------------------------------------------------ walkers
def walk_stmts(body: List[Stmt]) -> Iterator[Stmt]:
    """Pre-order iteration over every statement in ``body``, nested ones included."""
    for s in body:
        yield s
        for child in child_bodies(s):
            yield from walk_stmts(child)


def child_bodies(s: Stmt) -> List[List[Stmt]]:
    if isinstance(s, (For, While)):
        return [s.body]
    if isinstance(s, If):
        return [s.then_body, s.else_body]
    return []


def stmt_exprs(s: Stmt) -> List[Expr]:
    """The expressions a statement holds directly (not those of nested statements)."""
    if isinstance(s, For):
        return [s.lo, s.hi]
    if isinstance(s, (If, While)):
        return [s.cond]
    if isinstance(s, Store):
        return [*s.indices, s.value]
    if isinstance(s, StreamPut):
        return [*s.indices, s.value]
    if isinstance(s, Alloc):
        return [s.init] if isinstance(s.init, Expr) else []
    if isinstance(s, (Call, Return)):
        vals = s.args if isinstance(s, Call) else s.values
        out: List[Expr] = []
        for a in vals:
            out.extend(a.prefix if isinstance(a, BufRef) else [a])
        return out
    return []


def walk_expr(e: Expr) -> Iterator[Expr]:
    """Pre-order iteration over an expression tree."""
    yield e
    if isinstance(e, Op):
        for a in e.args:
            yield from walk_expr(a)
    elif isinstance(e, (Load, StreamGet)):
        for a in e.indices:
            yield from walk_expr(a)


def postorder(roots: Iterable[Any], children: Callable[[Any], Iterable[Any]],
              done: Container[Any]) -> Iterator[Any]:
    """Every node reachable from ``roots`` and not in ``done``, each after its children,
    iteratively (deep expression DAGs do not hit the recursion limit). The caller marks a
    yielded node done (stores its result in the memo ``done``) before taking the next;
    ``children`` is asked once per node.

    Example (values of a DAG given as ``{node: children}``)::

        memo = {}
        for n in postorder([root], kids.__getitem__, memo):
            memo[n] = f(n, [memo[c] for c in kids[n]])
    """
    stack = list(roots)
    expanded = set()
    while stack:
        n = stack[-1]
        if n in done:
            stack.pop()
            continue
        if n not in expanded:
            expanded.add(n)
            pending = [c for c in children(n) if c not in done]
            if pending:
                stack.extend(pending)
                continue
        stack.pop()
        yield n


def map_expr(e: Expr, fn: Callable[[Expr], Optional[Expr]]) -> Expr:
    """Rebuild ``e`` bottom-up; ``fn`` returns a replacement or ``None`` to keep a node."""
    if isinstance(e, Op):
        args = tuple(map_expr(a, fn) for a in e.args)
        if args != e.args:
            e = replace(e, args=args)
    elif isinstance(e, Load):
        idx = tuple(map_expr(a, fn) for a in e.indices)
        if idx != e.indices:
            e = replace(e, indices=idx)
    elif isinstance(e, StreamGet):
        idx = tuple(map_expr(a, fn) for a in e.indices)
        if idx != e.indices:
            e = replace(e, indices=idx)
    new = fn(e)
    return e if new is None else new


def map_stmt_exprs(s: Stmt, fn: Callable[[Expr], Optional[Expr]]) -> None:
    """Apply :func:`map_expr` to every expression held directly by ``s``, in place."""
    m = lambda e: map_expr(e, fn)  # noqa: E731
    if isinstance(s, For):
        s.lo, s.hi = m(s.lo), m(s.hi)
    elif isinstance(s, (If, While)):
        s.cond = m(s.cond)
    elif isinstance(s, (Store, StreamPut)):
        s.indices = tuple(m(i) for i in s.indices)
        s.value = m(s.value)
    elif isinstance(s, Alloc) and isinstance(s.init, Expr):
        s.init = m(s.init)
    elif isinstance(s, (Call, Return)):
        vals = s.args if isinstance(s, Call) else s.values
        new = [BufRef(a.buffer, tuple(m(p) for p in a.prefix), a.loc) if isinstance(a, BufRef)
               else m(a) for a in vals]
        if isinstance(s, Call):
            s.args = new
        else:
            s.values = new


def rename_buffers_in_stmt(s: Stmt, names: Dict[str, str]) -> None:
    """Rename, in place, the buffers and streams that ``s`` itself reads, writes, passes or
    returns (not its child blocks): ``names`` maps old to new names.

    Example: ``for t in walk_stmts(body): rename_buffers_in_stmt(t, {"A": "buf0"})``.
    """
    def rename(x: Expr) -> Optional[Expr]:
        if isinstance(x, Load) and x.buffer in names:
            return replace(x, buffer=names[x.buffer])
        if isinstance(x, StreamGet) and x.stream in names:
            return replace(x, stream=names[x.stream])
        return None

    map_stmt_exprs(s, rename)
    if isinstance(s, Store) and s.buffer in names:
        s.buffer = names[s.buffer]
    elif isinstance(s, StreamPut) and s.stream in names:
        s.stream = names[s.stream]
    elif isinstance(s, (Call, Return)):
        vals = s.args if isinstance(s, Call) else s.values
        new = [replace(a, buffer=names[a.buffer]) if isinstance(a, BufRef) and a.buffer in names
               else a for a in vals]
        if isinstance(s, Call):
            s.args = new
            s.results = [names.get(r, r) for r in s.results]
        else:
            s.values = new


def index_const(v: int) -> Const:
    """An ``index`` constant. Example: ``index_const(4) == Const(4, index)``."""
    return Const(int(v), _index)


def substitute(e: Expr, mapping: Dict[str, Expr]) -> Expr:
    """Replace variables by name. Example: ``substitute(i + 1, {"i": j})``."""
    return map_expr(e, lambda x: mapping.get(x.name) if isinstance(x, Var) else None)


# The deepest expression tree the IR admits. Every pass, backend and printer walks
# expressions recursively; 128 levels (a sum of ~64 integer or ~128 float terms in one
# expression) leave them ample Python stack. The frontend refuses deeper expressions at
# their source line, and verify_ir refuses them in IR built by hand.
MAX_EXPR_DEPTH = 128


def expr_depth(e: Expr) -> int:
    """Levels of the expression tree ``e`` (a leaf is 1); iterative, for any depth.

    Example: ``expr_depth(Op("neg", (Var("x", int32),), int32)) == 2``.
    """
    deepest, stack = 0, [(e, 1)]
    while stack:
        x, d = stack.pop()
        deepest = max(deepest, d)
        kids = x.args if isinstance(x, Op) else x.indices if isinstance(x, (Load, StreamGet)) else ()
        stack.extend((k, d + 1) for k in kids)
    return deepest


def too_deep(func: "Func") -> Optional[Tuple[Stmt, int]]:
    """The first statement of ``func`` holding an expression deeper than
    :data:`MAX_EXPR_DEPTH`, with that depth; None when there is none.

    Example: ``too_deep(parse(gemm).top_func) is None``.
    """
    stack: List[Stmt] = list(reversed(func.body))
    while stack:  # pre-order, iterative (statements may nest deeply too)
        s = stack.pop()
        for e in stmt_exprs(s):
            d = expr_depth(e)
            if d > MAX_EXPR_DEPTH:
                return s, d
        for body in reversed(child_bodies(s)):
            stack.extend(reversed(body))
    return None


def copy_stmt(s: Stmt) -> Stmt:
    """Deep-copy a statement tree (expressions are immutable and shared)."""
    if isinstance(s, For):
        return replace(s, body=[copy_stmt(c) for c in s.body], attrs=dict(s.attrs))
    if isinstance(s, If):
        return replace(s, then_body=[copy_stmt(c) for c in s.then_body],
                       else_body=[copy_stmt(c) for c in s.else_body])
    if isinstance(s, While):
        return replace(s, body=[copy_stmt(c) for c in s.body])
    if isinstance(s, Call):
        return replace(s, args=list(s.args), results=list(s.results))
    if isinstance(s, Return):
        return replace(s, values=list(s.values))
    return replace(s)


def copy_func(f: Func) -> Func:
    return replace(f, params=[replace(p) for p in f.params], results=list(f.results),
                   body=[copy_stmt(s) for s in f.body], attrs=dict(f.attrs))


__all__ = [
    "OPS", "Expr", "Const", "Var", "Load", "StreamGet", "Op", "BufRef", "Arg",
    "Stmt", "For", "If", "While", "Store", "Alloc", "Call", "StreamPut", "Return",
    "Param", "Func", "Module", "walk_stmts", "child_bodies", "stmt_exprs", "walk_expr",
    "postorder", "map_expr", "map_stmt_exprs", "index_const", "substitute", "copy_stmt", "copy_func",
    "MAX_EXPR_DEPTH", "expr_depth", "too_deep",
]
