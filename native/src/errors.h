// Exception types the bindings translate to specific Python exceptions.
#pragma once
#include <stdexcept>

namespace hafs {

// -> OSError (a file could not be opened or read).
struct OsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// -> ValueError is std::invalid_argument; RuntimeError is any other std::exception.

}  // namespace hafs
