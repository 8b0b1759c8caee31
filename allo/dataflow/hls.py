"""``df.build(..., target="vitis_hls")``: the HLS project of a region, run when asked.

Public Allo's dataflow programs build the project first and call the module only where
Vitis is installed (``if hls.is_available("vitis_hls"): mod(...)``). So here building never
needs a vendor tool: ``mode="csim"`` compiles the C++ with g++ on the first call, and the
vendor modes write the project, run Vitis when it is on PATH, and otherwise return a module
whose call says that Vitis is missing and where the project is.

Example::

    mod = df.build(top, target="vitis_hls", mode="hw_emu", project="gemm.prj")
    print(mod.hls_code)                 # the kernel with #pragma HLS dataflow
"""

from __future__ import annotations

import shutil
from typing import Any, Optional

from ..errors import BackendError


def _emit(sched: Any, project: Optional[str], mode: str, options: dict) -> Any:
    from ..backends.hls import HLSModule, build as build_hls, default_project_dir
    from ..backends.hls.project import project_path, write_project

    code = build_hls(sched, target="vhls", **options)  # the equivalence gate runs here
    path = project_path(project) if project is not None else default_project_dir(sched.ir.top)
    path = write_project(code.design, code.module, path, mode)
    return HLSModule, code, path


def deferred_csim(sched: Any, project: Optional[str], options: dict) -> Any:
    """The csim module of ``sched``; the C++ is compiled on its first call.

    Example: ``deferred_csim(s, "top.prj", {})(A, B)``.
    """
    HLSModule, code, path = _emit(sched, project, "csim", options)
    return HLSModule(code.module, code.design, path)


def vendor_build(sched: Any, mode: str, project: Optional[str], options: dict) -> Any:
    """Write the project for a vendor ``mode`` and run Vitis when it is installed.

    Example: ``vendor_build(s, "hw_emu", "gemm.prj", {}).hls_code``.
    """
    from ..backends.hls.project import run_vendor_mode

    HLSModule, code, path = _emit(sched, project, mode, options)
    if shutil.which("vitis_hls") is not None:
        run_vendor_mode(path, mode)
        return HLSModule(code.module, code.design, path)

    class VendorProject(HLSModule):
        """A written project whose run needs Vitis (not installed here)."""

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            raise BackendError(f"mode '{mode}' needs vitis_hls, which is not on PATH; the "
                               f"project is in {path}", where=f"df.build(mode='{mode}')",
                               hint="run it on a machine with Vitis installed, or build with "
                                    "mode=\"csim\" (g++) or target=\"simulator\"")

    return VendorProject(code.module, code.design, path)


__all__ = ["deferred_csim", "vendor_build"]
