"""Statement code for the symbolic executor's generated Python (a mixin of
:class:`allo.symexec.codegen._FunctionCompiler`, which supplies expressions, addresses and
views).

Control flow and processes: a block of statements, stores, loops (with the processes of
dataflow regions and unfolded PEs, and the ping-pong tokens of a dataflow loop kept as a
loop), data-dependent ``if`` under a path condition, calls, ``while`` loops, and local
buffer declarations. A loop nest deeper than CPython allows per function is outlined into
a nested def.

Example: ``for i in range(4): B[i] = A[i]`` becomes ``_r0 = range(0, 4, 1)`` and
``for _i0 in _r0:`` around the store ``if pc is None: B[_i0] = A[_i0]`` (else a select).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

import numpy as np

from ..ir.effects import dataflow_loop_labels, loop_iterations, region_task_dependencies
from ..ir.index import loop_interval
from ..ir.nodes import (Alloc, BufRef, Call, Expr, For, If, Return, Store, StreamPut, While,
                        walk_stmts)
from ..ir.types import AlloType, Fixed, Float, bool_, float64
from .cost import expr_ops, stmt_cost

if TYPE_CHECKING:
    from .codegen import _Buf

# CPython's limits per function: 20 nested loop blocks, 100 indentation levels
_MAX_BLOCKS = 16
_MAX_INDENT = 60


class CompileNotSICF(Exception):
    """A construct the symbolic executor cannot run (raised while generating code)."""


class StatementCode:
    """Mixin: needs ``emit``, ``fresh``, ``lit``, ``buf``, ``bufs``, ``dyn``, ``view``,
    ``address``, ``is_static``, ``static_value``, ``static_test``, ``unit``, ``func``,
    ``loops``, ``preheaders``, ``stores``, ``depth``, ``blocks`` and the hot paths
    (:class:`allo.symexec.hotpath.HotPaths`)."""

    def block(self, body: List[Any], count: bool, dataflow_label: Optional[str] = None,
              label_var: str = "None", parent: str = "_pp0", region: str = "_tok",
              pipo: Optional[Tuple[str, Dict[int, Any], str, str]] = None) -> None:
        cost = sum(stmt_cost(s) for s in body) if count else 0  # else: the loop counts it
        if cost:
            self.emit(f"X.ops += {cost}")
        if not body:
            self.emit("pass")
        for k, s in enumerate(body):
            if dataflow_label is not None:
                # a process is (parent process, region instance, *label): PE (1, 1) != PE
                # (2, 1), and two runs of one region are two regions (fifo_schedule)
                self.set_process(f"({parent}, {region}, {dataflow_label!r}, {label_var}, {k})")
            if pipo is None:
                self.stmt(s)
                continue
            self.ping_pong_tokens(pipo, k, before=True)
            self.stmt(s)
            self.ping_pong_tokens(pipo, k, before=False)

    def stmt(self, s: Any) -> None:
        if isinstance(s, (For, While, If)) and (self.blocks >= _MAX_BLOCKS or
                                                self.depth >= _MAX_INDENT):
            self._outlined(s)
            return
        if isinstance(s, Store):
            info = self.buf(s.buffer)
            if info.kind == "scalar" or info.stream:
                raise CompileNotSICF(f"store to '{s.buffer}', which is not a buffer")
            v = self.dyn(s.value)
            a = self.address(info, s.indices, f"the address of a store to {s.buffer!r}")
            sel = self.unit.builder("select", info.dtype, (bool_, info.dtype, info.dtype))
            # a local buffer allocated under this same path condition is dead wherever the
            # condition is false (the IR scopes an Alloc to its block): no select needed,
            # so a counter declared inside a data-dependent `if` stays concrete
            unconditional = "pc is None" if info.kind != "alloc" else \
                f"pc is None or pc == {info.alloc_pc}"
            self.emit(f"if {unconditional}: {info.store}[{a}] = {v}")
            self.emit(f"else: _k = {a}; {info.store}[_k] = {sel}(pc, {v}, {info.store}[_k])")
        elif isinstance(s, For):
            self._for(s)
        elif isinstance(s, If):
            self._if(s)
        elif isinstance(s, Alloc):
            self._alloc(s)
        elif isinstance(s, StreamPut):
            info = self.buf(s.stream)
            if not info.stream:
                raise CompileNotSICF(f"'{s.stream}' is not a stream")
            a = self.address(info, s.indices, "a stream index")
            self.fifo_put(f"{info.store}[{a}]", self.dyn(s.value))
        elif isinstance(s, Call):
            self._call(s)
        elif isinstance(s, Return):
            vals = [self.view(a) if isinstance(a, BufRef) else self.dyn(a) for a in s.values]
            # a return under the caller's condition is fine (the call binds its results with
            # select(pc, ...)); one under a condition of this function's own is not SICF
            self.emit("if pc != _pc0: X.not_sicf('return under a data-dependent condition')")
            if self.func.attrs.get("dataflow"):
                self.set_process("_pp0")
            self.emit(f"return [{', '.join(vals)}]")
        elif isinstance(s, While):
            self._while(s)
        else:
            raise CompileNotSICF(f"unsupported statement {type(s).__name__}")

    def _outlined(self, s: Any) -> None:
        """Emit ``s`` inside a nested def called at once: CPython allows only 20 nested
        loop blocks and 100 indentation levels per function, and a deep loop nest (e.g.
        after repeated ``split``) would exceed them. The def reads the enclosing loop
        variables through its closure and rebinds local buffers as ``nonlocal``."""
        if any(isinstance(x, Return) for x in walk_stmts([s])):
            raise CompileNotSICF("a return inside a loop nest more than "
                                 f"{_MAX_BLOCKS} loops deep")
        name = self.fresh("_outl")
        self.emit(f"def {name}(pc):")
        saved_depth, saved_blocks = self.depth, self.blocks
        self.depth, self.blocks = self.depth + 1, 0
        if self.stores:
            self.emit("nonlocal " + ", ".join(self.stores))
        self.track_process()  # ``_pt`` is local to the def where it is assigned
        self.stmt(s)
        self.depth, self.blocks = saved_depth, saved_blocks
        self.emit(f"{name}(pc)")

    def _bound(self, e: Expr, what: str) -> str:
        return self.static_value(e) if self.is_static(e) else f"X.concrete({self.dyn(e)}, {what!r})"

    def _for(self, s: For) -> None:
        if s.step == 0:
            raise CompileNotSICF(f"loop '{s.name or s.var}' has step 0")
        r, py = self.fresh("_r"), self.fresh("_i")
        self.emit(f"{r} = range({self._bound(s.lo, f'the lower bound of loop {s.name or s.var!r}')}, "
                  f"{self._bound(s.hi, f'the upper bound of loop {s.name or s.var!r}')}, {s.step})")
        rng = loop_interval(s, {var: r for var, _, r in self.loops if r is not None})
        nested = any(isinstance(x, (For, While, Call)) for x in walk_stmts(s.body))
        cost = sum(stmt_cost(c) for c in s.body)
        if not nested and cost:
            self.emit(f"if X.ops + {cost} * len({r}) > X.max_ops: X.over()")
        dataflow = bool(s.attrs.get("dataflow"))
        unfolded = bool(s.attrs.get("unfold")) and not dataflow
        # a dataflow loop kept as a loop (HLS: ``#pragma HLS dataflow`` in its body) has one
        # process per task, running the iterations in order; only a loop whose iterations
        # are copies of their own (unfolded PEs, full unroll) has a process per iteration
        # and task (a partial unroll too: the finest split, so one producer per FIFO is
        # checked strictly; its replay is not trusted, see executor._fifo_issues)
        task_iteration = py if loop_iterations(s) != "sequential" else "None"
        # the region's label, unique in the module: task_dependencies keys its waits by it
        label = self.region_label(s) if dataflow else (s.name or s.var)
        pipo = None
        if dataflow and task_iteration == "None" and self.unit.streams:
            # a task reading an array another task writes waits for that iteration of the
            # writer, and the writer for a free buffer (ping-pong: two): token FIFOs
            deps = region_task_dependencies(self.unit.module, self.func, s.body, transitive=False)
            if deps:
                pipo = (self.fresh("_pipo"), deps, r, py)
                pairs = sorted((j, k) for k, js in deps.items() for j in js)
                self.emit(f"{pipo[0]} = X.pipo_alloc({label!r}, {pairs!r})")
        if dataflow or unfolded:
            saved, region = self.fresh("_pp"), self.fresh("_rg")
            self.emit(f"{saved} = X.process; {region} = X.token()")
        self.preheaders.append([len(self.lines), {}])
        self.emit(f"for {py} in {r}:")
        self.depth += 1
        self.blocks += 1
        if unfolded:
            # each unfolded PE is a process of its own: hardware runs PEs concurrently,
            # so a FIFO between two PEs only deadlocks if one PE both fills and drains it
            self.set_process(f"({saved}, {region}, {(s.name or s.var)!r}, {py})")
        self.loops.append((s.var, py, rng))
        self.block(s.body, count=False, dataflow_label=label if dataflow else None,
                   label_var=task_iteration, parent=saved if dataflow else "_pp0",
                   region=region if dataflow else "_tok", pipo=pipo)
        if nested:
            self.emit("if X.ops > X.limit: X.check()")
        self.loops.pop()
        self.preheaders.pop()
        self.depth -= 1
        self.blocks -= 1
        if dataflow or unfolded:
            self.set_process(saved)
        if cost:
            self.emit(f"X.ops += {cost} * len({r})")
        self.emit("if X.ops > X.limit: X.check()")

    def region_label(self, loop: For) -> str:
        """The unique label of dataflow loop ``loop`` (:func:`dataflow_loop_labels`)."""
        labels = getattr(self.unit, "dataflow_labels", None)
        if labels is None:
            labels = self.unit.dataflow_labels = dataflow_loop_labels(self.unit.module)
        return labels[id(loop)]

    def _if(self, s: If) -> None:
        if self.is_static(s.cond):
            self.emit(f"if {self.static_test(s.cond)}:")
            self.depth += 1
            self.block(s.then_body, count=True)
            self.depth -= 1
            if s.else_body:
                self.emit("else:")
                self.depth += 1
                self.block(s.else_body, count=True)
                self.depth -= 1
            return
        c, cv, saved = self.fresh("_c"), self.fresh("_cv"), self.fresh("_pc")
        self.emit(f"{c} = {self.dyn(s.cond)}; {cv} = X.cond({c}); {saved} = pc")
        for body, test, guard in ((s.then_body, f"{cv} is None or {cv}", "guard"),
                                  (s.else_body, f"{cv} is None or not {cv}", "guard_not")):
            if not body:
                continue
            self.emit(f"if {cv} is None: pc = X.{guard}({c}, {saved})")
            self.emit(f"if {test}:")
            self.depth += 1
            self.block(body, count=True)
            self.depth -= 1
        self.emit(f"pc = {saved}")

    def _new_view(self, info: _Buf) -> str:
        """Code making a View of a local buffer's current storage."""
        ty = self.unit.glob(('T', info.dtype), lambda: info.dtype, '_ty')
        return f"X.view({info.name!r}, {info.store}, {info.shape!r}, {ty}, {info.depth})"

    def _alloc(self, s: Alloc) -> None:
        info = self.bufs[s.name]
        if s.stateful:
            return  # bound once at function entry (X.state_store): no re-initialisation
        self.emit(f"{info.alloc_pc} = pc")
        if info.size > (1 << 17):
            self.emit(f"X.reserve({info.size})")
        if info.stream:
            self.emit(f"{info.store} = X.fifo_alloc({s.name!r}, {info.shape!r}, {info.depth})")
        elif s.init is None:
            zero = self.lit(self.unit.dag.const(0, info.dtype))
            self.emit(f"{info.store} = [{zero}] * {info.size}")
        elif isinstance(s.init, Expr):
            self.emit(f"{info.store} = [{self.dyn(s.init)}] * {info.size}")
        else:
            self.emit(f"{info.store} = list({self.lit(self._table(s.init, info.dtype))})")
        if info.view:  # the storage was just (re)bound: so is its View
            self.emit(f"{info.view} = {self._new_view(info)}")

    def _table(self, init: Any, et: AlloType) -> List[int]:
        dag = self.unit.dag
        arr = np.asarray(init).reshape(-1)
        if isinstance(et, Fixed) and arr.dtype.kind == "f":  # real values -> raw bits
            to_raw = dag.impl("cast", (float64,), et)
            return [dag.const(to_raw(np.float64(x)), et) for x in arr]
        return [dag.const(x.item() if not isinstance(et, Float) else x, et) for x in arr]

    def _call(self, s: Call) -> None:
        callee = self.unit.module.funcs.get(s.callee)
        if callee is None:
            raise CompileNotSICF(f"call to unknown function '{s.callee}'")
        if len(s.args) != len(callee.params):
            raise CompileNotSICF(f"call to '{s.callee}' with {len(s.args)} arguments, expected "
                                 f"{len(callee.params)}")
        args = []
        for p, a in zip(callee.params, s.args):
            if isinstance(a, BufRef):
                args.append(self.view(a))
                continue
            code = self.dyn(a)
            if isinstance(p.type, AlloType) and a.type != p.type:
                code = f"{self.unit.builder('cast', p.type, (a.type,))}({code})"
            args.append(code)
        fn = self.unit.func_name(s.callee)
        res = self.fresh("_res")
        label = self.unit.summary_labels.get(s.callee)
        if label is not None:  # modular proof: an uninterpreted application (symexec.modular)
            self.emit(f"{res} = X.summaries.apply(X, {label!r}, {fn}, pc, [{', '.join(args)}])")
        else:
            self.emit(f"X.count_call({s.callee!r})")
            self.emit(f"{res} = {fn}(pc{''.join(', ' + a for a in args)})")
        for k, name in enumerate(s.results):
            info = self.buf(name)
            if info.kind == "scalar":
                raise CompileNotSICF(f"call result bound to scalar '{name}'")
            sel = self.unit.builder("select", info.dtype, (bool_, info.dtype, info.dtype))
            self.emit(f"X.bind({info.store}, {info.off or 0}, {info.size}, {res}[{k}], pc, {sel}, "
                      f"{name!r})")

    def _while(self, s: While) -> None:
        n = self.fresh("_w")
        cost = sum(stmt_cost(c) for c in s.body) + expr_ops(s.cond)
        cond = self.static_value(s.cond) if self.is_static(s.cond) else \
            f"X.concrete({self.dyn(s.cond)}, 'a while condition')"
        self.emit(f"{n} = 0")
        self.emit("while True:")
        self.depth += 1
        self.blocks += 1
        self.emit(f"if not {cond}: break")
        self.emit(f"{n} += 1")
        self.emit(f"if {n} > X.max_while: X.while_budget()")
        self.emit(f"X.ops += {cost}")
        self.emit("if X.ops > X.limit: X.check()")
        self.block(s.body, count=False)
        self.depth -= 1
        self.blocks -= 1


__all__ = ["CompileNotSICF", "StatementCode"]
