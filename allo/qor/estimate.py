"""The QoR estimator: walks a scheduled design's IR and models how Vitis HLS schedules
it, function by function and loop by loop (rules in ``docs/qor.md``).

Entry point: :func:`estimate` (``s.report()`` delegates here). It returns a
:class:`~allo.qor.report.Report`: one row per function and loop, the reasons each loop
misses II=1 with the primitive that would fix it, and a latency formula in the loops'
trip counts.

Example::

    s = allo.customize(gemm); s.pipeline("k")
    print(estimate(s, clock_mhz=300, part="xcu280"))
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..errors import AlloError
from ..ir.nodes import Alloc, Call, For, Func, If, Module, Return, Stmt, While, walk_stmts
from ..ir.types import BufferType
from . import formula as F
from .block import BufferInfo, evaluate_index, schedule_block
from .ii import IILimit, port_limits, recurrence_limits, with_port_cycles
from .model import (CALL_OVERHEAD, FIFO_HOP_LATENCY, PIPELINE_CALL_OVERHEAD, LoopTiming,
                    dataflow_latency, pipelined_latency, sequential_loop_latency)
from .report import Report, Row
from .resources import Resources
from .storage import (banks_of, element_bits, fifo_cost, requested_latency, requested_ports,
                      memory_kind, storage_cost)
from .trips import estimated_trips

#: Vitis HLS pipelines innermost loops with at least this many iterations by default
#: (``config_compile -pipeline_loops 64``, UG1399)
AUTO_PIPELINE_TRIP = 64


class Cost:
    """Latency (cycles, and as a formula in trip counts) and resources of a region."""

    __slots__ = ("latency", "formula", "resources", "depth")

    def __init__(self, latency: int = 0, formula: Any = None, resources: Optional[Resources] = None,
                 depth: int = 0):
        self.latency = latency
        self.formula = F.num(latency) if formula is None else formula
        self.resources = resources or Resources()
        self.depth = depth  # cycles until the region's first result (pipeline fill)


class _FuncEstimator:
    def __init__(self, est: "_Estimator", func: Func):
        self.est = est
        self.func = func
        self.buffers: Dict[str, BufferInfo] = {}
        self.storage = Resources()
        self.ranges: Dict[str, Tuple[int, int]] = {}  # enclosing loops' (lo, hi), for trips
        self.auto: set = set()  # innermost loops Vitis pipelines without a directive
        for p in func.params:
            self._add_buffer(p.name, p.type, is_argument=True)
        for s, copies in _allocs(func.body, 1):
            self._add_buffer(s.name, s.type, is_argument=False, copies=copies)

    # ---------------------------------------------------------------- buffers
    def _add_buffer(self, name: str, btype: Any, is_argument: bool, copies: int = 1) -> None:
        """Record a buffer's storage; ``copies``: one per PE of the unfolded loops around it."""
        if not isinstance(btype, BufferType):
            self.buffers[name] = BufferInfo(name, "registers", 0, None)
            return
        if btype.is_stream:
            depth = btype.dtype.depth
            width = element_bits(btype.dtype.dtype)
            n = max(1, btype.size)
            bram, ff, lut = fifo_cost(depth, width)
            if not is_argument:
                self.storage = self.storage + Resources(bram=bram * n, ff=ff * n, lut=lut * n).scaled(copies)
            self.buffers[name] = BufferInfo(name, "stream", 0, 1, None, btype.shape)
            return
        banks, _ = banks_of(btype)
        kind = memory_kind(btype, banks, is_argument)
        if not btype.shape:
            kind = "registers"
        bram, uram, ff, lut = storage_cost(btype, kind, banks)
        self.storage = self.storage + Resources(bram=bram, uram=uram, ff=ff, lut=lut).scaled(copies)
        ports = None if kind == "registers" else requested_ports(btype)
        latency = 0 if kind == "registers" else requested_latency(btype)
        self.buffers[name] = BufferInfo(name, kind, latency, ports, btype.layout, btype.shape)

    def _schedule(self, body: Sequence[Stmt], env: Dict[str, int], rep: Dict[str, int]) -> Any:
        """One iteration of ``body`` scheduled ASAP, with the cycles its ports cost."""
        block = schedule_block(body, self.buffers, env, rep, self.est.callee_latency)
        return with_port_cycles(block, self.buffers)

    # ---------------------------------------------------------------- regions
    def region(self, body: Sequence[Stmt], level: int, rep: Dict[str, int],
               env: Dict[str, int]) -> Cost:
        """Sequential statements: loops and calls one after the other, straight-line
        code between them scheduled ASAP."""
        total = Cost()
        straight: List[Stmt] = []
        shared = Resources()

        def flush():
            if straight:
                block = self._schedule(straight, env, rep)
                total.latency += block.depth
                total.formula = F.add(total.formula, F.num(block.depth))
                nonlocal shared
                shared = shared.maximum(block.resources)
                straight.clear()

        sole = level == 1 and sum(not isinstance(x, (Alloc, Return)) for x in body) == 1
        for s in body:
            if isinstance(s, For):
                flush()
                c = self.loop(s, level, rep, env, wrap=not sole)
                total.latency += c.latency
                total.formula = F.add(total.formula, c.formula)
                total.resources = total.resources + c.resources
            elif isinstance(s, Call):
                flush()
                c = self.call(s, level)
                total.latency += c.latency
                total.formula = F.add(total.formula, c.formula)
                shared = shared.maximum(c.resources)
            elif isinstance(s, If) and _has_loop(s):
                flush()
                cond = evaluate_index(s.cond, env)
                branches = [s.then_body] if cond else [s.else_body] if cond is not None \
                    else [s.then_body, s.else_body]
                costs = [self.region(b, level, rep, env) for b in branches]
                worst = max(costs, key=lambda c: c.latency)
                total.latency += worst.latency + 1
                total.formula = F.add(total.formula, F.add(worst.formula, F.num(1)))
                for c in costs:
                    total.resources = total.resources + c.resources
            elif isinstance(s, While):
                flush()
                body_cost = self.region(s.body, level + 1, rep, env)
                self.est.notes.append(f"{self.func.name}: a while loop has an unknown trip count; "
                                      "one iteration is counted")
                total.latency += body_cost.latency + 1
                total.formula = F.add(total.formula, F.add(body_cost.formula, F.num(1)))
                total.resources = total.resources + body_cost.resources
            elif isinstance(s, Alloc) and s.init is not None and s.type.shape:
                flush()
                fill = self._fill(s)
                total.latency += fill
                total.formula = F.add(total.formula, F.num(fill))
            else:
                straight.append(s)
        flush()
        total.resources = total.resources + shared
        return total

    def _fill(self, alloc: Alloc) -> int:
        """Cycles to initialize a local array: one cycle for registers, else a pipelined
        loop writing one element per cycle (its own module)."""
        info = self.buffers.get(alloc.name)
        if info is None or info.kind == "registers":
            return 1
        return pipelined_latency(alloc.type.size, 1, 1) + PIPELINE_CALL_OVERHEAD

    def dataflow_region(self, body: Sequence[Stmt], level: int, rep: Dict[str, int],
                        env: Dict[str, int]) -> Cost:
        """Stages (top-level loops and calls) run concurrently: the slowest stage plus the
        fill of the others."""
        stages: List[Cost] = []
        rest: List[Stmt] = []
        for s in body:
            if isinstance(s, For):
                stages.append(self.loop(s, level, rep, env))
            elif isinstance(s, Call):
                stages.append(self.call(s, level))
            elif isinstance(s, Alloc) and s.init is not None and s.type.shape:
                stages.append(Cost(self._fill(s), depth=1))  # the fill is a process too
            elif not isinstance(s, (Alloc, Return)):
                rest.append(s)
        glue = self.region(rest, level, rep, env) if rest else Cost()
        latency = dataflow_latency([c.latency for c in stages], [c.depth for c in stages]) + glue.latency
        resources = glue.resources
        for c in stages:
            resources = resources + c.resources
        formula = F.add(F.maximum([c.formula for c in stages]) if stages else F.num(0),
                        F.num(latency - max([c.latency for c in stages] or [0])))
        return Cost(latency, formula, resources, depth=min([c.depth for c in stages] or [0]))

    # ---------------------------------------------------------------- loops
    def loop(self, loop: For, level: int, rep: Dict[str, int], env: Dict[str, int],
             wrap: bool = True) -> Cost:
        """A loop: PE array, pipelined (flattened) nest, unrolled, or sequential. ``wrap``:
        a pipelined loop here becomes a sub-module of a sequential region (Vitis)."""
        if loop.attrs.get("unfold"):
            return self.pe_array(loop, level, rep, env)
        chain = self._flatten_chain(loop, env)
        if chain is not None:
            return self.pipelined(chain, level, rep, env, wrap)
        trip, trip_f = self._trip(loop, rep, env)
        inner_rep = {**rep, loop.var: evaluate_index(loop.lo, {**rep, **env}) or 0}
        unroll = loop.attrs.get("unroll")
        row = self.est.add_row(Row(name=loop.name or loop.var, kind="loop", level=level, trip=trip))
        if unroll is not None and (unroll == 0 or unroll >= trip):
            cost = self._unrolled(loop, trip, level, rep, env, row)
            return cost
        self._enter(loop, {**rep, **env})
        try:
            if loop.attrs.get("dataflow"):
                body = self.dataflow_region(loop.body, level + 1, inner_rep, env)
            else:
                body = self.region(loop.body, level + 1, inner_rep, env)
        finally:
            self.ranges.pop(loop.var, None)
        factor = int(unroll) if unroll else 1
        if factor > 1:
            # partial unroll: f copies of the body per iteration of a loop of trip/f
            trip = math.ceil(trip / factor)
            trip_f = F.ceil_div(trip_f, factor)
            block_copies = body.resources.scaled(factor)
            row.notes.append(f"unrolled by {factor}")
            body = Cost(body.latency, body.formula, block_copies, body.depth)
        latency = sequential_loop_latency(trip, body.latency) if body.latency else 0
        body = Cost(body.latency, body.formula, body.resources + loop_control(trip), body.depth)
        row.trip, row.depth, row.latency = trip, body.latency + 1, latency
        row.resources = body.resources
        formula = F.mul(trip_f, F.add(body.formula, F.num(1))) if latency else F.num(0)
        row.formula = formula
        return Cost(latency, formula, body.resources, depth=body.depth + 1)

    def _enter(self, loop: For, point: Dict[str, int]) -> None:
        lo, hi = evaluate_index(loop.lo, point), evaluate_index(loop.hi, point)
        if lo is None or hi is None:
            from .trips import value_at

            mid = {v: (a + b - 1) / 2 for v, (a, b) in self.ranges.items()}
            lo_f, hi_f = value_at(loop.lo, mid), value_at(loop.hi, mid)
            lo, hi = (int(lo_f), int(hi_f)) if lo_f is not None and hi_f is not None else (0, 1)
        self.ranges[loop.var] = (lo, hi)

    def _trip(self, loop: For, rep: Dict[str, int], env: Dict[str, int]) -> Tuple[int, Any]:
        trip, exact = estimated_trips(loop, env, self.ranges)
        if not exact:
            self.est.notes.append(f"{self.func.name}:{loop.name}: bounds depend on outer loops; "
                                  f"the largest trip count ({trip}) is used")
        return trip, F.sym(_trip_symbol(loop), trip)

    def _flatten_chain(self, loop: For, env: Dict[str, int]) -> Optional[List[For]]:
        """The perfect nest from ``loop`` down to a pipelined loop (Vitis flattens it into
        one pipeline), or ``None`` when ``loop`` is not such a nest."""
        chain = [loop]
        cur = loop
        while "pipeline_ii" not in cur.attrs:
            inner = [s for s in cur.body if not isinstance(s, Alloc)]
            if cur.attrs.get("unroll") is not None or cur.attrs.get("dataflow"):
                return None
            if len(inner) != 1 or not isinstance(inner[0], For) or inner[0].attrs.get("unfold") \
                    or len(inner) != len(cur.body):
                if self._auto_pipelined(chain, env):
                    return chain
                return None
            cur = inner[0]
            chain.append(cur)
        if len(chain) > 1 and not all(_const_bounds(c) for c in chain):
            return None
        return chain

    def _auto_pipelined(self, chain: List[For], env: Dict[str, int]) -> bool:
        """Vitis pipelines an innermost loop nest of at least ``AUTO_PIPELINE_TRIP``
        iterations by itself (``config_compile -pipeline_loops``, UG1399)."""
        inner = chain[-1]
        if _has_loop_stmt(inner.body) or not all(_const_bounds(c) for c in chain) \
                or any(c.attrs.get("unroll") is not None for c in chain):
            return False
        trips = [estimated_trips(c, env, self.ranges)[0] for c in chain]
        if math.prod(trips) < AUTO_PIPELINE_TRIP:
            return False
        self.auto.add(id(inner))
        return True

    def pipelined(self, chain: List[For], level: int, rep: Dict[str, int],
                  env: Dict[str, int], wrap: bool = True) -> Cost:
        inner = chain[-1]
        trips, formulas = [], []
        for c in chain:
            t, f = self._trip(c, rep, env)
            trips.append(t)
            formulas.append(f)
        trip = math.prod(trips)
        rep2 = dict(rep)
        for c in chain:
            rep2[c.var] = evaluate_index(c.lo, {**rep2, **env}) or 0
        block = self._schedule(inner.body, env, rep2)
        if not block.accesses and not block.calls:
            # nothing observable happens: HLS removes the loop
            self.est.add_row(Row(name="_".join(c.name or c.var for c in chain), kind="loop",
                                 level=level, trip=trip, latency=0, notes=["empty: removed"]))
            return Cost(0, F.num(0))
        block.resources = block.resources + loop_control(trip, pipeline_depth=block.depth)
        limits: List[IILimit] = []
        limits += port_limits(block, self.buffers)
        limits += recurrence_limits(block, self.buffers,
                                    [(c.var, t, rep2[c.var], c.step) for c, t in zip(chain, trips)],
                                    max_distance=max(64, block.depth + 8))
        target = int(inner.attrs.get("pipeline_ii") or 1)
        auto = id(inner) in self.auto
        ii = max([target] + [lim.ii for lim in limits])
        depth = max(1, block.depth)
        latency = pipelined_latency(trip, ii, depth)
        name = "_".join(c.name or c.var for c in chain)
        row = self.est.add_row(Row(name=name, kind="loop", level=level, trip=trip, depth=depth,
                                   ii=ii, latency=latency, pipelined=True,
                                   resources=block.resources))
        if len(chain) > 1:
            row.notes.append(f"flattened {len(chain)} perfectly nested loops")
        if auto:
            row.notes.append("pipelined automatically (trip count >= "
                             f"{AUTO_PIPELINE_TRIP}, Vitis config_compile -pipeline_loops)")
        row.notes += block.notes
        if ii > 1:
            worst = max(limits, key=lambda lim: lim.ii) if limits else None
            if worst is None or worst.ii < ii:
                self.est.add_limit(name, IILimit(ii, "directive", "",
                                                 f"pipeline requested II={target}",
                                                 f"s.pipeline({inner.name!r}, initiation_interval=1)"))
            for lim in sorted(limits, key=lambda lim: -lim.ii):
                self.est.add_limit(name, lim)
        trip_f = F.prod(formulas)
        formula = F.add(F.mul(F.sub(trip_f, F.num(1)), F.num(ii)), F.num(depth))
        row.formula = formula
        # a pipelined loop inside a sequential region is its own module (Vitis)
        wrapped = latency + (PIPELINE_CALL_OVERHEAD if wrap else 0)
        return Cost(wrapped, F.add(formula, F.num(wrapped - latency)), block.resources, depth=depth)

    def _unrolled(self, loop: For, trip: int, level: int, rep: Dict[str, int],
                  env: Dict[str, int], row: Row) -> Cost:
        """A fully unrolled loop: its copies scheduled together as straight-line code (or,
        with loops inside, the body's loops replicated and run one after another)."""
        if _has_loop_stmt(loop.body):
            body = self.region(loop.body, level + 1, {**rep, loop.var: 0}, env)
            latency = trip * body.latency
            row.depth, row.latency, row.resources = body.latency, latency, body.resources.scaled(trip)
            row.notes.append("fully unrolled; inner loops replicated")
            row.formula = F.mul(F.sym(_trip_symbol(loop), trip), body.formula)
            return Cost(latency, row.formula, row.resources, depth=body.depth)
        block = self._schedule([loop], env, rep)
        latency = block.depth
        row.depth, row.latency, row.resources = latency, latency, block.resources
        row.notes.append("fully unrolled")
        return Cost(latency, F.num(latency), block.resources, depth=latency)

    # ---------------------------------------------------------------- PE arrays
    def pe_array(self, loop: For, level: int, rep: Dict[str, int], env: Dict[str, int]) -> Cost:
        """Unfolded loops: one process per PE, all running concurrently; a PE's data
        arrives through FIFO chains, one hop per neighbour."""
        dims: List[For] = []
        cur = loop
        while True:
            dims.append(cur)
            inner = [s for s in cur.body if not isinstance(s, Alloc)]
            if len(inner) == 1 and isinstance(inner[0], For) and inner[0].attrs.get("unfold"):
                cur = inner[0]
                continue
            break
        body = cur.body
        extents = []
        for d in dims:
            lo = evaluate_index(d.lo, {**rep, **env})
            hi = evaluate_index(d.hi, {**rep, **env})
            if lo is None or hi is None:
                raise AlloError(f"unfolded loop {d.name} has bounds that are not constant",
                                where="report", hint="unfold loops with constant bounds")
            extents.append((d.var, lo, hi))
        # PE classes: first, middle and last index per dimension
        import itertools

        choices = []
        for var, lo, hi in extents:
            n = hi - lo
            opts = [(lo, 1)]
            if n > 2:
                opts.append((lo + 1, n - 2))
            if n > 1:
                opts.append((hi - 1, 1))
            choices.append([(var, v, w) for v, w in opts])
        worst = Cost()
        total = Resources()
        rows_before = len(self.est.rows)
        pe_row = self.est.add_row(Row(name=f"PE array {'x'.join(str(h - l) for _, l, h in extents)}",
                                      kind="pe", level=level))
        for combo in itertools.product(*choices):
            pe_env = dict(env)
            weight = 1
            for var, v, w in combo:
                pe_env[var] = v
                weight *= w
            self.est.muted += 1
            try:
                c = self.region(body, level + 1, rep, pe_env)
            finally:
                self.est.muted -= 1
            total = total + c.resources.scaled(weight)
            if c.latency > worst.latency:
                worst = c
        # the corner PE's rows stand for every PE
        pe_env = dict(env)
        pe_env.update({var: lo for var, lo, _ in extents})
        del self.est.rows[rows_before + 1:]
        self.region(body, level + 1, rep, pe_env)
        hops = sum(hi - lo - 1 for _, lo, hi in extents) * FIFO_HOP_LATENCY
        latency = worst.latency + hops
        n_pe = math.prod(hi - lo for _, lo, hi in extents)
        pe_row.trip, pe_row.depth, pe_row.latency = n_pe, worst.latency, latency
        pe_row.resources = total
        pe_row.notes.append(f"{n_pe} PEs run concurrently; {hops} cycles of FIFO hops to the last PE")
        formula = F.add(worst.formula, F.num(hops))
        pe_row.formula = formula
        return Cost(latency, formula, total, depth=worst.depth + hops)

    # ---------------------------------------------------------------- calls
    def call(self, s: Call, level: int) -> Cost:
        callee = self.est.function(s.callee, level + 1)
        latency = callee.latency + CALL_OVERHEAD
        return Cost(latency, F.add(callee.formula, F.num(CALL_OVERHEAD)), callee.resources,
                    depth=callee.depth + CALL_OVERHEAD)

    def run(self, level: int) -> Cost:
        if self.func.attrs.get("dataflow"):
            body = self.dataflow_region(self.func.body, level + 1, {}, {})
        else:
            body = self.region(self.func.body, level + 1, {}, {})
        return Cost(body.latency, body.formula, body.resources + self.storage, depth=body.depth)


