// The output formats of normalize and preprocess: the element type and the layout the float32
// result is written in. float32 in (C, H, W) planes is what the arithmetic computes; every other
// format is that result converted once per row while it is still in cache (cpp/src/store.hpp),
// never a second pass over the output.
#pragma once

#include <cstdint>

namespace pixnorm {

// float32; float16 and bfloat16 (the float32 value rounded once to nearest-even, the bits of
// torch's .to(dtype)); uint8 (the value rounded to nearest-even and clamped to [0, 255]: only
// for outputs in level units, a preprocess without normalization).
// (u16: resize's output for uint16 images only, never a dtype= choice.)
enum class OutType : int { f32 = 0, f16 = 1, bf16 = 2, u8 = 3, u16 = 4 };
// chw: (C, H, W) planes, (N, C, H, W) for a batch; hwc: (H, W, C), (N, H, W, C).
enum class Layout : int { chw = 0, hwc = 1 };

struct OutFormat {
  OutType type = OutType::f32;
  Layout layout = Layout::chw;
  // float32 planes: the arithmetic writes the output itself.
  bool direct() const { return type == OutType::f32 && layout == Layout::chw; }
  int64_t itemsize() const { return type == OutType::f32 ? 4 : type == OutType::u8 ? 1 : 2; }
  // (f16, bf16 and u16 are 2 bytes)
};

// "float32", "float16", "bfloat16", "uint8"; "CHW", "HWC".
const char* out_type_name(OutType t);
const char* layout_name(Layout l);

}  // namespace pixnorm
