"""allo.memory: Memory (bind_storage), Layout (sharding on a mesh) and DTensor."""

import numpy as np
import pytest

import allo
from allo.errors import AlloError, AlloTypeError
from allo.ir.types import Stream, float32, int32
from allo.memory import DTensor, Layout, Memory

S, R = Layout.Shard, Layout.Replicate


# ------------------------------------------------------------------ Memory itself
def test_memory_normalizes_and_compares():
    m = Memory(resource="bram", storage_type="ram_2p", latency=2)
    assert (m.resource, m.storage_type, m.latency, m.depth) == ("BRAM", "RAM_2P", 2, None)
    assert m == Memory(resource="BRAM", storage_type="RAM_2P", latency=2)
    assert m != Memory(resource="BRAM", storage_type="RAM_2P")
    assert len({m, Memory(resource="BRAM", storage_type="RAM_2P", latency=2)}) == 1
    assert repr(m) == 'Memory(resource="BRAM", storage_type="RAM_2P", latency=2)'
    assert Memory().resource == "AUTO" and Memory().is_auto


@pytest.mark.parametrize("kwargs, match", [
    ({"resource": "FLASH"}, "Invalid resource"),
    ({"resource": 3}, "Invalid resource"),
    ({"resource": "BRAM", "storage_type": "RAM_9P"}, "Invalid storage_type"),
    ({"resource": "URAM", "storage_type": "ROM_1P"}, "URAM cannot implement it"),
    ({"resource": "LUTRAM", "storage_type": "RAM_T2P"}, "LUTRAM cannot implement it"),
    ({"resource": "BRAM", "latency": 0}, "Invalid latency"),
    ({"resource": "BRAM", "depth": 2.5}, "Invalid depth"),
])
def test_memory_rejects_bad_arguments_with_a_hint(kwargs, match):
    with pytest.raises(AlloTypeError, match=match) as e:
        Memory(**kwargs)
    assert isinstance(e.value, ValueError) and e.value.hint


def test_memory_space_round_trips():
    for resource in ("AUTO", "BRAM", "URAM", "LUTRAM"):
        for storage in (None, "RAM_1P", "RAM_2P", "RAM_1WNR"):
            m = Memory(resource=resource, storage_type=storage)
            assert Memory.decode_memory_space(m.get_memory_space()) == (resource, storage)
    assert Memory(resource="BRAM", storage_type="RAM_2P").get_memory_space() == 18
    assert Memory(resource="URAM").get_memory_space() == 32
    with pytest.raises(AlloTypeError):
        Memory.decode_memory_space(15 * 16)


def test_bind_storage_pragma_text():
    assert Memory().hls_pragma("A") is None
    assert Memory(resource="URAM").hls_pragma("A") == \
        "#pragma HLS bind_storage variable=A type=ram_t2p impl=uram"
    assert Memory(resource="LUTRAM").hls_pragma("A") == \
        "#pragma HLS bind_storage variable=A type=ram_2p impl=lutram"
    assert Memory(storage_type="RAM_1P", latency=3).hls_pragma("A") == \
        "#pragma HLS bind_storage variable=A type=ram_1p latency=3"
    assert Memory(resource="SRL").hls_pragma("q", is_stream=True) == \
        "#pragma HLS bind_storage variable=q type=fifo impl=srl"


# ------------------------------------------------------------------ in kernels
M_BRAM = Memory(resource="BRAM", storage_type="RAM_1P")


def _bound_kernel(a: int32[32] @ M_BRAM, b: int32[32] @ Memory(resource="URAM"),
                  c: int32[32] @ Memory(resource="LUTRAM", latency=2)) -> int32[32]:
    buf: int32[32] @ Memory(resource="URAM", storage_type="RAM_2P")
    for i in range(32):
        buf[i] = a[i] + b[i]
    out: int32[32]
    for j in range(32):
        out[j] = buf[j] * 2 + c[j]
    return out


def test_memory_annotations_reach_the_ir_and_hls():
    s = allo.customize(_bound_kernel)
    f = s.ir.funcs["_bound_kernel"]
    assert [p.type.memory for p in f.params] == [
        M_BRAM, Memory(resource="URAM"), Memory(resource="LUTRAM", latency=2)]
    code = s.build(target="vhls").hls_code
    assert "#pragma HLS bind_storage variable=a type=ram_1p impl=bram" in code
    assert "#pragma HLS bind_storage variable=b type=ram_t2p impl=uram" in code
    assert "#pragma HLS bind_storage variable=c type=ram_2p impl=lutram latency=2" in code
    assert "#pragma HLS bind_storage variable=buf type=ram_2p impl=uram" in code
    assert code.count("bind_storage") == 4


def test_memory_does_not_change_results_and_survives_a_verified_schedule():
    s = allo.customize(_bound_kernel)
    a, b, c = (np.arange(32, dtype=np.int32) * k for k in (1, 3, 5))
    np.testing.assert_array_equal(s.build()(a, b, c), (a + b) * 2 + c)
    s.split("j", 4)
    s.partition(s.buf, partition_type="cyclic", dim=1, factor=4)
    s.pipeline("j.inner")
    assert s.verify()
    code = s.build(target="vhls").hls_code
    assert "bind_storage variable=buf type=ram_2p impl=uram" in code
    assert "array_partition variable=buf cyclic factor=4 dim=1" in code
    np.testing.assert_array_equal(s.build()(a, b, c), (a + b) * 2 + c)


