// Streaming statistics: walks an (N, H, W, C) view as packed runs and hands them to the kernels.
// Per channel, a fully contiguous batch is one run (split into one piece per thread at pixel
// boundaries); otherwise every image, or every row, is a run, and rows that are not packed
// (reversed or gapped pixels, other channel strides, misaligned float32) are first gathered
// into a per-thread buffer. Each piece accumulates its own partial sums, combined afterwards in
// piece order: for uint8 the integer sums are the same however the work was split.
// Per pixel, threads own disjoint ranges of elements (or rows), so no combining is needed, and
// each kernel call runs over all N images of its range (tile-major).
#include "pixnorm/stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/table.hpp"
#include "numeric.hpp"
#include "pieces.hpp"
#include "pixnorm/normalize.hpp"
#include "pixnorm/threads.hpp"
#include "rows.hpp"

namespace pixnorm {

namespace {

// Copies row (i, y) of a view into packed HWC order at `out`.
template <class T>
void gather_row(const ImageView& v, int64_t i, int64_t y, unsigned char* out) {
  const unsigned char* row = v.byte_ptr(i, y, 0, 0);
  const int64_t C = v.channels, sz = static_cast<int64_t>(sizeof(T));
  for (int64_t x = 0; x < v.width; ++x)
    for (int64_t c = 0; c < C; ++c)
      std::memcpy(out + (x * C + c) * sz, row + x * v.stride_x + c * v.stride_c, sizeof(T));
}

bool readable_in_place(const ImageView& v) {
  if (!v.rows_packed()) return false;
  if (v.dtype == DType::u8) return true;
  // uint16 and float rows are read through their type: they must be aligned to it
  const auto a = static_cast<uintptr_t>(itemsize(v.dtype));
  return reinterpret_cast<uintptr_t>(v.data) % a == 0 &&
         static_cast<uintptr_t>(v.stride_y) % a == 0 && static_cast<uintptr_t>(v.stride_n) % a == 0;
}

// How much of a view is packed: its rows (readable in place), each image, the whole batch.
struct Packing {
  bool rows = false, image = false, batch = false;
};
Packing packing_of(const ImageView& v) {
  const int64_t isz = itemsize(v.dtype), row = v.width * v.channels;
  Packing p;
  p.rows = readable_in_place(v);
  p.image = p.rows && (v.height == 1 || v.stride_y == row * isz);
  p.batch = p.image && (v.n == 1 || v.stride_n == v.height * row * isz);
  return p;
}

int threads_for(const ImageView& v, int nthreads) {
  const int64_t work = v.n * v.height * v.width * v.channels;
  return threads::team_for(work, nthreads);
}

// The per-channel integer sums are one read with no output: their team is chosen by the bytes
// read, 16 per unit of the normalize-measured threshold. A second thread paid off only from
// about 2^19 uint8 values (RunningStats.update, 1 vs 2 threads, idle: 0.77-0.80x at
// 224x224x3, 0.86-0.95x at 320x320x3, 0.9-1.4x at 448x448x3, 2.3-2.5x at 1024x1024x3).
int threads_for_sums(const ImageView& v, int nthreads) {
  const int64_t bytes = v.n * v.height * v.width * v.channels * itemsize(v.dtype);
  return threads::team_for(bytes / 16, nthreads);
}

// Calls fn(run, elements, piece) for packed runs of whole pixels covering `v`, split into
// `pieces` pieces that run on up to `pieces` threads.
template <class T, class F>
void for_runs(const ImageView& v, int pieces, F& fn) {
  const int64_t C = v.channels, row = v.width * C;
  const Packing pk = packing_of(v);
  const bool packed = pk.rows, image_packed = pk.image;
  if (pk.batch) {  // one run, split at pixel boundaries
    const int64_t pixels = v.n * v.height * v.width;
    const T* base = static_cast<const T*>(v.data);
    auto body = [&](int64_t lo, int64_t hi) {
      for (int64_t p = lo; p < hi; ++p) {
        const int64_t a = pixels * p / pieces, b = pixels * (p + 1) / pieces;
        if (a < b) fn(base + a * C, (b - a) * C, static_cast<int>(p));
      }
    };
    threads::parallel_chunks(pieces, pieces, body);
    return;
  }
  const int64_t runs = image_packed ? v.n : v.n * v.height;
  auto body = [&](int64_t lo, int64_t hi) {
    std::vector<T> buf;
    if (!packed) buf.resize(static_cast<size_t>(row));
    for (int64_t p = lo; p < hi; ++p)
      for (int64_t r = runs * p / pieces; r < runs * (p + 1) / pieces; ++r) {
        if (image_packed) {
          fn(reinterpret_cast<const T*>(v.byte_ptr(r, 0, 0, 0)), v.height * row,
             static_cast<int>(p));
        } else if (packed) {
          fn(reinterpret_cast<const T*>(v.byte_ptr(r / v.height, r % v.height, 0, 0)), row,
             static_cast<int>(p));
        } else {
          gather_row<T>(v, r / v.height, r % v.height,
                        reinterpret_cast<unsigned char*>(buf.data()));
          fn(static_cast<const T*>(buf.data()), row, static_cast<int>(p));
        }
      }
  };
  threads::parallel_chunks(pieces, pieces, body);
}

}  // namespace

static void channels_u8_piece(const ImageView& v, uint64_t* sum, uint64_t* sumsq, uint8_t* min,
                              uint8_t* max, int nthreads) {
  const KernelTable& k = active_kernels();
  const int pieces = threads_for_sums(v, nthreads);
  const auto C = static_cast<size_t>(v.channels);
  const size_t total = static_cast<size_t>(pieces) * C;
  std::vector<uint64_t> ps(total, 0), pq(total, 0);
  // every piece starts from the running min/max (the same result as 255/0 then merged): a
  // kernel that knows every channel has seen 0 and 255 leaves min/max out from the start
  std::vector<uint8_t> lo(total), hi(total);
  for (size_t i = 0; i < total; ++i) {
    lo[i] = min[i % C];
    hi[i] = max[i % C];
  }
  auto fn = [&](const uint8_t* run, int64_t count, int p) {
    const size_t o = static_cast<size_t>(p) * C;
    k.stats_u8(run, count, v.channels, &ps[o], &pq[o], &lo[o], &hi[o]);
  };
  for_runs<uint8_t>(v, pieces, fn);
  for (size_t p = 0; p < static_cast<size_t>(pieces); ++p)
    for (size_t c = 0; c < C; ++c) {
      sum[c] += ps[p * C + c];
      sumsq[c] += pq[p * C + c];
      min[c] = lo[p * C + c] < min[c] ? lo[p * C + c] : min[c];
      max[c] = hi[p * C + c] > max[c] ? hi[p * C + c] : max[c];
    }
}

// float32 per channel: the pixels (in (N, H, W) order) are cut into blocks, each block's Welford
// lanes folded into its own accumulators, and the blocks merged in order. The block size depends
// only on the number of pixels (a quarter of them, from 2^13 to 2^16 pixels: blocks for two or
// more threads even in a small image, few folds in a large one), so views, copies and thread
// counts give the same bits.
static int64_t stats_block_pixels(int64_t pixels) {
  return std::clamp<int64_t>((pixels + 3) / 4, int64_t{1} << 13, int64_t{1} << 16);
}

// Pixels [p0, p1) of a view, in (N, H, W) order, as packed HWC float32 values: a pointer into the
// view when its batch is packed and aligned, else gathered into `buf`.
static const float* block_pixels(const ImageView& v, const Packing& pk, int64_t p0, int64_t p1,
                                 std::vector<float>& buf) {
  const int64_t C = v.channels, isz = 4;
  if (pk.batch) return static_cast<const float*>(v.data) + p0 * C;
  buf.resize(static_cast<size_t>((p1 - p0) * C));
  auto* out = reinterpret_cast<unsigned char*>(buf.data());
  const int64_t hw = v.height * v.width;
  for (int64_t p = p0; p < p1;) {
    const int64_t i = p / hw, y = (p % hw) / v.width, x = p % v.width;
    const int64_t take = std::min(v.width - x, p1 - p);  // the rest of this row, at most
    const unsigned char* src = v.byte_ptr(i, y, x, 0);
    if (pk.rows)
      std::memcpy(out, src, static_cast<size_t>(take * C * isz));
    else
      rows::gather_any<float>(src, take, C, v.stride_x, v.stride_c, out);
    out += take * C * isz;
    p += take;
  }
  return buf.data();
}

static void channels_f32_piece(const ImageView& v, int64_t* n, double* mean, double* m2, float* min,
                               float* max, int nthreads) {
  const KernelTable& k = active_kernels();
  const int64_t C = v.channels, pixels = v.n * v.height * v.width;
  const int64_t block = stats_block_pixels(pixels);
  const int64_t blocks = (pixels + block - 1) / block;
  const Packing pk = packing_of(v);
  const auto total = static_cast<size_t>(blocks * C);
  std::vector<int64_t> bn(total, 0);
  std::vector<double> bm(total, 0.0), bq(total, 0.0);
  std::vector<float> lo(total, std::numeric_limits<float>::infinity()),
      hi(total, -std::numeric_limits<float>::infinity());
  auto body = [&](int64_t b0, int64_t b1) {
    std::vector<float> buf;
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t p0 = b * block, p1 = std::min(pixels, p0 + block);
      const auto o = static_cast<size_t>(b * C);
      k.stats_f32(block_pixels(v, pk, p0, p1, buf), (p1 - p0) * C, C, &bn[o], &bm[o], &bq[o],
                  &lo[o], &hi[o]);
    }
  };
  threads::parallel_chunks(blocks, threads_for(v, nthreads), body);
  for (size_t b = 0; b < static_cast<size_t>(blocks); ++b)
    for (size_t c = 0; c < static_cast<size_t>(C); ++c) {
      const size_t i = b * static_cast<size_t>(C) + c;
      chan_merge(n[c], mean[c], m2[c], bn[i], bm[i], bq[i]);
      if (bn[i] > 0) {
        min[c] = nan_min(lo[i], min[c]);
        max[c] = nan_max(hi[i], max[c]);
      }
    }
}

