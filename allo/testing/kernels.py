"""Hypothesis strategy for random, well-formed IR modules (``allo.ir.nodes.Module``).

A generated kernel has 1-3 buffer parameters with small shapes and a body of perfect and
imperfect loop nests storing well-typed expressions into buffers at in-bounds affine
indices, plus (each switchable in :class:`KernelFeatures`) scalar accumulators, local
buffers, ``If`` on loop variables and on data, ``While`` loops with a terminating counter,
a second function called from the top (whole buffers and sub-views), and results (none,
one buffer, or a tuple). Every loop has a module-unique name equal to its variable and a
band name ``S_<vars>_<n>`` (a perfect nest shares one band, e.g. ``S_i_j_0``). Sizes stay
small so the reference interpreter runs a kernel in milliseconds.

Example (a differential test of a backend that lacks ``While``)::

    from hypothesis import given, settings, strategies as st
    from allo.testing import kernels, KernelFeatures, inputs_for, outputs_equal

    @settings(max_examples=50, deadline=None)
    @given(data=st.data())
    def test_llvm_matches_interpreter(data):
        mod = data.draw(kernels(KernelFeatures(while_loops=False)))
        args = data.draw(inputs_for(mod.top_func))
        ...
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Tuple

from hypothesis import strategies as st

from ..ir.nodes import (OPS, Alloc, BufRef, Call, Const, Expr, For, Func, If, Load, Module,
                        Op, Param, Return, Stmt, Store, Var, While)
from ..ir.types import AlloType, BufferType, Int, bool_, index, int32
from .expressions import COMPARISONS, Env, draw_expr, draw_indices
from .scalars import scalar_types, scalar_values

RETURN_KINDS = ("none", "one", "tuple")
_LOOP_LETTERS = "ijklmnpqrtuvw"
_COMBINE_OPS = ("add", "mul", "max", "min", "sub", "xor", "or")


@dataclass(frozen=True)
class KernelFeatures:
    """Which constructs :func:`kernels` may generate, and how big things get.

    Switch a feature off when a backend does not support it yet. ``ops`` restricts the
    expression ops; ``element_types`` draws buffer element types.

    Example: ``KernelFeatures(calls=False, while_loops=False, ops=frozenset({"add"}))``.
    """

    imperfect_nests: bool = True
    if_on_loop_vars: bool = True
    if_on_data: bool = True
    while_loops: bool = True
    local_buffers: bool = True
    accumulators: bool = True
    calls: bool = True
    subviews: bool = True
    scalar_params: bool = False
    loop_steps: Tuple[int, ...] = (1, 2)
    returns: Tuple[str, ...] = RETURN_KINDS
    ops: frozenset = frozenset(OPS)
    element_types: st.SearchStrategy[AlloType] = field(
        default_factory=lambda: scalar_types(max_bits=64))
    float_specials: bool = True
    max_params: int = 3
    max_rank: int = 2
    max_extent: int = 6
    max_loop_depth: int = 3
    max_block_stmts: int = 3
    expr_depth: int = 3

    def __post_init__(self):
        bad = set(self.returns) - set(RETURN_KINDS)
        if bad or not self.returns:
            raise ValueError(f"KernelFeatures.returns must be a non-empty subset of {RETURN_KINDS}")
        unknown = set(self.ops) - set(OPS)
        if unknown:
            raise ValueError(f"KernelFeatures.ops has unknown ops {sorted(unknown)}")
        if not 1 <= self.max_params <= 3 or not 1 <= self.max_extent:
            raise ValueError("KernelFeatures: max_params must be 1..3 and max_extent >= 1")


class _Builder:
    """Per-example generation state: the draw function, name counters, the callee."""

    def __init__(self, draw, features: KernelFeatures):
        self.draw = draw
        self.f = features
        self.loop_count = 0
        self.band_count = 0
        self.local_count = 0
        self.callee: Optional[Func] = None
        self.callee_source: Optional[Tuple[str, int]] = None  # (caller buffer, prefix len)
        self.callee_extra: Optional[str] = None  # second caller buffer passed whole
        self.calls_made = 0

    # -- names
    def loop_var(self) -> str:
        n, self.loop_count = self.loop_count, self.loop_count + 1
        letter = _LOOP_LETTERS[n % len(_LOOP_LETTERS)]
        return letter if n < len(_LOOP_LETTERS) else f"{letter}{n // len(_LOOP_LETTERS)}"

    def band(self, vars_: List[str]) -> str:
        n, self.band_count = self.band_count, self.band_count + 1
        return f"S_{'_'.join(vars_)}_{n}"

    def local(self, prefix: str) -> str:
        n, self.local_count = self.local_count, self.local_count + 1
        return f"{prefix}{n}"

    # -- small pieces
    def shape(self, max_rank: Optional[int] = None) -> Tuple[int, ...]:
        rank = self.draw(st.integers(1, max_rank or self.f.max_rank))
        return tuple(self.draw(st.integers(1, self.f.max_extent)) for _ in range(rank))

    def expr(self, env: Env, t: AlloType) -> Expr:
        return draw_expr(self.draw, env, t, self.draw(st.integers(0, self.f.expr_depth)))

    def loop_bounds(self, env: Env) -> Tuple[int, int, int]:
        """Bounds that usually match a buffer dimension, so the variable can index it."""
        dims = sorted({d for bt in env.buffers.values() for d in bt.shape})
        extent = self.draw(st.sampled_from(dims)) if dims and self.draw(st.integers(0, 3)) \
            else self.draw(st.integers(1, self.f.max_extent))
        lo = self.draw(st.integers(0, min(2, extent - 1)))
        hi = self.draw(st.one_of(st.just(extent), st.integers(lo + 1, extent)))
        step = self.draw(st.sampled_from(self.f.loop_steps))
        return lo, hi, step

    # -- statements
    def store(self, env: Env) -> Store:
        name = self.draw(st.sampled_from(sorted(env.buffers)))
        bt = env.buffers[name]
        return Store(name, draw_indices(self.draw, env, bt.shape), self.expr(env, bt.dtype))

    def block(self, env: Env, depth: int, loops_left: int) -> List[Stmt]:
        """1..max_block_stmts statements; locals allocated here are visible after them."""
        out: List[Stmt] = []
        for _ in range(self.draw(st.integers(1, self.f.max_block_stmts))):
            kind = self.draw(st.sampled_from(self.kinds(env, depth, loops_left)))
            stmts, env = getattr(self, f"gen_{kind}")(env, depth, loops_left)
            out.extend(stmts)
        return out

    def kinds(self, env: Env, depth: int, loops_left: int) -> List[str]:
        f = self.f
        kinds = ["store"]
        can_compare = any(c in f.ops for c in COMPARISONS)
        if depth > 0 and loops_left > 0:
            kinds += ["nest", "nest"]
            if f.imperfect_nests and loops_left >= 2:
                kinds.append("imperfect")
            if f.accumulators:
                kinds.append("accumulate")
            if f.while_loops and {"lt", "add"} <= f.ops:
                kinds.append("while")
        if depth > 0 and can_compare:
            if f.if_on_loop_vars and env.loop_vars:
                kinds.append("if_loop")
            if f.if_on_data:
                kinds.append("if_data")
        if f.local_buffers:
            kinds.append("local")
        if self.callee is not None and self.calls_made < 2:
            kinds.append("call")
        return kinds

    def gen_store(self, env, depth, loops_left):
        return [self.store(env)], env

    def gen_nest(self, env, depth, loops_left):
        count = self.draw(st.integers(1, min(loops_left, 3)))
        names, bounds, inner = [], [], env
        for _ in range(count):
            lo, hi, step = self.loop_bounds(inner)
            v = self.loop_var()
            names.append(v)
            bounds.append((lo, hi, step))
            inner = inner.with_loop_var(v, lo, lo + (hi - lo - 1) // step * step)
        # Without imperfect nests, a loop body holds no further loops (only the nest's own).
        body = self.block(inner, depth - 1,
                          loops_left - count if self.f.imperfect_nests else 0)
        band = self.band(names)
        for v, (lo, hi, step) in reversed(list(zip(names, bounds))):
            body = [_loop(v, lo, hi, step, body, band)]
        return body, env

    def gen_imperfect(self, env, depth, loops_left):
        lo, hi, step = self.loop_bounds(env)
        v = self.loop_var()
        band = self.band([v])
        inner = env.with_loop_var(v, lo, lo + (hi - lo - 1) // step * step)
        before = self.block(inner, 0, 0) if self.draw(st.booleans()) else []
        nest, _ = self.gen_nest(inner, depth - 1 if depth > 1 else 1, loops_left - 1)
        after = self.block(inner, 0, 0) if not before or self.draw(st.booleans()) else []
        return [_loop(v, lo, hi, step, before + nest + after, band)], env

    def gen_accumulate(self, env, depth, loops_left):
        target = self.draw(st.sampled_from(sorted(env.buffers)))
        tbt = env.buffers[target]
        t = tbt.dtype if self.draw(st.integers(0, 2)) or "cast" not in self.f.ops \
            else self.draw(self.f.element_types)
        combine = [o for o in _COMBINE_OPS if o in self.f.ops
                   and not (o in ("xor", "or") and not isinstance(t, Int))]
        if not combine:
            return [self.store(env)], env
        acc = self.local("acc")
        init = Const(self.draw(scalar_values(t, specials=False)), t)
        lo, hi, step = self.loop_bounds(env)
        v = self.loop_var()
        inner = env.with_loop_var(v, lo, lo + (hi - lo - 1) // step * step)
        acc_load = Load(acc, (), t)
        op = self.draw(st.sampled_from(combine))
        update = Store(acc, (), Op(op, (acc_load, self.expr(inner, t)), t))
        value: Expr = acc_load if t == tbt.dtype else Op("cast", (acc_load,), tbt.dtype)
        result = Store(target, draw_indices(self.draw, env, tbt.shape), value)
        loop = _loop(v, lo, hi, step, [update], self.band([v]))
        return [Alloc(acc, BufferType(t, ()), init), loop, result], env.with_buffer(acc, BufferType(t, ()))

    def gen_while(self, env, depth, loops_left):
        counter = self.local("cnt")
        trips = self.draw(st.integers(0, 3))
        load = Load(counter, (), int32)
        cond = Op("lt", (load, Const(trips, int32)), bool_)
        # The counter is not in env: nothing else can write it, so the loop terminates.
        body = self.block(env, depth - 1, loops_left - 1)
        body.append(Store(counter, (), Op("add", (load, Const(1, int32)), int32)))
        return [Alloc(counter, BufferType(int32, ()), Const(0, int32)), While(cond, body)], env

    def gen_if_loop(self, env, depth, loops_left):
        v = self.draw(st.sampled_from(sorted(env.loop_vars)))
        lo, hi = env.loop_vars[v]
        cmp = self.draw(st.sampled_from([c for c in COMPARISONS if c in self.f.ops]))
        cond = Op(cmp, (Var(v, index), Const(self.draw(st.integers(lo, hi)), index)), bool_)
        return [self.if_stmt(env, cond, depth, loops_left)], env

    def gen_if_data(self, env, depth, loops_left):
        return [self.if_stmt(env, self.expr(env, bool_), depth, loops_left)], env

    def if_stmt(self, env: Env, cond: Expr, depth: int, loops_left: int) -> If:
        then_body = self.block(env, depth - 1, loops_left)
        else_body = self.block(env, depth - 1, loops_left) if self.draw(st.booleans()) else []
        return If(cond, then_body, else_body)

    def gen_local(self, env, depth, loops_left):
        t = self.draw(self.f.element_types)
        name = self.local("L")
        bt = BufferType(t, self.shape() if self.draw(st.integers(0, 3)) else ())
        init = Const(self.draw(scalar_values(t, specials=False)), t) \
            if self.draw(st.booleans()) else None
        return [Alloc(name, bt, init)], env.with_buffer(name, bt)

    def gen_call(self, env, depth, loops_left):
        return self.call(env)

    def call(self, env: Env) -> Tuple[List[Stmt], Env]:
        assert self.callee is not None and self.callee_source is not None
        self.calls_made += 1
        src, prefix_len = self.callee_source
        prefix = draw_indices(self.draw, env, env.buffers[src].shape[:prefix_len])
        args = [BufRef(src, prefix)]
        if self.callee_extra is not None:
            args.append(BufRef(self.callee_extra))
        stmts: List[Stmt] = []
        results: List[str] = []
        for rt in self.callee.results:
            name = self.local("T")
            stmts.append(Alloc(name, rt))
            results.append(name)
            env = env.with_buffer(name, rt)
        stmts.append(Call(self.callee.name, args, results))
        return stmts, env

    # -- functions
    def function(self, name: str, params: List[Param], env: Env, returns: str,
                 top: bool) -> Func:
        body: List[Stmt] = []
        result_bufs: List[str] = []
        for _ in range({"none": 0, "one": 1, "tuple": 2}[returns]):
            rname = self.local("R")
            rt = BufferType(self.draw(self.f.element_types), self.shape())
            body.append(Alloc(rname, rt))
            result_bufs.append(rname)
            env = env.with_buffer(rname, rt)
        body += self.block(env, self.f.max_loop_depth, self.f.max_loop_depth)
        if top and self.callee is not None and self.calls_made == 0:
            call, env = self.call(env)
            body += call
        results = [env.buffers[r] for r in result_bufs]
        if result_bufs:
            body.append(Return([BufRef(r) for r in result_bufs]))
        return Func(name, params, results, body)

    def helper(self, env: Env) -> Func:
        """A second function taking a (sub-)view of a caller buffer, maybe another one."""
        candidates = sorted(n for n, bt in env.buffers.items() if bt.rank >= 1)
        src = self.draw(st.sampled_from(candidates))
        sbt = env.buffers[src]
        prefix_len = self.draw(st.integers(0, sbt.rank - 1)) if self.f.subviews else 0
        params = [Param("X", BufferType(sbt.dtype, sbt.shape[prefix_len:]))]
        others = [n for n in candidates if n != src]
        extra = self.draw(st.sampled_from(others)) if others and self.draw(st.booleans()) else None
        if extra is not None:
            params.append(Param("Y", env.buffers[extra]))
        henv = replace(env, buffers={p.name: p.type for p in params}, scalars={})
        returns = self.draw(st.sampled_from([r for r in self.f.returns if r != "tuple"] or ["none"]))
        func = self.function("helper", params, henv, returns, top=False)
        self.callee_source, self.callee_extra = (src, prefix_len), extra
        return func


def _loop(var: str, lo: int, hi: int, step: int, body: List[Stmt], band: str) -> For:
    return For(var, Const(lo, index), Const(hi, index), step, body, name=var, band=band)


def kernels(features: Optional[KernelFeatures] = None, **overrides) -> st.SearchStrategy[Module]:
    """Random well-formed ``Module``s whose top function is named ``"kernel"``.

    ``features`` (or keyword overrides of :class:`KernelFeatures` fields) choose which
    constructs appear. Example::

        @given(kernels(calls=False, max_extent=4))
        def test_prints(mod):
            assert mod.top == "kernel"
    """
    feats = replace(features or KernelFeatures(), **overrides)

    @st.composite
    def build(draw) -> Module:
        b = _Builder(draw, feats)
        params: List[Param] = []
        for pname in ("A", "B", "C")[: draw(st.integers(1, feats.max_params))]:
            params.append(Param(pname, BufferType(draw(feats.element_types), b.shape())))
        scalars: Dict[str, AlloType] = {}
        if feats.scalar_params and draw(st.booleans()):
            scalars["s"] = draw(feats.element_types)
            params.append(Param("s", scalars["s"]))
        env = Env(buffers={p.name: p.type for p in params if isinstance(p.type, BufferType)},
                  scalars=scalars, ops=frozenset(feats.ops), types=feats.element_types,
                  float_specials=feats.float_specials)
        funcs: Dict[str, Func] = {}
        if feats.calls and draw(st.integers(0, 2)) == 0:
            funcs["helper"] = b.callee = b.helper(env)
        top = b.function("kernel", params, env, draw(st.sampled_from(feats.returns)), top=True)
        return Module({"kernel": top, **funcs}, "kernel")

    return build()


__all__ = ["kernels", "KernelFeatures", "RETURN_KINDS"]
