// AVX2 (+FMA, BMI, POPCNT) kernels; entered only after cpu_features.cpp detected support.
// No standard-library templates here: see the note in simd_kernels.h.
#include "simd_x86.h"
#include <math.h>  // HUGE_VAL

#include "simd_kernels.h"
#include "simd_topk.h"
#include "lttb_lanes.h"

namespace hafs::simd::avx2 {
namespace {

inline float reduce_add(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 0x55));
  return _mm_cvtss_f32(s);
}

// Lanes [0, rem) loaded, the rest zero: the tail of a row whose length is not a multiple of 8.
inline __m256 load_tail(const float* p, std::size_t rem) {
  alignas(32) static const std::int32_t ramp[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  __m256i mask = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ramp + 8 - rem));
  return _mm256_maskload_ps(p, mask);
}

// QT x XT dot products with one 8-lane accumulator per pair. Every (query, row) pair gets the
// same sequence of operations whatever tile it lands in, so a score never depends on tiling.
template <int QT, int XT>
inline void dot_tile(const float* q, const float* x, std::size_t d, float* out, std::size_t ldo) {
  __m256 acc[QT][XT];
  for (int a = 0; a < QT; ++a)
    for (int b = 0; b < XT; ++b) acc[a][b] = _mm256_setzero_ps();
  std::size_t k = 0;
  for (; k + 8 <= d; k += 8) {
    __m256 xv[XT];
    for (int b = 0; b < XT; ++b) xv[b] = _mm256_loadu_ps(x + b * d + k);
    for (int a = 0; a < QT; ++a) {
      __m256 qv = _mm256_loadu_ps(q + a * d + k);
      for (int b = 0; b < XT; ++b) acc[a][b] = _mm256_fmadd_ps(qv, xv[b], acc[a][b]);
    }
  }
  if (k < d) {
    std::size_t rem = d - k;
    __m256 xv[XT];
    for (int b = 0; b < XT; ++b) xv[b] = load_tail(x + b * d + k, rem);
    for (int a = 0; a < QT; ++a) {
      __m256 qv = load_tail(q + a * d + k, rem);
      for (int b = 0; b < XT; ++b) acc[a][b] = _mm256_fmadd_ps(qv, xv[b], acc[a][b]);
    }
  }
  for (int a = 0; a < QT; ++a)
    for (int b = 0; b < XT; ++b) out[a * ldo + b] = reduce_add(acc[a][b]);
}

// Writes base + position of every set bit of m to out and returns how many. Four slots are
// written unconditionally (a log line has about one newline per 64 bytes), so the usual case
// costs no unpredictable branch; out needs room for 4 more entries than it keeps, which the
// callers' buffers have (they hold one slot per input byte).
inline std::size_t flatten_bits(std::uint64_t m, std::int64_t base, std::int64_t* out) {
  std::size_t n = static_cast<std::size_t>(_mm_popcnt_u64(m));
  for (int k = 0; k < 4; ++k) {
    out[k] = base + static_cast<std::int64_t>(_tzcnt_u64(m));
    m = _blsr_u64(m);
  }
  for (std::size_t k = 4; k < n; ++k) {
    out[k] = base + static_cast<std::int64_t>(_tzcnt_u64(m));
    m = _blsr_u64(m);
  }
  return n;
}

}  // namespace

std::size_t count_byte(const std::uint8_t* data, std::size_t n, std::uint8_t byte) {
  const __m256i needle = _mm256_set1_epi8(static_cast<char>(byte));
  std::size_t i = 0, total = 0;
  // Per-lane byte counters (each compare adds -1), flushed with SAD before they can overflow.
  while (i + 32 <= n) {
    __m256i counters = _mm256_setzero_si256();
    std::size_t stop = n - i >= 32 * 255 ? i + 32 * 255 : i + ((n - i) / 32) * 32;
    for (; i < stop; i += 32) {
      __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i));
      counters = _mm256_sub_epi8(counters, _mm256_cmpeq_epi8(v, needle));
    }
    __m256i sums = _mm256_sad_epu8(counters, _mm256_setzero_si256());
    total += static_cast<std::size_t>(_mm256_extract_epi64(sums, 0) + _mm256_extract_epi64(sums, 1) +
                                      _mm256_extract_epi64(sums, 2) + _mm256_extract_epi64(sums, 3));
  }
  for (; i < n; ++i) total += data[i] == byte;
  return total;
}

