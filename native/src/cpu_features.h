// Runtime CPU feature detection for the SIMD kernels in simd_avx2.cpp / simd_avx512.cpp.
#pragma once

namespace hafs {

enum class SimdLevel : int { scalar = 0, avx2 = 1, avx512 = 2 };

// Best level this CPU and build support, capped by set_simd_cap() and by the environment
// variable HAFS_NATIVE_SIMD=scalar|avx2|avx512 (read once; useful to test the fallbacks).
SimdLevel simd_level();
// Caps the level used from now on (avx512 = no cap); tests use it to compare code paths.
void set_simd_cap(SimdLevel cap);
const char* simd_level_name(SimdLevel level);

}  // namespace hafs
