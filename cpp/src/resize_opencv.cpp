// convention="opencv": cv2.resize(INTER_LINEAR) on uint8, reproduced bit for bit. The rules and
// the experiments that confirmed them are in docs/resize-conventions.md, section 3. The linear
// path runs on the active ISA's fused 2 x 2 kernel (bilinear2_fixed in OpenCV's mode: exact int32
// horizontal sums, OpenCV's vertical rounding); the 2x2 mean is portable code. Each output row is
// independent (threads over rows or images).
#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/table.hpp"
#include "pixnorm/threads.hpp"
#include "resample.hpp"
#include "rows.hpp"

namespace pixnorm {

AxisPlan plan_axis_opencv(int64_t in, int64_t out_full, int64_t first, int64_t count, bool mirror,
                          bool x, double factor) {
  AxisPlan p;
  p.count = count;
  p.mirrored = mirror;
  p.taps = 2;
  p.bits = 11;
  p.start.resize(static_cast<size_t>(count));
  p.second.resize(static_cast<size_t>(count));
  p.k.resize(static_cast<size_t>(2 * count));
  // cv::resize: scale = 1 / inv_scale, inv_scale = fx, or (double)out/in with dsize (not in/out).
  const double scale = axis_scale(Convention::opencv, in, out_full, factor);
  for (int64_t k = 0; k < count; ++k) {
    const int64_t d = first + k;
    float f = static_cast<float>((static_cast<double>(d) + 0.5) * scale - 0.5);
    int64_t s = static_cast<int64_t>(std::floor(f));
    f -= static_cast<float>(s);
    if (x) {
      if (s < 0) f = 0, s = 0;
      if (s >= in - 1) f = 0, s = in - 1;
    }
    const int64_t dst = mirror ? count - 1 - k : k;
    p.start[static_cast<size_t>(dst)] = static_cast<int32_t>(std::clamp<int64_t>(s, 0, in - 1));
    p.second[static_cast<size_t>(dst)] =
        static_cast<int32_t>(std::clamp<int64_t>(s + 1, 0, in - 1));
    // saturate_cast<short>(float): rounded half to even (cvRound)
    p.k[static_cast<size_t>(2 * dst)] = static_cast<int32_t>(std::nearbyint((1.0f - f) * 2048.0f));
    p.k[static_cast<size_t>(2 * dst + 1)] = static_cast<int32_t>(std::nearbyint(f * 2048.0f));
  }
  return p;
}

AxisPlan plan_axis_opencv_area(AreaPath path, int64_t in, int64_t out_full, int64_t first,
                               int64_t count, bool mirror, bool x, double factor) {
  // cv::resize: scale = 1 / inv_scale, inv_scale = fx, or (double)out / in with dsize.
  const double inv = factor > 0 ? factor : static_cast<double>(out_full) / static_cast<double>(in);
  const double scale = axis_scale(Convention::opencv, in, out_full, factor);
  const auto at = [&](int64_t k) { return static_cast<size_t>(mirror ? count - 1 - k : k); };
  if (path == AreaPath::table) {
    // computeResizeAreaTab: output d covers [d * scale, d * scale + scale) in double; entries
    // for the partial first sample (when it covers more than 1e-3), the whole ones, and the
    // partial last one (idem), each weight over the cell's length min(scale, in - d * scale).
    AxisWindows wins;
    wins.xmin.resize(static_cast<size_t>(count));
    wins.begin.resize(static_cast<size_t>(count) + 1);
    for (int64_t k = 0; k < count; ++k) {
      const double f1 = static_cast<double>(first + k) * scale, f2 = f1 + scale;
      const double cell = std::min(scale, static_cast<double>(in) - f1);
      int64_t s1 = static_cast<int64_t>(std::ceil(f1));
      const int64_t s2 = std::min(static_cast<int64_t>(std::floor(f2)), in - 1);
      s1 = std::min(s1, s2);
      const double head = static_cast<double>(s1) - f1, tail = f2 - static_cast<double>(s2);
      const auto put = [&](double w) {  // rounded to float32 as OpenCV stores it
        wins.w.push_back(static_cast<double>(static_cast<float>(w)));
      };
      wins.begin[static_cast<size_t>(k)] = wins.w.size();
      wins.xmin[static_cast<size_t>(k)] = head > 1e-3 ? s1 - 1 : s1;
      if (head > 1e-3) put(head / cell);
      for (int64_t t = s1; t < s2; ++t) put(1.0 / cell);
      if (tail > 1e-3) put(std::min(std::min(tail, 1.0), cell) / cell);
    }
    wins.begin[static_cast<size_t>(count)] = wins.w.size();
    return pack_float_plan(wins, in, count, mirror);
  }
  AxisPlan p;
  p.count = count;
  p.mirrored = mirror;
  p.start.resize(static_cast<size_t>(count));
  p.second.resize(static_cast<size_t>(count));
  if (path == AreaPath::blocks) {  // cells of k x k samples, the last cut by the edge
    const int64_t kk = static_cast<int64_t>(std::nearbyint(scale));
    p.taps = kk;
    for (int64_t k = 0; k < count; ++k) {
      const int64_t s0 = (first + k) * kk;
      p.start[at(k)] = static_cast<int32_t>(s0);
      p.second[at(k)] = static_cast<int32_t>(std::min(s0 + kk, in) - 1);
    }
    return p;
  }
  // linear: INTER_LINEAR's plan (plan_axis_opencv) with the area coefficients
  p.taps = 2;
  p.bits = 11;
  p.k.resize(static_cast<size_t>(2 * count));
  for (int64_t k = 0; k < count; ++k) {
    const int64_t d = first + k;
    int64_t sx = static_cast<int64_t>(std::floor(static_cast<double>(d) * scale));
    float f = static_cast<float>(static_cast<double>(d + 1) - static_cast<double>(sx + 1) * inv);
    f = f <= 0.0f ? 0.0f : f - std::floor(f);
    if (x && sx >= in - 1) sx = in - 1, f = 0.0f;
    p.start[at(k)] = static_cast<int32_t>(std::clamp<int64_t>(sx, 0, in - 1));
    p.second[at(k)] = static_cast<int32_t>(std::clamp<int64_t>(sx + 1, 0, in - 1));
    // saturate_cast<short>(float): rounded half to even
    p.k[2 * at(k)] = static_cast<int32_t>(std::nearbyint((1.0f - f) * 2048.0f));
    p.k[2 * at(k) + 1] = static_cast<int32_t>(std::nearbyint(f * 2048.0f));
  }
  return p;
}

namespace {

// OpenCV's interpolateLanczos4: eight float32 weights of the fraction t (float32 steps as its
// C code; sin and cos in double from the C library, as OpenCV calls them), divided by their
// float32 sum; the tap at distance 0 (|x| < 1e-6) gets 1e30 before the division.
void lanczos4_weights(float t, float* w) {
  constexpr double kQuarterPi = 3.14159265358979323846 * 0.25;
  constexpr double s45 = 0.70710678118654752440084436210485;
  static const double cs[8][2] = {{1, 0},  {-s45, -s45}, {0, 1},  {s45, -s45},
                                  {-1, 0}, {s45, s45},   {0, -1}, {-s45, s45}};
  const float x3 = t + 3.0f;
  const double y0 = -static_cast<double>(x3) * 3.14159265358979323846 * 0.25;
  const double s0 = std::sin(y0), c0 = std::cos(y0);
  float sum = 0.0f;
  for (int i = 0; i < 8; ++i) {
    const float yi = x3 - static_cast<float>(i);
    if (std::fabs(yi) >= 1e-6f) {
      const double y = -static_cast<double>(yi) * kQuarterPi;
      w[i] = static_cast<float>((cs[i][0] * s0 + cs[i][1] * c0) / (y * y));
    } else {
      w[i] = 1e30f;
    }
    sum += w[i];
  }
  const float inv = 1.0f / sum;
  for (int i = 0; i < 8; ++i) w[i] *= inv;
}

}  // namespace

AxisPlan plan_axis_opencv_lanczos4(int64_t in, int64_t out_full, int64_t first, int64_t count,
                                   bool mirror, double factor) {
  const double scale = axis_scale(Convention::opencv, in, out_full, factor);
  AxisPlan p;
  p.count = count;
  p.mirrored = mirror;
  p.taps = std::min<int64_t>(8, in);
  p.bits = 22;
  p.start.resize(static_cast<size_t>(count));
  p.k.assign(static_cast<size_t>(count * p.taps), 0);
  for (int64_t k = 0; k < count; ++k) {
    float f = static_cast<float>((static_cast<double>(first + k) + 0.5) * scale - 0.5);
    const int64_t s = static_cast<int64_t>(std::floor(f));
    f -= static_cast<float>(s);
    float w[8];
    lanczos4_weights(f, w);
    const size_t dst = static_cast<size_t>(mirror ? count - 1 - k : k);
    const int64_t ws = std::clamp<int64_t>(s - 3, 0, in - p.taps);
    p.start[dst] = static_cast<int32_t>(ws);
    for (int64_t t = 0; t < 8; ++t) {
      const int64_t idx = std::clamp<int64_t>(s - 3 + t, 0, in - 1);
      // saturate_cast<short>(float): rounded half to even, saturated
      const float q = std::nearbyint(w[t] * 2048.0f);
      p.k[dst * static_cast<size_t>(p.taps) + static_cast<size_t>(idx - ws)] +=
          static_cast<int32_t>(std::clamp(q, -32768.0f, 32767.0f));
    }
  }
  return p;
}

namespace {

// OpenCV's INTER_AREA fast path, one 2x2 block: (a + b + c + d + 2) >> 2, or for 2 channels
// its generic path, saturate_cast<uchar>(sum * 0.25f) (half to even).
inline uint8_t area2x_mean(int32_t sum, int64_t channels) {
  int32_t q;
  if (channels == 2) {
    q = sum >> 2;
    const int32_t rem = sum & 3;
    if (rem > 2 || (rem == 2 && (q & 1))) ++q;
  } else {
    q = (sum + 2) >> 2;
  }
  return static_cast<uint8_t>(q);
}

// The 2x2 means of a side of 4k + 3 halved by a factor of 1/2 (cv2.resize(fx=0.5)): the last
// output (the first when mirrored) covers one source sample, and OpenCV's border loop takes the
// mean of the pixels that exist, saturate_cast<uchar>((float)sum / count), half to even. Kept
// apart from the exact-2x loop, which it slowed by 5% when they were one loop.
void area2x_partial(const KernelTable& k, const ResampleJob& j, rows::SourceRows& source,
                    const std::vector<int32_t>& a0, int64_t y0, int64_t y1) {
  const AxisPlan& py = *j.py;
  const AxisPlan& px = *j.px;
  const int64_t C = j.channels(), ow = px.count;
  std::vector<uint8_t> out(static_cast<size_t>(ow * C));
  for (int64_t i = y0; i < y1; ++i) {
    const int64_t y = rows::band_row(py, y0, y1, i);
    const int64_t sy = py.start[static_cast<size_t>(y)];
    const bool row_pair = py.second[static_cast<size_t>(y)] != sy;
    const uint8_t* r0 = source.get(sy, 0);
    const uint8_t* r1 = row_pair ? source.get(sy + 1, 1) : r0;
    for (int64_t x = 0; x < ow; ++x) {
      const int64_t o = a0[static_cast<size_t>(x)];
      const bool col_pair = px.second[static_cast<size_t>(x)] != px.start[static_cast<size_t>(x)];
      for (int64_t c = 0; c < C; ++c) {
        uint8_t q;
        if (row_pair && col_pair) {
          q = area2x_mean(r0[o + c] + r0[o + C + c] + r1[o + c] + r1[o + C + c], C);
        } else if (row_pair || col_pair) {  // two pixels: their mean, half to even
          const int32_t sum = r0[o + c] + (col_pair ? r0[o + C + c] : r1[o + c]);
          q = static_cast<uint8_t>((sum >> 1) + (sum & 1 & (sum >> 1)));
        } else {
          q = r0[o + c];  // the corner: one pixel
        }
        out[static_cast<size_t>(c * ow + x)] = q;  // planar
      }
    }
    rows::emit_planar_u8(k, j, y, out.data());
  }
}

}  // namespace

void resample_opencv(const KernelTable& k, const ResampleJob& j, int64_t y0, int64_t y1) {
  const AxisPlan& py = *j.py;
  const AxisPlan& px = *j.px;
  const int64_t C = j.channels(), ow = px.count;
  // Columns read: [col_lo, col_lo + span) of the box. Both paths read only columns start and
  // second (the 2x2 mean reads start and start + 1, which is second on an exact 2x plan).
  const int64_t col_lo = px.first_read();
  const int64_t span = px.end_read() - col_lo;
  // INTER_NEAREST / INTER_NEAREST_EXACT (the weight pair (2048, 0) each way, which the 2 x 2
  // arithmetic turns into the sample itself): the sampled levels gathered, as in the other
  // conventions (rows::nearest_levels), without the 2 x 2 kernel.
  const auto unit = [](const AxisPlan& a) {
    if (a.taps != 2 || a.bits != 11) return false;
    for (int64_t i = 0; i < a.count; ++i)
      if (a.k[static_cast<size_t>(2 * i)] != 2048 || a.k[static_cast<size_t>(2 * i + 1)] != 0)
        return false;
    return true;
  };
  if (!j.area2x && unit(px) && unit(py)) {
    rows::nearest_levels(k, j, y0, y1, col_lo, span, rows::relative_starts(px, col_lo));
    return;
  }
  // The fused kernel reads samples s and s + 1: a one-column source is gathered into a row of
  // two samples, the second zero (its weight is zero too).
  const int64_t width = std::max<int64_t>(span, 2);
  rows::SourceRows source(j, col_lo, span, width, 2);
  std::vector<int32_t> a0(static_cast<size_t>(ow));  // byte offset of each output's first tap
  for (int64_t x = 0; x < ow; ++x)
    a0[static_cast<size_t>(x)] =
        static_cast<int32_t>((px.start[static_cast<size_t>(x)] - col_lo) * C);
  std::vector<uint8_t> out(static_cast<size_t>(ow * C));
  if (j.area2x) {
    // The output index d covers source 2d and 2d+1 in each axis (i0 = 2d, mirrored in order).
    const auto one_sample = [](const AxisPlan& p, int64_t d) {
      return p.second[static_cast<size_t>(d)] == p.start[static_cast<size_t>(d)];
    };
    if (one_sample(px, 0) || one_sample(px, ow - 1) || one_sample(py, 0) ||
        one_sample(py, py.count - 1)) {
      area2x_partial(k, j, source, a0, y0, y1);  // a side of 4k + 3 halved by a factor
      return;
    }
    for (int64_t i = y0; i < y1; ++i) {
      const int64_t y = rows::band_row(py, y0, y1, i);
      const int64_t sy = py.start[static_cast<size_t>(y)];
      const uint8_t* r0 = source.get(sy, 0);
      const uint8_t* r1 = source.get(sy + 1, 1);
      for (int64_t x = 0; x < ow; ++x) {
        const int64_t o = a0[static_cast<size_t>(x)];
        for (int64_t c = 0; c < C; ++c) {
          const int32_t sum = r0[o + c] + r0[o + C + c] + r1[o + c] + r1[o + C + c];
          int32_t q;
          if (C == 2) {  // generic path: saturate_cast<uchar>(sum * 0.25f), half to even
            q = sum >> 2;
            const int32_t rem = sum & 3;
            if (rem > 2 || (rem == 2 && (q & 1))) ++q;
          } else {
            q = (sum + 2) >> 2;
          }
          out[static_cast<size_t>(c * ow + x)] = static_cast<uint8_t>(q);  // planar
        }
      }
      rows::emit_planar_u8(k, j, y, out.data());
    }
    return;
  }
  // The linear path, fused: per output pixel the left sample s and s + 1 with 11-bit weights
  // (an edge pixel, where OpenCV reads one sample twice, becomes its two weights on that sample
  // and 0 on a neighbour inside the row), then OpenCV's vertical rounding, in one kernel.
  std::vector<int32_t> st(static_cast<size_t>(ow)), kx(static_cast<size_t>(ow));
  for (int64_t x = 0; x < ow; ++x) {
    const size_t xs = static_cast<size_t>(x);
    const int32_t i0 = px.start[xs] - static_cast<int32_t>(col_lo);
    const int32_t i1 = px.second[xs] - static_cast<int32_t>(col_lo);
    int32_t s0 = i0, k0 = px.k[2 * xs], k1 = px.k[2 * xs + 1];
    if (i1 != i0 + 1) {  // i1 == i0: one sample
      if (i0 + 1 < width) {
        k0 += k1;
        k1 = 0;
      } else {
        s0 = i0 - 1;
        k1 += k0;
        k0 = 0;
      }
    }
    st[xs] = s0;
    kx[xs] = k0 | (k1 << 16);
  }
  const bool fused = rows::levels_fusable(k, j);
  for (int64_t i = y0; i < y1; ++i) {
    const int64_t y = rows::band_row(py, y0, y1, i);
    const size_t ys = static_cast<size_t>(y);
    const uint8_t* r0 = source.get(py.start[ys], 0);
    const uint8_t* r1 = source.get(py.second[ys], 1);
    const int32_t ky0 = py.k[2 * ys], ky1 = py.k[2 * ys + 1];
    if (fused) {  // straight to the float planes
      const rows::OutRow o(j, y);
      k.bilinear2_fixed(r0, r1, ky0, ky1, C, st.data(), kx.data(), ow, kFixedOpencv, 0, 0, nullptr,
                        o.step, j.levels, o.d);
      o.finish(k);
      continue;
    }
    k.bilinear2_fixed(r0, r1, ky0, ky1, C, st.data(), kx.data(), ow, kFixedOpencv, 0, 0, out.data(),
                      ow, nullptr, nullptr);
    rows::emit_planar_u8(k, j, y, out.data());
  }
}

void resample_opencv_blocks(const KernelTable& k, const ResampleJob& j, int64_t y0, int64_t y1) {
  const AxisPlan& py = *j.py;
  const AxisPlan& px = *j.px;
  const int64_t C = j.channels(), ow = px.count;
  const int64_t col_lo = px.first_read();
  const int64_t span = px.end_read() - col_lo;
  rows::SourceRows source(j, col_lo, span, span, 1);
  std::vector<int64_t> colsum(static_cast<size_t>(span * C));
  std::vector<uint8_t> out(static_cast<size_t>(ow * C));        // planar
  const bool quarter = px.taps == 2 && py.taps == 2 && C != 2;  // (sum + 2) >> 2
  const float inv_area = 1.0f / static_cast<float>(px.taps * py.taps);
  for (int64_t i = y0; i < y1; ++i) {
    const int64_t y = rows::band_row(py, y0, y1, i);
    const int64_t sy = py.start[static_cast<size_t>(y)];
    const int64_t ny = py.second[static_cast<size_t>(y)] + 1 - sy;  // rows in the cell
    std::fill(colsum.begin(), colsum.end(), 0);
    for (int64_t r = 0; r < ny; ++r) {
      const uint8_t* row = source.get(sy + r, 0);
      for (int64_t e = 0; e < span * C; ++e) colsum[static_cast<size_t>(e)] += row[e];
    }
    for (int64_t x = 0; x < ow; ++x) {
      const int64_t sx = px.start[static_cast<size_t>(x)] - col_lo;
      const int64_t nx = px.second[static_cast<size_t>(x)] - col_lo + 1 - sx;
      const bool full = ny == py.taps && nx == px.taps;
      const float count = static_cast<float>(nx * ny);
      for (int64_t c = 0; c < C; ++c) {
        int64_t sum = 0;
        for (int64_t t = 0; t < nx; ++t) sum += colsum[static_cast<size_t>((sx + t) * C + c)];
        // OpenCV's int sum (wrapping past 2^31, as its 32-bit sums do for cells of more than
        // 8.4 million pixels), then (float)sum
        const int32_t s32 = static_cast<int32_t>(static_cast<uint32_t>(sum));
        const float v = full ? static_cast<float>(s32) * inv_area : static_cast<float>(s32) / count;
        const int64_t q =
            full && quarter ? (sum + 2) >> 2 : static_cast<int64_t>(std::nearbyint(v));
        out[static_cast<size_t>(c * ow + x)] = static_cast<uint8_t>(std::clamp<int64_t>(q, 0, 255));
      }
    }
    rows::emit_planar_u8(k, j, y, out.data());
  }
}

namespace {

// The horizontal pass of one source row, exact in int32 (|sum| < 255 * 2048 * 2), channels
// interleaved: dst[x * C + c] = sum_q k[x * taps + q] * row[(start[x] + q) * C + c].
template <int C>
void lanczos4_row(const uint8_t* row, const AxisPlan& px, int64_t col_lo, int64_t channels,
                  int32_t* dst) {
  const int64_t nc = C > 0 ? C : channels, tx = px.taps, ow = px.count;
  for (int64_t x = 0; x < ow; ++x) {
    const uint8_t* s = row + (px.start[static_cast<size_t>(x)] - col_lo) * nc;
    const int32_t* kx = px.k.data() + x * tx;
    for (int64_t c = 0; c < nc; ++c) {
      int32_t sum = 0;
      for (int64_t q = 0; q < tx; ++q) sum += kx[q] * s[q * nc + c];
      dst[x * nc + c] = sum;
    }
  }
}

}  // namespace

void resample_opencv_lanczos4(const KernelTable& k, const ResampleJob& j, int64_t y0, int64_t y1) {
  const AxisPlan& py = *j.py;
  const AxisPlan& px = *j.px;
  const int64_t C = j.channels(), ow = px.count, ty = py.taps, n = ow * C;
  const int64_t col_lo = px.first_read();
  const int64_t span = px.end_read() - col_lo;
  rows::SourceRows source(j, col_lo, span, span, 1);
  const int32_t kmax = *std::max_element(px.k.begin(), px.k.end());
  const int32_t kmin = *std::min_element(px.k.begin(), px.k.end());
  if (px.taps % 2 == 0 && !split_weights(kmax, kmin)) {
    // The kernels: each source row's int sums once (resize_h_u8_sums, planar, into a ring),
    // then the vertical pass and FixedPtCast (resize_v_sums_u8): the same integers as below.
    const std::vector<int32_t> rel = rows::relative_starts(px, col_lo);
    const int64_t pairs = px.taps / 2;
    std::vector<int32_t> kp(static_cast<size_t>(pairs * ow));
    for (int64_t x = 0; x < ow; ++x)
      for (int64_t q = 0; q < pairs; ++q)
        kp[static_cast<size_t>(q * ow + x)] =
            word_pair(px.k[static_cast<size_t>(x * px.taps + 2 * q)],
                      px.k[static_cast<size_t>(x * px.taps + 2 * q + 1)]);
    rows::RowRing<int32_t> sums(ty, n);  // planar: channel c of output x at c * ow + x
    std::vector<const int32_t*> hs(static_cast<size_t>(ty));
    std::vector<uint8_t> planar(static_cast<size_t>(n));
    for (int64_t i = y0; i < y1; ++i) {
      const int64_t y = rows::band_row(py, y0, y1, i);
      const int64_t st = py.start[static_cast<size_t>(y)];
      for (int64_t t = 0; t < ty; ++t) {
        int32_t* slot = sums.slot(st + t);
        if (!sums.holds(st + t)) {
          k.resize_h_u8_sums(source.get(st + t, 0), C, rel.data(), kp.data(), px.taps, ow, slot,
                             ow);
          sums.hold(st + t);
        }
        hs[static_cast<size_t>(t)] = slot;
      }
      k.resize_v_sums_u8(hs.data(), py.k.data() + y * ty, ty, n, 22, planar.data());
      rows::emit_planar_u8(k, j, y, planar.data());
    }
    return;
  }
  rows::RowRing<int32_t> ring(ty, n);  // source rows' horizontal sums
  std::vector<const int32_t*> h(static_cast<size_t>(ty));
  std::vector<uint32_t> acc(static_cast<size_t>(n));
  std::vector<uint8_t> levels(static_cast<size_t>(n)), out(static_cast<size_t>(n));
  const auto horizontal = C == 3   ? &lanczos4_row<3>
                          : C == 1 ? &lanczos4_row<1>
                          : C == 4 ? &lanczos4_row<4>
                                   : &lanczos4_row<0>;
  for (int64_t i = y0; i < y1; ++i) {
    const int64_t y = rows::band_row(py, y0, y1, i);
    const int64_t st = py.start[static_cast<size_t>(y)];
    for (int64_t t = 0; t < ty; ++t) {
      const int64_t r = st + t;
      int32_t* slot = ring.slot(r);
      if (!ring.holds(r)) {
        horizontal(source.get(r, 0), px, col_lo, C, slot);
        ring.hold(r);
      }
      h[static_cast<size_t>(t)] = slot;
    }
    // The vertical pass in OpenCV's int arithmetic (two's complement, as its int sum wraps in
    // the unlikely case it leaves int32), then FixedPtCast: (sum + 2^21) >> 22, saturated.
    const int32_t* ky = py.k.data() + y * ty;
    std::fill(acc.begin(), acc.end(), 0u);
    for (int64_t t = 0; t < ty; ++t) {
      const uint32_t kt = static_cast<uint32_t>(ky[t]);
      const int32_t* ht = h[static_cast<size_t>(t)];
      for (int64_t e = 0; e < n; ++e)
        acc[static_cast<size_t>(e)] += kt * static_cast<uint32_t>(ht[e]);
    }
    for (int64_t e = 0; e < n; ++e) {
      const int32_t v = static_cast<int32_t>(acc[static_cast<size_t>(e)] + (1u << 21)) >> 22;
      levels[static_cast<size_t>(e)] = static_cast<uint8_t>(std::clamp<int32_t>(v, 0, 255));
    }
    rows::emit_interleaved_u8(k, j, y, levels.data(), C, out.data());
  }
}

// ---- INTER_CUBIC (Intel IPP's ippiResizeCubic as the wheels run it, and OpenCV's own code)
// -------

namespace {

// Keys' cubic with C = 0.75 (B = 0), in double.
double ipp_keys(double x) {
  constexpr double a = -0.75;
  x = std::abs(x);
  if (x <= 1.0) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2.0) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0.0;
}

}  // namespace

