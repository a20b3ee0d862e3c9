// Named conventions: Pillow's and torch's uint8 resampling, reproduced bit for bit (see
// docs/resize-conventions.md for the sources and the experiments behind each rule). Integer
// weights and int32 accumulators, as in those libraries, through the fixed-point kernels of the
// active ISA; rows between the passes are uint8, kept planar (C rows of ow values). Also the
// named conventions' levels (level_params). Each output row is independent, so bands of rows
// and whole images run on separate threads (resample.cpp).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "kernels/table.hpp"
#include "pixnorm/threads.hpp"
#include "resample.hpp"
#include "rows.hpp"

namespace pixnorm {

namespace {

// torch's cubic convolution (UpSample.h, A = -0.75): |x| <= 1 and 1 < |x| < 2.
double cubic1(double x, double a) { return ((a + 2) * x - (a + 3)) * x * x + 1; }
double cubic2(double x, double a) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; }

// interpolate(uint8, mode="bicubic", antialias=False) on one axis, as torch's separable uint8
// kernel plans it (docs/resize-conventions.md 5g): real = scale (i + 0.5) - 0.5 in double (not
// clamped), idx = min(floor(float32(real)), in - 1), lam = clamp(real - idx, 0, 1); the four
// weights get_cubic_upsample_coefficients(lam) in double, folded onto the window
// [max(idx - 1, 0), min(idx + 3, in)) as torch folds taps past the edges (a tap at or before
// sample 0 goes to the first slot, one at or past in - 1 to the last), no renormalization.
// `wmax`: the largest running slot sum of the axis, from which torch takes its precision.
AxisWindows torch_cubic_windows(int64_t in, int64_t out_full, double factor, double& wmax) {
  constexpr double a = -0.75;
  const double scale = axis_scale(Convention::torch, in, out_full, factor);
  AxisWindows out;
  out.xmin.resize(static_cast<size_t>(out_full));
  out.begin.resize(static_cast<size_t>(out_full) + 1);
  wmax = 0;
  for (int64_t i = 0; i < out_full; ++i) {
    const double real = scale * (static_cast<double>(i) + 0.5) - 0.5;
    const int64_t idx =
        std::min(static_cast<int64_t>(std::floor(static_cast<float>(real))), in - 1);
    const double lam = std::clamp(real - static_cast<double>(idx), 0.0, 1.0);
    const double x2 = 1.0 - lam;
    const double c[4] = {cubic2(lam + 1.0, a), cubic1(lam, a), cubic1(x2, a), cubic2(x2 + 1.0, a)};
    const int64_t umin = idx - 1, umax = idx + 3;
    const int64_t xmin = std::max<int64_t>(umin, 0);
    const int64_t xsize = std::clamp<int64_t>(std::min(umax, in) - xmin, 0, 4);
    double wt[4] = {0, 0, 0, 0};
    int64_t wi = 0;
    for (int64_t j = 0; j < 4; ++j) {
      if (umin + j <= 0)
        wi = 0;
      else if (umin + j >= in - 1)
        wi = xsize - 1;
      wt[wi] += c[j];
      wmax = std::max(wmax, wt[wi]);
      ++wi;
    }
    out.xmin[static_cast<size_t>(i)] = xmin;
    out.begin[static_cast<size_t>(i)] = out.w.size();
    for (int64_t k = 0; k < xsize; ++k) out.w.push_back(wt[k]);
  }
  out.begin[static_cast<size_t>(out_full)] = out.w.size();
  return out;
}

}  // namespace

