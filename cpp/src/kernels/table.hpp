// The kernel contracts: one signature per kernel, and the KernelTable each instruction set fills.
// Private to the C++ core (cpp/src): operations call active_kernels(); the bindings never see a
// kernel. A table starts from the generic kernels (generic_kernels() in resize_generic.inc,
// compiled for each target) and each ISA overrides only the entries it specialises; an entry
// marked "may be null" has no generic version.
#pragma once

#include <cstdint>

#include "pixnorm/isa.hpp"

namespace pixnorm {

// One row of interleaved pixels -> C planar rows: dst[c * plane_stride + x] = src[x*C + c]*a[c] +
// b[c], computed as a float32 multiply then a float32 add (never fused), so every ISA agrees bit
// for bit. `src` holds width*channels packed elements and may be unaligned; `dst` may be unaligned
// (but 4-byte aligned); plane_stride may be negative (planes written in reverse order).
using NormalizeU8Row = void (*)(const uint8_t* src, int64_t width, int64_t channels, const float* a,
                                const float* b, float* dst, int64_t plane_stride);
using NormalizeF32Row = void (*)(const float* src, int64_t width, int64_t channels, const float* a,
                                 const float* b, float* dst, int64_t plane_stride);

// Separable resampling, on planar float rows. The horizontal pass filters one channel's row:
// dst[x] = sum_k w[x*taps + k] * src[start[x] + k], `start` monotonic; `wt` holds the same weights
// tap-major (wt[k*n + x]) for kernels that vectorize across x, and `src` is readable up to 32
// floats past the last tap (padding). The vertical pass combines `taps` rows: dst[i] = sum_k w[k] *
// rows[k][i]. Sums run in float32 in ascending k, each product rounded then added (never fused), so
// every ISA agrees bit for bit. `planes` channels are filtered in one call: channel c reads src + c
// * src_stride and writes dst + c * dst_stride.
using ResizeH = void (*)(const float* src, int64_t src_stride, int64_t planes, const int32_t* start,
                         const float* w, const float* wt, int64_t taps, int64_t n, float* dst,
                         int64_t dst_stride);
using ResizeV = void (*)(const float* const* rows, const float* w, int64_t taps, int64_t n,
                         float* dst);
// resize_h with each plane's outputs then mapped as normalize_f32 maps one channel:
// dst[c * dst_stride + x] = resize_h's value * a[c] + b[c] (a float32 multiply, then an add,
// never fused), straight into the output planes (dst_stride may be negative). May be null
// (resize_h into a row, then normalize_f32 per plane: the same bits).
using ResizeHAffine = void (*)(const float* src, int64_t src_stride, int64_t planes,
                               const int32_t* start, const float* w, const float* wt, int64_t taps,
                               int64_t n, const float* a, const float* b, float* dst,
                               int64_t dst_stride);
// resize_h_affine with each value then rounded once to float16 (nearest-even, as StoreHalf)
// into uint16 planes: dst[c * dst_stride + x] = half(resize_h's value * a[c] + b[c])
// (dst_stride in elements, may be negative). May be null (resize_h into a row, then
// affine_half per plane: the same bits).
using ResizeHAffineF16 = void (*)(const float* src, int64_t src_stride, int64_t planes,
                                  const int32_t* start, const float* w, const float* wt,
                                  int64_t taps, int64_t n, const float* a, const float* b,
                                  uint16_t* dst, int64_t dst_stride);
// resize_h of three planes with their sums then mixed as mix_folded mixes (the output's affine
// folded into m and offset): for c < 3, dst[c * dst_stride + x] = ((m[3c] * s0 + m[3c + 1] * s1)
// + m[3c + 2] * s2) + offset[c], s_k plane k's resize_h value (each product and sum rounded in
// float32, in this order), straight into the output planes (dst_stride may be negative). May be
// null (resize_h into a row, then mix_folded: the same bits).
using ResizeHMix = void (*)(const float* src, int64_t src_stride, const int32_t* start,
                            const float* w, const float* wt, int64_t taps, int64_t n,
                            const float* m, const float* offset, float* dst, int64_t dst_stride);
// resize_v on uint8 rows, read in place: dst[i] = sum_k w[k] * float32(rows[k][i]), the same
// sums in the same order (for windows too wide for resize_v_u8_int's integer weights).
using ResizeVU8 = void (*)(const uint8_t* const* rows, const float* w, int64_t taps, int64_t n,
                           float* dst);
// resize_h on one interleaved row (`channels` per pixel) instead of planes: channel c of output
// x is sum_k w[x*taps + k] * src[(start[x] + k) * channels + c], written to dst + c * dst_stride,
// the same sums in the same order as resize_h (wt is tap-major as there).
using ResizeHInterleaved = void (*)(const float* src, int64_t channels, const int32_t* start,
                                    const float* w, const float* wt, int64_t taps, int64_t n,
                                    float* dst, int64_t dst_stride);
// resize_h_interleaved with each channel's value then mapped as resize_h_affine maps a plane:
// dst[c * dst_stride + x] = value * a[c] + b[c] (a multiply, then an add), straight into the
// output planes (dst_stride may be negative). May be null (resize_h_interleaved into a row, then
// normalize_f32 per plane: the same bits).
using ResizeHInterleavedAffine = void (*)(const float* src, int64_t channels, const int32_t* start,
                                          const float* w, const float* wt, int64_t taps, int64_t n,
                                          const float* a, const float* b, float* dst,
                                          int64_t dst_stride);
// resize_h_interleaved on 16 rows at once, held column-major: element e of row r is
// cols[e * 16 + r] (e = sample * channels + c). Channel c of output x in row r is
// sum_k w[x * taps + k] * cols[((start[x] + k) * channels + c) * 16 + r], the same sums in the
// same order as resize_h_interleaved, written to dst[(c * n + x) * 16 + r]: each tap one load
// of 16 rows, no gather (wide windows, where resize_h_interleaved gathers).
using ResizeHColumns = void (*)(const float* cols, int64_t channels, const int32_t* start,
                                const float* w, int64_t taps, int64_t n, float* dst);
// 16 rows of n floats (row r at src + r * src_stride) to n groups of 16: dst[i * 16 + r].
using Transpose16 = void (*)(const float* src, int64_t src_stride, int64_t n, float* dst);
// The inverse: n groups of 16 (src[i * 16 + r]) to 16 rows, row r at dst + r * dst_stride.
using Untranspose16 = void (*)(const float* src, int64_t n, float* dst, int64_t dst_stride);
// The vertical pass of uint8 rows with fixed-point weights (signed int16 each, negative ones
// from bicubic and lanczos filters; 255 * sum |k| < 2^24): dst[i] = float32(sum_k k[k] *
// rows[k][i]) for i < n, on interleaved elements; the sum is an exact integer of magnitude below
// 2^24, so the float32 is exact too.
using ResizeVU8Int = void (*)(const uint8_t* const* rows, const int32_t* k, int64_t taps, int64_t n,
                              float* dst);
// resize_v_u8_int on rows of n pixels of `channels` (1..4) interleaved channels, written as
// planes: dst[c * plane_stride + x] = float32(sum_t k[t] * rows[t][x * channels + c]). Optional
// in a table (null: resize_v_u8_int, then a de-interleave).
using ResizeVU8Planar = void (*)(const uint8_t* const* rows, const int32_t* k, int64_t taps,
                                 int64_t n, int64_t channels, float* dst, int64_t plane_stride);
// Fixed-point passes of the named conventions (Pillow, torch): integer weights k with `bits`
// fractional bits, out = clamp((2^(bits-1) + sum_t k * x) >> bits, 0, 255), int32 arithmetic.
// The horizontal pass straight from one interleaved uint8 row (`channels` per pixel), `taps`
// even, weights of magnitude at most 2^22 (negative ones from bicubic and lanczos filters: the
// sums may be negative and clamp to 0), packed in pairs of taps: for pair p of output x,
// kp[p * n + x] = lo(k[2p]) | lo(k[2p + 1]) << 16, with lo(k) = k & 0xFFFF (a signed word) if
// kph is null (then every -2^15 <= k < 2^15), else lo(k) = k & 2047 and kph holds the pairs
// of the signed words k >> 11 (arithmetic shift), so k = lo + 2048 * hi. Planar uint8 out:
//   dst[c * plane_stride + x] = clamp((2^(bits-1) + sum_t k_t * row[(start[x] + t) * C + c])
//                                     >> bits, 0, 255), exact in int32.
// Two signed words in a dword, lo in the low word and hi in the high one (two's complement):
// the packing of kp, kph and the SIMD kernels' weight pairs.
inline int32_t word_pair(int32_t lo, int32_t hi) {
  return static_cast<int32_t>((static_cast<uint32_t>(lo) & 0xFFFFu) |
                              (static_cast<uint32_t>(hi) << 16));
}
// Whether fixed-point weights need the 11-bit split (a weight outside a signed word).
inline bool split_weights(int32_t kmax, int32_t kmin) {
  return kmax >= (1 << 15) || kmin < -(1 << 15);
}
using ResizeHU8Fixed = void (*)(const uint8_t* row, int64_t channels, const int32_t* start,
                                const int32_t* kp, const int32_t* kph, int64_t taps, int64_t n,
                                int bits, uint8_t* dst, int64_t plane_stride);
// resize_h_u8_fixed on two rows with the same filter (row0 -> dst0, row1 -> dst1): the same
// results as two calls; kernels share the indices and weights between the rows.
using ResizeHU8Fixed2 = void (*)(const uint8_t* row0, const uint8_t* row1, int64_t channels,
                                 const int32_t* start, const int32_t* kp, const int32_t* kph,
                                 int64_t taps, int64_t n, int bits, uint8_t* dst0, uint8_t* dst1,
                                 int64_t plane_stride);
// The horizontal pass of resize_h_u8_fixed (same results, same weights) with the weights
// written in `digits` (2 or 3) signed bytes, w = d0 + 2^8 d1 + 2^16 d2, each digit in
// [-128, 127], and four taps per dword: taps a multiple of 4, windows inside the row; digit d of
// taps 4q..4q+3 of output x is kq[(q * digits + d) * n + x], tap 4q in its low byte. row1 may be
// null (one row); else row1 -> dst1 as row0 -> dst0. Optional in a table (null: the ISA has no
// faster way than resize_h_u8_fixed2; the kernel check compares it with that).
using ResizeHU8Digits = void (*)(const uint8_t* row0, const uint8_t* row1, int64_t channels,
                                 const int32_t* start, const int32_t* kq, int64_t digits,
                                 int64_t taps, int64_t n, int bits, uint8_t* dst0, uint8_t* dst1,
                                 int64_t plane_stride);
// The horizontal pass of resize_h_u8_fixed without its rounding (OpenCV's INTER_LANCZOS4 keeps
// these int sums for its vertical pass): dst[c * plane_stride + x] = sum_t k_t * row[(start[x]
// + t) * C + c], exact in int32, the weights k_t as resize_h_u8_fixed's kp (pairs of signed
// words, tap 2p in the low word of kp[p * n + x]; no split halves), taps even, every window
// inside the row (the caller keeps 255 * sum |k_t| below 2^31).
using ResizeHU8Sums = void (*)(const uint8_t* row, int64_t channels, const int32_t* start,
                               const int32_t* kp, int64_t taps, int64_t n, int32_t* dst,
                               int64_t plane_stride);
// OpenCV's vertical pass of those int sums and its FixedPtCast to uint8: for i < n, acc =
// sum_t k[t] * rows[t][i] in two's complement (modulo 2^32: OpenCV's int sum wraps), dst[i] =
// clamp((acc + 2^(bits-1)) >> bits, 0, 255), the shift arithmetic (1 <= bits <= 30).
using ResizeVSumsU8 = void (*)(const int32_t* const* rows, const int32_t* k, int64_t taps,
                               int64_t n, int bits, uint8_t* dst);
// The vertical pass: out[i] from rows[t][i], with the output row's `taps` weights k[t].
using ResizeVFixed = void (*)(const uint8_t* const* rows, const int32_t* k, int64_t taps, int64_t n,
                              int bits, uint8_t* dst);

// One channel's parameters, all float32 values (see level_params). Kernels with FMA may, when
// `fast`, compute each float32 division q / d as Markstein's corrected product (y = q * r,
// e = fma(-y, d, q), y + e * r fused, r = float32(1 / d)), which level_params has checked gives
// the correctly rounded quotient for all 256 levels: every ISA still returns the same bits.
struct LevelParams {
  float factor = 1.0f;                      // float32(scale), or float32(divisor) if `divide`
  float mean = 0.0f, std = 1.0f;            // float32(mean), float32(std)
  float inv_factor = 1.0f, inv_std = 1.0f;  // float32(1 / factor), float32(1 / std)
  bool divide = false;                      // x / factor (ToTensor) instead of x * factor
  bool fast = false;                        // the corrected quotients are exact for every level
};

// resize_v_fixed on C planar rows of n values each (rows[t] + c * n is channel c), its levels
// then mapped as levels_f32 does: fdst[c * plane_stride + x]. lv as in Bilinear2Fixed (every
// channel `fast`, one factor and divide flag).
using ResizeVFixedLevels = void (*)(const uint8_t* const* rows, const int32_t* k, int64_t taps,
                                    int64_t n, int64_t channels, int bits, const LevelParams* lv,
                                    float* fdst, int64_t plane_stride);

// Levels to floats in torchvision's arithmetic (ToDtype(scale=True) or ToTensor, then
// Normalize): dst[i] = (float32(src[i]) * factor - mean) / std, or with `divide`
// (float32(src[i]) / factor - mean) / std; each operation rounded in float32.
using LevelsF32 = void (*)(const uint8_t* src, int64_t n, const LevelParams* p, float* dst);

// Bilinear (2 x 2 taps) from uint8 rows straight to affine-mapped planes, for one output row.
// r0 and r1 are the two source rows (interleaved, `channels` per pixel) with weights wy0, wy1;
// output pixel x reads pixels start[x] and start[x] + 1 of each row. The horizontal weights are
// fixed point, kx[x] = k0 | k1 << 16 with k0 + k1 = 2^kBilinearBits (int16 each), so the
// horizontal sums are exact integers; the rest is float32, each product rounded, then added:
//   h_r = k0 * r[start] + k1 * r[start + 1]   (int32, exact in float32),
//   v = wy0 * float(h_0) + wy1 * float(h_1),  dst[c * plane_stride + x] = v * a[c] + b[c]
// (callers fold 2^-kBilinearBits into a). Reads only bytes of those two pixels of each row.
constexpr int kBilinearBits = 14;
using Bilinear2U8 = void (*)(const uint8_t* r0, const uint8_t* r1, float wy0, float wy1,
                             int64_t channels, const int32_t* start, const int32_t* kx, int64_t n,
                             const float* a, const float* b, float* dst, int64_t plane_stride);

// The named conventions' 2 x 2 path (torch's uint8 bilinear, OpenCV's INTER_LINEAR) for one
// output row, written as planar uint8 (dst[c * plane_stride + x]). Pixels, rows and kx as in
// Bilinear2U8 (k0, k1 >= 0, each below 2^15); h_r = k0 * L_r + k1 * R_r, exact in int32, then
//   kFixedTorch:  H_r = min((h_r + 2^(bx-1)) >> bx, 255),
//                 out = clamp((ky0 * H_0 + ky1 * H_1 + 2^(by-1)) >> by, 0, 255)   (ky < 2^15);
//                 callers guarantee k0 + k1 <= 2^bx + 1 and ky0 + ky1 <= 2^by + 1 (bx, by >= 9),
//                 so neither clamp ever acts and kernels may leave them out
//   kFixedOpencv: out = clamp((((h_0 >> 4) * ky0 >> 16) + ((h_1 >> 4) * ky1 >> 16) + 2) >> 2,
//                             0, 255)   (VResizeLinearVec_32s8u; ky0, ky1 <= 2048)
// With `lv` (one LevelParams per channel, see LevelsF32; only where every channel is `fast`, and
// with one factor and divide flag for all channels, as level_params gives them) each out goes
// through levels_f32's arithmetic straight to fdst[c * plane_stride + x] (float32) and dst
// is unused; else dst gets the uint8 planes and fdst is unused.
constexpr int kFixedTorch = 0, kFixedOpencv = 1;
using Bilinear2Fixed = void (*)(const uint8_t* r0, const uint8_t* r1, int32_t ky0, int32_t ky1,
                                int64_t channels, const int32_t* start, const int32_t* kx,
                                int64_t n, int mode, int bx, int by, uint8_t* dst,
                                int64_t plane_stride, const LevelParams* lv, float* fdst);

// float -> uint8: round to nearest (ties to even) after clamping to [0, 255].
using StoreU8 = void (*)(const float* src, int64_t n, uint8_t* dst);
// float32 planes -> interleaved uint8 (the (h, w, C) rows of a uint8 resize): for x < n and
// c < channels, dst[x * channels + c] = StoreU8 of the float32 product src[c * plane_stride + x]
// * unit (unit 1: the value itself).
using StoreU8Hwc = void (*)(const float* src, int64_t plane_stride, int64_t channels, int64_t n,
                            float unit, uint8_t* dst);
// uint8 planes -> interleaved uint8: dst[x * channels + c] = src[c * plane_stride + x].
using InterleaveU8 = void (*)(const uint8_t* src, int64_t plane_stride, int64_t channels, int64_t n,
                              uint8_t* dst);
// float32 planes -> interleaved float32 (HWC rows): dst[x * channels + c] =
// src[c * plane_stride + x], bit for bit (NaN payloads included: a copy, no arithmetic).
using InterleaveF32 = void (*)(const float* src, int64_t plane_stride, int64_t channels, int64_t n,
                               float* dst);
// float32 -> IEEE binary16 / bfloat16 bits, each value rounded once to nearest (ties to even),
// the bits torch's .to(torch.float16 / torch.bfloat16) gives on x86:
//  - float16: subnormal results and inputs kept (never flushed), values >= 65520 in magnitude
//    -> infinity, NaN -> the quiet NaN with the sign and the top 9 payload bits (vcvtps2ph's
//    rule, which c10::Half's F16C path and torch's vectorized casts follow);
//  - bfloat16: the top 16 bits after adding 0x7FFF plus the kept lowest bit (subnormals kept),
//    NaN -> 0xFFFF (torch's vectorized CPU cast, which every tensor size takes in torch 2.14;
//    c10::BFloat16's scalar rule and ml_dtypes give 0x7FC0: NaN either way). Not
//    AVX512-BF16's vcvtneps2bf16, which treats subnormal inputs as zero.
using StoreHalf = void (*)(const float* src, int64_t n, uint16_t* dst);
// NormalizeU8Row with its float32 values stored as float16 (bf16 false) or bfloat16 bits, each
// rounded as StoreHalf: the bits of normalize_u8 then store_f16 / store_bf16, in one pass
// (channels 1, 3 or 4; the others through the two kernels). May be null.
using NormalizeU8Half = void (*)(const uint8_t* src, int64_t width, int64_t channels,
                                 const float* a, const float* b, uint16_t* dst,
                                 int64_t plane_stride, bool bf16);
// One planar float32 row: dst[x] = half(src[x] * a + b) (a multiply then an add, then rounded
// as StoreHalf): normalize_f32 with one channel, then store_f16 / store_bf16. May be null.
using AffineHalf = void (*)(const float* src, int64_t n, float a, float b, uint16_t* dst,
                            bool bf16);
// One row of interleaved uint8 pixels (channels 1, 3 or 4) through a table of 256 16-bit
// values per channel, to C planar rows: dst[c * plane_stride + x] = lut[c * 256 + src[x * C +
// c]]. The driver fills the table with normalize_u8_half's values of the 256 levels, so the
// lookup gives that kernel's bits. May be null.
using LookupU8U16 = void (*)(const uint8_t* src, int64_t width, int64_t channels,
                             const uint16_t* lut, uint16_t* dst, int64_t plane_stride);
// Statistics kernels (issue 4; the contracts are in cpp/include/pixnorm/stats.hpp).
// Per channel, uint8: adds the `count` interleaved elements (count % channels == 0, src[0] is
// channel 0) into exact per-channel sums and sums of squares, and lowers/raises min/max.
using StatsU8 = void (*)(const uint8_t* src, int64_t count, int64_t channels, uint64_t* sum,
                         uint64_t* sumsq, uint8_t* min, uint8_t* max);
// Per channel, uint16: adds the `count` interleaved elements (count % channels == 0, src[0] is
// channel 0) into sum[c] and sumsq[c] (uint64: the caller keeps count below 2^32, so that the
// squares of one call cannot wrap) and lowers/raises min/max. Exact, so every ISA agrees.
using StatsU16 = void (*)(const uint16_t* src, int64_t count, int64_t channels, uint64_t* sum,
                          uint64_t* sumsq, uint16_t* min, uint16_t* max);
// Per pixel, uint16: for j < count and i < images, s1[j] += src[i*image_stride + j], s2[j] += its
// square (uint64), min/max per element. The caller keeps s2 from overflowing (< 2^32 images).
using StatsPixelU16 = void (*)(const uint16_t* src, int64_t images, int64_t image_stride,
                               int64_t count, uint64_t* s1, uint64_t* s2, uint16_t* min,
                               uint16_t* max);
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
// The same from uint8: dst[i] = float32(src[i]) * a[i] + b[i] (a multiply, then an add): an HWC
// row normalized in its own order (a and b repeat each channel's values per pixel).
using NormalizePixelU8 = void (*)(const uint8_t* src, const float* a, const float* b, int64_t count,
                                  float* dst);

// Colour, pixnorm's float32 mix (definitions in cpp/include/pixnorm/color.hpp; every product
// rounded then added in ascending k, as color.cpp's scalar mix_planes). The luma of one
// interleaved uint8 row (`channels` 3 or 4 per pixel, the first three R, G, B) as a float32
// plane: dst[x] = m[0] * float(R) + m[1] * float(G) + m[2] * float(B).
using LumaU8Row = void (*)(const uint8_t* src, int64_t width, int64_t channels, const float* m,
                           float* dst);
// The same luma of three float32 planes (plane c at src + c * stride) into dst (may be src).
using LumaPlanes = void (*)(const float* src, int64_t stride, int64_t n, const float* m,
                            float* dst);
// The mix of three planes into `out` planes, then the affine: for c < out,
//   v = m[3c] * r + m[3c + 1] * g + m[3c + 2] * b, then v + offset[c] when offset[c] != 0,
//   dst[c * dst_stride + x] = v * a[c] + b[c]   (each step rounded in float32).
using MixAffine = void (*)(const float* src, int64_t src_stride, int64_t n, const float* m,
                           const float* offset, int64_t out, const float* a, const float* b,
                           float* dst, int64_t dst_stride);
// The mix of three planes into `out` planes with the output's affine folded in (fold_mix in
// color_step.hpp: m and offset already times a, plus b): for c < out,
//   dst[c * dst_stride + x] = ((m[3c] * r + m[3c + 1] * g) + m[3c + 2] * b) + offset[c]
// (each product and sum rounded in float32, in this order).
using MixFolded = void (*)(const float* src, int64_t src_stride, int64_t n, const float* m,
                           const float* offset, int64_t out, float* dst, int64_t dst_stride);

// The named conventions' colour conversions (integer arithmetic: the same bytes on every ISA;
// kernels/color_generic.inc has the formulas and their sources): n pixels of 1 (kColorRepeat)
// or 3 uint8 channels R, G, B -> `out` (1 or 3) channels, each side interleaved (its plane
// stride 0) or planar (channel c at + c * plane stride). lut: Pillow's YCbCr tables (9 x 256,
// table 3 * channel + input) for kColorPillowYCbCr, else unused (the avx512icl kernel computes
// those tables' entries in closed form: exact for these tables, checked on every RGB triple).
constexpr int kColorRepeat = 0, kColorPillowLuma = 1, kColorPillowYCbCr = 2, kColorTorchLuma = 3,
              kColorOpencvGray = 4, kColorOpencvYCbCr = 5, kColorOpencvYuv = 6;
using ConvertU8 = void (*)(const uint8_t* src, int64_t src_plane, int64_t n, int formula,
                           const int32_t* lut, int64_t out, uint8_t* dst, int64_t dst_plane);

// pixnorm's bilinear affine warp of one output row (pixnorm/warp.hpp, convention None) on a
// uint8 image of h x w pixels of `channels` (1..4) interleaved bytes whose rows are `stride`
// (> 0) bytes apart, `src` at pixel (0, 0). For x < n: u = (m[0] * x + ry) + m[2] and
// v = (m[3] * x + rv) + m[5] in double (ry = m[1] * y, rv = m[4] * y), each clamped to
// [-2^40, 2^40] (NaN to -2^40); fu = floor(u), fv = floor(v). If fu is outside [-1, w) or fv
// outside [-1, h) the pixel is fill[c]. Else fx = u - fu, fy = v - fv, the weights float32((1 - fx)
// (1 - fy)), float32(fx (1 - fy)), float32((1 - fx) fy), float32(fx fy) (products in double), the
// four samples (fu, fv), (fu + 1, fv), (fu, fv + 1), (fu + 1, fv + 1), each fill[c] when outside,
// and dst[c * n + x] = ((w00 p00 + w01 p01) + w10 p10) + w11 p11 in float32 (planar output).
using WarpBilinearU8 = void (*)(const uint8_t* src, int64_t stride, int64_t w, int64_t h,
                                int64_t channels, const double* m, double ry, double rv, int64_t n,
                                const float* fill, float* dst);
// The same warp, nearest: u and v as above (clamped, NaN to -2^40), the pixel (floor(u + 0.5),
// floor(v + 0.5)) when inside the image, else fill[c]; dst[c * n + x] = float32(the level).
using WarpNearestU8 = WarpBilinearU8;
// The same two warps on a float32 image (convention None): the samples are src[y * stride + x *
// channels + c] (stride in floats, > 0), taken as they are (NaN and infinities too); otherwise
// WarpBilinearU8's and WarpNearestU8's definitions. A NaN result is NaN; which NaN (its sign
// and payload, when two meet in a sum) may differ between ISAs.
using WarpF32 = void (*)(const float* src, int64_t stride, int64_t w, int64_t h, int64_t channels,
                         const double* m, double ry, double rv, int64_t n, const float* fill,
                         float* dst);

// torchvision v2's rotate / affine of one output row on a uint8 tensor (pixnorm/warp.hpp's
// convention 'torch', docs/warp-conventions.md): the source is w x h pixels of `channels`
// channels, byte (x, y, c) at src[y * sy + x * sx + c * sc] (strides of any sign); `extent` is
// the number of bytes from src that hold it (the largest offset + 1) when every stride is >= 0,
// else 0. coef = {a00, a10, a20, a01, a11, a21, sfx, sfy, by}. For x < n, in float32:
// bx = x - (n - 1) / 2 (exact); the grid gx = (bx a00 + by a10) + a20, gy = (bx a01 + by a11) +
// a21 (flags & kTorchSmall, the naive batched-matmul order) or gx = fma(by, a10, bx a00) + a20,
// gy = fma(by, a11, bx a01) + a21 (MKL's sgemm); xs = fma(gx + 1, sfx, -0.5), ys = fma(gy + 1,
// sfy, -0.5). Nearest (flags & kTorchNearest): the pixel (nearbyint(xs), nearbyint(ys)) when
// inside, else 0, or fill[c] with kTorchFill; bilinear: floors xw, yn, fractions wd = xs - xw,
// n = ys - yn, weights nw = (1 - n)(1 - wd), ne = (1 - n) wd, sw = n (1 - wd), se = n wd, the
// samples outside the image 0, acc = fma(v11, se, fma(v10, sw, fma(v01, ne, v00 nw))), and with
// kTorchFill the mask m (the same sum of the inside samples' weights) and acc = (acc - fill[c])
// m + fill[c]. dst[c * n + x] = the value rounded half to even, saturated to 0..255 (planar).
constexpr int kTorchSmall = 1, kTorchFill = 2, kTorchNearest = 4;
using WarpTorchU8 = void (*)(const uint8_t* src, int64_t sy, int64_t sx, int64_t sc, int64_t extent,
                             int64_t w, int64_t h, int64_t channels, const float* coef, int flags,
                             const float* fill, int64_t n, uint8_t* dst);

// cv2.warpAffine(INTER_LINEAR, BORDER_CONSTANT) on 1, 3 or 4 channels as Intel IPP computes it
// (docs/warp-conventions.md), one output row of a uint8 image of h x w pixels of `channels`
// (1..4) interleaved bytes, rows `stride` (> 0) bytes apart, `src` at pixel (0, 0), h, w >= 2.
// For x < n: sx = (m[0] x + ry) + m[2], sy = (m[3] x + rv) + m[5] in double (ry = m[1] y,
// rv = m[4] y); fx = floor(sx), fy = floor(sy); the pixel is inner when 0 <= fx <= w - 2 and
// 0 <= fy <= h - 2. An inner pixel of a map that is not `axis`-aligned takes sxf = float(sx),
// ix = floor(sxf), ax = sxf - ix (likewise y); any other pixel ix = fx, ax = float(sx - fx). If
// ix is outside [-1, w) or iy outside [-1, h) the pixel is bval[c]; else the samples p00 (ix,
// iy), p01 (ix + 1, iy), p10 (ix, iy + 1), p11 (ix + 1, iy + 1), each bval[c] when outside, are
// lerped in float32 with fma: axis: v0 = fma(ax, p01 - p00, p00), v1 = fma(ax, p11 - p10, p10),
// v = fma(ay, v1 - v0, v0); else v0 = fma(ay, p10 - p00, p00), v1 = fma(ay, p11 - p01, p01),
// v = fma(ax, v1 - v0, v0); dst[c * n + x] = v rounded half to even, saturated to 0..255.
using WarpIppU8 = void (*)(const uint8_t* src, int64_t stride, int64_t w, int64_t h,
                           int64_t channels, const double* m, double ry, double rv, bool axis,
                           int64_t n, const uint8_t* bval, uint8_t* dst);

// Pillow's Image.transform(AFFINE, BILINEAR) of one output row (convention 'pillow'), on a
// uint8 image of h x w pixels of `channels` (1, 3 or 4: L, RGB, RGBA) interleaved bytes, rows
// `stride` (> 0) bytes apart. For x < n, in double, never fused: X = x + 0.5, xin = (m[0] X +
// ry) + m[2], yin = (m[3] X + rv) + m[5] (ry = m[1] (y + 0.5), rv = m[4] (y + 0.5)); unless
// 0 <= xin < w and 0 <= yin < h the pixel is fill[c]. Else xin -= 0.5, yin -= 0.5, x0 =
// floor(xin), dx = xin - x0 (y0, dy likewise); columns xc0 = clamp(x0, 0, w - 1), xc1 =
// clamp(x0 + 1, 0, w - 1), row r0 = clamp(y0, 0, h - 1); v1 = a0 + (b0 - a0) dx from row r0's
// samples at xc0 and xc1, v2 the same from row y0 + 1 when it is inside, else v1; dst[c n + x] =
// v1 + (v2 - v1) dy truncated. RGBA: samples premultiplied first (MULDIV255: t = c a + 128,
// ((t >> 8) + t) >> 8), the result (the fill too) unpremultiplied, min(255, 255 c / a) for
// alpha a other than 0 and 255.
using WarpPillowU8 = void (*)(const uint8_t* src, int64_t stride, int64_t w, int64_t h,
                              int64_t channels, const double* m, double ry, double rv, int64_t n,
                              const uint8_t* fill, uint8_t* dst);

// cv::remap of one output row on float32 maps (cv2.warpPolar, convention 'opencv'), OpenCV 5's
// float kernels for 1, 3 or 4 uint8 channels of h x w pixels, rows `stride` (> 0) bytes apart.
// For x < n: a map value that is not finite or whose floor (bilinear) / value rounded half to
// even (nearest) is beyond int32 puts the pixel outside. Nearest: the pixel at the rounded
// position when inside the image, else bval[c]. Bilinear: ix = floor(mx[x]), ax = mx[x] - ix
// (float32; likewise y); unless ix is in [-1, w) and iy in [-1, h) the pixel is bval[c]; else
// the samples (bval[c] outside) lerped v0 = fma(ax, p01 - p00, p00), v1 = fma(ax, p11 - p10,
// p10), fma(ay, v1 - v0, v0) in float32, rounded half to even, saturated; dst[c * n + x].
using RemapU8 = void (*)(const uint8_t* src, int64_t stride, int64_t w, int64_t h, int64_t channels,
                         const float* mx, const float* my, int64_t n, bool nearest,
                         const uint8_t* bval, uint8_t* dst);

// A nearest warp's row from per-pixel source indices (the named conventions' engines compute
// them): for x < n, dst[c * plane_stride + x] = src[yi[x] * stride + xi[x] * channels + c] when
// xi[x] >= 0 and yi[x] >= 0 (the pixel is then inside the image), else fill[c]; `total` bytes
// are readable from src ((h - 1) * stride + w * channels); channels 1..4 (more: any).
using Gather2dU8 = void (*)(const uint8_t* src, int64_t stride, int64_t channels, int64_t total,
                            const int32_t* xi, const int32_t* yi, int64_t n, const uint8_t* fill,
                            uint8_t* dst, int64_t plane_stride);

// The nearest resize's row (one tap each way, uint8, no colour): sampling and normalize_u8 in
// one step. For x < n, dst[c * plane_stride + x] = row[start[x] * C + c] * a[c] + b[c] (a float32
// multiply then a float32 add, never fused: NormalizeU8Row's bits), start[x] in [0, width);
// nothing outside row[0, width * C) is read; plane_stride may be negative.
using GatherNormalizeU8 = void (*)(const uint8_t* row, int64_t width, int64_t channels,
                                   const int32_t* start, int64_t n, const float* a, const float* b,
                                   float* dst, int64_t plane_stride);
// The named conventions' nearest row: the sampled uint8 levels themselves, planar. For x < n,
// dst[c * plane_stride + x] = row[start[x] * C + c]; reads as GatherNormalizeU8; plane_stride
// may be negative.
using GatherU8 = void (*)(const uint8_t* row, int64_t width, int64_t channels, const int32_t* start,
                          int64_t n, uint8_t* dst, int64_t plane_stride);

struct KernelTable {
  Isa isa = Isa::scalar;
  // Whether the driver should have bilinear2_fixed and resize_v_fixed_levels map the named
  // conventions' levels to floats in the kernel (every table's kernels can; false where that
  // would only write uint8 planes and run levels_f32 on them, which the driver does itself with
  // its own buffer: kernels own no memory).
  bool fuse_levels = true;
  NormalizeU8Row normalize_u8 = nullptr;
  NormalizeF32Row normalize_f32 = nullptr;
  ResizeH resize_h = nullptr;
  ResizeHAffine resize_h_affine = nullptr;                         // may be null
  ResizeHMix resize_h_mix = nullptr;                               // may be null
  ResizeHAffineF16 resize_h_affine_f16 = nullptr;                  // may be null
  ResizeHInterleavedAffine resize_h_interleaved_affine = nullptr;  // may be null
  ResizeV resize_v = nullptr;
  StoreU8 store_u8 = nullptr;
  StoreHalf store_f16 = nullptr;
  StoreHalf store_bf16 = nullptr;
  NormalizeU8Half normalize_u8_half = nullptr;  // may be null
  AffineHalf affine_half = nullptr;             // may be null
  LookupU8U16 lookup_u8_u16 = nullptr;          // may be null
  ResizeVFixed resize_v_fixed = nullptr;
  StatsU8 stats_u8 = nullptr;
  StatsF32 stats_f32 = nullptr;
  StatsPixelU8 stats_pixel_u8 = nullptr;
  StatsPixelF32 stats_pixel_f32 = nullptr;
  StatsU16 stats_u16 = nullptr;
  StatsPixelU16 stats_pixel_u16 = nullptr;
  NormalizePixelF32 normalize_pixel = nullptr;
  NormalizePixelU8 normalize_pixel_u8 = nullptr;
  LevelsF32 levels_f32 = nullptr;
  Bilinear2U8 bilinear2_u8 = nullptr;
  Bilinear2Fixed bilinear2_fixed = nullptr;
  ResizeVU8Int resize_v_u8_int = nullptr;
  ResizeHInterleaved resize_h_interleaved = nullptr;
  ResizeHU8Fixed resize_h_u8_fixed = nullptr;
  ResizeVFixedLevels resize_v_fixed_levels = nullptr;
  ResizeHU8Fixed2 resize_h_u8_fixed2 = nullptr;
  ResizeHU8Digits resize_h_u8_digits = nullptr;  // may be null
  ResizeHU8Sums resize_h_u8_sums = nullptr;
  ResizeVSumsU8 resize_v_sums_u8 = nullptr;
  ResizeVU8Planar resize_v_u8_planar = nullptr;  // may be null
  ResizeHColumns resize_h_columns = nullptr;     // may be null (with the two below)
  Transpose16 transpose16 = nullptr;
  Untranspose16 untranspose16 = nullptr;
  ResizeVU8 resize_v_u8 = nullptr;
  LumaU8Row luma_u8 = nullptr;
  LumaPlanes luma_planes = nullptr;
  MixAffine mix_affine = nullptr;
  MixFolded mix_folded = nullptr;
  ConvertU8 convert_u8 = nullptr;
  WarpBilinearU8 warp_bilinear_u8 = nullptr;
  WarpNearestU8 warp_nearest_u8 = nullptr;
  GatherNormalizeU8 gather_normalize_u8 = nullptr;
  GatherU8 gather_u8 = nullptr;
  WarpIppU8 warp_ipp_u8 = nullptr;
  Gather2dU8 gather2d_u8 = nullptr;
  WarpPillowU8 warp_pillow_u8 = nullptr;
  WarpF32 warp_bilinear_f32 = nullptr;
  WarpF32 warp_nearest_f32 = nullptr;
  RemapU8 remap_u8 = nullptr;
  StoreU8Hwc store_u8_hwc = nullptr;
  InterleaveU8 interleave_u8 = nullptr;
  InterleaveF32 interleave_f32 = nullptr;
  WarpTorchU8 warp_torch_u8 = nullptr;
};

const KernelTable& active_kernels();
const KernelTable& kernels_for(Isa isa);  // throws like set_active_isa

}  // namespace pixnorm
