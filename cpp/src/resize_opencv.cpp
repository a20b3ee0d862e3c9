// convention="opencv": cv2.resize(INTER_LINEAR) on uint8, reproduced bit for bit. The rules and
// the experiments that confirmed them are in docs/resize-conventions.md, section 3. Portable
// integer code; each output row is independent (threads over rows or images).
#include <algorithm>
#include <cmath>
#include <vector>

#include "pixnorm/ops.hpp"
#include "pixnorm/threads.hpp"
#include "rows.hpp"

namespace pixnorm {

OpencvAxis plan_axis_opencv(int64_t in, int64_t out_full, int64_t first, int64_t count,
                            bool mirror, bool x) {
  OpencvAxis p;
  p.in = in;
  p.out_full = out_full;
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

void emit_interleaved(const OpencvJob& j, int64_t y, const uint8_t* row) {
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

void run_opencv(const OpencvJob& j, int64_t y0, int64_t y1) {
  const ImageView& v = j.src;
  const OpencvAxis& py = *j.py;
  const OpencvAxis& px = *j.px;
  const int64_t C = v.channels, ow = px.count;
  // Columns read: [col_lo, col_hi) of the box; rows are used in place when packed.
  const int64_t col_lo = std::min(*std::min_element(px.i0.begin(), px.i0.end()),
                                  *std::min_element(px.i1.begin(), px.i1.end()));
  const int64_t col_hi = std::max(*std::max_element(px.i0.begin(), px.i0.end()),
                                  *std::max_element(px.i1.begin(), px.i1.end())) + (j.area2x ? 2 : 1);
  const int64_t span = col_hi - col_lo;
  const bool packed = v.rows_packed();
  std::vector<uint8_t> gathered[2] = {std::vector<uint8_t>(packed ? 0 : static_cast<size_t>(span * C)),
                                      std::vector<uint8_t>(packed ? 0 : static_cast<size_t>(span * C))};
  auto source_row = [&](int64_t r, int slot) -> const uint8_t* {  // pixel col_lo of row r
    const unsigned char* row = v.byte_ptr(0, j.box_top + r, j.box_left + col_lo, 0);
    if (packed) return row;
    uint8_t* buf = gathered[slot].data();
    rows::gather_any<uint8_t>(row, span, C, v.stride_x, v.stride_c, buf);
    return buf;
  };
  std::vector<int32_t> a0(static_cast<size_t>(ow)), a1(static_cast<size_t>(ow));
  for (int64_t x = 0; x < ow; ++x) {
    a0[static_cast<size_t>(x)] = static_cast<int32_t>((px.i0[static_cast<size_t>(x)] - col_lo) * C);
    a1[static_cast<size_t>(x)] = static_cast<int32_t>((px.i1[static_cast<size_t>(x)] - col_lo) * C);
  }
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
          out[static_cast<size_t>(x * C + c)] = static_cast<uint8_t>(q);
        }
      }
      emit_interleaved(j, y, out.data());
    }
    return;
  }
  // Horizontal results of a source row, exact int32, cached for the two rows in use.
  std::vector<int32_t> h[2] = {std::vector<int32_t>(static_cast<size_t>(ow * C)),
                               std::vector<int32_t>(static_cast<size_t>(ow * C))};
  int64_t held[2] = {-1, -1};
  auto hrow = [&](int64_t r, int64_t keep) -> const int32_t* {
    for (int s = 0; s < 2; ++s)
      if (held[s] == r) return h[s].data();
    const int s = held[0] == keep ? 1 : 0;  // never evict the other row in use
    const uint8_t* src = source_row(r, s);
    int32_t* d = h[s].data();
    for (int64_t x = 0; x < ow; ++x) {
      const uint8_t* p0 = src + a0[static_cast<size_t>(x)];
      const uint8_t* p1 = src + a1[static_cast<size_t>(x)];
      const int32_t w0 = px.w0[static_cast<size_t>(x)], w1 = px.w1[static_cast<size_t>(x)];
      for (int64_t c = 0; c < C; ++c) d[x * C + c] = p0[c] * w0 + p1[c] * w1;
    }
    held[s] = r;
    return d;
  };
  const int64_t n = ow * C;
  for (int64_t y = y0; y < y1; ++y) {
    const int64_t r0 = py.i0[static_cast<size_t>(y)], r1 = py.i1[static_cast<size_t>(y)];
    const int32_t b0 = py.w0[static_cast<size_t>(y)], b1 = py.w1[static_cast<size_t>(y)];
    const int32_t* s0 = hrow(r0, -2);
    const int32_t* s1 = hrow(r1, r0);
    for (int64_t i = 0; i < n; ++i) {
      // VResizeLinearVec_32s8u: 16-bit values (>> 4), high halves of the products, then round
      const int32_t t = (((s0[i] >> 4) * b0) >> 16) + (((s1[i] >> 4) * b1) >> 16);
      const int32_t q = (t + 2) >> 2;
      out[static_cast<size_t>(i)] = static_cast<uint8_t>(q < 0 ? 0 : q > 255 ? 255 : q);
    }
    emit_interleaved(j, y, out.data());
  }
}

}  // namespace

void resample_opencv(const std::vector<OpencvJob>& jobs, int nthreads) {
  rows::run_jobs(jobs, nthreads, [](const OpencvJob& j, int64_t y0, int64_t y1) {
    run_opencv(j, y0, y1);
  });
}

}  // namespace pixnorm