AxisPlan plan_axis_fixed(int64_t in, int64_t out_full, bool antialias, int64_t first, int64_t count,
                         bool mirror, Convention conv, double factor, Filter filter) {
  // torch picks its precision from the largest weight of the whole axis, so it plans all of it;
  // Pillow's fixed 22 bits need only the outputs asked for (`base` maps them into `all`).
  const int64_t base = conv == Convention::torch ? 0 : first;
  const bool torch_cubic = conv == Convention::torch && filter == Filter::bicubic && !antialias;
  double cubic_wmax = 0;
  const AxisWindows all =
      torch_cubic ? torch_cubic_windows(in, out_full, factor, cubic_wmax)
                  : axis_windows(in, out_full, antialias, base,
                                 conv == Convention::torch ? out_full : count, factor, filter);
  int bits = 22;
  if (conv == Convention::torch) {
    double wmax = cubic_wmax;
    if (!torch_cubic)
      for (double v : all.w) wmax = std::max(wmax, v);
    bits = 0;
    while (bits < 22 && static_cast<int64_t>(0.5 + wmax * std::ldexp(1.0, bits + 1)) < (1 << 15))
      ++bits;
  }
  int64_t taps = 1;
  for (int64_t i = first; i < first + count; ++i)
    taps = std::max<int64_t>(taps, static_cast<int64_t>(all.size(static_cast<size_t>(i - base))));
  AxisPlan p;
  p.count = count;
  p.mirrored = mirror;
  p.taps = taps;
  p.bits = bits;
  p.start.resize(static_cast<size_t>(count));
  p.k.assign(static_cast<size_t>(count * taps), 0);
  const double one = std::ldexp(1.0, bits);
  for (int64_t i = 0; i < count; ++i) {
    const size_t src = static_cast<size_t>(first + i - base);
    const int64_t xmin = all.xmin[src];
    const int64_t dst = mirror ? count - 1 - i : i;
    const int64_t start = std::min(xmin, in - taps);
    const int64_t offset = xmin - start;
    p.start[static_cast<size_t>(dst)] = static_cast<int32_t>(start);
    const double* w = all.weights(src);
    // Pillow's normalize_coeffs_8bpc and torch's int16 weights: rounded half away from zero
    // (bicubic and lanczos weights can be negative)
    for (size_t j = 0; j < all.size(src); ++j)
      p.k[static_cast<size_t>(dst * taps + offset) + j] =
          static_cast<int32_t>(std::trunc(w[j] * one + (w[j] < 0 ? -0.5 : 0.5)));
  }
  return p;
}

namespace {

// q / d as the FMA kernels compute it when allowed (see LevelsF32 in kernels/table.hpp).
float corrected_quotient(float q, float d, float r) {
  const float y = q * r;
  const float e = std::fma(-y, d, q);
  return std::fma(e, r, y);
}

}  // namespace

std::vector<LevelParams> level_params(const std::vector<double>& mean,
                                      const std::vector<double>& std, double scale,
                                      int64_t channels, double divisor) {
  // The check below costs a few microseconds per call; a data loader asks for the same
  // parameters every time, so the last answer is kept (per thread).
  struct Last {
    std::vector<double> mean, std;
    std::vector<LevelParams> result;
    double scale = 0, divisor = 0;
    int64_t channels = -1;
  };
  thread_local Last last;
  // Compared bit for bit: -0.0 == 0.0 (and NaN != NaN), but a scale of -0.0 gives -0.0 levels.
  auto same = [](const double* a, const double* b, size_t n) {
    return std::memcmp(a, b, n * sizeof(double)) == 0;
  };
  if (last.channels == channels && same(&last.scale, &scale, 1) &&
      same(&last.divisor, &divisor, 1) && last.mean.size() == mean.size() &&
      same(last.mean.data(), mean.data(), mean.size()) && last.std.size() == std.size() &&
      same(last.std.data(), std.data(), std.size()))
    return last.result;
  std::vector<LevelParams> p(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    LevelParams& q = p[static_cast<size_t>(c)];
    const bool divide = divisor > 0.0;
    const float factor = static_cast<float>(divide ? divisor : scale);
    const float m = static_cast<float>(mean.size() == 1 ? mean[0] : mean[static_cast<size_t>(c)]);
    const float sd = static_cast<float>(std.size() == 1 ? std[0] : std[static_cast<size_t>(c)]);
    const float inv_factor = 1.0f / factor, inv_std = 1.0f / sd;
    // The corrected products must equal the float32 divisions for every level (they do for
    // all finite, normal cases tried; checked here rather than assumed).
    bool fast = std::isfinite(inv_factor) && std::isfinite(inv_std);
    for (int v = 0; v < 256 && fast; ++v) {
      const float x = static_cast<float>(v);
      const volatile float t_exact = divide ? x / factor : x * factor;  // float32, as torch
      const volatile float u_exact = t_exact - m;
      const float exact = u_exact / sd;
      const float t = divide ? corrected_quotient(x, factor, inv_factor) : x * factor;
      const float quick = corrected_quotient(t - m, sd, inv_std);
      fast = std::memcmp(&quick, &exact, sizeof exact) == 0;
    }
    q.factor = factor;
    q.divide = divide;
    q.mean = m;
    q.std = sd;
    q.fast = fast;
    q.inv_factor = inv_factor;
    q.inv_std = inv_std;
  }
  last = Last{mean, std, p, scale, divisor, channels};
  return p;
}

