"""C++ text shipped with every generated HLS design: the helper header and ``hls_stream.h``.

The helpers give each non-trivial op the exact meaning of docs/semantics.md, so the C++
never relies on undefined or implementation-specific behaviour (division by zero,
``INT_MIN / -1``, shifts by the width or more, out-of-range float -> int, ...). They are
written against the Xilinx ``ap_types`` headers (``ap_int.h``/``ap_fixed.h``) and stay
synthesizable (no heap, no exceptions).

Floating-point types: ``float``/``double`` are native; ``half`` is Vitis HLS's ``half``
(``_Float16`` when simulating with g++); **bfloat16** has no Vitis HLS type, so it is the
small struct ``allo_bf16`` (16 raw bits; every op is computed in ``float`` and rounded
once, to nearest even, back to bfloat16, which is exact for ``+ - * /``).

Example::

    >>> from allo.backends.hls.prelude import HELPERS_H
    >>> "allo_div" in HELPERS_H
    True
"""

from ...semantics.registry import ops

HLS_STREAM_H = r"""// hls_stream.h: a minimal software model of Vitis HLS's hls::stream<T>, written for
// Allo's C simulation. A stream is an unbounded FIFO (std::deque). Reading an empty
// stream is a design error (hardware would deadlock): instead of aborting the process
// that loaded the simulation, the first such read is recorded in allo_csim_error()
// (which Allo's wrapper reports back to Python) and the read yields T().
#ifndef ALLO_HLS_STREAM_H
#define ALLO_HLS_STREAM_H
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>

namespace hls {
// The first design error of the current simulation run ("" = none).
inline std::string& allo_csim_error() {
  static std::string error;
  return error;
}

template <typename T>
class stream {
 public:
  stream() {}
  explicit stream(const char* name) : name_(name) {}
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;
  void write(const T& v) { q_.push_back(v); }
  T read() {
    if (q_.empty()) {
      if (allo_csim_error().empty())
        allo_csim_error() = "read of empty stream " + name_ + ": deadlock in C simulation";
      return T();
    }
    T v = q_.front();
    q_.pop_front();
    return v;
  }
  void read(T& v) { v = read(); }
  bool read_nb(T& v) {
    if (q_.empty()) return false;
    v = read();
    return true;
  }
  bool write_nb(const T& v) { write(v); return true; }
  bool empty() const { return q_.empty(); }
  bool full() const { return false; }
  std::size_t size() const { return q_.size(); }
  stream& operator<<(const T& v) { write(v); return *this; }
  stream& operator>>(T& v) { v = read(); return *this; }

 private:
  std::deque<T> q_;
  std::string name_ = "(an unnamed stream, e.g. an element of a stream array)";
};

#if !__has_include(<hls_vector.h>)
// The part of Vitis HLS's hls::vector that streams of blocks use (one block per FIFO slot).
template <typename T, std::size_t N>
struct vector {
  T elems[N];
  T& operator[](std::size_t i) { return elems[i]; }
  const T& operator[](std::size_t i) const { return elems[i]; }
};
#endif
}  // namespace hls
#endif
"""

_LIBM_UNARY = ops(libm=True, arity=1)

