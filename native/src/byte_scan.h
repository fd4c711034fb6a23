// Byte-scanning primitives with runtime SIMD dispatch (AVX-512, AVX2, portable fallback).
#pragma once
#include <cstddef>
#include <cstdint>

#include "simd_kernels.h"

namespace hafs {

std::size_t count_byte(const std::uint8_t* data, std::size_t n, std::uint8_t byte);
// Writes base+i for every data[i] == byte into out, which must have room for n + 4 entries (the
// SIMD versions write a few slots past the last hit); returns the count.
std::size_t byte_positions(const std::uint8_t* data, std::size_t n, std::uint8_t byte, std::int64_t base,
                           std::int64_t* out);
// First position i in [from, limit) where one of the probe pairs matches (see ProbePair), never
// reading at or past `size`; simd::kNotFound if none.
std::size_t find_probe(const std::uint8_t* data, std::size_t from, std::size_t limit, std::size_t size,
                       const simd::ProbePair* probes, std::size_t n_probes);

}  // namespace hafs