namespace {

// Per pixel: calls fn(src, images, image_stride, count, offset) for disjoint element ranges
// [offset, offset + count) of the HWC image, each over all v.n images; gathers rows that are
// not packed into a per-thread buffer of n rows.
template <class T, class F>
void for_pixel_ranges(const ImageView& v, int nthreads, F& fn) {
  const int64_t isz = itemsize(v.dtype), C = v.channels, row = v.width * C;
  const int64_t image = v.height * row;
  const Packing pk = packing_of(v);
  const bool packed = pk.rows, image_packed = pk.image;
  const int pieces = threads_for(v, nthreads);
  if (image_packed) {
    const T* base = static_cast<const T*>(v.data);
    const int64_t stride = v.stride_n / isz;
    auto body = [&](int64_t lo, int64_t hi) {
      for (int64_t p = lo; p < hi; ++p) {
        // piece boundaries on multiples of 128 elements keep the SIMD tiles whole
        const int64_t a = image * p / pieces / 128 * 128;
        const int64_t b = p + 1 == pieces ? image : image * (p + 1) / pieces / 128 * 128;
        if (a < b) fn(base + a, v.n, stride, b - a, a);
      }
    };
    threads::parallel_chunks(pieces, pieces, body);
    return;
  }
  auto body = [&](int64_t lo, int64_t hi) {
    std::vector<T> buf;
    if (!packed) buf.resize(static_cast<size_t>(row * v.n));
    for (int64_t y = lo; y < hi; ++y) {
      if (packed) {
        fn(reinterpret_cast<const T*>(v.byte_ptr(0, y, 0, 0)), v.n, v.stride_n / isz, row, y * row);
      } else {
        for (int64_t i = 0; i < v.n; ++i)
          gather_row<T>(v, i, y, reinterpret_cast<unsigned char*>(buf.data() + i * row));
        fn(static_cast<const T*>(buf.data()), v.n, row, row, y * row);
      }
    }
  };
  threads::parallel_chunks(v.height, pieces, body);
}

}  // namespace

