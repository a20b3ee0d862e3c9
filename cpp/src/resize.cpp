// pixnorm's own resize arithmetic (convention=None): the filter windows every convention but
// OpenCV's starts from, the float32 plan, and resample_float, the float32 separable pass for one
// band of output rows: a horizontal pass over only the source rows and columns the outputs need
// into a ring of `taps` filtered rows (each source row filtered once per band), or the vertical
// pass first when cheaper, or the fused 2 x 2 kernel; each result row is stored as uint8,
// float32, or normalized straight into the C planes of a tensor (preprocess).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/table.hpp"
#include "pixnorm/threads.hpp"
#include "resample.hpp"
#include "rows.hpp"

namespace pixnorm {

namespace {

// floor(x) as an integer, for |x| < 2^62 (the portable build has no SSE4.1 roundsd, and std::floor
// is a library call there): truncation, minus one for negative non-integers.
inline int64_t floor_int(double x) {
  const auto t = static_cast<int64_t>(x);
  return t - (static_cast<double>(t) > x ? 1 : 0);
}

constexpr double kPi = 3.14159265358979323846;  // M_PI

double sinc(double x) {
  if (x == 0.0) return 1.0;
  x = x * kPi;
  return std::sin(x) / x;
}

// The filters as Pillow's Resample.c writes them (the same operations in the same order, so
// the float64 weights, and Pillow's 22-bit integers rounded from them, are the same bits). A
// template per filter, so that each window loop below is compiled for its filter (a switch per
// weight cost more than the weights' arithmetic).
template <Filter F>
inline double filter_value(double x) {
  if constexpr (F == Filter::bilinear) {
    x = std::abs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
  } else if constexpr (F == Filter::bicubic) {
    constexpr double a = -0.5;
    x = std::abs(x);
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
  } else if constexpr (F == Filter::lanczos) {
    return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
  } else if constexpr (F == Filter::box) {
    return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
  } else if constexpr (F == Filter::hamming) {
    x = std::abs(x);
    if (x == 0.0) return 1.0;
    if (x >= 1.0) return 0.0;
    x = x * kPi;
    // (Pillow's constants are float literals: 0.54f, 0.46f)
    return std::sin(x) / x *
           (static_cast<double>(0.54f) + static_cast<double>(0.46f) * std::cos(x));
  } else {  // nearest, nearest_exact (planned apart: plan_axis_nearest), area (area_window)
    (void)x;
    return 0.0;
  }
}

double filter_support(Filter f) {
  switch (f) {
    case Filter::bicubic:
      return 2.0;
    case Filter::lanczos:
      return 3.0;
    case Filter::box:
      return 0.5;
    case Filter::bilinear:
    case Filter::hamming:
    case Filter::nearest:
    case Filter::nearest_exact:
    case Filter::area:
      return 1.0;
  }
  return 1.0;
}

// Filter::area's window of output i: the overlap of each source pixel [j, j + 1) with
// [i * scale, (i + 1) * scale), clipped to [0, in), divided by the covered length. Appends the
// weights to w and returns xmin. (A span that float rounding puts past the last pixel takes the
// last pixel.)
int64_t area_window(double i, double scale, int64_t in, std::vector<double>& w) {
  const double lo = std::max(i * scale, 0.0);
  const double hi = std::min((i + 1.0) * scale, static_cast<double>(in));
  int64_t xmin = std::min<int64_t>(floor_int(std::min(lo, static_cast<double>(in))), in - 1);
  if (!(hi > lo)) {
    w.push_back(1.0);
    return xmin;
  }
  int64_t xmax = floor_int(hi);
  if (static_cast<double>(xmax) < hi) ++xmax;  // ceil(hi): the last pixel it touches
  xmax = std::min(xmax, in);
  const size_t at = w.size();
  double sum = 0;
  for (int64_t j = xmin; j < xmax; ++j) {
    const double a = std::max(lo, static_cast<double>(j));
    const double b = std::min(hi, static_cast<double>(j + 1));
    w.push_back(b - a);
    sum += b - a;
  }
  for (size_t j = at; j < w.size(); ++j) w[j] /= sum;
  return xmin;
}

}  // namespace

namespace {

template <Filter filter>
AxisWindows axis_windows_t(int64_t in, int64_t out_full, bool antialias, int64_t first,
                           int64_t count, double factor, double shift) {
  const double scale = axis_scale(Convention::pixnorm, in, out_full, factor);
  const double support = filter_support(filter);
  AxisWindows out;
  out.xmin.resize(static_cast<size_t>(count));
  out.begin.resize(static_cast<size_t>(count) + 1);
  if constexpr (filter != Filter::area) {
    if (antialias) {
      // As Pillow and torch: (j - centre + 0.5) times 1/filterscale, weights over their
      // running sum. A window holds at most 2 s + 1 samples: w is sized once for the longest.
      // (and never more than `in`: a tiny factor's window spans the whole axis; compared in
      // double, so a huge 2 s is never converted)
      const double fs = std::max(scale, 1.0), inv = 1.0 / fs, s = support * fs;
      const int64_t longest =
          2 * s + 3 < static_cast<double>(in) ? static_cast<int64_t>(2 * s) + 3 : in;
      out.w.resize(static_cast<size_t>(count * longest));
      double* w = out.w.data();
      size_t at = 0;
      for (int64_t k = 0; k < count; ++k) {
        // the bounds clamped to [0, in] before flooring (the same integers: floor commutes
        // with the clamp to integers), so that huge ones are never converted
        const double centre = (static_cast<double>(first + k) + 0.5) * scale + shift;
        const double in_d = static_cast<double>(in);
        const int64_t xmin = floor_int(std::min(std::max(centre - s + 0.5, 0.0), in_d));
        const int64_t n = floor_int(std::min(std::max(centre + s + 0.5, 0.0), in_d)) - xmin;
        if (n > longest) throw std::logic_error("internal: resize window");
        out.xmin[static_cast<size_t>(k)] = xmin;
        out.begin[static_cast<size_t>(k)] = at;
        double* wk = w + at;
        double sum = 0;
        for (int64_t j = 0; j < n; ++j) {
          const double v =
              filter_value<filter>((static_cast<double>(xmin + j) - centre + 0.5) * inv);
          wk[j] = v;
          sum += v;
        }
        if (!(sum != 0)) throw std::invalid_argument("internal: empty resize window");
        for (int64_t j = 0; j < n; ++j) wk[j] /= sum;
        at += static_cast<size_t>(std::max<int64_t>(n, 0));
      }
      out.begin[static_cast<size_t>(count)] = at;
      out.w.resize(at);
      return out;
    }
  }
  // (a window never holds more than `in` samples: a tiny factor's area window spans the axis)
  const double per =
      filter == Filter::area ? 2 * support * std::max(scale, 1.0) + 3 : 2 * support + 2;
  out.w.reserve(static_cast<size_t>(count) * (per < static_cast<double>(in + 2)
                                                  ? static_cast<size_t>(per)
                                                  : static_cast<size_t>(in + 2)));
  for (int64_t k = 0; k < count; ++k) {
    const double i = static_cast<double>(first + k);
    const size_t at = out.w.size();
    out.begin[static_cast<size_t>(k)] = at;
    int64_t& xmin = out.xmin[static_cast<size_t>(k)];
    if constexpr (filter == Filter::area) {
      (void)antialias;
      if (shift != 0) throw std::invalid_argument("internal: a shifted area grid");
      xmin = area_window(i, scale, in, out.w);
    } else if constexpr (filter != Filter::bilinear) {
      // The unscaled filter; samples past the edges clamped onto the edge samples.
      const double centre = (i + 0.5) * scale + shift;
      const double in_d = static_cast<double>(in);
      if (centre - support + 0.5 >= in_d || centre + support + 0.5 < 1.0) {
        // the whole window past an edge (a tiny factor's grid): every tap on the edge sample,
        // whose weight is then sum / sum = 1, as below (no huge bound converted)
        xmin = centre - support + 0.5 >= in_d ? in - 1 : 0;
        out.w.push_back(1.0);
        continue;
      }
      const int64_t lo = floor_int(centre - support + 0.5);
      const int64_t hi = floor_int(centre + support + 0.5);
      xmin = std::clamp<int64_t>(lo, 0, in - 1);
      const int64_t xmax = std::clamp<int64_t>(hi, xmin + 1, in);
      out.w.resize(out.w.size() + static_cast<size_t>(xmax - xmin), 0.0);
      double sum = 0;
      for (int64_t j = lo; j < hi; ++j) {
        const double v = filter_value<filter>(static_cast<double>(j) - centre + 0.5);
        out.w[at + static_cast<size_t>(std::clamp<int64_t>(j, xmin, xmax - 1) - xmin)] += v;
        sum += v;
      }
      if (!(sum != 0)) throw std::invalid_argument("internal: empty resize window");
      for (size_t j = at; j < out.w.size(); ++j) out.w[j] /= sum;
    } else {
      // (clamped to [-1, in]: the same samples and weights, no huge value converted)
      const double src =
          std::min(std::max((i + 0.5) * scale - 0.5 + shift, -1.0), static_cast<double>(in));
      const double x0 = static_cast<double>(floor_int(src));
      const double f = src - x0;
      const int64_t i0 = std::clamp<int64_t>(static_cast<int64_t>(x0), 0, in - 1);
      const int64_t i1 = std::clamp<int64_t>(static_cast<int64_t>(x0) + 1, 0, in - 1);
      xmin = i0;
      if (i1 == i0) {
        out.w.push_back(1.0);
      } else {
        out.w.push_back(1.0 - f);
        out.w.push_back(f);
      }
    }
  }
  out.begin[static_cast<size_t>(count)] = out.w.size();
  return out;
}

// The largest |w| of a plan and the largest sum of one output's |w| (in double): the integer
// vertical pass's limits (run_rows), once per plan.
void weight_bounds(const AxisPlan& p, double& wmax, double& abs_sum_max) {
  wmax = 0;
  abs_sum_max = 0;
  for (int64_t y = 0; y < p.count; ++y) {
    double abs_sum = 0;
    for (int64_t t = 0; t < p.taps; ++t) {
      const double a = std::abs(static_cast<double>(p.w[static_cast<size_t>(y * p.taps + t)]));
      wmax = std::max(wmax, a);
      abs_sum += a;
    }
    abs_sum_max = std::max(abs_sum_max, abs_sum);
  }
}

}  // namespace

AxisWindows axis_windows(int64_t in, int64_t out_full, bool antialias, int64_t first, int64_t count,
                         double factor, Filter filter, double shift) {
  if (in <= 0 || out_full <= 0 || count <= 0 || first < 0 || first + count > out_full)
    throw std::invalid_argument("internal: bad resize axis");
  switch (filter) {
    case Filter::bicubic:
      return axis_windows_t<Filter::bicubic>(in, out_full, antialias, first, count, factor, shift);
    case Filter::lanczos:
      return axis_windows_t<Filter::lanczos>(in, out_full, antialias, first, count, factor, shift);
    case Filter::box:
      return axis_windows_t<Filter::box>(in, out_full, antialias, first, count, factor, shift);
    case Filter::hamming:
      return axis_windows_t<Filter::hamming>(in, out_full, antialias, first, count, factor, shift);
    case Filter::area:
      return axis_windows_t<Filter::area>(in, out_full, antialias, first, count, factor, shift);
    case Filter::nearest:
      return axis_windows_t<Filter::nearest>(in, out_full, antialias, first, count, factor, shift);
    case Filter::nearest_exact:
      return axis_windows_t<Filter::nearest_exact>(in, out_full, antialias, first, count, factor,
                                                   shift);
    case Filter::bilinear:
      break;
  }
  return axis_windows_t<Filter::bilinear>(in, out_full, antialias, first, count, factor, shift);
}

AxisPlan plan_axis_float(int64_t in, int64_t out_full, bool antialias, int64_t first, int64_t count,
                         bool mirror, double factor, Filter filter, double shift) {
  return pack_float_plan(axis_windows(in, out_full, antialias, first, count, factor, filter, shift),
                         in, count, mirror);
}

AxisPlan pack_float_plan(const AxisWindows& wins, int64_t in, int64_t count, bool mirror) {
  int64_t taps = 1;
  for (size_t k = 0; k < static_cast<size_t>(count); ++k)
    taps = std::max<int64_t>(taps, static_cast<int64_t>(wins.size(k)));
  AxisPlan p;
  p.taps = taps;
  p.count = count;
  p.mirrored = mirror;
  p.start.resize(static_cast<size_t>(count));
  p.w.assign(static_cast<size_t>(count * taps), 0.0f);
  for (int64_t k = 0; k < count; ++k) {
    const size_t kk = static_cast<size_t>(k);
    const int64_t xmin = wins.xmin[kk];
    const int64_t dst = mirror ? count - 1 - k : k;
    const int64_t start = std::min(xmin, in - taps);
    const int64_t offset = xmin - start;
    p.start[static_cast<size_t>(dst)] = static_cast<int32_t>(start);
    const double* w = wins.weights(kk);
    for (size_t j = 0; j < wins.size(kk); ++j)
      p.w[static_cast<size_t>(dst * taps + offset) + j] = static_cast<float>(w[j]);
  }
  p.wt.resize(p.w.size());
  for (int64_t i = 0; i < count; ++i)
    for (int64_t k = 0; k < taps; ++k)
      p.wt[static_cast<size_t>(k * count + i)] = p.w[static_cast<size_t>(i * taps + k)];
  weight_bounds(p, p.w_abs_max, p.w_abs_sum_max);
  return p;
}

namespace {

// Per-thread scratch: the planar source span, a vertical-pass row and a uint8 row.
struct Scratch {
  std::vector<float> vrow, planes;
  std::vector<uint8_t> u8row;
  std::vector<int32_t> rel_start;  // horizontal starts relative to the first column read
  std::vector<int32_t> kx;         // bilinear2_u8's fixed-point weight pairs
  std::vector<int32_t> ky;         // resize_v_u8_int's weights of one output row
  std::vector<float> scaled;       // a row in fixed-point units, scaled back
  std::vector<float> mixed;        // a row's planes after the colour mix
  // fold_mix's coefficients for rows in units of fold_unit (0: none computed yet)
  float fold_unit = 0.0f;
  bool folded = false;
  float mf[9] = {}, of[3] = {};
};

// The job's three-plane mix with its affine and `unit` folded in (fold_mix), computed once per
// band and unit: null when it does not fold.
const float* folded_mix(const ResampleJob& j, float unit, Scratch& s) {
  if (s.fold_unit != unit) {
    s.fold_unit = unit;
    s.folded =
        fold_mix(*j.color, j.src.dtype, j.affine->a.data(), j.affine->b.data(), unit, s.mf, s.of);
  }
  return s.folded ? s.mf : nullptr;
}

// The columns path of run_rows (resize_h_columns): 16 rows per block, rows of at most
// kColumnValues floats (a block and its transpose: 2 x 384 KiB, within a core's L2 cache), in
// buffers each thread keeps (no new pages per call: allocating them per call made short
// outputs of wide rows several times slower).
constexpr int64_t kColumnRows = 16;
constexpr int64_t kColumnValues = 6144;
struct ColumnBuffers {
  std::vector<float> block, cols, hcols, hrows;
  void fit(int64_t n) {
    if (block.size() >= static_cast<size_t>(n)) return;
    for (std::vector<float>* v : {&block, &cols, &hcols, &hrows}) v->resize(static_cast<size_t>(n));
  }
};
ColumnBuffers& column_buffers() {
  thread_local ColumnBuffers b;
  return b;
}

constexpr int64_t kPlanePad = 32;  // floats readable past a plane's last tap (resize_h contract)

// The job's affine map is v * 1 + 0 on every channel (a uint8 output without normalization):
// StoreU8(v * unit * 1 + 0) is StoreU8(v * unit) for every float v (adding +0 changes only a
// -0 to +0, and both store 0), so such rows skip the staging row.
bool identity_affine(const ResampleJob& j, int64_t C) {
  for (int64_t c = 0; c < C; ++c)
    if (j.affine->a[static_cast<size_t>(c)] != 1.0f || j.affine->b[static_cast<size_t>(c)] != 0.0f)
      return false;
  return true;
}

// Output row y of a staged (C, H, W) output of element type T (float16 / bfloat16 bits, uint8)
// in the output's own memory: channel 0's row and the step between the computed channels'
// planes (negative when reversed: bgr).
template <class T>
struct StagedPlanes {
  T* d;
  int64_t step;
  StagedPlanes(const ResampleJob& j, int64_t y) {
    const int64_t ps = j.out.plane_stride;
    d = static_cast<T*>(j.out.row(y)) + (j.reversed ? (j.out_channels() - 1) * ps : 0);
    step = j.reversed ? -ps : ps;
  }
};

// Writes one finished output row (C planar float rows of ow values) in the job's format.
// `unit` scales the row's values first (a power of two: exact), for rows in fixed-point units.
// With a colour step the filtered planes are scaled (exact) and mixed first; `luma`: the row
// holds one plane, the luma mixed before filtering (mixes_luma_first), repeated for gray3.
void store_row(const KernelTable& k, const ResampleJob& j, int64_t y, const float* vr, Scratch& s,
               float unit = 1.0f, bool luma = false) {
  const int64_t ow = j.px->count;
  const int64_t C = j.out_channels(), rowlen = ow * C;
  // Three planes mixed into float32 planes (ycbcr, yuv of uint8 / uint16 images): the affine
  // and `unit` folded into the mix (fold_mix: one pass, 6 operations a value instead of 9).
  // (gray and gray3, mixed here only on the 2 x 2 path, keep their unfolded arithmetic.)
  if (j.mixes() && j.kind == ResampleOut::f32_chw && !luma && j.color->in == 3 &&
      !mixes_luma_first(*j.color)) {
    if (const float* mf = folded_mix(j, unit, s)) {
      const rows::OutRow o(j, y);
      k.mix_folded(vr, ow, ow, mf, s.of, C, o.d, o.step);
      o.finish(k);
      return;
    }
  }
  // With a mix into float32 planes, `unit` (a power of two) is folded into the mix's
  // coefficients: (m u) v = m (u v) exactly while m u stays a normal float (the same bits as
  // scaling the row first, without the extra pass); a coefficient that would underflow (a std
  // near 1e35) has the row scaled first instead. uint8 (H, W, C) rows take `unit` in
  // store_u8_hwc; every other format scales the row first.
  const bool mix_chw = j.mixes() && j.kind == ResampleOut::f32_chw;
  const bool u8_direct = j.kind == ResampleOut::u8_hwc && !j.mixes();
  bool fold = mix_chw;
  if (mix_chw) {
    const auto folds = [unit](float coef) { return coef == 0.0f || std::isnormal(coef * unit); };
    if (luma || j.color->in == 1) {
      for (int64_t c = 0; c < C; ++c) fold = fold && folds(j.affine->a[static_cast<size_t>(c)]);
    } else {
      for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) fold = fold && folds(j.color->m[r][c]);
    }
  }
  if (unit != 1.0f && !u8_direct && !fold && (j.kind != ResampleOut::f32_chw || j.mixes())) {
    const int64_t n = ow * (luma ? 1 : j.channels());
    s.scaled.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) s.scaled[static_cast<size_t>(i)] = vr[i] * unit;
    vr = s.scaled.data();
    unit = 1.0f;
  }
  if (mix_chw) {  // the mix and the affine in one pass
    const rows::OutRow o(j, y);
    if (luma || j.color->in == 1) {  // one plane (the luma, or a gray image), repeated
      for (int64_t c = 0; c < C; ++c) {
        const float a = j.affine->a[static_cast<size_t>(c)] * unit;
        k.normalize_f32(vr, ow, 1, &a, j.affine->b.data() + c, o.d + c * o.step, o.step);
      }
    } else {
      float m[3][3];
      for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) m[r][c] = j.color->m[r][c] * unit;
      k.mix_affine(vr, ow, ow, &m[0][0], j.color->offset, C, j.affine->a.data(), j.affine->b.data(),
                   o.d, o.step);
    }
    o.finish(k);
    return;
  }
  if (u8_direct) {  // rounded, clamped and interleaved at once
    k.store_u8_hwc(vr, ow, C, ow, unit, static_cast<uint8_t*>(j.dst) + y * rowlen);
    return;
  }
  if (j.mixes()) {
    s.mixed.resize(static_cast<size_t>(rowlen));
    if (luma) {
      for (int64_t c = 0; c < C; ++c) std::copy(vr, vr + ow, s.mixed.data() + c * ow);
    } else {
      mix_planes(*j.color, vr, ow, ow, s.mixed.data(), ow);
    }
    vr = s.mixed.data();
  }
  switch (j.kind) {
    case ResampleOut::u8_hwc:
      k.store_u8_hwc(vr, ow, C, ow, 1.0f, static_cast<uint8_t*>(j.dst) + y * rowlen);
      break;
    case ResampleOut::f32_hwc:
      k.interleave_f32(vr, ow, C, ow, static_cast<float*>(j.dst) + y * rowlen);
      break;
    case ResampleOut::u16_hwc: {
      thread_local std::vector<uint16_t> planes16;
      planes16.resize(static_cast<size_t>(rowlen));
      store_u16(vr, rowlen, planes16.data());
      rows::interleave(planes16.data(), ow, C, static_cast<uint16_t*>(j.dst) + y * rowlen);
      break;
    }
    case ResampleOut::f32_chw: {
      const OutType t = j.out.format.type;
      if (j.staged() && j.out.format.layout == Layout::chw && k.affine_half && !j.pixel_b &&
          (t == OutType::f16 || t == OutType::bf16)) {  // straight to the half planes
        const StagedPlanes<uint16_t> o(j, y);
        for (int64_t c = 0; c < C; ++c)
          k.affine_half(vr + c * ow, ow, j.affine->a[static_cast<size_t>(c)] * unit,
                        j.affine->b[static_cast<size_t>(c)], o.d + c * o.step, t == OutType::bf16);
        break;
      }
      if (j.staged() && j.out.format.layout == Layout::chw && t == OutType::u8 && !j.pixel_b &&
          identity_affine(j, C)) {  // uint8 planes (no normalization): rounded straight there
        const StagedPlanes<uint8_t> o(j, y);
        for (int64_t c = 0; c < C; ++c)
          k.store_u8_hwc(vr + c * ow, ow, 1, ow, unit, o.d + c * o.step);
        break;
      }
      const rows::OutRow o(j, y);
      for (int64_t c = 0; c < C; ++c) {
        const float a = j.affine->a[static_cast<size_t>(c)] * unit;
        k.normalize_f32(vr + c * ow, ow, 1, &a, j.affine->b.data() + c, o.d + c * o.step, o.step);
      }
      o.finish(k);
      break;
    }
  }
}

