"""Whole-design equivalence: symbolic execution of both programs, cell-by-cell comparison.

Both programs run in one :class:`~allo.symexec.dag.Dag` on the same symbolic inputs
(matched by parameter position), after both modules pass the IR verifier (ill-formed IR
gives "unknown") and unless they are structurally identical ("equivalent" at once). Live-outs (returned values, then buffer arguments) are
compared cell by cell; equal node ids are equal values. Cells whose ids differ go
through, in order:

1. a cheap concrete search on the DAG (registry meaning): every input at one special
   value (+-0, +-inf, NaN, extremes), all inputs equal, then random inputs;
2. z3: bit-vectors for integers/fixed point, IEEE floating-point theory for floats
   ("unsat" proves equivalence; "sat" yields a model);
3. on a z3 timeout with floats involved, z3 again with every float operation
   uninterpreted (a sound abstraction for *equality*; a "sat" there proves nothing).

Any candidate counterexample is replayed on the reference interpreter for *both*
programs; only a confirmed difference gives "not equivalent".

Example::

    >>> v = check_equivalence(gemm_ijk, gemm_ikj)   # doctest: +SKIP
    >>> bool(v), v.method                           # doctest: +SKIP
    (True, 'symbolic execution: identical canonical expressions')
"""

from __future__ import annotations

import math
import time
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import z3

from ..errors import AlloError, VerificationError
from ..ir.nodes import Alloc, Module, walk_stmts
from ..ir.state import state_mismatch
from ..ir.verifier import verify_ir
from ..ir.types import BufferType, Float
from .canon import canonical
from .dag import Dag
from .resources import MemoryBudget, MemoryBudgetExceeded
from .executor import (STATE_PREFIX, BudgetExceeded, Deadlock, FifoIssue, NotSICF, OutOfBounds,
                       SymbolicExecutor, SymResult)
from .replay import (SPECIAL_TRIALS, interface_shapes, first_difference, make_args, make_state, random_value,
                     run_interpreter, same_value, special_value)
from .summaries import has_streams, leaves_and_applications, record_proved
from .verdict import EQUIVALENT, NOT_EQUIVALENT, UNKNOWN, Counterexample, Verdict
from .z3_encode import Encoder

Diff = Tuple[str, int, int, int]  # live-out name, flat index, node of A, node of B


def _signature(mod: Module) -> List[Any]:
    """Parameter and result types, without memory layouts: partitioning changes where
    elements live, never their values, so it is not part of the interface compared here."""
    f = mod.top_func
    # a reshaped interface (s.reshape of an argument or result) counts with its original
    # shape: the cells are compared in row-major order, which the reshape keeps
    original = interface_shapes(f)
    strip = lambda t, key: BufferType(t.dtype, original.get(key, t.shape)) \
        if isinstance(t, BufferType) else t  # noqa: E731
    return [strip(p.type, p.name) for p in f.params] + ["->"] + \
        [strip(t, f"return[{k}]") for k, t in enumerate(f.results)]


