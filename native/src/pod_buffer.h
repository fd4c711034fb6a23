// A growable array of trivially copyable values that does not zero what it allocates.
// Kernels fill it directly (write into spare(), then commit()) and the bindings hand its
// memory to NumPy without a copy (release() + free()).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace hafs {

template <class T>
class PodBuffer {
  static_assert(std::is_trivially_copyable_v<T>, "PodBuffer holds plain values only");

 public:
  PodBuffer() = default;
  explicit PodBuffer(std::size_t n) { resize(n); }
  PodBuffer(const PodBuffer&) = delete;
  PodBuffer& operator=(const PodBuffer&) = delete;
  PodBuffer(PodBuffer&& o) noexcept { swap(o); }
  PodBuffer& operator=(PodBuffer&& o) noexcept {
    PodBuffer tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  ~PodBuffer() { std::free(data_); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }

  void reserve(std::size_t n) {
    if (n <= capacity_) return;
    std::size_t bytes = (n ? n : 1) * sizeof(T);
    void* p = bytes >= kHugeBytes ? allocate_huge(bytes) : nullptr;
    if (p) {
      if (size_) std::memcpy(p, data_, size_ * sizeof(T));
      std::free(data_);
    } else {
      p = std::realloc(data_, bytes);
      if (!p) throw std::bad_alloc();
    }
    data_ = static_cast<T*>(p);
    capacity_ = n;
  }
  // Room for at least n more values after size(); fill them, then commit(count).
  T* spare(std::size_t n) {
    if (size_ + n > capacity_) reserve(std::max(size_ + n, capacity_ + capacity_ / 2 + 16));
    return data_ + size_;
  }
  void commit(std::size_t n) { size_ += n; }
  void resize(std::size_t n) {
    reserve(n);
    size_ = n;
  }
  void push_back(const T& v) {
    *spare(1) = v;
    ++size_;
  }
  void append(const T* src, std::size_t n) {
    if (n == 0) return;
    std::memcpy(spare(n), src, n * sizeof(T));
    size_ += n;
  }
  void clear() { size_ = 0; }
  // Gives up ownership; the caller frees the pointer with std::free().
  T* release() {
    T* p = data_;
    data_ = nullptr;
    size_ = capacity_ = 0;
    return p;
  }

 private:
  // Large outputs (line offsets of a 1 GB log: 80 MB) are written once, so their cost is mostly
  // page faults, which several threads then take turns on. Transparent huge pages cut the faults
  // 512-fold where the kernel offers them (Linux with THP in "madvise" or "always" mode).
  static constexpr std::size_t kHugeBytes = std::size_t{8} << 20;
  static void* allocate_huge(std::size_t bytes) {
#if defined(__linux__)
    constexpr std::size_t kHuge = std::size_t{2} << 20;
    void* p = nullptr;
    if (posix_memalign(&p, kHuge, (bytes + kHuge - 1) / kHuge * kHuge) != 0) return nullptr;
    madvise(p, bytes, MADV_HUGEPAGE);
    return p;
#else
    (void)bytes;
    return nullptr;
#endif
  }
  void swap(PodBuffer& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
  }
  T* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace hafs
