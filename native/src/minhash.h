// Kernel 7: near-duplicate texts by MinHash signatures, LSH banding and exact verification.
#pragma once
#include <cstdint>
#include <vector>

#include "pod_buffer.h"

namespace hafs {

struct ShingleOptions {
  bool words = false;   // false: k consecutive characters (UTF-8 code points); true: k words
  std::size_t k = 5;
  std::uint64_t seed = 1;
};

// Texts are data[offsets[i], offsets[i+1]) for i < n_texts.
struct Texts {
  const std::uint8_t* data;
  const std::int64_t* offsets;
  std::size_t count;
};

// n_texts x num_perm uint32 MinHash signatures. Each distinct shingle is hashed once (64-bit),
// then permutation i maps it with an odd multiplier and an offset modulo 2^32, a bijection, and
// keeps the minimum. An empty text (no shingle) gets all 0xFFFFFFFF and never matches.
PodBuffer<std::uint32_t> minhash_signatures(const Texts& texts, const ShingleOptions& options,
                                            std::size_t num_perm, int threads);

// Pairs (i < j) sharing all `rows` values of at least one of `bands` bands, sorted, unique.
// Buckets with more than max_bucket texts are skipped (boilerplate would explode into pairs).
PodBuffer<std::int64_t> lsh_candidate_pairs(const std::uint32_t* signatures, std::size_t n, std::size_t num_perm,
                                            std::size_t bands, std::size_t rows, std::size_t max_bucket,
                                            int threads);

// Exact Jaccard similarity of the shingle sets of each (i, j) pair (pairs: 2 x m, row-major).
std::vector<double> exact_jaccard(const Texts& texts, const ShingleOptions& options, const std::int64_t* pairs,
                                  std::size_t m, int threads);

}  // namespace hafs
