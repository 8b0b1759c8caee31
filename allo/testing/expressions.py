"""Hypothesis strategies for well-typed IR expressions and in-bounds affine indices.

Generated trees obey the IR's typing rules (``allo.ir.nodes`` and ``docs/semantics.md``):
arithmetic is homogeneous (operands already have the result type), comparisons take two
operands of one type and yield ``bool``, shift amounts have the value's type, bitwise
ops only on integers, ``mod``/bit ops never on fixed point, math intrinsics only on
floats, ``get_slice``/``set_slice`` bounds and ``get_bit``/``set_bit`` positions are
``index`` constants. Loads read buffers of the :class:`Env` with indices that are affine
in the loop variables and in bounds for every iteration.

Example::

    >>> from hypothesis import given
    >>> from allo.ir.types import int8, int32
    >>> from allo.testing import Env, exprs
    >>> env = Env(buffers={"A": int8[4]}, loop_vars={"i": (0, 3)})
    >>> @given(exprs(env, int32, depth=3))
    ... def test_typed(e):
    ...     assert e.type == int32
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Collection, FrozenSet, List, Mapping, Optional, Tuple

from hypothesis import strategies as st

from ..ir.nodes import OPS, Const, Expr, Load, Op, Var
from ..ir.types import (AlloType, BufferType, Fixed, Float, Int, UInt, bfloat16, bool_, float16, float32,
                        float64, index)
from ..semantics.registry import ops
from .scalars import scalar_types, scalar_values

# Op groups drawn from, read from the op registry (definition order). Binary arithmetic
# defined on every type family (``mod`` is not on fixed point: drawn separately).
ARITH_BINARY = ops(group="arith", arity=2, family="fixed")
ARITH_UNARY = ops(group="arith", arity=1)
BITWISE = ops(group="bitwise", arity=2)
COMPARISONS = ops(group="compare")
LOGICAL = ops(group="logical", arity=2)
MATH_UNARY = ops(group="math", arity=1)
_LIBM_UNARY = ops(group="math", arity=1, libm=True)
# The type of get_bit/set_bit positions and get_slice/set_slice bounds.
BIT_POSITION_TYPE = index


def set_slice_value_type(lo: int, hi: int) -> AlloType:
    """The type of ``v`` in ``set_slice(x, lo, hi, v)``: the slice's own type."""
    return UInt(hi - lo)


@dataclass(frozen=True)
class Env:
    """What an expression may read.

    ``buffers``: name -> buffer type (0-d buffers are scalar locals); ``loop_vars``:
    loop variable -> ``(min, max)`` value it takes (inclusive); ``scalars``: scalar
    parameters readable as ``Var``; ``ops``: the ops a generated tree may use;
    ``types``: where fresh operand types (for casts, comparisons) come from;
    ``float_specials``: float constants may be NaN/inf/-0.0.

    Example: ``Env({"A": int8[4, 4]}, {"i": (0, 3)}).with_loop_var("j", 0, 3)``.
    """

    buffers: Mapping[str, BufferType] = field(default_factory=dict)
    loop_vars: Mapping[str, Tuple[int, int]] = field(default_factory=dict)
    scalars: Mapping[str, AlloType] = field(default_factory=dict)
    ops: FrozenSet[str] = frozenset(OPS)
    types: st.SearchStrategy[AlloType] = field(default_factory=lambda: scalar_types(max_bits=64))
    float_specials: bool = True

    def with_loop_var(self, name: str, lo: int, hi: int) -> "Env":
        """A copy in which loop variable ``name`` ranges over ``lo..hi`` (inclusive)."""
        return replace(self, loop_vars={**self.loop_vars, name: (lo, hi)})

    def with_buffer(self, name: str, btype: BufferType) -> "Env":
        """A copy in which buffer ``name`` is readable."""
        return replace(self, buffers={**self.buffers, name: btype})

    def with_ops(self, ops: Collection[str]) -> "Env":
        unknown = set(ops) - set(OPS)
        if unknown:
            raise ValueError(f"unknown ops {sorted(unknown)}; valid names are in allo.ir.nodes.OPS")
        return replace(self, ops=frozenset(ops))


def _as_env(env) -> Env:
    if isinstance(env, Env):
        return env
    if isinstance(env, Mapping):
        return Env(buffers=dict(env))
    raise TypeError(f"expected an allo.testing.Env or a dict of buffers, got {type(env).__name__}")


# ------------------------------------------------------------------ indices
def _iconst(v: int) -> Const:
    return Const(int(v), index)


def _plus(e: Expr, b: int) -> Expr:
    if b == 0:
        return e
    if b > 0:
        return Op("add", (e, _iconst(b)), index)
    return Op("sub", (e, _iconst(-b)), index)


