"""Lowering of an ``allo.dataflow`` region to ordinary IR.

A region ``@df.region() def top(A, B): ...`` holds stream declarations
(``pipe: Stream[T, depth]``, ``fifo: Stream[T, depth][P0, P1]``), compile-time constants
(``P: ConstExpr[int32] = ...``) and kernels ``@df.kernel(mapping=[P0, P1], args=[A, B])``.
It becomes:

* one :class:`~allo.ir.nodes.Func` per kernel *instance* (``gemm_1_2`` for pid ``(1, 2)``),
  lowered by the ordinary kernel lowering with the pid names bound to compile-time ints,
  so ``allo.meta_if`` on pids keeps one branch and stream indices fold to constants;
  an instance whose body is empty (a ``pass`` corner PE) is dropped;
* a top Func named like the region that allocates the streams and calls every instance,
  marked ``attrs["dataflow"] = True`` so that every consumer (the symbolic executor, the
  HLS backend's ``#pragma HLS dataflow``, the simulator) treats the calls as concurrent
  processes. A stream array element that an instance names with constant indices is passed
  on its own (``fifo_A[1, 2]`` becomes the 0-d stream parameter ``fifo_A_1_2``), so each
  process sees exactly the FIFOs it uses.

The calls are ordered so that running them one after another is a legal schedule when one
exists: a topological order of the process graph (producer before consumer of each FIFO).
When the graph has a cycle no sequential order is legal; the top records it in
``attrs["df_cycle"]`` (the processes on the cycle), which the LLVM build refuses.

Example::

    module = parse(top)        # a df.region function: Module with top, producer_0, consumer_0
    module.top_func.attrs["dataflow"]      # True
"""

from __future__ import annotations

import ast
import copy
import itertools
from typing import Any, Dict, List, Optional, Tuple

from ..errors import AlloNameError, AlloSyntaxError, AlloTypeError
from ..ir.nodes import (Alloc, BufRef, Call, Const, For, Func, If, Param, StreamGet,
                        StreamPut, map_stmt_exprs, stmt_exprs, walk_expr, walk_stmts)
from ..ir.collector import paused_gc
from ..ir.types import AlloType, BufferType, StreamType, index
from ..frontend.context import MISSING, Resolver, SourceInfo
from ..frontend.exprs import Symbol
from ..frontend.stmts import FuncLowerer
from .graph import process_order, shared_fifos

Channel = Tuple[str, Optional[Tuple[int, ...]]]  # (stream, element) / (stream, None): all


class KernelSpec:
    """One ``@df.kernel`` definition of a region: its def, mapping and bound arguments."""

    def __init__(self, node: ast.FunctionDef, mapping: List[int], args: Optional[List[str]]):
        self.node, self.mapping, self.args = node, mapping, args
        self.param_types: Dict[str, Any] = {}
        # names the body mentions, and whether get_pid() appears nested (an error):
        # computed once, not per instance
        self.names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        self.nested_get_pid = [n for s in node.body if not (isinstance(s, ast.Assign)
                                                             and _is_get_pid(s.value))
                               for n in ast.walk(s) if isinstance(n, ast.Call)
                               and _is_get_pid(n)]

    def pids(self) -> List[Tuple[int, ...]]:
        return list(itertools.product(*(range(p) for p in self.mapping)))


