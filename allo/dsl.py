"""``allo.dsl``: the kernel-language helpers (``grid``, ``reduction``, math, meta
constructs) under the module name public Allo's programs import them from.

Example::

    import allo.dsl as dsl
    for i, j in dsl.grid(4, 4):      # inside a kernel, the same as allo.grid
        ...
"""

from .builtins import *  # noqa: F401,F403  (the same objects as allo.grid, allo.exp, ...)
from .builtins import __all__  # noqa: F401
