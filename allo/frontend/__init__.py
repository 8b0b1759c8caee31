"""Python ``ast`` -> Allo IR: name resolution, typing, templates, located errors.

Python meanings the frontend keeps (the IR ops themselves follow docs/semantics.md):

* converting a value *to* ``bool`` (``t: bool = x``, storing into a ``bool`` buffer,
  passing/returning a ``bool``, ``bool(x)``) is truthiness: it lowers to ``ne(x, 0)``,
  not to the IR ``cast`` (which keeps the low bit). ``bool`` is ``UInt(1)``, so this holds
  for ``uint1`` too; write ``x & 1`` for the low bit;
* ``range(hi, lo, -s)`` visits the values Python does (the IR loop counts up and the
  variable is ``hi - s*t``); ``%`` on floats is Python's ``mod``;
* an index that is affine in loop variables with constant bounds and provably leaves
  the buffer on some iteration is a compile-time error (guarded accesses are not judged).

Example::

    from allo.frontend import parse
    module = parse(gemm)                  # Module with Func "gemm" (+ the kernels it calls)
"""

from .parse import parse  # noqa: F401

__all__ = ["parse", "from_pytorch"]


def from_pytorch(*args, **kwargs):  # noqa: D103 - documented in allo.frontend.pytorch
    from .pytorch import from_pytorch as _from_pytorch

    return _from_pytorch(*args, **kwargs)


from_pytorch.__doc__ = """Import a PyTorch model as composed, verified Allo kernels (needs the
``[torch]`` extra); see :func:`allo.frontend.pytorch.from_pytorch`.

Example: ``mod = allo.frontend.from_pytorch(model, [x]); mod(x.numpy())``."""
