// Standalone check that every SIMD kernel table is bit-identical to the scalar table, at the C++
// level: no Python, no test framework. .ci/check_neon.sh builds it natively on x86-64 (scalar,
// SSE4.1, AVX2, AVX-512, as the CPU supports them) and cross-compiled for aarch64 (scalar, NEON),
// run under qemu-user there.
//
// For every supported ISA, both row kernels (uint8 and float32 input), channel counts 1..6 and
// widths 1..70 plus a few large ones run on random inputs (fixed seed; float inputs include
// negatives, huge values, subnormals, signed zeros, NaN and inf) with random a/b, from every
// combination of
//   src: 0..3 elements past a page boundary, or flush against an inaccessible page (a read past
//        the row's last element faults);
//   dst: 0..15 floats past a 64-byte boundary, with plane_stride = width + 16..20.
// Sentinel floats (a signalling NaN, which float arithmetic never produces) fill the guard bands
// before the first plane row, between rows and after the last row: a kernel must write exactly
// the width*channels outputs and leave every sentinel alone. a and b also end flush against an
// inaccessible page. Outputs are compared with the scalar table's bit for bit (memcmp; where that
// differs, any NaN matches any NaN: payloads are not part of the contract), and the scalar table
// is itself checked against x * a + b computed here (a float32 multiply then add; the build passes
// -ffp-contract=off).
// The statistics kernels (stats_u8, stats_f32, stats_pixel_u8, stats_pixel_f32, normalize_pixel)
// are checked against the scalar table as well (StatsChecker below), and so are the resampling
// kernels (ResizeChecker; bilinear2_u8 with its source rows against inaccessible pages).
//
// Usage: kernel_check [--require ISA[,ISA...]]
// Exit status: 0 all cases match; 1 a mismatch; 2 bad usage, setup failure or a required ISA is
// not supported here; 3 a kernel faulted (an access outside its src, a, b or dst).
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/table.hpp"

namespace {

using pixnorm::Isa;
using pixnorm::KernelTable;

constexpr uint32_t kSentinel = 0x7FA5A5A5u;  // signalling NaN: no float operation yields it
constexpr int64_t kLead = 16;                // sentinels before the first plane row (+ dst offset)
constexpr int64_t kTrail = 16;               // sentinels after the last row's gap
constexpr int64_t kMaxChannels = 6;
constexpr int64_t kMaxWidth = 1024;
constexpr int64_t kMaxDstOffset = 15;  // floats past a 64-byte boundary: every alignment in a line
constexpr int kSrcPlacements = 5;      // 0..3 elements past a page start; flush with a page end
constexpr const char* kSrcPlacementNames[kSrcPlacements] = {"offset0", "offset1", "offset2",
                                                            "offset3", "flush_end"};
constexpr int kMaxReported = 30;

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
float float_of(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
bool is_nan(uint32_t u) { return (u & 0x7F800000u) == 0x7F800000u && (u & 0x007FFFFFu) != 0; }
// Same bits, or both NaN. A sentinel never matches: that output was not written.
bool matches(uint32_t got, uint32_t want) {
  if (got == kSentinel) return false;
  return got == want || (is_nan(got) && is_nan(want));
}
uint32_t load_bits(const float* p) {
  uint32_t u;
  std::memcpy(&u, p, sizeof u);
  return u;
}

// Read-write memory with an inaccessible page on each side: an access just outside it faults.
struct Arena {
  unsigned char* lo = nullptr;
  size_t size = 0;  // a multiple of the page size
  unsigned char* hi() const { return lo + size; }
};

Arena make_arena(size_t min_bytes) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t size = (min_bytes + page - 1) / page * page;
  void* p =
      mmap(nullptr, size + 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    std::perror("kernel_check: mmap");
    std::exit(2);
  }
  auto* base = static_cast<unsigned char*>(p);
  if (mprotect(base, page, PROT_NONE) != 0 || mprotect(base + page + size, page, PROT_NONE) != 0) {
    std::perror("kernel_check: mprotect");
    std::exit(2);
  }
  return Arena{base + page, size};
}

char g_case[256] = "(setup)";  // the kernel call in progress, for the fault handler

extern "C" void on_fault(int sig) {
  const char* what =
      sig == SIGSEGV ? "kernel_check: FAULT (SIGSEGV) in " : "kernel_check: FAULT (SIGBUS) in ";
  if (write(2, what, std::strlen(what)) < 0 || write(2, g_case, std::strlen(g_case)) < 0 ||
      write(2, "\n", 1) < 0) {
  }
  _exit(3);
}

void install_fault_handler() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_fault;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, nullptr);
  sigaction(SIGBUS, &sa, nullptr);
}

struct Rng {
  std::mt19937_64 g{0x5EED2024u};
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(g() % n); }
  uint32_t bits32() { return static_cast<uint32_t>(g() >> 32); }
  float uniform(float lo, float hi) {  // [lo, hi)
    const double u = static_cast<double>(g() >> 11) * 0x1.0p-53;
    return static_cast<float>(static_cast<double>(lo) + (static_cast<double>(hi) - lo) * u);
  }
  float sign() { return below(2) ? -1.0f : 1.0f; }
};

float random_input(Rng& r) {
  const uint32_t k = r.below(100);
  const uint32_t sign = r.below(2) ? 0x80000000u : 0u;
  if (k < 2) {
    static const uint32_t nans[] = {0x7FC00000u, 0xFFC00000u, 0x7FC12345u, 0xFFE00001u};
    return float_of(nans[r.below(4)]);
  }
  if (k < 4) return float_of(sign | 0x7F800000u);                               // +-inf
  if (k < 6) return float_of(sign);                                             // +-0
  if (k < 9) return float_of(sign | (r.bits32() & 0x007FFFFFu));                // subnormal
  if (k < 15) return float_of(sign | (r.bits32() % 0x7F800000u));               // any finite
  if (k < 20) return r.sign() * r.uniform(1e30f, 3.4e38f);                      // huge
  if (k < 30) return static_cast<float>(static_cast<int>(r.below(511)) - 255);  // integral
  return r.uniform(-1000.0f, 1000.0f);
}

void random_affine(Rng& r, bool u8, int64_t channels, float* a, float* b) {
  for (int64_t c = 0; c < channels; ++c) {
    switch (r.below(12)) {
      case 0:
        a[c] = 0.0f;
        break;
      case 1:
        a[c] = -0.0f;
        break;
      case 2:
        a[c] = r.sign() * r.uniform(1e30f, 3e30f);
        break;  // overflows for large inputs
      case 3:
        a[c] = r.sign() * r.uniform(1e-39f, 1e-38f);
        break;  // subnormal
      case 4:
        a[c] = r.uniform(-4.0f, 4.0f);
        break;
      default:
        a[c] = u8 ? 1.0f / (255.0f * r.uniform(0.05f, 0.5f)) : r.sign() * r.uniform(0.001f, 10.0f);
    }
    switch (r.below(8)) {
      case 0:
        b[c] = 0.0f;
        break;
      case 1:
        b[c] = -0.0f;
        break;
      case 2:
        b[c] = r.sign() * r.uniform(1e35f, 3e38f);
        break;
      default:
        b[c] = r.uniform(-3.0f, 3.0f);
    }
  }
}

template <class T>
using RowFn = void (*)(const T*, int64_t, int64_t, const float*, const float*, float*, int64_t);
RowFn<uint8_t> row_fn(const KernelTable& k, uint8_t*) { return k.normalize_u8; }
RowFn<float> row_fn(const KernelTable& k, float*) { return k.normalize_f32; }

std::string describe(uint8_t v) { return std::to_string(static_cast<unsigned>(v)); }
std::string describe(float v) {
  char s[64];
  std::snprintf(s, sizeof s, "%.9g (0x%08x)", static_cast<double>(v),
                static_cast<unsigned>(bits_of(v)));
  return s;
}

struct Checker {
  std::vector<const KernelTable*> tables;  // tables[0] is scalar
  Arena src_arena, a_arena, b_arena, dst_arena;
  int64_t cases = 0, mismatches = 0;

  void report(const std::string& where, const std::string& what) {
    ++mismatches;
    if (mismatches <= kMaxReported)
      std::printf("MISMATCH %s: %s\n", where.c_str(), what.c_str());
    else if (mismatches == kMaxReported + 1)
      std::printf("(further mismatches not shown)\n");
  }

  template <class T>
  std::string element_mismatch(const T* src, int64_t channels, const float* a, const float* b,
                               int64_t c, int64_t x, uint32_t got, uint32_t want, int64_t bad) {
    char s[320];
    std::snprintf(s, sizeof s,
                  "%lld wrong output(s); first at plane %lld x %lld: got 0x%08x (%.9g%s), "
                  "want 0x%08x (%.9g) from src %s * a %s + b %s",
                  static_cast<long long>(bad), static_cast<long long>(c), static_cast<long long>(x),
                  static_cast<unsigned>(got), static_cast<double>(float_of(got)),
                  got == kSentinel ? ", sentinel: not written" : "", static_cast<unsigned>(want),
                  static_cast<double>(float_of(want)), describe(src[x * channels + c]).c_str(),
                  describe(a[c]).c_str(), describe(b[c]).c_str());
    return s;
  }

  template <class T>
  void check_shape(Rng& rng, int64_t channels, int64_t width) {
    constexpr bool u8 = std::is_same<T, uint8_t>::value;
    const char* dtype = u8 ? "u8" : "f32";
    const int64_t n = width * channels;
    const size_t nbytes = static_cast<size_t>(n) * sizeof(T);
    std::vector<T> data(static_cast<size_t>(n));
    for (T& v : data) {
      if constexpr (u8)
        v = static_cast<uint8_t>(rng.below(256));
      else
        v = random_input(rng);
    }
    if constexpr (u8) {  // make sure both extremes occur
      data[0] = 0;
      data[static_cast<size_t>(n - 1)] = 255;
    }
    // a and b end where an inaccessible page starts: reading a[channels] faults.
    float* a = reinterpret_cast<float*>(a_arena.hi()) - channels;
    float* b = reinterpret_cast<float*>(b_arena.hi()) - channels;
    random_affine(rng, u8, channels, a, b);

    // Reference: the scalar table, contiguous planes; itself checked against x * a + b.
    std::vector<float> ref(static_cast<size_t>(n));
    std::snprintf(g_case, sizeof g_case, "scalar %s C=%lld W=%lld (reference run)", dtype,
                  static_cast<long long>(channels), static_cast<long long>(width));
    row_fn(*tables[0], static_cast<T*>(nullptr))(data.data(), width, channels, a, b, ref.data(),
                                                 width);
    ++cases;
    {
      int64_t bad = 0;
      uint32_t bad_got = 0, bad_want = 0;
      int64_t bad_c = 0, bad_x = 0;
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t x = 0; x < width; ++x) {
          const float prod = static_cast<float>(data[static_cast<size_t>(x * channels + c)]) * a[c];
          const uint32_t want = bits_of(prod + b[c]);
          const uint32_t got = bits_of(ref[static_cast<size_t>(c * width + x)]);
          if (!matches(got, want) && bad++ == 0) {
            bad_got = got;
            bad_want = want;
            bad_c = c;
            bad_x = x;
          }
        }
      if (bad)
        report(std::string("scalar vs x*a+b, ") + g_case,
               element_mismatch(data.data(), channels, a, b, bad_c, bad_x, bad_got, bad_want, bad));
    }

    const int64_t plane_stride = width + 16 + (width * 7 + channels) % 5;
    for (int sp = 0; sp < kSrcPlacements; ++sp) {
      unsigned char* p =
          sp < 4 ? src_arena.lo + static_cast<size_t>(sp) * sizeof(T) : src_arena.hi() - nbytes;
      std::memcpy(p, data.data(), nbytes);
      const T* s = reinterpret_cast<const T*>(p);
      for (int64_t doff = 0; doff <= kMaxDstOffset; ++doff) {
        float* buf = reinterpret_cast<float*>(dst_arena.lo);
        float* d = buf + kLead + doff;
        const int64_t total = kLead + doff + channels * plane_stride + kTrail;
        for (const KernelTable* k : tables) {
          std::snprintf(g_case, sizeof g_case,
                        "%s %s C=%lld W=%lld src=%s dst_offset=%lld plane_stride=%lld",
                        pixnorm::isa_name(k->isa), dtype, static_cast<long long>(channels),
                        static_cast<long long>(width), kSrcPlacementNames[sp],
                        static_cast<long long>(doff), static_cast<long long>(plane_stride));
          for (int64_t i = 0; i < total; ++i) std::memcpy(buf + i, &kSentinel, sizeof kSentinel);
          row_fn(*k, static_cast<T*>(nullptr))(s, width, channels, a, b, d, plane_stride);
          ++cases;
          verify(s, channels, width, a, b, ref, buf, doff, plane_stride, total);
        }
      }
    }
  }

  template <class T>
  void verify(const T* s, int64_t channels, int64_t width, const float* a, const float* b,
              const std::vector<float>& ref, const float* buf, int64_t doff, int64_t plane_stride,
              int64_t total) {
    const int64_t start = kLead + doff;  // index of plane 0, x 0 in buf
    int64_t bad = 0, bad_c = 0, bad_x = 0;
    for (int64_t c = 0; c < channels; ++c) {
      const float* row = buf + start + c * plane_stride;
      const float* want = ref.data() + c * width;
      if (std::memcmp(row, want, static_cast<size_t>(width) * sizeof(float)) == 0) continue;
      for (int64_t x = 0; x < width; ++x)
        if (!matches(load_bits(row + x), bits_of(want[x])) && bad++ == 0) {
          bad_c = c;
          bad_x = x;
        }
    }
    // Guard bands: everything in buf outside the plane rows must still be the sentinel.
    int64_t clobbered = 0, first_clobbered = 0;
    for (int64_t i = 0; i < total; ++i) {
      const int64_t rel = i - start;
      if (rel >= 0 && rel < channels * plane_stride && rel % plane_stride < width) continue;
      if (load_bits(buf + i) != kSentinel && clobbered++ == 0) first_clobbered = rel;
    }
    if (!bad && !clobbered) return;
    std::string what;
    if (bad)
      what = element_mismatch(s, channels, a, b, bad_c, bad_x,
                              load_bits(buf + start + bad_c * plane_stride + bad_x),
                              bits_of(ref[static_cast<size_t>(bad_c * width + bad_x)]), bad);
    if (clobbered) {
      char g[160];
      const int64_t rel = first_clobbered;
      if (rel < 0) {
        std::snprintf(g, sizeof g,
                      "%lld guard float(s) overwritten; first: %lld before plane 0's row",
                      static_cast<long long>(clobbered), static_cast<long long>(-rel));
      } else {
        const int64_t r = rel / plane_stride < channels ? rel / plane_stride : channels - 1;
        std::snprintf(g, sizeof g,
                      "%lld guard float(s) overwritten; first: %lld past the end of plane "
                      "%lld's row",
                      static_cast<long long>(clobbered),
                      static_cast<long long>(rel - r * plane_stride - width + 1),
                      static_cast<long long>(r));
      }
      what += what.empty() ? std::string(g) : std::string("; ") + g;
    }
    report(g_case, what);
  }
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t i = 0;
  for (size_t j; (j = s.find(sep, i)) != std::string::npos; i = j + 1)
    out.push_back(s.substr(i, j - i));
  out.push_back(s.substr(i));
  return out;
}

// ---- Statistics kernels (stats_*, normalize_pixel) -------------------------------------------
// Every table against the scalar table: per-channel uint8 sums (exact) and min/max; per-channel
// float32 (n, mean, m2, min, max) bit for bit (any NaN matches any NaN); per-pixel uint8 and
// float32 accumulators; normalize_pixel outputs with sentinels after the last element. Inputs
// end flush against an inaccessible page, so a read past the end faults. One large all-255 run
// crosses the SIMD kernels' uint32 flush (16384 groups) at the worst case.
bool same_f32(float a, float b) { return bits_of(a) == bits_of(b) || (a != a && b != b); }
bool same_f64(double a, double b) {
  uint64_t x, y;
  std::memcpy(&x, &a, sizeof x);
  std::memcpy(&y, &b, sizeof y);
  return x == y || (a != a && b != b);
}

struct StatsChecker {
  Checker& ck;
  Arena arena;

  template <class T>
  T* flush_end(size_t count) {  // room for `count` T that ends where the arena ends
    return reinterpret_cast<T*>(arena.hi()) - count;
  }

