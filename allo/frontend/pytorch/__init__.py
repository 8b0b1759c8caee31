"""``from_pytorch``: a PyTorch model in, composed and verified Allo kernels out.

The model is traced (``torch.export`` by default, ``torch.fx.symbolic_trace`` for plain
modules with ``leaf_modules``), shape-only subgraphs (attention masks, position ids) are
folded into constants, and every operator becomes a call of an :mod:`allo.library.nn`
kernel or a named loop nest in one generated top kernel. Each library call is then
customized with its default schedule, that schedule is proved equivalent to the plain
kernel (``verify()``), and the schedules are composed into the top design.

Example::

    import torch, allo
    mlp = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
    x = torch.randn(2, 8)
    mod = allo.frontend.from_pytorch(mlp, [x])
    out = mod(x.numpy())                 # equals mlp(x)
    print(mod.kernel_verdicts)           # each library kernel's schedule: equivalent
    print(mod.schedule.verify())         # the composed design vs its un-customized hierarchy
"""

from __future__ import annotations

import itertools
import linecache
import time
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from ...errors import AlloError

_COUNTER = itertools.count()
# Verdicts of library schedules already proved in this process, by (kernel, instance):
# the library and its schedules are fixed code, so one proof per instance suffices.
_PROVED: Dict[tuple, Any] = {}


def require_torch() -> Any:
    """Import torch, or say which extra installs it."""
    try:
        import torch  # noqa: F401
    except ImportError:
        raise AlloError("from_pytorch needs PyTorch, which is not installed",
                        where="allo.frontend.from_pytorch",
                        hint="install the extra: pip install 'allo[torch]' "
                             "(torch==2.13.0 and transformers)") from None
    return torch


class PyTorchModule:
    """The built design of an imported model: call it with numpy inputs (the model's
    forward arguments, then the weights when ``weights_as_args=True``).

    Attributes: ``schedule`` (the composed :class:`allo.Schedule`), ``source`` (the
    generated top kernel), ``kernel_verdicts`` (each library instance's schedule verdict),
    ``weights`` (weight arrays, in argument order, when they are arguments), ``quantized``
    (scales and integer weights of quantized layers), ``module`` (the backend module),
    ``timings`` (seconds per import stage).
    """

    def __init__(self, module: Any, schedule: Any, source: str, verdicts: Dict[str, Any],
                 weights: List[np.ndarray], weight_names: List[str],
                 quantized: Dict[str, Any]) -> None:
        self.module = module
        self.schedule = schedule
        self.source = source
        self.kernel_verdicts = verdicts
        self.weights = weights
        self.weight_names = weight_names
        self.quantized = quantized

    def __call__(self, *args: Any) -> Any:
        converted = [a.detach().cpu().numpy() if hasattr(a, "detach") else a for a in args]
        return self.module(*converted)

    def verify(self, **options: Any) -> Any:
        """Prove the composed design equivalent to its un-customized hierarchy."""
        return self.schedule.verify(**options)

    def __str__(self) -> str:
        return str(self.module)


