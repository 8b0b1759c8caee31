"""The ``Schedule`` users hold: the current IR, the original, and the applied primitives.

This module holds no rewrite logic: each primitive method resolves nothing itself and
delegates to the registered primitive in :mod:`allo.primitives`, then records the
returned certificate. ``verify()`` asks :mod:`allo.symexec`; ``build()`` asks a backend.

Example::

    s = allo.customize(gemm)
    s.split("i", 4)
    s.pipeline("i.inner")
    for cert in s.history:
        print(cert)           # split(axis='i', factor=4) by rule loop.split [...]
    assert s.verify()
"""

from __future__ import annotations

import inspect
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from .compose import Step, replay_plan
from .errors import AlloError, ScheduleError
from .ir.nodes import Module
from .primitives.base import (PRIMITIVES, BufferHandle, Certificate, LoopHandle,
                              apply_primitive, loop_sites)
from .typesys.layouts import changed_layouts, reconcile_layouts
from .verification.certificates import CertificateChain


class UnknownBufferError(ScheduleError, AttributeError):
    """``s.X`` names no buffer (also an ``AttributeError``, so ``hasattr`` works)."""


class MLIRText:
    """``s.module``: the current program; ``str()`` is its MLIR text."""

    def __init__(self, module: Module):
        self.ir = module

    def __str__(self) -> str:
        from .ir.printer import to_mlir

        return to_mlir(self.ir)

    __repr__ = __str__


class LoopBand:
    """The loops of one band, by name: ``s.get_loops()["PE"]["i"]`` or ``.PE.i``."""

    def __init__(self, name: str, loops: Dict[str, LoopHandle]):
        self.name = name
        self.loops = loops

    def __getitem__(self, key: Union[str, int]) -> LoopHandle:
        if isinstance(key, int):
            if not -len(self.loops) <= key < len(self.loops):
                raise ScheduleError(f"band {self.name!r} has {len(self.loops)} loops, no loop {key}",
                                    hint=f"its loops: {', '.join(self.loops)}")
            return list(self.loops.values())[key]
        if key not in self.loops:
            raise ScheduleError(f"band {self.name!r} has no loop {key!r}",
                                hint=f"its loops: {', '.join(self.loops)}")
        return self.loops[key]

    def __getattr__(self, key: str) -> LoopHandle:
        if key.startswith("__"):
            raise AttributeError(key)
        return self[key]

    def __iter__(self) -> Iterator[LoopHandle]:
        return iter(self.loops.values())

    def __repr__(self) -> str:
        return f"{self.name}: {', '.join(self.loops)}"


class LoopNest:
    """All bands of a function (``s.get_loops()``), in program order."""

    def __init__(self, bands: Dict[str, LoopBand]):
        self.bands = bands

    def __getitem__(self, key: Union[str, int]) -> LoopBand:
        if isinstance(key, int):
            if not -len(self.bands) <= key < len(self.bands):
                raise ScheduleError(f"there are {len(self.bands)} bands, no band {key}",
                                    hint=f"bands: {', '.join(self.bands)}")
            return list(self.bands.values())[key]
        if key not in self.bands:
            raise ScheduleError(f"no band named {key!r}", hint=f"bands: {', '.join(self.bands)}")
        return self.bands[key]

    def __getattr__(self, key: str) -> LoopBand:
        if key.startswith("__"):
            raise AttributeError(key)
        return self[key]

    def __iter__(self) -> Iterator[LoopBand]:
        return iter(self.bands.values())

    def __repr__(self) -> str:
        return "\n".join(repr(b) for b in self.bands.values())


