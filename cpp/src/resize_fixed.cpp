// Named conventions: Pillow's and torch's uint8 resampling, reproduced bit for bit (see
// docs/resize-conventions.md for the sources and the experiments behind each rule). Portable
// C++ with int32 accumulators, as in those libraries; each output row is independent, so bands
// of rows and whole images run on separate threads.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "pixnorm/ops.hpp"
#include "pixnorm/threads.hpp"
#include "rows.hpp"

namespace pixnorm {

FixedPlan plan_axis_fixed(int64_t in, int64_t out_full, bool antialias, int64_t first,
                          int64_t count, bool mirror, Convention conv) {
  // torch picks its precision from the largest weight of the whole axis, so plan all of it.
  const std::vector<AxisWindow> all = axis_windows(in, out_full, antialias, 0, out_full);
  int bits = 22;
  if (conv == Convention::torch) {
    double wmax = 0;
    for (const AxisWindow& w : all)
      for (double v : w.w) wmax = std::max(wmax, v);
    bits = 0;
    while (bits < 22 && static_cast<int64_t>(0.5 + wmax * std::ldexp(1.0, bits + 1)) < (1 << 15))
      ++bits;
  }
  int64_t taps = 1;
  for (int64_t i = first; i < first + count; ++i)
    taps = std::max<int64_t>(taps, static_cast<int64_t>(all[static_cast<size_t>(i)].w.size()));
  FixedPlan p;
  p.in = in;
  p.count = count;
  p.taps = taps;
  p.bits = bits;
  p.start.resize(static_cast<size_t>(count));
  p.k.assign(static_cast<size_t>(count * taps), 0);
  const double one = std::ldexp(1.0, bits);
  for (int64_t i = 0; i < count; ++i) {
    const AxisWindow& win = all[static_cast<size_t>(first + i)];
    const int64_t dst = mirror ? count - 1 - i : i;
    const int64_t start = std::min(win.xmin, in - taps);
    const int64_t offset = win.xmin - start;
    p.start[static_cast<size_t>(dst)] = static_cast<int32_t>(start);
    for (size_t j = 0; j < win.w.size(); ++j)  // bilinear weights are never negative
      p.k[static_cast<size_t>(dst * taps + offset) + j] =
          static_cast<int32_t>(std::trunc(win.w[j] * one + 0.5));
  }
  return p;
}

std::vector<float> level_table(const std::vector<double>& mean, const std::vector<double>& std,
                               double scale, int64_t channels) {
  std::vector<float> lut(static_cast<size_t>(channels * 256));
  const float s = static_cast<float>(scale);
  for (int64_t c = 0; c < channels; ++c) {
    const float m = static_cast<float>(mean.size() == 1 ? mean[0] : mean[static_cast<size_t>(c)]);
    const float d = static_cast<float>(std.size() == 1 ? std[0] : std[static_cast<size_t>(c)]);
    for (int v = 0; v < 256; ++v) {
      const float x = static_cast<float>(v) * s;  // separate roundings: -ffp-contract=off
      lut[static_cast<size_t>(c * 256 + v)] = (x - m) / d;
    }
  }
  return lut;
}

namespace {

inline uint8_t clamp8(int32_t acc, int bits) {
  const int32_t v = acc >> bits;
  return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

// One axis pass over interleaved uint8 samples: out[i*C + c] from in[(start[i] + t)*C + c].
void pass_h(const uint8_t* in, int64_t C, const FixedPlan& p, uint8_t* out) {
  const int32_t half = int32_t{1} << (p.bits - 1);
  for (int64_t i = 0; i < p.count; ++i) {
    const uint8_t* s = in + static_cast<int64_t>(p.start[static_cast<size_t>(i)]) * C;
    const int32_t* k = p.k.data() + i * p.taps;
    for (int64_t c = 0; c < C; ++c) {
      int32_t acc = half;
      for (int64_t t = 0; t < p.taps; ++t) acc += k[t] * s[t * C + c];
      out[i * C + c] = clamp8(acc, p.bits);
    }
  }
}

// The vertical pass for output row y: out[i] from rows[t][i], n values.
void pass_v(const uint8_t* const* rows, const FixedPlan& p, int64_t y, int64_t n, uint8_t* out) {
  const int32_t half = int32_t{1} << (p.bits - 1);
  const int32_t* k = p.k.data() + y * p.taps;
  for (int64_t i = 0; i < n; ++i) {
    int32_t acc = half;
    for (int64_t t = 0; t < p.taps; ++t) acc += k[t] * rows[t][i];
    out[i] = clamp8(acc, p.bits);
  }
}

void emit(const FixedJob& j, int64_t y, const uint8_t* row) {
  const int64_t C = j.src.channels, ow = j.px->count, oh = j.py->count;
  if (j.kind == ResampleOut::u8_hwc) {
    std::copy(row, row + ow * C, static_cast<uint8_t*>(j.dst) + y * ow * C);
    return;
  }
  float* d = static_cast<float*>(j.dst) + y * ow;
  for (int64_t c = 0; c < C; ++c) {
    const float* lut = j.lut + c * 256;
    float* dc = d + c * oh * ow;
    for (int64_t x = 0; x < ow; ++x) dc[x] = lut[row[x * C + c]];
  }
}

void run_fixed(const FixedJob& j, int64_t y0, int64_t y1) {
  const ImageView& v = j.src;
  const FixedPlan& py = *j.py;
  const FixedPlan& px = *j.px;
  const int64_t C = v.channels, ow = px.count, taps = py.taps;
  const int64_t col_lo = *std::min_element(px.start.begin(), px.start.end());
  const int64_t col_hi = *std::max_element(px.start.begin(), px.start.end()) + px.taps;
  const int64_t span = col_hi - col_lo;
  FixedPlan pxr = px;  // horizontal starts relative to the first column read
  for (int32_t& s : pxr.start) s -= static_cast<int32_t>(col_lo);
  const bool packed = v.rows_packed();
  std::vector<uint8_t> gathered(packed ? 0 : static_cast<size_t>(span * C));
  auto source_row = [&](int64_t r) -> const uint8_t* {
    const unsigned char* row = v.byte_ptr(0, j.box_top + r, j.box_left + col_lo, 0);
    if (packed) return row;
    rows::gather_any<uint8_t>(row, span, C, v.stride_x, v.stride_c, gathered.data());
    return gathered.data();
  };
  std::vector<const uint8_t*> rows(static_cast<size_t>(taps));
  std::vector<uint8_t> out_row(static_cast<size_t>(ow * C));
  if (j.vertical_first) {
    // every source row of the window at span width, in its own buffer (gathered rows need them)
    std::vector<uint8_t> copies(static_cast<size_t>(taps * span * C));
    std::vector<uint8_t> mid(static_cast<size_t>(span * C));
    for (int64_t y = y0; y < y1; ++y) {
      for (int64_t t = 0; t < taps; ++t) {
        const uint8_t* r = source_row(py.start[static_cast<size_t>(y)] + t);
        if (!packed) {
          std::copy(r, r + span * C, copies.begin() + t * span * C);
          r = copies.data() + t * span * C;
        }
        rows[static_cast<size_t>(t)] = r;
      }
      pass_v(rows.data(), py, y, span * C, mid.data());
      pass_h(mid.data(), C, pxr, out_row.data());
      emit(j, y, out_row.data());
    }
    return;
  }
  // horizontal first: a ring of `taps` filtered rows, each source row filtered once per band
  std::vector<uint8_t> ring(static_cast<size_t>(taps * ow * C));
  std::vector<int64_t> slot_row(static_cast<size_t>(taps), -1);
  for (int64_t y = y0; y < y1; ++y) {
    for (int64_t t = 0; t < taps; ++t) {
      const int64_t r = py.start[static_cast<size_t>(y)] + t;
      const size_t slot = static_cast<size_t>(r % taps);
      uint8_t* dst = ring.data() + static_cast<int64_t>(slot) * ow * C;
      if (slot_row[slot] != r) {
        pass_h(source_row(r), C, pxr, dst);
        slot_row[slot] = r;
      }
      rows[static_cast<size_t>(t)] = dst;
    }
    pass_v(rows.data(), py, y, ow * C, out_row.data());
    emit(j, y, out_row.data());
  }
}

}  // namespace

void resample_fixed(const std::vector<FixedJob>& jobs, int nthreads) {
  if (jobs.empty()) return;
  int64_t work = 0;
  for (const FixedJob& j : jobs) work += j.py->count * j.px->count * j.src.channels;
  const int threads = work >= threads::parallel_min_elements() ? nthreads : 1;
  const int64_t njobs = static_cast<int64_t>(jobs.size());
  if (njobs >= threads) {
    auto body = [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        const FixedJob& j = jobs[static_cast<size_t>(i)];
        run_fixed(j, 0, j.py->count);
      }
    };
    threads::parallel_chunks(njobs, threads, body);
  } else {
    for (const FixedJob& j : jobs) {
      auto body = [&](int64_t lo, int64_t hi) { run_fixed(j, lo, hi); };
      threads::parallel_chunks(j.py->count, threads, body);
    }
  }
}

}  // namespace pixnorm
