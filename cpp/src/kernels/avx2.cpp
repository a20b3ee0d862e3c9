// AVX2 kernels (x86-64-v3: AVX2, FMA, F16C, BMI2). Contracts in kernels/table.hpp, bit-identical to
// scalar: float32 products and sums in the stated order, never fused (the build passes
// -ffp-contract=off; the only FMA intrinsics are in levels_f32's corrected quotients, used only
// where level_params checked they equal the division), exact integer sums in the fixed-point
// kernels.
// One translation unit per ISA: the kernels, by operation family, are in kernels/<family>/avx2.inc,
// included below in the target region.
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,bmi2")

namespace pixnorm::kernels {
namespace {

// The order matters: each part uses the ones before it.
// clang-format off
#include "normalize/avx2.inc"
#include "resize_generic.inc"
#include "resize_float/avx2.inc"
#include "bilinear/avx2.inc"
#include "resize_fixed/avx2.inc"
#include "stats/avx2.inc"
#include "store/avx2.inc"
#include "warp/avx2.inc"
// clang-format on

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
    k.resize_h_affine = &resize_h_affine;
    k.resize_h_mix = &resize_h_mix;
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
    k.fuse_levels = false;  // no fused levels kernels: the driver maps the uint8 planes
    k.resize_h_u8_fixed2 = &resize_h_u8_fixed2;
    k.resize_h_u8_sums = &resize_h_u8_sums;
    k.store_f16 = &store_f16;
    k.store_bf16 = &store_bf16;
    k.store_u8 = &store_u8;
    k.warp_bilinear_u8 = &warp_bilinear_u8;
    k.warp_nearest_u8 = &warp_nearest_u8;
    k.warp_torch_u8 = &warp_torch_u8;
    k.gather_normalize_u8 = &gather_normalize_u8;
    k.gather_u8 = &gather_u8;
    k.store_u8_hwc = &store_u8_hwc;
    k.interleave_u8 = &interleave_u8;
    return k;
  }();
  return t;
}
