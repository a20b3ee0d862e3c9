// AVX-512 kernels: the avx512 table (x86-64-v4: F, BW, DQ, VL, nothing beyond) and, at the end in
// its own target region, the avx512icl table (that table plus kernels using AVX512-VBMI and
// AVX512-VNNI, which dispatch.cpp checks at run time before choosing it).
// Every kernel's contract is in kernels/table.hpp; each gives the scalar table's bits: float32
// products and sums in the stated order, never fused (FMA only in levels_f32's checked
// corrected quotients), exact integer sums in the fixed-point kernels.
// normalize: HWC row in, C planar rows out, out = float(x) * a + b (a multiply, then an add).
// uint8, C = 3: 16 pixels per step. A masked 48-byte load (masked-off bytes are never touched,
// so a row's end is never overrun) and a dword permute give each 128-bit lane 4 pixels; one
// in-lane pshufb per channel then yields that channel's 16 values as zero-extended int32, which
// are converted and scaled. C = 4 needs no permute. Remainders use the same code with shorter
// masks, so there is no scalar tail. Each row starts with a short step up to a 64-byte boundary
// of channel 0's output, so that the full steps' stores do not straddle cache lines.
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
// GCC 12's AVX-512 headers pass _mm512_undefined_*() as masked-off sources and then warn that
// they "may be used uninitialized" (GCC bug 105593, fixed in GCC 13). Nothing of ours is involved.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "kernels.hpp"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c,bmi2")

namespace pixnorm::kernels {
namespace {

inline __mmask64 bytes_mask(int64_t n) {  // n in [0, 64]
  return n >= 64 ? ~__mmask64{0} : ((__mmask64{1} << n) - 1);
}
inline __mmask16 lanes_mask(int64_t n) {  // n in [0, 16]
  return static_cast<__mmask16>(n >= 16 ? 0xFFFF : ((1u << n) - 1));
}

// Calls step(x, n) over the row in steps of n <= 16 pixels: first a short step up to the next
// 64-byte boundary of dst (stores that straddle cache lines cost twice as much), then full steps,
// then the remainder. step handles n < 16 with masks.
template <class Step>
inline void steps(const float* dst, int64_t width, Step&& step) {
  int64_t x = 0;
  const int64_t mis = static_cast<int64_t>((reinterpret_cast<uintptr_t>(dst) >> 2) & 15u);
  if (mis) {
    const int64_t n = 16 - mis < width ? 16 - mis : width;
    step(x, n);
    x += n;
  }
  for (; x + 16 <= width; x += 16) step(x, 16);
  if (x < width) step(x, width - x);
}

inline void put(float* d, __m512 v, __m512 a, __m512 b, int64_t n) {
  const __m512 r = _mm512_add_ps(_mm512_mul_ps(v, a), b);
  if (n == 16)
    _mm512_storeu_ps(d, r);
  else
    _mm512_mask_storeu_ps(d, lanes_mask(n), r);
}

void u8_row(const uint8_t* src, int64_t width, int64_t channels, const float* a, const float* b,
            float* dst, int64_t plane_stride) {
  if (channels == 1) {
    const __m512 va = _mm512_set1_ps(a[0]), vb = _mm512_set1_ps(b[0]);
    steps(dst, width, [&](int64_t x, int64_t n) {
      const __m128i v = _mm_maskz_loadu_epi8(lanes_mask(n), src + x);
      put(dst + x, _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(v)), va, vb, n);
    });
  } else if (channels == 3 || channels == 4) {
    // Lane k of v holds pixels 4k..4k+3 (C = 3 needs a dword permute for that: 12 bytes per
    // 4 pixels). Then one in-lane pshufb per channel picks byte C*j + c into dword j and zeroes
    // the rest: 16 zero-extended int32 of channel c, ready to convert.
    const __m512i spread = _mm512_setr_epi32(0, 1, 2, 0, 3, 4, 5, 0, 6, 7, 8, 0, 9, 10, 11, 0);
    __m512i pick[4];
    __m512 va[4], vb[4];
    for (int c = 0; c < channels; ++c) {
      const char s = static_cast<char>(channels), k = static_cast<char>(c);
      pick[c] = _mm512_broadcast_i32x4(_mm_setr_epi8(k, -1, -1, -1, static_cast<char>(s + k), -1,
                                                     -1, -1, static_cast<char>(2 * s + k), -1, -1,
                                                     -1, static_cast<char>(3 * s + k), -1, -1, -1));
      va[c] = _mm512_set1_ps(a[c]);
      vb[c] = _mm512_set1_ps(b[c]);
    }
    steps(dst, width, [&](int64_t x, int64_t n) {
      __m512i v = _mm512_maskz_loadu_epi8(bytes_mask(n * channels), src + x * channels);
      if (channels == 3) v = _mm512_permutexvar_epi32(spread, v);
      for (int c = 0; c < channels; ++c)
        put(dst + c * plane_stride + x, _mm512_cvtepi32_ps(_mm512_shuffle_epi8(v, pick[c])), va[c],
            vb[c], n);
    });
  } else {
    normalize_u8_row_generic(src, width, channels, a, b, dst, plane_stride);
  }
}

void f32_row(const float* src, int64_t width, int64_t channels, const float* a, const float* b,
             float* dst, int64_t plane_stride) {
  if (channels != 1 && channels != 3 && channels != 4) {
    normalize_f32_row_generic(src, width, channels, a, b, dst, plane_stride);
    return;
  }
  __m512 va[4], vb[4];
  for (int c = 0; c < channels; ++c) {
    va[c] = _mm512_set1_ps(a[c]);
    vb[c] = _mm512_set1_ps(b[c]);
  }
  if (channels == 1) {
    steps(dst, width, [&](int64_t x, int64_t n) {
      put(dst + x, _mm512_maskz_loadu_ps(lanes_mask(n), src + x), va[0], vb[0], n);
    });
  } else if (channels == 3) {
    // Element i of the 48 loaded floats is pixel i/3, channel i%3. Channel c's lanes come from
    // the first 32 floats with one two-source permute, the rest from the third register.
    const __m512i r01 = _mm512_setr_epi32(0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 0, 0, 0, 0, 0);
    const __m512i r2 = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 4, 7, 10, 13);
    const __m512i g01 = _mm512_setr_epi32(1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, 0, 0, 0, 0, 0);
    const __m512i g2 = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 5, 8, 11, 14);
    const __m512i b01 = _mm512_setr_epi32(2, 5, 8, 11, 14, 17, 20, 23, 26, 29, 0, 0, 0, 0, 0, 0);
    const __m512i b2 = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 6, 9, 12, 15);
    steps(dst, width, [&](int64_t x, int64_t n) {
      const float* p = src + 3 * x;
      const int64_t e = 3 * n;  // floats in this step
      const __m512 v0 = _mm512_maskz_loadu_ps(lanes_mask(e), p);
      const __m512 v1 = _mm512_maskz_loadu_ps(lanes_mask(e > 16 ? e - 16 : 0), p + 16);
      const __m512 v2 = _mm512_maskz_loadu_ps(lanes_mask(e > 32 ? e - 32 : 0), p + 32);
      const __m512 R =
          _mm512_mask_permutexvar_ps(_mm512_permutex2var_ps(v0, r01, v1), 0xF800, r2, v2);
      const __m512 G =
          _mm512_mask_permutexvar_ps(_mm512_permutex2var_ps(v0, g01, v1), 0xF800, g2, v2);
      // B has only 10 lanes in the first 32 floats: lanes 10..15 come from the third register.
      const __m512 B =
          _mm512_mask_permutexvar_ps(_mm512_permutex2var_ps(v0, b01, v1), 0xFC00, b2, v2);
      put(dst + x, R, va[0], vb[0], n);
      put(dst + plane_stride + x, G, va[1], vb[1], n);
      put(dst + 2 * plane_stride + x, B, va[2], vb[2], n);
    });
  } else {
    const __m512i even =
        _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
    const __m512i odd =
        _mm512_setr_epi32(2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31);
    const __m512i lo = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    const __m512i hi =
        _mm512_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    steps(dst, width, [&](int64_t x, int64_t n) {
      const float* p = src + 4 * x;
      const int64_t e = 4 * n;
      __m512 v[4];
      for (int k = 0; k < 4; ++k) {
        const int64_t left = e - 16 * k;
        v[k] = _mm512_maskz_loadu_ps(lanes_mask(left > 0 ? left : 0), p + 16 * k);
      }
      // [R0-7 G0-7], [B0-7 A0-7], [R8-15 G8-15], [B8-15 A8-15]
      const __m512 rg0 = _mm512_permutex2var_ps(v[0], even, v[1]);
      const __m512 ba0 = _mm512_permutex2var_ps(v[0], odd, v[1]);
      const __m512 rg1 = _mm512_permutex2var_ps(v[2], even, v[3]);
      const __m512 ba1 = _mm512_permutex2var_ps(v[2], odd, v[3]);
      put(dst + x, _mm512_permutex2var_ps(rg0, lo, rg1), va[0], vb[0], n);
      put(dst + plane_stride + x, _mm512_permutex2var_ps(rg0, hi, rg1), va[1], vb[1], n);
      put(dst + 2 * plane_stride + x, _mm512_permutex2var_ps(ba0, lo, ba1), va[2], vb[2], n);
      put(dst + 3 * plane_stride + x, _mm512_permutex2var_ps(ba0, hi, ba1), va[3], vb[3], n);
    });
  }
}

#include "resize_generic.inc"

// Vertical resampling passes, 16 elements per step with every tap accumulated in a register
// (same sums, same order as resize_v_any).
inline __m512 load16(const float* p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
inline __m512 load16(const uint8_t* p, __mmask16 m) {
  return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, p)));
}

template <class T>
inline void resize_v_512(const T* const* rows, const float* w, int64_t taps, int64_t n,
                         float* dst) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes_mask(n - i);
    __m512 acc = _mm512_mul_ps(_mm512_set1_ps(w[0]), load16(rows[0] + i, m));
    for (int64_t k = 1; k < taps; ++k)
      acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_set1_ps(w[k]), load16(rows[k] + i, m)));
    _mm512_mask_storeu_ps(dst + i, m, acc);
  }
}

void resize_v(const float* const* rows, const float* w, int64_t taps, int64_t n, float* dst) {
  resize_v_512(rows, w, taps, n, dst);
}
void resize_v_u8(const uint8_t* const* rows, const float* w, int64_t taps, int64_t n, float* dst) {
  resize_v_512(rows, w, taps, n, dst);
}

