"""Modular equivalence: calls to callees proved equivalent become uninterpreted functions.

When the two programs call a callee pair that is proved equivalent (the two callees are
structurally identical, or an earlier verdict of this process proved them, or this module
proves them on the spot), each call is not executed: every element a call writes, and
every value it returns, becomes a fresh DAG leaf named by the *application*
``(class, argument vectors)``. Argument vectors (the cells of each buffer argument, the
node of each scalar) are hash-consed, so two calls of one class on identical argument
nodes get the same leaves in both programs, and comparing them is syntactic. The callee
body runs symbolically once per pair (its own proof), not once per call site.

Why this is sound (docs/verification.md, "Modular proofs"): a summarized callee is a
deterministic function of its arguments and of its state (no stream parameters, no globals:
the IR has none; ``Stateful`` storage is an input and an output of each application, the
state cells in the executor's one storage per design, so consecutive calls chain it), every
element it may write is replaced, and a call whose
buffer arguments overlap in memory is executed instead of summarized. Leaves are a
*relaxation* of the callee (any values at all), so equal outputs over leaves are equal for
the real callee; a difference is only a candidate: it is searched concretely with each
application evaluated by running the callee on the reference interpreter, and confirmed
on the reference interpreter for the whole programs.

Example::

    >>> from allo.symexec.modular import plan_summaries
    >>> plan = plan_summaries(mod_a, mod_b, prove=check_equivalence)  # doctest: +SKIP
    >>> sorted(plan.labels_a)                                          # doctest: +SKIP
    ['tile']
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

import numpy as np

from ..ir.aliasing import written_params
from ..ir.fingerprint import FingerprintError, fingerprint
from ..ir.state import state_signature, state_vars
from ..ir.nodes import Alloc, Module, walk_stmts
from ..ir.types import AlloType, BufferType, Qualified, StreamType, bool_
from .dag import INPUT, Dag

#: leaves of summarized calls are named ``UF_MARK + "<application>.<output>"``
UF_MARK = "\u00a7"

# (fingerprint of A's callee, fingerprint of B's callee, fp mode): proved equivalent in
# this process (by any verdict: a schedule's own verify(), or a callee proof below)
# -> how it was proved ("symbolic execution", "certificates", ...), named in the verdict
_PROVED: Dict[Tuple[str, str, str], str] = {}
# tables of proved pairs that outlive this process: objects with ``recall(key_a, key_b,
# fp) -> how or None`` and ``remember(key_a, key_b, fp, how)``; the proof cache registers itself here
# when imported (allo.verification.cache), so this module never imports it (no circle)
PROOF_STORES: List[Any] = []


def design_key(module: Module) -> Optional[str]:
    """The structural fingerprint of ``module``'s top and what it calls, whatever the top
    function is called (a kernel proved on its own is called ``linear2d`` there and
    ``linear2d_0`` inside a composed design); None when it has no fingerprint.

    Example: ``design_key(m) == design_key(m.copy())``.
    """
    sub = module.sub_module(module.top)
    top = dataclasses.replace(sub.funcs[module.top], name=_TOP)
    funcs = {n: f for n, f in sub.funcs.items() if n != module.top}
    try:
        return fingerprint(Module({_TOP: top, **funcs}, _TOP))
    except FingerprintError:
        return None


_TOP = "\u00a7top"  # no Allo function can be called this


def record_proved(mod_a: Module, mod_b: Module, fp: str, how: str = "symbolic execution") -> None:
    """Remember that ``mod_a`` and ``mod_b`` were proved equivalent under ``fp`` (``how``:
    the method, named by modular verdicts that rest on it).

    Example: ``record_proved(s.original, s.ir, "exact")`` after an equivalent verdict.
    """
    ka, kb = design_key(mod_a), design_key(mod_b)
    if ka is not None and kb is not None:
        if (ka, kb, fp) not in _PROVED:
            for store in PROOF_STORES:  # the on-disk proof cache, when enabled
                store.remember(ka, kb, fp, how)
        _PROVED.setdefault((ka, kb, fp), how)
        _PROVED.setdefault((kb, ka, fp), how)


def was_proved(key_a: str, key_b: str, fp: str) -> Optional[str]:
    """How the pair was proved equivalent in this process, or in an earlier run (a
    registered :data:`PROOF_STORES` table: the proof cache, when enabled), or None; an
    exact proof also holds under ``fp="reassoc"``. Example: ``was_proved(ka, kb, "exact")``."""
    how = _PROVED.get((key_a, key_b, "exact")) or _PROVED.get((key_a, key_b, fp))
    if how:
        return how
    for store in PROOF_STORES:
        earlier = store.recall(key_a, key_b, "exact") or store.recall(key_a, key_b, fp)
        if earlier:
            how = f"{earlier} in an earlier run (proof cache)"
            _PROVED[(key_a, key_b, fp)] = how
            return how
    return None


def forget_proofs() -> None:
    """Empty the in-process table of proved callee pairs (tests). Example: ``forget_proofs()``."""
    _PROVED.clear()


def has_streams(module: Module) -> bool:
    """Whether a design declares a FIFO: identical programs with FIFOs are still executed,
    since both may deadlock in hardware (then the verdict is not "equivalent").

    Example: ``has_streams(allo.customize(gemm).ir)`` is False.
    """
    for f in module.funcs.values():
        for t in f.buffers().values():
            if isinstance(t, StreamType) or (isinstance(t, BufferType) and t.is_stream):
                return True
    return False


def not_summarizable(module: Module, name: str) -> Optional[str]:
    """Why calls to ``name`` cannot be summarized by a function of their arguments, or None.

    Stream parameters are side channels. Stateful storage is allowed: it becomes an input
    and an output of each application (:class:`CalleeClass` ``state``).
    Example: ``not_summarizable(m, "producer")`` -> ``"parameter 'out' is a stream"``.
    """
    sub = module.sub_module(name)
    for fname, f in sub.funcs.items():
        for p in f.params:
            if isinstance(p.type, Qualified) or (isinstance(p.type, BufferType) and
                                                 isinstance(p.type.dtype, Qualified)):
                return f"parameter '{p.name}' of '{fname}' is qualified ({p.type!r})"
            if fname == name and (isinstance(p.type, StreamType) or
                                  (isinstance(p.type, BufferType) and p.type.is_stream)):
                return f"parameter '{p.name}' of '{fname}' is a stream"
        if f.attrs.get("stateful") or f.attrs.get("state"):
            return f"'{fname}' keeps state across calls outside Stateful buffers"
        for s in walk_stmts(f.body):
            if isinstance(s, Alloc) and (isinstance(s.type, Qualified) or
                                         isinstance(getattr(s.type, "dtype", None), Qualified)):
                return f"'{s.name}' of '{fname}' is qualified ({s.type!r})"
    return None


@dataclass
class CalleeClass:
    """One summarized callee pair: its label, interface and the written outputs."""

    label: str
    name: str
    module: Module  # program A's callee (with its callees), for concrete evaluation
    params: List[Any]  # parameter types by position
    results: List[Any]
    written: Tuple[int, ...]  # positions of written buffer parameters (union of A and B)
    how: str  # "identical" or "proved"
    # the callee's state (Stateful buffers of it and what it calls): (key in the callee's
    # own module, key in the calling design, type); read and written by every application
    state: List[Tuple[str, str, BufferType]] = field(default_factory=list)


@dataclass
class SummaryPlan:
    """Which callees each program summarizes (function name -> label) and the classes."""

    classes: Dict[str, CalleeClass] = field(default_factory=dict)
    labels_a: Dict[str, str] = field(default_factory=dict)
    labels_b: Dict[str, str] = field(default_factory=dict)
    skipped: Dict[str, str] = field(default_factory=dict)  # callee -> why not summarized
    proof_stats: Dict[str, Any] = field(default_factory=dict)
    issues: List[str] = field(default_factory=list)

    def describe(self) -> str:
        """``"modular: 2 callees summarized (tile: proved, pe: identical)"``."""
        parts = ", ".join(f"{c.name}: {c.how}" for c in self.classes.values())
        n = len(self.classes)
        return f"modular: {n} callee{'s' if n != 1 else ''} summarized ({parts})"


def _reachable_callees(module: Module) -> List[str]:
    return [n for n in module.sub_module(module.top).funcs if n != module.top]


def plan_summaries(mod_a: Module, mod_b: Module, prove: Callable[[Module, Module], Any],
                   fp: str = "exact") -> SummaryPlan:
    """Pair the callees of both programs by name and decide which are summarized.

    A pair is summarized when both are summarizable and they are structurally identical,
    were proved equivalent earlier in this process, or ``prove(callee_a, callee_b)``
    returns an equivalent verdict now. Example: ``plan_summaries(a, b, check_equivalence)``.
    """
    plan = SummaryPlan()
    names_b = set(_reachable_callees(mod_b))
    written_a, written_b = written_params(mod_a), written_params(mod_b)
    for name in _reachable_callees(mod_a):
        if name not in names_b:
            continue
        why = not_summarizable(mod_a, name) or not_summarizable(mod_b, name)
        fa, fb = mod_a.funcs[name], mod_b.funcs[name]
        sig = lambda f: [_strip(p.type) for p in f.params] + ["->"] + [_strip(t) for t in f.results]  # noqa: E731
        if why is None and sig(fa) != sig(fb):
            why = "the two callees have different signatures"
        sub_a, sub_b = mod_a.sub_module(name), mod_b.sub_module(name)
        ka, kb = design_key(sub_a), design_key(sub_b)
        if why is None and (ka is None or kb is None):
            why = "no structural fingerprint"
        if why is None and state_signature(sub_a) != state_signature(sub_b):
            # the pair's proof compares next states key by key from equal states: only
            # callees with the same state table are one function of (arguments, state)
            why = "the two callees have different state tables (Stateful buffers)"
        if why is not None:
            plan.skipped[name] = why
            continue
        # an identical callee with FIFOs may deadlock in both programs alike: it is
        # executed once (its own check) before it is summarized, as any other pair
        identical = ka == kb and not has_streams(sub_a)
        earlier = was_proved(ka, kb, fp) if not identical else None
        if earlier and state_signature(sub_a) and not earlier.startswith(_STATEFUL_PROOFS):
            earlier = None  # a stateful pair rests only on proofs from every state: prove it
        how = "identical" if identical else f"proved earlier by {earlier}" if earlier else None
        if how is None:
            verdict = prove(sub_a, sub_b)
            plan.proof_stats[name] = {k: v for k, v in getattr(verdict, "stats", {}).items()
                                      if k in ("ops_A", "ops_B", "seconds", "exec_seconds_A",
                                               "exec_seconds_B", "function_runs_A",
                                               "function_runs_B")}
            if not verdict:
                plan.skipped[name] = f"not proved equivalent ({verdict.status}: " \
                    f"{verdict.reason or verdict.method})"
                continue
            plan.issues += [f"{i} (in callee '{name}')" for i in verdict.issues]
            record_proved(sub_a, sub_b, fp, "modular" if "modular" in verdict.method else
                          "symbolic execution")
            how = "proved"
        names = {p.name: k for k, p in enumerate(fa.params)}
        names_b_ = {p.name: k for k, p in enumerate(fb.params)}
        written = {names[p] for p in written_a.get(name, ())} | \
            {names_b_[p] for p in written_b.get(name, ())}
        label = f"{name}#{ka[:10]}{kb[:10]}"
        state = [(v.key, f"{v.func}.{v.name}", v.type)
                 for v in sorted(state_vars(sub_a), key=lambda v: v.key)]
        plan.classes[label] = CalleeClass(label, name, sub_a, [p.type for p in fa.params],
                                          list(fa.results), tuple(sorted(written)), how, state)
        plan.labels_a[name] = plan.labels_b[name] = label
    return plan


# methods whose "equivalent" holds from every state (symbolic state leaves), so a stateful
# pair proved by one of them may be summarized; others are proved again here
_STATEFUL_PROOFS = ("symbolic execution", "modular")


def _strip(t: Any) -> Any:
    return BufferType(t.dtype, t.shape) if isinstance(t, BufferType) else t


class CallSummaries:
    """The run-time side, shared by both programs' executors: interns argument vectors and
    applications, and writes the output leaves of each summarized call.

    Example: ``CallSummaries(plan, dag).apply(executor, "tile#..", fn, None, args)``.
    """

    def __init__(self, plan: SummaryPlan, dag: Dag) -> None:
        self.plan, self.dag = plan, dag
        self.vectors: Dict[Tuple[int, ...], int] = {}
        self.vector_list: List[Tuple[int, ...]] = []
        self.apps: Dict[Tuple[Any, ...], int] = {}
        self.app_list: List[Tuple[str, Tuple[Any, ...]]] = []
        self.summarized: Dict[str, int] = {}
        self.summarized_in: Dict[Tuple[str, str], int] = {}  # (program label, callee)
        self.executed: Dict[str, int] = {}  # calls run instead (aliasing, path condition)
        self.why_executed: Dict[str, str] = {}
        self.output_cells: Dict[Tuple[int, str], List[int]] = {}
        self._memo: Dict[str, Dict[str, Dict]] = {}  # program -> callee -> interpreter memo
        self._selects: Dict[AlloType, Callable] = {}

    def _vector(self, cells: List[int]) -> int:
        key = tuple(cells)
        vid = self.vectors.get(key)
        if vid is None:
            vid = self.vectors[key] = len(self.vector_list)
            self.vector_list.append(key)
        return vid

    def apply(self, ex: Any, label: str, fn: Callable, pc: Optional[int], args: List[Any]) -> List[Any]:
        """The results of one call: summarized, or ``fn`` executed when it may not be."""
        cls = self.plan.classes[label]
        why = self._must_execute(cls, pc, args)
        if why is not None:
            self.executed[cls.name] = self.executed.get(cls.name, 0) + 1
            self.why_executed.setdefault(cls.name, why)
            return fn(pc, *args)
        key: List[Any] = [label]
        for a in args:
            key.append(("v", self._vector(a.cells())) if hasattr(a, "store") else ("s", a))
        stores = [ex.state_store(outer) for _, outer, _ in cls.state]
        for store in stores:  # the current state: an input of the application
            key.append(("v", self._vector(list(store))))
        app_key = tuple(key)
        app = self.apps.get(app_key)
        if app is None:
            app = self.apps[app_key] = len(self.app_list)
            self.app_list.append((label, app_key[1:]))
        self.summarized[cls.name] = self.summarized.get(cls.name, 0) + 1
        where = (getattr(ex, "label", ""), cls.name)
        self.summarized_in[where] = self.summarized_in.get(where, 0) + 1
        for k in cls.written:
            view = args[k]
            n = cls.params[k].size
            ex.reserve(n, 200)
            cells = self._outputs(app, str(k), n, view.dtype)
            lo = view.offset
            if pc is None:
                view.store[lo:lo + n] = cells
            else:  # a call under a data-dependent condition: it writes only when pc holds
                sel = self._select(view.dtype)
                old = view.store[lo:lo + n]
                view.store[lo:lo + n] = [sel(pc, c, o) for c, o in zip(cells, old)]
        for (inner, _, t), store in zip(cls.state, stores):  # the next state, in place: the
            cells = self._outputs(app, f"s:{inner}", t.size, t.dtype)  # next call reads it
            if pc is None:
                store[:] = cells
            else:
                sel = self._select(t.dtype)
                store[:] = [sel(pc, c, o) for c, o in zip(cells, list(store))]
        out: List[Any] = []
        for r, t in enumerate(cls.results):
            if isinstance(t, BufferType):
                from .executor import View
                cells = list(self._outputs(app, f"r{r}", t.size, t.dtype))
                out.append(View(f"{UF_MARK}{app}.r{r}", cells, 0, t.shape, t.dtype))
            else:
                out.append(self.dag.input(f"{UF_MARK}{app}.r{r}", -1, t))
        return out

    def _select(self, t: AlloType) -> Callable[[int, int, int], int]:
        fn = self._selects.get(t)
        if fn is None:
            from .builders import make_builder

            fn = self._selects[t] = make_builder(self.dag, "select", t, (bool_, t, t))
        return fn

    def _outputs(self, app: int, which: str, n: int, t: AlloType) -> List[int]:
        """The leaves of one output of an application (interned once, shared by A and B)."""
        key = (app, which)
        cells = self.output_cells.get(key)
        if cells is None:
            cells = self.output_cells[key] = self.dag.input_block(f"{UF_MARK}{app}.{which}", n, t)
        return cells

    @staticmethod
    def _must_execute(cls: CalleeClass, pc: Optional[int], args: List[Any]) -> Optional[str]:
        views = []
        for k, (a, t) in enumerate(zip(args, cls.params)):
            if isinstance(t, BufferType):
                if not hasattr(a, "store") or tuple(a.shape) != tuple(t.shape):
                    return "an argument does not match the parameter's shape"
                views.append((k, a))
        for n, (i, a) in enumerate(views):  # exact run-time overlap of the memory ranges
            for j, b in views[n + 1:]:
                if a.store is b.store and (i in cls.written or j in cls.written):
                    sa, sb = cls.params[i].size, cls.params[j].size
                    if a.offset < b.offset + sb and b.offset < a.offset + sa:
                        return f"arguments {i} and {j} overlap in memory"
        return None

    # ------------------------------------------------------------ concrete meaning
    def memo_for(self, program: str) -> Dict[str, Dict]:
        """Interpreter memo tables (callee name -> table) for program "A" or "B": an
        identical callee shares one table between both programs (it is one function); a
        pair proved equivalent does not (each program's confirmation runs its own code)."""
        tables = self._memo.setdefault(program, {})
        for cls in self.plan.classes.values():
            if cls.name not in tables:
                shared = cls.how == "identical"
                other = self._memo.get("B" if program == "A" else "A", {})
                tables[cls.name] = other.get(cls.name) if shared and cls.name in other else {}
        return tables

    def application_of(self, nid: int) -> Optional[int]:
        """The application whose output leaf ``nid`` is, or None for a real input."""
        node = self.dag.node(nid)
        if node[0] != INPUT:
            return None
        name = self.dag.names[node[2]]
        if not name.startswith(UF_MARK):
            return None
        return int(name[1:].split(".", 1)[0])

    def argument_nodes(self, app: int) -> List[int]:
        """Every DAG node an application reads (its argument cells and scalars)."""
        out: List[int] = []
        for kind, v in self.app_list[app][1]:
            if kind == "v":
                out.extend(self.vector_list[v])
            else:
                out.append(v)
        return out

    def complete(self, env: Dict[int, Any], apps: List[int]) -> bool:
        """Give every output leaf of ``apps`` (sorted) its value: each application is run
        on the reference interpreter with its argument values under ``env``. False when
        some application cannot be evaluated (e.g. it fails on these values)."""
        from ..backends.interp import Interpreter

        interps: Dict[str, Any] = {}
        memo = self.memo_for("A")  # the classes' modules are program A's callees
        dag = self.dag
        for app in apps:
            label, parts = self.app_list[app]
            cls = self.plan.classes[label]
            try:
                args = []
                n_args = len(cls.params)
                for (kind, v), t in zip(parts[:n_args], cls.params):
                    if kind == "v":
                        vals = dag.evaluate(list(self.vector_list[v]), env)
                        arr = np.array(vals, dtype=_container(t.dtype)).reshape(t.shape)
                        args.append(arr)
                    else:
                        args.append(dag.evaluate([v], env)[0])
                state = {}
                for (kind, v), (inner, _, t) in zip(parts[n_args:], cls.state):
                    vals = dag.evaluate(list(self.vector_list[v]), env)
                    state[inner] = np.array(vals, dtype=_container(t.dtype)).reshape(t.shape)
                if cls.state:  # one interpreter per application: it holds that state
                    it = Interpreter(cls.module, state=state, memo=memo)
                else:
                    it = interps.get(label) or interps.setdefault(label, Interpreter(cls.module, memo=memo))
                with np.errstate(all="ignore"):
                    results = it.run(cls.name, args)
                next_state = {inner: np.asarray(it.state.get(inner, state[inner]))
                              for inner, _, _ in cls.state}
            except Exception:  # noqa: BLE001 - e.g. the callee fails on these values
                return False
            for inner, _, t in cls.state:
                _assign(dag, env, f"{UF_MARK}{app}.s:{inner}", next_state[inner], t.dtype)
            for k in cls.written:
                _assign(dag, env, f"{UF_MARK}{app}.{k}", args[k], cls.params[k].dtype)
            for r, (t, val) in enumerate(zip(cls.results, results)):
                name = f"{UF_MARK}{app}.r{r}"
                if isinstance(t, BufferType):
                    _assign(dag, env, name, np.asarray(val), t.dtype)
                else:
                    nid = dag.find_input(name, -1, t)
                    if nid is not None:
                        env[nid] = _value(val, t)
        return True


def _container(t: AlloType) -> Any:
    from ..runtime import container_dtype

    return container_dtype(t)


def _value(x: Any, t: AlloType) -> Any:
    """A container element in the DAG's value representation (ints/raw bits as int)."""
    if t.is_int:
        return int(x)
    return np.asarray(x, dtype=_container(t))[()]


def _assign(dag: Dag, env: Dict[int, Any], name: str, arr: np.ndarray, t: AlloType) -> None:
    if name not in dag.name_ids:
        return
    for c, x in enumerate(np.asarray(arr).reshape(-1)):
        nid = dag.find_input(name, c, t)
        if nid is not None:
            env[nid] = _value(x, t)


def leaves_and_applications(summaries: CallSummaries, roots: List[int]) -> Tuple[List[int], List[int]]:
    """The real input leaves and the applications ``roots`` depend on, through the
    arguments of applications too. Example: ``leaves_and_applications(s, [cell])``."""
    apps: Set[int] = set()

    def through(leaf: int) -> Optional[List[int]]:
        app = summaries.application_of(leaf)
        if app is None:
            return None  # a real input
        if app in apps:
            return []
        apps.add(app)
        return list(summaries.argument_nodes(app))

    leaves = summaries.dag.input_leaves(roots, through)
    return leaves, sorted(apps)


__all__ = ["plan_summaries", "SummaryPlan", "CalleeClass", "CallSummaries",
           "design_key", "record_proved", "was_proved", "forget_proofs", "not_summarizable",
           "leaves_and_applications", "UF_MARK"]
