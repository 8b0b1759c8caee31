"""Python ``ast`` -> Allo IR: name resolution, typing, templates, located errors.

Example::

    from allo.frontend import parse
    module = parse(gemm)                  # Module with Func "gemm" (+ the kernels it calls)
"""

from .parse import parse  # noqa: F401

__all__ = ["parse"]
