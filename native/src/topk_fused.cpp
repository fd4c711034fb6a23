#include "topk_fused.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "cpu_features.h"
#include "parallel.h"
#include "simd_kernels.h"
#include "topk_list.h"

#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#define HAFS_TOPK_NEON 1
#endif

#include "simd_topk.h"

namespace hafs {
namespace {

#if defined(HAFS_TOPK_NEON)
// NEON (every AArch64 CPU): 4 float lanes, fused multiply-add like the x86 kernels.
struct F32x4 {
  using reg = float32x4_t;
  static constexpr int width = 4;
  static reg zero() { return vdupq_n_f32(0.0f); }
  static reg load(const float* p) { return vld1q_f32(p); }
  static reg bcast(const float* p) { return vld1q_dup_f32(p); }
  static reg fma(reg a, reg b, reg c) { return vfmaq_f32(c, a, b); }
  static void store(float* p, reg v) { vst1q_f32(p, v); }
  // s < t is false when s >= t or either is NaN: those lanes may enter.
  static unsigned may_enter(reg s, reg t) { return vmaxvq_u32(vmvnq_u32(vcltq_f32(s, t))); }
  static void prefetch(const char* p) { __builtin_prefetch(p); }
};
using PortableF32 = F32x4;
constexpr int kPortableMV = 4, kPortableNR = 6;  // 24 of 32 q-registers accumulate
#else
// Plain C++ (x86 without AVX2, other CPUs): 4 lanes in an array the compiler vectorises.
// Multiply and add are rounded separately here (no FMA instruction is assumed), so scores may
// differ from the fused paths in the last bits.
struct F32Lanes {
  struct reg {
    float v[4];
  };
  static constexpr int width = 4;
  static reg zero() { return reg{{0, 0, 0, 0}}; }
  static reg load(const float* p) {
    reg r;
    std::memcpy(r.v, p, sizeof r.v);
    return r;
  }
  static reg bcast(const float* p) { return reg{{*p, *p, *p, *p}}; }
  static reg fma(reg a, reg b, reg c) {
    for (int i = 0; i < 4; ++i) c.v[i] += a.v[i] * b.v[i];
    return c;
  }
  static void store(float* p, reg v) { std::memcpy(p, v.v, sizeof v.v); }
  static unsigned may_enter(reg s, reg t) {
    unsigned any = 0;
    for (int i = 0; i < 4; ++i) any |= !(s.v[i] < t.v[i]);
    return any;
  }
  static void prefetch(const char*) {}
};
using PortableF32 = F32Lanes;
constexpr int kPortableMV = 4, kPortableNR = 4;
#endif

constexpr std::size_t kPortableLanes = static_cast<std::size_t>(kPortableMV) * PortableF32::width;

// Portable int8: one dimension per 32-bit lane, exact int32 products and sums.
struct I32Lanes {
  struct reg {
    std::int32_t v[4];
  };
  struct freg {
    float v[4];
  };
  static constexpr int width = 4;
  static reg zero() { return reg{{0, 0, 0, 0}}; }
  static reg load(const std::int32_t* p) {
    reg r;
    std::memcpy(r.v, p, sizeof r.v);
    return r;
  }
  static reg bcast(const std::int32_t* p) { return reg{{*p, *p, *p, *p}}; }
  static reg madd(reg acc, reg q, reg x) {
    for (int i = 0; i < 4; ++i) acc.v[i] += q.v[i] * x.v[i];
    return acc;
  }
  static reg sub(reg a, reg b) {
    for (int i = 0; i < 4; ++i) a.v[i] -= b.v[i];
    return a;
  }
  static void store(std::int32_t* p, reg v) { std::memcpy(p, v.v, sizeof v.v); }
  static unsigned may_enter(reg s, reg t) {
    unsigned any = 0;
    for (int i = 0; i < 4; ++i) any |= s.v[i] >= t.v[i];
    return any;
  }
  static freg fload(const float* p) {
    freg r;
    std::memcpy(r.v, p, sizeof r.v);
    return r;
  }
  static freg fbcast(const float* p) { return freg{{*p, *p, *p, *p}}; }
  static freg scale(reg dot, freg s) {
    freg r;
    for (int i = 0; i < 4; ++i) r.v[i] = static_cast<float>(dot.v[i]) * s.v[i];
    return r;
  }
  static unsigned fmay_enter(freg s, freg t) {
    unsigned any = 0;
    for (int i = 0; i < 4; ++i) any |= !(s.v[i] < t.v[i]);
    return any;
  }
  static void fstore(float* p, freg v) { std::memcpy(p, v.v, sizeof v.v); }
};
constexpr int kPortableI8MV = 4, kPortableI8NR = 4;

// Packs `count` rows, one sign-extended value per word: out[(panel * d + k) * width + i].
void pack_words(const std::int8_t* src, std::size_t count, std::size_t d, std::size_t width, std::int32_t* out) {
  const std::size_t padded = (count + width - 1) / width * width;
  for (std::size_t i = 0; i < padded; ++i)
    for (std::size_t k = 0; k < d; ++k)
      out[((i / width) * d + k) * width + i % width] = i < count ? src[i * d + k] : 0;
}

struct I8Kernel {
  simd::I8Layout layout;
  void (*pack_queries)(const std::int8_t*, std::size_t, std::size_t, std::int32_t*);
  void (*pack_rows)(const std::int8_t*, std::size_t, std::size_t, std::int32_t*);
  void (*scan)(const std::int32_t*, std::size_t, const std::int32_t*, std::size_t, std::size_t, std::size_t,
               const std::int32_t*, const float*, const simd::TopkSink*);
};

I8Kernel i8_kernel() {
#if defined(HAFS_X86_DISPATCH)
  switch (simd_level()) {
    case SimdLevel::avx512:
      return {simd::avx512::topk_i8_layout(), simd::avx512::pack_queries_i8, simd::avx512::pack_rows_i8,
              simd::avx512::topk_scan_i8};
    case SimdLevel::avx2:
      return {simd::avx2::topk_i8_layout(), simd::avx2::pack_queries_i8, simd::avx2::pack_rows_i8,
              simd::avx2::topk_scan_i8};
    default: break;
  }
#endif
  constexpr std::size_t lanes = static_cast<std::size_t>(kPortableI8MV) * I32Lanes::width;
  return {{lanes, kPortableI8NR, 1, false},
          [](const std::int8_t* q, std::size_t count, std::size_t d, std::int32_t* out) {
            pack_words(q, count, d, lanes, out);
          },
          [](const std::int8_t* x, std::size_t rows, std::size_t d, std::int32_t* out) {
            pack_words(x, rows, d, kPortableI8NR, out);
          },
          [](const std::int32_t* qp, std::size_t ln, const std::int32_t* xp, std::size_t rows, std::size_t groups,
             std::size_t r0, const std::int32_t* bias, const float* scales, const simd::TopkSink* sink) {
            simd::scan_i8<I32Lanes, kPortableI8MV, kPortableI8NR>(qp, ln, xp, rows, groups, r0, bias, scales, sink);
          }};
}

void scan_portable(const float* qpack, std::size_t lanes, const float* x, std::size_t r0, std::size_t r1,
                   std::size_t d, const simd::TopkSink* sink) {
  simd::scan_f32<PortableF32, kPortableMV, kPortableNR>(qpack, lanes, x, r0, r1, d, sink);
}

using ScanFn = void (*)(const float*, std::size_t, const float*, std::size_t, std::size_t, std::size_t,
                        const simd::TopkSink*);
struct ScanKernel {
  std::size_t lanes;  // queries per packed panel
  ScanFn scan;
  const char* name;
};

ScanKernel scan_kernel() {
#if defined(HAFS_X86_DISPATCH)
  switch (simd_level()) {
    case SimdLevel::avx512: return {simd::avx512::kTopkF32Lanes, simd::avx512::topk_scan_f32, "avx512 32x12"};
    case SimdLevel::avx2: return {simd::avx2::kTopkF32Lanes, simd::avx2::topk_scan_f32, "avx2 16x6"};
    default: break;
  }
#endif
#if defined(HAFS_TOPK_NEON)
  return {kPortableLanes, scan_portable, "neon 16x6"};
#else
  return {kPortableLanes, scan_portable, "portable 16x4"};
#endif
}

// Query block sizes: a block's packed panels (lanes x d floats) stay in L2 while row panels
// stream past; row chunks stay in L3 while every block visits them.
constexpr std::size_t kBlockBytes = 192 * 1024;
constexpr std::size_t kChunkBytes = 2 * 1024 * 1024;
constexpr std::size_t kMinRowsPerTask = 1024;

// Packs queries [q0, q0 + count) into panels of `lanes`, k-major; missing lanes are zero.
void pack_block(const float* queries, std::size_t q0, std::size_t count, std::size_t d, std::size_t lanes,
                float* out) {
  const std::size_t padded = (count + lanes - 1) / lanes * lanes;
  for (std::size_t p = 0; p < padded; p += lanes) {
    float* panel = out + p * d;
    for (std::size_t i = 0; i < lanes; ++i) {
      const std::size_t q = p + i;
      if (q < count) {
        const float* src = queries + (q0 + q) * d;
        for (std::size_t k = 0; k < d; ++k) panel[k * lanes + i] = src[k];
      } else {
        for (std::size_t k = 0; k < d; ++k) panel[k * lanes + i] = 0.0f;
      }
    }
  }
}

// The sink of one task's scan: the lists of one query block and their thresholds.
template <class S>
struct BlockLists {
  TopK<S>* lists;     // one per real query of the block
  S* thresholds;      // one per packed lane
  std::size_t count;  // real queries
};

// Threshold of a list that is not full: every score may enter (NaN compares unordered).
template <class S>
S open_threshold() {
  if constexpr (std::is_floating_point_v<S>) return std::numeric_limits<S>::quiet_NaN();
  return std::numeric_limits<S>::min();
}

template <class S>
void offer_tile(void* ctx, const S* tile, std::size_t lanes, std::size_t lane0, std::size_t r0, std::size_t rows) {
  auto* block = static_cast<BlockLists<S>*>(ctx);
  for (std::size_t i = 0; i < lanes && lane0 + i < block->count; ++i) {
    TopK<S>& list = block->lists[lane0 + i];
    for (std::size_t j = 0; j < rows; ++j) {
      const S s = tile[j * lanes + i];
      if (list.admits(s)) list.offer(s, static_cast<std::int64_t>(r0 + j));
    }
    // Open until full, and open while the last entry is NaN: every score may still enter.
    bool open = !list.full();
    if constexpr (std::is_floating_point_v<S>) open = open || std::isnan(list.threshold());
    block->thresholds[lane0 + i] = open ? open_threshold<S>() : list.threshold();
  }
}

// Row ranges for the tasks: enough to balance the threads. Any split gives the same result (the
// lists use a total order and every score is computed the same way in every tile).
std::size_t task_count(std::size_t n, int threads) {
  const std::size_t workers = static_cast<std::size_t>(resolve_threads(threads));
  const std::size_t max_tasks = std::max<std::size_t>(1, n / kMinRowsPerTask);
  return std::min(max_tasks, workers == 1 ? std::size_t{1} : 8 * workers);
}

// Per task: fresh lists for every query and thresholds per packed lane (padding lanes closed).
template <class S>
struct TaskLists {
  std::vector<TopK<S>> lists;
  std::vector<S> thresholds;
  TaskLists(std::size_t nq, std::size_t lanes_total, std::size_t k)
      : lists(nq, TopK<S>(k)), thresholds(lanes_total, std::numeric_limits<S>::max()) {
    std::fill(thresholds.begin(), thresholds.begin() + static_cast<std::ptrdiff_t>(nq), open_threshold<S>());
  }
};

}  // namespace

const char* topk_f32_kernel_name() { return scan_kernel().name; }

void topk_f32_fused(const float* queries, std::size_t nq, const float* rows, std::size_t n, std::size_t d,
                    std::size_t k, int threads, PodBuffer<std::int64_t>& indices, PodBuffer<float>& scores) {
  k = std::min(k, n);
  indices.resize(nq * k);
  scores.resize(nq * k);
  if (nq == 0 || k == 0) return;
  const ScanKernel kernel = scan_kernel();
  const std::size_t lanes = kernel.lanes;
  const std::size_t row_bytes = std::max<std::size_t>(d, 1) * sizeof(float);
  const std::size_t block = std::clamp(kBlockBytes / row_bytes / lanes * lanes, lanes, (nq + lanes - 1) / lanes * lanes);
  const std::size_t blocks = (nq + block - 1) / block;
  PodBuffer<float> packed(blocks * block * d);
  parallel_for(blocks, threads, [&](std::size_t b) {
    const std::size_t q0 = b * block;
    pack_block(queries, q0, std::min(block, nq - q0), d, lanes, packed.data() + q0 * d);
  });

  const std::size_t tasks = task_count(n, threads);
  const std::size_t per_task = (n + tasks - 1) / tasks;
  const std::size_t chunk = std::max<std::size_t>(64, kChunkBytes / row_bytes);
  std::vector<std::vector<TopK<float>>> partial(tasks);
  parallel_for(tasks, threads, [&](std::size_t t) {
    const std::size_t r_begin = std::min(n, t * per_task), r_end = std::min(n, (t + 1) * per_task);
    TaskLists<float> state(nq, blocks * block, k);
    for (std::size_t c0 = r_begin; c0 < r_end; c0 += chunk) {
      const std::size_t c1 = std::min(r_end, c0 + chunk);
      for (std::size_t b = 0; b < blocks; ++b) {
        const std::size_t q0 = b * block, count = std::min(block, nq - q0);
        BlockLists<float> ctx{state.lists.data() + q0, state.thresholds.data() + q0, count};
        const simd::TopkSink sink{state.thresholds.data() + q0, nullptr, &ctx, offer_tile<float>, nullptr};
        kernel.scan(packed.data() + q0 * d, (count + lanes - 1) / lanes * lanes, rows, c0, c1, d, &sink);
      }
    }
    partial[t] = std::move(state.lists);
  });
  merge_lists(partial, nq, k, indices.data(), scores.data());
}

namespace {

template <class S>
void topk_i8_fused(const std::int8_t* queries, std::size_t nq, const std::int8_t* rows, const float* row_scales,
                   std::size_t n, std::size_t d, std::size_t k, int threads, PodBuffer<std::int64_t>& indices,
                   PodBuffer<S>& scores) {
  k = std::min(k, n);
  indices.resize(nq * k);
  scores.resize(nq * k);
  if (nq == 0 || k == 0) return;
  const I8Kernel kernel = i8_kernel();
  const simd::I8Layout layout = kernel.layout;
  const std::size_t lanes = layout.lanes, groups = (d + layout.group - 1) / layout.group;
  const std::size_t word_bytes = std::max<std::size_t>(groups, 1) * 4;
  const std::size_t block = std::clamp(kBlockBytes / word_bytes / lanes * lanes, lanes, (nq + lanes - 1) / lanes * lanes);
  const std::size_t blocks = (nq + block - 1) / block;
  PodBuffer<std::int32_t> packed(blocks * block * groups);
  parallel_for(blocks, threads, [&](std::size_t b) {
    const std::size_t q0 = b * block;
    kernel.pack_queries(queries + q0 * d, std::min(block, nq - q0), d, packed.data() + q0 * groups);
  });
  const std::size_t tasks = task_count(n, threads);
  const std::size_t per_task = (n + tasks - 1) / tasks;
  // Rows are packed once per chunk (kept in L2/L3) and then visited by every query block.
  const std::size_t chunk = std::max<std::size_t>(1, kChunkBytes / 2 / word_bytes / layout.rows) * layout.rows;
  std::vector<std::vector<TopK<S>>> partial(tasks);
  parallel_for(tasks, threads, [&](std::size_t t) {
    const std::size_t r_begin = std::min(n, t * per_task), r_end = std::min(n, (t + 1) * per_task);
    TaskLists<S> state(nq, blocks * block, k);
    std::vector<std::int32_t> xpack(chunk * groups), bias(layout.biased ? chunk : 0);
    for (std::size_t c0 = r_begin; c0 < r_end; c0 += chunk) {
      const std::size_t c1 = std::min(r_end, c0 + chunk);
      kernel.pack_rows(rows + c0 * d, c1 - c0, d, xpack.data());
      for (std::size_t r = c0; r < c1 && layout.biased; ++r) {
        std::int32_t sum = 0;
        for (std::size_t j = 0; j < d; ++j) sum += rows[r * d + j];
        bias[r - c0] = 128 * sum;
      }
      for (std::size_t b = 0; b < blocks; ++b) {
        const std::size_t q0 = b * block, count = std::min(block, nq - q0);
        BlockLists<S> ctx{state.lists.data() + q0, state.thresholds.data() + q0, count};
        simd::TopkSink sink{nullptr, nullptr, &ctx, nullptr, nullptr};
        if constexpr (std::is_same_v<S, float>) {
          sink.thresholds = state.thresholds.data() + q0;
          sink.offer_f32 = offer_tile<float>;
        } else {
          sink.thresholds_i32 = state.thresholds.data() + q0;
          sink.offer_i32 = offer_tile<std::int32_t>;
        }
        kernel.scan(packed.data() + q0 * groups, (count + lanes - 1) / lanes * lanes, xpack.data(), c1 - c0, groups,
                    c0, layout.biased ? bias.data() : nullptr, row_scales ? row_scales + c0 : nullptr, &sink);
      }
    }
    partial[t] = std::move(state.lists);
  });
  merge_lists(partial, nq, k, indices.data(), scores.data());
}

}  // namespace

void topk_i8_fused(const std::int8_t* queries, std::size_t nq, const std::int8_t* rows, std::size_t n, std::size_t d,
                   std::size_t k, int threads, PodBuffer<std::int64_t>& indices, PodBuffer<std::int32_t>& scores) {
  topk_i8_fused<std::int32_t>(queries, nq, rows, nullptr, n, d, k, threads, indices, scores);
}

void topk_i8_rows_fused(const std::int8_t* queries, std::size_t nq, const std::int8_t* rows, const float* row_scales,
                        std::size_t n, std::size_t d, std::size_t k, int threads, PodBuffer<std::int64_t>& indices,
                        PodBuffer<float>& scores) {
  topk_i8_fused<float>(queries, nq, rows, row_scales, n, d, k, threads, indices, scores);
}

}  // namespace hafs