class EquivalenceChecker:
    """One equivalence check of two modules: both run on one DAG, live-outs compared, then
    concrete search, z3 and confirmation. A modular proof sets ``summaries`` and
    ``labels`` (:mod:`allo.symexec.modular`) before :meth:`run`.
    Example: ``EquivalenceChecker(a, b, "exact", 10_000, 0, 12, 10**8).run()``.
    """

    def __init__(self, mod_a: Module, mod_b: Module, fp: str, timeout_ms: int, seed: int,
                 trials: int, max_ops: int, progress: Optional[bool] = None,
                 max_memory: Optional[int] = None):
        self.a, self.b, self.fp = mod_a, mod_b, fp
        self.timeout_ms, self.trials, self.max_ops = timeout_ms, trials, max_ops
        self.progress = progress
        self.rng = np.random.default_rng(seed)
        self.dag = Dag(fp)
        self.names = [p.name for p in mod_a.top_func.params]
        self.stats: Dict[str, Any] = {}
        self.issues: List[str] = []
        self.t0 = time.perf_counter()
        self.memory = MemoryBudget(max_memory)
        # a modular proof (allo.symexec.modular) sets these; empty: full execution
        self.summaries: Any = None
        self.labels: Dict[str, Dict[str, str]] = {"A": {}, "B": {}}

    # -------------------------------------------------------------- verdict helpers
    def verdict(self, status: str, method: str = "", reason: str = "",
                cex: Optional[Counterexample] = None) -> Verdict:
        self.stats["seconds"] = time.perf_counter() - self.t0
        if self.dag is not None:
            self.stats["dag_nodes"] = len(self.dag)
        return Verdict(status, method, reason, cex, self.stats, self.issues)

    def run(self) -> Verdict:
        try:
            return self._run()
        except (MemoryBudgetExceeded, MemoryError) as e:
            self.dag = None  # free the expression DAG before anything else
            why = str(e) if isinstance(e, MemoryBudgetExceeded) else \
                "the machine ran out of memory (MemoryError)"
            return self.verdict(UNKNOWN, "symbolic execution", f"memory budget: {why}")

    def _run(self) -> Verdict:
        for mod in (self.a, self.b):
            for name, shape in interface_shapes(mod.top_func).items():
                self.issues.append(f"interface: {mod.top}'s {name} was reshaped from {shape}; "
                                   "it is compared element by element in row-major order")
        if _signature(self.a) != _signature(self.b):
            return self.verdict(UNKNOWN, "signature check", "the two programs have different "
                                f"signatures: {_signature(self.a)} vs {_signature(self.b)}")
        why = state_mismatch(self.a, self.b)
        if why is not None:  # the state is an input and an output of every call
            return self.verdict(UNKNOWN, "state check", "the two programs' states (Stateful "
                                f"variables) do not match: {why}; calls of one could leave "
                                "state the other does not have")
        results: List[Optional[SymResult]] = []
        errors: List[Optional[str]] = []
        for label, mod in (("A", self.a), ("B", self.b)):
            expected = self.stats.get("ops_A") if label == "B" else None
            ex = SymbolicExecutor(mod, self.dag, max_ops=self.max_ops, input_names=self.names,
                                  progress=self.progress, label=label, expected_ops=expected,
                                  memory=self.memory, summaries=self.summaries,
                                  summary_labels=self.labels[label])
            try:
                res = ex.run()
                self.stats[f"exec_seconds_{label}"] = res.seconds
                results.append(res)
                errors.append(None)
                self.issues += [_fifo_note(label, i) for i in res.issues]
            except OutOfBounds as e:
                results.append(None)
                errors.append(str(e))
                self.issues.append(f"out-of-bounds: program {label}: "
                                   f"{str(e).replace('out-of-bounds access: ', '', 1)}")
            except NotSICF as e:
                return self.verdict(UNKNOWN, "symbolic execution", f"not SICF: program {label}: {e}")
            except BudgetExceeded as e:
                return self.verdict(UNKNOWN, "symbolic execution", f"budget exceeded in program "
                                    f"{label}: {e}")
            except Deadlock as e:
                results.append(None)
                errors.append(str(e))
                self.issues.append(f"deadlock: program {label}: {e}")
            finally:
                self.stats[f"ops_{label}"] = ex.ops
                self.stats[f"function_runs_{label}"] = dict(ex.callee_runs)
        if errors[0] or errors[1]:
            return self._deadlock(errors)
        per_program = [[i for i in r.issues if i.certain and i.kind == "overflow"] for r in results]
        if any(per_program):
            return self._hardware_deadlock(per_program)
        shared = [i for r in results for i in r.issues if i.kind in ("shared", "unmodelled")]
        if shared:
            return self.verdict(UNKNOWN, "symbolic execution", shared[0].message)
        verdict = self._compare(results[0], results[1])
        leftover = [i for r in results for i in r.issues if i.kind == "leftover"]
        if leftover and verdict.status == EQUIVALENT:
            # one call is equal, but a hardware FIFO keeps its elements across calls: the
            # next call would read them, where the program's semantics start empty
            return self.verdict(UNKNOWN, "symbolic execution", f"{leftover[0].message}: in "
                                "hardware a FIFO keeps its elements across calls, so the next call "
                                "would read them first; equal for one call only")
        return verdict

    # -------------------------------------------------------------- deadlocks
    def _hardware_deadlock(self, per_program: List[List[FifoIssue]]) -> Verdict:
        """A bounded-FIFO deadlock: "not equivalent" when exactly one program deadlocks and
        its FIFOs are single-producer single-consumer (a Kahn network: one maximal
        schedule decides every schedule, and the traffic does not depend on the input);
        otherwise "unknown"."""
        certain = [i for issues in per_program for i in issues]
        text = "hardware deadlock: " + "; ".join(i.message for i in certain)
        decided = all(i.kahn for i in certain)
        if decided and len([p for p in per_program if p]) == 1:
            a_fails = bool(per_program[0])
            message = "; ".join(i.message for i in certain)
            cex = Counterexample({}, error_a=("deadlock: " + message) if a_fails else None,
                                 error_b=None if a_fails else ("deadlock: " + message),
                                 interleaving=message.split("the schedule of puts and gets that blocks: ")[-1])
            return self.verdict(NOT_EQUIVALENT, "symbolic execution + bounded-FIFO schedule of every "
                                "put/get (Kahn network: single-producer single-consumer blocking FIFOs "
                                "with input-independent traffic are determinate, so one maximal schedule "
                                "decides deadlock for all; docs/dataflow.md)", reason=text, cex=cex)
        why = "" if decided else " (not decided for every schedule: a FIFO has several producers or consumers)"
        return self.verdict(UNKNOWN, "symbolic execution", text + why)

    def _deadlock(self, errors: List[Optional[str]]) -> Verdict:
        if errors[0] and errors[1]:
            return self.verdict(UNKNOWN, "symbolic execution", "both programs fail: "
                                f"A: {errors[0]}; B: {errors[1]}")
        # addresses and FIFO traffic do not depend on the input unless a data-dependent
        # branch guards them: replay on zero and a few random inputs to confirm
        leaves = self.dag.input_nodes()
        for trial in range(1 + min(self.trials, 4)):
            env = {} if trial == 0 else \
                {n: random_value(self.dag.type_of(n), self.rng, trial) for n in leaves}
            args = make_args(self.a.top_func, self.names, self.dag, env)
            outs_a, err_a = run_interpreter(self.a, args, self.names)
            outs_b, err_b = run_interpreter(self.b, args, self.names)
            if (err_a is None) != (err_b is None):
                cex = Counterexample(_named(self.names, args), error_a=err_a, error_b=err_b,
                                     outputs_a=outs_a or {}, outputs_b=outs_b or {})
                return self.verdict(NOT_EQUIVALENT, "symbolic execution (the program fails: "
                                    f"{errors[0] or errors[1]}), confirmed by the reference "
                                    "interpreter", cex=cex)
        return self.verdict(UNKNOWN, "symbolic execution", "a program fails under sequential "
                            f"order but the reference interpreter does not confirm it: {errors}")

    # -------------------------------------------------------------- comparison
    def _compare(self, ra: SymResult, rb: SymResult) -> Verdict:
        diffs: List[Diff] = []
        cells = 0
        for oa, ob in zip(ra.outputs, rb.outputs):
            if (oa.shape != ob.shape and math.prod(oa.shape) != math.prod(ob.shape)) or \
                    len(oa.cells) != len(ob.cells):  # equal sizes: a reshaped interface
                return self.verdict(UNKNOWN, "symbolic execution",
                                    f"live-out '{oa.name}' has shape {oa.shape} vs {ob.shape}")
            cells += len(oa.cells)
            for k, (x, y) in enumerate(zip(oa.cells, ob.cells)):
                if x != y:  # raw ids differ: compare canonical forms (lazy, memoized)
                    if len(diffs) & 1023 == 1023:
                        self.memory.check()
                    cx, cy = canonical(self.dag, x), canonical(self.dag, y)
                    if cx != cy:
                        diffs.append((oa.name, k, cx, cy))
        self.order = [o.name for o in ra.outputs]
        self.res = (ra, rb)
        self.stats.update(cells=cells, differing_ids=len(diffs))
        reassoc = self.fp == "reassoc"
        fp_note = (" under fp='reassoc' (float add/mul reassociated: equal up to rounding, "
                   "not bit-exact)" if reassoc else "")
        if not diffs:
            return self.verdict(EQUIVALENT, "symbolic execution: identical canonical "
                                f"expressions{fp_note}")
        cex = self._random_search(diffs)
        if cex is not None:
            return self.verdict(NOT_EQUIVALENT, "symbolic execution + random concrete search, "
                                "confirmed by the reference interpreter", cex=cex)
        try:
            return self._z3(diffs, fp_note)
        except Exception as e:  # noqa: BLE001 - e.g. an ill-typed program: never guess
            return self.verdict(UNKNOWN, "symbolic execution + z3",
                                f"z3 encoding failed: {type(e).__name__}: {e}")

    def _candidate_envs(self, leaves: List[int]):
        """Input assignments to try before z3, each as ``(env, special)``: first every input
        at the same special value (signed zeros, infinities, NaN, extremes: where float
        identities fail), then inputs that are all equal, then random ones."""
        type_of = self.dag.type_of
        seen = set()
        for k in range(SPECIAL_TRIALS if self.trials > 0 else 0):
            env = {n: special_value(type_of(n), k) for n in leaves}
            key = tuple(repr(v) for v in env.values())  # ints repeat some specials
            if key not in seen:
                seen.add(key)
                yield env, True
        for trial in range(min(self.trials, 2)):  # equal inputs: x - y, x == y, max(x, y)
            shared: Dict[Any, Any] = {}
            for n in leaves:
                t = type_of(n)
                if t not in shared:
                    shared[t] = random_value(t, self.rng, trial)
            yield {n: shared[type_of(n)] for n in leaves}, True
        for trial in range(self.trials):
            yield {n: random_value(type_of(n), self.rng, trial) for n in leaves}, False

    def _random_search(self, diffs: List[Diff]) -> Optional[Counterexample]:
        roots = [d[2] for d in diffs] + [d[3] for d in diffs]
        if self.summaries is not None:  # summarized calls: each application is evaluated
            leaves, apps = leaves_and_applications(self.summaries, roots)
        else:
            leaves, apps = self.dag.input_leaves(roots), []
        envs = self._candidate_envs(leaves)
        if apps:  # each trial runs the applications on the interpreter: random ones first
            envs = sorted(envs, key=lambda e: e[1])
        for env, special in envs:
            if apps and not self.summaries.complete(env, apps):
                continue
            with np.errstate(all="ignore"):
                try:
                    va = self.dag.evaluate([d[2] for d in diffs], env)
                    vb = self.dag.evaluate([d[3] for d in diffs], env)
                except Exception:  # e.g. an op undefined on these values: let z3 decide
                    if special:
                        continue
                    return None
            if any(not same_value(x, y) for x, y in zip(va, vb)):
                cex = self._confirm(env)
                if cex is not None:
                    return cex
        return None

    def _z3(self, diffs: List[Diff], fp_note: str) -> Verdict:
        has_float = any(isinstance(self.dag.type_of(d[2]), Float) for d in diffs) or \
            any(isinstance(self.dag.type_of(n), Float) for n in
                self.dag.input_leaves([d[2] for d in diffs] + [d[3] for d in diffs]))
        enc = Encoder(self.dag, "exact")
        solver = z3.Solver()
        solver.set("timeout", int(self.timeout_ms))
        solver.add(z3.Or([enc.differs(d[2], d[3]) for d in diffs]))
        t = time.perf_counter()
        answer = solver.check()
        self.stats["z3_seconds"] = time.perf_counter() - t
        theory = "bit-vectors" + (" and IEEE floating point" if has_float else "")
        approx = sorted(enc.approximations)
        abstraction = f"; uninterpreted: {', '.join(approx)}" if approx else ""
        if answer == z3.unsat:
            return self.verdict(EQUIVALENT, f"symbolic execution + z3 ({theory}{abstraction}) "
                                f"on {len(diffs)} cell(s) with differing expressions{fp_note}")
        if answer == z3.sat:
            model = solver.model()
            env = {n: enc.model_value(model, n) for n in enc.leaves}
            cex = self._confirm(env)
            if cex is not None:
                return self.verdict(NOT_EQUIVALENT, f"symbolic execution + z3 ({theory}), "
                                    "confirmed by the reference interpreter", cex=cex)
            why = ("the z3 model relies on uninterpreted " + ", ".join(approx)) if approx else \
                "z3 found a difference the reference interpreter does not reproduce"
            if all(d[0].startswith(STATE_PREFIX) for d in diffs):
                why = ("the programs differ in the state a call leaves (" +
                       ", ".join(sorted({d[0] for d in diffs})) + "), but no call sequence "
                       "tried shows a difference a caller sees (it may be unobservable)")
            return self.verdict(UNKNOWN, f"symbolic execution + z3 ({theory}{abstraction})",
                                f"{why}; {len(diffs)} cell(s) undecided")
        # timeout / unknown: for floats try the uninterpreted-function abstraction
        if has_float:
            uf = Encoder(self.dag, "uf")
            s2 = z3.Solver()
            s2.set("timeout", int(self.timeout_ms))
            s2.add(z3.Or([uf.differs(d[2], d[3]) for d in diffs]))
            if s2.check() == z3.unsat:
                return self.verdict(EQUIVALENT, "symbolic execution + z3 with uninterpreted "
                                    "float functions (a sound abstraction: equal for every "
                                    f"meaning of the float ops){fp_note}")
            return self.verdict(UNKNOWN, "symbolic execution + z3 (uninterpreted float functions)",
                                "float expressions differ structurally; exact IEEE check timed "
                                f"out after {self.timeout_ms} ms and no concrete counterexample "
                                "was found")
        return self.verdict(UNKNOWN, f"symbolic execution + z3 ({theory})",
                            f"z3 returned {answer} (timeout {self.timeout_ms} ms: "
                            f"{solver.reason_unknown()})")

    # -------------------------------------------------------------- confirmation
    def _interpret(self, mod: Module, args: List[Any],
                   state: Optional[Dict[str, np.ndarray]] = None):
        """One reference-interpreter run of a whole program (live-outs, error). Calls of
        summarized callees (deterministic functions of their arguments) are memoized on
        their argument bytes: each distinct call still runs on the interpreter."""
        memo = self.summaries.memo_for("A" if mod is self.a else "B") \
            if self.summaries is not None else None
        return run_interpreter(mod, args, self.names, state, memo=memo)

    def _confirm(self, env: Dict[int, Any]) -> Optional[Counterexample]:
        args = make_args(self.a.top_func, self.names, self.dag, env)
        state = make_state(self.a, self.dag, env)
        initial = make_state(self.a, self.dag, {})
        if any(not np.array_equal(state[k], initial[k]) for k in state):
            # a difference from a state other than the initial one may be unreachable: only
            # a difference on the first call (from the initial state) is a counterexample
            state = initial
        outs_a, err_a = self._interpret(self.a, args, state)
        outs_b, err_b = self._interpret(self.b, args, state)
        inputs = _named(self.names, args)
        inputs.update({STATE_PREFIX + k: v for k, v in state.items()})
        if err_a or err_b:
            if (err_a is None) != (err_b is None):
                return Counterexample(inputs, error_a=err_a, error_b=err_b,
                                      outputs_a=outs_a or {}, outputs_b=outs_b or {})
            return None
        first = first_difference(outs_a, outs_b, self.order)
        if first is None:
            return None
        if first[0].startswith(STATE_PREFIX):
            # only what a caller sees counts: a state difference is a counterexample once a
            # later call returns something different
            first = first_difference(outs_a, outs_b, [n for n in self.order
                                                      if not n.startswith(STATE_PREFIX)])
            if first is None:
                return self._later_calls(args, inputs, outs_a, outs_b)
        name, idx, va, vb = first
        expr_a = expr_b = ""
        for out_a, out_b in zip(*[r.outputs for r in self.res]):
            if out_a.name == name:
                flat = int(np.ravel_multi_index(idx, out_a.shape)) if out_a.shape else 0
                expr_a = self.dag.pretty(out_a.cells[flat])
                expr_b = self.dag.pretty(out_b.cells[flat])
        return Counterexample(inputs, name, tuple(int(i) for i in idx), expr_a, expr_b, va, vb,
                              outs_a, outs_b)


    def _later_calls(self, args: List[Any], inputs: Dict[str, Any], outs_a: Dict[str, Any],
                     outs_b: Dict[str, Any], calls: int = 4) -> Optional[Counterexample]:
        """Call both programs again with the same arguments, each from the state its
        previous call left, until what a caller sees differs (a counterexample: a call
        sequence from the initial state) or ``calls`` more calls agree (None)."""
        observable = [n for n in self.order if not n.startswith(STATE_PREFIX)]
        for k in range(2, calls + 2):
            runs = []
            for mod, outs in ((self.a, outs_a), (self.b, outs_b)):
                state = {n[len(STATE_PREFIX):]: v for n, v in outs.items()
                         if n.startswith(STATE_PREFIX)}
                runs.append(self._interpret(mod, args, state))
            (outs_a, err_a), (outs_b, err_b) = runs
            seq = dict(inputs, calls=f"{k} calls with these arguments, from the initial state")
            if err_a or err_b:
                if (err_a is None) != (err_b is None):
                    return Counterexample(seq, error_a=err_a, error_b=err_b,
                                          outputs_a=outs_a or {}, outputs_b=outs_b or {})
                return None
            first = first_difference(outs_a, outs_b, observable)
            if first is not None:
                name, idx, va, vb = first
                return Counterexample(seq, f"{name} of call {k}", tuple(int(i) for i in idx),
                                      "", "", va, vb, outs_a, outs_b)
        return None


