// The fused float32 top-k scan, written once over a small vector-traits type and compiled by
// every instruction-set file (simd_avx2.cpp, simd_avx512.cpp, topk_fused.cpp for portable
// code and NEON) with its own traits. Include it only from those files: it uses no standard
// library template (see simd_kernels.h), and its anonymous namespace keeps each file's copy
// private, so an AVX-512 instantiation can never be linked into a non-AVX-512 caller.
//
// Structure (BLIS/OpenBLAS): queries are packed in panels of MR = MV x V::width lanes, k-major
// (all MR values of dimension 0, then of dimension 1, ...). The register tile holds MV x NR
// accumulators: MR queries (vector lanes) x NR corpus rows (one broadcast per row and
// dimension). The corpus is read in its natural row-major layout, so it is never copied. Each
// score is one sequential chain of fused multiply-adds over the dimensions, the same chain in
// whatever tile, panel or thread it lands: scores are bit-identical across tile shapes, thread
// counts and ISAs that fuse (AVX2+FMA, AVX-512, NEON). After a tile, its scores are compared
// with the per-query thresholds (the k-th best score so far) in registers; only a tile with a
// candidate is stored (to a 1.5 KB stack buffer) and handed to the sink. The score matrix is
// never written to memory.
#pragma once
#include <cstddef>

#include "simd_kernels.h"

