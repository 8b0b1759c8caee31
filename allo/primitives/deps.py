"""Memory accesses, affine index forms and dependence queries in z3.

Side conditions of loop primitives are about dependences: two executions of statements
that touch the same buffer element, at least one of them writing. This module extracts
the accesses of a loop region as affine forms of loop variables (:mod:`allo.ir.index`) and states "some
dependence is reversed by this new execution order" as z3 constraints, so
:meth:`Context.prove` can show it unsatisfiable (or return the two iterations and the
element as a witness).

Everything is conservative: a non-affine index, a call or a stream operation is an access
to an unknown element (it conflicts with every access to the same buffer), a loop bound with
no exact index form leaves the loop variable unconstrained, and conditions are ignored (the
iteration space is over-approximated). Over-approximation can only cause a refusal, never
an unsound acceptance.

Example::

    >>> from allo.ir.nodes import Var, Const, Load, Op, Store
    >>> from allo.ir.types import index, int32
    >>> i = Var("i", index)
    >>> [a.describe() for a in collect_accesses([Store("A", (Op("add", (i, Const(1, index)), index),), Load("A", (i,), int32))])]
    ['read of A[i]', 'write of A[i + 1]']
"""

from __future__ import annotations

from dataclasses import dataclass
from contextvars import ContextVar
from typing import Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

import z3

from ..ir.index import IndexForm, affine_form, index_form
from ..ir.nodes import (Alloc, BufRef, Call, Const, Expr, For, Func, If, Load, Op, Return, Stmt,
                        Store, StreamGet, StreamPut, Var, While, child_bodies, stmt_exprs,
                        walk_expr, walk_stmts)
from ..ir.sites import access_sites
from .index_z3 import form_term, guard_term


@dataclass
class Access:
    """One memory access: ``indices`` are affine forms, or ``None`` for an unknown element."""

    buffer: str
    indices: Optional[Tuple[Optional[IndexForm], ...]]
    write: bool
    loops: Tuple[For, ...]  # enclosing loops inside the analysed region, outermost first
    order: int  # textual position (program order inside one iteration)
    guarded: bool = False  # some ``If`` inside the analysed region guards it
    conds: Tuple[Tuple[Expr, bool], ...] = ()  # those ``If`` conditions and the branch taken

    def describe(self) -> str:
        kind = "write" if self.write else "read"
        if self.indices is None:
            return f"{kind} of {self.buffer} (unknown element)"
        if not self.indices:  # a scalar
            return f"{kind} of {self.buffer}"
        return f"{kind} of {self.buffer}[{', '.join('?' if a is None else a.show() for a in self.indices)}]"


#: The functions of the module being rewritten that hold state or call one that does
#: (:func:`allo.ir.state.impure_funcs`); :func:`~allo.primitives.base.apply_primitive`
#: binds it. Unbound, every callee is taken as impure (conservative).
IMPURE_CALLEES: ContextVar[Optional[FrozenSet[str]]] = ContextVar("impure_callees",
                                                                  default=None)
#: The pseudo-buffer every call of an impure function writes at an unknown element: two
#: such calls never swap, and a loop around one is never reordered or parallelised.
STATE_ACCESS = "<design state>"


def collect_accesses(body: Sequence[Stmt], loops: Tuple[For, ...] = ()) -> List[Access]:
    """Every access in ``body`` (nested statements included) in program order. Stream
    operations and buffers passed to calls touch an unknown element and write it (a pop
    changes the FIFO); a returned buffer is read; a call of a function with state
    (``Stateful``) writes :data:`STATE_ACCESS`."""
    out: List[Access] = []
    impure = IMPURE_CALLEES.get()
    for site in access_sites(body, tuple(loops)):
        if site.kind == "call":
            if impure is None or site.callee in impure:
                out.append(Access(STATE_ACCESS, None, True, site.loops, len(out)))
        elif site.kind in ("load", "store"):
            forms = tuple(affine_form(i) for i in site.indices)
            out.append(Access(site.buffer, forms, site.kind == "store", site.loops, len(out),
                              bool(site.conds), site.conds))
        else:
            out.append(Access(site.buffer, None, site.kind != "return", site.loops, len(out),
                              bool(site.conds), site.conds))
    return out


