"""As-soon-as-possible scheduling of straight-line code: one iteration of a pipelined
loop (inner loops fully unrolled, as Vitis HLS does under a pipeline) or an unrolled body.

The result is the iteration latency (pipeline depth), the operator instances (their
resources), and every memory access with its issue cycle, element and bank: enough to
compute the resource MII (accesses per bank and port) and the recurrence MII
(loop-carried read-after-write dependences, their distance and the cycles around them).

Rules (``docs/qor.md``, "Scheduling"): an op starts when its operands are ready and takes
its latency (:mod:`.operators`); a RAM read takes ``RAM_READ_LATENCY`` cycles, a register
read none; a value stored in this iteration is read back after the store; an iteration
ends one cycle after its last store. Both branches of an ``if`` whose condition is not a
constant are scheduled (if-conversion); a condition on unrolled loop variables is decided
per copy.

Example::

    block = schedule_block(loop.body, info, env={}, rep={"i": 0})
    block.depth, block.accesses
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..ir.nodes import (Alloc, Call, Const, Expr, For, If, Load, Op, Return, Stmt, Store,
                        StreamGet, StreamPut, Var, While, substitute)
from ..ir.types import index
from ..ir.index import affine_form
from .operators import FREE_OPS, OpCost, op_cost
from .resources import Resources

#: at most this many unrolled copies are enumerated one by one; beyond, one copy is
#: scheduled and its resources multiplied (the report says so)
ENUMERATION_LIMIT = 4096


@dataclass
class BufferInfo:
    """How the estimator sees one buffer: storage kind, ports, read latency, layout."""

    name: str
    kind: str                 # registers, LUTRAM, BRAM, URAM, external, stream
    read_latency: int
    ports: Optional[int]      # None: unlimited (registers)
    layout: Any = None        # allo.typesys Layout or None
    shape: Tuple[int, ...] = ()

    @property
    def is_stream(self) -> bool:
        return self.kind == "stream"


@dataclass
class AccessEvent:
    """One access of the scheduled block."""

    buffer: str
    key: Any                  # tuple of Affine forms (or a unique token when not affine)
    write: bool
    issue: int                # cycle the access issues (a write: the cycle it stores)
    order: int                # program order inside the iteration
    bank: Optional[Tuple[int, ...]]  # None: unknown bank (touches all banks)


@dataclass
class Block:
    """The schedule of one iteration."""

    depth: int = 0
    resources: Resources = field(default_factory=Resources)
    accesses: List[AccessEvent] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    calls: List[Tuple[str, int]] = field(default_factory=list)  # (callee, issue cycle)


class _Opaque:
    """A unique key for a non-affine access (it may touch any element)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def evaluate_index(e: Expr, env: Dict[str, int]) -> Optional[int]:
    """The value of an index/condition expression when every variable in it is in ``env``.

    Example: ``evaluate_index(Op("add", (Var("i", index), Const(1, index)), index), {"i": 2}) == 3``.
    """
    if isinstance(e, Const):
        return int(e.value) if isinstance(e.value, (int, bool)) else None
    if isinstance(e, Var):
        return env.get(e.name)
    if isinstance(e, Op):
        vals = [evaluate_index(a, env) for a in e.args]
        if any(v is None for v in vals):
            return None
        a = vals[0]
        b = vals[1] if len(vals) > 1 else None
        table = {
            "add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
            "floordiv": lambda: a // b if b else None, "mod": lambda: a % b if b else None,
            "eq": lambda: int(a == b), "ne": lambda: int(a != b), "lt": lambda: int(a < b),
            "le": lambda: int(a <= b), "gt": lambda: int(a > b), "ge": lambda: int(a >= b),
            "land": lambda: int(bool(a) and bool(b)), "lor": lambda: int(bool(a) or bool(b)),
            "lnot": lambda: int(not a), "neg": lambda: -a, "min": lambda: min(a, b),
            "max": lambda: max(a, b), "cast": lambda: a, "select": lambda: b if a else vals[2],
        }
        fn = table.get(e.op)
        return fn() if fn else None
    return None


def _bind(e: Expr, env: Dict[str, int]) -> Expr:
    if not env:
        return e
    return substitute(e, {k: Const(v, index) for k, v in env.items()})


def access_key(buffer: str, indices: Sequence[Expr], env: Dict[str, int]) -> Any:
    """The element an access touches: affine forms after binding the unrolled variables."""
    forms = []
    for i in indices:
        a = affine_form(_bind(i, env))
        if a is None:
            return _Opaque(f"{buffer}[?]")
        forms.append(a)
    return tuple(forms)


