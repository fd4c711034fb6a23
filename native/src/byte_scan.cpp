#include "byte_scan.h"

#include <cstring>

#include "cpu_features.h"
#include "simd_kernels.h"

namespace hafs {

#if defined(HAFS_X86_DISPATCH)
// AVX-512 CPUs use the AVX2 versions: see simd_kernels.h.
#define HAFS_DISPATCH(call) \
  if (simd_level() != SimdLevel::scalar) return simd::avx2::call;
#else
#define HAFS_DISPATCH(call)
#endif

std::size_t count_byte(const std::uint8_t* data, std::size_t n, std::uint8_t byte) {
  HAFS_DISPATCH(count_byte(data, n, byte))
  std::size_t total = 0;
  for (std::size_t i = 0; i < n; ++i) total += data[i] == byte;  // auto-vectorised at -O3
  return total;
}

std::size_t byte_positions(const std::uint8_t* data, std::size_t n, std::uint8_t byte, std::int64_t base,
                           std::int64_t* out) {
  HAFS_DISPATCH(byte_positions(data, n, byte, base, out))
  std::size_t count = 0;
  const std::uint8_t* p = data;
  const std::uint8_t* end = data + n;
  while (p < end) {
    const void* hit = std::memchr(p, byte, static_cast<std::size_t>(end - p));
    if (!hit) break;
    p = static_cast<const std::uint8_t*>(hit);
    out[count++] = base + (p - data);
    ++p;
  }
  return count;
}

std::size_t find_probe(const std::uint8_t* data, std::size_t from, std::size_t limit, std::size_t size,
                       const simd::ProbePair* probes, std::size_t n_probes) {
  HAFS_DISPATCH(find_probe(data, from, limit, size, probes, n_probes))
#if defined(__aarch64__) && defined(__ARM_NEON) && !defined(HAFS_X86_DISPATCH)
  return simd::neon::find_probe(data, from, limit, size, probes, n_probes);
#endif
  return simd::find_probe_scalar(data, from, limit, size, probes, n_probes);
}

}  // namespace hafs
