// Internal helpers for operations that walk image rows: gathering a strided row into packed HWC
// order, so kernels only ever see packed rows.
#pragma once

#include <cstdint>
#include <cstring>

namespace pixnorm::rows {

// Copies `width` pixels of one row of a strided view (pixel stride sx, channel stride sc, in
// bytes) into packed HWC order. T is the element type; C > 0 is a compile-time channel count
// (0: use `channels`).
template <class T, int C>
void gather_row(const unsigned char* row, int64_t width, int64_t channels, int64_t sx, int64_t sc,
                unsigned char* out) {
  const int64_t nc = C > 0 ? C : channels;
  for (int64_t x = 0; x < width; ++x) {
    const unsigned char* p = row + x * sx;
    unsigned char* q = out + x * nc * static_cast<int64_t>(sizeof(T));
    for (int64_t c = 0; c < nc; ++c)
      std::memcpy(q + c * static_cast<int64_t>(sizeof(T)), p + c * sc, sizeof(T));
  }
}

template <class T>
void gather_any(const unsigned char* row, int64_t width, int64_t channels, int64_t sx, int64_t sc,
                unsigned char* out) {
  switch (channels) {
    case 1: return gather_row<T, 1>(row, width, 1, sx, sc, out);
    case 3: return gather_row<T, 3>(row, width, 3, sx, sc, out);
    case 4: return gather_row<T, 4>(row, width, 4, sx, sc, out);
    default: return gather_row<T, 0>(row, width, channels, sx, sc, out);
  }
}

}  // namespace pixnorm::rows
