// AVX-512 kernels: the avx512 table (x86-64-v4: F, BW, DQ, VL, nothing beyond) and, at the end in
// its own target region, the avx512icl table (that table plus kernels using AVX512-VBMI and
// AVX512-VNNI, which dispatch.cpp checks at run time before choosing it).
// Every kernel's contract is in kernels/table.hpp; each gives the scalar table's bits: float32
// products and sums in the stated order, never fused (FMA only in levels_f32's checked
// corrected quotients, and in torch's gray, whose definition is two fused steps), exact integer
// sums in the fixed-point kernels.
// One translation unit per ISA: the kernels, by operation family, are in kernels/<family>/
// avx512.inc and avx512icl.inc, included below in their target regions after the helpers.
#include <immintrin.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
// GCC 12's AVX-512 headers pass _mm512_undefined_*() as masked-off sources and then warn that
// they "may be used uninitialized" (GCC bug 105593, fixed in GCC 13). Nothing of ours is involved.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "kernels.hpp"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c,bmi2")

namespace pixnorm::kernels {
namespace {

inline __mmask64 bytes_mask(int64_t n) {  // n in [0, 64]
  return n >= 64 ? ~__mmask64{0} : ((__mmask64{1} << n) - 1);
}
inline __mmask16 lanes_mask(int64_t n) {  // n in [0, 16]
  return static_cast<__mmask16>(n >= 16 ? 0xFFFF : ((1u << n) - 1));
}

// Calls step(x, n) over the row in steps of n <= 16 pixels: first a short step up to the next
// 64-byte boundary of dst (stores that straddle cache lines cost twice as much), then full steps,
// then the remainder. step handles n < 16 with masks.
template <class Step>
inline void steps(const float* dst, int64_t width, Step&& step) {
  int64_t x = 0;
  const int64_t mis = static_cast<int64_t>((reinterpret_cast<uintptr_t>(dst) >> 2) & 15u);
  if (mis) {
    const int64_t n = 16 - mis < width ? 16 - mis : width;
    step(x, n);
    x += n;
  }
  for (; x + 16 <= width; x += 16) step(x, 16);
  if (x < width) step(x, width - x);
}

inline void put(float* d, __m512 v, __m512 a, __m512 b, int64_t n) {
  const __m512 r = _mm512_add_ps(_mm512_mul_ps(v, a), b);
  if (n == 16)
    _mm512_storeu_ps(d, r);
  else
    _mm512_mask_storeu_ps(d, lanes_mask(n), r);
}

// The order matters: each part uses the ones before it.
// clang-format off
#include "normalize/avx512.inc"
#include "resize_generic.inc"
#include "resize_float/avx512.inc"
#include "bilinear/avx512.inc"
#include "resize_fixed/avx512.inc"
#include "stats/avx512.inc"
#include "store/avx512.inc"
#include "warp/avx512.inc"
// clang-format on

}  // namespace
}  // namespace pixnorm::kernels

#pragma GCC pop_options

// ---- AVX512-VBMI and AVX512-VNNI (table avx512icl: the avx512 table plus these) ---------------
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx512vbmi,avx512vnni,avx2,fma,f16c,bmi2")

namespace pixnorm::kernels {
namespace {

// The order matters: each part uses the ones before it.
// clang-format off
#include "resize_fixed/avx512icl.inc"
#include "bilinear/avx512icl.inc"
#include "stats/avx512icl.inc"
#include "color/avx512icl.inc"
#include "store/avx512icl.inc"
// clang-format on

}  // namespace
}  // namespace pixnorm::kernels

#pragma GCC pop_options

// ---- AVX512-BF16 (the avx512icl table's bfloat16 stores, where the CPU has it) ---------------
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx512bf16,avx2,fma,f16c,bmi2")

namespace pixnorm::kernels {
namespace {

// clang-format off
#include "store/avx512bf16.inc"
// clang-format on

}  // namespace
}  // namespace pixnorm::kernels

#pragma GCC pop_options