  // sparse: values 1..254 with a few 0s and 255s in random channels and places, and min/max
  // given as 0, 255 or anything (the avx512icl kernel leaves min/max out once every channel
  // has seen both: partial and late saturation, and saturation through the values given).
  void channels_u8(Rng& rng, int64_t channels, int64_t pixels, bool all255, bool sparse = false) {
    const int64_t count = pixels * channels;
    uint8_t* src = flush_end<uint8_t>(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i)
      src[i] = all255   ? 255
               : sparse ? static_cast<uint8_t>(1 + rng.below(254))
                        : static_cast<uint8_t>(rng.below(256));
    std::vector<uint8_t> lo_in(static_cast<size_t>(channels), 200),
        hi_in(static_cast<size_t>(channels), 20);
    if (sparse && count > 0) {
      for (int64_t e = rng.below(2 * static_cast<uint32_t>(channels) + 1); e > 0; --e)
        src[rng.below(static_cast<uint32_t>(count))] = rng.below(2) ? 0 : 255;
      for (size_t c = 0; c < lo_in.size(); ++c) {
        const uint32_t r = rng.below(4);
        lo_in[c] = r == 0 ? 0 : static_cast<uint8_t>(1 + rng.below(254));
        hi_in[c] = r == 1 ? 255 : static_cast<uint8_t>(rng.below(255));
        if (r == 2) lo_in[c] = 0, hi_in[c] = 255;
      }
    }
    std::vector<uint64_t> s0, q0;
    std::vector<uint8_t> lo0, hi0;
    for (size_t t = 0; t < ck.tables.size(); ++t) {
      std::vector<uint64_t> s(static_cast<size_t>(channels), 7),
          q(static_cast<size_t>(channels), 9);
      std::vector<uint8_t> lo = lo_in, hi = hi_in;
      std::snprintf(g_case, sizeof g_case, "%s stats_u8 C=%lld pixels=%lld",
                    pixnorm::isa_name(ck.tables[t]->isa), static_cast<long long>(channels),
                    static_cast<long long>(pixels));
      ck.tables[t]->stats_u8(src, count, channels, s.data(), q.data(), lo.data(), hi.data());
      ++ck.cases;
      if (t == 0) {
        s0 = s, q0 = q, lo0 = lo, hi0 = hi;
        if (all255 && (s[0] != 7 + 255u * static_cast<uint64_t>(pixels) ||
                       q[0] != 9 + 65025u * static_cast<uint64_t>(pixels)))
          ck.report(g_case, "scalar sums of 255s are wrong");
      } else if (s != s0 || q != q0 || lo != lo0 || hi != hi0) {
        ck.report(g_case, "differs from scalar");
      }
    }
  }

  void channels_f32(Rng& rng, int64_t channels, int64_t pixels) {
    const int64_t count = pixels * channels;
    float* src = flush_end<float>(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i)
      src[i] = rng.below(50) ? rng.uniform(-1000.0f, 1000.0f) + 1e5f : random_input(rng);
    const auto C = static_cast<size_t>(channels);
    std::vector<int64_t> n0;
    std::vector<double> m0, q0;
    std::vector<float> lo0, hi0;
    for (size_t t = 0; t < ck.tables.size(); ++t) {
      std::vector<int64_t> n(C, 3);
      std::vector<double> m(C, 1.5), q(C, 0.25);
      std::vector<float> lo(C, 0.0f), hi(C, 1.0f);
      std::snprintf(g_case, sizeof g_case, "%s stats_f32 C=%lld pixels=%lld",
                    pixnorm::isa_name(ck.tables[t]->isa), static_cast<long long>(channels),
                    static_cast<long long>(pixels));
      ck.tables[t]->stats_f32(src, count, channels, n.data(), m.data(), q.data(), lo.data(),
                              hi.data());
      ++ck.cases;
      if (t == 0) {
        n0 = n, m0 = m, q0 = q, lo0 = lo, hi0 = hi;
        continue;
      }
      bool ok = n == n0;
      for (size_t c = 0; c < C; ++c)
        ok = ok && same_f64(m[c], m0[c]) && same_f64(q[c], q0[c]) && same_f32(lo[c], lo0[c]) &&
             same_f32(hi[c], hi0[c]);
      if (!ok) ck.report(g_case, "differs from scalar");
    }
  }

  // uint16 per channel and per pixel: every table against the scalar one and against sums
  // computed here (exact integers: any difference is a defect), inputs flush against the guard
  // page, min/max given in the middle of the range.
  void u16(Rng& rng, int64_t channels, int64_t pixels, int64_t images) {
    const int64_t count = pixels * channels;
    const int64_t stride = count + static_cast<int64_t>(rng.below(3));
    const int64_t span = (images - 1) * stride + count;
    uint16_t* src = flush_end<uint16_t>(static_cast<size_t>(span));
    for (int64_t i = 0; i < span; ++i)
      src[i] = rng.below(9) ? static_cast<uint16_t>(rng.below(65536)) : (rng.below(2) ? 0 : 65535);
    const auto C = static_cast<size_t>(channels), n = static_cast<size_t>(count);
    std::vector<uint64_t> ws(C, 3), wq(C, 5);  // the sums computed here
    std::vector<uint16_t> wlo(C, 40000), whi(C, 20000);
    for (int64_t i = 0; i < count; ++i) {
      const size_t c = static_cast<size_t>(i % channels);
      ws[c] += src[i];
      wq[c] += static_cast<uint64_t>(src[i]) * src[i];
      wlo[c] = std::min(wlo[c], src[i]);
      whi[c] = std::max(whi[c], src[i]);
    }
    std::vector<uint64_t> w1(n, 7), w2(n, 9);
    std::vector<uint16_t> plo(n, 40000), phi(n, 20000);
    for (int64_t im = 0; im < images; ++im)
      for (size_t j = 0; j < n; ++j) {
        const uint16_t x = src[static_cast<size_t>(im * stride) + j];
        w1[j] += x;
        w2[j] += static_cast<uint64_t>(x) * x;
        plo[j] = std::min(plo[j], x);
        phi[j] = std::max(phi[j], x);
      }
    for (size_t t = 0; t < ck.tables.size(); ++t) {
      const KernelTable& k = *ck.tables[t];
      std::snprintf(g_case, sizeof g_case, "%s stats_u16 C=%lld pixels=%lld images=%lld",
                    pixnorm::isa_name(k.isa), static_cast<long long>(channels),
                    static_cast<long long>(pixels), static_cast<long long>(images));
      std::vector<uint64_t> s(C, 3), q(C, 5);
      std::vector<uint16_t> lo(C, 40000), hi(C, 20000);
      k.stats_u16(src, count, channels, s.data(), q.data(), lo.data(), hi.data());
      std::vector<uint64_t> a(n, 7), b(n, 9);
      std::vector<uint16_t> pl(n, 40000), ph(n, 20000);
      k.stats_pixel_u16(src, images, stride, count, a.data(), b.data(), pl.data(), ph.data());
      ck.cases += 2;
      if (s != ws || q != wq || lo != wlo || hi != whi) ck.report(g_case, "per channel sums");
      if (a != w1 || b != w2 || pl != plo || ph != phi) ck.report(g_case, "per pixel sums");
    }
  }

  void pixels(Rng& rng, int64_t count, int64_t images) {
    const int64_t stride = count + static_cast<int64_t>(rng.below(5));
    const int64_t span = (images - 1) * stride + count;
    uint8_t* src = flush_end<uint8_t>(static_cast<size_t>(span));
    for (int64_t i = 0; i < span; ++i) src[i] = static_cast<uint8_t>(rng.below(256));
    std::vector<float> fsrc(static_cast<size_t>(span));
    for (float& f : fsrc) f = random_input(rng);
    const auto n = static_cast<size_t>(count);
    std::vector<uint32_t> a0, b0;
    std::vector<uint8_t> lo0, hi0;
    std::vector<double> m0, q0;
    std::vector<float> flo0, fhi0, out0;
    std::vector<float> pa(n), pb(n), data(n);
    for (size_t j = 0; j < n; ++j) {
      pa[j] = rng.uniform(-3.0f, 3.0f);
      pb[j] = rng.uniform(-3.0f, 3.0f);
      data[j] = random_input(rng);
    }
    for (size_t t = 0; t < ck.tables.size(); ++t) {
      const KernelTable& k = *ck.tables[t];
      std::snprintf(g_case, sizeof g_case, "%s stats_pixel count=%lld images=%lld",
                    pixnorm::isa_name(k.isa), static_cast<long long>(count),
                    static_cast<long long>(images));
      std::vector<uint32_t> a(n, 11), b(n, 13);
      std::vector<uint8_t> lo(n, 128), hi(n, 127);
      k.stats_pixel_u8(src, images, stride, count, a.data(), b.data(), lo.data(), hi.data());
      std::vector<double> m(n, 0.5), q(n, 0.0);
      std::vector<float> flo(n, 0.0f), fhi(n, 0.0f);
      k.stats_pixel_f32(fsrc.data(), images, stride, count, 1, m.data(), q.data(), flo.data(),
                        fhi.data());
      std::vector<float> out(n + 8, float_of(kSentinel));
      std::copy(data.begin(), data.end(), out.begin());
      k.normalize_pixel(out.data(), pa.data(), pb.data(), count);
      // from uint8 (the first `count` bytes of the images), into a row between sentinels
      std::vector<float> out8(n + 8, float_of(kSentinel));
      k.normalize_pixel_u8(src, pa.data(), pb.data(), count, out8.data());
      ck.cases += 4;
      for (size_t j = 0; j < n; ++j)
        if (!same_f32(out8[j], static_cast<float>(src[j]) * pa[j] + pb[j])) {
          ck.report(g_case, "normalize_pixel_u8 is not float(x) * a + b");
          break;
        }
      for (size_t j = n; j < out8.size(); ++j)
        if (load_bits(&out8[j]) != kSentinel) {
          ck.report(g_case, "normalize_pixel_u8 wrote past its row");
          break;
        }
      if (t == 0) {
        a0 = a, b0 = b, lo0 = lo, hi0 = hi, m0 = m, q0 = q, flo0 = flo, fhi0 = fhi, out0 = out;
        for (size_t j = 0; j < n; ++j)
          if (!same_f32(out[j], data[j] * pa[j] + pb[j])) {
            ck.report(g_case, "scalar normalize_pixel is not x * a + b");
            break;
          }
        continue;
      }
      if (a != a0 || b != b0 || lo != lo0 || hi != hi0) ck.report(g_case, "uint8 differs");
      bool ok = true;
      for (size_t j = 0; j < n; ++j)
        ok = ok && same_f64(m[j], m0[j]) && same_f64(q[j], q0[j]) && same_f32(flo[j], flo0[j]) &&
             same_f32(fhi[j], fhi0[j]);
      if (!ok) ck.report(g_case, "float32 differs");
      for (size_t j = 0; j < n + 8; ++j)
        if (!same_f32(out[j], out0[j]) || (j >= n && bits_of(out[j]) != kSentinel)) {
          ck.report(g_case, "normalize_pixel differs or wrote past the end");
          break;
        }
    }
  }

  void run() {
    Rng rng;
    for (int64_t c = 1; c <= 7; ++c) {
      for (int64_t p = 0; p <= 130; ++p) {
        channels_u8(rng, c, p, false);
        channels_f32(rng, c, p);
      }
      for (int64_t p : {1000, 4099}) {
        channels_u8(rng, c, p, false);
        channels_f32(rng, c, p);
      }
    }
    for (int64_t c = 1; c <= 5; ++c)  // partial, late and given saturation of min/max
      for (int64_t p : {1, 40, 64, 65, 100, 700, 2048, 4099, 6144, 70001})
        for (int rep = 0; rep < 12; ++rep) channels_u8(rng, c, p, false, true);
    channels_u8(rng, 3, (16384 * 192 + 777) / 3 * 2, true);  // crosses the uint32 flush
    // and the int32 folds of the avx512icl kernel (every 8192 steps of 64 or 192 bytes)
    for (int64_t c : {1, 2, 3, 4}) channels_u8(rng, c, (8192 * 192 * 2 + 4097) / c, true);
    for (int64_t count = 1; count <= 300; count += count < 40 ? 1 : 17)
      for (int64_t images : {1, 2, 5}) pixels(rng, count, images);
    for (int64_t c = 1; c <= 10; ++c)  // 9, 10: past the kernel's blocked channel counts
      for (int64_t p : {1, 15, 16, 17, 33, 100, 1001, 4099})
        for (int64_t images : {1, 3}) u16(rng, c, p, images);
  }
};

// Resampling kernels (resize_h, resize_v, store_u8 and the fixed-point passes):
// every table against scalar, bit for bit, on random monotonic windows and weights.
// Level parameters (see LevelsF32) whose FMA-corrected quotients equal the float32 divisions on
// all 256 levels, as level_params checks before it allows them; one factor for all channels.
std::vector<pixnorm::LevelParams> fast_levels(Rng& rng, int64_t channels) {
  std::vector<pixnorm::LevelParams> lv(static_cast<size_t>(channels));
  const bool divide = rng.below(2) == 1;
  const float factor = divide ? 255.0f : 1.0f / 255.0f;
  const auto cq = [](float a, float d, float r) {
    const float y = a * r;
    return std::fma(std::fma(-y, d, a), r, y);
  };
  for (int64_t c = 0; c < channels; ++c) {
    pixnorm::LevelParams& q = lv[static_cast<size_t>(c)];
    for (bool ok = false; !ok;) {
      const float m = rng.uniform(-1.0f, 1.0f), sd = rng.uniform(0.01f, 3.0f);
      const float rf = 1.0f / factor, rs = 1.0f / sd;
      ok = true;
      for (int v = 0; v < 256 && ok; ++v) {
        const float x = static_cast<float>(v);
        const volatile float te = divide ? x / factor : x * factor;
        const volatile float ue = te - m;
        const float exact = ue / sd;
        const float quick = cq((divide ? cq(x, factor, rf) : x * factor) - m, sd, rs);
        ok = std::memcmp(&exact, &quick, sizeof exact) == 0;
      }
      q.factor = factor;
      q.divide = divide;
      q.mean = m;
      q.std = sd;
      q.fast = true;
      q.inv_factor = rf;
      q.inv_std = rs;
    }
  }
  return lv;
}

struct ResizeChecker {
  Checker& ck;

  template <class T>
  void compare(const char* what, const std::vector<T>& got, const std::vector<T>& want, size_t t) {
    ++ck.cases;
    bool ok = got.size() == want.size();
    for (size_t i = 0; ok && i < got.size(); ++i) {
      if constexpr (std::is_same_v<T, float>)
        ok = same_f32(got[i], want[i]);
      else
        ok = got[i] == want[i];
    }
    if (!ok) {
      ++ck.mismatches;
      std::printf("MISMATCH %s on %s\n", what, pixnorm::isa_name(ck.tables[t]->isa));
    }
  }

  // Monotonic starts (reversed when `mirror`) in [0, in - taps].
  // Monotonic window starts, 0 to max_step - 1 samples apart.
  std::vector<int32_t> starts(Rng& rng, int64_t n, int64_t in, int64_t taps, bool mirror,
                              uint32_t max_step) {
    std::vector<int32_t> st(static_cast<size_t>(n));
    int64_t cur = 0;
    for (int64_t x = 0; x < n; ++x) {
      cur = std::min<int64_t>(in - taps, cur + static_cast<int64_t>(rng.below(max_step)));
      st[static_cast<size_t>(x)] = static_cast<int32_t>(cur);
    }
    if (mirror) std::reverse(st.begin(), st.end());
    return st;
  }

