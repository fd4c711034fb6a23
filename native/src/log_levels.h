// Kernel 3: a log level per line, from configurable level tokens.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "pod_buffer.h"

namespace hafs {

struct LevelToken {
  std::string text;    // e.g. "ERROR"
  std::uint8_t level;  // the code written for lines whose first token is this one
};

struct LevelOptions {
  bool ignore_case = false;
  // Only the first max_column bytes of a line are searched: level fields come first, and a
  // message saying "no error" further right must not make an INFO line an ERROR line.
  std::size_t max_column = 256;
  // Lines without a token take the previous line's level (stack-trace continuation lines).
  bool inherit = false;
};

// One code per line (same line convention as the line index): the level of the leftmost token
// found as a whole word (no ASCII letter, digit or '_' right before or after), 0 when none.
PodBuffer<std::uint8_t> classify_levels(const std::uint8_t* data, std::size_t n,
                                        const std::vector<LevelToken>& tokens, const LevelOptions& options,
                                        int threads);

}  // namespace hafs
