// Decoding: format sniffing, EXIF orientation and the dispatch to the codecs.
#include "pixnorm/decode.hpp"

#include <cstdlib>
#include <cstring>

namespace pixnorm::decode {

// The codecs, each in its own file (compiled only when CMake found the library).
Image decode_jpeg(const std::uint8_t* data, std::size_t size, Mode mode, const Limits& limits,
                  const Region& region);
Image decode_png(const std::uint8_t* data, std::size_t size, Mode mode, const Limits& limits);

void FreeDeleter::operator()(void* p) const noexcept { std::free(p); }

Format sniff(const std::uint8_t* data, std::size_t size) noexcept {
  static const std::uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return Format::jpeg;
  if (size >= 8 && std::memcmp(data, png_magic, 8) == 0) return Format::png;
  return Format::unknown;
}

bool jpeg_available() noexcept {
#ifdef PIXNORM_HAVE_JPEG
  return true;
#else
  return false;
#endif
}

bool png_available() noexcept {
#ifdef PIXNORM_HAVE_PNG
  return true;
#else
  return false;
#endif
}

int exif_orientation(const std::uint8_t* tiff, std::size_t size) noexcept {
  if (size < 8) return -1;
  bool big;
  if (tiff[0] == 'I' && tiff[1] == 'I') {
    big = false;
  } else if (tiff[0] == 'M' && tiff[1] == 'M') {
    big = true;
  } else {
    return -1;
  }
  auto u16 = [&](std::size_t at) -> unsigned {
    return big ? (unsigned{tiff[at]} << 8) | tiff[at + 1]
               : (unsigned{tiff[at + 1]} << 8) | tiff[at];
  };
  auto u32 = [&](std::size_t at) -> std::uint64_t {
    return big ? (std::uint64_t{u16(at)} << 16) | u16(at + 2)
               : (std::uint64_t{u16(at + 2)} << 16) | u16(at);
  };
  if (u16(2) != 42) return -1;
  const std::uint64_t ifd = u32(4);
  if (ifd > size || size - ifd < 2) return -1;
  const unsigned entries = u16(static_cast<std::size_t>(ifd));
  for (unsigned i = 0; i < entries; ++i) {
    const std::uint64_t at = ifd + 2 + std::uint64_t{i} * 12;
    if (at + 12 > size) return -1;
    const auto e = static_cast<std::size_t>(at);
    if (u16(e) != 0x0112) continue;
    const unsigned type = u16(e + 2);
    const std::uint64_t count = u32(e + 4);
    if (count < 1) return 0;  // present (Pillow then looks no further), no usable value
    // the first value: inline when the values fit in the 4-byte field, else at its offset
    if (type == 3) {  // SHORT
      std::uint64_t where = e + 8;
      if (count > 2) where = u32(e + 8);
      if (where + 2 > size) return 0;
      return static_cast<int>(u16(static_cast<std::size_t>(where)));
    }
    if (type == 4) {  // LONG
      std::uint64_t where = e + 8;
      if (count > 1) where = u32(e + 8);
      if (where + 4 > size) return 0;
      const std::uint64_t v = u32(static_cast<std::size_t>(where));
      return v <= 0xFFFF ? static_cast<int>(v) : 0;
    }
    return 0;  // another type: present, not a transposition
  }
  return -1;
}

int xmp_orientation(const std::uint8_t* xmp, std::size_t size) noexcept {
  static const char key[] = "tiff:Orientation";
  const std::size_t k = sizeof key - 1;
  for (std::size_t i = 0; i + k <= size; ++i) {
    if (std::memcmp(xmp + i, key, k) != 0) continue;
    std::size_t j = i + k;
    if (j < size && xmp[j] == '>') {
      j += 1;
    } else if (j + 1 < size && xmp[j] == '=' && xmp[j + 1] == '"') {
      j += 2;
    } else {
      continue;
    }
    if (j < size && xmp[j] >= '0' && xmp[j] <= '9') return xmp[j] - '0';
  }
  return -1;
}

#ifndef PIXNORM_HAVE_JPEG
Image decode_jpeg(const std::uint8_t*, std::size_t, Mode, const Limits&, const Region&) {
  throw unsupported_codec("this pixnorm was built without libjpeg");
}
std::string jpeg_version() { return ""; }
Header read_jpeg_header(const std::uint8_t*, std::size_t, Mode, const Limits&, int) {
  throw unsupported_codec("this pixnorm was built without libjpeg");
}
void decode_jpeg_into(const std::uint8_t*, std::size_t, Mode, const Limits&, const Region&,
                      const Target&, int) {
  throw unsupported_codec("this pixnorm was built without libjpeg");
}
#endif
#ifndef PIXNORM_HAVE_PNG
Image decode_png(const std::uint8_t*, std::size_t, Mode, const Limits&) {
  throw unsupported_codec("this pixnorm was built without libpng");
}
std::string png_version() { return ""; }
#endif

Image decode(const std::uint8_t* data, std::size_t size, Mode mode, const Limits& limits,
             const Region& region) {
  if (region.height < 0 || region.width < 0 || region.top < 0 || region.left < 0 ||
      (region.height > 0) != (region.width > 0)) {
    throw std::invalid_argument("region: expected a non-negative top, left, height and width");
  }
  switch (sniff(data, size)) {
    case Format::jpeg:
      return decode_jpeg(data, size, mode, limits, region);
    case Format::png:
      return decode_png(data, size, mode, limits);
    case Format::unknown:
      break;
  }
  throw unsupported_codec("not a JPEG or PNG file");
}

}  // namespace pixnorm::decode