  // bilinear2_u8: both source rows flush against an inaccessible page (at their end, or at
  // their start), horizontal steps from upscales to 12x downscales (every VBMI window case and
  // the gather fallback), mirrored or not; the output row sits between sentinels.
  void run_bilinear2(Rng& rng) {
    Arena rows[2] = {make_arena(1 << 16), make_arena(1 << 16)};
    Arena starts = make_arena(1 << 12);  // window starts flush against a guard page too
    for (int64_t channels = 1; channels <= kMaxChannels; ++channels)
      for (int64_t n : {1, 5, 15, 16, 17, 33, 64, 100, 231})
        for (int64_t step_max : {1, 2, 4, 7, 13})  // source pixels between outputs: 0..step_max-1
          for (int place = 0; place < 2; ++place) {
            const bool mirror = rng.below(2) == 1;
            // (one output: rows of 2 to 4 pixels, where 4-byte reads of one channel must stay
            // inside)
            const int64_t in = n == 1 ? 2 + static_cast<int64_t>(rng.below(3))
                                      : n * step_max + 2 + static_cast<int64_t>(rng.below(9));
            std::vector<int32_t> st(static_cast<size_t>(n));
            int64_t cur = static_cast<int64_t>(rng.below(3));
            for (int64_t x = 0; x < n; ++x) {
              cur = std::min<int64_t>(in - 2, cur);
              st[static_cast<size_t>(x)] = static_cast<int32_t>(cur);
              cur += static_cast<int64_t>(rng.below(static_cast<uint32_t>(step_max)));
              if (step_max > 1 && rng.below(4) == 0) cur += step_max - 1;  // spread the extremes
            }
            if (place == 0) st.back() = static_cast<int32_t>(in - 2);  // reads the row's last byte
            if (mirror) std::reverse(st.begin(), st.end());
            const int64_t bytes = in * channels;
            const uint8_t* r[2];
            for (int k = 0; k < 2; ++k) {
              unsigned char* p = place == 0 ? rows[k].hi() - bytes : rows[k].lo;
              for (int64_t i = 0; i < bytes; ++i) p[i] = static_cast<uint8_t>(rng.below(256));
              r[k] = p;
            }
            std::vector<int32_t> kx(static_cast<size_t>(n));
            for (int32_t& k : kx) {
              const int32_t k0 =
                  static_cast<int32_t>(rng.below((1u << pixnorm::kBilinearBits) + 1));
              k = k0 | (((1 << pixnorm::kBilinearBits) - k0) << 16);
            }
            const float wy0 = static_cast<float>(rng.below(1000)) / 999.0f, wy1 = 1.0f - wy0;
            float a[kMaxChannels], b[kMaxChannels];
            random_affine(rng, true, channels, a, b);
            const int64_t stride = n + 7, lead = 5;
            std::vector<std::vector<float>> outs;
            for (size_t t = 0; t < ck.tables.size(); ++t) {
              std::vector<float> d(static_cast<size_t>(lead + channels * stride + 5),
                                   float_of(kSentinel));
              std::snprintf(g_case, sizeof g_case, "bilinear2_u8 %s C=%lld n=%lld step<=%lld",
                            pixnorm::isa_name(ck.tables[t]->isa), static_cast<long long>(channels),
                            static_cast<long long>(n), static_cast<long long>(step_max));
              ck.tables[t]->bilinear2_u8(r[0], r[1], wy0, wy1, channels, st.data(), kx.data(), n, a,
                                         b, d.data() + lead, stride);
              // everything but the n outputs of each plane must still be the sentinel
              for (int64_t i = 0; i < static_cast<int64_t>(d.size()); ++i) {
                const int64_t rel = i - lead;
                const bool output = rel >= 0 && rel < channels * stride && rel % stride < n;
                if (!output && load_bits(&d[static_cast<size_t>(i)]) != kSentinel) {
                  ++ck.mismatches;
                  std::printf("MISMATCH %s: wrote outside its output (float %lld)\n", g_case,
                              static_cast<long long>(i));
                  break;
                }
              }
              outs.push_back(d);
              compare("bilinear2_u8", outs[t], outs[0], t);
            }
            // resize_h_u8_fixed on row 0: even tap counts, windows inside the row, 15- and
            // 22-bit weights (the latter split in 11-bit halves)
            for (int64_t taps : {2, 4, 6, 8, 10, 12, 16, 20}) {
              if (taps > in) continue;
              std::vector<int32_t> hs(static_cast<size_t>(n));
              for (int64_t x = 0; x < n; ++x)
                hs[static_cast<size_t>(x)] =
                    std::min<int32_t>(st[static_cast<size_t>(x)], static_cast<int32_t>(in - taps));
              if (place == 0)
                hs[mirror ? 0 : static_cast<size_t>(n - 1)] = static_cast<int32_t>(in - taps);
              // the kernels read the starts from the end of a page: none may read past start[n - 1]
              int32_t* hsg = reinterpret_cast<int32_t*>(starts.hi()) - n;
              std::copy(hs.begin(), hs.end(), hsg);
              for (int variant = 0; variant < 4; ++variant) {
                const bool split = variant & 1;
                // negative weights too (bicubic, lanczos): about a third of them, as low as
                // -2^15 (words) or -2^22 / taps (split)
                const bool neg = variant & 2;
                const int64_t pairs = taps / 2;
                std::vector<int32_t> kp(static_cast<size_t>(pairs * n)), kph(split ? kp.size() : 0);
                std::vector<int32_t> kw(static_cast<size_t>(taps * n));  // kw[t * n + x]
                const uint32_t kmax = split ? (1u << 22) / static_cast<uint32_t>(taps) : 32767u;
                const auto weight = [&] {
                  const auto v = static_cast<int32_t>(rng.below(kmax));
                  if (!neg || rng.below(3) != 0) return v;
                  return split ? -v : -1 - v;  // down to -2^15 for words
                };
                for (size_t i = 0; i < kp.size(); ++i) {
                  // the first weight of a split set is 2^22 itself (a weight of 1.0)
                  const int32_t a = split && i == 0 ? (1 << 22) : weight();
                  const int32_t b = weight();
                  const int32_t mask = split ? 2047 : 0xFFFF;
                  kp[i] = pixnorm::word_pair(a & mask, b & mask);
                  if (split) kph[i] = pixnorm::word_pair(a >> 11, b >> 11);
                  kw[2 * (i / static_cast<size_t>(n)) * static_cast<size_t>(n) +
                     i % static_cast<size_t>(n)] = a;
                  kw[(2 * (i / static_cast<size_t>(n)) + 1) * static_cast<size_t>(n) +
                     i % static_cast<size_t>(n)] = b;
                }
                // 7 bits: too few to fold the rounding half into resize_h_u8_digits' top digit
                const int bits = split ? 22 : std::array<int, 3>{7, 14, 15}[rng.below(3)];
                std::vector<std::vector<uint8_t>> houts;
                for (size_t t = 0; t < ck.tables.size(); ++t) {
                  std::vector<uint8_t> d(static_cast<size_t>(lead + channels * stride + 5), 0xA5);
                  std::snprintf(
                      g_case, sizeof g_case, "resize_h_u8_fixed %s C=%lld n=%lld taps=%lld",
                      pixnorm::isa_name(ck.tables[t]->isa), static_cast<long long>(channels),
                      static_cast<long long>(n), static_cast<long long>(taps));
                  ck.tables[t]->resize_h_u8_fixed(r[0], channels, hsg, kp.data(),
                                                  split ? kph.data() : nullptr, taps, n, bits,
                                                  d.data() + lead, stride);
                  for (int64_t i = 0; i < static_cast<int64_t>(d.size()); ++i) {
                    const int64_t rel = i - lead;
                    const bool output = rel >= 0 && rel < channels * stride && rel % stride < n;
                    if (!output && d[static_cast<size_t>(i)] != 0xA5) {
                      ++ck.mismatches;
                      std::printf("MISMATCH %s: wrote outside its output\n", g_case);
                      break;
                    }
                  }
                  houts.push_back(d);
                  compare("resize_h_u8_fixed", houts[t], houts[0], t);
                }
                {  // the scalar table against the contract's formula on the weights themselves
                  std::vector<uint8_t> want(houts[0]);
                  for (int64_t c = 0; c < channels; ++c)
                    for (int64_t x = 0; x < n; ++x) {
                      int64_t acc = int64_t{1} << (bits - 1);
                      for (int64_t t2 = 0; t2 < taps; ++t2)
                        acc += int64_t{kw[static_cast<size_t>(t2 * n + x)]} *
                               r[0][(hsg[x] + t2) * channels + c];
                      const int64_t v = acc >> bits;  // floor, as the arithmetic shift
                      want[static_cast<size_t>(lead + c * stride + x)] =
                          static_cast<uint8_t>(v < 0     ? 0
                                               : v > 255 ? 255
                                                         : v);
                    }
                  std::snprintf(g_case, sizeof g_case,
                                "resize_h_u8_fixed formula C=%lld n=%lld taps=%lld split=%d neg=%d",
                                static_cast<long long>(channels), static_cast<long long>(n),
                                static_cast<long long>(taps), split ? 1 : 0, neg ? 1 : 0);
                  compare("resize_h_u8_fixed formula", houts[0], want, 0);
                }
                // two rows at once: the same as one call per row (row 1 against the scalar table)
                std::vector<uint8_t> one1(static_cast<size_t>(lead + channels * stride + 5), 0xA5);
                ck.tables[0]->resize_h_u8_fixed(r[1], channels, hsg, kp.data(),
                                                split ? kph.data() : nullptr, taps, n, bits,
                                                one1.data() + lead, stride);
                for (size_t t = 0; t < ck.tables.size(); ++t) {
                  std::vector<uint8_t> d0(one1.size(), 0xA5), d1(one1.size(), 0xA5);
                  std::snprintf(
                      g_case, sizeof g_case, "resize_h_u8_fixed2 %s C=%lld n=%lld taps=%lld",
                      pixnorm::isa_name(ck.tables[t]->isa), static_cast<long long>(channels),
                      static_cast<long long>(n), static_cast<long long>(taps));
                  ck.tables[t]->resize_h_u8_fixed2(r[0], r[1], channels, hsg, kp.data(),
                                                   split ? kph.data() : nullptr, taps, n, bits,
                                                   d0.data() + lead, d1.data() + lead, stride);
                  compare("resize_h_u8_fixed2 row 0", d0, houts[0], t);
                  compare("resize_h_u8_fixed2 row 1", d1, one1, t);
                }
                // the same weights in signed byte digits, four taps per dword (tables that
                // have resize_h_u8_digits), two rows and one, against the scalar pairs pass
                if (taps % 4 == 0)
                  for (int64_t digits : {2, 3}) {
                    if (digits == 2 && (*std::max_element(kw.begin(), kw.end()) > 127 * 257 ||
                                        *std::min_element(kw.begin(), kw.end()) < -128 * 257))
                      continue;
                    std::vector<int32_t> kq(static_cast<size_t>(taps / 4 * digits * n), 0);
                    for (int64_t t4 = 0; t4 < taps; ++t4)
                      for (int64_t x = 0; x < n; ++x) {
                        int32_t rest = kw[static_cast<size_t>(t4 * n + x)];
                        for (int64_t dg = 0; dg < digits; ++dg) {
                          const int32_t dig = ((rest + 128) & 255) - 128;
                          rest = (rest - dig) / 256;
                          kq[static_cast<size_t>(((t4 / 4) * digits + dg) * n + x)] |=
                              static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint8_t>(dig))
                                                   << (8 * (t4 % 4)));
                        }
                      }
                    for (size_t t = 0; t < ck.tables.size(); ++t) {
                      if (!ck.tables[t]->resize_h_u8_digits) continue;
                      std::vector<uint8_t> d0(one1.size(), 0xA5), d1(one1.size(), 0xA5),
                          s0(one1.size(), 0xA5);
                      std::snprintf(g_case, sizeof g_case,
                                    "resize_h_u8_digits %s C=%lld n=%lld taps=%lld D=%lld",
                                    pixnorm::isa_name(ck.tables[t]->isa),
                                    static_cast<long long>(channels), static_cast<long long>(n),
                                    static_cast<long long>(taps), static_cast<long long>(digits));
                      ck.tables[t]->resize_h_u8_digits(r[0], r[1], channels, hsg, kq.data(), digits,
                                                       taps, n, bits, d0.data() + lead,
                                                       d1.data() + lead, stride);
                      ck.tables[t]->resize_h_u8_digits(r[0], nullptr, channels, hsg, kq.data(),
                                                       digits, taps, n, bits, s0.data() + lead,
                                                       nullptr, stride);
                      compare("resize_h_u8_digits row 0", d0, houts[0], t);
                      compare("resize_h_u8_digits row 1", d1, one1, t);
                      compare("resize_h_u8_digits one row", s0, houts[0], t);
                    }
                  }
              }
            }
            // the named conventions' integer version, both modes, uint8 planes between guards
            for (int mode : {pixnorm::kFixedTorch, pixnorm::kFixedOpencv}) {
              const bool torch = mode == pixnorm::kFixedTorch;
              const int bx = torch ? 14 + static_cast<int>(rng.below(2)) : 0;
              const int by = torch ? 14 + static_cast<int>(rng.below(2)) : 0;
              const uint32_t one = torch ? (1u << bx) - 1 : 2048u;
              std::vector<int32_t> kf(static_cast<size_t>(n));
              for (int32_t& k : kf) {
                const int32_t k0 = static_cast<int32_t>(rng.below(one + 1));
                k = k0 | ((static_cast<int32_t>(one) - k0) << 16);
              }
              const uint32_t yone = torch ? (1u << by) - 1 : 2048u;
              const int32_t ky0 = static_cast<int32_t>(rng.below(yone + 1));
              const int32_t ky1 = static_cast<int32_t>(yone) - ky0;
              std::vector<std::vector<uint8_t>> fouts;
              for (size_t t = 0; t < ck.tables.size(); ++t) {
                std::vector<uint8_t> d(static_cast<size_t>(lead + channels * stride + 5), 0xA5);
                std::snprintf(g_case, sizeof g_case, "bilinear2_fixed %s mode=%d C=%lld n=%lld",
                              pixnorm::isa_name(ck.tables[t]->isa), mode,
                              static_cast<long long>(channels), static_cast<long long>(n));
                ck.tables[t]->bilinear2_fixed(r[0], r[1], ky0, ky1, channels, st.data(), kf.data(),
                                              n, mode, bx, by, d.data() + lead, stride, nullptr,
                                              nullptr);
                for (int64_t i = 0; i < static_cast<int64_t>(d.size()); ++i) {
                  const int64_t rel = i - lead;
                  const bool output = rel >= 0 && rel < channels * stride && rel % stride < n;
                  if (!output && d[static_cast<size_t>(i)] != 0xA5) {
                    ++ck.mismatches;
                    std::printf("MISMATCH %s: wrote outside its output (byte %lld)\n", g_case,
                                static_cast<long long>(i));
                    break;
                  }
                }
                fouts.push_back(d);
                compare(torch ? "bilinear2_fixed torch" : "bilinear2_fixed opencv", fouts[t],
                        fouts[0], t);
              }
              // levels mapped to float planes inside the kernel (only with parameters whose
              // FMA-corrected quotients equal the divisions on all 256 levels, as level_params
              // checks), between sentinels
              const std::vector<pixnorm::LevelParams> lv = fast_levels(rng, channels);
              std::vector<std::vector<float>> lvouts;
              for (size_t t = 0; t < ck.tables.size(); ++t) {
                std::vector<float> d(static_cast<size_t>(lead + channels * stride + 5),
                                     float_of(kSentinel));
                std::snprintf(g_case, sizeof g_case,
                              "bilinear2_fixed levels %s mode=%d C=%lld n=%lld",
                              pixnorm::isa_name(ck.tables[t]->isa), mode,
                              static_cast<long long>(channels), static_cast<long long>(n));
                ck.tables[t]->bilinear2_fixed(r[0], r[1], ky0, ky1, channels, st.data(), kf.data(),
                                              n, mode, bx, by, nullptr, stride, lv.data(),
                                              d.data() + lead);
                for (int64_t i = 0; i < static_cast<int64_t>(d.size()); ++i) {
                  const int64_t rel = i - lead;
                  const bool output = rel >= 0 && rel < channels * stride && rel % stride < n;
                  if (!output && load_bits(&d[static_cast<size_t>(i)]) != kSentinel) {
                    ++ck.mismatches;
                    std::printf("MISMATCH %s: wrote outside its output\n", g_case);
                    break;
                  }
                }
                lvouts.push_back(d);
                compare("bilinear2_fixed levels", lvouts[t], lvouts[0], t);
              }
            }
          }
    std::snprintf(g_case, sizeof g_case, "(between checks)");
  }

  // resize_v_u8_int on weights at the edges of the int16 contract and of byte and 7-bit splits
  // (-32768, 32767, around 128, 256 and 32640), every table against the exact sum; rows of 0,
  // 255 and random bytes, lengths around 16-, 32- and 64-column steps
  void run_weight_edges(Rng& rng) {
    constexpr int32_t kEdges[] = {-32768, -32767, -32640, -32639, -129, -128, -127,  -1,    0,
                                  1,      127,    128,    129,    255,  256,  32639, 32640, 32767};
    constexpr int64_t kEdgeCount = sizeof kEdges / sizeof kEdges[0];
    for (int64_t taps : {1, 2, 3, 4, 5, 7, 8, 9, 13})
      for (int64_t len : {1, 15, 63, 64, 65, 130, 200})
        for (int rep = 0; rep < 4; ++rep) {
          std::vector<std::vector<uint8_t>> rows(static_cast<size_t>(taps));
          std::vector<const uint8_t*> rp;
          for (auto& r : rows) {
            r.resize(static_cast<size_t>(len));
            for (uint8_t& v : r)
              v = rep == 0   ? 255
                  : rep == 1 ? static_cast<uint8_t>(rng.below(2) * 255)
                             : static_cast<uint8_t>(rng.below(256));
            rp.push_back(r.data());
          }
          std::vector<int32_t> k(static_cast<size_t>(taps));
          int64_t magnitude = 0;  // the contract: 255 * sum |k| < 2^24
          for (int32_t& w : k) {
            w = kEdges[rng.below(static_cast<uint32_t>(kEdgeCount))];
            if (255 * (magnitude + std::abs(int64_t{w})) >= (int64_t{1} << 24)) w = 129;
            magnitude += std::abs(int64_t{w});
          }
          std::vector<float> want(static_cast<size_t>(len));
          for (int64_t i = 0; i < len; ++i) {
            int64_t acc = 0;
            for (int64_t t = 0; t < taps; ++t)
              acc += int64_t{k[static_cast<size_t>(t)]} *
                     rows[static_cast<size_t>(t)][static_cast<size_t>(i)];
            want[static_cast<size_t>(i)] = static_cast<float>(acc);
          }
          for (size_t t = 0; t < ck.tables.size(); ++t) {
            std::vector<float> got(static_cast<size_t>(len));
            ck.tables[t]->resize_v_u8_int(rp.data(), k.data(), taps, len, got.data());
            compare("resize_v_u8_int (weight edges)", got, want, t);
          }
        }
  }

  void run() {
    Rng rng;
    run_bilinear2(rng);
    run_weight_edges(rng);
    // steps of up to 3 samples between outputs (mostly permute windows) and up to 7 (the
    // gather paths); 33, 64 and 65 taps: the 32-pair limit of the integer vertical passes
    constexpr std::pair<uint32_t, int64_t> kShapes[] = {{4, 1}, {4, 2}, {4, 3}, {4, 4},
                                                        {8, 1}, {8, 2}, {8, 3}, {8, 4}};
    for (int64_t n : {1, 5, 15, 16, 17, 33, 64, 100}) {
      for (int64_t taps : {1, 2, 3, 4, 7, 12, 33, 64, 65}) {
        for (const auto& [max_step, planes] : kShapes) {  // (step bound, channels)
          const bool mirror = rng.below(2) == 1;
          const int64_t in = (max_step - 2) * n + taps + static_cast<int64_t>(rng.below(40));
          const int64_t sstride = in + 40;  // 32 floats readable past the last tap
          const std::vector<int32_t> st = starts(rng, n, in, taps, mirror, max_step);
          std::vector<float> src(static_cast<size_t>(planes * sstride)),
              w(static_cast<size_t>(n * taps));
          for (float& v : src) v = static_cast<float>(rng.below(256)) * 0.37f - 20.0f;
          for (float& v : w) v = static_cast<float>(rng.below(1000)) / 997.0f;
          std::vector<float> wt(w.size());
          for (int64_t x = 0; x < n; ++x)
            for (int64_t k = 0; k < taps; ++k)
              wt[static_cast<size_t>(k * n + x)] = w[static_cast<size_t>(x * taps + k)];
          std::vector<std::vector<float>> outs;
          for (size_t t = 0; t < ck.tables.size(); ++t) {
            std::vector<float> d(static_cast<size_t>(planes * n));
            ck.tables[t]->resize_h(src.data(), sstride, planes, st.data(), w.data(), wt.data(),
                                   taps, n, d.data(), n);
            outs.push_back(d);
            compare("resize_h", outs[t], outs[0], t);
          }
          // An affine kernel's output (`sums` times a[c] plus b[c], a multiply then an add) into
          // planes between sentinels, in reverse order too: write(a, b, dst, plane_step) of
          // table t against the formula
          const auto check_affine = [&](const char* what, const std::vector<float>& sums, size_t t,
                                        const auto& write) {
            float a[4], b[4];
            for (int c = 0; c < 4; ++c) {
              a[c] = static_cast<float>(rng.below(1000)) / 211.0f - 2.0f;
              b[c] = static_cast<float>(rng.below(1000)) / 307.0f - 1.5f;
            }
            const int64_t stride = n + 3, lead = 2;
            const bool reversed = rng.below(2) == 1;
            const int64_t first = lead + (reversed ? (planes - 1) * stride : 0);
            const int64_t ps = reversed ? -stride : stride;
            const size_t total = static_cast<size_t>(lead + planes * stride + 2);
            std::vector<float> want(total, float_of(kSentinel)), got(total, float_of(kSentinel));
            for (int64_t c = 0; c < planes; ++c)
              for (int64_t x = 0; x < n; ++x) {
                const float prod = sums[static_cast<size_t>(c * n + x)] * a[c];
                want[static_cast<size_t>(first + c * ps + x)] = prod + b[c];
              }
            std::snprintf(g_case, sizeof g_case, "%s on %s", what,
                          pixnorm::isa_name(ck.tables[t]->isa));
            write(a, b, got.data() + first, ps);
            compare(what, got, want, t);
          };
          // resize_h_affine (tables that have it): the scalar resize_h's sums
          for (size_t t = 0; t < ck.tables.size(); ++t) {
            const pixnorm::KernelTable& k = *ck.tables[t];
            if (!k.resize_h_affine) continue;
            check_affine("resize_h_affine", outs[0], t,
                         [&](const float* a, const float* b, float* d, int64_t ps) {
                           k.resize_h_affine(src.data(), sstride, planes, st.data(), w.data(),
                                             wt.data(), taps, n, a, b, d, ps);
                         });
          }
          // resize_h_affine_f16 (tables that have it): the scalar resize_h's sums times a[c] plus
          // b[c], rounded by the scalar table's store_f16, into uint16 planes between sentinels,
          // in reverse order too; scales up to 2^9 (beyond 65504: infinity) and down to 2^-20
          // (subnormal float16)
          for (size_t t = 0; t < ck.tables.size(); ++t) {
            if (!ck.tables[t]->resize_h_affine_f16) continue;
            float a[4], b[4];
            for (int c = 0; c < 4; ++c) {
              const float scale = std::ldexp(1.0f, static_cast<int>(rng.below(30)) - 20);
              a[c] = (static_cast<float>(rng.below(1000)) / 211.0f - 2.0f) * scale;
              b[c] = (static_cast<float>(rng.below(1000)) / 307.0f - 1.5f) * scale;
            }
            const int64_t stride = n + 3, lead = 2;
            const bool reversed = rng.below(2) == 1;
            const int64_t first = lead + (reversed ? (planes - 1) * stride : 0);
            const int64_t ps = reversed ? -stride : stride;
            const size_t total = static_cast<size_t>(lead + planes * stride + 2);
            std::vector<uint16_t> want(total, 0xA5A5), got(total, 0xA5A5);
            std::vector<float> v(static_cast<size_t>(n));
            for (int64_t c = 0; c < planes; ++c) {
              for (int64_t x = 0; x < n; ++x) {
                const float prod = outs[0][static_cast<size_t>(c * n + x)] * a[c];
                v[static_cast<size_t>(x)] = prod + b[c];
              }
              ck.tables[0]->store_f16(v.data(), n, want.data() + first + c * ps);
            }
            std::snprintf(g_case, sizeof g_case, "resize_h_affine_f16 on %s",
                          pixnorm::isa_name(ck.tables[t]->isa));
            ck.tables[t]->resize_h_affine_f16(src.data(), sstride, planes, st.data(), w.data(),
                                              wt.data(), taps, n, a, b, got.data() + first, ps);
            compare("resize_h_affine_f16", got, want, t);
          }
          // resize_h_mix (tables that have it; three planes): the scalar resize_h's sums mixed as
          // mix_folded, ((m0 s0 + m1 s1) + m2 s2) + offset, into planes between sentinels,
          // reversed too
          for (size_t t = 0; t < ck.tables.size() && planes == 3; ++t) {
            if (!ck.tables[t]->resize_h_mix) continue;
            float m[9], off[3];
            for (float& v : m) v = static_cast<float>(rng.below(1000)) / 613.0f - 0.8f;
            for (float& v : off) v = static_cast<float>(rng.below(1000)) / 307.0f - 1.5f;
            const int64_t stride = n + 3, lead = 2;
            const bool reversed = rng.below(2) == 1;
            const int64_t first = lead + (reversed ? 2 * stride : 0);
            const int64_t ps = reversed ? -stride : stride;
            const size_t total = static_cast<size_t>(lead + 3 * stride + 2);
            std::vector<float> want(total, float_of(kSentinel)), got(total, float_of(kSentinel));
            for (int64_t c = 0; c < 3; ++c)
              for (int64_t x = 0; x < n; ++x) {
                const auto sum = [&](int64_t p) { return outs[0][static_cast<size_t>(p * n + x)]; };
                volatile float r = m[3 * c] * sum(0), g = m[3 * c + 1] * sum(1),
                               b = m[3 * c + 2] * sum(2);
                volatile float rg = r + g;
                volatile float rgb = rg + b;
                want[static_cast<size_t>(first + c * ps + x)] = rgb + off[c];
              }
            std::snprintf(g_case, sizeof g_case, "resize_h_mix on %s",
                          pixnorm::isa_name(ck.tables[t]->isa));
            ck.tables[t]->resize_h_mix(src.data(), sstride, st.data(), w.data(), wt.data(), taps, n,
                                       m, off, got.data() + first, ps);
            compare("resize_h_mix", got, want, t);
          }
          // the same filter on an interleaved row of `planes` channels (src readable to in *
          // planes)
          std::vector<std::vector<float>> iouts;
          for (size_t t = 0; t < ck.tables.size(); ++t) {
            std::vector<float> d(static_cast<size_t>(planes * n));
            ck.tables[t]->resize_h_interleaved(src.data(), planes, st.data(), w.data(), wt.data(),
                                               taps, n, d.data(), n);
            iouts.push_back(d);
            compare("resize_h_interleaved", iouts[t], iouts[0], t);
          }
          // resize_h_interleaved_affine (tables that have it): the scalar table's interleaved
          // sums
          for (size_t t = 0; t < ck.tables.size(); ++t) {
            const pixnorm::KernelTable& k = *ck.tables[t];
            if (!k.resize_h_interleaved_affine) continue;
            check_affine("resize_h_interleaved_affine", iouts[0], t,
                         [&](const float* a, const float* b, float* d, int64_t ps) {
                           k.resize_h_interleaved_affine(src.data(), planes, st.data(), w.data(),
                                                         wt.data(), taps, n, a, b, d, ps);
                         });
          }
          // the same filter on 16 interleaved rows held column-major (the tables that have
          // resize_h_columns): transpose16, resize_h_columns, untranspose16 against the first
          // table's resize_h_interleaved of each row
          {
            const int64_t len = in * planes;
            std::vector<float> rows16(static_cast<size_t>(16 * len));
            for (float& v : rows16) v = static_cast<float>(rng.below(256)) * 0.37f - 20.0f;
            std::vector<float> want(static_cast<size_t>(16 * planes * n)), cols_want(rows16.size());
            for (int64_t r = 0; r < 16; ++r) {
              ck.tables[0]->resize_h_interleaved(rows16.data() + r * len, planes, st.data(),
                                                 w.data(), wt.data(), taps, n,
                                                 want.data() + r * planes * n, n);
              for (int64_t e = 0; e < len; ++e)
                cols_want[static_cast<size_t>(e * 16 + r)] =
                    rows16[static_cast<size_t>(r * len + e)];
            }
            for (size_t t = 0; t < ck.tables.size(); ++t) {
              const KernelTable& kt = *ck.tables[t];
              if (!kt.resize_h_columns) continue;
              std::vector<float> cols(rows16.size()), h(static_cast<size_t>(16 * planes * n)),
                  got(h.size(), -1.0f);
              kt.transpose16(rows16.data(), len, len, cols.data());
              compare("transpose16", cols, cols_want, t);
              kt.resize_h_columns(cols.data(), planes, st.data(), w.data(), taps, n, h.data());
              kt.untranspose16(h.data(), planes * n, got.data(), planes * n);
              compare("resize_h_columns", got, want, t);
            }
          }
        }
        // vertical passes over `taps` rows
        const int64_t channels = 1 + static_cast<int64_t>(rng.below(5));
        const int64_t len = n * channels;
        std::vector<std::vector<float>> frows(static_cast<size_t>(taps));
        std::vector<std::vector<uint8_t>> urows(static_cast<size_t>(taps));
        std::vector<const float*> fp;
        std::vector<const uint8_t*> up;
        for (int64_t k = 0; k < taps; ++k) {
          frows[static_cast<size_t>(k)].resize(static_cast<size_t>(len));
          urows[static_cast<size_t>(k)].resize(static_cast<size_t>(len));
          for (int64_t i = 0; i < len; ++i) {
            frows[static_cast<size_t>(k)][static_cast<size_t>(i)] =
                static_cast<float>(rng.below(4096)) * 0.1f - 100.0f;
            urows[static_cast<size_t>(k)][static_cast<size_t>(i)] =
                static_cast<uint8_t>(rng.below(256));
          }
          fp.push_back(frows[static_cast<size_t>(k)].data());
          up.push_back(urows[static_cast<size_t>(k)].data());
        }
        std::vector<std::vector<float>> ufrows(static_cast<size_t>(taps));  // float32 copies
        std::vector<const float*> ufp;
        for (int64_t k = 0; k < taps; ++k) {
          const std::vector<uint8_t>& u = urows[static_cast<size_t>(k)];
          ufrows[static_cast<size_t>(k)].assign(u.begin(), u.end());
          ufp.push_back(ufrows[static_cast<size_t>(k)].data());
        }
        std::vector<float> wv(static_cast<size_t>(taps));
        for (float& v : wv) v = static_cast<float>(rng.below(1000)) / 1013.0f;
        std::vector<int32_t> kv(static_cast<size_t>(taps));
        for (int32_t& k : kv)
          k = static_cast<int32_t>(rng.below(static_cast<uint32_t>((1 << 22) / taps + 1)));
        std::vector<std::vector<float>> vo, so, vio;
        // 22-bit weights summing to up to twice 2^22: levels above 255, clamped
        std::vector<int32_t> kbig(static_cast<size_t>(taps));
        for (int32_t& k : kbig)
          k = static_cast<int32_t>(rng.below(
              static_cast<uint32_t>(std::min<int64_t>((1 << 22) + 1, (1 << 23) / taps + 1))));
        std::vector<std::vector<uint8_t>> v15, vbig;
        std::vector<std::vector<float>> vlo[5];
        const std::vector<pixnorm::LevelParams> vlv = fast_levels(rng, channels);
        std::vector<int32_t> kv15(static_cast<size_t>(taps));
        for (int32_t& v : kv15)
          v = static_cast<int32_t>(rng.below(static_cast<uint32_t>((1 << 15) / taps)));
        // integer weights for resize_v_u8_int: int16, non-negative, summing to at most 2^16
        std::vector<int32_t> ki(static_cast<size_t>(taps));
        for (int32_t& v : ki)
          v = static_cast<int32_t>(
              rng.below(static_cast<uint32_t>(std::min<int64_t>(32767, 65536 / taps) + 1)));
        // signed weights (bicubic, lanczos): a third negative, magnitudes up to 2^22 / taps * 2
        // (split halves) or 2^15 - 1 (words, torch), sums of either sign beyond 0..255
        std::vector<int32_t> kneg22(static_cast<size_t>(taps)), kneg15(static_cast<size_t>(taps));
        for (size_t i = 0; i < kneg22.size(); ++i) {
          const bool negative = rng.below(3) == 0;
          const auto m22 = static_cast<int32_t>(
              rng.below(static_cast<uint32_t>(std::min<int64_t>(1 << 22, (1 << 23) / taps) + 1)));
          const auto m15 = static_cast<int32_t>(rng.below(32768));
          kneg22[i] = negative ? -m22 : m22;
          kneg15[i] = negative ? -m15 : std::min(m15, 32767);
        }
        std::vector<std::vector<uint8_t>> vneg22, vneg15;
        // signed int16 weights for resize_v_u8_int / resize_v_u8_planar (a third negative),
        // 255 * sum |k| < 2^24
        std::vector<int32_t> kis(static_cast<size_t>(taps));
        for (int32_t& v : kis) {
          v = static_cast<int32_t>(
              rng.below(static_cast<uint32_t>(std::min<int64_t>(32767, 65792 / taps) + 1)));
          if (rng.below(3) == 0) v = -v;
        }
        std::vector<std::vector<float>> vis;
        // the contract's formula, for the scalar table
        const auto v_formula = [&](const std::vector<int32_t>& kk, int bits) {
          std::vector<uint8_t> want(static_cast<size_t>(len));
          for (int64_t i = 0; i < len; ++i) {
            int64_t acc = int64_t{1} << (bits - 1);
            for (int64_t t2 = 0; t2 < taps; ++t2)
              acc += int64_t{kk[static_cast<size_t>(t2)]} * up[static_cast<size_t>(t2)][i];
            const int64_t v = acc >> bits;
            want[static_cast<size_t>(i)] = static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
          }
          return want;
        };
        std::vector<std::vector<uint8_t>> fvo, su;
        for (size_t t = 0; t < ck.tables.size(); ++t) {
          const pixnorm::KernelTable& k = *ck.tables[t];
          {
            std::vector<uint8_t> a(static_cast<size_t>(len)), b(static_cast<size_t>(len));
            k.resize_v_fixed(up.data(), kneg22.data(), taps, len, 22, a.data());
            k.resize_v_fixed(up.data(), kneg15.data(), taps, len, 15, b.data());
            vneg22.push_back(a);
            vneg15.push_back(b);
            compare("resize_v_fixed signed 22-bit", vneg22[t], vneg22[0], t);
            compare("resize_v_fixed signed int16", vneg15[t], vneg15[0], t);
            if (t == 0) {
              compare("resize_v_fixed signed 22-bit formula", a, v_formula(kneg22, 22), 0);
              compare("resize_v_fixed signed int16 formula", b, v_formula(kneg15, 15), 0);
            }
          }
          std::vector<float> d(static_cast<size_t>(len));
          k.resize_v(fp.data(), wv.data(), taps, len, d.data());
          std::vector<uint8_t> df(static_cast<size_t>(len)), ds(static_cast<size_t>(len));
          k.resize_v_fixed(up.data(), kv.data(), taps, len, 22, df.data());
          std::vector<uint8_t> ds15(static_cast<size_t>(len));  // int16 weights (torch)
          k.resize_v_fixed(up.data(), kv15.data(), taps, len, 15, ds15.data());
          v15.push_back(ds15);
          compare("resize_v_fixed int16", v15[t], v15[0], t);
          std::vector<uint8_t> dbig(static_cast<size_t>(len));
          k.resize_v_fixed(up.data(), kbig.data(), taps, len, 22, dbig.data());
          vbig.push_back(dbig);
          compare("resize_v_fixed clamped", vbig[t], vbig[0], t);
          // the same passes with the levels mapped to float planes (rows hold `channels` planes
          // of n values), 22- and 15-bit weights and clamped 22-bit sums, planes between
          // sentinels
          for (int w = 0; w < 5; ++w) {
            const int64_t stride = n + 5;
            std::vector<float> dl(static_cast<size_t>(channels * stride + 3), float_of(kSentinel));
            const int32_t* kw5[5] = {kv.data(), kv15.data(), kbig.data(), kneg22.data(),
                                     kneg15.data()};
            const int bits5[5] = {22, 15, 22, 22, 15};
            k.resize_v_fixed_levels(up.data(), kw5[w], taps, n, channels, bits5[w], vlv.data(),
                                    dl.data(), stride);
            for (int64_t i = 0; i < static_cast<int64_t>(dl.size()); ++i)
              if (!(i < channels * stride && i % stride < n) &&
                  load_bits(&dl[static_cast<size_t>(i)]) != kSentinel) {
                ++ck.mismatches;
                std::printf("MISMATCH resize_v_fixed_levels on %s: wrote outside its output\n",
                            pixnorm::isa_name(k.isa));
                break;
              }
            vlo[static_cast<size_t>(w)].push_back(dl);
            compare("resize_v_fixed_levels", vlo[static_cast<size_t>(w)][t],
                    vlo[static_cast<size_t>(w)][0], t);
          }
          std::vector<float> special(d);
          special[0] = std::numeric_limits<float>::quiet_NaN();
          if (len > 1) special[1] = 1e9f;
          if (len > 2) special[2] = -3.5f;
          if (len > 3) special[3] = 2.5f;  // ties to even
          k.store_u8(special.data(), len, ds.data());
          vo.push_back(d);
          fvo.push_back(df);
          su.push_back(ds);
          compare("resize_v", vo[t], vo[0], t);
          compare("resize_v_fixed", fvo[t], fvo[0], t);
          compare("store_u8", su[t], su[0], t);
          // float weights on the uint8 rows: resize_v's sums on float32 copies of them
          std::vector<float> du(static_cast<size_t>(len)), dwant(static_cast<size_t>(len));
          k.resize_v_u8(up.data(), wv.data(), taps, len, du.data());
          k.resize_v(ufp.data(), wv.data(), taps, len, dwant.data());
          compare("resize_v_u8", du, dwant, t);
          std::vector<float> di(static_cast<size_t>(len));
          k.resize_v_u8_int(up.data(), ki.data(), taps, len, di.data());
          vio.push_back(di);
          compare("resize_v_u8_int", vio[t], vio[0], t);
          {  // signed weights, against the scalar table and (there) the formula
            std::vector<float> ds(static_cast<size_t>(len));
            k.resize_v_u8_int(up.data(), kis.data(), taps, len, ds.data());
            vis.push_back(ds);
            compare("resize_v_u8_int signed", vis[t], vis[0], t);
            if (t == 0) {
              std::vector<float> want(static_cast<size_t>(len));
              for (int64_t i = 0; i < len; ++i) {
                int64_t acc = 0;
                for (int64_t t2 = 0; t2 < taps; ++t2)
                  acc += int64_t{kis[static_cast<size_t>(t2)]} * up[static_cast<size_t>(t2)][i];
                want[static_cast<size_t>(i)] = static_cast<float>(acc);
              }
              compare("resize_v_u8_int signed formula", ds, want, 0);
            }
          }
          // the same sums written as channel planes (tables with resize_v_u8_planar), planes
          // between sentinels: each value must be the scalar table's interleaved sum
          if (k.resize_v_u8_planar && channels <= 4) {
            const int64_t pstride = n + 3;
            std::vector<float> dp(static_cast<size_t>(channels * pstride + 2), float_of(kSentinel));
            k.resize_v_u8_planar(up.data(), ki.data(), taps, n, channels, dp.data(), pstride);
            std::vector<float> want(dp.size(), float_of(kSentinel));
            for (int64_t c = 0; c < channels; ++c)
              for (int64_t x = 0; x < n; ++x)
                want[static_cast<size_t>(c * pstride + x)] =
                    vio[0][static_cast<size_t>(x * channels + c)];
            compare("resize_v_u8_planar", dp, want, t);
            std::vector<float> dps(dp.size(), float_of(kSentinel));  // signed weights
            k.resize_v_u8_planar(up.data(), kis.data(), taps, n, channels, dps.data(), pstride);
            for (int64_t c = 0; c < channels; ++c)
              for (int64_t x = 0; x < n; ++x)
                want[static_cast<size_t>(c * pstride + x)] =
                    vis[0][static_cast<size_t>(x * channels + c)];
            compare("resize_v_u8_planar signed", dps, want, t);
          }
        }
      }
    }
  }
};