def bank_of(info: BufferInfo, key: Any, rep: Dict[str, int]) -> Optional[Tuple[int, ...]]:
    """The bank an access hits, evaluating its index at the representative iteration
    ``rep`` (variables not unrolled take their first value); ``None`` when unknown."""
    if info.layout is None:
        return ()
    if isinstance(key, _Opaque):
        return None
    bank = []
    for form, dim in zip(key, info.layout.dims):
        if dim.factor == 1:
            bank.append(0)
            continue
        value = form.const + sum(c * rep.get(v, 0) for v, c in form.coeffs)
        bank.append(dim.bank_of(value % dim.extent))
    return tuple(bank)


def _width(t: Any) -> int:
    return 32 if getattr(t, "is_index", False) else int(getattr(t, "bits", 32))


def _operand_bits(e: Expr) -> int:
    """Meaningful bits of a multiply operand: the source width of a widening cast."""
    if isinstance(e, Op) and e.op == "cast" and e.args and getattr(e.args[0].type, "is_int", False) \
            and not getattr(e.args[0].type, "is_index", False):
        return min(e.type.bits, _operand_bits(e.args[0]))
    t = e.type
    return 32 if getattr(t, "is_index", False) else int(getattr(t, "bits", 32))


class _Scheduler:
    def __init__(self, buffers: Dict[str, BufferInfo], rep: Dict[str, int],
                 callee_latency: Any):
        self.buffers = buffers
        self.rep = rep
        self.callee_latency = callee_latency
        self.block = Block()
        self.ready: Dict[Tuple[str, Any], int] = {}  # value stored this iteration: when ready
        self.register_reads: Dict[int, AccessEvent] = {}  # Load node -> its access
        self.order = 0
        self.end = 0

    def info(self, name: str) -> BufferInfo:
        return self.buffers.get(name) or BufferInfo(name, "registers", 0, None)

    def access(self, buffer: str, key: Any, write: bool, issue: int, env: Dict[str, int]) -> None:
        info = self.info(buffer)
        rep = dict(self.rep)
        rep.update(env)
        bank = bank_of(info, key, rep) if not info.is_stream else ()
        self.block.accesses.append(AccessEvent(buffer, key, write, issue, self.order, bank))
        self.order += 1

    def expr(self, e: Expr, env: Dict[str, int], memo: Dict[int, int]) -> int:
        got = memo.get(id(e))
        if got is not None:
            return got
        t = 0
        if isinstance(e, (Const, Var)):
            t = 0
        elif isinstance(e, Load):
            start = max([self.expr(i, env, memo) for i in e.indices] or [0])
            key = access_key(e.buffer, e.indices, env)
            forwarded = self.ready.get((e.buffer, _hashable(key)))
            if forwarded is not None:
                t = max(start, forwarded)  # stored earlier this iteration: kept in a register
            else:
                self.access(e.buffer, key, False, start, env)
                t = start + self.info(e.buffer).read_latency
                if t > start:  # the RAM's output register
                    self.block.resources = self.block.resources + Resources(ff=_width(e.type))
                if self.info(e.buffer).read_latency == 0:
                    self.block.accesses[-1].issue = -1
                    self.register_reads[id(e)] = self.block.accesses[-1]
        elif isinstance(e, StreamGet):
            start = max([self.expr(i, env, memo) for i in e.indices] or [0])
            self.access(e.stream, access_key(e.stream, e.indices, env), False, start, env)
            t = start
        elif isinstance(e, Op):
            start = max([self.expr(a, env, memo) for a in e.args] or [0])
            if e.op in FREE_OPS and len(e.args) == 1 and id(e.args[0]) in self.register_reads:
                # a cast of a register read is wiring: the read happens at the cast's user
                self.register_reads[id(e)] = self.register_reads[id(e.args[0])]
                memo[id(e)] = start
                return start
            self.consume(e.args, start)
            bits = max((_operand_bits(a) for a in e.args), default=0) if e.op == "mul" else 0
            const = [a for a in e.args if isinstance(a, Const)]
            if e.op == "mul" and const and not e.type.is_float and isinstance(const[0].value, int):
                # a constant multiplier is shift-and-add logic (no DSP)
                other = min(_operand_bits(a) for a in e.args if not isinstance(a, Const)) \
                    if len(const) < len(e.args) else 1
                ones = bin(abs(int(const[0].value))).count("1")
                cost = OpCost(0, 0, 0, other * max(0, ones - 1))
            else:
                cost = op_cost(e.op, e.type, bits)
            self.block.resources = self.block.resources + Resources(
                dsp=0 if cost.packable else cost.dsp, ff=cost.ff, lut=cost.lut,
                packable=1 if cost.packable else 0)
            t = start + cost.latency
        memo[id(e)] = t
        return t

    def consume(self, args: Sequence[Expr], start: int) -> None:
        """A register is read when its consumer starts (not earlier): the recurrence
        through it spans from there to the write."""
        for a in args:
            event = self.register_reads.get(id(a))
            if event is not None:
                event.issue = start if event.issue < 0 else min(event.issue, start)

    def store(self, buffer: str, indices: Sequence[Expr], value: Expr, env: Dict[str, int],
              stream: bool) -> None:
        memo: Dict[int, int] = {}
        t = max([self.expr(value, env, memo)] + [self.expr(i, env, memo) for i in indices])
        self.consume([value], t)
        key = access_key(buffer, indices, env)
        self.access(buffer, key, True, t, env)
        if not stream:
            self.ready[(buffer, _hashable(key))] = t  # forwarded to later reads
        self.end = max(self.end, t + 1)

    def stmts(self, body: Sequence[Stmt], env: Dict[str, int]) -> None:
        for s in body:
            if isinstance(s, Store):
                self.store(s.buffer, s.indices, s.value, env, False)
            elif isinstance(s, StreamPut):
                self.store(s.stream, s.indices, s.value, env, True)
            elif isinstance(s, If):
                c = evaluate_index(s.cond, env)
                if c is None:
                    self.expr(s.cond, env, {})
                    self.stmts(s.then_body, env)
                    self.stmts(s.else_body, env)
                else:
                    self.stmts(s.then_body if c else s.else_body, env)
            elif isinstance(s, For):
                self.unrolled_loop(s, env)
            elif isinstance(s, While):
                self.block.notes.append("a while loop inside a pipelined region is counted as "
                                        "one iteration")
                self.expr(s.cond, env, {})
                self.stmts(s.body, env)
            elif isinstance(s, Call):
                memo: Dict[int, int] = {}
                start = max([0] + [self.expr(a, env, memo) for a in s.args if isinstance(a, Expr)])
                self.block.calls.append((s.callee, start))
                self.end = max(self.end, start + int(self.callee_latency(s.callee)) + 1)
            elif isinstance(s, Return):
                for v in s.values:
                    if isinstance(v, Expr):
                        self.end = max(self.end, self.expr(v, env, {}) + 1)
            elif isinstance(s, Alloc):
                continue

    def unrolled_loop(self, loop: For, env: Dict[str, int]) -> None:
        lo, hi = evaluate_index(loop.lo, env), evaluate_index(loop.hi, env)
        if lo is None or hi is None:
            self.block.notes.append(f"loop {loop.name} has bounds that vary inside the "
                                    "pipeline; one iteration is scheduled")
            self.stmts(loop.body, env)
            return
        values = range(lo, hi, loop.step)
        if len(values) * max(1, len(self.block.accesses)) > ENUMERATION_LIMIT * 8 \
                or len(values) > ENUMERATION_LIMIT:
            before = self.block.resources
            self.stmts(loop.body, {**env, loop.var: lo})
            extra = Resources(*(getattr(self.block.resources, f) - getattr(before, f)
                                for f in ("dsp", "bram", "uram", "ff", "lut", "packable")))
            self.block.resources = before + extra.scaled(len(values))
            self.block.notes.append(f"loop {loop.name}: {len(values)} unrolled copies; one "
                                    "scheduled, its operators counted {0} times".format(len(values)))
            return
        for v in values:
            self.stmts(loop.body, {**env, loop.var: v})


def _hashable(key: Any) -> Any:
    return key if not isinstance(key, _Opaque) else id(key)


def schedule_block(body: Sequence[Stmt], buffers: Dict[str, BufferInfo],
                   env: Optional[Dict[str, int]] = None, rep: Optional[Dict[str, int]] = None,
                   callee_latency: Any = lambda name: 0) -> Block:
    """Schedule one iteration of ``body`` ASAP. ``env`` binds unrolled variables to
    values; ``rep`` gives the other variables' representative values (for banks).

    Example: ``schedule_block(loop.body, infos, rep={"i": 0}).depth``.
    """
    sched = _Scheduler(buffers, rep or {}, callee_latency)
    sched.stmts(body, dict(env or {}))
    block = sched.block
    for a in block.accesses:
        a.issue = max(0, a.issue)
    block.depth = max(1, sched.end) if block.accesses or block.calls else max(0, sched.end)
    return block


__all__ = ["BufferInfo", "AccessEvent", "Block", "schedule_block", "evaluate_index",
           "access_key", "bank_of", "ENUMERATION_LIMIT"]
