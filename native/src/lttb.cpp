// Kernel 4b: Largest-Triangle-Three-Buckets, parallel and exact.
//
// LTTB picks, bucket after bucket, the point that makes the largest triangle with the point
// picked in the previous bucket and the average of the next bucket: a chain. It runs in three
// passes, each split over threads:
//  1. a finiteness bit per point (x and y finite) and a count per 4096-point block, so the
//     r-th finite point is found by popcounts instead of a 10M-entry index array;
//  2. every bucket's range and the range its next-bucket average spans;
//  3. the chain, split into segments: each segment sums the next bucket's average right before
//     searching a bucket (one pass over the points from memory, the search then hits cache),
//     starting from a guess (the last finite point before the segment); the segments are then
//     repaired in order. A repaired bucket that picks the same point as
//     the guess-based run ends the repair, because everything after it is then identical. The
//     result is exactly the sequential algorithm's, for every thread count.
// Averages sum the points in 4 interleaved lanes by position, combined as (s0 + s1) + (s2 + s3)
// (tests/native/reference.py does the same), which is what lets the SIMD code vectorise them.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "cpu_features.h"
#include "parallel.h"
#include "series.h"
#include "lttb_lanes.h"
#include "simd_kernels.h"

namespace hafs {
namespace {

constexpr std::size_t kBlock = 4096;          // points per counted block (64 mask words)
constexpr std::size_t kBlocksPerTask = 64;    // 256 Ki points per pass-1 task

inline bool finite_point(double x, double y) { return std::isfinite(x) && std::isfinite(y); }

void finite_bits_portable(const double* x, const double* y, std::size_t n, std::uint64_t* words) {
  for (std::size_t w = 0; w * 64 < n; ++w) {
    std::uint64_t bits = 0;
    const std::size_t end = std::min<std::size_t>(64, n - w * 64);
    for (std::size_t i = 0; i < end; ++i) bits |= static_cast<std::uint64_t>(finite_point(x[w * 64 + i], y[w * 64 + i])) << i;
    words[w] = bits;
  }
}

void lane_sums_portable(const double* x, const double* y, std::size_t i0, std::size_t i1, double* sx, double* sy) {
  for (std::size_t i = i0; i < i1; ++i) {
    const bool ok = finite_point(x[i], y[i]);
    sx[(i - i0) & 3] += ok ? x[i] : 0.0;  // + 0.0 leaves a sum unchanged (it is never -0.0)
    sy[(i - i0) & 3] += ok ? y[i] : 0.0;
  }
}

std::size_t argmax_portable(const double* x, const double* y, std::size_t i0, std::size_t i1, const double* c) {
  double best[4] = {-1, -1, -1, -1};
  std::size_t at[4] = {i0, i0, i0, i0};
  simd::lttb_lanes_update(x, y, i0, i0, i1, c, best, at);
  return simd::lttb_lanes_pick(best, at, i0);
}

struct Kernels {
  void (*finite_bits)(const double*, const double*, std::size_t, std::uint64_t*);
  void (*lane_sums)(const double*, const double*, std::size_t, std::size_t, double*, double*);
  std::size_t (*argmax)(const double*, const double*, std::size_t, std::size_t, const double*);
};

Kernels kernels() {
#if defined(HAFS_X86_DISPATCH)
  if (simd_level() != SimdLevel::scalar)
    return {simd::avx2::lttb_finite_bits, simd::avx2::lttb_lane_sums, simd::avx2::lttb_argmax};
#endif
  return {finite_bits_portable, lane_sums_portable, argmax_portable};
}

// Positions of finite points by rank, from the mask and per-block counts.
class FiniteIndex {
 public:
  FiniteIndex(const double* x, const double* y, std::size_t n, const Kernels& k, int threads)
      : words_((n + 63) / 64), before_((n + kBlock - 1) / kBlock + 1, 0) {
    const std::size_t blocks = before_.size() - 1;
    parallel_for((blocks + kBlocksPerTask - 1) / kBlocksPerTask, threads, [&](std::size_t t) {
      for (std::size_t b = t * kBlocksPerTask; b < std::min(blocks, (t + 1) * kBlocksPerTask); ++b) {
        const std::size_t begin = b * kBlock, end = std::min(n, begin + kBlock);
        k.finite_bits(x + begin, y + begin, end - begin, words_.data() + begin / 64);
        std::size_t count = 0;
        for (std::size_t w = begin / 64; w < (end + 63) / 64; ++w) count += static_cast<std::size_t>(__builtin_popcountll(words_[w]));
        before_[b + 1] = count;
      }
    });
    for (std::size_t b = 0; b < blocks; ++b) before_[b + 1] += before_[b];
  }
  std::size_t count() const { return before_.back(); }
  // Position of the finite point of rank r (r < count()).
  std::size_t select(std::size_t r) const {
    std::size_t b = static_cast<std::size_t>(std::upper_bound(before_.begin(), before_.end(), r) - before_.begin()) - 1;
    r -= before_[b];
    std::size_t w = b * kBlock / 64;
    for (;; ++w) {
      const std::size_t c = static_cast<std::size_t>(__builtin_popcountll(words_[w]));
      if (r < c) break;
      r -= c;
    }
    std::uint64_t bits = words_[w];
    for (; r > 0; --r) bits &= bits - 1;
    return w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits));
  }
  template <class F>
  void for_each(F f) const {
    for (std::size_t w = 0; w < words_.size(); ++w)
      for (std::uint64_t bits = words_[w]; bits; bits &= bits - 1) f(w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits)));
  }

 private:
  std::vector<std::uint64_t> words_;
  std::vector<std::size_t> before_;  // finite points before each block
};

