// SSE4.1 kernels (x86-64-v2). Contract as in scalar.cpp: HWC row in, C planar rows out,
// out = float(x) * a + b as a float32 multiply then add (never fused), bit-identical to scalar.
// Each row is processed in 4-pixel steps whose stores land on 16-byte boundaries of channel 0's
// output (a few leading pixels run one at a time, as does the remainder): stores that straddle
// cache lines cost twice as much.
// uint8, C = 3 and 4: one load gives 4 pixels; one pshufb per channel picks byte C*j + c into
// dword j and zeroes the rest, giving that channel's 4 values as int32. A load reads 16 bytes, so
// for C = 3 the last steps of a row (where 16 bytes would pass its end) run one pixel at a time.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "kernels.hpp"

#pragma GCC push_options
#pragma GCC target("sse4.1")

namespace pixnorm::kernels {
namespace {

template <class T>
inline void one_by_one(const T* src, int64_t x0, int64_t x1, int64_t channels, const float* a,
                       const float* b, float* dst, int64_t plane_stride) {
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t x = x0; x < x1; ++x)
      dst[c * plane_stride + x] = static_cast<float>(src[x * channels + c]) * a[c] + b[c];
}

// Pixels before dst + x reaches a 16-byte boundary, at most `width`.
inline int64_t head_pixels(const float* dst, int64_t width) {
  const int64_t h = static_cast<int64_t>((0u - (reinterpret_cast<uintptr_t>(dst) >> 2)) & 3u);
  return h < width ? h : width;
}

void u8_row(const uint8_t* src, int64_t width, int64_t channels, const float* a, const float* b,
            float* dst, int64_t plane_stride) {
  if (channels != 1 && channels != 3 && channels != 4) {
    normalize_u8_row_generic(src, width, channels, a, b, dst, plane_stride);
    return;
  }
  const int64_t head = head_pixels(dst, width);
  one_by_one(src, 0, head, channels, a, b, dst, plane_stride);
  int64_t x = head;
  // Last x at which a 16-byte load of 4 pixels stays inside the row.
  const int64_t end = channels == 3 ? width - 2 : width;
  __m128i pick[4];
  __m128 va[4], vb[4];
  for (int c = 0; c < channels; ++c) {
    const char s = static_cast<char>(channels == 1 ? 1 : channels), k = static_cast<char>(c);
    pick[c] = _mm_setr_epi8(k, -1, -1, -1, static_cast<char>(s + k), -1, -1, -1,
                            static_cast<char>(2 * s + k), -1, -1, -1, static_cast<char>(3 * s + k),
                            -1, -1, -1);
    va[c] = _mm_set1_ps(a[c]);
    vb[c] = _mm_set1_ps(b[c]);
  }
  if (channels == 1) {
    for (; x + 16 <= width; x += 16) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + x));
      for (int k = 0; k < 4; ++k) {
        const __m128 f = _mm_cvtepi32_ps(_mm_cvtepu8_epi32(v));
        _mm_storeu_ps(dst + x + 4 * k, _mm_add_ps(_mm_mul_ps(f, va[0]), vb[0]));
        v = _mm_srli_si128(v, 4);
      }
    }
  } else {
    for (; x + 4 <= end; x += 4) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + x * channels));
      for (int c = 0; c < channels; ++c) {
        const __m128 f = _mm_cvtepi32_ps(_mm_shuffle_epi8(v, pick[c]));
        _mm_storeu_ps(dst + c * plane_stride + x, _mm_add_ps(_mm_mul_ps(f, va[c]), vb[c]));
      }
    }
  }
  one_by_one(src, x, width, channels, a, b, dst, plane_stride);
}

void f32_row(const float* src, int64_t width, int64_t channels, const float* a, const float* b,
             float* dst, int64_t plane_stride) {
  if (channels != 1 && channels != 4) {
    normalize_f32_row_generic(src, width, channels, a, b, dst, plane_stride);
    return;
  }
  const int64_t head = head_pixels(dst, width);
  one_by_one(src, 0, head, channels, a, b, dst, plane_stride);
  int64_t x = head;
  if (channels == 1) {
    const __m128 va = _mm_set1_ps(a[0]), vb = _mm_set1_ps(b[0]);
    for (; x + 4 <= width; x += 4)
      _mm_storeu_ps(dst + x, _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(src + x), va), vb));
  } else {
    for (; x + 4 <= width; x += 4) {
      __m128 p0 = _mm_loadu_ps(src + 4 * x), p1 = _mm_loadu_ps(src + 4 * x + 4);
      __m128 p2 = _mm_loadu_ps(src + 4 * x + 8), p3 = _mm_loadu_ps(src + 4 * x + 12);
      _MM_TRANSPOSE4_PS(p0, p1, p2, p3);
      const __m128 planes[4] = {p0, p1, p2, p3};
      for (int c = 0; c < 4; ++c)
        _mm_storeu_ps(dst + c * plane_stride + x,
                      _mm_add_ps(_mm_mul_ps(planes[c], _mm_set1_ps(a[c])), _mm_set1_ps(b[c])));
    }
  }
  one_by_one(src, x, width, channels, a, b, dst, plane_stride);
}

#include "resize_generic.inc"

}  // namespace
}  // namespace pixnorm::kernels

#pragma GCC pop_options

// Outside the target region: callable on any CPU (dispatch only uses it when supported).
const pixnorm::KernelTable& pixnorm::kernels::table_sse41() {
  static constexpr KernelTable t = [] {
    KernelTable k = generic_kernels(Isa::sse41);
    k.normalize_u8 = &u8_row;
    k.normalize_f32 = &f32_row;
    return k;
  }();
  return t;
}
