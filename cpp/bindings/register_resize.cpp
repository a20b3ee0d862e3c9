// pixnorm._core.resize / preprocess: convert arguments, build the jobs, release the GIL, resample.
// The Python layer computes the geometry (torchvision's size rule, crop offsets, boxes); this
// layer checks it again, so no call can make the core read or write outside its arrays.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <cmath>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "convert.hpp"
#include "pixnorm/ops.hpp"

namespace py = pybind11;

namespace pixnorm::bind {

namespace {

void check_size(int64_t v, const char* name) {
  if (v < 1) throw py::value_error(std::string(name) + ": must be >= 1, got " + std::to_string(v));
  // Filter plans hold a window per output sample (torch's precision rule looks at every output
  // of an axis): 2^24 per side keeps them bounded while no real image comes close.
  if (v > (int64_t{1} << 24))
    throw py::value_error(std::string(name) + ": " + std::to_string(v) +
                          " is too large (at most 16777216 per side)");
}

ImageView image_at(const ImageView& v, int64_t i) {
  ImageView one = v;
  one.n = 1;
  one.data = static_cast<const unsigned char*>(v.data) + i * v.stride_n;
  return one;
}

Convention convention_from(int code, bool antialias, DType dtype) {
  if (code < 0 || code > 3) throw py::value_error("convention: unknown code");
  const auto conv = static_cast<Convention>(code);
  if (conv != Convention::pixnorm && dtype != DType::u8)
    throw py::type_error(
        "image: a named convention reproduces another library's uint8 "
        "arithmetic and needs uint8 input; use convention=None for float32");
  if (conv == Convention::pillow && !antialias)
    throw py::value_error(
        "convention: 'pillow' resizes with antialias (Pillow's BILINEAR); "
        "use antialias=True, or convention='torch' / None for antialias=False");
  if (conv == Convention::opencv && antialias)
    throw py::value_error(
        "convention: 'opencv' has no antialiased bilinear (cv2 INTER_LINEAR); "
        "pass antialias=False");
  return conv;
}

void check_opencv_channels(Convention conv, int64_t channels) {
  if (conv == Convention::opencv && channels > 4)
    throw py::value_error("convention: 'opencv' is reproduced for 1 to 4 channels, got " +
                          std::to_string(channels));
}

// Pillow 13 resizes vertically first when the height shrinks much more than the width.
bool pillow_vertical_first(int64_t h, int64_t w, int64_t oh, int64_t ow) {
  return oh < h && (h - oh) > 2 * (w - ow);
}

py::object resize_py(py::handle image, int64_t out_h, int64_t out_w, bool antialias, int conv_code,
                     py::handle out) {
  const Image img = image_from(image, "image");
  const ImageView& v = img.view;
  const Convention conv = convention_from(conv_code, antialias, v.dtype);
  check_size(out_h, "size");
  check_size(out_w, "size");
  check_resize_source(v.height, v.width, v.channels, "image");
  ImageView shape_check = v;
  shape_check.height = out_h;
  shape_check.width = out_w;
  normalize_output_elements(shape_check);  // output byte count representable
  std::vector<int64_t> shape;
  if (img.batch) shape.push_back(v.n);
  shape.push_back(out_h);
  shape.push_back(out_w);
  if (img.ndim != 2) shape.push_back(v.channels);
  py::object result;
  void* dst = prepare_out(out, shape, v.dtype, {v}, result);
  const int nthreads = call_threads();
  check_opencv_channels(conv, v.channels);
  // One job per image of the batch, all sharing the two plans; `proto` carries the
  // convention's own settings.
  auto jobs_for = [&](auto proto, const auto& plan_y, const auto& plan_x) {
    std::vector<decltype(proto)> jobs(static_cast<size_t>(v.n), proto);
    const int64_t per_image = out_h * out_w * v.channels * itemsize(v.dtype);
    for (int64_t i = 0; i < v.n; ++i) {
      auto& j = jobs[static_cast<size_t>(i)];
      j.src = image_at(v, i);
      j.py = &plan_y;
      j.px = &plan_x;
      j.kind = v.dtype == DType::u8 ? ResampleOut::u8_hwc : ResampleOut::f32_hwc;
      j.dst = static_cast<unsigned char*>(dst) + i * per_image;
    }
    return jobs;
  };
  py::gil_scoped_release nogil;
  if (conv == Convention::opencv) {
    const OpencvAxis cy = plan_axis_opencv(v.height, out_h, 0, out_h, false, false);
    const OpencvAxis cx = plan_axis_opencv(v.width, out_w, 0, out_w, false, true);
    OpencvJob proto;
    proto.area2x = v.height == 2 * out_h && v.width == 2 * out_w;
    resample_in_pieces(jobs_for(proto, cy, cx), [&](const std::vector<OpencvJob>& part) {
      resample_opencv(part, nthreads);
    });
  } else if (conv != Convention::pixnorm) {
    const FixedPlan fy = plan_axis_fixed(v.height, out_h, antialias, 0, out_h, false, conv);
    const FixedPlan fx = plan_axis_fixed(v.width, out_w, antialias, 0, out_w, false, conv);
    FixedJob proto;
    proto.vertical_first =
        conv == Convention::pillow && pillow_vertical_first(v.height, v.width, out_h, out_w);
    resample_in_pieces(jobs_for(proto, fy, fx),
                       [&](const std::vector<FixedJob>& part) { resample_fixed(part, nthreads); });
  } else {
    const AxisPlan ay = plan_axis(v.height, out_h, antialias, 0, out_h, false);
    const AxisPlan ax = plan_axis(v.width, out_w, antialias, 0, out_w, false);
    resample_in_pieces(jobs_for(ResampleJob{}, ay, ax),
                       [&](const std::vector<ResampleJob>& part) { resample(part, nthreads); });
  }
  return result;
}

// One image's geometry: box (top, left, height, width) in source pixels, resized size, the crop
// window inside the resized image, and the flip flag.
using Geometry = std::array<int64_t, 9>;

py::object preprocess_py(const py::list& images, const std::vector<Geometry>& geoms, int64_t crop_h,
                         int64_t crop_w, bool antialias, int conv_code, py::handle mean,
                         py::handle std, double scale, py::handle out, bool batch_output,
                         double divisor) {
  const size_t n = images.size();
  if (n == 0) throw py::value_error("images: empty list");
  if (geoms.size() != n) throw py::value_error("internal: one geometry per image expected");
  check_size(crop_h, "crop");
  check_size(crop_w, "crop");
  std::vector<ImageView> views;
  views.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const std::string name = batch_output ? "images[" + std::to_string(i) + "]" : "image";
    const Image img = image_from(images[i], name.c_str());
    if (img.batch)
      throw py::value_error(name +
                            ": expected one image (H, W) or (H, W, C); use "
                            "preprocess_batch for several");
    if (!views.empty() && img.view.channels != views[0].channels)
      throw py::value_error(name + ": has " + std::to_string(img.view.channels) +
                            " channels, the first image has " + std::to_string(views[0].channels));
    if (!views.empty() && img.view.dtype != views[0].dtype)
      throw py::type_error(name + ": all images must share one dtype (uint8 or float32)");
    const Geometry& g = geoms[i];
    const int64_t bt = g[0], bl = g[1], bh = g[2], bw = g[3], rh = g[4], rw = g[5], top = g[6],
                  left = g[7];
    if (bh < 1 || bw < 1 || bt < 0 || bl < 0 || bt + bh > img.view.height ||
        bl + bw > img.view.width)
      throw py::value_error(
          (batch_output ? "boxes[" + std::to_string(i) + "]" : std::string("box")) + ": (" +
          std::to_string(bt) + ", " + std::to_string(bl) + ", " + std::to_string(bh) + ", " +
          std::to_string(bw) + ") is empty or outside the image of size (" +
          std::to_string(img.view.height) + ", " + std::to_string(img.view.width) + ")");
    check_resize_source(bh, bw, img.view.channels,
                        bh == img.view.height && bw == img.view.width
                            ? name
                            : (batch_output ? "boxes[" + std::to_string(i) + "]" : "box"));
    check_size(rh, "size");
    check_size(rw, "size");
    if (top < 0 || left < 0 || top + crop_h > rh || left + crop_w > rw)
      throw py::value_error("crop: (" + std::to_string(crop_h) + ", " + std::to_string(crop_w) +
                            ") does not fit in the resized image (" + std::to_string(rh) + ", " +
                            std::to_string(rw) + ")");
    views.push_back(img.view);
  }
  const int64_t C = views[0].channels;
  const Convention conv = convention_from(conv_code, antialias, views[0].dtype);
  if (!(divisor == 0.0 || (divisor > 0.0 && std::isfinite(divisor))))
    throw py::value_error("divisor: expected 0 (multiply by scale) or a finite value > 0");
  if (divisor != 0.0 && conv == Convention::pixnorm)
    throw py::value_error("divisor: only with a named convention (exact uint8 levels)");
  const std::vector<double> mean_v = real_values(mean, "mean"), std_v = real_values(std, "std");
  const ChannelAffine p = make_channel_affine(mean_v, std_v, scale, C);  // validates them too
  ImageView shape_check = views[0];
  shape_check.n = static_cast<int64_t>(n);
  shape_check.height = crop_h;
  shape_check.width = crop_w;
  normalize_output_elements(shape_check);
  std::vector<int64_t> shape = {C, crop_h, crop_w};
  if (batch_output) shape.insert(shape.begin(), static_cast<int64_t>(n));
  py::object result;
  void* dst = prepare_out(out, shape, DType::f32, views, result);
  const int nthreads = call_threads();
  check_opencv_channels(conv, C);
  // One job per image, each with its own two plans (plan(is_x, in, out, first, count, mirror)), the
  // geometry's box; `proto` carries the convention's own settings.
  auto run = [&](auto proto, auto plan, auto resample_fn) {
    using Plan = decltype(plan(false, int64_t{0}, int64_t{0}, int64_t{0}, int64_t{0}, false));
    // Plans are built before the threads start, so each distinct axis is planned once: a batch
    // of images in a few sizes (the usual case) shares them.
    std::vector<Plan> plans;
    plans.reserve(2 * n);  // never reallocates: the jobs point into it
    std::map<std::array<int64_t, 6>, size_t> seen;
    auto plan_once = [&](bool is_x, int64_t in, int64_t out_full, int64_t first, int64_t count,
                         bool mirror) -> const Plan* {
      const std::array<int64_t, 6> key = {is_x, in, out_full, first, count, mirror};
      auto it = seen.find(key);
      if (it == seen.end()) {
        plans.push_back(plan(is_x, in, out_full, first, count, mirror));
        it = seen.emplace(key, plans.size() - 1).first;
      }
      return &plans[it->second];
    };
    std::vector<decltype(proto)> jobs(n, proto);
    for (size_t i = 0; i < n; ++i) {
      const Geometry& g = geoms[i];
      auto& j = jobs[i];
      j.src = views[i];
      j.box_top = g[0];
      j.box_left = g[1];
      j.py = plan_once(false, g[2], g[4], g[6], crop_h, false);     // vertical
      j.px = plan_once(true, g[3], g[5], g[7], crop_w, g[8] != 0);  // horizontal
      j.kind = ResampleOut::f32_chw;
      j.dst = static_cast<float*>(dst) + static_cast<int64_t>(i) * C * crop_h * crop_w;
      if constexpr (std::is_same_v<decltype(proto), OpencvJob>)
        j.area2x = g[2] == 2 * g[4] && g[3] == 2 * g[5];
      if constexpr (std::is_same_v<decltype(proto), FixedJob>)
        j.vertical_first =
            conv == Convention::pillow && pillow_vertical_first(g[2], g[3], g[4], g[5]);
    }
    resample_in_pieces(jobs, resample_fn);
  };
  py::gil_scoped_release nogil;
  if (conv == Convention::opencv || conv == Convention::pillow || conv == Convention::torch) {
    const std::vector<double> levels = level_params(mean_v, std_v, scale, C, divisor);
    if (conv == Convention::opencv) {
      OpencvJob proto;
      proto.levels = levels.data();
      run(
          proto,
          [](bool is_x, int64_t in, int64_t out_full, int64_t first, int64_t count, bool mirror) {
            return plan_axis_opencv(in, out_full, first, count, mirror, is_x);
          },
          [&](const std::vector<OpencvJob>& jobs) { resample_opencv(jobs, nthreads); });
    } else {
      FixedJob proto;
      proto.levels = levels.data();
      run(
          proto,
          [&](bool, int64_t in, int64_t out_full, int64_t first, int64_t count, bool mirror) {
            return plan_axis_fixed(in, out_full, antialias, first, count, mirror, conv);
          },
          [&](const std::vector<FixedJob>& jobs) { resample_fixed(jobs, nthreads); });
    }
    return result;
  }
  ResampleJob proto;
  proto.affine = &p;
  run(
      proto,
      [&](bool, int64_t in, int64_t out_full, int64_t first, int64_t count, bool mirror) {
        return plan_axis(in, out_full, antialias, first, count, mirror);
      },
      [&](const std::vector<ResampleJob>& jobs) { resample(jobs, nthreads); });
  return result;
}

}  // namespace

void register_resize(py::module_& m) {
  m.def("resize", &resize_py, py::arg("image"), py::arg("out_h"), py::arg("out_w"),
        py::arg("antialias"), py::arg("convention"), py::arg("out").none(true),
        "Low-level resize; see pixnorm.resize for the documented API.");
  m.def("preprocess", &preprocess_py, py::arg("images"), py::arg("geometries"), py::arg("crop_h"),
        py::arg("crop_w"), py::arg("antialias"), py::arg("convention"), py::arg("mean"),
        py::arg("std"), py::arg("scale"), py::arg("out").none(true), py::arg("batch_output"),
        py::arg("divisor") = 0.0,
        "Low-level preprocess; see pixnorm.preprocess for the documented API.");
}

}  // namespace pixnorm::bind
