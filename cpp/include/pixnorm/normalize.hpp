// Per-channel normalize (HWC -> CHW, x * scale / std - mean / std): the C++ API the bindings
// call. Sizes and parameters are validated here: bad values throw std::invalid_argument
// (-> ValueError) or std::overflow_error (-> OverflowError), each message naming the argument.
// Kernels never see invalid input.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pixnorm/image_view.hpp"
#include "pixnorm/interrupt.hpp"

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

// Writes the C-contiguous float32 (N, C, H, W) result into `out`. Uses up to `nthreads` threads
// when the work is large enough. Thread-safe; once arguments are valid, throws only what
// `interrupt` throws (called between pieces of whole images, see interrupt.hpp).
void normalize(const ImageView& src, const ChannelAffine& p, float* out, int nthreads,
               const Interrupt& interrupt = {});

}  // namespace pixnorm
