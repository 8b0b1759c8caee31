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

# Names the generated code or the headers it includes declare at global scope, as types or
# as (lower-case) macros; a user name equal to one would shadow or be replaced by it.
# Upper-case macros (NULL, EOF, M_PI, INT8_MAX, AP_WRAP...), ``*_t`` typedefs and names
# with leading or double underscores are reserved by rule in :func:`is_reserved`.
_HEADER_NAMES = frozenset("""ap_int ap_uint ap_fixed ap_ufixed ap_int_base ap_fixed_base ap_private
ap_bigint ap_biguint ap_range_ref ap_bit_ref ap_concat_ref ap_fixed_elem ap_o_mode ap_q_mode
ap_int_base_ref half hls_half errno assert assert_perror offsetof stdin stdout stderr alloca
math_errhandling setjmp longjmp va_arg va_start va_end va_copy va_list isnan isinf isfinite
isnormal signbit fpclassify isgreater isgreaterequal isless islessequal islessgreater isunordered
issubnormal strdupa strndupa sched_priority pthread_cleanup_push pthread_cleanup_pop
pthread_cleanup_push_defer_np pthread_cleanup_pop_restore_np htobe16 htobe32 htobe64 htole16
htole32 htole64 be16toh be32toh be64toh le16toh le32toh le64toh L_ctermid L_cuserid L_tmpnam
P_tmpdir FILE""".split())


def is_reserved(name: str) -> bool:
    """True when ``name`` may not be used as a C++ identifier in generated code: a keyword,
    a name from the included headers (types, macros: ``ap_int``, ``errno``, ``NULL``,
    ``M_PI``, ``int64_t``), one with a leading or double underscore, or one the generated
    code keeps for itself (``allo_*``).

    Example: ``is_reserved("EOF") and is_reserved("int64_t") and not is_reserved("A")``.
    """
    if name in _CPP_KEYWORDS or name in _HEADER_NAMES:
        return True
    if name.startswith(("_", "allo_")) or "__" in name:
        return True
    if name.endswith("_t") and not name.startswith("v_"):  # typedefs (v_ marks ours)
        return True
    if not any(c.islower() for c in name) and len(name) >= 3:
        return True  # upper-case names are macros by convention (NULL, EOF, INT8_MAX)
    head = name.split("_", 1)[0]
    return "_" in name and head.isupper() and head.isalnum()  # M_PI, M_PIf, FP_NAN



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
    """A valid, unreserved C++ identifier for an Allo name (``"i.outer"`` -> ``"i_outer"``,
    ``"EOF"`` -> ``"v_EOF"``). Not injective by itself (``"a.b"`` and ``"a_b"`` meet):
    callers make names unique per scope (:func:`unique_identifiers`).

    Example: ``identifier("int64_t") == "v_int64_t"``.
    """
    s = re.sub(r"[^0-9A-Za-z_]", "_", name) or "v"
    if s[0].isdigit():
        s = "v" + s
    s = re.sub(r"__+", "_", s)
    if is_reserved(s):
        s = "v_" + s.lstrip("_")
    return s


def unique_identifiers(names: "list[str]", taken: "set[str]" = frozenset()) -> "dict[str, str]":
    """An injective map from ``names`` to unreserved C++ identifiers, avoiding ``taken``;
    earlier names keep their plain :func:`identifier` when they can.

    Example: ``unique_identifiers(["a.b", "a_b"]) == {"a.b": "a_b", "a_b": "a_b_1"}``.
    """
    used, out = set(taken), {}
    for n in names:
        base = identifier(n)
        cand, k = base, 1
        while cand in used:
            cand, k = f"{base}_{k}", k + 1
        used.add(cand)
        out[n] = cand
    return out


def label(loop_name: str) -> str:
    """The label of a loop: ``l_`` + its sanitized name. Example: ``label("j") == 'l_j'``."""
    return "l_" + re.sub(r"[^0-9A-Za-z_]", "_", loop_name or "loop")


__all__ = ["c_type", "is_native_int", "is_ap_int", "identifier", "unique_identifiers", "is_reserved",
           "label", "STANDARD_WIDTHS"]
