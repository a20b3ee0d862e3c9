#include <pybind11/pybind11.h>

#include "pixnorm/errors.hpp"

namespace py = pybind11;

namespace pixnorm::bind {
void register_info(py::module_& m);
void register_normalize(py::module_& m);
void register_resize(py::module_& m);
void register_stats(py::module_& m);
void register_decode(py::module_& m);
}  // namespace pixnorm::bind

PYBIND11_MODULE(_core, m) {
  m.doc() = "pixnorm's native core; use the pixnorm package, not this module.";
  // The core's type_error is a std::invalid_argument (ValueError by default): a TypeError here.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const pixnorm::type_error& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    }
  });
  pixnorm::bind::register_info(m);
  pixnorm::bind::register_normalize(m);
  pixnorm::bind::register_resize(m);
  pixnorm::bind::register_stats(m);
  pixnorm::bind::register_decode(m);
}
