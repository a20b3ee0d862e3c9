// Internal helpers for operations that walk image rows: gathering a strided row into packed HWC
// order, so kernels only ever see packed rows; for resampling, the source rows of a band, the
// uint8 output rows of the named conventions and the job runner.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/table.hpp"
#include "pixnorm/threads.hpp"
#include "resample.hpp"

namespace pixnorm::rows {

// Copies `width` pixels of one row of a strided view (pixel stride sx, channel stride sc, in
// bytes) into packed HWC order. T is the element type; C > 0 is a compile-time channel count
// (0: use `channels`).
template <class T, int C>
void gather_row(const unsigned char* row, int64_t width, int64_t channels, int64_t sx, int64_t sc,
                unsigned char* out) {
  const int64_t nc = C > 0 ? C : channels;
  for (int64_t x = 0; x < width; ++x) {
    const unsigned char* p = row + x * sx;
    unsigned char* q = out + x * nc * static_cast<int64_t>(sizeof(T));
    for (int64_t c = 0; c < nc; ++c)
      std::memcpy(q + c * static_cast<int64_t>(sizeof(T)), p + c * sc, sizeof(T));
  }
}

template <class T>
void gather_any(const unsigned char* row, int64_t width, int64_t channels, int64_t sx, int64_t sc,
                unsigned char* out) {
  switch (channels) {
    case 1:
      return gather_row<T, 1>(row, width, 1, sx, sc, out);
    case 3:
      return gather_row<T, 3>(row, width, 3, sx, sc, out);
    case 4:
      return gather_row<T, 4>(row, width, 4, sx, sc, out);
    default:
      return gather_row<T, 0>(row, width, channels, sx, sc, out);
  }
}

// gather_any for a view's element type: `width` pixels of the row at `row` (channels, strides
// and dtype of `v`) packed into `out`.
inline void gather_view_row(const ImageView& v, const unsigned char* row, int64_t width,
                            unsigned char* out) {
  if (v.dtype == DType::f32)
    gather_any<float>(row, width, v.channels, v.stride_x, v.stride_c, out);
  else
    gather_any<uint8_t>(row, width, v.channels, v.stride_x, v.stride_c, out);
}

// `width` pixels of a uint16 view's row as float32 values (exact), packed in HWC order: uint16
// images are read as float rows by every operation that takes them.
inline void u16_row_to_float(const ImageView& v, const unsigned char* row, int64_t width,
                             float* out) {
  const int64_t C = v.channels;
  if (v.rows_packed()) {
    for (int64_t i = 0; i < width * C; ++i) {
      uint16_t u;
      std::memcpy(&u, row + 2 * i, 2);
      out[i] = static_cast<float>(u);
    }
    return;
  }
  for (int64_t x = 0; x < width; ++x)
    for (int64_t c = 0; c < C; ++c) {
      uint16_t u;
      std::memcpy(&u, row + x * v.stride_x + c * v.stride_c, 2);
      out[x * C + c] = static_cast<float>(u);
    }
}

// A ring of `slots` rows of `len` values of T (zero at first): row r lives in slot r % slots, and
// the ring remembers which row each slot holds, so a row shared by consecutive output rows is
// made once per band.
template <class T>
class RowRing {
 public:
  RowRing(int64_t slots, int64_t len)
      : data_(static_cast<size_t>(slots * len), T{}),
        held_(static_cast<size_t>(slots), -1),
        slots_(slots),
        len_(len) {}
  T* slot(int64_t r) { return at(r % slots_); }
  T* at(int64_t slot) { return data_.data() + slot * len_; }
  bool holds(int64_t r) const { return held_[static_cast<size_t>(r % slots_)] == r; }
  void hold(int64_t r) { held_[static_cast<size_t>(r % slots_)] = r; }
  int64_t slots() const { return slots_; }