AxisPlan plan_axis_opencv_cubic(int64_t in, int64_t out_full, int64_t first, int64_t count,
                                bool mirror) {
  const double scale = static_cast<double>(in) / static_cast<double>(out_full);
  // the summation order depends on the position among the axis' unclamped outputs
  std::vector<uint8_t> order(static_cast<size_t>(out_full), 0);
  std::vector<int64_t> floors(static_cast<size_t>(out_full));
  std::vector<double> fracs(static_cast<size_t>(out_full));
  int64_t unclamped = 0;
  for (int64_t i = 0; i < out_full; ++i) {
    const double p = (static_cast<double>(i) + 0.5) * scale - 0.5;
    const double f = std::floor(p);
    floors[static_cast<size_t>(i)] = static_cast<int64_t>(f);
    fracs[static_cast<size_t>(i)] = p - f;
    const bool clamped = f - 1 < 0 || f + 2 > static_cast<double>(in - 1);
    order[static_cast<size_t>(i)] = clamped ? 0 : 1;
    unclamped += clamped ? 0 : 1;
  }
  for (int64_t i = out_full - 1, tail = unclamped % 4; i >= 0 && tail > 0; --i)
    if (order[static_cast<size_t>(i)] == 1) {
      order[static_cast<size_t>(i)] = 2;
      --tail;
    }
  AxisPlan p;
  p.count = count;
  p.mirrored = mirror;
  p.taps = 4;
  p.start.resize(static_cast<size_t>(count));
  p.second.resize(static_cast<size_t>(count));
  p.taps_at.resize(static_cast<size_t>(4 * count));
  p.w.resize(static_cast<size_t>(4 * count));
  p.order.resize(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) {
    const size_t i = static_cast<size_t>(first + k);
    const size_t d = static_cast<size_t>(mirror ? count - 1 - k : k);
    // t snapped to the float32 grid of 1 + t, then the weights in double, rounded once
    const float t1 = static_cast<float>(fracs[i]) + 1.0f;
    const double tq = static_cast<double>(t1 - 1.0f);
    int64_t lo = in, hi = 0;
    for (int64_t q = 0; q < 4; ++q) {
      const int64_t at = std::clamp<int64_t>(floors[i] - 1 + q, 0, in - 1);
      p.taps_at[4 * d + static_cast<size_t>(q)] = static_cast<int32_t>(at);
      p.w[4 * d + static_cast<size_t>(q)] =
          static_cast<float>(ipp_keys(tq + 1.0 - static_cast<double>(q)));
      lo = std::min(lo, at);
      hi = std::max(hi, at);
    }
    p.start[d] = static_cast<int32_t>(lo);
    p.second[d] = static_cast<int32_t>(hi);
    p.order[d] = order[i];
  }
  return p;
}

