// Internal to the resize operation (resize.cpp, resize_fixed.cpp, resize_opencv.cpp and the
// driver in preprocess.cpp): filter plans per convention, the jobs the resamplers run, and the
// level parameters of the named conventions. The public API is pixnorm/resize.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/table.hpp"
#include "pixnorm/image_view.hpp"
#include "pixnorm/normalize.hpp"
#include "pixnorm/resize.hpp"

namespace pixnorm {

// ---- resize / preprocess ------------------------------------------------------------------

// The filter of one axis, for the outputs [first, first + count) of a resize from `in` samples to
// `out_full` (pixnorm's default convention, weights computed in float64 then rounded to float32):
//  - antialias: Pillow's BILINEAR, a triangle filter of support max(in/out, 1) around the
//    centre (i + 0.5) * in/out, window [int(centre - support + 0.5), int(centre + support + 0.5))
//    clipped to the image, weights tri((j - centre + 0.5) * (1 / support)) divided by their sum;
//  - otherwise: bilinear with half-pixel centres, src = (i + 0.5) * in/out - 0.5, the two
//    neighbours clamped to the image edges (OpenCV INTER_LINEAR, torch align_corners=False).
// Every output gets `taps` weights (zero padded); start[i] + taps <= in. `mirror` reverses the
// outputs (a horizontal flip of the result).
// The filter windows of `count` outputs, stored flat: output k reads source samples
// [xmin[k], xmin[k] + size(k)) with float64 weights weights(k)[0 .. size(k)).
struct AxisWindows {
  std::vector<int64_t> xmin;
  std::vector<size_t> begin;  // count + 1 offsets into w
  std::vector<double> w;
  size_t size(size_t k) const { return begin[k + 1] - begin[k]; }
  const double* weights(size_t k) const { return w.data() + begin[k]; }
};
AxisWindows axis_windows(int64_t in, int64_t out_full, bool antialias, int64_t first,
                         int64_t count);

// The largest source (or box) a resize accepts: plans hold source positions and kernels byte
// offsets into a row of float32 values in int32, so a box may have at most kMaxResizeRows rows
// and kMaxResizeRowValues values per row (width * channels). No real image comes near; a larger
// one (or a broadcast view) is refused before planning instead of overflowing.
constexpr int64_t kMaxResizeRows = (int64_t{1} << 31) - 1;
constexpr int64_t kMaxResizeRowValues = (int64_t{1} << 29) - 1;
// Throws std::invalid_argument naming `name` when a box of height x width x channels exceeds them.
void check_resize_source(int64_t height, int64_t width, int64_t channels, const std::string& name);

struct AxisPlan {
  int64_t taps = 0, count = 0;
  std::vector<int32_t> start;  // count entries
  std::vector<float> w;        // count * taps
  std::vector<float> wt;       // the same weights tap-major: wt[k * count + i]
};
AxisPlan plan_axis(int64_t in, int64_t out_full, bool antialias, int64_t first, int64_t count,
                   bool mirror);

// What the resampler writes for each output row.
enum class ResampleOut : int {
  u8_hwc = 0,   // uint8 (h, w, C), rounded to nearest (ties to even), clamped to [0, 255]
  f32_hwc = 1,  // float32 (h, w, C)
  f32_chw = 2,  // float32 (C, h, w), x * a[c] + b[c] (preprocess)
};

// One image to resample: `src` has n == 1; rows [box_top, box_top + py.in) and columns
// [box_left, box_left + px.in) of it are the image the plans refer to.
struct ResampleJob {
  ImageView src;
  int64_t box_top = 0, box_left = 0;
  const AxisPlan* py = nullptr;
  const AxisPlan* px = nullptr;
  ResampleOut kind = ResampleOut::u8_hwc;
  void* dst = nullptr;                    // C-contiguous output of this image
  const ChannelAffine* affine = nullptr;  // for f32_chw
  int64_t rows_begin = 0, rows_end = -1;  // the output rows to write; -1: to the last
};

// Runs the jobs on up to `nthreads` threads: across images when there are enough of them, else
// across bands of output rows. Never throws once the jobs are valid.
void resample(const std::vector<ResampleJob>& jobs, int nthreads);

}  // namespace pixnorm