static void pixels_u8_piece(const ImageView& v, uint32_t* s1, uint32_t* s2, uint8_t* min,
                            uint8_t* max, int nthreads) {
  const KernelTable& k = active_kernels();
  auto fn = [&](const uint8_t* src, int64_t images, int64_t stride, int64_t count, int64_t off) {
    k.stats_pixel_u8(src, images, stride, count, s1 + off, s2 + off, min + off, max + off);
  };
  for_pixel_ranges<uint8_t>(v, nthreads, fn);
}

// uint16 per channel: each kernel call's sums in uint64 (65535^2 * 2^32 < 2^64: runs cut below
// 2^32 values), the squares added into 128 bits per piece, the pieces combined at the end.
using u128 = unsigned __int128;

static void channels_u16_piece(const ImageView& v, uint64_t* sum, uint64_t* sumsq_lo,
                               uint64_t* sumsq_hi, uint16_t* min, uint16_t* max, int nthreads) {
  const int pieces = threads_for_sums(v, nthreads);
  const auto C = static_cast<size_t>(v.channels);
  const size_t total = static_cast<size_t>(pieces) * C;
  std::vector<u128> ps(total, 0), pq(total, 0);
  std::vector<uint64_t> ks(total), kq(total);  // one kernel call's sums, per piece
  std::vector<uint16_t> lo(total), hi(total);
  for (size_t i = 0; i < total; ++i) {
    lo[i] = min[i % C];
    hi[i] = max[i % C];
  }
  const KernelTable& k = active_kernels();
  auto fn = [&](const uint16_t* run, int64_t count, int p) {
    const size_t o = static_cast<size_t>(p) * C;
    const int64_t step = ((int64_t{1} << 32) - 1) / v.channels * v.channels;  // whole pixels
    for (int64_t i = 0; i < count; i += step) {
      std::fill(ks.begin() + static_cast<std::ptrdiff_t>(o),
                ks.begin() + static_cast<std::ptrdiff_t>(o + C), 0);
      std::fill(kq.begin() + static_cast<std::ptrdiff_t>(o),
                kq.begin() + static_cast<std::ptrdiff_t>(o + C), 0);
      k.stats_u16(run + i, std::min(step, count - i), v.channels, &ks[o], &kq[o], &lo[o], &hi[o]);
      for (size_t c = 0; c < C; ++c) {
        ps[o + c] += ks[o + c];
        pq[o + c] += kq[o + c];
      }
    }
  };
  for_runs<uint16_t>(v, pieces, fn);
  for (size_t p = 0; p < static_cast<size_t>(pieces); ++p)
    for (size_t c = 0; c < C; ++c) {
      sum[c] += static_cast<uint64_t>(ps[p * C + c]);
      const u128 q = ((static_cast<u128>(sumsq_hi[c]) << 64) | sumsq_lo[c]) + pq[p * C + c];
      sumsq_lo[c] = static_cast<uint64_t>(q);
      sumsq_hi[c] = static_cast<uint64_t>(q >> 64);
      min[c] = lo[p * C + c] < min[c] ? lo[p * C + c] : min[c];
      max[c] = hi[p * C + c] > max[c] ? hi[p * C + c] : max[c];
    }
}