 private:
  std::vector<T> data_;
  std::vector<int64_t> held_;
  int64_t slots_, len_;
};

// The `taps` ring slots of source rows st .. st + taps - 1 into `out`, each row made by
// make(r, slot) only when its slot holds another row (so each is made once per band).
template <class Make>
void ring_window(RowRing<float>& ring, int64_t st, int64_t taps, std::vector<const float*>& out,
                 Make&& make) {
  for (int64_t t = 0; t < taps; ++t) {
    const int64_t r = st + t;
    float* slot = ring.slot(r);
    if (!ring.holds(r)) {
      make(r, slot);
      ring.hold(r);
    }
    out[static_cast<size_t>(t)] = slot;
  }
}

// ring_window for four listed rows (OpenCV's cubic taps, clamped: a row may repeat).
template <class T, class Make>
void ring_taps4(RowRing<T>& ring, const int32_t* rows, const T** out, Make&& make) {
  for (int q = 0; q < 4; ++q) {
    const int64_t r = rows[q];
    T* slot = ring.slot(r);
    if (!ring.holds(r)) {
      make(r, slot);
      ring.hold(r);
    }
    out[q] = slot;
  }
}

// The source rows one band of a job reads, each a packed interleaved row that starts at column
// `first` of the box: the view's own row when its rows are packed, `width` equals `span` and the
// data is aligned for its element type; else a copy gathered into one of `slots` buffers of
// `width` samples, zero past `span` (kernels that read whole windows of padded taps see zeros).
class SourceRows {
 public:
  SourceRows(const ResampleJob& j, int64_t first, int64_t span, int64_t width, int64_t slots)
      : v_(j.src),
        convert_(j.color && j.color->on_rows ? j.color : nullptr),
        top_(j.box_top),
        left_(j.box_left + first),
        span_(span) {
    // uint16 rows become float32 rows (4 bytes a value): never read in place
    const int64_t isz = v_.dtype == DType::u16 ? 4 : itemsize(v_.dtype);
    direct_ =
        !convert_ && v_.dtype != DType::u16 && v_.rows_packed() && width == span &&
        (isz == 1 || (reinterpret_cast<uintptr_t>(v_.data) % static_cast<uintptr_t>(isz) == 0 &&
                      v_.stride_y % isz == 0));
    // float storage: 4-byte aligned slots
    if (!direct_) ring_ = RowRing<float>(slots, (width * j.channels() * isz + 3) / 4);
    if (convert_ && !v_.rows_packed()) packed_.resize(static_cast<size_t>(span * v_.channels));
  }
  // Row r of the box, gathered (and colour-converted) into `slot` on every call unless direct.
  const unsigned char* get(int64_t r, int64_t slot) {
    const unsigned char* row = v_.byte_ptr(0, top_ + r, left_, 0);
    if (direct_) return row;
    auto* out = reinterpret_cast<unsigned char*>(ring_.at(slot));
    if (convert_) {  // a named convention's colour: uint8 -> uint8, as the library converts
      if (!packed_.empty()) {
        gather_any<uint8_t>(row, span_, v_.channels, v_.stride_x, v_.stride_c, packed_.data());
        row = packed_.data();
      }
      convert_row_u8(*convert_, row, span_, out);
      return out;
    }
    if (v_.dtype == DType::u16)
      u16_row_to_float(v_, row, span_, reinterpret_cast<float*>(out));
    else
      gather_view_row(v_, row, span_, out);
    return out;
  }
  // Row r, kept in slot r % slots: gathered only when the slot holds another row.
  const unsigned char* cached(int64_t r) {
    if (direct_) return v_.byte_ptr(0, top_ + r, left_, 0);
    if (!ring_.holds(r)) {
      get(r, r % ring_.slots());
      ring_.hold(r);
    }
    return reinterpret_cast<const unsigned char*>(ring_.slot(r));
  }

