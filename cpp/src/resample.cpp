// The resize driver: the plan of an axis in each convention's arithmetic, the rules that pick a
// convention's pass order, and the one job runner (threads over images or bands of output rows).
// The arithmetic of each convention is in resize.cpp (pixnorm), resize_fixed.cpp (pillow, torch)
// and resize_opencv.cpp (opencv).
#include "resample.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/table.hpp"
#include "rows.hpp"

namespace pixnorm {

void check_resize_source(int64_t height, int64_t width, int64_t channels, const std::string& name) {
  if (height > kMaxResizeRows || width > kMaxResizeRowValues / std::max<int64_t>(channels, 1))
    throw std::invalid_argument(
        name + ": (" + std::to_string(height) + ", " + std::to_string(width) + ") with " +
        std::to_string(channels) + " channels is too large to resize (at most " +
        std::to_string(kMaxResizeRows) + " rows and " + std::to_string(kMaxResizeRowValues) +
        " values per row, width * channels)");
}

int64_t AxisPlan::first_read() const {
  int64_t lo = *std::min_element(start.begin(), start.end());
  if (!second.empty()) lo = std::min<int64_t>(lo, *std::min_element(second.begin(), second.end()));
  return lo;
}

int64_t AxisPlan::end_read() const {
  const int64_t last = *std::max_element(start.begin(), start.end());
  if (second.empty()) return last + taps;
  return std::max<int64_t>(last, *std::max_element(second.begin(), second.end())) + 1;
}

namespace {

// The source sample of each output [first, first + count) of a nearest-neighbour resize, as
// each library computes it (checked index by index against them, docs/resize-conventions.md):
//  - pixnorm: floor(i * in / out) or floor((i + 0.5) * in / out), exactly (integers), or with a
//    factor floor(i / factor), floor((i + 0.5) / factor) in float64;
//  - torch (UpSampleKernel.cpp), the float32 scale s = float(in) / float(out) (or
//    float(1 / factor)): its channels-last kernel (torch_cl) copies an unchanged size and takes
//    i >> 1 for a doubled one, else floorf(float(i) * s) (its generic kernel always); nearest-
//    exact floorf(float((i + 0.5) * s)) in the channels-last kernel, and in the generic one
//    (AVX2 / AVX-512, an FMA) max(fmaf(s, i + 0.5f, -0.5f), 0), then floorf(src + 0.5);
//  - opencv (resizeNN): floor(i * (1 / (out / in))) in double (or 1 / fx); nearest-exact
//    (resizeNN_bitexact in OpenCV 5, rewritten to match Pillow): Pillow's running sum below,
//    by the sizes even with a factor;
//  - pillow (ImagingScaleAffine, NEAREST): a running double x = a / 2 + k a, a = in / out,
//    truncated (the sum accumulates rounding, so it is summed here as Pillow sums it).
// Each clamped to in - 1.
std::vector<int32_t> nearest_indices(Convention conv, Filter filter, int64_t in, int64_t out_full,
                                     int64_t first, int64_t count, double factor, bool torch_cl) {
  std::vector<int32_t> idx(static_cast<size_t>(count));
  const bool exact = filter == Filter::nearest_exact;
  const auto put = [&](int64_t i, int64_t v) {
    if (i >= first && i < first + count)
      idx[static_cast<size_t>(i - first)] = static_cast<int32_t>(std::clamp<int64_t>(v, 0, in - 1));
  };
  switch (conv) {
    case Convention::opencv:
      if (exact) {  // resizeNN_bitexact (OpenCV 5): Pillow's running sum, below
        const double a = static_cast<double>(in) / static_cast<double>(out_full);
        double xo = a * 0.5;
        for (int64_t i = 0; i < first + count; ++i, xo += a) put(i, static_cast<int64_t>(xo));
        break;
      }
      {
        const double scale = axis_scale(conv, in, out_full, factor);
        for (int64_t i = first; i < first + count; ++i)
          put(i, static_cast<int64_t>(std::floor(static_cast<double>(i) * scale)));
      }
      break;
    case Convention::pillow: {
      const double a = static_cast<double>(in) / static_cast<double>(out_full);
      double xo = a * 0.5;
      for (int64_t i = 0; i < first + count; ++i, xo += a) put(i, static_cast<int64_t>(xo));
      break;
    }
    case Convention::torch: {
      const float scale = factor > 0 ? static_cast<float>(1.0 / factor)
                                     : static_cast<float>(in) / static_cast<float>(out_full);
      for (int64_t i = first; i < first + count; ++i) {
        if (exact && torch_cl) {  // floorf(float((i + 0.5) * s)), the product in double
          const double p = (static_cast<double>(i) + 0.5) * static_cast<double>(scale);
          put(i, static_cast<int64_t>(std::floor(static_cast<float>(p))));
        } else if (exact) {  // fmaf(s, i + 0.5f, -0.5f), at least 0, then floorf(src + 0.5)
          float src = std::fmaf(scale, static_cast<float>(i) + 0.5f, -0.5f);
          if (src < 0.0f) src = 0.0f;
          put(i,
              static_cast<int64_t>(std::floor(static_cast<float>(static_cast<double>(src) + 0.5))));
        } else if (torch_cl && out_full == in) {
          put(i, i);
        } else if (torch_cl && out_full == 2 * in) {
          put(i, i >> 1);
        } else {
          put(i, static_cast<int64_t>(std::floor(static_cast<float>(i) * scale)));
        }
      }
      break;
    }
    case Convention::pixnorm:
      // Exactly: floor(i * in / out) and floor((2i + 1) * in / (2 out)) in integers (a rounded
      // in / out puts exact boundaries one sample low: 2 -> 98 would repeat pixel 0 fifty
      // times); with a factor, floor(i / factor) and floor((i + 0.5) / factor) in double.
      for (int64_t i = first; i < first + count; ++i) {
        if (factor > 0)
          put(i, static_cast<int64_t>(
                     std::floor((static_cast<double>(i) + (exact ? 0.5 : 0.0)) / factor)));
        else if (exact)
          put(i, (2 * i + 1) * in / (2 * out_full));
        else
          put(i, i * in / out_full);
      }
      break;
  }
  return idx;
}

// A nearest-neighbour plan in the convention's own format: one tap of weight 1 (pixnorm's
// float 1, a fixed-point 2^14, OpenCV's weight pair (2048, 0) on one sample), so each
// arithmetic copies the sample exactly.
AxisPlan plan_axis_nearest(Convention conv, Filter filter, int64_t in, int64_t out_full,
                           int64_t first, int64_t count, bool mirror, double factor,
                           bool torch_cl) {
  const std::vector<int32_t> idx =
      nearest_indices(conv, filter, in, out_full, first, count, factor, torch_cl);
  AxisPlan p;
  p.count = count;
  p.mirrored = mirror;
  p.start.resize(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k)
    p.start[static_cast<size_t>(mirror ? count - 1 - k : k)] = idx[static_cast<size_t>(k)];
  switch (conv) {
    case Convention::pixnorm:
      p.taps = 1;
      p.w.assign(static_cast<size_t>(count), 1.0f);
      p.wt = p.w;
      break;
    case Convention::pillow:
    case Convention::torch:
      p.taps = 1;
      p.bits = 14;
      p.k.assign(static_cast<size_t>(count), 1 << 14);
      break;
    case Convention::opencv:
      p.taps = 2;
      p.bits = 11;
      p.second = p.start;
      p.k.assign(static_cast<size_t>(2 * count), 0);
      for (int64_t k = 0; k < count; ++k) p.k[static_cast<size_t>(2 * k)] = 2048;
      break;
  }
  return p;
}

}  // namespace

AxisPlan plan_axis(Convention conv, int64_t in, int64_t out_full, bool antialias, int64_t first,
                   int64_t count, bool mirror, bool x, double factor, bool u16, Filter filter,
                   AreaPath area, bool torch_cl, double shift, bool cubic_own) {
  if (shift != 0 && (conv != Convention::pixnorm || filter != Filter::bilinear))
    throw std::invalid_argument("internal: a shifted grid outside pixnorm's bilinear");
  if (conv == Convention::opencv && filter == Filter::area) {
    if (in <= 0 || out_full <= 0 || count <= 0 || first < 0 || first + count > out_full ||
        area == AreaPath::none)
      throw std::invalid_argument("internal: bad resize axis");
    return plan_axis_opencv_area(area, in, out_full, first, count, mirror, x, factor);
  }
  if (conv == Convention::opencv && filter == Filter::bicubic) {
    if (in <= 0 || out_full <= 0 || count <= 0 || first < 0 || first + count > out_full)
      throw std::invalid_argument("internal: bad resize axis");
    return cubic_own ? plan_axis_opencv_cubic_own(in, out_full, first, count, mirror, factor)
                     : plan_axis_opencv_cubic(in, out_full, first, count, mirror);
  }
  if (conv == Convention::opencv && filter == Filter::lanczos) {
    if (in <= 0 || out_full <= 0 || count <= 0 || first < 0 || first + count > out_full)
      throw std::invalid_argument("internal: bad resize axis");
    return plan_axis_opencv_lanczos4(in, out_full, first, count, mirror, factor);
  }
  if (is_nearest(filter)) {
    if (in <= 0 || out_full <= 0 || count <= 0 || first < 0 || first + count > out_full)
      throw std::invalid_argument("internal: bad resize axis");
    return plan_axis_nearest(conv, filter, in, out_full, first, count, mirror, factor, torch_cl);
  }
  if (conv == Convention::opencv && u16)
    return plan_axis_opencv16(in, out_full, first, count, mirror);
  switch (conv) {
    case Convention::pixnorm:
      return plan_axis_float(in, out_full, antialias, first, count, mirror, factor, filter, shift);
    case Convention::pillow:
    case Convention::torch:
      return plan_axis_fixed(in, out_full, antialias, first, count, mirror, conv, factor, filter);
    case Convention::opencv:
      return plan_axis_opencv(in, out_full, first, count, mirror, x, factor);
  }
  throw std::invalid_argument("internal: unknown convention");
}

double axis_scale(Convention conv, int64_t in, int64_t out_full, double factor) {
  if (factor > 0) return 1.0 / factor;
  if (conv == Convention::opencv)  // cv::resize with dsize: 1 / inv_scale, inv_scale = out / in
    return 1.0 / (static_cast<double>(out_full) / static_cast<double>(in));
  return static_cast<double>(in) / static_cast<double>(out_full);
}

bool pillow_vertical_first(int64_t h, int64_t w, int64_t oh, int64_t ow) {
  return oh < h && (h - oh) > 2 * (w - ow);
}

bool opencv_area2x(int64_t h, int64_t w, int64_t oh, int64_t ow, double factor_y, double factor_x) {
  const auto two = [](double scale) {
    const double whole = std::nearbyint(scale);
    return std::abs(scale - whole) < std::numeric_limits<double>::epsilon() && whole == 2.0;
  };
  return two(axis_scale(Convention::opencv, h, oh, factor_y)) &&
         two(axis_scale(Convention::opencv, w, ow, factor_x));
}

AreaPath opencv_area_path(int64_t h, int64_t w, int64_t oh, int64_t ow, double factor_y,
                          double factor_x) {
  const double sy = axis_scale(Convention::opencv, h, oh, factor_y);
  const double sx = axis_scale(Convention::opencv, w, ow, factor_x);
  if (sy < 1.0 || sx < 1.0) return AreaPath::linear;
  const auto whole = [](double s) {
    return std::abs(s - std::nearbyint(s)) < std::numeric_limits<double>::epsilon();
  };
  return whole(sy) && whole(sx) ? AreaPath::blocks : AreaPath::table;
}

namespace {

template <int C, class T>
void interleave_fixed(const T* planar, int64_t n, T* dst) {
  for (int64_t x = 0; x < n; ++x)
    for (int c = 0; c < C; ++c) dst[x * C + c] = planar[c * n + x];
}

template <class T>
void interleave_any(const T* planar, int64_t n, int64_t channels, T* dst) {
  switch (channels) {
    case 1:
      std::copy(planar, planar + n, dst);
      return;
    case 3:
      return interleave_fixed<3>(planar, n, dst);
    case 4:
      return interleave_fixed<4>(planar, n, dst);
    default:
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t x = 0; x < n; ++x) dst[x * channels + c] = planar[c * n + x];
  }
}

}  // namespace

