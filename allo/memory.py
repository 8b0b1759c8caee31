"""Where a buffer lives and how it is distributed: ``Memory``, ``Layout`` and ``DTensor``.

``Memory`` is a storage qualifier on a buffer's type: ``A: int32[M, N] @ Memory(resource=
"URAM")`` on a parameter or a local binds that buffer to an on-chip memory resource. The
frontend records it on the buffer type (``BufferType.memory``); the HLS backend emits one
``#pragma HLS bind_storage`` per annotated buffer and the QoR estimator counts the buffer
in the requested resource. Its code as an MLIR memory space (``resource * 16 + storage
type``, as public Allo encodes it) is :meth:`Memory.get_memory_space`; the MLIR text
printed here leaves it out. It never changes what a design computes, so verification
ignores it.

``Layout`` describes how a tensor is split over a mesh of processing elements (each tensor
dimension is sharded over one mesh dimension, ``Layout.Shard(k)``, or replicated,
``Layout.Replicate``); ``DTensor`` is a tensor together with such a layout or a memory.

Example::

    >>> from allo.ir.types import int32
    >>> Memory(resource="bram", storage_type="ram_2p")
    Memory(resource="BRAM", storage_type="RAM_2P")
    >>> Memory(resource="URAM").get_memory_space()
    32
    >>> S, R = Layout.Shard, Layout.Replicate
    >>> str(Layout([S(0), R]))
    'S0R'
    >>> DTensor(0, [2], (8, 4), int32, Layout("S0R"), name="A").get_local_shape()
    (4, 4)
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from .ir.types import Qualifier, TypeArgumentError

#: memory resources of ``bind_storage impl=`` (UG1399), with the code of the memory space
RESOURCE_CODES: Dict[str, int] = {"AUTO": 0, "BRAM": 1, "URAM": 2, "LUTRAM": 3, "SRL": 4}
#: memory types of ``bind_storage type=`` (UG1399), with their code in the memory space
STORAGE_TYPE_CODES: Dict[str, int] = {
    "RAM_1P": 1, "RAM_2P": 2, "RAM_T2P": 3, "RAM_1WNR": 4, "RAM_S2P": 5,
    "ROM_1P": 6, "ROM_2P": 7, "ROM_NP": 8,
}
#: which memory types each resource can implement (UG1399, bind_storage table)
_IMPLEMENTS: Dict[str, Tuple[str, ...]] = {
    "BRAM": tuple(STORAGE_TYPE_CODES),
    "URAM": ("RAM_1P", "RAM_2P", "RAM_T2P", "RAM_1WNR", "RAM_S2P"),
    "LUTRAM": ("RAM_1P", "RAM_2P", "RAM_1WNR", "RAM_S2P", "ROM_1P", "ROM_2P", "ROM_NP"),
    "AUTO": tuple(STORAGE_TYPE_CODES),
    "SRL": (),
}
#: the memory type written when only a resource is asked for: two ports, as the QoR
#: model of a RAM assumes (``allo/qor/storage.py``); LUTRAM has no true dual port
_DEFAULT_TYPE = {"BRAM": "RAM_T2P", "URAM": "RAM_T2P", "LUTRAM": "RAM_2P"}


def _choice(value: Any, table: Dict[str, int], what: str) -> str:
    if not isinstance(value, str) or value.upper() not in table:
        raise TypeArgumentError(f"Invalid {what} {value!r} for Memory",
                                where=f"Memory({what}=...)",
                                hint=f"use one of {', '.join(table)} (any letter case)")
    return value.upper()


def _positive(value: Any, what: str) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TypeArgumentError(f"Invalid {what} {value!r} for Memory",
                                where=f"Memory({what}=...)",
                                hint=f"{what} is a positive int (cycles for latency, words "
                                     "for depth), or None to let the tool decide")
    return int(value)


class Memory(Qualifier):
    """The memory resource of a buffer: ``A: int32[M] @ Memory(resource="URAM")``.

    ``resource`` is one of BRAM, URAM, LUTRAM, SRL, AUTO (default: the tool decides);
    ``storage_type`` one of RAM_1P, RAM_2P, RAM_T2P, RAM_1WNR, RAM_S2P, ROM_1P, ROM_2P,
    ROM_NP (or None); ``latency`` the access latency in cycles; ``depth`` the depth of a
    FIFO. Names are case-insensitive. A bad value raises an ``AlloTypeError`` (which is also
    a ``ValueError``).

    Example: ``Memory(resource="BRAM", storage_type="RAM_2P", latency=2)``.
    """

    VALID_RESOURCE = frozenset(RESOURCE_CODES)
    VALID_STORAGE_TYPE = frozenset(STORAGE_TYPE_CODES)

    def __init__(self, resource: str = "AUTO", storage_type: Optional[str] = None,
                 latency: Optional[int] = None, depth: Optional[int] = None):
        self.resource = _choice(resource, RESOURCE_CODES, "resource")
        self.storage_type = (None if storage_type is None
                             else _choice(storage_type, STORAGE_TYPE_CODES, "storage_type"))
        if self.storage_type is not None and self.storage_type not in _IMPLEMENTS[self.resource]:
            able = [r for r, types in _IMPLEMENTS.items() if self.storage_type in types]
            raise TypeArgumentError(f"Invalid storage_type {self.storage_type} for resource "
                                    f"{self.resource}: {self.resource} cannot implement it",
                                    where="Memory(storage_type=...)",
                                    hint=f"{self.storage_type} is implemented by "
                                         f"{', '.join(able)}")
        self.latency = _positive(latency, "latency")
        self.depth = _positive(depth, "depth")

    def _key(self) -> Tuple[Any, ...]:
        return (self.resource, self.storage_type, self.latency, self.depth)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Memory) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(("Memory",) + self._key())

    def __repr__(self) -> str:
        parts = [f'resource="{self.resource}"']
        if self.storage_type is not None:
            parts.append(f'storage_type="{self.storage_type}"')
        if self.latency is not None:
            parts.append(f"latency={self.latency}")
        if self.depth is not None:
            parts.append(f"depth={self.depth}")
        return f"Memory({', '.join(parts)})"

    def get_memory_space(self) -> int:
        """The memref memory space that encodes this memory: ``resource * 16 + type``.

        Example: ``Memory(resource="BRAM", storage_type="RAM_2P").get_memory_space() == 18``.
        """
        return RESOURCE_CODES[self.resource] * 16 + STORAGE_TYPE_CODES.get(self.storage_type, 0)

    @staticmethod
    def decode_memory_space(memory_space: int) -> Tuple[str, Optional[str]]:
        """``(resource, storage_type)`` of a memory space made by :meth:`get_memory_space`.

        Example: ``Memory.decode_memory_space(18) == ("BRAM", "RAM_2P")``.
        """
        resources = {v: k for k, v in RESOURCE_CODES.items()}
        types = {v: k for k, v in STORAGE_TYPE_CODES.items()}
        if not isinstance(memory_space, int) or memory_space // 16 not in resources \
                or (memory_space % 16 and memory_space % 16 not in types):
            raise TypeArgumentError(f"{memory_space!r} is not a memory space of Memory",
                                    where="Memory.decode_memory_space",
                                    hint="pass the value of Memory(...).get_memory_space()")
        return resources[memory_space // 16], types.get(memory_space % 16)

    @property
    def is_auto(self) -> bool:
        """True when nothing is asked for (no pragma is needed)."""
        return self._key() == ("AUTO", None, None, None)

    def hls_pragma(self, variable: str, is_stream: bool = False) -> Optional[str]:
        """The ``bind_storage`` pragma for ``variable`` (None: nothing to bind).

        Vitis needs a memory type; when only a resource is given the two-port type the
        resource supports is written (a stream's type is ``fifo``). Example:
        ``Memory(resource="URAM").hls_pragma("v0")`` is
        ``'#pragma HLS bind_storage variable=v0 type=ram_t2p impl=uram'``.
        """
        if self.resource == "AUTO" and self.storage_type is None and self.latency is None:
            return None
        if is_stream:
            kind = "FIFO"
        else:
            kind = self.storage_type or _DEFAULT_TYPE.get(self.resource, "RAM_2P")
        text = f"#pragma HLS bind_storage variable={variable} type={kind.lower()}"
        if self.resource != "AUTO":
            text += f" impl={self.resource.lower()}"
        if self.latency is not None:
            text += f" latency={self.latency}"
        return text

    def check_target(self, is_stream: bool,
                     stream_depth: Optional[int] = None) -> Optional[Tuple[str, str]]:
        """``(why, hint)`` when this memory cannot hold an array (``is_stream=False``) or a
        FIFO of ``stream_depth`` elements; None when it can.

        Example: ``Memory(resource="SRL").check_target(False)`` explains that SRL holds FIFOs.
        """
        if is_stream and self.storage_type is not None:
            return (f"a stream is a FIFO; storage_type={self.storage_type} is a RAM/ROM type",
                    "leave storage_type out for a stream (Memory(resource=...) only)")
        if not is_stream and self.resource == "SRL":
            return ("resource SRL (shift-register LUTs) implements FIFOs, not arrays",
                    "use BRAM, URAM or LUTRAM for an array, or SRL on a Stream")
        if not is_stream and self.depth is not None:
            return (f"depth={self.depth} is the depth of a FIFO; an array's size is its shape",
                    "drop depth= for an array")
        if is_stream and self.depth is not None and self.depth != stream_depth:
            return (f"the stream's type says depth {stream_depth} and its Memory depth="
                    f"{self.depth}", f"give the depth once, in the type: Stream[T, {self.depth}]")
        return None


# ------------------------------------------------------------------ layouts on a mesh
class Layout(Qualifier):
    """How each tensor dimension is placed on a mesh of processing elements.

    ``Layout([Layout.Shard(0), Layout.Replicate])`` (or ``Layout("S0R")``): dimension 0 of
    the tensor is split into equal tiles along mesh dimension 0; dimension 1 is whole on
    every PE. Example: ``Layout("S0R").get_placement([2])`` is
    ``{(0, 0): [(0,)], (1, 0): [(1,)]}``.
    """

    @dataclass(frozen=True)
    class Shard:
        """Split a tensor dimension along mesh dimension ``axis``."""

        axis: int

        def __str__(self) -> str:
            return f"S{self.axis}"

    @dataclass(frozen=True)
    class Replicate:
        """Keep a tensor dimension whole on every PE."""

        def __str__(self) -> str:
            return "R"

    def __init__(self, partitions: Union[str, Sequence[Any]]):
        if isinstance(partitions, str):
            partitions = self._parse(partitions)
        parts = []
        for p in partitions:
            if p is Layout.Replicate:
                p = Layout.Replicate()
            if not isinstance(p, (Layout.Shard, Layout.Replicate)) or (
                    isinstance(p, Layout.Shard)
                    and (isinstance(p.axis, bool) or not isinstance(p.axis, int) or p.axis < 0)):
                raise TypeArgumentError(f"bad layout entry {p!r}", where="Layout([...])",
                                        hint="use Layout.Shard(mesh_dim) or Layout.Replicate, "
                                             "e.g. Layout([Layout.Shard(0), Layout.Replicate])")
            parts.append(p)
        self.partitions: List[Any] = parts

    @staticmethod
    def _parse(text: str) -> List[Any]:
        tokens = re.findall(r"S\d+|R|.", text.replace(" ", ""))
        out = []
        for t in tokens:
            if t == "R":
                out.append(Layout.Replicate())
            elif t.startswith("S") and len(t) > 1:
                out.append(Layout.Shard(int(t[1:])))
            else:
                raise TypeArgumentError(f"cannot read layout {text!r} at {t!r}",
                                        where="Layout(...)",
                                        hint="one entry per tensor dimension: S<k> shards it "
                                             "along mesh dimension k, R replicates it, e.g. "
                                             "'S0R'")
        return out

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Layout) and self.partitions == other.partitions

    def __hash__(self) -> int:
        return hash(("Layout", tuple(self.partitions)))

    def __str__(self) -> str:
        return "".join(str(p) for p in self.partitions)

    def __repr__(self) -> str:
        return f"Layout({str(self)!r})"

    def get_placement(self, mesh_dims: Sequence[int]) -> Dict[Tuple[int, ...], List[Tuple[int, ...]]]:
        """Which PEs hold each tensor tile: ``{tensor tile id: [PE coordinates]}``.

        A sharded dimension's tile index is the PE's coordinate along its mesh dimension; a
        replicated one is always 0. Example: ``Layout("RS0").get_placement([2])`` is
        ``{(0, 0): [(0,)], (0, 1): [(1,)]}``.
        """
        mesh = [int(d) for d in mesh_dims]
        for p in self.partitions:
            if isinstance(p, Layout.Shard) and p.axis >= len(mesh):
                raise TypeArgumentError(f"layout {self} shards along mesh dimension {p.axis}, "
                                        f"but the mesh {mesh} has {len(mesh)} dimension(s)",
                                        where="Layout.get_placement",
                                        hint="shard along an existing mesh dimension")
        placement: Dict[Tuple[int, ...], List[Tuple[int, ...]]] = {}
        for pe in itertools.product(*(range(d) for d in mesh)):
            tile = tuple(pe[p.axis] if isinstance(p, Layout.Shard) else 0
                         for p in self.partitions)
            placement.setdefault(tile, []).append(tuple(pe))
        return placement


class DTensor:
    """A tensor with its place: a mesh ``mapping`` and a :class:`Layout`, or a :class:`Memory`.

    ``spec`` is a ``Layout``, a ``Memory`` or None. Example:
    ``DTensor(0, [2, 2], (8, 8), int32, Layout("S0S1"), name="A").get_local_shape() == (4, 4)``.
    """

    def __init__(self, rank: Any, mapping: Optional[Sequence[int]], shape: Sequence[int],
                 dtype: Any, spec: Any, name: Optional[str] = None,
                 top_name: Optional[str] = None):
        self.rank, self.mapping, self.shape, self.dtype = rank, mapping, tuple(shape), dtype
        self.name, self.top_name = name, top_name
        self.layout: Optional[Layout] = spec if isinstance(spec, Layout) else None
        self.memory: Optional[Memory] = spec if isinstance(spec, Memory) else None
        if spec is not None and self.layout is None and self.memory is None:
            raise TypeArgumentError(f"the spec of DTensor {name!r} is {spec!r}",
                                    where="DTensor(spec=...)",
                                    hint="pass a Layout, a Memory or None")
        if self.layout is not None and len(self.layout.partitions) != len(self.shape):
            raise TypeArgumentError(f"layout {self.layout} has {len(self.layout.partitions)} "
                                    f"entries, but tensor {name!r} has {len(self.shape)} "
                                    "dimension(s)", where="DTensor(spec=...)",
                                    hint="give one S<k> or R per tensor dimension")
        self.global_placement: Dict[Tuple[int, ...], List[Tuple[int, ...]]] = (
            self.layout.get_placement(mapping)
            if self.layout is not None and mapping is not None else {})

    def get_local_shape(self) -> Tuple[int, ...]:
        """The shape of the tile one PE holds. Example: 8x4 with ``S0R`` on ``[2]`` -> (4, 4)."""
        if self.layout is None:
            return self.shape
        local = []
        for extent, p in zip(self.shape, self.layout.partitions):
            if isinstance(p, Layout.Shard):
                if self.mapping is None or p.axis >= len(self.mapping):
                    raise TypeArgumentError(f"tensor {self.name!r} is sharded along mesh "
                                            f"dimension {p.axis}, but its mapping is "
                                            f"{self.mapping}", where="DTensor.get_local_shape",
                                            hint="give a mapping with that mesh dimension")
                parts = int(self.mapping[p.axis])
                if extent % parts:
                    raise TypeArgumentError(f"tensor {self.name!r}: extent {extent} cannot be "
                                            f"split into {parts} equal tiles",
                                            where="DTensor.get_local_shape",
                                            hint="choose a mesh size that divides the extent")
                extent //= parts
            local.append(extent)
        return tuple(local)

    def PE_tile_id_to_tensor_tile_id(self, pe_tile_id: Tuple[int, ...]) -> Tuple[int, ...]:
        """The tensor tile a PE holds. Example: with ``S0R`` on ``[2]``, ``(1,) -> (1, 0)``."""
        for tile, pes in self.global_placement.items():
            if tuple(pe_tile_id) in pes:
                return tile
        raise TypeArgumentError(f"PE {tuple(pe_tile_id)} holds no tile of tensor {self.name!r}",
                                where="DTensor.PE_tile_id_to_tensor_tile_id",
                                hint=f"PEs of the mapping {self.mapping} only")

    def __str__(self) -> str:
        parts = [f"name={self.name}", f"shape={self.shape}", f"dtype={self.dtype}"]
        if self.layout is not None:
            parts.append(f"layout={self.layout}")
        if self.memory is not None:
            parts.append(f"memory={self.memory}")
        parts += [f"mapping={self.mapping}", f"rank={self.rank}",
                  f"local_shape={self.get_local_shape()}"]
        return f"DTensor({', '.join(parts)})"

    def __repr__(self) -> str:
        return str(self.name)


__all__ = ["Memory", "Layout", "DTensor", "RESOURCE_CODES", "STORAGE_TYPE_CODES"]
