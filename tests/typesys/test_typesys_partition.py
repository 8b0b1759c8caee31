"""The user-facing partition API: the enum, layout_from_partition, HLS pragmas."""

import pytest

from allo.errors import AlloError, ScheduleError
from allo.typesys import (DimLayout, Layout, Partition, hls_pragmas, layout_from_partition,
                          normalize_dims, partition_calls, pragma_text)


def test_partition_enum_matches_public_allo():
    assert (Partition.Complete, Partition.Block, Partition.Cyclic) == (0, 1, 2)
    assert Partition.parse("cyclic") is Partition.Cyclic
    assert Partition.parse(1) is Partition.Block
    with pytest.raises(ScheduleError, match="unknown partition_type"):
        Partition.parse("diagonal")
    with pytest.raises(ScheduleError):
        Partition.parse(7)


def test_dims_are_one_based_zero_means_all():
    assert normalize_dims(3, 0) == [0, 1, 2]
    assert normalize_dims(3, 2) == [1]
    assert normalize_dims(3, [0, 1]) == [0, 1, 2]  # the seed's dim=[0, 1]
    assert normalize_dims(3, [3, 1]) == [0, 2]


def test_layout_from_partition():
    L = layout_from_partition((8, 8), Partition.Cyclic, dim=1, factor=4)
    assert L == Layout.of((8, 8), ["cyclic(4)", "none"])
    assert layout_from_partition((4, 6)) == Layout.complete((4, 6))
    assert layout_from_partition((4, 6), "block", dim=[2], factor=3) == \
        Layout.of((4, 6), ["none", "block(3)"])
    # a second partition call keeps the other dims of the previous layout
    L2 = layout_from_partition((8, 8), Partition.Complete, dim=2, base=L)
    assert L2 == Layout.of((8, 8), ["cyclic(4)", "complete"])
    # factor equal to the extent is complete; complete ignores factor
    assert layout_from_partition((4,), Partition.Cyclic, 1, 4) == Layout.complete((4,))
    assert layout_from_partition((4,), Partition.Complete, 1, 99) == Layout.complete((4,))


@pytest.mark.parametrize("kwargs, match", [
    (dict(dim=3), "dim=3 is out of range for a rank-2 buffer"),
    (dict(dim=-1), "out of range"),
    (dict(dim=[]), "selects no dimension"),
    (dict(dim="1"), "dim must be an int"),
    (dict(partition_type=Partition.Cyclic, dim=1, factor=0), "cyclic factor 0 is invalid"),
    (dict(partition_type=Partition.Block, dim=2, factor=9), "block factor 9 is invalid for dim 2 of extent 8"),
    (dict(partition_type=Partition.Cyclic, dim=1, factor=2.5), "factor must be an int"),
])
def test_layout_from_partition_errors(kwargs, match):
    with pytest.raises(ScheduleError, match=match) as info:
        layout_from_partition((4, 8), name="s.A", **kwargs)
    assert isinstance(info.value, AlloError)
    assert "partition(s.A" in str(info.value)


def test_scalar_cannot_be_partitioned():
    with pytest.raises(ScheduleError, match="scalar"):
        layout_from_partition((), Partition.Complete, 0)


def test_pragmas():
    assert pragma_text("A", 1, DimLayout.cyclic(4, 16)) == \
        "array_partition variable=A cyclic factor=4 dim=1"
    assert pragma_text("A", 2, DimLayout.none(16)) is None
    L = Layout.of((16, 4, 8), ["cyclic(4)", "none", "block(2)"])
    assert hls_pragmas("A", L) == [
        "#pragma HLS array_partition variable=A cyclic factor=4 dim=1",
        "#pragma HLS array_partition variable=A block factor=2 dim=3",
    ]
    assert hls_pragmas("B", Layout.complete((2, 3))) == \
        ["#pragma HLS array_partition variable=B complete dim=0"]
    assert hls_pragmas("B", Layout.of((2, 3), ["complete", "none"])) == \
        ["#pragma HLS array_partition variable=B complete dim=1"]
    assert hls_pragmas("C", Layout.none((4,))) == []


def test_partition_calls_reproduce_layout():
    L = Layout.of((4, 8), ["complete", "cyclic(4)"])
    calls = partition_calls("s.C", L)
    assert calls == ["s.partition(s.C, partition_type=Partition.Complete, dim=1)",
                     "s.partition(s.C, partition_type=Partition.Cyclic, dim=2, factor=4)"]
    # replaying the printed calls rebuilds the layout
    rebuilt = Layout.none((4, 8))
    for c in calls:
        args = dict(a.split("=") for a in c[c.index(",") + 2:-1].split(", "))
        rebuilt = layout_from_partition((4, 8), args["partition_type"].split(".")[1],
                                        int(args["dim"]), int(args.get("factor", 0)), rebuilt)
    assert rebuilt == L
