// AVX2 kernels (x86-64-v3: AVX2, FMA, F16C, BMI2). Contracts in kernels/table.hpp, bit-identical to
// scalar. normalize: HWC row in, C planar rows out, out = float(x) * a + b as a float32 multiply
// then add (never fused: the build passes -ffp-contract=off; the only FMA intrinsics are in
// levels_f32's corrected quotients, used only where level_params checked they equal the division).
// Each row is processed in 8-pixel steps whose stores land on 32-byte boundaries of channel 0's
// output (a few leading pixels, and the remainder, run one at a time): stores that straddle
// cache lines cost twice as much.
// uint8, C = 3 and 4: lane 0 of a register holds pixels 0..3 and lane 1 pixels 4..7 (C = 3: a
// masked 24-byte load, which never touches bytes past the row, then a dword permute); one in-lane
// pshufb per channel picks byte C*j + c into dword j and zeroes the rest, giving that channel's 8
// values as int32. C = 1: 8 bytes widened with vpmovzxbd.
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

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
      pick[c] = _mm256_broadcastsi128_si256(_mm_setr_epi8(
          k, -1, -1, -1, static_cast<char>(s + k), -1, -1, -1, static_cast<char>(2 * s + k), -1, -1,
          -1, static_cast<char>(3 * s + k), -1, -1, -1));
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
  if (channels != 1 && channels != 3 && channels != 4) {
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
  } else if (channels == 3) {
    // 8 pixels in three registers: channel c sits at positions that differ between the three
    // (mod 3), so two blends gather its 8 values and one permute puts them in order.
    const __m256i order[3] = {_mm256_setr_epi32(0, 3, 6, 1, 4, 7, 2, 5),
                              _mm256_setr_epi32(1, 4, 7, 2, 5, 0, 3, 6),
                              _mm256_setr_epi32(2, 5, 0, 3, 6, 1, 4, 7)};
    for (; x + 8 <= width; x += 8) {
      const float* p = src + 3 * x;
      const __m256 v0 = _mm256_loadu_ps(p), v1 = _mm256_loadu_ps(p + 8),
                   v2 = _mm256_loadu_ps(p + 16);
      // positions of v0 / v1 / v2 holding channel 0: {0,3,6} / {1,4,7} / {2,5}; channel 1:
      // {1,4,7} / {2,5} / {0,3,6}; channel 2: {2,5} / {0,3,6} / {1,4,7}
      const __m256 m[3] = {_mm256_blend_ps(_mm256_blend_ps(v0, v1, 0x92), v2, 0x24),
                           _mm256_blend_ps(_mm256_blend_ps(v0, v1, 0x24), v2, 0x49),
                           _mm256_blend_ps(_mm256_blend_ps(v0, v1, 0x49), v2, 0x92)};
      for (int c = 0; c < 3; ++c)
        _mm256_storeu_ps(dst + c * plane_stride + x,
                         _mm256_add_ps(_mm256_mul_ps(_mm256_permutevar8x32_ps(m[c], order[c]),
                                                     _mm256_set1_ps(a[c])),
                                       _mm256_set1_ps(b[c])));
    }
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
        _mm256_storeu_ps(
            dst + c * plane_stride + x,
            _mm256_add_ps(_mm256_mul_ps(planes[c], _mm256_set1_ps(a[c])), _mm256_set1_ps(b[c])));
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

// pshufb control kDwordByte[k][to == 2] (kernels.hpp) in both lanes.
inline __m256i dword_byte(int k, int to) {
  return _mm256_broadcastsi128_si256(
      _mm_load_si128(reinterpret_cast<const __m128i*>(kDwordByte[k][to == 2 ? 1 : 0])));
}

void levels_f32(const uint8_t* src, int64_t n, const double* p, float* dst);

// The named conventions' levels as floats here: fill(planes) writes C planes of n levels into a
// per-thread buffer (grown once, not allocated per output row), then levels_f32 per channel.
template <class Fill>
void levels_via_planes(int64_t n, int64_t channels, const double* lv, float* fdst,
                       int64_t plane_stride, Fill&& fill) {
  thread_local std::vector<uint8_t> planes;
  if (planes.size() < static_cast<size_t>(n * channels))
    planes.resize(static_cast<size_t>(n * channels));
  fill(planes.data());
  for (int64_t c = 0; c < channels; ++c)
    levels_f32(planes.data() + c * n, n, lv + c * kLevelParams, fdst + c * plane_stride);
}

// Bilinear 2 x 2 from uint8 rows (bilinear2_u8, bilinear2_fixed; contracts in kernels/table.hpp),
// C = 3 and 4: 8 output pixels per step, one dword gather per tap and row (C = 3: the right
// pixel's dword starts one byte before it, so no read passes its last byte), two pshufb and an
// OR per channel for the (left, right) pairs of vpmaddwd, then the kernel's tail; a leading
// part up to a 32-byte boundary of plane 0 and the remainder run portable.
template <class Tail>
inline void bilinear2_rows(const uint8_t* r0, const uint8_t* r1, int C, const int32_t* start,
                           const int32_t* kx, int64_t x, int64_t n, const Tail& tail) {
  const __m256i vroff = _mm256_set1_epi32(C == 3 ? 2 : 4), mulc = _mm256_set1_epi32(C);
  __m256i pick[8];
  for (int c = 0; c < C; ++c) {
    pick[2 * c] = dword_byte(c, 0);
    pick[2 * c + 1] = dword_byte(C == 3 ? c + 1 : c, 2);
  }
  const auto* p0 = reinterpret_cast<const int*>(r0);
  const auto* p1 = reinterpret_cast<const int*>(r1);
  for (; x + 8 <= n; x += 8) {
    const __m256i il =
        _mm256_mullo_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(start + x)), mulc);
    const __m256i ir = _mm256_add_epi32(il, vroff);
    const __m256i l0 = _mm256_i32gather_epi32(p0, il, 1), q0 = _mm256_i32gather_epi32(p0, ir, 1);
    const __m256i l1 = _mm256_i32gather_epi32(p1, il, 1), q1 = _mm256_i32gather_epi32(p1, ir, 1);
    const __m256i k = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kx + x));
    for (int c = 0; c < C; ++c) {
      const __m256i pl = pick[2 * c], pr = pick[2 * c + 1];
      tail(c, x, _mm256_or_si256(_mm256_shuffle_epi8(l0, pl), _mm256_shuffle_epi8(q0, pr)),
           _mm256_or_si256(_mm256_shuffle_epi8(l1, pl), _mm256_shuffle_epi8(q1, pr)), k);
    }
  }
}

