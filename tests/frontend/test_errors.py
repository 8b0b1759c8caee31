"""Every user mistake in a kernel raises a located AlloError (file:line, caret, hint).

Each bad kernel marks the line the error must point at with a ``# BAD`` comment.
"""

import inspect

import numpy as np
import pytest

import allo.builtins as allo
from allo.errors import AlloError, AlloNameError, AlloSyntaxError, AlloTypeError
from allo.frontend import parse
from allo.ir.types import Fixed, Stream, float32, int8, int16, int32

FILE = __file__
M, N = 4, 4
TABLE = np.arange(4, dtype=np.int32)


def helper(A: int32[4], B: int32[4]):
    for i in range(4):
        B[i] = A[i]


def scalar_helper(x: int32) -> int32:
    return x + 1


@allo.template("T", "L")
def tmpl(A: "T[L]") -> "T[L]":
    return A


@allo.template("T", "L")
def tmpl_doubled(A: "T[L * 2]"):  # L is not read off an argument's shape
    pass


def e_break(A: int32[4]):
    for i in range(4):
        break  # BAD


def e_continue(A: int32[4]):
    for i in range(4):
        continue  # BAD


def e_lambda(A: int32[4]):
    f = lambda x: x  # BAD


def e_dict(A: int32[4]):
    d = {1: 2}  # BAD


def e_listcomp(A: int32[4]):
    d = [i for i in range(4)]  # BAD


def e_list(A: int32[4]):
    d = [1, 2]  # BAD


def e_try(A: int32[4]):
    try:  # BAD
        A[0] = 1
    except Exception:
        pass


def e_with(A: int32[4]):
    with open("x"):  # BAD
        pass


def e_yield(A: int32[4]):
    yield A[0]  # BAD


def e_global(A: int32[4]):
    global M  # BAD


def e_class(A: int32[4]):
    class C:  # BAD
        pass


def e_starargs(*A: int32):  # BAD
    pass


def e_kwargs(A: int32[4], **kw: int32):  # BAD
    pass


def e_default(A: int32[4], x: int32 = 3):  # BAD
    pass


def e_undefined(A: int32[4]):
    A[0] = undefined_thing  # BAD


def e_missing_ann(A: int32[4], b):  # BAD
    pass


def e_bad_ann(A: int32[4], b: "hello world"):  # BAD
    pass


def e_bad_ann_value(A: int32[4], b: 42):  # BAD
    pass


def e_too_many_idx(A: int32[4, 4]):
    A[0, 1, 2] = 1  # BAD


def e_too_few_store(A: int32[4, 4]):
    A[0] = 1  # BAD


def e_too_few_read(A: int32[4, 4]):
    x: int32 = A[0]  # BAD


def e_float_index(A: int32[4]):
    A[1.5] = 1  # BAD


def e_float_var_index(A: int32[4], f: float32):
    A[f] = 1  # BAD


def e_index_oob(A: int32[4]):
    A[4] = 1  # BAD


def e_template_count(A: int32[4]):
    B = tmpl[int32](A)  # BAD


def e_loop_redef(A: int32[4]):
    for i in range(4):
        for i in range(4):  # BAD
            A[i] = 0


def e_assign_loopvar(A: int32[4]):
    for i in range(4):
        i = 2  # BAD


def e_return_scalar_for_buffer(A: int32[4]) -> int32[4]:
    return A[0]  # BAD


def e_return_shape(A: int32[4]) -> int32[8]:
    return A  # BAD


def e_return_dtype(A: int32[4]) -> float32[4]:
    return A  # BAD


def e_return_no_annotation(A: int32[4]):
    return A  # BAD


def e_return_not_last(A: int32[4]) -> int32[4]:
    for i in range(4):
        return A  # BAD
    return A


def e_missing_return(A: int32[4]) -> int32[4]:  # BAD
    A[0] = 1


def e_unknown_call(A: int32[4]):
    print(A[0])  # BAD


def e_call_argcount(A: int32[4]):
    helper(A)  # BAD


def e_call_shape(A: int32[8], B: int32[4]):
    helper(A, B)  # BAD


def e_call_dtype(A: int8[4], B: int32[4]):
    helper(A, B)  # BAD


def e_call_scalar_for_buffer(A: int32[4]):
    helper(A, 3)  # BAD


def e_call_buffer_for_scalar(A: int32[4]):
    A[0] = scalar_helper(A)  # BAD


def e_bitslice_float(A: int32[4], x: int32):
    A[0] = x[0:2.5]  # BAD (runtime integer bounds are fine: a dynamic slice)


def e_bitslice_range(x: int8, A: int32[4]):
    A[0] = x[4:12]  # BAD


def e_bit_on_float(f: float32, A: int32[4]):
    A[0] = f[1]  # BAD


def e_assign_scalar_param(x: int32):
    x = 3  # BAD


