// pixnorm._core statistics and per-pixel normalize: convert arguments, release the GIL, call the
// C++ core. The accumulators are numpy arrays owned by pixnorm.RunningStats; each is checked
// (dtype, size, C-contiguous, writable) before any pointer is used.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <type_traits>
#include <vector>

#include "convert.hpp"
#include "pixnorm/normalize.hpp"
#include "pixnorm/stats.hpp"

namespace py = pybind11;

namespace pixnorm::bind {

namespace {

template <class T>
const char* type_name() {
  if (std::is_same<T, uint8_t>::value) return "uint8";
  if (std::is_same<T, uint32_t>::value) return "uint32";
  if (std::is_same<T, uint64_t>::value) return "uint64";
  if (std::is_same<T, int64_t>::value) return "int64";
  if (std::is_same<T, float>::value) return "float32";
  return "float64";
}

// A writable, C-contiguous, aligned numpy array of exactly `size` elements of T.
template <class T>
T* accumulator(py::handle obj, const char* name, int64_t size) {
  if (!py::isinstance<py::array_t<T>>(obj))  // an ndarray of an equivalent dtype
    throw py::type_error(std::string(name) + ": expected a numpy " + type_name<T>() + " array");
  auto arr = py::reinterpret_borrow<py::array>(obj);
  if (arr.size() != size)
    throw py::value_error(std::string(name) + ": expected " + std::to_string(size) +
                          " elements, got " + std::to_string(arr.size()));
  if (!(arr.flags() & py::array::c_style) || !arr.writeable() ||
      reinterpret_cast<uintptr_t>(arr.data()) % alignof(T) != 0)
    throw py::value_error(std::string(name) + ": must be C-contiguous, aligned and writable");
  return static_cast<T*>(arr.mutable_data());
}

Image stats_image(py::handle image, DType want) {
  Image img = image_from(image, "image");
  if (img.view.dtype != want)
    throw py::type_error(
        std::string("image: dtype ") + (img.view.dtype == DType::u8 ? "uint8" : "float32") +
        " does not match these statistics (" + (want == DType::u8 ? "uint8" : "float32") + ")");
  return img;
}

void channels_u8(py::handle image, py::handle sum, py::handle sumsq, py::handle mn, py::handle mx) {
  const ImageView v = stats_image(image, DType::u8).view;
  uint64_t* s = accumulator<uint64_t>(sum, "sum", v.channels);
  uint64_t* q = accumulator<uint64_t>(sumsq, "sumsq", v.channels);
  uint8_t* lo = accumulator<uint8_t>(mn, "min", v.channels);
  uint8_t* hi = accumulator<uint8_t>(mx, "max", v.channels);
  const int nt = call_threads();
  py::gil_scoped_release nogil;
  stats_channels_u8(v, s, q, lo, hi, nt, python_interrupt());
}

void channels_f32(py::handle image, py::handle n, py::handle mean, py::handle m2, py::handle mn,
                  py::handle mx) {
  const ImageView v = stats_image(image, DType::f32).view;
  int64_t* pn = accumulator<int64_t>(n, "n", v.channels);
  double* pm = accumulator<double>(mean, "mean", v.channels);
  double* pq = accumulator<double>(m2, "m2", v.channels);
  float* lo = accumulator<float>(mn, "min", v.channels);
  float* hi = accumulator<float>(mx, "max", v.channels);
  const int nt = call_threads();
  py::gil_scoped_release nogil;
  stats_channels_f32(v, pn, pm, pq, lo, hi, nt, python_interrupt());
}

void pixels_u8(py::handle image, py::handle s1, py::handle s2, py::handle mn, py::handle mx) {
  const ImageView v = stats_image(image, DType::u8).view;
  if (v.n > kStatsPixelStageImages)
    throw py::value_error("image: at most " + std::to_string(kStatsPixelStageImages) +
                          " images per call");
  const int64_t size = v.height * v.width * v.channels;
  uint32_t* a = accumulator<uint32_t>(s1, "s1", size);
  uint32_t* q = accumulator<uint32_t>(s2, "s2", size);
  uint8_t* lo = accumulator<uint8_t>(mn, "min", size);
  uint8_t* hi = accumulator<uint8_t>(mx, "max", size);
  const int nt = call_threads();
  py::gil_scoped_release nogil;
  stats_pixels_u8(v, a, q, lo, hi, nt, python_interrupt());
}

void pixels_f32(py::handle image, int64_t seen, py::handle mean, py::handle m2, py::handle mn,
                py::handle mx) {
  const ImageView v = stats_image(image, DType::f32).view;
  if (seen < 0) throw py::value_error("seen: must be >= 0");
  const int64_t size = v.height * v.width * v.channels;
  double* pm = accumulator<double>(mean, "mean", size);
  double* pq = accumulator<double>(m2, "m2", size);
  float* lo = accumulator<float>(mn, "min", size);
  float* hi = accumulator<float>(mx, "max", size);
  const int nt = call_threads();
  py::gil_scoped_release nogil;
  stats_pixels_f32(v, seen, pm, pq, lo, hi, nt, python_interrupt());
}

py::tuple u8_moments(uint64_t n, py::handle s1, py::handle s2, int64_t ddof) {
  if (ddof < 0) throw py::value_error("ddof: must be >= 0, got " + std::to_string(ddof));
  if (n <= static_cast<uint64_t>(ddof))
    throw py::value_error("ddof: needs more than " + std::to_string(ddof) + " values, got " +
                          std::to_string(n));
  const auto a1 = py::reinterpret_borrow<py::array>(s1);
  const int64_t size = a1.size();
  const uint64_t* p1 = accumulator<uint64_t>(s1, "s1", size);
  const uint64_t* p2 = accumulator<uint64_t>(s2, "s2", size);
  py::array_t<double> mean(size), var(size);
  double* pm = mean.mutable_data();
  double* pv = var.mutable_data();
  {
    py::gil_scoped_release nogil;
    stats_u8_moments(n, p1, p2, size, ddof, pm, pv);
  }
  return py::make_tuple(mean, var);
}

py::object normalize_pixel_py(py::handle image, py::handle a, py::handle b, py::handle out) {
  const Image img = image_from(image, "image");
  const ImageView& v = img.view;
  normalize_output_elements(v);
  const int64_t size = v.channels * v.height * v.width;
  // a and b are computed by pixnorm.normalize; read-only arrays are fine here
  const auto plane = [size](py::handle h, const char* name) -> const float* {
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
  const float* pa = plane(a, "a");
  const float* pb = plane(b, "b");
  std::vector<int64_t> shape = {v.channels, v.height, v.width};
  if (img.batch) shape.insert(shape.begin(), v.n);
  py::object result;
  float* dst = prepare_out(out, shape, v, result);
  const int nt = call_threads();
  {
    py::gil_scoped_release nogil;
    normalize_pixel(v, pa, pb, dst, nt, python_interrupt());
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

void register_stats(py::module_& m) {
  m.def("pixel_affine", &pixel_affine, py::arg("mean"), py::arg("std"), py::arg("scale"),
        py::arg("channels"), py::arg("height"), py::arg("width"));
  m.def("stats_channels_u8", &channels_u8, py::arg("image"), py::arg("sum"), py::arg("sumsq"),
        py::arg("min"), py::arg("max"));
  m.def("stats_channels_f32", &channels_f32, py::arg("image"), py::arg("n"), py::arg("mean"),
        py::arg("m2"), py::arg("min"), py::arg("max"));
  m.def("stats_pixels_u8", &pixels_u8, py::arg("image"), py::arg("s1"), py::arg("s2"),
        py::arg("min"), py::arg("max"));
  m.def("stats_pixels_f32", &pixels_f32, py::arg("image"), py::arg("seen"), py::arg("mean"),
        py::arg("m2"), py::arg("min"), py::arg("max"));
  m.def("stats_u8_moments", &u8_moments, py::arg("n"), py::arg("s1"), py::arg("s2"),
        py::arg("ddof"));
  m.def("normalize_pixel", &normalize_pixel_py, py::arg("image"), py::arg("a"), py::arg("b"),
        py::arg("out").none(true),
        "Low-level per-pixel normalize; see pixnorm.normalize for the documented API.");
  m.attr("STATS_PIXEL_STAGE_IMAGES") = kStatsPixelStageImages;
}

}  // namespace pixnorm::bind