class RegionLowerer(FuncLowerer):
    """Lower a region function: its parameters, streams, constants and kernel instances."""

    def run(self) -> Func:
        # thousands of instances allocate millions of small objects, few of them cyclic
        # garbage: without pauses for full collections the lowering stays linear in size
        with paused_gc():
            return self.lower_region()

    def lower_region(self) -> Func:
        fd = self.info.func_def
        params = self.guarded(fd, self.lower_params, fd)
        if fd.returns is not None and not (isinstance(fd.returns, ast.Constant)
                                           and fd.returns.value is None):
            raise self.err(AlloTypeError, "a df.region returns nothing", fd.returns,
                           hint="write the outputs into the region's array arguments")
        streams: Dict[str, BufferType] = {}
        kernels: List[KernelSpec] = []
        for stmt in fd.body:
            self.guarded(stmt, self.region_stmt, stmt, streams, kernels)
        if not kernels:
            raise self.err(AlloSyntaxError, f"region '{fd.name}' defines no @df.kernel", fd,
                           hint="define the processes as nested functions decorated with "
                                "@df.kernel(mapping=[1])")
        if not params:
            params = self.implicit_params(kernels)
        consts = {n: s.value for n, s in self.symbols.items() if s.kind == "const"}
        instances = []
        for spec in kernels:
            for pid in spec.pids():
                inst = self.guarded(spec.node, self.lower_instance, spec, pid, params,
                                    streams, consts)
                if inst is not None:
                    instances.append(inst)
        return self.build_top(params, streams, instances)

    def implicit_params(self, kernels: List[KernelSpec]) -> List[Any]:
        """A region without parameters (public Allo's older style) takes the parameters of
        its kernels without ``args=``, by name, in the order they first appear."""
        params: List[Any] = []
        for spec in kernels:
            if spec.args is not None:
                continue
            for arg in spec.node.args.args:
                if arg.arg in self.symbols:
                    continue
                if arg.annotation is None:
                    raise self.err(AlloTypeError, f"parameter '{arg.arg}' has no type "
                                   "annotation", arg, hint=f"annotate it, e.g. {arg.arg}: "
                                                           "int32[M, N]")
                t = self.annotation_type(arg.annotation, f"parameter '{arg.arg}'")
                if isinstance(t, BufferType) and not t.shape and not t.is_stream:
                    t = t.dtype
                self.symbols[arg.arg] = Symbol("param", t)
                params.append(Param(arg.arg, t, loc=self.info.loc(arg)))
        return params

    # ------------------------------------------------------------ the region body
    def region_stmt(self, stmt: ast.stmt, streams: Dict[str, BufferType],
                    kernels: List[KernelSpec]) -> None:
        if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(
                stmt.value, ast.Constant) and isinstance(stmt.value.value, str)):
            return
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) \
                and stmt.value is None:
            name = stmt.target.id
            t = self.stream_type(stmt.annotation, name)
            if name in streams or name in self.symbols:
                raise self.err(AlloNameError, f"'{name}' is already declared", stmt.target,
                               hint="give every stream of a region its own name")
            streams[name] = t
            return
        if isinstance(stmt, ast.AnnAssign):  # ConstExpr declarations
            self.stmt(stmt)
            if not (isinstance(stmt.target, ast.Name)
                    and self.symbols.get(stmt.target.id, None) is not None
                    and self.symbols[stmt.target.id].kind == "const"):
                raise self.err(AlloSyntaxError, "a df.region may declare only streams and "
                               "ConstExpr constants", stmt,
                               hint="move computations into a @df.kernel")
            return
        if isinstance(stmt, ast.FunctionDef):
            kernels.append(self.kernel_spec(stmt))
            return
        raise self.err(AlloSyntaxError, "a df.region may contain only stream declarations, "
                       "ConstExpr constants and @df.kernel definitions", stmt,
                       hint="move this statement into a @df.kernel")

    def stream_type(self, annotation: ast.AST, name: str) -> BufferType:
        t = self.annotation_type(annotation, f"'{name}'")
        if isinstance(t, StreamType):
            t = BufferType(t, ())
        if not (isinstance(t, BufferType) and t.is_stream):
            raise self.err(AlloTypeError, f"'{name}' is declared without a value, so it must be "
                           f"a stream, not {t!r}", annotation,
                           hint="declare streams as Stream[T, depth] or Stream[T, depth][P0, P1]"
                                "; give other locals to the kernels that use them")
        return t

    def kernel_spec(self, node: ast.FunctionDef) -> KernelSpec:
        decos = [d for d in node.decorator_list if self.is_df_kernel(d)]
        if len(decos) != 1 or len(node.decorator_list) != 1:
            raise self.err(AlloSyntaxError, f"function '{node.name}' in a df.region must be "
                           "decorated with exactly one @df.kernel(...)", node,
                           hint="write @df.kernel(mapping=[1], args=[...]) above it")
        deco = decos[0]
        mapping_node, args_node = None, None
        if isinstance(deco, ast.Call):
            positional = list(deco.args)
            if len(positional) > 2:
                raise self.err(AlloSyntaxError, "df.kernel takes mapping= and args=", deco,
                               hint="@df.kernel(mapping=[P0, P1], args=[A, B])")
            mapping_node = positional[0] if positional else None
            args_node = positional[1] if len(positional) > 1 else None
            for kw in deco.keywords:
                if kw.arg == "mapping":
                    mapping_node = kw.value
                elif kw.arg == "args":
                    args_node = kw.value
                else:
                    raise self.err(AlloSyntaxError, f"df.kernel has no argument '{kw.arg}'",
                                   kw.value, hint="df.kernel(mapping=[...], args=[...])")
        mapping = [1] if mapping_node is None else self.mapping_of(mapping_node)
        args = None if args_node is None else self.args_of(args_node)
        return KernelSpec(node, mapping, args)

    def is_df_kernel(self, deco: ast.AST) -> bool:
        from . import kernel as df_kernel

        f = deco.func if isinstance(deco, ast.Call) else deco
        try:
            if isinstance(f, ast.Name):
                obj = self.resolver.lookup(f.id)
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                base = self.resolver.lookup(f.value.id)
                obj = getattr(base, f.attr, MISSING) if base is not MISSING else MISSING
            else:
                return False
        except Exception:  # noqa: BLE001 - an odd decorator is simply not df.kernel
            return False
        return obj is df_kernel

    def mapping_of(self, node: ast.AST) -> List[int]:
        from ..frontend.meta import const_eval

        value = const_eval(self, node, "the mapping of a df.kernel")
        dims = list(value) if isinstance(value, (list, tuple)) else [value]
        if not dims or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1
                               for d in dims):
            raise self.err(AlloTypeError, f"mapping must be a list of positive ints, got "
                           f"{value!r}", node, hint="e.g. mapping=[1] or mapping=[P0, P1]")
        return [int(d) for d in dims]

    def args_of(self, node: ast.AST) -> List[str]:
        if not isinstance(node, (ast.List, ast.Tuple)):
            raise self.err(AlloSyntaxError, "args= must be a list of the region's parameters",
                           node, hint="e.g. args=[A, B]")
        names = []
        for e in node.elts:
            sym = self.symbols.get(e.id) if isinstance(e, ast.Name) else None
            if sym is None or sym.kind != "param":
                raise self.err(AlloNameError, f"args= may name only parameters of the region, "
                               f"not {ast.unparse(e)!r}", e,
                               hint="list the region's arrays: args=[A, B]")
            if isinstance(sym.type, AlloType):
                raise self.err(AlloTypeError, f"scalar '{e.id}' cannot be passed to a df.kernel "
                               "(public Allo refuses scalars in args= as well)", e,
                               hint=f"pass a one-element array instead, e.g. {e.id}: "
                                    f"{sym.type!r}[1], and read {e.id}[0] in the kernel")
            names.append(e.id)
        return names

    # ------------------------------------------------------------ one kernel instance
    def lower_instance(self, spec: KernelSpec, pid: Tuple[int, ...], params: List[Any],
                       streams: Dict[str, BufferType], consts: Dict[str, Any]) -> Optional[dict]:
        node = spec.node
        body, pid_names = strip_get_pid(self, spec, pid)
        kparams = [a.arg for a in node.args.args]
        if spec.args is None:
            region_params = {p.name for p in params}
            missing = [n for n in kparams if n not in region_params]
            if missing:
                raise self.err(AlloNameError, f"kernel '{node.name}' has parameter "
                               f"'{missing[0]}' but no args= says what to pass", node,
                               hint=f"add args=[...] to its @df.kernel, or name the parameter "
                                    "like a parameter of the region")
            bound = list(kparams)
        else:
            if len(spec.args) != len(kparams):
                raise self.err(AlloTypeError, f"kernel '{node.name}' takes {len(kparams)} "
                               f"parameter(s) but args= lists {len(spec.args)}", node,
                               hint="give args= one region parameter per kernel parameter")
            bound = list(spec.args)
        used = [n for n in streams if n not in kparams and n in spec.names]
        fd = copy.copy(node)
        fd.decorator_list = []
        fd.body = body or [ast.Pass()]
        fd.args = copy.copy(node.args)
        fd.args.args = list(node.args.args) + [
            ast.copy_location(ast.arg(arg=n, annotation=ast.Constant(n)), node) for n in used]
        name = self.instance_name(node.name, pid)
        info = SourceInfo(self.info.file, self.info.first_line, self.info.indent,
                          self.info.lines, fd)
        bindings = dict(self.resolver.bindings)
        bindings.update(consts)
        bindings.update(pid_names)
        resolver = Resolver(self.fn, bindings, self.mb.caller_frame, self.mb.global_vars)
        resolver.closure, resolver.globals = self.resolver.closure, self.resolver.globals
        lw = InstanceLowerer(self.mb, self.fn, info, resolver, name,
                             {"df_kernel": node.name, "df_pid": list(pid)},
                             evaluated_annotations=False)
        lw.stream_params = {n: streams[n] for n in used}
        lw.param_cache = spec.param_types
        func = lw.run()
        if func.results:
            raise self.err(AlloTypeError, f"kernel '{node.name}' of a df.region returns a "
                           "value, but its processes are called for their effects", node,
                           hint="write results into an array passed with args=, or put them "
                                "into a stream")
        func.body = prune_idle(func.body)
        if all(isinstance(s, Alloc) for s in func.body):
            return None  # an idle PE (a `pass` branch): no process at all
        ptypes = {p.name: p.type for p in params}
        for kp, rp in zip(func.params, bound):
            if _shape(kp.type) != _shape(ptypes[rp]) or _elem(kp.type) != _elem(ptypes[rp]):
                raise self.err(AlloTypeError, f"kernel parameter '{kp.name}: {kp.type!r}' is "
                               f"bound to region argument '{rp}: {ptypes[rp]!r}'", node,
                               hint="declare the kernel parameter with the argument's type")
        args: List[Any] = [BufRef(rp) for rp in bound]
        args += split_stream_params(func, used)
        self.mb.funcs[name] = func
        return {"name": name, "func": func, "args": args}

    def instance_name(self, kernel: str, pid: Tuple[int, ...]) -> str:
        base = f"{kernel}_{'_'.join(map(str, pid))}"
        name = base if base not in self.mb.funcs else f"{self.name}_{base}"
        k = 1
        while name in self.mb.funcs:
            name, k = f"{self.name}_{base}_{k}", k + 1
        return name

    # ------------------------------------------------------------ the top
    def build_top(self, params: List[Any], streams: Dict[str, BufferType],
                  instances: List[dict]) -> Func:
        body: List[Any] = [Alloc(n, t) for n, t in streams.items()]
        procs = [(i["name"], *channels(i["func"], i["args"])) for i in instances]
        order, cycle = process_order(procs)
        shared = shared_fifos(procs)
        by_name = {i["name"]: i for i in instances}
        for n in order:
            inst = by_name[n]
            body.append(Call(n, inst["args"], []))
        attrs = dict(self.attrs)
        attrs.update({"dataflow": True, "df_region": True})
        if cycle:
            attrs["df_cycle"] = cycle
        if shared:
            attrs["df_shared_fifo"] = shared
        return Func(self.name, params, [], body, attrs, loc=self.info.loc(self.info.func_def))


