"""What every schedule primitive shares: the registry, name resolution, side conditions
and certificates.

A primitive is a function ``fn(ctx, **arguments)`` registered with :func:`primitive`. It
works on ``ctx.module`` (a private copy of the schedule's current IR: when the primitive
refuses, the schedule is untouched), resolves its arguments with :meth:`Context.loop` and
:meth:`Context.buffer`, discharges its side conditions with :meth:`Context.prove` (a z3
query with a timeout, recorded in the certificate), rewrites the IR, and may return a
value to the user (e.g. the buffer ``buffer_at`` creates).

Example::

    @primitive("parallel", rule="annotation.parallel")
    def parallel(ctx, axis):
        site = ctx.loop(axis)
        ...  # ctx.prove("no loop-carried dependence", violation_constraints, witness)
        site.loop.attrs["parallel"] = True
"""

from __future__ import annotations

import dataclasses

import inspect
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import z3

from ..errors import ScheduleError
from .deps import IMPURE_CALLEES
from ..ir.index import ConstantLoop, constant_trips
from ..ir.nodes import Alloc, For, Func, Module, Stmt, walk_stmts
from ..ir.state import impure_funcs
from ..ir.sites import stmt_sites
from ..ir.types import BufferType

DEFAULT_TIMEOUT_MS = 2000


# ------------------------------------------------------------------ certificates
@dataclass
class Condition:
    """One discharged (or explicitly unchecked) side condition."""

    name: str
    status: str  # "proved" | "unchecked" | "trivial"
    seconds: float = 0.0
    detail: str = ""


@dataclass
class Certificate:
    """What one applied primitive instantiated and what it proved."""

    primitive: str
    rule: str
    arguments: Dict[str, Any]
    conditions: List[Condition] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def checked(self) -> bool:
        return all(c.status != "unchecked" for c in self.conditions)

    def __str__(self) -> str:
        args = ", ".join(f"{k}={_show(v)}" for k, v in self.arguments.items())
        conds = "; ".join(f"{c.name}: {c.status}" for c in self.conditions) or "no side condition"
        return f"{self.primitive}({args}) by rule {self.rule} [{conds}] in {self.seconds * 1e3:.1f} ms"


# ------------------------------------------------------------------ registry
# what each argument of a primitive names; ``compose`` re-aims loops, buffers and
# functions at the kernel instance it replays into and passes values unchanged
LOOP = "loop"          # a loop or band: "i", "func:i", "band:i", a LoopHandle, a PEArray
BUFFER = "buffer"      # a buffer: s.A, "A", "func:A"
FUNCTION = "function"  # a function name
TARGET = "target"      # a function name, else a loop (dataflow's region)
VALUE = "value"        # anything else: factors, depths, band positions, options
ARGUMENT_KINDS = (LOOP, BUFFER, FUNCTION, TARGET, VALUE)


@dataclass
class PrimitiveDef:
    """A registered primitive: its rule, its function, the kind of each argument and
    whether the layouts it changes are the user's own (fixed) layouts."""

    name: str
    rule: str
    fn: Callable[..., Any]
    kinds: Dict[str, str] = field(default_factory=dict)
    fixes_layouts: bool = False


PRIMITIVES: Dict[str, PrimitiveDef] = {}