void rows::interleave(const uint16_t* planar, int64_t n, int64_t channels, uint16_t* dst) {
  interleave_any(planar, n, channels, dst);
}

void resample(const std::vector<ResampleJob>& jobs, int nthreads) {
  const KernelTable& k = active_kernels();
  rows::run_jobs(jobs, nthreads, [&k](const ResampleJob& j, int64_t y0, int64_t y1) {
    switch (j.convention) {
      case Convention::pixnorm:
        return resample_float(k, j, y0, y1);
      case Convention::pillow:
      case Convention::torch:
        return resample_fixed(k, j, y0, y1);
      case Convention::opencv:
        if (j.src.dtype == DType::u16) return resample_opencv16(k, j, y0, y1);
        if (j.area == AreaPath::blocks) return resample_opencv_blocks(k, j, y0, y1);
        if (j.lanczos4) return resample_opencv_lanczos4(k, j, y0, y1);
        if (j.cubic)
          return j.cubic_own ? resample_opencv_cubic_own(k, j, y0, y1)
                             : resample_opencv_cubic(k, j, y0, y1);
        if (j.area == AreaPath::table) return resample_float(k, j, y0, y1);
        return resample_opencv(k, j, y0, y1);
    }
  });
}

}  // namespace pixnorm

namespace pixnorm {

namespace {

size_t plan_bytes(const AxisPlan& p) {
  return sizeof(AxisPlan) +
         (p.start.size() + p.k.size() + p.second.size() + p.taps_at.size() + p.index.size()) *
             sizeof(int32_t) +
         (p.w.size() + p.wt.size()) * sizeof(float) + p.order.size();
}

struct PlanKey {
  int64_t values[10] = {};
  bool operator==(const PlanKey& o) const {
    return std::memcmp(values, o.values, sizeof values) == 0;
  }
};

struct PlanCache {
  struct Entry {
    PlanKey key;
    std::shared_ptr<const AxisPlan> plan;
    size_t bytes = 0;
  };
  std::vector<Entry> entries;  // most recently used first
  size_t bytes = 0;
};

PlanCache& thread_plan_cache() {
  thread_local PlanCache cache;
  return cache;
}

}  // namespace

size_t plan_cache_entries() { return thread_plan_cache().entries.size(); }

void plan_cache_clear() {
  PlanCache& cache = thread_plan_cache();
  cache.entries.clear();
  cache.bytes = 0;
}

std::shared_ptr<const AxisPlan> plan_axis_cached(Convention conv, int64_t in, int64_t out_full,
                                                 bool antialias, int64_t first, int64_t count,
                                                 bool mirror, bool x, double factor, bool u16,
                                                 Filter filter, AreaPath area, bool torch_cl,
                                                 double shift, bool cubic_own) {
  int64_t factor_bits = 0, shift_bits = 0;
  std::memcpy(&factor_bits, &factor, sizeof factor);
  std::memcpy(&shift_bits, &shift, sizeof shift);
  const int64_t flags = (antialias ? 1 : 0) | (mirror ? 2 : 0) | (x ? 4 : 0) | (u16 ? 8 : 0) |
                        (torch_cl ? 16 : 0) | (cubic_own ? 32 : 0);
  const PlanKey key{{static_cast<int64_t>(conv), in, out_full, first, count, flags, factor_bits,
                     static_cast<int64_t>(filter), static_cast<int64_t>(area), shift_bits}};
  PlanCache& cache = thread_plan_cache();
  auto& e = cache.entries;
  for (size_t i = 0; i < e.size(); ++i) {
    if (e[i].key == key) {
      std::rotate(e.begin(), e.begin() + static_cast<std::ptrdiff_t>(i),
                  e.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      return e.front().plan;
    }
  }
  auto plan = std::make_shared<const AxisPlan>(plan_axis(conv, in, out_full, antialias, first,
                                                         count, mirror, x, factor, u16, filter,
                                                         area, torch_cl, shift, cubic_own));
  const size_t bytes = plan_bytes(*plan);
  if (bytes > kPlanCacheBytes / 4) return plan;
  while (!e.empty() && (e.size() >= kPlanCacheEntries || cache.bytes + bytes > kPlanCacheBytes)) {
    cache.bytes -= e.back().bytes;
    e.pop_back();
  }
  e.insert(e.begin(), PlanCache::Entry{key, plan, bytes});
  cache.bytes += bytes;
  return plan;
}

}  // namespace pixnorm
