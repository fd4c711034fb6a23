// The x86 intrinsics for simd_avx2.cpp / simd_avx512.cpp: the compiler's own, or, when built
// with HAFS_SIMDE_X86 (tests only), SIMDe's portable versions under the same names, so the x86
// kernels' logic can run on a CPU without AVX2/AVX-512 (e.g. AArch64 under qemu).
#pragma once

#if defined(HAFS_SIMDE_X86)
#define SIMDE_ENABLE_NATIVE_ALIASES
// Plain C for every intrinsic: SIMDe 0.7.4 maps e.g. _mm_min_pd to NEON's vminq_f64, which
// returns NaN for a NaN operand where x86's minpd returns the second operand.
#define SIMDE_NO_NATIVE
#include <simde/x86/avx512.h>
#include <simde/x86/fma.h>
#include <math.h>
#include <stdint.h>
// BMI and POPCNT, which SIMDe does not cover: the same results (tzcnt(0) = 64).
static inline unsigned long long hafs_tzcnt_u64(unsigned long long x) { return x ? __builtin_ctzll(x) : 64; }
#define _tzcnt_u64(x) hafs_tzcnt_u64(x)
#define _blsr_u64(x) ((x) & ((x) - 1))
#define _mm_popcnt_u64(x) __builtin_popcountll(x)
#ifndef _MM_HINT_T0
#define _MM_HINT_T0 SIMDE_MM_HINT_T0
#endif
// What SIMDe 0.7.4 lacks of what the kernels use, written element by element (tests only).
typedef simde__mmask8 __mmask8;
typedef simde__mmask16 __mmask16;
static inline simde__m512 hafs_maskz_loadu_ps(simde__mmask16 m, const void* p) {
  float lanes[16];
  for (int i = 0; i < 16; ++i) lanes[i] = ((m >> i) & 1) ? static_cast<const float*>(p)[i] : 0.0f;
  return simde_mm512_loadu_ps(lanes);
}
#define _mm512_maskz_loadu_ps(m, p) hafs_maskz_loadu_ps(m, p)
static inline void hafs_mask_storeu_ps(void* p, simde__mmask8 m, simde__m128 v) {
  float lanes[4];
  simde_mm_storeu_ps(lanes, v);
  for (int i = 0; i < 4; ++i)
    if ((m >> i) & 1) static_cast<float*>(p)[i] = lanes[i];
}
#define _mm_mask_storeu_ps(p, m, v) hafs_mask_storeu_ps(p, m, v)
#define _mm512_shuffle_f32x4(a, b, imm) \
  simde_mm512_castsi512_ps(simde_mm512_shuffle_i32x4(simde_mm512_castps_si512(a), simde_mm512_castps_si512(b), imm))
static inline simde__m512 hafs_cvtepi32_ps(simde__m512i v) {
  int32_t ints[16];
  float floats[16];
  simde_mm512_storeu_si512(ints, v);
  for (int i = 0; i < 16; ++i) floats[i] = static_cast<float>(ints[i]);
  return simde_mm512_loadu_ps(floats);
}
#define _mm512_cvtepi32_ps(v) hafs_cvtepi32_ps(v)
// Only the "not less than" predicate is used (simd_avx512.cpp).
static inline simde__mmask16 hafs_cmp_epi32_mask_nlt(simde__m512i a, simde__m512i b) {
  int32_t x[16], y[16];
  simde_mm512_storeu_si512(x, a);
  simde_mm512_storeu_si512(y, b);
  simde__mmask16 m = 0;
  for (int i = 0; i < 16; ++i) m = static_cast<simde__mmask16>(m | ((x[i] >= y[i] ? 1u : 0u) << i));
  return m;
}
#define _mm512_cmp_epi32_mask(a, b, imm) hafs_cmp_epi32_mask_nlt(a, b)
#else
#include <immintrin.h>
#endif