// Horizontal resampling pass, 16 outputs per step, all channel planes per step (the window
// logic is shared). When the 16 outputs' taps lie within 32 consecutive source floats
// (downscales up to about 2x), two loads and one two-source permute per tap fetch them;
// otherwise 8-byte gathers fetch two taps at a time. TAPS > 0 fixes the tap count at compile
// time. Same sums, in the same order, as resize_h_impl.
template <int TAPS>
void resize_h_t(const float* src, int64_t src_stride, int64_t planes, const int32_t* start,
                const float* wt, int64_t taps_rt, int64_t n, float* dst, int64_t dst_stride) {
  const int64_t taps = TAPS > 0 ? TAPS : taps_rt;
  const __m512i one = _mm512_set1_epi32(1);
  for (int64_t x = 0; x < n; x += 16) {
    const int64_t cnt = n - x < 16 ? n - x : 16;
    const __mmask16 m = lanes_mask(cnt);
    const __m512i idx0 = _mm512_maskz_loadu_epi32(m, start + x);
    // starts are monotonic (non-decreasing, or non-increasing when mirrored): the extremes are
    // at the ends of the step
    const int32_t first = start[x], last = start[x + cnt - 1];
    const int32_t lo_i = first < last ? first : last;
    const int32_t hi_i = first < last ? last : first;
    const bool window = static_cast<int64_t>(hi_i) - lo_i + taps <= 32;
    const __m512i rel0 = _mm512_sub_epi32(idx0, _mm512_set1_epi32(lo_i));
    for (int64_t c = 0; c < planes; ++c) {
      const float* sc = src + c * src_stride;
      __m512 acc = _mm512_setzero_ps();
      if (window) {
        const __m512 a = _mm512_loadu_ps(sc + lo_i), b = _mm512_loadu_ps(sc + lo_i + 16);
        __m512i rel = rel0;
        for (int64_t k = 0; k < taps; ++k) {
          const __m512 prod = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, wt + k * n + x),
                                            _mm512_permutex2var_ps(a, rel, b));
          acc = k == 0 ? prod : _mm512_add_ps(acc, prod);
          rel = _mm512_add_epi32(rel, one);
        }
      } else {
        // Taps in pairs: one 8-byte gather per 8 outputs fetches samples t and t + 1 (both
        // inside the window), two permutes split them: half the loads of one gather per tap.
        const __m512i even =
            _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        const __m512i odd = _mm512_add_epi32(even, one);
        const __mmask8 m_lo = static_cast<__mmask8>(m), m_hi = static_cast<__mmask8>(m >> 8);
        __m512i idx = idx0;
        int64_t k = 0;
        for (; k + 2 <= taps; k += 2) {
          const __m512d g_lo = _mm512_mask_i32gather_pd(_mm512_setzero_pd(), m_lo,
                                                        _mm512_castsi512_si256(idx), sc, 4);
          const __m512d g_hi = _mm512_mask_i32gather_pd(_mm512_setzero_pd(), m_hi,
                                                        _mm512_extracti64x4_epi64(idx, 1), sc, 4);
          const __m512 lo = _mm512_castpd_ps(g_lo), hi = _mm512_castpd_ps(g_hi);
          const __m512 prod0 = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, wt + k * n + x),
                                             _mm512_permutex2var_ps(lo, even, hi));
          acc = k == 0 ? prod0 : _mm512_add_ps(acc, prod0);
          acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, wt + (k + 1) * n + x),
                                                 _mm512_permutex2var_ps(lo, odd, hi)));
          idx = _mm512_add_epi32(idx, _mm512_set1_epi32(2));
        }
        if (k < taps) {
          const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, sc, 4);
          const __m512 prod = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, wt + k * n + x), v);
          acc = k == 0 ? prod : _mm512_add_ps(acc, prod);
        }
      }
      _mm512_mask_storeu_ps(dst + c * dst_stride + x, m, acc);
    }
  }
}

void resize_h(const float* src, int64_t src_stride, int64_t planes, const int32_t* start,
              const float* /*w*/, const float* wt, int64_t taps, int64_t n, float* dst,
              int64_t dst_stride) {
  switch (taps) {
    case 2:
      return resize_h_t<2>(src, src_stride, planes, start, wt, taps, n, dst, dst_stride);
    case 3:
      return resize_h_t<3>(src, src_stride, planes, start, wt, taps, n, dst, dst_stride);
    case 4:
      return resize_h_t<4>(src, src_stride, planes, start, wt, taps, n, dst, dst_stride);
    default:
      return resize_h_t<0>(src, src_stride, planes, start, wt, taps, n, dst, dst_stride);
  }
}

// ---- Bilinear 2 x 2 from uint8 rows (bilinear2_u8, bilinear2_fixed; contracts in
// kernels/table.hpp) Both kernels first build, for each channel c and row r, the (left, right)
// sample pairs of up to 16 output pixels: dword j = L | R << 16, ready for vpmaddwd with the weight
// pairs kx. Here with gathers: one dword gather per tap and row fetches every channel of the 16
// source pixels (C = 3: the right pixel's dword starts one byte before it, so nothing past its last
// byte is read), then two pshufb and an OR per channel. The VBMI table builds the same pairs with
// byte permutes (below). C other than 3 and 4 use the portable code.

// The per-row constants of the pair builders: pick[2c] moves channel c of the left pixel's dword
// to byte 0, pick[2c + 1] channel c of the right pixel's dword to byte 2.
struct PairPicks {
  __m512i pick[8];
  explicit PairPicks(int C) {
    for (int c = 0; c < C; ++c) {
      pick[2 * c] = _mm512_broadcast_i32x4(
          _mm_load_si128(reinterpret_cast<const __m128i*>(kDwordByte[c][0])));
      pick[2 * c + 1] = _mm512_broadcast_i32x4(
          _mm_load_si128(reinterpret_cast<const __m128i*>(kDwordByte[C == 3 ? c + 1 : c][1])));
    }
  }
};

// Pairs of `cnt` <= 16 output pixels (p[r][c]) with gathers.
__attribute__((always_inline)) inline void gather_pairs(const uint8_t* r0, const uint8_t* r1, int C,
                                                        const int32_t* start, int64_t cnt,
                                                        const PairPicks& pk, __m512i p[2][4]) {
  const __mmask16 m = lanes_mask(cnt);
  const __m512i il = _mm512_mullo_epi32(_mm512_maskz_loadu_epi32(m, start), _mm512_set1_epi32(C));
  const __m512i ir = _mm512_add_epi32(il, _mm512_set1_epi32(C == 3 ? 2 : 4));
  const __m512i z = _mm512_setzero_si512();
  const uint8_t* rows[2] = {r0, r1};
  for (int r = 0; r < 2; ++r) {
    const __m512i l = _mm512_mask_i32gather_epi32(z, m, il, rows[r], 1);
    const __m512i q = _mm512_mask_i32gather_epi32(z, m, ir, rows[r], 1);
    for (int c = 0; c < C; ++c)
      p[r][c] = _mm512_or_si512(_mm512_shuffle_epi8(l, pk.pick[2 * c]),
                                _mm512_shuffle_epi8(q, pk.pick[2 * c + 1]));
  }
}

// The float tail of bilinear2_u8 for one channel: h from the pairs, the vertical pass, the affine
// map, the store.
struct FloatTail {
  __m512 vy0, vy1, va[4], vb[4];
  FloatTail(float wy0, float wy1, int C, const float* a, const float* b)
      : vy0(_mm512_set1_ps(wy0)), vy1(_mm512_set1_ps(wy1)) {
    for (int c = 0; c < C; ++c) {
      va[c] = _mm512_set1_ps(a[c]);
      vb[c] = _mm512_set1_ps(b[c]);
    }
  }
  __attribute__((always_inline)) void operator()(int c, __m512i p0, __m512i p1, __m512i k, float* d,
                                                 int64_t cnt) const {
    const __m512 h0 = _mm512_cvtepi32_ps(_mm512_madd_epi16(p0, k));
    const __m512 h1 = _mm512_cvtepi32_ps(_mm512_madd_epi16(p1, k));
    put(d, _mm512_add_ps(_mm512_mul_ps(vy0, h0), _mm512_mul_ps(vy1, h1)), va[c], vb[c], cnt);
  }
};

// The integer tail of bilinear2_fixed for one channel, to uint8.
// The integer tail of bilinear2_fixed for one channel: the level q as int32.
struct FixedTail {
  int mode;
  __m512i ky, ky0, ky1, halfx, halfy;
  __m128i bx, by;
  FixedTail(int32_t k0, int32_t k1, int md, int x_bits, int y_bits)
      : mode(md),
        ky(_mm512_set1_epi32(k0 | (k1 << 16))),
        ky0(_mm512_set1_epi32(k0)),
        ky1(_mm512_set1_epi32(k1)),
        halfx(_mm512_set1_epi32(md == kFixedTorch ? 1 << (x_bits - 1) : 0)),
        halfy(_mm512_set1_epi32(md == kFixedTorch ? 1 << (y_bits - 1) : 0)),
        bx(_mm_cvtsi32_si128(x_bits)),
        by(_mm_cvtsi32_si128(y_bits)) {}
  __attribute__((always_inline)) __m512i level(__m512i p0, __m512i p1, __m512i k) const {
    const __m512i h0 = _mm512_madd_epi16(p0, k), h1 = _mm512_madd_epi16(p1, k);
    const __m512i top = _mm512_set1_epi32(255);
    __m512i q;
    if (mode == kFixedTorch) {  // no clamps: the weight sums keep every value in 0..255
      const __m512i H0 = _mm512_sra_epi32(_mm512_add_epi32(h0, halfx), bx);
      const __m512i H1 = _mm512_sra_epi32(_mm512_add_epi32(h1, halfx), bx);
      const __m512i pair = _mm512_or_si512(H0, _mm512_slli_epi32(H1, 16));
      return _mm512_sra_epi32(_mm512_add_epi32(_mm512_madd_epi16(pair, ky), halfy), by);
    }
    // h >> 4 < 2^15 and ky <= 2048: vpmaddwd with a zero high half is the product
    const __m512i t0 = _mm512_srai_epi32(_mm512_madd_epi16(_mm512_srai_epi32(h0, 4), ky0), 16);
    const __m512i t1 = _mm512_srai_epi32(_mm512_madd_epi16(_mm512_srai_epi32(h1, 4), ky1), 16);
    q = _mm512_srai_epi32(_mm512_add_epi32(_mm512_add_epi32(t0, t1), _mm512_set1_epi32(2)), 2);
    return _mm512_min_epi32(_mm512_max_epi32(q, _mm512_setzero_si512()), top);
  }
  __attribute__((always_inline)) void operator()(int /*c*/, __m512i p0, __m512i p1, __m512i k,
                                                 uint8_t* d, int64_t cnt) const {
    _mm_mask_storeu_epi8(d, lanes_mask(cnt), _mm512_cvtepi32_epi8(level(p0, p1, k)));
  }
};

inline __m512 corrected_quotient(__m512 q, __m512 d, __m512 r) {
  const __m512 y = _mm512_mul_ps(q, r);
  return _mm512_fmadd_ps(_mm512_fnmadd_ps(y, d, q), r, y);
}

// levels_f32's arithmetic on 16 levels of channel c, in the FMA-corrected form (see LevelsF32).
// The factor and the divide flag are the same for every channel (one scale or divisor per call).
template <bool Divide>
struct LevelMap {
  __m512 factor, inv_factor, mean[4], sd[4], inv_std[4];
  LevelMap(int C, const double* lv)
      : factor(_mm512_set1_ps(static_cast<float>(lv[0]))),
        inv_factor(_mm512_set1_ps(static_cast<float>(lv[5]))) {
    for (int c = 0; c < C; ++c) {
      const double* p = lv + c * kLevelParams;
      mean[c] = _mm512_set1_ps(static_cast<float>(p[2]));
      sd[c] = _mm512_set1_ps(static_cast<float>(p[3]));
      inv_std[c] = _mm512_set1_ps(static_cast<float>(p[6]));
    }
  }
  __attribute__((always_inline)) __m512 operator()(int c, __m512 x) const {
    const __m512 t = Divide ? corrected_quotient(x, factor, inv_factor) : _mm512_mul_ps(x, factor);
    return corrected_quotient(_mm512_sub_ps(t, mean[c]), sd[c], inv_std[c]);
  }
};

