// Colour conversion (pixnorm/color.hpp): the checks, the views of rgb and bgr, pixnorm's float32
// matrices and the named conventions' integer conversions, each verified against the library on
// all 2^24 RGB triples (tests/test_color.py; docs/color-conventions.md gives the sources).
#include "pixnorm/color.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "color_step.hpp"

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
  s.m[c][0] = static_cast<float>(r);
  s.m[c][1] = static_cast<float>(g);
  s.m[c][2] = static_cast<float>(b);
  s.offset[c] = offset;
}

// ---- the named conventions' integer arithmetic, one pixel (r, g, b) at a time ----------------

// floor(v / 2^bits) for any int32 v > -2^30 (C++17 leaves >> of negatives to the compiler):
// shifted up by 2^30 first, an exact multiple of 2^bits.
inline int floor_shift(int v, int bits) { return ((v + (1 << 30)) >> bits) - (1 << (30 - bits)); }

inline uint8_t clamp_u8(int v) { return static_cast<uint8_t>(std::clamp(v, 0, 255)); }

// Pillow's convert("L") (also from RGBA: alpha ignored): 16-bit fixed point, rounded
// (libImaging/Convert.c, L24).
inline uint8_t pillow_luma(int r, int g, int b) {
  return static_cast<uint8_t>((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
}

// Pillow's convert("YCbCr") (libImaging/ConvertYCbCr.c): a sum of three table entries per
// channel, each entry (int)(c * i * 64 + 0.5) (truncated toward zero), the sum >> 6 (floor),
// + 128 for Cb and Cr. The 9 tables (R, G, B for Y, Cb, Cr) are built from their coefficients.
constexpr double kPillowYCbCr[3][3] = {
    {0.299, 0.587, 0.114}, {-0.16874, -0.33126, 0.5}, {0.5, -0.41869, -0.08131}};

// OpenCV's cvtColor on 8 bits (imgproc/src/color_rgb.simd.hpp, color_yuv.simd.hpp): gray in
// Q15 (RGB2GRAY, OpenCV >= 4.0; 3.x used Q14); YCrCb and YUV from a Q14 luma, the chroma
// (diff * k + 128 * 2^14 + 2^13) >> 14 (floor), saturated.
inline uint8_t opencv_gray(int r, int g, int b) {
  return static_cast<uint8_t>((r * 9798 + g * 19235 + b * 3735 + (1 << 14)) >> 15);
}
inline int opencv_luma14(int r, int g, int b) {
  return (r * 4899 + g * 9617 + b * 1868 + (1 << 13)) >> 14;
}
inline uint8_t opencv_chroma(int diff, int k) {
  return clamp_u8(floor_shift(diff * k + (128 << 14) + (1 << 13), 14));
}

// torchvision v2's rgb_to_grayscale on uint8 (transforms/v2/functional/_color.py):
// r.mul(0.2989).add_(g, alpha=0.587).add_(b, alpha=0.114).to(uint8): float32, each add a fused
// multiply-add (torch's vectorized add with alpha, on every CPU with AVX2 or AVX-512; torch's
// non-FMA build differs on 21 triples), then truncated. Each fused step is computed exactly in
// double (the product of a level and a float32 has at most 32 significant bits, the sum spans
// less than 53) and rounded once to float32: the fma's result.
inline uint8_t torch_luma(int r, int g, int b) {
  const double kr = static_cast<float>(0.2989), kg = static_cast<float>(0.587),
               kb = static_cast<float>(0.114);
  const float l0 = static_cast<float>(r) * static_cast<float>(kr);
  const float l1 = static_cast<float>(static_cast<double>(g) * kg + static_cast<double>(l0));
  const float l2 = static_cast<float>(static_cast<double>(b) * kb + static_cast<double>(l1));
  return static_cast<uint8_t>(l2);  // truncation; l2 in [0, 255)
}

// Calls run(formula) with the step's per-pixel formula, formula(r, g, b, q) writing step.out
// levels to q (a gray image's one level comes as r).
template <class Run>
void with_formula(const ColorStep& s, Run&& run) {
  const bool three = s.out == 3;
  if (s.in == 1) {  // repeated gray
    run([](int v, int, int, uint8_t* q) { q[0] = q[1] = q[2] = static_cast<uint8_t>(v); });
    return;
  }
  const bool gray = s.color == Color::gray || s.color == Color::gray3;
  switch (s.convention) {
    case Convention::pillow:
      if (gray) {
        run([three](int r, int g, int b, uint8_t* q) {
          q[0] = pillow_luma(r, g, b);
          if (three) q[1] = q[2] = q[0];
        });
        return;
      }
      if (s.color == Color::ycbcr) {
        const int32_t* t = s.lut.data();  // table k * 256 + level, k = 3 * channel + input
        run([t](int r, int g, int b, uint8_t* q) {
          q[0] = static_cast<uint8_t>(floor_shift(t[r] + t[256 + g] + t[512 + b], 6));
          q[1] = static_cast<uint8_t>(floor_shift(t[768 + r] + t[1024 + g] + t[1280 + b], 6) + 128);
          q[2] =
              static_cast<uint8_t>(floor_shift(t[1536 + r] + t[1792 + g] + t[2048 + b], 6) + 128);
        });
        return;
      }
      break;
    case Convention::torch:
      if (gray) {
        run([three](int r, int g, int b, uint8_t* q) {
          q[0] = torch_luma(r, g, b);
          if (three) q[1] = q[2] = q[0];
        });
        return;
      }
      break;
    case Convention::opencv:
      if (gray) {
        run([three](int r, int g, int b, uint8_t* q) {
          q[0] = opencv_gray(r, g, b);
          if (three) q[1] = q[2] = q[0];
        });
        return;
      }
      if (s.color == Color::ycbcr) {  // COLOR_RGB2YCrCb, written as Y, Cb, Cr
        run([](int r, int g, int b, uint8_t* q) {
          const int y = opencv_luma14(r, g, b);
          q[0] = static_cast<uint8_t>(y);
          q[1] = opencv_chroma(b - y, 9241);
          q[2] = opencv_chroma(r - y, 11682);
        });
        return;
      }
      if (s.color == Color::yuv) {  // COLOR_RGB2YUV
        run([](int r, int g, int b, uint8_t* q) {
          const int y = opencv_luma14(r, g, b);
          q[0] = static_cast<uint8_t>(y);
          q[1] = opencv_chroma(b - y, 8061);
          q[2] = opencv_chroma(r - y, 14369);
        });
        return;
      }
      break;
    case Convention::pixnorm:
      break;
  }
  throw std::invalid_argument(std::string("internal: no ") + convention_name(s.convention) +
                              " conversion to '" + color_name(s.color) + "'");
}

}  // namespace

const ColorStep* color_step(Color color, Convention convention, DType dtype, int64_t channels,
                            ColorStep& s, bool after_resize) {
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
  if (convention == Convention::pillow && color == Color::ycbcr && in == 3) {
    s.lut.resize(9 * 256);
    for (int k = 0; k < 9; ++k)
      for (int i = 0; i < 256; ++i)
        s.lut[static_cast<size_t>(k * 256 + i)] = static_cast<int32_t>(
            std::trunc(kPillowYCbCr[k / 3][k % 3] * static_cast<double>(i) * 64.0 + 0.5));
  }
  const float chroma = dtype == DType::u8 ? 128.0f : 0.5f;
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
  const int64_t in = s.in, out = s.out;
  with_formula(s, [&](auto formula) {
    for (int64_t x = 0; x < n; ++x) {
      const uint8_t* p = src + x * in;
      formula(p[0], in == 1 ? 0 : p[1], in == 1 ? 0 : p[2], dst + x * out);
    }
  });
}

void convert_planes_u8(const ColorStep& s, const uint8_t* src, int64_t n, uint8_t* dst) {
  const int64_t in = s.in, out = s.out;
  with_formula(s, [&](auto formula) {
    uint8_t q[3];
    for (int64_t x = 0; x < n; ++x) {
      formula(src[x], in == 1 ? 0 : src[n + x], in == 1 ? 0 : src[2 * n + x], q);
      for (int64_t c = 0; c < out; ++c) dst[c * n + x] = q[c];
    }
  });
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

bool mixes_luma_first(const ColorStep& s) {
  return s.in == 3 && !s.on_rows && !s.on_levels &&
         (s.color == Color::gray || s.color == Color::gray3);
}

}  // namespace pixnorm
