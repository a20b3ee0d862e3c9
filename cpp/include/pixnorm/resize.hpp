// Resize and the fused preprocess (resize, crop, flip, scale, normalize, HWC -> CHW in one pass):
// the C++ API the bindings call. What the conventions mean, the pass order rules (Pillow's,
// OpenCV's exact-2x switch to INTER_AREA) and the plan cache live behind these functions.
// Bad arguments throw std::invalid_argument or pixnorm::type_error (errors.hpp), naming the
// argument, before any output is written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "pixnorm/color.hpp"
#include "pixnorm/image_view.hpp"
#include "pixnorm/interrupt.hpp"
#include "pixnorm/output.hpp"

namespace pixnorm {

// Whose arithmetic a resize reproduces (docs/resize-conventions.md):
//  - pixnorm: pixnorm's own float arithmetic (uint8 or float32 input);
//  - pillow: Pillow's BILINEAR (antialiased) on uint8, bit for bit;
//  - torch: torch's uint8 interpolate (bilinear, with or without antialias), bit for bit;
//  - opencv: cv2.resize INTER_LINEAR on uint8 (no antialias), bit for bit.
enum class Convention : int { pixnorm = 0, pillow = 1, torch = 2, opencv = 3 };

// "pixnorm", "pillow", "torch" or "opencv" (the Python API spells pixnorm's own None).
const char* convention_name(Convention c);

// The resampling filter (Python's interpolation=; Pillow's filters, Resample.c), each a
// function f of the distance in source samples with a support s, used as Pillow does: with
// antialias the support widens with the downscale factor, and every output's weights are
// f((j - centre + 0.5) / max(scale, 1)) over the window [centre - s', centre + s') clipped to
// the image, divided by their sum.
//  - bilinear: 1 - |x| (s = 1);
//  - bicubic: Keys' cubic with a = -0.5, as Pillow's BICUBIC and torch's antialiased bicubic
//    (s = 2);
//  - lanczos: sinc(x) sinc(x / 3) (s = 3);
//  - box: 1 on (-0.5, 0.5] (s = 0.5);
//  - hamming: sinc(x) (0.54 + 0.46 cos(pi x)), Pillow's float constants (s = 1);
//  - nearest, nearest_exact: one source sample per output, no filter (antialias does not
//    apply): source index floor(i * scale) and floor((i + 0.5) * scale), scale = in / out (or
//    1 / factor), each convention computing it as its library does (resample.cpp,
//    nearest_indices).
//  - area: exact integration of the source taken as constant over each pixel: output i covers
//    [i * scale, (i + 1) * scale) in source pixels (clipped to the image), each source pixel
//    weighted by the length of its overlap, divided by the covered length; the same for up- and
//    downscaling, and antialias does not apply (it integrates by definition).
enum class Filter : int {
  bilinear = 0,
  bicubic = 1,
  lanczos = 2,
  box = 3,
  hamming = 4,
  nearest = 5,
  nearest_exact = 6,
  area = 7
};
// "bilinear", "bicubic", "lanczos", "box", "hamming", "nearest", "nearest-exact" or "area".
const char* filter_name(Filter f);
inline bool is_nearest(Filter f) { return f == Filter::nearest || f == Filter::nearest_exact; }
// Filters whose result does not depend on antialias: nearest copies samples, area integrates.
inline bool ignores_antialias(Filter f) { return is_nearest(f) || f == Filter::area; }

// Throws unless `convention` can resize `dtype` with `antialias`, `filter` and `channels`
// channels (named conventions take uint8; pillow needs antialias, opencv refuses it and takes
// 1 to 4 channels; torch has bilinear and, antialiased, bicubic; opencv bilinear only).
void check_convention(Convention convention, bool antialias, DType dtype, int64_t channels,
                      Filter filter = Filter::bilinear);

// The most an output side may be: filter plans hold a window per output sample.
constexpr int64_t kMaxOutputSide = int64_t{1} << 24;

// One image's geometry in preprocess, in torchvision's terms: the box (RandomResizedCrop's
// top, left, height, width in source pixels; the whole image for Resize), the size the box is
// resized to, the crop window (top, left) inside the resized image, and flips of the result
// (torchvision's horizontal_flip and vertical_flip after the crop; free inside the pass).
struct Geometry {
  int64_t box_top = 0, box_left = 0, box_height = 0, box_width = 0;
  int64_t resized_height = 0, resized_width = 0;
  int64_t crop_top = 0, crop_left = 0;
  bool flip = false;   // horizontal
  bool vflip = false;  // vertical
  // > 0: the box is resized by these factors (resized_* = box_* * factor, rounded by the
  // caller) and the grid follows them, as interpolate(scale_factor=...) and cv2.resize(fx=...)
  // do; 0: the grid follows the sizes.
  double factor_y = 0, factor_x = 0;
  // Source pixels added to every sample position of the axis (finite, |shift| <= 2^31;
  // pixnorm's bilinear resize only; a window moved off the box is an internal error): a grid
  // placed between whole pixels, as preprocess's angle= first stage places its grid on the
  // output's. A factor is dropped where the size does not change (the grid then follows the
  // sizes, step 1), the shift is not. 0: none.
  double shift_y = 0, shift_x = 0;
};

// Throws std::invalid_argument naming `name` unless the box (top, left, height, width) is
// non-empty and inside an image of image_height x image_width.
void check_box(int64_t top, int64_t left, int64_t height, int64_t width, int64_t image_height,
               int64_t image_width, const std::string& name);

// Throws std::invalid_argument naming `crop` when it is larger than the resized image.
void check_crop(int64_t crop_height, int64_t crop_width, int64_t resized_height,
                int64_t resized_width);

struct PreprocessRequest {
  std::vector<ImageView> images;   // one image each (n == 1), one dtype and channel count
  std::vector<Geometry> geometry;  // one per image
  int64_t crop_height = 0, crop_width = 0;
  bool antialias = true;
  Filter filter = Filter::bilinear;
  Convention convention = Convention::pixnorm;
  std::vector<double> mean = {0.0}, std = {1.0};  // 1 (broadcast) or C values
  double scale = 1.0;                             // the value scale before normalizing
  // > 0 (named conventions only): float32(x) / divisor instead of float32(x) * scale, as
  // torchvision's ToTensor divides by 255 where ToDtype(scale=True) multiplies by 1/255.
  double divisor = 0.0;
  bool batch = false;  // messages name images[i] / boxes[i] (preprocess_batch), else image / box
  // A letterbox: each image's (crop_height, crop_width) result is the window at (pad_top,
  // pad_left) of an (out_height, out_width) output whose other values are fill[c] (output
  // values, one per channel). 0, 0: the output is the crop.
  int64_t out_height = 0, out_width = 0, pad_top = 0, pad_left = 0;
  std::vector<float> fill;
  // A colour conversion (pixnorm/color.hpp): the output has its channels, and mean, std and
  // fill count them.
  Color color = Color::none;
  // Named conventions: convert the resized uint8 levels instead of the source (torchvision's
  // Resize then Grayscale); pixnorm's convention mixes after the resize either way.
  bool color_after_resize = false;
  // > 0: the scale that places float32 input's chroma offset (0.5 / color_scale), when the
  // call's own scale is 1 because a second pass scales (per-pixel mean/std); 0: `scale`.
  double color_scale = 0.0;
  // The output's type and layout (pixnorm/output.hpp). uint8: uint8 images without scaling or
  // normalization (scale 1, mean 0, std 1, whole fill values), the filtered levels rounded.
  OutFormat format;
  // Per-pixel mean/std (a mean image), or null: pixel_b is (C, crop_height, crop_width)
  // float32, and so is pixel_a, or with pixel_a_per_channel C values. Every output value v
  // (computed as the rest of the request says, normally mean 0, std 1, scale 1) becomes
  // float32(float32(v * a) + b) with its element's a and b inside the pass, while its row is in
  // L1: normalize_pixel's arithmetic on the levels, without a second pass over the output.
  // Float outputs without a letterbox only. The caller keeps the arrays alive.
  const float* pixel_a = nullptr;
  const float* pixel_b = nullptr;
  bool pixel_a_per_channel = false;
};

// Validates the request and returns the output's shape: (N, C, crop_height, crop_width) when
// `batch`, else (C, crop_height, crop_width) (out_height, out_width for a letterbox); channels
// last for Layout::hwc.
std::vector<int64_t> preprocess_shape(const PreprocessRequest& r);
// Writes the C-contiguous result, in r.format, into `out` on up to `nthreads` threads
// (validating the request again first: the core trusts no caller).
void preprocess(const PreprocessRequest& r, void* out, int nthreads,
                const Interrupt& interrupt = {});

struct ResizeRequest {
  ImageView images;  // a batch of n images of one size, uint8 or float32
  int64_t height = 0, width = 0;
  bool antialias = true;
  Filter filter = Filter::bilinear;
  Convention convention = Convention::pixnorm;
  double factor_y = 0, factor_x = 0;  // as Geometry's
  Color color = Color::none;          // as PreprocessRequest's
};
// Validates the request (throws as above).
void check_resize(const ResizeRequest& r);
// Writes the C-contiguous (n, height, width, C) result, of the input's dtype, into `out`
// (C: color_channels).
void resize(const ResizeRequest& r, void* out, int nthreads, const Interrupt& interrupt = {});

// The calling thread's cache of resize plans (resample.hpp, plan_axis_cached), for tests: the
// plans it holds, and dropping them.
size_t plan_cache_entries();
void plan_cache_clear();

}  // namespace pixnorm
