// Colour conversion (pixnorm/color.hpp): the checks, the views of rgb and bgr, pixnorm's float32
// matrices and the named conventions' integer conversions, each verified against the library on
// all 2^24 RGB triples (tests/test_color.py; docs/color-conventions.md gives the sources).
#include "pixnorm/color.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

#include "color_step.hpp"
#include "kernels/table.hpp"

namespace pixnorm {

const char* color_name(Color c) {
  switch (c) {
    case Color::none:
      return "none";
    case Color::rgb:
      return "rgb";
    case Color::bgr:
      return "bgr";
    case Color::gray:
      return "gray";
    case Color::gray3:
      return "gray3";
    case Color::ycbcr:
      return "ycbcr";
    case Color::yuv:
      return "yuv";
  }
  return "unknown";
}

int64_t color_channels(Color color, int64_t channels) {
  const bool gray_in = channels == 1, rgb_in = channels == 3 || channels == 4;
  switch (color) {
    case Color::none:
      return channels;
    case Color::rgb:
    case Color::bgr:
    case Color::gray3:
      if (gray_in || rgb_in) return 3;
      break;
    case Color::gray:
      if (gray_in || rgb_in) return 1;
      break;
    case Color::ycbcr:
    case Color::yuv:
      if (rgb_in) return 3;
      throw std::invalid_argument(std::string("color: '") + color_name(color) +
                                  "' converts RGB or RGBA images (3 or 4 channels), got " +
                                  std::to_string(channels) + " channel" +
                                  (channels == 1 ? "" : "s"));
  }
  throw std::invalid_argument(std::string("color: '") + color_name(color) +
                              "' converts gray (1 channel), RGB (3) or RGBA (4) images, got " +
                              std::to_string(channels) + " channels");
}

void check_color(Color color, Convention convention, int64_t channels) {
  color_channels(color, channels);
  if (convention == Convention::torch && (color == Color::ycbcr || color == Color::yuv))
    throw std::invalid_argument(
        std::string("color: torchvision defines no '") + color_name(color) +
        "' conversion (convention='torch' has rgb, bgr, gray and gray3); use convention=None, "
        "or 'pillow' for ycbcr and 'opencv' for ycbcr and yuv");
  if (convention == Convention::pillow && color == Color::yuv)
    throw std::invalid_argument(
        "color: Pillow defines no 'yuv' conversion (its 'YCbCr' is color='ycbcr'); use "
        "convention=None or 'opencv'");
}

ImageView color_source(const ImageView& v, Color color) {
  if (color == Color::none || v.channels == 1) return v;
  ImageView s = v;
  s.channels = 3;
  if (color == Color::bgr) {
    s.data = v.byte_ptr(0, 0, 0, 2);
    s.stride_c = -v.stride_c;
  }
  return s;
}

namespace {

// ITU-R BT.601 luma weights, shared by every definition here.
constexpr double kKr = 0.299, kKg = 0.587, kKb = 0.114;

void set_row(ColorStep& s, int c, double r, double g, double b, float offset) {
  s.m64[c][0] = r;
  s.m64[c][1] = g;
  s.m64[c][2] = b;
  s.m[c][0] = static_cast<float>(r);
  s.m[c][1] = static_cast<float>(g);
  s.m[c][2] = static_cast<float>(b);
  s.offset[c] = offset;
}

// Pillow's convert("YCbCr") tables (libImaging/ConvertYCbCr.c): entry i of the table of
// coefficient c is (int)(c * i * 64 + 0.5), truncated toward zero; Pillow ships the numbers,
// pixnorm builds them from these coefficients (the same tables: tests/test_color.py).
// Built once (9 tables of 256: table 3 * channel + input), on first use.
const int32_t* pillow_ycbcr_tables() {
  static const std::array<int32_t, 9 * 256> tables = [] {
    constexpr double coef[3][3] = {
        {0.299, 0.587, 0.114}, {-0.16874, -0.33126, 0.5}, {0.5, -0.41869, -0.08131}};
    std::array<int32_t, 9 * 256> t{};
    for (int k = 0; k < 9; ++k)
      for (int i = 0; i < 256; ++i)
        t[static_cast<size_t>(k * 256 + i)] = static_cast<int32_t>(
            std::trunc(coef[k / 3][k % 3] * static_cast<double>(i) * 64.0 + 0.5));
    return t;
  }();
  return tables.data();
}

// The kernel formula (kernels/table.hpp) of a named convention's colour.
int formula_of(Convention conv, Color color, int64_t in) {
  if (in == 1) return kColorRepeat;
  const bool gray = color == Color::gray || color == Color::gray3;
  if (conv == Convention::pillow && gray) return kColorPillowLuma;
  if (conv == Convention::pillow && color == Color::ycbcr) return kColorPillowYCbCr;
  if (conv == Convention::torch && gray) return kColorTorchLuma;
  if (conv == Convention::opencv && gray) return kColorOpencvGray;
  if (conv == Convention::opencv && color == Color::ycbcr) return kColorOpencvYCbCr;
  if (conv == Convention::opencv && color == Color::yuv) return kColorOpencvYuv;
  throw std::invalid_argument(std::string("internal: no ") + convention_name(conv) +
                              " conversion to '" + color_name(color) + "'");
}

}  // namespace

const ColorStep* color_step(Color color, Convention convention, DType dtype, int64_t channels,
                            ColorStep& s, bool after_resize, double scale) {
  check_color(color, convention, channels);
  const int64_t out = color_channels(color, channels);
  const bool view_only = color == Color::none ||
                         ((color == Color::rgb || color == Color::bgr) && channels != 1) ||
                         (color == Color::gray && channels == 1);
  if (view_only) return nullptr;
  const int64_t in = channels == 1 ? 1 : 3;
  s = ColorStep{};
  s.color = color;
  s.convention = convention;
  s.in = in;
  s.out = out;
  s.on_rows = convention != Convention::pixnorm && !after_resize;
  s.on_levels = convention != Convention::pixnorm && after_resize;
  if (convention != Convention::pixnorm) s.formula = formula_of(convention, color, in);
  if (convention == Convention::pillow && color == Color::ycbcr && in == 3)
    s.lut = pillow_ycbcr_tables();
  if (!(scale > 0 && std::isfinite(scale)))
    throw std::invalid_argument("scale: expected a finite value > 0 with a colour");
  // OpenCV's delta: 128 for 8 bits, 32768 for 16 bits, 0.5 for floats (in scaled units)
  const float chroma = dtype == DType::u8    ? 128.0f
                       : dtype == DType::u16 ? 32768.0f
                                             : static_cast<float>(0.5 / scale);
  if (in == 1) {  // repeated gray: rgb, bgr, gray3
    for (int c = 0; c < 3; ++c) set_row(s, c, 1.0, 0.0, 0.0, 0.0f);
    return &s;
  }
  switch (color) {
    case Color::gray:
    case Color::gray3:
      for (int c = 0; c < out; ++c) set_row(s, c, kKr, kKg, kKb, 0.0f);
      break;
    case Color::ycbcr:  // T.871: Cb = (B - Y) / (2 (1 - kb)), Cr = (R - Y) / (2 (1 - kr))
      set_row(s, 0, kKr, kKg, kKb, 0.0f);
      set_row(s, 1, -0.5 * kKr / (1 - kKb), -0.5 * kKg / (1 - kKb), 0.5, chroma);
      set_row(s, 2, 0.5, -0.5 * kKg / (1 - kKr), -0.5 * kKb / (1 - kKr), chroma);
      break;
    case Color::yuv:  // OpenCV: U = 0.492 (B - Y), V = 0.877 (R - Y)
      set_row(s, 0, kKr, kKg, kKb, 0.0f);
      set_row(s, 1, -0.492 * kKr, -0.492 * kKg, 0.492 * (1 - kKb), chroma);
      set_row(s, 2, 0.877 * (1 - kKr), -0.877 * kKg, -0.877 * kKb, chroma);
      break;
    default:
      throw std::invalid_argument("internal: no colour step");
  }
  return &s;
}

void convert_row_u8(const ColorStep& s, const uint8_t* src, int64_t n, uint8_t* dst) {
  active_kernels().convert_u8(src, 0, n, s.formula, s.lut, s.out, dst, 0);
}

void convert_planes_u8(const ColorStep& s, const uint8_t* src, int64_t n, uint8_t* dst) {
  active_kernels().convert_u8(src, s.in == 1 ? 0 : n, n, s.formula, s.lut, s.out, dst, n);
}

void mix_planes(const ColorStep& s, const float* src, int64_t src_stride, int64_t n, float* dst,
                int64_t dst_stride) {
  if (s.in == 1) {
    for (int64_t c = 0; c < s.out; ++c) std::copy(src, src + n, dst + c * dst_stride);
    return;
  }
  const float* r = src;
  const float* g = src + src_stride;
  const float* b = src + 2 * src_stride;
  for (int64_t c = 0; c < s.out; ++c) {
    const float* m = s.m[c];
    const float m0 = m[0], m1 = m[1], m2 = m[2], o = s.offset[c];
    float* d = dst + c * dst_stride;
    if (o == 0.0f) {
      for (int64_t x = 0; x < n; ++x) d[x] = m0 * r[x] + m1 * g[x] + m2 * b[x];
    } else {
      for (int64_t x = 0; x < n; ++x) d[x] = m0 * r[x] + m1 * g[x] + m2 * b[x] + o;
    }
  }
}

bool fold_mix(const ColorStep& s, DType input, const float* a, const float* b, float unit,
              float* mf, float* of) {
  if (input != DType::u8 && input != DType::u16) return false;  // float32: values unbounded
  const double top = input == DType::u8 ? 255.0 : 65535.0;
  for (int64_t c = 0; c < s.out; ++c) {
    const double ac = static_cast<double>(a[c]);
    double reach = 0.0;  // the largest partial sum: 4 times the range (filters' overshoot)
    for (int k = 0; k < 3; ++k) {
      const double m = s.m64[c][k];
      const float f = static_cast<float>(m * ac * static_cast<double>(unit));
      if (m != 0.0 && !std::isnormal(f)) return false;
      mf[3 * c + k] = m == 0.0 ? 0.0f : f;
      reach += 4.0 * top * std::abs(m * ac);
    }
    // (no offset: b itself, a -0.0 kept as the unfolded v * a + b keeps it)
    of[c] =
        s.offset[c] == 0.0f
            ? b[c]
            : static_cast<float>(static_cast<double>(s.offset[c]) * ac + static_cast<double>(b[c]));
    if (!std::isfinite(of[c]) || !(reach + std::abs(static_cast<double>(of[c])) < 0x1p126))
      return false;
  }
  return true;
}

bool mixes_luma_first(const ColorStep& s) {
  return s.in == 3 && !s.on_rows && !s.on_levels &&
         (s.color == Color::gray || s.color == Color::gray3);
}

}  // namespace pixnorm