struct Bucket {
  std::size_t first, last;            // positions of its first and last finite point (inclusive)
  std::size_t next_first, next_last;  // the same for the points its next-bucket average spans
  double next_count;                  // finite points in that span
  double avg_x, avg_y;                // their average
};

}  // namespace

PodBuffer<std::int64_t> lttb_indices(const double* x, const double* y, std::size_t n, std::size_t buckets,
                                     int threads) {
  const Kernels k = kernels();
  const FiniteIndex finite(x, y, n, k, threads);
  const std::size_t m = finite.count();
  if (buckets >= m || m <= 2) {
    PodBuffer<std::int64_t> all;
    all.reserve(m);
    finite.for_each([&](std::size_t i) { all.push_back(static_cast<std::int64_t>(i)); });
    return all;
  }
  if (buckets < 3) throw std::invalid_argument("LTTB needs buckets >= 3 (first, last and one between)");

  const std::size_t inner = buckets - 2;
  const double every = static_cast<double>(m - 2) / static_cast<double>(inner);
  auto rank_at = [&](std::size_t b) { return static_cast<std::size_t>(std::floor(static_cast<double>(b) * every)) + 1; };
  std::vector<Bucket> info(inner);
  constexpr std::size_t kBucketsPerTask = 64;
  parallel_for((inner + kBucketsPerTask - 1) / kBucketsPerTask, threads, [&](std::size_t t) {
    for (std::size_t b = t * kBucketsPerTask; b < std::min(inner, (t + 1) * kBucketsPerTask); ++b) {
      const std::size_t begin = rank_at(b), end = std::min(rank_at(b + 1), m - 1);
      std::size_t next_end = std::min(rank_at(b + 2), m);
      if (next_end <= end) next_end = end + 1;
      info[b] = Bucket{finite.select(begin), finite.select(end - 1), finite.select(end), finite.select(next_end - 1),
                       static_cast<double>(next_end - end), 0.0, 0.0};
    }
  });
  // The next bucket's average, summed just before the chain needs it: its points are then
  // still in cache when they are searched as the current bucket one step later.
  auto average_next = [&](Bucket& bucket) {
    double sx[4] = {0, 0, 0, 0}, sy[4] = {0, 0, 0, 0};
    k.lane_sums(x, y, bucket.next_first, bucket.next_last + 1, sx, sy);
    bucket.avg_x = ((sx[0] + sx[1]) + (sx[2] + sx[3])) / bucket.next_count;
    bucket.avg_y = ((sy[0] + sy[1]) + (sy[2] + sy[3])) / bucket.next_count;
  };

  // The chain. pick(b, a): the point of bucket b that makes the largest triangle with point a.
  auto pick = [&](std::size_t b, std::size_t a) {
    const Bucket& bucket = info[b];
    const double c[4] = {x[a], y[a], bucket.avg_x, bucket.avg_y};
    return k.argmax(x, y, bucket.first, bucket.last + 1, c);
  };
  std::vector<std::size_t> chosen(inner);
  const std::size_t workers = static_cast<std::size_t>(resolve_threads(threads));
  const std::size_t segments = workers == 1 ? 1 : std::max<std::size_t>(1, std::min(4 * workers, inner / 8));
  std::vector<std::size_t> guess(segments);
  auto segment_begin = [&](std::size_t s) { return inner * s / segments; };
  parallel_for(segments, threads, [&](std::size_t s) {
    const std::size_t b0 = segment_begin(s), b1 = segment_begin(s + 1);
    // Segment 0 starts from the first point; the others guess the point just before them.
    std::size_t a = s == 0 ? finite.select(0) : finite.select(rank_at(b0) - 1);
    guess[s] = a;
    for (std::size_t b = b0; b < b1; ++b) {
      average_next(info[b]);
      a = chosen[b] = pick(b, a);
    }
  });
  for (std::size_t s = 1; s < segments; ++s) {
    const std::size_t b1 = segment_begin(s + 1);
    std::size_t b = segment_begin(s), a = chosen[b - 1];
    if (a == guess[s]) continue;
    for (; b < b1; ++b) {
      const std::size_t c = pick(b, a);
      if (c == chosen[b]) break;  // from here on the guess-based run is right
      a = chosen[b] = c;
    }
  }

  PodBuffer<std::int64_t> out;
  out.reserve(buckets);
  out.push_back(static_cast<std::int64_t>(finite.select(0)));
  for (std::size_t c : chosen) out.push_back(static_cast<std::int64_t>(c));
  out.push_back(static_cast<std::int64_t>(finite.select(m - 1)));
  return out;
}

}  // namespace hafs