namespace pixnorm::kernels {
namespace {

// Outside the target regions: built at compile time, callable on any CPU.
constexpr KernelTable avx512_kernels() {
  KernelTable k = generic_kernels(Isa::avx512);
  k.normalize_u8 = &u8_row;
  k.normalize_f32 = &f32_row;
  k.resize_h = &resize_h;
  k.resize_h_affine = &resize_h_affine;
  k.resize_h_mix = &resize_h_mix;
  k.resize_h_affine_f16 = &resize_h_affine_f16;
  k.resize_v = &resize_v;
  k.resize_v_fixed = &resize_v_fixed;
  k.stats_u8 = &stats_u8;
  k.stats_f32 = &stats_f32;
  k.stats_pixel_u8 = &stats_pixel_u8;
  k.normalize_pixel = &normalize_pixel;
  k.normalize_pixel_u8 = &normalize_pixel_u8;
  k.levels_f32 = &levels_f32;
  k.bilinear2_u8 = &bilinear2_u8;
  k.bilinear2_fixed = &bilinear2_fixed;
  k.resize_v_u8_int = &resize_v_u8_int;
  k.resize_h_interleaved = &resize_h_interleaved;
  k.resize_h_interleaved_affine = &resize_h_interleaved_affine;
  k.resize_h_columns = &resize_h_columns;
  k.transpose16 = &transpose16;
  k.untranspose16 = &untranspose16;
  k.resize_h_u8_fixed = &resize_h_u8_fixed;
  k.resize_v_fixed_levels = &plain::resize_v_fixed_levels;
  k.resize_h_u8_fixed2 = &resize_h_u8_fixed2;
  k.resize_h_u8_sums = &resize_h_u8_sums;
  k.resize_v_sums_u8 = &resize_v_sums_u8;
  k.resize_v_u8 = &resize_v_u8;
  k.store_f16 = &store_f16;
  k.store_bf16 = &store_bf16;
  k.store_u8 = &store_u8;
  k.normalize_u8_half = &u8_row_half;
  k.affine_half = &affine_half;
  k.warp_bilinear_u8 = &warp_bilinear_u8;
  k.warp_nearest_u8 = &warp_nearest_u8;
  k.warp_torch_u8 = &warp_torch_u8;
  k.gather_normalize_u8 = &gather_normalize_u8;
  k.gather_u8 = &gather_u8;
  k.warp_ipp_u8 = &warp_ipp_u8;
  k.gather2d_u8 = &gather2d_u8;
  k.warp_pillow_u8 = &warp_pillow_u8;
  k.warp_bilinear_f32 = &warp_bilinear_f32;
  k.warp_nearest_f32 = &warp_nearest_f32;
  k.remap_u8 = &remap_u8;
  k.store_u8_hwc = &store_u8_hwc;
  k.interleave_u8 = &interleave_u8;
  k.interleave_f32 = &interleave_f32;
  return k;
}

// The avx512 table with the kernels that gain from VBMI byte permutes and VNNI dot products.
constexpr KernelTable avx512icl_kernels() {
  KernelTable k = avx512_kernels();
  k.isa = Isa::avx512icl;
  k.bilinear2_u8 = &bilinear2_u8_vbmi;
  k.bilinear2_fixed = &bilinear2_fixed_vbmi;
  k.resize_h_u8_digits = &resize_h_u8_digits_vbmi;
  k.resize_v_u8_int = &vnni::resize_v_u8_int;
  k.resize_v_u8_planar = &resize_v_u8_planar_vbmi;
  k.resize_v_fixed = &resize_v_fixed_vbmi;
  k.resize_v_fixed_levels = &resize_v_fixed_levels_vbmi;
  k.stats_u8 = &stats_u8_vnni;
  k.luma_u8 = &luma_u8_vbmi;
  k.convert_u8 = &convert_u8_vbmi;
  k.lookup_u8_u16 = &lookup_u8_u16_vbmi;
  return k;
}

}  // namespace
}  // namespace pixnorm::kernels

const pixnorm::KernelTable& pixnorm::kernels::table_avx512() {
  static constexpr KernelTable t = avx512_kernels();
  return t;
}

const pixnorm::KernelTable& pixnorm::kernels::table_avx512icl() {
  // AVX512-BF16 is not part of the avx512icl level (Ice Lake has VBMI and VNNI without it): its
  // bfloat16 stores replace the integer rounding only where the CPU has it. The avx512 table
  // keeps the integer rounding, so the kernel check runs both on such a CPU.
  static const KernelTable t = [] {
    KernelTable k = avx512icl_kernels();
    if (__builtin_cpu_supports("avx512bf16")) {
      k.store_bf16 = &ne::store_bf16;
      k.normalize_u8_half = &ne::u8_row_half;
      k.affine_half = &ne::affine_half;
    }
    return k;
  }();
  return t;
}