// bilinear2_fixed's tail with the levels mapped to float32 planes.
template <bool Divide>
struct FixedTailLevels {
  FixedTail fixed;
  LevelMap<Divide> map;
  __attribute__((always_inline)) void operator()(int c, __m512i p0, __m512i p1, __m512i k, float* d,
                                                 int64_t cnt) const {
    const __m512 v = map(c, _mm512_cvtepi32_ps(fixed.level(p0, p1, k)));
    if (cnt == 16)
      _mm512_storeu_ps(d, v);
    else
      _mm512_mask_storeu_ps(d, lanes_mask(cnt), v);
  }
};

// Steps of 16 output pixels (the first one up to a 64-byte boundary of plane 0 for float
// output): the pairs of each step from gather_pairs, then `tail` per channel.
template <class T, class Tail>
__attribute__((always_inline)) inline void bilinear2_rows(const uint8_t* r0, const uint8_t* r1,
                                                          int C, const int32_t* start,
                                                          const int32_t* kx, int64_t n,
                                                          const Tail& tail, T* dst,
                                                          int64_t plane_stride) {
  const PairPicks pk(C);
  int64_t x = 0;
  const auto step = [&](int64_t cnt) __attribute__((always_inline)) {
    __m512i p[2][4];
    gather_pairs(r0, r1, C, start + x, cnt, pk, p);
    const __m512i k = _mm512_maskz_loadu_epi32(lanes_mask(cnt), kx + x);
    for (int c = 0; c < C; ++c) tail(c, p[0][c], p[1][c], k, dst + c * plane_stride + x, cnt);
    x += cnt;
  };
  if constexpr (std::is_same_v<T, float>) {
    const int64_t mis = static_cast<int64_t>((reinterpret_cast<uintptr_t>(dst) >> 2) & 15u);
    if (mis) step(16 - mis < n ? 16 - mis : n);
  }
  while (x + 16 <= n) step(16);
  if (x < n) step(n - x);
}

void bilinear2_u8(const uint8_t* r0, const uint8_t* r1, float wy0, float wy1, int64_t channels,
                  const int32_t* start, const int32_t* kx, int64_t n, const float* a,
                  const float* b, float* dst, int64_t plane_stride) {
  if (channels != 3 && channels != 4) {
    bilinear2_u8_impl(r0, r1, wy0, wy1, channels, start, kx, n, a, b, dst, plane_stride);
    return;
  }
  const int C = static_cast<int>(channels);
  bilinear2_rows(r0, r1, C, start, kx, n, FloatTail(wy0, wy1, C, a, b), dst, plane_stride);
}

void bilinear2_fixed(const uint8_t* r0, const uint8_t* r1, int32_t ky0, int32_t ky1,
                     int64_t channels, const int32_t* start, const int32_t* kx, int64_t n, int mode,
                     int bx, int by, uint8_t* dst, int64_t plane_stride, const double* lv,
                     float* fdst) {
  if (channels != 3 && channels != 4) {
    bilinear2_fixed_impl(r0, r1, ky0, ky1, channels, start, kx, n, mode, bx, by, dst, plane_stride,
                         lv, fdst);
    return;
  }
  const int C = static_cast<int>(channels);
  const FixedTail tail(ky0, ky1, mode, bx, by);
  if (lv && lv[1] != 0.0)
    bilinear2_rows(r0, r1, C, start, kx, n, FixedTailLevels<true>{tail, LevelMap<true>(C, lv)},
                   fdst, plane_stride);
  else if (lv)
    bilinear2_rows(r0, r1, C, start, kx, n, FixedTailLevels<false>{tail, LevelMap<false>(C, lv)},
                   fdst, plane_stride);
  else
    bilinear2_rows(r0, r1, C, start, kx, n, tail, dst, plane_stride);
}

// Levels to floats (contract in kernels/table.hpp), 16 levels per step: where level_params allows
// it, each division is the FMA-corrected product it checked (same bits as the division);
// otherwise float32 divisions.
void levels_f32(const uint8_t* src, int64_t n, const double* p, float* dst) {
  const bool divide = p[1] != 0.0, fast = p[4] != 0.0;
  const __m512 factor = _mm512_set1_ps(static_cast<float>(p[0]));
  const __m512 mean = _mm512_set1_ps(static_cast<float>(p[2]));
  const __m512 sd = _mm512_set1_ps(static_cast<float>(p[3]));
  const __m512 inv_factor = _mm512_set1_ps(static_cast<float>(p[5]));
  const __m512 inv_std = _mm512_set1_ps(static_cast<float>(p[6]));
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes_mask(n - i);
    const __m512 x = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, src + i)));
    __m512 r;
    if (fast) {
      const __m512 t =
          divide ? corrected_quotient(x, factor, inv_factor) : _mm512_mul_ps(x, factor);
      r = corrected_quotient(_mm512_sub_ps(t, mean), sd, inv_std);
    } else {
      const __m512 t = divide ? _mm512_div_ps(x, factor) : _mm512_mul_ps(x, factor);
      r = _mm512_div_ps(_mm512_sub_ps(t, mean), sd);
    }
    _mm512_mask_storeu_ps(dst + i, m, r);
  }
}

// resize_h on an interleaved row (contract in kernels/table.hpp): 16 outputs per step, per tap one
// 8-byte gather per pair of channels and 8 outputs (a 4-byte one per 16 outputs for an odd last
// channel; indices start * C + c, advancing by C per tap); sums as resize_h_impl.
void resize_h_interleaved(const float* src, int64_t channels, const int32_t* start, const float* w,
                          const float* wt, int64_t taps, int64_t n, float* dst,
                          int64_t dst_stride) {
  (void)w;
  const __m512i vc = _mm512_set1_epi32(static_cast<int32_t>(channels));
  for (int64_t x = 0; x < n; x += 16) {
    const __mmask16 m = lanes_mask(n - x);
    const __m512i base = _mm512_mullo_epi32(_mm512_maskz_loadu_epi32(m, start + x), vc);
    int64_t c = 0;
    // Channels in pairs: one 8-byte gather per 8 outputs fetches channels c and c + 1 of a
    // sample, two permutes split them (half the loads of a gather per channel); same sums.
    for (; c + 2 <= channels; c += 2) {
      const __mmask8 m_lo = static_cast<__mmask8>(m), m_hi = static_cast<__mmask8>(m >> 8);
      const __m512i even =
          _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
      const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
      __m512i idx = _mm512_add_epi32(base, _mm512_set1_epi32(static_cast<int32_t>(c)));
      __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
      for (int64_t k = 0; k < taps; ++k) {
        const __m512 lo = _mm512_castpd_ps(_mm512_mask_i32gather_pd(
            _mm512_setzero_pd(), m_lo, _mm512_castsi512_si256(idx), src, 4));
        const __m512 hi = _mm512_castpd_ps(_mm512_mask_i32gather_pd(
            _mm512_setzero_pd(), m_hi, _mm512_extracti64x4_epi64(idx, 1), src, 4));
        const __m512 wk = _mm512_maskz_loadu_ps(m, wt + k * n + x);
        const __m512 p0 = _mm512_mul_ps(wk, _mm512_permutex2var_ps(lo, even, hi));
        const __m512 p1 = _mm512_mul_ps(wk, _mm512_permutex2var_ps(lo, odd, hi));
        acc0 = k == 0 ? p0 : _mm512_add_ps(acc0, p0);
        acc1 = k == 0 ? p1 : _mm512_add_ps(acc1, p1);
        idx = _mm512_add_epi32(idx, vc);
      }
      _mm512_mask_storeu_ps(dst + c * dst_stride + x, m, acc0);
      _mm512_mask_storeu_ps(dst + (c + 1) * dst_stride + x, m, acc1);
    }
    for (; c < channels; ++c) {
      __m512i idx = _mm512_add_epi32(base, _mm512_set1_epi32(static_cast<int32_t>(c)));
      __m512 acc = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, wt + x),
                                 _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, src, 4));
      for (int64_t k = 1; k < taps; ++k) {
        idx = _mm512_add_epi32(idx, vc);
        const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, src, 4);
        acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, wt + k * n + x), v));
      }
      _mm512_mask_storeu_ps(dst + c * dst_stride + x, m, acc);
    }
  }
}

// Horizontal fixed-point pass from an interleaved uint8 row (contract in kernels/table.hpp), C = 3
// and 4, 16 outputs per step. Per channel and pair of taps, a dword holding (sample t, sample
// t + 1) as two words meets vpmaddwd with the weight pair. Here the pairs come from gathers
// (C = 3: one dword at sample t's byte also holds sample t + 1's, 3 bytes on; C = 4: a second
// dword ending at sample t + 1's byte); the VBMI table builds them with byte permutes.
struct FixedHTail {
  __m512i half;
  __m128i shift;
  explicit FixedHTail(int bits)
      : half(_mm512_set1_epi32(1 << (bits - 1))), shift(_mm_cvtsi32_si128(bits)) {}
  // lo started from `half`; hi (the high halves' sums) only with split weights. The weights are
  // non-negative (contract), so is the sum: the unsigned saturating narrowing clamps to 255.
  __attribute__((always_inline)) void store(__m512i lo, __m512i hi, bool split, uint8_t* d,
                                            __mmask16 m) const {
    const __m512i acc = split ? _mm512_add_epi32(lo, _mm512_slli_epi32(hi, 11)) : lo;
    _mm_mask_storeu_epi8(d, m, _mm512_cvtusepi32_epi8(_mm512_sra_epi32(acc, shift)));
  }
};

// pshufb controls: byte 0 of each dword to word 0, byte `b` to word 1 (the rest zero).
alignas(64) constexpr int8_t kPairFrom[2][16] = {
    {0, -1, 3, -1, 4, -1, 7, -1, 8, -1, 11, -1, 12, -1, 15, -1},    // (byte 0, byte 3)
    {0, -1, -1, -1, 4, -1, -1, -1, 8, -1, -1, -1, 12, -1, -1, -1},  // byte 0 alone
};

__attribute__((always_inline)) inline void fixed_h_gather_step(
    const uint8_t* row, int C, const int32_t* start, const int32_t* kp, const int32_t* kph,
    int64_t taps, int64_t n, int64_t x, int64_t cnt, const FixedHTail& tail, uint8_t* dst,
    int64_t plane_stride) {
  const __mmask16 m = lanes_mask(cnt);
  const __m512i z = _mm512_setzero_si512();
  const __m512i base =
      _mm512_mullo_epi32(_mm512_maskz_loadu_epi32(m, start + x), _mm512_set1_epi32(C));
  const __m512i pick03 =
      _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(kPairFrom[0])));
  const __m512i pick0 =
      _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(kPairFrom[1])));
  for (int c = 0; c < C; ++c) {
    __m512i lo = tail.half, hi = z;
    for (int64_t p = 0; p < taps / 2; ++p) {
      const __m512i idx =
          _mm512_add_epi32(base, _mm512_set1_epi32(static_cast<int32_t>(2 * p * C + c)));
      const __m512i g = _mm512_mask_i32gather_epi32(z, m, idx, row, 1);
      __m512i pair;
      if (C == 3) {
        pair = _mm512_shuffle_epi8(g, pick03);
      } else {  // sample t + 1 is the last byte of the dword starting 1 byte after sample t
        const __m512i g2 =
            _mm512_mask_i32gather_epi32(z, m, _mm512_add_epi32(idx, _mm512_set1_epi32(1)), row, 1);
        pair = _mm512_or_si512(_mm512_shuffle_epi8(g, pick0),
                               _mm512_slli_epi32(_mm512_srli_epi32(g2, 24), 16));
      }
      lo = _mm512_add_epi32(lo,
                            _mm512_madd_epi16(pair, _mm512_maskz_loadu_epi32(m, kp + p * n + x)));
      if (kph)
        hi = _mm512_add_epi32(
            hi, _mm512_madd_epi16(pair, _mm512_maskz_loadu_epi32(m, kph + p * n + x)));
    }
    tail.store(lo, hi, kph != nullptr, dst + c * plane_stride + x, m);
  }
}

