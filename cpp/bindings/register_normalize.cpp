// pixnorm._core.normalize: converts arguments, releases the GIL, calls pixnorm::normalize.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "convert.hpp"
#include "pixnorm/normalize.hpp"

namespace py = pybind11;

namespace pixnorm::bind {

namespace {

// The (C, H, W) or (H, W, C) shape of each image, with N first for a batch.
std::vector<int64_t> out_shape(const Image& img, int64_t C, const OutFormat& f) {
  const ImageView& v = img.view;
  std::vector<int64_t> shape = {C, v.height, v.width};
  if (f.layout == Layout::hwc) shape = {v.height, v.width, C};
  if (img.batch) shape.insert(shape.begin(), v.n);
  return shape;
}

OutFormat normalize_format(const std::string& dtype, const std::string& layout) {
  const OutFormat f = format_from(dtype, layout);
  if (f.type == OutType::u8)
    throw py::value_error(
        "dtype: uint8 holds no normalized values; use preprocess(..., dtype=np.uint8) for the "
        "resized uint8 image, or float32, float16 or bfloat16 here");
  return f;
}

py::object normalize_py(py::handle image, py::handle mean, py::handle std, double scale,
                        py::handle out, py::handle color, double color_scale,
                        const std::string& dtype, const std::string& layout) {
  const OutFormat f = normalize_format(dtype, layout);
  const Image img = image_from(image, "image");
  const ImageView& v = img.view;
  const Color col = color_from(color);
  ImageView shape_check = v;
  shape_check.channels = color_channels(col, v.channels);  // throws for a bad colour
  normalize_output_elements(shape_check);  // sizes and byte counts, before any allocation
  const int64_t C = shape_check.channels;
  const ChannelAffine p =
      make_channel_affine(real_values(mean, "mean"), real_values(std, "std"), scale, C);
  py::object result;
  void* dst = prepare_out(out, out_shape(img, C, f), f.type, {v}, result);
  const int nthreads = call_threads();
  py::gil_scoped_release nogil;  // only raw pointers, sizes and strides from here on
  normalize(v, p, dst, nthreads, python_interrupt(), col, color_scale > 0 ? color_scale : scale, f);
  return result;
}

py::object normalize_pixel_py(py::handle image, py::handle a, py::handle b, py::handle out,
                              const std::string& dtype, const std::string& layout) {
  const OutFormat f = normalize_format(dtype, layout);
  const Image img = image_from(image, "image");
  const ImageView& v = img.view;
  normalize_output_elements(v);
  const int64_t size = v.channels * v.height * v.width;
  // a and b are computed by pixnorm.normalize; read-only arrays are fine here
  // a: (C, H, W), or (C,) when it is one value per channel
  const auto plane = [](py::handle h, const char* name, int64_t size) -> const float* {
    if (!py::isinstance<py::array_t<float>>(h))
      throw py::type_error(std::string(name) + ": expected a float32 array");
    auto arr = py::reinterpret_borrow<py::array>(h);
    if (!arr.dtype().equal(py::dtype::of<float>()) || arr.size() != size ||
        !(arr.flags() & py::array::c_style) ||
        reinterpret_cast<uintptr_t>(arr.data()) % alignof(float) != 0)
      throw py::value_error(std::string(name) + ": expected a C-contiguous float32 array of " +
                            std::to_string(size) + " elements");
    return static_cast<const float*>(arr.data());
  };
  const bool a_per_channel =
      py::isinstance<py::array>(a) && py::reinterpret_borrow<py::array>(a).ndim() == 1;
  const float* pa = plane(a, "a", a_per_channel ? v.channels : size);
  const float* pb = plane(b, "b", size);
  py::object result;
  void* dst = prepare_out(out, out_shape(img, v.channels, f), f.type, {v}, result);
  const int nt = call_threads();
  {
    py::gil_scoped_release nogil;
    normalize_pixel(v, pa, pb, dst, nt, python_interrupt(), a_per_channel, f);
  }
  return result;
}

PlaneView plane_view(py::handle h, const char* name, const std::vector<int64_t>& chw) {
  if (!py::isinstance<py::array_t<double>>(h))
    throw py::type_error(std::string(name) + ": expected a float64 array");
  const auto arr = py::reinterpret_borrow<py::array>(h);
  bool ok = arr.ndim() == 3;
  for (py::ssize_t k = 0; ok && k < 3; ++k)
    ok = arr.shape(k) == chw[static_cast<size_t>(k)] && arr.strides(k) % 8 == 0;
  if (!ok || reinterpret_cast<uintptr_t>(arr.data()) % alignof(double) != 0)
    throw py::value_error(std::string(name) +
                          ": expected an aligned float64 (C, H, W) array, got " + shape_str(arr));
  PlaneView p;
  p.data = static_cast<const double*>(arr.data());
  p.stride_c = arr.strides(0) / 8;
  p.stride_y = arr.strides(1) / 8;
  p.stride_x = arr.strides(2) / 8;
  return p;
}

py::tuple pixel_affine(py::handle mean, py::handle std, double scale, int64_t channels,
                       int64_t height, int64_t width) {
  if (channels <= 0 || height <= 0 || width <= 0)
    throw py::value_error("pixel_affine: sizes must be positive");
  const std::vector<int64_t> chw = {channels, height, width};
  const PlaneView m = plane_view(mean, "mean", chw), s = plane_view(std, "std", chw);
  py::array_t<float> a({channels, height, width}), b({channels, height, width});
  float* pa = a.mutable_data();
  float* pb = b.mutable_data();
  {
    py::gil_scoped_release nogil;  // mean and std stay referenced by the caller's frame
    make_pixel_affine(m, s, scale, channels, height, width, pa, pb);
  }
  return py::make_tuple(a, b);
}

}  // namespace

void register_normalize(py::module_& m) {
  m.def("pixel_affine", &pixel_affine, py::arg("mean"), py::arg("std"), py::arg("scale"),
        py::arg("channels"), py::arg("height"), py::arg("width"));
  m.def("normalize_pixel", &normalize_pixel_py, py::arg("image"), py::arg("a"), py::arg("b"),
        py::arg("out").none(true), py::arg("dtype") = "float32", py::arg("layout") = "CHW",
        "Low-level per-pixel normalize; see pixnorm.normalize for the documented API.");
  m.def("normalize", &normalize_py, py::arg("image"), py::arg("mean"), py::arg("std"),
        py::arg("scale"), py::arg("out").none(true), py::arg("color") = py::none(),
        py::arg("color_scale") = 0.0, py::arg("dtype") = "float32", py::arg("layout") = "CHW",
        "Low-level normalize; see pixnorm.normalize for the documented API.");
}

}  // namespace pixnorm::bind
