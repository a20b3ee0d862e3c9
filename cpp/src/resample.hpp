// Internal to the resize operation: one plan type for every convention, one job type, one runner
// (resample.cpp), and the three arithmetics that differ (resize.cpp: pixnorm's float32,
// resize_fixed.cpp: Pillow's and torch's fixed point, resize_opencv.cpp: OpenCV's). preprocess.cpp
// builds the plans and jobs; the public API is pixnorm/resize.hpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "color_step.hpp"
#include "kernels/table.hpp"
#include "pixnorm/image_view.hpp"
#include "pixnorm/normalize.hpp"
#include "pixnorm/resize.hpp"
#include "store.hpp"

namespace pixnorm {

// ---- filter windows (pixnorm, pillow, torch) ------------------------------------------------

// The filter windows of the outputs [first, first + count) of a resize from `in` samples to
// `out_full`, in float64, stored flat: output k reads source samples [xmin[k], xmin[k] + size(k))
// with weights weights(k)[0 .. size(k)):
//  - antialias: Pillow's BILINEAR, a triangle filter of support max(in/out, 1) around the
//    centre (i + 0.5) * in/out, window [int(centre - support + 0.5), int(centre + support + 0.5))
//    clipped to the image, weights tri((j - centre + 0.5) * (1 / support)) divided by their sum;
//  - otherwise: bilinear with half-pixel centres, src = (i + 0.5) * in/out - 0.5, the two
//    neighbours clamped to the image edges (OpenCV INTER_LINEAR, torch align_corners=False).
struct AxisWindows {
  std::vector<int64_t> xmin;
  std::vector<size_t> begin;  // count + 1 offsets into w
  std::vector<double> w;
  size_t size(size_t k) const { return begin[k + 1] - begin[k]; }
  const double* weights(size_t k) const { return w.data() + begin[k]; }
};
// `factor` > 0: the grid of a resize by that factor (out_full = in * factor, rounded by the
// caller): centres (i + 0.5) * (1 / factor), as torch's interpolate(scale_factor=...) and
// cv2.resize(fx=...) map them; 0: by the sizes, in / out_full.
// `filter` other than bilinear (pixnorm/resize.hpp): with antialias the windows above with its
// function and support; without (pixnorm's convention only) the unscaled filter around
// src = (i + 0.5) * in/out - 0.5, its samples clamped to the image edges (a sample read twice
// adds its weights), the weights divided by their sum.
// `shift`: source pixels added to every centre (Geometry's shift_y / shift_x; not for area).
AxisWindows axis_windows(int64_t in, int64_t out_full, bool antialias, int64_t first, int64_t count,
                         double factor = 0, Filter filter = Filter::bilinear, double shift = 0);

// The largest source (or box) a resize accepts: plans hold source positions and kernels byte
// offsets into a row of float32 values in int32, so a box may have at most kMaxResizeRows rows
// and kMaxResizeRowValues values per row (width * channels). No real image comes near; a larger
// one (or a broadcast view) is refused before planning instead of overflowing.
constexpr int64_t kMaxResizeRows = (int64_t{1} << 31) - 1;
constexpr int64_t kMaxResizeRowValues = (int64_t{1} << 29) - 1;
// Throws std::invalid_argument naming `name` when a box of height x width x channels exceeds them.
void check_resize_source(int64_t height, int64_t width, int64_t channels, const std::string& name);

// ---- plans ----------------------------------------------------------------------------------

// The filter of one output axis, for the outputs [first, first + count) of a resize from `in`
// samples to `out_full`, in its convention's arithmetic. Output i reads source samples
// [start[i], start[i] + taps) with start[i] + taps <= in (windows padded with zero weights),
// except in OpenCV's plan, whose two samples are start[i] and second[i] (equal at a clamped
// edge). `mirror` reverses the outputs (a horizontal flip of the result). The weights:
//  - pixnorm: float32 `w` (w[i * taps + t]), the same tap-major in `wt` (wt[t * count + i]),
//    each the float64 window weight rounded;
//  - pillow: integers `k` (k[i * taps + t]) with bits = 22 fractional bits,
//    k = trunc(w * 2^22 + 0.5) (Pillow's Resample.c);
//  - torch: int16 `k` with `bits` the largest value <= 22 such that trunc(0.5 + wmax * 2^bits) <
//    2^15, wmax the largest weight of the whole axis (torch's UpSampleKernel.cpp),
//    k = trunc(w * 2^bits + 0.5); each fixed-point pass computes
//    clamp((2^(bits-1) + sum_t k * x) >> bits, 0, 255), uint8 between the passes;
//  - opencv: cv2.resize(INTER_LINEAR) (docs/resize-conventions.md, section 3): source
//    coordinates in float32, 11-bit weight pairs k[2i], k[2i + 1] (sum 2048) rounded half to
//    even, on samples start[i] and second[i]; the horizontal axis (`x`) clamps its coordinates
//    into the image, the vertical one takes the weights of the unclamped coordinate and clamps
//    the rows, as OpenCV does.
struct AxisPlan {
  int64_t count = 0, taps = 0;
  bool mirrored = false;       // planned with `mirror`: the windows run from the far end
  int bits = 0;                // pillow, torch
  std::vector<int32_t> start;  // count entries
  std::vector<float> w, wt;    // pixnorm
  // pixnorm: the largest |w| and the largest sum of one output's |w| (in double), computed
  // with the plan (weight_bounds); negative when the plan's maker did not.
  double w_abs_max = -1.0, w_abs_sum_max = -1.0;
  std::vector<int32_t> k;        // pillow, torch, opencv
  std::vector<int32_t> second;   // opencv
  std::vector<int32_t> taps_at;  // opencv cubic: four clamped samples per output
  std::vector<uint8_t> order;    // opencv cubic (IPP): the horizontal summation order per output
  std::vector<int32_t> index;    // opencv cubic (own code): each output's index on the axis
  int64_t out_full = 0;          // opencv cubic (own code): the axis' output size
  // The source columns any output reads: [first_read, end_read).
  int64_t first_read() const;
  int64_t end_read() const;
};
// cv2.resize(INTER_AREA) on uint8 runs one of three paths, chosen from both axes' source
// steps (axis_scale's, OpenCV's own: 1 / fx, or 1 / (out / in)) (docs/resize-conventions.md,
// section 5e):
//  - blocks: both steps >= 1 and whole (|s - rne(s)| < DBL_EPSILON), k = rne(s) per axis:
//    output d covers source [d k, min(d k + k, in)). A full cell (k_y x k_x pixels) is
//    (sum + 2) >> 2 when k_y = k_x = 2 and C != 2, else rne(float(sum) * (1.0f / area)); a
//    cell cut by the edge (a factor's rounded size) rne(float(sum) / float(count)), clamped.
//  - table: both steps >= 1, not both whole: per axis OpenCV's table of (source, weight)
//    entries in double, each weight rounded to float32; the horizontal pass then the vertical
//    one, each a float32 sum in ascending source order (never fused), rne, clamped.
//  - linear: a step below 1 (upscaling either axis): INTER_LINEAR's 11-bit fixed-point
//    machinery with area coefficients, sx = floor(d s), f = float((d + 1) - (sx + 1) / s),
//    f <= 0 ? 0 : f - floor(f).
enum class AreaPath : int { none = 0, blocks = 1, table = 2, linear = 3 };
AreaPath opencv_area_path(int64_t h, int64_t w, int64_t oh, int64_t ow, double factor_y,
                          double factor_x);

// `factor`: as axis_windows (0: the grid follows the sizes). `u16`: uint16 images (OpenCV's
// 16-bit arithmetic, plan_axis_opencv16, for convention opencv). `area`: opencv with
// Filter::area, the job's path (opencv_area_path).
// `torch_cl`: torch's nearest filters as its channels-last kernel computes them (it runs when
// the output's height + width is at most 128 on a contiguous (N, C, H, W) tensor), else as its
// generic kernel (nearest_indices).
AxisPlan plan_axis(Convention conv, int64_t in, int64_t out_full, bool antialias, int64_t first,
                   int64_t count, bool mirror, bool x, double factor = 0, bool u16 = false,
                   Filter filter = Filter::bilinear, AreaPath area = AreaPath::none,
                   bool torch_cl = false, double shift = 0, bool cubic_own = false);
// plan_axis through a small cache of each thread's latest plans (the same arguments, the same
// plan): a stream of same-sized images (video frames, a dataset's common sizes, an eval
// loader's fixed Resize + CenterCrop) plans each axis once instead of per call (two plans of a
// 500x375 -> 224 preprocess cost about 8 us, a tenth of the call). At most kPlanCacheEntries
// plans of at most kPlanCacheBytes in all per thread, least recently used dropped first; a
// plan above a quarter of that is not kept. Per thread: no lock, nothing to hold across fork().
constexpr size_t kPlanCacheEntries = 16;
constexpr size_t kPlanCacheBytes = size_t{4} << 20;
std::shared_ptr<const AxisPlan> plan_axis_cached(Convention conv, int64_t in, int64_t out_full,
                                                 bool antialias, int64_t first, int64_t count,
                                                 bool mirror, bool x, double factor, bool u16,
                                                 Filter filter, AreaPath area, bool torch_cl,
                                                 double shift = 0, bool cubic_own = false);
// torch's choice between its two nearest kernels (see plan_axis) for an output of oh x ow from
// `v` (cut to a box of box_h x box_w): the channels-last kernel when oh + ow <= 128, or when the
// tensor is channels-last-contiguous with more than 3 channels, which a packed (H, W, C) image
// whole is (torch.from_numpy(hwc).permute(2, 0, 1) is such a tensor; a box of it is not).
inline bool torch_channels_last(Convention conv, Filter filter, int64_t oh, int64_t ow,
                                const ImageView& v, int64_t box_h, int64_t box_w) {
  if (conv != Convention::torch || !is_nearest(filter)) return false;
  if (oh + ow <= 128) return true;
  const int64_t s = itemsize(v.dtype);
  return v.channels > 3 && box_h == v.height && box_w == v.width && v.stride_c == s &&
         v.stride_x == v.channels * s && (v.height == 1 || v.stride_y == v.width * v.channels * s);
}
// The three plan builders plan_axis calls.
AxisPlan plan_axis_float(int64_t in, int64_t out_full, bool antialias, int64_t first, int64_t count,
                         bool mirror, double factor, Filter filter = Filter::bilinear,
                         double shift = 0);
AxisPlan plan_axis_fixed(int64_t in, int64_t out_full, bool antialias, int64_t first, int64_t count,
                         bool mirror, Convention conv, double factor,
                         Filter filter = Filter::bilinear);
AxisPlan plan_axis_opencv(int64_t in, int64_t out_full, int64_t first, int64_t count, bool mirror,
                          bool x, double factor);
// cv2.resize(INTER_LANCZOS4) on uint8, one axis (docs/resize-conventions.md 5f): the source
// coordinate f = float32((d + 0.5) * scale - 0.5), s = floor(f), t = f - s; OpenCV's 8 float32
// lanczos weights of t (interpolateLanczos4), each rne(w * 2048) as int16, on samples s - 3 ..
// s + 4 clamped to the edges. Stored as `k` (taps per output, int32) on the window [start,
// start + taps), taps = min(8, in): clamped taps fold their weights onto the edge sample (the
// integer sums are the same).
AxisPlan plan_axis_opencv_lanczos4(int64_t in, int64_t out_full, int64_t first, int64_t count,
                                   bool mirror, double factor);
// cv2.resize(INTER_CUBIC) on uint8 as the opencv-python wheels run it: Intel IPP's
// ippiResizeCubic (B = 0, C = 0.75, replicated border) for 1, 3 or 4 channels and sources of
// at least 4 x 4 (docs/resize-conventions.md 5h). Per output i of the axis (the sizes' scale
// in / out, in double): p = (i + 0.5) in / out - 0.5, f = floor(p), t = p - f, t snapped to
// float32(float32(t) + 1) - 1; the four weights float32(Keys(t + 1 - k)) with Keys in double;
// the samples f - 1 + k each clamped to the image (kept apart); `taps_at` holds them (4 per
// output), `w` the weights, `order` how IPP sums the horizontal taps (0: a chain of FMAs, for
// outputs with a clamped sample and for 3 channels; 1: its main order; 2: its tail order, the
// last (unclamped outputs) % 4 unclamped outputs of the axis; for 1 and 4 channels).
// start / second: the first and last sample read.
AxisPlan plan_axis_opencv_cubic(int64_t in, int64_t out_full, int64_t first, int64_t count,
                                bool mirror);
// Which code cv2.resize(INTER_CUBIC) runs for a box of h x w (of `channels` after any colour
// conversion) resized to oh x ow (docs/resize-conventions.md 5h): false: IPP's resize (1, 3 or
// 4 channels, both sides >= 4, any factors equal to the rounded sizes' ratios within 1e-10;
// also an unchanged size, which it copies); true: OpenCV's own code (2 channels; a source side
// below 4; with factors off the ratios, a source side of 1). Throws for the rest, which OpenCV
// gives to IPP's warpAffine (not reproduced).
// `name` names the image (or its box) in the error.
bool check_opencv_cubic(int64_t channels, int64_t h, int64_t w, int64_t oh, int64_t ow,
                        double factor_y, double factor_x, const std::string& name = "image");
// cv2.resize(INTER_CUBIC)'s own code on uint8 (resize.cpp: interpolateCubic, HResizeCubic,
// VResizeCubic and its SSE part; docs/resize-conventions.md 5h): per output d of the axis,
// f = float32((d + 0.5) * scale - 0.5) (scale = 1 / factor, or in / out by the sizes, in
// double), s = floor(f), t = f - s in float32; the weights interpolateCubic(t) (A = -0.75,
// float32) each rounded half to even to 11 fractional bits, saturated to int16, not corrected
// to sum 2048 (`k`, 4 per output); the samples s - 1 + q clamped to the image (`taps_at`);
// `index` the output's index d, `out_full` the axis' output size (the vertical pass' split).
AxisPlan plan_axis_opencv_cubic_own(int64_t in, int64_t out_full, int64_t first, int64_t count,
                                    bool mirror, double factor);
// pixnorm's float plan of a set of windows (plan_axis_float's packing: windows padded with zero
// weights to the widest, kept inside the source).
AxisPlan pack_float_plan(const AxisWindows& wins, int64_t in, int64_t count, bool mirror);
// One axis of cv2.resize(INTER_AREA)'s `path`: blocks: start[i] the cell's first sample,
// second[i] its last, taps k; table: a float plan (pack_float_plan) of OpenCV's table; linear:
// plan_axis_opencv's format with the area coefficients.
AxisPlan plan_axis_opencv_area(AreaPath path, int64_t in, int64_t out_full, int64_t first,
                               int64_t count, bool mirror, bool x, double factor);
// cv2.resize(INTER_LINEAR) on uint16 as the opencv-python wheels run it on x86-64 CPUs with AVX2
// (Intel IPP's ippiResizeLinear_16u, reached through OpenCV's IPP HAL; docs/resize-conventions.md):
// the source coordinate x = (d + 0.5) * (in / out_full) - 0.5 in double, clamped to
// [0, in - 1] (replicated border), start = floor(x), second = min(start + 1, in - 1) and the
// weight float32(x - start) in `w` (one per output). Both axes alike.
AxisPlan plan_axis_opencv16(int64_t in, int64_t out_full, int64_t first, int64_t count,
                            bool mirror);
// Throws unless uint16 images of `channels` (from `height` x `width` boxes) can be resized the
// way cv2.resize does through IPP: 1, 3 or 4 channels, both source sides > 1, no factor, no
// colour but rgb / bgr (OpenCV runs its own float code otherwise, which differs by 1 on about
// 1 pixel in 20). rgb / bgr only as views of 3 or 4 channels (no converted rows).
void check_opencv16(int64_t channels, int64_t height, int64_t width, double factor_y,
                    double factor_x, Color color, const std::string& name);
// The source step per output sample: 1 / factor, or by the sizes (OpenCV: 1 / (out / in)).
double axis_scale(Convention conv, int64_t in, int64_t out_full, double factor);

// Pillow 13 resizes vertically first when the height shrinks much more than the width.
bool pillow_vertical_first(int64_t h, int64_t w, int64_t oh, int64_t ow);
// OpenCV's cv::resize takes INTER_AREA's 2x2 mean when the source step is 2 on both axes
// (|scale - round(scale)| < DBL_EPSILON and round(scale) == 2, scale as axis_scale: with sizes,
// both axes exactly halved): (a + b + c + d + 2) >> 2 (half to even for 2 channels).
bool opencv_area2x(int64_t h, int64_t w, int64_t oh, int64_t ow, double factor_y = 0,
                   double factor_x = 0);

// ---- jobs -----------------------------------------------------------------------------------

// What the resampler writes for each output row.
enum class ResampleOut : int {
  u8_hwc = 0,   // uint8 (h, w, C), rounded to nearest (ties to even), clamped to [0, 255]
  f32_hwc = 1,  // float32 (h, w, C) (pixnorm's convention on float32 input)
  f32_chw = 2,  // float32 (C, h, w): preprocess's scaled and normalized planes
  u16_hwc = 3,  // uint16 (h, w, C), rounded to nearest (ties to even), clamped to [0, 65535]
};

// One image to resample: `src` has n == 1; the plans' source row r and column x are row
// box_top + r and column box_left + x of it.
struct ResampleJob {
  ImageView src;
  int64_t box_top = 0, box_left = 0;
  Convention convention = Convention::pixnorm;
  const AxisPlan* py = nullptr;
  const AxisPlan* px = nullptr;
  bool vertical_first = false;     // pillow: Pillow 13's order rule (see pillow_vertical_first)
  bool area2x = false;             // opencv: both axes exactly halved (see opencv_area2x)
  AreaPath area = AreaPath::none;  // opencv INTER_AREA's path (see opencv_area_path)
  bool lanczos4 = false;           // opencv INTER_LANCZOS4 (resample_opencv_lanczos4)
  bool cubic = false;              // opencv INTER_CUBIC (resample_opencv_cubic)
  bool cubic_own = false;          // ... on OpenCV's own code (resample_opencv_cubic_own)
  ResampleOut kind = ResampleOut::u8_hwc;
  void* dst = nullptr;  // C-contiguous output of this image
  // f32_chw: output row y of plane c is at (float*)dst + c * plane_stride + y * row_stride;
  // 0: packed planes (the plans' count * count, count). A window of a larger output (a padded
  // letterbox) has its strides.
  int64_t row_stride = 0, plane_stride = 0;
  int64_t row_step() const { return row_stride > 0 ? row_stride : px->count; }
  // A negative plane_stride writes the planes in reverse order (bgr: dst is then the last).
  int64_t plane_step() const { return plane_stride != 0 ? plane_stride : px->count * py->count; }
  float* f32_row(int64_t y) const { return static_cast<float*>(dst) + y * row_step(); }
  // f32_chw: pixnorm's convention maps x to x * a[c] + b[c]; the named conventions map their
  // uint8 levels through torchvision's float32 arithmetic (one LevelParams per channel).
  const ChannelAffine* affine = nullptr;
  const LevelParams* levels = nullptr;
  int64_t rows_begin = 0, rows_end = -1;  // the output rows to write; -1: to the last
  // A colour conversion (color_step.hpp), or null. `src` is then color_source's view.
  const ColorStep* color = nullptr;
  // The channels the passes filter (a named convention's converted rows, else the source's)
  // and the channels written.
  int64_t channels() const { return color && color->on_rows ? color->out : src.channels; }
  // f32_chw in another format (store.hpp): `out` is the image's window of the output; each row
  // is computed as float32 planes in a staging row (rows::OutRow) and converted, and dst,
  // row_stride and plane_stride are unused. reversed: the planes come in reverse order (bgr).
  OutTarget out;
  bool reversed = false;
  bool staged() const { return out.base != nullptr; }
  // Per-pixel coefficients (PreprocessRequest::pixel_a/pixel_b), or null: output value (p, y, x)
  // becomes float32(float32(v * a) + b), a at pixel_a + p * pixel_a_plane + y * pixel_a_row + x
  // (pixel_a_row 0: one row per plane) and b at pixel_b + (p * rows + y) * cols + x, for the
  // output plane p (rows::OutRow::finish, before the row is stored).
  const float* pixel_a = nullptr;
  const float* pixel_b = nullptr;
  int64_t pixel_a_plane = 0, pixel_a_row = 0;
  int64_t out_channels() const { return color ? color->out : src.channels; }
  // pixnorm's convention: the filtered channels are mixed after the resize (mix_planes).
  bool mixes() const { return color && !color->on_rows && !color->on_levels; }
};

// Runs the jobs on up to `nthreads` threads: across images when there are enough of them, else
// across bands of output rows. Never throws once the jobs are valid.
void resample(const std::vector<ResampleJob>& jobs, int nthreads);

// The three arithmetics, for the output rows [y0, y1) of one job.
void resample_float(const KernelTable& k, const ResampleJob& j, int64_t y0, int64_t y1);
void resample_fixed(const KernelTable& k, const ResampleJob& j, int64_t y0, int64_t y1);
void resample_opencv(const KernelTable& k, const ResampleJob& j, int64_t y0, int64_t y1);
void resample_opencv16(const KernelTable& k, const ResampleJob& j, int64_t y0, int64_t y1);
// INTER_AREA's blocks path (the table path runs in resample_float, the linear one in
// resample_opencv).
void resample_opencv_blocks(const KernelTable& k, const ResampleJob& j, int64_t y0, int64_t y1);
// INTER_LANCZOS4: the horizontal sums exact in int32, the vertical ones of those,
// (sum + 2^21) >> 22 clamped to 0..255 (OpenCV's FixedPtCast<int, uchar, 22>).
void resample_opencv_lanczos4(const KernelTable& k, const ResampleJob& j, int64_t y0, int64_t y1);
// INTER_CUBIC through IPP: the horizontal pass into float32 rows in IPP's summation orders, the
// vertical fma(w0, h0, w1 h1) + fma(w2, h2, w3 h3), rounded half to even and saturated.
void resample_opencv_cubic(const KernelTable& k, const ResampleJob& j, int64_t y0, int64_t y1);
// INTER_CUBIC on OpenCV's own code: the horizontal sums exact in int32; the vertical pass of the
// values among the first (out_full * C) / 8 * 8 of the full output row in float32 (its SSE
// code: h3 b3, then + h2 b2, + h1 b1, + h0 b0 with b = k / 2^22, rounded half to even), the
// others (sum + 2^21) >> 22 (its integer tail); both saturated to 0..255.
void resample_opencv_cubic_own(const KernelTable& k, const ResampleJob& j, int64_t y0, int64_t y1);

// ---- the named conventions' levels ----------------------------------------------------------

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
