// Declarations of the instruction-set-specific kernels (simd_avx2.cpp, simd_avx512.cpp).
//
// Those files are compiled with -mavx2 / -mavx512* and must only be entered after
// cpu_features.h said the CPU supports them. They therefore use plain C-style code and
// intrinsics only: an inline std:: template instantiated there could be picked by the linker
// for the whole module and execute AVX instructions on a CPU without them.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hafs::simd {

// Two bytes a literal must have at fixed offsets from its start: a cheap candidate test.
// fold is 0x20 for an ASCII letter in a case-insensitive search (byte | 0x20 == lower-case).
struct ProbePair {
  std::uint32_t off1, off2;
  std::uint8_t byte1, byte2, fold1, fold2;
};

constexpr std::size_t kNotFound = ~static_cast<std::size_t>(0);

// First i in [i, limit) where a probe pair matches, one position at a time: the portable scan
// and the tails of the SIMD ones. static: each file keeps its own copy (see above).
static inline std::size_t find_probe_scalar(const std::uint8_t* data, std::size_t i, std::size_t limit,
                                            std::size_t size, const ProbePair* probes, std::size_t n_probes) {
  for (; i < limit; ++i)
    for (std::size_t p = 0; p < n_probes; ++p) {
      const ProbePair& pr = probes[p];
      if (i + pr.off1 < size && i + pr.off2 < size &&
          static_cast<std::uint8_t>(data[i + pr.off1] | pr.fold1) == pr.byte1 &&
          static_cast<std::uint8_t>(data[i + pr.off2] | pr.fold2) == pr.byte2)
        return i;
    }
  return kNotFound;
}

// Where the fused top-k scans (simd_topk.h) send tiles that may hold an entry. thresholds has
// one value per packed query lane: the score a new entry must reach (NaN while that query's
// list is not full: everything may enter; +inf for padding lanes). offer_f32 receives the
// tile's scores as scores[j * lanes + i] for query lane lane0 + i and row r0 + j (j < rows)
// and updates the thresholds of the lists it changed.
// The int8 scans use thresholds_i32 and offer_i32 the same way for exact int32 scores (a list
// that is not full has threshold INT32_MIN; padding lanes INT32_MAX, which a score may reach:
// the sink ignores padding lanes).
struct TopkSink {
  const float* thresholds;
  const std::int32_t* thresholds_i32;
  void* ctx;
  void (*offer_f32)(void* ctx, const float* scores, std::size_t lanes, std::size_t lane0, std::size_t r0,
                    std::size_t rows);
  void (*offer_i32)(void* ctx, const std::int32_t* scores, std::size_t lanes, std::size_t lane0, std::size_t r0,
                    std::size_t rows);
};

// How an int8 kernel packs its operands (see simd_topk.h): queries in panels of `lanes`, rows in
// panels of `rows`, `group` dimensions per 32-bit word.
struct I8Layout {
  std::size_t lanes, rows, group;
  bool biased;  // VNNI: query bytes + 128, scores corrected by 128 * row sum
};

#define HAFS_DECLARE_DOT_KERNELS                                                                \
  /* out[i*nx+j] = dot(q_i, x_j) for row-major q (nq x d) and x (nx x d). */                    \
  void dot_f32_block(const float* q, std::size_t nq, const float* x, std::size_t nx,            \
                     std::size_t d, float* out);                                                \
  /* Fused top-k scan (simd_topk.h): rows [r0, r1) against `lanes` queries packed in panels */ \
  /* of kTopkF32Lanes, k-major.                                                             */ \
  void topk_scan_f32(const float* qpack, std::size_t lanes, const float* x, std::size_t r0,  \
                     std::size_t r1, std::size_t d, const TopkSink* sink);                     \
  /* int8 top-k (simd_topk.h, scan_i8) and its packing. */                                    \
  I8Layout topk_i8_layout();                                                                   \
  void pack_queries_i8(const std::int8_t* q, std::size_t count, std::size_t d, std::int32_t* out); \
  void pack_rows_i8(const std::int8_t* x, std::size_t rows, std::size_t d, std::int32_t* out);   \
  void topk_scan_i8(const std::int32_t* qpack, std::size_t lanes, const std::int32_t* xpack,    \
                    std::size_t rows, std::size_t groups, std::size_t r0, const std::int32_t* bias, \
                    const float* scales, const TopkSink* sink);                                 \
  /* sig[j] = min(sig[j], mul[j] * x + add[j]) mod 2^32 for each x = hashes[i] >> 32. */       \
  void minhash_update(const std::uint64_t* hashes, std::size_t n, const std::uint32_t* mul,     \
                      const std::uint32_t* add, std::size_t num_perm, std::uint32_t* sig);

// Byte scanning exists for AVX2 only: it is bound by memory bandwidth, and on the machines we
// measured AVX-512 versions were no faster on one core and slower on two (see docs/native.md).
namespace avx2 {
std::size_t count_byte(const std::uint8_t* data, std::size_t n, std::uint8_t byte);
// Writes base+i for each data[i]==byte to out (room for n+4); returns how many.
std::size_t byte_positions(const std::uint8_t* data, std::size_t n, std::uint8_t byte, std::int64_t base,
                           std::int64_t* out);
// First i in [from, limit) where any probe pair matches; reads stay below size.
std::size_t find_probe(const std::uint8_t* data, std::size_t from, std::size_t limit, std::size_t size,
                       const ProbePair* probes, std::size_t n_probes);
// Minimum and maximum of y[0, n), NaN skipped (+inf / -inf when all NaN).
void min_max_f64(const double* y, std::size_t n, double* lo, double* hi);
// LTTB (lttb.cpp): words[w] bit i = x and y of point 64w+i finite; n points from x, y.
void lttb_finite_bits(const double* x, const double* y, std::size_t n, std::uint64_t* words);
// Adds the finite points of [i0, i1) to 4 lanes by position (lane = (i - i0) % 4).
void lttb_lane_sums(const double* x, const double* y, std::size_t i0, std::size_t i1, double* sx, double* sy);
// The first finite point of [i0, i1) with the largest triangle area (lttb_lanes.h); i0 if none.
std::size_t lttb_argmax(const double* x, const double* y, std::size_t i0, std::size_t i1, const double* c);
HAFS_DECLARE_DOT_KERNELS
constexpr std::size_t kTopkF32Lanes = 16;  // 2 x 8-lane registers of queries per tile
}  // namespace avx2

namespace avx512 {
HAFS_DECLARE_DOT_KERNELS
constexpr std::size_t kTopkF32Lanes = 32;  // 2 x 16-lane registers of queries per tile
}  // namespace avx512

#if defined(__aarch64__) && defined(__ARM_NEON)
// NEON (simd_neon.cpp): the same contracts as the AVX2 versions above.
namespace neon {
std::size_t find_probe(const std::uint8_t* data, std::size_t from, std::size_t limit, std::size_t size,
                       const ProbePair* probes, std::size_t n_probes);
void min_max_f64(const double* y, std::size_t n, double* lo, double* hi);
}  // namespace neon
#endif

#undef HAFS_DECLARE_DOT_KERNELS

}  // namespace hafs::simd
