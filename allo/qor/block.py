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

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..ir.nodes import (Alloc, Call, Const, Expr, For, If, Load, Op, Return, Stmt, Store,
                        StreamGet, StreamPut, Var, While, substitute)
from ..ir.types import index
from ..ir.index import IndexForm, affine_form
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
    # accesses beyond a bank's ports wait for later cycles (the schedule above assumed
    # unlimited ports): each extra port cycle delays the iteration by one
    block.depth += max([lim.ii for lim in port_limits(block, buffers)] + [1]) - 1
    return block


# ------------------------------------------------------------------ initiation interval
@dataclass
class IILimit:
    """Why a loop cannot start an iteration every cycle."""

    ii: int
    cause: str                # "memory ports" | "dependence" | "stream" | "directive"
    buffer: str
    detail: str
    fix: str


def port_limits(block: Block, buffers: Dict[str, BufferInfo]) -> List[IILimit]:
    """Resource MII per buffer: distinct elements accessed per bank and iteration against
    the bank's ports (streams: one read and one write per cycle)."""
    from .model import resource_mii

    per_bank: Dict[Tuple[str, Any], Dict[str, set]] = {}
    for a in block.accesses:
        info = buffers.get(a.buffer)
        if info is None or (info.ports is None and not info.is_stream):
            continue
        banks = [a.bank] if a.bank is not None else _all_banks(info)
        for b in banks:
            slot = per_bank.setdefault((a.buffer, b), {"r": set(), "w": set()})
            slot["w" if a.write else "r"].add(_hashable(a.key))
    limits = []
    for (buf, bank), slot in per_bank.items():
        info = buffers[buf]
        if info.is_stream:
            n = max(len(slot["r"]), len(slot["w"]))
            ii = max(1, n)
            if ii > 1:
                limits.append(IILimit(ii, "stream", buf,
                                      f"{n} accesses to one FIFO of {buf} per iteration",
                                      f"unroll less, or widen {buf}'s elements"))
            continue
        n = len(slot["r"]) + len(slot["w"])
        ii = resource_mii(n, info.ports or 1)
        if ii > 1:
            limits.append(IILimit(ii, "memory ports", buf,
                                  f"{n} accesses per iteration to one bank of {buf} "
                                  f"({info.kind}, {info.ports} ports)",
                                  _partition_fix(info, block, n)))
    return limits


def _all_banks(info: BufferInfo) -> List[Tuple[int, ...]]:
    if info.layout is None:
        return [()]
    import itertools

    return list(itertools.product(*(range(d.factor) for d in info.layout.dims)))


def _partition_fix(info: BufferInfo, block: Block, accesses: int) -> str:
    """The partition call that spreads the accesses over enough banks: the dimension along
    which the accessed elements of one iteration differ most."""
    keys = {a.key for a in block.accesses if a.buffer == info.name and not isinstance(a.key, _Opaque)}
    if not keys or not info.shape:
        return f"partition {info.name} (its index is not affine: use Complete)"
    best_dim, best_distinct = 0, 0
    for d in range(len(info.shape)):
        distinct = len({k[d] for k in keys})
        if distinct > best_distinct:
            best_dim, best_distinct = d, distinct
    factor = min(info.shape[best_dim], 1 << max(0, math.ceil(math.log2(max(1, math.ceil(accesses / 2))))))
    forms = sorted({k[best_dim] for k in keys}, key=lambda f: f.const)
    stride = _stride(forms)
    kind = "cyclic" if stride == 1 else "block" if stride and stride >= info.shape[best_dim] // max(1, factor) else "cyclic"
    if factor >= info.shape[best_dim]:
        return f"partition {info.name} dim={best_dim + 1} complete"
    return f"partition {info.name} dim={best_dim + 1} {kind} factor={factor}"


def _stride(forms: List[IndexForm]) -> Optional[int]:
    consts = sorted({f.const for f in forms})
    if len(consts) < 2:
        return None
    return min(b - a for a, b in zip(consts, consts[1:]))


def recurrence_limits(block: Block, buffers: Dict[str, BufferInfo], chain: Sequence[Tuple[str, int]],
                      max_distance: int = 256) -> List[IILimit]:
    """Recurrence MII: for each read that may see a value written ``d`` iterations earlier
    (``chain``: the pipelined, flattened loops as ``(var, trip)``, outermost first),
    ``ceil(cycles from the read to the write / d)``."""
    from .model import recurrence_mii

    limits = []
    writes = [a for a in block.accesses if a.write and not buffers.get(a.buffer, _REG).is_stream]
    written = {a.buffer for a in writes}
    for r in block.accesses:
        if r.write or r.buffer not in written:
            continue
        if any(w.buffer == r.buffer and w.order < r.order and _hashable(w.key) == _hashable(r.key)
               for w in writes):
            continue  # the read sees this iteration's own write
        info = buffers.get(r.buffer, _REG)
        for w in writes:
            if w.buffer != r.buffer:
                continue
            cycles = w.issue - r.issue + (1 if info.read_latency else 0)
            if cycles <= 1:
                continue  # even distance 1 allows II = 1
            d = dependence_distance(w.key, r.key, chain, min(max_distance, cycles - 1))
            if d is None:
                continue
            ii = recurrence_mii(cycles, d)
            if ii > 1:
                limits.append(IILimit(
                    ii, "dependence", r.buffer,
                    f"{r.buffer}{_show_key(r.key)} is read {d} iteration(s) after "
                    f"{r.buffer}{_show_key(w.key)} is written, {cycles} cycles apart",
                    _recurrence_fix(r.buffer, d, cycles, chain, w.key)))
    return limits