// The colour kernels (luma_u8, luma_planes, mix_affine) on every table against the scalar
// table and against the contract's formula evaluated here, outputs between sentinels.
struct ColorChecker {
  Checker& ck;

  void expect(bool ok, const char* what, size_t t) {
    ++ck.cases;
    if (!ok) {
      ++ck.mismatches;
      std::printf("MISMATCH %s on %s\n", what, pixnorm::isa_name(ck.tables[t]->isa));
    }
  }

  static bool same_span(const std::vector<float>& got, const std::vector<float>& want) {
    if (got.size() != want.size()) return false;
    for (size_t i = 0; i < got.size(); ++i)
      if (load_bits(&got[i]) != load_bits(&want[i])) return false;
    return true;
  }

  // Pillow's convert("YCbCr") tables as pixnorm/color.cpp builds them: entry i of table k is
  // (int)(c_k * i * 64 + 0.5), truncated toward zero (table 3 * channel + input).
  static std::vector<int32_t> pillow_ycbcr_tables() {
    std::vector<int32_t> lut(9 * 256);
    const double coef[9] = {0.299, 0.587, 0.114, -0.16874, -0.33126, 0.5, 0.5, -0.41869, -0.08131};
    for (int k = 0; k < 9; ++k)
      for (int i = 0; i < 256; ++i)
        lut[static_cast<size_t>(k * 256 + i)] =
            static_cast<int32_t>(std::trunc(coef[k] * i * 64.0 + 0.5));
    return lut;
  }