def e_assign_whole_buffer(A: int32[4]):
    A = 0  # BAD


def e_redeclare(A: int32[4]):
    B: int32[4] = 0
    B: int32[4] = 1  # BAD


def e_redeclare_param(A: int32[4]):
    A: int32[4] = 0  # BAD


def e_tuple_assign(A: int32[4]):
    a, b = 1, 2  # BAD


def e_chain_assign(A: int32[4]):
    a = b = 1  # BAD


def e_for_non_range(A: int32[4]):
    for x in A:  # BAD
        pass


def e_grid_arity(A: int32[4, 4]):
    for i, j in allo.grid(4):  # BAD
        pass


def e_range_step(A: int32[4], s: int32):
    for i in range(0, 4, 0):  # BAD
        pass


def e_for_else(A: int32[4]):
    for i in range(4):
        pass
    else:
        A[0] = 1  # BAD


def e_is_compare(A: int32[4]):
    A[0] = 1 if A[1] is A[2] else 0  # BAD


def e_matmul_op(A: int32[4]):
    A[0] = A[1] @ A[2]  # BAD


def e_bitand_float(f: float32, A: float32[4]):
    A[0] = f & 1  # BAD


def e_int_pow(A: int32[4]):
    A[0] = A[1] ** 2  # BAD


def e_put_nonstream(A: int32[4]):
    A[0].put(1)  # BAD


def e_get_stream_array(S: Stream[int8, 2][4], A: int8[4]):
    A[0] = S.get()  # BAD


def e_stream_init(A: int32[4]):
    q: Stream[int32, 2] = 0  # BAD


def e_buffer_as_value(A: int32[4]):
    x: int32 = A  # BAD


def e_shape_nonint(A: int32[4]):
    B: int32[4, 1.5] = 0  # BAD


def e_template_not_instantiated(A: int32[4]):
    tmpl_doubled(A)  # BAD


def e_not_template(A: int32[4], B: int32[4]):
    helper[int32](A, B)  # BAD


def e_keyword_call(A: int32[4], B: int32[4]):
    helper(A, B=B)  # BAD


def e_unused_expr(A: int32[4]):
    A[0] + 1  # BAD


def e_recursive(A: int32[4]):
    e_recursive(A)  # BAD


def e_result_count(A: int32[4], B: int32[4]):
    C = helper(A, B)  # BAD


def e_assert(A: int32[4]):
    assert A[0] == 0  # BAD


def e_import(A: int32[4]):
    import math  # BAD


def e_walrus(A: int32[4]):
    A[0] = (y := 3)  # BAD


def e_loop_var_outside(A: int32[4]):
    for i in range(4):
        pass
    A[i] = 0  # BAD


def e_slice_buffer(A: int32[4]):
    A[0:4:2] = 1  # BAD


def e_mod_fixed(x: Fixed(8, 4), A: Fixed(8, 4)[4]):
    A[0] = x % x  # BAD


def e_fstring(A: int32[4]):
    s = f"{A[0]}"  # BAD


def e_string_value(A: int32[4]):
    A[0] = "hello"  # BAD


def e_scope(A: int32[4]):
    for i in range(4):
        t: int32 = A[i]
    A[0] = t  # BAD


def e_table_shape(A: int32[4]):
    W: int32[8] = TABLE  # BAD


def e_while_else(A: int32[4]):
    while A[0] < 3:
        A[0] += 1
    else:
        A[1] = 0  # BAD


def e_grid_kw(A: int32[4]):
    for i in allo.grid(4, stride=2):  # BAD
        pass


def e_deep_expression(A: int32[4], B: int32[4]):
    # 80 int32 terms: 160 IR levels (each sum widens, then is cast), past MAX_EXPR_DEPTH;
    # this used to parse, then crash repr/verify_ir with RecursionError
    B[0] = (A[0] + A[1] + A[2] + A[3] + A[0] + A[1] + A[2] + A[3] + A[0] + A[1]  # BAD
            + A[2] + A[3] + A[0] + A[1] + A[2] + A[3] + A[0] + A[1] + A[2] + A[3]
            + A[0] + A[1] + A[2] + A[3] + A[0] + A[1] + A[2] + A[3] + A[0] + A[1]
            + A[2] + A[3] + A[0] + A[1] + A[2] + A[3] + A[0] + A[1] + A[2] + A[3]
            + A[0] + A[1] + A[2] + A[3] + A[0] + A[1] + A[2] + A[3] + A[0] + A[1]
            + A[2] + A[3] + A[0] + A[1] + A[2] + A[3] + A[0] + A[1] + A[2] + A[3]
            + A[0] + A[1] + A[2] + A[3] + A[0] + A[1] + A[2] + A[3] + A[0] + A[1]
            + A[2] + A[3] + A[0] + A[1] + A[2] + A[3] + A[0] + A[1] + A[2] + A[3])


