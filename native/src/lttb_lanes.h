// Scalar pieces of the LTTB triangle search shared by lttb.cpp and simd_avx2.cpp. The
// functions are static (one private copy per file) and use no library templates, so the copy
// compiled with AVX2 flags can never be linked into portable code (see simd_kernels.h).
#pragma once
#include <cstddef>

namespace hafs::simd {

static inline bool lttb_finite(double v) { return v - v == 0.0; }  // false for inf and NaN

// Folds points [i0, i1) into 4 lanes by position (lane = (i - base) % 4): a lane keeps the
// largest triangle area (strictly larger wins, so the first of equal areas stays) and its
// position. c = {ax, ay, avg_x, avg_y}; the area is |(ax - avg_x)(y - ay) - (ax - x)(avg_y - ay)|
// evaluated in exactly that order everywhere. Points with a non-finite x or y are skipped.
static inline void lttb_lanes_update(const double* x, const double* y, std::size_t base, std::size_t i0,
                                     std::size_t i1, const double* c, double* best, std::size_t* at) {
  const double ax = c[0], ay = c[1], avg_x = c[2], avg_y = c[3];
  for (std::size_t i = i0; i < i1; ++i) {
    if (!(lttb_finite(x[i]) && lttb_finite(y[i]))) continue;
    double area = (ax - avg_x) * (y[i] - ay) - (ax - x[i]) * (avg_y - ay);
    area = area < 0 ? -area : area;
    const std::size_t lane = (i - base) & 3;
    if (area > best[lane]) {
      best[lane] = area;
      at[lane] = i;
    }
  }
}

// The winner over the lanes: the largest area, the lowest position among equal ones; that is
// the first point with the largest area. `fallback` when no area was a number.
static inline std::size_t lttb_lanes_pick(const double* best, const std::size_t* at, std::size_t fallback) {
  std::size_t pick = fallback;
  double value = -1.0;
  for (int lane = 0; lane < 4; ++lane) {
    if (!(best[lane] >= 0.0)) continue;
    if (best[lane] > value || (best[lane] == value && at[lane] < pick)) {
      value = best[lane];
      pick = at[lane];
    }
  }
  return pick;
}

}  // namespace hafs::simd
