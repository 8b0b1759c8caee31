"""Hot-path code emission for the symbolic executor's generated code (a mixin of
:class:`allo.symexec.codegen._FunctionCompiler`).

What runs once per symbolic op or loop iteration is plain Python here, never a call back
into the executor:

* static ``index`` comparisons are Python operators (both sides are exact int64 values,
  wrapped where the ring arithmetic is unbounded, so the operator is the registry's
  meaning);
* loop-invariant address arithmetic (ring arithmetic on loop variables and integer
  constants: pure code that cannot raise) is computed once before the innermost loop it
  does not depend on, not per iteration;
* a FIFO access logs its trace event and moves the value inline; the process id is kept
  in a local ``_pt``, refreshed wherever the generated code changes ``X.process``. The
  rare cases (a data-dependent condition, an empty FIFO, a new fill level) call back into
  the executor (``X.get``, ``X.put_checked``, ``X.overfilled``), which raises or records
  them.

Example: the systolic array's ``B_buf[b] = fifo.get()`` becomes
``(q.popleft() if (q := (f := S[a]).items) and pc is None and not _tr(_pt | f.get_code)
else X.get(f, pc))``.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import numpy as np

from ..ir.nodes import Const, Expr, Op, Var
from ..ir.types import index

_RING = {"add": "+", "sub": "-", "mul": "*"}
# index comparisons as Python operators: both sides are exact int64 values (wrapped where
# the ring arithmetic is unbounded), so the Python comparison is the registry's meaning
_COMPARE = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


class HotPaths:
    """Mixin: needs ``emit``, ``fresh``, ``lines``, ``loops``, ``preheaders``,
    ``static_value`` and ``unit`` from the function compiler."""

    @staticmethod
    def is_index_compare(e: Expr) -> bool:
        return isinstance(e, Op) and e.op in _COMPARE and len(e.args) == 2 and \
            all(a.type == index for a in e.args)

    def static_test(self, e: Expr) -> str:
        """Python code of a static condition for an ``if``: a bare comparison if it is one."""
        if self.is_index_compare(e):
            a, b = (self.static_value(x) for x in e.args)
            return f"{a} {_COMPARE[e.op]} {b}"
        return self.static_value(e)

    def _ring_depth(self, e: Expr) -> Optional[int]:
        """The deepest open loop whose variable ``e`` reads (-1: none), if ``e`` is ring
        arithmetic on loop variables and integer constants (pure Python code that cannot
        raise, so it may run before the loop); else None."""
        if isinstance(e, Const):
            return -1 if isinstance(e.value, (int, np.integer)) else None
        if isinstance(e, Var):
            for d in range(len(self.loops) - 1, -1, -1):
                if self.loops[d][0] == e.name:
                    return d
            return None
        if isinstance(e, Op) and e.type == index and (e.op in _RING or e.op == "neg") and \
                all(a.type == index for a in e.args):
            depths = [self._ring_depth(a) for a in e.args]
            return None if None in depths else max(depths)
        return None

    def _hoist(self, code: str, level: int) -> str:
        """A Python name holding ``code``, computed just before the ``for`` of open loop
        ``level`` (loop-invariant address arithmetic runs once per loop, not per iteration)."""
        pre = self.preheaders[level]
        name = pre[1].get(code)
        if name is None:
            name = pre[1][code] = self.fresh("_h")
            at = pre[0]
            indent = self.lines[at][:len(self.lines[at]) - len(self.lines[at].lstrip())]
            self.lines.insert(at, f"{indent}{name} = {code}")
            for deeper in self.preheaders[level:]:  # their ``for`` lines moved down by one
                deeper[0] += 1
        return name

    def track_process(self) -> None:
        """``_pt = `` the current process's trace id (shifted), if the module has streams."""
        if self.unit.streams:
            self.emit("_pt = X.process_id()")

    def set_process(self, code: str) -> None:
        self.emit(f"X.process = {code}")
        self.track_process()

    def ping_pong_tokens(self, pipo: Tuple[str, Dict[int, Any], str, str], k: int,
                         before: bool) -> None:
        """Around task ``k`` of a dataflow loop kept as a loop, the ping-pong tokens of the
        arrays it shares with other tasks (:meth:`SymbolicExecutor.pipo_alloc`): before its
        iteration it waits for the iteration of each writer it reads from and, as a writer,
        for a free buffer (released by the reader two iterations back); after, it hands
        the filled buffer on and releases the ones it read. ``pipo`` is ``(tokens, deps,
        range, iteration)``: the generated names of the token table, the loop's range and
        its variable, and ``deps[reader]`` the writers (direct) of each reader task. The
        tokens carry no data and balance inside the loop, so they are logged whatever the
        path condition (a loop under a data-dependent branch stays decidable)."""
        tokens, deps, rng, it = pipo
        writers = sorted(deps.get(k, ()))
        readers = sorted(r for r, js in deps.items() if k in js)
        # the iteration's number, not the loop variable's value (a loop may start at 1 or
        # step by 2): range.index is O(1)
        number = f"{rng}.index({it})"
        if before:
            for j in writers:
                self.emit(f"X.get({tokens}[({j}, {k})][0], None)")
            for r in readers:
                self.emit(f"if {number} >= 2: X.get({tokens}[({k}, {r})][1], None)")
            return
        for r in readers:
            self.emit(f"X.put({tokens}[({k}, {r})][0], 0, None)")
        for j in writers:
            self.emit(f"if {number} + 2 < len({rng}): X.put({tokens}[({j}, {k})][1], 0, None)")

    def fifo_get(self, fifo: str) -> str:
        """A FIFO read as an expression: the common case (unconditional, non-empty) logs the
        event and pops inline; anything else goes through ``X.get`` (errors, deadlock)."""
        if not self.unit.streams:
            return f"X.get({fifo}, pc)"
        f, q = self.fresh("_f"), self.fresh("_q")
        tr = self.unit.glob(("trace",), lambda: self.unit.g["X"]._trace, "_tr")
        return (f"({q}.popleft() if ({q} := ({f} := {fifo}).items) and pc is None and "
                f"not {tr}(_pt | {f}.get_code) else X.get({f}, pc))")

    def fifo_put(self, fifo: str, value: str) -> None:
        """A FIFO write: append and log inline, and track the fill level (in sequential
        order a producer usually raises it on every put); ``X.put_checked`` refuses a
        write under a data-dependent condition, ``X.overfilled`` records an overflow."""
        if not self.unit.streams:
            self.emit(f"X.put({fifo}, {value}, pc)")
            return
        f = self.fresh("_f")
        tr = self.unit.glob(("trace",), lambda: self.unit.g["X"]._trace, "_tr")
        self.emit(f"{f} = {fifo}")
        self.emit(f"if pc is not None: X.put_checked({f}, pc)")
        self.emit(f"{f}.items.append({value}); {tr}(_pt | {f}.put_code)")
        self.emit(f"if len({f}.items) > {f}.max_fill:")
        self.depth += 1
        self.emit(f"{f}.max_fill = len({f}.items)")
        self.emit(f"if {f}.max_fill > {f}.depth: X.overfilled({f})")
        self.depth -= 1

__all__ = ["HotPaths"]
