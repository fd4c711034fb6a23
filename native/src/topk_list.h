// The k best (score, index) pairs under a total order: shared by every top-k kernel.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace hafs {

// Total order "better than": higher score, then lower index; NaN below everything. Because it
// is total, the k best of a set do not depend on the order the pairs arrive in, so neither the
// number of threads nor the way rows are split into tasks can change a result.
template <class S>
bool better(S sa, std::int64_t ia, S sb, std::int64_t ib) {
  if constexpr (std::is_floating_point_v<S>) {
    bool na = std::isnan(sa), nb = std::isnan(sb);
    if (na != nb) return nb;
    if (na) return ia < ib;
  }
  if (sa != sb) return sa > sb;
  return ia < ib;
}

// The k best pairs seen so far, kept sorted best first.
template <class S>
class TopK {
 public:
  explicit TopK(std::size_t k) : k_(k) {
    scores_.reserve(k + 1);
    ids_.reserve(k + 1);
  }
  void offer(S s, std::int64_t id) {
    if (scores_.size() == k_ && !better(s, id, scores_.back(), ids_.back())) return;
    std::size_t pos = scores_.size();
    while (pos > 0 && better(s, id, scores_[pos - 1], ids_[pos - 1])) --pos;
    scores_.insert(scores_.begin() + static_cast<std::ptrdiff_t>(pos), s);
    ids_.insert(ids_.begin() + static_cast<std::ptrdiff_t>(pos), id);
    if (scores_.size() > k_) {
      scores_.pop_back();
      ids_.pop_back();
    }
  }
  // Cheap pre-check for the hot loop: can (s, id) enter at all?
  bool admits(S s) const {
    if (scores_.size() < k_) return true;
    if constexpr (std::is_floating_point_v<S>) {
      if (std::isnan(s)) return std::isnan(scores_.back());
      if (std::isnan(scores_.back())) return true;
    }
    return s >= scores_.back();
  }
  bool full() const { return scores_.size() == k_; }
  S threshold() const { return scores_.back(); }  // only when full()
  const std::vector<S>& scores() const { return scores_; }
  const std::vector<std::int64_t>& ids() const { return ids_; }

 private:
  std::size_t k_;
  std::vector<S> scores_;
  std::vector<std::int64_t> ids_;
};

// Merges per-task lists (each in task order) into one best-first list per query.
template <class S>
void merge_lists(const std::vector<std::vector<TopK<S>>>& partial, std::size_t nq, std::size_t k,
                 std::int64_t* indices, S* scores) {
  for (std::size_t q = 0; q < nq; ++q) {
    TopK<S> merged(k);
    for (const auto& lists : partial) {
      const TopK<S>& p = lists[q];
      for (std::size_t j = 0; j < p.ids().size(); ++j) merged.offer(p.scores()[j], p.ids()[j]);
    }
    std::copy(merged.ids().begin(), merged.ids().end(), indices + q * k);
    std::copy(merged.scores().begin(), merged.scores().end(), scores + q * k);
  }
}

}  // namespace hafs
