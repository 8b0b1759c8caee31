"""The reference interpreter: an executor like the LLVM JIT, running IR with the meaning of
every op taken from the op registry (:mod:`allo.semantics.registry`).

Example::

    >>> import allo
    >>> from allo.ir.types import int32
    >>> def inc(A: int32[4]) -> int32[4]:
    ...     B: int32[4] = 0
    ...     for i in range(4):
    ...         B[i] = A[i] + 1
    ...     return B
    >>> import numpy as np
    >>> Interpreter(allo.customize(inc).ir)(np.arange(4, dtype=np.int32))
    array([1, 2, 3, 4], dtype=int32)
"""

from .interpreter import Interpreter, bind_result, new_streams, run_func

__all__ = ["Interpreter", "run_func", "new_streams", "bind_result"]
