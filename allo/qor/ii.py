"""Initiation intervals: why a pipelined loop cannot start an iteration every cycle.

From one scheduled iteration (:mod:`.block`): the resource MII of each memory bank
(accesses against ports) and the recurrence MII of each loop-carried read-after-write
dependence (its distance in the flattened pipelined nest and the cycles between the read
and the write), each with the primitive that would lift it. Rules: ``docs/qor.md``.

Example::

    >>> dependence_distance((IndexForm.of({"i": 1}),), (IndexForm.of({"i": 1}, -1),), [("i", 10)])
    1
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..ir.index import IndexForm
from .block import Block, BufferInfo, _hashable, _Opaque
from .model import recurrence_mii, resource_mii

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
            return 1 if _may_depend(tuple(write_key), tuple(read_key), tuple(chain)) else None
        coefs = [cw.get(v, 0) for v in names]
        if not any(coefs) and w.const != r.const:
            return None  # this dimension never coincides
        rows.append((coefs, w.const - r.const))
    return _smallest_distance(tuple((tuple(c), k) for c, k in rows), tuple(strides),
                              tuple(trips), max_distance)


@functools.lru_cache(maxsize=4096)
def _may_depend(write_key: tuple, read_key: tuple, chain: tuple) -> bool:
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



def with_port_cycles(block: Block, buffers: Dict[str, BufferInfo]) -> Block:
    """``block`` with its depth lengthened by the port cycles it needs beyond one: the
    ASAP schedule assumed unlimited ports, and accesses beyond a bank's ports wait."""
    block.depth += max([lim.ii for lim in port_limits(block, buffers)] + [1]) - 1
    return block


__all__ = ["IILimit", "with_port_cycles", "port_limits", "recurrence_limits", "dependence_distance"]
