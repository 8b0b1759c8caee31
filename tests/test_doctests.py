"""The docstring examples of every module of ``allo`` run as written (one test per module).

Modules are found from the source tree, so a new module's examples run without being
listed here. ``ELLIPSIS`` is on; an example that needs hardware, a vendor tool or a design
defined elsewhere says ``# doctest: +SKIP``.
"""

import doctest
import importlib
import io
import os

import pytest

import allo

ROOT = os.path.dirname(os.path.abspath(allo.__file__))


def _module_names():
    names = []
    for dirpath, _, files in os.walk(ROOT):
        for f in sorted(files):
            if f.endswith(".py"):
                rel = os.path.relpath(os.path.join(dirpath, f), os.path.dirname(ROOT))
                name = rel[:-3].replace(os.sep, ".")
                names.append(name[:-len(".__init__")] if name.endswith(".__init__") else name)
    return sorted(names)


MODULES = _module_names()


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run_as_written(name):
    module = importlib.import_module(name)
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder(exclude_empty=True).find(module, name):
        if test.filename and os.path.abspath(test.filename) != os.path.abspath(module.__file__):
            continue  # re-exported from another module: tested there
        runner.run(test, out=out.write)
    assert runner.failures == 0, out.getvalue()


def test_the_examples_are_found():
    """Most modules have examples (guards against the finder silently finding none)."""
    with_examples = 0
    for name in MODULES:
        module = importlib.import_module(name)
        if any(t.examples for t in doctest.DocTestFinder().find(module, name)):
            with_examples += 1
    assert with_examples >= len(MODULES) // 2, (with_examples, len(MODULES))
