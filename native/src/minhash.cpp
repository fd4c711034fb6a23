#include "minhash.h"

#include <algorithm>
#include <stdexcept>

#include "cpu_features.h"
#include "parallel.h"
#include "simd_kernels.h"
#include "text_common.h"

namespace hafs {
namespace {

constexpr std::size_t kTextsPerTask = 256;

bool is_space(std::uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// 64-bit hashes of a text's shingles; sorted and unique when `as_set` (MinHash does not need
// it: a repeated shingle cannot change a minimum).
void shingle_hashes(const std::uint8_t* p, std::size_t n, const ShingleOptions& o, std::vector<std::size_t>& marks,
                    std::vector<std::uint64_t>& out, bool as_set) {
  out.clear();
  marks.clear();
  if (o.words) {
    // marks holds [start, end) byte ranges of words, flattened.
    for (std::size_t i = 0; i < n;) {
      while (i < n && is_space(p[i])) ++i;
      std::size_t b = i;
      while (i < n && !is_space(p[i])) ++i;
      if (i > b) {
        marks.push_back(b);
        marks.push_back(i);
      }
    }
    std::size_t words = marks.size() / 2;
    if (words == 0) return;
    std::size_t k = std::min(o.k, words);
    for (std::size_t w = 0; w + k <= words; ++w) {
      // Hash the words themselves, not the bytes between them: whitespace runs do not matter.
      std::uint64_t h = o.seed;
      for (std::size_t j = 0; j < k; ++j)
        h = mix64(h ^ hash_bytes(p + marks[2 * (w + j)], marks[2 * (w + j) + 1] - marks[2 * (w + j)], o.seed));
      out.push_back(h);
    }
  } else {
    for (std::size_t i = 0; i < n; ++i)
      if ((p[i] & 0xC0) != 0x80) marks.push_back(i);  // code point starts
    std::size_t chars = marks.size();
    if (chars == 0) return;
    marks.push_back(n);
    std::size_t k = std::min(o.k, chars);
    for (std::size_t c = 0; c + k <= chars; ++c) out.push_back(hash_bytes(p + marks[c], marks[c + k] - marks[c], o.seed));
  }
  if (as_set) {
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
}

struct Permutations {
  std::vector<std::uint32_t> mul, add;
  Permutations(std::size_t count, std::uint64_t seed) : mul(count), add(count) {
    std::uint64_t state = mix64(seed ^ 0x9e3779b97f4a7c15ULL);
    for (std::size_t i = 0; i < count; ++i) {
      state = mix64(state + 0x9e3779b97f4a7c15ULL);
      mul[i] = static_cast<std::uint32_t>(state) | 1u;  // odd: a bijection modulo 2^32
      add[i] = static_cast<std::uint32_t>(state >> 32);
    }
  }
};

void minhash_update(const std::uint64_t* hashes, std::size_t n, const std::uint32_t* mul, const std::uint32_t* add,
                    std::size_t num_perm, std::uint32_t* sig) {
#if defined(HAFS_X86_DISPATCH)
  switch (simd_level()) {
    case SimdLevel::avx512: return simd::avx512::minhash_update(hashes, n, mul, add, num_perm, sig);
    case SimdLevel::avx2: return simd::avx2::minhash_update(hashes, n, mul, add, num_perm, sig);
    default: break;
  }
#endif
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t x = static_cast<std::uint32_t>(hashes[i] >> 32);
    for (std::size_t j = 0; j < num_perm; ++j) {
      std::uint32_t v = mul[j] * x + add[j];
      sig[j] = v < sig[j] ? v : sig[j];
    }
  }
}

}  // namespace

PodBuffer<std::uint32_t> minhash_signatures(const Texts& texts, const ShingleOptions& options, std::size_t num_perm,
                                            int threads) {
  if (num_perm == 0) throw std::invalid_argument("num_perm must be >= 1");
  if (options.k == 0) throw std::invalid_argument("shingle size k must be >= 1");
  Permutations perm(num_perm, options.seed);
  PodBuffer<std::uint32_t> sig(texts.count * num_perm);
  std::size_t tasks = (texts.count + kTextsPerTask - 1) / kTextsPerTask;
  parallel_for(tasks, threads, [&](std::size_t t) {
    std::vector<std::size_t> marks;
    std::vector<std::uint64_t> hashes;
    for (std::size_t i = t * kTextsPerTask; i < std::min(texts.count, (t + 1) * kTextsPerTask); ++i) {
      const std::uint8_t* p = texts.data + texts.offsets[i];
      shingle_hashes(p, static_cast<std::size_t>(texts.offsets[i + 1] - texts.offsets[i]), options, marks, hashes, false);
      std::uint32_t* s = sig.data() + i * num_perm;
      std::fill(s, s + num_perm, 0xFFFFFFFFu);
      minhash_update(hashes.data(), hashes.size(), perm.mul.data(), perm.add.data(), num_perm, s);
    }
  });
  return sig;
}

PodBuffer<std::int64_t> lsh_candidate_pairs(const std::uint32_t* signatures, std::size_t n, std::size_t num_perm,
                                            std::size_t bands, std::size_t rows, std::size_t max_bucket,
                                            int threads) {
  if (bands == 0 || rows == 0 || bands * rows > num_perm)
    throw std::invalid_argument("need bands >= 1, rows >= 1 and bands * rows <= num_perm");
  std::vector<std::vector<std::uint64_t>> band_pairs(bands);
  parallel_for(bands, threads, [&](std::size_t b) {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed;
    keyed.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t* s = signatures + i * num_perm + b * rows;
      bool empty = true;
      std::uint64_t h = 0x51ed270b27c8f1d3ULL * (b + 1);
      for (std::size_t r = 0; r < rows; ++r) {
        empty = empty && s[r] == 0xFFFFFFFFu;
        h = mix64(h ^ s[r]);
      }
      if (!empty) keyed.emplace_back(h, static_cast<std::uint32_t>(i));
    }
    std::sort(keyed.begin(), keyed.end());
    auto& out = band_pairs[b];
    for (std::size_t g = 0; g < keyed.size();) {
      std::size_t e = g + 1;
      while (e < keyed.size() && keyed[e].first == keyed[g].first) ++e;
      if (e - g > 1 && e - g <= max_bucket)
        for (std::size_t x = g; x < e; ++x)
          for (std::size_t y = x + 1; y < e; ++y)
            out.push_back((static_cast<std::uint64_t>(keyed[x].second) << 32) | keyed[y].second);
      g = e;
    }
  });
  std::vector<std::uint64_t> all;
  for (auto& p : band_pairs) all.insert(all.end(), p.begin(), p.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  PodBuffer<std::int64_t> pairs(2 * all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    pairs[2 * i] = static_cast<std::int64_t>(all[i] >> 32);
    pairs[2 * i + 1] = static_cast<std::int64_t>(all[i] & 0xFFFFFFFFu);
  }
  return pairs;
}

std::vector<double> exact_jaccard(const Texts& texts, const ShingleOptions& options, const std::int64_t* pairs,
                                  std::size_t m, int threads) {
  for (std::size_t i = 0; i < 2 * m; ++i)
    if (pairs[i] < 0 || static_cast<std::size_t>(pairs[i]) >= texts.count)
      throw std::invalid_argument("pair index out of range: " + std::to_string(pairs[i]));
  // Shingle sets of the texts that occur in some pair, computed once each.
  std::vector<std::int64_t> docs(pairs, pairs + 2 * m);
  std::sort(docs.begin(), docs.end());
  docs.erase(std::unique(docs.begin(), docs.end()), docs.end());
  std::vector<std::vector<std::uint64_t>> sets(docs.size());
  parallel_for((docs.size() + kTextsPerTask - 1) / kTextsPerTask, threads, [&](std::size_t t) {
    std::vector<std::size_t> marks;
    for (std::size_t d = t * kTextsPerTask; d < std::min(docs.size(), (t + 1) * kTextsPerTask); ++d) {
      std::size_t i = static_cast<std::size_t>(docs[d]);
      shingle_hashes(texts.data + texts.offsets[i], static_cast<std::size_t>(texts.offsets[i + 1] - texts.offsets[i]),
                     options, marks, sets[d], true);
    }
  });
  auto set_of = [&](std::int64_t doc) -> const std::vector<std::uint64_t>& {
    return sets[static_cast<std::size_t>(std::lower_bound(docs.begin(), docs.end(), doc) - docs.begin())];
  };
  std::vector<double> out(m);
  parallel_for((m + 1023) / 1024, threads, [&](std::size_t t) {
    for (std::size_t p = t * 1024; p < std::min(m, (t + 1) * 1024); ++p) {
      const auto& a = set_of(pairs[2 * p]);
      const auto& b = set_of(pairs[2 * p + 1]);
      std::size_t i = 0, j = 0, common = 0;
      while (i < a.size() && j < b.size()) {
        if (a[i] == b[j]) ++common, ++i, ++j;
        else if (a[i] < b[j]) ++i;
        else ++j;
      }
      std::size_t uni = a.size() + b.size() - common;
      out[p] = uni == 0 ? 0.0 : static_cast<double>(common) / static_cast<double>(uni);
    }
  });
  return out;
}

}  // namespace hafs