std::size_t byte_positions(const std::uint8_t* data, std::size_t n, std::uint8_t byte,
                           std::int64_t base, std::int64_t* out) {
  const __m256i needle = _mm256_set1_epi8(static_cast<char>(byte));
  std::size_t i = 0, count = 0;
  for (; i + 64 <= n; i += 64) {
    __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i));
    __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i + 32));
    std::uint64_t m = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, needle))) |
                      (static_cast<std::uint64_t>(static_cast<std::uint32_t>(
                           _mm256_movemask_epi8(_mm256_cmpeq_epi8(b, needle))))
                       << 32);
    count += flatten_bits(m, base + static_cast<std::int64_t>(i), out + count);
  }
  for (; i < n; ++i)
    if (data[i] == byte) out[count++] = base + static_cast<std::int64_t>(i);
  return count;
}

namespace {

// 64 candidate positions per step; N is known at compile time so the probe constants stay in
// registers and the loop is fully unrolled.
template <int N>
std::size_t find_probe_n(const std::uint8_t* data, std::size_t from, std::size_t limit, std::size_t size,
                         const ProbePair* probes) {
  __m256i b1[N], b2[N], f1[N], f2[N];
  std::size_t o1[N], o2[N], max_off = 0;
  for (int p = 0; p < N; ++p) {
    b1[p] = _mm256_set1_epi8(static_cast<char>(probes[p].byte1));
    b2[p] = _mm256_set1_epi8(static_cast<char>(probes[p].byte2));
    f1[p] = _mm256_set1_epi8(static_cast<char>(probes[p].fold1));
    f2[p] = _mm256_set1_epi8(static_cast<char>(probes[p].fold2));
    o1[p] = probes[p].off1;
    o2[p] = probes[p].off2;
    if (o2[p] > max_off) max_off = o2[p];
    if (o1[p] > max_off) max_off = o1[p];
  }
  auto hits32 = [&](const std::uint8_t* at) {
    std::uint32_t m = 0;
    for (int p = 0; p < N; ++p) {
      __m256i v1 = _mm256_or_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(at + o1[p])), f1[p]);
      __m256i v2 = _mm256_or_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(at + o2[p])), f2[p]);
      m |= static_cast<std::uint32_t>(
          _mm256_movemask_epi8(_mm256_and_si256(_mm256_cmpeq_epi8(v1, b1[p]), _mm256_cmpeq_epi8(v2, b2[p]))));
    }
    return m;
  };
  std::size_t i = from;
  for (; i < limit && i + 64 + max_off <= size; i += 64) {
    std::uint64_t m = hits32(data + i) | (static_cast<std::uint64_t>(hits32(data + i + 32)) << 32);
    if (limit - i < 64) m &= (std::uint64_t{1} << (limit - i)) - 1;
    if (m) return i + _tzcnt_u64(m);
  }
  return find_probe_scalar(data, i, limit, size, probes, N);
}

}  // namespace

std::size_t find_probe(const std::uint8_t* data, std::size_t from, std::size_t limit, std::size_t size,
                       const ProbePair* probes, std::size_t n_probes) {
  switch (n_probes) {
    case 1: return find_probe_n<1>(data, from, limit, size, probes);
    case 2: return find_probe_n<2>(data, from, limit, size, probes);
    case 3: return find_probe_n<3>(data, from, limit, size, probes);
    case 4: return find_probe_n<4>(data, from, limit, size, probes);
    default: break;
  }
  // Larger literal sets: blocks of 4 probes, the earliest hit wins.
  std::size_t best = kNotFound;
  for (std::size_t p = 0; p < n_probes; p += 4) {
    std::size_t stop = best == kNotFound ? limit : best;
    std::size_t k = n_probes - p < 4 ? n_probes - p : 4;
    std::size_t hit = k == 4   ? find_probe_n<4>(data, from, stop, size, probes + p)
                      : k == 3 ? find_probe_n<3>(data, from, stop, size, probes + p)
                      : k == 2 ? find_probe_n<2>(data, from, stop, size, probes + p)
                               : find_probe_n<1>(data, from, stop, size, probes + p);
    if (hit < best) best = hit;
  }
  return best;
}

