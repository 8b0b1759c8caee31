"""Values through the ping-pong buffers of a dataflow loop kept as a loop (``s.dataflow(i)``):
each iteration's tasks get a bank of their own, so a reader sees only what the writer task
wrote in the same iteration. ``dataflow`` refuses, and ``verify`` calls "unknown", a loop
whose tasks read an element written in another iteration or not written at all."""

import pytest

import allo
from allo.errors import AlloError
from allo.ir.nodes import For, walk_stmts
from allo.ir.types import int32


def carried(A: int32[4], B: int32[4]):
    buf: int32[4]
    for i in range(4):
        for t in range(1):
            buf[i] = A[i] + 1
        for u in range(1):
            if i > 0:
                B[i] = buf[i - 1]  # written by the previous iteration's writer


def accumulated(A: int32[4], B: int32[4]):
    buf: int32[4]
    for i in range(4):
        for t in range(1):
            buf[i] = A[i]
        for u in range(1):
            s: int32 = 0
            for j in range(4):
                s += buf[j]  # the whole buffer, filled over the iterations
            B[i] = s


def half_written(A: int32[4], B: int32[4]):
    buf: int32[4]
    for i in range(4):
        for t in range(2):
            buf[t] = A[i] + t  # elements 0 and 1 only
        for u in range(4):
            B[i] += buf[u]


def writer_reads_back(A: int32[4], B: int32[4]):
    buf: int32[4]
    for i in range(4):
        for t in range(1):
            if i > 0:
                buf[i] = buf[i - 1] + A[i]  # the writer reads its own previous iteration
            else:
                buf[i] = A[i]
        for u in range(1):
            B[i] = buf[i]


def scalar_sometimes(A: int32[4], B: int32[4]):
    x: int32 = 0
    for i in range(4):
        for t in range(1):
            if i % 2 == 0:
                x = A[i]
        for u in range(1):
            B[i] = x


def same_iteration(A: int32[4], B: int32[4]):
    buf: int32[4]
    for i in range(4):
        for t in range(4):
            buf[t] = A[i] + t
        for u in range(4):
            B[i] += buf[u]


def same_element(A: int32[4], B: int32[4]):
    buf: int32[4]
    for i in range(4):
        for t in range(1):
            buf[i] = A[i] * 3
        for u in range(1):
            B[i] = buf[i] + 1


def reads_an_input_only(A: int32[4], B: int32[4], C: int32[4]):
    for i in range(4):
        for t in range(1):
            B[i] = A[3 - i]
        for u in range(1):
            C[i] = A[i] + A[0]


WRONG = [(carried, "buf[i - 1]"), (accumulated, "buf[j]"), (half_written, "buf[u]"),
         (writer_reads_back, "buf[i - 1]"), (scalar_sometimes, "'x'")]


@pytest.mark.parametrize("kernel, read", WRONG, ids=[k.__name__ for k, _ in WRONG])
def test_dataflow_refuses_a_read_of_another_iterations_value(kernel, read):
    s = allo.customize(kernel)
    with pytest.raises(AlloError) as err:
        s.dataflow("i")
    text = str(err.value)
    assert "ping-pong reads see their own iteration" in text, text
    assert read in text and "at iteration (i=" in text, text  # the witness
    assert "hint" in text.lower() and "stream" in text, text


@pytest.mark.parametrize("kernel, read", WRONG, ids=[k.__name__ for k, _ in WRONG])
def test_verify_is_unknown_for_such_a_loop_marked_in_the_ir(kernel, read):
    s = allo.customize(kernel)
    loop = next(x for x in walk_stmts(s.ir.top_func.body) if isinstance(x, For) and x.var == "i")
    loop.attrs["dataflow"] = True  # the attribute, without the primitive's check
    v = allo.verify(kernel, s, cache=False)
    assert v.status == "unknown", v.report()
    assert "ping-pong" in v.reason and read in v.reason, v.reason


