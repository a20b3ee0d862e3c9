// PNG by libpng, with Pillow's meanings of the modes: gray of 1, 2 or 4 bits scaled to 0-255,
// a palette expanded (to RGBA when it has transparency and the mode keeps alpha), alpha dropped
// for "RGB" and "L", "L" from colour by Pillow's convert("L") formula. 16-bit samples stay
// uint16 (machine byte order) with mode native and become their high byte otherwise (as
// OpenCV; Pillow clips 16-bit gray at 255 instead). Gamma and colour profiles are ignored, as
// by Pillow and OpenCV.
//
// libpng reports errors through png_error, which longjmps to run(): no C++ object is alive
// across the jump (the state lives in the PngJob).
#include <png.h>
#include <zlib.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "decode_pillow.hpp"
#include "decode_status.hpp"
#include "pixnorm/decode.hpp"

namespace pixnorm::decode {

namespace {

// A PNG text chunk's XMP, as Pillow keeps it (on_unknown_chunk).
struct XmpState {
  int text = -1, raw = -1;  // the orientations of info["XML:com.adobe.xmp"] and info["xmp"]
  bool text_set = false, raw_set = false;  // non-empty
  std::size_t inflated = 0;
};

struct PngJob {
  png_structp png = nullptr;
  png_infop info = nullptr;
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
  std::size_t pos = 0;
  Mode mode = Mode::native;
  std::uint64_t max_pixels = 0;
  std::uint8_t* pixels = nullptr;  // the output
  std::uint8_t* rgb = nullptr;     // the RGB image before convert("L"), when mode is gray
  png_bytep* rows = nullptr;
  int height = 0, width = 0, channels = 0, bytes = 1, orientation = 1;
  XmpState xmp;
  bool image_read = false;  // the pixels are complete: trouble after them is not an error
  bool to_gray = false;
  Status status = ok;
  char message[256] = {0};
};

void on_error(png_structp png, png_const_charp text) {
  auto* job = static_cast<PngJob*>(png_get_error_ptr(png));
  if (job->status == ok) {
    job->status = corrupt;
    std::snprintf(job->message, sizeof job->message, "corrupt PNG data (%s)", text);
  }
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}  // as Pillow: ancillary trouble is ignored

void on_read(png_structp png, png_bytep out, png_size_t n) {
  auto* job = static_cast<PngJob*>(png_get_io_ptr(png));
  if (n > job->size - job->pos) {
    job->status = corrupt;
    std::snprintf(job->message, sizeof job->message, "truncated PNG data");
    png_longjmp(png, 1);
  }
  std::memcpy(out, job->data + job->pos, n);
  job->pos += n;
}

// Pillow keeps a PNG's text in info: tEXt, zTXt and iTXt under their keyword (the last chunk
// wins; an iTXt whose fields are not UTF-8 is dropped, a zTXt whose data do not inflate is
// kept as ""), and every iTXt with keyword XML:com.adobe.xmp that inflates also as the raw
// info["xmp"]. getexif() takes the orientation from info["XML:com.adobe.xmp"] or, when that is
// empty, from info["xmp"]. These are those two values' orientations (-1: none) and whether
// they are non-empty. Inflated like zlib.decompressobj().decompress(data, 1 MiB): a truncated
// stream gives what it has; more than 1 MiB makes Pillow refuse the file (ignored here); in
// all at most Pillow's 64 MiB of text.
constexpr std::size_t kMaxTextChunk = std::size_t{1} << 20, kMaxTextTotal = std::size_t{64} << 20;

enum class Inflated { ok, error, too_large };

Inflated inflate_text(const std::uint8_t* d, std::size_t n, std::string& out) {
  out.assign(kMaxTextChunk, '\0');
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return Inflated::error;
  z.next_in = const_cast<Bytef*>(d);
  z.avail_in = static_cast<uInt>(n);
  z.next_out = reinterpret_cast<Bytef*>(&out[0]);
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_SYNC_FLUSH);
  const std::size_t got = out.size() - z.avail_out;
  const bool more = z.avail_out == 0 && rc == Z_OK && z.avail_in > 0;
  inflateEnd(&z);
  out.resize(got);
  if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_STREAM_ERROR || rc == Z_MEM_ERROR)
    return Inflated::error;
  return more ? Inflated::too_large : Inflated::ok;
}

