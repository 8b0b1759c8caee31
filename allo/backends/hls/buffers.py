"""Local buffer declarations of the HLS code (a mixin of
:class:`allo.backends.hls.codegen.FuncEmitter`).

A local ``Alloc`` becomes, by kind: a named ``hls::stream`` (a FIFO), a C ``static``
initialised once (``Stateful`` state), a ping-pong pair with no fill (``pingpong``), an
array with no fill when the dataflow primitive proved the fill dead (and the first task's
shape still is the one it proved it on), a constant table, or an array followed by a fill
loop nest (``l_init_<name>``).

Example: ``Y: int32[4] = 0`` becomes ``int32_t Y[4];`` and
``l_init_Y: for (int init_Y_i0 = 0; init_Y_i0 < 4; ++init_Y_i0) { Y[init_Y_i0] = 0; }``.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from ...ir.nodes import Alloc, Call, Const, Expr, For
from ...ir.sites import first_task, reads_buffer, task_key, task_scope
from ...ir.types import AlloType, BufferType, Fixed, Int
from ...runtime import constant_table
from .exprs import zero_value


class BufferDeclarations:
    """Mixin: needs ``out``, ``fresh``, ``label``, ``names``, ``declarator``,
    ``buffer_pragmas``, ``hoist``, ``ex`` (the expression emitter), ``func`` and ``module``."""

    def alloc(self, s: Alloc, depth: int) -> None:
        t = s.type if isinstance(s.type, BufferType) else BufferType(s.type, ())
        name = self.names[s.name]
        if t.is_stream:
            # a named FIFO: C simulation's "read of empty stream" error can say which one
            label = f'("{_c_string(s.name)}")' if not t.shape else ""
            self.out(depth, self.declarator(name, t, False) + label + ";")
            self.buffer_pragmas(s.name, t, depth)
            return
        if s.stateful:  # C `static`: initialised once, kept across calls
            from ...runtime import initial_state

            values = ", ".join(self.static_value(v, t.dtype)
                               for v in initial_state(s, t).reshape(-1))
            self.out(depth, f"static {self.declarator(name, t, False)} = "
                            f"{values if not t.shape else '{' + values + '}'};")
            self.buffer_pragmas(s.name, t, depth)
            return
        if s.name in self.func.attrs.get("pingpong", {}):
            # a ping-pong pair between two dataflow processes: the producer writes every
            # element (checked by the pingpong primitive), so there is no fill to emit
            self.out(depth, f"{self.declarator(name, t, False)};")
            self.out(depth, f"#pragma HLS stream variable={name} type=pipo depth=2")
            self.buffer_pragmas(s.name, t, depth)
            return
        if s.name in self.func.attrs.get("dead_fill", ()) and self.fill_still_dead(s.name):
            # a dataflow region's array whose first task writes every element before any
            # read (the dataflow primitive proved it): a fill loop would be a second writer
            self.out(depth, f"{self.declarator(name, t, False)};")
            self.buffer_pragmas(s.name, t, depth)
            return
        if isinstance(s.init, np.ndarray):
            table = constant_table(s.init, t)
            values = ", ".join(self.table_value(v, t.dtype) for v in table.reshape(-1))
            self.out(depth, f"{self.declarator(name, t, False)} = {{{values}}};")
            self.buffer_pragmas(s.name, t, depth)
            return
        init = self.ex.expr(self.hoist(s.init, depth)) if isinstance(s.init, Expr) \
            else zero_value(t.dtype)
        if not t.shape:
            self.out(depth, f"{self.declarator(name, t, False)} = {init};")
            return
        self.out(depth, f"{self.declarator(name, t, False)};")
        self.buffer_pragmas(s.name, t, depth)
        self.fill(name, t.shape, init, depth, f"l_init_{name}")

    def fill_still_dead(self, name: str) -> bool:
        """A dead fill is omitted only while its first task (and every function it calls)
        is still the code the dataflow primitive proved it on (the fingerprint kept with the
        mark), and still reads nothing of the buffer or (a fill moved into the callee) still
        starts with the nest that fills the parameter; a later rewrite brings the fill back."""
        task = first_task(self.func, name)
        scope = task_scope(self.module, task, name) if task is not None else None
        proved_on = self.func.attrs["dead_fill"][name]
        if scope is None or proved_on is None or task_key(self.module, task) != proved_on:
            return False  # not the task (or no longer the code) the dataflow primitive proved
        body, local = scope
        moved = isinstance(task, Call) and body and isinstance(body[0], For) \
            and body[0].attrs.get("fill_of") == local
        return moved or not reads_buffer(body, local)

    def fill(self, target: str, shape: Sequence[int], value: str, depth: int, lbl: str,
             source: Optional[str] = None) -> None:
        """Loops assigning ``value`` (or ``source[...]``) to every element of ``target``."""
        idx = [self.fresh(f"{lbl[2:]}_i{k}") for k in range(len(shape))]
        for k, (v, d) in enumerate(zip(idx, shape)):
            self.out(depth + k, f"{self.label(lbl if k == 0 else f'{lbl}_{k}')}: "
                                f"for (int {v} = 0; {v} < {d}; ++{v}) {{")
        sub = "".join(f"[{v}]" for v in idx)
        rhs = value if source is None else source + sub
        self.out(depth + len(shape), f"{target}{sub} = {rhs};")
        for k in reversed(range(len(shape))):
            self.out(depth + k, "}")

    def static_value(self, v: Any, t: AlloType) -> str:
        """A static's initial element: a plain integer literal where C++ converts it
        exactly (every int type up to 64 bits), else the constant's own spelling."""
        if isinstance(t, Int) and t.bits <= 64 and -(1 << 63) <= int(v) < (1 << 63):
            return str(int(v)) + ("LL" if not -(1 << 31) <= int(v) < (1 << 31) else "")
        return self.table_value(v, t)

    def table_value(self, v: Any, t: AlloType) -> str:
        if isinstance(t, Fixed):
            return self.ex.const(Const(int(v), t))
        return self.ex.const(Const(v.item() if hasattr(v, "item") else v, t))


def _c_string(text: str) -> str:
    """``text`` escaped for a C string literal."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


__all__ = ["BufferDeclarations"]
