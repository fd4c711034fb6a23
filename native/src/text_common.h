// Small helpers shared by the text kernels: line splitting and hashing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace hafs {

// Position of the first '\n' in [from, end), or end.
inline std::size_t find_newline(const std::uint8_t* data, std::size_t from, std::size_t end) {
  if (from >= end) return end;
  const void* hit = std::memchr(data + from, '\n', end - from);
  return hit ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(hit) - data) : end;
}

// Splits [0, n) into at most `parts` ranges that start at line starts (for threads).
inline std::vector<std::size_t> line_aligned_bounds(const std::uint8_t* data, std::size_t n, std::size_t parts) {
  std::vector<std::size_t> bounds(parts + 1, n);
  bounds[0] = 0;
  for (std::size_t k = 1; k < parts; ++k) {
    std::size_t nl = find_newline(data, n * k / parts, n);
    bounds[k] = nl < n ? nl + 1 : n;
    if (bounds[k] < bounds[k - 1]) bounds[k] = bounds[k - 1];
  }
  return bounds;
}

// Final mixer of MurmurHash3 (a public-domain bit-mixing constant set): spreads every input
// bit over the whole 64-bit word.
inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// FNV-1a over bytes followed by mix64: fast for the short strings (shingles, n-grams) we hash.
inline std::uint64_t hash_bytes(const std::uint8_t* p, std::size_t n, std::uint64_t seed) {
  std::uint64_t h = 0xcbf29ce484222325ULL ^ seed;
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
  return mix64(h);
}

// Checks an offsets array for a concatenated text buffer: texts[i] = data[off[i], off[i+1]).
inline void check_text_offsets(const std::int64_t* offsets, std::size_t count, std::size_t data_size) {
  if (count == 0) throw std::invalid_argument("offsets must have at least one entry (n_texts + 1)");
  if (offsets[0] < 0) throw std::invalid_argument("offsets[0] must be >= 0");
  for (std::size_t i = 1; i < count; ++i)
    if (offsets[i] < offsets[i - 1])
      throw std::invalid_argument("offsets must be non-decreasing (offsets[" + std::to_string(i) + "])");
  if (static_cast<std::size_t>(offsets[count - 1]) > data_size)
    throw std::invalid_argument("offsets point past the end of the text buffer");
}

}  // namespace hafs