class InstanceLowerer(FuncLowerer):
    """A kernel instance: the kernel's own parameters, plus the streams it names."""

    stream_params: Dict[str, BufferType] = {}
    param_cache: Dict[str, Any] = {}  # the kernel's parameter types, shared by its PEs

    def param_type(self, arg: ast.arg) -> Any:
        if arg.arg in self.stream_params:
            return self.stream_params[arg.arg]
        if arg.arg not in self.param_cache:
            self.param_cache[arg.arg] = super().param_type(arg)
        return self.param_cache[arg.arg]


# ---------------------------------------------------------------- helpers
def strip_get_pid(lw: Any, spec: KernelSpec,
                  pid: Tuple[int, ...]) -> Tuple[List[ast.stmt], Dict[str, Any]]:
    """The kernel body without its ``... = df.get_pid()`` statements, and the pid names
    bound to this instance's indices."""
    node, mapping = spec.node, spec.mapping
    names: Dict[str, Any] = {}
    body = []
    for stmt in node.body:
        if isinstance(stmt, ast.Assign) and _is_get_pid(stmt.value):
            if len(stmt.targets) != 1:
                raise lw.err(AlloSyntaxError, "write 'i, j = df.get_pid()'", stmt,
                             hint="one target list per get_pid()")
            target = stmt.targets[0]
            if isinstance(target, ast.Name):
                names[target.id] = pid[0] if len(pid) == 1 else tuple(pid)
            elif isinstance(target, (ast.Tuple, ast.List)) and all(
                    isinstance(e, ast.Name) for e in target.elts):
                if len(target.elts) != len(pid):
                    raise lw.err(AlloTypeError, f"kernel '{node.name}' has mapping {mapping} "
                                 f"({len(mapping)} dimension(s)) but unpacks "
                                 f"{len(target.elts)} pid(s)", stmt,
                                 hint=f"unpack one name per mapping dimension, or change "
                                      f"mapping= to {len(target.elts)} dimensions")
                names.update({e.id: v for e, v in zip(target.elts, pid)})
            else:
                raise lw.err(AlloSyntaxError, "get_pid() must be assigned to names", stmt,
                             hint="write 'i, j = df.get_pid()'")
            continue
        body.append(stmt)
    for n in spec.nested_get_pid:
        raise lw.err(AlloSyntaxError, "get_pid() must be called as a statement of its own "
                     "at the top of the kernel", n, hint="write 'i, j = df.get_pid()' "
                     "as a top-level statement of the kernel")
    return body, names