void bilinear2_u8(const uint8_t* r0, const uint8_t* r1, float wy0, float wy1, int64_t channels,
                  const int32_t* start, const int32_t* kx, int64_t n, const float* a,
                  const float* b, float* dst, int64_t plane_stride) {
  if (channels != 3 && channels != 4) {
    bilinear2_u8_impl(r0, r1, wy0, wy1, channels, start, kx, n, a, b, dst, plane_stride);
    return;
  }
  const int64_t head = head_pixels(dst, n);
  if (head) bilinear2_u8_impl(r0, r1, wy0, wy1, channels, start, kx, head, a, b, dst, plane_stride);
  const __m256 vy0 = _mm256_set1_ps(wy0), vy1 = _mm256_set1_ps(wy1);
  const auto tail = [&](int c, int64_t x, __m256i pair0, __m256i pair1, __m256i k) {
    const __m256 h0 = _mm256_cvtepi32_ps(_mm256_madd_epi16(pair0, k));
    const __m256 h1 = _mm256_cvtepi32_ps(_mm256_madd_epi16(pair1, k));
    const __m256 v = _mm256_add_ps(_mm256_mul_ps(vy0, h0), _mm256_mul_ps(vy1, h1));
    _mm256_storeu_ps(dst + c * plane_stride + x,
                     _mm256_add_ps(_mm256_mul_ps(v, _mm256_set1_ps(a[c])), _mm256_set1_ps(b[c])));
  };
  const int C = static_cast<int>(channels);
  bilinear2_rows(r0, r1, C, start, kx, head, n, tail);
  const int64_t x = head + (n - head) / 8 * 8;
  if (x < n)
    bilinear2_u8_impl(r0, r1, wy0, wy1, channels, start + x, kx + x, n - x, a, b, dst + x,
                      plane_stride);
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
  if (lv) {
    levels_via_planes(n, channels, lv, fdst, plane_stride, [&](uint8_t* planes) {
      bilinear2_fixed(r0, r1, ky0, ky1, channels, start, kx, n, mode, bx, by, planes, n, nullptr,
                      nullptr);
    });
    return;
  }
  const __m256i ky = _mm256_set1_epi32(ky0 | (ky1 << 16)), vky0 = _mm256_set1_epi32(ky0),
                vky1 = _mm256_set1_epi32(ky1), top = _mm256_set1_epi32(255),
                zero = _mm256_setzero_si256();
  const __m256i halfx = _mm256_set1_epi32(mode == kFixedTorch ? 1 << (bx - 1) : 0);
  const __m256i halfy = _mm256_set1_epi32(mode == kFixedTorch ? 1 << (by - 1) : 0);
  const __m128i sx = _mm_cvtsi32_si128(bx), sy = _mm_cvtsi32_si128(by);
  const auto tail = [&](int c, int64_t x, __m256i pair0, __m256i pair1, __m256i k) {
    const __m256i h0 = _mm256_madd_epi16(pair0, k), h1 = _mm256_madd_epi16(pair1, k);
    __m256i q;
    if (mode == kFixedTorch) {
      const __m256i H0 = _mm256_min_epi32(_mm256_sra_epi32(_mm256_add_epi32(h0, halfx), sx), top);
      const __m256i H1 = _mm256_min_epi32(_mm256_sra_epi32(_mm256_add_epi32(h1, halfx), sx), top);
      const __m256i pr = _mm256_or_si256(H0, _mm256_slli_epi32(H1, 16));
      q = _mm256_sra_epi32(_mm256_add_epi32(_mm256_madd_epi16(pr, ky), halfy), sy);
    } else {
      const __m256i t0 = _mm256_srai_epi32(_mm256_madd_epi16(_mm256_srai_epi32(h0, 4), vky0), 16);
      const __m256i t1 = _mm256_srai_epi32(_mm256_madd_epi16(_mm256_srai_epi32(h1, 4), vky1), 16);
      q = _mm256_srai_epi32(_mm256_add_epi32(_mm256_add_epi32(t0, t1), _mm256_set1_epi32(2)), 2);
    }
    q = _mm256_min_epi32(_mm256_max_epi32(q, zero), top);
    // 8 int32 -> 8 bytes
    const __m256i b8 = _mm256_packus_epi16(_mm256_packs_epi32(q, q), zero);
    const __m128i lo = _mm256_castsi256_si128(b8), hi = _mm256_extracti128_si256(b8, 1);
    const __m128i v8 = _mm_unpacklo_epi32(lo, hi);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(dst + c * plane_stride + x), v8);
  };
  const int C = static_cast<int>(channels);
  bilinear2_rows(r0, r1, C, start, kx, 0, n, tail);
  const int64_t x = n / 8 * 8;
  if (x < n)
    bilinear2_fixed_impl(r0, r1, ky0, ky1, channels, start + x, kx + x, n - x, mode, bx, by,
                         dst + x, plane_stride, nullptr, nullptr);
}

