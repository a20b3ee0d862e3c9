// Decoding JPEG (libjpeg-turbo) and PNG (libpng) into H x W x C pixels, with Pillow's
// conventions: what `Image.open(f).convert(mode)` gives, bit for bit (see docs/decode.md).
//
// The codecs are optional at build time (PIXNORM_HAVE_JPEG, PIXNORM_HAVE_PNG); without one,
// decode() of that format throws unsupported_codec and the Python layer goes through Pillow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace pixnorm::decode {

enum class Format { unknown, jpeg, png };

// The channels asked for: `native` keeps the image's own (gray 1, gray + alpha 2, colour 3,
// colour + alpha 4; a palette becomes RGB, or RGBA when it has transparency; CMYK becomes RGB);
// the others are Pillow's modes "RGB", "L" and "RGBA".
enum class Mode { native, rgb, gray, rgba };

// Corrupt or truncated data (a ValueError in Python).
struct corrupt_data : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// More pixels than the caller's limit (a decompression bomb; a ValueError in Python).
struct too_large : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Valid data this build cannot decode: a codec not compiled in, 12-bit JPEG, ... (the Python
// layer then tries Pillow).
struct unsupported_codec : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct FreeDeleter {
  void operator()(void* p) const noexcept;
};

struct Image {
  std::unique_ptr<std::uint8_t, FreeDeleter> pixels;  // height x width x channels samples
  int height = 0;
  int width = 0;
  int top = 0;  // where the pixels sit in the whole image (a region decode: see Region)
  int left = 0;
  int full_height = 0;  // the whole image's size
  int full_width = 0;
  int channels = 0;
  int bytes_per_sample = 1;  // 2: uint16 in the machine's byte order (16-bit PNG, mode native)
  int orientation = 1;       // EXIF orientation 1-8 (1 when absent or unreadable)
};

struct Limits {
  std::uint64_t max_pixels = 0;  // 0: no limit
};

// The rows and columns a caller will read. A JPEG decode then decodes only a window around
// them: widened by one iMCU on every side (the chroma upsampling at a window's edge needs the
// neighbouring block, so the outermost pixels of a partial decode can differ from a full
// decode) and aligned by libjpeg to iMCU columns; rows below the window are not decoded at
// all. Every pixel of the requested rectangle equals the full decode's. The Image says where
// its pixels sit (top, left). Other formats decode whole. height == 0: the whole image.
struct Region {
  int top = 0;
  int left = 0;
  int height = 0;
  int width = 0;
};

Format sniff(const std::uint8_t* data, std::size_t size) noexcept;
bool jpeg_available() noexcept;
bool png_available() noexcept;
std::string jpeg_version();  // "" when not compiled in
std::string png_version();

// Decodes a whole JPEG or PNG file held in memory. Throws corrupt_data, too_large,
// unsupported_codec or std::bad_alloc; never exits, never reads outside [data, data + size).
Image decode(const std::uint8_t* data, std::size_t size, Mode mode, const Limits& limits,
             const Region& region = Region{});

// What decode() would give, from the header only: height and width are the whole image's,
// at scale / 8 of its size (libjpeg's DCT-domain scaling, 1 <= scale <= 8: what
// decode_jpeg_into then writes). JPEG only (unsupported_codec otherwise).
struct Header {
  int height = 0;
  int width = 0;
  int channels = 0;
  int orientation = 1;
};
Header read_jpeg_header(const std::uint8_t* data, std::size_t size, Mode mode, const Limits& limits,
                        int scale = 8);

// Where decode_jpeg_into writes: an image of read_jpeg_header's height x width x channels
// (uint8), rows row_stride bytes apart. Only the window around the region (see Region) is
// written, each row at its place; the rest is left as it was.
struct Target {
  std::uint8_t* data = nullptr;
  std::ptrdiff_t row_stride = 0;
  int height = 0;
  int width = 0;
  int channels = 0;
};
void decode_jpeg_into(const std::uint8_t* data, std::size_t size, Mode mode, const Limits& limits,
                      const Region& region, const Target& target, int scale = 8);

// The EXIF orientation (tag 0x0112 of IFD0, SHORT or LONG, its first value) of a
// TIFF-structured EXIF block (starting at the byte order mark); 0 when the tag is there without
// a usable value (another type, no values: Pillow then looks no further); -1 when it is absent
// or the block malformed (then Pillow looks at XMP).
int exif_orientation(const std::uint8_t* tiff, std::size_t size) noexcept;

// The orientation of an XMP packet as Pillow finds it (tiff:Orientation followed by =" or >,
// then one digit, 0-9); -1 when absent.
int xmp_orientation(const std::uint8_t* xmp, std::size_t size) noexcept;

}  // namespace pixnorm::decode