// Strict UTF-8 (Python's "strict" decoding: no overlong forms, surrogates or values past
// U+10FFFF).
bool utf8(const std::uint8_t* d, std::size_t n) {
  for (std::size_t i = 0; i < n;) {
    const unsigned c = d[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    const std::size_t k = (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 0;
    if (k == 0 || i + k >= n) return false;  // not a lead byte, or cut short
    unsigned v = c & (0x3Fu >> k);
    for (std::size_t j = 1; j <= k; ++j) {
      if ((d[i + j] & 0xC0) != 0x80) return false;
      v = (v << 6) | (d[i + j] & 0x3Fu);
    }
    if ((k == 1 && v < 0x80) || (k == 2 && v < 0x800) || (k == 3 && v < 0x10000) || v > 0x10FFFF ||
        (v >= 0xD800 && v <= 0xDFFF))
      return false;  // overlong, past U+10FFFF, or a surrogate
    i += k + 1;
  }
  return true;
}

// The text chunks' callback (PngJob::xmp; every other chunk libpng does not know is skipped).
int on_unknown_chunk(png_structp png, png_unknown_chunkp chunk) {
  auto* job = static_cast<PngJob*>(png_get_user_chunk_ptr(png));
  const char* name = reinterpret_cast<const char*>(chunk->name);
  const bool text = std::memcmp(name, "tEXt", 4) == 0, ztext = std::memcmp(name, "zTXt", 4) == 0;
  const bool itext = std::memcmp(name, "iTXt", 4) == 0;
  if (job == nullptr || !(text || ztext || itext)) return 1;
  static const char key[] = "XML:com.adobe.xmp";  // with its NUL
  const std::size_t klen = sizeof key - 1;
  const std::uint8_t* d = chunk->data;
  std::size_t n = d == nullptr ? 0 : chunk->size;
  if (n < klen || std::memcmp(d, key, klen) != 0) return 1;
  XmpState& x = job->xmp;
  auto set_text = [&](const std::uint8_t* v, std::size_t m) {
    x.text_set = m > 0;
    x.text = xmp_orientation(v, m);
  };
  if (n == klen) {  // the keyword without its NUL: Pillow's tEXt / zTXt keep an empty value
    if (text || ztext) set_text(nullptr, 0);
    return 1;
  }
  if (d[klen] != 0) return 1;  // another keyword
  d += klen + 1;
  n -= klen + 1;
  std::string inflated;
  if (text) {
    set_text(d, n);
    return 1;
  }
  if (ztext) {                         // compression method (0), then the data
    if (n > 0 && d[0] != 0) return 1;  // Pillow refuses the file
    if (x.inflated >= kMaxTextTotal) return 1;
    const Inflated r = inflate_text(n > 0 ? d + 1 : d, n > 0 ? n - 1 : 0, inflated);
    if (r == Inflated::too_large) return 1;  // Pillow refuses the file
    x.inflated += inflated.size();
    if (r == Inflated::error) inflated.clear();
    set_text(reinterpret_cast<const std::uint8_t*>(inflated.data()), inflated.size());
    return 1;
  }
  // iTXt: compression flag and method, language\0, translated keyword\0, text
  if (n < 2) return 1;
  const bool compressed = d[0] != 0;
  if (compressed && d[1] != 0) return 1;
  d += 2;
  n -= 2;
  const std::uint8_t* field[2];
  std::size_t flen[2];
  for (int f = 0; f < 2; ++f) {
    const void* nul = std::memchr(d, 0, n);
    if (nul == nullptr) return 1;
    field[f] = d;
    flen[f] = static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - d);
    d += flen[f] + 1;
    n -= flen[f] + 1;
  }
  if (compressed) {
    if (x.inflated >= kMaxTextTotal) return 1;
    const Inflated r = inflate_text(d, n, inflated);
    if (r != Inflated::ok) return 1;  // dropped (an error) or Pillow refuses the file
    x.inflated += inflated.size();
    d = reinterpret_cast<const std::uint8_t*>(inflated.data());
    n = inflated.size();
  }
  x.raw_set = n > 0;  // info["xmp"], before the text is checked as UTF-8
  x.raw = xmp_orientation(d, n);
  if (utf8(field[0], flen[0]) && utf8(field[1], flen[1]) && utf8(d, n)) set_text(d, n);
  return 1;
}

// Pillow's ImageOps.exif_transpose: the eXIf chunk's orientation tag, or, where it has none,
// the XMP text's (info["XML:com.adobe.xmp"], else the raw info["xmp"] when that is empty).
void read_orientation(PngJob* job) {
  png_bytep exif = nullptr;
  png_uint_32 exif_size = 0;
  int v = -1;
  if (png_get_eXIf_1(job->png, job->info, &exif_size, &exif) != 0 && exif != nullptr)
    v = exif_orientation(exif, exif_size);
  if (v < 0) v = job->xmp.text_set ? job->xmp.text : job->xmp.raw_set ? job->xmp.raw : -1;
  job->orientation = v >= 1 && v <= 8 ? v : 1;
}

// "L" from colour: Pillow's formula over the RGB image read into job->rgb
void finish_gray(PngJob* job) {
  const std::size_t n = std::size_t(job->width) * std::size_t(job->height);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* p = job->rgb + 3 * i;
    job->pixels[i] = pillow::luma(p[0], p[1], p[2]);
  }
}