void resample_fixed(const KernelTable& k, const ResampleJob& j, int64_t y0, int64_t y1) {
  const AxisPlan& py = *j.py;
  const AxisPlan& px = *j.px;
  const int64_t C = j.channels(), ow = px.count, taps = py.taps;
  const int64_t col_lo = px.first_read();
  const int64_t span = px.end_read() - col_lo;
  const std::vector<int32_t> rel = rows::relative_starts(px, col_lo);
  // Nearest (one tap of weight 1 each way: Pillow's NEAREST, torch's nearest and nearest-exact):
  // each sum is the sample itself, (2^(bits-1) + 2^bits v) >> bits = v, so the sampled bytes,
  // gathered, are the same levels, without the two passes.
  const auto unit = [](const AxisPlan& a) {
    return a.taps == 1 && a.bits >= 1 && a.bits <= 22 &&
           std::all_of(a.k.begin(), a.k.end(), [&a](int32_t w) { return w == (1 << a.bits); });
  };
  if (unit(px) && unit(py)) {
    rows::nearest_levels(k, j, y0, y1, col_lo, span, rel);
    return;
  }
  // The horizontal pass from the uint8 row reads windows of a multiple of 2 taps
  // (resize_h_u8_fixed) or of 4 (resize_h_u8_digits, where the ISA has it and the weights fit),
  // zero weights padding the window: a source narrower than one padded window is gathered into a
  // row of `width` samples whose tail stays zero.
  const int32_t kmax = *std::max_element(px.k.begin(), px.k.end());
  const int32_t kmin = *std::min_element(px.k.begin(), px.k.end());
  // (the digits kernels have SIMD code for 3 and 4 channels only; their portable version,
  // which rebuilds every weight from its digits, is slower than resize_h_u8_fixed's)
  // (balanced digits hold negative weights too: two cover [-128 * 257, 127 * 257])
  const int64_t digits =
      k.resize_h_u8_digits && (C == 3 || C == 4) && kmin >= -(1 << 22) && kmax <= (1 << 22)
          ? (kmax <= 127 * 257 && kmin >= -128 * 257 ? 2 : 3)  // two balanced digits, or three
          : 0;
  // (one channel: a multiple of 4 too, so that each 4-byte read of the SIMD kernels holds two
  // pairs of taps inside the window; zero weights add nothing to the exact sums)
  const int64_t window = digits || C == 1 ? (px.taps + 3) / 4 * 4 : px.taps + (px.taps & 1);
  const int64_t width = std::max(span, window);
  rows::SourceRows source(j, col_lo, span, width, taps + 1);
  std::vector<const uint8_t*> rows(static_cast<size_t>(taps));
  std::vector<uint8_t> out_row(static_cast<size_t>(ow * C));
  // 2 x 2 taps with int16 weights (torch without antialias, or upscaling): the fused kernel
  // computes both passes per output row straight from the two source rows (same integers).
  const auto small = [](const std::vector<int32_t>& w) {
    return *std::max_element(w.begin(), w.end()) < (1 << 15) &&
           *std::min_element(w.begin(), w.end()) >= 0;  // (a 2-tap bicubic window on a tiny image)
  };
  // The fused kernel's precondition (kernels/table.hpp): each pair of weights sums to at most
  // 2^bits + 1, as torch's rounded bilinear weights always do.
  const auto pairs_bounded = [](const AxisPlan& a) {
    if (a.bits < 9) return false;
    for (int64_t i = 0; i < a.count; ++i)
      if (a.k[static_cast<size_t>(2 * i)] + a.k[static_cast<size_t>(2 * i + 1)] > (1 << a.bits) + 1)
        return false;
    return true;
  };
  if (!j.vertical_first && taps == 2 && px.taps == 2 && small(px.k) && small(py.k) &&
      pairs_bounded(px) && pairs_bounded(py)) {
    std::vector<int32_t> kx(static_cast<size_t>(ow));
    for (int64_t x = 0; x < ow; ++x)
      kx[static_cast<size_t>(x)] =
          px.k[static_cast<size_t>(2 * x)] | (px.k[static_cast<size_t>(2 * x + 1)] << 16);
    const bool fused = rows::levels_fusable(k, j);
    for (int64_t i = y0; i < y1; ++i) {
      const int64_t y = rows::band_row(py, y0, y1, i);
      const int64_t st = py.start[static_cast<size_t>(y)];
      const uint8_t* r0 = source.get(st, 0);
      const uint8_t* r1 = source.get(st + 1, 1);
      const int32_t ky0 = py.k[static_cast<size_t>(2 * y)],
                    ky1 = py.k[static_cast<size_t>(2 * y + 1)];
      if (fused) {  // straight to the float planes
        const rows::OutRow o(j, y);
        k.bilinear2_fixed(r0, r1, ky0, ky1, C, rel.data(), kx.data(), ow, kFixedTorch, px.bits,
                          py.bits, nullptr, o.step, j.levels, o.d);
        o.finish(k);
        continue;
      }
      k.bilinear2_fixed(r0, r1, ky0, ky1, C, rel.data(), kx.data(), ow, kFixedTorch, px.bits,
                        py.bits, out_row.data(), ow, nullptr, nullptr);
      rows::emit_planar_u8(k, j, y, out_row.data());
    }
    return;
  }
  // Each output's window padded to `window` taps: zero weights after it, or before it at the
  // right edge of the row (its start moved left), wk[x * window + t].
  std::vector<int32_t> wst(static_cast<size_t>(ow)), wk(static_cast<size_t>(ow * window), 0);
  for (int64_t x = 0; x < ow; ++x) {
    const int32_t s0 = rel[static_cast<size_t>(x)];
    const int32_t shift = std::max<int32_t>(0, s0 + static_cast<int32_t>(window - width));
    wst[static_cast<size_t>(x)] = s0 - shift;
    for (int64_t t = 0; t < px.taps; ++t)
      wk[static_cast<size_t>(x * window + t + shift)] = px.k[static_cast<size_t>(x * px.taps + t)];
  }
  // The weights as the kernel takes them: four taps per dword in signed byte digits (kq), or
  // pairs of taps as words (kp; Pillow's 22-bit weights in two 11-bit halves, kph the high ones).
  std::vector<int32_t> kq, kp, kph;
  const bool split = split_weights(kmax, kmin);
  if (digits) {
    kq.assign(static_cast<size_t>(window / 4 * digits * ow), 0);
    for (int64_t x = 0; x < ow; ++x)
      for (int64_t t = 0; t < window; ++t) {
        int32_t rest = wk[static_cast<size_t>(x * window + t)];
        for (int64_t d = 0; d < digits; ++d) {  // balanced: rest = dig + 256 * (what is left)
          const int32_t dig = ((rest + 128) & 255) - 128;
          rest = (rest - dig) >> 8;  // exact: rest - dig is a multiple of 256
          kq[static_cast<size_t>(((t / 4) * digits + d) * ow + x)] |= static_cast<int32_t>(
              static_cast<uint32_t>(static_cast<uint8_t>(dig)) << (8 * (t % 4)));
        }
      }
  } else {
    // (words in two's complement: negative weights of bicubic and lanczos filters keep their
    // sign; the 11-bit low halves are never negative, the high halves k >> 11 are)
    const int32_t lo_mask = split ? 2047 : 0xFFFF;
    kp.assign(static_cast<size_t>(window / 2 * ow), 0);
    if (split) kph.assign(kp.size(), 0);
    for (int64_t x = 0; x < ow; ++x)
      for (int64_t q = 0; q < window / 2; ++q) {
        const int32_t a = wk[static_cast<size_t>(x * window + 2 * q)];
        const int32_t b = wk[static_cast<size_t>(x * window + 2 * q + 1)];
        kp[static_cast<size_t>(q * ow + x)] = word_pair(a & lo_mask, b & lo_mask);
        if (split) kph[static_cast<size_t>(q * ow + x)] = word_pair(a >> 11, b >> 11);
      }
  }
  // Horizontal pass of one or two interleaved rows of `width` samples into C planar rows of ow
  // values each (row1 may be null).
  auto hpass = [&](const uint8_t* row0, const uint8_t* row1, uint8_t* dst0, uint8_t* dst1) {
    if (digits)
      k.resize_h_u8_digits(row0, row1, C, wst.data(), kq.data(), digits, window, ow, px.bits, dst0,
                           dst1, ow);
    else if (row1)
      k.resize_h_u8_fixed2(row0, row1, C, wst.data(), kp.data(), split ? kph.data() : nullptr,
                           window, ow, px.bits, dst0, dst1, ow);
    else
      k.resize_h_u8_fixed(row0, C, wst.data(), kp.data(), split ? kph.data() : nullptr, window, ow,
                          px.bits, dst0, ow);
  };
  if (j.vertical_first) {  // Pillow 13: the vertical pass on source rows, then the horizontal
    std::vector<uint8_t> mid(static_cast<size_t>(width * C), 0);  // the tail past span stays 0
    for (int64_t i = y0; i < y1; ++i) {
      const int64_t y = rows::band_row(py, y0, y1, i);
      for (int64_t t = 0; t < taps; ++t)
        rows[static_cast<size_t>(t)] = source.get(py.start[static_cast<size_t>(y)] + t, t);
      k.resize_v_fixed(rows.data(), py.k.data() + y * taps, taps, span * C, py.bits, mid.data());
      hpass(mid.data(), nullptr, out_row.data(), nullptr);
      rows::emit_planar_u8(k, j, y, out_row.data());
    }
    return;
  }
  // horizontal first: a ring of filtered rows, each source row filtered once per band, two at a
  // time (shared indices and weights): a row left over after pairing
  // takes the next one that a later output row of the band needs with it, into the ring's spare
  // slot (at least taps + 1 slots: the output row's taps consecutive rows and the next one all
  // have distinct slots).
  const bool fused_levels = rows::levels_fusable(k, j);
  rows::RowRing<uint8_t> ring(taps + 1, ow * C);
  int64_t last_row = 0;  // the last source row the band needs
  for (int64_t y = y0; y < y1; ++y)
    last_row = std::max<int64_t>(last_row, py.start[static_cast<size_t>(y)] + taps - 1);
  const auto filter2 = [&](int64_t a, int64_t b) {
    hpass(source.get(a, 0), source.get(b, 1), ring.slot(a), ring.slot(b));
    ring.hold(a);
    ring.hold(b);
  };
  for (int64_t i = y0; i < y1; ++i) {
    const int64_t y = rows::band_row(py, y0, y1, i);
    int64_t pending = -1;  // a missing row waiting for a second one
    for (int64_t t = 0; t < taps; ++t) {
      const int64_t r = py.start[static_cast<size_t>(y)] + t;
      if (!ring.holds(r)) {
        if (pending < 0) {
          pending = r;
        } else {
          filter2(pending, r);
          pending = -1;
        }
      }
      rows[static_cast<size_t>(t)] = ring.slot(r);
    }
    if (pending >= 0) {
      const int64_t next = py.start[static_cast<size_t>(y)] + taps;  // the spare slot's row
      if (next <= last_row && !ring.holds(next)) {
        filter2(pending, next);
      } else {
        hpass(source.get(pending, 0), nullptr, ring.slot(pending), nullptr);
        ring.hold(pending);
      }
    }
    if (fused_levels) {  // the levels straight to the float planes
      const rows::OutRow o(j, y);
      k.resize_v_fixed_levels(rows.data(), py.k.data() + y * taps, taps, ow, C, py.bits, j.levels,
                              o.d, o.step);
      o.finish(k);
      continue;
    }
    k.resize_v_fixed(rows.data(), py.k.data() + y * taps, taps, ow * C, py.bits, out_row.data());
    rows::emit_planar_u8(k, j, y, out_row.data());
  }
}

}  // namespace pixnorm