def ok_deep_expression(A: int32[4], B: int32[4]):
    B[0] = (A[0] + A[1] + A[2] + A[3] + A[0] + A[1] + A[2] + A[3] + A[0] + A[1]
            + A[2] + A[3] + A[0] + A[1] + A[2] + A[3] + A[0] + A[1] + A[2] + A[3]
            + A[0] + A[1] + A[2] + A[3] + A[0] + A[1] + A[2] + A[3] + A[0] + A[1]
            + A[2] + A[3] + A[0] + A[1] + A[2] + A[3] + A[0] + A[1] + A[2] + A[3]
            + A[0] + A[1] + A[2] + A[3] + A[0] + A[1] + A[2] + A[3] + A[0] + A[1]
            + A[2] + A[3] + A[0] + A[1] + A[2] + A[3] + A[0] + A[1] + A[2] + A[3])


CASES = [
    (e_break, AlloSyntaxError, "'break'"),
    (e_continue, AlloSyntaxError, "'continue'"),
    (e_lambda, AlloSyntaxError, "lambda"),
    (e_dict, AlloSyntaxError, "dict literals"),
    (e_listcomp, AlloSyntaxError, "list comprehensions"),
    (e_list, AlloSyntaxError, "list literals"),
    (e_try, AlloSyntaxError, "'try'"),
    (e_with, AlloSyntaxError, "'with'"),
    (e_yield, AlloSyntaxError, "'yield'"),
    (e_global, AlloSyntaxError, "'global'"),
    (e_class, AlloSyntaxError, "class definitions"),
    (e_starargs, AlloSyntaxError, "*args"),
    (e_kwargs, AlloSyntaxError, "**kwargs"),
    (e_default, AlloSyntaxError, "default parameter"),
    (e_undefined, AlloNameError, "'undefined_thing' is not defined"),
    (e_missing_ann, AlloTypeError, "no type annotation"),
    (e_bad_ann, AlloSyntaxError, "cannot parse the type string"),
    (e_bad_ann_value, AlloTypeError, "not an Allo type"),
    (e_too_many_idx, AlloTypeError, "too many indices"),
    (e_too_few_store, AlloTypeError, "needs all 2 indices"),
    (e_too_few_read, AlloTypeError, "cannot be initialized from buffer 'A'"),
    (e_float_index, AlloTypeError, "not an integer"),
    (e_float_var_index, AlloTypeError, "not an integer"),
    (e_index_oob, AlloTypeError, "out of range"),
    (e_template_count, AlloTypeError, "takes 2 argument(s)"),
    (e_loop_redef, AlloNameError, "redefines"),
    (e_assign_loopvar, AlloTypeError, "loop variable"),
    (e_return_scalar_for_buffer, AlloTypeError, "returns a scalar"),
    (e_return_shape, AlloTypeError, "declares int32[8]"),
    (e_return_dtype, AlloTypeError, "declares float32[4]"),
    (e_return_no_annotation, AlloTypeError, "no return annotation"),
    (e_return_not_last, AlloSyntaxError, "last statement"),
    (e_missing_return, AlloTypeError, "does not end with 'return'"),
    (e_unknown_call, AlloNameError, "cannot call 'print'"),
    (e_call_argcount, AlloTypeError, "takes 2 argument(s) but 1 were given"),
    (e_call_shape, AlloTypeError, "expects int32[4], got int32[8]"),
    (e_call_dtype, AlloTypeError, "expects int32[4], got int8[4]"),
    (e_call_scalar_for_buffer, AlloTypeError, "must be a buffer"),
    (e_call_buffer_for_scalar, AlloTypeError, "not a scalar"),
    (e_bitslice_float, AlloTypeError, "bounds must be integers"),
    (e_bitslice_range, AlloTypeError, "out of range for int8"),
    (e_bit_on_float, AlloTypeError, "bit access needs an integer"),
    (e_assign_scalar_param, AlloTypeError, "scalar parameter 'x'"),
    (e_assign_whole_buffer, AlloTypeError, "whole buffer"),
    (e_redeclare, AlloNameError, "already declared"),
    (e_redeclare_param, AlloNameError, "is a parameter"),
    (e_tuple_assign, AlloSyntaxError, "tuple assignment"),
    (e_chain_assign, AlloSyntaxError, "chained assignment"),
    (e_for_non_range, AlloSyntaxError, "must iterate over range"),
    (e_grid_arity, AlloTypeError, "1 extent(s) but 2 loop variable(s)"),
    (e_range_step, AlloTypeError, "non-zero integer"),  # a runtime step is accepted
    (e_for_else, AlloSyntaxError, "'for ... else'"),
    (e_is_compare, AlloSyntaxError, "comparison 'Is'"),
    (e_matmul_op, AlloTypeError, "matmul needs two arrays"),
    (e_bitand_float, AlloTypeError, "needs integer operands"),
    (e_int_pow, AlloTypeError, "needs a float operand"),
    (e_put_nonstream, AlloTypeError, "needs a stream"),
    (e_get_stream_array, AlloTypeError, "array of streams"),
    (e_stream_init, AlloTypeError, "cannot have an initial value"),
    (e_buffer_as_value, AlloTypeError, "cannot be initialized from buffer 'A'"),
    (e_shape_nonint, AlloTypeError, "positive ints"),
    (e_template_not_instantiated, AlloTypeError, "cannot infer template parameter"),
    (e_not_template, AlloTypeError, "is not a template"),
    (e_keyword_call, AlloSyntaxError, "keyword arguments"),
    (e_unused_expr, AlloSyntaxError, "no effect"),
    (e_recursive, AlloSyntaxError, "calls itself"),
    (e_result_count, AlloTypeError, "returns nothing"),
    (e_assert, AlloSyntaxError, "'assert'"),
    (e_import, AlloSyntaxError, "imports"),
    (e_walrus, AlloSyntaxError, ":="),
    (e_loop_var_outside, AlloNameError, "'i' is not defined outside its loop"),
    (e_slice_buffer, AlloSyntaxError, "slices of buffer 'A' take no step"),
    (e_mod_fixed, AlloTypeError, "needs integer or float operands"),
    (e_fstring, AlloSyntaxError, "f-strings"),
    (e_string_value, AlloTypeError, "cannot be used as a value"),
    (e_scope, AlloNameError, "outside the block"),
    (e_table_shape, AlloTypeError, "has shape [4]"),
    (e_while_else, AlloSyntaxError, "'while ... else'"),
    (e_grid_kw, AlloSyntaxError, "unknown keyword 'stride'"),
    (e_deep_expression, AlloSyntaxError, "nested too deeply"),
]


