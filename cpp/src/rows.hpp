// Internal helpers for operations that walk image rows: gathering a strided row into packed HWC
// order, so kernels only ever see packed rows.
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

// Writes output row y of a uint8 resample job from C planar rows of ow levels: interleaved
// uint8 (h, w, C), or float32 planes through levels_f32 and the job's (scale, mean, std).
template <class Job>
void emit_planar_u8(const KernelTable& k, const Job& j, int64_t y, const uint8_t* planar,
                    bool to_u8) {
  const int64_t C = j.src.channels, ow = j.px->count, oh = j.py->count;
  if (to_u8) {
    uint8_t* d = static_cast<uint8_t*>(j.dst) + y * ow * C;
    for (int64_t c = 0; c < C; ++c)
      for (int64_t x = 0; x < ow; ++x) d[x * C + c] = planar[c * ow + x];
    return;
  }
  float* d = static_cast<float*>(j.dst) + y * ow;
  for (int64_t c = 0; c < C; ++c) {
    k.levels_f32(planar + c * ow, ow, j.levels + c, d + c * oh * ow);
  }
}

// Whether a uint8 resample job's levels may be mapped to floats inside a fixed-point kernel: float
// output and the FMA-corrected form checked exact for every channel (level_params).
template <class Job>
bool levels_fusable(const Job& j) {
  if (j.kind != ResampleOut::f32_chw || !j.levels) return false;
  for (int64_t c = 0; c < j.src.channels; ++c)
    if (!j.levels[c].fast) return false;
  return true;
}

// The output rows [begin, end) a job writes (all of them unless it was given a band).
template <class Job>
int64_t rows_end(const Job& j) {
  return j.rows_end < 0 ? j.py->count : j.rows_end;
}

// Runs run(job, y0, y1) over the output rows of every job (jobs have src.channels, py->count,
// px->count and a band of rows): across images when there are at least as many as threads, else
// across bands of each image's rows. Small work stays on one thread.
template <class Job, class Run>
void run_jobs(const std::vector<Job>& jobs, int nthreads, Run&& run) {
  if (jobs.empty()) return;
  int64_t work = 0;
  for (const Job& j : jobs) work += (rows_end(j) - j.rows_begin) * j.px->count * j.src.channels;
  const int threads = threads::team_for(work, nthreads);
  const int64_t njobs = static_cast<int64_t>(jobs.size());
  if (njobs >= threads) {
    auto body = [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        const Job& j = jobs[static_cast<size_t>(i)];
        run(j, j.rows_begin, rows_end(j));
      }
    };
    threads::parallel_each(njobs, threads, body);  // images of unequal cost: dynamic
  } else {
    for (const Job& j : jobs) {
      auto body = [&](int64_t lo, int64_t hi) { run(j, j.rows_begin + lo, j.rows_begin + hi); };
      threads::parallel_chunks(rows_end(j) - j.rows_begin, threads, body);
    }
  }
}

}  // namespace pixnorm::rows
