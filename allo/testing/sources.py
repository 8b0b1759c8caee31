"""Hypothesis strategy for random kernel *source text*, for fuzzing the frontend.

A generated source is a small Python module: imports, then ``def kernel(...)`` with
annotated buffer parameters, annotated locals (``C: int32[4, 3] = 0``, ``acc: int32 = 0``),
``allo.grid`` and ``range`` loops, ``+=`` updates, ``if``/``else`` on loop variables and
on data, ``min``/``max``, ``int()``/``float()`` casts, and ``return`` of a local or
nothing. Every index is in bounds, so the text also runs as plain Python on numpy arrays.

Example::

    >>> from allo.testing import kernel_sources
    >>> src = kernel_sources().example()            # doctest: +SKIP
    >>> "def kernel(" in src                        # doctest: +SKIP
    True
"""

from __future__ import annotations

from typing import Dict, List, Tuple

from hypothesis import strategies as st

SOURCE_TYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "float32", "float64")
_HEADER = "import allo\nfrom allo.ir.types import *\n\n\n"


class _SourceBuilder:
    def __init__(self, draw, max_extent: int, types: Tuple[str, ...]):
        self.draw, self.max_extent, self.types = draw, max_extent, types
        self.lines: List[str] = []
        self.buffers: Dict[str, Tuple[str, Tuple[int, ...]]] = {}
        self.scalars: Dict[str, str] = {}
        self.var_count = 0

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def new_var(self) -> str:
        self.var_count += 1
        return f"v{self.var_count}"

    def shape(self) -> Tuple[int, ...]:
        rank = self.draw(st.integers(1, 2))
        return tuple(self.draw(st.integers(1, self.max_extent)) for _ in range(rank))

    def index(self, extent: int, loops: Dict[str, Tuple[int, int]]) -> str:
        fitting = sorted(v for v, (lo, hi) in loops.items() if 0 <= lo and hi < extent)
        if fitting and self.draw(st.integers(0, 3)):
            return self.draw(st.sampled_from(fitting))
        return str(self.draw(st.integers(0, extent - 1)))

    def access(self, name: str, loops: Dict[str, Tuple[int, int]]) -> str:
        _, shape = self.buffers[name]
        return f"{name}[{', '.join(self.index(d, loops) for d in shape)}]"

    def expr(self, loops: Dict[str, Tuple[int, int]], depth: int) -> str:
        if depth <= 0 or self.draw(st.integers(0, 3)) == 0:
            choice = self.draw(st.integers(0, 4))
            if choice == 0 or not (self.buffers or self.scalars):
                return str(self.draw(st.integers(-8, 8)))
            if choice == 1 and loops:
                return self.draw(st.sampled_from(sorted(loops)))
            if choice == 2 and self.scalars:
                return self.draw(st.sampled_from(sorted(self.scalars)))
            if self.buffers:
                return self.access(self.draw(st.sampled_from(sorted(self.buffers))), loops)
            return "1"
        form = self.draw(st.sampled_from(["+", "-", "*", "min", "max", "int", "float", "sel"]))
        a = self.expr(loops, depth - 1)
        if form in ("int", "float"):
            return f"{form}({a})"
        b = self.expr(loops, depth - 1)
        if form in ("min", "max"):
            return f"{form}({a}, {b})"
        if form == "sel":
            return f"({a} if {self.cond(loops, depth - 1)} else {b})"
        return f"({a} {form} {b})"

    def cond(self, loops: Dict[str, Tuple[int, int]], depth: int) -> str:
        op = self.draw(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
        if loops and self.draw(st.booleans()):
            v = self.draw(st.sampled_from(sorted(loops)))
            lo, hi = loops[v]
            return f"{v} {op} {self.draw(st.integers(lo, hi))}"
        return f"{self.expr(loops, depth)} {op} {self.expr(loops, depth)}"

    def store(self, indent: int, loops: Dict[str, Tuple[int, int]]) -> None:
        target = self.draw(st.sampled_from(sorted([*self.buffers, *self.scalars])))
        lhs = target if target in self.scalars else self.access(target, loops)
        op = self.draw(st.sampled_from(["=", "+=", "-="]))
        self.emit(indent, f"{lhs} {op} {self.expr(loops, 2)}")

    def body(self, indent: int, loops: Dict[str, Tuple[int, int]], depth: int) -> None:
        for _ in range(self.draw(st.integers(1, 3))):
            kind = self.draw(st.sampled_from(["store", "grid", "range", "if"] if depth > 0 else ["store"]))
            if kind == "store":
                self.store(indent, loops)
            elif kind == "grid":
                name = self.draw(st.sampled_from(sorted(self.buffers)))
                shape = self.buffers[name][1]
                vs = [self.new_var() for _ in shape]
                self.emit(indent, f"for {', '.join(vs)} in allo.grid({', '.join(map(str, shape))}):")
                inner = {**loops, **{v: (0, d - 1) for v, d in zip(vs, shape)}}
                self.body(indent + 1, inner, depth - 1)
            elif kind == "range":
                v, hi = self.new_var(), self.draw(st.integers(1, self.max_extent))
                lo = self.draw(st.integers(0, hi - 1))
                self.emit(indent, f"for {v} in range({lo}, {hi}):")
                self.body(indent + 1, {**loops, v: (lo, hi - 1)}, depth - 1)
            else:
                self.emit(indent, f"if {self.cond(loops, 1)}:")
                self.body(indent + 1, loops, depth - 1)
                if self.draw(st.booleans()):
                    self.emit(indent, "else:")
                    self.body(indent + 1, loops, depth - 1)


def kernel_sources(max_params: int = 3, max_extent: int = 5,
                   types: Tuple[str, ...] = SOURCE_TYPES) -> st.SearchStrategy[str]:
    """Random kernel source text (a module defining ``kernel``), for frontend fuzzing.

    ``types`` are names of ``allo.ir.types`` used for parameters and locals.
    Example: ``exec(kernel_sources().example(), ns); ns["kernel"]`` is a kernel function.
    """

    @st.composite
    def build(draw) -> str:
        b = _SourceBuilder(draw, max_extent, tuple(types))
        params = []
        for name in ("A", "B", "C")[: draw(st.integers(1, max_params))]:
            t, shape = draw(st.sampled_from(b.types)), b.shape()
            b.buffers[name] = (t, shape)
            params.append(f"{name}: {t}[{', '.join(map(str, shape))}]")
        returned = None
        if draw(st.booleans()):
            t, shape = draw(st.sampled_from(b.types)), b.shape()
            b.emit(1, f"R: {t}[{', '.join(map(str, shape))}] = 0")
            b.buffers["R"] = (t, shape)
            returned = f"{t}[{', '.join(map(str, shape))}]"
        if draw(st.booleans()):
            t = draw(st.sampled_from(b.types))
            b.emit(1, f"acc: {t} = {draw(st.integers(0, 3))}")
            b.scalars["acc"] = t
        b.body(1, {}, 2)
        if returned:
            b.emit(1, "return R")
        head = f"def kernel({', '.join(params)})" + (f" -> {returned}:" if returned else ":")
        return _HEADER + head + "\n" + "\n".join(b.lines) + "\n"

    return build()


__all__ = ["kernel_sources", "SOURCE_TYPES"]