def prune_idle(body: List[Any]) -> List[Any]:
    """``body`` without loops and ifs that do nothing (a meta_if ``pass`` inside a loop)."""
    out = []
    for s in body:
        if isinstance(s, For):
            s.body = prune_idle(s.body)
            if all(isinstance(x, Alloc) for x in s.body):
                continue
        elif isinstance(s, If):
            s.then_body, s.else_body = prune_idle(s.then_body), prune_idle(s.else_body)
            if not s.then_body and not s.else_body and not any(
                    isinstance(x, StreamGet) for x in walk_expr(s.cond)):
                continue
        out.append(s)
    return out


def _is_get_pid(e: ast.AST) -> bool:
    if not isinstance(e, ast.Call) or e.args or e.keywords:
        return False
    f = e.func
    return (isinstance(f, ast.Attribute) and f.attr == "get_pid") or \
        (isinstance(f, ast.Name) and f.id == "get_pid")


def _stream(t: Any) -> bool:
    return isinstance(t, BufferType) and t.is_stream


def _shape(t: Any) -> tuple:
    return t.shape if isinstance(t, BufferType) else ()


def _elem(t: Any) -> Any:
    return t.dtype if isinstance(t, BufferType) else t


def split_stream_params(func: Func, used: List[str]) -> List[BufRef]:
    """Replace each stream-array parameter that ``func`` indexes only with constants by one
    0-d stream parameter per element it uses; return the top's arguments for the streams."""
    elements = _constant_elements(func, used)
    args: List[BufRef] = []
    new_params = [p for p in func.params if p.name not in used]
    taken = set(func.buffers())
    renames: Dict[Tuple[str, Tuple[int, ...]], str] = {}
    for name in used:
        param = func.param(name)
        elems = elements.get(name)
        if not param.type.shape or elems is None:
            new_params.append(param)
            args.append(BufRef(name))
            continue
        for idx in elems:
            new = f"{name}_{'_'.join(map(str, idx))}"
            while new in taken:
                new += "_"
            taken.add(new)
            renames[(name, idx)] = new
            new_params.append(type(param)(new, BufferType(param.type.dtype, ()), param.loc))
            args.append(BufRef(name, tuple(Const(i, index) for i in idx)))
    if renames:
        _rename_elements(func, renames)
    func.params = new_params
    return args


