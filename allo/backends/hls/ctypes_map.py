"""Allo element types as Vitis HLS C++ types, and C++ identifiers from Allo names.

Standard widths use ``<cstdint>`` types, other widths ``ap_int<N>``/``ap_uint<N>``, fixed
point ``ap_fixed<W, W-F>``/``ap_ufixed<W, W-F>`` (default AP_TRN/AP_WRAP, which are Allo's
floor/wrap), floats ``float``/``double``/``half`` and bfloat16 the helper struct
``allo_bf16`` (see :mod:`allo.backends.hls.prelude`). ``index`` is ``int64_t``.

Example::

    >>> from allo.ir.types import Int, UInt, Fixed, int8
    >>> c_type(int8), c_type(Int(12)), c_type(UInt(32)), c_type(Fixed(16, 10))
    ('int8_t', 'ap_int<12>', 'uint32_t', 'ap_fixed<16, 6>')
    >>> label("i.outer")
    'l_i_outer'
"""

from __future__ import annotations

import re

from ...errors import BackendError
from ...ir.types import AlloType, Fixed, Float, Index, Int

STANDARD_WIDTHS = (8, 16, 32, 64)

_CPP_KEYWORDS = frozenset("""alignas alignof and and_eq asm auto bitand bitor bool break case catch
char char16_t char32_t class compl const constexpr const_cast continue decltype default delete do
double dynamic_cast else enum explicit export extern false float for friend goto if inline int long
mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public register
reinterpret_cast return short signed sizeof static static_assert static_cast struct switch template
this thread_local throw true try typedef typeid typename union unsigned using virtual void volatile
wchar_t while xor xor_eq half main std hls""".split())


def c_type(t: AlloType) -> str:
    """The C++ spelling of element type ``t``. Example: ``c_type(UInt(1)) == 'bool'``."""
    if isinstance(t, Index):
        return "int64_t"
    if isinstance(t, Float):
        return {"f16": "half", "bf16": "allo_bf16", "f32": "float", "f64": "double"}[t.kind]
    if isinstance(t, Fixed):
        base = "ap_fixed" if t.signed else "ap_ufixed"
        return f"{base}<{t.bits}, {t.bits - t.frac}>"
    if isinstance(t, Int):
        if t.bits == 1 and not t.signed:
            return "bool"
        if t.bits in STANDARD_WIDTHS:
            return f"{'' if t.signed else 'u'}int{t.bits}_t"
        return f"{'ap_int' if t.signed else 'ap_uint'}<{t.bits}>"
    raise BackendError(f"the HLS backend has no C++ type for {t!r}")


def is_native_int(t: AlloType) -> bool:
    """True for integers held in a native C++ integer (``intN_t``, ``bool``, index)."""
    if isinstance(t, Index):
        return True
    return isinstance(t, Int) and (t.bits in STANDARD_WIDTHS or (t.bits == 1 and not t.signed))


def is_ap_int(t: AlloType) -> bool:
    """True for integers emitted as ``ap_int<N>``/``ap_uint<N>``."""
    return isinstance(t, Int) and not is_native_int(t)


def identifier(name: str) -> str:
    """A valid C++ identifier for an Allo name (``"i.outer"`` -> ``"i_outer"``)."""
    s = re.sub(r"[^0-9A-Za-z_]", "_", name) or "v"
    if s[0].isdigit():
        s = "v" + s
    if s in _CPP_KEYWORDS or s.startswith("allo_") or s.startswith("__"):
        s = "v_" + s
    return s


def label(loop_name: str) -> str:
    """The label of a loop: ``l_`` + its sanitized name. Example: ``label("j") == 'l_j'``."""
    return "l_" + re.sub(r"[^0-9A-Za-z_]", "_", loop_name or "loop")


__all__ = ["c_type", "is_native_int", "is_ap_int", "identifier", "label", "STANDARD_WIDTHS"]