// Levels to floats (contract in kernels/table.hpp), 8 levels per step, the remainder portable:
// where level_params allows it, each division is the FMA-corrected product it checked.
inline __m256 corrected_quotient(__m256 q, __m256 d, __m256 r) {
  const __m256 y = _mm256_mul_ps(q, r);
  return _mm256_fmadd_ps(_mm256_fnmadd_ps(y, d, q), r, y);
}

void levels_f32(const uint8_t* src, int64_t n, const double* p, float* dst) {
  if (p[4] == 0.0) {
    levels_f32_impl(src, n, p, dst);
    return;
  }
  const bool divide = p[1] != 0.0;
  const __m256 factor = _mm256_set1_ps(static_cast<float>(p[0]));
  const __m256 mean = _mm256_set1_ps(static_cast<float>(p[2]));
  const __m256 sd = _mm256_set1_ps(static_cast<float>(p[3]));
  const __m256 inv_factor = _mm256_set1_ps(static_cast<float>(p[5]));
  const __m256 inv_std = _mm256_set1_ps(static_cast<float>(p[6]));
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 x = _mm256_cvtepi32_ps(
        _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(src + i))));
    const __m256 t = divide ? corrected_quotient(x, factor, inv_factor) : _mm256_mul_ps(x, factor);
    _mm256_storeu_ps(dst + i, corrected_quotient(_mm256_sub_ps(t, mean), sd, inv_std));
  }
  if (i < n) levels_f32_impl(src + i, n - i, p, dst + i);
}