def _constant_elements(func: Func, names: List[str]) -> Dict[str, Optional[List[tuple]]]:
    """For each stream array in ``names``: the elements ``func`` uses, in first-use order,
    or None when some use is not a constant element (a whole-array argument, a loop
    index). One walk over the body."""
    found: Dict[str, Optional[List[tuple]]] = {n: [] for n in names}

    def note(name: str, indices: tuple) -> None:
        elems = found[name]
        if elems is None:
            return
        if not all(isinstance(i, Const) for i in indices):
            found[name] = None
            return
        idx = tuple(int(i.value) for i in indices)
        if idx not in elems:
            elems.append(idx)

    for s in walk_stmts(func.body):
        if isinstance(s, StreamPut) and s.stream in found:
            note(s.stream, s.indices)
        if isinstance(s, Call):
            for a in s.args:
                if isinstance(a, BufRef) and a.buffer in found:
                    found[a.buffer] = None
        for e in stmt_exprs(s):
            for x in walk_expr(e):
                if isinstance(x, StreamGet) and x.stream in found:
                    note(x.stream, x.indices)
    return found


def _rename_elements(func: Func, renames: Dict[Tuple[str, tuple], str]) -> None:
    def key(stream: str, indices: tuple) -> Optional[Tuple[str, tuple]]:
        if not all(isinstance(i, Const) for i in indices):
            return None  # an array passed whole (indexed by a loop variable)
        return (stream, tuple(int(i.value) for i in indices))

    def expr(x: Any) -> Any:
        if isinstance(x, StreamGet) and x.indices and key(x.stream, x.indices) in renames:
            return StreamGet(renames[key(x.stream, x.indices)], (), x.type, loc=x.loc)
        return None

    for s in walk_stmts(func.body):
        if any(isinstance(x, StreamGet) for e in stmt_exprs(s) for x in walk_expr(e)):
            map_stmt_exprs(s, expr)
        if isinstance(s, StreamPut) and s.indices and key(s.stream, s.indices) in renames:
            s.stream, s.indices = renames[key(s.stream, s.indices)], ()