namespace hafs::simd {
namespace {

// acc[a][j] = sum over dimensions of qp lanes (a, .) * x row j, one fused chain per lane.
template <class V, int MV, int R>
inline void score_tile_f32(const float* qp, const float* x, std::size_t d, typename V::reg (&acc)[MV][R]) {
  for (int a = 0; a < MV; ++a)
    for (int j = 0; j < R; ++j) acc[a][j] = V::zero();
  const float* rows[R];
  for (int j = 0; j < R; ++j) rows[j] = x + static_cast<std::size_t>(j) * d;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 4
#endif
  for (std::size_t k = 0; k < d; ++k) {
    typename V::reg q[MV];
    for (int a = 0; a < MV; ++a) q[a] = V::load(qp + (k * MV + static_cast<std::size_t>(a)) * V::width);
    for (int j = 0; j < R; ++j) {
      typename V::reg b = V::bcast(rows[j] + k);
      for (int a = 0; a < MV; ++a) acc[a][j] = V::fma(q[a], b, acc[a][j]);
    }
  }
}

// The epilogue: a tile goes to the sink only if some score may enter its query's list, i.e. is
// >= the threshold or unordered with it (thresholds are NaN while a list is not full).
template <class V, int MV, int R>
inline void offer_tile_f32(typename V::reg (&acc)[MV][R], const TopkSink* sink, std::size_t lane0, std::size_t r0,
                           float* buf) {
  constexpr int kLanes = MV * V::width;
  typename V::reg t[MV];
  for (int a = 0; a < MV; ++a) t[a] = V::load(sink->thresholds + lane0 + static_cast<std::size_t>(a) * V::width);
  unsigned any = 0;
  for (int j = 0; j < R; ++j)
    for (int a = 0; a < MV; ++a) any |= V::may_enter(acc[a][j], t[a]);
  if (any == 0) return;
  for (int j = 0; j < R; ++j)
    for (int a = 0; a < MV; ++a) V::store(buf + j * kLanes + a * V::width, acc[a][j]);
  sink->offer_f32(sink->ctx, buf, static_cast<std::size_t>(kLanes), lane0, r0, static_cast<std::size_t>(R));
}

template <class V, int MV, int R>
inline void rows_against_panels_f32(const float* qpack, std::size_t panels, const float* x, std::size_t r,
                                    std::size_t d, const TopkSink* sink, float* buf,
                                    const char* prefetch, std::size_t prefetch_bytes) {
  constexpr std::size_t kLanes = static_cast<std::size_t>(MV) * V::width;
  // Spread prefetches of the next row panel over this panel's tiles: it is in L1 when needed.
  const std::size_t per_tile = (prefetch_bytes / 64 + panels) / (panels ? panels : 1);
  for (std::size_t p = 0; p < panels; ++p) {
    for (std::size_t i = 0; i < per_tile; ++i) {
      std::size_t off = (p * per_tile + i) * 64;
      if (off < prefetch_bytes) V::prefetch(prefetch + off);
    }
    typename V::reg acc[MV][R];
    score_tile_f32<V, MV, R>(qpack + p * kLanes * d, x + r * d, d, acc);
    offer_tile_f32<V, MV, R>(acc, sink, p * kLanes, r, buf);
  }
}

// The last rows of a range (fewer than NR): the same chains with a smaller tile.
template <class V, int MV, int R>
inline void tail_rows_f32(std::size_t rem, const float* qpack, std::size_t panels, const float* x, std::size_t r,
                          std::size_t d, const TopkSink* sink, float* buf) {
  if constexpr (R > 0) {
    if (rem == R) return rows_against_panels_f32<V, MV, R>(qpack, panels, x, r, d, sink, buf, nullptr, 0);
    tail_rows_f32<V, MV, R - 1>(rem, qpack, panels, x, r, d, sink, buf);
  }
}

// Scores rows [r0, r1) of x (row-major, d floats each) against `lanes` packed queries (a
// multiple of MR) and hands every tile with a possible entry to the sink.
template <class V, int MV, int NR>
void scan_f32(const float* qpack, std::size_t lanes, const float* x, std::size_t r0, std::size_t r1, std::size_t d,
              const TopkSink* sink) {
  constexpr std::size_t kLanes = static_cast<std::size_t>(MV) * V::width;
  alignas(64) float buf[kLanes * NR];
  const std::size_t panels = lanes / kLanes;
  std::size_t r = r0;
  for (; r + NR <= r1; r += NR) {
    const std::size_t next_rows = r + 2 * NR <= r1 ? NR : r1 - r - NR;
    rows_against_panels_f32<V, MV, NR>(qpack, panels, x, r, d, sink, buf,
                                       reinterpret_cast<const char*>(x + (r + NR) * d), next_rows * d * sizeof(float));
  }
  tail_rows_f32<V, MV, NR - 1>(r1 - r, qpack, panels, x, r, d, sink, buf);
}

// ---- int8 ------------------------------------------------------------------------------------
// The same structure over integers. Queries and rows are packed in groups of V::group
// dimensions per 32-bit lane (2 int16 for AVX2's vpmaddwd, 4 bytes for AVX-512 VNNI's vpdpbusd,
// 1 for portable code); rows are packed per chunk in panels of NR rows, [group][row], zero
// beyond d. V::madd(acc, q, x) adds the group's products exactly in int32. VNNI's unsigned
// query bytes are biased by +128: bias[j] = 128 * sum(row j) is subtracted in the epilogue.
// Scores are either the int32 dot (thresholds_i32, offer_i32) or float32(dot) * scale[j]
// (per-row quantisation: thresholds, offer_f32), computed in registers either way.

template <class V, int MV, int NR>
inline void score_tile_i8(const std::int32_t* qp, const std::int32_t* xp, std::size_t groups,
                          typename V::reg (&acc)[MV][NR]) {
  for (int a = 0; a < MV; ++a)
    for (int j = 0; j < NR; ++j) acc[a][j] = V::zero();
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 4
#endif
  for (std::size_t g = 0; g < groups; ++g) {
    typename V::reg q[MV];
    for (int a = 0; a < MV; ++a) q[a] = V::load(qp + (g * MV + static_cast<std::size_t>(a)) * V::width);
    for (int j = 0; j < NR; ++j) {
      typename V::reg b = V::bcast(xp + g * NR + static_cast<std::size_t>(j));
      for (int a = 0; a < MV; ++a) acc[a][j] = V::madd(acc[a][j], q[a], b);
    }
  }
}

// Scans `rows` packed rows (panels of NR, the last one zero-padded; row i is r0 + i) against
// `lanes` packed queries. bias: per row of the chunk or null; scales: per row or null (then
// int32 scores).
template <class V, int MV, int NR>
void scan_i8(const std::int32_t* qpack, std::size_t lanes, const std::int32_t* xpack, std::size_t rows,
             std::size_t groups, std::size_t r0, const std::int32_t* bias, const float* scales,
             const TopkSink* sink) {
  constexpr std::size_t kLanes = static_cast<std::size_t>(MV) * V::width;
  alignas(64) std::int32_t buf[kLanes * NR];
  alignas(64) float fbuf[kLanes * NR];
  const std::size_t panels = lanes / kLanes;
  for (std::size_t r = 0; r < rows; r += NR) {
    const std::int32_t* xp = xpack + r * groups;
    const std::size_t valid = rows - r < NR ? rows - r : NR;
    for (std::size_t p = 0; p < panels; ++p) {
      typename V::reg acc[MV][NR];
      score_tile_i8<V, MV, NR>(qpack + p * kLanes * groups, xp, groups, acc);
      const std::size_t lane0 = p * kLanes;
      if (bias)
        for (int j = 0; j < NR; ++j) {
          const typename V::reg bj = V::bcast(bias + (r + static_cast<std::size_t>(j) < rows ? r + static_cast<std::size_t>(j) : r));
          for (int a = 0; a < MV; ++a) acc[a][j] = V::sub(acc[a][j], bj);
        }
      unsigned any = 0;
      if (scales) {
        typename V::freg t[MV], f[MV][NR];
        for (int a = 0; a < MV; ++a) t[a] = V::fload(sink->thresholds + lane0 + static_cast<std::size_t>(a) * V::width);
        for (int j = 0; j < NR; ++j) {
          const std::size_t row = r + static_cast<std::size_t>(j) < rows ? r + static_cast<std::size_t>(j) : r;
          const typename V::freg sj = V::fbcast(scales + row);
          for (int a = 0; a < MV; ++a) {
            f[a][j] = V::scale(acc[a][j], sj);
            any |= V::fmay_enter(f[a][j], t[a]);
          }
        }
        if (any == 0) continue;
        for (int j = 0; j < NR; ++j)
          for (int a = 0; a < MV; ++a) V::fstore(fbuf + j * kLanes + a * V::width, f[a][j]);
        sink->offer_f32(sink->ctx, fbuf, kLanes, lane0, r0 + r, valid);
      } else {
        typename V::reg t[MV];
        for (int a = 0; a < MV; ++a) t[a] = V::load(sink->thresholds_i32 + lane0 + static_cast<std::size_t>(a) * V::width);
        for (int j = 0; j < NR; ++j)
          for (int a = 0; a < MV; ++a) any |= V::may_enter(acc[a][j], t[a]);
        if (any == 0) continue;
        for (int j = 0; j < NR; ++j)
          for (int a = 0; a < MV; ++a) V::store(buf + j * kLanes + a * V::width, acc[a][j]);
        sink->offer_i32(sink->ctx, buf, kLanes, lane0, r0 + r, valid);
      }
    }
  }
}

}  // namespace
}  // namespace hafs::simd
