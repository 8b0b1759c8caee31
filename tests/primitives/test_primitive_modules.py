"""``allo.primitives`` lists every module that defines primitives (no module registers its
siblings from its last line), and importing the package registers every primitive."""

import ast
import os

import allo.primitives as primitives


def _defining_modules():
    """Modules of allo/primitives with a ``@primitive(...)`` definition, and their names."""
    root = os.path.dirname(primitives.__file__)
    found = {}
    for f in sorted(os.listdir(root)):
        if not f.endswith(".py") or f == "__init__.py":
            continue
        with open(os.path.join(root, f)) as src:
            tree = ast.parse(src.read())
        names = [d.args[0].value for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
                 for d in node.decorator_list
                 if isinstance(d, ast.Call) and getattr(d.func, "id", None) == "primitive"]
        if names:
            found[f[:-3]] = names
    return found


def test_every_module_defining_primitives_is_listed_once():
    defining = _defining_modules()
    assert len(set(primitives.PRIMITIVE_MODULES)) == len(primitives.PRIMITIVE_MODULES)
    assert set(primitives.PRIMITIVE_MODULES) == set(defining)


def test_importing_the_package_registers_every_primitive():
    defined = {name for names in _defining_modules().values() for name in names}
    assert defined and defined <= set(primitives.PRIMITIVES)


def test_no_primitive_module_imports_a_sibling_to_register_it():
    root = os.path.dirname(primitives.__file__)
    for module in primitives.PRIMITIVE_MODULES:
        with open(os.path.join(root, module + ".py")) as src:
            tree = ast.parse(src.read())
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None:
                siblings = {a.name for a in node.names} & set(primitives.PRIMITIVE_MODULES)
                assert not siblings, f"{module} imports {sorted(siblings)} to register them"