def channels(func: Func, args: List[BufRef]) -> Tuple[set, set]:
    """The FIFOs (as channels of the top: ``(stream, element)``, element None for "any")
    that an instance puts into and gets from."""
    binding: Dict[str, Channel] = {}
    for p, a in zip(func.params, args):
        if _stream(p.type):
            elem = tuple(int(c.value) for c in a.prefix) if a.prefix else None
            binding[p.name] = (a.buffer, elem)
    puts, gets = set(), set()
    for s in walk_stmts(func.body):
        if isinstance(s, StreamPut) and s.stream in binding:
            puts.add(_channel(binding[s.stream], s.indices))
        if isinstance(s, Call):  # a callee may use the stream either way
            for a in s.args:
                if isinstance(a, BufRef) and a.buffer in binding:
                    puts.add((binding[a.buffer][0], None))
                    gets.add((binding[a.buffer][0], None))
        for e in stmt_exprs(s):
            for x in walk_expr(e):
                if isinstance(x, StreamGet) and x.stream in binding:
                    gets.add(_channel(binding[x.stream], x.indices))
    return puts, gets


def _channel(base: Channel, indices: tuple) -> Channel:
    stream, elem = base
    if elem is not None:
        return (stream, elem)
    if indices and all(isinstance(i, Const) for i in indices):
        return (stream, tuple(int(i.value) for i in indices))
    return (stream, None)


__all__ = ["RegionLowerer", "split_stream_params", "channels"]