def loop_control(trip: int, pipeline_depth: int = 0) -> Resources:
    """A loop's counter and exit test (``bits`` FF, 2 x ``bits`` LUT), and for a pipeline
    one valid bit per stage (Vitis ``ap_enable_reg_pp0_iterN``)."""
    bits = max(1, math.ceil(math.log2(trip + 1)))
    return Resources(ff=bits + pipeline_depth, lut=2 * bits)


def _allocs(body: Sequence[Stmt], copies: int):
    """Every ``Alloc`` with the number of hardware copies: one per PE of the unfolded loops
    around it (a sequential or pipelined loop reuses one array)."""
    for s in body:
        if isinstance(s, Alloc):
            yield s, copies
        elif isinstance(s, For):
            n = 1
            if s.attrs.get("unfold"):
                n = max(1, estimated_trips(s, {}, {})[0])
            yield from _allocs(s.body, copies * n)
        elif isinstance(s, If):
            yield from _allocs(s.then_body, copies)
            yield from _allocs(s.else_body, copies)
        elif isinstance(s, While):
            yield from _allocs(s.body, copies)


def _const_bounds(loop: For) -> bool:
    return evaluate_index(loop.lo, {}) is not None and evaluate_index(loop.hi, {}) is not None


def _has_loop(s: If) -> bool:
    return _has_loop_stmt(s.then_body) or _has_loop_stmt(s.else_body)


