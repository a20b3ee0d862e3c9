// Array <-> view conversion shared by the register_*.cpp files. Everything here runs with the GIL
// held; it extracts pointers, sizes and strides so the C++ core can run without it.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "pixnorm/image_view.hpp"

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

// Validates a user-supplied `out` (exact shape, float32, C-contiguous, writable, not overlapping
// the input) and returns its data pointer; or allocates a fresh array into `result`.
float* prepare_out(py::handle out, const std::vector<int64_t>& shape, const ImageView& input,
                   py::object& result);
// The same for an output of `dtype` that must not overlap any of `inputs`.
void* prepare_out(py::handle out, const std::vector<int64_t>& shape, DType dtype,
                  const std::vector<ImageView>& inputs, py::object& result);

// Emits the one-per-process RuntimeWarning when a thread request was reduced for fork safety.
void warn_if_threads_reduced();

// The thread count for the call about to run (with the GIL held): warns once if it was reduced
// for fork safety, then returns threads::effective_threads().
int call_threads();

std::string shape_str(const py::array& a);

// Work larger than this many input values runs in pieces: between two pieces the binding takes
// the GIL back and calls PyErr_CheckSignals, so Ctrl-C (KeyboardInterrupt) stops a long call
// within a piece (tens of milliseconds) instead of when the whole call returns.
constexpr int64_t kInterruptValues = int64_t{1} << 26;

// Calls piece(sub, first_image, first_row) with the GIL released for pieces of `v` of about
// kInterruptValues values: runs of whole images, or (when `rows` is true and one image is larger)
// runs of rows of one image. Called with the GIL held; a pending signal between two pieces
// raises its Python exception (py::error_already_set) with the pieces before it done.
template <class F>
void run_in_pieces(const ImageView& v, bool rows, F&& piece) {
  const int64_t row_values = v.width * v.channels;
  const int64_t image_values = v.height * row_values;
  bool first = true;
  auto run = [&](const ImageView& sub, int64_t i, int64_t y) {
    if (!first && PyErr_CheckSignals() != 0) throw py::error_already_set();
    first = false;
    py::gil_scoped_release nogil;
    piece(sub, i, y);
  };
  if (!rows || image_values <= kInterruptValues) {
    const int64_t step =
        std::max<int64_t>(1, kInterruptValues / std::max<int64_t>(image_values, 1));
    for (int64_t i = 0; i < v.n; i += step) {
      ImageView sub = v;
      sub.n = std::min(step, v.n - i);
      sub.data = v.byte_ptr(i, 0, 0, 0);
      run(sub, i, 0);
    }
    return;
  }
  const int64_t step = std::max<int64_t>(1, kInterruptValues / std::max<int64_t>(row_values, 1));
  for (int64_t i = 0; i < v.n; ++i) {
    for (int64_t y = 0; y < v.height; y += step) {
      ImageView sub = v;
      sub.n = 1;
      sub.height = std::min(step, v.height - y);
      sub.data = v.byte_ptr(i, y, 0, 0);
      run(sub, i, y);
    }
  }
}

// Called with the GIL released: fn(part) on runs of consecutive resample jobs (one image each)
// of about kInterruptValues source and output values, taking the GIL between two runs to check
// for signals as run_in_pieces does.
template <class Job, class F>
void resample_in_pieces(const std::vector<Job>& jobs, F&& fn) {
  auto values = [](const Job& j) {
    return (j.src.height * j.src.width + j.py->count * j.px->count) * j.src.channels;
  };
  for (size_t i = 0; i < jobs.size();) {
    size_t e = i + 1;
    for (int64_t sum = values(jobs[i]);
         e < jobs.size() && sum + values(jobs[e]) <= kInterruptValues; ++e)
      sum += values(jobs[e]);
    if (i == 0 && e == jobs.size()) return fn(jobs);  // one piece: no copy
    fn(std::vector<Job>(jobs.begin() + static_cast<std::ptrdiff_t>(i),
                        jobs.begin() + static_cast<std::ptrdiff_t>(e)));
    i = e;
    if (i < jobs.size()) {
      py::gil_scoped_acquire gil;
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    }
  }
}

}  // namespace pixnorm::bind
