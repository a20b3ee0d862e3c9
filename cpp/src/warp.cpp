// Affine warps fused with normalization (pixnorm/warp.hpp): each output row is sampled through
// the convention's map as float values (pixnorm) or uint8 levels (the named conventions), then
// written as preprocess writes its rows: x * a[c] + b[c], or the levels through torchvision's
// float32 arithmetic, in the output format. The rules each convention reproduces, and the
// experiments that established them, are in docs/warp-conventions.md. Portable scalar code.
#include "pixnorm/warp.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/table.hpp"
#include "pixnorm/errors.hpp"
#include "pixnorm/normalize.hpp"
#include "pixnorm/threads.hpp"
#include "resample.hpp"
#include "store.hpp"

namespace pixnorm {

namespace {

// n bytes reversed in place, eight at a time from both ends (a byte swap of each 64-bit word):
// std::reverse on bytes swaps one pair per step, 2% of a flipped 'pillow' warp in a loader.
void reverse_bytes(uint8_t* p, int64_t n) {
  int64_t lo = 0, hi = n;
  for (; hi - lo >= 16; lo += 8, hi -= 8) {
    uint64_t a, b;
    std::memcpy(&a, p + lo, 8);
    std::memcpy(&b, p + hi - 8, 8);
    a = __builtin_bswap64(a);
    b = __builtin_bswap64(b);
    std::memcpy(p + lo, &b, 8);
    std::memcpy(p + hi - 8, &a, 8);
  }
  std::reverse(p + lo, p + hi);
}

// cos and sin of each row's angle of a forward polar map of oh rows, phi = (2 pi / oh) y, as
// std::cos / std::sin give them: computed once per thread for the last oh asked (a loader calls
// with one size; 224 rows cost about 6 us of sincos per call before).
const std::vector<double>& polar_angles(int64_t oh) {
  thread_local std::vector<double> cs;  // cos of row y at 2 y, sin at 2 y + 1
  thread_local int64_t rows = -1;
  if (rows != oh) {
    const double two_pi = 2.0 * 3.14159265358979323846;
    cs.resize(static_cast<size_t>(2 * oh));
    for (int64_t y = 0; y < oh; ++y) {
      const double phi = two_pi / static_cast<double>(oh) * static_cast<double>(y);
      cs[static_cast<size_t>(2 * y)] = std::cos(phi);
      cs[static_cast<size_t>(2 * y + 1)] = std::sin(phi);
    }
    rows = oh;
  }
  return cs;
}

// One source image's samples (byte strides; the sample type is the callers').
struct Source {
  const unsigned char* data;
  int64_t sy, sx, sc, H, W, C;
  explicit Source(const ImageView& v)
      : data(static_cast<const unsigned char*>(v.data)),
        sy(v.stride_y),
        sx(v.stride_x),
        sc(v.stride_c),
        H(v.height),
        W(v.width),
        C(v.channels) {}
  const unsigned char* at(int64_t y, int64_t x) const { return data + y * sy + x * sx; }
  uint8_t u8(int64_t y, int64_t x, int64_t c) const { return at(y, x)[c * sc]; }
};

// ---- pixnorm: the float64 position, float32 weights and sums ---------------------------------

// floor(v) for |v| < 2^52 without a library call (the portable build has no SSE4.1 roundsd):
// truncation, minus one for negative non-integers (its callers clamp to +-2^40 first, NaN too).
inline double floor_fast(double v) {
  const double t = static_cast<double>(static_cast<int64_t>(v));
  return t > v ? t - 1.0 : t;
}

// positions beyond +-2^40 are far outside: clamped before the float -> int conversions (NaN,
// from a map whose products overflow, goes far outside too, as in the kernels)
constexpr double kFar = 1099511627776.0;
inline double clamp_far(double v) { return !(v >= -kFar) ? -kFar : v > kFar ? kFar : v; }

// Samples n positions (us[x], vs[x]) of a source of type T (uint8_t, uint16_t, float) with NC
// channels (0: any) into vals (interleaved).
template <class T, int NC>
void sample_pixnorm_t(const Source& s, WarpFilter filter, int64_t n, const double* us,
                      const double* vs, const float* fill, float* vals) {
  const int64_t C = NC > 0 ? NC : s.C, W = s.W, H = s.H;
  const double Wd = static_cast<double>(W), Hd = static_cast<double>(H);
  const auto px = [&](int64_t iy, int64_t ix, int64_t c) -> float {
    T v;
    std::memcpy(&v, s.at(iy, ix) + c * s.sc, sizeof v);
    return static_cast<float>(v);
  };
  for (int64_t x = 0; x < n; ++x) {
    const double u = us[x], v = vs[x];
    float* o = vals + x * C;
    if (filter == WarpFilter::nearest) {
      const double nu = floor_fast(u + 0.5), nv = floor_fast(v + 0.5);
      if (nu >= 0.0 && nu < Wd && nv >= 0.0 && nv < Hd) {
        const int64_t ix = static_cast<int64_t>(nu), iy = static_cast<int64_t>(nv);
        for (int64_t c = 0; c < C; ++c) o[c] = px(iy, ix, c);
      } else {
        for (int64_t c = 0; c < C; ++c) o[c] = fill[c];
      }
      continue;
    }
    const double fu = floor_fast(u), fv = floor_fast(v);
    // a sample inside needs fu in [-1, W) and fv in [-1, H); else the fill itself
    if (!(fu >= -1.0 && fu < Wd && fv >= -1.0 && fv < Hd)) {
      for (int64_t c = 0; c < C; ++c) o[c] = fill[c];
      continue;
    }
    const int64_t ix = static_cast<int64_t>(fu), iy = static_cast<int64_t>(fv);
    const double fx = u - fu, fy = v - fv;
    const float w00 = static_cast<float>((1.0 - fx) * (1.0 - fy));
    const float w01 = static_cast<float>(fx * (1.0 - fy));
    const float w10 = static_cast<float>((1.0 - fx) * fy);
    const float w11 = static_cast<float>(fx * fy);
    if (ix >= 0 && ix + 1 < W && iy >= 0 && iy + 1 < H) {  // the common case: all inside
      const unsigned char* a = s.at(iy, ix);
      const unsigned char* b = a + s.sy;
      for (int64_t c = 0; c < C; ++c) {
        T p00, p01, p10, p11;
        std::memcpy(&p00, a + c * s.sc, sizeof(T));
        std::memcpy(&p01, a + s.sx + c * s.sc, sizeof(T));
        std::memcpy(&p10, b + c * s.sc, sizeof(T));
        std::memcpy(&p11, b + s.sx + c * s.sc, sizeof(T));
        o[c] = ((w00 * static_cast<float>(p00) + w01 * static_cast<float>(p01)) +
                w10 * static_cast<float>(p10)) +
               w11 * static_cast<float>(p11);
      }
      continue;
    }
    const bool x0 = ix >= 0, x1 = ix + 1 < W, y0 = iy >= 0, y1 = iy + 1 < H;
    for (int64_t c = 0; c < C; ++c) {
      const float p00 = x0 && y0 ? px(iy, ix, c) : fill[c];
      const float p01 = x1 && y0 ? px(iy, ix + 1, c) : fill[c];
      const float p10 = x0 && y1 ? px(iy + 1, ix, c) : fill[c];
      const float p11 = x1 && y1 ? px(iy + 1, ix + 1, c) : fill[c];
      o[c] = ((w00 * p00 + w01 * p01) + w10 * p10) + w11 * p11;
    }
  }
}

// One output row of an affine warp: the positions in double, then the sampling.
template <class T, int NC>
void row_pixnorm_t(const Source& s, const WarpRequest& r, int64_t y, const float* fill,
                   float* vals) {
  const auto& m = r.matrix;
  const double yd = static_cast<double>(y);
  const double ry = m[1] * yd, ryv = m[4] * yd;
  thread_local std::vector<double> us, vs;
  us.resize(static_cast<size_t>(r.width));
  vs.resize(static_cast<size_t>(r.width));
  for (int64_t x = 0; x < r.width; ++x) {
    const double xd = static_cast<double>(x);
    us[static_cast<size_t>(x)] = clamp_far((m[0] * xd + ry) + m[2]);
    vs[static_cast<size_t>(x)] = clamp_far((m[3] * xd + ryv) + m[5]);
  }
  sample_pixnorm_t<T, NC>(s, r.filter, r.width, us.data(), vs.data(), fill, vals);
}

using RowPixnorm = void (*)(const Source&, const WarpRequest&, int64_t, const float*, float*);

template <class T>
RowPixnorm row_pixnorm_for(int64_t C) {
  switch (C) {
    case 1:
      return &row_pixnorm_t<T, 1>;
    case 3:
      return &row_pixnorm_t<T, 3>;
    case 4:
      return &row_pixnorm_t<T, 4>;
    default:
      return &row_pixnorm_t<T, 0>;
  }
}

RowPixnorm row_pixnorm(DType dtype, int64_t C) {
  if (dtype == DType::u8) return row_pixnorm_for<uint8_t>(C);
  if (dtype == DType::u16) return row_pixnorm_for<uint16_t>(C);
  return row_pixnorm_for<float>(C);
}

using SamplePixnorm = void (*)(const Source&, WarpFilter, int64_t, const double*, const double*,
                               const float*, float*);

template <class T>
SamplePixnorm sample_pixnorm_for(int64_t C) {
  switch (C) {
    case 1:
      return &sample_pixnorm_t<T, 1>;
    case 3:
      return &sample_pixnorm_t<T, 3>;
    case 4:
      return &sample_pixnorm_t<T, 4>;
    default:
      return &sample_pixnorm_t<T, 0>;
  }
}

SamplePixnorm sample_pixnorm(DType dtype, int64_t C) {
  if (dtype == DType::u8) return sample_pixnorm_for<uint8_t>(C);
  if (dtype == DType::u16) return sample_pixnorm_for<uint16_t>(C);
  return sample_pixnorm_for<float>(C);
}

// ---- opencv: cv2.warpAffine(BORDER_CONSTANT) -------------------------------------------------

// saturate_cast<int>(double): rounded half to even, saturated (NaN -> 0).
inline int32_t sat_int(double v) {
  if (std::isnan(v)) return 0;
  const double q = std::nearbyint(v);
  if (q <= -2147483648.0) return std::numeric_limits<int32_t>::min();
  if (q >= 2147483647.0) return std::numeric_limits<int32_t>::max();
  return static_cast<int32_t>(q);
}
inline int32_t wrap_add(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
inline int64_t sat16(int32_t v) { return std::clamp<int32_t>(v, -32768, 32767); }

// OpenCV's fixed-point remap of one pixel (remapBilinear<FixedPtCast<int, uchar, 15>>): source
// pixel (sx, sy) and fraction (fx, fy) in 1/32 steps; bilinear weights from the 32 x 32 table
// of 15-bit products (for fractions i/32, j/32 exactly (32 - i or i) (32 - j or j) 32),
// (sum + 2^14) >> 15; samples outside are bval, a pixel entirely outside is bval.
inline void fixed_pixel(const Source& s, int64_t sx, int64_t sy, int32_t fx, int32_t fy,
                        const uint8_t* bval, uint8_t* o) {
  const int64_t C = s.C, W = s.W, H = s.H;
  if (sx >= W || sx + 1 < 0 || sy >= H || sy + 1 < 0) {
    std::copy(bval, bval + C, o);
    return;
  }
  const int32_t w00 = (32 - fy) * (32 - fx) * 32, w01 = (32 - fy) * fx * 32;
  const int32_t w10 = fy * (32 - fx) * 32, w11 = fy * fx * 32;
  const bool x0 = sx >= 0, x1 = sx + 1 < W, y0 = sy >= 0, y1 = sy + 1 < H;
  for (int64_t c = 0; c < C; ++c) {
    const int32_t b = bval[c];
    const int32_t p00 = x0 && y0 ? s.u8(sy, sx, c) : b;
    const int32_t p01 = x1 && y0 ? s.u8(sy, sx + 1, c) : b;
    const int32_t p10 = x0 && y1 ? s.u8(sy + 1, sx, c) : b;
    const int32_t p11 = x1 && y1 ? s.u8(sy + 1, sx + 1, c) : b;
    const int32_t sum = p00 * w00 + p01 * w01 + p10 * w10 + p11 * w11;
    o[c] = static_cast<uint8_t>(std::clamp((sum + (1 << 14)) >> 15, 0, 255));
  }
}

// 2 channels: OpenCV's own fixed-point path (WarpAffineInvoker and remap): positions in 1/1024
// pixel steps, then fixed_pixel.
void row_opencv_fixed(const Source& s, const WarpRequest& r, int64_t y, const int32_t* adelta,
                      const int32_t* bdelta, const uint8_t* bval, uint8_t* lv) {
  const auto& m = r.matrix;
  const int64_t C = s.C, W = s.W, H = s.H;
  const bool nearest = r.filter == WarpFilter::nearest;
  const double rd = nearest ? 512.0 : 16.0;
  const double yd = static_cast<double>(y);
  const int32_t X0 = sat_int((m[1] * yd + m[2]) * 1024.0 + rd);
  const int32_t Y0 = sat_int((m[4] * yd + m[5]) * 1024.0 + rd);
  for (int64_t x = 0; x < r.width; ++x) {
    int32_t X = wrap_add(X0, adelta[x]), Y = wrap_add(Y0, bdelta[x]);
    uint8_t* o = lv + x * C;
    if (nearest) {
      const int64_t sx = sat16(X >> 10), sy = sat16(Y >> 10);
      const bool in = sx >= 0 && sx < W && sy >= 0 && sy < H;
      for (int64_t c = 0; c < C; ++c) o[c] = in ? s.u8(sy, sx, c) : bval[c];
      continue;
    }
    X >>= 5;
    Y >>= 5;
    fixed_pixel(s, sat16(X >> 5), sat16(Y >> 5), X & 31, Y & 31, bval, o);
  }
}

// ---- opencv: cv::remap on float32 maps (warpPolar) --------------------------------------------

// 2 channels: cv::remap converts float maps to its fixed-point ones (position * 32 rounded half
// to even; INT_MIN when not finite or beyond int32), then the fixed-point remap.
inline int32_t map_fixed(float v) {
  const double q = std::nearbyint(static_cast<double>(v));
  if (!(q >= -2147483648.0 && q < 2147483648.0)) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(q);
}

void row_remap_fixed(const Source& s, WarpFilter filter, int64_t n, const float* mx,
                     const float* my, const uint8_t* bval, uint8_t* lv) {
  const int64_t C = s.C, W = s.W, H = s.H;
  for (int64_t x = 0; x < n; ++x) {
    uint8_t* o = lv + x * C;
    if (filter == WarpFilter::nearest) {
      const int64_t sx = sat16(map_fixed(mx[x])), sy = sat16(map_fixed(my[x]));
      const bool in = sx >= 0 && sx < W && sy >= 0 && sy < H;
      for (int64_t c = 0; c < C; ++c) o[c] = in ? s.u8(sy, sx, c) : bval[c];
      continue;
    }
    const int32_t X = map_fixed(mx[x] * 32.0f), Y = map_fixed(my[x] * 32.0f);
    fixed_pixel(s, sat16(X >> 5), sat16(Y >> 5), X & 31, Y & 31, bval, o);
  }
}

// ---- torch: torchvision v2 rotate / affine on uint8 tensors -----------------------------------

// One output row into planar levels (docs/warp-conventions.md): the kernel table's
// warp_torch_u8 (its contract in kernels/table.hpp: the float32 grid in the naive bmm order or
// MKL's sgemm with one fma, grid_sample's unnormalization and bilinear fma sums as torch's AVX2 /
// AVX-512 kernel runs them, nearest rounding half to even, zeros outside or, with an explicit
// fill, the blend (v - fill) * mask + fill through a plane of ones), or the exact copy of a
// quarter turn.
void row_torch(const KernelTable& k, const Source& s, const WarpRequest& r, int64_t y,
               const float* fill, uint8_t* planar) {
  const int64_t C = s.C, ow = r.width, oh = r.height;
  if (r.torch_copy) {  // the quarter turns: the caller passes the turned view
    for (int64_t c = 0; c < C; ++c)
      for (int64_t x = 0; x < ow; ++x) planar[c * ow + x] = s.u8(y, x, c);
    return;
  }
  const auto& m = r.matrix;
  const float coef[9] = {
      static_cast<float>(m[0]),
      static_cast<float>(m[1]),
      static_cast<float>(m[2]),
      static_cast<float>(m[3]),
      static_cast<float>(m[4]),
      static_cast<float>(m[5]),
      static_cast<float>(static_cast<double>(s.W) / 2.0),
      static_cast<float>(static_cast<double>(s.H) / 2.0),
      static_cast<float>(static_cast<double>(y) - static_cast<double>(oh - 1) * 0.5)};
  const int flags = (r.torch_small ? kTorchSmall : 0) | (r.torch_fill ? kTorchFill : 0) |
                    (r.filter == WarpFilter::nearest ? kTorchNearest : 0);
  // the bytes the image spans from pixel (0, 0), for the kernels' reads (strides >= 0 only)
  const bool forward = s.sy >= 0 && s.sx >= 0 && s.sc >= 0;
  const int64_t extent = forward ? (s.H - 1) * s.sy + (s.W - 1) * s.sx + (C - 1) * s.sc + 1 : 0;
  k.warp_torch_u8(s.data, s.sy, s.sx, s.sc, extent, s.W, s.H, C, coef, flags, fill, ow, planar);
}

// ---- pillow: Image.transform(AFFINE) ----------------------------------------------------------

// Pillow's nearest engines (Geometry.c), chosen once per image.
enum class PilNearest { scale, fixed, floating };

struct PillowPlan {
  PilNearest engine = PilNearest::floating;
  std::vector<int64_t> col, row;     // scale: source index per column / row (-1 outside)
  std::vector<double> row_x, row_y;  // floating: each row's first position
  int32_t f0 = 0, f1 = 0, f2 = 0, f3 = 0, f4 = 0, f5 = 0;  // fixed: 16.16 coefficients
};

inline int64_t pil_coord(double v, int64_t size) {  // COORD: v < 0 ? -1 : (int)v, then bounds
  return v < 0.0 || !(v < static_cast<double>(size)) ? -1 : static_cast<int64_t>(v);
}

PillowPlan pillow_plan(const WarpRequest& r, int64_t W, int64_t H) {
  const auto& a = r.matrix;
  PillowPlan p;
  const int64_t ow = r.width, oh = r.height;
  if (r.filter != WarpFilter::nearest) return p;
  if (a[1] == 0.0 && a[3] == 0.0) {  // a scale and a translation: running sums
    p.engine = PilNearest::scale;
    p.col.resize(static_cast<size_t>(ow));
    p.row.resize(static_cast<size_t>(oh));
    double xo = a[2] + a[0] * 0.5;
    for (int64_t x = 0; x < ow; ++x, xo += a[0]) p.col[static_cast<size_t>(x)] = pil_coord(xo, W);
    double yo = a[5] + a[4] * 0.5;
    for (int64_t y = 0; y < oh; ++y, yo += a[4]) p.row[static_cast<size_t>(y)] = pil_coord(yo, H);
    return p;
  }
  bool fits = true;
  const double xs[4] = {0.0, static_cast<double>(ow), 0.0, static_cast<double>(ow)};
  const double ys[4] = {0.0, static_cast<double>(oh), static_cast<double>(oh), 0.0};
  for (int k = 0; k < 4; ++k)
    fits = fits && std::abs(xs[k] * a[0] + ys[k] * a[1] + a[2]) < 32768.0 &&
           std::abs(xs[k] * a[3] + ys[k] * a[4] + a[5]) < 32768.0;
  if (fits) {
    // (int)floor(v * 65536 + 0.5), and INT_MIN where that leaves int32, as x86 converts it
    const auto fix = [](double v) {
      const double q = std::floor(v * 65536.0 + 0.5);
      return q >= -2147483648.0 && q < 2147483648.0 ? static_cast<int32_t>(q)
                                                    : std::numeric_limits<int32_t>::min();
    };
    p.engine = PilNearest::fixed;
    p.f0 = fix(a[0]);
    p.f1 = fix(a[1]);
    p.f3 = fix(a[3]);
    p.f4 = fix(a[4]);
    p.f2 = fix(a[2] + a[0] * 0.5 + a[1] * 0.5);
    p.f5 = fix(a[5] + a[3] * 0.5 + a[4] * 0.5);
    return p;
  }
  p.engine = PilNearest::floating;
  p.row_x.resize(static_cast<size_t>(oh));
  p.row_y.resize(static_cast<size_t>(oh));
  double xo = a[2] + a[1] * 0.5 + a[0] * 0.5, yo = a[5] + a[4] * 0.5 + a[3] * 0.5;
  for (int64_t y = 0; y < oh; ++y, xo += a[1], yo += a[4]) {
    p.row_x[static_cast<size_t>(y)] = xo;
    p.row_y[static_cast<size_t>(y)] = yo;
  }
  return p;
}

// Pillow's nearest engines (pillow_plan) as source indices for gather2d_u8: row y's pixel x reads
// (xi[x], yi[x]), or the fill where either is negative.
void pillow_nearest_indices(const WarpRequest& r, const PillowPlan& p, int64_t y, int64_t W,
                            int64_t H, int32_t* __restrict xi, int32_t* __restrict yi) {
  const auto& a = r.matrix;
  const int64_t ow = r.width;
  switch (p.engine) {
    case PilNearest::scale: {
      const auto sy = static_cast<int32_t>(p.row[static_cast<size_t>(y)]);
      for (int64_t x = 0; x < ow; ++x) {
        xi[x] = static_cast<int32_t>(p.col[static_cast<size_t>(x)]);
        yi[x] = sy;
      }
      return;
    }
    case PilNearest::fixed: {
      // running 32-bit sums (x * f0 modulo 2^32, as Pillow's int arithmetic wraps), the
      // coefficients in locals and the test branch-free: a loop the compiler vectorizes
      uint32_t yy =
          static_cast<uint32_t>(p.f5) + static_cast<uint32_t>(y) * static_cast<uint32_t>(p.f4);
      uint32_t xx =
          static_cast<uint32_t>(p.f2) + static_cast<uint32_t>(y) * static_cast<uint32_t>(p.f1);
      const auto f0 = static_cast<uint32_t>(p.f0), f3 = static_cast<uint32_t>(p.f3);
      const auto w32 =
          static_cast<int32_t>(std::min<int64_t>(W, std::numeric_limits<int32_t>::max()));
      const auto h32 =
          static_cast<int32_t>(std::min<int64_t>(H, std::numeric_limits<int32_t>::max()));
      for (int64_t x = 0; x < ow; ++x, xx += f0, yy += f3) {
        const int32_t sx = static_cast<int32_t>(xx) >> 16, sy = static_cast<int32_t>(yy) >> 16;
        const bool in = (sx >= 0) & (sx < w32) & (sy >= 0) & (sy < h32);
        xi[x] = in ? sx : -1;
        yi[x] = in ? sy : -1;
      }
      return;
    }
    case PilNearest::floating: {
      double xx = p.row_x[static_cast<size_t>(y)], yy = p.row_y[static_cast<size_t>(y)];
      for (int64_t x = 0; x < ow; ++x, xx += a[0], yy += a[3]) {
        xi[x] = static_cast<int32_t>(pil_coord(xx, W));
        yi[x] = static_cast<int32_t>(pil_coord(yy, H));
      }
      return;
    }
  }
}

// ---- output ------------------------------------------------------------------------------------

// Image 0 of a (C, H, W) or (H, W, C) output in `fmt`.
OutTarget warp_target(void* out, OutFormat fmt, int64_t C, int64_t H, int64_t W) {
  OutTarget t;
  t.base = out;
  t.format = fmt;
  t.channels = C;
  t.row_stride = fmt.layout == Layout::hwc ? W * C : W;
  t.plane_stride = H * W;
  return t;
}

void check_matrix(const std::array<double, 6>& m) {
  for (double v : m)
    if (!std::isfinite(v))
      throw std::invalid_argument("matrix: expected finite values, got " + std::to_string(v));
}

}  // namespace

std::vector<int64_t> warp_shape(const WarpRequest& r) {
  const ImageView& v = r.image;
  if (v.n != 1) throw std::invalid_argument("image: expected one image (H, W) or (H, W, C)");
  if (v.height < 1 || v.width < 1 || v.channels < 1)
    throw std::invalid_argument("image: zero-size image");
  check_matrix(r.matrix);
  if (r.polar) {
    if (!std::isfinite(r.center_x) || !std::isfinite(r.center_y))
      throw std::invalid_argument("center: expected finite coordinates");
    if (!(r.max_radius > 0.0 && std::isfinite(r.max_radius)))
      throw std::invalid_argument("max_radius: expected a finite value > 0, got " +
                                  std::to_string(r.max_radius));
    if (r.polar_log && !(r.max_radius > 1.0))
      throw std::invalid_argument(
          "max_radius: the semi-log map needs max_radius > 1 (its scale is ln(max_radius)), "
          "got " +
          std::to_string(r.max_radius));
    if (r.convention == Convention::pillow)
      throw std::invalid_argument("convention: Pillow has no polar warp; use None or 'opencv'");
    if (r.convention == Convention::opencv && r.polar_inverse)
      throw std::invalid_argument(
          "convention: the inverse cv2.warpPolar computes its angles with OpenCV's approximate "
          "cartToPolar and logarithm, which are not reproduced; use convention=None (the exact "
          "map)");
    if (r.convention == Convention::opencv)
      for (double f : r.fill)
        if (f != 0.0)
          throw std::invalid_argument(
              "fill: cv2.warpPolar fills outliers with 0 (WARP_FILL_OUTLIERS); use "
              "convention=None for another fill");
  }
  if (r.height < 1 || r.width < 1 || r.height > kMaxOutputSide || r.width > kMaxOutputSide)
    throw std::invalid_argument("size: each side must be in 1.." + std::to_string(kMaxOutputSide) +
                                ", got (" + std::to_string(r.height) + ", " +
                                std::to_string(r.width) + ")");
  const int64_t C = v.channels;
  if (r.convention != Convention::pixnorm && v.dtype != DType::u8)
    throw type_error(std::string("image: a named convention reproduces another library's uint8 "
                                 "arithmetic and needs uint8 input; use convention=None for ") +
                     dtype_name(v.dtype));
  if (r.convention == Convention::torch && r.polar)
    throw std::invalid_argument("convention: torchvision has no polar warp; use None or 'opencv'");
  if (r.convention == Convention::torch && r.torch_fill)
    for (double f : r.fill)
      if (!(f >= 0.0 && f <= 255.0))
        throw std::invalid_argument(
            "fill: torchvision blends the fill into uint8 values and casts them without "
            "saturating: a fill in 0..255 is reproduced, got " +
            std::to_string(f));
  if (r.convention == Convention::opencv && C != 2 && !r.polar) {
    // 1, 3 and 4 channels: cv2.warpAffine runs Intel IPP (warp_ipp_u8)
    if (r.filter == WarpFilter::nearest)
      throw std::invalid_argument(
          "interpolation: 'opencv' reproduces cv2.warpAffine's INTER_NEAREST on 2-channel images "
          "only (with 1, 3 or 4 channels the wheels run Intel IPP, whose rounding of sample "
          "positions at exact ties is not matched); pass interpolation='bilinear' (rotate and "
          "affine default to 'nearest', as torchvision's), or convention=None");
    if (v.height < 3 || v.width < 3)
      throw std::invalid_argument(
          "image: 'opencv' reproduces cv2.warpAffine (Intel IPP) on images of at least 3 x 3 "
          "pixels with 1, 3 or 4 channels (on thinner ones its border pixels are not matched), "
          "got (" +
          std::to_string(v.height) + ", " + std::to_string(v.width) + ")");
    const auto& m = r.matrix;
    // (the determinant of the coefficients scaled by the largest, so that it neither
    // overflows nor underflows)
    const double big =
        std::max({std::fabs(m[0]), std::fabs(m[1]), std::fabs(m[3]), std::fabs(m[4])});
    const double det =
        big > 0.0 ? std::fabs((m[0] / big) * (m[4] / big) - (m[1] / big) * (m[3] / big)) : 0.0;
    if (!(det >= 1e-6))
      throw std::invalid_argument(
          "matrix: 'opencv' reproduces cv2.warpAffine (Intel IPP) with 1, 3 or 4 channels for "
          "maps that are not (nearly) singular (|det| >= 1e-6 of the largest coefficient "
          "squared: IPP's border pixels differ below about 1e-10); 2-channel images, or "
          "convention=None, take any map");
    if (!(big >= 1e-6 && big <= 1e6 && std::fabs(m[2]) <= 1e9 && std::fabs(m[5]) <= 1e9))
      throw std::invalid_argument(
          "matrix: 'opencv' reproduces cv2.warpAffine (Intel IPP) with 1, 3 or 4 channels for "
          "coefficients up to 1e6 in size (and at least 1e-6 for the largest) and offsets up "
          "to 1e9: beyond, IPP's results were not matched (1e155 gave the border where the "
          "map reads a pixel)");
    if (m[1] == 0.0 && m[3] == 0.0)
      throw std::invalid_argument(
          "matrix: 'opencv' reproduces cv2.warpAffine (Intel IPP) with 1, 3 or 4 channels for "
          "maps that rotate or shear; an axis-aligned map (a scale and translation, the "
          "identity, rotate(0)) takes another IPP path whose border pixels are not matched "
          "yet: use pixnorm.resize(convention='opencv') for a scale, 2-channel images, or "
          "convention=None");
  }
  if (r.convention == Convention::opencv) {  // cv::remap's assertion: sides below SHRT_MAX
    const int64_t limit = 32767;
    if (v.height >= limit || v.width >= limit)
      throw std::invalid_argument(
          "image: OpenCV's warps are reproduced for sides below 32767 (cv::remap's limit, in "
          "cv2.warpPolar and cv2.warpAffine's 2-channel path), got (" +
          std::to_string(v.height) + ", " + std::to_string(v.width) + ")");
    if (r.polar && (r.height >= limit || r.width >= limit))
      throw std::invalid_argument("size: cv2.warpPolar's remap takes sides below 32767");
  }
  if (r.convention == Convention::opencv && C > 4)
    throw std::invalid_argument("convention: 'opencv' is reproduced for 1 to 4 channels, got " +
                                std::to_string(C));
  if (r.convention == Convention::pillow && C != 1 && C != 3 && C != 4)
    throw std::invalid_argument(
        "convention: 'pillow' warps L, RGB and RGBA images (1, 3 or 4 channels), got " +
        std::to_string(C));
  if (static_cast<int64_t>(r.fill.size()) != C)
    throw std::invalid_argument("fill: expected " + std::to_string(C) + " values, got " +
                                std::to_string(r.fill.size()));
  for (double f : r.fill)
    if (!std::isfinite(static_cast<float>(f)))
      throw std::invalid_argument("fill: expected values finite in float32, got " +
                                  std::to_string(f));
  if (!(r.divisor == 0.0 || (r.divisor > 0.0 && std::isfinite(r.divisor))))
    throw std::invalid_argument("divisor: expected 0 (multiply by scale) or a finite value > 0");
  if (r.divisor != 0.0 && r.convention == Convention::pixnorm)
    throw std::invalid_argument("divisor: only with a named convention (exact uint8 levels)");
  make_channel_affine(r.mean, r.std, r.scale, C);  // validates them
  if (r.format.type == OutType::u16) throw std::invalid_argument("dtype: not an output type");
  if (r.format.type == OutType::u8) {
    if (v.dtype != DType::u8)
      throw std::invalid_argument(
          std::string("dtype: uint8 output is for uint8 images (warped levels, rounded); this "
                      "image is ") +
          dtype_name(v.dtype));
    bool identity = r.scale == 1.0 && r.divisor == 0.0;
    for (double m : r.mean) identity = identity && m == 0.0;
    for (double s : r.std) identity = identity && s == 1.0;
    if (!identity)
      throw std::invalid_argument(
          "dtype: uint8 output is the warped image itself, in levels 0..255: leave mean and "
          "std unset and scale unset (or 1)");
  }
  if (r.format.layout == Layout::hwc) return {r.height, r.width, C};
  return {C, r.height, r.width};
}

void warp(const WarpRequest& r, void* out, int nthreads, const Interrupt& interrupt) {
  (void)interrupt;  // one image: the work is bounded by its output
  warp_shape(r);
  const KernelTable& k = active_kernels();
  const Source s(r.image);
  const int64_t C = s.C, oh = r.height, ow = r.width;
  const bool named = r.convention != Convention::pixnorm;
  ChannelAffine affine;
  std::vector<LevelParams> levels;
  if (named)
    levels = level_params(r.mean, r.std, r.scale, C, r.divisor);
  else
    affine = make_channel_affine(r.mean, r.std, r.scale, C);
  std::vector<float> fillf(static_cast<size_t>(C));
  std::vector<uint8_t> fill8(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) {
    const double f = r.fill[static_cast<size_t>(c)];
    fillf[static_cast<size_t>(c)] = static_cast<float>(f);
    const double q = std::nearbyint(f);  // OpenCV's borderValue: saturate_cast<uchar>
    fill8[static_cast<size_t>(c)] = static_cast<uint8_t>(q <= 0 ? 0 : q >= 255 ? 255 : q);
  }
  const bool fixed2 = r.convention == Convention::opencv && !r.polar && C == 2;
  std::vector<int32_t> adelta, bdelta;
  if (fixed2) {
    adelta.resize(static_cast<size_t>(ow));
    bdelta.resize(static_cast<size_t>(ow));
    for (int64_t x = 0; x < ow; ++x) {
      adelta[static_cast<size_t>(x)] = sat_int(r.matrix[0] * static_cast<double>(x) * 1024.0);
      bdelta[static_cast<size_t>(x)] = sat_int(r.matrix[3] * static_cast<double>(x) * 1024.0);
    }
  }
  // The kernels of the named conventions that read packed pixels: opencv with 1, 3 or 4
  // channels (Intel IPP's bilinear, warp_ipp_u8) and pillow (its nearest engines' indices and
  // gather2d_u8; its bilinear, warp_pillow_u8); a strided view is packed first.
  const bool ipp = r.convention == Convention::opencv && !r.polar && C != 2;
  // (opencv's forward polar maps on 1, 3 or 4 channels: OpenCV 5's float remap, remap_u8)
  const bool remap = r.convention == Convention::opencv && r.polar && C != 2;
  const bool pil = r.convention == Convention::pillow && !r.polar;
  const bool pil_nearest = pil && r.filter == WarpFilter::nearest;
  std::vector<uint8_t> packed_src;
  const uint8_t* named_src = s.data;
  int64_t named_stride = s.sy;
  if ((ipp || pil || remap) &&
      !((C == 1 || s.sc == 1) && s.sx == C && s.sy > 0 && s.sy >= s.W * C)) {
    packed_src.resize(static_cast<size_t>(s.H * s.W * C));
    for (int64_t y = 0; y < s.H; ++y)
      for (int64_t x = 0; x < s.W; ++x)
        for (int64_t c = 0; c < C; ++c)
          packed_src[static_cast<size_t>((y * s.W + x) * C + c)] = s.u8(y, x, c);
    named_src = packed_src.data();
    named_stride = s.W * C;
  }
  const int64_t named_total = (s.H - 1) * named_stride + s.W * C;
  const PillowPlan pplan =
      r.convention == Convention::pillow && !r.polar ? pillow_plan(r, s.W, s.H) : PillowPlan{};
  const RowPixnorm pixnorm_row = row_pixnorm(r.image.dtype, C);
  // pixnorm's bilinear on uint8 images with packed pixels and rows going down: the kernel
  // (warp_polar's linear forward map is affine along each row: the kernel too)
  const bool polar_affine = r.polar && !r.polar_inverse && !r.polar_log;
  // (float32 images: the float kernels, on 4-byte-aligned packed pixels)
  const bool packed_u8 = r.image.dtype == DType::u8 && C <= 4 && (C == 1 || s.sc == 1) &&
                         s.sx == C && s.sy > 0 && (s.H == 1 || s.sy >= s.W * C);
  const bool packed_f32 = r.image.dtype == DType::f32 && C <= 4 && (C == 1 || s.sc == 4) &&
                          s.sx == 4 * C && s.sy > 0 && s.sy % 4 == 0 &&
                          (s.H == 1 || s.sy >= 4 * s.W * C) &&
                          reinterpret_cast<uintptr_t>(s.data) % 4 == 0;
  const bool kernel = !named && (!r.polar || polar_affine) && (packed_u8 || packed_f32);
  const double polar_kmag =
      r.polar ? (r.polar_log ? std::log(r.max_radius) : r.max_radius) / static_cast<double>(ow)
              : 0.0;
  // warp_polar: the inverse reads the polar image with its last row above and its first row
  // below (a copy), so that angles wrap around as in cv::warpPolar
  std::vector<unsigned char> wrapped;
  ImageView wrapped_view = r.image;
  if (r.polar && r.polar_inverse) {
    const int64_t isz = itemsize(r.image.dtype), row = s.W * C * isz;
    wrapped.resize(static_cast<size_t>((s.H + 2) * row));
    for (int64_t y = 0; y < s.H + 2; ++y) {
      const int64_t from = y == 0 ? s.H - 1 : y == s.H + 1 ? 0 : y - 1;
      for (int64_t x = 0; x < s.W; ++x)
        for (int64_t c = 0; c < C; ++c)
          std::memcpy(wrapped.data() + y * row + (x * C + c) * isz, s.at(from, x) + c * s.sc,
                      static_cast<size_t>(isz));
    }
    wrapped_view.data = wrapped.data();
    wrapped_view.height = s.H + 2;
    wrapped_view.stride_y = row;
    wrapped_view.stride_x = C * isz;
    wrapped_view.stride_c = isz;
  }
  const Source polar_src(wrapped_view);
  const SamplePixnorm pixnorm_sample = sample_pixnorm(r.image.dtype, C);
  // forward maps: the radius of each output column (double; float32 as OpenCV rounds it)
  const double two_pi = 2.0 * 3.14159265358979323846;
  std::vector<double> rho(r.polar ? static_cast<size_t>(ow) : 0);
  if (r.polar && !r.polar_inverse) {
    const double kmag =
        (r.polar_log ? std::log(r.max_radius) : r.max_radius) / static_cast<double>(ow);
    for (int64_t x = 0; x < ow; ++x) {
      const double xd = static_cast<double>(x);
      double v = r.polar_log ? std::exp(xd * kmag) - 1.0 : xd * kmag;
      if (named) v = static_cast<float>(v);
      rho[static_cast<size_t>(x)] = v;
    }
  }
  // One output row's source positions: pixnorm's in double (us, vs), OpenCV's float32 maps.
  auto polar_row = [&](int64_t y, double* us, double* vs, float* mx, float* my) {
    if (!r.polar_inverse) {
      const std::vector<double>& angles = polar_angles(oh);
      const double cp = angles[static_cast<size_t>(2 * y)];
      const double sp = angles[static_cast<size_t>(2 * y + 1)];
      if (named) {  // cv::warpPolar: Point2f centre, float32 rho, double products
        const double cx = static_cast<float>(r.center_x), cy = static_cast<float>(r.center_y);
        for (int64_t x = 0; x < ow; ++x) {
          mx[x] = static_cast<float>(rho[static_cast<size_t>(x)] * cp + cx);
          my[x] = static_cast<float>(rho[static_cast<size_t>(x)] * sp + cy);
        }
        return;
      }
      if (!r.polar_log) {  // the row's affine map, as the kernel computes it (polar_matrix)
        const double ku = polar_kmag * cp, kv = polar_kmag * sp;
        for (int64_t x = 0; x < ow; ++x) {
          const double xd = static_cast<double>(x);
          us[x] = clamp_far((ku * xd + 0.0) + r.center_x);
          vs[x] = clamp_far((kv * xd + 0.0) + r.center_y);
        }
        return;
      }
      for (int64_t x = 0; x < ow; ++x) {
        us[x] = clamp_far(r.center_x + rho[static_cast<size_t>(x)] * cp);
        vs[x] = clamp_far(r.center_y + rho[static_cast<size_t>(x)] * sp);
      }
      return;
    }
    const double kangle = two_pi / static_cast<double>(s.H);
    const double kmag =
        (r.polar_log ? std::log(r.max_radius) : r.max_radius) / static_cast<double>(s.W);
    const double dy = static_cast<double>(y) - r.center_y;
    for (int64_t x = 0; x < ow; ++x) {
      const double dx = static_cast<double>(x) - r.center_x;
      const double d = std::sqrt(dx * dx + dy * dy);  // (correctly rounded steps: libm's
                                                      // hypot and Python's differ by an ulp)
      double phi = std::atan2(dy, dx);
      if (phi < 0.0) phi += two_pi;
      us[x] = clamp_far((r.polar_log ? std::log1p(d) : d) / kmag);
      vs[x] = clamp_far(phi / kangle + 1.0);  // + 1: the wrapped copy's first row
    }
  };
  const OutTarget target = warp_target(out, r.format, C, oh, ow);
  const bool direct = r.format.direct();
  auto body = [&](int64_t y0, int64_t y1) {
    std::vector<double> us(r.polar ? static_cast<size_t>(ow) : 0), vs(us.size());
    std::vector<float> mx(r.polar ? static_cast<size_t>(ow) : 0), my(mx.size());
    std::vector<float> vals(static_cast<size_t>(ow * C));
    std::vector<uint8_t> lv(static_cast<size_t>(ow * C)), planar(static_cast<size_t>(ow * C));
    std::vector<float> planes(static_cast<size_t>(ow * C));
    std::vector<int32_t> xi(pil_nearest ? static_cast<size_t>(ow) : 0), yi(xi.size());
    // a mirrored row: the pixels of `v` (n values each) in reverse order
    auto mirror = [ow](auto* v, int64_t n) {
      for (int64_t x = 0; x < ow / 2; ++x)
        std::swap_ranges(v + x * n, v + (x + 1) * n, v + (ow - 1 - x) * n);
    };
    for (int64_t y = y0; y < y1; ++y) {
      const int64_t yd = r.flip_v ? oh - 1 - y : y;  // the row written
      float* dst = direct ? static_cast<float*>(out) + yd * ow : planes.data();
      const int64_t pstride = direct ? oh * ow : ow;
      if (kernel) {  // packed uint8 or float32 rows: the ISA's kernel, planar values
        std::array<double, 6> m = r.matrix;
        double ry = r.matrix[1] * static_cast<double>(y), rv = r.matrix[4] * static_cast<double>(y);
        if (r.polar) {  // row y of the linear forward polar map: x -> centre + rho(x) (cos, sin)
          const std::vector<double>& angles = polar_angles(oh);
          m = {polar_kmag * angles[static_cast<size_t>(2 * y)],     0.0, r.center_x,
               polar_kmag * angles[static_cast<size_t>(2 * y + 1)], 0.0, r.center_y};
          ry = rv = 0.0;
        }
        if (packed_f32)
          (r.filter == WarpFilter::bilinear ? k.warp_bilinear_f32 : k.warp_nearest_f32)(
              reinterpret_cast<const float*>(s.data), s.sy / 4, s.W, s.H, C, m.data(), ry, rv, ow,
              fillf.data(), vals.data());
        else
          (r.filter == WarpFilter::bilinear ? k.warp_bilinear_u8 : k.warp_nearest_u8)(
              static_cast<const uint8_t*>(r.image.data), s.sy, s.W, s.H, C, m.data(), ry, rv, ow,
              fillf.data(), vals.data());
        if (r.flip_h)  // planar values: each plane reversed
          for (int64_t c = 0; c < C; ++c)
            std::reverse(vals.data() + c * ow, vals.data() + (c + 1) * ow);
        for (int64_t c = 0; c < C; ++c)
          k.normalize_f32(vals.data() + c * ow, ow, 1, affine.a.data() + c, affine.b.data() + c,
                          dst + c * pstride, pstride);
      } else if (r.polar && !named) {
        polar_row(y, us.data(), vs.data(), mx.data(), my.data());
        pixnorm_sample(polar_src, r.filter, ow, us.data(), vs.data(), fillf.data(), vals.data());
        if (r.flip_h) mirror(vals.data(), C);
        k.normalize_f32(vals.data(), ow, C, affine.a.data(), affine.b.data(), dst, pstride);
      } else if (!named) {
        pixnorm_row(s, r, y, fillf.data(), vals.data());
        if (r.flip_h) mirror(vals.data(), C);
        k.normalize_f32(vals.data(), ow, C, affine.a.data(), affine.b.data(), dst, pstride);
      } else {
        if (r.polar) {  // opencv, forward (warp_shape refuses the others)
          polar_row(y, us.data(), vs.data(), mx.data(), my.data());
          if (remap)
            k.remap_u8(named_src, named_stride, s.W, s.H, C, mx.data(), my.data(), ow,
                       r.filter == WarpFilter::nearest, fill8.data(), planar.data());
          else  // 2 channels: OpenCV's fixed-point remap
            row_remap_fixed(s, r.filter, ow, mx.data(), my.data(), fill8.data(), lv.data());
        } else if (r.convention == Convention::torch) {
          row_torch(k, s, r, y, fillf.data(), planar.data());
        } else if (ipp) {
          const double row = static_cast<double>(y);
          // (axis-aligned maps are refused: warp_shape)
          k.warp_ipp_u8(named_src, named_stride, s.W, s.H, C, r.matrix.data(), r.matrix[1] * row,
                        r.matrix[4] * row, /*axis=*/false, ow, fill8.data(), planar.data());
        } else if (pil_nearest) {
          pillow_nearest_indices(r, pplan, y, s.W, s.H, xi.data(), yi.data());
          k.gather2d_u8(named_src, named_stride, C, named_total, xi.data(), yi.data(), ow,
                        fill8.data(), planar.data(), ow);
        } else if (pil) {  // bilinear
          const double row = static_cast<double>(y) + 0.5;
          k.warp_pillow_u8(named_src, named_stride, s.W, s.H, C, r.matrix.data(), r.matrix[1] * row,
                           r.matrix[4] * row, ow, fill8.data(), planar.data());
        } else  // opencv, 2 channels: OpenCV's own fixed point (warp_shape refuses the others)
          row_opencv_fixed(s, r, y, adelta.data(), bdelta.data(), fill8.data(), lv.data());
        if (((r.convention == Convention::torch || ipp || pil) && !r.polar) || remap) {  // planar
          if (r.flip_h)
            for (int64_t c = 0; c < C; ++c) reverse_bytes(planar.data() + c * ow, ow);
        } else {
          for (int64_t x = 0; x < ow; ++x) {
            const int64_t xd = r.flip_h ? ow - 1 - x : x;
            for (int64_t c = 0; c < C; ++c)
              planar[static_cast<size_t>(c * ow + xd)] = lv[static_cast<size_t>(x * C + c)];
          }
        }
        for (int64_t c = 0; c < C; ++c)
          k.levels_f32(planar.data() + c * ow, ow, &levels[static_cast<size_t>(c)],
                       dst + c * pstride);
      }
      if (!direct) store_planes(k, target, yd, planes.data(), ow, ow);
    }
  };
  threads::parallel_chunks(oh, threads::team_for(oh * ow * C, nthreads), body);
}

}  // namespace pixnorm
