#include "text_embedder.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "parallel.h"
#include "text_common.h"

namespace hafs {
namespace {

constexpr std::size_t kTextsPerTask = 64;
constexpr std::size_t kLogTable = 64;
// Open-addressing counter of 32-bit n-gram features, reused across texts. A slot belongs to the
// current text only when its stamp matches, so starting a text costs nothing (no clearing); a
// slot is 8 bytes, so the table of a 500-character text stays in L1 cache.
class FeatureCounter {
 public:
  void reset(std::size_t expected) {
    std::size_t cap = 16;
    while (cap < 2 * expected) cap *= 2;
    if (slots_.size() < cap) slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    if (++stamp_ == 0) {  // wrapped after 65535 texts: clear once
      slots_.assign(slots_.size(), Slot{});
      stamp_ = 1;
    }
    used_.clear();
  }
  void add(std::uint32_t feature) {
    std::size_t i = (feature * std::size_t{0x9e3779b1}) & mask_;
    while (slots_[i].stamp == stamp_ && slots_[i].key != feature) i = (i + 1) & mask_;
    Slot& slot = slots_[i];
    if (slot.stamp != stamp_) {
      slot = Slot{feature, 0, stamp_};
      used_.push_back(static_cast<std::uint32_t>(i));
    }
    if (slot.count != 0xFFFF) ++slot.count;  // saturates: weight 1 + ln(65535) at most
  }
  // Slots in first-seen order: the sums below then run in a fixed order.
  template <class F>
  void for_each(F f) const {
    for (std::uint32_t i : used_) f(slots_[i].key, slots_[i].count);
  }

 private:
  struct Slot {
    std::uint32_t key = 0;
    std::uint16_t count = 0;
    std::uint16_t stamp = 0;
  };
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> used_;
  std::size_t mask_ = 0;
  std::uint16_t stamp_ = 0;
};

// One multiply-xorshift round: the FNV state is already well mixed in its low bits, this moves
// that into the high 32 bits we keep as the n-gram's feature id.
inline std::uint32_t feature_of(std::uint64_t fnv_state, std::size_t length) {
  std::uint64_t x = fnv_state + length;  // the length salts n-grams that are prefixes of others
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 32;
  return static_cast<std::uint32_t>(x);
}

}  // namespace

PodBuffer<float> embed_texts(const Texts& texts, const EmbedderOptions& o, int threads) {
  if (o.dim == 0) throw std::invalid_argument("dim must be >= 1");
  if (o.min_n == 0 || o.max_n < o.min_n || o.max_n > 16)
    throw std::invalid_argument("need 1 <= min_n <= max_n <= 16");
  PodBuffer<float> out(texts.count * o.dim);
  // Sublinear TF weights 1 + ln(c) for small counts: most n-grams occur once or twice.
  double log_table[kLogTable];
  for (std::size_t c = 1; c < kLogTable; ++c) log_table[c] = 1.0 + std::log(static_cast<double>(c));
  log_table[0] = 0.0;
  std::size_t tasks = (texts.count + kTextsPerTask - 1) / kTextsPerTask;
  parallel_for(tasks, threads, [&](std::size_t t) {
    FeatureCounter counter;
    std::vector<std::size_t> starts;
    std::vector<std::uint8_t> folded;
    std::vector<double> row(o.dim);
    for (std::size_t i = t * kTextsPerTask; i < std::min(texts.count, (t + 1) * kTextsPerTask); ++i) {
      const std::uint8_t* raw = texts.data + texts.offsets[i];
      std::size_t n = static_cast<std::size_t>(texts.offsets[i + 1] - texts.offsets[i]);
      folded.assign(raw, raw + n);
      if (o.lowercase)
        for (auto& c : folded) c = (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c + 32) : c;
      starts.clear();
      for (std::size_t j = 0; j < n; ++j)
        if ((folded[j] & 0xC0) != 0x80) starts.push_back(j);
      std::size_t chars = starts.size();
      starts.push_back(n);
      counter.reset(chars * (o.max_n - o.min_n + 1));
      for (std::size_t c = 0; c < chars; ++c) {
        // One FNV pass extends the n-gram character by character; each length gets its own
        // final mix, salted by the length so that "abc" as a 3-gram and a 4-gram prefix differ.
        std::uint64_t h = 0xcbf29ce484222325ULL ^ o.seed;
        for (std::size_t len = 1; len <= o.max_n && c + len <= chars; ++len) {
          for (std::size_t j = starts[c + len - 1]; j < starts[c + len]; ++j) h = (h ^ folded[j]) * 0x100000001b3ULL;
          if (len >= o.min_n) counter.add(feature_of(h, len));
        }
      }
      std::fill(row.begin(), row.end(), 0.0);
      counter.for_each([&](std::uint32_t h, std::uint32_t count) {
        // Multiply-shift maps the feature to [0, dim) without a division; bit 0 is the sign.
        std::size_t bucket = static_cast<std::size_t>((static_cast<std::uint64_t>(h) * o.dim) >> 32);
        double weight = count < kLogTable ? log_table[count] : 1.0 + std::log(static_cast<double>(count));
        row[bucket] += (h & 1) ? -weight : weight;
      });
      double norm = 0;
      for (double v : row) norm += v * v;
      norm = std::sqrt(norm);
      float* dst = out.data() + i * o.dim;
      for (std::size_t j = 0; j < o.dim; ++j) dst[j] = norm > 0 ? static_cast<float>(row[j] / norm) : 0.0f;
    }
  });
  return out;
}

}  // namespace hafs
