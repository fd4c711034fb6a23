// AVX-512 (F, BW, VL, DQ, VNNI) kernels; entered only after cpu_features.cpp detected support.
// No standard-library templates here: see the note in simd_kernels.h.
#include <immintrin.h>

#include "simd_kernels.h"

namespace hafs::simd::avx512 {
namespace {

inline __mmask16 tail_mask16(std::size_t rem) { return static_cast<__mmask16>((1u << rem) - 1u); }
inline __mmask64 tail_mask64(std::size_t rem) {
  return rem >= 64 ? ~static_cast<__mmask64>(0) : ((static_cast<__mmask64>(1) << rem) - 1);
}

// QT x XT dot products with one 16-lane accumulator per pair; the same operation sequence for
// every pair whatever tile it lands in, so a score never depends on tiling (see the AVX2 file).
template <int QT, int XT>
inline void dot_tile_f32(const float* q, const float* x, std::size_t d, float* out, std::size_t ldo) {
  __m512 acc[QT][XT];
  for (int a = 0; a < QT; ++a)
    for (int b = 0; b < XT; ++b) acc[a][b] = _mm512_setzero_ps();
  std::size_t k = 0;
  for (; k + 16 <= d; k += 16) {
    __m512 xv[XT];
    for (int b = 0; b < XT; ++b) xv[b] = _mm512_loadu_ps(x + b * d + k);
    for (int a = 0; a < QT; ++a) {
      __m512 qv = _mm512_loadu_ps(q + a * d + k);
      for (int b = 0; b < XT; ++b) acc[a][b] = _mm512_fmadd_ps(qv, xv[b], acc[a][b]);
    }
  }
  if (k < d) {
    __mmask16 m = tail_mask16(d - k);
    __m512 xv[XT];
    for (int b = 0; b < XT; ++b) xv[b] = _mm512_maskz_loadu_ps(m, x + b * d + k);
    for (int a = 0; a < QT; ++a) {
      __m512 qv = _mm512_maskz_loadu_ps(m, q + a * d + k);
      for (int b = 0; b < XT; ++b) acc[a][b] = _mm512_fmadd_ps(qv, xv[b], acc[a][b]);
    }
  }
  for (int a = 0; a < QT; ++a)
    for (int b = 0; b < XT; ++b) out[a * ldo + b] = _mm512_reduce_add_ps(acc[a][b]);
}

// VNNI: dpbusd multiplies unsigned by signed bytes, so queries come biased by +128 and the
// bias is removed exactly afterwards: dot(q + 128, x) - 128 * sum(x) = dot(q, x).
template <int QT, int XT>
inline void dot_tile_i8(const std::uint8_t* qb, const std::int8_t* x, const std::int32_t* x_sums,
                        std::size_t d, std::int32_t* out, std::size_t ldo) {
  __m512i acc[QT][XT];
  for (int a = 0; a < QT; ++a)
    for (int b = 0; b < XT; ++b) acc[a][b] = _mm512_setzero_si512();
  for (std::size_t k = 0; k < d; k += 64) {
    __mmask64 m = tail_mask64(d - k);
    __m512i xv[XT];
    for (int b = 0; b < XT; ++b) xv[b] = _mm512_maskz_loadu_epi8(m, x + b * d + k);
    for (int a = 0; a < QT; ++a) {
      __m512i qv = _mm512_maskz_loadu_epi8(m, qb + a * d + k);
      for (int b = 0; b < XT; ++b) acc[a][b] = _mm512_dpbusd_epi32(acc[a][b], qv, xv[b]);
    }
  }
  for (int a = 0; a < QT; ++a)
    for (int b = 0; b < XT; ++b) out[a * ldo + b] = _mm512_reduce_add_epi32(acc[a][b]) - 128 * x_sums[b];
}

}  // namespace

void dot_f32_block(const float* q, std::size_t nq, const float* x, std::size_t nx, std::size_t d,
                   float* out) {
  constexpr int QT = 4, XT = 4;
  std::size_t a = 0;
  for (; a + QT <= nq; a += QT) {
    std::size_t b = 0;
    for (; b + XT <= nx; b += XT) dot_tile_f32<QT, XT>(q + a * d, x + b * d, d, out + a * nx + b, nx);
    for (; b < nx; ++b) dot_tile_f32<QT, 1>(q + a * d, x + b * d, d, out + a * nx + b, nx);
  }
  for (; a < nq; ++a) {
    std::size_t b = 0;
    for (; b + XT <= nx; b += XT) dot_tile_f32<1, XT>(q + a * d, x + b * d, d, out + a * nx + b, nx);
    for (; b < nx; ++b) dot_tile_f32<1, 1>(q + a * d, x + b * d, d, out + a * nx + b, nx);
  }
}

void dot_i8_block(const std::int8_t* q, const std::uint8_t* q_biased, std::size_t nq, const std::int8_t* x,
                  const std::int32_t* x_sums, std::size_t nx, std::size_t d, std::int32_t* out) {
  (void)q;
  constexpr int QT = 4, XT = 4;
  std::size_t a = 0;
  for (; a + QT <= nq; a += QT) {
    std::size_t b = 0;
    for (; b + XT <= nx; b += XT)
      dot_tile_i8<QT, XT>(q_biased + a * d, x + b * d, x_sums + b, d, out + a * nx + b, nx);
    for (; b < nx; ++b) dot_tile_i8<QT, 1>(q_biased + a * d, x + b * d, x_sums + b, d, out + a * nx + b, nx);
  }
  for (; a < nq; ++a) {
    std::size_t b = 0;
    for (; b + XT <= nx; b += XT)
      dot_tile_i8<1, XT>(q_biased + a * d, x + b * d, x_sums + b, d, out + a * nx + b, nx);
    for (; b < nx; ++b) dot_tile_i8<1, 1>(q_biased + a * d, x + b * d, x_sums + b, d, out + a * nx + b, nx);
  }
}

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

}  // namespace hafs::simd::avx512
