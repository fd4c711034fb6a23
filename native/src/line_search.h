// Kernel 2: which lines of a byte region match a literal or a regular expression.
//
// Lines are separated by '\n'; a final segment without '\n' is a line when it is not empty
// (the same convention as the line index). Before a regex sees a line, its '\n' and one
// trailing '\r' are removed, so "$" works on CRLF files. Line numbers start at 0.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "literal_finder.h"
#include "pod_buffer.h"
#include "regex_engine.h"
#include "regex_literals.h"

namespace hafs {

class LineSearcher {
 public:
  // Throws std::invalid_argument for an invalid regex (or any regex in a build without PCRE2).
  LineSearcher(std::string pattern, bool is_regex, bool ignore_case);

  // Ascending numbers of the lines of data[0, n) that match. Threads split the region at line
  // boundaries; the result does not depend on their number.
  PodBuffer<std::int64_t> matching_lines(const std::uint8_t* data, std::size_t n, int threads) const;

  // How many lines match (grep -c). Faster than matching_lines: no line numbers are needed, so
  // the bytes between hits are skipped instead of having their newlines counted.
  std::int64_t count_matching_lines(const std::uint8_t* data, std::size_t n, int threads) const;

  // Non-overlapping match spans in the given lines (for highlighting the visible ones).
  // Line i is data[begins[i], ends[i]), without its '\n'. Output spans are absolute byte offsets,
  // `which` holds i for each span.
  struct Spans {
    PodBuffer<std::int64_t> which, begin, end;
  };
  Spans spans(const std::uint8_t* data, std::size_t n, const std::int64_t* begins, const std::int64_t* ends,
              std::size_t count) const;

  // How lines are tested: "literal", "prefilter+regex", "regex-scan", "regex-per-line",
  // "all-lines" or "no-lines". Exposed for tests, benchmarks and the docs.
  const char* strategy() const;
  const PatternAnalysis& analysis() const { return analysis_; }

 private:
  enum class Mode { no_lines, all_lines, literals, prefiltered, scan, per_line };
  struct PartResult {
    PodBuffer<std::int64_t> lines;
    std::int64_t newlines = 0;  // not counted when count_only
    std::int64_t matches = 0;
  };
  PartResult scan_part(const std::uint8_t* data, std::size_t begin, std::size_t end,
                       bool count_only = false) const;
  std::vector<PartResult> scan_parts(const std::uint8_t* data, std::size_t n, int threads,
                                     bool count_only) const;

  Mode mode_ = Mode::no_lines;
  PatternAnalysis analysis_;
  std::unique_ptr<Regex> regex_;
  std::unique_ptr<LiteralFinder> finder_;
};

}  // namespace hafs
