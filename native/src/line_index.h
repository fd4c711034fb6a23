// Kernel 1: offsets of every '\n' in a byte region (a buffer or a file range).
#pragma once
#include <cstdint>
#include <string>

#include "pod_buffer.h"

namespace hafs {

// Absolute offsets (base + i) of every '\n' in data[0, n), ascending. Threads split the
// region into contiguous parts; the result does not depend on their number.
PodBuffer<std::int64_t> newline_offsets(const std::uint8_t* data, std::size_t n, std::int64_t base,
                                        int threads);

// Same for bytes [start, end) of a file read with positional reads (no mmap page faults);
// end < 0 means the end of the file. Offsets are absolute file offsets.
PodBuffer<std::int64_t> newline_offsets_file(const std::string& path, std::int64_t start, std::int64_t end,
                                             int threads);

}  // namespace hafs
