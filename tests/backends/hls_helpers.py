"""Shared pieces of the HLS backend tests: small hand-built IR designs and a g++ check."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import List

from allo.backends.hls.csim import ap_types_dir, compiler, support_dir
from allo.backends.hls.codegen import EmittedDesign
from allo.ir.nodes import (Alloc, Call, Const, For, Func, Load, Module, Op, Param, Return,
                           Store, StreamGet, StreamPut, Var)
from allo.ir.types import BufferType, StreamType, index, int32


def gxx_warnings(design: EmittedDesign, workdir: Path) -> List[str]:
    """Compile kernel.cpp with -Wall -Wextra; return warnings about the generated code
    itself (not the ap_types headers), ignoring unknown pragmas."""
    (workdir / "kernel.cpp").write_text(design.source)
    (workdir / "kernel.h").write_text(design.header)
    cmd = [compiler(), "-std=c++17", "-O2", "-Wall", "-Wextra", "-c", "-isystem",
           str(ap_types_dir()), "-I", str(support_dir()), str(workdir / "kernel.cpp"),
           "-o", str(workdir / "kernel.o")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ap_dir = str(ap_types_dir())
    return [line for line in proc.stderr.splitlines()
            if "warning:" in line and not line.startswith(ap_dir)
            and "-Wunknown-pragmas" not in line]


def stream_design() -> Module:
    """producer -> FIFO -> consumer in a dataflow top: B[i] = 2 * A[i] + 1."""
    i = Var("i", index)
    fifo = BufferType(StreamType(int32, 4), ())
    prod = Func("producer", [Param("A", int32[8]), Param("S", fifo)], [], [
        For("i", Const(0, index), Const(8, index), 1,
            [StreamPut("S", (), Op("mul", (Load("A", (i,), int32), Const(2, int32)), int32))],
            name="i", band="S_i_0", attrs={"pipeline_ii": 1})])
    cons = Func("consumer", [Param("S", fifo), Param("B", int32[8])], [], [
        For("i", Const(0, index), Const(8, index), 1,
            [Store("B", (i,), Op("add", (StreamGet("S", (), int32), Const(1, int32)), int32))],
            name="i", band="S_i_1", attrs={"pipeline_ii": 1})])
    top = Func("top", [Param("A", int32[8])], [int32[8]], [
        Alloc("B", int32[8]), Alloc("S", fifo),
        Call("producer", [_ref("A"), _ref("S")]), Call("consumer", [_ref("S"), _ref("B")]),
        Return([_ref("B")])], attrs={"dataflow": True})
    return Module({"top": top, "producer": prod, "consumer": cons}, "top")


def _ref(name: str):
    from allo.ir.nodes import BufRef

    return BufRef(name)
