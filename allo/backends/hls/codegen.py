"""IR ``Module`` -> Vitis HLS C++ (kernel source and header).

One C++ function per IR function, callees first. Buffers are C arrays (``float A[8][8]``),
0-d buffers scalars (reference parameters when passed), FIFOs ``hls::stream< T >`` (spaced as public Allo); results
become trailing output parameters (``out0``, ``out1``, ...; a function's ``Return`` copies
into them), as Vitis HLS top functions cannot return arrays. Loops carry labels from their
names and the pragmas their attributes ask for; buffers carry ``array_partition`` pragmas
from their partition types (inferred across calls by :mod:`allo.typesys.infer` when it
can, else read from ``BufferType.layout``) and streams ``stream depth`` pragmas. The body
of a band's innermost unfolded loop becomes a ``static`` PE function called once per PE
inside the unrolled loops (:mod:`.pe_outline`); PEs that talk through FIFOs make the
region around them ``#pragma HLS dataflow``. Local buffer declarations (streams, statics,
ping-pong pairs, dead and live fills, constant tables) are :mod:`.buffers`.

Example::

    code = emit_design(module, header_comment="// Verified: equivalent")
    print(code.source)        # kernel.cpp
    print(code.header)        # kernel.h: includes, helpers, prototypes
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from ...errors import BackendError
from ...ir.nodes import (Alloc, BufRef, Call, Const, Expr, For, Func, If, Load, Module, Return,
                         Stmt, Store, StreamGet, StreamPut, Var, While, map_expr, walk_expr,
                         walk_stmts)
from ...ir.types import BufferType, StreamType
from .buffers import BufferDeclarations
from .ctypes_map import c_type, identifier, label, unique_identifiers
from .exprs import ExprEmitter, bare
from .pe_outline import PEOutline, is_pe_leaf, is_pe_loop, outline_pe
from .prelude import HELPERS_H

INDENT = "  "


@dataclass
class EmittedDesign:
    """The generated C++: ``source`` (kernel.cpp), ``header`` (kernel.h), ``body``
    (the function definitions alone, used to batch several designs in one C simulation)."""

    source: str
    header: str
    body: str
    prototypes: str
    top: str
    symbols: Dict[str, str] = field(default_factory=dict)  # IR function name -> C++ name
    # with bounds_checks: site k of ALLO_CHECK_INDEX(..., k) is sites[k]
    sites: List["IndexSite"] = field(default_factory=list)


@dataclass(frozen=True)
class IndexSite:
    """An index checked at run time in C simulation: reported when it fails."""

    func: str
    buffer: str
    dim: int
    extent: int
    loc: Any = None


def layouts_of(module: Module) -> Dict[Tuple[str, str], Any]:
    """Partition layout of every buffer the recorded layouts reach, ``{(func, buffer): Layout}``
    (:func:`allo.typesys.layouts.inferred_layouts`, every recorded layout fixed). A failure
    to infer them raises: a partition pragma must never disappear silently."""
    from ...typesys.layouts import inferred_layouts

    return inferred_layouts(module)


def _partition_pragmas(var: str, layout: Any) -> List[str]:
    from ...typesys.partition import hls_pragmas

    return hls_pragmas(var, layout)


class FuncEmitter(BufferDeclarations):
    """Emits one function: signature, local declarations, statements, pragmas."""

    def __init__(self, func: Func, module: Module, layouts: Dict[Tuple[str, str], Any],
                 function_names: Optional[set] = None, narrow_vars: Sequence[str] = (),
                 symbols: Optional[Dict[str, str]] = None,
                 sites: Optional[List[IndexSite]] = None):
        self.func, self.module, self.layouts = func, module, layouts
        self.sites = sites  # None: no bounds checks (the code for synthesis)
        self.current_loc: Any = func.loc
        # IR function name -> its C++ name (injective: two names never meet)
        self.symbols = symbols if symbols is not None else function_symbols(module)
        # C++ function names taken module-wide (PE functions get fresh ones)
        self.function_names = function_names if function_names is not None else \
            set(self.symbols.values())
        self.narrow_vars = set(narrow_vars)  # index parameters declared ``int``
        self.pe_functions: List[str] = []  # PE function definitions, callees first
        self.pe_streams = False  # PEs talk through FIFOs at the top: a dataflow function
        self.dataflow_loops: set = set()  # ids of loops whose body holds such PE calls
        self.loop_stack: List[For] = []
        self.lines: List[str] = []
        # locals never take a function's name (a call in the body would not resolve)
        self.used_names = set(self.function_names)
        self.names: Dict[str, str] = {}
        self.labels: Dict[str, int] = {}
        self.emitted_labels: Set[str] = set()
        self.temp = 0
        self.block_vector: Optional[Tuple[str, str]] = None  # (stream, C++ element)
        for p in func.params:
            self.names[p.name] = self.fresh(identifier(p.name))
        for s in walk_stmts(func.body):
            if isinstance(s, Alloc):  # a static (state) is named after its function too
                base = f"{func.name}_{s.name}" if s.stateful else s.name
                self.names[s.name] = self.fresh(identifier(base))
            elif isinstance(s, For):
                self.names.setdefault(s.var, self.fresh(identifier(s.var)))
        self.out_names = [self.fresh("out" if len(func.results) == 1 else f"out{k}")
                          for k in range(len(func.results))]
        self.extents = {n: (t.shape if isinstance(t, BufferType) else ())
                        for n, t in func.buffers().items()}
        self.ex = ExprEmitter(self.names, index_check=self.check_index if sites is not None
                              else None)
        self.read_names = _read_names(func)

    def check_index(self, buffer: str, dim: int, text: str, loc: Any) -> str:
        """``text`` wrapped in a run-time bounds check (C simulation builds only)."""
        shape = self.extents.get(buffer, ())
        if self.sites is None or dim >= len(shape):
            return text
        self.sites.append(IndexSite(self.func.name, buffer, dim, int(shape[dim]),
                                    loc or self.current_loc))
        return f"ALLO_CHECK_INDEX({text}, {int(shape[dim])}, {len(self.sites) - 1})"

    def subscripts(self, buffer: str, indices: Sequence[Expr], loc: Any = None) -> str:
        return self.ex.subscripts(buffer, indices, loc)

    def fresh(self, base: str) -> str:
        name, k = base, 1
        while name in self.used_names:
            name, k = f"{base}_{k}", k + 1
        self.used_names.add(name)
        return name

    def label(self, base: str) -> str:
        n = self.labels.get(base, 0)
        name = base if n == 0 else f"{base}_{n}"
        while name in self.emitted_labels:  # "A" dim 1 and "A_1" dim 0 would both be l_A_1
            n += 1
            name = f"{base}_{n}"
        self.labels[base] = n + 1
        self.emitted_labels.add(name)
        return name

    # ------------------------------------------------------------ declarations
    def declarator(self, name: str, t: Any, param: bool) -> str:
        """``float A[8][8]``, ``int8_t &x``, ``hls::stream<int8_t> S[4]``..."""
        if isinstance(t, StreamType):
            return f"{stream_type(t)} &{name}"
        if param and name in self.narrow_vars:
            return f"int {name}"  # a PE coordinate / small loop variable
        if isinstance(t, BufferType):
            elem = stream_type(t.dtype) if t.is_stream else c_type(t.dtype)
            if not t.shape:
                return f"{elem} &{name}" if param else f"{elem} {name}"
            return f"{elem} {name}{''.join(f'[{d}]' for d in t.shape)}"
        return f"{c_type(t)} {name}"

    def signature(self) -> str:
        parts = [self.declarator(self.names[p.name], p.type, True) for p in self.func.params]
        for name, t in zip(self.out_names, self.func.results):
            bt = t if isinstance(t, BufferType) else BufferType(t, ())
            parts.append(self.declarator(name, bt, True))
        static = "static " if self.is_pe else ""
        return f"{static}void {self.symbol(self.func.name)}({', '.join(parts)})"

    def symbol(self, func_name: str) -> str:
        """The C++ name of IR function ``func_name`` (PE functions are named already)."""
        return self.symbols.get(func_name) or func_name

    @property
    def is_pe(self) -> bool:
        return bool(self.func.attrs.get("pe_function"))

    def emit(self) -> str:
        f = self.func
        self.lines = [self.signature() + " {"]
        if self.is_pe:
            self.lines.append(f"{INDENT}#pragma HLS inline off")  # one instance per PE
        elif f.attrs.get("inline"):
            self.lines.append(f"{INDENT}#pragma HLS inline")
        if f.attrs.get("dataflow"):
            self.lines.append(f"{INDENT}#pragma HLS dataflow")
        pragma_at = len(self.lines)
        for p in f.params:
            if not (self.is_pe and _is_stream_type(p.type)):  # depth is declared at the FIFO
                self.buffer_pragmas(p.name, p.type, 1)
        used = self.read_names | _written_names(f)
        for p in f.params:
            if p.name not in used:
                self.lines.append(f"{INDENT}(void){self.names[p.name]};  // unused parameter")
        body = list(f.body)
        self.block(body, 1, last_in_func=True)
        self.lines.append("}")
        if self.pe_streams and not f.attrs.get("dataflow"):
            # PE instances connected by FIFOs run concurrently in hardware
            self.lines.insert(pragma_at, f"{INDENT}#pragma HLS dataflow")
        return "\n".join(self.lines)

    def buffer_pragmas(self, name: str, t: Any, depth: int) -> None:
        pad = INDENT * depth
        cname = self.names[name]
        st = t.dtype if isinstance(t, BufferType) and t.is_stream else t
        if isinstance(st, StreamType):  # a stream of blocks counts blocks
            depth = st.depth // st.block_size if st.block else st.depth
            self.lines.append(f"{pad}#pragma HLS stream variable={cname} depth={depth}")
        layout = self.layouts.get((self.func.name, name))
        if layout is not None and isinstance(t, BufferType) and t.shape:
            self.lines += [pad + line for line in _partition_pragmas(cname, layout)]
        memory = getattr(t, "memory", None)
        bind = memory.hls_pragma(cname, t.is_stream) if memory is not None else None
        if bind is not None:
            self.lines.append(pad + bind)

    # ------------------------------------------------------------ statements
    def block(self, stmts: Sequence[Stmt], depth: int, last_in_func: bool = False) -> None:
        for k, s in enumerate(stmts):
            self.stmt(s, depth, last_in_func and k == len(stmts) - 1)

    def out(self, depth: int, text: str) -> None:
        self.lines.append(INDENT * depth + text)

    def hoist(self, e: Expr, depth: int) -> Expr:
        """Move stream reads out of ``e`` into temporaries, in evaluation order."""
        if not any(isinstance(x, StreamGet) for x in walk_expr(e)):
            return e

        def replace_get(x: Expr) -> Optional[Expr]:
            if not isinstance(x, StreamGet):
                return None
            tmp = self.fresh(f"{identifier(x.stream)}_rd")
            ref = self.names[x.stream] + self.subscripts(x.stream, x.indices, x.loc)
            if self.block_vector is not None and self.block_vector[0] == x.stream:
                ref = self.block_vector[1]  # an element of the block read at once
                self.out(depth, f"{c_type(x.type)} {tmp} = {ref};")
            else:
                self.out(depth, f"{c_type(x.type)} {tmp} = {ref}.read();")
            self.names[tmp] = tmp
            return Var(tmp, x.type)

        return map_expr(e, replace_get)

    def stmt(self, s: Stmt, depth: int, last: bool) -> None:
        ex = self.ex
        self.current_loc = s.loc or self.current_loc  # where a failed index check points
        if isinstance(s, Store):
            value = self.hoist(s.value, depth)
            idx = [self.hoist(i, depth) for i in s.indices]
            target = self.names[s.buffer] + self.subscripts(s.buffer, idx, s.loc)
            self.out(depth, f"{target} = {bare(ex.expr(value))};")
        elif isinstance(s, StreamPut):
            value = self.hoist(s.value, depth)
            idx = [self.hoist(i, depth) for i in s.indices]
            target = self.names[s.stream] + self.subscripts(s.stream, idx, s.loc)
            if self.block_vector is not None and self.block_vector[0] == s.stream:
                self.out(depth, f"{self.block_vector[1]} = {bare(ex.expr(value))};")
            else:
                self.out(depth, f"{target}.write({bare(ex.expr(value))});")
        elif isinstance(s, For):
            self.loop(s, depth)
        elif isinstance(s, If):
            cond = self.hoist(s.cond, depth)
            self.out(depth, f"if ({ex.expr(cond)}) {{")
            self.block(s.then_body, depth + 1)
            if s.else_body:
                self.out(depth, "} else {")
                self.block(s.else_body, depth + 1)
            self.out(depth, "}")
        elif isinstance(s, While):
            # the condition is tested at the top of each iteration, as an exit branch (a
            # stream read in it is hoisted into the loop body)
            self.out(depth, "while (true) {")
            cond = self.hoist(s.cond, depth + 1)
            self.out(depth + 1, f"if (!{ex.expr(cond)}) break;")
            self.block(s.body, depth + 1)
            self.out(depth, "}")
        elif isinstance(s, Alloc):
            self.alloc(s, depth)
            if s.name not in self.read_names:
                self.out(depth, f"(void){self.names[s.name]};  // never read")
        elif isinstance(s, Call):
            args = [self.arg(a, depth) for a in s.args]
            args += [self.names[r] for r in s.results]
            self.out(depth, f"{self.symbol(s.callee)}({', '.join(args)});")
        elif isinstance(s, Return):
            self.ret(s, depth, last)
        else:
            raise BackendError(f"the HLS backend cannot emit {type(s).__name__}",
                               where=f"function '{self.func.name}'")

    def arg(self, a: Any, depth: int) -> str:
        if isinstance(a, BufRef):
            prefix = [self.hoist(i, depth) for i in a.prefix]
            return self.names[a.buffer] + self.subscripts(a.buffer, prefix, a.loc)
        return self.ex.expr(self.hoist(a, depth))

    def block_transfer(self, s: For, depth: int) -> None:
        """A whole block through a stream of blocks (``attrs["block_transfer"]``, made by
        the frontend for ``s.put(blk)`` / ``blk = s.get()``): the loop nest fills or
        drains one ``hls::vector`` and the FIFO moves it in one write or read."""
        nest, inner = [s], s
        while len(inner.body) == 1 and isinstance(inner.body[0], For):
            inner = inner.body[0]
            nest.append(inner)
        (leaf,) = inner.body
        put = isinstance(leaf, StreamPut)
        stream, indices = (leaf.stream, leaf.indices) if put else next(
            (x.stream, x.indices) for x in walk_expr(leaf.value) if isinstance(x, StreamGet))
        st = self.func.buffers()[stream]
        st = st.dtype if isinstance(st, BufferType) else st
        ref = self.names[stream] + self.subscripts(stream, indices, s.loc)
        vec = self.fresh(f"{identifier(stream)}_blk")
        strides, flat = 1, []
        for loop, extent in reversed(list(zip(nest, st.block))):
            flat.append(f"{self.names[loop.var]} * {strides}" if strides > 1
                        else self.names[loop.var])
            strides *= extent
        decl = f"hls::vector< {c_type(st.dtype)}, {st.block_size} > {vec}"
        self.out(depth, "{")
        self.out(depth + 1, f"{decl};" if put else f"{decl} = {ref}.read();")
        self.block_vector = (stream, f"{vec}[{' + '.join(reversed(flat))}]")
        s.attrs = {k: v for k, v in s.attrs.items() if k != "block_transfer"}
        try:
            self.loop(s, depth + 1)
        finally:
            self.block_vector = None
            s.attrs["block_transfer"] = True
        if put:
            self.out(depth + 1, f"{ref}.write({vec});")
        self.out(depth, "}")

    def loop(self, s: For, depth: int) -> None:
        if s.attrs.get("block_transfer"):
            return self.block_transfer(s, depth)
        ex = self.ex
        lo, hi = self.hoist(s.lo, depth), self.hoist(s.hi, depth)
        small = all(isinstance(b, Const) and -2**31 <= int(b.value) < 2**31 - abs(s.step)
                    for b in (lo, hi))
        var = self.names[s.var]
        step = f"++{var}" if s.step == 1 else f"{var} += {s.step}"
        head = f"for ({'int' if small else 'int64_t'} {var} = {ex.expr(lo)}; {var} < {ex.expr(hi)}; {step}) {{"
        self.out(depth, f"{self.label(label(s.name or s.var))}: {head}")
        attrs = s.attrs
        if attrs.get("pipeline_ii") is not None:
            self.out(depth + 1, f"#pragma HLS pipeline II={int(attrs['pipeline_ii'])}")
        if attrs.get("unroll") is not None:
            factor = int(attrs["unroll"])
            self.out(depth + 1, "#pragma HLS unroll" + (f" factor={factor}" if factor > 0 else ""))
        elif attrs.get("unfold") or attrs.get("pe") is not None:
            self.out(depth + 1, "#pragma HLS unroll")  # spatial (PE) loop: one copy per PE
        if attrs.get("dataflow"):
            self.out(depth + 1, "#pragma HLS dataflow")
        if attrs.get("parallel"):
            self.out(depth + 1, "// parallel: iterations are independent")
        pragma_at = len(self.lines)
        self.loop_stack.append(s)
        if is_pe_leaf(s):
            self.pe_call(s, depth + 1)
        else:
            self.block(s.body, depth + 1)
        self.loop_stack.pop()
        if id(s) in self.dataflow_loops and not attrs.get("dataflow"):
            self.lines.insert(pragma_at, INDENT * (depth + 1) + "#pragma HLS dataflow")
        self.out(depth, "}")

    def pe_call(self, leaf: For, depth: int) -> None:
        """Emit the PE function for ``leaf``'s body (kept for the caller to print first)
        and call it here, once per PE of the unrolled loops around."""
        base = identifier(f"{self.func.name}_{leaf.band or leaf.name}_PE")
        name, k = base, 1
        while name in self.function_names or name in self.used_names:
            name, k = f"{base}_{k}", k + 1
        self.function_names.add(name)
        pe: PEOutline = outline_pe(self.func, leaf, list(self.loop_stack), name)
        layouts = dict(self.layouts)
        layouts.update({(name, b): lay for (fn, b), lay in self.layouts.items()
                        if fn == self.func.name})
        sub = FuncEmitter(pe.func, self.module, layouts, self.function_names, pe.narrow_vars,
                          self.symbols, self.sites)
        text = sub.emit()
        self.pe_functions += sub.pe_functions + [text]
        if pe.uses_streams:
            # the region whose tasks are the PE instances: the loop around the band's
            # outermost spatial loop (a temporal loop, e.g. 1-D arrays), else the function
            spatial = [k for k, l in enumerate(self.loop_stack)
                       if l.band == leaf.band and is_pe_loop(l)]
            if spatial[0] > 0:
                self.dataflow_loops.add(id(self.loop_stack[spatial[0] - 1]))
            else:
                self.pe_streams = True
        args = []
        for a in pe.args:
            if a.kind != "fifo":
                args.append(self.names[a.name])
                continue
            subs = []
            for d, e in enumerate(a.indices):
                text_e = bare(self.ex.expr(e))
                subs.append(f"[allo_pe_index({text_e}, {a.shape[d]})]" if d in a.clamp
                            else f"[{text_e}]")
            args.append(self.names[a.name] + "".join(subs))
        self.out(depth, f"{name}({', '.join(args)});")

    def ret(self, s: Return, depth: int, last: bool) -> None:
        for out, rt, v in zip(self.out_names, self.func.results, s.values):
            if isinstance(v, BufRef):
                src = self.arg(v, depth)
                shape = rt.shape if isinstance(rt, BufferType) else ()
                if shape:
                    self.fill(out, shape, "", depth, f"l_ret_{out}", source=src)
                else:
                    self.out(depth, f"{out} = {src};")
            else:
                self.out(depth, f"{out} = {self.ex.expr(self.hoist(v, depth))};")
        if not last:
            self.out(depth, "return;")


def stream_type(t: StreamType) -> str:
    """``hls::stream< int8_t >``; a stream of blocks carries ``hls::vector``s."""
    if t.block:
        return f"hls::stream< hls::vector< {c_type(t.dtype)}, {t.block_size} > >"
    return f"hls::stream< {c_type(t.dtype)} >"


def _is_stream_type(t: Any) -> bool:
    return isinstance(t, StreamType) or (isinstance(t, BufferType) and t.is_stream)


def _read_names(func: Func) -> set:
    """Buffers whose value is read somewhere (loads, call arguments, returned buffers)."""
    names = set()
    for s in walk_stmts(func.body):
        if isinstance(s, (Call, Return)):
            for a in (s.args if isinstance(s, Call) else s.values):
                if isinstance(a, BufRef):
                    names.add(a.buffer)
        for e in _stmt_exprs(s):
            for x in walk_expr(e):
                if isinstance(x, (Load, StreamGet)):
                    names.add(x.buffer if isinstance(x, Load) else x.stream)
    return names


def _written_names(func: Func) -> set:
    """Buffers and scalars that are stored to, or read as variables."""
    names = set()
    for s in walk_stmts(func.body):
        if isinstance(s, (Store, StreamPut)):
            names.add(s.buffer if isinstance(s, Store) else s.stream)
        for e in _stmt_exprs(s):
            names.update(x.name for x in walk_expr(e) if isinstance(x, Var))
    return names


def _stmt_exprs(s: Stmt) -> List[Expr]:
    from ...ir.nodes import stmt_exprs

    return stmt_exprs(s)


def function_symbols(module: Module) -> Dict[str, str]:
    """The C++ name of every function of ``module``: injective, unreserved, the top first
    (so it keeps its plain name when it can).

    Example: ``function_symbols(m)[m.top] == "gemm"``.
    """
    order = [module.top] + [n for n in module.funcs if n != module.top]
    return unique_identifiers(order)


def emit_design(module: Module, header_comment: str = "", bounds_checks: bool = False
                ) -> EmittedDesign:
    """Emit ``module`` as Vitis HLS C++ (see the module docstring).

    ``bounds_checks=True`` (C simulation) wraps every index that is not a PE coordinate in
    ``ALLO_CHECK_INDEX(i, extent, site)``, which the simulation defines to stop the run and
    report ``design.sites[site]``; code for synthesis has no checks.

    Example: ``emit_design(s.ir).source.startswith("//")``.
    """
    layouts = layouts_of(module)
    funcs, protos = [], []
    symbols = function_symbols(module)
    function_names = set(symbols.values())
    sites: Optional[List[IndexSite]] = [] if bounds_checks else None
    for name in module.call_order():
        fe = FuncEmitter(module.funcs[name], module, layouts, function_names, symbols=symbols,
                         sites=sites)
        protos.append(fe.signature() + ";")
        text = fe.emit()
        funcs += fe.pe_functions + [text]  # static PE functions precede their caller
    body = "\n\n".join(funcs) + "\n"
    prototypes = "\n".join(protos) + "\n"
    comment = header_comment.rstrip() + "\n" if header_comment else ""
    guard = f"ALLO_{symbols[module.top].upper()}_KERNEL_H"
    header = (f"{comment}#ifndef {guard}\n#define {guard}\n{HELPERS_H}\n"
              f"// ---- kernel prototypes ----\n{prototypes}#endif\n")
    source = f"{comment}#include \"kernel.h\"\n\n{body}"
    return EmittedDesign(source=source, header=header, body=body, prototypes=prototypes,
                         top=symbols[module.top], symbols=symbols, sites=sites or [])


__all__ = ["emit_design", "EmittedDesign", "IndexSite", "layouts_of", "FuncEmitter",
           "function_symbols"]