[[noreturn]] void fail(PngJob* job, Status status) {
  job->status = status;
  png_longjmp(job->png, 1);
}

void run(PngJob* job) {
  job->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, job, on_error, on_warning);
  if (job->png == nullptr) {
    job->status = no_memory;
    return;
  }
  job->info = png_create_info_struct(job->png);
  if (job->info == nullptr) {
    png_destroy_read_struct(&job->png, nullptr, nullptr);
    job->status = no_memory;
    return;
  }
  if (setjmp(png_jmpbuf(job->png)) != 0) {
    if (job->image_read) {  // a missing IEND, a damaged chunk after the image: as Pillow
      job->status = ok;
      if (job->to_gray) finish_gray(job);
    }
    png_destroy_read_struct(&job->png, &job->info, nullptr);
    return;
  }
  png_structp png = job->png;
  png_infop info = job->info;
  png_set_read_fn(png, job, on_read);
  // As Pillow: chunk CRCs are not checked (a damaged CRC keeps the data), unknown chunks,
  // critical or not, are skipped, and text and ICC chunks are not inflated by libpng (2,000
  // zTXt chunks took it 14 s): text chunks go to on_unknown_chunk, which reads the XMP packet's
  // orientation only.
  png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
  png_set_read_user_chunk_fn(png, job, on_unknown_chunk);
  static const png_byte ignored[] = "iCCP\0sPLT\0";
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, ignored, 2);
  static const png_byte text[] = "tEXt\0zTXt\0iTXt\0";
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_ALWAYS, text, 3);
  // The dimensions are checked against max_pixels below, not libpng's 1,000,000-per-side.
  png_set_user_limits(png, 0x7fffffffU, 0x7fffffffU);
  png_read_info(png, info);
  const png_uint_32 w = png_get_image_width(png, info);
  const png_uint_32 h = png_get_image_height(png, info);
  const std::uint64_t pixels = std::uint64_t{w} * h;
  if (job->max_pixels != 0 && pixels > job->max_pixels) {
    std::snprintf(job->message, sizeof job->message,
                  "the image is %ux%u (HxW), %llu pixels, above the limit of %llu (max_pixels)", h,
                  w, static_cast<unsigned long long>(pixels),
                  static_cast<unsigned long long>(job->max_pixels));
    fail(job, too_big);
  }
  const int type = png_get_color_type(png, info);
  const int depth = png_get_bit_depth(png, info);
  const bool trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
  const bool gray_src = (type & PNG_COLOR_MASK_COLOR) == 0;
  const bool alpha_src = (type & PNG_COLOR_MASK_ALPHA) != 0;
  // png_set_palette_to_rgb also turns a palette's tRNS into alpha
  const bool palette_alpha = type == PNG_COLOR_TYPE_PALETTE && trns;
  const Mode mode = job->mode;

  if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (gray_src && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (depth == 16) {
    if (mode == Mode::native) {
      job->bytes = 2;
      const std::uint16_t probe = 1;
      std::uint8_t first;
      std::memcpy(&first, &probe, 1);
      if (first == 1) png_set_swap(png);  // PNG is big-endian; the array is the machine's
    } else {
      png_set_strip_16(png);  // the high byte
    }
  }
  int channels = 0;
  switch (mode) {
    case Mode::native:
      if (type == PNG_COLOR_TYPE_PALETTE) {
        channels = palette_alpha ? 4 : 3;
      } else {
        channels = (gray_src ? 1 : 3) + (alpha_src ? 1 : 0);
      }
      break;
    case Mode::rgb:
    case Mode::gray:
      if (alpha_src || palette_alpha) png_set_strip_alpha(png);
      if (mode == Mode::rgb && gray_src) png_set_gray_to_rgb(png);
      channels = mode == Mode::rgb ? 3 : 1;
      break;
    case Mode::rgba:
      if (gray_src) png_set_gray_to_rgb(png);
      if (trns) png_set_tRNS_to_alpha(png);
      if (!alpha_src && !trns) png_set_add_alpha(png, 0xFF, PNG_FILLER_AFTER);
      channels = 4;
      break;
  }
  // "L" from colour: read RGB, then Pillow's formula
  const bool to_gray = mode == Mode::gray && !gray_src;
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const int read_channels = to_gray ? 3 : channels;
  const std::size_t row_bytes =
      std::size_t{w} * std::size_t(read_channels) * std::size_t(job->bytes);
  if (png_get_rowbytes(png, info) != row_bytes) {
    std::snprintf(job->message, sizeof job->message,
                  "libpng gives rows of %zu bytes, pixnorm expected %zu (an unexpected PNG format)",
                  static_cast<std::size_t>(png_get_rowbytes(png, info)), row_bytes);
    fail(job, corrupt);
  }
  job->height = static_cast<int>(h);
  job->width = static_cast<int>(w);
  job->channels = channels;
  const std::size_t out_bytes =
      std::size_t{w} * std::size_t{h} * std::size_t(channels) * std::size_t(job->bytes);
  job->pixels = static_cast<std::uint8_t*>(std::malloc(out_bytes + 1));
  std::uint8_t* target = job->pixels;
  if (to_gray) target = job->rgb = static_cast<std::uint8_t*>(std::malloc(row_bytes * h + 1));
  job->rows = static_cast<png_bytep*>(std::malloc(sizeof(png_bytep) * (std::size_t{h} + 1)));
  if (job->pixels == nullptr || target == nullptr || job->rows == nullptr) fail(job, no_memory);
  for (png_uint_32 y = 0; y < h; ++y) job->rows[y] = target + row_bytes * y;
  job->to_gray = to_gray;
  read_orientation(job);  // an eXIf chunk before the image data
  png_read_image(png, job->rows);
  job->image_read = true;
  png_read_end(png, info);  // or after it
  read_orientation(job);
  if (to_gray) finish_gray(job);
  png_destroy_read_struct(&job->png, &job->info, nullptr);
}

}  // namespace

std::string png_version() { return std::string("libpng ") + png_get_libpng_ver(nullptr); }

Image decode_png(const std::uint8_t* data, std::size_t size, Mode mode, const Limits& limits) {
  auto* job = new PngJob();
  job->data = data;
  job->size = size;
  job->mode = mode;
  job->max_pixels = limits.max_pixels;
  run(job);
  std::free(job->rgb);
  std::free(job->rows);
  Image img;
  img.pixels.reset(job->pixels);
  img.height = img.full_height = job->height;
  img.width = img.full_width = job->width;
  img.channels = job->channels;
  img.bytes_per_sample = job->bytes;
  img.orientation = job->orientation;
  const Status status = job->status;
  const std::string message = job->message;
  delete job;
  throw_status(status, message);
  return img;
}

}  // namespace pixnorm::decode