// resize_h on an interleaved row (contract in kernels/table.hpp): 8 outputs per step, per tap one
// 8-byte gather per pair of channels (a 4-byte one for an odd last channel); the remainder
// portable. Sums as resize_h_impl.
void resize_h_interleaved(const float* src, int64_t channels, const int32_t* start, const float* w,
                          const float* wt, int64_t taps, int64_t n, float* dst,
                          int64_t dst_stride) {
  const __m256i vc = _mm256_set1_epi32(static_cast<int32_t>(channels));
  int64_t x = 0;
  for (; x + 8 <= n; x += 8) {
    const __m256i base =
        _mm256_mullo_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(start + x)), vc);
    int64_t c = 0;
    // Channels in pairs: 8-byte gathers (4 outputs each) fetch channels c and c + 1 of a sample;
    // shuffles split them into per-channel vectors in output order. Same sums, same order.
    for (; c + 2 <= channels; c += 2) {
      __m256i idx = _mm256_add_epi32(base, _mm256_set1_epi32(static_cast<int32_t>(c)));
      __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
      for (int64_t k = 0; k < taps; ++k) {
        // outputs 0..3 and 4..7: (c, c + 1) pairs
        const __m256d z = _mm256_setzero_pd(), all = _mm256_castsi256_pd(_mm256_set1_epi32(-1));
        const auto* sd = reinterpret_cast<const double*>(src);
        const __m256 lo =
            _mm256_castpd_ps(_mm256_mask_i32gather_pd(z, sd, _mm256_castsi256_si128(idx), all, 4));
        const __m256 hi = _mm256_castpd_ps(
            _mm256_mask_i32gather_pd(z, sd, _mm256_extracti128_si256(idx, 1), all, 4));
        // per 128-bit lane: even floats -> channel c, odd -> c + 1; lanes hold outputs (0,1 | 2,3)
        // of lo and (4,5 | 6,7) of hi, so a final cross-lane permute restores the order
        const __m256 e = _mm256_shuffle_ps(lo, hi, 0x88), o = _mm256_shuffle_ps(lo, hi, 0xDD);
        const __m256i order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
        const __m256 wk = _mm256_loadu_ps(wt + k * n + x);
        const __m256 p0 = _mm256_mul_ps(wk, _mm256_permutevar8x32_ps(e, order));
        const __m256 p1 = _mm256_mul_ps(wk, _mm256_permutevar8x32_ps(o, order));
        acc0 = k == 0 ? p0 : _mm256_add_ps(acc0, p0);
        acc1 = k == 0 ? p1 : _mm256_add_ps(acc1, p1);
        idx = _mm256_add_epi32(idx, vc);
      }
      _mm256_storeu_ps(dst + c * dst_stride + x, acc0);
      _mm256_storeu_ps(dst + (c + 1) * dst_stride + x, acc1);
    }
    for (; c < channels; ++c) {
      __m256i idx = _mm256_add_epi32(base, _mm256_set1_epi32(static_cast<int32_t>(c)));
      __m256 acc = _mm256_mul_ps(_mm256_loadu_ps(wt + x), _mm256_i32gather_ps(src, idx, 4));
      for (int64_t k = 1; k < taps; ++k) {
        idx = _mm256_add_epi32(idx, vc);
        acc = _mm256_add_ps(
            acc, _mm256_mul_ps(_mm256_loadu_ps(wt + k * n + x), _mm256_i32gather_ps(src, idx, 4)));
      }
      _mm256_storeu_ps(dst + c * dst_stride + x, acc);
    }
  }
  if (x < n)
    resize_h_interleaved_impl(src, channels, start + x, w + x * taps, nullptr, taps, n - x, dst + x,
                              dst_stride);
}

void resize_v_fixed(const uint8_t* const* rows, const int32_t* k, int64_t taps, int64_t n, int bits,
                    uint8_t* dst);

// resize_v_fixed_levels (contract in kernels/table.hpp): the uint8 planes, then their levels.
void resize_v_fixed_levels(const uint8_t* const* rows, const int32_t* k, int64_t taps, int64_t n,
                           int64_t channels, int bits, const double* lv, float* fdst,
                           int64_t plane_stride) {
  levels_via_planes(n, channels, lv, fdst, plane_stride, [&](uint8_t* planes) {
    resize_v_fixed(rows, k, taps, n * channels, bits, planes);
  });
}

// ---- Statistics (contracts in stats_generic.cpp and kernels/table.hpp)
// ---------------------------- uint8, per channel: 96-byte groups. Twelve 8-byte chunks are widened
// to uint32 (vpmovzxbd); chunk k goes to accumulator set k % 3, so lane j of set s always holds
// byte 8s + j of a 24-byte period, channel (8s + j) % C for any C dividing 24. Squares from
// vpmaddwd of the widened value with itself. 4 values per lane per group: flushed to uint64 every
// 16384 groups (65536 * 255^2 < 2^32). min/max on the three 32-byte registers of a group (96 % C ==
// 0).
inline __m256i widen8(const uint8_t* p) {
  return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}

