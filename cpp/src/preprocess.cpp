// resize and preprocess: the checks, the plans (each distinct axis planned once per call) and one
// job per image for the resampler (resample.hpp), with each convention's pass rules (Pillow's
// order, OpenCV's exact-2x switch to INTER_AREA) set in job_for. See pixnorm/resize.hpp for the
// contract.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pieces.hpp"
#include "pixnorm/errors.hpp"
#include "pixnorm/normalize.hpp"
#include "pixnorm/resize.hpp"
#include "pixnorm/threads.hpp"
#include "resample.hpp"

namespace pixnorm {

namespace {

void check_side(int64_t v, const char* name) {
  if (v < 1)
    throw std::invalid_argument(std::string(name) + ": must be >= 1, got " + std::to_string(v));
  // Filter plans hold a window per output sample (torch's precision rule looks at every output
  // of an axis): 2^24 per side keeps them bounded while no real image comes close.
  if (v > kMaxOutputSide)
    throw std::invalid_argument(std::string(name) + ": " + std::to_string(v) +
                                " is too large (at most " + std::to_string(kMaxOutputSide) +
                                " per side)");
}

// A job for one image whose box of box_h x box_w is resized to oh x ow, with the convention's
// own pass rules (Pillow's order, OpenCV's exact-2x mean); plans, output and band are the
// caller's.
ResampleJob job_for(Convention conv, int64_t box_h, int64_t box_w, int64_t oh, int64_t ow,
                    double factor_y, double factor_x, Filter filter) {
  ResampleJob j;
  j.convention = conv;
  j.vertical_first = conv == Convention::pillow && pillow_vertical_first(box_h, box_w, oh, ow);
  // (cv2.resize switches to INTER_AREA's 2x2 mean from INTER_LINEAR only)
  j.area2x = conv == Convention::opencv && filter == Filter::bilinear &&
             opencv_area2x(box_h, box_w, oh, ow, factor_y, factor_x);
  if (conv == Convention::opencv && filter == Filter::area)
    j.area = opencv_area_path(box_h, box_w, oh, ow, factor_y, factor_x);
  j.lanczos4 = conv == Convention::opencv && filter == Filter::lanczos;
  j.cubic = conv == Convention::opencv && filter == Filter::bicubic;
  return j;
}

// The factors a resize's grid follows: an axis whose size does not change is copied, whatever
// the factor, as torch's interpolate skips it (its separable passes run only where the size
// changes) and cv2.resize copies an image whose size does not change (both axes).
std::array<double, 2> grid_factors(Convention conv, int64_t h, int64_t w, int64_t oh, int64_t ow,
                                   double factor_y, double factor_x, Filter filter) {
  if (conv == Convention::torch && is_nearest(filter))  // (its nearest kernels skip no axis)
    return {factor_y, factor_x};
  if (conv == Convention::opencv)
    return h == oh && w == ow ? std::array<double, 2>{0, 0}
                              : std::array<double, 2>{factor_y, factor_x};
  return {h == oh ? 0 : factor_y, w == ow ? 0 : factor_x};
}

// The letterbox's border: every output value outside the images' windows is fill[c], written
// row by row on up to `nthreads` threads before the images are resampled into their windows.
// Image i of the (N, C, H, W) or (N, H, W, C) output in the request's format, from the row
// `top` and column `left` of its window.
OutTarget image_target(const PreprocessRequest& r, void* out, int64_t i, int64_t C, int64_t oh,
                       int64_t ow, int64_t top, int64_t left) {
  OutTarget t;
  t.format = r.format;
  t.channels = C;
  const bool hwc = r.format.layout == Layout::hwc;
  t.row_stride = hwc ? ow * C : ow;
  t.plane_stride = oh * ow;
  t.base = static_cast<unsigned char*>(out) +
           (i * C * oh * ow + top * t.row_stride + left * (hwc ? C : 1)) * r.format.itemsize();
  return t;
}

void fill_border(const PreprocessRequest& r, void* out, int64_t C, int64_t n, int nthreads) {
  const int64_t oh = r.out_height, ow = r.out_width;
  const int64_t top = r.pad_top, left = r.pad_left, bottom = top + r.crop_height;
  const int64_t right = left + r.crop_width;
  auto body = [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {  // row = image * oh + y
      const int64_t y = row % oh;
      const OutTarget t = image_target(r, out, row / oh, C, oh, ow, 0, 0);
      if (y < top || y >= bottom) {
        fill_span(t, y, 0, ow, r.fill.data());
      } else {
        fill_span(t, y, 0, left, r.fill.data());
        fill_span(t, y, right, ow - right, r.fill.data());
      }
    }
  };
  const int64_t border = (oh * ow - r.crop_height * r.crop_width) * C * n;
  threads::parallel_chunks(n * oh, threads::team_for(border, nthreads), body);
}

// The factors of a resize: each 0 (the grid follows the sizes) or finite and > 0; none with
// Pillow, whose grid always follows the sizes.
void check_factors(Convention conv, double factor_y, double factor_x) {
  for (double f : {factor_y, factor_x})
    if (!(f == 0 || (f > 0 && std::isfinite(f))))
      throw std::invalid_argument("factor: expected a finite value > 0");
  if (conv == Convention::pillow && (factor_y > 0 || factor_x > 0))
    throw std::invalid_argument(
        "factor: Pillow's grid follows the sizes (ImageOps.scale resizes to the rounded size)");
}

std::string image_name(bool batch, size_t i) {
  return batch ? "images[" + std::to_string(i) + "]" : std::string("image");
}

std::string box_name(bool batch, size_t i) {
  return batch ? "boxes[" + std::to_string(i) + "]" : std::string("box");
}

}  // namespace

const char* convention_name(Convention c) {
  switch (c) {
    case Convention::pixnorm:
      return "pixnorm";
    case Convention::pillow:
      return "pillow";
    case Convention::torch:
      return "torch";
    case Convention::opencv:
      return "opencv";
  }
  return "unknown";
}

const char* filter_name(Filter f) {
  switch (f) {
    case Filter::bilinear:
      return "bilinear";
    case Filter::bicubic:
      return "bicubic";
    case Filter::lanczos:
      return "lanczos";
    case Filter::box:
      return "box";
    case Filter::hamming:
      return "hamming";
    case Filter::nearest:
      return "nearest";
    case Filter::nearest_exact:
      return "nearest-exact";
    case Filter::area:
      return "area";
  }
  return "unknown";
}

void check_convention(Convention conv, bool antialias, DType dtype, int64_t channels,
                      Filter filter) {
  if (filter != Filter::bilinear) {
    const std::string name = std::string("'") + filter_name(filter) + "'";
    const bool cv_has = is_nearest(filter) || filter == Filter::area || filter == Filter::lanczos ||
                        filter == Filter::bicubic;
    const char* cv_name = filter == Filter::area            ? "INTER_AREA"
                          : filter == Filter::bicubic       ? "INTER_CUBIC"
                          : filter == Filter::lanczos       ? "INTER_LANCZOS4"
                          : filter == Filter::nearest_exact ? "INTER_NEAREST_EXACT"
                                                            : "INTER_NEAREST";
    if (conv == Convention::opencv && cv_has && dtype == DType::u16)
      throw std::invalid_argument("interpolation: convention 'opencv' reproduces " + name + " (" +
                                  cv_name +
                                  ") on uint8 images only; use convention=None for uint16");
    if (conv == Convention::pillow && filter == Filter::area)
      throw std::invalid_argument(
          "interpolation: Pillow has no 'area' filter (its BOX, 'box', averages the pixels "
          "whose centres fall in each output's span, which is area integration only at integer "
          "ratios); use 'box' with convention='pillow', or 'area' with convention=None");
    if (conv == Convention::torch && filter == Filter::area)
      throw std::invalid_argument(
          "interpolation: convention 'torch' does not reproduce 'area' (torch's mode='area' is "
          "adaptive average pooling, not defined for uint8 tensors); use convention=None "
          "(exact area integration)");
    if (conv == Convention::opencv && !cv_has)
      throw std::invalid_argument(
          "interpolation: convention 'opencv' reproduces cv2.resize INTER_LINEAR, INTER_NEAREST, "
          "INTER_NEAREST_EXACT, INTER_CUBIC, INTER_AREA and INTER_LANCZOS4 only (" +
          name + " is not reproduced); use convention=None or 'pillow'");
    if (conv == Convention::pillow && filter == Filter::nearest_exact)
      throw std::invalid_argument(
          "interpolation: Pillow has no 'nearest-exact'; its NEAREST ('nearest') already "
          "samples pixel centres (torchvision maps NEAREST_EXACT to it for PIL images)");
    if (conv == Convention::torch && !is_nearest(filter) && filter != Filter::bicubic)
      throw std::invalid_argument(
          "interpolation: convention 'torch' reproduces bilinear, bicubic, nearest and "
          "nearest-exact (" +
          name +
          " is not reproduced: torch's uint8 lanczos differs from Pillow's, and it has no box "
          "or hamming); use convention='pillow' (Pillow's filter) or None");
    if (conv == Convention::torch && filter == Filter::bicubic && !antialias && channels > 4)
      throw std::invalid_argument(
          "interpolation: convention 'torch' reproduces bicubic without antialias for 1 to 4 "
          "channels (torch's uint8 kernel); with more torch runs its generic kernel, which "
          "differs at an output width of 1");
  }
  if (conv != Convention::pixnorm && dtype != DType::u8 &&
      !(conv == Convention::opencv && dtype == DType::u16))
    throw type_error(std::string("image: a named convention reproduces another library's uint8 "
                                 "arithmetic and needs uint8 input ('opencv' also uint16); use "
                                 "convention=None for ") +
                     dtype_name(dtype) + " (pixnorm's float32 arithmetic)");
  if (conv == Convention::pillow && !antialias && !ignores_antialias(filter))
    throw std::invalid_argument(
        "convention: 'pillow' resizes with antialias (as Pillow's Image.resize always does); "
        "use antialias=True, or convention='torch' / None for antialias=False");
  if (conv == Convention::opencv && antialias && !ignores_antialias(filter))
    throw std::invalid_argument(std::string("convention: 'opencv' has no antialiased ") +
                                filter_name(filter) +
                                (filter == Filter::bicubic   ? " (cv2 INTER_CUBIC)"
                                 : filter == Filter::lanczos ? " (cv2 INTER_LANCZOS4)"
                                                             : " (cv2 INTER_LINEAR)") +
                                "; pass antialias=False");
  if (conv == Convention::opencv && channels > 4)
    throw std::invalid_argument("convention: 'opencv' is reproduced for 1 to 4 channels, got " +
                                std::to_string(channels));
}

void check_box(int64_t top, int64_t left, int64_t height, int64_t width, int64_t image_height,
               int64_t image_width, const std::string& name) {
  // Written so that no sum can overflow, whatever the caller passes.
  if (height < 1 || width < 1 || top < 0 || left < 0 || height > image_height ||
      width > image_width || top > image_height - height || left > image_width - width)
    throw std::invalid_argument(name + ": (" + std::to_string(top) + ", " + std::to_string(left) +
                                ", " + std::to_string(height) + ", " + std::to_string(width) +
                                ") is empty or outside the image of size (" +
                                std::to_string(image_height) + ", " + std::to_string(image_width) +
                                ")");
}

void check_crop(int64_t crop_height, int64_t crop_width, int64_t resized_height,
                int64_t resized_width) {
  if (crop_height > resized_height || crop_width > resized_width)
    throw std::invalid_argument(
        "crop: (" + std::to_string(crop_height) + ", " + std::to_string(crop_width) +
        ") is larger than the resized image (" + std::to_string(resized_height) + ", " +
        std::to_string(resized_width) + ")");
}

// ---- resize -------------------------------------------------------------------------------------

void check_resize(const ResizeRequest& r) {
  const ImageView& v = r.images;
  check_convention(r.convention, r.antialias, v.dtype, v.channels, r.filter);
  check_side(r.height, "size");
  check_side(r.width, "size");
  check_resize_source(v.height, v.width, v.channels, "image");
  check_factors(r.convention, r.factor_y, r.factor_x);
  check_color(r.color, r.convention, v.channels);
  if (r.convention == Convention::opencv && v.dtype == DType::u16)
    check_opencv16(v.channels, v.height, v.width, r.factor_y, r.factor_x, r.color, "image");
  if (r.convention == Convention::opencv && r.filter == Filter::bicubic)
    check_opencv_cubic(color_channels(r.color, v.channels), v.height, v.width, r.height, r.width,
                       r.factor_y, r.factor_x);
  ImageView shape_check = v;
  shape_check.height = r.height;
  shape_check.width = r.width;
  shape_check.channels = color_channels(r.color, v.channels);
  normalize_output_elements(shape_check);  // output byte count representable
}

void resize(const ResizeRequest& r, void* out, int nthreads, const Interrupt& interrupt) {
  check_resize(r);
  const ImageView& v = r.images;
  const int64_t oh = r.height, ow = r.width;
  // One job per image of the batch, all sharing the two plans.
  const auto f =
      grid_factors(r.convention, v.height, v.width, oh, ow, r.factor_y, r.factor_x, r.filter);
  const bool cl = torch_channels_last(r.convention, r.filter, oh, ow, v, v.height, v.width);
  const bool u16 = v.dtype == DType::u16;
  ResampleJob proto = job_for(r.convention, v.height, v.width, oh, ow, f[0], f[1], r.filter);
  if (proto.cubic)
    proto.cubic_own = check_opencv_cubic(color_channels(r.color, v.channels), v.height, v.width, oh,
                                         ow, r.factor_y, r.factor_x);
  const std::shared_ptr<const AxisPlan> py_plan =
      plan_axis_cached(r.convention, v.height, oh, r.antialias, 0, oh, false, false, f[0], u16,
                       r.filter, proto.area, cl, 0, proto.cubic_own);
  const std::shared_ptr<const AxisPlan> px_plan =
      plan_axis_cached(r.convention, v.width, ow, r.antialias, 0, ow, false, true, f[1], u16,
                       r.filter, proto.area, cl, 0, proto.cubic_own);
  const AxisPlan& py = *py_plan;
  const AxisPlan& px = *px_plan;
  if (u16) proto.area2x = false;  // IPP's formula at every scale
  ColorStep step;
  proto.color = color_step(r.color, r.convention, v.dtype, v.channels, step);
  const ImageView source = color_source(v, r.color);
  std::vector<ResampleJob> jobs(static_cast<size_t>(v.n), proto);
  const int64_t per_image = oh * ow * color_channels(r.color, v.channels) * itemsize(v.dtype);
  for (int64_t i = 0; i < v.n; ++i) {
    ResampleJob& j = jobs[static_cast<size_t>(i)];
    j.src = source;
    j.src.n = 1;
    j.src.data = source.byte_ptr(i, 0, 0, 0);
    j.py = &py;
    j.px = &px;
    j.kind = v.dtype == DType::u8    ? ResampleOut::u8_hwc
             : v.dtype == DType::u16 ? ResampleOut::u16_hwc
                                     : ResampleOut::f32_hwc;
    j.dst = static_cast<unsigned char*>(out) + i * per_image;
  }
  pieces::run_jobs(jobs, interrupt,
                   [&](const std::vector<ResampleJob>& part) { resample(part, nthreads); });
}

// ---- preprocess ---------------------------------------------------------------------------------

std::vector<int64_t> preprocess_shape(const PreprocessRequest& r) {
  const size_t n = r.images.size();
  if (n == 0) throw std::invalid_argument("images: empty list");
  if (r.geometry.size() != n)
    throw std::invalid_argument("internal: one geometry per image expected");
  check_side(r.crop_height, "crop");
  check_side(r.crop_width, "crop");
  const ImageView& first = r.images[0];
  for (size_t i = 0; i < n; ++i) {
    const ImageView& v = r.images[i];
    const std::string name = image_name(r.batch, i);
    if (v.n != 1)
      throw std::invalid_argument(name +
                                  ": expected one image (H, W) or (H, W, C); use "
                                  "preprocess_batch for several");
    if (r.color != Color::none) {  // the colour against this image (in a batch, named)
      try {
        color_channels(r.color, v.channels);
      } catch (const std::invalid_argument& e) {
        if (!r.batch) throw;
        throw std::invalid_argument(name + ": " + e.what());
      }
    }
    // A colour may bring images of different channels to one count (rgb of gray and RGBA).
    if (v.channels != first.channels &&
        (r.color == Color::none ||
         color_channels(r.color, v.channels) != color_channels(r.color, first.channels)))
      throw std::invalid_argument(
          name + ": has " + std::to_string(v.channels) + " channel" + (v.channels == 1 ? "" : "s") +
          ", the first image has " + std::to_string(first.channels) +
          (r.color == Color::none && v.channels <= 4 && first.channels <= 4 && v.channels != 2 &&
                   first.channels != 2
               ? " (color='rgb' makes gray, RGB and RGBA images one 3-channel batch)"
               : ""));
    if (v.dtype != first.dtype)
      throw type_error(name + ": all images must share one dtype (uint8, uint16 or float32)");
    const Geometry& g = r.geometry[i];
    check_box(g.box_top, g.box_left, g.box_height, g.box_width, v.height, v.width,
              box_name(r.batch, i));
    check_resize_source(
        g.box_height, g.box_width, v.channels,
        g.box_height == v.height && g.box_width == v.width ? name : box_name(r.batch, i));
    check_side(g.resized_height, "size");
    check_side(g.resized_width, "size");
    check_factors(r.convention, g.factor_y, g.factor_x);
    for (double s : {g.shift_y, g.shift_x})
      if (!(std::fabs(s) <= 2147483648.0) ||
          (s != 0 && (r.convention != Convention::pixnorm || r.filter != Filter::bilinear)))
        throw std::invalid_argument(
            "internal: a grid shift is a finite number of pixels, in pixnorm's bilinear resize");
    if (r.convention == Convention::opencv && v.dtype == DType::u16)
      check_opencv16(
          v.channels, g.box_height, g.box_width, g.factor_y, g.factor_x, r.color,
          g.box_height == v.height && g.box_width == v.width ? name : box_name(r.batch, i));
    if (r.convention == Convention::opencv && r.filter == Filter::bicubic)
      check_opencv_cubic(
          color_channels(r.color, v.channels), g.box_height, g.box_width, g.resized_height,
          g.resized_width, g.factor_y, g.factor_x,
          g.box_height == v.height && g.box_width == v.width ? name : box_name(r.batch, i));
    check_crop(r.crop_height, r.crop_width, g.resized_height, g.resized_width);
    if (g.crop_top < 0 || g.crop_left < 0 || g.crop_top > g.resized_height - r.crop_height ||
        g.crop_left > g.resized_width - r.crop_width)
      throw std::invalid_argument(
          "crop: (" + std::to_string(r.crop_height) + ", " + std::to_string(r.crop_width) +
          ") does not fit in the resized image (" + std::to_string(g.resized_height) + ", " +
          std::to_string(g.resized_width) + ")");
  }
  check_convention(r.convention, r.antialias, first.dtype, first.channels, r.filter);
  check_color(r.color, r.convention, first.channels);
  const int64_t C = color_channels(r.color, first.channels);
  if (!(r.divisor == 0.0 || (r.divisor > 0.0 && std::isfinite(r.divisor))))
    throw std::invalid_argument("divisor: expected 0 (multiply by scale) or a finite value > 0");
  if (r.divisor != 0.0 && r.convention == Convention::pixnorm)
    throw std::invalid_argument("divisor: only with a named convention (exact uint8 levels)");
  make_channel_affine(r.mean, r.std, r.scale, C);  // validates them
  if (r.format.type == OutType::u8) {              // the resized levels themselves, rounded
    if (first.dtype != DType::u8)
      throw std::invalid_argument(
          std::string("dtype: uint8 output is for uint8 images (resized levels, rounded); this "
                      "image is ") +
          dtype_name(first.dtype));
    bool identity = r.scale == 1.0 && r.divisor == 0.0;
    for (double m : r.mean) identity = identity && m == 0.0;
    for (double s : r.std) identity = identity && s == 1.0;
    if (!identity)
      throw std::invalid_argument(
          "dtype: uint8 output is the resized image itself, in levels 0..255: leave mean and std "
          "unset and scale unset (or 1); normalize on the GPU");
    for (float f : r.fill)
      if (!(f >= 0.0f && f <= 255.0f && f == std::nearbyint(f)))
        throw std::invalid_argument("fill: uint8 output takes whole values in 0..255, got " +
                                    std::to_string(f));
  }
  const bool padded = r.out_height > 0 || r.out_width > 0;
  const int64_t oh = padded ? r.out_height : r.crop_height;
  const int64_t ow = padded ? r.out_width : r.crop_width;
  if (padded) {
    check_side(oh, "size");
    check_side(ow, "size");
    if (r.pad_top < 0 || r.pad_left < 0 || r.pad_top > oh - r.crop_height ||
        r.pad_left > ow - r.crop_width)
      throw std::invalid_argument("internal: the letterbox window is outside the output");
    if (static_cast<int64_t>(r.fill.size()) != C)
      throw std::invalid_argument("internal: one fill value per channel expected");
  }
  if ((r.pixel_a == nullptr) != (r.pixel_b == nullptr))
    throw std::invalid_argument("internal: per-pixel coefficients come as a pair");
  if (r.pixel_b && (r.out_height > 0 || r.out_width > 0 || r.format.type == OutType::u8))
    throw std::invalid_argument(
        "internal: per-pixel coefficients are for float outputs without a letterbox");
  ImageView shape_check = first;
  shape_check.n = static_cast<int64_t>(n);
  shape_check.height = oh;
  shape_check.width = ow;
  shape_check.channels = C;
  normalize_output_elements(shape_check);
  std::vector<int64_t> shape = {C, oh, ow};
  if (r.format.layout == Layout::hwc) shape = {oh, ow, C};
  if (r.batch) shape.insert(shape.begin(), static_cast<int64_t>(n));
  return shape;
}

void preprocess(const PreprocessRequest& r, void* out, int nthreads, const Interrupt& interrupt) {
  preprocess_shape(r);
  const size_t n = r.images.size();
  const ImageView& v0 = r.images[0];
  const int64_t C = color_channels(r.color, v0.channels);
  // One colour step per channel count among the images (map nodes do not move).
  std::map<int64_t, ColorStep> steps;
  std::map<int64_t, const ColorStep*> step_of;
  for (const ImageView& v : r.images)
    if (r.color != Color::none && !step_of.count(v.channels))
      step_of[v.channels] =
          color_step(r.color, r.convention, v0.dtype, v.channels, steps[v.channels],
                     r.color_after_resize, r.color_scale > 0 ? r.color_scale : r.scale);
  // The output values: pixnorm's x * a + b, or a named convention's uint8 levels through
  // torchvision's float32 arithmetic.
  ChannelAffine affine;
  std::vector<LevelParams> levels;
  if (r.convention == Convention::pixnorm)
    affine = make_channel_affine(r.mean, r.std, r.scale, C);
  else
    levels = level_params(r.mean, r.std, r.scale, C, r.divisor);
  // Plans are built before the threads start, so each distinct axis is planned once: a batch of
  // images in a few sizes (the usual case) shares them.
  std::vector<std::shared_ptr<const AxisPlan>> plans;  // the jobs point to them
  std::map<std::array<int64_t, 11>, size_t> seen;
  auto plan_once = [&](bool is_x, int64_t in, int64_t out_full, int64_t first, int64_t count,
                       bool mirror, double factor, AreaPath area, bool cl, double shift,
                       bool cubic_own) -> const AxisPlan* {
    int64_t factor_bits = 0, shift_bits = 0;
    std::memcpy(&factor_bits, &factor, sizeof factor);
    std::memcpy(&shift_bits, &shift, sizeof shift);
    const std::array<int64_t, 11> key = {is_x,  in,         out_full,    first,
                                         count, mirror,     factor_bits, static_cast<int64_t>(area),
                                         cl,    shift_bits, cubic_own};
    auto it = seen.find(key);
    if (it == seen.end()) {
      plans.push_back(plan_axis_cached(r.convention, in, out_full, r.antialias, first, count,
                                       mirror, is_x, factor, r.images[0].dtype == DType::u16,
                                       r.filter, area, cl, shift, cubic_own));
      it = seen.emplace(key, plans.size() - 1).first;
    }
    return plans[it->second].get();
  };
  const bool padded = r.out_height > 0 || r.out_width > 0;
  const int64_t out_h = padded ? r.out_height : r.crop_height;
  const int64_t out_w = padded ? r.out_width : r.crop_width;
  if (padded) fill_border(r, out, C, static_cast<int64_t>(n), nthreads);
  // Per-pixel coefficients: a per channel as one row of crop_width values per plane.
  std::vector<float> a_rows;
  if (r.pixel_b && r.pixel_a_per_channel) {
    a_rows.resize(static_cast<size_t>(C * r.crop_width));
    for (int64_t c = 0; c < C; ++c)
      std::fill(a_rows.begin() + c * r.crop_width, a_rows.begin() + (c + 1) * r.crop_width,
                r.pixel_a[c]);
  }
  // bgr of 3 or 4 channels: the source read in place as RGB, its planes written in reverse
  // order (a negative plane stride) with the affine or levels reversed; the same bits as the
  // reversed view, which would be gathered row by row.
  ChannelAffine reversed_affine;
  std::vector<LevelParams> reversed_levels;
  if (r.color == Color::bgr) {
    reversed_affine.a.assign(affine.a.rbegin(), affine.a.rend());
    reversed_affine.b.assign(affine.b.rbegin(), affine.b.rend());
    reversed_levels.assign(levels.rbegin(), levels.rend());
  }
  std::vector<ResampleJob> jobs;
  jobs.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const Geometry& g = r.geometry[i];
    const auto f = grid_factors(r.convention, g.box_height, g.box_width, g.resized_height,
                                g.resized_width, g.factor_y, g.factor_x, r.filter);
    const bool cl = torch_channels_last(r.convention, r.filter, g.resized_height, g.resized_width,
                                        r.images[i], g.box_height, g.box_width);
    ResampleJob j = job_for(r.convention, g.box_height, g.box_width, g.resized_height,
                            g.resized_width, f[0], f[1], r.filter);
    if (r.images[i].dtype == DType::u16) j.area2x = false;  // opencv: IPP's formula throughout
    if (j.cubic)
      j.cubic_own = check_opencv_cubic(color_channels(r.color, r.images[i].channels), g.box_height,
                                       g.box_width, g.resized_height, g.resized_width, g.factor_y,
                                       g.factor_x);
    j.src = color_source(r.images[i], r.color);
    if (r.color != Color::none) j.color = step_of[r.images[i].channels];
    j.box_top = g.box_top;
    j.box_left = g.box_left;
    j.py = plan_once(false, g.box_height, g.resized_height, g.crop_top, r.crop_height, g.vflip,
                     f[0], j.area, cl, g.shift_y, j.cubic_own);
    j.px = plan_once(true, g.box_width, g.resized_width, g.crop_left, r.crop_width, g.flip, f[1],
                     j.area, cl, g.shift_x, j.cubic_own);
    j.kind = ResampleOut::f32_chw;
    if (r.format.direct())
      j.dst = static_cast<float*>(out) + static_cast<int64_t>(i) * C * out_h * out_w +
              r.pad_top * out_w + r.pad_left;
    else
      j.out = image_target(r, out, static_cast<int64_t>(i), C, out_h, out_w, r.pad_top, r.pad_left);
    if (padded) {
      j.row_stride = out_w;
      j.plane_stride = out_h * out_w;
    }
    j.affine = &affine;
    j.levels = levels.empty() ? nullptr : levels.data();
    if (r.pixel_b) {
      j.pixel_b = r.pixel_b;
      j.pixel_a = r.pixel_a_per_channel ? a_rows.data() : r.pixel_a;
      j.pixel_a_plane = r.pixel_a_per_channel ? r.crop_width : r.crop_height * r.crop_width;
      j.pixel_a_row = r.pixel_a_per_channel ? 0 : r.crop_width;
    }
    if (r.color == Color::bgr && r.images[i].channels >= 3) {
      j.src = color_source(r.images[i], Color::rgb);
      j.reversed = true;
      const int64_t plane = out_h * out_w;
      if (j.dst) j.dst = static_cast<float*>(j.dst) + 2 * plane;
      j.row_stride = out_w;
      j.plane_stride = -plane;
      j.affine = &reversed_affine;
      j.levels = levels.empty() ? nullptr : reversed_levels.data();
    }
    jobs.push_back(j);
  }
  pieces::run_jobs(jobs, interrupt,
                   [&](const std::vector<ResampleJob>& part) { resample(part, nthreads); });
}

}  // namespace pixnorm
