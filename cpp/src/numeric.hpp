// Small numeric helpers shared by the statistics operation (stats.cpp) and its kernels: the
// pairwise merge of Welford accumulators and NaN-propagating min/max. No kernels, no Python.
#pragma once

#include <cstdint>

namespace pixnorm {

// Chan, Golub and LeVeque's pairwise update: (n, mean, m2) absorbs a group (nb, mb, m2b).
inline void chan_merge(int64_t& n, double& mean, double& m2, int64_t nb, double mb, double m2b) {
  if (nb == 0) return;
  if (n == 0) {
    n = nb;
    mean = mb;
    m2 = m2b;
    return;
  }
  const double na = static_cast<double>(n), nbd = static_cast<double>(nb), nt = na + nbd;
  const double delta = mb - mean;
  mean = mean + delta * (nbd / nt);
  m2 = m2 + m2b + delta * delta * (na * nbd / nt);
  n += nb;
}

// min/max that propagate NaN the way the SIMD kernels do: x replaces m if it is smaller
// (larger) or NaN; a NaN m stays.
inline float nan_min(float x, float m) { return (x < m || x != x) ? x : m; }
inline float nan_max(float x, float m) { return (x > m || x != x) ? x : m; }

}  // namespace pixnorm