def private_buffers(func: Func, region: For) -> Set[str]:
    """Local buffers private to each iteration of ``region``: declared (``Alloc``) inside
    its body and touched only by the statements after that declaration in the same block.

    Every execution of an ``Alloc`` makes fresh storage (zero-filled or initialized), so
    two iterations of ``region`` touch two different copies: their accesses never conflict
    across iterations, and within one iteration their order is the body's own. A buffer
    also used outside its block (a scalar read after the loop sees the last iteration's
    copy) or declared twice is not private.

    Example: ``for i: acc = 0; for k: acc += A[i, k]; B[i] = acc`` -> ``{"acc"}``.
    """
    everywhere: Dict[str, int] = {}
    for acc in collect_accesses(func.body):
        everywhere[acc.buffer] = everywhere.get(acc.buffer, 0) + 1
    declared: Dict[str, int] = {}
    for st in walk_stmts(func.body):
        if isinstance(st, Alloc):
            declared[st.name] = declared.get(st.name, 0) + 1
    params = {p.name for p in func.params}
    private: Set[str] = set()

    def visit(body: Sequence[Stmt]) -> None:
        for k, st in enumerate(body):
            if isinstance(st, Alloc) and declared[st.name] == 1 and st.name not in params:
                scope = [a for a in collect_accesses(body[k + 1:]) if a.buffer == st.name]
                if len(scope) == everywhere.get(st.name, 0):
                    private.add(st.name)
            for child in child_bodies(st):
                visit(child)

    visit(region.body)
    return private


class Instance:
    """z3 variables for one execution instance of an access (one copy of its loop vars)."""

    def __init__(self, access: Access, tag: str, shared: Dict[str, z3.ArithRef] = None):
        self.access = access
        self.env: Dict[str, z3.ArithRef] = dict(shared or {})
        self.constraints: List[z3.BoolRef] = []
        for loop in access.loops:
            if loop.var in self.env and loop.var in (shared or {}):
                continue
            v = z3.Int(f"{loop.var}_{tag}")
            self.env[loop.var] = v
            lo, hi = index_form(loop.lo), index_form(loop.hi)  # exact (min/max are z3 Ifs)
            if lo is not None:
                self.constraints.append(v >= form_term(lo, self.env))
                if loop.step != 1:
                    t = z3.Int(f"{loop.var}_{tag}_t")
                    self.constraints += [t >= 0, v == form_term(lo, self.env) + loop.step * t]
            if hi is not None:
                self.constraints.append(v < form_term(hi, self.env))

    def index(self) -> Optional[List[Optional[z3.ArithRef]]]:
        if self.access.indices is None:
            return None
        return [None if a is None else form_term(a, self.env) for a in self.access.indices]


def same_element(a: Instance, b: Instance) -> List[z3.BoolRef]:
    """Constraints saying the two instances touch the same element (unknowns: maybe)."""
    ia, ib = a.index(), b.index()
    if ia is None or ib is None:
        return []
    return [x == y for x, y in zip(ia, ib) if x is not None and y is not None]


def lex_less(xs: Sequence[z3.ArithRef], ys: Sequence[z3.ArithRef]) -> z3.BoolRef:
    """``xs`` strictly precedes ``ys`` lexicographically."""
    if not xs:
        return z3.BoolVal(False)
    return z3.Or(xs[0] < ys[0], z3.And(xs[0] == ys[0], lex_less(xs[1:], ys[1:])))


def conflicting_pairs(accesses: Sequence[Access]) -> List[Tuple[Access, Access]]:
    """Pairs on the same buffer with at least one write (each unordered pair once,
    an access paired with itself included: it may conflict across iterations)."""
    pairs = []
    for i, a in enumerate(accesses):
        for b in accesses[i:]:
            if a.buffer == b.buffer and (a.write or b.write):
                pairs.append((a, b))
    return pairs


def model_values(model: z3.ModelRef, inst: Instance, names: Sequence[str]) -> str:
    vals = []
    for n in names:
        if n in inst.env:
            v = model.eval(inst.env[n], model_completion=True)
            vals.append(f"{n}={v}")
    return "(" + ", ".join(vals) + ")"


def element_text(model: z3.ModelRef, inst: Instance) -> str:
    idx = inst.index()
    if idx is None:
        return f"{inst.access.buffer}[?]"
    if not idx:  # a scalar
        return inst.access.buffer
    shown = ["?" if x is None else str(model.eval(x, model_completion=True)) for x in idx]
    return f"{inst.access.buffer}[{', '.join(shown)}]"