static void pixels_u16_piece(const ImageView& v, uint64_t* s1, uint64_t* s2, uint16_t* min,
                             uint16_t* max, int nthreads) {
  const KernelTable& k = active_kernels();
  auto fn = [&](const uint16_t* src, int64_t images, int64_t stride, int64_t count, int64_t off) {
    k.stats_pixel_u16(src, images, stride, count, s1 + off, s2 + off, min + off, max + off);
  };
  for_pixel_ranges<uint16_t>(v, nthreads, fn);
}

static void pixels_f32_piece(const ImageView& v, int64_t seen, double* mean, double* m2, float* min,
                             float* max, int nthreads) {
  const KernelTable& k = active_kernels();
  auto fn = [&](const float* src, int64_t images, int64_t stride, int64_t count, int64_t off) {
    k.stats_pixel_f32(src, images, stride, count, seen, mean + off, m2 + off, min + off, max + off);
  };
  for_pixel_ranges<float>(v, nthreads, fn);
}

void stats_u8_moments(uint64_t n, const uint64_t* s1, const uint64_t* s2, int64_t size,
                      int64_t ddof, double* mean, double* var, uint64_t max_value) {
  const u128 den = static_cast<u128>(n) * (n - static_cast<uint64_t>(ddof));
  const double dden = static_cast<double>(den), dn = static_cast<double>(n);
  if (max_value > 0 && n < (uint64_t{1} << 32) / max_value) {
    // n * s2 <= (n * max_value)^2 < 2^64: the same exact numerator in 64 bits, several times
    // faster (uint8: n below 16.8 million values)
    for (int64_t i = 0; i < size; ++i) {
      mean[i] = static_cast<double>(s1[i]) / dn;
      var[i] = static_cast<double>(n * s2[i] - s1[i] * s1[i]) / dden;
    }
    return;
  }
  for (int64_t i = 0; i < size; ++i) {
    mean[i] = static_cast<double>(s1[i]) / dn;
    const u128 num = static_cast<u128>(n) * s2[i] - static_cast<u128>(s1[i]) * s1[i];
    var[i] = static_cast<double>(num) / dden;
  }
}

