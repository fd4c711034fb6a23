// The x86 intrinsics for simd_avx2.cpp / simd_avx512.cpp: the compiler's own, or, when built
// with HAFS_SIMDE_X86 (tests only), SIMDe's portable versions under the same names, so the x86
// kernels' logic can run on a CPU without AVX2/AVX-512 (e.g. AArch64 under qemu).
#pragma once

#if defined(HAFS_SIMDE_X86)
#define SIMDE_ENABLE_NATIVE_ALIASES
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
#else
#include <immintrin.h>
#endif