_REG = BufferInfo("", "registers", 0, None)


def _show_key(key: Any) -> str:
    if isinstance(key, _Opaque):
        return "[?]"
    if not key:
        return ""
    return "[" + ", ".join(str(a) for a in key) + "]"


def _recurrence_fix(buffer: str, distance: int, cycles: int, chain: Sequence[tuple],
                    key: Any = None) -> str:
    need = math.ceil(cycles / max(1, distance))
    used = set() if isinstance(key, _Opaque) or key is None else {v for a in key for v, _ in a.coeffs}
    names = [c[0] for c in chain]
    if len(names) > 1 and names[-1] not in used:
        outer = [v for v in names[:-1] if v in used]
        if outer:
            return (f"reorder the loops so {names[-1]!r} (not in {buffer}'s index) is outside "
                    f"{outer[-1]!r}: s.reorder({names[-1]!r}, {outer[-1]!r})")
    if chain:
        inner = chain[-1][0]
        return (f"interleave {need} independent accumulations: split the reduction loop by "
                f"{need} and reorder its inner part inside {inner!r} (partial sums in {buffer}), "
                f"or pipeline an outer loop")
    return f"break the recurrence on {buffer}"


def dependence_distance(write_key: Any, read_key: Any, chain: Sequence[Tuple[str, int]],
                        max_distance: int = 256) -> Optional[int]:
    """The smallest number of flattened iterations ``d >= 1`` after which the read touches
    the element the write touched, or ``None`` if none up to ``max_distance``.

    Non-affine accesses are assumed dependent at distance 1 (conservative).

    Example: a write ``x[i]`` and a read ``x[i - 1]`` over ``chain=[("i", 10)]`` have distance 1.
    """
    if isinstance(write_key, _Opaque) or isinstance(read_key, _Opaque):
        return 1
    chain = [tuple(c) + (0, 1)[len(c) - 2:] if len(c) < 4 else tuple(c) for c in chain]
    names = [c[0] for c in chain]
    trips = [max(1, c[1]) for c in chain]
    strides = [math.prod(trips[m + 1:]) for m in range(len(trips))]
    rows = []
    for w, r in zip(write_key, read_key):
        cw, cr = dict(w.coeffs), dict(r.coeffs)
        if any(cw.get(v, 0) != cr.get(v, 0) for v in set(cw) | set(cr)):
            # non-uniform: ask z3 whether any later iteration reads what an earlier one
            # wrote (deps' formulation); if it may, assume the worst distance, 1
            return 1 if _may_depend(write_key, read_key, chain) else None
        coefs = [cw.get(v, 0) for v in names]
        if not any(coefs) and w.const != r.const:
            return None  # this dimension never coincides
        rows.append((coefs, w.const - r.const))
    return _smallest_distance(tuple((tuple(c), k) for c, k in rows), tuple(strides),
                              tuple(trips), max_distance)


def _may_depend(write_key: Any, read_key: Any, chain: Sequence[tuple]) -> bool:
    """z3: an iteration of the flattened nest ``chain`` ((var, trip, lo, step), outermost
    first) reads an element an earlier iteration wrote (loops outside the chain fixed)."""
    import z3

    from ..primitives.deps import lex_less
    from ..primitives.index_z3 import form_term

    wx = {v: z3.Int(f"{v}_w") for v, *_ in chain}
    ry = {v: z3.Int(f"{v}_r") for v, *_ in chain}
    solver = z3.Solver()
    solver.set("timeout", 200)
    for (v, trip, lo, step) in chain:
        for var in (wx[v], ry[v]):
            t = z3.FreshInt(f"{v}_t")
            solver.add(t >= 0, t < trip, var == lo + step * t)
    for w, r in zip(write_key, read_key):
        solver.add(form_term(w, wx) == form_term(r, ry))
    solver.add(lex_less([wx[v] for v, *_ in chain], [ry[v] for v, *_ in chain]))
    return solver.check() != z3.unsat


@functools.lru_cache(maxsize=4096)
def _smallest_distance(rows, strides, trips, max_distance) -> Optional[int]:
    for delta in range(1, max_distance + 1):
        for vec in _digit_vectors(delta, list(strides), list(trips)):
            if all(sum(c * x for c, x in zip(coefs, vec)) == rhs for coefs, rhs in rows):
                return delta
    return None


def _digit_vectors(delta: int, strides: List[int], trips: List[int]) -> List[List[int]]:
    """Iteration differences (one per flattened loop) whose flattened distance is ``delta``."""
    out: List[List[int]] = []

    def go(m: int, rest: int, acc: List[int]) -> None:
        if m == len(strides):
            if rest == 0:
                out.append(list(acc))
            return
        s = strides[m]
        base = rest // s
        for digit in {base, base + 1, base - 1}:
            if abs(digit) <= trips[m] - 1 and abs(rest - digit * s) <= s - 1 + (0 if m + 1 < len(strides) else 0):
                go(m + 1, rest - digit * s, acc + [digit])

    if not strides:
        return []
    go(0, delta, [])
    return out


__all__ = ["BufferInfo", "AccessEvent", "Block", "IILimit", "schedule_block", "port_limits",
           "recurrence_limits", "dependence_distance", "evaluate_index", "access_key",
           "bank_of", "ENUMERATION_LIMIT"]
