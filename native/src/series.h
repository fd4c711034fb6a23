// Kernels 4 and 5: chart downsampling and EMA smoothing of float64 series. NaN-safe: NaN
// points are skipped (never selected, never poison a bucket or the running average).
#pragma once
#include <cstdint>

#include "pod_buffer.h"

namespace hafs {

// Indices (ascending) of the minimum and the maximum of y in each of `buckets` equal-count
// buckets: up to 2 points per bucket, so spikes survive. All-NaN buckets contribute nothing;
// ties keep the first index. Threads split the buckets; the result does not depend on them.
PodBuffer<std::int64_t> minmax_indices(const double* y, std::size_t n, std::size_t buckets, int threads);

// Largest-Triangle-Three-Buckets (Steinarsson, 2013) over the points whose x and y are both
// finite: `buckets` indices (ascending) including the first and last such point; every point
// when there are no more than `buckets` of them. The next bucket's average sums its points in
// 4 interleaved lanes, (s0 + s1) + (s2 + s3). Threads split every pass; the result is the same
// for every thread count (see lttb.cpp).
PodBuffer<std::int64_t> lttb_indices(const double* x, const double* y, std::size_t n, std::size_t buckets,
                                     int threads);

// TensorBoard-style exponential moving average with start-up debiasing:
//   last = weight * last + (1 - weight) * y;  out = last / (1 - weight^count)
// counting only finite values. Non-finite inputs are passed through unchanged and do not
// update the average; a constant series is returned as is (as TensorBoard does).
void ema_debiased(const double* y, std::size_t n, double weight, double* out);

}  // namespace hafs
