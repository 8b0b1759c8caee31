"""Public Allo's ``allo.backend`` package, for programs written against it.

This project's code generators live in :mod:`allo.backends`; this package holds the
names public Allo's users import from ``allo.backend`` (``allo.backend.hls.is_available``).

Example::

    >>> from allo.backend import hls
    >>> isinstance(hls.is_available("vitis_hls"), bool)
    True
"""

from . import hls  # noqa: F401
