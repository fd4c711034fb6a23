// Kernel 6, float32 top-k: packed query panels x register tiles with the selection fused into
// the tile epilogue (see simd_topk.h for the micro-kernel).
#pragma once
#include <cstddef>
#include <cstdint>

#include "pod_buffer.h"

namespace hafs {

// The k best rows for each query by inner product, best first, ties by row index, NaN last;
// k is clamped to n. Bit-identical for every thread count (and across AVX2, AVX-512 and NEON,
// which all compute each score as one fused multiply-add chain in dimension order).
void topk_f32_fused(const float* queries, std::size_t nq, const float* rows, std::size_t n, std::size_t d,
                    std::size_t k, int threads, PodBuffer<std::int64_t>& indices, PodBuffer<float>& scores);

// int8 top-k with exact int32 dot products as scores (rows in [-127, 127]).
void topk_i8_fused(const std::int8_t* queries, std::size_t nq, const std::int8_t* rows, std::size_t n, std::size_t d,
                   std::size_t k, int threads, PodBuffer<std::int64_t>& indices, PodBuffer<std::int32_t>& scores);

// int8 top-k over per-row-scaled rows: score = float32(int32 dot) * row_scales[row].
void topk_i8_rows_fused(const std::int8_t* queries, std::size_t nq, const std::int8_t* rows, const float* row_scales,
                        std::size_t n, std::size_t d, std::size_t k, int threads, PodBuffer<std::int64_t>& indices,
                        PodBuffer<float>& scores);

// The packing width and ISA the fused scan uses on this CPU now (for native_info and tests).
const char* topk_f32_kernel_name();

}  // namespace hafs