@pytest.mark.parametrize("kernel", [same_iteration, same_element, reads_an_input_only])
def test_reads_of_the_same_iterations_writes_pass(kernel):
    s = allo.customize(kernel)
    s.dataflow("i")
    v = allo.verify(kernel, s, cache=False)
    assert v.status == "equivalent", v.report()


def test_a_fully_unrolled_dataflow_loop_reads_only_its_own_copys_writes():
    # every iteration is a copy of its own, all running concurrently: copy i's reader of
    # buf[i - 1] is not ordered after copy i - 1's writer (regression: "equivalent", the rule
    # was skipped for unrolled loops)
    s = allo.customize(carried)
    s.unroll("i", 0)
    with pytest.raises(AlloError, match="each iteration is a copy running concurrently"):
        s.dataflow("i")
    loop = next(x for x in walk_stmts(s.ir.top_func.body) if isinstance(x, For) and x.var == "i")
    loop.attrs["dataflow"] = True
    v = allo.verify(carried, s, cache=False)
    assert v.status == "unknown" and "buf[i - 1]" in v.reason, v.report()
    s = allo.customize(same_element)  # each copy reads what it wrote itself
    s.unroll("i", 0)
    s.dataflow("i")
    assert allo.verify(same_element, s, cache=False).status == "equivalent"


def fill_two(X: int32[4], v: int32):
    for k in range(2):
        X[k] = v + k


def fill_four(X: int32[4], v: int32):
    for k in range(4):
        X[k] = v + k


def through_half_call(A: int32[4], B: int32[4]):
    buf: int32[4]
    for i in range(4):
        fill_two(buf, A[i])  # the callee writes elements 0 and 1 only
        for u in range(4):
            B[i] += buf[u]


def through_full_call(A: int32[4], B: int32[4]):
    buf: int32[4]
    for i in range(4):
        fill_four(buf, A[i])
        for u in range(4):
            B[i] += buf[u]


def test_writes_inside_a_callee_count_only_where_they_happen():
    s = allo.customize(through_half_call)
    with pytest.raises(AlloError, match=r"the read of buf\[u\] at iteration .* reads buf\[[23]\]"):
        s.dataflow("i")
    s = allo.customize(through_full_call)
    s.dataflow("i")
    v = allo.verify(through_full_call, s, cache=False)
    assert v.status == "equivalent", v.report()


def test_the_hls_gate_refuses_such_a_loop_marked_in_the_ir():
    from allo.errors import VerificationError

    s = allo.customize(carried)
    loop = next(x for x in walk_stmts(s.ir.top_func.body) if isinstance(x, For) and x.var == "i")
    loop.attrs["dataflow"] = True
    with pytest.raises(VerificationError) as err:
        s.build(target="vhls")
    assert "ping-pong" in str(err.value), str(err.value)


def two_writers(A: int32[4], B: int32[4]):
    buf: int32[4]
    for i in range(4):
        for t in range(1):
            buf[i] = A[i]
        for t2 in range(1):
            buf[i] = A[i] + 1  # a second writer task of the same ping-pong buffer
        for u in range(1):
            B[i] = buf[i]


def test_verify_is_unknown_for_two_writer_tasks_in_a_dataflow_loop():
    s = allo.customize(two_writers)
    with pytest.raises(AlloError, match="one writer task per buffer"):
        s.dataflow("i")
    loop = next(x for x in walk_stmts(s.ir.top_func.body) if isinstance(x, For) and x.var == "i")
    loop.attrs["dataflow"] = True
    v = allo.verify(two_writers, s, cache=False)
    assert v.status == "unknown" and "written by tasks 0, 1" in v.reason, v.report()


def read_after_the_loop(A: int32[4], B: int32[4], C: int32[4]):
    buf: int32[4]
    for i in range(4):
        for t in range(1):
            buf[i] = A[i]
        for u in range(1):
            B[i] = buf[i]
    for j in range(4):
        C[j] = buf[j]  # which bank holds buf[j] here is not defined


def parameter_rewritten(A: int32[4], B: int32[4], C: int32[4]):
    for i in range(4):
        for t in range(4):
            B[t] = A[i] + t  # every iteration rewrites all of B (memory, not banks)
        for u in range(1):
            C[i] = B[i]


