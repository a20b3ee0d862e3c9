// AVX2 kernels (x86-64-v3: AVX2, FMA, F16C, BMI2). Contract as in scalar.cpp: HWC row in, C planar
// rows out, out = float(x) * a + b as a float32 multiply then add (never fused: the build passes
// -ffp-contract=off and no FMA intrinsic is used), bit-identical to scalar.
// Each row is processed in 8-pixel steps whose stores land on 32-byte boundaries of channel 0's
// output (a few leading pixels, and the remainder, run one at a time): stores that straddle
// cache lines cost twice as much.
// uint8, C = 3 and 4: lane 0 of a register holds pixels 0..3 and lane 1 pixels 4..7 (C = 3: a
// masked 24-byte load, which never touches bytes past the row, then a dword permute); one in-lane
// pshufb per channel picks byte C*j + c into dword j and zeroes the rest, giving that channel's 8
// values as int32. C = 1: 8 bytes widened with vpmovzxbd.
#include <cmath>
#include <cstdint>
#include <immintrin.h>

#include "kernels.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,bmi2")

namespace pixnorm::kernels {
namespace {

template <class T>
inline void one_by_one(const T* src, int64_t x0, int64_t x1, int64_t channels, const float* a,
                       const float* b, float* dst, int64_t plane_stride) {
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t x = x0; x < x1; ++x)
      dst[c * plane_stride + x] = static_cast<float>(src[x * channels + c]) * a[c] + b[c];
}

// Pixels before dst + x reaches a 32-byte boundary, at most `width`.
inline int64_t head_pixels(const float* dst, int64_t width) {
  const int64_t h = static_cast<int64_t>((0u - (reinterpret_cast<uintptr_t>(dst) >> 2)) & 7u);
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
  if (channels == 1) {
    const __m256 va = _mm256_set1_ps(a[0]), vb = _mm256_set1_ps(b[0]);
    for (; x + 8 <= width; x += 8) {
      const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src + x));
      const __m256 f = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v));
      _mm256_storeu_ps(dst + x, _mm256_add_ps(_mm256_mul_ps(f, va), vb));
    }
  } else {
    const __m256i spread = _mm256_setr_epi32(0, 1, 2, 0, 3, 4, 5, 0);
    const __m256i first6 = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
    __m256i pick[4];
    __m256 va[4], vb[4];
    for (int c = 0; c < channels; ++c) {
      const char s = static_cast<char>(channels), k = static_cast<char>(c);
      pick[c] = _mm256_broadcastsi128_si256(
          _mm_setr_epi8(k, -1, -1, -1, static_cast<char>(s + k), -1, -1, -1,
                        static_cast<char>(2 * s + k), -1, -1, -1, static_cast<char>(3 * s + k), -1,
                        -1, -1));
      va[c] = _mm256_set1_ps(a[c]);
      vb[c] = _mm256_set1_ps(b[c]);
    }
    for (; x + 8 <= width; x += 8) {
      __m256i v;
      if (channels == 3)
        v = _mm256_permutevar8x32_epi32(
            _mm256_maskload_epi32(reinterpret_cast<const int*>(src + 3 * x), first6), spread);
      else
        v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 4 * x));
      for (int c = 0; c < channels; ++c) {
        const __m256 f = _mm256_cvtepi32_ps(_mm256_shuffle_epi8(v, pick[c]));
        _mm256_storeu_ps(dst + c * plane_stride + x, _mm256_add_ps(_mm256_mul_ps(f, va[c]), vb[c]));
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
    const __m256 va = _mm256_set1_ps(a[0]), vb = _mm256_set1_ps(b[0]);
    for (; x + 8 <= width; x += 8)
      _mm256_storeu_ps(dst + x, _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(src + x), va), vb));
  } else {
    // Pixels k and k+4 share a register (one per lane); an in-lane 4x4 transpose then leaves
    // channel c of pixels 0..3 in the low lane and of pixels 4..7 in the high lane.
    for (; x + 8 <= width; x += 8) {
      const float* p = src + 4 * x;
      __m256 t[4];
      for (int k = 0; k < 4; ++k)
        t[k] = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(p + 4 * k)),
                                    _mm_loadu_ps(p + 16 + 4 * k), 1);
      const __m256 u0 = _mm256_unpacklo_ps(t[0], t[1]), u1 = _mm256_unpackhi_ps(t[0], t[1]);
      const __m256 u2 = _mm256_unpacklo_ps(t[2], t[3]), u3 = _mm256_unpackhi_ps(t[2], t[3]);
      const __m256 planes[4] = {_mm256_shuffle_ps(u0, u2, 0x44), _mm256_shuffle_ps(u0, u2, 0xEE),
                                _mm256_shuffle_ps(u1, u3, 0x44), _mm256_shuffle_ps(u1, u3, 0xEE)};
      for (int c = 0; c < 4; ++c)
        _mm256_storeu_ps(dst + c * plane_stride + x,
                         _mm256_add_ps(_mm256_mul_ps(planes[c], _mm256_set1_ps(a[c])),
                                       _mm256_set1_ps(b[c])));
    }
  }
  one_by_one(src, x, width, channels, a, b, dst, plane_stride);
}

#include "resize_generic.inc"

// Horizontal resampling pass: 8 outputs per step, one gather per tap; the remainder as in
// resize_h_impl. Same sums, in the same order.
void resize_h(const float* src, int64_t src_stride, int64_t planes, const int32_t* start,
              const float* w, const float* wt, int64_t taps, int64_t n, float* dst,
              int64_t dst_stride) {
  const __m256i one = _mm256_set1_epi32(1);
  int64_t x = 0;
  for (; x + 8 <= n; x += 8) {
    const __m256i idx0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(start + x));
    for (int64_t c = 0; c < planes; ++c) {
      const float* sc = src + c * src_stride;
      __m256i idx = idx0;
      __m256 acc = _mm256_mul_ps(_mm256_loadu_ps(wt + x), _mm256_i32gather_ps(sc, idx, 4));
      for (int64_t k = 1; k < taps; ++k) {
        idx = _mm256_add_epi32(idx, one);
        const __m256 prod =
            _mm256_mul_ps(_mm256_loadu_ps(wt + k * n + x), _mm256_i32gather_ps(sc, idx, 4));
        acc = _mm256_add_ps(acc, prod);
      }
      _mm256_storeu_ps(dst + c * dst_stride + x, acc);
    }
  }
  if (x < n)
    resize_h_impl(src, src_stride, planes, start + x, w + x * taps, nullptr, taps, n - x, dst + x,
                  dst_stride);
}

}  // namespace
}  // namespace pixnorm::kernels

#pragma GCC pop_options

// Outside the target region: callable on any CPU (dispatch only uses it when supported).
const pixnorm::KernelTable& pixnorm::kernels::table_avx2() {
  static const KernelTable t{Isa::avx2,          &u8_row,        &f32_row,
                             &resize_h,      &resize_v_impl, &resize_v_u8_impl,
                             &store_u8_impl, &resize_h_fixed_impl, &resize_v_fixed_impl};
  return t;
}