def draw_index(draw, env: Env, extent: int) -> Expr:
    """Draw an ``index`` expression in ``[0, extent)`` for every loop-variable value.

    Forms: a constant, ``v + b``, ``b - v``, ``2*v + b`` and ``v + w + b`` (affine).
    """
    forms: List[Tuple[str, Tuple[str, ...], int, int]] = []
    names = sorted(env.loop_vars)
    for v in names:
        lo, hi = env.loop_vars[v]
        forms.append(("plus", (v,), -lo, extent - 1 - hi))
        forms.append(("minus", (v,), hi, extent - 1 + lo))
        forms.append(("twice", (v,), -2 * lo, extent - 1 - 2 * hi))
    for a_pos, a in enumerate(names):
        for b in names[a_pos + 1:]:
            (alo, ahi), (blo, bhi) = env.loop_vars[a], env.loop_vars[b]
            forms.append(("sum", (a, b), -(alo + blo), extent - 1 - (ahi + bhi)))
    usable = [f for f in forms if f[2] <= f[3]]
    # Plain "v + b" first: sampled_from shrinks toward the front.
    usable.sort(key=lambda f: ("plus", "sum", "minus", "twice").index(f[0]))
    if not usable or draw(st.integers(0, 5)) == 0:
        return _iconst(draw(st.integers(0, extent - 1)))
    kind, vs, bmin, bmax = draw(st.sampled_from(usable))
    b = draw(st.integers(bmin, bmax))
    var = Var(vs[0], index)
    if kind == "plus":
        return _plus(var, b)
    if kind == "minus":
        return Op("sub", (_iconst(b), var), index)
    if kind == "twice":
        return _plus(Op("mul", (_iconst(2), var), index), b)
    return _plus(Op("add", (var, Var(vs[1], index)), index), b)


def draw_indices(draw, env: Env, shape: Tuple[int, ...]) -> Tuple[Expr, ...]:
    """In-bounds affine indices for every dimension of ``shape``."""
    return tuple(draw_index(draw, env, d) for d in shape)


def in_bounds_indices(env, shape: Tuple[int, ...]) -> st.SearchStrategy[Tuple[Expr, ...]]:
    """Strategy form of :func:`draw_indices`.

    Example: ``in_bounds_indices(Env(loop_vars={"i": (0, 3)}), (4, 2))``.
    """
    env = _as_env(env)
    return st.composite(lambda draw: draw_indices(draw, env, tuple(shape)))()


# ------------------------------------------------------------------ expressions
def _const(draw, env: Env, t: AlloType) -> Const:
    return Const(draw(scalar_values(t, specials=env.float_specials)), t)


def _leaf(draw, env: Env, t: AlloType) -> Expr:
    """A constant, a load, a scalar/loop variable, or one of those cast to ``t``."""
    can_cast = "cast" in env.ops
    exact, casted = [], []
    for name, bt in sorted(env.buffers.items()):
        if isinstance(bt.dtype, AlloType):
            (exact if bt.dtype == t else casted).append(("load", name, bt))
    for name, st_ in sorted(env.scalars.items()):
        (exact if st_ == t else casted).append(("var", name, st_))
    for name in sorted(env.loop_vars):
        (exact if t == index else casted).append(("loop", name, index))
    pool = exact + (casted if can_cast else [])
    if not pool or draw(st.integers(0, 3)) == 0:
        return _const(draw, env, t)
    kind, name, src = draw(st.sampled_from(pool))
    if kind == "load":
        e: Expr = Load(name, draw_indices(draw, env, src.shape), src.dtype)
    else:
        e = Var(name, src)
    return e if src == t else Op("cast", (e,), t)


def _operand_type(draw, env: Env, avoid: Optional[AlloType] = None) -> AlloType:
    """A type for comparison/cast operands: one already in scope, or a fresh one."""
    seen = [bt.dtype for _, bt in sorted(env.buffers.items()) if isinstance(bt.dtype, AlloType)]
    seen += [t for _, t in sorted(env.scalars.items())]
    if env.loop_vars:
        seen.append(index)
    seen = [t for t in dict.fromkeys(seen) if t != avoid]
    if seen and draw(st.integers(0, 2)) > 0:
        return draw(st.sampled_from(seen))
    t = draw(env.types)
    return t if t != avoid else (bool_ if t != bool_ else Int(8))


def _op_families(t: AlloType) -> List[Tuple[str, ...]]:
    """Ops producing ``t``, grouped by family (a family is drawn first, then an op, so
    rare families such as math intrinsics or logical ops still show up often)."""
    fams: List[Tuple[str, ...]] = [ARITH_BINARY, ARITH_UNARY, ("select", "cast")]
    if not t.is_index:
        fams.append(("bitcast",))
    if isinstance(t, Float):
        half = (len(_LIBM_UNARY) + 1) // 2  # libm intrinsics in two families, then the rest
        return fams + [_LIBM_UNARY[:half], _LIBM_UNARY[half:],
                       ops(group="math", libm=False) + ops(group="math", arity=2) + ("mod",)]
    if isinstance(t, Fixed):
        return fams
    if t.is_index:
        return fams + [("mod",)]
    fams += [BITWISE + ("not", "mod"), ("set_bit", "set_slice")]
    if not t.signed:
        fams.append(("get_slice",))
    if t == bool_:
        fams += [COMPARISONS, COMPARISONS, LOGICAL + ("get_bit",), ("lnot",)]
    return fams


