// Runtime selection of SIMD kernels. Each ISA file (cpp/src/kernels/*.cpp) fills one
// KernelTable; the active table is chosen once from CPUID and can be forced lower.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pixnorm {

enum class Isa : int { scalar = 0, sse41 = 1, avx2 = 2, avx512 = 3, neon = 4 };

// One row of interleaved pixels -> C planar rows: dst[c * plane_stride + x] = src[x*C + c]*a[c] + b[c],
// computed as a float32 multiply then a float32 add (never fused), so every ISA agrees bit for bit.
// `src` holds width*channels packed elements and may be unaligned; `dst` may be unaligned (but
// 4-byte aligned); plane_stride may be negative (planes written in reverse order).
using NormalizeU8Row = void (*)(const uint8_t* src, int64_t width, int64_t channels,
                                const float* a, const float* b, float* dst, int64_t plane_stride);
using NormalizeF32Row = void (*)(const float* src, int64_t width, int64_t channels,
                                 const float* a, const float* b, float* dst, int64_t plane_stride);

// Statistics kernels (issue 4; the contracts are in cpp/include/pixnorm/stats.hpp).
// Per channel, uint8: adds the `count` interleaved elements (count % channels == 0, src[0] is
// channel 0) into exact per-channel sums and sums of squares, and lowers/raises min/max.
using StatsU8 = void (*)(const uint8_t* src, int64_t count, int64_t channels, uint64_t* sum,
                         uint64_t* sumsq, uint8_t* min, uint8_t* max);
// Per channel, float32: Welford in float64 on 24 lanes (element i of the run goes to lane i % 24),
// the lanes then merged into the channel accumulators (count, mean, m2) with Chan's formula;
// min/max propagate NaN. Every ISA performs the same float64 operations per lane.
using StatsF32 = void (*)(const float* src, int64_t count, int64_t channels, int64_t* n,
                          double* mean, double* m2, float* min, float* max);
// Per pixel, uint8: for j < count and i < images, s1[j] += src[i*image_stride + j],
// s2[j] += its square, min/max per element. The caller keeps s1/s2 from overflowing uint32.
using StatsPixelU8 = void (*)(const uint8_t* src, int64_t images, int64_t image_stride,
                              int64_t count, uint32_t* s1, uint32_t* s2, uint8_t* min,
                              uint8_t* max);
// Per pixel, float32: Welford per element over `images` images, `seen` already accumulated.
using StatsPixelF32 = void (*)(const float* src, int64_t images, int64_t image_stride,
                               int64_t count, int64_t seen, double* mean, double* m2, float* min,
                               float* max);
// Per-pixel normalize, second step: data[i] = data[i] * a[i] + b[i], a float32 multiply then a
// float32 add (never fused).
using NormalizePixelF32 = void (*)(float* data, const float* a, const float* b, int64_t count);

struct KernelTable {
  Isa isa;
  NormalizeU8Row normalize_u8;
  NormalizeF32Row normalize_f32;
  StatsU8 stats_u8;
  StatsF32 stats_f32;
  StatsPixelU8 stats_pixel_u8;
  StatsPixelF32 stats_pixel_f32;
  NormalizePixelF32 normalize_pixel;
};

const char* isa_name(Isa isa);
// Throws std::invalid_argument for a name that is not an ISA pixnorm knows.
Isa parse_isa(const std::string& name);

std::vector<Isa> compiled_isas();        // kernel tables in this binary
bool cpu_supports(Isa isa);              // the CPU and OS can run it
std::vector<Isa> supported_isas();       // compiled and runnable here, lowest first
Isa best_isa();                          // the highest supported

const KernelTable& active_kernels();
// Throws std::invalid_argument if `isa` is not compiled in or not supported by this CPU.
void set_active_isa(Isa isa);
const KernelTable& kernels_for(Isa isa);  // throws like set_active_isa

// Extra CPU features detected at run time (for build_info), e.g. "avx512vbmi".
std::vector<std::string> cpu_features();

}  // namespace pixnorm