  // The named conventions' integer conversions: every formula, layout and output count on
  // every table against the scalar table (the Python tests hold the scalar results against
  // Pillow, OpenCV and torchvision on all 2^24 triples).
  void run_convert(Rng& rng) {
    const std::vector<int32_t> lut = pillow_ycbcr_tables();
    for (int64_t n : {1, 2, 7, 15, 16, 17, 31, 33, 64, 100, 257}) {
      std::vector<uint8_t> src(static_cast<size_t>(3 * n));
      for (uint8_t& v : src)
        v = static_cast<uint8_t>(rng.below(4) == 0 ? 255 * rng.below(2) : rng.below(256));
      for (int formula = pixnorm::kColorRepeat; formula <= pixnorm::kColorOpencvYuv; ++formula)
        for (int64_t out : {1, 3})
          for (int layout = 0; layout < 4; ++layout) {
            const int64_t sp = layout & 1 ? n : 0, dp = layout & 2 ? n : 0;
            std::vector<std::vector<uint8_t>> got;
            for (size_t t = 0; t < ck.tables.size(); ++t) {
              std::vector<uint8_t> d(static_cast<size_t>(3 * n + 4), 0xA5);
              ck.tables[t]->convert_u8(src.data(), sp, n, formula, lut.data(), out, d.data(), dp);
              got.push_back(d);
              char what[96];
              std::snprintf(what, sizeof what, "convert_u8 formula=%d out=%lld layout=%d n=%lld",
                            formula, static_cast<long long>(out), layout,
                            static_cast<long long>(n));
              ++ck.cases;
              if (got[t] != got[0]) {
                ++ck.mismatches;
                std::printf("MISMATCH %s on %s\n", what, pixnorm::isa_name(ck.tables[t]->isa));
              }
            }
          }
    }
  }

  // Every RGB triple once (4096 rows of 4096 pixels), each formula, interleaved and planar
  // input, out 1 and 3 (interleaved and planar), on every table against the scalar table: the
  // closed forms of the SIMD kernels (Pillow's YCbCr tables as multiply-shifts, torch's steps as
  // FMAs) on all inputs.
  void run_convert_all_triples() {
    constexpr int64_t n = 4096;
    const std::vector<int32_t> lut = pillow_ycbcr_tables();
    std::vector<uint8_t> src(static_cast<size_t>(3 * n)), want(static_cast<size_t>(3 * n)),
        got(static_cast<size_t>(3 * n));
    for (int formula = pixnorm::kColorPillowLuma; formula <= pixnorm::kColorOpencvYuv; ++formula)
      for (int variant = 0; variant < 5; ++variant) {
        // interleaved input: out 1, out 3 interleaved, out 3 planar; planar input (the levels
        // after a resize): out 1, out 3 planar
        const bool pin = variant >= 3;
        const int64_t out = variant == 0 || variant == 3 ? 1 : 3;
        const int64_t sp = pin ? n : 0, dp = variant == 2 || variant == 4 ? n : 0;
        for (size_t t = 1; t < ck.tables.size(); ++t) {
          int64_t bad = 0;
          for (int64_t row = 0; row < n; ++row) {
            for (int64_t x = 0; x < n; ++x) {
              const int64_t v = row * n + x;
              for (int64_t c = 0; c < 3; ++c)
                src[static_cast<size_t>(pin ? c * n + x : 3 * x + c)] =
                    static_cast<uint8_t>(v >> (16 - 8 * c));
            }
            ck.tables[0]->convert_u8(src.data(), sp, n, formula, lut.data(), out, want.data(), dp);
            ck.tables[t]->convert_u8(src.data(), sp, n, formula, lut.data(), out, got.data(), dp);
            if (std::memcmp(want.data(), got.data(), static_cast<size_t>(out * n)) != 0) ++bad;
          }
          ++ck.cases;
          if (bad != 0) {
            ++ck.mismatches;
            std::printf(
                "MISMATCH convert_u8 all triples formula=%d out=%lld variant=%d: %lld rows on %s\n",
                formula, static_cast<long long>(out), variant, static_cast<long long>(bad),
                pixnorm::isa_name(ck.tables[t]->isa));
          }
        }
      }
  }

  void run() {
    Rng rng;
    run_convert(rng);
    run_convert_all_triples();
    std::vector<int64_t> widths;
    for (int64_t w = 1; w <= 70; ++w) widths.push_back(w);
    for (int64_t w : {255, 1000, 1023}) widths.push_back(w);
    const float luma[3] = {0.299f, 0.587f, 0.114f};
    for (int64_t w : widths) {
      for (int64_t channels : {3, 4}) {
        std::vector<uint8_t> src(static_cast<size_t>(w * channels));
        for (uint8_t& v : src) v = static_cast<uint8_t>(rng.below(256));
        // the formula: products rounded, added in order (volatile: no contraction anywhere)
        std::vector<float> want(static_cast<size_t>(w + 2), float_of(kSentinel));
        for (int64_t x = 0; x < w; ++x) {
          volatile float r = luma[0] * static_cast<float>(src[static_cast<size_t>(x * channels)]);
          volatile float g =
              luma[1] * static_cast<float>(src[static_cast<size_t>(x * channels + 1)]);
          volatile float b =
              luma[2] * static_cast<float>(src[static_cast<size_t>(x * channels + 2)]);
          volatile float rg = r + g;
          want[static_cast<size_t>(x + 1)] = rg + b;
        }
        for (size_t t = 0; t < ck.tables.size(); ++t) {
          std::vector<float> got(static_cast<size_t>(w + 2), float_of(kSentinel));
          ck.tables[t]->luma_u8(src.data(), w, channels, luma, got.data() + 1);
          expect(same_span(got, want), "luma_u8", t);
        }
      }
      // three float planes (specials included) -> the luma, in place and not
      const int64_t stride = w + 3;
      std::vector<float> planes(static_cast<size_t>(3 * stride));
      for (float& v : planes) v = random_input(rng);
      const float m[9] = {0.299f, 0.587f, 0.114f,     -0.168736f, -0.331264f,
                          0.5f,   0.5f,   -0.418688f, -0.081312f};
      const float offset[3] = {0.0f, 128.0f, rng.below(2) ? 0.0f : 0.5f};
      const float a[3] = {rng.uniform(-2, 2), rng.uniform(-2, 2), rng.uniform(-2, 2)};
      const float b[3] = {rng.uniform(-2, 2), rng.uniform(-2, 2), rng.uniform(-2, 2)};
      // mix_folded takes the affine folded in (fold_mix): random multiples of the matrix
      float mf[9], of[3];
      for (int c = 0; c < 3; ++c) {
        const float f = rng.uniform(-2, 2);
        for (int q = 0; q < 3; ++q) mf[3 * c + q] = m[3 * c + q] * f;
        of[c] = offset[c] * f + rng.uniform(-2, 2);
      }
      std::vector<float> luma_want, mix_want, folded_want;
      for (size_t t = 0; t < ck.tables.size(); ++t) {
        const pixnorm::KernelTable& k = *ck.tables[t];
        std::vector<float> got(static_cast<size_t>(w + 2), float_of(kSentinel));
        k.luma_planes(planes.data(), stride, w, m, got.data() + 1);
        std::vector<float> in_place(planes);
        k.luma_planes(in_place.data(), stride, w, m, in_place.data());
        std::vector<float> mixed(static_cast<size_t>(3 * stride + 1), float_of(kSentinel));
        k.mix_affine(planes.data(), stride, w, m, offset, 3, a, b, mixed.data(), stride);
        std::vector<float> folded(static_cast<size_t>(3 * stride + 1), float_of(kSentinel));
        k.mix_folded(planes.data(), stride, w, mf, of, 3, folded.data(), stride);
        if (t == 0) {
          luma_want = got;
          mix_want = mixed;
          folded_want = folded;
          // the scalar table against the formula, element by element
          bool ok = true;
          for (int64_t x = 0; x < w && ok; ++x) {
            const float* p = planes.data() + x;
            volatile float r = m[0] * p[0], g = m[1] * p[stride], bl = m[2] * p[2 * stride];
            volatile float rg = r + g;
            volatile float v = rg + bl;
            ok = load_bits(&got[static_cast<size_t>(x + 1)]) == load_bits(const_cast<float*>(&v));
            for (int c = 0; c < 3 && ok; ++c) {
              volatile float r2 = m[3 * c] * p[0], g2 = m[3 * c + 1] * p[stride],
                             b2 = m[3 * c + 2] * p[2 * stride];
              volatile float s2 = r2 + g2;
              volatile float u = s2 + b2;
              if (offset[c] != 0.0f) u = u + offset[c];
              volatile float q = u * a[c];
              volatile float out = q + b[c];
              ok = load_bits(&mixed[static_cast<size_t>(c * stride + x)]) ==
                   load_bits(const_cast<float*>(&out));
              volatile float r3 = mf[3 * c] * p[0], g3 = mf[3 * c + 1] * p[stride],
                             b3 = mf[3 * c + 2] * p[2 * stride];
              volatile float s3 = r3 + g3;
              volatile float u3 = s3 + b3;
              volatile float out3 = u3 + of[c];
              ok = ok && load_bits(&folded[static_cast<size_t>(c * stride + x)]) ==
                             load_bits(const_cast<float*>(&out3));
            }
          }
          expect(ok, "luma_planes / mix_affine / mix_folded (scalar) against the formula", t);
        }
        expect(same_span(got, luma_want), "luma_planes", t);
        bool in_place_ok = true;
        for (int64_t x = 0; x < w; ++x)
          in_place_ok = in_place_ok && load_bits(&in_place[static_cast<size_t>(x)]) ==
                                           load_bits(&luma_want[static_cast<size_t>(x + 1)]);
        expect(in_place_ok, "luma_planes in place", t);
        expect(same_span(mixed, mix_want), "mix_affine", t);
        expect(same_span(folded, folded_want), "mix_folded", t);
      }
    }
  }
};

}  // namespace

// float32 -> float16 / bfloat16 stores: every table against the scalar table on a sweep of
// bit patterns (every 251st of all 2^32, so every exponent, NaN, infinity and subnormal) and on
// the rounding boundaries, each row flush against a guard page on both sides at every length
// 1..40 (the tails). The scalar conversion is held against torch's casts in the Python tests.
struct StoreChecker {
  Checker& ck;

  void mismatch(const char* what, const KernelTable& k, int64_t channels, int64_t n) {
    ++ck.mismatches;
    std::printf("MISMATCH %s on %s (channels %lld, width %lld)\n", what, pixnorm::isa_name(k.isa),
                static_cast<long long>(channels), static_cast<long long>(n));
  }