def _same_width(t: AlloType) -> List[AlloType]:
    """Source types of a ``bitcast`` to ``t``: the integers and floats of its width."""
    pool = [Int(t.bits, True), Int(t.bits, False), float16, bfloat16, float32, float64]
    return [s for s in pool if s.bits == t.bits and s != t] or [Int(t.bits, not t.signed)]


def draw_expr(draw, env: Env, t: AlloType, depth: int) -> Expr:
    """Draw one well-typed expression of type ``t`` with at most ``depth`` op levels."""
    if depth <= 0 or draw(st.integers(0, 4)) == 0:
        return _leaf(draw, env, t)
    families = [f for f in ([o for o in fam if o in env.ops] for fam in _op_families(t)) if f]
    if not families:
        return _leaf(draw, env, t)
    op = draw(st.sampled_from(draw(st.sampled_from(families))))
    sub = depth - 1

    def same(n: int) -> Tuple[Expr, ...]:
        return tuple(draw_expr(draw, env, t, sub) for _ in range(n))

    if op in COMPARISONS:
        s = _operand_type(draw, env)
        return Op(op, (draw_expr(draw, env, s, sub), draw_expr(draw, env, s, sub)), bool_)
    if op in LOGICAL or op == "lnot":
        return Op(op, same(OPS[op]), bool_)
    if op == "select":
        cond = draw_expr(draw, env, bool_, sub)
        return Op(op, (cond, *same(2)), t)
    if op == "cast":
        s = _operand_type(draw, env, avoid=t)
        return Op(op, (draw_expr(draw, env, s, sub),), t)
    if op == "bitcast":
        return Op(op, (draw_expr(draw, env, draw(st.sampled_from(_same_width(t))), sub),), t)
    if op == "get_bit":
        s = draw(st.sampled_from(_int_types_in_scope(env) or [Int(8)]))
        pos = _bit_position(draw, s.bits - 1)
        return Op(op, (draw_expr(draw, env, s, sub), pos), bool_)
    if op == "set_bit":
        pos = _bit_position(draw, t.bits - 1)
        return Op(op, (draw_expr(draw, env, t, sub), pos, draw_expr(draw, env, bool_, sub)), t)
    if op == "get_slice":
        width = t.bits
        wider = [s for s in _int_types_in_scope(env) if s.bits >= width]
        s = draw(st.sampled_from(wider)) if wider and draw(st.booleans()) else \
            Int(width + draw(st.integers(0, 8)), draw(st.booleans()))
        lo = draw(st.integers(0, s.bits - width))
        x = draw_expr(draw, env, s, sub)
        return Op(op, (x, _bit_const(lo), _bit_const(lo + width)), t)
    if op == "set_slice":
        lo = draw(st.integers(0, t.bits - 1))
        hi = draw(st.integers(lo + 1, t.bits))
        v = draw_expr(draw, env, set_slice_value_type(lo, hi), sub)
        return Op(op, (draw_expr(draw, env, t, sub), _bit_const(lo), _bit_const(hi), v), t)
    if op in ("shl", "shr"):
        value = draw_expr(draw, env, t, sub)
        # Small constant amounts keep results interesting; any amount is well defined.
        if draw(st.booleans()):
            amount: Expr = Const(t.wrap(draw(st.integers(0, t.bits))), t)
        else:
            amount = draw_expr(draw, env, t, sub)
        return Op(op, (value, amount), t)
    return Op(op, same(OPS[op]), t)


def _int_types_in_scope(env: Env) -> List[Int]:
    found = [bt.dtype for _, bt in sorted(env.buffers.items()) if isinstance(bt.dtype, Int)]
    found += [t for _, t in sorted(env.scalars.items()) if isinstance(t, Int)]
    return list(dict.fromkeys(found))


def _bit_const(v: int) -> Const:
    return Const(v, BIT_POSITION_TYPE)


def _bit_position(draw, highest: int) -> Const:
    return _bit_const(draw(st.integers(0, highest)))


def exprs(env, result_type: AlloType, depth: int = 3,
          ops: Optional[Collection[str]] = None) -> st.SearchStrategy[Expr]:
    """Random well-typed expression trees of ``result_type`` reading from ``env``.

    ``env`` is an :class:`Env` (or a dict of buffer name -> ``BufferType``); ``depth``
    bounds the nesting of ops; ``ops`` restricts the ops used on data (default: all of
    ``allo.ir.nodes.OPS``; affine load indices always use ``add``/``sub``/``mul`` on
    ``index``). Every load index is in bounds for all loop-variable values.

    Example: ``exprs({"A": float32[8]}, float32, depth=2)`` draws e.g.
    ``Op("exp", (Const(1.5, float32),), float32)``.
    """
    env = _as_env(env)
    if ops is not None:
        env = env.with_ops(ops)
    return st.composite(lambda draw: draw_expr(draw, env, result_type, depth))()


__all__ = ["Env", "exprs", "in_bounds_indices", "draw_expr", "draw_index", "draw_indices",
           "BIT_POSITION_TYPE", "set_slice_value_type", "COMPARISONS", "MATH_UNARY"]
