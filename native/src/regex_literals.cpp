#include "regex_literals.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>

namespace hafs {
namespace {

constexpr std::size_t kMaxStrings = 32;   // larger literal sets make the SIMD prefilter slow
constexpr std::size_t kMaxLength = 64;
constexpr int kUnbounded = std::numeric_limits<int>::max();

// What one sub-expression tells about its matches. exact: it matches exactly the strings in
// `set`. Not exact: each match contains one of `set`; an empty set means nothing is known.
struct Info {
  bool exact = false;
  std::vector<std::string> set;
};

Info unknown() { return {}; }
Info empty_string() { return {true, {""}}; }
Info single(std::string s) { return {true, {std::move(s)}}; }

bool has_empty(const std::vector<std::string>& v) {
  return std::any_of(v.begin(), v.end(), [](const std::string& s) { return s.empty(); });
}

// The strings usable as a "must contain one of" requirement; empty when there are none.
std::vector<std::string> requirement(const Info& info) {
  if (has_empty(info.set)) return {};
  return info.set;
}

// Longer shortest literal first (fewer false candidates), then fewer alternatives.
bool better(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.empty()) return false;
  if (b.empty()) return true;
  auto shortest = [](const std::vector<std::string>& v) {
    std::size_t m = kMaxLength + 1;
    for (const auto& s : v) m = std::min(m, s.size());
    return m;
  };
  std::size_t sa = shortest(a), sb = shortest(b);
  if (sa != sb) return sa > sb;
  return a.size() < b.size();
}

void dedupe(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

Info concat(const Info& a, const Info& b) {
  if (a.exact && b.exact && a.set.size() * b.set.size() <= kMaxStrings) {
    Info out{true, {}};
    bool fits = true;
    for (const auto& x : a.set)
      for (const auto& y : b.set) {
        if (x.size() + y.size() > kMaxLength) fits = false;
        out.set.push_back(x + y);
      }
    if (fits) {
      dedupe(out.set);
      return out;
    }
  }
  auto ra = requirement(a), rb = requirement(b);
  return {false, better(rb, ra) ? rb : ra};
}

Info alternate(const Info& a, const Info& b) {
  Info out;
  out.exact = a.exact && b.exact;
  if (out.exact) {
    out.set = a.set;
    out.set.insert(out.set.end(), b.set.begin(), b.set.end());
  } else {
    auto ra = requirement(a), rb = requirement(b);
    if (ra.empty() || rb.empty()) return unknown();
    out.set = ra;
    out.set.insert(out.set.end(), rb.begin(), rb.end());
  }
  dedupe(out.set);
  if (out.set.size() > kMaxStrings) return unknown();
  return out;
}

Info repeat(const Info& x, int min, int max) {
  if (min == 0) {
    if (max == 1 && x.exact) return alternate(x, empty_string());  // colou?r -> {color, colour}
    return unknown();
  }
  if (x.exact && min == max && min <= 3) {
    Info out = x;
    for (int i = 1; i < min; ++i) out = concat(out, x);
    return out;
  }
  return {false, requirement(x)};  // at least one copy of x is in every match
}

bool is_ascii_alnum(unsigned char c) { return c < 128 && std::isalnum(c); }
char ascii_lower(unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); }

class Parser {
 public:
  Parser(std::string_view pattern, bool caseless) : p_(pattern), caseless_(caseless) {}

  PatternAnalysis run() {
    PatternAnalysis out;
    if (p_.substr(0, 4) == "(?i)") {
      caseless_ = true;
      i_ = 4;
    }
    out.caseless = caseless_;
    Info info = alternation();
    if (failed_ || i_ != p_.size()) return out;
    out.understood = true;
    out.line_local = !non_local_;
    out.literals = requirement(info);
    out.exact = info.exact && !assertions_ && !out.literals.empty();
    return out;
  }

 private:
  bool at_end() const { return i_ >= p_.size(); }
  unsigned char peek(std::size_t ahead = 0) const {
    return i_ + ahead < p_.size() ? static_cast<unsigned char>(p_[i_ + ahead]) : 0;
  }
  // After "\p" or "\P": step over the property name ("L" or "{Greek}"); false if unclosed.
  bool skip_property_name() {
    if (peek() != '{') {
      ++i_;
      return true;
    }
    std::size_t close = p_.find('}', i_);
    if (close == std::string_view::npos) return false;
    i_ = close + 1;
    return true;
  }

  Info fail() {
    failed_ = true;
    return unknown();
  }

  Info alternation() {
    Info result = concatenation();
    while (!failed_ && !at_end() && peek() == '|') {
      ++i_;
      result = alternate(result, concatenation());
    }
    return result;
  }

