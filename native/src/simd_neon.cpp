// NEON kernels for AArch64 (NEON is part of every AArch64 CPU: no runtime check needed).
// The float32 top-k's NEON tile lives in topk_fused.cpp (simd_topk.h traits).
#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>

#include "simd_kernels.h"

namespace hafs::simd::neon {

std::size_t find_probe(const std::uint8_t* data, std::size_t from, std::size_t limit, std::size_t size,
                       const ProbePair* probes, std::size_t n_probes) {
  std::size_t reach = 0;
  for (std::size_t p = 0; p < n_probes; ++p)
    reach = probes[p].off1 > reach ? probes[p].off1 : reach, reach = probes[p].off2 > reach ? probes[p].off2 : reach;
  std::size_t i = from;
  // 16 candidate starts at a time, while every probe's 16 bytes lie inside the data.
  for (; i + 16 <= limit && i + 16 + reach <= size; i += 16) {
    uint8x16_t hit = vdupq_n_u8(0);
    for (std::size_t p = 0; p < n_probes; ++p) {
      const ProbePair& pr = probes[p];
      uint8x16_t a = vorrq_u8(vld1q_u8(data + i + pr.off1), vdupq_n_u8(pr.fold1));
      uint8x16_t b = vorrq_u8(vld1q_u8(data + i + pr.off2), vdupq_n_u8(pr.fold2));
      hit = vorrq_u8(hit, vandq_u8(vceqq_u8(a, vdupq_n_u8(pr.byte1)), vceqq_u8(b, vdupq_n_u8(pr.byte2))));
    }
    if (vmaxvq_u8(hit) != 0) {
      std::uint8_t lanes[16];
      vst1q_u8(lanes, hit);
      for (std::size_t j = 0; j < 16; ++j)
        if (lanes[j]) return i + j;
    }
  }
  return find_probe_scalar(data, i, limit, size, probes, n_probes);
}

// fminnm/fmaxnm return the number when one operand is NaN: NaN is skipped, as required.
void min_max_f64(const double* y, std::size_t n, double* lo_out, double* hi_out) {
  const double inf = __builtin_inf();
  float64x2_t lo[4], hi[4];
  for (int k = 0; k < 4; ++k) lo[k] = vdupq_n_f64(inf), hi[k] = vdupq_n_f64(-inf);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 4; ++k) {
      float64x2_t v = vld1q_f64(y + i + 2 * k);
      lo[k] = vminnmq_f64(lo[k], v);
      hi[k] = vmaxnmq_f64(hi[k], v);
    }
  double l = vminnmvq_f64(vminnmq_f64(vminnmq_f64(lo[0], lo[1]), vminnmq_f64(lo[2], lo[3])));
  double h = vmaxnmvq_f64(vmaxnmq_f64(vmaxnmq_f64(hi[0], hi[1]), vmaxnmq_f64(hi[2], hi[3])));
  for (; i < n; ++i) {
    l = y[i] < l ? y[i] : l;
    h = y[i] > h ? y[i] : h;
  }
  *lo_out = l;
  *hi_out = h;
}

}  // namespace hafs::simd::neon
#endif