class Schedule:
    """A customizable design. Create it with :func:`customize`."""

    def __init__(self, module: Module, *, verify_each: bool = False):
        from .ir.verifier import verify_ir

        verify_ir(module)
        self._ir = module
        self._original = module.copy()
        self.history: List[Certificate] = []
        self.verify_each = verify_each
        self._steps: List[Step] = []  # what compose() and replay() apply again
        self._chain = CertificateChain.start(self._original)  # for verify(method="certificates")
        self._fixed_layouts: set = set()  # (func, buffer) layouts the user set directly

    # ------------------------------------------------------------ views
    @property
    def module(self) -> MLIRText:
        """The current program (``print(s.module)`` shows MLIR)."""
        return MLIRText(self._ir)

    @property
    def ir(self) -> Module:
        """The current IR (read-only by convention: primitives produce new versions)."""
        return self._ir

    @property
    def original(self) -> Module:
        """The program this schedule started from."""
        return self._original

    @property
    def top_func_name(self) -> str:
        return self._ir.top

    @property
    def top_func(self) -> Any:
        """The top function of the current IR (a :class:`~allo.ir.nodes.Func`)."""
        return self._ir.top_func

    def get_loops(self, func: Optional[str] = None) -> LoopNest:
        """The loops of ``func`` (default: the top function), grouped by band."""
        name = func or self._ir.top
        if name not in self._ir.funcs:
            raise ScheduleError(f"no function named {name!r}",
                                hint=f"functions: {', '.join(self._ir.funcs)}")
        bands: Dict[str, Dict[str, LoopHandle]] = {}
        nested: Dict[str, Dict[str, LoopHandle]] = {}  # loops of bands nested in a band
        for site in loop_sites(self._ir.funcs[name]):
            handle = LoopHandle(name, site.loop.band, site.loop.name)
            bands.setdefault(site.loop.band, {})[site.loop.name] = handle
            # an imperfect nest: a loop inside another band's loop is also reachable from
            # every enclosing band (``loops.S_i_0.j0``), as public Allo lists them; the
            # handle keeps the loop's own band, so primitives resolve the same loop
            for outer_band in dict.fromkeys(l.band for l in site.enclosing if l.band != site.loop.band):
                nested.setdefault(outer_band, {}).setdefault(site.loop.name, handle)
        for band, loops in nested.items():
            for loop_name, handle in loops.items():
                bands[band].setdefault(loop_name, handle)  # the band's own loops win a clash
        return LoopNest({b: LoopBand(b, loops) for b, loops in bands.items()})

    def __getattr__(self, name: str) -> BufferHandle:
        # ``s.A``: a handle to buffer A (of the top function first, else a unique other one)
        if name.startswith("_"):
            raise AttributeError(name)
        ir = self.__dict__.get("_ir")
        if ir is None:
            raise AttributeError(name)
        top = ir.funcs[ir.top]
        if name in top.buffers():
            return BufferHandle(top.name, name)
        owners = [f.name for f in ir.funcs.values() if name in f.buffers()]
        if len(owners) == 1:
            return BufferHandle(owners[0], name)
        if owners:
            raise UnknownBufferError(f"buffer name {name!r} exists in several functions: "
                                f"{', '.join(owners)}",
                                hint=f"use the string form, e.g. \"{owners[0]}:{name}\"")
        every = sorted({b for f in ir.funcs.values() for b in f.buffers()})
        raise UnknownBufferError(f"the design has no buffer named {name!r}",
                            hint=f"buffers: {', '.join(every)}")

    # ------------------------------------------------------------ primitives
    def apply(self, primitive: str, *, unchecked: bool = False, **arguments: Any) -> Any:
        """Apply a registered primitive by name (every primitive method calls this)."""
        return self._apply(primitive, arguments, {"unchecked": unchecked}, replayed=False)

    @property
    def steps(self) -> Tuple[Step, ...]:
        """The applied primitives, in order, as :class:`~allo.compose.Step` s that
        :meth:`replay` (or ``compose``) applies again."""
        return tuple(self._steps)

    def replay(self, steps: Sequence[Step]) -> None:
        """Apply recorded steps (``other.steps``) to this schedule, all or nothing.

        Example: ``s2 = allo.customize(gemm); s2.replay(s.steps)``.
        """
        with self._transaction():
            for step in steps:
                self._apply(step.primitive, dict(step.arguments), dict(step.options), replayed=False)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """All or nothing: an error inside leaves the schedule as it was."""
        saved = (self._ir, list(self.history), list(self._steps), set(self._fixed_layouts),
                 self._chain)
        try:
            yield
        except BaseException:
            self._ir, self.history, self._steps, self._fixed_layouts, self._chain = saved
            raise

    def _apply(self, primitive: str, arguments: Dict[str, Any], options: Dict[str, Any],
               replayed: bool) -> Any:
        import allo.primitives  # noqa: F401  (registers every primitive family)
        from .ir.verifier import verify_ir

        module, cert, value = apply_primitive(self._ir, primitive, arguments, **options)
        verify_ir(module)
        fixed = self._fixed_layouts
        if PRIMITIVES[primitive].fixes_layouts:
            if not replayed:  # the user's own layouts are fixed; replayed ones are needs
                fixed = fixed | set(changed_layouts(self._ir, module))
            module = reconcile_layouts(module, fixed)
        chain = self._chain.extended(cert, options, self._ir, module)
        if self.verify_each:
            verdict = _verify_modules(self._original, module, chain=chain)
            if not verdict:
                raise ScheduleError(f"after {primitive} the design is not proved equivalent:\n{verdict}",
                                    where=primitive,
                                    hint="undo the last primitive, or inspect the verdict's "
                                         "counterexample")
        self._chain = chain
        self._ir = module
        self._fixed_layouts = fixed
        self.history.append(cert)
        self._steps.append(Step(primitive, dict(cert.arguments), dict(options)))
        return value

    def split(self, axis: Any, factor: int, **kw: Any) -> Any:
        """Split loop ``axis`` into ``axis.outer``/``axis.inner`` (factor need not divide)."""
        return self.apply("split", axis=axis, factor=factor, **kw)

    def reorder(self, *axes: Any, **kw: Any) -> Any:
        """Permute loops of one band; the first argument becomes the outermost."""
        return self.apply("reorder", axes=list(axes), **kw)

    def fuse(self, *axes: Any, **kw: Any) -> Any:
        """Fuse consecutive perfectly nested loops into ``i_j_fused``."""
        return self.apply("fuse", axes=list(axes), **kw)

    def tile(self, *args: Any, **kw: Any) -> Any:
        """Split + reorder: ``tile(x, y, xf, yf)`` -> loops x.outer, y.outer, x.inner, y.inner."""
        return self.apply("tile", args=list(args), **kw)

    def unroll(self, axis: Any, factor: int = 0, **kw: Any) -> Any:
        """Unroll ``axis`` (``factor=0``: fully)."""
        return self.apply("unroll", axis=axis, factor=factor, **kw)

    def pipeline(self, axis: Any, initiation_interval: int = 1, rewind: bool = False, **kw: Any) -> Any:
        """Pipeline loop ``axis`` with the given initiation interval."""
        return self.apply("pipeline", axis=axis, initiation_interval=initiation_interval,
                          rewind=rewind, **kw)

    def parallel(self, axis: Any, **kw: Any) -> Any:
        """Mark ``axis`` parallel (refused when it carries a dependence)."""
        return self.apply("parallel", axis=axis, **kw)

    def compute_at(self, producer: Any, consumer: Any, **kw: Any) -> Any:
        """Move the producer loop into the consumer loop at the given level."""
        return self.apply("compute_at", producer=producer, consumer=consumer, **kw)

    def inline(self, func: Optional[str] = None, **kw: Any) -> Any:
        """Inline function ``func`` (default: mark the top function inline)."""
        return self.apply("inline", func=func, **kw)

    def dataflow(self, target: Any, **kw: Any) -> Any:
        """Mark a function or loop as a dataflow (task-level pipelining) region."""
        return self.apply("dataflow", target=target, **kw)

    def buffer_at(self, target: Any, axis: Any, **kw: Any) -> Any:
        """Create an on-chip buffer for ``target`` at loop ``axis``; returns it."""
        return self.apply("buffer_at", target=target, axis=axis, **kw)

    def reuse_at(self, target: Any, axis: Any, **kw: Any) -> Any:
        """Create a reuse (line/window) buffer for ``target`` at ``axis``; returns it."""
        return self.apply("reuse_at", target=target, axis=axis, **kw)

    def partition(self, target: Any, partition_type: Any = None, dim: Any = 0, factor: int = 0,
                  **kw: Any) -> Any:
        """Partition ``target`` (``dim`` 1-based, 0 = all dims, or a list of dims)."""
        return self.apply("partition", target=target, partition_type=partition_type, dim=dim,
                          factor=factor, **kw)

    def reshape(self, target: Any, shape: Sequence[int], **kw: Any) -> Any:
        """Change a buffer's logical shape (same number of elements)."""
        shape = tuple(shape) if isinstance(shape, (list, tuple)) else (shape,)
        return self.apply("reshape", target=target, shape=shape, **kw)

    def to(self, target: Any, dst: Any, axis: Any = None, depth: int = -1, **kw: Any) -> Any:
        """Turn ``target`` into a FIFO stream to ``dst``. With a PE array (``s.unfold``)
        and ``axis=``, public Allo's spelling of a relay: the PE-local buffer flows
        between neighbouring PEs along ``axis`` (``s.relay`` with the other axis); a
        local array of channels passed to the PE calls as sub-views becomes an array of
        FIFOs (``s.stream_channels``).

        Example: ``s.to(s.B, "j2")``; ``s.to(buf_A, pe, axis=1, depth=5)``."""
        from .primitives.dataflow_channels import passes_sub_views
        from .primitives.dataflow_common import PEArray

        if axis is not None and isinstance(dst, PEArray) and passes_sub_views(self._ir, target):
            return self.apply("stream_channels", target=target, pe=dst, axis=axis,
                              depth=2 if depth == -1 else depth, **kw)
        if axis is not None and isinstance(dst, PEArray):
            spatial = [k for k, name in enumerate(dst.spatial) if name is not None]
            if len(spatial) != 2 or axis not in spatial:
                raise ScheduleError(f"to(axis={axis!r}) on a PE array of spatial positions "
                                    f"{spatial}: the flow axis must be one of two spatial positions",
                                    where="to", hint="use s.relay(buffer, pe, axis=...) "
                                    "(axis: the position the buffer depends on)")
            other = spatial[0] if axis == spatial[1] else spatial[1]
            return self.apply("relay", buffer=target, pe=dst, axis=other,
                              depth=2 if depth == -1 else depth, **kw)
        return self.apply("to", target=target, dst=dst, axis=axis, depth=depth, **kw)

    def pingpong(self, target: Any, **kw: Any) -> Any:
        """Double-buffer ``target`` between the call that writes it and the call that reads it."""
        return self.apply("pingpong", target=target, **kw)

    def stream_channels(self, target: Any, pe: Any, axis: int, depth: int = 2, **kw: Any) -> Any:
        """Turn a local array of channels, passed to PE calls as sub-views, into FIFOs."""
        return self.apply("stream_channels", target=target, pe=pe, axis=axis, depth=depth, **kw)

    def relay(self, buffer: Any, pe: Any, axis: int, depth: int = 2, **kw: Any) -> Any:
        """Pass ``buffer``'s data between neighbouring PEs along ``axis`` through FIFOs."""
        return self.apply("relay", buffer=buffer, pe=pe, axis=axis, depth=depth, **kw)

    def unfold(self, band: Any, axis: Sequence[int] = (0,), factor: Sequence[int] = (), **kw: Any) -> Any:
        """Spatially unroll ``band`` into an array of processing elements; returns it."""
        axis = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        factor = list(factor) if isinstance(factor, (list, tuple)) else [factor]
        return self.apply("unfold", band=band, axis=axis, factor=factor, **kw)

    def compose(self, schs: Any, id: Optional[str] = None, instantiate: Optional[list] = None) -> None:
        """Replay customized sub-kernel schedules into this design (checked by partition
        types; see :mod:`allo.compose`), all or nothing.

        Example: ``s_top.compose(s_matmul)``.
        """
        subs = list(schs) if isinstance(schs, (list, tuple)) else [schs]
        pairs = [p for sub in subs for p in _library_defaults(self._ir, sub, instantiate, id)]
        subs = [sub for sub, _ in pairs]
        for sub in subs:
            if not isinstance(sub, Schedule):
                raise ScheduleError(f"compose expects schedules, got {type(sub).__name__}",
                                    where="compose", hint="pass the result of allo.customize(kernel)")
            if sub is self:
                raise ScheduleError("a schedule cannot be composed into itself", where="compose",
                                    hint="compose the schedules of the kernels this design calls")
        with self._transaction():
            for sub, inst in pairs:
                for step in replay_plan(self._ir, sub.ir, sub.steps, id, inst):
                    if any((step.primitive, step.arguments, step.options) ==
                           (done.primitive, done.arguments, done.options) for done in self._steps):
                        # a callee shared by two composed instances (two identical
                        # systolic tiles) got this very step from the first compose
                        continue
                    self._apply(step.primitive, dict(step.arguments), dict(step.options), replayed=True)
            reconciled = reconcile_layouts(self._ir, self._fixed_layouts)
            self._chain = self._chain.with_layouts_reconciled(self._ir, reconciled)
            self._ir = reconciled

    # ------------------------------------------------------------ dataflow
    def dataflow_graph(self, depths: bool = True) -> Any:
        """The hierarchical dataflow graph (kernel instances, buffers and streams with
        their access orders and rates); print it, ``.to_dot()``, ``.to_png(path)``.
        ``depths=True`` writes each FIFO's computed depth and reason on its edge (when the
        FIFO traffic can be logged).

        Example: ``print(s_top.dataflow_graph())``.
        """
        from .dataflow_graph.depths import TraceUnavailable, size_fifos
        from .dataflow_graph.graph import annotate_depths, dataflow_graph

        g = dataflow_graph(self._ir)
        if depths and any(e.kind == "stream" for sub in g.walk() for e in sub.edges):
            try:
                annotate_depths(g, size_fifos(self._ir))
            except TraceUnavailable:
                pass  # the declared depths stay, marked "declared"
        return g

    def fifo_depths(self) -> Any:
        """The depth every FIFO needs (deadlock-free and stall-free), with its reason.

        Example: ``for d in s_top.fifo_depths(): print(d)``.
        """
        from .dataflow_graph import fifo_depths

        return fifo_depths(self._ir)

    # ------------------------------------------------------------ estimates
    def report(self, clock_mhz: float = 300.0, part: str = "xcu280") -> Any:
        """Estimate latency and resources as Vitis HLS would report them (``allo.qor``).

        Example: ``print(s.report(clock_mhz=300, part="xcu280"))``.
        """
        from .qor import estimate

        return estimate(self._ir, clock_mhz=clock_mhz, part=part)

    # ------------------------------------------------------------ verification and build
    def verify(self, other: Any = None, *, method: str = "auto", cache: Optional[bool] = None,
               **options: Any):
        """Prove the current program equivalent to the original (or to ``other``).

        Returns a verdict that is truthy only when equivalence is proved. ``method`` is
        ``"auto"`` (chosen by estimated cost; the verdict says which and why), ``"full"``
        (symbolic execution), ``"modular"`` or ``"certificates"`` (the chain of rule
        theorems of the applied primitives, O(primitives)); ``cache=False`` bypasses the
        proof cache (:mod:`allo.verification`).

        Example: ``print(s.verify(method="certificates").rests_on)``.
        """
        chain = self._chain if other is None else None
        target = self._original if other is None else _as_module(other)
        return _verify_modules(target, self._ir, chain=chain, method=method, cache=cache,
                               **options)

    def build(self, target: Optional[str] = None, mode: Optional[str] = None,
              project: Optional[str] = None, **options: Any) -> Any:
        """Build for ``"llvm"`` (default), ``"interp"`` (reference interpreter),
        ``"vhls"`` or ``"vitis_hls"``."""
        target = target or "llvm"
        if not isinstance(target, str):
            raise AlloError(f"build target must be a string, got {type(target).__name__} "
                            f"{target!r}", where="build",
                            hint="targets: \"llvm\", \"interp\", \"vhls\", \"vitis_hls\"")
        if target in ("llvm", "interp", "interpreter", "reference"):
            given = [k for k, v in (("mode", mode), ("project", project)) if v is not None]
            if given:
                raise AlloError(f"{' and '.join(f'{k}=' for k in given)} only apply to HLS "
                                f"targets, not target={target!r}", where="build",
                                hint="for C simulation use build(target=\"vitis_hls\", "
                                     "mode=\"csim\")")
        if target == "llvm":
            from .backends.llvm import build as build_llvm

            return build_llvm(self._ir, **options)
        if target in ("interp", "interpreter", "reference"):
            from .backends.interp import Interpreter

            if options:
                raise AlloError(f"unknown option(s) for target={target!r}: "
                                f"{', '.join(map(repr, sorted(options)))}", where="build",
                                hint="the interpreter takes no options")

            return Interpreter(self._ir)
        if target in ("vhls", "vitis_hls", "ihls"):
            from .backends.hls import build as build_hls

            return build_hls(self, target=target, mode=mode, project=project, **options)
        raise AlloError(f"unknown build target {target!r}", where="build",
                        hint="targets: \"llvm\", \"interp\", \"vhls\", \"vitis_hls\"; a dataflow "
                             "design runs on the simulator through allo.dataflow.build(s, "
                             "target=\"simulator\")")


