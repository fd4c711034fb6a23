#include "embeddings.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "cpu_features.h"
#include "parallel.h"
#include "simd_kernels.h"
#include "topk_fused.h"
#include "topk_list.h"

namespace hafs {
namespace {

// Portable fallbacks with the same per-pair arithmetic in every position of the block.
void dot_f32_block_scalar(const float* q, std::size_t nq, const float* x, std::size_t nx, std::size_t d,
                          float* out) {
  for (std::size_t a = 0; a < nq; ++a)
    for (std::size_t b = 0; b < nx; ++b) {
      const float* qa = q + a * d;
      const float* xb = x + b * d;
      float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      std::size_t k = 0;
      for (; k + 8 <= d; k += 8)
        for (int l = 0; l < 8; ++l) acc[l] += qa[k + l] * xb[k + l];
      for (int l = 0; k < d; ++k, ++l) acc[l] += qa[k] * xb[k];
      out[a * nx + b] = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    }
}

void dot_f32_block(const float* q, std::size_t nq, const float* x, std::size_t nx, std::size_t d, float* out) {
#if defined(HAFS_X86_DISPATCH)
  switch (simd_level()) {
    case SimdLevel::avx512: return simd::avx512::dot_f32_block(q, nq, x, nx, d, out);
    case SimdLevel::avx2: return simd::avx2::dot_f32_block(q, nq, x, nx, d, out);
    default: break;
  }
#endif
  dot_f32_block_scalar(q, nq, x, nx, d, out);
}

}  // namespace

PodBuffer<float> normalize_rows(const float* x, std::size_t n, std::size_t d, int threads) {
  PodBuffer<float> out(n * d);
  constexpr std::size_t kRows = 4096;
  parallel_for((n + kRows - 1) / kRows, threads, [&](std::size_t t) {
    for (std::size_t r = t * kRows; r < std::min(n, (t + 1) * kRows); ++r) {
      const float* row = x + r * d;
      double sum = 0;
      for (std::size_t j = 0; j < d; ++j) sum += static_cast<double>(row[j]) * row[j];
      double norm = std::sqrt(sum);
      float inv = norm < 1e-8 ? 0.0f : static_cast<float>(1.0 / norm);
      for (std::size_t j = 0; j < d; ++j) out[r * d + j] = row[j] * inv;
    }
  });
  return out;
}

PodBuffer<std::int8_t> quantize_int8(const float* x, std::size_t count, float& scale, int threads) {
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  std::size_t tasks = (count + kChunk - 1) / kChunk;
  std::vector<float> chunk_max(tasks, 0.0f);
  parallel_for(tasks, threads, [&](std::size_t t) {
    float m = 0.0f;
    for (std::size_t i = t * kChunk; i < std::min(count, (t + 1) * kChunk); ++i) {
      float a = std::fabs(x[i]);
      if (a > m && std::isfinite(a)) m = a;
    }
    chunk_max[t] = m;
  });
  float max_abs = 0.0f;
  for (float m : chunk_max) max_abs = std::max(max_abs, m);
  scale = max_abs < 1e-8f ? 1.0f : max_abs / 127.0f;
  PodBuffer<std::int8_t> q(count);
  const float s = scale;
  parallel_for(tasks, threads, [&](std::size_t t) {
    for (std::size_t i = t * kChunk; i < std::min(count, (t + 1) * kChunk); ++i) {
      float v = std::isfinite(x[i]) ? std::nearbyint(x[i] / s) : 0.0f;
      q[i] = static_cast<std::int8_t>(std::clamp(v, -127.0f, 127.0f));
    }
  });
  return q;
}

PodBuffer<std::int8_t> quantize_int8_rows(const float* x, std::size_t n, std::size_t d, PodBuffer<float>& scales,
                                          int threads) {
  PodBuffer<std::int8_t> q(n * d);
  scales.resize(n);
  constexpr std::size_t kRows = 1024;
  parallel_for((n + kRows - 1) / kRows, threads, [&](std::size_t t) {
    for (std::size_t r = t * kRows; r < std::min(n, (t + 1) * kRows); ++r) {
      const float* row = x + r * d;
      float m = 0.0f;
      for (std::size_t j = 0; j < d; ++j) {
        float a = std::fabs(row[j]);
        if (a > m && std::isfinite(a)) m = a;
      }
      const float s = m < 1e-8f ? 1.0f : m / 127.0f;
      scales[r] = s;
      for (std::size_t j = 0; j < d; ++j) {
        float v = std::isfinite(row[j]) ? std::nearbyint(row[j] / s) : 0.0f;
        q[r * d + j] = static_cast<std::int8_t>(std::clamp(v, -127.0f, 127.0f));
      }
    }
  });
  return q;
}

void topk_f32(const float* queries, std::size_t nq, const float* rows, std::size_t n, std::size_t d,
              std::size_t k, int threads, PodBuffer<std::int64_t>& indices, PodBuffer<float>& scores) {
  topk_f32_fused(queries, nq, rows, n, d, k, threads, indices, scores);
}

void rerank_f32(const float* queries, std::size_t nq, const float* rows, std::size_t n, std::size_t d,
                const std::int64_t* candidates, std::size_t c, std::size_t k, int threads,
                PodBuffer<std::int64_t>& indices, PodBuffer<float>& scores) {
  for (std::size_t i = 0; i < nq * c; ++i)
    if (candidates[i] < 0 || static_cast<std::size_t>(candidates[i]) >= n)
      throw std::invalid_argument("candidate index out of range: " + std::to_string(candidates[i]));
  k = std::min(k, c);
  indices.resize(nq * k);
  scores.resize(nq * k);
  constexpr std::size_t kQueriesPerTask = 16;
  parallel_for((nq + kQueriesPerTask - 1) / kQueriesPerTask, threads, [&](std::size_t t) {
    std::vector<float> gathered(c * d), dots(c);
    for (std::size_t q = t * kQueriesPerTask; q < std::min(nq, (t + 1) * kQueriesPerTask); ++q) {
      const std::int64_t* cand = candidates + q * c;
      for (std::size_t j = 0; j < c; ++j)
        std::copy(rows + static_cast<std::size_t>(cand[j]) * d, rows + (static_cast<std::size_t>(cand[j]) + 1) * d,
                  gathered.begin() + static_cast<std::ptrdiff_t>(j * d));
      dot_f32_block(queries + q * d, 1, gathered.data(), c, d, dots.data());
      TopK<float> best(k);
      for (std::size_t j = 0; j < c; ++j) best.offer(dots[j], cand[j]);
      std::copy(best.ids().begin(), best.ids().end(), indices.data() + q * k);
      std::copy(best.scores().begin(), best.scores().end(), scores.data() + q * k);
    }
  });
}

void topk_i8(const std::int8_t* queries, std::size_t nq, const std::int8_t* rows, std::size_t n, std::size_t d,
             std::size_t k, int threads, PodBuffer<std::int64_t>& indices, PodBuffer<std::int32_t>& scores) {
  topk_i8_fused(queries, nq, rows, n, d, k, threads, indices, scores);
}

void topk_i8_rows(const std::int8_t* queries, std::size_t nq, const std::int8_t* rows, const float* row_scales,
                  std::size_t n, std::size_t d, std::size_t k, int threads, PodBuffer<std::int64_t>& indices,
                  PodBuffer<float>& scores) {
  topk_i8_rows_fused(queries, nq, rows, row_scales, n, d, k, threads, indices, scores);
}

}  // namespace hafs