  // Adjacent exact pieces are joined into one run of literals; a piece that is not exact ends
  // the run, and the best requirement among the runs and the other pieces wins.
  Info concatenation() {
    Info run = empty_string();
    std::vector<std::string> best;
    bool all_exact = true;
    auto close_run = [&] {
      auto req = requirement(run);
      if (better(req, best)) best = req;
      run = empty_string();
    };
    while (!failed_ && !at_end() && peek() != '|' && peek() != ')') {
      Info piece = quantified();
      if (piece.exact) {
        run = concat(run, piece);
        if (!run.exact) {  // grew too large to enumerate: keep what it requires, start over
          all_exact = false;
          if (better(run.set, best)) best = run.set;
          run = empty_string();
        }
        continue;
      }
      all_exact = false;
      if (!piece.set.empty() && piece_tail_.exact) {
        // x{m,} with exact x: the run continues into m copies of x, and the next run may
        // start with the last copy (e.g. "a+b" requires "ab").
        run = concat(run, piece_head_);
        close_run();
        run = piece_tail_;
      } else {
        close_run();
        if (better(piece.set, best)) best = piece.set;
      }
    }
    if (all_exact) return run;
    close_run();
    return {false, best};
  }

  Info quantified() {
    Info atom_info = atom();
    piece_tail_ = unknown();  // after atom(): a group's inner pieces must not leak out
    if (failed_) return atom_info;
    int min = 0, max = 0;
    if (!quantifier(min, max)) return atom_info;
    if (!at_end() && (peek() == '?' || peek() == '+')) ++i_;  // lazy / possessive: same strings
    if (!at_end() && (peek() == '*' || peek() == '+' || peek() == '?')) return fail();
    Info result = repeat(atom_info, min, max);
    if (!result.exact && atom_info.exact && min >= 1 && min <= 3 && !has_empty(atom_info.set)) {
      piece_head_ = repeat(atom_info, min, min);
      piece_tail_ = atom_info;
      if (!piece_head_.exact) piece_tail_ = unknown();
    }
    return result;
  }

  bool quantifier(int& min, int& max) {
    if (at_end()) return false;
    switch (peek()) {
      case '*': ++i_; min = 0; max = kUnbounded; return true;
      case '+': ++i_; min = 1; max = kUnbounded; return true;
      case '?': ++i_; min = 0; max = 1; return true;
      case '{': return braces(min, max);
      default: return false;
    }
  }

  // {n}, {n,}, {n,m}; anything else after '{' is a literal brace, as in PCRE2.
  bool braces(int& min, int& max) {
    std::size_t j = i_ + 1;
    auto number = [&](int& v) {
      std::size_t start = j;
      v = 0;
      while (j < p_.size() && std::isdigit(static_cast<unsigned char>(p_[j])) && j - start < 6)
        v = v * 10 + (p_[j++] - '0');
      return j > start;
    };
    if (!number(min)) return false;
    max = min;
    if (j < p_.size() && p_[j] == ',') {
      ++j;
      max = kUnbounded;
      int m = 0;
      if (number(m)) max = m;
    }
    if (j >= p_.size() || p_[j] != '}') return false;
    i_ = j + 1;
    return true;
  }

  Info literal_char(unsigned char c) {
    if (c == '\n' || c == '\r') return unknown();  // never inside a line as we split them
    return single(std::string(1, caseless_ ? ascii_lower(c) : static_cast<char>(c)));
  }

  Info atom() {
    unsigned char c = peek();
    switch (c) {
      case '(': return group();
      case '[': return char_class();
      case '.': ++i_; return unknown();
      case '^': ++i_; assertions_ = true; return empty_string();
      // A run over many lines sees "\r\n" where a single line ends (its '\r' removed), so
      // '$' can fail there although the line matches: such patterns are checked line by line.
      case '$': ++i_; assertions_ = true; non_local_ = true; return empty_string();
      case '\\': return escape();
      case '*': case '+': case '?': return fail();
      default: break;
    }
    if (c >= 0x80) return utf8_char();
    ++i_;
    return literal_char(c);
  }

  // A multi-byte UTF-8 character is one atom (a quantifier applies to all of it). Its case
  // variants are not ASCII, so a case-insensitive search learns nothing from it.
  Info utf8_char() {
    std::size_t start = i_++;
    while (!at_end() && (peek() & 0xC0) == 0x80) ++i_;
    if (caseless_) return unknown();
    return single(std::string(p_.substr(start, i_ - start)));
  }

  Info group() {
    ++i_;  // '('
    if (peek() == '?') {
      if (peek(1) == ':') {
        i_ += 2;
      } else if (peek(1) == 'P' && peek(2) == '<') {
        if (!skip_name(3, '>')) return fail();
      } else if (peek(1) == '<' && peek(2) != '=' && peek(2) != '!') {
        if (!skip_name(2, '>')) return fail();
      } else if (peek(1) == '\'') {
        if (!skip_name(2, '\'')) return fail();
      } else {
        return fail();  // lookaround, inline flags, atomic groups, comments, ...
      }
    } else if (peek() == '*') {
      return fail();  // (*VERB)
    }
    Info inner = alternation();
    if (failed_ || peek() != ')' || at_end()) return fail();
    ++i_;
    return inner;
  }

