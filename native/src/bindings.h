// Shared helpers for the nanobind binding files (module.cpp, bind_text.cpp, bind_numeric.cpp).
#pragma once
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstdint>
#include <cstdlib>

#include "pod_buffer.h"

namespace hafs::bind {

namespace nb = nanobind;

// Any C-contiguous 1-D uint8 buffer: NumPy arrays, and bytes/bytearray/memoryview/mmap
// through the buffer protocol (the facade wraps those with np.frombuffer, without a copy).
using Bytes = nb::ndarray<const std::uint8_t, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
template <class T>
using Vec = nb::ndarray<const T, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
template <class T>
using Mat = nb::ndarray<const T, nb::ndim<2>, nb::c_contig, nb::device::cpu>;
template <class T>
using OutVec = nb::ndarray<nb::numpy, T, nb::ndim<1>>;
template <class T>
using OutMat = nb::ndarray<nb::numpy, T, nb::ndim<2>>;

// Hands the buffer's memory to a NumPy array (no copy). Call with the GIL held.
template <class T>
OutVec<T> to_numpy(PodBuffer<T>&& buf) {
  std::size_t n = buf.size();
  T* data = buf.release();
  if (!data) data = static_cast<T*>(std::malloc(sizeof(T)));  // NumPy wants a valid pointer
  nb::capsule owner(data, [](void* p) noexcept { std::free(p); });
  return OutVec<T>(data, {n}, owner);
}

template <class T>
OutMat<T> to_numpy(PodBuffer<T>&& buf, std::size_t rows, std::size_t cols) {
  T* data = buf.release();
  if (!data) data = static_cast<T*>(std::malloc(sizeof(T)));
  nb::capsule owner(data, [](void* p) noexcept { std::free(p); });
  return OutMat<T>(data, {rows, cols}, owner);
}

void bind_text(nb::module_& m);
void bind_numeric(nb::module_& m);
void bind_agents(nb::module_& m);

}  // namespace hafs::bind