def test_memory_counts_in_the_qor_estimate():
    def k(a: float32[4096]) -> float32[4096]:
        buf: float32[4096] @ Memory(resource="URAM")
        for i in range(4096):
            buf[i] = a[i] + 1.0
        out: float32[4096]
        for i in range(4096):
            out[i] = buf[i]
        return out

    rep = allo.customize(k).report()
    assert rep.resources.uram >= 1


def test_memory_on_a_stream_binds_a_fifo():
    def k(a: int32[4]) -> int32[4]:
        q: Stream[int32, 4] @ Memory(resource="SRL")
        for i in range(4):
            q.put(a[i])
        out: int32[4]
        for i in range(4):
            out[i] = q.get()
        return out

    code = allo.customize(k).build(target="vhls").hls_code
    assert "bind_storage variable=q type=fifo impl=srl" in code


def _error_of(fn):
    with pytest.raises(AlloError) as e:
        allo.customize(fn)
    return e.value


def test_memory_misuse_is_a_located_error():
    def scalar(a: int32 @ Memory(resource="BRAM")) -> int32:
        return a

    def srl_array(a: int32[8] @ Memory(resource="SRL")):
        a[0] = 1

    def not_a_qualifier(a: "int32[8] @ 3"):
        a[0] = 1

    def bad_memory(a: "int32[8] @ Memory(resource='DISK')"):  # evaluated at customize()
        a[0] = 1

    def layout_outside_dataflow(a: int32[8, 8] @ Layout([S(0), R])):
        a[0, 0] = 1

    def depth_on_array(a: int32[8] @ Memory(resource="BRAM", depth=8)):
        a[0] = 1

    def two_depths(a: int32[4]):
        q: Stream[int32, 4] @ Memory(resource="SRL", depth=8)
        q.put(a[0])
        a[1] = q.get()

    for fn, text in ((scalar, "is a scalar"), (srl_array, "implements FIFOs"),
                     (depth_on_array, "depth of a FIFO"), (two_depths, "depth 4"),
                     (not_a_qualifier, "not a storage qualifier"),
                     (bad_memory, "Invalid resource"),
                     (layout_outside_dataflow, "mesh of processing elements")):
        err = _error_of(fn)
        assert text in str(err) and err.loc is not None and err.hint, (fn.__name__, err)


# ------------------------------------------------------------------ Layout and DTensor
def test_layout_spellings_and_placement():
    ly = Layout([S(0), R])
    assert ly == Layout("S0R") and str(ly) == "S0R" and hash(ly) == hash(Layout("S0R"))
    assert ly.get_placement([2]) == {(0, 0): [(0,)], (1, 0): [(1,)]}
    # replicated over mesh dimension 1: two PEs share each tile
    assert Layout("S0S1").get_placement([2, 2])[(1, 0)] == [(1, 0)]
    assert Layout("S0R").get_placement([2, 2])[(1, 0)] == [(1, 0), (1, 1)]
    with pytest.raises(AlloTypeError, match="cannot read layout"):
        Layout("S0X")
    with pytest.raises(AlloTypeError, match="mesh"):
        Layout("S2").get_placement([2])


def test_dtensor_holds_a_layout_or_a_memory():
    d = DTensor(None, [2, 4], (8, 8), int32, Layout("S0S1"), name="A")
    assert d.layout == Layout("S0S1") and d.memory is None
    assert d.get_local_shape() == (4, 2)
    assert d.PE_tile_id_to_tensor_tile_id((1, 3)) == (1, 3)
    m = DTensor(None, None, (64,), float32, Memory(resource="BRAM"), name="C")
    assert m.memory == Memory(resource="BRAM") and m.layout is None
    assert "memory=Memory(" in str(m) and repr(m) == "C"
    with pytest.raises(AlloTypeError, match="equal tiles"):
        DTensor(None, [3], (8,), int32, Layout("S0"), name="B").get_local_shape()
    with pytest.raises(AlloTypeError, match="entries"):
        DTensor(None, [2], (8, 8), int32, Layout("S0"), name="B")


def test_memory_ports_and_latency_reach_the_qor_model():
    def reads_two(mem: Memory):
        def kernel(a: float32[64]) -> float32[64]:
            buf: float32[64] @ mem
            for i in range(64):
                buf[i] = a[i]
            out: float32[64] = 0.0
            for j in range(63):
                out[j] = buf[j] + buf[j + 1]
            return out
        s = allo.customize(kernel)
        s.pipeline("j")
        return s.report().timing("j")

    two = reads_two(Memory(resource="BRAM", storage_type="RAM_T2P"))
    one = reads_two(Memory(resource="BRAM", storage_type="RAM_1P"))
    slow = reads_two(Memory(resource="BRAM", storage_type="RAM_T2P", latency=3))
    assert (two.ii, one.ii) == (1, 2)      # two reads of one bank per iteration
    assert slow.depth == two.depth + 2     # the read takes 3 cycles instead of 1


def test_memory_binding_survives_reshape():
    def k(a: int32[16]) -> int32[16]:
        buf: int32[16] @ Memory(resource="URAM")
        for i in range(16):
            buf[i] = a[i] + 1
        out: int32[16]
        for j in range(16):
            out[j] = buf[j]
        return out

    s = allo.customize(k)
    s.reshape(s.buf, (4, 4))
    assert s.verify()
    assert "bind_storage variable=buf type=ram_t2p impl=uram" in s.build(target="vhls").hls_code