bool check_opencv_cubic(int64_t channels, int64_t h, int64_t w, int64_t oh, int64_t ow,
                        double factor_y, double factor_x, const std::string& name) {
  if (oh == h && ow == w) return false;  // cv2.resize copies it: either plan is the identity
  if (channels == 2) return true;        // IPP has no 2-channel cubic resize
  const auto off = [](int64_t out, int64_t in, double f) {
    return f > 0 && std::abs(static_cast<double>(out) / static_cast<double>(in) - f) / f > 1e-10;
  };
  if (off(oh, h, factor_y) || off(ow, w, factor_x)) {
    if (h < 2 || w < 2) return true;  // IPP's warpAffine declines a source of one row or column
    std::ostringstream m;
    m.precision(10);
    m << "factor: " << name << " (" << h << " x " << w << ") to " << oh << " x " << ow
      << " by factors (" << factor_y << ", " << factor_x
      << "): with INTER_CUBIC on 1, 3 or 4 channels cv2.resize runs IPP's warpAffine when a "
         "factor is not the rounded size's ratio, which is not reproduced (fit='cover' scales by "
         "such a factor, so it is refused here); give the size (cv2.resize(dsize=...)), or "
         "with factor= also exact_factor=False";
    throw std::invalid_argument(m.str());
  }
  return h < 4 || w < 4;  // IPP's resize declines sources smaller than its 4 taps
}

