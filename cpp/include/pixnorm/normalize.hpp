// Per-channel normalize (HWC -> CHW, x * scale / std - mean / std): the C++ API the bindings
// call. Sizes and parameters are validated here: bad values throw std::invalid_argument
// (-> ValueError) or std::overflow_error (-> OverflowError), each message naming the argument.
// Kernels never see invalid input.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pixnorm/color.hpp"
#include "pixnorm/image_view.hpp"
#include "pixnorm/interrupt.hpp"
#include "pixnorm/output.hpp"

namespace pixnorm {

// out = x * a[c] + b[c] per channel, with a = scale / std and b = -mean / std computed in double
// and rounded once to float32.
struct ChannelAffine {
  std::vector<float> a, b;
};

// `mean` and `std` have 1 (broadcast) or `channels` entries. Throws std::invalid_argument when a
// value is NaN, infinite after conversion to float32, std <= 0, or scale/std or mean/std
// overflows float32.
ChannelAffine make_channel_affine(const std::vector<double>& mean, const std::vector<double>& std,
                                  double scale, int64_t channels);

// Checks a view's sizes (non-zero, output byte count representable) and returns the number of
// float32 elements of the (N, C, H, W) output.
int64_t normalize_output_elements(const ImageView& src);

// Writes the C-contiguous result into `out`: float32 (N, C, H, W), or in `fmt` (output.hpp: its
// type, (N, H, W, C) for hwc; never uint8, which normalized values do not fit). Uses up to
// `nthreads` threads when the work is large enough. Thread-safe; once arguments are valid, throws
// only what `interrupt` throws (called between pieces of whole images, see interrupt.hpp). `color`
// (pixnorm/color.hpp, pixnorm's float32 arithmetic) converts first: the output then has its
// channels (color_channels), p one entry per output channel; `scale` (the one p was made with)
// places float32 input's chroma offset.
void normalize(const ImageView& src, const ChannelAffine& p, void* out, int nthreads,
               const Interrupt& interrupt = {}, Color color = Color::none, double scale = 1.0,
               OutFormat fmt = {});

// Per-pixel parameters: a = float32(scale / std) and b = float32(-mean / std) per element,
// computed in double, written C-contiguous (C, H, W). mean and std are read through element
// strides (0 for broadcast axes). Throws std::invalid_argument naming the first bad element
// ("std[c=1, y=2, x=3]: ...") under the same rules as make_channel_affine.
struct PlaneView {
  const double* data = nullptr;
  int64_t stride_c = 0, stride_y = 0, stride_x = 0;  // in elements
  double at(int64_t c, int64_t y, int64_t x) const {
    return data[c * stride_c + y * stride_y + x * stride_x];
  }
};
void make_pixel_affine(const PlaneView& mean, const PlaneView& std, double scale, int64_t channels,
                       int64_t height, int64_t width, float* a, float* b);

// Per-pixel normalize: out (N, C, H, W) = float32(x) * a + b with a and b float32 (C, H, W)
// planes, a float32 multiply then a float32 add (never fused), bit-identical on every ISA.
// a_per_channel: a holds C values, one per plane (std per channel with a mean image, the common
// case): the same bits, from half the coefficient bytes (x * a_c is the per-channel pass with
// b = -0, exact; then * 1 + b). `fmt` as normalize's.
void normalize_pixel(const ImageView& src, const float* a, const float* b, void* out, int nthreads,
                     const Interrupt& interrupt = {}, bool a_per_channel = false,
                     OutFormat fmt = {});

}  // namespace pixnorm
