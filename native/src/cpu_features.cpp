#include "cpu_features.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#if defined(_MSC_VER) && defined(HAFS_X86_DISPATCH)
#include <immintrin.h>
#include <intrin.h>
#endif

namespace hafs {
namespace {

SimdLevel detect() {
#if defined(HAFS_SIMDE_X86)
  return SimdLevel::avx512;  // test builds: the x86 kernels run on SIMDe's portable intrinsics
#elif defined(HAFS_X86_DISPATCH) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  // AVX-512 kernels use F+BW+VL+DQ+VNNI; all present on Ice Lake / Zen 4 and later.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vnni"))
    return SimdLevel::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("bmi") && __builtin_cpu_supports("popcnt"))
    return SimdLevel::avx2;
  return SimdLevel::scalar;
#elif defined(HAFS_X86_DISPATCH) && defined(_MSC_VER)
  int info[4];
  __cpuid(info, 0);
  if (info[0] < 7) return SimdLevel::scalar;
  __cpuid(info, 1);
  bool osxsave = (info[2] >> 27) & 1, fma = (info[2] >> 12) & 1, popcnt = (info[2] >> 23) & 1;
  if (!osxsave) return SimdLevel::scalar;
  unsigned long long xcr0 = _xgetbv(0);
  __cpuidex(info, 7, 0);
  bool avx2 = (info[1] >> 5) & 1, bmi = (info[1] >> 3) & 1;
  bool f = (info[1] >> 16) & 1, dq = (info[1] >> 17) & 1, bw = (info[1] >> 30) & 1,
       vl = (info[1] >> 31) & 1, vnni = (info[2] >> 11) & 1;
  bool ymm_os = (xcr0 & 0x6) == 0x6, zmm_os = (xcr0 & 0xe6) == 0xe6;
  if (zmm_os && f && dq && bw && vl && vnni && fma) return SimdLevel::avx512;
  if (ymm_os && avx2 && fma && bmi && popcnt) return SimdLevel::avx2;
  return SimdLevel::scalar;
#else
  return SimdLevel::scalar;
#endif
}

SimdLevel env_cap() {
  const char* v = std::getenv("HAFS_NATIVE_SIMD");
  if (!v) return SimdLevel::avx512;
  if (std::strcmp(v, "scalar") == 0) return SimdLevel::scalar;
  if (std::strcmp(v, "avx2") == 0) return SimdLevel::avx2;
  return SimdLevel::avx512;
}

SimdLevel min_level(SimdLevel a, SimdLevel b) { return static_cast<int>(a) < static_cast<int>(b) ? a : b; }

std::atomic<int> g_cap{static_cast<int>(SimdLevel::avx512)};

SimdLevel supported_level() {
  static const SimdLevel level = min_level(detect(), env_cap());  // thread-safe, computed once
  return level;
}

}  // namespace

SimdLevel simd_level() {
  return min_level(supported_level(), static_cast<SimdLevel>(g_cap.load(std::memory_order_relaxed)));
}

void set_simd_cap(SimdLevel cap) { g_cap.store(static_cast<int>(cap), std::memory_order_relaxed); }

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::avx512: return "avx512";
    case SimdLevel::avx2: return "avx2";
    default: return "scalar";
  }
}

}  // namespace hafs