def _as_module(x: Any) -> Module:
    if isinstance(x, Schedule):
        return x.ir
    if isinstance(x, Module):
        return x
    if callable(x):
        from .frontend import parse

        return parse(x, caller_frame=inspect.currentframe().f_back.f_back)
    raise AlloError(f"cannot verify against {type(x).__name__}", where="verify",
                    hint="pass a Schedule, a kernel function or an IR Module")


def _verify_modules(a: Module, b: Module, **options: Any):
    from .verification.methods import verify_modules

    return verify_modules(a, b, **options)


def _library_defaults(module: Module, sub: Any, instantiate: Optional[list],
                      id: Optional[str]) -> List[Any]:
    """The ``(schedule, instantiate)`` pairs ``compose(sub, instantiate=...)`` stands for.

    A library kernel given as a function whose ``instantiate`` matches no instance of
    this design (public Allo composes by the kernel's name) stands for its default schedule
    on each instance the design does call, customized with that instance's own arguments,
    with a warning. Example: ``_library_defaults(s.ir, packed_systolic, [int32, ...], None)``.
    """
    if isinstance(sub, Schedule) or not callable(sub) or instantiate is None or id is not None:
        return [(_library_default(sub, instantiate), instantiate)]
    from .library import KERNEL2SCHEDULE

    if KERNEL2SCHEDULE.get(sub) is None:
        return [(sub, instantiate)]
    name = getattr(sub, "__name__", None)
    called = [f.attrs["instance_args"] for f in module.funcs.values()
              if f.attrs.get("template") == name and "instance_args" in f.attrs]
    if not called or any(list(args) == list(instantiate) for args in called):
        return [(_library_default(sub, instantiate), instantiate)]
    import warnings

    warnings.warn(f"compose({name}, instantiate={instantiate!r}): this design calls "
                  f"{name} only as {', '.join(map(repr, called))}; composing its default "
                  "schedule onto those instances", stacklevel=3)
    unique = []
    for args in called:
        if list(args) not in unique:
            unique.append(list(args))
    return [(_library_default(sub, args), args) for args in unique]