def _fifo_note(label: str, issue: FifoIssue) -> str:
    """One line of the verdict's issues, starting with its kind (``note:`` if uncertain)."""
    note = "" if issue.certain else "note: "
    return f"{note}{issue.kind}: program {label}: {issue.message}"


def _named(names: List[str], args: List[Any]) -> Dict[str, Any]:
    return dict(zip(names, args))


_FP_MODES = ("exact", "reassoc")
_OPTIONS = ("fp", "timeout_ms", "seed", "random_trials", "max_ops", "max_memory", "progress")


def _bad_option(what: str, hint: str) -> VerificationError:
    return VerificationError(what, where="verify", hint=hint)


def check_options(fp: Any, timeout_ms: Any, seed: Any, random_trials: Any, max_ops: Any,
                  progress: Any, unknown: Dict[str, Any], max_memory: Any = None) -> None:
    """Raise :class:`~allo.errors.VerificationError` for an unknown or ill-typed option.

    Example: ``check_options("fast", 1000, 0, 12, 10**6, None, {})`` raises (fp is
    "exact" or "reassoc").
    """
    valid = ", ".join(_OPTIONS)
    if unknown:
        names = ", ".join(repr(k) for k in sorted(unknown))
        raise _bad_option(f"unknown verify option(s) {names}", f"valid options: {valid}")
    if fp not in _FP_MODES:
        raise _bad_option(f"option fp={fp!r} is not a float mode",
                          "use fp=\"exact\" (bit-exact floats) or fp=\"reassoc\" "
                          "(float add/mul chains may be reordered)")
    for name, value, least in (("timeout_ms", timeout_ms, 1), ("seed", seed, 0),
                               ("random_trials", random_trials, 0), ("max_ops", max_ops, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise _bad_option(f"option {name}={value!r} must be an integer >= {least}",
                              f"valid options: {valid}")
    if max_memory is not None and (isinstance(max_memory, bool) or
                                   not isinstance(max_memory, (int, np.integer)) or max_memory < 1):
        raise _bad_option(f"option max_memory={max_memory!r} must be a number of bytes >= 1 "
                          "(or None for the default share of RAM)", f"valid options: {valid}")
    if progress is not None and not isinstance(progress, bool):
        raise _bad_option(f"option progress={progress!r} must be True, False or None",
                          f"valid options: {valid}")


def structural_key(mod: Module) -> str:
    """A serialization that is equal only for structurally identical modules.

    Node ``repr`` covers every field but source locations; constant tables are added by
    content because numpy abbreviates large arrays in ``repr``. Example:
    ``structural_key(m) == structural_key(m.copy())``.
    """
    parts = [f"top={mod.top!r}"]
    for name in sorted(mod.funcs):
        f = mod.funcs[name]
        parts.append(f"{name!r}: {f!r}")
        for st in walk_stmts(f.body):
            if isinstance(st, Alloc) and isinstance(st.init, np.ndarray):
                init = st.init
                parts.append(f"{st.name}: {init.dtype} {init.shape} " + (
                    repr(init.tolist()) if init.dtype == object else
                    np.ascontiguousarray(init).tobytes().hex()))
    return "\n".join(parts)


def check_equivalence(mod_a: Module, mod_b: Module, *, fp: str = "exact",
                      timeout_ms: int = 10_000, seed: int = 0, random_trials: int = 12,
                      max_ops: int = 200_000_000, progress: Optional[bool] = None,
                      max_memory: Optional[int] = None, **unknown: Any) -> Verdict:
    """Decide whether two IR modules compute the same live-outs for every input.

    ``fp="exact"`` compares floats bit-exactly; ``fp="reassoc"`` also accepts reordered
    float add/mul chains (and says so). ``timeout_ms`` bounds each z3 query, ``max_ops``
    the symbolic work, ``max_memory`` the growth of resident memory in bytes (default:
    half of RAM or 80% of the available RAM; reaching it gives "unknown: memory budget"); ``progress`` (default: stderr is a TTY) draws a progress bar for
    runs longer than 2 s. A bad option raises :class:`~allo.errors.VerificationError`;
    an ill-formed module gives "unknown" with the IR error. Example::

        v = check_equivalence(mod_a, mod_b)
        if not v: print(v.report())
    """
    check_options(fp, timeout_ms, seed, random_trials, max_ops, progress, unknown, max_memory)
    checker = EquivalenceChecker(mod_a, mod_b, fp, timeout_ms, seed, random_trials, max_ops, progress,
                       max_memory)
    for label, mod in (("A", mod_a), ("B", mod_b)):
        try:  # never reason about (let alone call equivalent) IR that breaks the IR rules
            verify_ir(mod)
        except AlloError as e:
            return checker.verdict(UNKNOWN, "IR verification",
                                   f"program {label} is ill-formed IR: {e}")
    for label, mod in (("A", mod_a), ("B", mod_b)):
        reason = ping_pong_values(mod)
        if reason:  # identical programs too: the other side may be the design sent to HLS
            return checker.verdict(UNKNOWN, "dataflow ping-pong buffers", f"program {label}: {reason}")
    # equal structural keys need equal function names (the key lists them): compare those
    # first, so a df region's thousands of processes are not serialized for nothing
    if mod_a.top == mod_b.top and mod_a.funcs.keys() == mod_b.funcs.keys() and \
            structural_key(mod_a) == structural_key(mod_b) and not has_streams(mod_a):
        record_proved(mod_a, mod_b, fp)
        return checker.verdict(EQUIVALENT, "identical programs")
    for label, mod in (("A", mod_a), ("B", mod_b)):
        reason = _not_sequential(mod)
        if reason:
            return checker.verdict(UNKNOWN, "dataflow process order", f"program {label}: {reason}")
    verdict = checker.run()
    if verdict:
        record_proved(mod_a, mod_b, fp)
    return verdict


def ping_pong_values(mod: Module) -> str:
    """Why a dataflow loop of ``mod`` kept as a loop may read, through a ping-pong buffer, a
    value sequential semantics does not give (an element written in another iteration or
    not at all; :mod:`allo.primitives.dataflow_pipo`), or "". The executor runs its tasks
    on one copy of each array, so only this rule makes its values the hardware's.
    Example: ``ping_pong_values(s.ir) == ""`` after a successful ``s.dataflow("i")``."""
    from ..primitives.dataflow_pipo import dataflow_loop_violation

    why = dataflow_loop_violation(mod)
    return "" if why is None else (why + "; the executor's sequential values are not the "
                                   "hardware's, so no verdict other than unknown is sound")


def _not_sequential(mod: Module) -> str:
    """Why the processes of an ``allo.dataflow`` region cannot be run one after another
    (the executor's order) as a stand-in for every concurrent schedule, or ""."""
    for f in mod.funcs.values():
        cycle = f.attrs.get("df_cycle")
        if cycle:
            return (f"the processes of dataflow region '{f.name}' feed each other "
                    f"({' -> '.join(cycle)} -> {cycle[0]}), so no sequential order runs them "
                    "and the executor runs processes one after another; run it with "
                    "df.build(..., target=\"simulator\")")
        shared = f.attrs.get("df_shared_fifo")
        if shared:
            return (f"in dataflow region '{f.name}' {shared}: with more than one writer or "
                    "reader per FIFO the result may depend on the schedule (not a Kahn "
                    "network), so one sequential order proves nothing")
    return ""


__all__ = ["check_equivalence", "check_options", "structural_key", "EquivalenceChecker",
           "ping_pong_values"]
