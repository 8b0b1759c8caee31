"""Operator latencies and resources, per op, type and width (Vitis HLS on UltraScale+).

Every constant here is documented, with its source, in ``docs/qor.md`` ("Operators").
They are taken from vendor material, never fitted to the reports the model is checked
against:

* floating point: AMD PG060 (Floating-Point Operator) resource tables for UltraScale+,
  in the configurations Vitis HLS binds by default (``fadd``/``fsub``: full-DSP, 2 DSP;
  ``fmul``: max-DSP, 3 DSP; ``fdiv``/``fsqrt``: fabric, 0 DSP), with the latencies Vitis
  HLS schedules at a 3.33 ns clock (its ``autopilot.rtl.models.tcl`` records ``fadd ...
  IMPL fulldsp LATENCY 4`` and ``fmul ... IMPL maxdsp LATENCY 3``);
* integer multiply: the DSP48E2 27x18 signed multiplier (UG579), ``ceil(a/27)*ceil(b/18)``
  slices for wider products; two multiplies of <= 8-bit operands that share an operand
  pack into one DSP48E2 (WP486, "INT8 optimization");
* integer add/sub/compare/logic: carry-chain LUT fabric, one LUT per result bit
  (UG574 CLB), combinational (latency 0, chained within a cycle).

Example::

    >>> from allo.ir.types import float32, int8
    >>> op_cost("add", float32).latency, op_cost("add", float32).dsp
    (4, 2)
    >>> op_cost("mul", int8).dsp, op_cost("mul", int8).packable
    (1, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

#: DSP48E2 multiplier operand widths (UG579): 27 x 18 signed.
DSP_A_BITS, DSP_B_BITS = 27, 18
#: operands of at most this many bits pack two multiplies per DSP48E2 (WP486).
PACKABLE_BITS = 8
#: products of at most this many bits are built from LUTs, not DSPs (Vitis binds
#: ``mul`` of tiny operands to fabric; UG1399 ``bind_op impl=fabric`` default for them).
LUT_MUL_BITS = 4


@dataclass(frozen=True)
class OpCost:
    """Cost of one operator instance: cycles from operands to result, and resources.

    ``packable``: a narrow int multiply that may share a DSP48E2 with another (WP486).
    """

    latency: int
    dsp: int = 0
    ff: int = 0
    lut: int = 0
    packable: bool = False


# (latency at 300 MHz, DSP, FF, LUT) per IEEE format, from PG060's UltraScale+ tables in
# the default Vitis HLS implementation of each operator.
_FLOAT = {
    # op family      f16                   f32                    f64
    "add": {16: (4, 2, 120, 210), 32: (4, 2, 205, 390), 64: (7, 3, 630, 1141)},
    "mul": {16: (3, 1, 90, 150), 32: (3, 3, 143, 321), 64: (6, 11, 299, 719)},
    "div": {16: (9, 0, 300, 450), 32: (9, 0, 761, 994), 64: (22, 0, 3211, 3658)},
    "sqrt": {16: (8, 0, 250, 350), 32: (8, 0, 482, 758), 64: (21, 0, 1706, 2152)},
    "cmp": {16: (1, 0, 30, 60), 32: (1, 0, 66, 239), 64: (1, 0, 130, 469)},
    "math": {16: (10, 4, 600, 900), 32: (15, 7, 1200, 2000), 64: (30, 26, 3000, 5000)},
    "cvt": {16: (2, 0, 50, 100), 32: (4, 0, 100, 200), 64: (5, 0, 200, 400)},
}

_FLOAT_FAMILY = {
    "add": "add", "sub": "add", "neg": None, "abs": None,
    "mul": "mul", "div": "div", "sqrt": "sqrt",
    "min": "cmp", "max": "cmp", "eq": "cmp", "ne": "cmp", "lt": "cmp", "le": "cmp",
    "gt": "cmp", "ge": "cmp",
    "exp": "math", "log": "math", "log2": "math", "log10": "math", "sin": "math",
    "cos": "math", "tan": "math", "tanh": "math", "pow": "math",
    "floor": "cvt", "ceil": "cvt", "cast": "cvt",
}

#: ops that are wiring only (no logic): casts between ints, bit selects, constants.
FREE_OPS = frozenset({"cast", "bitcast", "get_bit", "get_slice", "set_bit", "set_slice", "land",
                      "lor", "lnot", "not"})


def _float_width(t: Any) -> int:
    return 16 if t.bits <= 16 else 32 if t.bits <= 32 else 64


def int_mul_cost(a_bits: int, b_bits: int) -> OpCost:
    """An integer multiply of ``a_bits`` x ``b_bits`` operands.

    Example: ``int_mul_cost(32, 32).dsp == 4`` (2 x 2 DSP48E2 slices, UG579).
    """
    a_bits, b_bits = max(a_bits, b_bits), min(a_bits, b_bits)
    if a_bits <= LUT_MUL_BITS:
        return OpCost(0, 0, 0, a_bits * b_bits)
    dsp = math.ceil(a_bits / DSP_A_BITS) * math.ceil(b_bits / DSP_B_BITS)
    # one pipeline register per DSP cascade stage (Vitis' mul_..._N_1 modules)
    latency = 1 if dsp == 1 else 2 if dsp <= 4 else 3
    return OpCost(latency, dsp, 0 if dsp == 1 else 17 * dsp, 0,
                  packable=a_bits <= PACKABLE_BITS)


def op_cost(op: str, t: Any, operand_bits: int = 0) -> OpCost:
    """The cost of op ``op`` computing a value of type ``t``.

    ``operand_bits`` is the width of the operands' meaningful bits for multiplies (the
    frontend widens ``int8 * int8`` operands to the ``int16`` result type; the multiplier
    only needs the original 8 bits).

    Example: ``op_cost("mul", float32)`` is ``OpCost(latency=3, dsp=3, ff=143, lut=321)``.
    """
    if op == "bitcast":  # the same wires read as another type
        return OpCost(0)
    if getattr(t, "is_float", False):
        family = _FLOAT_FAMILY.get(op)
        if family is None:
            return OpCost(0, 0, 0, 2)  # sign-bit logic
        lat, dsp, ff, lut = _FLOAT[family][_float_width(t)]
        return OpCost(lat, dsp, ff, lut)
    bits = max(1, int(getattr(t, "bits", 32)))
    if getattr(t, "is_index", False):
        bits = 32  # HLS sizes index arithmetic to the loop counters (<= 32 bits)
    if op in FREE_OPS:
        return OpCost(0)
    if op == "mul":
        w = operand_bits or bits
        return int_mul_cost(w, w)
    if op in ("div", "floordiv", "mod"):
        # a radix-2 sequential divider: one cycle per quotient bit (Vitis udiv/sdiv cores)
        return OpCost(bits + 3, 0, bits * 8, bits * 7)
    if op in ("eq", "ne", "lt", "le", "gt", "ge"):
        return OpCost(0, 0, 0, bits)
    if op in ("min", "max", "abs", "select"):
        return OpCost(0, 0, 0, 2 * bits)
    if op in ("shl", "shr"):
        return OpCost(0, 0, 0, bits * max(1, math.ceil(math.log2(bits + 1))))
    # add, sub, neg, and, or, xor: one LUT per bit (carry chain)
    return OpCost(0, 0, 0, bits)


__all__ = ["OpCost", "op_cost", "int_mul_cost", "FREE_OPS", "PACKABLE_BITS",
           "LUT_MUL_BITS", "DSP_A_BITS", "DSP_B_BITS"]
