#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace hafs {
namespace {

int hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

std::atomic<int> g_default_threads{0};  // 0 = not set, use all cores

}  // namespace

int default_threads() {
  int n = g_default_threads.load(std::memory_order_relaxed);
  return n > 0 ? n : hardware_threads();
}

void set_default_threads(int threads) {
  g_default_threads.store(threads > 0 ? threads : 0, std::memory_order_relaxed);
}

int resolve_threads(int threads) { return threads > 0 ? threads : default_threads(); }

void parallel_for(std::size_t tasks, int threads, const std::function<void(std::size_t)>& task) {
  if (tasks == 0) return;
  std::size_t workers = std::min<std::size_t>(tasks, static_cast<std::size_t>(resolve_threads(threads)));
  if (workers <= 1) {
    for (std::size_t i = 0; i < tasks; ++i) task(i);
    return;
  }
  // Dynamic assignment: tasks can differ in cost (e.g. a chunk full of matches).
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    for (;;) {
      std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= tasks) return;
      try {
        task(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next.store(tasks, std::memory_order_relaxed);  // stop handing out work
      }
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace hafs