namespace {

// interpolateCubic (resize.cpp): float32, A = -0.75, in C's order of evaluation (the build
// never fuses a multiply and an add).
void opencv_cubic_weights(float t, float* c) {
  constexpr float A = -0.75f;
  const float t1 = t + 1.0f, u = 1.0f - t;
  c[0] = ((A * t1 - 5.0f * A) * t1 + 8.0f * A) * t1 - 4.0f * A;
  c[1] = ((A + 2.0f) * t - (A + 3.0f)) * t * t + 1.0f;
  c[2] = ((A + 2.0f) * u - (A + 3.0f)) * u * u + 1.0f;
  c[3] = 1.0f - c[0] - c[1] - c[2];
}

}  // namespace

AxisPlan plan_axis_opencv_cubic_own(int64_t in, int64_t out_full, int64_t first, int64_t count,
                                    bool mirror, double factor) {
  const double scale = axis_scale(Convention::opencv, in, out_full, factor);
  AxisPlan p;
  p.count = count;
  p.mirrored = mirror;
  p.taps = 4;
  p.bits = 11;
  p.out_full = out_full;
  p.start.resize(static_cast<size_t>(count));
  p.second.resize(static_cast<size_t>(count));
  p.taps_at.resize(static_cast<size_t>(4 * count));
  p.k.resize(static_cast<size_t>(4 * count));
  p.index.resize(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) {
    // the coordinate in double, rounded once to float32; cvFloor; t in float32
    const float f = static_cast<float>((static_cast<double>(first + k) + 0.5) * scale - 0.5);
    const float fl = std::floor(f);
    const auto s = static_cast<int64_t>(fl);
    float c[4];
    opencv_cubic_weights(f - fl, c);
    const size_t d = static_cast<size_t>(mirror ? count - 1 - k : k);
    int64_t lo = in, hi = 0;
    for (int64_t q = 0; q < 4; ++q) {
      const int64_t at = std::clamp<int64_t>(s - 1 + q, 0, in - 1);  // replicated edges
      p.taps_at[4 * d + static_cast<size_t>(q)] = static_cast<int32_t>(at);
      // saturate_cast<short>(c * 2048): rounded half to even, saturated; no sum correction
      const float w = std::nearbyint(c[q] * 2048.0f);
      p.k[4 * d + static_cast<size_t>(q)] =
          static_cast<int32_t>(std::clamp(w, -32768.0f, 32767.0f));
      lo = std::min(lo, at);
      hi = std::max(hi, at);
    }
    p.start[d] = static_cast<int32_t>(lo);
    p.second[d] = static_cast<int32_t>(hi);
    p.index[d] = static_cast<int32_t>(first + k);
  }
  return p;
}

