// The default convention's antialiasing passes, kernel by kernel, on every ISA this CPU runs:
// median microseconds for the 224 output rows of the eval workloads of bench_preprocess.py
// (Resize(256), CenterCrop(224), RGB). Pipeline timings move by 10% or more on a shared machine;
// kernels timed here in interleaved rounds stay within a few percent, so this is where a change
// to one pass is measured before the whole call is. C++ only (no Python); not a test.
//
//   bash bench/bench_kernels.sh [rounds]   (builds it with g++ from the kernel sources, runs it)
//
// Geometry: the triangle filter (support = scale) with every window at its widest,
// ceil(support) * 2 + 1 taps, and both axes at the scale of the shorter side; the weights'
// values do not change the kernels' speed.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/table.hpp"

namespace {

using pixnorm::Isa;
using pixnorm::KernelTable;

struct Workload {
  const char* name;
  int64_t in;  // source pixels of the resized axis (the shorter side)
};

// One axis of the resize in -> 256 (then the centre 224), windows padded to the widest.
struct Axis {
  int64_t taps = 0, span = 0;
  std::vector<int32_t> start;  // relative to the first source pixel read
  std::vector<float> w, wt;    // output-major and tap-major
};

Axis plan(int64_t in) {
  const double scale = static_cast<double>(in) / 256.0, support = scale > 1.0 ? scale : 1.0;
  Axis a;
  a.taps = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
  const int64_t off = (256 - 224) / 2;
  std::vector<int64_t> xmin(224);
  for (int64_t x = 0; x < 224; ++x) {
    const double centre = (static_cast<double>(x + off) + 0.5) * scale;
    xmin[static_cast<size_t>(x)] =
        std::max<int64_t>(0, static_cast<int64_t>(centre - support + 0.5));
    xmin[static_cast<size_t>(x)] = std::min(xmin[static_cast<size_t>(x)], in - a.taps);
  }
  const int64_t lo = xmin[0];
  a.span = xmin[223] + a.taps - lo;
  a.w.assign(static_cast<size_t>(224 * a.taps), 0.0f);
  for (int64_t x = 0; x < 224; ++x) {
    a.start.push_back(static_cast<int32_t>(xmin[static_cast<size_t>(x)] - lo));
    const double centre = (static_cast<double>(x + off) + 0.5) * scale;
    double sum = 0.0;
    std::vector<double> k(static_cast<size_t>(a.taps));
    for (int64_t t = 0; t < a.taps; ++t) {
      const double d =
          (static_cast<double>(xmin[static_cast<size_t>(x)] + t) + 0.5 - centre) / support;
      k[static_cast<size_t>(t)] = std::max(0.0, 1.0 - std::fabs(d));
      sum += k[static_cast<size_t>(t)];
    }
    for (int64_t t = 0; t < a.taps; ++t)
      a.w[static_cast<size_t>(x * a.taps + t)] =
          static_cast<float>(k[static_cast<size_t>(t)] / sum);
  }
  a.wt.resize(a.w.size());
  for (int64_t x = 0; x < 224; ++x)
    for (int64_t t = 0; t < a.taps; ++t)
      a.wt[static_cast<size_t>(t * 224 + x)] = a.w[static_cast<size_t>(x * a.taps + t)];
  return a;
}

// Interleaved rounds: each round times once(i) for every candidate i in turn; returns each
// candidate's microseconds per round, sorted (median at size / 2, p10 at size / 10).
std::vector<std::vector<double>> interleaved_rounds(int rounds, size_t n,
                                                    const std::function<void(size_t)>& once) {
  std::vector<std::vector<double>> us(n);
  for (int r = 0; r < rounds; ++r)
    for (size_t i = 0; i < n; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      once(i);
      us[i].push_back(
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
  for (auto& u : us) std::sort(u.begin(), u.end());
  return us;
}

// Bilinear without antialiasing (2 x 2 taps: the named conventions' and pixnorm's
// antialias=False), one output row of 224 pixels from two source rows, 224 rows, 500x375 ->
// 256 -> centre 224: bilinear2_u8 (float tail) and bilinear2_fixed (OpenCV's integer tail, to
// float32 levels), for 1 and 3 channels.
void bilinear(int rounds) {
  constexpr int64_t W = 500, n = 224;
  const double scale = 375.0 / 256.0;
  std::vector<int32_t> start(n), kx(n), kf(n);
  for (int64_t x = 0; x < n; ++x) {
    const double s = (static_cast<double>(x + 58) + 0.5) * scale - 0.5;  // (341 - 224) / 2
    const int64_t i = std::min<int64_t>(static_cast<int64_t>(std::floor(s)), W - 2);
    const int32_t k1 = static_cast<int32_t>(std::lrint((s - std::floor(s)) * 16384.0));
    start[static_cast<size_t>(x)] = static_cast<int32_t>(i);
    kx[static_cast<size_t>(x)] = (16384 - k1) | (k1 << 16);
    const int32_t f1 = k1 >> 3;  // OpenCV: 2^11
    kf[static_cast<size_t>(x)] = (2048 - f1) | (f1 << 16);
  }
  std::mt19937 rng(3);
  std::vector<uint8_t> rows(static_cast<size_t>(2 * W * 4));
  for (auto& v : rows) v = static_cast<uint8_t>(rng() & 255);
  std::vector<float> dst(static_cast<size_t>(4 * (n + 16)));
  const float a[4] = {0.1f, 0.2f, 0.3f, 0.4f}, b[4] = {-1.0f, -2.0f, -3.0f, -4.0f};
  pixnorm::LevelParams lv[4];
  for (auto& l : lv) {
    l.factor = 1.0f / 255.0f;
    l.inv_factor = 255.0f;
    l.mean = 0.45f;
    l.std = 0.225f;
    l.inv_std = 1.0f / 0.225f;
  }
  std::printf(
      "\n| workload | ISA | kernel | channels | median us / 224 rows | p10 |\n"
      "|---|---|---|---|---:|---:|\n");
  for (Isa isa : pixnorm::supported_isas()) {
    const KernelTable& kt = pixnorm::kernels_for(isa);
    struct Cand {
      const char* kernel;
      int64_t C;
      std::function<void()> run;
    };
    std::vector<Cand> cands;
    for (int64_t C : {1, 3}) {
      const uint8_t* r0 = rows.data();
      const uint8_t* r1 = rows.data() + W * C;
      cands.push_back({"bilinear2_u8", C, [&kt, r0, r1, C, &start, &kx, &a, &b, &dst] {
                         kt.bilinear2_u8(r0, r1, 0.25f, 0.75f, C, start.data(), kx.data(), n, a, b,
                                         dst.data(), n + 16);
                       }});
      cands.push_back(
          {"bilinear2_fixed (opencv, levels)", C, [&kt, r0, r1, C, &start, &kf, &lv, &dst] {
             kt.bilinear2_fixed(r0, r1, 512, 1536, C, start.data(), kf.data(), n,
                                pixnorm::kFixedOpencv, 0, 0, nullptr, n + 16, lv, dst.data());
           }});
    }
    const auto us = interleaved_rounds(rounds, cands.size(), [&](size_t i) {
      for (int64_t y = 0; y < 224; ++y) cands[i].run();
    });
    for (size_t i = 0; i < cands.size(); ++i)
      std::printf("| 500x375 -> 224 | %s | %s | %lld | %.1f | %.1f |\n", pixnorm::isa_name(isa),
                  cands[i].kernel, static_cast<long long>(cands[i].C), us[i][us[i].size() / 2],
                  us[i][us[i].size() / 10]);
  }
}

// The colour conversions of a 500x375 RGB image, row by row (each row as the passes read it):
// the named conventions' integer conversions (convert_u8: interleaved RGB in, 1 or 3
// interleaved channels out) and pixnorm's float32 luma (luma_u8).
void colour(int rounds) {
  constexpr int64_t W = 500, H = 375;
  std::mt19937 rng(2);
  std::vector<uint8_t> img(static_cast<size_t>(W * H * 3)), dst(static_cast<size_t>(W * 3 + 64));
  for (auto& v : img) v = static_cast<uint8_t>(rng() & 255);
  std::vector<float> fdst(static_cast<size_t>(W + 16));
  std::vector<int32_t> lut(9 * 256);  // Pillow's YCbCr tables (pixnorm/color.cpp)
  const double coef[9] = {0.299, 0.587, 0.114, -0.16874, -0.33126, 0.5, 0.5, -0.41869, -0.08131};
  for (int k = 0; k < 9; ++k)
    for (int i = 0; i < 256; ++i)
      lut[static_cast<size_t>(k * 256 + i)] =
          static_cast<int32_t>(std::trunc(coef[k] * i * 64.0 + 0.5));
  const float luma[3] = {0.299f, 0.587f, 0.114f};
  struct Formula {
    const char* name;
    int formula;
    int64_t out;
  };
  const Formula formulas[] = {{"'pillow' gray", pixnorm::kColorPillowLuma, 1},
                              {"'pillow' ycbcr", pixnorm::kColorPillowYCbCr, 3},
                              {"'torch' gray", pixnorm::kColorTorchLuma, 1},
                              {"'opencv' gray", pixnorm::kColorOpencvGray, 1},
                              {"'opencv' ycbcr", pixnorm::kColorOpencvYCbCr, 3},
                              {"'opencv' yuv", pixnorm::kColorOpencvYuv, 3}};
  std::printf(
      "\n| workload | ISA | colour | kernel | median us / 375 rows | p10 |\n"
      "|---|---|---|---|---:|---:|\n");
  for (Isa isa : pixnorm::supported_isas()) {
    const KernelTable& kt = pixnorm::kernels_for(isa);
    struct Cand {
      const char* colour;
      const char* kernel;
      std::function<void(const uint8_t*)> run;
    };
    std::vector<Cand> cands;
    cands.push_back({"pixnorm gray", "luma_u8",
                     [&](const uint8_t* row) { kt.luma_u8(row, W, 3, luma, fdst.data()); }});
    for (const Formula& f : formulas)
      cands.push_back({f.name, "convert_u8", [&kt, &lut, &dst, f](const uint8_t* row) {
                         kt.convert_u8(row, 0, W, f.formula, lut.data(), f.out, dst.data(), 0);
                       }});
    // the levels after a resize (torchvision's Resize then Grayscale): three planes of the row's
    // bytes in, planes out
    for (const Formula& f : formulas)
      cands.push_back({f.name, "convert_u8 (planes)", [&kt, &lut, &dst, f](const uint8_t* row) {
                         kt.convert_u8(row, W, W, f.formula, lut.data(), f.out, dst.data(), W);
                       }});
    const auto us = interleaved_rounds(rounds, cands.size(), [&](size_t i) {
      for (int64_t y = 0; y < H; ++y) cands[i].run(img.data() + y * W * 3);
    });
    for (size_t i = 0; i < cands.size(); ++i)
      std::printf("| 500x375 RGB | %s | %s | %s | %.1f | %.1f |\n", pixnorm::isa_name(isa),
                  cands[i].colour, cands[i].kernel, us[i][us[i].size() / 2],
                  us[i][us[i].size() / 10]);
  }
}

// The default convention's affine warps (issue 16's benchmark case): 500x375 RGB rotated by 23
// degrees about its centre and scaled to 224 x 224 (bench_warp.py's map), the 224 output rows
// of warp_bilinear_u8 and warp_nearest_u8 (planar float32 rows, before the normalization).
void warps(int rounds) {
  constexpr int64_t W = 500, H = 375, C = 3, n = 224;
  std::mt19937 rng(3);
  std::vector<uint8_t> img(static_cast<size_t>(W * H * C));
  for (auto& v : img) v = static_cast<uint8_t>(rng() & 255);
  const double a = 23.0 * 3.14159265358979323846 / 180.0, s = 500.0 / 224.0;
  const double c = std::cos(a) * s, si = std::sin(a) * s;
  const double m[6] = {c,  -si, 249.5 - c * 111.5 + si * 111.5,
                       si, c,   187.0 - si * 111.5 - c * 111.5};
  const float fill[4] = {0, 0, 0, 0};
  std::vector<float> dst(static_cast<size_t>(C * n));
  std::printf(
      "\n| workload | ISA | kernel | median us / 224 rows | p10 |\n"
      "|---|---|---|---:|---:|\n");
  for (Isa isa : pixnorm::supported_isas()) {
    const KernelTable& kt = pixnorm::kernels_for(isa);
    const std::pair<const char*, pixnorm::WarpBilinearU8> cands[] = {
        {"warp_bilinear_u8", kt.warp_bilinear_u8}, {"warp_nearest_u8", kt.warp_nearest_u8}};
    const auto us = interleaved_rounds(rounds, 2, [&](size_t i) {
      for (int64_t y = 0; y < n; ++y) {
        const double yd = static_cast<double>(y);
        cands[i].second(img.data(), W * C, W, H, C, m, m[1] * yd, m[4] * yd, n, fill, dst.data());
      }
    });
    for (size_t i = 0; i < 2; ++i)
      std::printf("| 500x375 RGB -> rotate 23 deg -> 224x224 | %s | %s | %.1f | %.1f |\n",
                  pixnorm::isa_name(isa), cands[i].first, us[i][us[i].size() / 2],
                  us[i][us[i].size() / 10]);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 100;
  if (rounds < 1) {
    std::fprintf(stderr, "usage: bench_kernels [rounds >= 1]\n");
    return 2;
  }
  constexpr int64_t C = 3, kRows = 224;
  const Workload loads[] = {{"500x375", 375}, {"1920x1080", 1080}};
  std::printf(
      "| workload | ISA | pass | kernel | median us / 224 rows | p10 "
      "|\n|---|---|---|---|---:|---:|\n");
  for (const Workload& wl : loads) {
    const Axis ax = plan(wl.in);  // both axes at the scale of the shorter side (square pixels)
    const int64_t span = ax.span, taps = ax.taps, wide = span * C, pstride = span + 32;
    std::mt19937 rng(1);
    std::vector<uint8_t> img(static_cast<size_t>((taps + 8) * wide));
    for (auto& v : img) v = static_cast<uint8_t>(rng() & 255);
    std::vector<const uint8_t*> rows(static_cast<size_t>(taps));
    for (int64_t t = 0; t < taps; ++t) rows[static_cast<size_t>(t)] = img.data() + t * wide;
    std::vector<int32_t> k(static_cast<size_t>(taps));
    for (int64_t t = 0; t < taps; ++t)  // vertical weights in 2^-16 (below 2^15 each)
      k[static_cast<size_t>(t)] =
          static_cast<int32_t>(std::lrint(ax.w[static_cast<size_t>(100 * taps + t)] * 65536.0));
    std::vector<float> vrow(static_cast<size_t>(wide + 64)),
        planes(static_cast<size_t>(C * pstride), 0.0f), hrow(static_cast<size_t>(C * 224));
    for (Isa isa : pixnorm::supported_isas()) {
      const KernelTable& kt = pixnorm::kernels_for(isa);
      struct Cand {
        const char* pass;
        const char* kernel;
        std::function<void()> run;
      };
      std::vector<Cand> cands;
      cands.push_back({"vertical", "resize_v_u8_int", [&] {
                         kt.resize_v_u8_int(rows.data(), k.data(), taps, wide, vrow.data());
                       }});
      if (kt.resize_v_u8_planar)
        cands.push_back({"vertical", "resize_v_u8_planar", [&] {
                           kt.resize_v_u8_planar(rows.data(), k.data(), taps, span, C,
                                                 planes.data(), pstride);
                         }});
      cands.push_back({"horizontal", "resize_h_interleaved (gathers)", [&] {
                         kt.resize_h_interleaved(vrow.data(), C, ax.start.data(), ax.w.data(),
                                                 ax.wt.data(), taps, 224, hrow.data(), 224);
                       }});
      cands.push_back({"horizontal", "resize_h (planes)", [&] {
                         kt.resize_h(planes.data(), pstride, C, ax.start.data(), ax.w.data(),
                                     ax.wt.data(), taps, 224, hrow.data(), 224);
                       }});
      const auto us = interleaved_rounds(rounds, cands.size(), [&](size_t i) {
        for (int64_t y = 0; y < kRows; ++y) cands[i].run();
      });
      for (size_t i = 0; i < cands.size(); ++i)
        std::printf(
            "| %s (scale %.2f, %lld taps, %lld source pixels) | %s | %s | %s | %.1f | %.1f |\n",
            wl.name, static_cast<double>(wl.in) / 256.0, static_cast<long long>(taps),
            static_cast<long long>(span), pixnorm::isa_name(isa), cands[i].pass, cands[i].kernel,
            us[i][us[i].size() / 2], us[i][us[i].size() / 10]);
    }
  }
  bilinear(rounds);
  colour(rounds);
  warps(rounds);
  return 0;
}
