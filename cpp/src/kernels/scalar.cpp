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
  static constexpr KernelTable t = generic_kernels(Isa::scalar);
  return t;
}

}  // namespace pixnorm::kernels
