"""Compile time of the 30 PolyBench kernels: Allo (source -> callable) vs numba (the same loop
nests, jitted), measured in the same run.

    python bench/bench_compile.py [--repeat 3] [--only gemm,lu] [--opt-level 2] [--scale 1]

* Allo: ``design_<name>()`` (parse the kernel, customize, apply its schedule with its side
  conditions; no equivalence check) then ``s.build(opt_level=...)`` (LLVM, O2 by default,
  + JIT), with the process-wide LLVM build cache cleared first, so every measurement
  compiles; nothing compiled is kept across measurements. The part before LLVM
  (source -> scheduled IR) is printed too.
* numba: the same kernel function, translated mechanically to plain Python loops (the
  annotations dropped, ``allo.grid`` expanded to nested ``range`` loops, ``allo.sqrt`` ->
  ``np.sqrt``, local declarations -> ``np.full``/scalar constructors), then
  ``numba.njit(...).compile(signature of the real inputs)`` on a fresh dispatcher.
* Both callables are run on the same inputs and must agree, so the two compilers compile
  the same computation: the largest difference over every output, relative to the
  output's largest magnitude (at least 1), at most 1e-3. They differ by rounding only:
  numba computes ``0.5 * x`` in float64 where the float32 kernel computes in float32.

Best of ``--repeat`` per kernel, the contenders interleaved. Wall-clock time, and the
process's CPU time (``time.process_time``), which other processes on a loaded machine
inflate far less. Also printed: the ratio to the ~1 s per kernel that public Allo's paper
reports for its MLIR flow.

``--scale F`` multiplies the examples' problem sizes (``N``, ``M``, ...) by F before the
kernels are customized (their annotations are read then), e.g. ``--scale 16`` for
N = 128: compile time at sizes where LLVM no longer unrolls loops fully. Constants that
the examples derive from the sizes at import (``FLOAT_N``, ...) keep their small-size
values; both contenders see the same ones.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import inspect
import re
import sys
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import allo  # noqa: E402
import allo.backends.llvm as llvm_backend  # noqa: E402
from allo.ir.types import AlloType, BufferType  # noqa: E402

FILES = ("polybench", "polybench_algebra", "polybench_solvers")
PUBLIC_ALLO_SECONDS_PER_KERNEL = 1.0
_MATH = {"sqrt": "sqrt", "exp": "exp", "log": "log", "abs": "abs", "sin": "sin", "cos": "cos",
         "tanh": "tanh", "floor": "floor", "ceil": "ceil"}


SIZE_NAMES = ("N", "M", "S3", "NR", "NQ", "NP", "NX", "NY", "W", "H")


def load_example(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_example_{name}",
                                                  ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def scaled(module: Any, factor: int) -> Iterator[None]:
    """Inside, the example's problem sizes are ``factor`` times larger (restored after).

    Example: ``with scaled(polybench, 16): s = polybench.design_gemm()`` customizes a
    128 x 128 GEMM.
    """
    saved = {n: getattr(module, n) for n in SIZE_NAMES if hasattr(module, n)}
    for n, v in saved.items():
        setattr(module, n, v * factor)
    try:
        yield
    finally:
        for n, v in saved.items():
            setattr(module, n, v)


def inputs_for(module: Any, s: Any, shapes: Sequence[Tuple[Any, ...]], seed: int) -> List[np.ndarray]:
    """Random inputs for the design ``s``: the kinds of the example's ``shapes`` table (dtype,
    "spd", ...) with the shapes of ``s``'s parameters (which ``scaled`` may have changed).

    Example: ``inputs_for(polybench, s, polybench.KERNELS["gemm"][2], 3)``.
    """
    params = s.top_func.params
    entries = [(tuple(p.type.shape),) + tuple(entry[1:]) for p, entry in zip(params, shapes)]
    return module.random_inputs(entries, seed)


# ------------------------------------------------------------------ Allo kernel -> numba
class _ToPlainPython(ast.NodeTransformer):
    """Rewrite an Allo kernel's AST into plain Python that numba compiles."""

    def __init__(self, namespace: Dict[str, Any]):
        self.ns = namespace

    def _type_of(self, node: ast.AST) -> Any:
        text = node.value if isinstance(node, ast.Constant) else ast.unparse(node)
        return eval(text, dict(self.ns))  # noqa: S307 - the kernel's own annotation

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        node.decorator_list, node.returns = [], None
        for a in node.args.args:
            a.annotation = None
        node.type_params = []
        self.generic_visit(node)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        t = self._type_of(node.annotation)
        value = self.visit(node.value) if node.value is not None else ast.Constant(0)
        if isinstance(t, BufferType) and t.shape:
            dtype = np.dtype(t.dtype.numpy_dtype()).name
            call = f"np.full({tuple(t.shape)!r}, 0, np.{dtype})"
            init = ast.parse(call, mode="eval").body
            init.args[1] = value
            return ast.copy_location(ast.Assign([ast.Name(node.target.id, ast.Store())], init), node)
        dtype = np.dtype((t.dtype if isinstance(t, BufferType) else t).numpy_dtype()).name
        call = ast.Call(ast.parse(f"np.{dtype}", mode="eval").body, [value], [])
        return ast.copy_location(ast.Assign([ast.Name(node.target.id, ast.Store())], call), node)

    def visit_For(self, node: ast.For) -> Any:
        self.generic_visit(node)
        it = node.iter
        if isinstance(it, ast.Call):
            it.keywords = [k for k in it.keywords if k.arg != "name"]
            if isinstance(it.func, ast.Attribute) and it.func.attr in ("grid", "reduction"):
                targets = node.target.elts if isinstance(node.target, ast.Tuple) else [node.target]
                body = node.body
                for target, extent in reversed(list(zip(targets, it.args))):
                    body = [ast.For(target, ast.Call(ast.Name("range", ast.Load()), [extent], []),
                                    body, [])]
                return body[0]
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        f = node.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "allo" \
                and f.attr in _MATH:
            node.func = ast.Attribute(ast.Name("np", ast.Load()), _MATH[f.attr], ast.Load())
        return node


