#include "series.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "cpu_features.h"
#include "parallel.h"
#include "simd_kernels.h"

namespace hafs {
namespace {

// Four independent accumulators let the compiler vectorise and hide compare latency. The
// `v < lo ? v : lo` form is false for NaN, so NaN never replaces a value (minpd semantics).
void bucket_min_max(const double* y, std::size_t n, double& lo_out, double& hi_out) {
#if defined(HAFS_X86_DISPATCH)
  if (simd_level() != SimdLevel::scalar) return simd::avx2::min_max_f64(y, n, &lo_out, &hi_out);
#elif defined(__aarch64__) && defined(__ARM_NEON)
  return simd::neon::min_max_f64(y, n, &lo_out, &hi_out);
#endif
  constexpr double inf = std::numeric_limits<double>::infinity();
  double lo[4] = {inf, inf, inf, inf}, hi[4] = {-inf, -inf, -inf, -inf};
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; ++k) {
      double v = y[i + k];
      lo[k] = v < lo[k] ? v : lo[k];
      hi[k] = v > hi[k] ? v : hi[k];
    }
  for (; i < n; ++i) {
    lo[0] = y[i] < lo[0] ? y[i] : lo[0];
    hi[0] = y[i] > hi[0] ? y[i] : hi[0];
  }
  lo_out = std::min(std::min(lo[0], lo[1]), std::min(lo[2], lo[3]));
  hi_out = std::max(std::max(hi[0], hi[1]), std::max(hi[2], hi[3]));
}

}  // namespace

PodBuffer<std::int64_t> minmax_indices(const double* y, std::size_t n, std::size_t buckets, int threads) {
  if (buckets == 0) throw std::invalid_argument("buckets must be >= 1");
  buckets = std::min(buckets, n);
  PodBuffer<std::int64_t> picks(2 * buckets);
  std::vector<std::size_t> counts(buckets, 0);
  // Fixed-size tasks of whole buckets: the work split never changes what each bucket yields.
  constexpr std::size_t kBucketsPerTask = 64;
  std::size_t tasks = (buckets + kBucketsPerTask - 1) / kBucketsPerTask;
  parallel_for(tasks, threads, [&](std::size_t t) {
    std::size_t b_end = std::min(buckets, (t + 1) * kBucketsPerTask);
    for (std::size_t b = t * kBucketsPerTask; b < b_end; ++b) {
      std::size_t begin = n * b / buckets, end = n * (b + 1) / buckets;
      double lo, hi;
      bucket_min_max(y + begin, end - begin, lo, hi);
      if (!(lo <= hi)) continue;  // all NaN (lo stays +inf)
      std::size_t i_lo = begin, i_hi = begin;
      while (y[i_lo] != lo) ++i_lo;  // second pass over an L1/L2-resident bucket
      while (y[i_hi] != hi) ++i_hi;
      std::int64_t* out = picks.data() + 2 * b;
      out[0] = static_cast<std::int64_t>(std::min(i_lo, i_hi));
      out[1] = static_cast<std::int64_t>(std::max(i_lo, i_hi));
      counts[b] = i_lo == i_hi ? 1 : 2;
    }
  });
  std::size_t k = 0;
  for (std::size_t b = 0; b < buckets; ++b)
    for (std::size_t j = 0; j < counts[b]; ++j) picks[k++] = picks[2 * b + j];
  picks.resize(k);
  return picks;
}

void ema_debiased(const double* y, std::size_t n, double weight, double* out) {
  if (!(weight >= 0.0 && weight <= 1.0)) throw std::invalid_argument("weight must be in [0, 1]");
  bool constant = true;
  for (std::size_t i = 1; i < n && constant; ++i) constant = y[i] == y[0];
  if (constant) {
    std::copy(y, y + n, out);
    return;
  }
  double last = 0.0, decay = 1.0;  // decay = weight^count
  for (std::size_t i = 0; i < n; ++i) {
    double v = y[i];
    if (!std::isfinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1.0 - weight) * v;
    // Once weight^count is negligible it must become exactly 0: left alone it turns into a
    // denormal number, and denormal arithmetic is ~100x slower on x86.
    decay = decay < 1e-30 ? 0.0 : decay * weight;
    out[i] = weight == 1.0 ? last : last / (1.0 - decay);
  }
}

}  // namespace hafs