  // normalize_u8_half and affine_half: the bits of normalize_u8 / normalize_f32 then
  // store_f16 / store_bf16 of the same table (itself held against the scalar table), rows of
  // every width 1..70 flush against a guard page, parameters that reach infinity, subnormal
  // results and NaN (float rows), planes between sentinels, in reverse order too.
  void check_fused(const KernelTable& k, bool bf16) {
    Rng rng;
    const pixnorm::StoreHalf store = bf16 ? k.store_bf16 : k.store_f16;
    Arena src = make_arena(4 * 80 * sizeof(float));
    for (int64_t channels : {1, 3, 4})
      for (int64_t n = 1; n <= 70; ++n)
        for (int mode = 0; mode < 3; ++mode) {
          float a[4], b[4];
          for (int c = 0; c < 4; ++c) {
            a[c] = mode == 0   ? 1.0f / (255.0f * (0.2f + 0.01f * static_cast<float>(c)))
                   : mode == 1 ? 3e36f    // 255 * a overflows: infinity
                               : 1e-40f;  // subnormal products
            b[c] = mode == 2 ? 0.0f : -2.1f + 0.1f * static_cast<float>(c);
          }
          auto* row = src.hi() - n * channels;
          for (int64_t i = 0; i < n * channels; ++i) row[i] = static_cast<uint8_t>(rng.below(256));
          if (k.normalize_u8_half)
            for (int reversed = 0; reversed < 2; ++reversed) {
              const int64_t stride = n + 3, total = channels * stride + 2;
              std::vector<float> f(static_cast<size_t>(total));
              std::vector<uint16_t> want(static_cast<size_t>(total), 0xA5A5),
                  got(static_cast<size_t>(total), 0xA5A5);
              const int64_t first = reversed ? (channels - 1) * stride : 0;
              const int64_t ps = reversed ? -stride : stride;
              k.normalize_u8(row, n, channels, a, b, f.data() + first, ps);
              for (int64_t c = 0; c < channels; ++c)
                store(f.data() + c * stride, n, want.data() + c * stride);
              std::snprintf(g_case, sizeof g_case, "normalize_u8_half on %s",
                            pixnorm::isa_name(k.isa));
              k.normalize_u8_half(row, n, channels, a, b, got.data() + first, ps, bf16);
              ++ck.cases;
              if (got != want) mismatch("normalize_u8_half", k, channels, n);
            }
          if (k.affine_half && channels == 1) {
            auto* fsrc = reinterpret_cast<float*>(src.hi()) - n;
            for (int64_t i = 0; i < n; ++i)
              fsrc[i] = i % 11 == 5 ? std::numeric_limits<float>::quiet_NaN()
                                    : static_cast<float>(rng.below(1 << 20)) * 0.001f - 300.0f;
            std::vector<float> f(static_cast<size_t>(n));
            std::vector<uint16_t> want(static_cast<size_t>(n) + 1, 0xA5A5),
                got(static_cast<size_t>(n) + 1, 0xA5A5);
            k.normalize_f32(fsrc, n, 1, a, b, f.data(), n);
            store(f.data(), n, want.data());
            std::snprintf(g_case, sizeof g_case, "affine_half on %s", pixnorm::isa_name(k.isa));
            k.affine_half(fsrc, n, a[0], b[0], got.data(), bf16);
            ++ck.cases;
            if (got != want) mismatch("affine_half", k, channels, n);
          }
        }
  }

  // lookup_u8_u16 (tables that have it): every channel count it serves, rows of 1 to 200
  // pixels (steps of 64 and every tail) flush against a guard page, random 16-bit tables (any
  // high byte), the planes between sentinels, in reverse order too, against the definition; then
  // the driver's use: the table filled by the same table's normalize_u8_half from the 256
  // levels gives that kernel's bits on random rows (float16 and bfloat16, the fused check's
  // parameters).
  void check_lookup(const KernelTable& k) {
    Rng rng;
    Arena src = make_arena(4 * 200);
    for (int64_t channels : {1, 3, 4})
      for (int64_t n = 1; n <= 200; ++n) {
        std::vector<uint16_t> lut(static_cast<size_t>(256 * channels));
        for (auto& v : lut) v = static_cast<uint16_t>(rng.below(65536));
        auto* row = src.hi() - n * channels;
        for (int64_t i = 0; i < n * channels; ++i) row[i] = static_cast<uint8_t>(rng.below(256));
        for (int reversed = 0; reversed < 2; ++reversed) {
          const int64_t stride = n + 5, total = channels * stride + 2;
          std::vector<uint16_t> want(static_cast<size_t>(total), 0xA5A5),
              got(static_cast<size_t>(total), 0xA5A5);
          const int64_t first = 1 + (reversed ? (channels - 1) * stride : 0);
          const int64_t ps = reversed ? -stride : stride;
          for (int64_t c = 0; c < channels; ++c)
            for (int64_t x = 0; x < n; ++x)
              want[static_cast<size_t>(first + c * ps + x)] =
                  lut[static_cast<size_t>(c * 256 + row[x * channels + c])];
          std::snprintf(g_case, sizeof g_case, "lookup_u8_u16 on %s", pixnorm::isa_name(k.isa));
          k.lookup_u8_u16(row, n, channels, lut.data(), got.data() + first, ps);
          ++ck.cases;
          if (got != want) mismatch("lookup_u8_u16", k, channels, n);
        }
        if (!k.normalize_u8_half || n % 7 != 0) continue;
        for (int bf16 = 0; bf16 < 2; ++bf16) {
          float a[4], b[4];
          for (int c = 0; c < 4; ++c) {
            a[c] = 1.0f / (255.0f * (0.2f + 0.01f * static_cast<float>(c)));
            b[c] = -2.1f + 0.1f * static_cast<float>(c);
          }
          std::vector<uint8_t> levels(static_cast<size_t>(256 * channels));
          for (int64_t v = 0; v < 256; ++v)
            for (int64_t c = 0; c < channels; ++c)
              levels[static_cast<size_t>(v * channels + c)] = static_cast<uint8_t>(v);
          k.normalize_u8_half(levels.data(), 256, channels, a, b, lut.data(), 256, bf16 != 0);
          std::vector<uint16_t> want(static_cast<size_t>(channels * n)),
              got(static_cast<size_t>(channels * n));
          k.normalize_u8_half(row, n, channels, a, b, want.data(), n, bf16 != 0);
          k.lookup_u8_u16(row, n, channels, lut.data(), got.data(), n);
          ++ck.cases;
          if (got != want) mismatch("lookup_u8_u16 of normalize_u8_half", k, channels, n);
        }
      }
  }

  void run() {
    for (const KernelTable* t : ck.tables)
      if (t->lookup_u8_u16) check_lookup(*t);
    std::vector<uint32_t> bits;
    for (uint64_t u = 0; u < (uint64_t{1} << 32); u += 251)
      bits.push_back(static_cast<uint32_t>(u));
    for (uint32_t edge :
         {0x477FE000u, 0x477FEFFFu, 0x477FF000u, 0x477FF001u, 0x38800000u, 0x387FFFFFu, 0x33000000u,
          0x33000001u, 0x32FFFFFFu, 0x33C00000u, 0x38000000u, 0x7F800000u, 0x7F800001u, 0x7FC00000u,
          0x7FFFFFFFu, 0x3F808000u, 0x3F818000u, 0x3F80FFFFu, 0x7F7FFFFFu, 0x00000001u})
      for (uint32_t sign : {0u, 0x80000000u}) bits.push_back(edge | sign);
    const size_t total = bits.size();
    Arena src = make_arena(64 * sizeof(float)), dst = make_arena(64 * sizeof(uint16_t));
    for (int kind = 0; kind < 2; ++kind) {
      std::vector<std::vector<uint16_t>> outs(ck.tables.size(), std::vector<uint16_t>(total));
      for (size_t t = 0; t < ck.tables.size(); ++t) {
        const KernelTable& k = *ck.tables[t];
        const pixnorm::StoreHalf f = kind == 0 ? k.store_f16 : k.store_bf16;
        std::snprintf(g_case, sizeof g_case, "%s on %s", kind == 0 ? "store_f16" : "store_bf16",
                      pixnorm::isa_name(k.isa));
        // the sweep in long rows
        const size_t step = 4096;
        for (size_t i = 0; i < total; i += step) {
          const size_t n = total - i < step ? total - i : step;
          f(reinterpret_cast<const float*>(bits.data() + i), static_cast<int64_t>(n),
            outs[t].data() + i);
        }
        // short rows flush against the guard pages: the first values of the sweep
        for (int64_t n = 1; n <= 40; ++n) {
          auto* s = reinterpret_cast<float*>(src.hi()) - n;
          std::memcpy(s, bits.data() + total - static_cast<size_t>(n), static_cast<size_t>(n) * 4);
          auto* d = reinterpret_cast<uint16_t*>(dst.hi()) - n;
          f(s, n, d);
          ++ck.cases;
          if (std::memcmp(d, outs[t].data() + total - static_cast<size_t>(n),
                          static_cast<size_t>(n) * 2) != 0 &&
              t > 0) {
            ++ck.mismatches;
            std::printf("MISMATCH %s (row of %lld at a guard page)\n", g_case,
                        static_cast<long long>(n));
          }
        }
        // the fused kernels (tables that have them) against normalize then the store
        if (k.normalize_u8_half || k.affine_half) check_fused(k, kind == 1);
        ++ck.cases;
        if (t > 0 && outs[t] != outs[0]) {
          size_t i = 0;
          while (outs[t][i] == outs[0][i]) ++i;
          ++ck.mismatches;
          std::printf("MISMATCH %s: input bits 0x%08x -> 0x%04x, scalar 0x%04x\n", g_case, bits[i],
                      outs[t][i], outs[0][i]);
        }
      }
    }
  }
};

// warp_bilinear_u8 and warp_nearest_u8, and their float32 versions on the same images as floats
// (NaN, infinities and fractions now and then): every table's kernels against the scalar
// table's, bit for bit: images of
// 1-4 channels, 1 to 40 pixels wide and 1 to 20 high, packed rows or padded ones, placed flush
// against a guard page (a read past the image's last byte faults); maps that rotate, scale,
// shear and translate (in and out of the image, far outside, on exact pixel centres), rows of
// 1 to 70 outputs; the output planes between sentinels.
struct WarpChecker {
  Checker& ck;

  void run() {
    Rng rng;
    Arena img = make_arena(size_t{1} << 16);
    Arena fimg = make_arena(size_t{1} << 18);  // the float32 copies
    for (int iter = 0; iter < 3000; ++iter) {
      const int64_t C = 1 + rng.below(4), w = 1 + rng.below(40), h = 1 + rng.below(20);
      const int64_t stride = w * C + (rng.below(2) ? 0 : 5);
      const int64_t total = (h - 1) * stride + w * C;
      uint8_t* src = img.hi() - total;
      for (int64_t i = 0; i < total; ++i) src[i] = static_cast<uint8_t>(rng.below(256));
      double m[6];
      const double a = rng.uniform(-3.2f, 3.2f), sc = rng.uniform(0.3f, 2.5f);
      const int kind = static_cast<int>(rng.below(5));
      if (kind == 0) {  // exact pixel centres: integer steps and offsets
        m[0] = 1, m[1] = 0, m[2] = rng.below(5), m[3] = 0, m[4] = 1, m[5] = rng.below(5);
      } else {
        m[0] = sc * std::cos(a), m[1] = -sc * std::sin(a) + (kind == 1 ? 0.2 : 0.0);
        m[3] = sc * std::sin(a), m[4] = sc * std::cos(a);
        m[2] = rng.uniform(-10.0f, static_cast<float>(w) + 10.0f);
        m[5] = rng.uniform(-10.0f, static_cast<float>(h) + 10.0f);
        if (kind == 4) m[2] *= 1e13;  // far outside: clamped positions
      }
      const int64_t n = 1 + rng.below(70);
      const int64_t y = rng.below(30);
      float fill[4];
      for (float& f : fill) f = static_cast<float>(rng.below(256));
      const double ry = m[1] * static_cast<double>(y), rv = m[4] * static_cast<double>(y);
      // the same image as float32 (the levels, now and then a NaN, an infinity or a fraction),
      // flush against the float arena's guard page, for warp_bilinear_f32 / warp_nearest_f32
      float* fsrc = reinterpret_cast<float*>(fimg.hi()) - total;
      for (int64_t i = 0; i < total; ++i)
        fsrc[i] = rng.below(50) == 0 ? random_input(rng) : static_cast<float>(src[i]) * 0.37f;
      for (int nearest = 0; nearest < 2; ++nearest) {
        const char* name = nearest ? "warp_nearest_f32" : "warp_bilinear_f32";
        const auto kernel = [&](const KernelTable& k) {
          return nearest ? k.warp_nearest_f32 : k.warp_bilinear_f32;
        };
        std::vector<float> want(static_cast<size_t>(C * n + 8), -7.0f);
        kernel (*ck.tables[0])(fsrc, stride, w, h, C, m, ry, rv, n, fill, want.data());
        for (size_t t = 1; t < ck.tables.size(); ++t) {
          const KernelTable& k = *ck.tables[t];
          std::vector<float> got(want.size(), -7.0f);
          std::snprintf(g_case, sizeof g_case, "%s on %s", name, pixnorm::isa_name(k.isa));
          kernel(k)(fsrc, stride, w, h, C, m, ry, rv, n, fill, got.data());
          ++ck.cases;
          bool same = true;  // (NaN for NaN: which NaN is not part of the contract)
          for (size_t i = 0; i < got.size(); ++i)
            same = same && (bits_of(got[i]) == bits_of(want[i]) ||
                            (std::isnan(got[i]) && std::isnan(want[i])));
          if (!same)
            ck.report(g_case, "channels " + std::to_string(C) + ", " + std::to_string(w) + "x" +
                                  std::to_string(h) + ", n " + std::to_string(n));
        }
      }
      for (int nearest = 0; nearest < 2; ++nearest) {
        const char* name = nearest ? "warp_nearest_u8" : "warp_bilinear_u8";
        const auto kernel = [&](const KernelTable& k) {
          return nearest ? k.warp_nearest_u8 : k.warp_bilinear_u8;
        };
        std::vector<float> want(static_cast<size_t>(C * n + 8), -7.0f);
        std::snprintf(g_case, sizeof g_case, "%s on scalar", name);
        kernel (*ck.tables[0])(src, stride, w, h, C, m, ry, rv, n, fill, want.data());
        for (size_t t = 1; t < ck.tables.size(); ++t) {
          const KernelTable& k = *ck.tables[t];
          std::vector<float> got(want.size(), -7.0f);
          std::snprintf(g_case, sizeof g_case, "%s on %s", name, pixnorm::isa_name(k.isa));
          kernel(k)(src, stride, w, h, C, m, ry, rv, n, fill, got.data());
          ++ck.cases;
          bool same = true;
          for (size_t i = 0; i < got.size(); ++i)
            same = same && bits_of(got[i]) == bits_of(want[i]);
          if (!same)
            ck.report(g_case, "channels " + std::to_string(C) + ", " + std::to_string(w) + "x" +
                                  std::to_string(h) + ", n " + std::to_string(n));
        }
      }
    }
  }
};

// A uint8 image of h rows of w pixels of C channels for a row kernel's check: rows packed or
// padded by 3 bytes, flush against the arena's guard page (a read past its last byte faults),
// random levels, or only 0 and 255 when `binary`.
struct RowImage {
  int64_t stride = 0, total = 0;
  uint8_t* src = nullptr;
};
RowImage row_image(Rng& rng, Arena& arena, int64_t C, int64_t w, int64_t h, bool binary) {
  RowImage r;
  r.stride = w * C + (rng.below(2) ? 0 : 3);
  r.total = (h - 1) * r.stride + w * C;
  r.src = arena.hi() - r.total;
  for (int64_t i = 0; i < r.total; ++i)
    r.src[i] = static_cast<uint8_t>(binary ? rng.below(2) * 255 : rng.below(256));
  return r;
}

// Runs call(table, dst), a row kernel writing C * n bytes, on every table and compares each
// table's bytes, and the sentinels after them, with the scalar table's.
template <class Call>
void compare_u8_rows(Checker& ck, const char* name, int64_t C, int64_t n, const std::string& what,
                     Call&& call) {
  std::vector<uint8_t> want(static_cast<size_t>(C * n + 8), 0xA5);
  std::snprintf(g_case, sizeof g_case, "%s on scalar", name);
  call(*ck.tables[0], want.data());
  for (size_t t = 1; t < ck.tables.size(); ++t) {
    const KernelTable& k = *ck.tables[t];
    std::vector<uint8_t> got(want.size(), 0xA5);
    std::snprintf(g_case, sizeof g_case, "%s on %s", name, pixnorm::isa_name(k.isa));
    call(k, got.data());
    ++ck.cases;
    if (got != want) ck.report(g_case, what);
  }
}

// warp_ipp_u8: every table's kernel against the scalar table's, byte for byte: images of 1-4
// channels, 2 to 40 pixels wide and 2 to 20 high (a quarter up to 300 x 200, with rows of up to
// 300 outputs), packed or with padded rows, flush against a
// guard page (a read past the image's last byte faults); maps that are axis-aligned (whole and
// half-pixel steps, the identity), exact quarter turns, rotations with scale and shear, in and
// far outside the image; rows of 1 to 70 outputs between sentinels.
struct WarpIppChecker {
  Checker& ck;