HELPERS_H = r"""// ---- Allo helpers: the exact meaning of each non-trivial op (docs/semantics.md) ----
#if defined(__GNUC__) && !defined(__SYNTHESIS__)
#pragma GCC diagnostic ignored "-Wunused-label"  // labels name loops for Vitis HLS
#endif
#include <ap_int.h>
#include <ap_fixed.h>
#include <hls_stream.h>
#if __has_include(<hls_vector.h>)
#include <hls_vector.h>  // hls::vector: the elements of a stream of blocks
#endif
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#if defined(__SYNTHESIS__) || defined(__VITIS_HLS__)
#include <hls_half.h>
#else
typedef _Float16 half;
#endif

// bfloat16: 16 raw bits; ops in float, rounded once to nearest even.
struct allo_bf16 {
  uint16_t bits;
  static uint16_t round_float(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);  // quiet NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
  }
  static allo_bf16 from_double(double d) {
    // round to odd into float first, so the final rounding to bfloat16 is the only one
    float f = (float)d;
    if (std::isfinite(d) && (double)f != d) {
      uint32_t u;
      std::memcpy(&u, &f, 4);
      if ((u & 1u) == 0 && std::isfinite(f)) f = std::nextafter(f, (float)(d > (double)f ? INFINITY : -INFINITY));
    }
    allo_bf16 r;
    r.bits = round_float(f);
    return r;
  }
  allo_bf16() : bits(0) {}
  allo_bf16(double d) { bits = from_double(d).bits; }
  operator float() const {
    uint32_t u = (uint32_t)bits << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
};
static inline allo_bf16 operator+(allo_bf16 a, allo_bf16 b) { return allo_bf16((double)((float)a + (float)b)); }
static inline allo_bf16 operator-(allo_bf16 a, allo_bf16 b) { return allo_bf16((double)((float)a - (float)b)); }
static inline allo_bf16 operator*(allo_bf16 a, allo_bf16 b) { return allo_bf16((double)((float)a * (float)b)); }
static inline allo_bf16 operator/(allo_bf16 a, allo_bf16 b) { return allo_bf16((double)((float)a / (float)b)); }
static inline allo_bf16 operator-(allo_bf16 a) { allo_bf16 r = a; r.bits ^= 0x8000u; return r; }

// ---- integer traits: every integer type as its W-bit pattern and its exact value
template <typename T, typename Enable = void> struct allo_int;
template <typename T>
struct allo_int<T, typename std::enable_if<std::is_integral<T>::value>::type> {
  static const int W = std::is_same<T, bool>::value ? 1 : (int)sizeof(T) * 8;
  static const bool S = std::is_signed<T>::value;
  static ap_uint<W> bits(T x) { return ap_uint<W>((unsigned long long)x); }
  static T from_bits(ap_uint<W> p) {
    if (std::is_same<T, bool>::value) return (T)(p.to_uint64() & 1u);
    return (T)p.to_uint64();
  }
};
template <int N>
struct allo_int<ap_int<N>, void> {
  static const int W = N;
  static const bool S = true;
  static ap_uint<W> bits(ap_int<N> x) { return ap_uint<W>(x); }
  static ap_int<N> from_bits(ap_uint<W> p) { return ap_int<N>(p); }
};
template <int N>
struct allo_int<ap_uint<N>, void> {
  static const int W = N;
  static const bool S = false;
  static ap_uint<W> bits(ap_uint<N> x) { return x; }
  static ap_uint<N> from_bits(ap_uint<W> p) { return p; }
};
// exact value in W + 2 signed bits (room for INT_MIN / -1 and floor corrections)
template <typename T>
static inline ap_int<allo_int<T>::W + 2> allo_val(T x) {
  typedef allo_int<T> I;
  ap_uint<I::W> p = I::bits(x);
  if (I::S) return ap_int<I::W + 2>(ap_int<I::W>(p));
  return ap_int<I::W + 2>(p);
}
template <typename T, int M>
static inline T allo_wrap(ap_int<M> v) {  // v modulo 2**W
  return allo_int<T>::from_bits(ap_uint<allo_int<T>::W>(v));
}
template <typename T>
static inline T allo_wrap64(long long v) {  // a native value modulo 2**W
  return allo_wrap<T>(ap_int<64>(v));
}

// a FIFO index clamped into [0, n): a border PE that never touches the FIFO element
// (e.g. fifo[j - 1] at j == 0) still needs a valid reference to be called with
static inline int64_t allo_pe_index(int64_t i, int64_t n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }

template <typename T> static inline T allo_div(T a, T b) {  // C division, b == 0 gives 0
  ap_int<allo_int<T>::W + 2> x = allo_val(a), y = allo_val(b);
  if (y == 0) return allo_wrap64<T>(0);
  ap_int<allo_int<T>::W + 2> q = x / y;
  return allo_wrap<T>(q);
}
template <typename T> static inline T allo_floordiv(T a, T b) {  // Python //, b == 0 gives 0
  ap_int<allo_int<T>::W + 2> x = allo_val(a), y = allo_val(b);
  if (y == 0) return allo_wrap64<T>(0);
  ap_int<allo_int<T>::W + 2> q = x / y, r = x % y;
  if (r != 0 && ((r < 0) != (y < 0))) q = q - 1;
  return allo_wrap<T>(q);
}
template <typename T> static inline T allo_mod(T a, T b) {  // Python %, b == 0 gives a
  ap_int<allo_int<T>::W + 2> x = allo_val(a), y = allo_val(b);
  if (y == 0) return a;
  ap_int<allo_int<T>::W + 2> r = x % y;
  if (r != 0 && ((r < 0) != (y < 0))) r = r + y;
  return allo_wrap<T>(r);
}
template <typename T> static inline T allo_abs(T a) {  // wraps: abs(INT_MIN) == INT_MIN
  ap_int<allo_int<T>::W + 2> x = allo_val(a);
  if (x < 0) x = -x;
  return allo_wrap<T>(x);
}
template <typename T> static inline T allo_shl(T a, T k) {  // k >= width gives 0
  const int W = allo_int<T>::W;
  ap_uint<W> n = allo_int<T>::bits(k), p = allo_int<T>::bits(a);
  if (n >= (unsigned)W) return allo_wrap64<T>(0);
  p <<= (int)n.to_uint64();
  return allo_int<T>::from_bits(p);
}
template <typename T> static inline T allo_shr(T a, T k) {  // arithmetic iff signed
  const int W = allo_int<T>::W;
  ap_uint<W> n = allo_int<T>::bits(k), p = allo_int<T>::bits(a);
  bool negative = allo_int<T>::S && p[W - 1] == 1;
  if (n >= (unsigned)W) return allo_wrap64<T>(negative ? -1 : 0);
  int s = (int)n.to_uint64();
  if (allo_int<T>::S) {
    ap_int<W> v = ap_int<W>(p);
    v >>= s;
    return allo_int<T>::from_bits(ap_uint<W>(v));
  }
  p >>= s;
  return allo_int<T>::from_bits(p);
}
template <typename T, typename I> static inline bool allo_get_bit(T x, I i) {
  ap_uint<allo_int<I>::W> n = allo_int<I>::bits(i);
  if (n >= (unsigned)allo_int<T>::W) return false;
  return allo_int<T>::bits(x)[(int)n.to_uint64()] == 1;
}
template <typename T, typename I, typename B> static inline T allo_set_bit(T x, I i, B b) {
  ap_uint<allo_int<I>::W> n = allo_int<I>::bits(i);
  if (n >= (unsigned)allo_int<T>::W) return x;
  ap_uint<allo_int<T>::W> p = allo_int<T>::bits(x);
  p[(int)n.to_uint64()] = allo_int<B>::bits(b)[0];
  return allo_int<T>::from_bits(p);
}
template <typename R, int LO, int HI, typename T> static inline R allo_get_slice(T x) {
  ap_uint<allo_int<T>::W> p = allo_int<T>::bits(x);
  ap_uint<HI - LO> s = p.range(HI - 1, LO);
  return allo_int<R>::from_bits(ap_uint<allo_int<R>::W>(s));
}
template <int LO, int HI, typename T, typename V> static inline T allo_set_slice(T x, V v) {
  ap_uint<allo_int<T>::W> p = allo_int<T>::bits(x);
  ap_uint<allo_int<V>::W + HI> w = allo_int<V>::bits(v);
  ap_uint<HI - LO> low = w.range(HI - LO - 1, 0);
  p.range(HI - 1, LO) = low;
  return allo_int<T>::from_bits(p);
}
template <typename R, typename T> static inline R allo_icast(T x) {  // int -> int: wrap
  return allo_wrap<R>(allo_val(x));
}

// ---- fixed point: raw W-bit integers; ap_fixed is AP_TRN (floor) + AP_WRAP like Allo
template <typename T> struct allo_fixed;
template <int W_, int I_> struct allo_fixed<ap_fixed<W_, I_> > {
  static const int W = W_, F = W_ - I_;
  static const bool S = true;
  typedef ap_int<W_> raw_t;
};
template <int W_, int I_> struct allo_fixed<ap_ufixed<W_, I_> > {
  static const int W = W_, F = W_ - I_;
  static const bool S = false;
  typedef ap_uint<W_> raw_t;
};
template <typename T> static inline ap_int<allo_fixed<T>::W + 2> allo_raw(T x) {
  typename allo_fixed<T>::raw_t r;
  r.range(allo_fixed<T>::W - 1, 0) = x.range(allo_fixed<T>::W - 1, 0);
  return ap_int<allo_fixed<T>::W + 2>(r);
}
template <typename T, int M> static inline T allo_from_raw(ap_int<M> v) {
  ap_uint<allo_fixed<T>::W> p = ap_uint<allo_fixed<T>::W>(v);
  T x;
  x.range(allo_fixed<T>::W - 1, 0) = p;
  return x;
}
template <typename T> static inline T allo_fx_div(T a, T b) {  // floor((ra << F) / rb)
  const int W = allo_fixed<T>::W, F = allo_fixed<T>::F;
  ap_int<W + F + 3> x = allo_raw(a), y = allo_raw(b);
  if (y == 0) return allo_from_raw<T>(ap_int<2>(0));
  x <<= F;
  ap_int<W + F + 3> q = x / y, r = x % y;
  if (r != 0 && ((r < 0) != (y < 0))) q = q - 1;
  return allo_from_raw<T>(q);
}
template <typename T> static inline T allo_fx_abs(T a) { return a < 0 ? T(-a) : a; }
template <typename R, typename T> static inline R allo_fx2fx(T x) {
  const int D = allo_fixed<R>::F - allo_fixed<T>::F;
  ap_int<allo_fixed<T>::W + (D > 0 ? D : 0) + 2> r = allo_raw(x);
  if (D >= 0) r <<= (D > 0 ? D : 0); else r >>= (D < 0 ? -D : 0);
  return allo_from_raw<R>(r);
}
template <typename R, typename T> static inline R allo_i2fx(T x) {  // raw = x << F
  ap_int<allo_int<T>::W + allo_fixed<R>::F + 2> r = allo_val(x);
  r <<= allo_fixed<R>::F;
  return allo_from_raw<R>(r);
}
template <typename R, typename T> static inline R allo_fx2i(T x) {  // truncate toward 0
  ap_int<allo_fixed<T>::W + 2> r = allo_raw(x);
  const int F = allo_fixed<T>::F;
  if (r >= 0) r >>= F; else { r = -r; r >>= F; r = -r; }
  return allo_wrap<R>(r);
}

// ---- conversions between integers (as exact values) and floats
template <int M> static inline double allo_exact_to_double(ap_int<M> v, int keep, int scale) {
  // |v| rounded to `keep` significant bits plus a sticky bit (so a later rounding to a
  // narrower format rounds once), times 2**scale
  bool neg = v < 0;
  ap_uint<M> m = neg ? ap_uint<M>(-v) : ap_uint<M>(v);
  int len = 0;
  for (int b = M - 1; b >= 0; --b) if (m[b] == 1) { len = b + 1; break; }
  int shift = len > keep ? len - keep : 0;
  bool sticky = false;
  if (shift > 0) {
    for (int b = 0; b < shift; ++b) if (m[b] == 1) sticky = true;
    m >>= shift;
  }
  unsigned long long u = m.to_uint64() | (sticky ? 1ull : 0ull);
  double d = std::ldexp((double)u, shift + scale);
  return neg ? -d : d;
}
template <typename F, int M> static inline F allo_exact_to_float(ap_int<M> v, int scale) {
  if (std::is_same<F, double>::value) {  // round once from 64 bits + sticky
    bool neg = v < 0;
    ap_uint<M> m = neg ? ap_uint<M>(-v) : ap_uint<M>(v);
    int len = 0;
    for (int b = M - 1; b >= 0; --b) if (m[b] == 1) { len = b + 1; break; }
    int shift = len > 64 ? len - 64 : 0;
    bool sticky = false;
    for (int b = 0; b < shift; ++b) if (m[b] == 1) sticky = true;
    if (shift > 0) m >>= shift;
    double d = std::ldexp((double)(m.to_uint64() | (sticky ? 1ull : 0ull)), shift + scale);
    return (F)(neg ? -d : d);
  }
  return (F)allo_exact_to_double(v, 53, scale);  // exact double, then one rounding
}
template <typename F, typename T> static inline F allo_i2f(T x) {
  return allo_exact_to_float<F>(allo_val(x), 0);
}
template <typename F, typename T> static inline F allo_fx2f(T x) {
  return allo_exact_to_float<F>(allo_raw(x), -allo_fixed<T>::F);
}
template <int M> static inline ap_int<M> allo_integral_double(double t) {  // exact, wraps
  if (t == 0) return ap_int<M>(0);
  int e;
  double m = std::frexp(t, &e);
  long long q = (long long)std::ldexp(m, 53);  // exact: |q| < 2**53
  int k = e - 53;
  if (k >= M) return ap_int<M>(0);
  ap_int<M> r = ap_int<M>(q);
  if (k >= 0) { r <<= k; return r; }
  if (-k >= 63) return ap_int<M>(q < 0 ? -1 : 0);
  return ap_int<M>(q >> -k);  // floor
}
template <typename T> static inline T allo_f2i(double x) {  // trunc, saturate, NaN -> 0
  typedef allo_int<T> I;
  const int W = I::W;
  if (x != x) return allo_wrap64<T>(0);
  double t = std::trunc(x);
  double hi = I::S ? std::ldexp(1.0, W - 1) : std::ldexp(1.0, W);
  double lo = I::S ? -std::ldexp(1.0, W - 1) : 0.0;
  ap_uint<W> ones = 0;
  ones = ~ones;
  if (t >= hi) return I::from_bits(I::S ? ap_uint<W>(ones >> 1) : ones);
  if (t < lo) return I::from_bits(I::S ? ap_uint<W>(~(ones >> 1)) : ap_uint<W>(0));
  return allo_wrap<T>(allo_integral_double<W + 2>(t));
}
template <typename T> static inline T allo_f2fx(double x) {  // floor(x * 2**F), wraps
  if (!std::isfinite(x)) return allo_from_raw<T>(ap_int<2>(0));
  const int W = allo_fixed<T>::W, F = allo_fixed<T>::F;
  if (x == 0) return allo_from_raw<T>(ap_int<2>(0));
  int e;
  double m = std::frexp(x, &e);
  long long q = (long long)std::ldexp(m, 53);
  int k = e - 53 + F;
  if (k >= W) return allo_from_raw<T>(ap_int<2>(0));
  ap_int<W + 1> r;
  if (k >= 0) { r = ap_int<W + 1>(q); r <<= k; }
  else if (-k >= 63) r = q < 0 ? -1 : 0;
  else r = ap_int<W + 1>(q >> -k);
  return allo_from_raw<T>(r);
}

// ---- floats: casts round once; IEEE 754-2019 minimum/maximum; Python's float mod
// Math intrinsics: the C library's double function, except that a NaN produced from
// non-NaN operands (a domain error: log(-1), sqrt(-1), sin(inf), pow(-2, 0.5)) is the
// positive quiet NaN, as in the reference interpreter (docs/semantics.md, "NaN").
static inline double allo_domain_nan(double r, bool operands_nan) {
  return (r != r && !operands_nan) ? std::numeric_limits<double>::quiet_NaN() : r;
}
#define ALLO_MATH1(fn) \
  static inline double allo_##fn(double x) { return allo_domain_nan(std::fn(x), x != x); }
@LIBM_UNARY@
#undef ALLO_MATH1
static inline double allo_pow(double x, double y) {
  return allo_domain_nan(std::pow(x, y), x != x || y != y);
}
template <typename F> static inline F allo_fcast(double x) { return (F)x; }
template <> inline allo_bf16 allo_fcast<allo_bf16>(double x) { return allo_bf16::from_double(x); }
template <typename F> static inline F allo_fmin(F a, F b) {
  if (a != a) return a;
  if (b != b) return b;
  if (a == b) return std::signbit((double)a) ? a : b;
  return a < b ? a : b;
}
template <typename F> static inline F allo_fmax(F a, F b) {
  if (a != a) return a;
  if (b != b) return b;
  if (a == b) return std::signbit((double)a) ? b : a;
  return a > b ? a : b;
}
template <typename F> static inline F allo_fmod(F a, F b) {
  F r = allo_fcast<F>(std::fmod((double)a, (double)b));  // fmod is exact
  if ((double)r != 0 && (((double)r < 0) != ((double)b < 0))) r = allo_fcast<F>((double)((float)r + (float)b));
  return r;
}
template <> inline float allo_fmod<float>(float a, float b) {
  float r = (float)std::fmod((double)a, (double)b);
  if (r != 0 && ((r < 0) != (b < 0))) r = r + b;
  return r;
}
template <> inline double allo_fmod<double>(double a, double b) {
  double r = std::fmod(a, b);
  if (r != 0 && ((r < 0) != (b < 0))) r = r + b;
  return r;
}
template <typename F> static inline F allo_ffloordiv(F a, F b) {
  F q = allo_fcast<F>((double)((float)a / (float)b));
  return allo_fcast<F>(std::floor((double)q));
}
template <> inline float allo_ffloordiv<float>(float a, float b) { return std::floor(a / b); }
template <> inline double allo_ffloordiv<double>(double a, double b) { return std::floor(a / b); }
static inline int64_t allo_floordiv_idx(int64_t a, int64_t b) {  // index: Python //
  if (b == 0) return 0;
  if (b == -1) return (int64_t)(0ull - (uint64_t)a);
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
  return q;
}
static inline int64_t allo_mod_idx(int64_t a, int64_t b) {  // index: Python %
  if (b == 0) return a;
  if (b == -1) return 0;
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}
// ---- end of Allo helpers ----
"""
# one helper per unary libm op of the registry (pow, binary, is written out above)
HELPERS_H = HELPERS_H.replace("@LIBM_UNARY@", "\n".join(
    " ".join(f"ALLO_MATH1({name})" for name in _LIBM_UNARY[k:k + 5])
    for k in range(0, len(_LIBM_UNARY), 5)))

__all__ = ["HELPERS_H", "HLS_STREAM_H"]