def _has_loop_stmt(body: Sequence[Stmt]) -> bool:
    return any(isinstance(x, (For, While, Call)) for x in walk_stmts(list(body)))


def _trip_symbol(loop: For) -> str:
    name = (loop.name or loop.var).replace(".", "_")
    return f"N_{name}"


class _Estimator:
    def __init__(self, module: Module):
        self.module = module
        self.rows: List[Row] = []
        self.limits: List[Tuple[str, IILimit]] = []
        self.notes: List[str] = []
        self.cache: Dict[str, Cost] = {}
        self.muted = 0
        self._ranges: Dict[str, Any] = {}

    def add_row(self, row: Row) -> Row:
        if not self.muted:
            self.rows.append(row)
        return row

    def add_limit(self, loop: str, limit: IILimit) -> None:
        if not self.muted:
            self.limits.append((loop, limit))

    def callee_latency(self, name: str) -> int:
        return self.function(name, 99, record=False).latency

    def function(self, name: str, level: int, record: bool = True) -> Cost:
        if name not in self.module.funcs:
            raise AlloError(f"the design calls {name!r}, which it does not define", where="report")
        if name in self.cache:
            return self.cache[name]
        func = self.module.funcs[name]
        row = Row(name=name, kind="function", level=level)
        if record:
            self.add_row(row)
        else:
            self.muted += 1
        try:
            cost = _FuncEstimator(self, func).run(level)
        finally:
            if not record:
                self.muted -= 1
        row.latency, row.resources, row.formula = cost.latency, cost.resources, cost.formula
        if record:
            self.cache[name] = cost
        return cost