 private:
  const ImageView& v_;
  const ColorStep* convert_;
  int64_t top_, left_, span_;
  bool direct_ = true;
  RowRing<float> ring_{0, 0};
  std::vector<uint8_t> packed_;  // a strided source row gathered before its conversion
};

// Source-relative starts: start[x] - first for each output.
inline std::vector<int32_t> relative_starts(const AxisPlan& p, int64_t first) {
  std::vector<int32_t> rel(p.start.begin(), p.start.end());
  for (int32_t& s : rel) s -= static_cast<int32_t>(first);
  return rel;
}

// dst[x * channels + c] = planar[c * n + x]: C planar rows of n values interleaved, for the
// uint16 HWC outputs (resample.cpp: one out-of-line copy, specialised for 1, 3 and 4 channels;
// float32 rows use the kernel table's interleave_f32).
void interleave(const uint16_t* planar, int64_t n, int64_t channels, uint16_t* dst);

// Where an f32_chw job's output row y is computed: float32 planes at d + c * step for output
// channel c (step < 0: reversed, bgr), the output itself or, for a staged job (another format),
// the thread's staging row, which finish() converts into the output.
class OutRow {
 public:
  OutRow(const ResampleJob& j, int64_t y) : j_(j), y_(y) {
    if (!j.staged()) {
      d = j.f32_row(y);
      step = j.plane_step();
      return;
    }
    const int64_t ow = j.px->count, C = j.out_channels();
    stage_ = staging_row(C * ow);
    d = j.reversed ? stage_ + (C - 1) * ow : stage_;
    step = j.reversed ? -ow : ow;
  }
  void finish(const KernelTable& k) const {
    if (j_.pixel_b) {  // per-pixel mean/std, on the row still in L1
      const int64_t ow = j_.px->count, C = j_.out_channels();
      for (int64_t c = 0; c < C; ++c) {
        const int64_t p = step < 0 ? C - 1 - c : c;  // the output plane computed channel c fills
        k.normalize_pixel(d + c * step, j_.pixel_a + p * j_.pixel_a_plane + y_ * j_.pixel_a_row,
                          j_.pixel_b + (p * j_.py->count + y_) * ow, ow);
      }
    }
    if (stage_) store_planes(k, j_.out, y_, stage_, j_.px->count, j_.px->count);
  }
  float* d = nullptr;
  int64_t step = 0;

