#include "literal_finder.h"

#include <algorithm>

#include "byte_scan.h"

namespace hafs {
namespace {

bool is_ascii_letter(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

// Rough rarity of a byte in log text (higher = rarer): probing rare bytes gives fewer false
// candidates. Spaces, digits, lower-case letters and common punctuation are everywhere.
int rarity(unsigned char c, bool caseless) {
  if (c == ' ' || (c >= '0' && c <= '9')) return 0;
  if (c >= 'a' && c <= 'z') return caseless ? 1 : 2;
  if (c >= 'A' && c <= 'Z') return 3;
  if (c == '.' || c == ':' || c == '-' || c == '=' || c == '/' || c == '_' || c == ',') return 1;
  return 4;
}

simd::ProbePair make_probes(const std::string& lit, bool caseless) {
  // The two rarest positions; ties keep the outermost ones, which are least correlated.
  std::size_t n = lit.size(), best = 0, second = n - 1;
  auto score = [&](std::size_t i) { return rarity(static_cast<unsigned char>(lit[i]), caseless); };
  for (std::size_t i = 0; i < n; ++i)
    if (score(i) > score(best)) best = i;
  second = best == n - 1 ? 0 : n - 1;
  for (std::size_t i = n; i-- > 0;)
    if (i != best && score(i) > score(second)) second = i;
  if (n == 1) second = best;
  auto fold = [&](std::size_t i) -> std::uint8_t {
    return caseless && is_ascii_letter(static_cast<unsigned char>(lit[i])) ? 0x20 : 0;
  };
  std::size_t a = std::min(best, second), b = std::max(best, second);
  return {static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(b),
          static_cast<std::uint8_t>(lit[a] | fold(a)), static_cast<std::uint8_t>(lit[b] | fold(b)), fold(a),
          fold(b)};
}

}  // namespace

LiteralFinder::LiteralFinder(std::vector<std::string> literals, bool caseless)
    : literals_(std::move(literals)), caseless_(caseless) {
  for (const auto& lit : literals_)
    if (!lit.empty()) probes_.push_back(make_probes(lit, caseless_));
}

bool LiteralFinder::matches_at(const std::uint8_t* data, std::size_t pos, std::size_t size,
                               const std::string& lit) const {
  if (lit.size() > size - pos) return false;
  for (std::size_t k = 0; k < lit.size(); ++k) {
    unsigned char want = static_cast<unsigned char>(lit[k]), got = data[pos + k];
    if (caseless_ && is_ascii_letter(want)) got |= 0x20;
    if (got != want) return false;
  }
  return true;
}

std::size_t LiteralFinder::find(const std::uint8_t* data, std::size_t from, std::size_t limit, std::size_t size,
                                std::size_t* length) const {
  while (from < limit) {
    std::size_t pos = find_probe(data, from, limit, size, probes_.data(), probes_.size());
    if (pos == simd::kNotFound) return pos;
    // Leftmost position wins; among literals there, the first listed (as in a regex alternation).
    for (const auto& lit : literals_)
      if (matches_at(data, pos, size, lit)) {
        if (length) *length = lit.size();
        return pos;
      }
    from = pos + 1;
  }
  return simd::kNotFound;
}

}  // namespace hafs
