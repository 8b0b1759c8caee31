"""Vendor HLS tool discovery, under the name public Allo's programs import.

``is_available(tool)`` answers whether a vendor tool is on ``PATH``; programs use it to
skip the steps that need Vitis or Vivado. This project's C simulation (``mode="csim"``)
needs only g++, so it does not depend on the answer.

Example::

    >>> from allo.backend import hls
    >>> hls.is_available("vitis_hls") in (True, False)   # True where Vitis HLS is installed
    True
"""

from __future__ import annotations

import shutil

from ..errors import AlloError

#: tool names a program may ask about, mapped to the executable that must be on PATH
TOOLS = {
    "vivado_hls": "vivado_hls",
    "vitis_hls": "vitis_hls",
    "vitis": "v++",
    "v++": "v++",
    "tapa": "tapa",
    "catapult": "catapult",
    "xls": "xlscc",
}


def is_available(backend: str = "vivado_hls") -> bool:
    """True when the executable of vendor tool ``backend`` is on ``PATH``.

    Example: ``if not hls.is_available("vitis_hls"): print("skipping synthesis")``.
    """
    if not isinstance(backend, str) or backend not in TOOLS:
        known = ", ".join(sorted(TOOLS))
        raise AlloError(f"unknown HLS tool {backend!r}", where="allo.backend.hls.is_available",
                        hint=f"ask about one of: {known}")
    return shutil.which(TOOLS[backend]) is not None


def __getattr__(name: str):
    # HLSModule and build live with the code generator; import it only when asked
    if name in ("HLSModule", "build"):
        from ..backends import hls as generator

        return getattr(generator, name)
    raise AttributeError(f"module 'allo.backend.hls' has no attribute {name!r}")