void min_max_f64(const double* y, std::size_t n, double* lo_out, double* hi_out) {
  // min_pd(v, acc) returns acc when v is NaN (the second operand wins on unordered compares),
  // the same rule as the portable `v < lo ? v : lo`, so both paths agree exactly.
  const __m256d inf = _mm256_set1_pd(HUGE_VAL);
  const __m256d ninf = _mm256_set1_pd(-HUGE_VAL);
  __m256d lo[4] = {inf, inf, inf, inf}, hi[4] = {ninf, ninf, ninf, ninf};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 4; ++k) {
      __m256d v = _mm256_loadu_pd(y + i + 4 * k);
      lo[k] = _mm256_min_pd(v, lo[k]);
      hi[k] = _mm256_max_pd(v, hi[k]);
    }
  alignas(32) double l[4], h[4];
  _mm256_store_pd(l, _mm256_min_pd(_mm256_min_pd(lo[0], lo[1]), _mm256_min_pd(lo[2], lo[3])));
  _mm256_store_pd(h, _mm256_max_pd(_mm256_max_pd(hi[0], hi[1]), _mm256_max_pd(hi[2], hi[3])));
  double mn = l[0], mx = h[0];
  for (int k = 1; k < 4; ++k) {
    mn = l[k] < mn ? l[k] : mn;
    mx = h[k] > mx ? h[k] : mx;
  }
  for (; i < n; ++i) {
    mn = y[i] < mn ? y[i] : mn;
    mx = y[i] > mx ? y[i] : mx;
  }
  *lo_out = mn;
  *hi_out = mx;
}

void dot_f32_block(const float* q, std::size_t nq, const float* x, std::size_t nx, std::size_t d,
                   float* out) {
  constexpr int QT = 4, XT = 3;
  std::size_t a = 0;
  for (; a + QT <= nq; a += QT) {
    std::size_t b = 0;
    for (; b + XT <= nx; b += XT) dot_tile<QT, XT>(q + a * d, x + b * d, d, out + a * nx + b, nx);
    for (; b < nx; ++b) dot_tile<QT, 1>(q + a * d, x + b * d, d, out + a * nx + b, nx);
  }
  for (; a < nq; ++a) {
    std::size_t b = 0;
    for (; b + XT <= nx; b += XT) dot_tile<1, XT>(q + a * d, x + b * d, d, out + a * nx + b, nx);
    for (; b < nx; ++b) dot_tile<1, 1>(q + a * d, x + b * d, d, out + a * nx + b, nx);
  }
}

void minhash_update(const std::uint64_t* hashes, std::size_t n, const std::uint32_t* mul, const std::uint32_t* add,
                    std::size_t num_perm, std::uint32_t* sig) {
  std::size_t j = 0;
  // Blocks of 4 vectors of permutations stay in registers across all of a text's shingles.
  for (; j + 4 * 8 <= num_perm; j += 4 * 8) {
    __m256i m[4], a[4], s[4];
    for (int v = 0; v < 4; ++v) {
      m[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mul + j + v * 8));
      a[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(add + j + v * 8));
      s[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sig + j + v * 8));
    }
    for (std::size_t i = 0; i < n; ++i) {
      __m256i x = _mm256_set1_epi32(static_cast<int>(hashes[i] >> 32));
      for (int v = 0; v < 4; ++v) s[v] = _mm256_min_epu32(s[v], _mm256_add_epi32(_mm256_mullo_epi32(m[v], x), a[v]));
    }
    for (int v = 0; v < 4; ++v) _mm256_storeu_si256(reinterpret_cast<__m256i*>(sig + j + v * 8), s[v]);
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

// All-ones lanes where |v| < inf, i.e. v is neither infinite nor NaN.
inline __m256d finite_lanes(__m256d v) {
  const __m256d abs_mask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
  return _mm256_cmp_pd(_mm256_and_pd(v, abs_mask), _mm256_set1_pd(HUGE_VAL), _CMP_LT_OQ);
}

}  // namespace

