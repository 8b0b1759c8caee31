"""No import circles in ``allo/``: the module import graph, computed from the source (ast),
is acyclic.

Edges. A module depends on every module *any* of its import statements names, wherever the
statement sits: module level, ``if``/``try``/``with`` blocks, class bodies, and function
bodies alike. ``import a.b`` names ``a.b``; ``from a.b import c`` names ``a.b.c`` when that
is a module, else the package ``a.b``. Importing ``a.b.c`` also runs the ``__init__`` of each
package on the way (``a.b``), so those are edges too, except the importer's own ancestor
packages (they are already being initialised when it runs, whatever the graph says).

Function-local imports count. One that runs on first call cannot meet a half-initialised
module, but two modules that need each other are still one room split in two: the shared
piece belongs in a module both sides read. Lazy imports of external packages (z3, llvmlite,
torch, the HLS toolchain) are not allo modules, so they are no edges here. Left out: imports
under ``if TYPE_CHECKING:`` (never run; allo has none today), and ``importlib`` calls, which
are not statements (``allo/__init__``'s lazy API, the primitives package loading its
modules, the op registry loading its ``symbolic``/``z3`` tables by module name).
"""

import ast
import os
import sys
from typing import Dict, List, Set

import allo

ROOT = os.path.dirname(os.path.abspath(allo.__file__))


def _modules() -> Dict[str, str]:
    out = {}
    for dirpath, _, files in os.walk(ROOT):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, os.path.dirname(ROOT))[:-3].replace(os.sep, ".")
                out[rel[:-len(".__init__")] if rel.endswith(".__init__") else rel] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING" or \
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _import_statements(body: List[ast.stmt]):
    """Every import statement in ``body``, at any depth (functions and classes included),
    except those under ``if TYPE_CHECKING:``."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _import_statements(node.orelse)
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    yield from _import_statements([child])
                elif isinstance(child, ast.excepthandler):
                    yield from _import_statements(child.body)
                elif isinstance(child, ast.match_case):
                    yield from _import_statements(child.body)


def import_graph() -> Dict[str, Set[str]]:
    """``module -> modules of allo it imports`` (any import statement, see the module doc)."""
    modules = _modules()
    graph: Dict[str, Set[str]] = {}
    for name, path in modules.items():
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
        named: Set[str] = set()
        for node in _import_statements(tree.body):
            if isinstance(node, ast.Import):
                named.update(a.name for a in node.names)
                continue
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[:len(parts) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                named.add(sub if sub in modules else base)
        if any(isinstance(n, ast.Attribute) and n.attr == "import_module" for n in ast.walk(tree)):
            # modules loaded by name (``importlib.import_module("allo....")``) are imports
            # too: every string constant naming a module of allo counts
            named.update(n.value for n in ast.walk(tree)
                         if isinstance(n, ast.Constant) and isinstance(n.value, str)
                         and n.value in modules)
        edges = set()
        ancestors = {".".join(name.split(".")[:k]) for k in range(1, name.count(".") + 1)}
        for target in named:
            if target not in modules:
                continue  # not allo's
            parts = target.split(".")
            for k in range(1, len(parts) + 1):
                step = ".".join(parts[:k])
                if step in modules and step not in ancestors and step != name:
                    edges.add(step)
        graph[name] = edges
    return graph


def find_cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    cycles: List[List[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    component = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.append(w)
                        if w == v:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))
    return cycles


def test_the_graph_sees_the_imports_it_must():
    graph = import_graph()
    assert "allo.semantics.registry" in graph["allo.ir.nodes"]      # from ..semantics.registry
    assert "allo.semantics" in graph["allo.ir.nodes"]               # its package's __init__ runs
    assert "allo.backends.interp" in graph["allo.symexec.replay"]   # from ..backends.interp import
    assert "allo.qor.parts" in graph["allo.qor.estimate"]           # function-local counts
    assert "allo.semantics.z3_ops" in graph["allo.semantics.registry"]  # loaded by name


def test_function_local_imports_are_edges(tmp_path, monkeypatch):
    pkg = tmp_path / "allo"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    try:\n        from .a import x\n    except ImportError:\n        pass\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", str(pkg))
    graph = import_graph()
    assert graph["allo.b"] == {"allo.a"}
    assert find_cycles(graph) == [["allo.a", "allo.b"]]


def test_the_cycle_finder_finds_cycles():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_of_allo_imports_a_module_that_imports_it_back():
    cycles = find_cycles(import_graph())
    assert not cycles, "import circles (any import statement):\n" + "\n".join(
        " -> ".join(c) for c in cycles)
