// Affine warps fused with normalization (issue 16): each output pixel samples the source through
// an affine map, then the same arithmetic as preprocess writes it (normalized float planes, or
// another output format). Bad arguments throw std::invalid_argument or pixnorm::type_error,
// naming the argument, before any output is written.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "pixnorm/image_view.hpp"
#include "pixnorm/interrupt.hpp"
#include "pixnorm/output.hpp"
#include "pixnorm/resize.hpp"

namespace pixnorm {

enum class WarpFilter : int { nearest = 0, bilinear = 1 };

// One image (n == 1), H x W x C, warped to height x width.
//
// `matrix` is the convention's own map from output to source coordinates (six doubles, row
// major):
//  - pixnorm and opencv: OpenCV's inverse map (cv2.warpAffine with WARP_INVERSE_MAP): output
//    pixel (x, y) (integer coordinates at pixel centres) samples the source at
//    (m0 x + m1 y + m2, m3 x + m4 y + m5);
//  - pillow: Pillow's Image.transform(AFFINE) data (coordinates of pixel areas: output pixel x
//    covers [x, x + 1), its centre x + 0.5 maps to m0 (x + 0.5) + m1 (y + 0.5) + m2).
//
// What each convention computes (docs/warp-conventions.md):
//  - pixnorm (uint8 or float32): the source position in double; nearest takes the pixel at
//    floor(u + 0.5), floor(v + 0.5); bilinear weights (1 - fx, fx) x (1 - fy, fy) from the
//    fraction in double, rounded to float32, the four products summed in float32 in the order
//    p00, p01, p10, p11; a sample outside the image is `fill`; a pixel whose four samples (or
//    whose one sample) are all outside is `fill` exactly. Then x * a[c] + b[c] (normalize).
//  - opencv (uint8, 2 channels): cv2.warpAffine(BORDER_CONSTANT) with OpenCV's fixed-point
//    tables (with 1, 3 or 4 channels the wheels run Intel IPP, whose tie rule is not matched:
//    refused). Then torchvision's float32 arithmetic on the levels.
//  - pillow (uint8, 1, 3 or 4 channels: L, RGB, RGBA): Image.transform(AFFINE) (its three
//    nearest engines, its double bilinear truncated to uint8, RGBA premultiplied for
//    bilinear). Then the levels' arithmetic.
struct WarpRequest {
  ImageView image;
  std::array<double, 6> matrix = {1, 0, 0, 0, 1, 0};
  int64_t height = 0, width = 0;
  WarpFilter filter = WarpFilter::bilinear;
  Convention convention = Convention::pixnorm;
  std::vector<double> fill;  // C values in the image's units (uint8 levels or float values)
  std::vector<double> mean = {0.0}, std = {1.0};
  double scale = 1.0;
  double divisor = 0.0;  // > 0 (named conventions): float32(x) / divisor, as ToTensor
  OutFormat format;
  // warp_polar instead of the matrix (cv2.warpPolar with WARP_FILL_OUTLIERS; `polar` true):
  // forward, output (x, y) samples the source at centre + rho (cos phi, sin phi), phi =
  // 2 pi y / height, rho = max_radius x / width, or with `polar_log` exp(ln(max_radius) x /
  // width) - 1; inverse, output (x, y) at distance rho and angle phi in [0, 2 pi) from the centre
  // samples the polar source at (rho w / max_radius or ln(rho + 1) w / ln(max_radius), phi h /
  // (2 pi)), its rows wrapping around (w x h: the source). pixnorm: those positions in double,
  // then its sampling; opencv (forward): OpenCV's float32 maps and cv::remap (OpenCV 5's float
  // kernel for 1, 3, 4 channels, the fixed-point tables for 2).
  bool polar = false, polar_log = false, polar_inverse = false;
  double center_x = 0.0, center_y = 0.0, max_radius = 0.0;
  // torch (uint8): torchvision v2's rotate / affine on uint8 tensors (docs/warp-conventions.md).
  // `matrix` holds its float32 grid coefficients (A00, A10, A20, A01, A11, A21: grid x = bx A00
  // + by A10 + A20, grid y = bx A01 + by A11 + A21, (bx, by) the output pixel relative to the
  // output's centre); torch_small: the grid in the naive batched-matmul order (3 * 2 * oh * ow <
  // 400) rather than MKL's sgemm (one fma); torch_fill: an explicit fill, blended through a mask
  // plane ((v - fill) * mask + fill), else zeros; torch_copy: an exact copy (its quarter turns).
  bool torch_small = false, torch_fill = false, torch_copy = false;
  // The output mirrored after the warp (torchvision's horizontal_flip / vertical_flip of the
  // warped image): output column x holds the warp's column width - 1 - x, row y its row
  // height - 1 - y.
  bool flip_h = false, flip_v = false;
};

// Validates the request and returns the output's shape: (C, height, width), or (height, width,
// C) for Layout::hwc.
std::vector<int64_t> warp_shape(const WarpRequest& r);
// Writes the C-contiguous result into `out` on up to `nthreads` threads.
void warp(const WarpRequest& r, void* out, int nthreads, const Interrupt& interrupt = {});

}  // namespace pixnorm
