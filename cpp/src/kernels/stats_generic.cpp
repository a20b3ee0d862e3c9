// Portable statistics kernels: the reference the SIMD tables are tested against, the whole
// implementation for scalar, SSE4.1 and NEON, and the fallback for channel counts a SIMD path
// does not cover. Also the lane folding that every ISA shares, so that float32 results are
// bit-identical across ISAs.
//
// Layout: src is a run of interleaved elements (HWC order), src[0] is channel 0.
// uint8, per channel: exact uint64 sums and sums of squares per channel.
// float32, per channel: element i of the run goes to lane i % kStatsLanes (24); each lane runs
// Welford's update in float64 with a shared count k: d = x - m; m = m + d * (1 / k);
// q = q + d * (x - m) (multiplies and adds never fused: -ffp-contract=off). The lanes are then
// merged into their channels (lane L holds channel L % C) in lane order with Chan, Golub and
// LeVeque's pairwise formula, and the count % 24 leftover elements are merged one by one.
// min/max propagate NaN: once a NaN is seen it stays.
#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels.hpp"

namespace pixnorm::kernels {

void stats_u8_generic(const uint8_t* src, int64_t count, int64_t channels, uint64_t* sum,
                      uint64_t* sumsq, uint8_t* min, uint8_t* max) {
  for (int64_t c = 0; c < channels; ++c) {
    uint64_t s = 0, q = 0;
    uint8_t lo = min[c], hi = max[c];
    for (int64_t i = c; i < count; i += channels) {
      const uint32_t x = src[i];
      s += x;
      q += x * x;
      lo = x < lo ? static_cast<uint8_t>(x) : lo;
      hi = x > hi ? static_cast<uint8_t>(x) : hi;
    }
    sum[c] += s;
    sumsq[c] += q;
    min[c] = lo;
    max[c] = hi;
  }
}

void stats_f32_fold(const double* lane_mean, const double* lane_m2, int64_t lane_n,
                    const float* lane_min, const float* lane_max, const float* tail,
                    int64_t tail_count, int64_t channels, int64_t* n, double* mean, double* m2,
                    float* min, float* max) {
  if (lane_n > 0) {
    for (int64_t l = 0; l < kStatsLanes; ++l) {
      const int64_t c = l % channels;
      chan_merge(n[c], mean[c], m2[c], lane_n, lane_mean[l], lane_m2[l]);
      min[c] = nan_min(lane_min[l], min[c]);
      max[c] = nan_max(lane_max[l], max[c]);
    }
  }
  for (int64_t i = 0; i < tail_count; ++i) {
    const int64_t c = i % channels;
    const double x = static_cast<double>(tail[i]);
    chan_merge(n[c], mean[c], m2[c], 1, x, x - x);  // x - x: 0, or NaN for NaN and inf
    min[c] = nan_min(tail[i], min[c]);
    max[c] = nan_max(tail[i], max[c]);
  }
}

void stats_f32_generic(const float* src, int64_t count, int64_t channels, int64_t* n, double* mean,
                       double* m2, float* min, float* max) {
  if (kStatsLanes % channels != 0) {  // no lanes: every element merged on its own
    stats_f32_fold(nullptr, nullptr, 0, nullptr, nullptr, src, count, channels, n, mean, m2, min,
                   max);
    return;
  }
  const int64_t groups = count / kStatsLanes;
  double m[kStatsLanes] = {}, q[kStatsLanes] = {};
  float lo[kStatsLanes], hi[kStatsLanes];
  for (int64_t l = 0; l < kStatsLanes; ++l) {
    lo[l] = std::numeric_limits<float>::infinity();
    hi[l] = -std::numeric_limits<float>::infinity();
  }
  for (int64_t g = 0; g < groups; ++g) {
    const double inv = 1.0 / static_cast<double>(g + 1);
    const float* p = src + g * kStatsLanes;
    for (int64_t l = 0; l < kStatsLanes; ++l) {
      const double x = static_cast<double>(p[l]);
      const double d = x - m[l];
      m[l] = m[l] + d * inv;
      q[l] = q[l] + d * (x - m[l]);
      lo[l] = nan_min(p[l], lo[l]);
      hi[l] = nan_max(p[l], hi[l]);
    }
  }
  stats_f32_fold(m, q, groups, lo, hi, src + groups * kStatsLanes, count - groups * kStatsLanes,
                 channels, n, mean, m2, min, max);
}

void stats_pixel_u8_generic(const uint8_t* src, int64_t images, int64_t image_stride, int64_t count,
                            uint32_t* s1, uint32_t* s2, uint8_t* min, uint8_t* max) {
  for (int64_t i = 0; i < images; ++i) {
    const uint8_t* p = src + i * image_stride;
    for (int64_t j = 0; j < count; ++j) {
      const uint32_t x = p[j];
      s1[j] += x;
      s2[j] += x * x;
      min[j] = p[j] < min[j] ? p[j] : min[j];
      max[j] = p[j] > max[j] ? p[j] : max[j];
    }
  }
}

void stats_pixel_f32_generic(const float* src, int64_t images, int64_t image_stride, int64_t count,
                             int64_t seen, double* mean, double* m2, float* min, float* max) {
  for (int64_t i = 0; i < images; ++i) {
    const double inv = 1.0 / static_cast<double>(seen + i + 1);
    const float* p = src + i * image_stride;
    for (int64_t j = 0; j < count; ++j) {
      const double x = static_cast<double>(p[j]);
      const double d = x - mean[j];
      mean[j] = mean[j] + d * inv;
      m2[j] = m2[j] + d * (x - mean[j]);
      min[j] = nan_min(p[j], min[j]);
      max[j] = nan_max(p[j], max[j]);
    }
  }
}

void normalize_pixel_generic(float* data, const float* a, const float* b, int64_t count) {
  for (int64_t i = 0; i < count; ++i) data[i] = data[i] * a[i] + b[i];
}

}  // namespace pixnorm::kernels