def bad_line(fn) -> int:
    lines, start = inspect.getsourcelines(fn)
    marked = [start + k for k, text in enumerate(lines) if "# BAD" in text]
    assert len(marked) == 1, fn.__name__
    return marked[0]


def test_enough_distinct_cases():
    assert len({fn.__name__ for fn, _, _ in CASES}) >= 40


@pytest.mark.parametrize("fn,cls,phrase", CASES, ids=[c[0].__name__ for c in CASES])
def test_bad_kernel(fn, cls, phrase):
    with pytest.raises(cls) as info:
        parse(fn)
    msg = str(info.value)
    line = bad_line(fn)
    assert f"{FILE}:{line}:" in msg, msg
    lines = msg.splitlines()
    caret = [k for k, text in enumerate(lines) if text.strip().startswith("^")]
    assert caret, msg
    assert "# BAD" in lines[caret[0] - 1], msg  # the quoted source line is the marked one
    assert "hint:" in msg
    assert phrase in msg, msg


def test_caret_points_at_offending_node():
    with pytest.raises(AlloNameError) as info:
        parse(e_undefined)
    text = str(info.value).splitlines()
    src, caret = text[1], text[2]
    col = caret.index("^")
    assert src[col:col + len("undefined_thing")] == "undefined_thing"
    assert caret.count("~") == len("undefined_thing") - 1


def test_top_level_template_errors():
    with pytest.raises(AlloTypeError, match="needs template arguments"):
        parse(tmpl)
    with pytest.raises(AlloTypeError, match=r"takes 2 argument\(s\)") as info:
        parse(tmpl, [int32])
    assert f"{FILE}:{bad_def_line(tmpl)}" in str(info.value)
    with pytest.warns(UserWarning, match="'helper' is not a template: instantiate=.* is ignored"):
        parse(helper, [int32])  # public Allo ignores it too


def bad_def_line(fn) -> int:
    lines, start = inspect.getsourcelines(fn)
    return start + next(k for k, t in enumerate(lines) if t.lstrip().startswith("def "))


def test_deep_but_admitted_expressions_work_everywhere():
    from allo.backends.interp import Interpreter
    from allo.ir.nodes import MAX_EXPR_DEPTH, expr_depth, walk_stmts, Store
    from allo.ir.verifier import verify_ir

    m = parse(ok_deep_expression)
    depth = max(expr_depth(s.value) for s in walk_stmts(m.top_func.body) if isinstance(s, Store))
    assert 100 < depth <= MAX_EXPR_DEPTH
    repr(m.top_func)
    verify_ir(m)
    A, B = np.arange(4, dtype=np.int32), np.zeros(4, np.int32)
    Interpreter(m)(A, B)
    assert B[0] == 15 * 6


def test_not_a_function():
    with pytest.raises(AlloSyntaxError, match="not a Python function"):
        parse(len)
    with pytest.raises(AlloError):
        parse(lambda A: A)