// The public operations: pieces of about kInterruptValues values with `interrupt` between them
// (statistics: runs of images, or rows of one large image, whose accumulators allow any split;
// uint8 sums are exact whatever the split, float32 pieces merge as successive updates).

void stats_channels_u8(const ImageView& v, uint64_t* sum, uint64_t* sumsq, uint8_t* min,
                       uint8_t* max, int nthreads, const Interrupt& interrupt) {
  pieces::run(v, true, interrupt, [&](const ImageView& part, int64_t, int64_t) {
    channels_u8_piece(part, sum, sumsq, min, max, nthreads);
  });
}

void stats_channels_f32(const ImageView& v, int64_t* n, double* mean, double* m2, float* min,
                        float* max, int nthreads, const Interrupt& interrupt) {
  pieces::run(v, true, interrupt, [&](const ImageView& part, int64_t, int64_t) {
    channels_f32_piece(part, n, mean, m2, min, max, nthreads);
  });
}

void stats_pixels_u8(const ImageView& v, uint32_t* s1, uint32_t* s2, uint8_t* min, uint8_t* max,
                     int nthreads, const Interrupt& interrupt) {
  const int64_t row = v.width * v.channels;
  pieces::run(v, true, interrupt, [&](const ImageView& part, int64_t, int64_t y) {
    const int64_t o = y * row;  // accumulators are (H, W, C)
    pixels_u8_piece(part, s1 + o, s2 + o, min + o, max + o, nthreads);
  });
}

void stats_channels_u16(const ImageView& v, uint64_t* sum, uint64_t* sumsq_lo, uint64_t* sumsq_hi,
                        uint16_t* min, uint16_t* max, int nthreads, const Interrupt& interrupt) {
  pieces::run(v, true, interrupt, [&](const ImageView& part, int64_t, int64_t) {
    channels_u16_piece(part, sum, sumsq_lo, sumsq_hi, min, max, nthreads);
  });
}

void stats_pixels_u16(const ImageView& v, uint64_t* s1, uint64_t* s2, uint16_t* min, uint16_t* max,
                      int nthreads, const Interrupt& interrupt) {
  const int64_t row = v.width * v.channels;
  pieces::run(v, true, interrupt, [&](const ImageView& part, int64_t, int64_t y) {
    const int64_t o = y * row;  // accumulators are (H, W, C)
    pixels_u16_piece(part, s1 + o, s2 + o, min + o, max + o, nthreads);
  });
}

void stats_pixels_f32(const ImageView& v, int64_t seen, double* mean, double* m2, float* min,
                      float* max, int nthreads, const Interrupt& interrupt) {
  const int64_t row = v.width * v.channels;
  pieces::run(v, true, interrupt, [&](const ImageView& part, int64_t i, int64_t y) {
    const int64_t o = y * row;  // accumulators are (H, W, C); images are taken in order
    pixels_f32_piece(part, seen + i, mean + o, m2 + o, min + o, max + o, nthreads);
  });
}

}  // namespace pixnorm