  void run() {
    Rng rng;
    Arena img = make_arena(size_t{1} << 20);
    for (int iter = 0; iter < 4000; ++iter) {
      // a quarter of the cases large (rows of up to 300 outputs over up to 300 x 200 pixels:
      // enough inner pixels that a float32 position taken as a double fraction shows)
      const bool large = iter % 4 == 0;
      const int64_t C = 1 + rng.below(4);
      const int64_t w = large ? 100 + rng.below(201) : 2 + rng.below(39);
      const int64_t h = large ? 50 + rng.below(151) : 2 + rng.below(19);
      const RowImage im = row_image(rng, img, C, w, h, rng.below(4) == 0);
      const int64_t stride = im.stride;
      const uint8_t* src = im.src;
      double m[6];
      const int kind = static_cast<int>(rng.below(6));
      bool axis = false;
      if (kind == 0) {  // axis-aligned: whole and half steps and offsets
        m[0] = 0.5 * (1 + rng.below(6)), m[1] = 0, m[2] = 0.5 * rng.below(9) - 2.0;
        m[3] = 0, m[4] = 0.5 * (1 + rng.below(6)), m[5] = 0.5 * rng.below(9) - 2.0;
        axis = true;
      } else if (kind == 1) {  // a quarter turn about the centre (positions on half pixels)
        const double s = rng.below(2) ? 1.0 : -1.0;
        m[0] = 0, m[1] = s,
        m[2] = 0.5 * static_cast<double>(w - h) + (s < 0 ? static_cast<double>(h - 1) : 0.0);
        m[3] = -s, m[4] = 0,
        m[5] = 0.5 * static_cast<double>(h - w) + (s > 0 ? static_cast<double>(w - 1) : 0.0);
      } else {
        const double a = rng.uniform(-3.2f, 3.2f), sc = rng.uniform(0.3f, 2.5f);
        m[0] = sc * std::cos(a), m[1] = -sc * std::sin(a) + (kind == 2 ? 0.2 : 0.0);
        m[3] = sc * std::sin(a), m[4] = sc * std::cos(a);
        m[2] = rng.uniform(-10.0f, static_cast<float>(w) + 10.0f);
        m[5] = rng.uniform(-10.0f, static_cast<float>(h) + 10.0f);
        if (kind == 5) m[2] *= 1e13;  // far outside
      }
      const int64_t n = large ? 100 + rng.below(201) : 1 + rng.below(70);
      const int64_t y = large ? rng.below(300) : rng.below(30);
      uint8_t bval[4];
      for (uint8_t& b : bval) b = static_cast<uint8_t>(rng.below(256));
      const double ry = m[1] * static_cast<double>(y), rv = m[4] * static_cast<double>(y);
      const std::string what = "channels " + std::to_string(C) + ", " + std::to_string(w) + "x" +
                               std::to_string(h) + ", n " + std::to_string(n) + ", kind " +
                               std::to_string(kind);
      compare_u8_rows(ck, "warp_ipp_u8", C, n, what, [&](const KernelTable& k, uint8_t* d) {
        k.warp_ipp_u8(src, stride, w, h, C, m, ry, rv, axis, n, bval, d);
      });
    }
  }
};

// warp_pillow_u8: every table's kernel against the scalar table's, byte for byte: L, RGB and
// RGBA images of 1 to 40 x 1 to 20 pixels (a quarter up to 300 x 200 with rows of up to 300
// outputs), packed or with padded rows, flush against a guard page; random levels or only 0
// and 255; maps that scale, rotate, shear, translate (onto exact pixel centres too) and land
// far outside; rows between sentinels.
struct WarpPillowChecker {
  Checker& ck;

  void run() {
    Rng rng;
    Arena img = make_arena(size_t{1} << 20);
    for (int iter = 0; iter < 4000; ++iter) {
      const bool large = iter % 4 == 0;
      const int64_t C = std::array<int64_t, 3>{1, 3, 4}[rng.below(3)];
      const int64_t w = large ? 100 + rng.below(201) : 1 + rng.below(40);
      const int64_t h = large ? 50 + rng.below(151) : 1 + rng.below(20);
      const RowImage im = row_image(rng, img, C, w, h, rng.below(2) == 1);
      const int64_t stride = im.stride;
      const uint8_t* src = im.src;
      double m[6];
      const int kind = static_cast<int>(rng.below(5));
      if (kind == 0) {  // exact pixel centres: integer steps and offsets
        m[0] = 1, m[1] = 0, m[2] = rng.below(5), m[3] = 0, m[4] = 1, m[5] = rng.below(5);
      } else {
        const double a = rng.uniform(-3.2f, 3.2f), sc = rng.uniform(0.3f, 2.5f);
        m[0] = sc * std::cos(a), m[1] = -sc * std::sin(a) + (kind == 1 ? 0.2 : 0.0);
        m[3] = sc * std::sin(a), m[4] = sc * std::cos(a);
        m[2] = rng.uniform(-10.0f, static_cast<float>(w) + 10.0f);
        m[5] = rng.uniform(-10.0f, static_cast<float>(h) + 10.0f);
        if (kind == 4) m[2] *= 1e13;  // far outside
      }
      const int64_t n = large ? 100 + rng.below(201) : 1 + rng.below(70);
      const double Y = static_cast<double>(large ? rng.below(300) : rng.below(30)) + 0.5;
      uint8_t fill[4];
      for (uint8_t& f : fill) f = static_cast<uint8_t>(rng.below(256));
      const double ry = m[1] * Y, rv = m[4] * Y;
      const std::string what = "channels " + std::to_string(C) + ", " + std::to_string(w) + "x" +
                               std::to_string(h) + ", n " + std::to_string(n) + ", kind " +
                               std::to_string(kind);
      compare_u8_rows(ck, "warp_pillow_u8", C, n, what, [&](const KernelTable& k, uint8_t* d) {
        k.warp_pillow_u8(src, stride, w, h, C, m, ry, rv, n, fill, d);
      });
    }
  }
};

// resize_h_u8_sums and resize_v_sums_u8 (OpenCV's INTER_LANCZOS4 passes): every table's
// kernels against the scalar table's, and the scalar table's against the contracts' formulas
// in int64: rows of 1-5 channels flush against a guard page (every window inside the row, some
// ending at its last byte), even tap counts 2-12 (8 most often), weights in all of [-2^15,
// 2^15) or lanczos-sized ones; the vertical pass on int32 rows of any value (its sums wrap
// modulo 2^32, as OpenCV's do), 1-12 taps, shifts of 1-30 bits; outputs between sentinels.
struct SumsChecker {
  Checker& ck;

  void run() {
    Rng rng;
    Arena img = make_arena(size_t{1} << 16);
    for (int iter = 0; iter < 3000; ++iter) {
      const int64_t C = 1 + rng.below(5);
      const int64_t taps = rng.below(3) ? 8 : 2 + 2 * rng.below(6);
      const int64_t w = taps + rng.below(iter % 4 == 0 ? 400 : 40);
      const RowImage im = row_image(rng, img, C, w, 1, rng.below(8) == 0);
      const int64_t n = 1 + rng.below(iter % 4 == 0 ? 300 : 70);
      const bool wide = rng.below(3) == 0;  // any int16 weight, else lanczos-sized
      std::vector<int32_t> start(static_cast<size_t>(n)), k(static_cast<size_t>(n * taps));
      std::vector<int32_t> kp(static_cast<size_t>(n * taps / 2));
      for (int64_t x = 0; x < n; ++x) {
        start[static_cast<size_t>(x)] = static_cast<int32_t>(
            rng.below(4) == 0 ? w - taps : rng.below(static_cast<uint32_t>(w - taps + 1)));
        for (int64_t t = 0; t < taps; ++t)
          k[static_cast<size_t>(x * taps + t)] =
              wide ? static_cast<int32_t>(rng.below(65536)) - 32768
                   : static_cast<int32_t>(rng.below(3600)) - 600;
        for (int64_t q = 0; q < taps / 2; ++q)
          kp[static_cast<size_t>(q * n + x)] =
              pixnorm::word_pair(k[static_cast<size_t>(x * taps + 2 * q)],
                                 k[static_cast<size_t>(x * taps + 2 * q + 1)]);
      }
      const int64_t ps = n + static_cast<int64_t>(rng.below(5));  // plane stride
      const size_t len = static_cast<size_t>(C * ps + 8);
      std::vector<int32_t> want(len, -7);
      std::snprintf(g_case, sizeof g_case, "resize_h_u8_sums on scalar");
      ck.tables[0]->resize_h_u8_sums(im.src, C, start.data(), kp.data(), taps, n, want.data(), ps);
      const std::string what = "C " + std::to_string(C) + ", taps " + std::to_string(taps) +
                               ", w " + std::to_string(w) + ", n " + std::to_string(n);
      bool formula = true;
      for (int64_t c = 0; c < C; ++c)
        for (int64_t x = 0; x < n; ++x) {
          int64_t sum = 0;
          for (int64_t t = 0; t < taps; ++t)
            sum += int64_t{k[static_cast<size_t>(x * taps + t)]} *
                   im.src[(start[static_cast<size_t>(x)] + t) * C + c];
          formula = formula && want[static_cast<size_t>(c * ps + x)] == sum;
        }
      ++ck.cases;
      if (!formula) ck.report("resize_h_u8_sums formula", what);
      for (size_t t = 1; t < ck.tables.size(); ++t) {
        const KernelTable& kt = *ck.tables[t];
        std::vector<int32_t> got(len, -7);
        std::snprintf(g_case, sizeof g_case, "resize_h_u8_sums on %s", pixnorm::isa_name(kt.isa));
        kt.resize_h_u8_sums(im.src, C, start.data(), kp.data(), taps, n, got.data(), ps);
        ++ck.cases;
        if (got != want) ck.report(g_case, what);
      }
      // the vertical pass: int32 rows of any value, or of lanczos-sized sums
      const int64_t vt = 1 + rng.below(12), vn = 1 + rng.below(iter % 4 == 0 ? 700 : 90);
      const int bits = rng.below(2) ? 22 : 1 + static_cast<int>(rng.below(30));
      const bool any = rng.below(2) == 0;
      std::vector<std::vector<int32_t>> rows(static_cast<size_t>(vt));
      std::vector<const int32_t*> rp(static_cast<size_t>(vt));
      std::vector<int32_t> kv(static_cast<size_t>(vt));
      for (int64_t t = 0; t < vt; ++t) {
        auto& r = rows[static_cast<size_t>(t)];
        r.resize(static_cast<size_t>(vn));
        for (int32_t& v : r)
          v = any ? static_cast<int32_t>(rng.bits32())
                  : static_cast<int32_t>(rng.below(1 << 21)) - (1 << 20);
        rp[static_cast<size_t>(t)] = r.data();
        kv[static_cast<size_t>(t)] = wide ? static_cast<int32_t>(rng.below(65536)) - 32768
                                          : static_cast<int32_t>(rng.below(3600)) - 600;
      }
      std::vector<uint8_t> vwant(static_cast<size_t>(vn + 8), 0xA5);
      ck.tables[0]->resize_v_sums_u8(rp.data(), kv.data(), vt, vn, bits, vwant.data());
      bool vformula = true;
      for (int64_t i = 0; i < vn; ++i) {
        uint32_t acc = uint32_t{1} << (bits - 1);
        for (int64_t t = 0; t < vt; ++t)
          acc += static_cast<uint32_t>(kv[static_cast<size_t>(t)]) *
                 static_cast<uint32_t>(rows[static_cast<size_t>(t)][static_cast<size_t>(i)]);
        const int64_t v = static_cast<int64_t>(static_cast<int32_t>(acc)) >> bits;
        vformula = vformula && vwant[static_cast<size_t>(i)] == std::clamp<int64_t>(v, 0, 255);
      }
      const std::string vwhat = "taps " + std::to_string(vt) + ", n " + std::to_string(vn) +
                                ", bits " + std::to_string(bits);
      ++ck.cases;
      if (!vformula) ck.report("resize_v_sums_u8 formula", vwhat);
      compare_u8_rows(ck, "resize_v_sums_u8", 1, vn, vwhat, [&](const KernelTable& kt, uint8_t* d) {
        kt.resize_v_sums_u8(rp.data(), kv.data(), vt, vn, bits, d);
      });
    }
  }
};

// remap_u8: every table's kernel against the scalar table's, byte for byte: L, RGB and RGBA
// images of 1 to 40 x 1 to 20 pixels, packed or padded, flush against a guard page; maps of
// random positions in and around the image, whole and half pixels (nearest's ties), now and
// then NaN, infinities and values beyond int32; nearest and bilinear; rows between sentinels.
struct RemapChecker {
  Checker& ck;

  void run() {
    Rng rng;
    Arena img = make_arena(size_t{1} << 16);
    for (int iter = 0; iter < 4000; ++iter) {
      const int64_t C = std::array<int64_t, 3>{1, 3, 4}[rng.below(3)];
      const int64_t w = 1 + rng.below(40), h = 1 + rng.below(20);
      const RowImage im = row_image(rng, img, C, w, h, false);
      const int64_t stride = im.stride;
      const uint8_t* src = im.src;
      const int64_t n = 1 + rng.below(70);
      std::vector<float> mx(static_cast<size_t>(n)), my(static_cast<size_t>(n));
      const auto value = [&](int64_t size) {
        const uint32_t k = rng.below(20);
        if (k == 0) return random_input(rng);
        if (k < 4)
          return 0.5f * static_cast<float>(
                            static_cast<int>(rng.below(static_cast<uint32_t>(2 * size + 6)))) -
                 2.0f;
        return rng.uniform(-2.0f, static_cast<float>(size) + 1.0f);
      };
      for (int64_t x = 0; x < n; ++x) {
        mx[static_cast<size_t>(x)] = value(w);
        my[static_cast<size_t>(x)] = value(h);
      }
      uint8_t bval[4];
      for (uint8_t& b : bval) b = static_cast<uint8_t>(rng.below(256));
      const std::string what = "channels " + std::to_string(C) + ", " + std::to_string(w) + "x" +
                               std::to_string(h) + ", n " + std::to_string(n);
      for (int nearest = 0; nearest < 2; ++nearest)
        compare_u8_rows(ck, nearest ? "remap_u8 nearest" : "remap_u8 bilinear", C, n, what,
                        [&](const KernelTable& k, uint8_t* d) {
                          k.remap_u8(src, stride, w, h, C, mx.data(), my.data(), n, nearest == 1,
                                     bval, d);
                        });
    }
  }
};

// gather2d_u8: every table's kernel against the definition: images of 1-4 channels up to 40 x 20
// pixels with packed or padded rows, flush against a guard page (a read past the last byte
// faults); indices inside (the last pixel often) or negative on either axis (-1, or any
// negative value); rows of 1 to 70 outputs, planes forward or reversed between sentinels.
struct Gather2dChecker {
  Checker& ck;

  void run() {
    Rng rng;
    Arena img = make_arena(size_t{1} << 16);
    for (int iter = 0; iter < 4000; ++iter) {
      const int64_t C = 1 + rng.below(4), w = 1 + rng.below(40), h = 1 + rng.below(20);
      const RowImage im = row_image(rng, img, C, w, h, false);
      const int64_t stride = im.stride, total = im.total;
      const uint8_t* src = im.src;
      const int64_t n = 1 + rng.below(70);
      std::vector<int32_t> xi(static_cast<size_t>(n)), yi(static_cast<size_t>(n));
      for (int64_t x = 0; x < n; ++x) {
        const uint32_t k = rng.below(8);
        const auto neg = [&] {
          return rng.below(2) ? -1 : -static_cast<int32_t>(rng.bits32() >> 1);
        };
        xi[static_cast<size_t>(x)] =
            k == 0  ? neg()
            : k < 3 ? static_cast<int32_t>(w - 1)
                    : static_cast<int32_t>(rng.below(static_cast<uint32_t>(w)));
        yi[static_cast<size_t>(x)] =
            k == 1  ? neg()
            : k < 3 ? static_cast<int32_t>(h - 1)
                    : static_cast<int32_t>(rng.below(static_cast<uint32_t>(h)));
      }
      uint8_t fill[4];
      for (uint8_t& f : fill) f = static_cast<uint8_t>(rng.below(256));
      const int64_t pstride = n + rng.below(4);
      const bool reversed = rng.below(2) == 1;
      constexpr uint8_t kMark = 0x3C;
      const int64_t lead = 4, size = lead + C * pstride + 4;
      for (size_t t = 0; t < ck.tables.size(); ++t) {
        std::vector<uint8_t> d(static_cast<size_t>(size), kMark);
        uint8_t* plane0 = d.data() + lead + (reversed ? (C - 1) * pstride : 0);
        std::snprintf(g_case, sizeof g_case, "gather2d_u8 %s C=%lld %lldx%lld n=%lld",
                      pixnorm::isa_name(ck.tables[t]->isa), static_cast<long long>(C),
                      static_cast<long long>(w), static_cast<long long>(h),
                      static_cast<long long>(n));
        ck.tables[t]->gather2d_u8(src, stride, C, total, xi.data(), yi.data(), n, fill, plane0,
                                  reversed ? -pstride : pstride);
        ++ck.cases;
        bool same = true;
        for (int64_t i = 0; i < size; ++i) {
          const int64_t rel = i - lead;
          uint8_t want = kMark;
          if (rel >= 0 && rel < C * pstride && rel % pstride < n) {
            const int64_t x = rel % pstride;
            const int64_t c = reversed ? C - 1 - rel / pstride : rel / pstride;
            const int32_t xx = xi[static_cast<size_t>(x)], yy = yi[static_cast<size_t>(x)];
            want = xx >= 0 && yy >= 0 ? src[yy * stride + xx * C + c] : fill[c];
          }
          same = same && d[static_cast<size_t>(i)] == want;
        }
        if (!same) ck.report(g_case, "differs from its definition or wrote outside its output");
      }
    }
  }
};

