// Literal prefilter extraction: which plain strings every match of a regex must contain.
//
// grep and ripgrep are fast because they scan raw bytes for such a literal with SIMD and run
// the regex engine only on lines that contain it. This is a small, conservative parser for the
// common subset of PCRE2 syntax; anything it does not understand yields "no prefilter", which
// is always correct (the regex then scans everything), never a wrong answer.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace hafs {

struct PatternAnalysis {
  // The parser understood the whole pattern; when false the fields below are their defaults.
  bool understood = false;
  // ASCII case-insensitive: from the caller's option or a leading (?i). Literals are lower-case.
  bool caseless = false;
  // A line matches exactly when it contains one of `literals`: no regex run is needed.
  bool exact = false;
  // The regex can be run over many lines at once and each hit re-checked on its own line
  // (false for '$', lookaround, \A, \z, \G, back-references: their result could differ).
  bool line_local = false;
  // Every match contains at least one of these (non-empty) strings; empty = no prefilter.
  std::vector<std::string> literals;
};

PatternAnalysis analyze_pattern(std::string_view pattern, bool caseless);

// The regex that matches `text` literally (every ASCII punctuation byte escaped).
std::string escape_literal(std::string_view text);

}  // namespace hafs