// The fused 2 x 2 path for one band of output rows: no ring, no planar source rows; each output
// row is computed from its two source rows (gathered first if the view is not packed) and
// written as the job's output.
void run_bilinear2(const KernelTable& k, const ResampleJob& j, int64_t y0, int64_t y1,
                   int64_t col_lo, int64_t span, Scratch& s) {
  const ImageView& v = j.src;
  const AxisPlan& py = *j.py;
  const AxisPlan& px = *j.px;
  const int64_t C = v.channels, ow = px.count;
  // straight into the output planes, unless the planes are mixed first
  const bool planes_out = j.kind == ResampleOut::f32_chw && !j.mixes();
  if (!planes_out) {
    s.vrow.resize(static_cast<size_t>(ow * C));
  }
  rows::SourceRows source(j, col_lo, span, span, 2);  // the two rows of the last output row
  // Fixed-point horizontal weight pairs (k0 + k1 = 2^kBilinearBits, so flat areas stay exact;
  // each weight within 2^-15 of the float64 one), and 2^-kBilinearBits folded into a (exact).
  constexpr double kOne = double{1 << kBilinearBits};
  s.kx.resize(static_cast<size_t>(ow));
  for (int64_t x = 0; x < ow; ++x) {
    const int32_t k0 = static_cast<int32_t>(std::lrint(px.w[static_cast<size_t>(2 * x)] * kOne));
    s.kx[static_cast<size_t>(x)] = k0 | ((static_cast<int32_t>(kOne) - k0) << 16);
  }
  std::vector<float> a(static_cast<size_t>(C)), b(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) {
    const size_t cc = static_cast<size_t>(c);
    a[cc] = (planes_out ? j.affine->a[cc] : 1.0f) * static_cast<float>(1.0 / kOne);
    b[cc] = planes_out ? j.affine->b[cc] : 0.0f;
  }
  for (int64_t i = y0; i < y1; ++i) {
    const int64_t y = rows::band_row(py, y0, y1, i);
    const int64_t st = py.start[static_cast<size_t>(y)];
    const uint8_t* r[2] = {source.cached(st), source.cached(st + 1)};
    const float* wy = py.w.data() + y * 2;
    if (planes_out) {
      const rows::OutRow o(j, y);
      k.bilinear2_u8(r[0], r[1], wy[0], wy[1], C, s.rel_start.data(), s.kx.data(), ow, a.data(),
                     b.data(), o.d, o.step);
      o.finish(k);
      continue;
    }
    k.bilinear2_u8(r[0], r[1], wy[0], wy[1], C, s.rel_start.data(), s.kx.data(), ow, a.data(),
                   b.data(), s.vrow.data(), ow);
    store_row(k, j, y, s.vrow.data(), s);
  }
}

