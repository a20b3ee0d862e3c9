// normalize: interleaved (N, H, W, C) uint8/float32 -> planar float32 (N, C, H, W),
// out = x * (scale / std[c]) + (-mean[c] / std[c]).
// Rows are the unit of work: a packed row (or one whose channels run backwards) goes straight to
// the kernel; any other row (reversed or gapped pixels, other channel strides, misaligned
// float32) is first gathered into a small per-thread buffer, so kernels only see packed rows.
#include "pixnorm/normalize.hpp"

#include <algorithm>
#include <array>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "color_step.hpp"
#include "kernels/table.hpp"
#include "pieces.hpp"
#include "pixnorm/threads.hpp"
#include "rows.hpp"
#include "store.hpp"

namespace pixnorm {

namespace {

std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

double pick(const std::vector<double>& v, int64_t c) {
  return v.size() == 1 ? v[0] : v[static_cast<size_t>(c)];
}

}  // namespace

ChannelAffine make_channel_affine(const std::vector<double>& mean, const std::vector<double>& std,
                                  double scale, int64_t channels) {
  const auto check_len = [channels](const std::vector<double>& v, const char* name) {
    if (v.size() != 1 && static_cast<int64_t>(v.size()) != channels) {
      std::string hint;  // the usual mix-ups: a gray image with RGB values, RGBA with RGB
      if (channels == 1 && v.size() == 3)
        hint = " (a gray output takes one value; color='gray3' gives 3 channels)";
      else if (channels == 4 && v.size() == 3)
        hint = " (color='rgb' drops the alpha channel)";
      const std::string want =
          channels == 1 ? "a scalar (one channel)"
                        : "a scalar or " + std::to_string(channels) + " values (one per channel)";
      throw std::invalid_argument(std::string(name) + ": expected " + want + ", got " +
                                  std::to_string(v.size()) + " values" + hint);
    }
  };
  check_len(mean, "mean");
  check_len(std, "std");
  if (!std::isfinite(scale) || !std::isfinite(static_cast<float>(scale)))
    throw std::invalid_argument("scale: must be finite in float32, got " + fmt(scale));
  ChannelAffine p;
  p.a.resize(static_cast<size_t>(channels));
  p.b.resize(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    const double m = pick(mean, c), s = pick(std, c);
    const std::string at = "[" + std::to_string(c) + "]";
    if (!std::isfinite(static_cast<float>(m)))
      throw std::invalid_argument("mean" + at + ": must be finite in float32, got " + fmt(m));
    if (!(s > 0) || !std::isfinite(static_cast<float>(s)) || static_cast<float>(s) == 0.0f)
      throw std::invalid_argument("std" + at + ": must be > 0 and finite in float32, got " +
                                  fmt(s));
    const float a = static_cast<float>(scale / s), b = static_cast<float>(-m / s);
    if (!std::isfinite(a))
      throw std::invalid_argument("std" + at + ": scale / std = " + fmt(scale / s) +
                                  " overflows float32");
    if (!std::isfinite(b))
      throw std::invalid_argument("std" + at + ": mean / std = " + fmt(m / s) +
                                  " overflows float32");
    p.a[static_cast<size_t>(c)] = a;
    p.b[static_cast<size_t>(c)] = b;
  }
  return p;
}

int64_t normalize_output_elements(const ImageView& v) {
  if (v.n <= 0 || v.height <= 0 || v.width <= 0 || v.channels <= 0)
    throw std::invalid_argument(
        "image: zero-size image (N=" + std::to_string(v.n) + ", H=" + std::to_string(v.height) +
        ", W=" + std::to_string(v.width) + ", C=" + std::to_string(v.channels) + ")");
  int64_t elems = 1;
  for (int64_t d : {v.n, v.height, v.width, v.channels})
    if (__builtin_mul_overflow(elems, d, &elems))
      throw std::overflow_error("image: the output's element count overflows 64 bits");
  int64_t bytes = 0;
  if (__builtin_mul_overflow(elems, int64_t{4}, &bytes) ||
      bytes > std::numeric_limits<std::ptrdiff_t>::max() / 2)
    throw std::overflow_error(
        "image: the output (at 4 bytes a value) would need more bytes than can be "
        "addressed (" +
        std::to_string(elems) + " elements)");
  return elems;
}

namespace {

// dst[j] = src[n - 1 - j]: 16 bytes at a time with SSE2 (the x86-64 baseline: bytes swapped in
// each 16-bit word, words reversed in each half, halves swapped), else 8 at a time.
void reverse_bytes(const unsigned char* src, int64_t n, unsigned char* dst) {
  int64_t j = 0;
#if defined(__SSE2__)
  for (; j + 16 <= n; j += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + n - j - 16));
    v = _mm_or_si128(_mm_slli_epi16(v, 8), _mm_srli_epi16(v, 8));
    v = _mm_shufflehi_epi16(_mm_shufflelo_epi16(v, 0x1B), 0x1B);
    v = _mm_shuffle_epi32(v, 0x4E);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + j), v);
  }
