#include "log_levels.h"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "parallel.h"
#include "text_common.h"

namespace hafs {
namespace {

constexpr std::size_t kMinPart = std::size_t{1} << 22;

std::uint8_t fold(std::uint8_t c, bool ignore_case) {
  return ignore_case && c >= 'A' && c <= 'Z' ? static_cast<std::uint8_t>(c + 32) : c;
}

bool is_word_byte(std::uint8_t c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
}

class TokenMatcher {
 public:
  TokenMatcher(const std::vector<LevelToken>& tokens, bool ignore_case) : ignore_case_(ignore_case) {
    for (std::size_t t = 0; t < tokens.size(); ++t) {
      if (tokens[t].text.empty()) throw std::invalid_argument("level tokens must not be empty");
      std::string folded;
      for (char ch : tokens[t].text) folded.push_back(static_cast<char>(fold(static_cast<std::uint8_t>(ch), ignore_case)));
      tokens_.push_back({folded, tokens[t].level});
      by_first_[static_cast<std::uint8_t>(folded[0])].push_back(t);
    }
    // Longer tokens first, so "ERRORS" is tried before "ERROR" at the same position.
    for (auto& list : by_first_)
      std::stable_sort(list.begin(), list.end(),
                       [&](std::size_t a, std::size_t b) { return tokens_[a].text.size() > tokens_[b].text.size(); });
    for (int c = 0; c < 256; ++c) {
      std::uint8_t f = fold(static_cast<std::uint8_t>(c), ignore_case);
      starts_[c] = !by_first_[f].empty();
    }
  }

  // Level of the leftmost whole-word token in line [b, e), or -1.
  int level(const std::uint8_t* data, std::size_t b, std::size_t e) const {
    for (std::size_t i = b; i < e; ++i) {
      if (!starts_[data[i]]) continue;
      if (i > b && is_word_byte(data[i - 1])) continue;
      for (std::size_t t : by_first_[fold(data[i], ignore_case_)]) {
        const std::string& text = tokens_[t].text;
        if (text.size() > e - i) continue;
        bool same = true;
        for (std::size_t k = 1; k < text.size() && same; ++k)
          same = fold(data[i + k], ignore_case_) == static_cast<std::uint8_t>(text[k]);
        if (!same) continue;
        std::size_t after = i + text.size();
        if (after < e && is_word_byte(data[after]) && is_word_byte(static_cast<std::uint8_t>(text.back()))) continue;
        return tokens_[t].level;
      }
    }
    return -1;
  }

 private:
  struct Folded {
    std::string text;
    std::uint8_t level;
  };
  bool ignore_case_;
  std::vector<Folded> tokens_;
  std::array<std::vector<std::size_t>, 256> by_first_;
  std::array<bool, 256> starts_{};
};

}  // namespace

PodBuffer<std::uint8_t> classify_levels(const std::uint8_t* data, std::size_t n,
                                        const std::vector<LevelToken>& tokens, const LevelOptions& options,
                                        int threads) {
  TokenMatcher matcher(tokens, options.ignore_case);
  std::size_t parts = std::clamp<std::size_t>(n / kMinPart, 1, static_cast<std::size_t>(resolve_threads(threads)));
  std::vector<std::size_t> bounds = line_aligned_bounds(data, n, parts);
  std::vector<PodBuffer<std::uint8_t>> found(parts);
  parallel_for(parts, threads, [&](std::size_t p) {
    for (std::size_t pos = bounds[p]; pos < bounds[p + 1];) {
      std::size_t le = find_newline(data, pos, bounds[p + 1]);
      int level = matcher.level(data, pos, std::min(le, pos + options.max_column));
      found[p].push_back(static_cast<std::uint8_t>(level < 0 ? 0 : level));
      // Inheritance is resolved after the merge: a part cannot see the previous part's level.
      if (level < 0 && options.inherit) found[p][found[p].size() - 1] = 0xFF;
      pos = le + 1;
    }
  });
  PodBuffer<std::uint8_t> out;
  for (auto& f : found) out.append(f.data(), f.size());
  if (options.inherit) {
    std::uint8_t previous = 0;
    for (auto& v : out) v = v == 0xFF ? previous : (previous = v);
  }
  return out;
}

}  // namespace hafs
