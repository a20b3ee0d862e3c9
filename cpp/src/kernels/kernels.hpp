// Internal to the kernels: the table each ISA file provides (built from generic_kernels() in
// resize_generic.inc plus that ISA's overrides), the portable kernels every table starts from,
// and helpers shared by several ISA files. The contracts themselves are in table.hpp.
#pragma once

#include <cstring>

#include "../numeric.hpp"
#include "table.hpp"

namespace pixnorm::kernels {

const KernelTable& table_scalar();
#if defined(PIXNORM_HAVE_X86)
const KernelTable& table_sse41();
const KernelTable& table_avx2();
const KernelTable& table_avx512();
const KernelTable& table_avx512icl();
#endif
#if defined(PIXNORM_HAVE_NEON)
const KernelTable& table_neon();
#endif

// Whether the weights of an integer vertical pass fit the SIMD word-pair forms: at most 64 taps,
// none of magnitude above 2^22 (split in 11-bit halves, 2^22 >> 11 = 2048 still fits a word;
// negative ones, of bicubic and lanczos filters, as signed words); kmax and kmin receive the
// largest and the smallest (0 if none is larger or smaller).
inline bool word_pair_weights(const int32_t* k, int64_t taps, int32_t& kmax, int32_t& kmin) {
  kmax = kmin = 0;
  if (taps > 64) return false;
  for (int64_t t = 0; t < taps; ++t) {
    kmax = k[t] > kmax ? k[t] : kmax;
    kmin = k[t] < kmin ? k[t] : kmin;
  }
  return kmax <= (1 << 22) && kmin >= -(1 << 22);
}

// The rows of an integer vertical pass taken two at a time (at most 64 taps): pair q is rows 2q
// and 2q + 1 (a[q], b[q]) with their weights as a word pair, lo[q] = (k[2q] & mask) |
// (k[2q + 1] & mask) << 16, and for weights split in 11-bit halves hi[q] the pair of k >> 11;
// an odd last row pairs with itself and a zero weight.
struct RowPairs {
  int64_t count = 0;
  const uint8_t* a[32] = {};
  const uint8_t* b[32] = {};
  int32_t lo[32] = {}, hi[32] = {};
  RowPairs(const uint8_t* const* rows, const int32_t* k, int64_t taps, int32_t mask = 0xFFFF)
      : count((taps + 1) / 2) {
    for (int64_t q = 0; q < count; ++q) {
      const bool both = 2 * q + 1 < taps;
      const int32_t ka = k[2 * q], kb = both ? k[2 * q + 1] : 0;
      lo[q] = word_pair(ka & mask, kb & mask);
      hi[q] = word_pair(ka >> 11, kb >> 11);
      a[q] = rows[2 * q];
      b[q] = both ? rows[2 * q + 1] : rows[2 * q];
    }
  }
};

// pshufb controls of the x86 bilinear kernels (plain bytes, no SIMD type: each kernel loads the
// rows it needs into registers), one 16-byte row per (source byte k, target byte t): byte k of
// every dword moved to byte t of it (t = 0 or 2: [k][0], [k][1]), the other bytes zeroed.
alignas(64) constexpr int8_t kDwordByte[4][2][16] = {
#define PIXNORM_DB(k, t)                                                        \
  {t == 0 ? k : -1,      -1, t == 2 ? k : -1,      -1, t == 0 ? 4 + k : -1, -1, \
   t == 2 ? 4 + k : -1,  -1, t == 0 ? 8 + k : -1,  -1, t == 2 ? 8 + k : -1, -1, \
   t == 0 ? 12 + k : -1, -1, t == 2 ? 12 + k : -1, -1}
    {PIXNORM_DB(0, 0), PIXNORM_DB(0, 2)},
    {PIXNORM_DB(1, 0), PIXNORM_DB(1, 2)},
    {PIXNORM_DB(2, 0), PIXNORM_DB(2, 2)},
    {PIXNORM_DB(3, 0), PIXNORM_DB(3, 2)},
#undef PIXNORM_DB
};

// pshufb controls for one- and two-channel pairs (and two pairs of one channel in
// resize_h_u8_fixed): bytes (b0, b1) of each dword to its two words, zero-extended.
alignas(64) constexpr int8_t kNarrowPairs[4][16] = {
    {0, -1, 1, -1, 4, -1, 5, -1, 8, -1, 9, -1, 12, -1, 13, -1},    // bytes (0, 1)
    {2, -1, 3, -1, 6, -1, 7, -1, 10, -1, 11, -1, 14, -1, 15, -1},  // bytes (2, 3)
    {0, -1, 2, -1, 4, -1, 6, -1, 8, -1, 10, -1, 12, -1, 14, -1},   // bytes (0, 2)
    {1, -1, 3, -1, 5, -1, 7, -1, 9, -1, 11, -1, 13, -1, 15, -1},   // bytes (1, 3)
};

// Whether the x86 2 x 2 kernels may read one-channel rows with 4-byte gathers: the rows hold at
// least 4 bytes, known from the windows (each output reads samples start[x] and start[x] + 1).
inline bool narrow_rows_ok(const int32_t* start, int64_t n) {
  int32_t hi = 0;
  for (int64_t x = 0; x < n; ++x) hi = start[x] > hi ? start[x] : hi;
  return hi + 2 >= 4;
}

// Portable kernels (scalar.cpp), any channel count; same arithmetic as every SIMD path.
void normalize_u8_row_generic(const uint8_t* src, int64_t width, int64_t channels, const float* a,
                              const float* b, float* dst, int64_t plane_stride);
void normalize_f32_row_generic(const float* src, int64_t width, int64_t channels, const float* a,
                               const float* b, float* dst, int64_t plane_stride);

// Statistics (stats_generic.cpp): portable kernels with the KernelTable signatures.
constexpr int64_t kStatsLanes = 24;  // float32 per-channel lanes; channels dividing 24 use them
void stats_u8_generic(const uint8_t* src, int64_t count, int64_t channels, uint64_t* sum,
                      uint64_t* sumsq, uint8_t* min, uint8_t* max);
void stats_f32_generic(const float* src, int64_t count, int64_t channels, int64_t* n, double* mean,
                       double* m2, float* min, float* max);
void stats_pixel_u8_generic(const uint8_t* src, int64_t images, int64_t image_stride, int64_t count,
                            uint32_t* s1, uint32_t* s2, uint8_t* min, uint8_t* max);
void stats_pixel_f32_generic(const float* src, int64_t images, int64_t image_stride, int64_t count,
                             int64_t seen, double* mean, double* m2, float* min, float* max);
void normalize_pixel_generic(float* data, const float* a, const float* b, int64_t count);

// Shared by every ISA's float32 per-channel kernel: merges kStatsLanes lanes of lane_n elements
// each (lane L -> channel L % channels) and then `tail_count` single elements (element i ->
// channel i % channels) into the channel accumulators. lane_n == 0: no lanes (pointers unused).
void stats_f32_fold(const double* lane_mean, const double* lane_m2, int64_t lane_n,
                    const float* lane_min, const float* lane_max, const float* tail,
                    int64_t tail_count, int64_t channels, int64_t* n, double* mean, double* m2,
                    float* min, float* max);

// The ends of the SIMD stats_u8 kernels: `lanes` uint32 lane sums (lane j holds channel
// j % channels) added into the channel sums, and `bytes` lane minima/maxima (byte j: channel
// j % channels) folded into the channel min/max.
inline void fold_u8_lanes(const uint32_t* s, const uint32_t* q, int64_t lanes, int64_t channels,
                          uint64_t* sum, uint64_t* sumsq) {
  for (int64_t j = 0; j < lanes; ++j) {
    sum[j % channels] += s[j];
    sumsq[j % channels] += q[j];
  }
}
inline void fold_u8_minmax(const uint8_t* lo, const uint8_t* hi, int64_t bytes, int64_t channels,
                           uint8_t* min, uint8_t* max) {
  for (int64_t j = 0; j < bytes; ++j) {
    const int64_t c = j % channels;
    min[c] = lo[j] < min[c] ? lo[j] : min[c];
    max[c] = hi[j] > max[c] ? hi[j] : max[c];
  }
}

}  // namespace pixnorm::kernels