def estimate(design: Any, clock_mhz: float = 300.0, part: str = "xcu280") -> Report:
    """Estimate latency and resources of a scheduled design as Vitis HLS would report them.

    ``design`` is a :class:`~allo.schedule.Schedule`, an IR :class:`Module`, or an HLS
    module (anything with ``.module`` or ``.ir`` holding one).

    Example::

        s = allo.customize(gemm); s.pipeline("j")
        r = estimate(s, clock_mhz=300)
        print(r)              # the table, the summary line and the II explanations
        r.latency, r.dsp      # numbers
    """
    module = _module_of(design)
    if clock_mhz is None or not (clock_mhz > 0):
        raise AlloError(f"clock_mhz must be a positive number, got {clock_mhz!r}", where="report",
                        hint="e.g. s.report(clock_mhz=300)")
    from .parts import part_info

    info = part_info(part)
    est = _Estimator(module)
    top = est.function(module.top, 0)
    report = Report(top=module.top, rows=est.rows, limits=est.limits, notes=est.notes,
                    latency=top.latency, formula=top.formula, resources=top.resources,
                    clock_mhz=float(clock_mhz), part=info)
    report.module = module
    return report


def _module_of(design: Any) -> Module:
    if isinstance(design, Module):
        return design
    for attr in ("ir", "module"):
        m = getattr(design, attr, None)
        if isinstance(m, Module):
            return m
    raise AlloError(f"cannot estimate a {type(design).__name__}", where="report",
                    hint="pass a Schedule (allo.customize(...)), an HLS module or an IR Module")


