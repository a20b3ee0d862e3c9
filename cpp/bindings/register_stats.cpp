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
  if (std::is_same<T, uint16_t>::value) return "uint16";
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
    throw py::type_error(std::string("image: dtype ") + dtype_name(img.view.dtype) +
                         " does not match these statistics (" + dtype_name(want) + ")");
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

void channels_u16(py::handle image, py::handle sum, py::handle sumsq, py::handle sumsq_hi,
                  py::handle mn, py::handle mx) {
  const ImageView v = stats_image(image, DType::u16).view;
  uint64_t* s = accumulator<uint64_t>(sum, "sum", v.channels);
  uint64_t* q = accumulator<uint64_t>(sumsq, "sumsq", v.channels);
  uint64_t* qh = accumulator<uint64_t>(sumsq_hi, "sumsq_hi", v.channels);
  uint16_t* lo = accumulator<uint16_t>(mn, "min", v.channels);
  uint16_t* hi = accumulator<uint16_t>(mx, "max", v.channels);
  const int nt = call_threads();
  py::gil_scoped_release nogil;
  stats_channels_u16(v, s, q, qh, lo, hi, nt, python_interrupt());
}

void pixels_u16(py::handle image, py::handle s1, py::handle s2, py::handle mn, py::handle mx) {
  const ImageView v = stats_image(image, DType::u16).view;
  const int64_t size = v.height * v.width * v.channels;
  uint64_t* a = accumulator<uint64_t>(s1, "s1", size);
  uint64_t* q = accumulator<uint64_t>(s2, "s2", size);
  uint16_t* lo = accumulator<uint16_t>(mn, "min", size);
  uint16_t* hi = accumulator<uint16_t>(mx, "max", size);
  const int nt = call_threads();
  py::gil_scoped_release nogil;
  stats_pixels_u16(v, a, q, lo, hi, nt, python_interrupt());
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

py::tuple u8_moments(uint64_t n, py::handle s1, py::handle s2, int64_t ddof, uint64_t max_value) {
  if (max_value != 255 && max_value != 65535)
    throw py::value_error("max_value: 255 or 65535, got " + std::to_string(max_value));
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
    stats_u8_moments(n, p1, p2, size, ddof, pm, pv, max_value);
  }
  return py::make_tuple(mean, var);
}

}  // namespace

void register_stats(py::module_& m) {
  m.def("stats_channels_u8", &channels_u8, py::arg("image"), py::arg("sum"), py::arg("sumsq"),
        py::arg("min"), py::arg("max"));
  m.def("stats_channels_f32", &channels_f32, py::arg("image"), py::arg("n"), py::arg("mean"),
        py::arg("m2"), py::arg("min"), py::arg("max"));
  m.def("stats_pixels_u8", &pixels_u8, py::arg("image"), py::arg("s1"), py::arg("s2"),
        py::arg("min"), py::arg("max"));
  m.def("stats_pixels_f32", &pixels_f32, py::arg("image"), py::arg("seen"), py::arg("mean"),
        py::arg("m2"), py::arg("min"), py::arg("max"));
  m.def("stats_u8_moments", &u8_moments, py::arg("n"), py::arg("s1"), py::arg("s2"),
        py::arg("ddof"), py::arg("max_value") = 255);
  m.def("stats_channels_u16", &channels_u16, py::arg("image"), py::arg("sum"), py::arg("sumsq"),
        py::arg("sumsq_hi"), py::arg("min"), py::arg("max"));
  m.def("stats_pixels_u16", &pixels_u16, py::arg("image"), py::arg("s1"), py::arg("s2"),
        py::arg("min"), py::arg("max"));
  m.attr("STATS_PIXEL_STAGE_IMAGES") = kStatsPixelStageImages;
}

}  // namespace pixnorm::bind
