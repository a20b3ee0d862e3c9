// JPEG by libjpeg-turbo, as Pillow decodes it: the library's defaults (islow IDCT, fancy
// upsampling, the colour space guessed from the JFIF/Adobe markers), gray kept as one channel,
// YCbCr/RGB as RGB, CMYK/YCCK as CMYK read with Adobe polarity and converted by Pillow's
// cmyk2rgb; "L" from colour is Pillow's convert("L") of the RGB result.
//
// libjpeg reports fatal errors through error_exit, which must not return: it longjmps back
// to run(), whose state lives in the JpegJob (no C++ object is alive across the jump).
// Warnings that mean the data ended early are errors here, as a truncated file is for Pillow.
// jpeglib.h needs size_t and FILE declared before it; jerror.h has the message codes
#include <cstddef>
#include <cstdio>
// clang-format off
#include <jpeglib.h>
#include <jerror.h>
// clang-format on

#include <algorithm>
#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "decode_pillow.hpp"
#include "decode_status.hpp"
#include "pixnorm/decode.hpp"

namespace pixnorm::decode {

namespace {

// A progressive file with more scans is refused before decoding: each scan passes over every
// block, so many scans of a large image take unbounded time (a 125 KB file of 1,000 scans of
// 4000x4000 took 30 s). Encoders write about 10 (jpegtran, Pillow) to 30.
constexpr int kMaxScans = 100;

struct JpegJob {
  // libjpeg's state and the error manager come first: on_error finds the job from cinfo.err
  jpeg_error_mgr err;
  std::jmp_buf jump;
  jpeg_decompress_struct cinfo;
  jpeg_progress_mgr progress;
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
  Mode mode = Mode::native;
  std::uint64_t max_pixels = 0;
  Region region;
  int scale = 8;  // decode at scale / 8 of the size (libjpeg's DCT scaling; 8: full size)
  bool header_only = false;
  Target target;  // target.data != nullptr: rows go there, at their places in the image
  // results
  std::uint8_t* pixels = nullptr;
  std::uint8_t* scratch = nullptr;  // one row of libjpeg's output when a conversion follows
  int height = 0, width = 0, channels = 0, orientation = 1;
  int top = 0, left = 0, full_height = 0, full_width = 0;
  Status status = ok;
  char message[JMSG_LENGTH_MAX + 64] = {0};
};

JpegJob* job_of(j_common_ptr c) {
  // err is the first member of the standard-layout JpegJob
  return reinterpret_cast<JpegJob*>(c->err);
}

[[noreturn]] void fail(JpegJob* job, Status status) {
  job->status = status;
  std::longjmp(job->jump, 1);
}

[[noreturn]] void on_error(j_common_ptr c) {
  JpegJob* job = job_of(c);
  char text[JMSG_LENGTH_MAX];
  (*c->err->format_message)(c, text);
  std::snprintf(job->message, sizeof job->message, "%s", text);
  const int code = c->err->msg_code;
  fail(job, code == JERR_BAD_PRECISION || code == JERR_NOT_COMPILED ? unsupported : corrupt);
}

void on_message(j_common_ptr c, int level) {
  if (level >= 0) return;  // trace messages
  const int code = c->err->msg_code;
  if (code == JWRN_JPEG_EOF) {  // the data ended: truncated (Pillow raises too)
    JpegJob* job = job_of(c);
    char text[JMSG_LENGTH_MAX];
    (*c->err->format_message)(c, text);
    std::snprintf(job->message, sizeof job->message, "truncated or corrupt JPEG data (%s)", text);
    fail(job, corrupt);
  }
  // Other warnings (extraneous bytes, a marker inside the entropy-coded data, ...) as for
  // Pillow: ignored, the image decoded as libjpeg recovers it.
  c->err->num_warnings++;
}

// The number of SOS markers, by walking the marker segments (their lengths) and the
// entropy-coded data after each SOS (where 0xFF is followed by 0x00 or a restart marker), so
// bytes inside APPn payloads are never counted. Stops at EOI or at the end of the data.
int count_scans(const std::uint8_t* d, std::size_t n) {
  int scans = 0;
  std::size_t i = 2;  // after SOI
  while (i + 1 < n) {
    if (d[i] != 0xFF) return scans;             // not a marker where one must be: libjpeg will say
    while (i + 1 < n && d[i + 1] == 0xFF) ++i;  // fill bytes
    if (i + 1 >= n) return scans;
    const std::uint8_t m = d[i + 1];
    i += 2;
    if (m == 0xD9) return scans;                          // EOI
    if ((m >= 0xD0 && m <= 0xD7) || m == 0x01) continue;  // RSTn, TEM: no length
    if (i + 1 >= n) return scans;
    const std::size_t length = (std::size_t{d[i]} << 8) | d[i + 1];
    i += length;
    if (m != 0xDA) continue;
    ++scans;
    // entropy-coded data: up to the next 0xFF that is not stuffing nor a restart marker
    while (i + 1 < n) {
      const void* ff = std::memchr(d + i, 0xFF, n - i - 1);
      if (ff == nullptr) return scans;
      i = static_cast<std::size_t>(static_cast<const std::uint8_t*>(ff) - d);
      const std::uint8_t next = d[i + 1];
      if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
        i += 2;
        continue;
      }
      if (next == 0xFF) {  // fill byte before a marker
        ++i;
        continue;
      }
      break;
    }
  }
  return scans;
}

void on_progress(j_common_ptr c) {
  auto* d = reinterpret_cast<j_decompress_ptr>(c);
  if (d->input_scan_number > kMaxScans) {
    JpegJob* job = job_of(c);
    std::snprintf(job->message, sizeof job->message,
                  "a progressive JPEG with more than %d scans (refused: decoding it would take "
                  "unbounded time)",
                  kMaxScans);
    fail(job, corrupt);
  }
}

// Pillow's ImageOps.exif_transpose reads the EXIF orientation (the first EXIF block's), or,
// where EXIF has no orientation tag, the XMP packet's tiff:Orientation ="N" or >N (the last XMP
// segment's: Pillow's info["xmp"] keeps the last).
void find_orientation(JpegJob* job) {
  static const char xmp_id[] = "http://ns.adobe.com/xap/1.0/";  // then a NUL
  int found = -1;
  bool exif_seen = false;
  for (jpeg_saved_marker_ptr m = job->cinfo.marker_list; m != nullptr; m = m->next) {
    if (m->marker != JPEG_APP0 + 1) continue;
    if (!exif_seen && m->data_length >= 6 && std::memcmp(m->data, "Exif\0\0", 6) == 0) {
      exif_seen = true;
      found = exif_orientation(m->data + 6, m->data_length - 6);
    }
  }
  if (found < 0) {
    for (jpeg_saved_marker_ptr m = job->cinfo.marker_list; m != nullptr; m = m->next) {
      if (m->marker != JPEG_APP0 + 1 || m->data_length < sizeof xmp_id) continue;
      if (std::memcmp(m->data, xmp_id, sizeof xmp_id) != 0) continue;  // with its NUL
      found = xmp_orientation(m->data + sizeof xmp_id, m->data_length - sizeof xmp_id);
    }
  }
  job->orientation = found >= 1 && found <= 8 ? found : 1;
}

// The output row y from libjpeg's converted row `in` (scratch), for the conversions Pillow
// does after the codec.
void convert_row(const JpegJob* job, const std::uint8_t* in, std::uint8_t* out) {
  const int w = job->width;
  const bool cmyk = job->cinfo.out_color_space == JCS_CMYK;
  for (int x = 0; x < w; ++x) {
    std::uint8_t rgb[3];
    if (cmyk) {
      pillow::cmyk_to_rgb(in + 4 * x, rgb);
    } else {
      std::memcpy(rgb, in + 3 * x, 3);
    }
    switch (job->channels) {
      case 1:
        out[x] = pillow::luma(rgb[0], rgb[1], rgb[2]);
        break;
      case 3:
        std::memcpy(out + 3 * x, rgb, 3);
        break;
      default:
        std::memcpy(out + 4 * x, rgb, 3);
        out[4 * x + 3] = 255;
        break;
    }
  }
}

// Everything libjpeg does, between setjmp and the end: only trivially destructible locals.
void run(JpegJob* job) {
  job->cinfo.err = jpeg_std_error(&job->err);
  job->err.error_exit = on_error;
  job->err.emit_message = on_message;
  if (setjmp(job->jump) != 0) {
    jpeg_destroy_decompress(&job->cinfo);
    return;
  }
  jpeg_create_decompress(&job->cinfo);
  job->progress.progress_monitor = on_progress;
  job->cinfo.progress = &job->progress;
  if (count_scans(job->data, job->size) > kMaxScans) {
    std::snprintf(job->message, sizeof job->message,
                  "a JPEG with more than %d scans (refused before decoding: each scan passes "
                  "over the whole image, so their number bounds the time)",
                  kMaxScans);
    fail(job, corrupt);
  }
  jpeg_mem_src(&job->cinfo, job->data, static_cast<unsigned long>(job->size));
  jpeg_save_markers(&job->cinfo, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(&job->cinfo, TRUE);
  find_orientation(job);

  jpeg_decompress_struct& ci = job->cinfo;
  const std::uint64_t pixels = std::uint64_t{ci.image_width} * ci.image_height;
  if (job->max_pixels != 0 && pixels > job->max_pixels) {
    std::snprintf(job->message, sizeof job->message,
                  "the image is %ux%u (HxW), %llu pixels, above the limit of %llu (max_pixels)",
                  ci.image_height, ci.image_width, static_cast<unsigned long long>(pixels),
                  static_cast<unsigned long long>(job->max_pixels));
    fail(job, too_big);
  }
  const int comps = ci.num_components;
  const bool gray_src = ci.jpeg_color_space == JCS_GRAYSCALE && comps == 1;
  const bool cmyk_src =
      (ci.jpeg_color_space == JCS_CMYK || ci.jpeg_color_space == JCS_YCCK) && comps == 4;
  const bool colour_src =
      (ci.jpeg_color_space == JCS_YCbCr || ci.jpeg_color_space == JCS_RGB) && comps == 3;
  if (!gray_src && !cmyk_src && !colour_src) {
    std::snprintf(job->message, sizeof job->message,
                  "a JPEG with %d components in colour space %d (pixnorm reads gray, YCbCr, "
                  "RGB, CMYK and YCCK)",
                  comps, static_cast<int>(ci.jpeg_color_space));
    fail(job, unsupported);
  }
  switch (job->mode) {
    case Mode::native:
      job->channels = gray_src ? 1 : 3;
      break;
    case Mode::rgb:
      job->channels = 3;
      break;
    case Mode::gray:
      job->channels = 1;
      break;
    case Mode::rgba:
      job->channels = 4;
      break;
  }
  // What libjpeg writes: the output itself where it can (gray, RGB, gray or colour to RGB(A)),
  // else RGB or CMYK rows into scratch, converted by convert_row.
  bool direct = true;
  if (gray_src) {
    ci.out_color_space = job->channels == 1   ? JCS_GRAYSCALE
                         : job->channels == 3 ? JCS_RGB
                                              : JCS_EXT_RGBA;
  } else if (colour_src) {
    ci.out_color_space = job->channels == 4 ? JCS_EXT_RGBA : JCS_RGB;
    direct = job->channels != 1;
  } else {
    ci.out_color_space = JCS_CMYK;
    direct = false;
  }
  if (job->scale != 8) {
    ci.scale_num = static_cast<unsigned>(job->scale);
    ci.scale_denom = 8;
  }
  jpeg_calc_output_dimensions(&ci);  // the decoded size: the image's, or scaled
  if (job->header_only) {
    job->full_height = job->height = static_cast<int>(ci.output_height);
    job->full_width = job->width = static_cast<int>(ci.output_width);
    jpeg_destroy_decompress(&ci);
    return;
  }
  const Target& tg = job->target;
  if (tg.data != nullptr &&
      (tg.height != static_cast<int>(ci.output_height) ||
       tg.width != static_cast<int>(ci.output_width) || tg.channels != job->channels)) {
    std::snprintf(job->message, sizeof job->message, "out: a %dx%dx%d target for a %ux%ux%d image",
                  tg.height, tg.width, tg.channels, ci.output_height, ci.output_width,
                  job->channels);
    fail(job, bad_region);
  }
  jpeg_start_decompress(&ci);
  job->full_height = static_cast<int>(ci.output_height);
  job->full_width = static_cast<int>(ci.output_width);
  // The rows [top, bottom) are decoded; with a region, only its window (see Region).
  JDIMENSION top = 0;
  JDIMENSION bottom = ci.output_height;
  const Region& r = job->region;
  const bool partial = r.height > 0;
  if (partial) {
    const auto mcu_h = static_cast<JDIMENSION>(ci.max_v_samp_factor * DCTSIZE);
    const auto mcu_w = static_cast<JDIMENSION>(ci.max_h_samp_factor * DCTSIZE);
    const auto r_top = static_cast<JDIMENSION>(r.top);
    const auto r_left = static_cast<JDIMENSION>(r.left);
    const JDIMENSION r_bottom =
        std::min<JDIMENSION>(ci.output_height, r_top + static_cast<JDIMENSION>(r.height) + mcu_h);
    const JDIMENSION r_right =
        std::min<JDIMENSION>(ci.output_width, r_left + static_cast<JDIMENSION>(r.width) + mcu_w);
    top = r_top > mcu_h ? r_top - mcu_h : 0;
    bottom = r_bottom;
    JDIMENSION left = r_left > mcu_w ? r_left - mcu_w : 0;
    if (top >= bottom || left >= r_right) {
      std::snprintf(job->message, sizeof job->message,
                    "region: rows %d..%d, columns %d..%d are outside the %ux%u image", r.top,
                    r.top + r.height, r.left, r.left + r.width, ci.output_height, ci.output_width);
      fail(job, bad_region);
    }
    JDIMENSION width = r_right - left;
    if (left > 0 || width < ci.output_width) jpeg_crop_scanline(&ci, &left, &width);
    job->left = static_cast<int>(left);
  }
  job->top = static_cast<int>(top);
  job->height = static_cast<int>(bottom - top);
  job->width = static_cast<int>(ci.output_width);  // after jpeg_crop_scanline, the window's
  const std::size_t row_bytes = std::size_t{ci.output_width} * std::size_t(job->channels);
  if (tg.data == nullptr) {
    job->pixels = static_cast<std::uint8_t*>(std::malloc(row_bytes * (bottom - top) + 1));
  }
  if (!direct) {
    job->scratch = static_cast<std::uint8_t*>(
        std::malloc(std::size_t{ci.output_width} * std::size_t(ci.output_components)));
  }
  if ((tg.data == nullptr && job->pixels == nullptr) || (!direct && job->scratch == nullptr)) {
    fail(job, no_memory);
  }
  if (top > 0 && jpeg_skip_scanlines(&ci, top) != top) {
    std::snprintf(job->message, sizeof job->message, "truncated JPEG data");
    fail(job, corrupt);
  }
  while (ci.output_scanline < bottom) {
    std::uint8_t* out = tg.data != nullptr
                            ? tg.data +
                                  tg.row_stride * static_cast<std::ptrdiff_t>(ci.output_scanline) +
                                  static_cast<std::ptrdiff_t>(job->left) * tg.channels
                            : job->pixels + row_bytes * (ci.output_scanline - top);
    JSAMPROW row = direct ? out : job->scratch;
    if (jpeg_read_scanlines(&ci, &row, 1) != 1) {
      std::snprintf(job->message, sizeof job->message, "truncated JPEG data");
      fail(job, corrupt);
    }
    if (!direct) convert_row(job, job->scratch, out);
  }
  // A partial decode stops here: the rows below the window are never decoded (nor checked).
  if (!partial) jpeg_finish_decompress(&ci);
  jpeg_destroy_decompress(&ci);
}

}  // namespace

std::string jpeg_version() {
#ifdef LIBJPEG_TURBO_VERSION
#define PIXNORM_STR2(x) #x
#define PIXNORM_STR(x) PIXNORM_STR2(x)
  return "libjpeg-turbo " PIXNORM_STR(LIBJPEG_TURBO_VERSION);
#else
  return "libjpeg " + std::to_string(JPEG_LIB_VERSION);
#endif
}

namespace {

// Runs a job made by the caller (on the heap: libjpeg's structs are large) and throws its
// error, if any; the job is deleted either way.
Image finish(JpegJob* job) {
  run(job);
  std::free(job->scratch);
  Image img;
  img.pixels.reset(job->pixels);
  img.height = job->height;
  img.width = job->width;
  img.top = job->top;
  img.left = job->left;
  img.full_height = job->full_height;
  img.full_width = job->full_width;
  img.channels = job->channels;
  img.orientation = job->orientation;
  const Status status = job->status;
  const std::string message = job->message;
  delete job;
  throw_status(status, message);
  return img;
}

JpegJob* make_job(const std::uint8_t* data, std::size_t size, Mode mode, const Limits& limits) {
  auto* job = new JpegJob();
  job->data = data;
  job->size = size;
  job->mode = mode;
  job->max_pixels = limits.max_pixels;
  return job;
}

}  // namespace

Image decode_jpeg(const std::uint8_t* data, std::size_t size, Mode mode, const Limits& limits,
                  const Region& region) {
  JpegJob* job = make_job(data, size, mode, limits);
  job->region = region;
  return finish(job);
}

void check_scale(int scale) {
  if (scale < 1 || scale > 8) {
    throw std::invalid_argument("scale: expected 1..8 (eighths of the size), got " +
                                std::to_string(scale));
  }
}

Header read_jpeg_header(const std::uint8_t* data, std::size_t size, Mode mode, const Limits& limits,
                        int scale) {
  check_scale(scale);
  if (sniff(data, size) != Format::jpeg) throw unsupported_codec("not a JPEG file");
  JpegJob* job = make_job(data, size, mode, limits);
  job->header_only = true;
  job->scale = scale;
  const Image img = finish(job);
  return Header{img.full_height, img.full_width, img.channels, img.orientation};
}

void decode_jpeg_into(const std::uint8_t* data, std::size_t size, Mode mode, const Limits& limits,
                      const Region& region, const Target& target, int scale) {
  check_scale(scale);
  if (sniff(data, size) != Format::jpeg) throw unsupported_codec("not a JPEG file");
  JpegJob* job = make_job(data, size, mode, limits);
  job->scale = scale;
  job->region = region;
  job->target = target;
  finish(job);
}

}  // namespace pixnorm::decode
