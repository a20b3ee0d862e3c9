// Internal to the resize operation: how a job converts colour (pixnorm/color.hpp has the
// definitions): pixnorm's float32 mix after the resize, or a named convention's integer
// conversion of each uint8 source row as it is read.
#pragma once

#include <cstdint>

#include "pixnorm/color.hpp"
#include "pixnorm/image_view.hpp"
#include "pixnorm/resize.hpp"

namespace pixnorm {

struct ColorStep {
  Color color = Color::none;
  Convention convention = Convention::pixnorm;
  int64_t in = 0, out = 0;  // channels read (of color_source's view) and written
  // Named conventions: each source row is converted uint8 -> uint8 (convert_row_u8) before
  // the passes, which then filter `out` channels (on_rows), or the uint8 levels of each output
  // row after them (on_levels: torchvision's Resize then Grayscale). pixnorm: the passes
  // filter `in` channels and mix_planes maps them to `out` after the resize.
  bool on_rows = false, on_levels = false;
  float m[3][3] = {};            // pixnorm: out[c] = sum_k m[c][k] * v[k] + offset[c]
  double m64[3][3] = {};         // m before its rounding to float32 (for fold_mix)
  float offset[3] = {};          // 128 (uint8 levels) or 0.5 / scale (float32): the chroma channels
  int formula = 0;               // a named convention's (kernels/table.hpp, kColor*)
  const int32_t* lut = nullptr;  // its tables (Pillow's YCbCr, built once)
};

// The step of `color` in `convention` for an image of `channels` channels and `dtype`; null
// (nothing to do beyond color_source's view) for none, and for rgb, bgr and gray when the view
// already is the result. Throws as check_color.
// after_resize (named conventions): on_levels instead of on_rows. scale: the call's value
// scale; float32 input's chroma offset is 0.5 / scale in its units (0.5 once scaled).
const ColorStep* color_step(Color color, Convention convention, DType dtype, int64_t channels,
                            ColorStep& storage, bool after_resize = false, double scale = 1.0);

// on_rows: n pixels of step.in packed uint8 channels -> n pixels of step.out channels.
void convert_row_u8(const ColorStep& step, const uint8_t* src, int64_t n, uint8_t* dst);
// on_levels: step.in planes of n uint8 levels (plane c at src + c * n) -> step.out planes.
void convert_planes_u8(const ColorStep& step, const uint8_t* src, int64_t n, uint8_t* dst);

// pixnorm, gray and gray3 of 3 channels: the luma is mixed before filtering (one plane to
// filter instead of three), with the kernels luma_u8 / luma_planes (kernels/table.hpp: the
// arithmetic of mix_planes' first row); mix_affine mixes and normalizes in one pass.
bool mixes_luma_first(const ColorStep& step);

// pixnorm: step.in float32 planes of n values (plane c at src + c * src_stride) -> step.out
// planes (dst + c * dst_stride), with the matrix and offsets; dst never overlaps src.
void mix_planes(const ColorStep& step, const float* src, int64_t src_stride, int64_t n, float* dst,
                int64_t dst_stride);

// pixnorm, three planes mixed into float32 output planes mapped by x * a[c] + b[c] per output
// channel, the planes' values in units of `unit` (a power of two): the affine and the unit
// folded into the mix for mix_folded (kernels/table.hpp), each folded value computed in float64
// and rounded once to float32: mf[3 c + k] = m64[c][k] * a[c] * unit, of[c] = offset[c] * a[c]
// + b[c] (b[c] itself without an offset). The folded products m a x are formed before the
// channels cancel, so the fold is only for uint8 and uint16 images (`input`), whose filtered
// values (within 4 times their range, for the filters' overshoot) keep every partial sum below
// 2^126. False (mf, of unspecified) for float32 images, for a nonzero coefficient that would not
// fold to a normal float32 (a std near 1e35), or for a partial sum or offset beyond that bound
// (a std near 1e-34): the caller then keeps the unfolded arithmetic (mix_affine: the mix, then
// the affine).
bool fold_mix(const ColorStep& step, DType input, const float* a, const float* b, float unit,
              float* mf, float* of);

}  // namespace pixnorm
