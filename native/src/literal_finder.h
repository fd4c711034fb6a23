// Finds where any of a small set of literals occurs in raw bytes (the search prefilter).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "simd_kernels.h"

namespace hafs {

class LiteralFinder {
 public:
  // caseless: ASCII letters compare case-insensitively; literals must then be lower-case.
  LiteralFinder(std::vector<std::string> literals, bool caseless);

  // Start of the first occurrence of any literal starting in [from, limit), the literal lying
  // within data[0, size); simd::kNotFound if none. length (if given) gets the literal's length.
  std::size_t find(const std::uint8_t* data, std::size_t from, std::size_t limit, std::size_t size,
                   std::size_t* length = nullptr) const;

  const std::vector<std::string>& literals() const { return literals_; }

 private:
  bool matches_at(const std::uint8_t* data, std::size_t pos, std::size_t size, const std::string& lit) const;

  std::vector<std::string> literals_;
  std::vector<simd::ProbePair> probes_;
  bool caseless_;
};

}  // namespace hafs
