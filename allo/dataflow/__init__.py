"""``allo.dataflow``: spatial designs as regions of concurrent kernels connected by streams.

A region holds streams and kernels; each kernel runs as ``prod(mapping)`` processes (PEs)
that know their index through ``df.get_pid()`` (compile-time ints, so ``allo.meta_if`` on
them selects code per PE)::

    import allo, allo.dataflow as df
    from allo.ir.types import int32, Stream

    @df.region()
    def top(A: int32[16], B: int32[16]):
        pipe: Stream[int32, 4]

        @df.kernel(mapping=[1], args=[A])
        def producer(local_A: int32[16]):
            for i in range(16):
                pipe.put(local_A[i])

        @df.kernel(mapping=[1], args=[B])
        def consumer(local_B: int32[16]):
            for i in range(16):
                local_B[i] = pipe.get() + 1

    sim = df.build(top, target="simulator")   # processes on threads, FIFOs of depth 4
    sim(A, B)

The region lowers to ordinary IR (:mod:`.frontend`): one function per kernel instance
(``producer_0``, ``gemm_1_2``) called from a top function marked as a dataflow region, so
``allo.verify(top, plain_kernel)``, ``df.customize(top)`` (``s.partition("top:A", ...)``)
and the HLS backend (``#pragma HLS dataflow``, ``hls::stream``) work on it like on any
design. Targets of :func:`build`: ``"simulator"`` (concurrent, bounded FIFOs, deadlocks
reported), ``"llvm"`` (the processes one after another in a legal order), ``"vhls"`` and
``"vitis_hls"``.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, List, Optional

from ..errors import AlloError, BackendError

TARGETS = ("simulator", "llvm", "vhls", "vitis_hls")


def region() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: the function is a dataflow region (streams + ``@df.kernel`` processes).

    The region is read from its source when it is customized or built, so names it uses
    (sizes, globals) take the values they have then. Regions may be templates
    (``def inner[P0, P1](A: ...)``) and may be called from a kernel of another region.

    Example: ``@df.region()`` above ``def top(A: int32[M, N], B: int32[M, N]): ...``.
    """
    from .frontend import RegionLowerer

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        if not inspect.isfunction(fn):
            raise AlloError(f"@df.region() decorates a function, not {type(fn).__name__}",
                            where="allo.dataflow.region", hint="put it above a 'def'")
        fn.__allo_lowerer__ = RegionLowerer
        fn.__allo_df_region__ = True
        return fn

    return mark


def kernel(mapping: Optional[List[int]] = None, args: Optional[List[Any]] = None
           ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator for a process of a region: ``mapping=[P0, P1]`` instances (one per PE),
    ``args=[A, B]`` the region arguments bound to the kernel's parameters.

    The region's lowering reads the decorator from the source; at run time it only records
    its arguments. Example: ``@df.kernel(mapping=[P0, P1], args=[A, B, C])``.
    """

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.mapping, fn.df_args = mapping, args
        return fn

    return mark


def get_pid() -> Any:
    """Inside a ``@df.kernel``: the PE indices of the instance (``i, j = df.get_pid()``),
    compile-time ints. Calling it outside a kernel is an error.

    Example: ``i, j = df.get_pid()`` as the first statement of a kernel with mapping=[P0, P1].
    """
    raise AlloError("df.get_pid() has a value only inside a @df.kernel of a df.region",
                    where="allo.dataflow.get_pid",
                    hint="write 'i, j = df.get_pid()' as a statement of the kernel")


def _check_region(fn: Any, where: str) -> None:
    if not getattr(fn, "__allo_df_region__", False):
        raise AlloError(f"{where} expects a function decorated with @df.region(), got "
                        f"{getattr(fn, '__name__', type(fn).__name__)!r}", where=where,
                        hint="decorate the design with @df.region(), or use allo.customize "
                             "for a plain kernel")


def customize(fn: Callable[..., Any], instantiate: Optional[list] = None, **_: Any) -> Any:
    """Lower region ``fn`` into a :class:`allo.schedule.Schedule` (instances as functions).

    Example: ``s = df.customize(top); s.partition("top:A", dim=1, factor=2)``.
    """
    from ..frontend import parse
    from ..schedule import Schedule

    _check_region(fn, "df.customize")
    module = parse(fn, instantiate=instantiate, caller_frame=inspect.currentframe().f_back)
    return Schedule(module)


def build(fn: Any, target: str = "vitis_hls", mode: Optional[str] = None,
          project: Optional[str] = None, configs: Any = None, wrap_io: bool = True,
          **options: Any) -> Any:
    """Build region ``fn`` (or a schedule from :func:`customize`) for ``target``.

    ``"simulator"``: a callable running every process on its own thread with FIFOs of the
    declared depths (a deadlock raises an AlloError naming the blocked processes and
    FIFOs). ``"llvm"``: the processes compiled and run one after another in a legal order
    (refused when the process graph has a cycle). ``"vhls"``: the HLS C++ (``.hls_code``).
    ``"vitis_hls"``: the project for ``mode`` (default ``"csim"``, compiled and run with g++
    on first call); modes needing Vitis write the project and raise when called without it.

    Example: ``sim = df.build(top, target="simulator"); sim(A, B)``.
    """
    from ..schedule import Schedule

    if isinstance(fn, Schedule):
        sched = fn
    else:
        _check_region(fn, "df.build")
        sched = customize(fn)
    module = sched.ir
    if target == "simulator":
        from .simulator import Simulator

        _no_options(target, options, mode=mode, project=project)
        return Simulator(module)
    if target == "llvm":
        from ..backends.llvm import build as build_llvm
        from .simulator import require_sequential

        _no_options(target, {}, mode=mode, project=project)
        require_sequential(module)
        return build_llvm(module, **options)
    if target in ("vhls", "vitis_hls"):
        return _build_hls(sched, target, mode, project, options)
    raise AlloError(f"unknown dataflow build target {target!r}", where="df.build",
                    hint=f"targets: {', '.join(map(repr, TARGETS))}")


def _no_options(target: str, options: dict, **given: Any) -> None:
    bad = sorted(list(options) + [k for k, v in given.items() if v is not None])
    if bad:
        raise AlloError(f"option(s) {', '.join(bad)} do not apply to target={target!r}",
                        where="df.build", hint="mode= and project= are for HLS targets")


def _build_hls(sched: Any, target: str, mode: Optional[str], project: Optional[str],
               options: dict) -> Any:
    from ..backends.hls import build as build_hls
    from ..backends.hls.project import MODES

    if target == "vhls":
        return build_hls(sched, target="vhls", project=project, **options)
    mode = mode or "csim"
    if mode not in MODES:
        raise BackendError(f"unknown mode {mode!r}", where="df.build(target='vitis_hls')",
                           hint=f"modes: {', '.join(MODES)}")
    if mode == "csim":
        from .hls import deferred_csim

        return deferred_csim(sched, project, options)
    from .hls import vendor_build

    return vendor_build(sched, mode, project, options)


__all__ = ["region", "kernel", "get_pid", "customize", "build", "TARGETS"]