def parameter_once(A: int32[4], B: int32[4], C: int32[4]):
    for i in range(4):
        for t in range(1):
            B[i] = A[i] + 1
        for u in range(1):
            C[i] = B[i] * 2


@pytest.mark.parametrize("kernel, why", [
    (read_after_the_loop, "outside the loop reads it"),
    (parameter_rewritten, "it is a parameter")], ids=["local_read_after", "parameter_rewritten"])
def test_a_shared_buffer_whose_value_outside_the_loop_matters(kernel, why):
    s = allo.customize(kernel)
    with pytest.raises(AlloError, match=why):
        s.dataflow("i")
    loop = next(x for x in walk_stmts(s.ir.top_func.body) if isinstance(x, For) and x.var == "i")
    loop.attrs["dataflow"] = True
    v = allo.verify(kernel, s, cache=False)
    assert v.status == "unknown" and why in v.reason, v.report()


def test_a_parameter_written_once_per_element_passes():
    s = allo.customize(parameter_once)
    s.dataflow("i")
    v = allo.verify(parameter_once, s, cache=False)
    assert v.status == "equivalent", v.report()


@pytest.mark.parametrize("method", ["certificates", "modular"])
def test_every_verification_method_checks_the_ping_pong_rule(method):
    # the chain and the summaries reason in sequential semantics: they must not skip it
    s = allo.customize(carried)
    loop = next(x for x in walk_stmts(s.ir.top_func.body) if isinstance(x, For) and x.var == "i")
    loop.attrs["dataflow"] = True
    v = allo.verify(carried, s, method=method, cache=False)
    assert v.status == "unknown" and "ping-pong" in v.reason, v.report()


def backward(A: int32[4], B: int32[4]):
    buf: int32[4]
    for i in range(4):
        for u in range(1):
            B[i] = buf[0]  # read before the writer task of the iteration
        for t in range(4):
            buf[t] = A[i] + t  # writes every element: not enough when a reader comes first


def test_verify_is_unknown_for_a_reader_task_before_its_writer():
    s = allo.customize(backward)
    with pytest.raises(AlloError, match="reads .*buf.* before"):
        s.dataflow("i")
    loop = next(x for x in walk_stmts(s.ir.top_func.body) if isinstance(x, For) and x.var == "i")
    loop.attrs["dataflow"] = True
    v = allo.verify(backward, s, cache=False)
    assert v.status == "unknown" and "task 0 reads 'buf' before task 1 writes it" in v.reason, v.report()


def read_prev_in_callee(X: int32[4], B: int32[4], i: int32):
    if i > 0:
        B[i] = X[i - 1]


def reads_through_a_call(A: int32[4], B: int32[4]):
    buf: int32[4]
    for i in range(4):
        for t in range(1):
            buf[i] = A[i] + 1
        read_prev_in_callee(buf, B, i)  # reads buf[i - 1], written by the previous iteration


def copy_out(X: int32[4], C: int32[4]):
    for j in range(4):
        C[j] = X[j]


def read_after_the_loop_in_a_call(A: int32[4], B: int32[4], C: int32[4]):
    buf: int32[4]
    for i in range(4):
        for t in range(1):
            buf[i] = A[i]
        for u in range(1):
            B[i] = buf[i]
    copy_out(buf, C)  # reads the ping-pong buffer after the loop, inside a callee


def sum_in_callee(X: int32[4], B: int32[4], i: int32):
    for j in range(4):
        B[i] += X[j]


def full_writer_call_reader(A: int32[4], B: int32[4]):
    buf: int32[4]
    for i in range(4):
        fill_four(buf, A[i])
        sum_in_callee(buf, B, i)


def add_previous(X: int32[4], A: int32[4], i: int32):
    if i > 0:
        X[i] = X[i - 1] + A[i]  # reads the previous iteration's write
    else:
        X[i] = A[i]


