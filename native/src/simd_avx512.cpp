// AVX-512 (F, BW, VL, DQ, VNNI) kernels; entered only after cpu_features.cpp detected support.
// No standard-library templates here: see the note in simd_kernels.h.
#include "simd_x86.h"

#include "simd_kernels.h"
#include "simd_topk.h"

namespace hafs::simd::avx512 {
namespace {

inline __mmask16 tail_mask16(std::size_t rem) { return static_cast<__mmask16>((1u << rem) - 1u); }

// Sums of the lanes of 16 accumulators at once (a transpose-and-add tree, 45 instructions
// instead of 16 separate horizontal reductions): lane 4a+b of the result is the sum of v[4a+b],
// so 128-bit group a holds the four row results of query a. Each result lane depends only on
// its own accumulator, always through the same tree, so a score never depends on which tile
// (or which unused, zeroed slots) it was computed with.
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

namespace {

// int8 traits: VNNI vpdpbusd on 4 bytes per lane (queries biased to unsigned), exact int32.
struct I32x16 {
  using reg = __m512i;
  using freg = __m512;
  static constexpr int width = 16;
  static reg zero() { return _mm512_setzero_si512(); }
  static reg load(const std::int32_t* p) { return _mm512_loadu_si512(p); }
  static reg bcast(const std::int32_t* p) { return _mm512_set1_epi32(*p); }
  static reg madd(reg acc, reg q, reg x) { return _mm512_dpbusd_epi32(acc, q, x); }
  static reg sub(reg a, reg b) { return _mm512_sub_epi32(a, b); }
  static void store(std::int32_t* p, reg v) { _mm512_storeu_si512(p, v); }
  static unsigned may_enter(reg s, reg t) { return static_cast<unsigned>(_mm512_cmp_epi32_mask(s, t, _MM_CMPINT_NLT)); }
  static freg fload(const float* p) { return _mm512_loadu_ps(p); }
  static freg fbcast(const float* p) { return _mm512_set1_ps(*p); }
  static freg scale(reg dot, freg s) { return _mm512_mul_ps(_mm512_cvtepi32_ps(dot), s); }
  static unsigned fmay_enter(freg s, freg t) { return F32x16::may_enter(s, t); }
  static void fstore(float* p, freg v) { _mm512_storeu_ps(p, v); }
};

constexpr int kI8MV = 2, kI8NR = 12;

// Packs `count` rows of d int8 values as 4-byte words (+ bias to unsigned for queries):
// out[(panel * groups + g) * width + i].
void pack_quads(const std::int8_t* src, std::size_t count, std::size_t d, std::size_t width, int bias,
                std::int32_t* out) {
  const std::size_t groups = (d + 3) / 4, padded = (count + width - 1) / width * width;
  for (std::size_t i = 0; i < padded; ++i) {
    std::int32_t* panel = out + (i / width) * groups * width;
    const std::size_t lane = i % width;
    for (std::size_t g = 0; g < groups; ++g) {
      std::uint32_t word = 0;
      for (std::size_t b = 0; b < 4; ++b) {
        const std::size_t k = 4 * g + b;
        const int v = i < count && k < d ? src[i * d + k] + bias : 0;  // padding adds 0 * row
        word |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(v)) << (8 * b);
      }
      panel[g * width + lane] = static_cast<std::int32_t>(word);
    }
  }
}

}  // namespace

I8Layout topk_i8_layout() { return {kI8MV * I32x16::width, kI8NR, 4, true}; }

void pack_queries_i8(const std::int8_t* q, std::size_t count, std::size_t d, std::int32_t* out) {
  pack_quads(q, count, d, kI8MV * I32x16::width, 128, out);
}

void pack_rows_i8(const std::int8_t* x, std::size_t rows, std::size_t d, std::int32_t* out) {
  pack_quads(x, rows, d, kI8NR, 0, out);
}

void topk_scan_i8(const std::int32_t* qpack, std::size_t lanes, const std::int32_t* xpack, std::size_t rows,
                  std::size_t groups, std::size_t r0, const std::int32_t* bias, const float* scales,
                  const TopkSink* sink) {
  scan_i8<I32x16, kI8MV, kI8NR>(qpack, lanes, xpack, rows, groups, r0, bias, scales, sink);
}

}  // namespace hafs::simd::avx512