void resize_h_u8_fixed(const uint8_t* row, int64_t channels, const int32_t* start,
                       const int32_t* kp, const int32_t* kph, int64_t taps, int64_t n, int bits,
                       uint8_t* dst, int64_t plane_stride) {
  if (channels != 3 && channels != 4) {
    resize_h_u8_fixed_impl(row, channels, start, kp, kph, taps, n, bits, dst, plane_stride);
    return;
  }
  const FixedHTail tail(bits);
  for (int64_t x = 0; x < n; x += 16)
    fixed_h_gather_step(row, static_cast<int>(channels), start, kp, kph, taps, n, x,
                        n - x < 16 ? n - x : 16, tail, dst, plane_stride);
}

inline __m512i dot_acc(__m512i acc, __m512i x, __m512i k) {
  return _mm512_add_epi32(acc, _mm512_madd_epi16(x, k));
}
namespace plain {
#include "int_passes_avx512.inc"

// Fixed-point vertical pass (named conventions): 32 values per step, zero-extended to words;
// vpmaddwd with the weight in the low (high) word of each dword sums the even (odd) values'
// products in int32 (as resize_v_u8_int). Weights of 2^15 and more (Pillow's 22 bits) go in two
// 11-bit halves, the high sums shifted left by 11 before the rounding: the same int32 sum as
// resize_v_fixed_impl. Even and odd results are packed to bytes and interleaved back in order.
// The shared loop: for i in [0, n) in steps of 32, the rounded, clamped levels of the even and
// odd elements (int32) go to out(i, cnt, even, odd). Returns false (nothing done) for weights the
// halves cannot hold (negative, > 2^22) or more than 64 taps: the caller uses portable code.
template <class Out>
bool resize_v_fixed_loop(const uint8_t* const* rows, const int32_t* k, int64_t taps, int64_t n,
                         int bits, Out&& out) {
  int32_t kmax = 0;
  if (!word_pair_weights(k, taps, kmax)) return false;
  const bool split = kmax >= (1 << 15);
  __m512i kw[128], kh[128];
  for (int64_t t = 0; t < taps; ++t) {
    const int32_t lo = split ? (k[t] & 2047) : k[t], hi = split ? (k[t] >> 11) : 0;
    kw[2 * t] = _mm512_set1_epi32(lo);
    kw[2 * t + 1] = _mm512_set1_epi32(lo << 16);
    kh[2 * t] = _mm512_set1_epi32(hi);
    kh[2 * t + 1] = _mm512_set1_epi32(hi << 16);
  }
  const __m512i half = _mm512_set1_epi32(1 << (bits - 1)), zero = _mm512_setzero_si512();
  const __m512i top = _mm512_set1_epi32(255);
  const __m128i shift = _mm_cvtsi32_si128(bits);
  for (int64_t i = 0; i < n; i += 32) {
    const int64_t cnt = n - i < 32 ? n - i : 32;
    const __mmask32 m = cnt >= 32 ? ~__mmask32{0} : ((__mmask32{1} << cnt) - 1);
    __m512i e = half, o = half, eh = zero, oh = zero;
    for (int64_t t = 0; t < taps; ++t) {
      const __m512i x = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(m, rows[t] + i));
      e = dot_acc(e, x, kw[2 * t]);
      o = dot_acc(o, x, kw[2 * t + 1]);
      if (split) {
        eh = dot_acc(eh, x, kh[2 * t]);
        oh = dot_acc(oh, x, kh[2 * t + 1]);
      }
    }
    const auto level = [&](__m512i lo, __m512i hi) {
      const __m512i acc = split ? _mm512_add_epi32(lo, _mm512_slli_epi32(hi, 11)) : lo;
      return _mm512_min_epi32(_mm512_max_epi32(_mm512_sra_epi32(acc, shift), zero), top);
    };
    out(i, cnt, level(e, eh), level(o, oh));
  }
  return true;
}

void resize_v_fixed(const uint8_t* const* rows, const int32_t* k, int64_t taps, int64_t n, int bits,
                    uint8_t* dst) {
  const auto bytes = [dst](int64_t i, int64_t cnt, __m512i e, __m512i o) {
    const __m128i qe = _mm512_cvtepi32_epi8(e), qo = _mm512_cvtepi32_epi8(o);
    const __m256i both = _mm256_set_m128i(_mm_unpackhi_epi8(qe, qo), _mm_unpacklo_epi8(qe, qo));
    const __mmask32 m = cnt >= 32 ? ~__mmask32{0} : ((__mmask32{1} << cnt) - 1);
    _mm256_mask_storeu_epi8(dst + i, m, both);
  };
  if (!resize_v_fixed_loop(rows, k, taps, n, bits, bytes))
    resize_v_fixed_impl(rows, k, taps, n, bits, dst);
}

// resize_v_fixed_levels (contract in kernels/table.hpp): the same loop per channel plane, the even
// and odd levels converted, put back in order and mapped by levels_f32's corrected form.
template <bool Divide>
void resize_v_fixed_levels_t(const uint8_t* const* rows, const int32_t* k, int64_t taps, int64_t n,
                             int64_t channels, int bits, const double* lv, float* fdst,
                             int64_t plane_stride) {
  const LevelMap<Divide> map(static_cast<int>(channels), lv);
  const __m512i lo_idx = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi_idx =
      _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const uint8_t* crow[64];
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t t = 0; t < taps; ++t) crow[t] = rows[t] + c * n;
    float* d = fdst + c * plane_stride;
    const int ch = static_cast<int>(c);
    const auto floats = [&](int64_t i, int64_t cnt, __m512i e, __m512i o) {
      const __m512 fe = _mm512_cvtepi32_ps(e), fo = _mm512_cvtepi32_ps(o);
      _mm512_mask_storeu_ps(d + i, lanes_mask(cnt),
                            map(ch, _mm512_permutex2var_ps(fe, lo_idx, fo)));
      if (cnt > 16)
        _mm512_mask_storeu_ps(d + i + 16, lanes_mask(cnt - 16),
                              map(ch, _mm512_permutex2var_ps(fe, hi_idx, fo)));
    };
    if (!resize_v_fixed_loop(crow, k, taps, n, bits, floats)) {  // the same for every channel
      resize_v_fixed_levels_impl(rows, k, taps, n, channels, bits, lv, fdst, plane_stride);
      return;
    }
  }
}

void resize_v_fixed_levels(const uint8_t* const* rows, const int32_t* k, int64_t taps, int64_t n,
                           int64_t channels, int bits, const double* lv, float* fdst,
                           int64_t plane_stride) {
  if (channels > 4 || taps > 64) {
    resize_v_fixed_levels_impl(rows, k, taps, n, channels, bits, lv, fdst, plane_stride);
    return;
  }
  if (lv[1] != 0.0)
    resize_v_fixed_levels_t<true>(rows, k, taps, n, channels, bits, lv, fdst, plane_stride);
  else
    resize_v_fixed_levels_t<false>(rows, k, taps, n, channels, bits, lv, fdst, plane_stride);
}
}  // namespace plain
using plain::resize_v_fixed;
using plain::resize_v_u8_int;

void resize_h_u8_fixed2(const uint8_t* row0, const uint8_t* row1, int64_t channels,
                        const int32_t* start, const int32_t* kp, const int32_t* kph, int64_t taps,
                        int64_t n, int bits, uint8_t* dst0, uint8_t* dst1, int64_t plane_stride) {
  resize_h_u8_fixed(row0, channels, start, kp, kph, taps, n, bits, dst0, plane_stride);
  resize_h_u8_fixed(row1, channels, start, kp, kph, taps, n, bits, dst1, plane_stride);
}

