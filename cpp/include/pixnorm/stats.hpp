// Streaming dataset statistics (issue 4) and per-pixel normalization. No Python here: the
// accumulators are plain arrays owned by the caller, which merges and finalizes them.
//
// Each operation runs in pieces with an Interrupt between them (interrupt.hpp).
// uint8 input is summed exactly in integers, so results never depend on order, chunking or
// thread count: per channel into uint64 sums and sums of squares; per pixel into uint32 staging
// sums the caller flushes into uint64 at least every kStatsPixelStageImages images.
// float32 input runs Welford's update in float64 (per channel on 24 lanes, per pixel on every
// element) and merges partial results with Chan, Golub and LeVeque's pairwise formula. Per
// channel, the pixels are cut into blocks whose size depends only on the shape, merged in order:
// views, copies and thread counts give the same bits.
#pragma once

#include <cstdint>

#include "pixnorm/image_view.hpp"
#include "pixnorm/interrupt.hpp"

namespace pixnorm {

// uint32 staging sums of squares hold 66,051 images of 255^2; the caller flushes before this.
constexpr int64_t kStatsPixelStageImages = 65536;

// Per channel, uint8: adds every element of `src` into sum[c], sumsq[c] (uint64, exact) and
// lowers min[c] / raises max[c]. Arrays have src.channels entries.
void stats_channels_u8(const ImageView& src, uint64_t* sum, uint64_t* sumsq, uint8_t* min,
                       uint8_t* max, int nthreads, const Interrupt& interrupt = {});

// Per channel, uint16: adds every element of `src` into sum[c] (uint64) and the 128-bit sum of
// squares (sumsq_lo[c] + 2^64 sumsq_hi[c]), all exact, and lowers min[c] / raises max[c].
// sum[c] is exact up to 2.8e14 values per channel (65535 n < 2^64); the caller guarantees it.
void stats_channels_u16(const ImageView& src, uint64_t* sum, uint64_t* sumsq_lo, uint64_t* sumsq_hi,
                        uint16_t* min, uint16_t* max, int nthreads,
                        const Interrupt& interrupt = {});

// Per pixel, uint16: for every element (y, x, c) in HWC order, s1 += the sum over the src.n
// images, s2 += the sum of squares (uint64, exact while the images seen stay below 2^32, which
// the caller guarantees), min/max per element.
void stats_pixels_u16(const ImageView& src, uint64_t* s1, uint64_t* s2, uint16_t* min,
                      uint16_t* max, int nthreads, const Interrupt& interrupt = {});

// Per channel, float32: merges `src` into (n[c], mean[c], m2[c]) (m2 = sum of squared
// deviations) and min/max. NaN propagates into mean, m2, min and max.
void stats_channels_f32(const ImageView& src, int64_t* n, double* mean, double* m2, float* min,
                        float* max, int nthreads, const Interrupt& interrupt = {});

// Per pixel, uint8: for every element (y, x, c) in HWC order, s1 += sum over the src.n images,
// s2 += sum of squares, min/max per element. The caller guarantees that s1/s2 cannot overflow
// (at most kStatsPixelStageImages images staged).
void stats_pixels_u8(const ImageView& src, uint32_t* s1, uint32_t* s2, uint8_t* min, uint8_t* max,
                     int nthreads, const Interrupt& interrupt = {});

// Per pixel, float32: Welford per element over the src.n images; `seen` images were already
// accumulated into mean/m2.
void stats_pixels_f32(const ImageView& src, int64_t seen, double* mean, double* m2, float* min,
                      float* max, int nthreads, const Interrupt& interrupt = {});

// Exact finalization of integer sums, elementwise for i < size: with n values per element,
// mean[i] = s1 / n and var[i] = (n * s2 - s1^2) / (n * (n - ddof)), the numerator computed
// exactly (it is >= 0 by Cauchy-Schwarz) in unsigned 128-bit arithmetic (64-bit while
// n * max_value <= 2^32, where n * s2 <= max_value^2 * n^2 < 2^64), rounded once to double
// before one division. Requires n > ddof >= 0 and sums of values in 0..max_value (s2 <=
// max_value^2 * n, and n * s2 < 2^128: uint8 up to 2.8e14 values, uint16 per pixel below 2^32
// images).
void stats_u8_moments(uint64_t n, const uint64_t* s1, const uint64_t* s2, int64_t size,
                      int64_t ddof, double* mean, double* var, uint64_t max_value = 255);

}  // namespace pixnorm