void stats_u8(const uint8_t* src, int64_t count, int64_t channels, uint64_t* sum, uint64_t* sumsq,
              uint8_t* min, uint8_t* max) {
  constexpr int64_t kGroup = 96;
  if (24 % channels != 0 || count < kGroup) {
    stats_u8_generic(src, count, channels, sum, sumsq, min, max);
    return;
  }
  const int64_t groups = count / kGroup;
  __m256i lo[3], hi[3];
  for (int v = 0; v < 3; ++v) {
    lo[v] = _mm256_set1_epi8(-1);
    hi[v] = _mm256_setzero_si256();
  }
  alignas(32) uint32_t s_lanes[24], q_lanes[24];
  int64_t g = 0;
  while (g < groups) {
    const int64_t end = groups - g < 16384 ? groups : g + 16384;
    __m256i s[3], q[3];
    for (int k = 0; k < 3; ++k) s[k] = q[k] = _mm256_setzero_si256();
    for (; g < end; ++g) {
      const uint8_t* p = src + g * kGroup;
      // ahead of the hardware prefetcher, which this compute-heavy loop outruns (measured:
      // 1.6x faster from memory at 224x224x3)
      if (g % 2 == 0)
        for (int v = 0; v < 3; ++v)
          _mm_prefetch(reinterpret_cast<const char*>(p + 2048 + 64 * v), _MM_HINT_T0);
      for (int v = 0; v < 3; ++v) {
        const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * v));
        lo[v] = _mm256_min_epu8(lo[v], b);
        hi[v] = _mm256_max_epu8(hi[v], b);
      }
      for (int k = 0; k < 12; ++k) {
        const __m256i x = widen8(p + 8 * k);
        s[k % 3] = _mm256_add_epi32(s[k % 3], x);
        q[k % 3] = _mm256_add_epi32(q[k % 3], _mm256_madd_epi16(x, x));
      }
    }
    for (int k = 0; k < 3; ++k) {
      _mm256_store_si256(reinterpret_cast<__m256i*>(s_lanes + 8 * k), s[k]);
      _mm256_store_si256(reinterpret_cast<__m256i*>(q_lanes + 8 * k), q[k]);
    }
    fold_u8_lanes(s_lanes, q_lanes, 24, channels, sum, sumsq);
  }
  alignas(32) uint8_t lo_b[kGroup], hi_b[kGroup];
  for (int v = 0; v < 3; ++v) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(lo_b + 32 * v), lo[v]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(hi_b + 32 * v), hi[v]);
  }
  fold_u8_minmax(lo_b, hi_b, kGroup, channels, min, max);
  stats_u8_generic(src + groups * kGroup, count - groups * kGroup, channels, sum, sumsq, min, max);
}

// float32, per channel: the 24 lanes are six registers of 4 doubles (vcvtps2pd of 4 floats);
// the same Welford operations as the portable kernel, lane for lane. min/max on three registers
// of 8 floats: vminps(x, m) keeps m when either is NaN, then a blend puts a NaN x in.
void stats_f32(const float* src, int64_t count, int64_t channels, int64_t* n, double* mean,
               double* m2, float* min, float* max) {
  if (kStatsLanes % channels != 0) {
    stats_f32_generic(src, count, channels, n, mean, m2, min, max);
    return;
  }
  const int64_t groups = count / kStatsLanes;
  __m256d m[6], q[6];
  __m256 lo[3], hi[3];
  for (int k = 0; k < 6; ++k) m[k] = q[k] = _mm256_setzero_pd();
  for (int k = 0; k < 3; ++k) {
    lo[k] = _mm256_set1_ps(std::numeric_limits<float>::infinity());
    hi[k] = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  }
  for (int64_t g = 0; g < groups; ++g) {
    const __m256d inv = _mm256_set1_pd(1.0 / static_cast<double>(g + 1));
    const float* p = src + g * kStatsLanes;
    for (int k = 0; k < 6; ++k) {
      const __m256d x = _mm256_cvtps_pd(_mm_loadu_ps(p + 4 * k));
      const __m256d d = _mm256_sub_pd(x, m[k]);
      m[k] = _mm256_add_pd(m[k], _mm256_mul_pd(d, inv));
      q[k] = _mm256_add_pd(q[k], _mm256_mul_pd(d, _mm256_sub_pd(x, m[k])));
    }
    for (int k = 0; k < 3; ++k) {
      const __m256 f = _mm256_loadu_ps(p + 8 * k);
      const __m256 nan = _mm256_cmp_ps(f, f, _CMP_UNORD_Q);
      lo[k] = _mm256_blendv_ps(_mm256_min_ps(f, lo[k]), f, nan);
      hi[k] = _mm256_blendv_ps(_mm256_max_ps(f, hi[k]), f, nan);
    }
  }
  alignas(32) double lm[kStatsLanes], lq[kStatsLanes];
  alignas(32) float llo[kStatsLanes], lhi[kStatsLanes];
  for (int k = 0; k < 6; ++k) {
    _mm256_store_pd(lm + 4 * k, m[k]);
    _mm256_store_pd(lq + 4 * k, q[k]);
  }
  for (int k = 0; k < 3; ++k) {
    _mm256_store_ps(llo + 8 * k, lo[k]);
    _mm256_store_ps(lhi + 8 * k, hi[k]);
  }
  stats_f32_fold(lm, lq, groups, llo, lhi, src + groups * kStatsLanes, count - groups * kStatsLanes,
                 channels, n, mean, m2, min, max);
}