void lttb_finite_bits(const double* x, const double* y, std::size_t n, std::uint64_t* words) {
  std::size_t w = 0;
  for (; (w + 1) * 64 <= n; ++w) {
    std::uint64_t bits = 0;
    for (int g = 0; g < 16; ++g) {
      const std::size_t i = w * 64 + static_cast<std::size_t>(g) * 4;
      __m256d ok = _mm256_and_pd(finite_lanes(_mm256_loadu_pd(x + i)), finite_lanes(_mm256_loadu_pd(y + i)));
      bits |= static_cast<std::uint64_t>(_mm256_movemask_pd(ok)) << (4 * g);
    }
    words[w] = bits;
  }
  if (w * 64 < n) {
    std::uint64_t bits = 0;
    for (std::size_t i = w * 64; i < n; ++i)
      bits |= static_cast<std::uint64_t>(lttb_finite(x[i]) && lttb_finite(y[i])) << (i - w * 64);
    words[w] = bits;
  }
}

void lttb_lane_sums(const double* x, const double* y, std::size_t i0, std::size_t i1, double* sx, double* sy) {
  __m256d ax = _mm256_loadu_pd(sx), ay = _mm256_loadu_pd(sy);
  std::size_t i = i0;
  for (; i + 4 <= i1; i += 4) {
    __m256d vx = _mm256_loadu_pd(x + i), vy = _mm256_loadu_pd(y + i);
    __m256d ok = _mm256_and_pd(finite_lanes(vx), finite_lanes(vy));
    ax = _mm256_add_pd(ax, _mm256_and_pd(vx, ok));  // + 0.0 for a skipped point
    ay = _mm256_add_pd(ay, _mm256_and_pd(vy, ok));
  }
  _mm256_storeu_pd(sx, ax);
  _mm256_storeu_pd(sy, ay);
  for (; i < i1; ++i) {
    const bool ok = lttb_finite(x[i]) && lttb_finite(y[i]);
    sx[(i - i0) & 3] += ok ? x[i] : 0.0;
    sy[(i - i0) & 3] += ok ? y[i] : 0.0;
  }
}

std::size_t lttb_argmax(const double* x, const double* y, std::size_t i0, std::size_t i1, const double* c) {
  const __m256d ax = _mm256_set1_pd(c[0]), ay = _mm256_set1_pd(c[1]);
  const __m256d dx = _mm256_set1_pd(c[0] - c[2]), dy = _mm256_set1_pd(c[3] - c[1]);
  const __m256d abs_mask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
  __m256d best = _mm256_set1_pd(-1.0);
  __m256i at = _mm256_set1_epi64x(static_cast<long long>(i0));
  __m256i pos = _mm256_add_epi64(at, _mm256_setr_epi64x(0, 1, 2, 3));
  const __m256i step = _mm256_set1_epi64x(4);
  std::size_t i = i0;
  for (; i + 4 <= i1; i += 4) {
    __m256d vx = _mm256_loadu_pd(x + i), vy = _mm256_loadu_pd(y + i);
    // (ax - avg_x) * (y - ay) - (ax - x) * (avg_y - ay), the same roundings as the scalar code.
    __m256d area = _mm256_sub_pd(_mm256_mul_pd(dx, _mm256_sub_pd(vy, ay)), _mm256_mul_pd(_mm256_sub_pd(ax, vx), dy));
    area = _mm256_and_pd(area, abs_mask);
    __m256d take = _mm256_and_pd(_mm256_cmp_pd(area, best, _CMP_GT_OQ),
                                 _mm256_and_pd(finite_lanes(vx), finite_lanes(vy)));
    best = _mm256_blendv_pd(best, area, take);
    at = _mm256_castpd_si256(_mm256_blendv_pd(_mm256_castsi256_pd(at), _mm256_castsi256_pd(pos), take));
    pos = _mm256_add_epi64(pos, step);
  }
  alignas(32) double lane_best[4];
  alignas(32) std::uint64_t lane_at[4];
  _mm256_store_pd(lane_best, best);
  _mm256_store_si256(reinterpret_cast<__m256i*>(lane_at), at);
  std::size_t lane_pos[4] = {lane_at[0], lane_at[1], lane_at[2], lane_at[3]};
  lttb_lanes_update(x, y, i0, i, i1, c, lane_best, lane_pos);
  return lttb_lanes_pick(lane_best, lane_pos, i0);
}

