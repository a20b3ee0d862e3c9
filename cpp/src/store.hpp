// Internal: writing a row of float32 channel planes in an output format (pixnorm/output.hpp).
// The arithmetic computes each output row as C float32 planes; for a format other than float32
// (C, H, W) it writes them to a thread's staging row (a few KiB, in L1) and store_planes
// converts them into the output at once: the output's memory is written once, in its own dtype.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/table.hpp"
#include "pixnorm/output.hpp"

namespace pixnorm {

// Where one image's rows go: element (c, y, x) of a CHW output at
// base + c * plane_stride + y * row_stride + x, of an HWC one at base + y * row_stride + x * C + c
// (strides in elements of the format's type; base: channel 0 of the image's first row).
struct OutTarget {
  void* base = nullptr;
  OutFormat format;
  int64_t channels = 0, row_stride = 0, plane_stride = 0;
  void* row(int64_t y) const {
    return static_cast<unsigned char*>(base) + y * row_stride * format.itemsize();
  }
};

// Converts output row y from C float32 planes of n values (plane c at planes + c * pstride).
void store_planes(const KernelTable& k, const OutTarget& t, int64_t y, const float* planes,
                  int64_t pstride, int64_t n);

// n float32 values -> uint16: clamped to [0, 65535] (NaN -> 0), rounded to nearest, ties to
// even: resize's uint16 output and OpenCV's 16-bit levels (saturate_cast after cvRound).
void store_u16(const float* src, int64_t n, uint16_t* dst);

// A thread's staging row of `values` floats (reused; valid until the thread's next call).
float* staging_row(int64_t values);

// Writes `value` (one per channel, already in the output's units) as the output format over
// the n values of row y from column x0: the borders of a letterbox.
void fill_span(const OutTarget& t, int64_t y, int64_t x0, int64_t n, const float* value);

}  // namespace pixnorm
