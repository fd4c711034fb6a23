#include "topk_fused.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
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
struct BlockLists {
  TopK<float>* lists;       // one per real query of the block
  float* thresholds;        // one per packed lane
  std::size_t count;        // real queries
};

void offer_tile(void* ctx, const float* tile, std::size_t lanes, std::size_t lane0, std::size_t r0,
                std::size_t rows) {
  auto* block = static_cast<BlockLists*>(ctx);
  for (std::size_t i = 0; i < lanes && lane0 + i < block->count; ++i) {
    TopK<float>& list = block->lists[lane0 + i];
    for (std::size_t j = 0; j < rows; ++j) {
      const float s = tile[j * lanes + i];
      if (list.admits(s)) list.offer(s, static_cast<std::int64_t>(r0 + j));
    }
    // NaN until full, and NaN while the last entry is NaN: every score may still enter.
    block->thresholds[lane0 + i] =
        list.full() && !std::isnan(list.threshold()) ? list.threshold() : std::numeric_limits<float>::quiet_NaN();
  }
}

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

  // Row ranges: enough tasks to balance the threads. Any split gives the same result (the
  // lists use a total order and every score is computed the same way in every tile).
  const std::size_t workers = static_cast<std::size_t>(resolve_threads(threads));
  const std::size_t max_tasks = std::max<std::size_t>(1, n / kMinRowsPerTask);
  const std::size_t tasks = std::min(max_tasks, workers == 1 ? std::size_t{1} : 8 * workers);
  const std::size_t per_task = (n + tasks - 1) / tasks;
  const std::size_t chunk = std::max<std::size_t>(64, kChunkBytes / row_bytes);
  std::vector<std::vector<TopK<float>>> partial(tasks);
  parallel_for(tasks, threads, [&](std::size_t t) {
    const std::size_t r_begin = std::min(n, t * per_task), r_end = std::min(n, (t + 1) * per_task);
    std::vector<TopK<float>> lists(nq, TopK<float>(k));
    std::vector<float> thresholds(blocks * block, std::numeric_limits<float>::infinity());
    std::fill(thresholds.begin(), thresholds.begin() + static_cast<std::ptrdiff_t>(nq),
              std::numeric_limits<float>::quiet_NaN());
    for (std::size_t c0 = r_begin; c0 < r_end; c0 += chunk) {
      const std::size_t c1 = std::min(r_end, c0 + chunk);
      for (std::size_t b = 0; b < blocks; ++b) {
        const std::size_t q0 = b * block, count = std::min(block, nq - q0);
        BlockLists ctx{lists.data() + q0, thresholds.data() + q0, count};
        const simd::TopkSink sink{thresholds.data() + q0, &ctx, offer_tile};
        kernel.scan(packed.data() + q0 * d, (count + lanes - 1) / lanes * lanes, rows, c0, c1, d, &sink);
      }
    }
    partial[t] = std::move(lists);
  });
  merge_lists(partial, nq, k, indices.data(), scores.data());
}

}  // namespace hafs
