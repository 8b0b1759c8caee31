"""The FIFO part of the II/latency model (allo/qor/model.py: StreamRate, stream_occupancy),
against hand counts."""

from allo.qor.model import StreamRate, stream_occupancy


def test_access_times_follow_the_loop_nest():
    # two loops of 2 x 4 iterations: a row every 10 cycles, an element every cycle
    rate = StreamRate(fill=3, interval=1, strides=(10, 1), trips=(2, 4))
    assert [rate.time(n) for n in range(8)] == [3, 4, 5, 6, 13, 14, 15, 16]
    # two accesses per innermost iteration share its cycle
    pair = StreamRate(fill=0, interval=0.5, strides=(1,), trips=(4,), per_iteration=2)
    assert [pair.time(n) for n in range(4)] == [0, 0, 1, 1]


def test_equal_rates_need_one_slot():
    # every element is taken one hop after it is put, before the next one arrives
    assert stream_occupancy(16, StreamRate(2, 1), StreamRate(2, 1)) == 1


def test_a_consumer_twice_as_slow_holds_half_the_stream():
    # puts at 1..8; gets at 2, 4, ..., 16: just before the 4th get (cycle 8) puts 1..7 are
    # done and 3 were taken: 4 wait; later the backlog only shrinks
    assert stream_occupancy(8, StreamRate(1, 1), StreamRate(1, 2)) == 4


def test_a_faster_consumer_only_waits_for_data():
    assert stream_occupancy(8, StreamRate(1, 3), StreamRate(0, 1)) == 1


def test_a_consumer_that_starts_late_holds_what_came_before():
    # the consumer's first get is at cycle 20: the 10 elements put at cycles 0..9 all wait
    assert stream_occupancy(10, StreamRate(0, 1), StreamRate(20, 1)) == 10
