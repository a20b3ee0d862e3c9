// A non-owning view of a batch of interleaved images, (N, H, W, C), with byte strides.
// Any stride may be negative or zero; `data` points at element (0, 0, 0, 0). No Python here.
#pragma once

#include <cstdint>

namespace pixnorm {

// uint16 (16-bit PNG, medical images) is read as float32 rows (exact): pixnorm's float
// arithmetic and OpenCV's 16-bit resize take it; the other named conventions refuse it.
enum class DType : int { u8 = 0, f32 = 1, u16 = 2 };

inline int64_t itemsize(DType t) { return t == DType::u8 ? 1 : t == DType::u16 ? 2 : 4; }
inline const char* dtype_name(DType t) {
  return t == DType::u8 ? "uint8" : t == DType::u16 ? "uint16" : "float32";
}

struct ImageView {
  const void* data = nullptr;
  DType dtype = DType::u8;
  int64_t n = 1, height = 0, width = 0, channels = 0;
  int64_t stride_n = 0, stride_y = 0, stride_x = 0, stride_c = 0;  // in bytes

  const unsigned char* byte_ptr(int64_t i, int64_t y, int64_t x, int64_t c) const {
    return static_cast<const unsigned char*>(data) + i * stride_n + y * stride_y + x * stride_x +
           c * stride_c;
  }
  // True when one row's W*C elements are packed, in order, with no gaps.
  bool rows_packed() const {
    const int64_t s = itemsize(dtype);
    return (channels == 1 || stride_c == s) && (width == 1 || stride_x == channels * s);
  }
};

// [lo, hi): the bytes a view can touch, computed from the strides (negative ones included).
struct ByteExtent {
  uintptr_t lo = 0, hi = 0;
};
ByteExtent extent_of(const ImageView& v);

}  // namespace pixnorm
