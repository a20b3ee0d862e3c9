// Portable kernels: the reference every SIMD table is tested against, and the fallback for
// channel counts without a dedicated SIMD path.
//
// Layout: src is one row of `width` pixels with `channels` interleaved elements (HWC), packed;
// dst[c * plane_stride + x] is the planar (CHW) output row of channel c.
// Precision: out = float(x) * a[c] + b[c] as one float32 multiply and one float32 add, each
// rounded to nearest even. The build passes -ffp-contract=off so the compiler never fuses them:
// every ISA then gives bit-identical results.
#include <cmath>
#include <cstdint>

#include "kernels.hpp"

namespace pixnorm::kernels {

namespace {

template <class T>
void row_generic(const T* src, int64_t width, int64_t channels, const float* a, const float* b,
                 float* dst, int64_t plane_stride) {
  for (int64_t c = 0; c < channels; ++c) {
    const float ac = a[c], bc = b[c];
    const T* s = src + c;
    float* d = dst + c * plane_stride;
    for (int64_t x = 0; x < width; ++x) d[x] = static_cast<float>(s[x * channels]) * ac + bc;
  }
}

#include "resize_generic.inc"

}  // namespace

void normalize_u8_row_generic(const uint8_t* src, int64_t width, int64_t channels, const float* a,
                              const float* b, float* dst, int64_t plane_stride) {
  row_generic(src, width, channels, a, b, dst, plane_stride);
}

void normalize_f32_row_generic(const float* src, int64_t width, int64_t channels, const float* a,
                               const float* b, float* dst, int64_t plane_stride) {
  row_generic(src, width, channels, a, b, dst, plane_stride);
}

const KernelTable& table_scalar() {
  static const KernelTable t{Isa::scalar,
                             &normalize_u8_row_generic,
                             &normalize_f32_row_generic,
                             &resize_h_impl,
                             &resize_v_impl,
                             &store_u8_impl,
                             &resize_v_fixed_impl,
                             &stats_u8_generic,
                             &stats_f32_generic,
                             &stats_pixel_u8_generic,
                             &stats_pixel_f32_generic,
                             &normalize_pixel_generic,
                             &levels_f32_impl,
                             &bilinear2_u8_impl,
                             &bilinear2_fixed_impl,
                             &resize_v_u8_int_impl,
                             &resize_h_interleaved_impl,
                             &resize_h_u8_fixed_impl,
                             &resize_v_fixed_levels_impl,
                             &resize_h_u8_fixed2_impl,
                             nullptr,  // resize_h_u8_digits: resize_h_u8_fixed2 is as fast here
                             nullptr,  // resize_v_u8_planar: likewise resize_v_u8_int
                             &resize_v_u8_impl};
  return t;
}

}  // namespace pixnorm::kernels
