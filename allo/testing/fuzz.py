"""The reliability campaign: random kernels x random schedules, checked end to end.

For each program (``kernels`` x ``schedules`` of :mod:`allo.testing`):

1. every drawn primitive applies or is refused with an ``AlloError`` (anything else is an
   internal error);
2. ``verify()`` of the schedule against the original is "equivalent" (or "unknown" with
   a reason, counted); "not equivalent" means an applied primitive changed results;
3. the reference interpreter and the LLVM JIT agree bit for bit on random inputs
   (results and in-place arguments); for an "equivalent" verdict the original program
   agrees too (else the verifier is wrong);
4. on a seeded sample, the Vitis HLS C simulation (g++) agrees with the interpreter.

Nothing raises: every failure is recorded with its stage, the error and a reproducer
(the module's text and the schedule steps). ``bench/fuzz.py`` is the command line; the
test suite runs a short seeded campaign.

Example::

    report = run_campaign(n=50, seed=0, csim_every=0)
    assert not report.failures, report.summary()
"""

from __future__ import annotations

import tempfile
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional

import numpy as np
from hypothesis import HealthCheck, Phase, given, seed as hyp_seed, settings, strategies as st

from ..errors import AlloError
from .compare import outputs_equal
from .inputs import copy_args, inputs_for
from .kernels import KernelFeatures, kernels
from .schedules import PRIMITIVES, apply_steps

FEATURES = KernelFeatures(max_extent=5)


@dataclass
class Failure:
    """One finding: ``kind`` is "internal error", "not equivalent", "disagreement" or
    "verifier wrong"; ``stage`` where it happened; ``repro`` the module and the steps."""

    index: int
    kind: str
    stage: str
    message: str
    repro: str

    def __str__(self) -> str:
        return f"#{self.index} {self.kind} at {self.stage}: {self.message}\n{self.repro}"


@dataclass
class Report:
    programs: int = 0
    steps: Counter = field(default_factory=Counter)  # "split applied", "split refused"
    verdicts: Counter = field(default_factory=Counter)
    unknown_reasons: Counter = field(default_factory=Counter)
    llvm_checked: int = 0
    csim_checked: int = 0
    failures: List[Failure] = field(default_factory=list)
    unknowns: List[str] = field(default_factory=list)  # the first verdicts "unknown", in full
    seconds: float = 0.0

    @property
    def schedules_applied(self) -> int:
        return sum(n for k, n in self.steps.items() if k.endswith(" applied"))

    def summary(self) -> str:
        applied = sum(n for k, n in self.steps.items() if k.endswith("applied"))
        refused = sum(n for k, n in self.steps.items() if k.endswith("refused"))
        kinds = Counter(f.kind for f in self.failures)
        lines = [f"programs: {self.programs}, primitive calls: {applied + refused} "
                 f"({applied} applied, {refused} refused with an AlloError)",
                 f"verdicts: {dict(self.verdicts)}",
                 f"interpreter == LLVM checked: {self.llvm_checked}; csim checked: "
                 f"{self.csim_checked}",
                 f"failures: {len(self.failures)} {dict(kinds)}",
                 f"wall-clock: {self.seconds:.1f} s"]
        if self.unknown_reasons:
            lines.append("unknown reasons: " + "; ".join(
                f"{r} x{n}" for r, n in self.unknown_reasons.most_common(6)))
        return "\n".join(lines)


def _reason_class(reason: str) -> str:
    return reason.split(":")[0][:60] if reason else "?"


def _describe(module: Any, steps: List[Any]) -> str:
    from ..ir.printer import to_mlir

    try:
        text = to_mlir(module)
    except Exception:  # noqa: BLE001 - a reproducer must never mask the finding
        text = repr(module)
    return text + "\n" + "\n".join(str(s) for s in steps)


def _run(fn: Callable, args: List[Any]) -> Any:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args)


def in_original_shapes(values: Any, original: Any) -> Any:
    """The schedule's results (or arguments) ``values`` in the shapes of the original's
    ``original``: ``reshape`` of a top-level argument or result moves its new shape into the
    signature (``attrs["interface_shapes"]``), and ``verify()`` compares such an interface in
    row-major order, so the campaign does too.

    Example: ``in_original_shapes([np.zeros(4)], [np.zeros((2, 2))])[0].shape == (2, 2)``.
    """
    if isinstance(values, (list, tuple)) and isinstance(original, (list, tuple)) \
            and len(values) == len(original):
        return type(values)(in_original_shapes(v, o) for v, o in zip(values, original))
    if isinstance(values, np.ndarray) and isinstance(original, np.ndarray) \
            and values.size == original.size and values.shape != original.shape:
        return values.reshape(original.shape)
    return values


def in_signature_shapes(args: List[Any], func: Any) -> List[Any]:
    """The arguments ``args`` (drawn for the original kernel) in the shapes of ``func``'s
    parameters: ``reshape`` of a top-level argument changes the signature, so the schedule
    takes the same elements, row-major, in its new shape (views: in-place results land in
    ``args``).

    Example: ``in_signature_shapes([np.zeros(4)], func)[0].shape == (2, 2)`` for ``A: int32[2, 2]``.
    """
    out = []
    for a, p in zip(args, func.params):
        shape = tuple(getattr(p.type, "shape", ()) or ())
        if isinstance(a, np.ndarray) and shape and a.shape != shape and a.size == int(np.prod(shape)):
            a = a.reshape(shape)
        out.append(a)
    return out + list(args[len(func.params):])