 private:
  const ResampleJob& j_;
  int64_t y_;
  float* stage_ = nullptr;
};

// Writes output row y of a uint8 (named convention) job from C planar rows of ow levels:
// interleaved uint8 (h, w, C), or float32 planes through levels_f32 and the job's levels.
inline void emit_planar_u8(const KernelTable& k, const ResampleJob& j, int64_t y,
                           const uint8_t* planar) {
  const int64_t ow = j.px->count;
  if (j.color && j.color->on_levels) {  // the levels' colour, as the library converts them
    thread_local std::vector<uint8_t> converted;
    converted.resize(static_cast<size_t>(ow * j.color->out));
    convert_planes_u8(*j.color, planar, ow, converted.data());
    planar = converted.data();
  }
  const int64_t C = j.out_channels();
  if (j.kind == ResampleOut::u8_hwc) {
    k.interleave_u8(planar, ow, C, ow, static_cast<uint8_t*>(j.dst) + y * ow * C);
    return;
  }
  if (j.staged() && j.out.format.type == OutType::u8) {  // the levels themselves (identity)
    auto* row = static_cast<uint8_t*>(j.out.row(y));
    if (j.reversed) {  // bgr: the planes in reverse order
      thread_local std::vector<uint8_t> flipped;
      flipped.resize(static_cast<size_t>(ow * C));
      for (int64_t c = 0; c < C; ++c)
        std::copy(planar + c * ow, planar + (c + 1) * ow, flipped.data() + (C - 1 - c) * ow);
      planar = flipped.data();
    }
    if (j.out.format.layout == Layout::hwc && C > 1) {
      k.interleave_u8(planar, ow, C, ow, row);
    } else {
      for (int64_t c = 0; c < C; ++c)
        std::copy(planar + c * ow, planar + (c + 1) * ow, row + c * j.out.plane_stride);
    }
    return;
  }
  const OutRow o(j, y);
  for (int64_t c = 0; c < C; ++c) k.levels_f32(planar + c * ow, ow, j.levels + c, o.d + c * o.step);
  o.finish(k);
}

// emit_planar_u8 of an interleaved row of ow x C levels, made planar in `planar` (ow * C).
inline void emit_interleaved_u8(const KernelTable& k, const ResampleJob& j, int64_t y,
                                const uint8_t* levels, int64_t C, uint8_t* planar) {
  const int64_t ow = j.px->count;
  for (int64_t x = 0; x < ow; ++x)
    for (int64_t c = 0; c < C; ++c) planar[c * ow + x] = levels[x * C + c];
  emit_planar_u8(k, j, y, planar);
}

// Whether a named convention's levels may be mapped to floats inside a fixed-point kernel: the
// table fuses them, float output, and the FMA-corrected form checked exact for every channel
// (level_params).
inline bool levels_fusable(const KernelTable& k, const ResampleJob& j) {
  if (!k.fuse_levels || j.kind != ResampleOut::f32_chw || !j.levels) return false;
  if (j.staged() && j.out.format.type == OutType::u8) return false;  // the levels themselves
  if (j.color && j.color->on_levels) return false;  // converted before their floats
  for (int64_t c = 0; c < j.channels(); ++c)
    if (!j.levels[c].fast) return false;
  return true;
}

// The output row to compute at step i of the band [y0, y1) (y0 <= i < y1), in the order its
// source rows ascend: a mirrored plan (a vertical flip) runs the band backwards, so the rings
// still make each source row once. Output rows are independent: the order changes no value.
inline int64_t band_row(const AxisPlan& py, int64_t y0, int64_t y1, int64_t i) {
  return py.mirrored ? y0 + y1 - 1 - i : i;
}

// A named convention's nearest resize (one sample per output, its level unchanged by the
// convention's fixed-point arithmetic): output rows [y0, y1) from the sampled levels, gathered
// into uint8 planes by gather_u8, then mapped and stored by emit_planar_u8. rel: each output's
// source column relative to col_lo.
inline void nearest_levels(const KernelTable& k, const ResampleJob& j, int64_t y0, int64_t y1,
                           int64_t col_lo, int64_t span, const std::vector<int32_t>& rel) {
  const AxisPlan& py = *j.py;
  const int64_t C = j.channels(), ow = j.px->count;
  SourceRows one(j, col_lo, span, span, 1);
  std::vector<uint8_t> planar(static_cast<size_t>(ow * C));
  for (int64_t i = y0; i < y1; ++i) {
    const int64_t y = band_row(py, y0, y1, i);
    const uint8_t* row = one.get(py.start[static_cast<size_t>(y)], 0);
    k.gather_u8(row, span, C, rel.data(), ow, planar.data(), ow);
    emit_planar_u8(k, j, y, planar.data());
  }
}

// The output rows [begin, end) a job writes (all of them unless it was given a band).
inline int64_t rows_end(const ResampleJob& j) { return j.rows_end < 0 ? j.py->count : j.rows_end; }

// Runs run(job, y0, y1) over the output rows of every job (jobs have src.channels, py->count,
// px->count and a band of rows): across images when there are at least as many as threads, else
// across bands of each image's rows. Small work stays on one thread.
template <class Run>
void run_jobs(const std::vector<ResampleJob>& jobs, int nthreads, Run&& run) {
  if (jobs.empty()) return;
  int64_t work = 0;
  for (const ResampleJob& j : jobs)
    work += (rows_end(j) - j.rows_begin) * j.px->count * j.src.channels;
  const int threads = threads::team_for(work, nthreads);
  const int64_t njobs = static_cast<int64_t>(jobs.size());
  if (njobs >= threads) {
    auto body = [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        const ResampleJob& j = jobs[static_cast<size_t>(i)];
        run(j, j.rows_begin, rows_end(j));
      }
    };
    threads::parallel_each(njobs, threads, body);  // images of unequal cost: dynamic
  } else {
    for (const ResampleJob& j : jobs) {
      auto body = [&](int64_t lo, int64_t hi) { run(j, j.rows_begin + lo, j.rows_begin + hi); };
      threads::parallel_chunks(rows_end(j) - j.rows_begin, threads, body);
    }
  }
}

}  // namespace pixnorm::rows
