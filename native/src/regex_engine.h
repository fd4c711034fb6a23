// PCRE2 (JIT-compiled where the platform allows) behind a small interface, so the search code
// does not depend on PCRE2's API and the module still builds without it (no regex then).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace hafs {

class Regex {
 public:
  // Throws std::invalid_argument with the engine's message and the offset of the error.
  // Options: UTF-8 (invalid UTF-8 in subjects is tolerated), caseless (ASCII letters only match
  // ASCII letters), multi-line anchors, '\n' as the only line end.
  Regex(std::string_view pattern, bool caseless);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  static bool available();
  static std::string engine_version();

  // Per-thread match state (match data and JIT stack); create one per worker.
  class Matcher {
   public:
    explicit Matcher(const Regex& regex);
    ~Matcher();
    Matcher(const Matcher&) = delete;
    Matcher& operator=(const Matcher&) = delete;
    // First match in subject[0, length) starting at or after `start`. Returns false when there
    // is none; throws std::runtime_error when the engine gives up (match or stack limits).
    bool find(const std::uint8_t* subject, std::size_t length, std::size_t start, std::size_t& match_begin,
              std::size_t& match_end);

   private:
    struct State;
    const Regex& regex_;
    std::unique_ptr<State> state_;
  };

 private:
  struct Code;
  std::unique_ptr<Code> code_;
};

}  // namespace hafs