def writer_reads_back_in_a_call(A: int32[4], B: int32[4]):
    buf: int32[4]
    for i in range(4):
        add_previous(buf, A, i)
        for u in range(1):
            B[i] = buf[i]


@pytest.mark.parametrize("kernel, why", [
    (reads_through_a_call, "read of buf (unknown element)"),
    (read_after_the_loop_in_a_call, "outside the loop reads it"),
    (writer_reads_back_in_a_call, "read of buf (unknown element)")],
    ids=["reader_call", "call_after_loop", "writer_call"])
def test_reads_inside_a_callee_are_checked(kernel, why):
    # a buffer passed to a callee that reads it was listed as a write only, so these reads
    # went unchecked and the design was "equivalent" (regression)
    s = allo.customize(kernel)
    with pytest.raises(AlloError, match="ping-pong reads see their own iteration") as err:
        s.dataflow("i")
    assert why in str(err.value), str(err.value)
    loop = next(x for x in walk_stmts(s.ir.top_func.body) if isinstance(x, For) and x.var == "i")
    loop.attrs["dataflow"] = True
    v = allo.verify(kernel, s, cache=False)
    assert v.status == "unknown" and "ping-pong" in v.reason, v.report()


def test_a_callee_reading_a_buffer_the_writer_fills_passes():
    s = allo.customize(full_writer_call_reader)
    s.dataflow("i")
    v = allo.verify(full_writer_call_reader, s, cache=False)
    assert v.status == "equivalent", v.report()


@pytest.mark.parametrize("first", ["unroll", "dataflow"])
def test_copies_of_a_partially_unrolled_dataflow_loop_do_not_share_elements(first):
    # unrolled by 2, two copies run concurrently and each rewrites all of buf in every
    # iteration: one copy may overwrite buf while the other still reads it (regression:
    # "equivalent"); an element written in one iteration only is fine
    s = allo.customize(same_iteration)
    if first == "unroll":
        s.unroll("i", 2)
        with pytest.raises(AlloError, match="unrolled into copies that run concurrently"):
            s.dataflow("i")
    else:
        s.dataflow("i")
        s.unroll("i", 2)
        v = allo.verify(same_iteration, s, cache=False)
        assert v.status == "unknown" and "unrolled into copies" in v.reason, v.report()
    s = allo.customize(same_element)
    s.unroll("i", 2)
    s.dataflow("i")
    assert allo.verify(same_element, s, cache=False).status == "equivalent"


def nested_same_iteration(A: int32[4], B: int32[4]):
    for o in range(2):
        buf: int32[4]
        for i in range(4):
            for t in range(4):
                buf[t] = A[i] + t
            for u in range(4):
                B[i] += buf[u]


def test_a_pipelined_dataflow_loop_is_refused_either_way_round():
    # Vitis unrolls a pipelined loop's body, so a dataflow pragma in it is ignored and the
    # tasks run one after another: not the concurrent processes the verifier models
    s = allo.customize(same_iteration)
    s.dataflow("i")
    with pytest.raises(AlloError, match="dataflow pragma would be ignored"):
        s.pipeline("i")
    s = allo.customize(nested_same_iteration)
    s.dataflow("i")
    with pytest.raises(AlloError, match="holds the dataflow loop 'i'"):
        s.pipeline("o")
    s.pipeline("t")  # a loop inside a task: fine
    assert allo.verify(nested_same_iteration, s, cache=False).status == "equivalent"
    s = allo.customize(nested_same_iteration)
    s.pipeline("o")
    with pytest.raises(AlloError, match="inside pipelined loop 'o'"):
        s.dataflow("i")


def test_verify_is_unknown_for_a_pipelined_dataflow_loop_marked_in_the_ir():
    s = allo.customize(same_iteration)
    s.dataflow("i")
    loop = next(x for x in walk_stmts(s.ir.top_func.body) if isinstance(x, For) and x.var == "i")
    loop.attrs["pipeline_ii"] = 1  # the attribute, without the primitive's check
    v = allo.verify(same_iteration, s, cache=False)
    assert v.status == "unknown" and "is pipelined (itself)" in v.reason, v.report()