namespace pixnorm {

// ---- named conventions: another library's exact uint8 arithmetic ----------------------------

// One axis in fixed point, from the same float64 windows as pixnorm's plan:
//  - pillow: 22 fractional bits, k = trunc(w * 2^22 + 0.5) (Pillow's Resample.c);
//  - torch:  int16 weights with p bits, p the largest value <= 22 such that
//            trunc(0.5 + wmax * 2^p) < 2^15, wmax the largest weight of the whole axis
//            (torch's UpSampleKernel.cpp), k = trunc(w * 2^p + 0.5).
// Each pass computes clamp((2^(p-1) + sum_k k * x) >> p, 0, 255): uint8 between the passes.
struct FixedPlan {
  int64_t count = 0, taps = 0;
  int bits = 0;
  std::vector<int32_t> start;  // count entries; start + taps <= in
  std::vector<int32_t> k;      // count * taps
};
FixedPlan plan_axis_fixed(int64_t in, int64_t out_full, bool antialias, int64_t first,
                          int64_t count, bool mirror, Convention conv);

struct FixedJob {
  ImageView src;  // uint8, n == 1
  int64_t box_top = 0, box_left = 0;
  const FixedPlan* py = nullptr;
  const FixedPlan* px = nullptr;
  bool vertical_first = false;             // Pillow 13's order rule; torch: always false
  ResampleOut kind = ResampleOut::u8_hwc;  // u8_hwc, or f32_chw through `levels`
  void* dst = nullptr;
  const LevelParams* levels = nullptr;    // one per channel, see level_params
  int64_t rows_begin = 0, rows_end = -1;  // as ResampleJob
};
void resample_fixed(const std::vector<FixedJob>& jobs, int nthreads);

// torchvision v2's float arithmetic after the uint8 resize: ToDtype(float32, scale=True) is
// float32(x) * float32(scale), Normalize is (v - float32(mean)) / float32(std), all float32.
// divisor > 0 replaces the multiply by float32(x) / float32(divisor): ToTensor (v1, and v2's
// deprecated ToTensor) divides by 255, which differs from * float32(1/255) for 126 levels.
// Returns one LevelParams per channel for the levels kernels: the float32 factor, divide flag,
// mean and std, and whether the division-free form gives the same bits for every level 0..255
// (checked here against the float32 divisions), with the reciprocals it uses.
std::vector<LevelParams> level_params(const std::vector<double>& mean,
                                      const std::vector<double>& std, double scale,
                                      int64_t channels, double divisor = 0.0);

}  // namespace pixnorm

namespace pixnorm {

// OpenCV's cv2.resize(INTER_LINEAR) on uint8, bit for bit (docs/resize-conventions.md, section 3):
// source coordinates in float32, 11-bit weights rounded half to even, an exact int32 horizontal
// pass, and the vertical pass of VResizeLinearVec_32s8u for every element:
// out = sat_u8((((H0 >> 4) * b0 >> 16) + ((H1 >> 4) * b1 >> 16) + 2) >> 2). An exact 2x downscale
// of both axes becomes INTER_AREA: (a + b + c + d + 2) >> 2 (half to even for 2 channels).
struct OpencvAxis {
  int64_t count = 0;
  std::vector<int32_t> i0, i1;  // source samples, clamped to the image
  std::vector<int32_t> w0, w1;  // 11-bit weights (sum 2048)
};
// x: horizontal (coordinates clamped into the image), else vertical (weights from the unclamped
// coordinate, rows clamped when read), as OpenCV does.
OpencvAxis plan_axis_opencv(int64_t in, int64_t out_full, int64_t first, int64_t count, bool mirror,
                            bool x);

struct OpencvJob {
  ImageView src;  // uint8, n == 1
  int64_t box_top = 0, box_left = 0;
  const OpencvAxis* py = nullptr;
  const OpencvAxis* px = nullptr;
  bool area2x = false;  // both axes exactly halved: INTER_AREA's 2x2 mean
  ResampleOut kind = ResampleOut::u8_hwc;
  void* dst = nullptr;
  const LevelParams* levels = nullptr;    // as FixedJob
  int64_t rows_begin = 0, rows_end = -1;  // as ResampleJob
};
void resample_opencv(const std::vector<OpencvJob>& jobs, int nthreads);

}  // namespace pixnorm