// uint8, per pixel: tiles of K 8-byte chunks whose uint32 sums and sums of squares stay in
// registers while the tile runs over all the images. K = 4 (32 bytes, min/max on one 32-byte
// register), then K = 1 (8 bytes, min/max on the low half of a 16-byte register), then the
// portable code.
template <int K>
inline void pixel_tile(const uint8_t* src, int64_t images, int64_t image_stride, uint32_t* s1,
                       uint32_t* s2, uint8_t* min, uint8_t* max) {
  __m256i a[K], q[K];
  for (int k = 0; k < K; ++k) {
    a[k] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s1 + 8 * k));
    q[k] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s2 + 8 * k));
  }
  if constexpr (K == 4) {
    __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(min));
    __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(max));
    for (int64_t i = 0; i < images; ++i) {
      const uint8_t* p = src + i * image_stride;
      // The hardware prefetchers do not follow one stream per image of a large batch: ask for
      // this image's data 8 tiles (256 bytes) ahead (prefetches never fault).
      _mm_prefetch(reinterpret_cast<const char*>(p + 256), _MM_HINT_T0);
      const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
      lo = _mm256_min_epu8(lo, b);
      hi = _mm256_max_epu8(hi, b);
      for (int k = 0; k < K; ++k) {
        const __m256i x = widen8(p + 8 * k);
        a[k] = _mm256_add_epi32(a[k], x);
        q[k] = _mm256_add_epi32(q[k], _mm256_madd_epi16(x, x));
      }
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(min), lo);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(max), hi);
  } else {
    static_assert(K == 1, "tiles of 4 or 1 chunks");
    __m128i lo = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(min));
    __m128i hi = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(max));
    for (int64_t i = 0; i < images; ++i) {
      const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src + i * image_stride));
      lo = _mm_min_epu8(lo, b);
      hi = _mm_max_epu8(hi, b);
      const __m256i x = _mm256_cvtepu8_epi32(b);
      a[0] = _mm256_add_epi32(a[0], x);
      q[0] = _mm256_add_epi32(q[0], _mm256_madd_epi16(x, x));
    }
    _mm_storel_epi64(reinterpret_cast<__m128i*>(min), lo);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(max), hi);
  }
  for (int k = 0; k < K; ++k) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(s1 + 8 * k), a[k]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(s2 + 8 * k), q[k]);
  }
}

void stats_pixel_u8(const uint8_t* src, int64_t images, int64_t image_stride, int64_t count,
                    uint32_t* s1, uint32_t* s2, uint8_t* min, uint8_t* max) {
  int64_t j = 0;
  for (; j + 32 <= count; j += 32)
    pixel_tile<4>(src + j, images, image_stride, s1 + j, s2 + j, min + j, max + j);
  for (; j + 8 <= count; j += 8)
    pixel_tile<1>(src + j, images, image_stride, s1 + j, s2 + j, min + j, max + j);
  if (j < count)
    stats_pixel_u8_generic(src + j, images, image_stride, count - j, s1 + j, s2 + j, min + j,
                           max + j);
}

// resize_v_u8_int (contract in kernels/table.hpp): rows in pairs; the bytes of rows 2q and 2q + 1
// interleaved (punpcklbw) and zero-extended to words give (sample, sample) word pairs in order,
// so one vpmaddwd with the pair of weights adds both taps' products for 8 values (an odd last
// tap pairs with a zero weight). The last n % 16 values run portable.
void resize_v_u8_int(const uint8_t* const* rows, const int32_t* k, int64_t taps, int64_t n,
                     float* dst) {
  if (taps > 64) {
    resize_v_u8_int_impl(rows, k, taps, n, dst);
    return;
  }
  const RowPairs rp(rows, k, taps);
  const int64_t pairs = rp.count;
  const uint8_t* const* ra = rp.a;
  const uint8_t* const* rb = rp.b;
  __m256i kw[32];
  for (int64_t q = 0; q < pairs; ++q) kw[q] = _mm256_set1_epi32(rp.lo[q]);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256i lo = _mm256_setzero_si256(), hi = _mm256_setzero_si256();
    for (int64_t q = 0; q < pairs; ++q) {
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ra[q] + i));
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rb[q] + i));
      lo = _mm256_add_epi32(
          lo, _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_unpacklo_epi8(a, b)), kw[q]));
      hi = _mm256_add_epi32(
          hi, _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_unpackhi_epi8(a, b)), kw[q]));
    }
    _mm256_storeu_ps(dst + i, _mm256_cvtepi32_ps(lo));
    _mm256_storeu_ps(dst + i + 8, _mm256_cvtepi32_ps(hi));
  }
  if (i < n) {
    const uint8_t* rest[64];
    for (int64_t t = 0; t < taps; ++t) rest[t] = rows[t] + i;
    resize_v_u8_int_impl(rest, k, taps, n - i, dst + i);
  }
}