def to_numba(fn: Callable, bindings: Dict[str, Any]) -> Callable:
    """The plain-Python twin of Allo kernel ``fn`` (template parameters bound), not yet jitted.

    Example: ``numba.njit(to_numba(gemm, {}))``.
    """
    fn = inspect.unwrap(fn)
    source = textwrap.dedent(inspect.getsource(fn))
    namespace = dict(fn.__globals__)
    for name, value in bindings.items():
        namespace[name] = value.numpy_dtype().type if isinstance(value, AlloType) else value
    type_ns = dict(fn.__globals__, **bindings)
    tree = ast.fix_missing_locations(_ToPlainPython(type_ns).visit(ast.parse(source)))
    namespace["np"] = np
    exec(compile(tree, f"<numba twin of {fn.__name__}>", "exec"), namespace)  # noqa: S102
    return namespace[fn.__name__]


def kernel_of(module: Any, design: Callable) -> Tuple[Callable, Dict[str, Any]]:
    """The kernel a ``design_*`` customizes and its template bindings (read from its source)."""
    src = inspect.getsource(design)
    name = re.search(r"allo\.customize\((\w+)", src).group(1)
    fn = getattr(module, name)
    bindings: Dict[str, Any] = {}
    inst = re.search(r"instantiate=(\[[^\]]*\])", src)
    if inst:
        args = eval(inst.group(1), vars(module))  # noqa: S307 - the example's own list
        bindings = dict(zip(fn.__allo_template__, args))
    return fn, bindings


# ------------------------------------------------------------------ measurement
def _as_list(v: Any) -> List[np.ndarray]:
    if v is None:
        return []
    return [np.asarray(x) for x in (v if isinstance(v, (list, tuple)) else [v])]


