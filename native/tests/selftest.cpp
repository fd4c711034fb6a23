// hafs_native_selftest: the kernels checked against plain reference code, without Python.
//
// Built with -DHAFS_NATIVE_SELFTEST=ON (see CMakeLists.txt and `make native-selftest`), so the
// kernels can be tested where the Python module cannot run: an AArch64 build under qemu-user
// (NEON paths), and the x86 AVX2/AVX-512 files compiled through SIMDe on a machine without
// those instructions (HAFS_SIMDE_X86). Every check runs on every SIMD level the build has and
// on 1, 2, 3 and 7 threads. Exit status 0 and a last line "N passed, 0 failed" when all pass.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "cpu_features.h"
#include "embeddings.h"
#include "line_index.h"
#include "line_search.h"
#include "series.h"

namespace {

int g_passed = 0, g_failed = 0;

void check(bool ok, const std::string& what) {
  if (ok) {
    ++g_passed;
  } else {
    ++g_failed;
    std::printf("FAILED: %s\n", what.c_str());
  }
}

template <class T>
std::vector<T> vec(const hafs::PodBuffer<T>& b) {
  return std::vector<T>(b.data(), b.data() + b.size());
}

// Reference top-k: score descending, index ascending (no NaN in these inputs).
std::vector<std::int64_t> ref_topk(const std::vector<double>& scores, std::size_t n, std::size_t k) {
  std::vector<std::int64_t> idx(n);
  for (std::size_t i = 0; i < n; ++i) idx[i] = static_cast<std::int64_t>(i);
  std::stable_sort(idx.begin(), idx.end(), [&](std::int64_t a, std::int64_t b) { return scores[a] > scores[b]; });
  idx.resize(std::min(k, n));
  return idx;
}

void test_topk(const std::string& level, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  const std::size_t shapes[][4] = {{1, 1, 1, 5}, {7, 101, 13, 10}, {37, 2003, 67, 10}, {33, 500, 384, 3}, {5, 40, 9, 50}};
  for (const auto& s : shapes) {
    const std::size_t nq = s[0], n = s[1], d = s[2], k = s[3];
    const std::string shape = level + " nq=" + std::to_string(nq) + " n=" + std::to_string(n) + " d=" +
                              std::to_string(d) + " k=" + std::to_string(k);
    // float32: scores close to the float64 dot products, chosen rows the true top k.
    std::vector<float> q(nq * d), x(n * d);
    for (auto& v : q) v = normal(rng);
    for (auto& v : x) v = normal(rng);
    hafs::PodBuffer<std::int64_t> idx, idx_t;
    hafs::PodBuffer<float> sc, sc_t;
    hafs::topk_f32(q.data(), nq, x.data(), n, d, k, 1, idx, sc);
    std::size_t agree = 0, total = 0;
    bool close = true;
    for (std::size_t a = 0; a < nq; ++a) {
      std::vector<double> exact(n);
      for (std::size_t b = 0; b < n; ++b) {
        double acc = 0;
        for (std::size_t j = 0; j < d; ++j) acc += static_cast<double>(q[a * d + j]) * x[b * d + j];
        exact[b] = acc;
      }
      auto ref = ref_topk(exact, n, k);
      for (std::size_t j = 0; j < ref.size(); ++j) {
        agree += idx[a * ref.size() + j] == ref[j];
        ++total;
        close = close && std::fabs(sc[a * ref.size() + j] - exact[idx[a * ref.size() + j]]) < 1e-3 * std::sqrt(d);
      }
    }
    check(close, "f32 scores " + shape);
    check(agree * 100 >= total * 99, "f32 top-k " + shape);
    for (int threads : {2, 3, 7}) {
      hafs::topk_f32(q.data(), nq, x.data(), n, d, k, threads, idx_t, sc_t);
      check(vec(idx) == vec(idx_t) && vec(sc) == vec(sc_t), "f32 threads=" + std::to_string(threads) + " " + shape);
    }
    // int8: exact.
    std::uniform_int_distribution<int> byte(-127, 127);
    std::vector<std::int8_t> q8(nq * d), x8(n * d);
    for (auto& v : q8) v = static_cast<std::int8_t>(byte(rng));
    for (auto& v : x8) v = static_cast<std::int8_t>(byte(rng));
    if (n > 3) std::copy(x8.begin(), x8.begin() + static_cast<std::ptrdiff_t>(d), x8.begin() + 3 * static_cast<std::ptrdiff_t>(d));
    std::vector<float> scales(n);
    for (std::size_t b = 0; b < n; ++b) scales[b] = 0.5f + static_cast<float>(b % 7) / 8.0f;
    hafs::PodBuffer<std::int64_t> i8, i8t, ir, irt;
    hafs::PodBuffer<std::int32_t> s8, s8t;
    hafs::PodBuffer<float> sr, srt;
    hafs::topk_i8(q8.data(), nq, x8.data(), n, d, k, 1, i8, s8);
    hafs::topk_i8_rows(q8.data(), nq, x8.data(), scales.data(), n, d, k, 1, ir, sr);
    bool exact8 = true, exact_rows = true;
    for (std::size_t a = 0; a < nq; ++a) {
      std::vector<double> dots(n), scaled(n);
      for (std::size_t b = 0; b < n; ++b) {
        std::int32_t acc = 0;
        for (std::size_t j = 0; j < d; ++j) acc += static_cast<std::int32_t>(q8[a * d + j]) * x8[b * d + j];
        dots[b] = acc;
        scaled[b] = static_cast<double>(static_cast<float>(acc) * scales[b]);
      }
      auto ref = ref_topk(dots, n, k), ref_rows = ref_topk(scaled, n, k);
      for (std::size_t j = 0; j < ref.size(); ++j) {
        exact8 = exact8 && i8[a * ref.size() + j] == ref[j] && s8[a * ref.size() + j] == dots[ref[j]];
        exact_rows = exact_rows && ir[a * ref.size() + j] == ref_rows[j] &&
                     sr[a * ref.size() + j] == static_cast<float>(scaled[ref_rows[j]]);
      }
    }
    check(exact8, "int8 exact " + shape);
    check(exact_rows, "int8 per-row exact " + shape);
    for (int threads : {2, 7}) {
      hafs::topk_i8(q8.data(), nq, x8.data(), n, d, k, threads, i8t, s8t);
      hafs::topk_i8_rows(q8.data(), nq, x8.data(), scales.data(), n, d, k, threads, irt, srt);
      check(vec(i8) == vec(i8t) && vec(s8) == vec(s8t) && vec(ir) == vec(irt) && vec(sr) == vec(srt),
            "int8 threads=" + std::to_string(threads) + " " + shape);
    }
  }
}

// The sequential LTTB with 4-lane averages (tests/native/reference.py).
std::vector<std::int64_t> ref_lttb(const std::vector<double>& x, const std::vector<double>& y, std::size_t buckets) {
  std::vector<std::size_t> f;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (std::isfinite(x[i]) && std::isfinite(y[i])) f.push_back(i);
  const std::size_t m = f.size();
  std::vector<std::int64_t> out;
  if (buckets >= m || m <= 2) {
    for (auto i : f) out.push_back(static_cast<std::int64_t>(i));
    return out;
  }
  const double every = static_cast<double>(m - 2) / static_cast<double>(buckets - 2);
  auto at = [&](std::size_t b) { return static_cast<std::size_t>(std::floor(static_cast<double>(b) * every)) + 1; };
  out.push_back(static_cast<std::int64_t>(f[0]));
  std::size_t a = 0;
  for (std::size_t b = 0; b + 2 < buckets; ++b) {
    const std::size_t begin = at(b), end = std::min(at(b + 1), m - 1);
    std::size_t ne = std::min(at(b + 2), m);
    if (ne <= end) ne = end + 1;
    double sx[4] = {0, 0, 0, 0}, sy[4] = {0, 0, 0, 0};
    for (std::size_t j = end; j < ne; ++j) {
      sx[(f[j] - f[end]) % 4] += x[f[j]];
      sy[(f[j] - f[end]) % 4] += y[f[j]];
    }
    const double avg_x = ((sx[0] + sx[1]) + (sx[2] + sx[3])) / static_cast<double>(ne - end);
    const double avg_y = ((sy[0] + sy[1]) + (sy[2] + sy[3])) / static_cast<double>(ne - end);
    const double ax = x[f[a]], ay = y[f[a]];
    double best_area = -1;
    std::size_t best = begin;
    for (std::size_t j = begin; j < end; ++j) {
      const double area = std::fabs((ax - avg_x) * (y[f[j]] - ay) - (ax - x[f[j]]) * (avg_y - ay));
      if (area > best_area) {
        best_area = area;
        best = j;
      }
    }
    out.push_back(static_cast<std::int64_t>(f[best]));
    a = best;
  }
  out.push_back(static_cast<std::int64_t>(f[m - 1]));
  return out;
}

void test_series(const std::string& level, std::mt19937& rng) {
  std::normal_distribution<double> normal;
  const std::size_t n = 50'003;
  std::vector<double> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = static_cast<double>(i) * 0.5;
    y[i] = std::exp(-static_cast<double>(i) / 20'000.0) + 0.05 * normal(rng);
    if (i % 997 == 5) y[i] = NAN;
    if (i % 1511 == 7) x[i] = INFINITY;
  }
  const auto expected = ref_lttb(x, y, 700);
  for (int threads : {1, 2, 3, 7})
    check(vec(hafs::lttb_indices(x.data(), y.data(), n, 700, threads)) == expected,
          level + " lttb threads=" + std::to_string(threads));
  // min/max: first index of each bucket's min and max, NaN skipped.
  const std::size_t buckets = 97;
  std::vector<std::int64_t> ref;
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::size_t lo = n * b / buckets, hi = n * (b + 1) / buckets;
    std::size_t imin = hi, imax = hi;
    for (std::size_t i = lo; i < hi; ++i) {
      if (std::isnan(y[i])) continue;
      if (imin == hi || y[i] < y[imin]) imin = i;
      if (imax == hi || y[i] > y[imax]) imax = i;
    }
    if (imin == hi) continue;
    ref.push_back(static_cast<std::int64_t>(std::min(imin, imax)));
    if (imin != imax) ref.push_back(static_cast<std::int64_t>(std::max(imin, imax)));
  }
  for (int threads : {1, 3})
    check(vec(hafs::minmax_indices(y.data(), n, buckets, threads)) == ref, level + " minmax threads=" + std::to_string(threads));
}

