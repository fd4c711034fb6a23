#include "line_search.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "byte_scan.h"
#include "parallel.h"

namespace hafs {
namespace {

// Work is done chunk by chunk so that counting newlines between hits re-reads bytes that are
// still in L2 cache instead of going back to memory.
constexpr std::size_t kChunk = std::size_t{1} << 18;
constexpr std::size_t kMinPart = std::size_t{1} << 22;

// Position of the first '\n' at or after `from` in [from, end), or end.
std::size_t line_end(const std::uint8_t* data, std::size_t from, std::size_t end) {
  if (from >= end) return end;
  const void* hit = std::memchr(data + from, '\n', end - from);
  return hit ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(hit) - data) : end;
}

// Start of the line holding `pos`, not looking before `floor` (a known line start).
std::size_t line_start(const std::uint8_t* data, std::size_t pos, std::size_t floor) {
  while (pos > floor && data[pos - 1] != '\n') --pos;
  return pos;
}

// Length of the line [begin, end) without one trailing '\r'.
std::size_t content_length(const std::uint8_t* data, std::size_t begin, std::size_t end) {
  return end > begin && data[end - 1] == '\r' ? end - begin - 1 : end - begin;
}

}  // namespace

LineSearcher::LineSearcher(std::string pattern, bool is_regex, bool ignore_case) {
  if (!is_regex) {
    if (pattern.empty()) {
      mode_ = Mode::all_lines;
      return;
    }
    if (pattern.find('\n') != std::string::npos) {
      mode_ = Mode::no_lines;  // lines never contain '\n'
      return;
    }
    bool ascii = std::all_of(pattern.begin(), pattern.end(), [](char c) { return (c & 0x80) == 0; });
    if (!ignore_case || ascii) {
      // The literal alone decides: no regex engine, any bytes (also invalid UTF-8) allowed.
      if (ignore_case)
        for (auto& c : pattern) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
      analysis_.understood = analysis_.exact = analysis_.line_local = true;
      analysis_.caseless = ignore_case;
      analysis_.literals = {pattern};
      finder_ = std::make_unique<LiteralFinder>(analysis_.literals, ignore_case);
      mode_ = Mode::literals;
      return;
    }
    pattern = escape_literal(pattern);  // Unicode case folding needs the regex engine
  }
  analysis_ = analyze_pattern(pattern, ignore_case);
  // Literal searches skip the regex engine entirely when the literal decides (so they also
  // work in a build without PCRE2, and on patterns that are not valid UTF-8).
  if (is_regex || !analysis_.exact) regex_ = std::make_unique<Regex>(pattern, ignore_case);
  if (!analysis_.literals.empty())
    finder_ = std::make_unique<LiteralFinder>(analysis_.literals, analysis_.caseless);
  if (analysis_.exact) mode_ = Mode::literals;
  else if (finder_) mode_ = Mode::prefiltered;
  else if (analysis_.line_local) mode_ = Mode::scan;
  else mode_ = Mode::per_line;
}

const char* LineSearcher::strategy() const {
  switch (mode_) {
    case Mode::no_lines: return "no-lines";
    case Mode::all_lines: return "all-lines";
    case Mode::literals: return "literal";
    case Mode::prefiltered: return "prefilter+regex";
    case Mode::scan: return "regex-scan";
    case Mode::per_line: return "regex-per-line";
  }
  return "?";
}

LineSearcher::PartResult LineSearcher::scan_part(const std::uint8_t* data, std::size_t begin,
                                                 std::size_t end, bool count_only) const {
  PartResult result;
  auto record = [&](std::int64_t line) {
    ++result.matches;
    if (!count_only) result.lines.push_back(line);
  };
  std::unique_ptr<Regex::Matcher> matcher;
  if (regex_) matcher = std::make_unique<Regex::Matcher>(*regex_);
  auto line_matches = [&](std::size_t ls, std::size_t le) {
    std::size_t mb = 0, me = 0;
    return matcher->find(data + ls, content_length(data, ls, le), 0, mb, me);
  };
  // First hit starting in [pos, limit), or kNotFound. The literal may run past limit but not past end.
  auto candidate = [&](std::size_t pos, std::size_t limit, std::size_t* length) -> std::size_t {
    if (mode_ != Mode::scan) return finder_->find(data, pos, limit, end, length);
    std::size_t mb = 0, me = 0;
    return matcher->find(data + pos, limit - pos, 0, mb, me) ? pos + mb : simd::kNotFound;
  };

  std::size_t pos = begin;   // always a line start
  std::int64_t line = 0;     // newlines in [begin, pos)
  auto next_line = [&](std::size_t le) {
    if (le < end) {
      ++line;
      pos = le + 1;
    } else {
      pos = end;
    }
  };
  while (pos < end) {
    std::size_t chunk_end = std::min(pos + kChunk, end);
    if (chunk_end < end) chunk_end = std::min(line_end(data, chunk_end - 1, end) + 1, end);
    if (mode_ == Mode::all_lines || mode_ == Mode::per_line) {
      while (pos < chunk_end) {
        std::size_t le = line_end(data, pos, end);
        if (mode_ == Mode::all_lines || line_matches(pos, le)) record(line);
        next_line(le);
      }
      continue;
    }
    while (pos < chunk_end) {
      std::size_t hit_length = 0;
      std::size_t hit = candidate(pos, chunk_end, &hit_length);
      if (hit == simd::kNotFound) break;
      std::size_t ls = line_start(data, hit, pos);
      if (!count_only) line += static_cast<std::int64_t>(count_byte(data + pos, ls - pos, '\n'));
      std::size_t le = line_end(data, hit, end);
      // A literal hit must end before a trailing '\r', which is not part of the line.
      bool match = mode_ == Mode::literals ? hit + hit_length <= ls + content_length(data, ls, le)
                                           : line_matches(ls, le);
      if (match) record(line);
      next_line(le);
    }
    if (pos < chunk_end) {
      if (!count_only) line += static_cast<std::int64_t>(count_byte(data + pos, chunk_end - pos, '\n'));
      pos = chunk_end;
    }
  }
  result.newlines = line;
  return result;
}