def check_program(index: int, data: Any, report: Report, csim: bool, features: KernelFeatures,
                  max_steps: int, timeout_ms: int) -> None:
    """Draw one kernel and schedule from ``data`` (hypothesis) and run every check."""
    from ..backends.interp import Interpreter
    from ..backends.llvm import build as llvm_build
    from ..schedule import Schedule

    module = data.draw(kernels(features), label="kernel")
    steps: List[Any] = []

    def fail(kind: str, stage: str, message: str) -> None:
        report.failures.append(Failure(index, kind, stage, message, _describe(module, steps)))

    def internal(stage: str, exc: BaseException) -> None:
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-6:])
        fail("internal error", stage, f"{type(exc).__name__}: {exc}\n{tb}")

    try:
        s = Schedule(module.copy())
        steps = apply_steps(data.draw, s, max_steps, PRIMITIVES)
    except Exception as e:  # noqa: BLE001 - a primitive failed without an AlloError
        internal("schedule", e)
        return
    report.programs += 1  # every draw of a program succeeded (hypothesis may abandon one)
    for st_ in steps:
        report.steps[f"{st_.primitive} {'applied' if st_.outcome == 'applied' else 'refused'}"] += 1
    try:
        verdict = s.verify(timeout_ms=timeout_ms, cache=False)  # exercise the verifier
    except Exception as e:  # noqa: BLE001
        internal("verify", e)
        return
    report.verdicts[verdict.status] += 1
    if verdict.status == "unknown":
        report.unknown_reasons[_reason_class(verdict.reason)] += 1
        if len(report.unknowns) < 20:
            report.unknowns.append(f"#{index}: {verdict.report()}\n{_describe(module, steps)}")
    if verdict.status == "not equivalent":
        fail("not equivalent", "verify", verdict.report())
    args = data.draw(inputs_for(module.top_func), label="inputs")
    try:
        ref_args = in_signature_shapes(copy_args(args), s.ir.top_func)
        expected = _run(Interpreter(s.ir), ref_args)
    except AlloError as e:
        fail("internal error", "interpreter", f"{type(e).__name__}: {e}")
        return
    except Exception as e:  # noqa: BLE001
        internal("interpreter", e)
        return
    try:
        jit_args = in_signature_shapes(copy_args(args), s.ir.top_func)
        got = _run(llvm_build(s.ir), jit_args)
        report.llvm_checked += 1
        if not (outputs_equal(expected, got) and outputs_equal(ref_args, jit_args)):
            fail("disagreement", "interpreter vs LLVM",
                 f"inputs {args!r}: interpreter {expected!r} {ref_args!r}, LLVM {got!r} {jit_args!r}")
    except Exception as e:  # noqa: BLE001 - includes AlloErrors: LLVM must build every kernel
        internal("llvm", e)
    if verdict.status == "equivalent":
        try:
            orig_args = copy_args(args)
            original = _run(Interpreter(module), orig_args)
            # a reshaped argument or result (in the signature) compares row-major, as verify() does
            as_original = in_original_shapes(expected, original), in_original_shapes(ref_args, orig_args)
            if not (outputs_equal(as_original[0], original) and outputs_equal(as_original[1], orig_args)):
                fail("verifier wrong", "interpreter(original) vs interpreter(schedule)",
                     f"'equivalent', but on inputs {args!r} the original gives {original!r} "
                     f"{orig_args!r} and the schedule {expected!r} {ref_args!r}")
        except Exception as e:  # noqa: BLE001
            internal("interpreter (original)", e)
    if csim:
        try:
            with tempfile.TemporaryDirectory(prefix="allo-fuzz-") as tmp:
                mod = s.build(target="vitis_hls", mode="csim", project=f"{tmp}/p.prj",
                              verify=verdict.status == "equivalent")
                csim_args = in_signature_shapes(copy_args(args), s.ir.top_func)
                got = _run(mod, csim_args)
            report.csim_checked += 1
            if not (outputs_equal(expected, got) and outputs_equal(ref_args, csim_args)):
                fail("disagreement", "interpreter vs csim",
                     f"inputs {args!r}: interpreter {expected!r} {ref_args!r}, csim {got!r} "
                     f"{csim_args!r}")
        except Exception as e:  # noqa: BLE001
            internal("csim", e)


def run_campaign(n: int, seed: int = 0, csim_every: int = 0, features: Optional[KernelFeatures] = None,
                 max_steps: int = 3, timeout_ms: int = 2000,
                 progress: Optional[Callable[[Report], None]] = None) -> Report:
    """Run ``n`` random programs (deterministic for a ``seed``); return the report.

    ``csim_every=k`` also runs the C simulation on every k-th program (0: never).
    ``progress(report)`` is called after every program. Example: ``run_campaign(20).failures``.
    """
    report = Report()
    features = features or FEATURES
    counter = [0]
    t0 = time.perf_counter()

    @hyp_seed(seed)
    @settings(max_examples=n, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=False)
    @given(data=st.data())
    def campaign(data):
        index = counter[0]
        counter[0] += 1
        csim = bool(csim_every) and report.programs % csim_every == 0
        check_program(index, data, report, csim, features, max_steps, timeout_ms)
        report.seconds = time.perf_counter() - t0
        if progress is not None:
            progress(report)

    campaign()
    report.seconds = time.perf_counter() - t0
    return report


__all__ = ["run_campaign", "check_program", "Report", "Failure", "FEATURES"]
