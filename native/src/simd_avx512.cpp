// AVX-512 (F, BW, VL, DQ, VNNI) kernels; entered only after cpu_features.cpp detected support.
// No standard-library templates here: see the note in simd_kernels.h.
#include <immintrin.h>

#include "simd_kernels.h"
#include "simd_topk.h"

namespace hafs::simd::avx512 {
namespace {

inline __mmask16 tail_mask16(std::size_t rem) { return static_cast<__mmask16>((1u << rem) - 1u); }
inline __mmask64 tail_mask64(std::size_t rem) {
  return rem >= 64 ? ~static_cast<__mmask64>(0) : ((static_cast<__mmask64>(1) << rem) - 1);
}

// Sums of the lanes of 16 accumulators at once (a transpose-and-add tree, 45 instructions
// instead of 16 separate horizontal reductions): lane 4a+b of the result is the sum of v[4a+b],
// so 128-bit group a holds the four row results of query a. Each result lane depends only on
// its own accumulator, always through the same tree, so a score never depends on which tile
// (or which unused, zeroed slots) it was computed with.
inline __m512i reduce16(const __m512i* v) {
  __m512i u[8], w[4];
  for (int i = 0; i < 8; ++i)
    u[i] = _mm512_add_epi32(_mm512_unpacklo_epi32(v[2 * i], v[2 * i + 1]),
                            _mm512_unpackhi_epi32(v[2 * i], v[2 * i + 1]));
  for (int i = 0; i < 4; ++i)
    w[i] = _mm512_add_epi32(_mm512_unpacklo_epi64(u[2 * i], u[2 * i + 1]),
                            _mm512_unpackhi_epi64(u[2 * i], u[2 * i + 1]));
  __m512i x0 = _mm512_add_epi32(_mm512_shuffle_i32x4(w[0], w[1], 0x88), _mm512_shuffle_i32x4(w[0], w[1], 0xdd));
  __m512i x1 = _mm512_add_epi32(_mm512_shuffle_i32x4(w[2], w[3], 0x88), _mm512_shuffle_i32x4(w[2], w[3], 0xdd));
  return _mm512_add_epi32(_mm512_shuffle_i32x4(x0, x1, 0x88), _mm512_shuffle_i32x4(x0, x1, 0xdd));
}

inline __m512 reduce16(const __m512* v) {
  __m512 u[8], w[4];
  for (int i = 0; i < 8; ++i)
    u[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
  for (int i = 0; i < 4; ++i) {
    __m512d a = _mm512_castps_pd(u[2 * i]), b = _mm512_castps_pd(u[2 * i + 1]);
    w[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)), _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
  }
  __m512 x0 = _mm512_add_ps(_mm512_shuffle_f32x4(w[0], w[1], 0x88), _mm512_shuffle_f32x4(w[0], w[1], 0xdd));
  __m512 x1 = _mm512_add_ps(_mm512_shuffle_f32x4(w[2], w[3], 0x88), _mm512_shuffle_f32x4(w[2], w[3], 0xdd));
  return _mm512_add_ps(_mm512_shuffle_f32x4(x0, x1, 0x88), _mm512_shuffle_f32x4(x0, x1, 0xdd));
}

// 128-bit group `a` of v (a is a compile-time constant after unrolling).
inline __m128i group(__m512i v, int a) {
  switch (a) {
    case 0: return _mm512_castsi512_si128(v);
    case 1: return _mm512_extracti32x4_epi32(v, 1);
    case 2: return _mm512_extracti32x4_epi32(v, 2);
    default: return _mm512_extracti32x4_epi32(v, 3);
  }
}

inline __m128 group(__m512 v, int a) {
  switch (a) {
    case 0: return _mm512_castps512_ps128(v);
    case 1: return _mm512_extractf32x4_ps(v, 1);
    case 2: return _mm512_extractf32x4_ps(v, 2);
    default: return _mm512_extractf32x4_ps(v, 3);
  }
}

// QT x XT (each at most 4) dot products with one 16-lane accumulator per pair; the same
// operation sequence for every pair whatever tile it lands in (see reduce16).
template <int QT, int XT>
inline void dot_tile_f32(const float* q, const float* x, std::size_t d, float* out, std::size_t ldo) {
  __m512 acc[16];
  for (int i = 0; i < 16; ++i) acc[i] = _mm512_setzero_ps();
  std::size_t k = 0;
  for (; k + 16 <= d; k += 16) {
    __m512 xv[XT];
    for (int b = 0; b < XT; ++b) xv[b] = _mm512_loadu_ps(x + b * d + k);
    for (int a = 0; a < QT; ++a) {
      __m512 qv = _mm512_loadu_ps(q + a * d + k);
      for (int b = 0; b < XT; ++b) acc[4 * a + b] = _mm512_fmadd_ps(qv, xv[b], acc[4 * a + b]);
    }
  }
  if (k < d) {
    __mmask16 m = tail_mask16(d - k);
    __m512 xv[XT];
    for (int b = 0; b < XT; ++b) xv[b] = _mm512_maskz_loadu_ps(m, x + b * d + k);
    for (int a = 0; a < QT; ++a) {
      __m512 qv = _mm512_maskz_loadu_ps(m, q + a * d + k);
      for (int b = 0; b < XT; ++b) acc[4 * a + b] = _mm512_fmadd_ps(qv, xv[b], acc[4 * a + b]);
    }
  }
  __m512 sums = reduce16(acc);
  const __mmask8 cols = static_cast<__mmask8>((1u << XT) - 1u);
  for (int a = 0; a < QT; ++a) _mm_mask_storeu_ps(out + a * ldo, cols, group(sums, a));
}

// VNNI: dpbusd multiplies unsigned by signed bytes, so queries come biased by +128 and the
// bias is removed exactly afterwards: dot(q + 128, x) - 128 * sum(x) = dot(q, x).
// Returns the tile's dot products laid out as reduce16 does (query a in 128-bit group a).
template <int QT, int XT>
inline __m512i dot_tile_i8(const std::uint8_t* qb, const std::int8_t* x, const std::int32_t* x_sums,
                           std::size_t d) {
  __m512i acc[16];
  for (int i = 0; i < 16; ++i) acc[i] = _mm512_setzero_si512();
  for (std::size_t k = 0; k < d; k += 64) {
    __mmask64 m = tail_mask64(d - k);
    __m512i xv[XT];
    for (int b = 0; b < XT; ++b) xv[b] = _mm512_maskz_loadu_epi8(m, x + b * d + k);
    for (int a = 0; a < QT; ++a) {
      __m512i qv = _mm512_maskz_loadu_epi8(m, qb + a * d + k);
      for (int b = 0; b < XT; ++b) acc[4 * a + b] = _mm512_dpbusd_epi32(acc[4 * a + b], qv, xv[b]);
    }
  }
  const __mmask8 cols = static_cast<__mmask8>((1u << XT) - 1u);
  __m512i bias = _mm512_broadcast_i32x4(_mm_slli_epi32(_mm_maskz_loadu_epi32(cols, x_sums), 7));
  return _mm512_sub_epi32(reduce16(acc), bias);
}

template <int QT, int XT>
inline void store_tile_i8(const std::uint8_t* qb, const std::int8_t* x, const std::int32_t* x_sums,
                          std::size_t d, std::int32_t* out, std::size_t ldo) {
  __m512i dots = dot_tile_i8<QT, XT>(qb, x, x_sums, d);
  const __mmask8 cols = static_cast<__mmask8>((1u << XT) - 1u);
  for (int a = 0; a < QT; ++a) _mm_mask_storeu_epi32(out + a * ldo, cols, group(dots, a));
}

// float(dot) * x_scales[b]: the per-row-scale scores, rounded exactly as the portable path.
template <int QT, int XT>
inline void store_tile_i8_scaled(const std::uint8_t* qb, const std::int8_t* x, const std::int32_t* x_sums,
                                 const float* x_scales, std::size_t d, float* out, std::size_t ldo) {
  const __mmask8 cols = static_cast<__mmask8>((1u << XT) - 1u);
  __m512 scales = _mm512_broadcast_f32x4(_mm_maskz_loadu_ps(cols, x_scales));
  __m512 scores = _mm512_mul_ps(_mm512_cvtepi32_ps(dot_tile_i8<QT, XT>(qb, x, x_sums, d)), scales);
  for (int a = 0; a < QT; ++a) _mm_mask_storeu_ps(out + a * ldo, cols, group(scores, a));
}

// Runs tile(a, b, QT, XT) over an nq x nx block in tiles of at most 4 x 4.
#define HAFS_TILE_LOOP(TILE)                                        \
  std::size_t a = 0;                                                \
  for (; a + 4 <= nq; a += 4) {                                     \
    std::size_t b = 0;                                              \
    for (; b + 4 <= nx; b += 4) TILE(4, 4);                         \
    switch (nx - b) {                                               \
      case 3: TILE(4, 3); break;                                    \
      case 2: TILE(4, 2); break;                                    \
      case 1: TILE(4, 1); break;                                    \
      default: break;                                               \
    }                                                               \
  }                                                                 \
  for (; a < nq; ++a) {                                             \
    std::size_t b = 0;                                              \
    for (; b + 4 <= nx; b += 4) TILE(1, 4);                         \
    switch (nx - b) {                                               \
      case 3: TILE(1, 3); break;                                    \
      case 2: TILE(1, 2); break;                                    \
      case 1: TILE(1, 1); break;                                    \
      default: break;                                               \
    }                                                               \
  }

}  // namespace

void dot_f32_block(const float* q, std::size_t nq, const float* x, std::size_t nx, std::size_t d,
                   float* out) {
#define HAFS_F32_TILE(QT, XT) dot_tile_f32<QT, XT>(q + a * d, x + b * d, d, out + a * nx + b, nx)
  HAFS_TILE_LOOP(HAFS_F32_TILE)
#undef HAFS_F32_TILE
}

void dot_i8_block(const std::int8_t* q, const std::uint8_t* q_biased, std::size_t nq, const std::int8_t* x,
                  const std::int32_t* x_sums, std::size_t nx, std::size_t d, std::int32_t* out) {
  (void)q;
#define HAFS_I8_TILE(QT, XT) \
  store_tile_i8<QT, XT>(q_biased + a * d, x + b * d, x_sums + b, d, out + a * nx + b, nx)
  HAFS_TILE_LOOP(HAFS_I8_TILE)
#undef HAFS_I8_TILE
}

void dot_i8_block_scaled(const std::int8_t* q, const std::uint8_t* q_biased, std::size_t nq, const std::int8_t* x,
                         const std::int32_t* x_sums, const float* x_scales, std::size_t nx, std::size_t d,
                         float* out) {
  (void)q;
#define HAFS_I8S_TILE(QT, XT) \
  store_tile_i8_scaled<QT, XT>(q_biased + a * d, x + b * d, x_sums + b, x_scales + b, d, out + a * nx + b, nx)
  HAFS_TILE_LOOP(HAFS_I8S_TILE)
#undef HAFS_I8S_TILE
}

#undef HAFS_TILE_LOOP

void minhash_update(const std::uint64_t* hashes, std::size_t n, const std::uint32_t* mul, const std::uint32_t* add,
                    std::size_t num_perm, std::uint32_t* sig) {
  std::size_t j = 0;
  // Blocks of 4 vectors of permutations stay in registers across all of a text's shingles.
  for (; j + 4 * 16 <= num_perm; j += 4 * 16) {
    __m512i m[4], a[4], s[4];
    for (int v = 0; v < 4; ++v) {
      m[v] = _mm512_loadu_si512((mul + j + v * 16));
      a[v] = _mm512_loadu_si512((add + j + v * 16));
      s[v] = _mm512_loadu_si512((sig + j + v * 16));
    }
    for (std::size_t i = 0; i < n; ++i) {
      __m512i x = _mm512_set1_epi32(static_cast<int>(hashes[i] >> 32));
      for (int v = 0; v < 4; ++v) s[v] = _mm512_min_epu32(s[v], _mm512_add_epi32(_mm512_mullo_epi32(m[v], x), a[v]));
    }
    for (int v = 0; v < 4; ++v) _mm512_storeu_si512((sig + j + v * 16), s[v]);
  }
  for (; j < num_perm; ++j) {
    std::uint32_t best = sig[j];
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t h = mul[j] * static_cast<std::uint32_t>(hashes[i] >> 32) + add[j];
      best = h < best ? h : best;
    }
    sig[j] = best;
  }
}

