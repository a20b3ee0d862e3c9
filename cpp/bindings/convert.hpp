// Array <-> view conversion shared by the register_*.cpp files. Everything here runs with the GIL
// held; it extracts pointers, sizes and strides so the C++ core can run without it.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

#include "pixnorm/color.hpp"
#include "pixnorm/image_view.hpp"
#include "pixnorm/interrupt.hpp"
#include "pixnorm/output.hpp"

namespace pixnorm::bind {

namespace py = pybind11;

struct Image {
  ImageView view;
  bool batch = false;  // the input was (N, H, W, C)
  int ndim = 3;        // 2, 3 or 4, as given
};

// Accepts a numpy array of uint8 or native-endian float32 with shape (H, W), (H, W, C) or
// (N, H, W, C), any strides. Raises TypeError / ValueError naming `name`.
Image image_from(py::handle obj, const char* name);

// A Python scalar, a 0-d array, or a 1-d sequence of reals -> doubles. TypeError naming `name`.
std::vector<double> real_values(py::handle obj, const char* name);

// `color`: None or a colour's name (pixnorm/color.hpp); TypeError / ValueError naming it.
Color color_from(py::handle obj);

// Validates a user-supplied `out` (exact shape, float32, C-contiguous, writable, not overlapping
// the input) and returns its data pointer; or allocates a fresh array into `result`.
float* prepare_out(py::handle out, const std::vector<int64_t>& shape, const ImageView& input,
                   py::object& result);
// The same for an output of `dtype` that must not overlap any of `inputs`.
void* prepare_out(py::handle out, const std::vector<int64_t>& shape, DType dtype,
                  const std::vector<ImageView>& inputs, py::object& result);

// The same for an output of `type` (bfloat16: a uint16 array of its bits).
void* prepare_out(py::handle out, const std::vector<int64_t>& shape, OutType type,
                  const std::vector<ImageView>& inputs, py::object& result);
// "float32" | "float16" | "bfloat16" | "uint8" and "CHW" | "HWC" (ValueError otherwise).
OutFormat format_from(const std::string& dtype, const std::string& layout);

// The thread count for the call about to run: threads::effective_threads().
int call_threads();

std::string shape_str(const py::array& a);

// The core's Interrupt for a call made with the GIL released: takes the GIL, runs Python's
// signal handlers and raises their exception (KeyboardInterrupt on Ctrl-C) through the core.
Interrupt python_interrupt();

}  // namespace pixnorm::bind