// warp_torch_u8: every table's kernel against the scalar table's, bit for bit (the levels:
// an fma of the grid done as a multiply and an add changes 3 pixels in 4.5 million random ones,
// beyond this check's reach; the SIMD kernels follow the generic code's operations one for one):
// images of 1-5 channels (random levels, or only 0 and 255), 1 to 40 pixels wide and 1 to 20 high,
// packed (H, W, C), planar (C, H, W) or with padded rows, flush against a guard page (a read past
// the image's last byte faults) or, with negative strides, mirrored; grids that rotate, scale,
// shear and translate (in and out of the image, far outside, on exact pixel centres, overflowing),
// in the naive or the sgemm order, nearest and bilinear, with and without a fill; rows of 1 to 70
// outputs between sentinels.
struct WarpTorchChecker {
  Checker& ck;

  void run() {
    Rng rng;
    Arena img = make_arena(size_t{1} << 16);
    for (int iter = 0; iter < 3000; ++iter) {
      const int64_t C = 1 + rng.below(5), w = 1 + rng.below(40), h = 1 + rng.below(20);
      const int layout = static_cast<int>(rng.below(4));
      int64_t sy = w * C, sx = C, sc = 1;
      if (layout == 1) sc = w * h, sy = w, sx = 1;  // planar, as a (C, H, W) tensor
      if (layout == 2) sy = w * C + 3;              // padded rows
      const int64_t total = (h - 1) * sy + (w - 1) * sx + (C - 1) * sc + 1;
      uint8_t* base = img.hi() - total;
      const bool stark = rng.below(2) == 0;  // levels 0 and 255 only: sums nearest a .5
      for (int64_t i = 0; i < total; ++i)
        base[i] = static_cast<uint8_t>(stark ? 255 * rng.below(2) : rng.below(256));
      const uint8_t* src = base;
      int64_t extent = total;
      if (layout == 3) {  // mirrored columns: negative x stride, no extent
        src = base + (w - 1) * sx;
        sx = -sx;
        extent = 0;
      }
      const int64_t n = 1 + rng.below(70);
      const int64_t y = rng.below(static_cast<uint32_t>(n));
      float coef[9];
      const float a = rng.uniform(-3.2f, 3.2f), z = rng.uniform(0.3f, 2.5f);
      const float dw = static_cast<float>(w) / 2.0f, dh = static_cast<float>(h) / 2.0f;
      const int kind = static_cast<int>(rng.below(6));
      // theta / (w/2, h/2) as the Python layer builds it, from an inverse map about the centre
      float t[6] = {z * std::cos(a), -z * std::sin(a), rng.uniform(-8.0f, 8.0f),
                    z * std::sin(a), z * std::cos(a),  rng.uniform(-8.0f, 8.0f)};
      if (kind == 0) t[0] = 1, t[1] = 0, t[3] = 0, t[4] = 1, t[2] = 0, t[5] = 0;  // centres
      if (kind == 1) t[1] += 0.3f;                                                // a shear
      if (kind == 2) t[2] *= 1e9f;                                                // far outside
      if (kind == 3) t[0] = 3e38f, t[4] = -3e38f;                                 // overflowing
      coef[0] = t[0] / dw, coef[1] = t[1] / dw, coef[2] = t[2] / dw;
      coef[3] = t[3] / dh, coef[4] = t[4] / dh, coef[5] = t[5] / dh;
      coef[6] = dw, coef[7] = dh;
      coef[8] = static_cast<float>(static_cast<double>(y) - static_cast<double>(n - 1) * 0.5);
      float fill[5];
      for (float& f : fill) f = static_cast<float>(rng.below(256)) + (rng.below(2) ? 0.5f : 0.0f);
      for (int flags = 0; flags < 8; ++flags) {
        std::vector<uint8_t> want(static_cast<size_t>(C * n + 16), 0xA5);
        std::snprintf(g_case, sizeof g_case, "warp_torch_u8 on scalar");
        ck.tables[0]->warp_torch_u8(src, sy, sx, sc, extent, w, h, C, coef, flags, fill, n,
                                    want.data());
        for (size_t k = 1; k < ck.tables.size(); ++k) {
          const KernelTable& kt = *ck.tables[k];
          std::vector<uint8_t> got(want.size(), 0xA5);
          std::snprintf(g_case, sizeof g_case, "warp_torch_u8 on %s", pixnorm::isa_name(kt.isa));
          kt.warp_torch_u8(src, sy, sx, sc, extent, w, h, C, coef, flags, fill, n, got.data());
          ++ck.cases;
          if (got != want)
            ck.report(g_case, "channels " + std::to_string(C) + ", " + std::to_string(w) + "x" +
                                  std::to_string(h) + ", layout " + std::to_string(layout) +
                                  ", flags " + std::to_string(flags) + ", n " + std::to_string(n));
        }
      }
    }
  }
};

// gather_normalize_u8 and gather_u8: every table's kernel against the scalar table's, bit for bit:
// rows of 1 to 60 pixels of 1 to kMaxChannels channels flush against a guard page at their end or
// their start (a read outside the row faults), starts anywhere in the row (the last pixel
// often), 1 to 70 outputs, planes forward or reversed between sentinels, special affines.
struct GatherChecker {
  Checker& ck;

  void run() {
    Rng rng;
    Arena arena = make_arena(size_t{1} << 12);
    for (int iter = 0; iter < 4000; ++iter) {
      const int64_t C = 1 + rng.below(kMaxChannels), width = 1 + rng.below(60);
      const int64_t bytes = width * C;
      uint8_t* row = rng.below(2) ? arena.hi() - bytes : arena.lo;
      for (int64_t i = 0; i < bytes; ++i) row[i] = static_cast<uint8_t>(rng.below(256));
      const int64_t n = 1 + rng.below(70);
      std::vector<int32_t> start(static_cast<size_t>(n));
      for (int32_t& st : start)
        st = static_cast<int32_t>(rng.below(3) == 0 ? width - 1
                                                    : rng.below(static_cast<uint32_t>(width)));
      float a[kMaxChannels], b[kMaxChannels];
      random_affine(rng, true, C, a, b);
      const int64_t stride = n + static_cast<int64_t>(rng.below(5));
      const bool reversed = rng.below(2) == 1;
      const int64_t lead = 3, size = lead + C * stride + 3;
      std::vector<float> want;
      for (size_t t = 0; t < ck.tables.size(); ++t) {
        std::vector<float> d(static_cast<size_t>(size), float_of(kSentinel));
        float* plane0 = d.data() + lead + (reversed ? (C - 1) * stride : 0);
        std::snprintf(g_case, sizeof g_case, "gather_normalize_u8 %s C=%lld width=%lld n=%lld",
                      pixnorm::isa_name(ck.tables[t]->isa), static_cast<long long>(C),
                      static_cast<long long>(width), static_cast<long long>(n));
        ck.tables[t]->gather_normalize_u8(row, width, C, start.data(), n, a, b, plane0,
                                          reversed ? -stride : stride);
        ++ck.cases;
        bool same = true;
        for (int64_t i = 0; i < size; ++i) {
          const int64_t rel = i - lead;
          const bool output = rel >= 0 && rel < C * stride && rel % stride < n;
          if (!output && load_bits(&d[static_cast<size_t>(i)]) != kSentinel) same = false;
        }
        if (t == 0)
          want = d;
        else
          for (size_t i = 0; i < d.size(); ++i) same = same && bits_of(d[i]) == bits_of(want[i]);
        if (!same) ck.report(g_case, "wrote outside its output or differs from scalar");
      }
      // gather_u8: the same reads, the levels themselves into uint8 planes
      std::vector<uint8_t> want8;
      for (size_t t = 0; t < ck.tables.size(); ++t) {
        constexpr uint8_t kMark = 0xA5;
        std::vector<uint8_t> d(static_cast<size_t>(size), kMark);
        uint8_t* plane0 = d.data() + lead + (reversed ? (C - 1) * stride : 0);
        std::snprintf(g_case, sizeof g_case, "gather_u8 %s C=%lld width=%lld n=%lld",
                      pixnorm::isa_name(ck.tables[t]->isa), static_cast<long long>(C),
                      static_cast<long long>(width), static_cast<long long>(n));
        ck.tables[t]->gather_u8(row, width, C, start.data(), n, plane0,
                                reversed ? -stride : stride);
        ++ck.cases;
        bool same = true;
        for (int64_t i = 0; i < size; ++i) {
          const int64_t rel = i - lead;
          const bool output = rel >= 0 && rel < C * stride && rel % stride < n;
          if (output) {  // the definition, checked on every table (the scalar one too)
            const int64_t c = reversed ? C - 1 - rel / stride : rel / stride;
            const int64_t x = rel % stride;
            same = same && d[static_cast<size_t>(i)] == row[start[static_cast<size_t>(x)] * C + c];
          } else if (d[static_cast<size_t>(i)] != kMark) {
            same = false;
          }
        }
        if (t == 0)
          want8 = d;
        else
          same = same && d == want8;
        if (!same) ck.report(g_case, "wrote outside its output or differs from its definition");
      }
    }
  }
};

// store_u8_hwc and interleave_u8: every table's kernel against the definition (the generic
// StoreU8 arithmetic written out here) and the scalar table's, byte for byte: 1 to kMaxChannels
// planes of 1 to 80 values with a gap between planes, inputs from random_input (NaN, infinities,
// halves, out of range) and levels plus halves, unit 1 or a power of two, the output between
// sentinel bytes (a write outside it is reported).
struct InterleaveChecker {
  Checker& ck;

  static uint8_t store_u8_def(float v) {
    v = v > 0.0f ? v : 0.0f;
    v = v < 255.0f ? v : 255.0f;
    return static_cast<uint8_t>(std::lrint(v));
  }

  void run() {
    Rng rng;
    for (int iter = 0; iter < 3000; ++iter) {
      const int64_t C = 1 + rng.below(kMaxChannels), n = 1 + rng.below(80);
      const int64_t stride = n + rng.below(4);
      std::vector<float> src(static_cast<size_t>(C * stride));
      const bool levels = rng.below(2) == 1;
      for (float& v : src)
        v = levels ? static_cast<float>(static_cast<int>(rng.below(600)) - 100) * 0.5f
                   : random_input(rng);
      const float unit = rng.below(2) ? 1.0f : std::ldexp(1.0f, -static_cast<int>(rng.below(16)));
      std::vector<uint8_t> bytes(static_cast<size_t>(C * stride));
      for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng.below(256));
      constexpr uint8_t kMark = 0x5A;
      const int64_t lead = 5, size = lead + n * C + 5;
      for (size_t t = 0; t < ck.tables.size(); ++t) {
        for (int kind = 0; kind < 2; ++kind) {
          std::vector<uint8_t> d(static_cast<size_t>(size), kMark);
          std::snprintf(g_case, sizeof g_case, "%s %s C=%lld n=%lld",
                        kind == 0 ? "store_u8_hwc" : "interleave_u8",
                        pixnorm::isa_name(ck.tables[t]->isa), static_cast<long long>(C),
                        static_cast<long long>(n));
          if (kind == 0)
            ck.tables[t]->store_u8_hwc(src.data(), stride, C, n, unit, d.data() + lead);
          else
            ck.tables[t]->interleave_u8(bytes.data(), stride, C, n, d.data() + lead);
          ++ck.cases;
          bool same = true;
          for (int64_t i = 0; i < size; ++i) {
            const int64_t rel = i - lead;
            uint8_t want = kMark;
            if (rel >= 0 && rel < n * C) {
              const int64_t x = rel / C, c = rel % C;
              want = kind == 0 ? store_u8_def(src[static_cast<size_t>(c * stride + x)] * unit)
                               : bytes[static_cast<size_t>(c * stride + x)];
            }
            same = same && d[static_cast<size_t>(i)] == want;
          }
          if (!same) ck.report(g_case, "differs from its definition or wrote outside its output");
        }
        // interleave_f32: the same positions, the float32 bits copied (NaN payloads included)
        std::vector<float> f(static_cast<size_t>(size), float_of(kSentinel));
        std::snprintf(g_case, sizeof g_case, "interleave_f32 %s C=%lld n=%lld",
                      pixnorm::isa_name(ck.tables[t]->isa), static_cast<long long>(C),
                      static_cast<long long>(n));
        ck.tables[t]->interleave_f32(src.data(), stride, C, n, f.data() + lead);
        ++ck.cases;
        bool same = true;
        for (int64_t i = 0; i < size; ++i) {
          const int64_t rel = i - lead;
          uint32_t want = kSentinel;
          if (rel >= 0 && rel < n * C)
            want = load_bits(&src[static_cast<size_t>((rel % C) * stride + rel / C)]);
          same = same && load_bits(&f[static_cast<size_t>(i)]) == want;
        }
        if (!same) ck.report(g_case, "differs from its definition or wrote outside its output");
      }
    }
  }
};

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // keep reported lines if a kernel faults
  std::vector<Isa> required;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    std::string list;
    if (arg == "--require" && i + 1 < argc)
      list = argv[++i];
    else if (arg.rfind("--require=", 0) == 0)
      list = arg.substr(10);
    else {
      std::fprintf(stderr, "usage: %s [--require ISA[,ISA...]]\n", argv[0]);
      return 2;
    }
    for (const std::string& name : split(list, ',')) {
      try {
        required.push_back(pixnorm::parse_isa(name));
      } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "kernel_check: %s\n", e.what());
        return 2;
      }
    }
  }

  const std::vector<Isa> isas = pixnorm::supported_isas();
  std::string names, skipped;
  for (Isa i : isas) names += std::string(names.empty() ? "" : " ") + pixnorm::isa_name(i);
  for (Isa i : pixnorm::compiled_isas())
    if (!pixnorm::cpu_supports(i)) skipped += std::string(" ") + pixnorm::isa_name(i);
  if (!skipped.empty())
    std::printf("kernel_check: compiled in but not supported by this CPU (not checked):%s\n",
                skipped.c_str());
  for (Isa r : required) {
    bool found = false;
    for (Isa i : isas) found = found || i == r;
    if (!found) {
      std::fprintf(stderr,
                   "kernel_check: required ISA '%s' is not supported here (supported: %s)\n",
                   pixnorm::isa_name(r), names.c_str());
      return 2;
    }
  }
  if (isas.empty() || isas.front() != Isa::scalar) {
    std::fprintf(stderr, "kernel_check: the scalar table is not available\n");
    return 2;
  }

  install_fault_handler();
  Checker ck;
  for (Isa i : isas) ck.tables.push_back(&pixnorm::kernels_for(i));
  const size_t max_row = static_cast<size_t>(kMaxWidth * kMaxChannels) * sizeof(float);
  ck.src_arena = make_arena(max_row + 4 * sizeof(float));
  ck.a_arena = make_arena(kMaxChannels * sizeof(float));
  ck.b_arena = make_arena(kMaxChannels * sizeof(float));
  ck.dst_arena = make_arena(
      static_cast<size_t>(kLead + kMaxDstOffset + kTrail + kMaxChannels * (kMaxWidth + 20)) *
      sizeof(float));

  std::vector<int64_t> widths;
  for (int64_t w = 1; w <= 70; ++w) widths.push_back(w);
  for (int64_t w : {1000, 1023, 1024}) widths.push_back(w);

  Rng rng;
  for (int64_t c = 1; c <= kMaxChannels; ++c)
    for (int64_t w : widths) {
      ck.check_shape<uint8_t>(rng, c, w);
      ck.check_shape<float>(rng, c, w);
    }

  StatsChecker sc{ck, make_arena(size_t{16} << 20)};
  sc.run();

  ResizeChecker rc{ck};
  rc.run();

  ColorChecker cc{ck};
  cc.run();

  StoreChecker stc{ck};
  stc.run();

  WarpChecker wc{ck};
  wc.run();

  GatherChecker gc{ck};
  gc.run();

  InterleaveChecker ic{ck};
  ic.run();

  WarpTorchChecker wtc{ck};
  wtc.run();

  WarpIppChecker wic{ck};
  wic.run();

  Gather2dChecker g2c{ck};
  g2c.run();

  SumsChecker smc{ck};
  smc.run();

  WarpPillowChecker wpc{ck};
  wpc.run();

  RemapChecker rmc{ck};
  rmc.run();

  std::printf("kernel_check: %lld cases, %lld mismatches on isas: %s\n",
              static_cast<long long>(ck.cases), static_cast<long long>(ck.mismatches),
              names.c_str());
  return ck.mismatches == 0 ? 0 : 1;
}
