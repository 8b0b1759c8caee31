"""Trip counts in the names of the kernel's sizes: ``N_i -> M``, ``N_i_outer ->
ceiling(M/4)``, ``N_i_j_fused -> M*N``, from the loop headers of the source
(``for i, j in allo.grid(M, N)``, ``range(1, K)``), so a report's latency formula reads in
``M``, ``N``, ``K`` (:meth:`allo.qor.report.Report.formula_in_sizes`).

A loop whose header cannot be read (a loop made by ``buffer_at``, a bound that is not an
expression of names and numbers) keeps its trip symbol ``N_<loop>``. A mapping that
disagrees with the trip counts the estimate used (the same size name for two different
extents) is dropped, so a formula in size names is never inconsistent with the numbers.

Example::

    size_symbols(module)   # {"N_i": M, "N_j": N, "N_k": K}
"""

from __future__ import annotations

import ast
from typing import Any, Dict, List, Optional

from ..ir.nodes import For, Module

_LOOP_CALLS = {"grid", "reduction", "range"}


def _header_bounds(loop: For) -> Dict[str, Any]:
    """``{loop variable: sympy extent}`` from the source line of the loop's header."""
    import sympy

    text = getattr(loop.loc, "text", "") if loop.loc is not None else ""
    try:
        node = ast.parse(text.strip() + ("" if text.strip().endswith(":") else ":") + "\n    pass")
    except SyntaxError:
        return {}
    stmt = node.body[0] if node.body else None
    if not isinstance(stmt, ast.For) or not isinstance(stmt.iter, ast.Call):
        return {}
    func = stmt.iter.func
    fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if fname not in _LOOP_CALLS:
        return {}
    targets = [stmt.target] if isinstance(stmt.target, ast.Name) else list(getattr(stmt.target, "elts", []))
    names = [t.id for t in targets if isinstance(t, ast.Name)]
    args = [a for a in stmt.iter.args if not isinstance(a, ast.Constant) or not isinstance(a.value, str)]

    def expr(a: ast.expr) -> Optional[Any]:
        try:
            return sympy.sympify(ast.unparse(a), locals={n: sympy.Symbol(n, positive=True, integer=True)
                                                         for n in _names(a)})
        except (sympy.SympifyError, TypeError, SyntaxError):
            return None

    if fname == "range":
        if len(names) != 1 or not 1 <= len(args) <= 3:
            return {}
        lo, hi = (0, expr(args[0])) if len(args) == 1 else (expr(args[0]), expr(args[1]))
        step = expr(args[2]) if len(args) == 3 else 1
        if lo is None or hi is None or step is None:
            return {}
        return {names[0]: sympy.ceiling((hi - lo) / step)}
    out = {}
    for n, a in zip(names, args):
        e = expr(a)
        if e is not None:
            out[n] = e
    return out


def _names(a: ast.expr) -> List[str]:
    return [n.id for n in ast.walk(a) if isinstance(n, ast.Name)]


def size_symbols(module: Module, trips: Dict[str, int]) -> Dict[str, Any]:
    """``{trip symbol: sympy expression in size names}`` for the loops of ``module`` whose
    headers name their extents, checked against ``trips`` (symbol -> value): a size name
    that would take two different values is dropped with every mapping using it."""
    import sympy

    extents: Dict[str, Any] = {}
    loops: Dict[str, For] = {}
    for func in module.funcs.values():
        for loop in func.loops():
            loops[loop.name] = loop
            for var, e in _header_bounds(loop).items():
                extents.setdefault(var, e)
    out: Dict[str, Any] = {}
    for name, loop in loops.items():
        sym = "N_" + name.replace(".", "_")
        if sym not in trips:
            continue
        base = name.split(".")[0]
        if name.endswith(".inner"):
            out[sym] = sympy.Integer(trips[sym])
        elif name.endswith(".outer") and base in extents and f"N_{base}_inner" in trips:
            out[sym] = sympy.ceiling(extents[base] / trips[f"N_{base}_inner"])
        elif name.endswith("_fused"):
            parts = name[: -len("_fused")].split("_")
            if all(p in extents for p in parts):
                out[sym] = sympy.Mul(*[extents[p] for p in parts])
        elif name in extents:
            out[sym] = extents[name]
    # consistency: every size symbol must have one value across the loops that use it
    values: Dict[Any, set] = {}
    for sym, e in out.items():
        free = sorted(e.free_symbols, key=str)
        if len(free) == 1 and e == free[0]:
            values.setdefault(free[0], set()).add(trips[sym])
    bad = {s for s, vals in values.items() if len(vals) > 1}
    return {k: v for k, v in out.items() if not (v.free_symbols & bad)}


__all__ = ["size_symbols"]