namespace {

// INTER_CUBIC's own horizontal pass of one source row (C channels, 1 to 4): exact int32 sums.
template <int C>
void cubic_own_row(const uint8_t* row, const AxisPlan& px, int64_t col_lo, int32_t* h) {
  const int32_t* at = px.taps_at.data();
  const int32_t* kx = px.k.data();
  for (int64_t x = 0; x < px.count; ++x, at += 4, kx += 4) {
    const uint8_t* p0 = row + (at[0] - col_lo) * C;
    const uint8_t* p1 = row + (at[1] - col_lo) * C;
    const uint8_t* p2 = row + (at[2] - col_lo) * C;
    const uint8_t* p3 = row + (at[3] - col_lo) * C;
    for (int c = 0; c < C; ++c)
      h[x * C + c] = kx[0] * p0[c] + kx[1] * p1[c] + kx[2] * p2[c] + kx[3] * p3[c];
  }
}

}  // namespace

void resample_opencv_cubic_own(const KernelTable& k, const ResampleJob& j, int64_t y0, int64_t y1) {
  const AxisPlan& py = *j.py;
  const AxisPlan& px = *j.px;
  const int64_t C = j.channels(), ow = px.count, n = ow * C;
  const int64_t col_lo = px.first_read();
  const int64_t span = px.end_read() - col_lo;
  rows::SourceRows source(j, col_lo, span, span, 1);
  rows::RowRing<int32_t> ring(4, n);  // source rows' horizontal sums (exact)
  // OpenCV's vertical pass runs its SSE code on the first nv of the full output row's
  // out_full * C values (whole vectors of 8) and its integer code on the rest.
  const int64_t row_values = px.out_full * C;
  const int64_t nv = row_values >= 8 ? row_values / 8 * 8 : 0;
  std::vector<int64_t> integer;  // the values in its integer part (at most 7 of the full row)
  for (int64_t x = 0; x < ow; ++x)
    for (int64_t c = 0; c < C; ++c)
      if (px.index[static_cast<size_t>(x)] * C + c >= nv) integer.push_back(x * C + c);
  std::vector<uint8_t> levels(static_cast<size_t>(n)), out(static_cast<size_t>(n));
  const auto horizontal = C == 1   ? &cubic_own_row<1>
                          : C == 2 ? &cubic_own_row<2>
                          : C == 3 ? &cubic_own_row<3>
                                   : &cubic_own_row<4>;
  for (int64_t i = y0; i < y1; ++i) {
    const int64_t y = rows::band_row(py, y0, y1, i);
    const int32_t* at = py.taps_at.data() + 4 * y;
    const int32_t* b = py.k.data() + 4 * y;
    const int32_t* h[4];
    rows::ring_taps4(ring, at, h, [&](int64_t r, int32_t* slot) {
      horizontal(source.get(r, 0), px, col_lo, slot);
    });
    // the SSE part: b_q / 2^22 (exact), t = h3 b3, then h2 b2 + t, h1 b1 + t, h0 b0 + t in
    // float32 (no FMA), rounded half to even and saturated; the integer part:
    // (sum + 2^21) >> 22, saturated (FixedPtCast<int, uchar, 22>; OpenCV's int32 sum cannot
    // overflow: the weights' magnitudes add up to at most 2,816, and 255 * 2816^2 < 2^31)
    const float b0 = static_cast<float>(b[0]) * (1.0f / 4194304.0f);
    const float b1 = static_cast<float>(b[1]) * (1.0f / 4194304.0f);
    const float b2 = static_cast<float>(b[2]) * (1.0f / 4194304.0f);
    const float b3 = static_cast<float>(b[3]) * (1.0f / 4194304.0f);
    const int32_t *h0 = h[0], *h1 = h[1], *h2 = h[2], *h3 = h[3];
    uint8_t* lv = levels.data();
    for (int64_t e = 0; e < n; ++e) {  // every value as the SSE part (a loop that vectorizes)
      float t = static_cast<float>(h3[e]) * b3;
      t = static_cast<float>(h2[e]) * b2 + t;
      t = static_cast<float>(h1[e]) * b1 + t;
      t = static_cast<float>(h0[e]) * b0 + t;
      // saturated to [-1, 256] first (the same level once rounded and saturated), then rounded
      // half to even by adding and subtracting 1.5 * 2^23 (exact below 2^22 in magnitude)
      t = t < -1.0f ? -1.0f : t > 256.0f ? 256.0f : t;
      const float q = (t + 12582912.0f) - 12582912.0f;
      lv[e] = static_cast<uint8_t>(q < 0.0f ? 0.0f : q > 255.0f ? 255.0f : q);
    }
    for (const int64_t e : integer) {  // then its integer tail
      int64_t sum = 0;
      for (int q = 0; q < 4; ++q) sum += static_cast<int64_t>(h[q][e]) * b[q];
      const int64_t v = (sum + (int64_t{1} << 21)) >> 22;
      lv[e] = static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    rows::emit_interleaved_u8(k, j, y, levels.data(), C, out.data());
  }
}

// (Its fmaf calls are the FMA instruction in the "fma" clone, a libm call in the portable one:
// the same bits, about ten times the speed.)
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("fma", "default")))
#endif
void resample_opencv_cubic(const KernelTable& k, const ResampleJob& j, int64_t y0, int64_t y1) {
  const AxisPlan& py = *j.py;
  const AxisPlan& px = *j.px;
  const int64_t C = j.channels(), ow = px.count, n = ow * C;
  const int64_t col_lo = px.first_read();
  const int64_t span = px.end_read() - col_lo;
  rows::SourceRows source(j, col_lo, span, span, 1);
  rows::RowRing<float> ring(4, n);  // source rows filtered horizontally
  std::vector<uint8_t> levels(static_cast<size_t>(n)), out(static_cast<size_t>(n));
  const auto horizontal = [&](const uint8_t* row, float* h) {
    for (int64_t x = 0; x < ow; ++x) {
      const int32_t* at = px.taps_at.data() + 4 * x;
      const float* w = px.w.data() + 4 * x;
      const int order = C == 3 ? 0 : px.order[static_cast<size_t>(x)];
      for (int64_t c = 0; c < C; ++c) {
        float v[4], pr[4];
        for (int q = 0; q < 4; ++q) {
          v[q] = static_cast<float>(row[(at[q] - col_lo) * C + c]);
          pr[q] = w[q] * v[q];
        }
        float r;
        if (order == 0) {  // a chain: w0 v0, then fma of each next tap
          r = std::fmaf(w[3], v[3], std::fmaf(w[2], v[2], std::fmaf(w[1], v[1], pr[0])));
        } else if (C == 1) {
          r = order == 1 ? (pr[0] + pr[1]) + (pr[2] + pr[3]) : (pr[0] + pr[2]) + (pr[1] + pr[3]);
        } else {  // 4 channels
          r = order == 1 ? std::fmaf(w[2], v[2], pr[0]) + std::fmaf(w[3], v[3], pr[1])
                         : std::fmaf(w[0], v[0], pr[3]) + std::fmaf(w[1], v[1], pr[2]);
        }
        h[x * C + c] = r;
      }
    }
  };
  for (int64_t i = y0; i < y1; ++i) {
    const int64_t y = rows::band_row(py, y0, y1, i);
    const int32_t* at = py.taps_at.data() + 4 * y;
    const float* w = py.w.data() + 4 * y;
    const float* h[4];
    rows::ring_taps4(ring, at, h,
                     [&](int64_t r, float* slot) { horizontal(source.get(r, 0), slot); });
    for (int64_t e = 0; e < n; ++e) {
      const float v =
          std::fmaf(w[0], h[0][e], w[1] * h[1][e]) + std::fmaf(w[2], h[2][e], w[3] * h[3][e]);
      const float q = std::nearbyint(v);
      levels[static_cast<size_t>(e)] = static_cast<uint8_t>(q <= 0.0f     ? 0.0f
                                                            : q >= 255.0f ? 255.0f
                                                                          : q);
    }
    rows::emit_interleaved_u8(k, j, y, levels.data(), C, out.data());
  }
}

}  // namespace pixnorm