// resize_v_fixed (contract in kernels/table.hpp): rows in pairs as in resize_v_u8_int, 16 values
// per step; Pillow's 22-bit weights in two 11-bit halves (the high sums shifted left by 11 before
// the rounding: the same int32 sums as the portable code). Negative weights, weights above 2^22,
// over 64 taps, and the last n % 16 values run portable.
void resize_v_fixed(const uint8_t* const* rows, const int32_t* k, int64_t taps, int64_t n, int bits,
                    uint8_t* dst) {
  int32_t kmax = 0;
  if (!word_pair_weights(k, taps, kmax)) {
    resize_v_fixed_impl(rows, k, taps, n, bits, dst);
    return;
  }
  const bool split = kmax >= (1 << 15);
  const RowPairs rp(rows, k, taps, split ? 2047 : 0xFFFF);
  __m256i kl[32], kh[32];
  for (int64_t q = 0; q < rp.count; ++q) {
    kl[q] = _mm256_set1_epi32(rp.lo[q]);
    kh[q] = _mm256_set1_epi32(rp.hi[q]);
  }
  const __m256i half = _mm256_set1_epi32(1 << (bits - 1));
  const __m128i shift = _mm_cvtsi32_si128(bits);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256i lo0 = half, lo1 = half, hi0 = _mm256_setzero_si256(), hi1 = _mm256_setzero_si256();
    for (int64_t q = 0; q < rp.count; ++q) {
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rp.a[q] + i));
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rp.b[q] + i));
      const __m256i w0 = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(a, b));
      const __m256i w1 = _mm256_cvtepu8_epi16(_mm_unpackhi_epi8(a, b));
      lo0 = _mm256_add_epi32(lo0, _mm256_madd_epi16(w0, kl[q]));
      lo1 = _mm256_add_epi32(lo1, _mm256_madd_epi16(w1, kl[q]));
      if (split) {
        hi0 = _mm256_add_epi32(hi0, _mm256_madd_epi16(w0, kh[q]));
        hi1 = _mm256_add_epi32(hi1, _mm256_madd_epi16(w1, kh[q]));
      }
    }
    if (split) {
      lo0 = _mm256_add_epi32(lo0, _mm256_slli_epi32(hi0, 11));
      lo1 = _mm256_add_epi32(lo1, _mm256_slli_epi32(hi1, 11));
    }
    // values 0..7 and 8..15 -> signed saturated words (lane order fixed) -> unsigned bytes
    const __m256i w = _mm256_permute4x64_epi64(
        _mm256_packs_epi32(_mm256_sra_epi32(lo0, shift), _mm256_sra_epi32(lo1, shift)), 0xD8);
    const __m256i bytes = _mm256_packus_epi16(w, _mm256_setzero_si256());
    _mm_storeu_si128(
        reinterpret_cast<__m128i*>(dst + i),
        _mm_unpacklo_epi64(_mm256_castsi256_si128(bytes), _mm256_extracti128_si256(bytes, 1)));
  }
  if (i < n) {
    const uint8_t* rest[64];
    for (int64_t t = 0; t < taps; ++t) rest[t] = rows[t] + i;
    resize_v_fixed_impl(rest, k, taps, n - i, bits, dst + i);
  }
}