def from_pytorch(model: Any, example_inputs: Sequence[Any], leaf_modules: Optional[Sequence[type]] = None,
                 target: str = "llvm", mode: Optional[str] = None, project: Optional[str] = None,
                 op_dtypes: Optional[Dict[str, Any]] = None, weights_as_args: bool = False, *,
                 tracer: str = "auto", verify: bool = False) -> Any:
    """Import ``model`` (called on ``example_inputs``) as one Allo design.

    Returns the built module for ``target`` (``"llvm"``, ``"interp"``, ``"vhls"``,
    ``"vitis_hls"`` with ``mode``/``project``), or the composed :class:`allo.Schedule`
    when ``target="mlir"``. ``op_dtypes`` quantizes layers (``{"linear": "int8"}``: W8A8;
    ``"int4"``: W4A8); ``weights_as_args`` makes parameters arguments instead of constants;
    ``verify=True`` also proves the composed design against its un-customized hierarchy
    before building (HLS targets always require a proof, as every HLS build does). An
    LLVM or interpreter build is run once on the example inputs and must agree with torch
    (within 1e-4 of the output's scale; quantized imports are exempt), or the import fails.

    Example: ``mod = from_pytorch(mlp, [torch.randn(2, 8)]); mod(x.numpy())``.
    """
    require_torch()
    import allo

    from ...library import KERNEL2SCHEDULE
    from .convert import Converter
    from .quant import QuantSpec
    from .trace import trace

    if tracer not in ("auto", "export", "fx"):
        raise AlloError(f"tracer={tracer!r} is not a tracer", where="from_pytorch",
                        hint="use 'auto', 'export' or 'fx'")
    clock = _Clock()
    was_training = getattr(model, "training", False)
    if was_training:
        model.eval()
    try:
        traced = trace(model, example_inputs, leaf_modules, tracer)
    finally:
        if was_training:
            model.train()
    clock.lap("trace")
    conv = Converter(traced, weights_as_args, QuantSpec(op_dtypes) if op_dtypes else None)
    results = conv.run()
    params = list(conv.args)
    from .emit import TVal

    for name, array in zip(conv.weight_names, conv.weight_args):
        params.append((name, TVal(name, tuple(array.shape), _allo_type(array.dtype))))
    top_name = _top_name(model)
    source = conv.em.source(top_name, params, results)
    fn = _compile(top_name, source, conv.em.globals)

    s = allo.customize(fn)
    clock.lap("lower")
    verdicts: Dict[str, Any] = {}
    seen = set()
    for kernel, inst in conv.em.calls:
        key = (kernel.__name__, _inst_key(inst))
        if key in seen:
            continue
        seen.add(key)
        sched = KERNEL2SCHEDULE[kernel](allo.customize(kernel, instantiate=list(inst)))
        verdict = _PROVED.get(key)
        if verdict is None:
            verdict = sched.verify()
            if verdict:
                _PROVED[key] = verdict
        label = f"{kernel.__name__}[{', '.join(str(a) for a in inst)}]"
        verdicts[label] = verdict
        if not verdict:
            raise AlloError(f"the default schedule of {label} was not proved equivalent: "
                            f"{verdict}", where="from_pytorch",
                            hint="report this: library schedules must verify")
        clock.lap("kernel schedules + verify")
        s.compose(sched, instantiate=list(inst))
        clock.lap("compose")
    if verify:
        verdict = s.verify()
        if not verdict:
            raise AlloError(f"the composed design of {top_name} was not proved equivalent to "
                            f"its un-customized hierarchy: {verdict}", where="from_pytorch")
        clock.lap("verify design")
    if target == "mlir":
        s.kernel_verdicts = verdicts
        s.source = source
        s.timings = clock.laps
        return s
    options: Dict[str, Any] = {} if mode is None else {"mode": mode}
    if target == "llvm":
        options["unroll"] = False  # many small loop nests: unrolling costs compile time
    if project is not None:
        options["project"] = project
    module = s.build(target=target, **options)
    clock.lap("build")
    if target in ("llvm", "interp") and not op_dtypes:
        _check_against_torch(module, traced, conv, top_name)
        clock.lap("check vs torch")
    built = PyTorchModule(module, s, source, verdicts, conv.weight_args, conv.weight_names,
                          conv.quantized)
    built.timings = clock.laps
    return built


def _check_against_torch(module: Any, traced: Any, conv: Any, top_name: str) -> None:
    """Run the built design once on the example inputs and compare with what torch
    computed for them: an import that is wrong for this input never comes back."""
    inputs = [traced.values[n].detach().cpu().numpy() for n in traced.user_inputs]
    got = module(*inputs, *conv.weight_args)
    got = list(got) if isinstance(got, (list, tuple)) else [got]
    for k, (out, ref) in enumerate(zip(got, conv.expected)):
        ref = ref.detach().cpu().numpy()
        scale = max(1.0, float(np.abs(ref).max())) if ref.size else 1.0
        diff = float(np.abs(np.asarray(out, dtype=np.float64) - ref).max()) if ref.size else 0.0
        if not diff <= 1e-4 * scale:
            raise AlloError(f"the imported {top_name} differs from torch on the example inputs "
                            f"(output {k}: max |difference| {diff:.3g})", where="from_pytorch",
                            hint="this is a bug of the importer; please report the model")


class _Clock:
    """Seconds spent per stage of the import (``timings`` on the result)."""

    def __init__(self) -> None:
        self.laps: Dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = self.laps.get(stage, 0.0) + now - self._last
        self._last = now


def _allo_type(dtype: Any) -> Any:
    from ...ir.types import float32, float64, int32, int64

    return {np.dtype(np.float32): float32, np.dtype(np.float64): float64,
            np.dtype(np.int64): int64, np.dtype(np.int32): int32}[np.dtype(dtype)]


def _inst_key(inst: Sequence[Any]) -> tuple:
    return tuple(str(a) for a in inst)


def _top_name(model: Any) -> str:
    import re

    name = re.sub(r"\W", "_", type(model).__name__)
    return name if name.isidentifier() else "top"


def _compile(name: str, source: str, constants: Dict[str, Any]) -> Any:
    """Define the generated kernel in a namespace holding the library, the types and the
    constant tables; its source is registered with linecache so errors can show it."""
    import allo
    from ...ir import types as allo_types
    from ...library import nn

    filename = f"<allo.from_pytorch:{name}:{next(_COUNTER)}>"
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)
    namespace: Dict[str, Any] = {"allo": allo, "nn": nn, "__name__": "allo_from_pytorch"}
    namespace.update({k: getattr(allo_types, k) for k in dir(allo_types) if not k.startswith("_")})
    namespace.update(constants)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own generated code
    return namespace[name]
