"""Machine-checked theorems: one per rewrite rule, plus the partition-lattice laws.

Each theorem is stated in words in its docstring and checked by z3 for symbolic sizes and
factors, as a chain of small lemmas with timeouts. ``python -m proofs`` checks them all
and prints a table (rule, statement, result, time).

Example::

    >>> from proofs import check_all
    >>> all(r.ok for r in check_all(only="loop.split"))
    True
"""

from .core import Result, check_all, theorem  # noqa: F401
