// Colour conversion inside the pass (issue 14): what `color=` means, in each convention.
//
//  - none:  the channels as given.
//  - rgb:   3 channels: the first 3 of RGB or RGBA (alpha dropped), or a gray image repeated.
//  - bgr:   rgb reversed (read in place: a channel stride of -1).
//  - gray:  1 channel, luma of the first 3 channels (a 1-channel image is kept as it is).
//  - gray3: gray repeated in 3 channels (torchvision Grayscale(num_output_channels=3)).
//  - ycbcr: full-range YCbCr (JPEG, ITU-T T.871; Pillow's "YCbCr"), always in Y, Cb, Cr order.
//  - yuv:   OpenCV's COLOR_RGB2YUV (U = 0.492 (B - Y), V = 0.877 (R - Y), plus the offset).
//
// Where each runs: rgb and bgr are views (free, exact, every convention). The others:
//  - pixnorm's convention mixes the channels in float32 after resizing (the conversions are
//    linear, so that gives the values of converting first, up to float32 rounding):
//    out[c] = sum_k m[c][k] * v[k] + offset[c], each product rounded then added in ascending k,
//    then the offset; m is the float64 matrix rounded to float32 once, and the offset is 128
//    for uint8 input (levels) or, for float32 input, 0.5 once scaled (0.5 / scale in the
//    input's units: OpenCV's 0.5 for values in [0, 1], 127.5 for 0-255 floats with
//    scale = 1/255).
//  - the named conventions convert each uint8 source row first, with the library's own integer
//    arithmetic, then resize (as cvtColor / Image.convert / rgb_to_grayscale then resize).
#pragma once

#include <cstdint>

#include "pixnorm/image_view.hpp"

namespace pixnorm {

enum class Convention : int;  // pixnorm/resize.hpp

enum class Color : int { none = 0, rgb = 1, bgr = 2, gray = 3, gray3 = 4, ycbcr = 5, yuv = 6 };

// "rgb", "bgr", ... (the Python API spells none as None).
const char* color_name(Color c);

// The channels `color` gives from an image of `channels` channels; throws std::invalid_argument
// naming `color` when the conversion does not fit the channel count (rgb, bgr, gray and gray3
// take 1, 3 or 4 channels; ycbcr and yuv take 3 or 4).
int64_t color_channels(Color color, int64_t channels);

// Throws unless `convention` defines `color` (torch has no YCbCr or YUV; Pillow has no YUV) on
// an image of `channels` channels.
void check_color(Color color, Convention convention, int64_t channels);

// The view the colour step reads: for every colour but none, the first 3 channels of a 3- or
// 4-channel image, reversed for bgr; otherwise `v` itself.
ImageView color_source(const ImageView& v, Color color);

}  // namespace pixnorm