  bool skip_name(std::size_t offset, char close) {
    std::size_t j = i_ + offset;
    while (j < p_.size() && p_[j] != close) {
      if (!is_ascii_alnum(static_cast<unsigned char>(p_[j])) && p_[j] != '_') return false;
      ++j;
    }
    if (j >= p_.size()) return false;
    i_ = j + 1;
    return true;
  }

  Info char_class() {
    ++i_;  // '['
    bool negated = false, complex = false;
    if (peek() == '^') {
      negated = true;
      ++i_;
    }
    std::string chars;
    bool first = true;
    while (!at_end() && (peek() != ']' || first)) {
      unsigned char c = peek();
      first = false;
      if (c == '[' && peek(1) == ':') {  // [:alpha:]
        std::size_t close = p_.find(":]", i_ + 2);
        if (close == std::string_view::npos) return fail();
        i_ = close + 2;
        complex = true;
      } else if (c == '\\') {
        if (i_ + 1 >= p_.size()) return fail();
        unsigned char e = peek(1);
        i_ += 2;
        if (is_ascii_alnum(e)) {
          complex = true;
          if (e == 'p' || e == 'P') {
            if (!skip_property_name()) return fail();
          } else if (e == 'x' || std::isdigit(e)) {
            return fail();  // hex/octal values: not worth modelling here
          }
        } else {
          chars.push_back(static_cast<char>(e));
        }
      } else if (c == '-' && !chars.empty() && peek(1) != ']') {
        complex = true;  // a range
        ++i_;
      } else {
        if (c >= 0x80) complex = true;
        chars.push_back(static_cast<char>(c));
        ++i_;
      }
    }
    if (at_end()) return fail();
    ++i_;  // ']'
    if (negated || complex || chars.empty() || chars.size() > 8) return unknown();
    Info out{true, {}};
    for (char ch : chars) {
      if (ch == '\n' || ch == '\r') return unknown();
      out.set.emplace_back(1, caseless_ ? ascii_lower(static_cast<unsigned char>(ch)) : ch);
    }
    dedupe(out.set);
    return out;
  }

  Info escape() {
    if (i_ + 1 >= p_.size()) return fail();  // a trailing backslash
    unsigned char e = peek(1);
    i_ += 2;
    switch (e) {
      case 'd': case 'D': case 'w': case 'W': case 's': case 'S': case 'h': case 'H':
      case 'v': case 'V': case 'N': case 'R': case 'X': case 'C':
        return unknown();
      case 'p': case 'P':
        if (!skip_property_name()) return fail();
        return unknown();
      case 'b': case 'B':
        assertions_ = true;
        return empty_string();
      case 'A': case 'z': case 'Z': case 'G': case 'K':
        assertions_ = true;
        non_local_ = true;
        return empty_string();
      case 'Q': return quoted();
      case 'E': return empty_string();
      case 't': return literal_char('\t');
      case 'f': return literal_char('\f');
      case 'e': return literal_char(0x1b);
      case 'a': return literal_char(0x07);
      case 'n': case 'r': return unknown();
      case 'x': return hex_escape();
      default: break;
    }
    if (e >= 0x80) return fail();  // an escaped multi-byte character: rare, not modelled
    if (is_ascii_alnum(e)) {  // back-references (\1, \g, \k), octal, unknown letters
      non_local_ = true;
      return fail();
    }
    return literal_char(e);
  }

  Info hex_escape() {
    int value = 0, digits = 0;
    while (digits < 2 && std::isxdigit(peek())) {
      unsigned char h = peek();
      value = value * 16 + (std::isdigit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
      ++digits;
      ++i_;
    }
    if (digits == 0 || value >= 0x80) return fail();
    return literal_char(static_cast<unsigned char>(value));
  }

  Info quoted() {
    std::size_t end = p_.find("\\E", i_);
    std::string_view text = p_.substr(i_, end == std::string_view::npos ? std::string_view::npos : end - i_);
    i_ = end == std::string_view::npos ? p_.size() : end + 2;
    Info out = empty_string();
    for (std::size_t k = 0; k < text.size();) {
      unsigned char c = static_cast<unsigned char>(text[k]);
      std::size_t len = 1;
      if (c >= 0x80)
        while (k + len < text.size() && (static_cast<unsigned char>(text[k + len]) & 0xC0) == 0x80) ++len;
      Info piece = c >= 0x80 ? (caseless_ ? unknown() : single(std::string(text.substr(k, len))))
                             : literal_char(c);
      out = concat(out, piece);
      k += len;
    }
    return out;
  }

  std::string_view p_;
  std::size_t i_ = 0;
  Info piece_head_, piece_tail_;  // for x{m,} with exact x: m copies of x, and x (see above)
  bool caseless_;
  bool failed_ = false;
  bool assertions_ = false;
  bool non_local_ = false;
};

}  // namespace

PatternAnalysis analyze_pattern(std::string_view pattern, bool caseless) {
  return Parser(pattern, caseless).run();
}

std::string escape_literal(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 2);
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x80 && !std::isalnum(c)) out.push_back('\\');
    out.push_back(ch);
  }
  return out;
}

}  // namespace hafs