std::vector<LineSearcher::PartResult> LineSearcher::scan_parts(const std::uint8_t* data, std::size_t n,
                                                               int threads, bool count_only) const {
  std::size_t parts = std::clamp<std::size_t>(n / kMinPart, 1, static_cast<std::size_t>(resolve_threads(threads)));
  std::vector<std::size_t> bounds(parts + 1, n);
  bounds[0] = 0;
  for (std::size_t k = 1; k < parts; ++k)
    bounds[k] = std::max(bounds[k - 1], std::min(line_end(data, n * k / parts, n) + 1, n));
  std::vector<PartResult> results(parts);
  parallel_for(parts, threads,
               [&](std::size_t p) { results[p] = scan_part(data, bounds[p], bounds[p + 1], count_only); });
  return results;
}

std::int64_t LineSearcher::count_matching_lines(const std::uint8_t* data, std::size_t n, int threads) const {
  if (n == 0 || mode_ == Mode::no_lines) return 0;
  std::int64_t total = 0;
  for (const auto& r : scan_parts(data, n, threads, true)) total += r.matches;
  return total;
}

PodBuffer<std::int64_t> LineSearcher::matching_lines(const std::uint8_t* data, std::size_t n,
                                                     int threads) const {
  if (n == 0 || mode_ == Mode::no_lines) return {};
  std::vector<PartResult> results = scan_parts(data, n, threads, false);
  PodBuffer<std::int64_t> out;
  std::size_t total = 0;
  for (const auto& r : results) total += r.lines.size();
  out.reserve(total);
  std::int64_t offset = 0;
  for (const auto& r : results) {
    std::int64_t* dst = out.spare(r.lines.size());
    for (std::size_t i = 0; i < r.lines.size(); ++i) dst[i] = r.lines[i] + offset;
    out.commit(r.lines.size());
    offset += r.newlines;
  }
  return out;
}

LineSearcher::Spans LineSearcher::spans(const std::uint8_t* data, std::size_t n, const std::int64_t* begins,
                                        const std::int64_t* ends, std::size_t count) const {
  Spans out;
  if (mode_ == Mode::no_lines) return out;
  std::unique_ptr<Regex::Matcher> matcher;
  if (regex_ && mode_ != Mode::literals) matcher = std::make_unique<Regex::Matcher>(*regex_);
  for (std::size_t i = 0; i < count; ++i) {
    if (begins[i] < 0 || ends[i] < begins[i] || static_cast<std::size_t>(ends[i]) > n)
      throw std::invalid_argument("line " + std::to_string(i) + " has an invalid byte range [" +
                                  std::to_string(begins[i]) + ", " + std::to_string(ends[i]) + ")");
    std::size_t ls = static_cast<std::size_t>(begins[i]);
    std::size_t len = content_length(data, ls, static_cast<std::size_t>(ends[i]));
    auto add = [&](std::size_t b, std::size_t e) {
      out.which.push_back(static_cast<std::int64_t>(i));
      out.begin.push_back(static_cast<std::int64_t>(ls + b));
      out.end.push_back(static_cast<std::int64_t>(ls + e));
    };
    if (mode_ == Mode::all_lines) continue;  // an empty pattern highlights nothing
    std::size_t start = 0;
    while (start <= len) {
      std::size_t mb = 0, me = 0, found_len = 0;
      if (matcher) {
        if (!matcher->find(data + ls, len, start, mb, me)) break;
      } else {
        mb = finder_->find(data + ls, start, len, len, &found_len);
        if (mb == simd::kNotFound) break;
        me = mb + found_len;
      }
      add(mb, me);
      start = me > mb ? me : me + 1;
      while (start < len && (data[ls + start] & 0xC0) == 0x80) ++start;  // next UTF-8 character
    }
  }
  return out;
}

}  // namespace hafs
