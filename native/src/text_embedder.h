// Kernel 8: a deterministic hashed n-gram text embedder (no model download).
#pragma once
#include <cstdint>

#include "minhash.h"
#include "pod_buffer.h"

namespace hafs {

struct EmbedderOptions {
  std::size_t dim = 384;
  std::size_t min_n = 3, max_n = 5;  // character n-gram lengths, in UTF-8 code points
  bool lowercase = true;             // ASCII letters only; other bytes are kept as they are
  std::uint64_t seed = 0x68616673;   // "hafs"
};

// n_texts x dim float32 rows. Every distinct n-gram feature f (a 32-bit hash) with count c
// contributes sign(f) * (1 + ln c) to bucket(f) (signed feature hashing with sublinear TF;
// counts saturate at 65535); rows are then L2-normalised (an empty text gives a zero row).
// Identical on every run, thread count and OS.
PodBuffer<float> embed_texts(const Texts& texts, const EmbedderOptions& options, int threads);

}  // namespace hafs
