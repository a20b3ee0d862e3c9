// pixnorm._core.normalize: converts arguments, releases the GIL, calls pixnorm::normalize.
#include <pybind11/pybind11.h>

#include "convert.hpp"
#include "pixnorm/normalize.hpp"

namespace py = pybind11;

namespace pixnorm::bind {

namespace {

py::object normalize_py(py::handle image, py::handle mean, py::handle std, double scale,
                        py::handle out) {
  const Image img = image_from(image, "image");
  const ImageView& v = img.view;
  normalize_output_elements(v);  // sizes and byte counts, before any allocation
  const ChannelAffine p =
      make_channel_affine(real_values(mean, "mean"), real_values(std, "std"), scale, v.channels);
  std::vector<int64_t> shape = {v.channels, v.height, v.width};
  if (img.batch) shape.insert(shape.begin(), v.n);
  py::object result;
  float* dst = prepare_out(out, shape, v, result);
  const int nthreads = call_threads();
  py::gil_scoped_release nogil;  // only raw pointers, sizes and strides from here on
  normalize(v, p, dst, nthreads, python_interrupt());
  return result;
}

}  // namespace

void register_normalize(py::module_& m) {
  m.def("normalize", &normalize_py, py::arg("image"), py::arg("mean"), py::arg("std"),
        py::arg("scale"), py::arg("out").none(true),
        "Low-level normalize; see pixnorm.normalize for the documented API.");
}

}  // namespace pixnorm::bind