namespace {

// Vector traits of the fused top-k scan (simd_topk.h): 16 float lanes.
struct F32x16 {
  using reg = __m512;
  static constexpr int width = 16;
  static reg zero() { return _mm512_setzero_ps(); }
  static reg load(const float* p) { return _mm512_loadu_ps(p); }
  static reg bcast(const float* p) { return _mm512_set1_ps(*p); }
  static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
  static void store(float* p, reg v) { _mm512_storeu_ps(p, v); }
  static unsigned may_enter(reg s, reg t) { return static_cast<unsigned>(_mm512_cmp_ps_mask(s, t, _CMP_NLT_UQ)); }
  static void prefetch(const char* p) { _mm_prefetch(p, _MM_HINT_T0); }
};

}  // namespace

// 2 x 16 query lanes x 12 rows: 24 accumulators + 2 query registers + 1 broadcast of 32 zmm.
void topk_scan_f32(const float* qpack, std::size_t lanes, const float* x, std::size_t r0, std::size_t r1,
                   std::size_t d, const TopkSink* sink) {
  static_assert(kTopkF32Lanes == 2 * F32x16::width, "packing width");
  scan_f32<F32x16, 2, 12>(qpack, lanes, x, r0, r1, d, sink);
}

}  // namespace hafs::simd::avx512