#endif
  for (; j + 8 <= n; j += 8) {
    uint64_t w;
    std::memcpy(&w, src + n - j - 8, 8);
    w = __builtin_bswap64(w);
    std::memcpy(dst + j, &w, 8);
  }
  for (; j < n; ++j) dst[j] = src[n - 1 - j];
}

// A row of the 256 levels, each repeated in C channels: pixel v is (v, ..., v).
template <int C>
constexpr std::array<uint8_t, 1024> level_row() {
  std::array<uint8_t, 1024> t{};
  for (int v = 0; v < 256; ++v)
    for (int c = 0; c < C; ++c) t[static_cast<size_t>(v * C + c)] = static_cast<uint8_t>(v);
  return t;
}

// Image i of a (N, C, H, W) or (N, H, W, C) output in `fmt`.
OutTarget image_target(void* out, OutFormat fmt, int64_t i, int64_t C, int64_t H, int64_t W) {
  OutTarget t;
  t.base = static_cast<unsigned char*>(out) + i * C * H * W * fmt.itemsize();
  t.format = fmt;
  t.channels = C;
  t.row_stride = fmt.layout == Layout::hwc ? W * C : W;
  t.plane_stride = H * W;
  return t;
}

// pa, pb (optional): per-pixel coefficients, (C, H, W) float32 each: every output row, still in
// L1, then becomes out * pa + pb (normalize_pixel), so the per-pixel form costs no second pass
// over the output. pa_row: pa is one row of W values used for every row (ones, when the
// channel affine p already applied a per-channel factor).
void normalize_piece(const ImageView& src, const ChannelAffine& p, void* out, OutFormat fmt,
                     int nthreads, const float* pa = nullptr, const float* pb = nullptr,
                     bool pa_row = false) {
  const KernelTable& k = active_kernels();
  const int64_t H = src.height, W = src.width, C = src.channels;
  const int64_t plane = H * W, rows = src.n * H;
  const int64_t isz = itemsize(src.dtype);
  // float32 rows: float32 images, and uint16 ones converted as each row is gathered
  const bool u16 = src.dtype == DType::u16;
  const bool f32 = src.dtype != DType::u8;

  // Rows read in place: packed rows, and packed rows whose channels run backwards (img[..., ::-1],
  // BGR <-> RGB). The latter are the packed row that starts at channel C-1 of pixel 0, written
  // to the planes in reverse order (negative plane stride) with the parameters reversed.
  // Mirrored rows (img[:, ::-1], also with BGR channels) are a packed row that starts at the
  // last pixel (the lowest address). uint8: its bytes, copied back to front (a quarter of the
  // output's bytes), are the row mirrored with its channels reversed, read as above. float32:
  // read in place, then each output plane's row is turned around (still in L1).
  bool mirrored =
      W > 1 && src.stride_x == -C * isz && (C == 1 || src.stride_c == isz || src.stride_c == -isz);
  bool reversed_channels =
      C > 1 && src.stride_c == -isz && (W == 1 || src.stride_x == C * isz || mirrored);
  bool direct = !u16 && (src.rows_packed() || reversed_channels || mirrored);
  if (f32)  // float rows are read through float*: they must be 4-byte aligned
    direct = direct && reinterpret_cast<uintptr_t>(src.data) % 4 == 0 && src.stride_y % 4 == 0 &&
             src.stride_n % 4 == 0;
  mirrored = mirrored && direct;  // else the general gather below reads the view as it is
  reversed_channels = reversed_channels && direct;
  const bool byte_mirror = mirrored && !f32;
  const bool flip = reversed_channels != byte_mirror;  // the kernel sees channels C-1 .. 0
  std::vector<float> ra, rb;
  if (flip) {
    ra.assign(p.a.rbegin(), p.a.rend());
    rb.assign(p.b.rbegin(), p.b.rend());
  }
  const float* a = flip ? ra.data() : p.a.data();
  const float* b = flip ? rb.data() : p.b.data();
  const int64_t row_shift = reversed_channels ? -(C - 1) * isz : 0;  // to the lowest channel
  // Rows go straight into float32 planes; uint8 rows straight into float16 / bfloat16 planes
  // where the table has the fused kernel; packed rows into an HWC output element by element
  // (the output keeps the input's order: x * a[c] + b[c] with a and b repeated per pixel);
  // any other row through a staging row converted into the output's format.
  const bool to_half = fmt.type == OutType::f16 || fmt.type == OutType::bf16;
  const bool half_direct = !f32 && to_half && fmt.layout == Layout::chw && !pa &&
                           k.normalize_u8_half && (C == 1 || C == 3 || C == 4);
  const bool hwc_flat =
      fmt.layout == Layout::hwc && !pa && direct && !mirrored && !reversed_channels && C > 1;
  const bool staged = !fmt.direct() && !half_direct;
  const int64_t ps = staged ? W : plane;           // the plane stride of the rows written
  const int64_t plane0 = flip ? (C - 1) * ps : 0;  // output plane of memory channel 0
  const int64_t plane_step = flip ? -ps : ps;

  const int64_t work = rows * W * C;
  const int threads = threads::team_for(work, nthreads);

  const bool bf16 = fmt.type == OutType::bf16;
  // uint8 rows into float16 / bfloat16 planes by table where the kernels can look 16-bit values
  // up: each channel's 256 levels go through normalize_u8_half once (the parameters as the rows
  // will see them), so the lookup gives that kernel's bits.
  const bool by_table = half_direct && k.lookup_u8_u16;
  uint16_t lut[4 * 256];
  if (by_table) {
    static constexpr std::array<uint8_t, 1024> kLevels1 = level_row<1>(), kLevels3 = level_row<3>(),
                                               kLevels4 = level_row<4>();
    const uint8_t* levels = C == 1 ? kLevels1.data() : C == 3 ? kLevels3.data() : kLevels4.data();
    k.normalize_u8_half(levels, 256, C, a, b, lut, 256, bf16);
  }

  const int64_t first_x = mirrored ? W - 1 : 0;  // the pixel at the row's lowest address
  std::vector<float> flat_a, flat_b;             // hwc_flat: a[c] and b[c] for each value of a row
  if (hwc_flat)
    for (int64_t x = 0; x < W; ++x) {
      flat_a.insert(flat_a.end(), p.a.begin(), p.a.end());
      flat_b.insert(flat_b.end(), p.b.begin(), p.b.end());
    }
  // Packed rows that follow one another in memory, into CHW planes: the rows of one image in a
  // chunk are one long row for the kernel (one call, no short last step per row).
  const bool runs = direct && !mirrored && !pa && fmt.layout == Layout::chw &&
                    (half_direct || (!staged && fmt.type == OutType::f32)) &&
                    src.stride_y == W * C * isz;
  // uint8 pixels into the half planes, channel 0's at d
  const auto half_rows = [&](const unsigned char* row, int64_t n, uint16_t* d) {
    if (by_table)
      k.lookup_u8_u16(row, n, C, lut, d, plane_step);
    else
      k.normalize_u8_half(row, n, C, a, b, d, plane_step, bf16);
  };
  auto body = [&](int64_t lo, int64_t hi) {
    if (runs) {
      for (int64_t r = lo; r < hi;) {
        const int64_t i = r / H, y = r % H, n = std::min(hi - r, H - y) * W;
        const unsigned char* row = src.byte_ptr(i, y, 0, 0) + row_shift;
        const int64_t at = i * C * plane + y * W + plane0;  // channel 0's first output
        if (half_direct)
          half_rows(row, n, static_cast<uint16_t*>(out) + at);
        else if (f32)
          k.normalize_f32(reinterpret_cast<const float*>(row), n, C, a, b,
                          static_cast<float*>(out) + at, plane_step);
        else
          k.normalize_u8(row, n, C, a, b, static_cast<float*>(out) + at, plane_step);
        r += n / W;
      }
      return;
    }
    std::vector<float> buf;  // float storage: aligned for f32 rows, byte-addressable for u8
    if (!direct || byte_mirror)
      buf.resize(static_cast<size_t>(u16 ? W * C : (W * C * isz + 3) / 4));
    auto* bytes = reinterpret_cast<unsigned char*>(buf.data());
    float* const stage = staged ? staging_row(C * W) : nullptr;
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t i = r / H, y = r % H;
      const unsigned char* row = src.byte_ptr(i, y, first_x, 0) + row_shift;
      if (u16) {
        rows::u16_row_to_float(src, row, W, buf.data());
        row = bytes;
      } else if (!direct) {
        rows::gather_view_row(src, row, W, bytes);
        row = bytes;
      } else if (byte_mirror) {
        reverse_bytes(row, W * C, bytes);
        row = bytes;
      }
      if (half_direct) {  // (not staged: plane0 and plane_step count whole planes)
        half_rows(row, W, static_cast<uint16_t*>(out) + i * C * plane + y * W + plane0);
        continue;
      }
      if (hwc_flat) {  // float32(x) exactly (x * 1 + 0 of a level), then x * a + b, in L1
        const int64_t n = W * C;
        if (!f32 && fmt.type == OutType::f32) {  // one pass, straight into the output
          k.normalize_pixel_u8(row, flat_a.data(), flat_b.data(), n,
                               static_cast<float*>(out) + (i * H + y) * n);
          continue;
        }
        if (f32) {
          std::memcpy(stage, row, static_cast<size_t>(n) * sizeof(float));
          k.normalize_pixel(stage, flat_a.data(), flat_b.data(), n);
        } else {
          k.normalize_pixel_u8(row, flat_a.data(), flat_b.data(), n, stage);
        }
        OutTarget t = image_target(out, fmt, i, C, H, W);
        t.channels = 1;  // the values are in the output's order already: written once
        store_planes(k, t, y, stage, n, n);
        continue;
      }
      float* const o = staged ? stage : static_cast<float*>(out) + i * C * plane + y * W;
      float* d = o + plane0;
      if (f32)
        k.normalize_f32(reinterpret_cast<const float*>(row), W, C, a, b, d, plane_step);
      else
        k.normalize_u8(row, W, C, a, b, d, plane_step);
      if (mirrored && f32)  // the row's pixels came last to first: turn each plane's row around
        for (int64_t c = 0; c < C; ++c) {
          float* lo_p = o + c * ps;
          float* hi_p = lo_p + (W - 1);
          for (int64_t x = 0; x < W / 2; ++x) {  // vectorized (reversing shuffles)
            const float t = lo_p[x];
            lo_p[x] = hi_p[-x];
            hi_p[-x] = t;
          }
        }
      if (pa)
        for (int64_t c = 0; c < C; ++c) {
          const int64_t at = c * plane + y * W;
          k.normalize_pixel(o + c * ps, pa_row ? pa : pa + at, pb + at, W);
        }
      if (staged) store_planes(k, image_target(out, fmt, i, C, H, W), y, o, W, W);
    }
  };
  threads::parallel_chunks(rows, threads, body);
}

}  // namespace