// ---- Statistics (contracts in stats_generic.cpp and kernels/table.hpp)
// ---------------------------- uint8, per channel: 192-byte groups. Twelve 16-byte chunks are
// widened to uint32 (vpmovzxbd); chunk k goes to accumulator set k % 3, so lane j of set s always
// holds byte 16s + j of a 48-byte period, channel (16s + j) % C for any C dividing 48. Squares come
// from vpmaddwd of the widened value with itself (the high 16 bits are zero). Every lane takes 4
// values per group, so the uint32 lanes are flushed into the uint64 channel sums every 16384 groups
// (65536 * 255^2 < 2^32). min/max run on the three 64-byte registers of a group (192 % C == 0).
inline __m512i widen16(const uint8_t* p) {
  return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

void stats_u8(const uint8_t* src, int64_t count, int64_t channels, uint64_t* sum, uint64_t* sumsq,
              uint8_t* min, uint8_t* max) {
  constexpr int64_t kGroup = 192;
  if (48 % channels != 0 || count < kGroup) {
    stats_u8_generic(src, count, channels, sum, sumsq, min, max);
    return;
  }
  const int64_t groups = count / kGroup;
  __m512i lo[3], hi[3];
  for (int v = 0; v < 3; ++v) {
    lo[v] = _mm512_set1_epi8(-1);
    hi[v] = _mm512_setzero_si512();
  }
  alignas(64) uint32_t s_lanes[48], q_lanes[48];
  int64_t g = 0;
  while (g < groups) {
    const int64_t end = groups - g < 16384 ? groups : g + 16384;
    __m512i s[3], q[3];
    for (int k = 0; k < 3; ++k) s[k] = q[k] = _mm512_setzero_si512();
    for (; g < end; ++g) {
      const uint8_t* p = src + g * kGroup;
      // ahead of the hardware prefetcher, which this compute-heavy loop outruns (measured:
      // 1.6x faster from memory at 224x224x3); prefetches never fault past the end
      for (int v = 0; v < 3; ++v)
        _mm_prefetch(reinterpret_cast<const char*>(p + 2048 + 64 * v), _MM_HINT_T0);
      for (int v = 0; v < 3; ++v) {
        const __m512i b = _mm512_loadu_si512(p + 64 * v);
        lo[v] = _mm512_min_epu8(lo[v], b);
        hi[v] = _mm512_max_epu8(hi[v], b);
      }
      for (int k = 0; k < 12; ++k) {
        const __m512i x = widen16(p + 16 * k);
        s[k % 3] = _mm512_add_epi32(s[k % 3], x);
        q[k % 3] = _mm512_add_epi32(q[k % 3], _mm512_madd_epi16(x, x));
      }
    }
    for (int k = 0; k < 3; ++k) {
      _mm512_store_si512(s_lanes + 16 * k, s[k]);
      _mm512_store_si512(q_lanes + 16 * k, q[k]);
    }
    fold_u8_lanes(s_lanes, q_lanes, 48, channels, sum, sumsq);
  }
  alignas(64) uint8_t lo_b[kGroup], hi_b[kGroup];
  for (int v = 0; v < 3; ++v) {
    _mm512_store_si512(lo_b + 64 * v, lo[v]);
    _mm512_store_si512(hi_b + 64 * v, hi[v]);
  }
  fold_u8_minmax(lo_b, hi_b, kGroup, channels, min, max);
  stats_u8_generic(src + groups * kGroup, count - groups * kGroup, channels, sum, sumsq, min, max);
}

// float32, per channel: the 24 lanes are three registers of 8 doubles (one 8-float load each,
// widened with vcvtps2pd); the same Welford operations as the portable kernel, lane for lane.
// min/max on the 8 floats: vminps(x, m) keeps m when either is NaN, then a masked move puts a
// NaN x in, so a NaN enters and stays (as nan_min in numeric.hpp).
void stats_f32(const float* src, int64_t count, int64_t channels, int64_t* n, double* mean,
               double* m2, float* min, float* max) {
  if (kStatsLanes % channels != 0) {
    stats_f32_generic(src, count, channels, n, mean, m2, min, max);
    return;
  }
  const int64_t groups = count / kStatsLanes;
  __m512d m[3], q[3];
  __m256 lo[3], hi[3];
  for (int k = 0; k < 3; ++k) {
    m[k] = q[k] = _mm512_setzero_pd();
    lo[k] = _mm256_set1_ps(std::numeric_limits<float>::infinity());
    hi[k] = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  }
  for (int64_t g = 0; g < groups; ++g) {
    const __m512d inv = _mm512_set1_pd(1.0 / static_cast<double>(g + 1));
    const float* p = src + g * kStatsLanes;
    for (int k = 0; k < 3; ++k) {
      const __m256 f = _mm256_loadu_ps(p + 8 * k);
      const __m512d x = _mm512_cvtps_pd(f);
      const __m512d d = _mm512_sub_pd(x, m[k]);
      m[k] = _mm512_add_pd(m[k], _mm512_mul_pd(d, inv));
      q[k] = _mm512_add_pd(q[k], _mm512_mul_pd(d, _mm512_sub_pd(x, m[k])));
      const __mmask8 nan = _mm256_cmp_ps_mask(f, f, _CMP_UNORD_Q);
      lo[k] = _mm256_mask_mov_ps(_mm256_min_ps(f, lo[k]), nan, f);
      hi[k] = _mm256_mask_mov_ps(_mm256_max_ps(f, hi[k]), nan, f);
    }
  }
  alignas(64) double lm[kStatsLanes], lq[kStatsLanes];
  alignas(32) float llo[kStatsLanes], lhi[kStatsLanes];
  for (int k = 0; k < 3; ++k) {
    _mm512_store_pd(lm + 8 * k, m[k]);
    _mm512_store_pd(lq + 8 * k, q[k]);
    _mm256_store_ps(llo + 8 * k, lo[k]);
    _mm256_store_ps(lhi + 8 * k, hi[k]);
  }
  stats_f32_fold(lm, lq, groups, llo, lhi, src + groups * kStatsLanes, count - groups * kStatsLanes,
                 channels, n, mean, m2, min, max);
}

// uint8, per pixel: tiles of K 16-byte chunks whose uint32 sums and sums of squares stay in
// registers while the tile runs over all the images (tile-major: the accumulators are read and
// written once per call, not once per image). K = 8 (128 bytes, min/max on two 64-byte
// registers), then K = 1 (16 bytes, min/max on one 16-byte register), then the portable code.
template <int K>
inline void pixel_tile(const uint8_t* src, int64_t images, int64_t image_stride, uint32_t* s1,
                       uint32_t* s2, uint8_t* min, uint8_t* max) {
  __m512i a[K], q[K];
  for (int k = 0; k < K; ++k) {
    a[k] = _mm512_loadu_si512(s1 + 16 * k);
    q[k] = _mm512_loadu_si512(s2 + 16 * k);
  }
  if constexpr (K % 4 == 0) {
    constexpr int V = K / 4;
    __m512i lo[V], hi[V];
    for (int v = 0; v < V; ++v) {
      lo[v] = _mm512_loadu_si512(min + 64 * v);
      hi[v] = _mm512_loadu_si512(max + 64 * v);
    }
    for (int64_t i = 0; i < images; ++i) {
      const uint8_t* p = src + i * image_stride;
      // The hardware prefetchers do not follow one stream per image of a large batch: ask for
      // this image's data 4 tiles ahead (prefetches never fault, even past the end).
      for (int v = 0; v < V; ++v)
        _mm_prefetch(reinterpret_cast<const char*>(p + 4 * 16 * K + 64 * v), _MM_HINT_T0);
      for (int v = 0; v < V; ++v) {
        const __m512i b = _mm512_loadu_si512(p + 64 * v);
        lo[v] = _mm512_min_epu8(lo[v], b);
        hi[v] = _mm512_max_epu8(hi[v], b);
      }
      for (int k = 0; k < K; ++k) {
        const __m512i x = widen16(p + 16 * k);
        a[k] = _mm512_add_epi32(a[k], x);
        q[k] = _mm512_add_epi32(q[k], _mm512_madd_epi16(x, x));
      }
    }
    for (int v = 0; v < V; ++v) {
      _mm512_storeu_si512(min + 64 * v, lo[v]);
      _mm512_storeu_si512(max + 64 * v, hi[v]);
    }
  } else {
    __m128i lo[K], hi[K];
    for (int k = 0; k < K; ++k) {
      lo[k] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(min + 16 * k));
      hi[k] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(max + 16 * k));
    }
    for (int64_t i = 0; i < images; ++i) {
      const uint8_t* p = src + i * image_stride;
      for (int k = 0; k < K; ++k) {
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
        lo[k] = _mm_min_epu8(lo[k], b);
        hi[k] = _mm_max_epu8(hi[k], b);
        const __m512i x = _mm512_cvtepu8_epi32(b);
        a[k] = _mm512_add_epi32(a[k], x);
        q[k] = _mm512_add_epi32(q[k], _mm512_madd_epi16(x, x));
      }
    }
    for (int k = 0; k < K; ++k) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(min + 16 * k), lo[k]);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(max + 16 * k), hi[k]);
    }
  }
  for (int k = 0; k < K; ++k) {
    _mm512_storeu_si512(s1 + 16 * k, a[k]);
    _mm512_storeu_si512(s2 + 16 * k, q[k]);
  }
}

void stats_pixel_u8(const uint8_t* src, int64_t images, int64_t image_stride, int64_t count,
                    uint32_t* s1, uint32_t* s2, uint8_t* min, uint8_t* max) {
  int64_t j = 0;
  for (; j + 128 <= count; j += 128)
    pixel_tile<8>(src + j, images, image_stride, s1 + j, s2 + j, min + j, max + j);
  for (; j + 16 <= count; j += 16)
    pixel_tile<1>(src + j, images, image_stride, s1 + j, s2 + j, min + j, max + j);
  if (j < count)
    stats_pixel_u8_generic(src + j, images, image_stride, count - j, s1 + j, s2 + j, min + j,
                           max + j);
}

void normalize_pixel(float* data, const float* a, const float* b, int64_t count) {
  int64_t i = 0;
  for (; i + 16 <= count; i += 16)
    _mm512_storeu_ps(data + i,
                     _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(data + i), _mm512_loadu_ps(a + i)),
                                   _mm512_loadu_ps(b + i)));
  if (i < count) {
    const __mmask16 m = lanes_mask(count - i);
    const __m512 r = _mm512_add_ps(
        _mm512_mul_ps(_mm512_maskz_loadu_ps(m, data + i), _mm512_maskz_loadu_ps(m, a + i)),
        _mm512_maskz_loadu_ps(m, b + i));
    _mm512_mask_storeu_ps(data + i, m, r);
  }
}

}  // namespace
}  // namespace pixnorm::kernels

#pragma GCC pop_options

// ---- AVX512-VBMI and AVX512-VNNI (table avx512icl: the avx512 table plus these) ---------------
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx512vbmi,avx512vnni,avx2,fma,f16c,bmi2")

