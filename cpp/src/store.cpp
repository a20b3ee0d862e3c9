#include "store.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "rows.hpp"

namespace pixnorm {

const char* out_type_name(OutType t) {
  switch (t) {
    case OutType::f32:
      return "float32";
    case OutType::f16:
      return "float16";
    case OutType::bf16:
      return "bfloat16";
    case OutType::u8:
      return "uint8";
    case OutType::u16:
      return "uint16";
  }
  return "?";
}

const char* layout_name(Layout l) { return l == Layout::chw ? "CHW" : "HWC"; }

float* staging_row(int64_t values) {
  thread_local std::vector<float> row;
  if (row.size() < static_cast<size_t>(values)) row.resize(static_cast<size_t>(values));
  return row.data();
}

void store_u16(const float* src, int64_t n, uint16_t* dst) {
  for (int64_t i = 0; i < n; ++i) {
    float v = src[i] > 0.0f ? src[i] : 0.0f;  // also maps NaN to 0
    v = v < 65535.0f ? v : 65535.0f;
    dst[i] = static_cast<uint16_t>(std::lrint(v));
  }
}

namespace {

// n float32 values -> the format's type at dst.
void convert(const KernelTable& k, OutType type, const float* src, int64_t n, void* dst) {
  switch (type) {
    case OutType::f32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      break;
    case OutType::f16:
      k.store_f16(src, n, static_cast<uint16_t*>(dst));
      break;
    case OutType::bf16:
      k.store_bf16(src, n, static_cast<uint16_t*>(dst));
      break;
    case OutType::u8:
      k.store_u8(src, n, static_cast<uint8_t*>(dst));
      break;
    case OutType::u16:
      store_u16(src, n, static_cast<uint16_t*>(dst));
      break;
  }
}

}  // namespace

void store_planes(const KernelTable& k, const OutTarget& t, int64_t y, const float* planes,
                  int64_t pstride, int64_t n) {
  const int64_t C = t.channels, isz = t.format.itemsize();
  auto* row = static_cast<unsigned char*>(t.row(y));
  if (t.format.layout == Layout::chw || C == 1) {
    for (int64_t c = 0; c < C; ++c)
      convert(k, t.format.type, planes + c * pstride, n, row + c * t.plane_stride * isz);
    return;
  }
  if (t.format.type == OutType::u8) {  // rounded, clamped and interleaved in one kernel
    k.store_u8_hwc(planes, pstride, C, n, 1.0f, row);
    return;
  }
  // HWC: the planes interleaved (interleave_f32), then converted in one run
  if (t.format.type == OutType::f32) {
    k.interleave_f32(planes, pstride, C, n, reinterpret_cast<float*>(row));
    return;
  }
  thread_local std::vector<float> mixed;
  mixed.resize(static_cast<size_t>(n * C));
  k.interleave_f32(planes, pstride, C, n, mixed.data());
  convert(k, t.format.type, mixed.data(), n * C, row);
}

void fill_span(const OutTarget& t, int64_t y, int64_t x0, int64_t n, const float* value) {
  const KernelTable& k = active_kernels();
  const int64_t C = t.channels, isz = t.format.itemsize();
  auto* row = static_cast<unsigned char*>(t.row(y));
  for (int64_t c = 0; c < C; ++c) {
    unsigned char bits[4];
    convert(k, t.format.type, value + c, 1, bits);
    const bool hwc = t.format.layout == Layout::hwc;
    unsigned char* d = row + (hwc ? (x0 * C + c) : (c * t.plane_stride + x0)) * isz;
    const int64_t step = (hwc ? C : 1) * isz;
    if (isz == 4 && !hwc) {
      float v;
      std::memcpy(&v, bits, 4);
      std::fill(reinterpret_cast<float*>(d), reinterpret_cast<float*>(d) + n, v);
    } else if (isz == 1 && !hwc) {
      std::memset(d, bits[0], static_cast<size_t>(n));
    } else {
      for (int64_t x = 0; x < n; ++x) std::memcpy(d + x * step, bits, static_cast<size_t>(isz));
    }
  }
}

}  // namespace pixnorm