namespace {

void normalize_pixel_rows(const ImageView& src, const float* a, const float* b, void* out,
                          OutFormat fmt, int nthreads, bool a_per_channel) {
  // out = float32(x) exactly (x * 1 + (-0) keeps every value, -0 and NaN included), then
  // out * a + b per row. With one a per channel: out = float32(x * a_c) (+ -0 keeps it: a fused
  // multiply-add of -0 rounds once, as the multiply), then out * 1 (exact) + b: the same two
  // roundings in the same order, so the same bits, without reading an a plane.
  ChannelAffine first;
  const auto C = static_cast<size_t>(src.channels);
  if (a_per_channel)
    first.a.assign(a, a + C);
  else
    first.a.assign(C, 1.0f);
  first.b.assign(C, -0.0f);
  if (!a_per_channel) {
    normalize_piece(src, first, out, fmt, nthreads, a, b);
    return;
  }
  const std::vector<float> ones(static_cast<size_t>(src.width), 1.0f);
  normalize_piece(src, first, out, fmt, nthreads, ones.data(), b, true);
}

// A colour that mixes channels (color_step.hpp, pixnorm's float32 mix): each row to float32
// planes (x * 1 + 0, exact), mixed and mapped to x * a[c] + b[c] in one pass (mix_folded, the
// affine folded into the mix; mix_affine where it does not fold), or for gray the luma straight
// from the uint8 row, then the affine per output channel.
void normalize_mixed(const ImageView& v, const ColorStep& step, const ChannelAffine& p, void* out,
                     OutFormat fmt, int nthreads) {
  const KernelTable& k = active_kernels();
  const int64_t H = v.height, W = v.width, Cin = v.channels, Cout = step.out;
  const int64_t isz = itemsize(v.dtype);
  const bool u16 = v.dtype == DType::u16;  // read as float32 rows, converted as gathered
  const bool f32 = v.dtype != DType::u8;
  const bool direct = !u16 && v.rows_packed() &&
                      (!f32 || (reinterpret_cast<uintptr_t>(v.data) % 4 == 0 &&
                                v.stride_y % 4 == 0 && v.stride_n % 4 == 0));
  const std::vector<float> ones(static_cast<size_t>(Cin), 1.0f), zeros(static_cast<size_t>(Cin));
  const bool luma = mixes_luma_first(step);
  const bool staged = !fmt.direct();
  const int64_t ps = staged ? W : H * W;  // the plane stride of the rows written
  // three planes: the affine folded into the mix (fold_mix)
  float mf[9] = {}, of[3] = {};
  const bool folded =
      !luma && step.in == 3 && fold_mix(step, v.dtype, p.a.data(), p.b.data(), 1.0f, mf, of);
  auto body = [&](int64_t lo, int64_t hi) {
    std::vector<float> gathered, planes(static_cast<size_t>(Cin * W));
    float* const stage = staged ? staging_row(Cout * W) : nullptr;
    if (!direct) gathered.resize(static_cast<size_t>(u16 ? W * Cin : (W * Cin * isz + 3) / 4));
    auto* bytes = reinterpret_cast<unsigned char*>(gathered.data());
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t i = r / H, y = r % H;
      const unsigned char* row = v.byte_ptr(i, y, 0, 0);
      if (u16) {
        rows::u16_row_to_float(v, row, W, gathered.data());
        row = bytes;
      } else if (!direct) {
        rows::gather_view_row(v, row, W, bytes);
        row = bytes;
      }
      // channel 0 of the output row
      float* o = staged ? stage : static_cast<float*>(out) + (i * Cout * H + y) * W;
      if (luma && !f32) {  // the luma straight from the interleaved row: one plane
        k.luma_u8(row, W, Cin, step.m[0], planes.data());
      } else if (f32) {
        k.normalize_f32(reinterpret_cast<const float*>(row), W, Cin, ones.data(), zeros.data(),
                        planes.data(), W);
      } else {
        k.normalize_u8(row, W, Cin, ones.data(), zeros.data(), planes.data(), W);
      }
      if (luma || step.in == 1) {  // one plane (the luma, or a gray image), repeated
        if (luma && f32) k.luma_planes(planes.data(), W, W, step.m[0], planes.data());
        for (int64_t c = 0; c < Cout; ++c)
          k.normalize_f32(planes.data(), W, 1, p.a.data() + c, p.b.data() + c, o + c * ps, ps);
      } else if (folded) {
        k.mix_folded(planes.data(), W, W, mf, of, Cout, o, ps);
      } else {  // (float32 images, extreme std) the mix, then the affine, in one pass
        k.mix_affine(planes.data(), W, W, &step.m[0][0], step.offset, Cout, p.a.data(), p.b.data(),
                     o, ps);
      }
      if (staged) store_planes(k, image_target(out, fmt, i, Cout, H, W), y, o, W, W);
    }
  };
  threads::parallel_chunks(v.n * H, threads::team_for(v.n * H * W * (Cin + Cout), nthreads), body);
}

}  // namespace