def measure(module: Any, name: str, repeat: int, opt_level: int,
            versus: Optional[int] = None) -> Dict[str, float]:
    import numba

    design, _, shapes = module.KERNELS[name]
    fn, bindings = kernel_of(module, design)
    twin = to_numba(fn, bindings)
    allo_best = numba_best = front_best = allo_cpu = numba_cpu = float("inf")
    versus_best = versus_cpu = float("inf")
    for _ in range(repeat):
        if versus is not None:  # the same source -> callable at the other level
            llvm_backend._cache.clear()
            start, cpu = time.perf_counter(), time.process_time()
            design().build(opt_level=versus)
            versus_best = min(versus_best, time.perf_counter() - start)
            versus_cpu = min(versus_cpu, time.process_time() - cpu)
        llvm_backend._cache.clear()
        start, cpu = time.perf_counter(), time.process_time()
        s = design()
        middle = time.perf_counter()
        built = s.build(opt_level=opt_level)
        end = time.perf_counter()
        allo_cpu = min(allo_cpu, time.process_time() - cpu)
        if end - start < allo_best:
            allo_best, front_best = end - start, middle - start
        inputs = inputs_for(module, s, shapes, 3)
        signature = tuple(numba.typeof(a) for a in inputs)
        start, cpu = time.perf_counter(), time.process_time()
        jitted = numba.njit(cache=False)(twin)
        jitted.compile(signature)
        numba_best = min(numba_best, time.perf_counter() - start)
        numba_cpu = min(numba_cpu, time.process_time() - cpu)
    ours, theirs = [a.copy() for a in inputs], [a.copy() for a in inputs]
    got, want = _as_list(built(*ours)) + ours, _as_list(jitted(*theirs)) + theirs
    diff = max((float(np.abs(a.astype(np.float64) - b.astype(np.float64)).max())
                / max(1.0, float(np.abs(b.astype(np.float64)).max()))
                for a, b in zip(got, want) if a.size), default=0.0)
    return {"allo": allo_best, "front": front_best, "numba": numba_best, "diff": diff,
            "allo_cpu": allo_cpu, "numba_cpu": numba_cpu, "versus": versus_best,
            "versus_cpu": versus_cpu}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated kernel names")
    ap.add_argument("--opt-level", type=int, default=llvm_backend.DEFAULT_OPT_LEVEL,
                    choices=llvm_backend.OPT_LEVELS, help="LLVM optimisation level of the build")
    ap.add_argument("--scale", type=int, default=1, help="multiply the problem sizes by this")
    ap.add_argument("--versus-level", type=int, default=None, choices=llvm_backend.OPT_LEVELS,
                    help="also time Allo at this LLVM level, interleaved (e.g. 3)")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    rows = []
    print(f"LLVM opt_level={args.opt_level}, problem sizes x{args.scale}; wall-clock seconds "
          f"(CPU seconds of this process in the summary)")
    print(f"{'kernel':<16} {'allo s':>8} {'(to IR)':>8} {'numba s':>8} {'numba/allo':>10} "
          f"{'rel. diff':>11}")
    for file in FILES:
        module = load_example(file)
        for name in module.KERNELS:
            if only and name not in only:
                continue
            with scaled(module, args.scale):
                r = measure(module, name, args.repeat, args.opt_level, args.versus_level)
            rows.append(r)
            print(f"{name:<16} {r['allo']:8.3f} {r['front']:8.3f} {r['numba']:8.3f} "
                  f"{r['numba'] / r['allo']:10.2f} {r['diff']:11.2e}")
    if not rows:
        print("no kernel selected")
        return 1
    allo_total = sum(r["allo"] for r in rows)
    numba_total = sum(r["numba"] for r in rows)
    per_kernel = allo_total / len(rows)
    print(f"{len(rows)} kernels: allo {allo_total:.2f} s, numba {numba_total:.2f} s "
          f"(numba / allo = {numba_total / allo_total:.2f}); allo {per_kernel * 1e3:.0f} ms per "
          f"kernel, {PUBLIC_ALLO_SECONDS_PER_KERNEL / per_kernel:.1f}x faster than public "
          f"Allo's ~{PUBLIC_ALLO_SECONDS_PER_KERNEL:.0f} s per kernel")
    allo_cpu = sum(r["allo_cpu"] for r in rows)
    numba_cpu = sum(r["numba_cpu"] for r in rows)
    print(f"CPU time: allo {allo_cpu:.2f} s, numba {numba_cpu:.2f} s (numba / allo = "
          f"{numba_cpu / allo_cpu:.2f}); allo {allo_cpu / len(rows) * 1e3:.0f} ms per kernel, "
          f"{PUBLIC_ALLO_SECONDS_PER_KERNEL * len(rows) / allo_cpu:.1f}x faster than public Allo's "
          f"~{PUBLIC_ALLO_SECONDS_PER_KERNEL:.0f} s")
    if args.versus_level is not None:
        wall = sum(r["versus"] for r in rows)
        cpu = sum(r["versus_cpu"] for r in rows)
        print(f"allo at opt_level={args.versus_level}, same run: {wall / len(rows) * 1e3:.0f} ms per "
              f"kernel wall ({allo_total / wall:.2f} of it at opt_level={args.opt_level}), "
              f"{cpu / len(rows) * 1e3:.0f} ms CPU ({allo_cpu / cpu:.2f}); numba / allo = "
              f"{numba_total / wall:.2f} wall, {numba_cpu / cpu:.2f} CPU")
    front = sum(r["front"] for r in rows) / len(rows)
    print(f"of which source -> scheduled IR (parse, customize, schedule): {front * 1e3:.0f} ms per "
          f"kernel (wall); the rest is LLVM (O{args.opt_level}) code generation and JIT")
    worst = max(r["diff"] for r in rows)
    print(f"largest relative difference between the two compiled kernels: {worst:.2e}")
    return 0 if worst <= 1e-3 else 1


if __name__ == "__main__":
    sys.exit(main())
