// Thread-count setting and a minimal fork-join helper shared by all kernels.
#pragma once
#include <cstddef>
#include <functional>

namespace hafs {

// Number of threads kernels use when the caller passes threads <= 0. Defaults to all cores.
int default_threads();
// 0 or a negative value restores the default (all cores).
void set_default_threads(int threads);
// threads <= 0 means default_threads(); the result is always >= 1.
int resolve_threads(int threads);

// Runs task(i) for every i in [0, tasks) on up to `threads` threads, the calling thread included.
// Which thread runs which task is unspecified, so tasks must write to disjoint outputs; callers
// combine per-task results in task order, which keeps results independent of the thread count.
// The first exception thrown by a task is rethrown here after all threads have joined.
void parallel_for(std::size_t tasks, int threads, const std::function<void(std::size_t)>& task);

}  // namespace hafs
