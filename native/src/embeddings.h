// Kernel 6: embedding rows (float32 and symmetric int8): normalisation, quantisation, top-k.
#pragma once
#include <cstdint>

#include "pod_buffer.h"

namespace hafs {

// Rows of x (n x d) scaled to unit L2 norm; rows whose norm is below 1e-8 become zero.
PodBuffer<float> normalize_rows(const float* x, std::size_t n, std::size_t d, int threads);

// hafs-compatible symmetric per-array quantisation: scale = max|x| / 127 (1.0 when below 1e-8),
// q = round-half-to-even(x / scale) clamped to [-127, 127]. Non-finite values are ignored for
// the scale and stored as 0.
PodBuffer<std::int8_t> quantize_int8(const float* x, std::size_t count, float& scale, int threads);

// Per-row symmetric quantisation for in-memory search (not hafs's on-disk format): row r gets
// scales[r] = max|row r| / 127 (1.0 when below 1e-8) and the same rounding as quantize_int8.
PodBuffer<std::int8_t> quantize_int8_rows(const float* x, std::size_t n, std::size_t d, PodBuffer<float>& scales,
                                          int threads);

// The k best rows of `rows` for each query by inner product (cosine when both are normalised),
// best first; equal scores are ordered by row index and NaN scores rank last, so the result is
// fully deterministic. k is clamped to the number of rows. Outputs are nq x k.
void topk_f32(const float* queries, std::size_t nq, const float* rows, std::size_t n, std::size_t d,
              std::size_t k, int threads, PodBuffer<std::int64_t>& indices, PodBuffer<float>& scores);

// The same over int8 rows (values in [-127, 127]) with exact int32 dot products as scores.
void topk_i8(const std::int8_t* queries, std::size_t nq, const std::int8_t* rows, std::size_t n, std::size_t d,
             std::size_t k, int threads, PodBuffer<std::int64_t>& indices, PodBuffer<std::int32_t>& scores);

// int8 top-k over per-row-scaled rows: score = float(int32 dot) * row_scales[row] (float32),
// ranked like topk_f32 (ties by row index). The caller multiplies by the query's own scale.
void topk_i8_rows(const std::int8_t* queries, std::size_t nq, const std::int8_t* rows, const float* row_scales,
                  std::size_t n, std::size_t d, std::size_t k, int threads, PodBuffer<std::int64_t>& indices,
                  PodBuffer<float>& scores);

// Exact float32 re-scoring of candidate rows (e.g. from topk_i8): for each query, the k best of
// its `c` candidates (candidates: nq x c row indices, each in [0, n)), same order as topk_f32.
void rerank_f32(const float* queries, std::size_t nq, const float* rows, std::size_t n, std::size_t d,
                const std::int64_t* candidates, std::size_t c, std::size_t k, int threads,
                PodBuffer<std::int64_t>& indices, PodBuffer<float>& scores);

}  // namespace hafs