def order_reversal_queries(accesses: Sequence[Access], old_order: Sequence[str],
                           new_order: Sequence[str]):
    """For each conflicting pair, the z3 constraints of "an instance of the pair executes
    in one order before the rewrite (loop variables ``old_order``, outermost first) and
    in the opposite order after it (``new_order``)", with a witness printer.

    Yields ``(description, constraints, witness_fn)``.
    """
    for a, b in conflicting_pairs(accesses):
        for first, second in ((a, b), (b, a)) if a is not b else ((a, b),):
            ia, ib = Instance(first, "1"), Instance(second, "2")
            olds_a = [ia.env[v] for v in old_order if v in ia.env]
            olds_b = [ib.env[v] for v in old_order if v in ib.env]
            news_a = [ia.env[v] for v in new_order if v in ia.env]
            news_b = [ib.env[v] for v in new_order if v in ib.env]
            if len(olds_a) != len(old_order) or len(olds_b) != len(old_order):
                continue  # not both inside the reordered loops
            constraints = [*ia.constraints, *ib.constraints, *same_element(ia, ib),
                           lex_less(olds_a, olds_b), lex_less(news_b, news_a)]

            def witness(model, ia=ia, ib=ib):
                return (f"iteration {model_values(model, ia, old_order)} {ia.access.describe()} and "
                        f"iteration {model_values(model, ib, old_order)} {ib.access.describe()} touch "
                        f"{element_text(model, ia)}; the new loop order would run them in reverse")

            yield f"{first.describe()} before {second.describe()}", constraints, witness


def runs_before(a: Instance, b: Instance) -> z3.BoolRef:
    """Instance ``a`` executes before instance ``b`` in program order: earlier on the loops
    the two accesses share (their common enclosing ``For`` prefix, outermost first), or the
    same iteration of those and ``a`` textually first. Loops not shared are sibling nests,
    which run whole in textual order."""
    xs: List[z3.ArithRef] = []
    ys: List[z3.ArithRef] = []
    for la, lb in zip(a.access.loops, b.access.loops):
        if la is not lb:
            break
        xs.append(a.env[la.var])
        ys.append(b.env[lb.var])
    same = z3.And(*[x == y for x, y in zip(xs, ys)]) if xs else z3.BoolVal(True)
    return z3.Or(lex_less(xs, ys), z3.And(same, z3.BoolVal(a.access.order < b.access.order)))


def flow_dependence_queries(accesses: Sequence[Access], buffer: str):
    """Constraints of "a write of ``buffer`` executes before a read of the same element": a
    flow (read-after-write) dependence. None satisfiable means every read sees the value
    the buffer held before the region. Loops only: a ``While`` around the accesses is not
    modelled (the caller refuses regions holding one).

    Yields ``(description, constraints, witness_fn, carrier_fn)``; ``carrier_fn(model)`` is
    the outermost shared loop whose iterations differ between the two (the loop carrying
    the dependence), ``None`` when both run in one iteration of every shared loop.

    Example: for ``for k: C[0] += A[k]`` the read at ``k=1`` follows the write at ``k=0``
    (carried by ``k``).
    """
    mine = [a for a in accesses if a.buffer == buffer]
    for w in (a for a in mine if a.write):
        for r in (a for a in mine if not a.write):
            iw, ir = Instance(w, "w"), Instance(r, "r")
            constraints = [*iw.constraints, *ir.constraints, *same_element(iw, ir), runs_before(iw, ir)]

            def witness(model, iw=iw, ir=ir):
                names_w = [l.var for l in iw.access.loops]
                names_r = [l.var for l in ir.access.loops]
                return (f"the {iw.access.describe()} at iteration {model_values(model, iw, names_w)} "
                        f"runs before the {ir.access.describe()} at iteration "
                        f"{model_values(model, ir, names_r)}, both of {element_text(model, ir)}")

            def carrier(model, iw=iw, ir=ir):
                for lw, lr in zip(iw.access.loops, ir.access.loops):
                    if lw is not lr:
                        return None
                    if model.eval(iw.env[lw.var] != ir.env[lr.var], model_completion=True):
                        return lw
                return None

            yield f"{w.describe()} before {r.describe()}", constraints, witness, carrier


