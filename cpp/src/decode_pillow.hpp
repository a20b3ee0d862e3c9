// Pillow's integer colour conversions that decoding applies after the codec, as Pillow's
// Convert.c defines them (facts of its arithmetic, written here from their formulas).
#pragma once

#include <cstdint>

namespace pixnorm::decode::pillow {

// convert("L") from RGB: ITU-R 601-2 luma in 16-bit fixed point, rounded half up.
inline std::uint8_t luma(unsigned r, unsigned g, unsigned b) noexcept {
  return static_cast<std::uint8_t>((r * 19595u + g * 38470u + b * 7471u + 0x8000u) >> 16);
}

// a * b / 255 rounded, as Pillow's MULDIV255 (exact for 8-bit a and b).
inline unsigned muldiv255(unsigned a, unsigned b) noexcept {
  const unsigned t = a * b + 128u;
  return ((t >> 8) + t) >> 8;
}

// convert("RGB") of a JPEG CMYK pixel as libjpeg gives it (Adobe polarity: Pillow reads it as
// "CMYK;I", each sample inverted), then Pillow's cmyk2rgb: nk - c * nk / 255 with nk = 255 - k.
inline void cmyk_to_rgb(const std::uint8_t* cmyk, std::uint8_t* rgb) noexcept {
  const unsigned nk = cmyk[3];  // 255 - (255 - k_stored)
  for (int i = 0; i < 3; ++i) {
    const unsigned c = 255u - cmyk[i];
    const int v = static_cast<int>(nk) - static_cast<int>(muldiv255(c, nk));
    rgb[i] = static_cast<std::uint8_t>(v < 0 ? 0 : v);
  }
}

}  // namespace pixnorm::decode::pillow