void test_lines(const std::string& level, std::mt19937& rng) {
  std::string text;
  std::uniform_int_distribution<int> len(0, 300), pick(0, 9);
  std::vector<std::int64_t> newlines, hits;
  for (int line = 0; line < 20'000; ++line) {
    std::string body(static_cast<std::size_t>(len(rng)), 'a');
    if (pick(rng) == 0) body += " ERROR disk full";
    if (pick(rng) == 1) body += '\0';
    if (body.find("ERROR") != std::string::npos) hits.push_back(line);
    text += body;
    newlines.push_back(static_cast<std::int64_t>(text.size()));
    text += '\n';
  }
  const auto* data = reinterpret_cast<const std::uint8_t*>(text.data());
  for (int threads : {1, 2, 7}) {
    check(vec(hafs::newline_offsets(data, text.size(), 0, threads)) == newlines, level + " newline_offsets threads=" + std::to_string(threads));
    hafs::LineSearcher search("ERROR", false, false), folded("disk FULL", false, true);
    check(vec(search.matching_lines(data, text.size(), threads)) == hits, level + " literal search threads=" + std::to_string(threads));
    check(vec(folded.matching_lines(data, text.size(), threads)) == hits, level + " case-insensitive search threads=" + std::to_string(threads));
  }
}

}  // namespace

int main() {
  const hafs::SimdLevel best = hafs::simd_level();
  for (int l = 0; l <= static_cast<int>(best); ++l) {
    const auto level = static_cast<hafs::SimdLevel>(l);
    hafs::set_simd_cap(level);
    const std::string name = hafs::simd_level_name(level);
    std::mt19937 rng(15);
    test_topk(name, rng);
    test_series(name, rng);
    test_lines(name, rng);
    std::printf("%s: done\n", name.c_str());
  }
  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