namespace pixnorm::kernels {
namespace {

// The pairs of bilinear2_rows without gathers: the bytes a group of output pixels reads from a
// row (at most 128 consecutive ones) are loaded into two registers (masked: nothing past the last
// pixel read is touched), and one two-source byte permute per channel and row puts each pixel's
// (left, right) samples into bytes 0 and 2 of its dword, zeroing bytes 1 and 3. A step of 16
// pixels is one group up to downscales of about 2.6x, two groups of 8 up to about 5x; wider
// steps use the gathers.
__attribute__((always_inline)) inline void window_pairs(const uint8_t* r0, const uint8_t* r1, int C,
                                                        const int32_t* st, int64_t cnt,
                                                        const PairPicks& pk, __m512i p[2][4]) {
  constexpr __mmask64 kPairBytes = 0x5555555555555555ull;
  const auto extent = [&](int64_t i0, int64_t i1, int32_t& lo) {  // bytes of lanes [i0, i1)
    const int32_t f = st[i0], l = st[i1 - 1];
    lo = f < l ? f : l;
    return (static_cast<int64_t>(f < l ? l : f) - lo + 2) * C;
  };
  int32_t lo_a = 0, lo_b = 0;
  const int64_t bytes_all = extent(0, cnt, lo_a);
  const bool one = bytes_all <= 128;
  int64_t bytes_a = bytes_all, bytes_b = 0;
  if (!one) {
    const int64_t half = cnt > 8 ? 8 : cnt;
    bytes_a = extent(0, half, lo_a);
    bytes_b = half < cnt ? extent(half, cnt, lo_b) : 0;
    if (bytes_a > 128 || bytes_b > 128) {
      gather_pairs(r0, r1, C, st, cnt, pk, p);
      return;
    }
  }
  const __mmask16 m = lanes_mask(cnt);
  // (s - lo) * C in both 16-bit halves of each dword; lanes 8..15 relative to lo_b when split
  const __m512i lo_v =
      one ? _mm512_set1_epi32(lo_a)
          : _mm512_mask_blend_epi32(static_cast<__mmask16>(0xFF00), _mm512_set1_epi32(lo_a),
                                    _mm512_set1_epi32(lo_b));
  const __m512i base = _mm512_mullo_epi32(_mm512_sub_epi32(_mm512_maskz_loadu_epi32(m, st), lo_v),
                                          _mm512_set1_epi32(C * 0x10001));
  const uint8_t* rows[2] = {r0, r1};
  for (int r = 0; r < 2; ++r) {
    const uint8_t* pa = rows[r] + static_cast<int64_t>(lo_a) * C;
    const __m512i a0 = _mm512_maskz_loadu_epi8(bytes_mask(bytes_a), pa);
    const __m512i a1 =
        _mm512_maskz_loadu_epi8(bytes_mask(bytes_a > 64 ? bytes_a - 64 : 0), pa + 64);
    __m512i b0 = a0, b1 = a1;
    if (!one) {
      const uint8_t* pb = rows[r] + static_cast<int64_t>(lo_b) * C;
      b0 = _mm512_maskz_loadu_epi8(bytes_mask(bytes_b), pb);
      b1 = _mm512_maskz_loadu_epi8(bytes_mask(bytes_b > 64 ? bytes_b - 64 : 0), pb + 64);
    }
    for (int c = 0; c < C; ++c) {
      const __m512i idx = _mm512_add_epi32(base, _mm512_set1_epi32(c | ((C + c) << 16)));
      if (one) {
        p[r][c] = _mm512_maskz_permutex2var_epi8(kPairBytes, a0, idx, a1);
      } else {  // lanes 0..7 from group a's bytes, 8..15 from group b's
        p[r][c] = _mm512_or_si512(
            _mm512_maskz_permutex2var_epi8(kPairBytes & 0xFFFFFFFFull, a0, idx, a1),
            _mm512_maskz_permutex2var_epi8(kPairBytes & ~0xFFFFFFFFull, b0, idx, b1));
      }
    }
  }
}

// bilinear2_rows with window_pairs: the same loop, compiled in this region so that
// window_pairs can be inlined into it (GCC never inlines a function with more target features
// into one with fewer, so a template defined above could not take it).
template <class T, class Tail>
__attribute__((always_inline)) inline void bilinear2_rows_vbmi(const uint8_t* r0, const uint8_t* r1,
                                                               int C, const int32_t* start,
                                                               const int32_t* kx, int64_t n,
                                                               const Tail& tail, T* dst,
                                                               int64_t plane_stride) {
  const PairPicks pk(C);
  int64_t x = 0;
  const auto step = [&](int64_t cnt) __attribute__((always_inline)) {
    __m512i p[2][4];
    window_pairs(r0, r1, C, start + x, cnt, pk, p);
    const __m512i k = _mm512_maskz_loadu_epi32(lanes_mask(cnt), kx + x);
    for (int c = 0; c < C; ++c) tail(c, p[0][c], p[1][c], k, dst + c * plane_stride + x, cnt);
    x += cnt;
  };
  if constexpr (std::is_same_v<T, float>) {
    const int64_t mis = static_cast<int64_t>((reinterpret_cast<uintptr_t>(dst) >> 2) & 15u);
    if (mis) step(16 - mis < n ? 16 - mis : n);
  }
  while (x + 16 <= n) step(16);
  if (x < n) step(n - x);
}

// The integer vertical passes with VNNI: vpdpwssd multiplies, adds the word pairs and
// accumulates in one instruction.
namespace vnni {
inline __m512i dot_acc(__m512i acc, __m512i x, __m512i k) { return _mm512_dpwssd_epi32(acc, x, k); }
#include "int_passes_avx512.inc"
}  // namespace vnni

// The fixed-point vertical pass with VBMI (resize_v_fixed's contract): rows are taken two at a
// time; one byte permute per 16 values puts row 2q's value in the low word and row 2q + 1's in
// the high word of each dword (the values stay in order), so vpdpwssd adds both taps' products
// at once, where resize_v_fixed_loop spends a dot product per tap on the even and odd words.
// An odd last tap pairs with a zero weight. Split: Pillow's 22-bit weights in two 11-bit halves
// (high sums shifted left by 11 before the rounding: the same int32 sum as the portable code).
// out(i, cnt, levels) receives 16 results (int32, rounded and clamped) at a time. Returns false
// (nothing done) for weights the halves cannot hold or more than 64 taps.
template <bool Split, bool Clamp, class Out>
void resize_v_pairs_t(const uint8_t* const* rows, const int32_t* k, int64_t taps, int64_t n,
                      int bits, Out&& out) {
  const int64_t pairs = (taps + 1) / 2;
  const int32_t lo_mask = Split ? 2047 : 0xFFFF;
  __m512i kl[32], kh[32];
  const uint8_t* ra[32];
  const uint8_t* rb[32];
  for (int64_t q = 0; q < pairs; ++q) {
    const bool both = 2 * q + 1 < taps;
    const int32_t a = k[2 * q], b = both ? k[2 * q + 1] : 0;
    kl[q] = _mm512_set1_epi32((a & lo_mask) | ((b & lo_mask) << 16));
    kh[q] = _mm512_set1_epi32((a >> 11) | ((b >> 11) << 16));
    ra[q] = rows[2 * q];
    rb[q] = both ? rows[2 * q + 1] : rows[2 * q];
  }
  constexpr __mmask64 kPairs = 0x5555555555555555ull;
  __m512i idx[4];  // dword j of block v: bytes v*16 + j of the first row and of the second
  for (int v = 0; v < 4; ++v)
    idx[v] = _mm512_add_epi32(
        _mm512_set1_epi32(v * 16 | ((64 + v * 16) << 16)),
        _mm512_setr_epi32(0, 0x10001, 0x20002, 0x30003, 0x40004, 0x50005, 0x60006, 0x70007, 0x80008,
                          0x90009, 0xA000A, 0xB000B, 0xC000C, 0xD000D, 0xE000E, 0xF000F));
  const __m512i half = _mm512_set1_epi32(1 << (bits - 1)), zero = _mm512_setzero_si512();
  const __m512i top = _mm512_set1_epi32(255);
  const __m128i shift = _mm_cvtsi32_si128(bits);
  // V blocks of 16 values per step: 4 in the body, as many as the tail needs at the end
  const auto step = [&](auto blocks, int64_t i, int64_t cnt) {
    constexpr int V = decltype(blocks)::value;
    const __mmask64 m = bytes_mask(cnt);
    __m512i lo[V], hi[V];
    for (int v = 0; v < V; ++v) {
      lo[v] = half;
      hi[v] = zero;
    }
    for (int64_t q = 0; q < pairs; ++q) {
      const __m512i a = _mm512_maskz_loadu_epi8(m, ra[q] + i);
      const __m512i b = _mm512_maskz_loadu_epi8(m, rb[q] + i);
      for (int v = 0; v < V; ++v) {
        const __m512i pair = _mm512_maskz_permutex2var_epi8(kPairs, a, idx[v], b);
        lo[v] = _mm512_dpwssd_epi32(lo[v], pair, kl[q]);
        if (Split) hi[v] = _mm512_dpwssd_epi32(hi[v], pair, kh[q]);
      }
    }
    for (int v = 0; v < V; ++v) {
      const __m512i acc = Split ? _mm512_add_epi32(lo[v], _mm512_slli_epi32(hi[v], 11)) : lo[v];
      const __m512i q = _mm512_sra_epi32(acc, shift);
      const int64_t left = cnt - 16 * v;
      if (left <= 0) break;
      out(i + 16 * v, left < 16 ? left : 16, Clamp ? _mm512_min_epi32(q, top) : q);
    }
  };
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) step(std::integral_constant<int, 4>{}, i, 64);
  const int64_t rest = n - i;
  if (rest > 32)
    step(std::integral_constant<int, 4>{}, i, rest);
  else if (rest > 16)
    step(std::integral_constant<int, 2>{}, i, rest);
  else if (rest > 0)
    step(std::integral_constant<int, 1>{}, i, rest);
}

template <class Out>
bool resize_v_pairs(const uint8_t* const* rows, const int32_t* k, int64_t taps, int64_t n, int bits,
                    Out&& out) {
  int32_t kmax = 0;
  if (!word_pair_weights(k, taps, kmax)) return false;
  // Non-negative weights give non-negative sums; when 255 * sum(k) + 2^(bits-1) < 2^(bits+8)
  // (weights normalized to 2^bits, as Pillow's and torch's are), no level exceeds 255 either.
  int64_t ksum = 0;
  for (int64_t t = 0; t < taps; ++t) ksum += k[t];
  const bool clamp = 255 * ksum + (int64_t{1} << (bits - 1)) >= (int64_t{1} << (bits + 8));
  const bool split = kmax >= (1 << 15);
  if (split && clamp)
    resize_v_pairs_t<true, true>(rows, k, taps, n, bits, out);
  else if (split)
    resize_v_pairs_t<true, false>(rows, k, taps, n, bits, out);
  else if (clamp)
    resize_v_pairs_t<false, true>(rows, k, taps, n, bits, out);
  else
    resize_v_pairs_t<false, false>(rows, k, taps, n, bits, out);
  return true;
}

void resize_v_fixed_vbmi(const uint8_t* const* rows, const int32_t* k, int64_t taps, int64_t n,
                         int bits, uint8_t* dst) {
  const auto bytes = [dst](int64_t i, int64_t cnt, __m512i v) {
    _mm_mask_storeu_epi8(dst + i, lanes_mask(cnt), _mm512_cvtepi32_epi8(v));
  };
  if (!resize_v_pairs(rows, k, taps, n, bits, bytes))
    resize_v_fixed_impl(rows, k, taps, n, bits, dst);
}

template <bool Divide>
void resize_v_fixed_levels_vbmi_t(const uint8_t* const* rows, const int32_t* k, int64_t taps,
                                  int64_t n, int64_t channels, int bits, const double* lv,
                                  float* fdst, int64_t plane_stride) {
  const LevelMap<Divide> map(static_cast<int>(channels), lv);
  const uint8_t* crow[64];
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t t = 0; t < taps; ++t) crow[t] = rows[t] + c * n;
    float* d = fdst + c * plane_stride;
    const int ch = static_cast<int>(c);
    const auto floats = [&](int64_t i, int64_t cnt, __m512i v) {
      _mm512_mask_storeu_ps(d + i, lanes_mask(cnt), map(ch, _mm512_cvtepi32_ps(v)));
    };
    if (!resize_v_pairs(crow, k, taps, n, bits, floats)) {  // the same for every channel
      resize_v_fixed_levels_impl(rows, k, taps, n, channels, bits, lv, fdst, plane_stride);
      return;
    }
  }
}

void resize_v_fixed_levels_vbmi(const uint8_t* const* rows, const int32_t* k, int64_t taps,
                                int64_t n, int64_t channels, int bits, const double* lv,
                                float* fdst, int64_t plane_stride) {
  if (channels > 4 || taps > 64) {
    resize_v_fixed_levels_impl(rows, k, taps, n, channels, bits, lv, fdst, plane_stride);
    return;
  }
  if (lv[1] != 0.0)
    resize_v_fixed_levels_vbmi_t<true>(rows, k, taps, n, channels, bits, lv, fdst, plane_stride);
  else
    resize_v_fixed_levels_vbmi_t<false>(rows, k, taps, n, channels, bits, lv, fdst, plane_stride);
}

