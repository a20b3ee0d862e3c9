// AVX2 kernels (x86-64-v3: AVX2, FMA, F16C, BMI2). Contract as in scalar.cpp: HWC row in, C planar
// rows out, out = float(x) * a + b as a float32 multiply then add (never fused: the build passes
// -ffp-contract=off and no FMA intrinsic is used), bit-identical to scalar.
// uint8, C = 3: 16 pixels (three unaligned 16-byte loads, never past the row) are split into R, G,
// B with pshufb, widened 8 at a time (vpmovzxbd), converted and scaled. C = 4: 8 pixels per step,
// an in-lane pshufb then a cross-lane dword permute give each channel's 8 bytes. Remainders run
// the same arithmetic one pixel at a time.
#include <cstdint>
#include <immintrin.h>

#include "kernels.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,bmi2")

namespace pixnorm::kernels {
namespace {

inline void store8(__m128i bytes8, float* d, __m256 a, __m256 b) {
  const __m256 f = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes8));
  _mm256_storeu_ps(d, _mm256_add_ps(_mm256_mul_ps(f, a), b));
}

inline void store16(__m128i bytes, float* d, __m256 a, __m256 b) {
  store8(bytes, d, a, b);
  store8(_mm_srli_si128(bytes, 8), d + 8, a, b);
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
    const __m256 va = _mm256_set1_ps(a[0]), vb = _mm256_set1_ps(b[0]);
    for (; x + 32 <= width; x += 32) {
      const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + x));
      const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + x + 16));
      store16(lo, dst + x, va, vb);
      store16(hi, dst + x + 16, va, vb);
    }
    for (; x + 8 <= width; x += 8)
      store8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(src + x)), dst + x, va, vb);
  } else if (channels == 3) {
    const __m128i r0 = _mm_setr_epi8(0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i r1 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14, -1, -1, -1, -1, -1);
    const __m128i r2 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1, 4, 7, 10, 13);
    const __m128i g0 = _mm_setr_epi8(1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i g1 = _mm_setr_epi8(-1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1);
    const __m128i g2 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14);
    const __m128i b0 = _mm_setr_epi8(2, 5, 8, 11, 14, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i b1 = _mm_setr_epi8(-1, -1, -1, -1, -1, 1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1);
    const __m128i b2 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15);
    const __m256 a0 = _mm256_set1_ps(a[0]), a1 = _mm256_set1_ps(a[1]), a2 = _mm256_set1_ps(a[2]);
    const __m256 c0 = _mm256_set1_ps(b[0]), c1 = _mm256_set1_ps(b[1]), c2 = _mm256_set1_ps(b[2]);
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
    // In each 128-bit lane gather 4 pixels' channel c into dword c, then put the two lanes'
    // dword c side by side: bytes [8c, 8c+8) hold channel c of the 8 pixels.
    const __m256i m = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,  //
                                       0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (; x + 8 <= width; x += 8) {
      const __m256i v = _mm256_permutevar8x32_epi32(
          _mm256_shuffle_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 4 * x)), m),
          perm);
      const __m128i lo = _mm256_castsi256_si128(v), hi = _mm256_extracti128_si256(v, 1);
      store8(lo, dst + x, _mm256_set1_ps(a[0]), _mm256_set1_ps(b[0]));
      store8(_mm_srli_si128(lo, 8), dst + plane_stride + x, _mm256_set1_ps(a[1]),
             _mm256_set1_ps(b[1]));
      store8(hi, dst + 2 * plane_stride + x, _mm256_set1_ps(a[2]), _mm256_set1_ps(b[2]));
      store8(_mm_srli_si128(hi, 8), dst + 3 * plane_stride + x, _mm256_set1_ps(a[3]),
             _mm256_set1_ps(b[3]));
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
    const __m256 va = _mm256_set1_ps(a[0]), vb = _mm256_set1_ps(b[0]);
    for (; x + 8 <= width; x += 8)
      _mm256_storeu_ps(dst + x, _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(src + x), va), vb));
  } else if (channels == 4) {
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
const pixnorm::KernelTable& pixnorm::kernels::table_avx2() {
  static const KernelTable t{Isa::avx2, &u8_row, &f32_row};
  return t;
}