def carried_dependence_queries(accesses: Sequence[Access], loop: For, outer: Sequence[str]):
    """Constraints of "two different iterations of ``loop`` (same iteration of the loops
    ``outer`` around it) touch the same element, one writing": a loop-carried dependence.

    Yields ``(description, constraints, witness_fn)``.
    """
    for a, b in conflicting_pairs(accesses):
        shared: Dict[str, z3.ArithRef] = {}
        ia = Instance(a, "1")
        for v in outer:
            if v in ia.env:
                shared[v] = ia.env[v]
        ib = Instance(b, "2", shared)
        if loop.var not in ia.env or loop.var not in ib.env:
            continue
        constraints = [*ia.constraints, *ib.constraints, *same_element(ia, ib),
                       ia.env[loop.var] != ib.env[loop.var]]

        def witness(model, ia=ia, ib=ib):
            names = [*outer, loop.var]
            return (f"iteration {model_values(model, ia, names)} {ia.access.describe()} and "
                    f"iteration {model_values(model, ib, names)} {ib.access.describe()} both touch "
                    f"{element_text(model, ia)}")

        yield f"{a.describe()} / {b.describe()}", constraints, witness


def covers_exactly(access: Access) -> bool:
    """Whether the executions of write ``access`` are exactly its iteration space: no ``If``
    guards it, its indices and loop bounds are affine in its own loop variables (so
    :class:`Instance`'s constraints describe every execution, no more). Only such writes
    may be counted on to have happened (:func:`uncovered_read_queries`)."""
    if not access.write or access.guarded or access.indices is None:
        return False
    names: Set[str] = set()
    for loop in access.loops:
        for bound in (index_form(loop.lo), index_form(loop.hi)):
            if bound is None or not set(bound.vars()) <= names:
                return False
        names.add(loop.var)
    return all(f is not None and set(f.vars()) <= names for f in access.indices)


def uncovered_read_queries(reads: Sequence[Access], writes: Sequence[Access], shared: Sequence[str]):
    """Constraints of "a read instance touches an element that no instance of ``writes``
    writes before it in the same iteration of the loops ``shared``" (the dataflow loop
    and the loops around it): a read the current iteration's writes do not cover. Writes
    that are not :func:`covers_exactly` cover nothing; a read of an unknown element is
    uncovered. A read's ``If`` conditions narrow its iterations (:func:`guard_term`: a
    formula they imply, so only iterations that cannot run are left out). None satisfiable means every read sees a value written in its own iteration.

    Yields ``(description, constraints, witness_fn)``.

    Example: for ``for i: (for t: buf[i] = A[i]); (for u: B[i] = buf[i - 1])`` the read
    of ``buf[i - 1]`` is uncovered (no write of ``buf[i - 1]`` in iteration ``i``).
    """
    covering = [w for w in writes if covers_exactly(w)]
    for r in reads:
        ir = Instance(r, "r")
        ir.constraints += [c for c in (guard_term(e, ir.env, taken) for e, taken in r.conds)
                           if c is not None]
        names = [l.var for l in r.loops]
        if ir.index() is None or any(x is None for x in ir.index()):
            def unknown(model, ir=ir, names=names):
                return (f"the {ir.access.describe()} at iteration {model_values(model, ir, names)} "
                        "may touch an element not written in that iteration")
            yield f"{r.describe()} (unknown element)", list(ir.constraints), unknown
            continue
        constraints = list(ir.constraints)
        for w in covering:
            if [l for l in w.loops[:len(shared)]] != [l for l in r.loops[:len(shared)]]:
                continue
            iw = Instance(w, "w", {v: ir.env[v] for v in shared if v in ir.env})
            mine = [v for k, v in iw.env.items() if k not in shared]
            mine += [z3.Int(f"{l.var}_w_t") for l in w.loops if l.step != 1 and l.var not in shared]
            cover = z3.And(*iw.constraints, *same_element(iw, ir), runs_before(iw, ir))
            constraints.append(z3.ForAll(mine, z3.Not(cover)) if mine else z3.Not(cover))

        def witness(model, ir=ir, names=names):
            return (f"the {ir.access.describe()} at iteration {model_values(model, ir, names)} reads "
                    f"{element_text(model, ir)}, which no write of that iteration is known to write before "
                    "it (a write under an if or a while, or at a non-affine index, does not count)")

        yield r.describe(), constraints, witness