def loop_timing(schedule: Any, loop: str, clock_mhz: float = 300.0) -> LoopTiming:
    """The estimated timing of loop ``loop`` (a loop name as in ``s.get_loops()``) of a
    schedule, for FIFO sizing and other consumers of the model.

    Example: ``loop_timing(s, "j").ii``.
    """
    report = estimate(schedule, clock_mhz=clock_mhz)
    return report.timing(loop)


def function_loop_timings(module: Module, func: str) -> Dict[str, LoopTiming]:
    """The timing of every loop of function ``func`` of ``module`` (keyed by loop name;
    the loops of a flattened pipeline share its timing), for FIFO sizing.

    Example: ``function_loop_timings(s.ir, "matmul")["k"].ii``.
    """
    est = _Estimator(module)
    est.function(func, 0)
    out: Dict[str, LoopTiming] = {}
    owner: List[Any] = []  # (function, level) rows enclosing the current row
    for r in est.rows:
        while owner and owner[-1][1] >= r.level:
            owner.pop()  # a row at this level is outside the deeper functions' rows
        if r.kind == "function":
            owner.append((r.name, r.level))
            continue
        if r.kind != "loop" or not owner or owner[-1][0] != func:
            continue
        timing = LoopTiming(r.name, r.trip or 0, r.ii if r.pipelined else None, r.depth or 0,
                            r.latency or 0)
        out.setdefault(r.name, timing)
        for part in r.name.split("_"):
            out.setdefault(part, timing)
    return out


__all__ = ["estimate", "Cost", "loop_timing", "function_loop_timings"]
