"""build() validates its arguments: every mistake is a located AlloError, never a raw
exception or a silently different build."""

import shlex
import shutil

import allo
import pytest

from allo.errors import AlloError, BackendError
from allo.ir.types import int32


def inc(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        B[i] = A[i] + 1
    return B


@pytest.mark.parametrize("target", ["interp", "llvm"])
def test_hls_only_arguments_are_refused_for_other_targets(target):
    s = allo.customize(inc)
    with pytest.raises(AlloError, match="mode= only apply to HLS targets") as err:
        s.build(target=target, mode="csim")  # used to build LLVM silently
    assert "vitis_hls" in str(err.value)
    with pytest.raises(AlloError, match="project= only apply"):
        s.build(target=target, project="x.prj")


def test_unknown_interpreter_options_are_refused():
    with pytest.raises(AlloError, match="'bogus'"):  # used to be accepted
        allo.customize(inc).build(target="interp", bogus=1)
    with pytest.raises(AlloError, match="must be a string"):
        allo.customize(inc).build(target=3)


def test_mode_needs_vitis_hls_and_must_exist():
    s = allo.customize(inc)
    with pytest.raises(BackendError, match="needs target='vitis_hls'"):
        s.build(target="vhls", mode="csim")
    with pytest.raises(BackendError, match="unknown mode 'sim'"):
        s.build(target="vitis_hls", mode="sim")
    with pytest.raises(BackendError, match="verify= must be True or False"):
        s.build(target="vhls", verify="no")


@pytest.mark.parametrize("project, message", [
    (42, "must be a directory path"),
    ("bad\0name.prj", "NUL"),
    ("", "empty"),
])
def test_bad_project_paths_are_backend_errors(project, message):
    with pytest.raises(BackendError, match=message):
        allo.customize(inc).build(target="vitis_hls", mode="csim", project=project)


def test_a_project_naming_an_existing_file_is_refused(tmp_path):
    f = tmp_path / "kernel.py"
    f.write_text("# mine\n")
    with pytest.raises(BackendError, match="names an existing file"):
        allo.customize(inc).build(target="vhls", project=str(f))
    assert f.read_text() == "# mine\n"
    with pytest.raises(BackendError, match="cannot write the project directory"):
        allo.customize(inc).build(target="vitis_hls", mode="csim", project=str(f / "x.prj"))


@pytest.mark.skipif(shutil.which("vitis_hls") is not None, reason="Vitis is installed here")
def test_vendor_hint_quotes_the_project_path(tmp_path):
    prj = tmp_path / "my project; rm -rf x.prj"
    with pytest.raises(BackendError) as err:
        allo.customize(inc).build(target="vitis_hls", mode="csyn", project=str(prj))
    assert f"cd {shlex.quote(str(prj))} && vitis_hls" in str(err.value)
