"""``allo.meta_if`` in a file that never imports ``allo`` (public Allo's tests do this):
the construct is recognized by its spelling."""

import importlib.util

import numpy as np

SOURCE = '''
from allo.ir.types import int32
import allo.dataflow as df


def kernel(A: int32[4]):
    with allo.meta_if(2 > 1):
        A[0] = 1
    with allo.meta_else():
        A[0] = 2
'''


def test_meta_if_spelled_allo_without_the_import(tmp_path):
    path = tmp_path / "no_allo_import.py"
    path.write_text(SOURCE)
    spec = importlib.util.spec_from_file_location("no_allo_import", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert "allo" not in vars(mod)
    import allo

    A = np.zeros(4, np.int32)
    allo.customize(mod.kernel).build(target="interp")(A)
    assert A[0] == 1