def _library_default(sub: Any, instantiate: Optional[list]) -> Any:
    """``compose(nn.linear2d, instantiate=[...])``: a library kernel given as a function
    stands for its instance customized with the library's default schedule (as public
    Allo does); any other value is returned unchanged."""
    if isinstance(sub, Schedule) or not callable(sub):
        return sub
    from .library import KERNEL2SCHEDULE

    default = KERNEL2SCHEDULE.get(sub)
    if default is None:
        return sub
    return default(customize(sub, instantiate=instantiate))


def customize(fn: Callable[..., Any], instantiate: Optional[list] = None, *,
              verify_each: bool = False, verbose: bool = False, global_vars: Optional[dict] = None,
              enable_tensor: bool = False, lower_linalg: bool = False, context: Any = None,
              typing_rule_set: str = "default", unroll: bool = True) -> Schedule:
    """Parse kernel ``fn`` (and the kernels it calls) into a :class:`Schedule`.

    ``instantiate`` gives a template kernel's type/value arguments; ``verify_each=True``
    proves the design equivalent to the original after every primitive;
    ``global_vars`` maps names the kernel reads to values (ahead of its globals);
    ``verbose=True`` prints the parsed design.

    Public Allo's representation switches are accepted and change nothing here, because
    this project has one IR: ``enable_tensor`` and ``lower_linalg`` (whole-array operations
    are always lowered to loop nests), ``context`` (no MLIR context is shared), ``unroll``
    (``meta_for`` is always unrolled). ``typing_rule_set`` must be ``"default"``.

    Example: ``s = allo.customize(gemm); print(s.module)``.
    """
    from .frontend import parse

    if typing_rule_set != "default":
        raise AlloError(f"typing_rule_set={typing_rule_set!r} is not supported",
                        where=f"allo.customize({getattr(fn, '__name__', fn)!r})",
                        hint="this project has one set of typing rules (docs/semantics.md); "
                             "leave typing_rule_set at \"default\"")
    if unroll is not True:
        raise AlloError("unroll=False (keeping meta_for as loops) is not supported",
                        where=f"allo.customize({getattr(fn, '__name__', fn)!r})",
                        hint="meta_for is always unrolled; use a plain for loop to keep a loop")
    module = parse(fn, instantiate=instantiate, caller_frame=inspect.currentframe().f_back,
                   global_vars=global_vars)
    sched = Schedule(module, verify_each=verify_each)
    if verbose:
        print(sched.module)
    return sched


def verify(a: Any, b: Any, **options: Any):
    """Compare two schedules, kernels or modules; truthy only when proved equivalent.

    Example: ``assert allo.verify(s_reordered, gemm)``.
    """
    from .ir.collector import paused_gc

    with paused_gc():  # lowering and proof build millions of objects (see verify_modules)
        return _verify_modules(_as_module(a), _as_module(b), **options)