// resize_h_u8_fixed (contract in kernels/table.hpp), C = 3 and 4: 8 outputs per step, per pair of
// taps two dword gathers serve every channel (sample t's dword; for C = 3 sample t + 1's starts a
// byte early, so no gather reads past the window), two pshufb and an OR per channel build the
// (t, t + 1) word pairs for vpmaddwd; 22-bit weights in two 11-bit halves. The last n % 8
// outputs run portable.
void resize_h_u8_fixed(const uint8_t* row, int64_t channels, const int32_t* start,
                       const int32_t* kp, const int32_t* kph, int64_t taps, int64_t n, int bits,
                       uint8_t* dst, int64_t plane_stride) {
  if (channels != 3 && channels != 4) {
    resize_h_u8_fixed_impl(row, channels, start, kp, kph, taps, n, bits, dst, plane_stride);
    return;
  }
  const int C = static_cast<int>(channels);
  const int late = C == 3 ? 1 : 0;
  __m256i pick[8];
  for (int c = 0; c < C; ++c) {
    pick[2 * c] = dword_byte(c, 0);
    pick[2 * c + 1] = dword_byte(c + late, 2);
  }
  const auto* p = reinterpret_cast<const int*>(row);
  const __m256i half = _mm256_set1_epi32(1 << (bits - 1)), mulc = _mm256_set1_epi32(C);
  const __m128i shift = _mm_cvtsi32_si128(bits);
  int64_t x = 0;
  for (; x + 8 <= n; x += 8) {
    const __m256i base =
        _mm256_mullo_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(start + x)), mulc);
    __m256i lo[4], hi[4];
    for (int c = 0; c < C; ++c) {
      lo[c] = half;
      hi[c] = _mm256_setzero_si256();
    }
    for (int64_t q = 0; q < taps / 2; ++q) {
      const __m256i i0 = _mm256_add_epi32(base, _mm256_set1_epi32(static_cast<int32_t>(2 * q * C)));
      const __m256i i1 =
          _mm256_add_epi32(base, _mm256_set1_epi32(static_cast<int32_t>((2 * q + 1) * C - late)));
      const __m256i g0 = _mm256_i32gather_epi32(p, i0, 1), g1 = _mm256_i32gather_epi32(p, i1, 1);
      const __m256i kl = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kp + q * n + x));
      const __m256i kh =
          kph ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kph + q * n + x)) : kl;
      for (int c = 0; c < C; ++c) {
        const __m256i pair = _mm256_or_si256(_mm256_shuffle_epi8(g0, pick[2 * c]),
                                             _mm256_shuffle_epi8(g1, pick[2 * c + 1]));
        lo[c] = _mm256_add_epi32(lo[c], _mm256_madd_epi16(pair, kl));
        if (kph) hi[c] = _mm256_add_epi32(hi[c], _mm256_madd_epi16(pair, kh));
      }
    }
    for (int c = 0; c < C; ++c) {
      const __m256i acc = kph ? _mm256_add_epi32(lo[c], _mm256_slli_epi32(hi[c], 11)) : lo[c];
      // dwords -> signed saturated words -> unsigned saturated bytes (per 128-bit lane; packus
      // of words reads them as signed, so the words must saturate signed: 0..255 either way)
      const __m256i w = _mm256_packs_epi32(_mm256_sra_epi32(acc, shift), _mm256_setzero_si256());
      const __m256i b = _mm256_packus_epi16(w, _mm256_setzero_si256());
      const __m128i eight =
          _mm_unpacklo_epi32(_mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(dst + c * plane_stride + x), eight);
    }
  }
  if (x < n) {  // the same weights, read at their place in the tap-major arrays
    for (int c = 0; c < C; ++c)
      for (int64_t xi = x; xi < n; ++xi) {
        const uint8_t* s = row + start[xi] * C + c;
        int32_t lo = 0, hi = 0;
        const int32_t lo_mask = kph ? 2047 : 0xFFFF;
        for (int64_t q = 0; q < taps / 2; ++q) {
          const int32_t a = s[2 * q * C], b = s[(2 * q + 1) * C];
          const int32_t kk = kp[q * n + xi];
          lo += (kk & lo_mask) * a + ((kk >> 16) & lo_mask) * b;
          if (kph) hi += (kph[q * n + xi] & 0xFFFF) * a + (kph[q * n + xi] >> 16) * b;
        }
        const int32_t v = ((int32_t{1} << (bits - 1)) + lo + hi * 2048) >> bits;
        dst[c * plane_stride + xi] = static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
      }
  }
}

void resize_h_u8_fixed2(const uint8_t* row0, const uint8_t* row1, int64_t channels,
                        const int32_t* start, const int32_t* kp, const int32_t* kph, int64_t taps,
                        int64_t n, int bits, uint8_t* dst0, uint8_t* dst1, int64_t plane_stride) {
  resize_h_u8_fixed(row0, channels, start, kp, kph, taps, n, bits, dst0, plane_stride);
  resize_h_u8_fixed(row1, channels, start, kp, kph, taps, n, bits, dst1, plane_stride);
}

void normalize_pixel(float* data, const float* a, const float* b, int64_t count) {
  int64_t i = 0;
  for (; i + 8 <= count; i += 8)
    _mm256_storeu_ps(data + i,
                     _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(data + i), _mm256_loadu_ps(a + i)),
                                   _mm256_loadu_ps(b + i)));
  for (; i < count; ++i) data[i] = data[i] * a[i] + b[i];
}

}  // namespace
}  // namespace pixnorm::kernels

#pragma GCC pop_options

// Outside the target region: callable on any CPU (dispatch only uses it when supported).
const pixnorm::KernelTable& pixnorm::kernels::table_avx2() {
  static constexpr KernelTable t = [] {
    KernelTable k = generic_kernels(Isa::avx2);
    k.normalize_u8 = &u8_row;
    k.normalize_f32 = &f32_row;
    k.resize_h = &resize_h;
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
    k.resize_v_fixed_levels = &resize_v_fixed_levels;
    k.resize_h_u8_fixed2 = &resize_h_u8_fixed2;
    return k;
  }();
  return t;
}