def primitive(name: str, rule: str, kinds: Dict[str, str], *, fixes_layouts: bool = False
              ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn(ctx, **args)`` as the primitive ``name`` instantiating ``rule``
    (the name of its theorem in ``proofs/``). ``kinds`` gives every argument's kind
    (:data:`LOOP`, :data:`BUFFER`, :data:`FUNCTION`, :data:`TARGET` or :data:`VALUE`;
    a list argument has the kind of its elements); ``fixes_layouts=True`` says the
    layouts the primitive writes are the user's own, which layout reconciliation keeps.

    Example: ``@primitive("unroll", rule="annotation.unroll", kinds={"axis": LOOP, "factor": VALUE})``.
    """

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        params = list(inspect.signature(fn).parameters)[1:]
        if set(params) != set(kinds) or any(k not in ARGUMENT_KINDS for k in kinds.values()):
            raise TypeError(f"primitive {name!r} must declare the kind of each argument "
                            f"{params} as one of {ARGUMENT_KINDS}, got {kinds}")
        PRIMITIVES[name] = PrimitiveDef(name, rule, fn, dict(kinds), fixes_layouts)
        return fn

    return register


# ------------------------------------------------------------------ handles
@dataclass(frozen=True)
class BufferHandle:
    """``s.A``: a buffer (argument or named local) of a function in the design."""

    func: str
    name: str

    def __str__(self) -> str:
        return f"{self.func}:{self.name}"


@dataclass(frozen=True)
class LoopHandle:
    """A loop as listed by ``s.get_loops()``; usable wherever a loop name is."""

    func: str
    band: str
    name: str

    def __str__(self) -> str:
        return f"{self.func}:{self.name}"


@dataclass
class LoopSite:
    """A resolved loop: its function, the ``For`` node, the body list holding it, and the
    enclosing loops (outermost first)."""

    func: Func
    loop: For
    parent: List[Stmt]
    enclosing: List[For]

    @property
    def position(self) -> int:
        return next(i for i, s in enumerate(self.parent) if s is self.loop)


@dataclass
class BufferSite:
    """A resolved buffer: its function, name, type and (for locals) its ``Alloc``."""

    func: Func
    name: str
    type: Any
    alloc: Optional[Alloc]

    @property
    def is_param(self) -> bool:
        return self.alloc is None


def loop_sites(func: Func) -> List[LoopSite]:
    """Every loop of ``func`` with its parent body and enclosing loops, in program order."""
    return [LoopSite(func, site.stmt, site.parent, site.enclosing)
            for site in stmt_sites(func) if isinstance(site.stmt, For)]


# ------------------------------------------------------------------ context
class Context:
    """The working state of one primitive application."""

    def __init__(self, module: Module, name: str, rule: str, arguments: Dict[str, Any],
                 *, unchecked: bool = False, timeout_ms: int = DEFAULT_TIMEOUT_MS):
        self.module = module
        self.name = name
        self.unchecked = unchecked
        self.timeout_ms = timeout_ms
        self.certificate = Certificate(name, rule, arguments)
        self._z3: Optional[z3.Solver] = None

    # -------------------------------------------------------------- errors
    def refuse(self, message: str, hint: Optional[str] = None) -> "ScheduleError":
        """Build the error for a refused application (raise it)."""
        args = ", ".join(f"{k}={_show(v)}" for k, v in self.certificate.arguments.items())
        return ScheduleError(message, where=f"{self.name}({args})", hint=hint)

    # -------------------------------------------------------------- loops
    def constant_loop(self, loop: For, what: str) -> ConstantLoop:
        """``(lo, hi, step, trips)`` of ``loop`` (the argument ``what``); refuses when its
        bounds are not constants. Example: ``lo, hi, step, trips = ctx.constant_loop(l, "axis")``."""
        c = constant_trips(loop)
        if c is None:
            raise self.refuse(f"loop {loop.name!r} ({what}) has non-constant bounds",
                              hint="this primitive needs loops with constant bounds")
        return c

    def loop(self, ref: Any, arg: str = "axis") -> LoopSite:
        """Resolve a loop given as ``"j"``, ``"gemm:j"``, ``"band:j"`` or a :class:`LoopHandle`."""
        if isinstance(ref, LoopSite):
            return ref
        if isinstance(ref, For):
            return self.loop_site_of(ref)
        if isinstance(ref, LoopHandle):
            # a handle listed before a reorder/compute_at may name the loop's old band
            # (band names stay with nest positions): the loop's unique name in its
            # function still identifies it
            qualified = f"{ref.func}:{ref.band}:{ref.name}"
            func = self.module.funcs.get(ref.func)
            if func is not None and not any(s.loop.name == ref.name and s.loop.band == ref.band
                                            for s in loop_sites(func)):
                if sum(s.loop.name == ref.name for s in loop_sites(func)) == 1:
                    qualified = f"{ref.func}:{ref.name}"
            ref = qualified
        if not isinstance(ref, str):
            raise self.refuse(f"argument {arg}={ref!r} is not a loop name",
                              hint="pass a loop name such as \"i\" or \"gemm:i\", or a loop from s.get_loops()")
        parts = ref.split(":")
        if len(parts) > 3:
            raise self.refuse(f"loop name {ref!r} ({arg}) has too many qualifiers",
                              hint="write \"i\", \"func:i\", \"band:i\" or \"func:band:i\"")
        name = parts[-1]
        func_q, band_q = (parts[0], parts[1]) if len(parts) == 3 else (None, None)
        qualifier = parts[0] if len(parts) == 2 else None
        candidates = []
        for func in self.module.funcs.values():
            if func_q is not None and func.name != func_q:
                continue
            for site in loop_sites(func):
                if site.loop.name != name:
                    continue
                if band_q is not None and site.loop.band != band_q:
                    continue
                if qualifier is not None and qualifier not in (func.name, site.loop.band):
                    continue
                candidates.append(site)
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise self.refuse(f"no loop named {ref!r} ({arg})",
                              hint=f"loops that exist: {', '.join(self.loop_names()) or 'none'}")
        options = ", ".join(self.display_name(c) for c in candidates)
        raise self.refuse(f"loop name {ref!r} ({arg}) is ambiguous: {options}",
                          hint="qualify it with its function and/or band, e.g. \"func:band:i\"")

    def display_name(self, site: LoopSite) -> str:
        """The shortest qualified name that identifies a loop of the design."""
        same = [s for s in loop_sites(site.func) if s.loop.name == site.loop.name]
        if len(same) == 1:
            return f"{site.func.name}:{site.loop.name}"
        return f"{site.func.name}:{site.loop.band}:{site.loop.name}"

    def loop_names(self) -> List[str]:
        return [self.display_name(s) for f in self.module.funcs.values() for s in loop_sites(f)]

    def loop_site_of(self, loop: For) -> LoopSite:
        """The site of a ``For`` node of the working module."""
        for func in self.module.funcs.values():
            for site in loop_sites(func):
                if site.loop is loop:
                    return site
        raise self.refuse(f"loop {loop.name!r} is not part of the design",
                          hint="pass a loop of this schedule, e.g. from s.get_loops()")

    def band_loops(self, band: Any) -> List[For]:
        """The loops of band ``band`` (``"PE"`` or ``"func:PE"``), outermost first."""
        if not isinstance(band, str):
            raise self.refuse(f"band={band!r} is not a band name",
                              hint="pass the band's name, e.g. \"PE\" from allo.grid(M, N, \"PE\")")
        qualifier, _, name = band.rpartition(":")
        found: Dict[str, List[For]] = {}
        for func in self.module.funcs.values():
            if qualifier and func.name != qualifier:
                continue
            loops = [s.loop for s in loop_sites(func) if s.loop.band == name]
            if loops:
                found[func.name] = loops
        if not found:
            bands = sorted({f"{f.name}:{s.loop.band}" for f in self.module.funcs.values()
                            for s in loop_sites(f) if s.loop.band})
            raise self.refuse(f"no band named {band!r}", hint=f"bands that exist: {', '.join(bands) or 'none'}")
        if len(found) > 1:
            raise self.refuse(f"band name {band!r} is ambiguous: functions {', '.join(sorted(found))}",
                              hint="qualify it as \"func:band\"")
        return next(iter(found.values()))

    # -------------------------------------------------------------- buffers
    def buffer(self, ref: Any, arg: str = "target") -> BufferSite:
        """Resolve a buffer given as ``s.A`` (a :class:`BufferHandle`), ``"A"`` or ``"func:A"``."""
        if isinstance(ref, BufferSite):
            return ref
        if isinstance(ref, BufferHandle):
            func_name, name = ref.func, ref.name
        elif isinstance(ref, str):
            func_name, _, name = ref.rpartition(":")
        else:
            raise self.refuse(f"argument {arg}={ref!r} is not a buffer",
                              hint="pass a buffer handle such as s.A, or \"func:A\"")
        found = []
        for func in self.module.funcs.values():
            if func_name and func.name != func_name:
                continue
            site = _find_buffer(func, name)
            if site is not None:
                found.append(site)
        if len(found) == 1:
            return found[0]
        if not found:
            every = sorted(f"{f.name}:{n}" for f in self.module.funcs.values() for n in f.buffers())
            raise self.refuse(f"no buffer named {name!r} ({arg})",
                              hint=f"buffers that exist: {', '.join(every) or 'none'}")
        # an unqualified name found in several functions: prefer the top function's own
        top = [s for s in found if s.func.name == self.module.top]
        if len(top) == 1 and not func_name:
            return top[0]
        options = ", ".join(f"{s.func.name}:{s.name}" for s in found)
        raise self.refuse(f"buffer name {name!r} ({arg}) is ambiguous: {options}",
                          hint="qualify it as \"func:name\"")

    # -------------------------------------------------------------- side conditions
    def trivial(self, name: str, detail: str = "") -> None:
        """Record a side condition that holds by construction (no query needed)."""
        self.certificate.conditions.append(Condition(name, "trivial", 0.0, detail))

    def prove(self, name: str, violation: Sequence[z3.BoolRef],
              witness: Callable[[z3.ModelRef], str], *, hint: Optional[str] = None) -> None:
        """Discharge side condition ``name`` by showing ``violation`` unsatisfiable.

        ``violation`` are z3 constraints describing a counterexample to the condition;
        ``witness(model)`` describes one (e.g. "iterations (i=0, k=1) and (i=1, k=0) both
        write C[0, 0]"). Satisfiable: refuse with the witness. Timeout: refuse unless the
        primitive was applied with ``unchecked=True`` (then recorded as unchecked).
        """
        result, model, reason, seconds = self._check(violation)
        if result == z3.unsat:
            self.certificate.conditions.append(Condition(name, "proved", seconds))
            return
        if result == z3.sat:
            raise self.refuse(f"side condition '{name}' fails: {witness(model)}", hint=hint)
        if self.unchecked:
            self.certificate.conditions.append(Condition(name, "unchecked", seconds, f"z3: {reason}"))
            return
        raise self.refuse(
            f"side condition '{name}' could not be decided within {self.timeout_ms} ms "
            f"(z3: {reason})",
            hint="pass unchecked=True to apply it anyway; the certificate will record it as unchecked")

    def holds(self, name: str, violation: Sequence[z3.BoolRef]) -> bool:
        """For an *optional* rewrite: whether side condition ``name`` holds (``violation``
        unsatisfiable; recorded as proved). A counterexample or a timeout returns False and
        records nothing: the caller keeps the program as it is instead of refusing.

        Example: ``if ctx.holds("fill is dead", constraints): drop_fill()``.
        """
        result, _, _, seconds = self._check(violation)
        if result != z3.unsat:
            return False
        self.certificate.conditions.append(Condition(name, "proved", seconds))
        return True

    def _check(self, violation: Sequence[z3.BoolRef]) -> Tuple[Any, Optional[z3.ModelRef], str, float]:
        """One query in its own scope of the application's solver: (result, the model when
        sat, z3's reason when unknown, seconds)."""
        start = time.perf_counter()
        solver = self._solver()
        solver.push()
        try:
            solver.add(*violation)
            result = solver.check()
            model = solver.model() if result == z3.sat else None
            reason = solver.reason_unknown() if result == z3.unknown else ""
        finally:
            solver.pop()
        return result, model, reason, time.perf_counter() - start

    def _solver(self) -> z3.Solver:
        # one incremental solver per application (push/pop per condition): creating a
        # solver with the default tactic costs several ms, a SimpleSolver scope far less
        if self._z3 is None:
            self._z3 = z3.SimpleSolver()
            self._z3.set("timeout", self.timeout_ms)
        return self._z3

    def assume_unchecked(self, name: str, reason: str) -> None:
        """A condition this primitive cannot decide (e.g. non-affine accesses): refuse
        unless the user passed ``unchecked=True``."""
        if not self.unchecked:
            raise self.refuse(f"side condition '{name}' cannot be checked: {reason}",
                              hint="pass unchecked=True to apply it anyway; the certificate will record it as unchecked")
        self.certificate.conditions.append(Condition(name, "unchecked", 0.0, reason))


def plain_value(value: Any) -> Any:
    """Numpy scalars as Python ones (``np.int64(4)`` -> ``4``), inside lists and tuples too,
    so every primitive accepts the numpy integers the rest of the API accepts.

    Example: ``plain_value([np.int64(2), "i"]) == [2, "i"]``.
    """
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, list):
        return [plain_value(v) for v in value]
    if isinstance(value, tuple) and type(value) is tuple:
        return tuple(plain_value(v) for v in value)
    return value


INDEX_BITS = 64  # ``index`` is a 64-bit signed integer (allo.ir.types.Index)
INDEX_MAX = 2 ** (INDEX_BITS - 1) - 1


def prove_index_fits(ctx: Context, what: str, largest: int, detail: str) -> None:
    """Side condition of every rule that builds index arithmetic: the largest value the
    rewritten loops compute (``largest``, exact integer arithmetic) fits in ``index``.

    Example: ``prove_index_fits(ctx, "the fused trip count", 64, "8 x 8")``.
    """
    if largest > INDEX_MAX:
        raise ctx.refuse(f"side condition 'index arithmetic fits in {INDEX_BITS} bits' fails: {what} "
                         f"reaches {largest} > 2**{INDEX_BITS - 1} - 1",
                         hint="use smaller loops or factors; index values are 64-bit signed integers")
    ctx.certificate.conditions.append(Condition(f"index arithmetic fits in {INDEX_BITS} bits", "proved",
                                                0.0, f"exact arithmetic: {what} <= {largest} ({detail})"))


def _find_buffer(func: Func, name: str) -> Optional[BufferSite]:
    param = func.param(name)
    if param is not None:
        return BufferSite(func, name, param.type, None)
    for s in walk_stmts(func.body):
        if isinstance(s, Alloc) and s.name == name:
            return BufferSite(func, name, s.type, s)
    return None


def _show(v: Any) -> str:
    if isinstance(v, (BufferHandle, LoopHandle)):
        return str(v)
    if isinstance(v, (list, tuple)):
        inner = ", ".join(_show(x) for x in v)
        if isinstance(v, list):
            return f"[{inner}]"
        return f"({inner},)" if len(v) == 1 else f"({inner})"
    if hasattr(v, "band") and hasattr(v, "func") and not isinstance(v, type):
        return f"<PE array {v.func}:{v.band}>"
    return repr(v)


def fresh_name(taken: Sequence[str], base: str) -> str:
    """``base`` if unused, else ``base_1``, ``base_2``, ...; used for new buffers/loops."""
    taken_set = set(taken)
    if base not in taken_set:
        return base
    n = 1
    while f"{base}_{n}" in taken_set:
        n += 1
    return f"{base}_{n}"


def all_names(func: Func) -> List[str]:
    """Every buffer, loop and loop-variable name used in ``func``."""
    names = list(func.buffers())
    for s in walk_stmts(func.body):
        if isinstance(s, For):
            names += [s.name, s.var]
    return names


def template_instance(module: Module, qualifier: str) -> Optional[str]:
    """The function a qualifier names: itself when it is a function of ``module``, else
    the one instance of the template of that name (public Allo names a template's
    instance after the template: ``"systolic_tile:PE"`` when the design holds
    ``systolic_tile_0``); ``None`` when there is no such function or several instances.

    Example: ``template_instance(s.ir, "systolic_tile") == "systolic_tile_0"``.
    """
    if qualifier in module.funcs:
        return qualifier
    found = [f.name for f in module.funcs.values() if f.attrs.get("template") == qualifier]
    return found[0] if len(found) == 1 else None


def instance_qualifiers(module: Module, kind: str, value: Any) -> Any:
    """``value`` (an argument of the given kind) with function qualifiers that name a
    template resolved to its one instance (:func:`template_instance`), so the primitive
    and the recorded step (which ``compose`` replays) name the function itself.

    Example: ``instance_qualifiers(s.ir, LOOP, "systolic_tile:PE") == "systolic_tile_0:PE"``.
    """
    if kind not in (LOOP, BUFFER, TARGET) or value is None:
        return value
    if isinstance(value, list):
        return [instance_qualifiers(module, kind, v) for v in value]
    if isinstance(value, str):
        head, sep, rest = value.partition(":")
        real = template_instance(module, head) if sep else None
        return f"{real}:{rest}" if real not in (None, head) else value
    func = getattr(value, "func", None)
    if isinstance(func, str) and func not in module.funcs:
        real = template_instance(module, func)
        if real is not None:
            if isinstance(value, BufferHandle):
                return BufferHandle(real, value.name)
            if dataclasses.is_dataclass(value):
                return dataclasses.replace(value, func=real)
    return value


def apply_primitive(module: Module, name: str, arguments: Dict[str, Any], *,
                    unchecked: bool = False, timeout_ms: int = DEFAULT_TIMEOUT_MS
                    ) -> Tuple[Module, Certificate, Any]:
    """Apply registered primitive ``name`` to a copy of ``module``.

    Returns the rewritten module, its certificate and the primitive's return value; raises
    :class:`ScheduleError` (the input module untouched) when it refuses.
    """
    if name not in PRIMITIVES:
        raise ScheduleError(f"unknown primitive {name!r}",
                            hint=f"primitives: {', '.join(sorted(PRIMITIVES))}")
    definition = PRIMITIVES[name]
    arguments = {k: instance_qualifiers(module, definition.kinds.get(k, VALUE), plain_value(v))
                 for k, v in arguments.items()}
    try:
        inspect.signature(definition.fn).bind(None, **arguments)
    except TypeError as exc:
        params = [p for p in inspect.signature(definition.fn).parameters][1:]
        raise ScheduleError(f"{name}: {exc}", where=name,
                            hint=f"{name} takes: {', '.join(params) or 'no arguments'}") from None
    work = module.copy()
    ctx = Context(work, name, definition.rule, dict(arguments), unchecked=unchecked,
                  timeout_ms=timeout_ms)
    start = time.perf_counter()
    token = IMPURE_CALLEES.set(frozenset(impure_funcs(work)))
    try:
        value = definition.fn(ctx, **arguments)
    finally:
        IMPURE_CALLEES.reset(token)
    ctx.certificate.seconds = time.perf_counter() - start
    return ctx.module, ctx.certificate, value


__all__ = [
    "BufferHandle", "BufferSite", "Certificate", "Condition", "Context", "LoopHandle",
    "LoopSite", "PRIMITIVES", "apply_primitive", "all_names", "fresh_name", "loop_sites",
    "primitive", "BufferType", "plain_value", "LOOP", "BUFFER", "FUNCTION", "TARGET", "VALUE",
    "PrimitiveDef", "INDEX_BITS", "INDEX_MAX", "prove_index_fits", "template_instance",
    "instance_qualifiers",
]