// ---- uint16 (Intel IPP's arithmetic, as the opencv-python wheels run it) ------------------------

namespace pixnorm {

AxisPlan plan_axis_opencv16(int64_t in, int64_t out_full, int64_t first, int64_t count,
                            bool mirror) {
  AxisPlan p;
  p.count = count;
  p.mirrored = mirror;
  p.taps = 2;
  p.start.resize(static_cast<size_t>(count));
  p.second.resize(static_cast<size_t>(count));
  p.w.resize(static_cast<size_t>(count));
  const double step = static_cast<double>(in) / static_cast<double>(out_full);
  for (int64_t k = 0; k < count; ++k) {
    const int64_t d = first + k;
    double x = (static_cast<double>(d) + 0.5) * step - 0.5;
    x = std::clamp(x, 0.0, static_cast<double>(in - 1));
    const double s = std::floor(x);
    const int64_t dst = mirror ? count - 1 - k : k;
    p.start[static_cast<size_t>(dst)] = static_cast<int32_t>(s);
    p.second[static_cast<size_t>(dst)] =
        static_cast<int32_t>(std::min<int64_t>(static_cast<int64_t>(s) + 1, in - 1));
    p.w[static_cast<size_t>(dst)] = static_cast<float>(x - s);
  }
  return p;
}

void check_opencv16(int64_t channels, int64_t height, int64_t width, double factor_y,
                    double factor_x, Color color, const std::string& name) {
  if (channels != 1 && channels != 3 && channels != 4)
    throw std::invalid_argument(
        "convention: 'opencv' reproduces cv2.resize on uint16 for 1, 3 or 4 channels (IPP's "
        "arithmetic); with " +
        std::to_string(channels) + " OpenCV runs other code, not reproduced");
  if (height < 2 || width < 2)
    throw std::invalid_argument(
        name +
        ": 'opencv' on uint16 needs both sides > 1 (with a side of 1 cv2.resize leaves "
        "IPP for other code, not reproduced)");
  if (factor_y > 0 || factor_x > 0)
    throw std::invalid_argument(
        "factor: 'opencv' on uint16 is reproduced with sizes only (no factor)");
  if (color != Color::none && ((color != Color::rgb && color != Color::bgr) || channels < 3))
    throw std::invalid_argument(
        "color: 'opencv' on uint16 takes None, or 'rgb' / 'bgr' of 3 or 4 channels (read as "
        "views); cv2.cvtColor's 16-bit conversions are not reproduced");
}

namespace {

// IPP's linear interpolation of two float32 samples: fmaf(w, p1 - p0, p0), the difference
// rounded, then one fused multiply-add (its AVX2 and AVX-512 kernels).
inline float lerp16(float w, float p0, float p1) { return std::fmaf(w, p1 - p0, p0); }

}  // namespace

void resample_opencv16(const KernelTable& k, const ResampleJob& j, int64_t y0, int64_t y1) {
  const AxisPlan& py = *j.py;
  const AxisPlan& px = *j.px;
  const int64_t C = j.channels(), ow = px.count;
  const int64_t col_lo = px.first_read();
  const int64_t span = px.end_read() - col_lo;
  rows::SourceRows source(j, col_lo, span, span, 2);  // float32 rows (uint16, exact)
  std::vector<float> h0(static_cast<size_t>(ow * C)), h1(static_cast<size_t>(ow * C));
  std::vector<float> lerped(static_cast<size_t>(ow * C));     // planar
  std::vector<uint16_t> levels(static_cast<size_t>(ow * C));  // planar
  const auto horizontal = [&](const float* row, float* out) {
    for (int64_t x = 0; x < ow; ++x) {
      const int64_t a = (px.start[static_cast<size_t>(x)] - col_lo) * C;
      const int64_t b = (px.second[static_cast<size_t>(x)] - col_lo) * C;
      const float w = px.w[static_cast<size_t>(x)];
      for (int64_t c = 0; c < C; ++c) out[x * C + c] = lerp16(w, row[a + c], row[b + c]);
    }
  };
  for (int64_t i = y0; i < y1; ++i) {
    const int64_t y = rows::band_row(py, y0, y1, i);
    const int64_t s0 = py.start[static_cast<size_t>(y)], s1 = py.second[static_cast<size_t>(y)];
    horizontal(reinterpret_cast<const float*>(source.get(s0, 0)), h0.data());
    horizontal(reinterpret_cast<const float*>(source.get(s1, 1)), h1.data());
    const float wy = py.w[static_cast<size_t>(y)];
    for (int64_t x = 0; x < ow; ++x)
      for (int64_t c = 0; c < C; ++c) {
        lerped[static_cast<size_t>(c * ow + x)] =
            lerp16(wy, h0[static_cast<size_t>(x * C + c)], h1[static_cast<size_t>(x * C + c)]);
      }
    store_u16(lerped.data(), ow * C, levels.data());  // saturated, rounded half to even
    if (j.kind == ResampleOut::u16_hwc) {
      rows::interleave(levels.data(), ow, C, static_cast<uint16_t*>(j.dst) + y * ow * C);
      continue;
    }
    // preprocess: the levels through torchvision's float32 arithmetic (level_params), as the
    // uint8 conventions map theirs
    const rows::OutRow o(j, y);
    for (int64_t c = 0; c < C; ++c) {
      const LevelParams& p = j.levels[c];
      float* d = o.d + c * o.step;
      for (int64_t x = 0; x < ow; ++x) {
        const float q = static_cast<float>(levels[static_cast<size_t>(c * ow + x)]);
        const float t = p.divide ? q / p.factor : q * p.factor;
        d[x] = (t - p.mean) / p.std;
      }
    }
    o.finish(k);
  }
}

}  // namespace pixnorm
