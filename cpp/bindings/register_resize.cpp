// pixnorm._core.resize / preprocess / check_convention: convert the arguments into the C++
// core's requests (pixnorm/resize.hpp), allocate or check `out`, release the GIL and call the
// core. What the arguments mean and every check of them live in the core.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <string>
#include <tuple>
#include <vector>

#include "convert.hpp"
#include "pixnorm/resize.hpp"
#include "pixnorm/warp.hpp"

namespace py = pybind11;

namespace pixnorm::bind {

namespace {

// None (pixnorm's own arithmetic) or a convention's name. Names are compared as Python strings
// (no conversion, which fails for lone surrogates) and an unknown one is quoted by repr.
Convention convention_from(py::handle obj) {
  if (obj.is_none()) return Convention::pixnorm;
  if (!py::isinstance<py::str>(obj))
    throw py::type_error("convention: expected None or a name, got " +
                         py::str(py::type::of(obj)).cast<std::string>());
  for (Convention c : {Convention::pillow, Convention::torch, Convention::opencv})
    if (obj.equal(py::str(convention_name(c)))) return c;
  throw py::value_error("convention: " + py::repr(obj).cast<std::string>() +
                        " is not available; expected None (pixnorm's own arithmetic), 'pillow', "
                        "'torch' or 'opencv'");
}

// A filter's name (pixnorm._args.interpolation_name has already mapped torchvision's and
// Pillow's constants to these names).
Filter filter_from(py::handle obj) {
  if (py::isinstance<py::str>(obj))
    for (Filter f : {Filter::bilinear, Filter::bicubic, Filter::lanczos, Filter::box,
                     Filter::hamming, Filter::nearest, Filter::nearest_exact, Filter::area})
      if (obj.equal(py::str(filter_name(f)))) return f;
  throw py::value_error("interpolation: " + py::repr(obj).cast<std::string>() +
                        " is not available; expected 'bilinear', 'bicubic', 'lanczos', 'box', "
                        "'hamming', 'nearest', 'nearest-exact' or 'area'");
}

// One image's geometry as pixnorm._resize.Geometry (a NamedTuple) sends it: the fields in the
// order of pixnorm::Geometry.
using GeometryTuple = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                                 int64_t, int64_t, int64_t, double, double, double, double>;
Geometry geometry_from(const GeometryTuple& t) {
  Geometry g;
  g.box_top = std::get<0>(t);
  g.box_left = std::get<1>(t);
  g.box_height = std::get<2>(t);
  g.box_width = std::get<3>(t);
  g.resized_height = std::get<4>(t);
  g.resized_width = std::get<5>(t);
  g.crop_top = std::get<6>(t);
  g.crop_left = std::get<7>(t);
  g.flip = std::get<8>(t) != 0;
  g.vflip = std::get<9>(t) != 0;
  g.factor_y = std::get<10>(t);
  g.factor_x = std::get<11>(t);
  g.shift_y = std::get<12>(t);
  g.shift_x = std::get<13>(t);
  return g;
}

py::object resize_py(py::handle image, int64_t out_h, int64_t out_w, bool antialias,
                     py::handle convention, py::handle out, double factor_y, double factor_x,
                     py::handle color, py::handle interpolation) {
  const Image img = image_from(image, "image");
  ResizeRequest r;
  r.filter = filter_from(interpolation);
  r.images = img.view;
  r.height = out_h;
  r.width = out_w;
  r.antialias = antialias;
  r.convention = convention_from(convention);
  r.factor_y = factor_y;
  r.factor_x = factor_x;
  r.color = color_from(color);
  check_resize(r);
  std::vector<int64_t> shape;
  if (img.batch) shape.push_back(r.images.n);
  shape.push_back(out_h);
  shape.push_back(out_w);
  const int64_t channels = color_channels(r.color, r.images.channels);
  // (H, W) in, and a colour that keeps one channel (none, gray): (H, W) out
  if (img.ndim != 2 || channels != 1) shape.push_back(channels);
  py::object result;
  void* dst = prepare_out(out, shape, r.images.dtype, {r.images}, result);
  const int nthreads = call_threads();
  py::gil_scoped_release nogil;
  resize(r, dst, nthreads, python_interrupt());
  return result;
}

py::object warp_py(py::handle image, const std::vector<double>& matrix, int64_t out_h,
                   int64_t out_w, const std::string& interpolation, py::handle convention,
                   const std::vector<double>& fill, py::handle mean, py::handle std, double scale,
                   double divisor, const std::string& dtype, const std::string& layout,
                   py::handle out, py::handle polar, py::handle torch, bool flip_h, bool flip_v) {
  const Image img = image_from(image, "image");
  if (img.batch)
    throw py::value_error("image: expected one image (H, W) or (H, W, C), got a batch");
  WarpRequest r;
  r.image = img.view;
  if (matrix.size() != 6) throw py::value_error("matrix: expected 6 values (2 x 3)");
  std::copy(matrix.begin(), matrix.end(), r.matrix.begin());
  r.height = out_h;
  r.width = out_w;
  if (interpolation == "nearest")
    r.filter = WarpFilter::nearest;
  else if (interpolation == "bilinear")
    r.filter = WarpFilter::bilinear;
  else
    throw py::value_error("interpolation: expected 'bilinear' or 'nearest', got '" + interpolation +
                          "'");
  r.convention = convention_from(convention);
  r.fill = fill;
  r.mean = real_values(mean, "mean");
  r.std = real_values(std, "std");
  r.scale = scale;
  r.divisor = divisor;
  r.format = format_from(dtype, layout);
  if (!polar.is_none()) {  // (center_x, center_y, max_radius, log, inverse): warp_polar
    const auto p = polar.cast<std::tuple<double, double, double, bool, bool>>();
    r.polar = true;
    r.center_x = std::get<0>(p);
    r.center_y = std::get<1>(p);
    r.max_radius = std::get<2>(p);
    r.polar_log = std::get<3>(p);
    r.polar_inverse = std::get<4>(p);
  }
  if (!torch.is_none()) {  // (small, fill, copy): convention 'torch'
    const auto t = torch.cast<std::tuple<bool, bool, bool>>();
    r.torch_small = std::get<0>(t);
    r.torch_fill = std::get<1>(t);
    r.torch_copy = std::get<2>(t);
  }
  r.flip_h = flip_h;
  r.flip_v = flip_v;
  const std::vector<int64_t> shape = warp_shape(r);
  py::object result;
  void* dst = prepare_out(out, shape, r.format.type, {r.image}, result);
  const int nthreads = call_threads();
  py::gil_scoped_release nogil;
  warp(r, dst, nthreads, python_interrupt());
  return result;
}

py::object preprocess_py(const py::list& images, const std::vector<GeometryTuple>& geometry,
                         int64_t crop_h, int64_t crop_w, bool antialias, py::handle convention,
                         py::handle mean, py::handle std, double scale, py::handle out,
                         bool batch_output, double divisor, int64_t out_h, int64_t out_w,
                         int64_t pad_top, int64_t pad_left, const std::vector<float>& fill,
                         py::handle color, bool color_after_resize, double color_scale,
                         const std::string& dtype, const std::string& layout,
                         py::handle interpolation, py::handle pixel_a, py::handle pixel_b,
                         bool check_only) {
  PreprocessRequest r;
  r.filter = filter_from(interpolation);
  r.format = format_from(dtype, layout);
  r.batch = batch_output;
  r.images.reserve(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string name = batch_output ? "images[" + std::to_string(i) + "]" : "image";
    const Image img = image_from(images[i], name.c_str());
    if (img.batch)
      throw py::value_error(name +
                            ": expected one image (H, W) or (H, W, C); use "
                            "preprocess_batch for several");
    r.images.push_back(img.view);
  }
  r.geometry.reserve(geometry.size());
  for (const GeometryTuple& t : geometry) r.geometry.push_back(geometry_from(t));
  r.crop_height = crop_h;
  r.crop_width = crop_w;
  r.antialias = antialias;
  r.convention = convention_from(convention);
  r.mean = real_values(mean, "mean");
  r.std = real_values(std, "std");
  r.scale = scale;
  r.divisor = divisor;
  r.out_height = out_h;
  r.out_width = out_w;
  r.pad_top = pad_top;
  r.pad_left = pad_left;
  r.fill = fill;
  r.color = color_from(color);
  r.color_after_resize = color_after_resize;
  r.color_scale = color_scale;
  std::vector<int64_t> shape = preprocess_shape(r);
  std::vector<ImageView> inputs = r.images;
  if (!pixel_a.is_none() || !pixel_b.is_none()) {
    // per-pixel coefficients (computed by pixnorm's Python layer): b (C, h, w) float32, a the
    // same or (C,); C-contiguous; never overlapping the output (they are read as it is written)
    const int64_t C = color_channels(r.color, r.images[0].channels);  // checked just above
    const int64_t plane = C * crop_h * crop_w;
    const auto coefficients = [&](py::handle h, const char* name, bool allow_per_channel,
                                  bool& per_channel) -> const float* {
      if (!py::isinstance<py::array_t<float>>(h))
        throw py::type_error(std::string(name) + ": expected a float32 array");
      const auto arr = py::reinterpret_borrow<py::array>(h);
      per_channel = allow_per_channel && arr.ndim() == 1;
      const int64_t want = per_channel ? C : plane;
      if (!arr.dtype().equal(py::dtype::of<float>()) || arr.size() != want ||
          !(arr.flags() & py::array::c_style) ||
          reinterpret_cast<uintptr_t>(arr.data()) % alignof(float) != 0)
        throw py::value_error(std::string(name) + ": expected a C-contiguous float32 array of " +
                              std::to_string(want) + " elements");
      ImageView v;  // its bytes, for the overlap check of `out`
      v.data = arr.data();
      v.dtype = DType::f32;
      v.height = v.channels = 1;
      v.width = want;
      v.stride_x = v.stride_c = 4;
      v.stride_y = 4 * want;
      inputs.push_back(v);
      return static_cast<const float*>(arr.data());
    };
    bool per_channel = false, unused = false;
    r.pixel_a = coefficients(pixel_a, "pixel_a", true, per_channel);
    r.pixel_b = coefficients(pixel_b, "pixel_b", false, unused);
    r.pixel_a_per_channel = per_channel;
    shape = preprocess_shape(r);  // the rules of per-pixel coefficients
  }
  py::object result;
  if (check_only) {  // the whole call checked (out too, when given), nothing computed
    if (!out.is_none()) prepare_out(out, shape, r.format.type, inputs, result);
    py::tuple dims(shape.size());
    for (size_t i = 0; i < shape.size(); ++i) dims[i] = py::int_(shape[i]);
    return std::move(dims);
  }
  void* dst = prepare_out(out, shape, r.format.type, inputs, result);
  const int nthreads = call_threads();
  py::gil_scoped_release nogil;
  preprocess(r, dst, nthreads, python_interrupt());
  return result;
}

}  // namespace

void register_resize(py::module_& m) {
  m.def(
      "check_convention",
      [](py::handle convention, bool antialias, py::handle interpolation) {
        check_convention(convention_from(convention), antialias, DType::u8, 1,
                         filter_from(interpolation));
      },
      py::arg("convention"), py::arg("antialias"), py::arg("interpolation") = "bilinear",
      "The convention's own rules (a name it knows, antialias and the filters it resizes "
      "with); images are checked when they are given.");
  m.def("check_box", &check_box, py::arg("top"), py::arg("left"), py::arg("height"),
        py::arg("width"), py::arg("image_height"), py::arg("image_width"), py::arg("name"),
        "The core's box check (non-empty, inside the image), for the Python geometry.");
  m.def("check_crop", &check_crop, py::arg("crop_height"), py::arg("crop_width"),
        py::arg("resized_height"), py::arg("resized_width"),
        "The core's crop check (no larger than the resized image), for the Python geometry: "
        "callers that allocate the output first (Collate) learn of a bad crop before.");
  m.def(
      "check_out",
      [](py::handle out, const std::vector<int64_t>& shape, const py::list& images,
         const std::string& dtype) {
        std::vector<ImageView> views;
        for (size_t i = 0; i < images.size(); ++i)
          views.push_back(image_from(images[i], "images").view);
        py::object result;
        prepare_out(out, shape, format_from(dtype, "CHW").type, views, result);  // as the calls
      },
      py::arg("out"), py::arg("shape"), py::arg("images"), py::arg("dtype") = "float32",
      "The core's checks of an `out` of `dtype` (type, dtype, shape, C order, writable, aligned, "
      "not overlapping the images), for callers that fill it piece by piece.");
  m.def(
      "color_channels",
      [](py::handle color, int64_t channels, py::handle convention) {
        const Color c = color_from(color);
        check_color(c, convention_from(convention), channels);
        return color_channels(c, channels);
      },
      py::arg("color").none(true), py::arg("channels"), py::arg("convention") = py::none(),
      "The channels `color` gives from an image of `channels` in `convention` (the core's "
      "checks of all three).");
  m.attr("MAX_OUTPUT_SIDE") = kMaxOutputSide;
  m.def("resize", &resize_py, py::arg("image"), py::arg("out_h"), py::arg("out_w"),
        py::arg("antialias"), py::arg("convention").none(true), py::arg("out").none(true),
        py::arg("factor_y") = 0.0, py::arg("factor_x") = 0.0, py::arg("color") = py::none(),
        py::arg("interpolation") = "bilinear",
        "Low-level resize; see pixnorm.resize for the documented API.");
  m.def("warp_affine", &warp_py, py::arg("image"), py::arg("matrix"), py::arg("out_h"),
        py::arg("out_w"), py::arg("interpolation"), py::arg("convention").none(true),
        py::arg("fill"), py::arg("mean"), py::arg("std"), py::arg("scale"), py::arg("divisor"),
        py::arg("dtype"), py::arg("layout"), py::arg("out").none(true),
        py::arg("polar") = py::none(), py::arg("torch") = py::none(), py::arg("flip_h") = false,
        py::arg("flip_v") = false,
        "Low-level affine (or, with polar, polar) warp; see pixnorm.warp_affine and "
        "pixnorm.warp_polar for the documented API.");
  m.def("preprocess", &preprocess_py, py::arg("images"), py::arg("geometries"), py::arg("crop_h"),
        py::arg("crop_w"), py::arg("antialias"), py::arg("convention").none(true), py::arg("mean"),
        py::arg("std"), py::arg("scale"), py::arg("out").none(true), py::arg("batch_output"),
        py::arg("divisor") = 0.0, py::arg("out_h") = 0, py::arg("out_w") = 0,
        py::arg("pad_top") = 0, py::arg("pad_left") = 0, py::arg("fill") = std::vector<float>{},
        py::arg("color") = py::none(), py::arg("color_after_resize") = false,
        py::arg("color_scale") = 0.0, py::arg("dtype") = "float32", py::arg("layout") = "CHW",
        py::arg("interpolation") = "bilinear", py::arg("pixel_a") = py::none(),
        py::arg("pixel_b") = py::none(), py::arg("check_only") = false,
        "Low-level preprocess; see pixnorm.preprocess for the documented API. check_only: "
        "check the call (images by their shapes, out when given) and return the output's "
        "shape, computing nothing.");
}

}  // namespace pixnorm::bind
