// SSE4.1 kernels (x86-64-v2). Contract as in scalar.cpp: HWC row in, C planar rows out,
// out = float(x) * a + b as a float32 multiply then add (never fused), bit-identical to scalar.
// uint8, C = 3: 16 pixels (48 bytes, three unaligned loads, never past the row) are split into
// R, G and B byte vectors with pshufb; each is widened 4 at a time (pmovzxbd), converted, scaled.
// Remainders run the same arithmetic one pixel at a time.
#include <cstdint>
#include <immintrin.h>

#include "kernels.hpp"

#pragma GCC push_options
#pragma GCC target("sse4.1")

namespace pixnorm::kernels {
namespace {

inline void store16(__m128i bytes, float* d, __m128 a, __m128 b) {
  for (int k = 0; k < 4; ++k) {
    const __m128i w = _mm_cvtepu8_epi32(bytes);
    _mm_storeu_ps(d + 4 * k, _mm_add_ps(_mm_mul_ps(_mm_cvtepi32_ps(w), a), b));
    bytes = _mm_srli_si128(bytes, 4);
  }
}

template <class T>
inline void tail(const T* src, int64_t x0, int64_t width, int64_t channels, const float* a,
                 const float* b, float* dst, int64_t plane_stride) {
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t x = x0; x < width; ++x)
      dst[c * plane_stride + x] = static_cast<float>(src[x * channels + c]) * a[c] + b[c];
}

void u8_row(const uint8_t* src, int64_t width, int64_t channels, const float* a, const float* b,
            float* dst, int64_t plane_stride) {
  int64_t x = 0;
  if (channels == 1) {
    const __m128 va = _mm_set1_ps(a[0]), vb = _mm_set1_ps(b[0]);
    for (; x + 16 <= width; x += 16)
      store16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + x)), dst + x, va, vb);
  } else if (channels == 3) {
    // pshufb masks picking channel c of pixels 0..15 from the three 16-byte loads.
    const __m128i r0 = _mm_setr_epi8(0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i r1 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14, -1, -1, -1, -1, -1);
    const __m128i r2 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1, 4, 7, 10, 13);
    const __m128i g0 = _mm_setr_epi8(1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i g1 = _mm_setr_epi8(-1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1);
    const __m128i g2 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14);
    const __m128i b0 = _mm_setr_epi8(2, 5, 8, 11, 14, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i b1 = _mm_setr_epi8(-1, -1, -1, -1, -1, 1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1);
    const __m128i b2 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15);
    const __m128 a0 = _mm_set1_ps(a[0]), a1 = _mm_set1_ps(a[1]), a2 = _mm_set1_ps(a[2]);
    const __m128 c0 = _mm_set1_ps(b[0]), c1 = _mm_set1_ps(b[1]), c2 = _mm_set1_ps(b[2]);
    for (; x + 16 <= width; x += 16) {
      const uint8_t* p = src + 3 * x;
      const __m128i v0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const __m128i v1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
      const __m128i v2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 32));
      const __m128i R = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(v0, r0), _mm_shuffle_epi8(v1, r1)),
                                     _mm_shuffle_epi8(v2, r2));
      const __m128i G = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(v0, g0), _mm_shuffle_epi8(v1, g1)),
                                     _mm_shuffle_epi8(v2, g2));
      const __m128i B = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(v0, b0), _mm_shuffle_epi8(v1, b1)),
                                     _mm_shuffle_epi8(v2, b2));
      store16(R, dst + x, a0, c0);
      store16(G, dst + plane_stride + x, a1, c1);
      store16(B, dst + 2 * plane_stride + x, a2, c2);
    }
  } else if (channels == 4) {
    // Per 4 pixels: pshufb groups each channel's 4 bytes into one dword.
    const __m128i m = _mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    for (; x + 4 <= width; x += 4) {
      __m128i v = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 4 * x)), m);
      for (int c = 0; c < 4; ++c) {
        const __m128 f = _mm_cvtepi32_ps(_mm_cvtepu8_epi32(v));
        _mm_storeu_ps(dst + c * plane_stride + x,
                      _mm_add_ps(_mm_mul_ps(f, _mm_set1_ps(a[c])), _mm_set1_ps(b[c])));
        v = _mm_srli_si128(v, 4);
      }
    }
  } else {
    normalize_u8_row_generic(src, width, channels, a, b, dst, plane_stride);
    return;
  }
  tail(src, x, width, channels, a, b, dst, plane_stride);
}

void f32_row(const float* src, int64_t width, int64_t channels, const float* a, const float* b,
             float* dst, int64_t plane_stride) {
  int64_t x = 0;
  if (channels == 1) {
    const __m128 va = _mm_set1_ps(a[0]), vb = _mm_set1_ps(b[0]);
    for (; x + 4 <= width; x += 4)
      _mm_storeu_ps(dst + x, _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(src + x), va), vb));
  } else if (channels == 4) {
    for (; x + 4 <= width; x += 4) {
      __m128 p0 = _mm_loadu_ps(src + 4 * x), p1 = _mm_loadu_ps(src + 4 * x + 4);
      __m128 p2 = _mm_loadu_ps(src + 4 * x + 8), p3 = _mm_loadu_ps(src + 4 * x + 12);
      _MM_TRANSPOSE4_PS(p0, p1, p2, p3);
      const __m128 planes[4] = {p0, p1, p2, p3};
      for (int c = 0; c < 4; ++c)
        _mm_storeu_ps(dst + c * plane_stride + x,
                      _mm_add_ps(_mm_mul_ps(planes[c], _mm_set1_ps(a[c])), _mm_set1_ps(b[c])));
    }
  } else {
    normalize_f32_row_generic(src, width, channels, a, b, dst, plane_stride);
    return;
  }
  tail(src, x, width, channels, a, b, dst, plane_stride);
}

}  // namespace
}  // namespace pixnorm::kernels

#pragma GCC pop_options

// Outside the target region: callable on any CPU (dispatch only uses it when supported).
const pixnorm::KernelTable& pixnorm::kernels::table_sse41() {
  static const KernelTable t{Isa::sse41, &u8_row, &f32_row};
  return t;
}