namespace {

// Vector traits of the fused top-k scan (simd_topk.h): 8 float lanes.
struct F32x8 {
  using reg = __m256;
  static constexpr int width = 8;
  static reg zero() { return _mm256_setzero_ps(); }
  static reg load(const float* p) { return _mm256_loadu_ps(p); }
  static reg bcast(const float* p) { return _mm256_broadcast_ss(p); }
  static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
  static void store(float* p, reg v) { _mm256_storeu_ps(p, v); }
  // Non-zero when a lane is >= its threshold or unordered (NaN on either side).
  static unsigned may_enter(reg s, reg t) { return static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(s, t, _CMP_NLT_UQ))); }
  static void prefetch(const char* p) { _mm_prefetch(p, _MM_HINT_T0); }
};

}  // namespace

// 2 x 8 query lanes x 6 rows: 12 accumulators + 2 query registers + 1 broadcast of 16 ymm.
void topk_scan_f32(const float* qpack, std::size_t lanes, const float* x, std::size_t r0, std::size_t r1,
                   std::size_t d, const TopkSink* sink) {
  static_assert(kTopkF32Lanes == 2 * F32x8::width, "packing width");
  scan_f32<F32x8, 2, 6>(qpack, lanes, x, r0, r1, d, sink);
}

namespace {

// int8 traits: vpmaddwd on int16 pairs (int8 widened when packed), exact int32 sums.
struct I32x8 {
  using reg = __m256i;
  using freg = __m256;
  static constexpr int width = 8;
  static reg zero() { return _mm256_setzero_si256(); }
  static reg load(const std::int32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static reg bcast(const std::int32_t* p) { return _mm256_set1_epi32(*p); }
  static reg madd(reg acc, reg q, reg x) { return _mm256_add_epi32(acc, _mm256_madd_epi16(q, x)); }
  static reg sub(reg a, reg b) { return _mm256_sub_epi32(a, b); }
  static void store(std::int32_t* p, reg v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
  static unsigned may_enter(reg s, reg t) {  // s >= t, i.e. not t > s
    return ~static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(t, s)))) & 0xffu;
  }
  static freg fload(const float* p) { return _mm256_loadu_ps(p); }
  static freg fbcast(const float* p) { return _mm256_broadcast_ss(p); }
  static freg scale(reg dot, freg s) { return _mm256_mul_ps(_mm256_cvtepi32_ps(dot), s); }
  static unsigned fmay_enter(freg s, freg t) { return F32x8::may_enter(s, t); }
  static void fstore(float* p, freg v) { _mm256_storeu_ps(p, v); }
};

constexpr int kI8MV = 2, kI8NR = 6;

inline std::int32_t pair16(std::int8_t lo, std::int8_t hi) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint16_t>(static_cast<std::int16_t>(lo))) |
                                   (static_cast<std::uint32_t>(static_cast<std::uint16_t>(static_cast<std::int16_t>(hi))) << 16));
}

// Packs `count` rows of d int8 values as int16 pairs: out[(panel * groups + g) * width + i].
void pack_pairs(const std::int8_t* src, std::size_t count, std::size_t d, std::size_t width, std::int32_t* out) {
  const std::size_t groups = (d + 1) / 2, padded = (count + width - 1) / width * width;
  for (std::size_t i = 0; i < padded; ++i) {
    std::int32_t* panel = out + (i / width) * groups * width;
    const std::size_t lane = i % width;
    for (std::size_t g = 0; g < groups; ++g) {
      std::int8_t lo = 0, hi = 0;
      if (i < count) {
        lo = src[i * d + 2 * g];
        hi = 2 * g + 1 < d ? src[i * d + 2 * g + 1] : 0;
      }
      panel[g * width + lane] = pair16(lo, hi);
    }
  }
}

}  // namespace

I8Layout topk_i8_layout() { return {kI8MV * I32x8::width, kI8NR, 2, false}; }

void pack_queries_i8(const std::int8_t* q, std::size_t count, std::size_t d, std::int32_t* out) {
  pack_pairs(q, count, d, kI8MV * I32x8::width, out);
}

void pack_rows_i8(const std::int8_t* x, std::size_t rows, std::size_t d, std::int32_t* out) {
  pack_pairs(x, rows, d, kI8NR, out);
}

void topk_scan_i8(const std::int32_t* qpack, std::size_t lanes, const std::int32_t* xpack, std::size_t rows,
                  std::size_t groups, std::size_t r0, const std::int32_t* bias, const float* scales,
                  const TopkSink* sink) {
  scan_i8<I32x8, kI8MV, kI8NR>(qpack, lanes, xpack, rows, groups, r0, bias, scales, sink);
}

}  // namespace hafs::simd::avx2