// The byte windows of one 16-output step of resize_h_u8_digits (R rows, the same windows): one
// 128-byte window when the step's samples span at most 128 bytes, else one per half of the lanes
// (0..7, 8..15; a last step of at most 8 outputs has no second half, and start[] is read only for
// the step's own outputs); `fits` is false when a half spans more (the caller gathers). Windows are
// loaded with masks, so nothing past their bytes is read.
template <int R>
struct StepWindows {
  bool fits = true, one = true;
  int32_t lo_a = 0, lo_b = 0;
  __m512i a0[R], a1[R], b0[R], b1[R];
  __attribute__((always_inline)) StepWindows(const uint8_t* const* row, int C, const int32_t* start,
                                             int64_t taps, int64_t cnt) {
    // bytes read by lanes [i0, i1), from the smallest start `lo` on (starts are monotonic)
    const auto extent = [&](int64_t i0, int64_t i1, int32_t& lo) {
      const int32_t f = start[i0], l = start[i1 - 1];
      lo = f < l ? f : l;
      return (static_cast<int64_t>(f < l ? l : f) - lo + taps) * C;
    };
    int64_t bytes_a = extent(0, cnt, lo_a), bytes_b = 0;
    one = bytes_a <= 128;
    if (!one) {
      const int64_t half = cnt > 8 ? 8 : cnt;
      bytes_a = extent(0, half, lo_a);
      bytes_b = half < cnt ? extent(half, cnt, lo_b) : 0;
      fits = bytes_a <= 128 && bytes_b <= 128;
      if (!fits) return;
    }
    for (int r = 0; r < R; ++r) {
      const uint8_t* pa = row[r] + static_cast<int64_t>(lo_a) * C;
      a0[r] = _mm512_maskz_loadu_epi8(bytes_mask(bytes_a < 64 ? bytes_a : 64), pa);
      a1[r] = _mm512_maskz_loadu_epi8(bytes_mask(bytes_a > 64 ? bytes_a - 64 : 0), pa + 64);
      b0[r] = a0[r];
      b1[r] = a1[r];
      if (!one) {
        const uint8_t* pb = row[r] + static_cast<int64_t>(lo_b) * C;
        b0[r] = _mm512_maskz_loadu_epi8(bytes_mask(bytes_b < 64 ? bytes_b : 64), pb);
        b1[r] = _mm512_maskz_loadu_epi8(bytes_mask(bytes_b > 64 ? bytes_b - 64 : 0), pb + 64);
      }
    }
  }
  // Each lane's first byte in its window, (start - the window's first sample) * C, in all four
  // bytes of its dword.
  __attribute__((always_inline)) __m512i base(const int32_t* start, __mmask16 m, int C) const {
    const __m512i lo_v =
        one ? _mm512_set1_epi32(lo_a)
            : _mm512_mask_blend_epi32(static_cast<__mmask16>(0xFF00), _mm512_set1_epi32(lo_a),
                                      _mm512_set1_epi32(lo_b));
    return _mm512_mullo_epi32(_mm512_sub_epi32(_mm512_maskz_loadu_epi32(m, start), lo_v),
                              _mm512_set1_epi32(C * 0x01010101));
  }
  // The bytes `idx` picks from row r's window(s) (lanes 0..7 from the first, 8..15 the second).
  __attribute__((always_inline)) __m512i pick(int r, __m512i idx) const {
    constexpr __mmask64 kLow = 0x00000000FFFFFFFFull;
    return one ? _mm512_permutex2var_epi8(a0[r], idx, a1[r])
               : _mm512_or_si512(_mm512_maskz_permutex2var_epi8(kLow, a0[r], idx, a1[r]),
                                 _mm512_maskz_permutex2var_epi8(~kLow, b0[r], idx, b1[r]));
  }
};

// resize_v_u8_planar with VBMI and VNNI: rows in pairs as in resize_v_pairs_t, but each byte
// permute picks one channel's samples (bytes C*j + c of 16 pixels), so the pairs come out
// de-interleaved and each channel's sums go straight to its plane (measured: the whole 500x375
// preprocess 7% faster than resize_v_u8_int and a de-interleave; for interleaved output the
// even/odd form of resize_v_u8_int stayed faster than pairs). Two steps of 16 pixels per
// iteration keep 2C independent sums.
template <int C>
void resize_v_planar_t(const uint8_t* const* rows, const int32_t* k, int64_t taps, int64_t n,
                       float* dst, int64_t plane_stride) {
  constexpr __mmask64 kPairs = 0x5555555555555555ull;
  const RowPairs rp(rows, k, taps);
  const int64_t pairs = rp.count;
  const uint8_t* const* ra = rp.a;
  const uint8_t* const* rb = rp.b;
  __m512i kl[32];
  for (int64_t q = 0; q < pairs; ++q) kl[q] = _mm512_set1_epi32(rp.lo[q]);
  __m512i idx[C];  // dword j: byte C*j + c of the first row (low word), of the second (high)
  for (int c = 0; c < C; ++c)
    idx[c] = _mm512_add_epi32(
        _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                           _mm512_set1_epi32(C * 0x10001)),
        _mm512_set1_epi32(c | ((64 + c) << 16)));
  const auto step = [&](auto steps, int64_t x, int64_t cnt) {
    constexpr int S = decltype(steps)::value;  // steps of 16 pixels
    __mmask64 m[S];
    __m512i acc[S][C];
    for (int s = 0; s < S; ++s) {
      const int64_t left = cnt - 16 * s;
      m[s] = bytes_mask(left <= 0 ? 0 : (left >= 16 ? 16 : left) * C);
      for (int c = 0; c < C; ++c) acc[s][c] = _mm512_setzero_si512();
    }
    for (int64_t q = 0; q < pairs; ++q)
      for (int s = 0; s < S; ++s) {
        const __m512i a = _mm512_maskz_loadu_epi8(m[s], ra[q] + (x + 16 * s) * C);
        const __m512i b = _mm512_maskz_loadu_epi8(m[s], rb[q] + (x + 16 * s) * C);
        for (int c = 0; c < C; ++c)
          acc[s][c] = _mm512_dpwssd_epi32(
              acc[s][c], _mm512_maskz_permutex2var_epi8(kPairs, a, idx[c], b), kl[q]);
      }
    for (int s = 0; s < S; ++s) {
      const int64_t left = cnt - 16 * s;
      if (left <= 0) break;
      for (int c = 0; c < C; ++c) {
        float* d = dst + c * plane_stride + x + 16 * s;
        const __m512 f = _mm512_cvtepi32_ps(acc[s][c]);
        if (left >= 16)
          _mm512_storeu_ps(d, f);
        else
          _mm512_mask_storeu_ps(d, lanes_mask(left), f);
      }
    }
  };
  int64_t x = 0;
  for (; x + 32 <= n; x += 32) step(std::integral_constant<int, 2>{}, x, 32);
  if (n - x > 16)
    step(std::integral_constant<int, 2>{}, x, n - x);
  else if (n - x > 0)
    step(std::integral_constant<int, 1>{}, x, n - x);
}

void resize_v_u8_planar_vbmi(const uint8_t* const* rows, const int32_t* k, int64_t taps, int64_t n,
                             int64_t channels, float* dst, int64_t plane_stride) {
  if (taps > 64) {
    resize_v_u8_planar_impl(rows, k, taps, n, channels, dst, plane_stride);
    return;
  }
  switch (channels) {
    case 1:
      resize_v_planar_t<1>(rows, k, taps, n, dst, plane_stride);
      break;
    case 2:
      resize_v_planar_t<2>(rows, k, taps, n, dst, plane_stride);
      break;
    case 3:
      resize_v_planar_t<3>(rows, k, taps, n, dst, plane_stride);
      break;
    case 4:
      resize_v_planar_t<4>(rows, k, taps, n, dst, plane_stride);
      break;
    default:
      resize_v_u8_planar_impl(rows, k, taps, n, channels, dst, plane_stride);
  }
}

// resize_h_u8_digits (contract in kernels/table.hpp) with VBMI and VNNI: one byte permute per
// channel and four taps puts the taps' samples in the four bytes of each output's dword; vpdpbusd
// multiplies them by the signed digits of the weights and adds the four products, one
// accumulator per digit: sum = acc0 + 2^8 acc1 + 2^16 acc2 (modulo 2^32, and the true sum fits
// in int32). Pillow's 22-bit weights take three dot products per four taps where the word pairs
// of resize_h_u8_fixed take four, and half the permutes (this table's run_fixed uses it in place
// of resize_h_u8_fixed, which it inherits from avx512). Windows: StepWindows; wider steps
// gather one dword per tap (for C = 3 a byte early after the first tap, so no gather reads
// past the window).
template <int D>
struct DigitsTail {
  __m512i half, init;
  __m128i shift;
  bool folded;  // the rounding half enters at the top digit's scale (exact: init << 8(D-1))
  explicit DigitsTail(int bits)
      : half(_mm512_set1_epi32(1 << (bits - 1))),
        init(_mm512_set1_epi32(bits - 1 >= 8 * (D - 1) ? 1 << (bits - 1 - 8 * (D - 1)) : 0)),
        shift(_mm_cvtsi32_si128(bits)),
        folded(bits - 1 >= 8 * (D - 1)) {}
  // one accumulator per digit, acc[0] started from half
  __attribute__((always_inline)) void store(const __m512i* acc, uint8_t* d, __mmask16 m) const {
    __m512i sum = _mm512_add_epi32(acc[0], _mm512_slli_epi32(acc[1], 8));
    if (D == 3) sum = _mm512_add_epi32(sum, _mm512_slli_epi32(acc[2], 16));
    _mm_mask_storeu_epi8(d, m, _mm512_cvtusepi32_epi8(_mm512_sra_epi32(sum, shift)));
  }
  // the whole sum, from init (when folded) through the digits top down, shifted between them
  __attribute__((always_inline)) void store_sum(__m512i sum, uint8_t* d, __mmask16 m) const {
    if (!folded) sum = _mm512_add_epi32(sum, half);
    _mm_mask_storeu_epi8(d, m, _mm512_cvtusepi32_epi8(_mm512_sra_epi32(sum, shift)));
  }
};

template <int D>
__attribute__((always_inline)) inline void digits_gather_step(
    const uint8_t* row, int C, const int32_t* start, const int32_t* kq, int64_t taps, int64_t n,
    int64_t x, int64_t cnt, const DigitsTail<D>& tail, uint8_t* dst, int64_t plane_stride) {
  const __mmask16 m = lanes_mask(cnt);
  const __m512i z = _mm512_setzero_si512();
  const __m512i base =
      _mm512_mullo_epi32(_mm512_maskz_loadu_epi32(m, start + x), _mm512_set1_epi32(C));
  const int late = C == 3 ? 1 : 0;  // where a sample starts in the gathers after the first
  // byte 4j of every gather, in the four bytes of dword j
  const __m512i lane4 = _mm512_mullo_epi32(
      _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60),
      _mm512_set1_epi32(0x01010101));
  __m512i acc[4][D];
  for (int c = 0; c < C; ++c)
    for (int d = 0; d < D; ++d) acc[c][d] = d == 0 ? tail.half : z;
  for (int64_t q = 0; q < taps / 4; ++q) {
    __m512i g[4];
    for (int u = 0; u < 4; ++u) {
      const int64_t t = 4 * q + u;
      const int32_t off = static_cast<int32_t>(t * C - (t > 0 ? late : 0));
      g[u] =
          _mm512_mask_i32gather_epi32(z, m, _mm512_add_epi32(base, _mm512_set1_epi32(off)), row, 1);
    }
    __m512i k[D];
    for (int d = 0; d < D; ++d) k[d] = _mm512_maskz_loadu_epi32(m, kq + (q * D + d) * n + x);
    const int first = q > 0 ? late : 0;
    for (int c = 0; c < C; ++c) {
      // byte u of dword j: sample 4q + u, channel c, from gather u (bytes 0, 1 permuted from
      // gathers 0 and 1, bytes 2, 3 from gathers 2 and 3; indices 64 and up: the second table)
      const int32_t o =
          (first + c) | ((64 + late + c) << 8) | ((late + c) << 16) | ((64 + late + c) << 24);
      const __m512i idx = _mm512_add_epi32(lane4, _mm512_set1_epi32(o));
      const __m512i X =
          _mm512_or_si512(_mm512_maskz_permutex2var_epi8(0x3333333333333333ull, g[0], idx, g[1]),
                          _mm512_maskz_permutex2var_epi8(0xCCCCCCCCCCCCCCCCull, g[2], idx, g[3]));
      for (int d = 0; d < D; ++d) acc[c][d] = _mm512_dpbusd_epi32(acc[c][d], X, k[d]);
    }
  }
  for (int c = 0; c < C; ++c) tail.store(acc[c], dst + c * plane_stride + x, m);
}

