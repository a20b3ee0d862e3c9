// NEON kernels (aarch64, where Advanced SIMD is part of the base ISA: no target region needed).
// Contract as in scalar.cpp: HWC row in, C planar rows out, out = float(x) * a + b as a float32
// multiply then add (vmulq then vaddq, never vfmaq; the build passes -ffp-contract=off), so the
// results are bit-identical to scalar and to the x86 paths.
// uint8: vld1q/vld3q/vld4q load 16 pixels and de-interleave channels in the load itself; each
// channel is widened u8 -> u16 -> u32, converted and scaled. Remainders run one pixel at a time.
#include <arm_neon.h>

#include <cmath>
#include <cstdint>

#include "kernels.hpp"

namespace pixnorm::kernels {
namespace {

inline void store16(uint8x16_t v, float* d, float a, float b) {
  const float32x4_t va = vdupq_n_f32(a), vb = vdupq_n_f32(b);
  const uint16x8_t lo = vmovl_u8(vget_low_u8(v)), hi = vmovl_u8(vget_high_u8(v));
  const uint32x4_t w[4] = {vmovl_u16(vget_low_u16(lo)), vmovl_u16(vget_high_u16(lo)),
                           vmovl_u16(vget_low_u16(hi)), vmovl_u16(vget_high_u16(hi))};
  for (int k = 0; k < 4; ++k)
    vst1q_f32(d + 4 * k, vaddq_f32(vmulq_f32(vcvtq_f32_u32(w[k]), va), vb));
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
    for (; x + 16 <= width; x += 16) store16(vld1q_u8(src + x), dst + x, a[0], b[0]);
  } else if (channels == 3) {
    for (; x + 16 <= width; x += 16) {
      const uint8x16x3_t v = vld3q_u8(src + 3 * x);
      for (int c = 0; c < 3; ++c) store16(v.val[c], dst + c * plane_stride + x, a[c], b[c]);
    }
  } else if (channels == 4) {
    for (; x + 16 <= width; x += 16) {
      const uint8x16x4_t v = vld4q_u8(src + 4 * x);
      for (int c = 0; c < 4; ++c) store16(v.val[c], dst + c * plane_stride + x, a[c], b[c]);
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
    const float32x4_t va = vdupq_n_f32(a[0]), vb = vdupq_n_f32(b[0]);
    for (; x + 4 <= width; x += 4)
      vst1q_f32(dst + x, vaddq_f32(vmulq_f32(vld1q_f32(src + x), va), vb));
  } else if (channels == 3) {
    for (; x + 4 <= width; x += 4) {
      const float32x4x3_t v = vld3q_f32(src + 3 * x);
      for (int c = 0; c < 3; ++c)
        vst1q_f32(dst + c * plane_stride + x,
                  vaddq_f32(vmulq_f32(v.val[c], vdupq_n_f32(a[c])), vdupq_n_f32(b[c])));
    }
  } else if (channels == 4) {
    for (; x + 4 <= width; x += 4) {
      const float32x4x4_t v = vld4q_f32(src + 4 * x);
      for (int c = 0; c < 4; ++c)
        vst1q_f32(dst + c * plane_stride + x,
                  vaddq_f32(vmulq_f32(v.val[c], vdupq_n_f32(a[c])), vdupq_n_f32(b[c])));
    }
  } else {
    normalize_f32_row_generic(src, width, channels, a, b, dst, plane_stride);
    return;
  }
  tail(src, x, width, channels, a, b, dst, plane_stride);
}

#include "resize_generic.inc"

}  // namespace

const KernelTable& table_neon() {
  static constexpr KernelTable t = [] {
    KernelTable k = generic_kernels(Isa::neon);
    k.normalize_u8 = &u8_row;
    k.normalize_f32 = &f32_row;
    return k;
  }();
  return t;
}

}  // namespace pixnorm::kernels