// Whether the horizontal pass may write the job's output rows itself (resize_h_affine,
// resize_h_mix, resize_h_interleaved_affine): float32 (C, H, W) planes in place (not staged),
// without per-pixel mean/std.
bool h_writes_planes(const ResampleJob& j) {
  return j.kind == ResampleOut::f32_chw && !j.staged() && !j.pixel_b;
}

// Whether it may write them as float16 (resize_h_affine_f16): float16 (C, H, W) planes (the
// staged output's own memory), without per-pixel mean/std.
bool h_writes_f16(const ResampleJob& j) {
  return j.kind == ResampleOut::f32_chw && j.staged() && j.out.format.layout == Layout::chw &&
         j.out.format.type == OutType::f16 && !j.pixel_b;
}

// One band of output rows [y0, y1) of one job. Source rows are read (gathered if strided),
// split into C planar float rows over the columns the filter needs, filtered horizontally into a
// ring slot (C planes of ow floats), combined vertically, and stored.
void run_rows(const KernelTable& k, const ResampleJob& j, int64_t y0, int64_t y1, Scratch& s) {
  const ImageView& v = j.src;
  const AxisPlan& py = *j.py;
  const AxisPlan& px = *j.px;
  // (the channels of the rows read: a named convention's colour converts them first)
  const int64_t C = j.channels(), ow = px.count, oh = py.count;
  const bool f32 = v.dtype != DType::u8;  // float32 rows (uint16 converted as they are read)
  // gray and gray3: the luma of each de-interleaved source row (or vertically combined row),
  // so that one plane is filtered horizontally instead of three (the 2 x 2 path mixes after).
  const bool luma = j.mixes() && mixes_luma_first(*j.color);
  const int64_t F = luma ? 1 : C;  // planes filtered horizontally
  const int64_t rowlen = ow * F;

  const int64_t col_lo = px.first_read();
  const int64_t span = px.end_read() - col_lo, pstride = span + kPlanePad;
  s.rel_start = rows::relative_starts(px, col_lo);
  // cv2.resize INTER_AREA's table path (convention opencv, opencv_area_path): its float32 sums
  // in its order, horizontal then vertical (no fused kernel, no fixed point, no reordering),
  // the uint8 levels rounded and clamped, then the convention's levels.
  const bool opencv = j.convention == Convention::opencv;
  // Nearest (one tap of weight 1 each way) on uint8 rows without a colour mix: the passes'
  // sums are the samples themselves, so the gathered samples, stored, are the same bits
  // (gather_normalize_u8: sampled and normalized in one step).
  if (!opencv && v.dtype == DType::u8 && !j.mixes() && px.taps == 1 && py.taps == 1) {
    rows::SourceRows source(j, col_lo, span, span, 1);
    s.vrow.resize(static_cast<size_t>(ow * C));
    const std::vector<float> one(static_cast<size_t>(C), 1.0f), zero(static_cast<size_t>(C), 0.0f);
    for (int64_t i = y0; i < y1; ++i) {
      const int64_t y = rows::band_row(py, y0, y1, i);
      const uint8_t* row = source.get(py.start[static_cast<size_t>(y)], 0);
      const int32_t* rs = s.rel_start.data();
      if (j.kind == ResampleOut::f32_chw) {  // x * a + b straight into the output planes
        const rows::OutRow o(j, y);
        k.gather_normalize_u8(row, span, C, rs, ow, j.affine->a.data(), j.affine->b.data(), o.d,
                              o.step);
        o.finish(k);
        continue;
      }
      k.gather_normalize_u8(row, span, C, rs, ow, one.data(), zero.data(), s.vrow.data(), ow);
      store_row(k, j, y, s.vrow.data(), s);
    }
    return;
  }
  // uint8 with 2 x 2 taps (no antialias, or upscaling): the fused kernel, faster than the
  // passes at every scale measured (AVX-512-VBMI: 1.2x on upscales, 1.7x at 1.5x down, 1.9x at
  // 4x down; AVX2 and AVX-512 gathers: 1.1-1.9x except AVX-512 upscales, 0.8x).
  const auto non_negative = [](const std::vector<float>& w) {
    return *std::min_element(w.begin(), w.end()) >= 0.0f;
  };
  if (!opencv && !f32 && py.taps == 2 && px.taps == 2 && non_negative(px.w) && non_negative(py.w)) {
    run_bilinear2(k, j, y0, y1, col_lo, span, s);
    return;
  }
  s.planes.assign(static_cast<size_t>(C * pstride), 0.0f);
  const std::vector<float> ones(static_cast<size_t>(C), 1.0f), zeros(static_cast<size_t>(C), 0.0f);

  const int64_t taps = py.taps;
  // Order of the passes. Horizontal first filters every source row the outputs need (rows_h of
  // them) down to ow columns; vertical first combines source rows at full span width for each
  // of the oh output rows, then filters only oh rows horizontally. Pick the cheaper order (it
  // depends only on the geometry, so every ISA and thread count makes the same choice).
  // Source rows the horizontal pass would filter: the union of the windows (a 2-tap downscale
  // by more than 2x skips rows). Counted in source order, so a vertical flip (a mirrored plan)
  // makes the same choice, and the same bits, as the unflipped plan.
  int64_t rows_h = 0;
  for (int64_t i = 0, end = -1; i < oh; ++i) {
    const int64_t st = py.start[static_cast<size_t>(rows::band_row(py, 0, oh, i))];
    rows_h += std::min(taps, st + taps - std::max(end, st));
    end = std::max(end, st + taps);
  }
  // A horizontal tap costs about 3 vertical ones when 16 outputs' windows fit in 32 source
  // samples (two loads and a permute), about 12 when it needs a gather (measured on AVX-512).
  bool narrow = true;
  for (int64_t x = 0; x + 15 < ow && narrow; x += 16)
    narrow = std::abs(px.start[static_cast<size_t>(x + 15)] - px.start[static_cast<size_t>(x)]) +
                 px.taps <=
             32;
  const double hcost = narrow ? 3.0 : 12.0;
  const double hfirst = static_cast<double>(rows_h) * static_cast<double>(ow * px.taps) * hcost +
                        static_cast<double>(oh) * static_cast<double>(ow * taps);
  const double vfirst = static_cast<double>(oh) * static_cast<double>(span * taps) +
                        static_cast<double>(oh) * static_cast<double>(ow * px.taps) * hcost;
  // uint8: the vertical weights in fixed point with vbits fractional bits, the most that keeps
  // every weight's magnitude below 2^15 (int16) and 255 times the sum of the magnitudes below
  // 2^24 (exact in float32; bicubic and lanczos weights are partly negative, their magnitudes
  // sum above 1); each weight is within 2^-(vbits+1) of its float32 value, vbits >= 14. The
  // integer vertical pass runs only while those errors add up to at most 1/8 of a level (taps *
  // 255 * 2^-(vbits+1), up to 64 taps: downscales of about 30x); wider windows sum the uint8
  // rows in float32 (resize_v_u8, float_v), whose error does not grow with the weights'
  // smallness.
  double wmax = py.w_abs_max, abs_sum_max = py.w_abs_sum_max;  // (once per plan)
  if (wmax < 0) weight_bounds(py, wmax, abs_sum_max);
  const auto fits = [&](int b) {
    const double one = std::ldexp(1.0, b);
    return wmax * one + 0.5 < 32767.0 &&
           255.0 * (abs_sum_max * one + 0.5 * static_cast<double>(taps)) < 16777216.0;
  };
  int vbits = 16;
  while (vbits > 14 && !fits(vbits)) --vbits;
  const bool float_v = f32 || !fits(vbits) ||
                       static_cast<double>(taps) * 255.0 * std::ldexp(1.0, -(vbits + 1)) > 0.125;
  const bool v_first = !opencv && vfirst < hfirst;
  if (v_first && luma && !f32 && narrow) {
    // gray and gray3, vertical first, narrow windows: each source row's luma once (a ring of
    // float rows), the vertical pass on those single planes, then one horizontal pass. Wider
    // windows (larger downscales, where each source row serves fewer output rows) take the
    // integer vertical pass on the interleaved rows below and the luma of each combined row:
    // 1080p -> 256, 1.4x faster (measured on AVX-512).
    rows::SourceRows source(j, col_lo, span, span, 1);
    rows::RowRing<float> gray(taps, span);
    std::vector<const float*> gray_rows(static_cast<size_t>(taps));
    std::vector<float> hrow(static_cast<size_t>(ow));
    // one float32 plane out ('gray'): the horizontal pass maps the luma and writes it there
    // (store_row's affine of the luma, unit 1, in the same pass)
    const bool one = j.out_channels() == 1;
    const bool to_plane = one && k.resize_h_affine != nullptr && h_writes_planes(j);
    const bool to_half = one && k.resize_h_affine_f16 != nullptr && h_writes_f16(j);  // (float16)
    for (int64_t i = y0; i < y1; ++i) {
      const int64_t y = rows::band_row(py, y0, y1, i);
      const int64_t st = py.start[static_cast<size_t>(y)];
      rows::ring_window(gray, st, taps, gray_rows, [&](int64_t r, float* d) {
        k.luma_u8(source.get(r, 0), span, C, j.color->m[0], d);
      });
      k.resize_v(gray_rows.data(), py.w.data() + y * taps, taps, span, s.planes.data());
      if (to_plane) {
        const rows::OutRow o(j, y);
        k.resize_h_affine(s.planes.data(), pstride, 1, s.rel_start.data(), px.w.data(),
                          px.wt.data(), px.taps, ow, j.affine->a.data(), j.affine->b.data(), o.d,
                          o.step);
        continue;
      }
      if (to_half) {
        const StagedPlanes<uint16_t> o(j, y);
        k.resize_h_affine_f16(s.planes.data(), pstride, 1, s.rel_start.data(), px.w.data(),
                              px.wt.data(), px.taps, ow, j.affine->a.data(), j.affine->b.data(),
                              o.d, o.step);
        continue;
      }
      k.resize_h(s.planes.data(), pstride, 1, s.rel_start.data(), px.w.data(), px.wt.data(),
                 px.taps, ow, hrow.data(), ow);
      store_row(k, j, y, hrow.data(), s, 1.0f, true);
    }
    return;
  }
  if (v_first) {
    // Vertical first: the vertical pass reads the source rows themselves (or gathered copies of
    // strided ones), at full span width, interleaved; one de-interleave and one horizontal pass
    // per output row follow.
    const int64_t wide = span * C;
    rows::SourceRows source(j, col_lo, span, span, taps);  // the taps rows of an output row
    s.vrow.resize(static_cast<size_t>(std::max(wide, ow * C)));
    std::vector<const unsigned char*> src_rows(static_cast<size_t>(taps));
    std::vector<float> hrow(static_cast<size_t>(ow * C));
    const double vone = std::ldexp(1.0, vbits);
    const float vunit = static_cast<float>(1.0 / vone);
    const bool planar_v = !f32 && k.resize_v_u8_planar != nullptr && C <= 4;
    s.ky.resize(static_cast<size_t>(taps));
    // One output row's vertical pass into `dst` (wide interleaved values), or, with narrow
    // windows or a luma and the planar integer pass, straight into resize_h's planes.
    const auto vertical = [&](int64_t y, float* dst) {
      const int64_t st = py.start[static_cast<size_t>(y)];
      for (int64_t t = 0; t < taps; ++t) src_rows[static_cast<size_t>(t)] = source.cached(st + t);
      const float* wy = py.w.data() + y * taps;
      if (f32) {
        k.resize_v(reinterpret_cast<const float* const*>(src_rows.data()), wy, taps, wide, dst);
      } else if (float_v) {  // float32 sums on the uint8 rows, as resize_v on float rows
        k.resize_v_u8(reinterpret_cast<const uint8_t* const*>(src_rows.data()), wy, taps, wide,
                      dst);
      } else {  // integer weights in units of 2^-vbits: exact integer sums
        for (int64_t t = 0; t < taps; ++t)
          s.ky[static_cast<size_t>(t)] = static_cast<int32_t>(std::lrint(wy[t] * vone));
        if ((narrow || luma) && planar_v) {  // the sums straight into resize_h's planes
          k.resize_v_u8_planar(reinterpret_cast<const uint8_t* const*>(src_rows.data()),
                               s.ky.data(), taps, span, C, s.planes.data(), pstride);
        } else {
          k.resize_v_u8_int(reinterpret_cast<const uint8_t* const*>(src_rows.data()), s.ky.data(),
                            taps, wide, dst);
        }
      }
    };
    // Wide windows (the gathers' case) of a filter whose taps are at least three source steps
    // (bicubic, lanczos: the transposes cost per source sample, the gathers per tap), on an ISA
    // with resize_h_columns: 16 output rows at a time, their vertical passes transposed to
    // columns of 16, the horizontal pass one load per tap for all 16 rows (the same sums in the
    // same order), transposed back. 1080p -> 256 -> 224 bicubic: 664 -> 579 us. Not taken:
    // bilinear and box (taps of about 2 and 1 steps: 800x600 bilinear 221 -> 250 us), rows
    // wider than kColumnValues (the blocks would leave the L2 cache: 4032x3024 -> 224 was 13%
    // slower), and the last rows of a band short of 16 (the per-row path below).
    int64_t first = y0;
    if (!(narrow || luma) && k.resize_h_columns != nullptr && px.taps * ow >= 3 * span &&
        wide <= kColumnValues && y1 - y0 >= kColumnRows) {
      const int64_t hn = C * ow;
      ColumnBuffers& cb = column_buffers();
      cb.fit(kColumnRows * std::max(wide, hn));
      const int64_t full = y0 + (y1 - y0) / kColumnRows * kColumnRows;
      for (; first < full; first += kColumnRows) {
        for (int64_t r = 0; r < kColumnRows; ++r)
          vertical(rows::band_row(py, y0, y1, first + r), cb.block.data() + r * wide);
        k.transpose16(cb.block.data(), wide, wide, cb.cols.data());
        k.resize_h_columns(cb.cols.data(), C, s.rel_start.data(), px.w.data(), px.taps, ow,
                           cb.hcols.data());
        k.untranspose16(cb.hcols.data(), hn, cb.hrows.data(), hn);
        for (int64_t r = 0; r < kColumnRows; ++r)
          store_row(k, j, rows::band_row(py, y0, y1, first + r), cb.hrows.data() + r * hn, s,
                    float_v ? 1.0f : vunit, luma);
      }
    }
    // float32 (C, H, W) output of a per-channel affine: the horizontal pass maps its sums and
    // writes the output planes itself (store_row's normalize_f32, in the same pass)
    const bool affine = !luma && !j.mixes();  // (per-channel)
    const bool to_planes = narrow && affine && k.resize_h_affine != nullptr && h_writes_planes(j);
    const bool to_half = narrow && affine && k.resize_h_affine_f16 != nullptr && h_writes_f16(j);
    // wide windows (gathers on the interleaved row) likewise (resize_h_interleaved_affine)
    const bool wide_planes =
        !narrow && affine && k.resize_h_interleaved_affine != nullptr && h_writes_planes(j);
    std::vector<float> scaled_a;
    if (to_planes || to_half || wide_planes)
      for (int64_t c = 0; c < C; ++c)
        scaled_a.push_back(j.affine->a[static_cast<size_t>(c)] * (float_v ? 1.0f : vunit));
    // three planes mixed into float32 (C, H, W) planes (ycbcr, yuv): the horizontal pass mixes
    // its sums with the affine folded in and writes the output planes (store_row's mix_folded,
    // in the same pass)
    const float* mix = narrow && !luma && j.mixes() && j.color->in == 3 &&
                               k.resize_h_mix != nullptr && h_writes_planes(j)
                           ? folded_mix(j, float_v ? 1.0f : vunit, s)
                           : nullptr;
    for (int64_t i = first; i < y1; ++i) {
      const int64_t y = rows::band_row(py, y0, y1, i);
      vertical(y, s.vrow.data());
      if (narrow || luma) {  // planes for resize_h (its permute windows, or one luma plane)
        if (float_v || !planar_v)
          k.normalize_f32(s.vrow.data(), span, C, ones.data(), zeros.data(), s.planes.data(),
                          pstride);
        if (luma) k.luma_planes(s.planes.data(), pstride, span, j.color->m[0], s.planes.data());
        if (to_planes) {
          const rows::OutRow o(j, y);
          k.resize_h_affine(s.planes.data(), pstride, F, s.rel_start.data(), px.w.data(),
                            px.wt.data(), px.taps, ow, scaled_a.data(), j.affine->b.data(), o.d,
                            o.step);
          continue;
        }
        if (to_half) {
          const StagedPlanes<uint16_t> o(j, y);
          k.resize_h_affine_f16(s.planes.data(), pstride, F, s.rel_start.data(), px.w.data(),
                                px.wt.data(), px.taps, ow, scaled_a.data(), j.affine->b.data(), o.d,
                                o.step);
          continue;
        }
        if (mix != nullptr) {
          const rows::OutRow o(j, y);
          k.resize_h_mix(s.planes.data(), pstride, s.rel_start.data(), px.w.data(), px.wt.data(),
                         px.taps, ow, mix, s.of, o.d, o.step);
          continue;
        }
        k.resize_h(s.planes.data(), pstride, F, s.rel_start.data(), px.w.data(), px.wt.data(),
                   px.taps, ow, hrow.data(), ow);
      } else {  // gathers read the interleaved row as well
        if (wide_planes) {
          const rows::OutRow o(j, y);
          k.resize_h_interleaved_affine(s.vrow.data(), C, s.rel_start.data(), px.w.data(),
                                        px.wt.data(), px.taps, ow, scaled_a.data(),
                                        j.affine->b.data(), o.d, o.step);
          continue;
        }
        k.resize_h_interleaved(s.vrow.data(), C, s.rel_start.data(), px.w.data(), px.wt.data(),
                               px.taps, ow, hrow.data(), ow);
      }
      store_row(k, j, y, hrow.data(), s, float_v ? 1.0f : vunit, luma);
    }
    return;
  }
  rows::RowRing<float> ring(taps, rowlen);  // source rows filtered horizontally
  s.vrow.resize(static_cast<size_t>(rowlen));
  std::vector<const float*> rows(static_cast<size_t>(taps));
  rows::SourceRows source(j, col_lo, span, span, 1);  // each read once, into the ring

  for (int64_t i = y0; i < y1; ++i) {
    const int64_t y = rows::band_row(py, y0, y1, i);
    const int64_t st = py.start[static_cast<size_t>(y)];
    rows::ring_window(ring, st, taps, rows, [&](int64_t r, float* dst) {
      const unsigned char* row = source.get(r, 0);
      // interleaved -> planar float (x * 1 + 0 is exact), then filtered into the ring slot
      if (luma && !f32) {  // the luma straight from the interleaved row
        k.luma_u8(row, span, C, j.color->m[0], s.planes.data());
      } else if (f32) {
        k.normalize_f32(reinterpret_cast<const float*>(row), span, C, ones.data(), zeros.data(),
                        s.planes.data(), pstride);
        if (luma) k.luma_planes(s.planes.data(), pstride, span, j.color->m[0], s.planes.data());
      } else {
        k.normalize_u8(row, span, C, ones.data(), zeros.data(), s.planes.data(), pstride);
      }
      k.resize_h(s.planes.data(), pstride, F, s.rel_start.data(), px.w.data(), px.wt.data(),
                 px.taps, ow, dst, ow);
    });
    const float* wy = py.w.data() + y * taps;
    k.resize_v(rows.data(), wy, taps, rowlen, s.vrow.data());
    if (opencv) {  // saturate_cast<uchar>: rounded half to even, clamped
      s.u8row.resize(static_cast<size_t>(rowlen));
      k.store_u8(s.vrow.data(), rowlen, s.u8row.data());
      rows::emit_planar_u8(k, j, y, s.u8row.data());
      continue;
    }
    store_row(k, j, y, s.vrow.data(), s, 1.0f, luma);
  }
}

}  // namespace

void resample_float(const KernelTable& k, const ResampleJob& j, int64_t y0, int64_t y1) {
  Scratch s;
  run_rows(k, j, y0, y1, s);
}

}  // namespace pixnorm