template <int R, int D>
void resize_h_u8_digits_rows(const uint8_t* const* row, int C, const int32_t* start,
                             const int32_t* kq, int64_t taps, int64_t n, int bits,
                             uint8_t* const* dst, int64_t plane_stride) {
  const DigitsTail<D> tail(bits);
  for (int64_t x = 0; x < n; x += 16) {
    const int64_t cnt = n - x < 16 ? n - x : 16;
    const StepWindows<R> w(row, C, start + x, taps, cnt);
    if (!w.fits) {
      for (int r = 0; r < R; ++r)
        digits_gather_step<D>(row[r], C, start, kq, taps, n, x, cnt, tail, dst[r], plane_stride);
      continue;
    }
    const __mmask16 m = lanes_mask(cnt);
    const __m512i base = w.base(start + x, m, C);
    const int32_t taps_bytes = C * 0x03020100;  // samples t..t+3 of a channel: C bytes apart
    const int64_t quads = taps / 4;
    const auto samples = [&](int r, const __m512i& idx) {  // taps 4q..4q+3 in each dword
      return w.pick(r, idx);
    };
    // Up to 16 taps: the samples stay in registers and one accumulator takes the digits top
    // down, shifted by 8 between them (no per-digit sums to combine).
    const auto top_down = [&](auto quad_count, int c) {
      constexpr int Q = decltype(quad_count)::value;
      __m512i X[R][Q];
      for (int q = 0; q < Q; ++q) {
        const int32_t o = static_cast<int32_t>(4 * q * C + c) * 0x01010101 + taps_bytes;
        const __m512i idx = _mm512_add_epi32(base, _mm512_set1_epi32(o));
        for (int r = 0; r < R; ++r) X[r][q] = samples(r, idx);
      }
      __m512i acc[R];
      for (int r = 0; r < R; ++r) acc[r] = tail.init;
      for (int d = D - 1; d >= 0; --d) {
        for (int q = 0; q < Q; ++q) {
          const __m512i k = _mm512_maskz_loadu_epi32(m, kq + (q * D + d) * n + x);
          for (int r = 0; r < R; ++r) acc[r] = _mm512_dpbusd_epi32(acc[r], X[r][q], k);
        }
        if (d > 0)
          for (int r = 0; r < R; ++r) acc[r] = _mm512_slli_epi32(acc[r], 8);
      }
      for (int r = 0; r < R; ++r) tail.store_sum(acc[r], dst[r] + c * plane_stride + x, m);
    };
    for (int c = 0; c < C; ++c) {
      switch (quads) {
        case 1:
          top_down(std::integral_constant<int, 1>{}, c);
          continue;
        case 2:
          top_down(std::integral_constant<int, 2>{}, c);
          continue;
        case 3:
          top_down(std::integral_constant<int, 3>{}, c);
          continue;
        case 4:
          top_down(std::integral_constant<int, 4>{}, c);
          continue;
        default:
          break;
      }
      __m512i acc[R][D];
      for (int r = 0; r < R; ++r)
        for (int d = 0; d < D; ++d) acc[r][d] = d == 0 ? tail.half : _mm512_setzero_si512();
      for (int64_t q = 0; q < taps / 4; ++q) {
        const int32_t o = static_cast<int32_t>(4 * q * C + c) * 0x01010101 + taps_bytes;
        const __m512i idx = _mm512_add_epi32(base, _mm512_set1_epi32(o));
        __m512i k[D];
        for (int d = 0; d < D; ++d) k[d] = _mm512_maskz_loadu_epi32(m, kq + (q * D + d) * n + x);
        for (int r = 0; r < R; ++r) {
          const __m512i X = samples(r, idx);
          for (int d = 0; d < D; ++d) acc[r][d] = _mm512_dpbusd_epi32(acc[r][d], X, k[d]);
        }
      }
      for (int r = 0; r < R; ++r) tail.store(acc[r], dst[r] + c * plane_stride + x, m);
    }
  }
}

void resize_h_u8_digits_vbmi(const uint8_t* row0, const uint8_t* row1, int64_t channels,
                             const int32_t* start, const int32_t* kq, int64_t digits, int64_t taps,
                             int64_t n, int bits, uint8_t* dst0, uint8_t* dst1,
                             int64_t plane_stride) {
  if ((channels != 3 && channels != 4) || (digits != 2 && digits != 3)) {
    resize_h_u8_digits_impl(row0, row1, channels, start, kq, digits, taps, n, bits, dst0, dst1,
                            plane_stride);
    return;
  }
  const uint8_t* rows[2] = {row0, row1};
  uint8_t* dsts[2] = {dst0, dst1};
  const int C = static_cast<int>(channels);
  if (row1 && digits == 3)
    resize_h_u8_digits_rows<2, 3>(rows, C, start, kq, taps, n, bits, dsts, plane_stride);
  else if (row1)
    resize_h_u8_digits_rows<2, 2>(rows, C, start, kq, taps, n, bits, dsts, plane_stride);
  else if (digits == 3)
    resize_h_u8_digits_rows<1, 3>(rows, C, start, kq, taps, n, bits, dsts, plane_stride);
  else
    resize_h_u8_digits_rows<1, 2>(rows, C, start, kq, taps, n, bits, dsts, plane_stride);
}

void bilinear2_u8_vbmi(const uint8_t* r0, const uint8_t* r1, float wy0, float wy1, int64_t channels,
                       const int32_t* start, const int32_t* kx, int64_t n, const float* a,
                       const float* b, float* dst, int64_t plane_stride) {
  if (channels != 3 && channels != 4) {
    bilinear2_u8_impl(r0, r1, wy0, wy1, channels, start, kx, n, a, b, dst, plane_stride);
    return;
  }
  const int C = static_cast<int>(channels);
  bilinear2_rows_vbmi(r0, r1, C, start, kx, n, FloatTail(wy0, wy1, C, a, b), dst, plane_stride);
}

// FixedTail with VNNI: in torch's mode the rounding halves enter the sums through vpdpwssd
// (the same int32 results, three instructions fewer per 16 outputs).
struct FixedTailVnni : FixedTail {
  using FixedTail::FixedTail;
  __attribute__((always_inline)) __m512i level(__m512i p0, __m512i p1, __m512i k) const {
    if (mode != kFixedTorch) return FixedTail::level(p0, p1, k);
    const __m512i H0 = _mm512_sra_epi32(_mm512_dpwssd_epi32(halfx, p0, k), bx);
    const __m512i H1 = _mm512_sra_epi32(_mm512_dpwssd_epi32(halfx, p1, k), bx);
    const __m512i pair = _mm512_or_si512(H0, _mm512_slli_epi32(H1, 16));
    return _mm512_sra_epi32(_mm512_dpwssd_epi32(halfy, pair, ky), by);
  }
  __attribute__((always_inline)) void operator()(int /*c*/, __m512i p0, __m512i p1, __m512i k,
                                                 uint8_t* d, int64_t cnt) const {
    _mm_mask_storeu_epi8(d, lanes_mask(cnt), _mm512_cvtepi32_epi8(level(p0, p1, k)));
  }
};

// FixedTailLevels over FixedTailVnni (defined here: GCC inlines the VNNI level only into code
// of this region).
template <bool Divide>
struct FixedTailLevelsVnni {
  FixedTailVnni fixed;
  LevelMap<Divide> map;
  __attribute__((always_inline)) void operator()(int c, __m512i p0, __m512i p1, __m512i k, float* d,
                                                 int64_t cnt) const {
    const __m512 v = map(c, _mm512_cvtepi32_ps(fixed.level(p0, p1, k)));
    if (cnt == 16)
      _mm512_storeu_ps(d, v);
    else
      _mm512_mask_storeu_ps(d, lanes_mask(cnt), v);
  }
};

void bilinear2_fixed_vbmi(const uint8_t* r0, const uint8_t* r1, int32_t ky0, int32_t ky1,
                          int64_t channels, const int32_t* start, const int32_t* kx, int64_t n,
                          int mode, int bx, int by, uint8_t* dst, int64_t plane_stride,
                          const double* lv, float* fdst) {
  if (channels != 3 && channels != 4) {
    bilinear2_fixed_impl(r0, r1, ky0, ky1, channels, start, kx, n, mode, bx, by, dst, plane_stride,
                         lv, fdst);
    return;
  }
  const int C = static_cast<int>(channels);
  const FixedTailVnni tail(ky0, ky1, mode, bx, by);
  if (lv && lv[1] != 0.0)
    bilinear2_rows_vbmi(r0, r1, C, start, kx, n,
                        FixedTailLevelsVnni<true>{tail, LevelMap<true>(C, lv)}, fdst, plane_stride);
  else if (lv)
    bilinear2_rows_vbmi(r0, r1, C, start, kx, n,
                        FixedTailLevelsVnni<false>{tail, LevelMap<false>(C, lv)}, fdst,
                        plane_stride);
  else
    bilinear2_rows_vbmi(r0, r1, C, start, kx, n, tail, dst, plane_stride);
}

}  // namespace
}  // namespace pixnorm::kernels

#pragma GCC pop_options

namespace pixnorm::kernels {
namespace {

// Outside the target regions: built at compile time, callable on any CPU.
constexpr KernelTable avx512_kernels() {
  KernelTable k = generic_kernels(Isa::avx512);
  k.normalize_u8 = &u8_row;
  k.normalize_f32 = &f32_row;
  k.resize_h = &resize_h;
  k.resize_v = &resize_v;
  k.resize_v_fixed = &resize_v_fixed;
  k.stats_u8 = &stats_u8;
  k.stats_f32 = &stats_f32;
  k.stats_pixel_u8 = &stats_pixel_u8;
  k.normalize_pixel = &normalize_pixel;
  k.levels_f32 = &levels_f32;
  k.bilinear2_u8 = &bilinear2_u8;
  k.bilinear2_fixed = &bilinear2_fixed;
  k.resize_v_u8_int = &resize_v_u8_int;
  k.resize_h_interleaved = &resize_h_interleaved;
  k.resize_h_u8_fixed = &resize_h_u8_fixed;
  k.resize_v_fixed_levels = &plain::resize_v_fixed_levels;
  k.resize_h_u8_fixed2 = &resize_h_u8_fixed2;
  k.resize_v_u8 = &resize_v_u8;
  return k;
}

// The avx512 table with the kernels that gain from VBMI byte permutes and VNNI dot products.
constexpr KernelTable avx512icl_kernels() {
  KernelTable k = avx512_kernels();
  k.isa = Isa::avx512icl;
  k.bilinear2_u8 = &bilinear2_u8_vbmi;
  k.bilinear2_fixed = &bilinear2_fixed_vbmi;
  k.resize_h_u8_digits = &resize_h_u8_digits_vbmi;
  k.resize_v_u8_int = &vnni::resize_v_u8_int;
  k.resize_v_u8_planar = &resize_v_u8_planar_vbmi;
  k.resize_v_fixed = &resize_v_fixed_vbmi;
  k.resize_v_fixed_levels = &resize_v_fixed_levels_vbmi;
  return k;
}

}  // namespace
}  // namespace pixnorm::kernels

const pixnorm::KernelTable& pixnorm::kernels::table_avx512() {
  static constexpr KernelTable t = avx512_kernels();
  return t;
}

const pixnorm::KernelTable& pixnorm::kernels::table_avx512icl() {
  static constexpr KernelTable t = avx512icl_kernels();
  return t;
}
