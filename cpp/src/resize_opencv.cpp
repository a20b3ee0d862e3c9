// convention="opencv": cv2.resize(INTER_LINEAR) on uint8, reproduced bit for bit. The rules and
// the experiments that confirmed them are in docs/resize-conventions.md, section 3. The linear
// path runs on the active ISA's fused 2 x 2 kernel (bilinear2_fixed in OpenCV's mode: exact int32
// horizontal sums, OpenCV's vertical rounding); the 2x2 mean is portable code. Each output row is
// independent (threads over rows or images).
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/table.hpp"
#include "pixnorm/threads.hpp"
#include "resample.hpp"
#include "rows.hpp"

namespace pixnorm {

OpencvAxis plan_axis_opencv(int64_t in, int64_t out_full, int64_t first, int64_t count, bool mirror,
                            bool x) {
  OpencvAxis p;
  p.count = count;
  p.i0.resize(static_cast<size_t>(count));
  p.i1.resize(static_cast<size_t>(count));
  p.w0.resize(static_cast<size_t>(count));
  p.w1.resize(static_cast<size_t>(count));
  // cv::resize with dsize: inv_scale = (double)out/in, scale = 1 / inv_scale (not in/out).
  const double inv_scale = static_cast<double>(out_full) / static_cast<double>(in);
  const double scale = 1.0 / inv_scale;
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
    p.i0[static_cast<size_t>(dst)] = static_cast<int32_t>(std::clamp<int64_t>(s, 0, in - 1));
    p.i1[static_cast<size_t>(dst)] = static_cast<int32_t>(std::clamp<int64_t>(s + 1, 0, in - 1));
    // saturate_cast<short>(float): rounded half to even (cvRound)
    p.w0[static_cast<size_t>(dst)] = static_cast<int32_t>(std::nearbyint((1.0f - f) * 2048.0f));
    p.w1[static_cast<size_t>(dst)] = static_cast<int32_t>(std::nearbyint(f * 2048.0f));
  }
  return p;
}

namespace {

void run_opencv(const KernelTable& k, const OpencvJob& j, int64_t y0, int64_t y1) {
  const ImageView& v = j.src;
  const OpencvAxis& py = *j.py;
  const OpencvAxis& px = *j.px;
  const int64_t C = v.channels, ow = px.count;
  // Columns read: [col_lo, col_hi) of the box; rows are used in place when packed. Both paths
  // read only columns i0 and i1 (the 2x2 mean reads i0 and i0 + 1, which is i1 on an exact 2x
  // plan), so the span ends one past the largest of them.
  const int64_t col_lo = std::min(*std::min_element(px.i0.begin(), px.i0.end()),
                                  *std::min_element(px.i1.begin(), px.i1.end()));
  const int64_t col_hi = std::max(*std::max_element(px.i0.begin(), px.i0.end()),
                                  *std::max_element(px.i1.begin(), px.i1.end())) +
                         1;
  const int64_t span = col_hi - col_lo;
  // The fused kernel reads samples s and s + 1: a one-column source is gathered into a row of
  // two samples, the second zero (its weight is zero too).
  const int64_t width = std::max<int64_t>(span, 2);
  const bool packed = v.rows_packed() && span == width;
  std::vector<uint8_t> gathered[2] = {
      std::vector<uint8_t>(packed ? 0 : static_cast<size_t>(width * C), 0),
      std::vector<uint8_t>(packed ? 0 : static_cast<size_t>(width * C), 0)};
  auto source_row = [&](int64_t r, int slot) -> const uint8_t* {  // pixel col_lo of row r
    const unsigned char* row = v.byte_ptr(0, j.box_top + r, j.box_left + col_lo, 0);
    if (packed) return row;
    uint8_t* buf = gathered[slot].data();
    rows::gather_any<uint8_t>(row, span, C, v.stride_x, v.stride_c, buf);
    return buf;
  };
  std::vector<int32_t> a0(static_cast<size_t>(ow));  // byte offset of each output's first tap
  for (int64_t x = 0; x < ow; ++x)
    a0[static_cast<size_t>(x)] = static_cast<int32_t>((px.i0[static_cast<size_t>(x)] - col_lo) * C);
  std::vector<uint8_t> out(static_cast<size_t>(ow * C));
  if (j.area2x) {
    // The output index d covers source 2d and 2d+1 in each axis (i0 = 2d, mirrored in order).
    for (int64_t y = y0; y < y1; ++y) {
      const int64_t sy = py.i0[static_cast<size_t>(y)];
      const uint8_t* r0 = source_row(sy, 0);
      const uint8_t* r1 = source_row(sy + 1, 1);
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
      rows::emit_planar_u8(k, j, y, out.data(), j.kind == ResampleOut::u8_hwc);
    }
    return;
  }
  // The linear path, fused: per output pixel the left sample s and s + 1 with 11-bit weights
  // (an edge pixel, where OpenCV reads one sample twice, becomes its two weights on that sample
  // and 0 on a neighbour inside the row), then OpenCV's vertical rounding, in one kernel.
  std::vector<int32_t> st(static_cast<size_t>(ow)), kx(static_cast<size_t>(ow));
  for (int64_t x = 0; x < ow; ++x) {
    const size_t xs = static_cast<size_t>(x);
    const int32_t i0 = px.i0[xs] - static_cast<int32_t>(col_lo);
    const int32_t i1 = px.i1[xs] - static_cast<int32_t>(col_lo);
    int32_t s0 = i0, k0 = px.w0[xs], k1 = px.w1[xs];
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
  const bool fused = rows::levels_fusable(j);
  for (int64_t y = y0; y < y1; ++y) {
    const size_t ys = static_cast<size_t>(y);
    const uint8_t* r0 = source_row(py.i0[ys], 0);
    const uint8_t* r1 = source_row(py.i1[ys], 1);
    if (fused) {  // straight to the float planes
      k.bilinear2_fixed(r0, r1, py.w0[ys], py.w1[ys], C, st.data(), kx.data(), ow, kFixedOpencv, 0,
                        0, nullptr, py.count * ow, j.levels, static_cast<float*>(j.dst) + y * ow);
      continue;
    }
    k.bilinear2_fixed(r0, r1, py.w0[ys], py.w1[ys], C, st.data(), kx.data(), ow, kFixedOpencv, 0, 0,
                      out.data(), ow, nullptr, nullptr);
    rows::emit_planar_u8(k, j, y, out.data(), j.kind == ResampleOut::u8_hwc);
  }
}

}  // namespace

void resample_opencv(const std::vector<OpencvJob>& jobs, int nthreads) {
  const KernelTable& k = active_kernels();
  rows::run_jobs(jobs, nthreads,
                 [&k](const OpencvJob& j, int64_t y0, int64_t y1) { run_opencv(k, j, y0, y1); });
}

}  // namespace pixnorm