void normalize(const ImageView& src, const ChannelAffine& p, void* out, int nthreads,
               const Interrupt& interrupt, Color color, double scale, OutFormat fmt) {
  ColorStep storage;
  const ColorStep* step =
      color_step(color, Convention::pixnorm, src.dtype, src.channels, storage, false, scale);
  const ImageView v = color_source(src, color);
  const int64_t C = step ? step->out : v.channels;
  const int64_t image_bytes = C * v.height * v.width * fmt.itemsize();
  pieces::run(v, false, interrupt, [&](const ImageView& part, int64_t i, int64_t) {
    void* o = static_cast<unsigned char*>(out) + i * image_bytes;
    if (step)
      normalize_mixed(part, *step, p, o, fmt, nthreads);
    else
      normalize_piece(part, p, o, fmt, nthreads);
  });
}

void make_pixel_affine(const PlaneView& mean, const PlaneView& std, double scale, int64_t channels,
                       int64_t height, int64_t width, float* a, float* b) {
  if (!std::isfinite(scale) || !std::isfinite(static_cast<float>(scale)))
    throw std::invalid_argument("scale: must be finite in float32, got " + fmt(scale));
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t y = 0; y < height; ++y)
      for (int64_t x = 0; x < width; ++x) {
        const double m = mean.at(c, y, x), s = std.at(c, y, x);
        const float fa = static_cast<float>(scale / s), fb = static_cast<float>(-m / s);
        // the common case in one test; the messages below say which rule failed
        if (std::isfinite(static_cast<float>(m)) && s > 0 && std::isfinite(static_cast<float>(s)) &&
            static_cast<float>(s) != 0.0f && std::isfinite(fa) && std::isfinite(fb)) {
          const int64_t i = (c * height + y) * width + x;
          a[i] = fa;
          b[i] = fb;
          continue;
        }
        const std::string at = "[c=" + std::to_string(c) + ", y=" + std::to_string(y) +
                               ", x=" + std::to_string(x) + "]";
        if (!std::isfinite(static_cast<float>(m)))
          throw std::invalid_argument("mean" + at + ": must be finite in float32, got " + fmt(m));
        if (!(s > 0) || !std::isfinite(static_cast<float>(s)) || static_cast<float>(s) == 0.0f)
          throw std::invalid_argument("std" + at + ": must be > 0 and finite in float32, got " +
                                      fmt(s));
        if (!std::isfinite(fa))
          throw std::invalid_argument("std" + at + ": scale / std = " + fmt(scale / s) +
                                      " overflows float32");
        throw std::invalid_argument("std" + at + ": mean / std = " + fmt(m / s) +
                                    " overflows float32");
      }
}

void normalize_pixel(const ImageView& v, const float* a, const float* b, void* out, int nthreads,
                     const Interrupt& interrupt, bool a_per_channel, OutFormat fmt) {
  const int64_t image_bytes = v.channels * v.height * v.width * fmt.itemsize();
  pieces::run(v, false, interrupt, [&](const ImageView& part, int64_t i, int64_t) {
    normalize_pixel_rows(part, a, b, static_cast<unsigned char*>(out) + i * image_bytes, fmt,
                         nthreads, a_per_channel);
  });
}

}  // namespace pixnorm
