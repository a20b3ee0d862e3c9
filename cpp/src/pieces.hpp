// Splitting a long operation into pieces with an Interrupt between them (pixnorm/interrupt.hpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "pixnorm/image_view.hpp"
#include "pixnorm/interrupt.hpp"

namespace pixnorm::pieces {

// Calls piece(sub, first_image, first_row) for pieces of `v` of about kInterruptValues values:
// runs of whole images, or (when `rows` is true and one image is larger) runs of rows of one
// image, calling `interrupt` (when set) between two pieces. The pieces depend only on the shape,
// with or without an interrupt (float32 statistics merge them in order: the same bits).
template <class F>
void run(const ImageView& v, bool rows, const Interrupt& interrupt, F&& piece) {
  const int64_t row_values = v.width * v.channels;
  const int64_t image_values = v.height * row_values;
  bool first = true;
  auto one = [&](const ImageView& sub, int64_t i, int64_t y) {
    if (!first && interrupt) interrupt();
    first = false;
    piece(sub, i, y);
  };
  if (!rows || image_values <= kInterruptValues) {
    const int64_t step =
        std::max<int64_t>(1, kInterruptValues / std::max<int64_t>(image_values, 1));
    for (int64_t i = 0; i < v.n; i += step) {
      ImageView sub = v;
      sub.n = std::min(step, v.n - i);
      sub.data = v.byte_ptr(i, 0, 0, 0);
      one(sub, i, 0);
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
      one(sub, i, y);
    }
  }
}

// fn(part) on runs of consecutive resample jobs (one image each, or a band of an image's output
// rows when one image alone is larger) of about kInterruptValues source and output values,
// calling `interrupt` between two runs. Bands give the same bits: rows are independent (the
// threads split images into bands the same way).
template <class Job, class F>
void run_jobs(const std::vector<Job>& jobs, const Interrupt& interrupt, F&& fn) {
  if (!interrupt) return fn(jobs);
  auto values = [](const Job& j) {
    return (j.src.height * j.src.width + j.py->count * j.px->count) * j.src.channels;
  };
  std::vector<Job> parts;  // jobs, the large ones cut into bands of rows
  bool cut = false;
  for (const Job& j : jobs) {
    const int64_t v = values(j), rows = j.py->count;
    if (v <= kInterruptValues || rows < 2) {
      parts.push_back(j);
      continue;
    }
    cut = true;
    const int64_t band = std::max<int64_t>(1, rows * kInterruptValues / v);
    for (int64_t y = 0; y < rows; y += band) {
      Job b = j;
      b.rows_begin = y;
      b.rows_end = std::min(rows, y + band);
      parts.push_back(b);
    }
  }
  auto part_values = [&](const Job& j) {
    const int64_t rows = j.py->count, end = j.rows_end < 0 ? rows : j.rows_end;
    return values(j) / rows * (end - j.rows_begin);
  };
  if (!cut) {
    int64_t total = 0;
    for (const Job& j : jobs) total += values(j);
    if (total <= kInterruptValues) return fn(jobs);  // one run: no copy
  }
  for (size_t i = 0; i < parts.size();) {
    size_t e = i + 1;
    for (int64_t sum = part_values(parts[i]);
         e < parts.size() && sum + part_values(parts[e]) <= kInterruptValues; ++e)
      sum += part_values(parts[e]);
    fn(std::vector<Job>(parts.begin() + static_cast<std::ptrdiff_t>(i),
                        parts.begin() + static_cast<std::ptrdiff_t>(e)));
    i = e;
    if (i < parts.size()) interrupt();
  }
}

}  // namespace pixnorm::pieces
