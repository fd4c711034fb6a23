#include "regex_engine.h"

#include <stdexcept>

#if defined(HAFS_HAVE_PCRE2)
#include <pcre2.h>
#endif

namespace hafs {

#if defined(HAFS_HAVE_PCRE2)

namespace {

std::string error_text(int code) {
  PCRE2_UCHAR buffer[256];
  int n = pcre2_get_error_message(code, buffer, sizeof buffer);
  return n > 0 ? std::string(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(n))
               : "error " + std::to_string(code);
}

constexpr std::size_t kJitStackMax = std::size_t{1} << 20;

}  // namespace

struct Regex::Code {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Code() { pcre2_code_free(code); }
};

Regex::Regex(std::string_view pattern, bool caseless) : code_(std::make_unique<Code>()) {
  pcre2_compile_context* ctx = pcre2_compile_context_create(nullptr);
  pcre2_set_newline(ctx, PCRE2_NEWLINE_LF);  // as grep: only '\n' ends a line, a lone '\r' is text
#if defined(PCRE2_EXTRA_CASELESS_RESTRICT)
  // Keeps case folding consistent with the ASCII prefilter (no Kelvin sign matching 'k').
  pcre2_set_compile_extra_options(ctx, PCRE2_EXTRA_CASELESS_RESTRICT);
#endif
  std::uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_MULTILINE;
  if (caseless) options |= PCRE2_CASELESS;
  int error = 0;
  PCRE2_SIZE offset = 0;
  code_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &error,
                              &offset, ctx);
  pcre2_compile_context_free(ctx);
  if (!code_->code)
    throw std::invalid_argument("invalid regular expression at offset " + std::to_string(offset) + ": " +
                                error_text(error));
  // JIT is unavailable on some platforms (or forbidden by SELinux): the interpreter still works.
  code_->jit = pcre2_jit_compile(code_->code, PCRE2_JIT_COMPLETE) == 0;
}

Regex::~Regex() = default;

bool Regex::available() { return true; }

std::string Regex::engine_version() {
  char buffer[64] = {0};
  pcre2_config(PCRE2_CONFIG_VERSION, buffer);
  std::uint32_t jit = 0;
  pcre2_config(PCRE2_CONFIG_JIT, &jit);
  return std::string("PCRE2 ") + buffer + (jit ? " (JIT)" : " (no JIT)");
}

struct Regex::Matcher::State {
  pcre2_match_data* data = nullptr;
  pcre2_match_context* context = nullptr;
  pcre2_jit_stack* stack = nullptr;
  ~State() {
    pcre2_match_data_free(data);
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(stack);
  }
};

Regex::Matcher::Matcher(const Regex& regex) : regex_(regex), state_(std::make_unique<State>()) {
  state_->data = pcre2_match_data_create_from_pattern(regex.code_->code, nullptr);
  state_->context = pcre2_match_context_create(nullptr);
  if (!state_->data || !state_->context) throw std::bad_alloc();
  if (regex.code_->jit) {
    state_->stack = pcre2_jit_stack_create(32 * 1024, kJitStackMax, nullptr);
    if (state_->stack) pcre2_jit_stack_assign(state_->context, nullptr, state_->stack);
  }
}

Regex::Matcher::~Matcher() = default;

bool Regex::Matcher::find(const std::uint8_t* subject, std::size_t length, std::size_t start,
                          std::size_t& match_begin, std::size_t& match_end) {
  int rc = regex_.code_->jit
               ? pcre2_jit_match(regex_.code_->code, subject, length, start, 0, state_->data, state_->context)
               : pcre2_match(regex_.code_->code, subject, length, start, 0, state_->data, state_->context);
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) throw std::runtime_error("regular expression search gave up: " + error_text(rc));
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(state_->data);
  match_begin = ovector[0];
  match_end = ovector[1];
  // \K can report a match ending before it starts; treat it as empty at the end.
  if (match_end < match_begin) match_begin = match_end;
  return true;
}

#else  // built without PCRE2

struct Regex::Code {};
struct Regex::Matcher::State {};

Regex::Regex(std::string_view, bool) {
  throw std::invalid_argument(
      "regular expressions are not available: studio._native was built without PCRE2 "
      "(literal search still works; reinstall with the pcre2 wheel or libpcre2-dev present)");
}
Regex::~Regex() = default;
bool Regex::available() { return false; }
std::string Regex::engine_version() { return "none"; }
Regex::Matcher::Matcher(const Regex& regex) : regex_(regex) {}
Regex::Matcher::~Matcher() = default;
bool Regex::Matcher::find(const std::uint8_t*, std::size_t, std::size_t, std::size_t&, std::size_t&) {
  return false;
}

#endif

}  // namespace hafs
